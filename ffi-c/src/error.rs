//! Error codes as C constants, and the per-thread "last error" that carries the message.

use crate::panic::catch;
use ferromq::Error;
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CString};

// The documented numbers, as C macros. Literals (not `ferromq::code::*` paths) because
// cbindgen only evaluates literals; ffi-c/tests/description.rs checks every MQTT_ERR_* of
// the header against the core's ERROR_CODES by name.

/// Success.
pub const MQTT_OK: c_int = 0;
/// MQTT protocol error; also a CONNACK refusal (the message names the reason).
pub const MQTT_ERR_PROTOCOL: c_int = 500;
/// Every packet identifier is in use.
pub const MQTT_ERR_PACKET_ID_EXHAUSTED: c_int = 501;
/// A topic name that may not be published to (wildcards, empty, too long).
pub const MQTT_ERR_INVALID_TOPIC: c_int = 502;
/// A topic filter that may not be subscribed to.
pub const MQTT_ERR_INVALID_TOPIC_FILTER: c_int = 503;
/// Malformed packet data.
pub const MQTT_ERR_MALFORMED: c_int = 504;
/// A QoS other than 0, 1 or 2.
pub const MQTT_ERR_INVALID_QOS: c_int = 505;
/// The server refused a message with a reason code of 0x80 or above (the message names
/// it): an acknowledged publish (mqtt_publish_ex with `out`), mqtt_request, mqtt_respond.
pub const MQTT_ERR_SERVER_REFUSED: c_int = 506;
/// RemotePort cannot change while connected or connecting.
pub const MQTT_ERR_REMOTE_PORT_LOCKED: c_int = 100;
/// RemoteHost cannot change while connected or connecting.
pub const MQTT_ERR_REMOTE_HOST_LOCKED: c_int = 101;
/// RemoteHost is empty or not a usable address.
pub const MQTT_ERR_INVALID_ADDRESS: c_int = 102;
/// Already connected: disconnect first.
pub const MQTT_ERR_ALREADY_CONNECTED: c_int = 104;
/// LocalPort cannot change while connected or connecting.
pub const MQTT_ERR_LOCAL_PORT_LOCKED: c_int = 106;
/// LocalHost cannot change while connected or connecting.
pub const MQTT_ERR_LOCAL_HOST_LOCKED: c_int = 107;
/// RemotePort 0 was given.
pub const MQTT_ERR_REMOTE_PORT_ZERO: c_int = 116;
/// The send buffer is full (Timeout 0); wait for ReadyToSend.
pub const MQTT_ERR_WOULD_BLOCK: c_int = 135;
/// A blocking call waited Timeout seconds.
pub const MQTT_ERR_TIMEOUT: c_int = 201;
/// A blocking call was ended by mqtt_interrupt (or mqtt_reset).
pub const MQTT_ERR_INTERRUPTED: c_int = 301;
/// A file named by a setting (SessionStateFile) could not be read or written.
pub const MQTT_ERR_FILE: c_int = 302;
/// The call is not possible in the client's present state; also an internal failure
/// (a Rust panic caught at the boundary).
pub const MQTT_ERR_BAD_STATE: c_int = 211;
/// The call needs a connection; also a publish refused while AutoReconnect re-establishes
/// the connection because OfflineQueueLimit messages already wait (the message names it).
pub const MQTT_ERR_NOT_CONNECTED: c_int = 212;
/// A connection attempt is already in progress.
pub const MQTT_ERR_ALREADY_CONNECTING: c_int = 1105;
/// Connect first.
pub const MQTT_ERR_CONNECT_FIRST: c_int = 1117;
/// The server closed the connection without DISCONNECT.
pub const MQTT_ERR_DROPPED: c_int = 1120;
/// MaxLineLength cannot change while connected or connecting.
pub const MQTT_ERR_MAX_LINE_LENGTH_LOCKED: c_int = 112;
/// The proxy (Firewall) refused or could not be reached; the message has its answer.
pub const MQTT_ERR_FIREWALL: c_int = 118;
/// TLS: the TLS library could not be set up with the settings given.
pub const MQTT_ERR_TLS_LIBRARY: c_int = 270;
/// TLS: a certificate store could not be opened (unreadable, wrong password, a store
/// type this platform has not).
pub const MQTT_ERR_TLS_STORE: c_int = 271;
/// TLS: no certificate in the store matches the subject asked for.
pub const MQTT_ERR_TLS_CERT_NOT_FOUND: c_int = 272;
/// TLS: the certificate has no usable private key.
pub const MQTT_ERR_TLS_CREDENTIALS: c_int = 273;
/// TLS: error during the handshake.
pub const MQTT_ERR_TLS_HANDSHAKE: c_int = 276;
/// TLS: the server certificate could not be verified.
pub const MQTT_ERR_TLS_CERT_VERIFY: c_int = 280;
/// An argument, property value or config setting is invalid (also: a NULL pointer, a
/// string that is not UTF-8, an unknown config setting).
pub const MQTT_ERR_INVALID_ARGUMENT: c_int = 10022;
/// The connection was reset by the peer.
pub const MQTT_ERR_CONNECTION_RESET: c_int = 10054;
/// The TCP connection attempt timed out.
pub const MQTT_ERR_CONNECTION_TIMED_OUT: c_int = 10060;
/// Nothing listens on the remote port.
pub const MQTT_ERR_CONNECTION_REFUSED: c_int = 10061;
/// The host name does not resolve.
pub const MQTT_ERR_HOST_NOT_FOUND: c_int = 11001;

