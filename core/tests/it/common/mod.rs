//! What the integration tests share: the harness's brokers and an event recorder.
#![allow(dead_code)]

pub mod private_broker;
pub mod relay;

use ferromq::{Event, Mqtt};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A broker started by tests/harness (run the tests through `make test` or
/// `tests/harness/with-brokers cargo test`).
pub struct Broker {
    pub host: String,
    pub port: i32,
    pub auth_port: i32,
    pub user: String,
    pub password: String,
    pub closed_port: i32,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run these tests with `make test` or `tests/harness/with-brokers cargo test`")
    })
}

pub fn broker() -> Broker {
    Broker {
        host: var("FERROMQ_TEST_HOST"),
        port: var("FERROMQ_TEST_PORT").parse().unwrap(),
        auth_port: var("FERROMQ_TEST_AUTH_PORT").parse().unwrap(),
        user: var("FERROMQ_TEST_USER"),
        password: var("FERROMQ_TEST_PASSWORD"),
        closed_port: var("FERROMQ_TEST_CLOSED_PORT").parse().unwrap(),
    }
}

/// A topic no other test (or parallel run) uses.
pub fn unique(prefix: &str) -> String {
    format!(
        "ferromq/test/{prefix}/{}/{}",
        std::process::id(),
        fastrand::u64(..)
    )
}

/// A client whose events are recorded in order.
pub struct Client {
    pub mqtt: Mqtt,
    pub events: Arc<Mutex<Vec<Event>>>,
}

impl Client {
    pub fn new() -> Client {
        let mqtt = Mqtt::new();
        let events = Arc::new(Mutex::new(Vec::new()));
        let log = events.clone();
        mqtt.set_event_handler(Some(Arc::new(move |e: &mut Event| {
            log.lock().unwrap().push(e.clone());
        })));
        mqtt.set_timeout(10).unwrap();
        Client { mqtt, events }
    }

    pub fn connected(version: i32) -> Client {
        let c = Client::new();
        let b = broker();
        c.mqtt.set_version(version).unwrap();
        c.mqtt.connect_to(&b.host, b.port).unwrap();
        c
    }

    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.events.lock().unwrap())
    }

    /// Fire events until `count` of those `pick` selects have arrived (10 s at most).
    pub fn wait_for<T>(&self, count: usize, pick: impl Fn(&Event) -> Option<T>) -> Vec<T> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got: Vec<T> = self
                .events
                .lock()
                .unwrap()
                .iter()
                .filter_map(&pick)
                .collect();
            if got.len() >= count || Instant::now() >= deadline {
                return got;
            }
            self.mqtt.do_events().unwrap();
        }
    }

    /// Fire events for `d`, for checks that something does NOT arrive.
    pub fn pump(&self, d: Duration) {
        let end = Instant::now() + d;
        while Instant::now() < end {
            self.mqtt.do_events().unwrap();
        }
    }

    pub fn messages_in(&self, count: usize) -> Vec<ferromq::MessageEvent> {
        self.wait_for(count, |e| match e {
            Event::MessageIn(m) => Some(m.clone()),
            _ => None,
        })
    }
}

/// A `/proc/self/status` figure in KiB (`"VmRSS:"`, `"VmHWM:"`), 0 if absent.
pub fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
