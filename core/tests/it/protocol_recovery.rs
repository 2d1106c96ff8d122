//! Recovery (issue 14): keep-alive judged by what the server sent, a server that lost its
//! state (reused packet ids, acknowledgements for flows we do not have), a CONNACK that
//! claims a session for a clean start, and the non-minimal remaining length. All on a
//! hand-advanced clock, without sockets.

use crate::protocol_harness as harness;

use bytes::{Bytes, BytesMut};
use ferromq::code;
use ferromq::codec::{self, ConnAck, Packet, Properties, Protocol, Publish, QoS};
use ferromq::protocol::{Connection, Direction, Message, MessageState, ProtocolEvent};
use harness::*;
use std::time::{Duration, Instant};

const BOTH: [Protocol; 2] = [Protocol::V311, Protocol::V5];

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn keep_alive(protocol: Protocol, k: u16) -> Harness {
    let mut cfg = config(protocol);
    cfg.keep_alive = k;
    Harness::connected(cfg)
}

/// Calls `handle_timeout` at `at` (moving the clock there) and returns what was sent.
fn tick(h: &mut Harness, at: Instant) -> Vec<Packet> {
    assert!(at >= h.now);
    h.now = at;
    h.conn.handle_timeout(at);
    h.packets()
}

/// `tick` at `since_t0` after the harness's start.
fn tick_after(h: &mut Harness, since_t0: Duration) -> Vec<Packet> {
    let at = h.t0 + since_t0;
    tick(h, at)
}

fn qos0_in() -> Packet {
    Packet::Publish(incoming("in/t", QoS::AtMostOnce, 0))
}

