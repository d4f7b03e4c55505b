"""Chapter 2: how the labelled class fractions change with resolution, and the bias model.

- :func:`fraction_contrast` - the smooth fraction of each label set (and the truth) in the least
  and the best resolved fifths of the sample.
- :func:`bias_curves` - b(alpha; theta) and the observed smooth fraction the model predicts, for
  a few thetas (the paper's among them).
- :func:`volunteer_bias` - on the simulated survey, the share of true disks labelled smooth in
  equal-count alpha bins: what the volunteers really did.
- :func:`disk_cues` - on the simulated survey, each true disk's label beside the truth of what
  makes a disk visible: arm strength (terciles of ``true_arm_contrast`` among disks with arms),
  lenticular-like disks (``true_n_arms == 0``) and inclination (face-on < 45 deg, edge-on
  > 70 deg); None for real data.
- :func:`smooth_share_by` - P(labelled smooth | true disk, alpha) in equal-count alpha bins for
  each group of one of those columns; :func:`middle_alpha_shares` - the same shares in one
  alpha range common to all groups (the middle fifth of the disks' alpha by default).

The balanced sample of chapter 1 keeps a random share of each GZ2B class, the same share for
every galaxy with that label, so it scales the odds of a smooth label by one factor in every
group: the absolute shares depend on the balancing, the differences between groups at equal
alpha do not change sign.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.binning import binned_fraction, equal_count_bins
from ..data.catalog import has_truth
from ..methods.bias import bias_probability
from ..reference import PAPER_THETA

__all__ = ["CUE_PANELS", "THETAS", "bias_curves", "disk_cues", "fraction_contrast", "middle_alpha_shares",
           "smooth_share_by", "volunteer_bias"]

#: thetas drawn in the chapter's model figure (the paper's value among them)
THETAS = (5.0, 8.0, PAPER_THETA["ddb"], 15.0, 20.0)

#: catalog truth columns :func:`disk_cues` reads
CUE_COLUMNS = ["true_arm_contrast", "true_n_arms", "true_inclination_deg"]
#: inclination limits (degrees) of the face-on and edge-on groups
FACE_ON_MAX, EDGE_ON_MIN = 45.0, 70.0
ARM_TERCILES = ("weak arms", "medium arms", "strong arms")
LENTICULAR, SPIRAL = "lenticular-like (no arms)", "with arms"
FACE_ON, EDGE_ON, INCLINED = f"face-on (< {FACE_ON_MAX:g} deg)", f"edge-on (> {EDGE_ON_MIN:g} deg)", "in between"
#: the three panels of the chapter's figure: (group column, groups shown in this order, title)
CUE_PANELS = (
    ("arms", ARM_TERCILES, "arm strength (terciles, disks with arms)"),
    ("kind", (SPIRAL, LENTICULAR), "disks with and without arms"),
    ("inclination", (FACE_ON, EDGE_ON), "inclination"),
)


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


def disk_cues(labels: pd.DataFrame, catalog: pd.DataFrame | None, label: str = "gz2b") -> pd.DataFrame | None:
    """The true disks of ``labels`` with their catalog truth (``dr7objid`` = ``id``) and groups.

    Columns: ``id``, ``alpha``, ``smooth`` (the ``label`` is smooth), the :data:`CUE_COLUMNS`, and
    the groups ``arms`` (:data:`ARM_TERCILES` by equal-count terciles of ``true_arm_contrast``
    among disks with arms; the lenticular-like label otherwise), ``kind`` (with arms or
    lenticular-like) and ``inclination`` (face-on, edge-on or in between).  None without the
    truth (real data) or without those catalog columns."""
    if catalog is None or not has_truth(labels) or any(c not in catalog.columns for c in CUE_COLUMNS):
        return None
    truth = catalog[["dr7objid", *CUE_COLUMNS]].rename(columns={"dr7objid": "id"})
    d = labels.loc[labels["truth"].to_numpy(dtype=float) == 1, ["id", "alpha", label]].merge(
        truth, on="id", how="left", validate="one_to_one")
    d["smooth"] = d.pop(label).to_numpy() == 0
    armed = d["true_n_arms"].to_numpy() > 0
    d["kind"] = np.where(armed, SPIRAL, LENTICULAR)
    arms = np.full(len(d), LENTICULAR, dtype=object)
    if armed.sum() >= len(ARM_TERCILES):
        arms[armed] = np.asarray(ARM_TERCILES, dtype=object)[
            equal_count_bins(d.loc[armed, "true_arm_contrast"].to_numpy(float), len(ARM_TERCILES))]
    d["arms"] = arms
    inc = d["true_inclination_deg"].to_numpy(float)
    d["inclination"] = np.select([inc < FACE_ON_MAX, inc > EDGE_ON_MIN], [FACE_ON, EDGE_ON], INCLINED)
    return d


def smooth_share_by(disks: pd.DataFrame, column: str, groups: Sequence[str] | None = None, n_bins: int = 8,
                    min_per_bin: int = 20) -> pd.DataFrame:
    """P(labelled smooth | true disk, alpha) per group of ``column``, in each group's own
    equal-count alpha bins (:func:`galbias.data.binning.binned_fraction`; at most ``n_bins``, at
    least ``min_per_bin`` disks a bin).  Long table: ``group`` plus binned_fraction's columns;
    groups with fewer than ``min_per_bin`` disks are left out."""
    parts = []
    for g in (groups if groups is not None else sorted(disks[column].unique())):
        sub = disks[disks[column] == g]
        nb = min(n_bins, len(sub) // min_per_bin)
        if nb >= 1:
            parts.append(binned_fraction(sub["alpha"].to_numpy(float), sub["smooth"].to_numpy(), nb).assign(group=g))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["group", "alpha_mid", "frac"])


#: the groups :func:`middle_alpha_shares` reports, with the short keys of its numbers
MIDDLE_GROUPS = {"all": None, "strong": ("arms", ARM_TERCILES[-1]), "weak": ("arms", ARM_TERCILES[0]),
                 "lent": ("kind", LENTICULAR), "face": ("inclination", FACE_ON), "edge": ("inclination", EDGE_ON)}


def middle_alpha_shares(disks: pd.DataFrame | None, quantiles: tuple[float, float] = (0.4, 0.6)) -> dict[str, float]:
    """Share labelled smooth, and count, of each group of :data:`MIDDLE_GROUPS` among the disks
    whose alpha lies between the two ``quantiles`` of all true disks' alpha (``mid_<key>``,
    ``mid_n_<key>``; ``mid_alpha_lo``/``_hi`` the range).  NaN everywhere without the truth."""
    keys = [f"mid_{k}" for k in MIDDLE_GROUPS] + [f"mid_n_{k}" for k in MIDDLE_GROUPS]
    keys += ["mid_alpha_lo", "mid_alpha_hi"]
    if disks is None:
        return dict.fromkeys(keys, float("nan"))
    lo, hi = np.quantile(disks["alpha"].to_numpy(float), quantiles)
    mid = disks[(disks["alpha"] >= lo) & (disks["alpha"] < hi)]
    out: dict[str, float] = {"mid_alpha_lo": float(lo), "mid_alpha_hi": float(hi)}
    for key, sel in MIDDLE_GROUPS.items():
        sub = mid if sel is None else mid[mid[sel[0]] == sel[1]]
        out[f"mid_{key}"] = float(sub["smooth"].mean()) if len(sub) else float("nan")
        out[f"mid_n_{key}"] = len(sub)
    return out
