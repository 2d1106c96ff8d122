//! The byte-level entry points, through the real codec: `handle_bytes` and
//! `poll_transmit`, decode errors, and the Maximum Packet Size checks.

use crate::protocol_harness as harness;

use bytes::{Bytes, BytesMut};
use ferromq::code;
use ferromq::codec::{self, Packet, Properties, Protocol, QoS};
use ferromq::protocol::ProtocolEvent;
use harness::*;

fn wire(protocol: Protocol, packets: &[Packet]) -> BytesMut {
    let mut out = BytesMut::new();
    for p in packets {
        codec::encode(p, protocol, &mut out).unwrap();
    }
    out
}

/// Decodes everything `poll_transmit` wrote (as the server would).
fn transmitted(h: &mut Harness, protocol: Protocol) -> Vec<Packet> {
    let mut out = BytesMut::new();
    h.conn.poll_transmit(&mut out);
    let mut packets = Vec::new();
    while let Some(p) = codec::decode(&mut out, protocol, u32::MAX).unwrap() {
        packets.push(p);
    }
    assert!(out.is_empty(), "trailing bytes");
    packets
}

#[test]
fn connect_and_flows_over_bytes() {
    for protocol in [Protocol::V311, Protocol::V5] {
        let mut h = Harness::new(config(protocol));
        h.conn.start(h.now);
        let sent = transmitted(&mut h, protocol);
        assert!(matches!(sent.as_slice(), [Packet::Connect(c)] if c.client_id == "tester"));

        // CONNACK, a QoS 1 PUBLISH and half of a second one arrive in one read.
        let mut buf = wire(
            protocol,
            &[
                connack(0, Properties::default()),
                Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 4)),
            ],
        );
        let second = wire(
            protocol,
            &[Packet::Publish(incoming("in/u", QoS::AtMostOnce, 0))],
        );
        buf.extend_from_slice(&second[..3]);
        h.conn.handle_bytes(h.now, &mut buf);
        assert!(h.conn.is_connected());
        assert_eq!(
            &buf[..],
            &second[..3],
            "the partial packet stays in the buffer"
        );
        assert_eq!(transmitted(&mut h, protocol), vec![puback(4)]);
        buf.extend_from_slice(&second[3..]);
        h.conn.handle_bytes(h.now, &mut buf);
        assert!(buf.is_empty());
        let topics: Vec<_> = h
            .events()
            .into_iter()
            .filter_map(|e| match e {
                ProtocolEvent::MessageIn { message } => Some(message.topic.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(topics, vec!["in/t", "in/u"]);

        // poll_transmit reports whether it wrote anything.
        let mut out = BytesMut::new();
        assert!(!h.conn.poll_transmit(&mut out));
        h.publish("a/b", QoS::AtMostOnce).unwrap();
        assert!(h.conn.poll_transmit(&mut out));
    }
}

#[test]
fn decode_error_under_v5_sends_disconnect_and_closes() {
    let mut h = Harness::connected(config(Protocol::V5));
    // Packet type 0 is reserved.
    let mut buf = BytesMut::from(&[0x00u8, 0x00, 0xD0, 0x00][..]);
    h.conn.handle_bytes(h.now, &mut buf);
    let evs = h.all_events();
    let closed: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            ProtocolEvent::Closed { code, reason } => Some((*code, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(closed.len(), 1, "{evs:?}");
    assert!(
        closed[0].0 == code::MALFORMED || closed[0].0 == code::PROTOCOL,
        "{closed:?}"
    );
    // The Log line comes before Closed.
    let log_at = evs
        .iter()
        .position(|e| matches!(e, ProtocolEvent::Log { .. }));
    let closed_at = evs
        .iter()
        .position(|e| matches!(e, ProtocolEvent::Closed { .. }));
    assert!(log_at.unwrap() < closed_at.unwrap());
    let sent = transmitted(&mut h, Protocol::V5);
    let r = disconnect_reason(&sent);
    assert!(r == 0x81 || r == 0x82, "reason 0x{r:02X}");
    // What follows is ignored and dropped.
    assert!(buf.is_empty());
    let mut more = wire(Protocol::V5, &[Packet::PingResp]);
    h.conn.handle_bytes(h.now, &mut more);
    assert!(more.is_empty());
    assert!(h.all_events().is_empty());
}

#[test]
fn decode_error_under_v311_closes_without_a_packet() {
    let mut h = Harness::connected(config(Protocol::V311));
    let mut buf = BytesMut::from(&[0x00u8, 0x00][..]);
    h.conn.handle_bytes(h.now, &mut buf);
    h.closed();
    assert!(transmitted(&mut h, Protocol::V311).is_empty());
}

#[test]
fn packets_over_our_maximum_are_refused_with_0x95() {
    let mut cfg = config(Protocol::V5);
    cfg.max_packet_size = 64;
    let mut h = Harness::connected(cfg);
    let mut big = incoming("t", QoS::AtMostOnce, 0);
    big.payload = Bytes::from(vec![b'x'; 200]);
    let mut buf = wire(Protocol::V5, &[Packet::Publish(big)]);
    h.conn.handle_bytes(h.now, &mut buf);
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(!reason.is_empty());
    assert_eq!(disconnect_reason(&transmitted(&mut h, Protocol::V5)), 0x95);
}

#[test]
fn publish_over_the_server_maximum_packet_size_is_refused() {
    let props = Properties {
        maximum_packet_size: Some(100),
        ..Properties::default()
    };
    let mut h = Harness::connected_with(config(Protocol::V5), props);
    let e = h
        .conn
        .publish(
            h.now,
            "a/b",
            QoS::AtLeastOnce,
            Bytes::from(vec![0u8; 200]),
            false,
            false,
            Properties::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, code::MALFORMED);
    assert!(
        e.message.contains("100 bytes") && e.message.contains("Maximum Packet Size"),
        "{}",
        e.message
    );
    assert!(h.packets().is_empty());
    // Just under the limit goes out, with the first id.
    let small = Bytes::from(vec![0u8; 50]);
    let id = h
        .conn
        .publish(
            h.now,
            "a/b",
            QoS::AtLeastOnce,
            small,
            false,
            false,
            Properties::default(),
        )
        .unwrap();
    assert_eq!(id, 1);
    let sent = transmitted(&mut h, Protocol::V5);
    assert_eq!(sent.len(), 1);
}

#[test]
fn packet_log_names_type_id_and_size() {
    let mut h = Harness::new(config(Protocol::V311));
    h.conn.set_log_level(3);
    h.conn.start(h.now);
    let mut buf = wire(
        Protocol::V311,
        &[
            connack(0, Properties::default()),
            Packet::Publish(incoming("t", QoS::AtLeastOnce, 3)),
        ],
    );
    h.conn.handle_bytes(h.now, &mut buf);
    let lines: Vec<String> = h
        .all_events()
        .into_iter()
        .filter_map(|e| match e {
            ProtocolEvent::Log {
                level: 3,
                log_type: "Packet",
                message,
            } => Some(message),
            _ => None,
        })
        .collect();
    assert!(
        lines.iter().any(|l| l.starts_with("sent CONNECT")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("received PUBLISH (id 3") && l.contains("bytes")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("sent PUBACK (id 3")),
        "{lines:?}"
    );
}
