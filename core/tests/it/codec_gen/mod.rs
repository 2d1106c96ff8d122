//! Shared by the codec tests: proptest strategies that make valid packets, and helpers.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use ferromq::codec::reason::valid_reasons;
use ferromq::codec::*;
use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;

/// Where a property list sits (our own copy of MQTT 5.0 section 2.2.2.2's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Connect,
    Will,
    ConnAck,
    Publish,
    PubResp,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}

/// Clears every property that may not appear at `place`.
pub fn restrict(mut p: Properties, place: Place) -> Properties {
    use Place::*;
    if !matches!(place, Publish | Will) {
        p.payload_format_indicator = None;
        p.message_expiry_interval = None;
        p.content_type = None;
        p.response_topic = None;
        p.correlation_data = None;
    }
    match place {
        Publish => {}
        Subscribe => p.subscription_identifiers.truncate(1),
        _ => p.subscription_identifiers.clear(),
    }
    if !matches!(place, Connect | ConnAck | Disconnect) {
        p.session_expiry_interval = None;
    }
    if place != ConnAck {
        p.assigned_client_identifier = None;
        p.server_keep_alive = None;
        p.response_information = None;
        p.maximum_qos = None;
        p.retain_available = None;
        p.wildcard_subscription_available = None;
        p.subscription_identifier_available = None;
        p.shared_subscription_available = None;
    }
    if !matches!(place, Connect | ConnAck | Auth) {
        p.authentication_method = None;
        p.authentication_data = None;
    }
    if place != Connect {
        p.request_problem_information = None;
        p.request_response_information = None;
    }
    if place != Will {
        p.will_delay_interval = None;
    }
    if !matches!(place, ConnAck | Disconnect) {
        p.server_reference = None;
    }
    if !matches!(
        place,
        ConnAck | PubResp | SubAck | UnsubAck | Disconnect | Auth
    ) {
        p.reason_string = None;
    }
    if !matches!(place, Connect | ConnAck) {
        p.receive_maximum = None;
        p.topic_alias_maximum = None;
        p.maximum_packet_size = None;
    }
    if place != Publish {
        p.topic_alias = None;
    }
    p
}

/// An MQTT string: any characters but U+0000.
pub fn string() -> impl Strategy<Value = String> {
    "[^\\x00]{0,8}"
}

/// A topic name: not empty, no wildcards, no U+0000.
pub fn topic() -> impl Strategy<Value = String> {
    "[^\\x00+#]{1,8}"
}

pub fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn o<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    weighted(0.25, s)
}

/// Any property values (each valid on its own), before `restrict`.
pub fn any_properties() -> impl Strategy<Value = Properties> {
    let a = (
        o(0u8..=1),
        o(any::<u32>()),
        o(string()),
        o(string()),
        o(bytes(8)),
        vec(1u32..=268_435_455, 0..3),
        o(any::<u32>()),
        o(string()),
        o(any::<u16>()),
        o(string()),
        o(bytes(8)),
        o(0u8..=1),
    );
    let b = (
        o(any::<u32>()),
        o(0u8..=1),
        o(string()),
        o(string()),
        o(string()),
        o(1u16..),
        o(any::<u16>()),
        o(1u16..),
        o(0u8..=1),
        o(0u8..=1),
        vec((string(), string()), 0..3),
        o(1u32..),
    );
    let c = (o(0u8..=1), o(0u8..=1), o(0u8..=1));
    (a, b, c).prop_map(|(a, b, c)| Properties {
        payload_format_indicator: a.0,
        message_expiry_interval: a.1,
        content_type: a.2,
        response_topic: a.3,
        correlation_data: a.4,
        subscription_identifiers: a.5,
        session_expiry_interval: a.6,
        assigned_client_identifier: a.7,
        server_keep_alive: a.8,
        authentication_method: a.9,
        authentication_data: a.10,
        request_problem_information: a.11,
        will_delay_interval: b.0,
        request_response_information: b.1,
        response_information: b.2,
        server_reference: b.3,
        reason_string: b.4,
        receive_maximum: b.5,
        topic_alias_maximum: b.6,
        topic_alias: b.7,
        maximum_qos: b.8,
        retain_available: b.9,
        user_properties: b.10,
        maximum_packet_size: b.11,
        wildcard_subscription_available: c.0,
        subscription_identifier_available: c.1,
        shared_subscription_available: c.2,
    })
}

