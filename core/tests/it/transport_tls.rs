//! TLS against real mosquitto TLS listeners (tests/harness/transports): verification, the
//! refusals with their codes and messages, the application's overrides, client certificates,
//! protocol and cipher suite choice, and the key log. Each success is proven with MQTT
//! packets over the stream.

use crate::transport_util;

use ferromq::code;
use ferromq::codec::Protocol;
use ferromq::transport::{
    milestone, protocols, CertStore, ClientCert, NoObserver, TlsOptions, TransportOptions,
};
use transport_util::*;

fn tls_opts(ca_pem: &str) -> TransportOptions {
    TransportOptions {
        tls: TlsOptions {
            enabled: true,
            ca_pem: ca_pem.to_string(),
            ..TlsOptions::default()
        },
        ..TransportOptions::default()
    }
}

fn trusted() -> TransportOptions {
    tls_opts(&env().text("FERROMQ_CA_CERT"))
}

#[tokio::test]
async fn verified_tls_carries_mqtt_311_and_5() {
    let env = env();
    for (protocol, name) in [(Protocol::V311, "tls311"), (Protocol::V5, "tls5")] {
        let rec = Recorder::new();
        let conn = connect(&local(env.port("FERROMQ_TLS_PORT")), &trusted(), &rec)
            .await
            .unwrap();
        let info = conn.tls.clone().expect("TLS info");
        assert_eq!(info.version, "TLS1.3");
        assert_eq!(info.verify_status, "OK");
        assert!(info.cipher_suite.starts_with("TLS_"), "{info:?}");
        assert!(matches!(info.cipher_strength, 128 | 256), "{info:?}");
        assert_eq!(info.key_exchange, "ECDHE");
        assert!(info.key_exchange_strength > 0, "{info:?}");
        let cert = info.server_cert().unwrap();
        assert_eq!(cert.subject, "CN=localhost, O=ferromq tests");
        assert_eq!(cert.issuer, "CN=ferromq test CA, O=ferromq tests");
        // Only the leaf, unless SSLIncludeCertChain.
        let auth = rec.auth();
        assert_eq!(auth.status, "OK");
        assert!(auth.accept);
        assert_eq!(auth.chain.len(), 1);
        assert_eq!(auth.cert().subject, cert.subject);
        assert_eq!(
            rec.milestones(),
            vec![milestone::TLS.to_string(), milestone::REMOTE.to_string()]
        );
        let ssl = rec.ssl_text();
        assert!(ssl.contains("TLS handshake with 127.0.0.1:"), "{ssl}");
        assert!(ssl.contains("negotiated TLS1.3"), "{ssl}");
        prove(conn, protocol, name).await;
    }
}

#[tokio::test]
async fn dns_and_ip_names_are_checked() {
    let env = env();
    let port = env.port("FERROMQ_TLS_PORT");
    // The certificate names localhost (DNS) and 127.0.0.1 (IP).
    for h in ["localhost", "127.0.0.1"] {
        let conn = connect(&host(h, port), &trusted(), &NoObserver)
            .await
            .unwrap();
        prove(conn, Protocol::V311, "names").await;
    }
    // A name the certificate does not carry, pointed at the right server.
    let mut opts = trusted();
    opts.tls.server_name = Some("broker.example.invalid".into());
    let r = connect(&local(port), &opts, &NoObserver).await;
    assert_err(
        r,
        code::TLS_CERT_VERIFY,
        &[
            "not valid for the host name \"broker.example.invalid\"",
            "localhost, 127.0.0.1, ::1",
        ],
    );
}

