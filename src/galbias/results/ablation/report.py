"""Chapter 10's tables, numbers and verdict words (described in :mod:`galbias.results.ablation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..words import noise_word
from .experiment import METHODS, SCENARIOS, SELECTIONS

__all__ = ["recall_curves", "selection_table", "summary_table", "verdict_numbers", "verdict_words"]


def summary_table(table: pd.DataFrame, selection: str = "val_loss", factor: float = 1.0,
                  columns: Sequence[str] = ("accuracy_truth", "recall_truth_lowalpha", "cv18", "cv18_lowref")
                  ) -> pd.DataFrame:
    """Method x scenario: mean ± sd (over seeds, ddof = 1) of ``columns`` for one selection rule
    (DCV14 has only its EM fit) and theta factor."""
    t = table[((table["selection"] == selection) | (table["method"] == "dcv14")) & (table["theta_factor"] == factor)]
    g = t.groupby(["method", "scenario"], sort=False)[list(columns)]
    mean, sd = g.mean(), g.std(ddof=1)
    out = mean.copy().astype(object)
    for c in columns:
        out[c] = [f"{m:.3f} ± {v:.3f}" if np.isfinite(v) else f"{m:.3f}" for m, v in zip(mean[c], sd[c])]
    order = [m for m in METHODS if m in out.index.get_level_values(0)]
    return out.unstack("scenario").reindex(order)


def _mean_sd(t: pd.DataFrame, col: str) -> tuple[float, float, int]:
    v = t[col].to_numpy(float)
    return float(np.mean(v)), float(np.std(v, ddof=1)) if v.size > 1 else float("nan"), int(v.size)


def verdict_numbers(table: pd.DataFrame, selection: str = "val_loss") -> dict[str, Any]:
    """The chapter's numbers: per scenario, DDB minus CE-on-GZ2B truth accuracy (mean and seed sd
    of the per-seed differences), the best method on the realistic scenario (S2) by mean truth
    accuracy under ``selection`` (theta factor 1) and its difference from DCV14, and whether the
    S1 check (DDB at least 0.05 above CE) holds."""
    out: dict[str, Any] = {}
    t = table[table["theta_factor"] == 1.0]
    sel = t[(t["selection"] == selection) | (t["method"] == "dcv14")]
    for key, name in SCENARIOS.items():
        sc = sel[sel["scenario"] == name]
        if sc.empty:
            continue
        piv = sc.pivot_table(index="seed", columns="method", values="accuracy_truth")
        for m in piv.columns:
            out[f"{key}_acc_{m}"], out[f"{key}_acc_sd_{m}"], _ = _mean_sd(sc[sc["method"] == m], "accuracy_truth")
            out[f"{key}_low_{m}"], out[f"{key}_low_sd_{m}"], _ = _mean_sd(sc[sc["method"] == m], "recall_truth_lowalpha")
        if {"ddb", "ce_gz2b"} <= set(piv.columns):
            d = (piv["ddb"] - piv["ce_gz2b"]).to_numpy()
            out[f"{key}_ddb_minus_ce"] = float(d.mean())
            out[f"{key}_ddb_minus_ce_sd"] = float(d.std(ddof=1)) if d.size > 1 else float("nan")
        means = sc.groupby("method")["accuracy_truth"].mean()
        best = str(means.idxmax())
        out[f"{key}_best"] = best
        out[f"{key}_best_acc"] = float(means.max())
        if "dcv14" in piv.columns and best != "dcv14":
            d = (piv[best] - piv["dcv14"]).to_numpy()
            out[f"{key}_best_minus_dcv14"] = float(d.mean())
            out[f"{key}_best_minus_dcv14_sd"] = float(d.std(ddof=1)) if d.size > 1 else float("nan")
        else:
            out[f"{key}_best_minus_dcv14"], out[f"{key}_best_minus_dcv14_sd"] = 0.0, float("nan")
        cnn = means.drop(labels=["dcv14"], errors="ignore")
        out[f"{key}_best_cnn"] = bc = str(cnn.idxmax()) if len(cnn) else ""
        out[f"{key}_best_cnn_acc"] = float(cnn.max()) if len(cnn) else float("nan")
        if bc and "dcv14" in piv.columns:
            d = (piv[bc] - piv["dcv14"]).to_numpy()
            out[f"{key}_best_cnn_minus_dcv14"] = float(d.mean())
            out[f"{key}_best_cnn_minus_dcv14_sd"] = float(d.std(ddof=1)) if d.size > 1 else float("nan")
            out[f"{key}_cnn_vs_dcv14"] = ("beats" if d.mean() > 2 * max(float(np.std(d, ddof=1)) if d.size > 1 else 0, 1e-9)
                                          else "falls short of" if d.mean() < -2 * (float(np.std(d, ddof=1)) if d.size > 1
                                                                                    else 0) else "ties with")
    # what the bias-metric stopping rules pick: the disk fraction of DDB's chosen epoch (S2)
    for rule in ("val_cv14", "val_cv18"):
        r = table[(table["scenario"] == SCENARIOS["S2"]) & (table["method"] == "ddb") & (table["theta_factor"] == 1.0)
                  & (table["selection"] == rule)]
        out[f"S2_{rule}_disk_fraction"] = float(r["disk_fraction"].mean()) if len(r) else float("nan")
    out["s1_check"] = bool(out.get("S1_ddb_minus_ce", np.nan) >= 0.05)
    return out


def _diff_word(d: float, sd: float, up: str, tie: str, down: str) -> str:
    """``up``/``down`` when the mean difference exceeds two seed sds, else ``tie``."""
    return noise_word(d, sd, words=(down, tie, up), missing="could not be measured")


def verdict_words(table: pd.DataFrame, selection: str = "val_loss") -> dict[str, Any]:
    """Words for the chapter's prose and summary, computed from :func:`verdict_numbers` and the
    table, so that the text reads right whichever way the trainings come out.

    - ``<S>_gain_word``: DDB against CE on GZ2B ("beats", "ties with", "falls behind");
    - ``<S>_degenerate``: a note when DDB calls (almost) every scoring galaxy one class
      (below 3 % or above 97 % disks), which makes its accuracy a class fraction;
    - ``s2_vs_s1_word``: how much of its S1 advantage DDB keeps with the simulated volunteers;
    - ``theta_word``: whether a factor of two in θ moves the accuracy by more than the seed sd;
    - ``shape_word``: the two-parameter shape against the half-Gaussian in S2;
    - ``ema_word``: the weight average against the paper's rule for DDB in S2.
    """
    v = verdict_numbers(table, selection)
    out: dict[str, Any] = {}
    t1 = table[(table["theta_factor"] == 1.0) & (table["selection"] == selection)]
    for key, name in SCENARIOS.items():
        out[f"{key}_gain_word"] = _diff_word(v.get(f"{key}_ddb_minus_ce", np.nan),
                                             v.get(f"{key}_ddb_minus_ce_sd", np.nan),
                                             "beats", "ties with", "falls behind")
        frac = t1[(t1["scenario"] == name) & (t1["method"] == "ddb")]["disk_fraction"].mean()
        out[f"{key}_degenerate"] = (f" (but DDB calls {frac:.0%} of the scoring galaxies disks: it has learnt one "
                                    "class, and its accuracy is just the share of that class)"
                                    if np.isfinite(frac) and (frac < 0.03 or frac > 0.97) else "")
    g1, g2 = v.get("S1_ddb_minus_ce", np.nan), v.get("S2_ddb_minus_ce", np.nan)
    sd2 = v.get("S2_ddb_minus_ce_sd", np.nan)
    sd2 = sd2 if np.isfinite(sd2) else 0.0
    if not (np.isfinite(g1) and np.isfinite(g2)) or g1 <= 0:
        out["s2_vs_s1_word"] = "cannot be compared with its S1 result"
    elif g2 <= 2 * sd2:
        out["s2_vs_s1_word"] = "loses its S1 advantage: its gain there is within twice the seed spread"
    elif g2 >= g1 - 2 * sd2:
        out["s2_vs_s1_word"] = "keeps its S1 advantage"
    else:
        out["s2_vs_s1_word"] = "keeps part of its S1 advantage"
    mis = table[(table["method"] == "ddb") & (table["selection"] == selection)]
    moved = []
    for key in ("S1", "S2"):
        sc = mis[mis["scenario"] == SCENARIOS[key]]
        piv = sc.pivot_table(index="seed", columns="theta_factor", values="accuracy_truth")
        if 1.0 not in piv.columns:
            continue
        for f in (0.5, 2.0):
            if f in piv.columns:
                d = (piv[f] - piv[1.0]).to_numpy()
                sd = float(d.std(ddof=1)) if d.size > 1 else 0.0
                moved.append(abs(float(d.mean())) > 2 * sd)
    out["theta_word"] = ("could not be measured" if not moved else
                         "changes the truth accuracy by more than twice the seed spread" if all(moved) else
                         "changes the truth accuracy by more than twice the seed spread in some cases only"
                         if any(moved) else "changes the truth accuracy by no more than twice the seed spread")
    s2 = t1[t1["scenario"] == SCENARIOS["S2"]]
    piv = s2.pivot_table(index="seed", columns="method", values="accuracy_truth")
    if {"ddb", "ddb_shape"} <= set(piv.columns):
        d = (piv["ddb_shape"] - piv["ddb"]).to_numpy()
        out["shape_word"] = _diff_word(float(d.mean()), float(d.std(ddof=1)) if d.size > 1 else 0.0,
                                       "improves on", "ties with", "does worse than")
    else:
        out["shape_word"] = "was not compared with"
    ema = table[(table["scenario"] == SCENARIOS["S2"]) & (table["method"] == "ddb") & (table["theta_factor"] == 1.0)]
    piv = ema.pivot_table(index="seed", columns="selection", values="accuracy_truth")
    if {"ema", selection} <= set(piv.columns):
        d = (piv["ema"] - piv[selection]).to_numpy()
        out["ema_word"] = _diff_word(float(d.mean()), float(d.std(ddof=1)) if d.size > 1 else 0.0,
                                     "does better than", "does as well as", "does worse than")
    else:
        out["ema_word"] = "was not compared with"
    return out


def selection_table(table: pd.DataFrame, methods: Sequence[str] = ("ddb", "ce_gz2b")) -> pd.DataFrame:
    """Rule x (scenario, method): mean truth accuracy ± seed sd and the mean epoch each rule picked
    (theta factor 1)."""
    t = table[(table["theta_factor"] == 1.0) & table["method"].isin(list(methods)) & (table["selection"] != "em")]
    g = t.groupby(["selection", "scenario", "method"], sort=False)
    acc = g["accuracy_truth"].agg(["mean", "std"])
    ep = g["epoch"].mean()
    cell = pd.Series([f"{m:.3f} ± {s:.3f} (epoch {e:.1f})" for (m, s), e in zip(acc.to_numpy(), ep.to_numpy())],
                     index=acc.index)
    return cell.unstack(["scenario", "method"]).reindex(list(SELECTIONS))


def recall_curves(table: pd.DataFrame, scenario: str = "S2", selection: str = "val_loss",
                  methods: Sequence[str] = ("ce_gz2b", "ddb", "ddb_shape", "degrade+ddb", "dcv14")) -> pd.DataFrame:
    """Recall of true disks per alpha fifth (mean and seed sd) for the main methods of one scenario."""
    t = table[(table["scenario"] == SCENARIOS[scenario]) & (table["theta_factor"] == 1.0)
              & ((table["selection"] == selection) | (table["method"] == "dcv14")) & table["method"].isin(list(methods))]
    cols = [f"recall_a{k}" for k in range(1, 6)]
    mean = t.groupby("method", sort=False)[cols].mean()
    sd = t.groupby("method", sort=False)[cols].std(ddof=1)
    return pd.concat({"mean": mean, "sd": sd}, axis=1)
