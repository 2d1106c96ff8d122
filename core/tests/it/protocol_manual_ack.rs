//! ManualAck on the state machine: delivery on arrival, PUBACK/PUBREC held until `ack`, sent
//! in arrival order, counted against our Receive Maximum, and left out of the session.

use crate::protocol_harness as harness;

use bytes::Bytes;
use ferromq::code;
use ferromq::codec::{ConnAck, Packet, Properties, Protocol, QoS};
use ferromq::protocol::SessionState;
use ferromq::protocol::{Connection, Direction, Message, MessageState, ProtocolEvent};
use harness::*;

fn manual(protocol: Protocol) -> ferromq::protocol::ConnectionConfig {
    let mut cfg = config(protocol);
    cfg.manual_ack = true;
    cfg
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

fn st(packet_id: u16, state: MessageState) -> ProtocolEvent {
    ProtocolEvent::InflightState {
        direction: Direction::Incoming,
        packet_id,
        state,
    }
}

fn msg_ack(packet_id: u16) -> ProtocolEvent {
    ProtocolEvent::MessageAck {
        direction: Direction::Incoming,
        packet_id,
        response_code: 0,
    }
}

fn delivered(events: &[ProtocolEvent]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            ProtocolEvent::MessageIn { message } => Some(message.packet_id),
            _ => None,
        })
        .collect()
}

fn ids(list: Vec<Message>) -> Vec<(u16, MessageState)> {
    list.into_iter().map(|m| (m.packet_id, m.state)).collect()
}

#[test]
fn qos1_is_delivered_at_once_and_its_puback_waits_for_ack() {
    for protocol in [Protocol::V311, Protocol::V5] {
        let mut h = Harness::connected(manual(protocol));
        h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 7)));
        assert!(h.packets().is_empty(), "PUBACK held");
        assert_eq!(
            h.events(),
            vec![
                ProtocolEvent::InflightAdded {
                    message: in_msg(7, QoS::AtLeastOnce, MessageState::SendPubAck)
                },
                ProtocolEvent::MessageIn {
                    message: in_msg(7, QoS::AtLeastOnce, MessageState::SendPubAck)
                },
            ]
        );
        assert_eq!(ids(h.conn.incoming()), vec![(7, MessageState::SendPubAck)]);
        h.conn.ack(h.now, 7).unwrap();
        assert_eq!(h.packets(), vec![puback(7)]);
        assert_eq!(h.events(), vec![st(7, MessageState::InDone), msg_ack(7)]);
        assert!(h.conn.incoming().is_empty());
        // Twice is refused: nothing waits any more.
        let e = h.conn.ack(h.now, 7).unwrap_err();
        assert_eq!(e.code, code::BAD_STATE);
        assert!(e.message.contains('7'), "{}", e.message);
        assert!(h.packets().is_empty());
    }
}

#[test]
fn qos2_is_delivered_on_arrival_and_not_again_on_pubrel() {
    let mut h = Harness::connected(manual(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 9)));
    assert!(h.packets().is_empty(), "PUBREC held");
    assert_eq!(
        h.events(),
        vec![
            ProtocolEvent::InflightAdded {
                message: in_msg(9, QoS::ExactlyOnce, MessageState::SendPubRec)
            },
            ProtocolEvent::MessageIn {
                message: in_msg(9, QoS::ExactlyOnce, MessageState::SendPubRec)
            },
        ]
    );
    // A repeated PUBLISH (DUP) before the ack: no PUBREC, no second delivery.
    let mut again = incoming("in/t", QoS::ExactlyOnce, 9);
    again.dup = true;
    h.feed(Packet::Publish(again.clone()));
    assert!(h.packets().is_empty());
    assert!(h.events().is_empty());
    h.conn.ack(h.now, 9).unwrap();
    assert_eq!(h.packets(), vec![pubrec(9)]);
    assert_eq!(h.events(), vec![st(9, MessageState::WaitPubRel)]);
    assert_eq!(ids(h.conn.incoming()), vec![(9, MessageState::WaitPubRel)]);
    // Acknowledged already: refused, while the repeated PUBLISH now gets its PUBREC again.
    assert_eq!(h.conn.ack(h.now, 9).unwrap_err().code, code::BAD_STATE);
    h.feed(Packet::Publish(again));
    assert_eq!(h.packets(), vec![pubrec(9)]);
    assert!(h.events().is_empty());
    h.feed(pubrel(9));
    assert_eq!(h.packets(), vec![pubcomp(9)]);
    assert_eq!(
        h.events(),
        vec![
            st(9, MessageState::SendPubComp),
            st(9, MessageState::InDone),
            msg_ack(9),
        ]
    );
    assert!(h.conn.incoming().is_empty());
}

