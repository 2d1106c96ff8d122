//! Certificates: reading them (PEM, base64, DER, PKCS#12), the client identity for TLS, and
//! the documented Certificate type's read-only fields (`CertificateInfo`), computed from DER.
//!
//! Error codes: a store that cannot be opened or read (missing file, wrong password, not a
//! PKCS#12/PEM store, an unsupported store type) is 271; no certificate matching the
//! selection is 272; a certificate without a usable private key is 273.

use crate::error::{code, Error, Result};
use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::fmt::Write as _;
use std::path::PathBuf;
use x509_parser::prelude::*;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Where a client certificate and its key come from (the Certificate type's StoreType and
/// Store). The store types that need Windows or Java stores are refused by
/// [`ClientCert::from_store_type`].
#[derive(Clone, PartialEq, Eq)]
pub enum CertStore {
    /// cstPFXFile (2): a PKCS#12 file.
    Pkcs12File(PathBuf),
    /// cstPFXBlob (3): PKCS#12 bytes, binary or base64.
    Pkcs12Blob(Vec<u8>),
    /// cstPEMKeyFile (6): a PEM file holding a private key and usually its certificate.
    PemFile(PathBuf),
    /// cstPEMKeyBlob (7): the same as text.
    PemBlob(Vec<u8>),
}

impl std::fmt::Debug for CertStore {
    // Blobs hold private keys: show their size, never their bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CertStore::Pkcs12File(p) => write!(f, "Pkcs12File({})", p.display()),
            CertStore::Pkcs12Blob(b) => write!(f, "Pkcs12Blob({} bytes)", b.len()),
            CertStore::PemFile(p) => write!(f, "PemFile({})", p.display()),
            CertStore::PemBlob(b) => write!(f, "PemBlob({} bytes)", b.len()),
        }
    }
}

/// A client certificate as the application selected it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// Where the certificate and its private key are read from.
    pub store: CertStore,
    /// StorePassword (and KeyPassword, which defaults to it).
    pub password: String,
    /// Which certificate of the store: "" or "*" for the first that has a key, a subject
    /// (exact, or a part of it, case-insensitive), or "Thumbprint=HEX" (MD5, SHA-1 or SHA-256).
    pub subject: String,
    /// Certificate.Encoded: the certificate to use with a PEM store holding only the key
    /// (PEM, base64 or DER).
    pub encoded: Vec<u8>,
}

impl std::fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCert")
            .field("store", &self.store)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("subject", &self.subject)
            .field("encoded", &format_args!("{} bytes", self.encoded.len()))
            .finish()
    }
}

impl ClientCert {
    /// A certificate from `store`, opened with `password` (empty for none); the first one
    /// with a private key is used unless `subject` is then set.
    pub fn new(store: CertStore, password: impl Into<String>) -> ClientCert {
        ClientCert {
            store,
            password: password.into(),
            subject: String::new(),
            encoded: Vec::new(),
        }
    }

    /// From the reference's numbers: StoreType, Store (a file name or the bytes themselves),
    /// StorePassword and Subject. 99 (automatic) picks PKCS#12 or PEM from the content, and a
    /// file when `store` names one that exists.
    pub fn from_store_type(
        store_type: i32,
        store: &[u8],
        password: &str,
        subject: &str,
    ) -> Result<ClientCert> {
        let path = || PathBuf::from(String::from_utf8_lossy(store).into_owned());
        let store = match store_type {
            2 => CertStore::Pkcs12File(path()),
            3 => CertStore::Pkcs12Blob(store.to_vec()),
            6 => CertStore::PemFile(path()),
            7 => CertStore::PemBlob(store.to_vec()),
            99 => {
                let p = path();
                let (bytes, is_file) = match std::str::from_utf8(store) {
                    Ok(s) if !s.contains('\n') && p.is_file() => {
                        (std::fs::read(&p).unwrap_or_default(), true)
                    }
                    _ => (store.to_vec(), false),
                };
                let pem = looks_like_pem(&bytes);
                match (pem, is_file) {
                    (true, true) => CertStore::PemFile(p),
                    (true, false) => CertStore::PemBlob(bytes),
                    (false, true) => CertStore::Pkcs12File(p),
                    (false, false) => CertStore::Pkcs12Blob(bytes),
                }
            }
            0 | 1 => {
                return Err(Error::new(
                    code::TLS_STORE,
                    format!("certificate store type {store_type} ({}) is a Windows system store, which this library cannot open; use a PKCS#12 (2, 3) or PEM (6, 7) store", if store_type == 0 { "user" } else { "machine" }),
                ))
            }
            4 | 5 | 21 | 22 => {
                return Err(Error::new(
                    code::TLS_STORE,
                    format!("certificate store type {store_type} is a Java key store, which this library cannot open; convert it to PKCS#12 (keytool -importkeystore) and use type 2 or 3"),
                ))
            }
            _ => {
                return Err(Error::new(
                    code::TLS_STORE,
                    format!("certificate store type {store_type} cannot hold a client certificate with its private key here; use a PKCS#12 (2, 3) or PEM (6, 7) store"),
                ))
            }
        };
        Ok(ClientCert {
            store,
            password: password.to_string(),
            subject: subject.to_string(),
            encoded: Vec::new(),
        })
    }