pub fn props(place: Place) -> impl Strategy<Value = Properties> {
    prop_oneof![
        1 => Just(Properties::default()),
        3 => any_properties().prop_map(move |p| restrict(p, place)),
    ]
}

pub fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn reason_for(ty: u8) -> impl Strategy<Value = u8> {
    select(valid_reasons(ty).to_vec())
}

fn pub_resp(ty: u8) -> impl Strategy<Value = PubResp> {
    (1u16.., reason_for(ty), props(Place::PubResp)).prop_map(|(packet_id, reason, properties)| {
        PubResp {
            packet_id,
            reason,
            properties,
        }
    })
}

/// Valid MQTT 5.0 packets.
pub fn packet_v5() -> impl Strategy<Value = Packet> {
    let will = (topic(), bytes(16), qos(), any::<bool>(), props(Place::Will)).prop_map(
        |(topic, payload, qos, retain, properties)| Will {
            topic,
            payload,
            qos,
            retain,
            properties,
        },
    );
    let connect = (
        any::<bool>(),
        any::<u16>(),
        string(),
        o(will),
        o(string()),
        o(bytes(8)),
        props(Place::Connect),
    )
        .prop_map(
            |(clean_start, keep_alive, client_id, will, username, password, properties)| {
                Packet::Connect(Box::new(Connect {
                    protocol: Protocol::V5,
                    clean_start,
                    keep_alive,
                    client_id,
                    will,
                    username,
                    password,
                    properties,
                }))
            },
        );
    let connack = prop_oneof![
        (any::<bool>(), props(Place::ConnAck)).prop_map(|(sp, properties)| ConnAck {
            session_present: sp,
            code: 0,
            properties
        }),
        (reason_for(2), props(Place::ConnAck)).prop_map(|(code, properties)| ConnAck {
            session_present: false,
            code,
            properties
        }),
        // The 3.1.1 form some servers answer a 5.0 CONNECT with.
        (1u8..=5).prop_map(|code| ConnAck {
            session_present: false,
            code,
            properties: Properties::default()
        }),
    ]
    .prop_map(Packet::ConnAck);
    let publish = (
        qos(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![3 => topic(), 1 => Just(String::new())],
        1u16..,
        bytes(64),
        props(Place::Publish),
        1u16..,
    )
        .prop_map(
            |(qos, dup, retain, topic, id, payload, mut properties, alias)| {
                if topic.is_empty() {
                    properties.topic_alias = Some(alias);
                }
                Packet::Publish(Publish {
                    dup: dup && qos != QoS::AtMostOnce,
                    qos,
                    retain,
                    topic: topic.into(),
                    packet_id: if qos == QoS::AtMostOnce { 0 } else { id },
                    payload,
                    properties,
                })
            },
        );
    let filter = (string(), qos(), any::<bool>(), any::<bool>(), 0u8..=2).prop_map(
        |(filter, qos, no_local, retain_as_published, retain_handling)| SubscribeFilter {
            filter,
            qos,
            no_local,
            retain_as_published,
            retain_handling,
        },
    );
    let subscribe = (1u16.., vec(filter, 1..4), props(Place::Subscribe)).prop_map(
        |(packet_id, filters, properties)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                filters,
                properties,
            })
        },
    );
    let suback = (1u16.., vec(reason_for(9), 1..5), props(Place::SubAck)).prop_map(
        |(packet_id, codes, properties)| {
            Packet::SubAck(SubAck {
                packet_id,
                codes,
                properties,
            })
        },
    );
    let unsubscribe = (1u16.., vec(string(), 1..4), props(Place::Unsubscribe)).prop_map(
        |(packet_id, filters, properties)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                filters,
                properties,
            })
        },
    );
    let unsuback = (1u16.., vec(reason_for(11), 1..5), props(Place::UnsubAck)).prop_map(
        |(packet_id, codes, properties)| {
            Packet::UnsubAck(UnsubAck {
                packet_id,
                codes,
                properties,
            })
        },
    );
    let disconnect = (reason_for(14), props(Place::Disconnect))
        .prop_map(|(reason, properties)| Packet::Disconnect(Disconnect { reason, properties }));
    let auth = (reason_for(15), props(Place::Auth))
        .prop_map(|(reason, properties)| Packet::Auth(Auth { reason, properties }));
    prop_oneof![
        connect,
        connack,
        publish,
        pub_resp(4).prop_map(Packet::PubAck),
        pub_resp(5).prop_map(Packet::PubRec),
        pub_resp(6).prop_map(Packet::PubRel),
        pub_resp(7).prop_map(Packet::PubComp),
        subscribe,
        suback,
        unsubscribe,
        unsuback,
        Just(Packet::PingReq),
        Just(Packet::PingResp),
        disconnect,
        auth,
    ]
}

