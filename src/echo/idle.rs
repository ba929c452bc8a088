//! What an lcore does when its queue is empty. `poll` (the default) polls
//! again at once: the lowest latency, a whole core at 100% whatever the
//! traffic. `adaptive` backs off after a run of empty polls, with sleeps that
//! double from 1 us up to `--idle-max-us`; once the queue has been quiet for
//! [`DEEP_AFTER`] it sleeps `--idle-deep-us` at a time, as DPDK's
//! l3fwd-power goes from short pauses to sleeping until an interrupt. From the
//! first frame it polls at full speed again; under load it never sleeps. Each
//! lcore decides for its own queue; nothing is shared.

use std::time::Duration;

use clap::ValueEnum;
use serde::Serialize;

use crate::arch;

/// Empty polls in a row before the first sleep: a few microseconds of
/// spinning, so that a queue between two bursts of one flow never sleeps.
const SPIN_POLLS: u32 = 256;
/// The first sleep.
const FIRST_SLEEP: Duration = Duration::from_micros(1);
/// How long a queue sleeps at `--idle-max-us` before its sleeps get deep: a
/// queue with a frame at least every 100 ms keeps its short sleeps.
pub const DEEP_AFTER: Duration = Duration::from_millis(100);
/// How late the kernel may end a sleep to fold its timer into another's.
/// Linux's default, 50 us, would add as much to every short sleep; the deep
/// sleeps, not slack, are what keep a quiet queue's wake-ups few.
pub const TIMER_SLACK_NS: u64 = 1_000;

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

/// How `adaptive` sleeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sleeps {
    /// The longest sleep while the queue is in use (`--idle-max-us`).
    pub max: Duration,
    /// Each sleep once the queue has been quiet for [`DEEP_AFTER`]
    /// (`--idle-deep-us`); never shorter than `max`.
    pub deep: Duration,
}

/// Back off with growing sleeps while the queue stays empty.
pub struct Adaptive {
    sleeps: Sleeps,
    /// Sleeps at `sleeps.max` that make [`DEEP_AFTER`].
    max_sleeps_before_deep: u32,
    /// Since the last frame: empty polls (up to [`SPIN_POLLS`]), the next
    /// doubling sleep, and sleeps at `sleeps.max`.
    empty_polls: u32,
    next_sleep: Duration,
    max_sleeps: u32,
}

impl Adaptive {
    /// For the calling lcore, whose sleeps may then overshoot by
    /// [`TIMER_SLACK_NS`] instead of Linux's default 50 us.
    pub fn for_this_thread(sleeps: Sleeps) -> Adaptive {
        if let Err(e) = lower_timer_slack() {
            log::warn!(
                "cannot lower this lcore's timer slack ({e}): its sleeps may overshoot by up to 50 us"
            );
        }
        Adaptive::new(sleeps)
    }

    fn new(sleeps: Sleeps) -> Adaptive {
        let max_sleeps_before_deep = DEEP_AFTER.as_nanos().div_ceil(sleeps.max.as_nanos().max(1));
        Adaptive {
            sleeps: Sleeps { deep: sleeps.deep.max(sleeps.max), ..sleeps },
            max_sleeps_before_deep: u32::try_from(max_sleeps_before_deep).unwrap_or(u32::MAX),
            empty_polls: 0,
            next_sleep: FIRST_SLEEP,
            max_sleeps: 0,
        }
    }

    /// The sleep due after one more empty poll, if any.
    fn sleep_due(&mut self) -> Option<Duration> {
        if self.empty_polls < SPIN_POLLS {
            self.empty_polls += 1;
            return None;
        }
        if self.next_sleep < self.sleeps.max {
            let sleep = self.next_sleep;
            self.next_sleep = (sleep * 2).min(self.sleeps.max);
            return Some(sleep);
        }
        if self.max_sleeps < self.max_sleeps_before_deep {
            self.max_sleeps += 1;
            return Some(self.sleeps.max);
        }
        Some(self.sleeps.deep)
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
        self.max_sleeps = 0;
    }
}

