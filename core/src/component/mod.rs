//! Layer 6: the documented `mqtt` class. The only layer that knows the documented names.
//!
//! Methods come in two forms over one implementation. The blocking form waits up to
//! Timeout seconds and fires event handlers on the calling thread while it waits (pull);
//! the `*_async` form returns a `'static` future for faces with their own event loop, which
//! receive events in batches through a notifier (push).

pub mod certificate;
mod completion;
pub mod config;
pub mod event;
pub mod fire;
pub mod firewall;
mod items;
mod message;
mod observer;
mod props;
mod queue;
mod reconnect;
mod session_file;
pub(crate) mod session_json;
mod shared;
mod transport_options;
mod transport_props;

use crate::codec::{Properties, Protocol, QoS, SubscribeFilter, Will};
use crate::driver::{self, ConnectParams, Engine};
use crate::error::{code, Error, Result};
use crate::protocol::{Connection, ConnectionConfig};
use bytes::Bytes;
use completion::Completion;
use event::{ErrorEvent, Event};
pub use message::MqttMessage;
use shared::{Ack, ConnSink, Phase, Shared};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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

/// How long one turn of firing handlers may last before the dispatching thread looks at
/// its own deadline again (a handler's own time aside: it is never cut short). Without a
/// bound, a server that sends faster than the handlers run keeps the thread firing for
/// ever: `do_events` never returns and a Timeout is never honoured.
const DISPATCH_SLICE: Duration = Duration::from_millis(100);

/// Bytes of encoded packets that may wait for the socket before a non-blocking publish
/// reports "would block" and a blocking one waits.
const SEND_BUFFER_LIMIT: usize = 4 * 1024 * 1024;

/// The largest packet MQTT can express (a 4-byte remaining length plus the fixed header).
const MAX_PACKET: u32 = 268_435_460;

/// How long `do_events` waits for an event when none is pending.
const DO_EVENTS_WAIT: Duration = Duration::from_millis(100);

/// One MQTT client: the documented class. Cheap to clone (a handle); all methods take
/// `&self` and may be called from several threads. The connection ends when the last
/// handle is dropped.
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
        self.shared.dropped.store(true, Ordering::SeqCst);
        self.shared.reconnect.lock().disarm();
        let conn = self.shared.link.lock().conn.clone();
        if let Some((engine, _)) = conn {
            engine.abort();
        }
        *self.shared.handler.write() = None;
        *self.shared.notifier.write() = None;
    }
}

impl Default for Mqtt {
    fn default() -> Self {
        Self::new()
    }
}

