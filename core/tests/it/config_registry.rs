//! The config registry through the public `Mqtt::config`: every documented setting of the
//! `mqtt` group answers, with its documented default, and refuses bad values by name.
//! No broker is needed.

use ferromq::component::config::{find, settings, Applies, SettingType};
use ferromq::{code, Error, Mqtt};

/// The `config` rows of group `mqtt` in the shared inventory, copied here so that the test
/// does not depend on files outside the repository.
const DOCUMENTED: [&str; 35] = [
    "AutoReconnect",
    "ClientTopicAliasMax",
    "ConnAckProperties",
    "ConnectionTimeout",
    "ConnectProperties",
    "DisconnectProperties",
    "DisconnectReasonCode",
    "Duplicate",
    "IncomingUserPropCount",
    "IncomingUserPropName[i]",
    "IncomingUserPropValue[i]",
    "LogLevel",
    "OutgoingMessageProperties",
    "OutgoingPacketId",
    "OutgoingUserPropCount",
    "OutgoingUserPropName[i]",
    "OutgoingUserPropValue[i]",
    "RepublishInterval",
    "ResponseTopic",
    "Retain",
    "SendCustomPacket",
    "ServerTopicAliasMax",
    "SessionExpInterval",
    "SessionPresent",
    "SessionStateFile",
    "SubscriptionIdentifier",
    "TopicAlias",
    "TopicDelimiter",
    "TopicNLArray",
    "TopicQOSArray",
    "TopicRAPArray",
    "TopicRHArray",
    "WillProperties",
    "WillQOS",
    "WillRetain",
];

