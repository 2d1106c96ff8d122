//! The transport's value types for JavaScript: `NativeCertificate` (the core's read-only
//! `Certificate`, built by its factories) and `FirewallFields` (the core's `Firewall` as a
//! plain object). `index.js` wraps them into the documented `Certificate` and `Firewall`
//! classes (argument checks, field names, equality); the client's properties that take them
//! (`sslCert`, `firewall`, ...) are in client.rs.

use crate::errors;
use crate::guard::guarded;
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi::Env;
use napi_derive::napi;

/// A certificate: the server's (SSLServerCert), one to pin (SSLAcceptServerCert), or ours
/// with its private key (SSLCert). Never changes once built.
#[napi]
pub struct NativeCertificate {
    pub(crate) inner: ferromq::Certificate,
}

impl NativeCertificate {
    pub(crate) fn wrap(inner: ferromq::Certificate) -> Self {
        NativeCertificate { inner }
    }
}

fn built(env: &Env, r: ferromq::Result<ferromq::Certificate>) -> napi::Result<NativeCertificate> {
    r.map(NativeCertificate::wrap)
        .map_err(|e| errors::to_js(env, &e))
}

/// Bytes for JavaScript, or null when there are none (napi-rs cannot make an empty Buffer
/// safely; index.js makes one).
fn bytes(data: &[u8]) -> Option<Buffer> {
    if data.is_empty() {
        None
    } else {
        Some(Buffer::from(data.to_vec()))
    }
}

#[napi]
impl NativeCertificate {
    /// The empty certificate.
    #[napi(constructor)]
    pub fn new() -> Self {
        NativeCertificate::wrap(ferromq::Certificate::new())
    }

    /// An X.509 certificate read from a file (PEM, base64 or DER).
    #[napi(factory, js_name = "fromFile")]
    pub fn from_file(env: Env, path: String) -> napi::Result<Self> {
        guarded(|| built(&env, ferromq::Certificate::from_file(&path)))
    }

    /// An X.509 certificate from its encoded form (PEM/base64 text as UTF-8, or DER).
    #[napi(factory, js_name = "fromEncoded")]
    pub fn from_encoded(env: Env, encoded: Uint8Array) -> napi::Result<Self> {
        guarded(|| built(&env, ferromq::Certificate::from_encoded(&encoded)))
    }

    /// A certificate with its private key from a store (the file name for the file store
    /// types, the content for the blob types).
    #[napi(factory, js_name = "fromStore")]
    pub fn from_store(
        env: Env,
        store_type: i32,
        store: Uint8Array,
        store_password: String,
        subject: String,
    ) -> napi::Result<Self> {
        guarded(|| {
            built(
                &env,
                ferromq::Certificate::from_store(store_type, &store, &store_password, &subject),
            )
        })
    }

    /// A store holding the private key, with its certificate given apart.
    #[napi(factory, js_name = "fromStoreEncoded")]
    pub fn from_store_encoded(
        env: Env,
        store_type: i32,
        store: Uint8Array,
        store_password: String,
        encoded: Uint8Array,
    ) -> napi::Result<Self> {
        guarded(|| {
            built(
                &env,
                ferromq::Certificate::from_store_encoded(
                    store_type,
                    &store,
                    &store_password,
                    &encoded,
                ),
            )
        })
    }

    #[napi(js_name = "isEmpty")]
    pub fn is_empty(&self) -> napi::Result<bool> {
        guarded(|| Ok(self.inner.is_empty()))
    }

    /// The same certificate from the same store.
    #[napi]
    pub fn equals(&self, other: &NativeCertificate) -> napi::Result<bool> {
        guarded(|| Ok(self.inner == other.inner))
    }

