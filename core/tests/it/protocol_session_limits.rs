//! Flow-control limits enforced by the state machine: our Receive Maximum and Maximum
//! Packet Size on what arrives, and what the server's CONNACK says it does not support on
//! what we subscribe.

use crate::protocol_harness as harness;

use bytes::{Bytes, BytesMut};
use ferromq::code;
use ferromq::codec::{Packet, Properties, Protocol, QoS, SubscribeFilter};
use harness::*;

fn v5_with_receive_maximum(n: u16) -> Harness {
    let mut cfg = config(Protocol::V5);
    cfg.connect_properties.receive_maximum = Some(n);
    Harness::connected(cfg)
}

// ---- our Receive Maximum ----

#[test]
fn qos1_over_our_receive_maximum_sends_disconnect_0x93() {
    let mut h = v5_with_receive_maximum(2);
    h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, 1)));
    h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, 2)));
    h.packets();
    h.all_events();
    // Two QoS 2 still wait for PUBREL: a third unacknowledged message is one too many.
    h.feed(Packet::Publish(incoming("t", QoS::AtLeastOnce, 3)));
    assert_eq!(disconnect_reason(&h.packets()), 0x93);
    let (c, reason) = h.closed();
    assert_eq!(c, code::PROTOCOL);
    assert!(reason.contains("Receive Maximum of 2"), "{reason}");
}

#[test]
fn qos2_over_our_receive_maximum_sends_disconnect_0x93() {
    let mut h = v5_with_receive_maximum(1);
    h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, 1)));
    h.packets();
    h.all_events();
    h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, 2)));
    assert_eq!(disconnect_reason(&h.packets()), 0x93);
    let (_, reason) = h.closed();
    assert!(reason.contains("Receive Maximum of 1"), "{reason}");
}

#[test]
fn messages_within_our_receive_maximum_flow() {
    let mut h = v5_with_receive_maximum(1);
    // Each QoS 1 is acknowledged before the next arrives; a QoS 2 finished frees its slot.
    for id in 1..=5 {
        h.feed(Packet::Publish(incoming("t", QoS::AtLeastOnce, id)));
    }
    h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, 6)));
    h.feed(pubrel(6));
    h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, 7)));
    assert!(h.conn.is_connected());
    // A repeated PUBLISH of the one waiting for PUBREL is not a new message.
    let mut dup = incoming("t", QoS::ExactlyOnce, 7);
    dup.dup = true;
    h.feed(Packet::Publish(dup));
    assert!(h.conn.is_connected());
}

#[test]
fn v311_has_no_receive_maximum() {
    let mut cfg = config(Protocol::V311);
    cfg.connect_properties.receive_maximum = Some(1);
    let mut h = Harness::connected(cfg);
    for id in 1..=3 {
        h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, id)));
    }
    assert!(h.conn.is_connected());
    assert_eq!(h.conn.incoming().len(), 3);
}

// ---- our Maximum Packet Size ----

fn bytes_of(protocol: Protocol, p: &Packet) -> BytesMut {
    let mut out = BytesMut::new();
    ferromq::codec::encode(p, protocol, &mut out).unwrap();
    out
}

#[test]
fn incoming_publish_over_our_maximum_packet_size_sends_disconnect_0x95() {
    let mut cfg = config(Protocol::V5);
    cfg.max_packet_size = 100;
    let mut h = Harness::connected(cfg);
    let mut ok = incoming("t", QoS::AtLeastOnce, 1);
    ok.payload = Bytes::from(vec![b'x'; 50]);
    let mut big = incoming("t", QoS::AtLeastOnce, 2);
    big.payload = Bytes::from(vec![b'x'; 101]);
    let mut buf = bytes_of(Protocol::V5, &Packet::Publish(ok));
    buf.extend_from_slice(&bytes_of(Protocol::V5, &Packet::Publish(big)));
    h.conn.handle_bytes(h.now, &mut buf);
    let packets = h.packets();
    assert!(
        matches!(&packets[0], Packet::PubAck(r) if r.packet_id == 1),
        "{packets:?}"
    );
    assert_eq!(disconnect_reason(&packets[1..]), 0x95);
    let (c, reason) = h.closed();
    assert_eq!(c, code::PROTOCOL);
    assert!(reason.contains("too large"), "{reason}");
}

