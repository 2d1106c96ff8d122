//! The list of config settings the engine answers, from its registry, for walking them in C
//! (the values themselves go through mqtt_config).

use crate::panic::guard;
use crate::ptr::{cstring, Out};
use ferromq::component::config::{self, Applies, Setting, SettingType};
use std::ffi::{c_char, c_int, CString};
use std::sync::OnceLock;

/// mqtt_config_setting.kind: True/False (also accepts 0/1, Yes/No, any case).
pub const MQTT_SETTING_BOOL: c_int = 0;
/// mqtt_config_setting.kind: a whole number.
pub const MQTT_SETTING_INT: c_int = 1;
/// mqtt_config_setting.kind: text.
pub const MQTT_SETTING_STRING: c_int = 2;

/// mqtt_config_setting.applies: meaningful under MQTT 3.1.1 and 5.0.
pub const MQTT_APPLIES_BOTH: c_int = 0;
/// mqtt_config_setting.applies: meaningful under MQTT 3.1.1 only.
pub const MQTT_APPLIES_V311: c_int = 1;
/// mqtt_config_setting.applies: meaningful under MQTT 5.0 only.
pub const MQTT_APPLIES_V5: c_int = 2;

/// One config setting of the engine's registry.
///
/// ABI: the library allocates it and hands out pointers to it, so a later version may add
/// fields at its end; existing fields never move.
#[repr(C)]
pub struct mqtt_config_setting {
    /// The name to give mqtt_config ("TopicDelimiter"). An indexed setting ends in "[i]":
    /// "Name[3]" addresses one element, and the name as listed (or without "[i]") the
    /// whole array, as a JSON array of strings.
    pub name: *const c_char,
    /// The reference's group of the setting ("mqtt" for the MQTT settings).
    pub group: *const c_char,
    /// One of MQTT_SETTING_*.
    pub kind: c_int,
    /// True when mqtt_config refuses to write it.
    pub read_only: bool,
    /// One of MQTT_APPLIES_*.
    pub applies: c_int,
    /// What a new client (and one after mqtt_reset) reads.
    pub default_value: *const c_char,
    /// True for a setting that takes an index, "Name[i]".
    pub indexed: bool,
}

/// The C copy of the registry, built once and kept for the life of the process.
struct Table {
    /// What C receives: one pointer per row. Pointers, not the rows themselves, so that a
    /// field added to `mqtt_config_setting` later does not move the entries an older program
    /// indexes with its own, smaller `sizeof`.
    index: Vec<*const mqtt_config_setting>,
    /// What `index` points to; never changed after the table is built.
    _rows: Vec<mqtt_config_setting>,
    /// What the rows' pointers lead to; never changed after the table is built.
    _names: Vec<CString>,
}

// SAFETY: the raw pointers in `index` and `_rows` lead into `_rows` and `_names`, owned by
// the same table, which is never mutated after construction; sharing read-only pointers
// between threads is sound.
unsafe impl Sync for Table {}
// SAFETY: as for Sync: nothing in the table is tied to the thread that built it.
unsafe impl Send for Table {}

fn registry() -> &'static [Setting] {
    config::settings()
}

fn kind(k: SettingType) -> c_int {
    match k {
        SettingType::Bool => MQTT_SETTING_BOOL,
        SettingType::Int => MQTT_SETTING_INT,
        SettingType::String => MQTT_SETTING_STRING,
    }
}

fn applies(a: Applies) -> c_int {
    match a {
        Applies::Both => MQTT_APPLIES_BOTH,
        Applies::V311Only => MQTT_APPLIES_V311,
        Applies::V5Only => MQTT_APPLIES_V5,
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut names = Vec::new();
        let mut rows = Vec::new();
        for s in registry() {
            let (name, group, default) = (cstring(s.name), cstring(s.group), cstring(s.default));
            rows.push(mqtt_config_setting {
                name: name.as_ptr(),
                group: group.as_ptr(),
                kind: kind(s.kind),
                read_only: s.read_only,
                applies: applies(s.applies),
                default_value: default.as_ptr(),
                indexed: s.indexed(),
            });
            // The CStrings' buffers stay where they are when the CStrings move.
            names.extend([name, group, default]);
        }
        // Built after `rows` is complete: its buffer does not move again.
        let index = rows
            .iter()
            .map(|r| r as *const mqtt_config_setting)
            .collect();
        Table {
            index,
            _rows: rows,
            _names: names,
        }
    })
}

/// The config settings the engine answers (every group), for walking them: `*settings`
/// receives an array of `*count` pointers, one per setting (`settings[i]->name`). An array
/// of pointers rather than of structs, so a later version may add fields to
/// mqtt_config_setting without breaking a program built against this header.
///
/// Ownership: the array, the structs and their strings belong to the library, are never
/// freed and never change; do not free them. Returns 0, or 10022 if an out-parameter is NULL.
#[no_mangle]
pub extern "C" fn mqtt_config_settings(
    settings: *mut *const *const mqtt_config_setting,
    count: *mut c_int,
) -> c_int {
    const F: &str = "mqtt_config_settings";
    guard(F, || {
        let settings = Out::new(settings, F, "settings")?;
        let count = Out::new(count, F, "count")?;
        let t = table();
        settings.put(t.index.as_ptr());
        count.put(c_int::try_from(t.index.len()).unwrap_or(c_int::MAX));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_c_table_mirrors_the_registry() {
        let mut list: *const *const mqtt_config_setting = std::ptr::null();
        let mut n: c_int = 0;
        assert_eq!(mqtt_config_settings(&mut list, &mut n), 0);
        let reg = registry();
        assert_eq!(n as usize, reg.len());
        // SAFETY: the library hands out `n` row pointers that live for the whole process.
        let rows = unsafe { std::slice::from_raw_parts(list, n as usize) };
        for (&row, s) in rows.iter().zip(reg) {
            // SAFETY: every pointer of the index leads to a row of the static table.
            let row = unsafe { &*row };
            // SAFETY: every string in a row is a NUL-terminated string of the table.
            let text = |p| unsafe { std::ffi::CStr::from_ptr(p) }.to_str().unwrap();
            assert_eq!(text(row.name), s.name);
            assert_eq!(text(row.group), s.group);
            assert_eq!(text(row.default_value), s.default);
            assert_eq!(row.read_only, s.read_only);
            assert_eq!(row.indexed, s.indexed());
            assert_eq!(row.kind, kind(s.kind));
            assert_eq!(row.applies, applies(s.applies));
        }
    }
}
