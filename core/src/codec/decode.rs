//! Decoding: bytes to packets. The input is untrusted: every length is checked against what
//! has arrived and against the maximum packet size before anything is allocated, every read
//! is bounds-checked, and every rule of the specification a receiver can check is checked.

use super::packet::{
    Auth, ConnAck, Connect, Disconnect, Packet, Protocol, PubResp, Publish, QoS, SubAck, Subscribe,
    SubscribeFilter, UnsubAck, Unsubscribe, Will,
};
use super::properties::Properties;
use super::propwire::{decode_properties, Ctx};
use super::reason;
use super::wire::{decode_error, Reader};
use bytes::{Buf, BytesMut};
use std::fmt;

/// Why bytes were refused. `reason` is the MQTT 5.0 reason code that fits (0x81 malformed
/// packet, 0x82 protocol error, 0x95 packet too large; also 0x90 topic name invalid and 0x94
/// topic alias invalid for a PUBLISH). It is always a code a DISCONNECT may carry.
/// `message` names the problem and the packet type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// The reason code a DISCONNECT would carry for this fault.
    pub reason: u8,
    /// Human-readable description naming the packet and the problem.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for crate::error::Error {
    fn from(e: DecodeError) -> Self {
        let code = if e.reason == 0x81 {
            crate::error::code::MALFORMED
        } else {
            crate::error::code::PROTOCOL
        };
        crate::error::Error::new(code, e.message)
    }
}

/// The name of control packet type `ty`, or an error for the reserved types.
fn packet_name(ty: u8, protocol: Protocol) -> Result<&'static str, DecodeError> {
    Ok(match ty {
        1 => "CONNECT",
        2 => "CONNACK",
        3 => "PUBLISH",
        4 => "PUBACK",
        5 => "PUBREC",
        6 => "PUBREL",
        7 => "PUBCOMP",
        8 => "SUBSCRIBE",
        9 => "SUBACK",
        10 => "UNSUBSCRIBE",
        11 => "UNSUBACK",
        12 => "PINGREQ",
        13 => "PINGRESP",
        14 => "DISCONNECT",
        15 if protocol == Protocol::V5 => "AUTH",
        _ => {
            let version = match protocol {
                Protocol::V311 => "3.1.1",
                Protocol::V5 => "5.0",
            };
            return Err(DecodeError {
                reason: reason::MALFORMED_PACKET,
                message: format!(
                    "malformed packet: control packet type {ty} is reserved in MQTT {version}"
                ),
            });
        }
    })
}

/// Checks the flags of the fixed header (the low four bits of the first byte).
fn check_flags(ty: u8, flags: u8, name: &str) -> Result<(), DecodeError> {
    let expected = match ty {
        3 => {
            let qos = (flags >> 1) & 3;
            if qos == 3 {
                return Err(decode_error(
                    reason::MALFORMED_PACKET,
                    name,
                    "QoS 3 in the fixed header is not a valid QoS",
                ));
            }
            if qos == 0 && flags & 0x08 != 0 {
                return Err(decode_error(
                    reason::MALFORMED_PACKET,
                    name,
                    "the DUP flag is set on a QoS 0 message",
                ));
            }
            return Ok(());
        }
        6 | 8 | 10 => 0b0010,
        _ => 0,
    };
    if flags != expected {
        return Err(decode_error(
            reason::MALFORMED_PACKET,
            name,
            format_args!(
                "reserved flag bits of the fixed header are 0b{flags:04b}, must be 0b{expected:04b}"
            ),
        ));
    }
    Ok(())
}

