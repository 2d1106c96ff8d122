//! Subscribe and Unsubscribe, blocking and async.

use super::completion::Completion;
use super::sink::ConnSink;
use super::state::Ack;
use super::state::SubscribeRecord;
use super::{config, qos_from, Mqtt};
use crate::codec::{Properties, QoS, SubscribeFilter};
use crate::driver::Engine;
use crate::error::{code, Error, Result};
use std::future::Future;

impl Mqtt {
    // ---- subscriptions ----

    fn split_filters(&self, topic_filter: &str) -> Result<Vec<String>> {
        let delim = self.sh().props.lock().cfg.topic_delimiter.clone();
        let filters: Vec<String> = topic_filter
            .split(delim.as_str())
            .map(|f| f.trim_matches(' ').to_string())
            .collect();
        if filters.iter().any(|f| f.is_empty()) {
            return Err(Error::new(
                code::INVALID_TOPIC_FILTER,
                format!("topic filter list \"{topic_filter}\" holds an empty filter"),
            ));
        }
        Ok(filters)
    }

    fn start_subscribe(&self, topic_filter: &str, qos: i32) -> Result<Completion> {
        let filters = self.split_filters(topic_filter)?;
        let qos_list = self.sh().props.lock().cfg.topic_qos_array.clone();
        let qos_list = if qos_list.is_empty() {
            vec![qos_from(qos)? as u8; filters.len()]
        } else if qos_list.len() != filters.len() {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "TopicQOSArray has {} values but \"{topic_filter}\" has {} filters",
                    qos_list.len(),
                    filters.len()
                ),
            ));
        } else {
            qos_list
        };
        for f in &filters {
            crate::topic::validate_topic_filter(f)?;
        }
        let (engine, sink) = self.connected_link()?;
        // Subscription options and the identifier exist only in 5.0.
        let (options, properties) = {
            let p = self.sh().props.lock();
            if p.version == 1 {
                (
                    config::subscribe_options(&p.cfg, filters.len())?,
                    config::subscribe_properties(&p.cfg),
                )
            } else {
                (
                    vec![(false, false, 0); filters.len()],
                    Properties::default(),
                )
            }
        };
        let subs: Vec<SubscribeFilter> = filters
            .into_iter()
            .zip(qos_list)
            .zip(options)
            .map(|((filter, q), (nl, rap, rh))| SubscribeFilter {
                filter,
                qos: QoS::from_u8(q).unwrap_or(QoS::AtMostOnce),
                no_local: nl,
                retain_as_published: rap,
                retain_handling: rh,
            })
            .collect();
        self.send_subscribe(&engine, &sink, subs, properties, topic_filter)
    }

    /// Send one SUBSCRIBE and remember it for AutoReconnect; the completion ends at its
    /// SUBACK. `text` is what the Subscribed events' wait is known by.
    pub(super) fn send_subscribe(
        &self,
        engine: &Engine,
        sink: &ConnSink,
        subs: Vec<SubscribeFilter>,
        properties: Properties,
        text: &str,
    ) -> Result<Completion> {
        let count = subs.len();
        let done = Completion::new();
        // The ack entry must exist before SUBACK can possibly be handled, so it is added
        // while the engine lock is held by the same call that sends SUBSCRIBE.
        let record = SubscribeRecord {
            filters: subs.clone(),
            properties: properties.clone(),
        };
        engine.with(sink, |c, now| {
            let id = c.subscribe(now, subs, properties)?;
            self.sh().state.lock().link.acks.insert(
                id,
                Ack {
                    done: done.clone(),
                    remaining: count,
                    text: text.to_string(),
                },
            );
            Ok::<_, Error>(())
        })?;
        self.sh().state.lock().reconnect.subscribed(record);
        self.sh().announce();
        Ok(done)
    }

    /// `topic_filter` holds one or more filters separated by TopicDelimiter (",").
    pub fn subscribe(&self, topic_filter: &str, qos: i32) -> Result<()> {
        let done = self.start_subscribe(topic_filter, qos)?;
        self.finish_blocking(&done, "waiting for SUBACK", false)
    }

    fn start_unsubscribe(&self, topic_filter: &str) -> Result<Completion> {
        let filters = self.split_filters(topic_filter)?;
        for f in &filters {
            crate::topic::validate_topic_filter(f)?;
        }
        let (engine, sink) = self.connected_link()?;
        let done = Completion::new();
        self.sh().state.lock().reconnect.unsubscribed(&filters);
        engine.with(&*sink, |c, now| {
            let id = c.unsubscribe(now, filters, Properties::default())?;
            self.sh().state.lock().link.acks.insert(
                id,
                Ack {
                    done: done.clone(),
                    remaining: 1,
                    text: topic_filter.to_string(),
                },
            );
            Ok::<_, Error>(())
        })?;
        self.sh().announce();
        Ok(done)
    }

    /// Removes the subscriptions in `topic_filter` (one or more filters separated by
    /// TopicDelimiter). With a Timeout it returns once the server answered.
    pub fn unsubscribe(&self, topic_filter: &str) -> Result<()> {
        let done = self.start_unsubscribe(topic_filter)?;
        self.finish_blocking(&done, "waiting for UNSUBACK", false)
    }
    /// [`Mqtt::subscribe`] as a future: resolves when the SUBACK arrived (what the server
    /// granted or refused for each filter comes as the Subscribed event).
    pub fn subscribe_async(
        &self,
        topic_filter: &str,
        qos: i32,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.finish_async(
            self.start_subscribe(topic_filter, qos),
            "waiting for SUBACK",
            false,
        )
    }
    /// [`Mqtt::unsubscribe`] as a future: resolves when the UNSUBACK arrived.
    pub fn unsubscribe_async(
        &self,
        topic_filter: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.finish_async(
            self.start_unsubscribe(topic_filter),
            "waiting for UNSUBACK",
            false,
        )
    }
}
