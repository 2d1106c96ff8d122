//! MQTT over WebSocket: the HTTP upgrade with the `mqtt` subprotocol (tokio-tungstenite, over
//! whatever stream is below: TCP, a proxy tunnel, or our TLS for wss), then an adapter that
//! shows the binary messages as one byte stream.
//!
//! MQTT does not align packets with WebSocket messages: a message may hold several packets or
//! part of one, so the adapter only concatenates payloads. Each write becomes one binary
//! message. Pings are answered by tungstenite as it reads; a Close from the server ends the
//! stream like a TCP end of file. A text message is a protocol error: MQTT is binary.
//!
//! Errors: a refused upgrade or a broken frame is 4003, a failed write 4001, a failed Close
//! 4002.

use super::options::{Target, WsOptions};
use super::BoxStream;
use crate::error::{code, Error, Result};
use bytes::Bytes;
use futures_util::{Sink, Stream as _};
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, SubProtocolError};
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

/// The largest binary message we send (64 KiB, a common frame limit of WebSocket servers).
const MAX_MESSAGE: usize = 64 * 1024;

/// The URL of the upgrade request, as the server will see it.
pub(crate) fn url(target: &Target) -> String {
    let (scheme, path) = match &target.websocket {
        Some(ws) => (if ws.secure { "wss" } else { "ws" }, ws.path.as_str()),
        None => ("ws", "/"),
    };
    format!("{scheme}://{}:{}{path}", target.host_for_url(), target.port)
}

/// Upgrade `io` to a WebSocket carrying MQTT.
pub(crate) async fn connect(io: BoxStream, target: &Target, opts: &WsOptions) -> Result<WsIo> {
    let url = url(target);
    let mut req = url.as_str().into_client_request().map_err(|e| {
        Error::new(
            code::INVALID_ARGUMENT,
            format!("\"{url}\" is not a usable WebSocket URL: {e}"),
        )
    })?;
    let headers = req.headers_mut();
    if !opts.subprotocol.is_empty() {
        let v = HeaderValue::from_str(&opts.subprotocol).map_err(|_| {
            Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "the WebSocket subprotocol \"{}\" is not a valid header value",
                    opts.subprotocol.escape_debug()
                ),
            )
        })?;
        headers.insert("Sec-WebSocket-Protocol", v);
    }
    for (name, value) in &opts.headers {
        let n = HeaderName::from_bytes(name.as_bytes());
        let v = HeaderValue::from_str(value);
        match (n, v) {
            (Ok(n), Ok(v)) => {
                headers.append(n, v);
            }
            _ => {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    format!(
                        "the WebSocket header \"{}: {}\" is not a valid HTTP header",
                        name.escape_debug(),
                        value.escape_debug()
                    ),
                ))
            }
        }
    }
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(opts.max_message_size);
    config.max_frame_size = Some(opts.max_message_size);
    // The driver already coalesces packets; each write should leave at once.
    config.write_buffer_size = 0;
    let (ws, _response) = tokio_tungstenite::client_async_with_config(req, io, Some(config))
        .await
        .map_err(|e| upgrade_error(e, &url, &opts.subprotocol))?;
    Ok(WsIo {
        ws,
        rbuf: Bytes::new(),
        eof: false,
        needs_flush: false,
    })
}

fn upgrade_error(e: WsError, url: &str, subprotocol: &str) -> Error {
    match e {
        WsError::Http(resp) => {
            let status = resp.status();
            let body = resp
                .body()
                .as_deref()
                .map(body_text)
                .filter(|b| !b.is_empty())
                .map(|b| format!(": \"{}\"", b.escape_debug()))
                .unwrap_or_default();
            Error::new(
                code::WS_PROTOCOL,
                format!(
                    "the server refused the WebSocket upgrade for {url} with HTTP {} {}{body}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ),
            )
        }
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(sp)) => {
            let why = match sp {
                SubProtocolError::NoSubProtocol => "answered without choosing one",
                SubProtocolError::InvalidSubProtocol => "chose another one",
                SubProtocolError::ServerSentSubProtocolNoneRequested => {
                    "chose one although none was offered"
                }
            };
            Error::new(
                code::WS_PROTOCOL,
                format!("the WebSocket server at {url} did not accept the subprotocol \"{subprotocol}\": it {why}"),
            )
        }
        WsError::Io(io) => {
            if let Some(inner) = io.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
                return inner.clone();
            }
            match io.kind() {
                // Whatever answered did not speak HTTP: most likely not a WebSocket port.
                io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted => Error::new(
                    code::WS_PROTOCOL,
                    format!("the server closed the connection during the WebSocket upgrade for {url} ({io}) — is it a WebSocket port?"),
                ),
                _ => Error::from_io(&io, &format!("the WebSocket upgrade for {url} failed")),
            }
        }
        other => Error::new(
            code::WS_PROTOCOL,
            format!("the WebSocket upgrade for {url} failed: {other}"),
        ),
    }
}

