//! Events: one C struct per documented event, one callback registration per event, and the
//! dispatcher that turns core events into C calls (pull mode by default; push on request).
//!
//! Every pointer inside an event struct is valid only while the callback runs; copy what
//! you keep.

use crate::handle::{handle, mqtt_t};
use crate::message_properties::{mqtt_message_properties, properties_ptr, PropertiesOut};
use crate::panic::guard;
use crate::ptr::cstring;
use ferromq::{Error, Event, MessageEvent, Mqtt};
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

/// Connected: a connection attempt finished (successfully or not).
#[repr(C)]
pub struct mqtt_connected_event {
    /// 0 when connected; otherwise the error code of the failure.
    pub status_code: c_int,
    /// What happened, in words (UTF-8).
    pub description: *const c_char,
}

/// ConnectionStatus: a step of establishing or closing the connection.
#[repr(C)]
pub struct mqtt_connection_status_event {
    /// The step, in words (UTF-8).
    pub connection_event: *const c_char,
    /// 0, or the error code of the step.
    pub status_code: c_int,
    pub description: *const c_char,
}

/// Disconnected: the connection is closed.
#[repr(C)]
pub struct mqtt_disconnected_event {
    /// 0 for a normal close; otherwise the error code of why it ended.
    pub status_code: c_int,
    pub description: *const c_char,
}

/// Error: a failure that no call returned (e.g. while delivering data in the background).
#[repr(C)]
pub struct mqtt_error_event {
    pub error_code: c_int,
    pub description: *const c_char,
}

/// Log: one log line (see the LogLevel config setting).
#[repr(C)]
pub struct mqtt_log_event {
    /// 1 info, 2 verbose, 3 debug.
    pub log_level: c_int,
    pub message: *const c_char,
    /// "Info", "Packet", "Reconnect" or "Session".
    pub log_type: *const c_char,
}

/// MessageAck: a QoS 1/2 message finished its acknowledgement steps.
#[repr(C)]
pub struct mqtt_message_ack_event {
    pub packet_id: c_int,
    /// 0: a message we published (outgoing); 1: a message the server sent (incoming).
    pub direction: c_int,
    /// The message's position among the in-flight messages while the callback runs.
    pub index: c_int,
    /// The acknowledgement's reason code (always 0 under MQTT 3.1.1).
    pub response_code: c_int,
}

/// MessageIn and MessageOut: one message received, or one message sent. The struct, the topic
/// and both payload pointers are valid only while the callback runs.
#[repr(C)]
pub struct mqtt_message_event {
    /// The packet identifier; -1 for QoS 0.
    pub packet_id: c_int,
    /// The topic (UTF-8, NUL-terminated).
    pub topic: *const c_char,
    pub qos: c_int,
    /// The payload as text: invalid UTF-8 replaced by U+FFFD, NUL-terminated. It may hold NUL
    /// bytes of its own; `message_len` is its length in bytes without the terminator.
    pub message: *const c_char,
    pub message_len: usize,
    /// The payload exactly as sent: `message_b_len` bytes, not NUL-terminated. Never NULL,
    /// also for an empty payload.
    pub message_b: *const u8,
    pub message_b_len: usize,
    /// MessageIn: the server sent it as a retained message. MessageOut: published with Retain.
    pub retained: bool,
    /// The DUP flag.
    pub duplicate: bool,
    /// The MQTT 5.0 properties of this very message: what the server sent (MessageIn) or
    /// what we sent (MessageOut). Never NULL: under MQTT 3.1.1, or when the message had
    /// none, every value in it is absent. Valid, like the rest, while the callback runs.
    pub properties: *const mqtt_message_properties,
}

/// SSLServerAuthentication: the server presented its certificate.
#[repr(C)]
pub struct mqtt_ssl_server_authentication_event {
    /// The certificate, PEM-style text.
    pub cert_encoded: *const c_char,
    /// The certificate, DER bytes (`cert_encoded_b_len` of them).
    pub cert_encoded_b: *const u8,
    pub cert_encoded_b_len: usize,
    pub cert_subject: *const c_char,
    pub cert_issuer: *const c_char,
    /// The verification result, in words.
    pub status: *const c_char,
    /// Set to true in the callback to accept a certificate that failed verification.
    pub accept: bool,
}

/// SSLStatus: progress of the TLS handshake.
#[repr(C)]
pub struct mqtt_ssl_status_event {
    pub message: *const c_char,
}

