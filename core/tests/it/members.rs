//! The documented members beyond the skeleton (issue 3) against real mosquitto: LocalHost
//! and LocalPort, ReadyToSend, the message collections, Interrupt, Reset, the Will.

use crate::common;

use common::{broker, unique, Client};
use ferromq::{code, Event, Mqtt, MqttMessage};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn scenario_local_host_and_port() {
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
fn scenario_would_block_ready_to_send() {
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
    c.wait_for(2, |e| matches!(e, Event::ReadyToSend).then_some(()));
    assert!(
        c.mqtt.ready_to_send(),
        "true once the ReadyToSend event is given out"
    );
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
fn scenario_collections_in_message_ack() {
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
fn scenario_interrupt_from_thread() {
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
fn scenario_interrupt_from_handler() {
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
fn scenario_reset_defaults() {
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
fn scenario_will_on_cut() {
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

#[test]
fn scenario_properties_locked_while_connected() {
    let c = Client::connected(0);
    let m = &c.mqtt;
    assert_eq!(
        m.set_remote_port(1884).unwrap_err().code,
        code::REMOTE_PORT_LOCKED
    );
    assert_eq!(
        m.set_remote_host("h").unwrap_err().code,
        code::REMOTE_HOST_LOCKED
    );
    assert_eq!(
        m.set_local_port(1).unwrap_err().code,
        code::LOCAL_PORT_LOCKED
    );
    assert_eq!(
        m.set_local_host("h").unwrap_err().code,
        code::LOCAL_HOST_LOCKED
    );
    let state = code::BAD_STATE;
    assert_eq!(m.set_client_id("x").unwrap_err().code, state);
    assert_eq!(m.set_clean_session(false).unwrap_err().code, state);
    assert_eq!(m.set_keep_alive_interval(5).unwrap_err().code, state);
    assert_eq!(m.set_user("u").unwrap_err().code, state);
    assert_eq!(m.set_password("p").unwrap_err().code, state);
    assert_eq!(m.set_version(1).unwrap_err().code, state);
    assert_eq!(m.set_will_topic("w").unwrap_err().code, state);
    let e = m.set_will_message("w").unwrap_err();
    assert_eq!(e.code, state);
    assert!(e.message.contains("WillMessage"), "{e}");
    m.disconnect().unwrap();
    m.set_remote_port(1884).unwrap();
    m.set_local_port(0).unwrap();
    m.set_client_id("x").unwrap();
    m.set_will_message("w").unwrap();
}

#[test]
fn scenario_connected_property() {
    let b = broker();
    let c = Client::new();
    c.mqtt.set_remote_host(&b.host).unwrap();
    c.mqtt.set_remote_port(b.port).unwrap();
    c.mqtt.set_connected(true).unwrap();
    assert!(c.mqtt.connected());
    c.mqtt.set_connected(false).unwrap();
    assert!(!c.mqtt.connected());
    let names: Vec<&str> = c
        .take()
        .iter()
        .map(|e| e.name())
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    assert!(
        names.contains(&"Connected") && names.contains(&"Disconnected"),
        "{names:?}"
    );
}

#[test]
fn scenario_timeout_expires() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port() as i32;
    let m = Mqtt::new();
    m.set_timeout(1).unwrap();
    let started = Instant::now();
    let e = m.connect_to("127.0.0.1", port).unwrap_err();
    assert_eq!(e.code, code::TIMEOUT, "{e}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(!m.connected());
    drop(l);
}

#[test]
fn scenario_events_fields() {
    let b = broker();
    let c = Client::new();
    c.mqtt.config("LogLevel=3").unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    c.mqtt.disconnect().unwrap();
    let ev = c.take();
    let status: Vec<String> = ev
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionStatus(s) => Some(s.connection_event.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        status,
        vec![
            "Remote host connection complete",
            "Remote host disconnected"
        ]
    );
    let packets: Vec<String> = ev
        .iter()
        .filter_map(|e| match e {
            Event::Log(l) if l.log_type == "Packet" => Some(l.message.clone()),
            _ => None,
        })
        .collect();
    assert!(packets.iter().any(|l| l.contains("CONNECT")), "{packets:?}");
    assert!(packets.iter().any(|l| l.contains("CONNACK")), "{packets:?}");
    for e in &ev {
        match e {
            Event::Connected(x) => assert_eq!((x.status_code, x.description.as_str()), (0, "OK")),
            Event::Disconnected(x) => {
                assert_eq!((x.status_code, x.description.as_str()), (0, "OK"))
            }
            _ => {}
        }
    }

    // LogLevel 0: no Log events at all.
    let quiet = Client::new();
    quiet.mqtt.config("LogLevel=0").unwrap();
    quiet.mqtt.connect_to(&b.host, b.port).unwrap();
    quiet.mqtt.disconnect().unwrap();
    assert!(!quiet.take().iter().any(|e| matches!(e, Event::Log(_))));
}

#[test]
fn scenario_error_codes() {
    let b = broker();
    let c = Client::connected(0);
    let e = c.mqtt.connect_to(&b.host, b.port).unwrap_err();
    assert_eq!(e.code, code::ALREADY_CONNECTED, "{e}");
    let e = c.mqtt.subscribe("a/#/b", 0).unwrap_err();
    assert_eq!(e.code, code::INVALID_TOPIC_FILTER, "{e}");
    assert!(e.message.contains("a/#/b"), "{e}");
    let e = c.mqtt.subscribe("a/b", 3).unwrap_err();
    assert_eq!(e.code, code::INVALID_QOS, "{e}");
    c.mqtt.disconnect().unwrap();
    let e = c.mqtt.publish_message("a", 0, "x").unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST, "{e}");
    let e = c.mqtt.subscribe("a", 0).unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST, "{e}");

    // The server drops us when another client takes our ClientId.
    let id = format!("ferromq-takeover-{}", fastrand::u64(..));
    let first = Client::new();
    first.mqtt.set_client_id(&id).unwrap();
    first.mqtt.connect_to(&b.host, b.port).unwrap();
    let second = Client::new();
    second.mqtt.set_client_id(&id).unwrap();
    second.mqtt.connect_to(&b.host, b.port).unwrap();
    let gone = first.wait_for(1, |e| match e {
        Event::Disconnected(d) => Some(d.status_code),
        _ => None,
    });
    assert_eq!(gone, vec![code::DROPPED]);
    assert!(first
        .take()
        .iter()
        .any(|e| matches!(e, Event::Error(x) if x.error_code == code::DROPPED)));
    second.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_client_id_generation() {
    let b = broker();
    let c = Client::new();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    let id = c.mqtt.client_id();
    assert!(!id.is_empty());
    assert_eq!(
        c.mqtt.config("SessionPresent").unwrap().to_lowercase(),
        "false"
    );
    c.mqtt.disconnect().unwrap();

    let c = Client::new();
    c.mqtt.set_clean_session(false).unwrap();
    let e = c.mqtt.connect_to(&b.host, b.port).unwrap_err();
    assert!(e.message.contains("ClientId"), "{e}");
    assert!(!c.mqtt.connected());
    assert!(
        !c.take()
            .iter()
            .any(|e| matches!(e, Event::ConnectionStatus(_))),
        "nothing was sent"
    );
}

#[test]
fn scenario_retain_and_clear() {
    let b = broker();
    let topic = unique("retain");
    let p = Client::connected(0);
    p.mqtt.config("Retain=true").unwrap();
    p.mqtt.publish_message(&topic, 1, "kept").unwrap();
    p.wait_for(1, |e| matches!(e, Event::MessageOut(_)).then_some(()));

    let late = Client::connected(0);
    late.mqtt.subscribe(&topic, 1).unwrap();
    let got = late.messages_in(1);
    assert_eq!(&got[0].message[..], b"kept");
    assert!(got[0].retained);
    late.mqtt.disconnect().unwrap();

    p.mqtt.publish_message(&topic, 1, "").unwrap();
    p.wait_for(2, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    let later = Client::connected(0);
    later.mqtt.subscribe(&topic, 1).unwrap();
    later.pump(Duration::from_millis(300));
    assert!(!later
        .take()
        .iter()
        .any(|e| matches!(e, Event::MessageIn(_))));
    let _ = b;
}

#[test]
fn scenario_duplicate_and_packet_id() {
    let c = Client::connected(0);
    let topic = unique("dup");
    c.mqtt.config("Duplicate=true").unwrap();
    c.mqtt.publish_message(&topic, 1, "again").unwrap();
    let id: i32 = c.mqtt.config("OutgoingPacketId").unwrap().parse().unwrap();
    let out = c.wait_for(1, |e| match e {
        Event::MessageOut(m) => Some(m.clone()),
        _ => None,
    });
    assert!(out[0].duplicate);
    assert_eq!(out[0].packet_id, id);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_reentrant_handlers() {
    let b = broker();
    let c = Client::new();
    let topic = unique("reentrant");
    let echoed = format!("{topic}/echo");
    let weak = c.mqtt.downgrade();
    let (t, e) = (topic.clone(), echoed.clone());
    let log = c.events.clone();
    c.mqtt
        .set_event_handler(Some(Arc::new(move |ev: &mut Event| {
            // Recorded first: the nested calls may fire further events on this thread.
            log.lock().unwrap().push(ev.clone());
            let me = weak.upgrade().unwrap();
            match ev {
                Event::Connected(x) if x.status_code == 0 => {
                    me.subscribe(&format!("{t},{e}"), 1).unwrap();
                }
                Event::MessageIn(m) if m.topic == t => {
                    me.publish_data(&e, 1, m.message.clone()).unwrap();
                }
                Event::MessageAck(a) if a.direction == 1 && me.connected() => {
                    // The echo's own acknowledgement ends the conversation.
                    let echo_acked = me.incoming_messages().iter().any(|x| x.topic == e);
                    if echo_acked {
                        me.disconnect().unwrap();
                    }
                }
                _ => {}
            }
        })));
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    c.mqtt.publish_message(&topic, 1, "ping").unwrap();
    let gone = c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    assert_eq!(gone.len(), 1, "disconnect from MessageAck");
    let ins: Vec<String> = c
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::MessageIn(m) => Some(m.topic),
            _ => None,
        })
        .collect();
    assert!(ins.contains(&topic) && ins.contains(&echoed), "{ins:?}");
}

#[test]
fn scenario_config_walk() {
    let m = Mqtt::new();
    let mqtt_group: Vec<_> = ferromq::component::config::settings()
        .iter()
        .filter(|s| s.group == "mqtt")
        .collect();
    assert!(mqtt_group.len() >= 35, "{} settings", mqtt_group.len());
    for s in &mqtt_group {
        m.config(s.name)
            .unwrap_or_else(|e| panic!("{} does not answer: {e}", s.name));
    }
    let e = m.config("NoSuchThing").unwrap_err();
    assert!(e.message.contains("NoSuchThing"), "{e}");
    let e = m.config("SessionPresent=true").unwrap_err();
    assert!(e.message.contains("SessionPresent"), "{e}");
    for (word, want) in [
        ("True", "True"),
        ("no", "False"),
        ("1", "True"),
        ("FALSE", "False"),
        ("YES", "True"),
        ("0", "False"),
    ] {
        m.config(&format!("Retain={word}")).unwrap();
        assert_eq!(m.config("Retain").unwrap(), want, "Retain={word}");
    }
    let e = m.config("LogLevel=7").unwrap_err();
    assert!(
        e.message.contains('7') && e.message.contains("LogLevel"),
        "{e}"
    );
}

#[test]
fn scenario_send_custom_packet() {
    let c = Client::connected(0);
    c.mqtt.config("LogLevel=3").unwrap();
    c.mqtt.config("SendCustomPacket=C000").unwrap();
    let got = c.wait_for(1, |e| match e {
        Event::Log(l) if l.log_type == "Packet" && l.message.contains("PINGRESP") => Some(()),
        _ => None,
    });
    assert_eq!(got.len(), 1, "the custom PINGREQ was answered");
    for bad in ["C00", "ZZ00"] {
        let e = c
            .mqtt
            .config(&format!("SendCustomPacket={bad}"))
            .unwrap_err();
        assert!(e.message.contains(bad), "{e}");
    }
    assert!(c.mqtt.connected());
    c.mqtt.disconnect().unwrap();
    let e = c.mqtt.config("SendCustomPacket=C000").unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST, "{e}");
}

#[test]
fn v5_settings_reach_the_wire_and_come_back() {
    let c = Client::new();
    let b = broker();
    c.mqtt.set_version(1).unwrap();
    c.mqtt.config("SessionExpInterval=30").unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    let connack = c.mqtt.config("ConnAckProperties").unwrap();
    assert!(connack.contains("ReceiveMaximum"), "{connack}");
    let topic = unique("v5props");
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.mqtt
        .config(r#"OutgoingMessageProperties={"ContentType":"text/plain","CorrelationData":"0a0b","UserProperty":"k:v"}"#)
        .unwrap();
    c.mqtt.publish_message(&topic, 1, "hi").unwrap();
    c.messages_in(1);
    assert_eq!(c.mqtt.config("IncomingUserPropCount").unwrap(), "1");
    assert_eq!(c.mqtt.config("IncomingUserPropName[0]").unwrap(), "k");
    assert_eq!(c.mqtt.config("IncomingUserPropValue[0]").unwrap(), "v");
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_v5_connack_properties() {
    let b = broker();
    let c = Client::new();
    c.mqtt.set_version(1).unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    let id = c.mqtt.client_id();
    assert!(!id.is_empty());
    let connack = c.mqtt.config("ConnAckProperties").unwrap();
    assert!(connack.contains(&id), "{connack}");
    assert!(connack.contains("ReceiveMaximum"), "{connack}");
    c.mqtt.disconnect().unwrap();
}

#[test]
fn interrupt_ends_async_waits_and_frees_the_client_at_once() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port() as i32;
    let m = Mqtt::new();
    m.set_timeout(30).unwrap();
    let rt = ferromq::driver::runtime();
    let pending = rt.spawn(m.connect_to_async("127.0.0.1", port));
    std::thread::sleep(Duration::from_millis(200));
    m.interrupt().unwrap();
    let e = rt.block_on(pending).unwrap().unwrap_err();
    assert_eq!(e.code, code::INTERRUPTED, "{e}");
    // Free again at once: a new connection may start without waiting for the old task.
    let b = broker();
    m.connect_to(&b.host, b.port).unwrap();
    m.reset().unwrap();
    assert!(!m.connected(), "Reset disconnects at once");
    m.set_client_id("free").unwrap();
    drop(l);
}