/// Decode one packet from the front of `buf`. Ok(None): not all of it has arrived yet
/// (nothing consumed). Ok(Some): the packet's bytes were split off `buf` (payloads share
/// them, no copy). A CONNECT is read with the level it carries; every other packet with
/// `protocol`. Anything larger than `max_packet_size` is an error as soon as its fixed
/// header is readable.
///
/// On an error the connection cannot go on: the bytes of a packet that arrived whole but was
/// refused have been consumed; a bad fixed header consumes nothing.
pub fn decode(
    buf: &mut BytesMut,
    protocol: Protocol,
    max_packet_size: u32,
) -> Result<Option<Packet>, DecodeError> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let ty = first >> 4;
    let flags = first & 0x0F;
    let name = packet_name(ty, protocol)?;
    check_flags(ty, flags, name)?;

    // The remaining length: a variable byte integer of at most 4 bytes. Only 5.0 asks for
    // the fewest bytes (a trailing 0x00 after a continuation byte is one too many); 3.1.1
    // says nothing of it, so a longer form of the same number is read as that number.
    let mut remaining: usize = 0;
    let mut header_len = 0;
    for i in 0..4usize {
        let Some(&b) = buf.get(1 + i) else {
            return Ok(None);
        };
        remaining |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            if i > 0 && b == 0 && protocol == Protocol::V5 {
                return Err(decode_error(
                    reason::MALFORMED_PACKET,
                    name,
                    "the remaining length is not encoded in the minimum number of bytes",
                ));
            }
            header_len = 2 + i;
            break;
        }
    }
    if header_len == 0 {
        return Err(decode_error(
            reason::MALFORMED_PACKET,
            name,
            "the remaining length takes more than 4 bytes",
        ));
    }
    let total = header_len + remaining;
    if total as u64 > u64::from(max_packet_size) {
        return Err(decode_error(
            reason::PACKET_TOO_LARGE,
            name,
            format_args!(
                "the packet is {total} bytes, more than the maximum packet size of {max_packet_size} bytes"
            ),
        ));
    }
    if buf.len() < total {
        return Ok(None);
    }
    let mut body = buf.split_to(total).freeze();
    body.advance(header_len);
    let mut r = Reader::new(body, name);
    let packet = match ty {
        1 => Packet::Connect(Box::new(connect(&mut r)?)),
        2 => Packet::ConnAck(connack(&mut r, protocol)?),
        3 => Packet::Publish(publish(&mut r, protocol, flags)?),
        4 => Packet::PubAck(pub_resp(&mut r, protocol, 4, Ctx::PubAck)?),
        5 => Packet::PubRec(pub_resp(&mut r, protocol, 5, Ctx::PubRec)?),
        6 => Packet::PubRel(pub_resp(&mut r, protocol, 6, Ctx::PubRel)?),
        7 => Packet::PubComp(pub_resp(&mut r, protocol, 7, Ctx::PubComp)?),
        8 => Packet::Subscribe(subscribe(&mut r, protocol)?),
        9 => Packet::SubAck(suback(&mut r, protocol)?),
        10 => Packet::Unsubscribe(unsubscribe(&mut r, protocol)?),
        11 => Packet::UnsubAck(unsuback(&mut r, protocol)?),
        12 => {
            r.finish()?;
            Packet::PingReq
        }
        13 => {
            r.finish()?;
            Packet::PingResp
        }
        14 => {
            let (reason, properties) = reason_and_props(&mut r, protocol, 14, Ctx::Disconnect)?;
            Packet::Disconnect(Disconnect { reason, properties })
        }
        _ => {
            let (reason, properties) = reason_and_props(&mut r, protocol, 15, Ctx::Auth)?;
            Packet::Auth(Auth { reason, properties })
        }
    };
    Ok(Some(packet))
}

fn properties(r: &mut Reader, protocol: Protocol, ctx: Ctx) -> Result<Properties, DecodeError> {
    match protocol {
        Protocol::V5 => decode_properties(r, ctx),
        Protocol::V311 => Ok(Properties::default()),
    }
}

fn packet_id(r: &mut Reader) -> Result<u16, DecodeError> {
    let id = r.u16("packet identifier")?;
    if id == 0 {
        return Err(r.protocol("packet identifier 0 is not allowed"));
    }
    Ok(id)
}

fn check_reason(r: &Reader, packet_type: u8, code: u8) -> Result<(), DecodeError> {
    if reason::is_valid_reason(packet_type, code) {
        Ok(())
    } else {
        Err(r.protocol(format_args!(
            "0x{code:02X} ({}) is not a {} reason code",
            reason::reason_name(code),
            r.packet
        )))
    }
}

fn qos(v: u8) -> Option<QoS> {
    QoS::from_u8(v)
}

