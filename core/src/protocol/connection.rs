//! The state machine of one MQTT connection, from CONNECT to the close.
//!
//! Everything here runs on the caller's `now`; packets and events are queued and drained
//! by the layer above, so a whole QoS flow can be replayed deterministically in a test.

use super::inflight::Inflight;
use super::keepalive::{KeepAlive, KeepAliveAction};
use super::packet_ids::PacketIds;
use super::reason::{self, code as rc};
use super::session::{SavedOut, SessionState};
use super::{Direction, Message, MessageState, ProtocolEvent};
use crate::codec::{
    ByteString, ConnAck, Connect, Disconnect, Packet, Properties, Protocol, PubResp, Publish, QoS,
    SubAck, Subscribe, SubscribeFilter, UnsubAck, Unsubscribe, Will,
};
use crate::error::{code, Error, Result};
use crate::memory::Trim;
use bytes::{Bytes, BytesMut};
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Unacknowledged QoS 1/2 publishes allowed under 3.1.1 when MaxInflight is 0: the window
/// mosquitto and libmosquitto use by default.
pub const DEFAULT_INFLIGHT_V311: u16 = 20;

/// Everything CONNECT needs plus the client-side limits of one connection.
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    /// 3.1.1 or 5.0.
    pub protocol: Protocol,
    /// The client identifier sent in CONNECT; empty lets a 5.0 server assign one.
    pub client_id: String,
    /// Start a new session (true) or resume the server's stored one (false).
    pub clean_session: bool,
    /// Seconds; 0 disables keep-alive.
    pub keep_alive: u16,
    /// User name sent in CONNECT, if any.
    pub username: Option<String>,
    /// Password sent in CONNECT, if any.
    pub password: Option<Bytes>,
    /// The will message, if any.
    pub will: Option<Will>,
    /// 5.0 CONNECT properties (ignored under 3.1.1).
    pub connect_properties: Properties,
    /// 3.1.1 only: resend an unacknowledged PUBLISH (DUP set, same packet id) after this
    /// long; None disables it.
    pub republish_interval: Option<Duration>,
    /// Largest packet we accept (also sent as Maximum Packet Size under 5.0 when set).
    pub max_packet_size: u32,
    /// The most QoS 1/2 publishes we keep unacknowledged at once (0: automatic — the
    /// server's Receive Maximum under 5.0, `DEFAULT_INFLIGHT_V311` under 3.1.1, where the
    /// server cannot say; mosquitto silently drops QoS 2 publishes beyond its window of 20).
    pub max_inflight: u16,
    /// The most QoS 1/2 publishes kept at once, in flight or waiting for the send window
    /// (0: no bound but the packet identifiers). The component makes a publish over it wait.
    pub max_outgoing: u16,
    /// ManualAck: an incoming QoS 1/2 message is delivered on arrival and its PUBACK/PUBREC
    /// waits for [`Connection::ack`]; the acknowledgements still go out in arrival order.
    pub manual_ack: bool,
}

/// The largest packet MQTT can express (1 byte type, 4 bytes length, 268 435 455 bytes).
/// Announcing a Maximum Packet Size at or above it would say nothing.
const PROTOCOL_MAX_PACKET: u32 = 268_435_460;
/// The largest remaining length a fixed header can carry.
const MAX_REMAINING_LENGTH: usize = 268_435_455;

/// What the server announced in its CONNACK (5.0), with the specification's defaults for
/// what it left out; under 3.1.1 only `keep_alive` and the defaults apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// The keep-alive in force: the server's Server Keep Alive if it sent one, else ours.
    pub keep_alive: u16,
    /// How many QoS 1/2 PUBLISH packets may be unacknowledged at once.
    pub receive_maximum: u16,
    /// The server's Maximum Packet Size in bytes; `None`: no limit announced.
    pub maximum_packet_size: Option<u32>,
    /// Highest topic alias we may use; 0 means none.
    pub topic_alias_maximum: u16,
    /// Highest QoS the server accepts on a PUBLISH.
    pub maximum_qos: QoS,
    /// False when the server does not keep retained messages.
    pub retain_available: bool,
    /// The client identifier the server chose for us, if it chose one.
    pub assigned_client_identifier: Option<String>,
    /// Wildcard Subscription Available: false when the server refuses '+' and '#' filters.
    pub wildcard_subscription_available: bool,
    /// Shared Subscription Available: false when the server refuses `$share/...` filters.
    pub shared_subscription_available: bool,
    /// Subscription Identifiers Available: false when SUBSCRIBE may not carry one.
    pub subscription_identifiers_available: bool,
}

impl ServerLimits {
    fn defaults(keep_alive: u16) -> Self {
        ServerLimits {
            keep_alive,
            receive_maximum: u16::MAX,
            maximum_packet_size: None,
            topic_alias_maximum: 0,
            maximum_qos: QoS::ExactlyOnce,
            retain_available: true,
            assigned_client_identifier: None,
            wildcard_subscription_available: true,
            shared_subscription_available: true,
            subscription_identifiers_available: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    AwaitConnAck,
    Connected,
    Closed,
}

struct OutEntry {
    msg: Message,
    /// The topic as it goes on the wire: empty when a topic alias stands for it.
    wire_topic: ByteString,
    /// On the wire in this connection (acknowledgements are accepted); false while the
    /// server's Receive Maximum holds the PUBLISH back, and for a restored message until
    /// it is sent again.
    sent: bool,
    /// Its PUBLISH was put on the wire, in this connection or an earlier one (a session
    /// resend then carries DUP).
    ever_sent: bool,
    /// Counted in `unacked_sent` (its PUBLISH went out in this connection). A restored
    /// message past PUBREC whose PUBREL is resent is not: the quota starts afresh.
    in_quota: bool,
    /// When it is republished (3.1.1 with a republish interval).
    resend_at: Option<Instant>,
    /// Orders PUBREL resends as the PUBRECs arrived.
    pubrec_order: u64,
}

/// A PUBLISH waiting for send quota. QoS 0 publishes queue behind held QoS 1/2 ones so
/// the server sees publishes in the order they were made (topic alias mappings depend on
/// it, and so does MQTT's ordering guarantee).
enum Held {
    Inflight(u16),
    /// The PUBLISH as it goes out, and its full topic (the PUBLISH may name it by alias).
    AtMostOnce(Box<Publish>, ByteString),
}

enum PendingAck {
    Subscribe(Vec<String>),
    Unsubscribe(usize),
}

/// The sans-IO state machine of one MQTT connection: fed received bytes, commands and the
/// current time, it produces bytes to send and [`ProtocolEvent`]s. It does no I/O itself.
pub struct Connection {
    config: ConnectionConfig,
    phase: Phase,
    log_level: u8,
    transmits: VecDeque<Packet>,
    events: VecDeque<ProtocolEvent>,
    ids: PacketIds,
    outgoing: Inflight<OutEntry>,
    /// QoS 2 messages waiting for PUBREL, and (ManualAck) QoS 1/2 messages whose PUBACK or
    /// PUBREC waits for the application; otherwise a QoS 1 message completes within the
    /// call that received it.
    incoming: Inflight<Message>,
    /// ManualAck: incoming messages delivered whose PUBACK/PUBREC is held, in arrival order
    /// (MQTT wants those acknowledgements sent in the order the PUBLISH packets came).
    unanswered: VecDeque<u16>,
    /// Of `unanswered`, those the application acknowledged while an earlier one was not.
    acked_early: HashSet<u16>,
    /// Incoming QoS 2 messages handed to the application already (ManualAck delivers on
    /// arrival): their PUBREL only completes them.
    delivered: HashSet<u16>,
    pending: HashMap<u16, PendingAck>,
    keep_alive: KeepAlive,
    server: ServerLimits,
    held: VecDeque<Held>,
    /// Payload bytes of what `publish` put in `held`: the component counts them with the
    /// send buffer, so a window that is full still pushes back on the application.
    held_bytes: usize,
    /// QoS 1/2 PUBLISH packets sent and not yet finished, counted against the server's
    /// Receive Maximum.
    unacked_sent: usize,
    /// Republish deadlines, earliest first.
    republish: BTreeSet<(Instant, u16)>,
    /// When a republish time was last set (see `sleep_deadline`).
    last_scheduled: Option<Instant>,
    /// Server-to-client aliases; bounded by our Topic Alias Maximum.
    in_aliases: HashMap<u16, ByteString>,
    /// Client-to-server aliases; bounded by the server's Topic Alias Maximum.
    out_aliases: HashMap<u16, ByteString>,
    /// Counter behind `OutEntry::pubrec_order`.
    pubrec_count: u64,
    /// Publishes accepted in this session (carried in `SessionState::published`).
    published: u64,
}

impl Connection {
    /// A state machine for one connection with `config`, not yet connected.
    pub fn new(config: ConnectionConfig) -> Self {
        let server = ServerLimits::defaults(config.keep_alive);
        Connection {
            config,
            phase: Phase::Idle,
            log_level: 1,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            ids: PacketIds::default(),
            outgoing: Inflight::default(),
            incoming: Inflight::default(),
            unanswered: VecDeque::new(),
            acked_early: HashSet::new(),
            delivered: HashSet::new(),
            pending: HashMap::new(),
            keep_alive: KeepAlive::default(),
            server,
            held: VecDeque::new(),
            held_bytes: 0,
            unacked_sent: 0,
            republish: BTreeSet::new(),
            last_scheduled: None,
            in_aliases: HashMap::new(),
            out_aliases: HashMap::new(),
            pubrec_count: 0,
            published: 0,
        }
    }

    /// A connection that starts with `session` loaded (see [`Connection::restore`]).
    pub fn with_session(config: ConnectionConfig, session: SessionState) -> Self {
        let mut conn = Connection::new(config);
        conn.load_session(session);
        conn
    }

    /// Only `Log` events at or below `level` are produced (0 none, 1 info, 2 verbose,
    /// 3 packets); the default is 1. Filtering here saves formatting lines nobody reads.
    pub fn set_log_level(&mut self, level: u8) {
        self.log_level = level;
    }

    /// The protocol version this connection speaks.
    pub fn protocol(&self) -> Protocol {
        self.config.protocol
    }

    /// The server's limits as announced in CONNACK (defaults before it).
    pub fn server_limits(&self) -> &ServerLimits {
        &self.server
    }

    /// The transport is up: queue CONNECT and start the CONNACK wait.
    pub fn start(&mut self, now: Instant) {
        if self.phase != Phase::Idle {
            return;
        }
        let v5 = self.v5();
        let mut properties = Properties::default();
        if v5 {
            properties = self.config.connect_properties.clone();
            if self.config.max_packet_size < PROTOCOL_MAX_PACKET
                && properties.maximum_packet_size.is_none()
            {
                properties.maximum_packet_size = Some(self.config.max_packet_size);
            }
        }
        let will = self.config.will.clone().map(|mut w| {
            if !v5 {
                w.properties = Properties::default();
            }
            w
        });
        let connect = Connect {
            protocol: self.config.protocol,
            clean_start: self.config.clean_session,
            keep_alive: self.config.keep_alive,
            client_id: self.config.client_id.clone(),
            will,
            username: self.config.username.clone(),
            password: self.config.password.clone(),
            properties,
        };
        self.phase = Phase::AwaitConnAck;
        let (proto, id, ka) = (
            if v5 { "5.0" } else { "3.1.1" },
            self.config.client_id.clone(),
            self.config.keep_alive,
        );
        self.log(1, "Info", || {
            format!("sending CONNECT (MQTT {proto}, client id \"{id}\", keep-alive {ka} s)")
        });
        self.send(now, Packet::Connect(Box::new(connect)));
    }

    /// Feed raw bytes read from the transport; decodes every complete packet in `buf`
    /// (consuming them) and handles each. A decode or protocol error queues a DISCONNECT
    /// (5.0, with the fitting reason code) and a `Closed` event.
    pub fn handle_bytes(&mut self, now: Instant, buf: &mut BytesMut) {
        while self.phase != Phase::Closed {
            let before = buf.len();
            match crate::codec::decode(buf, self.config.protocol, self.config.max_packet_size) {
                Ok(Some(packet)) => {
                    let size = before - buf.len();
                    self.handle_packet_sized(now, packet, Some(size));
                }
                Ok(None) => return,
                Err(e) => {
                    let reason_code = e.reason;
                    let err = Error::from(e);
                    self.close(
                        err.code,
                        format!("invalid packet from the server: {}", err.message),
                        Some(reason_code),
                    );
                }
            }
        }
        // Nothing more will be read from this connection; keeping the bytes would only
        // hold memory.
        buf.clear();
    }

    /// Feed one decoded packet (used by handle_bytes and by tests).
    pub fn handle_packet(&mut self, now: Instant, packet: Packet) {
        self.handle_packet_sized(now, packet, None);
    }

    /// Time passed: keep-alive (see `keepalive.rs` for its rules) and republish. The
    /// CONNACK wait is the driver's connect timeout, so no deadline is armed before CONNACK.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase != Phase::Connected {
            return;
        }
        if let KeepAliveAction::TimedOut { silence } = self.keep_alive.poll(now) {
            let secs = self.keep_alive.interval_secs();
            let silence = silence.as_secs_f64();
            // The server is presumed gone, so nothing more is sent to it.
            self.close(
                code::TIMEOUT,
                format!("nothing received from the server for {silence:.1} s and no answer to PINGREQ (keep-alive {secs} s); the connection is considered lost"),
                None,
            );
            return;
        }
        // Republishing first: what it sends also counts as keep-alive traffic.
        self.republish_due(now);
        if let KeepAliveAction::SendPing { silent } = self.keep_alive.poll(now) {
            let secs = self.keep_alive.interval_secs();
            let what = if silent { "received" } else { "sent" };
            self.log(2, "Info", || {
                format!("nothing {what} for {secs} s: sending PINGREQ")
            });
            self.send(now, Packet::PingReq);
            self.keep_alive.on_ping_sent(now);
        }
    }

