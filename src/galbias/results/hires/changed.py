"""Chapter 7's sets: the galaxies a network changed, their counts and the alpha-matched control draws
(described in :mod:`galbias.results.hires`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core import artifacts
from ...data.binning import assign_bins, equal_count_edges
from ...methods.metrics import wilson_interval
from ..networks import NETWORKS

__all__ = ["ControlResult", "TRUE_COLUMNS", "alpha_matched_draws", "changed_counts", "changed_mask",
           "changed_numbers", "changed_table", "control_summary", "pool_mask", "true_class", "truth_extra",
           "write_changed"]


#: catalog columns with each galaxy's true structure, carried into ``changed.parquet``
TRUE_COLUMNS = ("true_n_arms", "true_arm_contrast", "true_bulge_frac")


def changed_mask(df: pd.DataFrame, model: str = "ddb", from_col: str = "gz2b", threshold: float = 0.5,
                 direction: str = "smooth_to_disk") -> np.ndarray:
    """Boolean mask of the galaxies whose class network ``model`` changed from label ``from_col``.

    ``smooth_to_disk``: ``from_col == 0`` and ``p_disk_<model> > threshold``;
    ``disk_to_smooth``: ``from_col == 1`` and ``p_disk_<model> <= threshold`` (the argmax of
    the two-class softmax for ``threshold = 0.5``).  Missing labels or probabilities never count.
    """
    p = pd.to_numeric(df[f"p_disk_{model}"], errors="coerce").to_numpy(float)
    lab = pd.to_numeric(df[from_col], errors="coerce").to_numpy(float)
    ok = np.isfinite(p) & np.isfinite(lab)
    if direction == "smooth_to_disk":
        return ok & (lab == 0) & (p > threshold)
    if direction == "disk_to_smooth":
        return ok & (lab == 1) & (p <= threshold)
    raise ValueError(f"direction must be 'smooth_to_disk' or 'disk_to_smooth', got {direction!r}")


def changed_table(df: pd.DataFrame, mask: np.ndarray, models: Iterable[str] = tuple(n.name for n in NETWORKS),
                  keep: Sequence[str] = ("gz2b", "gz2d", "truth", "truth_class", "true_n_arms", "true_arm_contrast",
                                         "true_bulge_frac", "file_loc", "hires_loc")) -> pd.DataFrame:
    """The ``changed.parquet`` rows: ``id``, ``alpha``, ``p_disk_<model>`` and ``keep`` columns present."""
    cols = ["id", "alpha", *[f"p_disk_{m}" for m in models if f"p_disk_{m}" in df.columns],
            *[c for c in keep if c in df.columns]]
    return df.loc[np.asarray(mask, bool), cols].sort_values("alpha").reset_index(drop=True)


def alpha_matched_draws(alpha_changed: np.ndarray, alpha_pool: np.ndarray, n_bins: int = 5,
                        n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Indices into the pool, shape ``(n_draws, n_changed)``: an alpha-matched control per draw.

    For each changed galaxy, a pool galaxy is drawn from the same equal-count bin of the
    pool's ``alpha`` (:func:`galbias.data.binning.equal_count_edges`; the outer bins are open).  In each draw, the ``c_k`` changed galaxies of bin ``k`` get ``c_k``
    distinct pool galaxies of that bin when the bin holds at least ``c_k`` of them, else
    ``c_k`` draws with replacement.  Deterministic for a given ``seed``.  Raises
    ``ValueError`` when a bin holding changed galaxies has no pool galaxy.
    """
    a_c = np.asarray(alpha_changed, float)
    a_p = np.asarray(alpha_pool, float)
    if not np.all(np.isfinite(a_c)):
        raise ValueError("alpha of the changed galaxies must be finite")
    n_draws = int(n_draws)
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    out = np.empty((n_draws, a_c.size), dtype=np.int64)
    if a_c.size == 0:
        return out
    if a_p.size == 0:
        raise ValueError("the control pool needs at least one galaxy")
    edges = equal_count_edges(a_p, min(int(n_bins), a_p.size), name="alpha of the control pool")
    b_c = assign_bins(a_c, edges)
    b_p = assign_bins(a_p, edges)
    rng = np.random.default_rng(seed)
    for k in np.unique(b_c):
        slots = np.flatnonzero(b_c == k)
        members = np.flatnonzero(b_p == k)
        if members.size == 0:
            raise ValueError(f"alpha bin {k} ({edges[k]:.3g} to {edges[k + 1]:.3g}) holds changed galaxies but "
                             "no pool galaxy: use fewer bins")
        if members.size >= slots.size:
            # one random permutation per draw, keep the first c_k: distinct galaxies in a draw
            keys = rng.random((n_draws, members.size))
            pick = np.argpartition(keys, slots.size - 1, axis=1)[:, :slots.size] if slots.size < members.size \
                else np.argsort(keys, axis=1)
        else:
            pick = rng.integers(0, members.size, size=(n_draws, slots.size))
        out[:, slots] = members[pick]
    return out


