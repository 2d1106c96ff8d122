//! TLS with rustls (ring provider): the client configuration from `TlsOptions`, our server
//! certificate verifier, the handshake, and what was negotiated.
//!
//! Verification is on unless the application says otherwise, and it is done by rustls's
//! WebPKI verifier against the system's roots plus the given CAs, with the host name checked
//! against the certificate's DNS and IP names. Our verifier wraps it to (1) record why a
//! certificate failed, for the SSLServerAuthentication status, (2) let through exactly the
//! certificate named in SSLAcceptServerCert, and (3) let through any certificate when
//! SSLAcceptAnyServerCert is set — in which case the observer decides. The signature of the
//! handshake is always checked against the certificate's key, so even an accepted-any server
//! must hold the key of the certificate it shows.

use super::certs::{parse_certificates, CertificateInfo};
use super::options::{protocols, TlsOptions};
use super::{BoxStream, ServerAuthentication, TransportObserver};
use crate::error::{code, Error, Result};
use parking_lot::Mutex;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, ProtocolVersion,
    RootCertStore, SignatureScheme, SupportedCipherSuite,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The reference's "error encrypting data" and "error decrypting data" (error.rs has no
/// names for them yet).
const TLS_ENCRYPT: i32 = 283;
const TLS_DECRYPT: i32 = 284;

/// What the handshake settled, and the server's certificates (the SSLNegotiated* settings
/// and SSLServerCert).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsInfo {
    /// "TLS1.2" or "TLS1.3".
    pub version: String,
    /// IANA name, e.g. "TLS_AES_128_GCM_SHA256" or "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".
    pub cipher_suite: String,
    /// The bulk cipher: "AES" or "CHACHA20" (AEAD modes only).
    pub cipher: String,
    /// Its key length in bits.
    pub cipher_strength: u32,
    /// "ECDHE" (every suite rustls offers is ephemeral elliptic-curve Diffie-Hellman).
    pub key_exchange: String,
    /// The group: "X25519", "secp256r1", "secp384r1".
    pub key_exchange_group: String,
    /// Its size in bits, as OpenSSL counts them (X25519 is 253).
    pub key_exchange_strength: u32,
    /// The server's certificates, leaf first, as it sent them.
    pub server_chain: Vec<CertificateInfo>,
    /// "OK", or why verification failed when the certificate was accepted anyway.
    pub verify_status: String,
    /// Whether a client certificate was configured (and so offered when asked for).
    pub client_cert: Option<CertificateInfo>,
}

impl TlsInfo {
    /// The server's leaf certificate, when the server presented one.
    pub fn server_cert(&self) -> Option<&CertificateInfo> {
        self.server_chain.first()
    }
}

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The system's trust anchors, read once per process (reading /etc/ssl/certs takes a few
/// milliseconds; the store does not change under a running program often enough to matter).
fn system_roots() -> &'static (RootCertStore, String) {
    static ROOTS: OnceLock<(RootCertStore, String)> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        let mut store = RootCertStore::empty();
        let (added, ignored) = store.add_parsable_certificates(found.certs);
        let mut note = format!("{added} system root certificates");
        if ignored > 0 {
            note.push_str(&format!(" ({ignored} unreadable ones ignored)"));
        }
        if !found.errors.is_empty() && added == 0 {
            note = format!(
                "no system root certificates ({})",
                found
                    .errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        (store, note)
    })
}

