"""Truth-referenced curves (chapters 4 and 5): how each label set and network compares with the
true classes as the resolution worsens.

For every label set or network, in equal-count bins of alpha over the galaxies whose true class
is known (simulated survey only):

- ``recall`` - the fraction of the true disks that it calls disk;
- ``excess`` - its disk fraction minus the true disk fraction (negative: it loses disks, as the
  volunteers do at low alpha; 0: no net bias in that bin).

The bands (``*_sd``) combine the sampling noise (a bootstrap over galaxies, the same resamples
for every series) and, for a network trained with several seeds, the seed-to-seed scatter:
``sd = sqrt(mean over seeds of the bootstrap variance + variance over seeds)``; the curve is the
mean over seeds.  Nothing here is used by any method; it is scoring only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..core import seeds
from ..data.binning import equal_count_bins
from .frames import FrameError

__all__ = ["COLUMNS", "truth_curves"]

#: columns of :func:`truth_curves`
COLUMNS = ["key", "bin", "alpha_mid", "n", "n_disk", "recall", "recall_sd", "excess", "excess_sd", "n_seeds"]


def _bin_stats(b: np.ndarray, n_bins: int, w: np.ndarray, truth: np.ndarray, lab: np.ndarray, ok: np.ndarray):
    """Per bin: recall of true disks and (label disk fraction - true disk fraction), weights ``w``."""
    wo = w * ok
    n = np.bincount(b, wo, n_bins)
    n_true = np.bincount(b, wo * truth, n_bins)
    n_lab = np.bincount(b, wo * lab, n_bins)
    n_hit = np.bincount(b, wo * truth * lab, n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return n_hit / n_true, (n_lab - n_true) / n


def truth_curves(frame: pd.DataFrame, groups: Mapping[str, Sequence[str]], n_bins: int = 10, n_boot: int = 100,
                 seed: int = 0) -> pd.DataFrame:
    """Recall of true disks and excess disk fraction per alpha bin for each group of label columns.

    ``groups`` maps a display key to the frame's 0/1 label columns that make it up (one column
    for a label set, one per seed for a network).  Galaxies without a known 0/1 truth are left
    out; a galaxy without a label in one column (DCV14 without a Sérsic fit) is left out of that
    column only.  Returns a long table with :data:`COLUMNS`; raises :class:`FrameError` when
    the frame has no truth.
    """
    if "truth" not in frame.columns or not frame["truth"].notna().any():
        raise FrameError("truth-referenced curves need the true classes (simulated survey only)")
    known = frame["truth"].notna().to_numpy()
    f = frame.loc[known].reset_index(drop=True)
    if len(f) < n_bins:
        raise FrameError(f"{len(f)} galaxies with a known truth are too few for {n_bins} alpha bins")
    alpha = f["alpha"].to_numpy(float)
    b = equal_count_bins(alpha, n_bins)
    truth = f["truth"].to_numpy(dtype=float)
    mid = np.array([np.median(alpha[b == k]) for k in range(n_bins)])
    rng = seeds.rng(int(seed), 4)
    N = len(f)
    W = [np.bincount(rng.integers(0, N, N), minlength=N).astype(float) for _ in range(int(n_boot))]
    ones = np.ones(N)
    rows = []
    for key, cols in groups.items():
        missing = [c for c in cols if c not in f.columns]
        if missing:
            raise FrameError(f"no label column(s) {missing} in the frame for {key!r}")
        rec, exc, rec_v, exc_v = [], [], [], []
        for c in cols:
            v = pd.to_numeric(f[c], errors="coerce").to_numpy(dtype=float)
            ok = np.isfinite(v)
            lab = np.where(ok, v, 0.0)
            r0, e0 = _bin_stats(b, n_bins, ones, truth, lab, ok)
            rec.append(r0)
            exc.append(e0)
            if W:
                bs = [_bin_stats(b, n_bins, w, truth, lab, ok) for w in W]
                rec_v.append(np.nanvar([x[0] for x in bs], axis=0, ddof=1))
                exc_v.append(np.nanvar([x[1] for x in bs], axis=0, ddof=1))
        rec, exc = np.array(rec), np.array(exc)
        k = len(cols)
        seed_rv = rec.var(axis=0, ddof=1) if k > 1 else 0.0
        seed_ev = exc.var(axis=0, ddof=1) if k > 1 else 0.0
        boot_rv = np.mean(rec_v, axis=0) if rec_v else 0.0
        boot_ev = np.mean(exc_v, axis=0) if exc_v else 0.0
        r_sd = np.sqrt(boot_rv + seed_rv) * np.ones(n_bins)
        e_sd = np.sqrt(boot_ev + seed_ev) * np.ones(n_bins)
        n_bin = np.bincount(b, minlength=n_bins)
        n_disk = np.bincount(b, truth, n_bins).astype(int)
        for j in range(n_bins):
            rows.append({"key": key, "bin": j, "alpha_mid": mid[j], "n": int(n_bin[j]), "n_disk": int(n_disk[j]),
                         "recall": float(rec[:, j].mean()), "recall_sd": float(r_sd[j]),
                         "excess": float(exc[:, j].mean()), "excess_sd": float(e_sd[j]), "n_seeds": k})
    return pd.DataFrame(rows, columns=COLUMNS)
