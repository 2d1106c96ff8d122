//! The config registry: one table, [`SETTINGS`], of every setting `config()` answers, with
//! its type, default, whether it is read-only and which MQTT versions it means something
//! under. `config("Name")` reads, `config("Name=Value")` writes; the docs (docs/config.md)
//! and each face's "every setting answers" test walk the same table.
//!
//! Rules every setting follows:
//!
//! - Names match without regard to case. `OutgoingUserPropName[2]` addresses one element of
//!   an indexed setting; the bare name (or the documented `[i]`) addresses the whole array
//!   as a JSON array of strings, so that walking the table by its names works for these too.
//! - Booleans take True/False, 1/0 and Yes/No in any case and always read back as `True` or
//!   `False`, the reference's spelling, so a value read can be written back unchanged.
//! - Integers that "reset with -1" (SubscriptionIdentifier, TopicAlias) read `-1` while
//!   unset.
//! - Errors are 10022 (INVALID_ARGUMENT) and name the setting, the value and what was
//!   expected, except QoS values (505, as for the methods). Writing a read-only setting is
//!   10022 too: the reference's error list has no number for it, and its nearest candidate,
//!   211 "impossible in the present state", would suggest that waiting could help.
//! - The JSON settings (ConnectProperties, ...) merge: the members given replace those keys
//!   and leave the others; a member set to null, "" or (numbers, flags) -1 removes its key;
//!   the whole setting set to "" removes them all. Keys match without regard to case; values
//!   may be JSON numbers/booleans or the strings the reference's examples use. They read as
//!   compact JSON of the keys that are set, numbers as numbers, flags as booleans, binary
//!   data as lowercase hex. Repeated `UserProperty` members are all kept.
//! - Two settings documented as views of one value share one field: ClientTopicAliasMax and
//!   SessionExpInterval live in ConnectProperties, ResponseTopic and TopicAlias in
//!   OutgoingMessageProperties, ServerTopicAliasMax in ConnAckProperties. Writing 0 to
//!   ClientTopicAliasMax or SessionExpInterval removes the key, since an absent key means 0
//!   to the server; so writing back a default never changes the JSON view.
//!
//! MQTT 5.0-only settings under 3.1.1: accepted, stored and read back as usual, but nothing
//! of them reaches the wire (the codec writes no properties or subscription options under
//! 3.1.1). Refusing them would make an application's set-up depend on the order in which it
//! sets Version and the settings, and would break code that serves both versions with one
//! configuration; ignoring them on the wire is what the protocol demands anyway. The same
//! holds the other way round for RepublishInterval (3.1.1 only).

mod json;
#[cfg(test)]
mod tests;
mod transport;
mod wire;

pub(crate) use transport::{Negotiated, Transport};

pub(crate) use wire::{
    connect_properties, disconnect_properties, forget_server_disconnect, publish_properties,
    record_connack, record_incoming_message, record_server_disconnect, subscribe_options,
    subscribe_properties, will_properties,
};

use super::props::ConfigValues;
use crate::codec::reason;
use crate::error::{code, Error, Result};
use json::{CONNACK_KEYS, CONNECT_KEYS, DISCONNECT_KEYS, OUTGOING_KEYS, WILL_KEYS};

/// The type a setting's text stands for. JSON, hex and list settings are `String`: their
/// value is text, and the faces present the kind as one of these three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingType {
    /// "True" or "False".
    Bool,
    /// A whole number, written in decimal.
    Int,
    /// Free text (also JSON, hex and lists).
    String,
}

/// MQTT versions a setting means something under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Both MQTT 3.1.1 and 5.0.
    Both,
    /// MQTT 3.1.1 only.
    V311Only,
    /// MQTT 5.0 only.
    V5Only,
}

/// Which half of a user property pair an indexed setting shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Half {
    Name,
    Value,
}

pub(crate) type Get = fn(&ConfigValues) -> String;
pub(crate) type Set = fn(&mut ConfigValues, &str) -> Result<()>;
type Pairs = fn(&ConfigValues) -> &Vec<(String, String)>;
type PairsMut = fn(&mut ConfigValues) -> &mut Vec<(String, String)>;

