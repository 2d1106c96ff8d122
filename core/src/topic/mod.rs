//! Layer 2: topic names, topic filters and matching (MQTT 3.1.1 section 4.7, MQTT 5.0
//! sections 4.7 and 4.8.2).
//!
//! * A topic name (what a PUBLISH carries) is 1..=65535 bytes of UTF-8 without '+', '#'
//!   or U+0000. Levels are separated by '/'; empty levels ("a//b", "/a", "a/") are fine.
//! * A topic filter (what a SUBSCRIBE carries) has the same length and U+0000 rules, and
//!   may use the wildcards '+' (exactly one level) and '#' (this level and every level
//!   below it, including none). Each wildcard must fill its level on its own, and '#' may
//!   only be the last level.
//! * A shared subscription is `$share/{ShareName}/{filter}`: the share name is non-empty
//!   and has no '/', '+' or '#'; the filter part is a non-empty topic filter. For matching,
//!   the `$share/{ShareName}/` prefix is dropped.
//! * Topics whose first level starts with '$' (system topics such as `$SYS/...`) are never
//!   matched by a filter whose first level is a wildcard.
//!
//! The checks are written once, without allocating, as `check_*` functions returning a
//! `Fault`; `validate_*` turn a fault into an [`Error`] whose message quotes the bad
//! value and states the rule, and [`matches()`] uses the same checks to refuse bad input.

use crate::error::{code, Error, Result};

/// The longest topic name or filter, in bytes (the length prefix of an MQTT string).
pub const MAX_LEN: usize = 65_535;

/// The level separator.
pub const SEPARATOR: char = '/';
/// The single-level wildcard.
pub const SINGLE_LEVEL_WILDCARD: char = '+';
/// The multi-level wildcard.
pub const MULTI_LEVEL_WILDCARD: char = '#';
/// The prefix that marks a shared subscription filter (MQTT 5.0).
pub const SHARED_PREFIX: &str = "$share/";

/// A topic name we may publish to: 1..=65535 bytes of UTF-8, no '+', '#' or U+0000.
/// Error code 502, message naming the topic and the rule.
///
/// # Errors
/// [`code::INVALID_TOPIC`] when `topic` is empty, longer than [`MAX_LEN`] bytes, or holds
/// '+', '#' or U+0000.
pub fn validate_topic_name(topic: &str) -> Result<()> {
    match check_topic_name(topic) {
        None => Ok(()),
        Some(fault) => Err(Error::new(
            code::INVALID_TOPIC,
            fault.describe("topic", topic),
        )),
    }
}

/// A topic filter we may subscribe to (wildcard placement, `$share/{name}/{filter}`).
/// Error code 503, message naming the filter and the rule.
///
/// # Errors
/// [`code::INVALID_TOPIC_FILTER`] when `filter` is empty, longer than [`MAX_LEN`] bytes,
/// holds U+0000, misplaces a wildcard, or is a malformed `$share/{name}/{filter}`.
pub fn validate_topic_filter(filter: &str) -> Result<()> {
    match check_topic_filter(filter) {
        None => Ok(()),
        Some(fault) => Err(Error::new(
            code::INVALID_TOPIC_FILTER,
            fault.describe("topic filter", filter),
        )),
    }
}

/// Whether `topic` matches `filter` (a `$share/{name}/` prefix is ignored; wildcards at the
/// first level never match a `$` topic).
///
/// Both sides are checked first: an invalid filter or an invalid topic name matches
/// nothing (so `matches("a/+", "a/+")` is false: a '+' in a topic is not a literal).
#[must_use]
pub fn matches(filter: &str, topic: &str) -> bool {
    if check_topic_filter(filter).is_some() || check_topic_name(topic).is_some() {
        return false;
    }
    let filter = match split_shared(filter) {
        Some((_, inner)) => inner,
        None => filter,
    };
    levels_match(filter, topic)
}

