//! MQTT 5.0 properties on the wire: which packet may carry which property (MQTT 5.0 section
//! 2.2.2.2), their checks, their decoding and encoding.

use super::decode::DecodeError;
use super::encode::EncodeError;
use super::properties::{FieldMut, FieldRef, Properties, PropertyId, PropertyType};
use super::reason;
use super::wire::{
    binary_len, encode_error, put_binary, put_varint, string_len, varint_len, Reader, MAX_VARINT,
};
use bytes::{BufMut, BytesMut};

/// Where a property list sits: a packet, or the will inside CONNECT. Public as
/// `codec::PropertyPlace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ctx {
    /// CONNECT packet.
    Connect,
    /// The will inside CONNECT.
    Will,
    /// CONNACK packet.
    ConnAck,
    /// PUBLISH packet.
    Publish,
    /// PUBACK packet.
    PubAck,
    /// PUBREC packet.
    PubRec,
    /// PUBREL packet.
    PubRel,
    /// PUBCOMP packet.
    PubComp,
    /// SUBSCRIBE packet.
    Subscribe,
    /// SUBACK packet.
    SubAck,
    /// UNSUBSCRIBE packet.
    Unsubscribe,
    /// UNSUBACK packet.
    UnsubAck,
    /// DISCONNECT packet.
    Disconnect,
    /// AUTH packet.
    Auth,
}

impl Ctx {
    const fn bit(self) -> u16 {
        1 << self as u16
    }

    fn place(self) -> &'static str {
        match self {
            Ctx::Will => "the will properties",
            _ => "this packet",
        }
    }

    /// Every place (the table's `Ctx::ALL` for a property any packet may carry).
    pub const ALL: [Ctx; 14] = [
        Ctx::Connect,
        Ctx::Will,
        Ctx::ConnAck,
        Ctx::Publish,
        Ctx::PubAck,
        Ctx::PubRec,
        Ctx::PubRel,
        Ctx::PubComp,
        Ctx::Subscribe,
        Ctx::SubAck,
        Ctx::Unsubscribe,
        Ctx::UnsubAck,
        Ctx::Disconnect,
        Ctx::Auth,
    ];

    /// How the docs name it ("PUBLISH", "will").
    #[cfg(test)]
    pub(crate) fn label(self) -> &'static str {
        match self {
            Ctx::Connect => "CONNECT",
            Ctx::Will => "will",
            Ctx::ConnAck => "CONNACK",
            Ctx::Publish => "PUBLISH",
            Ctx::PubAck => "PUBACK",
            Ctx::PubRec => "PUBREC",
            Ctx::PubRel => "PUBREL",
            Ctx::PubComp => "PUBCOMP",
            Ctx::Subscribe => "SUBSCRIBE",
            Ctx::SubAck => "SUBACK",
            Ctx::Unsubscribe => "UNSUBSCRIBE",
            Ctx::UnsubAck => "UNSUBACK",
            Ctx::Disconnect => "DISCONNECT",
            Ctx::Auth => "AUTH",
        }
    }
}

/// The bits of `ctxs` (for `PropertyId::packets`).
pub(crate) const fn mask(ctxs: &[Ctx]) -> u16 {
    let mut m = 0;
    let mut i = 0;
    while i < ctxs.len() {
        m |= ctxs[i].bit();
        i += 1;
    }
    m
}

/// Whether `id` may appear in a property list at `ctx`.
pub(crate) fn is_allowed(id: PropertyId, ctx: Ctx) -> bool {
    id.packets() & ctx.bit() != 0
}

impl PropertyId {
    /// Whether the property may appear at `place` (MQTT 5.0 section 2.2.2.2).
    pub fn allowed_in(self, place: Ctx) -> bool {
        is_allowed(self, place)
    }

    /// Whether it may appear more than once at `place`: the list types may, but SUBSCRIBE
    /// carries one Subscription Identifier for all its filters.
    pub fn repeatable_in(self, place: Ctx) -> bool {
        self.allowed_in(place)
            && match self.data_type() {
                PropertyType::VariableByteInteger => place != Ctx::Subscribe,
                PropertyType::Utf8StringPair => true,
                _ => false,
            }
    }

    /// The values an integer property may take (its type's range narrowed by its rule);
    /// `None` for strings, binary data and pairs.
    pub fn value_range(self) -> Option<std::ops::RangeInclusive<u32>> {
        let max = match self.data_type() {
            PropertyType::Byte => u8::MAX.into(),
            PropertyType::TwoByteInteger => u16::MAX.into(),
            PropertyType::FourByteInteger => u32::MAX,
            PropertyType::VariableByteInteger => MAX_VARINT,
            PropertyType::Utf8String | PropertyType::BinaryData | PropertyType::Utf8StringPair => {
                return None
            }
        };
        let (min, max) = self.check().range(max);
        Some(min..=max)
    }
}

