//! The Node.js face of ferromq: a napi-rs addon exposing the core's `mqtt` class to
//! JavaScript. `index.js` wraps the native class [`client::NativeMqtt`] into the documented
//! `mqtt` class (accessors, properties, EventEmitter events); this crate only converts
//! types, errors and threads. No protocol logic lives here.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod client;
mod errors;
mod events;
mod guard;
mod promise;
mod properties;
pub mod transport;
mod wake;
