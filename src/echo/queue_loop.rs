//! The per-queue echo loop, run by one lcore on its own RX/TX queue pair.

use crate::arch;
use crate::dpdk::{MacAddr, MbufBurst, QueuePair};
use crate::echo::counters::{QueueCounters, QueueCounts};
use crate::echo::icmp::Responder;
use crate::echo::idle::{Adaptive, Idle, IdleMode, Poll};
use crate::echo::rewrite::{self, Fate};
use crate::echo::{EchoConfig, Rewrite};
use crate::quit::QuitFlag;

/// Receives bursts of up to `config.burst` frames, rewrites each as
/// `config.rewrite` says, sends them back out, and frees runts, ignored
/// frames and whatever TX refused; between empty polls it does what
/// `config.idle` says. Publishes its totals to `counters` after every burst,
/// until `quit` is set.
pub fn echo_queue(
    mut queue: QueuePair<'_>,
    config: &EchoConfig,
    port_mac: MacAddr,
    counters: &QueueCounters,
    quit: &QuitFlag,
) {
    // One monomorphised loop per rewrite and idle policy: no test per packet.
    let q = &mut queue;
    let burst = config.burst;
    let reply = |f: &mut [u8]| Fate::echo_unless_runt(rewrite::reply(f, &port_mac.0));
    let swap = |f: &mut [u8]| Fate::echo_unless_runt(rewrite::swap(f));
    let adaptive = || Adaptive::for_this_thread(config.idle_sleeps);
    match (config.rewrite, config.idle) {
        (Rewrite::Reply, IdleMode::Poll) => poll(q, burst, counters, quit, reply, Poll),
        (Rewrite::Swap, IdleMode::Poll) => poll(q, burst, counters, quit, swap, Poll),
        (Rewrite::Icmp(ip), IdleMode::Poll) => {
            let responder = Responder { mac: port_mac.0, ip: ip.octets() };
            poll(q, burst, counters, quit, |f| responder.answer(f), Poll)
        }
        (Rewrite::Reply, IdleMode::Adaptive) => poll(q, burst, counters, quit, reply, adaptive()),
        (Rewrite::Swap, IdleMode::Adaptive) => poll(q, burst, counters, quit, swap, adaptive()),
        (Rewrite::Icmp(ip), IdleMode::Adaptive) => {
            let responder = Responder { mac: port_mac.0, ip: ip.octets() };
            poll(q, burst, counters, quit, |f| responder.answer(f), adaptive())
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
    mut rewrite: impl FnMut(&mut [u8]) -> Fate,
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
        let kept = received
            - mbufs.retain_frames(|frame| match rewrite(frame) {
                Fate::Echo => true,
                Fate::ArpReply => {
                    counts.arp_replies += 1;
                    true
                }
                Fate::Runt => {
                    counts.runt_dropped += 1;
                    false
                }
                Fate::Ignored => {
                    counts.ignored += 1;
                    false
                }
            });
        let sent = mbufs.transmit();
        counts.rx_packets += received as u64;
        counts.tx_packets += sent as u64;
        counts.tx_dropped += (kept - sent) as u64;
        let now = arch::cycles();
        counts.busy_cycles += now.saturating_sub(poll_started);
        poll_started = now;
        counters.publish(&counts);
    }
}
