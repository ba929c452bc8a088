//! l2_load's results: lines for people, or one JSON object.

use std::io::{self, Write};

use l2_probe::Percentiles;
use serde::Serialize;

use super::back_to_back::SizeBursts;
use super::loss_curve::SizeCurve;
use super::search::SizeResult;
use super::trial::{Trial, WarmUp};

/// Who talked to whom, for every report.
#[derive(Debug, Clone, Serialize)]
pub struct Setup {
    pub port: u16,
    pub src: String,
    pub dst: String,
    pub expect: &'static str,
    pub flows: u32,
    /// The learning frames sent before the first trial and before each
    /// trial (each trial's own are its `learning`), which the echo counts
    /// too.
    pub warmup: WarmUp,
}

/// A fixed-rate run: one size gives its trial's keys at the top level; more
/// give a row each.
#[derive(Debug, Serialize)]
pub struct FixedReport<'a> {
    #[serde(flatten)]
    pub setup: &'a Setup,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub only: Option<&'a Trial>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<&'a [Trial]>,
}

#[derive(Debug, Serialize)]
pub struct SearchReport<'a> {
    #[serde(flatten)]
    pub setup: &'a Setup,
    pub resolution_pct: f64,
    pub search: &'a [SizeResult],
}

#[derive(Debug, Serialize)]
pub struct LossCurveReport<'a> {
    #[serde(flatten)]
    pub setup: &'a Setup,
    pub loss_curve: &'a [SizeCurve],
}

#[derive(Debug, Serialize)]
pub struct BackToBackReport<'a> {
    #[serde(flatten)]
    pub setup: &'a Setup,
    pub resolution_pct: f64,
    pub back_to_back: &'a [SizeBursts],
}

#[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
pub fn json(report: &impl Serialize) -> io::Result<()> {
    let line = serde_json::to_string(report).map_err(io::Error::other)?;
    writeln!(io::stdout(), "{line}")
}

/// A row's size in a table: the bytes, or the mix.
fn size_cell(size: usize, mix: &Option<String>) -> String {
    mix.clone().unwrap_or_else(|| size.to_string())
}

/// A row's size in words: "60 B", or the mix.
pub fn size_name(size: usize, mix: &Option<String>) -> String {
    mix.clone().unwrap_or_else(|| format!("{size} B"))
}

/// One line for a trial, then its round trips and what came back bad.
pub fn trial_lines(t: &Trial, what: &str) -> String {
    let size = match &t.mix {
        Some(mix) => format!("{mix} ({} bytes on average)", t.size),
        None => format!("{} bytes", t.size),
    };
    let mut out = format!(
        "{what}{size} at {} pps for {} s: sent {} ({:.0} pps, {} on the wire{}): good {}, bad {}, {}, {}; \
         duplicates {}, reordered {}, unmatched {}, other {}{}",
        t.rate_asked,
        t.duration_s,
        t.sent,
        t.rate_pps,
        bits(t.wire_bps),
        link(t),
        t.good,
        t.bad,
        late(t),
        lost(t),
        t.duplicates,
        t.reordered,
        t.unmatched,
        t.other,
        verdict(t)
    );
    if let Some(p) = &t.rtt_ns {
        out += &format!("\n    rtt of the good replies {}", percentiles(p));
    }
    for l in &t.lanes {
        out += &format!(
            "\n    lcore {} (queue {}): sent {} ({:.0} pps), received {} ({:.0} pps)",
            l.lcore, l.queue, l.sent, l.sent_pps, l.received, l.received_pps
        );
    }
    for b in &t.bad_frames {
        let offsets: Vec<String> = b.offsets.iter().map(usize::to_string).collect();
        out += &format!(
            "\n    bad frame seq {}: {} differ at byte offsets {}",
            b.seq,
            b.what,
            offsets.join(", ")
        );
    }
    out
}

/// How a trial's line ends: whether it passed, and if not why, as far as
/// l2_load can tell; then what its own port dropped, if anything, which is
/// no fault of the echo's.
fn verdict(t: &Trial) -> String {
    let mut out = match (t.passed, t.all_back()) {
        (true, _) => ": pass".to_string(),
        (false, true) => {
            format!(": the sender fell up to {:.3} s behind its schedule (its own limit)", t.send_lag_max_s)
        }
        (false, false) if t.sent < t.planned => {
            format!(": FAIL, the port took {} of {} frames (is the echo there?)", t.sent, t.planned)
        }
        (false, false) => ": FAIL".to_string(),
    };
    let drops = &t.own_port_drops;
    if drops.total() > 0 {
        out += &format!("; l2_load's own port dropped {} frames ({drops}), not the echo", drops.total());
    }
    out
}

