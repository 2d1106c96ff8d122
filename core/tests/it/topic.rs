//! Topic names, filters and matching through the public API: every rule, the examples
//! of the reference's "Topic Names", "Topic Filters" and "Shared Subscriptions" sections
//! and of MQTT 3.1.1/5.0 section 4.7, and property tests.

use ferromq::code;
use ferromq::topic::{
    is_shared, is_system_topic, is_wildcard, matches, split_shared, validate_topic_filter,
    validate_topic_name, MAX_LEN,
};
use proptest::prelude::*;

fn assert_name_ok(t: &str) {
    if let Err(e) = validate_topic_name(t) {
        panic!("topic {t:?} should be valid: {e}");
    }
}

fn assert_filter_ok(f: &str) {
    if let Err(e) = validate_topic_filter(f) {
        panic!("filter {f:?} should be valid: {e}");
    }
}

/// The error for a bad filter, after checking its code and that it quotes the filter.
fn filter_error(f: &str) -> String {
    let e = validate_topic_filter(f).expect_err(f);
    assert_eq!(e.code(), code::INVALID_TOPIC_FILTER, "{f:?}: {e}");
    assert!(
        e.message().starts_with(&format!("topic filter {f:?} ")),
        "{f:?}: {e}"
    );
    e.message().to_string()
}

/// The error for a bad topic name, after checking its code and that it quotes the name.
fn name_error(t: &str) -> String {
    let e = validate_topic_name(t).expect_err(t);
    assert_eq!(e.code(), code::INVALID_TOPIC, "{t:?}: {e}");
    assert!(
        e.message().starts_with(&format!("topic {t:?} ")),
        "{t:?}: {e}"
    );
    e.message().to_string()
}

// ---------------------------------------------------------------------------------------
// The reference's examples.

/// The topics the reference's filter examples are matched against.
const HOME: [&str; 7] = [
    "home/floor1",
    "home/floor1/livingRoom",
    "home/floor1/livingRoom/temperature",
    "home/floor1/kitchen/temperature",
    "home/floor1/kitchen/fridge/temperature",
    "home/floor2/bedroom1",
    "home/floor2/bedroom1/temperature",
];

/// The members of HOME that `filter` matches, in order.
fn home_matched_by(filter: &str) -> Vec<&'static str> {
    HOME.iter()
        .copied()
        .filter(|t| matches(filter, t))
        .collect()
}

#[test]
fn reference_publish_topics() {
    assert_name_ok("/home/floor1/security/camera2");
    for t in HOME {
        assert_name_ok(t);
    }
    // Leading and trailing separators make empty levels, which are allowed.
    assert_name_ok("/a/b/");
    assert!(matches("+/a/b/+", "/a/b/"));
    assert!(matches("/a/b/", "/a/b/"));
    assert!(!matches("a/b", "/a/b/"));
    // Names are case-sensitive.
    assert!(!matches("Home/floor1", "home/floor1"));
    // System topics may be named; "$share..." topic names are not refused by the client.
    assert_name_ok("$SYS/broker/load");
    assert_name_ok("$share/group/topic");
}

#[test]
fn reference_subscribe_filters() {
    for f in [
        "home",
        "home/floor1/+/temperature",
        "home/floor2/#",
        "home/floor1/+/#",
    ] {
        assert_filter_ok(f);
    }
}

#[test]
fn reference_multi_level_wildcard() {
    assert_eq!(
        home_matched_by("home/floor1/#"),
        [
            "home/floor1",
            "home/floor1/livingRoom",
            "home/floor1/livingRoom/temperature",
            "home/floor1/kitchen/temperature",
            "home/floor1/kitchen/fridge/temperature",
        ]
    );
    // '#' placed before another level.
    let m = filter_error("home/floor1/#/livingRoom");
    assert!(m.contains("has '#' as level 3 of 4"), "{m}");
    assert!(m.contains("only allowed as the last level"), "{m}");
    // '#' glued to a level instead of after a '/'.
    let m = filter_error("home/floor1#");
    assert!(m.contains("'#' inside level 2 (\"floor1#\")"), "{m}");
    // '#' alone is valid and matches everything except system topics.
    assert_filter_ok("#");
    assert_eq!(home_matched_by("#"), HOME);
    assert!(matches("#", "/home/floor1/security/camera2"));
    assert!(!matches("#", "$SYS/broker/load"));
}

