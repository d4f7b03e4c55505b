"""Tests of galbias.dcv14: the Cabrera-Vives et al. 2014 EM baseline (0 = smooth, 1 = disk)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from galbias.methods.bias import BiasFitError, bias_probability
from galbias.methods.dcv14 import _theta_mstep, fit_dcv14

TRUE_W = np.array([1.5, -1.0, 0.8])
TRUE_W0 = 0.3
THETA = 10.0
MEAN, SCALE = np.array([2.0, 0.4, 5.0]), np.array([1.0, 0.2, 3.0])


def simulate(n: int = 20_000, seed: int = 3, theta: float | None = THETA):
    """Features, alpha, observed and true labels drawn from the DCV14 model itself."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3))
    X = z * SCALE + MEAN  # raw (unstandardised) features
    p_disk = 1 / (1 + np.exp(-(z @ TRUE_W + TRUE_W0)))
    true = (rng.random(n) < p_disk).astype(np.int64)
    alpha = 10 ** rng.normal(1.25, 0.27, n)
    if theta is None:
        obs = true.copy()
    else:
        obs = np.where((true == 1) & (rng.random(n) < bias_probability(alpha, theta)), 0, true)
    return X, alpha, obs, true


@pytest.fixture(scope="module")
def sim():
    return simulate()


@pytest.fixture(scope="module")
def fitted(sim):
    X, alpha, obs, _ = sim
    return fit_dcv14(X, alpha, obs, theta0=5.0)


def test_recovers_theta_and_coefficients(fitted):
    assert fitted.converged and fitted.n_iter < 1000
    assert fitted.theta == pytest.approx(THETA, rel=0.10)
    coef = fitted.classifier[-1].coef_[0]
    np.testing.assert_array_equal(np.sign(coef), np.sign(TRUE_W))
    np.testing.assert_allclose(coef, TRUE_W, rtol=0.15)
    assert fitted.theta0 == 5.0 and fitted.theta_trace[0] == pytest.approx(5.0)


def test_loglik_never_decreases(fitted):
    ll = np.asarray(fitted.loglik_trace)
    assert ll.size == fitted.n_iter + 1
    assert np.all(np.diff(ll) >= -1e-9 * np.abs(ll[:-1]))
    assert ll[-1] > ll[0]
    np.testing.assert_array_equal(fitted.loglik_trace, fitted.objective_trace)  # C = inf


def test_default_theta0_from_fit_theta(sim):
    X, alpha, obs, _ = sim
    n = 6000
    r = fit_dcv14(X[:n], alpha[:n], obs[:n], max_iter=5)
    assert r.theta0 > 0 and r.theta_trace[0] == pytest.approx(r.theta0)
    assert r.n_iter == 5 and not r.converged


def test_predict_and_to_dict(fitted, sim):
    X, _, _, true = sim
    p = fitted.predict_proba(X)
    assert p.shape == (X.shape[0],) and np.all((p >= 0) & (p <= 1))
    lab = fitted.predict(X)
    assert set(np.unique(lab)) <= {0, 1}
    np.testing.assert_array_equal(lab, (p > 0.5).astype(int))
    # the de-biased classifier finds more disks than the observed labels
    assert lab.mean() > 0.9 * true.mean()
    d = json.loads(json.dumps(fitted.to_dict()))
    assert d["theta"] == pytest.approx(fitted.theta)
    assert len(d["coef"]) == 3 and d["n_iter"] == fitted.n_iter and d["converged"] is True
    assert d["loglik"] == pytest.approx(fitted.loglik_trace[-1])
    # coefficients in raw units reproduce the same linear predictor
    z_raw = X[:5] @ np.array(d["coef_raw"]) + d["intercept_raw"]
    np.testing.assert_allclose(1 / (1 + np.exp(-z_raw)), p[:5], rtol=1e-10)


