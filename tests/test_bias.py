"""Tests of galbias.bias: the bias model, the theta fit, CV14 and CV18 (0 = smooth, 1 = disk)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from galbias.data.binning import equal_count_bins
from galbias.methods import bias, metrics
from galbias.methods.bias import BiasFitError, bias_probability, fit_theta, theta_vs_bins
from galbias.methods.metrics import bias_metrics, cv14, cv18, kdtree_cells


def draw(n: int, theta: float | None, f_s: float = 0.4, seed: int = 0):
    """alpha, observed labels, true labels and intrinsic variables from the bias model.

    ``theta=None``: no bias (observed = true, independent of alpha).
    """
    rng = np.random.default_rng(seed)
    alpha = 10 ** rng.normal(1.25, 0.27, n)
    true = (rng.random(n) >= f_s).astype(np.int64)
    if theta is None:
        obs = true.copy()
    else:
        flip = (true == 1) & (rng.random(n) < bias_probability(alpha, theta))
        obs = np.where(flip, 0, true)
    intrinsic = np.column_stack([rng.lognormal(1.5, 0.5, n), rng.normal(-21, 1, n), rng.uniform(0.01, 0.2, n)])
    return alpha, obs, true, intrinsic


# --------------------------------------------------------------------------------------
# bias_probability
# --------------------------------------------------------------------------------------

def test_bias_probability_values():
    assert bias_probability(10.0, 10.0) == pytest.approx(np.exp(-0.5))
    assert isinstance(bias_probability(3.0, 2.0), float)
    b = bias_probability(np.array([1.0, 10.0, 100.0]), 10.0)
    assert b.shape == (3,)
    np.testing.assert_allclose(b, np.exp(-np.array([1.0, 100.0, 10000.0]) / 200.0))
    # broadcasting over theta
    assert bias_probability(np.ones((2, 1)), np.array([1.0, 2.0, 3.0])).shape == (2, 3)


@pytest.mark.parametrize(
    "alpha, theta, msg",
    [
        ([1.0, np.nan, np.nan], 1.0, "alpha must be finite; 2 of 3"),
        ([1.0, np.inf], 1.0, "alpha must be finite; 1 of 2"),
        ([1.0, 0.0, -2.0], 1.0, "alpha must be > 0; 2 of 3"),
        ([1.0], 0.0, "theta must be > 0; 1 of 1"),
        ([1.0], np.nan, "theta must be finite"),
    ],
)
def test_bias_probability_bad_input(alpha, theta, msg):
    with pytest.raises(ValueError, match=msg):
        bias_probability(alpha, theta)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 1e3), st.floats(0.01, 1e3), st.floats(0.01, 1e3))
def test_bias_probability_is_a_decreasing_probability(a1, a2, theta):
    b1, b2 = bias_probability(a1, theta), bias_probability(a2, theta)
    assert 0.0 <= b1 <= 1.0 and 0.0 <= b2 <= 1.0
    if a1 < a2:
        assert b1 >= b2


# --------------------------------------------------------------------------------------
# equal-count bins and the k-d tree
# --------------------------------------------------------------------------------------

def test_equal_count_bins_sizes_and_ties():
    rng = np.random.default_rng(0)
    a = rng.normal(size=1003)
    idx = equal_count_bins(a, 8)
    counts = np.bincount(idx)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 1003
    # bins are ordered in alpha
    assert all(a[idx == k].max() <= a[idx == k + 1].min() for k in range(7))
    # ties keep row order: four equal values cut in two bins of two
    np.testing.assert_array_equal(equal_count_bins([5.0, 5.0, 5.0, 5.0], 2), [0, 0, 1, 1])


def test_kdtree_cells_equal_count():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(1000, 3))
    cells = kdtree_cells(X, depth=3)
    np.testing.assert_array_equal(np.bincount(cells, minlength=8), np.full(8, 125))
    # first split: on column 0 at its median; left (< median) cells are 0..3
    med = np.median(X[:, 0])
    assert np.all(X[cells < 4, 0] < med) and np.all(X[cells >= 4, 0] >= med)
    # odd sizes: cells differ by at most one object
    c = np.bincount(kdtree_cells(rng.normal(size=(1001, 3)), depth=3), minlength=8)
    assert c.sum() == 1001 and c.max() - c.min() <= 1
    # depth 0: one cell
    assert np.all(kdtree_cells(X, depth=0) == 0)


# --------------------------------------------------------------------------------------
# fit_theta
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog_200k():
    return draw(200_000, theta=11.25, f_s=0.4, seed=42)


def test_fit_theta_recovers_known_theta(catalog_200k):
    alpha, obs, _, _ = catalog_200k
    r = fit_theta(alpha, obs, n_bins=1525, n_boot=5, seed=0)
    assert r.theta == pytest.approx(11.25, rel=0.02)
    assert r.f_s == pytest.approx(0.4, abs=0.01)
    assert r.f_d == pytest.approx(1 - r.f_s)
    assert 0 < r.theta_std < 0.5
    assert r.n_bins == 1525 and r.n_objects == 200_000 and not r.at_bound
    assert r.reduced_chi2 == pytest.approx(1.0, abs=0.15)  # binomial noise only
    cols = ["alpha_lo", "alpha_hi", "alpha_mid", "n", "f_smooth_obs", "f_smooth_model", "residual"]
    assert set(cols) <= set(r.curve.columns) and len(r.curve) == 1525
    assert r.curve["n"].sum() == 200_000 and r.curve["n"].max() - r.curve["n"].min() <= 1
    np.testing.assert_allclose(r.curve["alpha_mid"], 0.5 * (r.curve["alpha_lo"] + r.curve["alpha_hi"]))
    assert np.all(np.diff(r.curve["alpha_mid"]) >= 0)
    assert r.rss == pytest.approx(float((r.curve["residual"] ** 2).sum()))
    d = json.loads(json.dumps(r.to_dict(include_curve=True)))
    assert d["theta"] == pytest.approx(r.theta) and len(d["curve"]["alpha_mid"]) == 1525


def test_fit_theta_bootstrap_is_deterministic():
    alpha, obs, _, _ = draw(20_000, theta=11.25, seed=3)
    r1 = fit_theta(alpha, obs, n_bins=100, n_boot=4, seed=7)
    r2 = fit_theta(alpha, obs, n_bins=100, n_boot=4, seed=7)
    r3 = fit_theta(alpha, obs, n_bins=100, n_boot=4, seed=8)
    np.testing.assert_array_equal(r1.theta_boot, r2.theta_boot)
    assert not np.array_equal(r1.theta_boot, r3.theta_boot)
    assert r1.theta_std > 0
    assert np.isnan(fit_theta(alpha, obs, n_bins=100, n_boot=0).theta_std)


def test_fit_theta_few_bins_and_narrow_range():
    alpha, obs, _, _ = draw(20_000, theta=11.25, seed=4)
    few = fit_theta(alpha, obs, n_bins=3, n_boot=0)
    assert np.isfinite(few.theta) and few.theta > 0 and 0 <= few.f_s <= 1
    assert np.isnan(fit_theta(alpha, obs, n_bins=2, n_boot=0).reduced_chi2)  # no degrees of freedom
    # alpha confined to a narrow range: theta is poorly constrained but the fit still returns
    rng = np.random.default_rng(5)
    a = rng.uniform(20.0, 20.5, 5000)
    y = (rng.random(5000) < 0.5).astype(int)
    r = fit_theta(a, y, n_bins=20, n_boot=0)
    assert np.isfinite(r.theta) and 0 <= r.f_s <= 1


def test_fit_theta_unbiased_labels_drive_theta_small():
    alpha, obs, _, _ = draw(50_000, theta=None, seed=6)
    r = fit_theta(alpha, obs, n_bins=50, n_boot=0)
    # no bias: b(alpha) must be negligible over the data
    assert bias_probability(np.quantile(alpha, 0.05), r.theta) < 0.05
    assert r.f_s == pytest.approx(0.4, abs=0.02)


def test_theta_vs_bins():
    alpha, obs, _, _ = draw(30_000, theta=11.25, seed=8)
    df = theta_vs_bins(alpha, obs, [20, 100, 300])
    assert isinstance(df, pd.DataFrame) and list(df["n_bins"]) == [20, 100, 300]
    assert {"theta", "f_s", "rss"} <= set(df.columns)
    assert np.all(np.abs(df["theta"] / 11.25 - 1) < 0.1)


@pytest.mark.parametrize(
    "alpha, labels, kwargs, msg",
    [
        ([1.0, 2.0, 3.0], [0, 0, 0], {"n_bins": 2}, "labels are all 0 \\(smooth\\)"),
        ([1.0, 2.0, 3.0], [1, 1, 1], {"n_bins": 2}, "single class"),
        ([4.0, 4.0, 4.0, 4.0], [0, 1, 0, 1], {"n_bins": 2}, "all 4 alpha values are equal"),
        ([1.0, np.nan, 3.0, np.nan], [0, 1, 0, 1], {"n_bins": 2}, "alpha contains 2 NaN value\\(s\\) out of 4"),
        ([1.0, 2.0, 3.0, 4.0], [0, 1, np.nan, 1], {"n_bins": 2}, "labels contain 1 NaN"),
        ([1.0, 2.0, 3.0], [0, 1, 0], {"n_bins": 5}, "n_bins=5 .* at least 5 objects; got 3"),
        ([1.0, 2.0, 3.0], [0, 1], {"n_bins": 2}, "same length; got 3 and 2"),
        ([1.0, 2.0, 3.0], [0, 1, 2], {"n_bins": 2}, "0 \\(smooth\\) or 1 \\(disk\\); 1 value\\(s\\) .* \\[2\\]"),
        ([1.0, -2.0, 3.0], [0, 1, 0], {"n_bins": 2}, "alpha must be > 0 .* 1 of 3"),
        ([1.0, 2.0, 3.0], [0, 1, 0], {"n_bins": 1}, "n_bins must be >= 2"),
        ([1.0, 2.0, 3.0], [0, 1, 0], {"n_bins": 2, "n_boot": -1}, "n_boot must be >= 0"),
    ],
)
def test_fit_theta_bad_input(alpha, labels, kwargs, msg):
    with pytest.raises(BiasFitError, match=msg):
        fit_theta(np.asarray(alpha), np.asarray(labels), **kwargs)


def test_bias_fit_error_is_value_error():
    assert issubclass(BiasFitError, ValueError)


def test_fit_theta_optimiser_failure(monkeypatch):
    class Failed:
        status = 0
        message = "The maximum number of function evaluations is exceeded."
        x = np.array([1.0, 0.5])
        nfev = 2000

    monkeypatch.setattr(bias, "least_squares", lambda *a, **k: Failed())
    alpha, obs, _, _ = draw(2000, theta=11.25, seed=9)
    with pytest.raises(BiasFitError, match="least-squares fit of theta failed .*maximum number"):
        fit_theta(alpha, obs, n_bins=20, n_boot=0)


# --------------------------------------------------------------------------------------
# CV14
# --------------------------------------------------------------------------------------

def test_cv14_hand_computed():
    # two bins of four: smooth fractions 3/4 (low alpha) and 1/4 (reference)
    # sigma_s^2 = sigma_d^2 = ((3/4 - 1/4)^2 + 0) / 2 = 1/8  ->  CV14 = sqrt(1/8)
    alpha = np.arange(1.0, 9.0)
    labels = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    perm = np.random.default_rng(0).permutation(8)  # row order must not matter
    assert cv14(alpha[perm], labels[perm], n_bins=2) == pytest.approx(np.sqrt(1 / 8))
    # unequal bins: 10 objects in 3 bins are cut at 0, 3, 6, 10 -> sizes 3, 3, 4
    # smooth fractions 2/3, 1/3, 1/4 (reference): mean dev^2 = ((5/12)^2 + (1/12)^2 + 0) / 3
    alpha = np.arange(1.0, 11.0)
    labels = np.array([0, 0, 1, 0, 1, 1, 1, 1, 1, 0])
    expected = np.sqrt(((5 / 12) ** 2 + (1 / 12) ** 2) / 3)
    assert cv14(alpha, labels, n_bins=3) == pytest.approx(expected)


def test_cv14_is_zero_for_alpha_independent_labels():
    alpha, obs, _, _ = draw(200_000, theta=None, seed=10)
    assert cv14(alpha, obs) < 0.02


# --------------------------------------------------------------------------------------
# CV18
# --------------------------------------------------------------------------------------

def naive_cv18(alpha, labels, X, n_bins, depth, ref=-1):
    """Straight transcription of METHODS §6 with explicit loops (reference for the fast code)."""
    cells = [np.arange(alpha.size)]
    for d in range(depth):
        v = d % X.shape[1]
        new = []
        for idx in cells:
            med = np.median(X[idx, v])
            new += [idx[X[idx, v] < med], idx[X[idx, v] >= med]]
        cells = new
    sig2 = []
    for idx in cells:
        idx = idx[np.argsort(alpha[idx], kind="stable")]
        n = idx.size
        cuts = [(l * n) // n_bins for l in range(n_bins + 1)]
        for k in (0, 1):
            f = np.array([np.mean(labels[idx[cuts[l]:cuts[l + 1]]] == k) for l in range(n_bins)])
            sig2.append(np.mean((f - f[ref]) ** 2))
    return np.sqrt(np.mean(sig2))


def test_lowest_alpha_reference_matches_reference_implementation():
    alpha, obs, _, X = draw(3001, theta=10.0, seed=15)
    r = cv18(alpha, obs, X, n_bins=5, depth=3, n_boot=0, reference="lowest")
    assert r.value == pytest.approx(naive_cv18(alpha, obs, X, 5, 3, ref=0), rel=1e-12)
    assert r.value != pytest.approx(naive_cv18(alpha, obs, X, 5, 3, ref=-1), rel=1e-3)
    # hand example of test_cv14_hand_computed: smooth fractions 2/3, 1/3, 1/4; reference 2/3
    a = np.arange(1.0, 11.0)
    lab = np.array([0, 0, 1, 0, 1, 1, 1, 1, 1, 0])
    expected = np.sqrt(((1 / 3) ** 2 + (5 / 12) ** 2) / 3)
    assert cv14(a, lab, n_bins=3, reference="lowest") == pytest.approx(expected)
    with pytest.raises(BiasFitError, match="reference must be one of"):
        cv14(a, lab, reference="middle")


def test_cv18_matches_reference_implementation():
    alpha, obs, _, X = draw(3001, theta=10.0, seed=11)
    r = cv18(alpha, obs, X, n_bins=5, depth=3, n_boot=0)
    assert r.value == pytest.approx(naive_cv18(alpha, obs, X, 5, 3), rel=1e-12)
    assert r.mean == r.value and np.isnan(r.std)
    # depth 0 is CV14
    assert cv18(alpha, obs, X, n_bins=8, depth=0, n_boot=0).value == pytest.approx(cv14(alpha, obs, 8))


def test_cv18_bootstrap_weights_equal_explicit_resample():
    """A resample handled through integer weights gives CV18 of the explicit resample."""
    alpha, obs, _, X = draw(2000, theta=10.0, seed=12)
    rng = np.random.default_rng(0)
    w = np.bincount(rng.integers(0, alpha.size, alpha.size), minlength=alpha.size)
    a_order, smooth, Xf, orders, nb, depth = metrics._prepare_cv(alpha, obs, X, 4, 3)
    fast = metrics._cv_core(a_order, smooth, Xf, orders, w, depth, nb)
    rep = np.repeat(np.arange(alpha.size), w)
    assert fast == pytest.approx(naive_cv18(alpha[rep], obs[rep], X[rep], 4, 3), rel=1e-12)


def test_cv18_is_zero_for_alpha_independent_labels():
    alpha, obs, _, X = draw(400_000, theta=None, seed=13)
    r = cv18(alpha, obs, X, n_boot=5, seed=0)
    assert r.value < 0.02 and r.mean < 0.02


def test_cv14_and_cv18_grow_with_bias():
    thetas = [None, 3.0, 6.0, 10.0, 16.0]
    c14, c18 = [], []
    for i, th in enumerate(thetas):
        alpha, obs, _, X = draw(60_000, theta=th, seed=20 + i)
        c14.append(cv14(alpha, obs))
        c18.append(cv18(alpha, obs, X, n_boot=3, seed=0).mean)
    assert np.all(np.diff(c14) > 0), c14
    assert np.all(np.diff(c18) > 0), c18


def test_cv18_bootstrap_std_positive_and_seeded():
    alpha, obs, _, X = draw(20_000, theta=10.0, seed=14)
    r1 = cv18(alpha, obs, X, n_boot=10, seed=5)
    r2 = cv18(alpha, obs, X, n_boot=10, seed=5)
    r3 = cv18(alpha, obs, X, n_boot=10, seed=6)
    assert r1.std > 0 and r1.boot.shape == (10,)
    np.testing.assert_array_equal(r1.boot, r2.boot)
    assert not np.array_equal(r1.boot, r3.boot)
    assert r1.mean == pytest.approx(r1.boot.mean())
    assert abs(r1.mean - r1.value) < 5 * r1.std
    json.dumps(r1.to_dict())


def test_bias_metrics_one_call_per_label_column():
    alpha, obs, true, X = draw(20_000, theta=10.0, seed=15)
    table = {name: bias_metrics(alpha, lab, X, n_boot=5) for name, lab in (("obs", obs), ("true", true))}
    for m in table.values():
        assert set(m) >= {"cv18", "cv18_std", "cv14"}
    assert table["obs"]["cv18"] > table["true"]["cv18"]
    assert table["obs"]["cv14"] > table["true"]["cv14"]


@pytest.mark.parametrize(
    "kind, msg",
    [
        ("nan_intrinsic", "intrinsic contains 3 NaN/infinite value\\(s\\) in 2 of 100 rows"),
        ("short_intrinsic", "same number of rows; got 100 and 99"),
        ("too_few", "at least n_bins \\* 2\\*\\*depth = 8 \\* 8 = 64 objects; got 50"),
        ("bad_labels", "1 value\\(s\\) are outside \\{0, 1\\}"),
        ("nan_alpha", "alpha contains 1 NaN"),
        ("label_length", "same length; got 100 and 99"),
    ],
)
def test_cv_bad_input(kind, msg):
    alpha, obs, _, X = draw(100, theta=10.0, seed=16)
    X = X.copy()
    if kind == "nan_intrinsic":
        X[0, 0] = X[0, 1] = X[5, 2] = np.nan
    elif kind == "short_intrinsic":
        X = X[:99]
    elif kind == "too_few":
        alpha, obs, X = alpha[:50], obs[:50], X[:50]
    elif kind == "bad_labels":
        obs = obs.copy()
        obs[3] = 3
    elif kind == "nan_alpha":
        alpha = alpha.copy()
        alpha[7] = np.nan
    elif kind == "label_length":
        obs = obs[:99]
    with pytest.raises(BiasFitError, match=msg):
        cv18(alpha, obs, X, n_boot=2)


def test_cv14_too_few_objects():
    with pytest.raises(BiasFitError, match="CV14 needs at least .* 8 objects; got 5"):
        cv14(np.arange(1.0, 6.0), [0, 1, 0, 1, 0], n_bins=8)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6))
def test_cv14_ignores_row_order_and_is_bounded(seed, n_bins):
    rng = np.random.default_rng(seed)
    n = 60
    alpha = rng.permutation(np.arange(1.0, n + 1))  # distinct values: no ties
    labels = rng.integers(0, 2, n)
    perm = rng.permutation(n)
    v = cv14(alpha, labels, n_bins)
    assert v == pytest.approx(cv14(alpha[perm], labels[perm], n_bins))
    assert 0.0 <= v <= 1.0


def test_bias_shape_fit_recovers_its_parameters():
    from galbias.methods.bias import bias_shape_probability, fit_bias_shape

    rng = np.random.default_rng(21)
    n = 20000
    a = 10 ** rng.normal(0.95, 0.25, n)
    disk = rng.random(n) < 0.6
    y = np.where(disk & (rng.random(n) >= bias_shape_probability(a, 7.0, 1.3)), 1, 0)
    r = fit_bias_shape(a, y, n_boot=4, seed=0)
    assert r.theta == pytest.approx(7.0, rel=0.12) and r.k == pytest.approx(1.3, abs=0.15)
    assert r.f_s == pytest.approx(0.4, abs=0.05) and r.theta_std > 0
    assert r.delta_aic > 10  # the data are not half-Gaussian and the likelihood says so
    # data drawn from the half-Gaussian: k comes out near 2 and the extra parameter earns nothing
    y2 = np.where(disk & (rng.random(n) >= bias_probability(a, 7.0)), 1, 0)
    r2 = fit_bias_shape(a, y2, n_boot=0)
    assert r2.k == pytest.approx(2.0, abs=0.3) and r2.theta == pytest.approx(7.0, rel=0.1)
    assert r2.delta_aic < 10 and np.isnan(r2.theta_std)
    assert bias_shape_probability(7.0, 7.0, 2.0) == pytest.approx(bias_probability(7.0, 7.0))
    with pytest.raises(BiasFitError, match="k must be finite"):
        bias_shape_probability(1.0, 1.0, 0.0)
