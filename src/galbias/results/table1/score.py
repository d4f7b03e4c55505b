"""Table 1 itself: the rows, the CV18/CV14 scores with their noise floors, the summaries over seeds,
the paired differences and the convention check (described in :mod:`galbias.results.table1`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...core import artifacts, seeds
from ...data.catalog import has_truth as catalog_has_truth
from ...methods.metrics import classification_metrics, cv14, cv18, kdtree_cells
from ...reference import PAPER_SAMPLE, PAPER_TABLE1, PAPER_THETA
from ..frames import PRODUCER, FrameError, evaluation_frame
from ..networks import NETWORKS, members

__all__ = ["COLUMNS", "INTRINSIC", "ROWS", "Row", "SAMPLES", "SUMMARY_COLUMNS", "TRUTH_ROW", "Table1Error",
           "above_floor", "build_table1", "cv18_floor", "cv18_null", "cv18_order", "display_table",
           "label_frame", "paired_difference", "paper_scale_check", "paper_table1", "summarise",
           "within_cell_permutation", "write_table1"]


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
        rng = seeds.rng(int(self.cfg.seed), 18)
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


def paper_scale_check(f_disks: Any = (0.5, 0.6, 0.7), n: int = PAPER_SAMPLE["test"],
                      theta: float = PAPER_THETA["ddb"], n_rep: int = 3, n_boot: int = 100, n_bins: int = 8,
                      depth: int = 3, seed: int = 0) -> pd.DataFrame:
    """CV18 in both conventions of labels drawn from the paper's own bias model.

    ``n`` galaxies (default: the paper's test split) with SDSS-like resolution (log10 alpha ~
    N(1.25, 0.27), METHODS §11), intrinsic variables independent of everything, a true disk
    fraction from ``f_disks``, and labels "smooth" for a disk with probability b(alpha; theta)
    (default: the paper's theta): which reference bin gives the scale of the paper's row a?
    Mean and sd over ``n_rep`` draws.
    """
    from ...methods.bias import bias_probability

    rows = []
    for fd in f_disks:
        vals = []
        for k in range(int(n_rep)):
            rng = seeds.rng(int(seed), k, int(round(1000 * fd)))
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
