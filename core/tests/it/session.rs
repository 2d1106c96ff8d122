//! SaveSession / RestoreSession / SessionStateFile against real mosquitto: messages the broker
//! never acknowledged survive the client object (and the file survives the process).

use crate::common;
use crate::common::private_broker;

use common::{unique, Client};
use ferromq::{code, Event, Mqtt};
use private_broker::PrivateBroker;
use std::time::Duration;

fn temp_file(name: &str) -> String {
    std::env::temp_dir()
        .join(format!(
            "ferromq-{name}-{}-{}",
            std::process::id(),
            fastrand::u64(..)
        ))
        .to_string_lossy()
        .into_owned()
}

/// Publish `n` messages at `qos` while the broker is frozen, so none is acknowledged, save
/// the session, and drop the client.
fn unacknowledged(
    broker: &PrivateBroker,
    id: &str,
    topic: &str,
    qos: i32,
    n: usize,
    file: &str,
) -> String {
    let m = Mqtt::new();
    m.set_timeout(5).unwrap();
    m.set_client_id(id).unwrap();
    m.set_clean_session(false).unwrap();
    m.config(&format!("SessionStateFile={file}")).unwrap();
    m.connect_to("127.0.0.1", broker.port as i32).unwrap();
    broker.pause();
    for i in 0..n {
        m.publish_message(topic, qos, &format!("m{i}")).unwrap();
    }
    let out = m.outgoing_messages();
    assert_eq!(
        out.len(),
        n,
        "all {n} are waiting for their acknowledgement"
    );
    let text = m.save_session().unwrap();
    drop(m);
    text
}

#[test]
fn scenario_session_save_restore() {
    for qos in [1, 2] {
        let mut broker = PrivateBroker::start("");
        let topic = unique("session");
        let id = format!("ferromq-session-{}", fastrand::u64(..));
        let file = temp_file("session");
        let text = unacknowledged(&broker, &id, &topic, qos, 5, &file);
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            text,
            "the file holds the same text"
        );
        broker.restart();

        let watcher = Client::new();
        watcher
            .mqtt
            .connect_to("127.0.0.1", broker.port as i32)
            .unwrap();
        watcher.mqtt.subscribe(&topic, 2).unwrap();

        // A new object, as in a new process: it knows only the file.
        let again = Client::new();
        again.mqtt.set_client_id(&id).unwrap();
        again
            .mqtt
            .config(&format!("SessionStateFile={file}"))
            .unwrap();
        again.mqtt.restore_session("").unwrap();
        assert!(
            !again.mqtt.clean_session(),
            "RestoreSession sets CleanSession false"
        );
        assert_eq!(again.mqtt.outgoing_messages().len(), 5);
        again
            .mqtt
            .connect_to("127.0.0.1", broker.port as i32)
            .unwrap();
        again.wait_for(5, |e| matches!(e, Event::MessageOut(_)).then_some(()));
        assert!(again.mqtt.outgoing_messages().is_empty());

        let got = watcher.messages_in(5);
        watcher.pump(Duration::from_millis(300));
        let mut texts: Vec<String> = got
            .iter()
            .map(|m| String::from_utf8_lossy(&m.message).into_owned())
            .collect();
        texts.sort();
        assert_eq!(texts, vec!["m0", "m1", "m2", "m3", "m4"], "QoS {qos}");
        let _ = std::fs::remove_file(&file);
    }
}

