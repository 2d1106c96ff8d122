//! Low-level wire helpers shared by the encoder and the decoder: a bounds-checked reader over
//! the bytes of one packet, variable byte integers, MQTT strings.

use super::decode::DecodeError;
use super::encode::EncodeError;
use super::reason;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use bytestring::ByteString;
use std::fmt;

/// The largest value of a variable byte integer (and so of the remaining length).
pub const MAX_VARINT: u32 = 268_435_455;

/// A decode error whose message starts with what kind of problem it is and in which packet.
pub(crate) fn decode_error(reason: u8, packet: &str, problem: impl fmt::Display) -> DecodeError {
    let message = match reason {
        reason::MALFORMED_PACKET => format!("malformed {packet} packet: {problem}"),
        reason::PROTOCOL_ERROR => format!("protocol error in {packet} packet: {problem}"),
        reason::PACKET_TOO_LARGE => format!("{packet} packet too large: {problem}"),
        other => format!(
            "{packet} packet refused ({}): {problem}",
            reason::reason_name(other)
        ),
    };
    DecodeError { reason, message }
}

pub(crate) fn encode_error(packet: &str, problem: impl fmt::Display) -> EncodeError {
    EncodeError {
        message: format!("cannot encode {packet} packet: {problem}"),
    }
}

/// A bounds-checked reader over the body of one packet. Every read checks what is left and
/// fails with a malformed-packet error that names `what` was being read.
pub(crate) struct Reader {
    buf: Bytes,
    pub(crate) packet: &'static str,
}

impl Reader {
    pub(crate) fn new(buf: Bytes, packet: &'static str) -> Reader {
        Reader { buf, packet }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn malformed(&self, problem: impl fmt::Display) -> DecodeError {
        decode_error(reason::MALFORMED_PACKET, self.packet, problem)
    }

    pub(crate) fn protocol(&self, problem: impl fmt::Display) -> DecodeError {
        decode_error(reason::PROTOCOL_ERROR, self.packet, problem)
    }

    pub(crate) fn error(&self, reason: u8, problem: impl fmt::Display) -> DecodeError {
        decode_error(reason, self.packet, problem)
    }

    fn need(&self, n: usize, what: &str) -> Result<(), DecodeError> {
        if self.buf.len() < n {
            Err(self.malformed(format_args!(
                "{what} runs past the end of the packet ({n} bytes needed, {} left)",
                self.buf.len()
            )))
        } else {
            Ok(())
        }
    }

    pub(crate) fn u8(&mut self, what: &str) -> Result<u8, DecodeError> {
        self.need(1, what)?;
        Ok(self.buf.get_u8())
    }

    pub(crate) fn u16(&mut self, what: &str) -> Result<u16, DecodeError> {
        self.need(2, what)?;
        Ok(self.buf.get_u16())
    }

    pub(crate) fn u32(&mut self, what: &str) -> Result<u32, DecodeError> {
        self.need(4, what)?;
        Ok(self.buf.get_u32())
    }

    /// A variable byte integer: at most 4 bytes, minimally encoded.
    pub(crate) fn varint(&mut self, what: &str) -> Result<u32, DecodeError> {
        let mut value: u32 = 0;
        for i in 0..4u32 {
            let b = self.u8(what)?;
            value |= u32::from(b & 0x7F) << (7 * i);
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    return Err(self.malformed(format_args!(
                        "{what} is a variable byte integer not encoded in the minimum number of bytes"
                    )));
                }
                return Ok(value);
            }
        }
        Err(self.malformed(format_args!(
            "{what} is a variable byte integer of more than 4 bytes"
        )))
    }

    /// The next `n` bytes, sharing the packet's buffer.
    pub(crate) fn take(&mut self, n: usize, what: &str) -> Result<Bytes, DecodeError> {
        self.need(n, what)?;
        Ok(self.buf.split_to(n))
    }

    /// A sub-reader over the next `n` bytes (e.g. the properties).
    pub(crate) fn sub(&mut self, n: usize, what: &str) -> Result<Reader, DecodeError> {
        let buf = self.take(n, what)?;
        Ok(Reader::new(buf, self.packet))
    }

    /// Binary data: a two-byte length and that many bytes.
    pub(crate) fn binary(&mut self, what: &str) -> Result<Bytes, DecodeError> {
        let n = self.u16(what)?;
        self.take(usize::from(n), what)
    }

    /// A UTF-8 encoded string as MQTT defines it (valid UTF-8, no U+0000), sharing the buffer.
    pub(crate) fn bytestring(&mut self, what: &str) -> Result<ByteString, DecodeError> {
        let b = self.binary(what)?;
        match ByteString::try_from(b.clone()) {
            Ok(s) => {
                self.check_nul(&b, what)?;
                Ok(s)
            }
            Err(_) => Err(self
                .check_str(&b, what)
                .err()
                .unwrap_or_else(|| self.malformed(format_args!("{what} is not valid UTF-8")))),
        }
    }

    /// A UTF-8 encoded string, copied into a `String`.
    pub(crate) fn string(&mut self, what: &str) -> Result<String, DecodeError> {
        let b = self.binary(what)?;
        let s = self.check_str(&b, what)?;
        Ok(s.to_owned())
    }

    fn check_str<'b>(&self, b: &'b [u8], what: &str) -> Result<&'b str, DecodeError> {
        let s = std::str::from_utf8(b).map_err(|e| {
            self.malformed(format_args!(
                "{what} is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ))
        })?;
        self.check_nul(b, what)?;
        Ok(s)
    }

    fn check_nul(&self, b: &[u8], what: &str) -> Result<(), DecodeError> {
        match b.iter().position(|&c| c == 0) {
            Some(at) => Err(self.malformed(format_args!(
                "{what} contains the null character U+0000 (at offset {at})"
            ))),
            None => Ok(()),
        }
    }

    /// Everything left (the payload), sharing the buffer.
    pub(crate) fn rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    /// Fails when bytes are left over that the packet should not have.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.malformed(format_args!(
                "{} unexpected trailing bytes at the end of the packet",
                self.buf.len()
            )))
        }
    }
}

