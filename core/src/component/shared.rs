//! The state one client shares between API threads and its connection task, and the sink
//! through which the task reports into it.

use super::certificate::Certificate;
use super::completion::Completion;
use super::config::Negotiated;
use super::event::*;
use super::items::{to_event, Item, Mirror};
use super::props::Props;
use super::queue::EventQueue;
use super::reconnect::{self, Reconnect};
use super::{EventHandler, EventNotifier, WaitCheck};
use crate::driver::{Engine, EventSink, LinkEvent};
use crate::error::{code, Error};
use crate::protocol::ProtocolEvent;
use parking_lot::{Mutex, ReentrantMutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// How many events may wait for the application before the driver stops reading.
const QUEUE_CAP: usize = 4096;

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

pub(crate) struct Link {
    pub phase: Phase,
    pub conn: Option<(Arc<Engine>, Arc<ConnSink>)>,
    pub generation: u64,
    pub connect: Option<Completion>,
    pub finished: Vec<Completion>,
    pub acks: HashMap<u16, Ack>,
    /// Why the connection ended, first reason wins.
    pub close: Option<(i32, String)>,
    pub transport_up: bool,
    /// A detached connection still closing: the next one connects after it has ended.
    pub closing: Option<Completion>,
}

impl Link {
    /// The connection is over: everyone waiting on it is released (Connect and pending
    /// SUBACK/UNSUBACK waits fail with `failure`, Disconnect waits succeed) and what described
    /// the live connection is cleared. Shared by a task that ended and by a detach.
    pub fn release(&mut self, failure: Error) {
        if let Some(c) = self.connect.take() {
            c.complete(Err(failure.clone()));
        }
        for (_, ack) in self.acks.drain() {
            ack.done.complete(Err(failure.clone()));
        }
        for c in self.finished.drain(..) {
            c.complete(Ok(()));
        }
        self.transport_up = false;
    }
}

pub(crate) struct Shared {
    pub props: Mutex<Props>,
    pub queue: EventQueue,
    pub handler: RwLock<Option<EventHandler>>,
    pub notifier: RwLock<Option<EventNotifier>>,
    pub wait_check: RwLock<Option<WaitCheck>>,
    pub link: Mutex<Link>,
    pub connected: AtomicBool,
    /// Only one thread fires events at a time, so handlers see them in order; the same
    /// thread may fire again from inside a handler (re-entrancy).
    pub dispatch: ReentrantMutex<()>,
    pub mirror: Mutex<Mirror>,
    pub log_level: AtomicI32,
    /// A non-blocking publish hit the send-buffer bound; ReadyToSend is owed.
    pub would_block: AtomicBool,
    /// The bound that refused it was MaxOutgoingMessages (or the packet identifiers): the
    /// owed ReadyToSend waits for an acknowledgement to free a place, since the send buffer
    /// draining does not make the next publish acceptable.
    pub waiting_for_room: AtomicBool,
    /// Notified whenever the send buffer was written out.
    pub drained: Notify,
    /// Async publishes that must wait for room take turns here, in call order.
    pub publish_gate: Arc<tokio::sync::Mutex<()>>,
    /// Counts Interrupt (and Reset) calls; a blocking call ends when it changes.
    pub interrupts: AtomicU64,
    /// Wakes async waiters when `interrupts` changes.
    pub interrupt_notify: Notify,
    /// A ReadyToSend owed after "would block" is in the queue, not yet given out.
    pub ready_queued: AtomicBool,
    /// AutoReconnect's memory: subscriptions, publishes made while reconnecting, attempts.
    pub reconnect: Mutex<Reconnect>,
    /// The application's handle is gone: nothing is re-established any more.
    pub dropped: AtomicBool,
    /// The client-side session waiting for the next connection: restored by the
    /// application, or left by the connection that just ended.
    pub session: Mutex<Option<crate::protocol::SessionState>>,
    /// The TLS handshake waiting for the application's SSLServerAuthentication answer: its
    /// number and where the answer goes.
    pub auth_answer: Mutex<Option<(u64, tokio::sync::oneshot::Sender<bool>)>>,
    /// Numbers handshakes that wait for an answer (from 1).
    pub auth_issued: AtomicU64,
    /// The number carried by the SSLServerAuthentication event given to the application
    /// last: the one an answer now is about.
    pub auth_delivered: AtomicU64,
    /// A push-mode consumer (a face firing events on its own thread) has said it answers
    /// SSLServerAuthentication through `Mqtt::answer_server_authentication`.
    pub push_answers_auth: AtomicBool,
    generations: AtomicU64,
}

impl Shared {
    /// Resolves with the 301 an async wait ends with once Interrupt (or Reset) has been
    /// called since `epoch` (a reading of `interrupts` taken when the call was made).
    pub async fn interrupted_since(&self, epoch: u64, what: &str) -> Error {
        loop {
            let wake = self.interrupt_notify.notified();
            if self.interrupts.load(Ordering::SeqCst) != epoch {
                return Error::new(code::INTERRUPTED, format!("interrupted while {what}"));
            }
            wake.await;
        }
    }

    pub fn new() -> Self {
        Shared {
            props: Mutex::new(Props::default()),
            queue: EventQueue::new(QUEUE_CAP),
            handler: RwLock::new(None),
            notifier: RwLock::new(None),
            wait_check: RwLock::new(None),
            link: Mutex::new(Link {
                phase: Phase::Idle,
                conn: None,
                generation: 0,
                connect: None,
                finished: Vec::new(),
                acks: HashMap::new(),
                close: None,
                transport_up: false,
                closing: None,
            }),
            connected: AtomicBool::new(false),
            dispatch: ReentrantMutex::new(()),
            mirror: Mutex::new(Mirror::default()),
            log_level: AtomicI32::new(1),
            would_block: AtomicBool::new(false),
            waiting_for_room: AtomicBool::new(false),
            drained: Notify::new(),
            publish_gate: Arc::new(tokio::sync::Mutex::new(())),
            interrupts: AtomicU64::new(0),
            interrupt_notify: Notify::new(),
            ready_queued: AtomicBool::new(false),
            reconnect: Mutex::new(Reconnect::default()),
            dropped: AtomicBool::new(false),
            session: Mutex::new(None),
            auth_answer: Mutex::new(None),
            auth_issued: AtomicU64::new(0),
            auth_delivered: AtomicU64::new(0),
            push_answers_auth: AtomicBool::new(false),
            generations: AtomicU64::new(0),
        }
    }

    pub fn next_generation(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Keep what a connection's engine leaves for the next connection (AutoReconnect, a later
    /// Connect, SaveSession). Both `detach` and the task's end take it, in either order and
    /// possibly at once; whoever comes second finds only an empty session, which must not
    /// replace the messages the first one kept.
    pub fn keep_session(&self, session: crate::protocol::SessionState) {
        let mut kept = self.session.lock();
        if session.is_empty() && kept.is_some() {
            return;
        }
        // An empty session still carries its publish count and next packet id.
        if !session.is_empty() || session.published() > 0 {
            *kept = Some(session);
        }
    }

    pub fn push_event(&self, ev: Event) {
        self.queue.push(Item::Event(ev));
    }

    pub fn log(&self, level: i32, log_type: &str, message: impl Into<String>) {
        if level <= self.log_level.load(Ordering::Relaxed) {
            self.push_event(Event::Log(LogEvent {
                log_level: level,
                message: message.into(),
                log_type: log_type.to_string(),
            }));
        }
    }

    /// Turn a queue item into the documented event it stands for, on the consumer's thread,
    /// moving the in-flight view and the last message's user properties in step.
    pub fn convert(&self, item: Item) -> Option<Event> {
        if let Item::Auth(seq, _) = &item {
            self.auth_delivered.store(*seq, Ordering::SeqCst);
        }
        let level = self.log_level.load(Ordering::Relaxed);
        let mut props = None;
        let ev = to_event(item, &mut self.mirror.lock(), level, &mut |p| {
            // Only the user properties are kept, so only they are copied.
            props = Some(crate::codec::Properties {
                user_properties: p.user_properties.clone(),
                ..Default::default()
            });
        });
        if let Some(p) = props {
            super::config::record_incoming_message(&mut self.props.lock().cfg, &p);
        }
        if matches!(ev, Some(Event::ReadyToSend)) && self.ready_queued.swap(false, Ordering::SeqCst)
        {
            self.would_block.store(false, Ordering::SeqCst);
        }
        ev
    }

    /// End AutoReconnect's work; publishes it was keeping are reported as not sent (with
    /// `code` and `why`), never dropped silently.
    pub fn stop_reconnecting(&self, code: i32, why: &str) {
        let dropped = self.reconnect.lock().disarm();
        self.report_unsent(dropped, code, why);
    }

    /// The Error event for publishes that were waiting for a reconnection that will not come.
    pub fn report_unsent(&self, dropped: usize, code: i32, why: &str) {
        if dropped > 0 {
            self.push_event(Event::Error(ErrorEvent {
                error_code: code,
                description: format!(
                    "{dropped} message(s) published while reconnecting were not sent: {why}"
                ),
            }));
        }
    }

    /// Tell a push-mode face that events are waiting. Never called with a lock held, so the
    /// notifier may take the face's own locks (the GIL, say).
    pub fn announce(&self) {
        if self.queue.take_unannounced() {
            let n = self.notifier.read().clone();
            if let Some(n) = n {
                n();
            }
        }
    }
}

/// The sink of one connection. It carries the connection's generation so that a task
/// that outlived a newer connection cannot touch that connection's state.
pub(crate) struct ConnSink {
    pub shared: Arc<Shared>,
    pub generation: u64,
    /// Completed when this connection's task has ended, whether or not it is still the
    /// current one (a detached connection may still be writing its DISCONNECT).
    pub ended: Completion,
}

impl ConnSink {
    fn current(&self, link: &Link) -> bool {
        link.generation == self.generation
    }
}

impl EventSink for ConnSink {
    fn protocol_event(&self, event: ProtocolEvent) {
        let sh = &self.shared;
        match &event {
            ProtocolEvent::Connected { connack } => {
                let mut link = sh.link.lock();
                if !self.current(&link) {
                    return;
                }
                link.phase = Phase::Connected;
                sh.connected.store(true, Ordering::SeqCst);
                {
                    let mut r = sh.reconnect.lock();
                    r.armed = true;
                    r.connected_at = Some(std::time::Instant::now());
                }
                {
                    let mut p = sh.props.lock();
                    super::config::record_connack(&mut p.cfg, connack);
                    if let Some(id) = &connack.properties.assigned_client_identifier {
                        p.client_id.clone_from(id);
                    }
                }
                sh.log(1, "Info", "connected: CONNACK accepted");
                sh.push_event(Event::Connected(ConnectedEvent {
                    status_code: 0,
                    description: "OK".into(),
                }));
                sh.push_event(Event::ReadyToSend);
                if let Some(c) = link.connect.take() {
                    c.complete(Ok(()));
                }
                // A blocking waiter may have taken the events above already and gone back
                // to sleep on the queue: completing alone would not wake it.
                sh.queue.wake_all();
                return;
            }
            ProtocolEvent::DisconnectReceived { reason, properties } => {
                let link = sh.link.lock();
                if self.current(&link) {
                    super::config::record_server_disconnect(
                        &mut sh.props.lock().cfg,
                        *reason,
                        properties,
                    );
                }
                return;
            }
            ProtocolEvent::Closed { code, reason } => {
                let mut link = sh.link.lock();
                if self.current(&link) && link.close.is_none() {
                    link.close = Some((*code, reason.clone()));
                }
                return;
            }
            ProtocolEvent::Unsubscribed { packet_id, codes } => {
                let mut link = sh.link.lock();
                if let Some(ack) = link.acks.remove(packet_id) {
                    sh.push_event(Event::Unsubscribed(UnsubscribedEvent {
                        topic_filters: ack.text,
                        response_code: codes.first().copied().unwrap_or(0) as i32,
                    }));
                    ack.done.complete(Ok(()));
                    sh.queue.wake_all();
                }
                return;
            }
            _ => {}
        }
        let finished_sub = match &event {
            ProtocolEvent::Subscribed { packet_id, .. } => Some(*packet_id),
            _ => None,
        };
        sh.queue.push(Item::Proto(event));
        if let Some(id) = finished_sub {
            let mut link = sh.link.lock();
            let done = match link.acks.get_mut(&id) {
                Some(ack) => {
                    ack.remaining = ack.remaining.saturating_sub(1);
                    ack.remaining == 0
                }
                None => false,
            };
            if done {
                if let Some(ack) = link.acks.remove(&id) {
                    ack.done.complete(Ok(()));
                    sh.queue.wake_all();
                }
            }
        }
    }

    fn link_event(&self, event: LinkEvent) {
        let sh = &self.shared;
        match event {
            LinkEvent::TransportUp { local, tls } => {
                let mut link = sh.link.lock();
                if self.current(&link) {
                    link.transport_up = true;
                    // A new connection keeps none of the old one's messages in flight: the
                    // next drain may announce room again.
                    sh.waiting_for_room.store(false, Ordering::SeqCst);
                    let mut p = sh.props.lock();
                    p.cfg.bound = Some(local);
                    if let Some(tls) = tls {
                        if let Some(cert) = tls.server_cert() {
                            p.ssl_server_cert = Certificate::from_info(cert.clone());
                        }
                        p.cfg.negotiated = Some(Box::new(Negotiated {
                            cipher: tls.cipher.clone(),
                            cipher_strength: tls.cipher_strength,
                            cipher_suite: tls.cipher_suite.clone(),
                            key_exchange: tls.key_exchange.clone(),
                            key_exchange_strength: tls.key_exchange_strength,
                            version: tls.version.clone(),
                        }));
                    }
                    drop(p);
                    // The transport's observer reported each step (ConnectionStatus).
                    sh.log(2, "Info", format!("connection up (local address {local})"));
                }
            }
            LinkEvent::ConnectFailed(e) | LinkEvent::Lost(e) => {
                let mut link = sh.link.lock();
                if self.current(&link) && link.close.is_none() {
                    link.close = Some((e.code, e.message));
                }
            }
            LinkEvent::Finished => {
                self.finish();
                self.ended.complete(Ok(()));
            }
        }
        sh.queue.wake_all();
        sh.announce();
    }

    fn backlogged(&self) -> bool {
        self.shared.queue.backlogged()
    }

    fn backlog_space(&self) -> &Notify {
        self.shared.queue.space()
    }

    fn output_drained(&self) {
        let sh = &self.shared;
        // The property turns true when the application is given the event (`convert`),
        // not here on the network thread: otherwise it could read true before the event.
        if sh.would_block.load(Ordering::SeqCst)
            && !sh.waiting_for_room.load(Ordering::SeqCst)
            && !sh.ready_queued.swap(true, Ordering::SeqCst)
        {
            sh.push_event(Event::ReadyToSend);
        }
        sh.drained.notify_waiters();
        sh.queue.wake_all();
    }

    fn room_freed(&self) {
        self.shared.waiting_for_room.store(false, Ordering::SeqCst);
        self.output_drained();
    }

    fn announce(&self) {
        self.shared.announce();
    }

    fn batch(&self, step: &mut dyn FnMut()) {
        let _held = self.shared.queue.hold_wakes();
        step()
    }

    fn session_save_failed(&self, error: Error) {
        self.shared.push_event(Event::Error(ErrorEvent {
            error_code: error.code,
            description: format!(
                "SessionAutoSave: {}; the session stays in memory and is saved again at its next change",
                error.message
            ),
        }));
    }
}

impl ConnSink {
    /// The task is over: report how it ended and release everyone waiting on it.
    fn finish(&self) {
        let sh = &self.shared;
        // Keep what is still in flight for the next connection (AutoReconnect, a later
        // Connect, or SaveSession). The engine lock is taken alone: its order is before the
        // link lock, which is taken right after.
        let engine = {
            let link = sh.link.lock();
            if !self.current(&link) {
                return;
            }
            link.conn.as_ref().map(|(e, _)| e.clone())
        };
        if let Some(engine) = engine {
            let session = engine.state.lock().conn.end_and_take_session();
            sh.keep_session(session);
        }
        let mut link = sh.link.lock();
        if !self.current(&link) {
            return;
        }
        let (code, reason) = link
            .close
            .take()
            .unwrap_or((code::DROPPED, "the connection ended".into()));
        let was_connected = link.phase == Phase::Connected;
        link.phase = Phase::Idle;
        link.conn = None;
        sh.connected.store(false, Ordering::SeqCst);
        // Async publishes waiting for room re-check and end instead of waiting for a drain
        // that will not come.
        sh.drained.notify_waiters();
        // Decided before the events below are queued, so a face that asks
        // `Mqtt::reconnecting` when it handles them gets the final answer.
        let again = reconnect::wanted(sh, code);
        let given_up = (!again && code != 0).then(|| sh.reconnect.lock().disarm());
        if was_connected {
            if code != 0 {
                sh.push_event(Event::Error(ErrorEvent {
                    error_code: code,
                    description: reason.clone(),
                }));
            }
            if link.transport_up {
                sh.push_event(Event::ConnectionStatus(ConnectionStatusEvent {
                    connection_event: "Remote host disconnected".into(),
                    status_code: code,
                    description: reason.clone(),
                }));
            }
            sh.log(1, "Info", format!("disconnected: {reason}"));
            sh.push_event(Event::Disconnected(DisconnectedEvent {
                status_code: code,
                description: reason.clone(),
            }));
        } else {
            let code = if code == 0 { code::DROPPED } else { code };
            sh.log(1, "Info", format!("connection failed: {reason}"));
            sh.push_event(Event::Connected(ConnectedEvent {
                status_code: code,
                description: reason.clone(),
            }));
        }
        let failure = Error::new(if code == 0 { code::NOT_CONNECTED } else { code }, reason);
        link.release(failure);
        sh.props.lock().cfg.bound = None;
        drop(link);
        if again {
            super::schedule_reconnect(sh);
        } else if let Some(dropped) = given_up {
            sh.report_unsent(dropped, code, "reconnecting gave up");
        }
    }
}