    /// The driver stopped (`paused` true) or resumed (false) reading the transport, e.g.
    /// because the application's event queue is full. While paused, the server is not
    /// judged by its silence (what it sent is waiting unread): no keep-alive loss is
    /// declared and no PINGREQ is sent for lack of received traffic, only the PINGREQ owed
    /// when nothing was sent for the keep-alive interval. On resuming, the server counts as
    /// heard from at `now`, so it gets the full PINGRESP wait from then. Only a change
    /// counts (calling it again with the same value does nothing). The deadline may move
    /// either way: read `poll_timeout`/`sleep_deadline` again after calling it.
    pub fn set_reading_paused(&mut self, now: Instant, paused: bool) {
        self.keep_alive.set_reading_paused(now, paused);
    }

    /// Publish; returns the packet id (0 for QoS 0). Validates topic and size first.
    #[allow(clippy::too_many_arguments)]
    pub fn publish(
        &mut self,
        now: Instant,
        topic: &str,
        qos: QoS,
        payload: Bytes,
        retain: bool,
        dup: bool,
        properties: Properties,
    ) -> Result<u16> {
        let v5 = self.v5();
        let properties = if v5 {
            properties
        } else {
            Properties::default()
        };
        let alias = properties.topic_alias;
        if !(v5 && alias.is_some() && topic.is_empty()) {
            crate::topic::validate_topic_name(topic)?;
        }
        self.check_connected("publish")?;
        if v5 {
            if qos > self.server.maximum_qos {
                return Err(Error::new(
                    code::INVALID_QOS,
                    format!(
                        "cannot publish with QoS {}: the server accepts at most QoS {}",
                        qos as u8, self.server.maximum_qos as u8
                    ),
                ));
            }
            if retain && !self.server.retain_available {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    "cannot publish a retained message: the server does not support retain",
                ));
            }
        }
        // The topic the message is known by, and the one put on the wire.
        let (full_topic, wire_topic) = match alias {
            Some(a) if v5 => {
                let max = self.server.topic_alias_maximum;
                if a == 0 || a > max {
                    return Err(Error::new(
                        code::INVALID_ARGUMENT,
                        format!("topic alias {a} is not allowed: the server accepts aliases 1..={max} (0 means none)"),
                    ));
                }
                if topic.is_empty() {
                    match self.out_aliases.get(&a) {
                        Some(t) => (t.clone(), ByteString::new()),
                        None => {
                            return Err(Error::new(
                                code::INVALID_TOPIC,
                                format!("the topic is empty and topic alias {a} has not been set by an earlier publish"),
                            ))
                        }
                    }
                } else {
                    let t = ByteString::from(topic);
                    (t.clone(), t)
                }
            }
            _ => {
                let t = ByteString::from(topic);
                (t.clone(), t)
            }
        };
        let dup = dup && qos != QoS::AtMostOnce;
        let mut wire = Packet::Publish(Publish {
            dup,
            qos,
            retain,
            topic: wire_topic.clone(),
            // Any non-zero id encodes to the same size; the real one is taken only once
            // every check has passed, so a refused publish does not skip an id.
            packet_id: if qos == QoS::AtMostOnce { 0 } else { 1 },
            payload,
            properties,
        });
        self.check_size(&wire)?;
        let id = if qos == QoS::AtMostOnce {
            0
        } else {
            self.allocate_id()?
        };
        let Packet::Publish(packet) = &mut wire else {
            unreachable!("built as a PUBLISH above")
        };
        packet.packet_id = id;
        if let (Some(a), false) = (alias, wire_topic.is_empty()) {
            if v5 {
                self.out_aliases.insert(a, wire_topic.clone());
            }
        }
        let message = Message {
            direction: Direction::Outgoing,
            packet_id: packet.packet_id,
            topic: full_topic,
            qos,
            payload: packet.payload.clone(),
            retain,
            dup,
            state: match qos {
                QoS::AtMostOnce => MessageState::OutDone,
                QoS::AtLeastOnce => MessageState::WaitPubAck,
                QoS::ExactlyOnce => MessageState::WaitPubRec,
            },
            properties: Message::share_properties(packet.properties.clone()),
        };
        self.published += 1;
        if qos == QoS::AtMostOnce {
            if self.held.is_empty() {
                self.send(now, wire);
            } else if let Packet::Publish(packet) = wire {
                self.held_bytes += packet.payload.len();
                self.held
                    .push_back(Held::AtMostOnce(Box::new(packet), message.topic.clone()));
            }
            self.emit(ProtocolEvent::MessageOut { message });
            return Ok(0);
        }
        let can_send = self.held.is_empty() && self.has_send_quota();
        self.outgoing.insert(
            id,
            OutEntry {
                msg: message.clone(),
                wire_topic,
                sent: false,
                ever_sent: false,
                in_quota: false,
                resend_at: None,
                pubrec_order: 0,
            },
        );
        if can_send {
            self.mark_sent(now, id);
            self.send(now, wire);
        } else {
            let max = self.send_window();
            self.log(2, "Info", || {
                format!("PUBLISH {id} waits: {max} messages are already unacknowledged (Receive Maximum / MaxInflight)")
            });
            self.held_bytes += message.payload.len();
            self.held.push_back(Held::Inflight(id));
        }
        self.emit(ProtocolEvent::InflightAdded { message });
        Ok(id)
    }

    /// Subscribe to several filters in one SUBSCRIBE; returns its packet id.
    pub fn subscribe(
        &mut self,
        now: Instant,
        filters: Vec<SubscribeFilter>,
        properties: Properties,
    ) -> Result<u16> {
        if filters.is_empty() {
            return Err(Error::new(
                code::INVALID_TOPIC_FILTER,
                "SUBSCRIBE needs at least one topic filter",
            ));
        }
        for f in &filters {
            crate::topic::validate_topic_filter(&f.filter)?;
        }
        self.check_connected("subscribe")?;
        let v5 = self.v5();
        if v5 {
            self.check_subscribe_allowed(&filters, &properties)?;
        }
        let filters: Vec<SubscribeFilter> = if v5 {
            filters
        } else {
            // 3.1.1 has no subscription options; the bits are reserved there.
            filters
                .into_iter()
                .map(|f| SubscribeFilter {
                    no_local: false,
                    retain_as_published: false,
                    retain_handling: 0,
                    ..f
                })
                .collect()
        };
        let names = filters.iter().map(|f| f.filter.clone()).collect();
        let mut wire = Packet::Subscribe(Subscribe {
            packet_id: 1,
            filters,
            properties: if v5 {
                properties
            } else {
                Properties::default()
            },
        });
        self.check_size(&wire)?;
        let id = self.allocate_id()?;
        if let Packet::Subscribe(s) = &mut wire {
            s.packet_id = id;
        }
        self.pending.insert(id, PendingAck::Subscribe(names));
        self.send(now, wire);
        Ok(id)
    }

    /// Queues an UNSUBSCRIBE for `filters` and gives its packet identifier. Fails with
    /// INVALID_TOPIC_FILTER for an empty list or a bad filter, CONNECT_FIRST when not
    /// connected.
    pub fn unsubscribe(
        &mut self,
        now: Instant,
        filters: Vec<String>,
        properties: Properties,
    ) -> Result<u16> {
        if filters.is_empty() {
            return Err(Error::new(
                code::INVALID_TOPIC_FILTER,
                "UNSUBSCRIBE needs at least one topic filter",
            ));
        }
        for f in &filters {
            crate::topic::validate_topic_filter(f)?;
        }
        self.check_connected("unsubscribe")?;
        let count = filters.len();
        let mut wire = Packet::Unsubscribe(Unsubscribe {
            packet_id: 1,
            filters,
            properties: if self.v5() {
                properties
            } else {
                Properties::default()
            },
        });
        self.check_size(&wire)?;
        let id = self.allocate_id()?;
        if let Packet::Unsubscribe(u) = &mut wire {
            u.packet_id = id;
        }
        self.pending.insert(id, PendingAck::Unsubscribe(count));
        self.send(now, wire);
        Ok(id)
    }

    /// ManualAck: the application is done with incoming message `packet_id` (delivered by
    /// MessageIn, its PUBACK or PUBREC held). Acknowledgements go out in the order the
    /// messages arrived, so this one waits until every earlier held message is acknowledged
    /// too; then a QoS 1 message gets its PUBACK (MessageAck follows) and a QoS 2 message its
    /// PUBREC (MessageAck follows PUBREL and our PUBCOMP, with no second MessageIn).
    ///
    /// Refused with 211 when no message with that id waits for it: an unknown id, one
    /// acknowledged already, one from a connection that has ended (the server sends those
    /// again on the next connection of a persistent session), or ManualAck off.
    pub fn ack(&mut self, now: Instant, packet_id: u16) -> Result<()> {
        let held = self
            .incoming
            .get(packet_id)
            .map(|m| (m.qos, is_unanswered(m)));
        let why = match held {
            _ if self.phase == Phase::Closed => Some(
                "the connection it came on has ended (the server sends unacknowledged messages again on the next connection with a session)".to_string(),
            ),
            Some((_, true)) if self.acked_early.contains(&packet_id) => Some(
                "it was acknowledged already (its PUBACK/PUBREC waits for earlier messages to be acknowledged)".to_string(),
            ),
            Some((_, true)) => None,
            Some((_, false)) => {
                Some("it was acknowledged already (PUBREC sent, waiting for PUBREL)".to_string())
            }
            None if !self.config.manual_ack => Some(
                "ManualAck is off, so every message is acknowledged as it arrives".to_string(),
            ),
            None => Some(
                "no incoming message with that id waits for acknowledgement (unknown, or acknowledged already)".to_string(),
            ),
        };
        if let Some(why) = why {
            return Err(Error::new(
                code::BAD_STATE,
                format!("cannot acknowledge message {packet_id}: {why}"),
            ));
        }
        self.acked_early.insert(packet_id);
        self.answer_acked(now);
        Ok(())
    }

    /// Sends the held acknowledgements the application has given, from the oldest held
    /// message up to the first one it has not acknowledged yet.
    fn answer_acked(&mut self, now: Instant) {
        while let Some(&id) = self.unanswered.front() {
            if !self.acked_early.remove(&id) {
                break;
            }
            self.unanswered.pop_front();
            match self.incoming.get(id).map(|m| m.qos) {
                Some(QoS::AtLeastOnce) => {
                    self.send(now, pub_resp_packet(Packet::PubAck, id));
                    self.set_in_state(id, MessageState::InDone);
                    self.emit(ProtocolEvent::MessageAck {
                        direction: Direction::Incoming,
                        packet_id: id,
                        response_code: 0,
                    });
                    self.incoming.remove(id);
                }
                Some(QoS::ExactlyOnce) => {
                    self.send(now, pub_resp_packet(Packet::PubRec, id));
                    self.set_in_state(id, MessageState::WaitPubRel);
                }
                _ => {}
            }
        }
        self.unanswered.trim();
    }

    /// Queue DISCONNECT and emit `Closed { code: 0 }`.
    pub fn disconnect(&mut self, now: Instant, reason: u8, properties: Properties) {
        match self.phase {
            Phase::Closed => return,
            Phase::Idle => {}
            Phase::AwaitConnAck | Phase::Connected => {
                let packet = if self.v5() {
                    Disconnect { reason, properties }
                } else {
                    Disconnect {
                        reason: 0,
                        properties: Properties::default(),
                    }
                };
                self.send(now, Packet::Disconnect(packet));
            }
        }
        self.log(2, "Info", || "DISCONNECT sent; closing".to_string());
        self.phase = Phase::Closed;
        self.emit(ProtocolEvent::Closed {
            code: 0,
            reason: "OK".into(),
        });
    }

    /// The next queued packet, unencoded. `poll_transmit` is a loop over this.
    pub fn poll_packet(&mut self) -> Option<Packet> {
        self.transmits.pop_front()
    }

    /// Encode every queued packet into `out`; true if anything was written.
    pub fn poll_transmit(&mut self, out: &mut BytesMut) -> bool {
        let start = out.len();
        while let Some(packet) = self.poll_packet() {
            let mark = out.len();
            if let Err(e) = crate::codec::encode(&packet, self.config.protocol, out) {
                // Checks before queueing should make this unreachable; if one was missed,
                // the connection cannot continue with a packet lost from the stream.
                out.truncate(mark);
                self.transmits.clear();
                let name = packet.name();
                let err = Error::from(e);
                self.close(
                    err.code,
                    format!("cannot encode {name}: {}", err.message),
                    None,
                );
                break;
            }
        }
        self.transmits.trim();
        out.len() > start
    }

    /// The next event to hand to the layer above, oldest first; `None` when none is waiting.
    pub fn poll_event(&mut self) -> Option<ProtocolEvent> {
        let ev = self.events.pop_front();
        if ev.is_none() {
            self.events.trim();
        }
        ev
    }

    /// The next instant `handle_timeout` must be called at: a PINGREQ due, the keep-alive
    /// loss (not while reading is paused, see `set_reading_paused`), or a republish. Packets
    /// sent or received only move the keep-alive part later; resuming reading can move it
    /// earlier (a call the driver makes itself).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase != Phase::Connected {
            return None;
        }
        let ping = self.keep_alive.deadline();
        let resend = self.republish.iter().next().map(|(t, _)| *t);
        super::earliest(ping, resend)
    }

    /// What a driver sleeping on another thread should sleep until: `poll_timeout`, but while
    /// republish times are being set, no later than one republish interval from `now`.
    /// Whatever another thread publishes after `now` is then due no earlier than the driver
    /// wakes anyway, so a steady stream of QoS 1 and 2 publishes never has to wake it just
    /// to move its deadline. The cost is one spare wake-up per interval, and only within an
    /// interval of the last publish: idle connections sleep as before.
    pub fn sleep_deadline(&self, now: Instant) -> Option<Instant> {
        let floor = match (self.republish_interval(), self.last_scheduled) {
            (Some(iv), Some(last)) if self.phase == Phase::Connected && now < last + iv => {
                Some(now + iv)
            }
            _ => None,
        };
        super::earliest(self.poll_timeout(), floor)
    }

    /// True between a successful CONNACK and the close.
    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// True once the connection is over; nothing more happens on it.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// In-flight messages (QoS 1/2) in the order they entered.
    pub fn outgoing(&self) -> Vec<Message> {
        self.outgoing.iter().map(|(_, e)| e.msg.clone()).collect()
    }

    /// Incoming QoS 2 messages held until PUBREL, in arrival order.
    pub fn incoming(&self) -> Vec<Message> {
        self.incoming.iter().map(|(_, m)| m.clone()).collect()
    }

    /// Packet identifiers taken by unacknowledged PUBLISH, SUBSCRIBE and UNSUBSCRIBE
    /// packets (held-back publishes have theirs already).
    /// Whether MaxOutgoingMessages QoS 1/2 publishes are already kept, so the next must
    /// wait for an acknowledgement.
    pub fn outgoing_full(&self) -> bool {
        let max = usize::from(self.config.max_outgoing);
        max != 0 && self.outgoing.len() >= max
    }

    /// How many outgoing QoS 1/2 publishes are held, in flight or waiting for the send window.
    pub fn outgoing_len(&self) -> usize {
        self.outgoing.len()
    }

    /// How many packet identifiers are taken right now.
    pub fn ids_in_use(&self) -> usize {
        self.outgoing.len() + self.pending.len()
    }

    /// Publishes accepted in this session, every QoS (SessionPublishCount).
    pub fn published(&self) -> u64 {
        self.published
    }
}