fn logs(evs: &[ProtocolEvent], level: u8) -> Vec<String> {
    evs.iter()
        .filter_map(|e| match e {
            ProtocolEvent::Log {
                level: l, message, ..
            } if *l == level => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn delivered(evs: &[ProtocolEvent]) -> Vec<Message> {
    evs.iter()
        .filter_map(|e| match e {
            ProtocolEvent::MessageIn { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn publish_in(topic: &str, qos: QoS, id: u16, payload: &'static [u8], dup: bool) -> Packet {
    Packet::Publish(Publish {
        dup,
        qos,
        retain: false,
        topic: topic.into(),
        packet_id: id,
        payload: Bytes::from_static(payload),
        properties: Properties::default(),
    })
}

fn in_msg(topic: &str, qos: QoS, id: u16, payload: &'static [u8], state: MessageState) -> Message {
    Message {
        direction: Direction::Incoming,
        packet_id: id,
        topic: topic.into(),
        qos,
        payload: Bytes::from_static(payload),
        retain: false,
        dup: false,
        state,
        properties: Message::empty_properties(),
    }
}

fn dropped(id: u16) -> ProtocolEvent {
    ProtocolEvent::InflightDropped {
        direction: Direction::Incoming,
        packet_id: id,
    }
}

fn pubrel_with(id: u16, reason: u8) -> Packet {
    Packet::PubRel(resp(id, reason))
}

fn pubcomp_with(id: u16, reason: u8) -> Packet {
    Packet::PubComp(resp(id, reason))
}

/// The reason code we use for "packet id not found" in the version at hand.
fn not_found(protocol: Protocol) -> u8 {
    if protocol == Protocol::V5 {
        0x92
    } else {
        0
    }
}

// ---- keep-alive ----

#[test]
fn idle_server_loss_is_noticed_at_one_and_a_half_keep_alive() {
    for protocol in BOTH {
        let mut h = keep_alive(protocol, 10);
        h.conn.set_log_level(2);
        // CONNACK came at t0: nothing sent or received since.
        assert_eq!(h.fire(), h.t0 + secs(10));
        assert_eq!(h.packets(), vec![Packet::PingReq]);
        assert!(h.conn.is_connected());
        assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(15)));
        // Just before the deadline nothing happens.
        assert!(tick_after(&mut h, millis(14_999)).is_empty());
        assert!(h.conn.is_connected());
        assert_eq!(h.fire(), h.t0 + secs(15));
        let (code, reason) = h.closed();
        assert_eq!(code, code::TIMEOUT);
        assert!(
            reason.contains("nothing received from the server for 15.0 s")
                && reason.contains("keep-alive 10 s"),
            "{reason}"
        );
        assert!(h.packets().is_empty(), "nothing is sent to a lost server");
        assert_eq!(h.conn.poll_timeout(), None);
    }
}

#[test]
fn busy_publisher_to_a_silent_server_pings_and_notices_the_loss() {
    let mut h = keep_alive(Protocol::V311, 10);
    h.conn.set_log_level(2);
    // A QoS 1 publish every 2 s, never acknowledged: what we send does not keep a silent
    // server "alive".
    let mut pinged_at = None;
    let mut t = 0;
    while h.conn.is_connected() {
        t += 2;
        let at = h.t0 + secs(t);
        // The deadline never lies past what the rules allow.
        let deadline = h.conn.poll_timeout().unwrap();
        assert!(deadline <= h.t0 + secs(15), "{:?}", deadline - h.t0);
        if deadline <= at {
            let sent = tick(&mut h, deadline);
            if sent == vec![Packet::PingReq] {
                pinged_at = Some(deadline);
                let evs = h.all_events();
                assert!(
                    logs(&evs, 2)
                        .iter()
                        .any(|l| l.contains("nothing received for 10 s")),
                    "{evs:?}"
                );
            } else {
                assert!(sent.is_empty(), "{sent:?}");
            }
        }
        if !h.conn.is_connected() {
            break;
        }
        tick(&mut h, at);
        if h.conn.is_connected() {
            h.publish("out", QoS::AtLeastOnce).unwrap();
            h.packets();
        }
        assert!(t < 100, "never noticed");
    }
    // PINGREQ at last_received + K, the loss W = K/2 later.
    assert_eq!(pinged_at, Some(h.t0 + secs(10)));
    assert_eq!(h.now, h.t0 + secs(15));
    let (code, reason) = h.closed();
    assert_eq!(code, code::TIMEOUT);
    assert!(reason.contains("15.0 s"), "{reason}");
    assert_eq!(
        h.conn.outgoing().len(),
        7,
        "the unacknowledged publishes stay"
    );
}

#[test]
fn traffic_received_after_pingreq_postpones_the_loss() {
    let mut h = keep_alive(Protocol::V5, 10);
    assert_eq!(h.fire(), h.t0 + secs(10));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    // A flood keeps the PINGRESP queued; every packet shows the server alive.
    h.now = h.t0 + secs(14);
    h.feed(qos0_in());
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(19)));
    h.now = h.t0 + secs(18);
    h.feed(qos0_in());
    // Nothing sent for K: the specification's PINGREQ is owed even with one outstanding.
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(20)));
    assert_eq!(h.fire(), h.t0 + secs(20));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    assert!(h.conn.is_connected());
    // The wait still counts from the last packet received (18 s), not the second PINGREQ.
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(23)));
    h.now = h.t0 + secs(22);
    h.feed(qos0_in());
    h.now = h.t0 + secs(24);
    h.feed(Packet::PingResp);
    assert!(h.conn.is_connected());
    // No PINGREQ outstanding now: the next is due K after our last send (20 s).
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(30)));
    h.all_events();
    // Then silence again: PINGREQ at 30, lost at 30 + 5 (the last packet came at 24).
    assert_eq!(h.fire(), h.t0 + secs(30));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    assert_eq!(h.fire(), h.t0 + secs(35));
    let (code, reason) = h.closed();
    assert_eq!(code, code::TIMEOUT);
    assert!(reason.contains("for 11.0 s"), "{reason}");
}

