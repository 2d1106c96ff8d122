//! Request/response (MQTT 5.0 section 4.10) over the per-message publish: one response
//! topic per client, subscribed once per connection and shared by every request; unique
//! correlation data per request; a slot per request, freed by its response, its timeout or
//! its caller giving up. And the responder's side: answering a request on its
//! ResponseTopic with its CorrelationData.

use super::completion::Completion;
use super::delivery::{Delivered, Delivery};
use super::event::MessageEvent;
use super::items::message_event;
use super::publish_options::PublishOptions;
use super::shared::Shared;
use super::Mqtt;
use crate::codec::{Properties, QoS, SubscribeFilter};
use crate::error::{code, Error, Result};
use crate::protocol::Message;
use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The requester's state, under `Shared::requests`.
#[derive(Default)]
pub(crate) struct Requests {
    /// Where responses come: chosen at the first request, kept for the client's life.
    topic: Option<String>,
    /// The connection the topic was last subscribed on, and that SUBACK's wait.
    subscribed: Option<(u64, Completion)>,
    /// Requests waiting for their response, by correlation data.
    waiting: HashMap<Bytes, Completion<MessageEvent>>,
    issued: u64,
}

/// One request's place among the waiting; leaving it (response, timeout, the caller
/// dropping the future) frees it.
struct Slot {
    shared: Arc<Shared>,
    key: Bytes,
    done: Completion<MessageEvent>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut r = self.shared.requests.lock();
        if r.waiting.remove(&self.key).is_some() {
            self.shared.requests_waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A request ready to go: its options (with our ResponseTopic and CorrelationData), its
/// slot, and the SUBACK of the response topic when that is still to come.
struct Prepared {
    options: PublishOptions,
    slot: Slot,
    subscribed: Completion,
}

impl Shared {
    /// The network thread's check of each incoming message: the response to a waiting
    /// request completes it instead of becoming a MessageIn. Anything else on the response
    /// topic (a response that came after its request gave up) is delivered as usual.
    pub fn take_response(&self, m: &Message) -> bool {
        if self.requests_waiting.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let Some(key) = m.properties.correlation_data.as_ref() else {
            return false;
        };
        let mut r = self.requests.lock();
        if r.topic.as_deref() != Some(&*m.topic) {
            return false;
        }
        let Some(done) = r.waiting.remove(key) else {
            return false;
        };
        self.requests_waiting.fetch_sub(1, Ordering::SeqCst);
        drop(r);
        done.complete(Ok(message_event(m.clone())));
        true
    }
}

impl Mqtt {
    fn prepare_request(&self, options: &PublishOptions) -> Result<Prepared> {
        let sh = self.sh();
        let (v5, client_id, info) = {
            let p = sh.props.lock();
            (
                p.version == 1,
                p.client_id.clone(),
                p.cfg.connack.response_information.clone(),
            )
        };
        if !v5 {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                "request/response needs MQTT 5.0 (Version 5.0): 3.1.1 has no ResponseTopic or CorrelationData",
            ));
        }
        let own = &options.properties;
        if own.response_topic.is_some() || own.correlation_data.is_some() {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                "a request sets its own ResponseTopic and CorrelationData: leave them out of its properties (use publish_with to send them by hand)",
            ));
        }
        let (engine, sink) = self.connected_link()?;
        let generation = sh.state.lock().link.generation;
        let mut r = sh.requests.lock();
        let topic = r
            .topic
            .get_or_insert_with(|| response_topic(info.as_deref(), &client_id))
            .clone();
        let subscribed = match &r.subscribed {
            Some((g, done)) if *g == generation => done.clone(),
            _ => {
                drop(r);
                // QoS 0: a response is worth something only to a request still waiting,
                // and a held acknowledgement (ManualAck) would have nobody to release it.
                let filter = SubscribeFilter {
                    filter: topic.clone(),
                    qos: QoS::AtMostOnce,
                    no_local: false,
                    retain_as_published: false,
                    retain_handling: 0,
                };
                let done =
                    self.send_subscribe(&engine, &sink, vec![filter], Default::default(), &topic)?;
                r = sh.requests.lock();
                r.subscribed = Some((generation, done.clone()));
                done
            }
        };
        r.issued += 1;
        let mut key = r.issued.to_be_bytes().to_vec();
        key.extend_from_slice(&fastrand::u64(..).to_be_bytes());
        let key = Bytes::from(key);
        let done = Completion::new();
        r.waiting.insert(key.clone(), done.clone());
        sh.requests_waiting.fetch_add(1, Ordering::SeqCst);
        drop(r);
        let mut options = options.clone();
        options.properties.response_topic = Some(topic);
        options.properties.correlation_data = Some(key.clone());
        Ok(Prepared {
            options,
            slot: Slot {
                shared: sh.clone(),
                key,
                done,
            },
            subscribed,
        })
    }

    /// Send a request and wait for its response, on this thread (events fire meanwhile):
    /// publishes `payload` to `topic` with `options` plus a ResponseTopic and a unique
    /// CorrelationData, and returns the message that answers it. Fails with 201 after
    /// `timeout` (the request's slot is freed), with 506 when the server refuses the
    /// request, and with the connection's error when it ends.
    ///
    /// The response topic is the server's Response Information (when CONNACK gave one)
    /// followed by a unique part, else `ferromq/response/<client id>/<random>`; the client
    /// subscribes to it once per connection, at QoS 0. Many requests may be in flight.
    pub fn request(
        &self,
        topic: &str,
        payload: impl Into<Bytes>,
        timeout: Duration,
        options: &PublishOptions,
    ) -> Result<MessageEvent> {
        let deadline = Instant::now() + timeout;
        let what = format!("waiting {timeout:?} for the response to a request on \"{topic}\"");
        let p = self.prepare_request(options)?;
        let sub = p.subscribed.clone();
        self.block_until_deadline(deadline, &what, move || sub.is_done())?;
        if let Some(Err(e)) = p.subscribed.peek() {
            return Err(e);
        }
        let delivery = self.publish_with(topic, payload, &p.options)?;
        let (slot, sent) = (p.slot.done.clone(), delivery.done.clone());
        self.block_until_deadline(deadline, &what, move || {
            slot.is_done() || matches!(sent.peek(), Some(Err(_)))
        })?;
        if let Some(Err(e)) = delivery.result() {
            return Err(e);
        }
        p.slot
            .done
            .peek()
            .unwrap_or_else(|| Err(Error::new(code::BAD_STATE, format!("{what}: no outcome"))))
    }

    /// `request` for faces with their own event loop.
    pub fn request_async(
        &self,
        topic: &str,
        payload: Bytes,
        timeout: Duration,
        options: &PublishOptions,
    ) -> impl Future<Output = Result<MessageEvent>> + Send + 'static {
        let prepared = self.prepare_request(options);
        let me = self.clone();
        let topic = topic.to_string();
        let epoch = self.sh().interrupts.load(Ordering::SeqCst);
        async move {
            let p = prepared?;
            let waiter = me.clone();
            let work = async move {
                p.subscribed.clone().await?;
                me.publish_with_async(&topic, payload, &p.options).await?;
                let response = p.slot.done.clone().await;
                drop(p);
                response
            };
            let what = "waiting for the response to a request";
            let timed_out = move || format!("no response within {timeout:?} to a request");
            waiter
                .bounded_wait(work, timeout, epoch, what, timed_out)
                .await
        }
    }

    /// Answer a request: publish `payload` to its ResponseTopic with its CorrelationData
    /// (and `options`). Refused with 10022 when the message carries no ResponseTopic.
    pub fn respond(
        &self,
        request: &MessageEvent,
        payload: impl Into<Bytes>,
        options: &PublishOptions,
    ) -> Result<Delivery> {
        self.respond_to(&request.topic, &request.properties, payload, options)
    }

    /// `respond` from the two parts of the request it reads, its topic (named in the error
    /// when it is not a request) and its properties: for faces that hold a request in their
    /// own form.
    pub fn respond_to(
        &self,
        request_topic: &str,
        request_properties: &Properties,
        payload: impl Into<Bytes>,
        options: &PublishOptions,
    ) -> Result<Delivery> {
        let (topic, options) = response_for(request_topic, request_properties, options)?;
        self.publish_with(&topic, payload, &options)
    }

    /// `respond` for faces with their own event loop.
    pub fn respond_async(
        &self,
        request: &MessageEvent,
        payload: Bytes,
        options: &PublishOptions,
    ) -> impl Future<Output = Result<Delivered>> + Send + 'static {
        self.respond_to_async(&request.topic, &request.properties, payload, options)
    }

    /// `respond_to` for faces with their own event loop.
    pub fn respond_to_async(
        &self,
        request_topic: &str,
        request_properties: &Properties,
        payload: Bytes,
        options: &PublishOptions,
    ) -> impl Future<Output = Result<Delivered>> + Send + 'static {
        let answer = response_for(request_topic, request_properties, options)
            .map(|(topic, options)| self.publish_with_async(&topic, payload, &options));
        async move { answer?.await }
    }
}