// ---- session ----

impl Connection {
    /// A copy of the client-side session: outgoing messages not completely acknowledged
    /// (and QoS 0 ones still queued behind them), incoming QoS 2 messages waiting for
    /// PUBREL, the next packet id. Taking it changes nothing (SaveSession).
    pub fn session(&self) -> SessionState {
        let held_ids: HashSet<u16> = self
            .held
            .iter()
            .filter_map(|h| match h {
                Held::Inflight(id) => Some(*id),
                Held::AtMostOnce(..) => None,
            })
            .collect();
        // What went out comes first in publish order; what is held back was published
        // after it, in the order of the queue.
        let mut outgoing: Vec<SavedOut> = self
            .outgoing
            .iter()
            .filter(|(id, _)| !held_ids.contains(id))
            .map(|(_, e)| saved_out(e))
            .collect();
        for h in &self.held {
            match h {
                Held::Inflight(id) => {
                    if let Some(e) = self.outgoing.get(*id) {
                        outgoing.push(saved_out(e));
                    }
                }
                Held::AtMostOnce(p, topic) => {
                    let mut properties = p.properties.clone();
                    properties.topic_alias = None;
                    outgoing.push(SavedOut {
                        msg: Message {
                            direction: Direction::Outgoing,
                            packet_id: 0,
                            topic: topic.clone(),
                            qos: QoS::AtMostOnce,
                            payload: p.payload.clone(),
                            retain: p.retain,
                            dup: false,
                            state: MessageState::OutDone,
                            properties: Message::share_properties(properties),
                        },
                        sent: false,
                        pubrec_order: 0,
                    });
                }
            }
        }
        // Messages whose PUBACK/PUBREC was held are not kept: the server still has them and
        // sends them again on the next connection of the session.
        let incoming: Vec<Message> = self
            .incoming
            .iter()
            .filter(|(_, m)| !is_unanswered(m))
            .map(|(_, m)| Message {
                state: MessageState::WaitPubRel,
                ..m.clone()
            })
            .collect();
        let delivered = incoming
            .iter()
            .map(|m| m.packet_id)
            .filter(|id| self.delivered.contains(id))
            .collect();
        SessionState {
            client_id: self
                .server
                .assigned_client_identifier
                .clone()
                .unwrap_or_else(|| self.config.client_id.clone()),
            next_packet_id: self.ids.next(),
            published: self.published,
            outgoing,
            incoming,
            delivered,
        }
    }

