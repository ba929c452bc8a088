//! The per-queue echo loop, run by one lcore on its own RX/TX queue pair.

use crate::arch;
use crate::dpdk::{MacAddr, MbufBurst, QueuePair};
use crate::echo::counters::{QueueCounters, QueueCounts};
use crate::echo::idle::{Adaptive, Idle, IdleMode, Poll};
use crate::echo::rewrite::{self, Mode};
use crate::echo::EchoConfig;
use crate::quit::QuitFlag;

/// Receives bursts of up to `config.burst` frames, rewrites each for
/// `config.mode`, sends them back out, and frees runts and whatever TX
/// refused; between empty polls it does what `config.idle` says. Publishes
/// its totals to `counters` after every burst, until `quit` is set.
pub fn echo_queue(
    mut queue: QueuePair<'_>,
    config: &EchoConfig,
    port_mac: MacAddr,
    counters: &QueueCounters,
    quit: &QuitFlag,
) {
    // One monomorphised loop per mode and idle policy: no test per packet.
    let q = &mut queue;
    let burst = config.burst;
    match (config.mode, config.idle) {
        (Mode::Reply, IdleMode::Poll) => {
            poll(q, burst, counters, quit, |f| rewrite::reply(f, &port_mac.0), Poll)
        }
        (Mode::Swap, IdleMode::Poll) => poll(q, burst, counters, quit, rewrite::swap, Poll),
        (Mode::Reply, IdleMode::Adaptive) => {
            let idle = Adaptive::for_this_thread(config.idle_sleeps);
            poll(q, burst, counters, quit, |f| rewrite::reply(f, &port_mac.0), idle)
        }
        (Mode::Swap, IdleMode::Adaptive) => {
            poll(q, burst, counters, quit, rewrite::swap, Adaptive::for_this_thread(config.idle_sleeps))
        }
    }
}

/// The loop. One read of the cycle counter per poll measures the lcore's
/// load: the cycles from the start of a poll that returned frames to the end
/// of its transmit are busy, the rest (empty polls, sleeps) idle.
#[inline(always)]
fn poll(
    queue: &mut QueuePair<'_>,
    burst: u16,
    counters: &QueueCounters,
    quit: &QuitFlag,
    mut rewrite: impl FnMut(&mut [u8]) -> bool,
    mut idle: impl Idle,
) {
    let mut mbufs = MbufBurst::new(queue);
    let mut counts = QueueCounts::default();
    let mut poll_started = arch::cycles();
    counters.start(poll_started);
    while !quit.is_set() {
        let received = mbufs.receive(burst);
        counts.bursts.count(received);
        if received == 0 {
            counts.slept_cycles += idle.empty_poll();
            counters.publish_empty_polls(&counts);
            poll_started = arch::cycles();
            continue;
        }
        idle.frames();
        let runts = mbufs.retain_frames(&mut rewrite);
        let sent = mbufs.transmit();
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
