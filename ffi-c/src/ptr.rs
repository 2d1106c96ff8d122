//! Every raw pointer C hands the library is read, written or taken back here, and only here.
//!
//! The exported functions are plain `extern "C" fn`s: they pass their pointer arguments to
//! these helpers, which check what can be checked (NULL, UTF-8, length) and turn a failed
//! check into `MQTT_ERR_INVALID_ARGUMENT` naming the function and the parameter. What cannot
//! be checked is the caller contract of the header's preamble and of `ffi-c/README.md`
//! ("NULL", "Handles and their lifetime", "Strings and data going in"), and every `unsafe`
//! block below relies on it (their SAFETY comments call it "the contract"):
//!
//! A pointer argument is NULL or points to what its parameter's type says — a live handle
//! made by this library, a NUL-terminated string, `len` readable bytes, a writable
//! out-parameter, a struct of the documented size — valid for the whole call and not
//! written by another thread during it; a pointer given to a `*_free` function was handed
//! out by this library and is given back once.
//!
//! The returned references carry an unbounded lifetime: they are used inside the call only
//! (the library copies whatever it keeps), which is what the contract covers.

use crate::error::invalid;
use ferromq::Error;
use std::ffi::{c_char, CStr, CString};
use std::mem::size_of;

/// Borrow the object `ptr` points to for the call; NULL fails naming `what`.
pub(crate) fn borrow<'a, T>(ptr: *const T, func: &str, what: &str) -> Result<&'a T, Error> {
    // SAFETY: the contract: NULL (handled by as_ref) or a valid, live `T` for the call.
    unsafe { ptr.as_ref() }.ok_or_else(|| invalid(format!("{func}: {what} is NULL")))
}

/// Borrow a NUL-terminated UTF-8 string; NULL or invalid UTF-8 fails naming `what`.
pub(crate) fn str_in<'a>(ptr: *const c_char, func: &str, what: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(invalid(format!("{func}: {what} is NULL")));
    }
    // SAFETY: not NULL, and the contract: a NUL-terminated string valid for the call.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str()
        .map_err(|e| invalid(format!("{func}: {what} is not valid UTF-8 ({e})")))
}

/// Borrow `len` bytes. NULL is allowed only with `len == 0` (an empty buffer).
pub(crate) fn bytes_in<'a>(
    ptr: *const u8,
    len: usize,
    func: &str,
    what: &str,
) -> Result<&'a [u8], Error> {
    slice_in(ptr, len, func, what)
}

/// Borrow an array of `len` values (pointer + length from C). NULL is allowed only with
/// `len == 0` (an empty array).
pub(crate) fn slice_in<'a, T>(
    ptr: *const T,
    len: usize,
    func: &str,
    what: &str,
) -> Result<&'a [T], Error> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(invalid(format!(
            "{func}: {what} is NULL but its length is {len}"
        )));
    }
    let fits = matches!(len.checked_mul(size_of::<T>()), Some(n) if n <= isize::MAX as usize);
    if !fits {
        return Err(invalid(format!(
            "{func}: length {len} of {what} is too large"
        )));
    }
    // SAFETY: not NULL, the size fits isize, and the contract: `len` readable, aligned values
    // of the parameter's type, valid for the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An out-parameter checked for NULL before any work is done, so a NULL one changes nothing.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    /// Check `ptr`; NULL fails naming `what`.
    pub(crate) fn new(ptr: *mut T, func: &str, what: &str) -> Result<Self, Error> {
        if ptr.is_null() {
            return Err(invalid(format!(
                "{func}: {what} (the out-parameter) is NULL"
            )));
        }
        Ok(Out(ptr))
    }

    /// Store `value`. Whatever the location held is overwritten, not dropped: it is C's.
    pub(crate) fn put(self, value: T) {
        // SAFETY: checked non-NULL in `new`, and the contract: writable for a `T` during the call.
        unsafe { self.0.write(value) }
    }
}

impl Out<*mut c_char> {
    /// Hand C a new string (freed with `mqtt_string_free`).
    pub(crate) fn put_string(self, value: &str) {
        self.put(cstring(value).into_raw());
    }
}

