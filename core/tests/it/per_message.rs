//! Per-message MQTT 5.0 (issue 17) against mosquitto: options given with each publish,
//! acknowledged publishes, the properties of each received message, request/response and
//! the will's properties. The same scenarios run in C, Python and Node.

use crate::common::{broker, unique, Client};
use bytes::Bytes;
use ferromq::codec::Properties;
use ferromq::{code, Event, MessageEvent, Mqtt, PublishOptions};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

fn v5() -> Client {
    Client::connected(1)
}

fn options(qos: i32, properties: Properties) -> PublishOptions {
    PublishOptions {
        qos,
        retain: false,
        properties,
    }
}

/// Every property a client may publish, with values that tell request `i` apart.
fn all_properties(i: usize) -> Properties {
    Properties {
        payload_format_indicator: Some((i % 2) as u8),
        message_expiry_interval: Some(3600 + i as u32),
        content_type: Some(format!("text/x-{i}")),
        response_topic: Some(format!("replies/{i}")),
        // Not UTF-8, and holding a zero: correlation data is bytes.
        correlation_data: Some(Bytes::from(vec![0xff, 0, i as u8])),
        user_properties: vec![
            ("n".into(), i.to_string()),
            ("dup".into(), "first".into()),
            ("dup".into(), "second".into()),
        ],
        ..Properties::default()
    }
}

fn check_received(m: &MessageEvent, i: usize) {
    let mut want = all_properties(i);
    // mosquitto keeps a message expiry counting down: it may arrive a second lower.
    let got_expiry = m.properties.message_expiry_interval.unwrap();
    assert!(
        got_expiry <= want.message_expiry_interval.unwrap()
            && got_expiry + 5 >= want.message_expiry_interval.unwrap()
    );
    want.message_expiry_interval = Some(got_expiry);
    let mut got = (*m.properties).clone();
    got.subscription_identifiers.clear();
    assert_eq!(got, want, "message {i} ({})", m.topic);
}

