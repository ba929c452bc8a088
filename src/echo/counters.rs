//! Per-queue counters: written by the one lcore that owns the queue, read by
//! whoever prints statistics. Each queue's counters sit on their own cache
//! lines, so no line is written by two lcores.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// One queue's running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub rx_packets: u64,
    pub tx_packets: u64,
    /// Rewritten but not accepted by the TX queue (freed).
    pub tx_dropped: u64,
    /// Shorter than an Ethernet header (freed unread).
    pub runt_dropped: u64,
}

impl QueueCounts {
    pub fn add(&mut self, other: &QueueCounts) {
        self.rx_packets += other.rx_packets;
        self.tx_packets += other.tx_packets;
        self.tx_dropped += other.tx_dropped;
        self.runt_dropped += other.runt_dropped;
    }
}

/// [`QueueCounts`] published for other threads to read. 128-byte aligned:
/// adjacent-line prefetchers pull cache lines in pairs.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct QueueCounters {
    rx_packets: AtomicU64,
    tx_packets: AtomicU64,
    tx_dropped: AtomicU64,
    runt_dropped: AtomicU64,
}

impl QueueCounters {
    /// Publishes the owner's totals: plain stores, since only the owner writes.
    #[inline(always)]
    pub fn publish(&self, counts: &QueueCounts) {
        self.rx_packets.store(counts.rx_packets, Ordering::Relaxed);
        self.tx_packets.store(counts.tx_packets, Ordering::Relaxed);
        self.tx_dropped.store(counts.tx_dropped, Ordering::Relaxed);
        self.runt_dropped.store(counts.runt_dropped, Ordering::Relaxed);
    }

    pub fn read(&self) -> QueueCounts {
        QueueCounts {
            rx_packets: self.rx_packets.load(Ordering::Relaxed),
            tx_packets: self.tx_packets.load(Ordering::Relaxed),
            tx_dropped: self.tx_dropped.load(Ordering::Relaxed),
            runt_dropped: self.runt_dropped.load(Ordering::Relaxed),
        }
    }
}
