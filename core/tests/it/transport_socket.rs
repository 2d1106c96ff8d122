//! Socket settings against the harness's mosquitto: the local address (checked from the
//! broker's log), IPv4/IPv6 choice against a [::1] listener, keep-alive (checked with ss),
//! linger, buffer sizes, and MaxTransferRate (measured).

use crate::transport_util;

use bytes::Bytes;
use ferromq::code;
use ferromq::codec::{Packet, Protocol};
use ferromq::transport::{IpFamily, KeepAlive, Linger, NoObserver, Target, TransportOptions};
use std::time::{Duration, Instant};
use transport_util::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn local_host_and_port_as_the_broker_sees_them() {
    let env = env();
    let port = free_port();
    let mut opts = TransportOptions::default();
    opts.tcp.local_host = "127.0.0.1".into();
    opts.tcp.local_port = port;
    let conn = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver)
        .await
        .unwrap();
    assert_eq!(conn.local.port(), port);
    let mut m = Mqtt::new(conn.stream, Protocol::V311);
    assert_eq!(m.connect("ferromq-localport").await.unwrap().code, 0);
    // mosquitto logs "New connection from 127.0.0.1:PORT on port ...".
    let log = format!("{}/mosquitto.log", env.dir());
    let want = format!("New connection from 127.0.0.1:{port} ");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains(&want) {
            break;
        }
        assert!(Instant::now() < deadline, "\"{want}\" is not in {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    m.disconnect().await;
}

#[tokio::test]
async fn ipv6_choice() {
    let env = env();
    let v6 = env.port("FERROMQ_V6_PORT");
    for family in [IpFamily::Any, IpFamily::V6Only, IpFamily::V6First] {
        let mut opts = TransportOptions::default();
        opts.socket.ip_family = family;
        let conn = connect(&Target::parse("[::1]", v6).unwrap(), &opts, &NoObserver)
            .await
            .unwrap();
        assert!(conn.peer.is_ipv6());
        prove(conn, Protocol::V5, "ipv6").await;
    }
    let mut opts = TransportOptions::default();
    opts.socket.ip_family = IpFamily::V4Only;
    let r = connect(&host("::1", v6), &opts, &NoObserver).await;
    assert_err(
        r,
        code::HOST_NOT_FOUND,
        &["no IPv4 address", "UseIPv6 is 0"],
    );
    opts.socket.ip_family = IpFamily::V6Only;
    let r = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver).await;
    assert_err(
        r,
        code::HOST_NOT_FOUND,
        &["no IPv6 address", "UseIPv6 is 1"],
    );
    // And over WebSocket-style URLs, the bracketed form.
    let t = Target::parse(&format!("ws://[::1]:{v6}/"), 1).unwrap();
    assert_eq!(t.host, "::1");
}

/// The `ss` line of our connection from `local_port`, with timer information.
fn ss_line(local_port: u16) -> String {
    let out = std::process::Command::new("ss")
        .args([
            "-tnoi",
            "state",
            "established",
            &format!("( sport = :{local_port} )"),
        ])
        .output()
        .expect("ss (iproute2) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn keep_alive_linger_and_buffers_are_applied() {
    let env = env();
    let mut opts = TransportOptions::default();
    opts.socket.keep_alive = Some(KeepAlive {
        time: Some(Duration::from_secs(7)),
        interval: Some(Duration::from_secs(3)),
    });
    opts.socket.linger = Linger::Seconds(2);
    opts.socket.in_buffer_size = 256 * 1024;
    opts.socket.out_buffer_size = 128 * 1024;
    let conn = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver)
        .await
        .unwrap();
    let line = ss_line(conn.local.port());
    // ss shows the keep-alive timer counting down from KeepAliveTime.
    assert!(line.contains("timer:(keepalive,"), "{line}");
    prove(conn, Protocol::V311, "sockopts").await;
    // Without keep-alive there is no such timer.
    let conn = connect(
        &local(env.port("FERROMQ_PLAIN_PORT")),
        &TransportOptions::default(),
        &NoObserver,
    )
    .await
    .unwrap();
    let line = ss_line(conn.local.port());
    assert!(!line.contains("keepalive"), "{line}");
    prove(conn, Protocol::V311, "nokeepalive").await;
    // An abortive close (Linger false) still carries MQTT while open.
    let mut opts = TransportOptions::default();
    opts.socket.linger = Linger::Abort;
    opts.tcp.nodelay = false;
    let conn = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver)
        .await
        .unwrap();
    prove(conn, Protocol::V5, "abortclose").await;
}

#[tokio::test]
async fn max_transfer_rate_is_measured() {
    let env = env();
    let mut opts = TransportOptions::default();
    let rate = 40_000u64;
    opts.socket.max_transfer_rate = rate;
    let conn = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver)
        .await
        .unwrap();
    let mut m = Mqtt::new(conn.stream, Protocol::V311);
    assert_eq!(m.connect("ferromq-rate").await.unwrap().code, 0);
    let t = topic("rate");
    let sub = m.subscribe_packet(&t, 1);
    m.send(&sub).await.unwrap();
    assert!(matches!(m.recv().await.unwrap(), Some(Packet::SubAck(_))));
    let payload = vec![7u8; 80_000];
    let publish = m.publish_packet(&t, 2, Bytes::from(payload.clone()));
    let bytes = m.encode(&publish);
    let start = Instant::now();
    m.send_raw(&bytes).await.unwrap();
    let took = start.elapsed();
    // 80 kB at 40 kB/s: two seconds, less the small burst the bucket allows.
    let expected = Duration::from_secs_f64(bytes.len() as f64 / rate as f64);
    assert!(
        took >= expected.mul_f64(0.85),
        "{} bytes took {took:?}, expected about {expected:?}",
        bytes.len()
    );
    assert!(
        took < expected * 3,
        "{} bytes took {took:?}, expected about {expected:?}",
        bytes.len()
    );
    m.expect_puback_and_message(&t, &payload).await;
    m.disconnect().await;
}

#[tokio::test]
async fn plain_tcp_errors() {
    let env = env();
    let r = connect(
        &local(env.port("FERROMQ_CLOSED_PORT")),
        &TransportOptions::default(),
        &NoObserver,
    )
    .await;
    assert_err(r, 10061, &["cannot connect to 127.0.0.1:"]);
    let r = connect(&local(0), &TransportOptions::default(), &NoObserver).await;
    assert_err(r, code::REMOTE_PORT_ZERO, &["port"]);
    let mut opts = TransportOptions::default();
    opts.tcp.local_host = "::1".into();
    let r = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver).await;
    let e = r.unwrap_err();
    assert!(
        e.message.contains("cannot bind to local address [::1]"),
        "{e}"
    );
}
