//! The documented methods. Blocking ones wait up to Timeout seconds and fire this client's
//! callbacks on the calling thread while they wait (pull mode).

use crate::events::do_events;
use crate::handle::{client, mqtt_t};
use crate::panic::guard;
use crate::ptr::{bytes_in, put_string_if_wanted, str_in, Out};
use std::ffi::{c_char, c_int};

/// Read or write a config setting. `setting` is "Name" to read or "Name=Value" to write
/// (names ignore case). When `value` is not NULL, `*value` receives a new string: the
/// setting's value for a read, "" for a write; free it with mqtt_string_free. `value` may be
/// NULL when the result is not wanted.
///
/// Errors: 10022 for an unknown setting, a read-only one given a value, or a value out of
/// range (505 for a QoS); the message names the setting and the value.
#[no_mangle]
pub extern "C" fn mqtt_config(
    mqtt: *mut mqtt_t,
    setting: *const c_char,
    value: *mut *mut c_char,
) -> c_int {
    const F: &str = "mqtt_config";
    guard(F, || {
        let (c, s) = (client(mqtt, F)?, str_in(setting, F, "setting")?);
        let result = c.config(s)?;
        put_string_if_wanted(value, &result);
        Ok(())
    })
}

/// Connect to RemoteHost:RemotePort with the current properties. Returns once CONNACK
/// accepted the connection (Timeout > 0), or at once (Timeout 0: the Connected callback
/// tells the outcome). Errors: 104 already connected, 1105 already connecting, 102 no
/// RemoteHost, 500 refused by the server, 10061 nothing listens, 11001 unknown host, 201
/// timed out.
#[no_mangle]
pub extern "C" fn mqtt_connect(mqtt: *mut mqtt_t) -> c_int {
    const F: &str = "mqtt_connect";
    guard(F, || client(mqtt, F)?.connect())
}

/// Set RemoteHost and RemotePort, then connect as mqtt_connect does. `host` is copied.
#[no_mangle]
pub extern "C" fn mqtt_connect_to(mqtt: *mut mqtt_t, host: *const c_char, port: c_int) -> c_int {
    const F: &str = "mqtt_connect_to";
    guard(F, || {
        let (c, h) = (client(mqtt, F)?, str_in(host, F, "host")?);
        c.connect_to(h, port)
    })
}

/// Send DISCONNECT (after everything already accepted for sending) and close the
/// connection; returns once it is closed (Timeout > 0). Not connected: returns 0.
#[no_mangle]
pub extern "C" fn mqtt_disconnect(mqtt: *mut mqtt_t) -> c_int {
    const F: &str = "mqtt_disconnect";
    guard(F, || client(mqtt, F)?.disconnect())
}

/// Subscribe to one or more topic filters separated by the TopicDelimiter setting (","),
/// all at `qos` unless the TopicQOSArray setting lists one QoS per filter. Returns when the
/// server acknowledged (Timeout > 0); the Subscribed callback fires once per filter.
/// Errors: 1117 not connected, 503 invalid filter, 505 invalid QoS.
#[no_mangle]
pub extern "C" fn mqtt_subscribe(
    mqtt: *mut mqtt_t,
    topic_filter: *const c_char,
    qos: c_int,
) -> c_int {
    const F: &str = "mqtt_subscribe";
    guard(F, || {
        let (c, t) = (client(mqtt, F)?, str_in(topic_filter, F, "topic_filter")?);
        c.subscribe(t, qos)
    })
}

/// Unsubscribe from filters given exactly as they were subscribed (TopicDelimiter
/// separated). Returns when the server acknowledged (Timeout > 0); Unsubscribed fires once.
#[no_mangle]
pub extern "C" fn mqtt_unsubscribe(mqtt: *mut mqtt_t, topic_filter: *const c_char) -> c_int {
    const F: &str = "mqtt_unsubscribe";
    guard(F, || {
        let (c, t) = (client(mqtt, F)?, str_in(topic_filter, F, "topic_filter")?);
        c.unsubscribe(t)
    })
}

/// Publish a text message (`message` is NUL-terminated UTF-8 and copied) to `topic` at
/// `qos`. Returns once the PUBLISH is queued for sending; MessageOut (and for QoS 1/2
/// MessageAck) report delivery. The Retain and Duplicate settings apply.
/// Errors: 502 topic with wildcards, 505 QoS not 0..2 (both before anything is sent),
/// 1117 not connected, 135 with Timeout 0 when the send buffer is full or (QoS 1/2)
/// MaxOutgoingMessages are already kept, 201 when such a wait outlasts Timeout.
///
/// With the AutoReconnect setting on, a publish made while the connection is being
/// re-established is kept (in order) and sent once it is back; past OfflineQueueLimit such
/// publishes fail with 212 (MQTT_ERR_NOT_CONNECTED) naming the limit.
#[no_mangle]
pub extern "C" fn mqtt_publish_message(
    mqtt: *mut mqtt_t,
    topic: *const c_char,
    qos: c_int,
    message: *const c_char,
) -> c_int {
    const F: &str = "mqtt_publish_message";
    guard(F, || {
        let (c, t, m) = (
            client(mqtt, F)?,
            str_in(topic, F, "topic")?,
            str_in(message, F, "message")?,
        );
        c.publish_message(t, qos, m)
    })
}

