//! The documented properties as mqtt_get_<property> / mqtt_set_<property>.
//!
//! Getters write through an out-parameter and return 0 or an error code, like every other
//! function. String getters hand out a new string the caller frees with mqtt_string_free.

use crate::handle::{client, mqtt_t};
use crate::panic::guard;
use crate::ptr::{str_in, Out};
use ferromq::{Error, Mqtt};
use std::ffi::{c_char, c_int};

/// Version property: MQTT 3.1.1 (the default).
pub const MQTT_VERSION_311: c_int = 0;
/// Version property: MQTT 5.0.
pub const MQTT_VERSION_5: c_int = 1;

/// Body of every scalar getter.
fn get<T>(
    func: &'static str,
    mqtt: *const mqtt_t,
    out: *mut T,
    read: impl FnOnce(&Mqtt) -> T,
) -> c_int {
    guard(func, || {
        let c = client(mqtt, func)?;
        let out = Out::new(out, func, "value")?;
        out.put(read(&c));
        Ok(())
    })
}

/// Body of every string getter.
fn get_str(
    func: &'static str,
    mqtt: *const mqtt_t,
    out: *mut *mut c_char,
    read: impl FnOnce(&Mqtt) -> String,
) -> c_int {
    guard(func, || {
        let c = client(mqtt, func)?;
        let out = Out::new(out, func, "value")?;
        out.put_string(&read(&c));
        Ok(())
    })
}

/// Body of every scalar setter.
fn set<T>(
    func: &'static str,
    mqtt: *mut mqtt_t,
    value: T,
    write: impl FnOnce(&Mqtt, T) -> Result<(), Error>,
) -> c_int {
    guard(func, || write(&client(mqtt, func)?, value))
}

/// Body of every string setter.
fn set_str(
    func: &'static str,
    mqtt: *mut mqtt_t,
    value: *const c_char,
    write: impl FnOnce(&Mqtt, &str) -> Result<(), Error>,
) -> c_int {
    guard(func, || {
        let c = client(mqtt, func)?;
        write(&c, str_in(value, func, "value")?)
    })
}

/// ClientId (default ""). `*value` receives a new string: free it with mqtt_string_free.
/// An empty id is replaced by a generated one when connecting with CleanSession true.
#[no_mangle]
pub extern "C" fn mqtt_get_client_id(mqtt: *const mqtt_t, value: *mut *mut c_char) -> c_int {
    get_str("mqtt_get_client_id", mqtt, value, Mqtt::client_id)
}

/// Set ClientId (copied). Fails with 211 while connected or connecting.
#[no_mangle]
pub extern "C" fn mqtt_set_client_id(mqtt: *mut mqtt_t, value: *const c_char) -> c_int {
    set_str("mqtt_set_client_id", mqtt, value, Mqtt::set_client_id)
}

/// CleanSession (default true).
#[no_mangle]
pub extern "C" fn mqtt_get_clean_session(mqtt: *const mqtt_t, value: *mut bool) -> c_int {
    get("mqtt_get_clean_session", mqtt, value, Mqtt::clean_session)
}

/// Set CleanSession. Fails with 211 while connected or connecting.
#[no_mangle]
pub extern "C" fn mqtt_set_clean_session(mqtt: *mut mqtt_t, value: bool) -> c_int {
    set(
        "mqtt_set_clean_session",
        mqtt,
        value,
        Mqtt::set_clean_session,
    )
}

/// KeepAliveInterval in seconds (default 0: no keep-alive).
#[no_mangle]
pub extern "C" fn mqtt_get_keep_alive_interval(mqtt: *const mqtt_t, value: *mut c_int) -> c_int {
    get(
        "mqtt_get_keep_alive_interval",
        mqtt,
        value,
        Mqtt::keep_alive_interval,
    )
}

/// Set KeepAliveInterval: 0..65535 seconds, else 10022.
#[no_mangle]
pub extern "C" fn mqtt_set_keep_alive_interval(mqtt: *mut mqtt_t, value: c_int) -> c_int {
    set(
        "mqtt_set_keep_alive_interval",
        mqtt,
        value,
        Mqtt::set_keep_alive_interval,
    )
}

/// User (default ""). `*value` receives a new string: free it with mqtt_string_free.
#[no_mangle]
pub extern "C" fn mqtt_get_user(mqtt: *const mqtt_t, value: *mut *mut c_char) -> c_int {
    get_str("mqtt_get_user", mqtt, value, Mqtt::user)
}

