"""The paper's Table 1 (§5.4.1): the bias of every label set and method, on the test split and,
on the simulated survey, on the large held-out evaluation sample.

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

Rows c, d and f appear once per seed (``seed`` 0, 1, ...; columns ``p_disk_<name>`` and
``p_disk_<name>_s<k>``); label rows have an empty ``seed``.  ``table1.csv`` keeps every seed
(one row per sample, row letter and seed); :func:`summarise` gives mean ± sd over seeds.

Columns of ``table1.csv`` (:data:`COLUMNS`), per ``sample`` (``test`` or ``eval``):

- ``cv18``, ``cv18_std`` - CV18 (thesis convention: deviations from the highest-alpha bin of
  each cell), bootstrap mean and standard deviation over ``cfg.n_bootstrap`` resamples
  (ddof = 1); ``cv18_full`` the full-sample value;
- ``cv18_lowref`` (``_std``) - the same with the lowest-alpha bin as reference, the paper
  group's evaluation-script convention (METHODS §6);
- ``cv18_floor`` (``_std``) - CV18 of the row's own labels permuted *within* the cells of the
  CV18 k-d tree: the class mix of every cell is kept, any trend with alpha inside a cell is
  destroyed; mean (sd) over ``floor_perms`` permutations, each a bootstrap mean over
  ``floor_boot`` resamples, so it is comparable with ``cv18``;
- ``cv14``; ``cv14_floor`` - CV14 of the full sample, and its mean over ``floor_perms`` random
  permutations of the row's labels (any trend with alpha destroyed);
- ``accuracy``, ``precision``, ``recall``, ``f1`` - against the labels the method was trained
  on (rows c-f; the paper reports c and d); ``accuracy_truth``, ``recall_truth`` - against the
  truth (simulated survey; recall of true disks);
- ``d_a``, ``d_a_std``, ``d_truth``, ``d_truth_std`` - paired-bootstrap differences of CV18
  against row a and against the truth (the same resamples of the galaxies both rows label);
- ``n`` - galaxies with a label in that row.

Network labels are ``p_disk > 0.5`` (:func:`galbias.methods.metrics.hard_labels`).  Truth
values other than 0/1 (a star or artifact that the volunteers took for a galaxy) have no
morphology: they are left out of the truth row and of the truth columns.  Rows whose label is
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
from ..methods.metrics import classification_metrics, cv14, cv18, kdtree_cells
from ..reference import PAPER_TABLE1
from .frames import PRODUCER, FrameError, evaluation_frame
from .networks import NETWORKS, members

__all__ = ["INTRINSIC", "ROWS", "TRUTH_ROW", "Row", "Table1Error", "COLUMNS", "SAMPLES",
           "label_frame", "build_table1", "summarise", "paper_table1", "display_table", "cv18_null", "cv18_floor",
           "within_cell_permutation", "above_floor", "cv18_order", "paired_difference", "write_table1",
           "paper_scale_check", "depth_scan", "evidence_numbers"]

#: intrinsic variables of the CV18 k-d tree (physical Petrosian radius, absolute magnitude, z)
INTRINSIC = ("petroRad_kpc", "abs_mag_r", "z")

#: the samples Table 1 is measured on: the paper's test split and the evaluation sample
SAMPLES = ("test", "eval")

#: columns of ``table1.csv`` (in this order)
COLUMNS = ["sample", "row", "method", "seed", "cv18", "cv18_std", "cv18_floor", "cv18_floor_std", "cv18_lowref",
           "cv18_lowref_std", "cv14", "cv14_floor", "accuracy", "precision", "recall", "f1", "accuracy_truth",
           "recall_truth", "d_a", "d_a_std", "d_truth", "d_truth_std", "n", "cv18_full", "scored_against"]


@dataclass(frozen=True)
class Row:
    row: str  #: the paper's letter (or ``truth``)
    key: str  #: label column of :func:`label_frame`
    method: str  #: name in the table
    source: str  #: the artifact the labels come from
    trained_on: str | None  #: label column the method was trained on (None for label sets)
    seed: int | None = None  #: the seed of a network (None for label sets and DCV14)


ROWS = (
    Row("a", "gz2b", "GZ2B labels", "labels.parquet", None),
    Row("b", "gz2d", "GZ2D labels", "labels.parquet", None),
    Row("c", "ce_gz2b", "CE on GZ2B", "predictions.parquet", "gz2b"),
    Row("d", "ce_gz2d", "CE on GZ2D", "predictions.parquet", "gz2d"),
    Row("e", "dcv14", "DCV14 on GZ2B", "dcv14_predictions.parquet", "gz2b"),
    Row("f", "ddb", "DDB on GZ2B", "predictions.parquet", "gz2b"),
)
TRUTH_ROW = Row("truth", "truth", "true class (simulated survey)", "labels.parquet", None)
_NETWORK_ROW = {"ce_gz2b": "c", "ce_gz2d": "d", "ddb": "f"}

Table1Error = FrameError


def _rows(n_seeds: int, has_truth: bool) -> list[Row]:
    """Rows a-f with one row per seed for the networks (c, d, f), then the truth."""
    out = []
    for r in ROWS:
        if r.key in _NETWORK_ROW:
            net = next(n for n in NETWORKS if n.name == r.key)
            out += [Row(r.row, m.name, r.method, r.source, r.trained_on, m.k) for m in members(n_seeds, [net])]
        else:
            out.append(r)
    return out + ([TRUTH_ROW] if has_truth else [])


def label_frame(labels: pd.DataFrame, predictions: pd.DataFrame | None, dcv14_predictions: pd.DataFrame | None,
                split: str = "test", n_seeds: int = 1) -> pd.DataFrame:
    """The galaxies of ``split`` with every label set of Table 1 as a 0/1 column
    (:func:`galbias.results.frames.evaluation_frame` with all networks and seeds, and DCV14)."""
    _require_intrinsic(labels)
    if predictions is None or dcv14_predictions is None:
        missing = "predictions.parquet" if predictions is None else "dcv14_predictions.parquet"
        raise FrameError(f"no {missing} given: run chapter {PRODUCER[missing]} first")
    return evaluation_frame(labels, predictions, dcv14_predictions, split,
                            networks=[m.name for m in members(n_seeds)])


def _require_intrinsic(labels: pd.DataFrame) -> None:
    missing = [c for c in ("alpha", *INTRINSIC) if c not in labels.columns]
    if missing:
        raise FrameError(f"labels.parquet has no column(s) {missing}: re-run chapter 01_labeling")


def within_cell_permutation(labels: Any, cells: Any, rng: np.random.Generator) -> np.ndarray:
    """``labels`` shuffled inside each cell: every cell keeps its class mix, and any link between
    the labels and alpha (or anything else) inside a cell is gone."""
    y = np.asarray(labels).copy()
    c = np.asarray(cells)
    order = np.lexsort((rng.random(c.size), c))  # by cell, random inside
    by_cell = np.argsort(c, kind="stable")
    y[by_cell] = y[order]
    return y


class _Scorer:
    """CV18 of the label columns of one frame, cached so paired differences reuse resamples."""

    def __init__(self, frame: pd.DataFrame, cfg: Any, floor_perms: int, floor_boot: int):
        self.f, self.cfg = frame, cfg
        self.alpha = frame["alpha"].to_numpy(dtype=float)
        self.X = frame[list(INTRINSIC)].to_numpy(dtype=float)
        self.kw = dict(n_bins=cfg.cv_alpha_bins, depth=cfg.cv_depth, n_boot=cfg.n_bootstrap, seed=cfg.seed)
        self.floor_perms, self.floor_boot = int(floor_perms), int(floor_boot)
        self._cache: dict[tuple, Any] = {}

    def ok(self, key: str) -> np.ndarray:
        return self.f[key].notna().to_numpy()

    def cv18(self, key: str, ok: np.ndarray, reference: str = "highest"):
        k = (key, ok.tobytes(), reference)
        if k not in self._cache:
            y = self.f[key].to_numpy()[ok].astype(int)
            self._cache[k] = cv18(self.alpha[ok], y, self.X[ok], reference=reference, **self.kw)
        return self._cache[k]

    def paired(self, key: str, other: str) -> tuple[float, float]:
        ok = self.ok(key) & self.ok(other)
        d = self.cv18(key, ok).boot - self.cv18(other, ok).boot
        if d.size > 1:
            return float(d.mean()), float(d.std(ddof=1))
        return float(self.cv18(key, ok).value - self.cv18(other, ok).value), float("nan")

    def floors(self, key: str, ok: np.ndarray) -> dict[str, float]:
        y = self.f[key].to_numpy()[ok].astype(int)
        a, X = self.alpha[ok], self.X[ok]
        rng = np.random.default_rng([int(self.cfg.seed), 18])
        cells = kdtree_cells(X, self.cfg.cv_depth)
        kw = {**self.kw, "n_boot": self.floor_boot}
        f18 = [cv18(a, within_cell_permutation(y, cells, rng), X, **kw).mean for _ in range(self.floor_perms)]
        f14 = [cv14(a, rng.permutation(y), n_bins=self.cfg.cv14_bins) for _ in range(self.floor_perms)]
        return {"cv18_floor": float(np.mean(f18)),
                "cv18_floor_std": float(np.std(f18, ddof=1)) if len(f18) > 1 else float("nan"),
                "cv14_floor": float(np.mean(f14))}


def build_table1(labels: pd.DataFrame, predictions: pd.DataFrame | None, dcv14_predictions: pd.DataFrame | None,
                 cfg: Any, samples: Any = None, n_seeds: int | None = None, floor_perms: int = 10,
                 floor_boot: int = 20, progress: bool = False) -> pd.DataFrame:
    """Table 1 as a DataFrame with :data:`COLUMNS`: for every sample of ``samples`` (default:
    those of :data:`SAMPLES` that ``labels`` has), rows a-f (c, d, f once per seed) and the
    truth where it is known.

    CV18/CV14 use ``cfg.cv_alpha_bins``, ``cfg.cv_depth``, ``cfg.n_bootstrap``,
    ``cfg.cv14_bins`` and the seed ``cfg.seed`` for every row, so rows with the same galaxies
    see the same bootstrap resamples.  ``floor_perms``/``floor_boot`` set the noise floors.
    """
    n_seeds = int(cfg.n_seeds if n_seeds is None else n_seeds)
    present = set(labels["split"].astype(str))
    samples = [s for s in (SAMPLES if samples is None else samples) if s in present]
    if not samples:
        raise FrameError(f"labels.parquet has none of the samples {list(SAMPLES)}: re-run chapter 01_labeling")
    out = []
    for sample in samples:
        f = label_frame(labels, predictions, dcv14_predictions, sample, n_seeds)
        has_truth = catalog_has_truth(pd.DataFrame({"truth": f["truth_class"]})) and bool(f["truth"].notna().any())
        sc = _Scorer(f, cfg, floor_perms, floor_boot)
        rows = _rows(n_seeds, has_truth)
        for i, r in enumerate(rows, 1):
            if progress:
                print(f"[galbias] table 1, {sample} sample: row {r.row} {r.key} ({i}/{len(rows)})", flush=True)
            ok = sc.ok(r.key)
            y = f[r.key]
            m = sc.cv18(r.key, ok)
            lo = sc.cv18(r.key, ok, "lowest")
            cls = (classification_metrics(f[r.trained_on], y) if r.trained_on
                   else dict.fromkeys(("accuracy", "precision", "recall", "f1"), np.nan))
            if has_truth:
                ct = classification_metrics(f["truth"], y)
                acc_t, rec_t = ct["accuracy"], ct["recall"]
                d_t, d_t_std = sc.paired(r.key, "truth") if r.key != "truth" else (0.0, 0.0)
            else:
                acc_t = rec_t = d_t = d_t_std = np.nan
            d_a, d_a_std = sc.paired(r.key, "gz2b") if r.key != "gz2b" else (0.0, 0.0)
            out.append({"sample": sample, "row": r.row, "method": r.method, "seed": r.seed,
                        "cv18": m.mean, "cv18_std": m.std, **sc.floors(r.key, ok),
                        "cv18_lowref": lo.mean, "cv18_lowref_std": lo.std,
                        "cv14": cv14(sc.alpha[ok], y[ok].to_numpy(dtype=int), n_bins=cfg.cv14_bins),
                        **{k: cls[k] for k in ("accuracy", "precision", "recall", "f1")},
                        "accuracy_truth": acc_t, "recall_truth": rec_t, "d_a": d_a, "d_a_std": d_a_std,
                        "d_truth": d_t, "d_truth_std": d_t_std, "n": int(ok.sum()), "cv18_full": m.value,
                        "scored_against": (r.trained_on or "").upper() or None})
    t = pd.DataFrame(out)
    t["seed"] = pd.array(t["seed"], dtype="Int64")
    return t[COLUMNS]


#: the numeric columns :func:`summarise` averages over seeds
SUMMARY_COLUMNS = [c for c in COLUMNS if c not in ("sample", "row", "method", "seed", "scored_against")]


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """One row per sample and row letter: the mean over seeds of every numeric column, the
    number of seeds, and the seed-to-seed standard deviation (ddof = 1; NaN for one seed)
    of each as ``<column>_seed_sd``.  Label rows (one "seed") pass through unchanged."""
    g = table.groupby(["sample", "row"], sort=False)
    mean = g[SUMMARY_COLUMNS].mean()
    sd = g[SUMMARY_COLUMNS].std(ddof=1).add_suffix("_seed_sd")
    first = g[["method", "scored_against"]].first()
    n = g.size().rename("n_seeds")
    return pd.concat([first, n, mean, sd], axis=1).reset_index()


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


def _index(summary: pd.DataFrame) -> list[str]:
    return [f"{r}) {m}" if r != "truth" else m for r, m in zip(summary["row"], summary["method"])]


def _with_seeds(m: float, boot: float, seed_sd: float, n_seeds: int, digits: int = 3) -> str:
    """``mean ± bootstrap sd``, with ``(seeds: sd)`` appended for a network trained with several seeds."""
    txt = _pm(m, boot, digits)
    return f"{txt} (seeds ±{seed_sd:.{digits}f})" if n_seeds > 1 and np.isfinite(seed_sd) else txt


def display_table(summary: pd.DataFrame, ours: str = "simulated survey (this run)", sample: str = "test",
                  kind: str = "paper") -> pd.DataFrame:
    """A Table 1 for the book from :func:`summarise`.

    ``kind="paper"``: this run's test-split CV18 (both conventions), CV14 and the classification
    metrics beside the paper's Table 1 (two column groups).  ``kind="evidence"``: one sample's
    CV18 with its within-cell floor, the lowest-alpha convention, CV14 with its floor, the
    scores against the truth and the paired differences against row a and the truth.  Network
    rows give the mean over seeds; "± x" is the bootstrap sd and "(seeds ±y)" the seed-to-seed sd.
    """
    t = summary[summary["sample"] == sample].reset_index(drop=True)
    if t.empty:
        raise Table1Error(f"the table has no {sample!r} sample (has {sorted(set(summary['sample']))})")
    idx = pd.Index(_index(t), name="data set / method")
    ns = t["n_seeds"].to_numpy()
    cv = [_with_seeds(m, b, sd, k) for m, b, sd, k in zip(t["cv18"], t["cv18_std"], t["cv18_seed_sd"], ns)]
    if kind == "evidence":
        df = pd.DataFrame({
            "n": t["n"].astype(int).to_numpy(), "CV18": cv, "CV18 floor": t["cv18_floor"].to_numpy(),
            "CV18 (lowest-α ref.)": [_pm(m, s, 3) for m, s in zip(t["cv18_lowref"], t["cv18_lowref_std"])],
            "CV14": t["cv14"].to_numpy(), "CV14 floor": t["cv14_floor"].to_numpy(),
            "accuracy (truth)": t["accuracy_truth"].to_numpy(), "recall (truth)": t["recall_truth"].to_numpy(),
            "CV18 − row a": [_pm(m, s, 3) if r != "a" else "–" for m, s, r in zip(t["d_a"], t["d_a_std"], t["row"])],
            "CV18 − truth": [_pm(m, s, 3) if r != "truth" else "–"
                             for m, s, r in zip(t["d_truth"], t["d_truth_std"], t["row"])],
        }, index=idx)
        return df
    if kind != "paper":
        raise Table1Error(f"kind must be 'paper' or 'evidence', got {kind!r}")
    paper = paper_table1()
    theirs = "real GZ2 (paper)"
    data: dict[tuple[str, str], list] = {
        (ours, "n"): t["n"].astype(int).tolist(),
        (ours, "CV18"): cv,
        (ours, "CV18 (lowest-α ref.)"): [_pm(m, s, 3) for m, s in zip(t["cv18_lowref"], t["cv18_lowref_std"])],
        (ours, "CV14"): t["cv14"].tolist(),
        (ours, "scored against"): [s if isinstance(s, str) else "–" for s in t["scored_against"]],
    }
    for c in ("accuracy", "precision", "recall", "f1"):
        data[(ours, c)] = t[c].tolist()
    prow = [paper.loc[r] if r in paper.index else None for r in t["row"]]
    data[(theirs, "CV18")] = [_pm(p["cv18"], p["cv18_std"], 4) if p is not None else "–" for p in prow]
    for c in ("accuracy", "f1"):
        data[(theirs, c)] = [p[c] if p is not None else np.nan for p in prow]
    df = pd.DataFrame(data, index=idx)
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
        out[i] = cv18(alpha, rng.permutation(y), intrinsic, n_bins=cfg.cv_alpha_bins, depth=cfg.cv_depth,
                      n_boot=cfg.n_bootstrap, seed=cfg.seed).mean
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
    out = np.sqrt(np.clip(c**2 - np.asarray(floor, dtype=float) ** 2, 0, None))
    return float(out) if out.ndim == 0 else out


def cv18_order(table: pd.DataFrame, rows: Any = None, sample: str | None = None) -> str:
    """Rows sorted by CV18, least biased first, as text: ``"f < e < b < d < a < c"`` (one
    sample of a :func:`summarise` table, or a table with one row per letter)."""
    t = table if sample is None or "sample" not in table.columns else table[table["sample"] == sample]
    t = t if rows is None else t[t["row"].isin(list(rows))]
    t = t.sort_values("cv18", kind="stable")
    return " < ".join(t["row"].astype(str))


def paired_difference(frame: pd.DataFrame, key: str, other: str, cfg: Any, reference: str = "highest",
                      depth: int | None = None) -> dict[str, float]:
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
    kw = dict(n_bins=cfg.cv_alpha_bins, depth=cfg.cv_depth if depth is None else depth, n_boot=cfg.n_bootstrap,
              seed=cfg.seed, reference=reference)
    r1 = cv18(a, frame[key][ok].to_numpy(dtype=int), X, **kw)
    r2 = cv18(a, frame[other][ok].to_numpy(dtype=int), X, **kw)
    d = r1.boot - r2.boot
    return {"diff": float(d.mean()) if d.size else r1.value - r2.value,
            "std": float(d.std(ddof=1)) if d.size > 1 else float("nan"),
            "full": float(r1.value - r2.value), "n": int(ok.sum())}


def write_table1(path: str | Path, table: pd.DataFrame, cfg: Any, inputs: dict[str, str | Path],
                 floor_perms: int = 10, floor_boot: int = 20) -> Path:
    """Write ``table1.csv`` atomically with a manifest (settings, seed and input hashes)."""
    params = {"cv_alpha_bins": cfg.cv_alpha_bins, "cv_depth": cfg.cv_depth, "cv14_bins": cfg.cv14_bins,
              "n_bootstrap": cfg.n_bootstrap, "seed": cfg.seed, "samples": sorted(set(table["sample"])),
              "n_seeds": cfg.n_seeds, "intrinsic": list(INTRINSIC), "floor_perms": floor_perms,
              "floor_boot": floor_boot, "bootstrap_ddof": 1}
    return artifacts.write_table(path, table, COLUMNS, params, inputs, code="table1")


def paper_scale_check(f_disks: Any = (0.5, 0.6, 0.7), n: int = 12_192, theta: float = 11.25, n_rep: int = 3,
                      n_boot: int = 100, n_bins: int = 8, depth: int = 3, seed: int = 0) -> pd.DataFrame:
    """CV18 in both conventions of labels drawn from the paper's own bias model.

    ``n`` galaxies (the paper's test split) with SDSS-like resolution (log10 alpha ~ N(1.25,
    0.27), METHODS §11), intrinsic variables independent of everything, a true disk fraction
    from ``f_disks``, and labels "smooth" for a disk with probability b(alpha; theta=11.25):
    which reference bin gives the scale of the paper's row a?  Mean and sd over ``n_rep`` draws.
    """
    from ..methods.bias import bias_probability

    rows = []
    for fd in f_disks:
        vals = []
        for k in range(int(n_rep)):
            rng = np.random.default_rng([int(seed), k, int(round(1000 * fd))])
            a = 10 ** rng.normal(1.25, 0.27, n)
            X = rng.normal(size=(n, 3))
            disk = rng.random(n) < fd
            y = (disk & (rng.random(n) >= bias_probability(a, theta))).astype(int)
            kw = dict(n_bins=n_bins, depth=depth, n_boot=n_boot, seed=k)
            vals.append((cv18(a, y, X, **kw).mean, cv18(a, y, X, reference="lowest", **kw).mean, y.mean()))
        v = np.array(vals)
        rows.append({"true disk fraction": fd, "label disk fraction": v[:, 2].mean(),
                     "CV18 (highest-α ref.)": v[:, 0].mean(), "sd (highest)": v[:, 0].std(ddof=1),
                     "CV18 (lowest-α ref.)": v[:, 1].mean(), "sd (lowest)": v[:, 1].std(ddof=1)})
    return pd.DataFrame(rows)


# --- the chapter's numbers ------------------------------------------------------------------------

#: label-set keys of the frame for each row letter, and their names in figures
ROW_KEY = {"a": "gz2b", "b": "gz2d", "c": "ce_gz2b", "d": "ce_gz2d", "e": "dcv14", "f": "ddb", "truth": "truth"}
LABEL_NAMES = {"gz2b": "a) GZ2B labels", "gz2d": "b) GZ2D labels", "ce_gz2b": "c) CE on GZ2B",
               "ce_gz2d": "d) CE on GZ2D", "dcv14": "e) DCV14 on GZ2B", "ddb": "f) DDB on GZ2B", "truth": "true class"}


def settings_numbers(n_test: int, cfg: Any, n_eval: int = 0) -> dict[str, Any]:
    """The CV18 settings of this run and (as far as known) of the paper, and galaxies per bin."""
    from ..reference import PAPER_CV18_SETTINGS, PAPER_SAMPLE

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
    from ..reference import PAPER_CV18_SETTINGS, PAPER_SAMPLE

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
        rng = np.random.default_rng([int(cfg.seed), 18, int(L)])
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
    if not (np.isfinite(x) and np.isfinite(y)):
        return "not measured against"
    if abs(x - y) <= 2 * (sd if np.isfinite(sd) and sd > 0 else 0.0):
        return "at"
    return "above" if x > y else "below"


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
