//! Counting replies. Every probe sent ends as exactly one of four classes:
//! **good** (its first copy back correct and in time), **bad** (its first
//! copy back with wrong addresses or bytes), **late** (its first copy back
//! correct after the timeout) or **lost** (never back). The first copy to
//! come back classifies a probe, whatever follows: every later copy is a
//! **duplicate**, and a frame of this run whose sequence number was never
//! sent is **unmatched**; both are counted beside the four, as is
//! **reordered** (good or late first copies that came after a later probe of
//! their own flow). Round trips of good replies go into a log-linear
//! histogram (three significant digits); late ones, past the timeout, only
//! into their largest. Times are in the
//! sender's ticks (l2_ping: nanoseconds; l2_load: cycles), converted when
//! reported.
//!
//! Which copy came first is kept in a bitset: a plain one ([`Bits`]) for a
//! tally alone, or one several tallies share ([`SharedBits`]), one per
//! receiving thread, so that a reply counts once whichever queue it lands on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::histogram::Histogram;
use serde::Serialize;

use crate::frame::{flow_of, ProbeSpec, Verdict};

/// What a frame carrying one of this run's probes counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A probe's first copy, correct and in time.
    Good,
    /// A probe's first copy, with wrong addresses or bytes.
    Bad,
    /// A probe's first copy, correct, after the timeout.
    Late,
    /// A later copy of a probe already back.
    Duplicate,
    /// This run's id, but a sequence number never sent (damaged there): no
    /// sent probe's copy.
    Unmatched,
}

/// A received probe, judged.
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    pub seq: u64,
    /// The stamp the frame itself carries.
    pub stamp: u64,
    /// The stamp the probe was sent with (0 when unmatched).
    pub sent: u64,
    pub verdict: Verdict,
    pub outcome: Outcome,
    /// Ticks from `sent` to its arrival.
    pub rtt: u64,
}

/// What became of the probes sent: each is in exactly one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes {
    pub good: u64,
    pub bad: u64,
    pub late: u64,
    pub lost: u64,
}

/// A bit per probe: a copy of it came back (the first, which classified it).
pub trait SeenSet {
    /// Marks probe `seq` (below the capacity) back: true when it was not yet.
    fn mark(&mut self, seq: u64) -> bool;
    /// Bits `64 * index` to `64 * index + 63`.
    fn word(&self, index: usize) -> u64;
    fn words(&self) -> usize;
}

/// The bitset of a tally alone.
pub struct Bits(Vec<u64>);

impl SeenSet for Bits {
    #[inline(always)]
    fn mark(&mut self, seq: u64) -> bool {
        let (word, bit) = (&mut self.0[(seq / 64) as usize], 1u64 << (seq % 64));
        let first = *word & bit == 0;
        *word |= bit;
        first
    }

    fn word(&self, index: usize) -> u64 {
        self.0[index]
    }

    fn words(&self) -> usize {
        self.0.len()
    }
}

/// A bitset the tallies of several threads share: the first copy is decided
/// by an atomic or, whichever thread's queue it lands on. Reading it while
/// they count gives a moment's picture; after they have finished, the whole.
#[derive(Clone)]
pub struct SharedBits(Arc<[AtomicU64]>);

impl SharedBits {
    /// Room for probes 0 to `probes` - 1, none back.
    pub fn new(probes: u64) -> SharedBits {
        SharedBits((0..probes.div_ceil(64)).map(|_| AtomicU64::new(0)).collect())
    }
}

impl SeenSet for SharedBits {
    #[inline(always)]
    fn mark(&mut self, seq: u64) -> bool {
        // Relaxed: one location, whose changes every thread sees in one order.
        let bit = 1u64 << (seq % 64);
        self.0[(seq / 64) as usize].fetch_or(bit, Ordering::Relaxed) & bit == 0
    }

    fn word(&self, index: usize) -> u64 {
        self.0[index].load(Ordering::Relaxed)
    }

    fn words(&self) -> usize {
        self.0.len()
    }
}

