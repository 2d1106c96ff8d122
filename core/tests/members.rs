//! The documented members beyond the skeleton (issue 3) against real mosquitto: LocalHost
//! and LocalPort, ReadyToSend, the message collections, Interrupt, Reset, the Will.

mod common;

use common::{broker, unique, Client};
use ferromq::{code, Event, Mqtt, MqttMessage};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn local_host_and_port_bind_and_report() {
    let b = broker();
    let c = Client::new();
    assert_eq!(c.mqtt.local_port(), 0);
    // Take a free port from the system, then ask the client to bind it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port() as i32;
    c.mqtt.set_local_host("127.0.0.1").unwrap();
    c.mqtt.set_local_port(port).unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    assert_eq!(c.mqtt.local_port(), port);
    assert_eq!(c.mqtt.local_host(), "127.0.0.1");
    assert_eq!(
        c.mqtt.set_local_port(1).unwrap_err().code,
        code::LOCAL_PORT_LOCKED
    );
    assert_eq!(
        c.mqtt.set_local_host("::1").unwrap_err().code,
        code::LOCAL_HOST_LOCKED
    );
    assert_eq!(
        c.mqtt.set_remote_port(1).unwrap_err().code,
        code::REMOTE_PORT_LOCKED
    );
    assert_eq!(
        c.mqtt.set_remote_host("x").unwrap_err().code,
        code::REMOTE_HOST_LOCKED
    );
    c.mqtt.disconnect().unwrap();
    assert_eq!(c.mqtt.local_port(), port, "back to the configured value");
    assert_eq!(
        c.mqtt.set_local_port(70000).unwrap_err().code,
        code::INVALID_ARGUMENT
    );

    // Port 0: the system picks one, and LocalPort shows it while connected.
    let c = Client::new();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    assert!(c.mqtt.local_port() > 0);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn ready_to_send_follows_the_connection() {
    let c = Client::new();
    assert!(!c.mqtt.ready_to_send());
    let b = broker();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    assert!(c.mqtt.ready_to_send());
    assert!(c
        .events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, Event::ReadyToSend)));
    c.mqtt.disconnect().unwrap();
    assert!(!c.mqtt.ready_to_send());
}

#[test]
fn would_block_then_ready_to_send_completes_the_message() {
    let c = Client::connected(0);
    let topic = unique("wouldblock");
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.mqtt.set_timeout(0).unwrap();
    // 8 MiB in one go is more than the send buffer holds: accepted, but "would block".
    let big = vec![7u8; 8 * 1024 * 1024];
    let e = c.mqtt.publish_data(&topic, 1, big.clone()).unwrap_err();
    assert_eq!(e.code, code::WOULD_BLOCK, "{e}");
    assert!(!c.mqtt.ready_to_send());
    c.wait_for(1, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    assert!(c.mqtt.ready_to_send());
    let got = c.messages_in(1);
    assert_eq!(
        got[0].message.len(),
        big.len(),
        "the message completed without a resend"
    );
    let ready = c
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::ReadyToSend))
        .count();
    assert!(
        ready >= 2,
        "ReadyToSend after connect and after the backlog drained"
    );
    c.mqtt.disconnect().unwrap();
}

/// What a handler records, read by the test afterwards.
type Shared<T> = Arc<Mutex<Vec<T>>>;

