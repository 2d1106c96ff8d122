//! A message as the engine tracks it, in flight or delivered.

use crate::codec::{ByteString, Properties, QoS};
use bytes::Bytes;
use std::sync::{Arc, OnceLock};

/// Which way a message travels.
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

/// A message as the engine tracks it: its PUBLISH fields, its direction and its
/// acknowledgement state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Which way it travels.
    pub direction: Direction,
    /// 0 for QoS 0.
    pub packet_id: u16,
    /// The topic it is published on.
    pub topic: ByteString,
    /// Its quality of service.
    pub qos: QoS,
    /// Its payload bytes.
    pub payload: Bytes,
    /// The retain flag.
    pub retain: bool,
    /// True when this is a retransmission.
    pub dup: bool,
    /// Where it is in its acknowledgement flow.
    pub state: MessageState,
    /// 5.0 properties of the PUBLISH (empty under 3.1.1). Shared: the same message is
    /// held in flight, queued as an event and listed to the application, and a set of
    /// properties is several hundred bytes even when empty.
    pub properties: Arc<Properties>,
}

impl Message {
    /// One allocation for every message without properties (all of them under 3.1.1).
    pub fn empty_properties() -> Arc<Properties> {
        static EMPTY: OnceLock<Arc<Properties>> = OnceLock::new();
        EMPTY.get_or_init(Default::default).clone()
    }

    /// A topic alias belongs to one connection: a message kept beyond it names its topic.
    pub fn forget_topic_alias(&mut self) {
        if self.properties.topic_alias.is_some() {
            let mut p = (*self.properties).clone();
            p.topic_alias = None;
            self.properties = Self::share_properties(p);
        }
    }

    /// `properties` shared, or the common empty set when there are none.
    pub fn share_properties(properties: Properties) -> Arc<Properties> {
        if properties == Properties::default() {
            Self::empty_properties()
        } else {
            Arc::new(properties)
        }
    }
}
