//! The sink through which a connection's task reports into its client: protocol events,
//! the transport's progress, the send buffer draining, and the task's end.

use super::certificate::Certificate;
use super::completion::Completion;
use super::config::Negotiated;
use super::delivery::Delivered;
use super::ended::Ending;
use super::event::*;
use super::items::Item;
use super::shared::Shared;
use super::state::{Phase, State};
use crate::driver::{EventSink, LinkEvent};
use crate::error::Error;
use crate::protocol::{Direction, ProtocolEvent};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::Notify;

/// The sink of one connection. It carries the connection's generation so that a task
/// that outlived a newer connection cannot touch that connection's state.
pub(crate) struct ConnSink {
    pub shared: Arc<Shared>,
    pub generation: u64,
    /// Completed when this connection's task has ended, whether or not it is still the
    /// current one (a detached connection may still be writing its DISCONNECT).
    pub ended: Completion,
}

impl ConnSink {
    fn current(&self, st: &State) -> bool {
        st.link.generation == self.generation
    }

    /// An outgoing message's flow is over: complete the publish waiting for it, if one is.
    /// Without waiters (the class's publishes) this takes no lock.
    fn complete_delivery(&self, packet_id: u16, reason: u8) -> bool {
        let sh = &self.shared;
        if sh.awaiting.load(Ordering::SeqCst) == 0 {
            return false;
        }
        let mut st = sh.state.lock();
        if !self.current(&st) {
            return false;
        }
        let Some((done, topic)) = st.link.deliveries.remove(&packet_id) else {
            return false;
        };
        sh.awaiting.fetch_sub(1, Ordering::SeqCst);
        drop(st);
        done.complete(Delivered::from_ack(
            packet_id,
            reason,
            &format!("to \"{topic}\" "),
        ));
        true
    }

    /// The task is over: keep its session, then report how it ended and release everyone
    /// waiting on it (`Shared::connection_ended`).
    fn finish(&self) {
        let sh = &self.shared;
        // The engine lock is taken alone: its order is before the state lock.
        let engine = {
            let st = sh.state.lock();
            if !self.current(&st) {
                return;
            }
            st.link.conn.as_ref().map(|(e, _)| e.clone())
        };
        if let Some(engine) = engine {
            sh.keep_engine_session(&engine);
        }
        let mut st = sh.state.lock();
        if !self.current(&st) {
            return;
        }
        let close = st.link.close.take();
        sh.connection_ended(st, Ending::Finished(close));
    }
}

impl EventSink for ConnSink {
    fn protocol_event(&self, event: ProtocolEvent) {
        let sh = &self.shared;
        match &event {
            ProtocolEvent::Connected { connack } => {
                let mut st = sh.state.lock();
                if !self.current(&st) {
                    return;
                }
                st.link.phase = Phase::Connected;
                st.reconnect.armed = true;
                st.reconnect.connected_at = Some(std::time::Instant::now());
                {
                    let mut p = sh.props.lock();
                    super::config::record_connack(&mut p.cfg, connack);
                    if let Some(id) = &connack.properties.assigned_client_identifier {
                        p.client_id.clone_from(id);
                    }
                }
                sh.log(1, "Info", "connected: CONNACK accepted");
                sh.push_event(Event::Connected(ConnectedEvent {
                    status_code: 0,
                    description: "OK".into(),
                }));
                sh.push_event(Event::ReadyToSend);
                if let Some(c) = st.link.connect.take() {
                    c.complete(Ok(()));
                }
                // A blocking waiter may have taken the events above already and gone back
                // to sleep on the queue: completing alone would not wake it.
                sh.queue.wake_all();
                return;
            }
            ProtocolEvent::DisconnectReceived { reason, properties } => {
                let st = sh.state.lock();
                if self.current(&st) {
                    super::config::record_server_disconnect(
                        &mut sh.props.lock().cfg,
                        *reason,
                        properties,
                    );
                }
                return;
            }
            ProtocolEvent::Closed { code, reason } => {
                let mut st = sh.state.lock();
                if self.current(&st) && st.link.close.is_none() {
                    st.link.close = Some((*code, reason.clone()));
                }
                return;
            }
            // The response to a waiting request goes to that request alone.
            ProtocolEvent::MessageIn { message } if sh.take_response(message) => {
                // A blocking `request` sleeps on the queue.
                sh.queue.wake_all();
                return;
            }
            ProtocolEvent::Unsubscribed { packet_id, codes } => {
                let mut st = sh.state.lock();
                if let Some(ack) = st.link.acks.remove(packet_id) {
                    sh.push_event(Event::Unsubscribed(UnsubscribedEvent {
                        topic_filters: ack.text,
                        response_code: codes.first().copied().unwrap_or(0) as i32,
                    }));
                    ack.done.complete(Ok(()));
                    sh.queue.wake_all();
                }
                return;
            }
            _ => {}
        }
        let finished_sub = match &event {
            ProtocolEvent::Subscribed { packet_id, .. } => Some(*packet_id),
            _ => None,
        };
        let delivered = match &event {
            ProtocolEvent::MessageAck {
                direction: Direction::Outgoing,
                packet_id,
                response_code,
            } => self.complete_delivery(*packet_id, *response_code),
            _ => false,
        };
        sh.queue.push(Item::Proto(event));
        if delivered {
            // A blocking `Delivery::wait` sleeps on the queue.
            sh.queue.wake_all();
        }
        if let Some(id) = finished_sub {
            let mut st = sh.state.lock();
            let done = match st.link.acks.get_mut(&id) {
                Some(ack) => {
                    ack.remaining = ack.remaining.saturating_sub(1);
                    ack.remaining == 0
                }
                None => false,
            };
            if done {
                if let Some(ack) = st.link.acks.remove(&id) {
                    ack.done.complete(Ok(()));
                    sh.queue.wake_all();
                }
            }
        }
    }

