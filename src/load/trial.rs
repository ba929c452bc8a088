//! One trial: frames at a fixed rate for a fixed time on each lane's queue
//! pair, every reply checked and timed, then a drain until all are back or
//! the timeout passes. The loop alternates a receive and a send, on the cycle counter.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, Result};
use l2_probe::tally::SeenSet;
use l2_probe::{Outcome, Percentiles, ProbeSpec, Tally, Verdict};
use serde::Serialize;

use super::lanes::{CrewState, Lane, LaneRates, Lanes, SentSet, Solo};
use super::mix::{Frames, Probes, Specs};
use super::progress::{Progress, Sink};
use super::schedule::{Schedule, SendLag};
use crate::arch::cycles;
use crate::dpdk::{tsc_hz, MbufBurst, Port, PortStats, QueuePair};
use crate::quit::QuitFlag;

/// Bad frames shown in full (the rest are counted).
const BAD_SHOWN: usize = 4;
/// Byte offsets shown per bad frame.
const OFFSETS_SHOWN: usize = 8;
/// The longest a trial's learning frames wait for one to come back: ten
/// times an adaptive echo's deepest sleep (`--idle-deep-us`, 0.1 s at most).
const LEARNING_LIMIT: Duration = Duration::from_secs(1);
/// What a frame takes on an Ethernet wire beyond its bytes: FCS (4),
/// preamble and start delimiter (8), inter-frame gap (12).
pub const WIRE_OVERHEAD: usize = 24;

#[derive(Debug, Clone, Copy)]
pub struct TrialConfig {
    pub rate: u64,
    pub duration: Duration,
    pub burst: u16,
    pub timeout: Duration,
    /// The pause before the trial's learning frames (`--rest`).
    pub rest: Duration,
}

impl TrialConfig {
    /// The frames the trial's schedule holds: the rate times the duration.
    pub fn frames(&self) -> u64 {
        ((self.rate as f64 * self.duration.as_secs_f64()).round() as u64).max(1)
    }

    /// This trial made `frames` long at its rate (a back-to-back burst):
    /// a duration to the nanosecond, which at most 10^8 frames a second is
    /// a tenth of a frame at worst, so [`TrialConfig::frames`] gives
    /// `frames` back.
    pub fn of_frames(&self, frames: u64) -> TrialConfig {
        let nanos = (u128::from(frames) * 1_000_000_000).div_ceil(u128::from(self.rate));
        TrialConfig { duration: Duration::from_nanos(nanos as u64), ..*self }
    }
}

/// A frame that came back wrong.
#[derive(Debug, Clone, Serialize)]
pub struct BadFrame {
    pub seq: u64,
    /// What was wrong: "addresses" (to/from whom) or "bytes".
    pub what: &'static str,
    /// The first byte offsets that differ from the expected reply.
    pub offsets: Vec<usize>,
}

/// What l2_load's own port dropped during a trial (its `rte_eth_stats`,
/// after less before): on this side of the wire, no fault of the echo's. Any
/// frame counts, this trial's or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PortDrops {
    /// Received frames the RX ring had no room for.
    pub imissed: u64,
    /// Received frames with no mbuf to go into.
    pub rx_nombuf: u64,
    /// Received frames in error.
    pub ierrors: u64,
    /// Frames the port took to send and did not.
    pub oerrors: u64,
}

impl PortDrops {
    /// The drops from `before` to `after` (none where a counter went back).
    pub fn between(before: &PortStats, after: &PortStats) -> PortDrops {
        PortDrops {
            imissed: after.imissed.saturating_sub(before.imissed),
            rx_nombuf: after.rx_nombuf.saturating_sub(before.rx_nombuf),
            ierrors: after.ierrors.saturating_sub(before.ierrors),
            oerrors: after.oerrors.saturating_sub(before.oerrors),
        }
    }

    pub fn total(&self) -> u64 {
        self.imissed + self.rx_nombuf + self.ierrors + self.oerrors
    }
}

/// The counters that are not zero: "imissed 3, oerrors 1".
impl fmt::Display for PortDrops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counters = [
            ("imissed", self.imissed),
            ("rx_nombuf", self.rx_nombuf),
            ("ierrors", self.ierrors),
            ("oerrors", self.oerrors),
        ];
        let shown: Vec<String> =
            counters.iter().filter(|(_, n)| *n > 0).map(|(name, n)| format!("{name} {n}")).collect();
        f.write_str(&shown.join(", "))
    }
}