#[tokio::test]
async fn ca_from_a_file_and_the_whole_chain() {
    let env = env();
    let mut opts = tls_opts("");
    opts.tls.ca_files = vec![env.path("FERROMQ_CA_CERT").into()];
    opts.tls.include_chain = true;
    let rec = Recorder::new();
    let conn = connect(&local(env.port("FERROMQ_TLS_PORT")), &opts, &rec)
        .await
        .unwrap();
    // This listener sends its certificate and the CA's.
    let auth = rec.auth();
    assert_eq!(auth.chain.len(), 2);
    assert_eq!(auth.chain[1].subject, "CN=ferromq test CA, O=ferromq tests");
    assert_eq!(conn.tls.as_ref().unwrap().server_chain.len(), 2);
    prove(conn, Protocol::V5, "cafile").await;
}

#[tokio::test]
async fn untrusted_ca_is_refused() {
    let env = env();
    let rec = Recorder::answering(true);
    let r = connect(
        &local(env.port("FERROMQ_TLS_UNTRUSTED_PORT")),
        &trusted(),
        &rec,
    )
    .await;
    assert_err(
        r,
        code::TLS_CERT_VERIFY,
        &[
            "was refused",
            "not signed by a trusted certificate authority",
        ],
    );
    // The application saw the certificate and why; its "accept" could not change the outcome.
    let auth = rec.auth();
    assert!(!auth.accept);
    assert!(
        auth.status.contains("not signed by a trusted"),
        "{}",
        auth.status
    );
    assert_eq!(
        auth.cert().issuer,
        "CN=ferromq untrusted CA, O=ferromq tests"
    );
    assert!(rec.milestones().is_empty());
}

#[tokio::test]
async fn system_roots_alone_do_not_trust_the_test_ca() {
    let env = env();
    let r = connect(
        &local(env.port("FERROMQ_TLS_PORT")),
        &tls_opts(""),
        &NoObserver,
    )
    .await;
    assert_err(
        r,
        code::TLS_CERT_VERIFY,
        &["not signed by a trusted certificate authority"],
    );
    let mut opts = tls_opts("");
    opts.tls.use_system_roots = false;
    let r = connect(&local(env.port("FERROMQ_TLS_PORT")), &opts, &NoObserver).await;
    assert_err(r, code::TLS_CERT_VERIFY, &["no trusted root certificates"]);
}

#[tokio::test]
async fn wrong_host_name_is_refused() {
    let env = env();
    let port = env.port("FERROMQ_TLS_WRONG_HOST_PORT");
    let r = connect(&local(port), &trusted(), &NoObserver).await;
    assert_err(
        r,
        code::TLS_CERT_VERIFY,
        &[
            "not valid for the host name \"127.0.0.1\"",
            "it is for wrong.example.invalid",
        ],
    );
    // Asking for the name it has works...
    let mut opts = trusted();
    opts.tls.server_name = Some("wrong.example.invalid".into());
    let conn = connect(&local(port), &opts, &NoObserver).await.unwrap();
    prove(conn, Protocol::V311, "servername").await;
    // ...and so does turning the host name check off; the status still says what was wrong.
    let mut opts = trusted();
    opts.tls.verify_host_name = false;
    let rec = Recorder::new();
    let conn = connect(&local(port), &opts, &rec).await.unwrap();
    let auth = rec.auth();
    assert!(auth.accept);
    assert!(
        auth.status.contains("not valid for the host name"),
        "{}",
        auth.status
    );
    prove(conn, Protocol::V5, "nohostcheck").await;
}

#[tokio::test]
async fn expired_certificate_is_refused() {
    let env = env();
    let r = connect(
        &local(env.port("FERROMQ_TLS_EXPIRED_PORT")),
        &trusted(),
        &NoObserver,
    )
    .await;
    assert_err(
        r,
        code::TLS_CERT_VERIFY,
        &["expired on 01-Feb-2020 00:00:00"],
    );
    // The host name check being off does not excuse an expired certificate.
    let mut opts = trusted();
    opts.tls.verify_host_name = false;
    let r = connect(
        &local(env.port("FERROMQ_TLS_EXPIRED_PORT")),
        &opts,
        &NoObserver,
    )
    .await;
    assert_err(r, code::TLS_CERT_VERIFY, &["expired"]);
}

