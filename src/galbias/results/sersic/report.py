"""Chapter 6's numbers, Table 6.1 and the verdicts against the paper (described in
:mod:`galbias.results.sersic`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...methods.metrics import wilson_interval
from ...reference import PAPER_SERSIC, PAPER_SERSIC_SPLIT
from .sets import Group, paper_value_text, truth_by_sersic

__all__ = ["ALL_GROUPS", "ALPHA_GROUPS", "READING_TOLERANCE", "SHORT_NAMES", "VERDICTS", "alpha_trends",
           "compare_fractions", "ecdf_frame", "fraction_by_alpha", "fraction_numbers", "paper_comparison",
           "paper_verdict", "sets_table", "trend_word", "truth_numbers"]


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
    from ...data.binning import binned_fraction

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


#: short names of the galaxy sets, for legends and table rows (the panel title says the rest)
SHORT_NAMES = {
    "smooth_gz2b": "smooth: GZ2B", "smooth_gz2d": "smooth: GZ2D", "smooth_ddb": "smooth: DDB",
    "disk_gz2b": "disk: GZ2B", "changed_gz2d": "smooth → disk: GZ2D", "changed_ddb": "smooth → disk: DDB",
    "disk_gz2d": "disk: GZ2D", "disk_ddb": "disk: DDB", "true_smooth": "truly smooth", "true_disk": "truly disk",
}


#: how far this run's fraction may lie from a number the paper gives as "≈ x" and still agree:
#: the paper's approximate values are round tens of per cent read off its Fig. 10, so they
#: carry a reading precision of about ±5 percentage points
READING_TOLERANCE = 0.05


#: the verdict words of :func:`paper_verdict`
VERDICTS = ("agrees", "within the noise", "does not agree", "not measured")


def sets_table(table: pd.DataFrame) -> pd.DataFrame:
    """Table 6.1 in a width that fits the page: one row per galaxy set (:data:`SHORT_NAMES`),
    with its panel, size, how many have a Sérsic fit, the fraction with n below the cut and
    the fraction of true disks (NaN for real data).  ``table`` is :func:`fractions_table`."""
    t = table.set_index("name")
    out = pd.DataFrame({"panel": t["panel"], "galaxies": t["count"].astype(int),
                        "with a fit": t["n_measured"].astype(int), "n < 3": t["frac_n_lt_3"],
                        "true disks": t["frac_true_disk"]})
    out.index = [SHORT_NAMES.get(n, n) for n in t.index]
    out.index.name = "galaxy set"
    return out


def paper_verdict(side: str, qualifier: str, paper: float, k: int, n: int, level: float = 0.95,
                  tolerance: float = READING_TOLERANCE) -> str:
    """Does ``k`` of ``n`` galaxies on ``side`` of the cut agree with the paper's number?

    ``qualifier`` is the paper's wording (:data:`galbias.reference.PAPER_SERSIC`): ``"<"``
    (an upper bound) or ``"≈"`` (a value read off a figure, good to ``tolerance``).  The
    noise is the Wilson interval of ``k / n`` at ``level``:

    - ``"<"``: "agrees" when the whole interval lies below ``paper``; "does not agree" when
      the whole interval lies at or above it; "within the noise" when it straddles it.
    - ``"≈"``: "agrees" when ``k / n`` lies within ``tolerance`` of ``paper``; "within the
      noise" when it does not but its interval reaches that band; "does not agree" otherwise.

    "not measured" when ``n`` is 0.  ``side`` is only checked (``"n<3"`` or ``"n>3"``): ``k``
    must already count the galaxies on that side.
    """
    if side not in ("n<3", "n>3"):
        raise ValueError(f"side must be 'n<3' or 'n>3', got {side!r}")
    if qualifier not in ("<", "≈"):
        raise ValueError(f"qualifier must be '<' or '≈', got {qualifier!r}")
    if n <= 0:
        return "not measured"
    f = k / n
    lo, hi = wilson_interval(int(k), int(n), level)
    if qualifier == "<":
        if hi < paper:
            return "agrees"
        return "does not agree" if lo >= paper else "within the noise"
    if abs(f - paper) <= tolerance + 1e-12:
        return "agrees"
    return "within the noise" if lo <= paper + tolerance and hi >= paper - tolerance else "does not agree"


def compare_fractions(k1: int, n1: int, k2: int, n2: int, z: float = 2.0) -> str:
    """Words for fraction ``k1 / n1`` against ``k2 / n2``: "lower than" or "higher than" when
    they differ by more than ``z`` combined binomial standard errors, else "about the same as";
    "not comparable with" when either set is empty.  (The two sets may share galaxies, which
    makes the test conservative: shared galaxies make the difference less noisy, not more.)"""
    if n1 <= 0 or n2 <= 0:
        return "not comparable with"
    f1, f2 = k1 / n1, k2 / n2
    se = float(np.sqrt(f1 * (1 - f1) / n1 + f2 * (1 - f2) / n2))
    d = f1 - f2
    if se == 0:
        return "about the same as" if d == 0 else ("lower than" if d < 0 else "higher than")
    if abs(d) <= z * se:
        return "about the same as"
    return "lower than" if d < 0 else "higher than"


def _side_counts(row: pd.Series, side: str) -> tuple[int, int, float]:
    n = int(row["n_measured"])
    f = float(row["frac_n_lt_3"] if side == "n<3" else row["frac_n_gt_3"])
    return (round(f * n) if n else 0), n, f


def paper_comparison(table: pd.DataFrame, level: float = 0.95,
                     tolerance: float = READING_TOLERANCE) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Table 6.2, the verdict on every number the paper quotes, and the numbers of the text.

    One row per group of :data:`galbias.reference.PAPER_SERSIC` present in ``table``
    (:func:`fractions_table`): the side of the cut the paper quotes, the paper's number, this
    run's fraction on that side with its Wilson interval at ``level`` and
    :func:`paper_verdict` (with ``tolerance``).  Numbers: ``v_<group>`` (the verdict),
    ``lo_<group>`` / ``hi_<group>`` (the interval), ``n_compared`` (numbers with a
    measurement), ``n_agree``, ``n_noise``, ``n_disagree``, ``verdict_tally`` (a phrase
    counting them), ``list_agree`` / ``list_noise`` / ``list_disagree`` / ``list_unmeasured``
    (the sets with each verdict, as text; "none" when empty); the paper's two
    orderings, ``order_smooth`` (DDB's smooth set against GZ2B's, fraction with n < 3) and
    ``order_changed`` (the galaxies DDB moved to disk against those GZ2D moved, fraction with
    n > 3), by :func:`compare_fractions` ("lower than" is the paper's direction for both), and
    ``order_smooth_ok`` / ``order_changed_ok`` ("as in the paper", "unlike the paper", "not
    testable in this run"; "not distinguishable in this run" when the two fractions do not differ
    beyond their noise), and ``n_paper`` (how many numbers the paper quotes).
    """
    F = table.set_index("name")
    rows, nums = [], {}
    for name, (side, qual, frac) in PAPER_SERSIC.items():
        if name not in F.index:
            continue
        k, n, f = _side_counts(F.loc[name], side)
        lo, hi = wilson_interval(k, n, level)
        word = paper_verdict(side, qual, frac, k, n, level, tolerance)
        rows.append({"galaxy set": SHORT_NAMES.get(name, name), "side": side.replace("<", " < ").replace(">", " > "),
                     "paper": f"{qual}{frac:.0%}", "this run": f if n else np.nan,
                     f"{level:.0%} interval": f"{lo:.2f} – {hi:.2f}" if n else "–", "verdict": word})
        nums.update({f"v_{name}": word, f"lo_{name}": lo, f"hi_{name}": hi})
    out = pd.DataFrame(rows).set_index("galaxy set") if rows else pd.DataFrame(
        columns=["side", "paper", "this run", f"{level:.0%} interval", "verdict"])
    words = list(out["verdict"]) if len(out) else []
    n_agree, n_noise, n_dis = (words.count(w) for w in VERDICTS[:3])
    nums.update(n_paper=len(PAPER_SERSIC), n_compared=n_agree + n_noise + n_dis, n_agree=n_agree, n_noise=n_noise, n_disagree=n_dis,
                verdict_tally=_tally(n_agree, n_noise, n_dis, len(words)))
    for key, word in zip(("list_agree", "list_noise", "list_disagree", "list_unmeasured"), VERDICTS):
        names = [str(i) for i, w in zip(out.index, words) if w == word]
        nums[key] = _join(names) if names else "none"

    def order(a: str, b: str, side: str) -> str:
        if a not in F.index or b not in F.index:
            return "not comparable with"
        ka, na, _ = _side_counts(F.loc[a], side)
        kb, nb, _ = _side_counts(F.loc[b], side)
        return compare_fractions(ka, na, kb, nb)

    for key, (a, b, side) in {"order_smooth": ("smooth_ddb", "smooth_gz2b", "n<3"),
                              "order_changed": ("changed_ddb", "changed_gz2d", "n>3")}.items():
        w = order(a, b, side)
        nums[key] = w
        nums[f"{key}_ok"] = {"not comparable with": "not testable in this run", "lower than": "as in the paper",
                             "about the same as": "not distinguishable in this run"}.get(w, "unlike the paper")
    return out, nums