/// The suites `spec` asks for. `*` (or nothing but CALG_* names, which belong to another TLS
/// stack) means all of them.
pub fn select_cipher_suites(spec: &str) -> Result<Vec<SupportedCipherSuite>> {
    let all = provider().cipher_suites;
    let names: Vec<&str> = spec
        .split([';', ',', ':', '\n'])
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.to_ascii_uppercase().starts_with("CALG_"))
        .collect();
    if names.is_empty() || names.contains(&"*") {
        return Ok(all);
    }
    let mut chosen = Vec::new();
    for name in names {
        let want = normalize_suite(name);
        let found = all.iter().find(|s| {
            s.suite()
                .as_str()
                .is_some_and(|n| normalize_suite(n) == want)
        });
        match found {
            Some(s) if !chosen.contains(s) => chosen.push(*s),
            Some(_) => {}
            None => {
                let known: Vec<String> = all.iter().map(|s| suite_name(*s)).collect();
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    format!(
                        "SSLEnabledCipherSuites names \"{name}\", which this library's TLS does not offer; it offers {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(chosen)
}

/// IANA spelling: rustls writes TLS 1.3 suites as TLS13_*, the registry as TLS_*.
fn normalize_suite(name: &str) -> String {
    let n = name.trim().to_ascii_uppercase().replace('-', "_");
    match n.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => n,
    }
}

fn suite_name(s: SupportedCipherSuite) -> String {
    normalize_suite(s.suite().as_str().unwrap_or("UNKNOWN"))
}

/// The versions the SSLEnabledProtocols bits ask for; SSL2/3, TLS 1.0 and 1.1 are ignored
/// when a supported version is also asked for, and refused when they are all that is left.
pub fn select_versions(mask: u32) -> Result<Vec<&'static rustls::SupportedProtocolVersion>> {
    let mut versions = Vec::new();
    if mask & protocols::TLS1_3 != 0 {
        versions.push(&rustls::version::TLS13);
    }
    if mask & protocols::TLS1_2 != 0 {
        versions.push(&rustls::version::TLS12);
    }
    if versions.is_empty() {
        let mut named = Vec::new();
        for (bit, name) in [
            (protocols::SSL2, "SSL2"),
            (protocols::SSL3, "SSL3"),
            (protocols::TLS1, "TLS1.0"),
            (protocols::TLS1_1, "TLS1.1"),
        ] {
            if mask & bit != 0 {
                named.push(name);
            }
        }
        let asked = if named.is_empty() {
            "no protocol".to_string()
        } else {
            format!("only {}", named.join(", "))
        };
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            format!(
                "SSLEnabledProtocols {mask} (0x{mask:X}) enables {asked}; only TLS 1.2 (3072, 0xC00) and TLS 1.3 (12288, 0x3000) are supported, the older versions being unsafe"
            ),
        ));
    }
    Ok(versions)
}