    /// Open the store, pick the certificate and its key. The chain is the chosen certificate
    /// followed by the other certificates of the store (PKCS#12 and PEM files commonly carry
    /// the intermediates).
    pub fn load(&self) -> Result<ClientIdentity> {
        let (what, mut entries) = match &self.store {
            CertStore::Pkcs12File(p) => {
                let what = format!("PKCS#12 file \"{}\"", p.display());
                let data = read_store_file(p, &what)?;
                let entries = pkcs12_entries(&data, &self.password, &what)?;
                (what, entries)
            }
            CertStore::Pkcs12Blob(b) => {
                let what = "PKCS#12 blob".to_string();
                let data = binary_or_base64(b);
                let entries = pkcs12_entries(&data, &self.password, &what)?;
                (what, entries)
            }
            CertStore::PemFile(p) => {
                let what = format!("PEM file \"{}\"", p.display());
                let data = read_store_file(p, &what)?;
                let entries = pem_entries(&data, &self.password, &what)?;
                (what, entries)
            }
            CertStore::PemBlob(b) => {
                let what = "PEM blob".to_string();
                let entries = pem_entries(b, &self.password, &what)?;
                (what, entries)
            }
        };
        // A PEM key file without a certificate takes the one in `encoded`.
        if !self.encoded.is_empty() {
            for entry in &mut entries {
                if entry.certs.is_empty() {
                    entry.certs = parse_certificates(&self.encoded).map_err(|e| {
                        Error::new(
                            code::TLS_CERT_NOT_FOUND,
                            format!(
                                "the client certificate given with the {what} is not readable: {}",
                                e.message
                            ),
                        )
                    })?;
                }
            }
        }
        select_identity(entries, &self.subject, &what)
    }
}

/// A loaded client certificate: what rustls needs, and the fields to show.
pub struct ClientIdentity {
    /// The certificate chain, leaf first, in DER.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key of the leaf certificate.
    pub key: PrivateKeyDer<'static>,
    /// The leaf's fields, as the Certificate class shows them.
    pub info: CertificateInfo,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("subject", &self.info.subject)
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// One key with the certificates that belong to it (the first is its own, when known).
struct StoreEntry {
    key: Option<PrivateKeyDer<'static>>,
    certs: Vec<CertificateDer<'static>>,
}

fn read_store_file(path: &std::path::Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::new(code::TLS_STORE, format!("cannot open the {what}: {e}")))
}

fn looks_like_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Binary as it is, or base64 (whitespace allowed) when it decodes as such.
fn binary_or_base64(data: &[u8]) -> Vec<u8> {
    // DER always starts with a SEQUENCE tag; base64 text never has a 0x30 followed by a
    // length byte that happens to be printable base64... but can start with '0'. Try the
    // text first only when every byte is base64 or whitespace.
    let text: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let all_b64 = !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if all_b64 {
        if let Ok(bin) = B64.decode(&text) {
            return bin;
        }
    }
    data.to_vec()
}

