//! The properties of the transport: SSLEnabled, SSLProvider, SSLCert, SSLAcceptServerCert,
//! SSLServerCert and Firewall. Like the `tcp`, `ssl` and `socket` settings they take effect
//! at the next connection attempt (AutoReconnect's included).

use super::certificate::Certificate;
use super::firewall::{self, Firewall};
use super::Mqtt;
use crate::error::{code, Error, Result};

impl Mqtt {
    /// SSLEnabled: TLS over TCP. `wss://` RemoteHost URLs use TLS whatever this says.
    pub fn ssl_enabled(&self) -> bool {
        self.sh().props.lock().ssl_enabled
    }
    /// Sets SSLEnabled; takes effect at the next connection attempt.
    pub fn set_ssl_enabled(&self, v: bool) -> Result<()> {
        self.sh().props.lock().ssl_enabled = v;
        Ok(())
    }

    /// SSLProvider: 0 automatic, 1 platform, 2 internal. Every value uses the same TLS
    /// implementation (rustls); the setting is kept and read back.
    pub fn ssl_provider(&self) -> i32 {
        self.sh().props.lock().ssl_provider
    }
    /// Sets SSLProvider (0, 1 or 2); any other value fails with INVALID_ARGUMENT.
    pub fn set_ssl_provider(&self, v: i32) -> Result<()> {
        if !(0..=2).contains(&v) {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("SSLProvider {v} is not one of 0 (automatic), 1 (platform), 2 (internal)"),
            ));
        }
        self.sh().props.lock().ssl_provider = v;
        Ok(())
    }

    /// SSLCert: the client certificate (with its private key) offered when the server asks.
    pub fn ssl_cert(&self) -> Certificate {
        self.sh().props.lock().ssl_cert.clone()
    }
    /// Sets SSLCert. A non-empty certificate without a private key fails with
    /// TLS_CREDENTIALS.
    pub fn set_ssl_cert(&self, cert: Certificate) -> Result<()> {
        if !cert.is_empty() && cert.client_cert().is_none() {
            return Err(Error::new(
                code::TLS_CREDENTIALS,
                format!(
                    "SSLCert \"{}\" has no private key: build it from a store (PKCS#12 or PEM with the key)",
                    cert.subject()
                ),
            ));
        }
        self.sh().props.lock().ssl_cert = cert;
        Ok(())
    }

    /// SSLAcceptServerCert: a server presenting exactly this certificate is accepted
    /// whatever verification says.
    pub fn ssl_accept_server_cert(&self) -> Certificate {
        self.sh().props.lock().ssl_accept_server_cert.clone()
    }
    /// Sets SSLAcceptServerCert; an empty certificate pins nothing.
    pub fn set_ssl_accept_server_cert(&self, cert: Certificate) -> Result<()> {
        self.sh().props.lock().ssl_accept_server_cert = cert;
        Ok(())
    }

    /// SSLServerCert: the server's certificate of the last connection (empty before one,
    /// and again from the start of each attempt).
    pub fn ssl_server_cert(&self) -> Certificate {
        self.sh().props.lock().ssl_server_cert.clone()
    }

    /// Firewall: a view of the Firewall* settings (FirewallType, FirewallHost, ...).
    pub fn firewall(&self) -> Firewall {
        let p = self.sh().props.lock();
        let t = &p.cfg.transport;
        Firewall {
            auto_detect: t.firewall_auto_detect,
            firewall_type: t.firewall_type,
            host: t.firewall_host.clone(),
            password: t.firewall_password.clone(),
            port: t.firewall_port,
            user: t.firewall_user.clone(),
        }
    }
    /// Checks the whole value first, so a bad type or port changes nothing. A port of 0
    /// takes the type's usual one (80 for the tunnel, 1080 for SOCKS).
    pub fn set_firewall(&self, fw: &Firewall) -> Result<()> {
        fw.check()?;
        let mut p = self.sh().props.lock();
        let t = &mut p.cfg.transport;
        t.firewall_auto_detect = fw.auto_detect;
        t.firewall_type = fw.firewall_type;
        t.firewall_host = fw.host.trim().to_string();
        t.firewall_password = fw.password.clone();
        t.firewall_port = if fw.port == 0 {
            firewall::default_port(fw.firewall_type)
        } else {
            fw.port
        };
        t.firewall_user = fw.user.clone();
        Ok(())
    }
}
