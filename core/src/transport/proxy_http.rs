//! HTTP CONNECT tunnels (the class's fwTunnel): ask the proxy to open a TCP connection to the
//! target, then use the socket as if it went there directly.
//!
//! The response is read one byte at a time up to the blank line, so not a byte of what
//! follows it (the tunnel's first bytes) is consumed. It is a handful of small reads, once per
//! connection.

use super::options::{ProxyOptions, Target};
use super::proxy_socks::proxy_error;
use crate::error::{code, Error, Result};
use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Longest response header we accept from a proxy.
const MAX_RESPONSE: usize = 16 * 1024;

/// The CONNECT request for `target`, with Basic auth when a user is set and the
/// FirewallData lines.
pub(crate) fn request(target: &Target, proxy: &ProxyOptions) -> Result<Vec<u8>> {
    let authority = format!("{}:{}", target.host_for_url(), target.port);
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if !proxy.user.is_empty() {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", proxy.user, proxy.password));
        req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    for line in proxy.extra_headers.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        // A header line must be "Name: value"; anything else would corrupt the request.
        let ok = line.split_once(':').is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic())
        });
        if !ok || line.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "FirewallData line \"{}\" is not an HTTP header of the form \"Name: value\"",
                    line.escape_debug()
                ),
            ));
        }
        req.push_str(line);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    Ok(req.into_bytes())
}

/// Run the CONNECT exchange on `io`, a connection to the proxy.
pub(crate) async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut S,
    target: &Target,
    proxy: &ProxyOptions,
) -> Result<()> {
    let req = request(target, proxy)?;
    let ctx = format!(
        "{} {}:{}",
        proxy.kind.name(),
        proxy.host,
        proxy.port_or_default()
    );
    let dest = format!("{}:{}", target.host_for_url(), target.port);
    io.write_all(&req)
        .await
        .map_err(|e| proxy_error(&ctx, format!("cannot send CONNECT {dest}: {e}")))?;
    io.flush()
        .await
        .map_err(|e| proxy_error(&ctx, format!("cannot send CONNECT {dest}: {e}")))?;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        if head.len() >= MAX_RESPONSE {
            return Err(proxy_error(
                &ctx,
                format!(
                    "its answer to CONNECT {dest} has a header longer than {MAX_RESPONSE} bytes"
                ),
            ));
        }
        match io.read(&mut byte).await {
            Ok(0) => {
                return Err(proxy_error(
                    &ctx,
                    if head.is_empty() {
                        format!("it closed the connection without answering CONNECT {dest}")
                    } else {
                        format!(
                            "it closed the connection in the middle of its answer to CONNECT {dest}: \"{}\"",
                            String::from_utf8_lossy(&head).escape_debug()
                        )
                    },
                ))
            }
            Ok(_) => head.push(byte[0]),
            Err(e) => {
                return Err(proxy_error(
                    &ctx,
                    format!("reading its answer to CONNECT {dest} failed: {e}"),
                ))
            }
        }
    }
    let text = String::from_utf8_lossy(&head);
    let status_line = text.lines().next().unwrap_or("").trim();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status = parts.next().and_then(|s| s.parse::<u16>().ok());
    let Some(status) = status.filter(|_| version.starts_with("HTTP/")) else {
        return Err(proxy_error(
            &ctx,
            format!(
                "its answer to CONNECT {dest} is not HTTP: \"{}\"",
                status_line.escape_debug()
            ),
        ));
    };
    if (200..300).contains(&status) {
        return Ok(());
    }
    let hint = match status {
        407 if proxy.user.is_empty() => {
            " (the proxy wants credentials: set FirewallUser and FirewallPassword)"
        }
        407 | 401 => " (the proxy did not accept the user name and password)",
        _ => "",
    };
    Err(proxy_error(
        &ctx,
        format!("it refused CONNECT {dest}: {status_line}{hint}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::options::ProxyKind;

    #[test]
    fn request_text() {
        let mut p = ProxyOptions::new(ProxyKind::Http, "proxy", 3128);
        p.user = "u".into();
        p.password = "p:w".into();
        p.extra_headers = "X-One: 1\r\n\nX-Two: two\n".into();
        let r = request(&Target::new("::1", 1883), &p).unwrap();
        assert_eq!(
            String::from_utf8(r).unwrap(),
            "CONNECT [::1]:1883 HTTP/1.1\r\nHost: [::1]:1883\r\nProxy-Authorization: Basic dTpwOnc=\r\nX-One: 1\r\nX-Two: two\r\n\r\n"
        );
        p.extra_headers = "no colon".into();
        assert_eq!(
            request(&Target::new("h", 1), &p).unwrap_err().code,
            code::INVALID_ARGUMENT
        );
    }

    #[tokio::test]
    async fn answers() {
        async fn run(answer: &'static [u8]) -> Result<Vec<u8>> {
            let (mut a, mut b) = tokio::io::duplex(64 * 1024);
            let p = ProxyOptions::new(ProxyKind::Http, "proxy", 3128);
            let server = tokio::spawn(async move {
                let mut buf = vec![0u8; 1024];
                let _ = b.read(&mut buf).await;
                b.write_all(answer).await.unwrap();
            });
            connect(&mut a, &Target::new("h", 1), &p).await?;
            server.await.unwrap();
            let mut rest = Vec::new();
            let _ = a.read_buf(&mut rest).await;
            Ok(rest)
        }
        assert_eq!(
            run(b"HTTP/1.1 200 Connection established\r\n\r\n\x20\x02")
                .await
                .unwrap(),
            b"\x20\x02"
        );
        let e = run(b"HTTP/1.0 407 Proxy Authentication Required\r\n\r\n")
            .await
            .unwrap_err();
        assert_eq!(e.code, code::FIREWALL);
        assert!(
            e.message.contains("407 Proxy Authentication Required"),
            "{e}"
        );
        let e = run(b"SSH-2.0-x\r\n\r\n").await.unwrap_err();
        assert!(e.message.contains("not HTTP"), "{e}");
        let e = run(b"HTTP/1.1 200").await.unwrap_err();
        assert!(e.message.contains("closed"), "{e}");
    }
}
