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
- The verdict on the model against the simulated volunteers: :func:`model_check` (how far the
  volunteers' points lie from b(alpha; theta) for a given theta, in their binomial errors),
  :func:`best_theta` (the theta that brings the curve closest), :func:`chi2_word` (whether a
  reduced chi-square is within its own noise), :func:`group_gap` (two groups' smooth shares at
  the same alpha, against their noise) and :func:`false_disks` (true smooth galaxies labelled
  disk, which the model forbids); :func:`verdict_sentences` sorts these and the FERENGI
  comparison (:func:`galbias.results.ferengi.verdict`) into agreements and disagreements.

The balanced sample of chapter 1 keeps a random share of each GZ2B class, the same share for
every galaxy with that label, so it scales the odds of a smooth label by one factor in every
group: the absolute shares depend on the balancing, the differences between groups at equal
alpha do not change sign.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.binning import binned_fraction, equal_count_bins
from ..data.catalog import has_truth
from ..methods.bias import bias_probability
from ..reference import PAPER_THETA

__all__ = [
    "CUE_PANELS",
    "THETAS",
    "best_theta",
    "bias_curves",
    "chi2_word",
    "disk_cues",
    "false_disks",
    "fraction_contrast",
    "group_gap",
    "middle_alpha_shares",
    "model_check",
    "rise_words",
    "smooth_share_by",
    "verdict_sentences",
    "volunteer_bias",
]

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


# --------------------------------------------------------------------------------------
# the verdict: the model against what the simulated volunteers did
# --------------------------------------------------------------------------------------

def _point_errors(vol: pd.DataFrame) -> np.ndarray:
    """Binomial errors of the volunteers' points, floored at half a galaxy per bin so that an
    empty or full bin still has an error."""
    n = vol["n"].to_numpy(float)
    p = vol["frac"].to_numpy(float)
    return np.sqrt(np.maximum(p * (1 - p), 0.5 / n * (1 - 0.5 / n)) / n)


def model_check(vol: pd.DataFrame | None, theta: float) -> dict[str, float]:
    """How far the points of :func:`volunteer_bias` lie from ``b(alpha; theta)``: the rms of the
    differences (``rms``), chi-square per point in the binomial errors (``chi2_red``, degrees of
    freedom = points - 1, as if theta were fitted) and the number of points.  NaN without points."""
    if vol is None or len(vol) < 2:
        return {"rms": np.nan, "chi2_red": np.nan, "n_points": 0 if vol is None else len(vol)}
    r = vol["frac"].to_numpy(float) - bias_probability(vol["alpha_mid"].to_numpy(float), theta)
    chi2 = float(np.sum((r / _point_errors(vol)) ** 2))
    return {"rms": float(np.sqrt(np.mean(r ** 2))), "chi2_red": chi2 / (len(vol) - 1), "n_points": len(vol)}


def best_theta(vol: pd.DataFrame | None, bounds: tuple[float, float] = (0.5, 200.0)) -> float:
    """The theta whose ``b(alpha; theta)`` comes closest to the volunteers' points (least squares
    in their binomial errors, no floor); NaN without points."""
    if vol is None or len(vol) < 2:
        return float("nan")
    from scipy.optimize import minimize_scalar

    a, f, e = vol["alpha_mid"].to_numpy(float), vol["frac"].to_numpy(float), _point_errors(vol)
    res = minimize_scalar(lambda lt: float(np.sum(((f - bias_probability(a, np.exp(lt))) / e) ** 2)),
                          bounds=tuple(np.log(bounds)), method="bounded")
    return float(np.exp(res.x))


def chi2_word(chi2_red: float, dof: int, k: float = 2.0) -> str:
    """"within their errors" when a reduced chi-square lies within ``k`` of its own sd
    (``sqrt(2 / dof)``) of 1, "beyond their errors" above, "closer than their errors" below (the
    errors are then too large); "not measured" for NaN."""
    if not np.isfinite(chi2_red) or dof < 1:
        return "not measured"
    sd = np.sqrt(2.0 / dof)
    if abs(chi2_red - 1) <= k * sd:
        return "within their errors"
    return "beyond their errors" if chi2_red > 1 else "closer than their errors"


def group_gap(shares: dict[str, float], a: str, b: str, k: float = 2.0) -> dict[str, Any]:
    """Difference of the smooth shares of groups ``a`` and ``b`` of :func:`middle_alpha_shares`
    (``gap`` = share_b - share_a), its binomial sd and a word ("differ beyond the noise" /
    "differ within the noise" / "not measured")."""
    pa, pb = shares.get(f"mid_{a}", np.nan), shares.get(f"mid_{b}", np.nan)
    na, nb = shares.get(f"mid_n_{a}", 0), shares.get(f"mid_n_{b}", 0)
    if not (np.isfinite(pa) and np.isfinite(pb)) or not (na and nb):
        return {"gap": np.nan, "gap_sd": np.nan, "word": "not measured"}
    sd = float(np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb))
    gap = float(pb - pa)
    word = "differ within the noise" if abs(gap) <= k * sd else "differ beyond the noise"
    return {"gap": gap, "gap_sd": sd, "word": word}


def false_disks(labels: pd.DataFrame, label: str = "gz2b") -> dict[str, float]:
    """Share of the true smooth galaxies of ``labels`` labelled disk (``false_disk``; the model
    says 0), its binomial sd and their number; NaN without the truth."""
    if not has_truth(labels):
        return {"false_disk": np.nan, "false_disk_sd": np.nan, "n_true_smooth": 0}
    smooth = labels["truth"].to_numpy(dtype=float) == 0
    n = int(smooth.sum())
    p = float((labels.loc[smooth, label].to_numpy() == 1).mean()) if n else np.nan
    return {"false_disk": p, "false_disk_sd": float(np.sqrt(p * (1 - p) / n)) if n else np.nan, "n_true_smooth": n}


