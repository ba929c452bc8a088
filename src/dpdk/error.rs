//! DPDK reports errors as negative return values or through `rte_errno`.

use std::ffi::CStr;

/// The calling thread's `rte_errno`.
pub fn rte_errno() -> i32 {
    // SAFETY: reads a thread-local int through the shim.
    unsafe { dpdk_sys::rte_errno() }
}

/// DPDK's text for an errno value (either sign), e.g. "Invalid argument".
pub fn errno_text(errno: i32) -> String {
    // SAFETY: rte_strerror returns a pointer to a static or thread-local
    // NUL-terminated string, which is copied before anything else runs.
    unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(errno.abs())) }.to_string_lossy().into_owned()
}
