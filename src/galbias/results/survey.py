"""Chapter 0: summaries of the simulated (or real) survey catalog.

- :func:`overview` - how many objects, galaxies, stars; the true disk fraction.
- :func:`calibration_table` - percentiles of sizes, PSF widths and alpha beside the SDSS
  calibration sample (:func:`galbias.reference.sdss_calibration`).
- :func:`examples_by_alpha` - a few galaxies of each true class spread over alpha, for the grid.
- :func:`showcase_disk` - a clearly armed disk to re-render at several resolutions.
- :func:`smooth_fraction_vs_alpha` - observed and true smooth fractions in equal-count alpha bins.
- :func:`bias_summary` - how many true disks are voted smooth, a quick theta, the paper's
  mean bias on this alpha distribution.
- :func:`integrated_colour` - each simulated galaxy's integrated g-r from its components.
- :func:`predictability` - how well colour, shape or light profile alone predict the true class.
- :func:`class_mix_by_alpha` - the true disk fraction in alpha deciles, and inside luminosity and
  size ranges: whether the truth varies with alpha, and through what.
- :func:`vote_fractions_by_alpha` - the weighted smooth vote fraction of every galaxy with its
  true class and alpha tercile, a tidy table for the chapter's seaborn figure.
- Words for the text, computed from the numbers (chapter 0's verdict): :func:`noise_word`
  (a difference against its noise), :func:`relative_word` (a ratio against a stated
  tolerance), :func:`error_reduction` and :func:`single_feature_word` (how much of the class
  one observable gives away), :func:`predictability_words`, :func:`calibration_words` and
  :func:`bias_words`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data.binning import equal_count_bins, sorted_bins
from ..data.catalog import has_truth
from ..data.labels import majority_vote
from ..methods.bias import bias_probability, fit_theta
from ..reference import (
    PAPER_MEAN_BIAS_ON_SDSS,
    PAPER_THETA,
    SDSS_CALIBRATION_SAMPLE,
    sdss_calibration,
)
from .words import noise_word, relative_word  # noqa: F401 - chapter 0's words, shared

__all__ = [
    "CALIB_TOLERANCE",
    "bias_summary",
    "bias_words",
    "calibration_table",
    "calibration_words",
    "class_mix_by_alpha",
    "error_reduction",
    "examples_by_alpha",
    "integrated_colour",
    "mix_words",
    "noise_word",
    "overview",
    "predictability",
    "predictability_words",
    "relative_word",
    "showcase_disk",
    "single_feature_word",
    "smooth_fraction_vs_alpha",
    "sort_claims",
    "verdict",
    "vote_fractions_by_alpha",
]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: a median within this relative distance of the SDSS reference's is called "close to" it: the
#: reference is a compact-group sample, not a random GZ2 one, so closer agreement means little
CALIB_TOLERANCE = 0.10
#: share of the majority-class errors a single cut must remove to "sort most galaxies by
#: itself", or to "carry much of the class" (:func:`single_feature_word`)
SORTS_MOST, CARRIES_MUCH = 0.8, 0.4


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
            "false_disks": float((obs[keep & (true == 0)] == 1).mean()) if (keep & (true == 0)).any() else float("nan"),
            "paper_theta": PAPER_THETA["ddb"], "mean_b_sdss": PAPER_MEAN_BIAS_ON_SDSS,
            "mean_b_here": float(bias_probability(a, PAPER_THETA["ddb"]).mean())}


def integrated_colour(pop: pd.DataFrame) -> np.ndarray:
    """Integrated g-r of every simulated object from its components' colours and r-band light
    shares (smooth: one component; disk: bulge B/T, arms ``(1 - B/T) * arm strength``, the rest
    of the disk); NaN for stars and artifacts.  Dust reddening is not included."""
    bt = pop["true_bulge_frac"].to_numpy(float)
    arm = pop["true_arm_contrast"].to_numpy(float)
    main, disk, arms = (10 ** (-0.4 * pop[c].to_numpy(float)) for c in ("sim_gr_main", "sim_gr_disk", "sim_gr_arm"))
    g = np.where(pop["true_class"].to_numpy() == 1,
                 bt * main + (1 - bt) * (1 - arm) * disk + (1 - bt) * arm * arms, main)
    out = -2.5 * np.log10(g)
    out[pop["true_class"].to_numpy() == 2] = np.nan
    return out


def _one_feature(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """ROC AUC (oriented so that >= 0.5), accuracy of the best single cut, and that cut."""
    from sklearn.metrics import roc_auc_score

    auc = float(roc_auc_score(y, x))
    sign = 1.0 if auc >= 0.5 else -1.0
    order = np.argsort(sign * x, kind="stable")
    ys = y[order]
    # cut after position i: everything above is called disk
    n1 = ys.sum()
    tp_above = n1 - np.concatenate(([0], np.cumsum(ys)))
    tn_below = np.concatenate(([0], np.cumsum(1 - ys)))
    acc = (tp_above + tn_below) / ys.size
    i = int(np.argmax(acc))
    xs = (sign * x)[order]
    cut = float(sign * (xs[i - 1] if i > 0 else xs[0]))
    return max(auc, 1 - auc), float(acc[i]), cut


def predictability(cat: pd.DataFrame, pop: pd.DataFrame | None = None, e_cut: float = 0.4) -> tuple[pd.DataFrame,
                                                                                                  dict[str, float]]:
    """How well single observables predict the true class (simulated survey only).

    Features: the integrated g-r colour (needs ``pop``, :func:`integrated_colour`), the
    measured ellipticity ``sersic_e`` and Sérsic index ``sersic_n`` of the catalog, and the
    concentration R90/R50.  Per feature: the ROC AUC (0.5 = no information, 1 = perfect) and the
    accuracy of the best single cut, against the majority-class accuracy.  Also the share of
    true smooth galaxies and of true disks with a measured ellipticity above ``e_cut``.
    """
    if not has_truth(cat):
        raise ValueError("predictability needs the true classes (simulated survey only)")
    t = cat["true_class"].to_numpy()
    feats = {}
    if pop is not None:
        colour = pd.Series(integrated_colour(pop), index=pop["dr7objid"].to_numpy())
        feats["g − r colour (integrated)"] = colour.reindex(cat["dr7objid"].to_numpy()).to_numpy()
    feats["ellipticity (measured)"] = cat["sersic_e"].to_numpy(float)
    feats["Sérsic index (measured)"] = cat["sersic_n"].to_numpy(float)
    feats["concentration R90/R50"] = (cat["petroR90_r"] / cat["petroR50_r"]).to_numpy(float)
    rows = []
    for name, x in feats.items():
        ok = (t != 2) & np.isfinite(x)
        auc, acc, cut = _one_feature(x[ok], (t[ok] == 1).astype(int))
        rows.append({"feature": name, "galaxies": int(ok.sum()), "ROC AUC": auc, "best-cut accuracy": acc,
                     "cut": cut, "majority-class accuracy": float(max((t[ok] == 1).mean(), (t[ok] == 0).mean()))})
    e = cat["sersic_e"].to_numpy(float)
    ok = np.isfinite(e)
    nums = {"e_cut": e_cut, "smooth_e_above": float((e[ok & (t == 0)] > e_cut).mean()),
            "disk_e_above": float((e[ok & (t == 1)] > e_cut).mean())}
    table = pd.DataFrame(rows).set_index("feature")
    for name in table.index:
        key = {"g − r colour (integrated)": "colour", "ellipticity (measured)": "shape",
               "Sérsic index (measured)": "sersic", "concentration R90/R50": "concentration"}[name]
        nums[f"auc_{key}"] = float(table.loc[name, "ROC AUC"])
        nums[f"acc_{key}"] = float(table.loc[name, "best-cut accuracy"])
    nums["acc_majority"] = float(table["majority-class accuracy"].iloc[0])
    return table, nums


def class_mix_by_alpha(cat: pd.DataFrame, n_bins: int = 10) -> tuple[pd.DataFrame, dict[str, float]]:
    """True disk fraction in ``n_bins`` equal-count alpha bins, overall and for the galaxies
    above and below the median absolute magnitude and physical size (simulated survey only).

    If the class mix changes with alpha only *through* luminosity and size, the trend
    shrinks inside each luminosity or size half.  Returns the table and the first/last-bin
    fractions (``mix_lo``, ``mix_hi``).
    """
    if not has_truth(cat):
        raise ValueError("class_mix_by_alpha needs the true classes (simulated survey only)")
    from ..data.catalog import add_derived

    c = cat if "abs_mag_r" in cat.columns else add_derived(cat)
    gal = c[c["true_class"] != 2]
    out = {}
    groups = {"all galaxies": np.ones(len(gal), bool)}
    m_med, r_med = gal["abs_mag_r"].median(), gal["petroRad_kpc"].median()
    groups["brighter half (M_r)"] = (gal["abs_mag_r"] < m_med).to_numpy()
    groups["fainter half"] = ~groups["brighter half (M_r)"]
    groups["larger half (R_kpc)"] = (gal["petroRad_kpc"] >= r_med).to_numpy()
    groups["smaller half"] = ~groups["larger half (R_kpc)"]
    for name, sel in groups.items():
        g = gal.loc[sel]
        b = equal_count_bins(g["alpha"].to_numpy(float), n_bins)
        out[name] = np.bincount(b, weights=(g["true_class"] == 1).to_numpy(float), minlength=n_bins) / np.bincount(
            b, minlength=n_bins)
    table = pd.DataFrame(out, index=pd.RangeIndex(1, n_bins + 1, name="alpha decile")).T
    nums = {"mix_lo": float(table.iloc[0, 0]), "mix_hi": float(table.iloc[0, -1]),
            "mix_range_halves": float((table.iloc[1:, -1] - table.iloc[1:, 0]).abs().mean())}
    return table, nums


# --------------------------------------------------------------------------------------
# the chapter's figure of vote fractions, and the words of its verdict
# --------------------------------------------------------------------------------------

CLASS_NAMES = {0: "true smooth", 1: "true disk"}
TERCILES = ("lowest third of α", "middle third", "highest third")


def vote_fractions_by_alpha(cat: pd.DataFrame) -> pd.DataFrame:
    """One row per galaxy (true stars and artifacts left out): ``smooth_fraction`` (weighted),
    ``alpha``, ``tercile`` (:data:`TERCILES`, equal-count thirds of alpha) and ``true_class``
    (:data:`CLASS_NAMES`; "all galaxies" without the truth)."""
    true = _true(cat)
    keep = true != 2
    a = cat.loc[keep, "alpha"].to_numpy(float)
    t = equal_count_bins(a, 3)
    name = (np.array([CLASS_NAMES.get(int(k), "") for k in true[keep]], dtype=object) if has_truth(cat)
            else np.full(int(keep.sum()), "all galaxies", dtype=object))
    return pd.DataFrame({"smooth_fraction": cat.loc[keep, "t01_smooth_or_features_a01_smooth_weighted_fraction"]
                         .to_numpy(float), "alpha": a, "tercile": pd.Categorical(np.asarray(TERCILES)[t], TERCILES),
                         "true_class": name})


def error_reduction(accuracy: float, majority: float) -> float:
    """Share of the errors of always answering the majority class that a cut removes:
    ``(accuracy - majority) / (1 - majority)`` (1: perfect, 0: no better than the majority)."""
    if not (np.isfinite(accuracy) and np.isfinite(majority)) or majority >= 1:
        return float("nan")
    return float((accuracy - majority) / (1 - majority))


def single_feature_word(reduction: float) -> str:
    """How much of the class one observable gives away, from :func:`error_reduction`."""
    if not np.isfinite(reduction):
        return "was not measured"
    if reduction >= SORTS_MOST:
        return "sorts most galaxies into their true class by itself"
    if reduction >= CARRIES_MUCH:
        return "carries much of the class but leaves many galaxies on the wrong side"
    return "leaves the class largely open"


def predictability_words(nums: dict[str, float]) -> dict[str, Any]:
    """Glue values for the text after Table 0.4: the error reductions of the colour and shape
    cuts (``red_colour``, ``red_shape``), their words (``word_colour``, ``word_shape``) and the
    conclusion (``predict_conclusion``): whether a classifier could do without structure."""
    maj = nums.get("acc_majority", np.nan)
    out: dict[str, Any] = {}
    for key in ("colour", "shape"):
        out[f"red_{key}"] = error_reduction(nums.get(f"acc_{key}", np.nan), maj)
        out[f"word_{key}"] = single_feature_word(out[f"red_{key}"])
    best = np.nanmax([out["red_colour"], out["red_shape"], -np.inf])
    if not np.isfinite(best):
        out["predict_conclusion"] = "Without the truth this cannot be measured."
    elif best >= SORTS_MOST:
        which = ("colour: the survey images are in colour, and a network can recognise most disks by it"
                 if out["red_colour"] >= out["red_shape"] else
                 "outline: a network can recognise most disks by their measured shape")
        out["predict_conclusion"] = (
            f"So the true class is not hidden from a classifier that sees the galaxy's {which}, without "
            "resolving arms or bars. The morphology that resolution erases is not the only route to the true "
            "class on this survey, which makes it easier to de-bias than a survey whose classes looked alike "
            "in everything but their structure.")
    else:
        out["predict_conclusion"] = ("Neither gives the class away, so a network must use the structure in "
                                     "the image, which is what resolution erases.")
    return out


def calibration_words(table: pd.DataFrame, tol: float = CALIB_TOLERANCE) -> dict[str, Any]:
    """The medians of this survey beside the SDSS reference's (Table 0.1) as ratios
    (``ratio_<q>``) and words (``calib_<q>``: smaller than / close to / larger than, within
    ``tol``) for the PSF width (``psf``), the Petrosian radius (``size``) and alpha; and
    ``calib_tol``."""
    out: dict[str, Any] = {"calib_tol": tol}
    for key, q in (("psf", "psfWidth_r"), ("size", "petroRad_r"), ("alpha", "alpha")):
        mine, ref = float(table.loc[q, ("p50", "this survey")]), float(table.loc[q, ("p50", "SDSS reference")])
        out[f"ratio_{key}"] = mine / ref if ref else float("nan")
        out[f"calib_{key}"] = relative_word(mine, ref, tol)
    return out


def bias_words(cat: pd.DataFrame, numbers: dict[str, float], tol: float = CALIB_TOLERANCE) -> dict[str, Any]:
    """Words comparing this survey's bias with the paper's model (from :func:`bias_summary`'s
    ``numbers``): the share of true disks voted smooth against the mean b(alpha) the paper's theta
    predicts for this alpha distribution (``word_missed_vs_model``, judged against the binomial
    noise ``missed_sd``), against the paper's mean bias on SDSS (``word_missed_vs_sdss``), and the
    quick theta against the paper's (``word_theta_quick``, within ``tol``)."""
    obs = majority_vote(cat, "weighted_fraction")
    true = _true(cat)
    n_disk = int(((obs != 2) & (true == 1)).sum())
    p = numbers["missed_disks"]
    sd = float(np.sqrt(p * (1 - p) / n_disk)) if n_disk and np.isfinite(p) else float("nan")
    return {"missed_sd": sd,
            "word_missed_vs_model": noise_word(p - numbers["mean_b_here"], sd,
                                               words=("lower than", "within the noise of", "higher than")),
            "word_missed_vs_sdss": noise_word(p - numbers["mean_b_sdss"], sd,
                                              words=("lower than", "within the noise of", "higher than")),
            "word_theta_quick": relative_word(numbers["theta_quick"], numbers["paper_theta"], tol,
                                              words=("below", "close to", "above"))}


