//! One test per malformation the decoder must refuse: the reason code and that the message
//! names the problem (and the packet).

use crate::codec_gen;

use bytes::BytesMut;
use codec_gen::MAX;
use ferromq::codec::*;

const V3: Protocol = Protocol::V311;
const V5: Protocol = Protocol::V5;
const MALFORMED: u8 = reason::MALFORMED_PACKET;
const PROTOCOL: u8 = reason::PROTOCOL_ERROR;

/// Decoding `bytes` fails with `reason` and a message containing each of `words`.
#[track_caller]
fn refused(bytes: &[u8], protocol: Protocol, reason: u8, words: &[&str]) -> DecodeError {
    let mut buf = BytesMut::from(bytes);
    let e = match decode(&mut buf, protocol, MAX) {
        Err(e) => e,
        Ok(p) => panic!("{bytes:02X?} decoded as {p:?}"),
    };
    assert_eq!(e.reason, reason, "reason of {:?}", e.message);
    for w in words {
        assert!(
            e.message.contains(w),
            "{:?} does not mention {w:?}",
            e.message
        );
    }
    e
}

#[test]
fn remaining_length_of_more_than_4_bytes() {
    // Refused as soon as the fourth continuation byte is seen.
    refused(
        &[0x30, 0xFF, 0xFF, 0xFF, 0xFF],
        V3,
        MALFORMED,
        &["PUBLISH", "remaining length", "more than 4 bytes"],
    );
    refused(
        &[0xC0, 0x80, 0x80, 0x80, 0x80],
        V5,
        MALFORMED,
        &["PINGREQ", "more than 4 bytes"],
    );
}

#[test]
fn remaining_length_not_minimal_is_refused_under_v5() {
    // Only MQTT 5.0 asks for the fewest bytes (1.5.5).
    refused(
        &[0xC0, 0x80, 0x00],
        V5,
        MALFORMED,
        &["PINGREQ", "minimum number of bytes"],
    );
    // 2 written in two bytes, 0x82 0x00.
    refused(
        &[0x40, 0x82, 0x00, 0x00, 0x07],
        V5,
        MALFORMED,
        &["PUBACK", "minimum number of bytes"],
    );
}

#[test]
fn remaining_length_not_minimal_is_accepted_under_v311() {
    // 3.1.1 does not require the shortest form: the same numbers, one byte longer or more.
    let mut buf = BytesMut::from(&[0xC0, 0x80, 0x00][..]);
    assert_eq!(decode(&mut buf, V3, MAX).unwrap(), Some(Packet::PingReq));
    assert!(buf.is_empty());
    let mut buf = BytesMut::from(&[0x40, 0x82, 0x80, 0x80, 0x00, 0x00, 0x07, 0xD0][..]);
    let p = decode(&mut buf, V3, MAX).unwrap();
    assert_eq!(
        p,
        Some(Packet::PubAck(PubResp {
            packet_id: 7,
            reason: 0,
            properties: Properties::default(),
        }))
    );
    assert_eq!(&buf[..], &[0xD0], "only the PUBACK's bytes are consumed");
    // Still at most 4 length bytes.
    refused(
        &[0xC0, 0x80, 0x80, 0x80, 0x80, 0x00],
        V3,
        MALFORMED,
        &["more than 4 bytes"],
    );
}

#[test]
fn packet_larger_than_maximum() {
    let mut buf = BytesMut::from(&[0x30, 0x0A, 0x00, 0x03, b'a', b'/', b'b', 1, 2, 3, 4, 5][..]);
    let e = decode(&mut buf, V3, 11).unwrap_err();
    assert_eq!(e.reason, reason::PACKET_TOO_LARGE);
    assert!(
        e.message.contains("PUBLISH") && e.message.contains("12 bytes") && e.message.contains("11"),
        "{}",
        e.message
    );
    assert_eq!(buf.len(), 12, "nothing consumed");
    // Exactly the maximum is fine.
    assert!(decode(&mut buf, V3, 12).unwrap().is_some());
}

