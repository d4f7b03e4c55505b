"""Changed galaxies and the alpha-matched control (galbias.inspect_changed, chapter 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from galbias import inspect_changed as ic


def synthetic_test_set(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels and predictions where hidden disks sit at low alpha and DDB finds most of them."""
    rng = np.random.default_rng(seed)
    alpha = np.exp(rng.uniform(np.log(3), np.log(60), n))
    truth = (rng.random(n) < 0.6).astype(int)
    hidden = (truth == 1) & (rng.random(n) < np.exp(-alpha**2 / (2 * 10.0**2)))
    gz2b = np.where(hidden, 0, truth)
    p_ddb = np.clip(np.where(truth == 1, 0.8, 0.2) + rng.normal(0, 0.15, n), 0, 1)
    labels = pd.DataFrame({"id": np.arange(n) + 1000, "split": np.where(np.arange(n) % 5 == 0, "val", "test"),
                           "alpha": alpha, "gz2b": gz2b, "gz2d": gz2b, "truth": pd.array(truth, dtype="Int8")})
    pred = pd.DataFrame({"id": labels["id"], "split": labels["split"], "p_disk_ddb": p_ddb,
                         "p_disk_ce_gz2b": np.where(gz2b == 1, 0.9, 0.1), "p_disk_ce_gz2d": 0.5})
    return labels, pred


def test_test_table_joins_the_test_split_and_extra_columns():
    labels, pred = synthetic_test_set()
    extra = pd.DataFrame({"id": labels["id"], "true_n_arms": 2, "alpha": -1.0})
    t = ic.test_table(labels, pred, extra=extra, extra_columns=["true_n_arms", "alpha", "absent"])
    assert (t["split"] == "test").all() and len(t) == int((labels["split"] == "test").sum())
    assert {"p_disk_ddb", "p_disk_ce_gz2b", "true_n_arms"} <= set(t.columns)
    assert (t["alpha"] > 0).all()   # an extra column never overwrites a label column
    with pytest.raises(ValueError, match="no prediction"):
        ic.test_table(labels, pred.iloc[10:])
    with pytest.raises(ValueError, match="p_disk"):
        ic.test_table(labels, pred[["id", "split"]])
    with pytest.raises(ValueError, match="split"):
        ic.test_table(labels, pred, split="nope")


def test_changed_mask_both_directions_and_threshold():
    df = pd.DataFrame({"gz2b": [0, 0, 1, 1, 0, np.nan], "p_disk_ddb": [0.9, 0.5, 0.2, 0.7, np.nan, 0.9]})
    np.testing.assert_array_equal(ic.changed_mask(df), [True, False, False, False, False, False])
    np.testing.assert_array_equal(ic.changed_mask(df, direction="disk_to_smooth"),
                                  [False, False, True, False, False, False])
    np.testing.assert_array_equal(ic.changed_mask(df, threshold=0.4), [True, True, False, False, False, False])
    with pytest.raises(ValueError, match="direction"):
        ic.changed_mask(df, direction="sideways")


def test_changed_table_has_the_artifact_columns_sorted_by_alpha():
    labels, pred = synthetic_test_set()
    t = ic.test_table(labels, pred)
    m = ic.changed_mask(t)
    ch = ic.changed_table(t, m)
    assert len(ch) == int(m.sum()) > 0
    assert list(ch.columns[:2]) == ["id", "alpha"]
    assert {"p_disk_ddb", "p_disk_ce_gz2b", "p_disk_ce_gz2d", "gz2b", "truth"} <= set(ch.columns)
    assert ch["alpha"].is_monotonic_increasing
    assert (ch["gz2b"] == 0).all() and (ch["p_disk_ddb"] > 0.5).all()


def test_bins_are_equal_count_and_cover_everything():
    a = np.arange(100, dtype=float)
    edges = ic.alpha_bin_edges(a, 4)
    assert edges[0] == -np.inf and edges[-1] == np.inf
    np.testing.assert_array_equal(np.bincount(ic.assign_bins(a, edges)), [25, 25, 25, 25])
    assert ic.assign_bins(np.array([-5.0, 1e9]), edges).tolist() == [0, 3]
    with pytest.raises(ValueError):
        ic.alpha_bin_edges(np.array([]), 3)
    with pytest.raises(ValueError):
        ic.alpha_bin_edges(a, 0)


