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
//! The Rust face of the product is [`Mqtt`]: one client, whose properties, settings
//! ([`Mqtt::config`]), methods and [`Event`]s are those of the documented class. Blocking
//! methods wait up to the Timeout property (seconds) and fire events on the calling
//! thread meanwhile; the `_async` methods and [`Delivery`] are futures for async code.
//! Every failure is an [`Error`] with a documented numeric code (see [`code`]).
//!
//! ```no_run
//! use ferromq::{Event, Mqtt, PublishOptions};
//! use std::sync::Arc;
//!
//! fn main() -> ferromq::Result<()> {
//!     let client = Mqtt::new();
//!     client.set_version(1)?; // MQTT 5.0; 0 (the default) is 3.1.1
//!     client.set_event_handler(Some(Arc::new(|e: &mut Event| {
//!         if let Event::MessageIn(m) = e {
//!             println!("{}: {}", m.topic, String::from_utf8_lossy(&m.message));
//!         }
//!     })));
//!     client.connect_to("127.0.0.1", 1883)?;
//!     client.subscribe("sensors/#", 1)?;
//!     let options = PublishOptions { qos: 1, ..PublishOptions::default() };
//!     let acked = client.publish_with("sensors/t1", "21.5", &options)?.wait()?;
//!     println!("PUBACK reason {}", acked.reason_code);
//!     client.do_events()?; // handlers run here (and inside blocking calls)
//!     client.disconnect()
//! }
//! ```

#![deny(missing_docs)]

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
