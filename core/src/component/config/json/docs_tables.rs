//! The property tables of the docs, made from the property table (codec/property_table.rs)
//! and compared with docs/config.md and docs/protocol.md. After changing the property table,
//! `FERROMQ_WRITE_DOCS=1 cargo test -p ferromq --lib docs_tables` rewrites them.

use super::{value_note, SETTINGS};
use crate::codec::{is_allowed, Check, Ctx, FieldRef, Properties, PropertyId};

/// docs/config.md: the keys of each JSON setting, in the order they are read back.
fn settings_table() -> String {
    let mut out = String::from("| setting | keys |\n|---|---|\n");
    for setting in SETTINGS {
        let keys: Vec<String> = setting
            .keys()
            .iter()
            .map(|k| {
                let mut text = format!("{}{}", k.name, value_note(k.id));
                if let Some(alias) = k.alias {
                    text.push_str(&format!(" (also spelt {alias})"));
                }
                text
            })
            .collect();
        out.push_str(&format!(
            "| {} | {} |\n",
            setting.setting(),
            keys.join(", ")
        ));
    }
    out
}

/// docs/protocol.md: every property, where it goes and where the faces show it.
fn properties_table() -> String {
    let mut out = String::from(
        "| id | property | type | values | carried by | JSON settings keys | session file |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let props = Properties::default();
    for id in PropertyId::ALL {
        let kind = match props.field(id) {
            FieldRef::Byte(_) => "byte",
            FieldRef::Two(_) => "two byte integer",
            FieldRef::Four(_) => "four byte integer",
            FieldRef::VarInts(_) => "variable byte integer, repeatable",
            FieldRef::Text(_) => "UTF-8 string",
            FieldRef::Binary(_) => "binary data",
            FieldRef::Pairs(_) => "string pair, repeatable",
        };
        let values = match id.check() {
            Check::Any => "",
            Check::Flag | Check::Bit => "0 or 1",
            Check::NonZero => "not 0",
            Check::TopicAlias => "not 0 (else Topic Alias invalid)",
            Check::SubscriptionId => "1..=268435455",
        };
        let carried = if Ctx::ALL.iter().all(|&c| is_allowed(id, c)) {
            "every packet".to_string()
        } else {
            let ctxs: Vec<&str> = Ctx::ALL
                .iter()
                .filter(|&&c| is_allowed(id, c))
                .map(|c| c.label())
                .collect();
            ctxs.join(", ")
        };
        let keys: Vec<String> = id
            .json_keys()
            .iter()
            .map(|k| format!("{}: {}", k.setting, k.name))
            .collect();
        let session = if is_allowed(id, Ctx::Publish) {
            format!("`{}`", id.field_name())
        } else {
            String::new()
        };
        out.push_str(&format!(
            "| 0x{:02X} | {} | {kind} | {values} | {carried} | {} | {session} |\n",
            id as u8,
            id.name(),
            keys.join(", ")
        ));
    }
    out
}

/// Compares the part of `doc` (a path from the repository root) between the markers of
/// `name` with `table`; rewrites it when FERROMQ_WRITE_DOCS is set.
fn check(doc: &str, name: &str, table: &str) {
    let path = format!("{}/../{doc}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the docs file");
    let begin = format!("<!-- begin {name}: made from core/src/codec/property_table.rs -->\n");
    let end = format!("<!-- end {name} -->");
    let (Some(a), Some(b)) = (text.find(&begin), text.find(&end)) else {
        panic!("{doc} has no markers {begin:?} ... {end:?}");
    };
    let current = &text[a + begin.len()..b];
    if current == table {
        return;
    }
    if std::env::var_os("FERROMQ_WRITE_DOCS").is_some() {
        let updated = format!("{}{table}{}", &text[..a + begin.len()], &text[b..]);
        std::fs::write(&path, updated).expect("write the docs file");
        return;
    }
    panic!(
        "the {name} table in {doc} differs from the property table; run \
         FERROMQ_WRITE_DOCS=1 cargo test -p ferromq --lib docs_tables, or paste:\n{table}"
    );
}

#[test]
fn docs_tables_match_the_property_table() {
    check("docs/config.md", "json-settings", &settings_table());
    check("docs/protocol.md", "mqtt5-properties", &properties_table());
}
