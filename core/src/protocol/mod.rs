//! Layer 3: the sans-IO state machine of one MQTT connection.
//!
//! Shaped like quinn-proto's `Connection`: feed it with `handle_*(now, ..)` and the command
//! methods, drain it with `poll_transmit`, `poll_event` and `poll_timeout`. It never reads
//! the clock and never touches a socket, so every flow is tested on virtual time.

mod connection;
mod inflight;
mod keepalive;
mod message;
mod packet_ids;
mod reason;
mod session;

pub use connection::{Connection, ConnectionConfig, ServerLimits};
pub use message::{Direction, Message, MessageState};
pub use session::SessionState;

use crate::codec::ConnAck;
use std::time::Instant;

/// The sooner of two deadlines, where None means "none".
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What the state machine tells the layer above. The driver turns these into the
/// documented events; the order here is the order the application sees.
#[derive(Clone, Debug, PartialEq)]
pub enum ProtocolEvent {
    /// CONNACK with success. Boxed: its properties would make every event as large.
    Connected { connack: Box<ConnAck> },
    /// A QoS 1/2 message entered the in-flight set (outgoing: after its PUBLISH was queued
    /// for sending; incoming: when its PUBLISH arrived).
    InflightAdded { message: Message },
    /// An in-flight message moved to another documented state.
    InflightState {
        direction: Direction,
        packet_id: u16,
        state: MessageState,
    },
    /// An in-flight message left the set without completing: it is neither acknowledged nor
    /// delivered, and no MessageAck, MessageIn or MessageOut follows for it. Only incoming
    /// QoS 2 messages waiting for PUBREL whose flow the server no longer has (a session the
    /// server lost, or a server that reused the packet id); take it out of the in-flight
    /// view at once.
    InflightDropped {
        direction: Direction,
        packet_id: u16,
    },
    /// All acknowledgement steps of a QoS 1/2 message are done. It is still in the in-flight
    /// view when this is delivered, and is removed right after.
    MessageAck {
        direction: Direction,
        packet_id: u16,
        response_code: u8,
    },
    /// An incoming message is delivered: QoS 0 at once; QoS 1/2 right after its MessageAck.
    MessageIn { message: Message },
    /// An outgoing message is done: QoS 0 once queued for sending; QoS 1/2 after MessageAck.
    MessageOut { message: Message },
    /// One per filter of a SUBACK, in the order of the SUBSCRIBE.
    Subscribed {
        packet_id: u16,
        filter: String,
        /// The granted QoS (0..=2) or the failure code (>= 0x80).
        code: u8,
    },
    /// One per UNSUBACK. `codes` is empty under 3.1.1.
    Unsubscribed { packet_id: u16, codes: Vec<u8> },
    /// A log line for the Log event (level 1 info, 2 verbose, 3 debug).
    Log {
        level: u8,
        log_type: &'static str,
        message: String,
    },
    /// The server sent DISCONNECT (its reason code and 5.0 properties); `Closed` follows.
    DisconnectReceived {
        reason: u8,
        properties: Box<crate::codec::Properties>,
    },
    /// The connection is over. `code` 0 means a normal close we asked for; otherwise the
    /// documented error code (500 protocol error, 201 keep-alive timeout, a refused
    /// CONNACK, a DISCONNECT from the server, ...). After this the driver closes the socket.
    Closed { code: i32, reason: String },
}
