"""Galaxies whose class a de-biasing network changed, and an alpha-matched control (chapter 7).

The paper (§5.4.3) looked for high-resolution HST images of the test galaxies that were
*smooth* in the original labels (GZ2B) but *disk* according to DDB, and found that most of the
11 it could find show spiral arms.  That check has no control: a random GZ2B-smooth galaxy of
the same resolution might show arms just as often.  On the simulated survey the true class is
known, so the control can be run:

- :func:`test_table` - the test galaxies with their labels, ``alpha``, the truth and every
  network's ``p_disk_<model>`` (and, when given, extra catalog columns such as ``true_n_arms``).
- :func:`changed_mask` - the galaxies whose label ``from_col`` is smooth and whose network
  probability of *disk* exceeds the threshold (smooth -> disk); ``direction="disk_to_smooth"``
  gives the opposite change.
- :func:`alpha_matched_draws` - for each changed galaxy, a galaxy drawn at random from a pool
  (all GZ2B-smooth test galaxies) in the same equal-count ``alpha`` bin of the pool; repeated
  ``n_draws`` times with a seeded generator, so the control sample has the changed set's
  ``alpha`` distribution.
- :func:`control_summary` - the true-disk fraction of the changed set (with a Wilson
  interval) against the distribution of the same fraction over the control draws.

Documented choices: the pool *includes* the changed galaxies (the control answers "what would
a random GZ2B-smooth galaxy at this resolution be?", which is the null hypothesis for "DDB picks
out the hidden disks"); within one draw the pool galaxies of a bin are drawn without
replacement when the bin has enough of them, else with replacement; bins are equal-count
quantile bins of the pool's ``alpha``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "PAPER_HST", "ControlResult", "alpha_bin_edges", "alpha_matched_draws", "assign_bins", "changed_mask",
    "changed_table", "control_summary", "test_table", "wilson_interval",
]

#: the paper's visual check (§5.4.3, Fig. 11): HST images found for galaxies that changed
#: smooth (GZ2B) -> disk (DDB); how many show spiral arms; how many look lenticular
PAPER_HST = {"found": 11, "arms": 8, "lenticular": 3}

#: networks whose ``p_disk_<name>`` columns chapter 4 writes
MODELS = ("ce_gz2b", "ce_gz2d", "ddb")


def test_table(labels: pd.DataFrame, predictions: pd.DataFrame, split: str = "test",
               extra: pd.DataFrame | None = None, extra_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The ``split`` galaxies of ``labels`` joined with their predictions (and catalog extras).

    ``predictions`` has ``id``, ``split`` and ``p_disk_<model>`` columns (chapter 4).  ``extra``
    (e.g. the survey catalog, keyed by ``id``) contributes ``extra_columns`` where present.
    Every ``split`` galaxy must have a prediction (an error names the missing ones).
    """
    part = labels[labels["split"] == split]
    if len(part) == 0:
        raise ValueError(f"no galaxies with split == {split!r} in the labels")
    pcols = [c for c in predictions.columns if c.startswith("p_disk_")]
    if not pcols:
        raise ValueError("the predictions have no p_disk_<model> column: run chapter 4 first")
    out = part.merge(predictions[["id", *pcols]], on="id", how="left", validate="one_to_one")
    miss = out[pcols].isna().all(axis=1)
    if miss.any():
        raise ValueError(f"{int(miss.sum())} {split} galaxies have no prediction, e.g. id "
                         f"{out.loc[miss, 'id'].iloc[0]}: re-run chapter 4")
    if extra is not None and extra_columns:
        cols = [c for c in extra_columns if c in extra.columns and c not in out.columns]
        if cols:
            out = out.merge(extra[["id", *cols]], on="id", how="left", validate="one_to_one")
    return out.reset_index(drop=True)


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


def changed_table(df: pd.DataFrame, mask: np.ndarray, models: Iterable[str] = MODELS,
                  keep: Sequence[str] = ("gz2b", "gz2d", "truth", "true_n_arms", "true_arm_contrast",
                                         "true_bulge_frac", "file_loc", "hires_loc")) -> pd.DataFrame:
    """The ``changed.parquet`` rows: ``id``, ``alpha``, ``p_disk_<model>`` and ``keep`` columns present."""
    cols = ["id", "alpha", *[f"p_disk_{m}" for m in models if f"p_disk_{m}" in df.columns],
            *[c for c in keep if c in df.columns]]
    return df.loc[np.asarray(mask, bool), cols].sort_values("alpha").reset_index(drop=True)


# --- the alpha-matched control ----------------------------------------------------------------

def alpha_bin_edges(alpha_pool: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-count bin edges (``n_bins + 1`` quantiles) of the pool's ``alpha``; outer edges +-inf."""
    a = np.asarray(alpha_pool, float)
    if a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError("the control pool needs at least one galaxy and finite alpha values")
    n_bins = int(n_bins)
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    edges = np.quantile(a, np.linspace(0, 1, n_bins + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    return edges


def assign_bins(alpha: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin index (0..len(edges)-2) of each ``alpha``: bin k holds edges[k] <= alpha < edges[k+1]."""
    inner = np.asarray(edges, float)[1:-1]
    return np.searchsorted(inner, np.asarray(alpha, float), side="right")


def alpha_matched_draws(alpha_changed: np.ndarray, alpha_pool: np.ndarray, n_bins: int = 5,
                        n_draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Indices into the pool, shape ``(n_draws, n_changed)``: an alpha-matched control per draw.

    For each changed galaxy, a pool galaxy is drawn from the same equal-count bin of the
    pool's ``alpha``.  In each draw, the ``c_k`` changed galaxies of bin ``k`` get ``c_k``
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
    edges = alpha_bin_edges(a_p, n_bins)
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


def wilson_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n`` (NaN, NaN when ``n == 0``)."""
    if n <= 0:
        return float("nan"), float("nan")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / den
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


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