/// `$share/{name}/{filter}` split into (name, filter); None for a non-shared filter.
///
/// The split is purely structural: it happens whenever `filter` starts with `$share/` and
/// has another '/' after the share name. It does not check the parts (an empty or bad
/// share name still splits); use [`validate_topic_filter`] for that.
#[must_use]
pub fn split_shared(filter: &str) -> Option<(&str, &str)> {
    let rest = filter.strip_prefix(SHARED_PREFIX)?;
    let slash = rest.find(SEPARATOR)?;
    Some((&rest[..slash], &rest[slash + 1..]))
}

/// Whether `filter` starts with `$share/`, i.e. is meant as a shared subscription (valid
/// or not).
#[must_use]
pub fn is_shared(filter: &str) -> bool {
    filter.starts_with(SHARED_PREFIX)
}

/// Whether `filter` (its part after a `$share/{name}/` prefix) has a '+' or '#' level,
/// i.e. may match more than the one topic spelled like it.
#[must_use]
pub fn is_wildcard(filter: &str) -> bool {
    let filter = match split_shared(filter) {
        Some((_, inner)) => inner,
        None => filter,
    };
    filter
        .split(SEPARATOR)
        .any(|level| level == "+" || level == "#")
}

/// Whether `topic` is a system topic: its first level starts with '$'. Such topics are
/// not matched by a leading '+' or '#'.
#[must_use]
pub fn is_system_topic(topic: &str) -> bool {
    topic.starts_with('$')
}

