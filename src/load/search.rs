//! RFC 2544 throughput by binary search: the highest rate at which a trial
//! passes (every frame back good, nothing duplicated or reordered, and the
//! sender kept the rate all along), between 0 and the rate asked for, to a
//! resolution.

use anyhow::Result;

use super::lanes::Lanes;
use super::mix::Probes;
use super::progress::Progress;
use super::trial::{self, Trial, TrialConfig};
use crate::quit::QuitFlag;

/// Most trials one search runs: 2^-30 of the top is finer than any
/// resolution allowed.
const MAX_TRIALS: usize = 32;

/// A binary search for the highest value that passes, from the top down:
/// a rate (the throughput), or with --back-to-back a burst's length.
#[derive(Debug, Clone)]
pub struct Search {
    /// The highest value that passed below the lowest that failed (0: none).
    passed: u64,
    /// The lowest value that failed, or above the top before any failure.
    failed: u64,
    /// Every value that passed: a failure below one of them (a flaky trial,
    /// or the partial drop search seeded with the zero-loss search's rates)
    /// takes the search below it, to the highest pass still under it.
    passes: Vec<u64>,
    top: u64,
    /// Stop when `failed - passed` is at most this fraction of `failed`.
    resolution: f64,
    trials: usize,
}

impl Search {
    /// A search from `top` down, to `resolution_pct` percent.
    pub fn new(top: u64, resolution_pct: f64) -> Search {
        assert!(top > 0 && resolution_pct > 0.0);
        Search {
            passed: 0,
            failed: top + 1,
            passes: Vec::new(),
            top,
            resolution: resolution_pct / 100.0,
            trials: 0,
        }
    }

    /// The next value to try, None when the search is done. The top first
    /// (RFC 2544 starts at the maximum), then halfway between the highest
    /// that passed and the lowest that failed.
    pub fn next_try(&self) -> Option<u64> {
        if self.trials == 0 {
            return Some(self.top);
        }
        let gap = self.failed - self.passed;
        if self.passed == self.top || gap as f64 <= self.resolution * self.failed as f64 || gap <= 1 {
            return None;
        }
        (self.trials < MAX_TRIALS).then(|| self.passed + gap / 2)
    }

    /// The outcome of a trial at `value`.
    pub fn record(&mut self, value: u64, passed: bool) {
        self.trials += 1;
        if passed {
            self.passes.push(value);
        } else {
            self.failed = self.failed.min(value);
        }
        // Always below the lowest failure, so the gap never wraps.
        self.passed = self.passes.iter().copied().filter(|&r| r < self.failed).max().unwrap_or(0);
    }

    /// What the search found: the highest value that passed below every
    /// failure (0: none did).
    pub fn highest_passed(&self) -> u64 {
        self.passed
    }
}

/// The latency trials after a search, in percent of the throughput found.
pub const LATENCY_LOADS: [u64; 4] = [10, 50, 90, 100];

/// What a search asks of each rate.
#[derive(Debug, Clone, Copy)]
pub struct SearchConfig {
    /// Stop within this percentage (see [`Search`]).
    pub resolution_pct: f64,
    /// Also the partial drop rate: at most this percentage not back good.
    pub pdr_pct: Option<f64>,
    /// Trials at each rate; a rate passes when all of them do.
    pub trials_per_rate: usize,
}

/// The trials at one rate: how many ran, how many passed as RFC 2544
/// trials, and (with --pdr) how many within the partial drop rate.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RateResult {
    pub rate_pps: u64,
    pub trials: usize,
    pub passed: usize,
    pub passed_pdr: Option<usize>,
}

impl RateResult {
    fn ndr_passed(&self) -> bool {
        self.passed == self.trials
    }

    fn pdr_passed(&self) -> bool {
        self.passed_pdr == Some(self.trials)
    }
}

/// The zero-loss search, then with a PDR the partial drop search, which
/// starts from what the first one's rates already showed. `at_rate` runs a
/// rate's trials (None: interrupted, the search ends there). Returns the
/// NDR, the PDR (None without one) and every rate tried, in order.
fn search_ndr_then_pdr(
    top: u64,
    cfg: &SearchConfig,
    mut at_rate: impl FnMut(u64) -> Result<Option<RateResult>>,
) -> Result<(u64, Option<u64>, Vec<RateResult>)> {
    let mut rates = Vec::new();
    let mut ndr = Search::new(top, cfg.resolution_pct);
    while let Some(rate) = ndr.next_try() {
        let Some(r) = at_rate(rate)? else { return Ok((ndr.highest_passed(), None, rates)) };
        ndr.record(rate, r.ndr_passed());
        rates.push(r);
    }
    if cfg.pdr_pct.is_none() {
        return Ok((ndr.highest_passed(), None, rates));
    }
    let mut pdr = Search::new(top, cfg.resolution_pct);
    for r in &rates {
        pdr.record(r.rate_pps, r.pdr_passed());
    }
    while let Some(rate) = pdr.next_try() {
        let Some(r) = at_rate(rate)? else { break };
        pdr.record(rate, r.pdr_passed());
        rates.push(r);
    }
    Ok((ndr.highest_passed(), Some(pdr.highest_passed()), rates))
}

