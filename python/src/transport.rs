//! The transport's value types as Python classes: `ferromq.Certificate` (read-only, built by
//! its class methods) and `ferromq.Firewall` (a plain mutable record). The client's
//! properties that take them (`ssl_cert`, `firewall`, ...) live in client.rs.

use crate::client::check;
use crate::error::to_i32;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// Bytes out of bytes, bytearray, memoryview or str (taken as UTF-8); `what` names the
/// argument in the TypeError for anything else.
fn bytes_arg(arg: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<u8>> {
    if let Ok(s) = arg.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if let Ok(b) = arg.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = arg.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if arg.cast::<PyMemoryView>().is_ok() {
        let b = arg.call_method0("tobytes")?;
        return Ok(b.cast::<PyBytes>()?.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be str, bytes, bytearray or memoryview, not {}",
        arg.get_type().name()?
    )))
}

/// A store argument: a path-like (file name) or the bytes / text of a blob store.
fn store_arg(store: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let py = store.py();
    let is_path = store.is_instance(&py.import("os")?.getattr("PathLike")?)?;
    if is_path {
        let s = py.import("os")?.call_method1("fspath", (store,))?;
        return bytes_arg(&s, "store");
    }
    bytes_arg(store, "store")
}

/// A path argument: str or os.PathLike.
fn path_arg(path: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = path.py();
    let s = py.import("os")?.call_method1("fspath", (path,))?;
    if let Ok(s) = s.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    Err(PyTypeError::new_err(
        "the certificate file must be given as str or os.PathLike of str",
    ))
}

/// A certificate: the server's (`mqtt.ssl_server_cert`), one to pin
/// (`mqtt.ssl_accept_server_cert`), or ours with its private key (`mqtt.ssl_cert`).
///
/// `Certificate()` is the empty certificate; the class methods build the others and raise
/// MQTTError (271 store, 272 certificate not found, ...) when the certificate cannot be
/// read. Every field is read-only; a Certificate never changes once built.
#[pyclass(frozen, module = "ferromq", name = "Certificate")]
pub struct PyCertificate {
    pub(crate) inner: ferromq::Certificate,
}

impl PyCertificate {
    pub fn wrap(inner: ferromq::Certificate) -> Self {
        PyCertificate { inner }
    }
}

#[pymethods]
impl PyCertificate {
    /// The empty certificate (no certificate: every field at its default).
    #[new]
    fn new() -> Self {
        PyCertificate::wrap(ferromq::Certificate::new())
    }

    /// An X.509 certificate read from a file (PEM, base64 or DER).
    #[classmethod]
    fn from_file(_cls: &Bound<'_, pyo3::types::PyType>, path: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = path.py();
        let path = path_arg(path)?;
        check(py, ferromq::Certificate::from_file(&path)).map(PyCertificate::wrap)
    }

    /// An X.509 certificate from its encoded form: PEM or base64 text, or DER bytes.
    #[classmethod]
    fn from_encoded(
        _cls: &Bound<'_, pyo3::types::PyType>,
        encoded: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let py = encoded.py();
        let data = bytes_arg(encoded, "encoded")?;
        check(py, ferromq::Certificate::from_encoded(&data)).map(PyCertificate::wrap)
    }

    /// A certificate and its private key from a store: store_type 2 (PKCS#12 file),
    /// 3 (PKCS#12 blob), 6 (PEM file), 7 (PEM blob) or 99 (detect). `store` is the file
    /// name (str or os.PathLike) for the file types and the content (bytes or str) for the
    /// blob types. `subject` picks the certificate: "" or "*" for the first one with a
    /// key, a subject or part of one, or "Thumbprint=HEX".
    #[classmethod]
    #[pyo3(signature = (store_type, store, store_password = "", subject = ""))]
    fn from_store(
        _cls: &Bound<'_, pyo3::types::PyType>,
        store_type: i64,
        store: &Bound<'_, PyAny>,
        store_password: &str,
        subject: &str,
    ) -> PyResult<Self> {
        let py = store.py();
        let store_type = to_i32(py, "StoreType", store_type)?;
        let store = store_arg(store)?;
        check(
            py,
            ferromq::Certificate::from_store(store_type, &store, store_password, subject),
        )
        .map(PyCertificate::wrap)
    }

