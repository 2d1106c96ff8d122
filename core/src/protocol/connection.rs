//! CONTRACT SKELETON — the protocol helper replaces every body; signatures are the contract
//! the driver is written against. Keep them (add methods freely).

use super::{Message, ProtocolEvent};
use crate::codec::{Packet, Properties, Protocol, QoS, SubscribeFilter, Will};
use crate::error::Result;
use bytes::{Bytes, BytesMut};
use std::time::{Duration, Instant};

/// Everything CONNECT needs plus the client-side limits of one connection.
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    pub protocol: Protocol,
    pub client_id: String,
    pub clean_session: bool,
    /// Seconds; 0 disables keep-alive.
    pub keep_alive: u16,
    pub username: Option<String>,
    pub password: Option<Bytes>,
    pub will: Option<Will>,
    /// 5.0 CONNECT properties (ignored under 3.1.1).
    pub connect_properties: Properties,
    /// 3.1.1 only: resend an unacknowledged PUBLISH (DUP set, same packet id) after this
    /// long; None disables it.
    pub republish_interval: Option<Duration>,
    /// Largest packet we accept (also sent as Maximum Packet Size under 5.0 when set).
    pub max_packet_size: u32,
}

pub struct Connection {
    _private: (),
}

impl Connection {
    pub fn new(_config: ConnectionConfig) -> Self {
        unimplemented!()
    }

    /// The transport is up: queue CONNECT and start the CONNACK wait.
    pub fn start(&mut self, _now: Instant) {
        unimplemented!()
    }

    /// Feed raw bytes read from the transport; decodes every complete packet in `buf`
    /// (consuming them) and handles each. A decode or protocol error queues a DISCONNECT
    /// (5.0, with the fitting reason code) and a `Closed` event.
    pub fn handle_bytes(&mut self, _now: Instant, _buf: &mut BytesMut) {
        unimplemented!()
    }

    /// Feed one decoded packet (used by handle_bytes and by tests).
    pub fn handle_packet(&mut self, _now: Instant, _packet: Packet) {
        unimplemented!()
    }

    /// Time passed: keep-alive, CONNACK wait, republish.
    pub fn handle_timeout(&mut self, _now: Instant) {
        unimplemented!()
    }

    /// Publish; returns the packet id (0 for QoS 0). Validates topic and size first.
    pub fn publish(
        &mut self,
        _now: Instant,
        _topic: &str,
        _qos: QoS,
        _payload: Bytes,
        _retain: bool,
        _dup: bool,
        _properties: Properties,
    ) -> Result<u16> {
        unimplemented!()
    }

    /// Subscribe to several filters in one SUBSCRIBE; returns its packet id.
    pub fn subscribe(
        &mut self,
        _now: Instant,
        _filters: Vec<SubscribeFilter>,
        _properties: Properties,
    ) -> Result<u16> {
        unimplemented!()
    }

    pub fn unsubscribe(
        &mut self,
        _now: Instant,
        _filters: Vec<String>,
        _properties: Properties,
    ) -> Result<u16> {
        unimplemented!()
    }

    /// Queue DISCONNECT and emit `Closed { code: 0 }`.
    pub fn disconnect(&mut self, _now: Instant, _reason: u8, _properties: Properties) {
        unimplemented!()
    }

    /// Encode every queued packet into `out`; true if anything was written.
    pub fn poll_transmit(&mut self, _out: &mut BytesMut) -> bool {
        unimplemented!()
    }

    pub fn poll_event(&mut self) -> Option<ProtocolEvent> {
        unimplemented!()
    }

    /// The next instant `handle_timeout` must be called at.
    pub fn poll_timeout(&self) -> Option<Instant> {
        unimplemented!()
    }

    pub fn is_connected(&self) -> bool {
        unimplemented!()
    }

    pub fn is_closed(&self) -> bool {
        unimplemented!()
    }

    /// In-flight messages (QoS 1/2) in the order they entered.
    pub fn outgoing(&self) -> Vec<Message> {
        unimplemented!()
    }

    pub fn incoming(&self) -> Vec<Message> {
        unimplemented!()
    }
}
