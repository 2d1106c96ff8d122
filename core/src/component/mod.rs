//! Layer 6: the documented `mqtt` class. The only layer that knows the documented names.
//!
//! CONTRACT SKELETON: these signatures are what the C, Python and Node faces bind to.
//! Bodies are being written; faces must not depend on anything not listed here.

pub mod event;

use crate::error::Result;
use bytes::Bytes;
use event::Event;
use std::future::Future;
use std::sync::Arc;

/// Called for each event on the thread that dispatches it (pull mode: the thread inside a
/// blocking method or `do_events`). The handler may call any method of the same client.
pub type EventHandler = Arc<dyn Fn(&mut Event) + Send + Sync>;

/// Push mode: called from an engine thread whenever events become available. It must not
/// block; the face then schedules `take_events` on its own thread (JS thread, asyncio loop).
pub type EventNotifier = Arc<dyn Fn() + Send + Sync>;

/// One MQTT client: the documented class. Cheap to clone (a handle); all methods take
/// `&self` and may be called from several threads. The connection ends when the last
/// handle is dropped.
#[derive(Clone)]
pub struct Mqtt {
    _inner: Arc<()>,
}

impl Default for Mqtt {
    fn default() -> Self {
        Self::new()
    }
}

#[allow(unused_variables)]
impl Mqtt {
    pub fn new() -> Mqtt {
        unimplemented!()
    }

    // ---- properties (issue 2 subset; more land with the class issues) ----
    pub fn client_id(&self) -> String { unimplemented!() }
    pub fn set_client_id(&self, v: &str) -> Result<()> { unimplemented!() }
    pub fn clean_session(&self) -> bool { unimplemented!() }
    pub fn set_clean_session(&self, v: bool) -> Result<()> { unimplemented!() }
    pub fn keep_alive_interval(&self) -> i32 { unimplemented!() }
    pub fn set_keep_alive_interval(&self, v: i32) -> Result<()> { unimplemented!() }
    pub fn user(&self) -> String { unimplemented!() }
    pub fn set_user(&self, v: &str) -> Result<()> { unimplemented!() }
    pub fn password(&self) -> String { unimplemented!() }
    pub fn set_password(&self, v: &str) -> Result<()> { unimplemented!() }
    /// 0 = MQTT 3.1.1 (default), 1 = MQTT 5.0.
    pub fn version(&self) -> i32 { unimplemented!() }
    pub fn set_version(&self, v: i32) -> Result<()> { unimplemented!() }
    pub fn remote_host(&self) -> String { unimplemented!() }
    pub fn set_remote_host(&self, v: &str) -> Result<()> { unimplemented!() }
    pub fn remote_port(&self) -> i32 { unimplemented!() }
    pub fn set_remote_port(&self, v: i32) -> Result<()> { unimplemented!() }
    /// Seconds; 0 = methods return at once and results arrive as events.
    pub fn timeout(&self) -> i32 { unimplemented!() }
    pub fn set_timeout(&self, v: i32) -> Result<()> { unimplemented!() }
    pub fn connected(&self) -> bool { unimplemented!() }
    /// true = connect(), false = disconnect().
    pub fn set_connected(&self, v: bool) -> Result<()> { unimplemented!() }

    /// `config("Name")` reads a setting, `config("Name=Value")` writes it (returns "").
    pub fn config(&self, setting: &str) -> Result<String> { unimplemented!() }

    // ---- blocking methods: wait up to Timeout seconds, firing handlers on this thread ----
    pub fn connect(&self) -> Result<()> { unimplemented!() }
    pub fn connect_to(&self, host: &str, port: i32) -> Result<()> { unimplemented!() }
    pub fn disconnect(&self) -> Result<()> { unimplemented!() }
    /// `topic_filter` holds one or more filters separated by TopicDelimiter (",").
    pub fn subscribe(&self, topic_filter: &str, qos: i32) -> Result<()> { unimplemented!() }
    pub fn unsubscribe(&self, topic_filter: &str) -> Result<()> { unimplemented!() }
    pub fn publish_message(&self, topic: &str, qos: i32, message: &str) -> Result<()> { unimplemented!() }
    pub fn publish_data(&self, topic: &str, qos: i32, data: impl Into<Bytes>) -> Result<()> { unimplemented!() }
    /// Fires every pending event; when none is pending waits briefly for one.
    pub fn do_events(&self) -> Result<()> { unimplemented!() }

    // ---- async methods: for the push faces (Node, Python asyncio). Input is validated
    // before the future is returned's first poll; the future is 'static and Send. ----
    pub fn connect_async(&self) -> impl Future<Output = Result<()>> + Send + 'static { async { unimplemented!() } }
    pub fn connect_to_async(&self, host: &str, port: i32) -> impl Future<Output = Result<()>> + Send + 'static { async { unimplemented!() } }
    pub fn disconnect_async(&self) -> impl Future<Output = Result<()>> + Send + 'static { async { unimplemented!() } }
    pub fn subscribe_async(&self, topic_filter: &str, qos: i32) -> impl Future<Output = Result<()>> + Send + 'static { async { unimplemented!() } }
    pub fn unsubscribe_async(&self, topic_filter: &str) -> impl Future<Output = Result<()>> + Send + 'static { async { unimplemented!() } }
    pub fn publish_data_async(&self, topic: &str, qos: i32, data: Bytes) -> impl Future<Output = Result<()>> + Send + 'static { async { unimplemented!() } }

    // ---- events ----
    /// Pull mode handler (None removes it).
    pub fn set_event_handler(&self, handler: Option<EventHandler>) { unimplemented!() }
    /// Push mode: switch to push delivery; `notifier` is called when events are pending.
    pub fn set_event_notifier(&self, notifier: Option<EventNotifier>) { unimplemented!() }
    /// Push mode: take up to `max` pending events (the visible state moves in step).
    pub fn take_events(&self, max: usize) -> Vec<Event> { unimplemented!() }
}
