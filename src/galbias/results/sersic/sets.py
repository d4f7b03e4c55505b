"""Chapter 6's galaxy sets: the Sersic frame, the smooth/disk/changed groups, their n < 3 and n > 3
fractions and sersic.csv (described in :mod:`galbias.results.sersic`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...core import artifacts
from ...reference import PAPER_SERSIC, PAPER_SERSIC_SPLIT
from ..frames import FrameError, evaluation_frame

__all__ = ["COLUMNS", "Group", "PANELS", "SPLITS", "SersicError", "changed_to_disk", "ecdf",
           "fractions_table", "groups", "paper_value_text", "sersic_frame", "true_bulge_fractions",
           "truth_by_sersic", "write_sersic"]


#: which galaxies :func:`sersic_frame` keeps
SPLITS = {"test": ("test",), "val": ("val",), "val+test": ("val", "test")}


#: columns of ``sersic.csv``
COLUMNS = ["name", "panel", "description", "count", "n_measured", "frac_n_lt_3", "frac_n_gt_3",
           "frac_true_disk", "paper_value"]


#: galaxy sets drawn in each panel of the figure (GZ2B disks are the reference in b and c)
PANELS = {
    "a": ("smooth_gz2b", "smooth_gz2d", "smooth_ddb"),
    "b": ("disk_gz2b", "changed_gz2d", "changed_ddb"),
    "c": ("disk_gz2b", "disk_gz2d", "disk_ddb"),
    "d": ("true_smooth", "true_disk"),
}


SersicError = FrameError


@dataclass(frozen=True)
class Group:
    name: str  #: key (``smooth_gz2b`` ...), matching :data:`galbias.reference.PAPER_SERSIC`
    panel: str  #: ``a``, ``b``, ``c`` or ``d`` (truth)
    description: str
    mask: np.ndarray  #: boolean over the rows of the frame
    color_key: str  #: key of :data:`galbias.plots.COLORS`


def ecdf(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """Empirical cumulative distribution: sorted finite values and ``F = i / n`` (i = 1..n).

    Non-finite values are dropped; an empty input gives two empty arrays.
    """
    v = np.asarray(x, dtype=float)
    v = np.sort(v[np.isfinite(v)])
    return v, np.arange(1, v.size + 1) / max(v.size, 1)


def changed_to_disk(before: Any, after: Any) -> np.ndarray:
    """Galaxies labelled smooth (0) in ``before`` and disk (1) in ``after``; missing = False."""
    b = pd.to_numeric(pd.Series(before), errors="coerce").to_numpy(dtype=float)
    a = pd.to_numeric(pd.Series(after), errors="coerce").to_numpy(dtype=float)
    if a.shape != b.shape:
        raise SersicError(f"before has {b.size} entries but after has {a.size}")
    return (b == 0) & (a == 1)


def true_bulge_fractions(catalog_path: str | Path) -> pd.DataFrame | None:
    """``dr7objid`` and ``true_bulge_frac`` from a catalog, or None when it has no such column
    (real data).  Reads only those two columns."""
    import pyarrow.parquet as pq

    path = Path(catalog_path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run chapter 00_survey first")
    names = pq.read_schema(path).names
    if "true_bulge_frac" not in names or "dr7objid" not in names:
        return None
    return pd.read_parquet(path, columns=["dr7objid", "true_bulge_frac"])


def sersic_frame(labels: pd.DataFrame, predictions: pd.DataFrame | None, split: str = "test",
                 catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """Galaxies of ``split`` with ``sersic_n``, the labels and DDB's label
    (:func:`galbias.results.frames.evaluation_frame`).

    ``split`` is a key of :data:`SPLITS` (the networks' predictions exist for ``val`` and
    ``test``).  With a ``catalog`` holding ``dr7objid`` and ``true_bulge_frac`` (simulated
    survey) the true bulge-to-total ratio is added as ``bulge_frac``.
    """
    if split not in SPLITS:
        raise SersicError(f"unknown split {split!r}; use one of {sorted(SPLITS)}")
    if "sersic_n" not in labels.columns:
        raise SersicError("labels.parquet has no column 'sersic_n': re-run chapters 00_survey and 01_labeling")
    if predictions is None:
        raise SersicError("no predictions.parquet given: run chapter 04_ddb_training first")
    extra = None
    if catalog is not None and {"dr7objid", "true_bulge_frac"} <= set(catalog.columns):
        extra = catalog.rename(columns={"dr7objid": "id", "true_bulge_frac": "bulge_frac"})[["id", "bulge_frac"]]
    return evaluation_frame(labels, predictions, splits=SPLITS[split], extra=extra, networks=["ddb"])


def groups(frame: pd.DataFrame, with_truth: bool | None = None) -> list[Group]:
    """The galaxy sets of the paper's Fig. 10 (panels a–c) and, with the truth, panel d."""
    def eq(col: str, v: int) -> np.ndarray:
        return (pd.to_numeric(frame[col], errors="coerce") == v).fillna(False).to_numpy(dtype=bool)

    out = [
        Group("smooth_gz2b", "a", "labelled smooth by GZ2B", eq("gz2b", 0), "gz2b"),
        Group("smooth_gz2d", "a", "labelled smooth by GZ2D", eq("gz2d", 0), "gz2d"),
        Group("smooth_ddb", "a", "labelled smooth by DDB", eq("ddb", 0), "ddb"),
        Group("disk_gz2b", "b", "labelled disk by GZ2B", eq("gz2b", 1), "gz2b"),
        Group("changed_gz2d", "b", "GZ2B smooth → GZ2D disk", changed_to_disk(frame["gz2b"], frame["gz2d"]), "gz2d"),
        Group("changed_ddb", "b", "GZ2B smooth → DDB disk", changed_to_disk(frame["gz2b"], frame["ddb"]), "ddb"),
        Group("disk_gz2d", "c", "labelled disk by GZ2D", eq("gz2d", 1), "gz2d"),
        Group("disk_ddb", "c", "labelled disk by DDB", eq("ddb", 1), "ddb"),
    ]
    if with_truth is None:
        with_truth = bool(frame["truth"].notna().any())
    if with_truth:
        out += [Group("true_smooth", "d", "truly smooth", eq("truth", 0), "smooth"),
                Group("true_disk", "d", "truly disk", eq("truth", 1), "disk")]
    return out