/// Subscribed: the server answered for one topic filter.
#[repr(C)]
pub struct mqtt_subscribed_event {
    pub topic_filter: *const c_char,
    /// The granted QoS, or -1 when the server refused the filter.
    pub qos: c_int,
    pub response_code: c_int,
}

/// Unsubscribed: the server acknowledged an mqtt_unsubscribe call.
#[repr(C)]
pub struct mqtt_unsubscribed_event {
    /// The filters exactly as given to mqtt_unsubscribe (delimiters included).
    pub topic_filters: *const c_char,
    pub response_code: c_int,
}

/// Callback for the Connected event. `mqtt` is the client that fired it; `event` and every
/// pointer inside it are valid only until the callback returns (the same for every
/// callback type below).
pub type mqtt_connected_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_connected_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the ConnectionStatus event.
pub type mqtt_connection_status_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_connection_status_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the Disconnected event.
pub type mqtt_disconnected_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_disconnected_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the Error event.
pub type mqtt_error_cb = Option<
    unsafe extern "C" fn(mqtt: *mut mqtt_t, event: *const mqtt_error_event, user_data: *mut c_void),
>;
/// Callback for the Log event.
pub type mqtt_log_cb = Option<
    unsafe extern "C" fn(mqtt: *mut mqtt_t, event: *const mqtt_log_event, user_data: *mut c_void),
>;
/// Callback for the MessageAck event.
pub type mqtt_message_ack_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_message_ack_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the MessageIn and MessageOut events.
pub type mqtt_message_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_message_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the ReadyToSend event (it has no fields).
pub type mqtt_ready_to_send_cb =
    Option<unsafe extern "C" fn(mqtt: *mut mqtt_t, user_data: *mut c_void)>;
/// Callback for the SSLServerAuthentication event; the only event whose struct the callback
/// may change (its `accept` field).
pub type mqtt_ssl_server_authentication_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *mut mqtt_ssl_server_authentication_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the SSLStatus event.
pub type mqtt_ssl_status_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_ssl_status_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the Subscribed event.
pub type mqtt_subscribed_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_subscribed_event,
        user_data: *mut c_void,
    ),
>;
/// Callback for the Unsubscribed event.
pub type mqtt_unsubscribed_cb = Option<
    unsafe extern "C" fn(
        mqtt: *mut mqtt_t,
        event: *const mqtt_unsubscribed_event,
        user_data: *mut c_void,
    ),
>;
/// Push mode: told from an engine thread that events are waiting (see
/// mqtt_set_event_notifier).
pub type mqtt_notify_cb = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// A wait check (see mqtt_set_wait_check): non-zero ends the wait it is called from.
pub type mqtt_wait_check_cb =
    Option<unsafe extern "C" fn(mqtt: *mut mqtt_t, user_data: *mut c_void) -> c_int>;

/// One registration: the callback and the application's pointer, kept as an address so the
/// table may cross threads (the library never dereferences it).
#[derive(Clone, Copy, Default)]
struct Slot<F> {
    callback: F,
    user_data: usize,
}

impl<F> Slot<F> {
    fn new(callback: F, user_data: *mut c_void) -> Self {
        Slot {
            callback,
            user_data: user_data as usize,
        }
    }
    fn data(&self) -> *mut c_void {
        self.user_data as *mut c_void
    }
}

#[derive(Clone, Copy, Default)]
struct Table {
    connected: Slot<mqtt_connected_cb>,
    connection_status: Slot<mqtt_connection_status_cb>,
    disconnected: Slot<mqtt_disconnected_cb>,
    error: Slot<mqtt_error_cb>,
    log: Slot<mqtt_log_cb>,
    message_ack: Slot<mqtt_message_ack_cb>,
    message_in: Slot<mqtt_message_cb>,
    message_out: Slot<mqtt_message_cb>,
    ready_to_send: Slot<mqtt_ready_to_send_cb>,
    ssl_server_authentication: Slot<mqtt_ssl_server_authentication_cb>,
    ssl_status: Slot<mqtt_ssl_status_cb>,
    subscribed: Slot<mqtt_subscribed_cb>,
    unsubscribed: Slot<mqtt_unsubscribed_cb>,
}