impl TlsOptions {
    /// Checks what can be checked without connecting: the protocol bits, the cipher suite
    /// names and that they leave something to negotiate, and the certificates given as text.
    pub fn check(&self) -> Result<()> {
        let versions = select_versions(self.enabled_protocols)?;
        let suites = select_cipher_suites(&self.cipher_suites)?;
        if !suites
            .iter()
            .any(|s| versions.iter().any(|v| s.version() == *v))
        {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "SSLEnabledCipherSuites \"{}\" has no suite for the enabled protocols ({})",
                    self.cipher_suites,
                    versions
                        .iter()
                        .map(|v| version_name(v.version))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if !self.ca_pem.trim().is_empty() {
            parse_certificates(self.ca_pem.as_bytes()).map_err(|e| {
                Error::new(
                    code::TLS_CHAIN_NOT_FOUND,
                    format!("SSLServerCACerts is not usable: {}", e.message),
                )
            })?;
        }
        Ok(())
    }
}

fn version_name(v: ProtocolVersion) -> String {
    match v {
        ProtocolVersion::TLSv1_3 => "TLS1.3".into(),
        ProtocolVersion::TLSv1_2 => "TLS1.2".into(),
        ProtocolVersion::TLSv1_1 => "TLS1.1".into(),
        ProtocolVersion::TLSv1_0 => "TLS1.0".into(),
        other => format!("{other:?}"),
    }
}

/// What our verifier saw, for the observer and TlsInfo.
#[derive(Clone, Debug, Default)]
struct Verification {
    chain: Vec<CertificateDer<'static>>,
    /// None: verified. Some: why not.
    failure: Option<(i32, String)>,
    /// Whether the handshake was let through.
    allowed: bool,
}

#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    accept_any: bool,
    accept_cert: Option<Vec<u8>>,
    verify_host_name: bool,
    seen: Arc<Mutex<Verification>>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let result = match &self.webpki {
            Some(v) => {
                v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            )),
        };
        let failure = result
            .as_ref()
            .err()
            .map(|e| describe_cert_error(e, server_name, self.webpki.is_some(), Some(end_entity)));
        // WebPKI checks the chain and dates before the name, so a name error means all else
        // was fine.
        let name_only = matches!(
            &result,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
            ))
        );
        let pinned = self
            .accept_cert
            .as_deref()
            .is_some_and(|c| c == end_entity.as_ref());
        let allowed =
            result.is_ok() || pinned || self.accept_any || (name_only && !self.verify_host_name);
        {
            let mut seen = self.seen.lock();
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.failure = failure;
            seen.allowed = allowed;
        }
        match result {
            Ok(v) => Ok(v),
            Err(_) if allowed => Ok(ServerCertVerified::assertion()),
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Status text and error code for a certificate rustls refused. Every refusal of the
/// server's certificate is 280; the text says which check failed.
fn describe_cert_error(
    e: &rustls::Error,
    name: &ServerName<'_>,
    have_roots: bool,
    leaf: Option<&[u8]>,
) -> (i32, String) {
    let rustls::Error::InvalidCertificate(ce) = e else {
        return (code::TLS_CERT_VERIFY, e.to_string());
    };
    let text = match ce {
        CertificateError::UnknownIssuer => {
            if have_roots {
                "the certificate is not signed by a trusted certificate authority (add its CA to SSLServerCACerts, or use SSLAcceptServerCert)".to_string()
            } else {
                "the certificate cannot be checked: there are no trusted root certificates (none in the system store and none in SSLServerCACerts)".to_string()
            }
        }
        CertificateError::Expired => "the certificate has expired".to_string(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "the certificate expired on {} (now {})",
            super::certs::format_date(not_after.as_secs() as i64),
            super::certs::format_date(time.as_secs() as i64)
        ),
        CertificateError::NotValidYet => "the certificate is not valid yet".to_string(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "the certificate is not valid before {} (now {})",
            super::certs::format_date(not_before.as_secs() as i64),
            super::certs::format_date(time.as_secs() as i64)
        ),
        CertificateError::NotValidForName => format!(
            "the certificate is not valid for the host name \"{}\"",
            name.to_str()
        ),
        CertificateError::NotValidForNameContext { .. } => {
            // rustls lists the names in its debug form; the certificate's own list reads
            // better.
            let names = leaf
                .and_then(|der| CertificateInfo::from_der(der).ok())
                .map(|i| i.subject_alt_names)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "no name at all".to_string());
            format!(
                "the certificate is not valid for the host name \"{}\"; it is for {names}",
                name.to_str()
            )
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the certificate is not for TLS server authentication (extended key usage)".to_string()
        }
        CertificateError::BadSignature => {
            "a signature in the certificate chain is not valid".to_string()
        }
        CertificateError::Revoked => "the certificate has been revoked".to_string(),
        other => format!("the certificate is not acceptable: {other}"),
    };
    (code::TLS_CERT_VERIFY, text)
}

/// Appends session secrets to a file in the NSS key log format (SSLKeyLogFile).
struct KeyLogFile {
    file: Mutex<std::fs::File>,
}

impl std::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLogFile")
    }
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        use std::io::Write;
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        // A debugging aid: a failed write must not break the connection.
        let _ = self.file.lock().write_all(line.as_bytes());
    }
}

/// Everything built from the options before any byte is sent.
pub(crate) struct Prepared {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    seen: Arc<Mutex<Verification>>,
    client_cert: Option<CertificateInfo>,
    root_note: String,
}

