//! Round trips by bucket, log-linear: every value below 4096 a bucket of its
//! own, then for each power of two 2048 buckets, so that a value is kept
//! to 1/2048 of itself (three significant digits, as HdrHistogram keeps
//! them). Recording is a few instructions: a leading-zero count, a shift,
//! an add and an increment; minimum, maximum, mean and percentiles are read
//! from the buckets when asked for, never kept per value.

/// Bits of a value kept below its leading one: 2^11 buckets per power of two.
const SUB_BITS: u32 = 11;

pub struct Histogram {
    counts: Vec<u64>,
    /// The largest value recorded as itself; larger ones are recorded as it.
    max_value: u64,
}

/// The bucket of `value`: itself below 2^(SUB_BITS + 1); above, its
/// power of two times 2^SUB_BITS plus its SUB_BITS + 1 top bits.
#[inline(always)]
fn index_of(value: u64) -> usize {
    let top = 63 - (value | 1).leading_zeros();
    let shift = top.saturating_sub(SUB_BITS);
    ((shift as usize) << SUB_BITS) + (value >> shift) as usize
}

/// The lowest and highest value of bucket `index`.
fn range_of(index: usize) -> (u64, u64) {
    let shift = ((index >> SUB_BITS) as u32).saturating_sub(1);
    let low = ((index - ((shift as usize) << SUB_BITS)) as u64) << shift;
    (low, low + (1 << shift) - 1)
}

impl Histogram {
    /// Room for values 0 to `max_value`.
    pub fn new(max_value: u64) -> Histogram {
        Histogram { counts: vec![0; index_of(max_value) + 1], max_value }
    }

    /// Counts `value` (past the largest: as the largest).
    #[inline(always)]
    pub fn record(&mut self, value: u64) {
        let index = index_of(value.min(self.max_value));
        self.counts[index] += 1;
    }

    /// Adds what `other`, of the same range, counted.
    pub fn add(&mut self, other: &Histogram) {
        assert_eq!(self.max_value, other.max_value, "histograms of one range");
        self.counts.iter_mut().zip(&other.counts).for_each(|(c, o)| *c += o);
    }

