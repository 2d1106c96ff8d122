//! What the encoder refuses, and that it writes nothing then.

use bytes::{Bytes, BytesMut};
use ferromq::codec::*;

const V3: Protocol = Protocol::V311;
const V5: Protocol = Protocol::V5;

#[track_caller]
fn refused(p: &Packet, protocol: Protocol, words: &[&str]) {
    let mut out = BytesMut::from(&b"keep"[..]);
    let e = encode(p, protocol, &mut out).unwrap_err();
    assert_eq!(&out[..], b"keep", "nothing appended on error");
    assert_eq!(encoded_len(p, protocol).unwrap_err(), e);
    for w in words {
        assert!(
            e.message.contains(w),
            "{:?} does not mention {w:?}",
            e.message
        );
    }
}

fn publish(qos: QoS, packet_id: u16) -> Publish {
    Publish {
        dup: false,
        qos,
        retain: false,
        topic: "t".into(),
        packet_id,
        payload: Bytes::new(),
        properties: Properties::default(),
    }
}

#[test]
fn string_too_long() {
    let mut p = publish(QoS::AtMostOnce, 0);
    p.topic = "x".repeat(65_536).into();
    refused(
        &Packet::Publish(p.clone()),
        V3,
        &["PUBLISH", "topic name", "65536 bytes"],
    );
    p.topic = "x".repeat(65_535).into();
    assert!(encoded_len(&Packet::Publish(p), V3).is_ok());
    let mut p = publish(QoS::AtMostOnce, 0);
    p.properties
        .user_properties
        .push(("k".into(), "v".repeat(70_000)));
    refused(&Packet::Publish(p), V5, &["User Property value", "70000"]);
}

#[test]
fn remaining_length_too_large() {
    let mut p = publish(QoS::AtMostOnce, 0);
    p.payload = Bytes::from(vec![0u8; 268_435_455]);
    refused(
        &Packet::Publish(p.clone()),
        V3,
        &["PUBLISH", "remaining length", "268435455"],
    );
    p.payload = p.payload.slice(..268_435_455 - 3);
    assert_eq!(
        encoded_len(&Packet::Publish(p), V3).unwrap(),
        268_435_455 + 5
    );
}

#[test]
fn packet_id_rules() {
    refused(
        &Packet::Publish(publish(QoS::AtMostOnce, 5)),
        V3,
        &["QoS 0", "packet identifier"],
    );
    refused(
        &Packet::Publish(publish(QoS::AtLeastOnce, 0)),
        V5,
        &["QoS 1", "packet identifier"],
    );
    let mut dup = publish(QoS::AtMostOnce, 0);
    dup.dup = true;
    refused(&Packet::Publish(dup), V3, &["DUP"]);
    let ack = PubResp {
        packet_id: 0,
        reason: 0,
        properties: Properties::default(),
    };
    refused(&Packet::PubAck(ack), V3, &["PUBACK", "packet identifier 0"]);
}

#[test]
fn topic_rules() {
    let mut p = publish(QoS::AtMostOnce, 0);
    p.topic = "a/#".into();
    refused(&Packet::Publish(p.clone()), V3, &["wildcard"]);
    p.topic = "".into();
    refused(&Packet::Publish(p.clone()), V5, &["empty"]);
    p.properties.topic_alias = Some(3);
    assert!(encoded_len(&Packet::Publish(p.clone()), V5).is_ok());
    refused(&Packet::Publish(p), V3, &["empty"]);
    let mut p = publish(QoS::AtMostOnce, 0);
    p.topic = "a\0b".into();
    refused(&Packet::Publish(p), V3, &["U+0000"]);
}

#[test]
fn property_rules() {
    let mut p = publish(QoS::AtMostOnce, 0);
    p.properties.subscription_identifiers = vec![0];
    refused(
        &Packet::Publish(p.clone()),
        V5,
        &["Subscription Identifier", "1 and 268435455"],
    );
    p.properties.subscription_identifiers = vec![268_435_456];
    refused(
        &Packet::Publish(p.clone()),
        V5,
        &["Subscription Identifier"],
    );
    // Ignored under 3.1.1.
    assert!(encoded_len(&Packet::Publish(p), V3).is_ok());

    let mut p = publish(QoS::AtMostOnce, 0);
    p.properties.receive_maximum = Some(5);
    refused(&Packet::Publish(p), V5, &["Receive Maximum", "not allowed"]);
    let mut p = publish(QoS::AtMostOnce, 0);
    p.properties.payload_format_indicator = Some(2);
    refused(
        &Packet::Publish(p),
        V5,
        &["Payload Format Indicator", "0 or 1"],
    );
    let mut p = publish(QoS::AtMostOnce, 0);
    p.properties.topic_alias = Some(0);
    refused(&Packet::Publish(p), V5, &["Topic Alias"]);

    let s = Subscribe {
        packet_id: 1,
        filters: vec![SubscribeFilter {
            filter: "a".into(),
            qos: QoS::AtMostOnce,
            no_local: false,
            retain_as_published: false,
            retain_handling: 3,
        }],
        properties: Properties {
            subscription_identifiers: vec![1, 2],
            ..Properties::default()
        },
    };
    refused(
        &Packet::Subscribe(s.clone()),
        V5,
        &["at most one Subscription Identifier"],
    );
    let mut one = s.clone();
    one.properties.subscription_identifiers.truncate(1);
    refused(&Packet::Subscribe(one), V5, &["retain handling 3"]);
    let mut none = s;
    none.filters.clear();
    refused(&Packet::Subscribe(none), V3, &["no topic filters"]);
}

#[test]
fn version_rules() {
    let auth = Packet::Auth(Auth {
        reason: 0,
        properties: Properties::default(),
    });
    refused(&auth, V3, &["AUTH", "3.1.1"]);
    let connack = |code| {
        Packet::ConnAck(ConnAck {
            session_present: false,
            code,
            properties: Properties::default(),
        })
    };
    refused(&connack(0x87), V3, &["3.1.1 return code"]);
    refused(&connack(0x06), V5, &["0x06"]);
    let mut sp = ConnAck {
        session_present: true,
        code: 0x87,
        properties: Properties::default(),
    };
    refused(&Packet::ConnAck(sp.clone()), V5, &["session present"]);
    sp.session_present = false;
    sp.code = 1;
    sp.properties.reason_string = Some("x".into());
    refused(&Packet::ConnAck(sp), V5, &["3.1.1 form"]);
    let ack = PubResp {
        packet_id: 1,
        reason: 0x10,
        properties: Properties::default(),
    };
    refused(&Packet::PubRel(ack), V5, &["PUBREL", "0x10"]);
    let connect = Connect {
        protocol: V3,
        clean_start: true,
        keep_alive: 0,
        client_id: String::new(),
        will: None,
        username: None,
        password: Some(Bytes::from_static(b"pw")),
        properties: Properties::default(),
    };
    refused(
        &Packet::Connect(Box::new(connect.clone())),
        V3,
        &["password without a user name"],
    );
    // Allowed in 5.0. A CONNECT is encoded for the protocol it names.
    let v5 = Connect {
        protocol: V5,
        ..connect
    };
    assert!(encoded_len(&Packet::Connect(Box::new(v5)), V3).is_ok());
}

#[test]
fn appends_to_out() {
    let mut out = BytesMut::from(&b"ab"[..]);
    encode(&Packet::PingReq, V5, &mut out).unwrap();
    encode(&Packet::PingResp, V5, &mut out).unwrap();
    assert_eq!(&out[..], &[b'a', b'b', 0xC0, 0x00, 0xD0, 0x00]);
}