#[derive(Clone)]
pub(crate) enum Access {
    Value {
        get: Get,
        /// None for a read-only setting.
        set: Option<Set>,
    },
    /// `Name[i]`: one half of element i of a list of user properties; `count` names the
    /// setting that holds the list's length.
    Indexed {
        half: Half,
        pairs: Pairs,
        pairs_mut: Option<PairsMut>,
        count: &'static str,
    },
}

/// One configuration setting of the registry that `config` reads and writes: its name,
/// group, type, default and the MQTT versions it applies to.
#[derive(Clone)]
pub struct Setting {
    /// The documented name; indexed settings end in `[i]`.
    pub name: &'static str,
    /// The group it is listed under in the documentation (such as "Connection" or "TLS").
    pub group: &'static str,
    /// The type its text stands for.
    pub kind: SettingType,
    /// True when `config` may read it but not set it.
    pub read_only: bool,
    /// The MQTT versions it applies to.
    pub applies: Applies,
    /// What a new client (or one after Reset) reads.
    pub default: &'static str,
    pub(crate) access: Access,
}

impl Setting {
    /// Whether the setting takes an index, `Name[i]`.
    pub fn indexed(&self) -> bool {
        matches!(self.access, Access::Indexed { .. })
    }

    /// The name without the `[i]` of an indexed setting.
    pub fn base_name(&self) -> &'static str {
        self.name.strip_suffix("[i]").unwrap_or(self.name)
    }
}

pub(crate) const fn rw(
    name: &'static str,
    kind: SettingType,
    applies: Applies,
    default: &'static str,
    get: Get,
    set: Set,
) -> Setting {
    Setting {
        name,
        group: "mqtt",
        kind,
        read_only: false,
        applies,
        default,
        access: Access::Value {
            get,
            set: Some(set),
        },
    }
}

pub(crate) const fn ro(
    name: &'static str,
    kind: SettingType,
    applies: Applies,
    default: &'static str,
    get: Get,
) -> Setting {
    Setting {
        name,
        group: "mqtt",
        kind,
        read_only: true,
        applies,
        default,
        access: Access::Value { get, set: None },
    }
}

const fn indexed(
    name: &'static str,
    half: Half,
    pairs: Pairs,
    pairs_mut: Option<PairsMut>,
    count: &'static str,
) -> Setting {
    Setting {
        name,
        group: "mqtt",
        kind: SettingType::String,
        read_only: pairs_mut.is_none(),
        applies: Applies::V5Only,
        default: "[]",
        access: Access::Indexed {
            half,
            pairs,
            pairs_mut,
            count,
        },
    }
}

use Applies::{Both, V311Only, V5Only};
use SettingType::{Bool, Int, String as Text};

/// Far more user properties than any packet would carry; the bound keeps a typo such as
/// `OutgoingUserPropCount=1000000000` from allocating gigabytes.
const MAX_USER_PROPS: i64 = 65_535;

