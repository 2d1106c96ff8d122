//! MQTT 5.0 properties on the wire: which packet may carry which property (MQTT 5.0 section
//! 2.2.2.2), their checks, their decoding and encoding.

use super::decode::DecodeError;
use super::encode::EncodeError;
use super::properties::{Properties, PropertyId};
use super::reason;
use super::wire::{
    binary_len, encode_error, put_binary, put_varint, string_len, varint_len, Reader, MAX_VARINT,
};
use bytes::{BufMut, BytesMut};

/// Where a property list sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    Connect,
    Will,
    ConnAck,
    Publish,
    PubAck,
    PubRec,
    PubRel,
    PubComp,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
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
}

const fn mask(ctxs: &[Ctx]) -> u16 {
    let mut m = 0;
    let mut i = 0;
    while i < ctxs.len() {
        m |= ctxs[i].bit();
        i += 1;
    }
    m
}

/// The packets (and the will) that may carry `id`.
fn allowed(id: PropertyId) -> u16 {
    use Ctx::*;
    use PropertyId as P;
    const MESSAGE: u16 = mask(&[Publish, Will]);
    const ACKS: u16 = mask(&[
        ConnAck, PubAck, PubRec, PubRel, PubComp, SubAck, UnsubAck, Disconnect, Auth,
    ]);
    match id {
        P::PayloadFormatIndicator
        | P::MessageExpiryInterval
        | P::ContentType
        | P::ResponseTopic
        | P::CorrelationData => MESSAGE,
        P::SubscriptionIdentifier => mask(&[Publish, Subscribe]),
        P::SessionExpiryInterval => mask(&[Connect, ConnAck, Disconnect]),
        P::AssignedClientIdentifier
        | P::ServerKeepAlive
        | P::ResponseInformation
        | P::MaximumQos
        | P::RetainAvailable
        | P::WildcardSubscriptionAvailable
        | P::SubscriptionIdentifierAvailable
        | P::SharedSubscriptionAvailable => ConnAck.bit(),
        P::AuthenticationMethod | P::AuthenticationData => mask(&[Connect, ConnAck, Auth]),
        P::RequestProblemInformation | P::RequestResponseInformation => Connect.bit(),
        P::WillDelayInterval => Will.bit(),
        P::ServerReference => mask(&[ConnAck, Disconnect]),
        P::ReasonString => ACKS,
        P::ReceiveMaximum | P::TopicAliasMaximum | P::MaximumPacketSize => {
            mask(&[Connect, ConnAck])
        }
        P::TopicAlias => Publish.bit(),
        P::UserProperty => u16::MAX,
    }
}

/// Whether `id` may appear in a property list at `ctx`.
pub(crate) fn is_allowed(id: PropertyId, ctx: Ctx) -> bool {
    allowed(id) & ctx.bit() != 0
}

/// Properties whose only values are 0 and 1.
fn is_flag(id: PropertyId) -> bool {
    use PropertyId as P;
    matches!(
        id,
        P::PayloadFormatIndicator
            | P::RequestProblemInformation
            | P::RequestResponseInformation
            | P::MaximumQos
            | P::RetainAvailable
            | P::WildcardSubscriptionAvailable
            | P::SubscriptionIdentifierAvailable
            | P::SharedSubscriptionAvailable
    )
}

/// The problem with a value of a property, if any (and the reason code for it).
fn value_problem(id: PropertyId, v: u32) -> Option<(u8, &'static str)> {
    use PropertyId as P;
    match id {
        _ if is_flag(id) && v > 1 => Some((reason::PROTOCOL_ERROR, "must be 0 or 1")),
        P::ReceiveMaximum | P::MaximumPacketSize if v == 0 => {
            Some((reason::PROTOCOL_ERROR, "must not be 0"))
        }
        P::SubscriptionIdentifier if v == 0 || v > MAX_VARINT => {
            Some((reason::PROTOCOL_ERROR, "must be between 1 and 268435455"))
        }
        P::TopicAlias if v == 0 => Some((reason::TOPIC_ALIAS_INVALID, "must not be 0")),
        _ => None,
    }
}

fn check_value(p: &Reader, id: PropertyId, v: u32) -> Result<(), DecodeError> {
    match value_problem(id, v) {
        Some((code, why)) => Err(p.error(
            code,
            format_args!("property {} has the value {v}, which {why}", id.name()),
        )),
        None => Ok(()),
    }
}

