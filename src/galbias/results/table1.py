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

Network labels are ``p_disk > 0.5`` (:func:`galbias.methods.metrics.hard_labels`).  Every row gets
CV18 (bootstrap mean ± std and full-sample value) and CV14 from :func:`galbias.methods.metrics.bias_metrics`
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

from ..core import artifacts
from ..data.catalog import has_truth as catalog_has_truth
from ..methods.metrics import bias_metrics, classification_metrics, cv18
from ..reference import PAPER_TABLE1
from .frames import PRODUCER, FrameError, evaluation_frame
from .networks import NETWORKS

__all__ = ["INTRINSIC", "ROWS", "TRUTH_ROW", "Row", "Table1Error", "COLUMNS",
           "label_frame", "build_table1", "paper_table1", "display_table", "cv18_null", "cv18_floor",
           "above_floor", "cv18_order", "paired_difference", "write_table1"]

#: intrinsic variables of the CV18 k-d tree (physical Petrosian radius, absolute magnitude, z)
INTRINSIC = ("petroRad_kpc", "abs_mag_r", "z")

#: columns of ``table1.csv`` (in this order)
COLUMNS = ["row", "method", "cv18", "cv18_std", "cv14", "accuracy", "precision", "recall", "f1",
           "accuracy_truth", "n", "cv18_full", "scored_against"]


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

Table1Error = FrameError


def label_frame(labels: pd.DataFrame, predictions: pd.DataFrame | None, dcv14_predictions: pd.DataFrame | None,
                split: str = "test") -> pd.DataFrame:
    """The galaxies of ``split`` with every label set of Table 1 as a 0/1 column
    (:func:`galbias.results.frames.evaluation_frame` with all three networks and DCV14)."""
    _require_intrinsic(labels)
    if predictions is None or dcv14_predictions is None:
        missing = "predictions.parquet" if predictions is None else "dcv14_predictions.parquet"
        raise FrameError(f"no {missing} given: run chapter {PRODUCER[missing]} first")
    return evaluation_frame(labels, predictions, dcv14_predictions, split, networks=[n.name for n in NETWORKS])


def _require_intrinsic(labels: pd.DataFrame) -> None:
    missing = [c for c in ("alpha", *INTRINSIC) if c not in labels.columns]
    if missing:
        raise FrameError(f"labels.parquet has no column(s) {missing}: re-run chapter 01_labeling")