/// What a trial sent and got back. Each frame sent is exactly one of good,
/// bad, late or lost, its first copy back deciding which; duplicates,
/// unmatched and other frames are counted beside them.
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    /// The frames' size in bytes (a mix's: its mean, to the byte).
    pub size: usize,
    /// The mix of sizes, as `--size` takes it (None: one size).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mix: Option<String>,
    /// The rate asked for.
    pub rate_asked: u64,
    pub duration_s: f64,
    /// Frames the schedule held: the rate times the duration.
    pub planned: u64,
    pub sent: u64,
    /// Back correct and within --timeout.
    pub good: u64,
    /// Back with wrong addresses or bytes.
    pub bad: u64,
    /// Back correct, after --timeout.
    pub late: u64,
    /// Never back by the end of the drain.
    pub lost: u64,
    /// The sequence number of the first lost frame (None: none lost): where
    /// in the trial the losses began (at `first_lost / rate_asked` seconds).
    pub first_lost: Option<u64>,
    /// The longest round trip of a late frame (None: none late).
    pub late_max_ns: Option<u64>,
    /// Later copies of frames already back.
    pub duplicates: u64,
    /// Good or late frames that came after a later one of their own flow.
    pub reordered: u64,
    /// Frames of this trial with a sequence number never sent (damaged there).
    pub unmatched: u64,
    /// Frames that carried none of this trial's probes (another trial's
    /// stragglers, the kernel's own frames on a veth).
    pub other: u64,
    /// What l2_load's own port dropped meanwhile, apart from the echo's losses.
    pub own_port_drops: PortDrops,
    /// The rate achieved: frames sent over the time from the first frame's
    /// schedule to the last send.
    pub rate_pps: f64,
    /// That rate in bits a second on an Ethernet wire: each frame with its
    /// FCS, preamble and inter-frame gap ([`WIRE_OVERHEAD`]).
    pub wire_bps: f64,
    /// The speed of l2_load's link as its driver reports it, in Mb/s (None:
    /// it reports none; a virtual port's is nominal).
    pub link_speed_mbps: Option<u32>,
    /// `wire_bps` in percent of that speed.
    pub link_pct: Option<f64>,
    /// The learning frames sent before the trial, after its rest.
    pub learning: WarmUp,
    /// Passed as an RFC 2544 trial: [`Trial::passes`].
    pub passed: bool,
    /// How far behind its schedule the last frame left, in seconds.
    pub send_lag_s: f64,
    /// How far behind its schedule the sender ran at worst, in seconds: a
    /// stall it caught up on shows here, not in `send_lag_s`.
    pub send_lag_max_s: f64,
    /// The good frames' round trips (late ones: `late_max_ns`).
    pub rtt_ns: Option<Percentiles>,
    pub bad_frames: Vec<BadFrame>,
    /// The good frames' percentile distribution, for --plot and l2_plot:
    /// (fraction at or below, ns).
    pub distribution: Vec<(f64, f64)>,
    /// With several lcores, what each sent and received.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lanes: Vec<LaneRates>,
}

impl Trial {
    /// Every frame the schedule held was sent, and came back good (correct,
    /// in time), once, in order within its flow.
    pub fn all_back(&self) -> bool {
        self.orderly() && self.good == self.sent
    }

    /// Every frame the schedule held was sent, and none came back twice or
    /// out of order within its flow.
    fn orderly(&self) -> bool {
        self.sent == self.planned && self.duplicates + self.reordered == 0
    }

    /// The sender never ran more than 1% of the trial (or a millisecond)
    /// behind its schedule, a stall it caught up on included: it kept 99% of
    /// the rate asked or better all along.
    pub fn kept_rate(&self) -> bool {
        self.send_lag_max_s <= (0.01 * self.duration_s).max(0.001)
    }

    /// Passes as an RFC 2544 trial: everything back good, and the rate was
    /// the echo's to keep, not the sender's limit: the partial drop trial
    /// with no share to spare.
    pub fn passes(&self) -> bool {
        self.passes_within(0.0)
    }