#[test]
fn scenario_session_errors() {
    let m = Mqtt::new();
    let broker = PrivateBroker::start("");
    let file = temp_file("good");
    let text = unacknowledged(
        &broker,
        &format!("ferromq-s-{}", fastrand::u64(..)),
        &unique("s"),
        1,
        2,
        &file,
    );
    for bad in [
        String::new(),
        text[..text.len() / 2].to_string(),
        text.replacen("\"qos\":1", "\"qos\":2", 1),
        "{}".into(),
    ] {
        assert_ne!(bad, text);
        let e = m.restore_session(&bad).unwrap_err();
        assert_eq!(e.code, code::INVALID_ARGUMENT, "{e}");
        assert!(e.message.contains("nothing was loaded"), "{e}");
        assert!(m.outgoing_messages().is_empty());
        assert!(m.clean_session(), "a refused restore changes nothing");
    }
    m.config(&format!("SessionStateFile={}", temp_file("missing")))
        .unwrap();
    let e = m.restore_session(&text).unwrap_err();
    assert_eq!(e.code, code::FILE, "the file wins over the string: {e}");
    assert!(m.clean_session());
    m.config("SessionStateFile=").unwrap();
    m.restore_session(&text).unwrap();
    assert_eq!(m.outgoing_messages().len(), 2);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn restore_session_needs_no_connection() {
    let c = Client::connected(0);
    let e = c.mqtt.restore_session("x").unwrap_err();
    assert_eq!(e.code, code::BAD_STATE, "{e}");
    // SaveSession works while connected: nothing is in flight here.
    let text = c.mqtt.save_session().unwrap();
    assert!(text.contains("ferromq-session"));
    c.mqtt.disconnect().unwrap();
}

#[test]
fn reset_empties_the_collections_and_says_what_it_dropped() {
    let broker = PrivateBroker::start("");
    let c = Client::new();
    c.mqtt.set_timeout(5).unwrap();
    c.mqtt.connect_to("127.0.0.1", broker.port as i32).unwrap();
    broker.pause();
    c.mqtt.publish_message("x/y", 1, "held").unwrap();
    c.mqtt.reset().unwrap();
    assert!(c.mqtt.outgoing_messages().is_empty());
    let errors = c.wait_for(1, |e| match e {
        Event::Error(x) if x.description.contains("Reset discarded") => Some(x.clone()),
        _ => None,
    });
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].description.contains("1 message"),
        "{:?}",
        errors[0]
    );
    let saved = c.mqtt.save_session().unwrap();
    let other = Mqtt::new();
    other.restore_session(&saved).unwrap();
    assert!(other.outgoing_messages().is_empty(), "nothing left to save");
    broker.resume();
}

#[test]
fn scenario_session_auto_save() {
    let m = Mqtt::new();
    let e = m.config("SessionAutoSave=3").unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(e.message.contains('3'), "{}", e.message);

    // On without a file: Connect says which setting is missing.
    let broker = common::broker();
    m.set_timeout(5).unwrap();
    m.config("SessionAutoSave=1").unwrap();
    let e = m.connect_to(&broker.host, broker.port).unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(e.message.contains("SessionStateFile"), "{}", e.message);

    // Every change is in the file, and so is the count of publishes.
    let file = temp_file("autosave");
    let id = format!("ferromq-autosave-{}", fastrand::u64(..));
    m.set_client_id(&id).unwrap();
    m.set_clean_session(false).unwrap();
    m.config(&format!("SessionStateFile={file}")).unwrap();
    m.connect_to(&broker.host, broker.port).unwrap();
    let topic = unique("autosave");
    for i in 0..3 {
        m.publish_message(&topic, 1, &format!("m{i}")).unwrap();
    }
    assert_eq!(m.config("SessionPublishCount").unwrap(), "3");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !m.outgoing_messages().is_empty() && std::time::Instant::now() < deadline {
        m.do_events().unwrap();
    }
    let e = m.config("SessionPublishCount=0").unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    m.disconnect().unwrap();
    assert!(std::path::Path::new(&file).exists());

    let again = Mqtt::new();
    again.config(&format!("SessionStateFile={file}")).unwrap();
    again.restore_session("").unwrap();
    assert_eq!(again.config("SessionPublishCount").unwrap(), "3");
    assert!(again.outgoing_messages().is_empty());

    // A file still holding unacknowledged messages is not overwritten unless restored.
    let private = PrivateBroker::start("");
    let held = temp_file("autosave-held");
    unacknowledged(&private, &id, &topic, 1, 2, &held);
    private.resume();
    let other = Mqtt::new();
    other.set_timeout(5).unwrap();
    other.config(&format!("SessionStateFile={held}")).unwrap();
    other.config("SessionAutoSave=1").unwrap();
    let e = other
        .connect_to("127.0.0.1", private.port as i32)
        .unwrap_err();
    assert_eq!(e.code, code::BAD_STATE);
    assert!(e.message.contains("RestoreSession"), "{}", e.message);
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&held);
}

#[test]
fn auto_save_failures_are_reported_and_offline_publishes_refused() {
    let broker = common::broker();
    let m = Client::new();
    m.mqtt.set_timeout(5).unwrap();
    m.mqtt
        .config("SessionStateFile=/nonexistent-dir/ferromq.session")
        .unwrap();
    m.mqtt.config("SessionAutoSave=2").unwrap();
    m.mqtt.connect_to(&broker.host, broker.port).unwrap();
    let e = m.mqtt.publish_message(&unique("x"), 1, "m").unwrap_err();
    assert_eq!(e.code, code::FILE);
    assert!(
        e.message.contains("will be sent") && e.message.contains("/nonexistent-dir"),
        "{}",
        e.message
    );
    m.wait_for(1, |e| match e {
        Event::Error(err) if err.error_code == code::FILE => Some(()),
        _ => None,
    });
    m.mqtt.disconnect().unwrap();
}

