//! The IncomingMessages and OutgoingMessages collections: a count, and a copy of one
//! message (the documented MQTTMessage) that the library allocates and the caller frees.

use crate::error::invalid;
use crate::handle::{client, mqtt_t};
use crate::panic::{catch, guard};
use crate::ptr::{cstring, reclaim, Out};
use bytes::Bytes;
use ferromq::{Mqtt, MqttMessage};
use std::ffi::{c_char, c_int, CString};

/// MQTTMessage state 0: PUBLISH sent, waiting for PUBACK (outgoing QoS 1).
pub const MQTT_STATE_WAIT_PUBACK: c_int = 0;
/// 1: PUBLISH sent, waiting for PUBREC (outgoing QoS 2).
pub const MQTT_STATE_WAIT_PUBREC: c_int = 1;
/// 2: PUBREC received, sending PUBREL (outgoing QoS 2).
pub const MQTT_STATE_SEND_PUBREL: c_int = 2;
/// 3: PUBREL sent, waiting for PUBCOMP (outgoing QoS 2).
pub const MQTT_STATE_WAIT_PUBCOMP: c_int = 3;
/// 4: the last acknowledgement of an outgoing message arrived.
pub const MQTT_STATE_OUT_DONE: c_int = 4;
/// 5: PUBLISH received, sending PUBACK (incoming QoS 1).
pub const MQTT_STATE_SEND_PUBACK: c_int = 5;
/// 6: PUBLISH received, sending PUBREC (incoming QoS 2).
pub const MQTT_STATE_SEND_PUBREC: c_int = 6;
/// 7: PUBREC sent, waiting for PUBREL (incoming QoS 2).
pub const MQTT_STATE_WAIT_PUBREL: c_int = 7;
/// 8: PUBREL received, sending PUBCOMP (incoming QoS 2).
pub const MQTT_STATE_SEND_PUBCOMP: c_int = 8;
/// 9: the last acknowledgement of an incoming message was sent.
pub const MQTT_STATE_IN_DONE: c_int = 9;

/// One message of IncomingMessages or OutgoingMessages (the documented MQTTMessage), as
/// handed out by mqtt_get_incoming_message / mqtt_get_outgoing_message.
///
/// Ownership: the library allocates it, and it owns copies of everything it points to. It
/// stays valid, whatever the client does afterwards (even mqtt_free), until you pass it to
/// mqtt_message_free. Do not free or write the fields. The MQTT 5.0 fields are "" or 0 under
/// MQTT 3.1.1.
///
/// ABI: you never allocate this struct, so a later version may add fields at its end without
/// breaking a program built against this header (see ffi-c/README.md, "Structs and ABI").
/// Existing fields never move.
#[repr(C)]
pub struct mqtt_message {
    pub packet_id: c_int,
    /// The topic (UTF-8, NUL-terminated).
    pub topic: *const c_char,
    pub qos: c_int,
    /// The payload as text (Message): invalid UTF-8 replaced by U+FFFD, NUL-terminated;
    /// `message_len` bytes without the terminator (the text may hold NUL bytes).
    pub message: *const c_char,
    pub message_len: usize,
    /// The payload exactly (MessageB): `message_b_len` bytes, not NUL-terminated, never NULL.
    pub message_b: *const u8,
    pub message_b_len: usize,
    pub retained: bool,
    pub duplicate: bool,
    /// One of MQTT_STATE_* (0..4 outgoing, 5..9 incoming).
    pub state: c_int,
    pub content_type: *const c_char,
    /// The correlation data as hexadecimal text ("" when absent).
    pub correlation_data: *const c_char,
    /// Message expiry interval in seconds (0 when absent).
    pub message_exp_interval: i64,
    pub payload_format_indicator: c_int,
    pub response_topic: *const c_char,
    /// Comma-separated subscription identifiers of an incoming message ("" when none).
    pub subscription_identifiers: *const c_char,
    pub topic_alias: c_int,
}

/// What the library allocates for one message: the C struct first (so a pointer to it is a
/// pointer to the whole), then what its pointers lead into.
#[repr(C)]
struct Owned {
    c: mqtt_message,
    topic: CString,
    /// The text form with its NUL terminator (kept as bytes: it may hold NULs).
    text: Vec<u8>,
    /// The payload itself, shared with the engine (not copied).
    payload: Bytes,
    content_type: CString,
    correlation_data: CString,
    response_topic: CString,
    subscription_identifiers: CString,
}