def test_dataframe_features_keep_column_names(sim):
    X, alpha, obs, _ = sim
    n = 4000
    df = pd.DataFrame(X[:n], columns=["sersic_n", "sersic_e", "sersic_re_kpc"])
    r = fit_dcv14(df, alpha[:n], obs[:n], theta0=THETA, max_iter=20)
    assert r.feature_names == ["sersic_n", "sersic_e", "sersic_re_kpc"]
    # columns in another order are put back in the fitted order
    shuffled = df[["sersic_re_kpc", "sersic_n", "sersic_e"]]
    np.testing.assert_allclose(r.predict_proba(shuffled), r.predict_proba(X[:n]))


def test_weak_l2_objective_is_monotone(sim):
    X, alpha, obs, _ = sim
    n = 5000
    r = fit_dcv14(X[:n], alpha[:n], obs[:n], theta0=20.0, C=1.0)
    f = np.asarray(r.objective_trace)
    assert np.all(np.diff(f) >= -1e-9 * np.abs(f[:-1]))
    assert np.all(f <= np.asarray(r.loglik_trace))  # penalty >= 0
    assert r.to_dict()["C"] == 1.0


def test_theta_mstep_root_and_no_root():
    rng = np.random.default_rng(0)
    a2_s, a2_d = rng.uniform(1, 400, 50), rng.uniform(1, 400, 50)
    r_s = rng.uniform(0, 1, 50)
    lt, at_bound = _theta_mstep(a2_s, r_s, a2_d, np.log(1e-3), np.log(2e4))
    assert not at_bound
    b = np.exp(-a2_d / (2 * np.exp(2 * lt)))
    assert np.dot(r_s, a2_s) == pytest.approx(np.sum(a2_d * b / (1 - b)), rel=1e-8)
    # nothing observed smooth can be a hidden disk: theta goes to its lower limit
    lt0, at_bound0 = _theta_mstep(a2_s, np.zeros(50), a2_d, np.log(1e-3), np.log(2e4))
    assert at_bound0 and lt0 == np.log(1e-3)


@pytest.mark.parametrize(
    "kind, msg",
    [
        ("nan_features", "features contain 3 NaN/infinite value\\(s\\) in 2 of 300 rows \\(column 0: 2, column 2: 1\\)"),
        ("short_features", "same number of rows; got 299 feature rows and 300"),
        ("constant", "labels are all 1 \\(disk\\)"),
        ("bad_labels", "0 \\(smooth\\) or 1 \\(disk\\)"),
        ("nan_alpha", "alpha contains 1 NaN"),
        ("label_length", "same length; got 300 and 299"),
        ("theta0", "theta0 must be finite and > 0"),
        ("C", "C must be > 0"),
    ],
)
def test_bad_input(kind, msg):
    X, alpha, obs, _ = simulate(300, seed=1)
    kw = {"theta0": 10.0}
    if kind == "nan_features":
        X = X.copy()
        X[0, 0] = X[1, 0] = X[1, 2] = np.nan
    elif kind == "short_features":
        X = X[:299]
    elif kind == "constant":
        obs = np.ones_like(obs)
    elif kind == "bad_labels":
        obs = obs.copy()
        obs[0] = -1
    elif kind == "nan_alpha":
        alpha = alpha.copy()
        alpha[4] = np.nan
    elif kind == "label_length":
        obs = obs[:299]
    elif kind == "theta0":
        kw["theta0"] = -1.0
    elif kind == "C":
        kw["C"] = 0.0
    with pytest.raises(BiasFitError, match=msg):
        fit_dcv14(X, alpha, obs, **kw)


def test_predict_checks_features(fitted):
    with pytest.raises(BiasFitError, match="must have 3 columns"):
        fitted.predict_proba(np.zeros((4, 2)))
    with pytest.raises(BiasFitError, match="1 NaN/infinite"):
        fitted.predict(np.array([[1.0, np.nan, 2.0]]))
