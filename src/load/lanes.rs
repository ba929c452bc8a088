//! A trial over several lcores. Each lcore of `-l` is a lane with a queue
//! pair of its own; lane k of n sends frames k, k + n, k + 2n ... of the one
//! schedule (with `--flows` a multiple of n, flows of its own), and judges
//! whatever comes back on its queue, wherever it was sent from: RSS may
//! return any flow on any queue. The lanes' tallies share one bitset, so a
//! probe's first copy is decided once, on whichever queue it lands; each
//! lane publishes how far it has sent and how many replies it has counted,
//! so that a lane knows a frame of another's was sent, and every lane drains
//! until the sums say all is back. One lane alone shares nothing.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use anyhow::{anyhow, Result};
use l2_probe::tally::{Bits, SeenSet};
use l2_probe::{SharedBits, Tally};
use serde::Serialize;

use crate::dpdk::{Eal, Lcore, Port, QueuePair};
use crate::quit::QuitFlag;

/// The lcores a run sends and receives on, a queue pair each (queue i for
/// the i-th lcore of `-l`).
pub struct Lanes<'a, 'eal> {
    eal: &'a Eal,
    port: &'a Port<'eal>,
    lcores: Vec<Lcore>,
}

impl<'a, 'eal> Lanes<'a, 'eal> {
    /// Every lcore of the EAL's `-l`, each on the queue of its index, which
    /// `port` must have set up.
    pub fn new(eal: &'a Eal, port: &'a Port<'eal>) -> Lanes<'a, 'eal> {
        Lanes { eal, port, lcores: eal.lcores() }
    }

    #[mutants::skip] // needs an EAL's lcores: the integration tests cover it, not --lib
    pub fn count(&self) -> usize {
        self.lcores.len()
    }

    pub fn port(&self) -> &Port<'eal> {
        self.port
    }

    /// The lcores' ids, lane by lane.
    #[mutants::skip] // needs an EAL's lcores: the integration tests cover it, not --lib
    pub fn lcore_ids(&self) -> Vec<u32> {
        self.lcores.iter().map(Lcore::id).collect()
    }

    /// Runs `work(lane, queue)` on every lane's lcore, with its queue pair,
    /// and returns their results in lane order; the first error, if any.
    /// The main lcore's lane runs on this thread.
    #[mutants::skip] // drives a real port (or writes stdout): the integration tests cover it, not --lib
    pub fn run<R: Send>(
        &self,
        quit: &QuitFlag,
        work: impl Fn(usize, QueuePair<'_>) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        let results = self.eal.run_on_lcores(&self.lcores, quit, |lane, _lcore| {
            work(lane, self.port.claim_queue(lane as u16)?)
        })?;
        results
            .into_iter()
            .enumerate()
            .map(|(lane, (lcore, result))| {
                result.map_err(|e| anyhow!("lcore {} (queue {lane}) failed: {e:#}", lcore.id()))
            })
            .collect()
    }
}

/// Where one lane stands among the others, as its loop needs to know. For
/// one lane alone ([`Solo`]) every answer is its own count, and costs
/// nothing; for several ([`Crew`]), the shared counts.
pub trait Lane: Sync {
    type Seen: SeenSet + Send;
    /// A tally for this lane's replies, of a trial of `probes` frames.
    fn tally(&self, probes: u64, flows: u32) -> Tally<Self::Seen>;
    /// The sequence number of this lane's `i`-th frame.
    fn seq(&self, i: u64) -> u64;
    /// How many of the schedule's first `due` frames are this lane's.
    fn share(&self, due: u64) -> u64;
    /// This lane's first `handed` frames are on their way: published before
    /// they go to the port, so that no reply of one arrives before another
    /// lane knows it was sent; published again with what the port took.
    fn handing(&self, handed: u64);
    /// Whether frame `seq`, of any lane, was sent (this lane: `own_sent`).
    fn was_sent(&self, seq: u64, own_sent: u64) -> bool;
    /// This lane has counted `back` probes' first copies.
    fn counted(&self, back: u64);
    /// This lane has sent all it will, and drains until `until`.
    fn done_sending(&self, until: u64);
    /// Every lane has sent all it will, and every frame sent is back.
    fn all_back(&self, own_back: u64, own_sent: u64) -> bool;
    /// Every lane has sent all it will, and the last drain is over at `now`.
    fn drain_over(&self, now: u64, own_until: u64) -> bool;
    /// Frames sent and back so far over all lanes, and the number below
    /// which every frame was sent.
    fn totals(&self, own_sent: u64, own_back: u64) -> (u64, u64, u64);
    /// The lanes' tallies, when all are done, as one.
    fn merge(tallies: Vec<Tally<Self::Seen>>) -> Tally<Self::Seen>;
    /// A learning frame `seq` came back on this lane's queue. Each lane's
    /// learning frames go out until one of every lane's has come back, on
    /// any lane's queue.
    fn learned(&self, seq: u64);
    /// One of every lane's learning frames has come back (this lane's
    /// queue has had `own_received`).
    fn all_learned(&self, own_received: u64) -> bool;
    /// Waits for every lane to reach the trial's start (or `quit`), and
    /// returns the cycle the schedule starts at, which the last to arrive
    /// takes from `start()`.
    fn start_together(&self, quit: &QuitFlag, start: impl FnOnce() -> u64) -> u64;
}