/// Where and with what a response to the request on `request_topic` goes.
fn response_for(
    request_topic: &str,
    request: &Properties,
    options: &PublishOptions,
) -> Result<(String, PublishOptions)> {
    let Some(topic) = request.response_topic.clone() else {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            format!(
                "the message on \"{request_topic}\" has no ResponseTopic, so it is not a request and cannot be answered"
            ),
        ));
    };
    let mut options = options.clone();
    options.properties.correlation_data = request.correlation_data.clone();
    Ok((topic, options))
}

/// A response topic: under the server's Response Information when it gave one, else under
/// our own prefix with the client id (for ACLs written per client) when it is usable in a
/// topic; a random part makes it this client's own.
fn response_topic(info: Option<&str>, client_id: &str) -> String {
    let unique = format!("{:016x}", fastrand::u64(..));
    match info {
        Some(i) if !i.is_empty() => format!("{}/{unique}", i.trim_end_matches('/')),
        _ if !client_id.is_empty() && !client_id.contains(['+', '#', '/', '\0']) => {
            format!("ferromq/response/{client_id}/{unique}")
        }
        _ => format!("ferromq/response/{unique}"),
    }
}

#[cfg(test)]
mod tests {
    use super::response_topic;

    #[test]
    fn the_response_topic_is_under_the_servers_response_information_when_given() {
        let t = response_topic(Some("replies/for/me/"), "c1");
        assert!(
            t.starts_with("replies/for/me/") && t.len() == "replies/for/me/".len() + 16,
            "{t}"
        );
        assert!(response_topic(None, "c1").starts_with("ferromq/response/c1/"));
        assert!(response_topic(Some(""), "c1").starts_with("ferromq/response/c1/"));
        // A client id that cannot stand in a topic is left out.
        for id in ["a+b", "a/b", "#", ""] {
            let t = response_topic(None, id);
            assert!(
                t.starts_with("ferromq/response/") && !t.contains(id) || id.is_empty(),
                "{t}"
            );
            crate::topic::validate_topic_name(&t).unwrap();
        }
        assert_ne!(response_topic(None, "c1"), response_topic(None, "c1"));
    }
}
