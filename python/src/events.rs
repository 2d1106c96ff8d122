//! The documented events (and MQTTMessage) as Python objects, built from the core's
//! description (docs/description.md): one frozen class per documented type, whose fields
//! are the described ones in snake_case (`packet_id`, `message_b`, ...), plus `name` (the
//! documented event name) on events so one handler can serve several.
//!
//! An object holds its values in the described order ([`Described`]); each class gets one
//! descriptor per field ([`Field`]) when the module is set up, from the description. So a
//! field added to the core appears here with nothing written for it.

use crate::properties::MessageProperties;
use bytes::Bytes;
use ferromq::codec::Properties;
use ferromq::{Event, FieldDesc, FieldVisitor, Value, EVENT_KINDS, MESSAGE_FIELDS};
use pyo3::exceptions::{PyAttributeError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyType};
use pyo3::PyClassInitializer;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One field's value, as an object holds it until a getter asks.
enum Stored {
    Int(i32),
    Long(i64),
    Bool(bool),
    Text(String),
    Bytes(Bytes),
    /// A reference count on the engine's payload, not a copy.
    Payload(Bytes),
    /// The handler's answer: frozen objects are shared between threads without a borrow
    /// flag, so the one writable field is atomic.
    Answer(AtomicBool),
    /// The engine's own properties, shared: converted only when an attribute is read.
    Properties(Arc<Properties>),
}

/// The values of an event; `shared` is the event's own `Arc<Properties>`, which a
/// properties field then shares instead of copying.
struct Collect {
    values: Vec<Stored>,
    shared: Option<Arc<Properties>>,
}

impl Collect {
    fn new(len: usize, shared: Option<Arc<Properties>>) -> Self {
        Collect {
            values: Vec::with_capacity(len),
            shared,
        }
    }
}

impl FieldVisitor for Collect {
    type Error = Infallible;

    fn field(&mut self, desc: &'static FieldDesc, value: Value<'_>) -> Result<(), Infallible> {
        self.values.push(match value {
            Value::Bool(v) if desc.answer => Stored::Answer(AtomicBool::new(v)),
            Value::Int(v) => Stored::Int(v),
            Value::Long(v) => Stored::Long(v),
            Value::Bool(v) => Stored::Bool(v),
            Value::Text(v) => Stored::Text(v.to_string()),
            Value::Bytes(v) => Stored::Bytes(v.clone()),
            Value::Payload(v) => Stored::Payload(v.clone()),
            Value::Properties(p) => Stored::Properties(match &self.shared {
                Some(a) if std::ptr::eq(&**a, p) => a.clone(),
                _ => Arc::new(p.clone()),
            }),
        });
        Ok(())
    }
}

/// The base of every event class and of MQTTMessage: the values, in the described order.
#[pyclass(frozen, subclass, module = "ferromq._native", name = "_Described")]
pub struct Described {
    /// The documented event name; None for MQTTMessage.
    name: Option<&'static str>,
    fields: &'static [FieldDesc],
    values: Box<[Stored]>,
}

#[pymethods]
impl Described {
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let me = slf.get();
        let mut s = format!("<{}", slf.get_type().name()?);
        if let Some(name) = me.name {
            s.push(' ');
            s.push_str(name);
        }
        for (desc, v) in me.fields.iter().zip(me.values.iter()) {
            match v {
                // The bytes are in the repr of neither form: only how many there are.
                Stored::Payload(p) => s.push_str(&format!(" len={}", p.len())),
                Stored::Bytes(_) => {}
                // Only when there are any: most messages have none.
                Stored::Properties(p) if p.is_empty() => {}
                _ => {
                    let shown = value(py, v, false)?.bind(py).repr()?.to_string();
                    s.push_str(&format!(" {}={}", desc.name, shown));
                }
            }
        }
        s.push('>');
        Ok(s)
    }
}