/// The start of an error page as one line of text: tags dropped, spaces collapsed.
fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let mut out = String::new();
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut line = words.join(" ");
    if line.len() > 200 {
        let mut cut = 200;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        line.truncate(cut);
        line.push_str("...");
    }
    line
}

/// A WebSocket as a byte stream.
pub struct WsIo {
    ws: WebSocketStream<BoxStream>,
    /// The unread rest of the last binary message.
    rbuf: Bytes,
    eof: bool,
    needs_flush: bool,
}

fn io_err(kind: io::ErrorKind, code: i32, message: String) -> io::Error {
    io::Error::new(kind, Error::new(code, message))
}

/// A tungstenite error while reading or writing, as an io::Error carrying our error.
fn stream_err(e: WsError, code: i32, when: &str) -> io::Error {
    match e {
        // Errors of the stream below (TCP, TLS) keep their own kind and code.
        WsError::Io(io) => io,
        WsError::Capacity(c) => io_err(
            io::ErrorKind::InvalidData,
            code::WS_PROTOCOL,
            format!("WebSocket {when}: {c}"),
        ),
        other => io_err(
            io::ErrorKind::InvalidData,
            code,
            format!("WebSocket {when}: {other}"),
        ),
    }
}

impl AsyncRead for WsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.needs_flush {
            if let Poll::Ready(Ok(())) = Pin::new(&mut this.ws).poll_flush(cx) {
                this.needs_flush = false;
            }
        }
        loop {
            if !this.rbuf.is_empty() {
                let n = this.rbuf.len().min(buf.remaining());
                buf.put_slice(&this.rbuf.split_to(n));
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut this.ws).poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => this.rbuf = data,
                Some(Ok(Message::Text(t))) => {
                    return Poll::Ready(Err(io_err(
                        io::ErrorKind::InvalidData,
                        code::WS_PROTOCOL,
                        format!("the server sent a WebSocket text message ({} bytes); MQTT uses binary messages only", t.len()),
                    )))
                }
                // tungstenite queues the Pong itself; it goes out with the next flush.
                Some(Ok(Message::Ping(_))) => this.needs_flush = true,
                Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | None => this.eof = true,
                Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => this.eof = true,
                // The server closed TCP without a Close message (aedes does after
                // DISCONNECT): for MQTT that is the end of the stream, as on plain TCP.
                Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                    this.eof = true
                }
                Some(Err(e)) => return Poll::Ready(Err(stream_err(e, code::WS_PROTOCOL, "read failed"))),
            }
        }
    }
}

