//! TCP connect with name resolution, an optional local address to bind, socket options, and
//! errors mapped to the documented codes.

use super::options::{IpFamily, KeepAlive, Linger, SocketOptions};
use crate::error::{code, Error, Result};
use std::net::{IpAddr, SocketAddr};
use tokio::net::{lookup_host, TcpSocket, TcpStream};

/// How to open the TCP connection: socket options and the local address to bind.
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

/// Applies the options that must be set before connecting (buffer sizes decide the window
/// scale, so they cannot wait) and those that may as well be.
fn configure(socket: &TcpSocket, sock: &SocketOptions) -> std::io::Result<()> {
    if sock.in_buffer_size > 0 {
        socket.set_recv_buffer_size(sock.in_buffer_size)?;
    }
    if sock.out_buffer_size > 0 {
        socket.set_send_buffer_size(sock.out_buffer_size)?;
    }
    let s = socket2::SockRef::from(socket);
    if let Some(KeepAlive { time, interval }) = sock.keep_alive {
        s.set_keepalive(true)?;
        let mut ka = socket2::TcpKeepalive::new();
        if let Some(t) = time {
            ka = ka.with_time(t);
        }
        if let Some(i) = interval {
            ka = ka.with_interval(i);
        }
        if time.is_some() || interval.is_some() {
            s.set_tcp_keepalive(&ka)?;
        }
    }
    match sock.linger {
        Linger::System => {}
        Linger::Seconds(n) => s.set_linger(Some(std::time::Duration::from_secs(n.into())))?,
        Linger::Abort => s.set_linger(Some(std::time::Duration::ZERO))?,
    }
    Ok(())
}

async fn connect_one(
    addr: SocketAddr,
    opts: &TcpOptions,
    sock: &SocketOptions,
) -> Result<TcpStream> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(|e| Error::from_io(&e, "cannot create a TCP socket"))?;
    configure(&socket, sock)
        .map_err(|e| Error::from_io(&e, &format!("cannot set the socket options for {addr}")))?;
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

/// The addresses of `host` that `family` allows, in the order to try them.
pub(crate) async fn resolve(host: &str, port: u16, family: IpFamily) -> Result<Vec<SocketAddr>> {
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => lookup_host((host, port))
            .await
            .map_err(|e| {
                Error::new(
                    code::HOST_NOT_FOUND,
                    format!("cannot resolve host \"{host}\": {e}"),
                )
            })?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(Error::new(
            code::HOST_NOT_FOUND,
            format!("host \"{host}\" has no address"),
        ));
    }
    let (v4, v6): (Vec<_>, Vec<_>) = addrs.iter().partition(|a| a.is_ipv4());
    let chosen = match family {
        IpFamily::Any => addrs.clone(),
        IpFamily::V4Only => v4,
        IpFamily::V6Only => v6,
        IpFamily::V6First => v6.into_iter().chain(v4).collect(),
    };
    if chosen.is_empty() {
        let (want, setting) = match family {
            IpFamily::V4Only => ("IPv4", "UseIPv6 is 0: IPv4 only"),
            _ => ("IPv6", "UseIPv6 is 1: IPv6 only"),
        };
        let found: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
        return Err(Error::new(
            code::HOST_NOT_FOUND,
            format!(
                "host \"{host}\" has no {want} address ({setting}); it has {}",
                found.join(", ")
            ),
        ));
    }
    Ok(chosen)
}

/// Resolve `host` and try each allowed address in turn; the error of the last attempt is
/// kept.
pub async fn connect_socket(
    host: &str,
    port: u16,
    opts: &TcpOptions,
    sock: &SocketOptions,
) -> Result<TcpStream> {
    let mut last = None;
    for addr in resolve(host, port, sock.ip_family).await? {
        match connect_one(addr, opts, sock).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::new(code::HOST_NOT_FOUND, format!("no address for {host}"))))
}

/// Plain TCP with default socket options (what the driver used before `transport::connect`).
pub async fn connect_tcp(host: &str, port: u16, opts: &TcpOptions) -> Result<TcpStream> {
    connect_socket(host, port, opts, &SocketOptions::default()).await
}
