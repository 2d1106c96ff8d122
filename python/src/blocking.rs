//! `ferromq.mqtt`: the blocking class (the core's pull mode).
//!
//! Every method that may wait lets go of the GIL for the whole core call, so other Python
//! threads run meanwhile. The core fires event handlers on this same thread from inside
//! the wait; `handlers::Handlers::fire_pull` takes the GIL back for each handler.

use crate::client::{payload, qos_arg, Client};
use crate::error::{to_i32, to_py_err};
use crate::handlers::{self, Handlers};
use crate::publish::{any_payload, options, timeout_arg, Delivered};
use crate::{events, stop};
use ferromq::{Event, Mqtt};
use pyo3::prelude::*;
use pyo3::types::PyAny;
use std::sync::Arc;

/// The blocking MQTT client.
///
/// Methods wait (up to `timeout` seconds) with the GIL released and fire event handlers on
/// the calling thread while they wait; `do_events()` fires what arrived in between calls.
/// A handler may call any method of the same client.
///
/// If a handler raises, the remaining events are still delivered and the exception is
/// raised from the method that fired it once that method returns; a second exception in
/// the same call goes to `sys.unraisablehook`. If the method failed as well, its MQTTError
/// is raised with the handler's exception as `__context__`.
///
/// Ctrl-C during a wait on the main thread ends the wait within about 0.1 s: the call is
/// interrupted (it disconnects, as `interrupt()` does) and KeyboardInterrupt is raised with
/// the call's MQTTError 301 as its `__context__`. The same holds for whatever a signal
/// handler of the program raised, and for a KeyboardInterrupt or SystemExit raised by an
/// event handler. On other threads, call `interrupt()` to end a long wait early.
#[pyclass(frozen, extends = Client, subclass, module = "ferromq", name = "mqtt")]
pub struct Blocking {
    inner: Mqtt,
}

/// Run a core call without the GIL and raise what it (or a handler it fired) raised.
///
/// A handler's exception wins when the call itself succeeded. When both failed, the
/// MQTTError is raised with the handler's exception as its `__context__`, so neither is
/// lost. What stops the call (Ctrl-C: see stop.rs) wins over both, with the call's own
/// outcome as its context.
fn blocking<T: Send>(py: Python<'_>, f: impl FnOnce() -> ferromq::Result<T> + Send) -> PyResult<T> {
    let hang = HangOnForcedUnwind;
    // Runs Python code the first time on each thread, and Python code may let the GIL go:
    // a daemon thread can meet the interpreter's shutdown here as well as in the wait.
    stop::note_thread(py);
    let scope = handlers::enter();
    let result = py.detach(f);
    std::mem::forget(hang);
    let raised = scope.leave();
    let stopped = stop::take();
    // A signal that came after the engine's last look (or on a thread that does not look)
    // runs its Python handler now, before any Python code of ours: otherwise it would fire
    // inside the making of the MQTTError and turn it into something else.
    let signal = py.check_signals().err();
    let mut outcome = match (result, raised) {
        (Ok(v), None) => Ok(v),
        (Ok(_), Some(h)) => Err(h),
        (Err(e), None) => Err(to_py_err(py, e)),
        (Err(e), Some(h)) => {
            let err = to_py_err(py, e);
            // Best effort: if even this fails, the MQTTError alone is still right.
            let _ = err.value(py).setattr("__context__", h.value(py));
            Err(err)
        }
    };
    for stop in [stopped, signal].into_iter().flatten() {
        if let Err(err) = &outcome {
            // An exception that already has a context (a KeyboardInterrupt that left a
            // nested call's 301 behind it) keeps it: that one says where it struck.
            let bare = stop
                .value(py)
                .getattr("__context__")
                .map_or(true, |c| c.is_none());
            if bare {
                let _ = stop.value(py).setattr("__context__", err.value(py));
            }
        }
        outcome = Err(stop);
    }
    outcome
}

/// Before Python 3.14, a daemon thread that wants the GIL back while the interpreter shuts
/// down is ended with `pthread_exit`, a forced unwind that aborts the process when it meets
/// Rust frames ("FATAL: exception not rethrown"). The unwind runs this guard's destructor
/// first, which parks the thread for good instead — what Python 3.14 does, and what PyO3
/// itself does around `PyGILState_Ensure`. On the normal path the guard is forgotten.
struct HangOnForcedUnwind;

impl Drop for HangOnForcedUnwind {
    fn drop(&mut self) {
        loop {
            std::thread::park();
        }
    }
}

fn install_pull_bridge(inner: &Mqtt, handlers: &Arc<Handlers>) {
    let hs = handlers.clone();
    inner.set_event_handler(Some(Arc::new(move |ev: &mut Event| {
        // Without a listener there is nothing to build and no reason to wait for the GIL.
        // try_attach: while the interpreter shuts down, events are dropped, not a panic.
        if hs.has(ev.name()) {
            let _ = Python::try_attach(|py| hs.fire_pull(py, ev));
        }
    })));
}

#[pymethods]
impl Blocking {
    #[new]
    fn new() -> (Self, Client) {
        let base = Client::create();
        install_pull_bridge(&base.inner, &base.handlers);
        base.inner.set_wait_check(Some(Arc::new(stop::wait_check)));
        (
            Blocking {
                inner: base.inner.clone(),
            },
            base,
        )
    }

