"""Chapter 9 beyond the paper: the sections' tables, numbers and verdicts.

- :func:`swap_section` - one network, two regions: the apparent spiral excess, the swap
  contrast and the region-balanced networks (Table 9.7), with :func:`contrast_verdict` and
  :func:`balance_verdict`.
- :func:`region_dependence_section` - does a network of chapter 4 (or the volunteer labels)
  find a different disk share in different regions (Tables 9.8 and 9.9)?
  :func:`chapter4_predictions` applies the networks; :func:`dependence_tables` summarises any
  set of predictions.

Every test uses :data:`SIGNIFICANCE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...data.labels import majority_vote
from ..networks import NETWORKS
from .design import split_for_repeat
from .network import torch_threads
from .stats import (
    SIGNIFICANCE,
    anisotropy,
    binom_pvalue,
    dependence_verdict,
    paper_summary,
    region_dependence,
    swap_contrast,
)

__all__ = ["DEPENDENCE_NETWORKS", "balance_verdict", "chapter4_predictions", "contrast_phrase", "contrast_verdict",
           "dependence_tables", "ds_verdict", "neighbour_word", "rate_word", "region_dependence_section", "size_word",
           "swap_section"]

_SC_COLUMNS = ["repeat", "region_a", "region_b", "delta_SaEb", "delta_SbEa", "contrast", "region_effect",
               "delta_balanced", "delta_combined"]


def _mean(v: Any) -> float:
    v = np.asarray(v, dtype=float)
    return float(v.mean()) if len(v) else float("nan")


def _sd(v: Any) -> float:
    v = np.asarray(v, dtype=float)
    return float(v.std(ddof=1)) if len(v) > 1 else float("nan")


# --- one network, two regions -------------------------------------------------------------------

def contrast_verdict(c_mean: float, sign_p: float, n: int) -> str:
    """What the swap contrast says: ``c_mean`` is its mean over ``n`` (pair, repeat) cases and
    ``sign_p`` the sign test of its being positive; significant means ``sign_p`` <
    :data:`SIGNIFICANCE`."""
    if n and c_mean > 0 and sign_p < SIGNIFICANCE:
        return "the effect Dhar & Shamir described is there, and consistent"
    if n and c_mean > 0:
        return "the effect points the way Dhar & Shamir found, but is not significant in this run"
    return "the effect Dhar & Shamir described does not show in this run"


def balance_verdict(bal_abs: float, swap_abs: float, bal_t: float) -> str:
    """Does balancing the regions remove the effect?  Yes when the balanced networks' mean
    ``|Δ|`` (``bal_abs``) is smaller than the confounded ones' (``swap_abs``) and the t-test of
    their Δ against zero (``bal_t``) is not significant at :data:`SIGNIFICANCE`."""
    if np.isfinite(bal_abs) and bal_abs < swap_abs and not bal_t < SIGNIFICANCE:
        return ("their Δ scatters around zero, with no class to favour, and is smaller than that of the "
                "confounded networks")
    return "in this run the balanced networks' Δ is not clearly smaller than that of the confounded ones"


def _pair_table(sc: pd.DataFrame) -> pd.DataFrame:
    g = sc.groupby("pair", sort=False)
    return pd.DataFrame({
        "repeats": g.size(), "Δ, S a E b": g["delta_SaEb"].mean(), "Δ, S b E a": g["delta_SbEa"].mean(),
        "swap contrast C": g["contrast"].mean(), "C sd": g["contrast"].std(ddof=1),
        "C > 0": g["contrast"].apply(lambda v: int((v > 0).sum())),
        "region effect R": g["region_effect"].mean(), "Δ balanced": g["delta_balanced"].mean(),
        "Δ combined 1+2+3": g["delta_combined"].mean(),
    })


def swap_section(results: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The swap contrast per (pair, repeat), Table 9.7 per pair, and the section's numbers.

    ``results`` is ``skybias.csv``.  Returns :func:`swap_contrast` with a ``pair`` column ("1
    vs 2"), its means per pair, and: the contrast's sign test (``n_pos`` of ``n_sc``,
    ``sign_p``), mean, sd, range (``c_*``), the pairs 1-2 and 2-3 (``c12``, ``c23``,
    ``n_rep23``), the region-balanced networks' Δ (``bal_mean``, ``bal_sd``, ``n_bal``,
    ``n_bal_pos``, t-test ``bal_t``, mean ``|Δ|`` ``bal_abs``), the confounded networks' mean
    ``|Δ|`` (``swap_abs``), the mean ``|R|`` (``r_abs``), the share of confounded networks
    (spirals and ellipticals from different regions) whose χ² test of Δ is significant
    (``frac_chi2_sig``, in words ``chi2_word``), the test galaxies of one region, both classes
    (``n_test_2``), both verdicts, and for the text: ``c_phrase`` (:func:`contrast_phrase`),
    ``size_vs_paper`` (:func:`size_word` of the confounded networks' mean ``|Δ|`` against the
    ``|Δ|`` of Dhar & Shamir's one network tested on data sets 1 and 2, their Tables 8 and 9),
    ``neighbour_word`` (:func:`neighbour_word`), ``sign_p_min`` (the smallest p-value the sign
    test can give with ``n_sc`` cases) and ``power_note`` (a sentence on it).
    """
    anis = anisotropy(results)
    sc = swap_contrast(anis) if len(anis) else pd.DataFrame(columns=_SC_COLUMNS)
    sc = sc.reindex(columns=_SC_COLUMNS)
    sc["pair"] = sc["region_a"].astype(str) + " vs " + sc["region_b"].astype(str)
    tab = _pair_table(sc)
    n_pos = int((sc["contrast"] > 0).sum())
    sign_p = binom_pvalue(n_pos, len(sc), 0.5)
    bal = sc["delta_balanced"].dropna().astype(float)
    swap_abs = _mean(pd.concat([sc["delta_SaEb"], sc["delta_SbEa"]]).abs())
    bal_abs = _mean(bal.abs())
    bal_t = float(stats.ttest_1samp(bal, 0.0).pvalue) if len(bal) > 1 and bal.std() > 0 else float("nan")
    confounded = anis[anis["train_spiral"] != anis["train_elliptical"]] if len(anis) else anis
    single = results[~results["test_region"].astype(str).str.contains(r"\+")]
    c_mean = _mean(sc["contrast"])

    def pair(name: str, col: str) -> float:
        return float(tab.loc[name, col]) if name in tab.index else float("nan")

    conf_abs = pd.concat([sc["delta_SaEb"], sc["delta_SbEa"]]).abs().dropna().astype(float)
    paper = paper_summary()
    paper_diff = float(abs(paper.loc[9, "p_spiral"] - paper.loc[8, "p_spiral"]))
    frac_chi2 = _mean(confounded["p_value"] < SIGNIFICANCE) if len(confounded) else float("nan")
    c12, c23 = pair("1 vs 2", "swap contrast C"), pair("2 vs 3", "swap contrast C")
    sign_p_min = binom_pvalue(len(sc), len(sc), 0.5) if len(sc) else float("nan")
    return sc, tab, {
        "c_phrase": contrast_phrase(c_mean),
        "size_vs_paper": size_word(swap_abs, _sd(conf_abs), len(conf_abs), paper_diff),
        "neighbour_word": neighbour_word(c12, c23),
        "chi2_word": rate_word(frac_chi2),
        "sign_p_min": sign_p_min,
        "power_note": (f"with only {len(sc)} cases the sign test cannot reach p < {SIGNIFICANCE:g} even when every "
                       f"case is positive (its smallest p is {sign_p_min:.3f}), so more repeats are needed for a "
                       "significant verdict" if len(sc) and sign_p_min >= SIGNIFICANCE
                       else f"{len(sc)} cases are enough for the sign test to reach p < {SIGNIFICANCE:g}"),
        "contrast_verdict": contrast_verdict(c_mean, sign_p, len(sc)),
        "bal_verdict": balance_verdict(bal_abs, swap_abs, bal_t),
        "bal_mean": _mean(bal), "bal_sd": _sd(bal), "bal_t": bal_t, "n_bal": len(bal), "n_bal_pos": int((bal > 0).sum()),
        "c_sd": _sd(sc["contrast"]), "n_sc": len(sc), "n_pos": n_pos, "sign_p": sign_p, "c_mean": c_mean,
        "c_min": float(sc["contrast"].min()), "c_max": float(sc["contrast"].max()), "bal_abs": bal_abs,
        "swap_abs": swap_abs, "r_abs": _mean(sc["region_effect"].abs()),
        "c12": c12, "c23": c23,
        "n_rep23": int(tab.loc["2 vs 3", "repeats"]) if "2 vs 3" in tab.index else 0,
        "n_test_2": int(single[["tn", "fp", "fn", "tp"]].sum(axis=1).max()) if len(single) else 0,
        "frac_chi2_sig": frac_chi2,
    }