fn pkcs12_entries(data: &[u8], password: &str, what: &str) -> Result<Vec<StoreEntry>> {
    use p12_keystore::{KeyStore, KeyStoreEntry};
    let store = KeyStore::from_pkcs12(data, password).map_err(|e| {
        let why = match e {
            p12_keystore::error::Error::MacError(_) => {
                "the password is wrong (the integrity check failed)".to_string()
            }
            other => format!("it is not a readable PKCS#12 store ({other})"),
        };
        Error::new(code::TLS_STORE, format!("cannot open the {what}: {why}"))
    })?;
    let mut entries = Vec::new();
    let mut loose = Vec::new();
    for (_alias, entry) in store.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) => entries.push(StoreEntry {
                key: Some(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                    chain.key().to_vec(),
                ))),
                certs: chain
                    .chain()
                    .iter()
                    .map(|c| CertificateDer::from(c.as_der().to_vec()))
                    .collect(),
            }),
            KeyStoreEntry::Certificate(c) => loose.push(CertificateDer::from(c.as_der().to_vec())),
            KeyStoreEntry::Secret(_) => {}
        }
    }
    // Certificates stored apart from the key (CA certificates) complete each chain.
    for e in &mut entries {
        for c in &loose {
            if !e.certs.contains(c) {
                e.certs.push(c.clone());
            }
        }
    }
    if entries.is_empty() {
        entries.extend(loose.into_iter().map(|c| StoreEntry {
            key: None,
            certs: vec![c],
        }));
    }
    Ok(entries)
}

fn pem_entries(data: &[u8], password: &str, what: &str) -> Result<Vec<StoreEntry>> {
    let text = String::from_utf8_lossy(data);
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(Error::new(
            code::TLS_CREDENTIALS,
            format!("the private key in the {what} is encrypted the old OpenSSL way (Proc-Type: 4,ENCRYPTED), which is not supported; convert it with `openssl pkcs8 -topk8` or use a PKCS#12 file"),
        ));
    }
    let mut certs = Vec::new();
    for c in CertificateDer::pem_slice_iter(data) {
        certs.push(c.map_err(|e| {
            Error::new(
                code::TLS_STORE,
                format!("cannot read a certificate in the {what}: {e}"),
            )
        })?);
    }
    let key = if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        Some(decrypt_pkcs8_pem(data, password, what)?)
    } else {
        match PrivateKeyDer::from_pem_slice(data) {
            Ok(k) => Some(k),
            Err(rustls_pki_types::pem::Error::NoItemsFound) => None,
            Err(e) => {
                return Err(Error::new(
                    code::TLS_CREDENTIALS,
                    format!("cannot read the private key in the {what}: {e}"),
                ))
            }
        }
    };
    if key.is_none() && certs.is_empty() {
        return Err(Error::new(
            code::TLS_STORE,
            format!("the {what} holds neither a certificate nor a private key in PEM form"),
        ));
    }
    Ok(vec![StoreEntry { key, certs }])
}

fn decrypt_pkcs8_pem(data: &[u8], password: &str, what: &str) -> Result<PrivateKeyDer<'static>> {
    use pkcs8::der::Decode;
    let text = String::from_utf8_lossy(data);
    let der = pem_section(&text, "ENCRYPTED PRIVATE KEY").ok_or_else(|| {
        Error::new(
            code::TLS_CREDENTIALS,
            format!("the encrypted private key in the {what} is not valid PEM"),
        )
    })?;
    let info = pkcs8::EncryptedPrivateKeyInfo::from_der(&der).map_err(|e| {
        Error::new(
            code::TLS_CREDENTIALS,
            format!("the encrypted private key in the {what} is not readable: {e}"),
        )
    })?;
    let doc = info.decrypt(password.as_bytes()).map_err(|_| {
        Error::new(
            code::TLS_CREDENTIALS,
            format!("cannot decrypt the private key in the {what}: the password (KeyPassword/StorePassword) is wrong or the cipher is not supported"),
        )
    })?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        doc.as_bytes().to_vec(),
    )))
}