    /// Whether the connection is up. Setting True connects (like connect()), False
    /// disconnects (like disconnect()).
    #[getter]
    fn connected(&self) -> bool {
        self.inner.connected()
    }
    #[setter]
    fn set_connected(&self, py: Python<'_>, v: bool) -> PyResult<()> {
        blocking(py, || self.inner.set_connected(v))
    }

    /// Connect to remote_host:remote_port; returns at CONNACK (or at once with timeout 0).
    fn connect(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || self.inner.connect())
    }

    /// Set remote_host and remote_port, then connect.
    fn connect_to(&self, py: Python<'_>, host: &str, port: i64) -> PyResult<()> {
        let port = to_i32(py, "RemotePort", port)?;
        blocking(py, || self.inner.connect_to(host, port))
    }

    /// Close the connection; returns once the socket is closed.
    fn disconnect(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || self.inner.disconnect())
    }

    /// Subscribe to one or more filters (separated by the TopicDelimiter setting, ",");
    /// returns at SUBACK. One Subscribed event fires per filter.
    fn subscribe(&self, py: Python<'_>, topic_filter: &str, qos: i64) -> PyResult<()> {
        let qos = qos_arg(py, qos)?;
        blocking(py, || self.inner.subscribe(topic_filter, qos))
    }

    /// Unsubscribe from filters given exactly as to subscribe(); returns at UNSUBACK.
    fn unsubscribe(&self, py: Python<'_>, topic_filter: &str) -> PyResult<()> {
        blocking(py, || self.inner.unsubscribe(topic_filter))
    }

    /// Publish text (sent as UTF-8). Returns once the message is in the send buffer;
    /// QoS 1/2 acknowledgements arrive as MessageAck and MessageOut events.
    fn publish_message(
        &self,
        py: Python<'_>,
        topic: &str,
        qos: i64,
        message: &str,
    ) -> PyResult<()> {
        let qos = qos_arg(py, qos)?;
        blocking(py, || self.inner.publish_message(topic, qos, message))
    }

    /// Publish bytes, bytearray or memoryview, byte for byte.
    fn publish_data(
        &self,
        py: Python<'_>,
        topic: &str,
        qos: i64,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let qos = qos_arg(py, qos)?;
        let data = payload(data)?;
        blocking(py, || self.inner.publish_data(topic, qos, data))
    }

    /// Publish one message with its own QoS, retain flag and MQTT 5.0 properties (a dict
    /// keyed by the property names, or a received message's MessageProperties), leaving the
    /// client-wide settings alone; safe from many threads at once. With `wait`, returns
    /// the Delivered of its acknowledgement (written for QoS 0, PUBACK, PUBCOMP); without,
    /// returns None once the message is accepted, as publish_data does.
    #[pyo3(signature = (topic, payload, qos = 0, retain = false, properties = None, wait = true))]
    #[allow(clippy::too_many_arguments)]
    fn publish(
        &self,
        py: Python<'_>,
        topic: &str,
        payload: &Bound<'_, PyAny>,
        qos: i64,
        retain: bool,
        properties: Option<&Bound<'_, PyAny>>,
        wait: bool,
    ) -> PyResult<Option<Delivered>> {
        let options = options(py, qos, retain, properties)?;
        let data = any_payload(payload)?;
        let done = blocking(py, || {
            let delivery = self.inner.publish_with(topic, data, &options)?;
            if wait {
                delivery.wait().map(Some)
            } else {
                Ok(None)
            }
        })?;
        Ok(done.map(Delivered::from))
    }

    /// Send a request (MQTT 5.0): publish with a ResponseTopic and a CorrelationData of the
    /// client's own, and return the MessageEvent that answers it. MQTTError 201 after
    /// `timeout` seconds.
    #[pyo3(signature = (topic, payload, timeout = 10.0, qos = 0, retain = false, properties = None))]
    #[allow(clippy::too_many_arguments)]
    fn request<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        payload: &Bound<'_, PyAny>,
        timeout: f64,
        qos: i64,
        retain: bool,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = timeout_arg(py, timeout)?;
        let options = options(py, qos, retain, properties)?;
        let data = any_payload(payload)?;
        let answer = blocking(py, || self.inner.request(topic, data, timeout, &options))?;
        events::to_py(py, &Event::MessageIn(answer))
    }

    /// Answer a request (a received MessageEvent): publish `payload` to its ResponseTopic
    /// with its CorrelationData, and wait for the acknowledgement. MQTTError 10022 when the
    /// message has no ResponseTopic.
    #[pyo3(signature = (request, payload, qos = 0, retain = false, properties = None))]
    fn respond(
        &self,
        py: Python<'_>,
        request: &Bound<'_, PyAny>,
        payload: &Bound<'_, PyAny>,
        qos: i64,
        retain: bool,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Delivered> {
        let (topic, request) = events::request_parts(request)?;
        let options = options(py, qos, retain, properties)?;
        let data = any_payload(payload)?;
        blocking(py, || {
            self.inner
                .respond_to(&topic, &request, data, &options)?
                .wait()
        })
        .map(Delivered::from)
    }

    /// Fire every pending event; if none is pending, wait briefly (up to 0.1 s) for one.
    fn do_events(&self, py: Python<'_>) -> PyResult<()> {
        blocking(py, || self.inner.do_events())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leaving a `with` block disconnects if still connected.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        if self.inner.connected() {
            blocking(py, || self.inner.disconnect())?;
        }
        Ok(false)
    }
}