/// The replies seen so far, for probes numbered from 0 to a bound set up
/// front. Lives on the receiving thread; with [`SharedBits`], one per
/// receiving thread, merged when they are done.
pub struct Tally<S: SeenSet = Bits> {
    seen: S,
    capacity: u64,
    flows: u32,
    /// Per flow, the highest sequence number received (0 before any: none
    /// is below it, so the first is never taken as reordered).
    flow_highest: Vec<u64>,
    pub good: u64,
    pub bad: u64,
    pub late: u64,
    pub duplicates: u64,
    pub unmatched: u64,
    /// Good or late first copies that came after a later probe of their own flow.
    pub reordered: u64,
    /// The longest round trip of a late reply, in ticks (0: none late).
    late_max: u64,
    /// The good replies' round trips.
    rtt: Histogram,
    /// The last good reply's round trip, and the sum of the differences
    /// between consecutive good replies' round trips, and how many such
    /// pairs there were: the jitter.
    last_rtt: u64,
    rtt_steps: u64,
    rtt_pairs: u64,
}

/// The longest round trip recorded exactly: 2^44 ticks (about an hour of a
/// 4 GHz cycle counter); longer ones are recorded as this.
const RTT_MAX: u64 = 1 << 44;

impl Tally {
    /// A tally for probes 0 to `probes` - 1 over `flows` flows (0: one).
    pub fn new(probes: u64, flows: u32) -> Tally {
        Tally::with_seen(Bits(vec![0; probes.div_ceil(64) as usize]), probes, flows)
    }
}

impl Tally<SharedBits> {
    /// One of several tallies for probes 0 to `probes` - 1 (`seen`'s
    /// capacity or less) over `flows` flows, each on its own thread,
    /// sharing `seen`. Reordering is counted among the replies each one sees.
    pub fn sharing(seen: &SharedBits, probes: u64, flows: u32) -> Tally<SharedBits> {
        assert!(probes.div_ceil(64) <= seen.words() as u64, "room for {probes} probes");
        Tally::with_seen(seen.clone(), probes, flows)
    }

    /// Adds what `other`, a tally sharing this one's bitset, counted.
    pub fn merge(&mut self, other: &Tally<SharedBits>) {
        assert!(Arc::ptr_eq(&self.seen.0, &other.seen.0), "tallies of one bitset");
        self.good += other.good;
        self.bad += other.bad;
        self.late += other.late;
        self.duplicates += other.duplicates;
        self.unmatched += other.unmatched;
        self.reordered += other.reordered;
        self.late_max = self.late_max.max(other.late_max);
        self.rtt.add(&other.rtt);
        self.rtt_steps += other.rtt_steps;
        self.rtt_pairs += other.rtt_pairs;
    }
}

impl<S: SeenSet> Tally<S> {
    fn with_seen(seen: S, probes: u64, flows: u32) -> Tally<S> {
        Tally {
            seen,
            capacity: probes,
            flows: flows.max(1),
            flow_highest: vec![0; flows.max(1) as usize],
            good: 0,
            bad: 0,
            late: 0,
            duplicates: 0,
            unmatched: 0,
            reordered: 0,
            late_max: 0,
            rtt: Histogram::new(RTT_MAX),
            last_rtt: 0,
            rtt_steps: 0,
            rtt_pairs: 0,
        }
    }

    /// Judges and counts a frame that arrived at `now`: None when it carries
    /// none of this run's probes. `sent(seq)` is the stamp probe `seq` was
    /// sent with, None if it was never sent. The bytes come from the network:
    /// anything at all may arrive.
    #[inline(always)]
    pub fn judge(
        &mut self,
        spec: &ProbeSpec,
        frame: &[u8],
        sent: impl FnOnce(u64) -> Option<u64>,
        now: u64,
        timeout: u64,
    ) -> Option<Judged> {
        let (seq, stamp) = spec.identify(frame)?;
        let Some(sent) = sent(seq) else {
            self.unmatched += 1;
            return Some(Judged {
                seq,
                stamp,
                sent: 0,
                verdict: Verdict::Corrupt,
                outcome: Outcome::Unmatched,
                rtt: 0,
            });
        };
        let verdict = spec.check_identified(frame, seq, sent);
        let rtt = now.saturating_sub(sent);
        let outcome = self.record(seq, verdict, rtt, timeout);
        Some(Judged { seq, stamp, sent, verdict, outcome, rtt })
    }

