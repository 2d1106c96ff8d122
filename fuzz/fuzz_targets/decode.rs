//! Decodes arbitrary bytes as a stream of packets, with both protocol versions and several
//! maximum packet sizes, until an error or an incomplete packet. Checks that decoding never
//! panics, that Ok(None) consumes nothing and Ok(Some) consumes something, that errors carry
//! one of the expected reason codes and a message, and that every decoded packet encodes
//! (encoded_len == bytes written) and decodes back to itself.
#![no_main]

use bytes::BytesMut;
use ferromq::codec::*;
use libfuzzer_sys::fuzz_target;

/// Every one of them a DISCONNECT may carry.
const REASONS: [u8; 5] = [0x81, 0x82, 0x90, 0x94, 0x95];

fuzz_target!(|data: &[u8]| {
    for protocol in [Protocol::V311, Protocol::V5] {
        for max in [8u32, 64, 1 << 20, u32::MAX] {
            let mut buf = BytesMut::from(data);
            loop {
                let before = buf.len();
                match decode(&mut buf, protocol, max) {
                    Ok(Some(packet)) => {
                        assert!(buf.len() < before, "a packet consumed nothing");
                        assert!(
                            before - buf.len() <= max as usize,
                            "packet over the maximum"
                        );
                        roundtrip(&packet, protocol);
                    }
                    Ok(None) => {
                        assert_eq!(buf.len(), before, "Ok(None) consumed bytes");
                        break;
                    }
                    Err(e) => {
                        assert!(REASONS.contains(&e.reason), "unexpected reason {e:?}");
                        assert!(!e.message.is_empty());
                        break;
                    }
                }
            }
        }
    }
});

fn roundtrip(packet: &Packet, protocol: Protocol) {
    // A CONNECT carries its own protocol level.
    let protocol = match packet {
        Packet::Connect(c) => c.protocol,
        _ => protocol,
    };
    let mut out = BytesMut::new();
    match encode(packet, protocol, &mut out) {
        Ok(()) => {
            assert_eq!(
                encoded_len(packet, protocol).as_ref().ok(),
                Some(&out.len())
            );
            let mut again = out.clone();
            let decoded = decode(&mut again, protocol, u32::MAX)
                .unwrap_or_else(|e| panic!("re-decoding {packet:?} ({out:02X?}): {e}"))
                .expect("the re-encoded packet is complete");
            assert!(
                again.is_empty(),
                "trailing bytes after the re-encoded packet"
            );
            assert_eq!(&decoded, packet);
        }
        Err(e) => {
            // Everything the decoder accepts should be encodable.
            panic!("decoded {packet:?} but cannot encode it: {e}");
        }
    }
}
