//! Keep-alive deadlines.
//!
//! MQTT only requires the client to send *something* within each keep-alive interval, so
//! the ping timer is measured from the last packet we sent; received traffic does not
//! postpone it. The PINGRESP wait is one keep-alive interval long: the specification only
//! asks for "a reasonable amount of time", and the interval is the one time span both
//! sides already agreed on (the server itself gives up after 1.5 intervals of silence).

use std::time::{Duration, Instant};

#[derive(Default)]
pub(crate) struct KeepAlive {
    /// None: keep-alive is off (interval 0).
    interval: Option<Duration>,
    last_sent: Option<Instant>,
    ping_sent: Option<Instant>,
}

pub(crate) enum KeepAliveAction {
    None,
    SendPing,
    TimedOut,
}

impl KeepAlive {
    pub fn set_interval(&mut self, secs: u16) {
        self.interval = (secs > 0).then(|| Duration::from_secs(u64::from(secs)));
    }

    pub fn interval_secs(&self) -> u64 {
        self.interval.map_or(0, |d| d.as_secs())
    }

    pub fn on_send(&mut self, now: Instant) {
        self.last_sent = Some(now);
    }

    pub fn on_ping_sent(&mut self, now: Instant) {
        self.ping_sent = Some(now);
        self.last_sent = Some(now);
    }

    /// True if a PINGREQ was outstanding.
    pub fn on_pingresp(&mut self) -> bool {
        self.ping_sent.take().is_some()
    }

    pub fn deadline(&self) -> Option<Instant> {
        let interval = self.interval?;
        match self.ping_sent {
            Some(p) => Some(p + interval),
            None => self.last_sent.map(|t| t + interval),
        }
    }

    pub fn poll(&self, now: Instant) -> KeepAliveAction {
        match self.deadline() {
            Some(d) if now >= d => {
                if self.ping_sent.is_some() {
                    KeepAliveAction::TimedOut
                } else {
                    KeepAliveAction::SendPing
                }
            }
            _ => KeepAliveAction::None,
        }
    }
}
