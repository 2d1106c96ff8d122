//! The cross-language scenarios (tests/scenarios.tsv) for the Rust face, against the real
//! mosquitto the harness started.

use crate::common;

use common::{broker, unique, Client};
use ferromq::{code, Event};
use std::time::Duration;

fn connect_and_disconnect(version: i32) {
    let c = Client::new();
    let b = broker();
    c.mqtt.set_version(version).unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    assert!(c.mqtt.connected());
    assert!(
        !c.mqtt.client_id().is_empty(),
        "a clean session gets a generated id"
    );
    let connected = c.wait_for(1, |e| match e {
        Event::Connected(x) => Some(x.clone()),
        _ => None,
    });
    assert_eq!(connected[0].status_code, 0);
    c.mqtt.disconnect().unwrap();
    assert!(!c.mqtt.connected());
    let gone = c.wait_for(1, |e| match e {
        Event::Disconnected(x) => Some(x.clone()),
        _ => None,
    });
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].status_code, 0, "{:?}", gone[0]);
}

#[test]
fn scenario_connect_v311() {
    connect_and_disconnect(0);
}

#[test]
fn scenario_connect_v5() {
    connect_and_disconnect(1);
}

fn payloads() -> Vec<Vec<u8>> {
    let binary: Vec<u8> = (0..=255u8).collect();
    let big: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 + 3) as u8).collect();
    vec![binary, Vec::new(), big]
}

fn roundtrip(qos: i32, version: i32) {
    let c = Client::connected(version);
    let topic = unique(&format!("qos{qos}"));
    c.mqtt.subscribe(&topic, qos).unwrap();
    let sent = payloads();
    for p in &sent {
        c.mqtt.publish_data(&topic, qos, p.clone()).unwrap();
    }
    let got = c.messages_in(sent.len());
    assert_eq!(got.len(), sent.len());
    for (m, p) in got.iter().zip(&sent) {
        assert_eq!(m.topic, topic);
        assert_eq!(m.qos, qos);
        assert_eq!(
            &m.message[..],
            &p[..],
            "payload of {} bytes changed",
            p.len()
        );
        if qos == 0 {
            assert_eq!(m.packet_id, -1);
        } else {
            assert!(m.packet_id > 0);
        }
    }
    if qos > 0 {
        let out = c.wait_for(sent.len(), |e| match e {
            Event::MessageOut(m) => Some(m.clone()),
            _ => None,
        });
        assert_eq!(out.len(), sent.len());
        let acks = c.wait_for(2 * sent.len(), |e| match e {
            Event::MessageAck(a) => Some(a.clone()),
            _ => None,
        });
        assert_eq!(acks.iter().filter(|a| a.direction == 0).count(), sent.len());
        assert_eq!(acks.iter().filter(|a| a.direction == 1).count(), sent.len());
        // The documented order: MessageAck of a message fires before its MessageIn/Out.
        let ev = c.events.lock().unwrap().clone();
        let first_ack = ev
            .iter()
            .position(|e| matches!(e, Event::MessageAck(a) if a.direction == 1));
        let first_in = ev.iter().position(|e| matches!(e, Event::MessageIn(_)));
        assert!(first_ack < first_in);
    }
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_qos0_roundtrip() {
    roundtrip(0, 0);
    roundtrip(0, 1);
}

#[test]
fn scenario_qos1_roundtrip() {
    roundtrip(1, 0);
    roundtrip(1, 1);
}

#[test]
fn scenario_qos2_roundtrip() {
    roundtrip(2, 0);
    roundtrip(2, 1);
}

#[test]
fn scenario_multi_filter_subscribe() {
    let c = Client::connected(0);
    let base = unique("multi");
    let filters = format!("{base}/a/+/c,{base}/b/#,{base}/exact");
    c.mqtt.subscribe(&filters, 1).unwrap();
    let subs = c.wait_for(3, |e| match e {
        Event::Subscribed(s) => Some(s.clone()),
        _ => None,
    });
    let names: Vec<&str> = subs.iter().map(|s| s.topic_filter.as_str()).collect();
    assert_eq!(names, filters.split(',').collect::<Vec<_>>());
    assert!(subs.iter().all(|s| s.qos == 1 && s.response_code == 1));
    for t in ["a/x/c", "b/y/z", "exact", "a/x/d"] {
        c.mqtt
            .publish_message(&format!("{base}/{t}"), 1, t)
            .unwrap();
    }
    let got = c.messages_in(3);
    c.pump(Duration::from_millis(300));
    let mut topics: Vec<String> = c
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::MessageIn(m) => Some(m.topic),
            _ => None,
        })
        .collect();
    topics.sort();
    assert_eq!(got.len(), 3);
    assert_eq!(
        topics,
        vec![
            format!("{base}/a/x/c"),
            format!("{base}/b/y/z"),
            format!("{base}/exact")
        ]
    );
}

