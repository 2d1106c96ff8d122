//! The Certificate type's fields (`CertificateInfo`), checked against what the openssl CLI
//! says about the harness's certificates, and against what a real server presents.

use crate::transport_util;

use ferromq::codec::Protocol;
use ferromq::transport::certs::parse_certificates;
use ferromq::transport::{CertStore, CertificateInfo, ClientCert, TlsOptions, TransportOptions};
use std::process::Command;
use transport_util::*;

fn openssl(file: &str, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-in", file, "-noout"])
        .args(args)
        .output()
        .expect("the openssl CLI runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn info_of(file: &str) -> CertificateInfo {
    let pem = std::fs::read(file).unwrap();
    let der = parse_certificates(&pem).unwrap().swap_remove(0);
    CertificateInfo::from_der(&der).unwrap()
}

/// "notBefore=Nov  5 08:16:42 2026 GMT" as the reference writes it: "05-Nov-2026 08:16:42".
fn reference_date(openssl_line: &str) -> String {
    let v = openssl_line.split_once('=').unwrap().1;
    let parts: Vec<&str> = v.split_whitespace().collect();
    format!("{:0>2}-{}-{} {}", parts[1], parts[0], parts[3], parts[2])
}

fn check_against_openssl(file: &str, info: &CertificateInfo) {
    let fp = |alg: &str| {
        openssl(file, &["-fingerprint", alg])
            .split_once('=')
            .unwrap()
            .1
            .to_string()
    };
    assert_eq!(info.fingerprint.to_uppercase(), fp("-md5"));
    assert_eq!(info.fingerprint_sha1.to_uppercase(), fp("-sha1"));
    assert_eq!(info.fingerprint_sha256.to_uppercase(), fp("-sha256"));
    assert_eq!(info.thumbprint_sha256, fp("-sha256").replace(':', ""));
    assert_eq!(info.thumbprint_sha1, fp("-sha1").replace(':', ""));
    assert_eq!(info.thumbprint_md5, fp("-md5").replace(':', ""));
    assert_eq!(
        info.serial_number,
        openssl(file, &["-serial"]).trim_start_matches("serial=")
    );
    let subject = openssl(file, &["-subject", "-nameopt", "RFC2253"]);
    assert_eq!(
        info.subject.replace(", ", ","),
        subject.trim_start_matches("subject=")
    );
    let issuer = openssl(file, &["-issuer", "-nameopt", "RFC2253"]);
    assert_eq!(
        info.issuer.replace(", ", ","),
        issuer.trim_start_matches("issuer=")
    );
    assert_eq!(
        info.effective_date,
        reference_date(&openssl(file, &["-startdate"]))
    );
    assert_eq!(
        info.expiration_date,
        reference_date(&openssl(file, &["-enddate"]))
    );
    // The public key is the SubjectPublicKeyInfo, as in openssl's PUBLIC KEY PEM.
    let pubkey: String = openssl(file, &["-pubkey"])
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_eq!(info.public_key, pubkey);
    // Encoded is the certificate's base64, EncodedB its DER.
    let body: String = std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("-----END"))
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert_eq!(info.encoded, body);
    assert_eq!(CertificateInfo::from_der(&info.encoded_b).unwrap(), *info);
    assert_eq!(info_of_pem(&info.to_pem()), *info);
    assert_eq!(info.version, "V3");
    assert!(!info.private_key_available);
}

fn info_of_pem(pem: &str) -> CertificateInfo {
    let der = parse_certificates(pem.as_bytes()).unwrap().swap_remove(0);
    CertificateInfo::from_der(&der).unwrap()
}

#[test]
fn server_certificate_fields() {
    let env = env();
    let file = env.path("FERROMQ_SERVER_CERT");
    let info = info_of(&file);
    check_against_openssl(&file, &info);
    assert_eq!(info.subject, "CN=localhost, O=ferromq tests");
    assert_eq!(info.issuer, "CN=ferromq test CA, O=ferromq tests");
    assert_eq!(info.public_key_algorithm, "RSA");
    assert_eq!(info.public_key_length, 2048);
    assert_eq!(info.signature_algorithm, "ecdsa-with-SHA256");
    assert_eq!(info.usage, "Digital Signature, Key Encipherment");
    assert_eq!(info.usage_flags, 0x80 | 0x20);
    assert_eq!(info.extended_key_usage, "1.3.6.1.5.5.7.3.1");
    assert_eq!(info.subject_alt_names, "localhost, 127.0.0.1, ::1");
    assert!(info.not_after > info.not_before);
}

#[test]
fn client_and_ca_certificate_fields() {
    let env = env();
    let file = env.path("FERROMQ_CLIENT_CERT");
    let info = info_of(&file);
    check_against_openssl(&file, &info);
    assert_eq!(info.public_key_algorithm, "ECDSA");
    assert_eq!(info.public_key_length, 256);
    assert_eq!(info.usage, "Digital Signature");
    assert_eq!(info.usage_flags, 0x80);
    assert_eq!(info.extended_key_usage, "1.3.6.1.5.5.7.3.2");
    assert_eq!(info.subject_alt_names, "");

    let ca = env.path("FERROMQ_CA_CERT");
    let info = info_of(&ca);
    check_against_openssl(&ca, &info);
    assert_eq!(info.subject, info.issuer);
    assert_eq!(info.usage, "Certificate Signing, CRL Signing");
    assert_eq!(info.usage_flags, 0x04 | 0x02);
    assert_eq!(info.extended_key_usage, "");
}