thread_local! {
    static LAST_ERROR: RefCell<Option<(c_int, CString)>> = const { RefCell::new(None) };
}

/// Record `err` as this thread's last error and return its code for the C caller.
pub(crate) fn fail(err: Error) -> c_int {
    let code = err.code;
    // C strings cannot hold NUL; a message never should, but one must not be lost over it.
    let text = CString::new(err.message.replace('\0', "\\0")).unwrap_or_default();
    // try_with: during thread teardown the slot may already be gone; the code still returns.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some((code, text));
        }
    });
    code
}

/// Shorthand for the errors the face itself raises (NULL, bad UTF-8, bad length).
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(MQTT_ERR_INVALID_ARGUMENT, message)
}

/// The message of the most recent failing `mqtt_*` call made on the calling thread, or ""
/// when none has failed yet.
///
/// Ownership: the string belongs to the library; do not free it. It stays valid until the
/// next failing `mqtt_*` call on the same thread (including calls made from inside an
/// event callback) or until the thread exits; copy it to keep it longer. Never NULL.
#[no_mangle]
pub extern "C" fn mqtt_last_error() -> *const c_char {
    const EMPTY: &std::ffi::CStr = c"";
    catch(EMPTY.as_ptr(), || {
        LAST_ERROR
            .try_with(|slot| match &*slot.borrow() {
                Some((_, text)) => text.as_ptr(),
                None => EMPTY.as_ptr(),
            })
            .unwrap_or(EMPTY.as_ptr())
    })
}

/// The code of the most recent failing `mqtt_*` call on the calling thread (0 if none).
#[no_mangle]
pub extern "C" fn mqtt_last_error_code() -> c_int {
    catch(MQTT_ERR_BAD_STATE, || {
        LAST_ERROR
            .try_with(|slot| slot.borrow().as_ref().map_or(MQTT_OK, |(code, _)| *code))
            .unwrap_or(MQTT_OK)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_error_is_per_thread() {
        assert_eq!(fail(invalid("here")), MQTT_ERR_INVALID_ARGUMENT);
        std::thread::spawn(|| {
            assert_eq!(mqtt_last_error_code(), MQTT_OK);
            fail(Error::new(500, "there"));
        })
        .join()
        .unwrap();
        assert_eq!(mqtt_last_error_code(), MQTT_ERR_INVALID_ARGUMENT);
        // SAFETY: mqtt_last_error never returns NULL and the string lives until the next failure.
        let text = unsafe { std::ffi::CStr::from_ptr(mqtt_last_error()) };
        assert_eq!(text.to_str().unwrap(), "here");
    }
}
