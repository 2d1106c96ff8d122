//! The IncomingMessages and OutgoingMessages collections: a count, and a copy of one
//! message (the documented MQTTMessage) in a struct the caller provides and releases.

use crate::error::invalid;
use crate::handle::{client, mqtt_t};
use crate::panic::{catch, guard};
use crate::strings::{cstring, out_ok, put};
use bytes::Bytes;
use ferromq::{Mqtt, MqttMessage};
use std::ffi::{c_char, c_int, c_void, CString};

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
/// filled by mqtt_get_incoming_message / mqtt_get_outgoing_message.
///
/// Ownership: the strings and bytes it points to belong to this copy. They stay valid,
/// whatever the client does afterwards (even mqtt_free), until you pass the struct to
/// mqtt_message_release, which frees them and zeroes the struct. Do not free the fields
/// yourself. The MQTT 5.0 fields are "" or 0 under MQTT 3.1.1.
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
    /// Private to the library (what mqtt_message_release frees). Do not touch.
    pub internal: *mut c_void,
}

/// What one `mqtt_message` points into. Boxed; the box's address is `internal`.
struct Owned {
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

impl mqtt_message {
    fn zeroed() -> Self {
        mqtt_message {
            packet_id: 0,
            topic: std::ptr::null(),
            qos: 0,
            message: std::ptr::null(),
            message_len: 0,
            message_b: std::ptr::null(),
            message_b_len: 0,
            retained: false,
            duplicate: false,
            state: 0,
            content_type: std::ptr::null(),
            correlation_data: std::ptr::null(),
            message_exp_interval: 0,
            payload_format_indicator: 0,
            response_topic: std::ptr::null(),
            subscription_identifiers: std::ptr::null(),
            topic_alias: 0,
            internal: std::ptr::null_mut(),
        }
    }

    fn from_core(m: MqttMessage) -> Self {
        let text = crate::events::text_form(&m.message);
        let message_len = text.len() - 1;
        let owned = Box::new(Owned {
            topic: cstring(&m.topic),
            text,
            payload: m.message,
            content_type: cstring(&m.content_type),
            correlation_data: cstring(&m.correlation_data),
            response_topic: cstring(&m.response_topic),
            subscription_identifiers: cstring(&m.subscription_identifiers),
        });
        // The pointers lead into heap buffers the box owns; moving the box does not move them.
        let c = mqtt_message {
            packet_id: m.packet_id,
            topic: owned.topic.as_ptr(),
            qos: m.qos,
            message: owned.text.as_ptr().cast(),
            message_len,
            // Bytes hands out a non-NULL pointer also when empty.
            message_b: owned.payload.as_ptr(),
            message_b_len: owned.payload.len(),
            retained: m.retained,
            duplicate: m.duplicate,
            state: m.state,
            content_type: owned.content_type.as_ptr(),
            correlation_data: owned.correlation_data.as_ptr(),
            message_exp_interval: m.message_exp_interval,
            payload_format_indicator: m.payload_format_indicator,
            response_topic: owned.response_topic.as_ptr(),
            subscription_identifiers: owned.subscription_identifiers.as_ptr(),
            topic_alias: m.topic_alias,
            internal: std::ptr::null_mut(),
        };
        mqtt_message {
            internal: Box::into_raw(owned).cast(),
            ..c
        }
    }
}

/// # Safety
/// `mqtt` NULL or live; `count` NULL or writable.
unsafe fn count_of(
    func: &'static str,
    mqtt: *const mqtt_t,
    count: *mut c_int,
    list: fn(&Mqtt) -> Vec<MqttMessage>,
) -> c_int {
    guard(func, || {
        // SAFETY: forwarded from the caller.
        let c = unsafe { client(mqtt, func) }?;
        out_ok(count, func, "count")?;
        let n = c_int::try_from(list(&c).len()).unwrap_or(c_int::MAX);
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { put(count, n) };
        Ok(())
    })
}

/// # Safety
/// `mqtt` NULL or live; `out` NULL or writable.
unsafe fn one_of(
    func: &'static str,
    mqtt: *const mqtt_t,
    index: c_int,
    out: *mut mqtt_message,
    list: fn(&Mqtt) -> Vec<MqttMessage>,
) -> c_int {
    guard(func, || {
        // SAFETY: forwarded from the caller.
        let c = unsafe { client(mqtt, func) }?;
        out_ok(out, func, "message")?;
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
        // SAFETY: checked non-NULL above; the caller promises it is writable. Whatever it
        // held is overwritten, not released (documented).
        unsafe { put(out, mqtt_message::from_core(found)) };
        Ok(())
    })
}

/// IncomingMessages: how many QoS 1/2 messages from the server are not fully acknowledged
/// yet. The collection changes only as events are fired: a message is listed from the
/// moment its PUBLISH is handed to the application's thread until its MessageAck callback
/// has returned (it is gone before MessageIn fires).
#[no_mangle]
pub unsafe extern "C" fn mqtt_get_incoming_message_count(
    mqtt: *const mqtt_t,
    count: *mut c_int,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        count_of(
            "mqtt_get_incoming_message_count",
            mqtt,
            count,
            Mqtt::incoming_messages,
        )
    }
}

