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
/// `config.idle` says. Publishes its totals to `counters` every
/// [`PUBLISH_EVERY`] bursts, at each empty poll and at the end, until `quit`
/// is set.
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
    let from = rewrite::ReplyFrom::new(&port_mac.0);
    let reply = |f: &mut [u8]| Fate::echo_unless_runt(rewrite::reply(f, &from));
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

/// Bursts between two publications of the counters while the queue stays
/// busy (and so between two reads of the cycle counter): a reader sees the
/// totals at most this many bursts late.
const PUBLISH_EVERY: u32 = 16;

/// The loop. The lcore's load is measured by runs of polls that returned
/// frames: the cycle counter is read where a run starts (after an empty
/// poll), every [`PUBLISH_EVERY`] bursts within it and where it ends (at the
/// next empty poll), not once a burst; a run's time is busy (with the one
/// empty receive that ends it, tens of cycles), the rest (empty polls,
/// sleeps) idle.
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
    let mut run_started = arch::cycles();
    counters.start(run_started);
    // Bursts of the current run not yet published (0: the queue was empty).
    let mut unpublished = 0u32;
    while !quit.is_set() {
        let received = mbufs.receive(burst);
        counts.bursts.count(received);
        if received == 0 {
            if unpublished > 0 {
                counts.busy_cycles += arch::cycles().saturating_sub(run_started);
                counters.publish(&counts);
                unpublished = 0;
            }
            counts.slept_cycles += idle.empty_poll();
            counters.publish_empty_polls(&counts);
            run_started = arch::cycles();
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
        unpublished += 1;
        if unpublished == PUBLISH_EVERY {
            let now = arch::cycles();
            counts.busy_cycles += now.saturating_sub(run_started);
            run_started = now;
            counters.publish(&counts);
            unpublished = 0;
        }
    }
    // The last bursts, for the summary.
    if unpublished > 0 {
        counts.busy_cycles += arch::cycles().saturating_sub(run_started);
    }
    counters.publish(&counts);
}
