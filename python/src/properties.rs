//! The MQTT 5.0 properties of one message, both ways:
//! - received: `MessageEvent.properties` is a read-only [`MessageProperties`] around the
//!   core's shared `Arc<Properties>`; a value becomes a Python object only when its
//!   attribute is read, so a message without properties costs one reference count;
//! - published: `properties=` of publish / request / respond, a dict keyed by the same
//!   names (or a `MessageProperties`, to forward a received message's), made into the
//!   core's `Properties` here, which the core then checks.
//!
//! The names, value types and which ones repeat all come from the core's property table
//! (`PropertyId::message_properties`, `field_name`, `data_type`, `repeatable_in`): one
//! descriptor per property is set on the class when the module is set up.

use crate::error::to_py_err;
use bytes::Bytes;
use ferromq::code;
use ferromq::codec::{Properties, PropertyId, PropertyPlace, PropertyType, PropertyValue};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};
use std::sync::Arc;

/// The MQTT 5.0 properties a message arrived with (or, on MessageOut, was sent with).
/// Every attribute is read-only; an absent one is None, a repeatable one a list (empty
/// when absent).
#[pyclass(frozen, module = "ferromq", name = "MessageProperties")]
pub struct MessageProperties {
    pub(crate) inner: Arc<Properties>,
}

/// Whether `id` may come more than once on a PUBLISH (its value is then a list).
fn repeatable(id: PropertyId) -> bool {
    id.repeatable_in(PropertyPlace::Publish)
}

/// The Python type of one value of `id`, as the stubs spell it.
fn py_type(id: PropertyId) -> &'static str {
    match id.data_type() {
        PropertyType::Byte
        | PropertyType::TwoByteInteger
        | PropertyType::FourByteInteger
        | PropertyType::VariableByteInteger => "int",
        PropertyType::Utf8String => "str",
        PropertyType::BinaryData => "bytes",
        PropertyType::Utf8StringPair => "Tuple[str, str]",
    }
}

/// The Python type a publish's `properties` takes for `id`, as the stubs spell it (with the
/// names of `typing`).
fn publish_type(id: PropertyId) -> &'static str {
    match id.data_type() {
        PropertyType::BinaryData => "Union[bytes, bytearray, memoryview, str]",
        PropertyType::Utf8StringPair => {
            "Union[Sequence[Tuple[str, str]], Dict[str, Union[str, List[str]]]]"
        }
        _ => py_type(id),
    }
}

/// Only a server sets it (the core's `client_may_publish`): left out of what a publish
/// takes.
fn received_only(id: PropertyId) -> bool {
    !id.client_may_publish()
}

fn value_to_py(py: Python<'_>, v: PropertyValue) -> PyResult<Py<PyAny>> {
    Ok(match v {
        PropertyValue::Byte(n) => n.into_pyobject(py)?.into_any().unbind(),
        PropertyValue::TwoByteInteger(n) => n.into_pyobject(py)?.into_any().unbind(),
        PropertyValue::FourByteInteger(n) | PropertyValue::VariableByteInteger(n) => {
            n.into_pyobject(py)?.into_any().unbind()
        }
        PropertyValue::Utf8String(s) => PyString::new(py, &s).into_any().unbind(),
        PropertyValue::BinaryData(b) => PyBytes::new(py, &b).into_any().unbind(),
        PropertyValue::Utf8StringPair(k, v) => (k, v).into_pyobject(py)?.into_any().unbind(),
    })
}

/// Property `id` of `p` as Python sees it: a list for a repeatable one, else the value or
/// None.
fn get(py: Python<'_>, p: &Properties, id: PropertyId) -> PyResult<Py<PyAny>> {
    let values = p.values(id);
    if repeatable(id) {
        let items = values
            .into_iter()
            .map(|v| value_to_py(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(PyList::new(py, items)?.into_any().unbind());
    }
    match values.into_iter().next() {
        Some(v) => value_to_py(py, v),
        None => Ok(py.None()),
    }
}

/// The descriptor of one property on MessageProperties.
#[pyclass(frozen, module = "ferromq._native", name = "_Property")]
struct Property {
    id: PropertyId,
}

#[pymethods]
impl Property {
    fn __get__(
        slf: &Bound<'_, Self>,
        obj: Option<&Bound<'_, PyAny>>,
        _owner: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let Some(obj) = obj.filter(|o| !o.is_none()) else {
            return Ok(slf.clone().into_any().unbind());
        };
        let me = obj.cast::<MessageProperties>()?.get();
        get(py, &me.inner, slf.get().id)
    }

    fn __set__(&self, obj: &Bound<'_, PyAny>, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(pyo3::exceptions::PyAttributeError::new_err(format!(
            "attribute '{}' of '{}' objects is not writable",
            self.id.field_name(),
            obj.get_type().name()?
        )))
    }
}

