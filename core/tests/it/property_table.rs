//! The property table (core/src/codec/property_table.rs) as the faces see it: the public
//! `PropertyId`/`Properties`, and a session file saved before the table existed.

use bytes::Bytes;
use ferromq::codec::{PropertyId, QoS};
use ferromq::protocol::{Direction, MessageState, SessionState};

/// Written by `SessionState::to_text` before the session's JSON moved to the component
/// layer and its properties came from the property table: one outgoing message with every
/// property a saved PUBLISH holds, a QoS 2 past PUBREC, and an incoming message with
/// subscription identifiers.
const SAVED_BEFORE: &str = r#"{"format":"ferromq-session","version":1,"checksum":"crc32:6bd545d7","session":{"client_id":"tester","incoming":[{"dup":false,"packet_id":7,"payload":"ZGF0YQ==","properties":{"payload_format_indicator":0,"subscription_identifiers":[3,9],"user_properties":[["from","server"]]},"qos":2,"retain":false,"state":"WaitPubRel","topic":"in/7"}],"next_packet_id":3,"outgoing":[{"packet_id":1,"payload":"b25l","properties":{"content_type":"text/plain; charset=\"utf-8\"","correlation_data":"AAH+/w==","message_expiry_interval":3600,"payload_format_indicator":1,"response_topic":"reply/here","user_properties":[["k","v1"],["k","v2 ünï"]]},"qos":1,"retain":false,"sent":true,"state":"WaitPubAck","topic":"a/1"},{"packet_id":2,"payload":"/wCA","properties":{},"pubrec_order":1,"qos":2,"retain":true,"sent":true,"state":"WaitPubComp","topic":"a/2"}],"published":2}}"#;

#[test]
fn a_session_saved_before_restores_and_saves_the_same_bytes() {
    let s = SessionState::from_text(SAVED_BEFORE).unwrap();
    assert_eq!(s.to_text(), SAVED_BEFORE);
    assert_eq!(s.client_id(), "tester");
    assert_eq!(s.next_packet_id(), 3);
    assert_eq!(s.published(), 2);
    let out = s.outgoing();
    assert_eq!(out.len(), 2);
    let p = &out[0].properties;
    assert_eq!(p.payload_format_indicator, Some(1));
    assert_eq!(p.message_expiry_interval, Some(3600));
    assert_eq!(
        p.content_type.as_deref(),
        Some("text/plain; charset=\"utf-8\"")
    );
    assert_eq!(p.response_topic.as_deref(), Some("reply/here"));
    assert_eq!(
        p.correlation_data,
        Some(Bytes::from_static(&[0, 1, 0xFE, 0xFF]))
    );
    assert_eq!(
        p.user_properties,
        [
            ("k".to_string(), "v1".to_string()),
            ("k".to_string(), "v2 ünï".to_string())
        ]
    );
    assert_eq!(out[1].qos, QoS::ExactlyOnce);
    assert_eq!(out[1].state, MessageState::WaitPubComp);
    assert!(out[1].properties.is_empty());
    let inc = s.incoming();
    assert_eq!(inc.len(), 1);
    assert_eq!(inc[0].direction, Direction::Incoming);
    assert_eq!(inc[0].properties.subscription_identifiers, [3, 9]);
    assert_eq!(inc[0].properties.payload_format_indicator, Some(0));
}

/// The checksum of `body` as the session file's writer computes it.
fn sealed(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let canonical = serde_json::to_string(&v).unwrap();
    let mut crc = !0u32;
    for &b in canonical.as_bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    format!(
        "{{\"format\":\"ferromq-session\",\"version\":1,\"checksum\":\"crc32:{:08x}\",\"session\":{canonical}}}",
        !crc
    )
}

fn with_incoming_properties(props: &str) -> String {
    sealed(&format!(
        r#"{{"client_id":"c","next_packet_id":1,"outgoing":[],"incoming":[{{"packet_id":7,"qos":2,"state":"WaitPubRel","dup":false,"retain":false,"topic":"t","payload":"","properties":{props}}}]}}"#
    ))
}

#[test]
fn session_properties_follow_the_rules_of_the_table() {
    let ok = SessionState::from_text(&with_incoming_properties(r#"{"topic_alias":4}"#)).unwrap();
    assert_eq!(ok.incoming()[0].properties.topic_alias, Some(4));
    for (props, named) in [
        (
            r#"{"payload_format_indicator":2}"#,
            "payload_format_indicator",
        ),
        (
            r#"{"subscription_identifiers":[0]}"#,
            "subscription_identifiers[0]",
        ),
        (
            r#"{"message_expiry_interval":-1}"#,
            "message_expiry_interval",
        ),
        (r#"{"content_type":5}"#, "content_type"),
        (r#"{"correlation_data":"%%"}"#, "correlation_data"),
        (r#"{"user_properties":[["a"]]}"#, "user_properties[0]"),
        // Not a property of a PUBLISH, so not one a session keeps.
        (r#"{"reason_string":"x"}"#, "reason_string"),
    ] {
        let e = SessionState::from_text(&with_incoming_properties(props)).unwrap_err();
        assert_eq!(e.code, ferromq::code::INVALID_ARGUMENT);
        assert!(e.message.contains(named), "{props}: {e}");
        assert!(
            e.message.starts_with("cannot restore the session state"),
            "{e}"
        );
    }
}

#[test]
fn the_public_identifiers_are_the_specification_s() {
    for id in PropertyId::ALL {
        assert_eq!(PropertyId::from_u8(id as u8), Some(id));
        assert!(!id.name().is_empty());
    }
    assert!(PropertyId::ALL
        .windows(2)
        .all(|w| (w[0] as u8) < (w[1] as u8)));
    assert_eq!(PropertyId::from_u8(0x04), None);
    assert_eq!(PropertyId::ReceiveMaximum as u8, 0x21);
    assert_eq!(PropertyId::MaximumQos.name(), "Maximum QoS");
}
