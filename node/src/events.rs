//! Events cross into JavaScript in batches, as one flat array per batch:
//! `[taken, kind, field, field, ..., kind, field, ...]`, where `kind` indexes
//! `ferromq::EVENT_NAMES` and each kind has a fixed field list (the order `index.js`
//! reads them back in). JavaScript then builds the documented event objects itself,
//! which keeps their shapes stable and costs far fewer napi calls than setting
//! properties from here.

use bytes::Bytes;
use ferromq::Event;
use napi::{Env, JsObject};

/// Payloads at least this large are handed to JavaScript without a copy (an external
/// Buffer over the engine's own bytes); smaller ones are cheaper to copy than to track.
const ZERO_COPY_MIN: usize = 4096;

/// From this size on a message event's text form is made in JavaScript on first read.
const LAZY_TEXT_MIN: usize = 256;

/// index.js follows the engine's "Reconnect" log lines to know whether the client is about to
/// reconnect (and so must keep the process alive), whoever listens to Log.
fn reconnect_line(ev: &Event) -> bool {
    matches!(ev, Event::Log(l) if l.log_type == "Reconnect")
}

/// `unheard` has a bit per kind (`Event::index`) to leave out: index.js sets it for kinds
/// nobody listens to and whose delivery has no other effect there.
pub fn encode(env: &Env, events: Vec<Event>, unheard: u32) -> napi::Result<JsObject> {
    let mut out = Flat {
        env,
        arr: env.create_empty_array()?,
        len: 0,
    };
    // First how many events were taken, so that a batch left empty by `unheard` is not
    // mistaken for the end of the queue.
    out.int(events.len() as i32)?;
    for ev in events {
        if unheard & (1 << ev.index()) != 0 && !reconnect_line(&ev) {
            continue;
        }
        match ev {
            Event::Connected(e) => {
                out.kind(0)?;
                out.int(e.status_code)?;
                out.str(&e.description)?;
            }
            Event::ConnectionStatus(e) => {
                out.kind(1)?;
                out.str(&e.connection_event)?;
                out.int(e.status_code)?;
                out.str(&e.description)?;
            }
            Event::Disconnected(e) => {
                out.kind(2)?;
                out.int(e.status_code)?;
                out.str(&e.description)?;
            }
            Event::Error(e) => {
                out.kind(3)?;
                out.int(e.error_code)?;
                out.str(&e.description)?;
            }
            Event::Log(e) => {
                out.kind(4)?;
                out.int(e.log_level)?;
                out.str(&e.message)?;
                out.str(&e.log_type)?;
            }
            Event::MessageAck(e) => {
                out.kind(5)?;
                out.int(e.packet_id)?;
                out.int(e.direction)?;
                out.int(e.index)?;
                out.int(e.response_code)?;
            }
            Event::MessageIn(m) => {
                out.kind(6)?;
                out.message(m, true)?;
            }
            Event::MessageOut(m) => {
                out.kind(7)?;
                out.message(m, false)?;
            }
            Event::ReadyToSend => out.kind(8)?,
            Event::SslServerAuthentication(e) => {
                out.kind(9)?;
                out.str(&e.cert_encoded)?;
                out.bytes(e.cert_encoded_b, false)?;
                out.str(&e.cert_subject)?;
                out.str(&e.cert_issuer)?;
                out.str(&e.status)?;
                out.boolean(e.accept)?;
            }
            Event::SslStatus(e) => {
                out.kind(10)?;
                out.str(&e.message)?;
            }
            Event::Subscribed(e) => {
                out.kind(11)?;
                out.str(&e.topic_filter)?;
                out.int(e.qos)?;
                out.int(e.response_code)?;
            }
            Event::Unsubscribed(e) => {
                out.kind(12)?;
                out.str(&e.topic_filters)?;
                out.int(e.response_code)?;
            }
        }
    }
    Ok(out.arr)
}

