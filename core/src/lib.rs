//! ferromq: one MQTT 3.1.1 and 5.0 client engine, in layers (each uses only those above it):
//!
//! 1. [`codec`]: packets to bytes and back; pure and strict.
//! 2. [`topic`]: topic name and filter rules, and matching.
//! 3. [`protocol`]: the sans-IO state machine of one connection, driven by packets,
//!    commands and an `Instant`.
//! 4. [`transport`]: the byte stream: TCP, TLS, WebSocket, HTTP and SOCKS proxies.
//! 5. [`driver`]: one tokio task per client joining a transport to a state machine.
//! 6. [`component`]: the documented `mqtt` class — properties, config, methods, events.
//!
//! The Rust face of the product is [`Mqtt`].

pub mod codec;
pub mod component;
pub mod driver;
mod error;
mod memory;
pub mod protocol;
pub mod topic;
pub mod transport;

pub use component::certificate::Certificate;
pub use component::event::*;
pub use component::fire::Fired;
pub use component::firewall::Firewall;
/// The session file's format tag and version (component/session_json.rs).
pub use component::session_json::{SESSION_FORMAT, SESSION_VERSION};
pub use component::{
    Delivered, Delivery, EventHandler, EventNotifier, Mqtt, MqttMessage, PublishOptions, WaitCheck,
    WeakMqtt,
};
pub use error::{code, Error, ErrorCode, Result, ERROR_CODES};