def paper_value_text(name: str, with_side: bool = True) -> str | None:
    """The paper's number for a group as text, None if it gives none.

    ``"≈40% with n < 3"``, or ``"≈40%"`` with ``with_side=False`` (for prose that already
    names the side of the line).
    """
    if name not in PAPER_SERSIC:
        return None
    side, qual, frac = PAPER_SERSIC[name]
    if not with_side:
        return f"{qual}{frac:.0%}"
    cmp_ = "n < 3" if side == "n<3" else "n > 3"
    return f"{qual}{frac:.0%} with {cmp_}"


def fractions_table(n: Any, frame_groups: list[Group], truth: Any = None,
                    split_at: float = PAPER_SERSIC_SPLIT) -> pd.DataFrame:
    """One row per group: its size, the fractions with n below / at-or-above ``split_at``, the
    fraction of true disks (NaN without the truth) and the paper's value (text or None)."""
    v = np.asarray(n, dtype=float)
    t = None if truth is None else pd.to_numeric(pd.Series(truth), errors="coerce").to_numpy(dtype=float)
    rows = []
    for g in frame_groups:
        m = np.asarray(g.mask, dtype=bool)
        if m.shape != v.shape:
            raise SersicError(f"group {g.name!r} has {m.size} entries but n has {v.size}")
        vals = v[m & np.isfinite(v)]
        lt = float(np.mean(vals < split_at)) if vals.size else np.nan
        td = np.nan
        if t is not None:
            tt = t[m]
            tt = tt[np.isfinite(tt)]
            td = float(np.mean(tt == 1)) if tt.size else np.nan
        rows.append({"name": g.name, "panel": g.panel, "description": g.description, "count": int(m.sum()),
                     "n_measured": int(vals.size), "frac_n_lt_3": lt, "frac_n_gt_3": 1 - lt if vals.size else np.nan,
                     "frac_true_disk": td, "paper_value": paper_value_text(g.name)})
    return pd.DataFrame(rows, columns=COLUMNS)


def truth_by_sersic(n: Any, truth: Any, split_at: float = PAPER_SERSIC_SPLIT) -> pd.DataFrame:
    """How well n < ``split_at`` picks out true disks (simulated survey).

    Rows ``n < 3`` and ``n > 3``; columns ``count``, ``true_disks``, ``frac_true_disk`` (the
    purity of the cut) and ``share_of_true_disks`` (the fraction of all true disks on that
    side).  Galaxies without n or without a true class are left out.
    """
    v = np.asarray(n, dtype=float)
    t = pd.to_numeric(pd.Series(truth), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(v) & np.isfinite(t)
    v, t = v[ok], t[ok]
    disks = t == 1
    rows = []
    for name, side in ((f"n < {split_at:g}", v < split_at), (f"n > {split_at:g}", v >= split_at)):
        k = int(side.sum())
        d = int((side & disks).sum())
        rows.append({"n range": name, "count": k, "true_disks": d,
                     "frac_true_disk": d / k if k else np.nan,
                     "share_of_true_disks": d / disks.sum() if disks.any() else np.nan})
    return pd.DataFrame(rows).set_index("n range")


def write_sersic(path: str | Path, table: pd.DataFrame, params: dict[str, Any],
                 inputs: dict[str, str | Path]) -> Path:
    """Write ``sersic.csv`` atomically with a manifest."""
    return artifacts.write_table(path, table, COLUMNS, params, inputs, code="sersic")
