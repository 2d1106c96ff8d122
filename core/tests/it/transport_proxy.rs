//! Proxies (the class's Firewall): HTTP CONNECT through tinyproxy (with and without Basic
//! auth), SOCKS4 and SOCKS5 through dante, SOCKS5 with username/password through microsocks,
//! SOCKS4A (and SOCKS5 with names) through a Perl IO::Socket::Socks server — plain MQTT, TLS
//! and wss through each, and every refusal as error 118 with the proxy's answer.

use crate::transport_util;

use ferromq::code;
use ferromq::codec::Protocol;
use ferromq::transport::{
    milestone, NoObserver, ProxyKind, ProxyOptions, Target, TlsOptions, TransportOptions,
};
use transport_util::*;

fn via(kind: ProxyKind, port_var: &str, auth: bool) -> TransportOptions {
    let env = env();
    let mut p = ProxyOptions::new(kind, "127.0.0.1", env.port(port_var));
    if auth {
        p.user = env.var("FERROMQ_PROXY_USER");
        p.password = env.var("FERROMQ_PROXY_PASSWORD");
    }
    TransportOptions {
        proxy: Some(p),
        tls: TlsOptions {
            ca_pem: env.text("FERROMQ_CA_CERT"),
            ..TlsOptions::default()
        },
        ..TransportOptions::default()
    }
}

/// Every proxy the harness runs that can reach 127.0.0.1 without credentials problems.
fn all_proxies() -> Vec<(&'static str, TransportOptions)> {
    vec![
        (
            "http",
            via(ProxyKind::Http, "FERROMQ_PROXY_HTTP_PORT", false),
        ),
        (
            "http+auth",
            via(ProxyKind::Http, "FERROMQ_PROXY_HTTP_AUTH_PORT", true),
        ),
        (
            "socks4 dante",
            via(ProxyKind::Socks4, "FERROMQ_PROXY_SOCKS_PORT", false),
        ),
        (
            "socks5 dante",
            via(ProxyKind::Socks5, "FERROMQ_PROXY_SOCKS_PORT", false),
        ),
        (
            "socks5+auth microsocks",
            via(ProxyKind::Socks5, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", true),
        ),
        (
            "socks4a perl",
            via(ProxyKind::Socks4a, "FERROMQ_PROXY_SOCKS4A_PORT", false),
        ),
        (
            "socks5 perl",
            via(ProxyKind::Socks5, "FERROMQ_PROXY_SOCKS4A_PORT", false),
        ),
    ]
}

#[tokio::test]
async fn plain_mqtt_through_every_proxy() {
    let env = env();
    for (name, opts) in all_proxies() {
        for protocol in [Protocol::V311, Protocol::V5] {
            let rec = Recorder::new();
            let conn = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &rec)
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(conn.proxied);
            assert_eq!(
                conn.peer.port(),
                opts.proxy.as_ref().unwrap().port,
                "{name}"
            );
            assert_eq!(
                rec.milestones(),
                vec![
                    milestone::FIREWALL.to_string(),
                    milestone::REMOTE.to_string()
                ],
                "{name}"
            );
            prove(conn, protocol, "proxy").await;
        }
    }
}

