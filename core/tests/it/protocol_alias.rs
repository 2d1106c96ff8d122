//! MQTT 5.0 topic aliases, both directions.

use crate::protocol_harness as harness;

use bytes::Bytes;
use ferromq::code;
use ferromq::codec::{Packet, Properties, Protocol, QoS};
use ferromq::protocol::ProtocolEvent;
use harness::*;

fn with_alias(topic: &str, alias: u16) -> Packet {
    let mut p = incoming(topic, QoS::AtMostOnce, 0);
    p.properties.topic_alias = Some(alias);
    Packet::Publish(p)
}

fn delivered_topics(h: &mut Harness) -> Vec<String> {
    h.events()
        .into_iter()
        .filter_map(|e| match e {
            ProtocolEvent::MessageIn { message } => Some(message.topic.to_string()),
            _ => None,
        })
        .collect()
}

fn aliased(max: u16) -> Harness {
    let mut cfg = config(Protocol::V5);
    cfg.connect_properties.topic_alias_maximum = Some(max);
    Harness::connected(cfg)
}

#[test]
fn incoming_aliases_are_set_used_and_replaced() {
    let mut h = aliased(3);
    h.feed(with_alias("sensors/1", 1));
    h.feed(with_alias("", 1));
    h.feed(with_alias("sensors/3", 3));
    h.feed(with_alias("", 3));
    h.feed(with_alias("sensors/other", 1));
    h.feed(with_alias("", 1));
    assert_eq!(
        delivered_topics(&mut h),
        vec![
            "sensors/1",
            "sensors/1",
            "sensors/3",
            "sensors/3",
            "sensors/other",
            "sensors/other"
        ]
    );
    assert!(h.conn.is_connected());
}

#[test]
fn incoming_alias_keeps_the_property_on_the_message() {
    let mut h = aliased(1);
    h.feed(with_alias("t", 1));
    h.feed(with_alias("", 1));
    let evs = h.events();
    match &evs[1] {
        ProtocolEvent::MessageIn { message } => {
            assert_eq!(&*message.topic, "t");
            assert_eq!(message.properties.topic_alias, Some(1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn incoming_alias_zero_is_invalid() {
    let mut h = aliased(3);
    h.feed(with_alias("t", 0));
    assert_eq!(h.closed().0, code::PROTOCOL);
    assert_eq!(disconnect_reason(&h.packets()), 0x94);
}

#[test]
fn incoming_alias_above_our_maximum_is_invalid() {
    let mut h = aliased(3);
    h.feed(with_alias("t", 4));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(
        reason.contains("topic alias 4") && reason.contains("3"),
        "{reason}"
    );
    assert_eq!(disconnect_reason(&h.packets()), 0x94);
}

#[test]
fn incoming_alias_without_our_maximum_is_invalid() {
    // We announced none (default 0), so any alias is a violation.
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(with_alias("t", 1));
    h.closed();
    assert_eq!(disconnect_reason(&h.packets()), 0x94);
}

#[test]
fn incoming_unknown_alias_with_empty_topic_is_invalid() {
    let mut h = aliased(3);
    h.feed(with_alias("t", 1));
    h.feed(with_alias("", 2));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(reason.contains("alias 2"), "{reason}");
    assert_eq!(disconnect_reason(&h.packets()), 0x94);
}

#[test]
fn incoming_empty_topic_without_alias_is_a_protocol_error() {
    let mut h = aliased(3);
    h.feed(Packet::Publish(incoming("", QoS::AtLeastOnce, 1)));
    h.closed();
    assert_eq!(disconnect_reason(&h.packets()), 0x82);
    // Nothing was acknowledged for it.
}

#[test]
fn incoming_aliased_qos2_is_resolved_at_publish_time() {
    let mut h = aliased(2);
    h.feed(with_alias("first", 1));
    let mut p = incoming("", QoS::ExactlyOnce, 9);
    p.properties.topic_alias = Some(1);
    h.feed(Packet::Publish(p));
    // Re-mapping the alias before PUBREL does not change the message already received.
    h.feed(with_alias("second", 1));
    h.feed(pubrel(9));
    assert_eq!(delivered_topics(&mut h), vec!["first", "second", "first"]);
}

// ---- outgoing ----

fn publish_alias(h: &mut Harness, topic: &str, alias: u16) -> ferromq::Result<u16> {
    h.conn.publish(
        h.now,
        topic,
        QoS::AtLeastOnce,
        Bytes::from_static(b"x"),
        false,
        false,
        Properties {
            topic_alias: Some(alias),
            ..Properties::default()
        },
    )
}

#[test]
fn outgoing_aliases_within_the_server_maximum() {
    let props = Properties {
        topic_alias_maximum: Some(2),
        ..Properties::default()
    };
    let mut h = Harness::connected_with(config(Protocol::V5), props);
    // Unknown alias with an empty topic.
    assert_eq!(
        publish_alias(&mut h, "", 1).unwrap_err().code,
        code::INVALID_TOPIC
    );
    // Above the server's maximum, and 0.
    assert_eq!(
        publish_alias(&mut h, "a", 3).unwrap_err().code,
        code::INVALID_ARGUMENT
    );
    assert_eq!(
        publish_alias(&mut h, "a", 0).unwrap_err().code,
        code::INVALID_ARGUMENT
    );
    assert!(h.packets().is_empty());
    publish_alias(&mut h, "long/topic/name", 1).unwrap();
    let id = publish_alias(&mut h, "", 1).unwrap();
    let sent: Vec<_> = h
        .packets()
        .into_iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.topic.to_string(), p.properties.topic_alias),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sent,
        vec![
            ("long/topic/name".to_string(), Some(1)),
            (String::new(), Some(1))
        ]
    );
    // The application still sees the real topic.
    let listed = h.conn.outgoing();
    assert_eq!(&*listed[1].topic, "long/topic/name");
    assert_eq!(listed[1].packet_id, id);
}

#[test]
fn outgoing_aliases_are_refused_when_the_server_allows_none() {
    let mut h = Harness::connected(config(Protocol::V5));
    assert_eq!(
        publish_alias(&mut h, "a", 1).unwrap_err().code,
        code::INVALID_ARGUMENT
    );
}

#[test]
fn v311_ignores_alias_properties() {
    let mut h = Harness::connected(config(Protocol::V311));
    publish_alias(&mut h, "a", 1).unwrap();
    match h.packets().as_slice() {
        [Packet::Publish(p)] => assert!(p.properties.is_empty()),
        other => panic!("{other:?}"),
    }
}