    /// The transport under this connection is gone: take the session for the next
    /// connection and refuse every later command (1117), in one step, so nothing published
    /// after the session was taken can be left behind in a dead connection.
    pub fn end_and_take_session(&mut self) -> SessionState {
        self.phase = Phase::Closed;
        self.take_session()
    }

    /// Moves the session out, leaving this connection with nothing in flight: for
    /// carrying it to the next connection after this one closed (AutoReconnect), with
    /// [`Connection::restore`] or [`Connection::with_session`]. Acknowledgements that
    /// still arrive here are then unknown to it.
    pub fn take_session(&mut self) -> SessionState {
        let session = self.session();
        self.outgoing.take_all();
        self.incoming.take_all();
        self.forget_acks();
        self.held.clear();
        self.held_bytes = 0;
        self.republish.clear();
        self.unacked_sent = 0;
        session
    }

    /// Loads `session` before [`Connection::start`] (replacing one loaded before). On
    /// CONNACK: if the server resumed the session (session present, CleanSession false)
    /// every unacknowledged PUBLISH is sent again with DUP and its packet id, in publish
    /// order, then PUBREL for those past PUBREC; otherwise the outgoing messages are
    /// published as new ones and the incoming ones waiting for PUBREL are dropped (both
    /// logged). Fails with 211 once `start` was called; the session is then not loaded.
    pub fn restore(&mut self, session: SessionState) -> Result<()> {
        if self.phase != Phase::Idle {
            return Err(Error::new(
                code::BAD_STATE,
                "cannot restore a session into a connection that has started; restore it before connecting",
            ));
        }
        self.load_session(session);
        Ok(())
    }

    fn load_session(&mut self, session: SessionState) {
        self.outgoing.take_all();
        self.incoming.take_all();
        self.forget_acks();
        self.held.clear();
        self.held_bytes = 0;
        self.republish.clear();
        self.unacked_sent = 0;
        self.ids.set_next(session.next_packet_id);
        self.published = session.published;
        let v5 = self.v5();
        let (mut n_out, mut n_in) = (0usize, 0usize);
        for saved in session.outgoing {
            let mut msg = saved.msg;
            msg.direction = Direction::Outgoing;
            msg.forget_topic_alias();
            if !v5 {
                msg.properties = Message::empty_properties();
            }
            if msg.qos == QoS::AtMostOnce {
                let packet = Publish {
                    dup: false,
                    qos: QoS::AtMostOnce,
                    retain: msg.retain,
                    topic: msg.topic.clone(),
                    packet_id: 0,
                    payload: msg.payload,
                    properties: Arc::unwrap_or_clone(msg.properties),
                };
                self.held
                    .push_back(Held::AtMostOnce(Box::new(packet), msg.topic));
                continue;
            }
            let id = msg.packet_id;
            if id == 0 || self.outgoing.contains(id) {
                continue;
            }
            msg.dup = saved.sent;
            self.pubrec_count = self.pubrec_count.max(saved.pubrec_order);
            self.outgoing.insert(
                id,
                OutEntry {
                    wire_topic: msg.topic.clone(),
                    msg,
                    sent: false,
                    ever_sent: saved.sent,
                    in_quota: false,
                    resend_at: None,
                    pubrec_order: saved.pubrec_order,
                },
            );
            self.held.push_back(Held::Inflight(id));
            n_out += 1;
        }
        for mut m in session.incoming {
            let id = m.packet_id;
            if id == 0 || self.incoming.contains(id) {
                continue;
            }
            m.direction = Direction::Incoming;
            m.state = MessageState::WaitPubRel;
            self.incoming.insert(id, m);
            if session.delivered.contains(&id) {
                self.delivered.insert(id);
            }
            n_in += 1;
        }
        let next = self.ids.next();
        self.log(2, "Session", || {
            format!("session loaded: {n_out} outgoing and {n_in} incoming messages in flight, next packet id {next}")
        });
    }

    /// After CONNACK: continue a restored session (`present`: the server has it too) or
    /// make up for the server having none.
    fn resume_session(&mut self, now: Instant, present: bool) {
        if self.outgoing.is_empty() && self.incoming.is_empty() && self.held.is_empty() {
            return;
        }
        self.fail_unsendable();
        let ids: Vec<u16> = self.outgoing.iter().map(|(id, _)| id).collect();
        if present {
            let mut pubrels: Vec<(u64, u16)> = Vec::new();
            let mut resent = 0usize;
            for &id in &ids {
                let Some(e) = self.outgoing.get_mut(id) else {
                    continue;
                };
                match e.msg.state {
                    MessageState::WaitPubComp | MessageState::SendPubRel => {
                        pubrels.push((e.pubrec_order, id));
                    }
                    _ if e.ever_sent => {
                        e.msg.dup = true;
                        resent += 1;
                    }
                    _ => {}
                }
            }
            pubrels.sort_unstable();
            let rel_ids: HashSet<u16> = pubrels.iter().map(|(_, id)| *id).collect();
            self.held
                .retain(|h| !matches!(h, Held::Inflight(id) if rel_ids.contains(id)));
            let (queued, n_rel, n_in) = (
                self.held.len().saturating_sub(resent),
                pubrels.len(),
                self.incoming.len(),
            );
            self.log(1, "Session", || {
                format!("the server resumed the session: sending again {resent} unacknowledged PUBLISH (DUP, same packet ids), {queued} publishes not sent before, then {n_rel} PUBREL; {n_in} incoming QoS 2 messages wait for PUBREL")
            });
            // PUBLISH resends first, in publish order and within the server's Receive
            // Maximum; the PUBRELs do not count against it.
            self.release_held(now);
            for (_, id) in pubrels {
                if let Some(e) = self.outgoing.get_mut(id) {
                    e.sent = true;
                    e.msg.state = MessageState::WaitPubComp;
                    self.send(now, pub_resp_packet(Packet::PubRel, id));
                    self.reschedule(now, id);
                }
            }
            return;
        }
        // The server has no session: MQTT says to discard ours, but the outgoing messages
        // were handed over by the application, so they are published again as new ones.
        let mut past_pubrec = 0usize;
        for &id in &ids {
            let mut moved = false;
            if let Some(e) = self.outgoing.get_mut(id) {
                e.msg.dup = false;
                e.ever_sent = false;
                e.pubrec_order = 0;
                if matches!(
                    e.msg.state,
                    MessageState::WaitPubComp | MessageState::SendPubRel
                ) {
                    past_pubrec += 1;
                    moved = true;
                }
            }
            if moved {
                self.set_out_state(id, MessageState::WaitPubRec);
            }
        }
        if past_pubrec > 0 {
            // Those are PUBLISHes again now: the check above passed them over as PUBRELs.
            self.fail_unsendable();
        }
        let total = self.held.len();
        if total > 0 {
            self.log(1, "Session", || {
                let mut text = format!("the server has no session for this client (session present 0): publishing the {total} messages not completely acknowledged before as new messages (DUP clear, same packet ids) so that none is lost");
                if past_pubrec > 0 {
                    text.push_str(&format!("; {past_pubrec} of them had reached the server (PUBREC received) and may be delivered twice"));
                }
                text
            });
        }
        self.release_held(now);
        if !self.incoming.is_empty() {
            self.forget_acks();
            let dropped: Vec<String> = self
                .incoming
                .take_all()
                .into_iter()
                .map(|(id, _)| {
                    self.events.push_back(ProtocolEvent::InflightDropped {
                        direction: Direction::Incoming,
                        packet_id: id,
                    });
                    id.to_string()
                })
                .collect();
            let n = dropped.len();
            let list = dropped.join(", ");
            self.log(1, "Session", || {
                format!("the server has no session for this client (session present 0): dropping {n} incoming QoS 2 messages that waited for PUBREL (packet ids {list}); the server will not release them, so they are not delivered")
            });
        }
    }
}

impl Connection {
    /// The ManualAck bookkeeping of incoming messages, for when they are all taken out.
    fn forget_acks(&mut self) {
        self.unanswered = VecDeque::new();
        self.acked_early = HashSet::new();
        self.delivered = HashSet::new();
    }
}

/// An outgoing in-flight message as a saved session keeps it.
fn saved_out(e: &OutEntry) -> SavedOut {
    let mut msg = e.msg.clone();
    msg.forget_topic_alias();
    msg.dup = e.ever_sent;
    let past_pubrec = matches!(
        msg.state,
        MessageState::WaitPubComp | MessageState::SendPubRel
    );
    if past_pubrec {
        msg.state = MessageState::WaitPubComp;
    }
    SavedOut {
        msg,
        sent: e.ever_sent,
        pubrec_order: if past_pubrec { e.pubrec_order } else { 0 },
    }
}

