//! RFC 2544 throughput by binary search: the highest rate at which a trial
//! passes (every frame back good, nothing duplicated or reordered, and the
//! sender kept the rate all along), between 0 and the rate asked for, to a
//! resolution.

use anyhow::Result;
use l2_probe::ProbeSpec;

use super::trial::{self, Trial, TrialConfig};
use crate::dpdk::{Port, QueuePair};
use crate::quit::QuitFlag;

/// Most trials one search runs: 2^-30 of the top rate is finer than any
/// resolution allowed.
const MAX_TRIALS: usize = 32;

#[derive(Debug, Clone)]
pub struct Search {
    /// The highest rate that passed (0: none yet).
    passed: u64,
    /// The lowest rate that failed, or above the top before any trial.
    failed: u64,
    top: u64,
    /// Stop when `failed - passed` is at most this fraction of `failed`.
    resolution: f64,
    trials: usize,
}

impl Search {
    /// A search from `top` down, to `resolution_pct` percent.
    pub fn new(top: u64, resolution_pct: f64) -> Search {
        assert!(top > 0 && resolution_pct > 0.0);
        Search { passed: 0, failed: top + 1, top, resolution: resolution_pct / 100.0, trials: 0 }
    }

    /// The next rate to try, None when the search is done. The top rate
    /// first (RFC 2544 starts at the maximum), then halfway between the
    /// highest that passed and the lowest that failed.
    pub fn next_rate(&self) -> Option<u64> {
        if self.trials == 0 {
            return Some(self.top);
        }
        let gap = self.failed - self.passed;
        if self.passed == self.top || gap as f64 <= self.resolution * self.failed as f64 || gap <= 1 {
            return None;
        }
        (self.trials < MAX_TRIALS).then(|| self.passed + gap / 2)
    }

    /// The outcome of a trial at `rate`.
    pub fn record(&mut self, rate: u64, passed: bool) {
        self.trials += 1;
        if passed {
            self.passed = self.passed.max(rate);
        } else {
            self.failed = self.failed.min(rate);
        }
    }

    /// The throughput found: the highest rate that passed (0: none did).
    pub fn throughput(&self) -> u64 {
        self.passed
    }
}

/// The latency trials after a search, in percent of the throughput found.
pub const LATENCY_LOADS: [u64; 4] = [10, 50, 90, 100];

/// A search's result for one frame size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SizeResult {
    pub size: usize,
    /// The highest rate whose trial passed (0: none did).
    pub throughput_pps: u64,
    /// Every search trial, in the order run.
    pub trials: Vec<Trial>,
    /// The latency trials at [`LATENCY_LOADS`] percent of the throughput.
    pub latency: Vec<LatencyTrial>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct LatencyTrial {
    pub load_pct: u64,
    #[serde(flatten)]
    pub trial: Trial,
}

/// Finds the throughput for `cfg.size` from `cfg.rate` down, a trial of
/// `cfg.duration` each, then measures the latency at fractions of it.
/// `each` sees every trial as it ends (progress for people).
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
pub fn throughput(
    port: &Port<'_>,
    queue: &mut QueuePair<'_>,
    spec: &ProbeSpec,
    cfg: &TrialConfig,
    resolution_pct: f64,
    quit: &QuitFlag,
    mut each: impl FnMut(&Trial, Option<u64>),
) -> Result<SizeResult> {
    let mut search = Search::new(cfg.rate, resolution_pct);
    let mut trials = Vec::new();
    while let Some(rate) = search.next_rate() {
        if quit.is_set() {
            break;
        }
        let trial = trial::run(port, queue, spec, &TrialConfig { rate, ..*cfg }, quit)?;
        search.record(rate, trial.passed);
        each(&trial, None);
        trials.push(trial);
    }
    let found = search.throughput();
    let mut latency = Vec::new();
    for load_pct in LATENCY_LOADS {
        let rate = found * load_pct / 100;
        if rate == 0 || quit.is_set() {
            continue;
        }
        let trial = trial::run(port, queue, spec, &TrialConfig { rate, ..*cfg }, quit)?;
        each(&trial, Some(load_pct));
        latency.push(LatencyTrial { load_pct, trial });
    }
    Ok(SizeResult { size: cfg.size, throughput_pps: found, trials, latency })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against an echo that loses frames above `capacity`.
    fn search(top: u64, pct: f64, capacity: u64) -> (u64, Vec<u64>) {
        let mut s = Search::new(top, pct);
        let mut tried = Vec::new();
        while let Some(rate) = s.next_rate() {
            tried.push(rate);
            s.record(rate, rate <= capacity);
        }
        (s.throughput(), tried)
    }

    #[test]
    fn a_top_rate_that_passes_ends_the_search() {
        assert_eq!(search(1_000_000, 1.0, 2_000_000), (1_000_000, vec![1_000_000]));
    }

    #[test]
    fn the_search_closes_in_to_the_resolution() {
        for (top, pct, capacity) in
            [(10_000_000, 1.0, 3_333_333), (10_000_000, 0.1, 9_999_000), (1000, 5.0, 1)]
        {
            let (found, tried) = search(top, pct, capacity);
            assert!(found <= capacity, "{found} passed above {capacity}");
            let failed = tried.iter().copied().filter(|&r| r > capacity).min().unwrap();
            assert!(
                (failed - found) as f64 <= pct / 100.0 * failed as f64 || failed - found <= 1,
                "{tried:?}"
            );
            assert_eq!(tried[0], top);
            // Halving from the top to a gap of pct% of the capacity.
            let halvings = (top as f64 / (pct / 100.0 * capacity as f64)).log2().ceil() as usize;
            assert!(tried.len() <= 1 + halvings, "{} trials: {tried:?}", tried.len());
        }
    }

    #[test]
    fn nothing_passing_finds_zero() {
        let (found, tried) = search(1000, 1.0, 0);
        assert_eq!(found, 0);
        assert!(tried.len() <= MAX_TRIALS && *tried.last().unwrap() <= 1, "{tried:?}");
    }

    #[test]
    fn a_search_that_would_go_on_stops_at_max_trials() {
        // 2^60 down to a resolution of 10^-9 %: some 90 halvings.
        let (found, tried) = search(1 << 60, 1e-9, 12_345);
        assert_eq!(tried.len(), MAX_TRIALS, "{tried:?}");
        assert!(found <= 12_345);
    }

    #[test]
    fn a_flaky_trial_cannot_raise_the_lowest_failure() {
        let mut s = Search::new(100, 1.0);
        s.record(100, false);
        s.record(50, false);
        s.record(75, false); // higher than a failure already seen
        assert_eq!(s.next_rate(), Some(25));
    }
}
