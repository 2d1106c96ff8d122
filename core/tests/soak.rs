//! The soak run (`make soak`; not part of `make test`): a long stretch of traffic and of
//! reconnects against a mosquitto of its own that is killed and restarted, reporting the
//! process's RSS and open file descriptors at the start and the end. It fails when either
//! grew past a generous bound, or when a message was lost or a reconnect did not happen.
//!
//! SOAK_MESSAGES (default 1,000,000) and SOAK_CYCLES (default 10,000) set the sizes.

// A binary of its own (not in it/): RSS and open descriptors are the whole process's, and
// `make soak` runs it alone (`--test soak`).
#[path = "it/common/mod.rs"]
mod common;

use common::private_broker::PrivateBroker;
use ferromq::{Event, Mqtt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// QoS 0 messages received (a broker may drop those under load; QoS 1 it may not).
static QOS0: AtomicUsize = AtomicUsize::new(0);

fn rss_kib() -> u64 {
    common::status_kib("VmRSS:")
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(stage: &str, started: Instant) {
    println!(
        "soak: {stage:<28} RSS {:>7} KiB  fds {:>4}  ({:.0} s)",
        rss_kib(),
        fds(),
        started.elapsed().as_secs_f64()
    );
}

fn counting_client(id: &str, got: Arc<AtomicUsize>, connects: Arc<AtomicUsize>) -> Mqtt {
    let m = Mqtt::new();
    m.set_client_id(id).unwrap();
    m.set_timeout(30).unwrap();
    m.set_event_handler(Some(Arc::new(move |e: &mut Event| match e {
        Event::MessageIn(m) => {
            got.fetch_add(1, Ordering::Relaxed);
            if m.qos == 0 {
                QOS0.fetch_add(1, Ordering::Relaxed);
            }
        }
        Event::Connected(c) if c.status_code == 0 => {
            connects.fetch_add(1, Ordering::Relaxed);
        }
        _ => {}
    })));
    m
}

#[test]
#[ignore = "long: run with make soak"]
fn soak() {
    let messages = env_or("SOAK_MESSAGES", 1_000_000);
    let cycles = env_or("SOAK_CYCLES", 10_000);
    let mut broker =
        PrivateBroker::start("persistence true\npersistence_location {dir}/\nautosave_interval 5");
    let port = broker.port as i32;
    let started = Instant::now();

    let got = Arc::new(AtomicUsize::new(0));
    let connects = Arc::new(AtomicUsize::new(0));
    let sub = counting_client("soak-sub", got.clone(), connects.clone());
    sub.set_clean_session(false).unwrap();
    sub.config("AutoReconnect=true").unwrap();
    sub.config("ReconnectMinDelay=5").unwrap();
    sub.config("ReconnectMaxDelay=200").unwrap();
    sub.connect_to("127.0.0.1", port).unwrap();
    sub.subscribe("soak/#", 1).unwrap();
    let publisher = Mqtt::new();
    publisher.set_timeout(30).unwrap();
    publisher.connect_to("127.0.0.1", port).unwrap();
    sub.do_events().unwrap();
    let (rss0, fds0) = (rss_kib(), fds());
    report("start", started);

    // 1. Traffic: QoS 1 and QoS 0 alternately, in bursts, every message accounted for.
    let mut sent = 0;
    let payload = vec![b'x'; 64];
    while sent < messages {
        for _ in 0..1000.min(messages - sent) {
            let qos = (sent % 2) as i32;
            publisher
                .publish_data("soak/t", qos, payload.clone())
                .unwrap();
            sent += 1;
        }
        while got.load(Ordering::Relaxed) + 5_000 < sent {
            sub.do_events().unwrap();
            publisher.do_events().unwrap();
        }
        if sent % 200_000 == 0 {
            report(&format!("{sent} messages"), started);
        }
    }
    // The publisher's own events must be taken too: until they are, its queue is full, it
    // stops reading (backpressure), and the PUBACKs that free its send window wait unread.
    let deadline = Instant::now() + Duration::from_secs(120);
    while got.load(Ordering::Relaxed) < sent && Instant::now() < deadline {
        sub.do_events().unwrap();
        publisher.do_events().unwrap();
    }
    publisher.disconnect().unwrap();
    let received = got.load(Ordering::Relaxed);
    let qos0 = QOS0.load(Ordering::Relaxed);
    let (sent0, sent1) = (sent.div_ceil(2), sent / 2);
    report(&format!("{received}/{sent} received"), started);
    println!(
        "soak: QoS 0 received {qos0}/{sent0}, QoS 1 received {}/{sent1}",
        received - qos0
    );
    assert!(
        received - qos0 >= sent1,
        "{} QoS 1 messages lost on a healthy broker",
        sent1 - (received - qos0)
    );
    let (rss1, fds1) = (rss_kib(), fds());

    // 2. Reconnects: every cycle the broker takes the session over from a second connection
    //    with the same client id (the subscriber is dropped and comes back); every 100th
    //    cycle the broker itself is killed with -9 and restarted.
    let kicker = Mqtt::new();
    kicker.set_client_id("soak-sub").unwrap();
    kicker.set_clean_session(false).unwrap();
    kicker.set_timeout(30).unwrap();
    let base = connects.load(Ordering::Relaxed);
    for cycle in 1..=cycles {
        if cycle % 100 == 0 {
            broker.restart();
        } else {
            // The kicker may itself meet a broker still starting: it tries again.
            let _ = kicker.connect_to("127.0.0.1", port);
            let _ = kicker.disconnect();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while connects.load(Ordering::Relaxed) < base + cycle {
            assert!(
                Instant::now() < deadline,
                "cycle {cycle}: the subscriber did not come back"
            );
            sub.do_events().unwrap();
        }
        if cycle % 1000 == 0 {
            report(&format!("{cycle} reconnect cycles"), started);
        }
    }
    // Still receiving after all that.
    let before = got.load(Ordering::Relaxed);
    let p = Mqtt::new();
    p.set_timeout(30).unwrap();
    p.connect_to("127.0.0.1", port).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.load(Ordering::Relaxed) == before {
        assert!(
            Instant::now() < deadline,
            "nothing arrives after the cycles"
        );
        p.publish_message("soak/end", 1, "end").unwrap();
        let end = Instant::now() + Duration::from_millis(200);
        while Instant::now() < end {
            sub.do_events().unwrap();
        }
    }
    p.disconnect().unwrap();
    sub.disconnect().unwrap();
    drop(sub);
    drop(kicker);
    std::thread::sleep(Duration::from_secs(1));
    let (rss2, fds2) = (rss_kib(), fds());
    report("end", started);
    println!(
        "soak: RSS {rss0} -> {rss1} (after traffic) -> {rss2} KiB; fds {fds0} -> {fds1} -> {fds2}"
    );
    assert!(fds2 <= fds0 + 4, "descriptors leak: {fds0} -> {fds2}");
    assert!(
        rss2 < rss0 + 64 * 1024,
        "RSS grew by {} KiB",
        rss2.saturating_sub(rss0)
    );
}
