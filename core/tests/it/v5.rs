//! MQTT 5.0 behaviour against real mosquitto: reason codes, will on DISCONNECT 0x04, server
//! DISCONNECT, shared subscriptions, subscription options and identifiers, topic aliases,
//! Receive Maximum, Maximum Packet Size.

use crate::common;

use common::{broker, unique, Client};
use ferromq::{code, Event, Mqtt};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn v5() -> Client {
    Client::connected(1)
}

fn payloads(c: &Client) -> Vec<String> {
    c.events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::MessageIn(m) => Some(String::from_utf8_lossy(&m.message).into_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn scenario_v5_will_reason_4() {
    let b = broker();
    let watcher = v5();
    let topic = unique("will4");
    watcher.mqtt.subscribe(&topic, 1).unwrap();
    let m = Mqtt::new();
    m.set_version(1).unwrap();
    m.set_will_topic(&topic).unwrap();
    m.set_will_message("asked for").unwrap();
    m.connect_to(&b.host, b.port).unwrap();
    m.config("DisconnectReasonCode=4").unwrap();
    m.disconnect().unwrap();
    let got = watcher.messages_in(1);
    assert_eq!(&got[0].message[..], b"asked for");
}

#[test]
fn scenario_v5_server_disconnect_reason() {
    let c = v5();
    // A PUBLISH to "a/#" (a wildcard in a topic name), sent raw: the server answers with
    // DISCONNECT and a reason code.
    c.mqtt
        .config("SendCustomPacket=3006 0003 612F23 00")
        .unwrap();
    let gone = c.wait_for(1, |e| match e {
        Event::Disconnected(d) => Some(d.clone()),
        _ => None,
    });
    let reason: i32 = c
        .mqtt
        .config("DisconnectReasonCode")
        .unwrap()
        .parse()
        .unwrap();
    assert!(reason >= 0x80, "reason {reason}");
    assert_eq!(gone[0].status_code, code::PROTOCOL);
    assert!(
        gone[0].description.contains(&format!("0x{reason:02X}")),
        "{:?}",
        gone[0]
    );
}

#[test]
fn scenario_shared_subscription() {
    let group = format!("g{}", fastrand::u32(..));
    let topic = unique("shared");
    let a = v5();
    let b = v5();
    for c in [&a, &b] {
        c.mqtt
            .subscribe(&format!("$share/{group}/{topic}"), 1)
            .unwrap();
    }
    let p = v5();
    for i in 0..40 {
        p.mqtt.publish_message(&topic, 1, &i.to_string()).unwrap();
    }
    p.wait_for(40, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    a.pump(Duration::from_millis(300));
    b.pump(Duration::from_millis(300));
    let (na, nb) = (payloads(&a).len(), payloads(&b).len());
    assert_eq!(na + nb, 40, "each message reaches exactly one member");
    assert!(na > 0 && nb > 0, "both members get some: {na} / {nb}");
}

#[test]
fn scenario_v5_subscription_options() {
    let c = v5();
    let topic = unique("options");
    // Retained message first: Retain Handling 2 must not send it.
    c.mqtt.config("Retain=true").unwrap();
    c.mqtt.publish_message(&topic, 1, "retained").unwrap();
    c.mqtt.config("Retain=false").unwrap();
    c.mqtt.config("TopicNLArray=true").unwrap();
    c.mqtt.config("TopicRHArray=2").unwrap();
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.mqtt.publish_message(&topic, 1, "own").unwrap();
    c.wait_for(2, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    c.pump(Duration::from_millis(300));
    assert!(payloads(&c).is_empty(), "{:?}", payloads(&c));
    // Clear the retained message.
    c.mqtt.config("Retain=true").unwrap();
    c.mqtt.publish_message(&topic, 1, "").unwrap();
}

#[test]
fn scenario_v5_message_properties() {
    let c = v5();
    let topic = unique("subid");
    c.mqtt.config("SubscriptionIdentifier=77").unwrap();
    c.mqtt.subscribe(&topic, 2).unwrap();
    c.mqtt.config("SubscriptionIdentifier=-1").unwrap();
    let seen = Arc::new(Mutex::new(None));
    let (s, weak, log) = (seen.clone(), c.mqtt.downgrade(), c.events.clone());
    c.mqtt
        .set_event_handler(Some(Arc::new(move |ev: &mut Event| {
            log.lock().unwrap().push(ev.clone());
            if let Event::MessageAck(a) = ev {
                if a.direction == 1 {
                    let m = weak.upgrade().unwrap();
                    *s.lock().unwrap() = m.incoming_messages().get(a.index as usize).cloned();
                }
            }
        })));
    c.mqtt
        .config(r#"OutgoingMessageProperties={"ContentType":"text/plain","ResponseTopic":"reply/here","CorrelationData":"c0ffee","MessageExpInterval":"300","PayloadFormatIndicator":"1","UserProperty":"who:me"}"#)
        .unwrap();
    c.mqtt
        .publish_message(&topic, 2, "with properties")
        .unwrap();
    c.messages_in(1);
    let m = seen
        .lock()
        .unwrap()
        .clone()
        .expect("the message during its MessageAck");
    assert_eq!(m.subscription_identifiers, "77");
    assert_eq!(m.content_type, "text/plain");
    assert_eq!(m.response_topic, "reply/here");
    assert_eq!(m.correlation_data.to_lowercase(), "c0ffee");
    assert_eq!(m.payload_format_indicator, 1);
    assert!(m.message_exp_interval > 0 && m.message_exp_interval <= 300);
    assert_eq!(c.mqtt.config("IncomingUserPropCount").unwrap(), "1");
    assert_eq!(c.mqtt.config("IncomingUserPropName[0]").unwrap(), "who");
    assert_eq!(c.mqtt.config("IncomingUserPropValue[0]").unwrap(), "me");
}

#[test]
fn scenario_v5_topic_alias() {
    let c = v5();
    let topic = unique("alias");
    c.mqtt.subscribe(&topic, 1).unwrap();
    let max: i32 = c
        .mqtt
        .config("ServerTopicAliasMax")
        .unwrap()
        .parse()
        .unwrap();
    assert!(max > 0, "mosquitto accepts topic aliases");
    c.mqtt.config("TopicAlias=1").unwrap();
    c.mqtt.publish_message(&topic, 1, "first").unwrap();
    c.mqtt.publish_message("", 1, "by alias").unwrap();
    let got = c.messages_in(2);
    assert_eq!(got[1].topic, topic);
    assert_eq!(&got[1].message[..], b"by alias");
}

#[test]
fn scenario_v5_receive_maximum() {
    let c = v5();
    let topic = unique("burst");
    c.mqtt.subscribe(&topic, 1).unwrap();
    let connack = c.mqtt.config("ConnAckProperties").unwrap();
    assert!(connack.contains("ReceiveMaximum"), "{connack}");
    for i in 0..300 {
        c.mqtt.publish_message(&topic, 2, &i.to_string()).unwrap();
    }
    let got = c.messages_in(300);
    assert_eq!(got.len(), 300);
    assert!(
        c.mqtt.connected(),
        "mosquitto disconnects a client that exceeds it"
    );
}

#[test]
fn scenario_v5_maximum_packet_size() {
    let b = broker();
    let c = Client::new();
    c.mqtt.set_version(1).unwrap();
    c.mqtt
        .config(r#"ConnectProperties={"MaximumPacketSize":"1000"}"#)
        .unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    let topic = unique("maxsize");
    c.mqtt.subscribe(&topic, 1).unwrap();
    // Another client sends one small and one large message: the server must not pass the
    // large one to a client that announced 1000 bytes.
    let p = v5();
    p.mqtt.publish_data(&topic, 1, vec![1u8; 10]).unwrap();
    p.mqtt.publish_data(&topic, 1, vec![2u8; 5000]).unwrap();
    p.wait_for(2, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    c.pump(Duration::from_millis(300));
    let sizes: Vec<usize> = c
        .events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::MessageIn(m) => Some(m.message.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, vec![10]);
    assert!(c.mqtt.connected());
}
