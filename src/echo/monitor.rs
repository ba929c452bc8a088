//! A plain thread beside the lcores: ends the run after `--duration` and
//! prints rates every `--stats` seconds, reading the counters the lcores
//! publish and the port's mbuf pools. It never touches a queue.

use std::thread;
use std::time::{Duration, Instant};

use crate::dpdk::{Lcore, Port};
use crate::echo::counters::{QueueCounters, QueueCounts};
use crate::quit::QuitFlag;

const TICK: Duration = Duration::from_millis(20);

/// Runs until `quit` is set, setting it itself once `duration` has passed.
pub fn watch(
    port: &Port<'_>,
    lcores: &[Lcore],
    counters: &[QueueCounters],
    stats_every: Option<Duration>,
    duration: Option<Duration>,
    quit: &QuitFlag,
) {
    let started = Instant::now();
    let mut last_report = (started, vec![QueueCounts::default(); counters.len()]);
    let mut next_report = stats_every.map(|every| started + every);
    while !quit.is_set() {
        let now = Instant::now();
        if duration.is_some_and(|d| now - started >= d) {
            quit.set();
            break;
        }
        if let (Some(due), Some(every)) = (next_report, stats_every) {
            if now >= due {
                let current: Vec<QueueCounts> = counters.iter().map(QueueCounters::read).collect();
                print_rates(now - started, now - last_report.0, lcores, &last_report.1, &current);
                println!("{:>11} mbufs: {} in use of {}", "", port.mbufs_in_use(), port.mbufs_total());
                last_report = (now, current);
                next_report = Some(due + every);
            }
        }
        thread::sleep(TICK);
    }
}

fn print_rates(at: Duration, span: Duration, lcores: &[Lcore], before: &[QueueCounts], now: &[QueueCounts]) {
    let secs = span.as_secs_f64().max(f64::EPSILON);
    let rate = |a: u64, b: u64| format_rate((b - a) as f64 / secs);
    let mut total_before = QueueCounts::default();
    let mut total_now = QueueCounts::default();
    let many = now.len() > 1;
    for (queue, ((b, n), lcore)) in before.iter().zip(now).zip(lcores).enumerate() {
        total_before.add(b);
        total_now.add(n);
        if many {
            println!(
                "[{:7.1} s] queue {queue} (lcore {}): rx {} tx {} dropped {}",
                at.as_secs_f64(),
                lcore.id,
                rate(b.rx_packets, n.rx_packets),
                rate(b.tx_packets, n.tx_packets),
                (n.tx_dropped + n.runt_dropped) - (b.tx_dropped + b.runt_dropped),
            );
        }
    }
    println!(
        "[{:7.1} s] total: rx {} tx {} dropped {} (since start: rx {} tx {})",
        at.as_secs_f64(),
        rate(total_before.rx_packets, total_now.rx_packets),
        rate(total_before.tx_packets, total_now.tx_packets),
        (total_now.tx_dropped + total_now.runt_dropped)
            - (total_before.tx_dropped + total_before.runt_dropped),
        total_now.rx_packets,
        total_now.tx_packets,
    );
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
