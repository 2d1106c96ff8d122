//! What a publish may be given with the call instead of the client-wide settings (retain,
//! QoS, the MQTT 5.0 PUBLISH properties), and the check those values get before anything is
//! sent.

use crate::codec::{Properties, PropertyId, PropertyPlace, PropertyType, PropertyValue};
use crate::error::{code, Error, Result};

/// The options of one publish ([`crate::Mqtt::publish_with`]). They apply to this message
/// only: the client-wide Retain, Duplicate and OutgoingMessageProperties settings are
/// neither read nor changed, so concurrent publishes cannot mix each other's options.
///
/// ```
/// use ferromq::{codec::Properties, PublishOptions};
/// let options = PublishOptions {
///     qos: 1,
///     retain: false,
///     properties: Properties {
///         response_topic: Some("replies/42".into()),
///         correlation_data: Some(b"req-42".to_vec().into()),
///         user_properties: vec![("unit".into(), "C".into()), ("unit".into(), "K".into())],
///         ..Properties::default()
///     },
/// };
/// # let _ = options;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishOptions {
    /// 0, 1 or 2.
    pub qos: i32,
    /// Ask the server to keep this message for future subscribers of its topic.
    pub retain: bool,
    /// Any property a PUBLISH may carry from a client: every one of
    /// [`PropertyId::message_properties`] except the Subscription Identifier, which only a
    /// server sends. Must be empty under MQTT 3.1.1.
    pub properties: Properties,
}

/// Refuses (10022, naming the property and the value) what a client may not put on a
/// PUBLISH: a property of another packet, a Subscription Identifier, an integer outside its
/// range, a string or binary value longer than 65 535 bytes, a string holding U+0000.
pub(crate) fn check_message_properties(p: &Properties) -> Result<()> {
    for id in PropertyId::ALL {
        let values = p.values(id);
        if values.is_empty() {
            continue;
        }
        let name = id.field_name();
        if id.allowed_in(PropertyPlace::Publish) && !id.client_may_publish() {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("{name} {:?} cannot be published: only a server sets it, on the messages it sends", values),
            ));
        }
        if !id.client_may_publish() {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("{name} ({}) is not a property of a PUBLISH", id.name()),
            ));
        }
        for v in &values {
            check_value(id, name, v)?;
        }
    }
    Ok(())
}

fn check_value(id: PropertyId, name: &str, v: &PropertyValue) -> Result<()> {
    let bad = |why: String| Err(Error::new(code::INVALID_ARGUMENT, why));
    if let (Some(n), Some(range)) = (v.integer(), id.value_range()) {
        if !range.contains(&n) {
            return bad(format!(
                "{name} {n} is out of range: use {}..={}",
                range.start(),
                range.end()
            ));
        }
        return Ok(());
    }
    let text_ok = |s: &str, what: &str| -> Result<()> {
        if s.len() > usize::from(u16::MAX) {
            return bad(format!(
                "{name}: {what} is {} bytes long; MQTT strings hold at most 65535",
                s.len()
            ));
        }
        if s.contains('\0') {
            return bad(format!(
                "{name}: {what} {s:?} holds U+0000, which MQTT strings may not"
            ));
        }
        Ok(())
    };
    match v {
        PropertyValue::Utf8String(s) => text_ok(s, "the value"),
        PropertyValue::Utf8StringPair(k, s) => {
            text_ok(k, "the name")?;
            text_ok(s, "the value")
        }
        PropertyValue::BinaryData(b) if b.len() > usize::from(u16::MAX) => bad(format!(
            "{name} is {} bytes long; MQTT binary data holds at most 65535",
            b.len()
        )),
        _ => {
            debug_assert!(id.data_type() != PropertyType::Byte || v.integer().is_some());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_a_client_may_not_publish_and_names_it() {
        let cases = [
            (
                Properties {
                    subscription_identifiers: vec![3],
                    ..Properties::default()
                },
                "subscription_identifiers",
            ),
            (
                Properties {
                    session_expiry_interval: Some(5),
                    ..Properties::default()
                },
                "session_expiry_interval",
            ),
            (
                Properties {
                    payload_format_indicator: Some(2),
                    ..Properties::default()
                },
                "payload_format_indicator 2",
            ),
            (
                Properties {
                    topic_alias: Some(0),
                    ..Properties::default()
                },
                "topic_alias 0",
            ),
            (
                Properties {
                    user_properties: vec![("a\0".into(), "b".into())],
                    ..Properties::default()
                },
                "U+0000",
            ),
        ];
        for (p, named) in cases {
            let e = check_message_properties(&p).unwrap_err();
            assert_eq!(e.code, code::INVALID_ARGUMENT);
            assert!(e.message.contains(named), "{named}: {}", e.message);
        }
        let fine = Properties {
            content_type: Some("text/plain".into()),
            correlation_data: Some(vec![0, 1, 2].into()),
            message_expiry_interval: Some(60),
            payload_format_indicator: Some(1),
            response_topic: Some("r".into()),
            topic_alias: Some(1),
            user_properties: vec![("k".into(), "1".into()), ("k".into(), "2".into())],
            ..Properties::default()
        };
        check_message_properties(&fine).unwrap();
    }
}