#[test]
fn acknowledgements_go_out_in_arrival_order() {
    let mut h = Harness::connected(manual(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 1)));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 2)));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 3)));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 4)));
    assert_eq!(delivered(&h.events()), vec![1, 2, 3, 4]);
    assert!(h.packets().is_empty());
    // Later ones first: held behind message 1.
    h.conn.ack(h.now, 3).unwrap();
    h.conn.ack(h.now, 2).unwrap();
    assert!(h.packets().is_empty());
    assert!(h.events().is_empty());
    // Acknowledged but waiting: a second ack is refused.
    assert_eq!(h.conn.ack(h.now, 3).unwrap_err().code, code::BAD_STATE);
    h.conn.ack(h.now, 1).unwrap();
    assert_eq!(h.packets(), vec![puback(1), pubrec(2), puback(3)]);
    assert_eq!(
        h.events(),
        vec![
            st(1, MessageState::InDone),
            msg_ack(1),
            st(2, MessageState::WaitPubRel),
            st(3, MessageState::InDone),
            msg_ack(3),
        ]
    );
    assert_eq!(
        ids(h.conn.incoming()),
        vec![(2, MessageState::WaitPubRel), (4, MessageState::SendPubAck)]
    );
    h.conn.ack(h.now, 4).unwrap();
    assert_eq!(h.packets(), vec![puback(4)]);
}

#[test]
fn unknown_ids_are_refused_with_211() {
    let mut h = Harness::connected(manual(Protocol::V5));
    let e = h.conn.ack(h.now, 42).unwrap_err();
    assert_eq!(e.code, code::BAD_STATE);
    assert!(e.message.contains("42"), "{}", e.message);
    // A QoS 0 message is never held.
    h.feed(Packet::Publish(incoming("in/t", QoS::AtMostOnce, 0)));
    assert_eq!(delivered(&h.events()), vec![0]);
    assert_eq!(h.conn.ack(h.now, 0).unwrap_err().code, code::BAD_STATE);
    assert!(h.packets().is_empty());
    // Without ManualAck nothing is ever held, and the refusal says why.
    let mut h = Harness::connected(config(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 5)));
    assert_eq!(h.packets(), vec![puback(5)]);
    let e = h.conn.ack(h.now, 5).unwrap_err();
    assert_eq!(e.code, code::BAD_STATE);
    assert!(e.message.contains("ManualAck"), "{}", e.message);
}

#[test]
fn held_messages_count_against_our_receive_maximum() {
    let mut cfg = manual(Protocol::V5);
    cfg.connect_properties.receive_maximum = Some(2);
    let mut h = Harness::connected(cfg);
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 1)));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 2)));
    h.events();
    // One acknowledged frees one place.
    h.conn.ack(h.now, 1).unwrap();
    assert_eq!(h.packets(), vec![puback(1)]);
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 3)));
    assert!(h.conn.is_connected());
    h.events();
    // Two held: a third is over the limit.
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 4)));
    let (c, _) = h.closed();
    assert_eq!(c, code::PROTOCOL);
    assert_eq!(disconnect_reason(&h.packets()), 0x93);
    // The connection ended: its held messages cannot be acknowledged any more.
    let e = h.conn.ack(h.now, 2).unwrap_err();
    assert_eq!(e.code, code::BAD_STATE);
    assert!(e.message.contains("ended"), "{}", e.message);
    assert!(h.packets().is_empty());
}

