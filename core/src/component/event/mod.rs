//! The documented events, with the documented fields: the one description every face
//! derives from (see docs/description.md).
//!
//! One declaration below gives the Rust structs and the `Event` enum, `Event::name`,
//! `Event::index`, [`EVENT_NAMES`], [`EVENT_KINDS`] (each kind's documented name, type and
//! fields with their value kinds) and [`Event::visit`], which walks an event's values in the
//! described order. MqttMessage's fields are described the same way ([`MESSAGE_FIELDS`]).

mod describe;

pub(crate) use describe::{answer_ref, describe_struct, field_value, is_answer};
pub use describe::{Described, FieldDesc, FieldVisitor, KindDesc, Value, ValueKind};

use crate::codec::Properties;
use crate::component::MqttMessage;
use bytes::Bytes;
use std::sync::Arc;

/// Fills the `()?` of a variant pattern with a binding, only where the variant has a struct.
macro_rules! bind {
    ($st:ident, $e:ident) => {
        $e
    };
}

/// `$then` for a variant with a struct, `$else` for one without.
macro_rules! with_struct {
    ($st:ident; {$($then:tt)*} {$($else:tt)*}) => {
        $($then)*
    };
    (; {$($then:tt)*} {$($else:tt)*}) => {
        $($else)*
    };
}

