//! SOCKS4, SOCKS4A and SOCKS5 (RFC 1928, with RFC 1929 username/password) CONNECT, client
//! side. Each is a fixed exchange of a few messages, so it is written out directly.
//!
//! Names: SOCKS4 carries only IPv4 addresses, so the name is resolved here. SOCKS4A and
//! SOCKS5 can carry the name; SOCKS4A always sends names (that is what it is for), SOCKS5 sends
//! it when the application put `*` before the host, and otherwise resolves it here.

use super::options::{IpFamily, ProxyKind, ProxyOptions, Target};
use crate::error::{code, Error, Result};
use std::net::IpAddr;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Error 118 with the proxy named.
pub(crate) fn proxy_error(ctx: &str, what: impl std::fmt::Display) -> Error {
    Error::new(code::FIREWALL, format!("{ctx}: {what}"))
}

fn context(proxy: &ProxyOptions) -> String {
    format!(
        "{} {}:{}",
        proxy.kind.name(),
        proxy.host,
        proxy.port_or_default()
    )
}

async fn send<S: AsyncWrite + Unpin>(io: &mut S, ctx: &str, bytes: &[u8]) -> Result<()> {
    io.write_all(bytes)
        .await
        .map_err(|e| proxy_error(ctx, format!("sending to the proxy failed: {e}")))?;
    io.flush()
        .await
        .map_err(|e| proxy_error(ctx, format!("sending to the proxy failed: {e}")))
}

async fn recv<S: AsyncRead + Unpin>(
    io: &mut S,
    ctx: &str,
    buf: &mut [u8],
    step: &str,
) -> Result<()> {
    match io.read_exact(buf).await {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(proxy_error(
            ctx,
            format!("it closed the connection instead of answering the {step}"),
        )),
        Err(e) => Err(proxy_error(
            ctx,
            format!("reading its answer to the {step} failed: {e}"),
        )),
    }
}

/// One IP address for `target`, resolved here, of a family the proxy kind can carry.
async fn resolve_here(
    target: &Target,
    family: IpFamily,
    v4_only: bool,
    ctx: &str,
) -> Result<IpAddr> {
    let addrs = super::tcp::resolve(&target.host, target.port, family).await?;
    let pick = if v4_only {
        addrs.iter().find(|a| a.is_ipv4())
    } else {
        addrs.first()
    };
    match pick {
        Some(a) => Ok(a.ip()),
        None => Err(proxy_error(
            ctx,
            format!(
                "SOCKS4 reaches IPv4 addresses only, and \"{}\" has none ({}); use SOCKS4A or SOCKS5",
                target.host,
                addrs.iter().map(|a| a.ip().to_string()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// Run the SOCKS exchange for `proxy.kind` on `io`, a connection to the proxy.
pub(crate) async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    target: &Target,
    proxy: &ProxyOptions,
    family: IpFamily,
) -> Result<()> {
    let ctx = context(proxy);
    match proxy.kind {
        ProxyKind::Socks4 | ProxyKind::Socks4a => socks4(io, target, proxy, family, &ctx).await,
        ProxyKind::Socks5 => socks5(io, target, proxy, family, &ctx).await,
        ProxyKind::Http => unreachable_kind(&ctx),
    }
}

fn unreachable_kind(ctx: &str) -> Result<()> {
    Err(proxy_error(ctx, "not a SOCKS proxy"))
}

async fn socks4<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    target: &Target,
    proxy: &ProxyOptions,
    family: IpFamily,
    ctx: &str,
) -> Result<()> {
    if proxy.user.contains('\0') {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            "FirewallUser contains a NUL character, which SOCKS4 cannot carry",
        ));
    }
    let literal = target.host.parse::<IpAddr>().ok();
    let mut req = vec![4u8, 1];
    req.extend_from_slice(&target.port.to_be_bytes());
    let name = match (proxy.kind, literal) {
        (_, Some(IpAddr::V4(ip))) => {
            req.extend_from_slice(&ip.octets());
            None
        }
        (_, Some(IpAddr::V6(_))) => {
            return Err(proxy_error(
                ctx,
                format!("SOCKS4 cannot reach the IPv6 address {}; use SOCKS5", target.host),
            ))
        }
        (ProxyKind::Socks4a, None) => {
            if target.host.len() > 255 || target.host.contains('\0') {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    format!("the host name \"{}\" cannot be sent to a SOCKS4A proxy (longer than 255 bytes or contains NUL)", target.host.escape_debug()),
                ));
            }
            // 0.0.0.x with x != 0 tells the proxy a name follows the user id.
            req.extend_from_slice(&[0, 0, 0, 1]);
            Some(target.host.as_str())
        }
        (_, None) if target.resolve_remotely => {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!("RemoteHost \"*{}\" asks the proxy to resolve the name, which SOCKS4 cannot do; use SOCKS4A (FirewallType 10) or SOCKS5", target.host),
            ))
        }
        (_, None) => match resolve_here(target, family, true, ctx).await? {
            IpAddr::V4(ip) => {
                req.extend_from_slice(&ip.octets());
                None
            }
            IpAddr::V6(_) => return unreachable_kind(ctx),
        },
    };
    req.extend_from_slice(proxy.user.as_bytes());
    req.push(0);
    if let Some(name) = name {
        req.extend_from_slice(name.as_bytes());
        req.push(0);
    }
    send(io, ctx, &req).await?;
    let mut reply = [0u8; 8];
    recv(io, ctx, &mut reply, "SOCKS4 CONNECT request").await?;
    let dest = format!("{}:{}", target.host_for_url(), target.port);
    if reply[0] != 0 && reply[0] != 4 {
        return Err(proxy_error(
            ctx,
            format!(
                "its answer to CONNECT {dest} is not SOCKS4 (first byte {:#04x})",
                reply[0]
            ),
        ));
    }
    match reply[1] {
        90 => Ok(()),
        91 => Err(proxy_error(
            ctx,
            format!("it rejected CONNECT {dest} or could not reach it (reply 91)"),
        )),
        92 => Err(proxy_error(
            ctx,
            format!(
                "it refused CONNECT {dest}: it could not reach an identd on this host (reply 92)"
            ),
        )),
        93 => Err(proxy_error(
            ctx,
            format!(
                "it refused CONNECT {dest}: identd did not confirm the user id \"{}\" (reply 93)",
                proxy.user
            ),
        )),
        other => Err(proxy_error(
            ctx,
            format!("it answered CONNECT {dest} with the unknown code {other}"),
        )),
    }
}

