//! What the API threads and the driver task share for one connection.

use crate::codec::QoS;
use crate::error::Error;
use crate::protocol::{Connection, ProtocolEvent, SessionState};
use bytes::{Buf, BytesMut};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use tokio::sync::Notify;

/// Where the driver sends what happens. Implemented by the component layer.
pub trait EventSink: Send + Sync + 'static {
    /// Called with the engine lock held, in protocol order, by whichever thread drained it.
    fn protocol_event(&self, event: ProtocolEvent);
    /// Transport milestones (connected, failed, lost, finished).
    fn link_event(&self, event: LinkEvent);
    /// True when the application has fallen behind; the driver then stops reading.
    fn backlogged(&self) -> bool;
    /// Notified when the backlog has room again.
    fn backlog_space(&self) -> &Notify;
    /// Called when the output buffer has been written out completely.
    fn output_drained(&self);
    /// Called when acknowledgements freed room a publisher waited for (packet identifiers,
    /// MaxOutgoingMessages).
    fn room_freed(&self) {
        self.output_drained()
    }
    /// Called with no lock held after a batch of events was forwarded, so a push-mode
    /// consumer can be told without risking a lock-order inversion.
    fn announce(&self);
    /// Run `step` with the consumers' wake-ups it causes given once, when it is over, rather
    /// than one per event while locks are still held (the network thread's input handling).
    fn batch(&self, step: &mut dyn FnMut()) {
        step()
    }
    /// The session could not be auto-saved (once per run of failures; called with the
    /// engine lock held).
    fn session_save_failed(&self, error: Error);
}

/// Where an auto-saved session goes (SessionStateFile, for the component).
pub type SaveFn = Box<dyn Fn(&SessionState) -> Result<(), Error> + Send>;

/// Writes the session wherever it is kept whenever it changed (SessionAutoSave).
///
/// `flush` runs it under the engine lock after encoding and before the writer can take the
/// bytes: the server never sees a PUBLISH, PUBREC or PUBCOMP whose session state is not
/// saved yet, so a process killed at any moment restarts from a file that is at least as
/// far as the wire.
pub struct AutoSave {
    write: SaveFn,
    last: Option<SessionState>,
    failing: bool,
}

impl AutoSave {
    /// Saves through `write` whenever the session changes.
    pub fn new(write: SaveFn) -> Self {
        AutoSave {
            write,
            last: None,
            failing: false,
        }
    }

    /// Save `conn`'s session unless it equals the one saved last.
    fn save(&mut self, conn: &Connection, sink: &dyn EventSink) -> Option<Error> {
        let session = conn.session();
        if self.last.as_ref() == Some(&session) {
            return None;
        }
        match (self.write)(&session) {
            Ok(()) => {
                self.last = Some(session);
                self.failing = false;
                None
            }
            Err(e) => {
                // `last` stays: the next flush tries again.
                if !self.failing {
                    self.failing = true;
                    sink.session_save_failed(e.clone());
                }
                Some(e)
            }
        }
    }
}

/// What happens to the link under the protocol: transport up, closed, task finished. The
/// component turns these into the documented events.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The byte stream is up (after any proxy, TLS and WebSocket steps); CONNECT is being
    /// sent. `tls` says what the handshake settled.
    TransportUp {
        /// Our end of the TCP connection.
        local: std::net::SocketAddr,
        /// What the TLS handshake settled, when TLS is in use.
        tls: Option<Box<crate::transport::TlsInfo>>,
    },
    /// The transport could not be established.
    ConnectFailed(Error),
    /// The transport broke while the protocol was not closed.
    Lost(Error),
    /// The task has ended; nothing more will come for this connection.
    Finished,
}

/// What the engine's lock guards: the state machine and the bytes waiting to be written.
pub struct EngineState {
    /// The connection's state machine.
    pub conn: Connection,
    /// Encoded packets not yet handed to the socket.
    pub out: BytesMut,
    /// Saves the session to its file after changes (SessionFile), when set.
    pub autosave: Option<AutoSave>,
    /// Plain TCP only: the socket, for writing from the thread that produced the bytes
    /// (`Engine::send`). Set by the task while it runs.
    pub direct: Option<crate::transport::shared_tcp::DirectWriter>,
    /// The deadline the task sleeps until (keep-alive, acknowledgement timeouts), as it
    /// last read it: a step that moves it earlier must wake the task.
    pub armed: Option<Instant>,
}

