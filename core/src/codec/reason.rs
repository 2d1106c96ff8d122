//! Reason codes: the MQTT 5.0 reason codes (section 2.4) as named constants, the 3.1.1
//! CONNACK return codes (in [`v311`]), short descriptions for logs and error messages, and
//! which codes each packet type may carry.

/// Reason code 0x00: success.
pub const SUCCESS: u8 = 0x00;
/// 0x00 in DISCONNECT.
pub const NORMAL_DISCONNECTION: u8 = 0x00;
/// 0x00 in SUBACK.
pub const GRANTED_QOS_0: u8 = 0x00;
/// Reason code 0x01: granted QoS 1.
pub const GRANTED_QOS_1: u8 = 0x01;
/// Reason code 0x02: granted QoS 2.
pub const GRANTED_QOS_2: u8 = 0x02;
/// Reason code 0x04: disconnect with will message.
pub const DISCONNECT_WITH_WILL_MESSAGE: u8 = 0x04;
/// Reason code 0x10: no matching subscribers.
pub const NO_MATCHING_SUBSCRIBERS: u8 = 0x10;
/// Reason code 0x11: no subscription existed.
pub const NO_SUBSCRIPTION_EXISTED: u8 = 0x11;
/// Reason code 0x18: continue authentication.
pub const CONTINUE_AUTHENTICATION: u8 = 0x18;
/// Reason code 0x19: re-authenticate.
pub const RE_AUTHENTICATE: u8 = 0x19;
/// Reason code 0x80: unspecified error.
pub const UNSPECIFIED_ERROR: u8 = 0x80;
/// Reason code 0x81: malformed packet.
pub const MALFORMED_PACKET: u8 = 0x81;
/// Reason code 0x82: protocol error.
pub const PROTOCOL_ERROR: u8 = 0x82;
/// Reason code 0x83: implementation specific error.
pub const IMPLEMENTATION_SPECIFIC_ERROR: u8 = 0x83;
/// Reason code 0x84: unsupported protocol version.
pub const UNSUPPORTED_PROTOCOL_VERSION: u8 = 0x84;
/// Reason code 0x85: client identifier not valid.
pub const CLIENT_IDENTIFIER_NOT_VALID: u8 = 0x85;
/// Reason code 0x86: bad user name or password.
pub const BAD_USER_NAME_OR_PASSWORD: u8 = 0x86;
/// Reason code 0x87: not authorized.
pub const NOT_AUTHORIZED: u8 = 0x87;
/// Reason code 0x88: server unavailable.
pub const SERVER_UNAVAILABLE: u8 = 0x88;
/// Reason code 0x89: server busy.
pub const SERVER_BUSY: u8 = 0x89;
/// Reason code 0x8A: banned.
pub const BANNED: u8 = 0x8A;
/// Reason code 0x8B: server shutting down.
pub const SERVER_SHUTTING_DOWN: u8 = 0x8B;
/// Reason code 0x8C: bad authentication method.
pub const BAD_AUTHENTICATION_METHOD: u8 = 0x8C;
/// Reason code 0x8D: keep alive timeout.
pub const KEEP_ALIVE_TIMEOUT: u8 = 0x8D;
/// Reason code 0x8E: session taken over.
pub const SESSION_TAKEN_OVER: u8 = 0x8E;
/// Reason code 0x8F: topic filter invalid.
pub const TOPIC_FILTER_INVALID: u8 = 0x8F;
/// Reason code 0x90: topic name invalid.
pub const TOPIC_NAME_INVALID: u8 = 0x90;
/// Reason code 0x91: packet identifier in use.
pub const PACKET_IDENTIFIER_IN_USE: u8 = 0x91;
/// Reason code 0x92: packet identifier not found.
pub const PACKET_IDENTIFIER_NOT_FOUND: u8 = 0x92;
/// Reason code 0x93: receive maximum exceeded.
pub const RECEIVE_MAXIMUM_EXCEEDED: u8 = 0x93;
/// Reason code 0x94: topic alias invalid.
pub const TOPIC_ALIAS_INVALID: u8 = 0x94;
/// Reason code 0x95: packet too large.
pub const PACKET_TOO_LARGE: u8 = 0x95;
/// Reason code 0x96: message rate too high.
pub const MESSAGE_RATE_TOO_HIGH: u8 = 0x96;
/// Reason code 0x97: quota exceeded.
pub const QUOTA_EXCEEDED: u8 = 0x97;
/// Reason code 0x98: administrative action.
pub const ADMINISTRATIVE_ACTION: u8 = 0x98;
/// Reason code 0x99: payload format invalid.
pub const PAYLOAD_FORMAT_INVALID: u8 = 0x99;
/// Reason code 0x9A: retain not supported.
pub const RETAIN_NOT_SUPPORTED: u8 = 0x9A;
/// Reason code 0x9B: QoS not supported.
pub const QOS_NOT_SUPPORTED: u8 = 0x9B;
/// Reason code 0x9C: use another server.
pub const USE_ANOTHER_SERVER: u8 = 0x9C;
/// Reason code 0x9D: server moved.
pub const SERVER_MOVED: u8 = 0x9D;
/// Reason code 0x9E: shared subscriptions not supported.
pub const SHARED_SUBSCRIPTIONS_NOT_SUPPORTED: u8 = 0x9E;
/// Reason code 0x9F: connection rate exceeded.
pub const CONNECTION_RATE_EXCEEDED: u8 = 0x9F;
/// Reason code 0xA0: maximum connect time.
pub const MAXIMUM_CONNECT_TIME: u8 = 0xA0;
/// Reason code 0xA1: subscription identifiers not supported.
pub const SUBSCRIPTION_IDENTIFIERS_NOT_SUPPORTED: u8 = 0xA1;
/// Reason code 0xA2: wildcard subscriptions not supported.
pub const WILDCARD_SUBSCRIPTIONS_NOT_SUPPORTED: u8 = 0xA2;

