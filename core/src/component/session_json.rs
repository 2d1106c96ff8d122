//! The text form of a [`SessionState`]: what SaveSession returns, RestoreSession takes and
//! SessionStateFile holds. One JSON object:
//!
//! ```text
//! {"format":"ferromq-session","version":1,"checksum":"crc32:89abcdef","session":{...}}
//! ```
//!
//! `checksum` is the CRC-32 (IEEE, as zlib's) of the compact JSON serialization of the
//! `session` value, so whitespace may change but any edit, truncation or corruption of the
//! content is detected. Every failure to read it is [`code::INVALID_ARGUMENT`] (10022) with a
//! message starting "cannot restore the session state" and naming what is wrong; nothing is
//! loaded then. The fields are described in docs/protocol.md; a message's properties are
//! those of the property table (codec/property_table.rs) a PUBLISH may carry, each under its
//! field name.
//!
//! The state itself is the protocol layer's (`protocol/session.rs`); this file only reads
//! and writes it, so the methods keep their names on `SessionState`.

use crate::codec::{is_allowed, ByteString, Ctx, FieldMut, FieldRef, Properties, PropertyId, QoS};
use crate::error::{code, Error, Result};
use crate::protocol::{Direction, Message, MessageState, SessionState};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// The `format` tag of the text form.
pub const SESSION_FORMAT: &str = "ferromq-session";
/// The version of the text form this build writes and reads.
pub const SESSION_VERSION: u64 = 1;

impl SessionState {
    /// The versioned, checksummed text form (one line of JSON).
    pub fn to_text(&self) -> String {
        let body = self.to_json();
        let body_text = serde_json::to_string(&body).unwrap_or_default();
        let crc = crc32(body_text.as_bytes());
        format!(
            "{{\"format\":\"{SESSION_FORMAT}\",\"version\":{SESSION_VERSION},\"checksum\":\"crc32:{crc:08x}\",\"session\":{body_text}}}"
        )
    }