/// IncomingMessages / OutgoingMessages as one flat array, 15 values per message in the
/// order `index.js` (`MESSAGE_FIELDS`) reads them. Payloads are always copied: these
/// bytes are still the engine's (it may send them again, or hand them to MessageIn later).
pub fn encode_messages(env: &Env, messages: Vec<ferromq::MqttMessage>) -> napi::Result<JsObject> {
    let mut out = Flat {
        env,
        arr: env.create_empty_array()?,
        len: 0,
    };
    for m in messages {
        out.int(m.packet_id)?;
        out.str(&m.topic)?;
        out.int(m.qos)?;
        out.str(&String::from_utf8_lossy(&m.message))?;
        out.bytes(m.message, false)?;
        out.boolean(m.retained)?;
        out.boolean(m.duplicate)?;
        out.int(m.state)?;
        out.str(&m.content_type)?;
        out.str(&m.correlation_data)?;
        // Up to 2^32 - 1 seconds: exact as a JS number.
        let v = env.create_double(m.message_exp_interval as f64)?;
        out.push(v)?;
        out.int(m.payload_format_indicator)?;
        out.str(&m.response_topic)?;
        out.str(&m.subscription_identifiers)?;
        out.int(m.topic_alias)?;
    }
    Ok(out.arr)
}

struct Flat<'a> {
    env: &'a Env,
    arr: JsObject,
    len: u32,
}

impl Flat<'_> {
    fn kind(&mut self, k: u32) -> napi::Result<()> {
        let v = self.env.create_uint32(k)?;
        self.push(v)
    }

    fn int(&mut self, v: i32) -> napi::Result<()> {
        let v = self.env.create_int32(v)?;
        self.push(v)
    }

    fn str(&mut self, s: &str) -> napi::Result<()> {
        let v = self.env.create_string(s)?;
        self.push(v)
    }

    fn boolean(&mut self, b: bool) -> napi::Result<()> {
        let v = self.env.get_boolean(b)?;
        self.push(v)
    }

    fn message(&mut self, m: ferromq::MessageEvent, incoming: bool) -> napi::Result<()> {
        self.int(m.packet_id)?;
        self.str(&m.topic)?;
        self.int(m.qos)?;
        // A large payload's text form is left to index.js, which makes it from the bytes if
        // a listener reads it; a small one costs less made here than deferred there.
        if m.message.len() < LAZY_TEXT_MIN {
            self.str(&String::from_utf8_lossy(&m.message))?;
        } else {
            let v = self.env.get_null()?;
            self.push(v)?;
        }
        self.bytes(m.message, incoming)?;
        self.boolean(m.retained)?;
        self.boolean(m.duplicate)
    }

    /// `lend`: the bytes may back the Buffer directly. Only for incoming payloads: they
    /// are slices of what was read from the socket and nothing in the engine reads them
    /// again once MessageIn is out, so JavaScript writing into its Buffer harms no one.
    /// Outgoing payloads may still be shared with the engine, so they are copied.
    fn bytes(&mut self, data: Bytes, lend: bool) -> napi::Result<()> {
        if data.is_empty() {
            // napi-rs cannot make an empty Buffer safely; index.js makes one.
            let v = self.env.get_null()?;
            return self.push(v);
        }
        if lend && data.len() >= ZERO_COPY_MIN {
            let ptr = data.as_ptr().cast_mut();
            let len = data.len();
            let keep = data.clone();
            // SAFETY: `ptr`/`len` describe the heap bytes owned by `keep`, which moves into
            // the finalizer hint and so lives exactly as long as the Buffer; Bytes never
            // moves or frees its storage while a handle to it is alive. `len` is non-zero.
            let lent = unsafe {
                self.env
                    .create_buffer_with_borrowed_data(ptr, len, keep, |keep, _env| drop(keep))
            };
            // Runtimes that refuse external buffers get a copy instead.
            if let Ok(v) = lent {
                return self.push(v.into_raw());
            }
        }
        let v = self.env.create_buffer_copy(&data)?.into_raw();
        self.push(v)
    }

    fn push<V: napi::NapiRaw>(&mut self, v: V) -> napi::Result<()> {
        self.arr.set_element(self.len, v)?;
        self.len += 1;
        Ok(())
    }
}