#[pymethods]
impl MessageProperties {
    /// Every property by name: None or [] for the absent ones.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for id in PropertyId::message_properties() {
            d.set_item(id.field_name(), get(py, &self.inner, id)?)?;
        }
        Ok(d)
    }

    /// Only the properties the message has.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut parts = Vec::new();
        for id in PropertyId::message_properties() {
            if self.inner.values(id).is_empty() {
                continue;
            }
            let v = get(py, &self.inner, id)?;
            parts.push(format!("{}={}", id.field_name(), v.bind(py).repr()?));
        }
        Ok(format!("MessageProperties({})", parts.join(", ")))
    }

    /// False when the message has none (every 3.1.1 message).
    fn __bool__(&self) -> bool {
        !self.inner.is_empty()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = other.py();
        Ok(match other.cast::<MessageProperties>() {
            Ok(o) => pyo3::types::PyBool::new(py, *self.inner == *o.get().inner)
                .to_owned()
                .into_any()
                .unbind(),
            Err(_) => py.NotImplemented(),
        })
    }

    // Equal objects must hash alike: the same values in the same order.
    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        let mut items = Vec::new();
        for id in PropertyId::message_properties() {
            let v = get(py, &self.inner, id)?;
            let v = match v.bind(py).cast::<PyList>() {
                Ok(l) => l.to_tuple().into_any().unbind(),
                Err(_) => v,
            };
            items.push(v);
        }
        PyTuple::new(py, items)?.hash()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<MessageProperties>()?;
    let cls = py.get_type::<MessageProperties>();
    for id in PropertyId::message_properties() {
        cls.setattr(id.field_name(), Bound::new(py, Property { id })?)?;
    }
    // The TypedDict of what a publish takes, for annotations and get_type_hints().
    let typing = py.import("typing")?;
    let names = typing.getattr("__dict__")?;
    let eval = py.import("builtins")?.getattr("eval")?;
    let fields = PyDict::new(py);
    for id in PropertyId::message_properties().filter(|id| !received_only(*id)) {
        fields.set_item(id.field_name(), eval.call1((publish_type(id), &names))?)?;
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("total", false)?;
    let td = typing
        .getattr("TypedDict")?
        .call(("PublishProperties", fields), Some(&kwargs))?;
    td.setattr("__module__", "ferromq")?;
    td.setattr(
        "__doc__",
        "The MQTT 5.0 properties one publish may be given: a dict keyed by these names.",
    )?;
    m.add("PublishProperties", td)?;
    Ok(())
}

/// The message properties as the description lists them: {name, type (the Python type of
/// one value), data_type (the MQTT data type), repeatable, publishable, publish_type (what
/// a publish's `properties` takes, None when not publishable)}.
pub fn describe(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for id in PropertyId::message_properties() {
        let d = PyDict::new(py);
        d.set_item("name", id.field_name())?;
        d.set_item("type", py_type(id))?;
        d.set_item("data_type", format!("{:?}", id.data_type()))?;
        d.set_item("repeatable", repeatable(id))?;
        d.set_item("publishable", !received_only(id))?;
        d.set_item(
            "publish_type",
            (!received_only(id)).then(|| publish_type(id)),
        )?;
        out.append(d)?;
    }
    Ok(out)
}

// ---- what a publish is given ----

fn invalid(py: Python<'_>, message: String) -> PyErr {
    to_py_err(py, ferromq::Error::new(code::INVALID_ARGUMENT, message))
}

fn type_error(key: &str, want: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let got = got
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    PyTypeError::new_err(format!("properties[{key:?}] needs {want}, not {got}"))
}

fn text(key: &str, v: &Bound<'_, PyAny>, want: &str) -> PyResult<String> {
    match v.cast::<PyString>() {
        Ok(s) => Ok(s.to_cow()?.into_owned()),
        Err(_) => Err(type_error(key, want, v)),
    }
}

/// Bytes from bytes, bytearray, memoryview, or str (as UTF-8).
fn blob(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Bytes::copy_from_slice(b.as_bytes()));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(Bytes::from(b.to_vec()));
    }
    if v.cast::<PyMemoryView>().is_ok() {
        let b = v.call_method0("tobytes")?;
        return Ok(Bytes::copy_from_slice(b.cast::<PyBytes>()?.as_bytes()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Bytes::copy_from_slice(s.to_cow()?.as_bytes()));
    }
    Err(type_error(key, "bytes, bytearray, memoryview or str", v))
}

/// An integer of `id`'s type; one that does not fit the type is out of range (10022), one
/// that fits but breaks the property's rule is refused by the core's check.
fn integer(
    py: Python<'_>,
    id: PropertyId,
    key: &str,
    v: &Bound<'_, PyAny>,
) -> PyResult<PropertyValue> {
    if v.cast::<pyo3::types::PyBool>().is_ok() {
        return Err(type_error(key, "an int", v));
    }
    let n: i64 = v.extract().map_err(|_| type_error(key, "an int", v))?;
    let out_of_range = || invalid(py, format!("{key} {n} is out of range"));
    Ok(match id.data_type() {
        PropertyType::Byte => PropertyValue::Byte(u8::try_from(n).map_err(|_| out_of_range())?),
        PropertyType::TwoByteInteger => {
            PropertyValue::TwoByteInteger(u16::try_from(n).map_err(|_| out_of_range())?)
        }
        PropertyType::FourByteInteger => {
            PropertyValue::FourByteInteger(u32::try_from(n).map_err(|_| out_of_range())?)
        }
        _ => PropertyValue::VariableByteInteger(u32::try_from(n).map_err(|_| out_of_range())?),
    })
}

