//! What the per-message calls share in both classes (publish, request, respond): their
//! arguments made into the core's `PublishOptions`, payload and timeout, and `Delivered`,
//! the outcome of an acknowledged publish.

use crate::client::{payload, qos_arg};
use crate::error::to_py_err;
use crate::properties::publish_properties;
use bytes::Bytes;
use ferromq::{code, PublishOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};
use std::time::Duration;

/// A publish that completed for its QoS: written (QoS 0), acknowledged by PUBACK (QoS 1)
/// or PUBCOMP (QoS 2).
#[pyclass(frozen, eq, hash, module = "ferromq", name = "Delivered")]
#[derive(PartialEq, Eq, Hash)]
pub struct Delivered {
    /// The packet identifier the message went with; -1 for QoS 0.
    #[pyo3(get)]
    packet_id: i32,
    /// The acknowledgement's reason code: 0, or 16 (0x10, no matching subscribers), both
    /// successes; always 0 under 3.1.1 and for QoS 0.
    #[pyo3(get)]
    reason_code: i32,
}

#[pymethods]
impl Delivered {
    #[new]
    fn new(packet_id: i32, reason_code: i32) -> Self {
        Delivered {
            packet_id,
            reason_code,
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "Delivered(packet_id={}, reason_code={})",
            self.packet_id, self.reason_code
        )
    }

    fn __reduce__(slf: &Bound<'_, Self>) -> PyResult<(Py<PyAny>, (i32, i32))> {
        let me = slf.get();
        Ok((
            slf.get_type().into_any().unbind(),
            (me.packet_id, me.reason_code),
        ))
    }
}

impl From<ferromq::Delivered> for Delivered {
    fn from(d: ferromq::Delivered) -> Self {
        Delivered {
            packet_id: d.packet_id,
            reason_code: d.reason_code,
        }
    }
}

/// The options of one publish from the Python arguments.
pub fn options(
    py: Python<'_>,
    qos: i64,
    retain: bool,
    properties: Option<&Bound<'_, PyAny>>,
) -> PyResult<PublishOptions> {
    Ok(PublishOptions {
        qos: qos_arg(py, qos)?,
        retain,
        properties: publish_properties(py, properties)?,
    })
}

/// A payload of the per-message calls: text (sent as UTF-8) or bytes-like.
pub fn any_payload(data: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(s) = data.cast::<PyString>() {
        return Ok(Bytes::copy_from_slice(s.to_cow()?.as_bytes()));
    }
    let bytes_like = data.cast::<PyBytes>().is_ok()
        || data.cast::<PyByteArray>().is_ok()
        || data.cast::<PyMemoryView>().is_ok();
    if !bytes_like {
        return Err(PyTypeError::new_err(format!(
            "payload needs str, bytes, bytearray or memoryview, not {}",
            data.get_type().name()?
        )));
    }
    payload(data)
}

/// A request's timeout in seconds; 10022 naming it when negative or not a number.
pub fn timeout_arg(py: Python<'_>, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        to_py_err(
            py,
            ferromq::Error::new(
                code::INVALID_ARGUMENT,
                format!("timeout {seconds} is not valid: use a number of seconds >= 0"),
            ),
        )
    })
}
