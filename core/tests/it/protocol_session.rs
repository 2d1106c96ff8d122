//! Client-side session state: taking it, its text form, restoring it, and what happens on
//! CONNACK with and without a session on the server.

use crate::protocol_harness as harness;

use bytes::Bytes;
use ferromq::codec::{ConnAck, Packet, Properties, Protocol, Publish, QoS};
use ferromq::protocol::{
    Connection, ConnectionConfig, Direction, MessageState, ProtocolEvent, SessionState,
};
use ferromq::{code, SESSION_FORMAT};
use harness::*;
use std::time::Duration;

fn persistent(protocol: Protocol) -> ConnectionConfig {
    let mut cfg = config(protocol);
    cfg.clean_session = false;
    cfg
}

fn connack_sp(session_present: bool, properties: Properties) -> Packet {
    Packet::ConnAck(ConnAck {
        session_present,
        code: 0,
        properties,
    })
}

fn publish_with(h: &mut Harness, topic: &str, qos: QoS, payload: &[u8], props: Properties) -> u16 {
    h.conn
        .publish(
            h.now,
            topic,
            qos,
            Bytes::copy_from_slice(payload),
            false,
            false,
            props,
        )
        .unwrap()
}

fn rich_properties() -> Properties {
    Properties {
        payload_format_indicator: Some(1),
        message_expiry_interval: Some(3600),
        content_type: Some("text/plain; charset=\"utf-8\"".into()),
        response_topic: Some("reply/here".into()),
        correlation_data: Some(Bytes::from_static(&[0, 1, 0xFE, 0xFF])),
        user_properties: vec![("k".into(), "v1".into()), ("k".into(), "v2 ünï".into())],
        ..Properties::default()
    }
}

/// A 5.0 connection holding messages in every state a session keeps:
/// 1 QoS 1 WaitPubAck, 2 QoS 2 WaitPubRec, 3 QoS 2 WaitPubComp, 4 QoS 1 held back by the
/// server's Receive Maximum (never sent), then a QoS 0 queued behind it; incoming QoS 2
/// id 7 waiting for PUBREL.
fn loaded() -> Harness {
    let connack_props = Properties {
        receive_maximum: Some(3),
        topic_alias_maximum: Some(5),
        ..Properties::default()
    };
    let mut h = Harness::connected_with(persistent(Protocol::V5), connack_props);
    assert_eq!(
        publish_with(&mut h, "a/1", QoS::AtLeastOnce, b"one", rich_properties()),
        1
    );
    // Sets topic alias 2 for "a/2"; the session must keep the full topic, not the alias.
    let alias = Properties {
        topic_alias: Some(2),
        ..Properties::default()
    };
    assert_eq!(
        publish_with(&mut h, "a/2", QoS::ExactlyOnce, &[0xFF, 0, 0x80], alias),
        2
    );
    assert_eq!(
        publish_with(&mut h, "a/3", QoS::ExactlyOnce, b"", Properties::default()),
        3
    );
    h.feed(pubrec(3));
    // The quota (3) is used up: these two wait.
    assert_eq!(
        publish_with(
            &mut h,
            "a/4",
            QoS::AtLeastOnce,
            b"four",
            Properties::default()
        ),
        4
    );
    assert_eq!(
        publish_with(
            &mut h,
            "a/0",
            QoS::AtMostOnce,
            b"zero",
            Properties::default()
        ),
        0
    );
    let mut inc = incoming("in/7", QoS::ExactlyOnce, 7);
    inc.properties.subscription_identifiers = vec![3, 9];
    inc.properties.user_properties = vec![("from".into(), "server".into())];
    h.feed(Packet::Publish(inc));
    let sent: Vec<String> = h.packets().iter().map(describe).collect();
    assert_eq!(
        sent,
        [
            "PUBLISH 1 qos1",
            "PUBLISH 2 qos2",
            "PUBLISH 3 qos2",
            "PUBREL 3",
            "PUBREC 7"
        ]
    );
    h.all_events();
    h
}