/// Builds the client configuration. Fails, before connecting, on anything the options get
/// wrong: protocols, suites, unreadable CAs or client certificate, a bad server name, a key
/// log file that cannot be opened.
pub(crate) fn prepare(opts: &TlsOptions, host: &str) -> Result<Prepared> {
    opts.check()?;
    let versions = select_versions(opts.enabled_protocols)?;
    let mut provider = provider();
    provider.cipher_suites = select_cipher_suites(&opts.cipher_suites)?;
    let provider = Arc::new(provider);

    let mut roots = RootCertStore::empty();
    let mut root_note = String::new();
    if opts.use_system_roots {
        let (sys, note) = system_roots();
        roots = sys.clone();
        root_note = note.clone();
    }
    let mut extra = 0;
    if !opts.ca_pem.trim().is_empty() {
        for c in parse_certificates(opts.ca_pem.as_bytes()).map_err(|e| {
            Error::new(
                code::TLS_CHAIN_NOT_FOUND,
                format!("SSLServerCACerts is not usable: {}", e.message),
            )
        })? {
            add_root(&mut roots, c, "SSLServerCACerts")?;
            extra += 1;
        }
    }
    for path in &opts.ca_files {
        let data = std::fs::read(path).map_err(|e| {
            Error::new(
                code::TLS_CHAIN_NOT_FOUND,
                format!("cannot read the CA file \"{}\": {e}", path.display()),
            )
        })?;
        let what = format!("the CA file \"{}\"", path.display());
        for c in parse_certificates(&data).map_err(|e| {
            Error::new(
                code::TLS_CHAIN_NOT_FOUND,
                format!("{what} is not usable: {}", e.message),
            )
        })? {
            add_root(&mut roots, c, &what)?;
            extra += 1;
        }
    }
    if extra > 0 {
        if !root_note.is_empty() {
            root_note.push_str(" and ");
        }
        root_note.push_str(&format!("{extra} given CA certificate(s)"));
    }
    let have_roots = !roots.is_empty();
    let webpki = if have_roots {
        Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| {
                    Error::new(
                        code::TLS_LIBRARY,
                        format!("cannot set up certificate verification: {e}"),
                    )
                })?,
        )
    } else {
        None
    };
    let accept_cert = match &opts.accept_cert {
        Some(bytes) => Some(
            parse_certificates(bytes)
                .map_err(|e| {
                    Error::new(
                        code::TLS_CERT_NOT_FOUND,
                        format!("SSLAcceptServerCert is not usable: {}", e.message),
                    )
                })?
                .swap_remove(0)
                .to_vec(),
        ),
        None => None,
    };
    let seen = Arc::new(Mutex::new(Verification::default()));
    let verifier = Arc::new(Verifier {
        webpki,
        provider: provider.clone(),
        accept_any: opts.accept_any,
        accept_cert,
        verify_host_name: opts.verify_host_name,
        seen: seen.clone(),
    });

    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| {
            Error::new(
                code::INVALID_ARGUMENT,
                format!("the TLS protocol and cipher suite settings do not fit together: {e}"),
            )
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut client_cert = None;
    let mut config = match &opts.client_cert {
        Some(cc) => {
            let id = cc.load()?;
            let mut chain = id.chain;
            if !opts.client_chain_pem.trim().is_empty() {
                for c in parse_certificates(opts.client_chain_pem.as_bytes()).map_err(|e| {
                    Error::new(
                        code::TLS_CHAIN_NOT_FOUND,
                        format!("SSLCACerts is not usable: {}", e.message),
                    )
                })? {
                    if !chain.contains(&c) {
                        chain.push(c);
                    }
                }
            }
            client_cert = Some(id.info);
            builder.with_client_auth_cert(chain, id.key).map_err(|e| {
                Error::new(
                    code::TLS_CREDENTIALS,
                    format!("the client certificate's private key cannot be used: {e}"),
                )
            })?
        }
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = opts.sni;
    if let Some(path) = &opts.key_log_file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                Error::new(
                    code::INVALID_ARGUMENT,
                    format!(
                        "cannot open SSLKeyLogFile \"{}\" for appending: {e}",
                        path.display()
                    ),
                )
            })?;
        config.key_log = Arc::new(KeyLogFile {
            file: Mutex::new(file),
        });
    }
    let name = opts.server_name.as_deref().unwrap_or(host);
    let server_name = ServerName::try_from(name.to_string()).map_err(|_| {
        Error::new(
            code::INVALID_ARGUMENT,
            format!("\"{name}\" is neither a DNS name nor an IP address, so no certificate can be checked against it"),
        )
    })?;
    Ok(Prepared {
        config: Arc::new(config),
        server_name,
        seen,
        client_cert,
        root_note,
    })
}

fn add_root(roots: &mut RootCertStore, c: CertificateDer<'static>, what: &str) -> Result<()> {
    roots.add(c).map_err(|e| {
        Error::new(
            code::TLS_CHAIN_NOT_FOUND,
            format!("a certificate in {what} cannot be a trust anchor: {e}"),
        )
    })
}

fn cipher_of(suite: &str) -> (&'static str, u32) {
    if suite.contains("AES_256") {
        ("AES", 256)
    } else if suite.contains("AES_128") {
        ("AES", 128)
    } else if suite.contains("CHACHA20") {
        ("CHACHA20", 256)
    } else {
        ("", 0)
    }
}