/// Declares the event structs (fields with their value kind and JavaScript name; `answer`
/// marks the field a handler may change) and the kinds (variant, struct, documented name,
/// documented type name), and derives everything else from them.
macro_rules! events {
    (
        structs {
            $(
                $(#[doc = $sdoc:literal])*
                $st:ident {
                    $(
                        $(#[doc = $fdoc:literal])*
                        $field:ident : $fty:ty = $kind:ident $js:literal $($answer:ident)?
                    ),* $(,)?
                }
            )*
        }
        kinds {
            $( $variant:ident $(($vst:ident))? = $name:literal $type_name:literal, )*
        }
    ) => {
        $(
            $(#[doc = $sdoc])*
            #[derive(Clone, Debug, PartialEq, Eq)]
            pub struct $st {
                $( $(#[doc = $fdoc])* pub $field: $fty, )*
            }

            describe_struct!($st { $( $(#[doc = $fdoc])* $field = $kind $js $($answer)? ),* });
        )*

        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Event {
            $( $variant $(($vst))?, )*
        }

        /// An event's kind without its fields; `as usize` is its place in [`EVENT_NAMES`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $( $variant, )*
        }

        impl Event {
            pub fn kind(&self) -> EventKind {
                match self {
                    $( Event::$variant { .. } => EventKind::$variant, )*
                }
            }

            /// Walks the event's fields in the described order ([`EVENT_KINDS`]).
            pub fn visit<V: FieldVisitor>(&self, v: &mut V) -> Result<(), V::Error> {
                match self {
                    $(
                        Event::$variant $((bind!($vst, e)))? =>
                            with_struct!($($vst)?; {Described::visit(e, v)} {Ok(())}),
                    )*
                }
            }

            /// The field a handler may change (SSLServerAuthentication's `accept`).
            pub fn answer_mut(&mut self) -> Option<&mut bool> {
                match self {
                    $(
                        Event::$variant $((bind!($vst, e)))? =>
                            with_struct!($($vst)?; {Described::answer_mut(e)} {None}),
                    )*
                }
            }
        }

        /// How many kinds there are.
        pub const EVENT_COUNT: usize = [$($name),*].len();

        /// Every documented event name, in the reference's order.
        pub const EVENT_NAMES: [&str; EVENT_COUNT] = [$($name),*];

        /// Every kind, described, in the order of [`EVENT_NAMES`].
        pub static EVENT_KINDS: [KindDesc; EVENT_COUNT] = [
            $(
                KindDesc {
                    name: $name,
                    type_name: $type_name,
                    rust_type: with_struct!($($vst)?; {Some(stringify!($($vst)?))} {None}),
                    fields: with_struct!($($vst)?; {<$($vst)? as Described>::FIELDS} {&[]}),
                },
            )*
        ];
    };
}

events! {
    structs {
        ConnectedEvent {
            /// 0 on success; otherwise the error code of the failure.
            status_code: i32 = Int "statusCode",
            description: String = Text "description",
        }

        ConnectionStatusEvent {
            connection_event: String = Text "connectionEvent",
            status_code: i32 = Int "statusCode",
            description: String = Text "description",
        }

        DisconnectedEvent {
            /// 0 when the connection was closed normally; otherwise the error code.
            status_code: i32 = Int "statusCode",
            description: String = Text "description",
        }

        ErrorEvent {
            error_code: i32 = Int "errorCode",
            description: String = Text "description",
        }

        LogEvent {
            /// 1 info, 2 verbose, 3 debug.
            log_level: i32 = Int "logLevel",
            message: String = Text "message",
            /// "Info", "Packet", "Reconnect" or "Session".
            log_type: String = Text "logType",
        }

        MessageAckEvent {
            packet_id: i32 = Int "packetId",
            /// 0: we sent the message (outgoing); 1: the server sent it (incoming).
            direction: i32 = Int "direction",
            /// Where the message is in IncomingMessages / OutgoingMessages while the handler runs.
            index: i32 = Int "index",
            /// The reason code of the acknowledgement (always 0 under 3.1.1).
            response_code: i32 = Int "responseCode",
        }

        /// Shared by MessageIn and MessageOut.
        MessageEvent {
            /// -1 for QoS 0.
            packet_id: i32 = Int "packetId",
            topic: String = Text "topic",
            qos: i32 = Int "QOS",
            /// The payload, not copied from the receive buffer.
            message: Bytes = Payload "message",
            retained: bool = Bool "retained",
            duplicate: bool = Bool "duplicate",
            /// The MQTT 5.0 properties of this very message (empty under 3.1.1): what the
            /// server sent for MessageIn, what we sent for MessageOut. Shared, not copied.
            properties: Arc<Properties> = Properties "properties",
        }

        SubscribedEvent {
            topic_filter: String = Text "topicFilter",
            /// The granted QoS, or -1 when the server refused the filter.
            qos: i32 = Int "QOS",
            response_code: i32 = Int "responseCode",
        }

        UnsubscribedEvent {
            /// The filters exactly as given to Unsubscribe (delimiter included).
            topic_filters: String = Text "topicFilters",
            response_code: i32 = Int "responseCode",
        }

        SslServerAuthenticationEvent {
            cert_encoded: String = Text "certEncoded",
            cert_encoded_b: Bytes = Bytes "certEncodedB",
            cert_subject: String = Text "certSubject",
            cert_issuer: String = Text "certIssuer",
            status: String = Text "status",
            /// The handler may set this to accept a certificate that failed verification.
            accept: bool = Bool "accept" answer,
        }

        SslStatusEvent {
            message: String = Text "message",
        }
    }
    kinds {
        Connected(ConnectedEvent) = "Connected" "ConnectedEvent",
        ConnectionStatus(ConnectionStatusEvent) = "ConnectionStatus" "ConnectionStatusEvent",
        Disconnected(DisconnectedEvent) = "Disconnected" "DisconnectedEvent",
        Error(ErrorEvent) = "Error" "ErrorEvent",
        Log(LogEvent) = "Log" "LogEvent",
        MessageAck(MessageAckEvent) = "MessageAck" "MessageAckEvent",
        MessageIn(MessageEvent) = "MessageIn" "MessageEvent",
        MessageOut(MessageEvent) = "MessageOut" "MessageEvent",
        ReadyToSend = "ReadyToSend" "ReadyToSendEvent",
        SslServerAuthentication(SslServerAuthenticationEvent) =
            "SSLServerAuthentication" "SSLServerAuthenticationEvent",
        SslStatus(SslStatusEvent) = "SSLStatus" "SSLStatusEvent",
        Subscribed(SubscribedEvent) = "Subscribed" "SubscribedEvent",
        Unsubscribed(UnsubscribedEvent) = "Unsubscribed" "UnsubscribedEvent",
    }
}

impl Event {
    /// The documented event name, the same in every language ("MessageIn", ...).
    pub fn name(&self) -> &'static str {
        EVENT_NAMES[self.index()]
    }

    /// Where the name stands in [`EVENT_NAMES`]: a face's compact number for the kind.
    pub fn index(&self) -> usize {
        self.kind() as usize
    }

    /// The kind's description.
    pub fn description(&self) -> &'static KindDesc {
        &EVENT_KINDS[self.index()]
    }
}

impl EventKind {
    pub fn name(self) -> &'static str {
        EVENT_NAMES[self as usize]
    }

    pub fn description(self) -> &'static KindDesc {
        &EVENT_KINDS[self as usize]
    }
}

// MqttMessage (component/message.rs): what IncomingMessages / OutgoingMessages hold.
describe_struct!(MqttMessage {
    packet_id = Int "packetId",
    topic = Text "topic",
    qos = Int "QoS",
    message = Payload "message",
    retained = Bool "retained",
    duplicate = Bool "duplicate",
    state = Int "state",
    content_type = Text "contentType",
    correlation_data = Text "correlationData",
    message_exp_interval = Long "messageExpInterval",
    payload_format_indicator = Int "payloadFormatIndicator",
    response_topic = Text "responseTopic",
    subscription_identifiers = Text "subscriptionIdentifiers",
    topic_alias = Int "topicAlias",
});

/// MqttMessage's fields, described, in the order [`MqttMessage`]'s visit walks them.
pub static MESSAGE_FIELDS: &[FieldDesc] = <MqttMessage as Described>::FIELDS;
