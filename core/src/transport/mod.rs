//! Layer 4: the byte stream under MQTT. One entry point, [`connect`], builds it in layers:
//!
//! ```text
//! TCP (socket options, local address, IPv4/IPv6 choice)
//!  └ proxy tunnel, when one is set and the host is not an exception
//!     (HTTP CONNECT, SOCKS4, SOCKS4A, SOCKS5)
//!     └ TLS (rustls), for SSLEnabled or wss://
//!        └ WebSocket (subprotocol mqtt), for ws:// and wss://
//! ```
//!
//! and hands the driver one [`BoxStream`]. Everything the options get wrong is reported
//! before a byte goes out. Progress and the server's certificate go to a
//! [`TransportObserver`], which is how the class's ConnectionStatus, SSLStatus and
//! SSLServerAuthentication events are fed.

pub mod certs;
mod options;
mod proxy_http;
mod proxy_socks;
pub mod shared_tcp;
mod tcp;
pub mod tls;
mod websocket;

pub use certs::{CertStore, CertificateInfo, ClientCert, ClientIdentity};
pub use options::{
    protocols, IpFamily, KeepAlive, Linger, ProxyKind, ProxyOptions, SocketOptions, Target,
    TlsOptions, TransportOptions, WsOptions, WsTarget,
};
pub use tcp::{connect_socket, connect_tcp, TcpOptions};
pub use tls::{TlsInfo, TlsIo};
pub use websocket::WsIo;

use crate::error::{code, Error, Result};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Any full-duplex byte stream the driver can run MQTT over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// An owned, type-erased byte stream (plain TCP, TLS, WebSocket...).
pub type BoxStream = Box<dyn Stream>;

/// The ConnectionStatus event's ConnectionEvent texts, in the order they happen.
pub mod milestone {
    /// The proxy opened the tunnel to the target.
    pub const FIREWALL: &str = "Firewall connection complete";
    /// The TLS handshake finished and the server's certificate was accepted.
    pub const TLS: &str = "SSL handshake complete";
    /// The byte stream to the MQTT server is ready (after the WebSocket upgrade, if any).
    pub const REMOTE: &str = "Remote host connection complete";
}

/// The server's certificate, for the SSLServerAuthentication decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerAuthentication {
    /// The leaf certificate first; with SSLIncludeCertChain every certificate the server sent.
    pub chain: Vec<CertificateInfo>,
    /// "OK" when the certificate verified; otherwise why it did not.
    pub status: String,
    /// What happens if the observer agrees: true when the certificate verified, or failed
    /// but the application allowed that (SSLAcceptAnyServerCert, SSLAcceptServerCert, host name
    /// check off). When false the connection is refused whatever the observer answers.
    pub accept: bool,
}

impl ServerAuthentication {
    /// The server's own (leaf) certificate.
    pub fn cert(&self) -> &CertificateInfo {
        // `chain` always holds the leaf (see tls::handshake).
        &self.chain[0]
    }
}

/// The observer's answer to [`TransportObserver::server_authentication`].
pub type Decision<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Receives what happens while connecting. Every method has a default that does nothing
/// (and agrees with the certificate decision), so an observer implements what it needs.
pub trait TransportObserver: Send + Sync {
    /// A step completed: `event` is one of [`milestone`]; `code` is 0 and `description`
    /// says to where.
    fn connection_status(&self, _event: &str, _code: i32, _description: &str) {}

    /// A line about the TLS handshake (SSLStatus).
    fn ssl_status(&self, _message: &str) {}

    /// The server's certificate after verification. Return false to refuse the server (error
    /// 280). The answer only counts when `auth.accept` is true: the application can always
    /// refuse, and can accept a failed certificate only by allowing it beforehand. It is
    /// awaited, so a face may ask the application (on its own thread) before answering.
    fn server_authentication<'a>(&'a self, auth: &'a ServerAuthentication) -> Decision<'a> {
        Box::pin(std::future::ready(auth.accept))
    }
}

/// An observer that watches nothing.
pub struct NoObserver;

impl TransportObserver for NoObserver {}

/// The connected stream and what is known about it.
pub struct Connected {
    /// The byte stream to speak MQTT over.
    pub stream: BoxStream,
    /// Our end of the TCP connection.
    pub local: SocketAddr,
    /// The other end of the TCP connection: the proxy when there is one.
    pub peer: SocketAddr,
    /// Set when TLS is in use.
    pub tls: Option<TlsInfo>,
    /// Whether the connection goes through a proxy.
    pub proxied: bool,
    /// The socket itself when the stream is plain TCP (no TLS, no WebSocket, no
    /// MaxTransferRate), shared with the stream: the caller's thread may write encoded
    /// packets to it directly (`try_write`), in order with the stream's own writes (see
    /// `driver::Engine`). It keeps the socket open: drop it with the stream.
    pub direct: Option<shared_tcp::DirectWriter>,
}

