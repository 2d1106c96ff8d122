//! TCP connect with name resolution, options and errors mapped to the documented codes.

use crate::error::{code, Error, Result};
use tokio::net::{lookup_host, TcpStream};

#[derive(Clone, Debug)]
pub struct TcpOptions {
    /// On by default: MQTT packets are small and latency matters more than segment count.
    pub nodelay: bool,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions { nodelay: true }
    }
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
        match TcpStream::connect(addr).await {
            Ok(s) => {
                s.set_nodelay(opts.nodelay).map_err(|e| {
                    Error::from_io(&e, &format!("cannot set TCP_NODELAY on {addr}"))
                })?;
                return Ok(s);
            }
            Err(e) => last = Some(Error::from_io(&e, &format!("cannot connect to {addr}"))),
        }
    }
    Err(last.unwrap_or_else(|| Error::new(code::HOST_NOT_FOUND, format!("no address for {host}"))))
}