    /// Passes with at most `loss` (a fraction) of the planned frames not back
    /// good (lost, bad or late): the partial drop rate's trial (TRex's
    /// --pdr, MLRsearch's PDR). Orderly and on schedule, as every trial
    /// that passes.
    pub fn passes_within(&self, loss: f64) -> bool {
        let not_good = self.planned.saturating_sub(self.good);
        self.orderly() && self.kept_rate() && not_good as f64 <= loss * self.planned as f64
    }

    /// RFC 2544's frame loss rate (section 26.3), in percent: the frames the
    /// schedule held that did not come back good (lost, bad, late, or never
    /// sent), of all it held.
    pub fn loss_pct(&self) -> f64 {
        self.planned.saturating_sub(self.good) as f64 * 100.0 / self.planned as f64
    }
}

/// `pps` frames of `size` bytes (without FCS; a mix's mean) in bits a
/// second on an Ethernet wire.
pub fn wire_bps(pps: f64, size: f64) -> f64 {
    pps * (size + WIRE_OVERHEAD as f64) * 8.0
}

/// `bps` in percent of a link of `mbps` Mb/s (None: no speed known).
pub fn share_of_link(bps: f64, mbps: Option<u32>) -> Option<f64> {
    mbps.map(|mbps| bps / (f64::from(mbps) * 1e6) * 100.0)
}

/// Trials run so far in this process: each gets a session id of its own.
static TRIALS: AtomicU32 = AtomicU32::new(0);

/// Runs one trial of `probes` on every lane, RFC 2544's way (section 23):
/// a rest of `cfg.rest`, learning frames until one of every lane's comes
/// back, then the trial, its schedule starting on every lane at once.
/// The learning frames come last so that an echo that slept through the
/// rest or the last trial's drain (an adaptive one sleeps deeper after
/// 100 ms of quiet) is awake when the trial's first frame arrives. Ctrl+C
/// (`quit`) ends the sending early, and the drain after it short. The
/// trial's frames carry the probes' session id plus its number, so a late
/// frame of an earlier trial counts as `other`, not as a bad frame of this one.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
pub fn run(
    lanes: &Lanes<'_, '_>,
    probes: &Probes,
    cfg: &TrialConfig,
    quit: &QuitFlag,
    progress: &mut Progress,
    step: String,
) -> Result<Trial> {
    let session = probes.first().session().wrapping_add(TRIALS.fetch_add(1, Ordering::Relaxed));
    let probes = &probes.with_session(session);
    let trial = Shared {
        probes,
        cfg,
        pace: Pace {
            frames: cfg.frames(),
            burst: cfg.burst,
            timeout: (cfg.timeout.as_secs_f64() * tsc_hz() as f64) as u64,
            hz: tsc_hz(),
        },
        quit,
        progress: Mutex::new(progress),
        step,
        stats_before: OnceLock::new(),
        port: lanes.port(),
    };
    let trial = if lanes.count() == 1 {
        on_lanes(lanes, &trial, |_| Solo)?
    } else {
        let crew = CrewState::new(lanes.count(), trial.pace.frames);
        on_lanes(lanes, &trial, |lane| crew.lane(lane))?
    };
    Ok(trial)
}

/// What every lane of a trial reads.
struct Shared<'a> {
    probes: &'a Probes,
    cfg: &'a TrialConfig,
    pace: Pace,
    quit: &'a QuitFlag,
    /// The run's progress line, which the first lane keeps.
    progress: Mutex<&'a mut Progress>,
    step: String,
    /// The port's counters when the trial started.
    stats_before: OnceLock<Result<PortStats>>,
    port: &'a Port<'a>,
}

/// What one lane did in a trial.
struct LaneRun<S: SeenSet> {
    learning: WarmUp,
    exchanged: Exchanged,
    tally: Tally<S>,
    /// When its schedule started.
    start: u64,
}

