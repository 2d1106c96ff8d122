//! Events cross into JavaScript in batches, as one flat array per batch:
//! `[taken, kind, field, field, ..., kind, field, ...]`, where `kind` indexes
//! `ferromq::EVENT_NAMES` and the fields follow in the order the core describes them
//! (`ferromq::EVENT_KINDS`, walked with `Event::visit`). `index.js` builds one decoder per
//! kind from the same description (`description()` below) at load time, which keeps the
//! event objects' shapes stable and costs far fewer napi calls than setting properties
//! from here.

use bytes::Bytes;
use ferromq::{
    Described, Event, EventKind, FieldDesc, FieldVisitor, Value, ERROR_CODES, EVENT_KINDS,
    MESSAGE_FIELDS,
};
use napi::{Env, JsObject};
use napi_derive::napi;

use crate::guard::guarded;
use crate::properties::{self, PropertyDescription};

/// Payloads at least this large are handed to JavaScript without a copy (an external
/// Buffer over the engine's own bytes); smaller ones are cheaper to copy than to track.
const ZERO_COPY_MIN: usize = 4096;

/// From this size on a message event's text form is made in JavaScript on first read.
const LAZY_TEXT_MIN: usize = 256;

/// `unheard` has a bit per kind (`Event::index`) to leave out: index.js sets it for kinds
/// nobody listens to and whose delivery has no other effect there.
pub fn encode(env: &Env, events: Vec<Event>, unheard: u32) -> napi::Result<JsObject> {
    let mut out = Flat {
        env,
        arr: env.create_empty_array()?,
        len: 0,
        lazy_text: true,
        lend: false,
    };
    // First how many events were taken, so that a batch left empty by `unheard` is not
    // mistaken for the end of the queue.
    out.int(events.len() as i32)?;
    for ev in events {
        if unheard & (1 << ev.index()) != 0 {
            continue;
        }
        out.kind(ev.index() as u32)?;
        // Only a received payload may back its Buffer (see `Flat::bytes`).
        out.lend = ev.kind() == EventKind::MessageIn;
        ev.visit(&mut out)?;
    }
    Ok(out.arr)
}

/// IncomingMessages / OutgoingMessages as one flat array, the described MqttMessage fields
/// of each message in turn (a payload as text and bytes). Payloads are always copied: these
/// bytes are still the engine's (it may send them again, or hand them to MessageIn later).
/// The text is always made here: index.js freezes these objects, so no lazy getter.
pub fn encode_messages(env: &Env, messages: Vec<ferromq::MqttMessage>) -> napi::Result<JsObject> {
    let mut out = Flat {
        env,
        arr: env.create_empty_array()?,
        len: 0,
        lazy_text: false,
        lend: false,
    };
    for m in messages {
        m.visit(&mut out)?;
    }
    Ok(out.arr)
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
/// One described field, as index.js reads it.
#[napi(object)]
pub struct FieldDescription {
    /// The JavaScript name; a payload gives two properties, `name` (text) and `name + "B"`.
    pub name: String,
    /// "int", "long", "bool", "text", "bytes", "payload" or "properties" (an object keyed
    /// by `Description::message_properties`).
    pub kind: String,
    /// The field a listener may change, which the engine reads back once listeners ran.
    pub answer: bool,
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
/// One event kind: its number is its place in `events`.
#[napi(object)]
pub struct KindDescription {
    pub name: String,
    /// The documented type of the event object ("MessageEvent").
    pub type_name: String,
    pub fields: Vec<FieldDescription>,
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
/// One documented error code.
#[napi(object)]
pub struct ErrorDescription {
    pub code: i32,
    pub name: String,
    /// The message's form where the core always words it the same way, else "".
    pub text: String,
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
/// The core's description of events, MQTTMessage fields and error codes.
#[napi(object)]
pub struct Description {
    pub events: Vec<KindDescription>,
    pub message_fields: Vec<FieldDescription>,
    /// The MQTT 5.0 properties a message may carry: the keys of a `properties` field, and
    /// of a publish's `properties` option.
    pub message_properties: Vec<PropertyDescription>,
    pub errors: Vec<ErrorDescription>,
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
fn fields(list: &[FieldDesc]) -> Vec<FieldDescription> {
    list.iter()
        .map(|f| FieldDescription {
            name: f.js.to_string(),
            kind: f.kind.name().to_string(),
            answer: f.answer,
        })
        .collect()
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
#[napi(js_name = "description")]
pub fn description() -> napi::Result<Description> {
    guarded(|| {
        Ok(Description {
            events: EVENT_KINDS
                .iter()
                .map(|k| KindDescription {
                    name: k.name.to_string(),
                    type_name: k.type_name.to_string(),
                    fields: fields(k.fields),
                })
                .collect(),
            message_fields: fields(MESSAGE_FIELDS),
            message_properties: properties::description(),
            errors: ERROR_CODES
                .iter()
                .map(|c| ErrorDescription {
                    code: c.code,
                    name: c.name.to_string(),
                    text: c.text.to_string(),
                })
                .collect(),
        })
    })
}

struct Flat<'a> {
    env: &'a Env,
    arr: JsObject,
    len: u32,
    /// A large payload's text form is left to index.js, which makes it from the bytes if a
    /// listener reads it; a small one costs less made here than deferred there.
    lazy_text: bool,
    /// Payload bytes may back their Buffer (see `bytes`).
    lend: bool,
}

impl FieldVisitor for Flat<'_> {
    type Error = napi::Error;

    fn field(&mut self, _desc: &'static FieldDesc, value: Value<'_>) -> napi::Result<()> {
        match value {
            Value::Int(v) => self.int(v),
            // Up to 2^32 - 1 seconds (MessageExpInterval): exact as a JS number.
            Value::Long(v) => {
                let v = self.env.create_double(v as f64)?;
                self.push(v)
            }
            Value::Bool(v) => self.boolean(v),
            Value::Text(v) => self.str(v),
            Value::Bytes(v) => self.bytes(v.clone(), false),
            // Most messages carry none (every 3.1.1 one): null, which index.js makes `{}`.
            Value::Properties(p) if p.is_empty() => {
                let null = self.env.get_null()?;
                self.push(null)
            }
            Value::Properties(p) => {
                let obj = properties::to_js(self.env, p)?;
                self.push(obj)
            }
            Value::Payload(v) => {
                if self.lazy_text && v.len() >= LAZY_TEXT_MIN {
                    let null = self.env.get_null()?;
                    self.push(null)?;
                } else {
                    self.str(&String::from_utf8_lossy(v))?;
                }
                self.bytes(v.clone(), self.lend)
            }
        }
    }
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