/// A search's result for one frame size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SizeResult {
    pub size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mix: Option<String>,
    /// The highest rate whose trials all passed (0: none did): the NDR.
    pub throughput_pps: u64,
    /// With --pdr: its percentage, and the highest rate whose trials all
    /// passed within it.
    pub pdr_pct: Option<f64>,
    pub pdr_pps: Option<u64>,
    /// Each rate tried, with how many of its trials passed.
    pub rates: Vec<RateResult>,
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

/// Finds the throughput (and with a PDR the partial drop rate) of `probes`
/// from `cfg.rate` down, trials of `cfg.duration` each, then
/// measures the latency at fractions of the throughput. `each` sees every
/// trial as it ends (progress for people).
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
pub fn throughput(
    lanes: &Lanes<'_, '_>,
    probes: &Probes,
    cfg: &TrialConfig,
    search: &SearchConfig,
    quit: &QuitFlag,
    progress: &mut Progress,
    mut each: impl FnMut(&Trial, Option<u64>),
) -> Result<SizeResult> {
    let mut trials = Vec::new();
    let pdr = search.pdr_pct.map(|pct| pct / 100.0);
    let (found, pdr_pps, rates) = search_ndr_then_pdr(cfg.rate, search, |rate| {
        let mut r = RateResult { rate_pps: rate, trials: 0, passed: 0, passed_pdr: pdr.map(|_| 0) };
        for _ in 0..search.trials_per_rate {
            if quit.is_set() {
                return Ok(None);
            }
            let step = format!("{}, search trial {} at {rate} pps", probes.mix().name(), trials.len() + 1);
            let trial = trial::run(lanes, probes, &TrialConfig { rate, ..*cfg }, quit, progress, step)?;
            r.trials += 1;
            r.passed += usize::from(trial.passed);
            if let (Some(loss), Some(n)) = (pdr, r.passed_pdr.as_mut()) {
                *n += usize::from(trial.passes_within(loss));
            }
            each(&trial, None);
            trials.push(trial);
        }
        Ok(Some(r))
    })?;
    let mut latency = Vec::new();
    for load_pct in LATENCY_LOADS {
        let rate = found * load_pct / 100;
        if rate == 0 || quit.is_set() {
            continue;
        }
        let step = format!("{}, latency at {load_pct}% ({rate} pps)", probes.mix().name());
        let trial = trial::run(lanes, probes, &TrialConfig { rate, ..*cfg }, quit, progress, step)?;
        each(&trial, Some(load_pct));
        latency.push(LatencyTrial { load_pct, trial });
    }
    Ok(SizeResult {
        size: probes.mix().bytes(),
        mix: probes.mix().label(),
        throughput_pps: found,
        pdr_pct: search.pdr_pct,
        pdr_pps,
        rates,
        trials,
        latency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a search against an echo that loses frames above `capacity`.
    fn search(top: u64, pct: f64, capacity: u64) -> (u64, Vec<u64>) {
        let mut s = Search::new(top, pct);
        let mut tried = Vec::new();
        while let Some(rate) = s.next_try() {
            tried.push(rate);
            s.record(rate, rate <= capacity);
        }
        (s.highest_passed(), tried)
    }

    #[test]
    fn a_rate_that_failed_once_is_no_throughput_though_it_also_passed() {
        let mut s = Search::new(1000, 1.0);
        s.record(1000, false);
        s.record(500, true);
        s.record(750, true);
        s.record(750, false);
        assert_eq!(s.highest_passed(), 500, "750 failed as well as passed");
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

    /// An echo that delivers everything up to `clean` pps and loses a
    /// growing share above it: `loss_pct(rate)`; each rate's `n` trials
    /// judged by it (`flaky`: the rates whose last trial alone fails).
    fn both(
        top: u64,
        clean: u64,
        pdr_pct: Option<f64>,
        n: usize,
        flaky: &[u64],
    ) -> (u64, Option<u64>, Vec<RateResult>) {
        let loss_pct =
            |rate: u64| if rate <= clean { 0.0 } else { (rate - clean) as f64 / rate as f64 * 100.0 };
        let cfg = SearchConfig { resolution_pct: 1.0, pdr_pct, trials_per_rate: n };
        search_ndr_then_pdr(top, &cfg, |rate| {
            let bad_last = usize::from(flaky.contains(&rate));
            let passed = if loss_pct(rate) == 0.0 { n - bad_last } else { 0 };
            let within = pdr_pct.map(|p| if loss_pct(rate) <= p { n - bad_last } else { 0 });
            Ok(Some(RateResult { rate_pps: rate, trials: n, passed, passed_pdr: within }))
        })
        .unwrap()
    }

    #[test]
    fn the_partial_drop_rate_is_found_above_the_zero_loss_rate() {
        // Above 400,000 pps the echo loses (rate - 400,000) / rate: 5% at
        // 421,053 pps, so the PDR at 5% is about 421,000 and the NDR 400,000.
        let (ndr, pdr, rates) = both(1_000_000, 400_000, Some(5.0), 1, &[]);
        assert!((396_000..=400_000).contains(&ndr), "{ndr}");
        let pdr = pdr.expect("asked for");
        assert!((416_800..=421_053).contains(&pdr), "{pdr}");
        let pdr_only = rates.iter().filter(|r| r.rate_pps > 400_000 && r.pdr_passed()).count();
        assert!(pdr_only > 0, "some rates passed the PDR and not the NDR: {rates:?}");
        let (again, none, _) = both(1_000_000, 400_000, None, 1, &[]);
        assert_eq!((again, none), (ndr, None), "without --pdr the same NDR, no PDR");
    }

    #[test]
    fn the_partial_drop_search_starts_from_the_zero_loss_rates() {
        let (_, _, with) = both(1_000_000, 400_000, Some(5.0), 1, &[]);
        let (_, _, ndr_only) = both(1_000_000, 400_000, None, 1, &[]);
        let fresh = search(1_000_000, 1.0, 421_052).1.len();
        let pdr_trials = with.len() - ndr_only.len();
        assert!(pdr_trials < fresh, "{pdr_trials} rates for the PDR, {fresh} from scratch: {with:?}");
        let tried = |rates: &[RateResult]| rates.iter().map(|r| (r.rate_pps, r.passed)).collect::<Vec<_>>();
        assert_eq!(tried(&with[..ndr_only.len()]), tried(&ndr_only), "the NDR's rates come first, unchanged");
    }

    #[test]
    fn a_rate_passes_only_when_every_trial_does() {
        // 1,000,000 pps is within the echo's capacity, but its third trial fails.
        let (ndr, _, rates) = both(1_000_000, 2_000_000, None, 3, &[1_000_000]);
        assert_eq!(rates[0], RateResult { rate_pps: 1_000_000, trials: 3, passed: 2, passed_pdr: None });
        assert!(ndr < 1_000_000, "a rate with a failed trial does not pass: {ndr}");
        let (ndr, _, rates) = both(1_000_000, 2_000_000, None, 3, &[]);
        assert_eq!((ndr, rates.len()), (1_000_000, 1), "all three passed at the top");
    }

    #[test]
    fn an_interrupted_search_keeps_what_it_found() {
        let cfg = SearchConfig { resolution_pct: 1.0, pdr_pct: Some(1.0), trials_per_rate: 1 };
        let mut calls = 0;
        let (ndr, pdr, rates) = search_ndr_then_pdr(1000, &cfg, |rate| {
            calls += 1;
            let ok = rate <= 300;
            Ok((calls <= 3).then_some(RateResult {
                rate_pps: rate,
                trials: 1,
                passed: usize::from(ok),
                passed_pdr: Some(usize::from(ok)),
            }))
        })
        .unwrap();
        assert_eq!(rates.len(), 3, "{rates:?}");
        assert_eq!((ndr, pdr), (250, None), "1000 and 500 failed, 250 passed; no PDR search began");
    }

    #[test]
    fn a_failure_below_a_pass_takes_the_search_below_it() {
        // The partial drop search, seeded: 500 passed within the PDR (its
        // NDR trial failed), then 250 failed it (a flaky trial).
        let mut s = Search::new(1000, 1.0);
        s.record(1000, false);
        s.record(500, true);
        s.record(250, false);
        assert_eq!(s.highest_passed(), 0, "no pass below the lowest failure");
        assert_eq!(s.next_try(), Some(125));
        s.record(125, true);
        assert_eq!((s.highest_passed(), s.next_try()), (125, Some(187)));
    }

    proptest::proptest! {
        /// Whatever the outcomes, in whatever order: the next rate stays
        /// within 1..=top, and the throughput is a rate that passed below
        /// every failure (or 0).
        #[test]
        fn any_outcomes_keep_the_search_in_bounds(
            top in 1u64..=100_000_000,
            outcomes in proptest::collection::vec((0.0f64..=1.0, proptest::bool::ANY), 0..40),
        ) {
            let mut s = Search::new(top, 1.0);
            let mut seen = Vec::new();
            for (at, passed) in outcomes {
                let rate = ((top as f64 * at) as u64).clamp(1, top);
                s.record(rate, passed);
                seen.push((rate, passed));
                if let Some(next) = s.next_try() {
                    proptest::prop_assert!((1..=top).contains(&next), "{next} of {top} after {seen:?}");
                }
            }
            let found = s.highest_passed();
            let lowest_failure = seen.iter().filter(|o| !o.1).map(|o| o.0).min().unwrap_or(u64::MAX);
            proptest::prop_assert!(found < lowest_failure);
            proptest::prop_assert!(found == 0 || seen.contains(&(found, true)), "{found}: {seen:?}");
        }
    }

    #[test]
    fn a_flaky_trial_cannot_raise_the_lowest_failure() {
        let mut s = Search::new(100, 1.0);
        s.record(100, false);
        s.record(50, false);
        s.record(75, false); // higher than a failure already seen
        assert_eq!(s.next_try(), Some(25));
    }
}
