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

        /// One event, as the handler set with
        /// [`Mqtt::set_event_handler`](crate::Mqtt::set_event_handler) receives it: the
        /// variant is the documented event name, its struct holds the documented fields.
        /// Handlers run on the thread inside [`Mqtt::do_events`](crate::Mqtt::do_events) or
        /// a blocking call; only SSLServerAuthentication's `accept` is read back.
        ///
        /// ```
        /// use ferromq::{Event, Mqtt};
        /// use std::sync::Arc;
        ///
        /// let client = Mqtt::new();
        /// client.set_event_handler(Some(Arc::new(|e: &mut Event| match e {
        ///     Event::Connected(c) if c.status_code != 0 => eprintln!("{}", c.description),
        ///     Event::MessageIn(m) => println!("{} bytes on {}", m.message.len(), m.topic),
        ///     Event::Disconnected(d) => println!("closed ({})", d.status_code),
        ///     other => println!("{}", other.name()),
        /// })));
        /// ```
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Event {
            $(
                #[doc = concat!("The ", $name, " event.")]
                $variant $(($vst))?,
            )*
        }

        /// An event's kind without its fields; `as usize` is its place in [`EVENT_NAMES`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $(
                #[doc = concat!("The kind of the ", $name, " event.")]
                $variant,
            )*
        }

        impl Event {
            /// The event's kind, without its fields.
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
        /// Fields of the Connected event: the outcome of a connection attempt.
        ConnectedEvent {
            /// 0 on success; otherwise the error code of the failure.
            status_code: i32 = Int "statusCode",
            /// Text describing the outcome.
            description: String = Text "description",
        }

        /// Fields of the ConnectionStatus event: a step of building the connection.
        ConnectionStatusEvent {
            /// The step reached, such as "Firewall connection complete" or "SSL handshake
            /// complete".
            connection_event: String = Text "connectionEvent",
            /// 0 when the step succeeded; otherwise the error code.
            status_code: i32 = Int "statusCode",
            /// Text describing the step.
            description: String = Text "description",
        }

        /// Fields of the Disconnected event: the connection ended.
        DisconnectedEvent {
            /// 0 when the connection was closed normally; otherwise the error code.
            status_code: i32 = Int "statusCode",
            /// Text describing why the connection ended.
            description: String = Text "description",
        }

        /// Fields of the Error event: a failure with no method call to report it to.
        ErrorEvent {
            /// The documented error code.
            error_code: i32 = Int "errorCode",
            /// Text describing the error.
            description: String = Text "description",
        }

        /// Fields of the Log event: one line of the client's log.
        LogEvent {
            /// 1 info, 2 verbose, 3 debug.
            log_level: i32 = Int "logLevel",
            /// The log line.
            message: String = Text "message",
            /// "Info", "Packet", "Reconnect" or "Session".
            log_type: String = Text "logType",
        }

        /// Fields of the MessageAck event: a QoS 1 or 2 message finished its acknowledgements.
        MessageAckEvent {
            /// The acknowledged message's packet identifier (1..=65535).
            packet_id: i32 = Int "packetId",
            /// 0: we sent the message (outgoing); 1: the server sent it (incoming).
            direction: i32 = Int "direction",
            /// Where the message is in IncomingMessages / OutgoingMessages while the handler runs.
            index: i32 = Int "index",
            /// The reason code of the acknowledgement (always 0 under 3.1.1).
            response_code: i32 = Int "responseCode",
        }

        /// Fields of the MessageIn event (a message arrived) and of MessageOut (a message
        /// we published is done: sent for QoS 0, acknowledged for QoS 1 and 2).
        ///
        /// ```
        /// use ferromq::{Event, Mqtt};
        /// use std::sync::Arc;
        ///
        /// let client = Mqtt::new();
        /// client.set_event_handler(Some(Arc::new(|e: &mut Event| {
        ///     if let Event::MessageIn(m) = e {
        ///         let text = String::from_utf8_lossy(&m.message);
        ///         println!("{} (QoS {}, retained {}): {text}", m.topic, m.qos, m.retained);
        ///         if let Some(ct) = &m.properties.content_type {
        ///             println!("content type {ct}");
        ///         }
        ///     }
        /// })));
        /// ```
        MessageEvent {
            /// -1 for QoS 0.
            packet_id: i32 = Int "packetId",
            /// The topic the message was published on.
            topic: String = Text "topic",
            /// Its QoS: 0, 1 or 2.
            qos: i32 = Int "QOS",
            /// The payload, not copied from the receive buffer.
            message: Bytes = Payload "message",
            /// The retain flag: true for a retained message sent on subscribing.
            retained: bool = Bool "retained",
            /// True when this is a retransmission.
            duplicate: bool = Bool "duplicate",
            /// The MQTT 5.0 properties of this very message (empty under 3.1.1): what the
            /// server sent for MessageIn, what we sent for MessageOut. Shared, not copied.
            properties: Arc<Properties> = Properties "properties",
        }

        /// Fields of the Subscribed event: the server's answer for one filter.
        SubscribedEvent {
            /// The filter this answer is for (one event per filter).
            topic_filter: String = Text "topicFilter",
            /// The granted QoS, or -1 when the server refused the filter.
            qos: i32 = Int "QOS",
            /// The SUBACK code for the filter (granted QoS, or 0x80 and up when refused).
            response_code: i32 = Int "responseCode",
        }

        /// Fields of the Unsubscribed event: the server's answer to an unsubscribe.
        UnsubscribedEvent {
            /// The filters exactly as given to Unsubscribe (delimiter included).
            topic_filters: String = Text "topicFilters",
            /// The UNSUBACK reason code (0 under 3.1.1).
            response_code: i32 = Int "responseCode",
        }

        /// Fields of the SSLServerAuthentication event: the server presented its certificate.
        SslServerAuthenticationEvent {
            /// The server's certificate, base64 of its DER.
            cert_encoded: String = Text "certEncoded",
            /// The server's certificate, DER bytes.
            cert_encoded_b: Bytes = Bytes "certEncodedB",
            /// The certificate's subject.
            cert_subject: String = Text "certSubject",
            /// The certificate's issuer.
            cert_issuer: String = Text "certIssuer",
            /// "OK" when the certificate verified; otherwise why it did not.
            status: String = Text "status",
            /// The handler may set this to accept a certificate that failed verification.
            accept: bool = Bool "accept" answer,
        }

        /// Fields of the SSLStatus event: progress of the TLS handshake.
        SslStatusEvent {
            /// Text describing the TLS step.
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
    /// The documented event name ("MessageIn", ...).
    pub fn name(self) -> &'static str {
        EVENT_NAMES[self as usize]
    }

    /// The kind's description: its names and fields.
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
