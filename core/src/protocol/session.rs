//! The client side of an MQTT session, taken out of a [`Connection`](super::Connection)
//! and put into another one: in the same process (a reconnect) or in another process
//! (through [`SessionState::to_text`] and [`SessionState::from_text`]).
//!
//! What it holds: the outgoing messages not completely acknowledged (QoS 1/2 waiting for
//! PUBACK, PUBREC or PUBCOMP, plus QoS 0 publishes still queued behind the server's Receive
//! Maximum), in the order they were published; the incoming QoS 2 messages whose PUBREC was
//! sent and whose PUBREL has not come (kept whole, since they are delivered on PUBREL); and
//! the next packet identifier.
//!
//! The text form is one JSON object:
//!
//! ```text
//! {"format":"ferromq-session","version":1,"checksum":"crc32:89abcdef","session":{...}}
//! ```
//!
//! `checksum` is the CRC-32 (IEEE, as zlib's) of the compact JSON serialization of the
//! `session` value, so whitespace may change but any edit, truncation or corruption of the
//! content is detected. Every failure to read it is [`code::INVALID_ARGUMENT`] (10022) with a
//! message starting "cannot restore the session state" and naming what is wrong; nothing is
//! loaded then. The fields are described in docs/protocol.md.

use super::{Direction, Message, MessageState};
use crate::codec::{ByteString, Properties, QoS};
use crate::error::{code, Error, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// The `format` tag of the text form.
pub const SESSION_FORMAT: &str = "ferromq-session";
/// The version of the text form this build writes and reads.
pub const SESSION_VERSION: u64 = 1;

/// The client-side session state. Obtained from [`Connection::session`] /
/// [`Connection::take_session`] or [`SessionState::from_text`]; loaded with
/// [`Connection::restore`].
///
/// [`Connection::session`]: super::Connection::session
/// [`Connection::take_session`]: super::Connection::take_session
/// [`Connection::restore`]: super::Connection::restore
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    pub(crate) client_id: String,
    pub(crate) next_packet_id: u16,
    /// How many publishes (every QoS) this session has accepted since it began: a process
    /// restarted from an auto-saved session resumes its stream from here.
    pub(crate) published: u64,
    /// In publish order.
    pub(crate) outgoing: Vec<SavedOut>,
    /// QoS 2, state WaitPubRel, in arrival order.
    pub(crate) incoming: Vec<Message>,
}

/// One outgoing message of a saved session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SavedOut {
    /// Its topic is the full topic (never an alias), its properties carry no Topic Alias,
    /// and `dup` equals `sent`. QoS 0 messages have packet id 0 and state OutDone.
    pub msg: Message,
    /// Whether its PUBLISH was ever put on the wire (it is then resent with DUP).
    pub sent: bool,
    /// For WaitPubComp: orders the PUBREL resends as the PUBRECs arrived. 0 otherwise.
    pub pubrec_order: u64,
}

impl Default for SessionState {
    fn default() -> Self {
        SessionState {
            client_id: String::new(),
            next_packet_id: 1,
            published: 0,
            outgoing: Vec::new(),
            incoming: Vec::new(),
        }
    }
}

impl SessionState {
    /// An empty session (nothing in flight, packet ids from 1).
    pub fn new() -> Self {
        Self::default()
    }

    /// True when no message is held (the next packet id does not count).
    pub fn is_empty(&self) -> bool {
        self.outgoing.is_empty() && self.incoming.is_empty()
    }