/// A stored value as a Python object; `bytes_form` picks a payload's bytes over its text.
fn value(py: Python<'_>, v: &Stored, bytes_form: bool) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Stored::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Stored::Long(i) => i.into_pyobject(py)?.into_any().unbind(),
        Stored::Bool(b) => pyo3::types::PyBool::new(py, *b)
            .to_owned()
            .into_any()
            .unbind(),
        Stored::Answer(b) => pyo3::types::PyBool::new(py, b.load(Ordering::SeqCst))
            .to_owned()
            .into_any()
            .unbind(),
        Stored::Text(t) => PyString::new(py, t).into_any().unbind(),
        Stored::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
        Stored::Payload(p) if bytes_form => PyBytes::new(py, p).into_any().unbind(),
        Stored::Payload(p) => PyString::new(py, &String::from_utf8_lossy(p))
            .into_any()
            .unbind(),
        Stored::Properties(p) => Bound::new(py, MessageProperties { inner: p.clone() })?
            .into_any()
            .unbind(),
    })
}

#[derive(Clone, Copy)]
enum View {
    /// The event's documented name.
    Name,
    /// The value (a payload's text form).
    Value(usize),
    /// A payload's bytes.
    PayloadBytes(usize),
}

/// The descriptor of one field of one class: reads the object's value, and writes it for
/// the answer field only.
#[pyclass(frozen, module = "ferromq._native", name = "_Field")]
struct Field {
    view: View,
    /// What the attribute is called, for error messages.
    attr: String,
}

#[pymethods]
impl Field {
    fn __get__(
        slf: &Bound<'_, Self>,
        obj: Option<&Bound<'_, PyAny>>,
        _owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        // Read on the class itself: the descriptor (as for a property).
        let Some(obj) = obj.filter(|o| !o.is_none()) else {
            return Ok(slf.clone().into_any().unbind());
        };
        let d = obj.cast::<Described>()?.get();
        match slf.get().view {
            View::Name => Ok(PyString::new(py, d.name.unwrap_or_default())
                .into_any()
                .unbind()),
            View::Value(i) => value(py, &d.values[i], false),
            View::PayloadBytes(i) => value(py, &d.values[i], true),
        }
    }

    fn __set__(&self, obj: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = obj.cast::<Described>()?.get();
        if let View::Value(i) = self.view {
            if let Stored::Answer(a) = &d.values[i] {
                let v: bool = value.extract().map_err(|_| {
                    PyTypeError::new_err(format!("{} must be True or False", self.attr))
                })?;
                a.store(v, Ordering::SeqCst);
                return Ok(());
            }
        }
        Err(PyAttributeError::new_err(format!(
            "attribute '{}' of '{}' objects is not writable",
            self.attr,
            obj.get_type().name()?
        )))
    }
}

/// Declares the Python classes (their names are the description's type names) and what
/// makes an object of each.
macro_rules! classes {
    ($( $(#[doc = $doc:literal])* $rust:ident $py:literal, )*) => {
        $(
            $(#[doc = $doc])*
            #[pyclass(frozen, extends = Described, module = "ferromq", name = $py)]
            pub struct $rust;
        )*

        /// The class object of the documented type `type_name`.
        fn class_of<'py>(py: Python<'py>, type_name: &str) -> Option<Bound<'py, PyType>> {
            match type_name {
                $( $py => Some(py.get_type::<$rust>()), )*
                _ => None,
            }
        }

        /// A new object of the documented type `type_name` around `base`.
        fn make<'py>(py: Python<'py>, type_name: &str, base: Described) -> PyResult<Bound<'py, PyAny>> {
            let init = PyClassInitializer::from(base);
            match type_name {
                $( $py => Ok(Bound::new(py, init.add_subclass($rust))?.into_any()), )*
                other => Err(PyRuntimeError::new_err(format!("ferromq: no Python class for {other}"))),
            }
        }

        fn add_classes(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $( m.add_class::<$rust>()?; )*
            Ok(())
        }
    };
}

