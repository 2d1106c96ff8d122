//! Byte vectors written by hand from the MQTT 3.1.1 and 5.0 specifications, checked both
//! ways: decode(bytes) == packet and encode(packet) == bytes.

use crate::codec_gen;

use bytes::Bytes;
use codec_gen::*;
use ferromq::codec::*;

const V3: Protocol = Protocol::V311;
const V5: Protocol = Protocol::V5;

fn check(bytes: &[u8], protocol: Protocol, packet: Packet) {
    assert_eq!(
        decode_one(bytes, protocol).unwrap(),
        packet,
        "decode {bytes:02X?}"
    );
    assert_eq!(encode_vec(&packet, protocol), bytes, "encode {packet:?}");
}

fn decodes_to(bytes: &[u8], protocol: Protocol, packet: Packet) {
    assert_eq!(
        decode_one(bytes, protocol).unwrap(),
        packet,
        "decode {bytes:02X?}"
    );
}

fn none() -> Properties {
    Properties::default()
}

fn resp(packet_id: u16, reason: u8, properties: Properties) -> PubResp {
    PubResp {
        packet_id,
        reason,
        properties,
    }
}

#[test]
fn connect_v311_with_will_user_password() {
    #[rustfmt::skip]
    let bytes = [
        0x10, 34,                               // CONNECT, remaining length 34
        0x00, 0x04, b'M', b'Q', b'T', b'T',     // protocol name
        0x04,                                   // level 4 = 3.1.1
        0xEE,                                   // user, password, will retain, will QoS 1, will, clean
        0x00, 0x3C,                             // keep alive 60
        0x00, 0x03, b'c', b'i', b'd',           // client id
        0x00, 0x03, b'a', b'/', b'b',           // will topic
        0x00, 0x02, b'h', b'i',                 // will payload
        0x00, 0x04, b'u', b's', b'e', b'r',     // user name
        0x00, 0x02, b'p', b'w',                 // password
    ];
    let packet = Packet::Connect(Box::new(Connect {
        protocol: V3,
        clean_start: true,
        keep_alive: 60,
        client_id: "cid".into(),
        will: Some(Will {
            topic: "a/b".into(),
            payload: Bytes::from_static(b"hi"),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: none(),
        }),
        username: Some("user".into()),
        password: Some(Bytes::from_static(b"pw")),
        properties: none(),
    }));
    check(&bytes, V3, packet.clone());
    // A CONNECT is read with the level it carries, even when 5.0 is expected.
    decodes_to(&bytes, V5, packet);
}

#[test]
fn connect_v5_with_properties() {
    #[rustfmt::skip]
    let bytes = [
        0x10, 36,
        0x00, 0x04, b'M', b'Q', b'T', b'T',
        0x05,                                   // level 5
        0x06,                                   // will (QoS 0), clean start
        0x00, 0x0A,                             // keep alive 10
        0x08,                                   // property length 8
        0x11, 0x00, 0x00, 0x00, 0x78,           //   Session Expiry Interval 120
        0x21, 0x00, 0x14,                       //   Receive Maximum 20
        0x00, 0x01, b'x',                       // client id
        0x07,                                   // will property length 7
        0x01, 0x01,                             //   Payload Format Indicator 1
        0x18, 0x00, 0x00, 0x00, 0x05,           //   Will Delay Interval 5
        0x00, 0x01, b't',                       // will topic
        0x00, 0x01, b'p',                       // will payload
    ];
    let packet = Packet::Connect(Box::new(Connect {
        protocol: V5,
        clean_start: true,
        keep_alive: 10,
        client_id: "x".into(),
        will: Some(Will {
            topic: "t".into(),
            payload: Bytes::from_static(b"p"),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Properties {
                payload_format_indicator: Some(1),
                will_delay_interval: Some(5),
                ..none()
            },
        }),
        username: None,
        password: None,
        properties: Properties {
            session_expiry_interval: Some(120),
            receive_maximum: Some(20),
            ..none()
        },
    }));
    check(&bytes, V5, packet.clone());
    decodes_to(&bytes, V3, packet);
}

