//! Per-queue counters: written by the one lcore that owns the queue, read by
//! whoever prints statistics or answers telemetry. Each queue's counters sit
//! on their own cache lines, so no line is written by two lcores.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// One queue's running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub rx_packets: u64,
    pub tx_packets: u64,
    /// Rewritten but not accepted by the TX queue (freed).
    pub tx_dropped: u64,
    /// Shorter than an Ethernet header (freed unread).
    pub runt_dropped: u64,
    /// `--mode icmp`: ARP requests for its address answered (sent to the TX
    /// queue with the echo replies: part of tx_packets or tx_dropped).
    pub arp_replies: u64,
    /// `--mode icmp`: frames neither an ARP request for its address nor an
    /// ICMP echo request to it (freed unanswered).
    pub ignored: u64,
    /// Cycles (rte_rdtsc) spent in polls that returned frames: receive,
    /// rewrite, transmit.
    pub busy_cycles: u64,
    /// How many polls returned how many frames.
    pub bursts: PollSizes,
    /// Cycles the lcore slept for want of frames (`--idle adaptive`).
    pub slept_cycles: u64,
}

impl QueueCounts {
    pub fn add(&mut self, other: &QueueCounts) {
        self.rx_packets += other.rx_packets;
        self.tx_packets += other.tx_packets;
        self.tx_dropped += other.tx_dropped;
        self.runt_dropped += other.runt_dropped;
        self.arp_replies += other.arp_replies;
        self.ignored += other.ignored;
        self.busy_cycles += other.busy_cycles;
        self.slept_cycles += other.slept_cycles;
        for (mine, theirs) in self.bursts.0.iter_mut().zip(other.bursts.0) {
            *mine += theirs;
        }
    }

    /// Frames received and not sent: refused by TX, runts, ignored.
    pub fn dropped(&self) -> u64 {
        self.tx_dropped + self.runt_dropped + self.ignored
    }
}

/// Polls counted by how many frames they returned: 0, 1-7, 8-15, 16-31, 32
/// or more (a full default burst).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollSizes(pub [u64; 5]);

impl PollSizes {
    /// The buckets' names: JSON keys (valid DPDK telemetry keys too).
    pub const NAMES: [&'static str; 5] = ["0", "1_7", "8_15", "16_31", "32_plus"];

    #[inline(always)]
    pub fn count(&mut self, frames: usize) {
        let bucket = match frames {
            0 => 0,
            1..=7 => 1,
            8..=15 => 2,
            16..=31 => 3,
            _ => 4,
        };
        self.0[bucket] += 1;
    }

    /// (name, polls) for each bucket.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        Self::NAMES.into_iter().zip(self.0)
    }
}

impl Serialize for PollSizes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, polls) in self.iter() {
            map.serialize_entry(name, &polls)?;
        }
        map.end()
    }
}

/// [`QueueCounts`] published for other threads to read, with the cycle count
/// at which the loop started (total cycles = now - that). Each queue's
/// counters own two of DPDK's cache lines (RTE_CACHE_LINE_SIZE: 64 bytes on
/// x86-64, 128 on arm64), as DPDK's own cache guard does: a prefetcher that
/// pulls lines in pairs never brings one queue's line with another's.
#[derive(Debug, Default)]
#[cfg_attr(dpdk_cache_line = "64", repr(align(128)))]
#[cfg_attr(dpdk_cache_line = "128", repr(align(256)))]
pub struct QueueCounters {
    rx_packets: AtomicU64,
    tx_packets: AtomicU64,
    tx_dropped: AtomicU64,
    runt_dropped: AtomicU64,
    arp_replies: AtomicU64,
    ignored: AtomicU64,
    busy_cycles: AtomicU64,
    bursts: [AtomicU64; 5],
    slept_cycles: AtomicU64,
    started_cycles: AtomicU64,
}

impl QueueCounters {
    /// Marks the loop's start, on the cycle counter.
    pub fn start(&self, cycles: u64) {
        self.started_cycles.store(cycles, Ordering::Relaxed);
    }

    /// Publishes the owner's totals: plain stores, since only the owner writes.
    #[inline(always)]
    pub fn publish(&self, counts: &QueueCounts) {
        self.rx_packets.store(counts.rx_packets, Ordering::Relaxed);
        self.tx_packets.store(counts.tx_packets, Ordering::Relaxed);
        self.tx_dropped.store(counts.tx_dropped, Ordering::Relaxed);
        self.runt_dropped.store(counts.runt_dropped, Ordering::Relaxed);
        self.arp_replies.store(counts.arp_replies, Ordering::Relaxed);
        self.ignored.store(counts.ignored, Ordering::Relaxed);
        self.busy_cycles.store(counts.busy_cycles, Ordering::Relaxed);
        for (published, polls) in self.bursts.iter().zip(counts.bursts.0) {
            published.store(polls, Ordering::Relaxed);
        }
    }

