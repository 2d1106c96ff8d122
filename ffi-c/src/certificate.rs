//! The documented Certificate type as an opaque handle, `mqtt_certificate_t`, and the three
//! properties that hold one: SSLCert, SSLAcceptServerCert and SSLServerCert.
//!
//! A certificate never changes once built, so its fields are handed out once, as one
//! struct of borrowed pointers (`mqtt_certificate_info`) that lives as long as the handle:
//! the caller reads fields without a free per string.

use crate::error::invalid;
use crate::handle::{client, mqtt_t};
use crate::panic::{catch, guard};
use crate::ptr::{borrow, bytes_in, cstring, reclaim, str_in, Out};
use ferromq::{Certificate, Error, Mqtt};
use std::ffi::{c_char, c_int, CString};

/// Certificate store type: a PKCS#12 (PFX) file; the store is its file name.
pub const MQTT_CERT_STORE_PFX_FILE: c_int = 2;
/// Certificate store type: the content of a PKCS#12 (PFX) file (binary or base64).
pub const MQTT_CERT_STORE_PFX_BLOB: c_int = 3;
/// Certificate store type: a PEM file holding a private key and optionally its certificate.
pub const MQTT_CERT_STORE_PEM_KEY_FILE: c_int = 6;
/// Certificate store type: PEM text holding a private key and optionally its certificate.
pub const MQTT_CERT_STORE_PEM_KEY_BLOB: c_int = 7;
/// Certificate store type: detect the format from the content (file name or blob).
pub const MQTT_CERT_STORE_AUTO: c_int = 99;

/// Every field of a certificate (the documented Certificate type), as read by
/// mqtt_certificate_get_info. All strings are UTF-8 and NUL-terminated, "" when the field
/// is empty; no pointer is ever NULL.
///
/// Ownership: everything belongs to the certificate handle and stays valid until
/// mqtt_certificate_free; copy what you keep longer. Never write through or free the
/// fields.
///
/// ABI: the library allocates it and hands out a pointer to it, so a later version may add
/// fields at its end; existing fields never move.
#[repr(C)]
pub struct mqtt_certificate_info {
    /// One of MQTT_CERT_STORE_* for a certificate built from a store, else 0.
    pub store_type: c_int,
    /// The store as text: the file name, or the blob (lossy UTF-8).
    pub store: *const c_char,
    /// The store exactly: `store_b_len` bytes.
    pub store_b: *const u8,
    pub store_b_len: usize,
    pub store_password: *const c_char,
    /// The key's password (the store's: one password opens both).
    pub key_password: *const c_char,
    /// Whether the certificate comes with its private key (needed for SSLCert).
    pub private_key_available: bool,
    /// Always "": the private key stays with the TLS stack and is never exported.
    pub private_key: *const c_char,
    /// Always "": there are no key containers on this platform.
    pub private_key_container: *const c_char,
    /// E.g. "CN=localhost, O=ferromq tests".
    pub subject: *const c_char,
    pub issuer: *const c_char,
    /// Start of validity in UTC, e.g. "23-Jan-2000 15:00:00".
    pub effective_date: *const c_char,
    /// End of validity, same format.
    pub expiration_date: *const c_char,
    /// Comma-separated OIDs of the extended key usages.
    pub extended_key_usage: *const c_char,
    /// MD5 of the DER certificate, lower-case hex bytes separated by ':'.
    pub fingerprint: *const c_char,
    pub fingerprint_sha1: *const c_char,
    pub fingerprint_sha256: *const c_char,
    /// The SubjectPublicKeyInfo, base64.
    pub public_key: *const c_char,
    /// "RSA", "ECDSA", "Ed25519", "Ed448", "DSA", or the algorithm's OID.
    pub public_key_algorithm: *const c_char,
    /// In bits: the RSA modulus or the curve size.
    pub public_key_length: c_int,
    /// Upper-case hex, two digits per byte.
    pub serial_number: *const c_char,
    pub signature_algorithm: *const c_char,
    /// E.g. "localhost, 127.0.0.1, ::1": DNS names, addresses, e-mail addresses, URIs.
    pub subject_alt_names: *const c_char,
    /// The fingerprints again as upper-case hex without separators.
    pub thumbprint_md5: *const c_char,
    pub thumbprint_sha1: *const c_char,
    pub thumbprint_sha256: *const c_char,
    /// E.g. "Digital Signature, Key Encipherment"; "" without a key usage extension.
    pub usage: *const c_char,
    /// The key usages as bits (0x80 digital signature ... 0x01 encipher only).
    pub usage_flags: c_int,
    /// "V1", "V2" or "V3".
    pub version: *const c_char,
    /// The certificate, base64 (PEM without its armour lines).
    pub encoded: *const c_char,
    /// The certificate, DER: `encoded_b_len` bytes.
    pub encoded_b: *const u8,
    pub encoded_b_len: usize,
}

