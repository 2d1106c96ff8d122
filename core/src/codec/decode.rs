//! CONTRACT SKELETON (codec helper replaces the body).
use super::packet::{Packet, Protocol};
use bytes::BytesMut;
use std::fmt;

/// Why bytes were refused. `reason` is the MQTT 5.0 reason code that fits (0x81 malformed
/// packet, 0x82 protocol error, 0x95 packet too large); `message` names the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub reason: u8,
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
        let code = if e.reason == 0x81 { crate::error::code::MALFORMED } else { crate::error::code::PROTOCOL };
        crate::error::Error::new(code, e.message)
    }
}

/// Decode one packet from the front of `buf`. Ok(None): not all of it has arrived yet
/// (nothing consumed). Ok(Some): the packet's bytes were split off `buf` (payloads share
/// them, no copy). A CONNECT is read with the level it carries; every other packet with
/// `protocol`. Anything larger than `max_packet_size` is an error as soon as its fixed
/// header is readable.
pub fn decode(_buf: &mut BytesMut, _protocol: Protocol, _max_packet_size: u32) -> Result<Option<Packet>, DecodeError> {
    unimplemented!()
}
