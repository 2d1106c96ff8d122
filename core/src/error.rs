//! The one error type of the engine: a documented numeric code and a message that names
//! what was wrong and with which value. Every face maps this type and nothing else.

use std::fmt;

/// Declares the documented error codes once: the `code` constants and [`ERROR_CODES`] (each
/// code's name, documentation and, where the core always words it the same way, its text)
/// come from this list, and so do the faces' constants and checks.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $name:ident = $code:literal $($text:literal)?, )*) => {
        /// The documented error numbers. Names are ours; the numbers are the reference's.
        pub mod code {
            $(
                #[doc = concat!("Error ", stringify!($code), ".")]
                #[doc = ""]
                $(#[doc = $doc])*
                pub const $name: i32 = $code;
            )*
        }

        /// Every documented error code, described.
        pub static ERROR_CODES: &[ErrorCode] = &[
            $(
                ErrorCode {
                    code: $code,
                    name: stringify!($name),
                    doc: concat!($($doc),*),
                    text: concat!($($text)?),
                },
            )*
        ];
    };
}

/// One documented error code.
#[derive(Debug, PartialEq, Eq)]
pub struct ErrorCode {
    /// The number, as `Error::code` carries it.
    pub code: i32,
    /// The constant's name ("INTERRUPTED"); C prefixes it with `MQTT_ERR_`.
    pub name: &'static str,
    /// What the code means (its documentation in [`code`]), possibly empty.
    pub doc: &'static str,
    /// The message's form where the core always words it the same way (`{what}` stands for
    /// what was going on), else empty: the message then names the value at fault.
    pub text: &'static str,
}

impl ErrorCode {
    /// The description of `code`, if it is a documented code.
    pub fn find(code: i32) -> Option<&'static ErrorCode> {
        ERROR_CODES.iter().find(|c| c.code == code)
    }
}

error_codes! {
    /// MQTT protocol error (the message says which rule was broken).
    PROTOCOL = 500,
    /// No packet identifier left: 65 535 packets are in flight.
    PACKET_ID_EXHAUSTED = 501,
    /// A topic name that may not be published to (wildcards, U+0000, empty, too long).
    INVALID_TOPIC = 502,
    /// A topic filter that may not be subscribed to.
    INVALID_TOPIC_FILTER = 503,
    /// Bytes that are not a well-formed MQTT packet, or a value that does not fit one.
    MALFORMED = 504,
    /// A QoS other than 0, 1 or 2.
    INVALID_QOS = 505,
    /// Ours: the server refused a message that was waited for (an acknowledged publish, a
    /// request): its PUBACK, PUBREC or PUBCOMP carried a reason code of 0x80 or above, which
    /// the message names.
    SERVER_REFUSED = 506,

    /// WebSocket: reading or writing a frame failed.
    WS_TRANSMIT = 4001,
    /// WebSocket: sending the closing frame failed.
    WS_CLOSE = 4002,
    /// WebSocket: the handshake or a frame broke the WebSocket protocol.
    WS_PROTOCOL = 4003,

    /// The proxy (Firewall) settings are unusable, or the proxy refused or failed the tunnel.
    FIREWALL = 118,
    /// The client is busy (reserved; the reference's number for it).
    BUSY = 143,
    /// A wait ended by Interrupt (or Reset, or a wait check); see [`crate::Error::interrupted`].
    INTERRUPTED = 301 "interrupted while {what}",
    /// A file could not be opened, read or written (SessionStateFile).
    FILE = 302,

    /// RemotePort cannot change while a connection exists.
    REMOTE_PORT_LOCKED = 100,
    /// RemoteHost cannot change while a connection exists.
    REMOTE_HOST_LOCKED = 101,
    /// RemoteHost (or LocalHost) is not a usable address or URL.
    INVALID_ADDRESS = 102,
    /// Connect was called while connected.
    ALREADY_CONNECTED = 104,
    /// LocalPort cannot change while a connection exists.
    LOCAL_PORT_LOCKED = 106,
    /// LocalHost cannot change while a connection exists.
    LOCAL_HOST_LOCKED = 107,
    /// MaxLineLength cannot change while a connection exists.
    MAX_LINE_LENGTH_LOCKED = 112,
    /// Connect needs a RemotePort other than 0.
    REMOTE_PORT_ZERO = 116,
    /// A non-blocking call (Timeout 0) could not proceed without waiting: the send
    /// buffer is full; retry after the ReadyToSend event.
    WOULD_BLOCK = 135,
    /// The wait exceeded Timeout (or the keep-alive timed out).
    TIMEOUT = 201,
    /// The property cannot change now (a connection exists).
    BAD_STATE = 211,
    /// Not connected, and the message cannot wait for a reconnection (it was not sent).
    NOT_CONNECTED = 212,
    /// A connection attempt is already in progress.
    ALREADY_CONNECTING = 1105,
    /// The operation needs a connection: call Connect first.
    CONNECT_FIRST = 1117,
    /// The connection was closed by the server or lost (not closed by us).
    DROPPED = 1120,

    /// The TLS layer failed in a way no other code describes.
    TLS_LIBRARY = 270,
    /// A certificate store could not be opened or read.
    TLS_STORE = 271,
    /// No certificate matches the selection, or the bytes are not a certificate.
    TLS_CERT_NOT_FOUND = 272,
    /// The client certificate cannot be used (no private key, wrong password).
    TLS_CREDENTIALS = 273,
    /// The trusted CAs (SSLServerCACerts, CA files) are not usable.
    TLS_CHAIN_NOT_FOUND = 274,
    /// The server certificate's chain failed verification (reserved; verification failures
    /// are reported as TLS_CERT_VERIFY).
    TLS_CHAIN_VERIFY = 275,
    /// The TLS handshake failed.
    TLS_HANDSHAKE = 276,
    /// The server certificate was refused (verification failed and nothing accepted it).
    TLS_CERT_VERIFY = 280,

    /// A value given to a property, a config setting or a method argument is out of its
    /// range or of the wrong type. The reference has no single number for this; we use the
    /// "invalid argument" number of its TCP/IP table.
    INVALID_ARGUMENT = 10022,
    /// The peer reset the connection.
    CONNECTION_RESET = 10054,
    /// The TCP connection attempt timed out.
    CONNECTION_TIMED_OUT = 10060,
    /// Nothing listens at the server's address and port.
    CONNECTION_REFUSED = 10061,
    /// The host name could not be resolved.
    HOST_NOT_FOUND = 11001,
}

