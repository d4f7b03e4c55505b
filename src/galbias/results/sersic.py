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

from ..core import artifacts
from ..reference import PAPER_SERSIC, PAPER_SERSIC_SPLIT
from .frames import FrameError, evaluation_frame

__all__ = ["SersicError", "Group", "PANELS", "ecdf", "true_bulge_fractions", "changed_to_disk", "sersic_frame",
           "groups", "fractions_table",
           "truth_by_sersic", "paper_value_text", "SPLITS", "COLUMNS", "write_sersic", "ALL_GROUPS", "ALPHA_GROUPS",
           "fraction_by_alpha", "fraction_numbers", "truth_numbers"]

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


# --- the chapter's numbers ------------------------------------------------------------------------

#: every group of :func:`groups`, in the order the text quotes them
ALL_GROUPS = ("smooth_gz2b", "smooth_gz2d", "smooth_ddb", "disk_gz2b", "changed_gz2d", "changed_ddb",
              "disk_gz2d", "disk_ddb", "true_smooth", "true_disk")


def fraction_numbers(table: pd.DataFrame) -> dict[str, Any]:
    """``lt_<g>``, ``gt_<g>``, ``td_<g>`` (fractions with n below/above the cut, true disks),
    ``count_<g>`` and ``paper_<g>`` (the paper's number as text, "–" if none) for every group."""
    F = table.set_index("name")
    vals: dict[str, Any] = {}
    for name in ALL_GROUPS:
        have = name in F.index
        vals[f"lt_{name}"] = float(F.loc[name, "frac_n_lt_3"]) if have else np.nan
        vals[f"gt_{name}"] = float(F.loc[name, "frac_n_gt_3"]) if have else np.nan
        vals[f"td_{name}"] = float(F.loc[name, "frac_true_disk"]) if have else np.nan
        vals[f"count_{name}"] = int(F.loc[name, "count"]) if have else 0
        vals[f"paper_{name}"] = paper_value_text(name, with_side=False) or "–"
    return vals


def truth_numbers(frame: pd.DataFrame, split_at: float = PAPER_SERSIC_SPLIT) -> tuple[pd.DataFrame | None, dict]:
    """Simulated survey: :func:`truth_by_sersic` and, for the text, the purity of each side of the
    cut, the share of true disks below it, true disks above it, and the median true bulge fraction
    of true disks on each side.  ``(None, NaNs)`` without the truth."""
    keys = ["purity_lt", "purity_gt", "share_lt", "bt_disk_lt", "bt_disk_gt"]
    if not frame["truth"].notna().any():
        return None, {**dict.fromkeys(keys, np.nan), "n_disk_gt": 0}
    nser = frame["sersic_n"].to_numpy(dtype=float)
    tb = truth_by_sersic(nser, frame["truth"], split_at=split_at)
    disks = (frame["truth"] == 1).fillna(False).to_numpy(dtype=bool)
    bt = frame["bulge_frac"].to_numpy(dtype=float) if "bulge_frac" in frame else np.full(len(frame), np.nan)
    hi_n = nser >= split_at

    def median(sel):
        return float(np.nanmedian(bt[sel])) if sel.any() else np.nan

    return tb, {"purity_lt": float(tb["frac_true_disk"].iloc[0]), "purity_gt": float(tb["frac_true_disk"].iloc[1]),
                "share_lt": float(tb["share_of_true_disks"].iloc[0]), "n_disk_gt": int(tb["true_disks"].iloc[1]),
                "bt_disk_lt": median(disks & ~hi_n), "bt_disk_gt": median(disks & hi_n)}


#: the groups of the resolution figure and their colour keys
ALPHA_GROUPS = {"smooth_gz2b": "gz2b", "smooth_ddb": "ddb", "true_smooth": "smooth", "true_disk": "disk"}


def fraction_by_alpha(frame: pd.DataFrame, frame_groups: list[Group], n_bins: int,
                      split_at: float = PAPER_SERSIC_SPLIT) -> tuple[dict[str, pd.DataFrame], dict[str, float]]:
    """Fraction with n below the cut in equal-count alpha bins for the groups of
    :data:`ALPHA_GROUPS` that have at least ``2 n_bins`` measured galaxies; and the fractions in
    the first and last bin (``lo_ts``/``hi_ts`` true smooth, ``_td`` true disks, ``_sb`` GZ2B
    smooth, ``_sf`` DDB smooth; NaN where a group is absent)."""
    from ..data.binning import binned_fraction

    nser = frame["sersic_n"].to_numpy(dtype=float)
    alpha = frame["alpha"].to_numpy(dtype=float)
    ok = np.isfinite(nser)
    series = {}
    for g in frame_groups:
        m = g.mask & ok
        if g.name in ALPHA_GROUPS and m.sum() >= 2 * n_bins:
            series[g.name] = binned_fraction(alpha[m], nser[m] < split_at, n_bins)
    ends = {}
    for name, key in (("true_smooth", "ts"), ("true_disk", "td"), ("smooth_gz2b", "sb"), ("smooth_ddb", "sf")):
        t = series.get(name)
        ends[f"lo_{key}"] = float(t["frac"].iloc[0]) if t is not None else np.nan
        ends[f"hi_{key}"] = float(t["frac"].iloc[-1]) if t is not None else np.nan
    return series, ends
