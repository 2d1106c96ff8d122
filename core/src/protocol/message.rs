//! A message as the engine tracks it, in flight or delivered.

use crate::codec::{ByteString, Properties, QoS};
use bytes::Bytes;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// We publish (the documented Direction 0).
    Outgoing = 0,
    /// The server publishes to us (the documented Direction 1).
    Incoming = 1,
}

/// The documented MQTTMessage.State values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageState {
    /// PUBLISH sent, waiting for PUBACK.
    WaitPubAck = 0,
    /// PUBLISH sent, waiting for PUBREC.
    WaitPubRec = 1,
    /// PUBREC received, sending PUBREL.
    SendPubRel = 2,
    /// PUBREL sent, waiting for PUBCOMP.
    WaitPubComp = 3,
    /// Final acknowledgement received.
    OutDone = 4,
    /// PUBLISH received, sending PUBACK.
    SendPubAck = 5,
    /// PUBLISH received, sending PUBREC.
    SendPubRec = 6,
    /// PUBREC sent, waiting for PUBREL.
    WaitPubRel = 7,
    /// PUBREL received, sending PUBCOMP.
    SendPubComp = 8,
    /// Final acknowledgement sent.
    InDone = 9,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub direction: Direction,
    /// 0 for QoS 0.
    pub packet_id: u16,
    pub topic: ByteString,
    pub qos: QoS,
    pub payload: Bytes,
    pub retain: bool,
    pub dup: bool,
    pub state: MessageState,
    /// 5.0 properties of the PUBLISH (empty under 3.1.1).
    pub properties: Box<crate::codec::Properties>,
}

impl Message {
    pub fn empty_properties() -> Box<Properties> {
        Box::default()
    }
}
