//! AutoReconnect against a mosquitto of the test's own, stopped and restarted under the client.

use crate::common;
use crate::common::private_broker;

use common::{unique, Client};
use ferromq::{code, Event};
use private_broker::PrivateBroker;
use std::time::Duration;

fn reconnecting_client(port: u16) -> Client {
    let c = Client::new();
    c.mqtt.config("AutoReconnect=true").unwrap();
    c.mqtt.config("ReconnectMinDelay=100").unwrap();
    c.mqtt.config("ReconnectMaxDelay=400").unwrap();
    c.mqtt.connect_to("127.0.0.1", port as i32).unwrap();
    c
}

fn count(c: &Client, pick: impl Fn(&Event) -> bool) -> usize {
    c.events.lock().unwrap().iter().filter(|e| pick(e)).count()
}

#[test]
fn scenario_auto_reconnect() {
    let mut broker = PrivateBroker::start("");
    let c = reconnecting_client(broker.port);
    let topic = unique("reconnect");
    c.mqtt.subscribe(&topic, 1).unwrap();

    broker.kill();
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    assert!(!c.mqtt.connected());
    for i in 0..3 {
        c.mqtt
            .publish_message(&topic, 1, &format!("while away {i}"))
            .unwrap();
    }
    broker.restart();

    // The server lost the session (no persistence): the subscription is made again and the
    // three messages come back through it.
    let got = c.messages_in(3);
    let texts: Vec<String> = got
        .iter()
        .map(|m| String::from_utf8_lossy(&m.message).into_owned())
        .collect();
    assert_eq!(texts, vec!["while away 0", "while away 1", "while away 2"]);
    assert!(c.mqtt.connected());
    assert!(
        count(
            &c,
            |e| matches!(e, Event::Log(l) if l.log_type == "Reconnect")
        ) >= 2
    );
    assert_eq!(
        count(
            &c,
            |e| matches!(e, Event::Connected(x) if x.status_code == 0)
        ),
        2
    );

    // A Disconnect of the application's own is final.
    c.mqtt.disconnect().unwrap();
    c.pump(Duration::from_millis(600));
    assert!(!c.mqtt.connected());
}

#[test]
fn keeps_trying_with_backoff_until_the_broker_returns() {
    let mut broker = PrivateBroker::start("");
    let c = reconnecting_client(broker.port);
    broker.kill();
    // Several failed attempts (each reported as a failed Connected), then success.
    c.wait_for(3, |e| match e {
        Event::Connected(x) if x.status_code != 0 => Some(()),
        _ => None,
    });
    broker.restart();
    let ok = c.wait_for(2, |e| match e {
        Event::Connected(x) if x.status_code == 0 => Some(()),
        _ => None,
    });
    assert_eq!(ok.len(), 2);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn the_offline_queue_is_bounded_and_says_so() {
    let mut broker = PrivateBroker::start("");
    let c = reconnecting_client(broker.port);
    c.mqtt.config("OfflineQueueLimit=2").unwrap();
    broker.kill();
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    let topic = unique("offline");
    c.mqtt.publish_message(&topic, 1, "a").unwrap();
    c.mqtt.publish_message(&topic, 1, "b").unwrap();
    let e = c.mqtt.publish_message(&topic, 1, "c").unwrap_err();
    assert_eq!(e.code, code::NOT_CONNECTED, "{e}");
    assert!(e.message.contains("OfflineQueueLimit"), "{e}");
    // Disconnect gives up on the queued two, and says so.
    c.mqtt.disconnect().unwrap();
    let errors = c.wait_for(1, |e| match e {
        Event::Error(x) if x.description.contains("discarded") => Some(x.description.clone()),
        _ => None,
    });
    assert!(errors.iter().any(|d| d.contains("2 message")), "{errors:?}");
}

#[test]
fn without_auto_reconnect_a_lost_connection_stays_lost() {
    let mut broker = PrivateBroker::start("");
    let c = Client::new();
    c.mqtt.connect_to("127.0.0.1", broker.port as i32).unwrap();
    broker.kill();
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    broker.restart();
    c.pump(Duration::from_millis(800));
    assert!(!c.mqtt.connected());
    let e = c.mqtt.publish_message("t", 1, "x").unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST);
}
