"""Chapter 4: the three networks of the paper's central experiment, defined once.

Every chapter that reads the networks' predictions (5, 7, 8, 9) takes their names, labels,
losses and display names from :data:`NETWORKS`.

- :func:`train_all` - train (or reuse) the three networks with :func:`galbias.methods.train.train_model`
  and write their ``p_disk_<name>`` columns into ``predictions.parquet``.
- :func:`metrics_table` - chapter 4's Table 4.1: each network's test-set classification against
  the labels it was trained on (as the paper's Table 1) and, on the simulated survey, against
  the truth (stars and artifacts that volunteers took for galaxies have no galaxy class and are
  left out of the truth columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NETWORKS", "Network", "by_name", "disk_series", "low_alpha_fractions", "metrics_table", "train_all",
           "truth_by_epoch"]


@dataclass(frozen=True)
class Network:
    """One chapter-4 network: file and column name, training labels, loss, display name."""

    name: str  #: ``models/<name>.pt`` and column ``p_disk_<name>``
    label_col: str  #: the labels it is trained on (``gz2b`` or ``gz2d``)
    loss: str  #: ``ce`` or ``ddb`` (:mod:`galbias.methods.losses`)
    title: str  #: name in tables and figures

    @property
    def column(self) -> str:
        return f"p_disk_{self.name}"


#: the three networks of chapter 4, in the order they are trained and shown
NETWORKS: tuple[Network, ...] = (
    Network("ce_gz2b", "gz2b", "ce", "CE on GZ2B"),
    Network("ce_gz2d", "gz2d", "ce", "CE on GZ2D"),
    Network("ddb", "gz2b", "ddb", "DDB on GZ2B"),
)


def by_name(name: str) -> Network:
    """The network called ``name`` (an error lists the valid names)."""
    for n in NETWORKS:
        if n.name == name:
            return n
    raise KeyError(f"unknown network {name!r}; the networks are {[n.name for n in NETWORKS]}")


def train_all(cfg: Any, labels: pd.DataFrame, theta: float, cache: Any, out_dir: str | Path,
              progress: bool = False, only: Sequence[str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Train (or reuse, when fresh) every network of :data:`NETWORKS` (or those named in
    ``only``); ``{name: TrainResult}``.

    The DDB network gets ``theta``; the others ignore it.  Extra keyword arguments go to
    :func:`galbias.methods.train.train_model`.
    """
    from ..methods.train import train_model

    chosen = [by_name(n) for n in only] if only else list(NETWORKS)
    return {n.name: train_model(cfg, n.name, labels, n.label_col, n.loss,
                                theta=theta if n.loss == "ddb" else None, cache=cache, out_dir=out_dir,
                                progress=progress, **kwargs)
            for n in chosen}


def metrics_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 4.1 from an evaluation frame (:func:`galbias.results.frames.evaluation_frame`).

    One row per network: accuracy, precision, recall and F1 against its training labels,
    accuracy and recall against the truth (where known; NaN otherwise) and the fraction of the
    galaxies it calls disk.
    """
    from ..methods.metrics import classification_metrics

    known = frame["truth"].notna().any()
    rows = []
    for n in NETWORKS:
        yhat = frame[n.name]
        m = classification_metrics(frame[n.label_col], yhat)
        row = {"network": n.title, "scored against": n.label_col.upper(),
               **{k: m[k] for k in ("accuracy", "precision", "recall", "f1")}}
        mt = classification_metrics(frame["truth"], yhat) if known else {"accuracy": np.nan, "recall": np.nan}
        row.update({"accuracy (truth)": mt["accuracy"], "recall (truth)": mt["recall"],
                    "disk fraction": float(np.mean(pd.to_numeric(yhat, errors="coerce").astype(float)))})
        rows.append(row)
    return pd.DataFrame(rows).set_index("network")


def disk_series(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Boolean "called disk" series for the GZ2B labels, the truth (when known) and each network,
    with their display names: the inputs of chapter 4's disk-fraction-vs-alpha figure."""
    series = {"gz2b": (frame["gz2b"] == 1).fillna(False).to_numpy(bool)}
    names = {"gz2b": "GZ2B labels"}
    if frame["truth"].notna().any():
        series["truth"] = (frame["truth"] == 1).fillna(False).to_numpy(bool)
        names["truth"] = "truth"
    for n in NETWORKS:
        if n.column in frame.columns:
            series[n.name] = frame[n.column].to_numpy() > 0.5
            names[n.name] = n.title
    return series, names


def low_alpha_fractions(alpha: np.ndarray, series: dict[str, np.ndarray], quantile: float = 0.2) -> dict[str, float]:
    """Fraction called disk by each series among the galaxies below the ``quantile`` of alpha
    (``lo_disk_<key>``; ``lo_disk_truth`` is NaN without the truth) and that alpha (``alpha_q20``)."""
    cut = float(np.quantile(alpha, quantile))
    lo = np.asarray(alpha) < cut
    out = {f"lo_disk_{k}": float(np.mean(v[lo])) for k, v in series.items()}
    out.setdefault("lo_disk_truth", float("nan"))
    return {**out, "alpha_q20": cut}


def truth_by_epoch(history: pd.DataFrame, best_epoch: int) -> dict[str, float]:
    """Peak validation accuracy against the truth, its epoch, and the accuracy at the epoch early
    stopping kept (NaN/0 when the history has no truth column, as for real data)."""
    if "val_acc_truth" not in history or history["val_acc_truth"].isna().all():
        return {"ddb_peak_acc": float("nan"), "ddb_peak_epoch": 0, "ddb_kept_acc": float("nan")}
    peak = history.loc[history["val_acc_truth"].idxmax()]
    kept = history.loc[history["epoch"] == best_epoch].iloc[0]
    return {"ddb_peak_acc": float(peak["val_acc_truth"]), "ddb_peak_epoch": int(peak["epoch"]),
            "ddb_kept_acc": float(kept["val_acc_truth"])}
