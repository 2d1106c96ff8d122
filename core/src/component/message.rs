//! The documented MQTTMessage: what IncomingMessages and OutgoingMessages hold.

use crate::protocol::Message;
use bytes::Bytes;
use std::fmt::Write;

/// One message of IncomingMessages or OutgoingMessages, with the documented fields.
/// The 5.0 fields are empty/0 under 3.1.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttMessage {
    pub packet_id: i32,
    pub topic: String,
    pub qos: i32,
    /// The payload (MessageB); faces derive the text form (Message) from it.
    pub message: Bytes,
    pub retained: bool,
    pub duplicate: bool,
    /// The documented State value 0..=9 (see `protocol::MessageState`).
    pub state: i32,
    pub content_type: String,
    /// Hex, as the OutgoingMessageProperties setting takes it.
    pub correlation_data: String,
    pub message_exp_interval: i64,
    pub payload_format_indicator: i32,
    pub response_topic: String,
    /// Comma-separated, in the order the server sent them.
    pub subscription_identifiers: String,
    pub topic_alias: i32,
}

impl From<&Message> for MqttMessage {
    fn from(m: &Message) -> Self {
        let p = &m.properties;
        MqttMessage {
            packet_id: m.packet_id as i32,
            topic: m.topic.to_string(),
            qos: m.qos as i32,
            message: m.payload.clone(),
            retained: m.retain,
            duplicate: m.dup,
            state: m.state as i32,
            content_type: p.content_type.clone().unwrap_or_default(),
            correlation_data: p.correlation_data.as_deref().map(hex).unwrap_or_default(),
            message_exp_interval: p.message_expiry_interval.map(i64::from).unwrap_or(0),
            payload_format_indicator: p.payload_format_indicator.map(i32::from).unwrap_or(0),
            response_topic: p.response_topic.clone().unwrap_or_default(),
            subscription_identifiers: p
                .subscription_identifiers
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(","),
            topic_alias: p.topic_alias.map(i32::from).unwrap_or(0),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}
