r"""The Sérsic-index check of the paper's §5.4.2 (its Fig. 10).

A single-Sérsic fit :math:`I(r) \propto \exp[-b_n (r/r_e)^{1/n}]` summarises how concentrated a
galaxy's light is: :math:`n \approx 1` for an exponential disk, :math:`n \approx 4` for a
de Vaucouleurs (bulge/elliptical) profile.  The paper uses :math:`n = 3` as the dividing line
and compares the cumulative distributions of :math:`n` of galaxies in three sets of panels:

(a) labelled *smooth* by GZ2B, GZ2D and DDB;
(b) *changed* from GZ2B smooth to disk by GZ2D and by DDB, against the GZ2B disks;
(c) labelled *disk* by GZ2B, GZ2D and DDB.

On the simulated survey a fourth set (d) uses the true classes.  Network labels are
``p_disk > 0.5``.  Galaxies without a Sérsic fit (``sersic_n`` missing) are left out of the
fractions and the curves; ``count`` is the group size, ``n_measured`` the galaxies with a fit.
"Fraction n > 3" is the complement of "fraction n < 3" among the measured galaxies (it
includes n = 3 exactly).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import artifacts
from .evaluate import hard_labels
from .reference import PAPER_SERSIC, PAPER_SERSIC_SPLIT

__all__ = ["SersicError", "Group", "PANELS", "ecdf", "true_bulge_fractions", "changed_to_disk", "sersic_frame",
           "groups", "fractions_table",
           "truth_by_sersic", "paper_value_text", "SPLITS", "COLUMNS", "write_sersic"]

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


class SersicError(ValueError):
    """Inputs the Sérsic analysis cannot use (a missing column, file or galaxy)."""


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
    """Galaxies of ``split`` with ``sersic_n``, ``gz2b``, ``gz2d``, ``ddb`` (p_disk > 0.5), ``truth``.

    ``split`` is a key of :data:`SPLITS` (the networks' predictions exist for ``val`` and
    ``test``).  With a ``catalog`` holding ``dr7objid`` and ``true_bulge_frac`` (simulated
    survey) the true bulge-to-total ratio is added as ``bulge_frac``.
    """
    if split not in SPLITS:
        raise SersicError(f"unknown split {split!r}; use one of {sorted(SPLITS)}")
    need = ["id", "split", "sersic_n", "gz2b", "gz2d", "truth"]
    miss = [c for c in need if c not in labels.columns]
    if miss:
        raise SersicError(f"labels.parquet has no column(s) {miss}: re-run chapters 00_survey and 01_labeling")
    if predictions is None:
        raise SersicError("no predictions.parquet given: run chapter 04_ddb_training first")
    if "id" not in predictions.columns or "p_disk_ddb" not in predictions.columns:
        raise SersicError(f"predictions.parquet needs columns 'id' and 'p_disk_ddb' (has {list(predictions.columns)}): "
                          "re-run chapter 04_ddb_training")
    base = labels.loc[labels["split"].isin(SPLITS[split]), need].reset_index(drop=True)
    if base.empty:
        raise SersicError(f"labels.parquet has no galaxies in split {split!r}")
    pred = predictions[["id", "p_disk_ddb"]]
    lacking = ~base["id"].isin(pred["id"])
    if lacking.any():
        ex = base.loc[lacking, "id"].head(3).tolist()
        raise SersicError(f"predictions.parquet lacks {int(lacking.sum())} of the {len(base)} galaxies of split "
                          f"{split!r} (e.g. id {ex}): re-run chapter 04_ddb_training")
    out = base.merge(pred.drop_duplicates("id"), on="id", how="left", validate="one_to_one")
    out["ddb"] = hard_labels(out["p_disk_ddb"])
    t = pd.to_numeric(out["truth"], errors="coerce").to_numpy(dtype=float)
    out["truth"] = pd.array(np.where(np.isin(t, (0.0, 1.0)), t, 0).astype(int), dtype="Int8")
    out.loc[~np.isin(t, (0.0, 1.0)), "truth"] = pd.NA  # stars/artifacts and real data: no true class
    if catalog is not None and {"dr7objid", "true_bulge_frac"} <= set(catalog.columns):
        bt = catalog.set_index("dr7objid")["true_bulge_frac"]
        out["bulge_frac"] = out["id"].map(bt).astype(float)
    return out


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
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise SersicError(f"table lacks column(s) {missing}")
    path = Path(path)
    artifacts.write_csv(path, table, COLUMNS)
    artifacts.write_manifest(path, params, inputs, n_rows=len(table))
    return path
