//! Shared helpers for the protocol tests: a `Connection` on a hand-advanced clock, with
//! packets taken unencoded so the tests do not depend on the codec.
#![allow(dead_code)]

use bytes::Bytes;
use ferromq::codec::{
    ConnAck, Packet, Properties, Protocol, PubResp, Publish, QoS, SubAck, SubscribeFilter, UnsubAck,
};
use ferromq::protocol::{Connection, ConnectionConfig, ProtocolEvent};
use std::time::{Duration, Instant};

pub fn config(protocol: Protocol) -> ConnectionConfig {
    ConnectionConfig {
        protocol,
        client_id: "tester".into(),
        clean_session: true,
        keep_alive: 60,
        username: None,
        password: None,
        will: None,
        connect_properties: Properties::default(),
        republish_interval: None,
        max_packet_size: 268_435_460,
        max_inflight: 0,
        max_outgoing: 0,
        manual_ack: false,
    }
}

pub struct Harness {
    pub conn: Connection,
    pub t0: Instant,
    pub now: Instant,
}

impl Harness {
    pub fn new(config: ConnectionConfig) -> Self {
        let t0 = Instant::now();
        Harness {
            conn: Connection::new(config),
            t0,
            now: t0,
        }
    }

    /// Started, CONNECT taken, CONNACK (success) fed, everything drained.
    pub fn connected(config: ConnectionConfig) -> Self {
        Self::connected_with(config, Properties::default())
    }

    pub fn connected_with(config: ConnectionConfig, connack_props: Properties) -> Self {
        let mut h = Harness::new(config);
        h.conn.start(h.now);
        let first = h.packets();
        assert!(
            matches!(first.as_slice(), [Packet::Connect(_)]),
            "{first:?}"
        );
        h.feed(connack(0, connack_props));
        assert!(h.conn.is_connected());
        h.all_events();
        h
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    pub fn advance_secs(&mut self, s: u64) {
        self.advance(Duration::from_secs(s));
    }

    /// Moves the clock to the next deadline and handles it.
    pub fn fire(&mut self) -> Instant {
        let at = self.conn.poll_timeout().expect("a deadline");
        assert!(at >= self.now, "deadline in the past");
        self.now = at;
        self.conn.handle_timeout(at);
        at
    }

    pub fn feed(&mut self, p: Packet) {
        self.conn.handle_packet(self.now, p);
    }

    pub fn packets(&mut self) -> Vec<Packet> {
        std::iter::from_fn(|| self.conn.poll_packet()).collect()
    }

    pub fn all_events(&mut self) -> Vec<ProtocolEvent> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }

    /// Events without Log lines.
    pub fn events(&mut self) -> Vec<ProtocolEvent> {
        self.all_events()
            .into_iter()
            .filter(|e| !matches!(e, ProtocolEvent::Log { .. }))
            .collect()
    }

    pub fn publish(&mut self, topic: &str, qos: QoS) -> ferromq::Result<u16> {
        self.conn.publish(
            self.now,
            topic,
            qos,
            Bytes::from_static(b"payload"),
            false,
            false,
            Properties::default(),
        )
    }

    pub fn subscribe(&mut self, filters: &[(&str, QoS)]) -> ferromq::Result<u16> {
        let filters = filters
            .iter()
            .map(|(f, q)| SubscribeFilter {
                filter: f.to_string(),
                qos: *q,
                no_local: false,
                retain_as_published: false,
                retain_handling: 0,
            })
            .collect();
        self.conn
            .subscribe(self.now, filters, Properties::default())
    }

    /// The single Closed event among the drained events.
    pub fn closed(&mut self) -> (i32, String) {
        let evs = self.all_events();
        let closed: Vec<_> = evs
            .iter()
            .filter_map(|e| match e {
                ProtocolEvent::Closed { code, reason } => Some((*code, reason.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(closed.len(), 1, "expected one Closed in {evs:?}");
        assert!(self.conn.is_closed());
        closed.into_iter().next().unwrap()
    }
}

pub fn connack(code: u8, properties: Properties) -> Packet {
    Packet::ConnAck(ConnAck {
        session_present: false,
        code,
        properties,
    })
}

pub fn resp(packet_id: u16, reason: u8) -> PubResp {
    PubResp {
        packet_id,
        reason,
        properties: Properties::default(),
    }
}

pub fn puback(id: u16) -> Packet {
    Packet::PubAck(resp(id, 0))
}
pub fn pubrec(id: u16) -> Packet {
    Packet::PubRec(resp(id, 0))
}
pub fn pubrel(id: u16) -> Packet {
    Packet::PubRel(resp(id, 0))
}
pub fn pubcomp(id: u16) -> Packet {
    Packet::PubComp(resp(id, 0))
}

pub fn incoming(topic: &str, qos: QoS, packet_id: u16) -> Publish {
    Publish {
        dup: false,
        qos,
        retain: false,
        topic: topic.into(),
        packet_id,
        payload: Bytes::from_static(b"data"),
        properties: Properties::default(),
    }
}

pub fn suback(packet_id: u16, codes: Vec<u8>) -> Packet {
    Packet::SubAck(SubAck {
        packet_id,
        codes,
        properties: Properties::default(),
    })
}

pub fn unsuback(packet_id: u16, codes: Vec<u8>) -> Packet {
    Packet::UnsubAck(UnsubAck {
        packet_id,
        codes,
        properties: Properties::default(),
    })
}

/// The DISCONNECT reason code of the single DISCONNECT in `packets`.
pub fn disconnect_reason(packets: &[Packet]) -> u8 {
    match packets {
        [Packet::Disconnect(d)] => d.reason,
        other => panic!("expected one DISCONNECT, got {other:?}"),
    }
}
