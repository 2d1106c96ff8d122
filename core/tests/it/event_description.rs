//! The description of events, message fields and error codes (component/event, error.rs)
//! agrees with the values the engine hands out, and fire_events answers the certificate check.

use crate::common;

use common::{unique, Client};
use ferromq::{
    code, Described, Event, FieldDesc, FieldVisitor, Mqtt, MqttMessage, Value, ValueKind,
    ERROR_CODES, EVENT_KINDS, EVENT_NAMES, MESSAGE_FIELDS,
};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

/// The (name, kind) of every field a visit walks.
#[derive(Default)]
struct Names(Vec<(&'static str, ValueKind)>);

impl FieldVisitor for Names {
    type Error = Infallible;
    fn field(&mut self, desc: &'static FieldDesc, value: Value<'_>) -> Result<(), Infallible> {
        assert_eq!(
            desc.kind,
            value.kind(),
            "{} is described as {:?}",
            desc.name,
            desc.kind
        );
        self.0.push((desc.name, desc.kind));
        Ok(())
    }
}

fn described(fields: &[FieldDesc]) -> Vec<(&'static str, ValueKind)> {
    fields.iter().map(|f| (f.name, f.kind)).collect()
}

fn visited_event(ev: &Event) -> Vec<(&'static str, ValueKind)> {
    let mut names = Names::default();
    let Ok(()) = ev.visit(&mut names);
    names.0
}

fn visited_message(m: &MqttMessage) -> Vec<(&'static str, ValueKind)> {
    let mut names = Names::default();
    let Ok(()) = m.visit(&mut names);
    names.0
}

#[test]
fn the_description_matches_the_names() {
    assert_eq!(EVENT_KINDS.len(), EVENT_NAMES.len());
    for (i, k) in EVENT_KINDS.iter().enumerate() {
        assert_eq!(k.name, EVENT_NAMES[i]);
        // At most one answer per kind, and only SSLServerAuthentication has one.
        let answers: Vec<_> = k.fields.iter().filter(|f| f.answer).collect();
        match k.name {
            "SSLServerAuthentication" => {
                assert_eq!(answers.len(), 1);
                assert_eq!(answers[0].name, "accept");
                assert_eq!(answers[0].kind, ValueKind::Bool);
            }
            _ => assert!(answers.is_empty(), "{} has an answer", k.name),
        }
    }
    let mut codes: Vec<i32> = ERROR_CODES.iter().map(|c| c.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(
        codes.len(),
        ERROR_CODES.len(),
        "an error code is declared twice"
    );
    let interrupted = ferromq::ErrorCode::find(code::INTERRUPTED).unwrap();
    assert_eq!(interrupted.name, "INTERRUPTED");
    assert_eq!(
        ferromq::Error::interrupted("connecting").message,
        interrupted.text.replace("{what}", "connecting")
    );
}

#[test]
fn scenario_event_description() {
    // Events and an in-flight message from a real exchange carry exactly the described
    // fields, in the described order.
    let c = Client::new();
    let topic = unique("description");
    let seen: Arc<Mutex<Vec<MqttMessage>>> = Arc::default();
    let log = c.events.clone();
    let (mqtt, seen2) = (c.mqtt.downgrade(), seen.clone());
    c.mqtt
        .set_event_handler(Some(Arc::new(move |e: &mut Event| {
            // While MessageAck's handler runs, the message is still in its collection.
            if let (Event::MessageAck(a), Some(m)) = (&*e, mqtt.upgrade()) {
                let list = if a.direction == 0 {
                    m.outgoing_messages()
                } else {
                    m.incoming_messages()
                };
                seen2.lock().unwrap().extend(list);
            }
            log.lock().unwrap().push(e.clone());
        })));
    let b = common::broker();
    c.mqtt.connect_to(&b.host, b.port).unwrap();
    c.mqtt.subscribe(&topic, 1).unwrap();
    c.mqtt.publish_message(&topic, 1, "described").unwrap();
    c.messages_in(1);
    c.wait_for(1, |e| matches!(e, Event::MessageOut(_)).then_some(()));
    c.mqtt.disconnect().unwrap();
    c.wait_for(1, |e| matches!(e, Event::Disconnected(_)).then_some(()));
    let events = c.take();
    let mut kinds = std::collections::BTreeSet::new();
    for ev in &events {
        assert_eq!(
            visited_event(ev),
            described(ev.description().fields),
            "{}",
            ev.name()
        );
        kinds.insert(ev.name());
    }
    for k in [
        "Connected",
        "Subscribed",
        "MessageAck",
        "MessageIn",
        "MessageOut",
        "Disconnected",
    ] {
        assert!(kinds.contains(k), "no {k} event in {kinds:?}");
    }
    let messages = seen.lock().unwrap().clone();
    assert!(!messages.is_empty(), "no in-flight message was listed");
    for m in &messages {
        assert_eq!(visited_message(m), described(MESSAGE_FIELDS));
    }

    // The 301 of an interrupted wait is the core's text. A wait check interrupts, so the
    // interrupt lands inside the wait (not before it began).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let m = Mqtt::new();
    m.set_timeout(30).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    m.set_wait_check(Some(Arc::new(move || {
        flag.load(std::sync::atomic::Ordering::SeqCst)
    })));
    let waiting = m.clone();
    let connecting = std::thread::spawn(move || waiting.connect_to("127.0.0.1", i32::from(port)));
    let (_held, _) = listener.accept().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = connecting.join().unwrap().unwrap_err();
    assert_eq!(err.code, code::INTERRUPTED);
    assert_eq!(
        err.message,
        ferromq::Error::interrupted("connecting").message
    );
}

#[test]
fn fire_events_answers_and_stops_where_asked() {
    // Nothing pending: nothing fired, nothing more.
    let m = Mqtt::new();
    let fired = m.fire_events(10, None, |_| panic!("no event is pending"));
    assert_eq!(
        fired,
        ferromq::Fired {
            count: 0,
            more: false
        }
    );
}
