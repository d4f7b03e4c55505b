r"""DCV14: the de-biasing baseline of Cabrera-Vives et al. (2014), EM with a logistic regression.

Label coding: ``0 = smooth``, ``1 = disk``.

Model
-----
Each galaxy has features :math:`x_i` (the paper: Sérsic index, ellipticity, half-light
radius, standardised), a *true* class :math:`y_i` with

.. math::  \pi_i = p(y_i = d \mid x_i) = \sigma(w\cdot x_i + w_0),

and an *observed* label produced by the resolution bias of :mod:`galbias.bias`: a disk is
labelled smooth with probability :math:`b_i = e^{-\alpha_i^2/(2\theta^2)}`, a smooth galaxy is
always labelled smooth.  Marginalising the unknown true class gives the log-likelihood

.. math::

    \log L(w,\theta) = \sum_{\tilde y_i = d} \log[(1-b_i)\,\pi_i]
                     + \sum_{\tilde y_i = s} \log[1 - \pi_i + b_i \pi_i].

EM
--
* **E-step** — responsibility that the object is truly a disk:
  :math:`r_i = 1` if observed disk, :math:`r_i = b_i\pi_i / (b_i\pi_i + 1 - \pi_i)` if
  observed smooth.
* **M-step for w** — maximise :math:`\sum_i [r_i \log\pi_i + (1-r_i)\log(1-\pi_i)]`: a
  logistic regression (scikit-learn) on stacked rows :math:`(x_i, 1)` with weight
  :math:`r_i` and :math:`(x_i, 0)` with weight :math:`1-r_i` (``sample_weight``), warm-started
  from the previous :math:`w` (L-BFGS only moves downhill from its starting point, so this
  step never lowers the bound even when it stops early).
* **M-step for theta** — maximise
  :math:`\sum_{\tilde y=d}\log(1-b_i) + \sum_{\tilde y=s} r_i \log b_i`.  Setting the
  derivative to zero gives

  .. math:: \sum_{\tilde y=s} r_i\alpha_i^2 = \sum_{\tilde y=d} \alpha_i^2\,\frac{b_i}{1-b_i},

  solved for :math:`\log\theta` with ``scipy.optimize.brentq``.  In the variable
  :math:`t = 1/(2\theta^2)` the objective is concave (``log(1 - e^{-u})`` is concave), so the
  root is unique and it is the exact maximiser.  *No root*: when
  :math:`\sum_{\tilde y=s} r_i\alpha_i^2 = 0` (no observed-smooth object can be a hidden disk)
  the objective increases as theta decreases, and theta is set to the lower search limit
  ``1e-3 min(alpha)`` where :math:`b = 0` for every object ("no bias"; ``theta_at_bound``).
  This state is absorbing: once every :math:`b_i = 0`, every :math:`r_i = 0` for observed
  smooth objects.

Because both M-steps maximise (or increase) the EM lower bound for the same
responsibilities, :math:`\log L` never decreases (see ``loglik_trace``).

Documented choices (the 2014 text was not available, METHODS §5)
---------------------------------------------------------------
* **Regularisation**: none by default (``C = inf``): DCV14 is a maximum-likelihood method.
  Pass a finite ``C`` (weak L2 on the standardised coefficients, intercept not penalised)
  if the features separate the classes; the EM then maximises
  :math:`\log L - \lVert w\rVert^2/(2C)`, recorded in ``objective_trace`` (monotone), while
  ``loglik_trace`` holds the plain :math:`\log L`.
* **Initialisation**: ``w`` = logistic regression on the *observed* labels; ``theta`` =
  ``theta0`` if given, else :func:`galbias.bias.fit_theta` on ``(alpha, labels)`` with
  ``clip(N // 50, 2, 200)`` equal-count bins and no bootstrap.
* **Stopping rule**: stop when the relative change of the objective between two iterations
  is below ``tol`` (``|ΔF| <= tol |F|``), or after ``max_iter`` iterations
  (``converged = False``).
* Features are standardised once (``StandardScaler`` fitted on all objects) and the scaler is
  part of the returned ``classifier`` pipeline.
* The algorithm is deterministic; ``seed`` is only handed to scikit-learn as
  ``random_state``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .bias import fit_theta
from .inputs import BiasFitError, check_alpha, check_labels

__all__ = ["DCV14Result", "fit_dcv14", "BiasFitError"]


def _check_features(features: Any, n: int | None = None, k: int | None = None,
                    names: list[str] | None = None) -> tuple[np.ndarray, list[str] | None]:
    cols = None
    if hasattr(features, "columns"):  # a DataFrame
        cols = [str(c) for c in features.columns]
        if names is not None and set(names) <= set(cols):
            features = features[names]
            cols = list(names)
    X = np.asarray(features)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] == 0:
        raise BiasFitError(f"features must be an N x k array (k >= 1); got shape {np.shape(features)}")
    if n is not None and X.shape[0] != n:
        raise BiasFitError(
            f"features, alpha and labels must have the same number of rows; got {X.shape[0]} "
            f"feature rows and {n} alpha/label values"
        )
    if k is not None and X.shape[1] != k:
        raise BiasFitError(f"features must have {k} columns (as when fitted); got {X.shape[1]}")
    try:
        X = X.astype(float)
    except (TypeError, ValueError) as exc:
        raise BiasFitError(f"features must be numeric ({exc})") from None
    bad = ~np.isfinite(X)
    if bad.any():
        per_col = bad.sum(axis=0)
        where = ", ".join(f"{(cols or [f'column {j}' for j in range(X.shape[1])])[j]}: {int(c)}"
                          for j, c in enumerate(per_col) if c)
        raise BiasFitError(
            f"features contain {int(bad.sum())} NaN/infinite value(s) in "
            f"{int(bad.any(axis=1).sum())} of {X.shape[0]} rows ({where}); drop or impute them first"
        )
    return X, cols


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    return -np.logaddexp(0.0, -z)


@dataclass(frozen=True, eq=False)
class DCV14Result:
    """Result of :func:`fit_dcv14`.

    ``theta``: fitted bias parameter; ``classifier``: scikit-learn ``Pipeline``
    (``StandardScaler`` → ``LogisticRegression``) giving p(true disk | x);
    ``loglik_trace``: :math:`\\log L` at the start and after every iteration;
    ``objective_trace``: the quantity EM increases (= ``loglik_trace`` when ``C = inf``);
    ``theta_trace``: theta at the start and after every iteration.
    """

    theta: float
    theta0: float
    classifier: Pipeline
    loglik_trace: list[float]
    objective_trace: list[float]
    theta_trace: list[float]
    n_iter: int
    converged: bool
    theta_at_bound: bool
    C: float
    tol: float
    n_objects: int
    feature_names: list[str] | None = field(default=None)

    @property
    def loglik(self) -> float:
        """Final log-likelihood."""
        return self.loglik_trace[-1]

    def predict_proba(self, features: Any) -> np.ndarray:
        """p(true class = disk | x) for each row of ``features`` (1-D array)."""
        X, _ = _check_features(features, k=self.classifier[0].n_features_in_, names=self.feature_names)
        return self.classifier.predict_proba(X)[:, 1]

    def predict(self, features: Any) -> np.ndarray:
        """De-biased label = argmax_y p(y | x): 1 (disk) where p(disk | x) > 0.5, else 0 (smooth)."""
        return (self.predict_proba(features) > 0.5).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python summary for JSON.

        ``coef``/``intercept`` act on standardised features; ``coef_raw``/``intercept_raw`` are
        the same linear predictor in the original feature units.
        """
        scaler, lr = self.classifier[0], self.classifier[1]
        coef = lr.coef_[0]
        coef_raw = coef / scaler.scale_
        intercept_raw = float(lr.intercept_[0] - np.sum(coef * scaler.mean_ / scaler.scale_))
        return {
            "theta": float(self.theta), "theta0": float(self.theta0),
            "coef": coef.tolist(), "intercept": float(lr.intercept_[0]),
            "coef_raw": coef_raw.tolist(), "intercept_raw": intercept_raw,
            "feature_names": self.feature_names,
            "scaler_mean": scaler.mean_.tolist(), "scaler_scale": scaler.scale_.tolist(),
            "n_iter": int(self.n_iter), "converged": bool(self.converged),
            "loglik": float(self.loglik), "objective": float(self.objective_trace[-1]),
            "theta_at_bound": bool(self.theta_at_bound),
            "C": None if not np.isfinite(self.C) else float(self.C), "tol": float(self.tol),
            "n_objects": int(self.n_objects),
        }


