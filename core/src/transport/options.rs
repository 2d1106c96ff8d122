//! What the application can ask of a transport: where to connect (`Target`) and how
//! (`TransportOptions`). Plain data with defaults that are safe: TLS verification on, the host
//! name checked, TLS 1.2 and 1.3 only, no proxy.

use super::certs::ClientCert;
use crate::error::{code, Error, Result};
use std::path::PathBuf;
use std::time::Duration;

/// Where to connect: the MQTT server, and whether to speak WebSocket to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// A host name or an IP address (without brackets).
    pub host: String,
    /// The TCP port (1883 is usual for MQTT, 8883 for MQTT over TLS).
    pub port: u16,
    /// `Some` for `ws://` and `wss://` targets.
    pub websocket: Option<WsTarget>,
    /// The application wrote `*` before the host: a proxy gets the name as it is, and nothing
    /// resolves it locally.
    pub resolve_remotely: bool,
}

/// The WebSocket part of a `ws://` or `wss://` target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WsTarget {
    /// `wss://`: TLS under the WebSocket, whatever `TlsOptions::enabled` says.
    pub secure: bool,
    /// The request path with its query, starting with `/` ("/" when the URL had none).
    pub path: String,
}

impl Target {
    /// A plain host and port.
    pub fn new(host: impl Into<String>, port: u16) -> Target {
        Target {
            host: host.into(),
            port,
            websocket: None,
            resolve_remotely: false,
        }
    }

    /// Reads RemoteHost the way the class documents it: a name or address, optionally with
    /// a leading `*` (resolve at the proxy), or a `ws://` / `wss://` URL whose port, when it
    /// has one, wins over `port`. IPv6 addresses may be bracketed (`[::1]`), and must be in
    /// a URL.
    pub fn parse(remote_host: &str, port: u16) -> Result<Target> {
        let text = remote_host.trim();
        let (resolve_remotely, text) = match text.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let lower = text.to_ascii_lowercase();
        let (secure, rest) = if lower.starts_with("wss://") {
            (Some(true), &text[6..])
        } else if lower.starts_with("ws://") {
            (Some(false), &text[5..])
        } else if let Some(i) = lower.find("://") {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "RemoteHost \"{remote_host}\" has the scheme \"{}\"; only ws:// and wss:// URLs or a plain host name are understood",
                    &text[..i]
                ),
            ));
        } else {
            (None, text)
        };
        let Some(secure) = secure else {
            let host = unbracket(text);
            check_host(remote_host, host)?;
            return Ok(Target {
                host: host.to_string(),
                port,
                websocket: None,
                resolve_remotely,
            });
        };
        // authority [/path[?query]]
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        let path = match path.find('#') {
            Some(i) => path[..i].to_string(),
            None => path,
        };
        if authority.contains('@') {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("RemoteHost \"{remote_host}\": user information in a WebSocket URL is not supported"),
            ));
        }
        let (host, url_port) = split_host_port(remote_host, authority)?;
        check_host(remote_host, host)?;
        Ok(Target {
            host: host.to_string(),
            port: url_port.unwrap_or(port),
            websocket: Some(WsTarget { secure, path }),
            resolve_remotely,
        })
    }

    /// The host as it goes into a URL or a `Host:` header: IPv6 addresses in brackets.
    pub fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

fn check_host(remote_host: &str, host: &str) -> Result<()> {
    if host.is_empty() {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            format!("RemoteHost \"{remote_host}\" names no host"),
        ));
    }
    if host
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'/')
    {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            format!("RemoteHost \"{remote_host}\": the host \"{host}\" contains a character a host name cannot have"),
        ));
    }
    Ok(())
}

fn split_host_port<'a>(remote_host: &str, authority: &'a str) -> Result<(&'a str, Option<u16>)> {
    let bad_port = |p: &str| {
        Error::new(
            code::INVALID_ARGUMENT,
            format!(
                "RemoteHost \"{remote_host}\": the port \"{p}\" is not a number from 1 to 65535"
            ),
        )
    };
    let parse_port = |p: &str| match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad_port(p)),
    };
    if let Some(inner) = authority.strip_prefix('[') {
        let Some(end) = inner.find(']') else {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("RemoteHost \"{remote_host}\": an IPv6 address opened with [ is not closed with ]"),
            ));
        };
        let host = &inner[..end];
        let after = &inner[end + 1..];
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, Some(parse_port(p)?))),
            None if after.is_empty() => Ok((host, None)),
            None => Err(bad_port(after)),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, _)) if h.contains(':') => Err(Error::new(
            code::INVALID_ARGUMENT,
            format!("RemoteHost \"{remote_host}\": an IPv6 address in a URL must be written in brackets, as in ws://[::1]:8080/"),
        )),
        Some((h, p)) => Ok((h, Some(parse_port(p)?))),
        None => Ok((authority, None)),
    }
}