fn once<T>(p: &Reader, slot: &mut Option<T>, id: PropertyId, v: T) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(p.protocol(format_args!(
            "property {} (0x{:02X}) appears more than once",
            id.name(),
            id as u8
        )));
    }
    *slot = Some(v);
    Ok(())
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
        use PropertyId as P;
        match id {
            P::PayloadFormatIndicator => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.payload_format_indicator, id, v)?;
            }
            P::MessageExpiryInterval => {
                let v = p.u32(name)?;
                once(&p, &mut props.message_expiry_interval, id, v)?;
            }
            P::ContentType => {
                let v = p.string(name)?;
                once(&p, &mut props.content_type, id, v)?;
            }
            P::ResponseTopic => {
                let v = p.string(name)?;
                once(&p, &mut props.response_topic, id, v)?;
            }
            P::CorrelationData => {
                let v = p.binary(name)?;
                once(&p, &mut props.correlation_data, id, v)?;
            }
            P::SubscriptionIdentifier => {
                let v = p.varint(name)?;
                check_value(&p, id, v)?;
                if ctx == Ctx::Subscribe && !props.subscription_identifiers.is_empty() {
                    return Err(p.protocol(format_args!(
                        "property {name} (0x0B) appears more than once"
                    )));
                }
                props.subscription_identifiers.push(v);
            }
            P::SessionExpiryInterval => {
                let v = p.u32(name)?;
                once(&p, &mut props.session_expiry_interval, id, v)?;
            }
            P::AssignedClientIdentifier => {
                let v = p.string(name)?;
                once(&p, &mut props.assigned_client_identifier, id, v)?;
            }
            P::ServerKeepAlive => {
                let v = p.u16(name)?;
                once(&p, &mut props.server_keep_alive, id, v)?;
            }
            P::AuthenticationMethod => {
                let v = p.string(name)?;
                once(&p, &mut props.authentication_method, id, v)?;
            }
            P::AuthenticationData => {
                let v = p.binary(name)?;
                once(&p, &mut props.authentication_data, id, v)?;
            }
            P::RequestProblemInformation => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.request_problem_information, id, v)?;
            }
            P::WillDelayInterval => {
                let v = p.u32(name)?;
                once(&p, &mut props.will_delay_interval, id, v)?;
            }
            P::RequestResponseInformation => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.request_response_information, id, v)?;
            }
            P::ResponseInformation => {
                let v = p.string(name)?;
                once(&p, &mut props.response_information, id, v)?;
            }
            P::ServerReference => {
                let v = p.string(name)?;
                once(&p, &mut props.server_reference, id, v)?;
            }
            P::ReasonString => {
                let v = p.string(name)?;
                once(&p, &mut props.reason_string, id, v)?;
            }
            P::ReceiveMaximum => {
                let v = p.u16(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.receive_maximum, id, v)?;
            }
            P::TopicAliasMaximum => {
                let v = p.u16(name)?;
                once(&p, &mut props.topic_alias_maximum, id, v)?;
            }
            P::TopicAlias => {
                let v = p.u16(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.topic_alias, id, v)?;
            }
            P::MaximumQos => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.maximum_qos, id, v)?;
            }
            P::RetainAvailable => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.retain_available, id, v)?;
            }
            P::UserProperty => {
                let k = p.string("User Property name")?;
                let v = p.string("User Property value")?;
                props.user_properties.push((k, v));
            }
            P::MaximumPacketSize => {
                let v = p.u32(name)?;
                check_value(&p, id, v)?;
                once(&p, &mut props.maximum_packet_size, id, v)?;
            }
            P::WildcardSubscriptionAvailable => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.wildcard_subscription_available, id, v)?;
            }
            P::SubscriptionIdentifierAvailable => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.subscription_identifier_available, id, v)?;
            }
            P::SharedSubscriptionAvailable => {
                let v = p.u8(name)?;
                check_value(&p, id, v.into())?;
                once(&p, &mut props.shared_subscription_available, id, v)?;
            }
        }
    }
    Ok(props)
}

