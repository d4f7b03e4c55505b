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
    region_dependence,
    swap_contrast,
)

__all__ = ["DEPENDENCE_NETWORKS", "balance_verdict", "chapter4_predictions", "contrast_verdict",
           "dependence_tables", "region_dependence_section", "swap_section"]

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
    (``frac_chi2_sig``), the test galaxies of one region, both classes (``n_test_2``), and both verdicts.
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

    return sc, tab, {
        "contrast_verdict": contrast_verdict(c_mean, sign_p, len(sc)),
        "bal_verdict": balance_verdict(bal_abs, swap_abs, bal_t),
        "bal_mean": _mean(bal), "bal_sd": _sd(bal), "bal_t": bal_t, "n_bal": len(bal), "n_bal_pos": int((bal > 0).sum()),
        "c_sd": _sd(sc["contrast"]), "n_sc": len(sc), "n_pos": n_pos, "sign_p": sign_p, "c_mean": c_mean,
        "c_min": float(sc["contrast"].min()), "c_max": float(sc["contrast"].max()), "bal_abs": bal_abs,
        "swap_abs": swap_abs, "r_abs": _mean(sc["region_effect"].abs()),
        "c12": pair("1 vs 2", "swap contrast C"), "c23": pair("2 vs 3", "swap contrast C"),
        "n_rep23": int(tab.loc["2 vs 3", "repeats"]) if "2 vs 3" in tab.index else 0,
        "n_test_2": int(single[["tn", "fp", "fn", "tp"]].sum(axis=1).max()) if len(single) else 0,
        "frac_chi2_sig": _mean(confounded["p_value"] < SIGNIFICANCE) if len(confounded) else float("nan"),
    }


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
    recall = rows["GZ2B labels"]["recall_disk"] if "GZ2B labels" in rows else pd.Series(dtype=float)
    if recall.notna().any():
        numbers["worst_gz2b"] = int(recall.idxmin())
    ddb = next((n.title for n in NETWORKS if n.name == "ddb"), "")
    numbers["p_ddb_all"] = float(tests.get(ddb, {}).get("chi2_all", np.nan))
    numbers["p_ddb_smooth"] = float(tests.get(ddb, {}).get("chi2_smooth", np.nan))
    numbers["ddb_verdict"] = dependence_verdict(numbers["p_gz2b_disk"], numbers["p_ce_disk"], numbers["p_ddb_disk"])
    return tab, ptab, numbers


def _nan_numbers() -> dict[str, Any]:
    """Every number of :func:`dependence_tables`, NaN (or -1 for a region), as defaults."""
    nan = float("nan")
    suffixes = ("gz2b", *DEPENDENCE_NETWORKS.values())
    return {"spread_truth": nan, **{f"spread_{s}": nan for s in suffixes}, **{f"rspread_{s}": nan for s in suffixes},
            **{f"p_{s}_disk": nan for s in suffixes}, "p_ddb_all": nan, "p_ddb_smooth": nan, "worst_gz2b": -1}


def _not_measured(missing: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The section's tables and numbers when it cannot be measured; ``missing`` says why."""
    note = "not measured: " + "; ".join(missing)
    numbers = {**_nan_numbers(), "n_excluded": 0, "ddb_status": note, "ddb_verdict": "not measured in this run",
               "ddb_applied": "not applied, because " + " and ".join(missing) + ", so every number of this section "
                              "is nan (has chapter 4 been run for this profile?)"}
    frame = pd.DataFrame({"note": [note]})
    return frame, frame.copy(), numbers


def region_dependence_section(sample: pd.DataFrame, catalog: pd.DataFrame, cache: Any, n_train: int, n_test: int,
                              seed: int, model_files: Mapping[str, str | Path], labels: pd.DataFrame | None,
                              regions: list[int] | None = None, threads: int | None = 1
                              ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Tables 9.8, 9.9 and the numbers of the last section.

    The test galaxies of the first repeat (:func:`split_for_repeat` with ``seed``), less those
    in chapter 1's training split (``labels``, ``split == "train"``), classified by the truth,
    the volunteers' majority vote (GZ2B labels, from ``catalog``) and the networks of
    :func:`chapter4_predictions` (``cache`` holds the images of ``sample``, row for row); then
    :func:`dependence_tables`.  Adds ``ddb_status`` (short), ``ddb_applied`` (a phrase for the
    text) and ``n_excluded``.  When ``labels`` is None (missing or stale) or no network is found,
    every number is NaN and the status strings say what was missing.
    """
    missing = [] if labels is not None else ["chapter 1's labels (labels.parquet) are missing or out of date"]
    if not any(n in model_files for n in DEPENDENCE_NETWORKS):
        files = ", ".join(f"models/{n}.pt" for n in DEPENDENCE_NETWORKS)
        missing.append(f"chapter 4's networks ({files}) were not found for this profile")
    if missing:
        return _not_measured(missing)
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
