use super::*;
use crate::codec::{ConnAck, Properties};
use bytes::Bytes;

fn get(v: &mut ConfigValues, name: &str) -> String {
    apply(v, name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn set(v: &mut ConfigValues, request: &str) {
    assert_eq!(
        apply(v, request).unwrap_or_else(|e| panic!("{request}: {e}")),
        ""
    );
}

fn fail(v: &mut ConfigValues, request: &str) -> Error {
    match apply(v, request) {
        Ok(r) => panic!("{request} was accepted (answered {r:?})"),
        Err(e) => e,
    }
}

#[test]
fn every_setting_reads_its_default_and_takes_it_back() {
    let mut v = ConfigValues::default();
    for s in SETTINGS.iter() {
        assert_eq!(get(&mut v, s.name), s.default, "{}", s.name);
        assert_eq!(get(&mut v, &s.name.to_lowercase()), s.default, "{}", s.name);
        let e = apply(&mut v, &format!("{}={}", s.name, s.default));
        if s.read_only {
            let e = e.unwrap_err();
            assert_eq!(e.code, code::INVALID_ARGUMENT);
            assert!(
                e.message.contains(s.name) && e.message.contains("read-only"),
                "{e}"
            );
        } else {
            assert_eq!(e.unwrap(), "", "{}", s.name);
            assert_eq!(get(&mut v, s.name), s.default, "{}", s.name);
        }
    }
    assert_eq!(SETTINGS.iter().filter(|s| s.group == "mqtt").count(), 35);
    for (group, n) in [("tcp", 18), ("ssl", 28), ("socket", 4)] {
        assert_eq!(
            SETTINGS.iter().filter(|s| s.group == group).count(),
            n,
            "{group}"
        );
    }
    assert!(std::ptr::eq(settings(), &SETTINGS[..]));
}

#[test]
fn table_entries_are_consistent() {
    for s in SETTINGS.iter() {
        let writable = match &s.access {
            Access::Value { set, .. } => set.is_some(),
            Access::Indexed { pairs_mut, .. } => pairs_mut.is_some(),
        };
        assert_eq!(s.read_only, !writable, "{}", s.name);
        assert_eq!(s.indexed(), s.name.ends_with("[i]"), "{}", s.name);
        assert!(find(s.name).is_ok_and(|f| std::ptr::eq(f, s)));
        let same_base = SETTINGS
            .iter()
            .filter(|o| o.base_name().eq_ignore_ascii_case(s.base_name()))
            .count();
        assert_eq!(same_base, 1, "{} is listed twice", s.name);
    }
}

#[test]
fn booleans_accept_every_documented_spelling_and_read_canonically() {
    let mut v = ConfigValues::default();
    for (text, want) in [
        ("True", "True"),
        ("false", "False"),
        ("1", "True"),
        ("0", "False"),
        ("YES", "True"),
        ("no", "False"),
        (" tRuE ", "True"),
    ] {
        for name in ["Retain", "AutoReconnect", "WillRetain", "Duplicate"] {
            set(&mut v, &format!("{name}={text}"));
            assert_eq!(get(&mut v, name), want, "{name}={text}");
        }
    }
    let e = fail(&mut v, "Retain=maybe");
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(e.message.contains("maybe") && e.message.contains("Retain"));
}

#[test]
fn names_are_case_insensitive_and_unknown_names_are_named() {
    let mut v = ConfigValues::default();
    assert_eq!(get(&mut v, "topicdelimiter"), ",");
    assert_eq!(get(&mut v, "  LOGLEVEL "), "1");
    let e = fail(&mut v, "NoSuchSetting=1");
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(e.message.contains("NoSuchSetting"));
    let e = fail(&mut v, "Retain[0]");
    assert!(e.message.contains("takes no index"), "{e}");
}

#[test]
fn qos_lists_are_checked() {
    let mut v = ConfigValues::default();
    set(&mut v, "TopicQOSArray=1, 2,0");
    assert_eq!(v.topic_qos_array, vec![1, 2, 0]);
    assert_eq!(get(&mut v, "TopicQOSArray"), "1,2,0");
    assert_eq!(fail(&mut v, "TopicQOSArray=1,3").code, code::INVALID_QOS);
    set(&mut v, "TopicQOSArray=");
    assert!(v.topic_qos_array.is_empty());
}

#[test]
fn integers_are_range_checked() {
    let mut v = ConfigValues::default();
    let e = fail(&mut v, "LogLevel=4");
    assert!(
        e.message.contains("0..=3") && e.message.contains("\"4\""),
        "{e}"
    );
    assert!(fail(&mut v, "LogLevel=x").message.contains("0..=3"));
    set(&mut v, "LogLevel=3");
    assert_eq!(fail(&mut v, "WillQOS=3").code, code::INVALID_QOS);
    for bad in [
        "ClientTopicAliasMax=65536",
        "ClientTopicAliasMax=-1",
        "SessionExpInterval=4294967296",
        "SessionExpInterval=-1",
        "RepublishInterval=-1",
        "ConnectionTimeout=-1",
        "OutgoingUserPropCount=-1",
        "OutgoingUserPropCount=65536",
        "SubscriptionIdentifier=0",
        "SubscriptionIdentifier=268435456",
        "TopicAlias=0",
        "TopicAlias=65536",
        "TopicAlias=x",
    ] {
        let e = fail(&mut v, bad);
        let (name, value) = bad.split_once('=').unwrap();
        assert_eq!(e.code, code::INVALID_ARGUMENT, "{bad}");
        assert!(
            e.message.contains(name) && e.message.contains(&format!("\"{value}\"")),
            "{bad}: {e}"
        );
        assert!(e.message.contains("..="), "{bad}: {e}");
    }
    set(&mut v, "SessionExpInterval=4294967295");
    assert_eq!(get(&mut v, "SessionExpInterval"), "4294967295");
    set(&mut v, "ClientTopicAliasMax=65535");
    assert_eq!(get(&mut v, "ClientTopicAliasMax"), "65535");
}

#[test]
fn resettable_integers_read_minus_one_when_unset() {
    let mut v = ConfigValues::default();
    set(&mut v, "SubscriptionIdentifier=268435455");
    assert_eq!(v.subscription_identifier, Some(268_435_455));
    assert_eq!(get(&mut v, "SubscriptionIdentifier"), "268435455");
    set(&mut v, "SubscriptionIdentifier=-1");
    assert_eq!(v.subscription_identifier, None);
    assert_eq!(get(&mut v, "SubscriptionIdentifier"), "-1");
    set(&mut v, "TopicAlias=7");
    assert_eq!(get(&mut v, "TopicAlias"), "7");
    set(&mut v, "TopicAlias=");
    assert_eq!(get(&mut v, "TopicAlias"), "-1");
}

#[test]
fn disconnect_reason_codes_are_those_a_disconnect_may_carry() {
    let mut v = ConfigValues::default();
    set(&mut v, "DisconnectReasonCode=4");
    assert_eq!(v.disconnect_reason, 4);
    set(&mut v, "DisconnectReasonCode=0x80");
    assert_eq!(get(&mut v, "DisconnectReasonCode"), "128");
    for bad in ["1", "256", "-1", "0x10", "x"] {
        let e = fail(&mut v, &format!("DisconnectReasonCode={bad}"));
        assert_eq!(e.code, code::INVALID_ARGUMENT);
        assert!(e.message.contains(&format!("\"{bad}\"")), "{e}");
    }
    assert_eq!(v.disconnect_reason, 0x80);
}

#[test]
fn connect_properties_merge_reset_and_share_their_fields() {
    let mut v = ConfigValues::default();
    set(
        &mut v,
        r#"ConnectProperties={ "ClientTopicAliasMax":"20", "MaximumPacketSize":"128000",
            "ReceiveMaximum":"12", "RequestResponseInformation":"false",
            "RequestProblemInformation":"true", "SessionExpInterval":"1234" }"#,
    );
    assert_eq!(
        get(&mut v, "ConnectProperties"),
        r#"{"ClientTopicAliasMax":20,"MaximumPacketSize":128000,"ReceiveMaximum":12,"RequestProblemInformation":true,"RequestResponseInformation":false,"SessionExpInterval":1234}"#
    );
    assert_eq!(get(&mut v, "ClientTopicAliasMax"), "20");
    assert_eq!(get(&mut v, "SessionExpInterval"), "1234");
    let p = connect_properties(&v);
    assert_eq!(p.topic_alias_maximum, Some(20));
    assert_eq!(p.maximum_packet_size, Some(128_000));
    assert_eq!(p.receive_maximum, Some(12));
    assert_eq!(p.request_problem_information, Some(1));
    assert_eq!(p.request_response_information, Some(0));
    assert_eq!(p.session_expiry_interval, Some(1234));

    // Merging: the keys given change, the others stay; "" / -1 / null remove.
    set(
        &mut v,
        r#"ConnectProperties={"receivemaximum":5,"MaximumPacketSize":-1,"SessionExpInterval":"","RequestProblemInformation":null}"#,
    );
    assert_eq!(
        get(&mut v, "ConnectProperties"),
        r#"{"ClientTopicAliasMax":20,"ReceiveMaximum":5,"RequestResponseInformation":false}"#
    );
    assert_eq!(get(&mut v, "SessionExpInterval"), "0");
    set(&mut v, "SessionExpInterval=60");
    set(&mut v, "ClientTopicAliasMax=3");
    assert_eq!(
        get(&mut v, "ConnectProperties"),
        r#"{"ClientTopicAliasMax":3,"ReceiveMaximum":5,"RequestResponseInformation":false,"SessionExpInterval":60}"#
    );
    set(&mut v, "ConnectProperties=");
    assert_eq!(get(&mut v, "ConnectProperties"), "{}");
    assert_eq!(connect_properties(&v), Properties::default());
    assert_eq!(get(&mut v, "ClientTopicAliasMax"), "0");
}

#[test]
fn json_settings_name_what_is_wrong() {
    let mut v = ConfigValues::default();
    set(&mut v, r#"ConnectProperties={"ReceiveMaximum":5}"#);
    let cases = [
        (r#"ConnectProperties={"Bogus":1}"#, "Bogus"),
        (
            r#"ConnectProperties={"ReceiveMaximum":0}"#,
            "ReceiveMaximum",
        ),
        (r#"ConnectProperties={"ReceiveMaximum":"70000"}"#, "70000"),
        (
            r#"ConnectProperties={"MaximumPacketSize":0}"#,
            "MaximumPacketSize",
        ),
        (
            r#"ConnectProperties={"SessionExpInterval":4294967296}"#,
            "4294967296",
        ),
        (
            r#"ConnectProperties={"RequestProblemInformation":"maybe"}"#,
            "maybe",
        ),
        (r#"ConnectProperties={"ReceiveMaximum":5"#, "JSON object"),
        ("ConnectProperties=not json", "not json"),
        (
            r#"WillProperties={"PayloadFormatIndicator":2}"#,
            "PayloadFormatIndicator",
        ),
        (r#"WillProperties={"CorrelationData":"abc"}"#, "odd number"),
        (
            r#"WillProperties={"CorrelationData":"zz"}"#,
            "\"zz\" is not a hex byte",
        ),
        (r#"WillProperties={"TopicAlias":1}"#, "TopicAlias"),
        (r#"WillProperties={"ContentType":5}"#, "JSON string"),
        (
            r#"OutgoingMessageProperties={"TopicAlias":0}"#,
            "TopicAlias",
        ),
        (
            r#"OutgoingMessageProperties={"UserProperty":"nocolon"}"#,
            "nocolon",
        ),
        (
            r#"OutgoingMessageProperties={"UserProperty":[1]}"#,
            "name:value",
        ),
        (
            r#"DisconnectProperties={"ReceiveMaximum":1}"#,
            "ReceiveMaximum",
        ),
    ];
    for (request, needle) in cases {
        let e = fail(&mut v, request);
        let setting = request.split_once('=').unwrap().0;
        assert_eq!(e.code, code::INVALID_ARGUMENT, "{request}");
        assert!(
            e.message.contains(setting) && e.message.contains(needle),
            "{request}: {e}"
        );
    }
    // Nothing of a refused write sticks.
    assert_eq!(get(&mut v, "ConnectProperties"), r#"{"ReceiveMaximum":5}"#);
    assert_eq!(get(&mut v, "WillProperties"), "{}");
    let e = fail(&mut v, r#"ConnectProperties={"Bogus":1}"#);
    assert!(
        e.message.contains("SessionExpInterval"),
        "lists the keys: {e}"
    );
}

#[test]
fn outgoing_message_properties_keep_every_user_property() {
    let mut v = ConfigValues::default();
    set(
        &mut v,
        r#"OutgoingMessageProperties={
            "ContentType":"plain/text", "CorrelationData":"00 01 fe FF",
            "MessageExpInterval":"1000", "PayloadFormatIndicator":"1",
            "ResponseTopic": "ResponseTopic", "TopicAlias":"1",
            "UserProperty":"prp1:val1", "UserProperty":"prp2:val:2" }"#,
    );
    let p = publish_properties(&v);
    assert_eq!(p.content_type.as_deref(), Some("plain/text"));
    assert_eq!(
        p.correlation_data,
        Some(Bytes::from_static(&[0, 1, 0xfe, 0xff]))
    );
    assert_eq!(p.message_expiry_interval, Some(1000));
    assert_eq!(p.payload_format_indicator, Some(1));
    assert_eq!(p.response_topic.as_deref(), Some("ResponseTopic"));
    assert_eq!(p.topic_alias, Some(1));
    assert_eq!(
        p.user_properties,
        [
            ("prp1".into(), "val1".into()),
            ("prp2".into(), "val:2".into())
        ]
    );
    let text = get(&mut v, "OutgoingMessageProperties");
    assert_eq!(
        text,
        r#"{"ContentType":"plain/text","CorrelationData":"0001feff","MessageExpInterval":1000,"PayloadFormatIndicator":1,"ResponseTopic":"ResponseTopic","TopicAlias":1,"UserProperty":"prp1:val1","UserProperty":"prp2:val:2"}"#
    );
    // What is read can be written back to a fresh client and means the same.
    let mut w = ConfigValues::default();
    set(&mut w, &format!("OutgoingMessageProperties={text}"));
    assert_eq!(publish_properties(&w), p);

    // The same values through their own settings.
    assert_eq!(get(&mut v, "ResponseTopic"), "ResponseTopic");
    assert_eq!(get(&mut v, "TopicAlias"), "1");
    set(&mut v, "ResponseTopic=");
    set(&mut v, "TopicAlias=-1");
    // A write with UserProperty members replaces the pairs as a whole.
    set(
        &mut v,
        r#"OutgoingMessageProperties={"UserProperty":["a:1","b:"],"CorrelationData":""}"#,
    );
    assert_eq!(
        get(&mut v, "OutgoingMessageProperties"),
        r#"{"ContentType":"plain/text","MessageExpInterval":1000,"PayloadFormatIndicator":1,"UserProperty":"a:1","UserProperty":"b:"}"#
    );
    set(&mut v, r#"OutgoingMessageProperties={"UserProperty":""}"#);
    assert!(v.outgoing.user_properties.is_empty());
    set(&mut v, "ResponseTopic=reply/here");
    assert_eq!(
        publish_properties(&v).response_topic.as_deref(),
        Some("reply/here")
    );
    set(&mut v, "OutgoingMessageProperties=");
    assert_eq!(get(&mut v, "ResponseTopic"), "");
    assert_eq!(publish_properties(&v), Properties::default());
}

#[test]
fn will_properties_take_both_spellings_of_the_response_topic() {
    let mut v = ConfigValues::default();
    set(&mut v, r#"WillProperties={"ReponseTopic":"a"}"#);
    assert_eq!(will_properties(&v).response_topic.as_deref(), Some("a"));
    set(
        &mut v,
        r#"WillProperties={"ResponseTopic":"b","WillDelayInterval":"10","CorrelationData":"00000000"}"#,
    );
    let p = will_properties(&v);
    assert_eq!(p.response_topic.as_deref(), Some("b"));
    assert_eq!(p.will_delay_interval, Some(10));
    assert_eq!(p.correlation_data, Some(Bytes::from_static(&[0; 4])));
    assert_eq!(
        get(&mut v, "WillProperties"),
        r#"{"CorrelationData":"00000000","ResponseTopic":"b","WillDelayInterval":10}"#
    );
}

#[test]
fn outgoing_user_properties_are_indexed_by_the_count() {
    let mut v = ConfigValues::default();
    let e = fail(&mut v, "OutgoingUserPropName[0]=x");
    assert!(
        e.message.contains("index 0")
            && e.message.contains("OutgoingUserPropCount is 0")
            && e.message.contains("OutgoingUserPropName"),
        "{e}"
    );
    set(&mut v, "OutgoingUserPropCount=2");
    set(&mut v, "OutgoingUserPropName[0]=prp1");
    set(&mut v, "outgoinguserpropvalue[0]=val1");
    set(&mut v, "OutgoingUserPropName[1]=prp2");
    assert_eq!(get(&mut v, "OutgoingUserPropName[0]"), "prp1");
    assert_eq!(get(&mut v, "OutgoingUserPropValue[ 0 ]"), "val1");
    assert_eq!(get(&mut v, "OutgoingUserPropValue[1]"), "");
    let e = fail(&mut v, "OutgoingUserPropValue[2]");
    assert!(
        e.message.contains("index 2") && e.message.contains("is 2") && e.message.contains("0..=1"),
        "{e}"
    );
    let e = fail(&mut v, "OutgoingUserPropValue[x]=1");
    assert!(e.message.contains("\"x\""), "{e}");
    // The whole array at once, as JSON.
    assert_eq!(get(&mut v, "OutgoingUserPropName"), r#"["prp1","prp2"]"#);
    assert_eq!(get(&mut v, "OutgoingUserPropName[i]"), r#"["prp1","prp2"]"#);
    set(&mut v, r#"OutgoingUserPropValue=["v1","v\"2"]"#);
    assert_eq!(get(&mut v, "OutgoingUserPropValue[1]"), "v\"2");
    let e = fail(&mut v, r#"OutgoingUserPropValue=["only one"]"#);
    assert!(e.message.contains("OutgoingUserPropCount is 2"), "{e}");
    assert!(fail(&mut v, "OutgoingUserPropValue=[1,2]")
        .message
        .contains("not a JSON string"));
    // Resizing keeps what is there.
    set(&mut v, "OutgoingUserPropCount=3");
    assert_eq!(
        v.outgoing_user_props,
        [
            ("prp1".into(), "v1".into()),
            ("prp2".into(), "v\"2".into()),
            (String::new(), String::new())
        ]
    );
    set(&mut v, "OutgoingUserPropCount=1");
    set(
        &mut v,
        r#"OutgoingMessageProperties={"UserProperty":"j:1"}"#,
    );
    // JSON pairs first, then the indexed ones.
    assert_eq!(
        publish_properties(&v).user_properties,
        [("j".into(), "1".into()), ("prp1".into(), "v1".into())]
    );
}

#[test]
fn incoming_user_properties_come_from_the_last_message() {
    let mut v = ConfigValues::default();
    let props = Properties {
        user_properties: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
        ..Properties::default()
    };
    record_incoming_message(&mut v, &props);
    assert_eq!(get(&mut v, "IncomingUserPropCount"), "2");
    assert_eq!(get(&mut v, "IncomingUserPropName[1]"), "a");
    assert_eq!(get(&mut v, "IncomingUserPropValue[1]"), "2");
    assert_eq!(get(&mut v, "IncomingUserPropValue"), r#"["1","2"]"#);
    let e = fail(&mut v, "IncomingUserPropName[0]=x");
    assert!(
        e.message.contains("read-only") && e.message.contains("IncomingUserPropName"),
        "{e}"
    );
    assert!(fail(&mut v, "IncomingUserPropCount=1")
        .message
        .contains("read-only"));
    let e = fail(&mut v, "IncomingUserPropName[2]");
    assert!(e.message.contains("IncomingUserPropCount is 2"), "{e}");
    record_incoming_message(&mut v, &Properties::default());
    assert_eq!(get(&mut v, "IncomingUserPropCount"), "0");
    assert!(fail(&mut v, "IncomingUserPropName[0]")
        .message
        .contains("no index is valid"));
}

#[test]
fn connack_fills_its_settings() {
    let mut v = ConfigValues::default();
    let connack = ConnAck {
        session_present: true,
        code: 0,
        properties: Properties {
            assigned_client_identifier: Some("auto-1".into()),
            maximum_qos: Some(1),
            retain_available: Some(0),
            server_keep_alive: Some(30),
            topic_alias_maximum: Some(10),
            wildcard_subscription_available: Some(1),
            user_properties: vec![("x".into(), "y".into())],
            ..Properties::default()
        },
    };
    record_connack(&mut v, &connack);
    assert_eq!(get(&mut v, "SessionPresent"), "True");
    assert_eq!(get(&mut v, "ServerTopicAliasMax"), "10");
    assert_eq!(
        get(&mut v, "ConnAckProperties"),
        r#"{"AssignedClientIdentifier":"auto-1","MaximumQoS":1,"RetainAvailable":false,"ServerKeepAlive":30,"ServerTopicAliasMax":10,"WildcardSubscriptionAvaiable":true}"#
    );
    let e = fail(&mut v, "ConnAckProperties={}");
    assert!(e.message.contains("ConnAckProperties") && e.message.contains("read-only"));
    let e = fail(&mut v, "ServerTopicAliasMax=1");
    assert!(e.message.contains("ServerTopicAliasMax") && e.message.contains("read-only"));

    // A later connection's CONNACK replaces everything.
    record_connack(
        &mut v,
        &ConnAck {
            session_present: false,
            code: 0,
            properties: Properties::default(),
        },
    );
    assert_eq!(get(&mut v, "ConnAckProperties"), "{}");
    assert_eq!(get(&mut v, "ServerTopicAliasMax"), "0");
    assert_eq!(get(&mut v, "SessionPresent"), "False");
}

#[test]
fn a_server_disconnect_fills_its_settings() {
    let mut v = ConfigValues::default();
    set(&mut v, r#"DisconnectProperties={"ReasonString":"bye"}"#);
    record_server_disconnect(
        &mut v,
        0x8B,
        &Properties {
            reason_string: Some("shutting down".into()),
            server_reference: Some("elsewhere".into()),
            ..Properties::default()
        },
    );
    assert_eq!(get(&mut v, "DisconnectReasonCode"), "139");
    assert_eq!(
        get(&mut v, "DisconnectProperties"),
        r#"{"ReasonString":"shutting down"}"#
    );
}

#[test]
fn disconnect_properties_leave_out_an_expiry_the_connect_forbids() {
    let mut v = ConfigValues::default();
    set(
        &mut v,
        r#"DisconnectProperties={"SessionExpInterval":60,"ReasonString":"done"}"#,
    );
    let p = disconnect_properties(&v);
    assert_eq!(p.session_expiry_interval, None);
    assert_eq!(p.reason_string.as_deref(), Some("done"));
    set(&mut v, "SessionExpInterval=10");
    assert_eq!(disconnect_properties(&v).session_expiry_interval, Some(60));
    set(&mut v, "SessionExpInterval=0");
    set(&mut v, r#"DisconnectProperties={"SessionExpInterval":0}"#);
    assert_eq!(disconnect_properties(&v).session_expiry_interval, Some(0));
}

#[test]
fn subscribe_properties_carry_the_subscription_identifier() {
    let mut v = ConfigValues::default();
    assert_eq!(subscribe_properties(&v), Properties::default());
    set(&mut v, "SubscriptionIdentifier=42");
    assert_eq!(subscribe_properties(&v).subscription_identifiers, [42]);
}

#[test]
fn subscription_option_lists_parse_and_spread_over_the_filters() {
    let mut v = ConfigValues::default();
    assert_eq!(
        subscribe_options(&v, 2).unwrap(),
        [(false, false, 0), (false, false, 0)]
    );
    assert!(subscribe_options(&v, 0).unwrap().is_empty());
    set(&mut v, "TopicNLArray=true, No,1");
    assert_eq!(get(&mut v, "TopicNLArray"), "True,False,True");
    set(&mut v, "TopicRAPArray=yes");
    set(&mut v, "TopicRHArray=2,1");
    assert_eq!(get(&mut v, "TopicRHArray"), "2,1");
    assert_eq!(
        subscribe_options(&v, 4).unwrap(),
        [
            (true, true, 2),
            (false, true, 1),
            (true, true, 1),
            (true, true, 1)
        ]
    );
    let e = subscribe_options(&v, 2).unwrap_err();
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(
        e.message.contains("TopicNLArray") && e.message.contains("3 values"),
        "{e}"
    );
    let e = fail(&mut v, "TopicRHArray=0,3");
    assert_eq!(e.code, code::INVALID_ARGUMENT);
    assert!(
        e.message.contains("TopicRHArray") && e.message.contains("\"3\""),
        "{e}"
    );
    let e = fail(&mut v, "TopicNLArray=true,perhaps");
    assert!(
        e.message.contains("TopicNLArray") && e.message.contains("perhaps"),
        "{e}"
    );
    assert_eq!(get(&mut v, "TopicNLArray"), "True,False,True");
    set(&mut v, "TopicNLArray=");
    set(&mut v, "TopicRHArray=2");
    assert_eq!(subscribe_options(&v, 1).unwrap(), [(false, true, 2)]);
}

#[test]
fn custom_packets_are_hex_and_read_back_empty() {
    let mut v = ConfigValues::default();
    set(&mut v, "SendCustomPacket=c0 00");
    assert_eq!(v.custom_packet.take(), Some(vec![0xC0, 0x00]));
    set(&mut v, "SendCustomPacket=E000");
    assert_eq!(v.custom_packet.as_deref(), Some(&[0xE0, 0x00][..]));
    assert_eq!(get(&mut v, "SendCustomPacket"), "");
    for bad in ["C0 0", "C 000", "GG", "c0-00"] {
        let e = fail(&mut v, &format!("SendCustomPacket={bad}"));
        assert_eq!(e.code, code::INVALID_ARGUMENT);
        assert!(
            e.message.contains("SendCustomPacket") && e.message.contains(bad),
            "{bad}: {e}"
        );
    }
    set(&mut v, "SendCustomPacket=");
    assert_eq!(v.custom_packet, None);
}

#[test]
fn hex_is_two_digits_per_byte() {
    assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
    assert_eq!(parse_hex(" 0aFf\t10 ").unwrap(), [0x0a, 0xff, 0x10]);
    assert!(parse_hex("+1").is_err());
    assert!(parse_hex("é1").is_err());
    assert_eq!(to_hex(&[0, 0xab]), "00ab");
}

#[test]
fn plain_strings_are_kept_as_given() {
    let mut v = ConfigValues::default();
    set(&mut v, "SessionStateFile=/tmp/a=b.state");
    assert_eq!(get(&mut v, "SessionStateFile"), "/tmp/a=b.state");
    set(&mut v, "TopicDelimiter= | ");
    assert_eq!(get(&mut v, "TopicDelimiter"), " | ");
    assert!(fail(&mut v, "TopicDelimiter=")
        .message
        .contains("TopicDelimiter"));
}
