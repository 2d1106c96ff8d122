//! QoS 1/2 flows in both directions, with the documented order of steps and events.

use crate::protocol_harness as harness;

use bytes::Bytes;
use ferromq::code;
use ferromq::codec::{Packet, Properties, Protocol, PubResp, Publish, QoS};
use ferromq::protocol::{Direction, Message, MessageState, ProtocolEvent};
use harness::*;
use std::time::Duration;

fn out_msg(id: u16, qos: QoS, state: MessageState) -> Message {
    Message {
        direction: Direction::Outgoing,
        packet_id: id,
        topic: "a/b".into(),
        qos,
        payload: Bytes::from_static(b"payload"),
        retain: false,
        dup: false,
        state,
        properties: Message::empty_properties(),
    }
}

fn in_msg(id: u16, qos: QoS, state: MessageState) -> Message {
    Message {
        direction: Direction::Incoming,
        packet_id: id,
        topic: "in/t".into(),
        qos,
        payload: Bytes::from_static(b"data"),
        retain: false,
        dup: false,
        state,
        properties: Message::empty_properties(),
    }
}

fn st(direction: Direction, packet_id: u16, state: MessageState) -> ProtocolEvent {
    ProtocolEvent::InflightState {
        direction,
        packet_id,
        state,
    }
}

fn ack(direction: Direction, packet_id: u16, response_code: u8) -> ProtocolEvent {
    ProtocolEvent::MessageAck {
        direction,
        packet_id,
        response_code,
    }
}

fn sent_publish(packets: &[Packet]) -> Publish {
    match packets {
        [Packet::Publish(p)] => p.clone(),
        other => panic!("expected one PUBLISH, got {other:?}"),
    }
}

// ---- outgoing ----

#[test]
fn outgoing_qos0_is_done_once_queued() {
    let mut h = Harness::connected(config(Protocol::V311));
    assert_eq!(h.publish("a/b", QoS::AtMostOnce), Ok(0));
    let p = sent_publish(&h.packets());
    assert_eq!((p.packet_id, p.qos, &*p.topic), (0, QoS::AtMostOnce, "a/b"));
    assert_eq!(
        h.events(),
        vec![ProtocolEvent::MessageOut {
            message: out_msg(0, QoS::AtMostOnce, MessageState::OutDone)
        }]
    );
    assert!(h.conn.outgoing().is_empty());
}

#[test]
fn outgoing_qos1_flow() {
    for protocol in [Protocol::V311, Protocol::V5] {
        let mut h = Harness::connected(config(protocol));
        let id = h.publish("a/b", QoS::AtLeastOnce).unwrap();
        assert_eq!(id, 1);
        let p = sent_publish(&h.packets());
        assert_eq!((p.packet_id, p.qos, p.dup), (1, QoS::AtLeastOnce, false));
        assert_eq!(
            h.events(),
            vec![ProtocolEvent::InflightAdded {
                message: out_msg(1, QoS::AtLeastOnce, MessageState::WaitPubAck)
            }]
        );
        assert_eq!(
            h.conn.outgoing(),
            vec![out_msg(1, QoS::AtLeastOnce, MessageState::WaitPubAck)]
        );
        h.feed(Packet::PubAck(resp(1, 0x10)));
        assert!(h.packets().is_empty());
        assert_eq!(
            h.events(),
            vec![
                st(Direction::Outgoing, 1, MessageState::OutDone),
                ack(Direction::Outgoing, 1, 0x10),
                ProtocolEvent::MessageOut {
                    message: out_msg(1, QoS::AtLeastOnce, MessageState::OutDone)
                },
            ]
        );
        assert!(h.conn.outgoing().is_empty());
    }
}