/// What the core's event handler reaches: the callbacks and the handle to pass them. Holds
/// no `Mqtt`, so the handler installed in the client creates no reference cycle.
#[derive(Default)]
pub(crate) struct Dispatch {
    table: Mutex<Table>,
    owner: AtomicPtr<mqtt_t>,
    /// Set by mqtt_free: callbacks stop even if a call still holds the client.
    freed: AtomicBool,
    push: AtomicBool,
    /// Push mode: one thread fires at a time, so callbacks see events in order.
    push_turn: Mutex<()>,
    /// The application's wait check. Read-locked while it runs, so replacing it (or freeing
    /// the client) waits for a running check: afterwards the old one is never called.
    wait_check: RwLock<Slot<mqtt_wait_check_cb>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding it cannot leave a half-written table (it holds Copy values).
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A C copy of a string, alive as long as the returned value.
fn text(s: &str) -> CString {
    cstring(s)
}

impl Dispatch {
    pub(crate) fn attach(self: &Arc<Self>, client: &Mqtt, owner: *mut mqtt_t) {
        self.owner.store(owner, Ordering::SeqCst);
        let me = self.clone();
        client.set_event_handler(Some(Arc::new(move |ev: &mut Event| me.fire(ev))));
    }

    pub(crate) fn detach(self: &Arc<Self>, client: &Mqtt) {
        self.freed.store(true, Ordering::SeqCst);
        self.set_wait_check(client, Slot::default());
    }

    /// Keep the application's check and give the core one that asks it; the core's is
    /// removed with it, so no waiting thread wakes every 50 ms for nothing.
    fn set_wait_check(self: &Arc<Self>, client: &Mqtt, slot: Slot<mqtt_wait_check_cb>) {
        let mut current = self.wait_check.write().unwrap_or_else(|e| e.into_inner());
        *current = slot;
        // Under our lock, so two threads registering at once leave the core in step with
        // the slot. The core's lock is never held while it calls a check: no inversion.
        client.set_wait_check(slot.callback.map(|_| {
            let me = self.clone();
            let c: ferromq::WaitCheck = Arc::new(move || me.ask_wait_check());
            c
        }));
    }

    /// The core asks, on the thread that waits.
    fn ask_wait_check(&self) -> bool {
        if self.freed.load(Ordering::SeqCst) {
            return false;
        }
        let slot = self.wait_check.read().unwrap_or_else(|e| e.into_inner());
        let Some(check) = slot.callback else {
            return false;
        };
        let me = self.owner.load(Ordering::SeqCst);
        // SAFETY: the application registered `check` to be called with this client's handle
        // (not freed: mqtt_free clears the slot under the write lock, which waits for us)
        // and its own pointer, on the thread that waits.
        unsafe { check(me, slot.data()) != 0 }
    }