    /// Values recorded.
    pub fn len(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// Each bucket that holds values: (its lowest value, its highest, how many).
    fn buckets(&self) -> impl DoubleEndedIterator<Item = (u64, u64, u64)> + '_ {
        self.counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(i, &c)| {
            let (low, high) = range_of(i);
            (low, high, c)
        })
    }

    /// The smallest value recorded (to its bucket's lowest), 0 if none.
    pub fn min(&self) -> u64 {
        self.buckets().next().map_or(0, |(low, _, _)| low)
    }

    /// The largest value recorded (to its bucket's highest), 0 if none.
    pub fn max(&self) -> u64 {
        self.buckets().next_back().map_or(0, |(_, high, _)| high)
    }

    /// The mean, each value taken as its bucket's middle (0 if none).
    pub fn mean(&self) -> f64 {
        let total = self.len();
        if total == 0 {
            return 0.0;
        }
        let sum: f64 = self.buckets().map(|(low, high, c)| (low as f64 + high as f64) / 2.0 * c as f64).sum();
        sum / total as f64
    }

    /// The value at or below which a `quantile` (0 to 1) of those recorded
    /// are (to its bucket's highest), 0 if none.
    pub fn value_at_quantile(&self, quantile: f64) -> u64 {
        let wanted = ((quantile.clamp(0.0, 1.0) * self.len() as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (_, high, c) in self.buckets() {
            seen += c;
            if seen >= wanted {
                return high;
            }
        }
        0
    }

    /// How many recorded values are at most `value` (those in its bucket
    /// included).
    pub fn count_at_most(&self, value: u64) -> u64 {
        let last = index_of(value.min(self.max_value));
        self.counts[..=last].iter().sum()
    }

    /// The percentile distribution, HdrHistogram's way: (a quantile, the
    /// value at it), from 0 up, `ticks_per_half` points for each halving of
    /// what is left above the quantile, as far as the values recorded tell
    /// quantiles apart, then (1, the largest).
    pub fn distribution(&self, ticks_per_half: u32) -> Vec<(f64, u64)> {
        let total = self.len() as f64;
        let mut points = Vec::new();
        let (mut quantile, mut seen) = (0.0f64, 0u64);
        for (_, high, c) in self.buckets() {
            seen += c;
            // A quantile the values reach here, while one value still
            // separates it from 1.
            while seen as f64 >= quantile * total && (1.0 - quantile) * total >= 1.0 {
                points.push((quantile, high));
                let halvings = (1.0 / (1.0 - quantile)).log2().floor();
                quantile += 1.0 / (f64::from(ticks_per_half) * 2f64.powf(halvings + 1.0));
            }
        }
        if total > 0.0 {
            points.push((1.0, self.max()));
        }
        points
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_buckets_of_their_own_and_large_ones_keep_three_digits() {
        for v in [0, 1, 2, 100, 4095] {
            assert_eq!(range_of(index_of(v)), (v, v), "{v}");
        }
        assert_eq!(
            (index_of(4095), index_of(4096), index_of(4097), index_of(4098)),
            (4095, 4096, 4096, 4097)
        );
        for v in (4096..1 << 44).step_by(999_999_937).chain([1 << 20, (1 << 20) - 1, (1 << 44) - 1, 1 << 44])
        {
            let (low, high) = range_of(index_of(v));
            assert!(low <= v && v <= high, "{v} in {low}..={high}");
            assert!((high - low + 1) * 2048 <= v, "{v}: a bucket {} wide is within 1/2048", high - low + 1);
        }
        // Consecutive buckets tile the values: each starts where the last ended.
        for i in 1..index_of(1 << 30) {
            assert_eq!(range_of(i).0, range_of(i - 1).1 + 1, "bucket {i}");
        }
    }

    #[test]
    fn min_max_mean_and_quantiles_come_from_the_buckets() {
        let mut h = Histogram::new(1 << 44);
        assert!(h.is_empty());
        assert_eq!((h.min(), h.max(), h.mean(), h.value_at_quantile(0.5), h.len()), (0, 0, 0.0, 0, 0));
        for v in [10, 30, 15, 20] {
            h.record(v);
        }
        assert_eq!((h.min(), h.max(), h.mean(), h.len()), (10, 30, 18.75, 4));
        assert_eq!(
            (h.value_at_quantile(0.0), h.value_at_quantile(0.5), h.value_at_quantile(0.51)),
            (10, 15, 20)
        );
        assert_eq!((h.value_at_quantile(0.75), h.value_at_quantile(1.0)), (20, 30));
        assert_eq!((h.count_at_most(14), h.count_at_most(15), h.count_at_most(1 << 50)), (1, 2, 4));
        h.record(u64::MAX);
        assert_eq!(h.max(), (1 << 44) + (1 << 33) - 1, "past the range: as its largest, to the bucket");
    }

    #[test]
    fn histograms_add_up() {
        let (mut a, mut b) = (Histogram::new(1000), Histogram::new(1000));
        a.record(5);
        b.record(5);
        b.record(900);
        a.add(&b);
        assert_eq!((a.len(), a.count_at_most(5), a.max()), (3, 2, 900));
        assert_eq!(a.mean(), 910.0 / 3.0, "a bucket counted twice weighs twice");
    }

    #[test]
    #[should_panic(expected = "histograms of one range")]
    fn histograms_of_different_ranges_do_not_add() {
        Histogram::new(1000).add(&Histogram::new(2000));
    }

    #[test]
    fn the_distribution_steps_closer_to_the_top_by_halvings() {
        let mut h = Histogram::new(1 << 44);
        assert!(h.distribution(5).is_empty());
        for v in 1..=1000 {
            h.record(v);
        }
        let d = h.distribution(5);
        // 0, 0.1 ... 0.5 (5 to the first half), 0.55 ... 0.75 (5 to the next quarter) ...
        let q: Vec<f64> = d.iter().map(|p| (p.0 * 1000.0).round() / 1000.0).collect();
        assert_eq!(q[..8], [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.55, 0.6], "{d:?}");
        assert_eq!(d[..3].iter().map(|p| p.1).collect::<Vec<_>>(), [1, 100, 200], "{d:?}");
        assert_eq!(*d.last().unwrap(), (1.0, 1000));
        let before_last = d[d.len() - 2].0;
        assert!((0.998..1.0).contains(&before_last), "as far as 1000 values tell apart: {d:?}");
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1), "{d:?}");
    }
}