fn read(m: &Mqtt, name: &str) -> String {
    m.config(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn write(m: &Mqtt, request: &str) {
    assert_eq!(
        m.config(request)
            .unwrap_or_else(|e| panic!("{request}: {e}")),
        "",
        "{request}"
    );
}

fn refused(m: &Mqtt, request: &str) -> Error {
    match m.config(request) {
        Ok(r) => panic!("{request} was accepted (answered {r:?})"),
        Err(e) => e,
    }
}

/// A 10022 error whose message names every one of `needles`.
fn assert_names(e: &Error, needles: &[&str]) {
    assert_eq!(e.code, code::INVALID_ARGUMENT, "{e}");
    for n in needles {
        assert!(e.message.contains(n), "{e} does not name {n}");
    }
}

#[test]
fn every_documented_setting_is_registered_and_answers() {
    let m = Mqtt::new();
    let mqtt_group: Vec<&str> = settings()
        .iter()
        .filter(|s| s.group == "mqtt")
        .map(|s| s.name)
        .collect();
    assert_eq!(mqtt_group, DOCUMENTED);
    for name in DOCUMENTED {
        let s = find(name).unwrap();
        assert_eq!(read(&m, name), s.default, "{name}");
        assert_eq!(read(&m, &name.to_uppercase()), s.default, "{name}");
    }
    for (group, documented) in [
        ("tcp", &TCP[..]),
        ("ssl", &SSL[..]),
        ("socket", &SOCKET[..]),
    ] {
        let listed: Vec<&str> = settings()
            .iter()
            .filter(|s| s.group == group)
            .map(|s| s.name)
            .collect();
        assert_eq!(listed, documented, "group {group}");
        for name in documented {
            assert_eq!(read(&m, name), find(name).unwrap().default, "{name}");
        }
    }
    assert_eq!(read(&m, "TcpNoDelay"), "True");
}

/// The `tcp`, `ssl` and `socket` rows of the inventory, in its order.
const TCP: [&str; 18] = [
    "FirewallAutoDetect",
    "FirewallHost",
    "FirewallPassword",
    "FirewallPort",
    "FirewallType",
    "FirewallUser",
    "KeepAliveInterval",
    "KeepAliveTime",
    "Linger",
    "LingerTime",
    "LocalHost",
    "LocalPort",
    "MaxLineLength",
    "MaxTransferRate",
    "ProxyExceptionsList",
    "TCPKeepAlive",
    "TcpNoDelay",
    "UseIPv6",
];
const SSL: [&str; 28] = [
    "LogSSLPackets",
    "OpenSSLCADir",
    "OpenSSLCAFile",
    "OpenSSLCipherList",
    "OpenSSLPrngSeedData",
    "ReuseSSLSession",
    "SSLAcceptAnyServerCert",
    "SSLCACerts",
    "SSLCipherStrength",
    "SSLClientCACerts",
    "SSLEnabledCipherSuites",
    "SSLEnabledProtocols",
    "SSLEnableRenegotiation",
    "SSLIncludeCertChain",
    "SSLKeyLogFile",
    "SSLNegotiatedCipher",
    "SSLNegotiatedCipherStrength",
    "SSLNegotiatedCipherSuite",
    "SSLNegotiatedKeyExchange",
    "SSLNegotiatedKeyExchangeStrength",
    "SSLNegotiatedVersion",
    "SSLSecurityFlags",
    "SSLServerCACerts",
    "TLS12SignatureAlgorithms",
    "TLS12SupportedGroups",
    "TLS13KeyShareGroups",
    "TLS13SignatureAlgorithms",
    "TLS13SupportedGroups",
];
const SOCKET: [&str; 4] = [
    "AbsoluteTimeout",
    "FirewallData",
    "InBufferSize",
    "OutBufferSize",
];

#[test]
fn documented_defaults_types_and_versions() {
    use Applies::*;
    use SettingType::*;
    let m = Mqtt::new();
    for (name, kind, read_only, applies, default) in [
        ("AutoReconnect", Bool, false, Both, "False"),
        ("ClientTopicAliasMax", Int, false, V5Only, "0"),
        ("ConnAckProperties", String, true, V5Only, "{}"),
        ("ConnectionTimeout", Int, false, Both, "0"),
        ("ConnectProperties", String, false, V5Only, "{}"),
        ("DisconnectProperties", String, false, V5Only, "{}"),
        ("DisconnectReasonCode", Int, false, V5Only, "0"),
        ("Duplicate", Bool, false, Both, "False"),
        ("IncomingUserPropCount", Int, true, V5Only, "0"),
        ("IncomingUserPropName[i]", String, true, V5Only, "[]"),
        ("IncomingUserPropValue[i]", String, true, V5Only, "[]"),
        ("LogLevel", Int, false, Both, "1"),
        ("OutgoingMessageProperties", String, false, V5Only, "{}"),
        ("OutgoingPacketId", Int, true, Both, "0"),
        ("OutgoingUserPropCount", Int, false, V5Only, "0"),
        ("OutgoingUserPropName[i]", String, false, V5Only, "[]"),
        ("OutgoingUserPropValue[i]", String, false, V5Only, "[]"),
        ("RepublishInterval", Int, false, V311Only, "60"),
        ("ResponseTopic", String, false, V5Only, ""),
        ("Retain", Bool, false, Both, "False"),
        ("SendCustomPacket", String, false, Both, ""),
        ("ServerTopicAliasMax", Int, true, V5Only, "0"),
        ("SessionExpInterval", Int, false, V5Only, "0"),
        ("SessionPresent", Bool, true, Both, "False"),
        ("SessionStateFile", String, false, Both, ""),
        ("SubscriptionIdentifier", Int, false, V5Only, "-1"),
        ("TopicAlias", Int, false, V5Only, "-1"),
        ("TopicDelimiter", String, false, Both, ","),
        ("TopicNLArray", String, false, V5Only, ""),
        ("TopicQOSArray", String, false, Both, ""),
        ("TopicRAPArray", String, false, V5Only, ""),
        ("TopicRHArray", String, false, V5Only, ""),
        ("WillProperties", String, false, V5Only, "{}"),
        ("WillQOS", Int, false, Both, "0"),
        ("WillRetain", Bool, false, Both, "False"),
    ] {
        let s = find(name).unwrap();
        assert_eq!(
            (s.kind, s.read_only, s.applies, s.default),
            (kind, read_only, applies, default),
            "{name}"
        );
        assert_eq!(s.indexed(), name.ends_with("[i]"), "{name}");
        assert_eq!(read(&m, name), default, "{name}");
    }
}

#[test]
fn walking_the_registry_reads_and_writes_back_every_setting() {
    // What each face's test does: read, write the value back, read the same again.
    let m = Mqtt::new();
    for s in settings() {
        for name in [s.name.to_string(), s.name.to_lowercase()] {
            let value = read(&m, &name);
            match m.config(&format!("{name}={value}")) {
                Ok(r) => {
                    assert!(!s.read_only, "{name}");
                    assert_eq!(r, "");
                }
                Err(e) => {
                    assert!(s.read_only, "{name}: {e}");
                    assert_names(&e, &[s.name, "read-only"]);
                }
            }
            assert_eq!(read(&m, &name), value, "{name}");
        }
    }
}

#[test]
fn booleans_take_every_spelling_and_read_true_or_false() {
    let m = Mqtt::new();
    for name in [
        "AutoReconnect",
        "Duplicate",
        "Retain",
        "WillRetain",
        "TcpNoDelay",
    ] {
        for (text, want) in [
            ("True", "True"),
            ("FALSE", "False"),
            ("1", "True"),
            ("0", "False"),
            ("yes", "True"),
            ("No", "False"),
        ] {
            write(&m, &format!("{name}={text}"));
            assert_eq!(read(&m, name), want, "{name}={text}");
        }
        let e = refused(&m, &format!("{name}=perhaps"));
        assert_names(&e, &[name, "\"perhaps\"", "True/False"]);
    }
}

#[test]
fn unknown_settings_and_bad_values_are_named() {
    let m = Mqtt::new();
    assert_names(&refused(&m, "NoSuchSetting"), &["NoSuchSetting"]);
    assert_names(&refused(&m, "NoSuchSetting=1"), &["NoSuchSetting"]);
    for (request, expected) in [
        ("LogLevel=4", "0..=3"),
        ("LogLevel=loud", "0..=3"),
        ("ClientTopicAliasMax=70000", "0..=65535"),
        ("SessionExpInterval=-5", "0..=4294967295"),
        ("SubscriptionIdentifier=0", "1..=268435455"),
        ("TopicAlias=65536", "1..=65535"),
        ("OutgoingUserPropCount=-1", "0..=65535"),
        ("RepublishInterval=-1", "0..="),
        ("ConnectionTimeout=soon", "0..="),
        ("DisconnectReasonCode=300", "0..=255"),
        ("DisconnectReasonCode=16", "DISCONNECT reason code"),
        ("TopicRHArray=0,5", "0..=2"),
        ("TopicNLArray=1,x", "True/False"),
        ("TopicRAPArray=2", "True/False"),
        ("SendCustomPacket=abc", "odd number"),
        ("TopicDelimiter=", "empty"),
    ] {
        let (name, value) = request.split_once('=').unwrap();
        let e = refused(&m, request);
        let last = value.rsplit(',').next().unwrap();
        assert_names(&e, &[name, last, expected]);
    }
    // QoS values keep the documented QoS error.
    for request in ["WillQOS=3", "TopicQOSArray=0,7"] {
        assert_eq!(refused(&m, request).code, code::INVALID_QOS, "{request}");
    }
}

#[test]
fn read_only_settings_refuse_writes_by_name() {
    let m = Mqtt::new();
    for name in [
        "ConnAckProperties",
        "IncomingUserPropCount",
        "IncomingUserPropName[0]",
        "IncomingUserPropValue",
        "OutgoingPacketId",
        "ServerTopicAliasMax",
        "SessionPresent",
    ] {
        let e = refused(&m, &format!("{name}=1"));
        let base = name.split('[').next().unwrap();
        assert_names(&e, &[base, "read-only"]);
    }
}

#[test]
fn connect_properties_merge_and_reset() {
    let m = Mqtt::new();
    write(
        &m,
        r#"ConnectProperties={"ClientTopicAliasMax":"20","MaximumPacketSize":"128000","ReceiveMaximum":"12","RequestResponseInformation":"false","RequestProblemInformation":"true","SessionExpInterval":"1234"}"#,
    );
    assert_eq!(read(&m, "ClientTopicAliasMax"), "20");
    assert_eq!(read(&m, "SessionExpInterval"), "1234");
    write(&m, "SessionExpInterval=99");
    write(
        &m,
        r#"ConnectProperties={"ReceiveMaximum":-1,"MaximumPacketSize":"","RequestProblemInformation":false}"#,
    );
    assert_eq!(
        read(&m, "ConnectProperties"),
        r#"{"ClientTopicAliasMax":20,"RequestProblemInformation":false,"RequestResponseInformation":false,"SessionExpInterval":99}"#
    );
    write(&m, "ConnectProperties=");
    assert_eq!(read(&m, "ConnectProperties"), "{}");
    assert_eq!(read(&m, "SessionExpInterval"), "0");

    assert_names(
        &refused(&m, r#"ConnectProperties={"KeepAlive":5}"#),
        &["ConnectProperties", "KeepAlive", "ReceiveMaximum"],
    );
    assert_names(
        &refused(&m, r#"ConnectProperties={"ReceiveMaximum":"0"}"#),
        &["ConnectProperties", "ReceiveMaximum", "\"0\"", "1..=65535"],
    );
    assert_names(
        &refused(&m, r#"ConnectProperties={"ReceiveMaximum":12,}"#),
        &["ConnectProperties", "JSON object"],
    );
    assert_names(
        &refused(&m, "ConnectProperties=[1,2]"),
        &["ConnectProperties", "[1,2]"],
    );
    assert_eq!(read(&m, "ConnectProperties"), "{}");
}

#[test]
fn outgoing_message_properties_with_repeated_user_properties_and_hex() {
    let m = Mqtt::new();
    write(
        &m,
        r#"OutgoingMessageProperties={"ContentType":"plain/text","CorrelationData":"00000000","MessageExpInterval":"1000","PayloadFormatIndicator":"1","ResponseTopic":"ResponseTopic","TopicAlias":"1","UserProperty":"prp1:val1","UserProperty":"prp2:val2"}"#,
    );
    let text = read(&m, "OutgoingMessageProperties");
    assert_eq!(
        text,
        r#"{"ContentType":"plain/text","CorrelationData":"00000000","MessageExpInterval":1000,"PayloadFormatIndicator":1,"ResponseTopic":"ResponseTopic","TopicAlias":1,"UserProperty":"prp1:val1","UserProperty":"prp2:val2"}"#
    );
    assert_eq!(read(&m, "ResponseTopic"), "ResponseTopic");
    assert_eq!(read(&m, "TopicAlias"), "1");
    write(&m, "TopicAlias=-1");
    write(&m, "ResponseTopic=");
    assert!(!read(&m, "OutgoingMessageProperties").contains("TopicAlias"));
    assert!(!read(&m, "OutgoingMessageProperties").contains("ResponseTopic"));
    assert_names(
        &refused(&m, r#"OutgoingMessageProperties={"CorrelationData":"0g"}"#),
        &["OutgoingMessageProperties", "CorrelationData", "0g"],
    );
    assert_names(
        &refused(
            &m,
            r#"OutgoingMessageProperties={"PayloadFormatIndicator":2}"#,
        ),
        &["PayloadFormatIndicator", "0..=1"],
    );
}

#[test]
fn will_and_disconnect_properties() {
    let m = Mqtt::new();
    write(
        &m,
        r#"WillProperties={"ContentType":"text/plain","CorrelationData":"ABCD","MessageExpInterval":"3600","PayloadFormatIndicator":"1","ReponseTopic":"r","WillDelayInterval":"10"}"#,
    );
    assert_eq!(
        read(&m, "WillProperties"),
        r#"{"ContentType":"text/plain","CorrelationData":"abcd","MessageExpInterval":3600,"PayloadFormatIndicator":1,"ResponseTopic":"r","WillDelayInterval":10}"#
    );
    write(&m, r#"WillProperties={"ResponseTopic":""}"#);
    assert!(!read(&m, "WillProperties").contains("ResponseTopic"));
    write(
        &m,
        r#"DisconnectProperties={"SessionExpInterval":5,"ReasonString":"bye"}"#,
    );
    assert_eq!(
        read(&m, "DisconnectProperties"),
        r#"{"SessionExpInterval":5,"ReasonString":"bye"}"#
    );
    write(&m, "DisconnectReasonCode=0x04");
    assert_eq!(read(&m, "DisconnectReasonCode"), "4");
    assert_names(
        &refused(&m, r#"DisconnectProperties={"UserProperty":"a:b"}"#),
        &["DisconnectProperties", "UserProperty"],
    );
}

#[test]
fn indexed_user_properties() {
    let m = Mqtt::new();
    write(&m, "OutgoingUserPropCount=1");
    write(&m, "OutgoingUserPropName[0]=prp1");
    write(&m, "OutgoingUserPropValue[0]=val1");
    assert_eq!(read(&m, "outgoinguserpropname[0]"), "prp1");
    write(&m, "OutgoingUserPropCount=2");
    assert_eq!(read(&m, "OutgoingUserPropName[0]"), "prp1");
    assert_eq!(read(&m, "OutgoingUserPropName[1]"), "");
    assert_eq!(read(&m, "OutgoingUserPropValue[i]"), r#"["val1",""]"#);
    assert_names(
        &refused(&m, "OutgoingUserPropName[2]=x"),
        &[
            "OutgoingUserPropName",
            "index 2",
            "OutgoingUserPropCount is 2",
        ],
    );
    assert_names(
        &refused(&m, "OutgoingUserPropValue[-1]"),
        &["OutgoingUserPropValue", "\"-1\""],
    );
    assert_names(
        &refused(&m, "IncomingUserPropName[0]"),
        &[
            "IncomingUserPropName",
            "index 0",
            "IncomingUserPropCount is 0",
        ],
    );
    assert_eq!(read(&m, "IncomingUserPropCount"), "0");
}

#[test]
fn write_only_custom_packet_and_plain_settings() {
    let m = Mqtt::new();
    // Valid hex, but there is no connection to send it on.
    let e = m.config("SendCustomPacket=C0 00").unwrap_err();
    assert_eq!(e.code, ferromq::code::CONNECT_FIRST, "{e}");
    assert_eq!(read(&m, "SendCustomPacket"), "");
    write(&m, "SessionStateFile=/var/lib/app/session.dat");
    assert_eq!(read(&m, "SessionStateFile"), "/var/lib/app/session.dat");
    write(&m, "TopicNLArray=true,false");
    write(&m, "TopicRAPArray=1");
    write(&m, "TopicRHArray=2, 0");
    assert_eq!(read(&m, "TopicNLArray"), "True,False");
    assert_eq!(read(&m, "TopicRAPArray"), "True");
    assert_eq!(read(&m, "TopicRHArray"), "2,0");
}

#[test]
fn five_only_settings_are_kept_under_3_1_1() {
    let m = Mqtt::new();
    m.set_version(0).ok();
    write(&m, "ClientTopicAliasMax=5");
    write(&m, r#"WillProperties={"WillDelayInterval":3}"#);
    assert_eq!(read(&m, "ClientTopicAliasMax"), "5");
    assert_eq!(read(&m, "WillProperties"), r#"{"WillDelayInterval":3}"#);
}

#[test]
fn reset_puts_every_setting_back() {
    let m = Mqtt::new();
    write(&m, r#"ConnectProperties={"ReceiveMaximum":3}"#);
    write(&m, "OutgoingUserPropCount=4");
    write(&m, "TopicAlias=9");
    m.reset().unwrap();
    for s in settings() {
        assert_eq!(read(&m, s.name), s.default, "{}", s.name);
    }
}

#[test]
fn the_settings_page_lists_every_setting() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/config.md"))
        .expect("docs/config.md");
    for s in settings() {
        assert!(
            page.contains(&format!("| `{}` |", s.name)),
            "docs/config.md has no row for {}",
            s.name
        );
    }
}