#[tokio::test]
async fn accept_any_lets_the_application_decide() {
    let env = env();
    let port = env.port("FERROMQ_TLS_UNTRUSTED_PORT");
    let mut opts = trusted();
    opts.tls.accept_any = true;
    let rec = Recorder::new();
    let conn = connect(&local(port), &opts, &rec).await.unwrap();
    let auth = rec.auth();
    assert!(
        auth.accept,
        "SSLAcceptAnyServerCert starts the decision at accept"
    );
    assert!(
        auth.status.contains("not signed by a trusted"),
        "{}",
        auth.status
    );
    assert_eq!(conn.tls.as_ref().unwrap().verify_status, auth.status);
    prove(conn, Protocol::V311, "acceptany").await;
    // The application says no.
    let rec = Recorder::answering(false);
    let r = connect(&local(port), &opts, &rec).await;
    assert_err(
        r,
        code::TLS_CERT_VERIFY,
        &["refused by the application", "not signed by a trusted"],
    );
    assert!(rec.milestones().is_empty());
}

#[tokio::test]
async fn the_application_can_refuse_a_good_certificate() {
    let env = env();
    let rec = Recorder::answering(false);
    let r = connect(&local(env.port("FERROMQ_TLS_PORT")), &trusted(), &rec).await;
    assert_err(
        r,
        code::TLS_CERT_VERIFY,
        &["refused by the application", "status: OK"],
    );
}

#[tokio::test]
async fn accept_exactly_this_certificate() {
    let env = env();
    let port = env.port("FERROMQ_TLS_UNTRUSTED_PORT");
    let untrusted_leaf =
        std::fs::read(format!("{}/untrusted.crt", env.path("FERROMQ_CERTS_DIR"))).unwrap();
    let mut opts = tls_opts("");
    opts.tls.accept_cert = Some(untrusted_leaf);
    let rec = Recorder::new();
    let conn = connect(&local(port), &opts, &rec).await.unwrap();
    assert!(rec.auth().accept);
    prove(conn, Protocol::V5, "pinned").await;
    // Another certificate is not that one.
    opts.tls.accept_cert = Some(env.read("FERROMQ_SERVER_CERT"));
    let r = connect(&local(port), &opts, &NoObserver).await;
    assert_err(r, code::TLS_CERT_VERIFY, &["not signed by a trusted"]);
}

#[tokio::test]
async fn tls_to_a_plain_port_fails_in_the_handshake() {
    let env = env();
    let port = env.port("FERROMQ_PLAIN_PORT");
    let r = connect(&local(port), &trusted(), &NoObserver).await;
    assert_err(
        r,
        code::TLS_HANDSHAKE,
        &["during the TLS handshake", "is it a TLS port?"],
    );
}

#[tokio::test]
async fn plain_mqtt_to_a_tls_port_is_refused() {
    let env = env();
    let conn = connect(
        &local(env.port("FERROMQ_TLS_PORT")),
        &TransportOptions::default(),
        &NoObserver,
    )
    .await
    .unwrap();
    let mut m = Mqtt::new(conn.stream, Protocol::V311);
    let r = m.connect("ferromq-plain-to-tls").await;
    // mosquitto resets the connection when the first bytes are not TLS.
    let e = assert_err(
        r,
        10054,
        &["reset the connection before answering", "enable SSL"],
    );
    assert!(
        e.message
            .contains(&format!("127.0.0.1:{}", env.port("FERROMQ_TLS_PORT"))),
        "{e}"
    );
}

fn client_cert_opts(cert: ClientCert, protocols_mask: u32) -> TransportOptions {
    let mut o = trusted();
    o.tls.client_cert = Some(cert);
    o.tls.enabled_protocols = protocols_mask;
    o
}

