//! placeholder: the ffi-c face helper replaces this crate
