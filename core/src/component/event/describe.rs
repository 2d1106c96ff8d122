//! The vocabulary of the description: what a field's value is, how a field and a kind are
//! described, and the visitor through which a face reads a value's fields in order without
//! naming them. The declarations themselves are in `event/mod.rs`.

use crate::codec::Properties;
use bytes::Bytes;

/// What a described field holds, and so how each face shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// A 32-bit signed integer.
    Int,
    /// A 64-bit signed integer (a JavaScript number: every value the engine makes is exact).
    Long,
    /// True or false.
    Bool,
    /// UTF-8 text.
    Text,
    /// Bytes, shown as bytes only.
    Bytes,
    /// A payload: bytes that faces show twice, as text (invalid UTF-8 replaced by U+FFFD,
    /// made lazily where it pays) under the field's name and as bytes under the name with a
    /// `B` / `_b` suffix (`message` and `messageB` / `message_b`).
    Payload,
    /// The MQTT 5.0 properties of one message: every property a PUBLISH may carry
    /// ([`crate::codec::PropertyId::message_properties`]), each under its field name
    /// (snake_case in C and Python, camelCase in Node: `PropertyId::field_name`,
    /// `PropertyId::js_name`). An absent one is NULL / None / undefined; a repeatable one is a
    /// list, in the order the packet carried it (user properties as name-value pairs, names
    /// may repeat).
    Properties,
}

impl ValueKind {
    /// The kind's name in the description faces read ("int", "long", ...).
    pub const fn name(self) -> &'static str {
        match self {
            ValueKind::Int => "int",
            ValueKind::Long => "long",
            ValueKind::Bool => "bool",
            ValueKind::Text => "text",
            ValueKind::Bytes => "bytes",
            ValueKind::Payload => "payload",
            ValueKind::Properties => "properties",
        }
    }
}

/// One field of an event or of MqttMessage.
#[derive(Debug, PartialEq, Eq)]
pub struct FieldDesc {
    /// The Rust field name, which is also the name in C and Python (snake_case).
    pub name: &'static str,
    /// The name in JavaScript (camelCase; the reference spells QoS differently in events
    /// and in MQTTMessage, so this is declared, not derived).
    pub js: &'static str,
    /// What the field holds.
    pub kind: ValueKind,
    /// The handler's answer: the one field a handler may change, which the engine reads
    /// back once the handlers ran (SSLServerAuthentication's `accept`).
    pub answer: bool,
    /// The field's documentation (the Rust doc comment), possibly empty.
    pub doc: &'static str,
}

impl FieldDesc {
    /// The names the field takes in JavaScript: one, or two for a payload (text, bytes).
    pub fn js_names(&self) -> (&'static str, Option<String>) {
        match self.kind {
            ValueKind::Payload => (self.js, Some(format!("{}B", self.js))),
            _ => (self.js, None),
        }
    }

    /// The names the field takes in Python: one, or two for a payload (text, bytes).
    pub fn py_names(&self) -> (&'static str, Option<String>) {
        match self.kind {
            ValueKind::Payload => (self.name, Some(format!("{}_b", self.name))),
            _ => (self.name, None),
        }
    }
}

/// One event kind.
#[derive(Debug, PartialEq, Eq)]
pub struct KindDesc {
    /// The documented event name ("MessageIn").
    pub name: &'static str,
    /// The documented type of the event object in Node and Python ("MessageEvent").
    pub type_name: &'static str,
    /// The Rust struct the variant holds ("MessageEvent"); None for a kind without fields.
    /// C's struct is `mqtt_` followed by this name in snake_case.
    pub rust_type: Option<&'static str>,
    /// The fields, in the described order.
    pub fields: &'static [FieldDesc],
}

impl KindDesc {
    /// The field whose value the handlers answer with, if the kind has one.
    pub fn answer(&self) -> Option<&'static FieldDesc> {
        self.fields.iter().find(|f| f.answer)
    }
}