fn connect(r: &mut Reader) -> Result<Connect, DecodeError> {
    let proto_name = r.binary("protocol name")?;
    let level = r.u8("protocol level")?;
    let protocol = match (&proto_name[..], level) {
        (b"MQTT", 4) => Protocol::V311,
        (b"MQTT", 5) => Protocol::V5,
        (b"MQIsdp", 3) => {
            return Err(r.protocol(
                "MQTT 3.1 (protocol name MQIsdp, level 3) is not supported; use 3.1.1 or 5.0",
            ))
        }
        (b"MQTT", other) => {
            return Err(r.protocol(format_args!(
                "protocol level {other} is not supported (4 is 3.1.1, 5 is 5.0)"
            )))
        }
        (other, _) => {
            return Err(r.protocol(format_args!(
                "protocol name {:?} is not \"MQTT\"",
                String::from_utf8_lossy(other)
            )))
        }
    };
    let v5 = protocol == Protocol::V5;
    let flags = r.u8("connect flags")?;
    if flags & 0x01 != 0 {
        return Err(r.malformed("the reserved bit 0 of the connect flags is set"));
    }
    let has_will = flags & 0x04 != 0;
    let will_qos = (flags >> 3) & 3;
    let will_retain = flags & 0x20 != 0;
    let has_password = flags & 0x40 != 0;
    let has_username = flags & 0x80 != 0;
    if will_qos == 3 {
        return Err(r.malformed("will QoS 3 is not a valid QoS"));
    }
    if !has_will && (will_qos != 0 || will_retain) {
        return Err(r.malformed("the will flag is 0 but the will QoS or will retain flag is set"));
    }
    if !v5 && has_password && !has_username {
        return Err(r.protocol(
            "the password flag is set without the user name flag (not allowed in 3.1.1)",
        ));
    }
    let keep_alive = r.u16("keep alive")?;
    let properties = properties(r, protocol, Ctx::Connect)?;
    let client_id = r.string("client identifier")?;
    let will = if has_will {
        let properties = self::properties(r, protocol, Ctx::Will)?;
        let topic = r.string("will topic")?;
        let payload = r.binary("will payload")?;
        Some(Will {
            topic,
            payload,
            qos: qos(will_qos).unwrap_or(QoS::AtMostOnce),
            retain: will_retain,
            properties,
        })
    } else {
        None
    };
    let username = if has_username {
        Some(r.string("user name")?)
    } else {
        None
    };
    let password = if has_password {
        Some(r.binary("password")?)
    } else {
        None
    };
    r.finish()?;
    Ok(Connect {
        protocol,
        clean_start: flags & 0x02 != 0,
        keep_alive,
        client_id,
        will,
        username,
        password,
        properties,
    })
}

fn connack(r: &mut Reader, protocol: Protocol) -> Result<ConnAck, DecodeError> {
    let flags = r.u8("connect acknowledge flags")?;
    if flags & 0xFE != 0 {
        return Err(r.malformed(format_args!(
            "reserved bits of the connect acknowledge flags are set (0x{flags:02X})"
        )));
    }
    let code = r.u8("return code")?;
    let properties = if protocol == Protocol::V311 || r.is_empty() {
        // 3.1.1, or a 5.0 CONNACK in the 3.1.1 form: a server that does not speak 5.0
        // answering with a 3.1.1 return code (usually 1, unacceptable protocol version).
        if code > 5 && !(protocol == Protocol::V5 && reason::is_valid_reason(2, code)) {
            return Err(r.protocol(format_args!(
                "return code {code} is reserved (3.1.1 return codes are 0..=5)"
            )));
        }
        r.finish()?;
        Properties::default()
    } else {
        check_reason(r, 2, code)?;
        let properties = decode_properties(r, Ctx::ConnAck)?;
        r.finish()?;
        properties
    };
    let session_present = flags & 1 != 0;
    if session_present && code != 0 {
        return Err(r.protocol(format_args!(
            "session present is set with the non-zero code 0x{code:02X}"
        )));
    }
    Ok(ConnAck {
        session_present,
        code,
        properties,
    })
}

fn publish(r: &mut Reader, protocol: Protocol, flags: u8) -> Result<Publish, DecodeError> {
    // The flags were checked with the fixed header: QoS is 0, 1 or 2.
    let qos = qos((flags >> 1) & 3).unwrap_or(QoS::AtMostOnce);
    let topic = r.bytestring("topic name")?;
    let packet_id = if qos == QoS::AtMostOnce {
        0
    } else {
        packet_id(r)?
    };
    let properties = properties(r, protocol, Ctx::Publish)?;
    if topic.is_empty() && properties.topic_alias.is_none() {
        return Err(r.protocol(match protocol {
            Protocol::V311 => "the topic name is empty",
            Protocol::V5 => "the topic name is empty and there is no Topic Alias",
        }));
    }
    if topic.bytes().any(|b| b == b'+' || b == b'#') {
        return Err(r.error(
            reason::TOPIC_NAME_INVALID,
            format_args!("the topic name {:?} contains a wildcard", &*topic),
        ));
    }
    Ok(Publish {
        dup: flags & 0x08 != 0,
        qos,
        retain: flags & 0x01 != 0,
        topic,
        packet_id,
        payload: r.rest(),
        properties,
    })
}

