//! Between the settings and the packets: the properties each outgoing packet carries, the
//! subscription options of a SUBSCRIBE, and what incoming packets leave in the settings.
//!
//! None of these look at the MQTT version. Under 3.1.1 the codec drops every property and
//! subscription option, so the same calls serve both versions; see the registry's
//! documentation for why 5.0-only settings are kept rather than refused under 3.1.1.

use super::super::props::ConfigValues;
use crate::codec::{ConnAck, Properties};
use crate::error::{code, Error, Result};

/// Properties of CONNECT: the ConnectProperties set, which includes ClientTopicAliasMax and
/// SessionExpInterval.
pub(crate) fn connect_properties(cfg: &ConfigValues) -> Properties {
    cfg.connect.clone()
}

/// Properties of the will message (WillProperties).
pub(crate) fn will_properties(cfg: &ConfigValues) -> Properties {
    cfg.will.clone()
}

/// Properties of an outgoing PUBLISH: OutgoingMessageProperties (which holds ResponseTopic
/// and TopicAlias), its `UserProperty` pairs, then the OutgoingUserPropName/Value pairs.
pub(crate) fn publish_properties(cfg: &ConfigValues) -> Properties {
    let mut p = cfg.outgoing.clone();
    p.user_properties
        .extend(cfg.outgoing_user_props.iter().cloned());
    p
}

/// Properties of our DISCONNECT (DisconnectProperties).
///
/// A non-zero SessionExpInterval is left out when ConnectProperties asks for none (absent
/// or 0): the server must treat that combination as a protocol error, and a disconnect
/// should not end in one.
pub(crate) fn disconnect_properties(cfg: &ConfigValues) -> Properties {
    let mut p = cfg.disconnect.clone();
    let connect_expiry = cfg.connect.session_expiry_interval.unwrap_or(0);
    if connect_expiry == 0 && p.session_expiry_interval.is_some_and(|v| v != 0) {
        p.session_expiry_interval = None;
    }
    p
}

/// Properties of SUBSCRIBE: the SubscriptionIdentifier, when one is set.
pub(crate) fn subscribe_properties(cfg: &ConfigValues) -> Properties {
    Properties {
        subscription_identifiers: cfg.subscription_identifier.into_iter().collect(),
        ..Properties::default()
    }
}

/// `(no_local, retain_as_published, retain_handling)` for each of `filters` topic filters,
/// from TopicNLArray, TopicRAPArray and TopicRHArray. Element i goes to filter i; a list
/// shorter than the filters lends its last element to the rest (so one value covers every
/// filter); an empty list gives the defaults (false, false, 0). A list longer than the
/// filters is refused, since some of its values would silently do nothing.
///
/// Under 3.1.1 these settings have no effect, so the component should not call this there
/// (it would refuse a long list that cannot matter).
pub(crate) fn subscribe_options(
    cfg: &ConfigValues,
    filters: usize,
) -> Result<Vec<(bool, bool, u8)>> {
    fn check<T>(name: &str, list: &[T], filters: usize) -> Result<()> {
        if list.len() > filters {
            return Err(Error::new(
                code::INVALID_ARGUMENT,
                format!(
                    "config setting \"{name}\" has {} values but only {filters} topic filter{} \
                     {} being subscribed to",
                    list.len(),
                    if filters == 1 { "" } else { "s" },
                    if filters == 1 { "is" } else { "are" },
                ),
            ));
        }
        Ok(())
    }
    fn pick<T: Copy>(list: &[T], i: usize, default: T) -> T {
        list.get(i).or(list.last()).copied().unwrap_or(default)
    }
    check("TopicNLArray", &cfg.topic_nl, filters)?;
    check("TopicRAPArray", &cfg.topic_rap, filters)?;
    check("TopicRHArray", &cfg.topic_rh, filters)?;
    Ok((0..filters)
        .map(|i| {
            (
                pick(&cfg.topic_nl, i, false),
                pick(&cfg.topic_rap, i, false),
                pick(&cfg.topic_rh, i, 0),
            )
        })
        .collect())
}

/// Records a CONNACK: ConnAckProperties (and ServerTopicAliasMax, read from them) and
/// SessionPresent. The properties replace those of any earlier connection; user properties
/// are kept but not shown, as the documented keys have none.
pub(crate) fn record_connack(cfg: &mut ConfigValues, connack: &ConnAck) {
    cfg.connack = connack.properties.clone();
    cfg.session_present = connack.session_present;
}

/// Records the user properties of the message just received (IncomingUserProp*).
pub(crate) fn record_incoming_message(cfg: &mut ConfigValues, props: &Properties) {
    cfg.incoming_user_props.clone_from(&props.user_properties);
}

/// A new connection starts: what the last server DISCONNECT left in DisconnectReasonCode
/// and DisconnectProperties must not be sent back by our next Disconnect.
pub(crate) fn forget_server_disconnect(cfg: &mut ConfigValues) {
    if cfg.disconnect_from_server {
        cfg.disconnect_reason = 0;
        cfg.disconnect = Properties::default();
        cfg.disconnect_from_server = false;
    }
}

/// Records a DISCONNECT from the server: DisconnectReasonCode and DisconnectProperties
/// (the documented keys only), replacing what the application had set to send.
pub(crate) fn record_server_disconnect(cfg: &mut ConfigValues, reason: u8, props: &Properties) {
    cfg.disconnect_reason = reason;
    cfg.disconnect_from_server = true;
    cfg.disconnect = Properties {
        session_expiry_interval: props.session_expiry_interval,
        reason_string: props.reason_string.clone(),
        ..Properties::default()
    };
}
