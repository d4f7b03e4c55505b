r"""The resolution bias model, the fit of its parameter theta, and the bias metrics.

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
:func:`fit_theta` sorts the objects into equal-count alpha bins and minimises
:math:`\sum_l [\tilde f_{s,l}^{\rm obs} - f_s - f_d\, b(\alpha_l^{\rm mid};\theta)]^2` over
:math:`(\theta, f_s)`.

Bias metrics (paper §5.3)
-------------------------
* :func:`cv14` (Cabrera-Vives et al. 2014): in ``N_A`` equal-count alpha bins,
  :math:`\sigma_k = \sqrt{\frac{1}{N_A}\sum_l (f_{l,k} - f_k)^2}` with :math:`f_k` the class-k
  fraction of the least-biased (highest-alpha) bin, and
  :math:`\mathrm{CV14} = \sqrt{\frac{1}{N_K}\sum_k \sigma_k^2}`.
* :func:`cv18` (Cabrera-Vives et al. 2018): the same deviation measured *inside* the
  ``2^L`` cells of a k-d tree over the intrinsic properties (physical size, absolute
  magnitude, redshift), so that a genuine change of the class mix with the intrinsic
  properties is not mistaken for bias:
  :math:`\mathrm{CV18} = \sqrt{\frac{1}{N_K 2^L}\sum_{k,q}\sigma^2_{k,q}}`,
  :math:`\sigma^2_{k,q} = \frac{1}{B}\sum_l (f_{l,k,q} - f_{{\rm ref},k,q})^2`.

With two classes :math:`f_{l,d} - f_{{\rm ref},d} = -(f_{l,s} - f_{{\rm ref},s})`, so the mean
over the classes equals the smooth-class term; the code still averages both, as written.

Equal-count binning, ties and bootstraps
----------------------------------------
All binnings here are *equal-count*: objects are put in order by a **stable** argsort of
alpha (ties keep their row order), and the ``n`` sorted objects are cut at positions
``floor(l * n / B)``, ``l = 0..B``, so bin sizes differ by at most one.  Objects with
exactly equal alpha may therefore land in neighbouring bins; their order is the row order.

A bootstrap resample is represented by how many times each object was drawn (integer
weights ``c_i``, ``sum c_i = n``).  The resample *in sorted order* is each object repeated
``c_i`` times in the order of the full sample, so no re-sorting is needed: bins, medians
and class counts of the resample follow from cumulative sums of the weights.  This is
exactly the same as sorting the resample with a stable sort, except that ties between
*different* objects with equal values are broken by their row in the full sample rather
than by the order in which they were drawn (an arbitrary, equally valid tie rule).  The
tests check the weighted code against a plain loop over an explicitly expanded resample.

Which CV18 number is quoted
---------------------------
The paper quotes CV18 as mean ± standard deviation over 100 bootstrap resamples, as the
authors' ``BiasAnalyser`` code does.  :func:`cv18` therefore returns ``.mean`` = the
bootstrap mean and ``.std`` = the bootstrap standard deviation (ddof = 1), and keeps the
full-sample value in ``.value``.  Note that CV18 is a positive, noise-inflated statistic:
the bootstrap mean sits slightly above the full-sample value (resampling adds binomial
noise to every bin), by an amount that shrinks as the sample grows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

__all__ = [
    "BiasFitError",
    "bias_probability",
    "equal_count_bins",
    "kdtree_cells",
    "ThetaFit",
    "fit_theta",
    "theta_vs_bins",
    "cv14",
    "CV18Result",
    "cv18",
    "bias_metrics",
]


class BiasFitError(ValueError):
    """Inputs that the bias model cannot be fitted or evaluated on, or a failed fit."""


# ---------------------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------------------

def _as_1d(name: str, x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise BiasFitError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if arr.size == 0:
        raise BiasFitError(f"{name} is empty")
    return arr


def _check_finite(name: str, arr: np.ndarray) -> np.ndarray:
    try:
        arr = arr.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise BiasFitError(f"{name} must be numeric ({exc})") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(bad.sum()) - n_nan
        what = ", ".join(s for s in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} infinite" if n_inf else "") if s)
        raise BiasFitError(
            f"{name} contains {what} value(s) out of {arr.size}; drop or impute those rows first"
        )
    return arr


def _check_alpha(alpha: Any, positive: bool = True) -> np.ndarray:
    a = _check_finite("alpha", _as_1d("alpha", alpha))
    if positive:
        n_bad = int((a <= 0).sum())
        if n_bad:
            raise BiasFitError(
                f"alpha must be > 0 (Petrosian radius over PSF sigma); {n_bad} of {a.size} "
                f"value(s) are <= 0 (min {a.min():g})"
            )
    return a


def _check_labels(labels: Any, n: int) -> np.ndarray:
    y = _as_1d("labels", labels)
    if y.size != n:
        raise BiasFitError(f"alpha and labels must have the same length; got {n} and {y.size}")
    if y.dtype.kind in "fc":
        n_nan = int(np.isnan(y).sum())
        if n_nan:
            raise BiasFitError(f"labels contain {n_nan} NaN value(s) out of {y.size}; drop those rows first")
    elif y.dtype.kind not in "iub":
        raise BiasFitError(f"labels must be integers 0 (smooth) or 1 (disk); got dtype {y.dtype}")
    bad = (y != 0) & (y != 1)
    if bad.any():
        examples = np.unique(y[bad])[:5].tolist()
        raise BiasFitError(
            f"labels must be 0 (smooth) or 1 (disk); {int(bad.sum())} value(s) are outside "
            f"{{0, 1}}, e.g. {examples}"
        )
    return y.astype(np.int8)


def _check_intrinsic(intrinsic: Any, n: int) -> np.ndarray:
    X = np.asarray(intrinsic)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] == 0:
        raise BiasFitError(f"intrinsic must be an N x k array (k >= 1); got shape {np.shape(intrinsic)}")
    if X.shape[0] != n:
        raise BiasFitError(f"alpha and intrinsic must have the same number of rows; got {n} and {X.shape[0]}")
    try:
        X = X.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise BiasFitError(f"intrinsic must be numeric ({exc})") from None
    bad = ~np.isfinite(X)
    if bad.any():
        per_col = bad.sum(axis=0).tolist()
        raise BiasFitError(
            f"intrinsic contains {int(bad.sum())} NaN/infinite value(s) in {int(bad.any(axis=1).sum())} "
            f"of {n} rows (per column: {per_col}); drop those rows first"
        )
    return X


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise BiasFitError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise BiasFitError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


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
# equal-count binning on (weighted) sorted data
# ---------------------------------------------------------------------------------------

def _bin_positions(sizes: np.ndarray, n_bins: int) -> np.ndarray:
    """Cut positions (in resample units) of ``n_bins`` equal-count bins in each group.

    ``sizes[q]`` is the number of (resampled) objects in group ``q``; groups are laid out one
    after the other.  Returns ``P`` of shape ``(Q, n_bins + 1)``: bin ``l`` of group ``q``
    holds the objects at positions ``P[q, l] <= p < P[q, l + 1]``.
    """
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    frac = (np.arange(n_bins + 1)[None, :] * sizes[:, None]) // n_bins
    return starts[:, None] + frac


def _weighted_bin_counts(w: np.ndarray, smooth: np.ndarray, P: np.ndarray):
    """Objects and smooth objects in each bin, from weights in sorted order.

    ``w``: integer weight (times drawn) of each object, in sorted order; ``smooth``: 1 where
    the object is smooth.  Position ``p`` of the expanded resample belongs to the object
    ``j`` with ``W0[j] <= p < W0[j+1]`` (``W0`` = cumulative weights with a leading 0); the
    number of smooth copies before ``p`` is ``S0[j] + (p - W0[j]) * smooth[j]``.
    Returns ``(n, n_smooth, j)`` where ``j`` is the object at each cut position.
    """
    W0 = np.concatenate(([0], np.cumsum(w)))
    S0 = np.concatenate(([0], np.cumsum(w * smooth)))
    sm = np.concatenate((smooth, [0]))
    j = np.searchsorted(W0, P, side="right") - 1
    before = S0[j] + (P - W0[j]) * sm[j]
    return np.diff(P, axis=-1), np.diff(before, axis=-1), j


def equal_count_bins(alpha: Any, n_bins: int) -> np.ndarray:
    """Index ``0..n_bins-1`` of the equal-count alpha bin of every object (0 = lowest alpha).

    A stable argsort puts the objects in order (ties keep their row order) and the sorted list
    is cut at ``floor(l * n / n_bins)``, so bin sizes differ by at most one.
    """
    a = _check_finite("alpha", _as_1d("alpha", alpha))
    n_bins = _check_int("n_bins", n_bins, 1)
    if a.size < n_bins:
        raise BiasFitError(f"n_bins={n_bins} equal-count bins need at least {n_bins} objects; got {a.size}")
    order = np.argsort(a, kind="stable")
    out = np.empty(a.size, dtype=np.int64)
    out[order] = (np.arange(a.size) * n_bins) // a.size
    return out


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
            "theta_std": _json_float(self.theta_std), "f_s_std": _json_float(self.f_s_std),
            "rss": float(self.rss), "chi2": float(self.chi2),
            "reduced_chi2": _json_float(self.reduced_chi2),
            "n_bins": int(self.n_bins), "n_objects": int(self.n_objects),
            "n_boot": int(self.n_boot), "n_boot_failed": int(self.n_boot_failed),
            "seed": None if self.seed is None else int(self.seed), "theta_init": float(self.theta_init), "f_s_init": float(self.f_s_init),
            "theta_bounds": [float(x) for x in self.theta_bounds], "at_bound": bool(self.at_bound),
            "nfev": int(self.nfev), "message": str(self.message),
        }
        if include_curve:
            d["curve"] = {c: self.curve[c].tolist() for c in self.curve.columns}
        return d


def _json_float(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def _prepare_fit(alpha: Any, labels: Any, n_bins: int):
    a = _check_alpha(alpha)
    y = _check_labels(labels, a.size)
    n_bins = _check_int("n_bins", n_bins, 2)
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


def _binned_curve(a_s: np.ndarray, smooth_s: np.ndarray, w: np.ndarray, n_bins: int):
    """Equal-count bins of the (weighted) sorted sample: n, n_smooth, lo, hi edges."""
    total = int(w.sum())
    P = _bin_positions(np.array([total]), n_bins)
    n, ns, j = _weighted_bin_counts(w, smooth_s, P)
    n, ns, j = n[0], ns[0], j[0]
    # contiguous edges: bin l spans [alpha of its first object, alpha of the first object of
    # bin l+1); the last bin ends at the largest alpha present
    last = np.flatnonzero(w)[-1]
    edges = a_s[np.minimum(j, last)]
    edges[-1] = a_s[last]
    return n, ns, edges[:-1], edges[1:]


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
    n, ns, lo, hi = _binned_curve(a_s, smooth_s, w, n_bins)
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
    n_boot = _check_int("n_boot", n_boot, 0)
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
    counts = [_check_int("bin count", b, 2) for b in np.atleast_1d(np.asarray(bin_counts)).tolist()]
    rows = []
    for nb in counts:
        r = fit_theta(alpha, labels, n_bins=nb, n_boot=0)
        rows.append({"n_bins": nb, "objects_per_bin": r.n_objects / nb, "theta": r.theta,
                     "f_s": r.f_s, "f_d": r.f_d, "rss": r.rss, "reduced_chi2": r.reduced_chi2,
                     "at_bound": r.at_bound})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# CV14 / CV18
# ---------------------------------------------------------------------------------------

def _sort_by_cell(order: np.ndarray, cell: np.ndarray, w: np.ndarray, n_cells: int):
    """Re-order ``order`` by cell, keeping its order inside each cell (stable radix sort).

    Returns the new order, the weights and cumulative weights along it, and the total weight
    of each cell.
    """
    if n_cells > 1:
        c = cell[order]
        s = np.argsort(c, kind="stable")
        order = order[s]
        ends = np.searchsorted(c[s], np.arange(1, n_cells + 1), side="left")
    else:
        ends = np.array([order.size])
    wo = w[order]
    W = np.cumsum(wo)
    W0 = np.concatenate(([0], W))
    bounds = np.concatenate(([0], ends))
    sizes = np.diff(W0[bounds])
    return order, wo, W, sizes


def _tree_cells(X_orders: list[np.ndarray], X: np.ndarray, w: np.ndarray, depth: int) -> np.ndarray:
    """k-d tree cell (0..2^depth-1) of every object for resample weights ``w``.

    Level ``d`` splits every cell on variable ``d mod k`` at the (resample) median of the cell:
    ``left = x < median``, ``right = x >= median``; cell ``q`` becomes ``2q`` (left) or ``2q+1``.
    The median of ``n`` values is the middle one (``n`` odd) or the mean of the two middle ones.
    Objects with weight 0 get a cell too; it is never used.
    """
    N = w.size
    dtype = np.uint8 if depth <= 8 else np.uint16
    cell = np.zeros(N, dtype=dtype)
    for d in range(depth):
        v = d % X.shape[1]
        n_cells = 1 << d
        o, _, W, sizes = _sort_by_cell(X_orders[v], cell, w, n_cells)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        # median of each cell: the object holding resample position p is the first with W > p
        p1 = starts + np.maximum(sizes - 1, 0) // 2
        p2 = starts + sizes // 2
        e1 = np.minimum(np.searchsorted(W, p1, side="right"), N - 1)
        e2 = np.minimum(np.searchsorted(W, p2, side="right"), N - 1)
        xv = X[:, v]
        med = 0.5 * (xv[o[e1]] + xv[o[e2]])
        med[sizes == 0] = np.inf
        cell = (cell << 1) | (xv >= np.take(med, cell)).astype(dtype)
    return cell


def _cv_core(a_order: np.ndarray, smooth: np.ndarray, X: np.ndarray | None,
             X_orders: list[np.ndarray] | None, w: np.ndarray, depth: int, n_bins: int) -> float:
    """CV of one (re)sample with integer weights ``w``; ``depth = 0`` is CV14."""
    if depth > 0:
        cell = _tree_cells(X_orders, X, w, depth)
        o, wo, _, sizes = _sort_by_cell(a_order, cell, w, 1 << depth)  # by cell, then by alpha
    else:
        o, wo = a_order, w[a_order]
        sizes = np.array([int(wo.sum())])
    P = _bin_positions(sizes, n_bins)
    n, ns, _ = _weighted_bin_counts(wo, smooth[o], P)
    n = n[sizes > 0]  # empty cells (only with heavy ties) are left out
    ns = ns[sizes > 0]
    if np.all(n > 0):
        f_s = ns / n  # (cells, bins)
        dev2 = (f_s - f_s[:, -1:]) ** 2  # smooth class; disk: (-(f_s - ref))^2, identical
        sigma2 = np.stack((dev2, dev2)).mean(axis=2)  # (class, cell): mean over the B bins
        return float(np.sqrt(sigma2.mean()))
    # a cell with fewer objects than bins (heavy ties): mean over its non-empty bins, the
    # reference being its highest-alpha non-empty bin
    sig = []
    for nq, nsq in zip(n, ns):
        f = nsq[nq > 0] / nq[nq > 0]
        d2 = (f - f[-1]) ** 2
        sig += [d2.mean(), d2.mean()]
    return float(np.sqrt(np.mean(sig)))


def _prepare_cv(alpha, labels, intrinsic, n_bins, depth):
    a = _check_alpha(alpha, positive=False)
    y = _check_labels(labels, a.size)
    n_bins = _check_int("n_bins", n_bins, 1)
    depth = _check_int("depth", depth, 0)
    if depth > 16:
        raise BiasFitError(f"depth must be <= 16 (2^depth cells); got {depth}")
    # column-major copy: the tree reads one column at a time
    X = None if intrinsic is None else np.asfortranarray(_check_intrinsic(intrinsic, a.size))
    need = n_bins * (1 << depth)
    if a.size < need:
        what = "CV14" if depth == 0 else "CV18"
        raise BiasFitError(
            f"{what} needs at least n_bins * 2**depth = {n_bins} * {1 << depth} = {need} objects; got {a.size}"
        )
    a_order = np.argsort(a, kind="stable")
    smooth = (y == 0).astype(np.int64)
    X_orders = None if X is None else [np.argsort(X[:, v], kind="stable") for v in range(X.shape[1])]
    return a_order, smooth, X, X_orders, n_bins, depth


def cv14(alpha: Any, labels: Any, n_bins: int = 8) -> float:
    r"""CV14 of a set of labels (Cabrera-Vives et al. 2014; METHODS §6).

    .. math::

        \sigma_k = \sqrt{\frac{1}{N_A}\sum_{l=1}^{N_A} (f_{l,k} - f_k)^2},\qquad
        \mathrm{CV14} = \sqrt{\frac{1}{N_K}\sum_{k\in\{s,d\}} \sigma_k^2}

    over ``N_A = n_bins`` equal-count alpha bins (stable argsort; ties keep row order), with
    :math:`f_k` the class-k fraction of the highest-alpha (least-biased) bin.  0 when the
    class fractions do not change with alpha.  ``alpha`` need only be finite.
    """
    a_order, smooth, _, _, n_bins, _ = _prepare_cv(alpha, labels, None, n_bins, 0)
    return _cv_core(a_order, smooth, None, None, np.ones(smooth.size, np.int64), 0, n_bins)


def kdtree_cells(intrinsic: Any, depth: int = 3) -> np.ndarray:
    """Cell index (0..2^depth-1) of each row in the CV18 k-d tree over ``intrinsic`` (N x k).

    Level ``d`` splits each cell at its median of column ``d mod k`` (left ``<`` median, right
    ``>=`` median).  Without ties the cells are equal-count (sizes differ by at most one).
    """
    X = _check_intrinsic(intrinsic, np.shape(intrinsic)[0] if np.ndim(intrinsic) else 0)
    depth = _check_int("depth", depth, 0)
    if depth > 16:
        raise BiasFitError(f"depth must be <= 16 (2^depth cells); got {depth}")
    orders = [np.argsort(X[:, v], kind="stable") for v in range(X.shape[1])]
    return _tree_cells(orders, X, np.ones(X.shape[0], np.int64), depth).astype(np.int64)


@dataclass(frozen=True, eq=False)
class CV18Result:
    """Result of :func:`cv18`.

    ``mean`` and ``std`` (ddof=1) are over the ``n_boot`` bootstrap resamples, as the paper
    quotes them (mean ± std of 100 bootstraps, like the authors' ``BiasAnalyser``); ``value``
    is CV18 of the full sample; ``boot`` holds the resample values.  With ``n_boot = 0``,
    ``mean = value`` and ``std = nan``.
    """

    mean: float
    std: float
    value: float
    boot: np.ndarray = field(repr=False)
    n_bins: int = 8
    depth: int = 3
    n_boot: int = 100
    seed: int | None = 0
    n_objects: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"mean": float(self.mean), "std": _json_float(self.std), "value": float(self.value),
                "n_bins": self.n_bins, "depth": self.depth, "n_boot": self.n_boot,
                "seed": None if self.seed is None else int(self.seed), "n_objects": int(self.n_objects)}


def cv18(alpha: Any, labels: Any, intrinsic: Any, n_bins: int = 8, depth: int = 3,
         n_boot: int = 100, seed: int | None = 0) -> CV18Result:
    r"""CV18 of a set of labels (Cabrera-Vives et al. 2018; METHODS §6).

    1. ``intrinsic`` (N x k; the paper: physical Petrosian radius in kpc, absolute magnitude,
       redshift) is split by a k-d tree of depth ``L = depth``: each cell is split at its
       median (left ``<`` median, right ``>=`` median), cycling through the columns, giving
       :math:`2^L` (nearly) equal-count cells.
    2. In each cell ``q``, ``B = n_bins`` equal-count alpha bins (stable argsort), class
       fractions :math:`f_{l,k,q}`, reference = highest-alpha bin:
       :math:`\sigma^2_{k,q} = \frac{1}{B}\sum_l (f_{l,k,q} - f_{{\rm ref},k,q})^2`.
    3. :math:`\mathrm{CV18} = \sqrt{\operatorname{mean}_{k,q} \sigma^2_{k,q}}` (cells are not
       weighted by their counts).
    4. Uncertainty: the whole procedure (tree included) is repeated on ``n_boot`` bootstrap
       resamples of the objects; ``.mean``/``.std`` summarise them, ``.value`` is the full
       sample.

    Empty cells or bins (possible only with heavy ties or tiny samples) are left out of the
    means.  Raises :class:`BiasFitError` for bad input or fewer than ``n_bins * 2**depth``
    objects.
    """
    a_order, smooth, X, X_orders, n_bins, depth = _prepare_cv(alpha, labels, intrinsic, n_bins, depth)
    n_boot = _check_int("n_boot", n_boot, 0)
    N = smooth.size
    value = _cv_core(a_order, smooth, X, X_orders, np.ones(N, np.int64), depth, n_bins)
    rng = np.random.default_rng(seed)
    boot = np.empty(n_boot)
    for i in range(n_boot):
        w = np.bincount(rng.integers(0, N, N), minlength=N)
        boot[i] = _cv_core(a_order, smooth, X, X_orders, w, depth, n_bins)
    mean = float(boot.mean()) if n_boot else value
    std = float(boot.std(ddof=1)) if n_boot > 1 else float("nan")
    return CV18Result(mean=mean, std=std, value=value, boot=boot, n_bins=n_bins, depth=depth,
                      n_boot=n_boot, seed=seed, n_objects=N)


def bias_metrics(alpha: Any, labels: Any, intrinsic: Any, n_bins_cv14: int = 8,
                 cv_alpha_bins: int = 8, depth: int = 3, n_boot: int = 100,
                 seed: int | None = 0) -> dict[str, float]:
    """CV18 (bootstrap mean and std, full-sample value) and CV14 of one label column.

    Returns ``{"cv18", "cv18_std", "cv18_full", "cv14", "n"}`` so a table of methods is one
    loop over label columns with the same alpha, intrinsic variables and seed.
    """
    r = cv18(alpha, labels, intrinsic, n_bins=cv_alpha_bins, depth=depth, n_boot=n_boot, seed=seed)
    return {"cv18": r.mean, "cv18_std": r.std, "cv18_full": r.value,
            "cv14": cv14(alpha, labels, n_bins=n_bins_cv14), "n": r.n_objects}
