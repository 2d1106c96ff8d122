//! Config settings whose effect only a broker can show: ConnectionTimeout, OutgoingUserProp*,
//! TopicRAPArray, WillProperties (WillDelayInterval), SessionExpInterval.

use crate::common;

use common::{broker, unique, Client};
use ferromq::{code, Event, Mqtt};
use std::time::{Duration, Instant};

#[test]
fn connection_timeout_bounds_the_connect_apart_from_timeout() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port() as i32;
    let m = Mqtt::new();
    m.set_timeout(30).unwrap();
    m.config("ConnectionTimeout=1").unwrap();
    let t = Instant::now();
    let e = m.connect_to("127.0.0.1", port).unwrap_err();
    assert_eq!(e.code, code::TIMEOUT, "{e}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    drop(l);
}

#[test]
fn outgoing_user_properties_arrive_as_incoming_ones() {
    let c = Client::connected(1);
    let topic = unique("userprops");
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.mqtt.config("OutgoingUserPropCount=2").unwrap();
    c.mqtt.config("OutgoingUserPropName[0]=site").unwrap();
    c.mqtt.config("OutgoingUserPropValue[0]=north").unwrap();
    c.mqtt.config("OutgoingUserPropName[1]=unit").unwrap();
    c.mqtt.config("OutgoingUserPropValue[1]=7").unwrap();
    c.mqtt.publish_message(&topic, 1, "x").unwrap();
    c.messages_in(1);
    assert_eq!(c.mqtt.config("IncomingUserPropCount").unwrap(), "2");
    assert_eq!(c.mqtt.config("IncomingUserPropName[1]").unwrap(), "unit");
    assert_eq!(c.mqtt.config("IncomingUserPropValue[1]").unwrap(), "7");
}

#[test]
fn retain_as_published_keeps_the_retain_flag_on_live_messages() {
    let topic = unique("rap");
    let keep = Client::connected(1);
    keep.mqtt.config("TopicRAPArray=true").unwrap();
    keep.mqtt.subscribe(&topic, 1).unwrap();
    let plain = Client::connected(1);
    plain.mqtt.subscribe(&topic, 1).unwrap();
    let p = Client::connected(1);
    p.mqtt.config("Retain=true").unwrap();
    p.mqtt.publish_message(&topic, 1, "live").unwrap();
    assert!(keep.messages_in(1)[0].retained, "Retain As Published");
    assert!(
        !plain.messages_in(1)[0].retained,
        "the default clears it on live messages"
    );
    p.mqtt.publish_message(&topic, 1, "").unwrap();
    p.wait_for(2, |e| matches!(e, Event::MessageOut(_)).then_some(()));
}

#[test]
fn will_delay_interval_holds_the_will_back() {
    let b = broker();
    let watcher = Client::connected(1);
    let topic = unique("willdelay");
    watcher.mqtt.subscribe(&topic, 1).unwrap();
    let m = Mqtt::new();
    m.set_version(1).unwrap();
    m.set_will_topic(&topic).unwrap();
    m.set_will_message("late").unwrap();
    m.config("SessionExpInterval=10").unwrap();
    m.config(r#"WillProperties={"WillDelayInterval":"2","ContentType":"text/plain"}"#)
        .unwrap();
    m.connect_to(&b.host, b.port).unwrap();
    let cut = Instant::now();
    drop(m);
    let got = watcher.messages_in(1);
    assert_eq!(got.len(), 1);
    assert!(
        cut.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        cut.elapsed()
    );
}

#[test]
fn session_exp_interval_keeps_the_session_across_a_disconnect() {
    let b = broker();
    let id = format!("ferromq-sei-{}", fastrand::u64(..));
    let topic = unique("sei");
    let c = Client::new();
    c.mqtt.set_version(1).unwrap();
    c.mqtt.set_client_id(&id).unwrap();
    c.mqtt.set_clean_session(false).unwrap();
    c.mqtt.config("SessionExpInterval=60").unwrap();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.mqtt.disconnect().unwrap();
    // Published while we are away: the server keeps it in our session.
    let p = Client::connected(1);
    p.mqtt.publish_message(&topic, 1, "kept for you").unwrap();
    p.wait_for(1, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    assert_eq!(c.mqtt.config("SessionPresent").unwrap(), "True");
    assert_eq!(&c.messages_in(1)[0].message[..], b"kept for you");
    // End the session on the way out.
    c.mqtt.config("SessionExpInterval=0").unwrap();
    c.mqtt.disconnect().unwrap();
}
