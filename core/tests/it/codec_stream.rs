//! Decoding a stream: byte by byte, in arbitrary chunks, and refusing a huge packet from its
//! fixed header alone.

use crate::codec_gen;

use bytes::BytesMut;
use codec_gen::*;
use ferromq::codec::*;
use proptest::collection::vec;
use proptest::prelude::*;

/// Feeds `stream` in chunks of the given sizes; returns the packets decoded and checks that
/// nothing is consumed while a packet is incomplete.
fn feed(stream: &[u8], chunks: &[usize], protocol: Protocol) -> Vec<Packet> {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut sizes = chunks.iter().copied().cycle();
    while at < stream.len() {
        let n = sizes.next().unwrap_or(1).max(1).min(stream.len() - at);
        buf.extend_from_slice(&stream[at..at + n]);
        at += n;
        loop {
            let before = buf.len();
            match decode(&mut buf, protocol, MAX).unwrap() {
                Some(p) => out.push(p),
                None => {
                    assert_eq!(buf.len(), before, "Ok(None) consumed bytes");
                    break;
                }
            }
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    out
}

fn stream_of(packets: &[Packet], protocol: Protocol) -> Vec<u8> {
    packets
        .iter()
        .flat_map(|p| encode_vec(p, protocol))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn byte_by_byte_v5(packets in vec(packet_v5(), 1..12)) {
        let stream = stream_of(&packets, Protocol::V5);
        prop_assert_eq!(feed(&stream, &[1], Protocol::V5), packets);
    }

    #[test]
    fn byte_by_byte_v311(packets in vec(packet_v311(), 1..12)) {
        let stream = stream_of(&packets, Protocol::V311);
        prop_assert_eq!(feed(&stream, &[1], Protocol::V311), packets);
    }

    #[test]
    fn any_chunks_v5(packets in vec(packet_v5(), 1..12), chunks in vec(1usize..40, 1..8)) {
        let stream = stream_of(&packets, Protocol::V5);
        prop_assert_eq!(feed(&stream, &chunks, Protocol::V5), packets);
    }
}

#[test]
fn byte_by_byte_every_kind() {
    // A fixed stream with a packet whose remaining length takes 2 bytes.
    let packets = vec![
        Packet::PingReq,
        Packet::Publish(Publish {
            dup: false,
            qos: QoS::AtLeastOnce,
            retain: false,
            topic: "a/b".into(),
            packet_id: 1,
            payload: bytes::Bytes::from(vec![7u8; 300]),
            properties: Properties::default(),
        }),
        Packet::PubAck(PubResp {
            packet_id: 1,
            reason: 0,
            properties: Properties::default(),
        }),
        Packet::Disconnect(Disconnect {
            reason: 0,
            properties: Properties::default(),
        }),
    ];
    for protocol in [Protocol::V311, Protocol::V5] {
        let stream = stream_of(&packets, protocol);
        assert_eq!(feed(&stream, &[1], protocol), packets);
    }
}

#[test]
fn huge_header_is_refused_at_once() {
    // PUBLISH claiming 200 MB; only the fixed header has arrived; the limit is 1 MB.
    let claimed = 200 * 1024 * 1024usize;
    let mut header = vec![0x30u8];
    let mut v = claimed;
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            header.push(b);
            break;
        }
        header.push(b | 0x80);
    }
    assert_eq!(header.len(), 5);
    let mut buf = BytesMut::from(&header[..]);
    let e = decode(&mut buf, Protocol::V5, 1024 * 1024).unwrap_err();
    assert_eq!(e.reason, reason::PACKET_TOO_LARGE);
    assert!(e.message.contains("PUBLISH"), "{}", e.message);
    assert!(
        e.message.contains(&format!("{}", claimed + 5)),
        "{}",
        e.message
    );
    assert!(e.message.contains("1048576"), "{}", e.message);
    assert!(
        buf.capacity() < 1024,
        "nothing was allocated for the packet"
    );

    // Also when only part of the header would be enough to know.
    let mut buf = BytesMut::from(&[0x30u8, 0xFF, 0xFF, 0xFF, 0x7F][..]);
    assert_eq!(
        decode(&mut buf, Protocol::V311, 1 << 20)
            .unwrap_err()
            .reason,
        0x95
    );
}

#[test]
fn incomplete_header_waits() {
    let mut buf = BytesMut::new();
    assert_eq!(decode(&mut buf, Protocol::V5, MAX).unwrap(), None);
    let mut buf = BytesMut::from(&[0x30u8, 0x80][..]);
    assert_eq!(decode(&mut buf, Protocol::V5, MAX).unwrap(), None);
    assert_eq!(buf.len(), 2);
}
