"""The one equal-count binning rule (galbias.data.binning) and the figures' binned fractions."""

from __future__ import annotations

import numpy as np
import pytest

from galbias.data.binning import (BinningError, assign_bins, binned_fraction, cut_positions, equal_count_bins,
                                  equal_count_edges, sorted_bins, weighted_counts)


def test_equal_count_bins_sizes_differ_by_at_most_one_and_follow_the_values():
    rng = np.random.default_rng(0)
    x = rng.normal(size=1003)
    b = equal_count_bins(x, 10)
    counts = np.bincount(b)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 1003
    # every value of bin l is <= every value of bin l + 1
    assert all(x[b == k].max() <= x[b == k + 1].min() for k in range(9))


def test_ties_are_split_by_row_order():
    x = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 2.0])
    assert equal_count_bins(x, 3).tolist() == [0, 0, 1, 1, 2, 2]


def test_edges_are_the_first_value_of_each_bin_and_assign_bins_agrees_without_ties():
    x = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 6.0])
    edges = equal_count_edges(x, 3, open_ends=False)
    np.testing.assert_array_equal(edges, [1.0, 3.0, 5.0, 6.0])
    np.testing.assert_array_equal(assign_bins(x, equal_count_edges(x, 3)), equal_count_bins(x, 3))
    assert assign_bins([-1e9, 1e9], equal_count_edges(x, 3)).tolist() == [0, 2]


def test_binned_fraction_uses_the_midpoint_of_the_edges_and_binomial_errors():
    alpha = np.arange(1.0, 11.0)                 # 10 objects, 2 bins: [1..5] and [6..10]
    flag = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1])
    t = binned_fraction(alpha, flag, 2)
    np.testing.assert_allclose(t["alpha_lo"], [1.0, 6.0])
    np.testing.assert_allclose(t["alpha_hi"], [6.0, 10.0])
    np.testing.assert_allclose(t["alpha_mid"], [3.5, 8.0])
    np.testing.assert_allclose(t["median"], [3.0, 8.0])
    np.testing.assert_allclose(t["frac"], [0.8, 0.2])
    np.testing.assert_allclose(t["err"], np.sqrt(0.8 * 0.2 / 5))


def test_weighted_counts_equal_an_expanded_resample():
    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(size=40))
    flag = (rng.random(40) < 0.4).astype(np.int64)
    w = np.bincount(rng.integers(0, 40, 40), minlength=40)
    n, k, lo, hi = sorted_bins(x, flag, w, 4)
    expanded_x, expanded_f = np.repeat(x, w), np.repeat(flag, w)
    b = equal_count_bins(expanded_x, 4)
    np.testing.assert_array_equal(n, np.bincount(b, minlength=4))
    np.testing.assert_array_equal(k, np.bincount(b, weights=expanded_f, minlength=4))
    P = cut_positions(np.array([w.sum()]), 4)
    assert weighted_counts(w, flag, P)[0].sum() == 40


@pytest.mark.parametrize("x, n_bins, msg", [
    ([1.0, np.nan, 3.0], 2, "1 NaN or infinite"),
    ([1.0, 2.0], 3, "need at least 3 objects; got 2"),
    ([1.0, 2.0], 0, "positive integer"),
    ([], 1, "empty"),
])
def test_bad_input_is_named(x, n_bins, msg):
    with pytest.raises(BinningError, match=msg):
        equal_count_bins(np.asarray(x, dtype=float), n_bins)
