//! The Rust face of the documented class beyond the shared scenarios: property defaults and
//! checks, config, push delivery, re-entrant handlers and Timeout 0, against real mosquitto.

use crate::common;

use common::{broker, unique, Client};
use ferromq::{code, Event, Mqtt};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn scenario_properties_defaults() {
    let m = Mqtt::new();
    assert_eq!(m.client_id(), "");
    assert!(m.clean_session());
    assert_eq!(m.keep_alive_interval(), 0);
    assert_eq!(m.remote_port(), 1883);
    assert_eq!(m.version(), 0);
    assert_eq!(m.timeout(), 60);
    assert!(!m.connected());
    assert_eq!(m.user(), "");
    assert_eq!(m.password(), "");
    assert_eq!(m.remote_host(), "");
    assert_eq!(m.local_host(), "");
    assert_eq!(m.local_port(), 0);
    assert_eq!(m.will_topic(), "");
    assert_eq!(m.will_message(), "");
    assert!(!m.ready_to_send());
    assert!(m.incoming_messages().is_empty());
    assert!(m.outgoing_messages().is_empty());

    assert_eq!(
        m.set_remote_port(0).unwrap_err().code,
        code::REMOTE_PORT_ZERO
    );
    let e = m.set_remote_port(70000).unwrap_err();
    assert!(e.message.contains("70000"), "{e}");
    assert_eq!(m.set_version(2).unwrap_err().code, code::INVALID_ARGUMENT);
    assert_eq!(
        m.set_keep_alive_interval(-1).unwrap_err().code,
        code::INVALID_ARGUMENT
    );
    assert_eq!(m.set_timeout(-5).unwrap_err().code, code::INVALID_ARGUMENT);
}

#[test]
fn config_reads_writes_and_refuses() {
    let m = Mqtt::new();
    assert_eq!(m.config("TopicDelimiter").unwrap(), ",");
    m.config("TopicDelimiter=;").unwrap();
    assert_eq!(m.config("topicdelimiter").unwrap(), ";");
    m.config("Retain=Yes").unwrap();
    assert_eq!(m.config("Retain").unwrap().to_lowercase(), "true");
    let e = m.config("NoSuchSetting=1").unwrap_err();
    assert!(e.message.contains("NoSuchSetting"), "{e}");
    let e = m.config("Retain=perhaps").unwrap_err();
    assert!(e.message.contains("perhaps"), "{e}");
    let e = m.config("TopicQOSArray=1,3").unwrap_err();
    assert_eq!(e.code, code::INVALID_QOS, "{e}");
}

#[test]
fn methods_need_a_connection() {
    let m = Mqtt::new();
    assert_eq!(m.subscribe("a", 0).unwrap_err().code, code::CONNECT_FIRST);
    assert_eq!(
        m.publish_message("a", 0, "x").unwrap_err().code,
        code::CONNECT_FIRST
    );
    // Bad input is named before the missing connection.
    assert_eq!(
        m.publish_message("a/#", 0, "x").unwrap_err().code,
        code::INVALID_TOPIC
    );
    assert_eq!(
        m.publish_message("a", 7, "x").unwrap_err().code,
        code::INVALID_QOS
    );
    m.disconnect().unwrap();
}