async fn socks5<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    target: &Target,
    proxy: &ProxyOptions,
    family: IpFamily,
    ctx: &str,
) -> Result<()> {
    let with_auth = !proxy.user.is_empty() || !proxy.password.is_empty();
    if with_auth && (proxy.user.len() > 255 || proxy.password.len() > 255) {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            format!(
                "SOCKS5 user names and passwords are at most 255 bytes; FirewallUser has {} and FirewallPassword {}",
                proxy.user.len(),
                proxy.password.len()
            ),
        ));
    }
    // Work out the address first: a resolution failure should not cost a proxy round trip.
    let dest_addr = match target.host.parse::<IpAddr>() {
        Ok(ip) => Dest::Ip(ip),
        Err(_) if target.resolve_remotely => {
            if target.host.len() > 255 {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    format!(
                        "the host name \"{}\" is longer than the 255 bytes SOCKS5 can carry",
                        target.host
                    ),
                ));
            }
            Dest::Name(&target.host)
        }
        Err(_) => Dest::Ip(resolve_here(target, family, false, ctx).await?),
    };

    let greeting: &[u8] = if with_auth { &[5, 2, 0, 2] } else { &[5, 1, 0] };
    send(io, ctx, greeting).await?;
    let mut choice = [0u8; 2];
    recv(io, ctx, &mut choice, "SOCKS5 greeting").await?;
    if choice[0] != 5 {
        return Err(proxy_error(
            ctx,
            format!(
                "its answer to the greeting is not SOCKS5 (version byte {:#04x})",
                choice[0]
            ),
        ));
    }
    match choice[1] {
        0 => {}
        2 if with_auth => {
            let mut auth = vec![1u8, proxy.user.len() as u8];
            auth.extend_from_slice(proxy.user.as_bytes());
            auth.push(proxy.password.len() as u8);
            auth.extend_from_slice(proxy.password.as_bytes());
            send(io, ctx, &auth).await?;
            let mut status = [0u8; 2];
            recv(io, ctx, &mut status, "SOCKS5 username/password").await?;
            if status[1] != 0 {
                return Err(proxy_error(
                    ctx,
                    format!(
                        "it refused the user name \"{}\" and its password (status {})",
                        proxy.user, status[1]
                    ),
                ));
            }
        }
        0xFF | 2 => {
            return Err(proxy_error(
                ctx,
                if with_auth {
                    "it accepts neither no authentication nor username/password".to_string()
                } else {
                    "it requires authentication: set FirewallUser and FirewallPassword".to_string()
                },
            ))
        }
        m => {
            return Err(proxy_error(
                ctx,
                format!("it chose authentication method {m}, which was not offered"),
            ))
        }
    }

    let mut req = vec![5u8, 1, 0];
    match dest_addr {
        Dest::Ip(IpAddr::V4(ip)) => {
            req.push(1);
            req.extend_from_slice(&ip.octets());
        }
        Dest::Ip(IpAddr::V6(ip)) => {
            req.push(4);
            req.extend_from_slice(&ip.octets());
        }
        Dest::Name(name) => {
            req.push(3);
            req.push(name.len() as u8);
            req.extend_from_slice(name.as_bytes());
        }
    }
    req.extend_from_slice(&target.port.to_be_bytes());
    send(io, ctx, &req).await?;
    let mut head = [0u8; 4];
    recv(io, ctx, &mut head, "SOCKS5 CONNECT request").await?;
    let dest = format!("{}:{}", target.host_for_url(), target.port);
    if head[0] != 5 {
        return Err(proxy_error(
            ctx,
            format!(
                "its answer to CONNECT {dest} is not SOCKS5 (version byte {:#04x})",
                head[0]
            ),
        ));
    }
    if head[1] != 0 {
        let why = match head[1] {
            1 => "general failure",
            2 => "not allowed by its rules",
            3 => "network unreachable",
            4 => "host unreachable",
            5 => "connection refused",
            6 => "TTL expired",
            7 => "command not supported",
            8 => "address type not supported",
            _ => "unknown reply code",
        };
        return Err(proxy_error(
            ctx,
            format!("it could not connect to {dest}: {why} (reply {})", head[1]),
        ));
    }
    // The bound address: skip it, its length depends on its type.
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        3 => {
            let mut len = [0u8; 1];
            recv(io, ctx, &mut len, "SOCKS5 CONNECT request").await?;
            len[0] as usize + 2
        }
        t => {
            return Err(proxy_error(
                ctx,
                format!("its answer to CONNECT {dest} has the unknown address type {t}"),
            ))
        }
    };
    let mut skip = [0u8; 258];
    recv(io, ctx, &mut skip[..rest], "SOCKS5 CONNECT request").await?;
    Ok(())
}