def sort_claims(claims: list[tuple[bool, str]], none: str = "None of the comparisons above.") -> tuple[str, str]:
    """``(agree, disagree)``: the sentences of the claims that agree and of those that do not,
    each joined by spaces (``none`` when a side is empty), for a verdict section whose headings
    stay right whichever way the numbers come out."""
    yes = " ".join(text for ok, text in claims if ok) or none
    no = " ".join(text for ok, text in claims if not ok) or none
    return yes, no


def _more_less(word: str) -> str:
    return {"lower than": "less biased than", "higher than": "more biased than"}.get(word, "about as biased as")


def verdict(calib: pd.DataFrame, calib_numbers: dict[str, float], calib_words: dict[str, Any],
            bias_numbers: dict[str, float], bias_words_: dict[str, Any]) -> dict[str, str]:
    """Chapter 0's verdict (``verdict_agree``, ``verdict_disagree``, ``verdict_summary``): the
    seeing and the resolution against the SDSS reference (:func:`calibration_words`), the share of
    disks voted smooth against the paper's model on SDSS and at this survey's alpha, and the quick
    theta against the paper's (:func:`bias_words`)."""
    psf = float(calib.loc["psfWidth_r", ("p50", "this survey")])
    psf_ref = float(calib.loc["psfWidth_r", ("p50", "SDSS reference")])
    w_psf, w_alpha = calib_words["calib_psf"], calib_words["calib_alpha"]
    b = bias_numbers
    missed, w_sdss, w_here = b["missed_disks"], bias_words_["word_missed_vs_sdss"], bias_words_["word_missed_vs_model"]
    claims = [
        (w_psf == "close to",
         f"The seeing: the median PSF FWHM is {psf:.2f}″ here, {w_psf} the SDSS reference's {psf_ref:.2f}″."),
        (w_alpha == "close to",
         (f"The resolution: the median α is {calib_numbers['alpha_median']:.1f} here, {w_alpha} the reference's "
         f"{calib_numbers['alpha_ref_median']:.1f} (the median Petrosian radius is "
         f"{calib_words['ratio_size']:.2f} times the reference's).")),
        (w_sdss.startswith("within"),
         (f"The bias over the whole survey: {missed:.0%} of the true disks are voted smooth, {w_sdss} the "
         f"{b['mean_b_sdss']:.0%} that the paper's θ gives over the SDSS sample's α, so this survey is "
         f"{_more_less(w_sdss)} the real GZ2 is estimated to be.")),
        (w_here.startswith("within"),
         (f"The bias at a given resolution: over this survey's own α the paper's θ would have "
         f"{b['mean_b_here']:.0%} of the disks voted smooth, and the simulated volunteers vote {missed:.0%} "
         f"smooth, {w_here} the model's share: at the same α they are {_more_less(w_here)} the paper's fit "
         f"of the real volunteers (the quick θ, {b['theta_quick']:.1f}, lies {bias_words_['word_theta_quick']} "
         f"the paper's {b['paper_theta']:.2f}).")),
    ]
    agree, disagree = sort_claims(claims)
    summary = (f"the seeing is {w_psf} SDSS's and the resolution α {w_alpha} it; the simulated volunteers miss "
               f"{missed:.0%} of the disks, {w_sdss} what the paper's model predicts for SDSS and {w_here} what "
               f"it predicts at this survey's α")
    return {"verdict_agree": agree, "verdict_disagree": disagree, "verdict_summary": summary}


