"""Unit tests of scripts/pairs.py (make lint runs them)."""

import os
import statistics
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pairs import balanced_order, bootstrap_interval, verdict  # noqa: E402


class BalancedOrder(unittest.TestCase):
    def test_each_side_goes_first_in_turn(self):
        self.assertEqual(balanced_order(4), [True, False, True, False])
        self.assertEqual(balanced_order(1), [True])
        self.assertEqual(balanced_order(0), [])

    def test_each_side_first_half_the_time(self):
        order = balanced_order(12)
        self.assertEqual(order.count(True), 6)


class BootstrapInterval(unittest.TestCase):
    def test_identical_pairs_have_no_spread(self):
        self.assertEqual(bootstrap_interval([1.05] * 8), (1.05, 1.05))

    def test_the_interval_holds_the_median_and_stays_inside_the_data(self):
        values = [0.96, 1.01, 1.03, 1.04, 1.05, 1.06, 1.08, 1.12, 1.02, 1.07]
        lo, hi = bootstrap_interval(values)
        self.assertLessEqual(lo, statistics.median(values))
        self.assertGreaterEqual(hi, statistics.median(values))
        self.assertGreaterEqual(lo, min(values))
        self.assertLessEqual(hi, max(values))
        self.assertLess(lo, hi)

    def test_more_pairs_narrow_it(self):
        few = [1.0, 1.1, 0.9, 1.05, 0.95]
        many = few * 8
        lo_few, hi_few = bootstrap_interval(few)
        lo_many, hi_many = bootstrap_interval(many)
        self.assertLess(hi_many - lo_many, hi_few - lo_few)

    def test_a_lower_level_is_narrower(self):
        values = [0.9, 0.95, 1.0, 1.02, 1.05, 1.1, 1.2, 0.97]
        lo95, hi95 = bootstrap_interval(values, level=0.95)
        lo50, hi50 = bootstrap_interval(values, level=0.5)
        self.assertLessEqual(lo95, lo50)
        self.assertGreaterEqual(hi95, hi50)
        self.assertLess(hi50 - lo50, hi95 - lo95)

    def test_the_same_pairs_give_the_same_interval(self):
        values = [0.9, 1.3, 1.1, 0.8, 1.0]
        self.assertEqual(bootstrap_interval(values), bootstrap_interval(values))

    def test_too_few_pairs_give_no_interval(self):
        self.assertIsNone(bootstrap_interval([]))
        self.assertIsNone(bootstrap_interval([1.0, 1.2, 1.1, 0.9]))
        self.assertIsNotNone(bootstrap_interval([1.0, 1.2, 1.1, 0.9, 1.05]))


class Verdict(unittest.TestCase):
    def test_only_a_whole_interval_decides(self):
        self.assertEqual(verdict(1.01, 1.2), "ahead")
        self.assertEqual(verdict(0.8, 0.99), "behind")
        self.assertEqual(verdict(0.99, 1.2), "level")
        self.assertEqual(verdict(1.0, 1.2), "level", "touching 1.0 is not above it")
        self.assertEqual(verdict(0.8, 1.0), "level")
        self.assertEqual(verdict(1.06, 1.2, above=1.05), "ahead")
        self.assertEqual(verdict(1.04, 1.2, above=1.05), "level")

    def test_for_a_time_lower_is_ahead(self):
        self.assertEqual(verdict(0.8, 0.95, higher_is_better=False), "ahead")
        self.assertEqual(verdict(1.05, 1.3, higher_is_better=False), "behind")
        self.assertEqual(verdict(0.9, 1.1, higher_is_better=False), "level")


if __name__ == "__main__":
    unittest.main()
