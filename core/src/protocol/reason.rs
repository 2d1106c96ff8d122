//! Reason-code wording for close reasons and logs, on top of the codec's table: only the
//! context-dependent meaning of 0x00 is decided here.

use crate::codec::reason as codec_reason;

/// Meaning of a 3.1.1 CONNACK return code.
pub(crate) fn connack_v311(code: u8) -> &'static str {
    codec_reason::connack_return_name(code)
}

/// Meaning of a 5.0 reason code in `packet` ("DISCONNECT", "CONNACK", ...).
pub(crate) fn v5(code: u8, packet: &str) -> &'static str {
    match (code, packet) {
        (0x00, "DISCONNECT") => "normal disconnection",
        _ => codec_reason::reason_name(code),
    }
}

/// The 5.0 reason codes this state machine sends.
pub(crate) mod code {
    pub use crate::codec::reason::{
        IMPLEMENTATION_SPECIFIC_ERROR as IMPLEMENTATION_SPECIFIC,
        PACKET_IDENTIFIER_NOT_FOUND as PACKET_ID_NOT_FOUND, PACKET_TOO_LARGE, PROTOCOL_ERROR,
        QOS_NOT_SUPPORTED, RECEIVE_MAXIMUM_EXCEEDED, RETAIN_NOT_SUPPORTED, SUCCESS,
        TOPIC_ALIAS_INVALID,
    };
}