/// Set User (copied; "" sends no user name).
#[no_mangle]
pub extern "C" fn mqtt_set_user(mqtt: *mut mqtt_t, value: *const c_char) -> c_int {
    set_str("mqtt_set_user", mqtt, value, Mqtt::set_user)
}

/// Password (default ""). `*value` receives a new string: free it with mqtt_string_free.
#[no_mangle]
pub extern "C" fn mqtt_get_password(mqtt: *const mqtt_t, value: *mut *mut c_char) -> c_int {
    get_str("mqtt_get_password", mqtt, value, Mqtt::password)
}

/// Set Password (copied; "" sends no password).
#[no_mangle]
pub extern "C" fn mqtt_set_password(mqtt: *mut mqtt_t, value: *const c_char) -> c_int {
    set_str("mqtt_set_password", mqtt, value, Mqtt::set_password)
}

/// Version: MQTT_VERSION_311 (0, default) or MQTT_VERSION_5 (1).
#[no_mangle]
pub extern "C" fn mqtt_get_version(mqtt: *const mqtt_t, value: *mut c_int) -> c_int {
    get("mqtt_get_version", mqtt, value, Mqtt::version)
}

/// Set Version: 0 or 1, else 10022.
#[no_mangle]
pub extern "C" fn mqtt_set_version(mqtt: *mut mqtt_t, value: c_int) -> c_int {
    set("mqtt_set_version", mqtt, value, Mqtt::set_version)
}

/// RemoteHost (default ""). `*value` receives a new string: free it with mqtt_string_free.
#[no_mangle]
pub extern "C" fn mqtt_get_remote_host(mqtt: *const mqtt_t, value: *mut *mut c_char) -> c_int {
    get_str("mqtt_get_remote_host", mqtt, value, Mqtt::remote_host)
}

/// Set RemoteHost (name or address, copied). Fails with 101 while connected or connecting.
#[no_mangle]
pub extern "C" fn mqtt_set_remote_host(mqtt: *mut mqtt_t, value: *const c_char) -> c_int {
    set_str("mqtt_set_remote_host", mqtt, value, Mqtt::set_remote_host)
}

/// RemotePort (default 1883).
#[no_mangle]
pub extern "C" fn mqtt_get_remote_port(mqtt: *const mqtt_t, value: *mut c_int) -> c_int {
    get("mqtt_get_remote_port", mqtt, value, Mqtt::remote_port)
}

/// Set RemotePort: 0 fails with 116, outside 1..65535 with 10022, while connected with 100.
#[no_mangle]
pub extern "C" fn mqtt_set_remote_port(mqtt: *mut mqtt_t, value: c_int) -> c_int {
    set("mqtt_set_remote_port", mqtt, value, Mqtt::set_remote_port)
}

/// Timeout in seconds (default 60). 0: calls return at once and results arrive as events.
#[no_mangle]
pub extern "C" fn mqtt_get_timeout(mqtt: *const mqtt_t, value: *mut c_int) -> c_int {
    get("mqtt_get_timeout", mqtt, value, Mqtt::timeout)
}

/// Set Timeout: 0 or more seconds, negative fails with 10022. Allowed at any time.
#[no_mangle]
pub extern "C" fn mqtt_set_timeout(mqtt: *mut mqtt_t, value: c_int) -> c_int {
    set("mqtt_set_timeout", mqtt, value, Mqtt::set_timeout)
}

/// Connected: whether the client is connected now (CONNACK accepted, not yet closed).
#[no_mangle]
pub extern "C" fn mqtt_get_connected(mqtt: *const mqtt_t, value: *mut bool) -> c_int {
    get("mqtt_get_connected", mqtt, value, Mqtt::connected)
}

/// Set Connected: true does what mqtt_connect does, false what mqtt_disconnect does (both
/// block the same way and fire callbacks while they wait).
#[no_mangle]
pub extern "C" fn mqtt_set_connected(mqtt: *mut mqtt_t, value: bool) -> c_int {
    set("mqtt_set_connected", mqtt, value, Mqtt::set_connected)
}

/// WillTopic (default "": no will). `*value` receives a new string: free it with
/// mqtt_string_free.
#[no_mangle]
pub extern "C" fn mqtt_get_will_topic(mqtt: *const mqtt_t, value: *mut *mut c_char) -> c_int {
    get_str("mqtt_get_will_topic", mqtt, value, Mqtt::will_topic)
}

/// Set WillTopic (copied). A topic with wildcards fails with 502.
#[no_mangle]
pub extern "C" fn mqtt_set_will_topic(mqtt: *mut mqtt_t, value: *const c_char) -> c_int {
    set_str("mqtt_set_will_topic", mqtt, value, Mqtt::set_will_topic)
}

