//! MQTT over WebSocket (ws:// and wss://, subprotocol mqtt) through websockify in front of
//! mosquitto (tests/harness/transports), for MQTT 3.1.1 and 5.0.

use crate::transport_util;

use bytes::Bytes;
use ferromq::code;
use ferromq::codec::{Packet, Protocol};
use ferromq::transport::{milestone, NoObserver, Target, TlsOptions, TransportOptions};
use transport_util::*;

fn ws_target(port: u16, secure: bool, path: &str) -> Target {
    let scheme = if secure { "wss" } else { "ws" };
    Target::parse(&format!("{scheme}://127.0.0.1:{port}{path}"), 1883).unwrap()
}

fn wss_opts() -> TransportOptions {
    TransportOptions {
        tls: TlsOptions {
            ca_pem: env().text("FERROMQ_CA_CERT"),
            ..TlsOptions::default()
        },
        ..TransportOptions::default()
    }
}

#[tokio::test]
async fn ws_carries_mqtt_311_and_5() {
    let env = env();
    for (protocol, name) in [(Protocol::V311, "ws311"), (Protocol::V5, "ws5")] {
        let rec = Recorder::new();
        let t = ws_target(env.port("FERROMQ_WS_PORT"), false, "/mqtt");
        let conn = connect(&t, &TransportOptions::default(), &rec)
            .await
            .unwrap();
        assert!(conn.tls.is_none());
        assert_eq!(rec.milestones(), vec![milestone::REMOTE.to_string()]);
        assert!(
            rec.events.lock()[0].contains("ws://127.0.0.1:"),
            "{:?}",
            rec.events.lock()
        );
        prove(conn, protocol, name).await;
    }
}

#[tokio::test]
async fn wss_carries_mqtt_311_and_5() {
    let env = env();
    for (protocol, name) in [(Protocol::V311, "wss311"), (Protocol::V5, "wss5")] {
        let rec = Recorder::new();
        // wss:// turns TLS on by itself; the certificate is verified as for plain TLS.
        let t = ws_target(env.port("FERROMQ_WSS_PORT"), true, "/");
        let conn = connect(&t, &wss_opts(), &rec).await.unwrap();
        assert_eq!(conn.tls.as_ref().unwrap().verify_status, "OK");
        assert_eq!(
            rec.milestones(),
            vec![milestone::TLS.to_string(), milestone::REMOTE.to_string()]
        );
        prove(conn, protocol, name).await;
    }
    // localhost by name, and an untrusted server refused as for plain TLS.
    let t = Target::parse(
        &format!("wss://localhost:{}/mqtt", env.port("FERROMQ_WSS_PORT")),
        1,
    )
    .unwrap();
    let conn = connect(&t, &wss_opts(), &NoObserver).await.unwrap();
    prove(conn, Protocol::V311, "wsslocalhost").await;
    let r = connect(&t, &TransportOptions::default(), &NoObserver).await;
    assert_err(r, code::TLS_CERT_VERIFY, &["not signed by a trusted"]);
}