    /// A store that holds the private key, with the certificate that goes with it given
    /// apart (`encoded`: PEM/base64 text or DER bytes), e.g. a PEM key file and its
    /// certificate file's content. Store types and `store` as for from_store().
    #[classmethod]
    #[pyo3(signature = (store_type, store, store_password, encoded))]
    fn from_store_encoded(
        _cls: &Bound<'_, pyo3::types::PyType>,
        store_type: i64,
        store: &Bound<'_, PyAny>,
        store_password: &str,
        encoded: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let py = store.py();
        let store_type = to_i32(py, "StoreType", store_type)?;
        let store = store_arg(store)?;
        let encoded = bytes_arg(encoded, "encoded")?;
        check(
            py,
            ferromq::Certificate::from_store_encoded(store_type, &store, store_password, &encoded),
        )
        .map(PyCertificate::wrap)
    }

    /// Whether this is the empty certificate.
    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Start of the validity period.
    #[getter]
    fn effective_date(&self) -> &str {
        self.inner.effective_date()
    }
    /// End of the validity period.
    #[getter]
    fn expiration_date(&self) -> &str {
        self.inner.expiration_date()
    }
    /// The extended key usages (OIDs), comma separated.
    #[getter]
    fn extended_key_usage(&self) -> &str {
        self.inner.extended_key_usage()
    }
    /// MD5 fingerprint, hex pairs separated by colons.
    #[getter]
    fn fingerprint(&self) -> &str {
        self.inner.fingerprint()
    }
    /// SHA-1 fingerprint, hex pairs separated by colons.
    #[getter]
    fn fingerprint_sha1(&self) -> &str {
        self.inner.fingerprint_sha1()
    }
    /// SHA-256 fingerprint, hex pairs separated by colons.
    #[getter]
    fn fingerprint_sha256(&self) -> &str {
        self.inner.fingerprint_sha256()
    }
    /// The issuer's distinguished name.
    #[getter]
    fn issuer(&self) -> &str {
        self.inner.issuer()
    }
    /// The private key's password (the store's: one password opens both).
    #[getter]
    fn key_password(&self) -> &str {
        self.inner.key_password()
    }
    /// Always "": the private key never leaves the TLS stack (see private_key_available).
    #[getter]
    fn private_key(&self) -> &str {
        self.inner.private_key()
    }
    /// Whether a private key goes with this certificate (built from a store).
    #[getter]
    fn private_key_available(&self) -> bool {
        self.inner.private_key_available()
    }
    /// A Windows key container's name; always "" here.
    #[getter]
    fn private_key_container(&self) -> &str {
        self.inner.private_key_container()
    }
    /// The SubjectPublicKeyInfo, base64.
    #[getter]
    fn public_key(&self) -> &str {
        self.inner.public_key()
    }
    /// The public key's algorithm (OID or name).
    #[getter]
    fn public_key_algorithm(&self) -> &str {
        self.inner.public_key_algorithm()
    }
    /// The public key's length in bits.
    #[getter]
    fn public_key_length(&self) -> i32 {
        self.inner.public_key_length()
    }
    /// The serial number, upper-case hex.
    #[getter]
    fn serial_number(&self) -> &str {
        self.inner.serial_number()
    }
    /// The signature's algorithm.
    #[getter]
    fn signature_algorithm(&self) -> &str {
        self.inner.signature_algorithm()
    }
    /// The store it came from: the file name, or a blob as text ("MY" when none).
    #[getter]
    fn store(&self) -> String {
        self.inner.store()
    }
    /// The store as bytes.
    #[getter]
    fn store_b<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.store_b())
    }
    /// The store's password.
    #[getter]
    fn store_password(&self) -> &str {
        self.inner.store_password()
    }
    /// The store's type (0 when not from a store).
    #[getter]
    fn store_type(&self) -> i32 {
        self.inner.store_type()
    }
    /// The subject's alternative names, comma separated.
    #[getter]
    fn subject_alt_names(&self) -> &str {
        self.inner.subject_alt_names()
    }
    /// MD5 thumbprint, upper-case hex without separators.
    #[getter]
    fn thumbprint_md5(&self) -> &str {
        self.inner.thumbprint_md5()
    }
    /// SHA-1 thumbprint, hex.
    #[getter]
    fn thumbprint_sha1(&self) -> &str {
        self.inner.thumbprint_sha1()
    }
    /// SHA-256 thumbprint, hex.
    #[getter]
    fn thumbprint_sha256(&self) -> &str {
        self.inner.thumbprint_sha256()
    }
    /// The key usages as text.
    #[getter]
    fn usage(&self) -> &str {
        self.inner.usage()
    }
    /// The key usages as flags.
    #[getter]
    fn usage_flags(&self) -> i32 {
        self.inner.usage_flags()
    }
    /// The X.509 version: "V1", "V2" or "V3".
    #[getter]
    fn version(&self) -> &str {
        self.inner.version()
    }
    /// The subject's distinguished name.
    #[getter]
    fn subject(&self) -> &str {
        self.inner.subject()
    }
    /// The certificate, base64 (PEM without its armour lines).
    #[getter]
    fn encoded(&self) -> &str {
        self.inner.encoded()
    }
    /// The certificate, DER bytes.
    #[getter]
    fn encoded_b<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.encoded_b())
    }

    // Anything that is not a Certificate: PyO3 answers NotImplemented.
    fn __eq__(&self, other: &Bound<'_, PyCertificate>) -> bool {
        self.inner == other.get().inner
    }

    fn __hash__(&self) -> u64 {
        // Equal certificates have the same DER, store type and store.
        let mut h = DefaultHasher::new();
        self.inner.encoded_b().hash(&mut h);
        self.inner.store_type().hash(&mut h);
        self.inner.store_b().hash(&mut h);
        h.finish()
    }

    fn __repr__(&self) -> String {
        if self.inner.is_empty() {
            return "<Certificate empty>".to_string();
        }
        format!(
            "<Certificate subject={:?} issuer={:?} expires={:?} private_key_available={}>",
            self.inner.subject(),
            self.inner.issuer(),
            self.inner.expiration_date(),
            if self.inner.private_key_available() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The proxy to connect through: assign one to `mqtt.firewall`.
///
/// A plain record: changing a field of the object `mqtt.firewall` returned changes only
/// that copy; assign it back (`m.firewall = fw`) to use it. firewall_type is 0 (none),
/// 1 (HTTP CONNECT tunnel), 2 (SOCKS4), 3 (SOCKS5) or 10 (SOCKS4A); port 0 takes the type's
/// usual port (80 for the tunnel, 1080 for SOCKS). The values are checked when assigned
/// to the client (MQTTError 10022).
#[pyclass(module = "ferromq", name = "Firewall")]
#[derive(Clone)]
pub struct PyFirewall {
    /// Take the proxy from the environment (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY, NO_PROXY)
    /// when firewall_type is 0.
    #[pyo3(get, set)]
    auto_detect: bool,
    /// 0 none, 1 HTTP tunnel, 2 SOCKS4, 3 SOCKS5, 10 SOCKS4A.
    #[pyo3(get, set)]
    firewall_type: i64,
    /// Name or address of the proxy.
    #[pyo3(get, set)]
    host: String,
    /// Password for the proxy ("" = none).
    #[pyo3(get, set)]
    password: String,
    /// Port of the proxy; 0 takes the type's usual one.
    #[pyo3(get, set)]
    port: i64,
    /// User name for the proxy ("" = none).
    #[pyo3(get, set)]
    user: String,
}

impl PyFirewall {
    pub fn from_core(fw: ferromq::Firewall) -> Self {
        PyFirewall {
            auto_detect: fw.auto_detect,
            firewall_type: i64::from(fw.firewall_type),
            host: fw.host,
            password: fw.password,
            port: i64::from(fw.port),
            user: fw.user,
        }
    }

    pub fn to_core(&self, py: Python<'_>) -> PyResult<ferromq::Firewall> {
        let mut fw = ferromq::Firewall::new();
        fw.auto_detect = self.auto_detect;
        fw.firewall_type = to_i32(py, "FirewallType", self.firewall_type)?;
        fw.host = self.host.clone();
        fw.password = self.password.clone();
        fw.port = to_i32(py, "FirewallPort", self.port)?;
        fw.user = self.user.clone();
        Ok(fw)
    }
}

#[pymethods]
impl PyFirewall {
    #[new]
    #[pyo3(signature = (firewall_type = 0, host = String::new(), port = 0, user = String::new(), password = String::new(), auto_detect = false))]
    fn new(
        firewall_type: i64,
        host: String,
        port: i64,
        user: String,
        password: String,
        auto_detect: bool,
    ) -> Self {
        PyFirewall {
            auto_detect,
            firewall_type,
            host,
            password,
            port,
            user,
        }
    }

    // Anything that is not a Firewall: PyO3 answers NotImplemented. Mutable, so not
    // hashable (a class with __eq__ and no __hash__).
    fn __eq__(&self, other: PyRef<'_, PyFirewall>) -> bool {
        self.auto_detect == other.auto_detect
            && self.firewall_type == other.firewall_type
            && self.host == other.host
            && self.password == other.password
            && self.port == other.port
            && self.user == other.user
    }

    fn __repr__(&self) -> String {
        // The password is not shown.
        format!(
            "<Firewall firewall_type={} host={:?} port={} user={:?} auto_detect={}>",
            self.firewall_type,
            self.host,
            self.port,
            self.user,
            if self.auto_detect { "True" } else { "False" }
        )
    }
}
