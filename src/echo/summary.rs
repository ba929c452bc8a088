//! What a run did: the echo's own counters, per queue and in total, next to
//! the port's. Printed for people at exit, and as one JSON line on request.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::dpdk::{MacAddr, PortStats};
use crate::echo::counters::QueueCounts;
use crate::echo::Mode;

#[derive(Debug, Clone, Serialize)]
pub struct QueueSummary {
    pub queue: u16,
    pub lcore: u32,
    #[serde(flatten)]
    pub counts: QueueCounts,
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
    pub elapsed_s: f64,
    #[serde(flatten)]
    pub total: QueueCounts,
    #[serde(flatten)]
    pub port_stats: PortStats,
    #[serde(flatten)]
    pub mbufs: MbufUse,
    pub queues: Vec<QueueSummary>,
}

impl Summary {
    pub fn new(
        port: u16,
        mac: MacAddr,
        mode: Mode,
        elapsed: Duration,
        stats: PortStats,
        mbufs: MbufUse,
        queues: Vec<QueueSummary>,
    ) -> Summary {
        let mut total = QueueCounts::default();
        for q in &queues {
            total.add(&q.counts);
        }
        Summary {
            port,
            port_mac: mac.to_string(),
            mode,
            elapsed_s: elapsed.as_secs_f64(),
            total,
            port_stats: stats,
            mbufs,
            queues,
        }
    }

    /// Prints the summary for people, then, with `json`, as one JSON line.
    pub fn print(&self, json: bool) {
        print!("{self}");
        if json {
            println!("{}", serde_json::to_string(self).expect("a Summary always serialises"));
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, p) = (&self.total, &self.port_stats);
        writeln!(
            f,
            "Summary: port {} ({}), mode {}, {:.3} s",
            self.port, self.port_mac, self.mode, self.elapsed_s
        )?;
        writeln!(
            f,
            "  echo:  rx_packets {} tx_packets {} tx_dropped {} runt_dropped {}",
            t.rx_packets, t.tx_packets, t.tx_dropped, t.runt_dropped
        )?;
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
            writeln!(
                f,
                "  queue {} (lcore {}): rx_packets {} tx_packets {} tx_dropped {} runt_dropped {}",
                q.queue, q.lcore, c.rx_packets, c.tx_packets, c.tx_dropped, c.runt_dropped
            )?;
        }
        Ok(())
    }
}