/// The trial on every lane, each `lane_of(its index)`, and its report.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
fn on_lanes<L: Lane>(
    lanes: &Lanes<'_, '_>,
    trial: &Shared<'_>,
    lane_of: impl Fn(usize) -> L + Sync,
) -> Result<Trial> {
    let runs = lanes
        .run(trial.quit, |index, mut queue| Ok(lane_trial(&mut queue, &lane_of(index), index, trial)))?;
    trial.progress.lock().map_err(|_| anyhow!("a lane panicked"))?.finish();
    let port = trial.port;
    let stats_before = match trial.stats_before.get() {
        Some(Ok(stats)) => *stats,
        Some(Err(e)) => return Err(anyhow!("{e:#}")),
        None => port.stats()?, // no lane got to the start: nothing sent
    };
    let own_port_drops = PortDrops::between(&stats_before, &port.stats()?);
    let (hz, frames) = (trial.pace.hz, trial.pace.frames);
    let start = runs[0].start;
    let sent = SentSet::new(runs.iter().map(|r| r.exchanged.sent).collect());
    let last = runs.iter().max_by_key(|r| r.exchanged.last_send).expect("a lane");
    let (last_send, lag_last) = (last.exchanged.last_send, last.exchanged.lag.last);
    let lag_worst = runs.iter().map(|r| r.exchanged.lag.worst).max().unwrap_or(0);
    let elapsed = last_send.saturating_sub(start);
    let per_second = |n: u64| if elapsed == 0 { 0.0 } else { n as f64 * hz as f64 / elapsed as f64 };
    let lane_rates: Vec<LaneRates> = if runs.len() == 1 {
        Vec::new()
    } else {
        runs.iter()
            .zip(lanes.lcore_ids())
            .enumerate()
            .map(|(queue, (r, lcore))| {
                let t = &r.tally;
                let received = t.back() + t.duplicates + t.unmatched;
                LaneRates {
                    lcore,
                    queue: queue as u16,
                    sent: r.exchanged.sent,
                    received,
                    sent_pps: per_second(r.exchanged.sent),
                    received_pps: per_second(received),
                }
            })
            .collect()
    };
    let mut learning = WarmUp::default();
    let (mut bad_frames, mut other, mut tallies) = (Vec::new(), 0, Vec::new());
    for run in runs {
        learning += run.learning;
        bad_frames.extend(run.exchanged.bad_frames);
        other += run.exchanged.other;
        tallies.push(run.tally);
    }
    bad_frames.truncate(BAD_SHOWN);
    let tally = L::merge(tallies);
    let (lost, first_lost) = sent.lost(&tally);
    let total = sent.total();
    let (good, bad, late) = (tally.good, tally.bad, tally.late);
    debug_assert_eq!(good + bad + late + lost, total, "each frame sent in exactly one class");
    let rate_pps = per_second(total.saturating_sub(1));
    let mix = trial.probes.mix();
    let wire = wire_bps(rate_pps, mix.mean());
    let link = port.link_speed_mbps();
    let cfg = trial.cfg;
    let mut trial = Trial {
        size: mix.bytes(),
        mix: mix.label(),
        rate_asked: cfg.rate,
        duration_s: cfg.duration.as_secs_f64(),
        planned: frames,
        sent: total,
        good,
        bad,
        late,
        lost,
        first_lost,
        late_max_ns: tally.late_max_ns(1e9 / hz as f64),
        duplicates: tally.duplicates,
        reordered: tally.reordered,
        unmatched: tally.unmatched,
        other,
        own_port_drops,
        rate_pps,
        wire_bps: wire,
        link_speed_mbps: link,
        link_pct: share_of_link(wire, link),
        learning,
        send_lag_s: lag_last as f64 / hz as f64,
        send_lag_max_s: lag_worst as f64 / hz as f64,
        rtt_ns: tally.percentiles(1e9 / hz as f64),
        bad_frames,
        distribution: tally.distribution(1e9 / hz as f64, 5),
        lanes: lane_rates,
        passed: false,
    };
    trial.passed = trial.passes();
    Ok(trial)
}

