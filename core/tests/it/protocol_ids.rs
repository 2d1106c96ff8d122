//! Packet identifiers, SUBSCRIBE/SUBACK and UNSUBSCRIBE/UNSUBACK.

use crate::protocol_harness as harness;

use ferromq::code;
use ferromq::codec::{Packet, Properties, Protocol, QoS, SubscribeFilter};
use ferromq::protocol::ProtocolEvent;
use harness::*;

#[test]
fn ids_follow_the_last_one_used_and_are_not_reused_at_once() {
    let mut h = Harness::connected(config(Protocol::V311));
    assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(1));
    assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(2));
    assert_eq!(h.publish("t", QoS::AtMostOnce), Ok(0));
    assert_eq!(h.subscribe(&[("t", QoS::AtMostOnce)]), Ok(3));
    h.feed(puback(2));
    assert_eq!(h.publish("t", QoS::ExactlyOnce), Ok(4));
}

#[test]
fn refused_publishes_do_not_use_up_ids() {
    let mut h = Harness::connected(config(Protocol::V311));
    assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(1));
    assert_eq!(
        h.publish("bad/+", QoS::AtLeastOnce).unwrap_err().code,
        code::INVALID_TOPIC
    );
    assert_eq!(
        h.publish("", QoS::AtLeastOnce).unwrap_err().code,
        code::INVALID_TOPIC
    );
    assert_eq!(
        h.subscribe(&[("a/#/b", QoS::AtMostOnce)]).unwrap_err().code,
        code::INVALID_TOPIC_FILTER
    );
    assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(2));
}

#[test]
fn exhaustion_gives_501_then_ids_wrap_and_skip_those_in_use() {
    // No send window: every id is put on the wire at once, so exhaustion is reachable.
    let mut cfg = config(Protocol::V311);
    cfg.max_inflight = u16::MAX;
    let mut h = Harness::connected(cfg);
    for expected in 1..=65_534u32 {
        assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(expected as u16));
    }
    // The last id goes to a SUBSCRIBE: both kinds share the space.
    assert_eq!(h.subscribe(&[("t", QoS::AtMostOnce)]), Ok(65_535));
    h.packets();
    h.events();
    let e = h.publish("t", QoS::AtLeastOnce).unwrap_err();
    assert_eq!(e.code, code::PACKET_ID_EXHAUSTED);
    assert!(e.message.contains("65535"), "{}", e.message);
    assert_eq!(
        h.subscribe(&[("t", QoS::AtMostOnce)]).unwrap_err().code,
        code::PACKET_ID_EXHAUSTED
    );
    let e = h
        .conn
        .unsubscribe(h.now, vec!["t".into()], Properties::default())
        .unwrap_err();
    assert_eq!(e.code, code::PACKET_ID_EXHAUSTED);
    // QoS 0 needs no id.
    assert_eq!(h.publish("t", QoS::AtMostOnce), Ok(0));
    assert!(h.packets().len() == 1);

    // Free 5, 2 and the SUBSCRIBE's 65535: allocation continues after 65535, wraps to 1
    // and skips what is still in use.
    h.feed(puback(5));
    h.feed(puback(2));
    h.feed(suback(65_535, vec![0]));
    assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(2));
    assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(5));
    assert_eq!(h.publish("t", QoS::AtLeastOnce), Ok(65_535));
    assert_eq!(
        h.publish("t", QoS::AtLeastOnce).unwrap_err().code,
        code::PACKET_ID_EXHAUSTED
    );
    assert_eq!(h.conn.outgoing().len(), 65_535);
    assert!(h.conn.is_connected());
}

// ---- SUBACK / UNSUBACK ----

