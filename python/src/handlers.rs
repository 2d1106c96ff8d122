//! Event handlers registered with `on()`, and what happens when one raises.
//!
//! Blocking class (pull): the core fires handlers on the thread that is inside a blocking
//! method or `do_events()`. That thread let go of the GIL while it waited, so the bridge
//! takes it back for the handler. An exception from a handler is kept (per thread) and
//! raised from the blocking method once it returns; the remaining events of that call are
//! still fired. A second exception in the same call goes to `sys.unraisablehook`. One that
//! is not an `Exception` (KeyboardInterrupt, SystemExit) ends the call instead (stop.rs).
//!
//! asyncio class (push): handlers run on the event loop; their exceptions are handed to the
//! Python side, which passes them to `loop.call_exception_handler`.

use crate::events;
use ferromq::{Event, EVENT_NAMES};
use parking_lot::Mutex;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};
use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Default)]
pub struct Handlers {
    // Locked only for a moment, never while Python code runs: a handler may call on()/off().
    map: Mutex<HashMap<&'static str, Vec<Py<PyAny>>>>,
}

/// The documented name for `name` (exact, or with different letter case).
pub fn event_name(name: &str) -> PyResult<&'static str> {
    EVENT_NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown event {name:?}: use one of {}",
                EVENT_NAMES.join(", ")
            ))
        })
}

/// What one handler call gave back.
pub type Outcome<'py> = PyResult<Bound<'py, PyAny>>;

impl Handlers {
    pub fn add(&self, name: &'static str, f: &Bound<'_, PyAny>) -> PyResult<()> {
        if !f.is_callable() {
            return Err(PyTypeError::new_err(format!(
                "the handler for {name} must be callable, not {}",
                f.get_type().name()?
            )));
        }
        self.map
            .lock()
            .entry(name)
            .or_default()
            .push(f.clone().unbind());
        Ok(())
    }

    /// Remove one handler (compared by identity or ==), or all of the event's when `f` is
    /// None. Returns how many were removed.
    pub fn remove(
        &self,
        py: Python<'_>,
        name: &'static str,
        f: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        let current = self.snapshot(py, name);
        let mut keep = Vec::with_capacity(current.len());
        let mut removed = Vec::new();
        for h in current {
            let matches = match f {
                None => true,
                Some(f) => removed.is_empty() && (h.is(f) || h.bind(py).eq(f)?),
            };
            if matches {
                removed.push(h);
            } else {
                keep.push(h);
            }
        }
        let n = removed.len();
        if n > 0 {
            let old = self.map.lock().insert(name, keep);
            // Dropping handlers may run arbitrary __del__ code: not under the lock.
            drop(old);
        }
        drop(removed);
        Ok(n)
    }

    /// Whether anything listens to `name`; callable without the GIL.
    pub fn has(&self, name: &str) -> bool {
        self.map.lock().get(name).is_some_and(|v| !v.is_empty())
    }

    fn snapshot(&self, py: Python<'_>, name: &str) -> Vec<Py<PyAny>> {
        self.map
            .lock()
            .get(name)
            .map(|v| v.iter().map(|h| h.clone_ref(py)).collect())
            .unwrap_or_default()
    }

    /// Call every handler of the event with one event object; returns each call's outcome.
    pub fn fire<'py>(&self, py: Python<'py>, ev: &mut Event) -> Vec<Outcome<'py>> {
        let hs = self.snapshot(py, ev.name());
        if hs.is_empty() {
            return Vec::new();
        }
        let obj = match events::to_py(py, ev) {
            Ok(o) => o,
            Err(e) => return vec![Err(e)],
        };
        let out = hs.iter().map(|h| h.bind(py).call1((&obj,))).collect();
        events::write_back(ev, &obj);
        out
    }

    /// Pull mode: fire on this thread and keep the first exception for the blocking call.
    pub fn fire_pull(&self, py: Python<'_>, ev: &mut Event) {
        for outcome in self.fire(py, ev) {
            if let Err(e) = outcome {
                record(py, e);
            }
        }
    }

    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        // The collector runs with the interpreter stopped for us; if another thread holds
        // the lock right now, skipping this round only delays collection.
        if let Some(map) = self.map.try_lock() {
            for h in map.values().flatten() {
                visit.call(h)?;
            }
        }
        Ok(())
    }

    pub fn clear(&self) {
        let old = std::mem::take(&mut *self.map.lock());
        drop(old);
    }
}

thread_local! {
    static PENDING: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// One blocking call's claim on the handler exceptions raised on this thread. Calls nest
/// (a handler may call another blocking method), so each call sets aside what an outer
/// call had collected and puts it back when it leaves.
pub struct Scope {
    saved: Option<PyErr>,
}

pub fn enter() -> Scope {
    Scope {
        saved: PENDING.with(|p| p.borrow_mut().take()),
    }
}

impl Scope {
    /// The first exception a handler raised during this call, if any.
    pub fn leave(self) -> Option<PyErr> {
        PENDING.with(|p| std::mem::replace(&mut *p.borrow_mut(), self.saved))
    }
}

fn record(py: Python<'_>, err: PyErr) {
    // KeyboardInterrupt and the like end the call instead (see stop.rs).
    let Some(err) = crate::stop::offer(py, err) else {
        return;
    };
    let extra = PENDING.with(|p| {
        let mut slot = p.borrow_mut();
        if slot.is_none() {
            *slot = Some(err);
            None
        } else {
            Some(err)
        }
    });
    // Outside the borrow: the hook is Python code and may call back into us.
    if let Some(err) = extra {
        err.write_unraisable(py, None);
    }
}
