//! `_Client`: what the blocking and the asyncio class share — the properties, `config()`
//! and `on()`/`off()`. Reading or writing a property only takes a short lock in the core,
//! so it keeps the GIL.

use crate::error::{to_i32, to_py_err};
use crate::handlers::{event_name, Handlers};
use crate::message;
use crate::transport::{PyCertificate, PyFirewall};
use bytes::Bytes;
use ferromq::Mqtt;
use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMemoryView, PyString, PyTuple};
use pyo3::{PyTraverseError, PyVisit};
use std::sync::Arc;

/// What `ferromq.mqtt` and `ferromq.aio.mqtt` share: properties, `config()`, `on()`/`off()`.
#[pyclass(
    frozen,
    subclass,
    weakref,
    module = "ferromq._native",
    name = "_Client"
)]
pub struct Client {
    pub(crate) inner: Mqtt,
    pub(crate) handlers: Arc<Handlers>,
}

impl Client {
    pub fn create() -> Self {
        Client {
            inner: Mqtt::new(),
            handlers: Arc::new(Handlers::default()),
        }
    }
}

/// Core result to Python result.
pub fn check<T>(py: Python<'_>, r: ferromq::Result<T>) -> PyResult<T> {
    r.map_err(|e| to_py_err(py, e))
}

/// A QoS argument as the core's integer; a Python int too large for it is still a bad QoS.
pub fn qos_arg(py: Python<'_>, qos: i64) -> PyResult<i32> {
    i32::try_from(qos).map_err(|_| {
        to_py_err(
            py,
            ferromq::Error::new(
                ferromq::code::INVALID_QOS,
                format!("QoS {qos} is not valid: use 0, 1 or 2"),
            ),
        )
    })
}

/// A payload from bytes, bytearray or memoryview, copied once into the engine's buffer
/// type (the copy is what lets the GIL go while the core works with it).
pub fn payload(data: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(b) = data.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    if data.cast::<PyMemoryView>().is_ok() {
        let b = data.call_method0("tobytes")?;
        let b = b.cast::<PyBytes>()?;
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    let hint = if data.cast::<PyString>().is_ok() {
        " (use publish_message for text)"
    } else {
        ""
    };
    Err(PyTypeError::new_err(format!(
        "publish_data needs bytes, bytearray or memoryview, not {}{hint}",
        data.get_type().name()?
    )))
}

/// The core certificate of a property's new value; TypeError naming the property for
/// anything that is not a ferromq.Certificate.
fn certificate_arg(property: &str, v: &Bound<'_, PyAny>) -> PyResult<ferromq::Certificate> {
    match v.cast::<PyCertificate>() {
        Ok(c) => Ok(c.get().inner.clone()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{property} needs a ferromq.Certificate, not {} (use Certificate() for none)",
            v.get_type().name()?
        ))),
    }
}

/// The AttributeError for writing (or deleting) a read-only property.
fn read_only(slf: &Bound<'_, Client>, name: &str, why: &str) -> PyErr {
    let class = slf
        .get_type()
        .fully_qualified_name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "mqtt".to_string());
    PyAttributeError::new_err(format!("{class}.{name} is read-only: {why}"))
}

#[pymethods]
impl Client {
    /// Identifies this client to the server. Left empty with clean_session True, a unique id
    /// is generated at connect time and shown here.
    #[getter]
    fn client_id(&self) -> String {
        self.inner.client_id()
    }
    #[setter]
    fn set_client_id(&self, py: Python<'_>, v: &str) -> PyResult<()> {
        check(py, self.inner.set_client_id(v))
    }

    /// Ask the server for a fresh session (MQTT 5: the Clean Start flag). Default True.
    #[getter]
    fn clean_session(&self) -> bool {
        self.inner.clean_session()
    }
    #[setter]
    fn set_clean_session(&self, py: Python<'_>, v: bool) -> PyResult<()> {
        check(py, self.inner.set_clean_session(v))
    }

    /// Seconds of silence after which a PINGREQ is sent; 0 (default) turns keep-alive off.
    #[getter]
    fn keep_alive_interval(&self) -> i32 {
        self.inner.keep_alive_interval()
    }
    #[setter]
    fn set_keep_alive_interval(&self, py: Python<'_>, v: i64) -> PyResult<()> {
        let v = to_i32(py, "KeepAliveInterval", v)?;
        check(py, self.inner.set_keep_alive_interval(v))
    }