#[test]
fn suback_reports_one_event_per_filter_in_order() {
    let mut h = Harness::connected(config(Protocol::V311));
    let id = h
        .subscribe(&[
            ("a", QoS::AtMostOnce),
            ("b/+", QoS::AtLeastOnce),
            ("c/#", QoS::ExactlyOnce),
        ])
        .unwrap();
    match h.packets().as_slice() {
        [Packet::Subscribe(s)] => {
            assert_eq!(s.packet_id, id);
            let f: Vec<_> = s
                .filters
                .iter()
                .map(|f| (f.filter.as_str(), f.qos))
                .collect();
            assert_eq!(
                f,
                vec![
                    ("a", QoS::AtMostOnce),
                    ("b/+", QoS::AtLeastOnce),
                    ("c/#", QoS::ExactlyOnce)
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    h.feed(suback(id, vec![0, 1, 0x80]));
    let sub = |filter: &str, code| ProtocolEvent::Subscribed {
        packet_id: id,
        filter: filter.into(),
        code,
    };
    assert_eq!(
        h.events(),
        vec![sub("a", 0), sub("b/+", 1), sub("c/#", 0x80)]
    );
    // The id is done: a repeated SUBACK is unknown and ignored.
    h.feed(suback(id, vec![0, 1, 0x80]));
    assert!(h.events().is_empty());
    assert!(h.conn.is_connected());
}

#[test]
fn suback_count_mismatch_is_a_protocol_error() {
    let mut h = Harness::connected(config(Protocol::V5));
    let id = h
        .subscribe(&[("a", QoS::AtMostOnce), ("b", QoS::AtMostOnce)])
        .unwrap();
    h.packets();
    h.feed(suback(id, vec![0]));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(
        reason.contains("1 return codes for 2 topic filters"),
        "{reason}"
    );
    assert_eq!(disconnect_reason(&h.packets()), 0x82);
}

#[test]
fn suback_for_an_unknown_id_is_logged_and_ignored() {
    let mut h = Harness::connected(config(Protocol::V311));
    h.conn.set_log_level(2);
    h.feed(suback(42, vec![0]));
    let evs = h.all_events();
    assert!(
        matches!(evs.as_slice(), [ProtocolEvent::Log { message, .. }] if message.contains("42")),
        "{evs:?}"
    );
    h.feed(unsuback(43, vec![]));
    assert!(h.events().is_empty());
    assert!(h.conn.is_connected());
}

#[test]
fn ack_of_the_other_kind_is_a_protocol_error() {
    let mut h = Harness::connected(config(Protocol::V311));
    let id = h
        .conn
        .unsubscribe(h.now, vec!["a".into()], Properties::default())
        .unwrap();
    h.feed(suback(id, vec![0]));
    assert_eq!(h.closed().0, code::PROTOCOL);
}

#[test]
fn unsuback_v311_and_v5() {
    let mut h = Harness::connected(config(Protocol::V311));
    let id = h
        .conn
        .unsubscribe(h.now, vec!["a".into(), "b/#".into()], Properties::default())
        .unwrap();
    match h.packets().as_slice() {
        [Packet::Unsubscribe(u)] => {
            assert_eq!(u.packet_id, id);
            assert_eq!(u.filters, vec!["a".to_string(), "b/#".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    h.feed(unsuback(id, vec![]));
    assert_eq!(
        h.events(),
        vec![ProtocolEvent::Unsubscribed {
            packet_id: id,
            codes: vec![]
        }]
    );

    let mut h = Harness::connected(config(Protocol::V5));
    let id = h
        .conn
        .unsubscribe(h.now, vec!["a".into(), "b".into()], Properties::default())
        .unwrap();
    h.feed(unsuback(id, vec![0, 0x11]));
    assert_eq!(
        h.events(),
        vec![ProtocolEvent::Unsubscribed {
            packet_id: id,
            codes: vec![0, 0x11]
        }]
    );
    let id = h
        .conn
        .unsubscribe(h.now, vec!["a".into()], Properties::default())
        .unwrap();
    h.feed(unsuback(id, vec![0, 0]));
    assert_eq!(h.closed().0, code::PROTOCOL);
}

#[test]
fn subscribe_options_are_dropped_under_v311_and_kept_under_v5() {
    let filter = SubscribeFilter {
        filter: "x".into(),
        qos: QoS::AtLeastOnce,
        no_local: true,
        retain_as_published: true,
        retain_handling: 2,
    };
    let props = Properties {
        subscription_identifiers: vec![7],
        ..Properties::default()
    };
    let mut h = Harness::connected(config(Protocol::V311));
    h.conn
        .subscribe(h.now, vec![filter.clone()], props.clone())
        .unwrap();
    match h.packets().as_slice() {
        [Packet::Subscribe(s)] => {
            assert!(!s.filters[0].no_local && !s.filters[0].retain_as_published);
            assert_eq!(s.filters[0].retain_handling, 0);
            assert!(s.properties.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let mut h = Harness::connected(config(Protocol::V5));
    h.conn
        .subscribe(h.now, vec![filter.clone()], props.clone())
        .unwrap();
    match h.packets().as_slice() {
        [Packet::Subscribe(s)] => {
            assert_eq!(s.filters[0], filter);
            assert_eq!(s.properties, props);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn empty_filter_lists_are_refused() {
    let mut h = Harness::connected(config(Protocol::V311));
    assert_eq!(
        h.conn
            .subscribe(h.now, vec![], Properties::default())
            .unwrap_err()
            .code,
        code::INVALID_TOPIC_FILTER
    );
    assert_eq!(
        h.conn
            .unsubscribe(h.now, vec![], Properties::default())
            .unwrap_err()
            .code,
        code::INVALID_TOPIC_FILTER
    );
    assert!(h.packets().is_empty());
}

#[test]
fn under_311_at_most_20_publishes_are_unacknowledged_unless_max_inflight_says_otherwise() {
    let mut h = Harness::connected(config(Protocol::V311));
    for _ in 0..30 {
        h.publish("t", QoS::ExactlyOnce).unwrap();
    }
    let sent = h
        .packets()
        .iter()
        .filter(|p| matches!(p, ferromq::codec::Packet::Publish(_)))
        .count();
    assert_eq!(sent, 20);
    // Each completed flow lets one waiting message go.
    h.feed(ferromq::codec::Packet::PubRec(ferromq::codec::PubResp {
        packet_id: 1,
        reason: 0,
        properties: Properties::default(),
    }));
    h.feed(ferromq::codec::Packet::PubComp(ferromq::codec::PubResp {
        packet_id: 1,
        reason: 0,
        properties: Properties::default(),
    }));
    let sent = h
        .packets()
        .iter()
        .filter(|p| matches!(p, ferromq::codec::Packet::Publish(_)))
        .count();
    assert_eq!(sent, 1);

    let mut cfg = config(Protocol::V311);
    cfg.max_inflight = 50;
    let mut h = Harness::connected(cfg);
    for _ in 0..60 {
        h.publish("t", QoS::AtLeastOnce).unwrap();
    }
    let sent = h
        .packets()
        .iter()
        .filter(|p| matches!(p, ferromq::codec::Packet::Publish(_)))
        .count();
    assert_eq!(sent, 50);
}
