//! The opaque client handle `mqtt_t`: creation, destruction, and borrowing it in a call.

use crate::error::fail;
use crate::events::Dispatch;
use crate::panic::{catch, panic_error};
use crate::ptr::{borrow, reclaim};
use ferromq::{Error, Mqtt};
use std::ffi::c_char;
use std::sync::Arc;

/// One MQTT client. Opaque: create it with `mqtt_new`, destroy it with `mqtt_free`.
pub struct mqtt_t {
    pub(crate) client: Mqtt,
    pub(crate) dispatch: Arc<Dispatch>,
}

/// Borrow the handle for one call.
pub(crate) fn handle<'a>(ptr: *const mqtt_t, func: &str) -> Result<&'a mqtt_t, Error> {
    borrow(ptr, func, "the mqtt_t handle")
}

/// The client behind the handle, as its own reference. Methods run on this clone so that a
/// callback may `mqtt_free` the handle while the call that fired it is still on the stack:
/// the client then lives until that call returns.
pub(crate) fn client(ptr: *const mqtt_t, func: &str) -> Result<Mqtt, Error> {
    Ok(handle(ptr, func)?.client.clone())
}

/// Create a client with every property at its default (see the property getters).
///
/// Ownership: the caller owns the returned handle and releases it with `mqtt_free`.
/// Returns NULL only if the library failed internally (`mqtt_last_error` says why).
#[no_mangle]
pub extern "C" fn mqtt_new() -> *mut mqtt_t {
    let made = std::panic::catch_unwind(|| {
        let client = Mqtt::new();
        let dispatch = Arc::new(Dispatch::default());
        let ptr = Box::into_raw(Box::new(mqtt_t {
            client: client.clone(),
            dispatch: dispatch.clone(),
        }));
        dispatch.attach(&client, ptr);
        ptr
    });
    made.unwrap_or_else(|p| {
        fail(panic_error("mqtt_new", p.as_ref()));
        std::ptr::null_mut()
    })
}

/// Destroy a client. Safe while connected: the connection is aborted (no DISCONNECT is
/// sent; call `mqtt_disconnect` first for a clean close) and everything the client holds is
/// released. NULL is ignored.
///
/// May be called from inside one of this client's own callbacks: no further callback fires,
/// and the call that fired it finishes and returns normally. Must not run at the same time as
/// a call on the same handle from another thread. The handle is invalid afterwards.
#[no_mangle]
pub extern "C" fn mqtt_free(mqtt: *mut mqtt_t) {
    catch((), || {
        let Some(owned) = reclaim(mqtt) else {
            return;
        };
        // Also removes the wait check, waiting for one that runs on another thread.
        owned.dispatch.detach(&owned.client);
        // A notifier would otherwise still reach the application's user_data from an engine
        // thread while an outer call keeps the client alive.
        owned.client.set_event_notifier(None);
        drop(owned);
    })
}

/// The version of this library, e.g. "0.1.0". Static: never freed, never NULL.
#[no_mangle]
pub extern "C" fn mqtt_library_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    catch(VERSION.as_ptr().cast(), || VERSION.as_ptr().cast())
}
