//! RFC 2544's back-to-back frames (section 26.4, as RFC 9004 updates it):
//! the longest burst at the rate asked for whose every frame comes back
//! good, by binary search over the burst's length from a trial's worth of
//! frames (`--rate` times `--trial`) down. A burst passes on what came back
//! alone; how fast l2_load got it out is reported beside it, since a burst
//! sent slower than asked is less of a burst.

use anyhow::Result;
use serde::Serialize;

use super::lanes::Lanes;
use super::mix::Probes;
use super::progress::Progress;
use super::search::Search;
use super::trial::{self, Trial, TrialConfig};
use crate::quit::QuitFlag;

/// The trials of one burst length.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LengthResult {
    pub frames: u64,
    pub trials: usize,
    pub passed: usize,
}

/// The bursts of one frame size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeBursts {
    pub size: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mix: Option<String>,
    /// The rate each burst was asked to leave at.
    pub rate_asked: u64,
    /// The longest burst all of whose trials came back whole (0: none did).
    pub frames: u64,
    /// That burst's time at the rate asked, in seconds: how long the echo
    /// kept up, or buffered what it could not keep up with.
    pub burst_s: f64,
    /// The slowest any of that length's trials left, in frames a second (None:
    /// no length passed).
    pub sent_pps: Option<f64>,
    /// Each length tried, with how many of its trials passed.
    pub lengths: Vec<LengthResult>,
    /// Every trial, in the order run.
    pub trials: Vec<Trial>,
}

/// Searches the longest burst of `probes` at `cfg.rate`, each length
/// tried `trials_per_length` times, to `resolution_pct`. `each` sees every
/// trial as it ends.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
#[allow(clippy::too_many_arguments)] // the lanes, what to send, how to search, and the run's quit flag, progress and trial lines
pub fn run(
    lanes: &Lanes<'_, '_>,
    probes: &Probes,
    cfg: &TrialConfig,
    resolution_pct: f64,
    trials_per_length: usize,
    quit: &QuitFlag,
    progress: &mut Progress,
    mut each: impl FnMut(&Trial),
) -> Result<SizeBursts> {
    let mut search = Search::new(cfg.frames(), resolution_pct);
    let (mut lengths, mut trials) = (Vec::new(), Vec::<Trial>::new());
    'search: while let Some(frames) = search.next_try() {
        let mut length = LengthResult { frames, trials: 0, passed: 0 };
        for _ in 0..trials_per_length {
            if quit.is_set() {
                break 'search;
            }
            let step = format!("{}, burst of {frames} at {} pps", probes.mix().name(), cfg.rate);
            let trial = trial::run(lanes, probes, &cfg.of_frames(frames), quit, progress, step)?;
            length.trials += 1;
            // Every frame back good, once, in order: how fast it left is reported, not judged.
            length.passed += usize::from(trial.all_back());
            each(&trial);
            trials.push(trial);
        }
        search.record(frames, length.passed == length.trials);
        lengths.push(length);
    }
    let frames = search.highest_passed();
    let sent_pps = trials.iter().filter(|t| t.planned == frames).map(|t| t.rate_pps).reduce(f64::min);
    Ok(SizeBursts {
        size: probes.mix().bytes(),
        mix: probes.mix().label(),
        rate_asked: cfg.rate,
        frames,
        burst_s: frames as f64 / cfg.rate as f64,
        sent_pps: sent_pps.filter(|_| frames > 0),
        lengths,
        trials,
    })
}