    /// Reads the text form. A missing format tag, another version, a checksum that does
    /// not match (truncation, corruption, edits) or an inconsistent content is an error
    /// (10022) naming the problem.
    pub fn from_text(text: &str) -> Result<SessionState> {
        if text.trim().is_empty() {
            return Err(bad("the text is empty"));
        }
        let root: Value = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "it is not complete JSON (truncated or corrupt?): {e}"
            ))
        })?;
        let Value::Object(root) = root else {
            return Err(bad("it is not a JSON object"));
        };
        match root.get("format") {
            Some(Value::String(f)) if f == SESSION_FORMAT => {}
            Some(other) => {
                return Err(bad(format!(
                    "\"format\" is {other}, expected \"{SESSION_FORMAT}\""
                )))
            }
            None => {
                return Err(bad(format!(
                    "it has no \"format\" tag; it is not a ferromq session state (\"{SESSION_FORMAT}\")"
                )))
            }
        }
        match root.get("version") {
            Some(v) if v.as_u64() == Some(SESSION_VERSION) => {}
            Some(v) => {
                return Err(bad(format!(
                    "its version is {v}; this ferromq reads version {SESSION_VERSION}"
                )))
            }
            None => return Err(bad("it has no \"version\"")),
        }
        let Some(Value::String(checksum)) = root.get("checksum") else {
            return Err(bad("it has no \"checksum\" string"));
        };
        let Some(body) = root.get("session") else {
            return Err(bad("it has no \"session\" object"));
        };
        check_keys(&root, &["format", "version", "checksum", "session"], "")?;
        let canonical = serde_json::to_string(body).unwrap_or_default();
        let computed = format!("crc32:{:08x}", crc32(canonical.as_bytes()));
        if !checksum.eq_ignore_ascii_case(&computed) {
            return Err(bad(format!(
                "the checksum does not match (stored {checksum}, computed {computed}): the text was corrupted, truncated or edited"
            )));
        }
        Self::from_json(body)
    }

    fn to_json(&self) -> Value {
        let outgoing: Vec<Value> = self
            .outgoing
            .iter()
            .map(|o| {
                let m = &o.msg;
                let mut v = json!({
                    "packet_id": m.packet_id,
                    "qos": m.qos as u8,
                    "state": out_state_name(m.qos, m.state),
                    "sent": o.sent,
                    "retain": m.retain,
                    "topic": &*m.topic,
                    "payload": BASE64.encode(&m.payload),
                    "properties": properties_json(&m.properties),
                });
                if matches!(
                    m.state,
                    MessageState::WaitPubComp | MessageState::SendPubRel
                ) {
                    v["pubrec_order"] = json!(o.pubrec_order);
                }
                v
            })
            .collect();
        let incoming: Vec<Value> = self
            .incoming
            .iter()
            .map(|m| {
                let mut v = json!({
                    "packet_id": m.packet_id,
                    "qos": m.qos as u8,
                    "state": "WaitPubRel",
                    "dup": m.dup,
                    "retain": m.retain,
                    "topic": &*m.topic,
                    "payload": BASE64.encode(&m.payload),
                    "properties": properties_json(&m.properties),
                });
                // Written only when true, so texts without ManualAck read as before.
                if self.delivered.contains(&m.packet_id) {
                    v["delivered"] = json!(true);
                }
                v
            })
            .collect();
        json!({
            "client_id": self.client_id,
            "next_packet_id": self.next_packet_id,
            "published": self.published,
            "outgoing": outgoing,
            "incoming": incoming,
        })
    }

    fn from_json(body: &Value) -> Result<SessionState> {
        let body = object(body, "session")?;
        check_keys(
            body,
            &[
                "client_id",
                "next_packet_id",
                "published",
                "outgoing",
                "incoming",
            ],
            "session",
        )?;
        let client_id = string(body, "client_id", "session")?;
        let next_packet_id = uint(body, "next_packet_id", "session", 1, 65_535)? as u16;
        // Absent in texts written before the count existed: they count from 0.
        let published = if body.contains_key("published") {
            uint(body, "published", "session", 0, u64::MAX)?
        } else {
            0
        };
        let mut state = SessionState {
            client_id,
            next_packet_id,
            published,
            outgoing: Vec::new(),
            incoming: Vec::new(),
            delivered: Default::default(),
        };
        let mut ids = HashSet::new();
        for (i, v) in array(body, "outgoing", "session")?.iter().enumerate() {
            let path = format!("outgoing[{i}]");
            let o = object(v, &path)?;
            check_keys(
                o,
                &[
                    "packet_id",
                    "qos",
                    "state",
                    "sent",
                    "retain",
                    "topic",
                    "payload",
                    "properties",
                    "pubrec_order",
                ],
                &path,
            )?;
            let qos = qos_of(o, &path, 0)?;
            let state_name = string(o, "state", &path)?;
            let msg_state = match (qos, state_name.as_str()) {
                (QoS::AtMostOnce, "Queued") => MessageState::OutDone,
                (QoS::AtLeastOnce, "WaitPubAck") => MessageState::WaitPubAck,
                (QoS::ExactlyOnce, "WaitPubRec") => MessageState::WaitPubRec,
                (QoS::ExactlyOnce, "WaitPubComp") => MessageState::WaitPubComp,
                (q, s) => {
                    return Err(bad(format!(
                        "{path}.state is \"{s}\", which a QoS {} outgoing message cannot have",
                        q as u8
                    )))
                }
            };
            let packet_id = if qos == QoS::AtMostOnce {
                uint(o, "packet_id", &path, 0, 0)? as u16
            } else {
                let id = uint(o, "packet_id", &path, 1, 65_535)? as u16;
                if !ids.insert(id) {
                    return Err(bad(format!(
                        "{path}.packet_id {id} is used by two outgoing messages"
                    )));
                }
                id
            };
            let sent = boolean(o, "sent", &path)?;
            if msg_state == MessageState::WaitPubComp && !sent {
                return Err(bad(format!(
                    "{path} waits for PUBCOMP but says it was never sent"
                )));
            }
            let topic = string(o, "topic", &path)?;
            crate::topic::validate_topic_name(&topic)
                .map_err(|e| bad(format!("{path}.topic: {}", e.message)))?;
            let pubrec_order = if msg_state == MessageState::WaitPubComp {
                uint(o, "pubrec_order", &path, 0, u64::MAX)?
            } else {
                if o.contains_key("pubrec_order") {
                    return Err(bad(format!(
                        "{path}.pubrec_order is only meaningful in state WaitPubComp"
                    )));
                }
                0
            };
            let mut properties = properties_of(o, &path)?;
            properties.topic_alias = None;
            state.push_outgoing(
                Message {
                    direction: Direction::Outgoing,
                    packet_id,
                    topic: ByteString::from(topic),
                    qos,
                    payload: payload_of(o, &path)?,
                    retain: boolean(o, "retain", &path)?,
                    dup: sent,
                    state: msg_state,
                    properties: Message::share_properties(properties),
                },
                sent,
                pubrec_order,
            );
        }
        let mut in_ids = HashSet::new();
        for (i, v) in array(body, "incoming", "session")?.iter().enumerate() {
            let path = format!("incoming[{i}]");
            let o = object(v, &path)?;
            check_keys(
                o,
                &[
                    "packet_id",
                    "qos",
                    "state",
                    "dup",
                    "retain",
                    "topic",
                    "payload",
                    "properties",
                    "delivered",
                ],
                &path,
            )?;
            if qos_of(o, &path, 0)? != QoS::ExactlyOnce {
                return Err(bad(format!(
                    "{path}.qos: only QoS 2 incoming messages are kept in a session"
                )));
            }
            let st = string(o, "state", &path)?;
            if st != "WaitPubRel" {
                return Err(bad(format!(
                    "{path}.state is \"{st}\"; an incoming message is kept only in state WaitPubRel"
                )));
            }
            let id = uint(o, "packet_id", &path, 1, 65_535)? as u16;
            if !in_ids.insert(id) {
                return Err(bad(format!(
                    "{path}.packet_id {id} is used by two incoming messages"
                )));
            }
            let topic = string(o, "topic", &path)?;
            crate::topic::validate_topic_name(&topic)
                .map_err(|e| bad(format!("{path}.topic: {}", e.message)))?;
            if o.contains_key("delivered") && boolean(o, "delivered", &path)? {
                state.delivered.insert(id);
            }
            state.incoming.push(Message {
                direction: Direction::Incoming,
                packet_id: id,
                topic: ByteString::from(topic),
                qos: QoS::ExactlyOnce,
                payload: payload_of(o, &path)?,
                retain: boolean(o, "retain", &path)?,
                dup: boolean(o, "dup", &path)?,
                state: MessageState::WaitPubRel,
                properties: Message::share_properties(properties_of(o, &path)?),
            });
        }
        Ok(state)
    }
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::new(
        code::INVALID_ARGUMENT,
        format!("cannot restore the session state: {what}; nothing was loaded"),
    )
}

