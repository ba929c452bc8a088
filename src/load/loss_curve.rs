//! RFC 2544's frame loss rate (section 26.3): a trial at the rate asked for,
//! then at 90, 80 ... percent of it, until two trials in a row lose nothing
//! (or the steps run out): the loss rate against the offered load.

use anyhow::Result;
use serde::Serialize;

use super::lanes::Lanes;
use super::mix::Probes;
use super::progress::Progress;
use super::trial::{self, Trial, TrialConfig};
use crate::quit::QuitFlag;

/// The step down between trials, in percent of the rate asked (the RFC's
/// "10% or finer").
pub const STEP_PCT: u64 = 10;

/// Which load comes next: down a step at a time from 100%, ending after two
/// trials in a row without loss.
#[derive(Debug, Clone, Default)]
pub struct Curve {
    /// Percent of the rate asked of the next trial (0: none left).
    next_pct: u64,
    lossless_in_a_row: u32,
    started: bool,
}

impl Curve {
    /// The next trial's load in percent of the rate asked, None when done.
    pub fn next_load(&self) -> Option<u64> {
        if !self.started {
            return Some(100);
        }
        (self.lossless_in_a_row < 2 && self.next_pct > 0).then_some(self.next_pct)
    }

    /// The outcome of the trial at `load_pct`: whether it lost anything.
    pub fn record(&mut self, load_pct: u64, lost_any: bool) {
        self.started = true;
        self.lossless_in_a_row = if lost_any { 0 } else { self.lossless_in_a_row + 1 };
        self.next_pct = load_pct.saturating_sub(STEP_PCT);
    }

    /// Ended as the RFC's procedure does: two trials in a row without loss.
    pub fn ended_lossless(&self) -> bool {
        self.lossless_in_a_row >= 2
    }
}

/// One point of the curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub load_pct: u64,
    /// [`Trial::loss_pct`]: frames not back good, in percent of the planned.
    pub loss_pct: f64,
    #[serde(flatten)]
    pub trial: Trial,
}

/// The curve for one frame size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeCurve {
    pub size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mix: Option<String>,
    /// The two last trials lost nothing, as the RFC's procedure ends.
    pub ended_lossless: bool,
    pub points: Vec<CurvePoint>,
}

/// Runs the curve of `probes` from `cfg.rate` down, trials of
/// `cfg.duration` each. `each` sees every point as it ends.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
pub fn run(
    lanes: &Lanes<'_, '_>,
    probes: &Probes,
    cfg: &TrialConfig,
    quit: &QuitFlag,
    progress: &mut Progress,
    mut each: impl FnMut(&CurvePoint),
) -> Result<SizeCurve> {
    let mut curve = Curve::default();
    let mut points = Vec::new();
    while let Some(load_pct) = curve.next_load() {
        let rate = cfg.rate * load_pct / 100;
        if rate == 0 || quit.is_set() {
            break;
        }
        let step = format!("{}, loss at {load_pct}% ({rate} pps)", probes.mix().name());
        let trial = trial::run(lanes, probes, &TrialConfig { rate, ..*cfg }, quit, progress, step)?;
        let point = CurvePoint { load_pct, loss_pct: trial.loss_pct(), trial };
        curve.record(load_pct, point.trial.good < point.trial.planned);
        each(&point);
        points.push(point);
    }
    Ok(SizeCurve {
        size: probes.mix().bytes(),
        mix: probes.mix().label(),
        ended_lossless: curve.ended_lossless(),
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The loads a curve tries against an echo that loses above `capacity` percent.
    fn loads(capacity: u64) -> (Vec<u64>, bool) {
        let mut curve = Curve::default();
        let mut tried = Vec::new();
        while let Some(pct) = curve.next_load() {
            tried.push(pct);
            assert!(tried.len() <= 10, "a curve of more than 10 steps: {tried:?}");
            curve.record(pct, pct > capacity);
        }
        (tried, curve.ended_lossless())
    }

    #[test]
    fn the_curve_steps_down_by_ten_until_two_trials_lose_nothing() {
        assert_eq!(loads(100), (vec![100, 90], true), "nothing lost at the top");
        assert_eq!(loads(75), (vec![100, 90, 80, 70, 60], true));
        assert_eq!(loads(10), ((1..=10).rev().map(|n| n * 10).collect(), false), "one lossless, at 10%");
        assert_eq!(loads(0), ((1..=10).rev().map(|n| n * 10).collect(), false), "loss all the way down");
    }

    #[test]
    fn a_loss_between_lossless_trials_starts_the_count_again() {
        let mut curve = Curve::default();
        for (pct, lost) in [(100, true), (90, false), (80, true), (70, false)] {
            assert_eq!(curve.next_load(), Some(pct));
            curve.record(pct, lost);
        }
        assert_eq!(curve.next_load(), Some(60), "one lossless trial since the last loss");
        assert!(!curve.ended_lossless());
        curve.record(60, false);
        assert_eq!((curve.next_load(), curve.ended_lossless()), (None, true));
    }
}