fn group_strength(kx: &dyn SupportedKxGroup) -> (String, u32) {
    use rustls::NamedGroup as G;
    let g = kx.name();
    let bits = match g {
        G::X25519 => 253,
        G::X448 => 448,
        G::secp256r1 => 256,
        G::secp384r1 => 384,
        G::secp521r1 => 521,
        G::FFDHE2048 => 2048,
        G::FFDHE3072 => 3072,
        G::FFDHE4096 => 4096,
        _ => 0,
    };
    (format!("{g:?}"), bits)
}

/// Maps a failed handshake to our error: a refused server certificate (280), the server's
/// alert or a broken exchange (276), with what is known about why.
fn handshake_error(e: &io::Error, prepared: &Prepared, target: &str, plain_hint: bool) -> Error {
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        if let rustls::Error::InvalidCertificate(_) = inner {
            let seen = prepared.seen.lock();
            let (code, why) = seen
                .failure
                .clone()
                .unwrap_or_else(|| describe_cert_error(inner, &prepared.server_name, true, None));
            return Error::new(
                code,
                format!("the server certificate of {target} was refused: {why}"),
            );
        }
        return tls_error(
            inner,
            prepared.client_cert.as_ref(),
            target,
            "during the TLS handshake",
        );
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted => {
            let hint = if plain_hint {
                " — is it a TLS port? (a plain MQTT port closes on a TLS hello)"
            } else {
                ""
            };
            Error::new(
                code::TLS_HANDSHAKE,
                format!("{target} closed the connection during the TLS handshake ({e}){hint}"),
            )
        }
        _ => {
            let mut err = Error::from_io(e, &format!("TLS handshake with {target} failed"));
            if err.code == code::DROPPED {
                err.code = code::TLS_HANDSHAKE;
            }
            err
        }
    }
}

/// A rustls error during or after the handshake, as our error.
fn tls_error(
    e: &rustls::Error,
    client_cert: Option<&CertificateInfo>,
    target: &str,
    when: &str,
) -> Error {
    match e {
        rustls::Error::AlertReceived(alert) => {
            let hint = match (alert, client_cert) {
                (AlertDescription::CertificateRequired, None)
                | (AlertDescription::HandshakeFailure, None) => {
                    " — the server probably requires a client certificate, and none is configured (SSLCert)".to_string()
                }
                (
                    AlertDescription::CertificateRequired
                    | AlertDescription::BadCertificate
                    | AlertDescription::UnknownCA
                    | AlertDescription::CertificateUnknown
                    | AlertDescription::AccessDenied
                    | AlertDescription::UnsupportedCertificate
                    | AlertDescription::CertificateExpired
                    | AlertDescription::CertificateRevoked,
                    Some(c),
                ) => format!(" — it did not accept the client certificate \"{}\"", c.subject),
                (AlertDescription::ProtocolVersion, _) => {
                    " — no TLS version in common (check SSLEnabledProtocols)".to_string()
                }
                (AlertDescription::HandshakeFailure, Some(_)) => {
                    " — no common cipher suite or signature scheme, or the client certificate was refused".to_string()
                }
                _ => String::new(),
            };
            Error::new(
                code::TLS_HANDSHAKE,
                format!("{target} sent the TLS alert {} {when}{hint}", alert_name(*alert)),
            )
        }
        rustls::Error::PeerIncompatible(p) => Error::new(
            code::TLS_HANDSHAKE,
            format!("{target} cannot agree on TLS parameters {when}: {p:?} (check SSLEnabledProtocols and SSLEnabledCipherSuites)"),
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } | rustls::Error::InappropriateHandshakeMessage { .. } => Error::new(
            code::TLS_HANDSHAKE,
            format!("{target} does not speak TLS as expected {when} ({e}) — is it a TLS port?"),
        ),
        rustls::Error::DecryptError => Error::new(
            TLS_DECRYPT,
            format!("a TLS record from {target} could not be decrypted {when}"),
        ),
        rustls::Error::EncryptError => Error::new(
            TLS_ENCRYPT,
            format!("a TLS record to {target} could not be encrypted {when}"),
        ),
        other => Error::new(code::TLS_HANDSHAKE, format!("TLS with {target} failed {when}: {other}")),
    }
}

/// The alert as the TLS specification spells it ("certificate_required").
fn alert_name(a: AlertDescription) -> String {
    let debug = format!("{a:?}");
    let mut out = String::new();
    for (i, ch) in debug.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    // Debug names like "UnknownCA" come out as "unknown_c_a".
    out.replace("c_a", "ca")
}

