//! From the class's properties and settings to the transport layer's `Target` and
//! `TransportOptions`: what to connect to and how. Everything checked here fails Connect
//! before a byte is sent.

use super::props::Props;
use crate::error::{code, Error, Result};
use crate::transport::{
    IpFamily, KeepAlive, Linger, ProxyKind, ProxyOptions, SocketOptions, Target, TcpOptions,
    TlsOptions, TransportOptions,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) fn build(p: &Props) -> Result<(Target, TransportOptions)> {
    let port = u16::try_from(p.remote_port).map_err(|_| {
        Error::new(
            code::INVALID_ARGUMENT,
            format!("RemotePort {} is out of range", p.remote_port),
        )
    })?;
    let target = Target::parse(&p.remote_host, port)?;
    let t = &p.cfg.transport;
    let tcp = TcpOptions {
        nodelay: t.tcp_no_delay,
        local_host: t.local_host.clone(),
        local_port: t.local_port as u16,
    };
    let socket = SocketOptions {
        ip_family: match t.use_ipv6 {
            1 => IpFamily::V6Only,
            2 => IpFamily::V6First,
            _ => IpFamily::V4Only,
        },
        keep_alive: t.tcp_keep_alive.then(|| KeepAlive {
            time: millis(t.keep_alive_time_ms),
            interval: millis(t.keep_alive_interval_ms),
        }),
        linger: match (t.linger, t.linger_time) {
            (false, _) => Linger::Abort,
            (true, 0) => Linger::System,
            (true, n) => Linger::Seconds(n.clamp(0, u16::MAX as i32) as u16),
        },
        in_buffer_size: t.in_buffer_size.max(0) as u32,
        out_buffer_size: t.out_buffer_size.max(0) as u32,
        max_transfer_rate: t.max_transfer_rate.max(0) as u64,
    };
    let mut ca_files: Vec<PathBuf> = Vec::new();
    if !t.openssl_ca_file.trim().is_empty() {
        ca_files.push(PathBuf::from(t.openssl_ca_file.trim()));
    }
    if !t.openssl_ca_dir.trim().is_empty() {
        ca_files.extend(ca_dir(t.openssl_ca_dir.trim())?);
    }
    let accept_cert = p.ssl_accept_server_cert.encoded_b();
    let tls = TlsOptions {
        enabled: p.ssl_enabled,
        ca_pem: t.ssl_server_ca_certs.clone(),
        ca_files,
        accept_any: t.ssl_accept_any_server_cert,
        accept_cert: (!accept_cert.is_empty()).then(|| accept_cert.to_vec()),
        client_cert: p.ssl_cert.client_cert(),
        client_chain_pem: t.ssl_ca_certs.clone(),
        enabled_protocols: t.ssl_enabled_protocols as u32,
        cipher_suites: t.ssl_enabled_cipher_suites.clone(),
        key_log_file: (!t.ssl_key_log_file.trim().is_empty())
            .then(|| PathBuf::from(t.ssl_key_log_file.trim())),
        include_chain: t.ssl_include_cert_chain,
        ..TlsOptions::default()
    };
    let proxy = match ProxyKind::from_firewall_type(t.firewall_type)? {
        Some(kind) => Some(ProxyOptions {
            kind,
            host: t.firewall_host.trim().to_string(),
            port: t.firewall_port as u16,
            user: t.firewall_user.clone(),
            password: t.firewall_password.clone(),
            extra_headers: t.firewall_data.clone(),
            exceptions: t.proxy_exceptions.clone(),
        }),
        None if t.firewall_auto_detect => from_environment(&t.proxy_exceptions)?,
        None => None,
    };
    Ok((
        target,
        TransportOptions {
            tcp,
            socket,
            tls,
            proxy,
            ..TransportOptions::default()
        },
    ))
}

fn millis(ms: i32) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms as u64))
}

/// OpenSSLCADir: the certificates of an OpenSSL CA directory — PEM/DER files and the
/// `hash.N` links `c_rehash` makes (a certificate reached twice is harmless).
fn ca_dir(dir: &str) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::new(
            code::TLS_STORE,
            format!("OpenSSLCADir \"{dir}\" cannot be read: {e}"),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && looks_like_certificate(p))
        .collect();
    files.sort();
    Ok(files)
}

