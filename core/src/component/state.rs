//! The client's state that is always read and changed together — the connection's life
//! (`Link`), AutoReconnect's memory, the session kept for the next connection and the
//! pending SSLServerAuthentication answer — kept behind one lock (`Shared::state`), the way
//! quinn keeps one `Mutex<State>` per connection.
//!
//! Rules for that lock: it is held briefly, never across an `.await`, never while a user
//! handler or a push-mode notifier runs (handlers call methods of the same client, which
//! take it again). Order: engine → state → mirror → props; nothing takes them the other way.
//! Connect holds it while it reads the connect-time properties, and their setters hold it
//! while they check the phase and write, so a setter either lands before a Connect reads or
//! is refused.
//!
//! AutoReconnect's behaviour (backoff, re-subscribing, the offline queue) is in
//! `reconnect.rs`; only the data it keeps is declared here, with the rest of the state.

use super::completion::Completion;
use super::delivery::Delivered;
use super::sink::ConnSink;
use crate::codec::{Properties, QoS, SubscribeFilter};
use crate::driver::Engine;
use crate::error::Error;
use crate::protocol::SessionState;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Idle,
    Connecting,
    Connected,
}

/// A SUBSCRIBE or UNSUBSCRIBE waiting for its acknowledgement.
pub(crate) struct Ack {
    pub done: Completion,
    /// SUBACK reports one event per filter; the call completes after the last.
    pub remaining: usize,
    /// For Unsubscribed: the filters exactly as the application gave them.
    pub text: String,
}

/// The current connection, and who waits on it.
pub(crate) struct Link {
    pub phase: Phase,
    pub conn: Option<(Arc<Engine>, Arc<ConnSink>)>,
    pub generation: u64,
    pub connect: Option<Completion>,
    pub finished: Vec<Completion>,
    pub acks: HashMap<u16, Ack>,
    /// Acknowledged publishes waiting for their PUBACK / PUBCOMP, with their topic for the
    /// error message (`Shared::awaiting` counts them).
    pub deliveries: HashMap<u16, (Completion<Delivered>, String)>,
    /// Why the connection ended, first reason wins.
    pub close: Option<(i32, String)>,
    pub transport_up: bool,
    /// A detached connection still closing: the next one connects after it has ended.
    pub closing: Option<Completion>,
}

impl Link {
    fn new() -> Self {
        Link {
            phase: Phase::Idle,
            conn: None,
            generation: 0,
            connect: None,
            finished: Vec::new(),
            acks: HashMap::new(),
            deliveries: HashMap::new(),
            close: None,
            transport_up: false,
            closing: None,
        }
    }

    /// The connection is over: everyone waiting on it is released (Connect and pending
    /// SUBACK/UNSUBACK waits fail with `failure`, Disconnect waits succeed).
    pub fn release(&mut self, failure: Error) {
        if let Some(c) = self.connect.take() {
            c.complete(Err(failure.clone()));
        }
        for (_, ack) in self.acks.drain() {
            ack.done.complete(Err(failure.clone()));
        }
        for (id, (done, topic)) in self.deliveries.drain() {
            done.complete(Err(Error::new(
                failure.code,
                format!(
                    "the connection ended before the message to \"{topic}\" (packet id {id}) was acknowledged: {}",
                    failure.message
                ),
            )));
        }
        for c in self.finished.drain(..) {
            c.complete(Ok(()));
        }
        self.transport_up = false;
    }
}

/// One SUBSCRIBE as it was sent, kept to be sent again on a session the server lost.
#[derive(Clone, Debug)]
pub(crate) struct SubscribeRecord {
    pub filters: Vec<SubscribeFilter>,
    pub properties: Properties,
}

/// How one message is sent, fixed when the application publishes it: the per-message
/// options, or the client-wide settings as they were at the call.
pub(crate) struct PublishSpec {
    pub retain: bool,
    pub dup: bool,
    pub properties: Properties,
    /// Who waits for the acknowledgement (`publish_with`); None for the class's publishes.
    pub delivery: Option<Completion<Delivered>>,
}

/// A publish made while the connection was being re-established.
pub(crate) struct OfflinePublish {
    pub topic: String,
    pub qos: QoS,
    pub data: Bytes,
    pub spec: PublishSpec,
}

/// AutoReconnect's memory: the subscriptions as they were sent, the publishes made while
/// reconnecting (bounded), and the attempt count.
#[derive(Default)]
pub(crate) struct Reconnect {
    /// True from the first successful CONNACK until the application disconnects,
    /// interrupts or resets: only then is a lost connection re-established.
    pub armed: bool,
    /// Attempts since the connection was last recovered (see `connected_at`).
    pub attempt: u32,
    /// When the current connection's CONNACK arrived. Its loss resets `attempt` only when
    /// it had stayed up for ReconnectStableTime: a server that accepts and drops us at
    /// once must meet a growing backoff, not the first delay again and again.
    pub connected_at: Option<Instant>,
    /// True while a reconnect is scheduled or in progress.
    pub pending: bool,
    pub subscriptions: Vec<SubscribeRecord>,
    pub offline: VecDeque<OfflinePublish>,
}

/// The TLS handshake waiting for the application's SSLServerAuthentication answer.
#[derive(Default)]
pub(crate) struct AuthAnswer {
    /// The waiting handshake's number and where the answer goes.
    pub waiting: Option<(u64, tokio::sync::oneshot::Sender<bool>)>,
    /// Numbers handshakes that wait for an answer (from 1).
    pub issued: u64,
    /// The number carried by the SSLServerAuthentication event given to the application
    /// last: the one an answer now is about.
    pub delivered: u64,
    /// A push-mode consumer (a face firing events on its own thread) has said it answers
    /// through `Mqtt::answer_server_authentication`.
    pub push_answers: bool,
}

pub(crate) struct State {
    pub link: Link,
    pub reconnect: Reconnect,
    /// The client-side session waiting for the next connection: restored by the
    /// application, or left by the connection that just ended.
    pub session: Option<SessionState>,
    pub auth: AuthAnswer,
    /// The application's handle is gone: nothing is re-established any more.
    pub dropped: bool,
    generations: u64,
}

impl State {
    pub fn new() -> Self {
        State {
            link: Link::new(),
            reconnect: Reconnect::default(),
            session: None,
            auth: AuthAnswer::default(),
            dropped: false,
            generations: 0,
        }
    }

    pub fn connected(&self) -> bool {
        self.link.phase == Phase::Connected
    }

    pub fn next_generation(&mut self) -> u64 {
        self.generations += 1;
        self.generations
    }
}
