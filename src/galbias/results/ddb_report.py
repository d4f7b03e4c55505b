"""Chapter 4's numbers for the text, from the trainings of :mod:`galbias.results.networks`
(which trains; this module only reports, so editing it never retrains a network).  The
chapter's figures are drawn by :mod:`galbias.compendium.plots`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import networks
from .scorecard import compare
from .table1 import paper_table1

TITLES = {n.name: n.title for n in networks.NETWORKS}
CURVE_KEYS = ("gz2b", "dcv14", "ce_gz2b", "ce_gz2d", "ddb")


def training_numbers(cfg: Any, trainings: Sequence[networks.Member], results: Mapping[str, Any]) -> dict[str, Any]:
    """Training time, seeds, and the best and last epoch of every member."""
    return {"train_minutes": sum(r.seconds for r in results.values()) / 60, "n_trainings": len(trainings),
            "n_seeds": cfg.n_seeds,
            "seed_list": ", ".join(str(m.seed(cfg)) for m in trainings if m.network.name == "ddb"),
            **{f"best_epoch_{n}": r.best_epoch for n, r in results.items()},
            **{f"epochs_{n}": r.epochs_run for n, r in results.items()}}


def curve_groups(trainings: Sequence[networks.Member]) -> dict[str, list[str]]:
    """Label sets and networks (all seeds) for :func:`galbias.results.curves.truth_curves`."""
    groups = {"gz2b": ["gz2b"], "dcv14": ["dcv14"]}
    groups.update({n.name: [m.name for m in trainings if m.network is n] for n in networks.NETWORKS})
    return groups


def curve_end_numbers(curves: pd.DataFrame | None) -> dict[str, float]:
    """Recall and excess disk fraction in the lowest and highest alpha bin of
    :func:`galbias.results.curves.truth_curves` (NaN for every key without curves: real data or
    no evaluation sample)."""
    if curves is None:
        return {**{f"{q}_{k}": np.nan for q in ("rec_lo", "rec_lo_sd", "rec_hi", "exc_lo", "exc_hi")
                   for k in CURVE_KEYS}, "alpha_lo_bin": np.nan, "alpha_hi_bin": np.nan}
    lo = curves[curves["bin"] == 0].set_index("key")
    hi = curves[curves["bin"] == curves["bin"].max()].set_index("key")
    nums: dict[str, float] = {}
    for k in lo.index:
        nums |= {f"rec_lo_{k}": lo.loc[k, "recall"], f"rec_lo_sd_{k}": lo.loc[k, "recall_sd"],
                 f"rec_hi_{k}": hi.loc[k, "recall"], f"exc_lo_{k}": lo.loc[k, "excess"],
                 f"exc_hi_{k}": hi.loc[k, "excess"]}
    return nums | {"alpha_lo_bin": float(lo["alpha_mid"].iloc[0]), "alpha_hi_bin": float(hi["alpha_mid"].iloc[0])}


def stopping_numbers(trainings: Sequence[networks.Member], hist: Mapping[str, pd.DataFrame],
                     results: Mapping[str, Any]) -> dict[str, Any]:
    """DDB's best and kept validation accuracy against the truth, over the seeds, with the
    words of :func:`networks.stopping_words`."""
    by_epoch = {m.name: networks.truth_by_epoch(hist[m.name], results[m.name].best_epoch)
                for m in trainings if m.network.name == "ddb"}

    def sd(key: str) -> float:
        return float(np.std([d[key] for d in by_epoch.values()], ddof=1)) if len(by_epoch) > 1 else np.nan

    return {**{k: float(np.mean([d[k] for d in by_epoch.values()])) for k in ("ddb_peak_acc", "ddb_kept_acc")},
            "ddb_peak_epochs": ", ".join(str(d["ddb_peak_epoch"]) for d in by_epoch.values()),
            "ddb_kept_epochs": ", ".join(str(results[n].best_epoch) for n in by_epoch),
            "ddb_peak_sd": sd("ddb_peak_acc"), "ddb_kept_sd": sd("ddb_kept_acc"),
            **networks.stopping_words(by_epoch)}


def implied_numbers(implied: pd.DataFrame, n_galaxies: int, theta_doc: Mapping[str, Any],
                    truth_known: bool) -> dict[str, Any]:
    """The numbers of Table 4.2 (:func:`networks.implied_disk_fractions` of ``n_galaxies``)
    and of chapter 3's fit for the text."""
    implied_frac = implied["implied true disk fraction"]
    ddb1 = float(implied.iloc[0].get("DDB on GZ2B: disk fraction", np.nan))
    truth1 = float(implied.iloc[0]["true disk fraction"])
    dev = (implied["DDB on GZ2B: disk fraction"] - implied["true disk fraction"]).iloc[1:].abs().max()
    return {"implied_max": float(implied_frac.max()), "implied_argmax": int(implied_frac.idxmax()),
            "n_over_one": int((implied_frac > 1).sum()), "ddb_bin1": ddb1, "truth_bin1": truth1,
            "ddb_dev_rest": float(dev) if truth_known else np.nan,
            "theta_bal": float(theta_doc.get("theta_balanced", np.nan)),
            "theta_vol": float(theta_doc.get("theta_volunteers", np.nan)),
            "fs_fit": float(theta_doc["f_s"]), "fs_true": float(theta_doc.get("true_f_s", np.nan)),
            "ddb_bin1_word": networks.low_bin_word(ddb1, truth1, int(n_galaxies / len(implied))),
            "n_bins_implied": len(implied)}


def verdict_numbers(metrics: pd.DataFrame, spread: pd.DataFrame, n_test: int, n_seeds: int) -> dict[str, Any]:
    """The verdict's numbers: accuracies against the training labels beside the paper's
    (:func:`networks.paper_accuracy_word`), and DDB's gain over CE on GZ2B against the truth
    with its seed spread (:func:`galbias.results.scorecard.compare`). ``metrics`` and
    ``spread`` are the seed mean and sd of :func:`networks.metrics_table`, indexed by title."""
    paper = paper_table1()
    out: dict[str, Any] = {}
    for n in networks.NETWORKS:
        out[f"acc_{n.name}"] = float(metrics.loc[n.title, "accuracy"])
        out[f"acc_sd_{n.name}"] = float(spread.loc[n.title, "accuracy"]) if n_seeds > 1 else np.nan
    for row, net in (("c", "ce_gz2b"), ("d", "ce_gz2d")):
        out[f"paper_acc_{row}"] = paper.loc[row, "accuracy"]
        out[f"word_{row}"] = networks.paper_accuracy_word(
            float(metrics.loc[TITLES[net], "accuracy"]), float(spread.loc[TITLES[net], "accuracy"]),
            float(paper.loc[row, "accuracy"]), n_test)
    col = "accuracy (truth)"
    gain = float(metrics.loc[TITLES["ddb"], col] - metrics.loc[TITLES["ce_gz2b"], col])
    gain_sd = (float(np.hypot(spread.loc[TITLES["ddb"], col], spread.loc[TITLES["ce_gz2b"], col]))
               if n_seeds > 1 else np.nan)
    return {**out, "gain": gain, "gain_word": compare(gain, gain_sd, "positive")}
