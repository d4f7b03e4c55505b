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

__all__ = ["NETWORKS", "Member", "Network", "by_name", "disk_series", "low_alpha_fractions", "members",
           "implied_disk_fractions", "metrics_table", "seed_spread", "train_all", "truth_by_epoch"]


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


@dataclass(frozen=True)
class Member:
    """One training of a network: seed ``k`` (0, 1, ...) of ``network``.

    Seed 0 is ``cfg.seed`` and keeps the network's own name (``models/ddb.pt``,
    ``p_disk_ddb``); seed ``k > 0`` is ``cfg.seed + k`` and is called ``<name>_s<k>``.
    """

    network: Network
    k: int

    @property
    def name(self) -> str:
        return self.network.name if self.k == 0 else f"{self.network.name}_s{self.k}"

    @property
    def column(self) -> str:
        return f"p_disk_{self.name}"

    def seed(self, cfg: Any) -> int:
        return int(cfg.seed) + self.k


def members(n_seeds: int, networks: Sequence[Network] = NETWORKS) -> list[Member]:
    """Every training of chapter 4: each network of ``networks`` with seeds ``0 .. n_seeds-1``
    (network by network)."""
    if int(n_seeds) < 1:
        raise ValueError(f"n_seeds must be at least 1, got {n_seeds}")
    return [Member(n, k) for n in networks for k in range(int(n_seeds))]


def by_name(name: str) -> Network:
    """The network called ``name`` (an error lists the valid names)."""
    for n in NETWORKS:
        if n.name == name:
            return n
    raise KeyError(f"unknown network {name!r}; the networks are {[n.name for n in NETWORKS]}")


def train_all(cfg: Any, labels: pd.DataFrame, theta: float, cache: Any, out_dir: str | Path,
              progress: bool = False, only: Sequence[str] | None = None, n_seeds: int | None = None,
              **kwargs: Any) -> dict[str, Any]:
    """Train (or reuse, when fresh) every network of :data:`NETWORKS` (or those named in
    ``only``) with ``n_seeds`` seeds (default ``cfg.n_seeds``); ``{member name: TrainResult}``.

    The DDB network gets ``theta``; the others ignore it.  Extra keyword arguments go to
    :func:`galbias.methods.train.train_model`.  A finished training is kept on disk before the
    next starts, so an interrupted call resumes with the training it was in.
    """
    import time

    from ..methods.train import train_model

    chosen = [by_name(n) for n in only] if only else list(NETWORKS)
    todo = members(cfg.n_seeds if n_seeds is None else n_seeds, chosen)
    out = {}
    for i, m in enumerate(todo, 1):
        t0 = time.perf_counter()
        n = m.network
        out[m.name] = train_model(cfg, m.name, labels, n.label_col, n.loss, theta=theta if n.loss == "ddb" else None,
                                  cache=cache, out_dir=out_dir, seed=m.seed(cfg), progress=progress, **kwargs)
        if progress:
            how = "reused" if out[m.name].reused else "trained"
            print(f"[galbias] network {i}/{len(todo)}: {m.name} (seed {m.seed(cfg)}) {how} in "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
    return out


def metrics_table(frame: pd.DataFrame, n_seeds: int = 1) -> pd.DataFrame:
    """Table 4.1 from an evaluation frame (:func:`galbias.results.frames.evaluation_frame`).

    One row per training (network and seed): accuracy, precision, recall and F1 against its
    training labels, accuracy and recall against the truth (where known; NaN otherwise) and
    the fraction of the galaxies it calls disk.  :func:`seed_spread` summarises over seeds.
    """
    from ..methods.metrics import classification_metrics, hard_labels

    known = frame["truth"].notna().any()
    rows = []
    for m in members(n_seeds):
        n = m.network
        yhat = frame[m.name] if m.name in frame.columns else hard_labels(frame[m.column])
        c = classification_metrics(frame[n.label_col], yhat)
        row = {"network": n.title, "seed": m.k, "scored against": n.label_col.upper(),
               **{k: c[k] for k in ("accuracy", "precision", "recall", "f1")}}
        mt = classification_metrics(frame["truth"], yhat) if known else {"accuracy": np.nan, "recall": np.nan}
        row.update({"accuracy (truth)": mt["accuracy"], "recall (truth)": mt["recall"],
                    "disk fraction": float(np.mean(pd.to_numeric(yhat, errors="coerce").astype(float)))})
        rows.append(row)
    return pd.DataFrame(rows)


def seed_spread(table: pd.DataFrame, by: str | list[str] = "network", ddof: int = 1) -> pd.DataFrame:
    """Mean and standard deviation (``ddof``; NaN for one seed) over the seeds of every numeric
    column of a per-seed table, as "mean ± sd" strings, one row per ``by``."""
    num = [c for c in table.columns if c not in ([by] if isinstance(by, str) else by) and c != "seed"
           and pd.api.types.is_numeric_dtype(table[c])]
    g = table.groupby(by, sort=False)[num]
    mean, sd = g.mean(), g.std(ddof=ddof)
    out = mean.copy().astype(object)
    for c in num:
        out[c] = [f"{m:.3f} ± {s:.3f}" if np.isfinite(s) else f"{m:.3f}" for m, s in zip(mean[c], sd[c])]
    out.insert(0, "seeds", g.size())
    return out


def disk_series(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, str]]:  # seed 0 of each network
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


