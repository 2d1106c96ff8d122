//! The JSON settings (ConnectProperties, ConnAckProperties, DisconnectProperties,
//! OutgoingMessageProperties, WillProperties): each is a list of keys over fields of a codec
//! `Properties`, so writing merges into the very set that goes on the wire. The keys, their
//! order and the shape of their values come from the property table
//! (codec/property_table.rs).
//!
//! Input is read member by member rather than into a `serde_json::Map`, because the
//! documented form repeats `UserProperty` and a map would keep only the last one.

use super::{bool_word, invalid, parse_hex, to_hex};
use crate::codec::{Check, FieldMut, Properties, PropertyId};
use crate::error::{code, Error, Result};
use bytes::Bytes;
use serde_json::Value;

/// A JSON setting whose keys stand for properties. Which keys it has, under which names and
/// in which order, is said by the property table (codec/property_table.rs), where each
/// property names the settings it is a key of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Keys(&'static str);

pub(crate) const CONNECT_KEYS: Keys = Keys("ConnectProperties");
pub(crate) const CONNACK_KEYS: Keys = Keys("ConnAckProperties");
pub(crate) const DISCONNECT_KEYS: Keys = Keys("DisconnectProperties");
pub(crate) const OUTGOING_KEYS: Keys = Keys("OutgoingMessageProperties");
pub(crate) const WILL_KEYS: Keys = Keys("WillProperties");

/// Every JSON setting of properties, in the order the docs list them.
#[cfg(test)]
const SETTINGS: [Keys; 5] = [
    CONNECT_KEYS,
    CONNACK_KEYS,
    DISCONNECT_KEYS,
    OUTGOING_KEYS,
    WILL_KEYS,
];

/// One key of a JSON setting. `alias` is a second spelling accepted on input only.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub id: PropertyId,
}

impl Keys {
    #[cfg(test)]
    fn setting(self) -> &'static str {
        self.0
    }

    /// The keys, in the order the setting is read back.
    pub(crate) fn keys(self) -> Vec<Key> {
        let mut keys: Vec<(u8, Key)> = PropertyId::ALL
            .iter()
            .flat_map(|&id| id.json_keys().iter().map(move |k| (id, k)))
            .filter(|(_, k)| k.setting == self.0)
            .map(|(id, k)| {
                let key = Key {
                    name: k.name,
                    alias: k.alias,
                    id,
                };
                (k.rank, key)
            })
            .collect();
        keys.sort_by_key(|(rank, _)| *rank);
        keys.into_iter().map(|(_, k)| k).collect()
    }
}

