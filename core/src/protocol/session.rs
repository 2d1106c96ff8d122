//! The client side of an MQTT session, taken out of a [`Connection`](super::Connection)
//! and put into another one: in the same process (a reconnect) or in another process
//! (through [`SessionState::to_text`] and [`SessionState::from_text`], whose JSON form lives
//! in the component layer, `component/session_json.rs`, since this layer reads no files and
//! knows no text formats).
//!
//! What it holds: the outgoing messages not completely acknowledged (QoS 1/2 waiting for
//! PUBACK, PUBREC or PUBCOMP, plus QoS 0 publishes still queued behind the server's Receive
//! Maximum), in the order they were published; the incoming QoS 2 messages whose PUBREC was
//! sent and whose PUBREL has not come (kept whole, since they are delivered on PUBREL, unless
//! ManualAck delivered them on arrival already); and the next packet identifier. Messages
//! whose acknowledgement the application still held are not kept: the server has them and
//! sends them again.

use super::Message;
use crate::codec::QoS;
use std::collections::BTreeSet;

/// The client-side session state. Obtained from [`Connection::session`] /
/// [`Connection::take_session`] or [`SessionState::from_text`]; loaded with
/// [`Connection::restore`].
///
/// [`Connection::session`]: super::Connection::session
/// [`Connection::take_session`]: super::Connection::take_session
/// [`Connection::restore`]: super::Connection::restore
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    pub(crate) client_id: String,
    pub(crate) next_packet_id: u16,
    /// How many publishes (every QoS) this session has accepted since it began: a process
    /// restarted from an auto-saved session resumes its stream from here.
    pub(crate) published: u64,
    /// In publish order.
    pub(crate) outgoing: Vec<SavedOut>,
    /// QoS 2, state WaitPubRel, in arrival order.
    pub(crate) incoming: Vec<Message>,
    /// Ids of `incoming` messages the application was given already (ManualAck delivers on
    /// arrival): their PUBREL completes them without a second delivery.
    pub(crate) delivered: BTreeSet<u16>,
}

/// One outgoing message of a saved session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SavedOut {
    /// Its topic is the full topic (never an alias), its properties carry no Topic Alias,
    /// and `dup` equals `sent`. QoS 0 messages have packet id 0 and state OutDone.
    pub msg: Message,
    /// Whether its PUBLISH was ever put on the wire (it is then resent with DUP).
    pub sent: bool,
    /// For WaitPubComp: orders the PUBREL resends as the PUBRECs arrived. 0 otherwise.
    pub pubrec_order: u64,
}

impl Default for SessionState {
    fn default() -> Self {
        SessionState {
            client_id: String::new(),
            next_packet_id: 1,
            published: 0,
            outgoing: Vec::new(),
            incoming: Vec::new(),
            delivered: BTreeSet::new(),
        }
    }
}

impl SessionState {
    /// An empty session (nothing in flight, packet ids from 1).
    pub fn new() -> Self {
        Self::default()
    }

    /// True when no message is held (the next packet id does not count).
    pub fn is_empty(&self) -> bool {
        self.outgoing.is_empty() && self.incoming.is_empty()
    }

    /// The client identifier of the connection it was taken from (the server-assigned one
    /// if the server assigned one). Informational: restoring does not check it.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The packet identifier the next new packet will try first (1..=65535).
    pub fn next_packet_id(&self) -> u16 {
        self.next_packet_id
    }

    /// Publishes accepted since the session began (SessionPublishCount).
    pub fn published(&self) -> u64 {
        self.published
    }

    /// The outgoing QoS 1/2 messages in publish order, as OutgoingMessages lists them.
    pub fn outgoing(&self) -> Vec<Message> {
        self.outgoing
            .iter()
            .filter(|o| o.msg.qos != QoS::AtMostOnce)
            .map(|o| o.msg.clone())
            .collect()
    }

    /// How many QoS 0 publishes were still queued (behind the server's Receive Maximum).
    pub fn queued_at_most_once(&self) -> usize {
        self.outgoing
            .iter()
            .filter(|o| o.msg.qos == QoS::AtMostOnce)
            .count()
    }

    /// The incoming QoS 2 messages waiting for PUBREL, as IncomingMessages lists them.
    pub fn incoming(&self) -> Vec<Message> {
        self.incoming.clone()
    }

    /// Adds an outgoing message (for the text form, which builds the state from outside).
    pub(crate) fn push_outgoing(&mut self, msg: Message, sent: bool, pubrec_order: u64) {
        self.outgoing.push(SavedOut {
            msg,
            sent,
            pubrec_order,
        });
    }
}
