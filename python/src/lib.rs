//! The Python face of ferromq: the extension module `ferromq._native`.
//!
//! The pure-Python package `ferromq` (python/ferromq/) re-exports what is here and adds the
//! asyncio class on top of [`aio::AioClient`]. This crate only converts: types (events,
//! payloads), errors (`ferromq::Error` to `ferromq.MQTTError`) and threads (the GIL is let go
//! while the core waits; handlers take it back). All MQTT behaviour lives in the core.

use pyo3::prelude::*;

mod aio;
mod blocking;
mod client;
mod error;
mod events;
mod handlers;
mod message;
mod properties;
mod publish;
mod stop;
mod transport;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::Client>()?;
    m.add_class::<blocking::Blocking>()?;
    m.add_class::<aio::AioClient>()?;
    events::register(m)?;
    m.add_class::<message::PyMqttMessage>()?;
    m.add_class::<publish::Delivered>()?;
    m.add_class::<message::ConfigSetting>()?;
    m.add_class::<transport::PyCertificate>()?;
    m.add_class::<transport::PyFirewall>()?;
    m.add_function(wrap_pyfunction!(message::config_settings, m)?)?;
    m.add("EVENT_NAMES", ferromq::EVENT_NAMES.to_vec())?;
    // Straight from the core's registry, so a test can check that each one answers.
    let settings: Vec<&str> = ferromq::component::config::settings()
        .iter()
        .map(|s| s.name)
        .collect();
    m.add("CONFIG_SETTINGS", settings)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