#[test]
fn publishing_while_reconnecting_with_auto_save_is_refused() {
    let mut broker = PrivateBroker::start("");
    let m = Mqtt::new();
    m.set_timeout(5).unwrap();
    m.set_client_id(&format!("ferromq-autosave-rc-{}", fastrand::u64(..)))
        .unwrap();
    m.set_clean_session(false).unwrap();
    m.config(&format!("SessionStateFile={}", temp_file("autosave-rc")))
        .unwrap();
    m.config("SessionAutoSave=1").unwrap();
    m.config("AutoReconnect=true").unwrap();
    m.config("ReconnectMinDelay=5000").unwrap();
    m.connect_to("127.0.0.1", broker.port as i32).unwrap();
    broker.kill();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while m.connected() && std::time::Instant::now() < deadline {
        let _ = m.do_events();
    }
    let e = m.publish_message("a/b", 1, "m").unwrap_err();
    assert_eq!(e.code, code::CONNECT_FIRST);
    assert!(e.message.contains("SessionAutoSave"), "{}", e.message);
}

/// Held-back publishes take their packet id when accepted: a producer far ahead of the
/// acknowledgements waits for ids (as for a full send buffer) instead of failing with 501.
/// MaxOutgoingMessages=0 lifts the bound that would otherwise stop it much earlier.
#[test]
fn a_producer_far_ahead_of_acknowledgements_waits_for_packet_ids() {
    let broker = PrivateBroker::start("");
    let m = Client::new();
    m.mqtt.set_timeout(2).unwrap();
    m.mqtt.config("MaxInflight=10").unwrap();
    m.mqtt.config("MaxOutgoingMessages=0").unwrap();
    m.mqtt.connect_to("127.0.0.1", broker.port as i32).unwrap();
    broker.pause();
    let topic = unique("ids");
    let mut accepted = 0;
    let err = loop {
        match m.mqtt.publish_message(&topic, 1, "m") {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
        assert!(accepted <= 65_535, "never more ids than exist");
    };
    assert_eq!(err.code, code::TIMEOUT, "{err}");
    assert!(err.message.contains("room"), "{err}");
    assert_eq!(accepted, 65_000);
    broker.resume();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !m.mqtt.outgoing_messages().is_empty() && std::time::Instant::now() < deadline {
        m.mqtt.do_events().unwrap();
    }
    assert!(m.mqtt.outgoing_messages().is_empty(), "all acknowledged");
    m.mqtt.publish_message(&topic, 1, "after").unwrap();
    m.mqtt.disconnect().unwrap();
}

/// MaxOutgoingMessages bounds the QoS 1/2 publishes kept, under both versions: over it a
/// publish is refused with 135 (Timeout 0) or waits and times out (201); room comes back
/// with the acknowledgements, announced by ReadyToSend.
#[test]
fn scenario_outgoing_bound() {
    let probe = Mqtt::new();
    assert_eq!(probe.config("MaxOutgoingMessages").unwrap(), "1000");
    for bad in ["-1", "65001"] {
        let e = probe
            .config(&format!("MaxOutgoingMessages={bad}"))
            .unwrap_err();
        assert!(e.message.contains("MaxOutgoingMessages"), "{e}");
        assert!(e.message.contains(bad), "{e}");
    }
    let broker = PrivateBroker::start("");
    for version in [0, 1] {
        let c = Client::new();
        c.mqtt.set_version(version).unwrap();
        c.mqtt.config("MaxOutgoingMessages=5").unwrap();
        c.mqtt.connect_to("127.0.0.1", broker.port as i32).unwrap();
        let topic = unique("bound");
        // The ReadyToSend that follows Connected is not the one this test waits for.
        c.wait_for(1, |e| matches!(e, Event::ReadyToSend).then_some(()));
        c.take();
        broker.pause();
        c.mqtt.set_timeout(0).unwrap();
        for i in 0..5 {
            c.mqtt.publish_message(&topic, 1, &format!("m{i}")).unwrap();
        }
        c.mqtt.do_events().unwrap();
        assert_eq!(c.mqtt.outgoing_messages().len(), 5, "version {version}");
        let e = c.mqtt.publish_message(&topic, 1, "over").unwrap_err();
        assert_eq!(e.code, code::WOULD_BLOCK, "{e}");
        assert!(e.message.contains("MaxOutgoingMessages"), "{e}");
        // Large enough to be written by the connection's task, which reports the drain: the
        // bytes reach the socket, but that frees no place, so no ReadyToSend yet.
        c.mqtt
            .publish_message(&topic, 0, &"q".repeat(100 * 1024))
            .unwrap();
        c.pump(Duration::from_millis(300));
        let seen = c.take();
        assert!(
            !seen.iter().any(|e| matches!(e, Event::ReadyToSend)),
            "version {version}: ReadyToSend before any acknowledgement: {seen:?}"
        );

        c.mqtt.set_timeout(1).unwrap();
        let t = std::time::Instant::now();
        let e = c.mqtt.publish_message(&topic, 1, "waits").unwrap_err();
        assert_eq!(e.code, code::TIMEOUT, "{e}");
        assert!(
            t.elapsed() >= Duration::from_millis(900),
            "{:?}",
            t.elapsed()
        );

        // The async form (Node, asyncio) answers the same way.
        let rt = ferromq::driver::runtime();
        let t = std::time::Instant::now();
        let e = rt
            .block_on(c.mqtt.publish_data_async(&topic, 1, "waits".into()))
            .unwrap_err();
        assert_eq!(e.code, code::TIMEOUT, "async: {e}");
        assert!(
            t.elapsed() >= Duration::from_millis(900),
            "{:?}",
            t.elapsed()
        );
        c.mqtt.set_timeout(0).unwrap();
        let e = rt
            .block_on(c.mqtt.publish_data_async(&topic, 1, "over".into()))
            .unwrap_err();
        assert_eq!(e.code, code::WOULD_BLOCK, "async: {e}");

        broker.resume();
        c.take();
        let done = c.wait_for(5, |e| match e {
            Event::MessageOut(m) if m.qos == 1 => Some(m.message.clone()),
            _ => None,
        });
        let expected: Vec<_> = (0..5).map(|i| format!("m{i}").into_bytes()).collect();
        assert_eq!(
            done.iter().map(|b| b.to_vec()).collect::<Vec<_>>(),
            expected,
            "version {version}: completed in the order published"
        );
        let ready = c.wait_for(1, |e| matches!(e, Event::ReadyToSend).then_some(()));
        assert_eq!(
            ready.len(),
            1,
            "version {version}: ReadyToSend after room came back"
        );
        c.mqtt.set_timeout(10).unwrap();
        c.mqtt.publish_message(&topic, 1, "after").unwrap();
        // Acknowledged before the broker stops: a PUBACK still on its way would make room
        // under the bound below, and the publish meant to wait would go at once.
        let after = c.wait_for(1, |e| match e {
            Event::MessageOut(m) if &m.message[..] == b"after" => Some(()),
            _ => None,
        });
        assert_eq!(after.len(), 1, "version {version}: \"after\" acknowledged");

        // Interrupt ends an async publish waiting for room with 301 (and, as always,
        // closes the connection).
        broker.pause();
        c.mqtt.set_timeout(0).unwrap();
        while c.mqtt.publish_message(&topic, 1, "fill").is_ok() {}
        c.mqtt.set_timeout(30).unwrap();
        let waiting = c.mqtt.publish_data_async(&topic, 1, "interrupted".into());
        let m2 = c.mqtt.clone();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            m2.interrupt().unwrap();
        });
        let t = std::time::Instant::now();
        let e = rt.block_on(waiting).unwrap_err();
        stopper.join().unwrap();
        assert_eq!(e.code, code::INTERRUPTED, "async: {e}");
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
        broker.resume();
    }
}

/// Async publishes that must wait for room keep the order they were called in, however
/// the futures are then scheduled (here: spawned in reverse order).
#[test]
fn async_publishes_over_the_bound_keep_call_order() {
    let c = Client::connected(0);
    c.mqtt.config("MaxOutgoingMessages=10").unwrap();
    let topic = unique("order");
    c.mqtt.subscribe(&topic, 1).unwrap();
    let calls: Vec<_> = (0..300)
        .map(|i| {
            c.mqtt
                .publish_data_async(&topic, 1, i.to_string().into_bytes().into())
        })
        .collect();
    let rt = ferromq::driver::runtime();
    let tasks: Vec<_> = calls.into_iter().rev().map(|f| rt.spawn(f)).collect();
    for t in tasks {
        rt.block_on(t).unwrap().unwrap();
    }
    let got: Vec<String> = c
        .messages_in(300)
        .iter()
        .map(|m| String::from_utf8_lossy(&m.message).into_owned())
        .collect();
    let want: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    assert_eq!(got, want);
    c.mqtt.disconnect().unwrap();
}
