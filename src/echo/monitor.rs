//! A plain thread beside the lcores: ends the run after `--duration` and
//! prints rates every `--stats` seconds, reading the counters the lcores
//! publish and the port's mbuf pools. It never touches a queue.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::arch;
use crate::dpdk::{Lcore, Port};
use crate::echo::counters::{Load, PollSizes, QueueCounters, QueueCounts};
use crate::echo::EchoConfig;
use crate::fault::Fault;
use crate::quit::QuitFlag;

/// The longest the monitor sleeps when nothing is due: it wakes when the quit
/// flag is set, so this only bounds a lost wake-up.
const NOTHING_DUE: Duration = Duration::from_secs(1);

/// Runs until `quit` is set, setting it itself once `--duration` has passed
/// since `started`. Fails when the statistics cannot be written.
pub fn watch(
    port: &Port<'_>,
    lcores: &[Lcore],
    counters: &[QueueCounters],
    config: &EchoConfig,
    started: Instant,
    fault: Option<&Fault>,
    quit: &QuitFlag,
) -> Result<()> {
    let mut last_report = (started, arch::cycles(), vec![QueueCounts::default(); counters.len()]);
    let mut next_report = config.stats_every.map(|every| started + every);
    while !quit.is_set() {
        let now = Instant::now();
        if config.duration.is_some_and(|d| now - started >= d) {
            quit.set();
            break;
        }
        if let Some(fault) = fault.filter(|f| f.is_due(started)) {
            fault.strike()?;
        }
        if let (Some(due), Some(every)) = (next_report, config.stats_every) {
            if now >= due {
                let current: Vec<QueueCounts> = counters.iter().map(QueueCounters::read).collect();
                let cycles = arch::cycles();
                let span =
                    Span { at: now - started, secs: now - last_report.0, cycles: cycles - last_report.1 };
                let mut out = io::stdout().lock();
                print_rates(&mut out, &span, lcores, &last_report.2, &current)
                    .and_then(|()| {
                        writeln!(
                            out,
                            "{:>11} mbufs: {} in use of {}",
                            "",
                            port.mbufs_in_use(),
                            port.mbufs_total()
                        )
                    })
                    .and_then(|()| out.flush())
                    .context("cannot write the statistics to stdout")?;
                last_report = (now, cycles, current);
                next_report = Some(due + every);
            }
        }
        // Asleep until the next thing due, or quit.
        let due = [next_report, config.duration.map(|d| started + d), fault.map(|f| f.due_at(started))];
        let wake = due.into_iter().flatten().fold(now + NOTHING_DUE, Instant::min);
        quit.wait(wake.saturating_duration_since(Instant::now()));
    }
    Ok(())
}

/// A statistics period: when it ended (since the start), and how long it was
/// in time and in cycles.
struct Span {
    at: Duration,
    secs: Duration,
    cycles: u64,
}

fn print_rates(
    out: &mut impl Write,
    span: &Span,
    lcores: &[Lcore],
    before: &[QueueCounts],
    now: &[QueueCounts],
) -> io::Result<()> {
    let secs = span.secs.as_secs_f64().max(f64::EPSILON);
    let rate = |a: u64, b: u64| format_rate((b - a) as f64 / secs);
    let at = span.at.as_secs_f64();
    let mut total_before = QueueCounts::default();
    let mut total_now = QueueCounts::default();
    let many = now.len() > 1;
    for (queue, ((b, n), lcore)) in before.iter().zip(now).zip(lcores).enumerate() {
        total_before.add(b);
        total_now.add(n);
        if many {
            writeln!(
                out,
                "[{at:7.1} s] queue {queue} (lcore {}): rx {} tx {} dropped {}; {}",
                lcore.id(),
                rate(b.rx_packets, n.rx_packets),
                rate(b.tx_packets, n.tx_packets),
                n.dropped() - b.dropped(),
                load_text(b, n, span.cycles),
            )?;
        }
    }
    let load =
        if many { String::new() } else { format!("; {}", load_text(&total_before, &total_now, span.cycles)) };
    writeln!(
        out,
        "[{at:7.1} s] total: rx {} tx {} dropped {} (since start: rx {} tx {}){load}",
        rate(total_before.rx_packets, total_now.rx_packets),
        rate(total_before.tx_packets, total_now.tx_packets),
        total_now.dropped() - total_before.dropped(),
        total_now.rx_packets,
        total_now.tx_packets,
    )
}

/// One lcore's load over a period of `cycles`: "busy 37.5%, 31.0
/// cycles/frame, polls 0:n 1_7:n ...".
fn load_text(before: &QueueCounts, now: &QueueCounts, cycles: u64) -> String {
    let load = Load {
        busy_cycles: now.busy_cycles - before.busy_cycles,
        total_cycles: cycles,
        packets: now.rx_packets - before.rx_packets,
    };
    let polls: Vec<String> = PollSizes::NAMES
        .iter()
        .zip(now.bursts.0.iter().zip(before.bursts.0))
        .map(|(name, (n, b))| format!("{name}:{}", n - b))
        .collect();
    format!(
        "busy {:.1}%, {:.1} cycles/frame, polls {}",
        load.busy_pct(),
        load.cycles_per_packet(),
        polls.join(" ")
    )
}

fn format_rate(pps: f64) -> String {
    if pps >= 1e6 {
        format!("{:.2} Mpps", pps / 1e6)
    } else if pps >= 1e3 {
        format!("{:.1} kpps", pps / 1e3)
    } else {
        format!("{pps:.0} pps")
    }
}

#[cfg(test)]
mod tests {
    use super::format_rate;

    #[test]
    fn rates_read_naturally() {
        assert_eq!(format_rate(0.0), "0 pps");
        assert_eq!(format_rate(999.4), "999 pps");
        assert_eq!(format_rate(12_345.0), "12.3 kpps");
        assert_eq!(format_rate(61_230_000.0), "61.23 Mpps");
    }
}