    /// User name sent in CONNECT ("" = none).
    #[getter]
    fn user(&self) -> String {
        self.inner.user()
    }
    #[setter]
    fn set_user(&self, py: Python<'_>, v: &str) -> PyResult<()> {
        check(py, self.inner.set_user(v))
    }

    /// Password sent in CONNECT ("" = none).
    #[getter]
    fn password(&self) -> String {
        self.inner.password()
    }
    #[setter]
    fn set_password(&self, py: Python<'_>, v: &str) -> PyResult<()> {
        check(py, self.inner.set_password(v))
    }

    /// 0 = MQTT 3.1.1 (default), 1 = MQTT 5.0.
    #[getter]
    fn version(&self) -> i32 {
        self.inner.version()
    }
    #[setter]
    fn set_version(&self, py: Python<'_>, v: i64) -> PyResult<()> {
        let v = to_i32(py, "Version", v)?;
        check(py, self.inner.set_version(v))
    }

    /// Host name or address of the server.
    #[getter]
    fn remote_host(&self) -> String {
        self.inner.remote_host()
    }
    #[setter]
    fn set_remote_host(&self, py: Python<'_>, v: &str) -> PyResult<()> {
        check(py, self.inner.set_remote_host(v))
    }

    /// Port of the server (default 1883).
    #[getter]
    fn remote_port(&self) -> i32 {
        self.inner.remote_port()
    }
    #[setter]
    fn set_remote_port(&self, py: Python<'_>, v: i64) -> PyResult<()> {
        let v = to_i32(py, "RemotePort", v)?;
        check(py, self.inner.set_remote_port(v))
    }

    /// Seconds a method may wait (default 60); 0 = return at once, results come as events.
    #[getter]
    fn timeout(&self) -> i32 {
        self.inner.timeout()
    }
    #[setter]
    fn set_timeout(&self, py: Python<'_>, v: i64) -> PyResult<()> {
        let v = to_i32(py, "Timeout", v)?;
        check(py, self.inner.set_timeout(v))
    }

