//! Every MQTT 5.0 property, described once. Everything else about properties is made from
//! this table: the `PropertyId` enum and the `Properties` struct (codec/properties.rs), which
//! packet may carry which and the value checks, the decoder's reading and the encoder's
//! length and write halves (codec/propwire.rs), the keys of the JSON settings
//! (component/config/json.rs), the properties of the session file
//! (component/session_json.rs), the tables in docs/config.md and docs/protocol.md (a test
//! in json.rs compares them), and the codec tests' packet generator (core/tests/it/codec_gen,
//! through `PropertyId::allowed_in`, `data_type`, `value_range` and `Properties::add`).
//!
//! In the manner of quinn-proto's transport parameters: `mqtt5_properties!(m)` hands the
//! whole table to the macro `m`, which makes what it needs from it.
//!
//! One entry:
//!
//! ```text
//! /// The field's documentation.
//! Variant = 0xID "Name in the specification" {
//!     field: name_in_properties: Type,
//!     check: Check,           // the value rule (propwire::Check)
//!     packets: [Ctx, ...],    // where it may appear (propwire::Ctx); Ctx::ALL for every packet
//!     json: [Setting rank "Key" | "alias", ...],
//! }
//! ```
//!
//! - The wire form follows from the type: `Option<u8>`, `Option<u16>`, `Option<u32>` are one,
//!   two and four byte integers; `Vec<u32>` variable byte integers (repeatable);
//!   `Option<String>` a UTF-8 string; `Option<Bytes>` binary data; `Vec<(String, String)>`
//!   string pairs (repeatable). An `Option` may appear once per packet.
//! - `json` lists the JSON settings that have the property as a key: the setting's name, the
//!   key's place when the setting is read back (settings keep the order the reference
//!   documents), the key, and optionally a second spelling accepted on input. The JSON form
//!   follows from the type and the check (`Flag`: true/false; other numbers: the integers
//!   the check allows; binary data: hex; pairs: `"name:value"`).
//! - The session file keeps the properties a PUBLISH may carry, each under its field name.