/// User properties: pairs (name, value) in order, or a dict name -> value or list of values.
fn pairs(key: &str, v: &Bound<'_, PyAny>) -> PyResult<Vec<PropertyValue>> {
    let want = "a list of (name, value) pairs or a dict of str to str or list of str";
    let mut out = Vec::new();
    if let Ok(d) = v.cast::<PyDict>() {
        for (name, value) in d.iter() {
            let name = text(key, &name, want)?;
            if let Ok(s) = value.cast::<PyString>() {
                out.push(PropertyValue::Utf8StringPair(
                    name,
                    s.to_cow()?.into_owned(),
                ));
                continue;
            }
            if value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok() {
                for item in value.try_iter()? {
                    let s = text(key, &item?, want)?;
                    out.push(PropertyValue::Utf8StringPair(name.clone(), s));
                }
                continue;
            }
            return Err(type_error(key, want, &value));
        }
        return Ok(out);
    }
    if v.cast::<PyString>().is_ok() || v.cast::<PyBytes>().is_ok() {
        return Err(type_error(key, want, v));
    }
    let items = v.try_iter().map_err(|_| type_error(key, want, v))?;
    for item in items {
        let item = item?;
        let pair = item
            .cast::<PyTuple>()
            .map(|t| t.to_list())
            .or_else(|_| item.cast::<PyList>().cloned())
            .map_err(|_| type_error(key, want, &item))?;
        if pair.len() != 2 {
            return Err(type_error(key, want, &item));
        }
        let name = text(key, &pair.get_item(0)?, want)?;
        let value = text(key, &pair.get_item(1)?, want)?;
        out.push(PropertyValue::Utf8StringPair(name, value));
    }
    Ok(out)
}

/// The values `v` gives property `id` (named `key`).
fn values_of(
    py: Python<'_>,
    id: PropertyId,
    key: &str,
    v: &Bound<'_, PyAny>,
) -> PyResult<Vec<PropertyValue>> {
    match id.data_type() {
        PropertyType::Utf8StringPair => pairs(key, v),
        PropertyType::Utf8String => Ok(vec![PropertyValue::Utf8String(text(key, v, "a str")?)]),
        PropertyType::BinaryData => Ok(vec![PropertyValue::BinaryData(blob(key, v)?)]),
        _ if repeatable(id) && (v.cast::<PyList>().is_ok() || v.cast::<PyTuple>().is_ok()) => v
            .try_iter()?
            .map(|item| integer(py, id, key, &item?))
            .collect(),
        _ => Ok(vec![integer(py, id, key, v)?]),
    }
}

/// The core's Properties for a publish's `properties=`: None, a dict keyed by the property
/// names, or a MessageProperties (forwarded without what only a server sets, and without
/// the topic alias, which belongs to the connection it came on).
pub fn publish_properties(py: Python<'_>, arg: Option<&Bound<'_, PyAny>>) -> PyResult<Properties> {
    let Some(arg) = arg.filter(|a| !a.is_none()) else {
        return Ok(Properties::default());
    };
    if let Ok(received) = arg.cast::<MessageProperties>() {
        return Ok(received.get().inner.forwarded());
    }
    let Ok(d) = arg.cast::<PyDict>() else {
        return Err(PyTypeError::new_err(format!(
            "properties needs a dict (or a received message's MessageProperties), not {}",
            arg.get_type().name()?
        )));
    };
    let mut p = Properties::default();
    for (key, v) in d.iter() {
        let key = match key.cast::<PyString>() {
            Ok(k) => k.to_cow()?.into_owned(),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "properties keys are the property names (str), not {}",
                    key.get_type().name()?
                )))
            }
        };
        let Some(id) = PropertyId::message_properties().find(|id| id.field_name() == key) else {
            let names: Vec<&str> = PropertyId::message_properties()
                .filter(|id| !received_only(*id))
                .map(|id| id.field_name())
                .collect();
            return Err(invalid(
                py,
                format!(
                    "{key:?} is not a property of a message: use {}",
                    names.join(", ")
                ),
            ));
        };
        // None leaves a property out, as it reads on a received message.
        if v.is_none() {
            continue;
        }
        for value in values_of(py, id, &key, &v)? {
            if p.add(id, value).is_err() {
                return Err(invalid(py, format!("{key}: a value of the wrong type")));
            }
        }
    }
    Ok(p)
}