#[test]
fn string_length_past_the_packet() {
    refused(
        &[0x30, 0x03, 0x00, 0x10, b'a'],
        V3,
        MALFORMED,
        &["PUBLISH", "topic name", "runs past the end"],
    );
    // Client id length past the end of a CONNECT.
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0E, 0x00, 0x04, b'M', b'Q', b'T', b'T', 4, 0x02, 0x00, 0x00, 0x00, 0x09, b'a', b'b'],
        V3, MALFORMED, &["CONNECT", "client identifier", "runs past the end"],
    );
}

#[test]
fn property_length_past_the_packet() {
    refused(
        &[0x40, 0x05, 0x00, 0x01, 0x00, 0x09, 0x1F],
        V5,
        MALFORMED,
        &["PUBACK", "property list", "runs past the end"],
    );
    // A property value running past the property list.
    refused(
        &[0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0x1F, 0x00, 0x05],
        V5,
        MALFORMED,
        &["PUBACK", "Reason String", "runs past the end"],
    );
}

#[test]
fn invalid_utf8() {
    refused(
        &[0x30, 0x04, 0x00, 0x02, 0xC3, 0x28],
        V3,
        MALFORMED,
        &["PUBLISH", "topic name", "not valid UTF-8"],
    );
    // An encoded surrogate (U+D800) is not UTF-8 either.
    refused(
        &[0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80],
        V5,
        MALFORMED,
        &["not valid UTF-8"],
    );
    // In a user property.
    refused(
        &[
            0xE0, 0x09, 0x00, 0x07, 0x26, 0x00, 0x01, 0xFF, 0x00, 0x01, b'v',
        ],
        V5,
        MALFORMED,
        &["DISCONNECT", "User Property name", "not valid UTF-8"],
    );
}

#[test]
fn null_character_in_a_string() {
    refused(
        &[0x30, 0x05, 0x00, 0x03, b'a', 0x00, b'b'],
        V3,
        MALFORMED,
        &["PUBLISH", "topic name", "U+0000"],
    );
    refused(
        &[0x82, 0x07, 0x00, 0x01, 0x00, 0x02, b'a', 0x00, 0x00],
        V3,
        MALFORMED,
        &["SUBSCRIBE", "topic filter", "U+0000"],
    );
}

#[test]
fn control_characters_are_accepted() {
    let mut buf = BytesMut::from(&[0x30, 0x04, 0x00, 0x02, 0x01, 0x7F][..]);
    assert!(decode(&mut buf, V3, MAX).unwrap().is_some());
}

#[test]
fn property_twice() {
    refused(
        &[
            0x30, 0x0A, 0x00, 0x01, b't', 0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02,
        ],
        V5,
        PROTOCOL,
        &["PUBLISH", "Topic Alias", "more than once"],
    );
    // At most one Subscription Identifier on SUBSCRIBE (several are fine on PUBLISH).
    refused(
        &[
            0x82, 0x0B, 0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, b'a', 0x00,
        ],
        V5,
        PROTOCOL,
        &["SUBSCRIBE", "Subscription Identifier", "more than once"],
    );
    let mut ok = BytesMut::from(&[0x30, 0x08, 0x00, 0x01, b't', 0x04, 0x0B, 0x01, 0x0B, 0x02][..]);
    assert!(decode(&mut ok, V5, MAX).is_ok());
}

#[test]
fn property_not_allowed_on_the_packet() {
    refused(
        &[0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0x23, 0x00, 0x01],
        V5,
        MALFORMED,
        &["PUBACK", "Topic Alias", "not allowed"],
    );
    // Will Delay Interval belongs to the will properties, not to CONNECT's own.
    #[rustfmt::skip]
    refused(
        &[0x10, 0x12, 0x00, 0x04, b'M', b'Q', b'T', b'T', 5, 0x02, 0x00, 0x00,
          0x05, 0x18, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00],
        V5, MALFORMED, &["CONNECT", "Will Delay Interval", "not allowed"],
    );
    refused(
        &[0x40, 0x05, 0x00, 0x01, 0x00, 0x01, 0x7F],
        V5,
        MALFORMED,
        &["PUBACK", "unknown property identifier 0x7F"],
    );
}