    /// Turn one core event into a C struct and call its callback, if one is registered. The
    /// table lock is released first so the callback may register or unregister callbacks.
    pub(crate) fn fire(&self, ev: &mut Event) {
        if self.freed.load(Ordering::SeqCst) {
            return;
        }
        let me = self.owner.load(Ordering::SeqCst);
        let t = *lock(&self.table);
        match ev {
            Event::Connected(e) => {
                let Some(cb) = t.connected.callback else {
                    return;
                };
                let description = text(&e.description);
                let c = mqtt_connected_event {
                    status_code: e.status_code,
                    description: description.as_ptr(),
                };
                // SAFETY: the C callback was registered for this event; every pointer in `c`
                // lives until it returns.
                unsafe { cb(me, &c, t.connected.data()) }
            }
            Event::ConnectionStatus(e) => {
                let Some(cb) = t.connection_status.callback else {
                    return;
                };
                let connection_event = text(&e.connection_event);
                let description = text(&e.description);
                let c = mqtt_connection_status_event {
                    connection_event: connection_event.as_ptr(),
                    status_code: e.status_code,
                    description: description.as_ptr(),
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.connection_status.data()) }
            }
            Event::Disconnected(e) => {
                let Some(cb) = t.disconnected.callback else {
                    return;
                };
                let description = text(&e.description);
                let c = mqtt_disconnected_event {
                    status_code: e.status_code,
                    description: description.as_ptr(),
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.disconnected.data()) }
            }
            Event::Error(e) => {
                let Some(cb) = t.error.callback else { return };
                let description = text(&e.description);
                let c = mqtt_error_event {
                    error_code: e.error_code,
                    description: description.as_ptr(),
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.error.data()) }
            }
            Event::Log(e) => {
                let Some(cb) = t.log.callback else { return };
                let message = text(&e.message);
                let log_type = text(&e.log_type);
                let c = mqtt_log_event {
                    log_level: e.log_level,
                    message: message.as_ptr(),
                    log_type: log_type.as_ptr(),
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.log.data()) }
            }
            Event::MessageAck(e) => {
                let Some(cb) = t.message_ack.callback else {
                    return;
                };
                let c = mqtt_message_ack_event {
                    packet_id: e.packet_id,
                    direction: e.direction,
                    index: e.index,
                    response_code: e.response_code,
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.message_ack.data()) }
            }
            Event::MessageIn(e) => fire_message(me, t.message_in, e),
            Event::MessageOut(e) => fire_message(me, t.message_out, e),
            Event::ReadyToSend => {
                let Some(cb) = t.ready_to_send.callback else {
                    return;
                };
                // SAFETY: the C callback was registered for this event.
                unsafe { cb(me, t.ready_to_send.data()) }
            }
            Event::SslServerAuthentication(e) => {
                let Some(cb) = t.ssl_server_authentication.callback else {
                    return;
                };
                let cert_encoded = text(&e.cert_encoded);
                let cert_subject = text(&e.cert_subject);
                let cert_issuer = text(&e.cert_issuer);
                let status = text(&e.status);
                let mut c = mqtt_ssl_server_authentication_event {
                    cert_encoded: cert_encoded.as_ptr(),
                    cert_encoded_b: e.cert_encoded_b.as_ptr(),
                    cert_encoded_b_len: e.cert_encoded_b.len(),
                    cert_subject: cert_subject.as_ptr(),
                    cert_issuer: cert_issuer.as_ptr(),
                    status: status.as_ptr(),
                    accept: e.accept,
                };
                // SAFETY: as for Connected; the callback may write `accept` through the
                // mutable pointer, which we read back below.
                unsafe { cb(me, &mut c, t.ssl_server_authentication.data()) }
                e.accept = c.accept;
            }
            Event::SslStatus(e) => {
                let Some(cb) = t.ssl_status.callback else {
                    return;
                };
                let message = text(&e.message);
                let c = mqtt_ssl_status_event {
                    message: message.as_ptr(),
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.ssl_status.data()) }
            }
            Event::Subscribed(e) => {
                let Some(cb) = t.subscribed.callback else {
                    return;
                };
                let topic_filter = text(&e.topic_filter);
                let c = mqtt_subscribed_event {
                    topic_filter: topic_filter.as_ptr(),
                    qos: e.qos,
                    response_code: e.response_code,
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.subscribed.data()) }
            }
            Event::Unsubscribed(e) => {
                let Some(cb) = t.unsubscribed.callback else {
                    return;
                };
                let topic_filters = text(&e.topic_filters);
                let c = mqtt_unsubscribed_event {
                    topic_filters: topic_filters.as_ptr(),
                    response_code: e.response_code,
                };
                // SAFETY: as for Connected.
                unsafe { cb(me, &c, t.unsubscribed.data()) }
            }
        }
    }

    /// mqtt_do_events in push mode: fire everything that is waiting on this thread.
    pub(crate) fn fire_pending(&self, client: &Mqtt) {
        // A callback calling mqtt_do_events again, or a second thread, finds the turn taken
        // and returns: the thread holding it is already firing, in order.
        let Ok(_turn) = self.push_turn.try_lock() else {
            return;
        };
        // The core's loop: every pending event, one at a time, and each
        // SSLServerAuthentication answered with the callback's `accept` (or the engine's
        // proposal when none is registered); push mode opts in to answering below.
        client.fire_events(usize::MAX, None, |ev| self.fire(ev));
    }

    pub(crate) fn push_mode(&self) -> bool {
        self.push.load(Ordering::SeqCst)
    }
}

/// The payload as NUL-terminated text: the bytes themselves when they are UTF-8 (the usual
/// case, checked without copying), else with U+FFFD for each invalid sequence.
pub(crate) fn text_form(payload: &[u8]) -> Vec<u8> {
    let text = match std::str::from_utf8(payload) {
        Ok(_) => std::borrow::Cow::Borrowed(payload),
        Err(_) => {
            std::borrow::Cow::Owned(String::from_utf8_lossy(payload).into_owned().into_bytes())
        }
    };
    let mut out = Vec::with_capacity(text.len() + 1);
    out.extend_from_slice(&text);
    out.push(0);
    out
}

