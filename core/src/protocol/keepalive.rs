//! Keep-alive deadlines: when to send PINGREQ, and when the server is taken for gone.
//!
//! MQTT only obliges the client to send *something* within each keep-alive interval K, and
//! that alone says nothing about whether the server is still there: a client that publishes
//! steadily to a frozen server would never ping it. So the server is judged by what it sent
//! us, and the rules are:
//!
//! - With no PINGREQ outstanding, PINGREQ goes out when nothing was sent for K (the
//!   specification's rule) or when nothing was received for K (we kept sending, the server
//!   kept quiet).
//! - With a PINGREQ outstanding, the connection is lost once nothing was received for W
//!   after both the PINGREQ and the last packet received, W = max(K/2, 1 s). Any packet
//!   proves the server alive, not only PINGRESP: behind a flood of publishes the PINGRESP
//!   may take a while to reach us. A dead server is thus noticed at most K + W = 1.5 K after
//!   the last packet it sent, whether we were idle or busy (the server itself allows us
//!   1.5 K). The floor of 1 s keeps K = 1 from timing out on a round trip of 0.5 s.
//! - The "nothing sent for K" rule holds even with a PINGREQ outstanding (a server that
//!   answers slowly must still hear from us within K), but only one PINGREQ counts as
//!   outstanding: the W is measured from the first.
//! - While the driver does not read the socket (the application's event queue is full),
//!   nothing the server sends can reach us, so "heard nothing" means nothing: the received
//!   rule and the loss rule are suspended, only the send rule remains. When reading
//!   resumes the server counts as heard from at that instant, so what it sent in the
//!   meantime (its PINGRESP among it) gets a full W to be read.

use std::time::{Duration, Instant};

#[derive(Default)]
pub(crate) struct KeepAlive {
    /// None: keep-alive is off (interval 0).
    interval: Option<Duration>,
    last_sent: Option<Instant>,
    /// The last packet received, or the instant reading resumed if that is later.
    last_received: Option<Instant>,
    /// The first PINGREQ still unanswered.
    ping_sent: Option<Instant>,
    reading_paused: bool,
}

pub(crate) enum KeepAliveAction {
    None,
    /// `silent`: due because nothing was received for K (rather than nothing sent).
    SendPing {
        silent: bool,
    },
    /// The server is presumed gone; `silence` is how long nothing was received.
    TimedOut {
        silence: Duration,
    },
}

impl KeepAlive {
    pub fn set_interval(&mut self, secs: u16) {
        self.interval = (secs > 0).then(|| Duration::from_secs(u64::from(secs)));
    }

    pub fn interval_secs(&self) -> u64 {
        self.interval.map_or(0, |d| d.as_secs())
    }

    /// How long after the PINGREQ (or the last packet received after it) the server is
    /// taken for gone.
    fn loss_wait(&self) -> Option<Duration> {
        self.interval.map(|k| (k / 2).max(Duration::from_secs(1)))
    }

    pub fn on_send(&mut self, now: Instant) {
        self.last_sent = Some(now);
    }

    pub fn on_receive(&mut self, now: Instant) {
        self.last_received = Some(now);
    }

    pub fn on_ping_sent(&mut self, now: Instant) {
        self.ping_sent.get_or_insert(now);
        self.last_sent = Some(now);
    }

    /// True if a PINGREQ was outstanding.
    pub fn on_pingresp(&mut self) -> bool {
        self.ping_sent.take().is_some()
    }

    /// Only a change counts: resuming when reading was not paused does not move anything.
    pub fn set_reading_paused(&mut self, now: Instant, paused: bool) {
        if self.reading_paused == paused {
            return;
        }
        self.reading_paused = paused;
        if !paused {
            self.last_received = Some(self.last_received.map_or(now, |t| t.max(now)));
        }
    }

    /// When PINGREQ is due (see the module comment).
    fn ping_due(&self, interval: Duration) -> Option<(Instant, bool)> {
        let by_send = self.last_sent.map(|t| t + interval);
        let by_silence = match (self.ping_sent, self.reading_paused) {
            (None, false) => self.last_received.map(|t| t + interval),
            _ => None,
        };
        match (by_send, by_silence) {
            (Some(s), Some(r)) if r < s => Some((r, true)),
            (Some(s), _) => Some((s, false)),
            (None, r) => r.map(|r| (r, true)),
        }
    }

    /// When the server is taken for gone; None with no PINGREQ outstanding or while
    /// reading is paused.
    fn lost_at(&self) -> Option<Instant> {
        if self.reading_paused {
            return None;
        }
        let ping = self.ping_sent?;
        let heard = self.last_received.map_or(ping, |r| r.max(ping));
        Some(heard + self.loss_wait()?)
    }

    pub fn deadline(&self) -> Option<Instant> {
        let interval = self.interval?;
        super::earliest(self.ping_due(interval).map(|(t, _)| t), self.lost_at())
    }

    pub fn poll(&self, now: Instant) -> KeepAliveAction {
        let Some(interval) = self.interval else {
            return KeepAliveAction::None;
        };
        if let Some(lost) = self.lost_at() {
            if now >= lost {
                let since = self.last_received.or(self.ping_sent).unwrap_or(now);
                return KeepAliveAction::TimedOut {
                    silence: now.saturating_duration_since(since),
                };
            }
        }
        match self.ping_due(interval) {
            Some((at, silent)) if now >= at => KeepAliveAction::SendPing { silent },
            _ => KeepAliveAction::None,
        }
    }
}
