//! Recovery and control (issue 14): the application stays in control whatever the server
//! does, and the client recovers from servers that flood, stall, restart from lost state or
//! misbehave. Each test is one scenario of tests/scenarios.tsv; the hostile servers are the
//! scripted peer of tests/harness/hostile-peer, the rest real mosquitto.

use crate::common;
use crate::common::private_broker;

use common::{broker, Client};
use ferromq::{code, Event, Mqtt};
use private_broker::PrivateBroker;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The scripted peer in one mode; it serves until dropped (its stdin closes).
struct Peer {
    child: Child,
    port: i32,
}

impl Peer {
    fn start(mode: &str) -> Peer {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/harness/hostile-peer");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs tests/harness/hostile-peer");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the peer prints its port");
        Peer { child, port }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until(what: &str, secs: u64, c: &Client, cond: impl Fn(&[Event]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond(&c.events.lock().unwrap()) {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        c.mqtt.do_events().unwrap();
    }
}

fn disconnected(ev: &[Event]) -> Option<i32> {
    ev.iter().find_map(|e| match e {
        Event::Disconnected(d) => Some(d.status_code),
        _ => None,
    })
}

fn got_message(ev: &[Event], topic: &str) -> usize {
    ev.iter()
        .filter(|e| matches!(e, Event::MessageIn(m) if m.topic == topic))
        .count()
}

/// A client whose handler takes 1 ms per message, counting them.
fn slow_client(count: Arc<AtomicUsize>) -> Mqtt {
    let m = Mqtt::new();
    m.set_event_handler(Some(Arc::new(move |e: &mut Event| {
        if let Event::MessageIn(_) = e {
            count.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(1));
        }
    })));
    m
}

#[test]
fn scenario_flood_returns_control() {
    let peer = Peer::start("flood");
    let n = Arc::new(AtomicUsize::new(0));
    let m = slow_client(n.clone());
    m.set_timeout(10).unwrap();
    m.connect_to("127.0.0.1", peer.port).unwrap();
    // Wait until the flood is on: the queue is full and keeps refilling.
    let deadline = Instant::now() + Duration::from_secs(20);
    while n.load(Ordering::Relaxed) < 2000 {
        assert!(Instant::now() < deadline, "no flood arrived");
        m.do_events().unwrap();
    }
    let mut longest = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        m.do_events().unwrap();
        longest = longest.max(t.elapsed());
    }
    assert!(
        longest < Duration::from_secs(2),
        "a DoEvents took {longest:?}"
    );
    m.set_timeout(2).unwrap();
    let t = Instant::now();
    let r = m.subscribe("x/#", 0);
    let took = t.elapsed();
    println!("flood: longest of 20 DoEvents {longest:?}; Subscribe (Timeout 2) returned after {took:?}: {r:?}");
    assert!(took < Duration::from_secs(15), "Subscribe took {took:?}");
    if let Err(e) = r {
        assert_eq!(e.code, code::TIMEOUT, "{e:?}");
    }
    assert!(m.connected());
    let _ = m.disconnect();
}

#[test]
fn scenario_flood_keepalive_survives() {
    let peer = Peer::start("flood");
    let n = Arc::new(AtomicUsize::new(0));
    let m = slow_client(n.clone());
    let lost = Arc::new(Mutex::new(None));
    let seen = lost.clone();
    let inner = Arc::new(AtomicUsize::new(0));
    let count = inner.clone();
    m.set_event_handler(Some(Arc::new(move |e: &mut Event| match e {
        Event::MessageIn(_) => {
            count.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(1));
        }
        Event::Disconnected(d) => *seen.lock().unwrap() = Some(d.status_code),
        _ => {}
    })));
    m.set_keep_alive_interval(1).unwrap();
    m.connect_to("127.0.0.1", peer.port).unwrap();
    let end = Instant::now() + Duration::from_secs(8);
    while Instant::now() < end {
        m.do_events().unwrap();
        assert_eq!(
            *lost.lock().unwrap(),
            None,
            "the flood was taken for a dead server"
        );
    }
    assert!(m.connected());
    println!(
        "flood with keep-alive 1 s: {} messages handled in 8 s, still connected",
        inner.load(Ordering::Relaxed)
    );
    assert!(inner.load(Ordering::Relaxed) > 1000);
    let _ = m.disconnect();
}

