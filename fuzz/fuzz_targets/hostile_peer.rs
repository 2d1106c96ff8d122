//! A hostile server against the sans-IO client state machine (`protocol::Connection`).
//!
//! The input is read (with `arbitrary`) as a connection setup and up to `MAX_OPS` operations:
//! bytes from the server (well-formed packets built from arbitrary fields by the codec's
//! encoder, the same packets with one byte changed or encoded for the other protocol
//! version, client-only packets, raw bytes), cut into arbitrary chunks; API calls (publish,
//! subscribe, unsubscribe, disconnect, saving the session, taking it into a new connection);
//! and time steps. After every step the transmit queue and the events are drained and
//! `Checker` verifies the invariants listed on it; any broken one panics with a message
//! that names it, which libFuzzer reports as a crash.
#![no_main]

use arbitrary::Arbitrary;
use bytes::{Bytes, BytesMut};
use ferromq::codec::{
    self, reason, Auth, ConnAck, Connect, Disconnect, Packet, Properties, Protocol, PubResp,
    Publish, QoS, SubAck, Subscribe, SubscribeFilter, UnsubAck, Unsubscribe,
};
use ferromq::protocol::{Connection, ConnectionConfig, Direction, ProtocolEvent, SessionState};
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// Counts the heap in use, for the "memory bounded" invariant.
#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Keeps one execution in the order of a millisecond.
const MAX_OPS: usize = 64;
const MAX_ITEMS: usize = 8;
const MAX_RAW: usize = 64;
const MAX_FILTERS: usize = 4;
/// Payload bytes after the 8-byte serial every publish of ours starts with.
const MAX_FILLER: usize = 64;
/// The largest packet MQTT can express: `max_packet_size` at it means "no limit".
const PROTOCOL_MAX_PACKET: u32 = 268_435_460;
/// The largest of the shortest forms of PINGREQ, PUBACK..PUBCOMP and DISCONNECT.
const MIN_FORM: usize = 5;
/// The 3.1.1 send window when MaxInflight is 0 (`connection::DEFAULT_INFLIGHT_V311`).
const DEFAULT_INFLIGHT_V311: usize = 20;

// ---- the input ----

#[derive(Arbitrary, Debug)]
struct Input {
    setup: Setup,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug, Clone)]
struct Setup {
    v5: bool,
    /// Seconds, modulo 31 (0: keep-alive off).
    keep_alive: u8,
    clean_session: bool,
    empty_client_id: bool,
    /// Modulo 5 (0: automatic).
    max_inflight: u8,
    /// 5.0: our Receive Maximum in CONNECT, 1 + v % 4.
    receive_maximum: Option<u8>,
    /// 5.0: our Topic Alias Maximum in CONNECT, v % 5.
    topic_alias_maximum: Option<u8>,
    /// Index into `MAX_PACKET_SIZES`.
    max_packet: u8,
    /// 3.1.1: republish unacknowledged messages after v % 31 seconds.
    republish_secs: Option<u8>,
    auth_method: bool,
    will: bool,
    credentials: bool,
    /// Modulo 4: 3 formats a line per packet.
    log_level: u8,
    /// ManualAck: incoming QoS 1/2 messages are delivered at once and acknowledged only by
    /// `Op::Ack`.
    manual_ack: bool,
    /// A successful CONNACK fed right after CONNECT, so most inputs start connected.
    connack: Option<Welcome>,
}

const MAX_PACKET_SIZES: [u32; 4] = [48, 256, 4096, PROTOCOL_MAX_PACKET];

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    Server {
        items: Vec<ServerItem>,
        /// Chunk sizes (1 + v); what is left after them is fed at once.
        chunks: Vec<u8>,
    },
    Publish {
        qos: u8,
        topic: TopicChoice,
        filler: u8,
        retain: bool,
        dup: bool,
        /// 5.0 Topic Alias, v % 6 (0 and values over the server's maximum are refused).
        alias: Option<u8>,
        properties: bool,
    },
    Subscribe {
        filters: Vec<(FilterChoice, u8)>,
        subscription_id: Option<u32>,
        no_local: bool,
    },
    Unsubscribe {
        filters: Vec<FilterChoice>,
    },
    Disconnect {
        reason: Code,
    },
    /// Advance the clock by v/65535 of two keep-alive intervals (two minutes without one),
    /// waking at every deadline on the way as a driver does.
    Advance(u16),
    /// The driver stops (true) or resumes (false) reading: what the server sends meanwhile
    /// waits, and is read at once on resuming.
    PauseReading(bool),
    /// Advance the clock to the next deadline the connection asked for.
    Fire,
    Reconnect(ReconnectSpec),
    /// Save the session (a copy) and read it back from its text form.
    SaveSession,
    /// Restore into a connection that has started: must be refused and change nothing.
    RestoreLate,
    /// ManualAck: acknowledge an incoming message (below 0x8000: the one at v % len of
    /// incoming(), else the packet id v - 0x8000, usually unknown).
    Ack(u16),
}

#[derive(Arbitrary, Debug, Clone)]
struct ReconnectSpec {
    /// end_and_take_session (the transport is gone) rather than take_session.
    end: bool,
    switch_protocol: bool,
    clean_session: bool,
    /// Carry the session through `to_text`/`from_text`, as another process would.
    via_text: bool,
    /// Connection::with_session rather than new + restore.
    with_session: bool,
    connack: Option<Welcome>,
}

#[derive(Arbitrary, Debug, Clone)]
struct ServerItem {
    kind: ItemKind,
    /// Below 16: encode for the other protocol version than the connection speaks.
    version: u8,
    /// Below 32: overwrite byte `at % len` of the encoding with `value`.
    corrupt: u8,
    at: u16,
    value: u8,
}

/// A CONNACK that accepts the connection.
#[derive(Arbitrary, Debug, Clone)]
struct Welcome {
    session_present: bool,
    properties: Option<ConnAckProps>,
}