/// Everything about how to reach the target. `Default` is plain TCP with no proxy.
#[derive(Clone, Debug, Default)]
pub struct TransportOptions {
    /// TCP settings: no-delay and the local address to connect from.
    pub tcp: super::TcpOptions,
    /// Socket settings: address family, keep-alive probes, linger, buffer sizes, rate limit.
    pub socket: SocketOptions,
    /// TLS settings; used when `tls.enabled` is set or the target is `wss://`.
    pub tls: TlsOptions,
    /// WebSocket settings; used for `ws://` and `wss://` targets.
    pub websocket: WsOptions,
    /// The proxy to go through, if any.
    pub proxy: Option<ProxyOptions>,
}

/// Which address families to use (the class's UseIPv6 maps 0, 1, 2 to `V4Only`, `V6Only`,
/// `V6First`). `Any` keeps the resolver's order and tries every address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IpFamily {
    /// Every address, in the resolver's order.
    #[default]
    Any,
    /// IPv4 addresses only.
    V4Only,
    /// IPv6 addresses only.
    V6Only,
    /// IPv6 addresses first, then IPv4.
    V6First,
}

/// Socket settings beyond those of `TcpOptions`.
#[derive(Clone, Debug, Default)]
pub struct SocketOptions {
    /// Which address families to try.
    pub ip_family: IpFamily,
    /// TCPKeepAlive with KeepAliveTime / KeepAliveInterval (`None` for the system's value).
    pub keep_alive: Option<KeepAlive>,
    /// What closing the socket does with unsent data.
    pub linger: Linger,
    /// SO_RCVBUF / SO_SNDBUF in bytes; 0 leaves the system's size.
    pub in_buffer_size: u32,
    /// SO_SNDBUF in bytes; 0 leaves the system's size.
    pub out_buffer_size: u32,
    /// MaxTransferRate: at most this many bytes per second are written; 0 for no limit.
    pub max_transfer_rate: u64,
}

/// TCP keep-alive probe timing; `None` in a field leaves the system's value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeepAlive {
    /// Idle time before the first probe.
    pub time: Option<Duration>,
    /// Time between unanswered probes.
    pub interval: Option<Duration>,
}

/// How closing the socket behaves (the class's Linger and LingerTime).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Linger {
    /// Linger true, LingerTime 0: close returns at once and the system delivers what is left.
    #[default]
    System,
    /// Linger true, LingerTime N: the close waits up to N seconds for the data to go out,
    /// then resets the connection.
    Seconds(u16),
    /// Linger false: close resets the connection at once, dropping unsent data.
    Abort,
}

/// The reference's SSLEnabledProtocols bits. Only TLS 1.2 and 1.3 are implemented; the
/// others are accepted in a mask (the reference's default names TLS 1.0 and 1.1) and ignored.
pub mod protocols {
    /// SSL 2.0 (accepted in a mask, never enabled).
    pub const SSL2: u32 = 0x0C;
    /// SSL 3.0 (accepted in a mask, never enabled).
    pub const SSL3: u32 = 0x30;
    /// TLS 1.0 (accepted in a mask, never enabled).
    pub const TLS1: u32 = 0xC0;
    /// TLS 1.1 (accepted in a mask, never enabled).
    pub const TLS1_1: u32 = 0x300;
    /// TLS 1.2.
    pub const TLS1_2: u32 = 0xC00;
    /// TLS 1.3.
    pub const TLS1_3: u32 = 0x3000;
    /// What we enable unless told otherwise.
    pub const DEFAULT: u32 = TLS1_2 | TLS1_3;
}

