//! Bench client for ferromq's Rust face (the `ferromq` crate, pull mode: handlers fire on
//! the thread inside a blocking call or `do_events`). See bench/README.md for the scenarios.
#[path = "../common.rs"]
mod common;

use bytes::Bytes;
use common::*;
use ferromq::{Event, Mqtt};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NAME: &str = "rust-ferromq";

fn client(a: &Args) -> Mqtt {
    let m = Mqtt::new();
    // The same in-flight window for every client (the 3.1.1 default is 20).
    m.config(&format!("MaxInflight={}", a.inflight)).unwrap_or_else(|e| die(&e.to_string()));
    m
}

fn connect(m: &Mqtt, a: &Args) {
    m.connect_to(&a.host, a.port as i32).unwrap_or_else(|e| die(&format!("connect: {e}")));
}

fn main() {
    let a = args();
    match a.scenario.as_str() {
        "thr" => thr(&a),
        "lat" => lat(&a),
        "mem" => mem(&a),
        "cps" => cps(&a),
        "big" => big(&a),
        "burst" => burst(&a),
        s => die(&format!("unknown scenario {s}")),
    }
}

fn thr(a: &Args) {
    let start = Instant::now();
    let got = Arc::new(AtomicU64::new(0));
    let last_ns = Arc::new(AtomicU64::new(0));
    let sub = client(a);
    {
        let (got, last_ns) = (got.clone(), last_ns.clone());
        sub.set_event_handler(Some(Arc::new(move |e: &mut Event| {
            if let Event::MessageIn(_) = e {
                got.fetch_add(1, Ordering::Relaxed);
                last_ns.store(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }
        })));
    }
    connect(&sub, a);
    sub.subscribe(&a.topic, a.qos as i32).unwrap_or_else(|e| die(&format!("subscribe: {e}")));
    let publ = client(a);
    connect(&publ, a);

    let done = Arc::new(AtomicBool::new(false));
    let (count, idle) = (a.count, Duration::from_secs(a.idle_secs));
    let reader = {
        let (got, done) = (got.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen = 0;
            let mut since = Instant::now();
            while got.load(Ordering::Relaxed) < count {
                sub.do_events().unwrap_or_else(|e| die(&format!("do_events: {e}")));
                let now = got.load(Ordering::Relaxed);
                if now != seen {
                    seen = now;
                    since = Instant::now();
                } else if since.elapsed() > idle {
                    break; // QoS 0 messages were lost: report what arrived
                }
            }
            done.store(true, Ordering::SeqCst);
            let _ = sub.disconnect();
        })
    };
    let payload = Bytes::from(payload(a.size));
    let t0 = start.elapsed();
    for _ in 0..a.count {
        publ.publish_data(&a.topic, a.qos as i32, payload.clone())
            .unwrap_or_else(|e| die(&format!("publish: {e}")));
    }
    // Keep firing the publisher's events so its acknowledgements are taken.
    while !done.load(Ordering::SeqCst) {
        let _ = publ.do_events();
    }
    reader.join().unwrap();
    let _ = publ.disconnect();
    let secs = Duration::from_nanos(last_ns.load(Ordering::Relaxed)).saturating_sub(t0);
    emit_thr(NAME, a, got.load(Ordering::Relaxed), secs.as_secs_f64());
}

fn lat(a: &Args) {
    let m = client(a);
    let got_in = Arc::new(AtomicBool::new(false));
    let got_out = Arc::new(AtomicBool::new(false));
    {
        let (gi, go) = (got_in.clone(), got_out.clone());
        m.set_event_handler(Some(Arc::new(move |e: &mut Event| match e {
            Event::MessageIn(_) => gi.store(true, Ordering::Relaxed),
            Event::MessageOut(_) => go.store(true, Ordering::Relaxed),
            _ => {}
        })));
    }
    connect(&m, a);
    m.subscribe(&a.topic, a.qos as i32).unwrap_or_else(|e| die(&format!("subscribe: {e}")));
    let payload = Bytes::from(payload(a.size));
    let warm = (a.count / 10).min(1000);
    let mut us = Vec::with_capacity(a.count as usize);
    for i in 0..a.count + warm {
        got_in.store(false, Ordering::Relaxed);
        got_out.store(false, Ordering::Relaxed);
        let t = Instant::now();
        m.publish_data(&a.topic, a.qos as i32, payload.clone())
            .unwrap_or_else(|e| die(&format!("publish: {e}")));
        while !got_in.load(Ordering::Relaxed) {
            m.do_events().unwrap();
        }
        let el = t.elapsed();
        // One message in flight: the next publish waits for this one's acknowledgement too.
        while !got_out.load(Ordering::Relaxed) {
            m.do_events().unwrap();
        }
        if i >= warm {
            us.push(el.as_secs_f64() * 1e6);
        }
    }
    let _ = m.disconnect();
    emit_lat(NAME, a, us);
}