#[test]
fn connack_v311() {
    let ok = |session_present, code| {
        Packet::ConnAck(ConnAck {
            session_present,
            code,
            properties: none(),
        })
    };
    check(&[0x20, 0x02, 0x01, 0x00], V3, ok(true, 0));
    check(&[0x20, 0x02, 0x00, 0x05], V3, ok(false, 5));
    assert_eq!(reason::connack_return_name(5), "not authorized");
}

#[test]
fn connack_v5() {
    #[rustfmt::skip]
    let bytes = [
        0x20, 0x0E,
        0x00,                                   // no session
        0x00,                                   // success
        0x0B,                                   // property length 11
        0x12, 0x00, 0x03, b'a', b'b', b'c',     //   Assigned Client Identifier "abc"
        0x22, 0x00, 0x0A,                       //   Topic Alias Maximum 10
        0x24, 0x01,                             //   Maximum QoS 1
    ];
    check(
        &bytes,
        V5,
        Packet::ConnAck(ConnAck {
            session_present: false,
            code: 0,
            properties: Properties {
                assigned_client_identifier: Some("abc".into()),
                topic_alias_maximum: Some(10),
                maximum_qos: Some(1),
                ..none()
            },
        }),
    );
    let plain = |code| {
        Packet::ConnAck(ConnAck {
            session_present: false,
            code,
            properties: none(),
        })
    };
    check(
        &[0x20, 0x03, 0x00, 0x87, 0x00],
        V5,
        plain(reason::NOT_AUTHORIZED),
    );
    // A server that does not speak 5.0 answers in the 3.1.1 form: return code 1.
    check(&[0x20, 0x02, 0x00, 0x01], V5, plain(1));
    decodes_to(&[0x20, 0x02, 0x00, 0x00], V5, plain(0));
}

#[test]
fn publish_qos0_qos1_qos2() {
    let publish = |dup, qos, retain, topic: &str, packet_id, payload: &'static [u8], properties| {
        Packet::Publish(Publish {
            dup,
            qos,
            retain,
            topic: topic.into(),
            packet_id,
            payload: Bytes::from_static(payload),
            properties,
        })
    };
    #[rustfmt::skip]
    check(
        &[0x30, 0x0A, 0x00, 0x03, b'a', b'/', b'b', b'h', b'e', b'l', b'l', b'o'],
        V3,
        publish(false, QoS::AtMostOnce, false, "a/b", 0, b"hello", none()),
    );
    // DUP + QoS 1 + RETAIN, packet id 7.
    check(
        &[0x3B, 0x06, 0x00, 0x01, b't', 0x00, 0x07, b'x'],
        V3,
        publish(true, QoS::AtLeastOnce, true, "t", 7, b"x", none()),
    );
    check(
        &[0x30, 0x05, 0x00, 0x01, b't', 0x00, b'x'],
        V5,
        publish(false, QoS::AtMostOnce, false, "t", 0, b"x", none()),
    );
    #[rustfmt::skip]
    let qos2 = [
        0x34, 0x14,                             // PUBLISH QoS 2, remaining length 20
        0x00, 0x01, b't',
        0x00, 0x09,                             // packet id 9
        0x0C,                                   // property length 12
        0x01, 0x01,                             //   Payload Format Indicator 1
        0x02, 0x00, 0x00, 0x00, 0x3C,           //   Message Expiry Interval 60
        0x0B, 0x05,                             //   Subscription Identifier 5
        0x23, 0x00, 0x02,                       //   Topic Alias 2
        b'h', b'i',
    ];
    check(
        &qos2,
        V5,
        publish(
            false,
            QoS::ExactlyOnce,
            false,
            "t",
            9,
            b"hi",
            Properties {
                payload_format_indicator: Some(1),
                message_expiry_interval: Some(60),
                subscription_identifiers: vec![5],
                topic_alias: Some(2),
                ..none()
            },
        ),
    );
    // 5.0: an empty topic name with a Topic Alias.
    check(
        &[0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, b'z'],
        V5,
        publish(
            false,
            QoS::AtMostOnce,
            false,
            "",
            0,
            b"z",
            Properties {
                topic_alias: Some(1),
                ..none()
            },
        ),
    );
}