/// The rule a property's values follow, beyond what its type holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// Any value of its type.
    Any,
    /// 0 or 1, a true/false in the JSON settings.
    Flag,
    /// 0 or 1, a number in the JSON settings.
    Bit,
    /// Not 0 (a protocol error).
    NonZero,
    /// Not 0, refused with Topic Alias Invalid.
    TopicAlias,
    /// 1..=268 435 455.
    SubscriptionId,
}

impl Check {
    /// The values allowed for a field whose type holds up to `max`.
    pub(crate) fn range(self, max: u32) -> (u32, u32) {
        match self {
            Check::Any => (0, max),
            Check::Flag | Check::Bit => (0, 1),
            Check::NonZero | Check::TopicAlias => (1, max),
            Check::SubscriptionId => (1, MAX_VARINT.min(max)),
        }
    }

    /// The problem with `v`, if any (and the reason code for it).
    fn problem(self, v: u32) -> Option<(u8, &'static str)> {
        match self {
            Check::Flag | Check::Bit if v > 1 => Some((reason::PROTOCOL_ERROR, "must be 0 or 1")),
            Check::NonZero if v == 0 => Some((reason::PROTOCOL_ERROR, "must not be 0")),
            Check::SubscriptionId if v == 0 || v > MAX_VARINT => {
                Some((reason::PROTOCOL_ERROR, "must be between 1 and 268435455"))
            }
            Check::TopicAlias if v == 0 => Some((reason::TOPIC_ALIAS_INVALID, "must not be 0")),
            _ => None,
        }
    }
}

fn check_value(p: &Reader, id: PropertyId, v: u32) -> Result<(), DecodeError> {
    match id.check().problem(v) {
        Some((code, why)) => Err(p.error(
            code,
            format_args!("property {} has the value {v}, which {why}", id.name()),
        )),
        None => Ok(()),
    }
}

fn once<T>(p: &Reader, slot: &mut Option<T>, id: PropertyId, v: T) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(duplicate(p, id));
    }
    *slot = Some(v);
    Ok(())
}

fn duplicate(p: &Reader, id: PropertyId) -> DecodeError {
    p.protocol(format_args!(
        "property {} (0x{:02X}) appears more than once",
        id.name(),
        id as u8
    ))
}

/// Reads a property length and the properties it covers, checking each against `ctx`.
pub(crate) fn decode_properties(r: &mut Reader, ctx: Ctx) -> Result<Properties, DecodeError> {
    let len = r.varint("property length")?;
    let mut p = r.sub(len as usize, "property list")?;
    let mut props = Properties::default();
    while !p.is_empty() {
        let raw = p.varint("property identifier")?;
        let id = u8::try_from(raw)
            .ok()
            .and_then(PropertyId::from_u8)
            .ok_or_else(|| p.malformed(format_args!("unknown property identifier 0x{raw:02X}")))?;
        if !is_allowed(id, ctx) {
            return Err(p.malformed(format_args!(
                "property {} (0x{:02X}) is not allowed in {}",
                id.name(),
                id as u8,
                ctx.place()
            )));
        }
        let name = id.name();
        match props.field_mut(id) {
            FieldMut::Byte(slot) => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, slot, id, v)?;
            }
            FieldMut::Two(slot) => {
                let v = p.u16(name)?;
                check_value(&p, id, v.into())?;
                once(&p, slot, id, v)?;
            }
            FieldMut::Four(slot) => {
                let v = p.u32(name)?;
                check_value(&p, id, v)?;
                once(&p, slot, id, v)?;
            }
            FieldMut::VarInts(list) => {
                let v = p.varint(name)?;
                check_value(&p, id, v)?;
                if !id.repeatable_in(ctx) && !list.is_empty() {
                    return Err(duplicate(&p, id));
                }
                list.push(v);
            }
            FieldMut::Text(slot) => {
                let v = p.string(name)?;
                once(&p, slot, id, v)?;
            }
            FieldMut::Binary(slot) => {
                let v = p.binary(name)?;
                once(&p, slot, id, v)?;
            }
            FieldMut::Pairs(list) => {
                let k = p.string("User Property name")?;
                let v = p.string("User Property value")?;
                list.push((k, v));
            }
        }
    }
    Ok(props)
}

