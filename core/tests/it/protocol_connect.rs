//! CONNECT/CONNACK, keep-alive, DISCONNECT both ways and protocol errors around them.

use crate::protocol_harness as harness;

use bytes::Bytes;
use ferromq::code;
use ferromq::codec::{Auth, Disconnect, Packet, Properties, Protocol, QoS, Will};
use ferromq::protocol::ProtocolEvent;
use harness::*;
use std::time::Duration;

fn take_connect(h: &mut Harness) -> ferromq::codec::Connect {
    h.conn.start(h.now);
    match h.packets().as_slice() {
        [Packet::Connect(c)] => (**c).clone(),
        other => panic!("expected CONNECT, got {other:?}"),
    }
}

#[test]
fn connect_v311_carries_the_config() {
    let mut cfg = config(Protocol::V311);
    cfg.client_id = "client-1".into();
    cfg.clean_session = false;
    cfg.keep_alive = 30;
    cfg.username = Some("user".into());
    cfg.password = Some(Bytes::from_static(b"secret"));
    cfg.will = Some(Will {
        topic: "will/t".into(),
        payload: Bytes::from_static(b"bye"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Properties {
            will_delay_interval: Some(5),
            ..Properties::default()
        },
    });
    cfg.max_packet_size = 1024;
    cfg.connect_properties.session_expiry_interval = Some(100);
    let mut h = Harness::new(cfg);
    assert!(!h.conn.is_connected());
    let c = take_connect(&mut h);
    assert_eq!(c.protocol, Protocol::V311);
    assert_eq!(c.client_id, "client-1");
    assert!(!c.clean_start);
    assert_eq!(c.keep_alive, 30);
    assert_eq!(c.username.as_deref(), Some("user"));
    assert_eq!(c.password.as_deref(), Some(&b"secret"[..]));
    let will = c.will.expect("will");
    assert_eq!(will.topic, "will/t");
    assert_eq!(will.qos, QoS::AtLeastOnce);
    assert!(will.retain);
    // 3.1.1 has no properties anywhere, whatever was configured.
    assert!(will.properties.is_empty());
    assert!(c.properties.is_empty());
    assert!(!h.conn.is_connected() && !h.conn.is_closed());
    // No keep-alive before CONNACK: the driver's connect timeout covers that wait.
    assert_eq!(h.conn.poll_timeout(), None);
}

#[test]
fn connect_v5_carries_properties_and_maximum_packet_size() {
    let mut cfg = config(Protocol::V5);
    cfg.connect_properties.session_expiry_interval = Some(3600);
    cfg.connect_properties.receive_maximum = Some(10);
    cfg.connect_properties.topic_alias_maximum = Some(5);
    cfg.max_packet_size = 65_536;
    let mut h = Harness::new(cfg);
    let c = take_connect(&mut h);
    assert_eq!(c.protocol, Protocol::V5);
    assert_eq!(c.properties.session_expiry_interval, Some(3600));
    assert_eq!(c.properties.receive_maximum, Some(10));
    assert_eq!(c.properties.topic_alias_maximum, Some(5));
    assert_eq!(c.properties.maximum_packet_size, Some(65_536));
}

#[test]
fn connect_v5_omits_maximum_packet_size_at_the_protocol_limit() {
    let mut h = Harness::new(config(Protocol::V5));
    let c = take_connect(&mut h);
    assert_eq!(c.properties.maximum_packet_size, None);
    assert!(c.properties.is_empty());
}

#[test]
fn connack_success_emits_connected() {
    let mut h = Harness::new(config(Protocol::V311));
    h.conn.start(h.now);
    h.packets();
    let ack = connack(0, Properties::default());
    h.feed(ack.clone());
    let Packet::ConnAck(expected) = ack else {
        unreachable!()
    };
    assert_eq!(
        h.events(),
        vec![ProtocolEvent::Connected {
            connack: Box::new(expected)
        }]
    );
    assert!(h.conn.is_connected());
}

#[test]
fn connack_v311_refusals_name_the_return_code() {
    let meanings = [
        (1, "unacceptable protocol version"),
        (2, "identifier rejected"),
        (3, "server unavailable"),
        (4, "bad user name or password"),
        (5, "not authorized"),
    ];
    for (rc, meaning) in meanings {
        let mut h = Harness::new(config(Protocol::V311));
        h.conn.start(h.now);
        h.packets();
        h.feed(connack(rc, Properties::default()));
        let (code, reason) = h.closed();
        assert_eq!(code, code::PROTOCOL);
        assert!(
            reason.contains(&format!("CONNACK return code {rc} ({meaning})")),
            "{reason}"
        );
        assert!(h.packets().is_empty(), "nothing is sent after a refusal");
        assert!(!h.conn.is_connected());
    }
}

#[test]
fn connack_v5_refusal_names_reason_and_reason_string() {
    let mut h = Harness::new(config(Protocol::V5));
    h.conn.start(h.now);
    h.packets();
    h.feed(connack(
        0x86,
        Properties {
            reason_string: Some("wrong password for tester".into()),
            ..Properties::default()
        },
    ));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(
        reason.contains("reason 0x86 bad user name or password"),
        "{reason}"
    );
    assert!(reason.contains("wrong password for tester"), "{reason}");
    assert!(h.packets().is_empty());
}

#[test]
fn connack_v5_limits_are_stored_and_server_keep_alive_wins() {
    let props = Properties {
        server_keep_alive: Some(5),
        receive_maximum: Some(3),
        maximum_packet_size: Some(2048),
        topic_alias_maximum: Some(7),
        maximum_qos: Some(1),
        retain_available: Some(0),
        assigned_client_identifier: Some("auto-1".into()),
        ..Properties::default()
    };
    let h = Harness::connected_with(config(Protocol::V5), props);
    let s = h.conn.server_limits();
    assert_eq!(s.keep_alive, 5);
    assert_eq!(s.receive_maximum, 3);
    assert_eq!(s.maximum_packet_size, Some(2048));
    assert_eq!(s.topic_alias_maximum, 7);
    assert_eq!(s.maximum_qos, QoS::AtLeastOnce);
    assert!(!s.retain_available);
    assert_eq!(s.assigned_client_identifier.as_deref(), Some("auto-1"));
    // The ping is due 5 s after CONNECT, not 60 s.
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + Duration::from_secs(5)));
}