#[test]
fn already_connected_is_refused() {
    let c = Client::connected(0);
    let b = broker();
    let e = c.mqtt.connect_to(&b.host, b.port).unwrap_err();
    assert_eq!(e.code, code::ALREADY_CONNECTED, "{e}");
    assert_eq!(c.mqtt.set_client_id("x").unwrap_err().code, code::BAD_STATE);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_timeout_zero_events() {
    let c = Client::new();
    let b = broker();
    c.mqtt.set_timeout(0).unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    let connected = c.wait_for(1, |e| match e {
        Event::Connected(x) => Some(x.status_code),
        _ => None,
    });
    assert_eq!(connected, vec![0]);
    assert!(c.mqtt.connected());
    let topic = unique("nonblocking");
    c.mqtt.subscribe(&topic, 0).unwrap();
    c.wait_for(1, |e| matches!(e, Event::Subscribed(_)).then_some(()));
    c.mqtt.publish_message(&topic, 0, "x").unwrap();
    assert_eq!(c.messages_in(1).len(), 1);
    c.mqtt.disconnect().unwrap();
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    assert!(!c.mqtt.connected());
}

#[test]
fn push_mode_delivers_batches_through_the_notifier() {
    let m = Mqtt::new();
    let b = broker();
    let rings = Arc::new(AtomicUsize::new(0));
    let r = rings.clone();
    m.set_event_notifier(Some(Arc::new(move || {
        r.fetch_add(1, Ordering::SeqCst);
    })));
    m.set_timeout(10).unwrap();
    let rt = ferromq::driver::runtime();
    rt.block_on(m.connect_to_async(&b.host, b.port)).unwrap();
    let topic = unique("push");
    rt.block_on(m.subscribe_async(&topic, 2)).unwrap();
    rt.block_on(m.publish_data_async(&topic, 2, bytes::Bytes::from_static(b"pushed")))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while !seen.iter().any(|e| matches!(e, Event::MessageIn(_))) && Instant::now() < deadline {
        seen.extend(m.take_events(64));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        rings.load(Ordering::SeqCst) > 0,
        "the notifier was never called"
    );
    let names: Vec<&str> = seen.iter().map(|e| e.name()).collect();
    assert!(names.contains(&"Connected"), "{names:?}");
    assert!(names.contains(&"Subscribed"), "{names:?}");
    assert!(names.contains(&"MessageIn"), "{names:?}");
    rt.block_on(m.disconnect_async()).unwrap();
}

#[test]
fn scenario_threads_publish() {
    let c = Client::connected(0);
    let topic = unique("threads");
    c.mqtt.subscribe(&topic, 1).unwrap();
    let count = Arc::new(Mutex::new(0));
    std::thread::scope(|s| {
        for t in 0..4 {
            let m = c.mqtt.clone();
            let (topic, count) = (topic.clone(), count.clone());
            s.spawn(move || {
                for i in 0..50 {
                    m.publish_message(&topic, 1, &format!("{t}-{i}")).unwrap();
                    *count.lock().unwrap() += 1;
                }
            });
        }
    });
    assert_eq!(c.messages_in(200).len(), 200);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_destroy_in_flight() {
    let b = broker();
    for qos in [1, 2] {
        let m = Mqtt::new();
        m.set_timeout(10).unwrap();
        m.connect_to(&b.host, b.port).unwrap();
        let topic = unique("drop");
        for i in 0..20 {
            m.publish_message(&topic, qos, &format!("in flight {i}"))
                .unwrap();
        }
        // The handle is the only owner: dropping it ends the connection and frees the
        // engine, whatever is still unacknowledged (valgrind checks this in the C suite).
        let weak = m.downgrade();
        drop(m);
        assert!(weak.upgrade().is_none());
    }
    // Nothing hangs and the machinery serves the next client.
    let c = Client::connected(0);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn keep_alive_pings_the_real_broker() {
    let c = Client::new();
    let b = broker();
    c.mqtt.set_keep_alive_interval(1).unwrap();
    c.mqtt.config("LogLevel=3").unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    c.pump(Duration::from_millis(2500));
    let logs: Vec<String> = c
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Log(l) => Some(l.message),
            _ => None,
        })
        .collect();
    assert!(logs.iter().any(|l| l.contains("PINGREQ")), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("PINGRESP")), "{logs:?}");
    assert!(c.mqtt.connected());
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_password_without_user() {
    let b = broker();
    let c = Client::new();
    c.mqtt.set_password("secret").unwrap();
    let e = c.mqtt.connect_to(&b.host, b.port).unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT, "{e}");
    assert!(e.message.contains("User"), "{e}");
    // 5.0 may carry a password alone; mosquitto's anonymous listener takes it.
    c.mqtt.set_version(1).unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    c.mqtt.disconnect().unwrap();
}

#[test]
fn async_publishes_keep_call_order_however_their_futures_run() {
    let c = Client::connected(0);
    let topic = unique("order");
    c.mqtt.subscribe(&topic, 1).unwrap();
    let rt = ferromq::driver::runtime();
    let futures: Vec<_> = (0..300)
        .map(|i| {
            c.mqtt
                .publish_data_async(&topic, 1, bytes::Bytes::from(i.to_string()))
        })
        .collect();
    // Run them in reverse, each on its own task: the order must still be the call order.
    let tasks: Vec<_> = futures.into_iter().rev().map(|f| rt.spawn(f)).collect();
    for t in tasks {
        rt.block_on(t).unwrap().unwrap();
    }
    let got = c.messages_in(300);
    let order: Vec<String> = got
        .iter()
        .map(|m| String::from_utf8_lossy(&m.message).into_owned())
        .collect();
    let want: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    assert_eq!(order, want);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn topic_delimiter_and_qos_array_shape_one_subscribe() {
    let c = Client::connected(1);
    let base = unique("qosarray");
    c.mqtt.config("TopicDelimiter=;").unwrap();
    c.mqtt.config("TopicQOSArray=0,1,2").unwrap();
    let filters = format!("{base}/zero;{base}/one;{base}/+/two");
    c.mqtt.subscribe(&filters, 0).unwrap();
    let granted = c.wait_for(3, |e| match e {
        Event::Subscribed(s) => Some((s.topic_filter.clone(), s.qos)),
        _ => None,
    });
    assert_eq!(
        granted,
        vec![
            (format!("{base}/zero"), 0),
            (format!("{base}/one"), 1),
            (format!("{base}/+/two"), 2)
        ]
    );
    // A QoS list that does not fit the filters is refused before anything is sent.
    let e = c
        .mqtt
        .subscribe(&format!("{base}/a;{base}/b"), 0)
        .unwrap_err();
    assert!(e.message.contains("TopicQOSArray"), "{e}");
    c.mqtt.unsubscribe(&filters).unwrap();
    let u = c.wait_for(1, |e| match e {
        Event::Unsubscribed(u) => Some(u.topic_filters.clone()),
        _ => None,
    });
    assert_eq!(u, vec![filters]);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_qos2_burst_311() {
    // mosquitto takes 20 unacknowledged QoS 2 publishes from a 3.1.1 client and silently
    // drops the rest: the client must not send more than that unasked.
    let sub = Client::connected(0);
    let topic = unique("burst311");
    sub.mqtt.subscribe(&topic, 2).unwrap();
    let publ = Client::connected(0);
    for i in 0..300 {
        publ.mqtt
            .publish_message(&topic, 2, &i.to_string())
            .unwrap();
    }
    let got = sub.messages_in(300);
    assert_eq!(got.len(), 300);
    let order: Vec<String> = got
        .iter()
        .map(|m| String::from_utf8_lossy(&m.message).into_owned())
        .collect();
    assert_eq!(order, (0..300).map(|i| i.to_string()).collect::<Vec<_>>());
}