enum Dest<'a> {
    Ip(IpAddr),
    Name(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the client against a scripted answer and returns (what it sent, result).
    async fn run(
        kind: ProxyKind,
        target: Target,
        user: &str,
        answer: &'static [u8],
    ) -> (Vec<u8>, Result<()>) {
        let (mut a, mut b) = tokio::io::duplex(64 * 1024);
        let mut p = ProxyOptions::new(kind, "proxy", 1080);
        p.user = user.into();
        p.password = if user.is_empty() {
            String::new()
        } else {
            "pw".into()
        };
        let server = tokio::spawn(async move {
            b.write_all(answer).await.unwrap();
            // End of the answer: a client waiting for more sees the proxy close.
            b.shutdown().await.unwrap();
            let mut got = Vec::new();
            let _ = b.read_to_end(&mut got).await;
            got
        });
        let r = connect(&mut a, &target, &p, IpFamily::Any).await;
        drop(a);
        (server.await.unwrap(), r)
    }

    #[tokio::test]
    async fn socks4a_sends_the_name() {
        let (sent, r) = run(
            ProxyKind::Socks4a,
            Target::new("broker.example", 1883),
            "me",
            &[0, 90, 0, 0, 0, 0, 0, 0],
        )
        .await;
        r.unwrap();
        assert_eq!(
            sent,
            b"\x04\x01\x07\x5b\x00\x00\x00\x01me\x00broker.example\x00"
        );
    }

    #[tokio::test]
    async fn socks4_refusals() {
        let (_, r) = run(
            ProxyKind::Socks4,
            Target::new("127.0.0.1", 1),
            "",
            &[0, 91, 0, 0, 0, 0, 0, 0],
        )
        .await;
        let e = r.unwrap_err();
        assert_eq!(e.code, code::FIREWALL);
        assert!(e.message.contains("91"), "{e}");
        let mut t = Target::new("broker.example", 1);
        t.resolve_remotely = true;
        let (_, r) = run(ProxyKind::Socks4, t, "", b"").await;
        assert_eq!(r.unwrap_err().code, code::INVALID_ARGUMENT);
        let (_, r) = run(ProxyKind::Socks4, Target::new("127.0.0.1", 1), "", &[0, 90]).await;
        assert!(r.unwrap_err().message.contains("closed"));
    }

    #[tokio::test]
    async fn socks5_with_auth_and_name() {
        let mut t = Target::new("broker.example", 1883);
        t.resolve_remotely = true;
        let (sent, r) = run(
            ProxyKind::Socks5,
            t,
            "u",
            &[5, 2, 1, 0, 5, 0, 0, 3, 4, b'a', b'b', b'c', b'd', 0, 1],
        )
        .await;
        r.unwrap();
        let mut want = vec![5, 2, 0, 2, 1, 1, b'u', 2, b'p', b'w', 5, 1, 0, 3, 14];
        want.extend_from_slice(b"broker.example");
        want.extend_from_slice(&[0x07, 0x5b]);
        assert_eq!(sent, want);
    }

    #[tokio::test]
    async fn socks5_refusals() {
        let (_, r) = run(ProxyKind::Socks5, Target::new("::1", 1), "", &[5, 0xFF]).await;
        assert!(r.unwrap_err().message.contains("requires authentication"));
        let (_, r) = run(ProxyKind::Socks5, Target::new("::1", 1), "u", &[5, 2, 1, 1]).await;
        assert!(r
            .unwrap_err()
            .message
            .contains("refused the user name \"u\""));
        let (_, r) = run(
            ProxyKind::Socks5,
            Target::new("::1", 1),
            "",
            &[5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0],
        )
        .await;
        let e = r.unwrap_err();
        assert!(e.message.contains("connection refused (reply 5)"), "{e}");
        let (_, r) = run(
            ProxyKind::Socks5,
            Target::new("::1", 1),
            "",
            &[5, 0, 5, 0, 0, 9],
        )
        .await;
        assert!(r.unwrap_err().message.contains("unknown address type 9"));
    }
}
