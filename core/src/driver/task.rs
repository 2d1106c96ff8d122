//! The connection task: connect, then move bytes between the socket and the engine until
//! the protocol closes, the socket breaks, or the client aborts.

use super::engine::{Engine, EventSink, LinkEvent};
use crate::error::{code, Error};
use crate::transport::{connect_tcp, BoxStream, TcpOptions};
use bytes::BytesMut;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Clone, Debug)]
pub struct ConnectParams {
    pub host: String,
    pub port: u16,
    pub tcp: TcpOptions,
    /// Covers the TCP connect and the wait for CONNACK; None waits forever.
    pub connect_timeout: Option<Duration>,
}

/// Start the task for one connection on the shared runtime.
pub fn spawn(engine: Arc<Engine>, sink: Arc<dyn EventSink>, params: ConnectParams) {
    spawn_after(engine, sink, params, None);
}

/// `spawn`, but connect only once `before` is done (or after 2 s): a connection the
/// application just left may still be writing its DISCONNECT, and a new CONNECT with the same
/// client id arriving first would make the server take the old session over and publish
/// its Will.
pub fn spawn_after(
    engine: Arc<Engine>,
    sink: Arc<dyn EventSink>,
    params: ConnectParams,
    before: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
) {
    super::runtime().spawn(async move {
        if let Some(before) = before {
            let _ = tokio::time::timeout(Duration::from_secs(2), before).await;
        }
        run(&engine, &*sink, params).await;
        sink.link_event(LinkEvent::Finished);
    });
}

const READ_CHUNK: usize = 16 * 1024;

async fn run(engine: &Engine, sink: &dyn EventSink, params: ConnectParams) {
    let started = Instant::now();
    let connect_deadline = params.connect_timeout.map(|d| started + d);
    let connecting = connect_tcp(&params.host, params.port, &params.tcp);
    let connecting = async {
        tokio::select! {
            r = connecting => Some(r),
            _ = wait_abort(engine) => None,
        }
    };
    let stream = match params.connect_timeout {
        Some(d) => match tokio::time::timeout(d, connecting).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(_) => Err(Error::new(
                code::TIMEOUT,
                format!(
                    "timed out after {} s connecting to {}:{}",
                    d.as_secs_f32(),
                    params.host,
                    params.port
                ),
            )),
        },
        None => match connecting.await {
            Some(r) => r,
            None => return,
        },
    };
    let stream = match stream {
        Ok(s) => s,
        Err(e) => {
            sink.link_event(LinkEvent::ConnectFailed(e));
            return;
        }
    };
    if engine.aborted() {
        return;
    }
    let local = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    sink.link_event(LinkEvent::TransportUp { local });
    {
        let mut st = engine.state.lock();
        st.conn.start(Instant::now());
        st.flush(sink);
    }
    sink.announce();
    let stream: BoxStream = Box::new(stream);
    if let Err(e) = pump(engine, sink, stream, connect_deadline).await {
        sink.link_event(LinkEvent::Lost(e));
    }
}

/// Move bytes both ways until the protocol is closed and its last bytes are written.
async fn pump(
    engine: &Engine,
    sink: &dyn EventSink,
    stream: BoxStream,
    mut connect_deadline: Option<Instant>,
) -> Result<(), Error> {
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut rbuf = BytesMut::new();
    let mut wbuf = BytesMut::new();
    loop {
        sink.announce();
        if engine.aborted() {
            return Ok(());
        }
        let (deadline, closed, connected) = {
            let mut st = engine.state.lock();
            if wbuf.is_empty() {
                std::mem::swap(&mut wbuf, &mut st.out);
            } else if !st.out.is_empty() {
                wbuf.extend_from_slice(&st.out);
                st.out.clear();
            }
            (
                st.conn.poll_timeout(),
                st.conn.is_closed(),
                st.conn.is_connected(),
            )
        };
        if connected {
            connect_deadline = None;
        }
        if closed && wbuf.is_empty() {
            let _ = wr.shutdown().await;
            return Ok(());
        }
        let deadline = match (deadline, connect_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let backlogged = sink.backlogged();
        if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
            rbuf.reserve(READ_CHUNK);
        }
        tokio::select! {
            biased;
            _ = engine.wake.notified() => {}
            r = wr.write_buf(&mut wbuf), if !wbuf.is_empty() => {
                match r {
                    Ok(0) => return Err(Error::new(code::DROPPED, "the connection was closed while writing")),
                    Ok(_) => {
                        if wbuf.is_empty() {
                            sink.output_drained();
                        }
                    }
                    Err(e) => return Err(Error::from_io(&e, "write failed")),
                }
            }
            r = rd.read_buf(&mut rbuf), if !closed && !backlogged => {
                match r {
                    Ok(0) => return Err(Error::new(code::DROPPED, "the server closed the connection")),
                    Ok(_) => {
                        let mut st = engine.state.lock();
                        st.conn.handle_bytes(Instant::now(), &mut rbuf);
                        st.flush(sink);
                    }
                    Err(e) => return Err(Error::from_io(&e, "read failed")),
                }
            }
            _ = sink.backlog_space().notified(), if backlogged => {}
            _ = sleep_until(deadline), if deadline.is_some() => {
                let now = Instant::now();
                if connect_deadline.is_some_and(|d| now >= d) {
                    return Err(Error::new(code::TIMEOUT, "timed out waiting for CONNACK"));
                }
                let mut st = engine.state.lock();
                st.conn.handle_timeout(now);
                st.flush(sink);
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

async fn wait_abort(engine: &Engine) {
    while !engine.aborted() {
        engine.wake.notified().await;
    }
}