fn looks_like_certificate(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let hashed = name.split_once('.').is_some_and(|(h, n)| {
        h.len() == 8
            && h.bytes().all(|b| b.is_ascii_hexdigit())
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    });
    hashed
        || [".pem", ".crt", ".cer", ".der"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// FirewallAutoDetect with no FirewallType: the proxy the environment names (ALL_PROXY,
/// then HTTPS_PROXY, then HTTP_PROXY, lower case too), with NO_PROXY added to the
/// exceptions. No variable set means a direct connection.
fn from_environment(exceptions: &str) -> Result<Option<ProxyOptions>> {
    let var = |name: &str| {
        std::env::var(name)
            .or_else(|_| std::env::var(name.to_ascii_lowercase()))
            .ok()
            .filter(|v| !v.trim().is_empty())
    };
    let Some((name, url)) = ["ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"]
        .iter()
        .find_map(|n| var(n).map(|v| (*n, v)))
    else {
        return Ok(None);
    };
    let mut proxy = proxy_url(name, url.trim())?;
    let no_proxy = var("NO_PROXY").unwrap_or_default();
    proxy.exceptions = [exceptions, &no_proxy.replace(',', ";")]
        .iter()
        .filter(|s| !s.trim().is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(";");
    Ok(Some(proxy))
}

/// `[scheme://][user[:password]@]host[:port][/]`, scheme http, socks4, socks4a, socks5 or
/// socks5h (no scheme: http).
fn proxy_url(var: &str, url: &str) -> Result<ProxyOptions> {
    let bad = |why: &str| {
        Error::new(
            code::FIREWALL,
            format!("FirewallAutoDetect: {var}=\"{url}\" {why}"),
        )
    };
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_string(), url),
    };
    let kind = match scheme.as_str() {
        "http" => ProxyKind::Http,
        "socks4" => ProxyKind::Socks4,
        "socks4a" => ProxyKind::Socks4a,
        "socks5" | "socks5h" | "socks" => ProxyKind::Socks5,
        other => {
            return Err(bad(&format!(
                "has the scheme \"{other}\"; http, socks4, socks4a and socks5 are understood"
            )))
        }
    };
    let rest = rest.trim_end_matches('/');
    let (userinfo, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (
            h,
            p.parse::<u16>()
                .map_err(|_| bad(&format!("has the port \"{p}\", which is not a port number")))?,
        ),
        _ => (hostport, 0),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad("names no host"));
    }
    let mut proxy = ProxyOptions::new(kind, host, port);
    if let Some(u) = userinfo {
        let (user, password) = u.split_once(':').unwrap_or((u, ""));
        proxy.user = percent_decode(user);
        proxy.password = percent_decode(password);
    }
    Ok(proxy)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_from_the_environment() {
        let p = proxy_url("HTTP_PROXY", "http://us%40r:p%3Ass@proxy.local:3128/").unwrap();
        assert_eq!(
            (
                p.kind,
                p.host.as_str(),
                p.port,
                p.user.as_str(),
                p.password.as_str()
            ),
            (ProxyKind::Http, "proxy.local", 3128, "us@r", "p:ss")
        );
        let p = proxy_url("ALL_PROXY", "socks5h://[::1]:1080").unwrap();
        assert_eq!(
            (p.kind, p.host.as_str(), p.port),
            (ProxyKind::Socks5, "::1", 1080)
        );
        let p = proxy_url("ALL_PROXY", "10.0.0.1").unwrap();
        assert_eq!((p.kind, p.port_or_default()), (ProxyKind::Http, 80));
        let e = proxy_url("ALL_PROXY", "ftp://x").unwrap_err();
        assert_eq!(e.code, code::FIREWALL);
        assert!(e.message.contains("ftp"), "{e}");
        assert!(proxy_url("ALL_PROXY", "http://h:port").is_err());
    }

    #[test]
    fn ca_directories_hold_certificates_and_hash_links() {
        for (name, yes) in [
            ("ca.pem", true),
            ("a1b2c3d4.0", true),
            ("A1B2C3D4.12", true),
            ("README", false),
            ("a1b2c3d4.r0", false),
            ("key.key", false),
        ] {
            assert_eq!(looks_like_certificate(Path::new(name)), yes, "{name}");
        }
    }
}