/// One lane alone: everything is its own.
pub struct Solo;

impl Lane for Solo {
    type Seen = Bits;

    fn tally(&self, probes: u64, flows: u32) -> Tally {
        Tally::new(probes, flows)
    }

    #[inline(always)]
    fn seq(&self, i: u64) -> u64 {
        i
    }

    #[inline(always)]
    fn share(&self, due: u64) -> u64 {
        due
    }

    #[inline(always)]
    fn handing(&self, _handed: u64) {}

    #[inline(always)]
    fn was_sent(&self, seq: u64, own_sent: u64) -> bool {
        seq < own_sent
    }

    #[inline(always)]
    fn counted(&self, _back: u64) {}

    #[inline(always)]
    fn done_sending(&self, _until: u64) {}

    #[inline(always)]
    fn all_back(&self, own_back: u64, own_sent: u64) -> bool {
        own_back == own_sent
    }

    #[inline(always)]
    fn drain_over(&self, now: u64, own_until: u64) -> bool {
        now >= own_until
    }

    fn totals(&self, own_sent: u64, own_back: u64) -> (u64, u64, u64) {
        (own_sent, own_back, own_sent)
    }

    fn merge(mut tallies: Vec<Tally>) -> Tally {
        assert_eq!(tallies.len(), 1, "one lane");
        tallies.pop().expect("one lane")
    }

    fn learned(&self, _seq: u64) {}

    fn all_learned(&self, own_received: u64) -> bool {
        own_received > 0
    }

    fn start_together(&self, _quit: &QuitFlag, start: impl FnOnce() -> u64) -> u64 {
        start()
    }
}

/// A lane's published counts, a cache line of its own (two: the adjacent
/// line prefetcher) so that one lane's stores do not slow another's loads.
#[derive(Default)]
#[repr(align(128))]
struct Slot {
    /// Its frames handed to the port (see [`Lane::handing`]).
    sent: AtomicU64,
    /// First copies it counted.
    back: AtomicU64,
    /// One of its learning frames came back, on any lane.
    learned: AtomicBool,
}

/// What the lanes of one trial share.
pub struct CrewState {
    slots: Box<[Slot]>,
    seen: SharedBits,
    /// Lanes still sending.
    sending: AtomicUsize,
    /// The latest end of a drain a lane set.
    deadline: AtomicU64,
    /// Lanes whose learning frames came back.
    learned: AtomicUsize,
    /// Lanes at the start line, and what the last to arrive saw there.
    arrived: AtomicUsize,
    start: OnceLock<u64>,
}

impl CrewState {
    /// For `lanes` lanes and a trial of `probes` frames.
    pub fn new(lanes: usize, probes: u64) -> CrewState {
        CrewState {
            slots: (0..lanes).map(|_| Slot::default()).collect(),
            seen: SharedBits::new(probes),
            sending: AtomicUsize::new(lanes),
            deadline: AtomicU64::new(0),
            learned: AtomicUsize::new(0),
            arrived: AtomicUsize::new(0),
            start: OnceLock::new(),
        }
    }

    /// Lane `index`'s view.
    pub fn lane(&self, index: usize) -> Crew<'_> {
        assert!(index < self.slots.len(), "lane {index} of {}", self.slots.len());
        Crew { index: index as u64, lanes: self.slots.len() as u64, state: self }
    }
}

