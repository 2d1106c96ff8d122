//! Request/response from C: mqtt_request hands the response out as a message event the
//! library allocates (like mqtt_message), freed with mqtt_message_event_free. The
//! behaviour is the core's `Mqtt::request`.

use crate::error::invalid;
use crate::events::{message_struct, mqtt_message_event, text_form};
use crate::handle::{client, mqtt_t};
use crate::message_properties::{properties_ptr, PropertiesOut};
use crate::panic::{catch, guard};
use crate::ptr::{bytes_in, cstring, reclaim, str_in, Out};
use crate::publish_ex::{mqtt_publish_options, options_in};
use ferromq::MessageEvent;
use std::ffi::{c_char, c_int, CString};
use std::time::Duration;

/// What the library allocates for a response: the C struct first (so a pointer to it is a
/// pointer to the whole), then what its pointers lead into.
#[repr(C)]
struct OwnedEvent {
    c: mqtt_message_event,
    topic: CString,
    /// The text form with its NUL terminator (kept as bytes: it may hold NULs).
    text: Vec<u8>,
    /// The payload and the properties, shared with the engine (not copied).
    event: MessageEvent,
    properties: Option<PropertiesOut>,
}

impl OwnedEvent {
    fn into_raw(event: MessageEvent) -> *mut mqtt_message_event {
        let topic = cstring(&event.topic);
        let text = text_form(&event.message);
        let properties = PropertiesOut::new(&event.properties);
        // The topic, text and payload pointers lead into heap buffers, which do not move
        // when these values move into the box; the properties struct is inline in
        // `properties`, so its pointer is taken once it is in the box.
        let c = message_struct(&event, &topic, &text, std::ptr::null());
        let mut owned = Box::new(OwnedEvent {
            c,
            topic,
            text,
            event,
            properties,
        });
        owned.c.properties = properties_ptr(&owned.properties);
        Box::into_raw(owned).cast()
    }
}

/// Send a request and wait for its response (MQTT 5.0 request/response): publishes `length`
/// bytes from `data` to `topic` with the options `opts` (NULL: QoS 0, no properties) plus
/// a ResponseTopic and a CorrelationData of the library's, and waits — firing this client's
/// callbacks on this thread — for the message that answers it, at most `timeout_ms`
/// milliseconds. Many requests may be in flight at once, from many threads.
///
/// The response topic is the server's Response Information when its CONNACK gave one,
/// else one of the client's own; it is subscribed once per connection (QoS 0) and shared by
/// every request. The response is not also delivered as MessageIn.
///
/// Ownership: on success `*response` receives a new mqtt_message_event (its `properties`
/// included) that the caller owns and frees with mqtt_message_event_free. On failure it is
/// untouched.
///
/// Errors: 10022 for a NULL `response`, a negative `timeout_ms`, MQTT 3.1.1 (requests need
/// 5.0), or options that set `response_topic` or `correlation_data` (the request sets its
/// own: use mqtt_publish_ex to send them by hand); 201 when no response came in time (the
/// request's place is freed); 506 when the server refuses the request; 1117 not connected;
/// otherwise as mqtt_publish_ex.
#[no_mangle]
pub extern "C" fn mqtt_request(
    mqtt: *mut mqtt_t,
    topic: *const c_char,
    data: *const u8,
    length: usize,
    timeout_ms: c_int,
    opts: *const mqtt_publish_options,
    response: *mut *mut mqtt_message_event,
) -> c_int {
    const F: &str = "mqtt_request";
    guard(F, || {
        let (c, t, d) = (
            client(mqtt, F)?,
            str_in(topic, F, "topic")?,
            bytes_in(data, length, F, "data")?,
        );
        let options = options_in(opts, F)?;
        let response = Out::new(response, F, "response")?;
        let ms = u64::try_from(timeout_ms).map_err(|_| {
            invalid(format!(
                "{F}: timeout_ms {timeout_ms} is negative: give the wait in milliseconds"
            ))
        })?;
        let answer = c.request(t, d.to_vec(), Duration::from_millis(ms), &options)?;
        response.put(OwnedEvent::into_raw(answer));
        Ok(())
    })
}

/// Free a response from mqtt_request, with everything it points to (its properties too).
/// NULL is ignored. Only for events the library handed to you this way: never for the
/// event of a callback.
#[no_mangle]
pub extern "C" fn mqtt_message_event_free(event: *mut mqtt_message_event) {
    catch((), || drop(reclaim(event.cast::<OwnedEvent>())))
}
