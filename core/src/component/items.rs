//! What travels through the event queue, and how it becomes a documented event on the
//! consumer's thread. Conversion happens when an item is taken, so the engine thread only
//! moves the protocol's own values (no string building on the network path).

use super::event::*;
use crate::memory::Trim;
use crate::protocol::{Direction, Message, ProtocolEvent};
use std::collections::VecDeque;

pub(crate) enum Item {
    /// Straight from the state machine.
    Proto(ProtocolEvent),
    /// Already a documented event (connection lifecycle, errors).
    Event(Event),
    /// SSLServerAuthentication, with the number of the handshake that waits for its answer
    /// (0: none waits). An answer counts only for the handshake whose event was handled
    /// last, so an event left over from an attempt that gave up cannot answer a later one.
    Auth(u64, Event),
}

/// The messages the application has been told are in flight, moved in step with the
/// events it is given (a MessageAck handler still finds its message at `index`).
#[derive(Default)]
pub(crate) struct Mirror {
    // Deques: acknowledgements mostly come in order, so the message found and removed is
    // usually near the front, and removing it there costs nothing (a Vec shifted everything
    // behind it: quadratic with tens of thousands in flight, as the benchmark showed).
    pub incoming: VecDeque<Message>,
    pub outgoing: VecDeque<Message>,
    /// Removal owed after the MessageAck just handed out; applied when the next item is taken.
    pub pending_removal: Option<(Direction, u16)>,
}

impl Mirror {
    fn list(&mut self, d: Direction) -> &mut VecDeque<Message> {
        match d {
            Direction::Incoming => &mut self.incoming,
            Direction::Outgoing => &mut self.outgoing,
        }
    }

    fn position(&mut self, d: Direction, packet_id: u16) -> Option<usize> {
        self.list(d).iter().position(|m| m.packet_id == packet_id)
    }

    pub fn settle(&mut self) {
        if let Some((d, id)) = self.pending_removal.take() {
            self.remove(d, id);
        }
    }

    fn remove(&mut self, d: Direction, packet_id: u16) {
        if let Some(i) = self.position(d, packet_id) {
            let list = self.list(d);
            list.remove(i);
            list.trim();
        }
    }

    pub fn clear(&mut self) {
        self.incoming = VecDeque::new();
        self.outgoing = VecDeque::new();
        self.pending_removal = None;
    }
}

/// Turn one item into the documented event it stands for, updating `mirror`; None for
/// items that only move state (or logs above the current LogLevel).
/// `on_message_in` sees the 5.0 properties of each message handed out (IncomingUserProp*
/// describe the last message the application was given).
pub(crate) fn to_event(
    item: Item,
    mirror: &mut Mirror,
    log_level: i32,
    on_message_in: &mut dyn FnMut(&crate::codec::Properties),
) -> Option<Event> {
    mirror.settle();
    let ev = match item {
        Item::Event(e) | Item::Auth(_, e) => return Some(e),
        Item::Proto(p) => p,
    };
    match ev {
        ProtocolEvent::Connected { .. }
        | ProtocolEvent::Closed { .. }
        | ProtocolEvent::DisconnectReceived { .. } => None,
        ProtocolEvent::InflightAdded { message } => {
            mirror.list(message.direction).push_back(message);
            None
        }
        ProtocolEvent::InflightState {
            direction,
            packet_id,
            state,
        } => {
            if let Some(i) = mirror.position(direction, packet_id) {
                mirror.list(direction)[i].state = state;
            }
            None
        }
        ProtocolEvent::InflightDropped {
            direction,
            packet_id,
        } => {
            mirror.remove(direction, packet_id);
            None
        }
        ProtocolEvent::MessageAck {
            direction,
            packet_id,
            response_code,
        } => {
            let index = mirror
                .position(direction, packet_id)
                .map(|i| i as i32)
                .unwrap_or(-1);
            mirror.pending_removal = Some((direction, packet_id));
            Some(Event::MessageAck(MessageAckEvent {
                packet_id: packet_id as i32,
                direction: direction as i32,
                index,
                response_code: response_code as i32,
            }))
        }
        ProtocolEvent::MessageIn { message } => {
            on_message_in(&message.properties);
            Some(Event::MessageIn(message_event(message)))
        }
        ProtocolEvent::MessageOut { message } => Some(Event::MessageOut(message_event(message))),
        ProtocolEvent::Subscribed { filter, code, .. } => {
            Some(Event::Subscribed(SubscribedEvent {
                topic_filter: filter,
                qos: if code < 0x80 { code as i32 } else { -1 },
                response_code: code as i32,
            }))
        }
        // The filters text is filled in by the sink, which remembers what was asked for.
        ProtocolEvent::Unsubscribed { .. } => None,
        ProtocolEvent::Log {
            level,
            log_type,
            message,
        } => (level as i32 <= log_level).then(|| {
            Event::Log(LogEvent {
                log_level: level as i32,
                message,
                log_type: log_type.to_string(),
            })
        }),
    }
}

pub(crate) fn message_event(m: Message) -> MessageEvent {
    MessageEvent {
        packet_id: if m.qos as u8 == 0 {
            -1
        } else {
            m.packet_id as i32
        },
        topic: m.topic.to_string(),
        qos: m.qos as i32,
        message: m.payload,
        retained: m.retain,
        duplicate: m.dup,
        properties: m.properties,
    }
}