/// MQTT 3.1.1: the CONNACK return codes and the SUBACK failure code.
pub mod v311 {
    /// CONNACK return code 0: connection accepted.
    pub const CONNECTION_ACCEPTED: u8 = 0;
    /// CONNACK return code 1: unacceptable protocol version.
    pub const UNACCEPTABLE_PROTOCOL_VERSION: u8 = 1;
    /// CONNACK return code 2: identifier rejected.
    pub const IDENTIFIER_REJECTED: u8 = 2;
    /// CONNACK return code 3: server unavailable.
    pub const SERVER_UNAVAILABLE: u8 = 3;
    /// CONNACK return code 4: bad user name or password.
    pub const BAD_USER_NAME_OR_PASSWORD: u8 = 4;
    /// CONNACK return code 5: not authorized.
    pub const NOT_AUTHORIZED: u8 = 5;
    /// SUBACK: the subscription was refused.
    pub const SUBACK_FAILURE: u8 = 0x80;
}

/// A short description of an MQTT 5.0 reason code ("success", "not authorized", ...).
/// 0x00 reads "success" (it is also "normal disconnection" and "granted QoS 0").
pub fn reason_name(code: u8) -> &'static str {
    match code {
        0x00 => "success",
        0x01 => "granted QoS 1",
        0x02 => "granted QoS 2",
        0x04 => "disconnect with will message",
        0x10 => "no matching subscribers",
        0x11 => "no subscription existed",
        0x18 => "continue authentication",
        0x19 => "re-authenticate",
        0x80 => "unspecified error",
        0x81 => "malformed packet",
        0x82 => "protocol error",
        0x83 => "implementation specific error",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        0x88 => "server unavailable",
        0x89 => "server busy",
        0x8A => "banned",
        0x8B => "server shutting down",
        0x8C => "bad authentication method",
        0x8D => "keep alive timeout",
        0x8E => "session taken over",
        0x8F => "topic filter invalid",
        0x90 => "topic name invalid",
        0x91 => "packet identifier in use",
        0x92 => "packet identifier not found",
        0x93 => "receive maximum exceeded",
        0x94 => "topic alias invalid",
        0x95 => "packet too large",
        0x96 => "message rate too high",
        0x97 => "quota exceeded",
        0x98 => "administrative action",
        0x99 => "payload format invalid",
        0x9A => "retain not supported",
        0x9B => "QoS not supported",
        0x9C => "use another server",
        0x9D => "server moved",
        0x9E => "shared subscriptions not supported",
        0x9F => "connection rate exceeded",
        0xA0 => "maximum connect time",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "unknown reason code",
    }
}

/// A short description of an MQTT 3.1.1 CONNACK return code.
pub fn connack_return_name(code: u8) -> &'static str {
    match code {
        0 => "connection accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "reserved return code",
    }
}

const CONNACK_V5: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];
const PUBACK_V5: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
const PUBREL_V5: &[u8] = &[0x00, 0x92];
const SUBACK_V5: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
const UNSUBACK_V5: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
const DISCONNECT_V5: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
const AUTH_V5: &[u8] = &[0x00, 0x18, 0x19];

/// The MQTT 5.0 reason codes a packet of control packet type `packet_type` (2 CONNACK,
/// 4 PUBACK, 5 PUBREC, 6 PUBREL, 7 PUBCOMP, 9 SUBACK, 11 UNSUBACK, 14 DISCONNECT, 15 AUTH)
/// may carry. Empty for the other types.
pub fn valid_reasons(packet_type: u8) -> &'static [u8] {
    match packet_type {
        2 => CONNACK_V5,
        4 | 5 => PUBACK_V5,
        6 | 7 => PUBREL_V5,
        9 => SUBACK_V5,
        11 => UNSUBACK_V5,
        14 => DISCONNECT_V5,
        15 => AUTH_V5,
        _ => &[],
    }
}

/// Whether `code` is an MQTT 5.0 reason code that a packet of type `packet_type` may carry
/// (see [`valid_reasons`]).
pub fn is_valid_reason(packet_type: u8, code: u8) -> bool {
    valid_reasons(packet_type).contains(&code)
}

/// Whether `code` is a valid 3.1.1 SUBACK return code (0, 1, 2 or 0x80).
pub fn is_valid_suback_v311(code: u8) -> bool {
    matches!(code, 0 | 1 | 2 | 0x80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_code_has_a_name() {
        for t in [2u8, 4, 5, 6, 7, 9, 11, 14, 15] {
            for &c in valid_reasons(t) {
                assert_ne!(reason_name(c), "unknown reason code", "0x{c:02X}");
            }
        }
        assert_eq!(reason_name(NOT_AUTHORIZED), "not authorized");
        assert_eq!(reason_name(0x03), "unknown reason code");
        assert_eq!(
            connack_return_name(v311::IDENTIFIER_REJECTED),
            "identifier rejected"
        );
        assert_eq!(connack_return_name(6), "reserved return code");
        assert!(is_valid_reason(4, NO_MATCHING_SUBSCRIBERS));
        assert!(!is_valid_reason(6, NO_MATCHING_SUBSCRIBERS));
        assert!(is_valid_suback_v311(0x80) && !is_valid_suback_v311(0x87));
    }
}