impl Owned {
    fn boxed(m: MqttMessage) -> Box<Owned> {
        let text = crate::events::text_form(&m.message);
        let message_len = text.len() - 1;
        let mut owned = Box::new(Owned {
            c: mqtt_message {
                packet_id: m.packet_id,
                topic: std::ptr::null(),
                qos: m.qos,
                message: std::ptr::null(),
                message_len,
                message_b: std::ptr::null(),
                message_b_len: m.message.len(),
                retained: m.retained,
                duplicate: m.duplicate,
                state: m.state,
                content_type: std::ptr::null(),
                correlation_data: std::ptr::null(),
                message_exp_interval: m.message_exp_interval,
                payload_format_indicator: m.payload_format_indicator,
                response_topic: std::ptr::null(),
                subscription_identifiers: std::ptr::null(),
                topic_alias: m.topic_alias,
            },
            topic: cstring(&m.topic),
            text,
            payload: m.message,
            content_type: cstring(&m.content_type),
            correlation_data: cstring(&m.correlation_data),
            response_topic: cstring(&m.response_topic),
            subscription_identifiers: cstring(&m.subscription_identifiers),
        });
        // The pointers lead into heap buffers the box owns; they do not move with it.
        let o = &mut *owned;
        o.c.topic = o.topic.as_ptr();
        o.c.message = o.text.as_ptr().cast();
        // Bytes hands out a non-NULL pointer also when empty.
        o.c.message_b = o.payload.as_ptr();
        o.c.content_type = o.content_type.as_ptr();
        o.c.correlation_data = o.correlation_data.as_ptr();
        o.c.response_topic = o.response_topic.as_ptr();
        o.c.subscription_identifiers = o.subscription_identifiers.as_ptr();
        owned
    }

    /// Hand the message to C: the pointer to `c` is the pointer to the box (first field).
    fn into_raw(self: Box<Owned>) -> *mut mqtt_message {
        Box::into_raw(self).cast()
    }
}

/// Body of the two count functions.
fn count_of(
    func: &'static str,
    mqtt: *const mqtt_t,
    count: *mut c_int,
    list: fn(&Mqtt) -> Vec<MqttMessage>,
) -> c_int {
    guard(func, || {
        let c = client(mqtt, func)?;
        let count = Out::new(count, func, "count")?;
        count.put(c_int::try_from(list(&c).len()).unwrap_or(c_int::MAX));
        Ok(())
    })
}

/// Body of the two getters.
fn one_of(
    func: &'static str,
    mqtt: *const mqtt_t,
    index: c_int,
    out: *mut *mut mqtt_message,
    list: fn(&Mqtt) -> Vec<MqttMessage>,
) -> c_int {
    guard(func, || {
        let c = client(mqtt, func)?;
        let out = Out::new(out, func, "message")?;
        let all = list(&c);
        let n = all.len();
        let found = usize::try_from(index)
            .ok()
            .and_then(|i| all.into_iter().nth(i))
            .ok_or_else(|| {
                invalid(format!(
                    "{func}: index {index} is out of range: the collection holds {n} message(s)"
                ))
            })?;
        out.put(Owned::boxed(found).into_raw());
        Ok(())
    })
}

/// IncomingMessages: how many QoS 1/2 messages from the server are not fully acknowledged
/// yet. The collection changes only as events are fired: a message is listed from the
/// moment its PUBLISH is handed to the application's thread until its MessageAck callback
/// has returned (it is gone before MessageIn fires).
#[no_mangle]
pub extern "C" fn mqtt_get_incoming_message_count(mqtt: *const mqtt_t, count: *mut c_int) -> c_int {
    count_of(
        "mqtt_get_incoming_message_count",
        mqtt,
        count,
        Mqtt::incoming_messages,
    )
}

/// A copy of the message at `index` (0-based, in arrival order) of IncomingMessages. In a
/// MessageAck callback with direction 1, `event->index` is the message's index.
///
/// Ownership: on success `*message` receives a new mqtt_message, which the caller owns and
/// frees with mqtt_message_free. On failure `*message` is untouched. An index outside
/// 0..count-1 fails with 10022. Read-only: there is no setter.
#[no_mangle]
pub extern "C" fn mqtt_get_incoming_message(
    mqtt: *const mqtt_t,
    index: c_int,
    message: *mut *mut mqtt_message,
) -> c_int {
    one_of(
        "mqtt_get_incoming_message",
        mqtt,
        index,
        message,
        Mqtt::incoming_messages,
    )
}

