//! PublishMessage and PublishData, blocking and async: the send buffer's and
//! MaxOutgoingMessages' bounds, "would block", and the order of async publishes. A publish
//! while not connected goes to AutoReconnect's queue (reconnect.rs).

use super::sink::ConnSink;
use super::{config, qos_from, Mqtt};
use crate::codec::{Properties, QoS};
use crate::driver::{self, Engine};
use crate::error::{code, Error, Result};
use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

impl Mqtt {
    // ---- publishing ----

    /// `enqueue_publish`, falling back to the reconnection queue when the connection ended
    /// between looking it up and publishing on it.
    pub(super) fn publish_or_keep(
        &self,
        engine: &Engine,
        sink: &ConnSink,
        topic: &str,
        qos: QoS,
        data: Bytes,
    ) -> Result<()> {
        match self.enqueue_publish(engine, sink, topic, qos, data.clone()) {
            Ok(_) => Ok(()),
            Err(e) if e.code == code::CONNECT_FIRST => {
                self.publish_offline(topic, qos as i32, data, e)
            }
            Err(e) => Err(e),
        }
    }

    /// Hand one PUBLISH to the engine. Returns whether the send buffer is now over its
    /// bound (the message is accepted either way).
    pub(super) fn enqueue_publish(
        &self,
        engine: &Engine,
        sink: &ConnSink,
        topic: &str,
        qos: QoS,
        data: Bytes,
    ) -> Result<bool> {
        let (retain, dup, properties) = {
            let p = self.sh().props.lock();
            let properties = if p.version == 1 {
                config::publish_properties(&p.cfg)
            } else {
                Properties::default()
            };
            (
                p.cfg.retain,
                p.cfg.duplicate && qos != QoS::AtMostOnce,
                properties,
            )
        };
        // A non-blocking caller is told "would block" and owed ReadyToSend; the flag is set
        // under the engine lock so the writer cannot drain the buffer before it is seen.
        let mark = (self.timeout() == 0).then_some(&self.sh().would_block);
        let (id, over, unsaved) = engine.with_over_limit(sink, mark, |c, now| {
            c.publish(now, topic, qos, data, retain, dup, properties)
                .map(|id| (id, c.published()))
        });
        let (id, published) = id?;
        self.sh().announce();
        {
            let mut p = self.sh().props.lock();
            if id != 0 {
                p.cfg.outgoing_packet_id = id as i32;
            }
            p.cfg.session_publish_count = published;
        }
        if let Some(e) = unsaved {
            return Err(Error::new(
                e.code,
                format!(
                    "the message was accepted and will be sent, but SessionAutoSave could not save it: {}",
                    e.message
                ),
            ));
        }
        Ok(over)
    }

    pub(super) fn check_publish(
        &self,
        topic: &str,
        qos: i32,
    ) -> Result<(QoS, Arc<Engine>, Arc<ConnSink>)> {
        let qos = qos_from(qos)?;
        match self.connected_link() {
            Ok((e, s)) => Ok((qos, e, s)),
            Err(e) => {
                crate::topic::validate_topic_name(topic)?;
                Err(e)
            }
        }
    }

    pub fn publish_message(&self, topic: &str, qos: i32, message: &str) -> Result<()> {
        self.publish_data(topic, qos, Bytes::copy_from_slice(message.as_bytes()))
    }

    pub fn publish_data(&self, topic: &str, qos: i32, data: impl Into<Bytes>) -> Result<()> {
        let data = data.into();
        let (qos, engine, sink) = match self.check_publish(topic, qos) {
            Ok(ok) => ok,
            Err(e) if e.code == code::CONNECT_FIRST => {
                return self.publish_offline(topic, qos, data, e)
            }
            Err(e) => return Err(e),
        };
        let timeout = self.timeout();
        if let Some(full) = engine.full(qos) {
            if timeout == 0 {
                return Err(self.refuse_full(full));
            }
            let e = engine.clone();
            self.block_until(timeout, waiting_for(full), move || e.full(qos).is_none())?;
        }
        let over = match self.enqueue_publish(&engine, &sink, topic, qos, data.clone()) {
            Ok(over) => over,
            // The connection ended between looking it up and publishing on it.
            Err(e) if e.code == code::CONNECT_FIRST => {
                return self.publish_offline(topic, qos as i32, data, e)
            }
            Err(e) => return Err(e),
        };
        if over && timeout == 0 {
            return Err(Error::new(
                code::WOULD_BLOCK,
                "the message was accepted and will be sent, but the send buffer is full: wait for ReadyToSend before publishing more",
            ));
        }
        if timeout > 0 {
            self.dispatch_pending();
        }
        Ok(())
    }