    /// Counts a copy of probe `seq`, judged `verdict`, `rtt` ticks after it
    /// was sent.
    #[inline(always)]
    pub fn record(&mut self, seq: u64, verdict: Verdict, rtt: u64, timeout: u64) -> Outcome {
        if seq >= self.capacity {
            self.unmatched += 1;
            return Outcome::Unmatched;
        }
        if !self.seen.mark(seq) {
            self.duplicates += 1;
            return Outcome::Duplicate;
        }
        if verdict != Verdict::Good {
            self.bad += 1;
            return Outcome::Bad;
        }
        // A first copy: never equal to the highest (that one came back).
        let highest = &mut self.flow_highest[flow_of(seq, self.flows) as usize];
        if seq < *highest {
            self.reordered += 1;
        } else {
            *highest = seq;
        }
        if rtt > timeout {
            self.late += 1;
            self.late_max = self.late_max.max(rtt);
            return Outcome::Late;
        }
        if self.good > 0 {
            self.rtt_steps += rtt.abs_diff(self.last_rtt);
            self.rtt_pairs += 1;
        }
        self.last_rtt = rtt;
        self.good += 1;
        self.rtt.record(rtt);
        Outcome::Good
    }

    /// Probes back so far, each once: good, bad or late.
    pub fn back(&self) -> u64 {
        self.good + self.bad + self.late
    }

    /// Of probes 0 to `sent` - 1, those no copy of came back: read from the
    /// bitset, not from the other counts.
    pub fn lost(&self, sent: u64) -> u64 {
        assert!(sent <= self.capacity, "{sent} probes sent, {} tallied", self.capacity);
        let (whole, rest) = ((sent / 64) as usize, sent % 64);
        let missing = |word: u64| u64::from(word.count_zeros());
        let mut lost: u64 = (0..whole).map(|i| missing(self.seen.word(i))).sum();
        if rest > 0 {
            lost += missing(self.seen.word(whole) | !((1u64 << rest) - 1));
        }
        lost
    }

    /// Whether a copy of probe `seq` came back (false past the capacity).
    pub fn is_back(&self, seq: u64) -> bool {
        seq < self.capacity && self.seen.word((seq / 64) as usize) & (1 << (seq % 64)) != 0
    }

    /// The lowest-numbered of probes 0 to `sent` - 1 that no copy of came
    /// back (None: every one did): where in a trial the losses began.
    pub fn first_lost(&self, sent: u64) -> Option<u64> {
        assert!(sent <= self.capacity, "{sent} probes sent, {} tallied", self.capacity);
        let (word, w) =
            (0..self.seen.words()).map(|i| (i, self.seen.word(i))).find(|(_, w)| *w != u64::MAX)?;
        Some(word as u64 * 64 + u64::from(w.trailing_ones())).filter(|&seq| seq < sent)
    }

    /// What became of probes 0 to `sent` - 1 (those, and no others, sent).
    pub fn classes(&self, sent: u64) -> Classes {
        let classes = Classes { good: self.good, bad: self.bad, late: self.late, lost: self.lost(sent) };
        debug_assert_eq!(
            classes.good + classes.bad + classes.late + classes.lost,
            sent,
            "each probe sent in exactly one class: {classes:?}"
        );
        classes
    }

    /// The longest round trip of a late reply in nanoseconds, at
    /// `ns_per_tick`; None when none was late.
    pub fn late_max_ns(&self, ns_per_tick: f64) -> Option<u64> {
        (self.late > 0).then(|| (self.late_max as f64 * ns_per_tick).round() as u64)
    }

    /// The round trip in nanoseconds, at `ns_per_tick`, at or below which
    /// a `quantile` of the good replies' are (None: none yet): one of
    /// [`percentiles`](Self::percentiles), for less (a pass over the buckets).
    pub fn quantile_ns(&self, quantile: f64, ns_per_tick: f64) -> Option<u64> {
        (!self.rtt.is_empty())
            .then(|| (self.rtt.value_at_quantile(quantile) as f64 * ns_per_tick).round() as u64)
    }

    /// The good replies' round trips in nanoseconds, at `ns_per_tick` (late
    /// ones are not among them: see [`late_max_ns`](Self::late_max_ns)).
    pub fn percentiles(&self, ns_per_tick: f64) -> Option<Percentiles> {
        let h = &self.rtt;
        let ns = |ticks: u64| (ticks as f64 * ns_per_tick).round() as u64;
        // The paper's share under 10 us (Høiland-Jørgensen et al., XDP).
        let ticks_10us = (10_000.0 / ns_per_tick) as u64;
        (!h.is_empty()).then(|| Percentiles {
            mean: h.mean() * ns_per_tick,
            jitter: match self.rtt_pairs {
                0 => 0.0,
                n => self.rtt_steps as f64 / n as f64 * ns_per_tick,
            },
            under_10us: h.count_at_most(ticks_10us),
            min: ns(h.min()),
            p50: ns(h.value_at_quantile(0.50)),
            p90: ns(h.value_at_quantile(0.90)),
            p99: ns(h.value_at_quantile(0.99)),
            p999: ns(h.value_at_quantile(0.999)),
            p9999: ns(h.value_at_quantile(0.9999)),
            max: ns(h.max()),
        })
    }