#[test]
fn outgoing_qos2_flow() {
    let mut h = Harness::connected(config(Protocol::V311));
    let id = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    let p = sent_publish(&h.packets());
    assert_eq!((p.packet_id, p.qos), (id, QoS::ExactlyOnce));
    assert_eq!(
        h.events(),
        vec![ProtocolEvent::InflightAdded {
            message: out_msg(id, QoS::ExactlyOnce, MessageState::WaitPubRec)
        }]
    );
    h.feed(pubrec(id));
    assert_eq!(h.packets(), vec![pubrel(id)]);
    assert_eq!(
        h.events(),
        vec![
            st(Direction::Outgoing, id, MessageState::SendPubRel),
            st(Direction::Outgoing, id, MessageState::WaitPubComp),
        ]
    );
    assert_eq!(
        h.conn.outgoing(),
        vec![out_msg(id, QoS::ExactlyOnce, MessageState::WaitPubComp)]
    );
    // A repeated PUBREC is answered again and changes nothing else.
    h.feed(pubrec(id));
    assert_eq!(h.packets(), vec![pubrel(id)]);
    assert!(h.events().is_empty());
    h.feed(pubcomp(id));
    assert!(h.packets().is_empty());
    assert_eq!(
        h.events(),
        vec![
            st(Direction::Outgoing, id, MessageState::OutDone),
            ack(Direction::Outgoing, id, 0),
            ProtocolEvent::MessageOut {
                message: out_msg(id, QoS::ExactlyOnce, MessageState::OutDone)
            },
        ]
    );
    assert!(h.conn.outgoing().is_empty());
}

#[test]
fn v5_pubrec_failure_ends_the_flow_without_pubrel() {
    let mut h = Harness::connected(config(Protocol::V5));
    let id = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    h.packets();
    h.events();
    h.feed(Packet::PubRec(resp(id, 0x87)));
    assert!(h.packets().is_empty());
    assert_eq!(
        h.events(),
        vec![
            st(Direction::Outgoing, id, MessageState::OutDone),
            ack(Direction::Outgoing, id, 0x87),
            ProtocolEvent::MessageOut {
                message: out_msg(id, QoS::ExactlyOnce, MessageState::OutDone)
            },
        ]
    );
    assert!(h.conn.outgoing().is_empty());
}

#[test]
fn outgoing_list_keeps_entry_order_with_current_states() {
    let mut h = Harness::connected(config(Protocol::V311));
    let a = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    let b = h.publish("a/b", QoS::AtLeastOnce).unwrap();
    let c = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    h.feed(pubrec(c));
    h.feed(puback(b));
    let list: Vec<_> = h
        .conn
        .outgoing()
        .into_iter()
        .map(|m| (m.packet_id, m.state))
        .collect();
    assert_eq!(
        list,
        vec![
            (a, MessageState::WaitPubRec),
            (c, MessageState::WaitPubComp)
        ]
    );
}

#[test]
fn wrong_ack_type_is_a_protocol_error() {
    // PUBACK for a QoS 2 message.
    let mut h = Harness::connected(config(Protocol::V5));
    let id = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    h.packets();
    h.feed(puback(id));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(reason.contains("PUBACK"), "{reason}");
    assert_eq!(disconnect_reason(&h.packets()), 0x82);

    // (PUBREC for a QoS 1 message is answered instead: see protocol_recovery.rs.)

    // PUBCOMP before PUBREC.
    let mut h = Harness::connected(config(Protocol::V311));
    let id = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    h.feed(pubcomp(id));
    let (code, reason) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert!(reason.contains("before its PUBREC"), "{reason}");
}

#[test]
fn acks_for_unknown_ids_are_ignored_under_v311() {
    // (PUBREC for an unknown id is answered with PUBREL: see protocol_recovery.rs.)
    let mut h = Harness::connected(config(Protocol::V311));
    h.conn.set_log_level(2);
    for p in [puback(9), pubcomp(9)] {
        h.feed(p);
        assert!(h.packets().is_empty());
        let evs = h.all_events();
        assert!(
            matches!(evs.as_slice(), [ProtocolEvent::Log { message, .. }] if message.contains("unknown packet id 9")),
            "{evs:?}"
        );
    }
    assert!(h.conn.is_connected());
}

#[test]
fn v5_pubrec_for_unknown_id_is_answered_with_pubrel_0x92() {
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(pubrec(9));
    assert_eq!(h.packets(), vec![Packet::PubRel(resp(9, 0x92))]);
    h.feed(puback(9));
    h.feed(pubcomp(9));
    assert!(h.packets().is_empty());
    assert!(h.events().is_empty());
    assert!(h.conn.is_connected());
}

