//! "The connection ended": the one sequence that frees the client, tells the application
//! and releases everyone waiting, whether the connection's task ended by itself
//! (`ConnSink::finish`) or the application cut it loose (`Mqtt::detach`, for Interrupt and
//! Reset).

use super::event::*;
use super::reconnect;
use super::shared::Shared;
use super::state::{Phase, State};
use crate::driver::Engine;
use crate::error::{code, Error};
use parking_lot::MutexGuard;
use std::sync::Arc;

pub(crate) enum Ending {
    /// The task ended; how the connection closed, first reason wins (None: it just
    /// stopped). A failure may be followed by AutoReconnect.
    Finished(Option<(i32, String)>),
    /// Interrupt or Reset detached it: a close on purpose for a connection that was up,
    /// a failure with `code` for an attempt and for everyone waiting.
    Detached { code: i32, why: &'static str },
}

/// What the events and the released waiters say.
struct Outcome {
    /// Disconnected's status (and an Error event when not 0).
    status: i32,
    /// The failed Connected's status, for an attempt that never got CONNACK.
    attempt_status: i32,
    /// The error Connect, Subscribe and Unsubscribe waits fail with.
    failure: i32,
    text: String,
    /// The task's end logs it and may reconnect; a detach does neither (AutoReconnect was
    /// stopped by its caller).
    from_task: bool,
}

impl Ending {
    fn outcome(self) -> Outcome {
        match self {
            Ending::Finished(close) => {
                let (code, text) = close.unwrap_or((code::DROPPED, "the connection ended".into()));
                Outcome {
                    status: code,
                    attempt_status: if code == 0 { code::DROPPED } else { code },
                    failure: if code == 0 { code::NOT_CONNECTED } else { code },
                    text,
                    from_task: true,
                }
            }
            Ending::Detached { code, why } => Outcome {
                status: 0,
                attempt_status: code,
                failure: code,
                text: format!("the connection was closed: {why}"),
                from_task: false,
            },
        }
    }
}

impl Shared {
    /// Keep what the engine holds in flight for the next connection (AutoReconnect, a later
    /// Connect, or SaveSession). Called with no other lock held: the engine lock comes
    /// before the state lock.
    pub fn keep_engine_session(&self, engine: &Engine) {
        let session = engine.state.lock().conn.end_and_take_session();
        self.keep_session(session);
    }

    /// The current connection is over. `st` is the state lock, taken by a caller that made
    /// sure the connection is still the current one; it is let go before AutoReconnect is
    /// scheduled.
    pub fn connection_ended(self: &Arc<Self>, mut st: MutexGuard<'_, State>, ending: Ending) {
        let o = ending.outcome();
        let was_connected = st.link.phase == Phase::Connected;
        st.link.phase = Phase::Idle;
        st.link.conn = None;
        // Async publishes waiting for room re-check and end instead of waiting for a drain
        // that will not come.
        self.drained.notify_waiters();
        // Decided before the events below are queued, so a face that asks
        // `Mqtt::reconnecting` when it handles them gets the final answer.
        let again = o.from_task && reconnect::wanted(self, &mut st, o.status);
        let given_up = (o.from_task && !again && o.status != 0).then(|| st.reconnect.disarm());
        if was_connected {
            if o.status != 0 {
                self.push_event(Event::Error(ErrorEvent {
                    error_code: o.status,
                    description: o.text.clone(),
                }));
            }
            if st.link.transport_up {
                self.push_event(Event::ConnectionStatus(ConnectionStatusEvent {
                    connection_event: "Remote host disconnected".into(),
                    status_code: o.status,
                    description: o.text.clone(),
                }));
            }
            if o.from_task {
                self.log(1, "Info", format!("disconnected: {}", o.text));
            }
            self.push_event(Event::Disconnected(DisconnectedEvent {
                status_code: o.status,
                description: o.text.clone(),
            }));
        } else {
            if o.from_task {
                self.log(1, "Info", format!("connection failed: {}", o.text));
            }
            self.push_event(Event::Connected(ConnectedEvent {
                status_code: o.attempt_status,
                description: o.text.clone(),
            }));
        }
        st.link.release(Error::new(o.failure, o.text));
        self.awaiting.store(0, std::sync::atomic::Ordering::SeqCst);
        self.props.lock().cfg.bound = None;
        drop(st);
        if again {
            reconnect::schedule(self);
        } else if let Some(dropped) = given_up {
            self.report_unsent(dropped, o.status, "reconnecting gave up");
        }
    }
}
