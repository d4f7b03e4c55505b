"""Chapter 0: summaries of the simulated (or real) survey catalog.

- :func:`overview` - how many objects, galaxies, stars; the true disk fraction.
- :func:`calibration_table` - percentiles of sizes, PSF widths and alpha beside the SDSS
  calibration sample (:func:`galbias.reference.sdss_calibration`).
- :func:`examples_by_alpha` - a few galaxies of each true class spread over alpha, for the grid.
- :func:`showcase_disk` - a clearly armed disk to re-render at several resolutions.
- :func:`smooth_fraction_vs_alpha` - observed and true smooth fractions in equal-count alpha bins.
- :func:`bias_summary` - how many true disks are voted smooth, a quick theta, the paper's
  mean bias on this alpha distribution.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data.binning import equal_count_bins, sorted_bins
from ..data.catalog import has_truth
from ..data.labels import majority_vote
from ..methods.bias import bias_probability, fit_theta
from ..reference import PAPER_MEAN_BIAS_ON_SDSS, PAPER_THETA, SDSS_CALIBRATION_SAMPLE, sdss_calibration

__all__ = ["bias_summary", "calibration_table", "examples_by_alpha", "overview", "showcase_disk",
           "smooth_fraction_vs_alpha"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _true(cat: pd.DataFrame) -> np.ndarray:
    return cat["true_class"].to_numpy() if has_truth(cat) else np.full(len(cat), -1)


def overview(cat: pd.DataFrame) -> dict[str, Any]:
    """Objects, galaxies (not true stars/artifacts), stars, and the true disk fraction (NaN without truth)."""
    true = _true(cat)
    galaxies = true != 2
    return {"n_objects": len(cat), "n_galaxies": int(galaxies.sum()), "n_stars": int((true == 2).sum()),
            "true_disk_frac": float((true[galaxies] == 1).mean()) if has_truth(cat) else float("nan")}


def calibration_table(cat: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Percentiles (5-95) of each calibration quantity for this survey's galaxies and the SDSS
    sample, side by side; and the two median alphas (``alpha_median``, ``alpha_ref_median``)."""
    ref = sdss_calibration()
    gal = cat[_true(cat) != 2]
    mine = pd.DataFrame({c: gal[c].quantile(list(QUANTILES)).to_numpy() for c in ref.index}, index=ref.columns).T
    both = pd.concat({"this survey": mine, "SDSS reference": ref}, axis=1).swaplevel(axis=1)
    both = both[[(c, s) for c in ref.columns for s in ("this survey", "SDSS reference")]]
    return both, {"alpha_median": float(gal["alpha"].median()), "alpha_ref_median": float(ref.loc["alpha", "p50"]),
                  "calib_n": SDSS_CALIBRATION_SAMPLE["n"], "calib_median_z": SDSS_CALIBRATION_SAMPLE["median_z"]}


def examples_by_alpha(cat: pd.DataFrame, n: int = 6) -> pd.DataFrame:
    """``n`` true disks then ``n`` true smooth galaxies, each set at the alpha quantiles 5-95%
    (without the truth: ``n`` objects of any class), with a ``group`` column."""
    groups = [("true disk", 1), ("true smooth", 0)] if has_truth(cat) else [("galaxies", None)]
    out = []
    for name, k in groups:
        pool = cat if k is None else cat[cat["true_class"] == k]
        a = pool["alpha"].to_numpy()
        picks = [int(np.abs(a - q).argmin()) for q in np.quantile(a, np.linspace(0.05, 0.95, n))]
        out.append(pool.iloc[picks].assign(group=name))
    return pd.concat(out, ignore_index=True)


def showcase_disk(pop: pd.DataFrame) -> pd.Series:
    """The disk with the strongest arms among face-on-ish, armed, disk-dominated galaxies."""
    cand = pop[(pop["true_class"] == 1) & (pop["true_n_arms"] >= 2) & (pop["true_bulge_frac"] < 0.3)
               & (pop["true_inclination_deg"] < 50)]
    if cand.empty:
        cand = pop[pop["true_class"] == 1]
    return cand.iloc[int(np.argmax(cand["true_arm_contrast"].to_numpy()))]


def smooth_fraction_vs_alpha(cat: pd.DataFrame, n_bins: int = 10, kind: str = "weighted_fraction") -> pd.DataFrame:
    """Observed and true smooth fractions in equal-count bins of alpha (:mod:`galbias.data.binning`).

    Objects whose majority answer (of the ``kind`` vote fractions) is star/artifact are
    dropped, as in the paper.  Per bin: alpha edges and midpoint, number of objects, the
    observed smooth fraction (majority vote), and - when the truth is known - the true
    smooth fraction and the fraction of true disks labelled smooth.
    """
    obs = majority_vote(cat, kind)
    keep = obs != 2
    a, obs = cat["alpha"].to_numpy(float)[keep], obs[keep]
    order = np.argsort(a, kind="stable")
    n, k, lo, hi = sorted_bins(a[order], (obs[order] == 0).astype(float), np.ones(a.size, np.int64), n_bins)
    out = pd.DataFrame({"alpha_lo": lo, "alpha_hi": hi, "alpha_mid": 0.5 * (lo + hi), "n": n.astype(int),
                        "observed_smooth": k / n})
    if has_truth(cat):
        b = equal_count_bins(a, n_bins)
        t = cat["true_class"].to_numpy()[keep]
        gal, disk = t != 2, t == 1
        out["true_smooth"] = np.bincount(b[gal], weights=t[gal] == 0, minlength=n_bins) / np.maximum(
            np.bincount(b[gal], minlength=n_bins), 1)
        out["disks_labelled_smooth"] = np.bincount(b[disk], weights=obs[disk] == 0, minlength=n_bins) / np.maximum(
            np.bincount(b[disk], minlength=n_bins), 1)
    return out


def bias_summary(cat: pd.DataFrame, theta_bins: int, seed: int) -> dict[str, float]:
    """Share of true disks with a smooth majority, a quick theta fit on all labelled galaxies,
    the paper's theta and the mean b(alpha; paper theta) here and on the SDSS sample."""
    obs = majority_vote(cat, "weighted_fraction")
    true = _true(cat)
    keep = (obs != 2) & (true != 2)
    a = cat.loc[keep, "alpha"].to_numpy()
    quick = fit_theta(a, obs[keep], n_bins=max(10, min(theta_bins, int(keep.sum()) // 50)), n_boot=0, seed=seed)
    disk = keep & (true == 1)
    return {"theta_quick": quick.theta,
            "missed_disks": float((obs[disk] == 0).mean()) if disk.any() else float("nan"),
            "paper_theta": PAPER_THETA["ddb"], "mean_b_sdss": PAPER_MEAN_BIAS_ON_SDSS,
            "mean_b_here": float(bias_probability(a, PAPER_THETA["ddb"]).mean())}