/// Every setting we answer, the 35 of the documented `mqtt` group in their documented order
/// and then the TCP ones. Later issues extend this table; nothing else has to change.
/// The `mqtt` and `ferromq` groups; [`SETTINGS`] adds the transport groups after them.
static MQTT_SETTINGS: &[Setting] = &[
    rw(
        "AutoReconnect",
        Bool,
        Both,
        "False",
        |c| fmt_bool(c.auto_reconnect),
        |c, v| {
            c.auto_reconnect = parse_bool("AutoReconnect", v)?;
            Ok(())
        },
    ),
    rw(
        "ClientTopicAliasMax",
        Int,
        V5Only,
        "0",
        |c| c.connect.topic_alias_maximum.unwrap_or(0).to_string(),
        |c, v| {
            let n = parse_int("ClientTopicAliasMax", v, 0, 65_535)? as u16;
            c.connect.topic_alias_maximum = (n != 0).then_some(n);
            Ok(())
        },
    ),
    ro("ConnAckProperties", Text, V5Only, "{}", |c| {
        json::render(CONNACK_KEYS, &c.connack)
    }),
    // The reference's default is 60 s; ours is 0, "use Timeout", whose own default is 60 s:
    // the same wait out of the box, and it follows Timeout when the application changes it.
    rw(
        "ConnectionTimeout",
        Int,
        Both,
        "0",
        |c| c.connection_timeout.to_string(),
        |c, v| {
            c.connection_timeout = parse_int("ConnectionTimeout", v, 0, i32::MAX as i64)? as i32;
            Ok(())
        },
    ),
    rw(
        "ConnectProperties",
        Text,
        V5Only,
        "{}",
        |c| json::render(CONNECT_KEYS, &c.connect),
        |c, v| json::merge("ConnectProperties", CONNECT_KEYS, &mut c.connect, v),
    ),
    rw(
        "DisconnectProperties",
        Text,
        V5Only,
        "{}",
        |c| json::render(DISCONNECT_KEYS, &c.disconnect),
        |c, v| {
            json::merge(
                "DisconnectProperties",
                DISCONNECT_KEYS,
                &mut c.disconnect,
                v,
            )
        },
    ),
    rw(
        "DisconnectReasonCode",
        Int,
        V5Only,
        "0",
        |c| c.disconnect_reason.to_string(),
        |c, v| {
            c.disconnect_reason = parse_disconnect_reason(v)?;
            Ok(())
        },
    ),
    rw(
        "Duplicate",
        Bool,
        Both,
        "False",
        |c| fmt_bool(c.duplicate),
        |c, v| {
            c.duplicate = parse_bool("Duplicate", v)?;
            Ok(())
        },
    ),
    ro("IncomingUserPropCount", Int, V5Only, "0", |c| {
        c.incoming_user_props.len().to_string()
    }),
    indexed(
        "IncomingUserPropName[i]",
        Half::Name,
        |c| &c.incoming_user_props,
        None,
        "IncomingUserPropCount",
    ),
    indexed(
        "IncomingUserPropValue[i]",
        Half::Value,
        |c| &c.incoming_user_props,
        None,
        "IncomingUserPropCount",
    ),
    rw(
        "LogLevel",
        Int,
        Both,
        "1",
        |c| c.log_level.to_string(),
        |c, v| {
            c.log_level = parse_int("LogLevel", v, 0, 3)? as i32;
            Ok(())
        },
    ),
    rw(
        "OutgoingMessageProperties",
        Text,
        V5Only,
        "{}",
        |c| json::render(OUTGOING_KEYS, &c.outgoing),
        |c, v| {
            json::merge(
                "OutgoingMessageProperties",
                OUTGOING_KEYS,
                &mut c.outgoing,
                v,
            )
        },
    ),
    ro("OutgoingPacketId", Int, Both, "0", |c| {
        c.outgoing_packet_id.to_string()
    }),
    rw(
        "OutgoingUserPropCount",
        Int,
        V5Only,
        "0",
        |c| c.outgoing_user_props.len().to_string(),
        |c, v| {
            let n = parse_int("OutgoingUserPropCount", v, 0, MAX_USER_PROPS)? as usize;
            c.outgoing_user_props.resize(n, Default::default());
            Ok(())
        },
    ),
    indexed(
        "OutgoingUserPropName[i]",
        Half::Name,
        |c| &c.outgoing_user_props,
        Some(|c| &mut c.outgoing_user_props),
        "OutgoingUserPropCount",
    ),
    indexed(
        "OutgoingUserPropValue[i]",
        Half::Value,
        |c| &c.outgoing_user_props,
        Some(|c| &mut c.outgoing_user_props),
        "OutgoingUserPropCount",
    ),
    rw(
        "RepublishInterval",
        Int,
        V311Only,
        "60",
        |c| c.republish_interval.to_string(),
        |c, v| {
            c.republish_interval = parse_int("RepublishInterval", v, 0, i32::MAX as i64)? as i32;
            Ok(())
        },
    ),
    rw(
        "ResponseTopic",
        Text,
        V5Only,
        "",
        |c| c.outgoing.response_topic.clone().unwrap_or_default(),
        |c, v| {
            c.outgoing.response_topic = (!v.is_empty()).then(|| v.to_string());
            Ok(())
        },
    ),
    rw(
        "Retain",
        Bool,
        Both,
        "False",
        |c| fmt_bool(c.retain),
        |c, v| {
            c.retain = parse_bool("Retain", v)?;
            Ok(())
        },
    ),
    // Write-only: the bytes wait in `custom_packet` for the component to send them, so
    // there is nothing meaningful to read back.
    rw(
        "SendCustomPacket",
        Text,
        Both,
        "",
        |_| String::new(),
        |c, v| {
            c.custom_packet = match v.trim() {
                "" => None,
                _ => Some(parse_hex(v).map_err(|why| invalid("SendCustomPacket", v, &why))?),
            };
            Ok(())
        },
    ),
    ro("ServerTopicAliasMax", Int, V5Only, "0", |c| {
        c.connack.topic_alias_maximum.unwrap_or(0).to_string()
    }),
    rw(
        "SessionExpInterval",
        Int,
        V5Only,
        "0",
        |c| c.connect.session_expiry_interval.unwrap_or(0).to_string(),
        |c, v| {
            let n = parse_int("SessionExpInterval", v, 0, u32::MAX as i64)? as u32;
            c.connect.session_expiry_interval = (n != 0).then_some(n);
            Ok(())
        },
    ),
    ro("SessionPresent", Bool, Both, "False", |c| {
        fmt_bool(c.session_present)
    }),
    rw(
        "SessionStateFile",
        Text,
        Both,
        "",
        |c| c.session_state_file.clone(),
        |c, v| {
            c.session_state_file = v.to_string();
            Ok(())
        },
    ),
    rw(
        "SubscriptionIdentifier",
        Int,
        V5Only,
        "-1",
        |c| c.subscription_identifier.map_or(-1, i64::from).to_string(),
        |c, v| {
            c.subscription_identifier =
                parse_resettable("SubscriptionIdentifier", v, 1, 268_435_455)?.map(|n| n as u32);
            Ok(())
        },
    ),
    rw(
        "TopicAlias",
        Int,
        V5Only,
        "-1",
        |c| c.outgoing.topic_alias.map_or(-1, i64::from).to_string(),
        |c, v| {
            c.outgoing.topic_alias =
                parse_resettable("TopicAlias", v, 1, 65_535)?.map(|n| n as u16);
            Ok(())
        },
    ),
    rw(
        "TopicDelimiter",
        Text,
        Both,
        ",",
        |c| c.topic_delimiter.clone(),
        |c, v| {
            if v.is_empty() {
                return Err(invalid("TopicDelimiter", v, "it may not be empty"));
            }
            c.topic_delimiter = v.to_string();
            Ok(())
        },
    ),
    rw(
        "TopicNLArray",
        Text,
        V5Only,
        "",
        |c| fmt_list(&c.topic_nl, |b| fmt_bool(*b)),
        |c, v| {
            c.topic_nl = parse_list(v, |part| parse_bool("TopicNLArray", part))?;
            Ok(())
        },
    ),
    rw(
        "TopicQOSArray",
        Text,
        Both,
        "",
        |c| fmt_list(&c.topic_qos_array, u8::to_string),
        |c, v| {
            c.topic_qos_array = parse_qos_list("TopicQOSArray", v)?;
            Ok(())
        },
    ),
    rw(
        "TopicRAPArray",
        Text,
        V5Only,
        "",
        |c| fmt_list(&c.topic_rap, |b| fmt_bool(*b)),
        |c, v| {
            c.topic_rap = parse_list(v, |part| parse_bool("TopicRAPArray", part))?;
            Ok(())
        },
    ),
    rw(
        "TopicRHArray",
        Text,
        V5Only,
        "",
        |c| fmt_list(&c.topic_rh, u8::to_string),
        |c, v| {
            c.topic_rh = parse_list(v, |part| Ok(parse_int("TopicRHArray", part, 0, 2)? as u8))?;
            Ok(())
        },
    ),
    rw(
        "WillProperties",
        Text,
        V5Only,
        "{}",
        |c| json::render(WILL_KEYS, &c.will),
        |c, v| json::merge("WillProperties", WILL_KEYS, &mut c.will, v),
    ),
    rw(
        "WillQOS",
        Int,
        Both,
        "0",
        |c| c.will_qos.to_string(),
        |c, v| {
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
    ),
    rw(
        "WillRetain",
        Bool,
        Both,
        "False",
        |c| fmt_bool(c.will_retain),
        |c, v| {
            c.will_retain = parse_bool("WillRetain", v)?;
            Ok(())
        },
    ),
    // Our own settings (group "ferromq"): the reference leaves AutoReconnect's pacing and the
    // fate of publishes made while reconnecting open, so they are documented and adjustable.
    ext(rw(
        "ReconnectMinDelay",
        Int,
        Both,
        "500",
        |c| c.reconnect_min_ms.to_string(),
        |c, v| {
            c.reconnect_min_ms = parse_int("ReconnectMinDelay", v, 1, 3_600_000)? as u64;
            Ok(())
        },
    )),
    ext(rw(
        "ReconnectMaxDelay",
        Int,
        Both,
        "30000",
        |c| c.reconnect_max_ms.to_string(),
        |c, v| {
            c.reconnect_max_ms = parse_int("ReconnectMaxDelay", v, 1, 3_600_000)? as u64;
            Ok(())
        },
    )),
    ext(rw(
        "ReconnectMaxAttempts",
        Int,
        Both,
        "0",
        |c| c.reconnect_max_attempts.to_string(),
        |c, v| {
            c.reconnect_max_attempts = parse_int("ReconnectMaxAttempts", v, 0, 1_000_000)? as u32;
            Ok(())
        },
    )),
    ext(rw(
        "ReconnectStableTime",
        Int,
        Both,
        "10000",
        |c| c.reconnect_stable_ms.to_string(),
        |c, v| {
            c.reconnect_stable_ms = parse_int("ReconnectStableTime", v, 0, 86_400_000)? as u64;
            Ok(())
        },
    )),
    ext(rw(
        "MaxIncomingPacketSize",
        Int,
        Both,
        "67108864",
        |c| c.max_incoming_packet.to_string(),
        |c, v| {
            c.max_incoming_packet = parse_int("MaxIncomingPacketSize", v, 64, 268_435_460)? as u32;
            Ok(())
        },
    )),
    ext(rw(
        "MaxInflight",
        Int,
        Both,
        "0",
        |c| c.max_inflight.to_string(),
        |c, v| {
            c.max_inflight = parse_int("MaxInflight", v, 0, 65_535)? as u16;
            Ok(())
        },
    )),
    ext(rw(
        "MaxOutgoingMessages",
        Int,
        Both,
        "1000",
        |c| c.max_outgoing.to_string(),
        |c, v| {
            c.max_outgoing = parse_int("MaxOutgoingMessages", v, 0, 65_000)? as u16;
            Ok(())
        },
    )),
    ext(rw(
        "SessionAutoSave",
        Int,
        Both,
        "0",
        |c| c.session_auto_save.to_string(),
        |c, v| {
            c.session_auto_save = parse_int("SessionAutoSave", v, 0, 2)? as u8;
            Ok(())
        },
    )),
    ext(ro("SessionPublishCount", Int, Both, "0", |c| {
        c.session_publish_count.to_string()
    })),
    ext(rw(
        "OfflineQueueLimit",
        Int,
        Both,
        "1000",
        |c| c.offline_queue_limit.to_string(),
        |c, v| {
            c.offline_queue_limit = parse_int("OfflineQueueLimit", v, 0, 1_000_000)? as usize;
            Ok(())
        },
    )),
    ext(rw(
        "ManualAck",
        Bool,
        Both,
        "False",
        |c| fmt_bool(c.manual_ack),
        |c, v| {
            c.manual_ack = parse_bool("ManualAck", v)?;
            Ok(())
        },
    )),
];

const fn ext(mut s: Setting) -> Setting {
    s.group = "ferromq";
    s
}

/// Every setting: the `mqtt` and `ferromq` groups, then `tcp`, `ssl` and `socket`
/// (config/transport.rs), each group in the order of the documented inventory.
pub static SETTINGS: std::sync::LazyLock<Vec<Setting>> = std::sync::LazyLock::new(|| {
    let mut all: Vec<Setting> = MQTT_SETTINGS.to_vec();
    all.extend(transport::settings());
    all
});

/// Every setting, for faces and tests that walk the registry.
pub fn settings() -> &'static [Setting] {
    &SETTINGS
}

