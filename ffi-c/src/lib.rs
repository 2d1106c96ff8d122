//! The C face of ferromq: `libmqtt.so` / `libmqtt.a` and the header `include/mqtt.h`.
//!
//! Every exported function is a thin conversion around [`ferromq::Mqtt`]: C strings and
//! buffers in, error codes and owned C strings out, events turned into C structs. The
//! conventions (return codes, ownership, NULL, threads, callbacks) are written once in
//! `ffi-c/README.md`; the header repeats, per function, what a caller must know.

// Every unsafe operation sits in its own block with a SAFETY comment, also inside unsafe fns.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
// Exported functions are plain `extern "C" fn`s that take raw pointers from C. They never
// dereference one themselves: `ptr.rs` does, in one place, under the caller contract the
// header states once for every function (rustls-ffi's pattern). The remaining `unsafe` is
// calling back into C (events.rs) and sharing the static settings table (settings.rs).
// The C names (`mqtt_t`, `mqtt_message_event`) are part of the ABI.
#![allow(non_camel_case_types)]

// Separate groups keep this order (rustfmt sorts within a group): cbindgen writes the header
// in the order it reads the modules, and the header reads best in this order.
mod handle;

mod error;

mod methods;

mod settings;

mod props;

mod certificate;

mod firewall;

mod messages;

mod message_properties;

mod events;

mod publish_ex;

mod request;

mod ack;

mod strings;

mod panic;

mod ptr;

pub use ack::*;
pub use certificate::*;
pub use error::*;
pub use events::*;
pub use firewall::*;
pub use handle::*;
pub use message_properties::*;
pub use messages::*;
pub use methods::*;
pub use props::*;
pub use publish_ex::*;
pub use request::*;
pub use settings::*;
pub use strings::*;
