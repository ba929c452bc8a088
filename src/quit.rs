//! The quit flag: set by SIGINT/SIGTERM, `--duration` or a failing lcore,
//! polled by every echo loop once per burst, and slept on by the monitor.

use std::ffi::c_int;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};

/// A flag that any thread (or a signal handler) may set, once, to stop all
/// loops. A futex word (0, then 1), so that a thread can sleep until it is set.
#[derive(Debug, Default)]
pub struct QuitFlag(AtomicU32);

impl QuitFlag {
    pub const fn new() -> QuitFlag {
        QuitFlag(AtomicU32::new(0))
    }

    #[inline(always)]
    pub fn is_set(&self) -> bool {
        // Relaxed: the flag carries no data; loops see it within a burst or two.
        self.0.load(Ordering::Relaxed) != 0
    }

    /// Sets the flag and wakes the threads in [`QuitFlag::wait`].
    /// Async-signal-safe: an atomic store and a system call.
    pub fn set(&self) {
        self.0.store(1, Ordering::Relaxed);
        // SAFETY: FUTEX_WAKE on a word this flag owns only wakes its waiters.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.0.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                i32::MAX,
            );
        }
    }

    /// Sleeps until the flag is set or `timeout` has passed (or a signal
    /// comes); returns whether it is set.
    pub fn wait(&self, timeout: Duration) -> bool {
        let timeout = libc::timespec {
            tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: timeout.subsec_nanos().into(),
        };
        // SAFETY: FUTEX_WAIT on a word this flag owns, with a live timespec;
        // it returns at once if the word is no longer 0 (set).
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.0.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                0u32,
                &timeout as *const libc::timespec,
            );
        }
        self.is_set()
    }
}

static SIGNALLED: QuitFlag = QuitFlag::new();

extern "C" fn on_signal(_signal: c_int) {
    // An atomic store and a futex wake are async-signal-safe; nothing else happens here.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn wait_returns_when_another_thread_sets_the_flag() {
        let quit = QuitFlag::new();
        assert!(!quit.wait(Duration::from_millis(1)), "unset: the timeout ends the wait");
        let started = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(Duration::from_millis(50));
                quit.set();
            });
            assert!(quit.wait(Duration::from_secs(60)));
        });
        assert!(started.elapsed() < Duration::from_secs(30), "woken by set, not by the timeout");
        assert!(quit.wait(Duration::from_secs(60)), "already set: no wait");
    }
}