/// Which element an indexed request addresses: None for the whole array.
type Index = Option<usize>;

/// Splits `Name[3]` into its setting and index; `Name` and `Name[i]` address the whole
/// array of an indexed setting.
fn lookup(request: &str) -> Result<(&'static Setting, Index)> {
    let (base, index) = match request.strip_suffix(']').and_then(|r| r.split_once('[')) {
        Some((base, index)) => (base.trim_end(), Some(index.trim())),
        None => (request, None),
    };
    let s = SETTINGS
        .iter()
        .find(|s| s.base_name().eq_ignore_ascii_case(base))
        .ok_or_else(|| {
            Error::new(
                code::INVALID_ARGUMENT,
                format!("unknown config setting \"{request}\""),
            )
        })?;
    match (s.indexed(), index) {
        (_, None) => Ok((s, None)),
        (true, Some(i)) if i.eq_ignore_ascii_case("i") => Ok((s, None)),
        (true, Some(i)) => match i.parse::<usize>() {
            Ok(n) => Ok((s, Some(n))),
            Err(_) => Err(Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "index \"{i}\" of config setting \"{}\" is not a number: use {}[0], [1], ...",
                    s.name,
                    s.base_name()
                ),
            )),
        },
        (false, Some(_)) => Err(Error::new(
            code::INVALID_ARGUMENT,
            format!(
                "config setting \"{}\" takes no index (got \"{request}\")",
                s.name
            ),
        )),
    }
}