/// One of several lanes.
pub struct Crew<'s> {
    index: u64,
    lanes: u64,
    state: &'s CrewState,
}

impl Crew<'_> {
    fn slot(&self) -> &Slot {
        &self.state.slots[self.index as usize]
    }
}

impl Lane for Crew<'_> {
    type Seen = SharedBits;

    fn tally(&self, probes: u64, flows: u32) -> Tally<SharedBits> {
        Tally::sharing(&self.state.seen, probes, flows)
    }

    #[inline(always)]
    fn seq(&self, i: u64) -> u64 {
        self.index + self.lanes * i
    }

    #[inline(always)]
    fn share(&self, due: u64) -> u64 {
        due.saturating_sub(self.index).div_ceil(self.lanes)
    }

    #[inline(always)]
    fn handing(&self, handed: u64) {
        self.slot().sent.store(handed, Ordering::Release);
    }

    #[inline(always)]
    fn was_sent(&self, seq: u64, _own_sent: u64) -> bool {
        let owner = seq % self.lanes;
        seq < first_unsent(owner, self.lanes, self.state.slots[owner as usize].sent.load(Ordering::Acquire))
    }

    #[inline(always)]
    fn counted(&self, back: u64) {
        self.slot().back.store(back, Ordering::Release);
    }

    fn done_sending(&self, until: u64) {
        self.state.deadline.fetch_max(until, Ordering::AcqRel);
        self.state.sending.fetch_sub(1, Ordering::AcqRel);
    }

    fn all_back(&self, _own_back: u64, _own_sent: u64) -> bool {
        // Read each turn of the drain: the lanes' counts, nothing allocated.
        let slots = &self.state.slots;
        self.state.sending.load(Ordering::Acquire) == 0
            && slots.iter().map(|s| s.back.load(Ordering::Acquire)).sum::<u64>()
                == slots.iter().map(|s| s.sent.load(Ordering::Acquire)).sum::<u64>()
    }

    fn drain_over(&self, now: u64, _own_until: u64) -> bool {
        self.state.sending.load(Ordering::Acquire) == 0 && now >= self.state.deadline.load(Ordering::Acquire)
    }

    fn totals(&self, _own_sent: u64, _own_back: u64) -> (u64, u64, u64) {
        let (mut sent, mut back, mut prefix) = (0, 0, u64::MAX);
        for (lane, slot) in self.state.slots.iter().enumerate() {
            let lane_sent = slot.sent.load(Ordering::Acquire);
            sent += lane_sent;
            back += slot.back.load(Ordering::Acquire);
            prefix = prefix.min(first_unsent(lane as u64, self.lanes, lane_sent));
        }
        (sent, back, prefix)
    }

    fn merge(tallies: Vec<Tally<SharedBits>>) -> Tally<SharedBits> {
        let mut all = tallies.into_iter();
        let mut merged = all.next().expect("a lane");
        all.for_each(|t| merged.merge(&t));
        merged
    }

    fn learned(&self, seq: u64) {
        let slot = &self.state.slots[(seq % self.lanes) as usize];
        if !slot.learned.swap(true, Ordering::AcqRel) {
            self.state.learned.fetch_add(1, Ordering::AcqRel);
        }
    }

    fn all_learned(&self, _own_received: u64) -> bool {
        self.state.learned.load(Ordering::Acquire) as u64 == self.lanes
    }

    fn start_together(&self, quit: &QuitFlag, start: impl FnOnce() -> u64) -> u64 {
        let state = self.state;
        if state.arrived.fetch_add(1, Ordering::AcqRel) as u64 + 1 == self.lanes {
            let _ = state.start.set(start());
        }
        loop {
            if let Some(&at) = state.start.get() {
                return at;
            }
            if quit.is_set() {
                // A lane that failed never arrives: start now, and end soon.
                return crate::arch::cycles();
            }
            std::hint::spin_loop();
        }
    }
}

/// Lane `lane` of `lanes`, having sent `sent` frames: the first of its
/// frames not sent, all of its frames below it sent.
#[inline(always)]
fn first_unsent(lane: u64, lanes: u64, sent: u64) -> u64 {
    lane + lanes * sent
}

/// The frames the lanes sent: lane k of n its first `sent[k]`, frames
/// k, k + n ... Every frame below [`prefix`](Self::prefix) was sent, none
/// from [`end`](Self::end) on; between them, those of lanes that got further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSet {
    sent: Vec<u64>,
}