    /// The client identifier of the connection it was taken from (the server-assigned one
    /// if the server assigned one). Informational: restoring does not check it.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn next_packet_id(&self) -> u16 {
        self.next_packet_id
    }

    /// Publishes accepted since the session began (SessionPublishCount).
    pub fn published(&self) -> u64 {
        self.published
    }

    /// The outgoing QoS 1/2 messages in publish order, as OutgoingMessages lists them.
    pub fn outgoing(&self) -> Vec<Message> {
        self.outgoing
            .iter()
            .filter(|o| o.msg.qos != QoS::AtMostOnce)
            .map(|o| o.msg.clone())
            .collect()
    }

    /// How many QoS 0 publishes were still queued (behind the server's Receive Maximum).
    pub fn queued_at_most_once(&self) -> usize {
        self.outgoing
            .iter()
            .filter(|o| o.msg.qos == QoS::AtMostOnce)
            .count()
    }

    /// The incoming QoS 2 messages waiting for PUBREL, as IncomingMessages lists them.
    pub fn incoming(&self) -> Vec<Message> {
        self.incoming.clone()
    }

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
                json!({
                    "packet_id": m.packet_id,
                    "qos": m.qos as u8,
                    "state": "WaitPubRel",
                    "dup": m.dup,
                    "retain": m.retain,
                    "topic": &*m.topic,
                    "payload": BASE64.encode(&m.payload),
                    "properties": properties_json(&m.properties),
                })
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
            state.outgoing.push(SavedOut {
                msg: Message {
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
            });
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

/// The 5.0 properties a PUBLISH can carry; absent ones are left out.
fn properties_json(p: &Properties) -> Value {
    let mut m = Map::new();
    if let Some(v) = p.payload_format_indicator {
        m.insert("payload_format_indicator".into(), json!(v));
    }
    if let Some(v) = p.message_expiry_interval {
        m.insert("message_expiry_interval".into(), json!(v));
    }
    if let Some(v) = &p.content_type {
        m.insert("content_type".into(), json!(v));
    }
    if let Some(v) = &p.response_topic {
        m.insert("response_topic".into(), json!(v));
    }
    if let Some(v) = &p.correlation_data {
        m.insert("correlation_data".into(), json!(BASE64.encode(v)));
    }
    if !p.user_properties.is_empty() {
        let pairs: Vec<Value> = p
            .user_properties
            .iter()
            .map(|(k, v)| json!([k, v]))
            .collect();
        m.insert("user_properties".into(), Value::Array(pairs));
    }
    if !p.subscription_identifiers.is_empty() {
        m.insert(
            "subscription_identifiers".into(),
            json!(p.subscription_identifiers),
        );
    }
    if let Some(v) = p.topic_alias {
        m.insert("topic_alias".into(), json!(v));
    }
    Value::Object(m)
}

fn properties_of(o: &Map<String, Value>, path: &str) -> Result<Properties> {
    let path = format!("{path}.properties");
    let p = match o.get("properties") {
        None => return Ok(Properties::default()),
        Some(v) => object(v, &path)?,
    };
    check_keys(
        p,
        &[
            "payload_format_indicator",
            "message_expiry_interval",
            "content_type",
            "response_topic",
            "correlation_data",
            "user_properties",
            "subscription_identifiers",
            "topic_alias",
        ],
        &path,
    )?;
    let opt_uint = |key: &str, max: u64| -> Result<Option<u64>> {
        if p.contains_key(key) {
            uint(p, key, &path, 0, max).map(Some)
        } else {
            Ok(None)
        }
    };
    let opt_string = |key: &str| -> Result<Option<String>> {
        if p.contains_key(key) {
            string(p, key, &path).map(Some)
        } else {
            Ok(None)
        }
    };
    let mut props = Properties {
        payload_format_indicator: opt_uint("payload_format_indicator", 1)?.map(|v| v as u8),
        message_expiry_interval: opt_uint("message_expiry_interval", u64::from(u32::MAX))?
            .map(|v| v as u32),
        content_type: opt_string("content_type")?,
        response_topic: opt_string("response_topic")?,
        topic_alias: opt_uint("topic_alias", 65_535)?.map(|v| v as u16),
        ..Properties::default()
    };
    if p.contains_key("correlation_data") {
        props.correlation_data = Some(base64_of(p, "correlation_data", &path)?);
    }
    if p.contains_key("user_properties") {
        for (i, pair) in array(p, "user_properties", &path)?.iter().enumerate() {
            match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(k), Value::String(v)]) => {
                    props.user_properties.push((k.clone(), v.clone()))
                }
                _ => {
                    return Err(bad(format!(
                        "{path}.user_properties[{i}] is not a [name, value] pair of strings"
                    )))
                }
            }
        }
    }
    if p.contains_key("subscription_identifiers") {
        for (i, v) in array(p, "subscription_identifiers", &path)?
            .iter()
            .enumerate()
        {
            match v.as_u64() {
                Some(n @ 1..=268_435_455) => props.subscription_identifiers.push(n as u32),
                _ => {
                    return Err(bad(format!(
                        "{path}.subscription_identifiers[{i}] is {v}, expected 1..=268435455"
                    )))
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
