//! No Rust panic may unwind into C: every entry point runs inside one of these wrappers.

use crate::error::{fail, MQTT_ERR_BAD_STATE, MQTT_OK};
use ferromq::Error;
use std::any::Any;
use std::ffi::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Run the body of an `int`-returning entry point: 0 on success; otherwise the error's code,
/// with its message stored for `mqtt_last_error`. A panic becomes `MQTT_ERR_BAD_STATE` with a
/// message naming the function, so the caller can report it instead of the process aborting.
pub(crate) fn guard(func: &'static str, body: impl FnOnce() -> Result<(), Error>) -> c_int {
    // AssertUnwindSafe: after a panic the client's state is whatever the core left; its locks
    // do not poison (parking_lot), and the caller is told the call failed.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => MQTT_OK,
        Ok(Err(e)) => fail(e),
        Err(payload) => fail(panic_error(func, payload.as_ref())),
    }
}

/// For the few entry points that return something other than an error code: a panic yields
/// `fallback`.
pub(crate) fn catch<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

pub(crate) fn panic_error(func: &str, payload: &(dyn Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(
        MQTT_ERR_BAD_STATE,
        format!("{func}: internal error in the MQTT engine: {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_code() {
        let code = guard("mqtt_test", || panic!("boom {}", 7));
        assert_eq!(code, MQTT_ERR_BAD_STATE);
        // SAFETY: mqtt_last_error never returns NULL.
        let msg = unsafe { std::ffi::CStr::from_ptr(crate::error::mqtt_last_error()) };
        let msg = msg.to_str().unwrap();
        assert!(msg.contains("mqtt_test") && msg.contains("boom 7"), "{msg}");
        assert_eq!(catch(5, || panic!("x")), 5);
    }
}