#[test]
fn reserved_fixed_header_flags() {
    refused(
        &[0x80, 0x03, 0x00, 0x01, 0x00],
        V3,
        MALFORMED,
        &["SUBSCRIBE", "reserved flag bits", "0b0010"],
    );
    refused(
        &[0xA0, 0x02, 0x00, 0x01],
        V3,
        MALFORMED,
        &["UNSUBSCRIBE", "reserved flag bits"],
    );
    refused(
        &[0x60, 0x02, 0x00, 0x01],
        V3,
        MALFORMED,
        &["PUBREL", "reserved flag bits"],
    );
    refused(
        &[0x42, 0x02, 0x00, 0x01],
        V3,
        MALFORMED,
        &["PUBACK", "reserved flag bits"],
    );
    refused(
        &[0xC1, 0x00],
        V5,
        MALFORMED,
        &["PINGREQ", "reserved flag bits"],
    );
    // Checked from the first byte on.
    refused(
        &[0xE8],
        V5,
        MALFORMED,
        &["DISCONNECT", "reserved flag bits"],
    );
}

#[test]
fn packet_id_zero() {
    refused(
        &[0x40, 0x02, 0x00, 0x00],
        V3,
        PROTOCOL,
        &["PUBACK", "packet identifier 0"],
    );
    refused(
        &[0x32, 0x05, 0x00, 0x01, b't', 0x00, 0x00],
        V3,
        PROTOCOL,
        &["PUBLISH", "packet identifier 0"],
    );
    refused(
        &[0x82, 0x06, 0x00, 0x00, 0x00, 0x01, b'a', 0x00],
        V3,
        PROTOCOL,
        &["SUBSCRIBE", "packet identifier 0"],
    );
    refused(
        &[0xB0, 0x02, 0x00, 0x00],
        V3,
        PROTOCOL,
        &["UNSUBACK", "packet identifier 0"],
    );
}

#[test]
fn qos_3() {
    refused(
        &[0x36, 0x05, 0x00, 0x01, b't', 0x00, 0x01],
        V3,
        MALFORMED,
        &["PUBLISH", "QoS 3"],
    );
    // Will QoS 3 in the connect flags (will flag set).
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0C, 0x00, 0x04, b'M', b'Q', b'T', b'T', 4, 0x1E, 0x00, 0x00, 0x00, 0x00],
        V3, MALFORMED, &["CONNECT", "will QoS 3"],
    );
    refused(
        &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', 0x03],
        V3,
        MALFORMED,
        &["SUBSCRIBE", "QoS 3"],
    );
}

#[test]
fn dup_on_qos_0() {
    refused(
        &[0x38, 0x03, 0x00, 0x01, b't'],
        V3,
        MALFORMED,
        &["PUBLISH", "DUP", "QoS 0"],
    );
}

#[test]
fn reserved_connect_flags() {
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0C, 0x00, 0x04, b'M', b'Q', b'T', b'T', 4, 0x03, 0x00, 0x00, 0x00, 0x00],
        V3, MALFORMED, &["CONNECT", "reserved bit"],
    );
    // Will QoS / retain without the will flag.
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0C, 0x00, 0x04, b'M', b'Q', b'T', b'T', 4, 0x22, 0x00, 0x00, 0x00, 0x00],
        V3, MALFORMED, &["CONNECT", "will flag is 0"],
    );
    // 3.1.1: a password needs a user name.
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0E, 0x00, 0x04, b'M', b'Q', b'T', b'T', 4, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
        V3, PROTOCOL, &["CONNECT", "password", "user name"],
    );
}

#[test]
fn reserved_subscription_options() {
    refused(
        &[0x82, 0x06, 0x00, 0x01, 0x00, 0x01, b'a', 0x04],
        V3,
        MALFORMED,
        &["SUBSCRIBE", "reserved bits", "subscription options"],
    );
    refused(
        &[0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x40],
        V5,
        MALFORMED,
        &["SUBSCRIBE", "reserved bits"],
    );
    refused(
        &[0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x30],
        V5,
        PROTOCOL,
        &["SUBSCRIBE", "retain handling 3"],
    );
}

