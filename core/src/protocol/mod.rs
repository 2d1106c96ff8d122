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
    Connected {
        /// The server's CONNACK, with its 5.0 properties.
        connack: Box<ConnAck>,
    },
    /// A QoS 1/2 message entered the in-flight set (outgoing: after its PUBLISH was queued
    /// for sending; incoming: when its PUBLISH arrived).
    InflightAdded {
        /// The message, in its first state.
        message: Message,
    },
    /// An in-flight message moved to another documented state.
    InflightState {
        /// Whether it is one we publish or one we receive.
        direction: Direction,
        /// Its packet identifier (1..=65535), unique per direction.
        packet_id: u16,
        /// The state it is in now.
        state: MessageState,
    },
    /// An in-flight message left the set without completing: it is neither acknowledged nor
    /// delivered, and no MessageAck, MessageIn or MessageOut follows for it. Only incoming
    /// QoS 2 messages waiting for PUBREL whose flow the server no longer has (a session the
    /// server lost, or a server that reused the packet id); take it out of the in-flight
    /// view at once.
    InflightDropped {
        /// Whether it is one we publish or one we receive.
        direction: Direction,
        /// Its packet identifier.
        packet_id: u16,
    },
    /// All acknowledgement steps of a QoS 1/2 message are done. It is still in the in-flight
    /// view when this is delivered, and is removed right after.
    MessageAck {
        /// Whether it is one we publish or one we receive.
        direction: Direction,
        /// Its packet identifier.
        packet_id: u16,
        /// The reason code of the final acknowledgement (0 under 3.1.1).
        response_code: u8,
    },
    /// An incoming message is delivered: QoS 0 at once; QoS 1/2 right after its MessageAck.
    MessageIn {
        /// The message received.
        message: Message,
    },
    /// An outgoing message is done: QoS 0 once queued for sending; QoS 1/2 after MessageAck.
    MessageOut {
        /// The message sent.
        message: Message,
    },
    /// One per filter of a SUBACK, in the order of the SUBSCRIBE.
    Subscribed {
        /// The SUBSCRIBE's packet identifier.
        packet_id: u16,
        /// The topic filter this code answers.
        filter: String,
        /// The granted QoS (0..=2) or the failure code (>= 0x80).
        code: u8,
    },
    /// One per UNSUBACK. `codes` is empty under 3.1.1.
    Unsubscribed {
        /// The UNSUBSCRIBE's packet identifier.
        packet_id: u16,
        /// One reason code per filter (5.0); empty under 3.1.1.
        codes: Vec<u8>,
    },
    /// A log line for the Log event (level 1 info, 2 verbose, 3 debug).
    Log {
        /// 1 info, 2 verbose, 3 debug.
        level: u8,
        /// The log category, such as "Packet" or "Connect".
        log_type: &'static str,
        /// The text of the line.
        message: String,
    },
    /// The server sent DISCONNECT (its reason code and 5.0 properties); `Closed` follows.
    DisconnectReceived {
        /// The DISCONNECT's reason code (0 under 3.1.1).
        reason: u8,
        /// The DISCONNECT's properties (empty under 3.1.1).
        properties: Box<crate::codec::Properties>,
    },
    /// The connection is over. `code` 0 means a normal close we asked for; otherwise the
    /// documented error code (500 protocol error, 201 keep-alive timeout, a refused
    /// CONNACK, a DISCONNECT from the server, ...). After this the driver closes the socket.
    Closed {
        /// 0 for a close we asked for, else the documented error code.
        code: i32,
        /// Text describing why, for the user.
        reason: String,
    },
}
