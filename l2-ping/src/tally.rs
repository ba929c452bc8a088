//! Counting replies and their round-trip times.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::probe::{ProbeSpec, Verdict};

/// What a reply counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Received,
    Bad,
    Duplicate,
    Late,
}

/// A received frame that carried one of this run's probes, judged.
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    pub seq: u64,
    /// The send time the frame itself claims.
    pub stamped_ns: u64,
    pub verdict: Verdict,
    pub outcome: Outcome,
    pub rtt: Duration,
}

/// The replies seen so far. Lives on the receiving thread.
pub struct Tally {
    replied: Vec<bool>,
    pub received: u64,
    pub bad: u64,
    pub duplicates: u64,
    pub late: u64,
    rtt_ns: Histogram<u64>,
}

impl Tally {
    pub fn new(count: u64) -> Tally {
        Tally {
            replied: vec![false; count as usize],
            received: 0,
            bad: 0,
            duplicates: 0,
            late: 0,
            // 1 ns to 1 hour at 3 significant digits.
            rtt_ns: Histogram::new_with_bounds(1, 3_600_000_000_000, 3).expect("valid bounds"),
        }
    }

    /// Judges and counts a frame received at `now_ns` (on the clock of
    /// `sent_at`, which holds each probe's send time, 0 for not sent): None
    /// when it carries none of this run's probes. The bytes come from the
    /// network: anything at all may arrive.
    pub fn judge(
        &mut self,
        spec: &ProbeSpec,
        frame: &[u8],
        sent_at: &[AtomicU64],
        now_ns: u64,
        timeout: Duration,
        scratch: &mut Vec<u8>,
    ) -> Option<Judged> {
        let (seq, stamped_ns) = spec.identify(frame)?;
        let sent_ns =
            usize::try_from(seq).ok().and_then(|i| sent_at.get(i)).map_or(0, |t| t.load(Ordering::Acquire));
        let verdict = if sent_ns == 0 {
            Verdict::Corrupt // a sequence number we never sent
        } else {
            spec.check_reply(frame, seq, sent_ns, scratch)
        };
        let rtt = Duration::from_nanos(now_ns.saturating_sub(sent_ns));
        let outcome = self.record(seq, verdict, rtt, timeout);
        Some(Judged { seq, stamped_ns, verdict, outcome, rtt })
    }

    /// Counts the reply to probe `seq`; `rtt` is from its send to now.
    pub fn record(&mut self, seq: u64, verdict: Verdict, rtt: Duration, timeout: Duration) -> Outcome {
        if verdict != Verdict::Good {
            self.bad += 1;
            return Outcome::Bad;
        }
        let Some(replied) = usize::try_from(seq).ok().and_then(|i| self.replied.get_mut(i)) else {
            self.bad += 1;
            return Outcome::Bad;
        };
        if *replied {
            self.duplicates += 1;
            return Outcome::Duplicate;
        }
        if rtt > timeout {
            *replied = true; // a second copy is a duplicate, not a reply
            self.late += 1;
            return Outcome::Late;
        }
        *replied = true;
        self.received += 1;
        self.rtt_ns.saturating_record(rtt.as_nanos().max(1) as u64);
        Outcome::Received
    }

    pub fn rtt(&self) -> Option<RttSummary> {
        let h = &self.rtt_ns;
        let us = |ns: u64| ns as f64 / 1000.0;
        (!h.is_empty()).then(|| RttSummary {
            min: us(h.min()),
            p50: us(h.value_at_quantile(0.50)),
            p90: us(h.value_at_quantile(0.90)),
            p99: us(h.value_at_quantile(0.99)),
            p999: us(h.value_at_quantile(0.999)),
            max: us(h.max()),
        })
    }
}

/// Round-trip times in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RttSummary {
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Mac;

    const T: Duration = Duration::from_secs(1);

    #[test]
    fn replies_duplicates_late_and_bad_are_counted_apart() {
        let mut t = Tally::new(4);
        let ms = Duration::from_millis;
        assert_eq!(t.record(0, Verdict::Good, ms(1), T), Outcome::Received);
        assert_eq!(t.record(0, Verdict::Good, ms(2), T), Outcome::Duplicate);
        assert_eq!(t.record(1, Verdict::Good, ms(1500), T), Outcome::Late);
        assert_eq!(t.record(1, Verdict::Good, ms(1600), T), Outcome::Duplicate);
        assert_eq!(t.record(2, Verdict::Corrupt, ms(1), T), Outcome::Bad);
        let m = Mac([0; 6]);
        assert_eq!(t.record(3, Verdict::WrongAddresses(m, m), ms(1), T), Outcome::Bad);
        assert_eq!(t.record(9, Verdict::Good, ms(1), T), Outcome::Bad, "never sent");
        assert_eq!((t.received, t.duplicates, t.late, t.bad), (1, 2, 1, 3));
    }

    #[test]
    fn a_reply_at_the_timeout_is_not_late() {
        let mut t = Tally::new(1);
        assert_eq!(t.record(0, Verdict::Good, T, T), Outcome::Received);
    }

    #[test]
    fn frames_are_judged_against_what_was_sent_and_when() {
        let (us, echo) = (Mac([2, 0, 0, 0, 0, 1]), Mac([2, 0, 0, 0, 0, 2]));
        let spec = ProbeSpec::new(us, echo, 64, 0, 7).unwrap();
        let sent_at: Vec<AtomicU64> = [0, 0, 1_000, 0].into_iter().map(AtomicU64::new).collect();
        let (mut t, mut frame, mut scratch) = (Tally::new(4), Vec::new(), Vec::new());
        let reply = |frame: &mut Vec<u8>| {
            frame[..6].copy_from_slice(&us.0);
            frame[6..12].copy_from_slice(&echo.0);
        };
        spec.build(2, 1_000, &mut frame);
        reply(&mut frame);
        let j = t.judge(&spec, &frame, &sent_at, 5_000, T, &mut scratch).expect("a probe");
        assert_eq!((j.seq, j.stamped_ns, j.verdict, j.outcome), (2, 1_000, Verdict::Good, Outcome::Received));
        assert_eq!(j.rtt, Duration::from_nanos(4_000));
        spec.build(3, 1_000, &mut frame);
        reply(&mut frame);
        let j = t.judge(&spec, &frame, &sent_at, 5_000, T, &mut scratch).expect("a probe");
        assert_eq!((j.verdict, j.outcome), (Verdict::Corrupt, Outcome::Bad), "probe 3 was never sent");
        assert!(t.judge(&spec, &[0; 64], &sent_at, 5_000, T, &mut scratch).is_none(), "not a probe");
        assert_eq!((t.received, t.bad), (1, 1));
    }

    #[test]
    fn percentiles_come_from_the_received_replies() {
        let mut t = Tally::new(1000);
        assert!(t.rtt().is_none());
        for seq in 0..1000 {
            t.record(seq, Verdict::Good, Duration::from_micros(seq + 1), T);
        }
        let r = t.rtt().unwrap();
        assert_eq!(r.min, 1.0);
        assert!((r.p50 - 500.0).abs() < 1.0, "{r:?}");
        assert!((r.p99 - 990.0).abs() < 1.0, "{r:?}");
        assert!((r.max - 1000.0).abs() < 1.0, "{r:?}");
    }
}