/// One value of a property, as it goes on the wire.
#[derive(Clone, Copy, Debug)]
enum Value<'a> {
    Byte(u8),
    Two(u16),
    Four(u32),
    VarInt(u32),
    Text(&'a str),
    Binary(&'a [u8]),
    Pair(&'a str, &'a str),
}

impl FieldRef<'_> {
    /// Calls `f` with each value the field holds (none, one, or for a list several).
    #[inline]
    fn try_for_each_value<E>(self, mut f: impl FnMut(Value<'_>) -> Result<(), E>) -> Result<(), E> {
        match self {
            FieldRef::Byte(v) => v.iter().try_for_each(|&v| f(Value::Byte(v))),
            FieldRef::Two(v) => v.iter().try_for_each(|&v| f(Value::Two(v))),
            FieldRef::Four(v) => v.iter().try_for_each(|&v| f(Value::Four(v))),
            FieldRef::VarInts(v) => v.iter().try_for_each(|&v| f(Value::VarInt(v))),
            FieldRef::Text(v) => v.iter().try_for_each(|v| f(Value::Text(v))),
            FieldRef::Binary(v) => v.iter().try_for_each(|v| f(Value::Binary(v))),
            FieldRef::Pairs(v) => v.iter().try_for_each(|(k, v)| f(Value::Pair(k, v))),
        }
    }
}

impl Value<'_> {
    fn number(self) -> Option<u32> {
        match self {
            Value::Byte(v) => Some(v.into()),
            Value::Two(v) => Some(v.into()),
            Value::Four(v) | Value::VarInt(v) => Some(v),
            Value::Text(_) | Value::Binary(_) | Value::Pair(..) => None,
        }
    }

    /// The bytes it takes after the identifier, checked for encoding.
    fn len(self, packet: &str, id: PropertyId) -> Result<usize, EncodeError> {
        Ok(match self {
            Value::Byte(_) => 1,
            Value::Two(_) => 2,
            Value::Four(_) => 4,
            Value::VarInt(v) => varint_len(v as usize),
            Value::Text(s) => string_len(packet, id.name(), s)?,
            Value::Binary(b) => binary_len(packet, id.name(), b)?,
            Value::Pair(k, v) => {
                string_len(packet, "User Property name", k)?
                    + string_len(packet, "User Property value", v)?
            }
        })
    }

    fn write(self, out: &mut BytesMut) {
        match self {
            Value::Byte(v) => out.put_u8(v),
            Value::Two(v) => out.put_u16(v),
            Value::Four(v) => out.put_u32(v),
            Value::VarInt(v) => put_varint(out, v as usize),
            Value::Text(s) => put_binary(out, s.as_bytes()),
            Value::Binary(b) => put_binary(out, b),
            Value::Pair(k, v) => {
                put_binary(out, k.as_bytes());
                put_binary(out, v.as_bytes());
            }
        }
    }
}

/// Checks `props` for encoding at `ctx` and returns the length of the property bytes
/// (without the property length in front of them). Counts exactly what
/// [`write_properties`] writes: both walk the fields through `try_for_each_field`.
pub(crate) fn properties_len(
    props: &Properties,
    ctx: Ctx,
    packet: &str,
) -> Result<usize, EncodeError> {
    let mut len = 0usize;
    props.try_for_each_field(|id, field| {
        if let FieldRef::VarInts(list) = field {
            if list.len() > 1 && id.allowed_in(ctx) && !id.repeatable_in(ctx) {
                return Err(encode_error(
                    packet,
                    format_args!("{packet} may carry at most one {}", id.name()),
                ));
            }
        }
        field.try_for_each_value(|v| {
            if !is_allowed(id, ctx) {
                return Err(encode_error(
                    packet,
                    format_args!(
                        "property {} (0x{:02X}) is not allowed in {}",
                        id.name(),
                        id as u8,
                        ctx.place()
                    ),
                ));
            }
            if let Some(n) = v.number() {
                if let Some((_, why)) = id.check().problem(n) {
                    return Err(encode_error(
                        packet,
                        format_args!("property {} has the value {n}, which {why}", id.name()),
                    ));
                }
            }
            len += 1 + v.len(packet, id)?;
            Ok(())
        })
    })?;
    if len > MAX_VARINT as usize {
        return Err(encode_error(
            packet,
            format_args!("the properties take {len} bytes, more than 268435455"),
        ));
    }
    Ok(len)
}

