//! The settings of the `tcp`, `ssl` and `socket` groups: how the byte stream under MQTT is
//! built (socket options, proxy, TLS). They take effect at the next connection attempt,
//! AutoReconnect's included; LocalHost, LocalPort and MaxLineLength are refused while a
//! connection exists, as the reference's 106/107/112 say.
//!
//! Settings that belong to another TLS stack are accepted, stored and read back, and have
//! no effect; docs/config.md says so for each.

use super::{fmt_bool, invalid, parse_bool, parse_int, Applies, Setting, SettingType};
use crate::component::firewall;
use std::ops::{Deref, DerefMut};
use std::sync::LazyLock;

/// What a TLS handshake negotiated (the SSLNegotiated* settings); empty until then.
#[derive(Clone, Debug, Default)]
pub(crate) struct Negotiated {
    pub cipher: String,
    pub cipher_strength: u32,
    pub cipher_suite: String,
    pub key_exchange: String,
    pub key_exchange_strength: u32,
    pub version: String,
}

/// The transport settings of one client, allocated at the first write: most clients never
/// change one, and the full set with its default texts is about 2 KiB per client otherwise
/// (the benchmark's 10 000 idle connections count every byte).
#[derive(Clone, Debug, Default)]
pub(crate) struct Transport(Option<Box<TransportValues>>);

static DEFAULTS: LazyLock<TransportValues> = LazyLock::new(TransportValues::default);

impl Deref for Transport {
    type Target = TransportValues;
    fn deref(&self) -> &TransportValues {
        self.0.as_deref().unwrap_or(&DEFAULTS)
    }
}