#[tokio::test]
async fn packets_split_across_messages_and_many_in_one() {
    let env = env();
    for (port, secure) in [
        (env.port("FERROMQ_WS_PORT"), false),
        (env.port("FERROMQ_WSS_PORT"), true),
    ] {
        let conn = connect(&ws_target(port, secure, "/"), &wss_opts(), &NoObserver)
            .await
            .unwrap();
        let mut m = Mqtt::new(conn.stream, Protocol::V5);
        let topic = topic("frames");
        // CONNECT cut in three messages.
        let connect = m.encode(&m.connect_packet("ferromq-frames"));
        for part in [&connect[..3], &connect[3..10], &connect[10..]] {
            m.send_raw(part).await.unwrap();
        }
        match m.recv().await.unwrap() {
            Some(Packet::ConnAck(a)) => assert_eq!(a.code, 0),
            other => panic!("expected CONNACK, got {other:?}"),
        }
        // SUBSCRIBE and a PUBLISH in one message...
        let mut both = m.encode(&m.subscribe_packet(&topic, 1));
        let payload = vec![0x5a; 70_000];
        let publish = m.encode(&m.publish_packet(&topic, 2, Bytes::from(payload.clone())));
        // ...the PUBLISH's first half with them, its second half in a second message.
        let half = publish.len() / 2;
        both.extend_from_slice(&publish[..half]);
        m.send_raw(&both).await.unwrap();
        match m.recv().await.unwrap() {
            Some(Packet::SubAck(a)) => assert_eq!(a.codes, vec![1]),
            other => panic!("expected SUBACK, got {other:?}"),
        }
        m.send_raw(&publish[half..]).await.unwrap();
        // The 70 kB message comes back through websockify, which cuts it as it likes.
        m.expect_puback_and_message(&topic, &payload).await;
        m.disconnect().await;
    }
}

#[tokio::test]
async fn a_refused_subprotocol_is_a_websocket_error() {
    let env = env();
    let mut opts = TransportOptions::default();
    opts.websocket.subprotocol = "not-mqtt".into();
    let r = connect(
        &ws_target(env.port("FERROMQ_WS_PORT"), false, "/"),
        &opts,
        &NoObserver,
    )
    .await;
    assert_err(
        r,
        code::WS_PROTOCOL,
        &["refused the WebSocket upgrade", "HTTP 400"],
    );
}

#[tokio::test]
async fn websocket_to_a_plain_mqtt_port_fails_in_the_upgrade() {
    let env = env();
    let r = connect(
        &ws_target(env.port("FERROMQ_PLAIN_PORT"), false, "/"),
        &TransportOptions::default(),
        &NoObserver,
    )
    .await;
    let e = r.unwrap_err();
    eprintln!("refused as expected: {e}");
    assert!(e.message.contains("WebSocket upgrade"), "{e}");
}

#[tokio::test]
async fn extra_headers_are_sent() {
    let env = env();
    let mut opts = TransportOptions::default();
    opts.websocket.headers = vec![("X-Ferromq-Test".into(), "1".into())];
    let conn = connect(
        &ws_target(env.port("FERROMQ_WS_PORT"), false, "/h?x=y"),
        &opts,
        &NoObserver,
    )
    .await
    .unwrap();
    prove(conn, Protocol::V311, "wsheaders").await;
    opts.websocket.headers = vec![("Bad Header".into(), "1".into())];
    let r = connect(
        &ws_target(env.port("FERROMQ_WS_PORT"), false, "/"),
        &opts,
        &NoObserver,
    )
    .await;
    assert_err(r, code::INVALID_ARGUMENT, &["Bad Header"]);
}

#[tokio::test]
async fn aedes_a_second_broker_over_ws_and_wss() {
    let env = env();
    for (port, secure) in [
        (env.port("FERROMQ_AEDES_WS_PORT"), false),
        (env.port("FERROMQ_AEDES_WSS_PORT"), true),
    ] {
        let conn = connect(&ws_target(port, secure, "/mqtt"), &wss_opts(), &NoObserver)
            .await
            .unwrap();
        prove(conn, Protocol::V311, "aedes").await;
        // aedes speaks 3.1.1 only: it answers a 5.0 CONNECT with return code 1, which still
        // shows the bytes went both ways over the WebSocket.
        let conn = connect(&ws_target(port, secure, "/"), &wss_opts(), &NoObserver)
            .await
            .unwrap();
        let mut m = Mqtt::new(conn.stream, Protocol::V311);
        let mut p = m.connect_packet("ferromq-aedes-v5");
        if let Packet::Connect(c) = &mut p {
            c.protocol = Protocol::V5;
        }
        m.send(&p).await.unwrap();
        match m.recv().await.unwrap() {
            Some(Packet::ConnAck(a)) => assert_eq!(a.code, 1),
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }
}
