//! The JSON settings (ConnectProperties, ConnAckProperties, DisconnectProperties,
//! OutgoingMessageProperties, WillProperties): each is a list of keys over fields of a codec
//! `Properties`, so writing merges into the very set that goes on the wire.
//!
//! Input is read member by member rather than into a `serde_json::Map`, because the
//! documented form repeats `UserProperty` and a map would keep only the last one.

use super::{bool_word, invalid, parse_hex, to_hex};
use crate::codec::Properties;
use crate::error::{code, Error, Result};
use bytes::Bytes;
use serde_json::Value;

/// A property a JSON key stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    AssignedClientId,
    ContentType,
    CorrelationData,
    MaximumPacketSize,
    MaximumQos,
    MessageExpiry,
    PayloadFormat,
    ReasonString,
    ReceiveMaximum,
    RequestProblemInfo,
    RequestResponseInfo,
    ResponseInformation,
    ResponseTopic,
    RetainAvailable,
    ServerKeepAlive,
    SessionExpiry,
    SharedSubAvailable,
    SubIdAvailable,
    TopicAlias,
    TopicAliasMax,
    UserProperty,
    WildcardSubAvailable,
    WillDelay,
}

/// One key of a JSON setting. `alias` is a second spelling accepted on input only.
pub(crate) struct Key {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub field: Field,
}

const fn key(name: &'static str, field: Field) -> Key {
    Key {
        name,
        alias: None,
        field,
    }
}

pub(crate) const CONNECT_KEYS: &[Key] = &[
    key("ClientTopicAliasMax", Field::TopicAliasMax),
    key("MaximumPacketSize", Field::MaximumPacketSize),
    key("ReceiveMaximum", Field::ReceiveMaximum),
    key("RequestProblemInformation", Field::RequestProblemInfo),
    key("RequestResponseInformation", Field::RequestResponseInfo),
    key("SessionExpInterval", Field::SessionExpiry),
];

/// The keys are the documented ones, misspelt `WildcardSubscriptionAvaiable` included:
/// an application written against the reference looks for that spelling.
pub(crate) const CONNACK_KEYS: &[Key] = &[
    key("AssignedClientIdentifier", Field::AssignedClientId),
    key("MaximumQoS", Field::MaximumQos),
    key("MaximumPacketSize", Field::MaximumPacketSize),
    key("ReasonString", Field::ReasonString),
    key("ReceiveMaximum", Field::ReceiveMaximum),
    key("ResponseInformation", Field::ResponseInformation),
    key("RetainAvailable", Field::RetainAvailable),
    key("ServerKeepAlive", Field::ServerKeepAlive),
    key("ServerTopicAliasMax", Field::TopicAliasMax),
    key("SessionExpInterval", Field::SessionExpiry),
    key("SharedSubscriptionAvailable", Field::SharedSubAvailable),
    key("SubscriptionIdentifiersAvailable", Field::SubIdAvailable),
    key("WildcardSubscriptionAvaiable", Field::WildcardSubAvailable),
];

pub(crate) const DISCONNECT_KEYS: &[Key] = &[
    key("SessionExpInterval", Field::SessionExpiry),
    key("ReasonString", Field::ReasonString),
];

pub(crate) const OUTGOING_KEYS: &[Key] = &[
    key("ContentType", Field::ContentType),
    key("CorrelationData", Field::CorrelationData),
    key("MessageExpInterval", Field::MessageExpiry),
    key("PayloadFormatIndicator", Field::PayloadFormat),
    key("ResponseTopic", Field::ResponseTopic),
    key("TopicAlias", Field::TopicAlias),
    key("UserProperty", Field::UserProperty),
];

/// The reference's table spells the response topic `ReponseTopic` once and its example
/// `ResponseTopic`; both are taken.
pub(crate) const WILL_KEYS: &[Key] = &[
    key("ContentType", Field::ContentType),
    key("CorrelationData", Field::CorrelationData),
    key("MessageExpInterval", Field::MessageExpiry),
    key("PayloadFormatIndicator", Field::PayloadFormat),
    Key {
        name: "ResponseTopic",
        alias: Some("ReponseTopic"),
        field: Field::ResponseTopic,
    },
    key("WillDelayInterval", Field::WillDelay),
];

