//! The config registry: one table of every setting with its type, default, whether it is
//! read-only and which MQTT versions it applies to. It drives `config()`, the docs and the
//! per-language test that walks every setting.

use super::props::ConfigValues;
use crate::error::{code, Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingType {
    Bool,
    Int,
    String,
}

/// MQTT versions a setting means something under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    Both,
    V311Only,
    V5Only,
}

pub struct Setting {
    pub name: &'static str,
    pub group: &'static str,
    pub kind: SettingType,
    pub read_only: bool,
    pub applies: Applies,
    pub(crate) get: fn(&ConfigValues) -> String,
    pub(crate) set: fn(&mut ConfigValues, &str) -> Result<()>,
}

fn read_only(_: &mut ConfigValues, _: &str) -> Result<()> {
    Ok(())
}

/// Every setting we answer. Later issues extend this table; nothing else has to change.
pub static SETTINGS: &[Setting] = &[
    Setting {
        name: "TopicDelimiter",
        group: "mqtt",
        kind: SettingType::String,
        read_only: false,
        applies: Applies::Both,
        get: |c| c.topic_delimiter.clone(),
        set: |c, v| {
            if v.is_empty() {
                return Err(invalid("TopicDelimiter", v, "it may not be empty"));
            }
            c.topic_delimiter = v.to_string();
            Ok(())
        },
    },
    Setting {
        name: "TopicQOSArray",
        group: "mqtt",
        kind: SettingType::String,
        read_only: false,
        applies: Applies::Both,
        get: |c| {
            c.topic_qos_array
                .iter()
                .map(|q| q.to_string())
                .collect::<Vec<_>>()
                .join(",")
        },
        set: |c, v| {
            c.topic_qos_array = parse_qos_list("TopicQOSArray", v)?;
            Ok(())
        },
    },
    Setting {
        name: "Retain",
        group: "mqtt",
        kind: SettingType::Bool,
        read_only: false,
        applies: Applies::Both,
        get: |c| fmt_bool(c.retain),
        set: |c, v| {
            c.retain = parse_bool("Retain", v)?;
            Ok(())
        },
    },
    Setting {
        name: "Duplicate",
        group: "mqtt",
        kind: SettingType::Bool,
        read_only: false,
        applies: Applies::Both,
        get: |c| fmt_bool(c.duplicate),
        set: |c, v| {
            c.duplicate = parse_bool("Duplicate", v)?;
            Ok(())
        },
    },
    Setting {
        name: "LogLevel",
        group: "mqtt",
        kind: SettingType::Int,
        read_only: false,
        applies: Applies::Both,
        get: |c| c.log_level.to_string(),
        set: |c, v| {
            c.log_level = parse_int("LogLevel", v, 0, 3)? as i32;
            Ok(())
        },
    },
    Setting {
        name: "WillQOS",
        group: "mqtt",
        kind: SettingType::Int,
        read_only: false,
        applies: Applies::Both,
        get: |c| c.will_qos.to_string(),
        set: |c, v| {
            let q = parse_int("WillQOS", v, i64::MIN, i64::MAX)?;
            if !(0..=2).contains(&q) {
                return Err(Error::new(
                    code::INVALID_QOS,
                    format!("WillQOS {q} is not a QoS: use 0, 1 or 2"),
                ));
            }
            c.will_qos = q as i32;
            Ok(())
        },
    },
    Setting {
        name: "WillRetain",
        group: "mqtt",
        kind: SettingType::Bool,
        read_only: false,
        applies: Applies::Both,
        get: |c| fmt_bool(c.will_retain),
        set: |c, v| {
            c.will_retain = parse_bool("WillRetain", v)?;
            Ok(())
        },
    },
    Setting {
        name: "RepublishInterval",
        group: "mqtt",
        kind: SettingType::Int,
        read_only: false,
        applies: Applies::V311Only,
        get: |c| c.republish_interval.to_string(),
        set: |c, v| {
            c.republish_interval = parse_int("RepublishInterval", v, 0, i32::MAX as i64)? as i32;
            Ok(())
        },
    },
    Setting {
        name: "ConnectionTimeout",
        group: "tcp",
        kind: SettingType::Int,
        read_only: false,
        applies: Applies::Both,
        get: |c| c.connection_timeout.to_string(),
        set: |c, v| {
            c.connection_timeout = parse_int("ConnectionTimeout", v, 0, i32::MAX as i64)? as i32;
            Ok(())
        },
    },
    Setting {
        name: "OutgoingPacketId",
        group: "mqtt",
        kind: SettingType::Int,
        read_only: true,
        applies: Applies::Both,
        get: |c| c.outgoing_packet_id.to_string(),
        set: read_only,
    },
    Setting {
        name: "SessionPresent",
        group: "mqtt",
        kind: SettingType::Bool,
        read_only: true,
        applies: Applies::Both,
        get: |c| fmt_bool(c.session_present),
        set: read_only,
    },
    Setting {
        name: "TcpNoDelay",
        group: "tcp",
        kind: SettingType::Bool,
        read_only: false,
        applies: Applies::Both,
        get: |c| fmt_bool(c.tcp_no_delay),
        set: |c, v| {
            c.tcp_no_delay = parse_bool("TcpNoDelay", v)?;
            Ok(())
        },
    },
];