/// The level-by-level comparison, on a filter without `$share` prefix and a topic, both
/// already known to be valid.
fn levels_match(filter: &str, topic: &str) -> bool {
    if is_system_topic(topic) && (filter.starts_with('+') || filter.starts_with('#')) {
        // A valid filter starting with a wildcard has it as its whole first level.
        return false;
    }
    let mut f = filter.split(SEPARATOR);
    let mut t = topic.split(SEPARATOR);
    loop {
        match (f.next(), t.next()) {
            // '#' takes whatever is left, including nothing ("a/#" matches "a").
            (Some("#"), _) => return true,
            // '+' takes any one level, even an empty one.
            (Some(fl), Some(tl)) if fl == "+" || fl == tl => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// What is wrong with a topic name or filter. Positions are 1-based levels of the whole
/// string (a `$share/{name}/` prefix counts as two levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault<'a> {
    Empty,
    TooLong(usize),
    Null,
    /// A wildcard in a topic name.
    Wildcard(char),
    /// '#' as a whole level, but not the last one.
    HashNotLast {
        level: usize,
        levels: usize,
    },
    /// A wildcard sharing its level with other characters.
    WildcardInLevel {
        wildcard: char,
        level_text: &'a str,
        level: usize,
    },
    ShareNameEmpty,
    ShareNameWildcard {
        name: &'a str,
        wildcard: char,
    },
    /// `$share/{name}` with no '/' and no filter after the name.
    ShareNoFilter {
        name: &'a str,
    },
    /// `$share/{name}/` with nothing after the last '/'.
    ShareEmptyFilter {
        name: &'a str,
    },
}

impl Fault<'_> {
    /// The error message: `{what} "{value}" {problem}: {rule}`.
    fn describe(&self, what: &str, value: &str) -> String {
        let q = quote(value);
        match *self {
            Fault::Empty => format!(
                "{what} {q} is empty: a {kind} must be 1 to {MAX_LEN} bytes long",
                kind = kind(what)
            ),
            Fault::TooLong(len) => format!(
                "{what} {q} is {len} bytes long: a {kind} must be 1 to {MAX_LEN} bytes long",
                kind = kind(what)
            ),
            Fault::Null => format!(
                "{what} {q} contains the null character U+0000: it is not allowed anywhere in \
                 a {kind}",
                kind = kind(what)
            ),
            Fault::Wildcard(c) => format!(
                "{what} {q} contains the wildcard '{c}': wildcards are only allowed in \
                 subscription filters"
            ),
            Fault::HashNotLast { level, levels } => format!(
                "{what} {q} has '#' as level {level} of {levels}: the multi-level wildcard \
                 '#' is only allowed as the last level"
            ),
            Fault::WildcardInLevel {
                wildcard,
                level_text,
                level,
            } => format!(
                "{what} {q} has '{wildcard}' inside level {level} ({lq}): the {name} wildcard \
                 '{wildcard}' must fill a whole level on its own, between '/' separators",
                lq = quote(level_text),
                name = if wildcard == '#' {
                    "multi-level"
                } else {
                    "single-level"
                }
            ),
            Fault::ShareNameEmpty => format!(
                "{what} {q} has an empty share name: a shared subscription is \
                 \"$share/{{ShareName}}/{{filter}}\" with a ShareName of at least one character"
            ),
            Fault::ShareNameWildcard { name, wildcard } => format!(
                "{what} {q} has the share name {nq} containing '{wildcard}': a ShareName must \
                 not contain '/', '+' or '#'",
                nq = quote(name)
            ),
            Fault::ShareNoFilter { name } => format!(
                "{what} {q} has no filter after the share name {nq}: a shared subscription is \
                 \"$share/{{ShareName}}/{{filter}}\"",
                nq = quote(name)
            ),
            Fault::ShareEmptyFilter { name } => format!(
                "{what} {q} has an empty filter after the share name {nq}: a shared \
                 subscription is \"$share/{{ShareName}}/{{filter}}\" with a non-empty filter",
                nq = quote(name)
            ),
        }
    }
}

/// "topic" -> "topic name", "topic filter" stays.
fn kind(what: &str) -> &str {
    if what == "topic" {
        "topic name"
    } else {
        what
    }
}

/// A quoted, escaped rendering of a value for an error message; very long values are cut.
fn quote(value: &str) -> String {
    const SHOWN: usize = 64;
    if value.len() <= 2 * SHOWN {
        return format!("{value:?}");
    }
    let mut cut = SHOWN;
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{:?}...", &value[..cut])
}

/// The length and U+0000 rules shared by names and filters.
fn check_common(s: &str) -> Option<Fault<'_>> {
    if s.is_empty() {
        Some(Fault::Empty)
    } else if s.len() > MAX_LEN {
        Some(Fault::TooLong(s.len()))
    } else if s.contains('\0') {
        Some(Fault::Null)
    } else {
        None
    }
}

fn check_topic_name(topic: &str) -> Option<Fault<'_>> {
    if let Some(fault) = check_common(topic) {
        return Some(fault);
    }
    topic
        .chars()
        .find(|&c| c == SINGLE_LEVEL_WILDCARD || c == MULTI_LEVEL_WILDCARD)
        .map(Fault::Wildcard)
}

fn check_topic_filter(filter: &str) -> Option<Fault<'_>> {
    if let Some(fault) = check_common(filter) {
        return Some(fault);
    }
    let Some(rest) = filter.strip_prefix(SHARED_PREFIX) else {
        return check_levels(filter, 0);
    };
    let (name, inner) = match rest.find(SEPARATOR) {
        Some(slash) => (&rest[..slash], Some(&rest[slash + 1..])),
        None => (rest, None),
    };
    if name.is_empty() {
        return Some(Fault::ShareNameEmpty);
    }
    if let Some(wildcard) = name
        .chars()
        .find(|&c| c == SINGLE_LEVEL_WILDCARD || c == MULTI_LEVEL_WILDCARD)
    {
        return Some(Fault::ShareNameWildcard { name, wildcard });
    }
    match inner {
        None => Some(Fault::ShareNoFilter { name }),
        Some("") => Some(Fault::ShareEmptyFilter { name }),
        Some(inner) => check_levels(inner, 2),
    }
}