fn fire_message(me: *mut mqtt_t, slot: Slot<mqtt_message_cb>, e: &MessageEvent) {
    let Some(cb) = slot.callback else { return };
    let topic = text(&e.topic);
    // Kept as bytes (not CString) because the payload may hold NUL bytes. One copy, sized
    // for the terminator up front: large payloads arrive at tens of thousands per second.
    let message = text_form(&e.message);
    // None (nothing built) for a message without properties.
    let properties = PropertiesOut::new(&e.properties);
    let c = message_struct(e, &topic, &message, properties_ptr(&properties));
    // SAFETY: the C callback was registered for this event; every pointer in `c` (payload
    // and properties included, owned by `e`, `properties` or static) lives until it returns.
    unsafe { cb(me, &c, slot.data()) }
}

/// The C struct of a message event whose text copies are `topic` and `message` (from
/// `text_form`); its pointers lead into those, into `e` and to `properties`.
pub(crate) fn message_struct(
    e: &MessageEvent,
    topic: &CString,
    message: &[u8],
    properties: *const mqtt_message_properties,
) -> mqtt_message_event {
    mqtt_message_event {
        packet_id: e.packet_id,
        topic: topic.as_ptr(),
        qos: e.qos,
        message: message.as_ptr().cast(),
        message_len: message.len() - 1,
        // An empty payload may have a dangling but non-NULL pointer: fine with length 0.
        message_b: e.message.as_ptr(),
        message_b_len: e.message.len(),
        retained: e.retained,
        duplicate: e.duplicate,
        properties,
    }
}

/// Common body of every mqtt_on_* function.
fn register(func: &'static str, mqtt: *mut mqtt_t, set: impl FnOnce(&mut Table)) -> c_int {
    guard(func, || {
        let h = handle(mqtt, func)?;
        set(&mut lock(&h.dispatch.table));
        Ok(())
    })
}

/// Register the Connected callback (NULL removes it; a new one replaces the old).
///
/// Like every mqtt_on_* function: callbacks run on the thread inside a blocking call or
/// `mqtt_do_events` of this client (push mode: inside `mqtt_do_events` only), never on an
/// engine thread. `user_data` is handed back unchanged. A callback may call any mqtt_*
/// function on this client, including `mqtt_free`. Returns 0, or 10022 if `mqtt` is NULL.
#[no_mangle]
pub extern "C" fn mqtt_on_connected(
    mqtt: *mut mqtt_t,
    callback: mqtt_connected_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_connected", mqtt, |t| {
        t.connected = Slot::new(callback, user_data)
    })
}

/// Register the ConnectionStatus callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_connection_status(
    mqtt: *mut mqtt_t,
    callback: mqtt_connection_status_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_connection_status", mqtt, |t| {
        t.connection_status = Slot::new(callback, user_data)
    })
}

/// Register the Disconnected callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_disconnected(
    mqtt: *mut mqtt_t,
    callback: mqtt_disconnected_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_disconnected", mqtt, |t| {
        t.disconnected = Slot::new(callback, user_data)
    })
}

/// Register the Error callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_error(
    mqtt: *mut mqtt_t,
    callback: mqtt_error_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_error", mqtt, |t| {
        t.error = Slot::new(callback, user_data)
    })
}

/// Register the Log callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_log(
    mqtt: *mut mqtt_t,
    callback: mqtt_log_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_log", mqtt, |t| {
        t.log = Slot::new(callback, user_data)
    })
}

/// Register the MessageAck callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_message_ack(
    mqtt: *mut mqtt_t,
    callback: mqtt_message_ack_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_message_ack", mqtt, |t| {
        t.message_ack = Slot::new(callback, user_data)
    })
}

/// Register the MessageIn callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_message_in(
    mqtt: *mut mqtt_t,
    callback: mqtt_message_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_message_in", mqtt, |t| {
        t.message_in = Slot::new(callback, user_data)
    })
}

/// Register the MessageOut callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_message_out(
    mqtt: *mut mqtt_t,
    callback: mqtt_message_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_message_out", mqtt, |t| {
        t.message_out = Slot::new(callback, user_data)
    })
}

/// Register the ReadyToSend callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_ready_to_send(
    mqtt: *mut mqtt_t,
    callback: mqtt_ready_to_send_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_ready_to_send", mqtt, |t| {
        t.ready_to_send = Slot::new(callback, user_data)
    })
}

/// Register the SSLServerAuthentication callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_ssl_server_authentication(
    mqtt: *mut mqtt_t,
    callback: mqtt_ssl_server_authentication_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_ssl_server_authentication", mqtt, |t| {
        t.ssl_server_authentication = Slot::new(callback, user_data)
    })
}

/// Register the SSLStatus callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_ssl_status(
    mqtt: *mut mqtt_t,
    callback: mqtt_ssl_status_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_ssl_status", mqtt, |t| {
        t.ssl_status = Slot::new(callback, user_data)
    })
}