/// Publish `length` bytes from `data` (copied; NULL allowed when `length` is 0) to `topic`
/// at `qos`. Otherwise as mqtt_publish_message.
#[no_mangle]
pub extern "C" fn mqtt_publish_data(
    mqtt: *mut mqtt_t,
    topic: *const c_char,
    qos: c_int,
    data: *const u8,
    length: usize,
) -> c_int {
    const F: &str = "mqtt_publish_data";
    guard(F, || {
        let (c, t, d) = (
            client(mqtt, F)?,
            str_in(topic, F, "topic")?,
            bytes_in(data, length, F, "data")?,
        );
        // One copy: C keeps its buffer; the Vec becomes the payload without another.
        c.publish_data(t, qos, d.to_vec())
    })
}

/// Fire every waiting event's callback on this thread; when none is waiting, wait briefly
/// (about 100 ms) for one. In push mode, fire what is waiting and return.
#[no_mangle]
pub extern "C" fn mqtt_do_events(mqtt: *mut mqtt_t) -> c_int {
    guard("mqtt_do_events", || do_events(mqtt))
}

/// Interrupt: end the blocking call in progress on this client with 301
/// (MQTT_ERR_INTERRUPTED) and disconnect (a connection that is up gets DISCONNECT, so no
/// Will is published; an attempt still under way is abandoned). Returns 0 at once.
///
/// Meant to be called while another thread is inside a blocking call on the same handle,
/// or from one of this client's callbacks (the blocking call that fired it then returns
/// 301 once the callback returns, or 0 if it had already completed). With no call in
/// progress it only disconnects; the next call is not affected.
#[no_mangle]
pub extern "C" fn mqtt_interrupt(mqtt: *mut mqtt_t) -> c_int {
    const F: &str = "mqtt_interrupt";
    guard(F, || client(mqtt, F)?.interrupt())
}

/// Reset: drop the connection (at once, without DISCONNECT or waiting), end a blocking call
/// in progress with 301, and put every property and config setting back to its default.
/// What is not a property stays: the registered callbacks and the event notifier (push
/// mode). Returns 0. The values are defaults when it returns; the connection closes in the
/// background, and until its Disconnected callback has fired the properties that are locked
/// while connected still refuse changes.
#[no_mangle]
pub extern "C" fn mqtt_reset(mqtt: *mut mqtt_t) -> c_int {
    const F: &str = "mqtt_reset";
    guard(F, || client(mqtt, F)?.reset())
}

/// SaveSession: the client-side session state — the QoS 1/2 messages we sent that are not
/// completely acknowledged, and the QoS 2 messages received whose PUBREL has not come — as
/// text. On success `*state` receives a new string (one line of JSON): free it with
/// mqtt_string_free. When the SessionStateFile config setting names a file, the same text
/// is also written there (created or replaced).
///
/// Works connected or not: while connected it is the live state at this moment; after a
/// disconnect (or a lost connection) it is what that connection left. Keep the text and hand
/// it to mqtt_restore_session, in this process or another, to go on with CleanSession false.
///
/// Errors: 10022 if `state` is NULL; 302 if SessionStateFile cannot be written (the message
/// names the file). On failure `*state` is left untouched.
#[no_mangle]
pub extern "C" fn mqtt_save_session(mqtt: *mut mqtt_t, state: *mut *mut c_char) -> c_int {
    const F: &str = "mqtt_save_session";
    guard(F, || {
        let c = client(mqtt, F)?;
        let state = Out::new(state, F, "state")?;
        state.put_string(&c.save_session()?);
        Ok(())
    })
}

/// RestoreSession: load session state saved by mqtt_save_session (copied) for the next
/// connection, and set CleanSession false. When the SessionStateFile config setting names a
/// file, the state is read from that file and `state` is ignored (pass ""). Call it before
/// connecting; the restored messages are listed by mqtt_get_outgoing_message /
/// mqtt_get_incoming_message at once, and go out when the connection is made.
///
/// Errors, each of which loads nothing and changes nothing (CleanSession included): 10022 if
/// `state` is NULL, or if the text is empty, truncated, altered or otherwise not a saved
/// session (the message says what is wrong and ends "nothing was loaded"); 302 if
/// SessionStateFile cannot be read (the message names the file); 211 while connected or
/// connecting.
#[no_mangle]
pub extern "C" fn mqtt_restore_session(mqtt: *mut mqtt_t, state: *const c_char) -> c_int {
    const F: &str = "mqtt_restore_session";
    guard(F, || {
        let (c, s) = (client(mqtt, F)?, str_in(state, F, "state")?);
        c.restore_session(s)
    })
}