    /// Whether the connection is up (CONNACK accepted and not yet closed).
    #[getter]
    fn connected(&self) -> bool {
        self.inner.connected()
    }
    #[setter]
    fn set_connected(slf: &Bound<'_, Self>, _v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Err(read_only(
            slf,
            "connected",
            "await connect() or disconnect() instead",
        ))
    }

    /// Topic the server publishes will_message to if we vanish ("" = no will).
    #[getter]
    fn will_topic(&self) -> String {
        self.inner.will_topic()
    }
    #[setter]
    fn set_will_topic(&self, py: Python<'_>, v: &str) -> PyResult<()> {
        check(py, self.inner.set_will_topic(v))
    }

    /// The will's payload.
    #[getter]
    fn will_message(&self) -> String {
        self.inner.will_message()
    }
    #[setter]
    fn set_will_message(&self, py: Python<'_>, v: &str) -> PyResult<()> {
        check(py, self.inner.set_will_message(v))
    }

    /// While connected, the local address of the connection; otherwise the address to bind
    /// before connecting ("" lets the system choose). Locked while connected (107).
    #[getter]
    fn local_host(&self) -> String {
        self.inner.local_host()
    }
    #[setter]
    fn set_local_host(&self, py: Python<'_>, v: &str) -> PyResult<()> {
        check(py, self.inner.set_local_host(v))
    }

    /// While connected, the local port of the connection; otherwise the port to bind
    /// before connecting (0, the default, lets the system choose). Locked while connected
    /// (106).
    #[getter]
    fn local_port(&self) -> i32 {
        self.inner.local_port()
    }
    #[setter]
    fn set_local_port(&self, py: Python<'_>, v: i64) -> PyResult<()> {
        let v = to_i32(py, "LocalPort", v)?;
        check(py, self.inner.set_local_port(v))
    }

    /// True while connected and no publish waits for the send buffer to drain (read-only).
    #[getter]
    fn ready_to_send(&self) -> bool {
        self.inner.ready_to_send()
    }
    #[setter]
    fn set_ready_to_send(slf: &Bound<'_, Self>, _v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Err(read_only(
            slf,
            "ready_to_send",
            "it follows the connection and the send buffer",
        ))
    }

    /// QoS 1/2 messages from the server whose acknowledgement flow has not finished, as a
    /// tuple of MQTTMessage (read-only; a snapshot of this moment).
    #[getter]
    fn incoming_messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        message::collection(py, self.inner.incoming_messages())
    }
    #[setter]
    fn set_incoming_messages(slf: &Bound<'_, Self>, _v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Err(read_only(
            slf,
            "incoming_messages",
            "the engine keeps it in step with the acknowledgement flows",
        ))
    }

    /// Our QoS 1/2 messages whose acknowledgement flow has not finished, as a tuple of
    /// MQTTMessage (read-only; a snapshot of this moment).
    #[getter]
    fn outgoing_messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        message::collection(py, self.inner.outgoing_messages())
    }
    #[setter]
    fn set_outgoing_messages(slf: &Bound<'_, Self>, _v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Err(read_only(
            slf,
            "outgoing_messages",
            "the engine keeps it in step with the acknowledgement flows",
        ))
    }

    /// Use TLS over TCP (default False). A `wss://` remote_host uses TLS whatever this says.
    #[getter]
    fn ssl_enabled(&self) -> bool {
        self.inner.ssl_enabled()
    }
    #[setter]
    fn set_ssl_enabled(&self, py: Python<'_>, v: bool) -> PyResult<()> {
        check(py, self.inner.set_ssl_enabled(v))
    }

    /// 0 automatic (default), 1 platform, 2 internal. Kept and read back; every value uses
    /// the same TLS implementation. Others raise MQTTError 10022.
    #[getter]
    fn ssl_provider(&self) -> i32 {
        self.inner.ssl_provider()
    }
    #[setter]
    fn set_ssl_provider(&self, py: Python<'_>, v: i64) -> PyResult<()> {
        let v = to_i32(py, "SSLProvider", v)?;
        check(py, self.inner.set_ssl_provider(v))
    }

    /// Our certificate, offered when the server asks for one. It needs its private key
    /// (built with Certificate.from_store or from_store_encoded): MQTTError 273 otherwise.
    /// Certificate() (the default) offers none.
    #[getter]
    fn ssl_cert(&self) -> PyCertificate {
        PyCertificate::wrap(self.inner.ssl_cert())
    }
    #[setter]
    fn set_ssl_cert(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let cert = certificate_arg("ssl_cert", v)?;
        check(py, self.inner.set_ssl_cert(cert))
    }

    /// A server that presents exactly this certificate is accepted even when verification
    /// fails (a pinned self-signed certificate). Certificate() (the default) pins nothing.
    #[getter]
    fn ssl_accept_server_cert(&self) -> PyCertificate {
        PyCertificate::wrap(self.inner.ssl_accept_server_cert())
    }
    #[setter]
    fn set_ssl_accept_server_cert(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let cert = certificate_arg("ssl_accept_server_cert", v)?;
        check(py, self.inner.set_ssl_accept_server_cert(cert))
    }

    /// The certificate the server presented in the last TLS handshake (read-only; empty
    /// before one, and again from the start of each attempt).
    #[getter]
    fn ssl_server_cert(&self) -> PyCertificate {
        PyCertificate::wrap(self.inner.ssl_server_cert())
    }
    #[setter]
    fn set_ssl_server_cert(slf: &Bound<'_, Self>, _v: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        Err(read_only(
            slf,
            "ssl_server_cert",
            "the server's certificate comes from the TLS handshake",
        ))
    }

    /// The proxy to connect through, as a Firewall (a copy: assign a changed one back).
    /// The same values as the Firewall* config settings. A type or port out of range raises
    /// MQTTError 10022 and changes nothing.
    #[getter]
    fn firewall(&self) -> PyFirewall {
        PyFirewall::from_core(self.inner.firewall())
    }
    #[setter]
    fn set_firewall(&self, py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let fw = match v.cast::<PyFirewall>() {
            Ok(fw) => fw.try_borrow()?.to_core(py)?,
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "firewall needs a ferromq.Firewall, not {}",
                    v.get_type().name()?
                )))
            }
        };
        check(py, self.inner.set_firewall(&fw))
    }

    /// End the blocking call in progress (on any thread, or the one whose handler calls
    /// this) with MQTTError 301, and disconnect. Returns at once.
    fn interrupt(&self, py: Python<'_>) -> PyResult<()> {
        let inner = &self.inner;
        check(py, py.detach(|| inner.interrupt()))
    }

    /// Disconnect without waiting and put every property and config setting back to its
    /// default; registered handlers stay. A blocking call in progress ends with 301.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        let inner = &self.inner;
        check(py, py.detach(|| inner.reset()))
    }

    /// The client side of the session (QoS 1/2 messages whose acknowledgement flow has not
    /// finished, both ways) as text, to hand to restore_session() later, perhaps in another
    /// process. Also written to the SessionStateFile setting's file when that is set
    /// (MQTTError 302 if it cannot be). Works connected or not; does not wait.
    fn save_session(&self, py: Python<'_>) -> PyResult<String> {
        let inner = &self.inner;
        check(py, py.detach(|| inner.save_session()))
    }

    /// Load a session saved by save_session() into the next connect, and set clean_session
    /// False. With the SessionStateFile setting set, that file is read and `state` is
    /// ignored. Text that is not a whole saved session raises MQTTError 10022 and loads
    /// nothing (302 for a file that cannot be read); while connected or connecting, 211.
    fn restore_session(&self, py: Python<'_>, state: &str) -> PyResult<()> {
        let inner = &self.inner;
        check(py, py.detach(|| inner.restore_session(state)))
    }

    /// With the ManualAck setting on: the application is done with incoming QoS 1/2
    /// message `packet_id` (its MessageEvent's packet_id), so its PUBACK / PUBREC may go
    /// out (in the order the messages arrived). Does not wait. MQTTError 211 when no message
    /// with that id waits for it (or ManualAck is off), 1117 when not connected.
    fn ack(&self, py: Python<'_>, packet_id: i64) -> PyResult<()> {
        let id = to_i32(py, "packet id", packet_id)?;
        let inner = &self.inner;
        check(py, py.detach(|| inner.ack(id)))
    }

    /// config("Name") reads a setting; config("Name=Value") writes it and returns "".
    fn config(&self, py: Python<'_>, setting: &str) -> PyResult<String> {
        check(py, self.inner.config(setting))
    }

    /// Register `handler` for `event` ("MessageIn", ...); it is called with one event
    /// object. Without `handler`, returns a decorator. Returns the handler either way.
    /// Several handlers may listen to one event; they run in the order they were added.
    #[pyo3(signature = (event, handler = None))]
    fn on(
        &self,
        py: Python<'_>,
        event: &str,
        handler: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let name = event_name(event)?;
        if let Some(h) = handler {
            self.handlers.add(name, &h)?;
            return Ok(h.unbind());
        }
        let handlers = self.handlers.clone();
        let decorator = move |args: &Bound<'_, PyTuple>,
                              _kw: Option<&Bound<'_, PyDict>>|
              -> PyResult<Py<PyAny>> {
            let f = args.get_item(0)?;
            handlers.add(name, &f)?;
            Ok(f.unbind())
        };
        Ok(
            pyo3::types::PyCFunction::new_closure(py, Some(c"on"), None, decorator)?
                .into_any()
                .unbind(),
        )
    }

    /// Remove `handler` from `event`, or every handler of `event` when none is given.
    /// Returns how many were removed.
    #[pyo3(signature = (event, handler = None))]
    fn off(
        &self,
        py: Python<'_>,
        event: &str,
        handler: Option<Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        let name = event_name(event)?;
        self.handlers.remove(py, name, handler.as_ref())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let me = slf.get();
        Ok(format!(
            "<{} client_id={:?} remote={}:{} connected={}>",
            slf.get_type().fully_qualified_name()?,
            me.inner.client_id(),
            me.inner.remote_host(),
            me.inner.remote_port(),
            if me.inner.connected() {
                "True"
            } else {
                "False"
            }
        ))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.handlers.traverse(&visit)
    }

    fn __clear__(&self) {
        self.handlers.clear();
    }
}
