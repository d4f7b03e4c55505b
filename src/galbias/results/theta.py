"""Chapter 3: estimating theta from the labels, the DCV14 baseline, and the volunteers' true bias.

- :func:`fit_training_theta` - the paper's binned fit on the training split's GZ2B labels and,
  on the simulated survey, the same model fitted to the true disks alone (the bias the
  volunteers really had); :func:`write_theta` writes ``theta.json`` once, with its manifest.
- :func:`bin_scan` - theta for several bin counts (skipping counts with too few galaxies per bin).
- :func:`fit_dcv14_split` - DCV14 (EM with a logistic regression on Sérsic n, ellipticity and
  half-light radius) on the training split, applied to the test split;
  :func:`write_dcv14` writes ``dcv14.json`` and ``dcv14_predictions.parquet``.
- :func:`comparison_table` - Table 3.2: the estimates side by side with the paper's.
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
from ..reference import PAPER_THETA

__all__ = ["FEATURES", "TrainingTheta", "bin_scan", "comparison_table", "fit_dcv14_split", "fit_training_theta",
           "write_dcv14", "write_theta"]

#: DCV14's features (Cabrera-Vives et al. 2014): single-Sérsic index, ellipticity, half-light radius
FEATURES = ["sersic_n", "sersic_e", "sersic_re_kpc"]


class TrainingTheta:
    """The theta fits of chapter 3: ``fit`` (GZ2B, training split) and ``volunteers`` (true
    disks only; None without the truth), with the true smooth fraction ``true_f_s``."""

    def __init__(self, fit: ThetaFit, volunteers: ThetaFit | None, true_f_s: float):
        self.fit, self.volunteers, self.true_f_s = fit, volunteers, true_f_s

    def to_dict(self) -> dict[str, Any]:
        """The ``theta.json`` document."""
        d = {**self.fit.to_dict(), "label": "gz2b", "split": "train", "paper_theta": PAPER_THETA["ddb"]}
        if self.volunteers is not None:
            d.update(theta_volunteers=self.volunteers.theta, theta_volunteers_std=self.volunteers.theta_std,
                     true_f_s=self.true_f_s)
        return d


def fit_training_theta(labels: pd.DataFrame, n_bins: int, n_boot: int, seed: int) -> TrainingTheta:
    """The binned fit on the training GZ2B labels, and (with the truth) on the true disks.

    The true-disk fit uses ``max(10, min(n_bins, n_disks // 20))`` bins; its ``f_s`` is the
    floor of the volunteers' bias (true disks called smooth even when perfectly resolved).
    """
    train = labels[labels["split"] == "train"]
    fit = fit_theta(train["alpha"].to_numpy(), train["gz2b"].to_numpy(), n_bins=n_bins, n_boot=n_boot, seed=seed)
    if not has_truth(train):
        return TrainingTheta(fit, None, float("nan"))
    disks = train["truth"].to_numpy(dtype=float) == 1
    nb = max(10, min(n_bins, int(disks.sum() // 20)))
    vol = fit_theta(train.loc[disks, "alpha"].to_numpy(), train.loc[disks, "gz2b"].to_numpy(), n_bins=nb,
                    n_boot=n_boot, seed=seed)
    return TrainingTheta(fit, vol, float((train["truth"] == 0).mean()))


def write_theta(path: str | Path, result: TrainingTheta, params: dict[str, Any], labels_path: str | Path) -> Path:
    """Write ``theta.json`` (atomically) and its manifest."""
    artifacts.write_json(path, result.to_dict())
    artifacts.write_manifest(path, params, {"labels": labels_path}, code="theta")
    return Path(path)


def bin_scan(labels: pd.DataFrame, bin_counts: Sequence[int], min_per_bin: int = 5) -> pd.DataFrame:
    """:func:`galbias.methods.bias.theta_vs_bins` on the training GZ2B labels for the bin counts
    that leave at least ``min_per_bin`` galaxies per bin."""
    train = labels[labels["split"] == "train"]
    counts = [b for b in bin_counts if len(train) / b >= min_per_bin]
    return theta_vs_bins(train["alpha"].to_numpy(), train["gz2b"].to_numpy(), counts)


def fit_dcv14_split(labels: pd.DataFrame, theta0: float, seed: int) -> tuple[DCV14Result, pd.DataFrame]:
    """DCV14 fitted on the training galaxies that have a Sérsic fit, and its test-split predictions
    (``id, split, p_disk_dcv14, dcv14``; no label without a Sérsic fit)."""
    train = labels[labels["split"] == "train"]
    test = labels[labels["split"] == "test"]
    ok_tr = train[FEATURES].notna().all(axis=1).to_numpy()
    dc = fit_dcv14(train.loc[ok_tr, FEATURES], train.loc[ok_tr, "alpha"].to_numpy(), train.loc[ok_tr, "gz2b"].to_numpy(),
                   theta0=theta0, seed=seed)
    ok_te = test[FEATURES].notna().all(axis=1).to_numpy()
    p_disk = np.full(len(test), np.nan)
    p_disk[ok_te] = dc.predict_proba(test.loc[ok_te, FEATURES])
    label = pd.array((p_disk > 0.5).astype(int), dtype="Int8")
    label[~ok_te] = pd.NA
    pred = pd.DataFrame({"id": test["id"].to_numpy(), "split": "test", "p_disk_dcv14": p_disk, "dcv14": label})
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
    """Table 3.2: theta, its bootstrap spread and f_s for each estimate, beside the paper's."""
    vol = result.volunteers
    return pd.DataFrame({
        "θ": [result.fit.theta, dc.theta, vol.theta if vol else np.nan],
        "± (bootstrap)": [result.fit.theta_std, np.nan, vol.theta_std if vol else np.nan],
        "f_s": [result.fit.f_s, np.nan, result.true_f_s],
        "paper (real GZ2)": [PAPER_THETA["ddb"], PAPER_THETA["dcv14"], np.nan],
    }, index=["binned fit of GZ2B fractions (θ_DDB)", "DCV14 EM", "volunteers' bias measured from the truth"])
