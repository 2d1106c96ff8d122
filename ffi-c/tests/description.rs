//! include/mqtt.h (cbindgen's output of this crate) against the core's description
//! (docs/description.md): every described event field and MQTTMessage field is in the C
//! struct with the C type its value kind takes, `mqtt_message_properties` holds exactly the
//! core's message properties (`PropertyId::message_properties()`) in their order, and every
//! MQTT_ERR_* constant is the core's code of the same name.

use ferromq::codec::{PropertyId, PropertyType};
use ferromq::{FieldDesc, ValueKind, ERROR_CODES, EVENT_KINDS, MESSAGE_FIELDS};
use std::collections::HashMap;

fn header() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../include/mqtt.h");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `typedef struct NAME { ... } NAME;` of the header: NAME -> [(field, C type)].
fn structs(h: &str) -> HashMap<String, Vec<(String, String)>> {
    let mut out = HashMap::new();
    let mut rest = h;
    while let Some(at) = rest.find("typedef struct ") {
        rest = &rest[at + "typedef struct ".len()..];
        let Some(open) = rest.find('{') else { break };
        let name = rest[..open].trim().to_string();
        let Some(close) = rest.find("} ") else { break };
        if close < open {
            continue; // an opaque `typedef struct x x;`
        }
        let body = &rest[open + 1..close];
        let mut fields = Vec::new();
        let mut in_comment = false;
        for line in body.lines().map(str::trim) {
            if line.starts_with("/*") {
                in_comment = !line.ends_with("*/");
                continue;
            }
            if in_comment {
                in_comment = !line.ends_with("*/");
                continue;
            }
            let Some(decl) = line.strip_suffix(';') else {
                continue;
            };
            let split = decl.rfind([' ', '*']).expect("a field declaration");
            let (ty, field) = decl.split_at(split + 1);
            fields.push((field.trim().to_string(), ty.trim().to_string()));
        }
        out.insert(name, fields);
        rest = &rest[close..];
    }
    out
}

/// The C fields a described field becomes: (name, C type).
fn c_fields(f: &FieldDesc) -> Vec<(String, &'static str)> {
    let n = f.name;
    match f.kind {
        ValueKind::Int => vec![(n.into(), "int")],
        ValueKind::Long => vec![(n.into(), "int64_t")],
        ValueKind::Bool => vec![(n.into(), "bool")],
        ValueKind::Text => vec![(n.into(), "const char *")],
        ValueKind::Bytes => vec![
            (n.into(), "const uint8_t *"),
            (format!("{n}_len"), "size_t"),
        ],
        ValueKind::Payload => vec![
            (n.into(), "const char *"),
            (format!("{n}_len"), "size_t"),
            (format!("{n}_b"), "const uint8_t *"),
            (format!("{n}_b_len"), "size_t"),
        ],
        ValueKind::Properties => vec![(n.into(), "const struct mqtt_message_properties *")],
    }
}

/// The C fields a message property becomes: (name, C type, value when absent in
/// MQTT_MESSAGE_PROPERTIES_INIT). Integers are signed and wide enough for -1 (absent).
fn property_fields(id: PropertyId) -> Vec<(String, &'static str, &'static str)> {
    let n = id.field_name();
    match id.data_type() {
        PropertyType::Byte | PropertyType::TwoByteInteger => vec![(n.into(), "int", "-1")],
        PropertyType::FourByteInteger => vec![(n.into(), "int64_t", "-1")],
        PropertyType::VariableByteInteger => vec![
            (n.into(), "const uint32_t *", "NULL"),
            (format!("{n}_len"), "size_t", "0"),
        ],
        PropertyType::Utf8String => vec![(n.into(), "const char *", "NULL")],
        PropertyType::BinaryData => vec![
            (n.into(), "const uint8_t *", "NULL"),
            (format!("{n}_len"), "size_t", "0"),
        ],
        PropertyType::Utf8StringPair => vec![
            (n.into(), "const struct mqtt_user_property *", "NULL"),
            (format!("{n}_len"), "size_t", "0"),
        ],
    }
}

