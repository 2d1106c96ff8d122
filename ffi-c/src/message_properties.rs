//! The MQTT 5.0 properties of one message as a C struct: read out of a received (or sent)
//! message for its event, and read in from the caller for a publish. The fields are the
//! core's `PropertyId::message_properties()`, named by `field_name()`, in that order
//! (`ffi-c/tests/description.rs` checks the header against it).

use crate::error::invalid;
use crate::ptr::{bytes_in, cstring, slice_in, str_in};
use bytes::Bytes;
use ferromq::codec::{Properties, PropertyId};
use ferromq::Error;
use std::ffi::{c_char, c_int, CString};
use std::sync::Arc;

/// One user property: a name-value pair (UTF-8, NUL-terminated). Names may repeat.
#[repr(C)]
pub struct mqtt_user_property {
    pub name: *const c_char,
    pub value: *const c_char,
}

/// The MQTT 5.0 properties of one message (a PUBLISH): in a message event, what the message
/// carried; in mqtt_publish_options, what to send. Absent values are -1 (integers) or NULL
/// (strings, correlation data); lists are a pointer and a length, NULL and 0 when empty.
///
/// To fill one for a publish, start from MQTT_MESSAGE_PROPERTIES_INIT (every value absent):
/// a struct of zeros would ask for payload format 0, expiry 0 and topic alias 0 (refused).
///
/// In an event the struct and everything it points to belong to the library and are valid
/// while the callback runs (or until mqtt_message_event_free for a response of
/// mqtt_request). For a publish the library copies what it needs during the call.
///
/// ABI: a later version adds properties at the end only; existing fields never move.
#[repr(C)]
pub struct mqtt_message_properties {
    /// Payload Format Indicator: 0 unspecified bytes, 1 UTF-8 text; -1 when absent.
    pub payload_format_indicator: c_int,
    /// Message Expiry Interval in seconds (0..4294967295); -1 when absent.
    pub message_expiry_interval: i64,
    /// Content Type; NULL when absent.
    pub content_type: *const c_char,
    /// Response Topic; NULL when absent.
    pub response_topic: *const c_char,
    /// Correlation Data: `correlation_data_len` bytes, any values; NULL when absent (an
    /// empty one that is present is a non-NULL pointer with length 0).
    pub correlation_data: *const u8,
    pub correlation_data_len: usize,
    /// The Subscription Identifiers of the subscriptions a received message matched. Only a
    /// server sends them: a publish that sets any is refused with 10022.
    pub subscription_identifiers: *const u32,
    pub subscription_identifiers_len: usize,
    /// Topic Alias (1..65535); -1 when absent. A received message's alias is resolved by
    /// the library, which gives the full topic.
    pub topic_alias: c_int,
    /// User Properties in the order the message carried them, repeated names kept.
    pub user_properties: *const mqtt_user_property,
    pub user_properties_len: usize,
}

/// A message without properties points here: nothing to build, nothing to free.
struct Empty(mqtt_message_properties);

// SAFETY: every pointer in it is NULL and it is never written, so sharing it between threads
// shares no data.
unsafe impl Sync for Empty {}

static EMPTY: Empty = Empty(mqtt_message_properties {
    payload_format_indicator: -1,
    message_expiry_interval: -1,
    content_type: std::ptr::null(),
    response_topic: std::ptr::null(),
    correlation_data: std::ptr::null(),
    correlation_data_len: 0,
    subscription_identifiers: std::ptr::null(),
    subscription_identifiers_len: 0,
    topic_alias: -1,
    user_properties: std::ptr::null(),
    user_properties_len: 0,
});

/// The C view of one message's properties, and what its pointers lead into. Moving it keeps
/// the pointers valid: they point into heap buffers (the strings, the pairs, the shared
/// `Properties`), never into this struct.
pub(crate) struct PropertiesOut {
    c: mqtt_message_properties,
    _strings: Vec<CString>,
    _pairs: Vec<mqtt_user_property>,
    _source: Arc<Properties>,
}