// ---- incoming ----

#[test]
fn incoming_qos0_is_delivered_at_once() {
    let mut h = Harness::connected(config(Protocol::V311));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtMostOnce, 0)));
    assert!(h.packets().is_empty());
    assert_eq!(
        h.events(),
        vec![ProtocolEvent::MessageIn {
            message: in_msg(0, QoS::AtMostOnce, MessageState::InDone)
        }]
    );
}

#[test]
fn incoming_qos1_flow() {
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 7)));
    assert_eq!(h.packets(), vec![puback(7)]);
    assert_eq!(
        h.events(),
        vec![
            ProtocolEvent::InflightAdded {
                message: in_msg(7, QoS::AtLeastOnce, MessageState::SendPubAck)
            },
            st(Direction::Incoming, 7, MessageState::InDone),
            ack(Direction::Incoming, 7, 0),
            ProtocolEvent::MessageIn {
                message: in_msg(7, QoS::AtLeastOnce, MessageState::InDone)
            },
        ]
    );
    assert!(h.conn.incoming().is_empty());
}

#[test]
fn incoming_qos2_flow() {
    let mut h = Harness::connected(config(Protocol::V311));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 7)));
    assert_eq!(h.packets(), vec![pubrec(7)]);
    assert_eq!(
        h.events(),
        vec![
            ProtocolEvent::InflightAdded {
                message: in_msg(7, QoS::ExactlyOnce, MessageState::SendPubRec)
            },
            st(Direction::Incoming, 7, MessageState::WaitPubRel),
        ]
    );
    assert_eq!(
        h.conn.incoming(),
        vec![in_msg(7, QoS::ExactlyOnce, MessageState::WaitPubRel)]
    );
    h.feed(pubrel(7));
    assert_eq!(h.packets(), vec![pubcomp(7)]);
    assert_eq!(
        h.events(),
        vec![
            st(Direction::Incoming, 7, MessageState::SendPubComp),
            st(Direction::Incoming, 7, MessageState::InDone),
            ack(Direction::Incoming, 7, 0),
            ProtocolEvent::MessageIn {
                message: in_msg(7, QoS::ExactlyOnce, MessageState::InDone)
            },
        ]
    );
    assert!(h.conn.incoming().is_empty());
}

#[test]
fn duplicate_incoming_qos2_is_not_delivered_twice() {
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 7)));
    h.packets();
    h.events();
    let mut again = incoming("in/t", QoS::ExactlyOnce, 7);
    again.dup = true;
    h.feed(Packet::Publish(again.clone()));
    h.feed(Packet::Publish(again));
    assert_eq!(h.packets(), vec![pubrec(7), pubrec(7)]);
    assert!(h.events().is_empty());
    assert_eq!(h.conn.incoming().len(), 1);
    h.feed(pubrel(7));
    assert_eq!(h.packets(), vec![pubcomp(7)]);
    let delivered = h
        .events()
        .into_iter()
        .filter(|e| matches!(e, ProtocolEvent::MessageIn { .. }))
        .count();
    assert_eq!(delivered, 1);
    // The id is free again: a new PUBLISH with it is a new message.
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 7)));
    assert_eq!(h.packets(), vec![pubrec(7)]);
    assert_eq!(h.conn.incoming().len(), 1);
}

#[test]
fn incoming_ids_are_separate_from_ours() {
    let mut h = Harness::connected(config(Protocol::V311));
    let id = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, id)));
    h.packets();
    h.events();
    assert_eq!(h.conn.outgoing().len(), 1);
    assert_eq!(h.conn.incoming().len(), 1);
    h.feed(pubrel(id));
    h.feed(pubrec(id));
    assert_eq!(h.packets(), vec![pubcomp(id), pubrel(id)]);
    assert!(h.conn.incoming().is_empty());
    assert_eq!(h.conn.outgoing().len(), 1);
}

#[test]
fn pubrel_for_unknown_id_is_answered() {
    let mut h = Harness::connected(config(Protocol::V311));
    h.feed(pubrel(3));
    assert_eq!(h.packets(), vec![pubcomp(3)]);
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(pubrel(3));
    assert_eq!(h.packets(), vec![Packet::PubComp(resp(3, 0x92))]);
    assert!(h.events().is_empty());
    assert!(h.conn.is_connected());
}