#[test]
fn header_message_properties_are_the_cores_in_order() {
    let h = header();
    let structs = structs(&h);
    let have = &structs["mqtt_message_properties"];
    let want: Vec<_> = PropertyId::message_properties()
        .flat_map(property_fields)
        .collect();
    let have_names: Vec<_> = have.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
    let want_names: Vec<_> = want.iter().map(|(n, t, _)| (n.as_str(), *t)).collect();
    assert_eq!(have_names, want_names, "mqtt_message_properties");
    // The initializer marks each of them absent, positionally.
    let line = h
        .lines()
        .find_map(|l| l.strip_prefix("#define MQTT_MESSAGE_PROPERTIES_INIT "))
        .expect("MQTT_MESSAGE_PROPERTIES_INIT");
    let values: Vec<_> = line
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .map(str::trim)
        .collect();
    let absent: Vec<_> = want.iter().map(|(_, _, v)| *v).collect();
    assert_eq!(values, absent, "MQTT_MESSAGE_PROPERTIES_INIT");
    // The options' initializer lists its fields up to the properties, which it leaves absent.
    let options = &structs["mqtt_publish_options"];
    let names: Vec<_> = options.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["struct_size", "qos", "retain", "properties"]);
    assert!(h.contains(
        "#define MQTT_PUBLISH_OPTIONS_INIT { sizeof(mqtt_publish_options), 0, false, MQTT_MESSAGE_PROPERTIES_INIT }"
    ));
}

/// `SslServerAuthenticationEvent` -> `mqtt_ssl_server_authentication_event`.
fn c_struct_name(rust: &str) -> String {
    let mut s = String::from("mqtt");
    for c in rust.chars() {
        if c.is_ascii_uppercase() {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

fn check(structs: &HashMap<String, Vec<(String, String)>>, name: &str, fields: &[FieldDesc]) {
    let have = structs
        .get(name)
        .unwrap_or_else(|| panic!("include/mqtt.h has no struct {name}"));
    for f in fields {
        for (field, ty) in c_fields(f) {
            let found = have.iter().find(|(n, _)| *n == field);
            let Some((_, c_ty)) = found else {
                panic!("{name} has no field {field} (described {:?})", f.kind)
            };
            assert_eq!(c_ty, ty, "{name}.{field}");
        }
    }
}

#[test]
fn header_structs_hold_every_described_field() {
    let h = header();
    let structs = structs(&h);
    for k in EVENT_KINDS.iter() {
        if let Some(rust) = k.rust_type {
            check(&structs, &c_struct_name(rust), k.fields);
        }
    }
    check(&structs, "mqtt_message", MESSAGE_FIELDS);
}

#[test]
fn header_error_constants_are_the_cores() {
    let h = header();
    let mut seen = 0;
    for line in h.lines() {
        let Some(rest) = line.strip_prefix("#define MQTT_ERR_") else {
            continue;
        };
        let mut parts = rest.split_whitespace();
        let (name, value) = (parts.next().unwrap(), parts.next().unwrap());
        let core = ERROR_CODES
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("MQTT_ERR_{name} is not a code of the core"));
        assert_eq!(value.parse::<i32>().unwrap(), core.code, "MQTT_ERR_{name}");
        seen += 1;
    }
    assert!(seen > 20, "only {seen} MQTT_ERR_ constants found");
}

/// "SSLServerAuthentication" → "ssl_server_authentication": a break before an upper-case
/// letter that follows a lower-case one or starts a word after an acronym.
fn snake(name: &str) -> String {
    let c: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &ch) in c.iter().enumerate() {
        let after_lower = i > 0 && c[i - 1].is_lowercase();
        let ends_acronym =
            i > 0 && c[i - 1].is_uppercase() && c.get(i + 1).is_some_and(|n| n.is_lowercase());
        if ch.is_uppercase() && (after_lower || ends_acronym) {
            out.push('_');
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// A kind without its registration function would compile and pass every other check, and
/// C programs could never hear it.
#[test]
fn header_registers_a_callback_for_every_kind() {
    let h = header();
    for k in EVENT_KINDS.iter() {
        let decl = format!("int mqtt_on_{}(struct mqtt_t *mqtt, ", snake(k.name));
        assert!(
            h.contains(&decl),
            "include/mqtt.h does not declare {decl}...) for {}",
            k.name
        );
    }
    assert_eq!(
        snake("SSLServerAuthentication"),
        "ssl_server_authentication"
    );
}
