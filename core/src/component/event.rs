//! The documented events, with the documented fields. Faces convert these one to one.

use bytes::Bytes;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectedEvent {
    /// 0 on success; otherwise the error code of the failure.
    pub status_code: i32,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionStatusEvent {
    pub connection_event: String,
    pub status_code: i32,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisconnectedEvent {
    /// 0 when the connection was closed normally; otherwise the error code.
    pub status_code: i32,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorEvent {
    pub error_code: i32,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEvent {
    /// 1 info, 2 verbose, 3 debug.
    pub log_level: i32,
    pub message: String,
    /// "Info", "Packet", "Reconnect" or "Session".
    pub log_type: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageAckEvent {
    pub packet_id: i32,
    /// 0: we sent the message (outgoing); 1: the server sent it (incoming).
    pub direction: i32,
    /// Where the message is in IncomingMessages / OutgoingMessages while the handler runs.
    pub index: i32,
    /// The reason code of the acknowledgement (always 0 under 3.1.1).
    pub response_code: i32,
}

/// Shared by MessageIn and MessageOut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageEvent {
    /// -1 for QoS 0.
    pub packet_id: i32,
    pub topic: String,
    pub qos: i32,
    /// The payload, not copied from the receive buffer.
    pub message: Bytes,
    pub retained: bool,
    pub duplicate: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscribedEvent {
    pub topic_filter: String,
    /// The granted QoS, or -1 when the server refused the filter.
    pub qos: i32,
    pub response_code: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscribedEvent {
    /// The filters exactly as given to Unsubscribe (delimiter included).
    pub topic_filters: String,
    pub response_code: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslServerAuthenticationEvent {
    pub cert_encoded: String,
    pub cert_encoded_b: Bytes,
    pub cert_subject: String,
    pub cert_issuer: String,
    pub status: String,
    /// The handler may set this to accept a certificate that failed verification.
    pub accept: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslStatusEvent {
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Connected(ConnectedEvent),
    ConnectionStatus(ConnectionStatusEvent),
    Disconnected(DisconnectedEvent),
    Error(ErrorEvent),
    Log(LogEvent),
    MessageAck(MessageAckEvent),
    MessageIn(MessageEvent),
    MessageOut(MessageEvent),
    ReadyToSend,
    SslServerAuthentication(SslServerAuthenticationEvent),
    SslStatus(SslStatusEvent),
    Subscribed(SubscribedEvent),
    Unsubscribed(UnsubscribedEvent),
}

impl Event {
    /// The documented event name, the same in every language ("MessageIn", ...).
    pub fn name(&self) -> &'static str {
        EVENT_NAMES[self.index()]
    }

    /// Where the name stands in [`EVENT_NAMES`]: a face's compact number for the kind.
    pub fn index(&self) -> usize {
        match self {
            Event::Connected(_) => 0,
            Event::ConnectionStatus(_) => 1,
            Event::Disconnected(_) => 2,
            Event::Error(_) => 3,
            Event::Log(_) => 4,
            Event::MessageAck(_) => 5,
            Event::MessageIn(_) => 6,
            Event::MessageOut(_) => 7,
            Event::ReadyToSend => 8,
            Event::SslServerAuthentication(_) => 9,
            Event::SslStatus(_) => 10,
            Event::Subscribed(_) => 11,
            Event::Unsubscribed(_) => 12,
        }
    }
}

/// Every documented event name, in the reference's order.
pub const EVENT_NAMES: [&str; 13] = [
    "Connected",
    "ConnectionStatus",
    "Disconnected",
    "Error",
    "Log",
    "MessageAck",
    "MessageIn",
    "MessageOut",
    "ReadyToSend",
    "SSLServerAuthentication",
    "SSLStatus",
    "Subscribed",
    "Unsubscribed",
];
