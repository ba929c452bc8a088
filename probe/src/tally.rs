//! Counting replies: received, bad, duplicated, late, reordered within a
//! flow, and round-trip times in an HDR histogram. Times are in the sender's
//! ticks (l2_ping: nanoseconds; l2_load: cycles), converted when reported.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::frame::{flow_of, ProbeSpec, Verdict};

/// What a frame carrying one of this run's probes counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Received,
    Bad,
    Duplicate,
    Late,
}

/// A received probe, judged.
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    pub seq: u64,
    /// The stamp the frame itself carries.
    pub stamp: u64,
    /// The stamp the probe was sent with.
    pub sent: u64,
    pub verdict: Verdict,
    pub outcome: Outcome,
    /// Ticks from `sent` to its arrival.
    pub rtt: u64,
}

/// The replies seen so far, for probes numbered from 0 to a bound set up
/// front. Lives on the receiving thread.
pub struct Tally {
    /// A bit per probe: its first copy came back.
    replied: Vec<u64>,
    capacity: u64,
    flows: u32,
    /// Per flow, one past the highest sequence number received (0: none).
    flow_next: Vec<u64>,
    pub received: u64,
    pub bad: u64,
    pub duplicates: u64,
    pub late: u64,
    /// First copies that came after a later probe of their own flow.
    pub reordered: u64,
    rtt: Histogram<u64>,
}

/// The longest round trip recorded exactly: 2^44 ticks (about an hour of a
/// 4 GHz cycle counter); longer ones are recorded as this.
const RTT_MAX: u64 = 1 << 44;

impl Tally {
    /// A tally for probes 0 to `probes` - 1 over `flows` flows (0: one).
    pub fn new(probes: u64, flows: u32) -> Tally {
        Tally {
            replied: vec![0; probes.div_ceil(64) as usize],
            capacity: probes,
            flows: flows.max(1),
            flow_next: vec![0; flows.max(1) as usize],
            received: 0,
            bad: 0,
            duplicates: 0,
            late: 0,
            reordered: 0,
            // 1 tick to RTT_MAX at 3 significant digits.
            rtt: Histogram::new_with_bounds(1, RTT_MAX, 3).expect("valid bounds"),
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
            self.bad += 1; // a sequence number we never sent
            return Some(Judged {
                seq,
                stamp,
                sent: 0,
                verdict: Verdict::Corrupt,
                outcome: Outcome::Bad,
                rtt: 0,
            });
        };
        let verdict = spec.check(frame, seq, sent);
        let rtt = now.saturating_sub(sent);
        let outcome = self.record(seq, verdict, rtt, timeout);
        Some(Judged { seq, stamp, sent, verdict, outcome, rtt })
    }

    /// Counts the reply to probe `seq`, `rtt` ticks after it was sent.
    #[inline(always)]
    pub fn record(&mut self, seq: u64, verdict: Verdict, rtt: u64, timeout: u64) -> Outcome {
        if verdict != Verdict::Good || seq >= self.capacity {
            self.bad += 1;
            return Outcome::Bad;
        }
        let (word, bit) = ((seq / 64) as usize, 1u64 << (seq % 64));
        if self.replied[word] & bit != 0 {
            self.duplicates += 1;
            return Outcome::Duplicate;
        }
        self.replied[word] |= bit; // a second copy is a duplicate, late or not
        let next = &mut self.flow_next[flow_of(seq, self.flows) as usize];
        if seq < *next {
            self.reordered += 1;
        } else {
            *next = seq + 1;
        }
        if rtt > timeout {
            self.late += 1;
            return Outcome::Late;
        }
        self.received += 1;
        self.rtt.saturating_record(rtt.clamp(1, RTT_MAX));
        Outcome::Received
    }

    /// The received replies' round trips in nanoseconds, at `ns_per_tick`.
    pub fn percentiles(&self, ns_per_tick: f64) -> Option<Percentiles> {
        let h = &self.rtt;
        let ns = |ticks: u64| (ticks as f64 * ns_per_tick).round() as u64;
        (!h.is_empty()).then(|| Percentiles {
            min: ns(h.min()),
            p50: ns(h.value_at_quantile(0.50)),
            p90: ns(h.value_at_quantile(0.90)),
            p99: ns(h.value_at_quantile(0.99)),
            p999: ns(h.value_at_quantile(0.999)),
            p9999: ns(h.value_at_quantile(0.9999)),
            max: ns(h.max()),
        })
    }

