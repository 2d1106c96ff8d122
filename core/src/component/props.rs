//! The values behind the documented properties and config settings, with their defaults.

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
    /// Where to bind before connecting; "" and 0 let the system choose.
    pub local_host: String,
    pub local_port: i32,
    pub timeout: i32,
    pub will_topic: String,
    pub will_message: String,
    pub cfg: ConfigValues,
}

/// Values of the config registry (see config.rs for names, types and checks).
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
    pub tcp_no_delay: bool,
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
            local_host: String::new(),
            local_port: 0,
            timeout: 60,
            will_topic: String::new(),
            will_message: String::new(),
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
            tcp_no_delay: true,
        }
    }
}