impl EngineState {
    /// Encode what the state machine queued and forward its events, in order; then
    /// auto-save the session if that is on. Returns the save's failure, if any.
    pub fn flush(&mut self, sink: &dyn EventSink) -> Option<Error> {
        self.conn.poll_transmit(&mut self.out);
        while let Some(ev) = self.conn.poll_event() {
            sink.protocol_event(ev);
        }
        match &mut self.autosave {
            Some(a) => a.save(&self.conn, sink),
            None => None,
        }
    }
}

/// Above this many packet identifiers in use, publishing waits as it does for a full send
/// buffer: held-back publishes take their id when accepted, so a fast producer of small
/// messages would otherwise run out of the 65 535 ids (error 501) before the bytes reach
/// `out_limit`. The rest stay free for SUBSCRIBE and UNSUBSCRIBE.
pub const ID_ROOM: usize = 65_000;

/// What a publish waits for (see [`Engine::full`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// Bytes waiting for the socket (encoded, or held back by the send window).
    Bytes(usize),
    /// Packet identifiers in use.
    Ids(usize),
    /// QoS 1/2 publishes kept (MaxOutgoingMessages reached).
    Outgoing(usize),
}

impl std::fmt::Display for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Full::Bytes(n) => write!(f, "the send buffer is full ({n} bytes waiting)"),
            Full::Ids(n) => write!(f, "{n} packet identifiers are in use"),
            Full::Outgoing(n) => write!(
                f,
                "{n} QoS 1/2 messages are already in flight or waiting to be sent (MaxOutgoingMessages)"
            ),
        }
    }
}

/// At most this many encoded bytes are written from the caller's thread (`Engine::send`).
const DIRECT_MAX: usize = 64 * 1024;

/// One client's engine: the state machine behind a lock, shared between the application's
/// threads and the driver task, and the flags they signal each other with.
pub struct Engine {
    /// The state machine and output buffer, behind a lock.
    pub state: Mutex<EngineState>,
    /// A publisher waits for packet ids or for one of the MaxOutgoingMessages to complete:
    /// the driver announces room when acknowledgements free some (no write may follow that
    /// would report the drain).
    pub room_wanted: AtomicBool,
    /// Someone waits for the send buffer to drain: a publisher found it full, or a
    /// non-blocking one was told "would block". Only then does a caller's direct write
    /// report the drain; the task reports every drain, as it always did.
    pub drain_wanted: AtomicBool,
    /// Wakes the task: output to write, a new deadline, or an abort.
    pub wake: Notify,
    /// Set to stop the task at once, without a DISCONNECT.
    pub abort: AtomicBool,
    /// Above this many buffered output bytes a non-blocking publish reports "would block".
    pub out_limit: usize,
    /// The task holds bytes it took from `out` and has not written yet: nobody else may
    /// write to the socket, or those bytes would be overtaken. Set under the state lock.
    pub writing: AtomicBool,
}

impl Engine {
    /// An engine around `conn`; a non-blocking publish reports "would block" above `out_limit`
    /// buffered bytes.
    pub fn new(conn: Connection, out_limit: usize, autosave: Option<AutoSave>) -> Self {
        Engine {
            state: Mutex::new(EngineState {
                conn,
                out: BytesMut::new(),
                autosave,
                direct: None,
                armed: None,
            }),
            wake: Notify::new(),
            room_wanted: AtomicBool::new(false),
            drain_wanted: AtomicBool::new(false),
            abort: AtomicBool::new(false),
            out_limit,
            writing: AtomicBool::new(false),
        }
    }

    /// The task announces the events a step queued when it wakes; without a wake, tell a
    /// push-mode consumer here (no lock held, as `announce` requires).
    fn woken(&self, wake: bool, sink: &dyn EventSink) {
        if wake {
            self.wake.notify_one();
        } else {
            sink.announce();
        }
    }

