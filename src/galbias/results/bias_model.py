"""Chapter 2: how the labelled class fractions change with resolution, and the bias model.

- :func:`fraction_contrast` - the smooth fraction of each label set (and the truth) in the least
  and the best resolved fifths of the sample.
- :func:`bias_curves` - b(alpha; theta) and the observed smooth fraction the model predicts, for
  a few thetas (the paper's among them).
- :func:`volunteer_bias` - on the simulated survey, the share of true disks labelled smooth in
  equal-count alpha bins: what the volunteers really did.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.binning import binned_fraction
from ..data.catalog import has_truth
from ..methods.bias import bias_probability
from ..reference import PAPER_THETA

__all__ = ["THETAS", "bias_curves", "fraction_contrast", "volunteer_bias"]

#: thetas drawn in the chapter's model figure (the paper's value among them)
THETAS = (5.0, 8.0, PAPER_THETA["ddb"], 15.0, 20.0)


def fraction_contrast(labels: pd.DataFrame, quantile: float = 0.2) -> dict[str, float]:
    """Smooth fraction below the ``quantile`` and above the ``1 - quantile`` alpha quantile for
    GZ2B (``fs_lo_b``/``fs_hi_b``), GZ2D (``_d``) and the truth (``_t``, NaN for real data)."""
    a = labels["alpha"].to_numpy()
    lo, hi = a < np.quantile(a, quantile), a > np.quantile(a, 1 - quantile)
    out = {"alpha_q20": float(np.quantile(a, quantile)), "alpha_q80": float(np.quantile(a, 1 - quantile))}
    known = has_truth(labels)
    for col, key in (("gz2b", "b"), ("gz2d", "d"), ("truth", "t")):
        for sel, side in ((lo, "lo"), (hi, "hi")):
            out[f"fs_{side}_{key}"] = (float((labels.loc[sel, col] == 0).mean()) if col != "truth" or known
                                       else float("nan"))
    return out


def bias_curves(alpha_range: tuple[float, float], thetas: Sequence[float] = THETAS, f_s: float = 0.4,
                n: int = 200) -> pd.DataFrame:
    """Long table ``theta, alpha, b, f_obs`` on a log grid over ``alpha_range`` (from 1 at least),
    with ``f_obs = f_s + (1 - f_s) b`` the observed smooth fraction the model predicts."""
    grid = np.logspace(np.log10(max(alpha_range[0], 1.0)), np.log10(alpha_range[1]), n)
    rows = [pd.DataFrame({"theta": th, "alpha": grid, "b": bias_probability(grid, th),
                          "f_obs": f_s + (1 - f_s) * bias_probability(grid, th)}) for th in thetas]
    return pd.concat(rows, ignore_index=True)


def volunteer_bias(labels: pd.DataFrame, n_bins: int = 15, label: str = "gz2b") -> pd.DataFrame | None:
    """Share of the true disks labelled smooth per equal-count alpha bin (None without the truth)."""
    if not has_truth(labels):
        return None
    disks = labels["truth"].to_numpy(dtype=float) == 1
    return binned_fraction(labels.loc[disks, "alpha"].to_numpy(), labels.loc[disks, label].to_numpy() == 0, n_bins)