// ---- plumbing ----

impl Connection {
    fn v5(&self) -> bool {
        self.config.protocol == Protocol::V5
    }

    fn emit(&mut self, event: ProtocolEvent) {
        self.events.push_back(event);
    }

    fn log(&mut self, level: u8, log_type: &'static str, message: impl FnOnce() -> String) {
        if level <= self.log_level {
            self.events.push_back(ProtocolEvent::Log {
                level,
                log_type,
                message: message(),
            });
        }
    }

    fn send(&mut self, now: Instant, packet: Packet) {
        self.keep_alive.on_send(now);
        self.queue(packet);
    }

    fn queue(&mut self, packet: Packet) {
        if self.log_level >= 3 {
            let text = format!("sent {}", describe(&packet));
            self.log(3, "Packet", || text);
        }
        self.transmits.push_back(packet);
    }

    fn check_connected(&self, what: &str) -> Result<()> {
        match self.phase {
            Phase::Connected => Ok(()),
            Phase::Closed => Err(Error::new(
                code::CONNECT_FIRST,
                format!("cannot {what}: the connection is closed; connect first"),
            )),
            Phase::Idle | Phase::AwaitConnAck => Err(Error::new(
                code::CONNECT_FIRST,
                format!("cannot {what}: not connected yet (no CONNACK); connect first"),
            )),
        }
    }

    /// Refuses a packet the server said it would not accept, or one MQTT cannot express.
    fn check_size(&self, packet: &Packet) -> Result<()> {
        let limit = self.server.maximum_packet_size.filter(|_| self.v5());
        // The codec is asked for the exact size only when it can matter: a limit from the
        // server, or content near the protocol's own limit.
        if limit.is_none() && rough_len(packet) < MAX_REMAINING_LENGTH - 70_000 {
            return Ok(());
        }
        let len = crate::codec::encoded_len(packet, self.config.protocol)?;
        let name = packet.name();
        if let Some(max) = limit {
            if len > max as usize {
                return Err(Error::new(
                    code::MALFORMED,
                    format!("the {name} would be {len} bytes, over the server's Maximum Packet Size of {max} bytes"),
                ));
            }
        }
        Ok(())
    }

    /// Refuses (5.0) what the server said in CONNACK it does not support.
    fn check_subscribe_allowed(
        &self,
        filters: &[SubscribeFilter],
        properties: &Properties,
    ) -> Result<()> {
        for f in filters {
            let name = &f.filter;
            if crate::topic::is_shared(name) {
                if !self.server.shared_subscription_available {
                    return Err(Error::new(
                        code::INVALID_TOPIC_FILTER,
                        format!("cannot subscribe to \"{name}\": the server does not support shared subscriptions (Shared Subscription Available 0 in its CONNACK)"),
                    ));
                }
                if f.no_local {
                    return Err(Error::new(
                        code::INVALID_ARGUMENT,
                        format!("cannot subscribe to \"{name}\" with No Local set: No Local is not allowed on a shared subscription"),
                    ));
                }
            }
            if !self.server.wildcard_subscription_available && crate::topic::is_wildcard(name) {
                return Err(Error::new(
                    code::INVALID_TOPIC_FILTER,
                    format!("cannot subscribe to \"{name}\": the server does not support wildcard subscriptions (Wildcard Subscription Available 0 in its CONNACK)"),
                ));
            }
        }
        if let (Some(sid), false) = (
            properties.subscription_identifiers.first(),
            self.server.subscription_identifiers_available,
        ) {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("cannot subscribe with Subscription Identifier {sid}: the server does not support subscription identifiers (Subscription Identifiers Available 0 in its CONNACK)"),
            ));
        }
        Ok(())
    }

    fn allocate_id(&mut self) -> Result<u16> {
        let (outgoing, pending) = (&self.outgoing, &self.pending);
        self.ids.allocate(outgoing.len() + pending.len(), |id| {
            outgoing.contains(id) || pending.contains_key(&id)
        })
    }

    fn has_send_quota(&self) -> bool {
        self.unacked_sent < usize::from(self.send_window())
    }

    /// How many QoS 1/2 publishes may be unacknowledged at once.
    fn send_window(&self) -> u16 {
        let own = self.config.max_inflight;
        if self.v5() {
            match own {
                0 => self.server.receive_maximum,
                n => n.min(self.server.receive_maximum),
            }
        } else {
            match own {
                0 => DEFAULT_INFLIGHT_V311,
                n => n,
            }
        }
    }

    /// Puts the PUBLISH of a held-back outgoing message on the wire.
    fn send_outgoing(&mut self, now: Instant, id: u16) {
        let Some(entry) = self.outgoing.get(id) else {
            return;
        };
        let packet = entry_publish(entry, id, entry.msg.dup);
        self.mark_sent(now, id);
        self.send(now, Packet::Publish(packet));
    }

    /// Bookkeeping for the first time an outgoing PUBLISH goes out: it now counts against
    /// the Receive Maximum and (3.1.1) waits for its republish time.
    fn mark_sent(&mut self, now: Instant, id: u16) {
        let interval = self.republish_interval();
        let Some(entry) = self.outgoing.get_mut(id) else {
            return;
        };
        entry.sent = true;
        entry.ever_sent = true;
        entry.in_quota = true;
        if let Some(iv) = interval {
            let at = now + iv;
            entry.resend_at = Some(at);
            self.republish.insert((at, id));
            self.last_scheduled = Some(now);
        }
        self.unacked_sent += 1;
    }

    /// Republishing is time-based only under 3.1.1; 5.0 resends only on reconnect.
    fn republish_interval(&self) -> Option<Duration> {
        if self.v5() {
            None
        } else {
            // A zero interval would make every resend due again at once.
            self.config.republish_interval.filter(|d| !d.is_zero())
        }
    }

    fn reschedule(&mut self, now: Instant, id: u16) {
        let interval = self.republish_interval();
        let Some(entry) = self.outgoing.get_mut(id) else {
            return;
        };
        if let Some(old) = entry.resend_at.take() {
            self.republish.remove(&(old, id));
        }
        if let Some(iv) = interval {
            let at = now + iv;
            entry.resend_at = Some(at);
            self.republish.insert((at, id));
            self.last_scheduled = Some(now);
        }
    }

    fn republish_due(&mut self, now: Instant) {
        while let Some(&(at, id)) = self.republish.iter().next() {
            if at > now {
                break;
            }
            self.republish.remove(&(at, id));
            let Some(entry) = self.outgoing.get_mut(id) else {
                continue;
            };
            entry.resend_at = None;
            let (packet, what) = match entry.msg.state {
                MessageState::WaitPubAck | MessageState::WaitPubRec => {
                    entry.msg.dup = true;
                    (
                        Packet::Publish(entry_publish(entry, id, true)),
                        "PUBLISH (DUP)",
                    )
                }
                MessageState::WaitPubComp | MessageState::SendPubRel => (
                    Packet::PubRel(PubResp {
                        packet_id: id,
                        reason: 0,
                        properties: Properties::default(),
                    }),
                    "PUBREL",
                ),
                _ => continue,
            };
            self.log(1, "Info", || {
                format!("packet {id} not acknowledged in time: sending its {what} again")
            });
            self.send(now, packet);
            self.reschedule(now, id);
        }
    }

    /// Sends what the Receive Maximum held back, now that a slot may be free.
    fn release_held(&mut self, now: Instant) {
        while let Some(front) = self.held.front() {
            match front {
                Held::AtMostOnce(..) => {
                    if let Some(Held::AtMostOnce(p, _)) = self.held.pop_front() {
                        self.held_bytes = self.held_bytes.saturating_sub(p.payload.len());
                        self.send(now, Packet::Publish(*p));
                    }
                }
                Held::Inflight(id) => {
                    let id = *id;
                    if !self.outgoing.contains(id) {
                        self.held.pop_front();
                        continue;
                    }
                    if !self.has_send_quota() {
                        break;
                    }
                    self.held.pop_front();
                    let len = self.outgoing.get(id).map_or(0, |e| e.msg.payload.len());
                    self.held_bytes = self.held_bytes.saturating_sub(len);
                    self.send_outgoing(now, id);
                }
            }
        }
        self.held.trim();
        if self.held.is_empty() {
            // Holds made by a restored session are not counted; an empty queue is exact.
            self.held_bytes = 0;
        }
    }

    /// Payload bytes held back by the send window (see `held_bytes`).
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Ends the connection because of a fault found here. `disconnect_reason`: under 5.0,
    /// tell the server why first.
    fn close(&mut self, code: i32, reason: String, disconnect_reason: Option<u8>) {
        self.close_logged(1, code, reason, disconnect_reason);
    }

    /// Ends the connection; `log_level` of the line explaining why. Closes the server
    /// decided on are logged at 2 only, as the component reports their reason at 1.
    fn close_logged(
        &mut self,
        log_level: u8,
        code: i32,
        reason: String,
        disconnect_reason: Option<u8>,
    ) {
        if self.phase == Phase::Closed {
            return;
        }
        if let (Some(rcode), true, false) =
            (disconnect_reason, self.v5(), self.phase == Phase::Idle)
        {
            let mut properties = Properties::default();
            // A Reason String must not push DISCONNECT over the server's size limit.
            let fits = self
                .server
                .maximum_packet_size
                .map_or(true, |max| reason.len() + 16 <= max as usize);
            if fits && reason.len() <= 1024 {
                properties.reason_string = Some(reason.clone());
            }
            let packet = Packet::Disconnect(Disconnect {
                reason: rcode,
                properties,
            });
            self.queue(packet);
        }
        let text = reason.clone();
        self.log(log_level, "Info", || format!("connection closed: {text}"));
        self.phase = Phase::Closed;
        self.republish.clear();
        self.emit(ProtocolEvent::Closed { code, reason });
    }

    fn protocol_error(&mut self, reason_code: u8, message: String) {
        self.close(
            code::PROTOCOL,
            format!("protocol error: {message}"),
            Some(reason_code),
        );
    }
}