/// What is left of a valid 5.0 packet in MQTT 3.1.1: no properties, no reason codes on
/// PUBACK..PUBCOMP, DISCONNECT and UNSUBACK, no 5.0 subscription options. Packets 3.1.1
/// cannot express at all (AUTH) become PINGREQ; CONNACK and SUBACK codes are mapped onto
/// the 3.1.1 ones; a 3.1.1 password needs a user name.
pub fn to_v311(p: &Packet) -> Packet {
    let none = Properties::default;
    match p.clone() {
        Packet::Connect(mut c) => {
            c.protocol = Protocol::V311;
            c.properties = none();
            if let Some(w) = &mut c.will {
                w.properties = none();
            }
            if c.username.is_none() {
                c.password = None;
            }
            Packet::Connect(c)
        }
        Packet::ConnAck(a) => Packet::ConnAck(ConnAck {
            session_present: a.session_present,
            code: a.code % 6,
            properties: none(),
        }),
        Packet::Publish(mut p) => {
            if p.topic.is_empty() {
                p.topic = "t".into();
            }
            p.properties = none();
            Packet::Publish(p)
        }
        Packet::PubAck(r) => Packet::PubAck(PubResp {
            reason: 0,
            properties: none(),
            ..r
        }),
        Packet::PubRec(r) => Packet::PubRec(PubResp {
            reason: 0,
            properties: none(),
            ..r
        }),
        Packet::PubRel(r) => Packet::PubRel(PubResp {
            reason: 0,
            properties: none(),
            ..r
        }),
        Packet::PubComp(r) => Packet::PubComp(PubResp {
            reason: 0,
            properties: none(),
            ..r
        }),
        Packet::Subscribe(mut s) => {
            s.properties = none();
            for f in &mut s.filters {
                f.no_local = false;
                f.retain_as_published = false;
                f.retain_handling = 0;
            }
            Packet::Subscribe(s)
        }
        Packet::SubAck(mut s) => {
            s.properties = none();
            for c in &mut s.codes {
                if *c > 2 {
                    *c = 0x80;
                }
            }
            Packet::SubAck(s)
        }
        Packet::Unsubscribe(mut u) => {
            u.properties = none();
            Packet::Unsubscribe(u)
        }
        Packet::UnsubAck(u) => Packet::UnsubAck(UnsubAck {
            packet_id: u.packet_id,
            codes: Vec::new(),
            properties: none(),
        }),
        Packet::Disconnect(_) => Packet::Disconnect(Disconnect {
            reason: 0,
            properties: none(),
        }),
        Packet::Auth(_) => Packet::PingReq,
        other => other,
    }
}

/// Valid MQTT 3.1.1 packets.
pub fn packet_v311() -> impl Strategy<Value = Packet> {
    packet_v5().prop_map(|p| to_v311(&p))
}

pub fn protocol_of(p: &Packet, protocol: Protocol) -> Protocol {
    match p {
        Packet::Connect(c) => c.protocol,
        _ => protocol,
    }
}

pub fn encode_vec(p: &Packet, protocol: Protocol) -> Vec<u8> {
    let mut out = BytesMut::new();
    encode(p, protocol, &mut out).unwrap_or_else(|e| panic!("encode {p:?}: {e}"));
    assert_eq!(
        encoded_len(p, protocol).unwrap(),
        out.len(),
        "encoded_len of {p:?}"
    );
    out.to_vec()
}

pub const MAX: u32 = 1 << 20;

/// Decodes exactly one packet that must take all of `bytes`.
pub fn decode_one(bytes: &[u8], protocol: Protocol) -> Result<Packet, DecodeError> {
    let mut buf = BytesMut::from(bytes);
    match decode(&mut buf, protocol, MAX)? {
        Some(p) => {
            assert!(buf.is_empty(), "{} bytes left after {p:?}", buf.len());
            Ok(p)
        }
        None => panic!("incomplete: {bytes:02X?}"),
    }
}