/// Runs the handshake over `io` and the observer's part in it; returns the stream and
/// what was negotiated.
pub(crate) async fn handshake(
    prepared: Prepared,
    io: BoxStream,
    target: &str,
    include_chain: bool,
    observer: &dyn TransportObserver,
) -> Result<(TlsIo, TlsInfo)> {
    let sni = match &prepared.server_name {
        ServerName::DnsName(d) if prepared.config.enable_sni => format!(" (SNI {})", d.as_ref()),
        _ => String::new(),
    };
    observer.ssl_status(&format!(
        "TLS handshake with {target}{sni}; trusting {}",
        if prepared.root_note.is_empty() {
            "no root certificates"
        } else {
            &prepared.root_note
        }
    ));
    let connector = tokio_rustls::TlsConnector::from(prepared.config.clone());
    let result = connector.connect(prepared.server_name.clone(), io).await;
    let seen = prepared.seen.lock().clone();
    let infos: Vec<CertificateInfo> = seen
        .chain
        .iter()
        .filter_map(|c| CertificateInfo::from_der(c).ok())
        .collect();
    let status = match &seen.failure {
        None => "OK".to_string(),
        Some((_, why)) => why.clone(),
    };
    let stream = match result {
        Ok(s) => s,
        Err(e) => {
            let err = handshake_error(&e, &prepared, target, true);
            if let Some(leaf) = infos.first() {
                observer.ssl_status(&format!(
                    "server certificate: {} (issued by {}): {status}",
                    leaf.subject, leaf.issuer
                ));
                // The application sees the certificate and why it failed; its answer cannot
                // change a refusal (only SSLAcceptAnyServerCert allows that).
                let auth = ServerAuthentication {
                    chain: if include_chain {
                        infos.clone()
                    } else {
                        infos[..1].to_vec()
                    },
                    status: status.clone(),
                    accept: false,
                };
                let _ = observer.server_authentication(&auth).await;
            }
            observer.ssl_status(&format!("TLS handshake failed: {}", err.message));
            return Err(err);
        }
    };
    if let Some(leaf) = infos.first() {
        observer.ssl_status(&format!(
            "server certificate: {} (issued by {}, valid until {}): {status}{}",
            leaf.subject,
            leaf.issuer,
            leaf.expiration_date,
            if seen.failure.is_some() {
                " — accepted by the application's settings"
            } else {
                ""
            }
        ));
    }
    let auth = ServerAuthentication {
        chain: if include_chain {
            infos.clone()
        } else {
            infos.iter().take(1).cloned().collect()
        },
        status: status.clone(),
        accept: seen.allowed,
    };
    if !observer.server_authentication(&auth).await {
        let mut s = stream;
        // Tell the server we are leaving; the certificate was not wanted.
        let _ = tokio::io::AsyncWriteExt::shutdown(&mut s).await;
        return Err(Error::new(
            code::TLS_CERT_VERIFY,
            format!("the server certificate of {target} ({}) was refused by the application (status: {status})", infos.first().map(|i| i.subject.as_str()).unwrap_or("none")),
        ));
    }
    let (_, conn) = stream.get_ref();
    let version = conn
        .protocol_version()
        .map(version_name)
        .unwrap_or_default();
    let suite = conn
        .negotiated_cipher_suite()
        .map(suite_name)
        .unwrap_or_default();
    let (cipher, strength) = cipher_of(&suite);
    let (group, kx_bits) = conn
        .negotiated_key_exchange_group()
        .map(group_strength)
        .unwrap_or_default();
    let info = TlsInfo {
        version,
        cipher_suite: suite,
        cipher: cipher.to_string(),
        cipher_strength: strength,
        key_exchange: if group.starts_with("FFDHE") {
            "DHE".into()
        } else {
            "ECDHE".into()
        },
        key_exchange_group: group,
        key_exchange_strength: kx_bits,
        server_chain: infos,
        verify_status: status,
        client_cert: prepared.client_cert.clone(),
    };
    observer.ssl_status(&format!(
        "negotiated {} {} ({} {}-bit, key exchange {} {}){}",
        info.version,
        info.cipher_suite,
        info.cipher,
        info.cipher_strength,
        info.key_exchange_group,
        info.key_exchange_strength,
        match &info.client_cert {
            Some(c) => format!("; client certificate {}", c.subject),
            None => String::new(),
        }
    ));
    Ok((
        TlsIo {
            inner: stream,
            client_cert: prepared.client_cert.clone(),
            target: target.to_string(),
            needs_flush: false,
        },
        info,
    ))
}