#[tokio::test]
async fn client_certificates_from_every_store() {
    let env = env();
    let port = env.port("FERROMQ_TLS_CLIENT_CERT_PORT");
    let pw = env.var("FERROMQ_CLIENT_P12_PASSWORD");
    let p12 = env.read("FERROMQ_CLIENT_P12");
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .encode(&p12)
            .into_bytes()
    };
    let key_only = env.read("FERROMQ_CLIENT_KEY");
    let mut stores = vec![
        (
            "pem file",
            ClientCert::new(
                CertStore::PemFile(env.path("FERROMQ_CLIENT_PEM").into()),
                "",
            ),
        ),
        (
            "pem blob",
            ClientCert::new(CertStore::PemBlob(env.read("FERROMQ_CLIENT_PEM")), ""),
        ),
        (
            "p12 file",
            ClientCert::new(
                CertStore::Pkcs12File(env.path("FERROMQ_CLIENT_P12").into()),
                &pw,
            ),
        ),
        (
            "p12 blob",
            ClientCert::new(CertStore::Pkcs12Blob(p12.clone()), &pw),
        ),
        (
            "p12 base64",
            ClientCert::new(CertStore::Pkcs12Blob(b64), &pw),
        ),
        (
            "by store type 99",
            ClientCert::from_store_type(99, env.path("FERROMQ_CLIENT_P12").as_bytes(), &pw, "*")
                .unwrap(),
        ),
    ];
    let mut key_and_cert = ClientCert::new(CertStore::PemBlob(key_only), "");
    key_and_cert.encoded = env.read("FERROMQ_CLIENT_CERT");
    stores.push(("pem key + Encoded", key_and_cert));
    let mut by_subject = ClientCert::new(
        CertStore::Pkcs12File(env.path("FERROMQ_CLIENT_P12").into()),
        &pw,
    );
    by_subject.subject = "CN=ferromq-client".into();
    stores.push(("p12 by subject", by_subject));
    let legacy = env.path("FERROMQ_CLIENT_P12_LEGACY");
    if !legacy.is_empty() {
        stores.push((
            "legacy p12",
            ClientCert::new(CertStore::Pkcs12File(legacy.into()), &pw),
        ));
    }
    for (name, cert) in stores {
        for mask in [protocols::TLS1_2, protocols::TLS1_3] {
            let conn = connect(
                &local(port),
                &client_cert_opts(cert.clone(), mask),
                &NoObserver,
            )
            .await
            .unwrap_or_else(|e| panic!("{name}, protocols {mask:#x}: {e}"));
            let info = conn.tls.clone().unwrap();
            let c = info.client_cert.expect("client certificate info");
            assert_eq!(c.subject, "CN=ferromq-client, O=ferromq tests", "{name}");
            assert!(c.private_key_available);
            prove(conn, Protocol::V311, "clientcert").await;
        }
    }
}

#[tokio::test]
async fn client_certificate_selection_by_thumbprint() {
    let env = env();
    let pw = env.var("FERROMQ_CLIENT_P12_PASSWORD");
    let info = ferromq::transport::CertificateInfo::from_der(
        &ferromq::transport::certs::parse_certificates(&env.read("FERROMQ_CLIENT_CERT")).unwrap()
            [0],
    )
    .unwrap();
    let mut c = ClientCert::new(
        CertStore::Pkcs12File(env.path("FERROMQ_CLIENT_P12").into()),
        &pw,
    );
    c.subject = format!("Thumbprint={}", info.fingerprint_sha1);
    let id = c.load().unwrap();
    assert_eq!(id.info.thumbprint_sha1, info.thumbprint_sha1);
    c.subject = "CN=nobody".into();
    assert_err(
        c.load(),
        code::TLS_CERT_NOT_FOUND,
        &["no certificate", "CN=nobody", "CN=ferromq-client"],
    );
}

