//! The packets, as plain data. `Properties` are ignored when encoding for 3.1.1 and are
//! always empty after decoding 3.1.1.

use super::properties::Properties;
use bytes::Bytes;
use bytestring::ByteString;

/// The protocol level byte of CONNECT: 4 for 3.1.1, 5 for 5.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// MQTT 3.1.1 (protocol level 4).
    V311,
    /// MQTT 5.0 (protocol level 5).
    V5,
}

impl Protocol {
    /// The level byte sent in CONNECT: 4 or 5.
    pub fn level(self) -> u8 {
        match self {
            Protocol::V311 => 4,
            Protocol::V5 => 5,
        }
    }
}

/// Quality of service of a message: how hard the client and server try to deliver it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QoS {
    /// QoS 0: sent once, never acknowledged; may be lost.
    AtMostOnce = 0,
    /// QoS 1: acknowledged by PUBACK; may arrive more than once.
    AtLeastOnce = 1,
    /// QoS 2: four-packet handshake; arrives exactly once.
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for 0, 1 or 2; `None` for any other number.
    pub fn from_u8(v: u8) -> Option<QoS> {
        match v {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

/// One MQTT control packet, decoded or to be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// CONNECT: the client opens a session.
    Connect(Box<Connect>),
    /// CONNACK: the server accepts or refuses the CONNECT.
    ConnAck(ConnAck),
    /// PUBLISH: an application message, in either direction.
    Publish(Publish),
    /// PUBACK: acknowledges a QoS 1 PUBLISH.
    PubAck(PubResp),
    /// PUBREC: first answer to a QoS 2 PUBLISH.
    PubRec(PubResp),
    /// PUBREL: answers PUBREC, releasing a QoS 2 message.
    PubRel(PubResp),
    /// PUBCOMP: ends the QoS 2 handshake.
    PubComp(PubResp),
    /// SUBSCRIBE: asks for messages matching filters.
    Subscribe(Subscribe),
    /// SUBACK: the server's answer to SUBSCRIBE, one code per filter.
    SubAck(SubAck),
    /// UNSUBSCRIBE: removes subscriptions.
    Unsubscribe(Unsubscribe),
    /// UNSUBACK: the server's answer to UNSUBSCRIBE.
    UnsubAck(UnsubAck),
    /// PINGREQ: keep-alive probe from the client.
    PingReq,
    /// PINGRESP: the server's answer to PINGREQ.
    PingResp,
    /// DISCONNECT: either side closes the connection (5.0: with a reason code).
    Disconnect(Disconnect),
    /// AUTH (5.0 only): a step of enhanced authentication.
    Auth(Auth),
}

impl Packet {
    /// The name used in logs and error messages ("PUBLISH", "SUBACK", ...).
    pub fn name(&self) -> &'static str {
        match self {
            Packet::Connect(_) => "CONNECT",
            Packet::ConnAck(_) => "CONNACK",
            Packet::Publish(_) => "PUBLISH",
            Packet::PubAck(_) => "PUBACK",
            Packet::PubRec(_) => "PUBREC",
            Packet::PubRel(_) => "PUBREL",
            Packet::PubComp(_) => "PUBCOMP",
            Packet::Subscribe(_) => "SUBSCRIBE",
            Packet::SubAck(_) => "SUBACK",
            Packet::Unsubscribe(_) => "UNSUBSCRIBE",
            Packet::UnsubAck(_) => "UNSUBACK",
            Packet::PingReq => "PINGREQ",
            Packet::PingResp => "PINGRESP",
            Packet::Disconnect(_) => "DISCONNECT",
            Packet::Auth(_) => "AUTH",
        }
    }
}

/// The CONNECT packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    /// 3.1.1 or 5.0; decides how the rest is encoded.
    pub protocol: Protocol,
    /// "Clean Session" in 3.1.1, "Clean Start" in 5.0.
    pub clean_start: bool,
    /// Seconds; 0 disables keep-alive.
    pub keep_alive: u16,
    /// The client identifier; may be empty to let the server assign one (5.0) or with a clean
    /// session (3.1.1).
    pub client_id: String,
    /// The will message the server publishes if the client vanishes, if any.
    pub will: Option<Will>,
    /// User name, if any.
    pub username: Option<String>,
    /// Password bytes, if any.
    pub password: Option<Bytes>,
    /// CONNECT properties (5.0 only).
    pub properties: Properties,
}

