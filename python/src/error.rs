//! `ferromq::Error` to `ferromq.MQTTError`.
//!
//! The exception class is written in Python (ferromq/_error.py) so that it is an ordinary
//! subclass of `Exception` with `.code`, `.message` and a readable `str()`; under the
//! limited API a Rust class cannot extend `Exception` portably.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

static MQTT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The Python exception for a core error: same code, same message.
pub fn to_py_err(py: Python<'_>, err: ferromq::Error) -> PyErr {
    let made = MQTT_ERROR
        .import(py, "ferromq._error", "MQTTError")
        .and_then(|cls| cls.call1((err.code, err.message.as_str())));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        // Only reachable when the package is broken (e.g. _error.py missing); still say
        // what the engine reported.
        Err(import_failure) => {
            let e = PyRuntimeError::new_err(format!("[{}] {}", err.code, err.message));
            e.set_cause(py, Some(import_failure));
            e
        }
    }
}

/// An error for a value Python handed us that does not fit the engine's integer type;
/// the same code the engine uses for out-of-range values.
pub fn out_of_range(py: Python<'_>, what: &str, v: i64) -> PyErr {
    to_py_err(
        py,
        ferromq::Error::new(
            ferromq::code::INVALID_ARGUMENT,
            format!("{what} {v} is out of range"),
        ),
    )
}

pub fn to_i32(py: Python<'_>, what: &str, v: i64) -> PyResult<i32> {
    i32::try_from(v).map_err(|_| out_of_range(py, what, v))
}