#[test]
fn puback_pubrec_pubrel_pubcomp() {
    check(
        &[0x40, 0x02, 0x00, 0x07],
        V3,
        Packet::PubAck(resp(7, 0, none())),
    );
    check(
        &[0x50, 0x02, 0x00, 0x07],
        V3,
        Packet::PubRec(resp(7, 0, none())),
    );
    check(
        &[0x62, 0x02, 0x00, 0x07],
        V3,
        Packet::PubRel(resp(7, 0, none())),
    );
    check(
        &[0x70, 0x02, 0x00, 0x07],
        V3,
        Packet::PubComp(resp(7, 0, none())),
    );
    // 5.0 short forms: remaining length 2 means reason 0; 3 means no properties.
    check(
        &[0x40, 0x02, 0x00, 0x07],
        V5,
        Packet::PubAck(resp(7, 0, none())),
    );
    decodes_to(
        &[0x40, 0x03, 0x00, 0x07, 0x00],
        V5,
        Packet::PubAck(resp(7, 0, none())),
    );
    decodes_to(
        &[0x40, 0x04, 0x00, 0x07, 0x00, 0x00],
        V5,
        Packet::PubAck(resp(7, 0, none())),
    );
    check(
        &[0x40, 0x03, 0x00, 0x07, 0x10],
        V5,
        Packet::PubAck(resp(7, reason::NO_MATCHING_SUBSCRIBERS, none())),
    );
    check(
        &[0x70, 0x03, 0x00, 0x07, 0x92],
        V5,
        Packet::PubComp(resp(7, reason::PACKET_IDENTIFIER_NOT_FOUND, none())),
    );
    #[rustfmt::skip]
    let long = [
        0x40, 0x0A, 0x00, 0x07,
        0x87,                                   // not authorized
        0x06,                                   // property length 6
        0x1F, 0x00, 0x03, b'b', b'a', b'd',     //   Reason String "bad"
    ];
    check(
        &long,
        V5,
        Packet::PubAck(resp(
            7,
            reason::NOT_AUTHORIZED,
            Properties {
                reason_string: Some("bad".into()),
                ..none()
            },
        )),
    );
}

#[test]
fn subscribe_with_options() {
    let f = |filter: &str, qos, no_local, rap, rh| SubscribeFilter {
        filter: filter.into(),
        qos,
        no_local,
        retain_as_published: rap,
        retain_handling: rh,
    };
    #[rustfmt::skip]
    check(
        &[0x82, 0x0C, 0x00, 0x0A,
          0x00, 0x03, b'a', b'/', b'#', 0x01,
          0x00, 0x01, b'b', 0x02],
        V3,
        Packet::Subscribe(Subscribe {
            packet_id: 10,
            filters: vec![
                f("a/#", QoS::AtLeastOnce, false, false, 0),
                f("b", QoS::ExactlyOnce, false, false, 0),
            ],
            properties: none(),
        }),
    );
    #[rustfmt::skip]
    check(
        &[0x82, 0x0B, 0x00, 0x0A,
          0x02, 0x0B, 0x07,                     // Subscription Identifier 7
          0x00, 0x03, b'a', b'/', b'#',
          0x2D],                                // retain handling 2, RAP, no local, QoS 1
        V5,
        Packet::Subscribe(Subscribe {
            packet_id: 10,
            filters: vec![f("a/#", QoS::AtLeastOnce, true, true, 2)],
            properties: Properties {
                subscription_identifiers: vec![7],
                ..none()
            },
        }),
    );
}

#[test]
fn suback_unsubscribe_unsuback() {
    check(
        &[0x90, 0x04, 0x00, 0x0A, 0x01, 0x80],
        V3,
        Packet::SubAck(SubAck {
            packet_id: 10,
            codes: vec![1, 0x80],
            properties: none(),
        }),
    );
    check(
        &[0x90, 0x05, 0x00, 0x0A, 0x00, 0x01, 0x87],
        V5,
        Packet::SubAck(SubAck {
            packet_id: 10,
            codes: vec![1, reason::NOT_AUTHORIZED],
            properties: none(),
        }),
    );
    let unsub = |properties| {
        Packet::Unsubscribe(Unsubscribe {
            packet_id: 11,
            filters: vec!["a/b".into()],
            properties,
        })
    };
    check(
        &[0xA2, 0x07, 0x00, 0x0B, 0x00, 0x03, b'a', b'/', b'b'],
        V3,
        unsub(none()),
    );
    check(
        &[0xA2, 0x08, 0x00, 0x0B, 0x00, 0x00, 0x03, b'a', b'/', b'b'],
        V5,
        unsub(none()),
    );
    check(
        &[0xB0, 0x02, 0x00, 0x0B],
        V3,
        Packet::UnsubAck(UnsubAck {
            packet_id: 11,
            codes: vec![],
            properties: none(),
        }),
    );
    check(
        &[0xB0, 0x05, 0x00, 0x0B, 0x00, 0x00, 0x11],
        V5,
        Packet::UnsubAck(UnsubAck {
            packet_id: 11,
            codes: vec![0x00, reason::NO_SUBSCRIPTION_EXISTED],
            properties: none(),
        }),
    );
}

