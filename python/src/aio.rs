//! `_AioClient`: the engine side of `ferromq.aio.mqtt` (the core's push mode).
//!
//! No engine thread ever takes the GIL. Both kinds of news reach the event loop through
//! one socket pair:
//! - events: the core's notifier (called on an engine thread) writes a byte;
//! - results of `*_async` calls: each core future runs on the core's runtime, and when it
//!   ends its result is put in a mailbox and a byte is written.
//!
//! The loop watches the other end (`loop.add_reader`, set up in aio.py) and calls
//! `_pump()` on its own thread, which fires handlers and then resolves the asyncio
//! futures, so a `Connected` handler has run by the time `await connect()` returns.

use crate::client::{payload, qos_arg, Client};
use crate::error::{to_i32, to_py_err};
use crate::events;
use crate::handlers::Handlers;
use crate::publish::{any_payload, options, timeout_arg, Delivered};
use ferromq::Mqtt;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyAny;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// What a finished call resolves its future with, made into Python on the loop's thread.
enum Answer {
    Nothing,
    Delivered(ferromq::Delivered),
    Message(ferromq::MessageEvent),
}

impl From<()> for Answer {
    fn from(_: ()) -> Self {
        Answer::Nothing
    }
}

impl From<ferromq::Delivered> for Answer {
    fn from(d: ferromq::Delivered) -> Self {
        Answer::Delivered(d)
    }
}

impl From<ferromq::MessageEvent> for Answer {
    fn from(m: ferromq::MessageEvent) -> Self {
        Answer::Message(m)
    }
}

type Finished = (Py<PyAny>, ferromq::Result<Answer>);

/// What `_pump` hands back to aio.py: (handler exceptions, awaitables, more to come).
type Pumped = (Vec<Py<PyAny>>, Vec<Py<PyAny>>, bool);

#[derive(Default)]
struct Link {
    /// A wake-up byte is in flight and not yet answered by `_pump`; later news rides on it.
    pending: AtomicBool,
    #[cfg(unix)]
    tx: OnceLock<std::os::unix::net::UnixStream>,
    finished: Mutex<Vec<Finished>>,
}

impl Link {
    fn poke(&self) {
        #[cfg(unix)]
        {
            let Some(tx) = self.tx.get() else { return };
            if !self.pending.swap(true, Ordering::SeqCst) {
                // A full socket buffer means a wake-up is already waiting: nothing lost.
                let _ = (&*tx).write(&[1]);
            }
        }
    }
}

/// The engine side of `ferromq.aio.mqtt` (push delivery, futures resolved on the loop).
/// Use `ferromq.aio.mqtt`, which subclasses this.
#[pyclass(frozen, extends = Client, subclass, module = "ferromq._native", name = "_AioClient")]
pub struct AioClient {
    inner: Mqtt,
    handlers: Arc<Handlers>,
    link: Arc<Link>,
}

impl AioClient {
    /// Run a core future on the core's runtime; its result resolves `fut` on the loop.
    fn spawn<T: Into<Answer>>(
        &self,
        fut: Py<PyAny>,
        work: impl Future<Output = ferromq::Result<T>> + Send + 'static,
    ) {
        let link = self.link.clone();
        ferromq::driver::runtime().spawn(async move {
            let r = work.await.map(Into::into);
            link.finished.lock().push((fut, r));
            link.poke();
        });
    }
}

/// Complete one asyncio future with a core result, unless it is already done (a cancelled
/// await leaves a done future behind; its result has nowhere to go).
fn resolve(py: Python<'_>, fut: &Bound<'_, PyAny>, r: ferromq::Result<Answer>) -> PyResult<()> {
    if fut.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    match r {
        Ok(Answer::Nothing) => fut.call_method1("set_result", (py.None(),))?,
        Ok(Answer::Delivered(d)) => fut.call_method1("set_result", (Delivered::from(d),))?,
        Ok(Answer::Message(m)) => {
            let m = events::to_py(py, &ferromq::Event::MessageIn(m))?;
            fut.call_method1("set_result", (m,))?
        }
        Err(e) => fut.call_method1("set_exception", (to_py_err(py, e).into_value(py),))?,
    };
    Ok(())
}

#[pymethods]
impl AioClient {
    #[new]
    fn new() -> (Self, Client) {
        let base = Client::create();
        (
            AioClient {
                inner: base.inner.clone(),
                handlers: base.handlers.clone(),
                link: Arc::new(Link::default()),
            },
            base,
        )
    }

