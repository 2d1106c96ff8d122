//! The documented events as Python objects: one frozen class per event shape, fields in
//! snake_case (`packet_id`, `message_b`, ...), plus `name` (the documented event name) so
//! one handler can serve several events.

use bytes::Bytes;
use ferromq::Event;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::sync::atomic::{AtomicBool, Ordering};

/// A class whose fields are plain values (ints, strings, bools) copied out of the core's
/// event.
macro_rules! plain_event {
    ($(#[$doc:meta])* $rust:ident, $py:literal { $($field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[pyclass(frozen, module = "ferromq", name = $py)]
        pub struct $rust {
            name: &'static str,
            $(#[pyo3(get)] pub $field: $ty,)*
        }

        #[pymethods]
        impl $rust {
            /// The documented event name ("Connected", "MessageIn", ...).
            #[getter]
            fn name(&self) -> &'static str {
                self.name
            }

            fn __repr__(&self) -> String {
                #[allow(unused_mut)]
                let mut s = format!("<{} {}", $py, self.name);
                $(s.push_str(&format!(" {}={:?}", stringify!($field), self.$field));)*
                s.push('>');
                s
            }
        }
    };
}

plain_event!(
    /// Connected: the outcome of a connection attempt (status_code 0 = success).
    ConnectedEvent, "ConnectedEvent" { status_code: i32, description: String }
);
plain_event!(
    /// ConnectionStatus: progress of the connection (resolving, connecting, ...).
    ConnectionStatusEvent, "ConnectionStatusEvent" {
        connection_event: String, status_code: i32, description: String
    }
);
plain_event!(
    /// Disconnected: the connection ended (status_code 0 = a normal close).
    DisconnectedEvent, "DisconnectedEvent" { status_code: i32, description: String }
);
plain_event!(
    /// Error: something failed outside any method call.
    ErrorEvent, "ErrorEvent" { error_code: i32, description: String }
);
plain_event!(
    /// Log: one line of the engine's log, as chosen by config("LogLevel=...").
    LogEvent, "LogEvent" { log_level: i32, message: String, log_type: String }
);
plain_event!(
    /// MessageAck: a QoS 1/2 message finished its acknowledgement flow
    /// (direction 0 = one we sent, 1 = one the server sent).
    MessageAckEvent, "MessageAckEvent" {
        packet_id: i32, direction: i32, index: i32, response_code: i32
    }
);
plain_event!(
    /// ReadyToSend: the send buffer has drained; publishing may continue.
    ReadyToSendEvent, "ReadyToSendEvent" {}
);
plain_event!(
    /// SSLStatus: progress of the TLS handshake.
    SslStatusEvent, "SSLStatusEvent" { message: String }
);
plain_event!(
    /// Subscribed: one per filter of a Subscribe call (qos -1 = refused by the server).
    SubscribedEvent, "SubscribedEvent" { topic_filter: String, qos: i32, response_code: i32 }
);
plain_event!(
    /// Unsubscribed: one per Unsubscribe call, with the filters as they were given.
    UnsubscribedEvent, "UnsubscribedEvent" { topic_filters: String, response_code: i32 }
);

/// MessageIn and MessageOut. The payload stays the engine's buffer until a field asks for
/// it: `message_b` gives the bytes, `message` the text (invalid UTF-8 replaced by U+FFFD).
#[pyclass(frozen, module = "ferromq", name = "MessageEvent")]
pub struct MessageEvent {
    name: &'static str,
    #[pyo3(get)]
    pub packet_id: i32,
    #[pyo3(get)]
    pub topic: String,
    #[pyo3(get)]
    pub qos: i32,
    #[pyo3(get)]
    pub retained: bool,
    #[pyo3(get)]
    pub duplicate: bool,
    payload: Bytes,
}

#[pymethods]
impl MessageEvent {
    #[getter]
    fn name(&self) -> &'static str {
        self.name
    }
    /// The payload as text.
    #[getter]
    fn message(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
    /// The payload as bytes, exactly as it was sent.
    #[getter]
    fn message_b<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.payload)
    }
    fn __repr__(&self) -> String {
        format!(
            "<MessageEvent {} packet_id={} topic={:?} qos={} len={} retained={} duplicate={}>",
            self.name,
            self.packet_id,
            self.topic,
            self.qos,
            self.payload.len(),
            self.retained,
            self.duplicate
        )
    }
}

/// SSLServerAuthentication: the server's certificate, during the TLS handshake. `accept`
/// starts as the engine's verdict; the value the handlers leave decides whether the
/// handshake goes on. Setting it False refuses any server (error 280); setting it True
/// only helps a certificate whose failure was allowed beforehand (SSLAcceptAnyServerCert,
/// ssl_accept_server_cert). Set it in the handler itself: an awaitable a handler returns
/// runs too late to change the answer.
#[pyclass(frozen, module = "ferromq", name = "SSLServerAuthenticationEvent")]
pub struct SslServerAuthenticationEvent {
    #[pyo3(get)]
    pub cert_encoded: String,
    cert_encoded_b: Bytes,
    #[pyo3(get)]
    pub cert_subject: String,
    #[pyo3(get)]
    pub cert_issuer: String,
    #[pyo3(get)]
    pub status: String,
    // Frozen classes are shared between threads without a borrow flag; the one writable
    // field is atomic instead.
    accept: AtomicBool,
}

