//! The documented Firewall type (the proxy a connection goes through) as a plain C struct,
//! and the Firewall property. The struct and the Firewall* config settings are two views of
//! the same values.

use crate::handle::{client, mqtt_t};
use crate::panic::{catch, guard};
use crate::strings::{cstring, out_ok, put, str_in};
use ferromq::{Error, Firewall};
use std::ffi::{c_char, c_int, CString};

/// FirewallType: no proxy.
pub const MQTT_FIREWALL_NONE: c_int = 0;
/// FirewallType: an HTTP CONNECT tunnel (port 80 unless given).
pub const MQTT_FIREWALL_TUNNEL: c_int = 1;
/// FirewallType: SOCKS4 (port 1080 unless given).
pub const MQTT_FIREWALL_SOCKS4: c_int = 2;
/// FirewallType: SOCKS5, with user name and password when given (port 1080 unless given).
pub const MQTT_FIREWALL_SOCKS5: c_int = 3;
/// FirewallType: SOCKS4A, which lets the proxy resolve the host name.
pub const MQTT_FIREWALL_SOCKS4A: c_int = 10;

/// The proxy a connection goes through (the documented Firewall type).
///
/// To set it, fill a struct of your own (`mqtt_firewall fw = {0};`) and pass it to
/// mqtt_set_firewall; NULL strings there mean "". mqtt_get_firewall fills one with strings
/// the struct owns: release those with mqtt_firewall_release, never on a struct you filled.
#[repr(C)]
pub struct mqtt_firewall {
    /// Take the proxy from the environment (ALL_PROXY, HTTPS_PROXY, HTTP_PROXY, NO_PROXY)
    /// when firewall_type is MQTT_FIREWALL_NONE.
    pub auto_detect: bool,
    /// One of MQTT_FIREWALL_*.
    pub firewall_type: c_int,
    /// The proxy's name or address.
    pub host: *const c_char,
    pub password: *const c_char,
    /// 0 takes the type's usual port (80 for the tunnel, 1080 for SOCKS); else 1..65535.
    pub port: c_int,
    pub user: *const c_char,
}

/// A C string field of a struct the caller filled: NULL reads as "".
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that outlives `'a`.
unsafe fn field<'a>(ptr: *const c_char, func: &str, what: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Ok("");
    }
    // SAFETY: forwarded from the caller.
    unsafe { str_in(ptr, func, what) }
}

/// Firewall: the proxy settings. Fills `*firewall`; its strings are new: release them with
/// mqtt_firewall_release.
#[no_mangle]
pub unsafe extern "C" fn mqtt_get_firewall(
    mqtt: *const mqtt_t,
    firewall: *mut mqtt_firewall,
) -> c_int {
    const F: &str = "mqtt_get_firewall";
    guard(F, || {
        // SAFETY: forwarded from the caller.
        let c = unsafe { client(mqtt, F) }?;
        out_ok(firewall, F, "firewall")?;
        let fw = c.firewall();
        let out = mqtt_firewall {
            auto_detect: fw.auto_detect,
            firewall_type: fw.firewall_type,
            host: cstring(&fw.host).into_raw(),
            password: cstring(&fw.password).into_raw(),
            port: fw.port,
            user: cstring(&fw.user).into_raw(),
        };
        // SAFETY: checked non-NULL above; the caller promises it is writable.
        unsafe { put(firewall, out) };
        Ok(())
    })
}

/// Set Firewall (the strings are copied). An unknown type or a port outside 0..65535 fails
/// with 10022, naming the value; nothing changes then.
#[no_mangle]
pub unsafe extern "C" fn mqtt_set_firewall(
    mqtt: *mut mqtt_t,
    firewall: *const mqtt_firewall,
) -> c_int {
    const F: &str = "mqtt_set_firewall";
    guard(F, || {
        // SAFETY: forwarded from the caller.
        let c = unsafe { client(mqtt, F) }?;
        // SAFETY: the caller promises NULL or a readable struct; as_ref handles NULL.
        let given = unsafe { firewall.as_ref() }
            .ok_or_else(|| crate::error::invalid(format!("{F}: firewall is NULL")))?;
        let fw = Firewall {
            auto_detect: given.auto_detect,
            firewall_type: given.firewall_type,
            // SAFETY: the struct's strings are NULL or NUL-terminated (the caller's promise).
            host: unsafe { field(given.host, F, "firewall->host") }?.to_string(),
            // SAFETY: as above.
            password: unsafe { field(given.password, F, "firewall->password") }?.to_string(),
            port: given.port,
            // SAFETY: as above.
            user: unsafe { field(given.user, F, "firewall->user") }?.to_string(),
        };
        c.set_firewall(&fw)
    })
}

/// Free the strings of a struct filled by mqtt_get_firewall and zero it. NULL is ignored,
/// and so is a struct already released.
#[no_mangle]
pub unsafe extern "C" fn mqtt_firewall_release(firewall: *mut mqtt_firewall) {
    catch((), || {
        // SAFETY: the caller promises NULL or a struct filled by mqtt_get_firewall.
        let Some(fw) = (unsafe { firewall.as_mut() }) else {
            return;
        };
        for s in [fw.host, fw.password, fw.user] {
            if !s.is_null() {
                // SAFETY: mqtt_get_firewall made these with CString::into_raw, and zeroing
                // below makes a second release a no-op.
                drop(unsafe { CString::from_raw(s.cast_mut()) });
            }
        }
        *fw = mqtt_firewall {
            auto_detect: false,
            firewall_type: 0,
            host: std::ptr::null(),
            password: std::ptr::null(),
            port: 0,
            user: std::ptr::null(),
        };
    })
}
