//! The one loop that fires pending events on the caller's thread: take one event, hand it
//! to the face, and when it was an SSLServerAuthentication answer the waiting handshake
//! with the `accept` the handlers left. Pull mode (DoEvents, blocking waits), Python's
//! asyncio pump and C's push-mode `mqtt_do_events` all fire through here.

use super::Mqtt;
use crate::component::event::Event;
use std::time::Instant;

/// What one [`Mqtt::fire_events`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    /// How many events were fired.
    pub count: usize,
    /// It stopped at `max` or at the deadline, so events may be left for another round;
    /// false when it stopped because none were left.
    pub more: bool,
}

impl Mqtt {
    /// Fires pending events through `fire`, one taken at a time (taking an event moves the
    /// in-flight collections along, so each is handled before the next is taken), until
    /// none are left, `max` have fired, or `until` has passed. The first event is fired
    /// whatever the deadline, so a slow handler never stops all progress. After an
    /// SSLServerAuthentication the handshake gets its answer: the event's `accept` as
    /// `fire` left it.
    ///
    /// Only one thread should fire a client's events at a time; the caller holds its own
    /// turn (the pull loop's dispatch lock, a face's push lock, the GIL).
    pub fn fire_events(
        &self,
        max: usize,
        until: Option<Instant>,
        mut fire: impl FnMut(&mut Event),
    ) -> Fired {
        let mut count = 0;
        while count < max {
            if count > 0 && until.is_some_and(|t| Instant::now() >= t) {
                return Fired { count, more: true };
            }
            let Some(mut ev) = self.take_one() else {
                return Fired { count, more: false };
            };
            count += 1;
            fire(&mut ev);
            if let Event::SslServerAuthentication(a) = &ev {
                self.answer_server_authentication(a.accept);
            }
        }
        Fired { count, more: true }
    }

    /// The next pending event, converted; None when the queue is empty.
    fn take_one(&self) -> Option<Event> {
        let sh = self.sh();
        loop {
            let item = sh.queue.pop()?;
            if let Some(ev) = sh.convert(item) {
                return Some(ev);
            }
        }
    }
}