#[test]
fn reference_single_level_wildcard() {
    assert_eq!(
        home_matched_by("home/floor1/+/temperature"),
        [
            "home/floor1/livingRoom/temperature",
            "home/floor1/kitchen/temperature",
        ]
    );
    assert_eq!(
        home_matched_by("home/+/+/temperature"),
        [
            "home/floor1/livingRoom/temperature",
            "home/floor1/kitchen/temperature",
            "home/floor2/bedroom1/temperature",
        ]
    );
    // '+' must be a level of its own.
    let m = filter_error("home/floor1+");
    assert!(m.contains("'+' inside level 2 (\"floor1+\")"), "{m}");
    assert_filter_ok("+/floor1/+");
    // '+' alone matches every one-level topic except system topics.
    assert_filter_ok("+");
    assert_eq!(home_matched_by("+"), Vec::<&str>::new());
    assert!(matches("+", "home"));
    assert!(!matches("+", "$SYS"));
    // A leading '/' makes an empty first level.
    assert!(matches("+/+", "/people"));
    assert!(!matches("+", "/people"));
    // '+' takes exactly one level. The reference writes the matching topic of this example
    // with a leading '/', which by its own rule above adds a level; the topic without it
    // is the one that matches.
    let f = "home/floor1/kitchen/+/temperature";
    assert!(matches(f, "home/floor1/kitchen/fridge/temperature"));
    assert!(!matches(f, "/home/floor1/kitchen/fridge/temperature"));
    assert!(!matches(f, "home/floor1/kitchen/temperature"));
}

#[test]
fn reference_system_topics() {
    assert!(is_system_topic("$SYS/broker/clients"));
    assert!(!is_system_topic("home/$SYS"));
    // Wildcards never match a first level that starts with '$'...
    for f in ["#", "+", "+/#", "+/broker/clients", "+/+/+"] {
        assert!(!matches(f, "$SYS/broker/clients"), "{f:?}");
    }
    // ...but a filter spelling the '$' level does, with wildcards after it.
    for f in [
        "$SYS/#",
        "$SYS/+/clients",
        "$SYS/broker/+",
        "$SYS/broker/clients",
    ] {
        assert!(matches(f, "$SYS/broker/clients"), "{f:?}");
    }
    // Only the first level counts.
    assert!(matches("+/+", "home/$SYS"));
    assert!(matches("#", "home/$SYS"));
}

#[test]
fn reference_shared_subscriptions() {
    let f = "$share/myShareGroup/myTopicFilter/subTopic";
    assert_filter_ok(f);
    assert!(is_shared(f));
    assert_eq!(
        split_shared(f),
        Some(("myShareGroup", "myTopicFilter/subTopic"))
    );
    // The "$share/{ShareName}/" part is ignored when matching.
    assert!(matches(f, "myTopicFilter/subTopic"));
    assert!(!matches(f, "$share/myShareGroup/myTopicFilter/subTopic"));
    assert!(matches(
        "$share/g/home/floor1/#",
        "home/floor1/kitchen/temperature"
    ));
    assert!(matches("$share/g/+", "home"));
    assert!(!matches("$share/g/#", "$SYS/broker/clients"));
    assert!(matches("$share/g/$SYS/#", "$SYS/broker/clients"));
    // The share name: at least one character, none of '/', '+', '#'.
    assert!(filter_error("$share//a").contains("empty share name"));
    assert!(filter_error("$share/").contains("empty share name"));
    let m = filter_error("$share/my+Group/a");
    assert!(m.contains("share name \"my+Group\" containing '+'"), "{m}");
    assert!(m.contains("must not contain '/', '+' or '#'"), "{m}");
    let m = filter_error("$share/#/a");
    assert!(m.contains("share name \"#\" containing '#'"), "{m}");
    // A '/' ends the share name, so "$share/a/b/c" is the share "a" with filter "b/c".
    assert_eq!(split_shared("$share/a/b/c"), Some(("a", "b/c")));
    // The filter part: present, non-empty, and a valid filter in its own right.
    assert!(filter_error("$share/group").contains("no filter after the share name \"group\""));
    assert!(filter_error("$share/group/").contains("empty filter after the share name"));
    let m = filter_error("$share/group/a/#/b");
    assert!(m.contains("has '#' as level 4 of 5"), "{m}");
    let m = filter_error("$share/group/a+");
    assert!(m.contains("'+' inside level 3 (\"a+\")"), "{m}");
    // Only the exact, case-sensitive "$share/" prefix makes a shared subscription.
    assert_eq!(split_shared("$SHARE/g/a"), None);
    assert_eq!(split_shared("$share"), None);
    assert_filter_ok("$share");
    assert_filter_ok("$shared/g/a");
    assert!(matches("$share", "$share"));
}

