//! A connect-time setter racing Connect on another thread: either the setter is refused with
//! the documented 211, or the connection carries the value it set. Never both a success and
//! a CONNECT made with the old value.

use crate::common;

use common::broker;
use ferromq::{code, Event, Mqtt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

/// The client id the engine put in the CONNECT, read from the Log event that announces it.
fn connect_client_id(message: &str) -> Option<String> {
    let rest = message.strip_prefix("sending CONNECT")?;
    let start = rest.find("client id \"")? + "client id \"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

/// One round: thread B sets ClientId again and again until it is refused, while this thread
/// connects. Returns (the id B last set successfully, the id the CONNECT carried).
fn round(b: &common::Broker, i: usize) -> (String, String) {
    let mqtt = Mqtt::new();
    mqtt.set_timeout(10).unwrap();
    mqtt.set_remote_host(&b.host).unwrap();
    mqtt.set_remote_port(b.port).unwrap();
    let first = format!("race{i}-start");
    mqtt.set_client_id(&first).unwrap();
    let sent = Arc::new(Mutex::new(None::<String>));
    let record = sent.clone();
    mqtt.set_event_handler(Some(Arc::new(move |e: &mut Event| {
        if let Event::Log(l) = e {
            if let Some(id) = connect_client_id(&l.message) {
                *record.lock().unwrap() = Some(id);
            }
        }
    })));

    let go = Arc::new(Barrier::new(2));
    let stop = Arc::new(AtomicBool::new(false));
    let setter = {
        let (mqtt, go, stop) = (mqtt.clone(), go.clone(), stop.clone());
        std::thread::spawn(move || {
            go.wait();
            let mut last_ok = None;
            let mut k = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let id = format!("race{i}-{k}");
                k += 1;
                match mqtt.set_client_id(&id) {
                    Ok(()) => last_ok = Some(id),
                    Err(e) => {
                        assert_eq!(e.code, code::BAD_STATE, "{}", e.message);
                        break;
                    }
                }
            }
            last_ok
        })
    };
    go.wait();
    let connected = mqtt.connect();
    stop.store(true, Ordering::SeqCst);
    let last_ok = setter.join().unwrap().unwrap_or(first);
    connected.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = loop {
        if let Some(id) = sent.lock().unwrap().clone() {
            break id;
        }
        assert!(
            Instant::now() < deadline,
            "no Log event announced the CONNECT"
        );
        mqtt.do_events().unwrap();
    };
    mqtt.disconnect().unwrap();
    (last_ok, seen)
}

#[test]
fn scenario_connect_setter_race() {
    let b = broker();
    let rounds = std::env::var("FERROMQ_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000usize);
    let mut lost = Vec::new();
    for i in 0..rounds {
        let (set, sent) = round(&b, i);
        if set != sent {
            lost.push(format!(
                "round {i}: ClientId \"{set}\" was accepted, the CONNECT carried \"{sent}\""
            ));
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {rounds} rounds lost a setter's value:\n{}",
        lost.len(),
        lost.join("\n")
    );
}