@dataclass(frozen=True)
class ControlResult:
    """True-disk fraction of a changed set against its alpha-matched control draws."""

    n_changed: int
    n_pool: int
    frac_changed: float
    frac_changed_lo: float
    frac_changed_hi: float
    frac_control: float        # mean over draws
    frac_control_lo: float     # central ``level`` interval over draws
    frac_control_hi: float
    p_value: float             # share of draws with a control fraction >= the changed set's
    draws: np.ndarray          # per-draw control fractions

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in self.__dict__.items() if k != "draws"}


def control_summary(truth_changed: np.ndarray, truth_pool: np.ndarray, draws: np.ndarray,
                    level: float = 0.95) -> ControlResult:
    """Compare the true-disk fraction of the changed set with the alpha-matched control.

    True stars/artifacts (code 2) with a galaxy majority vote count as "not a disk".

    ``draws`` are pool indices from :func:`alpha_matched_draws`.  The changed set's interval
    is Wilson's (the set is a finite sample); the control's is the central ``level``
    interval of its fraction over the draws.  ``p_value`` is the one-sided share of draws
    whose control fraction is at least the changed set's (with the usual +1 correction).
    """
    t_c = np.asarray(truth_changed, float)
    t_p = np.asarray(truth_pool, float)
    if not (np.all(np.isin(t_c, (0, 1, 2))) and np.all(np.isin(t_p, (0, 1, 2)))):
        raise ValueError("truth must be 0 (smooth), 1 (disk) or 2 (star/artifact) for every object of the "
                         "changed set and the pool")
    # a star or artifact that volunteers took for a galaxy is not a disk
    t_c, t_p = (t_c == 1).astype(float), (t_p == 1).astype(float)
    n = t_c.size
    k = int(t_c.sum())
    frac = k / n if n else float("nan")
    lo, hi = wilson_interval(k, n, level)
    if n == 0:
        per_draw = np.full(len(draws), np.nan)
        c_mean = c_lo = c_hi = p_val = float("nan")
    else:
        per_draw = t_p[np.asarray(draws)].mean(axis=1)
        q = (1 - level) / 2
        c_mean = float(per_draw.mean())
        c_lo, c_hi = (float(x) for x in np.quantile(per_draw, [q, 1 - q]))
        p_val = float((1 + np.sum(per_draw >= frac - 1e-12)) / (1 + per_draw.size))
    return ControlResult(n, int(t_p.size), frac, lo, hi, c_mean, c_lo, c_hi, p_val, per_draw)


def truth_extra(catalog: pd.DataFrame | None) -> pd.DataFrame | None:
    """``id`` and :data:`TRUE_COLUMNS` of a catalog (``dr7objid`` is the id); None without them."""
    if catalog is None or not all(c in catalog.columns for c in TRUE_COLUMNS):
        return None
    return catalog.rename(columns={"dr7objid": "id"}).loc[:, ["id", *TRUE_COLUMNS]]


def true_class(frame: pd.DataFrame) -> np.ndarray:
    """The raw true class (0 smooth, 1 disk, 2 star/artifact) as floats; NaN where unknown."""
    col = "truth_class" if "truth_class" in frame.columns else "truth"
    if col not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()


