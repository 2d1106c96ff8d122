//! A message's MQTT 5.0 properties both ways, named and typed by the core's property table
//! (`PropertyId::message_properties`, `js_name`, `data_type`): received ones become a plain
//! object, and the values `index.js` checked for a publish come back as `Properties`.
//! Nothing here names a property.

use bytes::Bytes;
use ferromq::codec::{Properties, PropertyId, PropertyPlace, PropertyType, PropertyValue};
use ferromq::{code, Error};
use napi::bindgen_prelude::Uint8Array;
use napi::{Env, JsObject, JsUnknown};
use napi_derive::napi;
use std::sync::OnceLock;

/// The message properties with their JavaScript names, made once.
fn named() -> &'static [(PropertyId, String)] {
    static NAMED: OnceLock<Vec<(PropertyId, String)>> = OnceLock::new();
    NAMED.get_or_init(|| {
        PropertyId::message_properties()
            .map(|id| (id, id.js_name()))
            .collect()
    })
}

/// Lists (subscription identifiers, user properties) are arrays; the others one value.
fn repeatable(id: PropertyId) -> bool {
    id.repeatable_in(PropertyPlace::Publish)
}

/// The name `index.js` and `index.d.ts` use for a data type.
fn type_name(t: PropertyType) -> &'static str {
    match t {
        PropertyType::Byte => "byte",
        PropertyType::TwoByteInteger => "twoByteInteger",
        PropertyType::FourByteInteger => "fourByteInteger",
        PropertyType::VariableByteInteger => "variableByteInteger",
        PropertyType::Utf8String => "utf8String",
        PropertyType::BinaryData => "binaryData",
        PropertyType::Utf8StringPair => "utf8StringPair",
    }
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
/// One property a message may carry, as `index.js` reads it (`description().messageProperties`).
#[napi(object)]
pub struct PropertyDescription {
    /// The JavaScript key (`contentType`).
    pub name: String,
    /// The MQTT identifier, which `publish` passes the value under.
    pub id: u32,
    /// "byte", "twoByteInteger", "fourByteInteger", "variableByteInteger", "utf8String",
    /// "binaryData" or "utf8StringPair" (a `[name, value]` pair).
    #[napi(js_name = "type")]
    pub data_type: String,
    /// An array of values (absent when empty) instead of one value.
    pub repeatable: bool,
    /// The values an integer property may take; absent for the others.
    pub min: Option<u32>,
    pub max: Option<u32>,
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
pub fn description() -> Vec<PropertyDescription> {
    named()
        .iter()
        .map(|(id, name)| {
            let range = id.value_range();
            PropertyDescription {
                name: name.clone(),
                id: *id as u32,
                data_type: type_name(id.data_type()).to_string(),
                repeatable: repeatable(*id),
                min: range.as_ref().map(|r| *r.start()),
                max: range.as_ref().map(|r| *r.end()),
            }
        })
        .collect()
}

/// A received message's properties as a plain object: a key per property present, lists
/// as arrays, user properties as `[name, value]` arrays in the order they came.
pub fn to_js(env: &Env, p: &Properties) -> napi::Result<JsObject> {
    let mut obj = env.create_object()?;
    for (id, name) in named() {
        let values = p.values(*id);
        if values.is_empty() {
            continue;
        }
        if repeatable(*id) {
            let mut arr = env.create_array_with_length(values.len())?;
            for (i, v) in values.iter().enumerate() {
                arr.set_element(i as u32, value(env, v)?)?;
            }
            obj.set_named_property(name, arr)?;
        } else {
            obj.set_named_property(name, value(env, &values[0])?)?;
        }
    }
    Ok(obj)
}

fn value(env: &Env, v: &PropertyValue) -> napi::Result<JsUnknown> {
    Ok(match v {
        PropertyValue::Byte(n) => env.create_uint32((*n).into())?.into_unknown(),
        PropertyValue::TwoByteInteger(n) => env.create_uint32((*n).into())?.into_unknown(),
        PropertyValue::FourByteInteger(n) | PropertyValue::VariableByteInteger(n) => {
            env.create_uint32(*n)?.into_unknown()
        }
        PropertyValue::Utf8String(s) => env.create_string(s)?.into_unknown(),
        PropertyValue::BinaryData(b) => env.create_buffer_copy(b)?.into_raw().into_unknown(),
        PropertyValue::Utf8StringPair(k, s) => {
            let mut pair = env.create_array_with_length(2)?;
            pair.set_element(0, env.create_string(k)?)?;
            pair.set_element(1, env.create_string(s)?)?;
            pair.into_unknown()
        }
    })
}

// Reached only through napi's registration, which a test build leaves out.
#[cfg_attr(test, allow(dead_code))]
/// Property values for a publish, as `index.js` flattens them after checking each against
/// the description: `ids` in order, one per value (a repeatable property's id once per
/// value), and each value taken in turn from the list its data type reads: `numbers` for
/// the integer types, `texts` for strings (two for a pair: name, value), `binaries` for
/// binary data.
#[napi(object, object_to_js = false)]
pub struct PropertyArgs {
    pub ids: Vec<u32>,
    pub numbers: Vec<u32>,
    pub texts: Vec<String>,
    pub binaries: Vec<Uint8Array>,
}

/// The `Properties` of flattened values. `index.js` checked them, so a mismatch here is a
/// bug there; it is refused all the same rather than guessed at. Which values a publish may
/// carry is the core's to say.
pub fn from_args(args: Option<PropertyArgs>) -> ferromq::Result<Properties> {
    let mut p = Properties::default();
    let Some(args) = args else {
        return Ok(p);
    };
    let bad = |why: String| Error::new(code::INVALID_ARGUMENT, format!("properties: {why}"));
    let mut numbers = args.numbers.into_iter();
    let mut texts = args.texts.into_iter();
    let mut binaries = args.binaries.into_iter();
    for raw in args.ids {
        let id = u8::try_from(raw)
            .ok()
            .and_then(PropertyId::from_u8)
            .ok_or_else(|| bad(format!("no property has the identifier {raw}")))?;
        let missing = || bad(format!("no value for {}", id.js_name()));
        let narrow = |n: u32, max: u32| {
            if n <= max {
                Ok(n)
            } else {
                Err(bad(format!("{} {n} is over {max}", id.js_name())))
            }
        };
        let v = match id.data_type() {
            PropertyType::Byte => {
                let n = numbers.next().ok_or_else(missing)?;
                PropertyValue::Byte(narrow(n, u8::MAX.into())? as u8)
            }
            PropertyType::TwoByteInteger => {
                let n = numbers.next().ok_or_else(missing)?;
                PropertyValue::TwoByteInteger(narrow(n, u16::MAX.into())? as u16)
            }
            PropertyType::FourByteInteger => {
                PropertyValue::FourByteInteger(numbers.next().ok_or_else(missing)?)
            }
            PropertyType::VariableByteInteger => {
                PropertyValue::VariableByteInteger(numbers.next().ok_or_else(missing)?)
            }
            PropertyType::Utf8String => {
                PropertyValue::Utf8String(texts.next().ok_or_else(missing)?)
            }
            PropertyType::BinaryData => {
                let b = binaries.next().ok_or_else(missing)?;
                PropertyValue::BinaryData(Bytes::copy_from_slice(&b))
            }
            PropertyType::Utf8StringPair => {
                let k = texts.next().ok_or_else(missing)?;
                let s = texts.next().ok_or_else(missing)?;
                PropertyValue::Utf8StringPair(k, s)
            }
        };
        p.add(id, v)
            .map_err(|v| bad(format!("{} cannot take {v:?}", id.js_name())))?;
    }
    Ok(p)
}