macro_rules! mqtt5_properties {
    ($m:ident) => {
        $m! {
            /// 0: the payload is unspecified bytes; 1: UTF-8 text.
            PayloadFormatIndicator = 0x01 "Payload Format Indicator" {
                field: payload_format_indicator: Option<u8>,
                check: Bit,
                packets: [Publish, Will],
                json: [OutgoingMessageProperties 3 "PayloadFormatIndicator",
                       WillProperties 3 "PayloadFormatIndicator"],
            }
            /// Seconds the message may wait on the server before it is dropped; absent: no expiry.
            MessageExpiryInterval = 0x02 "Message Expiry Interval" {
                field: message_expiry_interval: Option<u32>,
                check: Any,
                packets: [Publish, Will],
                json: [OutgoingMessageProperties 2 "MessageExpInterval",
                       WillProperties 2 "MessageExpInterval"],
            }
            /// The payload's content type, free text chosen by the application (such as a MIME
            /// type).
            ContentType = 0x03 "Content Type" {
                field: content_type: Option<String>,
                check: Any,
                packets: [Publish, Will],
                json: [OutgoingMessageProperties 0 "ContentType", WillProperties 0 "ContentType"],
            }
            // The reference's table spells the will's key `ReponseTopic` once and its example
            // `ResponseTopic`; both are taken.
            /// Topic a request's answer should be published to (request/response pattern).
            ResponseTopic = 0x08 "Response Topic" {
                field: response_topic: Option<String>,
                check: Any,
                packets: [Publish, Will],
                json: [OutgoingMessageProperties 4 "ResponseTopic",
                       WillProperties 4 "ResponseTopic" | "ReponseTopic"],
            }
            /// Opaque bytes that tie an answer to its request.
            CorrelationData = 0x09 "Correlation Data" {
                field: correlation_data: Option<Bytes>,
                check: Any,
                packets: [Publish, Will],
                json: [OutgoingMessageProperties 1 "CorrelationData",
                       WillProperties 1 "CorrelationData"],
            }
            /// Several on an incoming PUBLISH; at most one on SUBSCRIBE. Values 1..=268_435_455.
            SubscriptionIdentifier = 0x0B "Subscription Identifier" {
                field: subscription_identifiers: Vec<u32>,
                check: SubscriptionId,
                packets: [Publish, Subscribe],
                json: [],
            }
            /// Seconds the server keeps the session after the connection closes; 0 or absent:
            /// dropped at once; 0xFFFF_FFFF: kept for ever.
            SessionExpiryInterval = 0x11 "Session Expiry Interval" {
                field: session_expiry_interval: Option<u32>,
                check: Any,
                packets: [Connect, ConnAck, Disconnect],
                json: [ConnectProperties 5 "SessionExpInterval",
                       ConnAckProperties 9 "SessionExpInterval",
                       DisconnectProperties 0 "SessionExpInterval"],
            }
            /// The client identifier the server chose, when the client sent an empty one.
            AssignedClientIdentifier = 0x12 "Assigned Client Identifier" {
                field: assigned_client_identifier: Option<String>,
                check: Any,
                packets: [ConnAck],
                json: [ConnAckProperties 0 "AssignedClientIdentifier"],
            }
            /// Keep-alive, in seconds, imposed by the server in place of the client's.
            ServerKeepAlive = 0x13 "Server Keep Alive" {
                field: server_keep_alive: Option<u16>,
                check: Any,
                packets: [ConnAck],
                json: [ConnAckProperties 7 "ServerKeepAlive"],
            }
            /// Name of the enhanced authentication method.
            AuthenticationMethod = 0x15 "Authentication Method" {
                field: authentication_method: Option<String>,
                check: Any,
                packets: [Connect, ConnAck, Auth],
                json: [],
            }
            /// Method-specific bytes of an enhanced authentication exchange.
            AuthenticationData = 0x16 "Authentication Data" {
                field: authentication_data: Option<Bytes>,
                check: Any,
                packets: [Connect, ConnAck, Auth],
                json: [],
            }
            /// 0 asks the server to leave reason strings and user properties out of failures; 1
            /// (default) allows them.
            RequestProblemInformation = 0x17 "Request Problem Information" {
                field: request_problem_information: Option<u8>,
                check: Flag,
                packets: [Connect],
                json: [ConnectProperties 3 "RequestProblemInformation"],
            }
            /// Seconds the server waits after losing the client before publishing the will.
            WillDelayInterval = 0x18 "Will Delay Interval" {
                field: will_delay_interval: Option<u32>,
                check: Any,
                packets: [Will],
                json: [WillProperties 5 "WillDelayInterval"],
            }
            /// 1 asks the server for Response Information in CONNACK; 0 (default) does not.
            RequestResponseInformation = 0x19 "Request Response Information" {
                field: request_response_information: Option<u8>,
                check: Flag,
                packets: [Connect],
                json: [ConnectProperties 4 "RequestResponseInformation"],
            }
            /// A base the server suggests for building response topics.
            ResponseInformation = 0x1A "Response Information" {
                field: response_information: Option<String>,
                check: Any,
                packets: [ConnAck],
                json: [ConnAckProperties 5 "ResponseInformation"],
            }
            /// Another server the client may use (with a "use another server" or "server moved"
            /// code).
            ServerReference = 0x1C "Server Reference" {
                field: server_reference: Option<String>,
                check: Any,
                packets: [ConnAck, Disconnect],
                json: [],
            }
            /// Human-readable text explaining a reason code; for diagnostics only.
            ReasonString = 0x1F "Reason String" {
                field: reason_string: Option<String>,
                check: Any,
                packets: [ConnAck, PubAck, PubRec, PubRel, PubComp, SubAck, UnsubAck, Disconnect,
                          Auth],
                json: [ConnAckProperties 3 "ReasonString", DisconnectProperties 1 "ReasonString"],
            }
            /// Most QoS 1 and 2 messages the sender of this value will accept unacknowledged at
            /// once (1..=65535; default 65535).
            ReceiveMaximum = 0x21 "Receive Maximum" {
                field: receive_maximum: Option<u16>,
                check: NonZero,
                packets: [Connect, ConnAck],
                json: [ConnectProperties 2 "ReceiveMaximum", ConnAckProperties 4 "ReceiveMaximum"],
            }
            /// Highest topic alias the sender of this value accepts; 0 or absent: none.
            TopicAliasMaximum = 0x22 "Topic Alias Maximum" {
                field: topic_alias_maximum: Option<u16>,
                check: Any,
                packets: [Connect, ConnAck],
                json: [ConnectProperties 0 "ClientTopicAliasMax",
                       ConnAckProperties 8 "ServerTopicAliasMax"],
            }
            /// A number standing for the topic, to shorten later PUBLISH packets (1..=the peer's
            /// maximum).
            TopicAlias = 0x23 "Topic Alias" {
                field: topic_alias: Option<u16>,
                check: TopicAlias,
                packets: [Publish],
                json: [OutgoingMessageProperties 5 "TopicAlias"],
            }
            /// Highest QoS the server supports (0 or 1); absent: 2.
            MaximumQos = 0x24 "Maximum QoS" {
                field: maximum_qos: Option<u8>,
                check: Bit,
                packets: [ConnAck],
                json: [ConnAckProperties 1 "MaximumQoS"],
            }
            /// 0 when the server does not keep retained messages; absent or 1: it does.
            RetainAvailable = 0x25 "Retain Available" {
                field: retain_available: Option<u8>,
                check: Flag,
                packets: [ConnAck],
                json: [ConnAckProperties 6 "RetainAvailable"],
            }
            /// Order is kept and names may repeat, as the specification allows.
            UserProperty = 0x26 "User Property" {
                field: user_properties: Vec<(String, String)>,
                check: Any,
                packets: Ctx::ALL,
                json: [OutgoingMessageProperties 6 "UserProperty", WillProperties 6 "UserProperty"],
            }
            /// Largest packet, in bytes, the sender of this value will accept; absent: no limit
            /// beyond the protocol's.
            MaximumPacketSize = 0x27 "Maximum Packet Size" {
                field: maximum_packet_size: Option<u32>,
                check: NonZero,
                packets: [Connect, ConnAck],
                json: [ConnectProperties 1 "MaximumPacketSize",
                       ConnAckProperties 2 "MaximumPacketSize"],
            }
            // The key keeps the reference's spelling: applications written against the
            // reference look it up by that name.
            /// 0 when the server refuses filters with wildcards; absent or 1: allowed.
            WildcardSubscriptionAvailable = 0x28 "Wildcard Subscription Available" {
                field: wildcard_subscription_available: Option<u8>,
                check: Flag,
                packets: [ConnAck],
                json: [ConnAckProperties 12 "WildcardSubscriptionAvaiable"],
            }
            /// 0 when the server does not support subscription identifiers; absent or 1: supported.
            SubscriptionIdentifierAvailable = 0x29 "Subscription Identifier Available" {
                field: subscription_identifier_available: Option<u8>,
                check: Flag,
                packets: [ConnAck],
                json: [ConnAckProperties 11 "SubscriptionIdentifiersAvailable"],
            }
            /// 0 when the server does not support shared subscriptions; absent or 1: supported.
            SharedSubscriptionAvailable = 0x2A "Shared Subscription Available" {
                field: shared_subscription_available: Option<u8>,
                check: Flag,
                packets: [ConnAck],
                json: [ConnAckProperties 10 "SharedSubscriptionAvailable"],
            }
        }
    };
}

pub(crate) use mqtt5_properties;
