//! Shared by the codec tests: proptest strategies that make valid packets, and helpers.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use ferromq::codec::reason::valid_reasons;
use ferromq::codec::*;
use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::select;

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

/// A value of property `id` that its rule allows (from the property table, through
/// `PropertyId::data_type` and `value_range`).
pub fn value(id: PropertyId) -> BoxedStrategy<PropertyValue> {
    let int = || id.value_range().expect("an integer property has a range");
    match id.data_type() {
        PropertyType::Byte => int().prop_map(|v| PropertyValue::Byte(v as u8)).boxed(),
        PropertyType::TwoByteInteger => int()
            .prop_map(|v| PropertyValue::TwoByteInteger(v as u16))
            .boxed(),
        PropertyType::FourByteInteger => int().prop_map(PropertyValue::FourByteInteger).boxed(),
        PropertyType::VariableByteInteger => {
            int().prop_map(PropertyValue::VariableByteInteger).boxed()
        }
        PropertyType::Utf8String => string().prop_map(PropertyValue::Utf8String).boxed(),
        PropertyType::BinaryData => bytes(8).prop_map(PropertyValue::BinaryData).boxed(),
        PropertyType::Utf8StringPair => (string(), string())
            .prop_map(|(k, v)| PropertyValue::Utf8StringPair(k, v))
            .boxed(),
    }
}

/// The values of property `id` in one list at `place`: up to two for a repeatable one,
/// otherwise none or one.
fn values(id: PropertyId, place: PropertyPlace) -> BoxedStrategy<Vec<PropertyValue>> {
    if id.repeatable_in(place) {
        vec(value(id), 0..3).boxed()
    } else {
        o(value(id)).prop_map(|v| v.into_iter().collect()).boxed()
    }
}

/// Properties that may appear at `place`: each property the table allows there, with
/// values its rule allows.
pub fn any_properties(place: PropertyPlace) -> impl Strategy<Value = Properties> {
    let ids: Vec<PropertyId> = PropertyId::ALL
        .into_iter()
        .filter(|id| id.allowed_in(place))
        .collect();
    let drawn: Vec<_> = ids.iter().map(|&id| values(id, place)).collect();
    drawn.prop_map(move |drawn| {
        let mut p = Properties::default();
        for (&id, vs) in ids.iter().zip(drawn) {
            for v in vs {
                p.add(id, v).expect("a value of the property's type");
            }
        }
        p
    })
}

pub fn props(place: PropertyPlace) -> impl Strategy<Value = Properties> {
    prop_oneof![
        1 => Just(Properties::default()),
        3 => any_properties(place),
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

fn pub_resp(ty: u8, place: PropertyPlace) -> impl Strategy<Value = PubResp> {
    (1u16.., reason_for(ty), props(place)).prop_map(|(packet_id, reason, properties)| PubResp {
        packet_id,
        reason,
        properties,
    })
}

/// Valid MQTT 5.0 packets.
pub fn packet_v5() -> impl Strategy<Value = Packet> {
    let will = (
        topic(),
        bytes(16),
        qos(),
        any::<bool>(),
        props(PropertyPlace::Will),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| Will {
            topic,
            payload,
            qos,
            retain,
            properties,
        });
    let connect = (
        any::<bool>(),
        any::<u16>(),
        string(),
        o(will),
        o(string()),
        o(bytes(8)),
        props(PropertyPlace::Connect),
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
        (any::<bool>(), props(PropertyPlace::ConnAck)).prop_map(|(sp, properties)| ConnAck {
            session_present: sp,
            code: 0,
            properties
        }),
        (reason_for(2), props(PropertyPlace::ConnAck)).prop_map(|(code, properties)| ConnAck {
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
        props(PropertyPlace::Publish),
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
    let subscribe = (1u16.., vec(filter, 1..4), props(PropertyPlace::Subscribe)).prop_map(
        |(packet_id, filters, properties)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                filters,
                properties,
            })
        },
    );
    let suback = (
        1u16..,
        vec(reason_for(9), 1..5),
        props(PropertyPlace::SubAck),
    )
        .prop_map(|(packet_id, codes, properties)| {
            Packet::SubAck(SubAck {
                packet_id,
                codes,
                properties,
            })
        });
    let unsubscribe = (
        1u16..,
        vec(string(), 1..4),
        props(PropertyPlace::Unsubscribe),
    )
        .prop_map(|(packet_id, filters, properties)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                filters,
                properties,
            })
        });
    let unsuback = (
        1u16..,
        vec(reason_for(11), 1..5),
        props(PropertyPlace::UnsubAck),
    )
        .prop_map(|(packet_id, codes, properties)| {
            Packet::UnsubAck(UnsubAck {
                packet_id,
                codes,
                properties,
            })
        });
    let disconnect = (reason_for(14), props(PropertyPlace::Disconnect))
        .prop_map(|(reason, properties)| Packet::Disconnect(Disconnect { reason, properties }));
    let auth = (reason_for(15), props(PropertyPlace::Auth))
        .prop_map(|(reason, properties)| Packet::Auth(Auth { reason, properties }));
    prop_oneof![
        connect,
        connack,
        publish,
        pub_resp(4, PropertyPlace::PubAck).prop_map(Packet::PubAck),
        pub_resp(5, PropertyPlace::PubRec).prop_map(Packet::PubRec),
        pub_resp(6, PropertyPlace::PubRel).prop_map(Packet::PubRel),
        pub_resp(7, PropertyPlace::PubComp).prop_map(Packet::PubComp),
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

/// The property lists of a packet, each with its place.
pub fn property_lists(p: &Packet) -> Vec<(PropertyPlace, &Properties)> {
    use PropertyPlace as P;
    match p {
        Packet::Connect(c) => {
            let mut v = vec![(P::Connect, &c.properties)];
            v.extend(c.will.iter().map(|w| (P::Will, &w.properties)));
            v
        }
        Packet::ConnAck(a) => vec![(P::ConnAck, &a.properties)],
        Packet::Publish(p) => vec![(P::Publish, &p.properties)],
        Packet::PubAck(r) => vec![(P::PubAck, &r.properties)],
        Packet::PubRec(r) => vec![(P::PubRec, &r.properties)],
        Packet::PubRel(r) => vec![(P::PubRel, &r.properties)],
        Packet::PubComp(r) => vec![(P::PubComp, &r.properties)],
        Packet::Subscribe(s) => vec![(P::Subscribe, &s.properties)],
        Packet::SubAck(s) => vec![(P::SubAck, &s.properties)],
        Packet::Unsubscribe(u) => vec![(P::Unsubscribe, &u.properties)],
        Packet::UnsubAck(u) => vec![(P::UnsubAck, &u.properties)],
        Packet::Disconnect(d) => vec![(P::Disconnect, &d.properties)],
        Packet::Auth(a) => vec![(P::Auth, &a.properties)],
        Packet::PingReq | Packet::PingResp => Vec::new(),
    }
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