classes! {
    /// Connected: the outcome of a connection attempt (status_code 0 = success).
    ConnectedEvent "ConnectedEvent",
    /// ConnectionStatus: progress of the connection (resolving, connecting, ...).
    ConnectionStatusEvent "ConnectionStatusEvent",
    /// Disconnected: the connection ended (status_code 0 = a normal close).
    DisconnectedEvent "DisconnectedEvent",
    /// Error: something failed outside any method call.
    ErrorEvent "ErrorEvent",
    /// Log: one line of the engine's log, as chosen by config("LogLevel=...").
    LogEvent "LogEvent",
    /// MessageAck: a QoS 1/2 message finished its acknowledgement flow
    /// (direction 0 = one we sent, 1 = one the server sent).
    MessageAckEvent "MessageAckEvent",
    /// MessageIn and MessageOut. The payload stays the engine's buffer until a field asks
    /// for it: `message_b` gives the bytes, `message` the text (invalid UTF-8 replaced by
    /// U+FFFD).
    MessageEventClass "MessageEvent",
    /// ReadyToSend: the send buffer has drained; publishing may continue.
    ReadyToSendEvent "ReadyToSendEvent",
    /// SSLServerAuthentication: the server's certificate, during the TLS handshake. `accept`
    /// starts as the engine's verdict; the value the handlers leave decides whether the
    /// handshake goes on. Setting it False refuses any server (error 280); setting it True
    /// only helps a certificate whose failure was allowed beforehand (SSLAcceptAnyServerCert,
    /// ssl_accept_server_cert). Set it in the handler itself: an awaitable a handler returns
    /// runs too late to change the answer.
    SslServerAuthenticationEvent "SSLServerAuthenticationEvent",
    /// SSLStatus: progress of the TLS handshake.
    SslStatusEvent "SSLStatusEvent",
    /// Subscribed: one per filter of a Subscribe call (qos -1 = refused by the server).
    SubscribedEvent "SubscribedEvent",
    /// Unsubscribed: one per Unsubscribe call, with the filters as they were given.
    UnsubscribedEvent "UnsubscribedEvent",
    /// One QoS 1/2 message that has not finished its acknowledgement flow: an entry of
    /// `incoming_messages` or `outgoing_messages`. Every field is read-only; the object is a
    /// snapshot taken when the collection was read.
    MqttMessage "MQTTMessage",
}

/// The documented type of MqttMessage in Python.
const MESSAGE_TYPE: &str = "MQTTMessage";

/// The Python object for one core event.
pub fn to_py<'py>(py: Python<'py>, ev: &Event) -> PyResult<Bound<'py, PyAny>> {
    let desc = ev.description();
    let shared = match ev {
        Event::MessageIn(m) | Event::MessageOut(m) => Some(m.properties.clone()),
        _ => None,
    };
    let mut values = Collect::new(desc.fields.len(), shared);
    let Ok(()) = ev.visit(&mut values);
    let base = Described {
        name: Some(desc.name),
        fields: desc.fields,
        values: values.values.into_boxed_slice(),
    };
    make(py, desc.type_name, base)
}

/// The Python object for one entry of IncomingMessages / OutgoingMessages.
pub fn message_to_py<'py>(
    py: Python<'py>,
    m: &ferromq::MqttMessage,
) -> PyResult<Bound<'py, PyAny>> {
    let mut values = Collect::new(MESSAGE_FIELDS.len(), None);
    let Ok(()) = ferromq::Described::visit(m, &mut values);
    let base = Described {
        name: None,
        fields: MESSAGE_FIELDS,
        values: values.values.into_boxed_slice(),
    };
    make(py, MESSAGE_TYPE, base)
}

/// What respond() reads of a Python MessageEvent: its topic (named in the error when it
/// is not a request) and the properties it shares with the core; TypeError for anything
/// else.
pub fn request_parts(obj: &Bound<'_, PyAny>) -> PyResult<(String, Arc<Properties>)> {
    if !obj.is_instance_of::<MessageEventClass>() {
        return Err(PyTypeError::new_err(format!(
            "respond() needs the MessageEvent of a received request, not {}",
            obj.get_type().name()?
        )));
    }
    let properties = obj
        .cast::<Described>()?
        .get()
        .values
        .iter()
        .find_map(|v| match v {
            Stored::Properties(p) => Some(p.clone()),
            _ => None,
        })
        .unwrap_or_default();
    Ok((obj.getattr("topic")?.extract()?, properties))
}

