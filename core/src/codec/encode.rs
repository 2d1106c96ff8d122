//! Encoding: packets to bytes. `encoded_len` runs the same checks and computes the exact size
//! that `encode` writes; `encode` reserves that once, then writes without allocating.

use super::packet::{Auth, Disconnect, Packet, Protocol, QoS};
use super::properties::Properties;
use super::propwire::{properties_len, write_properties, Ctx};
use super::reason;
use super::wire::{
    binary_len, encode_error, put_binary, put_varint, string_len, varint_len, MAX_VARINT,
};
use bytes::{BufMut, BytesMut};
use std::fmt;

/// A packet that cannot be put on the wire (a string over 65 535 bytes, a remaining length
/// over 268 435 455, QoS 0 with a packet id, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
    /// Human-readable description of what cannot be encoded.
    pub message: String,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EncodeError {}

impl From<EncodeError> for crate::error::Error {
    fn from(e: EncodeError) -> Self {
        crate::error::Error::new(crate::error::code::MALFORMED, e.message)
    }
}

/// What follows the fixed part of the variable header of CONNACK, PUBACK..PUBCOMP,
/// DISCONNECT and AUTH (5.0 allows short forms).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// Nothing (3.1.1, or the 5.0 short form).
    Nothing,
    /// The reason code only.
    Reason,
    /// The reason code, the property length and the properties.
    Full,
}

/// The sizes worked out (and checked) before writing.
struct Plan {
    first: u8,
    remaining: usize,
    props: usize,
    will_props: usize,
    tail: Tail,
}

impl Plan {
    fn total(&self) -> usize {
        1 + varint_len(self.remaining) + self.remaining
    }
}

/// Append the encoding of `packet` for `protocol` to `out`.
///
/// A CONNECT is encoded for the protocol it names (`Connect::protocol`), whatever `protocol`
/// says. Under 3.1.1 the 5.0-only fields are not written: properties, the reason codes of
/// PUBACK..PUBCOMP and DISCONNECT, UNSUBACK's codes and the 5.0 subscription options. Nothing
/// is appended when an error is returned.
pub fn encode(packet: &Packet, protocol: Protocol, out: &mut BytesMut) -> Result<(), EncodeError> {
    let plan = plan(packet, protocol)?;
    let total = plan.total();
    out.reserve(total);
    let start = out.len();
    write(packet, protocol, &plan, out);
    debug_assert_eq!(
        out.len() - start,
        total,
        "encoded_len disagrees with encode"
    );
    Ok(())
}

/// The encoded size of `packet`, for the Maximum Packet Size checks before sending.
/// Fails exactly when `encode` fails.
pub fn encoded_len(packet: &Packet, protocol: Protocol) -> Result<usize, EncodeError> {
    Ok(plan(packet, protocol)?.total())
}

fn check_id(name: &str, id: u16) -> Result<(), EncodeError> {
    if id == 0 {
        Err(encode_error(name, "packet identifier 0 is not allowed"))
    } else {
        Ok(())
    }
}

fn check_reason(name: &str, packet_type: u8, code: u8) -> Result<(), EncodeError> {
    if reason::is_valid_reason(packet_type, code) {
        Ok(())
    } else {
        Err(encode_error(
            name,
            format_args!(
                "0x{code:02X} ({}) is not a {name} reason code",
                reason::reason_name(code)
            ),
        ))
    }
}

/// The control packet type and the fixed header flags of PUBACK..PUBCOMP.
fn pub_resp_kind(packet: &Packet) -> (u8, u8, Ctx) {
    match packet {
        Packet::PubAck(_) => (4, 0, Ctx::PubAck),
        Packet::PubRec(_) => (5, 0, Ctx::PubRec),
        Packet::PubRel(_) => (6, 2, Ctx::PubRel),
        _ => (7, 0, Ctx::PubComp),
    }
}