/// Lets the calling thread's sleeps overshoot by [`TIMER_SLACK_NS`].
fn lower_timer_slack() -> std::io::Result<()> {
    // SAFETY: changes only the calling thread's timer slack.
    match unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, TIMER_SLACK_NS as libc::c_ulong) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timer_slack_is_lowered_for_this_thread() {
        lower_timer_slack().expect("Linux lets a thread lower its own timer slack");
        // SAFETY: reads the calling thread's timer slack.
        assert_eq!(unsafe { libc::prctl(libc::PR_GET_TIMERSLACK) } as u64, TIMER_SLACK_NS);
    }

    #[test]
    fn an_empty_poll_reports_the_cycles_it_slept() {
        let max = Duration::from_micros(200);
        let mut idle = Adaptive::new(Sleeps { max, deep: max });
        let spinning: u64 = (0..SPIN_POLLS).map(|_| idle.empty_poll()).sum();
        assert_eq!(spinning, 0, "no sleep before SPIN_POLLS empty polls");
        // Then sleeps of 1, 2, 4, ... 128, 200 us, at least 455 us in all: over
        // 1000 cycles of any counter faster than 2.2 MHz (arm64's is 24 MHz
        // or more, x86's TSC GHz), and no more than the time that passed.
        let before = arch::cycles();
        let slept: u64 = (0..9).map(|_| idle.empty_poll()).sum();
        let passed = arch::cycles() - before;
        assert!(slept > 1000 && slept <= passed, "{slept} cycles slept in {passed}");
    }

    #[test]
    fn busy_polling_never_sleeps_and_modes_print_as_typed() {
        assert_eq!(Poll.empty_poll(), 0);
        assert_eq!(
            (IdleMode::Poll.to_string(), IdleMode::Adaptive.to_string()),
            ("poll".into(), "adaptive".into())
        );
    }

    fn us(sleep: Option<Duration>) -> u64 {
        sleep.expect("a sleep is due").as_micros() as u64
    }

    #[test]
    fn sleeps_start_after_a_run_of_empty_polls_and_double_up_to_the_cap_then_get_deep() {
        let max = Duration::from_micros(100);
        let mut idle = Adaptive::new(Sleeps { max, deep: Duration::from_millis(1) });
        for _ in 0..SPIN_POLLS {
            assert_eq!(idle.sleep_due(), None);
        }
        let doubling: Vec<u64> = (0..7).map(|_| us(idle.sleep_due())).collect();
        assert_eq!(doubling, [1, 2, 4, 8, 16, 32, 64]);
        let at_max = (DEEP_AFTER.as_micros() / max.as_micros()) as usize;
        assert!((0..at_max).all(|_| us(idle.sleep_due()) == 100), "{DEEP_AFTER:?} at the cap");
        assert_eq!(us(idle.sleep_due()), 1000, "then deep");
        assert_eq!(us(idle.sleep_due()), 1000);
        idle.frames();
        let again: Vec<Option<Duration>> = (0..SPIN_POLLS + 2).map(|_| idle.sleep_due()).collect();
        assert!(again[..SPIN_POLLS as usize].iter().all(Option::is_none), "a frame means full speed again");
        assert_eq!(
            again[SPIN_POLLS as usize..].iter().map(|s| us(*s)).collect::<Vec<_>>(),
            [1, 2],
            "from 1 us"
        );
    }

    #[test]
    fn deep_sleeps_are_never_shorter_than_the_cap() {
        for deep in [Duration::ZERO, Duration::from_micros(10)] {
            let mut idle = Adaptive::new(Sleeps { max: Duration::from_micros(50), deep });
            let sleeps: Vec<Duration> = (0..100_000).filter_map(|_| idle.sleep_due()).collect();
            assert_eq!(sleeps.iter().max(), Some(&Duration::from_micros(50)), "deep {deep:?}");
            assert_eq!(sleeps.last(), Some(&Duration::from_micros(50)), "deep {deep:?}");
        }
    }
}