#[tokio::test]
async fn bad_client_stores_are_refused_before_connecting() {
    let env = env();
    let port = env.port("FERROMQ_TLS_CLIENT_CERT_PORT");
    let cases = [
        (
            ClientCert::new(
                CertStore::Pkcs12File(env.path("FERROMQ_CLIENT_P12").into()),
                "wrong",
            ),
            code::TLS_STORE,
            "the password is wrong",
        ),
        (
            ClientCert::new(
                CertStore::Pkcs12File("/nonexistent/ferromq.p12".into()),
                "x",
            ),
            code::TLS_STORE,
            "/nonexistent/ferromq.p12",
        ),
        (
            ClientCert::new(CertStore::PemBlob(env.read("FERROMQ_CLIENT_KEY")), ""),
            code::TLS_CERT_NOT_FOUND,
            "no certificate",
        ),
        (
            ClientCert::new(CertStore::PemBlob(env.read("FERROMQ_CLIENT_CERT")), ""),
            code::TLS_CREDENTIALS,
            "has no private key",
        ),
    ];
    for (cert, code, text) in cases {
        let r = connect(
            &local(port),
            &client_cert_opts(cert, protocols::DEFAULT),
            &NoObserver,
        )
        .await;
        assert_err(r, code, &[text]);
    }
}

#[tokio::test]
async fn missing_client_certificate_tls12_fails_in_the_handshake() {
    let env = env();
    let mut opts = trusted();
    opts.tls.enabled_protocols = protocols::TLS1_2;
    let r = connect(
        &local(env.port("FERROMQ_TLS_CLIENT_CERT_PORT")),
        &opts,
        &NoObserver,
    )
    .await;
    assert_err(
        r,
        code::TLS_HANDSHAKE,
        &["TLS alert", "requires a client certificate"],
    );
}

#[tokio::test]
async fn missing_client_certificate_tls13_fails_on_the_first_read() {
    let env = env();
    let mut opts = trusted();
    opts.tls.enabled_protocols = protocols::TLS1_3;
    // TLS 1.3 finishes the handshake before the server looks at the client's certificate.
    let conn = connect(
        &local(env.port("FERROMQ_TLS_CLIENT_CERT_PORT")),
        &opts,
        &NoObserver,
    )
    .await
    .unwrap();
    let mut m = Mqtt::new(conn.stream, Protocol::V5);
    let r = m.connect("ferromq-no-client-cert").await;
    assert_err(
        r,
        code::TLS_HANDSHAKE,
        &["certificate_required", "requires a client certificate"],
    );
}

#[tokio::test]
async fn untrusted_client_certificate_is_refused() {
    let env = env();
    let mut pem = env.read("FERROMQ_UNTRUSTED_CLIENT_KEY");
    pem.extend(env.read("FERROMQ_UNTRUSTED_CLIENT_CERT"));
    for mask in [protocols::TLS1_2, protocols::TLS1_3] {
        let opts = client_cert_opts(ClientCert::new(CertStore::PemBlob(pem.clone()), ""), mask);
        let r = async {
            let conn = connect(
                &local(env.port("FERROMQ_TLS_CLIENT_CERT_PORT")),
                &opts,
                &NoObserver,
            )
            .await?;
            Mqtt::new(conn.stream, Protocol::V311)
                .connect("ferromq-untrusted-client")
                .await
        }
        .await;
        assert_err(
            r,
            code::TLS_HANDSHAKE,
            &[
                "TLS alert",
                "did not accept the client certificate \"CN=untrusted-client",
            ],
        );
    }
}