fn pub_resp(
    r: &mut Reader,
    protocol: Protocol,
    packet_type: u8,
    ctx: Ctx,
) -> Result<PubResp, DecodeError> {
    let packet_id = packet_id(r)?;
    let (reason, properties) = reason_and_props(r, protocol, packet_type, ctx)?;
    Ok(PubResp {
        packet_id,
        reason,
        properties,
    })
}

/// The reason code and properties of PUBACK..PUBCOMP, DISCONNECT and AUTH, each of which 5.0
/// lets the sender leave out (reason 0, no properties). Nothing at all under 3.1.1.
fn reason_and_props(
    r: &mut Reader,
    protocol: Protocol,
    packet_type: u8,
    ctx: Ctx,
) -> Result<(u8, Properties), DecodeError> {
    if protocol == Protocol::V311 {
        r.finish()?;
        return Ok((0, Properties::default()));
    }
    let code = if r.is_empty() {
        0
    } else {
        r.u8("reason code")?
    };
    check_reason(r, packet_type, code)?;
    let properties = if r.is_empty() {
        Properties::default()
    } else {
        decode_properties(r, ctx)?
    };
    r.finish()?;
    Ok((code, properties))
}

fn subscribe(r: &mut Reader, protocol: Protocol) -> Result<Subscribe, DecodeError> {
    let packet_id = packet_id(r)?;
    let properties = properties(r, protocol, Ctx::Subscribe)?;
    if r.is_empty() {
        return Err(r.protocol("there are no topic filters"));
    }
    let mut filters = Vec::new();
    while !r.is_empty() {
        let filter = r.string("topic filter")?;
        let opts = r.u8("subscription options")?;
        let reserved = match protocol {
            Protocol::V311 => 0xFC,
            Protocol::V5 => 0xC0,
        };
        if opts & reserved != 0 {
            return Err(r.malformed(format_args!(
                "reserved bits of the subscription options are set (0x{opts:02X})"
            )));
        }
        let Some(q) = qos(opts & 3) else {
            return Err(r.malformed("QoS 3 in the subscription options is not a valid QoS"));
        };
        let retain_handling = (opts >> 4) & 3;
        if retain_handling == 3 {
            return Err(r.protocol("retain handling 3 is not a valid value"));
        }
        filters.push(SubscribeFilter {
            filter,
            qos: q,
            no_local: opts & 0x04 != 0,
            retain_as_published: opts & 0x08 != 0,
            retain_handling,
        });
    }
    Ok(Subscribe {
        packet_id,
        filters,
        properties,
    })
}

fn suback(r: &mut Reader, protocol: Protocol) -> Result<SubAck, DecodeError> {
    let packet_id = packet_id(r)?;
    let properties = properties(r, protocol, Ctx::SubAck)?;
    let codes = r.rest();
    if codes.is_empty() {
        return Err(r.protocol("there are no return codes"));
    }
    for &c in codes.iter() {
        let ok = match protocol {
            Protocol::V311 => reason::is_valid_suback_v311(c),
            Protocol::V5 => reason::is_valid_reason(9, c),
        };
        if !ok {
            return Err(r.protocol(format_args!("0x{c:02X} is not a SUBACK return code")));
        }
    }
    Ok(SubAck {
        packet_id,
        codes: codes.to_vec(),
        properties,
    })
}

fn unsubscribe(r: &mut Reader, protocol: Protocol) -> Result<Unsubscribe, DecodeError> {
    let packet_id = packet_id(r)?;
    let properties = properties(r, protocol, Ctx::Unsubscribe)?;
    if r.is_empty() {
        return Err(r.protocol("there are no topic filters"));
    }
    let mut filters = Vec::new();
    while !r.is_empty() {
        filters.push(r.string("topic filter")?);
    }
    Ok(Unsubscribe {
        packet_id,
        filters,
        properties,
    })
}

fn unsuback(r: &mut Reader, protocol: Protocol) -> Result<UnsubAck, DecodeError> {
    let packet_id = packet_id(r)?;
    if protocol == Protocol::V311 {
        r.finish()?;
        return Ok(UnsubAck {
            packet_id,
            codes: Vec::new(),
            properties: Properties::default(),
        });
    }
    let properties = decode_properties(r, Ctx::UnsubAck)?;
    let codes = r.rest();
    if codes.is_empty() {
        return Err(r.protocol("there are no reason codes"));
    }
    for &c in codes.iter() {
        check_reason(r, 11, c)?;
    }
    Ok(UnsubAck {
        packet_id,
        codes: codes.to_vec(),
        properties,
    })
}