def _loglik_terms(z: np.ndarray, x: np.ndarray, obs_d: np.ndarray):
    """Per-object log p(observed label | x, alpha) and, for observed smooth, log(b pi).

    ``z = w.x + w0``; ``x = alpha^2 / (2 theta^2)`` so ``log b = -x``.
    """
    log_pi = _log_sigmoid(z)
    log_1mpi = _log_sigmoid(-z)
    with np.errstate(divide="ignore"):
        log_1mb = np.log(-np.expm1(-x))  # log(1 - b); -inf only if alpha = 0 (excluded)
    ll = np.empty_like(z)
    ll[obs_d] = log_1mb[obs_d] + log_pi[obs_d]
    s = ~obs_d
    log_bpi = -x[s] + log_pi[s]
    ll[s] = np.logaddexp(log_1mpi[s], log_bpi)
    return ll, log_bpi


def _theta_mstep(a2_s: np.ndarray, r_s: np.ndarray, a2_d: np.ndarray,
                 log_lo: float, log_hi: float) -> tuple[float, bool]:
    """Exact theta M-step: root in log theta of sum_s r a^2 - sum_d a^2 / expm1(a^2/(2 theta^2)).

    The function decreases with theta.  Returns ``(log_theta, at_bound)``.
    """
    lhs = float(np.dot(r_s, a2_s))

    def g(lt: float) -> float:
        with np.errstate(over="ignore"):
            u = a2_d * (0.5 * np.exp(-2.0 * lt))
            return lhs - float(np.sum(a2_d / np.expm1(u)))

    if lhs <= 0.0 or g(log_lo) <= 0.0:
        return log_lo, True  # no root: optimum at theta -> 0 (b = 0, no bias)
    hi = log_hi
    for _ in range(60):  # the right side always turns negative as theta grows (needs >= 1 disk)
        if g(hi) < 0.0:
            break
        hi += 2.0
    else:  # pragma: no cover - only with absurd inputs
        return hi, True
    return float(brentq(g, log_lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps, maxiter=200)), False


