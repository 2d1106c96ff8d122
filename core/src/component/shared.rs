//! What one client shares between API threads and its connection task.

use super::event::*;
use super::items::{to_event, Item, Mirror};
use super::props::Props;
use super::queue::EventQueue;
use super::state::State;
use super::{EventHandler, EventNotifier, WaitCheck};
use crate::error::Error;
use parking_lot::{Mutex, ReentrantMutex, RwLock};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// How many events may wait for the application before the driver stops reading.
const QUEUE_CAP: usize = 4096;

/// What the application installed to be called back: read on every dispatch, written
/// rarely.
#[derive(Default)]
pub(crate) struct Hooks {
    pub handler: Option<EventHandler>,
    pub notifier: Option<EventNotifier>,
    pub wait_check: Option<WaitCheck>,
}

pub(crate) struct Shared {
    /// The connection's life, AutoReconnect, the kept session and the certificate answer:
    /// one lock (see state.rs for its rules).
    pub state: Mutex<State>,
    pub props: Mutex<Props>,
    pub queue: EventQueue,
    pub hooks: RwLock<Hooks>,
    /// Only one thread fires events at a time, so handlers see them in order; the same
    /// thread may fire again from inside a handler (re-entrancy).
    pub dispatch: ReentrantMutex<()>,
    /// The application's view of the messages in flight, moved by the consumer's thread.
    pub mirror: Mutex<Mirror>,
    /// LogLevel, read by every `log` without a lock.
    pub log_level: AtomicI32,
    /// A non-blocking publish hit the send-buffer bound; ReadyToSend is owed. An atomic
    /// because the engine sets it under its own lock (see `Engine::with_over_limit`).
    pub would_block: AtomicBool,
    /// The bound that refused it was MaxOutgoingMessages (or the packet identifiers): the
    /// owed ReadyToSend waits for an acknowledgement to free a place, since the send buffer
    /// draining does not make the next publish acceptable.
    pub waiting_for_room: AtomicBool,
    /// A ReadyToSend owed after "would block" is in the queue, not yet given out.
    pub ready_queued: AtomicBool,
    /// Notified whenever the send buffer was written out.
    pub drained: Notify,
    /// Async publishes that must wait for room take turns here, in call order.
    pub publish_gate: Arc<tokio::sync::Mutex<()>>,
    /// Counts Interrupt (and Reset) calls; a blocking call ends when it changes.
    pub interrupts: AtomicU64,
    /// Wakes async waiters when `interrupts` changes.
    pub interrupt_notify: Notify,
    /// How many acknowledged publishes wait (`Link::deliveries`); changed only under the
    /// state lock, read without it so that acknowledgements nobody waits for take no lock.
    pub awaiting: AtomicUsize,
    /// Request/response: the response topic and the requests waiting (request.rs).
    pub requests: Mutex<super::request::Requests>,
    /// How many requests wait; changed under `requests`, read without it.
    pub requests_waiting: AtomicUsize,
}

impl Shared {
    pub fn new() -> Self {
        Shared {
            state: Mutex::new(State::new()),
            props: Mutex::new(Props::default()),
            queue: EventQueue::new(QUEUE_CAP),
            hooks: RwLock::new(Hooks::default()),
            dispatch: ReentrantMutex::new(()),
            mirror: Mutex::new(Mirror::default()),
            log_level: AtomicI32::new(1),
            would_block: AtomicBool::new(false),
            waiting_for_room: AtomicBool::new(false),
            ready_queued: AtomicBool::new(false),
            drained: Notify::new(),
            publish_gate: Arc::new(tokio::sync::Mutex::new(())),
            interrupts: AtomicU64::new(0),
            interrupt_notify: Notify::new(),
            awaiting: AtomicUsize::new(0),
            requests: Mutex::new(Default::default()),
            requests_waiting: AtomicUsize::new(0),
        }
    }

    /// Resolves with the 301 an async wait ends with once Interrupt (or Reset) has been
    /// called since `epoch` (a reading of `interrupts` taken when the call was made).
    pub async fn interrupted_since(&self, epoch: u64, what: &str) -> Error {
        loop {
            let wake = self.interrupt_notify.notified();
            if self.interrupts.load(Ordering::SeqCst) != epoch {
                return Error::interrupted(what);
            }
            wake.await;
        }
    }

    pub fn connected(&self) -> bool {
        self.state.lock().connected()
    }

    /// Keep what a connection's engine leaves for the next connection (AutoReconnect, a later
    /// Connect, SaveSession). Both `detach` and the task's end take it, in either order and
    /// possibly at once; whoever comes second finds only an empty session, which must not
    /// replace the messages the first one kept.
    pub fn keep_session(&self, session: crate::protocol::SessionState) {
        let mut st = self.state.lock();
        if session.is_empty() && st.session.is_some() {
            return;
        }
        // An empty session still carries its publish count and next packet id.
        if !session.is_empty() || session.published() > 0 {
            st.session = Some(session);
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
            self.state.lock().auth.delivered = *seq;
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

    /// Tell a push-mode face that events are waiting. Never called with a lock held, so the
    /// notifier may take the face's own locks (the GIL, say).
    pub fn announce(&self) {
        if self.queue.take_unannounced() {
            let n = self.hooks.read().notifier.clone();
            if let Some(n) = n {
                n();
            }
        }
    }
}