def test_alpha_matched_draws_match_bins_are_deterministic_and_distinct_within_a_draw():
    rng = np.random.default_rng(3)
    pool = rng.uniform(1, 50, 400)
    changed = rng.uniform(1, 12, 30)          # the changed galaxies are poorly resolved
    d = ic.alpha_matched_draws(changed, pool, n_bins=8, n_draws=200, seed=11)
    assert d.shape == (200, 30) and d.min() >= 0 and d.max() < 400
    edges = ic.alpha_bin_edges(pool, 8)
    bc, bp = ic.assign_bins(changed, edges), ic.assign_bins(pool, edges)
    assert np.all(bp[d] == bc[None, :])       # every control galaxy shares its changed galaxy's bin
    assert all(len(set(row)) == 30 for row in d)   # no galaxy twice in one draw
    np.testing.assert_array_equal(d, ic.alpha_matched_draws(changed, pool, n_bins=8, n_draws=200, seed=11))
    assert not np.array_equal(d, ic.alpha_matched_draws(changed, pool, n_bins=8, n_draws=200, seed=12))
    # the draws cover the bin's members, not just a few of them
    k = bc[0]
    assert len(np.unique(d[:, 0])) > 0.8 * np.sum(bp == k)


def test_alpha_matched_draws_with_small_bins_draw_with_replacement_and_empty_input():
    pool = np.array([1.0, 2.0, 10.0, 11.0])
    changed = np.array([1.5, 1.6, 1.7, 10.5])     # three changed galaxies, two pool galaxies in bin 0
    d = ic.alpha_matched_draws(changed, pool, n_bins=2, n_draws=50, seed=0)
    assert set(np.unique(d[:, :3])) <= {0, 1} and set(np.unique(d[:, 3])) <= {2, 3}
    assert ic.alpha_matched_draws(np.array([]), pool, n_draws=5).shape == (5, 0)
    with pytest.raises(ValueError, match="finite"):
        ic.alpha_matched_draws(np.array([np.nan]), pool)


def test_alpha_matched_draws_reproduce_the_pool_alpha_distribution_of_a_bin():
    # with one bin the control is a uniform random subset of the pool
    pool = np.arange(10, dtype=float)
    d = ic.alpha_matched_draws(np.array([3.0, 4.0]), pool, n_bins=1, n_draws=20_000, seed=5)
    freq = np.bincount(d.ravel(), minlength=10) / d.size
    np.testing.assert_allclose(freq, 0.1, atol=0.01)


def test_wilson_interval():
    lo, hi = ic.wilson_interval(8, 11)
    assert lo < 8 / 11 < hi and 0 <= lo and hi <= 1
    assert ic.wilson_interval(0, 10)[0] == 0.0
    assert ic.wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert np.isnan(ic.wilson_interval(0, 0)).all()
    # the textbook value for 8/11 at 95 %: (0.434, 0.903)
    np.testing.assert_allclose((lo, hi), (0.4344, 0.9025), atol=2e-3)


def test_control_summary_detects_a_selection_of_hidden_disks():
    rng = np.random.default_rng(0)
    n_pool = 500
    alpha_pool = rng.uniform(1, 40, n_pool)
    truth_pool = (rng.random(n_pool) < 0.3).astype(int)            # 30 % of smooth-labelled are disks
    changed = np.flatnonzero(truth_pool == 1)[:40]                  # a perfect selector
    draws = ic.alpha_matched_draws(alpha_pool[changed], alpha_pool, n_bins=5, n_draws=500, seed=1)
    res = ic.control_summary(truth_pool[changed], truth_pool, draws)
    assert res.frac_changed == 1.0 and res.n_changed == 40 and res.n_pool == n_pool
    assert res.frac_control_lo < res.frac_control < res.frac_control_hi < 0.6
    assert res.p_value == pytest.approx(1 / 501)
    assert res.draws.shape == (500,)
    assert "draws" not in res.as_dict()
    # a random selector is indistinguishable from its control
    rand = rng.choice(n_pool, 40, replace=False)
    d2 = ic.alpha_matched_draws(alpha_pool[rand], alpha_pool, n_bins=5, n_draws=500, seed=2)
    r2 = ic.control_summary(truth_pool[rand], truth_pool, d2)
    assert r2.frac_control_lo <= r2.frac_changed <= r2.frac_control_hi
    assert r2.p_value > 0.025


def test_control_summary_edge_cases():
    draws = np.zeros((10, 0), dtype=int)
    res = ic.control_summary(np.array([]), np.array([0, 1]), draws)
    assert res.n_changed == 0 and np.isnan(res.frac_changed) and np.isnan(res.frac_control)
    with pytest.raises(ValueError, match="truth"):
        ic.control_summary(np.array([1, np.nan]), np.array([0, 1]), np.zeros((3, 2), int))