def _fit_inputs(features: Any, alpha: Any, labels: Any, theta0: float | None, max_iter: Any, tol: Any,
                C: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], float, float]:
    """:func:`fit_dcv14`'s checked inputs and starting theta (:func:`fit_theta` when ``theta0`` is None)."""
    a = check_alpha(alpha)
    y = check_labels(labels, a.size)
    X, names = _check_features(features, n=a.size)
    if np.all(y == y[0]):
        name = "0 (smooth)" if y[0] == 0 else "1 (disk)"
        raise BiasFitError(f"labels are all {name}: DCV14 needs both observed classes")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise BiasFitError(f"max_iter must be a positive integer; got {max_iter!r}")
    if not (tol >= 0):
        raise BiasFitError(f"tol must be >= 0; got {tol!r}")
    C = float(C)
    if not C > 0:
        raise BiasFitError(f"C must be > 0 (np.inf = no penalty); got {C}")
    if theta0 is None:
        n_bins = int(np.clip(a.size // 50, 2, 200))
        try:
            theta0 = fit_theta(a, y, n_bins=n_bins, n_boot=0).theta
        except BiasFitError as exc:
            raise BiasFitError(f"could not initialise theta with fit_theta ({exc}); pass theta0") from exc
    theta0 = float(theta0)
    if not (np.isfinite(theta0) and theta0 > 0):
        raise BiasFitError(f"theta0 must be finite and > 0; got {theta0}")
    return a, y, X, names, theta0, C


def _stacked_design(Z: np.ndarray, obs_d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Stacked data of the w M-step: observed disks as (x, 1) with weight 1, observed smooth
    objects twice, as (x, 1) with weight r and as (x, 0) with weight 1 - r (weights start at 1)."""
    s = ~obs_d
    Zst = np.vstack((Z[obs_d], Z[s], Z[s]))
    yst = np.concatenate((np.ones(obs_d.sum() + s.sum(), np.int64), np.zeros(s.sum(), np.int64)))
    return Zst, yst, np.ones(yst.size), int(obs_d.sum()), int(s.sum())


def fit_dcv14(features: Any, alpha: Any, labels: Any, theta0: float | None = None,
              max_iter: int = 1000, tol: float = 1e-9, seed: int | None = 0,
              C: float = np.inf) -> DCV14Result:
    """Fit the DCV14 EM model (logistic regression + resolution bias); see the module docstring.

    Parameters
    ----------
    features : N x k array or DataFrame (the paper: Sérsic n, ellipticity, half-light radius);
        standardised inside.
    alpha : resolution of each object (> 0).
    labels : observed labels, 0 = smooth, 1 = disk.
    theta0 : starting theta; ``None`` = :func:`galbias.bias.fit_theta` on the observed labels.
    max_iter, tol : stop when ``|F_t - F_{t-1}| <= tol |F_{t-1}|`` or after ``max_iter``
        iterations (F = objective; = log L when ``C = inf``).
    seed : passed to scikit-learn as ``random_state`` (the fit itself is deterministic).
    C : inverse L2 strength of the logistic regression; ``inf`` (default) = no penalty.

    Raises :class:`galbias.bias.BiasFitError` (a ``ValueError``) for NaN/infinite features or
    alpha (with counts), length mismatches, labels outside {0, 1}, a single class, or a
    theta0 that is not finite and positive.
    """
    a, y, X, names, theta0, C = _fit_inputs(features, alpha, labels, theta0, max_iter, tol, C)
    N = a.size

    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    obs_d = y == 1
    s = ~obs_d
    a2 = a ** 2
    a2_s, a2_d = a2[s], a2[obs_d]
    log_lo = float(np.log(a.min() * 1e-3))
    log_hi = float(np.log(a.max() * 1e3))
    log_theta = float(np.clip(np.log(theta0), log_lo, log_hi))

    lr = LogisticRegression(C=C, solver="lbfgs", warm_start=True, max_iter=1000, tol=1e-10,
                            random_state=seed)
    Zst, yst, wst, n_d, n_s = _stacked_design(Z, obs_d)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lr.fit(Z, y.astype(np.int64))  # initial w: the observed labels taken at face value

    def evaluate(lt: float):
        z = Z @ lr.coef_[0] + lr.intercept_[0]
        x = a2 * (0.5 * np.exp(-2.0 * lt))
        ll, log_bpi = _loglik_terms(z, x, obs_d)
        logL = float(ll.sum())
        pen = 0.0 if not np.isfinite(C) else float(lr.coef_[0] @ lr.coef_[0]) / (2.0 * C)
        return logL, logL - pen, ll, log_bpi

    logL, F, ll, log_bpi = evaluate(log_theta)
    loglik_trace, objective_trace, theta_trace = [logL], [F], [float(np.exp(log_theta))]
    converged, at_bound, n_iter = False, False, 0
    for n_iter in range(1, max_iter + 1):
        # E-step: r = b pi / (b pi + 1 - pi) for observed smooth; 1 for observed disk
        r_s = np.exp(log_bpi - ll[s])
        # M-step (w)
        wst[n_d:n_d + n_s] = r_s
        wst[n_d + n_s:] = 1.0 - r_s
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lr.fit(Zst, yst, sample_weight=wst)
        # M-step (theta), with the same responsibilities
        log_theta, at_bound = _theta_mstep(a2_s, r_s, a2_d, log_lo, log_hi)
        logL, F_new, ll, log_bpi = evaluate(log_theta)
        loglik_trace.append(logL)
        objective_trace.append(F_new)
        theta_trace.append(float(np.exp(log_theta)))
        if abs(F_new - F) <= tol * abs(F):
            converged = True
            F = F_new
            break
        F = F_new

    return DCV14Result(
        theta=float(np.exp(log_theta)), theta0=theta0, classifier=Pipeline([("scale", scaler), ("logreg", lr)]),
        loglik_trace=loglik_trace, objective_trace=objective_trace, theta_trace=theta_trace, n_iter=n_iter,
        converged=converged, theta_at_bound=at_bound, C=C, tol=float(tol), n_objects=N, feature_names=names)