/// One field's value, borrowed from the event or message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A 32-bit integer.
    Int(i32),
    /// A 64-bit integer.
    Long(i64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Bytes(&'a Bytes),
    /// A payload (see [`ValueKind::Payload`]).
    Payload(&'a Bytes),
    /// MQTT 5.0 message properties.
    Properties(&'a Properties),
}

impl Value<'_> {
    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Int(_) => ValueKind::Int,
            Value::Long(_) => ValueKind::Long,
            Value::Bool(_) => ValueKind::Bool,
            Value::Text(_) => ValueKind::Text,
            Value::Bytes(_) => ValueKind::Bytes,
            Value::Payload(_) => ValueKind::Payload,
            Value::Properties(_) => ValueKind::Properties,
        }
    }
}

/// Reads a value's fields in the described order. A face writes one of these instead of
/// one conversion per kind.
pub trait FieldVisitor {
    /// What `field` may fail with; a face's conversion error.
    type Error;
    /// Called once per field, in order, with its description and value.
    fn field(&mut self, desc: &'static FieldDesc, value: Value<'_>) -> Result<(), Self::Error>;
}

/// A struct of the description: its fields, and a walk over their values in that order.
pub trait Described {
    /// The fields, in the described order.
    const FIELDS: &'static [FieldDesc];
    /// Hands each field's value to `v`, in order; stops at the first error.
    fn visit<V: FieldVisitor>(&self, v: &mut V) -> Result<(), V::Error>;
    /// The field declared `answer`, for the engine to read back what the handlers left.
    fn answer_mut(&mut self) -> Option<&mut bool>;
}

/// A described field's value (`$kind` is a [`ValueKind`] variant).
macro_rules! field_value {
    (Int, $e:expr) => {
        $crate::component::event::Value::Int($e)
    };
    (Long, $e:expr) => {
        $crate::component::event::Value::Long($e)
    };
    (Bool, $e:expr) => {
        $crate::component::event::Value::Bool($e)
    };
    (Text, $e:expr) => {
        $crate::component::event::Value::Text(&$e)
    };
    (Bytes, $e:expr) => {
        $crate::component::event::Value::Bytes(&$e)
    };
    (Payload, $e:expr) => {
        $crate::component::event::Value::Payload(&$e)
    };
    (Properties, $e:expr) => {
        $crate::component::event::Value::Properties(&$e)
    };
}

/// `true` when the field was declared `answer`.
macro_rules! is_answer {
    () => {
        false
    };
    (answer) => {
        true
    };
}

/// Hands out the field declared `answer` (a bool, or the build fails).
macro_rules! answer_ref {
    ($e:expr,) => {};
    ($e:expr, answer) => {
        return Some(&mut $e)
    };
}

/// The FieldDesc table and the visit of one struct, from its field declarations. The
/// exhaustive destructuring makes a field added to the struct but not described a compile
/// error (for structs declared elsewhere, such as MqttMessage).
macro_rules! describe_struct {
    ($st:ident { $( $(#[doc = $doc:literal])* $field:ident = $kind:ident $js:literal $($answer:ident)? ),* $(,)? }) => {
        impl $crate::component::event::Described for $st {
            const FIELDS: &'static [$crate::component::event::FieldDesc] = &[
                $(
                    $crate::component::event::FieldDesc {
                        name: stringify!($field),
                        js: $js,
                        kind: $crate::component::event::ValueKind::$kind,
                        answer: is_answer!($($answer)?),
                        doc: concat!($($doc),*),
                    },
                )*
            ];

            fn visit<V: $crate::component::event::FieldVisitor>(&self, v: &mut V) -> Result<(), V::Error> {
                let $st { $($field),* } = self;
                let values = [$(field_value!($kind, *$field)),*];
                for (desc, value) in Self::FIELDS.iter().zip(values) {
                    v.field(desc, value)?;
                }
                Ok(())
            }

            #[allow(unreachable_code)]
            fn answer_mut(&mut self) -> Option<&mut bool> {
                $(answer_ref!(self.$field, $($answer)?);)*
                None
            }
        }
    };
}

pub(crate) use {answer_ref, describe_struct, field_value, is_answer};
