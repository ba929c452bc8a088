//! The open-loop schedule: frame `seq` is due at `start + seq / rate`, on the
//! cycle counter, whatever came back so far. The frame carries that time, so a
//! frame the sender could only send late (a full TX ring, an echo that
//! stalled) shows its wait in its round trip, and the receiver knows exactly
//! what stamp each sequence number must carry.

/// Fixed point: cycles per frame scaled by 2^32, so a stamp costs one
/// multiplication, with less than a cycle of error after 4 billion frames.
const FRACTION_BITS: u32 = 32;

#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    start: u64,
    /// Cycles between frames, times 2^32.
    period: u128,
}

impl Schedule {
    /// Frames at `rate` per second from cycle `start`, on a counter of `hz`.
    pub fn new(start: u64, hz: u64, rate: u64) -> Schedule {
        assert!(hz > 0 && rate > 0, "a counter that runs, a rate above 0");
        // Rounded up: a stamp is never early, and late by under a cycle
        // for the first 2^32 frames (a trial has at most 10^9).
        Schedule { start, period: (u128::from(hz) << FRACTION_BITS).div_ceil(u128::from(rate)) }
    }

    /// When frame `seq` is due.
    #[inline(always)]
    pub fn stamp(&self, seq: u64) -> u64 {
        self.start + ((u128::from(seq) * self.period) >> FRACTION_BITS) as u64
    }

    /// How many frames are due at cycle `now`: those whose stamp is at or
    /// before it.
    #[inline(always)]
    pub fn due(&self, now: u64) -> u64 {
        if now < self.start {
            return 0;
        }
        let mut due = self.estimate(now);
        // The stamp truncates: a frame the division missed may be due too.
        while self.stamp(due) <= now {
            due += 1;
        }
        due
    }

    /// `due(now)` by one division, for `now` at or after the start: e + 1
    /// for the e that the division gives, since e * period <= elapsed * 2^32
    /// makes stamp(e) <= now. Never too many; one too few where the stamp's
    /// truncation puts a boundary one off, which `due` steps over.
    #[inline(always)]
    fn estimate(&self, now: u64) -> u64 {
        let elapsed = u128::from(now - self.start) << FRACTION_BITS;
        (elapsed / self.period) as u64 + 1
    }
}

/// How far behind its schedule the sender ran, in cycles: at worst over a
/// trial, and at its last send. A stall the sender then caught up on shows in
/// the worst, not in the last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendLag {
    pub worst: u64,
    pub last: u64,
}

impl SendLag {
    /// Frames `first` to `last` left at `now`, in one burst: its first frame
    /// is the one most behind. Two stamps and a compare per burst.
    #[inline(always)]
    pub fn sent(&mut self, schedule: &Schedule, first: u64, last: u64, now: u64) {
        self.worst = self.worst.max(now.saturating_sub(schedule.stamp(first)));
        self.last = now.saturating_sub(schedule.stamp(last));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_evenly_spaced_from_the_start() {
        let s = Schedule::new(1000, 3_000_000_000, 1_000_000); // 3000 cycles apart
        assert_eq!((s.stamp(0), s.stamp(1), s.stamp(1_000_000)), (1000, 4000, 1000 + 3_000_000_000));
        // A period that is no whole number of cycles: 3 GHz at 7 pps.
        let s = Schedule::new(0, 3_000_000_000, 7);
        assert_eq!(s.stamp(7), 3_000_000_000);
        assert_eq!(s.stamp(1), 428_571_428);
    }

    #[test]
    fn due_counts_the_frames_stamped_at_or_before_now() {
        for (hz, rate) in
            [(3_000_000_000, 1_000_000), (2_100_000_000, 7), (1_000_000_000, 100_000_000), (25_000_000, 3)]
        {
            let s = Schedule::new(500, hz, rate);
            assert_eq!(s.due(0), 0, "before the start");
            assert_eq!(s.due(499), 0);
            assert_eq!(s.due(500), 1, "frame 0 at the start");
            for seq in [1u64, 2, 3, 1000, 123_456_789] {
                let at = s.stamp(seq);
                assert_eq!(s.due(at), seq + 1, "{hz} Hz, {rate} pps, seq {seq}");
                assert_eq!(s.due(at - 1), seq, "{hz} Hz, {rate} pps, just before {seq}");
            }
        }
    }

    #[test]
    fn one_division_nearly_always_finds_what_is_due() {
        // The loop in `due` only mends the estimate's rare slips: it must be
        // exact almost always, and never more than one short.
        for (start, hz, rate) in
            [(1_000_000_000, 3_000_000_000, 1_000_000_000), (7, 2_100_000_000, 14_880_952)]
        {
            let s = Schedule::new(start, hz, rate);
            let (mut exact, mut tried) = (0, 0);
            for now in (start..start + 10_000_000).step_by(997) {
                let (estimate, due) = (s.estimate(now), s.due(now));
                assert!(estimate <= due && due - estimate <= 1, "at {now}: estimate {estimate}, due {due}");
                exact += u32::from(estimate == due);
                tried += 1;
            }
            assert!(exact * 100 >= tried * 99, "exact {exact} of {tried}");
        }
    }

    #[test]
    fn a_stall_the_sender_caught_up_on_stays_its_worst_lag() {
        // 1000 frames a second on a 1 MHz counter, one every 1000 cycles,
        // polled every 10 cycles, sent 32 at most at a time, as the trial's
        // loop does; nothing leaves from cycle 100_000 to 200_000.
        let s = Schedule::new(0, 1_000_000, 1000);
        let (mut lag, mut sent) = (SendLag::default(), 0u64);
        for now in (0..1_000_000).step_by(10).filter(|now| !(100_000..200_000).contains(now)) {
            let count = (s.due(now).min(1000) - sent).min(32);
            if count > 0 {
                lag.sent(&s, sent, sent + count - 1, now);
                sent += count;
            }
        }
        assert_eq!(sent, 1000);
        assert_eq!(lag.worst, 100_000, "frame 100 left at 200_000");
        assert_eq!(lag.last, 0, "caught up: the last frame left on time");
    }

    #[test]
    fn a_second_at_the_rate_is_the_rate() {
        let s = Schedule::new(0, 2_400_000_000, 14_880_952);
        let in_a_second = s.due(2_400_000_000 - 1);
        assert!((14_880_951..=14_880_953).contains(&in_a_second), "{in_a_second}");
    }
}
