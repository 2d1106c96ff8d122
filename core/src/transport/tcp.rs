//! TCP connect with name resolution, an optional local address to bind, options, and errors
//! mapped to the documented codes.

use crate::error::{code, Error, Result};
use std::net::{IpAddr, SocketAddr};
use tokio::net::{lookup_host, TcpSocket, TcpStream};

#[derive(Clone, Debug)]
pub struct TcpOptions {
    /// On by default: MQTT packets are small and latency matters more than segment count.
    pub nodelay: bool,
    /// LocalHost: the interface to connect from ("" lets the system choose).
    pub local_host: String,
    /// LocalPort: the port to bind (0 lets the system choose).
    pub local_port: u16,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            nodelay: true,
            local_host: String::new(),
            local_port: 0,
        }
    }
}

/// The local address to bind for a connection to `target`, if the application asked for one.
async fn local_addr(opts: &TcpOptions, target: &SocketAddr) -> Result<Option<SocketAddr>> {
    if opts.local_host.is_empty() && opts.local_port == 0 {
        return Ok(None);
    }
    let ip = if opts.local_host.is_empty() {
        match target {
            SocketAddr::V4(_) => IpAddr::from([0, 0, 0, 0]),
            SocketAddr::V6(_) => IpAddr::from([0u16; 8]),
        }
    } else if let Ok(ip) = opts.local_host.parse::<IpAddr>() {
        ip
    } else {
        // A name: take its first address of the target's family.
        let found = lookup_host((opts.local_host.as_str(), 0))
            .await
            .map_err(|e| {
                Error::new(
                    code::HOST_NOT_FOUND,
                    format!("cannot resolve LocalHost \"{}\": {e}", opts.local_host),
                )
            })?
            .find(|a| a.is_ipv4() == target.is_ipv4());
        match found {
            Some(a) => a.ip(),
            None => {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    format!(
                        "LocalHost \"{}\" has no address of the family of {target}",
                        opts.local_host
                    ),
                ))
            }
        }
    };
    Ok(Some(SocketAddr::new(ip, opts.local_port)))
}

async fn connect_one(addr: SocketAddr, opts: &TcpOptions) -> Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| Error::from_io(&e, "cannot create a TCP socket"))?;
    if let Some(local) = local_addr(opts, &addr).await? {
        if local.port() != 0 {
            // A fixed local port is usually wanted again right after a disconnect.
            let _ = socket.set_reuseaddr(true);
        }
        socket
            .bind(local)
            .map_err(|e| Error::from_io(&e, &format!("cannot bind to local address {local}")))?;
    }
    let stream = socket
        .connect(addr)
        .await
        .map_err(|e| Error::from_io(&e, &format!("cannot connect to {addr}")))?;
    stream
        .set_nodelay(opts.nodelay)
        .map_err(|e| Error::from_io(&e, &format!("cannot set TCP_NODELAY on {addr}")))?;
    Ok(stream)
}

/// Resolve `host` and try each address in turn; the error of the last attempt is kept.
pub async fn connect_tcp(host: &str, port: u16, opts: &TcpOptions) -> Result<TcpStream> {
    let addrs: Vec<_> = lookup_host((host, port))
        .await
        .map_err(|e| {
            Error::new(
                code::HOST_NOT_FOUND,
                format!("cannot resolve host \"{host}\": {e}"),
            )
        })?
        .collect();
    if addrs.is_empty() {
        return Err(Error::new(
            code::HOST_NOT_FOUND,
            format!("host \"{host}\" has no address"),
        ));
    }
    let mut last = None;
    for addr in addrs {
        match connect_one(addr, opts).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::new(code::HOST_NOT_FOUND, format!("no address for {host}"))))
}
