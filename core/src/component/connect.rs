//! The connection's life from the application's side: Connect (and ConnectTo), Disconnect,
//! and Interrupt and Reset, which cut the connection loose at once (`detach`). How a
//! connection ends is in ended.rs, what its task reports in sink.rs.

use super::completion::Completion;
use super::ended::Ending;
use super::event::{ErrorEvent, Event};
use super::properties::check_port;
use super::sink::ConnSink;
use super::state::Phase;
use super::Mqtt;
use super::{certificate, config, not_connected, observer, props, session_file, transport_options};
use crate::codec::{Protocol, QoS, Will};
use crate::driver::{self, ConnectParams, Engine};
use crate::error::{code, Error, Result};
use crate::protocol::{Connection, ConnectionConfig};
use bytes::Bytes;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Bytes of encoded packets that may wait for the socket before a non-blocking publish
/// reports "would block" and a blocking one waits.
const SEND_BUFFER_LIMIT: usize = 4 * 1024 * 1024;

/// The largest packet MQTT can express (a 4-byte remaining length plus the fixed header).
const MAX_PACKET: u32 = 268_435_460;

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

impl Mqtt {
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
    /// is aborted. The events and completions a finished connection gives are given here
    /// (`Shared::connection_ended`), so the client can connect again straight away.
    fn detach(&self, failure_code: i32, why: &'static str) {
        let sh = self.sh();
        let (conn, was_connected) = {
            let st = sh.state.lock();
            (st.link.conn.clone(), st.connected())
        };
        let Some((engine, sink)) = conn else {
            return;
        };
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
        sh.keep_engine_session(&engine);
        let mut st = sh.state.lock();
        // The task may have finished (and reported) on its own meanwhile.
        let still_ours = matches!(&st.link.conn, Some((e, _)) if Arc::ptr_eq(e, &engine));
        if !still_ours || st.link.generation != sink.generation {
            return;
        }
        // The task's later reports are for an old generation and are ignored; the next
        // connection waits for it to end (its DISCONNECT must reach the server first).
        st.link.closing = Some(sink.ended.clone());
        st.link.generation = st.next_generation();
        sh.connection_ended(
            st,
            Ending::Detached {
                code: failure_code,
                why,
            },
        );
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
        let session = sh.state.lock().session.take();
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

    // ---- connecting ----

    pub(super) fn start_connect(&self) -> Result<Completion> {
        let sh = self.sh();
        // Held until the new connection is in place: the connect-time setters wait for it
        // (or find the phase changed), so what is read below is what the connection uses.
        let mut st = sh.state.lock();
        match st.link.phase {
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
                manual_ack: p.cfg.manual_ack,
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
                let carried = st.session.is_some();
                let a = session_file::auto_save(&file, sync, owned == file || carried)?;
                sh.props.lock().session_file_owned = file;
                Some(a)
            }
            None => None,
        };
        let session = st.session.take();
        let mut conn = match session {
            Some(s) => Connection::with_session(config, s),
            None => Connection::new(config),
        };
        conn.set_log_level(log_level.clamp(0, 3) as u8);
        let (in_flight_in, in_flight_out) = (conn.incoming(), conn.outgoing());
        let engine = Arc::new(Engine::new(conn, SEND_BUFFER_LIMIT, autosave));
        let generation = st.next_generation();
        let sink = Arc::new(ConnSink {
            shared: sh.clone(),
            generation,
            ended: Completion::new(),
        });
        let link = &mut st.link;
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
        drop(st);
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

    pub(super) fn abort_connection(&self) {
        let conn = self.sh().state.lock().link.conn.clone();
        if let Some((engine, _)) = conn {
            engine.abort();
        }
    }

    /// Connects to RemoteHost:RemotePort with the current properties and settings. With a
    /// Timeout it returns once the server accepted the connection (or fails with the refusal's
    /// code, or a timeout); with Timeout 0 it returns at once and the Connected event tells the
    /// outcome. Fails with ALREADY_CONNECTED or ALREADY_CONNECTING when a connection exists.
    pub fn connect(&self) -> Result<()> {
        let done = self.start_connect()?;
        self.finish_blocking(&done, "connecting", true)
    }

    /// Sets RemoteHost and RemotePort, then connects as [`Mqtt::connect`] does. A port outside
    /// 0..=65535 fails with INVALID_ARGUMENT.
    pub fn connect_to(&self, host: &str, port: i32) -> Result<()> {
        self.check_not_connected()?;
        self.set_target(host, port)?;
        self.connect()
    }

    /// ConnectTo on a client that is connected or connecting fails as Connect would (104,
    /// 1105), not with the RemoteHost lock that setting the target would hit first.
    pub(super) fn check_not_connected(&self) -> Result<()> {
        match self.sh().state.lock().link.phase {
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

    pub(super) fn set_target(&self, host: &str, port: i32) -> Result<()> {
        check_port(port)?;
        self.set_connect_prop(code::ALREADY_CONNECTED, "RemoteHost", |p| {
            p.remote_host = host.to_string();
            p.remote_port = port;
        })
    }

    pub(super) fn start_disconnect(&self) -> Option<Completion> {
        let sh = self.sh();
        // Ending the connection on purpose also ends AutoReconnect's work.
        sh.stop_reconnecting(code::NOT_CONNECTED, "discarded by Disconnect");
        let (engine, sink, done, connected) = {
            let mut st = sh.state.lock();
            let (engine, sink) = st.link.conn.clone()?;
            let done = Completion::new();
            st.link.finished.push(done.clone());
            (engine, sink, done, st.connected())
        };
        if connected {
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

    /// Closes the connection cleanly (DISCONNECT, then the socket). With a Timeout it returns
    /// once the connection is closed; fails with CONNECT_FIRST when not connected.
    pub fn disconnect(&self) -> Result<()> {
        match self.start_disconnect() {
            Some(done) => self.finish_blocking(&done, "disconnecting", true),
            None => Ok(()),
        }
    }

    pub(super) fn connected_link(&self) -> Result<(Arc<Engine>, Arc<ConnSink>)> {
        let st = self.sh().state.lock();
        match (&st.link.phase, &st.link.conn) {
            (Phase::Connected, Some(c)) => Ok(c.clone()),
            _ => Err(not_connected()),
        }
    }

    /// [`Mqtt::connect`] as a future: resolves when the server accepted the connection, or with
    /// the error that ended the attempt; the wait is bounded by Timeout when it is set.
    pub fn connect_async(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        self.finish_async(self.start_connect(), "connecting", true)
    }
    /// [`Mqtt::connect_to`] as a future; see [`Mqtt::connect_async`].
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
    /// [`Mqtt::disconnect`] as a future: resolves when the connection is closed.
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
}