#[test]
fn incoming_packet_over_our_maximum_under_v311_closes_without_disconnect() {
    let mut cfg = config(Protocol::V311);
    cfg.max_packet_size = 100;
    let mut h = Harness::connected(cfg);
    let mut big = incoming("t", QoS::AtMostOnce, 0);
    big.payload = Bytes::from(vec![b'x'; 200]);
    let mut buf = bytes_of(Protocol::V311, &Packet::Publish(big));
    h.conn.handle_bytes(h.now, &mut buf);
    assert!(h.packets().is_empty());
    h.closed();
}

// ---- what the server does not support ----

fn filter(f: &str) -> SubscribeFilter {
    SubscribeFilter {
        filter: f.into(),
        qos: QoS::AtLeastOnce,
        no_local: false,
        retain_as_published: false,
        retain_handling: 0,
    }
}

fn with_sub_id(id: u32) -> Properties {
    Properties {
        subscription_identifiers: vec![id],
        ..Properties::default()
    }
}

fn limited_server() -> Harness {
    Harness::connected_with(
        config(Protocol::V5),
        Properties {
            wildcard_subscription_available: Some(0),
            shared_subscription_available: Some(0),
            subscription_identifier_available: Some(0),
            ..Properties::default()
        },
    )
}

#[test]
fn connack_availability_flags_are_recorded() {
    let h = limited_server();
    let s = h.conn.server_limits();
    assert!(!s.wildcard_subscription_available);
    assert!(!s.shared_subscription_available);
    assert!(!s.subscription_identifiers_available);
    let h = Harness::connected(config(Protocol::V5));
    let s = h.conn.server_limits();
    assert!(s.wildcard_subscription_available);
    assert!(s.shared_subscription_available);
    assert!(s.subscription_identifiers_available);
}

#[test]
fn subscriptions_the_server_does_not_support_are_refused_before_sending() {
    let mut h = limited_server();
    let cases: Vec<(Vec<&str>, Properties, i32, &str)> = vec![
        (
            vec!["a/b", "a/+"],
            Properties::default(),
            code::INVALID_TOPIC_FILTER,
            "\"a/+\": the server does not support wildcard subscriptions",
        ),
        (
            vec!["a/#"],
            Properties::default(),
            code::INVALID_TOPIC_FILTER,
            "\"a/#\": the server does not support wildcard",
        ),
        (
            vec!["$share/g/a/b"],
            Properties::default(),
            code::INVALID_TOPIC_FILTER,
            "\"$share/g/a/b\": the server does not support shared subscriptions",
        ),
        (
            vec!["a/b"],
            with_sub_id(42),
            code::INVALID_ARGUMENT,
            "Subscription Identifier 42: the server does not support subscription identifiers",
        ),
    ];
    for (filters, props, expected_code, text) in cases {
        let e = h
            .conn
            .subscribe(h.now, filters.iter().map(|f| filter(f)).collect(), props)
            .unwrap_err();
        assert_eq!(e.code, expected_code, "{e}");
        assert!(e.message.contains(text), "{e}\n  expected: {text}");
        assert!(h.packets().is_empty());
    }
    // Nothing refused took a packet id; what the server supports still goes.
    assert_eq!(h.subscribe(&[("a/b", QoS::AtLeastOnce)]), Ok(1));
    assert_eq!(h.packets().len(), 1);
    // A "$share" level that does not come first is no shared subscription.
    assert_eq!(
        h.conn
            .subscribe(h.now, vec![filter("ab/$share/x")], Properties::default()),
        Ok(2)
    );
}

#[test]
fn defaults_and_v311_allow_wildcards_shares_and_identifiers() {
    let mut h = Harness::connected(config(Protocol::V5));
    let filters = vec![filter("a/+"), filter("$share/g/#")];
    assert!(h.conn.subscribe(h.now, filters, with_sub_id(7)).is_ok());
    let mut h = Harness::connected(config(Protocol::V311));
    assert!(h
        .subscribe(&[("a/+", QoS::AtMostOnce), ("b/#", QoS::AtMostOnce)])
        .is_ok());
}

#[test]
fn no_local_on_a_shared_subscription_is_refused() {
    let mut h = Harness::connected(config(Protocol::V5));
    let mut f = filter("$share/g/a");
    f.no_local = true;
    let e = h
        .conn
        .subscribe(h.now, vec![f], Properties::default())
        .unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(e.message.contains("No Local"), "{e}");
    assert!(h.packets().is_empty());
}
