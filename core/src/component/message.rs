//! The documented MQTTMessage: what IncomingMessages and OutgoingMessages hold.

use crate::protocol::Message;
use bytes::Bytes;
use std::fmt::Write;

/// One message of IncomingMessages or OutgoingMessages, with the documented fields.
/// The 5.0 fields are empty/0 under 3.1.1.
///
/// ```no_run
/// use ferromq::Mqtt;
///
/// # fn main() -> ferromq::Result<()> {
/// let client = Mqtt::new();
/// client.connect_to("127.0.0.1", 1883)?;
/// client.publish_message("jobs/1", 2, "start")?;
/// // QoS 1 and 2 messages still waiting for their acknowledgements.
/// for m in client.outgoing_messages() {
///     println!("#{} on {} (QoS {}), state {}", m.packet_id, m.topic, m.qos, m.state);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttMessage {
    /// The packet identifier (1..=65535); 0 for QoS 0.
    pub packet_id: i32,
    /// The topic it was published on.
    pub topic: String,
    /// Its QoS: 0, 1 or 2.
    pub qos: i32,
    /// The payload (MessageB); faces derive the text form (Message) from it.
    pub message: Bytes,
    /// The retain flag.
    pub retained: bool,
    /// True when it is a retransmission.
    pub duplicate: bool,
    /// The documented State value 0..=9 (see `protocol::MessageState`).
    pub state: i32,
    /// MQTT 5.0 Content Type ("" when absent).
    pub content_type: String,
    /// Hex, as the OutgoingMessageProperties setting takes it.
    pub correlation_data: String,
    /// MQTT 5.0 Message Expiry Interval in seconds; 0 when absent.
    pub message_exp_interval: i64,
    /// MQTT 5.0 Payload Format Indicator: 0 bytes, 1 UTF-8 text.
    pub payload_format_indicator: i32,
    /// MQTT 5.0 Response Topic ("" when absent).
    pub response_topic: String,
    /// Comma-separated, in the order the server sent them.
    pub subscription_identifiers: String,
    /// MQTT 5.0 Topic Alias; 0 when none.
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
