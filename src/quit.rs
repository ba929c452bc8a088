//! The quit flag: set by SIGINT/SIGTERM, `--duration` or a failing lcore, and
//! polled by every echo loop once per burst.

use std::ffi::c_int;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

/// A flag that any thread (or a signal handler) may set, once, to stop all loops.
#[derive(Debug, Default)]
pub struct QuitFlag(AtomicBool);

impl QuitFlag {
    pub const fn new() -> QuitFlag {
        QuitFlag(AtomicBool::new(false))
    }

    #[inline(always)]
    pub fn is_set(&self) -> bool {
        // Relaxed: the flag carries no data; loops see it within a burst or two.
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

static SIGNALLED: QuitFlag = QuitFlag::new();

extern "C" fn on_signal(_signal: c_int) {
    // An atomic store is async-signal-safe; nothing else happens here.
    SIGNALLED.set();
}

/// Installs the SIGINT and SIGTERM handlers and returns the flag they set.
/// Each handler fires once (SA_RESETHAND): a second Ctrl+C kills at once, in
/// case shutdown itself hangs.
pub fn on_signals() -> Result<&'static QuitFlag> {
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction is valid; the handler only does an atomic store.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error()).context("cannot install the signal handler");
            }
        }
    }
    Ok(&SIGNALLED)
}