fn qos_from(qos: i32) -> Result<QoS> {
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

fn not_connected() -> Error {
    Error::new(code::CONNECT_FIRST, "not connected: call Connect first")
}

fn locked(code: i32, what: &str) -> Error {
    Error::new(
        code,
        format!("{what} cannot be changed while connected or connecting"),
    )
}

impl Mqtt {
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

    pub fn downgrade(&self) -> WeakMqtt {
        WeakMqtt {
            handle: Arc::downgrade(&self.handle),
        }
    }

    fn sh(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    fn busy(&self) -> bool {
        self.sh().link.lock().phase != Phase::Idle
    }

    /// Set a property that CONNECT carries: refused while a connection exists.
    fn set_connect_prop(
        &self,
        err_code: i32,
        what: &str,
        f: impl FnOnce(&mut props::Props),
    ) -> Result<()> {
        if self.busy() {
            return Err(locked(err_code, what));
        }
        f(&mut self.sh().props.lock());
        Ok(())
    }

    // ---- properties ----

    pub fn client_id(&self) -> String {
        self.sh().props.lock().client_id.clone()
    }
    pub fn set_client_id(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "ClientId", |p| p.client_id = v.to_string())
    }
    pub fn clean_session(&self) -> bool {
        self.sh().props.lock().clean_session
    }
    pub fn set_clean_session(&self, v: bool) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "CleanSession", |p| p.clean_session = v)
    }
    pub fn keep_alive_interval(&self) -> i32 {
        self.sh().props.lock().keep_alive_interval
    }
    pub fn set_keep_alive_interval(&self, v: i32) -> Result<()> {
        if !(0..=65535).contains(&v) {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("KeepAliveInterval {v} is out of range: use 0..=65535 seconds"),
            ));
        }
        self.set_connect_prop(code::BAD_STATE, "KeepAliveInterval", |p| {
            p.keep_alive_interval = v
        })
    }
    pub fn user(&self) -> String {
        self.sh().props.lock().user.clone()
    }
    pub fn set_user(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "User", |p| p.user = v.to_string())
    }
    pub fn password(&self) -> String {
        self.sh().props.lock().password.clone()
    }
    pub fn set_password(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "Password", |p| p.password = v.to_string())
    }
    /// 0 = MQTT 3.1.1 (default), 1 = MQTT 5.0.
    pub fn version(&self) -> i32 {
        self.sh().props.lock().version
    }
    pub fn set_version(&self, v: i32) -> Result<()> {
        if !(0..=1).contains(&v) {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("Version {v} is not valid: use 0 (MQTT 3.1.1) or 1 (MQTT 5.0)"),
            ));
        }
        self.set_connect_prop(code::BAD_STATE, "Version", |p| p.version = v)
    }
    pub fn remote_host(&self) -> String {
        self.sh().props.lock().remote_host.clone()
    }
    pub fn set_remote_host(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::REMOTE_HOST_LOCKED, "RemoteHost", |p| {
            p.remote_host = v.to_string()
        })
    }
    pub fn remote_port(&self) -> i32 {
        self.sh().props.lock().remote_port
    }
    pub fn set_remote_port(&self, v: i32) -> Result<()> {
        check_port(v)?;
        self.set_connect_prop(code::REMOTE_PORT_LOCKED, "RemotePort", |p| {
            p.remote_port = v
        })
    }
    /// Seconds; 0 = methods return at once and results arrive as events.
    pub fn timeout(&self) -> i32 {
        self.sh().props.lock().timeout
    }
    pub fn set_timeout(&self, v: i32) -> Result<()> {
        if v < 0 {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("Timeout {v} is negative: use 0 (non-blocking) or a number of seconds"),
            ));
        }
        self.sh().props.lock().timeout = v;
        Ok(())
    }
    pub fn connected(&self) -> bool {
        self.sh().connected.load(Ordering::SeqCst)
    }
    /// true = connect(), false = disconnect().
    pub fn set_connected(&self, v: bool) -> Result<()> {
        if v {
            self.connect()
        } else {
            self.disconnect()
        }
    }
    pub fn will_topic(&self) -> String {
        self.sh().props.lock().will_topic.clone()
    }
    pub fn set_will_topic(&self, v: &str) -> Result<()> {
        if !v.is_empty() {
            crate::topic::validate_topic_name(v)?;
        }
        self.set_connect_prop(code::BAD_STATE, "WillTopic", |p| {
            p.will_topic = v.to_string()
        })
    }
    pub fn will_message(&self) -> String {
        self.sh().props.lock().will_message.clone()
    }
    pub fn set_will_message(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "WillMessage", |p| {
            p.will_message = v.to_string()
        })
    }

    /// LocalHost: while connected, the address the connection uses; otherwise the
    /// interface to bind before connecting ("" lets the system choose).
    pub fn local_host(&self) -> String {
        let p = self.sh().props.lock();
        match p.cfg.bound {
            Some(a) => a.ip().to_string(),
            None => p.cfg.transport.local_host.clone(),
        }
    }
    pub fn set_local_host(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::LOCAL_HOST_LOCKED, "LocalHost", |p| {
            p.cfg.transport.local_host = v.trim().to_string()
        })
    }
    /// LocalPort: while connected, the port the connection uses; otherwise the port to bind
    /// (0 lets the system choose).
    pub fn local_port(&self) -> i32 {
        let p = self.sh().props.lock();
        match p.cfg.bound {
            Some(a) => a.port() as i32,
            None => p.cfg.transport.local_port,
        }
    }
    pub fn set_local_port(&self, v: i32) -> Result<()> {
        if !(0..=65535).contains(&v) {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("LocalPort {v} is out of range: use 0 (any) or 1..=65535"),
            ));
        }
        self.set_connect_prop(code::LOCAL_PORT_LOCKED, "LocalPort", |p| {
            p.cfg.transport.local_port = v
        })
    }
    /// True while connected and no publish is waiting for the send buffer to drain (a
    /// would-block error clears it; the ReadyToSend event sets it again).
    pub fn ready_to_send(&self) -> bool {
        self.connected() && !self.sh().would_block.load(Ordering::SeqCst)
    }
    /// IncomingMessages: QoS 1/2 messages from the server not fully acknowledged yet, in
    /// the order they arrived, as the events handed out so far describe them.
    pub fn incoming_messages(&self) -> Vec<MqttMessage> {
        self.sh()
            .mirror
            .lock()
            .incoming
            .iter()
            .map(MqttMessage::from)
            .collect()
    }
    /// OutgoingMessages: our QoS 1/2 messages not fully acknowledged yet.
    pub fn outgoing_messages(&self) -> Vec<MqttMessage> {
        self.sh()
            .mirror
            .lock()
            .outgoing
            .iter()
            .map(MqttMessage::from)
            .collect()
    }

    /// `config("Name")` reads a setting, `config("Name=Value")` writes it (returns "").
    pub fn config(&self, setting: &str) -> Result<String> {
        if let Some((name, _)) = setting.split_once('=') {
            // The settings behind the socket of a live connection, as the properties are.
            let guarded = [
                ("LocalHost", code::LOCAL_HOST_LOCKED),
                ("LocalPort", code::LOCAL_PORT_LOCKED),
                ("MaxLineLength", code::MAX_LINE_LENGTH_LOCKED),
            ];
            if let Some((what, err)) = guarded
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            {
                if self.busy() {
                    return Err(locked(*err, what));
                }
            }
        }
        let (r, custom) = {
            let mut p = self.sh().props.lock();
            let r = config::apply(&mut p.cfg, setting)?;
            self.sh()
                .log_level
                .store(p.cfg.log_level, Ordering::Relaxed);
            (r, p.cfg.custom_packet.take())
        };
        // A LogLevel change reaches a live connection too, not only the next one.
        let link = self.sh().link.lock().conn.clone();
        if let Some((engine, _)) = link {
            let level = self.sh().log_level.load(Ordering::Relaxed);
            engine
                .state
                .lock()
                .conn
                .set_log_level(level.clamp(0, 3) as u8);
        }
        if let Some(bytes) = custom {
            self.send_custom_packet(bytes)?;
        }
        Ok(r)
    }

    /// SendCustomPacket: the bytes go to the socket as they are, after whatever is queued.
    fn send_custom_packet(&self, bytes: Vec<u8>) -> Result<()> {
        let (engine, _) = self.connected_link().map_err(|_| {
            Error::new(
                code::CONNECT_FIRST,
                "SendCustomPacket needs a connection: connect first",
            )
        })?;
        engine.write_raw(&bytes);
        self.sh().log(
            2,
            "Packet",
            format!("sent a custom packet of {} bytes", bytes.len()),
        );
        Ok(())
    }

    /// Interrupt: end the blocking call in progress (on any thread, or the one whose
    /// handler calls this) with 301, and disconnect. Returns at once.
    pub fn interrupt(&self) -> Result<()> {
        let sh = self.sh();
        sh.interrupts.fetch_add(1, Ordering::SeqCst);
        sh.interrupt_notify.notify_waiters();
        sh.stop_reconnecting(code::INTERRUPTED, "discarded by Interrupt or Reset");
        // A connection that is up is closed with DISCONNECT (no will); an attempt that is
        // not up yet is abandoned. Either way the client is free again at once.
        self.detach(code::INTERRUPTED, "interrupted");
        sh.queue.wake_all();
        sh.announce();
        Ok(())
    }

    /// End the current connection now, without waiting for its task: a connection that is
    /// up gets DISCONNECT (the task, no longer current, writes it and closes), an attempt
    /// is aborted. The events and completions a finished connection gives are given here,
    /// so the client can connect again straight away.
    fn detach(&self, failure_code: i32, why: &str) {
        let sh = self.sh();
        let conn = sh.link.lock().conn.clone();
        let Some((engine, sink)) = conn else {
            return;
        };
        let was_connected = sh.connected.load(Ordering::SeqCst);
        if was_connected {
            let (reason, props) = {
                let p = sh.props.lock();
                (
                    p.cfg.disconnect_reason,
                    config::disconnect_properties(&p.cfg),
                )
            };
            engine.with(&*sink, |c, now| c.disconnect(now, reason, props));
        } else {
            engine.abort();
        }
        let session = engine.state.lock().conn.end_and_take_session();
        sh.keep_session(session);
        let mut link = sh.link.lock();
        // The task may have finished (and reported) on its own meanwhile.
        let still_ours = matches!(&link.conn, Some((e, _)) if Arc::ptr_eq(e, &engine));
        if !still_ours || link.generation != sink.generation {
            return;
        }
        // The task's later reports are for an old generation and are ignored; the next
        // connection waits for it to end (its DISCONNECT must reach the server first).
        link.closing = Some(sink.ended.clone());
        link.generation = sh.next_generation();
        link.phase = shared::Phase::Idle;
        link.conn = None;
        sh.connected.store(false, Ordering::SeqCst);
        sh.drained.notify_waiters();
        let description = format!("the connection was closed: {why}");
        if was_connected {
            if link.transport_up {
                sh.push_event(Event::ConnectionStatus(event::ConnectionStatusEvent {
                    connection_event: "Remote host disconnected".into(),
                    status_code: 0,
                    description: description.clone(),
                }));
            }
            sh.push_event(Event::Disconnected(event::DisconnectedEvent {
                status_code: 0,
                description: description.clone(),
            }));
        } else {
            sh.push_event(Event::Connected(event::ConnectedEvent {
                status_code: failure_code,
                description: description.clone(),
            }));
        }
        let failure = Error::new(failure_code, description);
        link.release(failure);
        sh.props.lock().cfg.bound = None;
    }

    /// Reset: disconnect (without waiting) and put every property and setting back to its
    /// default. Event handlers stay registered: they are not properties.
    pub fn reset(&self) -> Result<()> {
        let sh = self.sh();
        sh.interrupts.fetch_add(1, Ordering::SeqCst);
        sh.interrupt_notify.notify_waiters();
        sh.stop_reconnecting(code::INTERRUPTED, "discarded by Interrupt or Reset");
        self.detach(code::INTERRUPTED, "Reset");
        // OutgoingMessages and IncomingMessages are properties too: their default is empty.
        // What they held is said to be dropped, not dropped silently.
        let session = sh.session.lock().take();
        let dropped = session.map_or(0, |s| s.outgoing().len() + s.incoming().len());
        sh.mirror.lock().clear();
        if dropped > 0 {
            sh.push_event(Event::Error(ErrorEvent {
                error_code: code::INTERRUPTED,
                description: format!(
                    "Reset discarded {dropped} message(s) not completely acknowledged"
                ),
            }));
        }
        *sh.props.lock() = props::Props::default();
        sh.log_level
            .store(props::Props::default().cfg.log_level, Ordering::Relaxed);
        sh.would_block.store(false, Ordering::SeqCst);
        sh.waiting_for_room.store(false, Ordering::SeqCst);
        sh.queue.wake_all();
        Ok(())
    }

    /// SaveSession: the client-side session (unacknowledged QoS 1/2 messages both ways,
    /// their packet ids and states) as text; also written to SessionStateFile when set.
    pub fn save_session(&self) -> Result<String> {
        let sh = self.sh();
        let live = sh.link.lock().conn.clone();
        let state = match live {
            Some((engine, _)) => engine.state.lock().conn.session(),
            None => sh.session.lock().clone().unwrap_or_default(),
        };
        let text = state.to_text();
        let file = sh.props.lock().cfg.session_state_file.clone();
        if !file.is_empty() {
            session_file::write(&file, &text, true)?;
        }
        sh.log(
            1,
            "Session",
            format!(
                "session saved: {} outgoing and {} incoming message(s){}",
                state.outgoing().len(),
                state.incoming().len(),
                if file.is_empty() {
                    String::new()
                } else {
                    format!(" to {file}")
                }
            ),
        );
        Ok(text)
    }

    /// RestoreSession: load a saved session (from SessionStateFile when set, else from
    /// `state`) for the next Connect, and set CleanSession false. Bad or missing data is an
    /// error and loads nothing.
    pub fn restore_session(&self, state: &str) -> Result<()> {
        let sh = self.sh();
        if self.busy() {
            return Err(Error::new(
                code::BAD_STATE,
                "RestoreSession must be called before Connect: the session is loaded into the next connection",
            ));
        }
        let file = sh.props.lock().cfg.session_state_file.clone();
        let text = if file.is_empty() {
            state.to_string()
        } else {
            session_file::read(&file)?
        };
        let session = crate::protocol::SessionState::from_text(&text)?;
        sh.log(
            1,
            "Session",
            format!(
                "session restored: {} outgoing and {} incoming message(s)",
                session.outgoing().len(),
                session.incoming().len()
            ),
        );
        {
            let mut mirror = sh.mirror.lock();
            mirror.clear();
            mirror.incoming = session.incoming().into();
            mirror.outgoing = session.outgoing().into();
        }
        {
            let mut p = sh.props.lock();
            p.clean_session = false;
            p.cfg.session_publish_count = session.published();
            if !file.is_empty() {
                p.session_file_owned = file;
            }
        }
        *sh.session.lock() = Some(session);
        Ok(())
    }

    // ---- connecting ----

    fn start_connect(&self) -> Result<Completion> {
        let sh = self.sh();
        let mut link = sh.link.lock();
        match link.phase {
            Phase::Connected => {
                return Err(Error::new(
                    code::ALREADY_CONNECTED,
                    "already connected: call Disconnect first",
                ))
            }
            Phase::Connecting => {
                return Err(Error::new(
                    code::ALREADY_CONNECTING,
                    "a connection attempt is already in progress",
                ))
            }
            Phase::Idle => {}
        }
        let (config, params, log_level, autosave) = {
            let mut p = sh.props.lock();
            if p.remote_host.is_empty() {
                return Err(Error::new(
                    code::INVALID_ADDRESS,
                    "RemoteHost is empty: set it, or call ConnectTo with a host",
                ));
            }
            check_port(p.remote_port)?;
            // A 5.0 server assigns an id itself (Assigned Client Identifier, then shown by
            // ClientId and used by the next connection), with or without a session. A 3.1.1
            // server must refuse an empty id with CleanSession false, and need not accept one
            // at all, so there we make one for a clean session and refuse the other case.
            if p.client_id.is_empty() && p.version != 1 {
                if !p.clean_session {
                    return Err(Error::new(
                        code::INVALID_ARGUMENT,
                        "ClientId is empty while CleanSession is false: under MQTT 3.1.1 a stored session needs a client id (set ClientId, or use Version 1 for MQTT 5.0, where the server assigns one)",
                    ));
                }
                p.client_id = generate_client_id();
            }
            let protocol = if p.version == 1 {
                Protocol::V5
            } else {
                Protocol::V311
            };
            // 3.1.1 has no way to send a password without a user name (the flags would be
            // invalid), so say so here instead of sending a CONNECT the server must refuse.
            if protocol == Protocol::V311 && p.user.is_empty() && !p.password.is_empty() {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    "Password is set but User is empty: MQTT 3.1.1 cannot send a password without a user name (set User, or use Version 1 for MQTT 5.0)",
                ));
            }
            let will = (!p.will_topic.is_empty()).then(|| Will {
                topic: p.will_topic.clone(),
                payload: Bytes::from(p.will_message.clone().into_bytes()),
                qos: QoS::from_u8(p.cfg.will_qos as u8).unwrap_or(QoS::AtMostOnce),
                retain: p.cfg.will_retain,
                properties: config::will_properties(&p.cfg),
            });
            let config = ConnectionConfig {
                protocol,
                client_id: p.client_id.clone(),
                clean_session: p.clean_session,
                keep_alive: p.keep_alive_interval as u16,
                username: (!p.user.is_empty()).then(|| p.user.clone()),
                password: (!p.password.is_empty())
                    .then(|| Bytes::from(p.password.clone().into_bytes())),
                will,
                connect_properties: config::connect_properties(&p.cfg),
                republish_interval: (protocol == Protocol::V311 && p.cfg.republish_interval > 0)
                    .then(|| Duration::from_secs(p.cfg.republish_interval as u64)),
                // What we accept: ConnectProperties' MaximumPacketSize when the application
                // set one (5.0 only; 3.1.1 has no way to announce it).
                max_inflight: p.cfg.max_inflight,
                max_outgoing: p.cfg.max_outgoing,
                max_packet_size: if protocol == Protocol::V5 {
                    config::connect_properties(&p.cfg)
                        .maximum_packet_size
                        .unwrap_or(MAX_PACKET)
                        .min(p.cfg.max_incoming_packet)
                } else {
                    p.cfg.max_incoming_packet
                },
            };
            let connect_secs = if p.cfg.connection_timeout > 0 {
                p.cfg.connection_timeout
            } else {
                p.timeout
            };
            p.cfg.session_present = false;
            config::forget_server_disconnect(&mut p.cfg);
            let (target, options) = transport_options::build(&p)?;
            // SSLServerCert and the SSLNegotiated* values describe the last connection
            // only: each attempt starts without them.
            p.ssl_server_cert = certificate::Certificate::default();
            p.cfg.negotiated = None;
            let params = ConnectParams {
                target,
                options: Box::new(options),
                observer: Arc::new(observer::Observer { shared: sh.clone() }),
                connect_timeout: (connect_secs > 0)
                    .then(|| Duration::from_secs(connect_secs as u64)),
            };
            let autosave = (p.cfg.session_auto_save > 0).then(|| {
                (
                    p.cfg.session_state_file.clone(),
                    p.cfg.session_auto_save == 2,
                    p.session_file_owned.clone(),
                )
            });
            (config, params, p.cfg.log_level, autosave)
        };
        // The client-side session (restored, or left by the last connection) goes into the
        // new connection, which resends or republishes it once CONNACK says what the server
        // kept.
        let autosave = match autosave {
            Some((file, sync, owned)) => {
                let carried = sh.session.lock().is_some();
                let a = session_file::auto_save(&file, sync, owned == file || carried)?;
                sh.props.lock().session_file_owned = file;
                Some(a)
            }
            None => None,
        };
        let session = sh.session.lock().take();
        let mut conn = match session {
            Some(s) => Connection::with_session(config, s),
            None => Connection::new(config),
        };
        conn.set_log_level(log_level.clamp(0, 3) as u8);
        let (in_flight_in, in_flight_out) = (conn.incoming(), conn.outgoing());
        let engine = Arc::new(Engine::new(conn, SEND_BUFFER_LIMIT, autosave));
        let generation = sh.next_generation();
        let sink = Arc::new(ConnSink {
            shared: sh.clone(),
            generation,
            ended: Completion::new(),
        });
        let before = link.closing.take().filter(|c| !c.is_done());
        let done = Completion::new();
        link.phase = Phase::Connecting;
        link.generation = generation;
        link.conn = Some((engine.clone(), sink.clone()));
        link.connect = Some(done.clone());
        link.close = None;
        link.transport_up = false;
        {
            // The collections start from what the session carried in.
            let mut mirror = sh.mirror.lock();
            mirror.clear();
            mirror.incoming = in_flight_in.into();
            mirror.outgoing = in_flight_out.into();
        }
        drop(link);
        sh.log(
            1,
            "Info",
            format!(
                "connecting to {}:{}",
                params.target.host_for_url(),
                params.target.port
            ),
        );
        let before = before.map(|c| {
            Box::pin(async move {
                let _ = c.await;
            }) as std::pin::Pin<Box<dyn Future<Output = ()> + Send>>
        });
        driver::spawn_after(engine, sink, params, before);
        Ok(done)
    }

    fn abort_connection(&self) {
        let conn = self.sh().link.lock().conn.clone();
        if let Some((engine, _)) = conn {
            engine.abort();
        }
    }

    pub fn connect(&self) -> Result<()> {
        let done = self.start_connect()?;
        self.finish_blocking(&done, "connecting", true)
    }

    pub fn connect_to(&self, host: &str, port: i32) -> Result<()> {
        self.check_not_connected()?;
        self.set_target(host, port)?;
        self.connect()
    }

    /// ConnectTo on a client that is connected or connecting fails as Connect would (104,
    /// 1105), not with the RemoteHost lock that setting the target would hit first.
    fn check_not_connected(&self) -> Result<()> {
        match self.sh().link.lock().phase {
            Phase::Connected => Err(Error::new(
                code::ALREADY_CONNECTED,
                "already connected: call Disconnect first",
            )),
            Phase::Connecting => Err(Error::new(
                code::ALREADY_CONNECTING,
                "a connection attempt is already in progress",
            )),
            Phase::Idle => Ok(()),
        }
    }

    fn set_target(&self, host: &str, port: i32) -> Result<()> {
        check_port(port)?;
        self.set_connect_prop(code::ALREADY_CONNECTED, "RemoteHost", |p| {
            p.remote_host = host.to_string();
            p.remote_port = port;
        })
    }

    fn start_disconnect(&self) -> Option<Completion> {
        let sh = self.sh();
        // Ending the connection on purpose also ends AutoReconnect's work.
        sh.stop_reconnecting(code::NOT_CONNECTED, "discarded by Disconnect");
        let (engine, sink, done) = {
            let mut link = sh.link.lock();
            let (engine, sink) = link.conn.clone()?;
            let done = Completion::new();
            link.finished.push(done.clone());
            (engine, sink, done)
        };
        if sh.connected.load(Ordering::SeqCst) {
            let (reason, props) = {
                let p = sh.props.lock();
                (
                    p.cfg.disconnect_reason,
                    config::disconnect_properties(&p.cfg),
                )
            };
            engine.with(&*sink, |c, now| {
                c.disconnect(now, reason, props);
            });
            sh.announce();
        } else {
            engine.abort();
        }
        Some(done)
    }

    pub fn disconnect(&self) -> Result<()> {
        match self.start_disconnect() {
            Some(done) => self.finish_blocking(&done, "disconnecting", true),
            None => Ok(()),
        }
    }

    // ---- subscriptions ----

    fn split_filters(&self, topic_filter: &str) -> Result<Vec<String>> {
        let delim = self.sh().props.lock().cfg.topic_delimiter.clone();
        let filters: Vec<String> = topic_filter
            .split(delim.as_str())
            .map(|f| f.trim_matches(' ').to_string())
            .collect();
        if filters.iter().any(|f| f.is_empty()) {
            return Err(Error::new(
                code::INVALID_TOPIC_FILTER,
                format!("topic filter list \"{topic_filter}\" holds an empty filter"),
            ));
        }
        Ok(filters)
    }

    fn connected_link(&self) -> Result<(Arc<Engine>, Arc<ConnSink>)> {
        let link = self.sh().link.lock();
        match (&link.phase, &link.conn) {
            (Phase::Connected, Some(c)) => Ok(c.clone()),
            _ => Err(not_connected()),
        }
    }

    fn start_subscribe(&self, topic_filter: &str, qos: i32) -> Result<Completion> {
        let filters = self.split_filters(topic_filter)?;
        let qos_list = self.sh().props.lock().cfg.topic_qos_array.clone();
        let qos_list = if qos_list.is_empty() {
            vec![qos_from(qos)? as u8; filters.len()]
        } else if qos_list.len() != filters.len() {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "TopicQOSArray has {} values but \"{topic_filter}\" has {} filters",
                    qos_list.len(),
                    filters.len()
                ),
            ));
        } else {
            qos_list
        };
        for f in &filters {
            crate::topic::validate_topic_filter(f)?;
        }
        let (engine, sink) = self.connected_link()?;
        // Subscription options and the identifier exist only in 5.0.
        let (options, properties) = {
            let p = self.sh().props.lock();
            if p.version == 1 {
                (
                    config::subscribe_options(&p.cfg, filters.len())?,
                    config::subscribe_properties(&p.cfg),
                )
            } else {
                (
                    vec![(false, false, 0); filters.len()],
                    Properties::default(),
                )
            }
        };
        let subs: Vec<SubscribeFilter> = filters
            .into_iter()
            .zip(qos_list)
            .zip(options)
            .map(|((filter, q), (nl, rap, rh))| SubscribeFilter {
                filter,
                qos: QoS::from_u8(q).unwrap_or(QoS::AtMostOnce),
                no_local: nl,
                retain_as_published: rap,
                retain_handling: rh,
            })
            .collect();
        let count = subs.len();
        let done = Completion::new();
        // The ack entry must exist before SUBACK can possibly be handled, so it is added
        // while the engine lock is held by the same call that sends SUBSCRIBE.
        let record = reconnect::SubscribeRecord {
            filters: subs.clone(),
            properties: properties.clone(),
        };
        engine.with(&*sink, |c, now| {
            let id = c.subscribe(now, subs, properties)?;
            self.sh().link.lock().acks.insert(
                id,
                Ack {
                    done: done.clone(),
                    remaining: count,
                    text: topic_filter.to_string(),
                },
            );
            Ok::<_, Error>(())
        })?;
        self.sh().reconnect.lock().subscribed(record);
        self.sh().announce();
        Ok(done)
    }

    /// `topic_filter` holds one or more filters separated by TopicDelimiter (",").
    pub fn subscribe(&self, topic_filter: &str, qos: i32) -> Result<()> {
        let done = self.start_subscribe(topic_filter, qos)?;
        self.finish_blocking(&done, "waiting for SUBACK", false)
    }

    fn start_unsubscribe(&self, topic_filter: &str) -> Result<Completion> {
        let filters = self.split_filters(topic_filter)?;
        for f in &filters {
            crate::topic::validate_topic_filter(f)?;
        }
        let (engine, sink) = self.connected_link()?;
        let done = Completion::new();
        self.sh().reconnect.lock().unsubscribed(&filters);
        engine.with(&*sink, |c, now| {
            let id = c.unsubscribe(now, filters, Properties::default())?;
            self.sh().link.lock().acks.insert(
                id,
                Ack {
                    done: done.clone(),
                    remaining: 1,
                    text: topic_filter.to_string(),
                },
            );
            Ok::<_, Error>(())
        })?;
        self.sh().announce();
        Ok(done)
    }

    pub fn unsubscribe(&self, topic_filter: &str) -> Result<()> {
        let done = self.start_unsubscribe(topic_filter)?;
        self.finish_blocking(&done, "waiting for UNSUBACK", false)
    }

    // ---- publishing ----

    /// `enqueue_publish`, falling back to the reconnection queue when the connection ended
    /// between looking it up and publishing on it.
    fn publish_or_keep(
        &self,
        engine: &Engine,
        sink: &ConnSink,
        topic: &str,
        qos: QoS,
        data: Bytes,
    ) -> Result<()> {
        match self.enqueue_publish(engine, sink, topic, qos, data.clone()) {
            Ok(_) => Ok(()),
            Err(e) if e.code == code::CONNECT_FIRST => {
                self.publish_offline(topic, qos as i32, data, e)
            }
            Err(e) => Err(e),
        }
    }

    /// Hand one PUBLISH to the engine. Returns whether the send buffer is now over its
    /// bound (the message is accepted either way).
    fn enqueue_publish(
        &self,
        engine: &Engine,
        sink: &ConnSink,
        topic: &str,
        qos: QoS,
        data: Bytes,
    ) -> Result<bool> {
        let (retain, dup, properties) = {
            let p = self.sh().props.lock();
            let properties = if p.version == 1 {
                config::publish_properties(&p.cfg)
            } else {
                Properties::default()
            };
            (
                p.cfg.retain,
                p.cfg.duplicate && qos != QoS::AtMostOnce,
                properties,
            )
        };
        // A non-blocking caller is told "would block" and owed ReadyToSend; the flag is set
        // under the engine lock so the writer cannot drain the buffer before it is seen.
        let mark = (self.timeout() == 0).then_some(&self.sh().would_block);
        let (id, over, unsaved) = engine.with_over_limit(sink, mark, |c, now| {
            c.publish(now, topic, qos, data, retain, dup, properties)
                .map(|id| (id, c.published()))
        });
        let (id, published) = id?;
        self.sh().announce();
        {
            let mut p = self.sh().props.lock();
            if id != 0 {
                p.cfg.outgoing_packet_id = id as i32;
            }
            p.cfg.session_publish_count = published;
        }
        if let Some(e) = unsaved {
            return Err(Error::new(
                e.code,
                format!(
                    "the message was accepted and will be sent, but SessionAutoSave could not save it: {}",
                    e.message
                ),
            ));
        }
        Ok(over)
    }

    fn check_publish(&self, topic: &str, qos: i32) -> Result<(QoS, Arc<Engine>, Arc<ConnSink>)> {
        let qos = qos_from(qos)?;
        match self.connected_link() {
            Ok((e, s)) => Ok((qos, e, s)),
            Err(e) => {
                crate::topic::validate_topic_name(topic)?;
                Err(e)
            }
        }
    }

    pub fn publish_message(&self, topic: &str, qos: i32, message: &str) -> Result<()> {
        self.publish_data(topic, qos, Bytes::copy_from_slice(message.as_bytes()))
    }

    pub fn publish_data(&self, topic: &str, qos: i32, data: impl Into<Bytes>) -> Result<()> {
        let data = data.into();
        let (qos, engine, sink) = match self.check_publish(topic, qos) {
            Ok(ok) => ok,
            Err(e) if e.code == code::CONNECT_FIRST => {
                return self.publish_offline(topic, qos, data, e)
            }
            Err(e) => return Err(e),
        };
        let timeout = self.timeout();
        if let Some(full) = engine.full(qos) {
            if timeout == 0 {
                return Err(self.refuse_full(full));
            }
            let e = engine.clone();
            self.block_until(timeout, waiting_for(full), move || e.full(qos).is_none())?;
        }
        let over = match self.enqueue_publish(&engine, &sink, topic, qos, data.clone()) {
            Ok(over) => over,
            // The connection ended between looking it up and publishing on it.
            Err(e) if e.code == code::CONNECT_FIRST => {
                return self.publish_offline(topic, qos as i32, data, e)
            }
            Err(e) => return Err(e),
        };
        if over && timeout == 0 {
            return Err(Error::new(
                code::WOULD_BLOCK,
                "the message was accepted and will be sent, but the send buffer is full: wait for ReadyToSend before publishing more",
            ));
        }
        if timeout > 0 {
            self.dispatch_pending();
        }
        Ok(())
    }

    /// A non-blocking publish found no room: it is not accepted, and ReadyToSend is owed.
    fn refuse_full(&self, full: driver::Full) -> Error {
        // Before `would_block`: a drain in between must not announce room that an
        // acknowledgement has to make.
        if !matches!(full, driver::Full::Bytes(_)) {
            self.sh().waiting_for_room.store(true, Ordering::SeqCst);
        }
        self.sh().would_block.store(true, Ordering::SeqCst);
        Error::new(
            code::WOULD_BLOCK,
            format!("{full}; the message was not accepted: publish again after ReadyToSend"),
        )
    }

    /// A publish while not connected: kept for the next connection when AutoReconnect is
    /// re-establishing one (up to OfflineQueueLimit), otherwise refused with `not_connected`.
    fn publish_offline(
        &self,
        topic: &str,
        qos: i32,
        data: Bytes,
        not_connected: Error,
    ) -> Result<()> {
        let sh = self.sh();
        let (auto, limit, saving) = {
            let p = sh.props.lock();
            (
                p.cfg.auto_reconnect,
                p.cfg.offline_queue_limit,
                p.cfg.session_auto_save > 0,
            )
        };
        let mut r = sh.reconnect.lock();
        if !(auto && r.armed) {
            return Err(not_connected);
        }
        if saving {
            // The reconnection queue lives in memory only; accepting into it would break
            // the promise that an accepted message is in SessionStateFile.
            return Err(Error::new(
                not_connected.code,
                "not connected, and SessionAutoSave is on: a message is accepted only once it is saved with the session, which happens when the reconnection is up; publish again after the Connected event",
            ));
        }
        if r.offline.len() >= limit {
            return Err(Error::new(
                code::NOT_CONNECTED,
                format!(
                    "not connected and {} message(s) already wait for the reconnection (OfflineQueueLimit {limit}): this one was not accepted",
                    r.offline.len()
                ),
            ));
        }
        r.offline.push_back(reconnect::OfflinePublish {
            topic: topic.to_string(),
            qos: qos_from(qos)?,
            data,
        });
        Ok(())
    }

    /// A reconnection succeeded: subscribe again when the server kept no session, then send
    /// what was published while disconnected, in order.
    fn after_reconnect(&self) {
        let sh = self.sh();
        let present = sh.props.lock().cfg.session_present;
        let Ok((engine, sink)) = self.connected_link() else {
            return;
        };
        let subs = if present {
            Vec::new()
        } else {
            sh.reconnect.lock().subscriptions.clone()
        };
        let filters: usize = subs.iter().map(|r| r.filters.len()).sum();
        sh.log(
            1,
            "Reconnect",
            if present {
                "reconnected; the server kept the session".to_string()
            } else {
                format!("reconnected without a session; subscribing again to {filters} filter(s)")
            },
        );
        for rec in subs {
            let sent = engine.with(&*sink, |c, now| {
                c.subscribe(now, rec.filters, rec.properties)
            });
            if let Err(e) = sent {
                sh.push_event(Event::Error(ErrorEvent {
                    error_code: e.code,
                    description: format!(
                        "subscribing again after reconnecting failed: {}",
                        e.message
                    ),
                }));
            }
        }
        let queued = std::mem::take(&mut sh.reconnect.lock().offline);
        if !queued.is_empty() {
            sh.log(
                1,
                "Reconnect",
                format!(
                    "sending {} message(s) published while reconnecting",
                    queued.len()
                ),
            );
        }
        for m in queued {
            if let Err(e) = self.enqueue_publish(&engine, &sink, &m.topic, m.qos, m.data) {
                sh.push_event(Event::Error(ErrorEvent {
                    error_code: e.code,
                    description: format!(
                        "a message published while reconnecting to \"{}\" could not be sent: {}",
                        m.topic, e.message
                    ),
                }));
            }
        }
        sh.announce();
    }

    // ---- events ----

    /// Fires every pending event; when none is pending waits briefly for one.
    ///
    /// Returns after one turn of firing ([`DISPATCH_SLICE`] at most, a handler's own time
    /// aside) even when more keep arriving: the caller's loop stays in control.
    pub fn do_events(&self) -> Result<()> {
        if self.dispatch_pending() == 0 && !self.push_mode() {
            let sh = self.sh();
            let until = Instant::now() + DO_EVENTS_WAIT;
            let started = sh.interrupts.load(Ordering::SeqCst);
            loop {
                let now = Instant::now();
                let check = sh.wait_check.read().clone();
                let step = match &check {
                    Some(_) => until.min(now + WAIT_CHECK_EVERY),
                    None => until,
                };
                sh.queue.wait(Some(step), true, || {
                    sh.interrupts.load(Ordering::SeqCst) != started
                });
                // DoEvents waits for nothing of its own: stopping it ends the wait, and the
                // connection stays as it is (a program catching Ctrl-C in its event loop
                // decides itself whether to disconnect).
                if check.is_some_and(|c| c()) {
                    return Err(Error::new(
                        code::INTERRUPTED,
                        "interrupted while waiting for events",
                    ));
                }
                if Instant::now() >= until
                    || !sh.queue.is_empty()
                    || sh.interrupts.load(Ordering::SeqCst) != started
                {
                    break;
                }
            }
            self.dispatch_pending();
        }
        Ok(())
    }

    /// True while AutoReconnect is re-establishing a lost connection (waiting out its delay
    /// or attempting): the client will connect again by itself. Settled before the event
    /// that reports the loss (Disconnected, or a failed Connected of an attempt) is queued,
    /// so a face that asks while handling that event gets the final answer; false again once
    /// connected, or when reconnecting ends (gave up, Disconnect, Interrupt, Reset).
    pub fn reconnecting(&self) -> bool {
        let sh = self.sh();
        let armed = sh.reconnect.lock().armed;
        armed && sh.link.lock().phase != Phase::Connected
    }

    /// Install (or remove, with None) the check a waiting thread asks; see [`WaitCheck`].
    pub fn set_wait_check(&self, check: Option<WaitCheck>) {
        *self.sh().wait_check.write() = check;
    }

    /// Pull mode handler (None removes it).
    pub fn set_event_handler(&self, handler: Option<EventHandler>) {
        *self.sh().handler.write() = handler;
    }

    /// Push mode: `notifier` is called (from an engine thread, no lock held) when events are
    /// pending; the face then calls `take_events` on its own thread. None returns to pull.
    pub fn set_event_notifier(&self, notifier: Option<EventNotifier>) {
        let has = notifier.is_some();
        *self.sh().notifier.write() = notifier;
        if has && !self.sh().queue.is_empty() {
            let n = self.sh().notifier.read().clone();
            if let Some(n) = n {
                n();
            }
        }
    }

    /// Push mode: take up to `max` pending events, in order. A batch ends after a
    /// MessageAck, so the message is still in its collection while that event is handled.
    pub fn take_events(&self, max: usize) -> Vec<Event> {
        let sh = self.sh();
        let mut out = Vec::new();
        while out.len() < max {
            let Some(item) = sh.queue.pop() else { break };
            let ev = sh.convert(item);
            if let Some(ev) = ev {
                // After an SSLServerAuthentication the batch ends too: the face answers it
                // before anything later is taken (see answer_server_authentication).
                let stop = matches!(ev, Event::MessageAck(_) | Event::SslServerAuthentication(_));
                out.push(ev);
                if stop {
                    break;
                }
            }
        }
        out
    }

    /// The answer to the SSLServerAuthentication event just handled: whether to accept the
    /// server. Pull mode (DoEvents) answers by itself with the handler's `accept`; a face
    /// that fires events on a thread of its own calls this after its handler ran. Only a
    /// certificate that verified, or whose failure was allowed beforehand
    /// (SSLAcceptAnyServerCert, SSLAcceptServerCert), can be accepted.
    pub fn answer_server_authentication(&self, accept: bool) {
        let sh = self.sh();
        let delivered = sh.auth_delivered.load(Ordering::SeqCst);
        let mut pending = sh.auth_answer.lock();
        // An answer to an event of an attempt that is over (or that never waited) is no
        // answer for the handshake waiting now: its own event is still to come.
        if pending.as_ref().is_some_and(|(seq, _)| *seq == delivered) {
            if let Some((_, tx)) = pending.take() {
                let _ = tx.send(accept);
            }
        }
    }

    /// For a consumer that fires events on its own thread (push mode): whether it answers
    /// each SSLServerAuthentication event with `answer_server_authentication`. When on, the
    /// TLS handshake waits for that answer (within the connect timeout); when off (the
    /// default), the event is informational in push mode and the default decision stands.
    pub fn set_push_answers_server_authentication(&self, on: bool) {
        self.sh().push_answers_auth.store(on, Ordering::SeqCst);
    }

    fn push_mode(&self) -> bool {
        self.sh().notifier.read().is_some()
    }

    /// Fire pending events on this thread, unless another thread is already firing them.
    /// Returns how many were fired.
    fn dispatch_pending(&self) -> usize {
        if self.push_mode() {
            return 0;
        }
        let sh = self.sh();
        let Some(_turn) = sh.dispatch.try_lock() else {
            return 0;
        };
        let handler = sh.handler.read().clone();
        let mut fired = 0;
        let until = Instant::now() + DISPATCH_SLICE;
        while fired == 0 || Instant::now() < until {
            let Some(item) = sh.queue.pop() else { break };
            let ev = sh.convert(item);
            if let Some(mut ev) = ev {
                fired += 1;
                if let Some(h) = &handler {
                    h(&mut ev);
                }
                if let Event::SslServerAuthentication(a) = &ev {
                    self.answer_server_authentication(a.accept);
                }
            }
        }
        fired
    }

    /// Wait up to `timeout` seconds for `done`, firing events meanwhile.
    fn block_until(&self, timeout: i32, what: &str, done: impl Fn() -> bool) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(timeout.max(0) as u64);
        let sh = self.sh();
        // Interrupt counts up; a change since this call began (from another thread, or from a
        // handler this call fired) ends the wait.
        let started = sh.interrupts.load(Ordering::SeqCst);
        let interrupted = || sh.interrupts.load(Ordering::SeqCst) != started;
        let done = || done() || interrupted();
        let check = sh.wait_check.read().clone();
        loop {
            self.dispatch_pending();
            if check.as_ref().is_some_and(|c| c()) {
                self.interrupt()?;
            }
            if interrupted() {
                return Err(Error::new(
                    code::INTERRUPTED,
                    format!("interrupted while {what}"),
                ));
            }
            if done() {
                self.dispatch_pending();
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    code::TIMEOUT,
                    format!("timed out after {timeout} s {what}"),
                ));
            }
            // When another thread is firing events we only wait for our own result, and
            // look again shortly in case that thread has moved on.
            let may_fire = !self.push_mode()
                && (!sh.dispatch.is_locked() || sh.dispatch.is_owned_by_current_thread());
            let mut until = if may_fire {
                deadline
            } else {
                deadline.min(now + Duration::from_millis(10))
            };
            if check.is_some() {
                until = until.min(now + WAIT_CHECK_EVERY);
            }
            sh.queue.wait(Some(until), may_fire, done);
        }
    }

    /// The end of a blocking method: Timeout 0 returns at once (the outcome arrives as
    /// events); otherwise wait for `done`.
    fn finish_blocking(&self, done: &Completion, what: &str, abort_on_timeout: bool) -> Result<()> {
        let timeout = self.timeout();
        if timeout == 0 {
            // Non-blocking: the outcome, and anything else pending, fires from DoEvents.
            return Ok(());
        }
        let d = done.clone();
        match self.block_until(timeout, what, move || d.is_done()) {
            Ok(()) => done.peek().unwrap_or(Ok(())),
            Err(e) => {
                if abort_on_timeout {
                    self.abort_connection();
                }
                Err(e)
            }
        }
    }

    // ---- async methods ----

    /// Await `done` on the shared runtime, bounded by Timeout when it is set.
    fn finish_async(
        &self,
        started: Result<Completion>,
        what: &'static str,
        abort_on_timeout: bool,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let timeout = self.timeout();
        let me = self.downgrade();
        let shared = self.sh().clone();
        let epoch = shared.interrupts.load(Ordering::SeqCst);
        async move {
            let done = started?;
            // Interrupt ends an async wait too, with the same 301 a blocking one gets.
            let interrupted = shared.interrupted_since(epoch, what);
            if timeout == 0 {
                return tokio::select! {
                    r = done => r,
                    e = interrupted => Err(e),
                };
            }
            let limit = Duration::from_secs(timeout as u64);
            let waited = tokio::select! {
                w = driver::runtime().spawn(async move { tokio::time::timeout(limit, done).await }) => w,
                e = interrupted => return Err(e),
            };
            match waited {
                Ok(Ok(r)) => r,
                Ok(Err(_)) => {
                    if abort_on_timeout {
                        if let Some(m) = me.upgrade() {
                            m.abort_connection();
                        }
                    }
                    Err(Error::new(
                        code::TIMEOUT,
                        format!("timed out after {timeout} s {what}"),
                    ))
                }
                Err(e) => Err(Error::new(
                    code::BAD_STATE,
                    format!("engine task failed: {e}"),
                )),
            }
        }
    }

    pub fn connect_async(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        self.finish_async(self.start_connect(), "connecting", true)
    }
    pub fn connect_to_async(
        &self,
        host: &str,
        port: i32,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let started = self
            .check_not_connected()
            .and_then(|_| self.set_target(host, port))
            .and_then(|_| self.start_connect());
        self.finish_async(started, "connecting", true)
    }
    pub fn disconnect_async(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let started = match self.start_disconnect() {
            Some(done) => Ok(done),
            None => {
                let done = Completion::new();
                done.complete(Ok(()));
                Ok(done)
            }
        };
        self.finish_async(started, "disconnecting", true)
    }
    pub fn subscribe_async(
        &self,
        topic_filter: &str,
        qos: i32,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.finish_async(
            self.start_subscribe(topic_filter, qos),
            "waiting for SUBACK",
            false,
        )
    }
    pub fn unsubscribe_async(
        &self,
        topic_filter: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.finish_async(
            self.start_unsubscribe(topic_filter),
            "waiting for UNSUBACK",
            false,
        )
    }
    /// Resolves once the PUBLISH is in the send buffer (acknowledgements arrive as events).
    /// When the buffer is over its bound it first waits for the socket to take it.
    pub fn publish_data_async(
        &self,
        topic: &str,
        qos: i32,
        data: Bytes,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let timeout = self.timeout();
        // Everything that decides the outcome or the order happens now, at call time, not
        // when the face first polls the future: publishes reach the wire in the order they
        // were called however the face schedules the futures. The message is handed over
        // at once when the gate is free and there is room; otherwise this call takes its
        // place in the gate's FIFO queue now (the first poll of the lock enqueues it), so a
        // later call never overtakes an earlier one that had to wait.
        let mut data = Some(data);
        let mut turn = None;
        let decided = match self.check_publish(topic, qos) {
            // Not connected: AutoReconnect may keep it for the next connection.
            Err(e) if e.code == code::CONNECT_FIRST => {
                Some(self.publish_offline(topic, qos, data.take().unwrap_or_default(), e))
            }
            Err(e) => Some(Err(e)),
            Ok((q, engine, sink)) => {
                let mut lock: Pin<Box<dyn Future<Output = GateTurn> + Send>> =
                    Box::pin(self.sh().publish_gate.clone().lock_owned());
                let first = lock.as_mut().poll(&mut Context::from_waker(
                    futures_util::task::noop_waker_ref(),
                ));
                match (first, engine.full(q)) {
                    (Poll::Ready(_turn), None) => {
                        let d = data.take().unwrap_or_default();
                        Some(self.publish_or_keep(&engine, &sink, topic, q, d))
                    }
                    // Timeout 0: the answer a blocking call gives, at once.
                    (_, Some(full)) if timeout == 0 => Some(Err(self.refuse_full(full))),
                    (first, full) => {
                        let what = full.map_or("waiting for earlier publishes", waiting_for);
                        let place = match first {
                            Poll::Ready(held) => Box::pin(std::future::ready(held)),
                            Poll::Pending => lock,
                        };
                        turn = Some((place, q, engine, sink, what));
                        None
                    }
                }
            }
        };
        let topic = topic.to_string();
        let me = self.clone();
        let epoch = self.sh().interrupts.load(Ordering::SeqCst);
        async move {
            if let Some(r) = decided {
                return r;
            }
            let Some((place, qos, engine, sink, what)) = turn else {
                return Err(Error::new(code::BAD_STATE, "publish: no outcome"));
            };
            let shared = me.sh().clone();
            let publisher = me.clone();
            let wait = async move {
                let _turn = place.await;
                while engine.full(qos).is_some() {
                    // The connection ending notifies this too (see `ConnSink::finish`).
                    let drained = shared.drained.notified();
                    if engine.full(qos).is_none() || !publisher.connected() {
                        break;
                    }
                    drained.await;
                }
                let data = data.unwrap_or_default();
                publisher.publish_or_keep(&engine, &sink, &topic, qos, data)
            };
            me.bounded_wait(wait, timeout, epoch, what).await
        }
    }

    /// Runs `wait` on the runtime (its timers need one; the faces poll from their own
    /// threads) for at most `timeout` seconds (201), ending it early on Interrupt (301).
    /// The wait is cancelled, not left running, when either ends it or the caller drops
    /// the future: a publish given up on must not go out later.
    async fn bounded_wait(
        &self,
        wait: impl Future<Output = Result<()>> + Send + 'static,
        timeout: i32,
        epoch: u64,
        what: &'static str,
    ) -> Result<()> {
        struct AbortOnDrop(tokio::task::AbortHandle);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        // Timeout 0 gets here only behind an earlier waiter, which its own Timeout bounds.
        let limit = Duration::from_secs(timeout.max(1) as u64);
        let task = driver::runtime().spawn(async move { tokio::time::timeout(limit, wait).await });
        let _cancel = AbortOnDrop(task.abort_handle());
        let shared = self.sh().clone();
        let interrupted = shared.interrupted_since(epoch, what);
        let interrupted_now = || shared.interrupts.load(Ordering::SeqCst) != epoch;
        tokio::select! {
            waited = task => match waited {
                // Interrupt closes the connection, which can end the wait first: the
                // failure is then the interrupt's.
                Ok(Err(_)) | Ok(Ok(Err(_))) if interrupted_now() => Err(Error::new(
                    code::INTERRUPTED,
                    format!("interrupted while {what}"),
                )),
                Ok(Ok(r)) => r,
                Ok(Err(_)) => Err(Error::new(
                    code::TIMEOUT,
                    format!("timed out after {timeout} s {what}"),
                )),
                Err(e) => Err(Error::new(code::BAD_STATE, format!("publish task failed: {e}"))),
            },
            e = interrupted => Err(e),
        }
    }
}

