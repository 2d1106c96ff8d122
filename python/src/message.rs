//! The documented MQTTMessage (what `incoming_messages` / `outgoing_messages` hold; its class
//! is built from the core's description in events.rs) and the config registry's listing, as
//! read-only Python objects.

use ferromq::component::config::Setting;
use ferromq::MqttMessage;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// MQTTMessage: built from the core's description like the events (see events.rs).
pub type PyMqttMessage = crate::events::MqttMessage;

/// A collection of the core as a tuple: read-only, and a snapshot of this moment.
pub fn collection(py: Python<'_>, list: Vec<MqttMessage>) -> PyResult<Bound<'_, PyTuple>> {
    let items = list
        .iter()
        .map(|m| crate::events::message_to_py(py, m))
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
