r"""The one equal-count binning rule of the package, used by every caller.

Objects are put in order by a **stable** argsort of their value (ties keep their row order)
and the ``n`` sorted objects are cut at positions :math:`\lfloor l\,n / B\rfloor`,
``l = 0..B``, so bin sizes differ by at most one.  Objects with exactly equal values may
therefore land in neighbouring bins; their order is their row order.

A bin's **edges** are contiguous: bin ``l`` spans from the value of its first object to the
value of the first object of bin ``l + 1`` (the last bin ends at the largest value), and a
bin's **alpha** (``alpha_mid``) is the midpoint of its edges, as in the paper's theta fit.
The median of the bin is reported beside it (``median``) where a plot wants it.

Bins defined on one sample are applied to *other* objects with :func:`equal_count_edges` and
:func:`assign_bins` (values equal to an inner edge go to the upper bin; the outer bins are
open-ended).

Bootstrap resamples are handled without re-sorting: a resample is the number of times each
object was drawn (integer weights ``w``, in sorted order), and :func:`cut_positions` /
:func:`weighted_counts` give the bins of the expanded resample from cumulative sums (see
:mod:`galbias.methods.metrics`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import GalbiasError

__all__ = ["BinningError", "assign_bins", "binned_fraction", "cut_positions", "equal_count_bins",
           "equal_count_edges", "sorted_bins", "weighted_counts"]


class BinningError(GalbiasError, ValueError):
    """Values that cannot be binned (non-finite, too few for the bins, bad bin count)."""


def _values(x: Any, name: str = "values") -> np.ndarray:
    a = np.asarray(x)
    if a.ndim != 1:
        raise BinningError(f"{name} must be one-dimensional; got shape {a.shape}")
    if a.size == 0:
        raise BinningError(f"{name} is empty")
    try:
        a = a.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise BinningError(f"{name} must be numeric ({exc})") from None
    bad = int((~np.isfinite(a)).sum())
    if bad:
        raise BinningError(f"{name} contains {bad} NaN or infinite value(s) out of {a.size}; drop those rows first")
    return a


def _n_bins(n_bins: Any, n: int) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise BinningError(f"n_bins must be a positive integer; got {n_bins!r}")
    if n < n_bins:
        raise BinningError(f"n_bins={n_bins} equal-count bins need at least {n_bins} objects; got {n}")
    return int(n_bins)


def equal_count_bins(x: Any, n_bins: int, name: str = "values") -> np.ndarray:
    """Index ``0..n_bins-1`` of the equal-count bin of every object (0 = smallest values)."""
    a = _values(x, name)
    n_bins = _n_bins(n_bins, a.size)
    order = np.argsort(a, kind="stable")
    out = np.empty(a.size, dtype=np.int64)
    out[order] = (np.arange(a.size) * n_bins) // a.size
    return out


def cut_positions(sizes: np.ndarray, n_bins: int) -> np.ndarray:
    """Cut positions of ``n_bins`` equal-count bins in each of several groups laid end to end.

    ``sizes[q]`` is the number of (resampled) objects in group ``q``.  Returns ``P`` of shape
    ``(Q, n_bins + 1)``: bin ``l`` of group ``q`` holds positions ``P[q, l] <= p < P[q, l + 1]``.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    frac = (np.arange(n_bins + 1)[None, :] * sizes[:, None]) // n_bins
    return starts[:, None] + frac


def weighted_counts(w: np.ndarray, flag: np.ndarray, P: np.ndarray):
    """Objects and flagged objects in each bin of an expanded resample, from weights in sorted order.

    ``w``: times each object was drawn, in sorted order; ``flag``: 1 where the object has the
    property counted.  Position ``p`` of the expanded resample belongs to the object ``j`` with
    ``W0[j] <= p < W0[j+1]`` (``W0`` = cumulative weights with a leading 0).  Returns
    ``(n, n_flag, j)`` with ``j`` the object at each cut position.
    """
    W0 = np.concatenate(([0], np.cumsum(w)))
    S0 = np.concatenate(([0], np.cumsum(w * flag)))
    fl = np.concatenate((flag, [0]))
    j = np.searchsorted(W0, P, side="right") - 1
    before = S0[j] + (P - W0[j]) * fl[j]
    return np.diff(P, axis=-1), np.diff(before, axis=-1), j


def sorted_bins(x_sorted: np.ndarray, flag_sorted: np.ndarray, w: np.ndarray, n_bins: int):
    """Equal-count bins of a (weighted) sorted sample: ``n, n_flag, lo, hi`` per bin.

    ``lo``/``hi`` are the contiguous edges of the module docstring (objects of weight 0 are
    skipped when finding them).
    """
    total = int(np.sum(w))
    P = cut_positions(np.array([total]), n_bins)
    n, nf, j = weighted_counts(np.asarray(w), np.asarray(flag_sorted), P)
    n, nf, j = n[0], nf[0], j[0]
    last = np.flatnonzero(w)[-1]
    edges = np.asarray(x_sorted)[np.minimum(j, last)].astype(float)
    edges[-1] = x_sorted[last]
    return n, nf, edges[:-1], edges[1:]


def equal_count_edges(x: Any, n_bins: int, open_ends: bool = True, name: str = "values") -> np.ndarray:
    """The ``n_bins + 1`` contiguous edges of the equal-count bins of ``x``.

    Inner edge ``l`` is the value of the first object of bin ``l``; with ``open_ends`` the
    outer edges are ``-inf`` and ``+inf`` (so :func:`assign_bins` places any value), else the
    smallest and largest values.
    """
    a = np.sort(_values(x, name), kind="stable")
    n_bins = _n_bins(n_bins, a.size)
    edges = np.empty(n_bins + 1)
    edges[1:-1] = a[(np.arange(1, n_bins) * a.size) // n_bins]
    edges[0], edges[-1] = (-np.inf, np.inf) if open_ends else (a[0], a[-1])
    return edges


def assign_bins(x: Any, edges: np.ndarray) -> np.ndarray:
    """Bin index (0..len(edges)-2) of each value: bin k holds ``edges[k] <= x < edges[k+1]``."""
    inner = np.asarray(edges, float)[1:-1]
    return np.searchsorted(inner, np.asarray(x, float), side="right")


def binned_fraction(alpha: Any, is_class: Any, n_bins: int = 15) -> pd.DataFrame:
    """Fraction of objects in a class per equal-count alpha bin, with binomial errors.

    Columns: ``alpha_lo``, ``alpha_hi`` (edges), ``alpha_mid`` (midpoint of the edges, the
    bin's alpha), ``median`` (median alpha of the bin), ``n``, ``frac`` and
    ``err = sqrt(frac (1 - frac) / n)``.
    """
    a = _values(alpha, "alpha")
    y = np.asarray(is_class, dtype=float)
    if y.shape != a.shape:
        raise BinningError(f"alpha has {a.size} values but the class flags have {y.size}")
    n_bins = _n_bins(n_bins, a.size)
    order = np.argsort(a, kind="stable")
    a_s, y_s = a[order], y[order]
    n, k, lo, hi = sorted_bins(a_s, y_s, np.ones(a.size, np.int64), n_bins)
    idx = (np.arange(a.size) * n_bins) // a.size
    median = pd.Series(a_s).groupby(idx).median().to_numpy()
    frac = k / n
    return pd.DataFrame({"alpha_lo": lo, "alpha_hi": hi, "alpha_mid": 0.5 * (lo + hi), "median": median,
                         "n": n.astype(np.int64), "frac": frac, "err": np.sqrt(frac * (1 - frac) / n)})