def implied_disk_fractions(frame: pd.DataFrame, theta: float, n_bins: int = 5,
                           networks: Sequence[str] = ("ce_gz2b", "ddb")) -> pd.DataFrame:
    """What the bias model asks of DDB, per equal-count alpha bin (truth-free, except the last column).

    For the GZ2B labels of ``frame`` (e.g. the balanced validation and test splits, drawn like
    the training split): the label disk fraction, the mean b(alpha; theta), and the true disk
    fraction the model implies, ``f~_d / (1 - mean b)`` -- a value above 1 means the labels hold
    more disks than the model allows, so the DDB likelihood is best served by calling every
    galaxy of that bin a disk unless its image says otherwise.  Then each network's disk
    fraction (``p_disk > 0.5``) and, where known, the true disk fraction.
    """
    from ..data.binning import equal_count_bins
    from ..methods.bias import bias_probability

    alpha = frame["alpha"].to_numpy(float)
    b = equal_count_bins(alpha, n_bins)
    lab = pd.to_numeric(frame["gz2b"], errors="coerce").to_numpy(float)
    bias = bias_probability(alpha, float(theta))
    rows = []
    for k in range(n_bins):
        s = b == k
        f_lab = float(np.nanmean(lab[s]))
        mb = float(bias[s].mean())
        row = {"alpha bin": k + 1, "α range": f"{alpha[s].min():.1f}–{alpha[s].max():.1f}",
               "GZ2B disk fraction": f_lab, "mean b(α; θ)": mb, "implied true disk fraction": f_lab / (1 - mb)}
        for n in networks:
            col = f"p_disk_{n}"
            if col in frame.columns:
                row[f"{by_name(n).title}: disk fraction"] = float((frame.loc[s, col].to_numpy(float) > 0.5).mean())
        t = pd.to_numeric(frame.loc[s, "truth"], errors="coerce").to_numpy(float) if "truth" in frame else np.array([])
        row["true disk fraction"] = float(np.nanmean(t)) if np.isfinite(t).any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("alpha bin")


def stopping_words(by_epoch: dict[str, dict[str, float]], tol: float = 0.005) -> dict[str, Any]:
    """Does early stopping keep the epoch where DDB is closest to the truth?  From
    :func:`truth_by_epoch` of every DDB seed: the mean gap (peak minus kept accuracy), its seed
    sd, and words for the text.  The gap counts as small when it is below ``tol`` or within
    two seed sds of zero."""
    gaps = np.array([d["ddb_peak_acc"] - d["ddb_kept_acc"] for d in by_epoch.values()], dtype=float)
    if gaps.size == 0 or not np.isfinite(gaps).all():
        return {"stop_gap": np.nan, "stop_gap_sd": np.nan, "peak_word": "cannot be scored against the truth",
                "stop_cost_word": "cannot be measured without the truth"}
    gap = float(gaps.mean())
    sd = float(gaps.std(ddof=1)) if gaps.size > 1 else 0.0
    small = gap <= max(tol, 2 * sd)
    return {"stop_gap": gap, "stop_gap_sd": sd,
            "peak_word": "peaks at or near the epoch early stopping keeps" if small
            else "peaks before the epoch early stopping keeps",
            "stop_cost_word": "costs little" if small else f"costs {gap:.3f} in accuracy against the truth"}


def low_bin_word(fraction: float, truth: float, n: int) -> str:
    """'overshoots', 'falls short of' or 'matches' the true disk fraction of a bin of ``n``
    galaxies (matches: within two binomial standard deviations)."""
    if not (np.isfinite(fraction) and np.isfinite(truth)) or n <= 0:
        return "cannot be compared with"
    sd = np.sqrt(max(truth * (1 - truth), 1e-12) / n)
    if abs(fraction - truth) <= 2 * sd:
        return "matches"
    return "overshoots" if fraction > truth else "falls short of"


def paper_accuracy_word(ours: float, ours_sd: float, paper: float, n: int) -> str:
    """Our accuracy against the training labels beside the paper's: 'close to' when within two
    standard deviations (seed sd and the binomial sd of ``n`` test galaxies combined), else
    'below' or 'above'."""
    if not (np.isfinite(ours) and np.isfinite(paper)) or n <= 0:
        return "not comparable with"
    sd = float(np.hypot(ours_sd if np.isfinite(ours_sd) else 0.0, np.sqrt(ours * (1 - ours) / n)))
    if abs(ours - paper) <= 2 * sd:
        return "close to"
    return "below" if ours < paper else "above"
