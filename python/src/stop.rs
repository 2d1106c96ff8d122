//! Ctrl-C (and any other exception meant to stop the program) during a blocking call.
//!
//! Python runs its signal handlers only on the main thread, between bytecodes; a main
//! thread parked in the engine runs none, so on its own a KeyboardInterrupt would wait for
//! the call to end (up to Timeout). The blocking class therefore gives the engine a wait
//! check ([`wait_check`]), which the waiting thread asks at least every 50 ms: on the main
//! thread it takes the GIL for a moment and runs the pending signal handlers. What one of
//! them raised is kept here (the *stop*) and the check answers true, so the engine ends the
//! wait with 301 and the blocking method raises the stop with that 301 as its context.
//!
//! A handler of ours that raises something that is not an `Exception` (KeyboardInterrupt:
//! Ctrl-C while the handler's own Python code ran; SystemExit) stops the call the same way:
//! firing the rest of a flood first would only delay what the user asked for.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// The shortest time between two looks at the signals. The engine may ask far more often
/// (after every turn of firing events); the GIL is taken at most this often.
const SIGNALS_EVERY: Duration = Duration::from_millis(40);

thread_local! {
    /// What ends this thread's blocking calls: kept until the innermost call returns.
    /// Not scoped per call (unlike handler exceptions): a call nested in a handler of an
    /// outer call that is already stopping must stop too.
    static STOP: RefCell<Option<PyErr>> = const { RefCell::new(None) };
    /// Whether this thread is Python's main thread (None: not known yet).
    static MAIN: Cell<Option<bool>> = const { Cell::new(None) };
    static LAST_LOOK: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Learn (once per thread) whether this is Python's main thread, the only one that runs
/// signal handlers, so that the wait check never takes the GIL on any other.
///
/// Kept for the thread's life: after a fork from a thread other than the main one, the
/// child's new main thread keeps "not main" and its waits are not cut short by Ctrl-C
/// (the KeyboardInterrupt is still raised when the call ends).
pub fn note_thread(py: Python<'_>) {
    if MAIN.with(Cell::get).is_some() {
        return;
    }
    let main = (|| -> PyResult<bool> {
        let threading = py.import("threading")?;
        let main = threading.call_method0("main_thread")?.getattr("ident")?;
        main.eq(threading.call_method0("get_ident")?)
    })()
    .unwrap_or(false);
    MAIN.with(|m| m.set(Some(main)));
}

/// The engine's wait check: true when this thread's blocking call must end.
pub fn wait_check() -> bool {
    if STOP.with(|s| s.borrow().is_some()) {
        return true;
    }
    if MAIN.with(Cell::get) != Some(true) {
        return false;
    }
    let now = Instant::now();
    if LAST_LOOK
        .with(Cell::get)
        .is_some_and(|t| now.duration_since(t) < SIGNALS_EVERY)
    {
        return false;
    }
    LAST_LOOK.with(|t| t.set(Some(now)));
    // try_attach: while the interpreter shuts down there are no handlers to run.
    Python::try_attach(|py| match py.check_signals() {
        Ok(()) => false,
        Err(e) => {
            // Whatever a signal handler raised stops the call, an Exception too. Nothing
            // can be kept yet (the check answered true for it), but never drop one.
            if let Some(e) = keep(e) {
                e.write_unraisable(py, None);
            }
            true
        }
    })
    .unwrap_or(false)
}

/// A handler's exception: kept as the stop when it is not an `Exception` and none is kept
/// yet; otherwise handed back (an ordinary handler exception).
pub fn offer(py: Python<'_>, err: PyErr) -> Option<PyErr> {
    if err.is_instance_of::<PyException>(py) {
        return Some(err);
    }
    keep(err)
}

/// Keep `err` as the stop unless one is kept already (then it is handed back).
fn keep(err: PyErr) -> Option<PyErr> {
    STOP.with(|s| {
        let mut slot = s.borrow_mut();
        if slot.is_none() {
            *slot = Some(err);
            None
        } else {
            Some(err)
        }
    })
}

/// The stop kept for this thread, if any; the caller raises it.
pub fn take() -> Option<PyErr> {
    STOP.with(|s| s.borrow_mut().take())
}