/// A place in the gate async publishes queue on (see `publish_data_async`).
type GateTurn = tokio::sync::OwnedMutexGuard<()>;

/// What a publish that found no room waits for, for the 201 message.
fn waiting_for(full: driver::Full) -> &'static str {
    match full {
        driver::Full::Outgoing(_) => {
            "waiting for an acknowledgement (MaxOutgoingMessages messages are in flight)"
        }
        _ => "waiting for room in the send buffer",
    }
}

/// Start the next AutoReconnect attempt after its backoff delay (called when a connection
/// ended with an error and reconnecting is wanted).
pub(crate) fn schedule_reconnect(sh: &Arc<Shared>) {
    let (min, max) = {
        let p = sh.props.lock();
        (p.cfg.reconnect_min_ms, p.cfg.reconnect_max_ms)
    };
    let attempt = {
        let mut r = sh.reconnect.lock();
        if r.pending {
            return;
        }
        r.pending = true;
        r.attempt += 1;
        r.attempt
    };
    let wait = reconnect::delay(attempt, min, max);
    sh.log(
        1,
        "Reconnect",
        format!(
            "reconnecting in {} ms (attempt {attempt})",
            wait.as_millis()
        ),
    );
    sh.announce();
    let weak = Arc::downgrade(sh);
    driver::runtime().spawn(async move {
        tokio::time::sleep(wait).await;
        let Some(sh) = weak.upgrade() else {
            return;
        };
        {
            let mut r = sh.reconnect.lock();
            r.pending = false;
            if !r.armed || sh.dropped.load(Ordering::SeqCst) {
                return;
            }
        }
        let client = Mqtt::borrowed(sh.clone());
        match client.start_connect() {
            // A failed attempt ends in ConnSink::finish, which schedules the next one.
            Ok(done) => {
                if done.await.is_ok() {
                    client.after_reconnect();
                }
            }
            // The application connected by itself meanwhile: nothing to do.
            Err(e) if e.code == code::ALREADY_CONNECTED || e.code == code::ALREADY_CONNECTING => {}
            Err(e) => {
                sh.log(1, "Reconnect", format!("cannot reconnect: {}", e.message));
                if reconnect::wanted(&sh, e.code) {
                    schedule_reconnect(&sh);
                } else {
                    // Always an event: a push face waiting to learn that reconnecting is
                    // over (Node's hold of its process) must be woken even at LogLevel 0.
                    sh.push_event(Event::Error(ErrorEvent {
                        error_code: e.code,
                        description: format!("reconnecting gave up: {}", e.message),
                    }));
                    sh.stop_reconnecting(e.code, "reconnecting gave up");
                }
                sh.announce();
            }
        }
    });
}

fn check_port(port: i32) -> Result<()> {
    if port == 0 {
        return Err(Error::new(
            code::REMOTE_PORT_ZERO,
            "RemotePort 0 is not a port: use 1..=65535",
        ));
    }
    if !(1..=65535).contains(&port) {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            format!("RemotePort {port} is out of range: use 1..=65535"),
        ));
    }
    Ok(())
}

/// A client id that is unique enough for a clean session: the spec allows 23 characters
/// from [0-9a-zA-Z] everywhere, so we stay inside that.
fn generate_client_id() -> String {
    const CHARS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut id = String::from("ferromq");
    for _ in 0..16 {
        id.push(CHARS[fastrand::usize(..CHARS.len())] as char);
    }
    id
}
