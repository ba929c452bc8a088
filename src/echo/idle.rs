//! What an lcore does when its queue is empty. `poll` (the default) polls
//! again at once: the lowest latency, a whole core at 100% whatever the
//! traffic. `adaptive` backs off after a run of empty polls, with sleeps that
//! double from 1 us up to `--idle-max-us`, and polls at full speed again from
//! the first frame, as DPDK's l3fwd-power does; under load it never sleeps.
//! Each lcore decides for its own queue; nothing is shared.

use std::time::Duration;

use clap::ValueEnum;
use serde::Serialize;

use crate::arch;

/// Empty polls in a row before the first sleep: a few microseconds of
/// spinning, so that a queue between two bursts of one flow never sleeps.
const SPIN_POLLS: u32 = 256;
/// The first sleep.
const FIRST_SLEEP: Duration = Duration::from_micros(1);
/// How late the kernel may end a sleep, to fold its timer into others': less
/// than this costs more wake-ups (a VM pays for each), more costs latency.
pub const TIMER_SLACK_NS: u64 = 15_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdleMode {
    /// Poll again at once (busy polling).
    Poll,
    /// Sleep after a run of empty polls, longer each time up to a cap.
    Adaptive,
}

impl std::fmt::Display for IdleMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdleMode::Poll => "poll",
            IdleMode::Adaptive => "adaptive",
        })
    }
}

/// The loop's seam: told of every empty poll and every poll with frames.
pub trait Idle {
    /// After an empty poll; returns the cycles it slept (0: none).
    fn empty_poll(&mut self) -> u64;
    /// After a poll that returned frames.
    fn frames(&mut self);
}

/// Busy polling: nothing at all.
pub struct Poll;

impl Idle for Poll {
    #[inline(always)]
    fn empty_poll(&mut self) -> u64 {
        0
    }

    #[inline(always)]
    fn frames(&mut self) {}
}

/// Back off with growing sleeps while the queue stays empty.
pub struct Adaptive {
    max_sleep: Duration,
    empty_polls: u32,
    next_sleep: Duration,
}

impl Adaptive {
    /// For the calling lcore, whose sleeps may then overshoot by
    /// [`TIMER_SLACK_NS`] instead of Linux's default 50 us.
    pub fn for_this_thread(max_sleep: Duration) -> Adaptive {
        // SAFETY: changes only the calling thread's timer slack.
        if unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, TIMER_SLACK_NS as libc::c_ulong) } != 0 {
            log::warn!("cannot lower this lcore's timer slack: its sleeps may overshoot by up to 50 us");
        }
        Adaptive { max_sleep, empty_polls: 0, next_sleep: FIRST_SLEEP }
    }

    /// The sleep due after one more empty poll, if any; doubles the next.
    fn sleep_due(&mut self) -> Option<Duration> {
        if self.empty_polls < SPIN_POLLS {
            self.empty_polls += 1;
            return None;
        }
        let sleep = self.next_sleep.min(self.max_sleep);
        self.next_sleep = (sleep * 2).min(self.max_sleep);
        Some(sleep)
    }
}

impl Idle for Adaptive {
    #[inline]
    fn empty_poll(&mut self) -> u64 {
        let Some(sleep) = self.sleep_due() else { return 0 };
        let before = arch::cycles();
        std::thread::sleep(sleep);
        arch::cycles().saturating_sub(before)
    }

    #[inline(always)]
    fn frames(&mut self) {
        self.empty_polls = 0;
        self.next_sleep = FIRST_SLEEP;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_start_after_a_run_of_empty_polls_and_double_up_to_the_cap() {
        let mut idle =
            Adaptive { max_sleep: Duration::from_micros(100), empty_polls: 0, next_sleep: FIRST_SLEEP };
        for _ in 0..SPIN_POLLS {
            assert_eq!(idle.sleep_due(), None);
        }
        let us: Vec<u64> = (0..10).map(|_| idle.sleep_due().unwrap().as_micros() as u64).collect();
        assert_eq!(us, [1, 2, 4, 8, 16, 32, 64, 100, 100, 100]);
        idle.frames();
        assert_eq!(idle.sleep_due(), None, "a frame means full speed again");
    }
}