/// A field of `Properties` seen through the shape its JSON value has.
enum Slot<'a> {
    U32(&'a mut Option<u32>, u32),
    U16(&'a mut Option<u16>, u16),
    /// A small number with its largest value (Payload Format Indicator, Maximum QoS).
    Small(&'a mut Option<u8>, u8),
    /// A 0/1 byte shown as a JSON boolean.
    Flag(&'a mut Option<u8>),
    Text(&'a mut Option<String>),
    Hex(&'a mut Option<Bytes>),
    Pairs(&'a mut Vec<(String, String)>),
}

fn slot(field: Field, p: &mut Properties) -> Slot<'_> {
    use Field as F;
    match field {
        F::AssignedClientId => Slot::Text(&mut p.assigned_client_identifier),
        F::ContentType => Slot::Text(&mut p.content_type),
        F::CorrelationData => Slot::Hex(&mut p.correlation_data),
        F::MaximumPacketSize => Slot::U32(&mut p.maximum_packet_size, 1),
        F::MaximumQos => Slot::Small(&mut p.maximum_qos, 2),
        F::MessageExpiry => Slot::U32(&mut p.message_expiry_interval, 0),
        F::PayloadFormat => Slot::Small(&mut p.payload_format_indicator, 1),
        F::ReasonString => Slot::Text(&mut p.reason_string),
        F::ReceiveMaximum => Slot::U16(&mut p.receive_maximum, 1),
        F::RequestProblemInfo => Slot::Flag(&mut p.request_problem_information),
        F::RequestResponseInfo => Slot::Flag(&mut p.request_response_information),
        F::ResponseInformation => Slot::Text(&mut p.response_information),
        F::ResponseTopic => Slot::Text(&mut p.response_topic),
        F::RetainAvailable => Slot::Flag(&mut p.retain_available),
        F::ServerKeepAlive => Slot::U16(&mut p.server_keep_alive, 0),
        F::SessionExpiry => Slot::U32(&mut p.session_expiry_interval, 0),
        F::SharedSubAvailable => Slot::Flag(&mut p.shared_subscription_available),
        F::SubIdAvailable => Slot::Flag(&mut p.subscription_identifier_available),
        F::TopicAlias => Slot::U16(&mut p.topic_alias, 1),
        F::TopicAliasMax => Slot::U16(&mut p.topic_alias_maximum, 0),
        F::UserProperty => Slot::Pairs(&mut p.user_properties),
        F::WildcardSubAvailable => Slot::Flag(&mut p.wildcard_subscription_available),
        F::WillDelay => Slot::U32(&mut p.will_delay_interval, 0),
    }
}

/// Clears every field `keys` covers, leaving the others alone.
pub(crate) fn clear(keys: &[Key], p: &mut Properties) {
    for k in keys {
        match slot(k.field, p) {
            Slot::U32(v, _) => *v = None,
            Slot::U16(v, _) => *v = None,
            Slot::Small(v, _) | Slot::Flag(v) => *v = None,
            Slot::Text(v) => *v = None,
            Slot::Hex(v) => *v = None,
            Slot::Pairs(v) => v.clear(),
        }
    }
}

/// Writes `text` into `target`: "" clears every key; otherwise a JSON object whose members
/// are merged in, a member set to null, "" or (for numbers and flags) -1 removing its key.
/// Nothing is changed unless every member is valid.
pub(crate) fn merge(
    setting: &str,
    keys: &[Key],
    target: &mut Properties,
    text: &str,
) -> Result<()> {
    if text.trim().is_empty() {
        clear(keys, target);
        return Ok(());
    }
    let mut next = target.clone();
    // The pairs given in one write replace the earlier ones as a whole: merging them one
    // by one could never remove a pair.
    let mut pairs_replaced = false;
    for (name, value) in parse_object(setting, text)? {
        let key = keys
            .iter()
            .find(|k| {
                k.name.eq_ignore_ascii_case(&name)
                    || k.alias.is_some_and(|a| a.eq_ignore_ascii_case(&name))
            })
            .ok_or_else(|| {
                let known: Vec<&str> = keys.iter().map(|k| k.name).collect();
                Error::new(
                    code::INVALID_ARGUMENT,
                    format!(
                        "unknown key \"{name}\" in config setting \"{setting}\": \
                         expected one of {}",
                        known.join(", ")
                    ),
                )
            })?;
        let bad = |why: &str| {
            Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "invalid value {value} for key \"{}\" of config setting \"{setting}\": {why}",
                    key.name
                ),
            )
        };
        let numeric = matches!(
            slot(key.field, &mut next),
            Slot::U32(..) | Slot::U16(..) | Slot::Small(..) | Slot::Flag(_)
        );
        let reset = match &value {
            Value::Null => true,
            Value::String(s) => s.is_empty() || (numeric && s.trim() == "-1"),
            Value::Number(n) => numeric && n.as_i64() == Some(-1),
            _ => false,
        };
        // None when the member removes its key.
        let int = |min: i64, max: i64| -> Result<Option<i64>> {
            match reset {
                true => Ok(None),
                false => number(&value, min, max).map(Some).map_err(|why| bad(&why)),
            }
        };
        match slot(key.field, &mut next) {
            Slot::U32(v, min) => *v = int(min.into(), u32::MAX.into())?.map(|n| n as u32),
            Slot::U16(v, min) => *v = int(min.into(), u16::MAX.into())?.map(|n| n as u16),
            Slot::Small(v, max) => *v = int(0, max.into())?.map(|n| n as u8),
            Slot::Flag(v) => {
                *v = match reset {
                    true => None,
                    false => Some(u8::from(flag(&value).map_err(bad)?)),
                }
            }
            Slot::Text(v) => {
                *v = match (reset, &value) {
                    (true, _) => None,
                    (false, Value::String(s)) => Some(s.clone()),
                    _ => return Err(bad("expected a JSON string")),
                }
            }
            Slot::Hex(v) => {
                *v = match (reset, &value) {
                    (true, _) => None,
                    (false, Value::String(s)) => {
                        Some(Bytes::from(parse_hex(s).map_err(|why| bad(&why))?))
                    }
                    _ => return Err(bad("expected a string of hex digits")),
                }
            }
            Slot::Pairs(v) => {
                if !pairs_replaced {
                    v.clear();
                    pairs_replaced = true;
                }
                if !reset {
                    let items = match &value {
                        Value::Array(items) => items.iter().collect(),
                        other => vec![other],
                    };
                    for item in items {
                        let pair = item
                            .as_str()
                            .and_then(|s| s.split_once(':'))
                            .ok_or_else(|| bad("expected \"name:value\""))?;
                        v.push((pair.0.to_string(), pair.1.to_string()));
                    }
                }
            }
        }
    }
    *target = next;
    Ok(())
}

/// The keys of `p` that are set, as a JSON object in the order of `keys`. Numbers are JSON
/// numbers, flags JSON booleans, binary data hex; every user property is its own
/// `UserProperty` member, as on input.
pub(crate) fn render(keys: &[Key], p: &Properties) -> String {
    let mut p = p.clone();
    let mut out = String::from("{");
    let mut member = |name: &str, json: String| {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&quote(name));
        out.push(':');
        out.push_str(&json);
    };
    for k in keys {
        match slot(k.field, &mut p) {
            Slot::U32(Some(v), _) => member(k.name, v.to_string()),
            Slot::U16(Some(v), _) => member(k.name, v.to_string()),
            Slot::Small(Some(v), _) => member(k.name, v.to_string()),
            Slot::Flag(Some(v)) => member(k.name, (*v != 0).to_string()),
            Slot::Text(Some(v)) => member(k.name, quote(v)),
            Slot::Hex(Some(v)) => member(k.name, quote(&to_hex(v))),
            Slot::Pairs(v) => {
                for (n, val) in v.iter() {
                    member(k.name, quote(&format!("{n}:{val}")));
                }
            }
            _ => {}
        }
    }
    out.push('}');
    out
}

pub(crate) fn quote(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn number(v: &Value, min: i64, max: i64) -> std::result::Result<i64, String> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected an integer {min}..={max}")),
    }
}

fn flag(v: &Value) -> std::result::Result<bool, &'static str> {
    const WHY: &str = "expected true or false";
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(WHY),
        },
        Value::String(s) => bool_word(s).ok_or(WHY),
        _ => Err(WHY),
    }
}

