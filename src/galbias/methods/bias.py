r"""The resolution bias model and the fit of its parameter theta (paper §4.2, §4.4).

Label coding everywhere: ``0 = smooth``, ``1 = disk``.

Bias model (paper §4.2)
-----------------------
``alpha`` is the image resolution of a galaxy, its angular Petrosian radius over the PSF
width sigma (``sigma = FWHM / 2.3548``).  A disk that is badly resolved looks smooth to the
volunteers; a smooth galaxy never looks like a disk:

.. math::

    b(\alpha;\theta) = p(\tilde y = s \mid y = d, \alpha) = e^{-\alpha^2 / (2\theta^2)},
    \qquad p(\tilde y = d \mid y = s, \alpha) = 0 .

Fitting theta (paper §4.4)
--------------------------
If the true class does not depend on alpha, the *observed* smooth fraction in a bin of alpha
is :math:`\tilde f_s(\alpha) = f_s + f_d\, b(\alpha;\theta)` with :math:`f_s + f_d = 1`.
:func:`fit_theta` sorts the objects into equal-count alpha bins
(:mod:`galbias.data.binning`; a bin's alpha is the midpoint of its edges) and minimises
:math:`\sum_l [\tilde f_{s,l}^{\rm obs} - f_s - f_d\, b(\alpha_l^{\rm mid};\theta)]^2` over
:math:`(\theta, f_s)`.  Bootstrap resamples are integer weights on the sorted sample
(see :mod:`galbias.data.binning`), so no resample is re-sorted.

The bias metrics CV14 and CV18 are :mod:`galbias.methods.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from ..data.binning import sorted_bins
from .inputs import BiasFitError, check_alpha, check_int, check_labels, json_float

__all__ = ["BiasFitError", "ShapeFit", "ThetaFit", "bias_probability", "bias_shape_probability", "fit_bias_shape", "fit_theta",
           "theta_vs_bins"]


# ---------------------------------------------------------------------------------------
# the bias model
# ---------------------------------------------------------------------------------------

def bias_probability(alpha: Any, theta: Any) -> np.ndarray | float:
    r"""Probability that a disk is labelled smooth: :math:`b = \exp(-\alpha^2/(2\theta^2))`.

    Vectorised over ``alpha`` and ``theta`` (numpy broadcasting).  Both must be finite and
    strictly positive; a :class:`BiasFitError` (a ``ValueError``) says which and how many
    values are not.  Returns a float for scalar inputs, else an array.
    """
    a = np.asarray(alpha, dtype=float)
    t = np.asarray(theta, dtype=float)
    for name, v in (("alpha", a), ("theta", t)):
        n_bad = int((~np.isfinite(v)).sum())
        if n_bad:
            raise BiasFitError(f"{name} must be finite; {n_bad} of {v.size} value(s) are NaN or infinite")
        n_bad = int((v <= 0).sum())
        if n_bad:
            raise BiasFitError(f"{name} must be > 0; {n_bad} of {v.size} value(s) are <= 0")
    b = np.exp(-0.5 * (a / t) ** 2)
    return float(b) if b.ndim == 0 else b


def _b(alpha_mid: np.ndarray, theta: float) -> np.ndarray:
    return np.exp(-0.5 * (alpha_mid / theta) ** 2)


# ---------------------------------------------------------------------------------------
# fitting theta
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class ThetaFit:
    r"""Result of :func:`fit_theta`.

    ``theta``, ``f_s``, ``f_d = 1 - f_s``: the least-squares solution on the full sample;
    ``theta_std``, ``f_s_std``: standard deviations (ddof=1) over ``n_boot`` bootstrap
    resamples of the objects (re-binned each time; ``nan`` when ``n_boot = 0``);
    ``curve``: one row per alpha bin with ``alpha_lo, alpha_hi, alpha_mid, n, n_smooth,
    f_smooth_obs, f_smooth_model, residual`` (residual = observed - model);
    ``rss`` = :math:`\sum_l r_l^2`; ``chi2`` uses binomial errors
    :math:`\sigma_l^2 = p_l(1-p_l)/n_l` with :math:`p_l` the model fraction (clipped to
    :math:`[\tfrac{1}{2n_l}, 1-\tfrac{1}{2n_l}]`), ``reduced_chi2 = chi2 / (n_bins - 2)``.
    ``at_bound`` is True when theta ended on the search limits (theta not identified by the
    data, e.g. labels that do not depend on alpha drive theta to its lower limit).
    """

    theta: float
    f_s: float
    f_d: float
    theta_std: float
    f_s_std: float
    curve: pd.DataFrame
    rss: float
    chi2: float
    reduced_chi2: float
    n_bins: int
    n_objects: int
    n_boot: int
    n_boot_failed: int
    seed: int | None
    theta_init: float
    f_s_init: float
    theta_bounds: tuple[float, float]
    at_bound: bool
    nfev: int
    message: str
    theta_boot: np.ndarray = field(repr=False)
    f_s_boot: np.ndarray = field(repr=False)

    def to_dict(self, include_curve: bool = False) -> dict[str, Any]:
        """Plain-Python summary for JSON (the binned curve only if ``include_curve``)."""
        d: dict[str, Any] = {
            "theta": float(self.theta), "f_s": float(self.f_s), "f_d": float(self.f_d),
            "theta_std": json_float(self.theta_std), "f_s_std": json_float(self.f_s_std),
            "rss": float(self.rss), "chi2": float(self.chi2),
            "reduced_chi2": json_float(self.reduced_chi2),
            "n_bins": int(self.n_bins), "n_objects": int(self.n_objects),
            "n_boot": int(self.n_boot), "n_boot_failed": int(self.n_boot_failed),
            "seed": None if self.seed is None else int(self.seed), "theta_init": float(self.theta_init), "f_s_init": float(self.f_s_init),
            "theta_bounds": [float(x) for x in self.theta_bounds], "at_bound": bool(self.at_bound),
            "nfev": int(self.nfev), "message": str(self.message),
        }
        if include_curve:
            d["curve"] = {c: self.curve[c].tolist() for c in self.curve.columns}
        return d




def _prepare_fit(alpha: Any, labels: Any, n_bins: int):
    a = check_alpha(alpha)
    y = check_labels(labels, a.size)
    n_bins = check_int("n_bins", n_bins, 2)
    if a.size < n_bins:
        raise BiasFitError(
            f"fewer objects than bins: n_bins={n_bins} equal-count bins need at least {n_bins} "
            f"objects; got {a.size}"
        )
    if np.all(y == y[0]):
        name = "0 (smooth)" if y[0] == 0 else "1 (disk)"
        raise BiasFitError(
            f"labels are all {name}: theta cannot be fitted from a single class"
        )
    if np.all(a == a[0]):
        raise BiasFitError(
            f"all {a.size} alpha values are equal ({a[0]:g}): there is no alpha dependence to fit"
        )
    order = np.argsort(a, kind="stable")
    return a[order], (y[order] == 0).astype(np.int64), n_bins


def _lsq(alpha_mid: np.ndarray, f_obs: np.ndarray, x0: np.ndarray, log_bounds: tuple[float, float]):
    """Least squares of f_obs vs f_s + (1 - f_s) b(alpha_mid; theta) in (log theta, f_s)."""
    a2 = alpha_mid ** 2

    def resid(p):
        b = np.exp(-0.5 * a2 * np.exp(-2.0 * p[0]))
        return p[1] + (1.0 - p[1]) * b - f_obs

    def jac(p):
        b = np.exp(-0.5 * a2 * np.exp(-2.0 * p[0]))
        # d b / d log theta = b * alpha^2 / theta^2
        return np.column_stack(((1.0 - p[1]) * b * a2 * np.exp(-2.0 * p[0]), 1.0 - b))

    lb = np.array([log_bounds[0], 0.0])
    ub = np.array([log_bounds[1], 1.0])
    x0 = np.clip(x0, lb, ub)
    return least_squares(resid, x0, jac=jac, bounds=(lb, ub), method="trf", x_scale="jac",
                         xtol=1e-12, ftol=1e-12, gtol=1e-12, max_nfev=2000)


def _initial_guess(alpha_mid: np.ndarray, f_obs: np.ndarray, log_bounds: tuple[float, float]):
    """Paper's initialisation: f_s from the least-biased (highest-alpha) bin; theta from a grid.

    ``f_s0`` = observed smooth fraction of the highest-alpha bin.  With ``f_s`` held there,
    ``theta0`` is the best of 81 log-spaced values between ``min(alpha_mid)/4`` and
    ``4 max(alpha_mid)`` (a coarse scan that keeps the optimiser out of the flat regions
    where ``b`` is 0 or 1 for every bin).
    """
    f_s0 = float(np.clip(f_obs[-1], 0.0, 1.0))
    lo = max(np.log(alpha_mid.min() / 4.0), log_bounds[0])
    hi = min(np.log(alpha_mid.max() * 4.0), log_bounds[1])
    grid = np.linspace(lo, hi, 81)
    b = np.exp(-0.5 * (alpha_mid[None, :] / np.exp(grid)[:, None]) ** 2)
    rss = ((f_s0 + (1.0 - f_s0) * b - f_obs[None, :]) ** 2).sum(axis=1)
    return np.array([grid[int(np.argmin(rss))], f_s0])


def _fit_once(a_s, smooth_s, w, n_bins, x0=None):
    n, ns, lo, hi = sorted_bins(a_s, smooth_s, w, n_bins)
    mid = 0.5 * (lo + hi)
    f_obs = ns / n
    # theta is searched between 1e-3 min(alpha) and 1e3 max(alpha): beyond these b is 0 or 1
    # to many digits for every object, so theta would not be identified
    amin = max(float(a_s[0]), np.finfo(float).tiny)
    log_bounds = (np.log(amin * 1e-3), np.log(float(a_s[-1]) * 1e3))
    init = _initial_guess(mid, f_obs, log_bounds) if x0 is None else np.asarray(x0, float)
    res = _lsq_checked(mid, f_obs, init, log_bounds)
    return res, (n, ns, lo, hi, mid, f_obs), init, log_bounds


def _lsq_checked(mid, f_obs, init, log_bounds):
    try:
        res = _lsq(mid, f_obs, init, log_bounds)
    except (ValueError, np.linalg.LinAlgError) as exc:  # pragma: no cover - defensive
        raise BiasFitError(f"least-squares fit of theta failed: {exc}") from exc
    if res.status <= 0 or not np.all(np.isfinite(res.x)):
        raise BiasFitError(f"least-squares fit of theta failed (status {res.status}): {res.message}")
    return res


def fit_theta(alpha: Any, labels: Any, n_bins: int = 200, n_boot: int = 100,
              seed: int | None = 0) -> ThetaFit:
    r"""Fit theta of the bias model to the observed smooth fraction in alpha bins (paper §4.4).

    1. Sort the objects by alpha (stable argsort) and cut them into ``n_bins`` equal-count
       bins (the paper uses 1525 bins on its 97,600 training galaxies).  The alpha of a bin is
       the midpoint of its edges, the edges being the alpha of its first object and of the
       first object of the next bin (the largest alpha for the last bin).
    2. Minimise :math:`\sum_l [\tilde f^{\rm obs}_{s,l} - f_s - (1-f_s)
       e^{-\alpha_l^2/(2\theta^2)}]^2` (unweighted, as in the paper) with
       ``scipy.optimize.least_squares`` over :math:`(\log\theta, f_s)`, ``0 <= f_s <= 1``
       and theta inside ``[1e-3 min(alpha), 1e3 max(alpha)]`` (theta > 0 by construction).
    3. Initialise ``f_s`` with the smooth fraction of the least-biased (highest-alpha) bin,
       as the paper does, and ``theta`` with the best value of a coarse log grid at that
       ``f_s`` (see :func:`_initial_guess`).
    4. ``theta_std``: redraw the objects with replacement ``n_boot`` times, re-bin and refit
       each resample (started from the full-sample solution); resamples whose fit fails are
       counted in ``n_boot_failed`` and left out.

    Raises :class:`BiasFitError` (a ``ValueError``) for NaN/infinite or non-positive alpha,
    labels outside {0, 1}, length mismatch, a single class, all-equal alpha, fewer objects
    than bins, or a failed optimisation.
    """
    a_s, smooth_s, n_bins = _prepare_fit(alpha, labels, n_bins)
    n_boot = check_int("n_boot", n_boot, 0)
    N = a_s.size
    ones = np.ones(N, dtype=np.int64)
    res, (n, ns, lo, hi, mid, f_obs), init, log_bounds = _fit_once(a_s, smooth_s, ones, n_bins)
    log_theta, f_s = float(res.x[0]), float(res.x[1])
    theta = float(np.exp(log_theta))
    model = f_s + (1.0 - f_s) * _b(mid, theta)
    resid = f_obs - model
    p = np.clip(model, 0.5 / n, 1.0 - 0.5 / n)
    chi2 = float(np.sum(resid ** 2 / (p * (1.0 - p) / n)))
    dof = n_bins - 2
    curve = pd.DataFrame({
        "alpha_lo": lo, "alpha_hi": hi, "alpha_mid": mid, "n": n.astype(np.int64),
        "n_smooth": ns.astype(np.int64), "f_smooth_obs": f_obs, "f_smooth_model": model,
        "residual": resid,
    })
    span = log_bounds[1] - log_bounds[0]
    at_bound = bool(min(log_theta - log_bounds[0], log_bounds[1] - log_theta) < 1e-6 * span)

    rng = np.random.default_rng(seed)
    th_boot, fs_boot, failed = [], [], 0
    for _ in range(n_boot):
        w = np.bincount(rng.integers(0, N, N), minlength=N)
        try:
            r, *_ = _fit_once(a_s, smooth_s, w, n_bins, x0=res.x)
        except BiasFitError:
            failed += 1
            continue
        th_boot.append(np.exp(r.x[0]))
        fs_boot.append(r.x[1])
    th_boot_a, fs_boot_a = np.asarray(th_boot), np.asarray(fs_boot)
    std = (lambda v: float(np.std(v, ddof=1)) if v.size > 1 else float("nan"))
    return ThetaFit(
        theta=theta, f_s=f_s, f_d=1.0 - f_s, theta_std=std(th_boot_a), f_s_std=std(fs_boot_a),
        curve=curve, rss=float(np.sum(resid ** 2)), chi2=chi2,
        reduced_chi2=chi2 / dof if dof > 0 else float("nan"), n_bins=n_bins, n_objects=N,
        n_boot=n_boot, n_boot_failed=failed, seed=seed, theta_init=float(np.exp(init[0])),
        f_s_init=float(init[1]), theta_bounds=(float(np.exp(log_bounds[0])), float(np.exp(log_bounds[1]))),
        at_bound=at_bound, nfev=int(res.nfev), message=str(res.message),
        theta_boot=th_boot_a, f_s_boot=fs_boot_a,
    )


def theta_vs_bins(alpha: Any, labels: Any, bin_counts: Any) -> pd.DataFrame:
    """theta, f_s and the fit quality for each number of equal-count bins (no bootstrap).

    Returns one row per entry of ``bin_counts`` with columns ``n_bins, objects_per_bin,
    theta, f_s, f_d, rss, reduced_chi2, at_bound``.  Shows how much the fitted theta depends
    on the (hyper-parameter) number of bins.
    """
    counts = [check_int("bin count", b, 2) for b in np.atleast_1d(np.asarray(bin_counts)).tolist()]
    rows = []
    for nb in counts:
        r = fit_theta(alpha, labels, n_bins=nb, n_boot=0)
        rows.append({"n_bins": nb, "objects_per_bin": r.n_objects / nb, "theta": r.theta,
                     "f_s": r.f_s, "f_d": r.f_d, "rss": r.rss, "reduced_chi2": r.reduced_chi2,
                     "at_bound": r.at_bound})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# a two-parameter bias shape, fitted without bins
# ---------------------------------------------------------------------------------------

def bias_shape_probability(alpha: Any, theta: Any, k: Any = 2.0) -> np.ndarray | float:
    r"""The two-parameter bias shape :math:`b = \exp(-\tfrac12 (\alpha/\theta)^k)`.

    ``k = 2`` is the paper's half-Gaussian (:func:`bias_probability`); a smaller ``k`` gives a
    slower, longer tail at high alpha and a sharper rise at low alpha.  ``b`` runs from 1
    (alpha -> 0) to 0 (alpha -> inf) for every ``k > 0``, so it has no free floor: a constant
    floor c in ``b`` is not identifiable from the label fractions (only ``f_s + f_d c`` is).
    """
    a = np.asarray(alpha, dtype=float)
    t = np.asarray(theta, dtype=float)
    kk = np.asarray(k, dtype=float)
    for name, v in (("alpha", a), ("theta", t), ("k", kk)):
        if not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise BiasFitError(f"{name} must be finite and > 0; {int((~np.isfinite(v) | (v <= 0)).sum())} "
                               f"of {v.size} value(s) are not")
    b = np.exp(-0.5 * (a / t) ** kk)
    return float(b) if b.ndim == 0 else b


@dataclass(frozen=True, eq=False)
class ShapeFit:
    """Result of :func:`fit_bias_shape`: the maximum-likelihood ``theta``, ``k`` and ``f_s``
    (bootstrap sd, ddof = 1, over ``n_boot`` resamples), the log-likelihood, and the same fit
    with ``k`` fixed at 2 (the half-Gaussian, unbinned) for comparison."""

    theta: float
    k: float
    f_s: float
    theta_std: float
    k_std: float
    f_s_std: float
    loglik: float
    theta_k2: float
    f_s_k2: float
    loglik_k2: float
    n_objects: int
    n_boot: int
    fixed_k: float | None

    @property
    def delta_aic(self) -> float:
        """AIC(half-Gaussian) - AIC(this fit): > 0 favours the free ``k`` (one more parameter)."""
        return 2 * (self.loglik - self.loglik_k2) - 2 * (0 if self.fixed_k is not None else 1)

    def to_dict(self) -> dict[str, Any]:
        return {"theta": float(self.theta), "k": float(self.k), "f_s": float(self.f_s),
                "theta_std": json_float(self.theta_std), "k_std": json_float(self.k_std),
                "f_s_std": json_float(self.f_s_std), "loglik": float(self.loglik), "theta_k2": float(self.theta_k2),
                "f_s_k2": float(self.f_s_k2), "loglik_k2": float(self.loglik_k2), "delta_aic": float(self.delta_aic),
                "n_objects": int(self.n_objects), "n_boot": int(self.n_boot),
                "fixed_k": None if self.fixed_k is None else float(self.fixed_k)}


def _shape_nll(p: np.ndarray, la: np.ndarray, smooth: np.ndarray, w: np.ndarray, k_fixed: float | None) -> float:
    log_t, z = p[0], p[-1]
    k = np.exp(p[1]) if k_fixed is None else k_fixed
    f_s = 1.0 / (1.0 + np.exp(-z))
    b = np.exp(-0.5 * np.exp(k * (la - log_t)))
    ps = np.clip(f_s + (1.0 - f_s) * b, 1e-12, 1 - 1e-12)
    return -float(np.sum(w * np.where(smooth, np.log(ps), np.log1p(-ps))))


def _shape_once(la, smooth, w, k_fixed, starts):
    from scipy.optimize import minimize

    best = None
    for t0, k0, f0 in starts:
        x0 = [np.log(t0)] + ([] if k_fixed is not None else [np.log(k0)]) + [np.log(f0 / (1 - f0))]
        bounds = [(np.log(0.05), np.log(1e3))] + ([] if k_fixed is not None else [(np.log(0.2), np.log(10.0))]) + [
            (-9.0, 9.0)]
        r = minimize(_shape_nll, x0, args=(la, smooth, w, k_fixed), method="L-BFGS-B", bounds=bounds)
        if best is None or r.fun < best.fun:
            best = r
    p = best.x
    k = float(np.exp(p[1])) if k_fixed is None else float(k_fixed)
    return float(np.exp(p[0])), k, float(1 / (1 + np.exp(-p[-1]))), -float(best.fun)


def fit_bias_shape(alpha: Any, labels: Any, n_boot: int = 20, seed: int | None = 0,
                   fixed_k: float | None = None) -> ShapeFit:
    r"""Fit :math:`\tilde f_s(\alpha) = f_s + (1 - f_s)\,b(\alpha;\theta,k)` by unbinned Bernoulli
    maximum likelihood: every label is one Bernoulli draw, so there is no bin count to choose.

    :math:`b` is :func:`bias_shape_probability`; ``fixed_k`` fixes the exponent (2: the paper's
    half-Gaussian).  The same assumption as the paper's fit applies: the true class mix does
    not change with alpha.  The bootstrap refits ``n_boot`` resamples of the objects.  The
    result also holds the ``k = 2`` fit, so the two shapes can be compared by likelihood.
    """
    a = check_alpha(alpha)
    y = check_labels(labels, a.size)
    n_boot = check_int("n_boot", n_boot, 0)
    la = np.log(a)
    smooth = y == 0
    med = float(np.median(a))
    f0 = float(np.clip(smooth[a >= np.quantile(a, 0.9)].mean(), 0.02, 0.98))
    starts = [(med, 2.0, f0), (0.5 * med, 1.0, f0), (1.5 * med, 4.0, f0)]
    w = np.ones(a.size)
    theta, k, f_s, ll = _shape_once(la, smooth, w, fixed_k, starts)
    t2, _, f2, ll2 = _shape_once(la, smooth, w, 2.0, [(med, 2.0, f0), (0.5 * med, 2.0, f0)])
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        wb = np.bincount(rng.integers(0, a.size, a.size), minlength=a.size).astype(float)
        boots.append(_shape_once(la, smooth, wb, fixed_k, [(theta, k, min(max(f_s, 0.02), 0.98))])[:3])
    sd = np.std(boots, axis=0, ddof=1) if n_boot > 1 else np.full(3, np.nan)
    return ShapeFit(theta=theta, k=k, f_s=f_s, theta_std=float(sd[0]), k_std=float(sd[1]), f_s_std=float(sd[2]),
                    loglik=ll, theta_k2=t2, f_s_k2=f2, loglik_k2=ll2, n_objects=int(a.size), n_boot=n_boot,
                    fixed_k=fixed_k)
