//! The per-queue echo loop, run by one lcore on its own RX/TX queue pair.

use crate::arch;
use crate::dpdk::{MacAddr, MbufBurst, QueuePair};
use crate::echo::counters::{QueueCounters, QueueCounts};
use crate::echo::rewrite::{self, Mode};
use crate::quit::QuitFlag;

/// Receives bursts of up to `burst` frames, rewrites each for `mode`, sends
/// them back out, and frees runts and whatever TX refused. Publishes its
/// totals to `counters` after every burst, until `quit` is set.
pub fn echo_queue(
    mut queue: QueuePair<'_>,
    mode: Mode,
    port_mac: MacAddr,
    burst: u16,
    counters: &QueueCounters,
    quit: &QuitFlag,
) {
    // One monomorphised loop per mode: no mode test per packet.
    match mode {
        Mode::Reply => poll(&mut queue, burst, counters, quit, |f| rewrite::reply(f, &port_mac.0)),
        Mode::Swap => poll(&mut queue, burst, counters, quit, rewrite::swap),
    }
}

/// The loop. One read of the cycle counter per poll measures the lcore's
/// load: the cycles from the start of a poll that returned frames to the end
/// of its transmit are busy, the rest (empty polls) idle.
#[inline(always)]
fn poll(
    queue: &mut QueuePair<'_>,
    burst: u16,
    counters: &QueueCounters,
    quit: &QuitFlag,
    mut rewrite: impl FnMut(&mut [u8]) -> bool,
) {
    let mut mbufs = MbufBurst::default();
    let mut counts = QueueCounts::default();
    let mut poll_started = arch::cycles();
    counters.start(poll_started);
    while !quit.is_set() {
        let received = mbufs.receive(queue, burst);
        counts.bursts.count(received);
        if received == 0 {
            counters.publish_empty_polls(&counts);
            poll_started = arch::cycles();
            continue;
        }
        let runts = mbufs.retain_frames(&mut rewrite);
        let sent = mbufs.transmit(queue);
        counts.rx_packets += received as u64;
        counts.runt_dropped += runts as u64;
        counts.tx_packets += sent as u64;
        counts.tx_dropped += (received - runts - sent) as u64;
        let now = arch::cycles();
        counts.busy_cycles += now.saturating_sub(poll_started);
        poll_started = now;
        counters.publish(&counts);
    }
}
