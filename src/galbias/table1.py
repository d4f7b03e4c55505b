"""The paper's Table 1 (§5.4.1): the bias of every label set and method on the test split.

Rows (the paper's letters):

====  =======================  ==========================================  =================
row   method                   labels                                      trained on
====  =======================  ==========================================  =================
a     GZ2B labels              ``labels.parquet`` ``gz2b``                 –
b     GZ2D labels              ``labels.parquet`` ``gz2d``                 –
c     CE on GZ2B               ``predictions.parquet`` ``p_disk_ce_gz2b``  GZ2B
d     CE on GZ2D               ``predictions.parquet`` ``p_disk_ce_gz2d``  GZ2D
e     DCV14 on GZ2B            ``dcv14_predictions.parquet`` ``dcv14``     GZ2B
f     DDB on GZ2B              ``predictions.parquet`` ``p_disk_ddb``      GZ2B
truth true class (mock only)   ``labels.parquet`` ``truth``                –
====  =======================  ==========================================  =================

Network labels are ``p_disk > 0.5`` (:func:`galbias.evaluate.hard_labels`).  Every row gets
CV18 (bootstrap mean ± std and full-sample value) and CV14 from :func:`galbias.bias.bias_metrics`
with the same alpha, intrinsic variables (:data:`INTRINSIC`), profile settings and seed, so the
rows differ only in their labels.  Rows c–f are also scored against the labels they were
trained on (the paper reports this for c and d), and every row against the truth where it is
known (``accuracy_truth``).

Truth values other than 0/1 (a star or artifact that the volunteers took for a galaxy) have no
morphology: they are left out of the truth row and of ``accuracy_truth``.  Rows whose label is
missing (DCV14 without a Sérsic fit) are left out of that row only; ``n`` says how many were used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import artifacts
from .bias import bias_metrics, cv18
from .evaluate import classification_metrics, hard_labels
from .reference import PAPER_TABLE1

__all__ = ["INTRINSIC", "NETWORKS", "ROWS", "TRUTH_ROW", "Row", "Table1Error", "COLUMNS",
           "label_frame", "build_table1", "paper_table1", "display_table", "cv18_null", "cv18_floor",
           "above_floor", "cv18_order", "paired_difference", "write_table1"]

#: intrinsic variables of the CV18 k-d tree (physical Petrosian radius, absolute magnitude, z)
INTRINSIC = ("petroRad_kpc", "abs_mag_r", "z")
#: networks of chapter 4, read from ``predictions.parquet`` as ``p_disk_<name>``
NETWORKS = ("ce_gz2b", "ce_gz2d", "ddb")

#: columns of ``table1.csv`` (in this order)
COLUMNS = ["row", "method", "cv18", "cv18_std", "cv14", "accuracy", "precision", "recall", "f1",
           "accuracy_truth", "n", "cv18_full", "scored_against"]


class Table1Error(ValueError):
    """Inputs Table 1 cannot be built from (a missing column, file or galaxy)."""


@dataclass(frozen=True)
class Row:
    row: str  #: the paper's letter (or ``truth``)
    key: str  #: label column of :func:`label_frame`
    method: str  #: name in the table
    source: str  #: the artifact the labels come from
    trained_on: str | None  #: label column the method was trained on (None for label sets)


ROWS = (
    Row("a", "gz2b", "GZ2B labels", "labels.parquet", None),
    Row("b", "gz2d", "GZ2D labels", "labels.parquet", None),
    Row("c", "ce_gz2b", "CE on GZ2B", "predictions.parquet", "gz2b"),
    Row("d", "ce_gz2d", "CE on GZ2D", "predictions.parquet", "gz2d"),
    Row("e", "dcv14", "DCV14 on GZ2B", "dcv14_predictions.parquet", "gz2b"),
    Row("f", "ddb", "DDB on GZ2B", "predictions.parquet", "gz2b"),
)
TRUTH_ROW = Row("truth", "truth", "true class (simulated survey)", "labels.parquet", None)

_PRODUCER = {"labels.parquet": "01_labeling", "predictions.parquet": "04_ddb_training",
             "dcv14_predictions.parquet": "03_theta_fit"}


def _require(df: pd.DataFrame | None, columns: list[str], source: str) -> None:
    if df is None:
        raise Table1Error(f"no {source} given: run chapter {_PRODUCER[source]} first")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise Table1Error(f"{source} has no column(s) {missing} (has {list(df.columns)}): "
                          f"re-run chapter {_PRODUCER[source]}")


def _merge_checked(base: pd.DataFrame, other: pd.DataFrame, cols: list[str], source: str) -> pd.DataFrame:
    other = other.loc[:, ["id", *cols]]
    if other["id"].duplicated().any():
        raise Table1Error(f"{source} lists {int(other['id'].duplicated().sum())} galaxy id(s) more than once")
    missing = ~base["id"].isin(other["id"])
    if missing.any():
        ex = base.loc[missing, "id"].head(3).tolist()
        raise Table1Error(f"{source} lacks {int(missing.sum())} of the {len(base)} galaxies of the split "
                          f"(e.g. id {ex}): re-run chapter {_PRODUCER[source]}")
    return base.merge(other, on="id", how="left", validate="one_to_one")


def _binary(values: Any) -> pd.api.extensions.ExtensionArray:
    """0/1 as nullable Int8; anything else (NaN, a star's 2) becomes missing."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    out = pd.array(np.where(np.isin(v, (0.0, 1.0)), v, 0).astype(int), dtype="Int8")
    out[~np.isin(v, (0.0, 1.0))] = pd.NA
    return out


def label_frame(labels: pd.DataFrame, predictions: pd.DataFrame | None, dcv14_predictions: pd.DataFrame | None,
               split: str = "test") -> pd.DataFrame:
    """One row per galaxy of ``split`` with every label set of Table 1 as a 0/1 column.

    Columns: ``id, alpha, <INTRINSIC>, gz2b, gz2d, truth, truth_class, ce_gz2b, ce_gz2d, ddb,
    dcv14`` and the networks' ``p_disk_*``.  ``truth`` is the true class where it is 0/1
    (missing otherwise); ``truth_class`` keeps the raw value.  Raises :class:`Table1Error`
    naming the file and column when an input lacks something.
    """
    _require(labels, ["id", "split", "alpha", "gz2b", "gz2d", "truth", *INTRINSIC], "labels.parquet")
    base = labels.loc[labels["split"] == split, ["id", "alpha", *INTRINSIC, "gz2b", "gz2d", "truth"]]
    if base.empty:
        raise Table1Error(f"labels.parquet has no galaxies in split {split!r} (splits: {sorted(set(labels['split']))})")
    base = base.rename(columns={"truth": "truth_class"}).reset_index(drop=True)
    pcols = [f"p_disk_{n}" for n in NETWORKS]
    _require(predictions, ["id", *pcols], "predictions.parquet")
    _require(dcv14_predictions, ["id", "dcv14"], "dcv14_predictions.parquet")
    pred = predictions
    if "split" in pred.columns:
        pred = pred[pred["split"] == split]
    out = _merge_checked(base, pred, pcols, "predictions.parquet")
    out = _merge_checked(out, dcv14_predictions, ["dcv14"], "dcv14_predictions.parquet")
    for n in NETWORKS:
        out[n] = hard_labels(out[f"p_disk_{n}"])
    out["dcv14"] = _binary(out["dcv14"])
    out["gz2b"] = _binary(out["gz2b"])
    out["gz2d"] = _binary(out["gz2d"])
    out["truth"] = _binary(out["truth_class"])
    return out


def build_table1(labels: pd.DataFrame, predictions: pd.DataFrame | None, dcv14_predictions: pd.DataFrame | None,
                 cfg: Any, split: str = "test", frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1 as a DataFrame with :data:`COLUMNS` (rows a–f, plus ``truth`` where it is known).

    CV18/CV14 use ``cfg.cv_alpha_bins``, ``cfg.cv_depth``, ``cfg.n_bootstrap``,
    ``cfg.cv14_bins`` and the seed ``cfg.seed`` for every row (so every row sees the same
    bootstrap resamples when it has the same galaxies).  ``frame`` may pass a ready
    :func:`label_frame`.
    """
    f = frame if frame is not None else label_frame(labels, predictions, dcv14_predictions, split)
    has_truth = bool(f["truth_class"].notna().all()) and bool(f["truth"].notna().any())
    rows = list(ROWS) + ([TRUTH_ROW] if has_truth else [])
    alpha = f["alpha"].to_numpy(dtype=float)
    X = f[list(INTRINSIC)].to_numpy(dtype=float)
    out = []
    for r in rows:
        y = f[r.key]
        ok = y.notna().to_numpy()
        m = bias_metrics(alpha[ok], y[ok].to_numpy(dtype=int), X[ok], n_bins_cv14=cfg.cv14_bins,
                         cv_alpha_bins=cfg.cv_alpha_bins, depth=cfg.cv_depth, n_boot=cfg.n_bootstrap,
                         seed=cfg.seed)
        cls = (classification_metrics(f[r.trained_on], y) if r.trained_on
               else dict.fromkeys(("accuracy", "precision", "recall", "f1"), np.nan))
        acc_t = classification_metrics(f["truth"], y)["accuracy"] if has_truth else np.nan
        out.append({"row": r.row, "method": r.method, "cv18": m["cv18"], "cv18_std": m["cv18_std"],
                    "cv14": m["cv14"], "accuracy": cls["accuracy"], "precision": cls["precision"],
                    "recall": cls["recall"], "f1": cls["f1"], "accuracy_truth": acc_t, "n": int(m["n"]),
                    "cv18_full": m["cv18_full"], "scored_against": (r.trained_on or "").upper() or None})
    return pd.DataFrame(out, columns=COLUMNS)


def paper_table1() -> pd.DataFrame:
    """The paper's Table 1 (real GZ2 data), indexed by row letter, columns ``method, cv18, ...``."""
    cols = ["method", "cv18", "cv18_std", "accuracy", "precision", "recall", "f1"]
    df = pd.DataFrame.from_dict(PAPER_TABLE1, orient="index", columns=cols)
    df.index.name = "row"
    return df.astype({c: float for c in cols[1:]})


def _pm(m: float, s: float, digits: int) -> str:
    if not np.isfinite(m):
        return "–"
    return f"{m:.{digits}f} ± {s:.{digits}f}" if np.isfinite(s) else f"{m:.{digits}f}"


def display_table(table: pd.DataFrame, ours: str = "simulated survey (this run)") -> pd.DataFrame:
    """Table 1 for the book: this run's numbers beside the paper's, two column groups.

    CV18 appears as "mean ± std" strings; the other cells stay numbers (formatted by
    :func:`galbias.plots.table`).  ``ours`` names this run's column group.  Paper cells are
    NaN where the paper gives none.
    """
    paper = paper_table1()
    theirs = "real GZ2 (paper)"
    idx = [f"{r}) {m}" if r != "truth" else m for r, m in zip(table["row"], table["method"])]
    data: dict[tuple[str, str], list] = {
        (ours, "n"): table["n"].tolist(),
        (ours, "CV18"): [_pm(m, s, 3) for m, s in zip(table["cv18"], table["cv18_std"])],
        (ours, "CV14"): table["cv14"].tolist(),
        (ours, "scored against"): [s if isinstance(s, str) else "–" for s in table["scored_against"]],
    }
    for c in ("accuracy", "precision", "recall", "f1"):
        data[(ours, c)] = table[c].tolist()
    data[(ours, "accuracy vs truth")] = table["accuracy_truth"].tolist()
    prow = [paper.loc[r] if r in paper.index else None for r in table["row"]]
    data[(theirs, "CV18")] = [_pm(p["cv18"], p["cv18_std"], 4) if p is not None else "–" for p in prow]
    for c in ("accuracy", "precision", "recall", "f1"):
        data[(theirs, c)] = [p[c] if p is not None else np.nan for p in prow]
    df = pd.DataFrame(data, index=pd.Index(idx, name="data set / method"))
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    return df


def cv18_null(alpha: Any, labels: Any, intrinsic: Any, cfg: Any, n_perm: int = 20,
              seed: int | None = None) -> np.ndarray:
    """CV18 (bootstrap means, the number quoted in the table) of ``labels`` randomly permuted.

    A permutation keeps the class mix but makes the labels independent of alpha and of the
    intrinsic variables, so these values show what CV18 reports for *unbiased* labels at this
    sample size: the metric's noise floor.
    """
    y = np.asarray(labels)
    rng = np.random.default_rng(cfg.seed if seed is None else seed)
    out = np.empty(int(n_perm))
    for i in range(out.size):
        out[i] = bias_metrics(alpha, rng.permutation(y), intrinsic, n_bins_cv14=cfg.cv14_bins,
                              cv_alpha_bins=cfg.cv_alpha_bins, depth=cfg.cv_depth, n_boot=cfg.n_bootstrap,
                              seed=cfg.seed)["cv18"]
    return out


def cv18_floor(n_objects: int, n_bins: int, depth: int, p_disk: float = 0.5, bootstrap: bool = True) -> float:
    r"""Approximate CV18 of labels that do not depend on alpha at all (pure binomial noise).

    Each of the :math:`2^L B` bins holds :math:`m = N / (2^L B)` objects; the fraction of a bin
    and of the reference bin each scatter by :math:`p(1-p)/m`, and the reference bin itself
    contributes 0, so the full-sample value is about
    :math:`\sqrt{2\,\frac{B-1}{B}\,\frac{p(1-p)}{m}}`.  A bootstrap resample adds the same
    variance again, so the bootstrap mean (the number quoted in Table 1) is about
    :math:`\sqrt 2` times larger.  The tests check it against :func:`cv18_null`.
    """
    if n_objects <= 0 or n_bins < 1 or depth < 0 or not 0 <= p_disk <= 1:
        raise Table1Error(f"cv18_floor needs n_objects > 0, n_bins >= 1, depth >= 0, 0 <= p_disk <= 1; "
                          f"got {n_objects}, {n_bins}, {depth}, {p_disk}")
    m = n_objects / (2**depth * n_bins)
    full = np.sqrt(2 * (n_bins - 1) / n_bins * p_disk * (1 - p_disk) / m)
    return float(full * np.sqrt(2) if bootstrap else full)


def above_floor(cv18: Any, floor: float) -> Any:
    """CV18 with the noise floor removed in quadrature, ``sqrt(max(cv18^2 - floor^2, 0))``.

    Noise and a real trend with alpha add roughly in quadrature in CV18, so this is a rough
    estimate of the part of CV18 that is a real trend; 0 when CV18 is at or below the floor.
    """
    c = np.asarray(cv18, dtype=float)
    out = np.sqrt(np.clip(c**2 - float(floor) ** 2, 0, None))
    return float(out) if out.ndim == 0 else out


def cv18_order(table: pd.DataFrame, rows: Any = None) -> str:
    """Rows sorted by CV18, least biased first, as text: ``"f < e < b < d < a < c"``."""
    t = table if rows is None else table[table["row"].isin(list(rows))]
    t = t.sort_values("cv18", kind="stable")
    return " < ".join(t["row"].astype(str))


def paired_difference(frame: pd.DataFrame, key: str, other: str, cfg: Any) -> dict[str, float]:
    """CV18(``key``) - CV18(``other``) over the *same* bootstrap resamples of the same galaxies.

    The rows of Table 1 share their galaxies, so their bootstrap values move together; the
    standard deviation of the paired differences is the right uncertainty of a difference
    (usually much smaller than the two ± combined).  Uses the galaxies where both labels
    exist.  Returns ``{"diff", "std", "full", "n"}`` (bootstrap mean, std, full-sample value).
    """
    for k in (key, other):
        if k not in frame.columns:
            raise Table1Error(f"no label column {k!r} in the frame (has {list(frame.columns)})")
    ok = (frame[key].notna() & frame[other].notna()).to_numpy()
    a = frame["alpha"].to_numpy(dtype=float)[ok]
    X = frame[list(INTRINSIC)].to_numpy(dtype=float)[ok]
    kw = dict(n_bins=cfg.cv_alpha_bins, depth=cfg.cv_depth, n_boot=cfg.n_bootstrap, seed=cfg.seed)
    r1 = cv18(a, frame[key][ok].to_numpy(dtype=int), X, **kw)
    r2 = cv18(a, frame[other][ok].to_numpy(dtype=int), X, **kw)
    d = r1.boot - r2.boot
    return {"diff": float(d.mean()) if d.size else r1.value - r2.value,
            "std": float(d.std(ddof=1)) if d.size > 1 else float("nan"),
            "full": float(r1.value - r2.value), "n": int(ok.sum())}


def write_table1(path: str | Path, table: pd.DataFrame, cfg: Any, inputs: dict[str, str | Path],
                 split: str = "test") -> Path:
    """Write ``table1.csv`` atomically with a manifest (settings, seed and input hashes)."""
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise Table1Error(f"table lacks column(s) {missing}")
    path = Path(path)
    artifacts.write_csv(path, table, COLUMNS)
    params = {"cv_alpha_bins": cfg.cv_alpha_bins, "cv_depth": cfg.cv_depth, "cv14_bins": cfg.cv14_bins,
              "n_bootstrap": cfg.n_bootstrap, "seed": cfg.seed, "split": split, "intrinsic": list(INTRINSIC)}
    artifacts.write_manifest(path, params, inputs, n_rows=len(table))
    return path