/// Copy the message at `index` (0-based, in arrival order) of IncomingMessages into `*out`.
/// In a MessageAck callback with direction 1, `event->index` is the message's index.
///
/// Ownership: on success `*out` owns copies of everything it points to; release them with
/// mqtt_message_release(out) (a second fill without releasing leaks the first). On failure
/// `*out` is untouched. An index outside 0..count-1 fails with 10022. Read-only: there is
/// no setter.
#[no_mangle]
pub unsafe extern "C" fn mqtt_get_incoming_message(
    mqtt: *const mqtt_t,
    index: c_int,
    out: *mut mqtt_message,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        one_of(
            "mqtt_get_incoming_message",
            mqtt,
            index,
            out,
            Mqtt::incoming_messages,
        )
    }
}

/// OutgoingMessages: how many of our QoS 1/2 messages are not fully acknowledged yet. A
/// message is listed once the events its publish caused have been fired (at once with a
/// Timeout above 0; with Timeout 0 at the next `mqtt_do_events`) until its MessageAck
/// callback has returned.
#[no_mangle]
pub unsafe extern "C" fn mqtt_get_outgoing_message_count(
    mqtt: *const mqtt_t,
    count: *mut c_int,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        count_of(
            "mqtt_get_outgoing_message_count",
            mqtt,
            count,
            Mqtt::outgoing_messages,
        )
    }
}

/// Copy the message at `index` of OutgoingMessages into `*out` (see
/// mqtt_get_incoming_message; in a MessageAck callback with direction 0, `event->index`).
#[no_mangle]
pub unsafe extern "C" fn mqtt_get_outgoing_message(
    mqtt: *const mqtt_t,
    index: c_int,
    out: *mut mqtt_message,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe {
        one_of(
            "mqtt_get_outgoing_message",
            mqtt,
            index,
            out,
            Mqtt::outgoing_messages,
        )
    }
}

/// Free what a filled `mqtt_message` points to and zero the struct. NULL, a zeroed struct
/// and a struct already released are ignored, so releasing twice is harmless.
#[no_mangle]
pub unsafe extern "C" fn mqtt_message_release(message: *mut mqtt_message) {
    catch((), || {
        // SAFETY: the caller promises NULL or a struct it may write.
        let Some(m) = (unsafe { message.as_mut() }) else {
            return;
        };
        if !m.internal.is_null() {
            // SAFETY: a non-NULL `internal` is the box from_core made, released once: the
            // struct is zeroed right after.
            drop(unsafe { Box::from_raw(m.internal.cast::<Owned>()) });
        }
        *m = mqtt_message::zeroed();
    })
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
    fn a_filled_message_points_into_its_own_copy_and_releases_it() {
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
        let mut m = mqtt_message::from_core(core);
        // SAFETY: from_core made every pointer valid until the release below.
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
        assert!(!m.internal.is_null());
        // SAFETY: `m` is a struct filled by from_core; released twice on purpose.
        unsafe {
            mqtt_message_release(&mut m);
            assert!(m.internal.is_null() && m.topic.is_null());
            mqtt_message_release(&mut m);
        }
    }
}
