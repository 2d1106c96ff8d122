//! The documented Certificate type: a certificate to show (SSLServerCert), to pin
//! (SSLAcceptServerCert) or to authenticate with (SSLCert, which also names the store its
//! private key comes from).
//!
//! A Certificate is a value built by one of its constructors and read through its fields.
//! The reference lets an application assign Store, StoreType, Subject and Encoded one by one
//! and searches the store on each assignment; here the constructors take them together and
//! open the store at once, so a wrong password or a missing certificate (271, 272, 273) is
//! reported where the application names the certificate, not later inside Connect.

use crate::error::{code, Error, Result};
use crate::transport::{certs, CertificateInfo, ClientCert};
use std::sync::{Arc, LazyLock};

/// What a store-type constructor selected: enough to open the same store again for every
/// connection attempt (each TLS handshake loads the key afresh; nothing secret is cached
/// beyond what the application handed over).
#[derive(Clone, PartialEq, Eq)]
struct Selection {
    client: ClientCert,
}

impl std::fmt::Debug for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.client.fmt(f)
    }
}

/// A certificate's value is shared and immutable: cloning is a reference count, and the
/// empty certificate every client starts with (three of them: SSLCert, SSLAcceptServerCert,
/// SSLServerCert) costs no memory of its own.
///
/// ```no_run
/// use ferromq::{Certificate, Mqtt};
///
/// # fn main() -> ferromq::Result<()> {
/// // A CA to trust, and a client certificate with its key from a PKCS#12 file.
/// let ca = Certificate::from_file("ca.pem")?;
/// println!("trusting {} until {}", ca.subject(), ca.expiration_date());
/// let mine = Certificate::from_store(2, b"client.p12", "secret", "*")?;
/// assert!(mine.private_key_available());
/// let client = Mqtt::new();
/// client.set_ssl_cert(mine)?;
/// client.set_ssl_enabled(true)?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate {
    data: Option<Arc<Data>>,
}

#[derive(Debug, PartialEq, Eq)]
struct Data {
    store_type: i32,
    store: Vec<u8>,
    store_password: String,
    subject: String,
    info: CertificateInfo,
    selection: Option<Selection>,
}

impl Default for Data {
    fn default() -> Self {
        Data {
            store_type: 0,
            store: b"MY".to_vec(),
            store_password: String::new(),
            subject: String::new(),
            info: CertificateInfo::default(),
            selection: None,
        }
    }
}

static EMPTY: LazyLock<Data> = LazyLock::new(Data::default);

impl Certificate {
    /// An empty certificate: every field at its default (Store "MY", StoreType 0).
    pub fn new() -> Certificate {
        Certificate::default()
    }

    /// An X.509 certificate from its encoded form: PEM, base64 or DER.
    pub fn from_encoded(encoded: &[u8]) -> Result<Certificate> {
        let der = certs::parse_certificates(encoded).map_err(|e| {
            Error::new(
                code::TLS_CERT_NOT_FOUND,
                format!("the encoded certificate is not readable: {}", e.message),
            )
        })?;
        // parse_certificates never returns an empty list on success.
        let info = CertificateInfo::from_der(&der[0])?;
        Ok(Certificate::from_info(info))
    }

    /// An X.509 certificate read from a file (PEM, base64 or DER).
    pub fn from_file(path: &str) -> Result<Certificate> {
        let data = std::fs::read(path).map_err(|e| {
            Error::new(
                code::TLS_STORE,
                format!("cannot read the certificate file \"{path}\": {e}"),
            )
        })?;
        Certificate::from_encoded(&data).map_err(|e| {
            Error::new(
                e.code,
                format!("certificate file \"{path}\": {}", e.message),
            )
        })
    }

    /// A certificate with its private key, from a store: StoreType 2/3 (PKCS#12 file or
    /// blob), 6/7 (PEM file or blob) or 99 (detect). `store` is the file name for the file
    /// types and the content for the blob types. `subject` selects the certificate: "" or
    /// "*" for the first with a key, a subject or a part of one, or "Thumbprint=HEX".
    pub fn from_store(
        store_type: i32,
        store: &[u8],
        store_password: &str,
        subject: &str,
    ) -> Result<Certificate> {
        let client = ClientCert::from_store_type(store_type, store, store_password, subject)?;
        Certificate::select(store_type, store, store_password, client)
    }

    /// A store holding the private key, and the certificate to use with it given apart
    /// (a PEM key file and its certificate).
    pub fn from_store_encoded(
        store_type: i32,
        store: &[u8],
        store_password: &str,
        encoded: &[u8],
    ) -> Result<Certificate> {
        let mut client = ClientCert::from_store_type(store_type, store, store_password, "")?;
        let wanted = certs::parse_certificates(encoded).map_err(|e| {
            Error::new(
                code::TLS_CERT_NOT_FOUND,
                format!("the encoded certificate is not readable: {}", e.message),
            )
        })?;
        client.encoded = encoded.to_vec();
        // A store that has several certificates: pick the one given.
        let thumb = CertificateInfo::from_der(&wanted[0])?.thumbprint_sha256;
        client.subject = format!("Thumbprint={thumb}");
        Certificate::select(store_type, store, store_password, client)
    }

    fn select(
        store_type: i32,
        store: &[u8],
        store_password: &str,
        client: ClientCert,
    ) -> Result<Certificate> {
        let identity = client.load()?;
        let mut info = identity.info;
        info.private_key_available = true;
        Ok(Certificate::of(Data {
            store_type,
            store: store.to_vec(),
            store_password: store_password.to_string(),
            subject: info.subject.clone(),
            info,
            selection: Some(Selection { client }),
        }))
    }