/// One lane's part of a trial: its rest, its learning frames, the start
/// with the others, its loop.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
fn lane_trial<L: Lane>(
    queue: &mut QueuePair<'_>,
    lane: &L,
    index: usize,
    trial: &Shared<'_>,
) -> LaneRun<L::Seen> {
    let (cfg, quit) = (trial.cfg, trial.quit);
    rest(queue, cfg.rest, quit);
    let learning = learn(queue, lane, trial.probes.first(), LEARNING_LIMIT, quit);
    let start = lane.start_together(quit, || {
        let _ = trial.stats_before.set(trial.port.stats());
        cycles()
    });
    let schedule = Schedule::new(start, trial.pace.hz, cfg.rate);
    let mut tally = lane.tally(trial.pace.frames, trial.probes.first().flows());
    // The first lane shows the run's progress; the others keep theirs quiet.
    let mut quiet = Progress::new(Sink::Nowhere, trial.pace.hz);
    let mut shown = if index == 0 { trial.progress.lock().ok() } else { None };
    let progress: &mut Progress = match shown.as_mut() {
        Some(guard) => guard,
        None => &mut quiet,
    };
    progress.start(trial.step.clone(), schedule.stamp(0));
    let exchanged = match trial.probes.frames() {
        Frames::One(spec) => exchange(queue, spec, lane, &mut tally, &schedule, trial, progress),
        Frames::Mixed(mixed) => exchange(queue, mixed, lane, &mut tally, &schedule, trial, progress),
    };
    LaneRun { learning, exchanged, tally, start }
}

/// How the loop goes: `frames` to send, a `burst` at most per poll, then a
/// `timeout` (in cycles of a counter of `hz`) to drain.
#[derive(Clone, Copy)]
struct Pace {
    frames: u64,
    burst: u16,
    timeout: u64,
    hz: u64,
}

/// What the loop leaves for the report.
struct Exchanged {
    /// This lane's frames sent.
    sent: u64,
    last_send: u64,
    lag: SendLag,
    bad_frames: Vec<BadFrame>,
    other: u64,
}

/// The loop: receive and judge, send what is due, until every frame is sent
/// and back or the drain ends. Generic over how each frame's probe is found,
/// so that a plain size's loop looks nothing up per frame, and over the
/// lane, so that one alone pays nothing for the others.
#[inline(never)] // a function per kind: both inlined into `run` measured 16 instructions a frame more
fn exchange<S: Specs, L: Lane>(
    queue: &mut QueuePair<'_>,
    specs: &S,
    lane: &L,
    tally: &mut Tally<L::Seen>,
    schedule: &Schedule,
    trial: &Shared<'_>,
    progress: &mut Progress,
) -> Exchanged {
    let Pace { frames, burst: burst_size, timeout, hz } = trial.pace;
    let quit = trial.quit;
    let mut burst = MbufBurst::new(queue);
    let (mut bad_frames, mut other) = (Vec::new(), 0u64);
    let (mut sent, mut last_send, mut lag) = (0u64, schedule.stamp(0), SendLag::default());
    // This lane's frames: every one of them, or its share.
    let own_frames = lane.share(frames);
    // A port that takes nothing (an echo gone, a memif peer that left) ends
    // the sending a timeout after the last frame was due.
    let send_until = schedule.stamp(frames - 1) + timeout;
    let mut drain_until = None;
    loop {
        // Receive: judge each frame against the stamp its sequence number
        // was scheduled with, then free them all.
        if burst.receive(burst_size) > 0 {
            let now = cycles();
            let scheduled = |seq: u64| lane.was_sent(seq, sent).then(|| schedule.stamp(seq));
            burst.retain_frames(|frame| {
                let spec = specs.spec_for(frame);
                match tally.judge(spec, frame, scheduled, now, timeout) {
                    None => other += 1,
                    Some(j) if j.outcome == Outcome::Bad && bad_frames.len() < BAD_SHOWN => {
                        bad_frames.push(BadFrame {
                            seq: j.seq,
                            what: if matches!(j.verdict, Verdict::WrongAddresses(..)) {
                                "addresses"
                            } else {
                                "bytes"
                            },
                            offsets: spec.differences(frame, j.seq, j.sent, OFFSETS_SHOWN),
                        })
                    }
                    Some(_) => {}
                }
                false
            });
            lane.counted(tally.back());
        }

        // Send what the schedule says is due, a burst at most; what the TX
        // ring does not take is freed and built again on the next turn.
        let now = cycles();
        if progress.due(now) {
            // Overdue: frames due a timeout ago or more, not back yet.
            let (all_sent, all_back, sent_below) = lane.totals(sent, tally.back());
            let overdue = schedule.due(now.saturating_sub(timeout)).min(sent_below);
            let p99 = tally.quantile_ns(0.99, 1e9 / hz as f64);
            let snapshot = progress.snapshot(now, all_sent, all_back, tally.lost(overdue), p99);
            progress.show(&snapshot);
        }
        if drain_until.is_none() {
            let due = lane.share(schedule.due(now).min(frames));
            let count = (due - sent).min(u64::from(burst_size)) as usize;
            if count > 0
                && burst.allocate(
                    count,
                    |i| specs.spec(lane.seq(sent + i as u64)).size() as u16,
                    |i, frame| {
                        let seq = lane.seq(sent + i as u64);
                        specs.spec(seq).build_into(seq, schedule.stamp(seq), frame)
                    },
                )
            {
                lane.handing(sent + count as u64);
                let taken = burst.transmit() as u64;
                if taken > 0 {
                    lag.sent(schedule, lane.seq(sent), lane.seq(sent + taken - 1), now);
                    sent += taken;
                    last_send = now;
                }
                if taken < count as u64 {
                    lane.handing(sent);
                }
            }
            if sent == own_frames || quit.is_set() || now > send_until {
                let wait = if quit.is_set() { timeout.min(hz / 10) } else { timeout };
                drain_until = Some(now + wait);
                lane.done_sending(now + wait);
            }
        } else if lane.all_back(tally.back(), sent)
            || drain_until.is_some_and(|end| lane.drain_over(now, end))
        {
            break;
        }
    }
    Exchanged { sent, last_send, lag, bad_frames, other }
}