fn mem(a: &Args) {
    let first = client(a);
    connect(&first, a);
    std::thread::sleep(Duration::from_millis(200));
    let before = rss();
    let mut all = Vec::with_capacity(a.conns);
    for _ in 0..a.conns {
        let m = Mqtt::new();
        connect(&m, a);
        all.push(m);
    }
    std::thread::sleep(Duration::from_secs(1));
    let after = rss();
    emit_mem(NAME, a.conns, before, after);
    std::process::exit(0); // the sockets close with the process
}

fn cps(a: &Args) {
    let m = Mqtt::new();
    let t = Instant::now();
    for _ in 0..a.count {
        connect(&m, a);
        m.disconnect().unwrap_or_else(|e| die(&format!("disconnect: {e}")));
    }
    emit_cps(NAME, a.count, secs(t.elapsed()));
}

fn big(a: &Args) {
    let m = client(a);
    let got = Arc::new(AtomicU64::new(0));
    {
        let got = got.clone();
        m.set_event_handler(Some(Arc::new(move |e: &mut Event| {
            if let Event::MessageIn(msg) = e {
                got.store(msg.message.len() as u64, Ordering::Relaxed);
            }
        })));
    }
    connect(&m, a);
    m.subscribe(&a.topic, 0).unwrap_or_else(|e| die(&format!("subscribe: {e}")));
    let payload = Bytes::from(payload(a.size));
    let mut ms = Vec::new();
    for _ in 0..a.count {
        got.store(0, Ordering::Relaxed);
        let t = Instant::now();
        m.publish_data(&a.topic, 0, payload.clone()).unwrap_or_else(|e| die(&format!("publish: {e}")));
        let deadline = Instant::now() + Duration::from_secs(30);
        while got.load(Ordering::Relaxed) == 0 {
            m.do_events().unwrap();
            if Instant::now() > deadline {
                die("the big message did not come back within 30 s");
            }
        }
        if got.load(Ordering::Relaxed) != a.size as u64 {
            die("the big message came back with the wrong size");
        }
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let _ = m.disconnect();
    emit_big(NAME, a.size, ms);
}

/// Each of `conns` clients in turn subscribes to its own topic and publishes `count`
/// messages to it as fast as publishing accepts them, until every one is received and
/// acknowledged; the clients stay connected. RSS is read after they have all been idle a
/// second, and again after they are disconnected and dropped.
fn burst(a: &Args) {
    let first = client(a);
    connect(&first, a);
    std::thread::sleep(Duration::from_millis(200));
    let before = rss();
    let mut all = Vec::with_capacity(a.conns);
    let payload = Bytes::from(payload(a.size));
    for i in 0..a.conns {
        let m = client(a);
        let (got, acked) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        {
            let (got, acked) = (got.clone(), acked.clone());
            m.set_event_handler(Some(Arc::new(move |e: &mut Event| match e {
                Event::MessageIn(_) => {
                    got.fetch_add(1, Ordering::Relaxed);
                }
                Event::MessageOut(_) => {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                _ => {}
            })));
        }
        connect(&m, a);
        let topic = format!("{}/{i}", a.topic);
        m.subscribe(&topic, a.qos as i32).unwrap_or_else(|e| die(&format!("subscribe: {e}")));
        for _ in 0..a.count {
            m.publish_data(&topic, a.qos as i32, payload.clone())
                .unwrap_or_else(|e| die(&format!("publish: {e}")));
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while got.load(Ordering::Relaxed) < a.count || acked.load(Ordering::Relaxed) < a.count {
            m.do_events().unwrap_or_else(|e| die(&format!("do_events: {e}")));
            if Instant::now() > deadline {
                die("the burst did not come back within 120 s");
            }
        }
        all.push(m);
    }
    std::thread::sleep(Duration::from_secs(1));
    let after = rss();
    for m in &all {
        let _ = m.disconnect();
    }
    drop(all);
    std::thread::sleep(Duration::from_secs(1));
    emit_burst(NAME, a, before, after, rss());
    std::process::exit(0);
}