/// A compact description of a packet, enough to check order, ids and DUP.
fn describe(p: &Packet) -> String {
    match p {
        Packet::Publish(p) => format!(
            "PUBLISH {} qos{}{}",
            p.packet_id,
            p.qos as u8,
            if p.dup { " DUP" } else { "" }
        ),
        Packet::PubAck(r) => format!("PUBACK {}", r.packet_id),
        Packet::PubRec(r) => format!("PUBREC {}", r.packet_id),
        Packet::PubRel(r) => format!("PUBREL {}", r.packet_id),
        Packet::PubComp(r) => format!("PUBCOMP {}", r.packet_id),
        other => other.name().to_string(),
    }
}

fn sent(h: &mut Harness) -> Vec<String> {
    h.packets().iter().map(describe).collect()
}

fn publishes(packets: &[Packet]) -> Vec<Publish> {
    packets
        .iter()
        .filter_map(|p| match p {
            Packet::Publish(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

fn session_logs(events: &[ProtocolEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ProtocolEvent::Log {
                log_type: "Session",
                message,
                ..
            } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn delivered(events: &[ProtocolEvent]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            ProtocolEvent::MessageIn { message } => Some(message.packet_id),
            _ => None,
        })
        .collect()
}

/// A new connection (same client) with `state` restored, started; CONNECT checked.
fn restarted(cfg: ConnectionConfig, state: SessionState) -> Harness {
    let mut h = Harness::new(cfg.clone());
    h.conn.restore(state).unwrap();
    h.conn.start(h.now);
    match h.packets().as_slice() {
        [Packet::Connect(c)] => assert_eq!(c.clean_start, cfg.clean_session),
        other => panic!("expected CONNECT, got {other:?}"),
    }
    h
}

// ---- taking the session and its text form ----

#[test]
fn session_holds_every_state_and_survives_the_text_round_trip() {
    let h = loaded();
    let s = h.conn.session();
    assert_eq!(s.client_id(), "tester");
    assert_eq!(s.next_packet_id(), 5);
    let out = s.outgoing();
    let summary: Vec<_> = out
        .iter()
        .map(|m| (m.packet_id, &*m.topic, m.qos, m.state, m.dup))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "a/1", QoS::AtLeastOnce, MessageState::WaitPubAck, true),
            (2, "a/2", QoS::ExactlyOnce, MessageState::WaitPubRec, true),
            (3, "a/3", QoS::ExactlyOnce, MessageState::WaitPubComp, true),
            (4, "a/4", QoS::AtLeastOnce, MessageState::WaitPubAck, false),
        ]
    );
    assert_eq!(
        out[0].properties.content_type,
        rich_properties().content_type
    );
    assert_eq!(
        out[1].properties.topic_alias, None,
        "aliases stay with the connection"
    );
    assert_eq!(&out[1].payload[..], &[0xFF, 0, 0x80]);
    assert_eq!(s.queued_at_most_once(), 1);
    let inc = s.incoming();
    assert_eq!(inc.len(), 1);
    assert_eq!(
        (inc[0].packet_id, inc[0].state, inc[0].direction),
        (7, MessageState::WaitPubRel, Direction::Incoming)
    );

    let text = s.to_text();
    assert!(text.starts_with(&format!(
        "{{\"format\":\"{SESSION_FORMAT}\",\"version\":1,\"checksum\":\"crc32:"
    )));
    let back = SessionState::from_text(&text).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.to_text(), text);
    // Whitespace does not matter; the checksum covers the content, not the layout.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&text).unwrap())
            .unwrap();
    assert_eq!(
        SessionState::from_text(&format!("\n{pretty}\n")).unwrap(),
        s
    );
    assert_eq!(
        s.published(),
        h.conn.published(),
        "the count travels with it"
    );
    assert!(s.published() >= 5, "every publish counts, QoS 0 too");
    // Taking a copy changed nothing.
    assert_eq!(h.conn.outgoing().len(), 4);
    assert_eq!(h.conn.incoming().len(), 1);
}

#[test]
fn empty_session_round_trips() {
    let h = Harness::connected(persistent(Protocol::V311));
    let s = h.conn.session();
    assert!(s.is_empty());
    assert_eq!(SessionState::from_text(&s.to_text()).unwrap(), s);
    assert_eq!(SessionState::new().next_packet_id(), 1);
}