    /// Publishes what an empty poll changes: the count of empty polls and
    /// the time slept.
    #[inline(always)]
    pub fn publish_empty_polls(&self, counts: &QueueCounts) {
        self.bursts[0].store(counts.bursts.0[0], Ordering::Relaxed);
        self.slept_cycles.store(counts.slept_cycles, Ordering::Relaxed);
    }

    pub fn read(&self) -> QueueCounts {
        QueueCounts {
            rx_packets: self.rx_packets.load(Ordering::Relaxed),
            tx_packets: self.tx_packets.load(Ordering::Relaxed),
            tx_dropped: self.tx_dropped.load(Ordering::Relaxed),
            runt_dropped: self.runt_dropped.load(Ordering::Relaxed),
            arp_replies: self.arp_replies.load(Ordering::Relaxed),
            ignored: self.ignored.load(Ordering::Relaxed),
            busy_cycles: self.busy_cycles.load(Ordering::Relaxed),
            bursts: PollSizes(std::array::from_fn(|i| self.bursts[i].load(Ordering::Relaxed))),
            slept_cycles: self.slept_cycles.load(Ordering::Relaxed),
        }
    }

    /// Cycles since the loop started, as of `now` (0 before it started).
    pub fn total_cycles(&self, now: u64) -> u64 {
        match self.started_cycles.load(Ordering::Relaxed) {
            0 => 0,
            started => now.saturating_sub(started),
        }
    }
}

/// An lcore's load over some span: busy cycles of all cycles.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Load {
    pub busy_cycles: u64,
    pub total_cycles: u64,
    pub packets: u64,
}

impl Load {
    /// Share of the cycles spent in polls that returned frames, 0-100.
    pub fn busy_pct(&self) -> f64 {
        if self.total_cycles == 0 {
            return 0.0;
        }
        (100.0 * self.busy_cycles as f64 / self.total_cycles as f64).min(100.0)
    }

    /// Busy cycles per received frame.
    pub fn cycles_per_packet(&self) -> f64 {
        if self.packets == 0 {
            return 0.0;
        }
        self.busy_cycles as f64 / self.packets as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_land_in_their_bucket() {
        let mut sizes = PollSizes::default();
        for frames in [0, 0, 1, 7, 8, 15, 16, 31, 32, 512] {
            sizes.count(frames);
        }
        assert_eq!(sizes.0, [2, 2, 2, 2, 2]);
        let json = serde_json::to_string(&sizes).unwrap();
        assert_eq!(json, r#"{"0":2,"1_7":2,"8_15":2,"16_31":2,"32_plus":2}"#);
    }

    #[test]
    fn published_counts_read_back_and_add_up() {
        let counters = QueueCounters::default();
        assert_eq!(counters.total_cycles(500), 0, "not started");
        counters.start(100);
        assert_eq!(counters.total_cycles(350), 250);
        let mut counts = QueueCounts {
            rx_packets: 10,
            tx_packets: 7,
            tx_dropped: 3,
            runt_dropped: 1,
            arp_replies: 3,
            ignored: 4,
            busy_cycles: 700,
            bursts: PollSizes([3, 1, 0, 0, 4]),
            slept_cycles: 5,
        };
        counters.publish(&counts);
        assert_eq!(
            counters.read(),
            QueueCounts { slept_cycles: 0, ..counts },
            "slept cycles change on empty polls"
        );
        counts.bursts.0[0] = 9;
        counts.slept_cycles = 40;
        counts.rx_packets = 99;
        counters.publish_empty_polls(&counts);
        let read = counters.read();
        assert_eq!(
            (read.bursts.0[0], read.slept_cycles, read.rx_packets),
            (9, 40, 10),
            "an empty poll's share"
        );
        let mut sum = read;
        sum.add(&read);
        let doubled = QueueCounts {
            rx_packets: 20,
            tx_packets: 14,
            tx_dropped: 6,
            runt_dropped: 2,
            arp_replies: 6,
            ignored: 8,
            busy_cycles: 1400,
            bursts: PollSizes([18, 2, 0, 0, 8]),
            slept_cycles: 80,
        };
        assert_eq!(sum, doubled);
        assert_eq!(doubled.dropped(), 6 + 2 + 8);
    }

    #[test]
    fn load_is_a_share_of_the_cycles() {
        let load = Load { busy_cycles: 250, total_cycles: 1000, packets: 10 };
        assert_eq!((load.busy_pct(), load.cycles_per_packet()), (25.0, 25.0));
        assert_eq!(Load::default().busy_pct(), 0.0);
        assert_eq!(Load::default().cycles_per_packet(), 0.0);
    }

    #[test]
    fn one_queue_s_counters_own_two_of_dpdk_s_cache_lines() {
        let line = dpdk_sys::RTE_CACHE_LINE_SIZE as usize;
        assert_eq!(std::mem::align_of::<QueueCounters>(), 2 * line);
        assert_eq!(std::mem::size_of::<QueueCounters>(), 2 * line);
    }
}