/// The late count, and the longest of their round trips: the tail the
/// percentiles, of good replies only, leave out.
fn late(t: &Trial) -> String {
    match t.late_max_ns {
        Some(ns) => format!("late {} (max {:.1} us)", t.late, ns as f64 / 1000.0),
        None => format!("late {}", t.late),
    }
}

/// The lost count, and from which frame on: a trial that lost its start
/// (an echo asleep) reads differently from one that lost its end.
fn lost(t: &Trial) -> String {
    match t.first_lost {
        Some(seq) => format!("lost {} (the first seq {seq})", t.lost),
        None => format!("lost {}", t.lost),
    }
}

/// The wire rate's share of the link, where the port reports a speed.
fn link(t: &Trial) -> String {
    match (t.link_pct, t.link_speed_mbps) {
        (Some(pct), Some(mbps)) => format!(", {pct:.1}% of the link's {}", bits(f64::from(mbps) * 1e6)),
        _ => String::new(),
    }
}

/// Bits a second, in Mbit/s or Gbit/s.
fn bits(bps: f64) -> String {
    if bps >= 1e9 {
        format!("{:.2} Gbit/s", bps / 1e9)
    } else {
        format!("{:.1} Mbit/s", bps / 1e6)
    }
}

pub fn percentiles(p: &Percentiles) -> String {
    let us = |ns: u64| format!("{:.1}", ns as f64 / 1000.0);
    format!(
        "min/p50/p90/p99/p99.9/p99.99/max = {}/{}/{}/{}/{}/{}/{} us, mean {:.1} us, jitter {:.1} us, {} within 10 us",
        us(p.min),
        us(p.p50),
        us(p.p90),
        us(p.p99),
        us(p.p999),
        us(p.p9999),
        us(p.max),
        p.mean / 1000.0,
        p.jitter / 1000.0,
        p.under_10us
    )
}

/// The search's table: a row per size.
pub fn search_table(results: &[SizeResult]) -> String {
    let pdr = results.iter().find_map(|r| r.pdr_pct);
    let mut out = String::from("  size  throughput pps");
    if let Some(pct) = pdr {
        out += &format!("  {:>14}", format!("PDR {pct}% pps"));
    }
    out += "  trials   p50 us at 10/50/90/100%        p99.9 us at 100%\n";
    for r in results {
        let at = |pct: u64, pick: fn(&Percentiles) -> u64| {
            r.latency
                .iter()
                .find(|l| l.load_pct == pct)
                .and_then(|l| l.trial.rtt_ns.as_ref())
                .map_or("-".into(), |p| format!("{:.1}", pick(p) as f64 / 1000.0))
        };
        let p50s: Vec<String> = [10, 50, 90, 100].iter().map(|&pct| at(pct, |p| p.p50)).collect();
        let pdr_cell = match (pdr, r.pdr_pps) {
            (Some(_), Some(pps)) => format!("  {pps:>14}"),
            (Some(_), None) => format!("  {:>14}", "-"),
            (None, _) => String::new(),
        };
        out += &format!(
            "{:>6}  {:>14}{pdr_cell}  {:>6}   {:<30} {}\n",
            size_cell(r.size, &r.mix),
            r.throughput_pps,
            r.trials.len(),
            p50s.join("/"),
            at(100, |p| p.p999)
        );
    }
    out
}

/// The loss curves' table: a row per load, sizes one after another, each
/// saying whether l2_load kept the rate: where it fell behind, late frames
/// are its own limit's share of the loss.
pub fn loss_curve_table(curves: &[SizeCurve]) -> String {
    let mut out = String::from("  size  load %        rate pps    loss %  sender\n");
    for c in curves {
        for p in &c.points {
            let sender = if p.trial.kept_rate() {
                "on time".to_string()
            } else {
                format!("up to {:.1} ms behind", p.trial.send_lag_max_s * 1e3)
            };
            out += &format!(
                "{:>6}  {:>6}  {:>14}  {:>8.3}  {sender}\n",
                size_cell(c.size, &c.mix),
                p.load_pct,
                p.trial.rate_asked,
                p.loss_pct
            );
        }
        if !c.ended_lossless {
            out += &format!("  ({}: no two trials in a row without loss)\n", size_name(c.size, &c.mix));
        }
    }
    out
}