/// Wildcard placement in a (non-empty) filter; `offset` levels precede it in the string.
fn check_levels(filter: &str, offset: usize) -> Option<Fault<'_>> {
    let levels = filter.split(SEPARATOR).count();
    for (i, level) in filter.split(SEPARATOR).enumerate() {
        let position = offset + i + 1;
        if level.contains(MULTI_LEVEL_WILDCARD) {
            if level != "#" {
                return Some(Fault::WildcardInLevel {
                    wildcard: MULTI_LEVEL_WILDCARD,
                    level_text: level,
                    level: position,
                });
            }
            if i + 1 != levels {
                return Some(Fault::HashNotLast {
                    level: position,
                    levels: offset + levels,
                });
            }
        }
        if level.contains(SINGLE_LEVEL_WILDCARD) && level != "+" {
            return Some(Fault::WildcardInLevel {
                wildcard: SINGLE_LEVEL_WILDCARD,
                level_text: level,
                level: position,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_err(topic: &str) -> Error {
        validate_topic_name(topic).expect_err(topic)
    }

    fn filter_err(filter: &str) -> Error {
        validate_topic_filter(filter).expect_err(filter)
    }

    #[test]
    fn names_valid() {
        for t in [
            "a",
            "/",
            "//",
            "a//b",
            "/a",
            "a/",
            "/home/floor1/security/camera2",
            "$SYS/broker/uptime",
            "$share",
            "caf\u{e9}/\u{1f600}",
            " ",
        ] {
            assert_eq!(validate_topic_name(t), Ok(()), "{t:?}");
        }
        assert_eq!(validate_topic_name(&"x".repeat(MAX_LEN)), Ok(()));
        // The limit is in bytes: 21845 three-byte characters are exactly 65535 bytes.
        assert_eq!(validate_topic_name(&"\u{20ac}".repeat(21_845)), Ok(()));
    }

    #[test]
    fn names_invalid() {
        let e = name_err("");
        assert_eq!(e.code, code::INVALID_TOPIC);
        assert!(e.message.contains("is empty"), "{e}");

        let e = name_err(&"x".repeat(MAX_LEN + 1));
        assert!(e.message.contains("65536 bytes long"), "{e}");
        assert!(e.message.len() < 300, "long values are cut: {e}");
        let e = name_err(&"\u{20ac}".repeat(21_846));
        assert!(e.message.contains("65538 bytes long"), "{e}");

        let e = name_err("a/+/b");
        assert_eq!(
            e.message,
            "topic \"a/+/b\" contains the wildcard '+': wildcards are only allowed in \
             subscription filters"
        );
        let e = name_err("a/#");
        assert!(e.message.contains("the wildcard '#'"), "{e}");
        let e = name_err("a\0b");
        assert!(e.message.contains("\"a\\0b\""), "{e}");
        assert!(e.message.contains("U+0000"), "{e}");
        assert_eq!(e.code, code::INVALID_TOPIC);
    }

    #[test]
    fn filters_valid() {
        for f in [
            "#",
            "+",
            "/",
            "+/+",
            "/#",
            "+/#",
            "a//b",
            "a/+/#",
            "+/floor1/+",
            "home/floor1/#",
            "home/+/+/temperature",
            "$SYS/#",
            "$share",
            "$sharex/a",
            "$share/g/#",
            "$share/g/+/a",
            "$share/g//",
            "$share/g/$share/h/x",
        ] {
            assert_eq!(validate_topic_filter(f), Ok(()), "{f:?}");
        }
        assert_eq!(validate_topic_filter(&"+/".repeat(32_767)), Ok(()));
    }

    #[test]
    fn filters_invalid() {
        let cases: &[(&str, &str)] = &[
            ("", "is empty"),
            ("a\0", "U+0000"),
            ("a/#/b", "has '#' as level 2 of 3"),
            ("#/", "has '#' as level 1 of 2"),
            ("a#", "has '#' inside level 1 (\"a#\")"),
            ("a/#b", "inside level 2 (\"#b\")"),
            ("a/b+", "has '+' inside level 2 (\"b+\")"),
            ("++", "has '+' inside level 1"),
            ("$share/", "empty share name"),
            ("$share//a", "empty share name"),
            ("$share/g", "no filter after the share name \"g\""),
            ("$share/g/", "empty filter after the share name \"g\""),
            ("$share/g+/a", "share name \"g+\" containing '+'"),
            ("$share/#/a", "share name \"#\" containing '#'"),
            ("$share/g/a/#/b", "has '#' as level 4 of 5"),
            ("$share/g/a+", "has '+' inside level 3 (\"a+\")"),
        ];
        for (f, expect) in cases {
            let e = filter_err(f);
            assert_eq!(e.code, code::INVALID_TOPIC_FILTER, "{f:?}");
            assert!(e.message.contains(expect), "{f:?}: {e}");
            assert!(e.message.starts_with("topic filter \""), "{f:?}: {e}");
        }
        let e = filter_err(&"x".repeat(MAX_LEN + 1));
        assert!(e.message.contains("65536 bytes long"), "{e}");
    }

    #[test]
    fn split_shared_is_structural() {
        assert_eq!(split_shared("$share/g/a/b"), Some(("g", "a/b")));
        assert_eq!(split_shared("$share/g/"), Some(("g", "")));
        assert_eq!(split_shared("$share//a"), Some(("", "a")));
        assert_eq!(split_shared("$share/g"), None);
        assert_eq!(split_shared("$share"), None);
        assert_eq!(split_shared("$SHARE/g/a"), None);
        assert_eq!(split_shared("a/$share/g/b"), None);
        assert!(is_shared("$share/g"));
        assert!(!is_shared("$share"));
    }

    #[test]
    fn wildcard_and_system() {
        assert!(is_wildcard("#"));
        assert!(is_wildcard("a/+/b"));
        assert!(is_wildcard("$share/g/#"));
        assert!(!is_wildcard("a/b"));
        assert!(!is_wildcard("$share/g/a"));
        assert!(is_system_topic("$SYS/x"));
        assert!(!is_system_topic("a/$SYS"));
    }

    #[test]
    fn matching_rules() {
        let yes = [
            ("a", "a"),
            ("a/b", "a/b"),
            ("+", "a"),
            ("+", ""),
            ("#", "a/b/c"),
            ("sport/#", "sport"),
            ("sport/#", "sport/"),
            ("sport/#", "sport/tennis/player1"),
            ("+/+", "/a"),
            ("a/+/c", "a//c"),
            ("/#", "/"),
            ("$SYS/#", "$SYS"),
            ("$SYS/+", "$SYS/uptime"),
            ("$share/g/a/+", "a/b"),
            ("$share/g/#", "x"),
        ];
        for (f, t) in yes {
            // "" is not a topic name, so ("+", "") is checked by levels only.
            if t.is_empty() {
                assert!(levels_match(f, t), "{f:?} ~ {t:?}");
            } else {
                assert!(matches(f, t), "{f:?} should match {t:?}");
            }
        }
        let no = [
            ("a", "b"),
            ("a", "A"),
            ("a", "a/"),
            ("a/", "a"),
            ("+", "a/b"),
            ("+", "/a"),
            ("a/+", "a"),
            ("sport/#", "sports"),
            ("#", "$SYS/x"),
            ("+/x", "$SYS/x"),
            ("+", "$"),
            ("$share/g/#", "$SYS/x"),
            // Invalid on either side: no match.
            ("a/#/b", "a/x/b"),
            ("a", ""),
            ("a/+", "a/+"),
            ("#", "a\0"),
            ("$share/g", "$share/g"),
        ];
        for (f, t) in no {
            assert!(!matches(f, t), "{f:?} should not match {t:?}");
        }
    }
}
