//! Strings the library hands out are freed here, by `mqtt_string_free` (reading them in and
//! writing them out is `ptr.rs`'s job).

use crate::panic::catch;
use crate::ptr::reclaim_string;
use std::ffi::c_char;

/// Free a string the library handed out (through a `char **` out-parameter). NULL is
/// ignored. Only for strings from this library: never pass them to `free()`, and never pass
/// other strings here.
#[no_mangle]
pub extern "C" fn mqtt_string_free(s: *mut c_char) {
    catch((), || drop(reclaim_string(s)))
}