#[test]
fn take_session_empties_the_connection() {
    let mut h = loaded();
    let copy = h.conn.session();
    let taken = h.conn.take_session();
    assert_eq!(taken, copy);
    assert!(h.conn.outgoing().is_empty());
    assert!(h.conn.incoming().is_empty());
    assert!(h.conn.take_session().outgoing().is_empty());
}

// ---- text that must be refused ----

fn refused(text: &str) -> String {
    let e = SessionState::from_text(text).expect_err(text);
    assert_eq!(e.code, code::INVALID_ARGUMENT, "{e}");
    assert!(
        e.message.starts_with("cannot restore the session state:"),
        "{e}"
    );
    assert!(e.message.ends_with("nothing was loaded"), "{e}");
    e.message
}

#[test]
fn empty_and_blank_text_are_refused() {
    assert!(refused("").contains("empty"));
    assert!(refused("  \n\t").contains("empty"));
}

#[test]
fn every_truncation_is_refused() {
    let text = loaded().conn.session().to_text();
    for cut in 0..text.len() {
        if text.is_char_boundary(cut) {
            refused(&text[..cut]);
        }
    }
}

#[test]
fn corruption_is_caught_by_the_checksum() {
    let text = loaded().conn.session().to_text();
    // Change one character of the body at many places; each must be refused, whether the
    // result is still JSON or not.
    let start = text.find("\"session\":").unwrap() + 10;
    let mut checksum_failures = 0;
    for i in (start..text.len() - 1).step_by(7) {
        let mut bytes = text.clone().into_bytes();
        let c = bytes[i];
        bytes[i] = if c.is_ascii_digit() {
            b'0' + (c - b'0' + 1) % 10
        } else if c.is_ascii_alphabetic() {
            if c == b'z' || c == b'Z' {
                c - 1
            } else {
                c + 1
            }
        } else {
            continue;
        };
        let Ok(bad) = String::from_utf8(bytes) else {
            continue;
        };
        let msg = refused(&bad);
        if msg.contains("checksum does not match") {
            checksum_failures += 1;
        }
    }
    assert!(checksum_failures > 10);
    // A payload changed and the checksum left alone.
    let edited = text.replacen("b25l", "b25m", 1);
    assert_ne!(edited, text);
    assert!(refused(&edited).contains("checksum does not match"));
}

#[test]
fn wrong_format_version_or_shape_is_refused() {
    let text = loaded().conn.session().to_text();
    assert!(refused(&text.replacen("\"version\":1", "\"version\":2", 1))
        .contains("version is 2; this ferromq reads version 1"));
    assert!(refused(&text.replacen("ferromq-session", "other-thing", 1)).contains("format"));
    assert!(refused("{\"version\":1}").contains("no \"format\""));
    assert!(refused("[1,2,3]").contains("not a JSON object"));
    assert!(refused("not json at all").contains("JSON"));
    let no_sum = text.replacen("\"checksum\"", "\"chucksum\"", 1);
    assert!(refused(&no_sum).contains("checksum"));
}

