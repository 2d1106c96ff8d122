//! On plain TCP a publishing thread writes small packets to the socket itself, while the
//! driver task writes whatever is large or left over. Both write to one socket, so these
//! tests check that nothing overtakes anything, against the real broker.

use crate::common;

use common::{unique, Client};
use std::time::Duration;

/// Large messages (written by the task, often over several writes) and small ones (written
/// by the caller when the task holds nothing) alternate: the subscriber sees them in the
/// order published, each whole.
#[test]
fn small_packets_never_overtake_a_large_one() {
    let sub = Client::connected(0);
    let topic = unique("direct");
    sub.mqtt.subscribe(&topic, 0).unwrap();
    let publisher = Client::connected(0);
    let mut sent = Vec::new();
    for i in 0..120u32 {
        let len = match i % 6 {
            0 => 200 * 1024,
            3 => 70 * 1024,
            _ => 16,
        };
        let mut payload = vec![(i % 251) as u8; len];
        payload[..4].copy_from_slice(&i.to_be_bytes());
        publisher
            .mqtt
            .publish_data(&topic, 0, payload.clone())
            .unwrap();
        sent.push(payload);
    }
    let got = sub.messages_in(sent.len());
    assert_eq!(got.len(), sent.len(), "every message arrived");
    for (i, (m, want)) in got.iter().zip(&sent).enumerate() {
        assert_eq!(m.message.len(), want.len(), "message {i}: length");
        assert!(
            m.message[..] == want[..],
            "message {i} is not the one sent {i}th"
        );
    }
    publisher.mqtt.disconnect().unwrap();
    sub.mqtt.disconnect().unwrap();
}

/// Two threads publishing at once through one client: each thread's messages stay in its
/// own order, and the task's wake-ups are not lost when the caller writes (the round trip
/// of a QoS 1 message at the end completes).
#[test]
fn concurrent_publishers_keep_their_order() {
    let sub = Client::connected(1);
    let topic = unique("direct-threads");
    sub.mqtt.subscribe(&topic, 0).unwrap();
    let publisher = Client::connected(1);
    let threads: Vec<_> = (0..2u8)
        .map(|t| {
            let m = publisher.mqtt.clone();
            let topic = topic.clone();
            std::thread::spawn(move || {
                for i in 0..2000u32 {
                    let mut p = vec![t];
                    p.extend_from_slice(&i.to_be_bytes());
                    if i % 500 == 0 {
                        p.resize(100 * 1024, 0);
                    }
                    m.publish_data(&topic, 0, p).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = sub.messages_in(4000);
    assert_eq!(got.len(), 4000);
    let mut next = [0u32; 2];
    for m in &got {
        let t = m.message[0] as usize;
        let i = u32::from_be_bytes(m.message[1..5].try_into().unwrap());
        assert_eq!(
            i, next[t],
            "thread {t}: message {i} arrived when {} was due",
            next[t]
        );
        next[t] += 1;
    }
    publisher.mqtt.publish_message(&topic, 1, "last").unwrap();
    assert!(sub
        .messages_in(4001)
        .last()
        .is_some_and(|m| &m.message[..] == b"last"));
    publisher.pump(Duration::from_millis(10));
    publisher.mqtt.disconnect().unwrap();
    sub.mqtt.disconnect().unwrap();
}