#[test]
fn scenario_unsubscribe_stops_delivery() {
    let c = Client::connected(0);
    let topic = unique("unsub");
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.mqtt.publish_message(&topic, 1, "before").unwrap();
    assert_eq!(c.messages_in(1).len(), 1);
    c.mqtt.unsubscribe(&topic).unwrap();
    let uns = c.wait_for(1, |e| match e {
        Event::Unsubscribed(u) => Some(u.clone()),
        _ => None,
    });
    assert_eq!(uns[0].topic_filters, topic);
    c.take();
    c.mqtt.publish_message(&topic, 1, "after").unwrap();
    // The publish's own acknowledgement proves the broker has handled it.
    c.wait_for(1, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    c.pump(Duration::from_millis(300));
    assert!(!c.take().iter().any(|e| matches!(e, Event::MessageIn(_))));
}

#[test]
fn scenario_wrong_password_refused() {
    let b = broker();
    for version in [0, 1] {
        let c = Client::new();
        c.mqtt.set_version(version).unwrap();
        c.mqtt.set_user(&b.user).unwrap();
        c.mqtt.set_password("not-the-password").unwrap();
        let err = c.mqtt.connect_to(&b.host, b.auth_port).unwrap_err();
        assert_eq!(err.code, code::PROTOCOL, "{err}");
        assert!(err.message.to_lowercase().contains("refused"), "{err}");
        assert!(!c.mqtt.connected());
        let failed = c.wait_for(1, |e| match e {
            Event::Connected(x) => Some(x.clone()),
            _ => None,
        });
        assert_eq!(failed[0].status_code, code::PROTOCOL);

        c.mqtt.set_password(&b.password).unwrap();
        c.mqtt.connect_to(&b.host, b.auth_port).unwrap();
        assert!(c.mqtt.connected());
        c.mqtt.disconnect().unwrap();
    }
}

#[test]
fn scenario_closed_port_fails() {
    let b = broker();
    let c = Client::new();
    let err = c.mqtt.connect_to(&b.host, b.closed_port).unwrap_err();
    assert_eq!(err.code, code::CONNECTION_REFUSED, "{err}");
    assert!(err.message.contains(&b.closed_port.to_string()), "{err}");
    assert!(!c.mqtt.connected());
}

#[test]
fn scenario_publish_wildcard_refused() {
    let c = Client::connected(0);
    for topic in ["a/+/b", "a/#", "+"] {
        let err = c.mqtt.publish_message(topic, 0, "x").unwrap_err();
        assert_eq!(err.code, code::INVALID_TOPIC, "{err}");
        assert!(err.message.contains(topic), "{err}");
    }
    assert!(c.mqtt.connected());
    c.pump(Duration::from_millis(100));
    assert!(!c.take().iter().any(|e| matches!(e, Event::MessageOut(_))));
    assert!(c.mqtt.connected());
}

#[test]
fn scenario_publish_qos3_refused() {
    let c = Client::connected(1);
    let err = c.mqtt.publish_message(&unique("qos3"), 3, "x").unwrap_err();
    assert_eq!(err.code, code::INVALID_QOS, "{err}");
    assert!(err.message.contains('3'), "{err}");
    c.pump(Duration::from_millis(100));
    assert!(!c.take().iter().any(|e| matches!(e, Event::MessageOut(_))));
    assert!(c.mqtt.connected());
}
