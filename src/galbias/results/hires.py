"""Chapter 7: galaxies whose class a de-biasing network changed, and an alpha-matched control.

The paper (§5.4.3) looked for high-resolution HST images of the test galaxies that were
*smooth* in the original labels (GZ2B) but *disk* according to DDB, and found that most of the
11 it could find show spiral arms.  That check has no control: a random GZ2B-smooth galaxy of
the same resolution might show arms just as often.  On the simulated survey the true class is
known, so the control can be run:

- the test galaxies with their labels, ``alpha``, the truth and every network's
  ``p_disk_<model>`` come from :func:`galbias.results.frames.evaluation_frame` (with extra
  catalog columns such as ``true_n_arms``).
- :func:`changed_mask` - the galaxies whose label ``from_col`` is smooth and whose network
  probability of *disk* exceeds the threshold (smooth -> disk); ``direction="disk_to_smooth"``
  gives the opposite change.
- :func:`alpha_matched_draws` - for each changed galaxy, a galaxy drawn at random from a pool
  (all GZ2B-smooth test galaxies) in the same equal-count ``alpha`` bin of the pool; repeated
  ``n_draws`` times with a seeded generator, so the control sample has the changed set's
  ``alpha`` distribution.
- :func:`control_summary` - the true-disk fraction of the changed set (with a Wilson
  interval) against the distribution of the same fraction over the control draws.

What chapter 7 shows, as tables and numbers to glue:

- :func:`truth_extra` - the catalog's structural truth (:data:`TRUE_COLUMNS`) keyed by ``id``,
  for the ``extra`` of :func:`~galbias.results.frames.evaluation_frame`.
- :func:`changed_counts` (Table 7.1) and :func:`changed_numbers` - how many galaxies each
  network changes, in either direction, and how often the change is right.
- :func:`write_changed` - ``changed.parquet`` with its manifest.
- :func:`examples`, :func:`describe`, :func:`grid_message`, :func:`grid_numbers` - the random
  changed galaxies of the survey/high-resolution grid, their titles and what the grid shows.
- :func:`control_results`, :func:`control_numbers`, :func:`control_table` (Table 7.2) - the
  alpha-matched control for every network; :func:`paper_numbers` - the paper's HST counts.

Stars and artifacts (``truth_class`` 2) that volunteers took for galaxies count as "not a
disk" and "not smooth" throughout.

Documented choices: the pool *includes* the changed galaxies (the control answers "what would
a random GZ2B-smooth galaxy at this resolution be?", which is the null hypothesis for "DDB picks
out the hidden disks"); within one draw the pool galaxies of a bin are drawn without
replacement when the bin has enough of them, else with replacement; bins are equal-count
bins of the pool's ``alpha`` (:mod:`galbias.data.binning`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core import artifacts
from ..data.binning import assign_bins, equal_count_edges
from ..reference import PAPER_HST
from .networks import NETWORKS

__all__ = [
    "SIGNIFICANCE",
    "TRUE_COLUMNS",
    "ControlResult",
    "alpha_matched_draws",
    "chance_verdict",
    "changed_counts",
    "changed_mask",
    "changed_numbers",
    "changed_table",
    "control_numbers",
    "control_results",
    "control_summary",
    "control_table",
    "describe",
    "examples",
    "grid_message",
    "grid_numbers",
    "inspection_chance",
    "paper_numbers",
    "paper_share_verdict",
    "pool_mask",
    "true_class",
    "truth_extra",
    "verdict_numbers",
    "wilson_interval",
    "write_changed",
]

#: catalog columns with each galaxy's true structure, carried into ``changed.parquet``
TRUE_COLUMNS = ("true_n_arms", "true_arm_contrast", "true_bulge_frac")

#: the significance level of chapter 7's verdicts (the control's p-value, the comparison with
#: the paper's counts)
SIGNIFICANCE = 0.05


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


# --- the alpha-matched control ----------------------------------------------------------------

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


# --- what chapter 7 shows ----------------------------------------------------------------------

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


def describe(row: Any) -> str:
    """What a galaxy truly is, for a figure: "true smooth", "true disk, 2 arms", ... ("" if unknown)."""
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    cls = get("truth_class", get("truth", None))
    if cls is None or pd.isna(cls):
        return ""
    if int(cls) == 0:
        return "true smooth"
    if int(cls) != 1:
        return "true star/artifact"
    arms = get("true_n_arms", None)
    if arms is None or pd.isna(arms):
        return "true disk"
    return "true disk, no arms" if int(arms) == 0 else f"true disk, {int(arms)} arm{'s' if int(arms) > 1 else ''}"


def examples(changed: pd.DataFrame, n: int, seed: int, model: str = "ddb") -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``n`` rows of ``changed`` drawn at random (seeded; kept in their order), and the grid titles.

    The titles map the views of :func:`galbias.compendium.plots.view_grid` to one string per
    galaxy: ``survey`` - alpha and ``model``'s p(disk); ``high-res`` - :func:`describe`.
    """
    rng = np.random.default_rng(seed)
    k = min(int(n), len(changed))
    pick = changed.iloc[np.sort(rng.choice(len(changed), k, replace=False))] if k else changed.iloc[:0]
    titles = {"survey": [f"α={r['alpha']:.1f}, p={r[f'p_disk_{model}']:.2f}" for _, r in pick.iterrows()],
              "high-res": [describe(r) for _, r in pick.iterrows()]}
    return pick, titles