fn out_state_name(qos: QoS, state: MessageState) -> &'static str {
    match (qos, state) {
        (QoS::AtMostOnce, _) => "Queued",
        (_, MessageState::WaitPubAck) => "WaitPubAck",
        (_, MessageState::WaitPubComp | MessageState::SendPubRel) => "WaitPubComp",
        _ => "WaitPubRec",
    }
}

/// The properties a message of the session may carry: those of a PUBLISH.
fn saved_properties() -> impl Iterator<Item = PropertyId> {
    PropertyId::ALL
        .into_iter()
        .filter(|&id| is_allowed(id, Ctx::Publish))
}

/// The properties that are set, each under its field name; absent ones are left out.
fn properties_json(p: &Properties) -> Value {
    let mut m = Map::new();
    for id in saved_properties() {
        let value = match p.field(id) {
            FieldRef::Byte(v) => v.map(|v| json!(v)),
            FieldRef::Two(v) => v.map(|v| json!(v)),
            FieldRef::Four(v) => v.map(|v| json!(v)),
            FieldRef::VarInts(v) => (!v.is_empty()).then(|| json!(v)),
            FieldRef::Text(v) => v.as_ref().map(|v| json!(v)),
            FieldRef::Binary(v) => v.as_ref().map(|v| json!(BASE64.encode(v))),
            FieldRef::Pairs(v) => (!v.is_empty())
                .then(|| Value::Array(v.iter().map(|(k, v)| json!([k, v])).collect())),
        };
        if let Some(value) = value {
            m.insert(id.field_name().into(), value);
        }
    }
    Value::Object(m)
}