#[test]
fn scenario_id_reuse_after_server_restart() {
    let peer = Peer::start("reuse-id");
    let c = Client::new();
    c.mqtt.config("LogLevel=2").unwrap();
    c.mqtt.connect_to("127.0.0.1", peer.port).unwrap();
    wait_until("t/end", 20, &c, |ev| got_message(ev, "t/end") == 1);
    let ev = c.events.lock().unwrap().clone();
    assert_eq!(got_message(&ev, "t/new"), 1);
    assert_eq!(
        got_message(&ev, "t/old"),
        0,
        "a forgotten QoS 2 message was delivered"
    );
    assert_eq!(disconnected(&ev), None);
    assert!(c.mqtt.connected());
    assert!(c.mqtt.incoming_messages().is_empty());
    let _ = c.mqtt.disconnect();
}

#[test]
fn scenario_broker_restart_recovers() {
    let mut b =
        PrivateBroker::start("persistence true\npersistence_location {dir}/\nautosave_interval 1");
    let c = Client::new();
    c.mqtt.set_client_id(&common::unique("restart")).unwrap();
    c.mqtt.set_clean_session(false).unwrap();
    c.mqtt.config("AutoReconnect=true").unwrap();
    c.mqtt.config("ReconnectMinDelay=100").unwrap();
    c.mqtt.connect_to("127.0.0.1", b.port as i32).unwrap();
    c.mqtt.subscribe("restart/#", 1).unwrap();
    assert!(!c.mqtt.reconnecting());
    b.kill();
    wait_until("Disconnected", 20, &c, |ev| disconnected(ev).is_some());
    // Settled before Disconnected was queued: the client will come back by itself.
    assert!(c.mqtt.reconnecting());
    b.restart();
    wait_until("reconnected", 30, &c, |ev| {
        ev.iter()
            .filter(|e| matches!(e, Event::Connected(x) if x.status_code == 0))
            .count()
            >= 2
    });
    // Whether the restarted broker kept the subscription or not, the client has it again.
    let p = Mqtt::new();
    p.connect_to("127.0.0.1", b.port as i32).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while got_message(&c.events.lock().unwrap(), "restart/after") == 0 {
        assert!(
            Instant::now() < deadline,
            "nothing arrived after the restart"
        );
        p.publish_message("restart/after", 1, "x").unwrap();
        c.pump(Duration::from_millis(300));
    }
    let connects = c
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Connected(_)))
        .count();
    assert!(connects <= 10, "{connects} connection attempts");
    assert!(!c.mqtt.reconnecting());
    let _ = p.disconnect();
    let _ = c.mqtt.disconnect();
    assert!(!c.mqtt.reconnecting());
}

#[test]
fn scenario_early_drop_backs_off() {
    let peer = Peer::start("early-drop");
    let c = Client::new();
    c.mqtt.config("AutoReconnect=true").unwrap();
    c.mqtt.config("ReconnectMinDelay=100").unwrap();
    assert_eq!(c.mqtt.config("ReconnectStableTime").unwrap(), "10000");
    c.mqtt.connect_to("127.0.0.1", peer.port).unwrap();
    let start = Instant::now();
    c.pump(Duration::from_secs(3));
    let ok = c
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Connected(x) if x.status_code == 0))
        .count();
    println!("early drop: {ok} connections in 3 s");
    assert!(start.elapsed() >= Duration::from_secs(3));
    assert!(ok >= 2, "it did reconnect ({ok})");
    assert!(
        ok <= 8,
        "{ok} connections in 3 s: the backoff was reset by each CONNACK"
    );
    c.mqtt.reset().unwrap();
}

#[test]
fn scenario_stall_detected_while_publishing() {
    let b = PrivateBroker::start("");
    let c = Client::new();
    c.mqtt.set_keep_alive_interval(2).unwrap();
    // Every publish reaches the wire (no in-flight window fills up and goes quiet), as with
    // a server whose Receive Maximum is large: the keep-alive must not count on silence.
    c.mqtt.config("MaxInflight=1000").unwrap();
    c.mqtt.connect_to("127.0.0.1", b.port as i32).unwrap();
    c.mqtt.set_timeout(0).unwrap();
    b.pause();
    let frozen = Instant::now();
    let deadline = frozen + Duration::from_secs(30);
    let code_ = loop {
        if let Some(code_) = disconnected(&c.events.lock().unwrap()) {
            break code_;
        }
        assert!(
            Instant::now() < deadline,
            "the frozen server was never noticed"
        );
        let _ = c.mqtt.publish_message("stall/t", 1, "x");
        let end = Instant::now() + Duration::from_millis(50);
        while Instant::now() < end {
            c.mqtt.do_events().unwrap();
        }
    };
    let took = frozen.elapsed();
    println!("frozen server noticed after {took:?} (keep-alive 2 s, publishing QoS 1 every 50 ms)");
    b.resume();
    assert_eq!(code_, code::TIMEOUT);
    assert!(took < Duration::from_secs(8), "noticed after {took:?}");
}