def _has_hires(table: pd.DataFrame) -> bool:
    if "hires_loc" not in table.columns or not len(table):
        return False
    loc = table["hires_loc"]
    return bool(loc.notna().all() and (loc.astype(str).str.len() > 0).all())


def grid_message(table: pd.DataFrame) -> str | None:
    """None when the galaxies of ``table`` can be shown in both views, else why not (for the figure)."""
    if not len(table):
        return "no test galaxy changed from smooth to disk"
    if not _has_hires(table):
        return "no high-resolution views for these data (real GZ2: HST cut-outs are not downloaded yet)"
    return None


def grid_numbers(pick: pd.DataFrame) -> dict[str, float]:
    """``n_grid`` (galaxies shown; 0 without high-resolution views) and ``n_grid_disk`` (true disks among them)."""
    tc = true_class(pick)
    return {"n_grid": len(pick) if grid_message(pick) is None else 0,
            "n_grid_disk": int((tc == 1).sum()) if _truth_known(pick) else float("nan")}


def control_results(frame: pd.DataFrame, threshold: float = 0.5, n_bins: int = 5, n_draws: int = 1000,
                    seed: int = 0, from_col: str = "gz2b") -> dict[str, ControlResult]:
    """The alpha-matched control of every network's smooth -> disk set, ``{name: ControlResult}``.

    The pool is every galaxy labelled smooth in ``from_col``; empty when the truth is unknown.
    """
    if not _truth_known(frame):
        return {}
    alpha, tc, pool = frame["alpha"].to_numpy(float), true_class(frame), pool_mask(frame, from_col)
    out = {}
    for net in _networks(frame):
        sel = changed_mask(frame, net.name, from_col, threshold)
        draws = alpha_matched_draws(alpha[sel], alpha[pool], n_bins=n_bins, n_draws=n_draws, seed=seed)
        out[net.name] = control_summary(tc[sel], tc[pool], draws)
    return out


_CONTROL_KEYS = ("frac_changed", "frac_changed_lo", "frac_changed_hi", "frac_control", "frac_control_lo",
                 "frac_control_hi", "p_value")


def control_numbers(results: dict[str, ControlResult], changed: pd.DataFrame, n_bins: int, n_draws: int,
                    model: str = "ddb") -> dict[str, float]:
    """Numbers of the text on ``model``'s control and on what its changed galaxies truly are.

    ``n_alpha_bins``, ``n_draws``, ``p_min`` (the smallest p-value the draws can give), the
    :class:`ControlResult` fractions and ``p_value`` of ``model`` (NaN without a result), and,
    from ``changed`` (:func:`changed_table`), ``n_changed_disk`` / ``n_changed_smooth`` (true
    class) and ``n_changed_arms`` / ``n_changed_lenticular`` (true disks with / without arms;
    NaN without ``true_n_arms``).
    """
    r = results.get(model)
    out: dict[str, float] = {"n_alpha_bins": n_bins, "n_draws": n_draws, "p_min": 1 / (n_draws + 1)}
    out.update({k: float(getattr(r, k)) if r is not None else float("nan") for k in _CONTROL_KEYS})
    tc, nan = true_class(changed), float("nan")
    known = _truth_known(changed) or (len(changed) == 0 and bool(results))  # results exist only with the truth
    arms = pd.to_numeric(changed["true_n_arms"], errors="coerce").to_numpy(float) \
        if known and "true_n_arms" in changed.columns else None
    disk = tc == 1
    out.update(n_changed_disk=int(disk.sum()) if known else nan, n_changed_smooth=int((tc == 0).sum()) if known else nan,
               n_changed_arms=int((arms[disk] > 0).sum()) if arms is not None else nan,
               n_changed_lenticular=int((arms[disk] == 0).sum()) if arms is not None else nan)
    return out