// ---- received packets ----

impl Connection {
    fn handle_packet_sized(&mut self, now: Instant, packet: Packet, size: Option<usize>) {
        if self.phase == Phase::Closed {
            return;
        }
        // Any packet shows the server is alive (keep-alive judges it by this).
        self.keep_alive.on_receive(now);
        if self.log_level >= 3 {
            let text = match size {
                Some(n) => format!("received {} ({n} bytes)", describe(&packet)),
                None => format!("received {}", describe(&packet)),
            };
            self.log(3, "Packet", || text);
        }
        if self.phase != Phase::Connected {
            match packet {
                Packet::ConnAck(c) => self.on_connack(now, c),
                Packet::Auth(a) if self.v5() => self.on_auth(a.reason),
                other => {
                    let name = other.name();
                    self.protocol_error(
                        rc::PROTOCOL_ERROR,
                        format!("the server sent {name} before CONNACK"),
                    );
                }
            }
            return;
        }
        match packet {
            Packet::ConnAck(_) => self.protocol_error(
                rc::PROTOCOL_ERROR,
                "the server sent a second CONNACK".into(),
            ),
            Packet::Publish(p) => self.on_publish(now, p),
            Packet::PubAck(r) => self.on_puback(now, r),
            Packet::PubRec(r) => self.on_pubrec(now, r),
            Packet::PubRel(r) => self.on_pubrel(now, r),
            Packet::PubComp(r) => self.on_pubcomp(now, r),
            Packet::SubAck(s) => self.on_suback(s),
            Packet::UnsubAck(u) => self.on_unsuback(u),
            Packet::PingResp => {
                if !self.keep_alive.on_pingresp() {
                    self.log(2, "Info", || {
                        "PINGRESP without a PINGREQ outstanding; ignored".into()
                    });
                }
            }
            Packet::Disconnect(d) => self.on_disconnect(d),
            Packet::Auth(a) if self.v5() => self.on_auth(a.reason),
            other => {
                let name = other.name();
                self.protocol_error(
                    rc::PROTOCOL_ERROR,
                    format!("the server sent {name}, which a server never sends"),
                );
            }
        }
    }

    fn on_connack(&mut self, now: Instant, connack: ConnAck) {
        if self.phase == Phase::Idle {
            self.protocol_error(
                rc::PROTOCOL_ERROR,
                "the server sent CONNACK before CONNECT".into(),
            );
            return;
        }
        let v5 = self.v5();
        let refused = if v5 {
            connack.code >= 0x80
        } else {
            connack.code != 0
        };
        if refused {
            let mut text = if v5 {
                format!(
                    "the server refused the connection: CONNACK reason 0x{:02X} {}",
                    connack.code,
                    reason::v5(connack.code, "CONNACK")
                )
            } else {
                format!(
                    "the server refused the connection: CONNACK return code {} ({})",
                    connack.code,
                    reason::connack_v311(connack.code)
                )
            };
            append_server_text(&mut text, &connack.properties);
            // The server closes the connection after a refusal; nothing is sent back.
            self.close_logged(2, code::PROTOCOL, text, None);
            return;
        }
        if v5 && connack.code != 0 {
            let c = connack.code;
            self.protocol_error(
                rc::PROTOCOL_ERROR,
                format!("CONNACK carries reason 0x{c:02X}, which CONNACK may not use"),
            );
            return;
        }
        if connack.session_present && self.config.clean_session {
            if v5 {
                self.protocol_error(
                    rc::PROTOCOL_ERROR,
                    "the server claimed a session (CONNACK Session Present 1) in answer to a clean start, which MQTT-3.2.2-4 says the client must refuse by closing the connection".into(),
                );
                return;
            }
            // 3.1.1 forbids it too, but names no remedy; nothing from an earlier session is
            // resumed (see below), which is what a clean session means.
            self.log(1, "Session", || {
                "the server claimed a session (CONNACK Session Present 1) although we asked for a clean session; carrying on as with no session".into()
            });
        }
        let mut limits = ServerLimits::defaults(self.config.keep_alive);
        if v5 {
            let p = &connack.properties;
            if p.receive_maximum == Some(0) {
                self.protocol_error(
                    rc::PROTOCOL_ERROR,
                    "CONNACK has Receive Maximum 0, which is not allowed".into(),
                );
                return;
            }
            if let Some(ka) = p.server_keep_alive {
                limits.keep_alive = ka;
            }
            limits.receive_maximum = p.receive_maximum.unwrap_or(u16::MAX);
            limits.maximum_packet_size = p.maximum_packet_size;
            limits.topic_alias_maximum = p.topic_alias_maximum.unwrap_or(0);
            limits.maximum_qos = p
                .maximum_qos
                .and_then(QoS::from_u8)
                .unwrap_or(QoS::ExactlyOnce);
            limits.retain_available = p.retain_available != Some(0);
            limits.assigned_client_identifier = p.assigned_client_identifier.clone();
            limits.wildcard_subscription_available = p.wildcard_subscription_available != Some(0);
            limits.shared_subscription_available = p.shared_subscription_available != Some(0);
            limits.subscription_identifiers_available =
                p.subscription_identifier_available != Some(0);
        }
        if limits.keep_alive != self.config.keep_alive {
            let (ours, theirs) = (self.config.keep_alive, limits.keep_alive);
            self.log(1, "Info", || {
                format!("the server set keep-alive to {theirs} s (we asked for {ours} s)")
            });
        }
        self.keep_alive.set_interval(limits.keep_alive);
        self.server = limits;
        self.phase = Phase::Connected;
        let sp = connack.session_present;
        self.log(2, "Info", || {
            format!("CONNACK accepted (session present: {sp})")
        });
        self.emit(ProtocolEvent::Connected {
            connack: Box::new(connack),
        });
        self.resume_session(now, sp && !self.config.clean_session);
    }

    fn on_auth(&mut self, reason_code: u8) {
        if self
            .config
            .connect_properties
            .authentication_method
            .is_none()
        {
            self.protocol_error(
                rc::PROTOCOL_ERROR,
                "the server sent AUTH although CONNECT named no authentication method".into(),
            );
            return;
        }
        self.close(
            code::PROTOCOL,
            format!(
                "the server asked for an enhanced authentication step (AUTH reason 0x{reason_code:02X} {}), which is not supported",
                reason::v5(reason_code, "AUTH")
            ),
            Some(rc::IMPLEMENTATION_SPECIFIC),
        );
    }

    fn on_disconnect(&mut self, d: Disconnect) {
        let mut text = if self.v5() {
            format!(
                "the server closed the connection: DISCONNECT reason 0x{:02X} {}",
                d.reason,
                reason::v5(d.reason, "DISCONNECT")
            )
        } else {
            "the server sent DISCONNECT".to_string()
        };
        append_server_text(&mut text, &d.properties);
        self.emit(ProtocolEvent::DisconnectReceived {
            reason: d.reason,
            properties: Box::new(d.properties),
        });
        let code = if d.reason == 0 {
            code::DROPPED
        } else {
            code::PROTOCOL
        };
        self.close_logged(2, code, text, None);
    }

    fn on_suback(&mut self, s: SubAck) {
        let id = s.packet_id;
        let ack = self.pending.remove(&id);
        self.pending.trim();
        match ack {
            Some(PendingAck::Subscribe(filters)) => {
                if filters.len() != s.codes.len() {
                    self.protocol_error(
                        rc::PROTOCOL_ERROR,
                        format!(
                            "SUBACK {id} has {} return codes for {} topic filters",
                            s.codes.len(),
                            filters.len()
                        ),
                    );
                    return;
                }
                for (filter, code) in filters.into_iter().zip(s.codes) {
                    self.emit(ProtocolEvent::Subscribed {
                        packet_id: id,
                        filter,
                        code,
                    });
                }
            }
            Some(PendingAck::Unsubscribe(_)) => self.protocol_error(
                rc::PROTOCOL_ERROR,
                format!("SUBACK for packet id {id}, which was an UNSUBSCRIBE"),
            ),
            None => self.log(2, "Info", || {
                format!("SUBACK for unknown packet id {id}; ignored")
            }),
        }
    }

    fn on_unsuback(&mut self, u: UnsubAck) {
        let id = u.packet_id;
        let ack = self.pending.remove(&id);
        self.pending.trim();
        match ack {
            Some(PendingAck::Unsubscribe(count)) => {
                let expected = if self.v5() { count } else { 0 };
                if u.codes.len() != expected {
                    self.protocol_error(
                        rc::PROTOCOL_ERROR,
                        format!(
                            "UNSUBACK {id} has {} reason codes for {count} topic filters",
                            u.codes.len()
                        ),
                    );
                    return;
                }
                self.emit(ProtocolEvent::Unsubscribed {
                    packet_id: id,
                    codes: u.codes,
                });
            }
            Some(PendingAck::Subscribe(_)) => self.protocol_error(
                rc::PROTOCOL_ERROR,
                format!("UNSUBACK for packet id {id}, which was a SUBSCRIBE"),
            ),
            None => self.log(2, "Info", || {
                format!("UNSUBACK for unknown packet id {id}; ignored")
            }),
        }
    }

    /// The in-flight outgoing message an acknowledgement refers to, if the server may
    /// acknowledge it at all (a held-back PUBLISH was never sent).
    fn sent_entry(&self, id: u16) -> Option<(QoS, MessageState)> {
        self.outgoing
            .get(id)
            .filter(|e| e.sent)
            .map(|e| (e.msg.qos, e.msg.state))
    }

    fn unknown_ack(&mut self, name: &str, id: u16) {
        let name = name.to_string();
        self.log(2, "Info", || {
            format!("{name} for unknown packet id {id}; ignored")
        });
    }

    fn on_puback(&mut self, now: Instant, r: PubResp) {
        let id = r.packet_id;
        match self.sent_entry(id) {
            None => self.unknown_ack("PUBACK", id),
            Some((QoS::AtLeastOnce, _)) => self.finish_outgoing(now, id, r.reason),
            Some(_) => self.protocol_error(
                rc::PROTOCOL_ERROR,
                format!("PUBACK for packet id {id}, a QoS 2 message (expected PUBREC/PUBCOMP)"),
            ),
        }
    }