fn plan(packet: &Packet, protocol: Protocol) -> Result<Plan, EncodeError> {
    let name = packet.name();
    let v5 = protocol == Protocol::V5;
    let mut plan = Plan {
        first: 0,
        remaining: 0,
        props: 0,
        will_props: 0,
        tail: Tail::Full,
    };
    // The property length and properties of a 5.0 packet (nothing under 3.1.1).
    let props_size =
        |plan: &mut Plan, props: &Properties, ctx: Ctx| -> Result<usize, EncodeError> {
            if v5 {
                plan.props = properties_len(props, ctx, name)?;
                Ok(varint_len(plan.props) + plan.props)
            } else {
                Ok(0)
            }
        };
    let len = match packet {
        Packet::Connect(c) => {
            plan.first = 0x10;
            let v5 = c.protocol == Protocol::V5;
            let mut len = 10;
            if v5 {
                plan.props = properties_len(&c.properties, Ctx::Connect, name)?;
                len += varint_len(plan.props) + plan.props;
            }
            len += string_len(name, "client identifier", &c.client_id)?;
            if let Some(w) = &c.will {
                if v5 {
                    plan.will_props = properties_len(&w.properties, Ctx::Will, name)?;
                    len += varint_len(plan.will_props) + plan.will_props;
                }
                len += string_len(name, "will topic", &w.topic)?;
                len += binary_len(name, "will payload", &w.payload)?;
            }
            if let Some(u) = &c.username {
                len += string_len(name, "user name", u)?;
            }
            if let Some(p) = &c.password {
                if !v5 && c.username.is_none() {
                    return Err(encode_error(
                        name,
                        "MQTT 3.1.1 does not allow a password without a user name",
                    ));
                }
                len += binary_len(name, "password", p)?;
            }
            len
        }
        Packet::ConnAck(a) => {
            plan.first = 0x20;
            if a.session_present && a.code != 0 {
                return Err(encode_error(
                    name,
                    format_args!(
                        "session present must be 0 when the code is 0x{:02X}",
                        a.code
                    ),
                ));
            }
            if !v5 || (1..=5).contains(&a.code) {
                // 3.1.1, or a 3.1.1 return code in the 3.1.1 form (a server's answer to a
                // protocol level it does not speak).
                if a.code > 5 {
                    return Err(encode_error(
                        name,
                        format_args!("{} is not an MQTT 3.1.1 return code (0..=5)", a.code),
                    ));
                }
                if v5 && !a.properties.is_empty() {
                    return Err(encode_error(
                        name,
                        format_args!(
                            "return code {} is sent in the 3.1.1 form, which has no properties",
                            a.code
                        ),
                    ));
                }
                plan.tail = Tail::Nothing;
                2
            } else {
                check_reason(name, 2, a.code)?;
                2 + props_size(&mut plan, &a.properties, Ctx::ConnAck)?
            }
        }
        Packet::Publish(p) => {
            plan.first = 0x30 | (u8::from(p.dup) << 3) | ((p.qos as u8) << 1) | u8::from(p.retain);
            match p.qos {
                QoS::AtMostOnce if p.packet_id != 0 => {
                    return Err(encode_error(
                        name,
                        format_args!(
                            "a QoS 0 message has no packet identifier (got {})",
                            p.packet_id
                        ),
                    ))
                }
                QoS::AtMostOnce if p.dup => {
                    return Err(encode_error(name, "the DUP flag must be 0 for QoS 0"))
                }
                QoS::AtLeastOnce | QoS::ExactlyOnce if p.packet_id == 0 => {
                    return Err(encode_error(
                        name,
                        format_args!(
                            "a QoS {} message needs a packet identifier other than 0",
                            p.qos as u8
                        ),
                    ))
                }
                _ => {}
            }
            let topic: &str = &p.topic;
            if topic.is_empty() && !(v5 && p.properties.topic_alias.is_some()) {
                return Err(encode_error(
                    name,
                    "the topic name is empty (allowed only in 5.0 with a Topic Alias)",
                ));
            }
            if topic.bytes().any(|b| b == b'+' || b == b'#') {
                return Err(encode_error(
                    name,
                    format_args!("the topic name {topic:?} contains a wildcard"),
                ));
            }
            let mut len = string_len(name, "topic name", topic)?;
            if p.qos != QoS::AtMostOnce {
                len += 2;
            }
            len + props_size(&mut plan, &p.properties, Ctx::Publish)? + p.payload.len()
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            let (ty, flags, ctx) = pub_resp_kind(packet);
            plan.first = (ty << 4) | flags;
            check_id(name, r.packet_id)?;
            if !v5 {
                plan.tail = Tail::Nothing;
                2
            } else {
                check_reason(name, ty, r.reason)?;
                if !r.properties.is_empty() {
                    3 + props_size(&mut plan, &r.properties, ctx)?
                } else if r.reason != 0 {
                    plan.tail = Tail::Reason;
                    3
                } else {
                    plan.tail = Tail::Nothing;
                    2
                }
            }
        }
        Packet::Subscribe(s) => {
            plan.first = 0x82;
            check_id(name, s.packet_id)?;
            if s.filters.is_empty() {
                return Err(encode_error(name, "there are no topic filters"));
            }
            let mut len = 2 + props_size(&mut plan, &s.properties, Ctx::Subscribe)?;
            for f in &s.filters {
                if v5 && f.retain_handling > 2 {
                    return Err(encode_error(
                        name,
                        format_args!("retain handling {} is not 0, 1 or 2", f.retain_handling),
                    ));
                }
                len += string_len(name, "topic filter", &f.filter)? + 1;
            }
            len
        }
        Packet::SubAck(s) => {
            plan.first = 0x90;
            check_id(name, s.packet_id)?;
            if s.codes.is_empty() {
                return Err(encode_error(name, "there are no return codes"));
            }
            for &c in &s.codes {
                if v5 {
                    check_reason(name, 9, c)?;
                } else if !reason::is_valid_suback_v311(c) {
                    return Err(encode_error(
                        name,
                        format_args!("0x{c:02X} is not an MQTT 3.1.1 SUBACK return code"),
                    ));
                }
            }
            2 + props_size(&mut plan, &s.properties, Ctx::SubAck)? + s.codes.len()
        }
        Packet::Unsubscribe(u) => {
            plan.first = 0xA2;
            check_id(name, u.packet_id)?;
            if u.filters.is_empty() {
                return Err(encode_error(name, "there are no topic filters"));
            }
            let mut len = 2 + props_size(&mut plan, &u.properties, Ctx::Unsubscribe)?;
            for f in &u.filters {
                len += string_len(name, "topic filter", f)?;
            }
            len
        }
        Packet::UnsubAck(u) => {
            plan.first = 0xB0;
            check_id(name, u.packet_id)?;
            if v5 {
                if u.codes.is_empty() {
                    return Err(encode_error(name, "there are no reason codes"));
                }
                for &c in &u.codes {
                    check_reason(name, 11, c)?;
                }
                2 + props_size(&mut plan, &u.properties, Ctx::UnsubAck)? + u.codes.len()
            } else {
                2
            }
        }
        Packet::PingReq => {
            plan.first = 0xC0;
            0
        }
        Packet::PingResp => {
            plan.first = 0xD0;
            0
        }
        Packet::Disconnect(d) => {
            plan.first = 0xE0;
            if !v5 {
                plan.tail = Tail::Nothing;
                0
            } else {
                check_reason(name, 14, d.reason)?;
                if !d.properties.is_empty() {
                    1 + props_size(&mut plan, &d.properties, Ctx::Disconnect)?
                } else if d.reason != 0 {
                    plan.tail = Tail::Reason;
                    1
                } else {
                    plan.tail = Tail::Nothing;
                    0
                }
            }
        }
        Packet::Auth(a) => {
            plan.first = 0xF0;
            if !v5 {
                return Err(encode_error(name, "AUTH does not exist in MQTT 3.1.1"));
            }
            check_reason(name, 15, a.reason)?;
            if a.reason == 0 && a.properties.is_empty() {
                plan.tail = Tail::Nothing;
                0
            } else {
                1 + props_size(&mut plan, &a.properties, Ctx::Auth)?
            }
        }
    };
    if len > MAX_VARINT as usize {
        return Err(encode_error(
            name,
            format_args!("the remaining length {len} is more than 268435455"),
        ));
    }
    plan.remaining = len;
    Ok(plan)
}