    /// The good replies' percentile distribution, HdrHistogram's way: (the
    /// fraction of replies at or below, that round trip in nanoseconds), at
    /// `ticks_per_half` points per halving of the remaining fraction.
    pub fn distribution(&self, ns_per_tick: f64, ticks_per_half: u32) -> Vec<(f64, f64)> {
        self.rtt.distribution(ticks_per_half).into_iter().map(|(q, v)| (q, v as f64 * ns_per_tick)).collect()
    }
}

/// Round-trip times in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Percentiles {
    /// The average (to the histogram's 3 significant digits).
    pub mean: f64,
    /// The mean absolute difference between the round trips of consecutive
    /// good replies, in the order they came back (RFC 3550's jitter, not
    /// smoothed): how much one round trip differs from the next.
    pub jitter: f64,
    /// How many were 10 us or less.
    pub under_10us: u64,
    pub min: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub p9999: u64,
    pub max: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Expect;
    use crate::mac::Mac;

    const T: u64 = 1_000_000_000;
    const MS: u64 = 1_000_000;

    /// The classes of `sent` probes, and that they add up to it.
    fn classes_adding_up<S: SeenSet>(t: &Tally<S>, sent: u64) -> Classes {
        let c = t.classes(sent);
        assert_eq!(c.good + c.bad + c.late + c.lost, sent, "{c:?}");
        c
    }

    #[test]
    fn each_probe_sent_is_good_bad_late_or_lost() {
        let mut t = Tally::new(8, 0);
        assert_eq!(t.record(0, Verdict::Good, MS, T), Outcome::Good);
        assert_eq!(t.record(1, Verdict::Corrupt, MS, T), Outcome::Bad);
        let m = Mac([0; 6]);
        assert_eq!(t.record(2, Verdict::WrongAddresses(m, m), MS, T), Outcome::Bad);
        assert_eq!(t.record(3, Verdict::Good, 1500 * MS, T), Outcome::Late);
        // 4 and 5 never come back.
        assert_eq!(classes_adding_up(&t, 6), Classes { good: 1, bad: 2, late: 1, lost: 2 });
        assert_eq!(t.lost(4), 0, "a bad reply is not lost, nor is a late one");
    }

    #[test]
    fn lost_is_read_from_the_bitset_not_from_the_other_counts() {
        let mut t = Tally::new(200, 0);
        for seq in (0..200).filter(|seq| seq % 3 != 0) {
            t.record(seq, Verdict::Good, 1, T);
        }
        assert_eq!(t.lost(200), 67, "0, 3, ... 198");
        assert_eq!((t.lost(0), t.lost(1), t.lost(64), t.lost(65), t.lost(128)), (0, 1, 22, 22, 43));
        t.good -= 1;
        assert_eq!(t.lost(200), 67, "lost does not follow the other counts");
    }

    #[test]
    fn the_first_lost_probe_is_the_lowest_never_back() {
        let mut t = Tally::new(200, 0);
        assert_eq!((t.first_lost(0), t.first_lost(1), t.first_lost(200)), (None, Some(0), Some(0)));
        for seq in (0..200).filter(|&seq| seq != 70 && seq != 150) {
            t.record(seq, Verdict::Good, 1, T);
        }
        assert_eq!((t.first_lost(70), t.first_lost(71), t.first_lost(200)), (None, Some(70), Some(70)));
        t.record(70, Verdict::Corrupt, 1, T);
        assert_eq!(t.first_lost(200), Some(150), "a bad reply came back: not lost");
        assert_eq!((t.first_lost(64), t.first_lost(128), t.first_lost(150)), (None, None, None));
        t.record(150, Verdict::Good, 2 * T, T);
        assert_eq!(t.first_lost(200), None, "late, not lost");
    }

    #[test]
    fn jitter_is_the_mean_step_between_consecutive_good_round_trips() {
        let mut t = Tally::new(8, 0);
        t.record(0, Verdict::Good, 10, T);
        assert_eq!(t.percentiles(1.0).unwrap().jitter, 0.0, "one round trip: no step");
        // Steps of 20, 15 and 5; the late and the bad reply are not among them.
        t.record(1, Verdict::Good, 30, T);
        t.record(2, Verdict::Good, 2 * T, T);
        t.record(3, Verdict::Corrupt, 1000, T);
        t.record(4, Verdict::Good, 15, T);
        t.record(5, Verdict::Good, 20, T);
        let p = t.percentiles(2.0).unwrap();
        assert_eq!(p.jitter, 2.0 * 40.0 / 3.0, "in ns at 2 ns a tick: {p:?}");
        assert_eq!(p.mean, 2.0 * 75.0 / 4.0, "{p:?}");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "each probe sent in exactly one class")]
    fn counts_that_do_not_add_up_to_the_probes_sent_are_caught() {
        let mut t = Tally::new(2, 0);
        t.record(0, Verdict::Good, MS, T);
        t.good += 1;
        t.classes(2);
    }

    #[test]
    fn the_first_copy_classifies_a_probe_and_later_ones_are_duplicates() {
        let mut t = Tally::new(4, 0);
        assert_eq!(t.record(0, Verdict::Corrupt, MS, T), Outcome::Bad);
        assert_eq!(t.record(0, Verdict::Good, 2 * MS, T), Outcome::Duplicate, "bad, then good");
        assert_eq!(t.record(1, Verdict::Good, MS, T), Outcome::Good);
        assert_eq!(t.record(1, Verdict::Corrupt, 2 * MS, T), Outcome::Duplicate, "good, then bad");
        assert_eq!(t.record(2, Verdict::Good, 1500 * MS, T), Outcome::Late);
        assert_eq!(t.record(2, Verdict::Good, 1600 * MS, T), Outcome::Duplicate, "late, then late");
        assert_eq!((t.duplicates, t.unmatched), (3, 0));
        assert_eq!(classes_adding_up(&t, 4), Classes { good: 1, bad: 1, late: 1, lost: 1 });
    }

    #[test]
    fn unmatched_and_duplicates_are_counted_beside_the_classes() {
        let mut t = Tally::new(2, 0);
        assert_eq!(t.record(0, Verdict::Good, MS, T), Outcome::Good);
        assert_eq!(t.record(0, Verdict::Good, MS, T), Outcome::Duplicate);
        assert_eq!(t.record(2, Verdict::Good, MS, T), Outcome::Unmatched, "never sent");
        assert_eq!(t.record(u64::MAX, Verdict::Corrupt, MS, T), Outcome::Unmatched);
        assert_eq!((t.duplicates, t.unmatched), (1, 2));
        assert_eq!(classes_adding_up(&t, 2), Classes { good: 1, bad: 0, late: 0, lost: 1 });
        assert_eq!(t.back(), 1);
    }

    #[test]
    fn late_replies_keep_their_largest_round_trip_out_of_the_percentiles() {
        let mut t = Tally::new(4, 0);
        assert_eq!(t.late_max_ns(1.0), None);
        t.record(0, Verdict::Good, MS, T);
        t.record(1, Verdict::Good, 3000 * MS, T);
        t.record(2, Verdict::Good, 2000 * MS, T);
        assert_eq!(t.late_max_ns(0.5), Some(1500 * MS));
        let p = t.percentiles(1.0).unwrap();
        assert!(p.max.abs_diff(MS) < MS / 100, "good replies only: {p:?}");
    }

    #[test]
    fn a_reply_at_the_timeout_is_not_late() {
        let mut t = Tally::new(1, 0);
        assert_eq!(t.record(0, Verdict::Good, T, T), Outcome::Good);
    }

    #[test]
    fn the_bitset_keeps_probes_apart_across_words() {
        let mut t = Tally::new(200, 0);
        for seq in [0, 63, 64, 127, 128, 199] {
            assert_eq!(t.record(seq, Verdict::Good, 1, T), Outcome::Good, "{seq}");
        }
        for seq in [1, 62, 65, 126, 129, 198] {
            assert_eq!(t.record(seq, Verdict::Good, 1, T), Outcome::Good, "{seq}");
        }
        assert_eq!(t.record(64, Verdict::Good, 1, T), Outcome::Duplicate);
        assert_eq!(t.record(200, Verdict::Good, 1, T), Outcome::Unmatched);
    }

    #[test]
    fn reordering_counts_within_a_flow_only() {
        // 4 flows: probes 0, 4, 8 are flow 0; 1, 5 flow 1.
        let mut t = Tally::new(16, 4);
        for seq in [4, 1, 0, 5, 8] {
            t.record(seq, Verdict::Good, 1, T);
        }
        assert_eq!(t.reordered, 1, "0 after 4 in flow 0; 1 before 4 is another flow");
        t.record(2, Verdict::Good, 1, T);
        t.record(6, Verdict::Good, 1, T);
        t.record(3, Verdict::Good, 1, T);
        assert_eq!(t.reordered, 1);
        // One flow: any step back is reordering.
        let mut t = Tally::new(16, 0);
        for seq in [0, 2, 1, 3] {
            t.record(seq, Verdict::Good, 1, T);
        }
        assert_eq!((t.good, t.reordered), (4, 1));
        t.record(1, Verdict::Good, 1, T);
        assert_eq!((t.duplicates, t.reordered), (1, 1), "a duplicate is not reordered");
    }

    #[test]
    fn frames_are_judged_against_what_was_sent_and_when() {
        let (us, echo) = (Mac([2, 0, 0, 0, 0, 1]), Mac([2, 0, 0, 0, 0, 2]));
        let spec = ProbeSpec::new(us, echo, Expect::Reply, 64, 0, 7).unwrap();
        let sent_at = [0u64, 2_000, 1_000, 0];
        let sent = |seq: u64| sent_at.get(seq as usize).copied().filter(|&t| t != 0);
        let (mut t, mut frame) = (Tally::new(4, 0), Vec::new());
        let reply = |frame: &mut Vec<u8>| {
            frame[..6].copy_from_slice(&us.0);
            frame[6..12].copy_from_slice(&echo.0);
        };
        spec.build(2, 1_000, &mut frame);
        reply(&mut frame);
        let j = t.judge(&spec, &frame, sent, 5_000, T).expect("a probe");
        assert_eq!(
            (j.seq, j.stamp, j.verdict, j.outcome, j.rtt),
            (2, 1_000, Verdict::Good, Outcome::Good, 4_000)
        );
        spec.build(3, 1_000, &mut frame);
        reply(&mut frame);
        let j = t.judge(&spec, &frame, sent, 5_000, T).expect("a probe");
        assert_eq!((j.verdict, j.outcome), (Verdict::Corrupt, Outcome::Unmatched), "probe 3 was never sent");
        spec.build(1, 999, &mut frame);
        reply(&mut frame);
        let j = t.judge(&spec, &frame, sent, 5_000, T).expect("a probe");
        assert_eq!(
            (j.verdict, j.outcome),
            (Verdict::Corrupt, Outcome::Bad),
            "not the stamp it was sent with"
        );
        assert!(t.judge(&spec, &[0; 64], sent, 5_000, T).is_none(), "not a probe");
        assert_eq!((t.good, t.bad, t.unmatched), (1, 1, 1));
    }

    #[test]
    fn back_and_lost_count_each_probe_once_at_a_whole_word_too() {
        let mut t = Tally::new(128, 0);
        for seq in 0..128 {
            let verdict = if seq % 4 == 1 { Verdict::Corrupt } else { Verdict::Good };
            t.record(seq, verdict, if seq % 4 == 2 { 2000 } else { 10 }, 1000);
        }
        assert_eq!((t.good, t.bad, t.late), (64, 32, 32));
        assert_eq!(t.back(), 128);
        assert_eq!((t.lost(128), t.lost(64), t.lost(0)), (0, 0, 0), "every word whole");
        let first = Tally::new(64, 0);
        assert_eq!(first.lost(64), 64);
    }

    #[test]
    fn tallies_sharing_a_bitset_count_a_probe_once_whichever_sees_it() {
        let seen = SharedBits::new(130);
        let (mut a, mut b) = (Tally::sharing(&seen, 130, 2), Tally::sharing(&seen, 130, 2));
        assert_eq!(a.record(0, Verdict::Good, 10, T), Outcome::Good);
        assert_eq!(b.record(0, Verdict::Good, 10, T), Outcome::Duplicate, "a copy on the other queue");
        assert_eq!(b.record(129, Verdict::Corrupt, 10, T), Outcome::Bad);
        assert_eq!(a.record(129, Verdict::Good, 10, T), Outcome::Duplicate);
        assert_eq!(b.record(64, Verdict::Good, 2 * T, T), Outcome::Late);
        assert!(a.is_back(64) && b.is_back(0) && !a.is_back(1) && !a.is_back(130));
        assert!(a.is_back(129) && !a.is_back(65), "word 2's bit 1, not word 1's");
        assert!(!Tally::new(128, 0).is_back(128), "past the capacity");
        assert_eq!((a.lost(130), a.first_lost(130)), (127, Some(1)), "either tally reads the whole set");
        // Reordering among the replies each one sees: 1 after 3 on a, not 5 on b.
        a.record(3, Verdict::Good, 10, T);
        a.record(1, Verdict::Good, 10, T);
        b.record(5, Verdict::Good, 10, T);
        assert_eq!((a.reordered, b.reordered), (1, 0));
        b.record(2, Verdict::Good, 10, T);
        assert_eq!((b.record(200, Verdict::Good, 10, T), b.reordered), (Outcome::Unmatched, 1));
        a.unmatched = 5;
        let (good, bad, late, dups) =
            (a.good + b.good, a.bad + b.bad, a.late + b.late, a.duplicates + b.duplicates);
        a.merge(&b);
        assert_eq!((a.good, a.bad, a.late, a.duplicates), (good, bad, late, dups));
        assert_eq!((a.reordered, a.unmatched), (2, 6), "1 each; 5 and 1");
        assert_eq!(classes_adding_up(&a, 130), Classes { good: 5, bad: 1, late: 1, lost: 123 });
        assert_eq!(a.late_max_ns(1.0), Some(2 * T));
    }

    #[test]
    fn merged_tallies_keep_their_histograms_and_jitter_pairs_apart() {
        let seen = SharedBits::new(8);
        let (mut a, mut b) = (Tally::sharing(&seen, 8, 0), Tally::sharing(&seen, 8, 0));
        // Steps of 10 on a, 30 on b; none between a's last and b's first.
        for (seq, rtt) in [(0, 100), (1, 110), (2, 120)] {
            a.record(seq, Verdict::Good, rtt, T);
        }
        for (seq, rtt) in [(3, 1000), (4, 1030)] {
            b.record(seq, Verdict::Good, rtt, T);
        }
        a.merge(&b);
        let p = a.percentiles(1.0).unwrap();
        assert_eq!((p.jitter, p.min, p.max), (50.0 / 3.0, 100, 1030), "{p:?}");
        assert!((p.mean - 472.0).abs() < 1.0, "{p:?}");
    }

    #[test]
    #[should_panic(expected = "tallies of one bitset")]
    fn tallies_of_different_bitsets_do_not_merge() {
        let mut a = Tally::sharing(&SharedBits::new(8), 8, 0);
        a.merge(&Tally::sharing(&SharedBits::new(8), 8, 0));
    }

    #[test]
    fn percentiles_come_from_the_good_replies_in_ns() {
        let mut t = Tally::new(1000, 0);
        assert!(t.percentiles(1.0).is_none());
        for seq in 0..1000 {
            t.record(seq, Verdict::Good, (seq + 1) * 1000, u64::MAX);
        }
        let p = t.percentiles(0.5).unwrap(); // 2 ticks a nanosecond
        assert_eq!(p.min, 500);
        assert!(p.p50.abs_diff(250_000) < 500, "{p:?}");
        assert!(p.p99.abs_diff(495_000) < 500, "{p:?}");
        assert!(p.p9999.abs_diff(500_000) < 500, "{p:?}");
        assert!(p.max.abs_diff(500_000) < 500, "{p:?}");
        assert!((p.mean - 250_250.0).abs() < 250.0, "{p:?}");
        assert_eq!(p.under_10us, 20, "500 ns to 10 us, 500 ns apart: {p:?}");
        assert_eq!(t.quantile_ns(0.99, 0.5), Some(p.p99));
        assert_eq!(Tally::new(1, 0).quantile_ns(0.99, 0.5), None);
        let d = t.distribution(0.5, 1);
        assert!(d.len() >= 10, "a point per halving of what is left: {d:?}");
        assert!(d[0].0 <= 0.01 && d[0].1 <= 600.0 && d.last().unwrap().0 == 1.0, "{d:?}");
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "monotonic");
    }
}
