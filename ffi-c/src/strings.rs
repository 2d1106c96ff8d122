//! Crossing strings and buffers: C strings in (checked for NULL and UTF-8), owned C strings
//! out (freed by `mqtt_string_free`), and out-parameters.

use crate::error::invalid;
use crate::panic::catch;
use ferromq::Error;
use std::ffi::{c_char, CStr, CString};

/// Borrow a NUL-terminated UTF-8 string from C for the duration of the call.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_in<'a>(
    ptr: *const c_char,
    func: &str,
    what: &str,
) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(invalid(format!("{func}: {what} is NULL")));
    }
    // SAFETY: not NULL, and the caller promises a NUL-terminated string living for 'a.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map_err(|e| invalid(format!("{func}: {what} is not valid UTF-8 ({e})")))
}

/// Borrow `len` bytes from C. NULL is allowed only with `len == 0` (an empty buffer).
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that outlive `'a`.
pub(crate) unsafe fn bytes_in<'a>(
    ptr: *const u8,
    len: usize,
    func: &str,
    what: &str,
) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(invalid(format!(
            "{func}: {what} is NULL but its length is {len}"
        )));
    }
    if len > isize::MAX as usize {
        return Err(invalid(format!(
            "{func}: length {len} of {what} is too large"
        )));
    }
    // SAFETY: not NULL, len fits isize, and the caller promises len readable bytes for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An owned C copy of `s` (what C sees stops at the first NUL anyway, so cut there).
pub(crate) fn cstring(s: &str) -> CString {
    let end = s.find('\0').unwrap_or(s.len());
    CString::new(&s[..end]).unwrap_or_default()
}

/// Check an out-parameter before any work is done, so a NULL one changes nothing.
pub(crate) fn out_ok<T>(out: *mut T, func: &str, what: &str) -> Result<(), Error> {
    if out.is_null() {
        return Err(invalid(format!(
            "{func}: {what} (the out-parameter) is NULL"
        )));
    }
    Ok(())
}

/// Store a value through an out-parameter already checked by `out_ok`.
///
/// # Safety
/// `out` is NULL or valid for a write of `T`.
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: not NULL and the caller promises it is writable.
        unsafe { out.write(value) };
    }
}

/// Hand an owned string to C through `out` (freed later with `mqtt_string_free`).
///
/// # Safety
/// as `put`.
pub(crate) unsafe fn put_string(out: *mut *mut c_char, value: &str) {
    // Checked here, before allocating: a string made for a NULL out-parameter would leak.
    if !out.is_null() {
        // SAFETY: forwarded from the caller.
        unsafe { put(out, cstring(value).into_raw()) };
    }
}

/// Free a string the library handed out (through a `char **` out-parameter). NULL is
/// ignored. Only for strings from this library: never pass them to `free()`, and never pass
/// other strings here.
#[no_mangle]
pub unsafe extern "C" fn mqtt_string_free(s: *mut c_char) {
    catch((), || {
        if !s.is_null() {
            // SAFETY: the caller promises `s` came from `CString::into_raw` in this library
            // and is freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}
