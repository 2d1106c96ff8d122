//! The connection task: connect, then move bytes between the socket and the engine until
//! the protocol closes, the socket breaks, or the client aborts.

use super::engine::{Engine, EventSink, LinkEvent};
use crate::error::{code, Error};
use crate::transport::{self, BoxStream, Target, TransportObserver, TransportOptions};
use bytes::BytesMut;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the driver task needs to open a connection.
pub struct ConnectParams {
    /// Where to connect.
    pub target: Target,
    /// Boxed: a task holds it only while connecting, and idle connections are many.
    pub options: Box<TransportOptions>,
    /// Told about the transport's steps (certificates, proxy, status).
    pub observer: Arc<dyn TransportObserver>,
    /// Covers building the transport (proxy, TLS, WebSocket) and the wait for CONNACK;
    /// None waits forever.
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
    let connect_timeout = params.connect_timeout;
    let where_to = format!("{}:{}", params.target.host, params.target.port);
    // Boxed so the task's own future stays small once connected.
    let connecting = Box::pin(async move {
        transport::connect(&params.target, &params.options, &*params.observer).await
    });
    let connecting = async {
        tokio::select! {
            r = connecting => Some(r),
            _ = wait_abort(engine) => None,
        }
    };
    let connected = match connect_timeout {
        Some(d) => match tokio::time::timeout(d, connecting).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(_) => Err(Error::new(
                code::TIMEOUT,
                format!(
                    "timed out after {} s connecting to {where_to}",
                    d.as_secs_f32(),
                ),
            )),
        },
        None => match connecting.await {
            Some(r) => r,
            None => return,
        },
    };
    let connected = match connected {
        Ok(c) => c,
        Err(e) => {
            sink.link_event(LinkEvent::ConnectFailed(e));
            return;
        }
    };
    if engine.aborted() {
        return;
    }
    sink.link_event(LinkEvent::TransportUp {
        local: connected.local,
        tls: connected.tls.map(Box::new),
    });
    {
        let mut st = engine.state.lock();
        st.conn.start(Instant::now());
        st.flush(sink);
        st.direct = connected.direct;
    }
    sink.announce();
    let result = pump(engine, sink, connected.stream, connect_deadline).await;
    // The second handle would keep the socket open after the stream is gone.
    engine.state.lock().direct = None;
    if let Err(e) = result {
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
        let backlogged = sink.backlogged();
        let (deadline, closed, connected) = {
            let mut st = engine.state.lock();
            if wbuf.is_empty() {
                // The send buffer of a burst is given back once it is written out.
                crate::memory::trim_buffer(&mut st.out);
                std::mem::swap(&mut wbuf, &mut st.out);
            } else if !st.out.is_empty() {
                wbuf.extend_from_slice(&st.out);
                st.out.clear();
            }
            if !wbuf.is_empty() {
                // Under the lock: a caller writing directly checks it under the same lock.
                engine.writing.store(true, Ordering::SeqCst);
            }
            // While the application's queue is full we do not read, so the server's
            // silence says nothing: keep-alive must not take it for a dead server.
            let now = Instant::now();
            st.conn.set_reading_paused(now, backlogged);
            st.armed = st.conn.sleep_deadline(now);
            (st.armed, st.conn.is_closed(), st.conn.is_connected())
        };
        if connected {
            connect_deadline = None;
        }
        if closed && wbuf.is_empty() {
            let _ = wr.shutdown().await;
            return Ok(());
        }
        let deadline = crate::protocol::earliest(deadline, connect_deadline);
        if !closed {
            make_room(&mut rbuf);
        }
        tokio::select! {
            biased;
            _ = engine.wake.notified() => {}
            r = wr.write_buf(&mut wbuf), if !wbuf.is_empty() => {
                match r {
                    Ok(0) => return Err(Error::new(code::DROPPED, "the connection was closed while writing")),
                    Ok(_) => {
                        if wbuf.is_empty() {
                            crate::memory::trim_buffer(&mut wbuf);
                            engine.writing.store(false, Ordering::SeqCst);
                            sink.output_drained();
                        }
                    }
                    Err(e) => return Err(transport::stream_error(&e, "write failed")),
                }
            }
            r = rd.read_buf(&mut rbuf), if !closed && !backlogged => {
                match r {
                    Ok(0) => return Err(Error::new(code::DROPPED, "the server closed the connection")),
                    Ok(_) => sink.batch(&mut || {
                        let freed = {
                            let mut st = engine.state.lock();
                            st.conn.handle_bytes(Instant::now(), &mut rbuf);
                            crate::memory::trim_buffer(&mut rbuf);
                            st.flush(sink);
                            engine.room_freed(&st)
                        };
                        if freed {
                            sink.room_freed();
                        }
                    }),
                    Err(e) => return Err(transport::stream_error(&e, "read failed")),
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

/// Room in the read buffer for the next read. A large packet whose fixed header has arrived
/// gets one buffer of exactly its size, allocated once, rather than growth by chunks, whose
/// capacity doubles as it goes (what that costs then depends on the allocator moving pages
/// instead of copying). Small packets share the usual chunk: a buffer sized to one of them
/// would make every read a read of one packet. The decoder has already refused a packet
/// over the size limit before this can see it.
fn make_room(rbuf: &mut BytesMut) {
    let spare = rbuf.capacity() - rbuf.len();
    match crate::codec::frame_len(rbuf) {
        Some(total) if total > READ_CHUNK && total > rbuf.len() + spare => {
            let mut exact = BytesMut::with_capacity(total);
            exact.extend_from_slice(rbuf);
            *rbuf = exact;
        }
        _ => {
            if spare < READ_CHUNK / 4 {
                rbuf.reserve(READ_CHUNK);
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