    fn link_event(&self, event: LinkEvent) {
        let sh = &self.shared;
        match event {
            LinkEvent::TransportUp { local, tls } => {
                let mut st = sh.state.lock();
                if self.current(&st) {
                    st.link.transport_up = true;
                    // A new connection keeps none of the old one's messages in flight: the
                    // next drain may announce room again.
                    sh.waiting_for_room.store(false, Ordering::SeqCst);
                    let mut p = sh.props.lock();
                    p.cfg.bound = Some(local);
                    if let Some(tls) = tls {
                        if let Some(cert) = tls.server_cert() {
                            p.ssl_server_cert = Certificate::from_info(cert.clone());
                        }
                        p.cfg.negotiated = Some(Box::new(Negotiated {
                            cipher: tls.cipher.clone(),
                            cipher_strength: tls.cipher_strength,
                            cipher_suite: tls.cipher_suite.clone(),
                            key_exchange: tls.key_exchange.clone(),
                            key_exchange_strength: tls.key_exchange_strength,
                            version: tls.version.clone(),
                        }));
                    }
                    drop(p);
                    // The transport's observer reported each step (ConnectionStatus).
                    sh.log(2, "Info", format!("connection up (local address {local})"));
                }
            }
            LinkEvent::ConnectFailed(e) | LinkEvent::Lost(e) => {
                let mut st = sh.state.lock();
                if self.current(&st) && st.link.close.is_none() {
                    st.link.close = Some((e.code, e.message));
                }
            }
            LinkEvent::Finished => {
                self.finish();
                self.ended.complete(Ok(()));
            }
        }
        sh.queue.wake_all();
        sh.announce();
    }

    fn backlogged(&self) -> bool {
        self.shared.queue.backlogged()
    }

    fn backlog_space(&self) -> &Notify {
        self.shared.queue.space()
    }

    fn output_drained(&self) {
        let sh = &self.shared;
        // The property turns true when the application is given the event (`convert`),
        // not here on the network thread: otherwise it could read true before the event.
        if sh.would_block.load(Ordering::SeqCst)
            && !sh.waiting_for_room.load(Ordering::SeqCst)
            && !sh.ready_queued.swap(true, Ordering::SeqCst)
        {
            sh.push_event(Event::ReadyToSend);
        }
        sh.drained.notify_waiters();
        sh.queue.wake_all();
    }

    fn room_freed(&self) {
        self.shared.waiting_for_room.store(false, Ordering::SeqCst);
        self.output_drained();
    }

    fn announce(&self) {
        self.shared.announce();
    }

    fn batch(&self, step: &mut dyn FnMut()) {
        let _held = self.shared.queue.hold_wakes();
        step()
    }

    fn session_save_failed(&self, error: Error) {
        self.shared.push_event(Event::Error(ErrorEvent {
            error_code: error.code,
            description: format!(
                "SessionAutoSave: {}; the session stays in memory and is saved again at its next change",
                error.message
            ),
        }));
    }
}
