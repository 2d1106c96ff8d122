//! AutoReconnect, all of it: after a connection error, connect again with exponential
//! backoff and jitter, subscribe again when the server kept no session, and send what the
//! application published meanwhile (up to OfflineQueueLimit).
//!
//! What it remembers (`Reconnect`) is kept in the client's `State`, under the one lock
//! with the connection it follows; this file holds what it does. It is started from one
//! place, the end of a connection (`Shared::connection_ended`), and stopped by the
//! application's Disconnect, Interrupt or Reset.

use super::event::{ErrorEvent, Event};
use super::shared::Shared;
use super::state::{OfflinePublish, PublishSpec, Reconnect, State, SubscribeRecord};
use super::{qos_from, Mqtt};
use crate::driver;
use crate::error::{code, Error, Result};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

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
        for m in self.offline.drain(..) {
            if let Some(d) = m.spec.delivery {
                d.complete(Err(Error::new(
                    code::NOT_CONNECTED,
                    format!(
                        "the message to \"{}\" waited for a reconnection that will not come: it was not sent",
                        m.topic
                    ),
                )));
            }
        }
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
pub(crate) fn wanted(sh: &Shared, st: &mut State, code: i32) -> bool {
    if code == 0 || st.dropped {
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
    let r = &mut st.reconnect;
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

/// Start the next attempt after its backoff delay (called when a connection ended with an
/// error and reconnecting is wanted).
pub(crate) fn schedule(sh: &Arc<Shared>) {
    let (min, max) = {
        let p = sh.props.lock();
        (p.cfg.reconnect_min_ms, p.cfg.reconnect_max_ms)
    };
    let attempt = {
        let mut st = sh.state.lock();
        let r = &mut st.reconnect;
        if r.pending {
            return;
        }
        r.pending = true;
        r.attempt += 1;
        r.attempt
    };
    let wait = delay(attempt, min, max);
    sh.log(
        1,
        "Reconnect",
        format!(
            "reconnecting in {} ms (attempt {attempt})",
            wait.as_millis()
        ),
    );
    sh.announce();
    let weak = Arc::downgrade(sh);
    driver::runtime().spawn(async move {
        tokio::time::sleep(wait).await;
        let Some(sh) = weak.upgrade() else {
            return;
        };
        {
            let mut st = sh.state.lock();
            st.reconnect.pending = false;
            if !st.reconnect.armed || st.dropped {
                return;
            }
        }
        let client = Mqtt::borrowed(sh.clone());
        match client.start_connect() {
            // A failed attempt ends in `Shared::connection_ended`, which schedules the next.
            Ok(done) => {
                if done.await.is_ok() {
                    client.after_reconnect();
                }
            }
            // The application connected by itself meanwhile: nothing to do.
            Err(e) if e.code == code::ALREADY_CONNECTED || e.code == code::ALREADY_CONNECTING => {}
            Err(e) => {
                sh.log(1, "Reconnect", format!("cannot reconnect: {}", e.message));
                let again = wanted(&sh, &mut sh.state.lock(), e.code);
                if again {
                    schedule(&sh);
                } else {
                    // Always an event: a push face waiting to learn that reconnecting is
                    // over (Node's hold of its process) must be woken even at LogLevel 0.
                    sh.push_event(Event::Error(ErrorEvent {
                        error_code: e.code,
                        description: format!("reconnecting gave up: {}", e.message),
                    }));
                    sh.stop_reconnecting(e.code, "reconnecting gave up");
                }
                sh.announce();
            }
        }
    });
}

impl Shared {
    /// End AutoReconnect's work; publishes it was keeping are reported as not sent (with
    /// `code` and `why`), never dropped silently.
    pub fn stop_reconnecting(&self, code: i32, why: &str) {
        let dropped = self.state.lock().reconnect.disarm();
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
}

impl Mqtt {
    /// True while AutoReconnect is re-establishing a lost connection (waiting out its delay
    /// or attempting): the client will connect again by itself. Settled before the event
    /// that reports the loss (Disconnected, or a failed Connected of an attempt) is queued,
    /// so a face that asks while handling that event gets the final answer; false again once
    /// connected, or when reconnecting ends (gave up, Disconnect, Interrupt, Reset).
    pub fn reconnecting(&self) -> bool {
        let st = self.sh().state.lock();
        st.reconnect.armed && !st.connected()
    }

    /// A publish while not connected: kept for the next connection when AutoReconnect is
    /// re-establishing one (up to OfflineQueueLimit), otherwise refused with `not_connected`.
    pub(super) fn publish_offline(
        &self,
        topic: &str,
        qos: i32,
        data: Bytes,
        spec: PublishSpec,
        not_connected: Error,
    ) -> Result<()> {
        let sh = self.sh();
        let (auto, limit, saving) = {
            let p = sh.props.lock();
            (
                p.cfg.auto_reconnect,
                p.cfg.offline_queue_limit,
                p.cfg.session_auto_save > 0,
            )
        };
        let qos = qos_from(qos)?;
        let mut st = sh.state.lock();
        // The caller found no connection, but one may be up again by now (a blocking publish
        // that waited for room sees the old connection end and the new one come). Once
        // AutoReconnect has sent its queue (`after_reconnect`), nothing would send what is
        // queued now: publish on the connection instead. A queue not sent yet is joined,
        // so the order stays. Tried once: a connection whose end is not reported yet
        // refuses with CONNECT_FIRST again, and the message then waits in the queue for
        // the reconnection that end starts (never a retry loop against it).
        if st.connected() && st.reconnect.offline.is_empty() {
            if let Some((engine, sink)) = st.link.conn.clone() {
                drop(st);
                match self.enqueue_publish(&engine, &sink, topic, qos, data.clone(), &spec) {
                    Err(e) if e.code == code::CONNECT_FIRST => st = sh.state.lock(),
                    done => return done.map(|_over| ()),
                }
            }
        }
        let r = &mut st.reconnect;
        if !(auto && r.armed) {
            return Err(not_connected);
        }
        if saving {
            // The reconnection queue lives in memory only; accepting into it would break
            // the promise that an accepted message is in SessionStateFile.
            return Err(Error::new(
                not_connected.code,
                "not connected, and SessionAutoSave is on: a message is accepted only once it is saved with the session, which happens when the reconnection is up; publish again after the Connected event",
            ));
        }
        if r.offline.len() >= limit {
            return Err(Error::new(
                code::NOT_CONNECTED,
                format!(
                    "not connected and {} message(s) already wait for the reconnection (OfflineQueueLimit {limit}): this one was not accepted",
                    r.offline.len()
                ),
            ));
        }
        r.offline.push_back(OfflinePublish {
            topic: topic.to_string(),
            qos,
            data,
            spec,
        });
        Ok(())
    }

    /// A reconnection succeeded: subscribe again when the server kept no session, then send
    /// what was published while disconnected, in order.
    fn after_reconnect(&self) {
        let sh = self.sh();
        let present = sh.props.lock().cfg.session_present;
        let Ok((engine, sink)) = self.connected_link() else {
            return;
        };
        let subs = if present {
            Vec::new()
        } else {
            sh.state.lock().reconnect.subscriptions.clone()
        };
        let filters: usize = subs.iter().map(|r| r.filters.len()).sum();
        sh.log(
            1,
            "Reconnect",
            if present {
                "reconnected; the server kept the session".to_string()
            } else {
                format!("reconnected without a session; subscribing again to {filters} filter(s)")
            },
        );
        for rec in subs {
            let sent = engine.with(&*sink, |c, now| {
                c.subscribe(now, rec.filters, rec.properties)
            });
            if let Err(e) = sent {
                sh.push_event(Event::Error(ErrorEvent {
                    error_code: e.code,
                    description: format!(
                        "subscribing again after reconnecting failed: {}",
                        e.message
                    ),
                }));
            }
        }
        let queued = std::mem::take(&mut sh.state.lock().reconnect.offline);
        if !queued.is_empty() {
            sh.log(
                1,
                "Reconnect",
                format!(
                    "sending {} message(s) published while reconnecting",
                    queued.len()
                ),
            );
        }
        for m in queued {
            if let Err(e) = self.enqueue_publish(&engine, &sink, &m.topic, m.qos, m.data, &m.spec) {
                if let Some(d) = &m.spec.delivery {
                    d.complete(Err(e.clone()));
                }
                sh.push_event(Event::Error(ErrorEvent {
                    error_code: e.code,
                    description: format!(
                        "a message published while reconnecting to \"{}\" could not be sent: {}",
                        m.topic, e.message
                    ),
                }));
            }
        }
        sh.announce();
    }
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