impl Welcome {
    fn item(&self) -> ServerItem {
        ServerItem {
            kind: ItemKind::ConnAck(ConnAckSpec {
                session_present: self.session_present,
                code: Code::Zero,
                properties: self.properties.clone(),
            }),
            version: u8::MAX,
            corrupt: u8::MAX,
            at: 0,
            value: 0,
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum ItemKind {
    ConnAck(ConnAckSpec),
    Publish(PublishSpec),
    Ack {
        kind: AckKind,
        id: IdChoice,
        reason: Code,
        reason_string: bool,
    },
    SubAck {
        id: IdChoice,
        codes: Vec<Code>,
    },
    UnsubAck {
        id: IdChoice,
        codes: Vec<Code>,
    },
    PingResp,
    Disconnect {
        reason: Code,
        reason_string: bool,
        server_reference: bool,
        session_expiry: Option<u32>,
    },
    Auth {
        reason: Code,
        method: bool,
    },
    /// A packet only a client sends.
    ClientOnly(ClientKind),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum AckKind {
    Ack,
    Rec,
    Rel,
    Comp,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum ClientKind {
    Connect,
    Subscribe,
    Unsubscribe,
    PingReq,
}

#[derive(Arbitrary, Debug, Clone)]
struct ConnAckSpec {
    session_present: bool,
    code: Code,
    properties: Option<ConnAckProps>,
}

#[derive(Arbitrary, Debug, Clone)]
struct ConnAckProps {
    receive_maximum: Option<u8>,
    maximum_qos: Option<bool>,
    retain_available: Option<bool>,
    topic_alias_maximum: Option<u8>,
    maximum_packet_size: Option<u16>,
    server_keep_alive: Option<u8>,
    assigned_client_identifier: bool,
    wildcard_available: Option<bool>,
    shared_available: Option<bool>,
    subscription_ids_available: Option<bool>,
    reason_string: bool,
    server_reference: bool,
    session_expiry: Option<u32>,
    user_property: bool,
}

#[derive(Arbitrary, Debug, Clone)]
struct PublishSpec {
    qos: u8,
    id: IdChoice,
    dup: bool,
    retain: bool,
    topic: TopicChoice,
    /// From 192: 5.0 Topic Alias v % 8 (the codec refuses 0).
    alias: u8,
    payload: u8,
    /// The codec refuses 0.
    subscription_id: Option<u8>,
    user_property: bool,
}

/// A packet id, chosen among the ids in play when the item is built.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum IdChoice {
    /// The k-th outgoing message in flight.
    Outgoing(u8),
    /// The k-th incoming QoS 2 message waiting for PUBREL.
    Incoming(u8),
    /// The k-th unacknowledged SUBSCRIBE/UNSUBSCRIBE.
    Pending(u8),
    /// 1 + v % 8: collisions between flows.
    Small(u8),
    /// The id of the item before in the same operation (a PUBLISH and its PUBREL).
    Prev,
    Any(u16),
}

/// A reason code: 0, one of those the packet may carry, or any byte.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Code {
    Zero,
    Listed(u8),
    Any(u8),
}

#[derive(Arbitrary, Debug, Clone)]
enum TopicChoice {
    A,
    AB,
    Deep,
    Dollar,
    Empty,
    Wild,
    Custom(String),
}

#[derive(Arbitrary, Debug, Clone)]
enum FilterChoice {
    Topic(TopicChoice),
    Plus,
    Hash,
    Shared,
    Empty,
}

impl Code {
    fn pick(self, list: &[u8]) -> u8 {
        match self {
            Code::Zero => 0,
            Code::Listed(i) if !list.is_empty() => list[usize::from(i) % list.len()],
            Code::Listed(v) | Code::Any(v) => v,
        }
    }
}

impl TopicChoice {
    fn text(&self) -> String {
        match self {
            TopicChoice::A => "a".into(),
            TopicChoice::AB => "a/b".into(),
            TopicChoice::Deep => "t/1/2/3".into(),
            TopicChoice::Dollar => "$SYS/x".into(),
            TopicChoice::Empty => String::new(),
            TopicChoice::Wild => "a/+".into(),
            TopicChoice::Custom(s) => s.chars().take(16).collect(),
        }
    }
}

impl FilterChoice {
    fn text(&self) -> String {
        match self {
            FilterChoice::Topic(t) => t.text(),
            FilterChoice::Plus => "a/+".into(),
            FilterChoice::Hash => "#".into(),
            FilterChoice::Shared => "$share/g/a".into(),
            FilterChoice::Empty => String::new(),
        }
    }
}

/// The reason codes valid in a packet of `packet_type` under `protocol`.
fn codes(protocol: Protocol, packet_type: u8) -> &'static [u8] {
    match protocol {
        Protocol::V5 => reason::valid_reasons(packet_type),
        Protocol::V311 => match packet_type {
            2 => &[0, 1, 2, 3, 4, 5],
            9 => &[0, 1, 2, 0x80],
            _ => &[0],
        },
    }
}

fn other(p: Protocol) -> Protocol {
    match p {
        Protocol::V311 => Protocol::V5,
        Protocol::V5 => Protocol::V311,
    }
}

// ---- building the server's packets ----

fn connack_packet(spec: &ConnAckSpec, protocol: Protocol) -> Packet {
    let mut p = Properties::default();
    if let Some(c) = &spec.properties {
        p.receive_maximum = c.receive_maximum.map(|v| u16::from(v).max(1));
        p.maximum_qos = c.maximum_qos.map(u8::from);
        p.retain_available = c.retain_available.map(u8::from);
        p.topic_alias_maximum = c.topic_alias_maximum.map(u16::from);
        p.maximum_packet_size = c.maximum_packet_size.map(|v| u32::from(v).max(1));
        p.server_keep_alive = c.server_keep_alive.map(u16::from);
        if c.assigned_client_identifier {
            p.assigned_client_identifier = Some("assigned-by-server".into());
        }
        p.wildcard_subscription_available = c.wildcard_available.map(u8::from);
        p.shared_subscription_available = c.shared_available.map(u8::from);
        p.subscription_identifier_available = c.subscription_ids_available.map(u8::from);
        if c.reason_string {
            p.reason_string = Some("because".into());
        }
        if c.server_reference {
            p.server_reference = Some("elsewhere:1883".into());
        }
        p.session_expiry_interval = c.session_expiry;
        if c.user_property {
            p.user_properties.push(("k".into(), "v".into()));
        }
    }
    Packet::ConnAck(ConnAck {
        session_present: spec.session_present,
        code: spec.code.pick(codes(protocol, 2)),
        properties: p,
    })
}

/// Fuzzing state the item builders read: the ids in play.
struct IdsInPlay {
    outgoing: Vec<u16>,
    incoming: Vec<u16>,
    pending: Vec<u16>,
    prev: u16,
}

impl IdsInPlay {
    fn pick(&mut self, c: IdChoice) -> u16 {
        let id = self.choose(c);
        self.prev = id;
        id
    }

    fn choose(&self, c: IdChoice) -> u16 {
        let nth = |v: &[u16], k: u8| -> u16 {
            if v.is_empty() {
                1
            } else {
                v[usize::from(k) % v.len()]
            }
        };
        match c {
            IdChoice::Outgoing(k) => nth(&self.outgoing, k),
            IdChoice::Incoming(k) => nth(&self.incoming, k),
            IdChoice::Pending(k) => nth(&self.pending, k),
            IdChoice::Small(v) => 1 + u16::from(v % 8),
            IdChoice::Prev => self.prev,
            IdChoice::Any(v) => v,
        }
    }
}

/// The bytes of one item, or nothing when the encoder refuses what the fields make.
fn item_bytes(item: &ServerItem, protocol: Protocol, ids: &mut IdsInPlay) -> Vec<u8> {
    let protocol = if item.version < 16 {
        other(protocol)
    } else {
        protocol
    };
    let packet = match &item.kind {
        ItemKind::Raw(bytes) => {
            let mut b = bytes.clone();
            b.truncate(MAX_RAW);
            return corrupt(b, item);
        }
        ItemKind::ConnAck(spec) => connack_packet(spec, protocol),
        ItemKind::Publish(s) => {
            let qos = QoS::from_u8(s.qos % 3).unwrap_or(QoS::AtMostOnce);
            let mut properties = Properties {
                topic_alias: (s.alias >= 192).then_some(u16::from(s.alias % 8)),
                ..Properties::default()
            };
            if let Some(v) = s.subscription_id {
                properties.subscription_identifiers.push(u32::from(v));
            }
            if s.user_property {
                properties.user_properties.push(("k".into(), "v".into()));
            }
            Packet::Publish(Publish {
                dup: s.dup,
                qos,
                retain: s.retain,
                topic: s.topic.text().into(),
                packet_id: if qos == QoS::AtMostOnce {
                    0
                } else {
                    ids.pick(s.id)
                },
                payload: Bytes::from(vec![b'p'; usize::from(s.payload)]),
                properties,
            })
        }
        ItemKind::Ack {
            kind,
            id,
            reason,
            reason_string,
        } => {
            let (make, ty): (fn(PubResp) -> Packet, u8) = match kind {
                AckKind::Ack => (Packet::PubAck, 4),
                AckKind::Rec => (Packet::PubRec, 5),
                AckKind::Rel => (Packet::PubRel, 6),
                AckKind::Comp => (Packet::PubComp, 7),
            };
            let mut properties = Properties::default();
            if *reason_string {
                properties.reason_string = Some("ack".into());
            }
            make(PubResp {
                packet_id: ids.pick(*id),
                reason: reason.pick(codes(protocol, ty)),
                properties,
            })
        }
        ItemKind::SubAck { id, codes: c } => Packet::SubAck(SubAck {
            packet_id: ids.pick(*id),
            codes: c
                .iter()
                .take(MAX_FILTERS + 1)
                .map(|c| c.pick(codes(protocol, 9)))
                .collect(),
            properties: Properties::default(),
        }),
        ItemKind::UnsubAck { id, codes: c } => Packet::UnsubAck(UnsubAck {
            packet_id: ids.pick(*id),
            codes: if protocol == Protocol::V5 {
                c.iter()
                    .take(MAX_FILTERS + 1)
                    .map(|c| c.pick(codes(protocol, 11)))
                    .collect()
            } else {
                Vec::new()
            },
            properties: Properties::default(),
        }),
        ItemKind::PingResp => Packet::PingResp,
        ItemKind::Disconnect {
            reason,
            reason_string,
            server_reference,
            session_expiry,
        } => {
            let mut properties = Properties::default();
            if *reason_string {
                properties.reason_string = Some("go away".into());
            }
            if *server_reference {
                properties.server_reference = Some("other:1883".into());
            }
            properties.session_expiry_interval = *session_expiry;
            Packet::Disconnect(Disconnect {
                reason: reason.pick(codes(protocol, 14)),
                properties,
            })
        }
        ItemKind::Auth { reason, method } => {
            let mut properties = Properties::default();
            if *method {
                properties.authentication_method = Some("SCRAM".into());
            }
            Packet::Auth(Auth {
                reason: reason.pick(codes(protocol, 15)),
                properties,
            })
        }
        ItemKind::ClientOnly(k) => match k {
            ClientKind::PingReq => Packet::PingReq,
            ClientKind::Subscribe => Packet::Subscribe(Subscribe {
                packet_id: 1,
                filters: vec![SubscribeFilter {
                    filter: "a".into(),
                    qos: QoS::AtLeastOnce,
                    no_local: false,
                    retain_as_published: false,
                    retain_handling: 0,
                }],
                properties: Properties::default(),
            }),
            ClientKind::Unsubscribe => Packet::Unsubscribe(Unsubscribe {
                packet_id: 1,
                filters: vec!["a".into()],
                properties: Properties::default(),
            }),
            ClientKind::Connect => Packet::Connect(Box::new(Connect {
                protocol,
                clean_start: true,
                keep_alive: 0,
                client_id: "server?".into(),
                will: None,
                username: None,
                password: None,
                properties: Properties::default(),
            })),
        },
    };
    let mut out = BytesMut::new();
    match codec::encode(&packet, protocol, &mut out) {
        Ok(()) => corrupt(out.to_vec(), item),
        Err(_) => Vec::new(),
    }
}

fn corrupt(mut bytes: Vec<u8>, item: &ServerItem) -> Vec<u8> {
    if item.corrupt < 32 && !bytes.is_empty() {
        let i = usize::from(item.at) % bytes.len();
        bytes[i] = item.value;
    }
    bytes
}

// ---- the invariants ----

/// Checks named in `HOSTILE_PEER_ALLOW` (comma-separated) are not enforced: a way to keep
/// fuzzing past a finding that is known and not fixed yet.
fn allowed(check: &str) -> bool {
    static ALLOW: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ALLOW
        .get_or_init(|| {
            std::env::var("HOSTILE_PEER_ALLOW")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .iter()
        .any(|a| a == check)
}

/// `assert!` for a check that `HOSTILE_PEER_ALLOW` can name; the message starts with the
/// check's name so that a crash tells which name allows it.
macro_rules! check {
    ($name:literal, $cond:expr, $($fmt:tt)+) => {
        if !$cond && !allowed($name) {
            panic!("[{}] {}", $name, format_args!($($fmt)+));
        }
    };
}

/// What the checker knows of one accepted QoS 1/2 publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Accepted {
    serial: u64,
    qos: QoS,
}

/// The serial our publishes carry in their first 8 payload bytes: the identity of a
/// message whatever packet id it has.
fn serial_of(payload: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = payload.len().min(8);
    b[..n].copy_from_slice(&payload[..n]);
    u64::from_be_bytes(b)
}

/// The invariants, checked after every step:
///
/// 1. no panic (libFuzzer catches those anywhere);
/// 2. memory bounded: incoming QoS 2 messages at most our Receive Maximum (5.0) and 65535;
///    QoS 1/2 PUBLISH packets on the wire and unacknowledged at most the send window
///    (MaxInflight, the server's Receive Maximum); the bytes sent in one step at most a
///    constant plus a multiple of the bytes fed in it plus twice everything published; the
///    heap at most a constant plus a multiple of everything fed and published;
/// 3. every QoS 1/2 publish accepted by the API is in `outgoing()` until its MessageAck
///    (followed by a MessageOut carrying it), in the session taken from the connection, and
///    in every saved copy of the session; `outgoing()` holds nothing else; an
///    acknowledgement is accepted only for a PUBLISH or PUBREL sent on this connection;
/// 4. a QoS 2 message from the server reaches the application at most once per flow (from
///    the first PUBLISH with an id to the PUBREL that completes it);
/// 5. after `Closed`, no MessageIn, no second `Closed`, nothing more sent;
///
/// and, on what the client sends: it decodes cleanly (no malformed or partial packet);
/// CONNECT comes first and once; no packet id of a PUBLISH in flight is reused by another
/// message; ids handed out by the API are never 0 or in use; after CONNACK (5.0) nothing
/// exceeds the server's Maximum Packet Size, a PUBLISH respects its Maximum QoS, Retain
/// Available and Topic Alias Maximum, and an empty topic uses an alias set before on this
/// connection; after `handle_timeout(now)` no deadline is left at or before `now` (a
/// driver would spin).
struct Checker {
    /// Accepted QoS 1/2 publishes not acknowledged yet, by packet id.
    unacked: BTreeMap<u16, Accepted>,
    /// Acknowledged in the current drain, waiting for their MessageOut.
    acked: BTreeMap<u16, Accepted>,
    /// SUBSCRIBE/UNSUBSCRIBE ids handed out on this connection and not answered.
    pending: BTreeSet<u16>,
    /// QoS 2 flows of the server, by packet id: whether the open flow was delivered.
    /// Server state: kept across connections.
    flows: HashMap<u16, bool>,
    conn: PerConnection,
    /// Bytes fed by the server, all connections.
    fed_total: usize,
    /// Wire size estimate of everything published (QoS 0 too), all connections.
    published_total: usize,
    /// Heap in use when the run began.
    heap_base: usize,
    /// Operations run so far.
    ops: usize,
    /// Incoming messages the current connection started with (from a restored session).
    restored_incoming: u16,
    /// ManualAck is on: QoS 1 messages wait in incoming() too, and QoS 2 ones are delivered
    /// on arrival, so invariant 4's per-flow model (delivery on PUBREL) does not apply; the
    /// sans-IO tests (core/tests/it/protocol_manual_ack.rs) check those deliveries.
    manual_ack: bool,
}

/// What the checker tracks about the current connection only.
#[derive(Default)]
struct PerConnection {
    connected: bool,
    closed: bool,
    connect_seen: bool,
    /// QoS 1/2 PUBLISH packets sent and not acknowledged: id → serial.
    on_wire: BTreeMap<u16, u64>,
    /// Ids a PUBLISH or a PUBREL went out for: the server may acknowledge them.
    acknowledgeable: BTreeSet<u16>,
    /// Topic aliases we set on the wire.
    aliases: BTreeSet<u16>,
    /// The server's bytes as the connection reads them, decoded again by the checker.
    shadow: BytesMut,
}

/// What the server's bytes of one step meant for QoS 2 flows: per id, the flows touched
/// in order, each with whether it may still deliver.
type FlowSlots = BTreeMap<u16, Vec<Slot>>;

#[derive(Debug)]
struct Slot {
    can_deliver: bool,
    open: bool,
}

struct Harness {
    setup: Setup,
    config: ConnectionConfig,
    conn: Connection,
    rx: BytesMut,
    now: Instant,
    serial: u64,
    check: Checker,
    /// The driver does not read (`PauseReading`); the server's bytes wait in `unread`.
    paused: bool,
    unread: Vec<u8>,
    /// When a whole packet last arrived (or reading resumed) on this connection.
    last_heard: Option<Instant>,
}

impl Harness {
    fn new(setup: Setup) -> Self {
        let config = make_config(&setup, setup.v5, setup.clean_session);
        let mut conn = Connection::new(config.clone());
        conn.set_log_level(setup.log_level % 4);
        let mut h = Harness {
            setup,
            config,
            conn,
            rx: BytesMut::new(),
            now: Instant::now(),
            serial: 0,
            paused: false,
            unread: Vec::new(),
            last_heard: None,
            check: Checker {
                unacked: BTreeMap::new(),
                acked: BTreeMap::new(),
                pending: BTreeSet::new(),
                flows: HashMap::new(),
                conn: PerConnection::default(),
                fed_total: 0,
                published_total: 0,
                heap_base: ALLOC.allocated(),
                ops: 0,
                restored_incoming: 0,
                manual_ack: false,
            },
        };
        h.check.manual_ack = h.setup.manual_ack;
        let now = h.now;
        h.conn.start(now);
        h.after_step(0);
        if let Some(w) = h.setup.connack.clone() {
            h.feed_items(&[w.item()], &[]);
        }
        h
    }

    fn run(&mut self, op: &Op) {
        match op {
            Op::Server { items, chunks } => {
                let n = items.len().min(MAX_ITEMS);
                self.feed_items(&items[..n], chunks);
            }
            Op::Publish {
                qos,
                topic,
                filler,
                retain,
                dup,
                alias,
                properties,
            } => self.publish(*qos, topic, *filler, *retain, *dup, *alias, *properties),
            Op::Subscribe {
                filters,
                subscription_id,
                no_local,
            } => {
                let filters: Vec<SubscribeFilter> = filters
                    .iter()
                    .take(MAX_FILTERS)
                    .map(|(f, q)| SubscribeFilter {
                        filter: f.text(),
                        qos: QoS::from_u8(q % 3).unwrap_or(QoS::AtMostOnce),
                        no_local: *no_local,
                        retain_as_published: q & 4 != 0,
                        retain_handling: (q >> 3) % 3,
                    })
                    .collect();
                let mut properties = Properties::default();
                if let Some(id) = subscription_id {
                    properties.subscription_identifiers.push(*id);
                }
                let r = self.conn.subscribe(self.now, filters, properties);
                self.api_id(r.ok(), "subscribe");
                self.after_step(0);
            }
            Op::Unsubscribe { filters } => {
                let filters = filters.iter().take(MAX_FILTERS).map(|f| f.text()).collect();
                let r = self
                    .conn
                    .unsubscribe(self.now, filters, Properties::default());
                self.api_id(r.ok(), "unsubscribe");
                self.after_step(0);
            }
            Op::Disconnect { reason } => {
                let code = reason.pick(codes(self.config.protocol, 14));
                self.conn.disconnect(self.now, code, Properties::default());
                self.after_step(0);
            }
            Op::Advance(v) => {
                let ka = u64::from(self.conn.server_limits().keep_alive);
                let span_ms = if ka == 0 { 120_000 } else { 2 * ka * 1000 };
                let target =
                    self.now + Duration::from_millis(u64::from(*v) * span_ms / u64::from(u16::MAX));
                while let Some(at) = self.conn.poll_timeout().filter(|at| *at <= target) {
                    self.now = self.now.max(at);
                    self.conn.handle_timeout(self.now);
                    self.after_step(0);
                }
                self.now = target;
                self.conn.handle_timeout(self.now);
                self.after_step(0);
            }
            Op::PauseReading(pause) => {
                if *pause != self.paused {
                    self.paused = *pause;
                    self.conn.set_reading_paused(self.now, *pause);
                    if *pause {
                        self.after_step(0);
                    } else {
                        // The server counts as heard from when reading resumes.
                        self.last_heard = Some(self.now);
                        let waiting = std::mem::take(&mut self.unread);
                        if waiting.is_empty() {
                            self.after_step(0);
                        } else {
                            self.feed(&waiting);
                        }
                    }
                }
            }
            Op::Fire => {
                if let Some(at) = self.conn.poll_timeout() {
                    self.now = self.now.max(at);
                    self.conn.handle_timeout(self.now);
                }
                self.after_step(0);
            }
            Op::Reconnect(spec) => self.reconnect(spec),
            Op::SaveSession => {
                let session = self.conn.session();
                self.check
                    .session_holds_unacked(&session, "a saved copy of the session");
                roundtrip_text(&session);
                self.after_step(0);
            }
            Op::Ack(v) => {
                let incoming = self.conn.incoming();
                let id = match (*v < 0x8000, incoming.len()) {
                    (true, n) if n > 0 => incoming[usize::from(*v) % n].packet_id,
                    _ => v.wrapping_sub(0x8000),
                };
                // Refused (211) unless the message waits for its acknowledgement; either
                // way the checks below hold.
                let _ = self.conn.ack(self.now, id);
                self.after_step(0);
            }
            Op::RestoreLate => {
                let before = self.conn.outgoing().len();
                let r = self.conn.restore(SessionState::new());
                assert!(
                    r.is_err(),
                    "restore was accepted by a connection that has started"
                );
                assert_eq!(
                    self.conn.outgoing().len(),
                    before,
                    "a refused restore changed the in-flight messages"
                );
                self.after_step(0);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn publish(
        &mut self,
        qos: u8,
        topic: &TopicChoice,
        filler: u8,
        retain: bool,
        dup: bool,
        alias: Option<u8>,
        with_properties: bool,
    ) {
        self.serial += 1;
        let mut payload = self.serial.to_be_bytes().to_vec();
        payload.extend(std::iter::repeat_n(
            b'x',
            usize::from(filler) % (MAX_FILLER + 1),
        ));
        let payload = Bytes::from(payload);
        let qos = QoS::from_u8(qos % 3).unwrap_or(QoS::AtMostOnce);
        let mut properties = Properties {
            topic_alias: alias.map(|a| u16::from(a % 6)),
            ..Properties::default()
        };
        if with_properties {
            properties.message_expiry_interval = Some(60);
            properties.user_properties.push(("k".into(), "v".into()));
        }
        let topic = topic.text();
        let size = payload.len() + topic.len() + 64;
        let r = self
            .conn
            .publish(self.now, &topic, qos, payload, retain, dup, properties);
        if let Ok(id) = r {
            self.check.published_total += size;
            if qos == QoS::AtMostOnce {
                assert_eq!(id, 0, "a QoS 0 publish was given packet id {id}");
            } else {
                self.api_id(Some(id), "publish");
                self.check.unacked.insert(
                    id,
                    Accepted {
                        serial: self.serial,
                        qos,
                    },
                );
            }
        }
        self.after_step(0);
    }

    /// A packet id the API handed out must be free.
    fn api_id(&mut self, id: Option<u16>, what: &str) {
        let Some(id) = id else { return };
        assert_ne!(id, 0, "{what} returned packet id 0");
        assert!(
            !self.check.unacked.contains_key(&id) && !self.check.pending.contains(&id),
            "{what} returned packet id {id}, which is still in use (unacked {:?}, pending {:?})",
            self.check.unacked.keys().collect::<Vec<_>>(),
            self.check.pending
        );
        if what != "publish" {
            self.check.pending.insert(id);
        }
    }

    fn ids_in_play(&self) -> IdsInPlay {
        IdsInPlay {
            outgoing: self.conn.outgoing().iter().map(|m| m.packet_id).collect(),
            incoming: self.conn.incoming().iter().map(|m| m.packet_id).collect(),
            pending: self.check.pending.iter().copied().collect(),
            prev: 1,
        }
    }

    fn feed_items(&mut self, items: &[ServerItem], chunks: &[u8]) {
        let mut ids = self.ids_in_play();
        let mut bytes = Vec::new();
        for item in items {
            bytes.extend(item_bytes(item, self.config.protocol, &mut ids));
        }
        let mut rest = &bytes[..];
        let mut sizes = chunks.iter().map(|c| 1 + usize::from(*c));
        while !rest.is_empty() {
            let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            self.feed(chunk);
        }
    }

    /// One read from the transport (or, while reading is paused, bytes left waiting).
    fn feed(&mut self, chunk: &[u8]) {
        if self.paused {
            self.check.fed_total += chunk.len();
            self.unread.extend_from_slice(chunk);
            self.after_step(0);
            return;
        }
        if tracing() {
            eprintln!("  feed: {chunk:02X?}");
        }
        self.check.fed_total += chunk.len();
        let (slots, packets) = if self.conn.is_closed() {
            (FlowSlots::new(), 0)
        } else {
            self.check
                .shadow_read(chunk, self.config.protocol, self.config.max_packet_size)
        };
        if packets > 0 {
            self.last_heard = Some(self.now);
        }
        self.rx.extend_from_slice(chunk);
        self.conn.handle_bytes(self.now, &mut self.rx);
        self.after_step_with(chunk.len(), slots);
    }

    fn reconnect(&mut self, spec: &ReconnectSpec) {
        let incoming = self.conn.incoming();
        let session = if spec.end {
            self.conn.end_and_take_session()
        } else {
            self.conn.take_session()
        };
        assert!(
            self.conn.outgoing().is_empty() && self.conn.incoming().is_empty(),
            "taking the session left messages in the connection"
        );
        self.check
            .session_holds_unacked(&session, "the session taken from the connection");
        // Under ManualAck a message the application has not acknowledged stays with the
        // server, which sends it again: only those waiting for PUBREL are kept.
        let manual = self.check.manual_ack;
        assert_eq!(
            session.incoming(),
            incoming
                .into_iter()
                .filter(|m| !manual || m.state == ferromq::protocol::MessageState::WaitPubRel)
                .map(|m| ferromq::protocol::Message {
                    state: ferromq::protocol::MessageState::WaitPubRel,
                    ..m
                })
                .collect::<Vec<_>>(),
            "the taken session does not hold the incoming messages waiting for PUBREL"
        );
        // What the old connection still had queued goes nowhere: its transport is gone.
        let mut drop_out = BytesMut::new();
        self.conn.poll_transmit(&mut drop_out);
        while self.conn.poll_event().is_some() {}
        let session = if spec.via_text {
            roundtrip_text(&session)
        } else {
            session
        };
        let v5 = (self.config.protocol == Protocol::V5) != spec.switch_protocol;
        self.config = make_config(&self.setup, v5, spec.clean_session);
        self.conn = if spec.with_session {
            Connection::with_session(self.config.clone(), session)
        } else {
            let mut c = Connection::new(self.config.clone());
            c.restore(session)
                .expect("restore before start must be accepted");
            c
        };
        self.conn.set_log_level(self.setup.log_level % 4);
        self.check.restored_incoming = self.conn.incoming().len() as u16;
        self.rx = BytesMut::new();
        self.paused = false;
        self.unread.clear();
        self.last_heard = None;
        self.check.conn = PerConnection::default();
        self.check.pending.clear();
        let now = self.now;
        self.conn.start(now);
        self.after_step(0);
        if let Some(w) = spec.connack.clone() {
            self.feed_items(&[w.item()], &[]);
        }
    }

    fn after_step(&mut self, fed: usize) {
        self.after_step_with(fed, FlowSlots::new());
    }

    /// Drain, check, and do what a driver does when a deadline has passed.
    fn after_step_with(&mut self, fed: usize, slots: FlowSlots) {
        self.drain(fed, slots);
        if let Some(at) = self.conn.poll_timeout() {
            if at <= self.now {
                self.conn.handle_timeout(self.now);
                self.drain(0, FlowSlots::new());
                if let Some(again) = self.conn.poll_timeout() {
                    assert!(
                        again > self.now,
                        "handle_timeout(now) left a deadline at or before now: a driver would spin"
                    );
                }
            }
        }
        self.check_state();
    }

    fn drain(&mut self, fed: usize, slots: FlowSlots) {
        let mut out = BytesMut::new();
        self.conn.poll_transmit(&mut out);
        let limit = 4096 + 8 * fed + 2 * self.check.published_total;
        assert!(
            out.len() <= limit,
            "one step produced {} bytes to send (fed {fed}, published {}): more than {limit}",
            out.len(),
            self.check.published_total
        );
        // Within one step the order of what was sent and what was reported is not
        // visible: a PUBACK can free a slot for a held PUBLISH, and a PUBLISH sent in a step
        // can be acknowledged later in the same step. So the packets are checked, then the
        // events (which may acknowledge what this step sent), then the packets are counted.
        let closed_before = self.check.conn.closed;
        let sent = self.check_sent(out, closed_before);
        let sent_now: BTreeSet<u16> = sent
            .iter()
            .filter_map(|p| match p {
                Packet::Publish(p) if p.qos != QoS::AtMostOnce => Some(p.packet_id),
                Packet::PubRel(r) if r.reason == 0 => Some(r.packet_id),
                _ => None,
            })
            .collect();
        let events: Vec<ProtocolEvent> = std::iter::from_fn(|| self.conn.poll_event()).collect();
        if tracing() {
            for e in &events {
                eprintln!("  event: {e:?}");
            }
        }
        let acked_now = self.check.events(&events, slots, &sent_now);
        self.count_sent(&sent, &acked_now);
    }

    /// Adds this step's QoS 1/2 PUBLISH and PUBREL packets to what the server may
    /// acknowledge, less what it already did in the same step.
    fn count_sent(&mut self, sent: &[Packet], acked_now: &BTreeMap<u16, Accepted>) {
        let limits = self.conn.server_limits().clone();
        let window = send_window(&self.setup, self.config.protocol, limits.receive_maximum);
        let c = &mut self.check.conn;
        for packet in sent {
            match packet {
                Packet::Publish(p) if p.qos != QoS::AtMostOnce => {
                    let serial = serial_of(&p.payload);
                    if acked_now.get(&p.packet_id).map(|a| a.serial) == Some(serial) {
                        continue;
                    }
                    if let Some(&old) = c.on_wire.get(&p.packet_id) {
                        assert_eq!(
                            old, serial,
                            "packet id {} reused for another PUBLISH while the first is unacknowledged",
                            p.packet_id
                        );
                    }
                    c.on_wire.insert(p.packet_id, serial);
                    c.acknowledgeable.insert(p.packet_id);
                }
                Packet::PubRel(r) if r.reason == 0 && !acked_now.contains_key(&r.packet_id) => {
                    c.acknowledgeable.insert(r.packet_id);
                }
                _ => {}
            }
        }
        assert!(
            c.on_wire.len() <= window,
            "{} QoS 1/2 PUBLISH unacknowledged on the wire, over the send window {window}",
            c.on_wire.len()
        );
    }

    /// What the client put on the wire, decoded and checked packet by packet.
    fn check_sent(&mut self, mut out: BytesMut, closed_before: bool) -> Vec<Packet> {
        let mut sent = Vec::new();
        if out.is_empty() {
            return sent;
        }
        assert!(
            !closed_before,
            "the client sent {} bytes after Closed",
            out.len()
        );
        let protocol = self.config.protocol;
        let limits = self.conn.server_limits().clone();
        let connected = self.conn.is_connected();
        let v5 = protocol == Protocol::V5;
        while !out.is_empty() {
            let before = out.len();
            let packet = match codec::decode(&mut out, protocol, u32::MAX) {
                Ok(Some(p)) => p,
                Ok(None) => panic!("the client sent a partial packet ({before} bytes left)"),
                Err(e) => panic!("the client sent a malformed packet: {e}"),
            };
            let size = before - out.len();
            if tracing() {
                eprintln!("  sent: {packet:?}");
            }
            let c = &mut self.check.conn;
            if let Packet::Connect(_) = packet {
                assert!(!c.connect_seen, "the client sent CONNECT twice");
                c.connect_seen = true;
                continue;
            }
            assert!(
                c.connect_seen,
                "the client sent {} before CONNECT",
                packet.name()
            );
            if let (true, true, Some(max)) = (v5, connected, limits.maximum_packet_size) {
                // A limit below the smallest form of a PINGREQ or an acknowledgement cannot
                // be honoured; what the application chose the size of always can.
                let sized = matches!(
                    packet,
                    Packet::Publish(_) | Packet::Subscribe(_) | Packet::Unsubscribe(_)
                );
                check!(
                    "server-limits",
                    size <= max as usize || (!sized && size <= MIN_FORM),
                    "the client sent a {} of {size} bytes over the server's Maximum Packet Size {max}",
                    packet.name()
                );
            }
            if let Packet::Publish(p) = &packet {
                if v5 && connected {
                    check!(
                        "server-limits",
                        p.qos <= limits.maximum_qos,
                        "the client sent QoS {} over the server's Maximum QoS {}",
                        p.qos as u8,
                        limits.maximum_qos as u8
                    );
                    check!(
                        "server-limits",
                        !p.retain || limits.retain_available,
                        "the client sent a retained PUBLISH to a server without retain"
                    );
                }
                if let (true, Some(a)) = (v5, p.properties.topic_alias) {
                    assert!(
                        a >= 1 && a <= limits.topic_alias_maximum,
                        "the client used topic alias {a}, over the server's maximum {}",
                        limits.topic_alias_maximum
                    );
                    if p.topic.is_empty() {
                        assert!(
                                c.aliases.contains(&a),
                                "the client sent an empty topic with alias {a}, never set on this connection"
                            );
                    } else {
                        c.aliases.insert(a);
                    }
                }
            }
            sent.push(packet);
        }
        sent
    }

    fn check_state(&mut self) {
        let ck = &self.check;
        // Invariant 3: outgoing() is exactly what was accepted and not acknowledged.
        let outgoing: BTreeMap<u16, Accepted> = self
            .conn
            .outgoing()
            .iter()
            .map(|m| {
                assert_eq!(m.direction, Direction::Outgoing);
                (
                    m.packet_id,
                    Accepted {
                        serial: serial_of(&m.payload),
                        qos: m.qos,
                    },
                )
            })
            .collect();
        assert_eq!(
            outgoing, ck.unacked,
            "outgoing() (left) differs from the accepted, unacknowledged publishes (right)"
        );
        // Invariant 2: bounded state.
        let incoming = self.conn.incoming();
        let receive_max = match self.config.protocol {
            Protocol::V5 => self
                .config
                .connect_properties
                .receive_maximum
                .unwrap_or(u16::MAX),
            Protocol::V311 => u16::MAX,
        };
        // A restored session may bring more than a new Receive Maximum allows: those came
        // in under the old one.
        let receive_max = receive_max.max(ck.restored_incoming);
        assert!(
            incoming.len() <= usize::from(receive_max),
            "{} incoming messages in flight, over our Receive Maximum {receive_max}",
            incoming.len()
        );
        for m in &incoming {
            assert!(
                m.direction == Direction::Incoming
                    && (m.qos == QoS::ExactlyOnce
                        || (ck.manual_ack && m.qos == QoS::AtLeastOnce)),
                "incoming() holds {m:?}"
            );
        }
        assert!(self.conn.ids_in_use() <= usize::from(u16::MAX));
        assert!(
            self.conn.held_bytes() <= ck.published_total,
            "held_bytes {} over everything published {}",
            self.conn.held_bytes(),
            ck.published_total
        );
        let heap = ALLOC.allocated().saturating_sub(ck.heap_base);
        let limit = (1 << 20) + 512 * (ck.fed_total + ck.published_total) + 4096 * ck.ops;
        assert!(
            heap <= limit,
            "{heap} bytes of heap in use after being fed {} bytes and publishing {} (limit {limit})",
            ck.fed_total,
            ck.published_total
        );
        // A dead server is noticed within K + max(K/2, 1 s) of the last packet it sent,
        // whatever we send, unless reading is paused (docs/protocol.md).
        let k = u64::from(self.conn.server_limits().keep_alive);
        if let (true, false, true, Some(heard)) = (
            self.conn.is_connected(),
            self.paused,
            k > 0,
            self.last_heard,
        ) {
            let k = Duration::from_secs(k);
            let lost = heard + k + (k / 2).max(Duration::from_secs(1));
            check!(
                "keepalive",
                self.now <= lost,
                "still connected {:?} after the last packet from the server (keep-alive {k:?}): a silent server must be taken for gone within 1.5 keep-alive intervals",
                self.now - heard
            );
        }
        if self.check.conn.closed {
            assert!(
                self.conn.is_closed(),
                "Closed was reported but the connection is open"
            );
            assert!(
                self.conn.poll_timeout().is_none(),
                "a closed connection asks for a timeout"
            );
        }
    }
}

impl Checker {
    /// Reads the server's bytes of one step as the connection does, and works out which
    /// QoS 2 flows they open and complete.
    /// Also returns how many whole packets arrived.
    fn shadow_read(&mut self, chunk: &[u8], protocol: Protocol, max: u32) -> (FlowSlots, usize) {
        let mut slots = FlowSlots::new();
        let mut packets = 0;
        self.conn.shadow.extend_from_slice(chunk);
        loop {
            let decoded = codec::decode(&mut self.conn.shadow, protocol, max);
            if let Ok(Some(_)) = decoded {
                packets += 1;
            }
            match decoded {
                Ok(Some(Packet::Publish(p))) if p.qos == QoS::ExactlyOnce => {
                    let flows = &self.flows;
                    let s = slots
                        .entry(p.packet_id)
                        .or_insert_with(|| start_slots(flows.get(&p.packet_id).copied()));
                    if !s.last().is_some_and(|l| l.open) {
                        s.push(Slot {
                            can_deliver: true,
                            open: true,
                        });
                    }
                }
                Ok(Some(Packet::PubRel(r))) => {
                    let flows = &self.flows;
                    let s = slots
                        .entry(r.packet_id)
                        .or_insert_with(|| start_slots(flows.get(&r.packet_id).copied()));
                    if let Some(last) = s.last_mut() {
                        last.open = false;
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    self.conn.shadow.clear();
                    break;
                }
            }
        }
        (slots, packets)
    }

    /// Checks the events of one step; returns the outgoing messages they acknowledged.
    /// `sent_now`: ids this step sent a PUBLISH or PUBREL for.
    fn events(
        &mut self,
        events: &[ProtocolEvent],
        mut slots: FlowSlots,
        sent_now: &BTreeSet<u16>,
    ) -> BTreeMap<u16, Accepted> {
        let mut acked_now = BTreeMap::new();
        let mut deliveries: BTreeMap<u16, usize> = BTreeMap::new();
        for e in events {
            match e {
                ProtocolEvent::MessageIn { message } => {
                    assert!(!self.conn.closed, "MessageIn after Closed: {message:?}");
                    if message.qos == QoS::ExactlyOnce {
                        *deliveries.entry(message.packet_id).or_default() += 1;
                    }
                }
                ProtocolEvent::MessageAck {
                    direction: Direction::Outgoing,
                    packet_id,
                    response_code,
                } => {
                    let id = *packet_id;
                    // A failure code without anything sent: the client itself ended a
                    // carried-over message this server cannot take (fail_unsendable).
                    assert!(
                        self.conn.acknowledgeable.remove(&id)
                            || sent_now.contains(&id)
                            || *response_code >= 0x80,
                        "MessageAck for packet id {id}, for which nothing was sent on this connection"
                    );
                    self.conn.on_wire.remove(&id);
                    let a = self.unacked.remove(&id).unwrap_or_else(|| {
                        panic!("MessageAck for packet id {id}, which no accepted publish has")
                    });
                    self.acked.insert(id, a);
                    acked_now.insert(id, a);
                }
                ProtocolEvent::MessageOut { message } if message.qos != QoS::AtMostOnce => {
                    let a = self.acked.remove(&message.packet_id).unwrap_or_else(|| {
                        panic!("MessageOut without its MessageAck: {message:?}")
                    });
                    assert_eq!(
                        a.serial,
                        serial_of(&message.payload),
                        "MessageOut carries another message than the one acknowledged"
                    );
                }
                ProtocolEvent::Subscribed { packet_id, .. }
                | ProtocolEvent::Unsubscribed { packet_id, .. } => {
                    self.pending.remove(packet_id);
                }
                ProtocolEvent::InflightDropped {
                    direction,
                    packet_id,
                } => {
                    assert_eq!(
                        *direction,
                        Direction::Incoming,
                        "outgoing message {packet_id} dropped: an accepted publish must not vanish"
                    );
                }
                ProtocolEvent::Connected { .. } => {
                    assert!(
                        !self.conn.connected && !self.conn.closed,
                        "Connected twice, or after Closed"
                    );
                    self.conn.connected = true;
                }
                ProtocolEvent::Closed { .. } => {
                    assert!(!self.conn.closed, "a second Closed event");
                    self.conn.closed = true;
                    self.conn.shadow.clear();
                }
                _ => {}
            }
        }
        assert!(
            self.acked.is_empty(),
            "MessageAck without MessageOut for {:?}",
            self.acked
        );
        // Invariant 4: deliveries go to the flows the step touched, earliest first; a
        // flow delivers once.
        if self.manual_ack {
            deliveries.clear();
        }
        for (id, n) in deliveries {
            let flows = &self.flows;
            let s = slots
                .entry(id)
                .or_insert_with(|| start_slots(flows.get(&id).copied()));
            let mut left = n;
            for slot in s.iter_mut() {
                if left > 0 && slot.can_deliver {
                    slot.can_deliver = false;
                    left -= 1;
                }
            }
            assert_eq!(
                left, 0,
                "QoS 2 message with packet id {id} delivered {n} times, more than once in one flow ({s:?})"
            );
        }
        for (id, s) in slots {
            match s.last() {
                Some(last) if last.open => {
                    self.flows.insert(id, !last.can_deliver);
                }
                _ => {
                    self.flows.remove(&id);
                }
            }
        }
        acked_now
    }

    fn session_holds_unacked(&self, session: &SessionState, what: &str) {
        let held: BTreeMap<u16, Accepted> = session
            .outgoing()
            .iter()
            .map(|m| {
                (
                    m.packet_id,
                    Accepted {
                        serial: serial_of(&m.payload),
                        qos: m.qos,
                    },
                )
            })
            .collect();
        assert_eq!(
            held, self.unacked,
            "{what} (left) differs from the accepted, unacknowledged publishes (right)"
        );
    }
}

/// The slot of the flow open when the step began, if any.
fn start_slots(open: Option<bool>) -> Vec<Slot> {
    match open {
        Some(delivered) => vec![Slot {
            can_deliver: !delivered,
            open: true,
        }],
        None => Vec::new(),
    }
}

fn send_window(setup: &Setup, protocol: Protocol, server_receive_maximum: u16) -> usize {
    let own = usize::from(setup.max_inflight % 5);
    let server = usize::from(server_receive_maximum);
    match (protocol, own) {
        (Protocol::V5, 0) => server,
        (Protocol::V5, n) => n.min(server),
        (Protocol::V311, 0) => DEFAULT_INFLIGHT_V311,
        (Protocol::V311, n) => n,
    }
}

fn roundtrip_text(session: &SessionState) -> SessionState {
    let text = session.to_text();
    let back = SessionState::from_text(&text)
        .unwrap_or_else(|e| panic!("a saved session does not read back: {e}\n{text}"));
    assert_eq!(&back, session, "the session changed through its text form");
    back
}

fn make_config(setup: &Setup, v5: bool, clean_session: bool) -> ConnectionConfig {
    let mut connect_properties = Properties::default();
    if v5 {
        connect_properties.receive_maximum = setup.receive_maximum.map(|v| 1 + u16::from(v % 4));
        connect_properties.topic_alias_maximum =
            setup.topic_alias_maximum.map(|v| u16::from(v % 5));
        if setup.auth_method {
            connect_properties.authentication_method = Some("SCRAM".into());
        }
    }
    ConnectionConfig {
        protocol: if v5 { Protocol::V5 } else { Protocol::V311 },
        client_id: if setup.empty_client_id {
            String::new()
        } else {
            "fuzz".into()
        },
        clean_session,
        keep_alive: u16::from(setup.keep_alive % 31),
        username: setup.credentials.then(|| "user".into()),
        password: setup.credentials.then(|| Bytes::from_static(b"pass")),
        will: setup.will.then(|| codec::Will {
            topic: "will".into(),
            payload: Bytes::from_static(b"gone"),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Properties::default(),
        }),
        connect_properties,
        republish_interval: setup
            .republish_secs
            .map(|s| Duration::from_secs(u64::from(s % 31))),
        max_packet_size: MAX_PACKET_SIZES[usize::from(setup.max_packet) % MAX_PACKET_SIZES.len()],
        max_inflight: u16::from(setup.max_inflight % 5),
        max_outgoing: 0,
        manual_ack: setup.manual_ack,
    }
}

/// `HOSTILE_PEER_TRACE=1`: print the setup, every operation, and what was sent and
/// reported, to follow a crashing input step by step.
fn tracing() -> bool {
    static TRACE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| std::env::var_os("HOSTILE_PEER_TRACE").is_some_and(|v| v != "0"))
}

fuzz_target!(|input: Input| {
    if tracing() {
        eprintln!("setup: {:?}", input.setup);
    }
    let mut h = Harness::new(input.setup);
    for op in input.ops.iter().take(MAX_OPS) {
        if tracing() {
            eprintln!("op: {op:?}");
        }
        h.check.ops += 1;
        h.run(op);
    }
});