/// A certificate. Opaque: build it with mqtt_certificate_new or mqtt_certificate_from_*,
/// release it with mqtt_certificate_free. Immutable, so one handle may be read from several
/// threads at once.
pub struct mqtt_certificate_t {
    cert: Certificate,
    /// What `info`'s string fields point into. A CString's buffer does not move when the
    /// Vec or the handle does.
    _texts: Vec<CString>,
    info: mqtt_certificate_info,
}

impl mqtt_certificate_t {
    fn boxed(cert: Certificate) -> Box<mqtt_certificate_t> {
        let mut texts = Vec::with_capacity(24);
        let mut text = |s: &str| {
            let c = cstring(s);
            let p = c.as_ptr();
            texts.push(c);
            p
        };
        let store_text = text(&cert.store());
        let info = mqtt_certificate_info {
            store_type: cert.store_type(),
            store: store_text,
            // The store lives in the certificate's shared value, which the handle holds.
            store_b: cert.store_b().as_ptr(),
            store_b_len: cert.store_b().len(),
            store_password: text(cert.store_password()),
            key_password: text(cert.key_password()),
            private_key_available: cert.private_key_available(),
            private_key: text(cert.private_key()),
            private_key_container: text(cert.private_key_container()),
            subject: text(cert.subject()),
            issuer: text(cert.issuer()),
            effective_date: text(cert.effective_date()),
            expiration_date: text(cert.expiration_date()),
            extended_key_usage: text(cert.extended_key_usage()),
            fingerprint: text(cert.fingerprint()),
            fingerprint_sha1: text(cert.fingerprint_sha1()),
            fingerprint_sha256: text(cert.fingerprint_sha256()),
            public_key: text(cert.public_key()),
            public_key_algorithm: text(cert.public_key_algorithm()),
            public_key_length: cert.public_key_length(),
            serial_number: text(cert.serial_number()),
            signature_algorithm: text(cert.signature_algorithm()),
            subject_alt_names: text(cert.subject_alt_names()),
            thumbprint_md5: text(cert.thumbprint_md5()),
            thumbprint_sha1: text(cert.thumbprint_sha1()),
            thumbprint_sha256: text(cert.thumbprint_sha256()),
            usage: text(cert.usage()),
            usage_flags: cert.usage_flags(),
            version: text(cert.version()),
            encoded: text(cert.encoded()),
            encoded_b: cert.encoded_b().as_ptr(),
            encoded_b_len: cert.encoded_b().len(),
        };
        Box::new(mqtt_certificate_t {
            cert,
            _texts: texts,
            info,
        })
    }
}

/// Hand a new certificate handle to C through `out`.
fn put_cert(out: Out<*mut mqtt_certificate_t>, cert: Certificate) {
    out.put(Box::into_raw(mqtt_certificate_t::boxed(cert)))
}

/// Borrow a certificate handle for one call.
fn cert_in<'a>(
    ptr: *const mqtt_certificate_t,
    func: &str,
) -> Result<&'a mqtt_certificate_t, Error> {
    borrow(ptr, func, "the certificate").map_err(|e| {
        invalid(format!(
            "{} (use mqtt_certificate_new() for no certificate)",
            e.message
        ))
    })
}

/// Build a certificate with `make` and hand it out through `out` (NULL is refused first).
fn build(
    func: &'static str,
    out: *mut *mut mqtt_certificate_t,
    make: impl FnOnce() -> Result<Certificate, Error>,
) -> c_int {
    guard(func, || {
        let out = Out::new(out, func, "certificate")?;
        put_cert(out, make()?);
        Ok(())
    })
}