impl DerefMut for Transport {
    fn deref_mut(&mut self) -> &mut TransportValues {
        self.0.get_or_insert_with(Default::default)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct TransportValues {
    // tcp
    pub firewall_auto_detect: bool,
    pub firewall_host: String,
    pub firewall_password: String,
    pub firewall_port: i32,
    pub firewall_type: i32,
    pub firewall_user: String,
    /// TCP keep-alive timing in milliseconds; 0 leaves the system's value.
    pub keep_alive_interval_ms: i32,
    pub keep_alive_time_ms: i32,
    pub linger: bool,
    pub linger_time: i32,
    /// Where to bind before connecting (also the LocalHost/LocalPort properties).
    pub local_host: String,
    pub local_port: i32,
    pub max_line_length: i32,
    pub max_transfer_rate: i64,
    pub proxy_exceptions: String,
    pub tcp_keep_alive: bool,
    pub tcp_no_delay: bool,
    pub use_ipv6: i32,
    // ssl
    pub log_ssl_packets: bool,
    pub openssl_ca_dir: String,
    pub openssl_ca_file: String,
    pub openssl_cipher_list: String,
    pub openssl_prng_seed_data: String,
    pub reuse_ssl_session: bool,
    pub ssl_accept_any_server_cert: bool,
    pub ssl_ca_certs: String,
    pub ssl_cipher_strength: i32,
    pub ssl_client_ca_certs: String,
    pub ssl_enabled_cipher_suites: String,
    pub ssl_enabled_protocols: i64,
    pub ssl_enable_renegotiation: bool,
    pub ssl_include_cert_chain: bool,
    pub ssl_key_log_file: String,
    pub ssl_security_flags: i64,
    pub ssl_server_ca_certs: String,
    pub tls12_signature_algorithms: String,
    pub tls12_supported_groups: String,
    pub tls13_key_share_groups: String,
    pub tls13_signature_algorithms: String,
    pub tls13_supported_groups: String,
    // socket
    pub absolute_timeout: bool,
    pub firewall_data: String,
    pub in_buffer_size: i32,
    pub out_buffer_size: i32,
}

const TLS12_SIGNATURE_ALGORITHMS: &str = "sha512-ecdsa,sha512-rsa,sha512-dsa,sha384-ecdsa,sha384-rsa,sha384-dsa,sha256-ecdsa,sha256-rsa,sha256-dsa,sha224-ecdsa,sha224-rsa,sha224-dsa,sha1-ecdsa,sha1-rsa,sha1-dsa";
const TLS12_SUPPORTED_GROUPS: &str = "ecdhe_secp256r1,ecdhe_secp384r1,ecdhe_secp521r1";
const TLS13_KEY_SHARE_GROUPS: &str =
    "ecdhe_x25519,ecdhe_secp256r1,ecdhe_secp384r1,ffdhe_2048,ffdhe_3072";
const TLS13_SIGNATURE_ALGORITHMS: &str = "rsa_pss_sha256,rsa_pss_sha384,rsa_pss_sha512,rsa_pkcs1_sha256,rsa_pkcs1_sha384,rsa_pkcs1_sha512,ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,ecdsa_secp521r1_sha512,ed25519,ed448";
const TLS13_SUPPORTED_GROUPS: &str = "ecdhe_x25519,ecdhe_x448,ecdhe_secp256r1,ecdhe_secp384r1,ecdhe_secp521r1,ffdhe_2048,ffdhe_3072,ffdhe_4096,ffdhe_6144,ffdhe_8192";

/// TLS 1.2 and 1.3. The reference's client default, 4032, enables TLS 1.0 to 1.2; the two
/// older versions are unsafe and not implemented, and TLS 1.3 is the better default.
pub(crate) const DEFAULT_PROTOCOLS: i64 = 0x3C00;

impl Default for TransportValues {
    fn default() -> Self {
        TransportValues {
            firewall_auto_detect: false,
            firewall_host: String::new(),
            firewall_password: String::new(),
            firewall_port: 0,
            firewall_type: 0,
            firewall_user: String::new(),
            keep_alive_interval_ms: 0,
            keep_alive_time_ms: 0,
            linger: true,
            linger_time: 0,
            local_host: String::new(),
            local_port: 0,
            max_line_length: 2048,
            max_transfer_rate: 0,
            proxy_exceptions: String::new(),
            tcp_keep_alive: false,
            tcp_no_delay: true,
            use_ipv6: 0,
            log_ssl_packets: false,
            openssl_ca_dir: String::new(),
            openssl_ca_file: String::new(),
            openssl_cipher_list: "DEFAULT".into(),
            openssl_prng_seed_data: String::new(),
            reuse_ssl_session: false,
            ssl_accept_any_server_cert: false,
            ssl_ca_certs: String::new(),
            ssl_cipher_strength: 0,
            ssl_client_ca_certs: String::new(),
            ssl_enabled_cipher_suites: "*".into(),
            ssl_enabled_protocols: DEFAULT_PROTOCOLS,
            ssl_enable_renegotiation: false,
            ssl_include_cert_chain: false,
            ssl_key_log_file: String::new(),
            ssl_security_flags: 0,
            ssl_server_ca_certs: String::new(),
            tls12_signature_algorithms: TLS12_SIGNATURE_ALGORITHMS.into(),
            tls12_supported_groups: TLS12_SUPPORTED_GROUPS.into(),
            tls13_key_share_groups: TLS13_KEY_SHARE_GROUPS.into(),
            tls13_signature_algorithms: TLS13_SIGNATURE_ALGORITHMS.into(),
            tls13_supported_groups: TLS13_SUPPORTED_GROUPS.into(),
            absolute_timeout: false,
            firewall_data: String::new(),
            in_buffer_size: 0,
            out_buffer_size: 0,
        }
    }
}

use Applies::Both;
use SettingType::{Bool, Int, String as Text};

const fn grouped(mut s: Setting, group: &'static str) -> Setting {
    s.group = group;
    s
}

/// A writable text setting stored as it is.
macro_rules! text {
    ($group:literal, $name:literal, $default:literal, $field:ident) => {
        grouped(
            super::rw(
                $name,
                Text,
                Both,
                $default,
                |c| c.transport.$field.clone(),
                |c, v| {
                    c.transport.$field = v.to_string();
                    Ok(())
                },
            ),
            $group,
        )
    };
}

/// A writable boolean setting.
macro_rules! flag {
    ($group:literal, $name:literal, $default:literal, $field:ident) => {
        grouped(
            super::rw(
                $name,
                Bool,
                Both,
                $default,
                |c| fmt_bool(c.transport.$field),
                |c, v| {
                    c.transport.$field = parse_bool($name, v)?;
                    Ok(())
                },
            ),
            $group,
        )
    };
}

/// A writable integer setting in `min..=max`.
macro_rules! int {
    ($group:literal, $name:literal, $default:literal, $field:ident, $min:expr, $max:expr) => {
        grouped(
            super::rw(
                $name,
                Int,
                Both,
                $default,
                |c| c.transport.$field.to_string(),
                |c, v| {
                    c.transport.$field = parse_int($name, v, $min, $max)? as _;
                    Ok(())
                },
            ),
            $group,
        )
    };
}

/// A TCP keep-alive timing in milliseconds. Setting one above 0 turns TCPKeepAlive on, as
/// the reference documents.
macro_rules! keep_alive_ms {
    ($name:literal, $field:ident) => {
        grouped(
            super::rw(
                $name,
                Int,
                Both,
                "0",
                |c| c.transport.$field.to_string(),
                |c, v| {
                    let n = parse_int($name, v, 0, i32::MAX as i64)? as i32;
                    c.transport.$field = n;
                    if n > 0 {
                        c.transport.tcp_keep_alive = true;
                    }
                    Ok(())
                },
            ),
            "tcp",
        )
    };
}

/// A read-only value of the last TLS handshake.
macro_rules! negotiated {
    ($name:literal, $kind:expr, $default:literal, $get:expr) => {
        grouped(super::ro($name, $kind, Both, $default, $get), "ssl")
    };
}

/// A comma list of key exchange groups, checked against the names the reference lists.
macro_rules! groups {
    ($name:literal, $default:expr, $field:ident) => {
        grouped(
            super::rw(
                $name,
                Text,
                Both,
                $default,
                |c| c.transport.$field.clone(),
                |c, v| {
                    check_groups($name, v)?;
                    c.transport.$field = v.to_string();
                    Ok(())
                },
            ),
            "ssl",
        )
    };
}

/// The three groups, each in the order of the documented inventory.
pub(super) fn settings() -> Vec<Setting> {
    vec![
        // ---- tcp ----
        flag!("tcp", "FirewallAutoDetect", "False", firewall_auto_detect),
        text!("tcp", "FirewallHost", "", firewall_host),
        text!("tcp", "FirewallPassword", "", firewall_password),
        grouped(
            super::rw(
                "FirewallPort",
                Int,
                Both,
                "0",
                |c| c.transport.firewall_port.to_string(),
                |c, v| {
                    let p = parse_int("FirewallPort", v, i64::MIN, i64::MAX)?;
                    let p = i32::try_from(p)
                        .map_err(|_| invalid("FirewallPort", v, "expected 0..=65535"))?;
                    firewall::check_port(p)?;
                    c.transport.firewall_port = p;
                    Ok(())
                },
            ),
            "tcp",
        ),
        grouped(
            super::rw(
                "FirewallType",
                Int,
                Both,
                "0",
                |c| c.transport.firewall_type.to_string(),
                |c, v| {
                    let t = parse_int("FirewallType", v, i64::MIN, i64::MAX)?;
                    let t = i32::try_from(t)
                        .map_err(|_| invalid("FirewallType", v, "expected 0, 1, 2, 3 or 10"))?;
                    firewall::check_type(t)?;
                    // The reference sets the port the type implies; FirewallPort may
                    // change it afterwards.
                    c.transport.firewall_type = t;
                    c.transport.firewall_port = firewall::default_port(t);
                    Ok(())
                },
            ),
            "tcp",
        ),
        text!("tcp", "FirewallUser", "", firewall_user),
        keep_alive_ms!("KeepAliveInterval", keep_alive_interval_ms),
        keep_alive_ms!("KeepAliveTime", keep_alive_time_ms),
        flag!("tcp", "Linger", "True", linger),
        int!("tcp", "LingerTime", "0", linger_time, 0, 65_535),
        grouped(
            super::rw(
                "LocalHost",
                Text,
                Both,
                "",
                |c| match c.bound {
                    Some(a) => a.ip().to_string(),
                    None => c.transport.local_host.clone(),
                },
                |c, v| {
                    c.transport.local_host = v.trim().to_string();
                    Ok(())
                },
            ),
            "tcp",
        ),
        grouped(
            super::rw(
                "LocalPort",
                Int,
                Both,
                "0",
                |c| match c.bound {
                    Some(a) => a.port().to_string(),
                    None => c.transport.local_port.to_string(),
                },
                |c, v| {
                    c.transport.local_port = parse_int("LocalPort", v, 0, 65_535)? as i32;
                    Ok(())
                },
            ),
            "tcp",
        ),
        int!(
            "tcp",
            "MaxLineLength",
            "2048",
            max_line_length,
            256,
            i32::MAX as i64
        ),
        int!(
            "tcp",
            "MaxTransferRate",
            "0",
            max_transfer_rate,
            0,
            i64::MAX
        ),
        text!("tcp", "ProxyExceptionsList", "", proxy_exceptions),
        flag!("tcp", "TCPKeepAlive", "False", tcp_keep_alive),
        flag!("tcp", "TcpNoDelay", "True", tcp_no_delay),
        int!("tcp", "UseIPv6", "0", use_ipv6, 0, 2),
        // ---- ssl ----
        flag!("ssl", "LogSSLPackets", "False", log_ssl_packets),
        text!("ssl", "OpenSSLCADir", "", openssl_ca_dir),
        text!("ssl", "OpenSSLCAFile", "", openssl_ca_file),
        text!("ssl", "OpenSSLCipherList", "DEFAULT", openssl_cipher_list),
        text!("ssl", "OpenSSLPrngSeedData", "", openssl_prng_seed_data),
        flag!("ssl", "ReuseSSLSession", "False", reuse_ssl_session),
        flag!(
            "ssl",
            "SSLAcceptAnyServerCert",
            "False",
            ssl_accept_any_server_cert
        ),
        text!("ssl", "SSLCACerts", "", ssl_ca_certs),
        int!(
            "ssl",
            "SSLCipherStrength",
            "0",
            ssl_cipher_strength,
            0,
            65_535
        ),
        text!("ssl", "SSLClientCACerts", "", ssl_client_ca_certs),
        grouped(
            super::rw(
                "SSLEnabledCipherSuites",
                Text,
                Both,
                "*",
                |c| c.transport.ssl_enabled_cipher_suites.clone(),
                |c, v| {
                    // Names are checked now, so a typo is reported here and not inside
                    // Connect; "" means all, as "*" does.
                    let v = if v.trim().is_empty() { "*" } else { v };
                    crate::transport::tls::select_cipher_suites(v)?;
                    c.transport.ssl_enabled_cipher_suites = v.to_string();
                    Ok(())
                },
            ),
            "ssl",
        ),
        grouped(
            super::rw(
                "SSLEnabledProtocols",
                Int,
                Both,
                "15360",
                |c| c.transport.ssl_enabled_protocols.to_string(),
                |c, v| {
                    let mask = parse_int("SSLEnabledProtocols", v, 0, u32::MAX as i64)?;
                    crate::transport::tls::select_versions(mask as u32)?;
                    c.transport.ssl_enabled_protocols = mask;
                    Ok(())
                },
            ),
            "ssl",
        ),
        flag!(
            "ssl",
            "SSLEnableRenegotiation",
            "False",
            ssl_enable_renegotiation
        ),
        flag!(
            "ssl",
            "SSLIncludeCertChain",
            "False",
            ssl_include_cert_chain
        ),
        text!("ssl", "SSLKeyLogFile", "", ssl_key_log_file),
        negotiated!("SSLNegotiatedCipher", Text, "", |c| c.negotiated.as_ref().map(|n| n.cipher.clone()).unwrap_or_default()),
        negotiated!("SSLNegotiatedCipherStrength", Int, "0", |c| c.negotiated.as_ref().map_or(0, |n| n.cipher_strength).to_string()),
        negotiated!("SSLNegotiatedCipherSuite", Text, "", |c| c.negotiated.as_ref().map(|n| n.cipher_suite.clone()).unwrap_or_default()),
        negotiated!("SSLNegotiatedKeyExchange", Text, "", |c| c.negotiated.as_ref().map(|n| n.key_exchange.clone()).unwrap_or_default()),
        negotiated!("SSLNegotiatedKeyExchangeStrength", Int, "0", |c| c.negotiated.as_ref().map_or(0, |n| n.key_exchange_strength).to_string()),
        negotiated!("SSLNegotiatedVersion", Text, "", |c| c.negotiated.as_ref().map(|n| n.version.clone()).unwrap_or_default()),
        grouped(
            super::rw(
                "SSLSecurityFlags",
                Int,
                Both,
                "0",
                |c| c.transport.ssl_security_flags.to_string(),
                |c, v| {
                    // The reference writes these flags in hex (0x80000000).
                    let t = v.trim();
                    let n = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                        Some(h) => i64::from_str_radix(h, 16).map_err(|_| {
                            invalid("SSLSecurityFlags", v, "expected an integer 0..=0xFFFFFFFF")
                        })?,
                        None => parse_int("SSLSecurityFlags", v, 0, u32::MAX as i64)?,
                    };
                    if !(0..=u32::MAX as i64).contains(&n) {
                        return Err(invalid(
                            "SSLSecurityFlags",
                            v,
                            "expected an integer 0..=0xFFFFFFFF",
                        ));
                    }
                    c.transport.ssl_security_flags = n;
                    Ok(())
                },
            ),
            "ssl",
        ),
        text!("ssl", "SSLServerCACerts", "", ssl_server_ca_certs),
        text!(
            "ssl",
            "TLS12SignatureAlgorithms",
            "sha512-ecdsa,sha512-rsa,sha512-dsa,sha384-ecdsa,sha384-rsa,sha384-dsa,sha256-ecdsa,sha256-rsa,sha256-dsa,sha224-ecdsa,sha224-rsa,sha224-dsa,sha1-ecdsa,sha1-rsa,sha1-dsa",
            tls12_signature_algorithms
        ),
        groups!("TLS12SupportedGroups", TLS12_SUPPORTED_GROUPS, tls12_supported_groups),
        groups!("TLS13KeyShareGroups", TLS13_KEY_SHARE_GROUPS, tls13_key_share_groups),
        text!(
            "ssl",
            "TLS13SignatureAlgorithms",
            "rsa_pss_sha256,rsa_pss_sha384,rsa_pss_sha512,rsa_pkcs1_sha256,rsa_pkcs1_sha384,rsa_pkcs1_sha512,ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,ecdsa_secp521r1_sha512,ed25519,ed448",
            tls13_signature_algorithms
        ),
        groups!("TLS13SupportedGroups", TLS13_SUPPORTED_GROUPS, tls13_supported_groups),
        // ---- socket ----
        flag!("socket", "AbsoluteTimeout", "False", absolute_timeout),
        text!("socket", "FirewallData", "", firewall_data),
        int!(
            "socket",
            "InBufferSize",
            "0",
            in_buffer_size,
            0,
            i32::MAX as i64
        ),
        int!(
            "socket",
            "OutBufferSize",
            "0",
            out_buffer_size,
            0,
            i32::MAX as i64
        ),
    ]
}

/// The group names the reference lists for its key exchange settings.
pub(crate) const GROUP_NAMES: [&str; 10] = [
    "ecdhe_x25519",
    "ecdhe_x448",
    "ecdhe_secp256r1",
    "ecdhe_secp384r1",
    "ecdhe_secp521r1",
    "ffdhe_2048",
    "ffdhe_3072",
    "ffdhe_4096",
    "ffdhe_6144",
    "ffdhe_8192",
];

/// A comma list of key exchange groups: every name must be one the reference lists.
fn check_groups(name: &str, v: &str) -> crate::Result<()> {
    for g in v.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        if !GROUP_NAMES.iter().any(|k| k.eq_ignore_ascii_case(g)) {
            return Err(invalid(
                name,
                v,
                &format!(
                    "\"{g}\" is not a group name; use a comma list of {}",
                    GROUP_NAMES.join(", ")
                ),
            ));
        }
    }
    Ok(())
}