#[tokio::test]
async fn protocol_versions() {
    let env = env();
    let port = env.port("FERROMQ_TLS_PORT");
    for (mask, want) in [
        (protocols::TLS1_2, "TLS1.2"),
        (protocols::TLS1_3, "TLS1.3"),
        (protocols::DEFAULT, "TLS1.3"),
        // The reference's default names TLS 1.0 to 1.2; only 1.2 of them is used.
        (4032, "TLS1.2"),
    ] {
        let mut opts = trusted();
        opts.tls.enabled_protocols = mask;
        let conn = connect(&local(port), &opts, &NoObserver).await.unwrap();
        assert_eq!(conn.tls.as_ref().unwrap().version, want, "mask {mask:#x}");
        prove(conn, Protocol::V311, "versions").await;
    }
    for mask in [protocols::SSL3, protocols::TLS1 | protocols::TLS1_1, 0] {
        let mut opts = trusted();
        opts.tls.enabled_protocols = mask;
        let r = connect(&local(port), &opts, &NoObserver).await;
        assert_err(
            r,
            code::INVALID_ARGUMENT,
            &["SSLEnabledProtocols", "only TLS 1.2"],
        );
    }
}

#[tokio::test]
async fn cipher_suites() {
    let env = env();
    let port = env.port("FERROMQ_TLS_PORT");
    for (mask, suite) in [
        (protocols::TLS1_3, "TLS_AES_256_GCM_SHA384"),
        (protocols::TLS1_3, "TLS_CHACHA20_POLY1305_SHA256"),
        (protocols::TLS1_3, "TLS13_AES_128_GCM_SHA256"),
        (protocols::TLS1_2, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        (
            protocols::TLS1_2,
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
    ] {
        let mut opts = trusted();
        opts.tls.enabled_protocols = mask;
        opts.tls.cipher_suites = suite.into();
        let conn = connect(&local(port), &opts, &NoObserver).await.unwrap();
        let info = conn.tls.clone().unwrap();
        assert_eq!(info.cipher_suite, suite.replace("TLS13_", "TLS_"));
        let bits = if suite.contains("128") { 128 } else { 256 };
        assert_eq!(info.cipher_strength, bits, "{info:?}");
        prove(conn, Protocol::V5, "suites").await;
    }
    let mut opts = trusted();
    opts.tls.cipher_suites = "TLS_RSA_WITH_RC4_128_MD5".into();
    let r = connect(&local(port), &opts, &NoObserver).await;
    assert_err(
        r,
        code::INVALID_ARGUMENT,
        &["TLS_RSA_WITH_RC4_128_MD5", "does not offer"],
    );
}

#[tokio::test]
async fn key_log_file_gets_the_secrets() {
    let env = env();
    let path = format!("{}/keylog-{}.txt", env.dir(), fastrand::u64(..));
    for (mask, label) in [
        (protocols::TLS1_3, "CLIENT_HANDSHAKE_TRAFFIC_SECRET "),
        (protocols::TLS1_2, "CLIENT_RANDOM "),
    ] {
        let mut opts = trusted();
        opts.tls.key_log_file = Some(path.clone().into());
        opts.tls.enabled_protocols = mask;
        let conn = connect(&local(env.port("FERROMQ_TLS_PORT")), &opts, &NoObserver)
            .await
            .unwrap();
        prove(conn, Protocol::V311, "keylog").await;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines()
                .any(|l| l.starts_with(label) && l.split(' ').count() == 3),
            "{text}"
        );
    }
    // Appended, never overwritten: both sessions are there.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET") && text.contains("CLIENT_RANDOM"));
    let mut opts = trusted();
    opts.tls.key_log_file = Some("/nonexistent-dir/keys.txt".into());
    let r = connect(&local(env.port("FERROMQ_TLS_PORT")), &opts, &NoObserver).await;
    assert_err(
        r,
        code::INVALID_ARGUMENT,
        &["SSLKeyLogFile \"/nonexistent-dir/keys.txt\""],
    );
}

#[tokio::test]
async fn bad_ca_text_is_refused_before_connecting() {
    let r = connect(
        &local(1),
        &tls_opts("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"),
        &NoObserver,
    )
    .await;
    assert_err(r, code::TLS_CHAIN_NOT_FOUND, &["SSLServerCACerts"]);
}
