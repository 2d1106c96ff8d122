//! What one large incoming message costs at the peak (issue 14 item 8): a 256 MiB PUBLISH
//! from another process (mosquitto_pub) through the shared broker to a client of this
//! process; the process's peak RSS (VmHWM) before and after is printed. A measurement, not a
//! check of speed; it fails only when the peak is far above one copy of the message.
//!
//!   tests/harness/with-brokers cargo test --release -p ferromq --test peak_memory -- --ignored --nocapture

// A binary of its own (not in it/): the peak RSS is the whole process's, and any other test
// that ran in it before would have set the high-water mark already.
#[path = "it/common/mod.rs"]
mod common;

use common::{broker, status_kib, unique, Client};
use std::process::Command;

#[test]
#[ignore = "a measurement: 256 MiB through the broker"]
fn peak_memory_of_a_256_mib_message() {
    const SIZE: usize = 256 * 1024 * 1024 - 1024;
    let b = broker();
    let c = Client::new();
    c.mqtt.set_timeout(60).unwrap();
    c.mqtt.config("MaxIncomingPacketSize=268435460").unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    let topic = unique("peak");
    c.mqtt.subscribe(&topic, 0).unwrap();
    let file = std::env::temp_dir().join(format!("{}.bin", topic.replace('/', "-")));
    // Written in pieces: the test's own buffer must not set the high-water mark.
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&file).unwrap();
        let piece = vec![b'p'; 1024 * 1024];
        for _ in 0..SIZE / piece.len() {
            f.write_all(&piece).unwrap();
        }
        f.write_all(&piece[..SIZE % piece.len()]).unwrap();
    }
    let before = status_kib("VmHWM:");
    let status = Command::new("mosquitto_pub")
        .args(["-h", &b.host, "-p", &b.port.to_string(), "-t", &topic, "-f"])
        .arg(&file)
        .status()
        .expect("mosquitto_pub");
    std::fs::remove_file(&file).ok();
    assert!(status.success());
    let got = c.messages_in(1);
    assert_eq!(got[0].message.len(), SIZE);
    drop(got);
    let peak = status_kib("VmHWM:");
    let grew = (peak - before) / 1024;
    println!(
        "peak RSS {} MiB before, {} MiB after: +{grew} MiB for a {} MiB message",
        before / 1024,
        peak / 1024,
        SIZE >> 20
    );
    assert!(grew < 400, "+{grew} MiB: more than one copy and a half");
}
