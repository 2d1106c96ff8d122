//! A plain TCP stream shared between the connection task, which reads and writes it as an
//! async stream, and the threads that publish, which write small packets to it directly
//! (`driver::Engine::send`). Sharing the one socket, rather than a duplicate descriptor,
//! keeps a connection at one file descriptor: a gateway with 10 000 connections must not
//! need 20 000.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// The write half the engine holds (`try_write` from any thread).
pub type DirectWriter = Arc<OwnedWriteHalf>;

/// A plain TCP connection whose write half can be shared, so the engine can write
/// straight from the caller's thread while the task reads.
pub struct SharedTcp {
    /// tokio's own read half: it reads into the buffer's spare capacity without zeroing it
    /// first, so an idle connection's read buffer costs no resident memory.
    read: OwnedReadHalf,
    write: DirectWriter,
}

impl SharedTcp {
    /// The stream, and the write half to hand to the engine.
    pub fn new(tcp: TcpStream) -> (SharedTcp, DirectWriter) {
        let (read, write) = tcp.into_split();
        let write = Arc::new(write);
        (
            SharedTcp {
                read,
                write: write.clone(),
            },
            write,
        )
    }
}

impl AsyncRead for SharedTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for SharedTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let tcp: &TcpStream = (*self.write).as_ref();
        loop {
            ready!(tcp.poll_write_ready(cx))?;
            match self.write.try_write(buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                // The readiness was stale: poll_write_ready waits for the next event.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let tcp: &TcpStream = (*self.write).as_ref();
        let r = socket2::SockRef::from(tcp).shutdown(std::net::Shutdown::Write);
        Poll::Ready(match r {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}
