//! CONTRACT SKELETON (codec helper replaces the body).
use super::packet::{Packet, Protocol};
use bytes::BytesMut;
use std::fmt;

/// A packet that cannot be put on the wire (a string over 65 535 bytes, a remaining length
/// over 268 435 455, QoS 0 with a packet id, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError {
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

/// Append the encoding of `packet` for `protocol` to `out`.
pub fn encode(_packet: &Packet, _protocol: Protocol, _out: &mut BytesMut) -> Result<(), EncodeError> {
    unimplemented!()
}

/// The encoded size of `packet`, for the Maximum Packet Size checks before sending.
pub fn encoded_len(_packet: &Packet, _protocol: Protocol) -> Result<usize, EncodeError> {
    unimplemented!()
}