/// The DER inside the first `-----BEGIN LABEL-----` section of `text`.
fn pem_section(text: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop].split_whitespace().collect();
    B64.decode(body).ok()
}

fn select_identity(entries: Vec<StoreEntry>, subject: &str, what: &str) -> Result<ClientIdentity> {
    let subject = subject.trim();
    let any = subject.is_empty() || subject == "*";
    let mut seen = Vec::new();
    let mut keyless = None;
    for entry in entries {
        for (i, der) in entry.certs.iter().enumerate() {
            let info = CertificateInfo::from_der(der)?;
            let wanted = any && i == 0 || !any && info.matches(subject);
            if !wanted {
                seen.push(info.subject.clone());
                continue;
            }
            let Some(key) = entry.key.as_ref().filter(|_| i == 0) else {
                keyless.get_or_insert(info.subject.clone());
                continue;
            };
            let mut chain = vec![der.clone()];
            chain.extend(
                entry
                    .certs
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, c)| c.clone()),
            );
            let mut info = info;
            info.private_key_available = true;
            return Ok(ClientIdentity {
                chain,
                key: key.clone_key(),
                info,
            });
        }
        if entry.certs.is_empty() && entry.key.is_some() {
            return Err(Error::new(
                code::TLS_CERT_NOT_FOUND,
                format!("the {what} holds a private key but no certificate; give the certificate too (in the same PEM, or as the certificate's Encoded value)"),
            ));
        }
    }
    if let Some(s) = keyless {
        return Err(Error::new(
            code::TLS_CREDENTIALS,
            format!("the certificate \"{s}\" in the {what} has no private key with it"),
        ));
    }
    Err(Error::new(
        code::TLS_CERT_NOT_FOUND,
        if seen.is_empty() {
            format!("the {what} holds no certificate")
        } else {
            format!(
                "no certificate in the {what} matches the subject \"{subject}\" (it holds: {})",
                seen.join("; ")
            )
        },
    ))
}

/// Certificates from PEM text (any number), base64 text (one) or DER bytes (one).
pub fn parse_certificates(data: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    if looks_like_pem(data) {
        let mut out = Vec::new();
        for c in CertificateDer::pem_slice_iter(data) {
            out.push(c.map_err(|e| {
                Error::new(
                    code::TLS_CERT_NOT_FOUND,
                    format!("not a readable PEM certificate: {e}"),
                )
            })?);
        }
        if out.is_empty() {
            return Err(Error::new(
                code::TLS_CERT_NOT_FOUND,
                "the PEM text holds no CERTIFICATE section",
            ));
        }
        return Ok(out);
    }
    let der = binary_or_base64(data);
    parse_x509_certificate(&der).map_err(|e| {
        Error::new(
            code::TLS_CERT_NOT_FOUND,
            format!(
                "not a certificate in PEM, base64 or DER form ({} bytes): {e}",
                data.len()
            ),
        )
    })?;
    Ok(vec![CertificateDer::from(der)])
}

