//! CONTRACT SKELETON (topic helper replaces the bodies).
use crate::error::Result;

/// A topic name we may publish to: 1..=65535 bytes of UTF-8, no '+', '#' or U+0000.
/// Error code 502, message naming the topic and the rule.
pub fn validate_topic_name(_topic: &str) -> Result<()> {
    unimplemented!()
}

/// A topic filter we may subscribe to (wildcard placement, `$share/{name}/{filter}`).
/// Error code 503, message naming the filter and the rule.
pub fn validate_topic_filter(_filter: &str) -> Result<()> {
    unimplemented!()
}

/// Whether `topic` matches `filter` (a `$share/{name}/` prefix is ignored; wildcards at the
/// first level never match a `$` topic).
pub fn matches(_filter: &str, _topic: &str) -> bool {
    unimplemented!()
}

/// `$share/{name}/{filter}` split into (name, filter); None for a non-shared filter.
pub fn split_shared(_filter: &str) -> Option<(&str, &str)> {
    unimplemented!()
}
