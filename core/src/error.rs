//! The one error type of the engine: a documented numeric code and a message that names
//! what was wrong and with which value. Every face maps this type and nothing else.

use std::fmt;

/// The documented error numbers. Names are ours; the numbers are the reference's.
pub mod code {
    /// MQTT protocol error (the message says which rule was broken).
    pub const PROTOCOL: i32 = 500;
    /// No packet identifier left: 65 535 packets are in flight.
    pub const PACKET_ID_EXHAUSTED: i32 = 501;
    /// A topic name that may not be published to (wildcards, U+0000, empty, too long).
    pub const INVALID_TOPIC: i32 = 502;
    /// A topic filter that may not be subscribed to.
    pub const INVALID_TOPIC_FILTER: i32 = 503;
    /// Bytes that are not a well-formed MQTT packet, or a value that does not fit one.
    pub const MALFORMED: i32 = 504;
    /// A QoS other than 0, 1 or 2.
    pub const INVALID_QOS: i32 = 505;

    pub const WS_TRANSMIT: i32 = 4001;
    pub const WS_CLOSE: i32 = 4002;
    pub const WS_PROTOCOL: i32 = 4003;

    pub const FIREWALL: i32 = 118;
    pub const BUSY: i32 = 143;
    pub const INTERRUPTED: i32 = 301;
    /// A file could not be opened, read or written (SessionStateFile).
    pub const FILE: i32 = 302;

    pub const REMOTE_PORT_LOCKED: i32 = 100;
    pub const REMOTE_HOST_LOCKED: i32 = 101;
    pub const INVALID_ADDRESS: i32 = 102;
    pub const ALREADY_CONNECTED: i32 = 104;
    pub const LOCAL_PORT_LOCKED: i32 = 106;
    pub const LOCAL_HOST_LOCKED: i32 = 107;
    /// MaxLineLength cannot change while a connection exists.
    pub const MAX_LINE_LENGTH_LOCKED: i32 = 112;
    pub const REMOTE_PORT_ZERO: i32 = 116;
    pub const WOULD_BLOCK: i32 = 135;
    pub const TIMEOUT: i32 = 201;
    pub const BAD_STATE: i32 = 211;
    pub const NOT_CONNECTED: i32 = 212;
    pub const ALREADY_CONNECTING: i32 = 1105;
    pub const CONNECT_FIRST: i32 = 1117;
    pub const DROPPED: i32 = 1120;

    pub const TLS_LIBRARY: i32 = 270;
    pub const TLS_STORE: i32 = 271;
    pub const TLS_CERT_NOT_FOUND: i32 = 272;
    pub const TLS_CREDENTIALS: i32 = 273;
    pub const TLS_CHAIN_NOT_FOUND: i32 = 274;
    pub const TLS_CHAIN_VERIFY: i32 = 275;
    pub const TLS_HANDSHAKE: i32 = 276;
    pub const TLS_CERT_VERIFY: i32 = 280;

    /// A value given to a property, a config setting or a method argument is out of its
    /// range or of the wrong type. The reference has no single number for this; we use the
    /// "invalid argument" number of its TCP/IP table.
    pub const INVALID_ARGUMENT: i32 = 10022;
    pub const CONNECTION_REFUSED: i32 = 10061;
    pub const HOST_NOT_FOUND: i32 = 11001;
}

/// An error with a documented code. `message` is written for the person reading a log:
/// it names the bad value and what was expected.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    pub code: i32,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> i32 {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Maps an OS error to the documented 10xxx numbers (the reference numbers them the
    /// Winsock way; on Unix we translate errno).
    pub fn from_io(err: &std::io::Error, context: &str) -> Self {
        use std::io::ErrorKind as K;
        let code = match err.kind() {
            K::ConnectionRefused => 10061,
            K::ConnectionReset => 10054,
            K::ConnectionAborted => 10053,
            K::NotConnected => 10057,
            K::AddrInUse => 10048,
            K::AddrNotAvailable => 10049,
            K::TimedOut => 10060,
            K::WouldBlock => 10035,
            K::PermissionDenied => 10013,
            K::InvalidInput => 10022,
            K::BrokenPipe => 10058,
            K::UnexpectedEof => code::DROPPED,
            K::Interrupted => 10004,
            _ => match err.raw_os_error() {
                Some(101) => 10051, // ENETUNREACH
                Some(113) => 10065, // EHOSTUNREACH
                Some(112) => 10064, // EHOSTDOWN
                Some(100) => 10050, // ENETDOWN
                Some(24) => 10024,  // EMFILE
                Some(97) => 10047,  // EAFNOSUPPORT
                _ => code::DROPPED,
            },
        };
        Error::new(code, format!("{context}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {}
