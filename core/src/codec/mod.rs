//! Layer 1: every MQTT 3.1.1 and 5.0 packet, encoded and decoded. Pure: no I/O, no clock.
//!
//! Decoding is strict because its input is untrusted: every length is checked against the
//! bytes that arrived and against the maximum packet size before anything is allocated.

mod packet;
mod properties;
mod property_table;
mod propwire;
pub mod reason;
mod wire;

mod decode;
mod encode;

pub use bytestring::ByteString;
pub use decode::{decode, DecodeError};
pub use encode::{encode, encoded_len, EncodeError};
pub use packet::*;
pub(crate) use properties::{FieldMut, FieldRef};
pub use properties::{Properties, PropertyId, PropertyType, PropertyValue};
pub use propwire::Ctx as PropertyPlace;
pub(crate) use propwire::{is_allowed, Check, Ctx};
pub use wire::{frame_len, MAX_VARINT as MAX_REMAINING_LENGTH};
