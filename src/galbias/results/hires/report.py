"""Chapter 7's text: the example grid, the control for every network, and verdicts and numbers to glue
(described in :mod:`galbias.results.hires`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...methods.metrics import SIGNIFICANCE
from ...reference import PAPER_HST
from ..networks import NETWORKS
from .changed import (
    ControlResult,
    _networks,
    _truth_known,
    alpha_matched_draws,
    changed_mask,
    control_summary,
    pool_mask,
    true_class,
)

__all__ = ["chance_verdict", "control_numbers", "control_results", "control_table", "describe", "examples",
           "grid_message", "grid_numbers", "inspection_chance", "paper_numbers", "paper_share_verdict",
           "verdict_numbers"]


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