/// The Certificate type's read-only fields for one X.509 certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateInfo {
    /// "CN=localhost, O=ferromq tests": most specific part first, as the reference shows it.
    pub subject: String,
    /// The issuer's distinguished name, in the same form as `subject`.
    pub issuer: String,
    /// Validity, as "23-Jan-2000 15:00:00" in UTC (the reference uses the local zone; a
    /// library in a multi-threaded process cannot read it safely), and as Unix seconds.
    pub effective_date: String,
    /// End of validity, in the same form as `effective_date`.
    pub expiration_date: String,
    /// Start of validity, Unix seconds (UTC).
    pub not_before: i64,
    /// End of validity, Unix seconds (UTC).
    pub not_after: i64,
    /// Hex digits, two per byte, upper case.
    pub serial_number: String,
    /// "V1", "V2" or "V3".
    pub version: String,
    /// Colon-separated lower-case hex of the hash of the DER certificate.
    pub fingerprint: String,
    /// The same with SHA-1.
    pub fingerprint_sha1: String,
    /// The same with SHA-256.
    pub fingerprint_sha256: String,
    /// Upper-case hex of the same hashes, without separators.
    pub thumbprint_md5: String,
    /// The same with SHA-1.
    pub thumbprint_sha1: String,
    /// The same with SHA-256.
    pub thumbprint_sha256: String,
    /// The SubjectPublicKeyInfo, base64.
    pub public_key: String,
    /// "RSA", "ECDSA", "Ed25519", "Ed448", "DSA", or the algorithm's OID.
    pub public_key_algorithm: String,
    /// Bits: the RSA modulus or the curve size.
    pub public_key_length: u32,
    /// "sha256WithRSAEncryption", "ecdsa-with-SHA256", ... or the OID.
    pub signature_algorithm: String,
    /// "Digital Signature, Key Encipherment", ...; empty without a key usage extension.
    pub usage: String,
    /// The key usage bits as the reference numbers them (0x80 digital signature ... 0x01
    /// encipher only).
    pub usage_flags: u32,
    /// OIDs, comma-separated ("1.3.6.1.5.5.7.3.1" is server authentication).
    pub extended_key_usage: String,
    /// "localhost, 127.0.0.1, ::1": DNS names, addresses, e-mail addresses and URIs.
    pub subject_alt_names: String,
    /// Base64 of the DER certificate (Encoded) and the DER itself (EncodedB).
    pub encoded: String,
    /// The DER bytes of the certificate.
    pub encoded_b: Vec<u8>,
    /// A private key was loaded with this certificate (client certificates only). The key
    /// itself is never exported.
    pub private_key_available: bool,
}

impl CertificateInfo {
    /// Reads the fields of a DER-encoded X.509 certificate. Fails with TLS_CERT_NOT_FOUND
    /// when the bytes are not a readable certificate.
    pub fn from_der(der: &[u8]) -> Result<CertificateInfo> {
        let (_, cert) = parse_x509_certificate(der).map_err(|e| {
            Error::new(
                code::TLS_CERT_NOT_FOUND,
                format!(
                    "not a readable X.509 certificate ({} bytes): {e}",
                    der.len()
                ),
            )
        })?;
        let md5 = md5_digest(der);
        let sha1 = <sha1::Sha1 as sha2::Digest>::digest(der);
        let sha256 = <sha2::Sha256 as sha2::Digest>::digest(der);
        let spki = cert.public_key();
        let (alg, bits) = public_key_algorithm(spki);
        let (usage, usage_flags) = key_usage(&cert);
        let v = cert.validity();
        Ok(CertificateInfo {
            subject: name_string(cert.subject()),
            issuer: name_string(cert.issuer()),
            effective_date: format_date(v.not_before.timestamp()),
            expiration_date: format_date(v.not_after.timestamp()),
            not_before: v.not_before.timestamp(),
            not_after: v.not_after.timestamp(),
            serial_number: hex_upper(serial_magnitude(cert.raw_serial())),
            version: format!("V{}", cert.version().0 + 1),
            fingerprint: hex_colon(&md5),
            fingerprint_sha1: hex_colon(&sha1),
            fingerprint_sha256: hex_colon(&sha256),
            thumbprint_md5: hex_upper(&md5),
            thumbprint_sha1: hex_upper(&sha1),
            thumbprint_sha256: hex_upper(&sha256),
            public_key: B64.encode(spki.raw),
            public_key_algorithm: alg,
            public_key_length: bits,
            signature_algorithm: signature_algorithm(&cert.signature_algorithm.algorithm),
            usage,
            usage_flags,
            extended_key_usage: extended_key_usage(&cert),
            subject_alt_names: subject_alt_names(&cert),
            encoded: B64.encode(der),
            encoded_b: der.to_vec(),
            private_key_available: false,
        })
    }

