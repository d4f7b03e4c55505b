"""Chapter 3: estimating theta from the labels, the DCV14 baseline, and the volunteers' true bias.

- :func:`fit_training_theta` - the paper's binned fit on the GZ2B labels of the training split
  and of its unbalanced parent (the one DDB uses, :data:`THETA_SAMPLE_REASON`) and,
  on the simulated survey, the same model fitted to the true disks alone (the bias the
  volunteers really had); :func:`write_theta` writes ``theta.json`` once, with its manifest.
- :func:`bin_scan` - theta for several bin counts (skipping counts with too few galaxies per bin),
  on the balanced training split and, when given, on the unbalanced pool DDB's theta comes from;
  :func:`scan_words` - whether theta moves with the bin count more than its bootstrap spread,
  and how the reduced chi-square runs with the galaxies per bin (:func:`chi2_trend`).
- :func:`fit_dcv14_split` - DCV14 (EM with a logistic regression on Sérsic n, ellipticity and
  half-light radius) on the training split, applied to the test split and the evaluation sample;
  :func:`write_dcv14` writes ``dcv14.json`` and ``dcv14_predictions.parquet``.
- :func:`comparison_table` - Table 3.2: the estimates side by side with the paper's.
- :func:`recovery_word`, :func:`verdict` - the chapter's verdict: the fitted theta against the
  simulated volunteers' own and against the paper's, in words computed from the bootstrap spreads;
  :func:`verdict_sentences` sorts them (and the binning and shape checks) into agreements and
  disagreements.
- The chapter's glued numbers (:func:`fit_numbers`, :func:`scan_numbers`, :func:`shape_numbers`,
  :func:`dcv14_numbers`, :func:`truth_numbers`), Table 3.1 (:func:`scan_table`); its figures are
  drawn by :mod:`galbias.compendium.thetaplots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core import artifacts
from ..data.catalog import has_truth
from ..methods.bias import ThetaFit, fit_theta, theta_vs_bins
from ..methods.dcv14 import DCV14Result, fit_dcv14
from ..reference import PAPER_SAMPLE, PAPER_THETA

__all__ = [
    "BALANCED",
    "COMPARISON_CAPTION",
    "FEATURES",
    "SCAN_CAPTION",
    "THETA_SAMPLE",
    "THETA_SAMPLE_REASON",
    "UNBALANCED",
    "TrainingTheta",
    "alpha_grid",
    "bin_scan",
    "chi2_trend",
    "comparison_table",
    "dcv14_numbers",
    "fit_dcv14_split",
    "fit_numbers",
    "fit_training_theta",
    "paper_binning_words",
    "recovery_word",
    "scan_numbers",
    "scan_summaries",
    "scan_table",
    "scan_words",
    "shape_numbers",
    "truth_numbers",
    "verdict",
    "verdict_sentences",
    "write_dcv14",
    "write_theta",
]

#: DCV14's features (Cabrera-Vives et al. 2014): single-Sérsic index, ellipticity, half-light radius
FEATURES = ["sersic_n", "sersic_e", "sersic_re_kpc"]


#: the sample whose theta DDB uses, and why (chapter 3 says the same in words)
THETA_SAMPLE = "unbalanced"
THETA_SAMPLE_REASON = (
    "the fit assumes that the true class mix does not change with alpha and that the label "
    "fractions follow f_s + f_d b(alpha); balancing on the biased GZ2B label keeps only a share "
    "of the GZ2B-smooth galaxies, the same share at every alpha, and so turns the label "
    "fractions into r f~_s / (r f~_s + f~_d), which is no longer of that form")


class TrainingTheta:
    """The theta fits of chapter 3.

    ``fit`` is the one DDB uses (:data:`THETA_SAMPLE`), ``balanced`` the fit on the balanced
    training split and ``unbalanced`` the fit on its unbalanced parent (None when no pool was
    given); ``volunteers`` is the same model fitted to the true disks of the chosen sample
    (None without the truth), with the true smooth fraction ``true_f_s``.
    """

    def __init__(self, fit: ThetaFit, volunteers: ThetaFit | None, true_f_s: float,
                 balanced: ThetaFit | None = None, unbalanced: ThetaFit | None = None, sample: str = "train"):
        self.fit, self.volunteers, self.true_f_s = fit, volunteers, true_f_s
        self.balanced, self.unbalanced, self.sample = balanced or fit, unbalanced, sample

    def to_dict(self) -> dict[str, Any]:
        """The ``theta.json`` document."""
        d = {**self.fit.to_dict(), "label": "gz2b", "split": "train", "sample": self.sample,
             "paper_theta": PAPER_THETA["ddb"],
             "theta_balanced": self.balanced.theta, "theta_balanced_std": self.balanced.theta_std,
             "n_balanced": self.balanced.n_objects}
        if self.unbalanced is not None:
            d.update(theta_unbalanced=self.unbalanced.theta, theta_unbalanced_std=self.unbalanced.theta_std,
                     n_unbalanced=self.unbalanced.n_objects, reason=THETA_SAMPLE_REASON)
        if self.volunteers is not None:
            d.update(theta_volunteers=self.volunteers.theta, theta_volunteers_std=self.volunteers.theta_std,
                     true_f_s=self.true_f_s)
        return d


def _volunteers(part: pd.DataFrame, n_bins: int, n_boot: int, seed: int) -> tuple[ThetaFit | None, float]:
    if not has_truth(part):
        return None, float("nan")
    disks = part["truth"].to_numpy(dtype=float) == 1
    nb = max(10, min(n_bins, int(disks.sum() // 20)))
    vol = fit_theta(part.loc[disks, "alpha"].to_numpy(), part.loc[disks, "gz2b"].to_numpy(), n_bins=nb,
                    n_boot=n_boot, seed=seed)
    return vol, float((part["truth"] == 0).mean())


def fit_training_theta(labels: pd.DataFrame, n_bins: int, n_boot: int, seed: int,
                       pool: pd.DataFrame | None = None) -> TrainingTheta:
    """The binned fit on the GZ2B labels of the balanced training split and, when ``pool``
    (:func:`galbias.data.labels.unbalanced_training_pool`) is given, on its unbalanced parent,
    which is then the fit DDB uses (:data:`THETA_SAMPLE_REASON`).  With the truth, the same
    model is also fitted to the true disks of that sample alone (the volunteers' real bias).

    The true-disk fit uses ``max(10, min(n_bins, n_disks // 20))`` bins; its ``f_s`` is the
    floor of the volunteers' bias (true disks called smooth even when perfectly resolved).
    Neither fit reads the truth; the volunteers' fit is for comparison only.
    """
    train = labels[labels["split"] == "train"]
    bal = fit_theta(train["alpha"].to_numpy(), train["gz2b"].to_numpy(), n_bins=n_bins, n_boot=n_boot, seed=seed)
    if pool is None:
        vol, f_s = _volunteers(train, n_bins, n_boot, seed)
        return TrainingTheta(bal, vol, f_s, balanced=bal, sample="train")
    unb = fit_theta(pool["alpha"].to_numpy(), pool["gz2b"].to_numpy(), n_bins=n_bins, n_boot=n_boot, seed=seed)
    vol, f_s = _volunteers(pool, n_bins, n_boot, seed)
    return TrainingTheta(unb, vol, f_s, balanced=bal, unbalanced=unb, sample=THETA_SAMPLE)


def write_theta(path: str | Path, result: TrainingTheta, params: dict[str, Any], labels_path: str | Path,
                catalog_path: str | Path | None = None) -> Path:
    """Write ``theta.json`` (atomically) and its manifest."""
    artifacts.write_json(path, result.to_dict())
    inputs = {"labels": labels_path} | ({"catalog": catalog_path} if catalog_path is not None else {})
    artifacts.write_manifest(path, params, inputs, code="theta")
    return Path(path)


#: the ``sample`` names of :func:`bin_scan`'s rows
UNBALANCED, BALANCED = "unbalanced training pool", "balanced training split"


def bin_scan(labels: pd.DataFrame, bin_counts: Sequence[int], min_per_bin: int = 5,
             pool: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`galbias.methods.bias.theta_vs_bins` on the GZ2B labels for the bin counts that
    leave at least ``min_per_bin`` galaxies per bin: on the unbalanced ``pool`` when given
    (:data:`UNBALANCED`, first) and on the balanced training split (:data:`BALANCED`), with a
    ``sample`` column."""
    train = labels[labels["split"] == "train"]
    parts = []
    for name, part in (((UNBALANCED, pool),) if pool is not None else ()) + ((BALANCED, train),):
        counts = [int(b) for b in bin_counts if len(part) / b >= min_per_bin]
        if counts:
            parts.append(theta_vs_bins(part["alpha"].to_numpy(), part["gz2b"].to_numpy(), counts).assign(sample=name))
    if not parts:
        return pd.DataFrame(columns=["sample", "n_bins", "objects_per_bin", "theta", "f_s", "f_d", "rss",
                                     "reduced_chi2", "at_bound"])
    out = pd.concat(parts, ignore_index=True)
    return out[["sample"] + [c for c in out.columns if c != "sample"]]


def chi2_trend(scan: pd.DataFrame) -> dict[str, float]:
    """How the reduced chi-square of one sample's scan runs with the galaxies per bin.

    ``chi2_few``/``chi2_many``: at the fewest and the most bins (``per_bin_few``/``_many``
    galaxies per bin).  With binomial errors a model that misses the true curve by a systematic
    ``delta`` gives ``chi2_red ~ 1 + n delta^2 / (p (1 - p))`` for ``n`` galaxies per bin, so the
    excess over 1 grows in proportion to ``n``: ``misfit_slope`` is that proportion (least
    squares through the origin of ``chi2_red - 1`` against ``n``), and the chi-square expected at
    ``n`` galaxies per bin follows as ``1 + misfit_slope * n``.  Many small bins hide a misfit that
    few large bins show.  ``bins_min``/``bins_max``: the scan's range of bin counts."""
    if scan.empty:
        return dict.fromkeys(("chi2_few", "chi2_many", "per_bin_few", "per_bin_many", "misfit_slope", "bins_min",
                              "bins_max"), float("nan"))
    t = scan.sort_values("n_bins")
    n = t["objects_per_bin"].to_numpy(float)
    x = t["reduced_chi2"].to_numpy(float) - 1
    ok = np.isfinite(x)
    slope = float(np.sum(n[ok] * x[ok]) / np.sum(n[ok] ** 2)) if ok.any() else float("nan")
    return {"chi2_few": float(t["reduced_chi2"].iloc[0]), "chi2_many": float(t["reduced_chi2"].iloc[-1]),
            "per_bin_few": float(n[0]), "per_bin_many": float(n[-1]), "misfit_slope": slope,
            "bins_min": int(t["n_bins"].iloc[0]), "bins_max": int(t["n_bins"].iloc[-1])}


def scan_words(scan: pd.DataFrame, sd: float, k: float = 2.0) -> dict[str, Any]:
    """Whether one sample's bin scan moves theta by more than the bootstrap spread ``sd`` of that
    sample's fit: ``range`` (max - min of theta over the scan) and ``word``:

    - "well inside" when the range is at most ``sd`` (the binning matters less than the noise),
    - "comparable to" when it is between ``sd`` and ``k * sd``,
    - "larger than" when it exceeds ``k * sd`` (the binning matters more than the noise).

    ``stable_from``: the smallest bin count from which every finer binning of the scan stays within
    ``sd`` of the finest one's theta (coarse bins blur the curve's bend; the scan's range is often
    set by them alone).  ``depends``: a phrase for the summary ("hardly depends on the number of
    bins", "depends on the number of bins only below N bins", "depends on the number of bins")."""
    if scan.empty or not np.isfinite(sd) or sd <= 0:
        return {"range": float("nan"), "sd": float(sd), "word": "not measured", "stable_from": float("nan"),
                "depends": "could not be checked for its dependence on the number of bins"}
    t = scan.sort_values("n_bins")
    th, nb = t["theta"].to_numpy(float), t["n_bins"].to_numpy(int)
    rng_ = float(th.max() - th.min())
    off = np.abs(th - th[-1]) > sd
    stable = int(nb[np.flatnonzero(off).max() + 1]) if off.any() else int(nb[0])
    if rng_ <= sd:
        word, dep = "well inside", "hardly depends on the number of bins"
    else:
        word = "comparable to" if rng_ <= k * sd else "larger than"
        # settled only if at least two bin counts agree with the finest one
        dep = (f"depends on the number of bins only below {stable:,} bins" if nb[0] < stable < nb[-1]
               else "depends on the number of bins")
    return {"range": rng_, "sd": float(sd), "word": word, "stable_from": stable, "depends": dep}


def recovery_word(fit: float, sd: float, true: float, true_sd: float, k: float = 2.0) -> str:
    """The fitted theta against the simulated volunteers' own: "recovered" within ``k`` combined
    sd, else "over-estimated" or "under-estimated" (the rule of the intro page's scorecard);
    "not measured" without the truth."""
    if not (np.isfinite(fit) and np.isfinite(true)):
        return "not measured"
    s = float(np.hypot(sd if np.isfinite(sd) else 0.0, true_sd if np.isfinite(true_sd) else 0.0))
    diff = fit - true
    if abs(diff) <= k * s:
        return "recovered"
    return "over-estimated" if diff > 0 else "under-estimated"


def verdict(result: TrainingTheta, dc: DCV14Result | None = None, k: float = 2.0) -> dict[str, Any]:
    """Glue values of the chapter's verdict: the adopted theta and the balanced one against the
    volunteers' own (``word_truth``, ``word_truth_bal``, with the differences in combined sd,
    ``z_truth``, ``z_truth_bal``), the fitted smooth fraction against the true one (``word_fs``),
    theta against the paper's (``rel_paper`` = theta / paper - 1, ``word_paper``: "close to"
    within ``k`` bootstrap sd, else "below" / "above") and DCV14's against the paper's DCV14."""
    from .words import noise_word

    fit, bal, vol = result.fit, result.balanced, result.volunteers
    t, tsd = (vol.theta, vol.theta_std) if vol is not None else (np.nan, np.nan)

    def z(a: float, sa: float) -> float:
        s = float(np.hypot(sa, tsd))
        return float(abs(a - t) / s) if np.isfinite(t) and s > 0 else float("nan")

    fs_sd = float(fit.f_s_std)
    out: dict[str, Any] = {
        "word_truth": recovery_word(fit.theta, fit.theta_std, t, tsd, k), "z_truth": z(fit.theta, fit.theta_std),
        "word_truth_bal": recovery_word(bal.theta, bal.theta_std, t, tsd, k),
        "z_truth_bal": z(bal.theta, bal.theta_std),
        "word_fs": noise_word(fit.f_s - result.true_f_s, fs_sd, k,
                              words=("below", "within the noise of", "above")),
        "rel_paper": fit.theta / PAPER_THETA["ddb"] - 1,
        "word_paper": noise_word(fit.theta - PAPER_THETA["ddb"], fit.theta_std, k,
                                 words=("below", "close to", "above")),
    }
    if dc is not None:
        out["rel_paper_dcv14"] = dc.theta / PAPER_THETA["dcv14"] - 1
        out["word_paper_dcv14"] = "below" if dc.theta < PAPER_THETA["dcv14"] else "above"
    return out


def fit_dcv14_split(labels: pd.DataFrame, theta0: float, seed: int,
                    splits: Sequence[str] = ("test", "eval")) -> tuple[DCV14Result, pd.DataFrame]:
    """DCV14 fitted on the training galaxies that have a Sérsic fit, and its predictions for the
    galaxies of ``splits`` that exist (``id, split, p_disk_dcv14, dcv14``; no label without a
    Sérsic fit)."""
    train = labels[labels["split"] == "train"]
    ok_tr = train[FEATURES].notna().all(axis=1).to_numpy()
    dc = fit_dcv14(train.loc[ok_tr, FEATURES], train.loc[ok_tr, "alpha"].to_numpy(), train.loc[ok_tr, "gz2b"].to_numpy(),
                   theta0=theta0, seed=seed)
    part = labels[labels["split"].isin(list(splits))]
    ok = part[FEATURES].notna().all(axis=1).to_numpy()
    p_disk = np.full(len(part), np.nan)
    p_disk[ok] = dc.predict_proba(part.loc[ok, FEATURES])
    label = pd.array((p_disk > 0.5).astype(int), dtype="Int8")
    label[~ok] = pd.NA
    pred = pd.DataFrame({"id": part["id"].to_numpy(), "split": part["split"].astype(str).to_numpy(),
                         "p_disk_dcv14": p_disk, "dcv14": label})
    pred.attrs["n_train"] = int(ok_tr.sum())
    return dc, pred


def write_dcv14(json_path: str | Path, pred_path: str | Path, dc: DCV14Result, pred: pd.DataFrame, seed: int,
                labels_path: str | Path) -> None:
    """Write ``dcv14.json`` and ``dcv14_predictions.parquet`` (with its manifest)."""
    artifacts.write_json(json_path, {**dc.to_dict(), "features": FEATURES, "label": "gz2b",
                                     "n_train": pred.attrs.get("n_train"), "paper_theta": PAPER_THETA["dcv14"]})
    artifacts.write_parquet(pred_path, pred)
    artifacts.write_manifest(pred_path, {"features": FEATURES, "seed": seed}, {"labels": labels_path}, code="dcv14")


def comparison_table(result: TrainingTheta, dc: DCV14Result) -> pd.DataFrame:
    """Table 3.2: theta, its bootstrap spread, f_s and the galaxies of each estimate, beside the paper's."""
    vol, unb, bal = result.volunteers, result.unbalanced, result.balanced
    rows = {}
    if unb is not None:
        rows["binned fit, unbalanced training pool (θ_DDB, used)"] = [unb.theta, unb.theta_std, unb.f_s,
                                                                     unb.n_objects, PAPER_THETA["ddb"]]
    rows["binned fit, balanced training split" + ("" if unb is not None else " (θ_DDB, used)")] = [
        bal.theta, bal.theta_std, bal.f_s, bal.n_objects, np.nan if unb is not None else PAPER_THETA["ddb"]]
    rows["DCV14 EM (balanced training split)"] = [dc.theta, np.nan, np.nan, np.nan, PAPER_THETA["dcv14"]]
    if vol is not None:
        rows["volunteers' bias measured from the truth"] = [vol.theta, vol.theta_std, result.true_f_s,
                                                            vol.n_objects, np.nan]
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["θ", "± (bootstrap)", "f_s", "galaxies", "paper (real GZ2)"])


#: galaxies per bin in the paper's theta fit (97,600 training galaxies in 1,525 bins)
PAPER_PER_BIN = PAPER_SAMPLE["train"] / PAPER_SAMPLE["theta_bins"]


def verdict_sentences(result: TrainingTheta, v: dict[str, Any], scans: dict[str, dict[str, Any]],
                      trends: dict[str, dict[str, float]], shape: Any = None, dc: DCV14Result | None = None,
                      k: float = 2.0) -> dict[str, str]:
    """The chapter's verdict in sentences (``verdict_agree``, ``verdict_disagree``) and the
    summary's phrases (``summary_bins``, ``summary_truth``).

    ``v``: :func:`verdict`; ``scans``/``trends``: :func:`scan_words` and :func:`chi2_trend` per
    sample (:data:`UNBALANCED`, :data:`BALANCED`); ``shape``: a
    :class:`galbias.methods.bias.ShapeFit` (its exponent against the half-Gaussian's 2, within
    ``k`` bootstrap sd) or None; ``dc``: DCV14's result."""
    from .survey import sort_claims
    from .words import relative_word

    fit, bal, vol = result.fit, result.balanced, result.volunteers
    claims: list[tuple[bool, str]] = []
    if vol is not None:
        claims.append((v["word_truth"] == "recovered",
                       (f"The adopted fit (unbalanced training pool) gives θ = {fit.theta:.2f} ± {fit.theta_std:.2f}, "
                       f"against the simulated volunteers' own {vol.theta:.2f} ± {vol.theta_std:.2f}: "
                       f"{v['word_truth']} ({v['z_truth']:.1f} combined sd apart).")))
        claims.append((v["word_truth_bal"] == "recovered",
                       (f"The fit on the balanced training split, the paper's choice, gives θ = {bal.theta:.2f} ± "
                       f"{bal.theta_std:.2f}: {v['word_truth_bal']} ({v['z_truth_bal']:.1f} combined sd apart).")))
        claims.append((v["word_fs"].startswith("within"),
                       (f"The fitted smooth fraction f_s = {fit.f_s:.3f} ± {fit.f_s_std:.3f} is {v['word_fs']} the "
                       f"true smooth fraction of the pool, {result.true_f_s:.3f}.")))
    for name in (UNBALANCED, BALANCED):
        w, t = scans.get(name), trends.get(name)
        if w is None or w["word"] == "not measured":
            continue
        stable = (f"; from {w['stable_from']:,} bins on it stays within one spread of the finest binning's value"
                  if t["bins_min"] < w["stable_from"] < t["bins_max"] else "")
        claims.append((w["word"] != "larger than",
                       (f"The binning ({name}): over {t['bins_min']:,} to {t['bins_max']:,} bins θ moves by "
                       f"{w['range']:.3f}, {w['word']} its bootstrap spread ({w['sd']:.3f}){stable}.")))
    if shape is not None and np.isfinite(shape.k_std) and shape.k_std > 0:
        claims.append((abs(shape.k - 2.0) <= k * shape.k_std,
                       (f"The shape: the unbinned fit with a free exponent gives k = {shape.k:.2f} ± {shape.k_std:.2f}, "
                       f"{abs(shape.k - 2.0) / shape.k_std:.1f} sd from the half-Gaussian's k = 2 "
                       f"(ΔAIC = {shape.delta_aic:.0f} in favour of the free k).")))
    claims.append((v["word_paper"] == "close to",
                   (f"Against the paper: θ = {fit.theta:.2f} is {v['word_paper']} the paper's {PAPER_THETA['ddb']:.2f} "
                   f"for the real GZ2 ({v['rel_paper']:+.0%}).")))
    if dc is not None:
        w = relative_word(dc.theta, PAPER_THETA["dcv14"], 0.10, words=("below", "close to", "above"))
        claims.append((w == "close to",
                       (f"DCV14 reaches θ = {dc.theta:.2f}, {w} the paper's DCV14 value {PAPER_THETA['dcv14']:.2f} "
                       "(no spread: within 10% counts as close).")))
    agree, disagree = sort_claims(claims)
    used = scans.get(UNBALANCED) or scans.get(BALANCED) or {
        "depends": "could not be checked for its dependence on the number of bins"}
    summary_bins = f"on this run the adopted θ {used['depends']}"
    summary_truth = (f"on the simulated survey the adopted θ is {v['word_truth']} relative to the volunteers' own"
                     if vol is not None else "on real data there is no truth to check θ against")
    return {"verdict_agree": agree, "verdict_disagree": disagree, "summary_bins": summary_bins,
            "summary_truth": summary_truth}


def paper_binning_words(trend: dict[str, float], k: float = 2.0) -> dict[str, Any]:
    """What this run's misfit would look like in the paper's binning: ``chi2_at_paper``
    (:func:`chi2_trend`'s line at :data:`PAPER_PER_BIN` galaxies per bin), the spread of a
    reduced chi-square with the paper's degrees of freedom (``chi2_paper_sd`` = sqrt(2 / dof)) and
    ``paper_binning``: "would still show the misfit" when ``chi2_at_paper`` exceeds 1 by more than
    ``k`` such spreads, "would hide the misfit" otherwise ("not measured" for NaN)."""
    dof = PAPER_SAMPLE["theta_bins"] - 2
    sd = float(np.sqrt(2.0 / dof))
    chi2 = 1 + trend.get("misfit_slope", np.nan) * PAPER_PER_BIN
    if not np.isfinite(chi2):
        word = "not measured"
    else:
        word = "would still show the misfit" if chi2 - 1 > k * sd else "would hide the misfit"
    return {"chi2_at_paper": float(chi2), "chi2_paper_sd": sd, "paper_binning": word}


# --- the chapter's numbers and tables (the notebook glues and shows what these return) ---

#: Table 3.1's caption
SCAN_CAPTION = ("Table 3.1. The θ fit for several bin counts (GZ2B labels), on the unbalanced training pool and on the "
                "balanced training split.")
#: Table 3.2's caption
COMPARISON_CAPTION = ("Table 3.2. The estimates of θ side by side. The last row needs the truth and exists only "
                      "for the simulated survey; f_s in that row is the true smooth fraction of the training set.")


def fit_numbers(result: TrainingTheta) -> dict[str, Any]:
    """The glued numbers of the binned fit: the adopted fit, the balanced one and the paper's theta."""
    fit, bal = result.fit, result.balanced
    return {"theta": fit.theta, "theta_std": fit.theta_std, "f_s": fit.f_s, "f_d": fit.f_d, "n_bins": fit.n_bins,
                "n_train": fit.n_objects, "per_bin": fit.n_objects / fit.n_bins, "red_chi2": fit.reduced_chi2,
                "paper_theta": PAPER_THETA["ddb"], "theta_bal": bal.theta, "theta_bal_std": bal.theta_std,
                "n_bal": bal.n_objects, "f_s_bal": bal.f_s,
                "d_theta_sigma": abs(fit.theta - bal.theta) / np.hypot(fit.theta_std, bal.theta_std)}


def alpha_grid(curve: pd.DataFrame, n: int = 200) -> np.ndarray:
    """``n`` log-spaced alphas spanning the bin midpoints of a fit's ``curve``."""
    return np.logspace(np.log10(curve["alpha_mid"].min()), np.log10(curve["alpha_mid"].max()), n)


def scan_summaries(scan: pd.DataFrame, result: TrainingTheta) -> tuple[dict[str, dict[str, Any]],
                                                                      dict[str, dict[str, float]]]:
    """:func:`scan_words` (in each sample's own bootstrap spread) and :func:`chi2_trend` per sample of a
    :func:`bin_scan`, keyed by :data:`UNBALANCED` / :data:`BALANCED` in the scan's order."""
    spreads = {UNBALANCED: result.fit.theta_std, BALANCED: result.balanced.theta_std}
    scans, trends = {}, {}
    for name, part in scan.groupby("sample", sort=False):
        scans[name] = scan_words(part, spreads[name])
        trends[name] = chi2_trend(part)
    return scans, trends


def scan_numbers(scan: pd.DataFrame, scans: dict[str, dict[str, Any]], trends: dict[str, dict[str, float]],
                 fit: ThetaFit) -> dict[str, Any]:
    """The glued numbers of the bin scan (``*_unb`` for the unbalanced pool, ``*_bal`` for the
    balanced split; NaN or "not measured" for a sample the scan lacks) and of the paper's binning."""
    unb_w, bal_w = scans.get(UNBALANCED, {}), scans.get(BALANCED, {})
    unb_t, bal_t = trends.get(UNBALANCED, {}), trends.get(BALANCED, {})
    unb_theta = scan.loc[scan["sample"] == UNBALANCED, "theta"]
    return dict(
        paper_per_bin=PAPER_PER_BIN, paper_bins=PAPER_SAMPLE["theta_bins"],
        scan_range_unb=unb_w.get("range", np.nan), scan_word_unb=unb_w.get("word", "not measured"),
        scan_range_bal=bal_w.get("range", np.nan), scan_word_bal=bal_w.get("word", "not measured"),
        bins_scan_min=int(scan["n_bins"].min()), bins_scan_max=int(scan["n_bins"].max()),
        theta_scan_min=float(unb_theta.min()), theta_scan_max=float(unb_theta.max()),
        chi2_few_unb=unb_t.get("chi2_few", np.nan), chi2_many_unb=unb_t.get("chi2_many", np.nan),
        per_bin_few_unb=unb_t.get("per_bin_few", np.nan), per_bin_many_unb=unb_t.get("per_bin_many", np.nan),
        chi2_few_bal=bal_t.get("chi2_few", np.nan), chi2_many_bal=bal_t.get("chi2_many", np.nan),
        per_bin_few_bal=bal_t.get("per_bin_few", np.nan), per_bin_many_bal=bal_t.get("per_bin_many", np.nan),
        **{f"{key}_bal": val for key, val in paper_binning_words(bal_t).items()},
        **{f"{key}_unb": val for key, val in paper_binning_words(unb_t).items()},
        bins_like_paper=max(2, round(fit.n_objects / PAPER_PER_BIN)),
        summary_bins_short=(unb_w or bal_w or {"depends": "could not be checked for its dependence on the number "
                                                          "of bins"})["depends"],
        bins_paper_here=PAPER_SAMPLE["theta_bins"], per_bin_paper_here=fit.n_objects / PAPER_SAMPLE["theta_bins"])


def scan_table(scan: pd.DataFrame) -> pd.DataFrame:
    """Table 3.1's data: the scan indexed by sample and bin count."""
    return scan.set_index(["sample", "n_bins"])[["objects_per_bin", "theta", "f_s", "reduced_chi2"]]


def shape_numbers(shape: Any, n_boot: int) -> dict[str, Any]:
    """The glued numbers of the unbinned shape fit (``n_boot``: its bootstrap resamples)."""
    return {"shape_theta": shape.theta, "shape_theta_std": shape.theta_std, "shape_k": shape.k, "shape_k_std": shape.k_std,
                "shape_f_s": shape.f_s, "shape_theta_k2": shape.theta_k2, "shape_daic": shape.delta_aic, "shape_boot": n_boot}


def dcv14_numbers(dc: DCV14Result, pred: pd.DataFrame, labels: pd.DataFrame) -> dict[str, Any]:
    """The glued numbers of DCV14: its theta and iterations, and the disk fractions on the test split."""
    test = labels[labels["split"] == "test"]
    return {"theta_dcv14": dc.theta, "dcv14_iter": dc.n_iter, "paper_theta_dcv14": PAPER_THETA["dcv14"],
                "dcv14_disk_frac": float(pred.loc[pred["split"] == "test", "dcv14"].astype(float).mean()),
                "gz2b_disk_frac_test": float((test["gz2b"] == 1).mean())}


def truth_numbers(result: TrainingTheta) -> dict[str, float]:
    """The glued numbers of the volunteers' own bias (NaN without the truth) and the true smooth fraction."""
    vol = result.volunteers
    return {"theta_true": vol.theta if vol else np.nan, "theta_true_std": vol.theta_std if vol else np.nan,
                "floor_true": vol.f_s if vol else np.nan, "true_fs": result.true_f_s}