    fn on_pubrec(&mut self, now: Instant, r: PubResp) {
        let id = r.packet_id;
        match self.sent_entry(id) {
            None => self.answer_forgotten_pubrec(now, id, "unknown packet id"),
            Some((QoS::ExactlyOnce, MessageState::WaitPubRec)) => {
                if self.v5() && r.reason >= 0x80 {
                    self.finish_outgoing(now, id, r.reason);
                    return;
                }
                self.pubrec_count += 1;
                let order = self.pubrec_count;
                if let Some(e) = self.outgoing.get_mut(id) {
                    e.pubrec_order = order;
                }
                self.set_out_state(id, MessageState::SendPubRel);
                self.send(now, pub_resp_packet(Packet::PubRel, id));
                self.set_out_state(id, MessageState::WaitPubComp);
                self.reschedule(now, id);
            }
            Some((QoS::ExactlyOnce, _)) => {
                // Our PUBREL may have crossed a resent PUBREC; the answer is the same.
                self.log(2, "Info", || {
                    format!("repeated PUBREC for packet id {id}; sending PUBREL again")
                });
                self.send(now, pub_resp_packet(Packet::PubRel, id));
            }
            // Our QoS 1 message took an id the server still knows from an older QoS 2
            // flow (its state restored from before). That flow is finished for the server
            // to forget it; our message still waits for its PUBACK.
            Some(_) => self.answer_forgotten_pubrec(now, id, "packet id of a QoS 1 message"),
        }
    }

    /// PUBREC for a QoS 2 flow we do not have (lost with our session, or finished before the
    /// server lost its own state): PUBREL lets the server finish its side, and staying
    /// connected keeps a server that insists on it from making us reconnect for ever.
    fn answer_forgotten_pubrec(&mut self, now: Instant, id: u16, what: &str) {
        let reason = if self.v5() {
            rc::PACKET_ID_NOT_FOUND
        } else {
            rc::SUCCESS
        };
        let what = what.to_string();
        self.log(1, "Session", || {
            format!("PUBREC for {what} {id}, no QoS 2 message of ours: the server's state differs from ours; answering PUBREL (reason 0x{reason:02X}) so it can finish that flow")
        });
        self.send(
            now,
            Packet::PubRel(PubResp {
                packet_id: id,
                reason,
                properties: Properties::default(),
            }),
        );
    }

    fn on_pubcomp(&mut self, now: Instant, r: PubResp) {
        let id = r.packet_id;
        match self.sent_entry(id) {
            None => self.unknown_ack("PUBCOMP", id),
            Some((QoS::ExactlyOnce, MessageState::WaitPubComp)) => {
                self.finish_outgoing(now, id, r.reason)
            }
            Some((QoS::ExactlyOnce, _)) => self.protocol_error(
                rc::PROTOCOL_ERROR,
                format!("PUBCOMP for packet id {id} before its PUBREC"),
            ),
            // The end of a server's old QoS 2 flow on this id (see on_pubrec): nothing of
            // ours; the QoS 1 message still waits for its PUBACK.
            Some(_) => self.log(2, "Info", || {
                format!("PUBCOMP for packet id {id}, a QoS 1 message of ours: it ends a QoS 2 flow the server had on that id; ignored")
            }),
        }
    }

    fn set_out_state(&mut self, id: u16, state: MessageState) {
        if let Some(e) = self.outgoing.get_mut(id) {
            e.msg.state = state;
            self.emit(ProtocolEvent::InflightState {
                direction: Direction::Outgoing,
                packet_id: id,
                state,
            });
        }
    }

    fn finish_outgoing(&mut self, now: Instant, id: u16, response_code: u8) {
        self.end_outgoing(id, response_code);
        self.release_held(now);
    }

    /// Under 5.0 the CONNACK just said what this server takes. Messages carried over from an
    /// earlier connection or a restored session were checked against the server of their
    /// day: sending one this server cannot take would only earn a DISCONNECT, and the same
    /// again at every reconnection. Each is ended now with the reason code the server would
    /// have given (MessageAck, then MessageOut), and logged.
    fn fail_unsendable(&mut self) {
        if !self.v5() {
            return;
        }
        let ids: Vec<u16> = self.outgoing.iter().map(|(id, _)| id).collect();
        for id in ids {
            let Some(e) = self.outgoing.get(id) else {
                continue;
            };
            // Past PUBREC only a PUBREL is left to send: the server has the message.
            if matches!(
                e.msg.state,
                MessageState::WaitPubComp | MessageState::SendPubRel
            ) {
                continue;
            }
            let publish = Packet::Publish(entry_publish(e, id, true));
            if let Some((rc, why)) = self.unsendable(&publish) {
                let topic = e.msg.topic.to_string();
                self.log(1, "Session", || {
                    format!("message {id} to \"{topic}\" is not sent again: {why}")
                });
                self.end_outgoing(id, rc);
            }
        }
        let mut kept = VecDeque::with_capacity(self.held.len());
        for h in std::mem::take(&mut self.held) {
            if let Held::AtMostOnce(p, topic) = &h {
                let packet = Packet::Publish((**p).clone());
                if let Some((_, why)) = self.unsendable(&packet) {
                    self.held_bytes = self.held_bytes.saturating_sub(p.payload.len());
                    self.log(1, "Session", || {
                        format!(
                            "a QoS 0 message to \"{topic}\" waiting to be sent is dropped: {why}"
                        )
                    });
                    continue;
                }
            }
            kept.push_back(h);
        }
        self.held = kept;
    }

    /// Why the server of this connection cannot take `publish`, with its reason code.
    fn unsendable(&self, publish: &Packet) -> Option<(u8, String)> {
        let Packet::Publish(p) = publish else {
            return None;
        };
        if p.qos > self.server.maximum_qos {
            let (q, max) = (p.qos as u8, self.server.maximum_qos as u8);
            return Some((
                rc::QOS_NOT_SUPPORTED,
                format!("it is QoS {q} and this server's Maximum QoS is {max}"),
            ));
        }
        if p.retain && !self.server.retain_available {
            return Some((
                rc::RETAIN_NOT_SUPPORTED,
                "it is retained and this server has no retained messages".into(),
            ));
        }
        self.check_size(publish)
            .err()
            .map(|e| (rc::PACKET_TOO_LARGE, e.message))
    }

    /// Remove an outgoing message as acknowledged with `response_code`, and say so.
    fn end_outgoing(&mut self, id: u16, response_code: u8) {
        let Some(mut entry) = self.outgoing.remove(id) else {
            return;
        };
        if let Some(at) = entry.resend_at.take() {
            self.republish.remove(&(at, id));
        }
        if entry.in_quota {
            self.unacked_sent = self.unacked_sent.saturating_sub(1);
        }
        entry.msg.state = MessageState::OutDone;
        self.emit(ProtocolEvent::InflightState {
            direction: Direction::Outgoing,
            packet_id: id,
            state: MessageState::OutDone,
        });
        self.emit(ProtocolEvent::MessageAck {
            direction: Direction::Outgoing,
            packet_id: id,
            response_code,
        });
        self.emit(ProtocolEvent::MessageOut { message: entry.msg });
    }

    fn on_publish(&mut self, now: Instant, p: Publish) {
        let Some(topic) = self.resolve_topic(&p) else {
            return;
        };
        let id = p.packet_id;
        if p.qos != QoS::AtMostOnce && id == 0 {
            self.protocol_error(
                rc::PROTOCOL_ERROR,
                "PUBLISH with QoS > 0 and packet id 0".into(),
            );
            return;
        }
        let mut message = Message {
            direction: Direction::Incoming,
            packet_id: id,
            topic,
            qos: p.qos,
            payload: p.payload,
            retain: p.retain,
            dup: p.dup,
            state: MessageState::InDone,
            properties: Message::share_properties(p.properties),
        };
        match p.qos {
            QoS::AtMostOnce => {
                message.packet_id = 0;
                self.emit(ProtocolEvent::MessageIn { message });
            }
            QoS::AtLeastOnce => {
                if let Some(held) = self.incoming.get(id) {
                    let same = held.topic == message.topic && held.payload == message.payload;
                    if held.qos == QoS::AtLeastOnce && (message.dup || same) {
                        // ManualAck: delivered already; the application's ack answers both.
                        self.log(2, "Info", || {
                            format!("repeated QoS 1 PUBLISH {id} while its PUBACK waits for the application; not delivering it twice")
                        });
                        return;
                    }
                    // A server may not reuse an id before its flow is complete, so this one
                    // no longer has that flow (it restarted without its state) and will never
                    // release the message. Closing would not help: it would send the same
                    // PUBLISH again after every reconnect.
                    self.drop_forgotten_incoming(id, "a QoS 1 PUBLISH");
                    self.answer_acked(now);
                }
                if !self.check_receive_maximum() {
                    return;
                }
                message.state = MessageState::SendPubAck;
                if self.config.manual_ack {
                    self.hold_for_ack(message);
                    return;
                }
                self.emit(ProtocolEvent::InflightAdded {
                    message: message.clone(),
                });
                self.send(now, pub_resp_packet(Packet::PubAck, id));
                message.state = MessageState::InDone;
                self.emit(ProtocolEvent::InflightState {
                    direction: Direction::Incoming,
                    packet_id: id,
                    state: MessageState::InDone,
                });
                self.emit(ProtocolEvent::MessageAck {
                    direction: Direction::Incoming,
                    packet_id: id,
                    response_code: 0,
                });
                self.emit(ProtocolEvent::MessageIn { message });
            }
            QoS::ExactlyOnce => {
                if let Some(held) = self.incoming.get(id) {
                    let same = held.topic == message.topic && held.payload == message.payload;
                    if held.qos == QoS::ExactlyOnce && is_unanswered(held) && (message.dup || same)
                    {
                        // ManualAck: delivered already, and the PUBREC is the application's
                        // to release.
                        self.log(2, "Info", || {
                            format!("repeated QoS 2 PUBLISH {id} while its PUBREC waits for the application; not delivering it twice")
                        });
                        return;
                    }
                    if held.qos == QoS::ExactlyOnce && (message.dup || same) {
                        // Delivered once already (or about to be, on PUBREL): only the
                        // acknowledgement is repeated.
                        self.log(2, "Info", || {
                            format!("repeated QoS 2 PUBLISH {id} before PUBREL; sending PUBREC again, not delivering it twice")
                        });
                        self.send(now, pub_resp_packet(Packet::PubRec, id));
                        return;
                    }
                    // A first attempt (DUP 0) with other content: the server started a new
                    // flow on an id whose old flow it forgot.
                    self.drop_forgotten_incoming(
                        id,
                        "a new QoS 2 PUBLISH (DUP 0, another topic or payload)",
                    );
                    self.answer_acked(now);
                }
                if !self.check_receive_maximum() {
                    return;
                }
                message.state = MessageState::SendPubRec;
                if self.config.manual_ack {
                    self.delivered.insert(id);
                    self.hold_for_ack(message);
                    return;
                }
                self.incoming.insert(id, message.clone());
                self.emit(ProtocolEvent::InflightAdded { message });
                self.send(now, pub_resp_packet(Packet::PubRec, id));
                self.set_in_state(id, MessageState::WaitPubRel);
            }
        }
    }