#[tokio::test]
async fn tls_through_every_proxy() {
    let env = env();
    for (name, mut opts) in all_proxies() {
        opts.tls.enabled = true;
        // By name, so SOCKS4A and HTTP pass "localhost" on and the certificate is checked
        // against it.
        let rec = Recorder::new();
        let conn = connect(
            &host("localhost", env.port("FERROMQ_TLS_PORT")),
            &opts,
            &rec,
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(conn.tls.as_ref().unwrap().verify_status, "OK", "{name}");
        assert_eq!(
            rec.milestones(),
            vec![
                milestone::FIREWALL.to_string(),
                milestone::TLS.to_string(),
                milestone::REMOTE.to_string()
            ],
            "{name}"
        );
        prove(conn, Protocol::V5, "proxytls").await;
    }
}

#[tokio::test]
async fn ws_and_wss_through_every_proxy() {
    let env = env();
    for (name, opts) in all_proxies() {
        for url in [
            format!("ws://127.0.0.1:{}/mqtt", env.port("FERROMQ_WS_PORT")),
            format!("wss://localhost:{}/mqtt", env.port("FERROMQ_WSS_PORT")),
        ] {
            let t = Target::parse(&url, 1883).unwrap();
            let conn = connect(&t, &opts, &NoObserver)
                .await
                .unwrap_or_else(|e| panic!("{name} {url}: {e}"));
            prove(conn, Protocol::V311, "proxyws").await;
        }
    }
}

#[tokio::test]
async fn names_reach_the_proxy_unresolved() {
    let env = env();
    let log = env.path("FERROMQ_PROXY_SOCKS4A_LOG");
    let port = env.port("FERROMQ_PLAIN_PORT");
    let before = std::fs::read_to_string(&log).unwrap_or_default();
    // SOCKS4A always passes the name; SOCKS5 passes it when the host starts with '*'.
    let opts = via(ProxyKind::Socks4a, "FERROMQ_PROXY_SOCKS4A_PORT", false);
    let conn = connect(&host("localhost", port), &opts, &NoObserver)
        .await
        .unwrap();
    prove(conn, Protocol::V311, "socks4a").await;
    let opts5 = via(ProxyKind::Socks5, "FERROMQ_PROXY_SOCKS4A_PORT", false);
    let conn = connect(
        &Target::parse("*localhost", port).unwrap(),
        &opts5,
        &NoObserver,
    )
    .await
    .unwrap();
    prove(conn, Protocol::V311, "socks5name").await;
    // Without '*', SOCKS5 gets the address we resolved.
    let conn = connect(&host("localhost", port), &opts5, &NoObserver)
        .await
        .unwrap();
    prove(conn, Protocol::V311, "socks5ip").await;
    let after = std::fs::read_to_string(&log).unwrap();
    let new: Vec<&str> = after[before.len()..].lines().collect();
    assert!(
        new.contains(&format!("v4 localhost {port}").as_str()),
        "{new:?}"
    );
    assert!(
        new.contains(&format!("v5 localhost {port}").as_str()),
        "{new:?}"
    );
    assert!(
        new.contains(&format!("v5 127.0.0.1 {port}").as_str()),
        "{new:?}"
    );
    // SOCKS4 cannot carry a name.
    let opts4 = via(ProxyKind::Socks4, "FERROMQ_PROXY_SOCKS_PORT", false);
    let r = connect(
        &Target::parse("*localhost", port).unwrap(),
        &opts4,
        &NoObserver,
    )
    .await;
    assert_err(r, code::INVALID_ARGUMENT, &["SOCKS4 cannot do", "SOCKS4A"]);
}

#[tokio::test]
async fn http_proxy_refusals() {
    let env = env();
    let port = env.port("FERROMQ_PLAIN_PORT");
    let t = local(port);
    // No credentials: 407.
    let opts = via(ProxyKind::Http, "FERROMQ_PROXY_HTTP_AUTH_PORT", false);
    let r = connect(&t, &opts, &NoObserver).await;
    assert_err(
        r,
        code::FIREWALL,
        &["HTTP proxy 127.0.0.1:", "407", "set FirewallUser"],
    );
    // Wrong password: tinyproxy answers 401.
    let mut opts = via(ProxyKind::Http, "FERROMQ_PROXY_HTTP_AUTH_PORT", true);
    opts.proxy.as_mut().unwrap().password = "wrong".into();
    let r = connect(&t, &opts, &NoObserver).await;
    assert_err(
        r,
        code::FIREWALL,
        &["401", "did not accept the user name and password"],
    );
    // The target refuses: tinyproxy answers 500.
    let opts = via(ProxyKind::Http, "FERROMQ_PROXY_HTTP_PORT", false);
    let r = connect(&local(env.port("FERROMQ_CLOSED_PORT")), &opts, &NoObserver).await;
    assert_err(r, code::FIREWALL, &["refused CONNECT 127.0.0.1:", "500"]);
}

#[tokio::test]
async fn socks_refusals() {
    let env = env();
    let closed = local(env.port("FERROMQ_CLOSED_PORT"));
    let plain = local(env.port("FERROMQ_PLAIN_PORT"));
    let r = connect(
        &closed,
        &via(ProxyKind::Socks4, "FERROMQ_PROXY_SOCKS_PORT", false),
        &NoObserver,
    )
    .await;
    assert_err(r, code::FIREWALL, &["SOCKS4 proxy 127.0.0.1:", "reply 91"]);
    let r = connect(
        &closed,
        &via(ProxyKind::Socks5, "FERROMQ_PROXY_SOCKS_PORT", false),
        &NoObserver,
    )
    .await;
    assert_err(
        r,
        code::FIREWALL,
        &["SOCKS5 proxy 127.0.0.1:", "could not connect to 127.0.0.1:"],
    );
    // microsocks wants a user name and password.
    let r = connect(
        &plain,
        &via(ProxyKind::Socks5, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", false),
        &NoObserver,
    )
    .await;
    assert_err(r, code::FIREWALL, &["requires authentication"]);
    let mut opts = via(ProxyKind::Socks5, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", true);
    opts.proxy.as_mut().unwrap().password = "wrong".into();
    let r = connect(&plain, &opts, &NoObserver).await;
    let e = r.unwrap_err();
    eprintln!("refused as expected: {e}");
    assert_eq!(e.code, code::FIREWALL, "{e}");
    let r = connect(
        &closed,
        &via(ProxyKind::Socks4a, "FERROMQ_PROXY_SOCKS4A_PORT", false),
        &NoObserver,
    )
    .await;
    assert_err(r, code::FIREWALL, &["SOCKS4A proxy", "reply 91"]);
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_firewall_error() {
    let env = env();
    let mut opts = via(ProxyKind::Socks5, "FERROMQ_CLOSED_PORT", false);
    let r = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver).await;
    assert_err(
        r,
        code::FIREWALL,
        &["cannot reach the SOCKS5 proxy 127.0.0.1:", "error 10061"],
    );
    opts.proxy.as_mut().unwrap().host = String::new();
    let r = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver).await;
    assert_err(r, code::FIREWALL, &["FirewallHost) is empty"]);
}

#[tokio::test]
async fn exceptions_bypass_the_proxy() {
    let env = env();
    // A proxy that would fail, and the target on its exceptions list.
    let mut opts = via(ProxyKind::Http, "FERROMQ_CLOSED_PORT", false);
    opts.proxy.as_mut().unwrap().exceptions = "broker.example; 127.0.0.1".into();
    let rec = Recorder::new();
    let conn = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &rec)
        .await
        .unwrap();
    assert!(!conn.proxied);
    assert_eq!(rec.milestones(), vec![milestone::REMOTE.to_string()]);
    prove(conn, Protocol::V311, "exception").await;
}

#[tokio::test]
async fn firewall_data_adds_headers_to_connect() {
    let env = env();
    let mut opts = via(ProxyKind::Http, "FERROMQ_PROXY_HTTP_PORT", false);
    opts.proxy.as_mut().unwrap().extra_headers = "X-Ferromq: yes\r\nX-Other: 2".into();
    let conn = connect(&local(env.port("FERROMQ_PLAIN_PORT")), &opts, &NoObserver)
        .await
        .unwrap();
    prove(conn, Protocol::V311, "firewalldata").await;
}