/// An optional out-parameter: NULL means the caller does not want the value.
pub(crate) fn put_string_if_wanted(ptr: *mut *mut c_char, value: &str) {
    // Checked before allocating: a string made for a NULL out-parameter would leak.
    if !ptr.is_null() {
        Out(ptr).put_string(value);
    }
}

/// Take back ownership of an object this library handed out with `Box::into_raw`; NULL is
/// None (every `*_free` function ignores NULL).
pub(crate) fn reclaim<T>(ptr: *mut T) -> Option<Box<T>> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the contract: a pointer given to a *_free function came from Box::into_raw of a
    // `T` in this library and is given back once.
    Some(unsafe { Box::from_raw(ptr) })
}

/// Take back a string this library handed out with `CString::into_raw`; NULL is None.
pub(crate) fn reclaim_string(ptr: *mut c_char) -> Option<CString> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the contract: a string given to mqtt_string_free (or found in a struct the
    // library filled) came from CString::into_raw in this library and is given back once.
    Some(unsafe { CString::from_raw(ptr) })
}

/// An owned C copy of `s` (what C sees stops at the first NUL anyway, so cut there).
pub(crate) fn cstring(s: &str) -> CString {
    let end = s.find('\0').unwrap_or(s.len());
    CString::new(&s[..end]).unwrap_or_default()
}

/// A `#[repr(C)]` struct the caller allocates whose first field is `size_t struct_size`
/// (set by the caller to `sizeof` the struct as its header declares it). Older callers pass
/// a smaller struct: the library reads and writes only the bytes it covers.
///
/// # Safety
/// The type is `#[repr(C)]`, starts with a `usize` field, and every field is valid when all
/// its bytes are zero (integers, bools, raw pointers).
pub(crate) unsafe trait SizedStruct {
    /// The size of the first version of the struct: a `struct_size` below it is refused.
    const MIN_SIZE: usize;
}

/// Read the caller's sized struct: the bytes its `struct_size` covers, the rest zero.
pub(crate) fn sized_in<T: SizedStruct>(ptr: *const T, func: &str, what: &str) -> Result<T, Error> {
    let n = sized_len::<T>(ptr.cast(), func, what)?;
    let mut value = std::mem::MaybeUninit::<T>::zeroed();
    // SAFETY: the contract: the caller's struct is readable for the `struct_size` bytes it
    // declares (n is at most that); `value` is a distinct local of size_of::<T>() >= n bytes.
    unsafe { std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), value.as_mut_ptr().cast::<u8>(), n) };
    // SAFETY: SizedStruct: all-zero bytes are a valid T, and the first n bytes are the caller's
    // fields of the same layout.
    Ok(unsafe { value.assume_init() })
}

/// Check the caller's sized struct for writing and return how many bytes of it to fill.
pub(crate) fn sized_out_len<T: SizedStruct>(
    ptr: *mut T,
    func: &str,
    what: &str,
) -> Result<usize, Error> {
    sized_len::<T>(ptr.cast_const().cast(), func, what)
}

/// Write the first `n` bytes (from `sized_out_len`) of `value` into the caller's struct,
/// keeping the caller's `struct_size`.
pub(crate) fn sized_put<T: SizedStruct>(ptr: *mut T, value: &T, n: usize) {
    let skip = size_of::<usize>();
    // SAFETY: the contract: the caller's struct is writable for the `struct_size` bytes it
    // declares; sized_out_len checked ptr non-NULL and skip <= n <= both sizes.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (value as *const T).cast::<u8>().add(skip),
            ptr.cast::<u8>().add(skip),
            n - skip,
        )
    };
}

/// How many bytes of a sized struct to read or write: min(its struct_size, ours).
fn sized_len<T: SizedStruct>(ptr: *const usize, func: &str, what: &str) -> Result<usize, Error> {
    let declared = *borrow(ptr, func, what)?;
    if declared < T::MIN_SIZE {
        return Err(invalid(format!(
            "{func}: {what}->struct_size is {declared}; set it to sizeof the struct \
             (at least {})",
            T::MIN_SIZE
        )));
    }
    Ok(declared.min(size_of::<T>()))
}