#[test]
fn v5_server_limits_refuse_publishes_before_sending() {
    let props = Properties {
        maximum_qos: Some(1),
        retain_available: Some(0),
        ..Properties::default()
    };
    let mut h = Harness::connected_with(config(Protocol::V5), props);
    let e = h.publish("a", QoS::ExactlyOnce).unwrap_err();
    assert_eq!(e.code, code::INVALID_QOS);
    let e = h
        .conn
        .publish(
            h.now,
            "a",
            QoS::AtMostOnce,
            Bytes::new(),
            true,
            false,
            Properties::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(h.packets().is_empty());
    assert_eq!(h.publish("a", QoS::AtLeastOnce), Ok(1));
}

#[test]
fn packet_before_connack_is_a_protocol_error() {
    for protocol in [Protocol::V311, Protocol::V5] {
        let mut h = Harness::new(config(protocol));
        h.conn.start(h.now);
        h.packets();
        h.feed(Packet::PingResp);
        let (code, reason) = h.closed();
        assert_eq!(code, code::PROTOCOL);
        assert!(reason.contains("PINGRESP before CONNACK"), "{reason}");
        let sent = h.packets();
        if protocol == Protocol::V5 {
            assert_eq!(disconnect_reason(&sent), 0x82);
        } else {
            assert!(sent.is_empty());
        }
        // Anything after the close is ignored.
        h.feed(connack(0, Properties::default()));
        assert!(h.all_events().is_empty());
        assert!(!h.conn.is_connected());
    }
}

#[test]
fn auth_before_connack_without_a_method_is_a_protocol_error() {
    let mut h = Harness::new(config(Protocol::V5));
    h.conn.start(h.now);
    h.packets();
    h.feed(Packet::Auth(Auth {
        reason: 0x18,
        properties: Properties::default(),
    }));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(reason.contains("AUTH"), "{reason}");
}

#[test]
fn second_connack_is_a_protocol_error() {
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(connack(0, Properties::default()));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(reason.contains("second CONNACK"), "{reason}");
    assert_eq!(disconnect_reason(&h.packets()), 0x82);
}

#[test]
fn server_only_packets_from_the_server_are_protocol_errors() {
    let mut h = Harness::connected(config(Protocol::V311));
    h.feed(Packet::PingReq);
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(reason.contains("PINGREQ"), "{reason}");
}

// ---- keep-alive ----

#[test]
fn pingreq_after_keep_alive_of_silence() {
    let mut cfg = config(Protocol::V311);
    cfg.keep_alive = 10;
    let mut h = Harness::connected(cfg);
    let t0 = h.t0;
    assert_eq!(h.conn.poll_timeout(), Some(t0 + Duration::from_secs(10)));
    // Early calls do nothing.
    h.advance_secs(9);
    h.conn.handle_timeout(h.now);
    assert!(h.packets().is_empty());
    assert_eq!(h.fire(), t0 + Duration::from_secs(10));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    // Now waiting for PINGRESP, for half a keep-alive interval.
    assert_eq!(h.conn.poll_timeout(), Some(t0 + Duration::from_secs(15)));
    h.advance_secs(3);
    h.feed(Packet::PingResp);
    assert!(h.events().is_empty());
    // The next ping counts from the PINGREQ (our last send).
    assert_eq!(h.conn.poll_timeout(), Some(t0 + Duration::from_secs(20)));
    assert_eq!(h.fire(), t0 + Duration::from_secs(20));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    assert!(h.conn.is_connected());
}

#[test]
fn missing_pingresp_closes_with_timeout() {
    let mut cfg = config(Protocol::V5);
    cfg.keep_alive = 10;
    let mut h = Harness::connected(cfg);
    h.fire();
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    h.all_events();
    // Traffic from the server is no PINGRESP, but it shows the server is alive: the wait
    // (half the interval) starts again from it.
    h.advance_secs(4);
    h.feed(Packet::Publish(incoming("t", QoS::AtMostOnce, 0)));
    h.all_events();
    assert_eq!(h.fire(), h.t0 + Duration::from_secs(19));
    let (code, reason) = h.closed();
    assert_eq!(code, code::TIMEOUT);
    assert!(
        reason.contains("nothing received from the server for 5.0 s")
            && reason.contains("keep-alive 10 s"),
        "{reason}"
    );
    assert!(
        h.packets().is_empty(),
        "no packets after a keep-alive timeout"
    );
    assert_eq!(h.conn.poll_timeout(), None);
}

#[test]
fn traffic_both_ways_postpones_the_ping_but_one_way_does_not() {
    let mut cfg = config(Protocol::V311);
    cfg.keep_alive = 10;
    let mut h = Harness::connected(cfg);
    // Publishing every 6 s, acknowledged, keeps the connection alive without any PINGREQ.
    for _ in 0..5 {
        h.advance_secs(6);
        h.conn.handle_timeout(h.now);
        let id = h.publish("t", QoS::AtLeastOnce).unwrap();
        let sent = h.packets();
        assert!(matches!(sent.as_slice(), [Packet::Publish(_)]), "{sent:?}");
        h.feed(puback(id));
        assert_eq!(h.conn.poll_timeout(), Some(h.now + Duration::from_secs(10)));
    }
    // Only receiving: MQTT keep-alive is about what the client sends, so a ping is due
    // keep-alive seconds after our last packet regardless (protocol_recovery.rs has the
    // other way round: only sending).
    let last_send = h.now;
    for _ in 0..3 {
        h.advance_secs(3);
        h.feed(Packet::Publish(incoming("t", QoS::AtMostOnce, 0)));
    }
    assert_eq!(h.fire(), last_send + Duration::from_secs(10));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
}

#[test]
fn keep_alive_zero_disables_pings() {
    let mut cfg = config(Protocol::V311);
    cfg.keep_alive = 0;
    let mut h = Harness::connected(cfg);
    assert_eq!(h.conn.poll_timeout(), None);
    h.advance_secs(100_000);
    h.conn.handle_timeout(h.now);
    assert!(h.packets().is_empty());
}

#[test]
fn server_keep_alive_zero_disables_pings() {
    let props = Properties {
        server_keep_alive: Some(0),
        ..Properties::default()
    };
    let h = Harness::connected_with(config(Protocol::V5), props);
    assert_eq!(h.conn.poll_timeout(), None);
}

// ---- disconnect ----

#[test]
fn server_disconnect_v5_names_reason_and_string() {
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(Packet::Disconnect(Disconnect {
        reason: 0x8B,
        properties: Properties {
            reason_string: Some("maintenance".into()),
            ..Properties::default()
        },
    }));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(reason.contains("0x8B server shutting down"), "{reason}");
    assert!(reason.contains("maintenance"), "{reason}");
    assert!(h.packets().is_empty());
}

#[test]
fn server_normal_disconnect_is_a_drop() {
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(Packet::Disconnect(Disconnect {
        reason: 0,
        properties: Properties::default(),
    }));
    let (code, reason) = h.closed();
    assert_eq!(code, code::DROPPED);
    assert!(reason.contains("normal disconnection"), "{reason}");
}

#[test]
fn our_disconnect_closes_and_refuses_later_commands() {
    let mut h = Harness::connected(config(Protocol::V5));
    let props = Properties {
        session_expiry_interval: Some(0),
        ..Properties::default()
    };
    h.conn.disconnect(h.now, 0x04, props.clone());
    assert_eq!(
        h.packets(),
        vec![Packet::Disconnect(Disconnect {
            reason: 0x04,
            properties: props
        })]
    );
    assert_eq!(
        h.events(),
        vec![ProtocolEvent::Closed {
            code: 0,
            reason: "OK".into()
        }]
    );
    assert!(h.conn.is_closed() && !h.conn.is_connected());
    assert_eq!(
        h.publish("t", QoS::AtMostOnce).unwrap_err().code,
        code::CONNECT_FIRST
    );
    assert_eq!(
        h.subscribe(&[("t", QoS::AtMostOnce)]).unwrap_err().code,
        code::CONNECT_FIRST
    );
    let e = h
        .conn
        .unsubscribe(h.now, vec!["t".into()], Properties::default())
        .unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST);
    // A second disconnect and later packets change nothing.
    h.conn.disconnect(h.now, 0, Properties::default());
    h.feed(Packet::PingResp);
    assert!(h.packets().is_empty());
    assert!(h.all_events().is_empty());
    assert_eq!(h.conn.poll_timeout(), None);
}