/// The back-to-back table: a row per size, with the rate the longest burst
/// actually left at, which a sender slower than asked makes less of a burst.
pub fn back_to_back_table(rows: &[SizeBursts]) -> String {
    let mut out = String::from("  size      rate pps   longest burst    burst us    sent at pps  trials\n");
    for r in rows {
        let sent = r.sent_pps.map_or("-".into(), |pps| format!("{pps:.0}"));
        out += &format!(
            "{:>6}  {:>12}  {:>14}  {:>10.1}  {:>13}  {:>6}\n",
            size_cell(r.size, &r.mix),
            r.rate_asked,
            r.frames,
            r.burst_s * 1e6,
            sent,
            r.trials.len()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::trial::tests::clean;
    use crate::load::trial::PortDrops;

    /// `t` as the trial's run would leave it: `passed` as it says.
    fn judged(mut t: Trial) -> Trial {
        t.passed = t.passes();
        t
    }

    #[test]
    fn the_search_table_has_a_row_per_size_with_the_latency_at_each_load() {
        use crate::load::search::LatencyTrial;
        let at = |load_pct: u64, p50: u64, p999: u64| {
            let mut trial = clean();
            trial.rtt_ns = Some(Percentiles {
                mean: 0.0,
                jitter: 0.0,
                under_10us: 0,
                min: 0,
                p50,
                p90: 0,
                p99: 0,
                p999,
                p9999: 0,
                max: 0,
            });
            LatencyTrial { load_pct, trial }
        };
        let rows = [
            SizeResult {
                size: 64,
                mix: None,
                throughput_pps: 1_250_000,
                pdr_pct: None,
                pdr_pps: None,
                rates: Vec::new(),
                trials: vec![clean(), clean(), clean()],
                latency: vec![
                    at(10, 1500, 9000),
                    at(50, 2500, 9100),
                    at(90, 3500, 9200),
                    at(100, 4500, 12_345),
                ],
            },
            // No latency trial at 90%: a dash in its place.
            SizeResult {
                size: 1518,
                mix: None,
                throughput_pps: 0,
                pdr_pct: None,
                pdr_pps: None,
                rates: Vec::new(),
                trials: vec![clean()],
                latency: vec![at(10, 1000, 2000), at(50, 1000, 2000), at(100, 1000, 2000)],
            },
        ];
        let table = search_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("  size  throughput pps  trials"), "{table}");
        assert_eq!(lines[1], "    64         1250000       3   1.5/2.5/3.5/4.5                12.3");
        assert_eq!(lines[2], "  1518               0       1   1.0/1.0/-/1.0                  2.0");

        // With --pdr, its column beside the zero-loss rate's.
        let mut rows = rows;
        (rows[0].pdr_pct, rows[0].pdr_pps) = (Some(0.5), Some(1_300_000));
        (rows[1].pdr_pct, rows[1].pdr_pps) = (Some(0.5), None);
        let table = search_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("  size  throughput pps    PDR 0.5% pps  trials"), "{table}");
        assert!(lines[1].starts_with("    64         1250000         1300000       3   "), "{table}");
        assert!(lines[2].starts_with("  1518               0               -       1   "), "{table}");
    }

    #[test]
    fn the_loss_curve_table_has_a_row_per_load_and_says_when_it_never_ended_lossless() {
        use crate::load::loss_curve::CurvePoint;
        let point = |load_pct: u64, rate: u64, loss_pct: f64| {
            let mut trial = clean();
            trial.rate_asked = rate;
            CurvePoint { load_pct, loss_pct, trial }
        };
        let mut behind = point(100, 2_000_000, 12.5);
        behind.trial.send_lag_max_s = 0.25;
        let curves = [
            SizeCurve {
                size: 60,
                mix: None,
                ended_lossless: true,
                points: vec![behind, point(90, 1_800_000, 0.0), point(80, 1_600_000, 0.0)],
            },
            SizeCurve {
                size: 358,
                mix: Some("imix".into()),
                ended_lossless: false,
                points: vec![point(100, 2_000_000, 0.0625)],
            },
        ];
        let table = loss_curve_table(&curves);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines,
            [
                "  size  load %        rate pps    loss %  sender",
                "    60     100         2000000    12.500  up to 250.0 ms behind",
                "    60      90         1800000     0.000  on time",
                "    60      80         1600000     0.000  on time",
                "  imix     100         2000000     0.062  on time",
                "  (imix: no two trials in a row without loss)",
            ],
            "{table}"
        );
    }

    #[test]
    fn the_back_to_back_table_gives_the_longest_burst_and_how_fast_it_left() {
        let row = |size: usize, frames: u64, sent_pps: Option<f64>| SizeBursts {
            size,
            mix: None,
            rate_asked: 10_000_000,
            frames,
            burst_s: frames as f64 / 1e7,
            sent_pps,
            lengths: Vec::new(),
            trials: vec![clean(), clean()],
        };
        let table = back_to_back_table(&[row(60, 12_345, Some(9_876_543.4)), row(1518, 0, None)]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines,
            [
                "  size      rate pps   longest burst    burst us    sent at pps  trials",
                "    60      10000000           12345      1234.5        9876543       2",
                "  1518      10000000               0         0.0              -       2",
            ],
            "{table}"
        );
    }

    #[test]
    fn the_verdict_says_why_a_trial_did_not_pass() {
        assert_eq!(verdict(&judged(clean())), ": pass");
        let mut stalled = clean();
        stalled.send_lag_max_s = 0.25;
        assert_eq!(
            verdict(&judged(stalled)),
            ": the sender fell up to 0.250 s behind its schedule (its own limit)"
        );
        let mut refused = clean();
        (refused.sent, refused.good) = (10, 10);
        assert_eq!(verdict(&judged(refused)), ": FAIL, the port took 10 of 1000 frames (is the echo there?)");
        let mut late = clean();
        (late.good, late.late) = (999, 1);
        assert_eq!(verdict(&judged(late)), ": FAIL");
    }

    #[test]
    fn the_verdict_names_the_own_ports_drops_apart_from_the_echos_losses() {
        let mut t = clean();
        (t.good, t.lost) = (990, 10);
        t.own_port_drops = PortDrops { imissed: 7, oerrors: 3, ..PortDrops::default() };
        let lines = trial_lines(&judged(t), "");
        assert!(
            lines.contains(
                "lost 10; duplicates 0, reordered 0, unmatched 0, other 3: FAIL; \
                 l2_load's own port dropped 10 frames (imissed 7, oerrors 3), not the echo"
            ),
            "{lines}"
        );
    }

    #[test]
    fn the_line_gives_the_wire_rate_and_where_the_losses_began() {
        let mut t = clean();
        assert!(
            trial_lines(&t, "")
                .starts_with("60 bytes at 1000 pps for 1 s: sent 1000 (1000 pps, 0.7 Mbit/s on the wire)"),
            "{}",
            trial_lines(&t, "")
        );
        (t.size, t.mix) = (358, Some("imix".into()));
        assert!(
            trial_lines(&t, "").starts_with("imix (358 bytes on average) at 1000 pps"),
            "{}",
            trial_lines(&t, "")
        );
        (t.good, t.lost, t.first_lost, t.wire_bps) = (990, 10, Some(12), 10e9);
        (t.link_speed_mbps, t.link_pct) = (Some(40_000), Some(25.0));
        let lines = trial_lines(&t, "");
        assert!(
            lines.contains("(1000 pps, 10.00 Gbit/s on the wire, 25.0% of the link's 40.00 Gbit/s)"),
            "{lines}"
        );
        assert!(lines.contains(", lost 10 (the first seq 12);"), "{lines}");
    }

    #[test]
    fn each_lcore_s_rates_get_a_line_when_there_are_several() {
        use crate::load::lanes::LaneRates;
        let mut t = clean();
        assert!(!trial_lines(&t, "").contains("lcore"), "one lcore: no line of its own");
        let lane = |lcore, sent, received| LaneRates {
            lcore,
            queue: lcore as u16 - 2,
            sent,
            received,
            sent_pps: sent as f64,
            received_pps: received as f64,
        };
        t.lanes = vec![lane(2, 500, 700), lane(3, 500, 300)];
        let lines = trial_lines(&t, "");
        assert!(
            lines.contains("\n    lcore 2 (queue 0): sent 500 (500 pps), received 700 (700 pps)"),
            "{lines}"
        );
        assert!(
            lines.ends_with("\n    lcore 3 (queue 1): sent 500 (500 pps), received 300 (300 pps)"),
            "{lines}"
        );
    }

    #[test]
    fn late_frames_show_their_longest_round_trip_beside_the_good_ones_percentiles() {
        let mut t = clean();
        assert!(trial_lines(&t, "").contains(", late 0, lost 0;"), "{}", trial_lines(&t, ""));
        (t.good, t.late, t.late_max_ns) = (998, 2, Some(1_500_000_000));
        t.rtt_ns = Some(Percentiles {
            mean: 2500.0,
            jitter: 300.0,
            under_10us: 998,
            min: 1000,
            p50: 2000,
            p90: 3000,
            p99: 4000,
            p999: 5000,
            p9999: 6000,
            max: 7000,
        });
        let lines = trial_lines(&t, "");
        assert!(lines.contains(", late 2 (max 1500000.0 us), lost 0;"), "{lines}");
        assert!(
            lines.contains("rtt of the good replies min/p50/p90/p99/p99.9/p99.99/max = 1.0/2.0/"),
            "{lines}"
        );
        assert!(lines.contains(" us, mean 2.5 us, jitter 0.3 us, 998 within 10 us"), "{lines}");
    }
}
