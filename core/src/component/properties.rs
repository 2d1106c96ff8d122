//! The documented properties (ClientId, CleanSession, ... LocalPort, ReadyToSend, the
//! message collections) and `config`. A property that CONNECT carries is refused while a
//! connection exists; its setter checks and writes under the state lock that Connect holds
//! while it reads the properties, so a Connect on another thread cannot slip in between.

use super::state::Phase;
use super::{config, props, Mqtt, MqttMessage};
use crate::error::{code, Error, Result};
use std::sync::atomic::Ordering;

impl Mqtt {
    pub(super) fn busy(&self) -> bool {
        self.sh().state.lock().link.phase != Phase::Idle
    }

    /// Set a property that CONNECT carries: refused while a connection exists. The phase is
    /// checked and the value written under the state lock, which `start_connect` holds
    /// from the phase check until it has read every property: the setter lands before
    /// that Connect reads, or is refused.
    pub(super) fn set_connect_prop(
        &self,
        err_code: i32,
        what: &str,
        f: impl FnOnce(&mut props::Props),
    ) -> Result<()> {
        let st = self.sh().state.lock();
        if st.link.phase != Phase::Idle {
            return Err(locked(err_code, what));
        }
        f(&mut self.sh().props.lock());
        drop(st);
        Ok(())
    }

    // ---- properties ----

    /// ClientId: the client identifier sent in CONNECT ("" lets a 5.0 server assign one).
    pub fn client_id(&self) -> String {
        self.sh().props.lock().client_id.clone()
    }
    /// Sets ClientId. Fails with BAD_STATE while a connection exists.
    pub fn set_client_id(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "ClientId", |p| p.client_id = v.to_string())
    }
    /// CleanSession (3.1.1) / Clean Start (5.0): true starts with no stored session.
    pub fn clean_session(&self) -> bool {
        self.sh().props.lock().clean_session
    }
    /// Sets CleanSession. Fails with BAD_STATE while a connection exists.
    pub fn set_clean_session(&self, v: bool) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "CleanSession", |p| p.clean_session = v)
    }
    /// KeepAliveInterval in seconds (0..=65535; 0 turns keep-alive off).
    pub fn keep_alive_interval(&self) -> i32 {
        self.sh().props.lock().keep_alive_interval
    }
    /// Sets KeepAliveInterval. Fails with INVALID_ARGUMENT outside 0..=65535 and BAD_STATE while
    /// a connection exists.
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
    /// User: the user name sent in CONNECT ("" sends none).
    pub fn user(&self) -> String {
        self.sh().props.lock().user.clone()
    }
    /// Sets User. Fails with BAD_STATE while a connection exists.
    pub fn set_user(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "User", |p| p.user = v.to_string())
    }
    /// Password: the password sent in CONNECT ("" sends none).
    pub fn password(&self) -> String {
        self.sh().props.lock().password.clone()
    }
    /// Sets Password. Fails with BAD_STATE while a connection exists.
    pub fn set_password(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::BAD_STATE, "Password", |p| p.password = v.to_string())
    }
    /// 0 = MQTT 3.1.1 (default), 1 = MQTT 5.0.
    pub fn version(&self) -> i32 {
        self.sh().props.lock().version
    }
    /// Sets Version: 0 or 1, else INVALID_ARGUMENT; BAD_STATE while a connection exists.
    pub fn set_version(&self, v: i32) -> Result<()> {
        if !(0..=1).contains(&v) {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("Version {v} is not valid: use 0 (MQTT 3.1.1) or 1 (MQTT 5.0)"),
            ));
        }
        self.set_connect_prop(code::BAD_STATE, "Version", |p| p.version = v)
    }
    /// RemoteHost: the server's host name or address, or a `ws://` / `wss://` URL.
    pub fn remote_host(&self) -> String {
        self.sh().props.lock().remote_host.clone()
    }
    /// Sets RemoteHost. Fails with REMOTE_HOST_LOCKED while a connection exists.
    pub fn set_remote_host(&self, v: &str) -> Result<()> {
        self.set_connect_prop(code::REMOTE_HOST_LOCKED, "RemoteHost", |p| {
            p.remote_host = v.to_string()
        })
    }
    /// RemotePort: the server's TCP port (default 1883).
    pub fn remote_port(&self) -> i32 {
        self.sh().props.lock().remote_port
    }
    /// Sets RemotePort (0..=65535, else INVALID_ARGUMENT). Fails with REMOTE_PORT_LOCKED while a
    /// connection exists.
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
    /// Sets Timeout in seconds; a negative value fails with INVALID_ARGUMENT.
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
    /// True while the connection is up (CONNACK accepted, not yet closed).
    pub fn connected(&self) -> bool {
        self.sh().connected()
    }
    /// true = connect(), false = disconnect().
    pub fn set_connected(&self, v: bool) -> Result<()> {
        if v {
            self.connect()
        } else {
            self.disconnect()
        }
    }
    /// WillTopic: where the server publishes the will if the client vanishes ("" for no will).
    pub fn will_topic(&self) -> String {
        self.sh().props.lock().will_topic.clone()
    }
    /// Sets WillTopic. A topic with wildcards fails with INVALID_TOPIC; BAD_STATE while a
    /// connection exists.
    pub fn set_will_topic(&self, v: &str) -> Result<()> {
        if !v.is_empty() {
            crate::topic::validate_topic_name(v)?;
        }
        self.set_connect_prop(code::BAD_STATE, "WillTopic", |p| {
            p.will_topic = v.to_string()
        })
    }
    /// WillMessage: the will's payload, as text.
    pub fn will_message(&self) -> String {
        self.sh().props.lock().will_message.clone()
    }
    /// Sets WillMessage. Fails with BAD_STATE while a connection exists.
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
    /// Sets LocalHost. Fails with LOCAL_HOST_LOCKED while a connection exists.
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
    /// Sets LocalPort (0..=65535, else INVALID_ARGUMENT). Fails with LOCAL_PORT_LOCKED while a
    /// connection exists.
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
            // Checked and applied under the state lock, as the properties' setters are.
            let guard = match guarded
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            {
                Some((what, err)) => {
                    let st = self.sh().state.lock();
                    if st.link.phase != Phase::Idle {
                        return Err(locked(*err, what));
                    }
                    Some(st)
                }
                None => None,
            };
            return self.apply_config(setting, guard);
        }
        self.apply_config(setting, None)
    }

    fn apply_config(
        &self,
        setting: &str,
        guard: Option<parking_lot::MutexGuard<'_, super::state::State>>,
    ) -> Result<String> {
        let (r, custom) = {
            let mut p = self.sh().props.lock();
            let r = config::apply(&mut p.cfg, setting)?;
            self.sh()
                .log_level
                .store(p.cfg.log_level, Ordering::Relaxed);
            (r, p.cfg.custom_packet.take())
        };
        drop(guard);
        // A LogLevel change reaches a live connection too, not only the next one.
        let link = self.sh().state.lock().link.conn.clone();
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
}

fn locked(code: i32, what: &str) -> Error {
    Error::new(
        code,
        format!("{what} cannot be changed while connected or connecting"),
    )
}

pub(super) fn check_port(port: i32) -> Result<()> {
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