    #[napi(getter, js_name = "effectiveDate")]
    pub fn effective_date(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.effective_date().to_string()))
    }
    #[napi(getter, js_name = "expirationDate")]
    pub fn expiration_date(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.expiration_date().to_string()))
    }
    #[napi(getter, js_name = "extendedKeyUsage")]
    pub fn extended_key_usage(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.extended_key_usage().to_string()))
    }
    #[napi(getter)]
    pub fn fingerprint(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.fingerprint().to_string()))
    }
    #[napi(getter, js_name = "fingerprintSHA1")]
    pub fn fingerprint_sha1(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.fingerprint_sha1().to_string()))
    }
    #[napi(getter, js_name = "fingerprintSHA256")]
    pub fn fingerprint_sha256(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.fingerprint_sha256().to_string()))
    }
    #[napi(getter)]
    pub fn issuer(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.issuer().to_string()))
    }
    #[napi(getter, js_name = "keyPassword")]
    pub fn key_password(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.key_password().to_string()))
    }
    #[napi(getter, js_name = "privateKey")]
    pub fn private_key(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.private_key().to_string()))
    }
    #[napi(getter, js_name = "privateKeyAvailable")]
    pub fn private_key_available(&self) -> napi::Result<bool> {
        guarded(|| Ok(self.inner.private_key_available()))
    }
    #[napi(getter, js_name = "privateKeyContainer")]
    pub fn private_key_container(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.private_key_container().to_string()))
    }
    #[napi(getter, js_name = "publicKey")]
    pub fn public_key(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.public_key().to_string()))
    }
    #[napi(getter, js_name = "publicKeyAlgorithm")]
    pub fn public_key_algorithm(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.public_key_algorithm().to_string()))
    }
    #[napi(getter, js_name = "publicKeyLength")]
    pub fn public_key_length(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.public_key_length()))
    }
    #[napi(getter, js_name = "serialNumber")]
    pub fn serial_number(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.serial_number().to_string()))
    }
    #[napi(getter, js_name = "signatureAlgorithm")]
    pub fn signature_algorithm(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.signature_algorithm().to_string()))
    }
    #[napi(getter)]
    pub fn store(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.store()))
    }
    #[napi(getter, js_name = "storeB")]
    pub fn store_b(&self) -> napi::Result<Option<Buffer>> {
        guarded(|| Ok(bytes(self.inner.store_b())))
    }
    #[napi(getter, js_name = "storePassword")]
    pub fn store_password(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.store_password().to_string()))
    }
    #[napi(getter, js_name = "storeType")]
    pub fn store_type(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.store_type()))
    }
    #[napi(getter, js_name = "subjectAltNames")]
    pub fn subject_alt_names(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.subject_alt_names().to_string()))
    }
    #[napi(getter, js_name = "thumbprintMD5")]
    pub fn thumbprint_md5(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.thumbprint_md5().to_string()))
    }
    #[napi(getter, js_name = "thumbprintSHA1")]
    pub fn thumbprint_sha1(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.thumbprint_sha1().to_string()))
    }
    #[napi(getter, js_name = "thumbprintSHA256")]
    pub fn thumbprint_sha256(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.thumbprint_sha256().to_string()))
    }
    #[napi(getter)]
    pub fn usage(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.usage().to_string()))
    }
    #[napi(getter, js_name = "usageFlags")]
    pub fn usage_flags(&self) -> napi::Result<i32> {
        guarded(|| Ok(self.inner.usage_flags()))
    }
    #[napi(getter)]
    pub fn version(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.version().to_string()))
    }
    #[napi(getter)]
    pub fn subject(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.subject().to_string()))
    }
    #[napi(getter)]
    pub fn encoded(&self) -> napi::Result<String> {
        guarded(|| Ok(self.inner.encoded().to_string()))
    }
    #[napi(getter, js_name = "encodedB")]
    pub fn encoded_b(&self) -> napi::Result<Option<Buffer>> {
        guarded(|| Ok(bytes(self.inner.encoded_b())))
    }
}

impl Default for NativeCertificate {
    fn default() -> Self {
        NativeCertificate::new()
    }
}

/// The proxy to connect through, field for field (index.js checks the JavaScript types
/// before the values get here; the core checks the values).
#[napi(object)]
pub struct FirewallFields {
    #[napi(js_name = "autoDetect")]
    pub auto_detect: bool,
    #[napi(js_name = "firewallType")]
    pub firewall_type: i32,
    pub host: String,
    pub password: String,
    pub port: i32,
    pub user: String,
}

impl FirewallFields {
    pub(crate) fn from_core(fw: ferromq::Firewall) -> Self {
        FirewallFields {
            auto_detect: fw.auto_detect,
            firewall_type: fw.firewall_type,
            host: fw.host,
            password: fw.password,
            port: fw.port,
            user: fw.user,
        }
    }

    pub(crate) fn into_core(self) -> ferromq::Firewall {
        let mut fw = ferromq::Firewall::new();
        fw.auto_detect = self.auto_detect;
        fw.firewall_type = self.firewall_type;
        fw.host = self.host;
        fw.password = self.password;
        fw.port = self.port;
        fw.user = self.user;
        fw
    }
}