#[test]
fn paused_reading_never_times_out_and_resuming_gives_a_full_wait() {
    for resp_after_resume in [false, true] {
        let mut h = keep_alive(Protocol::V311, 10);
        assert_eq!(h.fire(), h.t0 + secs(10));
        assert_eq!(h.packets(), vec![Packet::PingReq]);
        // The event queue fills up: the driver stops reading before the PINGRESP.
        h.now = h.t0 + secs(12);
        h.feed(qos0_in());
        h.conn.set_reading_paused(h.now, true);
        // Only the PINGREQ owed for our own silence is left: never a deadline in the past,
        // never a loss, however long the pause.
        let mut pings = 0;
        while h.now < h.t0 + secs(90) {
            let d = h
                .conn
                .poll_timeout()
                .expect("the send rule keeps a deadline");
            assert!(d > h.now, "deadline in the past while paused");
            let s = h.conn.sleep_deadline(h.now).unwrap();
            assert!(s > h.now && s <= d);
            let sent = tick(&mut h, d);
            assert_eq!(sent, vec![Packet::PingReq]);
            pings += 1;
            assert!(h.conn.is_connected());
        }
        assert_eq!(pings, 8, "one PINGREQ per interval (20, 30, .. 90 s)");
        assert_eq!(h.now, h.t0 + secs(90));
        // Reading again at 93 s: the server gets a full W from then.
        h.now = h.t0 + secs(93);
        h.conn.set_reading_paused(h.now, false);
        // Saying so again does not move anything.
        h.conn.set_reading_paused(h.t0 + secs(97), false);
        assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(98)));
        assert!(tick_after(&mut h, secs(97)).is_empty());
        assert!(h.conn.is_connected());
        if resp_after_resume {
            // The PINGRESP that waited in the socket is read.
            h.feed(Packet::PingResp);
            assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(100)));
            assert_eq!(h.fire(), h.t0 + secs(100));
            assert_eq!(h.packets(), vec![Packet::PingReq]);
            assert!(h.conn.is_connected());
        } else {
            assert_eq!(h.fire(), h.t0 + secs(98));
            let (code, reason) = h.closed();
            assert_eq!(code, code::TIMEOUT);
            assert!(reason.contains("for 5.0 s"), "{reason}");
        }
    }
}

#[test]
fn paused_reading_sends_no_pingreq_for_the_silence_it_causes() {
    let mut h = keep_alive(Protocol::V5, 10);
    h.conn.set_reading_paused(h.now, true);
    // Publishing every 3 s: the send rule never fires, and the received rule is off.
    for t in (3..60).step_by(3) {
        assert!(tick_after(&mut h, secs(t)).is_empty());
        h.publish("out", QoS::AtMostOnce).unwrap();
        assert_eq!(h.packets().len(), 1);
        assert_eq!(h.conn.poll_timeout(), Some(h.now + secs(10)));
    }
    h.conn.set_reading_paused(h.now, false);
    // From the resume (57 s) the server must be heard from again.
    let resumed = h.now;
    assert_eq!(h.conn.poll_timeout(), Some(resumed + secs(10)));
    h.advance_secs(3);
    h.publish("out", QoS::AtMostOnce).unwrap();
    h.packets();
    assert_eq!(h.fire(), resumed + secs(10));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    assert_eq!(h.fire(), resumed + secs(15));
    assert_eq!(h.closed().0, code::TIMEOUT);
}

#[test]
fn pausing_while_a_pingreq_is_overdue_does_not_spin() {
    // The loss deadline has passed when reading stops (the driver had not handled it yet):
    // while paused the deadline is the send rule's, in the future.
    let mut h = keep_alive(Protocol::V311, 10);
    h.fire();
    h.packets();
    h.now = h.t0 + secs(16);
    h.conn.set_reading_paused(h.now, true);
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(20)));
    h.conn.handle_timeout(h.now);
    assert!(h.conn.is_connected());
}

#[test]
fn short_keep_alives_wait_at_least_one_second() {
    // K = 1: W = max(0.5 s, 1 s).
    let mut h = keep_alive(Protocol::V5, 1);
    assert_eq!(h.fire(), h.t0 + secs(1));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(2)));
    assert!(tick_after(&mut h, millis(1_500)).is_empty());
    assert!(h.conn.is_connected());
    assert_eq!(h.fire(), h.t0 + secs(2));
    let (code, reason) = h.closed();
    assert_eq!(code, code::TIMEOUT);
    assert!(reason.contains("keep-alive 1 s"), "{reason}");
    // K = 3: W = 1.5 s.
    let mut h = keep_alive(Protocol::V311, 3);
    assert_eq!(h.fire(), h.t0 + secs(3));
    assert_eq!(h.fire(), h.t0 + millis(4_500));
    assert_eq!(h.closed().0, code::TIMEOUT);
}

#[test]
fn received_traffic_alone_does_not_replace_our_pings() {
    // The server floods us and we send nothing: the specification's rule still pings.
    let mut h = keep_alive(Protocol::V311, 10);
    for t in 1..10 {
        h.now = h.t0 + secs(t);
        h.feed(qos0_in());
    }
    assert_eq!(h.fire(), h.t0 + secs(10));
    assert_eq!(h.packets(), vec![Packet::PingReq]);
    // Still flooding: the loss stays W after the last packet received.
    h.now = h.t0 + secs(13);
    h.feed(qos0_in());
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + secs(18)));
}