#[test]
fn v5_incoming_qos2_beyond_our_receive_maximum_is_refused() {
    let mut cfg = config(Protocol::V5);
    cfg.connect_properties.receive_maximum = Some(2);
    let mut h = Harness::connected(cfg);
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 1)));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 2)));
    h.packets();
    h.events();
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 3)));
    let (code, _) = h.closed();
    assert_eq!(code, code::PROTOCOL);
    assert_eq!(disconnect_reason(&h.packets()), 0x93);
}

// ---- republish ----

#[test]
fn v311_republishes_with_dup_and_the_same_id() {
    let mut cfg = config(Protocol::V311);
    cfg.keep_alive = 0;
    cfg.republish_interval = Some(Duration::from_secs(20));
    let mut h = Harness::connected(cfg);
    let a = h.publish("a/b", QoS::AtLeastOnce).unwrap();
    h.advance_secs(5);
    let b = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    let first = h.packets();
    assert_eq!(first.len(), 2);
    h.events();
    assert_eq!(h.conn.poll_timeout(), Some(h.t0 + Duration::from_secs(20)));
    assert_eq!(h.fire(), h.t0 + Duration::from_secs(20));
    let p = sent_publish(&h.packets());
    assert_eq!((p.packet_id, p.dup, p.qos), (a, true, QoS::AtLeastOnce));
    let logs = h.all_events();
    assert!(
        logs.iter().any(|e| matches!(
            e,
            ProtocolEvent::Log {
                log_type: "Info",
                level: 1,
                ..
            }
        )),
        "{logs:?}"
    );
    assert_eq!(h.fire(), h.t0 + Duration::from_secs(25));
    let p = sent_publish(&h.packets());
    assert_eq!((p.packet_id, p.dup, p.qos), (b, true, QoS::ExactlyOnce));
    let states: Vec<_> = h.conn.outgoing().iter().map(|m| m.dup).collect();
    assert_eq!(states, vec![true, true]);

    // Past PUBREC, the PUBREL is what gets resent.
    h.advance_secs(1);
    h.feed(pubrec(b));
    assert_eq!(h.packets(), vec![pubrel(b)]);
    let rec_at = h.now;
    assert_eq!(h.fire(), h.t0 + Duration::from_secs(40)); // `a` again
    assert_eq!(sent_publish(&h.packets()).packet_id, a);
    assert_eq!(h.fire(), rec_at + Duration::from_secs(20));
    assert_eq!(h.packets(), vec![pubrel(b)]);

    // Acknowledged messages are not resent.
    h.feed(puback(a));
    h.feed(pubcomp(b));
    h.all_events();
    assert_eq!(h.conn.poll_timeout(), None);
    h.advance_secs(100);
    h.conn.handle_timeout(h.now);
    assert!(h.packets().is_empty());
}

#[test]
fn v311_message_out_reports_the_dup_it_was_last_sent_with() {
    let mut cfg = config(Protocol::V311);
    cfg.keep_alive = 0;
    cfg.republish_interval = Some(Duration::from_secs(1));
    let mut h = Harness::connected(cfg);
    let id = h.publish("a/b", QoS::AtLeastOnce).unwrap();
    h.fire();
    h.feed(puback(id));
    let out = h
        .events()
        .into_iter()
        .find_map(|e| match e {
            ProtocolEvent::MessageOut { message } => Some(message),
            _ => None,
        })
        .unwrap();
    assert!(out.dup);
}