/// Carry what handlers may change (the described answer) back into the core's event.
pub fn write_back(ev: &mut Event, obj: &Bound<'_, PyAny>) {
    let Some(slot) = ev.answer_mut() else { return };
    if let Ok(d) = obj.cast::<Described>() {
        for v in d.get().values.iter() {
            if let Stored::Answer(a) = v {
                *slot = a.load(Ordering::SeqCst);
            }
        }
    }
}

/// Give `cls` a descriptor per described field (two for a payload), and `name` if asked.
fn add_fields(cls: &Bound<'_, PyType>, fields: &[FieldDesc], named: bool) -> PyResult<()> {
    let py = cls.py();
    let set = |attr: &str, view: View| {
        let f = Bound::new(
            py,
            Field {
                view,
                attr: attr.to_string(),
            },
        )?;
        cls.setattr(attr, f)
    };
    if named {
        set("name", View::Name)?;
    }
    for (i, f) in fields.iter().enumerate() {
        let (name, bytes_name) = f.py_names();
        set(name, View::Value(i))?;
        if let Some(b) = bytes_name {
            set(&b, View::PayloadBytes(i))?;
        }
    }
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    add_classes(m)?;
    let mut done: Vec<&str> = Vec::new();
    for k in EVENT_KINDS.iter() {
        let cls = class_of(py, k.type_name).ok_or_else(|| {
            PyRuntimeError::new_err(format!("ferromq: no Python class for {}", k.type_name))
        })?;
        // MessageIn and MessageOut share one class.
        if !done.contains(&k.type_name) {
            add_fields(&cls, k.fields, true)?;
            done.push(k.type_name);
        }
    }
    if let Some(cls) = class_of(py, MESSAGE_TYPE) {
        add_fields(&cls, MESSAGE_FIELDS, false)?;
    }
    crate::properties::register(m)?;
    m.add_function(wrap_pyfunction!(_description, m)?)?;
    m.add_function(wrap_pyfunction!(_interrupted_error, m)?)?;
    Ok(())
}

fn describe_fields<'py>(py: Python<'py>, fields: &[FieldDesc]) -> PyResult<Bound<'py, PyList>> {
    let out = PyList::empty(py);
    for f in fields {
        let d = PyDict::new(py);
        d.set_item("name", f.name)?;
        d.set_item("kind", f.kind.name())?;
        d.set_item("answer", f.answer)?;
        let (_, bytes_name) = f.py_names();
        d.set_item("bytes_name", bytes_name)?;
        out.append(d)?;
    }
    Ok(out)
}

/// The core's description: {"events": [{name, type_name, fields}], "message_fields":
/// [...], "message_type": "MQTTMessage", "message_properties": [...], "errors": [{code,
/// name, text}]}; each field is {name, kind, answer, bytes_name} (bytes_name: a payload's
/// bytes attribute, else None); each message property is {name, type, data_type,
/// repeatable, publishable} (see properties.rs).
#[pyfunction]
fn _description(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let out = PyDict::new(py);
    let events = PyList::empty(py);
    for k in EVENT_KINDS.iter() {
        let d = PyDict::new(py);
        d.set_item("name", k.name)?;
        d.set_item("type_name", k.type_name)?;
        d.set_item("fields", describe_fields(py, k.fields)?)?;
        events.append(d)?;
    }
    out.set_item("events", events)?;
    out.set_item("message_fields", describe_fields(py, MESSAGE_FIELDS)?)?;
    out.set_item("message_type", MESSAGE_TYPE)?;
    out.set_item("message_properties", crate::properties::describe(py)?)?;
    let errors = PyList::empty(py);
    for c in ferromq::ERROR_CODES {
        let d = PyDict::new(py);
        d.set_item("code", c.code)?;
        d.set_item("name", c.name)?;
        d.set_item("text", c.text)?;
        errors.append(d)?;
    }
    out.set_item("errors", errors)?;
    Ok(out)
}

/// The MQTTError 301 a call ends with when interrupt() ends it, with the core's text
/// (`what`: what the call was doing, e.g. "connecting").
#[pyfunction]
fn _interrupted_error(py: Python<'_>, what: &str) -> Py<PyAny> {
    crate::error::to_py_err(py, ferromq::Error::interrupted(what))
        .into_value(py)
        .into_any()
}
