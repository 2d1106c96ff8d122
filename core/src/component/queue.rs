//! The bounded queue between the engine and the application.
//!
//! Producers (the driver task, and API threads for the events their own calls cause) never
//! block; the bound is enforced on the read side instead: when the queue is full the driver
//! stops reading the socket, so a slow application never grows memory without bound.

use super::items::Item;
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::Notify;

pub(crate) struct EventQueue {
    items: Mutex<VecDeque<Item>>,
    ready: Condvar,
    space: Notify,
    cap: usize,
    /// Set when items arrived that a push-mode notifier has not been told about yet.
    unannounced: AtomicBool,
    /// Counts pushes and wake-ups, changed under the lock: `wait` checks its condition
    /// without the lock and then sees here whether anything happened since.
    wakes: AtomicU64,
}

impl EventQueue {
    pub fn new(cap: usize) -> Self {
        EventQueue {
            items: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            space: Notify::new(),
            cap,
            unannounced: AtomicBool::new(false),
            wakes: AtomicU64::new(0),
        }
    }

    pub fn push(&self, item: Item) {
        let mut q = self.items.lock();
        q.push_back(item);
        self.wakes.fetch_add(1, Ordering::AcqRel);
        drop(q);
        self.unannounced.store(true, Ordering::Release);
        self.ready.notify_all();
    }

    pub fn pop(&self) -> Option<Item> {
        let mut q = self.items.lock();
        let item = q.pop_front();
        if item.is_some() && q.len() + 1 == self.cap {
            self.space.notify_one();
        }
        item
    }

    pub fn is_empty(&self) -> bool {
        self.items.lock().is_empty()
    }

    pub fn backlogged(&self) -> bool {
        self.items.lock().len() >= self.cap
    }

    pub fn space(&self) -> &Notify {
        &self.space
    }

    /// True once per batch of new items: the push-mode notifier is called on this.
    pub fn take_unannounced(&self) -> bool {
        self.unannounced.swap(false, Ordering::AcqRel)
    }

    /// Wake every thread blocked in `wait` so it re-checks its condition.
    pub fn wake_all(&self) {
        let _q = self.items.lock();
        self.wakes.fetch_add(1, Ordering::AcqRel);
        self.ready.notify_all();
    }

    /// Block until an item is queued, `done()` holds, or `deadline` passes.
    ///
    /// `done` is asked without the queue lock: it may take the engine lock (a publish waiting
    /// for room asks the engine's backlog), and the driver pushes events while it holds the
    /// engine lock, so asking under the queue lock would invert the order and deadlock.
    /// The wake counter makes up for it: a push or wake-up between the question and the
    /// sleep changes the counter, and the wait asks again instead of sleeping through it.
    pub fn wait(&self, deadline: Option<Instant>, wait_for_items: bool, done: impl Fn() -> bool) {
        loop {
            let seen = self.wakes.load(Ordering::Acquire);
            if done() {
                return;
            }
            let mut q = self.items.lock();
            if wait_for_items && !q.is_empty() {
                return;
            }
            if self.wakes.load(Ordering::Acquire) != seen {
                continue;
            }
            match deadline {
                Some(d) => {
                    if self.ready.wait_until(&mut q, d).timed_out() {
                        return;
                    }
                }
                None => self.ready.wait(&mut q),
            }
        }
    }
}