/// Find a setting by name; names are matched without regard to case.
pub fn find(name: &str) -> Result<&'static Setting> {
    SETTINGS
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Error::new(
                code::INVALID_ARGUMENT,
                format!("unknown config setting \"{name}\""),
            )
        })
}

/// `Name` reads, `Name=Value` writes (returning "").
pub(crate) fn apply(values: &mut ConfigValues, request: &str) -> Result<String> {
    match request.split_once('=') {
        None => Ok((find(request.trim())?.get)(values)),
        Some((name, value)) => {
            let s = find(name.trim())?;
            if s.read_only {
                return Err(Error::new(
                    code::INVALID_ARGUMENT,
                    format!(
                        "config setting \"{}\" is read-only (cannot set it to \"{value}\")",
                        s.name
                    ),
                ));
            }
            (s.set)(values, value)?;
            Ok(String::new())
        }
    }
}

pub fn fmt_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

/// True/False, 1/0 and Yes/No, in any case.
pub fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(invalid(name, v, "expected True/False, 1/0 or Yes/No")),
    }
}

pub fn parse_int(name: &str, v: &str, min: i64, max: i64) -> Result<i64> {
    let n: i64 = v
        .trim()
        .parse()
        .map_err(|_| invalid(name, v, "expected an integer"))?;
    if n < min || n > max {
        return Err(invalid(name, v, &format!("expected {min}..={max}")));
    }
    Ok(n)
}

/// A comma list of QoS values ("" clears it).
pub fn parse_qos_list(name: &str, v: &str) -> Result<Vec<u8>> {
    if v.trim().is_empty() {
        return Ok(Vec::new());
    }
    v.split(',')
        .map(|part| match part.trim() {
            "0" => Ok(0),
            "1" => Ok(1),
            "2" => Ok(2),
            other => Err(Error::new(
                code::INVALID_QOS,
                format!("{name} holds \"{other}\", which is not a QoS: use 0, 1 or 2"),
            )),
        })
        .collect()
}

fn invalid(name: &str, value: &str, why: &str) -> Error {
    Error::new(
        code::INVALID_ARGUMENT,
        format!("invalid value \"{value}\" for config setting \"{name}\": {why}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_answers_and_round_trips_its_own_value() {
        let mut v = ConfigValues::default();
        for s in SETTINGS {
            let current = apply(&mut v, s.name).unwrap();
            if s.read_only {
                let e = apply(&mut v, &format!("{}={current}", s.name)).unwrap_err();
                assert_eq!(e.code, code::INVALID_ARGUMENT);
                assert!(e.message.contains(s.name), "{}", e.message);
            } else {
                apply(&mut v, &format!("{}={current}", s.name)).unwrap();
                assert_eq!(apply(&mut v, s.name).unwrap(), current, "{}", s.name);
            }
        }
    }

    #[test]
    fn booleans_accept_every_documented_spelling() {
        let mut v = ConfigValues::default();
        for (text, want) in [
            ("True", true),
            ("false", false),
            ("1", true),
            ("0", false),
            ("YES", true),
            ("no", false),
        ] {
            apply(&mut v, &format!("Retain={text}")).unwrap();
            assert_eq!(v.retain, want, "{text}");
        }
        let e = apply(&mut v, "Retain=maybe").unwrap_err();
        assert_eq!(e.code, code::INVALID_ARGUMENT);
        assert!(e.message.contains("maybe") && e.message.contains("Retain"));
    }

    #[test]
    fn names_are_case_insensitive_and_unknown_names_are_named() {
        let mut v = ConfigValues::default();
        assert_eq!(apply(&mut v, "topicdelimiter").unwrap(), ",");
        let e = apply(&mut v, "NoSuchSetting=1").unwrap_err();
        assert!(e.message.contains("NoSuchSetting"));
    }

    #[test]
    fn qos_lists_are_checked() {
        let mut v = ConfigValues::default();
        apply(&mut v, "TopicQOSArray=1, 2,0").unwrap();
        assert_eq!(v.topic_qos_array, vec![1, 2, 0]);
        assert_eq!(apply(&mut v, "TopicQOSArray").unwrap(), "1,2,0");
        let e = apply(&mut v, "TopicQOSArray=1,3").unwrap_err();
        assert_eq!(e.code, code::INVALID_QOS);
        apply(&mut v, "TopicQOSArray=").unwrap();
        assert!(v.topic_qos_array.is_empty());
    }

    #[test]
    fn integers_are_range_checked() {
        let mut v = ConfigValues::default();
        assert!(apply(&mut v, "LogLevel=4")
            .unwrap_err()
            .message
            .contains("0..=3"));
        assert!(apply(&mut v, "LogLevel=x").is_err());
        apply(&mut v, "LogLevel=3").unwrap();
        assert_eq!(
            apply(&mut v, "WillQOS=3").unwrap_err().code,
            code::INVALID_QOS
        );
    }
}