def contrast_phrase(c_mean: float) -> str:
    """What the mean swap contrast means for a catalog, in words."""
    if not np.isfinite(c_mean):
        return "the swap contrast could not be measured"
    if c_mean > 0:
        return (f"a network trained with the classes from different regions makes about {c_mean:.1%} more of the test "
                "galaxies appear spiral in the region its training spirals came from, although the galaxies are the "
                "same")
    return ("a network trained with the classes from different regions makes no more of the test galaxies appear "
            "spiral in the region its training spirals came from")


def size_word(value: float, sd: float, n: int, paper: float, z: float = 2.0) -> str:
    """``value`` (a mean of ``n`` numbers with standard deviation ``sd``) against the paper's
    ``paper``: "about as large as" within ``z`` standard errors, else "smaller than" or "larger
    than"; "not comparable with" without a value."""
    if not np.isfinite(value) or n == 0:
        return "not comparable with"
    se = sd / np.sqrt(n) if np.isfinite(sd) else 0.0
    if abs(value - paper) <= z * se:
        return "about as large as"
    return "smaller than" if value < paper else "larger than"


def neighbour_word(c12: float, c23: float) -> str:
    """Is the swap contrast of the neighbouring regions 2 and 3 weaker than that of regions 1
    and 2, as Dhar & Shamir found for neighbouring fields?  Only when regions 1 and 2 show a
    positive contrast is there something to be weaker than."""
    if not (np.isfinite(c12) and np.isfinite(c23)):
        return "which cannot be compared with their finding on neighbouring fields in this run"
    if c12 <= 0:
        return ("which cannot be compared with their finding on neighbouring fields: regions 1 and 2 show no "
                "positive contrast to be weaker than")
    if abs(c23) < abs(c12):
        return "in line with their finding that neighbouring fields give a weaker effect"
    return "unlike their finding that neighbouring fields give a weaker effect"