/// The driver sleeps until `sleep_deadline`; a publish from another thread must not need
/// an earlier deadline than that, or the driver would have to be woken for every one.
#[test]
fn sleep_deadline_is_never_later_than_a_later_publish_is_due() {
    let mut cfg = config(Protocol::V311);
    cfg.keep_alive = 0;
    cfg.republish_interval = Some(Duration::from_secs(20));
    let mut h = Harness::connected(cfg);
    // Nothing published yet: an idle connection sleeps without a deadline.
    assert_eq!(h.conn.sleep_deadline(h.now), None);
    let id = h.publish("a/b", QoS::AtLeastOnce).unwrap();
    h.packets();
    h.advance_secs(3);
    h.feed(puback(id));
    h.events();
    // Acknowledged: nothing is due, yet the driver wakes within one interval.
    assert_eq!(h.conn.poll_timeout(), None);
    let slept_at = h.now;
    let sleep = h.conn.sleep_deadline(slept_at);
    assert_eq!(sleep, Some(slept_at + Duration::from_secs(20)));
    h.advance_secs(1);
    let id = h.publish("a/b", QoS::AtLeastOnce).unwrap();
    h.packets();
    assert!(h.conn.poll_timeout().unwrap() >= sleep.unwrap());
    h.feed(puback(id));
    h.events();
    // A whole interval after the last due time was set, the spare wake-ups stop.
    h.advance_secs(19);
    assert!(h.conn.sleep_deadline(h.now).is_some());
    h.advance_secs(2);
    assert_eq!(h.conn.sleep_deadline(h.now), None);
}

#[test]
fn no_time_based_republish_under_v5() {
    let mut cfg = config(Protocol::V5);
    cfg.keep_alive = 0;
    cfg.republish_interval = Some(Duration::from_secs(1));
    let mut h = Harness::connected(cfg);
    h.publish("a/b", QoS::AtLeastOnce).unwrap();
    h.packets();
    assert_eq!(h.conn.poll_timeout(), None);
    h.advance_secs(3600);
    h.conn.handle_timeout(h.now);
    assert!(h.packets().is_empty());
}

// ---- flow control (5.0 Receive Maximum) ----

#[test]
fn v5_server_receive_maximum_holds_publishes_back_in_order() {
    let props = Properties {
        receive_maximum: Some(2),
        ..Properties::default()
    };
    let mut h = Harness::connected_with(config(Protocol::V5), props);
    let a = h.publish("a/b", QoS::AtLeastOnce).unwrap();
    let b = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    let c = h.publish("a/b", QoS::AtLeastOnce).unwrap();
    let d = h.publish("a/b", QoS::AtMostOnce).unwrap();
    assert_eq!((a, b, c, d), (1, 2, 3, 0));
    let ids: Vec<_> = h
        .packets()
        .iter()
        .map(|p| match p {
            Packet::Publish(p) => p.packet_id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, vec![1, 2], "only two may be unacknowledged");
    // Every message is in the outgoing view at once, and the QoS 0 one is reported out.
    assert_eq!(h.conn.outgoing().len(), 3);
    // A held message cannot be acknowledged yet.
    h.feed(puback(c));
    assert!(h.packets().is_empty());
    // PUBREC does not free a slot, PUBACK does; what waits goes out in order.
    h.feed(pubrec(b));
    assert_eq!(h.packets(), vec![pubrel(b)]);
    h.feed(puback(a));
    let sent: Vec<_> = h
        .packets()
        .into_iter()
        .map(|p| match p {
            Packet::Publish(p) => (p.packet_id, p.qos),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(sent, vec![(3, QoS::AtLeastOnce), (0, QoS::AtMostOnce)]);
}

#[test]
fn v5_pubrec_keeps_reason_code_properties_untouched() {
    // A PUBREC carrying properties but a success code continues normally.
    let mut h = Harness::connected(config(Protocol::V5));
    let id = h.publish("a/b", QoS::ExactlyOnce).unwrap();
    h.packets();
    h.feed(Packet::PubRec(PubResp {
        packet_id: id,
        reason: 0x10,
        properties: Properties {
            reason_string: Some("nobody listens".into()),
            ..Properties::default()
        },
    }));
    assert_eq!(h.packets(), vec![pubrel(id)]);
}

#[test]
fn zero_republish_interval_is_off() {
    let mut cfg = config(Protocol::V311);
    cfg.keep_alive = 0;
    cfg.republish_interval = Some(Duration::ZERO);
    let mut h = Harness::connected(cfg);
    h.publish("a/b", QoS::AtLeastOnce).unwrap();
    h.packets();
    assert_eq!(h.conn.poll_timeout(), None);
    h.advance_secs(10);
    h.conn.handle_timeout(h.now);
    assert!(h.packets().is_empty());
}