fn write(packet: &Packet, protocol: Protocol, plan: &Plan, out: &mut BytesMut) {
    let v5 = protocol == Protocol::V5;
    out.put_u8(plan.first);
    put_varint(out, plan.remaining);
    match packet {
        Packet::Connect(c) => {
            let v5 = c.protocol == Protocol::V5;
            put_binary(out, b"MQTT");
            out.put_u8(c.protocol.level());
            let mut flags = u8::from(c.clean_start) << 1;
            if let Some(w) = &c.will {
                flags |= 0x04 | ((w.qos as u8) << 3) | (u8::from(w.retain) << 5);
            }
            if c.password.is_some() {
                flags |= 0x40;
            }
            if c.username.is_some() {
                flags |= 0x80;
            }
            out.put_u8(flags);
            out.put_u16(c.keep_alive);
            if v5 {
                write_properties(out, &c.properties, plan.props);
            }
            put_binary(out, c.client_id.as_bytes());
            if let Some(w) = &c.will {
                if v5 {
                    write_properties(out, &w.properties, plan.will_props);
                }
                put_binary(out, w.topic.as_bytes());
                put_binary(out, &w.payload);
            }
            if let Some(u) = &c.username {
                put_binary(out, u.as_bytes());
            }
            if let Some(p) = &c.password {
                put_binary(out, p);
            }
        }
        Packet::ConnAck(a) => {
            out.put_u8(u8::from(a.session_present));
            out.put_u8(a.code);
            if plan.tail == Tail::Full {
                write_properties(out, &a.properties, plan.props);
            }
        }
        Packet::Publish(p) => {
            put_binary(out, p.topic.as_bytes());
            if p.qos != QoS::AtMostOnce {
                out.put_u16(p.packet_id);
            }
            if v5 {
                write_properties(out, &p.properties, plan.props);
            }
            out.put_slice(&p.payload);
        }
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            out.put_u16(r.packet_id);
            if plan.tail != Tail::Nothing {
                out.put_u8(r.reason);
            }
            if plan.tail == Tail::Full {
                write_properties(out, &r.properties, plan.props);
            }
        }
        Packet::Subscribe(s) => {
            out.put_u16(s.packet_id);
            if v5 {
                write_properties(out, &s.properties, plan.props);
            }
            for f in &s.filters {
                put_binary(out, f.filter.as_bytes());
                let mut opts = f.qos as u8;
                if v5 {
                    opts |= (u8::from(f.no_local) << 2)
                        | (u8::from(f.retain_as_published) << 3)
                        | (f.retain_handling << 4);
                }
                out.put_u8(opts);
            }
        }
        Packet::SubAck(s) => {
            out.put_u16(s.packet_id);
            if v5 {
                write_properties(out, &s.properties, plan.props);
            }
            out.put_slice(&s.codes);
        }
        Packet::Unsubscribe(u) => {
            out.put_u16(u.packet_id);
            if v5 {
                write_properties(out, &u.properties, plan.props);
            }
            for f in &u.filters {
                put_binary(out, f.as_bytes());
            }
        }
        Packet::UnsubAck(u) => {
            out.put_u16(u.packet_id);
            if v5 {
                write_properties(out, &u.properties, plan.props);
                out.put_slice(&u.codes);
            }
        }
        Packet::PingReq | Packet::PingResp => {}
        Packet::Disconnect(Disconnect { reason, properties })
        | Packet::Auth(Auth { reason, properties }) => {
            if plan.tail != Tail::Nothing {
                out.put_u8(*reason);
            }
            if plan.tail == Tail::Full {
                write_properties(out, properties, plan.props);
            }
        }
    }
}