/// OutgoingMessages: how many of our QoS 1/2 messages are not fully acknowledged yet. A
/// message is listed once the events its publish caused have been fired (at once with a
/// Timeout above 0; with Timeout 0 at the next `mqtt_do_events`) until its MessageAck
/// callback has returned.
#[no_mangle]
pub extern "C" fn mqtt_get_outgoing_message_count(mqtt: *const mqtt_t, count: *mut c_int) -> c_int {
    count_of(
        "mqtt_get_outgoing_message_count",
        mqtt,
        count,
        Mqtt::outgoing_messages,
    )
}

/// A copy of the message at `index` of OutgoingMessages (see mqtt_get_incoming_message; in
/// a MessageAck callback with direction 0, `event->index`).
#[no_mangle]
pub extern "C" fn mqtt_get_outgoing_message(
    mqtt: *const mqtt_t,
    index: c_int,
    message: *mut *mut mqtt_message,
) -> c_int {
    one_of(
        "mqtt_get_outgoing_message",
        mqtt,
        index,
        message,
        Mqtt::outgoing_messages,
    )
}

/// Free a message from mqtt_get_incoming_message / mqtt_get_outgoing_message, with
/// everything it points to. NULL is ignored. The message is invalid afterwards.
#[no_mangle]
pub extern "C" fn mqtt_message_free(message: *mut mqtt_message) {
    catch((), || drop(reclaim(message.cast::<Owned>())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromq::protocol::MessageState as S;

    #[test]
    fn state_constants_match_the_core() {
        let pairs = [
            (MQTT_STATE_WAIT_PUBACK, S::WaitPubAck),
            (MQTT_STATE_WAIT_PUBREC, S::WaitPubRec),
            (MQTT_STATE_SEND_PUBREL, S::SendPubRel),
            (MQTT_STATE_WAIT_PUBCOMP, S::WaitPubComp),
            (MQTT_STATE_OUT_DONE, S::OutDone),
            (MQTT_STATE_SEND_PUBACK, S::SendPubAck),
            (MQTT_STATE_SEND_PUBREC, S::SendPubRec),
            (MQTT_STATE_WAIT_PUBREL, S::WaitPubRel),
            (MQTT_STATE_SEND_PUBCOMP, S::SendPubComp),
            (MQTT_STATE_IN_DONE, S::InDone),
        ];
        for (ours, core) in pairs {
            assert_eq!(ours, core as c_int);
        }
    }

    #[test]
    fn a_message_points_into_its_own_copy_and_is_freed_with_it() {
        let core = MqttMessage {
            packet_id: 7,
            topic: "a/b".into(),
            qos: 2,
            message: Bytes::from_static(b"x\xffy"),
            retained: true,
            duplicate: false,
            state: 9,
            content_type: "text/plain".into(),
            correlation_data: "0A0B".into(),
            message_exp_interval: 30,
            payload_format_indicator: 1,
            response_topic: "r/t".into(),
            subscription_identifiers: "1,5".into(),
            topic_alias: 3,
        };
        let raw = Owned::boxed(core).into_raw();
        // SAFETY: `raw` is the message just made, alive until mqtt_message_free below.
        let m = unsafe { &*raw };
        // SAFETY: Owned::boxed made every pointer valid until the free below.
        unsafe {
            assert_eq!(std::ffi::CStr::from_ptr(m.topic).to_str().unwrap(), "a/b");
            assert_eq!(
                std::slice::from_raw_parts(m.message_b, m.message_b_len),
                b"x\xffy"
            );
            assert_eq!(
                std::slice::from_raw_parts(m.message.cast::<u8>(), m.message_len + 1),
                "x\u{fffd}y\0".as_bytes()
            );
            assert_eq!(
                std::ffi::CStr::from_ptr(m.subscription_identifiers)
                    .to_str()
                    .unwrap(),
                "1,5"
            );
        }
        assert_eq!((m.packet_id, m.qos, m.state, m.topic_alias), (7, 2, 9, 3));
        mqtt_message_free(raw);
        mqtt_message_free(std::ptr::null_mut());
    }
}
