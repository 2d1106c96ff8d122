//! What the API threads and the driver task share for one connection.

use crate::error::Error;
use crate::protocol::{Connection, ProtocolEvent};
use bytes::BytesMut;
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
    /// Called with no lock held after a batch of events was forwarded, so a push-mode
    /// consumer can be told without risking a lock-order inversion.
    fn announce(&self);
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The TCP connection is up; CONNECT is being sent.
    TransportUp { local: String },
    /// The transport could not be established.
    ConnectFailed(Error),
    /// The transport broke while the protocol was not closed.
    Lost(Error),
    /// The task has ended; nothing more will come for this connection.
    Finished,
}

pub struct EngineState {
    pub conn: Connection,
    /// Encoded packets not yet handed to the socket.
    pub out: BytesMut,
}

impl EngineState {
    /// Encode what the state machine queued and forward its events, in order.
    pub fn flush(&mut self, sink: &dyn EventSink) {
        self.conn.poll_transmit(&mut self.out);
        while let Some(ev) = self.conn.poll_event() {
            sink.protocol_event(ev);
        }
    }
}

pub struct Engine {
    pub state: Mutex<EngineState>,
    /// Wakes the task: output to write, a new deadline, or an abort.
    pub wake: Notify,
    pub abort: AtomicBool,
    /// Above this many buffered output bytes a non-blocking publish reports "would block".
    pub out_limit: usize,
}

impl Engine {
    pub fn new(conn: Connection, out_limit: usize) -> Self {
        Engine {
            state: Mutex::new(EngineState {
                conn,
                out: BytesMut::new(),
            }),
            wake: Notify::new(),
            abort: AtomicBool::new(false),
            out_limit,
        }
    }

    /// Run `f` on the state machine, then encode and forward what it produced and wake the
    /// task to write it.
    pub fn with<R>(
        &self,
        sink: &dyn EventSink,
        f: impl FnOnce(&mut Connection, Instant) -> R,
    ) -> R {
        let r = {
            let mut st = self.state.lock();
            let r = f(&mut st.conn, Instant::now());
            st.flush(sink);
            r
        };
        self.wake.notify_one();
        r
    }

    /// `with`, then, if more than `out_limit` bytes now wait for the socket, set `over` (if given)
    /// before the lock is released: the writer, which drains the buffer under the same lock
    /// and then reports `output_drained`, can only see the mark once it is set.
    pub fn with_over_limit<R>(
        &self,
        sink: &dyn EventSink,
        over: Option<&AtomicBool>,
        f: impl FnOnce(&mut Connection, Instant) -> R,
    ) -> (R, bool) {
        let r = {
            let mut st = self.state.lock();
            let r = f(&mut st.conn, Instant::now());
            st.flush(sink);
            let is_over = st.out.len() + st.conn.held_bytes() > self.out_limit;
            if let (true, Some(flag)) = (is_over, over) {
                flag.store(true, Ordering::SeqCst);
            }
            (r, is_over)
        };
        self.wake.notify_one();
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

    pub fn out_len(&self) -> usize {
        self.state.lock().out.len()
    }

    /// Stop the task at once, without a DISCONNECT.
    pub fn abort(&self) {
        self.abort.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn aborted(&self) -> bool {
        self.abort.load(Ordering::SeqCst)
    }
}