#[test]
fn scenario_wait_check_interrupts() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port() as i32;
    let c = Client::new();
    c.mqtt.set_timeout(10).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    c.mqtt
        .set_wait_check(Some(Arc::new(move || flag.load(Ordering::SeqCst))));
    let asked = Arc::new(Mutex::new(None::<Instant>));
    let when = asked.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        *when.lock().unwrap() = Some(Instant::now());
        stop.store(true, Ordering::SeqCst);
    });
    let e = c.mqtt.connect_to("127.0.0.1", port).unwrap_err();
    let ended = Instant::now();
    t.join().unwrap();
    assert_eq!(e.code, code::INTERRUPTED, "{e:?}");
    let asked = asked.lock().unwrap().unwrap();
    println!(
        "wait check: Connect ended {:?} after the check said stop",
        ended - asked
    );
    assert!(
        ended - asked < Duration::from_secs(1),
        "{:?}",
        ended - asked
    );
    assert!(!c.mqtt.connected());
    c.mqtt.set_wait_check(None);
}

#[test]
fn scenario_inbound_size_limit() {
    let b = broker();
    for version in [0, 1] {
        let c = Client::new();
        assert_eq!(c.mqtt.config("MaxIncomingPacketSize").unwrap(), "67108864");
        c.mqtt.config("MaxIncomingPacketSize=1000").unwrap();
        c.mqtt.set_version(version).unwrap();
        c.mqtt.connect_to(&b.host, b.port).unwrap();
        let topic = common::unique("limit");
        c.mqtt.subscribe(&topic, 0).unwrap();
        let p = Client::connected(1);
        p.mqtt.publish_data(&topic, 0, vec![7u8; 2000]).unwrap();
        p.mqtt.publish_message(&topic, 0, "small").unwrap();
        if version == 0 {
            wait_until("Disconnected", 20, &c, |ev| disconnected(ev).is_some());
            let ev = c.events.lock().unwrap().clone();
            assert_eq!(disconnected(&ev), Some(code::PROTOCOL));
            let text = ev
                .iter()
                .find_map(|e| match e {
                    Event::Error(x) => Some(x.description.clone()),
                    _ => None,
                })
                .unwrap();
            assert!(text.contains("1000") && text.contains("20"), "{text}");
        } else {
            let got = c.messages_in(1);
            assert_eq!(got[0].message, b"small".as_slice());
            assert!(c.mqtt.connected());
            let _ = c.mqtt.disconnect();
        }
        let _ = p.mqtt.disconnect();
    }
}

#[test]
fn scenario_connack_session_present_on_clean_start() {
    let peer = Peer::start("connack-sp1");
    let c = Client::new();
    c.mqtt.set_version(1).unwrap();
    let e = c.mqtt.connect_to("127.0.0.1", peer.port).unwrap_err();
    assert_eq!(e.code, code::PROTOCOL, "{e:?}");
    assert!(e.message.contains("MQTT-3.2.2-4"), "{}", e.message);
    let c = Client::new();
    c.mqtt.connect_to("127.0.0.1", peer.port).unwrap();
    assert!(c.mqtt.connected());
    let _ = c.mqtt.disconnect();
}

#[test]
fn scenario_empty_client_id_assigned() {
    let b = broker();
    let c = Client::new();
    c.mqtt.set_version(1).unwrap();
    c.mqtt.set_clean_session(false).unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    assert!(!c.mqtt.client_id().is_empty());
    let e = c.mqtt.connect_to(&b.host, b.port).unwrap_err();
    assert_eq!(e.code, code::ALREADY_CONNECTED);
    assert!(e.message.contains("already connected"), "{}", e.message);
    // Clean up the session the server keeps for the assigned id.
    c.mqtt.disconnect().unwrap();
    let c = Client::new();
    c.mqtt.set_clean_session(false).unwrap();
    let e = c.mqtt.connect_to(&b.host, b.port).unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(c.take().is_empty(), "something happened before the refusal");
}

#[test]
fn scenario_non_minimal_length_v311() {
    let peer = Peer::start("nonminimal");
    let c = Client::new();
    c.mqtt.connect_to("127.0.0.1", peer.port).unwrap();
    let got = c.messages_in(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message, b"nm".as_slice());
    let _ = c.mqtt.disconnect();
    let c = Client::new();
    c.mqtt.set_version(1).unwrap();
    let e = c.mqtt.connect_to("127.0.0.1", peer.port).unwrap_err();
    assert_eq!(e.code, code::MALFORMED, "{e:?}");
}