// ---- a server that lost its state: reused packet ids ----

#[test]
fn qos1_publish_on_an_id_held_by_a_forgotten_qos2_message_is_taken() {
    for protocol in BOTH {
        let mut h = Harness::connected(config(protocol));
        h.feed(publish_in("old", QoS::ExactlyOnce, 7, b"old", false));
        assert_eq!(h.packets(), vec![pubrec(7)]);
        h.all_events();
        // The server restarted without its state and uses 7 for a QoS 1 message.
        h.feed(publish_in("new", QoS::AtLeastOnce, 7, b"new", false));
        assert_eq!(h.packets(), vec![puback(7)]);
        assert!(h.conn.is_connected());
        let evs = h.all_events();
        let info = logs(&evs, 1);
        assert!(
            info.iter().any(|l| l.contains("packet id 7")
                && l.contains("\"old\"")
                && l.contains("dropped undelivered")),
            "{info:?}"
        );
        let evs: Vec<_> = evs
            .into_iter()
            .filter(|e| !matches!(e, ProtocolEvent::Log { .. }))
            .collect();
        assert_eq!(
            evs,
            vec![
                dropped(7),
                ProtocolEvent::InflightAdded {
                    message: in_msg("new", QoS::AtLeastOnce, 7, b"new", MessageState::SendPubAck)
                },
                ProtocolEvent::InflightState {
                    direction: Direction::Incoming,
                    packet_id: 7,
                    state: MessageState::InDone
                },
                ProtocolEvent::MessageAck {
                    direction: Direction::Incoming,
                    packet_id: 7,
                    response_code: 0
                },
                ProtocolEvent::MessageIn {
                    message: in_msg("new", QoS::AtLeastOnce, 7, b"new", MessageState::InDone)
                },
            ]
        );
        assert!(h.conn.incoming().is_empty());
        // Should a PUBREL for the old flow still come, it delivers nothing.
        h.feed(pubrel(7));
        assert_eq!(h.packets(), vec![pubcomp_with(7, not_found(protocol))]);
        assert!(delivered(&h.all_events()).is_empty());
        // The same PUBLISH again (as after a reconnect) is simply a QoS 1 message again.
        h.feed(publish_in("new", QoS::AtLeastOnce, 7, b"new", true));
        assert_eq!(h.packets(), vec![puback(7)]);
        assert_eq!(delivered(&h.all_events()).len(), 1);
        assert!(h.conn.is_connected());
    }
}

#[test]
fn qos2_publish_with_other_content_on_a_held_id_replaces_the_forgotten_message() {
    for protocol in BOTH {
        // Another topic, or the same topic with another payload.
        for (topic, payload) in [("new", &b"old"[..]), ("old", &b"new"[..])] {
            let payload: &'static [u8] = if payload == b"old" { b"old" } else { b"new" };
            let mut h = Harness::connected(config(protocol));
            h.feed(publish_in("old", QoS::ExactlyOnce, 7, b"old", false));
            assert_eq!(h.packets(), vec![pubrec(7)]);
            h.all_events();
            h.feed(publish_in(topic, QoS::ExactlyOnce, 7, payload, false));
            assert_eq!(h.packets(), vec![pubrec(7)]);
            assert!(h.conn.is_connected());
            let evs = h.all_events();
            assert_eq!(logs(&evs, 1).len(), 1, "{evs:?}");
            let evs: Vec<_> = evs
                .into_iter()
                .filter(|e| !matches!(e, ProtocolEvent::Log { .. }))
                .collect();
            assert_eq!(
                evs,
                vec![
                    dropped(7),
                    ProtocolEvent::InflightAdded {
                        message: in_msg(
                            topic,
                            QoS::ExactlyOnce,
                            7,
                            payload,
                            MessageState::SendPubRec
                        )
                    },
                    ProtocolEvent::InflightState {
                        direction: Direction::Incoming,
                        packet_id: 7,
                        state: MessageState::WaitPubRel
                    },
                ]
            );
            assert_eq!(
                h.conn.incoming(),
                vec![in_msg(
                    topic,
                    QoS::ExactlyOnce,
                    7,
                    payload,
                    MessageState::WaitPubRel
                )]
            );
            h.feed(pubrel(7));
            assert_eq!(h.packets(), vec![pubcomp(7)]);
            let got = delivered(&h.all_events());
            assert_eq!(
                got,
                vec![in_msg(
                    topic,
                    QoS::ExactlyOnce,
                    7,
                    payload,
                    MessageState::InDone
                )]
            );
            assert!(h.conn.incoming().is_empty());
        }
    }
}