def _join(items: Sequence[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _tally(n_agree: int, n_noise: int, n_dis: int, n_all: int) -> str:
    """"3 of the 6 numbers agree, 2 agree within the noise and 1 does not (1 not measured)"."""
    if n_all == 0:
        return "the paper quotes no number that this run can be compared with"
    n_meas = n_agree + n_noise + n_dis
    parts = [f"{n_agree} of the {n_meas} numbers that could be measured agree{'s' if n_agree == 1 else ''}",
             f"{n_noise} agree{'s' if n_noise == 1 else ''} within the noise",
             f"{n_dis} do{'es' if n_dis == 1 else ''} not agree"]
    text = f"{parts[0]}, {parts[1]} and {parts[2]}"
    if n_meas < n_all:
        text += f" ({n_all - n_meas} could not be measured in this run)"
    return text


def ecdf_frame(n: Any, frame_groups: list[Group], names: Sequence[str]) -> pd.DataFrame:
    """Long table for ``seaborn.ecdfplot``: one row per measured galaxy and set of ``names``
    (``set`` = :data:`SHORT_NAMES` with the number of galaxies, ``name``, ``color_key`` = the
    set's key of :data:`galbias.compendium.plots.COLORS`, ``n`` = Sérsic index); a galaxy in
    several sets appears once per set.  Sets with no measured galaxy are left out."""
    v = np.asarray(n, dtype=float)
    by = {g.name: g for g in frame_groups}
    parts = []
    for name in names:
        if name not in by:
            continue
        vals = v[np.asarray(by[name].mask, bool) & np.isfinite(v)]
        if vals.size:
            parts.append(pd.DataFrame({"set": f"{SHORT_NAMES.get(name, name)} ({vals.size:,})", "name": name,
                                       "color_key": by[name].color_key, "n": vals}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["set", "name", "color_key", "n"])


def trend_word(t: pd.DataFrame | None, z: float = 2.0) -> str:
    """Words for a :func:`galbias.data.binning.binned_fraction` curve (columns ``frac`` and
    ``err``) from its first to its last bin: "rises" or "falls" when the change exceeds ``z``
    times the combined error of the two bins, else "stays flat within its errors"; "is not
    measured" without a curve."""
    if t is None or len(t) < 2:
        return "is not measured"
    d = float(t["frac"].iloc[-1] - t["frac"].iloc[0])
    e = float(np.hypot(t["err"].iloc[0], t["err"].iloc[-1]))
    if not np.isfinite(d):
        return "is not measured"
    if abs(d) <= z * (e if np.isfinite(e) else 0.0):
        return "stays flat within its errors"
    return "rises" if d > 0 else "falls"


def alpha_trends(series: dict[str, pd.DataFrame]) -> dict[str, str]:
    """:func:`trend_word` of each curve of :func:`fraction_by_alpha`, from low to high alpha:
    ``trend_ts`` (true smooth), ``trend_td`` (true disks), ``trend_sb`` (GZ2B smooth),
    ``trend_sf`` (DDB smooth)."""
    keys = {"true_smooth": "ts", "true_disk": "td", "smooth_gz2b": "sb", "smooth_ddb": "sf"}
    return {f"trend_{k}": trend_word(series.get(name)) for name, k in keys.items()}