/// The empty certificate (no certificate: every field at its default, store "MY").
///
/// Ownership: the caller owns the handle and releases it with mqtt_certificate_free.
/// Returns NULL only if the library failed internally.
#[no_mangle]
pub extern "C" fn mqtt_certificate_new() -> *mut mqtt_certificate_t {
    catch(std::ptr::null_mut(), || {
        Box::into_raw(mqtt_certificate_t::boxed(Certificate::new()))
    })
}

/// An X.509 certificate from its encoded form: PEM or base64 text, or DER, `len` bytes.
/// Fails with 272 when it cannot be read. `*cert` receives a new handle (free it with
/// mqtt_certificate_free); it is untouched on failure.
#[no_mangle]
pub extern "C" fn mqtt_certificate_from_encoded(
    encoded: *const u8,
    len: usize,
    cert: *mut *mut mqtt_certificate_t,
) -> c_int {
    const F: &str = "mqtt_certificate_from_encoded";
    build(F, cert, || {
        let data = bytes_in(encoded, len, F, "encoded")?;
        Certificate::from_encoded(data)
    })
}

/// An X.509 certificate read from a file (PEM, base64 or DER). Fails with 271 when the file
/// cannot be read, 272 when it holds no certificate. `*cert` as for
/// mqtt_certificate_from_encoded.
#[no_mangle]
pub extern "C" fn mqtt_certificate_from_file(
    path: *const c_char,
    cert: *mut *mut mqtt_certificate_t,
) -> c_int {
    const F: &str = "mqtt_certificate_from_file";
    build(F, cert, || {
        let path = str_in(path, F, "path")?;
        Certificate::from_file(path)
    })
}

/// A certificate with its private key from a store (for mqtt_set_ssl_cert).
///
/// `store_type` is one of MQTT_CERT_STORE_*. `store` is `store_len` bytes: the file name
/// for the file types, the content for the blob types. `store_password` opens the store
/// and its key ("" for none). `subject` selects the certificate: "" or "*" for the first
/// one with a key, a subject or part of one ("CN=device-7"), or "Thumbprint=HEX". Fails
/// with 271 (unreadable store, wrong password, a store type this platform has not), 272
/// (no certificate matches) or 273 (no usable key). `*cert` as for
/// mqtt_certificate_from_encoded.
#[no_mangle]
pub extern "C" fn mqtt_certificate_from_store(
    store_type: c_int,
    store: *const u8,
    store_len: usize,
    store_password: *const c_char,
    subject: *const c_char,
    cert: *mut *mut mqtt_certificate_t,
) -> c_int {
    const F: &str = "mqtt_certificate_from_store";
    build(F, cert, || {
        let store = bytes_in(store, store_len, F, "store")?;
        let password = str_in(store_password, F, "store_password")?;
        let subject = str_in(subject, F, "subject")?;
        Certificate::from_store(store_type, store, password, subject)
    })
}

/// A store that holds the private key, with the certificate that goes with it given apart:
/// `encoded` (`encoded_len` bytes of PEM, base64 or DER), e.g. a PEM key file and the
/// content of its certificate file. Other arguments and errors as for
/// mqtt_certificate_from_store.
#[no_mangle]
pub extern "C" fn mqtt_certificate_from_store_encoded(
    store_type: c_int,
    store: *const u8,
    store_len: usize,
    store_password: *const c_char,
    encoded: *const u8,
    encoded_len: usize,
    cert: *mut *mut mqtt_certificate_t,
) -> c_int {
    const F: &str = "mqtt_certificate_from_store_encoded";
    build(F, cert, || {
        let store = bytes_in(store, store_len, F, "store")?;
        let password = str_in(store_password, F, "store_password")?;
        let encoded = bytes_in(encoded, encoded_len, F, "encoded")?;
        Certificate::from_store_encoded(store_type, store, password, encoded)
    })
}

/// The fields of `cert`. `*info` receives a pointer into the handle, valid until
/// mqtt_certificate_free (see mqtt_certificate_info).
#[no_mangle]
pub extern "C" fn mqtt_certificate_get_info(
    cert: *const mqtt_certificate_t,
    info: *mut *const mqtt_certificate_info,
) -> c_int {
    const F: &str = "mqtt_certificate_get_info";
    guard(F, || {
        let c = cert_in(cert, F)?;
        Out::new(info, F, "info")?.put(&c.info as *const mqtt_certificate_info);
        Ok(())
    })
}