#[test]
fn message_ack_handler_finds_its_message_at_index() {
    let c = Client::connected(1);
    let topic = unique("collections");
    let seen: Shared<(i32, Option<MqttMessage>, usize, usize)> = Arc::default();
    let after: Shared<(i32, Vec<i32>)> = Arc::default();
    let weak = c.mqtt.downgrade();
    let (s, a, log) = (seen.clone(), after.clone(), c.events.clone());
    c.mqtt
        .set_event_handler(Some(Arc::new(move |ev: &mut Event| {
            log.lock().unwrap().push(ev.clone());
            let m = weak.upgrade().unwrap();
            match ev {
                Event::MessageAck(ack) => {
                    let list = if ack.direction == 0 {
                        m.outgoing_messages()
                    } else {
                        m.incoming_messages()
                    };
                    let at = usize::try_from(ack.index)
                        .ok()
                        .and_then(|i| list.get(i).cloned());
                    s.lock().unwrap().push((
                        ack.direction,
                        at,
                        m.incoming_messages().len(),
                        m.outgoing_messages().len(),
                    ));
                }
                Event::MessageIn(e) => {
                    let ids: Vec<i32> = m.incoming_messages().iter().map(|x| x.packet_id).collect();
                    a.lock().unwrap().push((e.packet_id, ids));
                }
                Event::MessageOut(e) => {
                    let ids: Vec<i32> = m.outgoing_messages().iter().map(|x| x.packet_id).collect();
                    a.lock().unwrap().push((e.packet_id, ids));
                }
                _ => {}
            }
        })));
    c.mqtt.subscribe(&topic, 2).unwrap();
    c.mqtt.publish_message(&topic, 2, "exactly once").unwrap();
    c.messages_in(1);
    c.wait_for(1, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for (direction, msg, _, _) in &seen {
        let msg = msg
            .as_ref()
            .expect("the message is at its index during MessageAck");
        assert_eq!(msg.topic, topic);
        assert_eq!(&msg.message[..], b"exactly once");
        assert_eq!(msg.qos, 2);
        // State: 4 = outgoing done, 9 = incoming done.
        assert_eq!(msg.state, if *direction == 0 { 4 } else { 9 });
    }
    let after = after.lock().unwrap().clone();
    assert_eq!(after.len(), 2);
    for (id, listed) in &after {
        assert!(
            !listed.contains(id),
            "message {id} still listed at MessageIn/MessageOut"
        );
    }
    c.mqtt.disconnect().unwrap();
}

#[test]
fn interrupt_from_another_thread_ends_a_blocking_call() {
    // A listener that accepts and never answers: connect would wait its whole Timeout.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port() as i32;
    let m = Mqtt::new();
    m.set_timeout(30).unwrap();
    let other = m.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        other.interrupt().unwrap();
    });
    let started = Instant::now();
    let e = m.connect_to("127.0.0.1", port).unwrap_err();
    assert_eq!(e.code, code::INTERRUPTED, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
    t.join().unwrap();
    drop(l);
    assert!(!m.connected());
}

#[test]
fn interrupt_from_a_handler_disconnects() {
    let c = Client::connected(0);
    let topic = unique("interrupt");
    let weak = c.mqtt.downgrade();
    let log = c.events.clone();
    c.mqtt
        .set_event_handler(Some(Arc::new(move |ev: &mut Event| {
            log.lock().unwrap().push(ev.clone());
            if let Event::Subscribed(_) = ev {
                weak.upgrade().unwrap().interrupt().unwrap();
            }
        })));
    let e = c.mqtt.subscribe(&topic, 1);
    // The SUBACK completes the call and the interrupt ends it: either outcome is allowed,
    // but the connection must end.
    if let Err(e) = e {
        assert_eq!(e.code, code::INTERRUPTED, "{e}");
    }
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    assert!(!c.mqtt.connected());
}

#[test]
fn reset_restores_every_default() {
    let c = Client::connected(0);
    let m = &c.mqtt;
    m.config("Retain=true").unwrap();
    m.config("LogLevel=3").unwrap();
    m.reset().unwrap();
    c.pump(Duration::from_millis(200));
    assert!(!m.connected());
    m.set_client_id("x").unwrap();
    m.set_remote_port(1).unwrap();
    m.set_timeout(5).unwrap();
    m.reset().unwrap();
    assert_eq!(m.client_id(), "");
    assert_eq!(m.remote_port(), 1883);
    assert_eq!(m.remote_host(), "");
    assert_eq!(m.timeout(), 60);
    assert_eq!(m.config("Retain").unwrap().to_lowercase(), "false");
    assert_eq!(m.config("LogLevel").unwrap(), "1");
}

#[test]
fn will_is_published_when_the_connection_is_cut_not_after_disconnect() {
    let b = broker();
    let watcher = Client::connected(0);
    let topic = unique("will");
    watcher.mqtt.subscribe(&topic, 1).unwrap();

    // Disconnect: no will.
    let polite = Mqtt::new();
    polite.set_will_topic(&topic).unwrap();
    polite.set_will_message("polite").unwrap();
    polite.connect_to(&b.host, b.port).unwrap();
    polite.disconnect().unwrap();

    // Dropped while connected: the socket is cut without DISCONNECT, so the will goes out.
    let rude = Mqtt::new();
    rude.set_will_topic(&topic).unwrap();
    rude.set_will_message("cut off").unwrap();
    rude.config("WillQOS=1").unwrap();
    rude.config("WillRetain=true").unwrap();
    rude.connect_to(&b.host, b.port).unwrap();
    drop(rude);

    let got = watcher.messages_in(1);
    watcher.pump(Duration::from_millis(300));
    let all: Vec<_> = watcher
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::MessageIn(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(got.len(), 1);
    assert_eq!(all.len(), 1, "only the cut connection's will: {all:?}");
    assert_eq!(&all[0].message[..], b"cut off");
    assert_eq!(all[0].qos, 1);
    // Clear the retained will.
    watcher.mqtt.config("Retain=true").unwrap();
    watcher.mqtt.publish_message(&topic, 1, "").unwrap();
    watcher.mqtt.disconnect().unwrap();
}