impl SentSet {
    pub fn new(sent: Vec<u64>) -> SentSet {
        assert!(!sent.is_empty(), "a lane at least");
        SentSet { sent }
    }

    fn lanes(&self) -> u64 {
        self.sent.len() as u64
    }

    /// Where lane k's frames stop: its first frame not sent.
    fn stop(&self, lane: usize) -> u64 {
        first_unsent(lane as u64, self.lanes(), self.sent[lane])
    }

    pub fn total(&self) -> u64 {
        self.sent.iter().sum()
    }

    pub fn prefix(&self) -> u64 {
        (0..self.sent.len()).map(|k| self.stop(k)).min().expect("a lane")
    }

    pub fn end(&self) -> u64 {
        (0..self.sent.len()).map(|k| self.stop(k)).max().expect("a lane")
    }

    pub fn contains(&self, seq: u64) -> bool {
        seq < self.stop((seq % self.lanes()) as usize)
    }

    /// Of the frames sent, those no copy of came back, read from `tally`'s
    /// bitset: how many, and the lowest.
    pub fn lost<S: SeenSet>(&self, tally: &Tally<S>) -> (u64, Option<u64>) {
        let prefix = self.prefix();
        let tail = (prefix..self.end()).filter(|&seq| self.contains(seq) && !tally.is_back(seq));
        let (mut count, mut first) = (tally.lost(prefix), tally.first_lost(prefix));
        for seq in tail {
            count += 1;
            first = first.or(Some(seq));
        }
        (count, first)
    }
}