def chance_verdict(r: ControlResult | None, level: float = SIGNIFICANCE) -> str:
    """Words for a :class:`ControlResult`: "better than chance" when its ``p_value`` is below
    ``level``, "no better than chance" otherwise, "not measured" without a result or without
    changed galaxies."""
    if r is None or r.n_changed == 0 or not np.isfinite(r.p_value):
        return "not measured"
    return "better than chance" if r.p_value < level else "no better than chance"


def control_table(results: dict[str, ControlResult], level: float = SIGNIFICANCE) -> pd.DataFrame:
    """Table 7.2: per network, its changed set's true-disk fraction (Wilson interval) against the
    control (mean and central 95% range over the draws), the share of draws at least as rich in
    disks (``p``) and :func:`chance_verdict` at ``level``.

    Without results (real data) a one-row table that says so.
    """
    if not results:
        return pd.DataFrame({"note": ["true classes unknown for real data: no control"]},
                            index=pd.Index([""], name="network"))
    rows = []
    for name, r in results.items():
        title = next((n.title for n in NETWORKS if n.name == name), name)
        some = r.n_changed > 0
        rows.append({"network": title, "changed": r.n_changed, "true disks": r.frac_changed,
                     "95% interval": f"{r.frac_changed_lo:.2f}–{r.frac_changed_hi:.2f}" if some else "–",
                     "control": r.frac_control,
                     "control 95%": f"{r.frac_control_lo:.2f}–{r.frac_control_hi:.2f}" if some else "–",
                     "p": r.p_value, "verdict": chance_verdict(r, level)})
    return pd.DataFrame(rows).set_index("network")


def paper_share_verdict(k: int, n: int, paper_k: int, paper_n: int, level: float = SIGNIFICANCE) -> tuple[str, float]:
    """Is ``k`` of ``n`` consistent with the paper's ``paper_k`` of ``paper_n``?  Fisher's exact
    test of the 2 x 2 table (two-sided): "consistent with" when its p-value is at least
    ``level``, else "lower than" or "higher than"; ("not measured", NaN) when ``n`` is 0."""
    if n <= 0 or paper_n <= 0:
        return "not measured", float("nan")
    p = float(stats.fisher_exact([[k, n - k], [paper_k, paper_n - paper_k]])[1])
    if p >= level:
        return "consistent with", p
    return ("lower than" if k / n < paper_k / paper_n else "higher than"), p


