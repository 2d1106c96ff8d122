//! ManualAck against mosquitto: what the application does not acknowledge stays with the
//! broker, which sends it again after a reconnection of the persistent session, and held
//! messages count against our Receive Maximum.

use crate::common;

use common::{broker, unique, Client};
use ferromq::{code, Event};
use std::time::Duration;

/// A consumer with ManualAck on and a persistent session (CleanSession false under 3.1.1,
/// and a Session Expiry Interval under 5.0).
fn consumer(version: i32, client_id: &str, manual_ack: bool) -> Client {
    let c = Client::new();
    c.mqtt.set_version(version).unwrap();
    c.mqtt.set_client_id(client_id).unwrap();
    c.mqtt.set_clean_session(false).unwrap();
    c.mqtt
        .config(&format!(
            "ManualAck={}",
            if manual_ack { "True" } else { "False" }
        ))
        .unwrap();
    if version == 1 {
        c.mqtt.config("SessionExpInterval=300").unwrap();
    }
    c
}

fn connect(c: &Client) {
    let b = broker();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
}

fn payloads(messages: &[ferromq::MessageEvent]) -> Vec<String> {
    messages
        .iter()
        .map(|m| String::from_utf8_lossy(&m.message).into_owned())
        .collect()
}

fn incoming_acks(c: &Client, count: usize) -> Vec<i32> {
    c.wait_for(count, |e| match e {
        Event::MessageAck(a) if a.direction == 1 => Some(a.packet_id),
        _ => None,
    })
}

fn expected(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("m{i}")).collect()
}

/// Ten messages; the first four acknowledged; the connection cut; the six others come
/// again on the next connection of the session, and the four do not. `same_object`: the
/// consumer reconnects itself (carrying its client-side session) instead of a new client
/// taking over the ClientId.
fn redelivery(version: i32, qos: i32, same_object: bool) {
    let what = format!("version {version}, QoS {qos}, same object {same_object}");
    let topic = unique("manual-ack");
    let id = format!("ferromq-manual-ack-{}", fastrand::u64(..));
    let first = consumer(version, &id, true);
    connect(&first);
    first.mqtt.subscribe(&topic, qos).unwrap();

    let publisher = Client::connected(version);
    for i in 0..10 {
        publisher
            .mqtt
            .publish_message(&topic, qos, &format!("m{i}"))
            .unwrap();
    }
    let got = first.messages_in(10);
    assert_eq!(payloads(&got), expected(0..10), "{what}");
    assert!(
        incoming_acks(&first, 0).is_empty(),
        "nothing acknowledged before ack ({what})"
    );
    let listed = first.mqtt.incoming_messages();
    assert_eq!(listed.len(), 10, "{what}");
    let held_state = if qos == 1 { 5 } else { 6 };
    assert!(listed.iter().all(|m| m.state == held_state), "{what}");

    for m in &got[..4] {
        first.mqtt.ack(m.packet_id).unwrap();
    }
    let acked = incoming_acks(&first, 4);
    assert_eq!(
        acked,
        got[..4].iter().map(|m| m.packet_id).collect::<Vec<_>>(),
        "{what}"
    );
    // The last MessageAck's message leaves IncomingMessages when the next event is taken.
    let waiting: Vec<i32> = first
        .mqtt
        .incoming_messages()
        .iter()
        .map(|m| m.packet_id)
        .filter(|id| !acked.contains(id))
        .collect();
    assert_eq!(
        waiting,
        got[4..].iter().map(|m| m.packet_id).collect::<Vec<_>>(),
        "{what}"
    );
    let e = first.mqtt.ack(got[0].packet_id).unwrap_err();
    assert_eq!(e.code, code::BAD_STATE, "{what}: {}", e.message);

    // Cut off with six messages unacknowledged.
    first.mqtt.disconnect().unwrap();
    let e = first.mqtt.ack(got[4].packet_id).unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST, "{what}: {}", e.message);

    let second = if same_object {
        first.take();
        first
    } else {
        drop(first);
        consumer(version, &id, false)
    };
    connect(&second);
    let again = second.messages_in(6);
    second.pump(Duration::from_millis(500));
    let all = second.messages_in(6);
    assert_eq!(payloads(&again), expected(4..10), "{what}");
    assert_eq!(
        all.len(),
        6,
        "nothing more, in particular not m0..m3 ({what})"
    );
    if same_object {
        for m in &again {
            second.mqtt.ack(m.packet_id).unwrap();
        }
        incoming_acks(&second, 6);
    }
    second.mqtt.disconnect().unwrap();

    // The session is now empty at the broker.
    let third = consumer(version, &id, false);
    connect(&third);
    third.pump(Duration::from_millis(300));
    assert!(third.messages_in(0).is_empty(), "{what}");
    // End the session, so the broker does not keep it.
    third.mqtt.disconnect().unwrap();
    let clean = Client::new();
    clean.mqtt.set_version(version).unwrap();
    clean.mqtt.set_client_id(&id).unwrap();
    connect(&clean);
    clean.mqtt.disconnect().unwrap();
}

