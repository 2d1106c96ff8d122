//! The transports through the documented class: TLS with its certificates and refusals,
//! WebSockets, proxies and the socket settings, against the real servers of
//! tests/harness/transports (mosquitto TLS listeners, websockify, aedes, tinyproxy, dante,
//! microsocks, a SOCKS4A server). The transport layer's own tests (transport_*.rs) cover
//! the same servers below the class; these prove the class reaches every option.

use crate::common;

use common::{unique, Client};
use ferromq::{code, Certificate, Event, Firewall, Mqtt};
use std::time::{Duration, Instant};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run with tests/harness/with-brokers (it starts tests/harness/transports)")
    })
}

fn port(name: &str) -> i32 {
    env(name).parse().unwrap()
}

fn text(name: &str) -> String {
    std::fs::read_to_string(env(name)).unwrap()
}

/// A client that trusts the harness's test CA.
fn tls_client() -> Client {
    let c = Client::new();
    c.mqtt.set_ssl_enabled(true).unwrap();
    c.mqtt
        .config(&format!("SSLServerCACerts={}", text("FERROMQ_CA_CERT")))
        .unwrap();
    c
}

/// Subscribe, publish at QoS 1 to our own subscription and see it come back.
fn roundtrip(c: &Client, payload: &[u8]) {
    let topic = unique("transport");
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.take();
    c.mqtt.publish_data(&topic, 1, payload.to_vec()).unwrap();
    let got = c.messages_in(1);
    assert_eq!(got.len(), 1, "the message came back");
    assert_eq!(&got[0].message[..], payload);
}

fn refused(c: &Client, host: &str, port: i32, code: i32, words: &[&str]) {
    let e = c.mqtt.connect_to(host, port).unwrap_err();
    assert_eq!(e.code, code, "{e}");
    for w in words {
        assert!(e.message.contains(w), "{w:?} not in: {e}");
    }
    assert!(!c.mqtt.connected());
}

