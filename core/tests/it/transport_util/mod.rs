//! What the transport tests share: the servers of tests/harness/transports (read from the
//! environment it writes), an observer that records everything, and a small MQTT exchange
//! written with the codec, so every transport is proven with real packets.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use ferromq::codec::{
    self, ConnAck, Connect, Packet, Properties, Protocol, Publish, QoS, Subscribe, SubscribeFilter,
};
use ferromq::transport::{
    self, milestone, BoxStream, Connected, Decision, ServerAuthentication, Target,
    TransportObserver, TransportOptions,
};
use ferromq::Error;
use parking_lot::Mutex;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{name} is not set. The transport tests need the servers of tests/harness/transports:\n\
             \ttests/harness/transports start /tmp/ferromq-transports && set -a && . /tmp/ferromq-transports/env && set +a\n\
             then run the tests, and `tests/harness/transports stop /tmp/ferromq-transports` afterwards."
        ),
    }
}

fn port(name: &str) -> u16 {
    let v = var(name);
    v.parse()
        .unwrap_or_else(|_| panic!("{name}={v} is not a port number"))
}

/// The servers and files of the harness.
pub struct Env;

impl Env {
    pub fn dir(&self) -> String {
        var("FERROMQ_TRANSPORT_DIR")
    }
    pub fn path(&self, name: &str) -> String {
        var(name)
    }
    pub fn read(&self, name: &str) -> Vec<u8> {
        let p = var(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {name}={p}: {e}"))
    }
    pub fn text(&self, name: &str) -> String {
        String::from_utf8(self.read(name)).unwrap()
    }
    pub fn port(&self, name: &str) -> u16 {
        port(name)
    }
    pub fn var(&self, name: &str) -> String {
        var(name)
    }
}

pub fn env() -> Env {
    // Fail at once, with the instructions, when the harness has not been started.
    var("FERROMQ_TRANSPORT_DIR");
    Env
}

/// Everything the transport reported, in order.
#[derive(Default)]
pub struct Recorder {
    pub events: Mutex<Vec<String>>,
    pub ssl: Mutex<Vec<String>>,
    pub auths: Mutex<Vec<ServerAuthentication>>,
    /// The answer to give to server_authentication; None agrees with the transport.
    pub answer: Mutex<Option<bool>>,
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }
    pub fn answering(answer: bool) -> Recorder {
        let r = Recorder::default();
        *r.answer.lock() = Some(answer);
        r
    }
    pub fn milestones(&self) -> Vec<String> {
        self.events
            .lock()
            .iter()
            .map(|e| e.split(" | ").next().unwrap_or("").to_string())
            .collect()
    }
    pub fn auth(&self) -> ServerAuthentication {
        let a = self.auths.lock();
        assert_eq!(
            a.len(),
            1,
            "expected one SSLServerAuthentication, got {:?}",
            *a
        );
        a[0].clone()
    }
    pub fn ssl_text(&self) -> String {
        self.ssl.lock().join("\n")
    }
}

impl TransportObserver for Recorder {
    fn connection_status(&self, event: &str, code: i32, description: &str) {
        assert_eq!(code, 0);
        self.events.lock().push(format!("{event} | {description}"));
    }
    fn ssl_status(&self, message: &str) {
        self.ssl.lock().push(message.to_string());
    }
    fn server_authentication<'a>(&'a self, auth: &'a ServerAuthentication) -> Decision<'a> {
        self.auths.lock().push(auth.clone());
        let answer = self.answer.lock().unwrap_or(auth.accept);
        Box::pin(async move {
            // Answer later, as a face asking the application on another thread would.
            tokio::task::yield_now().await;
            answer
        })
    }
}

pub const TIMEOUT: Duration = Duration::from_secs(15);

/// transport::connect with a deadline, so a broken server fails the test instead of hanging.
pub async fn connect(
    target: &Target,
    opts: &TransportOptions,
    obs: &dyn TransportObserver,
) -> Result<Connected, Error> {
    match tokio::time::timeout(TIMEOUT, transport::connect(target, opts, obs)).await {
        Ok(r) => r,
        Err(_) => panic!("transport::connect to {target:?} did not finish in {TIMEOUT:?}"),
    }
}

pub fn host(h: &str, port: u16) -> Target {
    Target::new(h, port)
}

pub fn local(port: u16) -> Target {
    Target::new("127.0.0.1", port)
}

/// A topic no other test uses.
pub fn topic(name: &str) -> String {
    format!(
        "ferromq/transport/{name}/{}/{}",
        std::process::id(),
        fastrand::u64(..)
    )
}

/// An MQTT session over a transport stream, packet by packet.
pub struct Mqtt {
    pub stream: BoxStream,
    pub protocol: Protocol,
    rbuf: BytesMut,
}

impl Mqtt {
    pub fn new(stream: BoxStream, protocol: Protocol) -> Mqtt {
        Mqtt {
            stream,
            protocol,
            rbuf: BytesMut::new(),
        }
    }

    pub fn encode(&self, p: &Packet) -> BytesMut {
        let mut out = BytesMut::new();
        codec::encode(p, self.protocol, &mut out).expect("encodes");
        out
    }

