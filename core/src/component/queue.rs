//! The bounded queue between the engine and the application.
//!
//! Producers (the driver task, and API threads for the events their own calls cause) never
//! block; the bound is enforced on the read side instead: when the queue is full the driver
//! stops reading the socket, so a slow application never grows memory without bound.

use super::items::Item;
use crate::memory::Trim;
use parking_lot::{Condvar, Mutex};
use std::cell::Cell;
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
    /// A thread holding its wake-ups (`hold_wakes`) pushed or woke: the consumers are
    /// owed one wake-up when it lets go.
    owed: AtomicBool,
}

thread_local! {
    /// The queue whose wake-ups this thread is holding back, by address (0: none).
    static HELD: Cell<usize> = const { Cell::new(0) };
}

/// Until dropped, the thread's pushes and wake-ups of one queue are collected into a single
/// wake-up given on drop (see [`EventQueue::hold_wakes`]).
pub(crate) struct HeldWakes<'a> {
    queue: &'a EventQueue,
    outer: usize,
}

impl Drop for HeldWakes<'_> {
    fn drop(&mut self) {
        HELD.with(|h| h.set(self.outer));
        if self.queue.owed.swap(false, Ordering::AcqRel) {
            self.queue.ready.notify_all();
        }
    }
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
            owed: AtomicBool::new(false),
        }
    }

    pub fn push(&self, item: Item) {
        let mut q = self.items.lock();
        q.push_back(item);
        self.wakes.fetch_add(1, Ordering::AcqRel);
        drop(q);
        self.unannounced.store(true, Ordering::Release);
        self.notify();
    }

    /// Hold this thread's wake-ups of the queue's consumers until the guard drops. The
    /// network thread takes it around handling what it read: a consumer woken at the first
    /// of a read's events, on a loaded core, runs at once, finds the next event not pushed
    /// yet or a lock still held, and sleeps again; woken once at the end it finds them all.
    /// Only the holding thread's own wake-ups wait, and only for as long as it holds.
    pub fn hold_wakes(&self) -> HeldWakes<'_> {
        let me = self as *const EventQueue as usize;
        let outer = HELD.with(|h| h.replace(me));
        HeldWakes { queue: self, outer }
    }

    fn notify(&self) {
        let me = self as *const EventQueue as usize;
        if HELD.with(|h| h.get()) == me {
            self.owed.store(true, Ordering::Release);
        } else {
            self.ready.notify_all();
        }
    }

    pub fn pop(&self) -> Option<Item> {
        let mut q = self.items.lock();
        let item = q.pop_front();
        if item.is_some() && q.len() + 1 == self.cap {
            self.space.notify_one();
        }
        q.trim();
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
        let q = self.items.lock();
        self.wakes.fetch_add(1, Ordering::AcqRel);
        drop(q);
        self.notify();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::event::Event;
    use std::sync::Arc;
    use std::time::Duration;

    fn waiter(q: &Arc<EventQueue>) -> std::thread::JoinHandle<Instant> {
        let q = q.clone();
        std::thread::spawn(move || {
            q.wait(Some(Instant::now() + Duration::from_secs(10)), true, || {
                false
            });
            Instant::now()
        })
    }

    #[test]
    fn held_wakes_are_given_once_the_holder_lets_go() {
        let q = Arc::new(EventQueue::new(100));
        let other = Arc::new(EventQueue::new(100));
        let (w, w_other) = (waiter(&q), waiter(&other));
        std::thread::sleep(Duration::from_millis(50));
        let released = {
            let _held = q.hold_wakes();
            q.push(Item::Event(Event::ReadyToSend));
            q.wake_all();
            // Another queue's consumers are not held back by this thread's hold.
            other.push(Item::Event(Event::ReadyToSend));
            let woke_other = w_other.join().unwrap();
            assert!(woke_other.elapsed() < Duration::from_secs(5));
            std::thread::sleep(Duration::from_millis(100));
            assert!(!w.is_finished(), "woken while the wake-ups were held");
            Instant::now()
        };
        let woke = w.join().unwrap();
        assert!(woke >= released && woke - released < Duration::from_secs(5));
        // The hold is over: a push wakes at once again.
        let w = waiter(&q);
        std::thread::sleep(Duration::from_millis(50));
        q.pop();
        q.pop();
        q.push(Item::Event(Event::ReadyToSend));
        assert!(w.join().unwrap().elapsed() < Duration::from_secs(5));
    }
}
