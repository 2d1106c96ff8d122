//! placeholder: the node face helper replaces this crate