#[test]
fn expired_certificate_dates() {
    let env = env();
    let info = info_of(&format!("{}/expired.crt", env.path("FERROMQ_CERTS_DIR")));
    assert_eq!(info.effective_date, "01-Jan-2020 00:00:00");
    assert_eq!(info.expiration_date, "01-Feb-2020 00:00:00");
    assert_eq!(info.not_before, 1_577_836_800);
    assert_eq!(info.not_after, 1_580_515_200);
}

#[test]
fn client_certificate_from_pkcs12_has_its_fields_and_key() {
    let env = env();
    let pw = env.var("FERROMQ_CLIENT_P12_PASSWORD");
    let id = ClientCert::new(
        CertStore::Pkcs12File(env.path("FERROMQ_CLIENT_P12").into()),
        &pw,
    )
    .load()
    .unwrap();
    let from_file = info_of(&env.path("FERROMQ_CLIENT_CERT"));
    assert!(id.info.private_key_available);
    assert_eq!(id.info.thumbprint_sha256, from_file.thumbprint_sha256);
    assert_eq!(id.info.subject, from_file.subject);
    // The chain carries the CA stored with it.
    assert_eq!(id.chain.len(), 2);
}

#[test]
fn certificates_in_every_text_form() {
    let env = env();
    let pem = env.read("FERROMQ_SERVER_CERT");
    let der = parse_certificates(&pem).unwrap().swap_remove(0);
    let info = CertificateInfo::from_der(&der).unwrap();
    for form in [pem.clone(), der.to_vec(), info.encoded.clone().into_bytes()] {
        assert_eq!(parse_certificates(&form).unwrap()[0], der);
    }
    let two = [pem, env.read("FERROMQ_CA_CERT")].concat();
    assert_eq!(parse_certificates(&two).unwrap().len(), 2);
    assert!(info.matches("localhost"));
    assert!(info.matches("cn=LOCALHOST, o=ferromq tests"));
    assert!(info.matches(&format!("Thumbprint={}", info.fingerprint)));
    assert!(!info.matches("CN=other"));
}

#[tokio::test]
async fn the_server_presents_the_certificate_we_read() {
    let env = env();
    let opts = TransportOptions {
        tls: TlsOptions {
            enabled: true,
            ca_pem: env.text("FERROMQ_CA_CERT"),
            ..TlsOptions::default()
        },
        ..TransportOptions::default()
    };
    let rec = Recorder::new();
    let conn = connect(&local(env.port("FERROMQ_TLS_PORT")), &opts, &rec)
        .await
        .unwrap();
    let from_file = info_of(&env.path("FERROMQ_SERVER_CERT"));
    assert_eq!(
        *conn.tls.as_ref().unwrap().server_cert().unwrap(),
        from_file
    );
    assert_eq!(*rec.auth().cert(), from_file);
    prove(conn, Protocol::V311, "servercert").await;
}

/// Damaged certificates and stores are errors, never panics: every truncation and many
/// byte flips of real files.
#[test]
fn damaged_input_is_an_error_not_a_panic() {
    let env = env();
    let der = parse_certificates(&env.read("FERROMQ_SERVER_CERT"))
        .unwrap()
        .swap_remove(0)
        .to_vec();
    let p12 = env.read("FERROMQ_CLIENT_P12");
    let pem = env.read("FERROMQ_CLIENT_PEM");
    let pw = env.var("FERROMQ_CLIENT_P12_PASSWORD");
    let mut rng = fastrand::Rng::with_seed(5);
    let mut variants: Vec<(usize, Vec<u8>)> = Vec::new();
    for (which, data) in [(0, &der), (1, &p12), (2, &pem)] {
        for cut in (0..data.len()).step_by(7) {
            variants.push((which, data[..cut].to_vec()));
        }
        for _ in 0..300 {
            let mut d = data.clone();
            for _ in 0..rng.usize(1..4) {
                let i = rng.usize(..d.len());
                d[i] = rng.u8(..);
            }
            variants.push((which, d));
        }
    }
    for (which, data) in variants {
        let r = std::panic::catch_unwind(|| match which {
            0 => {
                let _ = CertificateInfo::from_der(&data);
                let _ = parse_certificates(&data);
            }
            1 => {
                let _ = ClientCert::new(CertStore::Pkcs12Blob(data.clone()), &pw).load();
            }
            _ => {
                let _ = ClientCert::new(CertStore::PemBlob(data.clone()), "").load();
            }
        });
        assert!(r.is_ok(), "input {which} of {} bytes panicked", data.len());
    }
}