/// What the warm-up sent and got back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WarmUp {
    pub sent: u64,
    pub received: u64,
}

impl std::ops::AddAssign for WarmUp {
    fn add_assign(&mut self, other: WarmUp) {
        self.sent += other.sent;
        self.received += other.received;
    }
}

/// RFC 2544's rest between trials: nothing sent for `pause`; what comes back
/// meanwhile (an earlier trial's stragglers) is freed, so the RX ring is
/// empty when the learning frames go out.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
fn rest(queue: &mut QueuePair<'_>, pause: Duration, quit: &QuitFlag) {
    if pause.is_zero() {
        return;
    }
    let hz = tsc_hz();
    let end = cycles() + (pause.as_secs_f64() * hz as f64) as u64;
    let mut burst = MbufBurst::new(queue);
    while cycles() < end && !quit.is_set() {
        if burst.receive(32) > 0 {
            burst.retain_frames(|_| false);
        } else {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// RFC 2544's learning frames, on every lane, until one of each lane's has
/// come back or `limit` passes: [`learn`]. Before the first trial, to see
/// that the echo is there; the trials have their own.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
pub fn warm_up(lanes: &Lanes<'_, '_>, spec: &ProbeSpec, limit: Duration, quit: &QuitFlag) -> Result<WarmUp> {
    let runs = if lanes.count() == 1 {
        lanes.run(quit, |_, mut queue| Ok(learn(&mut queue, &Solo, spec, limit, quit)))?
    } else {
        let crew = CrewState::new(lanes.count(), 0);
        lanes.run(quit, |lane, mut queue| Ok(learn(&mut queue, &crew.lane(lane), spec, limit, quit)))?
    };
    let mut all = WarmUp::default();
    runs.into_iter().for_each(|w| all += w);
    Ok(all)
}

/// RFC 2544's learning frames: before the first trial and each trial, one
/// frame a millisecond (under a session of its own, never counted in a
/// trial) until one comes back or `limit` passes, so that a trial does not
/// begin while the path is still coming up (a memif peer finishing its
/// connection, a switch learning our address) or the echo is asleep. With
/// several lanes, each sends its own until one of every lane's came back,
/// on whichever queue. What it sent and got back is reported, since the
/// echo counts those frames too.
#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
fn learn<L: Lane>(
    queue: &mut QueuePair<'_>,
    lane: &L,
    spec: &ProbeSpec,
    limit: Duration,
    quit: &QuitFlag,
) -> WarmUp {
    let spec = &spec.with_session(!spec.session());
    let hz = tsc_hz();
    let (start, gap) = (cycles(), hz / 1000);
    let end = start + (limit.as_secs_f64() * hz as f64) as u64;
    let mut burst = MbufBurst::new(queue);
    let mut done = WarmUp::default();
    let mut next_send = start;
    let receive = |burst: &mut MbufBurst<'_>, done: &mut WarmUp, size: u16| {
        if burst.receive(size) > 0 {
            burst.retain_frames(|frame| {
                if let Some((seq, _)) = spec.identify(frame) {
                    lane.learned(seq);
                    done.received += 1;
                }
                false
            });
        }
    };
    while !lane.all_learned(done.received) && !quit.is_set() {
        let now = cycles();
        if now >= end {
            break;
        }
        if now >= next_send {
            let seq = lane.seq(done.sent);
            if burst.allocate(1, |_| spec.size() as u16, |_, frame| spec.build_into(seq, 0, frame)) {
                done.sent += burst.transmit() as u64;
            }
            next_send = now + gap;
        }
        receive(&mut burst, &mut done, 1);
    }
    // The rest of what it sent, back within a millisecond or so: counted, so
    // that what the echo reports adds up.
    let settle = cycles() + 2 * gap;
    while cycles() < settle {
        receive(&mut burst, &mut done, 32);
    }
    done
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A trial of 1000 frames in 1 s that got everything back on time.
    pub(crate) fn clean() -> Trial {
        Trial {
            size: 60,
            mix: None,
            rate_asked: 1000,
            duration_s: 1.0,
            planned: 1000,
            sent: 1000,
            good: 1000,
            bad: 0,
            late: 0,
            lost: 0,
            first_lost: None,
            late_max_ns: None,
            duplicates: 0,
            reordered: 0,
            unmatched: 0,
            other: 3,
            own_port_drops: PortDrops::default(),
            rate_pps: 1000.0,
            wire_bps: 672_000.0,
            link_speed_mbps: None,
            link_pct: None,
            learning: WarmUp { sent: 1, received: 1 },
            passed: true,
            send_lag_s: 0.0,
            send_lag_max_s: 0.0,
            rtt_ns: None,
            bad_frames: Vec::new(),
            distribution: Vec::new(),
            lanes: Vec::new(),
        }
    }

    #[test]
    fn the_share_of_the_link_is_in_percent_of_its_megabits() {
        assert_eq!(share_of_link(5e9, Some(10_000)), Some(50.0));
        assert_eq!(share_of_link(25e9, Some(100_000)), Some(25.0));
        assert_eq!(share_of_link(5e9, None), None, "no speed reported");
    }

    #[test]
    fn every_trial_s_learning_frames_add_up_to_the_run_s() {
        let mut total = WarmUp { sent: 3, received: 2 };
        total += WarmUp { sent: 5, received: 7 };
        assert_eq!(total, WarmUp { sent: 8, received: 9 });
    }

    #[test]
    fn line_rate_is_14_88_mpps_of_minimum_frames_at_10_gbit_s() {
        assert_eq!(wire_bps(14_880_952.0, 60.0).round(), 9_999_999_744.0);
        assert_eq!(wire_bps(812_743.0, 1514.0), 812_743.0 * 1538.0 * 8.0, "1518 with FCS, plus 20");
        assert_eq!(wire_bps(12.0, 4294.0 / 12.0), (4294.0 + 12.0 * 24.0) * 8.0, "an IMIX pattern a second");
    }

    #[test]
    fn the_own_port_s_drops_add_up() {
        let drops = PortDrops { imissed: 1, rx_nombuf: 20, ierrors: 300, oerrors: 4000 };
        assert_eq!(drops.total(), 4321);
    }

    #[test]
    fn all_back_needs_every_frame_sent_and_back_good() {
        assert!(clean().all_back(), "frames that were no probe of ours do not count");
        let spoiled: [fn(&mut Trial); 6] = [
            |t| (t.sent, t.good) = (999, 999),
            |t| (t.good, t.bad) = (999, 1),
            |t| (t.good, t.late) = (999, 1),
            |t| (t.good, t.lost) = (999, 1),
            |t| t.duplicates = 1,
            |t| t.reordered = 1,
        ];
        for (i, spoil) in spoiled.iter().enumerate() {
            let mut t = clean();
            spoil(&mut t);
            assert!(!t.all_back(), "spoiler {i}");
        }
    }

    #[test]
    fn the_own_port_drops_are_the_counters_growth() {
        let before =
            PortStats { ipackets: 5, imissed: 1, rx_nombuf: 2, ierrors: 3, oerrors: 4, ..Default::default() };
        let after = PortStats {
            ipackets: 900,
            imissed: 11,
            rx_nombuf: 2,
            ierrors: 3,
            oerrors: 9,
            ..Default::default()
        };
        let drops = PortDrops::between(&before, &after);
        assert_eq!(drops, PortDrops { imissed: 10, rx_nombuf: 0, ierrors: 0, oerrors: 5 });
        assert_eq!((drops.total(), drops.to_string()), (15, "imissed 10, oerrors 5".to_string()));
        assert_eq!(PortDrops::between(&after, &before).total(), 0, "a counter that went back");
    }

    #[test]
    fn the_rate_is_kept_within_a_percent_of_the_trial_or_a_millisecond() {
        let mut t = clean();
        t.send_lag_max_s = 0.01;
        assert!(t.kept_rate(), "1% of 1 s");
        t.send_lag_max_s = 0.0101;
        assert!(!t.kept_rate());
        t.duration_s = 0.01;
        t.send_lag_max_s = 0.001;
        assert!(t.kept_rate(), "a millisecond, for a short trial");
        t.send_lag_max_s = 0.0011;
        assert!(!t.kept_rate());
    }

    #[test]
    fn a_stall_in_the_middle_that_the_sender_caught_up_on_fails_the_trial() {
        let mut t = clean();
        assert!(t.passes());
        (t.send_lag_s, t.send_lag_max_s) = (0.0, 0.5);
        assert!(t.all_back() && !t.passes(), "on time at the end, half a second behind in the middle");
    }

    #[test]
    fn a_partial_drop_trial_allows_its_share_of_frames_not_back_good() {
        let mut t = clean();
        assert!(t.passes_within(0.0), "all back: passes at any share");
        (t.good, t.lost, t.bad, t.late) = (990, 5, 3, 2);
        assert!(!t.passes() && t.passes_within(0.01), "10 of 1000 not back good: 1%");
        assert!(!t.passes_within(0.0099));
        t.sent = 999;
        assert!(!t.passes_within(0.5), "a frame the schedule held was not sent");
        t.sent = 1000;
        t.duplicates = 1;
        assert!(!t.passes_within(0.5), "a duplicate");
        (t.duplicates, t.reordered) = (0, 1);
        assert!(!t.passes_within(0.5), "out of order");
        (t.reordered, t.send_lag_max_s) = (0, 0.5);
        assert!(!t.passes_within(0.5), "the sender fell behind");
    }

    #[test]
    fn a_burst_s_trial_holds_exactly_its_frames_at_any_rate() {
        let cfg = TrialConfig {
            rate: 1,
            duration: Duration::from_secs(1),
            burst: 32,
            timeout: Duration::from_secs(1),
            rest: Duration::ZERO,
        };
        assert_eq!(cfg.frames(), 1);
        for rate in [1, 3, 7, 999_999, 14_880_952, 33_333_333, 99_999_999, 100_000_000] {
            for frames in [1, 2, 31, 32, 1000, 12_345, 999_999, 1_000_000_000] {
                let burst = TrialConfig { rate, ..cfg }.of_frames(frames);
                assert_eq!(burst.frames(), frames, "{frames} frames at {rate} pps");
            }
        }
        assert_eq!(TrialConfig { rate: 4, ..cfg }.of_frames(2).duration, Duration::from_millis(500));
    }

    #[test]
    fn the_loss_rate_is_every_frame_not_back_good_of_those_planned() {
        let mut t = clean();
        assert_eq!(t.loss_pct(), 0.0);
        (t.good, t.lost, t.bad, t.late) = (900, 50, 30, 20);
        assert_eq!(t.loss_pct(), 10.0);
        (t.sent, t.good, t.lost, t.bad, t.late) = (500, 500, 0, 0, 0);
        assert_eq!(t.loss_pct(), 50.0, "what the sender never sent is not back either");
    }

    #[test]
    fn a_late_frame_fails_the_trial() {
        let mut t = clean();
        (t.good, t.late) = (999, 1);
        assert!(!t.passes());
    }
}