#: a change of the true disk fraction across alpha below this (absolute) counts as "about the same"
MIX_FLAT = 0.05


def mix_words(nums: dict[str, float], flat: float = MIX_FLAT) -> dict[str, str]:
    """Words for :func:`class_mix_by_alpha`'s numbers: ``mix_word`` (the true disk fraction
    "rises" / "stays about the same" / "falls" from the first to the last decile, within
    ``flat``), ``mix_consequence`` (what that means for perfect labels) and ``mix_conditioning``
    (how much of the trend is left inside a half of luminosity or size: most, some, or little)."""
    lo, hi, halves = nums.get("mix_lo", np.nan), nums.get("mix_hi", np.nan), nums.get("mix_range_halves", np.nan)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        na = "not measured (no truth)"
        return {"mix_word": "could not be measured", "mix_consequence": na + ".", "mix_conditioning": na + "."}
    d = hi - lo
    if abs(d) <= flat:
        word, cons = "stays about the same", ("perfect labels would hardly change with α here, as the paper's "
                                              "method assumes.")
    else:
        word = "rises" if d > 0 else "falls"
        cons = "perfect labels would change with α here."
    if abs(d) <= flat or not np.isfinite(halves):
        cond = "there is little trend to explain."
    else:
        share = halves / abs(d)
        cond = ("most of the trend is gone, so it runs through those variables." if share < 0.5 else
                "some of the trend is gone, so part of it runs through those variables." if share < 0.85 else
                "conditioning on one of them at a time removes little of the trend, which runs through both "
                "together or through other variables.")
    return {"mix_word": word, "mix_consequence": cons, "mix_conditioning": cond}
