//! placeholder: the python face helper replaces this crate
