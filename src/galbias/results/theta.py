"""Chapter 3: estimating theta from the labels, the DCV14 baseline, and the volunteers' true bias.

- :func:`fit_training_theta` - the paper's binned fit on the GZ2B labels of the training split
  and of its unbalanced parent (the one DDB uses, :data:`THETA_SAMPLE_REASON`) and,
  on the simulated survey, the same model fitted to the true disks alone (the bias the
  volunteers really had); :func:`write_theta` writes ``theta.json`` once, with its manifest.
- :func:`bin_scan` - theta for several bin counts (skipping counts with too few galaxies per bin).
- :func:`fit_dcv14_split` - DCV14 (EM with a logistic regression on Sérsic n, ellipticity and
  half-light radius) on the training split, applied to the test split and the evaluation sample;
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

__all__ = ["FEATURES", "THETA_SAMPLE", "THETA_SAMPLE_REASON", "TrainingTheta", "bin_scan", "comparison_table", "fit_dcv14_split", "fit_training_theta",
           "write_dcv14", "write_theta"]

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


def bin_scan(labels: pd.DataFrame, bin_counts: Sequence[int], min_per_bin: int = 5) -> pd.DataFrame:
    """:func:`galbias.methods.bias.theta_vs_bins` on the training GZ2B labels for the bin counts
    that leave at least ``min_per_bin`` galaxies per bin."""
    train = labels[labels["split"] == "train"]
    counts = [b for b in bin_counts if len(train) / b >= min_per_bin]
    return theta_vs_bins(train["alpha"].to_numpy(), train["gz2b"].to_numpy(), counts)


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