#[test]
fn reserved_packet_types() {
    refused(
        &[0x00, 0x00],
        V3,
        MALFORMED,
        &["type 0", "reserved", "3.1.1"],
    );
    refused(
        &[0xF0, 0x00],
        V3,
        MALFORMED,
        &["type 15", "reserved", "3.1.1"],
    );
    refused(&[0x00], V5, MALFORMED, &["type 0", "reserved"]);
}

#[test]
fn trailing_bytes() {
    refused(&[0xC0, 0x01, 0x00], V3, MALFORMED, &["PINGREQ", "trailing"]);
    refused(
        &[0x40, 0x03, 0x00, 0x01, 0x00],
        V3,
        MALFORMED,
        &["PUBACK", "trailing"],
    );
    refused(
        &[0x20, 0x03, 0x00, 0x00, 0x00],
        V3,
        MALFORMED,
        &["CONNACK", "trailing"],
    );
    refused(
        &[0xE0, 0x01, 0x00],
        V3,
        MALFORMED,
        &["DISCONNECT", "trailing"],
    );
    refused(
        &[0xB0, 0x03, 0x00, 0x01, 0x00],
        V3,
        MALFORMED,
        &["UNSUBACK", "trailing"],
    );
    refused(
        &[0x40, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00],
        V5,
        MALFORMED,
        &["PUBACK", "trailing"],
    );
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0D, 0x00, 0x04, b'M', b'Q', b'T', b'T', 4, 0x02, 0x00, 0x00, 0x00, 0x00, 0xAA],
        V3, MALFORMED, &["CONNECT", "trailing"],
    );
}

#[test]
fn no_topic_filters() {
    refused(
        &[0x82, 0x02, 0x00, 0x01],
        V3,
        PROTOCOL,
        &["SUBSCRIBE", "no topic filters"],
    );
    refused(
        &[0xA2, 0x03, 0x00, 0x01, 0x00],
        V5,
        PROTOCOL,
        &["UNSUBSCRIBE", "no topic filters"],
    );
    refused(
        &[0x90, 0x02, 0x00, 0x01],
        V3,
        PROTOCOL,
        &["SUBACK", "no return codes"],
    );
}

#[test]
fn invalid_property_values() {
    refused(
        &[0x30, 0x06, 0x00, 0x01, b't', 0x02, 0x01, 0x02],
        V5,
        PROTOCOL,
        &["PUBLISH", "Payload Format Indicator", "value 2"],
    );
    #[rustfmt::skip]
    let connect = |props: &[u8]| {
        let mut v = vec![0x10, 0, 0x00, 0x04, b'M', b'Q', b'T', b'T', 5, 0x02, 0x00, 0x00, props.len() as u8];
        v.extend_from_slice(props);
        v.extend_from_slice(&[0x00, 0x00]);
        v[1] = (v.len() - 2) as u8;
        v
    };
    refused(
        &connect(&[0x21, 0x00, 0x00]),
        V5,
        PROTOCOL,
        &["CONNECT", "Receive Maximum", "must not be 0"],
    );
    refused(
        &connect(&[0x27, 0x00, 0x00, 0x00, 0x00]),
        V5,
        PROTOCOL,
        &["CONNECT", "Maximum Packet Size", "must not be 0"],
    );
    refused(
        &connect(&[0x17, 0x02]),
        V5,
        PROTOCOL,
        &["Request Problem Information", "0 or 1"],
    );
    refused(
        &[0x30, 0x06, 0x00, 0x01, b't', 0x02, 0x0B, 0x00],
        V5,
        PROTOCOL,
        &["PUBLISH", "Subscription Identifier", "value 0"],
    );
    refused(
        &[
            0x30, 0x09, 0x00, 0x01, b't', 0x05, 0x0B, 0x80, 0x80, 0x80, 0x80,
        ],
        V5,
        MALFORMED,
        &["PUBLISH", "Subscription Identifier", "more than 4 bytes"],
    );
    refused(
        &[0x30, 0x07, 0x00, 0x01, b't', 0x03, 0x23, 0x00, 0x00],
        V5,
        reason::TOPIC_ALIAS_INVALID,
        &["PUBLISH", "Topic Alias", "must not be 0"],
    );
    refused(
        &[0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x02],
        V5,
        PROTOCOL,
        &["CONNACK", "Maximum QoS", "0 or 1"],
    );
}