    pub async fn send(&mut self, p: &Packet) -> Result<(), Error> {
        let bytes = self.encode(p);
        self.send_raw(&bytes).await
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| transport::stream_error(&e, "write failed"))?;
        self.stream
            .flush()
            .await
            .map_err(|e| transport::stream_error(&e, "flush failed"))
    }

    /// The next packet; Ok(None) at a clean end of the stream.
    pub async fn recv(&mut self) -> Result<Option<Packet>, Error> {
        let fut = async {
            loop {
                match codec::decode(&mut self.rbuf, self.protocol, 1 << 28) {
                    Ok(Some(p)) => return Ok(Some(p)),
                    Ok(None) => {}
                    Err(e) => return Err(Error::new(504, format!("decode: {e}"))),
                }
                let n = self
                    .stream
                    .read_buf(&mut self.rbuf)
                    .await
                    .map_err(|e| transport::stream_error(&e, "read failed"))?;
                if n == 0 {
                    return if self.rbuf.is_empty() {
                        Ok(None)
                    } else {
                        Err(Error::new(1120, "the stream ended inside a packet"))
                    };
                }
            }
        };
        match tokio::time::timeout(TIMEOUT, fut).await {
            Ok(r) => r,
            Err(_) => panic!("no packet within {TIMEOUT:?}"),
        }
    }

    pub fn connect_packet(&self, client_id: &str) -> Packet {
        Packet::Connect(Box::new(Connect {
            protocol: self.protocol,
            clean_start: true,
            keep_alive: 30,
            client_id: client_id.to_string(),
            will: None,
            username: None,
            password: None,
            properties: Properties::default(),
        }))
    }

    /// CONNECT and the CONNACK's answer.
    pub async fn connect(&mut self, client_id: &str) -> Result<ConnAck, Error> {
        let p = self.connect_packet(client_id);
        self.send(&p).await?;
        match self.recv().await? {
            Some(Packet::ConnAck(ack)) => Ok(ack),
            Some(other) => panic!("expected CONNACK, got {other:?}"),
            None => Err(Error::new(
                1120,
                "the server closed the connection instead of answering CONNECT",
            )),
        }
    }

    pub fn subscribe_packet(&self, topic: &str, id: u16) -> Packet {
        Packet::Subscribe(Subscribe {
            packet_id: id,
            filters: vec![SubscribeFilter {
                filter: topic.to_string(),
                qos: QoS::AtLeastOnce,
                no_local: false,
                retain_as_published: false,
                retain_handling: 0,
            }],
            properties: Properties::default(),
        })
    }

    pub fn publish_packet(&self, topic: &str, id: u16, payload: Bytes) -> Packet {
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: topic.into(),
            packet_id: id,
            payload,
            properties: Properties::default(),
        })
    }

    /// SUBSCRIBE, PUBLISH (QoS 1) to ourselves, and check SUBACK, PUBACK and the message.
    pub async fn echo(&mut self, topic: &str, payload: &[u8]) {
        let sub = self.subscribe_packet(topic, 1);
        self.send(&sub).await.unwrap();
        match self.recv().await.unwrap() {
            Some(Packet::SubAck(a)) => assert_eq!(a.codes, vec![1], "SUBACK for {topic}"),
            other => panic!("expected SUBACK, got {other:?}"),
        }
        let publ = self.publish_packet(topic, 2, Bytes::copy_from_slice(payload));
        self.send(&publ).await.unwrap();
        self.expect_puback_and_message(topic, payload).await;
    }

    pub async fn expect_puback_and_message(&mut self, topic: &str, payload: &[u8]) {
        let (mut acked, mut got) = (false, false);
        while !(acked && got) {
            match self.recv().await.unwrap() {
                Some(Packet::PubAck(a)) => {
                    assert_eq!(a.packet_id, 2);
                    acked = true;
                }
                Some(Packet::Publish(p)) => {
                    assert_eq!(&p.topic[..], topic);
                    assert_eq!(&p.payload[..], payload);
                    if p.qos == QoS::AtLeastOnce {
                        let ack = Packet::PubAck(codec::PubResp {
                            packet_id: p.packet_id,
                            reason: 0,
                            properties: Properties::default(),
                        });
                        self.send(&ack).await.unwrap();
                    }
                    got = true;
                }
                other => panic!("expected PUBACK or PUBLISH, got {other:?}"),
            }
        }
    }

    pub async fn disconnect(&mut self) {
        let p = Packet::Disconnect(codec::Disconnect {
            reason: 0,
            properties: Properties::default(),
        });
        self.send(&p).await.unwrap();
        // The server closes after DISCONNECT: the stream must end cleanly.
        assert!(
            self.recv().await.unwrap().is_none(),
            "expected the end of the stream after DISCONNECT"
        );
    }
}

/// Connect, CONNACK 0, subscribe-publish-receive, DISCONNECT: the whole path works.
pub async fn prove(conn: Connected, protocol: Protocol, name: &str) {
    let mut m = Mqtt::new(conn.stream, protocol);
    let ack = m
        .connect(&format!("ferromq-{name}-{}", fastrand::u32(..)))
        .await
        .unwrap();
    assert_eq!(ack.code, 0, "CONNACK refused: {ack:?}");
    let t = topic(name);
    m.echo(&t, format!("hello over {name}").as_bytes()).await;
    m.disconnect().await;
}

/// Both protocol versions over fresh connections made by `make`.
pub fn milestones_end_with_remote(rec: &Recorder) {
    let m = rec.milestones();
    assert_eq!(
        m.last().map(String::as_str),
        Some(milestone::REMOTE),
        "{m:?}"
    );
}

pub fn assert_err(r: Result<impl std::fmt::Debug, Error>, code: i32, parts: &[&str]) -> Error {
    let e = match r {
        Ok(v) => panic!("expected error {code}, got Ok({v:?})"),
        Err(e) => e,
    };
    // Shown with --nocapture: the messages an application would see.
    eprintln!("refused as expected: {e}");
    assert_eq!(e.code, code, "wrong code for: {e}");
    for p in parts {
        assert!(e.message.contains(p), "\"{p}\" is not in: {e}");
    }
    e
}