#[test]
fn qos2_repeat_with_the_same_content_or_dup_stays_a_duplicate() {
    for protocol in BOTH {
        let mut h = Harness::connected(config(protocol));
        h.feed(publish_in("t", QoS::ExactlyOnce, 7, b"one", false));
        h.packets();
        h.all_events();
        // Same content, DUP 0 (a server resending without the flag): a duplicate.
        h.feed(publish_in("t", QoS::ExactlyOnce, 7, b"one", false));
        // DUP 1 is a resend by definition, whatever it carries.
        h.feed(publish_in("u", QoS::ExactlyOnce, 7, b"two", true));
        assert_eq!(h.packets(), vec![pubrec(7), pubrec(7)]);
        assert!(h.events().is_empty());
        assert_eq!(
            h.conn.incoming(),
            vec![in_msg(
                "t",
                QoS::ExactlyOnce,
                7,
                b"one",
                MessageState::WaitPubRel
            )]
        );
        h.feed(pubrel(7));
        assert_eq!(
            delivered(&h.all_events()),
            vec![in_msg(
                "t",
                QoS::ExactlyOnce,
                7,
                b"one",
                MessageState::InDone
            )]
        );
    }
}

#[test]
fn a_reused_id_frees_its_place_under_our_receive_maximum() {
    let mut cfg = config(Protocol::V5);
    cfg.connect_properties.receive_maximum = Some(1);
    let mut h = Harness::connected(cfg);
    h.feed(publish_in("old", QoS::ExactlyOnce, 1, b"a", false));
    h.packets();
    // The forgotten message does not count: no 0x93.
    h.feed(publish_in("new", QoS::ExactlyOnce, 1, b"b", false));
    assert_eq!(h.packets(), vec![pubrec(1)]);
    h.feed(publish_in("newer", QoS::AtLeastOnce, 1, b"c", false));
    assert_eq!(h.packets(), vec![puback(1)]);
    assert!(h.conn.is_connected());
    let got: Vec<_> = delivered(&h.all_events())
        .into_iter()
        .map(|m| m.topic.to_string())
        .collect();
    assert_eq!(got, ["newer"]);
}

// ---- a server that lost its state: acknowledgements for flows we do not have ----

#[test]
fn pubrec_for_an_unknown_id_is_answered_with_pubrel() {
    for protocol in BOTH {
        let mut h = Harness::connected(config(protocol));
        h.feed(pubrec(9));
        assert_eq!(h.packets(), vec![pubrel_with(9, not_found(protocol))]);
        let evs = h.all_events();
        assert!(
            logs(&evs, 1)
                .iter()
                .any(|l| l.contains("PUBREC") && l.contains(" 9") && l.contains("PUBREL")),
            "{evs:?}"
        );
        // The server finishes with PUBCOMP, for an id we do not know either.
        h.feed(pubcomp(9));
        h.feed(puback(9));
        assert!(h.packets().is_empty());
        assert!(h.events().is_empty());
        assert!(h.conn.is_connected());
    }
}

#[test]
fn pubrec_for_our_qos1_message_finishes_the_servers_old_flow() {
    for protocol in BOTH {
        let mut h = Harness::connected(config(protocol));
        let id = h.publish("a/b", QoS::AtLeastOnce).unwrap();
        h.packets();
        h.all_events();
        // The server's restored state still has a QoS 2 flow of ours on this id.
        h.feed(pubrec(id));
        assert_eq!(h.packets(), vec![pubrel_with(id, not_found(protocol))]);
        assert!(h.events().is_empty());
        assert!(h.conn.is_connected());
        assert_eq!(h.conn.outgoing()[0].state, MessageState::WaitPubAck);
        h.feed(pubcomp(id));
        assert!(h.conn.is_connected(), "PUBCOMP ends nothing of ours");
        h.feed(puback(id));
        assert!(h.events().iter().any(
            |e| matches!(e, ProtocolEvent::MessageOut { message } if message.packet_id == id)
        ));
        assert!(h.conn.outgoing().is_empty());
    }
}