impl PropertiesOut {
    /// The view of `p`, or None when it is empty (most messages: then the event points to
    /// the static empty struct and nothing is allocated).
    pub(crate) fn new(p: &Arc<Properties>) -> Option<PropertiesOut> {
        if p.is_empty() {
            return None;
        }
        let mut strings = Vec::with_capacity(2 + 2 * p.user_properties.len());
        let mut keep = |s: &str| {
            let c = cstring(s);
            let ptr = c.as_ptr();
            strings.push(c);
            ptr
        };
        let content_type = p
            .content_type
            .as_deref()
            .map_or(std::ptr::null(), &mut keep);
        let response_topic = p
            .response_topic
            .as_deref()
            .map_or(std::ptr::null(), &mut keep);
        let pairs: Vec<mqtt_user_property> = p
            .user_properties
            .iter()
            .map(|(name, value)| mqtt_user_property {
                name: keep(name),
                value: keep(value),
            })
            .collect();
        let (correlation_data, correlation_data_len) = match &p.correlation_data {
            // Bytes gives a non-NULL pointer also when empty: present but empty stays so.
            Some(b) => (b.as_ptr(), b.len()),
            None => (std::ptr::null(), 0),
        };
        let list = |v: &[u32]| {
            if v.is_empty() {
                std::ptr::null()
            } else {
                v.as_ptr()
            }
        };
        let c = mqtt_message_properties {
            payload_format_indicator: p.payload_format_indicator.map_or(-1, c_int::from),
            message_expiry_interval: p.message_expiry_interval.map_or(-1, i64::from),
            content_type,
            response_topic,
            correlation_data,
            correlation_data_len,
            subscription_identifiers: list(&p.subscription_identifiers),
            subscription_identifiers_len: p.subscription_identifiers.len(),
            topic_alias: p.topic_alias.map_or(-1, c_int::from),
            user_properties: if pairs.is_empty() {
                std::ptr::null()
            } else {
                pairs.as_ptr()
            },
            user_properties_len: pairs.len(),
        };
        Some(PropertiesOut {
            c,
            _strings: strings,
            _pairs: pairs,
            _source: p.clone(),
        })
    }
}

/// The pointer an event carries: the view, or the static empty struct.
pub(crate) fn properties_ptr(view: &Option<PropertiesOut>) -> *const mqtt_message_properties {
    view.as_ref().map_or(&EMPTY.0, |v| &v.c)
}

/// An integer property given by C: -1 is absent; anything else must be within the
/// property's range (`PropertyId::value_range`, the core's).
fn int_in(id: PropertyId, v: i64, func: &str, what: &str) -> Result<Option<u32>, Error> {
    if v == -1 {
        return Ok(None);
    }
    let range = id.value_range().unwrap_or(0..=u32::MAX);
    match u32::try_from(v) {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(invalid(format!(
            "{func}: {what}.{} {v} is out of range: use {}..={}, or -1 when absent (start \
             from MQTT_MESSAGE_PROPERTIES_INIT)",
            id.field_name(),
            range.start(),
            range.end()
        ))),
    }
}

/// A string property given by C: NULL is absent.
fn text_in(
    ptr: *const c_char,
    id: PropertyId,
    func: &str,
    what: &str,
) -> Result<Option<String>, Error> {
    if ptr.is_null() {
        return Ok(None);
    }
    Ok(Some(
        str_in(ptr, func, &format!("{what}.{}", id.field_name()))?.to_string(),
    ))
}

/// Read the caller's properties (`what` names them in messages, e.g. "opts->properties").
/// Only the conversion is checked here; what a publish may carry is the core's check.
pub(crate) fn properties_in(
    c: &mqtt_message_properties,
    func: &str,
    what: &str,
) -> Result<Properties, Error> {
    use PropertyId as P;
    let int = |id, v| int_in(id, v, func, what);
    let correlation_data = if c.correlation_data.is_null() && c.correlation_data_len == 0 {
        None
    } else {
        let field = format!("{what}.correlation_data");
        let b = bytes_in(c.correlation_data, c.correlation_data_len, func, &field)?;
        Some(Bytes::copy_from_slice(b))
    };
    let ids = slice_in(
        c.subscription_identifiers,
        c.subscription_identifiers_len,
        func,
        &format!("{what}.subscription_identifiers"),
    )?;
    let pairs = slice_in(
        c.user_properties,
        c.user_properties_len,
        func,
        &format!("{what}.user_properties"),
    )?;
    let user_properties = pairs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let at = |part: &str| format!("{what}.user_properties[{i}].{part}");
            Ok((
                str_in(p.name, func, &at("name"))?.to_string(),
                str_in(p.value, func, &at("value"))?.to_string(),
            ))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Properties {
        payload_format_indicator: int(
            P::PayloadFormatIndicator,
            c.payload_format_indicator.into(),
        )?
        .and_then(|n| u8::try_from(n).ok()),
        message_expiry_interval: int(P::MessageExpiryInterval, c.message_expiry_interval)?,
        content_type: text_in(c.content_type, P::ContentType, func, what)?,
        response_topic: text_in(c.response_topic, P::ResponseTopic, func, what)?,
        correlation_data,
        subscription_identifiers: ids.to_vec(),
        topic_alias: int(P::TopicAlias, c.topic_alias.into())?.and_then(|n| u16::try_from(n).ok()),
        user_properties,
        ..Properties::default()
    })
}
