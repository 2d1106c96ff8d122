//! Publishing, blocking and async, in the class's form (PublishMessage, PublishData: the
//! client-wide Retain, Duplicate and OutgoingMessageProperties) and per message
//! (`publish_with`: options given with the call, and the acknowledgement awaited): the send
//! buffer's and MaxOutgoingMessages' bounds, "would block", and the order of async
//! publishes. A publish while not connected goes to AutoReconnect's queue (reconnect.rs).

use super::completion::Completion;
use super::delivery::{Delivered, Delivery};
use super::publish_options::{check_message_properties, PublishOptions};
use super::sink::ConnSink;
use super::state::PublishSpec;
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

    /// How a class-form publish is sent: the client-wide settings as they are now, at the
    /// call (a message waiting for room or for a reconnection keeps them).
    fn class_spec(&self, qos: i32) -> PublishSpec {
        let p = self.sh().props.lock();
        PublishSpec {
            retain: p.cfg.retain,
            dup: p.cfg.duplicate && qos != 0,
            properties: if p.version == 1 {
                config::publish_properties(&p.cfg)
            } else {
                Properties::default()
            },
            delivery: None,
        }
    }

    /// How a `publish_with` is sent, after checking its options (before anything is sent).
    fn options_spec(
        &self,
        options: &PublishOptions,
    ) -> Result<(PublishSpec, Completion<Delivered>)> {
        qos_from(options.qos)?;
        if !options.properties.is_empty() {
            if self.sh().props.lock().version != 1 {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    "publish properties need MQTT 5.0 (Version 5.0); this client speaks 3.1.1",
                ));
            }
            check_message_properties(&options.properties)?;
        }
        let done = Completion::new();
        Ok((
            PublishSpec {
                retain: options.retain,
                dup: false,
                properties: options.properties.clone(),
                delivery: Some(done.clone()),
            },
            done,
        ))
    }

    /// `enqueue_publish`, falling back to the reconnection queue when the connection ended
    /// between looking it up and publishing on it.
    pub(super) fn publish_or_keep(
        &self,
        engine: &Engine,
        sink: &ConnSink,
        topic: &str,
        qos: QoS,
        data: Bytes,
        spec: PublishSpec,
    ) -> Result<()> {
        match self.enqueue_publish(engine, sink, topic, qos, data.clone(), &spec) {
            Ok(_) => Ok(()),
            Err(e) if e.code == code::CONNECT_FIRST => {
                self.publish_offline(topic, qos as i32, data, spec, e)
            }
            Err(e) => Err(e),
        }
    }

    /// Hand one PUBLISH to the engine. Returns whether the send buffer is now over its
    /// bound (the message is accepted either way). A waited-for publish is registered in
    /// the same engine turn that queues it, so its acknowledgement cannot come first.
    pub(super) fn enqueue_publish(
        &self,
        engine: &Engine,
        sink: &ConnSink,
        topic: &str,
        qos: QoS,
        data: Bytes,
        spec: &PublishSpec,
    ) -> Result<bool> {
        // A non-blocking caller is told "would block" and owed ReadyToSend; the flag is set
        // under the engine lock so the writer cannot drain the buffer before it is seen.
        let mark = (self.timeout() == 0).then_some(&self.sh().would_block);
        let (id, over, unsaved) = engine.with_over_limit(sink, mark, |c, now| {
            let dup = spec.dup && qos != QoS::AtMostOnce;
            let id = c.publish(
                now,
                topic,
                qos,
                data,
                spec.retain,
                dup,
                spec.properties.clone(),
            );
            if let (Ok(id), Some(done)) = (&id, &spec.delivery) {
                self.await_delivery(*id, topic, done);
            }
            id.map(|id| (id, c.published()))
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

    /// Called under the engine lock (its order is before the state lock's).
    fn await_delivery(&self, packet_id: u16, topic: &str, done: &Completion<Delivered>) {
        if packet_id == 0 {
            // QoS 0: complete once handed to the connection's send buffer.
            done.complete(Ok(Delivered::WRITTEN));
            return;
        }
        let mut st = self.sh().state.lock();
        st.link
            .deliveries
            .insert(packet_id, (done.clone(), topic.to_string()));
        self.sh().awaiting.fetch_add(1, Ordering::SeqCst);
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

    /// Publishes `message` (UTF-8 text) on `topic` with QoS 0, 1 or 2, using the client-wide
    /// settings (retain flag, outgoing properties). Returns once the message is accepted for
    /// sending; its acknowledgement arrives as the MessageAck and MessageOut events. A bad topic
    /// or QoS fails with the documented code before anything is sent.
    pub fn publish_message(&self, topic: &str, qos: i32, message: &str) -> Result<()> {
        self.publish_data(topic, qos, Bytes::copy_from_slice(message.as_bytes()))
    }

    /// [`Mqtt::publish_message`] with a binary payload.
    pub fn publish_data(&self, topic: &str, qos: i32, data: impl Into<Bytes>) -> Result<()> {
        let spec = self.class_spec(qos);
        self.publish_blocking(topic, qos, data.into(), spec)
    }

    /// Publish one message with its own options (retain, QoS, MQTT 5.0 properties),
    /// leaving the client-wide settings alone; safe from many threads at once. Returns
    /// once the message is accepted, as PublishData does; the returned [`Delivery`] then
    /// gives its acknowledgement (`wait()` on this thread, or `.await`).
    ///
    /// ```no_run
    /// # fn main() -> ferromq::Result<()> {
    /// use ferromq::{Mqtt, PublishOptions};
    /// let m = Mqtt::new();
    /// m.connect_to("localhost", 1883)?;
    /// let acked = m.publish_with("sensors/1", "21.5", &PublishOptions { qos: 1, ..Default::default() })?.wait()?;
    /// println!("PUBACK for packet {} with reason {}", acked.packet_id, acked.reason_code);
    /// # Ok(()) }
    /// ```
    pub fn publish_with(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        options: &PublishOptions,
    ) -> Result<Delivery> {
        let (spec, done) = self.options_spec(options)?;
        self.publish_blocking(topic, options.qos, payload.into(), spec)?;
        Ok(Delivery {
            done,
            client: self.clone(),
        })
    }

    /// `publish_with` for faces with their own event loop: resolves when the message is
    /// complete for its QoS (written, PUBACK, PUBCOMP) with its packet id and reason code.
    /// Accepting it follows `publish_data_async` (order kept, bounded by Timeout); the
    /// wait for the acknowledgement is bounded by Timeout too (none when Timeout is 0).
    pub fn publish_with_async(
        &self,
        topic: &str,
        payload: Bytes,
        options: &PublishOptions,
    ) -> impl Future<Output = Result<Delivered>> + Send + 'static {
        let prepared = self.options_spec(options);
        let (accepted, acked) = match prepared {
            Ok((spec, done)) => (
                Some(self.publish_spec_async(topic, options.qos, payload, spec)),
                self.finish_async(Ok(done), "waiting for the publish's acknowledgement", false),
            ),
            Err(e) => (
                None,
                self.finish_async(Err(e), "waiting for the publish's acknowledgement", false),
            ),
        };
        async move {
            if let Some(accepted) = accepted {
                accepted.await?;
            }
            acked.await
        }
    }

    fn publish_blocking(
        &self,
        topic: &str,
        qos: i32,
        data: Bytes,
        spec: PublishSpec,
    ) -> Result<()> {
        let (qos, engine, sink) = match self.check_publish(topic, qos) {
            Ok(ok) => ok,
            Err(e) if e.code == code::CONNECT_FIRST => {
                return self.publish_offline(topic, qos, data, spec, e)
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
        let over = match self.enqueue_publish(&engine, &sink, topic, qos, data.clone(), &spec) {
            Ok(over) => over,
            // The connection ended between looking it up and publishing on it.
            Err(e) if e.code == code::CONNECT_FIRST => {
                return self.publish_offline(topic, qos as i32, data, spec, e)
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
        let spec = self.class_spec(qos);
        self.publish_spec_async(topic, qos, data, spec)
    }

    fn publish_spec_async(
        &self,
        topic: &str,
        qos: i32,
        data: Bytes,
        spec: PublishSpec,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let mut spec = Some(spec);
        let take_spec = |s: &mut Option<PublishSpec>| {
            s.take().unwrap_or(PublishSpec {
                retain: false,
                dup: false,
                properties: Properties::default(),
                delivery: None,
            })
        };
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
            Err(e) if e.code == code::CONNECT_FIRST => Some(self.publish_offline(
                topic,
                qos,
                data.take().unwrap_or_default(),
                take_spec(&mut spec),
                e,
            )),
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
                        Some(self.publish_or_keep(
                            &engine,
                            &sink,
                            topic,
                            q,
                            d,
                            take_spec(&mut spec),
                        ))
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
                let spec = take_spec(&mut spec);
                publisher.publish_or_keep(&engine, &sink, &topic, qos, data, spec)
            };
            // Timeout 0 gets here only behind an earlier waiter, which its own Timeout
            // bounds.
            let limit = Duration::from_secs(timeout.max(1) as u64);
            let timed_out = move || format!("timed out after {timeout} s {what}");
            me.bounded_wait(wait, limit, epoch, what, timed_out).await
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