#[test]
fn unsupported_protocol() {
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0E, 0x00, 0x06, b'M', b'Q', b'I', b's', b'd', b'p', 3, 0x02, 0x00, 0x00, 0x00, 0x00],
        V3, PROTOCOL, &["CONNECT", "MQTT 3.1", "not supported"],
    );
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0C, 0x00, 0x04, b'M', b'Q', b'T', b'T', 6, 0x02, 0x00, 0x00, 0x00, 0x00],
        V3, PROTOCOL, &["CONNECT", "level 6"],
    );
    #[rustfmt::skip]
    refused(
        &[0x10, 0x0C, 0x00, 0x04, b'M', b'Q', b'T', b'X', 4, 0x02, 0x00, 0x00, 0x00, 0x00],
        V3, PROTOCOL, &["CONNECT", "protocol name"],
    );
}

#[test]
fn invalid_reason_codes() {
    refused(
        &[0x40, 0x03, 0x00, 0x01, 0x92],
        V5,
        PROTOCOL,
        &["PUBACK", "0x92", "reason code"],
    );
    refused(&[0xE0, 0x01, 0x01], V5, PROTOCOL, &["DISCONNECT", "0x01"]);
    refused(
        &[0x20, 0x03, 0x00, 0x01, 0x00],
        V5,
        PROTOCOL,
        &["CONNACK", "0x01"],
    );
    refused(
        &[0x20, 0x02, 0x00, 0x06],
        V3,
        PROTOCOL,
        &["CONNACK", "return code 6"],
    );
    refused(
        &[0x90, 0x03, 0x00, 0x01, 0x87],
        V3,
        PROTOCOL,
        &["SUBACK", "0x87"],
    );
    refused(&[0x20, 0x02, 0x00, 0xC0], V5, PROTOCOL, &["CONNACK", "192"]);
}

#[test]
fn connack_rules() {
    refused(
        &[0x20, 0x02, 0x02, 0x00],
        V3,
        MALFORMED,
        &["CONNACK", "reserved bits"],
    );
    refused(
        &[0x20, 0x02, 0x01, 0x02],
        V3,
        PROTOCOL,
        &["CONNACK", "session present"],
    );
}

#[test]
fn publish_topic_rules() {
    refused(
        &[0x30, 0x03, 0x00, 0x00, b'x'],
        V3,
        PROTOCOL,
        &["PUBLISH", "topic name is empty"],
    );
    refused(
        &[0x30, 0x04, 0x00, 0x00, 0x00, b'x'],
        V5,
        PROTOCOL,
        &["PUBLISH", "no Topic Alias"],
    );
    refused(
        &[0x30, 0x05, 0x00, 0x03, b'a', b'/', b'+'],
        V3,
        reason::TOPIC_NAME_INVALID,
        &["PUBLISH", "wildcard"],
    );
}

/// The protocol layer sends a DecodeError's reason in its DISCONNECT.
#[test]
fn every_reason_fits_a_disconnect() {
    for code in [MALFORMED, PROTOCOL, 0x90, 0x94, 0x95] {
        assert!(reason::is_valid_reason(14, code));
    }
}

#[test]
fn error_converts_to_engine_error() {
    let e = refused(&[0xC0, 0x01, 0x00], V3, MALFORMED, &[]);
    let e: ferromq::Error = e.into();
    assert_eq!(e.code, ferromq::code::MALFORMED);
}