#[pymethods]
impl SslServerAuthenticationEvent {
    #[getter]
    fn name(&self) -> &'static str {
        "SSLServerAuthentication"
    }
    #[getter]
    fn cert_encoded_b<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.cert_encoded_b)
    }
    #[getter]
    fn accept(&self) -> bool {
        self.accept.load(Ordering::SeqCst)
    }
    #[setter]
    fn set_accept(&self, v: bool) {
        self.accept.store(v, Ordering::SeqCst)
    }
    fn __repr__(&self) -> String {
        format!(
            "<SSLServerAuthenticationEvent subject={:?} issuer={:?} status={:?} accept={}>",
            self.cert_subject,
            self.cert_issuer,
            self.status,
            self.accept()
        )
    }
}

/// The Python object for one core event.
pub fn to_py<'py>(py: Python<'py>, ev: &Event) -> PyResult<Bound<'py, PyAny>> {
    let name = ev.name();
    let obj = match ev {
        Event::Connected(e) => Bound::new(
            py,
            ConnectedEvent {
                name,
                status_code: e.status_code,
                description: e.description.clone(),
            },
        )?
        .into_any(),
        Event::ConnectionStatus(e) => Bound::new(
            py,
            ConnectionStatusEvent {
                name,
                connection_event: e.connection_event.clone(),
                status_code: e.status_code,
                description: e.description.clone(),
            },
        )?
        .into_any(),
        Event::Disconnected(e) => Bound::new(
            py,
            DisconnectedEvent {
                name,
                status_code: e.status_code,
                description: e.description.clone(),
            },
        )?
        .into_any(),
        Event::Error(e) => Bound::new(
            py,
            ErrorEvent {
                name,
                error_code: e.error_code,
                description: e.description.clone(),
            },
        )?
        .into_any(),
        Event::Log(e) => Bound::new(
            py,
            LogEvent {
                name,
                log_level: e.log_level,
                message: e.message.clone(),
                log_type: e.log_type.clone(),
            },
        )?
        .into_any(),
        Event::MessageAck(e) => Bound::new(
            py,
            MessageAckEvent {
                name,
                packet_id: e.packet_id,
                direction: e.direction,
                index: e.index,
                response_code: e.response_code,
            },
        )?
        .into_any(),
        Event::MessageIn(e) | Event::MessageOut(e) => Bound::new(
            py,
            MessageEvent {
                name,
                packet_id: e.packet_id,
                topic: e.topic.clone(),
                qos: e.qos,
                retained: e.retained,
                duplicate: e.duplicate,
                // A reference count, not a copy of the payload.
                payload: e.message.clone(),
            },
        )?
        .into_any(),
        Event::ReadyToSend => Bound::new(py, ReadyToSendEvent { name })?.into_any(),
        Event::SslServerAuthentication(e) => Bound::new(
            py,
            SslServerAuthenticationEvent {
                cert_encoded: e.cert_encoded.clone(),
                cert_encoded_b: e.cert_encoded_b.clone(),
                cert_subject: e.cert_subject.clone(),
                cert_issuer: e.cert_issuer.clone(),
                status: e.status.clone(),
                accept: AtomicBool::new(e.accept),
            },
        )?
        .into_any(),
        Event::SslStatus(e) => Bound::new(
            py,
            SslStatusEvent {
                name,
                message: e.message.clone(),
            },
        )?
        .into_any(),
        Event::Subscribed(e) => Bound::new(
            py,
            SubscribedEvent {
                name,
                topic_filter: e.topic_filter.clone(),
                qos: e.qos,
                response_code: e.response_code,
            },
        )?
        .into_any(),
        Event::Unsubscribed(e) => Bound::new(
            py,
            UnsubscribedEvent {
                name,
                topic_filters: e.topic_filters.clone(),
                response_code: e.response_code,
            },
        )?
        .into_any(),
    };
    Ok(obj)
}

/// Carry what handlers may change back into the core's event (only `accept` today).
pub fn write_back(ev: &mut Event, obj: &Bound<'_, PyAny>) {
    if let Event::SslServerAuthentication(e) = ev {
        if let Ok(py_ev) = obj.cast::<SslServerAuthenticationEvent>() {
            e.accept = py_ev.get().accept();
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ConnectedEvent>()?;
    m.add_class::<ConnectionStatusEvent>()?;
    m.add_class::<DisconnectedEvent>()?;
    m.add_class::<ErrorEvent>()?;
    m.add_class::<LogEvent>()?;
    m.add_class::<MessageAckEvent>()?;
    m.add_class::<MessageEvent>()?;
    m.add_class::<ReadyToSendEvent>()?;
    m.add_class::<SslServerAuthenticationEvent>()?;
    m.add_class::<SslStatusEvent>()?;
    m.add_class::<SubscribedEvent>()?;
    m.add_class::<UnsubscribedEvent>()?;
    Ok(())
}