/// The TLS stream as the driver sees it: rustls errors come out as our errors (inside
/// `io::Error`, see [`super::stream_error`]), and written records are pushed out even by a
/// caller that never flushes (polling for reads also flushes).
pub struct TlsIo {
    inner: tokio_rustls::client::TlsStream<BoxStream>,
    client_cert: Option<CertificateInfo>,
    target: String,
    needs_flush: bool,
}

impl TlsIo {
    fn map_err(&self, e: io::Error, when: &str) -> io::Error {
        match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(r) => {
                let err = tls_error(r, self.client_cert.as_ref(), &self.target, when);
                io::Error::new(e.kind(), err)
            }
            None => e,
        }
    }
}

impl AsyncRead for TlsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.needs_flush {
            if let Poll::Ready(Ok(())) = Pin::new(&mut self.inner).poll_flush(cx) {
                self.needs_flush = false;
            }
        }
        match ready!(Pin::new(&mut self.inner).poll_read(cx, buf)) {
            Ok(()) => Poll::Ready(Ok(())),
            // The server closed TCP without TLS's close_notify (Node.js servers do). MQTT
            // packets carry their own length, so a cut packet is still caught by the decoder:
            // treat this as the end of the stream, as on plain TCP.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(self.map_err(e, "while reading"))),
        }
    }
}

impl AsyncWrite for TlsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match ready!(Pin::new(&mut self.inner).poll_write(cx, buf)) {
            Ok(n) => {
                self.needs_flush = true;
                if let Poll::Ready(Ok(())) = Pin::new(&mut self.inner).poll_flush(cx) {
                    self.needs_flush = false;
                }
                Poll::Ready(Ok(n))
            }
            Err(e) => Poll::Ready(Err(self.map_err(e, "while writing"))),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(Pin::new(&mut self.inner).poll_flush(cx)) {
            Ok(()) => {
                self.needs_flush = false;
                Poll::Ready(Ok(()))
            }
            Err(e) => Poll::Ready(Err(self.map_err(e, "while writing"))),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(Pin::new(&mut self.inner).poll_shutdown(cx)) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(self.map_err(e, "while closing"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_masks() {
        assert_eq!(select_versions(protocols::DEFAULT).unwrap().len(), 2);
        // The reference's default (TLS 1.0 to 1.2) keeps TLS 1.2.
        assert_eq!(select_versions(4032).unwrap().len(), 1);
        for bad in [0, protocols::SSL3, protocols::TLS1 | protocols::TLS1_1] {
            let e = select_versions(bad).unwrap_err();
            assert_eq!(e.code, code::INVALID_ARGUMENT);
            assert!(e.message.contains("TLS 1.2"), "{e}");
        }
    }

    #[test]
    fn cipher_suite_names() {
        assert_eq!(
            select_cipher_suites("*").unwrap().len(),
            provider().cipher_suites.len()
        );
        assert_eq!(
            select_cipher_suites("CALG_AES_256").unwrap().len(),
            provider().cipher_suites.len()
        );
        let s = select_cipher_suites("TLS_AES_128_GCM_SHA256; tls13_aes_256_gcm_sha384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256").unwrap();
        assert_eq!(s.len(), 3);
        let e = select_cipher_suites("TLS_RSA_WITH_AES_128_CBC_SHA").unwrap_err();
        assert_eq!(e.code, code::INVALID_ARGUMENT);
        assert!(
            e.message.contains("TLS_RSA_WITH_AES_128_CBC_SHA")
                && e.message.contains("TLS_AES_128_GCM_SHA256"),
            "{e}"
        );
        let opts = TlsOptions {
            enabled_protocols: protocols::TLS1_2,
            cipher_suites: "TLS_AES_128_GCM_SHA256".into(),
            ..TlsOptions::default()
        };
        assert_eq!(opts.check().unwrap_err().code, code::INVALID_ARGUMENT);
    }

    #[test]
    fn alert_names() {
        assert_eq!(
            alert_name(AlertDescription::CertificateRequired),
            "certificate_required"
        );
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::HandshakeFailure),
            "handshake_failure"
        );
    }
}