    /// The histogram's percentile distribution, HdrHistogram's way: (the
    /// fraction of replies at or below, that round trip in nanoseconds), at
    /// `ticks_per_half` points per halving of the remaining fraction.
    pub fn distribution(&self, ns_per_tick: f64, ticks_per_half: u32) -> Vec<(f64, f64)> {
        self.rtt
            .iter_quantiles(ticks_per_half)
            .map(|v| (v.quantile_iterated_to(), v.value_iterated_to() as f64 * ns_per_tick))
            .collect()
    }
}

/// Round-trip times in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Percentiles {
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

    #[test]
    fn replies_duplicates_late_and_bad_are_counted_apart() {
        let mut t = Tally::new(4, 0);
        assert_eq!(t.record(0, Verdict::Good, MS, T), Outcome::Received);
        assert_eq!(t.record(0, Verdict::Good, 2 * MS, T), Outcome::Duplicate);
        assert_eq!(t.record(1, Verdict::Good, 1500 * MS, T), Outcome::Late);
        assert_eq!(t.record(1, Verdict::Good, 1600 * MS, T), Outcome::Duplicate);
        assert_eq!(t.record(2, Verdict::Corrupt, MS, T), Outcome::Bad);
        let m = Mac([0; 6]);
        assert_eq!(t.record(3, Verdict::WrongAddresses(m, m), MS, T), Outcome::Bad);
        assert_eq!(t.record(4, Verdict::Good, MS, T), Outcome::Bad, "never sent");
        assert_eq!((t.received, t.duplicates, t.late, t.bad, t.reordered), (1, 2, 1, 3, 0));
    }

    #[test]
    fn a_reply_at_the_timeout_is_not_late() {
        let mut t = Tally::new(1, 0);
        assert_eq!(t.record(0, Verdict::Good, T, T), Outcome::Received);
    }

    #[test]
    fn the_bitset_keeps_probes_apart_across_words() {
        let mut t = Tally::new(200, 0);
        for seq in [0, 63, 64, 127, 128, 199] {
            assert_eq!(t.record(seq, Verdict::Good, 1, T), Outcome::Received, "{seq}");
        }
        for seq in [1, 62, 65, 126, 129, 198] {
            assert_eq!(t.record(seq, Verdict::Good, 1, T), Outcome::Received, "{seq}");
        }
        assert_eq!(t.record(64, Verdict::Good, 1, T), Outcome::Duplicate);
        assert_eq!(t.record(200, Verdict::Good, 1, T), Outcome::Bad);
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
        assert_eq!((t.received, t.reordered), (4, 1));
        t.record(1, Verdict::Good, 1, T);
        assert_eq!((t.duplicates, t.reordered), (1, 1), "a duplicate is not reordered");
    }

    #[test]
    fn frames_are_judged_against_what_was_sent_and_when() {
        let (us, echo) = (Mac([2, 0, 0, 0, 0, 1]), Mac([2, 0, 0, 0, 0, 2]));
        let spec = ProbeSpec::new(us, echo, Expect::Reply, 64, 0, 7).unwrap();
        let sent_at = [0u64, 0, 1_000, 0];
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
            (2, 1_000, Verdict::Good, Outcome::Received, 4_000)
        );
        spec.build(3, 1_000, &mut frame);
        reply(&mut frame);
        let j = t.judge(&spec, &frame, sent, 5_000, T).expect("a probe");
        assert_eq!((j.verdict, j.outcome), (Verdict::Corrupt, Outcome::Bad), "probe 3 was never sent");
        spec.build(2, 999, &mut frame);
        reply(&mut frame);
        let j = t.judge(&spec, &frame, sent, 5_000, T).expect("a probe");
        assert_eq!(
            (j.verdict, j.outcome),
            (Verdict::Corrupt, Outcome::Bad),
            "not the stamp it was sent with"
        );
        assert!(t.judge(&spec, &[0; 64], sent, 5_000, T).is_none(), "not a probe");
        assert_eq!((t.received, t.bad), (1, 2));
    }

    #[test]
    fn percentiles_come_from_the_received_replies_in_ns() {
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
        let d = t.distribution(0.5, 1);
        assert!(d.first().unwrap().1 <= 600.0 && d.last().unwrap().0 == 1.0, "{d:?}");
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1), "monotonic");
    }
}