fn properties_of(o: &Map<String, Value>, path: &str) -> Result<Properties> {
    let path = format!("{path}.properties");
    let p = match o.get("properties") {
        None => return Ok(Properties::default()),
        Some(v) => object(v, &path)?,
    };
    let known: Vec<&str> = saved_properties().map(PropertyId::field_name).collect();
    check_keys(p, &known, &path)?;
    let mut props = Properties::default();
    for id in saved_properties() {
        let key = id.field_name();
        if !p.contains_key(key) {
            continue;
        }
        // The values the property's check allows within its type.
        let range = |max: u32| {
            let (min, max) = id.check().range(max);
            (u64::from(min), u64::from(max))
        };
        match props.field_mut(id) {
            FieldMut::Byte(v) => {
                let (min, max) = range(u8::MAX.into());
                *v = Some(uint(p, key, &path, min, max)? as u8);
            }
            FieldMut::Two(v) => {
                let (min, max) = range(u16::MAX.into());
                *v = Some(uint(p, key, &path, min, max)? as u16);
            }
            FieldMut::Four(v) => {
                let (min, max) = range(u32::MAX);
                *v = Some(uint(p, key, &path, min, max)? as u32);
            }
            FieldMut::VarInts(list) => {
                let (min, max) = range(u32::MAX);
                for (i, v) in array(p, key, &path)?.iter().enumerate() {
                    match v.as_u64() {
                        Some(n) if (min..=max).contains(&n) => list.push(n as u32),
                        _ => {
                            return Err(bad(format!(
                                "{path}.{key}[{i}] is {v}, expected {min}..={max}"
                            )))
                        }
                    }
                }
            }
            FieldMut::Text(v) => *v = Some(string(p, key, &path)?),
            FieldMut::Binary(v) => *v = Some(base64_of(p, key, &path)?),
            FieldMut::Pairs(list) => {
                for (i, pair) in array(p, key, &path)?.iter().enumerate() {
                    match pair.as_array().map(Vec::as_slice) {
                        Some([Value::String(k), Value::String(v)]) => {
                            list.push((k.clone(), v.clone()))
                        }
                        _ => {
                            return Err(bad(format!(
                                "{path}.{key}[{i}] is not a [name, value] pair of strings"
                            )))
                        }
                    }
                }
            }
        }
    }
    Ok(props)
}

fn check_keys(o: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<()> {
    match o.keys().find(|k| !allowed.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(" in {path}")
            };
            Err(bad(format!(
                "unknown field \"{k}\"{at} (known: {})",
                allowed.join(", ")
            )))
        }
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| bad(format!("{path} is not a JSON object")))
}

fn field<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value> {
    o.get(key)
        .ok_or_else(|| bad(format!("{path}.{key} is missing")))
}

fn array<'a>(o: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Vec<Value>> {
    field(o, key, path)?
        .as_array()
        .ok_or_else(|| bad(format!("{path}.{key} is not an array")))
}

fn string(o: &Map<String, Value>, key: &str, path: &str) -> Result<String> {
    field(o, key, path)?
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| bad(format!("{path}.{key} is not a string")))
}

fn boolean(o: &Map<String, Value>, key: &str, path: &str) -> Result<bool> {
    field(o, key, path)?
        .as_bool()
        .ok_or_else(|| bad(format!("{path}.{key} is not true or false")))
}

fn uint(o: &Map<String, Value>, key: &str, path: &str, min: u64, max: u64) -> Result<u64> {
    let v = field(o, key, path)?;
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(bad(format!(
            "{path}.{key} is {v}, expected an integer in {min}..={max}"
        ))),
    }
}

fn qos_of(o: &Map<String, Value>, path: &str, min: u64) -> Result<QoS> {
    let n = uint(o, "qos", path, min, 2)?;
    Ok(QoS::from_u8(n as u8).unwrap_or(QoS::AtMostOnce))
}

fn base64_of(o: &Map<String, Value>, key: &str, path: &str) -> Result<Bytes> {
    let text = string(o, key, path)?;
    BASE64
        .decode(text.as_bytes())
        .map(Bytes::from)
        .map_err(|e| bad(format!("{path}.{key} is not valid base64: {e}")))
}

fn payload_of(o: &Map<String, Value>, path: &str) -> Result<Bytes> {
    base64_of(o, "payload", path)
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's `crc32`).
fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::crc32;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }
}