/// How the TLS layer verifies the server and presents the client: trusted CAs, the client
/// certificate, the protocol versions, the server name.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    /// TLS over TCP (`wss://` targets use TLS regardless).
    pub enabled: bool,
    /// Extra trusted CAs, PEM text (SSLServerCACerts); added to the system's roots.
    pub ca_pem: String,
    /// Extra trusted CAs from files (PEM with one or more certificates, or one DER certificate).
    pub ca_files: Vec<PathBuf>,
    /// Whether the system's roots (/etc/ssl/certs and the like) are trusted as well.
    pub use_system_roots: bool,
    /// SSLAcceptAnyServerCert: a certificate that fails verification may still be accepted;
    /// the observer's decision is final. The handshake signature is always checked.
    pub accept_any: bool,
    /// SSLAcceptServerCert: a server whose leaf certificate has exactly these DER bytes is
    /// accepted whatever verification says.
    pub accept_cert: Option<Vec<u8>>,
    /// Check that the certificate is for the host we connect to (DNS or IP SAN).
    pub verify_host_name: bool,
    /// Name to send as SNI and to check the certificate against, instead of the target host.
    pub server_name: Option<String>,
    /// Send SNI (never for IP addresses, as the TLS rules say).
    pub sni: bool,
    /// SSLCert: the client certificate and its key.
    pub client_cert: Option<ClientCert>,
    /// Certificates sent after the client certificate (SSLCACerts), PEM text.
    pub client_chain_pem: String,
    /// SSLEnabledProtocols bits (see [`protocols`]).
    pub enabled_protocols: u32,
    /// SSLEnabledCipherSuites: "*" or names separated by `;` or `,` (IANA names such as
    /// TLS_AES_128_GCM_SHA256 or rustls's TLS13_AES_128_GCM_SHA256). CALG_* names are for
    /// another TLS stack and are ignored.
    pub cipher_suites: String,
    /// SSLKeyLogFile: the session secrets are appended here (NSS key log format).
    pub key_log_file: Option<PathBuf>,
    /// SSLIncludeCertChain: the observer gets every certificate the server sent.
    pub include_chain: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            enabled: false,
            ca_pem: String::new(),
            ca_files: Vec::new(),
            use_system_roots: true,
            accept_any: false,
            accept_cert: None,
            verify_host_name: true,
            server_name: None,
            sni: true,
            client_cert: None,
            client_chain_pem: String::new(),
            enabled_protocols: protocols::DEFAULT,
            cipher_suites: "*".to_string(),
            key_log_file: None,
            include_chain: false,
        }
    }
}

/// WebSocket handshake and framing settings.
#[derive(Clone, Debug)]
pub struct WsOptions {
    /// Offered in Sec-WebSocket-Protocol; the server must pick it.
    pub subprotocol: String,
    /// Extra request headers (name, value), e.g. for authentication at a gateway.
    pub headers: Vec<(String, String)>,
    /// Largest message accepted from the server.
    pub max_message_size: usize,
}

impl Default for WsOptions {
    fn default() -> Self {
        WsOptions {
            subprotocol: "mqtt".to_string(),
            headers: Vec::new(),
            // A little over MQTT's largest packet (256 MiB + header).
            max_message_size: 268_435_460,
        }
    }
}

/// The class's FirewallType values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyKind {
    /// fwTunnel (1): HTTP CONNECT.
    Http,
    /// fwSOCKS4 (2).
    Socks4,
    /// fwSOCKS5 (3).
    Socks5,
    /// fwSOCKS4A (10).
    Socks4a,
}

impl ProxyKind {
    /// From the class's FirewallType number; 0 (no firewall) gives `None`.
    pub fn from_firewall_type(n: i32) -> Result<Option<ProxyKind>> {
        Ok(Some(match n {
            0 => return Ok(None),
            1 => ProxyKind::Http,
            2 => ProxyKind::Socks4,
            3 => ProxyKind::Socks5,
            10 => ProxyKind::Socks4a,
            _ => {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    format!("FirewallType {n} is not one of 0 (none), 1 (tunnel), 2 (SOCKS4), 3 (SOCKS5), 10 (SOCKS4A)"),
                ))
            }
        }))
    }

    /// The port the class uses when FirewallPort is 0.
    pub fn default_port(self) -> u16 {
        match self {
            ProxyKind::Http => 80,
            _ => 1080,
        }
    }

    /// The kind's name for messages ("SOCKS5 proxy").
    pub fn name(self) -> &'static str {
        match self {
            ProxyKind::Http => "HTTP proxy",
            ProxyKind::Socks4 => "SOCKS4 proxy",
            ProxyKind::Socks5 => "SOCKS5 proxy",
            ProxyKind::Socks4a => "SOCKS4A proxy",
        }
    }
}