#[test]
fn disconnect_v311_has_no_reason() {
    let mut h = Harness::connected(config(Protocol::V311));
    h.conn.disconnect(h.now, 0x04, Properties::default());
    assert_eq!(disconnect_reason(&h.packets()), 0);
}

#[test]
fn commands_before_connack_are_refused() {
    let mut h = Harness::new(config(Protocol::V311));
    assert_eq!(
        h.publish("t", QoS::AtLeastOnce).unwrap_err().code,
        code::CONNECT_FIRST
    );
    h.conn.start(h.now);
    h.packets();
    assert_eq!(
        h.publish("t", QoS::AtLeastOnce).unwrap_err().code,
        code::CONNECT_FIRST
    );
    assert!(h.packets().is_empty());
}

// ---- logs ----

#[test]
fn log_level_filters_log_events() {
    let mut h = Harness::new(config(Protocol::V311));
    h.conn.set_log_level(0);
    h.conn.start(h.now);
    h.feed(connack(0, Properties::default()));
    assert!(h
        .all_events()
        .iter()
        .all(|e| !matches!(e, ProtocolEvent::Log { .. })));

    let mut h = Harness::new(config(Protocol::V311));
    h.conn.set_log_level(3);
    h.conn.start(h.now);
    h.feed(connack(0, Properties::default()));
    let logs: Vec<_> = h
        .all_events()
        .into_iter()
        .filter_map(|e| match e {
            ProtocolEvent::Log {
                level,
                log_type,
                message,
            } => Some((level, log_type, message)),
            _ => None,
        })
        .collect();
    assert!(logs
        .iter()
        .any(|(l, t, m)| *l == 3 && *t == "Packet" && m.contains("CONNECT")));
    assert!(logs
        .iter()
        .any(|(l, t, m)| *l == 3 && *t == "Packet" && m.contains("CONNACK")));
    assert!(logs.iter().any(|(l, t, _)| *l == 1 && *t == "Info"));
    assert!(logs.iter().all(|(l, _, _)| *l <= 3));
}