#[test]
fn puback_and_pubcomp_for_unknown_ids_are_ignored() {
    for protocol in BOTH {
        let mut h = Harness::connected(config(protocol));
        h.conn.set_log_level(2);
        for p in [puback(9), pubcomp(9)] {
            h.feed(p);
            assert!(h.packets().is_empty());
            let evs = h.all_events();
            assert!(
                logs(&evs, 2)
                    .iter()
                    .any(|l| l.contains("unknown packet id 9")),
                "{evs:?}"
            );
            assert!(h.conn.is_connected());
        }
    }
}

// ---- CONNACK with Session Present 1 for a clean start ----

fn connack_sp1() -> Packet {
    Packet::ConnAck(ConnAck {
        session_present: true,
        code: 0,
        properties: Properties::default(),
    })
}

#[test]
fn v5_session_present_for_a_clean_start_fails_the_connect() {
    let mut h = Harness::new(config(Protocol::V5));
    h.conn.start(h.now);
    h.packets();
    h.feed(connack_sp1());
    assert!(!h.conn.is_connected());
    let evs = h.all_events();
    assert!(
        !evs.iter()
            .any(|e| matches!(e, ProtocolEvent::Connected { .. })),
        "{evs:?}"
    );
    let closed: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            ProtocolEvent::Closed { code, reason } => Some((*code, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(closed.len(), 1, "{evs:?}");
    let (code, reason) = &closed[0];
    assert_eq!(*code, code::PROTOCOL);
    assert!(
        reason.contains("MQTT-3.2.2-4") && reason.contains("clean start"),
        "{reason}"
    );
    assert_eq!(disconnect_reason(&h.packets()), 0x82);
    assert!(h.conn.is_closed());
}

#[test]
fn v311_session_present_for_a_clean_session_is_logged_and_treated_as_none() {
    // A session carried from an earlier connection: it must not be resumed (no DUP).
    let mut old = Harness::connected(config(Protocol::V311));
    old.publish("a/b", QoS::AtLeastOnce).unwrap();
    old.feed(publish_in("in", QoS::ExactlyOnce, 5, b"x", false));
    old.packets();
    let state = old.conn.take_session();
    let mut h = Harness::new(config(Protocol::V311));
    h.conn = Connection::with_session(config(Protocol::V311), state);
    h.conn.start(h.now);
    h.packets();
    h.feed(connack_sp1());
    assert!(h.conn.is_connected());
    match h.packets().as_slice() {
        [Packet::Publish(p)] => assert!(!p.dup, "published as new, not resumed"),
        other => panic!("{other:?}"),
    }
    let evs = h.all_events();
    assert!(
        logs(&evs, 1)
            .iter()
            .any(|l| l.contains("Session Present 1") && l.contains("clean session")),
        "{evs:?}"
    );
    assert!(evs.contains(&dropped(5)), "{evs:?}");
    assert!(h.conn.incoming().is_empty());
}

// ---- non-minimal remaining length, through handle_bytes ----

#[test]
fn non_minimal_remaining_length_is_read_under_v311_and_refused_under_v5() {
    // PUBACK for id 1 with its length 2 written as 0x82 0x00.
    let bytes: &[u8] = &[0x40, 0x82, 0x00, 0x00, 0x01];
    for protocol in BOTH {
        let mut h = Harness::connected(config(protocol));
        h.publish("a/b", QoS::AtLeastOnce).unwrap();
        h.packets();
        h.all_events();
        let mut buf = BytesMut::from(bytes);
        h.conn.handle_bytes(h.now, &mut buf);
        if protocol == Protocol::V311 {
            assert!(h.conn.is_connected());
            assert!(h.conn.outgoing().is_empty(), "the PUBACK was read");
        } else {
            let (code, reason) = h.closed();
            assert_eq!(code, code::MALFORMED);
            assert!(reason.contains("minimum number of bytes"), "{reason}");
            let mut out = BytesMut::new();
            h.conn.poll_transmit(&mut out);
            let d = codec::decode(&mut out, protocol, u32::MAX).unwrap();
            assert!(
                matches!(d, Some(Packet::Disconnect(ref d)) if d.reason == 0x81),
                "{d:?}"
            );
        }
    }
}

/// A 5.0 connection whose session carries one message published on an earlier connection
/// (PUBLISH sent, not acknowledged), reconnecting to a server whose CONNACK has `props`.
fn carried_over(qos: QoS, retain: bool, payload: &'static [u8], props: Properties) -> Harness {
    let mut h = Harness::connected(config(Protocol::V5));
    h.conn
        .publish(
            h.now,
            "carried/t",
            qos,
            Bytes::from_static(payload),
            retain,
            false,
            Properties::default(),
        )
        .unwrap();
    h.packets();
    h.all_events();
    let session = h.conn.end_and_take_session();
    let mut next = Harness::new(config(Protocol::V5));
    next.conn = Connection::with_session(config(Protocol::V5), session);
    next.conn.start(next.now);
    next.packets();
    next.feed(connack(0, props));
    next
}

fn acks_out(evs: &[ProtocolEvent]) -> Vec<u8> {
    evs.iter()
        .filter_map(|e| match e {
            ProtocolEvent::MessageAck {
                direction: Direction::Outgoing,
                response_code,
                ..
            } => Some(*response_code),
            _ => None,
        })
        .collect()
}

fn publishes(packets: &[Packet]) -> usize {
    packets
        .iter()
        .filter(|p| matches!(p, Packet::Publish(_)))
        .count()
}

#[test]
fn a_carried_over_message_this_server_cannot_take_is_failed_not_sent() {
    // Found by the hostile_peer fuzz target (fuzz/corpus/hostile_peer/seed-bug-*): each
    // case used to be sent, earning a DISCONNECT at every reconnection.
    let cases: [(QoS, bool, &'static [u8], Properties, u8); 3] = [
        (
            QoS::ExactlyOnce,
            false,
            b"x",
            Properties {
                maximum_qos: Some(0),
                ..Properties::default()
            },
            0x9B,
        ),
        (
            QoS::AtLeastOnce,
            true,
            b"x",
            Properties {
                retain_available: Some(0),
                ..Properties::default()
            },
            0x9A,
        ),
        (
            QoS::AtLeastOnce,
            false,
            &[7u8; 200],
            Properties {
                maximum_packet_size: Some(100),
                ..Properties::default()
            },
            0x95,
        ),
    ];
    for (qos, retain, payload, props, rc) in cases {
        let mut h = carried_over(qos, retain, payload, props);
        assert!(h.conn.is_connected());
        assert_eq!(
            publishes(&h.packets()),
            0,
            "sent to a server that cannot take it"
        );
        let evs = h.all_events();
        assert_eq!(acks_out(&evs), vec![rc]);
        assert!(evs
            .iter()
            .any(|e| matches!(e, ProtocolEvent::MessageOut { .. })));
        assert!(!logs(&evs, 1).is_empty());
        assert!(h.conn.outgoing().is_empty());
    }
    // Past PUBREC, to a server without the session whose Maximum QoS is 1: the message
    // would be a QoS 2 PUBLISH again (found by hostile_peer with ManualAck in its setup).
    let mut h = Harness::connected(config(Protocol::V5));
    let id = h
        .conn
        .publish(
            h.now,
            "carried/t",
            QoS::ExactlyOnce,
            Bytes::from_static(b"x"),
            false,
            false,
            Properties::default(),
        )
        .unwrap();
    h.packets();
    h.feed(pubrec(id));
    h.packets();
    h.all_events();
    let session = h.conn.end_and_take_session();
    let mut next = Harness::new(config(Protocol::V5));
    next.conn = Connection::with_session(config(Protocol::V5), session);
    next.conn.start(next.now);
    next.packets();
    next.feed(connack(
        0,
        Properties {
            maximum_qos: Some(1),
            ..Properties::default()
        },
    ));
    assert_eq!(
        publishes(&next.packets()),
        0,
        "a QoS 2 PUBLISH to a Maximum QoS 1 server"
    );
    assert_eq!(acks_out(&next.all_events()), vec![0x9B]);
    assert!(next.conn.outgoing().is_empty());
    // A server that takes it gets it again.
    let mut h = carried_over(QoS::ExactlyOnce, false, b"x", Properties::default());
    assert_eq!(publishes(&h.packets()), 1);
    assert_eq!(acks_out(&h.all_events()), Vec::<u8>::new());
}