#[test]
fn ping() {
    for p in [V3, V5] {
        check(&[0xC0, 0x00], p, Packet::PingReq);
        check(&[0xD0, 0x00], p, Packet::PingResp);
    }
}

#[test]
fn disconnect_short_and_long() {
    let d = |reason, properties| Packet::Disconnect(Disconnect { reason, properties });
    check(&[0xE0, 0x00], V3, d(0, none()));
    check(&[0xE0, 0x00], V5, d(0, none()));
    check(
        &[0xE0, 0x01, 0x04],
        V5,
        d(reason::DISCONNECT_WITH_WILL_MESSAGE, none()),
    );
    decodes_to(&[0xE0, 0x01, 0x00], V5, d(0, none()));
    decodes_to(&[0xE0, 0x02, 0x00, 0x00], V5, d(0, none()));
    #[rustfmt::skip]
    check(
        &[0xE0, 0x0C,
          0x8E,                                 // session taken over
          0x0A,
          0x11, 0x00, 0x00, 0x00, 0x00,         //   Session Expiry Interval 0
          0x1F, 0x00, 0x02, b'b', b'y'],        //   Reason String "by"
        V5,
        d(
            reason::SESSION_TAKEN_OVER,
            Properties {
                session_expiry_interval: Some(0),
                reason_string: Some("by".into()),
                ..none()
            },
        ),
    );
}

#[test]
fn auth() {
    let a = |reason, properties| Packet::Auth(Auth { reason, properties });
    check(&[0xF0, 0x00], V5, a(0, none()));
    check(
        &[0xF0, 0x02, 0x19, 0x00],
        V5,
        a(reason::RE_AUTHENTICATE, none()),
    );
    decodes_to(&[0xF0, 0x01, 0x19], V5, a(reason::RE_AUTHENTICATE, none()));
    #[rustfmt::skip]
    check(
        &[0xF0, 0x0F,
          0x18,                                 // continue authentication
          0x0D,
          0x15, 0x00, 0x05, b'P', b'L', b'A', b'I', b'N', // Authentication Method
          0x16, 0x00, 0x02, 0x01, 0x02],        //   Authentication Data
        V5,
        a(
            reason::CONTINUE_AUTHENTICATION,
            Properties {
                authentication_method: Some("PLAIN".into()),
                authentication_data: Some(Bytes::from_static(&[1, 2])),
                ..none()
            },
        ),
    );
}

#[test]
fn user_properties_keep_order_and_repeats() {
    #[rustfmt::skip]
    let bytes = [
        0xE0, 0x10, 0x00, 0x0E,
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'2',
        0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'1',
    ];
    check(
        &bytes,
        V5,
        Packet::Disconnect(Disconnect {
            reason: 0,
            properties: Properties {
                user_properties: vec![("k".into(), "2".into()), ("k".into(), "1".into())],
                ..none()
            },
        }),
    );
}

#[test]
fn publish_shares_the_receive_buffer() {
    let mut buf =
        bytes::BytesMut::from(&[0x30, 0x08, 0x00, 0x01, b't', b'h', b'e', b'l', b'l', b'o'][..]);
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let Some(Packet::Publish(p)) = decode(&mut buf, V3, MAX).unwrap() else {
        panic!("not a PUBLISH")
    };
    assert!(
        range.contains(&(p.payload.as_ptr() as usize)),
        "payload was copied"
    );
    assert!(
        range.contains(&(p.topic.as_ptr() as usize)),
        "topic was copied"
    );
}
