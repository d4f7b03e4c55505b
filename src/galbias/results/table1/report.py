"""Chapter 5's numbers and words for the text: settings, noise floors, per-row numbers, the comparison
with the paper and the evidence check (described in :mod:`galbias.results.table1`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...core import seeds
from ...methods.metrics import cv18, kdtree_cells
from ..words import noise_word
from .score import (
    INTRINSIC,
    above_floor,
    cv18_floor,
    cv18_null,
    cv18_order,
    paper_table1,
    within_cell_permutation,
)

__all__ = ["LABEL_NAMES", "ROW_KEY", "comparison_numbers", "convention_numbers", "depth_numbers",
           "depth_scan", "end_bin_fractions", "evidence_numbers", "noise_floor", "row_numbers",
           "settings_numbers"]


#: label-set keys of the frame for each row letter, and their names in figures
ROW_KEY = {"a": "gz2b", "b": "gz2d", "c": "ce_gz2b", "d": "ce_gz2d", "e": "dcv14", "f": "ddb", "truth": "truth"}


LABEL_NAMES = {"gz2b": "a) GZ2B labels", "gz2d": "b) GZ2D labels", "ce_gz2b": "c) CE on GZ2B",
               "ce_gz2d": "d) CE on GZ2D", "dcv14": "e) DCV14 on GZ2B", "ddb": "f) DDB on GZ2B", "truth": "true class"}


def settings_numbers(n_test: int, cfg: Any, n_eval: int = 0) -> dict[str, Any]:
    """The CV18 settings of this run and (as far as known) of the paper, and galaxies per bin."""
    from ...reference import PAPER_CV18_SETTINGS, PAPER_SAMPLE

    B, L = cfg.cv_alpha_bins, cfg.cv_depth
    pB, pL, pn = PAPER_CV18_SETTINGS["n_bins"], PAPER_CV18_SETTINGS["depth"], PAPER_SAMPLE["test"]
    return {"n_test": n_test, "n_eval": n_eval, "B": B, "L": L, "n_cells": 2**L, "n_boot": cfg.n_bootstrap,
            "cv14_bins": cfg.cv14_bins, "n_seeds": cfg.n_seeds,
            "per_bin": n_test / (2**L * B), "per_bin_eval": n_eval / (2**L * B), "paper_n_test": pn, "paper_B": pB,
            "paper_L": pL, "paper_n_cells": 2**pL,
            "paper_n_boot": PAPER_CV18_SETTINGS["n_boot"], "paper_per_bin": pn / (2**pL * pB)}


def noise_floor(frame: pd.DataFrame, cfg: Any, n_null: int) -> tuple[np.ndarray, dict[str, float]]:
    """CV18 of the GZ2B labels shuffled ``n_null`` times, the binomial estimate for this run and
    for the paper's test split: the metric's noise floor."""
    from ...reference import PAPER_CV18_SETTINGS, PAPER_SAMPLE

    gz2b = frame["gz2b"].to_numpy(dtype=int)
    null = cv18_null(frame["alpha"].to_numpy(float), gz2b, frame[list(INTRINSIC)].to_numpy(float), cfg, n_perm=n_null)
    paper_floor = cv18_floor(PAPER_SAMPLE["test"], PAPER_CV18_SETTINGS["n_bins"], PAPER_CV18_SETTINGS["depth"], 0.5)
    return null, {"null_mean": float(null.mean()), "null_std": float(null.std(ddof=1)),
                  "null_p95": float(np.quantile(null, 0.95)), "n_null": int(n_null),
                  "floor_formula": cv18_floor(len(frame), cfg.cv_alpha_bins, cfg.cv_depth, float(gz2b.mean())),
                  "paper_floor": paper_floor}


_NUMBER_COLUMNS = ("cv18", "cv18_std", "cv18_seed_sd", "cv18_floor", "cv18_lowref", "cv18_lowref_std", "cv14",
                   "cv14_floor", "accuracy_truth", "recall_truth", "accuracy_truth_seed_sd", "d_a", "d_a_std",
                   "d_a_seed_sd", "d_truth", "d_truth_std", "d_truth_seed_sd")


def row_numbers(summary: pd.DataFrame) -> dict[str, float]:
    """The numbers of every row of a :func:`summarise` table for the text.

    Test sample: ``<column>_<row>`` (``cv18_a``, ``cv18_floor_truth``, ``d_a_f``, ...); the
    evaluation sample: ``ev_<column>_<row>`` (NaN when there is none, as for real data).  Also
    ``n_<row>``/``ev_n_<row>``, the paper's ``paper_cv18[_std]_<row>``, ``acc_c/d`` and
    ``paper_acc_c/d``.
    """
    paper = paper_table1()
    vals: dict[str, float] = {}
    for sample, pre in (("test", ""), ("eval", "ev_")):
        T = summary[summary["sample"] == sample].set_index("row")
        for r in ROW_KEY:
            have = r in T.index
            for c in _NUMBER_COLUMNS:
                vals[f"{pre}{c}_{r}"] = float(T.loc[r, c]) if have and c in T.columns else np.nan
            vals[f"{pre}n_{r}"] = int(T.loc[r, "n"]) if have else 0
    for r in paper.index:
        vals[f"paper_cv18_{r}"] = float(paper.loc[r, "cv18"])
        vals[f"paper_cv18_std_{r}"] = float(paper.loc[r, "cv18_std"])
    T = summary[summary["sample"] == "test"].set_index("row")
    for r in "cd":
        vals[f"acc_{r}"] = float(T.loc[r, "accuracy"])
        vals[f"paper_acc_{r}"] = float(paper.loc[r, "accuracy"])
    return vals


def end_bin_fractions(frame: pd.DataFrame, n_bins: int) -> dict[str, float]:
    """Disk fraction of every label set in the lowest (``lo_<key>``) and highest (``hi_<key>``)
    of ``n_bins`` alpha quantile ranges (NaN for the truth of real data)."""
    alpha = frame["alpha"].to_numpy(float)
    lo = alpha < np.quantile(alpha, 1 / n_bins)
    hi = alpha >= np.quantile(alpha, 1 - 1 / n_bins)
    known = frame["truth"].notna().any()
    out: dict[str, float] = {"n_alpha_bins": n_bins}
    for k in LABEL_NAMES:
        v = pd.to_numeric(frame[k], errors="coerce").to_numpy(dtype=float)
        ok = known or k != "truth"
        out[f"lo_{k}"] = float(np.nanmean(v[lo])) if ok else np.nan
        out[f"hi_{k}"] = float(np.nanmean(v[hi])) if ok else np.nan
    return out


def comparison_numbers(summary: pd.DataFrame, null_mean: float, paper_floor: float) -> dict[str, Any]:
    """The comparison with the paper on the test split: row order, DDB relative to GZ2B, CV18
    above the floor, and the paired-bootstrap differences DDB - GZ2B, DCV14 - GZ2B, DDB - truth
    (mean over seeds for DDB)."""
    vals = row_numbers(summary)
    known = np.isfinite(vals["cv18_truth"])
    order_ours = cv18_order(summary, rows="abcdef", sample="test")
    order_paper = cv18_order(paper_table1().reset_index())
    return {
        "d_fa": vals["d_a_f"], "d_fa_std": vals["d_a_std_f"], "d_fa_seed_sd": vals["d_a_seed_sd_f"],
        "d_ea": vals["d_a_e"], "d_ea_std": vals["d_a_std_e"],
        "d_ft": vals["d_truth_f"], "d_ft_std": vals["d_truth_std_f"],
        "paper_d_fa": vals["paper_cv18_f"] - vals["paper_cv18_a"],
        "paper_d_fa_std": float(np.hypot(vals["paper_cv18_std_f"], vals["paper_cv18_std_a"])),
        "order_ours": order_ours, "order_paper": order_paper,
        "same_order": "the same as" if order_ours == order_paper else "different from",
        "rel_ours": vals["cv18_f"] / vals["cv18_a"], "rel_paper": vals["paper_cv18_f"] / vals["paper_cv18_a"],
        "above_a": above_floor(vals["cv18_a"], null_mean), "above_f": above_floor(vals["cv18_f"], null_mean),
        "above_truth": above_floor(vals["cv18_truth"], null_mean) if known else np.nan,
        "paper_above_a": above_floor(vals["paper_cv18_a"], paper_floor),
        "paper_above_f": above_floor(vals["paper_cv18_f"], paper_floor),
    }


def depth_scan(frame: pd.DataFrame, cfg: Any, key: str = "truth", depths: Any = (0, 1, 2, 3, 4, 5, 6),
               floor_perms: int = 5, floor_boot: int = 20) -> pd.DataFrame:
    """CV18 of one label set and its within-cell floor for several tree depths L (L = 0 is CV14
    with the cfg's alpha bins): how much of a trend with alpha the intrinsic cells absorb."""
    ok = frame[key].notna().to_numpy()
    y = frame[key].to_numpy()[ok].astype(int)
    a = frame["alpha"].to_numpy(float)[ok]
    X = frame[list(INTRINSIC)].to_numpy(float)[ok]
    rows = []
    for L in depths:
        if a.size < cfg.cv_alpha_bins * 2**int(L):
            continue
        kw = dict(n_bins=cfg.cv_alpha_bins, depth=int(L), seed=cfg.seed)
        r = cv18(a, y, X, n_boot=cfg.n_bootstrap, **kw)
        cells = kdtree_cells(X, int(L))
        rng = seeds.rng(int(cfg.seed), 18, int(L))
        fl = [cv18(a, within_cell_permutation(y, cells, rng), X, n_boot=floor_boot, **kw).mean
              for _ in range(floor_perms)]
        rows.append({"L": int(L), "cells": 2**int(L), "per bin": a.size / (cfg.cv_alpha_bins * 2**int(L)),
                     "CV18": r.mean, "± (bootstrap)": r.std, "within-cell floor": float(np.mean(fl)),
                     "CV18 / floor": r.mean / float(np.mean(fl))})
    return pd.DataFrame(rows)


def depth_numbers(scan: pd.DataFrame, key: str) -> dict[str, Any]:
    """The text's numbers of a :func:`depth_scan` of the label set called ``key``: the
    CV18-to-floor ratio at L = 3, at the deepest L and at its smallest, with a verdict (no
    depth reaches the floor while the smallest ratio is above 1.5)."""
    s3 = scan.set_index("L")
    deep = scan[scan["L"] > 0]
    return {"scan_key": key,
            "scan_ratio_L3": float(s3.loc[3, "CV18 / floor"]) if 3 in s3.index else np.nan,
            "scan_ratio_max": float(scan["CV18 / floor"].iloc[-1]), "scan_L_max": int(scan["L"].iloc[-1]),
            "scan_ratio_min": float(deep["CV18 / floor"].min()),
            "scan_L_min": int(deep.loc[deep["CV18 / floor"].idxmin(), "L"]),
            "scan_verdict": "no depth brings the truth down to its floor" if deep["CV18 / floor"].min() > 1.5
            else "a deeper tree brings the truth close to its floor"}


def _ratio_word(x: float, y: float, sd: float) -> str:
    """'at' when x lies within 2 sd of y, else 'above'/'below'."""
    return noise_word(x - y, sd, words=("below", "at", "above"), missing="not measured against")


def evidence_numbers(summary: pd.DataFrame, sample: str = "eval") -> dict[str, Any]:
    """The evidence criteria on one sample, as numbers and words for the text.

    - truth: CV18 against its within-cell floor (``truth_cv18_vs_floor``: "at" within 2 bootstrap
      sd, else "above"/"below"), CV14 against its permutation floor (``truth_cv14_ratio``);
    - GZ2B's CV18 as a multiple of the truth's (``gz2b_over_truth``);
    - DDB against CE on GZ2B and against the truth: paired differences over seeds, and how many
      paired sds the mean difference is (``f_minus_c_sigma``).
    """
    t = summary[summary["sample"] == sample].set_index("row")
    if t.empty or "truth" not in t.index:
        return {k: np.nan for k in ("truth_cv18", "truth_cv18_std", "truth_cv18_floor", "truth_cv14",
                                    "truth_cv14_floor", "truth_cv14_ratio", "truth_cv18_ratio", "gz2b_over_truth",
                                    "f_minus_c", "f_minus_c_sd", "f_minus_c_sigma")} | {
            "truth_cv18_vs_floor": "not measured against", "ddb_vs_truth": "not measured against",
            "ddb_vs_truth_meaning": ""}
    tr = t.loc["truth"]
    out = {"truth_cv18": tr["cv18"], "truth_cv18_std": tr["cv18_std"], "truth_cv18_floor": tr["cv18_floor"],
           "truth_cv14": tr["cv14"], "truth_cv14_floor": tr["cv14_floor"],
           "truth_cv14_ratio": tr["cv14"] / tr["cv14_floor"], "truth_cv18_ratio": tr["cv18"] / tr["cv18_floor"],
           "truth_cv18_vs_floor": _ratio_word(tr["cv18"], tr["cv18_floor"], tr["cv18_std"]),
           "gz2b_over_truth": t.loc["a", "cv18"] / tr["cv18"]}
    # DDB - CE on GZ2B: both relative to row a on the same resamples, so (f - a) - (c - a)
    out["f_minus_c"] = t.loc["f", "d_a"] - t.loc["c", "d_a"]
    spread = np.hypot(t.loc["f", "d_a_std"], t.loc["c", "d_a_std"])
    seed_sd = np.hypot(t.loc["f", "d_a_seed_sd"], t.loc["c", "d_a_seed_sd"])
    out["f_minus_c_sd"] = float(np.hypot(spread, seed_sd)) if np.isfinite(seed_sd) else float(spread)
    out["f_minus_c_sigma"] = out["f_minus_c"] / out["f_minus_c_sd"] if out["f_minus_c_sd"] > 0 else np.nan
    f = t.loc["f"]
    out["ddb_vs_truth"] = _ratio_word(f["cv18"], tr["cv18"], float(np.hypot(f["d_truth_std"], f.get("d_truth_seed_sd", 0.0)
                                                                            if np.isfinite(f.get("d_truth_seed_sd", np.nan)) else 0.0)))
    out["ddb_vs_truth_meaning"] = {"below": "its labels change less with α than the true classes do: it over-corrects",
                                   "above": "some of the labels' bias is left",
                                   "at": "as much as the true classes do"}.get(out["ddb_vs_truth"], "")
    return {k: (float(v) if not isinstance(v, str) else v) for k, v in out.items()}


def convention_numbers(conv: pd.DataFrame, f_disk: float = 0.6) -> dict[str, Any]:
    """What Table 5.4 (:func:`~galbias.results.table1.paper_scale_check`) says: CV18 in both
    conventions at true disk fraction ``f_disk``, which convention lands nearer the paper's
    row a (``convention_word``: "lowest" or "highest"), the paper's theta and its row a."""
    from ...reference import PAPER_THETA

    row = conv.set_index("true disk fraction").loc[f_disk]
    high, low = float(row["CV18 (highest-α ref.)"]), float(row["CV18 (lowest-α ref.)"])
    paper = paper_table1().loc["a"]
    return {"conv_high_06": high, "conv_low_06": low, "conv_high_max": float(conv["CV18 (highest-α ref.)"].max()),
            "convention_word": "lowest" if abs(low - paper["cv18"]) < abs(high - paper["cv18"]) else "highest",
            "paper_theta": PAPER_THETA["ddb"],
            "paper_a_cv18": float(paper["cv18"]), "paper_a_cv18_std": float(paper["cv18_std"])}
