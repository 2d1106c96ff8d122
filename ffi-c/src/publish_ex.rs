//! Publishes with their own options (QoS, retain, MQTT 5.0 properties) given with the
//! call, optionally waiting for the acknowledgement; answering a request. The behaviour is
//! the core's (`Mqtt::publish_with`, `Delivery::wait`, `Mqtt::respond`); this converts.

use crate::events::mqtt_message_event;
use crate::handle::{client, mqtt_t};
use crate::message_properties::{mqtt_message_properties, properties_in};
use crate::panic::guard;
use crate::ptr::{borrow, bytes_in, sized_in, str_in, Out, SizedStruct};
use ferromq::codec::Properties;
use ferromq::{Delivery, Error, PublishOptions};
use std::ffi::{c_char, c_int};
use std::mem::{offset_of, size_of};

/// The options of one publish (mqtt_publish_ex, mqtt_request, mqtt_respond). They apply to
/// that message only: the Retain, Duplicate and OutgoingMessageProperties settings are
/// neither read nor changed, so threads publishing at once cannot mix their options.
///
/// You allocate it. Start from MQTT_PUBLISH_OPTIONS_INIT, which sets `struct_size` and
/// marks every property absent, then set what you need:
/// `mqtt_publish_options o = MQTT_PUBLISH_OPTIONS_INIT; o.qos = 1;
/// o.properties.content_type = "text/plain";`. The library copies what it needs during
/// the call.
///
/// ABI: the library reads only the `struct_size` bytes you declared; a later version adds
/// fields at the end.
#[repr(C)]
pub struct mqtt_publish_options {
    /// `sizeof(mqtt_publish_options)` as your header declares it; a smaller value than this
    /// version's first layout fails with 10022.
    pub struct_size: usize,
    /// 0, 1 or 2 (505 otherwise).
    pub qos: c_int,
    /// Publish as a retained message.
    pub retain: bool,
    /// The MQTT 5.0 properties to send (MQTT 5.0 only: under 3.1.1 any property is refused
    /// with 10022). `subscription_identifiers` must stay empty: only a server sets them.
    pub properties: mqtt_message_properties,
}

// SAFETY: repr(C), starts with `struct_size: usize`, and all-zero is valid for every field
// (integers, a bool, raw pointers).
unsafe impl SizedStruct for mqtt_publish_options {
    const MIN_SIZE: usize =
        offset_of!(mqtt_publish_options, properties) + size_of::<mqtt_message_properties>();
}

/// The outcome of an acknowledged publish.
#[repr(C)]
pub struct mqtt_delivered {
    /// The packet identifier the message went with; -1 for QoS 0.
    pub packet_id: c_int,
    /// The acknowledgement's reason code: 0, or 16 (0x10, no matching subscribers, a
    /// success); always 0 for QoS 0 and under MQTT 3.1.1. A refusing one (0x80 and above)
    /// is not an outcome but the error 506 (MQTT_ERR_SERVER_REFUSED).
    pub reason_code: c_int,
}

/// The caller's options; NULL is QoS 0, not retained, no properties.
pub(crate) fn options_in(
    ptr: *const mqtt_publish_options,
    func: &str,
) -> Result<PublishOptions, Error> {
    if ptr.is_null() {
        return Ok(PublishOptions::default());
    }
    let given = sized_in(ptr, func, "opts")?;
    Ok(PublishOptions {
        qos: given.qos,
        retain: given.retain,
        properties: properties_in(&given.properties, func, "opts->properties")?,
    })
}

/// Wait for the acknowledgement when the caller asked for it (`out` not NULL).
fn finish(delivery: Delivery, out: Option<Out<mqtt_delivered>>) -> Result<(), Error> {
    if let Some(out) = out {
        let d = delivery.wait()?;
        out.put(mqtt_delivered {
            packet_id: d.packet_id,
            reason_code: d.reason_code,
        });
    }
    Ok(())
}

/// The optional out-parameter: NULL means "do not wait".
fn wanted(out: *mut mqtt_delivered, func: &str) -> Result<Option<Out<mqtt_delivered>>, Error> {
    (!out.is_null())
        .then(|| Out::new(out, func, "out"))
        .transpose()
}

/// Publish `length` bytes from `data` (copied; NULL allowed when `length` is 0) to `topic`
/// with the options `opts` (NULL: QoS 0, not retained, no properties), which apply to this
/// message only. Safe from many threads at once, each with its own options.
///
/// With `out` NULL it returns once the message is accepted, as mqtt_publish_data does. With
/// `out` given it then waits, firing this client's callbacks on this thread, until the
/// message is complete for its QoS — written (QoS 0), PUBACK (1), PUBCOMP (2) — and fills
/// `*out` with its packet id and reason code. That wait is bounded by Timeout (no bound
/// when Timeout is 0); `*out` is untouched on failure.
///
/// Errors, before anything is sent: 10022 for a NULL topic, a `struct_size` that is too
/// small, or a property that cannot be published (a value out of range, a Subscription
/// Identifier, any property under MQTT 3.1.1; the message names it); 502 bad topic, 505
/// bad QoS. While waiting: 506 (MQTT_ERR_SERVER_REFUSED) when the server refuses the
/// message (reason code 0x80 or above, named in the message), the connection's error when
/// it ends first, 201 after Timeout. Otherwise as mqtt_publish_data.
#[no_mangle]
pub extern "C" fn mqtt_publish_ex(
    mqtt: *mut mqtt_t,
    topic: *const c_char,
    data: *const u8,
    length: usize,
    opts: *const mqtt_publish_options,
    out: *mut mqtt_delivered,
) -> c_int {
    const F: &str = "mqtt_publish_ex";
    guard(F, || {
        let (c, t, d) = (
            client(mqtt, F)?,
            str_in(topic, F, "topic")?,
            bytes_in(data, length, F, "data")?,
        );
        let options = options_in(opts, F)?;
        let out = wanted(out, F)?;
        finish(c.publish_with(t, d.to_vec(), &options)?, out)
    })
}

/// Answer a request: publish `length` bytes from `data` to the request's ResponseTopic with
/// its CorrelationData, and the options `opts` (NULL: QoS 0, no other property). `request`
/// is the event of a MessageIn callback (or a response from mqtt_request); only its topic
/// and `properties` are read, during the call, so it may also be a struct you filled.
/// `out` as in mqtt_publish_ex (NULL: return once accepted).
///
/// Errors: 10022 for a NULL `request`, or a request without ResponseTopic (it is not a
/// request); then as mqtt_publish_ex.
#[no_mangle]
pub extern "C" fn mqtt_respond(
    mqtt: *mut mqtt_t,
    request: *const mqtt_message_event,
    data: *const u8,
    length: usize,
    opts: *const mqtt_publish_options,
    out: *mut mqtt_delivered,
) -> c_int {
    const F: &str = "mqtt_respond";
    guard(F, || {
        let c = client(mqtt, F)?;
        let r = borrow(request, F, "request")?;
        let d = bytes_in(data, length, F, "data")?;
        let options = options_in(opts, F)?;
        let properties = if r.properties.is_null() {
            Properties::default()
        } else {
            properties_in(
                borrow(r.properties, F, "request")?,
                F,
                "request->properties",
            )?
        };
        // The core answers from the request's topic and properties alone: the rest of the
        // event (its payload above all) is not read.
        let topic = str_in(r.topic, F, "request->topic")?;
        let out = wanted(out, F)?;
        finish(c.respond_to(topic, &properties, d.to_vec(), &options)?, out)
    })
}