def inspection_chance(frame: pd.DataFrame, threshold: float = 0.5, n_bins: int = 5, n_draws: int = 2000,
                      seed: int = 0, model: str = "ddb", from_col: str = "gz2b",
                      found: int = PAPER_HST["found"], arms: int = PAPER_HST["arms"]) -> dict[str, float]:
    """Could an inspection the size of the paper's have told ``model``'s choice from chance?

    Draws ``found`` galaxies at random from ``model``'s smooth -> disk set (``n_draws`` times)
    and, for each draw, an alpha-matched galaxy for each of them from the GZ2B-smooth pool
    (:func:`alpha_matched_draws`).  Returns ``q_changed`` and ``q_control``: the share of draws in
    which at least ``arms`` of the ``found`` galaxies are true disks with spiral arms, for the
    changed galaxies and for the control; ``n_found`` and ``n_arms`` (the paper's counts).  NaN
    without the truth, without ``true_n_arms`` or with fewer than ``found`` changed galaxies.
    """
    out = {"q_changed": float("nan"), "q_control": float("nan"), "n_found": int(found), "n_arms": int(arms)}
    if not _truth_known(frame) or "true_n_arms" not in frame.columns:
        return out
    sel = np.flatnonzero(changed_mask(frame, model, from_col, threshold))
    pool = np.flatnonzero(pool_mask(frame, from_col))
    if sel.size < found or pool.size == 0:
        return out
    n_arms = pd.to_numeric(frame["true_n_arms"], errors="coerce").fillna(0).to_numpy(float)
    spiral = (true_class(frame) == 1) & (n_arms > 0)
    alpha = frame["alpha"].to_numpy(float)
    rng = np.random.default_rng(seed)
    picks = np.stack([rng.choice(sel, found, replace=False) for _ in range(int(n_draws))])
    # one alpha-matched control galaxy per picked galaxy: match every changed galaxy once per
    # draw, then read off the matches of the picked ones
    matched = alpha_matched_draws(alpha[sel], alpha[pool], n_bins=n_bins, n_draws=int(n_draws), seed=seed + 1)
    cols = np.searchsorted(sel, picks)  # sel is sorted: the column of each picked galaxy
    control = pool[np.take_along_axis(matched, cols, axis=1)]
    out["q_changed"] = float(np.mean(spiral[picks].sum(axis=1) >= arms))
    out["q_control"] = float(np.mean(spiral[control].sum(axis=1) >= arms))
    return out


def verdict_numbers(results: dict[str, ControlResult], changed: pd.DataFrame, chance: dict[str, float],
                    model: str = "ddb", level: float = SIGNIFICANCE) -> dict[str, Any]:
    """The verdict's words and numbers for ``model``.

    ``arms_frac`` (true disks with arms among the changed galaxies), ``arms_vs_paper`` /
    ``arms_vs_paper_p`` and ``disks_vs_paper`` / ``disks_vs_paper_p`` (:func:`paper_share_verdict`
    against the paper's spiral-armed and disk-like counts, arms plus lenticular), ``chance_word``
    (:func:`chance_verdict`), ``inspection_word`` ("could" when the control of
    :func:`inspection_chance` reaches the paper's count of armed galaxies in fewer than ``level``
    of its draws -- so that finding that count is significant evidence against chance --,
    "could not" otherwise, "cannot be judged" without numbers) and ``significance``.
    """
    r = results.get(model)
    tc = true_class(changed)
    known = _truth_known(changed) and len(changed) > 0
    n = len(changed)
    arms = pd.to_numeric(changed["true_n_arms"], errors="coerce").fillna(0).to_numpy(float) \
        if known and "true_n_arms" in changed.columns else None
    k_arms = int(((tc == 1) & (arms > 0)).sum()) if arms is not None else None
    k_disk = int((tc == 1).sum()) if known else None
    found, p_arms = PAPER_HST["found"], PAPER_HST["arms"]
    p_disk = PAPER_HST["arms"] + PAPER_HST["lenticular"]
    w_arms, pv_arms = paper_share_verdict(k_arms, n, p_arms, found, level) if k_arms is not None \
        else ("not measured", float("nan"))
    w_disk, pv_disk = paper_share_verdict(k_disk, n, p_disk, found, level) if k_disk is not None \
        else ("not measured", float("nan"))
    qc, qr = chance.get("q_changed", float("nan")), chance.get("q_control", float("nan"))
    if not (np.isfinite(qc) and np.isfinite(qr)):
        insp = "cannot be judged"
    else:
        insp = "could" if qr < level else "could not"
    return {"arms_frac": k_arms / n if k_arms is not None and n else float("nan"),
            "arms_vs_paper": w_arms, "arms_vs_paper_p": pv_arms, "disks_vs_paper": w_disk,
            "disks_vs_paper_p": pv_disk, "paper_disklike": p_disk, "chance_word": chance_verdict(r, level),
            "inspection_word": insp, "significance": level}


def paper_numbers() -> dict[str, float]:
    """The paper's HST inspection (:data:`galbias.reference.PAPER_HST`) as ``paper_*`` numbers."""
    return {"paper_found": PAPER_HST["found"], "paper_arms": PAPER_HST["arms"],
            "paper_lenticular": PAPER_HST["lenticular"], "paper_arms_frac": PAPER_HST["arms"] / PAPER_HST["found"]}