/// Whether `cert` is the empty certificate (nothing encoded, no store). `*empty` receives
/// the answer.
#[no_mangle]
pub extern "C" fn mqtt_certificate_is_empty(
    cert: *const mqtt_certificate_t,
    empty: *mut bool,
) -> c_int {
    const F: &str = "mqtt_certificate_is_empty";
    guard(F, || {
        let c = cert_in(cert, F)?;
        Out::new(empty, F, "empty")?.put(c.cert.is_empty());
        Ok(())
    })
}

/// Release a certificate handle. NULL is ignored. A client that was given the certificate
/// (mqtt_set_ssl_cert, ...) keeps its own copy, so freeing it right after is fine.
#[no_mangle]
pub extern "C" fn mqtt_certificate_free(cert: *mut mqtt_certificate_t) {
    catch((), || drop(reclaim(cert)))
}

/// Body of the certificate getters.
fn get_cert(
    func: &'static str,
    mqtt: *const mqtt_t,
    out: *mut *mut mqtt_certificate_t,
    read: impl FnOnce(&Mqtt) -> Certificate,
) -> c_int {
    guard(func, || {
        let c = client(mqtt, func)?;
        let out = Out::new(out, func, "certificate")?;
        put_cert(out, read(&c));
        Ok(())
    })
}

/// Body of the certificate setters.
fn set_cert(
    func: &'static str,
    mqtt: *mut mqtt_t,
    cert: *const mqtt_certificate_t,
    write: impl FnOnce(&Mqtt, Certificate) -> Result<(), Error>,
) -> c_int {
    guard(func, || {
        let c = client(mqtt, func)?;
        let cert = cert_in(cert, func)?;
        write(&c, cert.cert.clone())
    })
}

/// SSLCert: the certificate (with its private key) this client authenticates with.
/// `*cert` receives a new handle: free it with mqtt_certificate_free.
#[no_mangle]
pub extern "C" fn mqtt_get_ssl_cert(
    mqtt: *const mqtt_t,
    cert: *mut *mut mqtt_certificate_t,
) -> c_int {
    get_cert("mqtt_get_ssl_cert", mqtt, cert, Mqtt::ssl_cert)
}

/// Set SSLCert (copied; the empty certificate offers none). Used from the next connection
/// attempt on. A certificate without its private key fails with 273.
#[no_mangle]
pub extern "C" fn mqtt_set_ssl_cert(mqtt: *mut mqtt_t, cert: *const mqtt_certificate_t) -> c_int {
    set_cert("mqtt_set_ssl_cert", mqtt, cert, Mqtt::set_ssl_cert)
}

/// SSLAcceptServerCert: a server certificate accepted as it is, without verification.
/// `*cert` receives a new handle: free it with mqtt_certificate_free.
#[no_mangle]
pub extern "C" fn mqtt_get_ssl_accept_server_cert(
    mqtt: *const mqtt_t,
    cert: *mut *mut mqtt_certificate_t,
) -> c_int {
    get_cert(
        "mqtt_get_ssl_accept_server_cert",
        mqtt,
        cert,
        Mqtt::ssl_accept_server_cert,
    )
}

/// Set SSLAcceptServerCert (copied): a server presenting exactly this certificate is
/// accepted even when it does not verify; any other is verified as usual. The empty
/// certificate turns it off.
#[no_mangle]
pub extern "C" fn mqtt_set_ssl_accept_server_cert(
    mqtt: *mut mqtt_t,
    cert: *const mqtt_certificate_t,
) -> c_int {
    set_cert(
        "mqtt_set_ssl_accept_server_cert",
        mqtt,
        cert,
        Mqtt::set_ssl_accept_server_cert,
    )
}

/// SSLServerCert (read-only): the certificate the server presented on the current or last
/// connection; empty before the first TLS handshake and at the start of each attempt.
/// `*cert` receives a new handle: free it with mqtt_certificate_free.
#[no_mangle]
pub extern "C" fn mqtt_get_ssl_server_cert(
    mqtt: *const mqtt_t,
    cert: *mut *mut mqtt_certificate_t,
) -> c_int {
    get_cert(
        "mqtt_get_ssl_server_cert",
        mqtt,
        cert,
        Mqtt::ssl_server_cert,
    )
}
