//! Keeps Rust panics from unwinding into Node: every entry point runs inside [`guarded`].

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run `f`, turning a panic into a JavaScript exception instead of aborting the process.
/// Nothing is observed across the unwind except the value `f` would have returned, so
/// asserting unwind safety is sound here.
pub fn guarded<T>(f: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_error(payload.as_ref())))
}

pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn panic_error(payload: &(dyn std::any::Any + Send)) -> napi::Error {
    napi::Error::new(
        napi::Status::GenericFailure,
        format!(
            "ferromq: internal error (Rust panic): {}",
            panic_message(payload)
        ),
    )
}