/// Writes the property length `len` (from [`properties_len`]) and the properties.
pub(crate) fn write_properties(out: &mut BytesMut, props: &Properties, len: usize) {
    put_varint(out, len);
    let start = out.len();
    let _ = props.try_for_each_field(|id, field| {
        field.try_for_each_value(|v| {
            out.put_u8(id as u8);
            v.write(out);
            Ok::<(), std::convert::Infallible>(())
        })
    });
    debug_assert_eq!(
        out.len() - start,
        len,
        "properties_len and write_properties differ"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_spot_checks() {
        use PropertyId as P;
        assert!(is_allowed(P::WillDelayInterval, Ctx::Will));
        assert!(!is_allowed(P::WillDelayInterval, Ctx::Connect));
        assert!(is_allowed(P::ReasonString, Ctx::PubRel));
        assert!(!is_allowed(P::ReasonString, Ctx::Publish));
        assert!(is_allowed(P::UserProperty, Ctx::Unsubscribe));
        assert!(!is_allowed(P::ReasonString, Ctx::Unsubscribe));
        assert!(is_allowed(P::SubscriptionIdentifier, Ctx::Subscribe));
        assert!(is_allowed(P::ServerReference, Ctx::Disconnect));
        assert!(!is_allowed(P::TopicAlias, Ctx::Will));
        for id in PropertyId::ALL {
            assert_eq!(PropertyId::from_u8(id as u8), Some(id));
        }
        assert!(PropertyId::ALL
            .windows(2)
            .all(|w| (w[0] as u8) < (w[1] as u8)));
    }

    /// Sets property `id` in `p` to a valid value (a second one for a list when `twice`).
    fn set(p: &mut Properties, id: PropertyId, twice: bool) {
        let n = if twice { 2 } else { 1 };
        match p.field_mut(id) {
            FieldMut::Byte(v) => *v = Some(1),
            FieldMut::Two(v) => *v = Some(300),
            FieldMut::Four(v) => *v = Some(70_000),
            FieldMut::VarInts(v) => v.extend([200_000, 1].iter().take(n)),
            FieldMut::Text(v) => *v = Some("text ü".into()),
            FieldMut::Binary(v) => *v = Some(bytes::Bytes::from_static(&[0, 1, 0xFF])),
            FieldMut::Pairs(v) => v.extend(
                [("k", "v"), ("k", "w")]
                    .iter()
                    .take(n)
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            ),
        }
    }

    fn round_trip(p: &Properties, ctx: Ctx) -> Result<Properties, String> {
        let len = properties_len(p, ctx, "TEST").map_err(|e| e.message)?;
        let mut out = BytesMut::new();
        write_properties(&mut out, p, len);
        assert_eq!(out.len(), varint_len(len) + len, "{p:?} at {ctx:?}");
        let mut r = Reader::new(out.freeze(), "TEST");
        let back = decode_properties(&mut r, ctx).map_err(|e| e.message)?;
        assert!(r.is_empty());
        Ok(back)
    }

    #[test]
    fn every_property_is_counted_written_and_read_back_where_it_is_allowed() {
        for id in PropertyId::ALL {
            for ctx in Ctx::ALL {
                let mut p = Properties::default();
                set(&mut p, id, false);
                match round_trip(&p, ctx) {
                    Ok(back) => {
                        assert!(is_allowed(id, ctx), "{id:?} went out at {ctx:?}");
                        assert_eq!(back, p, "{id:?} at {ctx:?}");
                    }
                    Err(e) => {
                        assert!(!is_allowed(id, ctx), "{id:?} at {ctx:?}: {e}");
                        assert!(e.contains("is not allowed in"), "{e}");
                    }
                }
            }
        }
    }

    #[test]
    fn every_allowed_property_at_once_keeps_the_length_and_the_write_in_step() {
        for ctx in Ctx::ALL {
            let mut p = Properties::default();
            for id in PropertyId::ALL
                .into_iter()
                .filter(|&id| is_allowed(id, ctx))
            {
                set(&mut p, id, ctx != Ctx::Subscribe);
            }
            assert_eq!(round_trip(&p, ctx).unwrap(), p, "{ctx:?}");
        }
    }

    #[test]
    fn value_checks_hold_on_both_sides() {
        use PropertyId as P;
        let cases = [
            (P::PayloadFormatIndicator, 2u32, "must be 0 or 1"),
            (P::ReceiveMaximum, 0, "must not be 0"),
            (P::TopicAlias, 0, "must not be 0"),
            (P::SubscriptionIdentifier, 0, "between 1 and 268435455"),
        ];
        for (id, v, why) in cases {
            let mut p = Properties::default();
            match p.field_mut(id) {
                FieldMut::Byte(s) => *s = Some(v as u8),
                FieldMut::Two(s) => *s = Some(v as u16),
                FieldMut::VarInts(s) => s.push(v),
                other => panic!("{other:?}"),
            }
            let ctx = Ctx::ALL.into_iter().find(|&c| is_allowed(id, c)).unwrap();
            let e = properties_len(&p, ctx, "TEST").unwrap_err();
            assert!(e.message.contains(why), "{e:?}");
        }
    }
}