/// The will message carried in CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Will {
    /// Topic the will is published to.
    pub topic: String,
    /// The will's payload.
    pub payload: Bytes,
    /// QoS the will is published with.
    pub qos: QoS,
    /// Whether the server keeps the will as a retained message.
    pub retain: bool,
    /// Will properties (5.0 only): delay interval, expiry, content type, ...
    pub properties: Properties,
}

/// The CONNACK packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnAck {
    /// True when the server resumed a stored session for this client.
    pub session_present: bool,
    /// The 3.1.1 return code (0..=5) or the 5.0 reason code.
    pub code: u8,
    /// CONNACK properties (5.0 only): the server's limits and assigned values.
    pub properties: Properties,
}

/// The PUBLISH packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publish {
    /// Set on a retransmission of a QoS 1 or 2 message.
    pub dup: bool,
    /// Delivery quality of this message.
    pub qos: QoS,
    /// Whether the server should keep (or did keep) this message for new subscribers.
    pub retain: bool,
    /// May be empty in 5.0 when a topic alias stands for it. Shares the receive buffer.
    pub topic: ByteString,
    /// 0 for QoS 0 (no identifier on the wire); never 0 for QoS 1 and 2.
    pub packet_id: u16,
    /// The message body, any bytes.
    pub payload: Bytes,
    /// PUBLISH properties (5.0 only).
    pub properties: Properties,
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PubResp {
    /// Identifier of the message being acknowledged (1..=65535).
    pub packet_id: u16,
    /// Always 0 in 3.1.1.
    pub reason: u8,
    /// Properties (5.0 only): reason string, user properties.
    pub properties: Properties,
}

/// One topic filter of a SUBSCRIBE, with its options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscribeFilter {
    /// The topic filter; may contain `+` and `#` wildcards.
    pub filter: String,
    /// Highest QoS wanted for messages on this filter.
    pub qos: QoS,
    /// 5.0 subscription options; false/false/0 under 3.1.1.
    pub no_local: bool,
    /// 5.0: keep the retain flag as published instead of clearing it on forward.
    pub retain_as_published: bool,
    /// 5.0: 0 sends retained messages on subscribe, 1 only for a new subscription, 2 never.
    pub retain_handling: u8,
}

/// The SUBSCRIBE packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscribe {
    /// Identifier matching the SUBACK (1..=65535).
    pub packet_id: u16,
    /// The filters asked for, at least one.
    pub filters: Vec<SubscribeFilter>,
    /// SUBSCRIBE properties (5.0 only): subscription identifier, user properties.
    pub properties: Properties,
}

/// The SUBACK packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubAck {
    /// Identifier of the SUBSCRIBE being answered.
    pub packet_id: u16,
    /// One per filter: the granted QoS (0..=2) or a failure code (0x80 and up).
    pub codes: Vec<u8>,
    /// SUBACK properties (5.0 only).
    pub properties: Properties,
}

/// The UNSUBSCRIBE packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsubscribe {
    /// Identifier matching the UNSUBACK (1..=65535).
    pub packet_id: u16,
    /// The filters to remove, exactly as subscribed.
    pub filters: Vec<String>,
    /// UNSUBSCRIBE properties (5.0 only).
    pub properties: Properties,
}

/// The UNSUBACK packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubAck {
    /// Identifier of the UNSUBSCRIBE being answered.
    pub packet_id: u16,
    /// One per filter in 5.0; empty in 3.1.1 (which has no reason codes).
    pub codes: Vec<u8>,
    /// UNSUBACK properties (5.0 only).
    pub properties: Properties,
}

/// The DISCONNECT packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disconnect {
    /// Always 0 in 3.1.1.
    pub reason: u8,
    /// DISCONNECT properties (5.0 only): reason string, session expiry, server reference.
    pub properties: Properties,
}

/// The AUTH packet (5.0 only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Auth {
    /// Reason code: 0x00 success, 0x18 continue authentication, 0x19 re-authenticate.
    pub reason: u8,
    /// AUTH properties: authentication method and data.
    pub properties: Properties,
}