def verdict_sentences(fit: dict[str, Any], arms: dict[str, Any], false: dict[str, float], shares: dict[str, float],
                      fer: dict[str, Any], fer_nums: dict[str, Any]) -> dict[str, str]:
    """The chapter's verdict in sentences (``verdict_agree``, ``verdict_disagree``,
    ``verdict_summary``).

    ``fit``: ``best_theta``, ``chi2_red``, ``n_points`` and ``word`` (:func:`chi2_word`) of the
    model at its best theta against the volunteers' points; ``arms``: :func:`group_gap` of the
    weakest against the strongest arms in ``shares`` (:func:`middle_alpha_shares`); ``false``:
    :func:`false_disks`; ``fer``/``fer_nums``: :func:`galbias.results.ferengi.verdict` and
    :func:`galbias.results.ferengi.numbers`.  Claims that need the truth are left out without it.
    """
    from .survey import sort_claims

    claims: list[tuple[bool, str]] = []
    if fit.get("word", "not measured") != "not measured":
        claims.append((fit["word"] == "within their errors",
                       (f"The shape: the half-Gaussian with its best θ ({fit['best_theta']:.1f}) passes through the "
                       f"simulated volunteers' points {fit['word']} (reduced χ² {fit['chi2_red']:.1f} over "
                       f"{fit['n_points']} points).")))
    if arms.get("word", "not measured") != "not measured":
        claims.append((arms["word"] == "differ within the noise",
                       (f"The error depends on α alone: at the same α, {shares['mid_strong']:.0%} of the disks with the "
                       f"strongest arms and {shares['mid_weak']:.0%} of those with the weakest are labelled smooth "
                       f"(difference {arms['gap']:+.2f} ± {arms['gap_sd']:.2f}); the two {arms['word']}, where the "
                       "model has them equal.")))
    if np.isfinite(false.get("false_disk", np.nan)):
        p, sd = false["false_disk"], false["false_disk_sd"]
        claims.append((p <= 2 * sd,
                       (f"Errors go one way: {p:.1%} ± {sd:.1%} of the true smooth galaxies are labelled disk, where "
                       "the model has none.")))
    z_lo, z_hi = fer_nums["fer_z_lo"], fer_nums["fer_z_hi"]
    for key, z, what in (("lo_e0", z_lo, "without evolution"), ("hi_e0", z_hi, "without evolution")):
        word = fer[f"fer_word_{key}"]
        claims.append((word.startswith("keep about"),
                       (f"FERENGI at z = {z:.1f} {what}: the simulated volunteers keep "
                       f"{fer_nums[f'fer_sim_rel_{key}']:.0%} of their features votes and real volunteers "
                       f"{fer_nums[f'fer_real_rel_{key}']:.0%} (difference {fer[f'fer_diff_{key}']:+.2f} ± "
                       f"{fer[f'fer_diff_sd_{key}']:.2f}): the simulated volunteers {word}.")))
    claims.append((fer["fer_word_fan"].startswith("fan out about"),
                   (f"FERENGI and surface brightness: at z = {z_hi:.1f}, brightening by the largest evolution "
                   f"raises the share kept by {fer['fer_fan_sim']:+.2f} for the simulated volunteers and by "
                   f"{fer['fer_fan_real']:+.2f} for real ones (± {fer['fer_fan_sd']:.2f}): the simulated lines "
                   f"{fer['fer_word_fan']} the real ones.")))
    agree, disagree = sort_claims(claims)
    n_yes = sum(ok for ok, _ in claims)
    summary = (f"{n_yes} of the {len(claims)} comparisons of the model and of the simulated volunteers with what "
               "volunteers did agree within the noise")
    return {"verdict_agree": agree, "verdict_disagree": disagree, "verdict_summary": summary}


def rise_words(contrast: dict[str, float], n: int, quantile: float = 0.2, k: float = 2.0) -> dict[str, Any]:
    """Whether the GZ2B labels' smooth fraction rises from the best to the worst resolved fifth
    (:func:`fraction_contrast`) more than the truth's: ``rise_b``, ``rise_t``, their difference's
    binomial sd (``rise_sd``; each fifth holds ``quantile * n`` galaxies) and ``rise_sentence``."""
    from .words import noise_word

    rb = contrast["fs_lo_b"] - contrast["fs_hi_b"]
    rt = contrast["fs_lo_t"] - contrast["fs_hi_t"]
    m = max(quantile * n, 1.0)
    sd = float(np.sqrt(sum(p * (1 - p) for p in (contrast[c] for c in ("fs_lo_b", "fs_hi_b", "fs_lo_t", "fs_hi_t"))
                           if np.isfinite(p)) / m))
    word = noise_word(rb - rt, sd, k, words=("less steep than", "as steep as", "steeper than"))
    sentence = {"steeper than": "the labels' rise is steeper than the truth's, and the excess is the labelling effect.",
                "as steep as": "the labels' rise is no steeper than the truth's within the noise: on this run "
                               "the trend of the labels is mostly the trend of the true class mix.",
                "less steep than": "the labels' rise is less steep than the truth's: the labels flatten the true "
                                   "trend.",
                }.get(word, "without the truth the labelling effect cannot be told from a change of the class mix.")
    return {"rise_b": float(rb), "rise_t": float(rt), "rise_sd": sd, "rise_word": word, "rise_sentence": sentence}