    /// A certificate seen on the wire (the server's).
    pub(crate) fn from_info(info: CertificateInfo) -> Certificate {
        Certificate::of(Data {
            subject: info.subject.clone(),
            info,
            ..Data::default()
        })
    }

    fn of(data: Data) -> Certificate {
        Certificate {
            data: Some(Arc::new(data)),
        }
    }

    fn d(&self) -> &Data {
        self.data.as_deref().unwrap_or(&EMPTY)
    }

    /// Whether this is the empty certificate (nothing encoded, no store selected).
    pub fn is_empty(&self) -> bool {
        self.d().info.encoded_b.is_empty() && self.d().selection.is_none()
    }

    /// The store and selection to authenticate with, when built from a store.
    pub(crate) fn client_cert(&self) -> Option<ClientCert> {
        self.d().selection.as_ref().map(|s| s.client.clone())
    }

    /// Every read-only field, as computed from the certificate's DER.
    pub fn info(&self) -> &CertificateInfo {
        &self.d().info
    }

    /// The store type: 0 for none (a certificate without key), 2/3 PKCS#12 file/blob, 6/7 PEM
    /// file/blob.
    pub fn store_type(&self) -> i32 {
        self.d().store_type
    }
    /// Store as text: the file name, or the blob as (lossy) UTF-8.
    pub fn store(&self) -> String {
        String::from_utf8_lossy(&self.d().store).into_owned()
    }
    /// Store as bytes: the file name, or the blob itself.
    pub fn store_b(&self) -> &[u8] {
        &self.d().store
    }
    /// The password the store was opened with.
    pub fn store_password(&self) -> &str {
        &self.d().store_password
    }
    /// The key's password: the same as the store's (one password opens both here).
    pub fn key_password(&self) -> &str {
        &self.d().store_password
    }
    /// Never exported: the private key stays with the TLS stack. PrivateKeyAvailable says
    /// whether there is one.
    pub fn private_key(&self) -> &str {
        ""
    }
    /// A Windows key container; there is none on this platform.
    pub fn private_key_container(&self) -> &str {
        ""
    }
    /// True when a private key was loaded with the certificate (client certificates only).
    pub fn private_key_available(&self) -> bool {
        self.d().info.private_key_available
    }
    /// The subject's distinguished name, most specific part first ("CN=host, O=org").
    pub fn subject(&self) -> &str {
        &self.d().subject
    }
    /// The issuer's distinguished name, in the same form as `subject`.
    pub fn issuer(&self) -> &str {
        &self.d().info.issuer
    }
    /// Start of validity, as "23-Jan-2000 15:00:00" in UTC.
    pub fn effective_date(&self) -> &str {
        &self.d().info.effective_date
    }
    /// End of validity, in the same form as `effective_date`.
    pub fn expiration_date(&self) -> &str {
        &self.d().info.expiration_date
    }
    /// Extended key usages, comma-separated (such as server and client authentication).
    pub fn extended_key_usage(&self) -> &str {
        &self.d().info.extended_key_usage
    }
    /// Hash of the DER certificate: colon-separated lower-case hex (MD5).
    pub fn fingerprint(&self) -> &str {
        &self.d().info.fingerprint
    }
    /// The same with SHA-1.
    pub fn fingerprint_sha1(&self) -> &str {
        &self.d().info.fingerprint_sha1
    }
    /// The same with SHA-256.
    pub fn fingerprint_sha256(&self) -> &str {
        &self.d().info.fingerprint_sha256
    }
    /// The SubjectPublicKeyInfo, base64.
    pub fn public_key(&self) -> &str {
        &self.d().info.public_key
    }
    /// The public key's algorithm (such as "RSA" or "EC").
    pub fn public_key_algorithm(&self) -> &str {
        &self.d().info.public_key_algorithm
    }
    /// The public key's size in bits.
    pub fn public_key_length(&self) -> i32 {
        self.d().info.public_key_length as i32
    }
    /// The serial number, upper-case hex.
    pub fn serial_number(&self) -> &str {
        &self.d().info.serial_number
    }
    /// The signature algorithm the issuer used.
    pub fn signature_algorithm(&self) -> &str {
        &self.d().info.signature_algorithm
    }
    /// Subject alternative names, comma-separated (DNS names, addresses, e-mail, URIs).
    pub fn subject_alt_names(&self) -> &str {
        &self.d().info.subject_alt_names
    }
    /// Upper-case hex MD5 hash of the DER certificate, without separators.
    pub fn thumbprint_md5(&self) -> &str {
        &self.d().info.thumbprint_md5
    }
    /// The same with SHA-1.
    pub fn thumbprint_sha1(&self) -> &str {
        &self.d().info.thumbprint_sha1
    }
    /// The same with SHA-256.
    pub fn thumbprint_sha256(&self) -> &str {
        &self.d().info.thumbprint_sha256
    }
    /// Key usages as text ("Digital Signature, Key Encipherment"); empty when the
    /// certificate has no key usage extension.
    pub fn usage(&self) -> &str {
        &self.d().info.usage
    }
    /// The key usage bits (0x80 digital signature down to 0x01).
    pub fn usage_flags(&self) -> i32 {
        self.d().info.usage_flags as i32
    }
    /// The X.509 version: "V1", "V2" or "V3".
    pub fn version(&self) -> &str {
        &self.d().info.version
    }
    /// The certificate, base64 (PEM without its armour lines).
    pub fn encoded(&self) -> &str {
        &self.d().info.encoded
    }
    /// The certificate, DER.
    pub fn encoded_b(&self) -> &[u8] {
        &self.d().info.encoded_b
    }
}