/// Builds a text with a valid checksum around `body`, to reach the content checks.
fn sealed(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let canonical = serde_json::to_string(&v).unwrap();
    format!(
        "{{\"format\":\"ferromq-session\",\"version\":1,\"checksum\":\"crc32:{:08x}\",\"session\":{canonical}}}",
        crc32(canonical.as_bytes())
    )
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn out_entry(id: u16, qos: u8, state: &str) -> String {
    format!(
        r#"{{"packet_id":{id},"qos":{qos},"state":"{state}","sent":true,"retain":false,"topic":"t","payload":"","properties":{{}}{}}}"#,
        if state == "WaitPubComp" {
            r#","pubrec_order":1"#
        } else {
            ""
        }
    )
}

fn body(outgoing: &[String], incoming: &str) -> String {
    format!(
        r#"{{"client_id":"c","next_packet_id":9,"outgoing":[{}],"incoming":[{incoming}]}}"#,
        outgoing.join(",")
    )
}

#[test]
fn the_publish_count_is_optional_and_checked() {
    // Texts from before the count existed read as 0.
    let old = SessionState::from_text(&sealed(&body(&[], ""))).unwrap();
    assert_eq!(old.published(), 0);
    let with = body(&[], "").replace(
        r#""next_packet_id":9"#,
        r#""next_packet_id":9,"published":42"#,
    );
    let s = SessionState::from_text(&sealed(&with)).unwrap();
    assert_eq!(s.published(), 42);
    assert!(s.to_text().contains(r#""published":42"#));
    let restored = restarted(persistent(Protocol::V311), s);
    assert_eq!(restored.conn.published(), 42);
    let bad = body(&[], "").replace(
        r#""next_packet_id":9"#,
        r#""next_packet_id":9,"published":-1"#,
    );
    assert!(refused(&sealed(&bad)).contains("published"));
}

#[test]
fn inconsistent_content_is_refused_even_with_a_valid_checksum() {
    // The well-formed base case loads.
    let ok = sealed(&body(
        &[
            out_entry(1, 1, "WaitPubAck"),
            out_entry(2, 2, "WaitPubComp"),
        ],
        "",
    ));
    let s = SessionState::from_text(&ok).unwrap();
    assert_eq!((s.outgoing().len(), s.next_packet_id()), (2, 9));

    let cases: Vec<(String, &str)> = vec![
        (
            body(
                &[out_entry(1, 1, "WaitPubAck"), out_entry(1, 2, "WaitPubRec")],
                "",
            ),
            "packet_id 1 is used by two outgoing messages",
        ),
        (
            body(&[out_entry(1, 3, "WaitPubAck")], ""),
            "outgoing[0].qos is 3",
        ),
        (
            body(&[out_entry(1, 1, "WaitPubRec")], ""),
            "\"WaitPubRec\", which a QoS 1 outgoing message cannot have",
        ),
        (
            body(&[out_entry(0, 1, "WaitPubAck")], ""),
            "outgoing[0].packet_id is 0",
        ),
        (
            body(
                &[out_entry(1, 1, "WaitPubAck").replace("\"t\"", "\"a/+\"")],
                "",
            ),
            "outgoing[0].topic",
        ),
        (
            body(
                &[out_entry(1, 1, "WaitPubAck").replace("\"payload\":\"\"", "\"payload\":\"!!\"")],
                "",
            ),
            "not valid base64",
        ),
        (
            body(
                &[out_entry(1, 1, "WaitPubAck").replace("\"retain\"", "\"retained\"")],
                "",
            ),
            "unknown field \"retained\"",
        ),
        (
            body(
                &[],
                r#"{"packet_id":5,"qos":1,"state":"WaitPubRel","dup":false,"retain":false,"topic":"t","payload":"","properties":{}}"#,
            ),
            "only QoS 2 incoming messages",
        ),
        (
            body(
                &[],
                r#"{"packet_id":5,"qos":2,"state":"WaitPubRel","dup":false,"retain":false,"topic":"t","payload":"","properties":{"user_properties":[["a"]]}}"#,
            ),
            "user_properties[0] is not a [name, value] pair",
        ),
        (
            r#"{"client_id":"c","next_packet_id":0,"outgoing":[],"incoming":[]}"#.to_string(),
            "next_packet_id is 0",
        ),
        (
            r#"{"client_id":"c","next_packet_id":1,"outgoing":[]}"#.to_string(),
            "session.incoming is missing",
        ),
    ];
    for (b, expected) in cases {
        let msg = refused(&sealed(&b));
        assert!(msg.contains(expected), "{msg}\n  expected: {expected}");
    }
}

#[test]
fn restore_after_start_is_refused_and_loads_nothing() {
    let state = loaded().conn.session();
    let mut h = Harness::new(persistent(Protocol::V5));
    h.conn.start(h.now);
    let e = h.conn.restore(state).unwrap_err();
    assert_eq!(e.code, code::BAD_STATE);
    assert!(h.conn.outgoing().is_empty());
}

// ---- reconnecting to a session the server kept ----

#[test]
fn present_session_resends_publish_with_dup_in_order_then_pubrel() {
    // Through the text form, as after a process restart.
    let text = loaded().conn.session().to_text();
    let state = SessionState::from_text(&text).unwrap();
    let mut h = restarted(persistent(Protocol::V5), state);
    assert_eq!(h.conn.outgoing().len(), 4, "listed before CONNACK");
    h.feed(connack_sp(true, Properties::default()));
    let packets = h.packets();
    assert_eq!(
        packets.iter().map(describe).collect::<Vec<_>>(),
        [
            "PUBLISH 1 qos1 DUP",
            "PUBLISH 2 qos2 DUP",
            "PUBLISH 4 qos1",
            "PUBLISH 0 qos0",
            "PUBREL 3"
        ]
    );
    let pubs = publishes(&packets);
    assert_eq!(&*pubs[0].topic, "a/1");
    assert_eq!(pubs[0].properties, rich_properties());
    assert_eq!(&pubs[0].payload[..], b"one");
    // The alias of the old connection is not used: full topic, no alias.
    assert_eq!(
        (&*pubs[1].topic, pubs[1].properties.topic_alias),
        ("a/2", None)
    );
    assert_eq!(&pubs[3].topic[..], "a/0");
    let evs = h.all_events();
    let connected = evs
        .iter()
        .position(|e| matches!(e, ProtocolEvent::Connected { .. }))
        .unwrap();
    let session_log = evs
        .iter()
        .position(|e| {
            matches!(
                e,
                ProtocolEvent::Log {
                    log_type: "Session",
                    ..
                }
            )
        })
        .unwrap();
    assert!(connected < session_log, "Connected comes first: {evs:?}");
    let logs = session_logs(&evs);
    assert!(
        logs.iter().any(|l| l.contains("resumed the session")
            && l.contains("2 unacknowledged PUBLISH")
            && l.contains("1 PUBREL")),
        "{logs:?}"
    );

    // The flows finish as usual.
    h.feed(puback(1));
    h.feed(pubrec(2));
    assert_eq!(sent(&mut h), ["PUBREL 2"]);
    h.feed(pubcomp(2));
    h.feed(pubcomp(3));
    h.feed(puback(4));
    let acks: Vec<u16> = h
        .events()
        .iter()
        .filter_map(|e| match e {
            ProtocolEvent::MessageAck {
                direction: Direction::Outgoing,
                packet_id,
                ..
            } => Some(*packet_id),
            _ => None,
        })
        .collect();
    assert_eq!(acks, [1, 2, 3, 4]);
    assert!(h.conn.outgoing().is_empty());
    // New ids continue after the restored ones.
    assert_eq!(h.publish("x", QoS::AtLeastOnce), Ok(5));
}

#[test]
fn pubrels_are_resent_in_the_order_the_pubrecs_arrived() {
    let mut h = Harness::connected(persistent(Protocol::V311));
    for _ in 0..3 {
        h.publish("t", QoS::ExactlyOnce).unwrap();
    }
    h.feed(pubrec(3));
    h.feed(pubrec(1));
    h.feed(pubrec(2));
    h.packets();
    let state = h.conn.take_session();
    let state = SessionState::from_text(&state.to_text()).unwrap();
    let mut h = restarted(persistent(Protocol::V311), state);
    h.feed(connack_sp(true, Properties::default()));
    assert_eq!(sent(&mut h), ["PUBREL 3", "PUBREL 1", "PUBREL 2"]);
}

#[test]
fn present_session_resends_within_the_new_receive_maximum() {
    let mut h = Harness::connected(persistent(Protocol::V5));
    for _ in 0..4 {
        h.publish("t", QoS::AtLeastOnce).unwrap();
    }
    h.publish("t", QoS::ExactlyOnce).unwrap();
    h.feed(pubrec(5));
    h.packets();
    let state = h.conn.take_session();
    let mut h = restarted(persistent(Protocol::V5), state);
    h.feed(connack_sp(
        true,
        Properties {
            receive_maximum: Some(2),
            ..Properties::default()
        },
    ));
    // Two PUBLISH fill the new quota; the PUBREL does not count against it.
    assert_eq!(
        sent(&mut h),
        ["PUBLISH 1 qos1 DUP", "PUBLISH 2 qos1 DUP", "PUBREL 5"]
    );
    h.feed(pubcomp(5));
    assert!(
        h.packets().is_empty(),
        "PUBCOMP of an earlier connection frees no slot"
    );
    h.feed(puback(1));
    assert_eq!(sent(&mut h), ["PUBLISH 3 qos1 DUP"]);
    h.feed(puback(2));
    assert_eq!(sent(&mut h), ["PUBLISH 4 qos1 DUP"]);
}

#[test]
fn v311_resume_keeps_republishing_on_the_interval() {
    let mut cfg = persistent(Protocol::V311);
    cfg.republish_interval = Some(Duration::from_secs(10));
    let mut h = Harness::connected(cfg.clone());
    h.publish("t", QoS::AtLeastOnce).unwrap();
    h.publish("t", QoS::ExactlyOnce).unwrap();
    h.feed(pubrec(2));
    h.packets();
    let state = h.conn.take_session();
    let mut h = restarted(cfg, state);
    h.feed(connack_sp(true, Properties::default()));
    assert_eq!(sent(&mut h), ["PUBLISH 1 qos1 DUP", "PUBREL 2"]);
    h.advance_secs(10);
    h.conn.handle_timeout(h.now);
    let again = sent(&mut h);
    assert!(
        again.contains(&"PUBLISH 1 qos1 DUP".to_string()),
        "{again:?}"
    );
    assert!(again.contains(&"PUBREL 2".to_string()), "{again:?}");
}

// ---- incoming QoS 2 across a restart ----

#[test]
fn incoming_qos2_is_delivered_exactly_once_across_a_restore() {
    let mut h = Harness::connected(persistent(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 7)));
    assert_eq!(sent(&mut h), ["PUBREC 7"]);
    assert!(
        delivered(&h.events()).is_empty(),
        "delivered on PUBREL only"
    );
    let text = h.conn.take_session().to_text();

    let state = SessionState::from_text(&text).unwrap();
    let mut h = restarted(persistent(Protocol::V5), state);
    h.feed(connack_sp(true, Properties::default()));
    assert!(h.packets().is_empty());
    h.all_events();
    assert_eq!(h.conn.incoming().len(), 1);
    // The server had not seen our PUBREC: it sends the PUBLISH again with DUP.
    let mut dup = incoming("in/t", QoS::ExactlyOnce, 7);
    dup.dup = true;
    h.feed(Packet::Publish(dup));
    assert_eq!(sent(&mut h), ["PUBREC 7"]);
    assert!(delivered(&h.events()).is_empty());
    h.feed(pubrel(7));
    assert_eq!(sent(&mut h), ["PUBCOMP 7"]);
    let evs = h.events();
    assert_eq!(delivered(&evs), [7]);
    let msg = evs
        .iter()
        .find_map(|e| match e {
            ProtocolEvent::MessageIn { message } => Some(message.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((&*msg.topic, &msg.payload[..]), ("in/t", &b"data"[..]));
    // A PUBREL repeated (our PUBCOMP was lost) is answered but delivers nothing.
    h.feed(pubrel(7));
    assert_eq!(sent(&mut h), ["PUBCOMP 7"]);
    assert!(delivered(&h.events()).is_empty());
}

#[test]
fn restored_incoming_messages_count_against_our_receive_maximum() {
    let mut cfg = persistent(Protocol::V5);
    cfg.connect_properties.receive_maximum = Some(1);
    let mut h = Harness::connected(cfg.clone());
    h.feed(Packet::Publish(incoming("t", QoS::ExactlyOnce, 1)));
    let state = h.conn.take_session();
    let mut h = restarted(cfg, state);
    h.feed(connack_sp(true, Properties::default()));
    h.packets();
    h.all_events();
    h.feed(Packet::Publish(incoming("t", QoS::AtLeastOnce, 2)));
    assert_eq!(disconnect_reason(&h.packets()), 0x93);
}

// ---- reconnecting when the server has no session ----

#[test]
fn lost_session_republishes_outgoing_as_new_and_drops_incoming() {
    let state = loaded().conn.take_session();
    let mut h = restarted(persistent(Protocol::V5), state);
    h.feed(connack_sp(false, Properties::default()));
    let packets = h.packets();
    assert_eq!(
        packets.iter().map(describe).collect::<Vec<_>>(),
        [
            "PUBLISH 1 qos1",
            "PUBLISH 2 qos2",
            "PUBLISH 3 qos2",
            "PUBLISH 4 qos1",
            "PUBLISH 0 qos0"
        ]
    );
    assert_eq!(publishes(&packets)[2].topic, "a/3");
    let evs = h.all_events();
    // Message 3 was past PUBREC: it starts over.
    assert!(evs.contains(&ProtocolEvent::InflightState {
        direction: Direction::Outgoing,
        packet_id: 3,
        state: MessageState::WaitPubRec,
    }));
    let logs = session_logs(&evs);
    assert!(
        logs.iter().any(|l| l.contains("no session")
            && l.contains("5 messages")
            && l.contains("as new messages")
            && l.contains("1 of them had reached the server")),
        "{logs:?}"
    );
    assert!(
        logs.iter()
            .any(|l| l.contains("dropping 1 incoming QoS 2") && l.contains("packet ids 7")),
        "{logs:?}"
    );
    // The component takes it out of IncomingMessages on this event.
    assert!(evs.contains(&ProtocolEvent::InflightDropped {
        direction: Direction::Incoming,
        packet_id: 7,
    }));
    assert!(h.conn.incoming().is_empty());
    let states: Vec<_> = h
        .conn
        .outgoing()
        .iter()
        .map(|m| (m.packet_id, m.state, m.dup))
        .collect();
    assert_eq!(
        states,
        [
            (1, MessageState::WaitPubAck, false),
            (2, MessageState::WaitPubRec, false),
            (3, MessageState::WaitPubRec, false),
            (4, MessageState::WaitPubAck, false),
        ]
    );
    // A PUBREL from nowhere for 7 is answered without delivering anything.
    h.feed(pubrel(7));
    assert_eq!(sent(&mut h), ["PUBCOMP 7"]);
    assert!(delivered(&h.events()).is_empty());
    // Message 3 goes through the whole QoS 2 flow again.
    h.feed(pubrec(3));
    assert_eq!(sent(&mut h), ["PUBREL 3"]);
    h.feed(pubcomp(3));
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, ProtocolEvent::MessageOut { message } if message.packet_id == 3)));
}

#[test]
fn clean_session_treats_a_restored_session_as_lost() {
    let state = loaded().conn.take_session();
    // CleanSession true: even a (wrong) session-present flag is not trusted. (Under 5.0
    // the flag closes the connection: see protocol_recovery.rs.)
    let mut h = restarted(config(Protocol::V311), state);
    h.feed(connack_sp(true, Properties::default()));
    let out = sent(&mut h);
    assert_eq!(out.len(), 5);
    assert!(
        out.iter()
            .all(|p| !p.contains("DUP") && p.starts_with("PUBLISH")),
        "{out:?}"
    );
}

#[test]
fn session_moves_between_connections_in_one_process() {
    // AutoReconnect: the old connection closed, the new one takes over its session.
    let mut old = Harness::connected(persistent(Protocol::V311));
    old.publish("t", QoS::AtLeastOnce).unwrap();
    old.publish("t", QoS::ExactlyOnce).unwrap();
    old.packets();
    old.feed(Packet::Disconnect(ferromq::codec::Disconnect {
        reason: 0,
        properties: Properties::default(),
    }));
    old.closed();
    let state = old.conn.take_session();
    let mut h = Harness::new(persistent(Protocol::V311));
    h.conn = Connection::with_session(persistent(Protocol::V311), state);
    assert_eq!(h.conn.outgoing().len(), 2);
    h.conn.start(h.now);
    h.packets();
    h.feed(connack_sp(true, Properties::default()));
    assert_eq!(sent(&mut h), ["PUBLISH 1 qos1 DUP", "PUBLISH 2 qos2 DUP"]);
}

#[test]
fn fresh_connection_with_nothing_to_resume_sends_nothing() {
    let mut h = Harness::new(persistent(Protocol::V5));
    h.conn.start(h.now);
    h.packets();
    h.feed(connack_sp(true, Properties::default()));
    assert!(h.packets().is_empty());
    assert!(session_logs(&h.all_events()).is_empty());
}

#[test]
fn a_refused_connack_keeps_the_session_for_the_next_attempt() {
    let state = loaded().conn.session();
    let mut h = restarted(persistent(Protocol::V5), state.clone());
    // Loaded and not yet resumed: the same session comes back out.
    assert_eq!(h.conn.session(), state);
    h.feed(connack(0x87, Properties::default()));
    h.closed();
    assert!(h.packets().is_empty());
    assert_eq!(h.conn.take_session(), state);
}
