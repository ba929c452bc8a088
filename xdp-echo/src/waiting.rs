//! Waiting for the end of a run without a signal handler: SIGINT and SIGTERM
//! are blocked, so they stay pending until sigtimedwait takes them.

use std::fmt;
use std::io;
use std::mem::MaybeUninit;
use std::time::{Duration, Instant};

/// The set of signals that end a run, blocked in the calling thread.
pub struct QuitSignals(libc::sigset_t);

/// Blocks SIGINT and SIGTERM in the calling thread (and threads it starts).
pub fn block_quit_signals() -> io::Result<QuitSignals> {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set; sigaddset and pthread_sigmask
    // get a valid set and valid signal numbers.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGINT);
        libc::sigaddset(set.as_mut_ptr(), libc::SIGTERM);
        let set = set.assume_init();
        match libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) {
            0 => Ok(QuitSignals(set)),
            err => Err(io::Error::from_raw_os_error(err)),
        }
    }
}

/// What ended the wait.
pub enum Ended {
    Signal(i32),
    Duration,
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Ended::Signal(libc::SIGINT) => f.write_str("SIGINT"),
            Ended::Signal(libc::SIGTERM) => f.write_str("SIGTERM"),
            Ended::Signal(n) => write!(f, "signal {n}"),
            Ended::Duration => f.write_str("--duration"),
        }
    }
}

/// Waits for one of `signals`, or until `limit` has passed.
pub fn until_signal_or(signals: &QuitSignals, limit: Option<Duration>) -> io::Result<Ended> {
    let end = limit.map(|limit| Instant::now() + limit);
    loop {
        // Without a limit, wake once a minute: sigtimedwait's timeout is
        // all the clock this needs.
        let left = match end {
            Some(end) => match end.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left,
                _ => return Ok(Ended::Duration),
            },
            None => Duration::from_secs(60),
        };
        let timeout =
            libc::timespec { tv_sec: left.as_secs() as libc::time_t, tv_nsec: left.subsec_nanos() as _ };
        // SAFETY: a valid signal set and timespec; no siginfo wanted.
        let sig = unsafe { libc::sigtimedwait(&signals.0, std::ptr::null_mut(), &timeout) };
        if sig > 0 {
            return Ok(Ended::Signal(sig));
        }
        let err = io::Error::last_os_error();
        if !matches!(err.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EINTR)) {
            return Err(err);
        }
    }
}