/// WillMessage (default ""). `*value` receives a new string: free it with mqtt_string_free.
#[no_mangle]
pub extern "C" fn mqtt_get_will_message(mqtt: *const mqtt_t, value: *mut *mut c_char) -> c_int {
    get_str("mqtt_get_will_message", mqtt, value, Mqtt::will_message)
}

/// Set WillMessage (copied).
#[no_mangle]
pub extern "C" fn mqtt_set_will_message(mqtt: *mut mqtt_t, value: *const c_char) -> c_int {
    set_str("mqtt_set_will_message", mqtt, value, Mqtt::set_will_message)
}

/// LocalHost (default ""). While connected: the local address the connection uses;
/// otherwise the address to bind before connecting ("" lets the system choose).
/// `*value` receives a new string: free it with mqtt_string_free.
#[no_mangle]
pub extern "C" fn mqtt_get_local_host(mqtt: *const mqtt_t, value: *mut *mut c_char) -> c_int {
    get_str("mqtt_get_local_host", mqtt, value, Mqtt::local_host)
}

/// Set LocalHost: the local address (an IP address is best) to bind before connecting;
/// "" lets the system choose. Copied. Fails with 107 while connected or connecting.
#[no_mangle]
pub extern "C" fn mqtt_set_local_host(mqtt: *mut mqtt_t, value: *const c_char) -> c_int {
    set_str("mqtt_set_local_host", mqtt, value, Mqtt::set_local_host)
}

/// LocalPort (default 0). While connected: the local port the connection uses (also the
/// one the system chose when LocalPort was 0); otherwise the port to bind.
#[no_mangle]
pub extern "C" fn mqtt_get_local_port(mqtt: *const mqtt_t, value: *mut c_int) -> c_int {
    get("mqtt_get_local_port", mqtt, value, Mqtt::local_port)
}

/// Set LocalPort: 0 (the system chooses) or 1..65535, else 10022. Fails with 106 while
/// connected or connecting.
#[no_mangle]
pub extern "C" fn mqtt_set_local_port(mqtt: *mut mqtt_t, value: c_int) -> c_int {
    set("mqtt_set_local_port", mqtt, value, Mqtt::set_local_port)
}

/// ReadyToSend (read-only; there is no setter): true while connected and no publish is
/// waiting for the send buffer to drain. A publish that failed with 135 (would block) makes
/// it false until the ReadyToSend callback fires.
#[no_mangle]
pub extern "C" fn mqtt_get_ready_to_send(mqtt: *const mqtt_t, value: *mut bool) -> c_int {
    get("mqtt_get_ready_to_send", mqtt, value, Mqtt::ready_to_send)
}

/// SSLProvider: automatic (the default).
pub const MQTT_SSL_PROVIDER_AUTOMATIC: c_int = 0;
/// SSLProvider: the platform's TLS (kept and read back; the same TLS stack is used).
pub const MQTT_SSL_PROVIDER_PLATFORM: c_int = 1;
/// SSLProvider: the internal TLS implementation (rustls).
pub const MQTT_SSL_PROVIDER_INTERNAL: c_int = 2;

/// SSLEnabled (default false): TLS over TCP. A `wss://` RemoteHost uses TLS whatever this
/// says; `ws://` never does.
#[no_mangle]
pub extern "C" fn mqtt_get_ssl_enabled(mqtt: *const mqtt_t, value: *mut bool) -> c_int {
    get("mqtt_get_ssl_enabled", mqtt, value, Mqtt::ssl_enabled)
}

/// Set SSLEnabled; used from the next connection attempt on.
#[no_mangle]
pub extern "C" fn mqtt_set_ssl_enabled(mqtt: *mut mqtt_t, value: bool) -> c_int {
    set("mqtt_set_ssl_enabled", mqtt, value, Mqtt::set_ssl_enabled)
}

/// SSLProvider: one of MQTT_SSL_PROVIDER_* (default automatic). Every value uses rustls.
#[no_mangle]
pub extern "C" fn mqtt_get_ssl_provider(mqtt: *const mqtt_t, value: *mut c_int) -> c_int {
    get("mqtt_get_ssl_provider", mqtt, value, Mqtt::ssl_provider)
}

/// Set SSLProvider: 0, 1 or 2, else 10022.
#[no_mangle]
pub extern "C" fn mqtt_set_ssl_provider(mqtt: *mut mqtt_t, value: c_int) -> c_int {
    set("mqtt_set_ssl_provider", mqtt, value, Mqtt::set_ssl_provider)
}