    /// The certificate as PEM text.
    pub fn to_pem(&self) -> String {
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for chunk in self.encoded.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// Whether a Subject selection picks this certificate: "Thumbprint=HEX" (any of the three
    /// hashes, separators ignored), the exact subject, or a part of it (case-insensitive).
    pub fn matches(&self, selection: &str) -> bool {
        let sel = selection.trim();
        if let Some((k, v)) = sel.split_once('=') {
            if k.trim().eq_ignore_ascii_case("thumbprint") {
                let want: String = v
                    .chars()
                    .filter(|c| c.is_ascii_hexdigit())
                    .collect::<String>()
                    .to_ascii_uppercase();
                return [
                    &self.thumbprint_md5,
                    &self.thumbprint_sha1,
                    &self.thumbprint_sha256,
                ]
                .iter()
                .any(|t| **t == want);
            }
        }
        let subject = self.subject.to_ascii_lowercase();
        let sel = sel.to_ascii_lowercase();
        subject == sel || subject.contains(&sel)
    }
}

/// The serial's bytes without the 0x00 that DER puts before a first byte >= 0x80 to keep the
/// number positive: that byte is not part of the serial (openssl does not show it either).
fn serial_magnitude(raw: &[u8]) -> &[u8] {
    match raw {
        [0, next, ..] if *next >= 0x80 => &raw[1..],
        _ => raw,
    }
}

fn md5_digest(data: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(data).to_vec()
}

fn hex_upper(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

fn hex_colon(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// RDNs last-first ("CN=..., O=..., C=..."), the reference's attribute names, values with a
/// comma quoted.
fn name_string(name: &X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter_rdn() {
        for atv in rdn.iter() {
            let oid = atv.attr_type();
            let key = match oid.to_id_string().as_str() {
                "2.5.4.3" => "CN".to_string(),
                "2.5.4.10" => "O".to_string(),
                "2.5.4.11" => "OU".to_string(),
                "2.5.4.7" => "L".to_string(),
                "2.5.4.8" => "S".to_string(),
                "2.5.4.6" => "C".to_string(),
                "1.2.840.113549.1.9.1" => "E".to_string(),
                other => oid2abbrev(oid, oid_registry())
                    .map(str::to_string)
                    .unwrap_or_else(|_| other.to_string()),
            };
            let value = match atv.as_str() {
                Ok(s) => s.to_string(),
                Err(_) => format!("#{}", hex_upper(atv.as_slice())),
            };
            let value = if value.contains([',', '+', '"', ';']) {
                format!("\"{}\"", value.replace('"', "\\\""))
            } else {
                value
            };
            parts.push(format!("{key}={value}"));
        }
    }
    parts.reverse();
    parts.join(", ")
}

fn public_key_algorithm(spki: &SubjectPublicKeyInfo<'_>) -> (String, u32) {
    let oid = spki.algorithm.algorithm.to_id_string();
    let bits = spki.parsed().map(|k| k.key_size() as u32).unwrap_or(0);
    let name = match oid.as_str() {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.2.840.10045.2.1" => "ECDSA",
        "1.3.101.112" => return ("Ed25519".into(), 256),
        "1.3.101.113" => return ("Ed448".into(), 456),
        "1.2.840.10040.4.1" => "DSA",
        _ => return (oid, bits),
    };
    (name.to_string(), bits)
}

fn signature_algorithm(oid: &x509_parser::der_parser::oid::Oid<'_>) -> String {
    let id = oid.to_id_string();
    let name = match id.as_str() {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        _ => return id,
    };
    name.to_string()
}

fn key_usage(cert: &X509Certificate<'_>) -> (String, u32) {
    let Ok(Some(ext)) = cert.key_usage() else {
        return (String::new(), 0);
    };
    let ku = ext.value;
    let bits = [
        (ku.digital_signature(), 0x80, "Digital Signature"),
        (ku.non_repudiation(), 0x40, "Non-Repudiation"),
        (ku.key_encipherment(), 0x20, "Key Encipherment"),
        (ku.data_encipherment(), 0x10, "Data Encipherment"),
        (ku.key_agreement(), 0x08, "Key Agreement"),
        (ku.key_cert_sign(), 0x04, "Certificate Signing"),
        (ku.crl_sign(), 0x02, "CRL Signing"),
        (ku.encipher_only(), 0x01, "Encipher Only"),
        (ku.decipher_only(), 0x8000, "Decipher Only"),
    ];
    let mut names = Vec::new();
    let mut flags = 0;
    for (on, bit, name) in bits {
        if on {
            flags |= bit;
            names.push(name);
        }
    }
    (names.join(", "), flags)
}

fn extended_key_usage(cert: &X509Certificate<'_>) -> String {
    let Ok(Some(ext)) = cert.extended_key_usage() else {
        return String::new();
    };
    let e = ext.value;
    let mut oids: Vec<String> = [
        (e.any, "2.5.29.37.0"),
        (e.server_auth, "1.3.6.1.5.5.7.3.1"),
        (e.client_auth, "1.3.6.1.5.5.7.3.2"),
        (e.code_signing, "1.3.6.1.5.5.7.3.3"),
        (e.email_protection, "1.3.6.1.5.5.7.3.4"),
        (e.time_stamping, "1.3.6.1.5.5.7.3.8"),
        (e.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, oid)| oid.to_string())
    .collect();
    oids.extend(e.other.iter().map(|o| o.to_id_string()));
    oids.join(", ")
}

fn subject_alt_names(cert: &X509Certificate<'_>) -> String {
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return String::new();
    };
    let mut out = Vec::new();
    for name in &ext.value.general_names {
        match name {
            GeneralName::DNSName(s) | GeneralName::RFC822Name(s) | GeneralName::URI(s) => {
                out.push(s.to_string())
            }
            GeneralName::IPAddress(b) => match b.len() {
                4 => out.push(std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string()),
                16 => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(b);
                    out.push(std::net::Ipv6Addr::from(a).to_string())
                }
                _ => out.push(hex_upper(b)),
            },
            GeneralName::DirectoryName(n) => out.push(name_string(n)),
            _ => {}
        }
    }
    out.join(", ")
}

/// "23-Jan-2000 15:00:00" (UTC) from Unix seconds.
pub fn format_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02}-{}-{:04} {:02}:{:02}:{:02}",
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials() {
        assert_eq!(serial_magnitude(&[0, 0x8a, 1]), &[0x8a, 1]);
        assert_eq!(serial_magnitude(&[0, 0x7f]), &[0, 0x7f]);
        assert_eq!(serial_magnitude(&[0]), &[0]);
        assert_eq!(serial_magnitude(&[]), &[] as &[u8]);
    }

    #[test]
    fn dates() {
        assert_eq!(format_date(0), "01-Jan-1970 00:00:00");
        assert_eq!(format_date(948_639_600), "23-Jan-2000 15:00:00");
        assert_eq!(format_date(1_580_515_200), "01-Feb-2020 00:00:00");
        assert_eq!(format_date(-1), "31-Dec-1969 23:59:59");
    }

    #[test]
    fn hostile_input_is_an_error() {
        assert_eq!(
            CertificateInfo::from_der(b"").unwrap_err().code,
            code::TLS_CERT_NOT_FOUND
        );
        assert_eq!(
            CertificateInfo::from_der(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff])
                .unwrap_err()
                .code,
            code::TLS_CERT_NOT_FOUND
        );
        assert!(parse_certificates(
            b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n"
        )
        .is_err());
        assert!(parse_certificates(b"not a cert").is_err());
        let c = ClientCert::new(
            CertStore::Pkcs12Blob(vec![0x30, 0x03, 0x02, 0x01, 0x03]),
            "x",
        );
        assert_eq!(c.load().unwrap_err().code, code::TLS_STORE);
        let c = ClientCert::new(CertStore::PemBlob(b"hello".to_vec()), "");
        assert_eq!(c.load().unwrap_err().code, code::TLS_STORE);
    }

    #[test]
    fn store_types() {
        for t in [0, 1, 4, 5, 8, 23] {
            assert_eq!(
                ClientCert::from_store_type(t, b"x", "", "")
                    .unwrap_err()
                    .code,
                code::TLS_STORE,
                "{t}"
            );
        }
        let c = ClientCert::from_store_type(99, b"-----BEGIN PRIVATE KEY-----\n", "", "").unwrap();
        assert!(matches!(c.store, CertStore::PemBlob(_)));
        let c = ClientCert::from_store_type(2, b"/x.p12", "pw", "*").unwrap();
        assert_eq!(c.store, CertStore::Pkcs12File("/x.p12".into()));
        assert!(!format!("{c:?}").contains("pw"));
    }
}
