//! The values behind the documented properties and config settings, with their defaults.

use super::certificate::Certificate;
use crate::codec::Properties;

/// MaxOutgoingMessages by default. Far above the send windows common servers grant
/// (mosquitto 20, EMQX 32, HiveMQ 10; ours is 20 under 3.1.1), so throughput does not wait
/// on it, while a publishing loop that outruns the broker keeps about a thousand messages
/// rather than the tens of thousands the packet identifiers allow.
pub(crate) const DEFAULT_MAX_OUTGOING: u16 = 1000;

/// Everything `Reset` puts back.
#[derive(Clone, Debug)]
pub(crate) struct Props {
    pub client_id: String,
    pub clean_session: bool,
    pub keep_alive_interval: i32,
    pub user: String,
    pub password: String,
    pub version: i32,
    pub remote_host: String,
    pub remote_port: i32,
    pub timeout: i32,
    pub will_topic: String,
    pub will_message: String,
    /// The SessionStateFile whose content this client is responsible for (it restored the
    /// session from it, or auto-saved into it): Connect with SessionAutoSave on refuses to
    /// overwrite any other file that still holds messages.
    pub session_file_owned: String,
    pub ssl_enabled: bool,
    /// 0 automatic, 1 platform, 2 internal: one TLS stack (rustls) serves all three.
    pub ssl_provider: i32,
    pub ssl_cert: Certificate,
    pub ssl_accept_server_cert: Certificate,
    /// The server's certificate of the last connection; cleared at each attempt.
    pub ssl_server_cert: Certificate,
    pub cfg: ConfigValues,
}

/// Values of the config registry (see config.rs for names, types and checks).
///
/// The 5.0 property sets are kept as codec `Properties` so that building a packet's
/// properties is a clone, and so that settings documented as two views of one value
/// (ClientTopicAliasMax and ConnectProperties' key, ResponseTopic and
/// OutgoingMessageProperties' key, ...) cannot drift apart: there is one field behind both.
#[derive(Clone, Debug)]
pub(crate) struct ConfigValues {
    pub topic_delimiter: String,
    pub topic_qos_array: Vec<u8>,
    pub retain: bool,
    pub duplicate: bool,
    pub log_level: i32,
    pub will_qos: i32,
    pub will_retain: bool,
    pub republish_interval: i32,
    pub connection_timeout: i32,
    pub outgoing_packet_id: i32,
    pub session_present: bool,
    pub auto_reconnect: bool,
    /// AutoReconnect pacing: the first delay, the cap, and how many attempts (0: no limit).
    pub reconnect_min_ms: u64,
    pub reconnect_max_ms: u64,
    pub reconnect_max_attempts: u32,
    /// How long (ms) an AutoReconnect connection must stay up after its CONNACK before its
    /// loss starts the backoff again from the first delay.
    pub reconnect_stable_ms: u64,
    /// The largest packet (bytes) we accept from the server; announced under 5.0.
    pub max_incoming_packet: u32,
    /// Publishes kept while AutoReconnect is re-establishing the connection.
    pub offline_queue_limit: usize,
    /// ManualAck: incoming QoS 1/2 messages wait for `Mqtt::ack` before their PUBACK/PUBREC.
    pub manual_ack: bool,
    /// Our own cap on unacknowledged QoS 1/2 publishes (0: automatic).
    pub max_inflight: u16,
    /// MaxOutgoingMessages: QoS 1/2 publishes kept at once before publishing waits.
    pub max_outgoing: u16,
    /// ConnectProperties; also ClientTopicAliasMax and SessionExpInterval.
    pub connect: Properties,
    /// ConnAckProperties as the server sent them (ServerTopicAliasMax reads from here).
    pub connack: Properties,
    /// DisconnectProperties: what we send, or what the server's DISCONNECT carried.
    pub disconnect: Properties,
    pub disconnect_reason: u8,
    /// DisconnectReasonCode/DisconnectProperties describe the server's DISCONNECT, not what
    /// the application wants to send: they are cleared when the next connection starts.
    pub disconnect_from_server: bool,
    /// User properties of the last message received.
    pub incoming_user_props: Vec<(String, String)>,
    /// OutgoingMessageProperties; also ResponseTopic and TopicAlias. Its user properties
    /// are the JSON `UserProperty` pairs only.
    pub outgoing: Properties,
    /// OutgoingUserPropName[i] / OutgoingUserPropValue[i]; the length is the count.
    pub outgoing_user_props: Vec<(String, String)>,
    /// Bytes written to SendCustomPacket, for the component to take and send.
    pub custom_packet: Option<Vec<u8>>,
    pub session_state_file: String,
    /// SessionAutoSave: 0 off, 1 write SessionStateFile on every change, 2 also flush it
    /// to the disk each time.
    pub session_auto_save: u8,
    /// SessionPublishCount as last seen (the session's own count lives in the engine).
    pub session_publish_count: u64,
    pub subscription_identifier: Option<u32>,
    pub topic_nl: Vec<bool>,
    pub topic_rap: Vec<bool>,
    pub topic_rh: Vec<u8>,
    /// WillProperties.
    pub will: Properties,
    /// The `tcp`, `ssl` and `socket` groups.
    pub transport: super::config::Transport,
    /// The address the live connection has; LocalHost/LocalPort show it while it is up.
    pub bound: Option<std::net::SocketAddr>,
    /// What the last TLS handshake settled (SSLNegotiated*); None before one.
    pub negotiated: Option<Box<super::config::Negotiated>>,
}

impl Default for Props {
    fn default() -> Self {
        Props {
            client_id: String::new(),
            clean_session: true,
            keep_alive_interval: 0,
            user: String::new(),
            password: String::new(),
            version: 0,
            remote_host: String::new(),
            remote_port: 1883,
            timeout: 60,
            will_topic: String::new(),
            will_message: String::new(),
            session_file_owned: String::new(),
            ssl_enabled: false,
            ssl_provider: 0,
            ssl_cert: Certificate::default(),
            ssl_accept_server_cert: Certificate::default(),
            ssl_server_cert: Certificate::default(),
            cfg: ConfigValues::default(),
        }
    }
}

impl Default for ConfigValues {
    fn default() -> Self {
        ConfigValues {
            topic_delimiter: ",".into(),
            topic_qos_array: Vec::new(),
            retain: false,
            duplicate: false,
            log_level: 1,
            will_qos: 0,
            will_retain: false,
            republish_interval: 60,
            connection_timeout: 0,
            outgoing_packet_id: 0,
            session_present: false,
            auto_reconnect: false,
            reconnect_min_ms: 500,
            reconnect_max_ms: 30_000,
            reconnect_max_attempts: 0,
            reconnect_stable_ms: 10_000,
            max_incoming_packet: 64 * 1024 * 1024,
            offline_queue_limit: 1000,
            manual_ack: false,
            max_inflight: 0,
            max_outgoing: DEFAULT_MAX_OUTGOING,
            connect: Properties::default(),
            connack: Properties::default(),
            disconnect: Properties::default(),
            disconnect_reason: 0,
            disconnect_from_server: false,
            incoming_user_props: Vec::new(),
            outgoing: Properties::default(),
            outgoing_user_props: Vec::new(),
            custom_packet: None,
            session_state_file: String::new(),
            session_auto_save: 0,
            session_publish_count: 0,
            subscription_identifier: None,
            topic_nl: Vec::new(),
            topic_rap: Vec::new(),
            topic_rh: Vec::new(),
            will: Properties::default(),
            transport: Default::default(),
            bound: None,
            negotiated: None,
        }
    }
}