impl std::fmt::Debug for Connected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connected")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("tls", &self.tls)
            .field("proxied", &self.proxied)
            .finish_non_exhaustive()
    }
}

/// Connects to `target` as `opts` say. Bad options fail before anything is sent; network
/// failures carry the documented codes (see docs/transports.md).
pub async fn connect(
    target: &Target,
    opts: &TransportOptions,
    observer: &dyn TransportObserver,
) -> Result<Connected> {
    if target.port == 0 {
        return Err(Error::new(
            code::REMOTE_PORT_ZERO,
            format!("the port to connect to {} is 0", target.host),
        ));
    }
    let secure_ws = target.websocket.as_ref().is_some_and(|w| w.secure);
    let prepared = if opts.tls.enabled || secure_ws {
        // Reading certificate files, the system's roots (the first time) and decrypting a
        // PKCS#12 store are blocking work: keep it off the runtime's threads.
        let (tls_opts, host) = (opts.tls.clone(), target.host.clone());
        let prepared = tokio::task::spawn_blocking(move || tls::prepare(&tls_opts, &host))
            .await
            .map_err(|e| Error::new(code::TLS_LIBRARY, format!("preparing TLS failed: {e}")))??;
        Some(prepared)
    } else {
        None
    };
    let dest = format!("{}:{}", target.host_for_url(), target.port);
    let proxy = opts.proxy.as_ref().filter(|p| !p.bypasses(&target.host));
    let tcp = match proxy {
        Some(p) => {
            if p.host.trim().is_empty() {
                return Err(Error::new(
                    code::FIREWALL,
                    format!(
                        "a {} is set (FirewallType) but its host (FirewallHost) is empty",
                        p.kind.name()
                    ),
                ));
            }
            let port = p.port_or_default();
            let mut s = tcp::connect_socket(&p.host, port, &opts.tcp, &opts.socket)
                .await
                .map_err(|e| {
                    Error::new(
                        code::FIREWALL,
                        format!(
                            "cannot reach the {} {}:{port}: {} (error {})",
                            p.kind.name(),
                            p.host,
                            e.message,
                            e.code
                        ),
                    )
                })?;
            match p.kind {
                // The optional steps are boxed: their state would otherwise make every
                // connection's future as large as the largest of them (see docs/transports.md).
                ProxyKind::Http => Box::pin(proxy_http::connect(&mut s, target, p)).await?,
                _ => {
                    Box::pin(proxy_socks::connect(
                        &mut s,
                        target,
                        p,
                        opts.socket.ip_family,
                    ))
                    .await?
                }
            }
            observer.connection_status(
                milestone::FIREWALL,
                0,
                &format!(
                    "the {} {}:{port} opened a tunnel to {dest}",
                    p.kind.name(),
                    p.host
                ),
            );
            s
        }
        None => tcp::connect_socket(&target.host, target.port, &opts.tcp, &opts.socket).await?,
    };
    let local = tcp
        .local_addr()
        .map_err(|e| Error::from_io(&e, "cannot read the local address"))?;
    let peer = tcp
        .peer_addr()
        .map_err(|e| Error::from_io(&e, "cannot read the peer address"))?;
    let plain =
        prepared.is_none() && target.websocket.is_none() && opts.socket.max_transfer_rate == 0;
    let mut direct = None;
    let mut stream: BoxStream = if opts.socket.max_transfer_rate > 0 {
        Box::new(RateLimited::new(tcp, opts.socket.max_transfer_rate))
    } else if plain {
        let (shared, writer) = shared_tcp::SharedTcp::new(tcp);
        direct = Some(writer);
        Box::new(shared)
    } else {
        Box::new(tcp)
    };
    let mut tls_info = None;
    if let Some(prepared) = prepared {
        let (io, info) = Box::pin(tls::handshake(
            prepared,
            stream,
            &dest,
            opts.tls.include_chain,
            observer,
        ))
        .await?;
        observer.connection_status(
            milestone::TLS,
            0,
            &format!("{} with {dest}, {}", info.version, info.cipher_suite),
        );
        tls_info = Some(info);
        stream = Box::new(io);
    }
    if target.websocket.is_some() {
        stream = Box::new(Box::pin(websocket::connect(stream, target, &opts.websocket)).await?);
    } else if tls_info.is_none() {
        stream = Box::new(PlainTcp {
            inner: stream,
            dest: dest.clone(),
            seen_data: false,
        });
    }
    observer.connection_status(
        milestone::REMOTE,
        0,
        &format!(
            "connected to {dest}{}",
            if target.websocket.is_some() {
                format!(" ({})", websocket::url(target))
            } else {
                String::new()
            }
        ),
    );
    Ok(Connected {
        stream,
        local,
        peer,
        tls: tls_info,
        proxied: proxy.is_some(),
        direct,
    })
}