def rate_word(frac: float) -> str:
    """How often something happens, in words: "rarely" (below 20 %), "sometimes" (below half),
    "often"; "never" at 0 and "not measured" for NaN."""
    if not np.isfinite(frac):
        return "not measured"
    if frac == 0:
        return "never"
    return "rarely" if frac < 0.2 else ("sometimes" if frac < 0.5 else "often")


# --- does a chapter-4 network depend on the sky region? --------------------------------------------

#: chapter 4's networks (:data:`galbias.results.networks.NETWORKS`) applied in the last section,
#: both trained on the GZ2B labels, with the suffix of their glued numbers
DEPENDENCE_NETWORKS = {"ce_gz2b": "ce", "ddb": "ddb"}

#: the suffix of the glued numbers of the truth and of the volunteer labels
_SERIES_KEYS = {"truth": "truth", "GZ2B labels": "gz2b"}


def chapter4_predictions(model_files: Mapping[str, str | Path], cache: Any, rows: np.ndarray,
                         threads: int | None = 1) -> dict[str, np.ndarray]:
    """Predicted class (1 = disk, p(disk) > 0.5) of each network of :data:`DEPENDENCE_NETWORKS`
    in ``model_files`` (name -> ``models/<name>.pt``, checked fresh by the caller), for
    image-cache ``rows``, on the CPU; keyed by the network's title.  Networks not given are
    left out."""
    from ...methods.models import load_model
    from ...methods.train import predict

    out = {}
    with torch_threads(threads):
        for net in NETWORKS:
            if net.name in DEPENDENCE_NETWORKS and net.name in model_files:
                model, _ = load_model(model_files[net.name])
                out[net.title] = (predict(model, cache, rows, device="cpu") > 0.5).astype(int)
    return out


