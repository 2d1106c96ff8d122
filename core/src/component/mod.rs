//! Layer 6: the documented `mqtt` class. The only layer that knows the documented names.
//!
//! Methods come in two forms over one implementation. The blocking form waits up to
//! Timeout seconds and fires event handlers on the calling thread while it waits (pull);
//! the `*_async` form returns a `'static` future for faces with their own event loop, which
//! receive events in batches through a notifier (push).
//!
//! This file holds the `Mqtt` handle itself; its methods live in one file per concern:
//! `properties` (the documented properties and `config`), `connect` (Connect, Disconnect,
//! Interrupt, Reset), `subscribe`, `publish`, `ack` (ManualAck), `session` (SaveSession,
//! RestoreSession), `dispatch` (firing events, blocking and async waits), `reconnect`
//! (AutoReconnect), and `transport_props` (SSL*, Firewall). Behind the handle: `shared` (what API threads and
//! the connection task share), `state` (the part of it under one lock), `sink` (the task
//! reporting in) and `ended` (what happens when a connection ends, whichever way).

mod ack;
pub mod certificate;
mod completion;
pub mod config;
mod connect;
mod delivery;
mod dispatch;
mod ended;
pub mod event;
pub mod fire;
pub mod firewall;
mod items;
mod message;
mod observer;
mod properties;
mod props;
mod publish;
mod publish_options;
mod queue;
mod reconnect;
mod request;
mod session;
mod session_file;
pub(crate) mod session_json;
mod shared;
mod sink;
mod state;
mod subscribe;
mod transport_options;
mod transport_props;

use crate::codec::QoS;
use crate::error::{code, Error, Result};
pub use delivery::{Delivered, Delivery};
use event::Event;
pub use message::MqttMessage;
pub use publish_options::PublishOptions;
use shared::Shared;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Called for each event on the thread that dispatches it (pull mode: the thread inside a
/// blocking method or `do_events`). The handler may call any method of the same client.
pub type EventHandler = Arc<dyn Fn(&mut Event) + Send + Sync>;

/// Push mode: called from an engine thread whenever events become available. It must not
/// block; the face then schedules `take_events` on its own thread (JS thread, asyncio loop).
pub type EventNotifier = Arc<dyn Fn() + Send + Sync>;

/// Asked, on the thread that waits inside a blocking method or `do_events`, at least every
/// [`WAIT_CHECK_EVERY`] while it waits; returning true ends a blocking method with 301 as
/// `interrupt` would, and a `do_events` with 301 leaving the connection as it is. It lets a face notice what only the waiting thread can see (Python's Ctrl-C, a C
/// program's signal flag) without waiting out Timeout.
pub type WaitCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// How often a waiting thread asks its [`WaitCheck`].
pub const WAIT_CHECK_EVERY: Duration = Duration::from_millis(50);

/// One MQTT client: the documented class. Cheap to clone (a handle); all methods take
/// `&self` and may be called from several threads. The connection ends when the last
/// handle is dropped.
///
/// Events (messages received, acknowledgements, connection changes) reach the handler set
/// with [`Mqtt::set_event_handler`]; they fire inside [`Mqtt::do_events`] and inside every
/// blocking call, on the calling thread. Methods with a Timeout (seconds, the `timeout`
/// property; 0 makes them return at once) wait for the server's answer; the `_async` forms
/// are futures instead. Errors carry the documented numeric [`Error::code`].
///
/// ```no_run
/// use ferromq::{Event, Mqtt};
/// use std::sync::Arc;
///
/// # fn main() -> ferromq::Result<()> {
/// let client = Mqtt::new();
/// client.set_version(1)?; // MQTT 5.0
/// client.set_event_handler(Some(Arc::new(|e: &mut Event| {
///     if let Event::MessageIn(m) = e {
///         println!("{}: {}", m.topic, String::from_utf8_lossy(&m.message));
///     }
/// })));
/// client.connect_to("127.0.0.1", 1883)?;
/// client.subscribe("sensors/#", 1)?;
/// client.publish_message("sensors/t1", 1, "21.5")?;
/// client.do_events()?;
/// client.disconnect()?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Mqtt {
    handle: Arc<Handle>,
}

/// A handle that does not keep the client alive; for handlers that need to call back into
/// their own client without creating a reference cycle.
#[derive(Clone)]
pub struct WeakMqtt {
    handle: Weak<Handle>,
}

impl WeakMqtt {
    /// The client, if a handle to it still exists.
    pub fn upgrade(&self) -> Option<Mqtt> {
        self.handle.upgrade().map(|handle| Mqtt { handle })
    }
}

struct Handle {
    shared: Arc<Shared>,
    /// False for the handle AutoReconnect works through: dropping that one must not end
    /// the client.
    owning: bool,
}

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.owning {
            return;
        }
        let conn = {
            let mut st = self.shared.state.lock();
            st.dropped = true;
            st.reconnect.disarm();
            st.link.conn.clone()
        };
        if let Some((engine, _)) = conn {
            engine.abort();
        }
        let mut hooks = self.shared.hooks.write();
        hooks.handler = None;
        hooks.notifier = None;
    }
}

impl Default for Mqtt {
    fn default() -> Self {
        Self::new()
    }
}

pub(crate) fn qos_from(qos: i32) -> Result<QoS> {
    u8::try_from(qos)
        .ok()
        .and_then(QoS::from_u8)
        .ok_or_else(|| {
            Error::new(
                code::INVALID_QOS,
                format!("QoS {qos} is not valid: use 0, 1 or 2"),
            )
        })
}

pub(crate) fn not_connected() -> Error {
    Error::new(code::CONNECT_FIRST, "not connected: call Connect first")
}

impl Mqtt {
    /// A new, unconnected client with every property and setting at its default
    /// (MQTT 3.1.1, RemotePort 1883, Timeout 60 seconds).
    pub fn new() -> Mqtt {
        Mqtt {
            handle: Arc::new(Handle {
                shared: Arc::new(Shared::new()),
                owning: true,
            }),
        }
    }

    /// A handle on `shared` that does not own the client (see `Handle::owning`).
    fn borrowed(shared: Arc<Shared>) -> Mqtt {
        Mqtt {
            handle: Arc::new(Handle {
                shared,
                owning: false,
            }),
        }
    }

    /// A handle that does not keep the client alive (see [`WeakMqtt`]).
    pub fn downgrade(&self) -> WeakMqtt {
        WeakMqtt {
            handle: Arc::downgrade(&self.handle),
        }
    }

    fn sh(&self) -> &Arc<Shared> {
        &self.handle.shared
    }
}