/// Checks `props` for encoding at `ctx` and returns the length of the property bytes
/// (without the property length in front of them).
pub(crate) fn properties_len(
    props: &Properties,
    ctx: Ctx,
    packet: &str,
) -> Result<usize, EncodeError> {
    let check = |id: PropertyId, v: Option<u32>| -> Result<(), EncodeError> {
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
        if let Some(v) = v {
            if let Some((_, why)) = value_problem(id, v) {
                return Err(encode_error(
                    packet,
                    format_args!("property {} has the value {v}, which {why}", id.name()),
                ));
            }
        }
        Ok(())
    };
    use PropertyId as P;
    let mut len = 0usize;
    macro_rules! fixed {
        ($field:ident, $id:expr, $size:expr) => {
            if let Some(v) = props.$field {
                check($id, Some(u32::from(v)))?;
                len += 1 + $size;
            }
        };
    }
    macro_rules! string {
        ($field:ident, $id:expr) => {
            if let Some(s) = &props.$field {
                check($id, None)?;
                len += 1 + string_len(packet, $id.name(), s)?;
            }
        };
    }
    macro_rules! binary {
        ($field:ident, $id:expr) => {
            if let Some(b) = &props.$field {
                check($id, None)?;
                len += 1 + binary_len(packet, $id.name(), b)?;
            }
        };
    }
    fixed!(payload_format_indicator, P::PayloadFormatIndicator, 1);
    fixed!(message_expiry_interval, P::MessageExpiryInterval, 4);
    string!(content_type, P::ContentType);
    string!(response_topic, P::ResponseTopic);
    binary!(correlation_data, P::CorrelationData);
    if ctx == Ctx::Subscribe && props.subscription_identifiers.len() > 1 {
        return Err(encode_error(
            packet,
            "SUBSCRIBE may carry at most one Subscription Identifier",
        ));
    }
    for &v in &props.subscription_identifiers {
        check(P::SubscriptionIdentifier, Some(v))?;
        len += 1 + varint_len(v as usize);
    }
    fixed!(session_expiry_interval, P::SessionExpiryInterval, 4);
    string!(assigned_client_identifier, P::AssignedClientIdentifier);
    fixed!(server_keep_alive, P::ServerKeepAlive, 2);
    string!(authentication_method, P::AuthenticationMethod);
    binary!(authentication_data, P::AuthenticationData);
    fixed!(request_problem_information, P::RequestProblemInformation, 1);
    fixed!(will_delay_interval, P::WillDelayInterval, 4);
    fixed!(
        request_response_information,
        P::RequestResponseInformation,
        1
    );
    string!(response_information, P::ResponseInformation);
    string!(server_reference, P::ServerReference);
    string!(reason_string, P::ReasonString);
    fixed!(receive_maximum, P::ReceiveMaximum, 2);
    fixed!(topic_alias_maximum, P::TopicAliasMaximum, 2);
    fixed!(topic_alias, P::TopicAlias, 2);
    fixed!(maximum_qos, P::MaximumQos, 1);
    fixed!(retain_available, P::RetainAvailable, 1);
    for (k, v) in &props.user_properties {
        check(P::UserProperty, None)?;
        len += 1
            + string_len(packet, "User Property name", k)?
            + string_len(packet, "User Property value", v)?;
    }
    fixed!(maximum_packet_size, P::MaximumPacketSize, 4);
    fixed!(
        wildcard_subscription_available,
        P::WildcardSubscriptionAvailable,
        1
    );
    fixed!(
        subscription_identifier_available,
        P::SubscriptionIdentifierAvailable,
        1
    );
    fixed!(
        shared_subscription_available,
        P::SharedSubscriptionAvailable,
        1
    );
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
    use PropertyId as P;
    put_varint(out, len);
    macro_rules! put {
        ($field:ident, $id:expr, $put:ident) => {
            if let Some(v) = props.$field {
                out.put_u8($id as u8);
                out.$put(v);
            }
        };
    }
    macro_rules! bin {
        ($field:ident, $id:expr) => {
            if let Some(v) = &props.$field {
                out.put_u8($id as u8);
                put_binary(out, AsRef::<[u8]>::as_ref(v));
            }
        };
    }
    put!(payload_format_indicator, P::PayloadFormatIndicator, put_u8);
    put!(message_expiry_interval, P::MessageExpiryInterval, put_u32);
    bin!(content_type, P::ContentType);
    bin!(response_topic, P::ResponseTopic);
    bin!(correlation_data, P::CorrelationData);
    for &v in &props.subscription_identifiers {
        out.put_u8(P::SubscriptionIdentifier as u8);
        put_varint(out, v as usize);
    }
    put!(session_expiry_interval, P::SessionExpiryInterval, put_u32);
    bin!(assigned_client_identifier, P::AssignedClientIdentifier);
    put!(server_keep_alive, P::ServerKeepAlive, put_u16);
    bin!(authentication_method, P::AuthenticationMethod);
    bin!(authentication_data, P::AuthenticationData);
    put!(
        request_problem_information,
        P::RequestProblemInformation,
        put_u8
    );
    put!(will_delay_interval, P::WillDelayInterval, put_u32);
    put!(
        request_response_information,
        P::RequestResponseInformation,
        put_u8
    );
    bin!(response_information, P::ResponseInformation);
    bin!(server_reference, P::ServerReference);
    bin!(reason_string, P::ReasonString);
    put!(receive_maximum, P::ReceiveMaximum, put_u16);
    put!(topic_alias_maximum, P::TopicAliasMaximum, put_u16);
    put!(topic_alias, P::TopicAlias, put_u16);
    put!(maximum_qos, P::MaximumQos, put_u8);
    put!(retain_available, P::RetainAvailable, put_u8);
    for (k, v) in &props.user_properties {
        out.put_u8(P::UserProperty as u8);
        put_binary(out, k.as_bytes());
        put_binary(out, v.as_bytes());
    }
    put!(maximum_packet_size, P::MaximumPacketSize, put_u32);
    put!(
        wildcard_subscription_available,
        P::WildcardSubscriptionAvailable,
        put_u8
    );
    put!(
        subscription_identifier_available,
        P::SubscriptionIdentifierAvailable,
        put_u8
    );
    put!(
        shared_subscription_available,
        P::SharedSubscriptionAvailable,
        put_u8
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
    }
}