/// What one lane sent and received in a trial (with several lanes, in the
/// JSON's `lanes`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LaneRates {
    pub lcore: u32,
    pub queue: u16,
    pub sent: u64,
    /// Frames of this trial that came back on its queue, whichever lane sent
    /// them (first copies, duplicates and unmatched).
    pub received: u64,
    /// Each over the trial's sending time (its `rate_pps`'s).
    pub sent_pps: f64,
    pub received_pps: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use l2_probe::Verdict;

    #[test]
    fn lanes_take_turns_through_the_schedule() {
        let state = CrewState::new(3, 100);
        let lanes: Vec<Crew> = (0..3).map(|k| state.lane(k)).collect();
        let seqs: Vec<Vec<u64>> = lanes.iter().map(|l| (0..4).map(|i| l.seq(i)).collect()).collect();
        assert_eq!(seqs, [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8, 11]]);
        for due in 0..20 {
            let shares: Vec<u64> = lanes.iter().map(|l| l.share(due)).collect();
            assert_eq!(shares.iter().sum::<u64>(), due, "{due}: {shares:?}");
            for (lane, &share) in lanes.iter().zip(&shares) {
                assert!(
                    share == 0 || lane.seq(share - 1) < due,
                    "its last due frame is among the first {due}"
                );
                assert!(lane.seq(share) >= due, "its next is not");
            }
        }
        assert_eq!((Solo.seq(7), Solo.share(7)), (7, 7));
    }

    #[test]
    fn a_frame_counts_as_sent_once_its_lane_handed_it_over() {
        let state = CrewState::new(2, 100);
        let (a, b) = (state.lane(0), state.lane(1));
        assert!(!b.was_sent(0, 0) && !a.was_sent(1, 0));
        a.handing(3); // 0, 2, 4
        assert!(b.was_sent(0, 0) && b.was_sent(4, 0) && !b.was_sent(6, 0) && !b.was_sent(1, 0));
        b.handing(1); // 1
        assert!(a.was_sent(1, 0) && !a.was_sent(3, 0));
        assert!(Solo.was_sent(4, 5) && !Solo.was_sent(5, 5));
    }

    #[test]
    fn the_drain_ends_on_the_sums_of_every_lane() {
        let state = CrewState::new(2, 100);
        let (a, b) = (state.lane(0), state.lane(1));
        a.handing(5);
        b.handing(5);
        a.counted(7);
        a.done_sending(1000);
        assert!(!a.all_back(7, 5), "b is still sending");
        assert!(!a.drain_over(5000, 1000), "b is still sending");
        b.counted(2);
        b.done_sending(2000);
        assert!(!a.all_back(7, 5), "9 of 10 back, though a got more than it sent");
        assert!(!a.drain_over(1500, 1000) && a.drain_over(2000, 1000), "the later drain");
        b.counted(3);
        assert!(a.all_back(7, 5) && b.all_back(3, 5));
        assert_eq!(a.totals(0, 0), (10, 10, 10));
        b.handing(3);
        assert_eq!(a.totals(0, 0), (8, 10, 7), "b sent 1, 3 and 5: every frame below 7");
        assert!(Solo.all_back(3, 3) && !Solo.all_back(2, 3));
        assert_eq!(Solo.totals(5, 3), (5, 3, 5), "its own counts, all below what it sent");
        assert!(Solo.drain_over(10, 10) && !Solo.drain_over(9, 10));
    }

    #[test]
    fn every_lane_learns_once_one_of_each_one_s_frames_came_back() {
        let state = CrewState::new(3, 10);
        let lanes: Vec<Crew> = (0..3).map(|k| state.lane(k)).collect();
        lanes[0].learned(4); // lane 1's frame, back on lane 0
        lanes[2].learned(1); // lane 1's again
        lanes[1].learned(0);
        assert!(!lanes[0].all_learned(5), "nothing of lane 2's yet");
        lanes[1].learned(8);
        assert!(lanes.iter().all(|l| l.all_learned(0)));
        assert!(Solo.all_learned(1) && !Solo.all_learned(0));
    }

    #[test]
    fn the_lanes_start_on_the_cycle_the_last_to_arrive_chose() {
        let state = CrewState::new(3, 10);
        let quit = QuitFlag::default();
        let starts: Vec<u64> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..3)
                .map(|k| {
                    let (lane, quit) = (state.lane(k), &quit);
                    s.spawn(move || lane.start_together(quit, || 1000 + k as u64))
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert!(starts.iter().all(|&s| s == starts[0] && (1000..1003).contains(&s)), "{starts:?}");
        assert_eq!(Solo.start_together(&quit, || 42), 42, "alone: at once, where it says");
    }

    #[test]
    fn the_frames_sent_are_each_lane_s_first_ones() {
        let set = SentSet::new(vec![4, 3, 3]); // 0 to 9: lanes 1 and 2 stop at 10 and 11, lane 0 at 12
        assert_eq!((set.total(), set.prefix(), set.end()), (10, 10, 12));
        assert!((0..10).all(|s| set.contains(s)) && !set.contains(10) && !set.contains(11));
        let set = SentSet::new(vec![1, 3]); // 0; 1, 3, 5
        assert_eq!((set.total(), set.prefix(), set.end()), (4, 2, 7));
        let sent: Vec<u64> = (0..8).filter(|&s| set.contains(s)).collect();
        assert_eq!(sent, [0, 1, 3, 5]);
        let one = SentSet::new(vec![7]);
        assert_eq!((one.total(), one.prefix(), one.end()), (7, 7, 7));
    }

    #[test]
    fn lost_counts_the_frames_sent_and_not_back_of_every_lane() {
        let seen = SharedBits::new(64);
        let mut t = Tally::sharing(&seen, 64, 0);
        for seq in [0, 1, 3, 9] {
            t.record(seq, Verdict::Good, 1, 10);
        }
        // Lane 0 sent 0, 2, 4, 6; lane 1 sent 1, 3, 5, 7, 9: 2, 4, 5, 6, 7 lost.
        assert_eq!(SentSet::new(vec![4, 5]).lost(&t), (5, Some(2)));
        for seq in [2, 4, 6] {
            t.record(seq, Verdict::Good, 1, 10);
        }
        assert_eq!(SentSet::new(vec![4, 5]).lost(&t), (2, Some(5)), "past the prefix (8)");
        assert_eq!(SentSet::new(vec![4, 3]).lost(&t), (1, Some(5)));
        for seq in [5, 7] {
            t.record(seq, Verdict::Good, 1, 10);
        }
        assert_eq!(SentSet::new(vec![4, 5]).lost(&t), (0, None));
        // Past the prefix: lane 1's 11 and 13, after lane 0 stopped at 10.
        let mut t = Tally::sharing(&SharedBits::new(64), 64, 0);
        (0..10).for_each(|seq| _ = t.record(seq, Verdict::Good, 1, 10));
        assert_eq!(SentSet::new(vec![5, 7]).lost(&t), (2, Some(11)), "the first 10 back, 11 and 13 not");
        t.record(13, Verdict::Good, 1, 10);
        assert_eq!(SentSet::new(vec![5, 7]).lost(&t), (1, Some(11)));
    }
}
