//! Manual acknowledgement of incoming messages (the ManualAck setting): the core's
//! `Mqtt::ack`.

use crate::handle::{client, mqtt_t};
use crate::panic::guard;
use std::ffi::c_int;

/// Acknowledge the incoming QoS 1/2 message with `packet_id` (the `packet_id` of its
/// MessageIn event) when the ManualAck config setting is on (`mqtt_config(m,
/// "ManualAck=true", NULL)`): the application is done with it, so the server may forget it.
///
/// Under ManualAck a QoS 1/2 message is delivered as soon as it arrives and its PUBACK
/// (QoS 1) or PUBREC (QoS 2) waits for this call. Acknowledgements go out in the order the
/// messages arrived: acknowledging a later message first holds it back until the earlier
/// ones are acknowledged too. MessageAck fires when the acknowledgement is complete, and the
/// message then leaves IncomingMessages. Unacknowledged messages count against our Receive
/// Maximum (5.0) and are not kept in the session when the connection ends: the server sends
/// them again on the next connection of a persistent session. May be called from a callback.
///
/// Errors, sending nothing: 10022 for an id outside 1..65535; 1117 when not connected; 211
/// (MQTT_ERR_BAD_STATE) when no message with that id waits for acknowledgement (unknown,
/// acknowledged already, from a connection that has ended, or ManualAck off).
#[no_mangle]
pub extern "C" fn mqtt_ack(mqtt: *mut mqtt_t, packet_id: c_int) -> c_int {
    const F: &str = "mqtt_ack";
    guard(F, || client(mqtt, F)?.ack(packet_id))
}