def _truth_known(frame: pd.DataFrame) -> bool:
    return len(frame) > 0 and bool(np.isfinite(true_class(frame)).all())


def pool_mask(frame: pd.DataFrame, from_col: str = "gz2b") -> np.ndarray:
    """The galaxies labelled smooth in ``from_col`` (the control pool); missing labels never count."""
    return pd.to_numeric(frame[from_col], errors="coerce").astype(float).to_numpy() == 0


def _networks(frame: pd.DataFrame) -> list:
    return [n for n in NETWORKS if n.column in frame.columns]


def _share(mask: np.ndarray) -> float:
    return float(np.mean(mask)) if len(mask) else float("nan")


def changed_counts(frame: pd.DataFrame, threshold: float = 0.5, from_col: str = "gz2b") -> pd.DataFrame:
    """Table 7.1: per network, how many galaxies it changes from ``from_col`` in each direction.

    Columns ``smooth → disk``, ``disk → smooth``, ``share changed`` (of the galaxies labelled
    smooth in ``from_col``) and, when every galaxy's true class is known, ``right (→ disk)`` (the
    share of true disks among the smooth -> disk changes) and ``right (→ smooth)`` (the share of
    true smooth galaxies among the disk -> smooth changes; NaN when the network changes none).
    Index: the networks' titles.
    """
    tc, known = true_class(frame), _truth_known(frame)
    n_smooth = int(pool_mask(frame, from_col).sum())
    rows = []
    for net in _networks(frame):
        to_disk = changed_mask(frame, net.name, from_col, threshold)
        to_smooth = changed_mask(frame, net.name, from_col, threshold, direction="disk_to_smooth")
        row = {"network": net.title, "smooth → disk": int(to_disk.sum()), "disk → smooth": int(to_smooth.sum()),
               "share changed": to_disk.sum() / n_smooth if n_smooth else float("nan")}
        if known:
            row["right (→ disk)"] = _share(tc[to_disk] == 1)
            row["right (→ smooth)"] = _share(tc[to_smooth] == 0)
        rows.append(row)
    return pd.DataFrame(rows).set_index("network")


def changed_numbers(frame: pd.DataFrame, threshold: float = 0.5, model: str = "ddb",
                    from_col: str = "gz2b") -> dict[str, float]:
    """Numbers of the text on the galaxies ``model`` changes (NaN where the truth is unknown).

    ``threshold``, ``n_test`` (galaxies in the frame), ``n_smooth_b`` (labelled smooth),
    ``n_changed`` (smooth -> disk), ``n_back`` (disk -> smooth), ``n_hidden`` (labelled smooth
    but truly disks), ``frac_smooth_hidden`` (their share of the smooth labels) and
    ``frac_hidden_found`` (the share of them that ``model`` changes to disk).
    """
    smooth, tc = pool_mask(frame, from_col), true_class(frame)
    changed = changed_mask(frame, model, from_col, threshold)
    hidden = smooth & (tc == 1)
    known = _truth_known(frame)
    return {"threshold": threshold, "n_test": len(frame), "n_smooth_b": int(smooth.sum()),
            "n_changed": int(changed.sum()),
            "n_back": int(changed_mask(frame, model, from_col, threshold, direction="disk_to_smooth").sum()),
            "n_hidden": int(hidden.sum()) if known else float("nan"),
            "frac_hidden_found": _share(changed[hidden]) if known else float("nan"),
            "frac_smooth_hidden": _share(hidden[smooth]) if known else float("nan")}


def write_changed(path: str | os.PathLike, frame: pd.DataFrame, threshold: float = 0.5, model: str = "ddb",
                  from_col: str = "gz2b", split: str = "test",
                  inputs: dict[str, str | os.PathLike] | None = None) -> pd.DataFrame:
    """Write ``changed.parquet`` (:func:`changed_table` of the smooth -> disk galaxies) with a manifest."""
    table = changed_table(frame, changed_mask(frame, model, from_col, threshold))
    artifacts.write_parquet(path, table)
    artifacts.write_manifest(path, {"model": model, "from": from_col, "threshold": threshold, "split": split},
                             inputs=inputs, code="changed", n_rows=len(table))
    return table