def build_table1(labels: pd.DataFrame, predictions: pd.DataFrame | None, dcv14_predictions: pd.DataFrame | None,
                 cfg: Any, split: str = "test", frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Table 1 as a DataFrame with :data:`COLUMNS` (rows a–f, plus ``truth`` where it is known).

    CV18/CV14 use ``cfg.cv_alpha_bins``, ``cfg.cv_depth``, ``cfg.n_bootstrap``,
    ``cfg.cv14_bins`` and the seed ``cfg.seed`` for every row (so every row sees the same
    bootstrap resamples when it has the same galaxies).  ``frame`` may pass a ready
    :func:`label_frame`.
    """
    f = frame if frame is not None else label_frame(labels, predictions, dcv14_predictions, split)
    has_truth = catalog_has_truth(pd.DataFrame({"truth": f["truth_class"]})) and bool(f["truth"].notna().any())
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
    params = {"cv_alpha_bins": cfg.cv_alpha_bins, "cv_depth": cfg.cv_depth, "cv14_bins": cfg.cv14_bins,
              "n_bootstrap": cfg.n_bootstrap, "seed": cfg.seed, "split": split, "intrinsic": list(INTRINSIC)}
    return artifacts.write_table(path, table, COLUMNS, params, inputs, code="table1")


# --- the chapter's numbers ------------------------------------------------------------------------

#: label-set keys of the frame for each row letter, and their names in figures
ROW_KEY = {"a": "gz2b", "b": "gz2d", "c": "ce_gz2b", "d": "ce_gz2d", "e": "dcv14", "f": "ddb", "truth": "truth"}
LABEL_NAMES = {"gz2b": "a) GZ2B labels", "gz2d": "b) GZ2D labels", "ce_gz2b": "c) CE on GZ2B",
               "ce_gz2d": "d) CE on GZ2D", "dcv14": "e) DCV14 on GZ2B", "ddb": "f) DDB on GZ2B", "truth": "true class"}


def settings_numbers(n_test: int, cfg: Any) -> dict[str, Any]:
    """The CV18 settings of this run and (as far as known) of the paper, and galaxies per bin."""
    from ..reference import PAPER_CV18_SETTINGS, PAPER_SAMPLE

    B, L = cfg.cv_alpha_bins, cfg.cv_depth
    pB, pL, pn = PAPER_CV18_SETTINGS["n_bins"], PAPER_CV18_SETTINGS["depth"], PAPER_SAMPLE["test"]
    return {"n_test": n_test, "B": B, "L": L, "n_cells": 2**L, "n_boot": cfg.n_bootstrap, "cv14_bins": cfg.cv14_bins,
            "per_bin": n_test / (2**L * B), "paper_n_test": pn, "paper_B": pB, "paper_L": pL, "paper_n_cells": 2**pL,
            "paper_n_boot": PAPER_CV18_SETTINGS["n_boot"], "paper_per_bin": pn / (2**pL * pB)}


def noise_floor(frame: pd.DataFrame, cfg: Any, n_null: int) -> tuple[np.ndarray, dict[str, float]]:
    """CV18 of the GZ2B labels shuffled ``n_null`` times, the binomial estimate for this run and
    for the paper's test split: the metric's noise floor."""
    from ..reference import PAPER_CV18_SETTINGS, PAPER_SAMPLE

    gz2b = frame["gz2b"].to_numpy(dtype=int)
    null = cv18_null(frame["alpha"].to_numpy(float), gz2b, frame[list(INTRINSIC)].to_numpy(float), cfg, n_perm=n_null)
    paper_floor = cv18_floor(PAPER_SAMPLE["test"], PAPER_CV18_SETTINGS["n_bins"], PAPER_CV18_SETTINGS["depth"], 0.5)
    return null, {"null_mean": float(null.mean()), "null_std": float(null.std(ddof=1)),
                  "null_p95": float(np.quantile(null, 0.95)), "n_null": int(n_null),
                  "floor_formula": cv18_floor(len(frame), cfg.cv_alpha_bins, cfg.cv_depth, float(gz2b.mean())),
                  "paper_floor": paper_floor}


def row_numbers(table: pd.DataFrame) -> dict[str, float]:
    """``cv18_<row>``, ``cv18_std_<row>``, ``cv14_<row>``, ``accuracy_truth_<row>``, ``n_<row>`` of
    this run, and the paper's ``paper_cv18[_std]_<row>``, ``acc_c/d`` and ``paper_acc_c/d``."""
    T = table.set_index("row")
    paper = paper_table1()
    vals: dict[str, float] = {}
    for r in ROW_KEY:
        have = r in T.index
        for c in ("cv18", "cv18_std", "cv14", "accuracy_truth"):
            vals[f"{c}_{r}"] = float(T.loc[r, c]) if have else np.nan
        vals[f"n_{r}"] = int(T.loc[r, "n"]) if have else 0
    for r in paper.index:
        vals[f"paper_cv18_{r}"] = float(paper.loc[r, "cv18"])
        vals[f"paper_cv18_std_{r}"] = float(paper.loc[r, "cv18_std"])
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


def comparison_numbers(table: pd.DataFrame, frame: pd.DataFrame, null_mean: float, paper_floor: float,
                       cfg: Any) -> dict[str, Any]:
    """The comparison with the paper: row order, DDB relative to GZ2B, CV18 above the floor, and
    paired-bootstrap differences DDB - GZ2B, DCV14 - GZ2B, DDB - truth."""
    vals = row_numbers(table)
    known = frame["truth"].notna().any()
    order_ours = cv18_order(table, rows="abcdef")
    order_paper = cv18_order(paper_table1().reset_index())
    d_fa = paired_difference(frame, "ddb", "gz2b", cfg)
    d_ea = paired_difference(frame, "dcv14", "gz2b", cfg)
    d_ft = paired_difference(frame, "ddb", "truth", cfg) if known else {"diff": np.nan, "std": np.nan}
    return {
        "d_fa": d_fa["diff"], "d_fa_std": d_fa["std"], "d_ea": d_ea["diff"], "d_ea_std": d_ea["std"],
        "d_ft": d_ft["diff"], "d_ft_std": d_ft["std"],
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