#[test]
fn unacknowledged_messages_come_again_v311_qos1() {
    redelivery(0, 1, false);
    redelivery(0, 1, true);
}

#[test]
fn unacknowledged_messages_come_again_v311_qos2() {
    redelivery(0, 2, false);
    redelivery(0, 2, true);
}

#[test]
fn unacknowledged_messages_come_again_v5_qos1() {
    redelivery(1, 1, false);
    redelivery(1, 1, true);
}

#[test]
fn unacknowledged_messages_come_again_v5_qos2() {
    redelivery(1, 2, false);
    redelivery(1, 2, true);
}

#[test]
fn held_messages_count_against_receive_maximum() {
    for qos in [1, 2] {
        let topic = unique("manual-ack-rm");
        let c = Client::new();
        c.mqtt.set_version(1).unwrap();
        c.mqtt.config("ManualAck=True").unwrap();
        c.mqtt
            .config(r#"ConnectProperties={"ReceiveMaximum":2}"#)
            .unwrap();
        connect(&c);
        c.mqtt.subscribe(&topic, qos).unwrap();
        let publisher = Client::connected(1);
        for i in 0..4 {
            publisher
                .mqtt
                .publish_message(&topic, qos, &format!("m{i}"))
                .unwrap();
        }
        let first = c.messages_in(2);
        assert_eq!(payloads(&first), expected(0..2), "QoS {qos}");
        // The broker waits for an acknowledgement before sending a third.
        c.pump(Duration::from_millis(500));
        assert_eq!(c.messages_in(2).len(), 2, "QoS {qos}");
        // Both acknowledged (the later first; the PUBACKs/PUBRECs go out in order). Only
        // two remain, so the broker cannot overrun the limit here: mosquitto 2.0.11 sends
        // two more for each PUBACK of the oldest of several in flight (its issue #2301),
        // which a test that acknowledges one at a time would meet as a 0x93 close.
        c.mqtt.ack(first[1].packet_id).unwrap();
        c.mqtt.ack(first[0].packet_id).unwrap();
        let all = c.messages_in(4);
        assert_eq!(payloads(&all), expected(0..4), "QoS {qos}");
        c.mqtt.ack(all[2].packet_id).unwrap();
        c.mqtt.ack(all[3].packet_id).unwrap();
        let acks = incoming_acks(&c, 4);
        assert_eq!(
            acks,
            all.iter().map(|m| m.packet_id).collect::<Vec<_>>(),
            "QoS {qos}"
        );
        assert!(c.mqtt.connected(), "QoS {qos}");
        c.mqtt.disconnect().unwrap();
    }
}

#[test]
fn ack_refusals() {
    let c = Client::new();
    let e = c.mqtt.ack(1).unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST);
    for bad in [0, -1, 65_536] {
        let e = c.mqtt.ack(bad).unwrap_err();
        assert_eq!(e.code, code::INVALID_ARGUMENT);
        assert!(e.message.contains(&bad.to_string()), "{}", e.message);
    }
    c.mqtt.config("ManualAck=True").unwrap();
    connect(&c);
    let e = c.mqtt.ack(17).unwrap_err();
    assert_eq!(e.code, code::BAD_STATE);
    assert!(e.message.contains("17"), "{}", e.message);
    c.mqtt.disconnect().unwrap();
}

/// The cross-language scenario: redelivery of what was not acknowledged, acknowledgements
/// given out of order going out in the order of arrival, and an unknown id refused.
#[test]
fn scenario_manual_ack() {
    redelivery(1, 1, false);

    let topic = unique("manual-ack-order");
    let c = consumer(
        1,
        &format!("ferromq-manual-order-{}", fastrand::u64(..)),
        true,
    );
    connect(&c);
    c.mqtt.subscribe(&topic, 1).unwrap();
    let publisher = Client::connected(1);
    for i in 0..3 {
        publisher
            .mqtt
            .publish_message(&topic, 1, &format!("m{i}"))
            .unwrap();
    }
    let got = c.messages_in(3);
    assert_eq!(payloads(&got), expected(0..3));
    c.mqtt.ack(got[2].packet_id).unwrap();
    c.mqtt.ack(got[1].packet_id).unwrap();
    c.pump(Duration::from_millis(200));
    assert!(incoming_acks(&c, 0).is_empty(), "held behind m0");
    c.mqtt.ack(got[0].packet_id).unwrap();
    let order = incoming_acks(&c, 3);
    assert_eq!(order, got.iter().map(|m| m.packet_id).collect::<Vec<_>>());
    assert_eq!(c.mqtt.ack(60_000).unwrap_err().code, code::BAD_STATE);
    c.mqtt.disconnect().unwrap();
    let clean = Client::new();
    clean.mqtt.set_version(1).unwrap();
    clean.mqtt.set_client_id(&c.mqtt.client_id()).unwrap();
    connect(&clean);
    clean.mqtt.disconnect().unwrap();
}