/// Turns an I/O error of a stream made by [`connect`] into our error: TLS and WebSocket
/// failures keep the code they were given (276, 4003, ...), others map like OS errors.
pub fn stream_error(e: &io::Error, context: &str) -> Error {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
        return Error::new(inner.code, format!("{context}: {}", inner.message));
    }
    Error::from_io(e, context)
}

/// Plain TCP as the driver reads it: a server that answers in TLS, or resets the connection
/// before saying anything, is probably a TLS port, and the error says so.
struct PlainTcp {
    inner: BoxStream,
    dest: String,
    seen_data: bool,
}

impl AsyncRead for PlainTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.seen_data {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        let before = buf.filled().len();
        match ready!(Pin::new(&mut this.inner).poll_read(cx, buf)) {
            Ok(()) => {
                let got = &buf.filled()[before..];
                if got.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                this.seen_data = true;
                // A TLS record header: content type 21 (alert) or 22 (handshake), then
                // version 3.x. No MQTT packet from a server starts with 0x15 or 0x16 (types
                // 1 is CONNECT, which servers do not send).
                if got.len() >= 2 && matches!(got[0], 0x15 | 0x16) && got[1] == 0x03 {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        Error::new(
                            code::TLS_HANDSHAKE,
                            format!("{} answered with TLS: it is a TLS port, so enable SSL (SSLEnabled) to connect to it", this.dest),
                        ),
                    )));
                }
                Poll::Ready(Ok(()))
            }
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                let err = Error::from_io(&e, "");
                Poll::Ready(Err(io::Error::new(
                    e.kind(),
                    Error::new(
                        err.code,
                        format!("{} reset the connection before answering ({e}); if it is a TLS port, enable SSL (SSLEnabled)", this.dest),
                    ),
                )))
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

impl AsyncWrite for PlainTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// MaxTransferRate: writes at most `rate` bytes per second, as a token bucket that holds at
/// most a tenth of a second's worth (so a long idle time does not allow a burst).
struct RateLimited<S> {
    inner: S,
    rate: u64,
    allowance: f64,
    last: Instant,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> RateLimited<S> {
    fn new(inner: S, rate: u64) -> Self {
        RateLimited {
            inner,
            rate,
            allowance: 0.0,
            last: Instant::now(),
            sleep: None,
        }
    }

    fn burst(&self) -> f64 {
        (self.rate as f64 / 10.0).max(1.0)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for RateLimited<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for RateLimited<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if let Some(s) = this.sleep.as_mut() {
                ready!(s.as_mut().poll(cx));
                this.sleep = None;
            }
            let now = Instant::now();
            let refill = now.duration_since(this.last).as_secs_f64() * this.rate as f64;
            this.allowance = (this.allowance + refill).min(this.burst());
            this.last = now;
            if this.allowance >= 1.0 {
                break;
            }
            let wait = (1.0 - this.allowance) / this.rate as f64;
            this.sleep = Some(Box::pin(tokio::time::sleep(Duration::from_secs_f64(
                wait.max(0.001),
            ))));
        }
        let n = buf.len().min(this.allowance as usize);
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..n]))?;
        this.allowance -= written as f64;
        Poll::Ready(Ok(written))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The driver spawns the connection on the shared runtime: the future must be Send.
    #[test]
    fn connect_future_is_send() {
        fn assert_send<T: Send>(_: &T) {}
        let target = Target::new("127.0.0.1", 1);
        let opts = TransportOptions::default();
        let fut = connect(&target, &opts, &NoObserver);
        assert_send(&fut);
    }

    #[test]
    fn stream_errors_keep_their_code() {
        let inner = Error::new(code::TLS_HANDSHAKE, "alert");
        let e = io::Error::new(io::ErrorKind::InvalidData, inner);
        let mapped = stream_error(&e, "read failed");
        assert_eq!(mapped.code, code::TLS_HANDSHAKE);
        assert_eq!(mapped.message, "read failed: alert");
        let e = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(stream_error(&e, "read failed").code, 10054);
    }
}
