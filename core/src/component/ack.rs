//! Ack: the application's acknowledgement of an incoming message under ManualAck.

use super::Mqtt;
use crate::error::{code, Error, Result};

impl Mqtt {
    /// Acknowledges the incoming QoS 1/2 message with packet id `packet_id` (the PacketId
    /// of its MessageIn event) when the `ManualAck` setting is on: the application is done
    /// with it, so the server may forget it.
    ///
    /// Under ManualAck a QoS 1/2 message is delivered as soon as it arrives, and its PUBACK
    /// (QoS 1) or PUBREC (QoS 2) waits for this call. Acknowledgements go out in the order
    /// the messages arrived, so acknowledging a later message before an earlier one holds
    /// it back until the earlier one is acknowledged too. MessageAck fires when the PUBACK
    /// goes out (QoS 1) or after the PUBREL/PUBCOMP exchange (QoS 2), and the message then
    /// leaves IncomingMessages. Until then it counts against our Receive Maximum (5.0).
    /// Messages still unacknowledged when the connection ends are not kept in the session:
    /// the server sends them again on the next connection of a persistent session.
    ///
    /// Errors: 10022 for an id outside 1..=65535; 1117 when not connected; 211 when no
    /// message with that id waits for acknowledgement (unknown, acknowledged already, from
    /// a connection that has ended, or ManualAck off). Nothing is sent then.
    pub fn ack(&self, packet_id: i32) -> Result<()> {
        let id = u16::try_from(packet_id)
            .ok()
            .filter(|&id| id != 0)
            .ok_or_else(|| {
                Error::new(
                    code::INVALID_ARGUMENT,
                    format!("cannot acknowledge packet id {packet_id}: packet ids are 1..=65535"),
                )
            })?;
        let (engine, sink) = self.connected_link()?;
        engine.with(&*sink, |c, now| c.ack(now, id))
    }
}