/// How many bytes the variable byte integer `v` takes (`v` <= [`MAX_VARINT`]).
pub(crate) fn varint_len(v: usize) -> usize {
    match v {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}

/// Writes `v` (<= [`MAX_VARINT`], checked by the caller) as a variable byte integer.
pub(crate) fn put_varint(out: &mut BytesMut, v: usize) {
    let mut v = v;
    loop {
        let byte = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.put_u8(byte);
            return;
        } else {
            out.put_u8(byte | 0x80);
        }
    }
}

/// Writes a two-byte length and the bytes (length <= 65 535, checked by the caller).
pub(crate) fn put_binary(out: &mut BytesMut, b: &[u8]) {
    out.put_u16(b.len() as u16);
    out.put_slice(b);
}

/// Checks an MQTT string for encoding: at most 65 535 bytes and no U+0000. Returns the bytes
/// it takes on the wire (2 + length).
pub(crate) fn string_len(packet: &str, what: &str, s: &str) -> Result<usize, EncodeError> {
    if s.len() > usize::from(u16::MAX) {
        return Err(encode_error(
            packet,
            format_args!("{what} is {} bytes long, more than 65535", s.len()),
        ));
    }
    if s.as_bytes().contains(&0) {
        return Err(encode_error(
            packet,
            format_args!("{what} contains the null character U+0000"),
        ));
    }
    Ok(2 + s.len())
}

/// Checks binary data for encoding: at most 65 535 bytes. Returns 2 + length.
pub(crate) fn binary_len(packet: &str, what: &str, b: &[u8]) -> Result<usize, EncodeError> {
    if b.len() > usize::from(u16::MAX) {
        return Err(encode_error(
            packet,
            format_args!("{what} is {} bytes long, more than 65535", b.len()),
        ));
    }
    Ok(2 + b.len())
}

/// The whole length (fixed header included) of the packet that starts `buf`, once its fixed
/// header has arrived; None before that, or when the length field is not a valid one (the
/// decoder says why). Lets a reader make room for a large packet once, at its own size.
pub fn frame_len(buf: &[u8]) -> Option<usize> {
    let mut remaining = 0usize;
    for i in 0..4usize {
        let b = *buf.get(1 + i)?;
        remaining |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Some(2 + i + remaining);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_edges() {
        for v in [
            0usize,
            1,
            127,
            128,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            268_435_455,
        ] {
            let mut out = BytesMut::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
            let mut r = Reader::new(out.freeze(), "TEST");
            assert_eq!(r.varint("v").unwrap() as usize, v);
            assert!(r.is_empty());
        }
        let mut r = Reader::new(Bytes::from_static(&[0x80, 0x80, 0x80, 0x80, 0x01]), "TEST");
        assert!(r
            .varint("v")
            .unwrap_err()
            .message
            .contains("more than 4 bytes"));
        let mut r = Reader::new(Bytes::from_static(&[0x80, 0x00]), "TEST");
        assert!(r.varint("v").unwrap_err().message.contains("minimum"));
        let mut r = Reader::new(Bytes::from_static(&[0x80]), "TEST");
        assert!(r.varint("v").unwrap_err().message.contains("runs past"));
    }
}