def _short(title: str) -> str:
    for net in NETWORKS:
        if net.title == title and net.name in DEPENDENCE_NETWORKS:
            return DEPENDENCE_NETWORKS[net.name]
    return _SERIES_KEYS.get(title, title)


def dependence_tables(y_true: np.ndarray, region: np.ndarray, series: Mapping[str, np.ndarray]
                      ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Tables 9.8 and 9.9 and their numbers for any set of 0/1 predictions.

    ``series`` maps a name ("truth", "GZ2B labels", a network title) to predictions aligned
    with ``y_true`` and ``region``.  Table 9.8: per region, the galaxies, the disk share of
    each series and, for the others than "truth", the share of true disks recovered; Table 9.9:
    the χ² p-values of :func:`region_dependence`.  Numbers per series (by suffix: truth, gz2b,
    ce, ddb): the spread over regions of the disk share (``spread_*``) and of the disks
    recovered (``rspread_*``), the region where the labels recover the fewest
    (``worst_gz2b``), the χ² p-values (``p_*_disk``, ``p_ddb_all``, ``p_ddb_smooth``) and
    :func:`dependence_verdict` (``ddb_verdict``).
    """
    rows, tests = {}, {}
    for name, yp in series.items():
        rows[name], tests[name] = region_dependence(y_true, yp, region)
    tab = pd.concat({k: v["pred_disk"] for k, v in rows.items()}, axis=1)
    tab.insert(0, "galaxies", next(iter(rows.values()))["n"].astype(int))
    for k, v in rows.items():
        if k != "truth":
            tab[f"{k}: disks recovered"] = v["recall_disk"]
    ptab = pd.DataFrame(tests).T.rename(columns={"chi2_all": "χ² all", "chi2_disk": "χ² true disks",
                                                 "chi2_smooth": "χ² true smooth"})
    numbers = _nan_numbers()
    for k, v in rows.items():
        s = _short(k)
        numbers[f"spread_{s}"] = float(v["pred_disk"].max() - v["pred_disk"].min())
        if k != "truth":
            numbers[f"rspread_{s}"] = float(v["recall_disk"].max() - v["recall_disk"].min())
            numbers[f"p_{s}_disk"] = float(tests[k]["chi2_disk"])
            numbers[f"p_{s}_smooth"] = float(tests[k]["chi2_smooth"])
    recall = rows["GZ2B labels"]["recall_disk"] if "GZ2B labels" in rows else pd.Series(dtype=float)
    if recall.notna().any():
        numbers["worst_gz2b"] = int(recall.idxmin())
    ddb = next((n.title for n in NETWORKS if n.name == "ddb"), "")
    numbers["p_ddb_all"] = float(tests.get(ddb, {}).get("chi2_all", np.nan))
    constant = tuple(_short(k) for k, yp in series.items()
                     if _short(k) in DEPENDENCE_NETWORKS.values() and len(np.unique(np.asarray(yp))) == 1)
    numbers["ddb_verdict"] = dependence_verdict(
        numbers["p_gz2b_disk"], numbers["p_ce_disk"], numbers["p_ddb_disk"], SIGNIFICANCE,
        numbers["p_gz2b_smooth"], numbers["p_ce_smooth"], numbers["p_ddb_smooth"], constant)
    return tab, ptab, numbers


def _nan_numbers() -> dict[str, Any]:
    """Every number of :func:`dependence_tables`, NaN (or -1 for a region), as defaults."""
    nan = float("nan")
    suffixes = ("gz2b", *DEPENDENCE_NETWORKS.values())
    return {"spread_truth": nan, **{f"spread_{s}": nan for s in suffixes}, **{f"rspread_{s}": nan for s in suffixes},
            **{f"p_{s}_disk": nan for s in suffixes}, **{f"p_{s}_smooth": nan for s in suffixes}, "p_ddb_all": nan,
            "worst_gz2b": -1}


def _not_measured(missing: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The section's tables and numbers when it cannot be measured; ``missing`` says why (each
    reason names the chapter to run)."""
    note = "not measured: " + "; ".join(missing)
    numbers = {**_nan_numbers(), "n_excluded": 0, "ddb_status": note, "ddb_verdict": "not measured in this run",
               "ddb_applied": "not applied, because " + " and ".join(missing) + ", so every number of this section "
                              "is nan"}
    frame = pd.DataFrame({"note": [note]})
    return frame, frame.copy(), numbers


def region_dependence_section(sample: pd.DataFrame, catalog: pd.DataFrame, cache: Any, n_train: int, n_test: int,
                              seed: int, model_files: Mapping[str, str | Path], labels: pd.DataFrame | None,
                              regions: list[int] | None = None, threads: int | None = 1,
                              problem: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Tables 9.8, 9.9 and the numbers of the last section.

    The test galaxies of the first repeat (:func:`split_for_repeat` with ``seed``), less those
    in chapter 1's training split (``labels``, ``split == "train"``), classified by the truth,
    the volunteers' majority vote (GZ2B labels, from ``catalog``) and the networks of
    :func:`chapter4_predictions` (``cache`` holds the images of ``sample``, row for row); then
    :func:`dependence_tables`.  Adds ``ddb_status`` (short), ``ddb_applied`` (a phrase for the
    text) and ``n_excluded``.

    ``problem`` is why the caller could not load the labels or the networks (the message of the
    error it caught, which names the stale or missing file and the chapter to re-run); with it,
    or when ``labels`` is None, or when no network is given, every number is NaN and the status
    strings give that reason -- and only that one: the networks are not blamed when the labels
    were the problem.
    """
    if problem:
        return _not_measured([problem])
    if labels is None:
        return _not_measured(["chapter 1's labels (labels.parquet) could not be read: re-run chapter 01_labeling"])
    if not any(n in model_files for n in DEPENDENCE_NETWORKS):
        files = ", ".join(f"models/{n}.pt" for n in DEPENDENCE_NETWORKS)
        why = f"chapter 4's networks ({files}) were not found for this profile: run chapter 04_ddb_training"
        return _not_measured([why])
    split = split_for_repeat(sample, n_train, n_test, seed, 0, regions)
    test = np.flatnonzero(split["part"].to_numpy() == "test")
    trained_on = set(labels.loc[labels["split"] == "train", "id"].to_numpy())
    keep = ~np.isin(split["id"].to_numpy()[test], list(trained_on))
    rows = test[keep]
    y_true = sample["y"].to_numpy()[rows]
    idc = "id" if "id" in catalog.columns else "dr7objid"
    votes = majority_vote(catalog.set_index(idc).loc[sample["id"].to_numpy()[rows]].reset_index(), "weighted_fraction")
    series = {"truth": y_true, "GZ2B labels": (votes == 1).astype(int),
              **chapter4_predictions(model_files, cache, rows, threads)}
    tab, ptab, numbers = dependence_tables(y_true, sample["region"].to_numpy()[rows], series)
    n_excluded = int((~keep).sum())
    numbers.update(n_excluded=n_excluded, ddb_status=f"applied to {len(rows):,} test galaxies",
                   ddb_applied=f"applied to {len(rows):,} test galaxies of the first repeat ({n_excluded:,} test "
                               "galaxies from chapter 4's training split left out)")
    return tab, ptab, numbers


# --- the verdict against Dhar & Shamir ---------------------------------------------------------------

def _sentence(parts: list[str], empty: str) -> str:
    if not parts:
        return empty
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def ds_verdict(swap: Mapping[str, Any], binom: Mapping[str, Any]) -> dict[str, str]:
    """Dhar & Shamir's findings, each sorted into agreeing, not agreeing or not settled by this run.

    ``swap`` is the numbers of :func:`swap_section`, ``binom`` those of
    :func:`~galbias.results.skybias.binomial_summary`.  The findings: the effect itself (the swap
    contrast and its sign test, at :data:`SIGNIFICANCE`), its size (one confounded network's mean
    ``|Δ|`` against their Tables 8 and 9), a weaker effect between neighbouring fields, their
    binomial test (its rate of false alarms on the control comparisons against
    :data:`~galbias.results.skybias.FALSE_ALARM_LIMIT`), and the direction of single experiments'
    shifts (sign test).  Returns ``ds_agree``, ``ds_disagree`` and ``ds_unsettled``: one sentence
    each ("" for an empty ``ds_unsettled``).
    """
    from .report import FALSE_ALARM_LIMIT

    agree, disagree, unsettled = [], [], []
    n_pos, n_sc, sign_p = swap["n_pos"], swap["n_sc"], swap["sign_p"]
    cases = f"{n_pos} of {n_sc} cases positive, sign test p = {sign_p:.2g}"
    if n_sc and swap["c_mean"] > 0 and sign_p < SIGNIFICANCE:
        agree.append(f"the swap contrast shows their effect ({cases})")
    elif n_sc and swap["c_mean"] > 0:
        extra = (f"; {n_sc} cases cannot give less than {swap['sign_p_min']:.3f}"
                 if np.isfinite(swap["sign_p_min"]) and swap["sign_p_min"] >= SIGNIFICANCE else "")
        unsettled.append(f"the swap contrast points their way, but not significantly ({cases}{extra})")
    else:
        disagree.append(f"the swap contrast does not show their effect ({cases})")
    paper = f"{float(abs(paper_summary().loc[9, 'p_spiral'] - paper_summary().loc[8, 'p_spiral'])):.1%}"
    size = f"one confounded network's apparent excess between two regions, {swap['swap_abs']:.1%}, is"
    if swap["size_vs_paper"] == "about as large as":
        agree.append(f"{size} about as large as theirs ({paper})")
    elif swap["size_vs_paper"] in ("smaller than", "larger than"):
        disagree.append(f"{size} {swap['size_vs_paper']} theirs ({paper})")
    c23, c12 = swap["c23"], swap["c12"]
    if swap["neighbour_word"].startswith("in line"):
        agree.append(f"the effect is weaker between the neighbouring regions 2 and 3 (C = {c23:.3f} against "
                     f"{c12:.3f} for regions 1 and 2)")
    elif swap["neighbour_word"].startswith("unlike"):
        disagree.append(f"the effect is not weaker between the neighbouring regions 2 and 3 (C = {c23:.3f} against "
                        f"{c12:.3f} for regions 1 and 2)")
    else:
        unsettled.append("the neighbouring regions could not be compared")
    ctrl, n_ctrl = binom["frac_sig_ctrl"], binom["n_ctrl"]
    if n_ctrl and np.isfinite(ctrl):
        if ctrl > FALSE_ALARM_LIMIT:
            disagree.append(f"their binomial test calls {ctrl:.0%} of the control comparisons significant, where a "
                            f"sound test would flag {SIGNIFICANCE:.0%}: it takes the noise of training for a "
                            "sky-location effect")
        else:
            agree.append(f"their binomial test calls {ctrl:.0%} of the control comparisons significant, not far "
                         f"above the nominal {SIGNIFICANCE:.0%}")
    word, shifts = binom["match_word"], f"({binom['n_match']} of {binom['n_dir']})"
    if word == "significantly more often than chance":
        agree.append(f"single experiments shift the way the favoured class predicts {word} {shifts}")
    elif word == "significantly less often than chance":
        disagree.append(f"single experiments shift the way the favoured class predicts {word} {shifts}")
    elif word != "not measured":
        unsettled.append(f"single experiments shift the way the favoured class predicts {word} {shifts}")
    return {"ds_agree": _sentence(agree, "None of their findings is borne out in this run."),
            "ds_disagree": _sentence(disagree, "Nothing in this run contradicts them."),
            "ds_unsettled": ("Not settled by this run: " + "; ".join(unsettled) + ".") if unsettled else ""}
