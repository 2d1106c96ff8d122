//! AutoReconnect: after a connection error, connect again with exponential backoff and
//! jitter, restore the subscriptions when the server kept no session, and send what the
//! application published meanwhile.
//!
//! What is remembered lives in `Reconnect` (one per client, in `Shared`): the subscriptions
//! as they were sent, the publishes made while reconnecting (bounded), and the attempt count.

use super::shared::Shared;
use crate::codec::{Properties, QoS, SubscribeFilter};
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Duration;

/// One SUBSCRIBE as it was sent, kept to be sent again on a session the server lost.
#[derive(Clone, Debug)]
pub(crate) struct SubscribeRecord {
    pub filters: Vec<SubscribeFilter>,
    pub properties: Properties,
}

/// A publish made while the connection was being re-established.
pub(crate) struct OfflinePublish {
    pub topic: String,
    pub qos: QoS,
    pub data: Bytes,
}

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
    pub connected_at: Option<std::time::Instant>,
    /// True while a reconnect is scheduled or in progress.
    pub pending: bool,
    pub subscriptions: Vec<SubscribeRecord>,
    pub offline: VecDeque<OfflinePublish>,
}

impl Reconnect {
    /// Remember a SUBSCRIBE (a filter subscribed again replaces its earlier options).
    pub fn subscribed(&mut self, record: SubscribeRecord) {
        for r in &mut self.subscriptions {
            r.filters
                .retain(|f| !record.filters.iter().any(|n| n.filter == f.filter));
        }
        self.subscriptions.retain(|r| !r.filters.is_empty());
        self.subscriptions.push(record);
    }

    pub fn unsubscribed(&mut self, filters: &[String]) {
        for r in &mut self.subscriptions {
            r.filters.retain(|f| !filters.contains(&f.filter));
        }
        self.subscriptions.retain(|r| !r.filters.is_empty());
    }

    /// The application ended the connection on purpose: nothing more is re-established
    /// and nothing queued for it is kept.
    pub fn disarm(&mut self) -> usize {
        self.armed = false;
        self.pending = false;
        self.attempt = 0;
        self.connected_at = None;
        let dropped = self.offline.len();
        self.offline.clear();
        dropped
    }
}

/// The delay before attempt `attempt` (1-based): doubling from `min` up to `max`, then a
/// random point in its upper half ("equal jitter"), so clients that lost one broker at the
/// same moment do not all come back at the same moment.
pub(crate) fn delay(attempt: u32, min_ms: u64, max_ms: u64) -> Duration {
    let max_ms = max_ms.max(min_ms);
    let exp = min_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(30));
    let cap = exp.min(max_ms);
    let half = cap / 2;
    Duration::from_millis(half + fastrand::u64(0..=cap - half))
}

/// Whether a connection that just ended (with `code`) is to be re-established.
pub(crate) fn wanted(sh: &Shared, code: i32) -> bool {
    if code == 0 || sh.dropped.load(std::sync::atomic::Ordering::SeqCst) {
        return false;
    }
    let (auto, max_attempts, stable) = {
        let p = sh.props.lock();
        (
            p.cfg.auto_reconnect,
            p.cfg.reconnect_max_attempts,
            Duration::from_millis(p.cfg.reconnect_stable_ms),
        )
    };
    let mut r = sh.reconnect.lock();
    if let Some(up) = r.connected_at.take() {
        let lasted = up.elapsed();
        if lasted >= stable {
            r.attempt = 0;
        } else if r.armed && auto {
            sh.log(
                1,
                "Reconnect",
                format!(
                    "the connection ended {} ms after its CONNACK, sooner than ReconnectStableTime: the backoff goes on from attempt {}",
                    lasted.as_millis(),
                    r.attempt
                ),
            );
        }
    }
    auto && r.armed && (max_attempts == 0 || r.attempt < max_attempts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        for _ in 0..200 {
            let d1 = delay(1, 500, 30_000).as_millis();
            assert!((250..=500).contains(&d1), "{d1}");
            let d4 = delay(4, 500, 30_000).as_millis();
            assert!((2000..=4000).contains(&d4), "{d4}");
            let d20 = delay(20, 500, 30_000).as_millis();
            assert!((15_000..=30_000).contains(&d20), "{d20}");
            let huge = delay(u32::MAX, 500, 30_000).as_millis();
            assert!(huge <= 30_000);
        }
    }
}