// ---------------------------------------------------------------------------------------
// MQTT 3.1.1 / 5.0 section 4.7 examples.

#[test]
fn standard_examples() {
    let f = "sport/tennis/player1/#";
    for t in [
        "sport/tennis/player1",
        "sport/tennis/player1/ranking",
        "sport/tennis/player1/score/wimbledon",
    ] {
        assert!(matches(f, t), "{t:?}");
    }
    assert!(matches("sport/#", "sport"));
    for ok in [
        "sport/tennis/#",
        "+",
        "+/tennis/#",
        "sport/+/player1",
        "/+",
        "+/+",
    ] {
        assert_filter_ok(ok);
    }
    for bad in ["sport/tennis#", "sport/tennis/#/ranking", "sport+"] {
        filter_error(bad);
    }
    assert!(matches("sport/tennis/+", "sport/tennis/player1"));
    assert!(matches("sport/tennis/+", "sport/tennis/player2"));
    assert!(!matches("sport/tennis/+", "sport/tennis/player1/ranking"));
    assert!(!matches("sport/+", "sport"));
    assert!(matches("sport/+", "sport/"));
    assert!(matches("+/+", "/finance"));
    assert!(matches("/+", "/finance"));
    assert!(!matches("+", "/finance"));
    assert!(matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
    assert!(!matches("+/monitor/Clients", "$SYS/monitor/Clients"));
    assert!(!matches("#", "$SYS/monitor/Clients"));
}

// ---------------------------------------------------------------------------------------
// Each rule, with its message.

#[test]
fn name_rules() {
    assert!(name_error("").contains("is empty: a topic name must be 1 to 65535 bytes long"));
    assert_name_ok(&"a".repeat(MAX_LEN));
    let m = validate_topic_name(&"a".repeat(MAX_LEN + 1))
        .unwrap_err()
        .message()
        .to_string();
    assert!(m.contains("is 65536 bytes long"), "{m}");
    assert!(m.len() < 400, "a huge topic is shortened in the message");
    // Bytes, not characters.
    assert_name_ok(&"\u{e9}".repeat(MAX_LEN / 2));
    assert!(validate_topic_name(&"\u{e9}".repeat(MAX_LEN / 2 + 1)).is_err());

    assert_eq!(
        name_error("a/+/b"),
        "topic \"a/+/b\" contains the wildcard '+': wildcards are only allowed in \
         subscription filters"
    );
    assert!(name_error("a/#").contains("the wildcard '#'"));
    assert!(name_error("#").contains("the wildcard '#'"));
    assert!(name_error("a+b").contains("the wildcard '+'"));
    let m = name_error("a\0b");
    assert!(m.contains("null character U+0000"), "{m}");
    assert!(
        m.contains("\"a\\0b\""),
        "the NUL is escaped in the message: {m}"
    );

    for t in ["a//b", "/a", "a/", "/", "//", " ", "\u{1f600}/\u{4e2d}"] {
        assert_name_ok(t);
    }
}

#[test]
fn filter_rules() {
    assert!(filter_error("").contains("is empty: a topic filter must be 1 to 65535 bytes long"));
    assert_filter_ok(&"a".repeat(MAX_LEN));
    let e = validate_topic_filter(&"#".repeat(MAX_LEN + 1)).unwrap_err();
    assert_eq!(e.code(), code::INVALID_TOPIC_FILTER);
    assert!(e.message().contains("is 65536 bytes long"), "{e}");
    // The length counts the "$share/{name}/" prefix too.
    let long = format!("$share/g/{}", "a".repeat(MAX_LEN - 9));
    assert_filter_ok(&long);
    assert!(validate_topic_filter(&format!("{long}a")).is_err());

    assert!(filter_error("a/\0").contains("U+0000"));
    assert!(filter_error("#/").contains("has '#' as level 1 of 2"));
    assert!(filter_error("#/#").contains("has '#' as level 1 of 2"));
    assert!(filter_error("##").contains("'#' inside level 1 (\"##\")"));
    assert!(filter_error("a/+#").contains("'#' inside level 2 (\"+#\")"));
    assert!(filter_error("a/#+").contains("'#' inside level 2"));
    assert!(filter_error("a/++").contains("'+' inside level 2 (\"++\")"));
    assert!(filter_error("+a").contains("'+' inside level 1 (\"+a\")"));
    assert!(filter_error("a/b+/c").contains("must fill a whole level on its own"));

    for f in [
        "a//b", "/a", "a/", "/", "//#", "+//+", "+/+/#", "a/+/+/#", "$SYS/+",
    ] {
        assert_filter_ok(f);
    }
    // Any valid topic name is also a valid filter.
    assert_filter_ok("/home/floor1/security/camera2");
}

#[test]
fn matching_rules() {
    // '+' matches empty levels too.
    assert!(matches("a/+/c", "a//c"));
    assert!(matches("+/+/+", "//"));
    assert!(matches("+", " "));
    // '#' matches the parent, one level, several levels and empty levels.
    for t in ["a", "a/", "a/b", "a/b/c", "a//"] {
        assert!(matches("a/#", t), "{t:?}");
    }
    assert!(!matches("a/#", "ab"));
    assert!(!matches("a/#", "b/a"));
    // Exact levels compare byte for byte.
    assert!(!matches("a/b", "a/b/"));
    assert!(!matches("a/b/", "a/b"));
    assert!(!matches("a//b", "a/b"));
    // Invalid filters or topic names match nothing.
    assert!(!matches("a/#/b", "a/x/b"));
    assert!(!matches("a+", "a+"));
    assert!(!matches("a/+", "a/+"));
    assert!(!matches("#", "a/#"));
    assert!(!matches("#", ""));
    assert!(!matches("", ""));
    assert!(!matches("#", "a\0"));
    assert!(!matches("$share/g", "$share/g"));
}

#[test]
fn wildcard_helper() {
    for f in ["#", "+", "a/+", "a/#", "+/a", "$share/g/#", "$share/g/+/x"] {
        assert!(is_wildcard(f), "{f:?}");
    }
    for f in ["a", "a/b", "/", "$share/g/a", "$SYS/x"] {
        assert!(!is_wildcard(f), "{f:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Properties.

/// A level with no '/', wildcard or NUL; may be empty and may hold any other character.
fn level() -> impl Strategy<Value = String> {
    "[^/+#\\x00]{0,6}"
}

/// A topic name of 1..=6 such levels whose first level does not start with '$'.
fn plain_topic() -> impl Strategy<Value = Vec<String>> {
    (
        "([^/+#$\\x00][^/+#\\x00]{0,5})?",
        prop::collection::vec(level(), 0..6),
    )
        .prop_map(|(first, rest)| {
            let mut levels = vec![first];
            levels.extend(rest);
            levels
        })
        .prop_filter("a topic name is not empty", |l| {
            l.len() > 1 || !l[0].is_empty()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_topic_is_matched_by_itself_by_hash_and_by_plus(
        levels in plain_topic(),
        pick in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let topic = levels.join("/");
        prop_assert!(validate_topic_name(&topic).is_ok(), "{:?}", topic);
        prop_assert!(validate_topic_filter(&topic).is_ok(), "{:?}", topic);
        prop_assert!(matches(&topic, &topic), "{:?}", topic);
        prop_assert!(matches("#", &topic), "{:?}", topic);

        // One level replaced by '+'.
        let mut plus = levels.clone();
        plus[pick.index(levels.len())] = "+".to_string();
        let plus = plus.join("/");
        prop_assert!(validate_topic_filter(&plus).is_ok(), "{:?}", plus);
        prop_assert!(matches(&plus, &topic), "{:?} ~ {:?}", plus, topic);

        // Every level replaced by '+'.
        let all_plus = vec!["+"; levels.len()].join("/");
        prop_assert!(matches(&all_plus, &topic), "{:?} ~ {:?}", all_plus, topic);

        // A prefix of 0..=len levels followed by '#' (the full length: the parent case).
        let keep = cut.index(levels.len() + 1);
        let mut hash: Vec<&str> = levels[..keep].iter().map(String::as_str).collect();
        hash.push("#");
        let hash = hash.join("/");
        prop_assert!(matches(&hash, &topic), "{:?} ~ {:?}", hash, topic);

        // The same filters behind a $share prefix.
        for f in [&topic, &plus, &hash] {
            let shared = format!("$share/group/{f}");
            prop_assert!(validate_topic_filter(&shared).is_ok(), "{:?}", shared);
            prop_assert!(matches(&shared, &topic), "{:?} ~ {:?}", shared, topic);
        }
    }

    #[test]
    fn a_changed_or_added_level_does_not_match(
        levels in plain_topic(),
        pick in any::<prop::sample::Index>(),
    ) {
        let topic = levels.join("/");
        let i = pick.index(levels.len());
        let mut other = levels.clone();
        other[i].push('x');
        prop_assert!(!matches(&other.join("/"), &topic));
        let longer = format!("{topic}/x");
        prop_assert!(!matches(&longer, &topic));
        prop_assert!(!matches(&topic, &longer));
        // '+' takes exactly one level.
        let plus_more = format!("{}/+", vec!["+"; levels.len()].join("/"));
        prop_assert!(!matches(&plus_more, &topic), "{:?} ~ {:?}", plus_more, topic);
    }

    #[test]
    fn system_topics_escape_leading_wildcards(rest in prop::collection::vec(level(), 0..5)) {
        let mut levels = vec!["$SYS".to_string()];
        levels.extend(rest);
        let topic = levels.join("/");
        prop_assert!(matches(&topic, &topic));
        prop_assert!(matches("$SYS/#", &topic));
        prop_assert!(!matches("#", &topic));
        let mut plus = levels.clone();
        plus[0] = "+".to_string();
        prop_assert!(!matches(&plus.join("/"), &topic));
    }

    #[test]
    fn name_validation_is_exactly_the_rules(s in "[a/+#\\x00\u{e9}]{0,12}") {
        let ok = !s.is_empty() && !s.contains(['+', '#', '\0']);
        prop_assert_eq!(validate_topic_name(&s).is_ok(), ok, "{:?}", s);
    }

    #[test]
    fn filter_validation_is_exactly_the_rules(s in "[a/+#\\x00]{1,10}") {
        let levels: Vec<&str> = s.split('/').collect();
        let ok = !s.contains('\0')
            && levels.iter().enumerate().all(|(i, l)| {
                (!l.contains('#') || (*l == "#" && i + 1 == levels.len()))
                    && (!l.contains('+') || *l == "+")
            });
        prop_assert_eq!(validate_topic_filter(&s).is_ok(), ok, "{:?}", s);
    }

    #[test]
    fn never_panics(filter in "\\PC{0,20}", topic in "\\PC{0,20}") {
        let _ = validate_topic_name(&topic);
        let _ = validate_topic_filter(&filter);
        let _ = split_shared(&filter);
        let _ = is_wildcard(&filter);
        let _ = matches(&filter, &topic);
        let shared = format!("$share/{filter}");
        let _ = validate_topic_filter(&shared);
        let _ = matches(&shared, &topic);
    }
}