/// Find a setting by name; names are matched without regard to case, and an indexed
/// setting is found by its name with or without an index.
pub fn find(name: &str) -> Result<&'static Setting> {
    lookup(name.trim()).map(|(s, _)| s)
}

/// `Name` reads, `Name=Value` writes (returning "").
pub(crate) fn apply(values: &mut ConfigValues, request: &str) -> Result<String> {
    let (name, value) = match request.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (request, None),
    };
    let (s, index) = lookup(name.trim())?;
    let Some(value) = value else {
        return read(s, values, index);
    };
    if s.read_only {
        return Err(Error::new(
            code::INVALID_ARGUMENT,
            format!(
                "config setting \"{}\" is read-only (cannot set it to \"{value}\")",
                s.name
            ),
        ));
    }
    match &s.access {
        Access::Value { set: Some(set), .. } => set(values, value)?,
        Access::Value { set: None, .. } => unreachable!("read_only is set with set: None"),
        Access::Indexed {
            half,
            pairs_mut: Some(pairs_mut),
            count,
            ..
        } => {
            let pairs = pairs_mut(values);
            match index {
                Some(i) => {
                    let len = pairs.len();
                    let pair = pairs
                        .get_mut(i)
                        .ok_or_else(|| out_of_range(s, i, len, count))?;
                    *half_mut(pair, *half) = value.to_string();
                }
                None => {
                    let all = json::parse_string_array(s.name, value)?;
                    if all.len() != pairs.len() {
                        return Err(invalid(
                            s.name,
                            value,
                            &format!(
                                "expected a JSON array of {} strings, as {count} is {}",
                                pairs.len(),
                                pairs.len()
                            ),
                        ));
                    }
                    for (pair, v) in pairs.iter_mut().zip(all) {
                        *half_mut(pair, *half) = v;
                    }
                }
            }
        }
        Access::Indexed {
            pairs_mut: None, ..
        } => {
            unreachable!("read_only is set with pairs_mut: None")
        }
    }
    Ok(String::new())
}