/// The members of a JSON object, in order, repeated names kept.
pub(crate) fn parse_object(setting: &str, text: &str) -> Result<Vec<(String, Value)>> {
    let fail = |at: usize, why: &str| {
        Error::new(
            code::INVALID_ARGUMENT,
            format!(
                "config setting \"{setting}\" needs a JSON object, and \"{text}\" is not one \
                 (at byte {at}: {why})"
            ),
        )
    };
    let bytes = text.as_bytes();
    let skip_ws = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    let value_at = |at: usize| -> Result<(Value, usize)> {
        let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => Ok((v, at + stream.byte_offset())),
            Some(Err(e)) => {
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                Err(fail(at, &msg))
            }
            None => Err(fail(at, "the text ends early")),
        }
    };
    let mut at = skip_ws(0);
    if bytes.get(at) != Some(&b'{') {
        return Err(fail(at, "expected '{'"));
    }
    at = skip_ws(at + 1);
    let mut members = Vec::new();
    if bytes.get(at) == Some(&b'}') {
        at += 1;
    } else {
        loop {
            let (name, next) = value_at(at)?;
            let Value::String(name) = name else {
                return Err(fail(at, "expected a key in double quotes"));
            };
            at = skip_ws(next);
            if bytes.get(at) != Some(&b':') {
                return Err(fail(at, "expected ':'"));
            }
            let (value, next) = value_at(at + 1)?;
            members.push((name, value));
            at = skip_ws(next);
            match bytes.get(at) {
                Some(b',') => at += 1,
                Some(b'}') => {
                    at += 1;
                    break;
                }
                _ => return Err(fail(at, "expected ',' or '}'")),
            }
        }
    }
    if skip_ws(at) != bytes.len() {
        return Err(fail(at, "text after the object"));
    }
    Ok(members)
}