/// A proxy between the client and the server.
#[derive(Clone, Debug)]
pub struct ProxyOptions {
    /// HTTP CONNECT or one of the SOCKS versions.
    pub kind: ProxyKind,
    /// The proxy's host name or address.
    pub host: String,
    /// 0 takes the kind's default (80 or 1080).
    pub port: u16,
    /// Basic auth for HTTP, the user id for SOCKS4/4A, username/password auth for SOCKS5.
    pub user: String,
    /// Password for the proxy (HTTP basic auth and SOCKS5 only).
    pub password: String,
    /// FirewallData: extra header lines for the HTTP CONNECT request ("Name: value", one per
    /// line).
    pub extra_headers: String,
    /// ProxyExceptionsList: hosts reached directly (`;`-separated; `*.example.com` and
    /// `.example.com` match every name under example.com).
    pub exceptions: String,
}

impl ProxyOptions {
    /// A proxy of `kind` at `host`:`port` (0 for the kind's default port) without
    /// credentials, headers or exceptions.
    pub fn new(kind: ProxyKind, host: impl Into<String>, port: u16) -> ProxyOptions {
        ProxyOptions {
            kind,
            host: host.into(),
            port,
            user: String::new(),
            password: String::new(),
            extra_headers: String::new(),
            exceptions: String::new(),
        }
    }

    /// Whether `host` is on the exceptions list and so is reached without the proxy.
    pub fn bypasses(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.exceptions
            .split([';', ','])
            .map(|e| e.trim().trim_end_matches('.'))
            .filter(|e| !e.is_empty())
            .any(|e| {
                if let Some(suffix) = e.strip_prefix("*.").or_else(|| e.strip_prefix('.')) {
                    let (h, s) = (host.to_ascii_lowercase(), suffix.to_ascii_lowercase());
                    h == s || h.ends_with(&format!(".{s}"))
                } else {
                    unbracket(e).eq_ignore_ascii_case(host)
                }
            })
    }

    /// The port to connect to: `port`, or the kind's default when it is 0.
    pub fn port_or_default(&self) -> u16 {
        if self.port == 0 {
            self.kind.default_port()
        } else {
            self.port
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_hosts() {
        let t = Target::parse("broker.example", 1883).unwrap();
        assert_eq!(t, Target::new("broker.example", 1883));
        let t = Target::parse("*broker.example", 1883).unwrap();
        assert!(t.resolve_remotely);
        assert_eq!(Target::parse("[::1]", 1).unwrap().host, "::1");
        assert_eq!(Target::parse("::1", 1).unwrap().host, "::1");
        assert_eq!(
            Target::parse("", 1).unwrap_err().code,
            code::INVALID_ARGUMENT
        );
        assert_eq!(
            Target::parse("mqtt://x", 1).unwrap_err().code,
            code::INVALID_ARGUMENT
        );
    }

    #[test]
    fn websocket_urls() {
        let t = Target::parse("ws://h", 1883).unwrap();
        assert_eq!(t.port, 1883);
        assert_eq!(
            t.websocket,
            Some(WsTarget {
                secure: false,
                path: "/".into()
            })
        );
        let t = Target::parse("WSS://h:8443/mqtt?x=1#frag", 1883).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("h", 8443));
        assert_eq!(
            t.websocket,
            Some(WsTarget {
                secure: true,
                path: "/mqtt?x=1".into()
            })
        );
        let t = Target::parse("ws://[::1]:9/p", 1).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 9));
        assert_eq!(t.host_for_url(), "[::1]");
        let t = Target::parse("ws://h?q", 1).unwrap();
        assert_eq!(t.websocket.unwrap().path, "/?q");
        for bad in [
            "ws://h:0/",
            "ws://h:x/",
            "ws://::1:9/",
            "ws://[::1/",
            "ws://u@h/",
            "ws:///p",
        ] {
            assert_eq!(
                Target::parse(bad, 1).unwrap_err().code,
                code::INVALID_ARGUMENT,
                "{bad}"
            );
        }
    }

    #[test]
    fn proxy_exceptions() {
        let mut p = ProxyOptions::new(ProxyKind::Http, "p", 0);
        p.exceptions = "a.example; *.corp.example;.lan;10.0.0.1".into();
        assert!(p.bypasses("A.example"));
        assert!(p.bypasses("x.corp.example"));
        assert!(p.bypasses("corp.example"));
        assert!(p.bypasses("h.lan"));
        assert!(p.bypasses("10.0.0.1"));
        assert!(!p.bypasses("b.example"));
        assert!(!p.bypasses("xcorp.example"));
        assert_eq!(p.port_or_default(), 80);
    }
}