    /// ManualAck: `message` (state SendPubAck or SendPubRec) is delivered now and stays in
    /// flight, its acknowledgement held until [`Connection::ack`].
    fn hold_for_ack(&mut self, message: Message) {
        let id = message.packet_id;
        self.incoming.insert(id, message.clone());
        self.unanswered.push_back(id);
        self.emit(ProtocolEvent::InflightAdded {
            message: message.clone(),
        });
        self.emit(ProtocolEvent::MessageIn { message });
    }

    /// Our Receive Maximum (5.0) against one more incoming QoS 1/2 PUBLISH: the messages in
    /// `incoming` are the ones still unacknowledged (QoS 2 waiting for PUBREL, and under
    /// ManualAck those the application has not acknowledged; otherwise a QoS 1 message is
    /// acknowledged within the call that receives it). False after closing with 0x93.
    fn check_receive_maximum(&mut self) -> bool {
        if !self.v5() {
            return true;
        }
        let limit = self
            .config
            .connect_properties
            .receive_maximum
            .unwrap_or(u16::MAX);
        if self.incoming.len() < usize::from(limit) {
            return true;
        }
        self.protocol_error(
            rc::RECEIVE_MAXIMUM_EXCEEDED,
            format!(
                "the server sent a QoS 1/2 PUBLISH while {} were unacknowledged, over our Receive Maximum of {limit}",
                self.incoming.len()
            ),
        );
        false
    }

    /// The topic of an incoming PUBLISH, through the 5.0 alias table; None after closing
    /// for a violation.
    fn resolve_topic(&mut self, p: &Publish) -> Option<ByteString> {
        let alias = if self.v5() {
            p.properties.topic_alias
        } else {
            None
        };
        let Some(alias) = alias else {
            if p.topic.is_empty() {
                self.protocol_error(
                    rc::PROTOCOL_ERROR,
                    "PUBLISH with an empty topic and no topic alias".into(),
                );
                return None;
            }
            return Some(p.topic.clone());
        };
        let max = self
            .config
            .connect_properties
            .topic_alias_maximum
            .unwrap_or(0);
        if alias == 0 || alias > max {
            self.protocol_error(
                rc::TOPIC_ALIAS_INVALID,
                format!(
                    "PUBLISH uses topic alias {alias}, outside our Topic Alias Maximum of {max}"
                ),
            );
            return None;
        }
        if p.topic.is_empty() {
            match self.in_aliases.get(&alias) {
                Some(t) => Some(t.clone()),
                None => {
                    self.protocol_error(
                        rc::TOPIC_ALIAS_INVALID,
                        format!("PUBLISH with an empty topic uses topic alias {alias}, which was never set"),
                    );
                    None
                }
            }
        } else {
            self.in_aliases.insert(alias, p.topic.clone());
            Some(p.topic.clone())
        }
    }

    fn set_in_state(&mut self, id: u16, state: MessageState) {
        if let Some(m) = self.incoming.get_mut(id) {
            m.state = state;
            self.emit(ProtocolEvent::InflightState {
                direction: Direction::Incoming,
                packet_id: id,
                state,
            });
        }
    }

    /// The server started a flow on packet id `id` (`what` names the packet) while an
    /// incoming QoS 2 message still holds it: the server lost the held message's flow, so
    /// no PUBREL will come for it. It is dropped undelivered, as `resume_session` drops the
    /// messages of a session the server does not have.
    fn drop_forgotten_incoming(&mut self, id: u16, what: &str) {
        let Some(old) = self.incoming.remove(id) else {
            return;
        };
        if is_unanswered(&old) {
            self.unanswered.retain(|&u| u != id);
            self.acked_early.remove(&id);
        }
        self.delivered.remove(&id);
        self.emit(ProtocolEvent::InflightDropped {
            direction: Direction::Incoming,
            packet_id: id,
        });
        let what = what.to_string();
        self.log(1, "Session", || {
            format!("the server sent {what} with packet id {id}, which an incoming QoS 2 message (topic \"{}\") still holds waiting for PUBREL: the server has lost that flow (restarted without its state?) and will not release it, so it is dropped undelivered and the new message is taken", old.topic)
        });
    }

    fn on_pubrel(&mut self, now: Instant, r: PubResp) {
        let id = r.packet_id;
        if !self.incoming.contains(id) {
            // Our PUBCOMP may have been lost; answering lets the server finish.
            let code = if self.v5() {
                rc::PACKET_ID_NOT_FOUND
            } else {
                0
            };
            self.log(2, "Info", || {
                format!("PUBREL for unknown packet id {id}; answering PUBCOMP")
            });
            self.send(
                now,
                Packet::PubComp(PubResp {
                    packet_id: id,
                    reason: code,
                    properties: Properties::default(),
                }),
            );
            return;
        }
        if self.incoming.get(id).is_some_and(is_unanswered) {
            self.protocol_error(
                rc::PROTOCOL_ERROR,
                format!("PUBREL for packet id {id} before our PUBREC (the message waits for the application's acknowledgement)"),
            );
            return;
        }
        self.set_in_state(id, MessageState::SendPubComp);
        self.send(now, pub_resp_packet(Packet::PubComp, id));
        self.set_in_state(id, MessageState::InDone);
        self.emit(ProtocolEvent::MessageAck {
            direction: Direction::Incoming,
            packet_id: id,
            response_code: r.reason,
        });
        let delivered = self.delivered.remove(&id);
        if let Some(message) = self.incoming.remove(id) {
            if !delivered {
                self.emit(ProtocolEvent::MessageIn { message });
            }
        }
    }
}

/// ManualAck: an incoming message delivered whose PUBACK/PUBREC is still held.
fn is_unanswered(m: &Message) -> bool {
    matches!(m.state, MessageState::SendPubAck | MessageState::SendPubRec)
}

/// The PUBLISH packet of an in-flight outgoing message.
fn entry_publish(entry: &OutEntry, packet_id: u16, dup: bool) -> Publish {
    Publish {
        dup,
        qos: entry.msg.qos,
        retain: entry.msg.retain,
        topic: entry.wire_topic.clone(),
        packet_id,
        payload: entry.msg.payload.clone(),
        properties: (*entry.msg.properties).clone(),
    }
}

/// A PUBACK/PUBREC/PUBREL/PUBCOMP with reason 0 and no properties.
fn pub_resp_packet(kind: fn(PubResp) -> Packet, packet_id: u16) -> Packet {
    kind(PubResp {
        packet_id,
        reason: rc::SUCCESS,
        properties: Properties::default(),
    })
}

/// Adds the server's Reason String and Server Reference to a close reason.
fn append_server_text(text: &mut String, p: &Properties) {
    if let Some(s) = &p.reason_string {
        text.push_str(&format!(" (server says: {s})"));
    }
    if let Some(s) = &p.server_reference {
        text.push_str(&format!(" (server reference: {s})"));
    }
}

/// One line per packet for the "Packet" log.
fn describe(p: &Packet) -> String {
    match p {
        Packet::Publish(p) => format!(
            "PUBLISH (id {}, QoS {}, topic \"{}\", payload {} bytes{}{})",
            p.packet_id,
            p.qos as u8,
            p.topic,
            p.payload.len(),
            if p.dup { ", DUP" } else { "" },
            if p.retain { ", retain" } else { "" }
        ),
        Packet::PubAck(r) | Packet::PubRec(r) | Packet::PubRel(r) | Packet::PubComp(r) => {
            format!(
                "{} (id {}, reason 0x{:02X})",
                p.name(),
                r.packet_id,
                r.reason
            )
        }
        Packet::Subscribe(s) => format!(
            "SUBSCRIBE (id {}, {} filters)",
            s.packet_id,
            s.filters.len()
        ),
        Packet::SubAck(s) => format!("SUBACK (id {}, codes {:?})", s.packet_id, s.codes),
        Packet::Unsubscribe(u) => format!(
            "UNSUBSCRIBE (id {}, {} filters)",
            u.packet_id,
            u.filters.len()
        ),
        Packet::UnsubAck(u) => format!("UNSUBACK (id {}, codes {:?})", u.packet_id, u.codes),
        Packet::ConnAck(c) => format!(
            "CONNACK (code 0x{:02X}, session present {})",
            c.code, c.session_present
        ),
        Packet::Disconnect(d) => format!("DISCONNECT (reason 0x{:02X})", d.reason),
        Packet::Auth(a) => format!("AUTH (reason 0x{:02X})", a.reason),
        other => other.name().to_string(),
    }
}

/// A lower bound of the encoded size, enough to tell when the exact size is worth asking.
fn rough_len(p: &Packet) -> usize {
    match p {
        Packet::Publish(p) => p.payload.len() + p.topic.len(),
        Packet::Subscribe(s) => s.filters.iter().map(|f| f.filter.len() + 3).sum(),
        Packet::Unsubscribe(u) => u.filters.iter().map(|f| f.len() + 2).sum(),
        _ => 0,
    }
}