#[test]
fn held_messages_are_not_kept_in_the_session() {
    let mut cfg = manual(Protocol::V5);
    cfg.clean_session = false;
    let mut h = Harness::connected(cfg.clone());
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 1)));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 2)));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 3)));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 4)));
    h.events();
    // 2 acknowledged (PUBREC sent); 4 acknowledged but held behind 3.
    h.conn.ack(h.now, 1).unwrap();
    h.conn.ack(h.now, 2).unwrap();
    h.conn.ack(h.now, 4).unwrap();
    assert_eq!(h.packets(), vec![puback(1), pubrec(2)]);
    let session = h.conn.session();
    assert_eq!(ids(session.incoming()), vec![(2, MessageState::WaitPubRel)]);
    // The text form carries it, and that it was delivered already.
    let text = session.to_text();
    assert!(text.contains("\"delivered\":true"), "{text}");
    let session = SessionState::from_text(&text).unwrap();
    let taken = h.conn.end_and_take_session();
    assert_eq!(ids(taken.incoming()), vec![(2, MessageState::WaitPubRel)]);
    assert_eq!(h.conn.ack(h.now, 3).unwrap_err().code, code::BAD_STATE);

    // The next connection: the server resumes the session and releases 2, which completes
    // without a second delivery; it sends 3 and 4 again, delivered as new messages.
    for s in [taken, session] {
        let mut h2 = Harness::new(cfg.clone());
        h2.conn = Connection::with_session(cfg.clone(), s);
        h2.conn.start(h2.now);
        h2.packets();
        h2.feed(Packet::ConnAck(ConnAck {
            session_present: true,
            code: 0,
            properties: Properties::default(),
        }));
        h2.events();
        h2.feed(pubrel(2));
        assert_eq!(h2.packets(), vec![pubcomp(2)]);
        let evs = h2.events();
        assert!(delivered(&evs).is_empty(), "{evs:?}");
        assert!(evs.contains(&msg_ack(2)));
        let mut resent = incoming("in/t", QoS::ExactlyOnce, 3);
        resent.dup = true;
        h2.feed(Packet::Publish(resent));
        assert_eq!(delivered(&h2.events()), vec![3]);
        assert!(h2.packets().is_empty());
        h2.conn.ack(h2.now, 3).unwrap();
        assert_eq!(h2.packets(), vec![pubrec(3)]);
    }
}

#[test]
fn session_without_manual_ack_still_delivers_on_pubrel() {
    // A QoS 2 message acknowledged automatically and kept in the session is delivered on
    // PUBREL, even by a connection with ManualAck on.
    let mut cfg = config(Protocol::V311);
    cfg.clean_session = false;
    let mut h = Harness::connected(cfg.clone());
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 5)));
    assert_eq!(h.packets(), vec![pubrec(5)]);
    let s = h.conn.end_and_take_session();
    assert!(!s.to_text().contains("delivered"));
    let mut cfg2 = cfg.clone();
    cfg2.manual_ack = true;
    let mut h2 = Harness::new(cfg2.clone());
    h2.conn = Connection::with_session(cfg2, s);
    h2.conn.start(h2.now);
    h2.packets();
    h2.feed(Packet::ConnAck(ConnAck {
        session_present: true,
        code: 0,
        properties: Properties::default(),
    }));
    h2.events();
    h2.feed(pubrel(5));
    assert_eq!(h2.packets(), vec![pubcomp(5)]);
    assert_eq!(delivered(&h2.events()), vec![5]);
}

#[test]
fn pubrel_before_the_held_pubrec_is_a_protocol_error() {
    let mut h = Harness::connected(manual(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::ExactlyOnce, 6)));
    h.events();
    h.feed(pubrel(6));
    let (c, reason) = h.closed();
    assert_eq!(c, code::PROTOCOL);
    assert!(reason.contains("PUBREL"), "{reason}");
}

#[test]
fn a_new_flow_on_a_held_id_drops_the_old_message_and_frees_the_queue() {
    // A server that starts a new flow on an id we hold has lost the old one: it is dropped,
    // and what was acknowledged behind it goes out.
    let mut h = Harness::connected(manual(Protocol::V5));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 1)));
    h.feed(Packet::Publish(incoming("in/t", QoS::AtLeastOnce, 2)));
    h.events();
    h.conn.ack(h.now, 2).unwrap();
    assert!(h.packets().is_empty());
    let mut other = incoming("in/t", QoS::AtLeastOnce, 1);
    other.payload = Bytes::from_static(b"another");
    h.feed(Packet::Publish(other));
    assert_eq!(h.packets(), vec![puback(2)]);
    let evs = h.events();
    assert!(evs.contains(&ProtocolEvent::InflightDropped {
        direction: Direction::Incoming,
        packet_id: 1
    }));
    assert_eq!(delivered(&evs), vec![1]);
    h.conn.ack(h.now, 1).unwrap();
    assert_eq!(h.packets(), vec![puback(1)]);
}