/// Errors for a JSON setting that holds an array of strings (the indexed settings read and
/// written whole).
pub(crate) fn parse_string_array(setting: &str, text: &str) -> Result<Vec<String>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                other => Err(invalid(
                    setting,
                    text,
                    &format!("{other} is not a JSON string"),
                )),
            })
            .collect(),
        _ => Err(invalid(setting, text, "expected a JSON array of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_repeated_members_in_order() {
        let m = parse_object(
            "S",
            r#" { "UserProperty":"a:1", "X" : 5,"UserProperty":"b:2" , "Y":[1,{"z":null}]} "#,
        )
        .unwrap();
        let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["UserProperty", "X", "UserProperty", "Y"]);
        assert_eq!(m[1].1, Value::from(5));
        assert_eq!(m[2].1, Value::from("b:2"));
        assert!(parse_object("S", "{}").unwrap().is_empty());
        assert!(parse_object("S", " { } ").unwrap().is_empty());
    }

    #[test]
    fn malformed_objects_are_refused_with_the_setting_named() {
        for bad in [
            "[]",
            "{",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{\"a\":1} x",
            "{a:1}",
            "{\"a\":1 \"b\":2}",
            "5",
            "{\"a\":tru}",
        ] {
            let e = parse_object("ConnectProperties", bad).unwrap_err();
            assert_eq!(e.code, code::INVALID_ARGUMENT);
            assert!(e.message.contains("ConnectProperties"), "{bad}: {e}");
            assert!(e.message.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn every_field_renders_and_merges_back() {
        let mut p = Properties::default();
        merge(
            "W",
            WILL_KEYS,
            &mut p,
            r#"{"ContentType":"t","CorrelationData":"0aFF","MessageExpInterval":7,
                "PayloadFormatIndicator":"1","ReponseTopic":"r","WillDelayInterval":"9"}"#,
        )
        .unwrap();
        let text = render(WILL_KEYS, &p);
        assert_eq!(
            text,
            r#"{"ContentType":"t","CorrelationData":"0aff","MessageExpInterval":7,"PayloadFormatIndicator":1,"ResponseTopic":"r","WillDelayInterval":9}"#
        );
        let mut again = Properties::default();
        merge("W", WILL_KEYS, &mut again, &text).unwrap();
        assert_eq!(again, p);
    }

    #[test]
    fn a_failed_merge_changes_nothing() {
        let mut p = Properties::default();
        merge("C", CONNECT_KEYS, &mut p, r#"{"ReceiveMaximum":5}"#).unwrap();
        let before = p.clone();
        let e = merge(
            "C",
            CONNECT_KEYS,
            &mut p,
            r#"{"SessionExpInterval":9,"ReceiveMaximum":0}"#,
        )
        .unwrap_err();
        assert!(e.message.contains("ReceiveMaximum") && e.message.contains("1..=65535"));
        assert_eq!(p, before);
    }
}