fn read(s: &Setting, values: &ConfigValues, index: Index) -> Result<String> {
    match &s.access {
        Access::Value { get, .. } => Ok(get(values)),
        Access::Indexed {
            half, pairs, count, ..
        } => {
            let pairs = pairs(values);
            let pick = |p: &(String, String)| match half {
                Half::Name => p.0.clone(),
                Half::Value => p.1.clone(),
            };
            match index {
                Some(i) => pairs
                    .get(i)
                    .map(pick)
                    .ok_or_else(|| out_of_range(s, i, pairs.len(), count)),
                None => Ok(
                    serde_json::Value::from(pairs.iter().map(pick).collect::<Vec<_>>()).to_string(),
                ),
            }
        }
    }
}

fn half_mut(pair: &mut (String, String), half: Half) -> &mut String {
    match half {
        Half::Name => &mut pair.0,
        Half::Value => &mut pair.1,
    }
}

fn out_of_range(s: &Setting, i: usize, len: usize, count: &str) -> Error {
    let valid = match len {
        0 => "no index is valid".to_string(),
        1 => "use index 0".to_string(),
        n => format!("use 0..={}", n - 1),
    };
    Error::new(
        code::INVALID_ARGUMENT,
        format!(
            "index {i} of config setting \"{}\" is out of range: {count} is {len}, so {valid}",
            s.base_name()
        ),
    )
}