impl AsyncWrite for WsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(Pin::new(&mut this.ws).poll_ready(cx))
            .map_err(|e| stream_err(e, code::WS_TRANSMIT, "write failed"))?;
        // One message per write, at most MAX_MESSAGE bytes: some servers refuse large frames,
        // and the caller writes the rest next.
        let buf = &buf[..buf.len().min(MAX_MESSAGE)];
        Pin::new(&mut this.ws)
            .start_send(Message::Binary(Bytes::copy_from_slice(buf)))
            .map_err(|e| stream_err(e, code::WS_TRANSMIT, "write failed"))?;
        this.needs_flush = true;
        match Pin::new(&mut this.ws).poll_flush(cx) {
            Poll::Ready(Ok(())) => this.needs_flush = false,
            Poll::Ready(Err(e)) => {
                return Poll::Ready(Err(stream_err(e, code::WS_TRANSMIT, "write failed")))
            }
            Poll::Pending => {}
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(Pin::new(&mut self.ws).poll_flush(cx))
            .map_err(|e| stream_err(e, code::WS_TRANSMIT, "write failed"))?;
        self.needs_flush = false;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(Pin::new(&mut self.ws).poll_close(cx)) {
            Ok(()) | Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => Poll::Ready(Ok(())),
            Err(e) => Poll::Ready(Err(stream_err(e, code::WS_CLOSE, "sending Close failed"))),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The adapter against a scripted WebSocket peer: pings, a text message (which MQTT
    //! forbids) and Close. Real servers are in core/tests/it/transport_ws.rs.
    use super::*;
    use futures_util::{SinkExt, StreamExt};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

    async fn pair() -> (WsIo, WebSocketStream<tokio::io::DuplexStream>) {
        let (a, b) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move {
            // Echo the offered subprotocol back, as a WebSocket MQTT server does.
            #[allow(clippy::result_large_err)] // the callback's type is tungstenite's
            fn choose(
                req: &Request,
                mut resp: Response,
            ) -> std::result::Result<Response, ErrorResponse> {
                if let Some(p) = req.headers().get("Sec-WebSocket-Protocol").cloned() {
                    resp.headers_mut().insert("Sec-WebSocket-Protocol", p);
                }
                Ok(resp)
            }
            tokio_tungstenite::accept_hdr_async(b, choose)
                .await
                .unwrap()
        });
        let target = Target::parse("ws://example.invalid/mqtt", 80).unwrap();
        let client = connect(Box::new(a), &target, &WsOptions::default())
            .await
            .unwrap();
        (client, server.await.unwrap())
    }

    #[tokio::test]
    async fn bytes_pings_and_close() {
        let (mut c, mut s) = pair().await;
        c.write_all(b"\x10\x02").await.unwrap();
        assert_eq!(
            s.next().await.unwrap().unwrap(),
            Message::Binary(Bytes::from_static(b"\x10\x02"))
        );
        s.send(Message::Ping(Bytes::from_static(b"p")))
            .await
            .unwrap();
        s.send(Message::Binary(Bytes::from_static(b"abc")))
            .await
            .unwrap();
        let mut buf = [0u8; 2];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ab");
        // The pong went out while we read.
        assert_eq!(
            s.next().await.unwrap().unwrap(),
            Message::Pong(Bytes::from_static(b"p"))
        );
        // A large write goes out in messages of at most 64 KiB (read while writing: the
        // pipe between the two holds less than the whole).
        let big = vec![1u8; 150_000];
        let reading = async {
            let mut sizes = Vec::new();
            while sizes.iter().sum::<usize>() < big.len() {
                match s.next().await.unwrap().unwrap() {
                    Message::Binary(b) => sizes.push(b.len()),
                    other => panic!("expected binary, got {other:?}"),
                }
            }
            sizes
        };
        let (written, sizes) = tokio::join!(
            async { c.write_all(&big).await.and(c.flush().await) },
            reading
        );
        written.unwrap();
        assert_eq!(sizes, vec![65_536, 65_536, 150_000 - 131_072]);
        s.send(Message::Close(None)).await.unwrap();
        let mut rest = Vec::new();
        c.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"c");
    }

    #[tokio::test]
    async fn text_is_a_protocol_error() {
        let (mut c, mut s) = pair().await;
        s.send(Message::text("hello")).await.unwrap();
        let mut buf = [0u8; 8];
        let e = c.read(&mut buf).await.unwrap_err();
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<Error>()).unwrap();
        assert_eq!(inner.code, code::WS_PROTOCOL);
        assert!(inner.message.contains("text message"), "{inner}");
    }

    #[test]
    fn error_pages_read_as_one_line() {
        assert_eq!(
            body_text(b"<html><p>Error code: 400</p>\n<p>Bad</p></html>"),
            "Error code: 400 Bad"
        );
        assert_eq!(body_text("é".repeat(300).as_bytes()).chars().count(), 103);
    }
}