#[test]
fn scenario_publish_options_concurrent() {
    let sub = v5();
    let topic = unique("options");
    sub.mqtt.subscribe(&format!("{topic}/#"), 2).unwrap();
    let publisher = v5();
    // Client-wide settings that must stay out of the per-message publishes.
    publisher
        .mqtt
        .config(r#"OutgoingMessageProperties={"ContentType":"wide"}"#)
        .unwrap();
    let before = publisher.mqtt.config("OutgoingMessageProperties").unwrap();
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let m = publisher.mqtt.clone();
            let topic = format!("{topic}/{i}");
            std::thread::spawn(move || {
                let d = m
                    .publish_with(
                        &topic,
                        format!("m{i}"),
                        &options((i % 3) as i32, all_properties(i)),
                    )
                    .unwrap();
                d.wait().unwrap()
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let got = sub.messages_in(100);
    assert_eq!(got.len(), 100);
    let mut wrong = 0;
    for m in &got {
        let i: usize = m.topic.rsplit('/').next().unwrap().parse().unwrap();
        assert_eq!(m.message, Bytes::from(format!("m{i}")));
        assert_eq!(m.qos, (i % 3) as i32);
        if m.properties.correlation_data.as_deref() != Some(&[0xff, 0, i as u8][..]) {
            wrong += 1;
        }
        check_received(m, i);
    }
    assert_eq!(wrong, 0);
    assert_eq!(
        publisher.mqtt.config("OutgoingMessageProperties").unwrap(),
        before
    );

    // Checked before anything is sent, naming the value.
    let bad = [
        Properties {
            subscription_identifiers: vec![4],
            ..Properties::default()
        },
        Properties {
            payload_format_indicator: Some(2),
            ..Properties::default()
        },
    ];
    for p in bad {
        let e = publisher
            .mqtt
            .publish_with(&topic, "x", &options(1, p))
            .err()
            .unwrap();
        assert_eq!(e.code, code::INVALID_ARGUMENT, "{}", e.message);
    }
    let e = publisher
        .mqtt
        .publish_with(&topic, "x", &options(3, Properties::default()))
        .err()
        .unwrap();
    assert_eq!(e.code, code::INVALID_QOS);
    let old = Client::connected(0);
    let e = old
        .mqtt
        .publish_with(&topic, "x", &options(0, all_properties(1)))
        .err()
        .unwrap();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(e.message.contains("5.0"), "{}", e.message);
}

#[test]
fn scenario_publish_acknowledged() {
    let b = broker();
    let c = Client::new();
    c.mqtt.set_version(1).unwrap();
    c.mqtt.set_user(&b.user).unwrap();
    c.mqtt.set_password(&b.password).unwrap();
    c.mqtt.connect_to(&b.host, b.auth_port).unwrap();
    let topic = unique("acked");
    c.mqtt.subscribe(&topic, 2).unwrap();

    let q0 = c
        .mqtt
        .publish_with(&topic, "0", &options(0, Properties::default()))
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!((q0.packet_id, q0.reason_code), (-1, 0));
    let q1 = c
        .mqtt
        .publish_with(&topic, "1", &options(1, Properties::default()))
        .unwrap();
    let q1 = q1.wait().unwrap();
    assert!(q1.packet_id > 0);
    assert_eq!(q1.reason_code, 0);
    let q2 = c
        .mqtt
        .publish_with(&topic, "2", &options(2, Properties::default()))
        .unwrap()
        .wait()
        .unwrap();
    assert!(q2.packet_id > 0 && q2.packet_id != q1.packet_id);
    assert_eq!(q2.reason_code, 0);
    // mosquitto acknowledges a message nobody subscribed to with 0x10: still a success.
    let nobody = c
        .mqtt
        .publish_with(&unique("nobody"), "x", &options(1, Properties::default()))
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(nobody.reason_code, 0x10);
    // Refused by the broker's ACL: the wait fails with 506 naming the reason code.
    for qos in [1, 2] {
        let denied = format!(
            "{}{}",
            std::env::var("FERROMQ_TEST_DENIED_PREFIX").unwrap(),
            unique("x")
        );
        let e = c
            .mqtt
            .publish_with(&denied, "no", &options(qos, Properties::default()))
            .unwrap()
            .wait()
            .unwrap_err();
        assert_eq!(e.code, code::SERVER_REFUSED, "{}", e.message);
        assert!(e.message.contains("0x87"), "{}", e.message);
    }
    // The async form resolves the same way.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let acked = rt
        .block_on(c.mqtt.publish_with_async(
            &topic,
            Bytes::from_static(b"a"),
            &options(1, Properties::default()),
        ))
        .unwrap();
    assert!(acked.packet_id > 0);
    c.mqtt.disconnect().unwrap();
}

#[test]
fn scenario_message_properties() {
    let sub = v5();
    let topic = unique("props");
    sub.mqtt.config("SubscriptionIdentifier=77").unwrap();
    sub.mqtt.subscribe(&format!("{topic}/#"), 2).unwrap();
    let publisher = v5();
    for qos in 0..3 {
        publisher
            .mqtt
            .publish_with(
                &format!("{topic}/{qos}"),
                "p",
                &options(qos, all_properties(qos as usize)),
            )
            .unwrap()
            .wait()
            .unwrap();
    }
    let got = sub.messages_in(3);
    assert_eq!(got.len(), 3);
    for m in &got {
        let i = m.qos as usize;
        check_received(m, i);
        assert_eq!(m.properties.subscription_identifiers, vec![77]);
        assert_eq!(m.properties.topic_alias, None);
    }
    // A 3.1.1 client's messages carry none.
    let plain = Client::connected(0);
    plain.mqtt.subscribe(&format!("{topic}/#"), 1).unwrap();
    publisher
        .mqtt
        .publish_with(&format!("{topic}/x"), "p", &options(1, all_properties(1)))
        .unwrap()
        .wait()
        .unwrap();
    let m = plain.messages_in(1);
    assert!(m[0].properties.is_empty());
}

#[test]
fn scenario_request_response() {
    let topic = unique("service");
    let responder = v5();
    responder.mqtt.subscribe(&topic, 0).unwrap();
    // The responder answers each request from its handler thread: QoS 0 requests, read
    // through their ResponseTopic and CorrelationData.
    let answering = responder.mqtt.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let events = responder.events.clone();
    let worker = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::SeqCst) {
            answering.do_events().unwrap();
            let requests: Vec<MessageEvent> = std::mem::take(&mut *events.lock().unwrap())
                .into_iter()
                .filter_map(|e| match e {
                    Event::MessageIn(m) => Some(m),
                    _ => None,
                })
                .collect();
            for r in requests {
                assert!(r.properties.response_topic.is_some());
                let mut answer = b"re:".to_vec();
                answer.extend_from_slice(&r.message);
                answering
                    .respond(&r, answer, &PublishOptions::default())
                    .unwrap();
            }
        }
    });

    let requester = v5();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let answers: Vec<_> = rt.block_on(async {
        let calls: Vec<_> = (0..50)
            .map(|i| {
                requester.mqtt.request_async(
                    &topic,
                    Bytes::from(format!("q{i}")),
                    Duration::from_secs(20),
                    &PublishOptions::default(),
                )
            })
            .collect();
        futures_util::future::join_all(calls).await
    });
    for (i, a) in answers.into_iter().enumerate() {
        let a = a.unwrap();
        assert_eq!(a.message, Bytes::from(format!("re:q{i}")));
    }
    // The blocking form, and a request nobody answers: 201, and its slot is freed.
    let one = requester
        .mqtt
        .request(
            &topic,
            "solo",
            Duration::from_secs(20),
            &PublishOptions::default(),
        )
        .unwrap();
    assert_eq!(&one.message[..], b"re:solo");
    let e = requester
        .mqtt
        .request(
            &unique("nobody"),
            "?",
            Duration::from_millis(300),
            &PublishOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, code::TIMEOUT, "{}", e.message);
    // A message without ResponseTopic cannot be answered.
    let plain = MessageEvent {
        packet_id: -1,
        topic: "t".into(),
        qos: 0,
        message: Bytes::new(),
        retained: false,
        duplicate: false,
        properties: Default::default(),
    };
    assert_eq!(
        requester
            .mqtt
            .respond(&plain, "x", &PublishOptions::default())
            .err()
            .unwrap()
            .code,
        code::INVALID_ARGUMENT
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    worker.join().unwrap();
}

#[test]
fn scenario_will_properties() {
    let b = broker();
    let watcher = v5();
    let topic = unique("will5");
    watcher.mqtt.subscribe(&topic, 1).unwrap();
    let rude = Mqtt::new();
    rude.set_version(1).unwrap();
    rude.set_will_topic(&topic).unwrap();
    rude.set_will_message("gone").unwrap();
    rude.config(
        r#"WillProperties={"ContentType":"text/plain","CorrelationData":"00ff","MessageExpInterval":600,"PayloadFormatIndicator":1,"ResponseTopic":"who/cares","WillDelayInterval":0,"UserProperty":"site:north","UserProperty":"site:south"}"#,
    )
    .unwrap();
    rude.connect_to(&b.host, b.port).unwrap();
    drop(rude);
    let got = watcher.messages_in(1);
    assert_eq!(got.len(), 1);
    let p = &got[0].properties;
    assert_eq!(p.content_type.as_deref(), Some("text/plain"));
    assert_eq!(p.correlation_data.as_deref(), Some(&[0, 0xff][..]));
    assert_eq!(p.payload_format_indicator, Some(1));
    assert_eq!(p.response_topic.as_deref(), Some("who/cares"));
    assert!(p
        .message_expiry_interval
        .is_some_and(|e| e <= 600 && e > 590));
    let pairs: HashMap<_, _> = [(0, ("site", "north")), (1, ("site", "south"))]
        .into_iter()
        .collect();
    for (i, (k, v)) in p.user_properties.iter().enumerate() {
        assert_eq!((k.as_str(), v.as_str()), pairs[&i]);
    }
    assert_eq!(p.user_properties.len(), 2);
}

/// Polls `f` on this thread, outside any tokio runtime, as the faces' own executors do.
fn block_on_plain<F: std::future::Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park_timeout(Duration::from_millis(100));
    }
}

#[test]
fn async_forms_work_when_polled_outside_the_runtime() {
    let topic = unique("outside");
    let responder = v5();
    responder.mqtt.subscribe(&topic, 0).unwrap();
    let requester = v5();
    let asked = requester.mqtt.request_async(
        &topic,
        Bytes::from_static(b"q"),
        Duration::from_secs(20),
        &PublishOptions::default(),
    );
    // Futures do nothing until polled: the request goes out once its thread polls it.
    let asking = std::thread::spawn(move || block_on_plain(asked));
    let request = responder.messages_in(1).remove(0);
    block_on_plain(responder.mqtt.respond_async(
        &request,
        Bytes::from_static(b"a"),
        &PublishOptions::default(),
    ))
    .unwrap();
    assert_eq!(&asking.join().unwrap().unwrap().message[..], b"a");
    let acked = block_on_plain(requester.mqtt.publish_with_async(
        &topic,
        Bytes::new(),
        &options(1, Properties::default()),
    ))
    .unwrap();
    assert!(acked.packet_id > 0);
}
