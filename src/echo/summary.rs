//! What a run did: the echo's own counters and each lcore's load, per queue
//! and in total, next to the port's. Printed for people at exit, and as one
//! JSON line on request; the telemetry command /l2echo/stats gives the same
//! per-queue fields while the run goes on.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::time::Duration;

use serde::Serialize;

use crate::arch;
use crate::dpdk::{Lcore, MacAddr, PortStats};
use crate::echo::counters::{Load, QueueCounters, QueueCounts};
use crate::echo::{EchoConfig, IdleMode, Mode};

/// One queue: its counts, and its lcore's load since the loop started.
#[derive(Debug, Clone, Serialize)]
pub struct QueueSummary {
    pub queue: u16,
    pub lcore: u32,
    #[serde(flatten)]
    pub counts: QueueCounts,
    /// Cycles since the loop started (busy or not).
    pub total_cycles: u64,
    /// busy_cycles of total_cycles, 0-100.
    pub busy_pct: f64,
    /// busy_cycles per received frame.
    pub cycles_per_packet: f64,
    /// Seconds the lcore slept for want of frames (`--idle adaptive`).
    pub slept_s: f64,
}

impl QueueSummary {
    /// Queue `queue` on `lcore`, from what its loop published: as of the
    /// cycle count `stopped` once the loop has stopped, else as of now.
    pub fn read(
        queue: usize,
        lcore: Lcore,
        counters: &QueueCounters,
        tsc_hz: u64,
        stopped: Option<u64>,
    ) -> QueueSummary {
        let mut counts = counters.read();
        // Read after the counts, so that the busy cycles fall within the total.
        let now = stopped.unwrap_or_else(arch::cycles);
        let total_cycles = counters.total_cycles(now);
        // Capped all the same: this thread reads its own CPU's cycle counter,
        // which in a VM can lag the lcore's by some hundreds of cycles.
        counts.busy_cycles = counts.busy_cycles.min(total_cycles);
        let load = Load { busy_cycles: counts.busy_cycles, total_cycles, packets: counts.rx_packets };
        QueueSummary {
            queue: queue as u16,
            lcore: lcore.id(),
            counts,
            total_cycles: load.total_cycles,
            busy_pct: round1(load.busy_pct()),
            cycles_per_packet: round1(load.cycles_per_packet()),
            slept_s: counts.slept_cycles as f64 / tsc_hz.max(1) as f64,
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The port's mbuf pools: how many mbufs they hold, how many were out of
/// them when the port had just started (in RX rings, for drivers that fill
/// them), and how many are out when the loops have stopped. With no traffic
/// left in flight, `in_use` returns to `baseline`: no mbuf leaked.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MbufUse {
    #[serde(rename = "mbufs_total")]
    pub total: u64,
    #[serde(rename = "mbufs_baseline")]
    pub baseline: u64,
    #[serde(rename = "mbufs_in_use")]
    pub in_use: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub port: u16,
    pub port_mac: String,
    pub mode: Mode,
    /// The address answered for (`--mode icmp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<Ipv4Addr>,
    pub idle: IdleMode,
    pub elapsed_s: f64,
    /// Cycles per second of the counter the load is measured with (rte_get_tsc_hz).
    pub tsc_hz: u64,
    #[serde(flatten)]
    pub total: QueueCounts,
    #[serde(flatten)]
    pub port_stats: PortStats,
    #[serde(flatten)]
    pub mbufs: MbufUse,
    pub queues: Vec<QueueSummary>,
    /// The port's non-zero extended statistics (with --xstats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xstats: Option<BTreeMap<String, u64>>,
}

impl Summary {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        port: u16,
        mac: MacAddr,
        config: &EchoConfig,
        elapsed: Duration,
        tsc_hz: u64,
        stats: PortStats,
        mbufs: MbufUse,
        queues: Vec<QueueSummary>,
        xstats: Option<BTreeMap<String, u64>>,
    ) -> Summary {
        Summary {
            port,
            port_mac: mac.to_string(),
            mode: config.rewrite.mode(),
            ip: config.rewrite.ip(),
            idle: config.idle,
            elapsed_s: elapsed.as_secs_f64(),
            tsc_hz,
            total: total_of(&queues),
            port_stats: stats,
            mbufs,
            queues,
            xstats,
        }
    }

    /// Prints the summary for people, then, with `json`, as one JSON line.
    pub fn print(&self, json: bool) -> io::Result<()> {
        let mut out = io::stdout().lock();
        write!(out, "{self}")?;
        if json {
            writeln!(out, "{}", serde_json::to_string(self).expect("a Summary always serialises"))?;
        }
        out.flush()
    }
}

/// The queues' counts added up.
pub fn total_of(queues: &[QueueSummary]) -> QueueCounts {
    let mut total = QueueCounts::default();
    for q in queues {
        total.add(&q.counts);
    }
    total
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, p) = (&self.total, &self.port_stats);
        writeln!(
            f,
            "Summary: port {} ({}), mode {}, idle {}, {:.3} s",
            self.port, self.port_mac, self.mode, self.idle, self.elapsed_s
        )?;
        writeln!(
            f,
            "  echo:  rx_packets {} tx_packets {} tx_dropped {} runt_dropped {}",
            t.rx_packets, t.tx_packets, t.tx_dropped, t.runt_dropped
        )?;
        if let Some(ip) = self.ip {
            writeln!(f, "  icmp:  ip {ip} arp_replies {} ignored {}", t.arp_replies, t.ignored)?;
        }
        writeln!(
            f,
            "  port:  ipackets {} opackets {} imissed {} ierrors {} oerrors {} rx_nombuf {}",
            p.ipackets, p.opackets, p.imissed, p.ierrors, p.oerrors, p.rx_nombuf
        )?;
        writeln!(
            f,
            "  mbufs: {} in use of {} (baseline after start: {})",
            self.mbufs.in_use, self.mbufs.total, self.mbufs.baseline
        )?;
        for q in &self.queues {
            let c = &q.counts;
            let icmp = match self.ip {
                Some(_) => format!(" arp_replies {} ignored {}", c.arp_replies, c.ignored),
                None => String::new(),
            };
            writeln!(
                f,
                "  queue {} (lcore {}): rx_packets {} tx_packets {} tx_dropped {} runt_dropped {}{icmp}",
                q.queue, q.lcore, c.rx_packets, c.tx_packets, c.tx_dropped, c.runt_dropped
            )?;
            let polls: Vec<String> = c.bursts.iter().map(|(name, n)| format!("{name}:{n}")).collect();
            writeln!(
                f,
                "    load: busy {:.1}%, {:.1} cycles/frame, slept {:.3} s; polls by frames returned {}",
                q.busy_pct,
                q.cycles_per_packet,
                q.slept_s,
                polls.join(" ")
            )?;
        }
        if let Some(xstats) = &self.xstats {
            let each: Vec<String> = xstats.iter().map(|(name, value)| format!("{name} {value}")).collect();
            writeln!(f, "  xstats: {}", if each.is_empty() { "(all zero)".into() } else { each.join(", ") })?;
        }
        Ok(())
    }
}