/// An error with a documented code. `message` is written for the person reading a log:
/// it names the bad value and what was expected. Match on the number with the [`code`]
/// constants.
///
/// ```
/// use ferromq::{code, Mqtt};
///
/// let client = Mqtt::new();
/// let err = client.set_keep_alive_interval(70_000).unwrap_err();
/// assert_eq!(err.code, code::INVALID_ARGUMENT);
/// assert!(err.message.contains("70000"));
/// println!("{err}"); // the code and the message
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    /// The documented number (see [`code`] and [`ERROR_CODES`]).
    pub code: i32,
    /// What went wrong, naming the value at fault.
    pub message: String,
}

/// The result of every fallible call of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with the documented `code` and a `message` for the reader.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// The 301 a wait ends with when Interrupt (or Reset) ended it; `what` says what the
    /// call was doing ("connecting", "waiting for SUBACK"). Every face takes this text.
    pub fn interrupted(what: &str) -> Self {
        Error::new(code::INTERRUPTED, format!("interrupted while {what}"))
    }

    /// The documented number.
    pub fn code(&self) -> i32 {
        self.code
    }

    /// The text, naming the value at fault.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Maps an OS error to the documented 10xxx numbers (the reference numbers them the
    /// Winsock way; on Unix we translate errno).
    pub fn from_io(err: &std::io::Error, context: &str) -> Self {
        use std::io::ErrorKind as K;
        let code = match err.kind() {
            K::ConnectionRefused => code::CONNECTION_REFUSED,
            K::ConnectionReset => code::CONNECTION_RESET,
            K::ConnectionAborted => 10053,
            K::NotConnected => 10057,
            K::AddrInUse => 10048,
            K::AddrNotAvailable => 10049,
            K::TimedOut => code::CONNECTION_TIMED_OUT,
            K::WouldBlock => 10035,
            K::PermissionDenied => 10013,
            K::InvalidInput => code::INVALID_ARGUMENT,
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
