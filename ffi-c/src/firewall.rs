//! The documented Firewall type (the proxy a connection goes through) as a plain C struct,
//! and the Firewall property. The struct and the Firewall* config settings are two views of
//! the same values.

use crate::handle::{client, mqtt_t};
use crate::panic::{catch, guard};
use crate::ptr::{
    cstring, reclaim_string, sized_in, sized_out_len, sized_put, str_in, SizedStruct,
};
use ferromq::{Error, Firewall};
use std::ffi::{c_char, c_int};
use std::mem::{offset_of, size_of};

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
/// You allocate this struct: set `struct_size` to `sizeof(mqtt_firewall)` first, every time
/// (`mqtt_firewall fw = {.struct_size = sizeof fw};`). To set the property fill the rest and
/// pass it to mqtt_set_firewall; NULL strings there mean "". mqtt_get_firewall fills one with
/// strings the struct owns: release those with mqtt_firewall_release, never on a struct you
/// filled.
///
/// ABI: a later version may add fields at the end. The library reads and writes only the
/// `struct_size` bytes you declared, so a program built against this header keeps working
/// with it (fields it does not know keep their defaults); existing fields never move.
#[repr(C)]
pub struct mqtt_firewall {
    /// `sizeof(mqtt_firewall)` as your header declares it; a smaller value than this
    /// version's first layout fails with 10022.
    pub struct_size: usize,
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

// SAFETY: repr(C), starts with `struct_size: usize`, and all-zero is valid for every field
// (integers, a bool, raw pointers).
unsafe impl SizedStruct for mqtt_firewall {
    // The end of the last field of the first layout: fixed, whatever is appended later.
    const MIN_SIZE: usize = offset_of!(mqtt_firewall, user) + size_of::<*const c_char>();
}

impl mqtt_firewall {
    fn zeroed() -> Self {
        mqtt_firewall {
            struct_size: 0,
            auto_detect: false,
            firewall_type: 0,
            host: std::ptr::null(),
            password: std::ptr::null(),
            port: 0,
            user: std::ptr::null(),
        }
    }
}

/// A C string field of a struct the caller filled: NULL reads as "".
fn field<'a>(ptr: *const c_char, func: &str, what: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Ok("");
    }
    str_in(ptr, func, what)
}

/// Firewall: the proxy settings. Fills `*firewall` (set its `struct_size` first); its strings
/// are new: release them with mqtt_firewall_release. Fails with 10022, changing nothing, if
/// `firewall` is NULL or its `struct_size` is too small.
#[no_mangle]
pub extern "C" fn mqtt_get_firewall(mqtt: *const mqtt_t, firewall: *mut mqtt_firewall) -> c_int {
    const F: &str = "mqtt_get_firewall";
    guard(F, || {
        let c = client(mqtt, F)?;
        let n = sized_out_len(firewall, F, "firewall")?;
        let fw = c.firewall();
        // Every string field lies within MIN_SIZE, so within `n`: none is allocated for
        // nothing. A string field appended later must be allocated only when `n` covers it.
        let out = mqtt_firewall {
            struct_size: n,
            auto_detect: fw.auto_detect,
            firewall_type: fw.firewall_type,
            host: cstring(&fw.host).into_raw(),
            password: cstring(&fw.password).into_raw(),
            port: fw.port,
            user: cstring(&fw.user).into_raw(),
        };
        sized_put(firewall, &out, n);
        Ok(())
    })
}

/// Set Firewall (the strings are copied; set `struct_size` first). An unknown type or a
/// port outside 0..65535 fails with 10022, naming the value; nothing changes then.
#[no_mangle]
pub extern "C" fn mqtt_set_firewall(mqtt: *mut mqtt_t, firewall: *const mqtt_firewall) -> c_int {
    const F: &str = "mqtt_set_firewall";
    guard(F, || {
        let c = client(mqtt, F)?;
        let given = sized_in(firewall, F, "firewall")?;
        let fw = Firewall {
            auto_detect: given.auto_detect,
            firewall_type: given.firewall_type,
            host: field(given.host, F, "firewall->host")?.to_string(),
            password: field(given.password, F, "firewall->password")?.to_string(),
            port: given.port,
            user: field(given.user, F, "firewall->user")?.to_string(),
        };
        c.set_firewall(&fw)
    })
}

/// Free the strings of a struct filled by mqtt_get_firewall and zero them (`struct_size`
/// stays). NULL is ignored, and so is a struct already released.
#[no_mangle]
pub extern "C" fn mqtt_firewall_release(firewall: *mut mqtt_firewall) {
    catch((), || {
        let Ok(fw) = sized_in(firewall, "mqtt_firewall_release", "firewall") else {
            return;
        };
        for s in [fw.host, fw.password, fw.user] {
            // Zeroing below makes a second release a no-op.
            drop(reclaim_string(s.cast_mut()));
        }
        if let Ok(n) = sized_out_len(firewall, "mqtt_firewall_release", "firewall") {
            sized_put(firewall, &mqtt_firewall::zeroed(), n);
        }
    })
}
