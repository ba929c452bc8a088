"""Paired comparisons for make bench: the order the two sides run in, and
how sure a median ratio is.

A machine drifts (other tenants, frequency, the page cache), so the side
that always runs first is favoured by whatever is rising. The pairs go
A B, B A, A B, B A ... (balanced: each side first half the time), and the
figure is the median of the per-pair ratios with a 95% bootstrap interval
over the pairs (percentile method, resampling pairs with replacement). A
verdict says "ahead" or "behind" only when the whole interval is on one
side of 1.0.
"""

import random
import statistics


def balanced_order(pairs):
    """For each pair, whether A runs first: A B, B A, A B, B A, ..."""
    return [i % 2 == 0 for i in range(pairs)]


# Fewer pairs than this give no interval: resampling two or three values
# says nothing about the machine.
MIN_PAIRS = 5


def bootstrap_interval(values, level=0.95, resamples=4000, seed=2544):
    """The median's `level` interval by the percentile bootstrap: `values`
    resampled with replacement `resamples` times (a fixed seed: the same
    pairs always give the same interval); None for fewer than MIN_PAIRS."""
    if len(values) < MIN_PAIRS:
        return None
    rng = random.Random(seed)
    n = len(values)
    medians = sorted(statistics.median(rng.choices(values, k=n)) for _ in range(resamples))
    tail = (1.0 - level) / 2.0
    lo = medians[int(tail * resamples)]
    hi = medians[min(resamples - 1, int((1.0 - tail) * resamples))]
    return lo, hi


def verdict(lo, hi, above=1.0, higher_is_better=True):
    """A ratio's interval judged: 'ahead' when all of it is on the better
    side of `above` (above it for a rate, below it for a time or a size),
    'behind' when all of it is on the worse side, else 'level' (the data
    cannot tell)."""
    if lo > above:
        return "ahead" if higher_is_better else "behind"
    if hi < above:
        return "behind" if higher_is_better else "ahead"
    return "level"