fn statuses(c: &Client) -> Vec<String> {
    c.events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionStatus(s) => Some(s.connection_event.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn scenario_tls_connect() {
    for version in [0, 1] {
        let c = tls_client();
        c.mqtt.set_version(version).unwrap();
        assert!(c.mqtt.ssl_server_cert().is_empty());
        c.mqtt
            .connect_to("localhost", port("FERROMQ_TLS_PORT"))
            .unwrap();
        let events = c.take();
        let auth: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::SslServerAuthentication(a) => Some(a.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(auth.len(), 1, "one SSLServerAuthentication");
        assert_eq!(auth[0].status, "OK");
        assert!(auth[0].accept);
        assert!(auth[0].cert_subject.contains("localhost"), "{:?}", auth[0]);
        assert!(events.iter().any(|e| matches!(e, Event::SslStatus(_))));
        let order: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Event::ConnectionStatus(s) => Some(s.connection_event.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            order,
            ["SSL handshake complete", "Remote host connection complete"]
        );
        let cert = c.mqtt.ssl_server_cert();
        assert_eq!(cert.subject(), auth[0].cert_subject);
        assert_eq!(cert.encoded_b(), &auth[0].cert_encoded_b[..]);
        assert_eq!(cert.fingerprint_sha256().len(), 32 * 3 - 1);
        assert!(cert.subject_alt_names().contains("127.0.0.1"));
        assert_eq!(c.mqtt.config("SSLNegotiatedVersion").unwrap(), "TLS1.3");
        assert!(!c
            .mqtt
            .config("SSLNegotiatedCipherSuite")
            .unwrap()
            .is_empty());
        assert_eq!(c.mqtt.config("SSLNegotiatedKeyExchange").unwrap(), "ECDHE");
        roundtrip(&c, b"over TLS");
        c.mqtt.disconnect().unwrap();
        // An IP address is checked against the certificate's IP names.
        c.mqtt
            .connect_to("127.0.0.1", port("FERROMQ_TLS_PORT"))
            .unwrap();
        c.mqtt.disconnect().unwrap();
    }
}

#[test]
fn scenario_tls_refusals() {
    let c = tls_client();
    for _ in 0..2 {
        // Twice: a second attempt verifies again.
        refused(
            &c,
            "localhost",
            port("FERROMQ_TLS_UNTRUSTED_PORT"),
            code::TLS_CERT_VERIFY,
            &["not signed by a trusted"],
        );
    }
    refused(
        &c,
        "localhost",
        port("FERROMQ_TLS_WRONG_HOST_PORT"),
        code::TLS_CERT_VERIFY,
        &["not valid for the host name"],
    );
    refused(
        &c,
        "localhost",
        port("FERROMQ_TLS_EXPIRED_PORT"),
        code::TLS_CERT_VERIFY,
        &["expired"],
    );
    refused(
        &c,
        "127.0.0.1",
        port("FERROMQ_PLAIN_PORT"),
        code::TLS_HANDSHAKE,
        &[],
    );
    for (mask, what) in [(0x0C00, "TLS 1.2"), (0x3000, "TLS 1.3")] {
        c.mqtt
            .config(&format!("SSLEnabledProtocols={mask}"))
            .unwrap();
        let e = c
            .mqtt
            .connect_to("localhost", port("FERROMQ_TLS_CLIENT_CERT_PORT"))
            .unwrap_err();
        assert_eq!(e.code, code::TLS_HANDSHAKE, "{what}: {e}");
        assert!(
            e.message.contains("requires a client certificate"),
            "{what}: {e}"
        );
    }
    let plain = Client::new();
    refused(
        &plain,
        "127.0.0.1",
        port("FERROMQ_TLS_PORT"),
        10054,
        &["enable SSL"],
    );
}

#[test]
fn scenario_tls_accept_server_cert() {
    // Exactly the untrusted server's certificate, taken from a first refused attempt.
    let c = tls_client();
    refused(
        &c,
        "localhost",
        port("FERROMQ_TLS_UNTRUSTED_PORT"),
        code::TLS_CERT_VERIFY,
        &[],
    );
    let seen: Vec<Vec<u8>> = c
        .take()
        .iter()
        .filter_map(|e| match e {
            Event::SslServerAuthentication(a) => {
                assert!(!a.accept, "a failed certificate is not accepted by default");
                assert!(a.status.contains("not signed by a trusted"), "{}", a.status);
                Some(a.cert_encoded_b.to_vec())
            }
            _ => None,
        })
        .collect();
    assert_eq!(seen.len(), 1);
    let pinned = Certificate::from_encoded(&seen[0]).unwrap();
    c.mqtt.set_ssl_accept_server_cert(pinned.clone()).unwrap();
    c.mqtt
        .connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"))
        .unwrap();
    assert_eq!(c.mqtt.ssl_server_cert().encoded_b(), pinned.encoded_b());
    c.mqtt.disconnect().unwrap();
    // A different pinned certificate does not open the door.
    c.mqtt
        .set_ssl_accept_server_cert(Certificate::from_file(&env("FERROMQ_CA_CERT")).unwrap())
        .unwrap();
    refused(
        &c,
        "localhost",
        port("FERROMQ_TLS_UNTRUSTED_PORT"),
        code::TLS_CERT_VERIFY,
        &[],
    );

    // SSLAcceptAnyServerCert leaves the decision to the handler.
    let m = Mqtt::new();
    m.set_timeout(10).unwrap();
    m.set_ssl_enabled(true).unwrap();
    m.config("SSLAcceptAnyServerCert=True").unwrap();
    let refuse = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let r = refuse.clone();
    m.set_event_handler(Some(std::sync::Arc::new(move |e: &mut Event| {
        if let Event::SslServerAuthentication(a) = e {
            a.accept = !r.load(std::sync::atomic::Ordering::SeqCst);
        }
    })));
    let e = m
        .connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"))
        .unwrap_err();
    assert_eq!(e.code, code::TLS_CERT_VERIFY, "{e}");
    refuse.store(false, std::sync::atomic::Ordering::SeqCst);
    m.connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"))
        .unwrap();
    m.disconnect().unwrap();
}

#[test]
fn scenario_tls_client_cert() {
    let pw = env("FERROMQ_CLIENT_P12_PASSWORD");
    let p12 = std::fs::read(env("FERROMQ_CLIENT_P12")).unwrap();
    let stores = [
        (
            "PKCS#12 file",
            Certificate::from_store(2, env("FERROMQ_CLIENT_P12").as_bytes(), &pw, "*").unwrap(),
        ),
        (
            "PKCS#12 blob",
            Certificate::from_store(3, &p12, &pw, "").unwrap(),
        ),
        (
            "PEM file",
            Certificate::from_store(6, env("FERROMQ_CLIENT_PEM").as_bytes(), "", "").unwrap(),
        ),
        (
            "PEM key blob with its certificate",
            Certificate::from_store_encoded(
                7,
                &std::fs::read(env("FERROMQ_CLIENT_KEY")).unwrap(),
                "",
                &std::fs::read(env("FERROMQ_CLIENT_CERT")).unwrap(),
            )
            .unwrap(),
        ),
    ];
    for (what, cert) in stores {
        assert!(cert.private_key_available(), "{what}");
        assert!(!cert.subject().is_empty(), "{what}");
        assert!(!cert.thumbprint_sha1().is_empty(), "{what}");
        for mask in [0x0C00, 0x3000] {
            let c = tls_client();
            c.mqtt.set_ssl_cert(cert.clone()).unwrap();
            c.mqtt
                .config(&format!("SSLEnabledProtocols={mask}"))
                .unwrap();
            c.mqtt
                .connect_to("localhost", port("FERROMQ_TLS_CLIENT_CERT_PORT"))
                .unwrap_or_else(|e| panic!("{what}, protocols {mask}: {e}"));
            roundtrip(&c, what.as_bytes());
            c.mqtt.disconnect().unwrap();
        }
    }
    // Bad stores are refused where the certificate is named.
    let e = Certificate::from_store(3, &p12, "wrong password", "").unwrap_err();
    assert_eq!(e.code, code::TLS_STORE, "{e}");
    let e = Certificate::from_store(1, b"MY", "", "").unwrap_err();
    assert_eq!(e.code, code::TLS_STORE, "{e}");
    let e = Certificate::from_store(3, &p12, &pw, "CN=nobody-has-this").unwrap_err();
    assert_eq!(e.code, code::TLS_CERT_NOT_FOUND, "{e}");
    // A certificate without its key cannot authenticate.
    let c = Mqtt::new();
    let e = c
        .set_ssl_cert(Certificate::from_file(&env("FERROMQ_CLIENT_CERT")).unwrap())
        .unwrap_err();
    assert_eq!(e.code, code::TLS_CREDENTIALS, "{e}");
}

#[test]
fn scenario_tls_settings_checked() {
    let m = Mqtt::new();
    for (setting, words) in [
        (
            "SSLEnabledProtocols=192",
            &["SSLEnabledProtocols", "192"][..],
        ),
        ("SSLEnabledProtocols=768", &["768"][..]),
        (
            "SSLEnabledCipherSuites=TLS_BOGUS_SUITE",
            &["TLS_BOGUS_SUITE"][..],
        ),
        ("TLS12SupportedGroups=ecdhe_bogus", &["ecdhe_bogus"][..]),
    ] {
        let e = m.config(setting).unwrap_err();
        assert_eq!(e.code, code::INVALID_ARGUMENT, "{setting}: {e}");
        for w in words {
            assert!(e.message.contains(w), "{setting}: {e}");
        }
    }
    let e = m.set_ssl_provider(3).unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    // Accepted, without effect: another TLS stack's settings.
    for s in [
        "OpenSSLCipherList=HIGH:!aNULL",
        "SSLSecurityFlags=128",
        "ReuseSSLSession=True",
        "SSLCipherStrength=256",
    ] {
        m.config(s).unwrap();
    }
    m.set_ssl_provider(1).unwrap();
    assert_eq!(m.ssl_provider(), 1);

    // A chosen suite is negotiated, TLS 1.2 when asked, and the key log is written.
    let keylog = std::env::temp_dir().join(format!("ferromq-keylog-{}", fastrand::u64(..)));
    let c = tls_client();
    c.mqtt
        .config("SSLEnabledCipherSuites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
        .unwrap();
    c.mqtt.config("SSLEnabledProtocols=3072").unwrap();
    c.mqtt
        .config(&format!("SSLKeyLogFile={}", keylog.display()))
        .unwrap();
    c.mqtt
        .connect_to("localhost", port("FERROMQ_TLS_PORT"))
        .unwrap();
    assert_eq!(c.mqtt.config("SSLNegotiatedVersion").unwrap(), "TLS1.2");
    assert_eq!(
        c.mqtt.config("SSLNegotiatedCipherSuite").unwrap(),
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    );
    assert_eq!(c.mqtt.config("SSLNegotiatedCipherStrength").unwrap(), "256");
    c.mqtt.disconnect().unwrap();
    let log = std::fs::read_to_string(&keylog).unwrap();
    assert!(log.contains("CLIENT_RANDOM"), "{log}");
    let _ = std::fs::remove_file(&keylog);
    // The trust file of the OpenSSL settings works as SSLServerCACerts does.
    let c = Client::new();
    c.mqtt.set_ssl_enabled(true).unwrap();
    c.mqtt
        .config(&format!("OpenSSLCAFile={}", env("FERROMQ_CA_CERT")))
        .unwrap();
    c.mqtt
        .connect_to("localhost", port("FERROMQ_TLS_PORT"))
        .unwrap();
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_websocket_connect() {
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    for version in [0, 1] {
        for url in [
            format!("ws://127.0.0.1:{}/mqtt", port("FERROMQ_WS_PORT")),
            format!("wss://localhost:{}/mqtt", port("FERROMQ_WSS_PORT")),
        ] {
            let c = tls_client();
            // wss:// needs no SSLEnabled; ws:// ignores the TLS settings.
            c.mqtt.set_ssl_enabled(false).unwrap();
            c.mqtt.set_version(version).unwrap();
            c.mqtt.set_remote_host(&url).unwrap();
            c.mqtt.connect().unwrap_or_else(|e| panic!("{url}: {e}"));
            assert!(statuses(&c).contains(&"Remote host connection complete".to_string()));
            roundtrip(&c, b"small");
            // Far larger than a frame of websockify's: split across frames.
            roundtrip(&c, &big);
            // A burst: several packets per frame.
            let topic = unique("ws-burst");
            c.mqtt.subscribe(&topic, 0).unwrap();
            c.take();
            for i in 0..200 {
                c.mqtt.publish_message(&topic, 0, &format!("{i}")).unwrap();
            }
            assert_eq!(c.messages_in(200).len(), 200, "{url}");
            c.mqtt.disconnect().unwrap();
        }
    }
    let c = Client::new();
    c.mqtt
        .set_remote_host(&format!("ws://127.0.0.1:{}", port("FERROMQ_AEDES_WS_PORT")))
        .unwrap();
    c.mqtt.connect().unwrap();
    roundtrip(&c, b"aedes");
    c.mqtt.disconnect().unwrap();
    let e = Mqtt::new().connect_to("http://127.0.0.1/", 80).unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT, "{e}");
}

fn with_proxy(c: &Client, fw_type: i32, port_var: &str, auth: bool) {
    let mut fw = Firewall::new();
    fw.firewall_type = fw_type;
    fw.host = "127.0.0.1".into();
    fw.port = port(port_var);
    if auth {
        fw.user = env("FERROMQ_PROXY_USER");
        fw.password = env("FERROMQ_PROXY_PASSWORD");
    }
    c.mqtt.set_firewall(&fw).unwrap();
    assert_eq!(c.mqtt.firewall(), fw);
    assert_eq!(c.mqtt.config("FirewallType").unwrap(), fw_type.to_string());
}

#[test]
fn scenario_proxy_connect() {
    let through = [
        (1, "FERROMQ_PROXY_HTTP_PORT", false),
        (1, "FERROMQ_PROXY_HTTP_AUTH_PORT", true),
        (2, "FERROMQ_PROXY_SOCKS_PORT", false),
        (3, "FERROMQ_PROXY_SOCKS_PORT", false),
        (3, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", true),
        (10, "FERROMQ_PROXY_SOCKS4A_PORT", false),
    ];
    for (fw_type, proxy, auth) in through {
        for (what, host, port_var, tls) in [
            ("plain", "127.0.0.1", "FERROMQ_PLAIN_PORT", false),
            ("TLS", "localhost", "FERROMQ_TLS_PORT", true),
            ("wss", "", "FERROMQ_WSS_PORT", false),
        ] {
            let c = tls_client();
            c.mqtt.set_ssl_enabled(tls).unwrap();
            with_proxy(&c, fw_type, proxy, auth);
            if host.is_empty() {
                c.mqtt
                    .set_remote_host(&format!("wss://localhost:{}/", port(port_var)))
                    .unwrap();
                c.mqtt.connect()
            } else {
                c.mqtt.connect_to(host, port(port_var))
            }
            .unwrap_or_else(|e| panic!("{what} through type {fw_type} at {proxy}: {e}"));
            assert!(
                statuses(&c).contains(&"Firewall connection complete".to_string()),
                "{what} through {proxy}"
            );
            roundtrip(&c, what.as_bytes());
            c.mqtt.disconnect().unwrap();
        }
    }
    // "*" before the host: the SOCKS4A proxy resolves the name.
    let c = Client::new();
    with_proxy(&c, 10, "FERROMQ_PROXY_SOCKS4A_PORT", false);
    c.mqtt
        .connect_to("*localhost", port("FERROMQ_PLAIN_PORT"))
        .unwrap();
    c.mqtt.disconnect().unwrap();
    let log = std::fs::read_to_string(env("FERROMQ_PROXY_SOCKS4A_LOG")).unwrap_or_default();
    assert!(
        log.contains(&format!("v4 localhost {}", port("FERROMQ_PLAIN_PORT"))),
        "{log}"
    );
    // A host on the exceptions list is reached directly, even with a dead proxy.
    let c = Client::new();
    with_proxy(&c, 1, "FERROMQ_CLOSED_PORT", false);
    c.mqtt
        .config("ProxyExceptionsList=example.com;127.0.0.1")
        .unwrap();
    c.mqtt
        .connect_to("127.0.0.1", port("FERROMQ_PLAIN_PORT"))
        .unwrap();
    assert!(!statuses(&c).contains(&"Firewall connection complete".to_string()));
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_proxy_refusals() {
    let plain = port("FERROMQ_PLAIN_PORT");
    let c = Client::new();
    with_proxy(&c, 1, "FERROMQ_PROXY_HTTP_AUTH_PORT", false);
    refused(&c, "127.0.0.1", plain, code::FIREWALL, &["407"]);
    with_proxy(&c, 1, "FERROMQ_PROXY_HTTP_AUTH_PORT", true);
    c.mqtt.config("FirewallPassword=wrong").unwrap();
    refused(&c, "127.0.0.1", plain, code::FIREWALL, &["401"]);
    with_proxy(&c, 3, "FERROMQ_PROXY_SOCKS5_AUTH_PORT", true);
    c.mqtt.config("FirewallPassword=wrong").unwrap();
    refused(&c, "127.0.0.1", plain, code::FIREWALL, &["SOCKS5"]);
    with_proxy(&c, 3, "FERROMQ_CLOSED_PORT", false);
    refused(&c, "127.0.0.1", plain, code::FIREWALL, &["cannot reach"]);
    with_proxy(&c, 2, "FERROMQ_PROXY_SOCKS_PORT", false);
    refused(
        &c,
        "127.0.0.1",
        port("FERROMQ_CLOSED_PORT"),
        code::FIREWALL,
        &["reply 91"],
    );
    let e = c.mqtt.config("FirewallType=4").unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    let mut fw = Firewall::new();
    fw.firewall_type = 1;
    fw.port = 70_000;
    let e = c.mqtt.set_firewall(&fw).unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(e.message.contains("70000"), "{e}");
}

fn free_port() -> i32 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port() as i32
}

#[test]
fn scenario_socket_settings() {
    let plain = port("FERROMQ_PLAIN_PORT");
    // LocalHost/LocalPort: bound as asked, and read back while connected.
    let c = Client::new();
    let local = free_port();
    c.mqtt.set_local_host("127.0.0.1").unwrap();
    c.mqtt.set_local_port(local).unwrap();
    c.mqtt.config("TCPKeepAlive=True").unwrap();
    c.mqtt.config("KeepAliveTime=30000").unwrap();
    c.mqtt.config("KeepAliveInterval=5000").unwrap();
    c.mqtt.config("Linger=False").unwrap();
    c.mqtt.config("InBufferSize=65536").unwrap();
    c.mqtt.config("OutBufferSize=65536").unwrap();
    c.mqtt.config("TcpNoDelay=False").unwrap();
    c.mqtt.connect_to("127.0.0.1", plain).unwrap();
    assert_eq!(c.mqtt.local_port(), local);
    assert_eq!(c.mqtt.config("LocalPort").unwrap(), local.to_string());
    assert_eq!(c.mqtt.local_host(), "127.0.0.1");
    for (setting, code) in [
        ("LocalPort=0", code::LOCAL_PORT_LOCKED),
        ("LocalHost=", code::LOCAL_HOST_LOCKED),
        ("MaxLineLength=4096", code::MAX_LINE_LENGTH_LOCKED),
    ] {
        assert_eq!(c.mqtt.config(setting).unwrap_err().code, code, "{setting}");
    }
    roundtrip(&c, b"socket options");
    c.mqtt.disconnect().unwrap();
    assert_eq!(c.mqtt.local_port(), local, "the setting again once closed");

    // UseIPv6 against the [::1] listener.
    let v6 = port("FERROMQ_V6_PORT");
    let c = Client::new();
    c.mqtt.config("UseIPv6=1").unwrap();
    c.mqtt.connect_to("::1", v6).unwrap();
    assert_eq!(c.mqtt.local_host(), "::1");
    c.mqtt.disconnect().unwrap();
    // IPv6 first, IPv4 after: both listeners are reachable by their address.
    c.mqtt.config("UseIPv6=2").unwrap();
    c.mqtt.connect_to("::1", v6).unwrap();
    c.mqtt.disconnect().unwrap();
    c.mqtt.connect_to("127.0.0.1", plain).unwrap();
    assert_eq!(c.mqtt.local_host(), "127.0.0.1");
    c.mqtt.disconnect().unwrap();
    // This machine's "localhost" has no IPv6 address: IPv6 only says so.
    c.mqtt.config("UseIPv6=1").unwrap();
    let e = c.mqtt.connect_to("127.0.0.1", plain).unwrap_err();
    assert_eq!(e.code, code::HOST_NOT_FOUND, "{e}");
    c.mqtt.config("UseIPv6=0").unwrap();
    let e = c.mqtt.connect_to("::1", v6).unwrap_err();
    assert_eq!(e.code, code::HOST_NOT_FOUND, "{e}");
    assert!(e.message.contains("UseIPv6"), "{e}");
    assert_eq!(
        c.mqtt.config("UseIPv6=3").unwrap_err().code,
        code::INVALID_ARGUMENT
    );

    // MaxTransferRate: 64 KiB at 32 KiB/s cannot take much less than 2 s.
    let c = Client::new();
    c.mqtt.config("MaxTransferRate=32768").unwrap();
    c.mqtt.connect_to("127.0.0.1", plain).unwrap();
    let started = Instant::now();
    roundtrip(&c, &vec![7u8; 64 * 1024]);
    let took = started.elapsed();
    println!("64 KiB at MaxTransferRate 32768 took {took:?}");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    c.mqtt.disconnect().unwrap();

    // ConnectionTimeout bounds a connection that is never answered: a listener that
    // never accepts (the kernel completes the TCP handshake, nobody sends CONNACK).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let c = Client::new();
    c.mqtt.config("ConnectionTimeout=1").unwrap();
    let started = Instant::now();
    let e = c
        .mqtt
        .connect_to("127.0.0.1", silent.local_addr().unwrap().port() as i32)
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(e.code, code::TIMEOUT, "{e}");
    c.mqtt.config("MaxLineLength=4096").unwrap();
    assert_eq!(c.mqtt.config("MaxLineLength").unwrap(), "4096");
}

/// An attempt that gave up waiting for its answer leaves its SSLServerAuthentication event
/// behind; answering that event late must not decide the next attempt's handshake.
#[test]
fn a_late_answer_does_not_decide_a_later_handshake() {
    let m = Mqtt::new();
    m.set_ssl_enabled(true).unwrap();
    m.config("SSLAcceptAnyServerCert=True").unwrap();
    m.config("ConnectionTimeout=2").unwrap();
    m.set_push_answers_server_authentication(true);
    m.set_event_notifier(Some(std::sync::Arc::new(|| {})));
    let tls = port("FERROMQ_TLS_UNTRUSTED_PORT");
    // Nobody answers: the first attempt times out waiting.
    let e = m.connect_to("localhost", tls).unwrap_err();
    assert_eq!(e.code, code::TIMEOUT, "{e}");
    let second = {
        let m = m.clone();
        std::thread::spawn(move || m.connect_to("localhost", tls))
    };
    // Both events queued before either is answered (the handshake reaches its question
    // well within the second attempt's 2 s).
    std::thread::sleep(Duration::from_millis(700));
    let mut answered = 0;
    let deadline = Instant::now() + Duration::from_secs(5);
    while answered < 2 && Instant::now() < deadline {
        for e in m.take_events(100) {
            if let Event::SslServerAuthentication(_) = e {
                // The first attempt's event is refused, the second's accepted.
                m.answer_server_authentication(answered == 1);
                answered += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(answered, 2);
    second.join().unwrap().unwrap();
    m.set_event_notifier(None);
    m.disconnect().unwrap();
}

/// Push mode (the faces' way): events are taken on a thread of the consumer's own, and the
/// handshake waits for its answer only when it said it answers.
#[test]
fn push_mode_answers_server_authentication() {
    for answers in [false, true] {
        let m = Mqtt::new();
        m.set_timeout(10).unwrap();
        m.set_ssl_enabled(true).unwrap();
        m.config("SSLAcceptAnyServerCert=True").unwrap();
        m.set_push_answers_server_authentication(answers);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        m.set_event_notifier(Some(std::sync::Arc::new(move || {
            let _ = tx.send(());
        })));
        let consumer = {
            let m = m.clone();
            std::thread::spawn(move || {
                let mut seen = 0;
                while rx.recv_timeout(Duration::from_secs(3)).is_ok() {
                    for e in m.take_events(100) {
                        if let Event::SslServerAuthentication(a) = e {
                            seen += 1;
                            assert!(a.accept, "allowed by SSLAcceptAnyServerCert");
                            // This consumer refuses every server.
                            m.answer_server_authentication(false);
                        }
                    }
                }
                seen
            })
        };
        let r = m.connect_to("localhost", port("FERROMQ_TLS_UNTRUSTED_PORT"));
        if answers {
            assert_eq!(r.unwrap_err().code, code::TLS_CERT_VERIFY);
        } else {
            r.unwrap();
            m.disconnect().unwrap();
        }
        m.set_event_notifier(None);
        assert_eq!(consumer.join().unwrap(), 1);
    }
}