/// A boolean as the settings show it: "True" or "False".
pub fn fmt_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_string()
}

/// True/False, 1/0 and Yes/No, in any case.
pub(crate) fn bool_word(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// True/False, 1/0 and Yes/No, in any case.
pub fn parse_bool(name: &str, v: &str) -> Result<bool> {
    bool_word(v).ok_or_else(|| invalid(name, v, "expected True/False, 1/0 or Yes/No"))
}

/// Reads `v` as an integer in `min..=max` for setting `name` (surrounding spaces allowed).
/// Fails with INVALID_ARGUMENT naming the setting and the value otherwise.
pub fn parse_int(name: &str, v: &str, min: i64, max: i64) -> Result<i64> {
    let n: i64 = v
        .trim()
        .parse()
        .map_err(|_| invalid(name, v, &format!("expected an integer {min}..={max}")))?;
    if n < min || n > max {
        return Err(invalid(name, v, &format!("expected {min}..={max}")));
    }
    Ok(n)
}

/// An integer in `min..=max`, or -1 / "" for "not set".
fn parse_resettable(name: &str, v: &str, min: i64, max: i64) -> Result<Option<i64>> {
    match v.trim() {
        "" | "-1" => Ok(None),
        _ => parse_int(name, v, min, max)
            .map(Some)
            .map_err(|_| invalid(name, v, &format!("expected {min}..={max}, or -1 to unset"))),
    }
}

/// A DISCONNECT reason code, in decimal or as 0x.. (the form the MQTT specification and the
/// reference list them in). Codes a DISCONNECT may not carry are refused here rather than
/// when Disconnect tries to encode them.
fn parse_disconnect_reason(v: &str) -> Result<u8> {
    const NAME: &str = "DisconnectReasonCode";
    let t = v.trim();
    let n = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16)
            .map_err(|_| invalid(NAME, v, "expected an integer 0..=255"))?,
        None => parse_int(NAME, v, 0, 255)?,
    };
    match u8::try_from(n) {
        Ok(c) if reason::is_valid_reason(14, c) => Ok(c),
        Ok(_) => Err(invalid(
            NAME,
            v,
            "not a DISCONNECT reason code (e.g. 0 normal, 4 with will message, 128 unspecified \
             error; see the MQTT 5.0 specification, 3.14.2.1)",
        )),
        Err(_) => Err(invalid(NAME, v, "expected 0..=255")),
    }
}

fn fmt_list<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join(",")
}

/// A comma list ("" is the empty list).
fn parse_list<T>(v: &str, each: impl Fn(&str) -> Result<T>) -> Result<Vec<T>> {
    if v.trim().is_empty() {
        return Ok(Vec::new());
    }
    v.split(',').map(|part| each(part.trim())).collect()
}

/// A comma list of QoS values ("" clears it).
pub fn parse_qos_list(name: &str, v: &str) -> Result<Vec<u8>> {
    parse_list(v, |part| match part {
        "0" => Ok(0),
        "1" => Ok(1),
        "2" => Ok(2),
        other => Err(Error::new(
            code::INVALID_QOS,
            format!("{name} holds \"{other}\", which is not a QoS: use 0, 1 or 2"),
        )),
    })
}

/// Hex digits, two per byte, in either case; whitespace may separate bytes but not split
/// one (so "C0 00" and "C000" are the same two bytes, "C 000" is refused).
pub(crate) fn parse_hex(text: &str) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 2);
    for group in text.split_ascii_whitespace() {
        if group.len() % 2 != 0 {
            return Err(format!(
                "\"{group}\" has an odd number of hex digits (two per byte)"
            ));
        }
        for pair in group.as_bytes().chunks(2) {
            let digits = std::str::from_utf8(pair).unwrap_or("");
            let byte = u8::from_str_radix(digits, 16)
                .ok()
                .filter(|_| pair.iter().all(u8::is_ascii_hexdigit))
                .ok_or_else(|| {
                    format!("\"{}\" is not a hex byte", String::from_utf8_lossy(pair))
                })?;
            out.push(byte);
        }
    }
    Ok(out)
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn invalid(name: &str, value: &str, why: &str) -> Error {
    Error::new(
        code::INVALID_ARGUMENT,
        format!("invalid value \"{value}\" for config setting \"{name}\": {why}"),
    )
}
