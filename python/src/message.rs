//! The documented MQTTMessage (what `incoming_messages` / `outgoing_messages` hold) and the
//! config registry's listing, as read-only Python objects.

use bytes::Bytes;
use ferromq::component::config::Setting;
use ferromq::MqttMessage;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

/// One QoS 1/2 message that has not finished its acknowledgement flow: an entry of
/// `incoming_messages` or `outgoing_messages`. Every field is read-only; the object is a
/// snapshot taken when the collection was read.
#[pyclass(frozen, module = "ferromq", name = "MQTTMessage")]
pub struct PyMqttMessage {
    #[pyo3(get)]
    packet_id: i32,
    #[pyo3(get)]
    topic: String,
    #[pyo3(get)]
    qos: i32,
    payload: Bytes,
    #[pyo3(get)]
    retained: bool,
    #[pyo3(get)]
    duplicate: bool,
    #[pyo3(get)]
    state: i32,
    #[pyo3(get)]
    content_type: String,
    #[pyo3(get)]
    correlation_data: String,
    #[pyo3(get)]
    message_exp_interval: i64,
    #[pyo3(get)]
    payload_format_indicator: i32,
    #[pyo3(get)]
    response_topic: String,
    #[pyo3(get)]
    subscription_identifiers: String,
    #[pyo3(get)]
    topic_alias: i32,
}

impl From<MqttMessage> for PyMqttMessage {
    fn from(m: MqttMessage) -> Self {
        PyMqttMessage {
            packet_id: m.packet_id,
            topic: m.topic,
            qos: m.qos,
            // A reference count, not a copy of the payload.
            payload: m.message,
            retained: m.retained,
            duplicate: m.duplicate,
            state: m.state,
            content_type: m.content_type,
            correlation_data: m.correlation_data,
            message_exp_interval: m.message_exp_interval,
            payload_format_indicator: m.payload_format_indicator,
            response_topic: m.response_topic,
            subscription_identifiers: m.subscription_identifiers,
            topic_alias: m.topic_alias,
        }
    }
}

#[pymethods]
impl PyMqttMessage {
    /// The payload as text (invalid UTF-8 replaced by U+FFFD).
    #[getter]
    fn message(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
    /// The payload, byte for byte.
    #[getter]
    fn message_b<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.payload)
    }
    fn __repr__(&self) -> String {
        format!(
            "<MQTTMessage packet_id={} topic={:?} qos={} state={} len={} retained={} duplicate={}>",
            self.packet_id,
            self.topic,
            self.qos,
            self.state,
            self.payload.len(),
            if self.retained { "True" } else { "False" },
            if self.duplicate { "True" } else { "False" },
        )
    }
}

/// A collection of the core as a tuple: read-only, and a snapshot of this moment.
pub fn collection(py: Python<'_>, list: Vec<MqttMessage>) -> PyResult<Bound<'_, PyTuple>> {
    let items = list
        .into_iter()
        .map(|m| Bound::new(py, PyMqttMessage::from(m)))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// One row of the config registry: what `config()` answers to.
#[pyclass(frozen, module = "ferromq", name = "ConfigSetting")]
pub struct ConfigSetting {
    /// The setting's name as config() takes it ("TopicDelimiter", ...).
    #[pyo3(get)]
    name: &'static str,
    /// The documented group ("mqtt", "tcp", ...).
    #[pyo3(get)]
    group: &'static str,
    /// "bool", "int" or "string" (the text config() reads and writes).
    #[pyo3(get)]
    kind: String,
    /// Whether config("Name=Value") is refused.
    #[pyo3(get)]
    read_only: bool,
    /// "both", "3.1.1" or "5.0": the MQTT versions the setting means something under.
    #[pyo3(get)]
    applies: String,
    /// What config() reads on a new client, and after reset().
    #[pyo3(get)]
    default: &'static str,
    /// Whether the setting takes an index: `Name[2]` is one element, `Name[i]` (or the bare
    /// name) the whole array as JSON.
    #[pyo3(get)]
    indexed: bool,
}

#[pymethods]
impl ConfigSetting {
    fn __repr__(&self) -> String {
        format!(
            "<ConfigSetting {} group={:?} kind={:?} read_only={} applies={:?} default={:?}>",
            self.name,
            self.group,
            self.kind,
            if self.read_only { "True" } else { "False" },
            self.applies,
            self.default
        )
    }
}

impl From<&Setting> for ConfigSetting {
    fn from(s: &Setting) -> Self {
        // Named through Debug so that a kind or version the registry adds later still
        // shows up (lower-cased) instead of breaking the build of this face.
        let applies = match format!("{:?}", s.applies).as_str() {
            "Both" => "both".to_string(),
            "V311Only" => "3.1.1".to_string(),
            "V5Only" => "5.0".to_string(),
            other => other.to_ascii_lowercase(),
        };
        ConfigSetting {
            name: s.name,
            group: s.group,
            kind: format!("{:?}", s.kind).to_ascii_lowercase(),
            read_only: s.read_only,
            applies,
            default: s.default,
            indexed: s.indexed(),
        }
    }
}

/// Every setting of the core's registry, optionally only those of one group, in the
/// registry's order.
#[pyfunction]
#[pyo3(signature = (group = None))]
pub fn config_settings<'py>(py: Python<'py>, group: Option<&str>) -> PyResult<Bound<'py, PyTuple>> {
    let rows = ferromq::component::config::settings()
        .iter()
        .filter(|s| match group {
            Some(g) => s.group.eq_ignore_ascii_case(g),
            None => true,
        })
        .map(|s| Bound::new(py, ConfigSetting::from(s)))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, rows)
}