    /// Switch the client to push delivery and return the file descriptor the event loop
    /// must watch; the caller owns it from now on. Called once, by aio.py.
    fn _start_push(&self) -> PyResult<i64> {
        #[cfg(unix)]
        {
            use std::os::fd::IntoRawFd;
            let (tx, rx) = std::os::unix::net::UnixStream::pair()?;
            tx.set_nonblocking(true)?;
            rx.set_nonblocking(true)?;
            if self.link.tx.set(tx).is_err() {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "push delivery is already started for this client",
                ));
            }
            let link = self.link.clone();
            // `_pump` answers every SSLServerAuthentication once its handlers ran, so the
            // handshake waits for that answer (a handler's `accept` decides).
            self.inner.set_push_answers_server_authentication(true);
            self.inner
                .set_event_notifier(Some(Arc::new(move || link.poke())));
            // Results that finished before now would otherwise wait for the next event.
            if !self.link.finished.lock().is_empty() {
                self.link.poke();
            }
            Ok(i64::from(rx.into_raw_fd()))
        }
        #[cfg(not(unix))]
        {
            Err(pyo3::exceptions::PyNotImplementedError::new_err(
                "ferromq.aio needs a Unix platform",
            ))
        }
    }

    /// Stop answering SSLServerAuthentication (the loop no longer pumps: `close()`); later
    /// handshakes keep the engine's own decision instead of waiting for an answer.
    fn _stop_answers(&self) {
        self.inner.set_push_answers_server_authentication(false);
    }

    /// Fire up to `max_events` pending events, for `max_seconds` at most (a handler's own
    /// time aside: a slow handler is not cut short, the next one waits for another round),
    /// then resolve finished calls' futures. Returns (exceptions raised by handlers,
    /// awaitables returned by handlers, whether events may be left over for another round).
    /// Firing stops after the first event whose handlers returned awaitables: aio.py runs
    /// them to the end before the next event's handlers start (handlers in event order).
    fn _pump(&self, py: Python<'_>, max_events: usize, max_seconds: f64) -> PyResult<Pumped> {
        self.link.pending.store(false, Ordering::SeqCst);
        let mut errors = Vec::new();
        let mut awaitables = Vec::new();
        let slice = Duration::try_from_secs_f64(max_seconds).unwrap_or(Duration::ZERO);
        let until = Instant::now().checked_add(slice);
        // One event at a time (one taken is one fired: taking moves the in-flight
        // collections along), the slice looked at after each handler, and every
        // SSLServerAuthentication answered with the `accept` its handlers left (what the
        // engine proposed when none is registered, or when one raised before changing it).
        let mut count = 0;
        let mut more = true;
        while count < max_events && awaitables.is_empty() {
            if count > 0 && until.is_some_and(|t| Instant::now() >= t) {
                break;
            }
            let fired = self.inner.fire_events(1, None, |ev| {
                for outcome in self.handlers.fire(py, ev) {
                    let awaitable = outcome.and_then(|r| Ok((r.hasattr("__await__")?, r)));
                    match awaitable {
                        Ok((true, r)) => awaitables.push(r.unbind()),
                        Ok((false, _)) => {}
                        Err(e) => errors.push(e.into_value(py).into_any()),
                    }
                }
            });
            if fired.count == 0 {
                more = false;
                break;
            }
            count += 1;
        }
        // Every finished call gets its answer even if one of them cannot be delivered.
        let finished = std::mem::take(&mut *self.link.finished.lock());
        for (fut, r) in finished {
            if let Err(e) = resolve(py, fut.bind(py), r) {
                errors.push(e.into_value(py).into_any());
            }
        }
        Ok((errors, awaitables, more))
    }

    fn _connect(&self, fut: Py<PyAny>) {
        self.spawn(fut, self.inner.connect_async());
    }

    fn _connect_to(&self, py: Python<'_>, fut: Py<PyAny>, host: &str, port: i64) -> PyResult<()> {
        let port = to_i32(py, "RemotePort", port)?;
        self.spawn(fut, self.inner.connect_to_async(host, port));
        Ok(())
    }

    fn _disconnect(&self, fut: Py<PyAny>) {
        self.spawn(fut, self.inner.disconnect_async());
    }

    fn _subscribe(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        topic_filter: &str,
        qos: i64,
    ) -> PyResult<()> {
        let qos = qos_arg(py, qos)?;
        self.spawn(fut, self.inner.subscribe_async(topic_filter, qos));
        Ok(())
    }

    fn _unsubscribe(&self, fut: Py<PyAny>, topic_filter: &str) {
        self.spawn(fut, self.inner.unsubscribe_async(topic_filter));
    }

    fn _publish_message(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        topic: &str,
        qos: i64,
        message: &str,
    ) -> PyResult<()> {
        let qos = qos_arg(py, qos)?;
        let data = bytes::Bytes::copy_from_slice(message.as_bytes());
        // The core hands the message over at call time when it can, and queues it in
        // call order when it cannot, so publishes keep their order without a queue here.
        self.spawn(fut, self.inner.publish_data_async(topic, qos, data));
        Ok(())
    }

    fn _publish_data(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        topic: &str,
        qos: i64,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let qos = qos_arg(py, qos)?;
        let data = payload(data)?;
        // The core hands the message over at call time when it can, and queues it in
        // call order when it cannot, so publishes keep their order without a queue here.
        self.spawn(fut, self.inner.publish_data_async(topic, qos, data));
        Ok(())
    }

    #[pyo3(signature = (fut, topic, payload, qos = 0, retain = false, properties = None))]
    #[allow(clippy::too_many_arguments)]
    fn _publish(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        topic: &str,
        payload: &Bound<'_, PyAny>,
        qos: i64,
        retain: bool,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let options = options(py, qos, retain, properties)?;
        let data = any_payload(payload)?;
        self.spawn(fut, self.inner.publish_with_async(topic, data, &options));
        Ok(())
    }

    #[pyo3(signature = (fut, topic, payload, timeout = 10.0, qos = 0, retain = false, properties = None))]
    #[allow(clippy::too_many_arguments)]
    fn _request(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        topic: &str,
        payload: &Bound<'_, PyAny>,
        timeout: f64,
        qos: i64,
        retain: bool,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let timeout = timeout_arg(py, timeout)?;
        let options = options(py, qos, retain, properties)?;
        let data = any_payload(payload)?;
        self.spawn(
            fut,
            self.inner.request_async(topic, data, timeout, &options),
        );
        Ok(())
    }

    #[pyo3(signature = (fut, request, payload, qos = 0, retain = false, properties = None))]
    #[allow(clippy::too_many_arguments)]
    fn _respond(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        request: &Bound<'_, PyAny>,
        payload: &Bound<'_, PyAny>,
        qos: i64,
        retain: bool,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let (topic, request) = events::request_parts(request)?;
        let options = options(py, qos, retain, properties)?;
        let data = any_payload(payload)?;
        self.spawn(
            fut,
            self.inner
                .respond_to_async(&topic, &request, data, &options),
        );
        Ok(())
    }
}