    /// A non-blocking publish found no room: it is not accepted, and ReadyToSend is owed.
    fn refuse_full(&self, full: driver::Full) -> Error {
        // Before `would_block`: a drain in between must not announce room that an
        // acknowledgement has to make.
        if !matches!(full, driver::Full::Bytes(_)) {
            self.sh().waiting_for_room.store(true, Ordering::SeqCst);
        }
        self.sh().would_block.store(true, Ordering::SeqCst);
        Error::new(
            code::WOULD_BLOCK,
            format!("{full}; the message was not accepted: publish again after ReadyToSend"),
        )
    }
    /// Resolves once the PUBLISH is in the send buffer (acknowledgements arrive as events).
    /// When the buffer is over its bound it first waits for the socket to take it.
    pub fn publish_data_async(
        &self,
        topic: &str,
        qos: i32,
        data: Bytes,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let timeout = self.timeout();
        // Everything that decides the outcome or the order happens now, at call time, not
        // when the face first polls the future: publishes reach the wire in the order they
        // were called however the face schedules the futures. The message is handed over
        // at once when the gate is free and there is room; otherwise this call takes its
        // place in the gate's FIFO queue now (the first poll of the lock enqueues it), so a
        // later call never overtakes an earlier one that had to wait.
        let mut data = Some(data);
        let mut turn = None;
        let decided = match self.check_publish(topic, qos) {
            // Not connected: AutoReconnect may keep it for the next connection.
            Err(e) if e.code == code::CONNECT_FIRST => {
                Some(self.publish_offline(topic, qos, data.take().unwrap_or_default(), e))
            }
            Err(e) => Some(Err(e)),
            Ok((q, engine, sink)) => {
                let mut lock: Pin<Box<dyn Future<Output = GateTurn> + Send>> =
                    Box::pin(self.sh().publish_gate.clone().lock_owned());
                let first = lock.as_mut().poll(&mut Context::from_waker(
                    futures_util::task::noop_waker_ref(),
                ));
                match (first, engine.full(q)) {
                    (Poll::Ready(_turn), None) => {
                        let d = data.take().unwrap_or_default();
                        Some(self.publish_or_keep(&engine, &sink, topic, q, d))
                    }
                    // Timeout 0: the answer a blocking call gives, at once.
                    (_, Some(full)) if timeout == 0 => Some(Err(self.refuse_full(full))),
                    (first, full) => {
                        let what = full.map_or("waiting for earlier publishes", waiting_for);
                        let place = match first {
                            Poll::Ready(held) => Box::pin(std::future::ready(held)),
                            Poll::Pending => lock,
                        };
                        turn = Some((place, q, engine, sink, what));
                        None
                    }
                }
            }
        };
        let topic = topic.to_string();
        let me = self.clone();
        let epoch = self.sh().interrupts.load(Ordering::SeqCst);
        async move {
            if let Some(r) = decided {
                return r;
            }
            let Some((place, qos, engine, sink, what)) = turn else {
                return Err(Error::new(code::BAD_STATE, "publish: no outcome"));
            };
            let shared = me.sh().clone();
            let publisher = me.clone();
            let wait = async move {
                let _turn = place.await;
                while engine.full(qos).is_some() {
                    // The connection ending notifies this too (see `ConnSink::finish`).
                    let drained = shared.drained.notified();
                    if engine.full(qos).is_none() || !publisher.connected() {
                        break;
                    }
                    drained.await;
                }
                let data = data.unwrap_or_default();
                publisher.publish_or_keep(&engine, &sink, &topic, qos, data)
            };
            me.bounded_wait(wait, timeout, epoch, what).await
        }
    }

    /// Runs `wait` on the runtime (its timers need one; the faces poll from their own
    /// threads) for at most `timeout` seconds (201), ending it early on Interrupt (301).
    /// The wait is cancelled, not left running, when either ends it or the caller drops
    /// the future: a publish given up on must not go out later.
    async fn bounded_wait(
        &self,
        wait: impl Future<Output = Result<()>> + Send + 'static,
        timeout: i32,
        epoch: u64,
        what: &'static str,
    ) -> Result<()> {
        struct AbortOnDrop(tokio::task::AbortHandle);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        // Timeout 0 gets here only behind an earlier waiter, which its own Timeout bounds.
        let limit = Duration::from_secs(timeout.max(1) as u64);
        let task = driver::runtime().spawn(async move { tokio::time::timeout(limit, wait).await });
        let _cancel = AbortOnDrop(task.abort_handle());
        let shared = self.sh().clone();
        let interrupted = shared.interrupted_since(epoch, what);
        let interrupted_now = || shared.interrupts.load(Ordering::SeqCst) != epoch;
        tokio::select! {
            waited = task => match waited {
                // Interrupt closes the connection, which can end the wait first: the
                // failure is then the interrupt's.
                Ok(Err(_)) | Ok(Ok(Err(_))) if interrupted_now() => Err(Error::interrupted(what)),
                Ok(Ok(r)) => r,
                Ok(Err(_)) => Err(Error::new(
                    code::TIMEOUT,
                    format!("timed out after {timeout} s {what}"),
                )),
                Err(e) => Err(Error::new(code::BAD_STATE, format!("publish task failed: {e}"))),
            },
            e = interrupted => Err(e),
        }
    }
}

/// A place in the gate async publishes queue on (see `publish_data_async`).
type GateTurn = tokio::sync::OwnedMutexGuard<()>;

/// What a publish that found no room waits for, for the 201 message.
fn waiting_for(full: driver::Full) -> &'static str {
    match full {
        driver::Full::Outgoing(_) => {
            "waiting for an acknowledgement (MaxOutgoingMessages messages are in flight)"
        }
        _ => "waiting for room in the send buffer",
    }
}