/// A field of `Properties` seen through the shape its JSON value has.
enum Slot<'a> {
    U32(&'a mut Option<u32>, u32, u32),
    U16(&'a mut Option<u16>, u16, u16),
    /// A small number (Payload Format Indicator, Maximum QoS).
    Small(&'a mut Option<u8>, u8, u8),
    /// A 0/1 byte shown as a JSON boolean.
    Flag(&'a mut Option<u8>),
    Text(&'a mut Option<String>),
    Hex(&'a mut Option<Bytes>),
    Pairs(&'a mut Vec<(String, String)>),
    /// A list of variable byte integers: none is a key of a setting (a test checks it).
    NoJson,
}

/// The shape of property `id`'s JSON value: from its field's type and its check.
fn slot(id: PropertyId, p: &mut Properties) -> Slot<'_> {
    let check = id.check();
    let narrow = |max: u32| -> (u32, u32) { check.range(max) };
    match p.field_mut(id) {
        FieldMut::Byte(v) if check == Check::Flag => Slot::Flag(v),
        FieldMut::Byte(v) => {
            let (min, max) = narrow(u8::MAX.into());
            Slot::Small(v, min as u8, max as u8)
        }
        FieldMut::Two(v) => {
            let (min, max) = narrow(u16::MAX.into());
            Slot::U16(v, min as u16, max as u16)
        }
        FieldMut::Four(v) => {
            let (min, max) = narrow(u32::MAX);
            Slot::U32(v, min, max)
        }
        FieldMut::Text(v) => Slot::Text(v),
        FieldMut::Binary(v) => Slot::Hex(v),
        FieldMut::Pairs(v) => Slot::Pairs(v),
        FieldMut::VarInts(_) => Slot::NoJson,
    }
}

/// How the docs describe the values of key `id` ("(1..=65535)", "(bool)").
#[cfg(test)]
fn value_note(id: PropertyId) -> String {
    let mut p = Properties::default();
    match slot(id, &mut p) {
        Slot::U32(_, min, max) => format!(" ({min}..={max})"),
        Slot::U16(_, min, max) => format!(" ({min}..={max})"),
        Slot::Small(_, 0, 1) => " (0 or 1)".into(),
        Slot::Small(_, min, max) => format!(" ({min}..={max})"),
        Slot::Flag(_) => " (bool)".into(),
        Slot::Hex(_) => " (hex)".into(),
        Slot::Pairs(_) => " (repeatable)".into(),
        Slot::Text(_) | Slot::NoJson => String::new(),
    }
}

/// Clears every field `keys` covers, leaving the others alone.
pub(crate) fn clear(keys: Keys, p: &mut Properties) {
    for k in keys.keys() {
        match slot(k.id, p) {
            Slot::U32(v, ..) => *v = None,
            Slot::U16(v, ..) => *v = None,
            Slot::Small(v, ..) | Slot::Flag(v) => *v = None,
            Slot::Text(v) => *v = None,
            Slot::Hex(v) => *v = None,
            Slot::Pairs(v) => v.clear(),
            Slot::NoJson => {}
        }
    }
}

/// Writes `text` into `target`: "" clears every key; otherwise a JSON object whose members
/// are merged in, a member set to null, "" or (for numbers and flags) -1 removing its key.
/// Nothing is changed unless every member is valid.
pub(crate) fn merge(setting: &str, keys: Keys, target: &mut Properties, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        clear(keys, target);
        return Ok(());
    }
    let mut next = target.clone();
    // The pairs given in one write replace the earlier ones as a whole: merging them one
    // by one could never remove a pair.
    let mut pairs_replaced = false;
    let keys = keys.keys();
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
            slot(key.id, &mut next),
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
        match slot(key.id, &mut next) {
            Slot::U32(v, min, max) => *v = int(min.into(), max.into())?.map(|n| n as u32),
            Slot::U16(v, min, max) => *v = int(min.into(), max.into())?.map(|n| n as u16),
            Slot::Small(v, min, max) => *v = int(min.into(), max.into())?.map(|n| n as u8),
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
            Slot::NoJson => return Err(bad("this key cannot be written")),
        }
    }
    *target = next;
    Ok(())
}

/// The keys of `p` that are set, as a JSON object in the order of `keys`. Numbers are JSON
/// numbers, flags JSON booleans, binary data hex; every user property is its own
/// `UserProperty` member, as on input.
pub(crate) fn render(keys: Keys, p: &Properties) -> String {
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
    for k in keys.keys() {
        match slot(k.id, &mut p) {
            Slot::U32(Some(v), ..) => member(k.name, v.to_string()),
            Slot::U16(Some(v), ..) => member(k.name, v.to_string()),
            Slot::Small(Some(v), ..) => member(k.name, v.to_string()),
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
mod docs_tables;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_keys_name_known_settings_in_a_clear_order() {
        for id in PropertyId::ALL {
            for k in id.json_keys() {
                assert!(
                    SETTINGS.iter().any(|s| s.setting() == k.setting),
                    "{id:?} names an unknown setting {}",
                    k.setting
                );
                let mut p = Properties::default();
                assert!(
                    !matches!(slot(id, &mut p), Slot::NoJson),
                    "{id:?} has no JSON form"
                );
            }
        }
        for setting in SETTINGS {
            let ranks: Vec<u8> = PropertyId::ALL
                .iter()
                .flat_map(|id| id.json_keys())
                .filter(|k| k.setting == setting.setting())
                .map(|k| k.rank)
                .collect();
            let mut sorted = ranks.clone();
            sorted.sort_unstable();
            let expected: Vec<u8> = (0..ranks.len() as u8).collect();
            assert_eq!(sorted, expected, "ranks of {}", setting.setting());
            let mut names: Vec<String> = setting
                .keys()
                .iter()
                .flat_map(|k| std::iter::once(k.name).chain(k.alias))
                .map(str::to_ascii_lowercase)
                .collect();
            let count = names.len();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), count, "a key of {} twice", setting.setting());
        }
    }

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
