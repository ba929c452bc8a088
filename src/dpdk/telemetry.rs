//! DPDK telemetry: application commands answered from Rust, on DPDK's
//! telemetry threads, for `dpdk-telemetry.py` and its kin.

use std::ffi::{c_char, c_int, CStr, CString};

use anyhow::{bail, Result};

use crate::panic;

/// A dict being filled for a telemetry reply (DPDK owns it).
pub struct TelDict(*mut dpdk_sys::rte_tel_data);

impl TelDict {
    pub fn u64(&mut self, key: &str, value: u64) {
        let key = key_cstring(key);
        // SAFETY: a dict DPDK handed us (or we allocated); the key is copied.
        unsafe { dpdk_sys::rte_tel_data_add_dict_uint(self.0, key.as_ptr(), value) };
    }

    pub fn string(&mut self, key: &str, value: &str) {
        let (key, value) = (key_cstring(key), CString::new(value.replace('\0', "")).unwrap_or_default());
        // SAFETY: as above; both strings are copied.
        unsafe { dpdk_sys::rte_tel_data_add_dict_string(self.0, key.as_ptr(), value.as_ptr()) };
    }

    /// The members of a JSON object, as telemetry can hold them: numbers as
    /// unsigned integers (fractions rounded, negatives 0), strings, booleans
    /// as 0/1, objects as nested dicts, arrays as dicts keyed "0", "1", ...
    /// (DPDK's arrays cannot hold dicts).
    pub fn fill(&mut self, object: &serde_json::Value) {
        let Some(members) = object.as_object() else { return };
        for (key, value) in members {
            self.add(key, value);
        }
    }

    fn add(&mut self, key: &str, value: &serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::Null => {}
            Value::Bool(b) => self.u64(key, u64::from(*b)),
            Value::Number(n) => {
                self.u64(key, n.as_u64().unwrap_or_else(|| n.as_f64().unwrap_or(0.0).round() as u64))
            }
            Value::String(text) => self.string(key, text),
            Value::Object(_) => self.dict(key, |d| d.fill(value)),
            Value::Array(items) => self.dict(key, |d| {
                for (i, item) in items.iter().enumerate() {
                    d.add(&i.to_string(), item);
                }
            }),
        }
    }

    /// A nested dict under `key`, filled by `fill`.
    pub fn dict(&mut self, key: &str, fill: impl FnOnce(&mut TelDict)) {
        // SAFETY: a fresh container; on success DPDK takes it over (keep = 0
        // frees it with the reply), else we free it.
        unsafe {
            let inner = dpdk_sys::rte_tel_data_alloc();
            if inner.is_null() {
                return;
            }
            dpdk_sys::rte_tel_data_start_dict(inner);
            fill(&mut TelDict(inner));
            let key = key_cstring(key);
            if dpdk_sys::rte_tel_data_add_dict_container(self.0, key.as_ptr(), inner, 0) != 0 {
                dpdk_sys::rte_tel_data_free(inner);
            }
        }
    }
}

/// Keys are [0-9A-Za-z_/] for DPDK: anything else becomes '_'.
fn key_cstring(key: &str) -> CString {
    let clean: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '/' { c } else { '_' })
        .collect();
    CString::new(clean).expect("no NUL left")
}

/// An application command: `/name` answered with a dict.
pub trait Command {
    /// "/app/what": [0-9A-Za-z_/], starting with '/'.
    const NAME: &'static CStr;
    const HELP: &'static CStr;
    /// Fills the reply; an error (or a panic) answers null.
    fn answer(params: &str, reply: &mut TelDict) -> Result<()>;
}

extern "C" fn answer<C: Command>(
    _cmd: *const c_char,
    params: *const c_char,
    data: *mut dpdk_sys::rte_tel_data,
) -> c_int {
    let answered = panic::catch(|| {
        // SAFETY: DPDK passes its parameter string (or NULL) and an empty reply.
        let params =
            if params.is_null() { "" } else { unsafe { CStr::from_ptr(params) }.to_str().unwrap_or("") };
        // SAFETY: as above.
        unsafe { dpdk_sys::rte_tel_data_start_dict(data) };
        C::answer(params, &mut TelDict(data))
    });
    match answered.and_then(|result| result) {
        Ok(()) => 0,
        Err(e) => {
            log::debug!("telemetry {:?}: {e:#}", C::NAME);
            -1
        }
    }
}

/// Registers `C` with DPDK's telemetry (for the life of the process: DPDK has
/// no way to unregister).
pub fn register<C: Command>() -> Result<()> {
    // SAFETY: static strings; the callback catches every panic.
    let ret = unsafe {
        dpdk_sys::rte_telemetry_register_cmd(C::NAME.as_ptr(), Some(answer::<C>), C::HELP.as_ptr())
    };
    if ret != 0 {
        bail!("cannot register the telemetry command {:?} ({ret})", C::NAME);
    }
    Ok(())
}
