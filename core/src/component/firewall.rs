//! The documented Firewall type: the proxy the connection goes through.
//!
//! It is a view of the Firewall* config settings (FirewallType, FirewallHost, ...): the
//! property and the settings read and write the same values, so an application may use
//! either and never sees them disagree.

use crate::error::{code, Error, Result};

/// The proxy (firewall) a client connects through: an HTTP CONNECT tunnel or a SOCKS
/// server. Set it with [`Mqtt::set_firewall`](crate::Mqtt::set_firewall); it applies from the
/// next connection attempt. A type other than 0, 1, 2, 3 or 10, or a port outside
/// 0..=65535, is refused with INVALID_ARGUMENT and changes nothing.
///
/// ```no_run
/// use ferromq::{Firewall, Mqtt};
///
/// # fn main() -> ferromq::Result<()> {
/// let client = Mqtt::new();
/// let mut fw = Firewall::new();
/// fw.firewall_type = 3; // SOCKS5
/// fw.host = "proxy.example.com".into();
/// fw.port = 0; // the usual 1080
/// fw.user = "me".into();
/// fw.password = "secret".into();
/// client.set_firewall(&fw)?;
/// assert_eq!(client.firewall().port, 1080);
/// client.connect_to("broker.example.com", 1883)?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Firewall {
    /// Take the proxy from the environment (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY and
    /// NO_PROXY) when no FirewallType is set.
    pub auto_detect: bool,
    /// 0 none, 1 HTTP CONNECT tunnel, 2 SOCKS4, 3 SOCKS5, 10 SOCKS4A.
    pub firewall_type: i32,
    /// The proxy's host name or address.
    pub host: String,
    /// Password for the proxy (HTTP basic auth and SOCKS5).
    pub password: String,
    /// 0 takes the type's usual port (80 for the tunnel, 1080 for SOCKS).
    pub port: i32,
    /// User name for the proxy (HTTP basic auth, the SOCKS4 user id, SOCKS5 auth).
    pub user: String,
}

impl Firewall {
    /// A firewall with no proxy: type 0, every field empty.
    pub fn new() -> Firewall {
        Firewall::default()
    }

    /// Refuses a type or port the class does not know, naming the value.
    pub(crate) fn check(&self) -> Result<()> {
        check_type(self.firewall_type)?;
        check_port(self.port)
    }
}

pub(crate) fn check_type(t: i32) -> Result<()> {
    match t {
        0 | 1 | 2 | 3 | 10 => Ok(()),
        _ => Err(Error::new(
            code::INVALID_ARGUMENT,
            format!("FirewallType {t} is not one of 0 (none), 1 (HTTP tunnel), 2 (SOCKS4), 3 (SOCKS5), 10 (SOCKS4A)"),
        )),
    }
}

pub(crate) fn check_port(p: i32) -> Result<()> {
    if (0..=65535).contains(&p) {
        Ok(())
    } else {
        Err(Error::new(
            code::INVALID_ARGUMENT,
            format!("FirewallPort {p} is out of range: use 0 (the type's usual port) or 1..=65535"),
        ))
    }
}

/// The port a FirewallType implies (the reference sets FirewallPort when the type is set).
pub(crate) fn default_port(t: i32) -> i32 {
    match t {
        1 => 80,
        2 | 3 | 10 => 1080,
        _ => 0,
    }
}