/// Register the Subscribed callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_subscribed(
    mqtt: *mut mqtt_t,
    callback: mqtt_subscribed_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_subscribed", mqtt, |t| {
        t.subscribed = Slot::new(callback, user_data)
    })
}

/// Register the Unsubscribed callback (see mqtt_on_connected).
#[no_mangle]
pub extern "C" fn mqtt_on_unsubscribed(
    mqtt: *mut mqtt_t,
    callback: mqtt_unsubscribed_cb,
    user_data: *mut c_void,
) -> c_int {
    register("mqtt_on_unsubscribed", mqtt, |t| {
        t.unsubscribed = Slot::new(callback, user_data)
    })
}

/// Opt in to push mode: `notify` is called from an engine thread whenever new events are
/// waiting, and the application then calls `mqtt_do_events` on a thread of its choice, which
/// fires the callbacks there. Blocking calls stop firing callbacks in this mode. A TLS
/// handshake then waits (within the connect timeout) for the mqtt_do_events that fires its
/// SSLServerAuthentication callback, whose `accept` decides.
///
/// `notify` must return quickly and must not call any mqtt_* function: signal your own loop
/// (a pipe, an eventfd, a condition variable) instead. NULL returns to pull mode (the
/// default). Returns 0, or 10022 if `mqtt` is NULL.
#[no_mangle]
pub extern "C" fn mqtt_set_event_notifier(
    mqtt: *mut mqtt_t,
    notify: mqtt_notify_cb,
    user_data: *mut c_void,
) -> c_int {
    guard("mqtt_set_event_notifier", || {
        let h = handle(mqtt, "mqtt_set_event_notifier")?;
        let data = user_data as usize;
        h.dispatch.push.store(notify.is_some(), Ordering::SeqCst);
        // Callbacks run inside mqtt_do_events, which answers SSLServerAuthentication there.
        h.client
            .set_push_answers_server_authentication(notify.is_some());
        h.client.set_event_notifier(notify.map(|f| {
            let n: ferromq::EventNotifier = Arc::new(move || {
                // SAFETY: the application registered `f` to be called with its own pointer,
                // from any thread.
                unsafe { f(data as *mut c_void) }
            });
            n
        }));
        Ok(())
    })
}

/// Install a wait check: while a blocking call of this client (mqtt_connect, mqtt_subscribe,
/// ...) or `mqtt_do_events` waits, the library calls `check(mqtt, user_data)` on that
/// waiting thread at least every 50 ms. When it returns non-zero a blocking call ends as
/// `mqtt_interrupt` would end it: the call returns 301 (MQTT_ERR_INTERRUPTED) and the client
/// disconnects (a connect still under way is abandoned); `mqtt_do_events` returns 301 and
/// leaves the connection as it is.
///
/// Made for signals: a SIGINT/SIGTERM handler sets a `volatile sig_atomic_t` flag and the
/// check returns it, so Ctrl-C ends a blocking call within about 50 ms instead of after
/// Timeout. The check runs often: it should only read a flag. It must not call any mqtt_*
/// function on this client except `mqtt_interrupt` (no blocking call, no mqtt_do_events, no
/// mqtt_set_wait_check, no mqtt_free).
///
/// A new check replaces the previous one; NULL removes it. Once this function (or
/// `mqtt_free`) has returned, the previous check is not running and is never called again,
/// so its `user_data` may be released then; `user_data` is otherwise handed back unchanged.
/// Returns 0, or 10022 if `mqtt` is NULL.
#[no_mangle]
pub extern "C" fn mqtt_set_wait_check(
    mqtt: *mut mqtt_t,
    check: mqtt_wait_check_cb,
    user_data: *mut c_void,
) -> c_int {
    guard("mqtt_set_wait_check", || {
        let h = handle(mqtt, "mqtt_set_wait_check")?;
        h.dispatch
            .set_wait_check(&h.client, Slot::new(check, user_data));
        Ok(())
    })
}

/// Body of mqtt_do_events, here because it depends on the delivery mode.
pub(crate) fn do_events(mqtt: *mut mqtt_t) -> Result<(), Error> {
    let h = handle(mqtt, "mqtt_do_events")?;
    let (c, dispatch) = (h.client.clone(), h.dispatch.clone());
    if dispatch.push_mode() {
        dispatch.fire_pending(&c);
        Ok(())
    } else {
        c.do_events()
    }
}