    /// After a step on the caller's thread: on plain TCP, when the task holds nothing
    /// unwritten, write what the step encoded straight to the socket instead of waking the
    /// task to do it. A round trip then costs no thread switch on the way out, and a burst
    /// no wake-up per packet. Returns whether the task must still wake: bytes remain (the
    /// socket is full, or failed: the task reports that), or the step moved its deadline
    /// earlier or closed the protocol.
    fn send(&self, st: &mut EngineState, sink: &dyn EventSink) -> bool {
        if st.out.is_empty() {
            return true;
        }
        let Some(sock) = st.direct.as_ref() else {
            return true;
        };
        // Large writes gain nothing from skipping a wake-up, and one write call under the
        // lock must stay short: the task reads acknowledgements under the same lock.
        if st.out.len() > DIRECT_MAX || self.writing.load(Ordering::SeqCst) {
            return true;
        }
        match sock.try_write(&st.out) {
            Ok(n) => {
                st.out.advance(n);
                crate::memory::trim_buffer(&mut st.out);
            }
            // WouldBlock, or a failure the task will meet and report.
            Err(_) => return true,
        }
        if !st.out.is_empty() {
            return true;
        }
        // Per publish otherwise: a queue lock and a broadcast to the client's waiters.
        if self.drain_wanted.swap(false, Ordering::SeqCst) {
            sink.output_drained();
        }
        st.conn.is_closed()
            || match (st.conn.poll_timeout(), st.armed) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(new), Some(armed)) => new < armed,
            }
    }

    /// Run `f` on the state machine, then encode and forward what it produced, and write it
    /// (see `send`) or wake the task to.
    pub fn with<R>(
        &self,
        sink: &dyn EventSink,
        f: impl FnOnce(&mut Connection, Instant) -> R,
    ) -> R {
        let (r, wake) = {
            let mut st = self.state.lock();
            let r = f(&mut st.conn, Instant::now());
            st.flush(sink);
            (r, self.send(&mut st, sink))
        };
        self.woken(wake, sink);
        r
    }

    /// `with`, then, if more than `out_limit` bytes now wait for the socket, set `over` (if given)
    /// before the lock is released: the writer, which drains the buffer under the same lock
    /// and then reports `output_drained`, can only see the mark once it is set. Also
    /// returns the auto-save's failure of this step, if any.
    pub fn with_over_limit<R>(
        &self,
        sink: &dyn EventSink,
        over: Option<&AtomicBool>,
        f: impl FnOnce(&mut Connection, Instant) -> R,
    ) -> (R, bool, Option<Error>) {
        let (r, wake) = {
            let mut st = self.state.lock();
            let r = f(&mut st.conn, Instant::now());
            let saved = st.flush(sink);
            let wake = self.send(&mut st, sink);
            let is_over = st.out.len() + st.conn.held_bytes() > self.out_limit;
            if let (true, Some(flag)) = (is_over, over) {
                flag.store(true, Ordering::SeqCst);
                self.drain_wanted.store(true, Ordering::SeqCst);
            }
            ((r, is_over, saved), wake)
        };
        self.woken(wake, sink);
        r
    }

    /// Queue bytes for the socket as they are (SendCustomPacket), after what is queued.
    pub fn write_raw(&self, bytes: &[u8]) {
        self.state.lock().out.extend_from_slice(bytes);
        self.wake.notify_one();
    }

    /// Bytes waiting to go out: encoded in the send buffer, or held back by the send
    /// window. Publishing pushes back on the application above `out_limit` of these.
    pub fn backlog(&self) -> usize {
        let st = self.state.lock();
        st.out.len() + st.conn.held_bytes()
    }

    /// Whether a publish at `qos` must wait, and why: the send buffer is over its bound,
    /// nearly every packet identifier is taken (see `ID_ROOM`), or (QoS 1/2) the
    /// connection already keeps MaxOutgoingMessages publishes.
    pub fn full(&self, qos: QoS) -> Option<Full> {
        let st = self.state.lock();
        let bytes = st.out.len() + st.conn.held_bytes();
        if bytes >= self.out_limit {
            self.drain_wanted.store(true, Ordering::SeqCst);
            return Some(Full::Bytes(bytes));
        }
        let ids = st.conn.ids_in_use();
        if ids >= ID_ROOM {
            self.room_wanted.store(true, Ordering::SeqCst);
            return Some(Full::Ids(ids));
        }
        if qos != QoS::AtMostOnce && st.conn.outgoing_full() {
            self.room_wanted.store(true, Ordering::SeqCst);
            return Some(Full::Outgoing(st.conn.outgoing_len()));
        }
        None
    }

    /// After input was handled: true (once) when a publisher waited for room (packet ids,
    /// MaxOutgoingMessages) and acknowledgements have freed some.
    pub fn room_freed(&self, st: &EngineState) -> bool {
        self.room_wanted.load(Ordering::SeqCst)
            && st.conn.ids_in_use() < ID_ROOM
            && !st.conn.outgoing_full()
            && self.room_wanted.swap(false, Ordering::SeqCst)
    }

    /// Bytes encoded and not yet handed to the socket.
    pub fn out_len(&self) -> usize {
        self.state.lock().out.len()
    }

    /// Stop the task at once, without a DISCONNECT.
    pub fn abort(&self) {
        self.abort.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// True once `abort` was called.
    pub fn aborted(&self) -> bool {
        self.abort.load(Ordering::SeqCst)
    }
}
