"""Chapter 1: what the labelling step did to the catalog.

- :func:`summary` - objects, star/artifact majorities, the balanced sample and its split, the
  evaluation sample, GZ2B/GZ2D agreement.
- :func:`cross_table` - GZ2B labels against GZ2D labels.
- :func:`truth_agreement` - on the simulated survey, how often each label set matches the truth
  and how many true disks carry a smooth label (NaN for real data).
- :func:`alpha_gap` - the median alpha of each class under each label set, and whether the
  labels separate the classes in alpha more than the truth does (bootstrap noise).
- :func:`verdict` - the chapter's comparison with the paper: split fractions, class balance,
  and whether GZ2D misses fewer disks than GZ2B (the direction of the paper's Table 1);
  :func:`verdict_sentences` - the same in sentences sorted into agreements and disagreements.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..data.catalog import has_truth
from ..data.labels import majority_vote
from ..reference import PAPER_SAMPLE, PAPER_TABLE1

__all__ = ["BALANCE_TOLERANCE", "SAMPLE_SPLITS", "alpha_gap", "balanced_sample", "cross_table", "summary",
           "truth_agreement", "verdict", "verdict_sentences"]

#: the splits of the balanced sample (the evaluation sample, ``eval``, is not part of it)
SAMPLE_SPLITS = ("train", "val", "test")
#: a smooth share within this many (absolute) of the paper's counts as the same class balance
BALANCE_TOLERANCE = 0.02


def balanced_sample(labels: pd.DataFrame) -> pd.DataFrame:
    """The rows of the balanced sample (:data:`SAMPLE_SPLITS`), without the evaluation sample."""
    return labels[labels["split"].isin(SAMPLE_SPLITS)]


_sample = balanced_sample


def summary(catalog: pd.DataFrame, labels: pd.DataFrame) -> dict[str, Any]:
    """Counts for the chapter's text (GZ2B-smooth fraction before balancing among galaxies).

    ``n_sample`` is the balanced sample (training, validation and test splits); ``n_eval`` the
    evaluation sample, which is labelled the same way but not balanced; agreement is over the
    balanced sample."""
    gz2b_all = majority_vote(catalog, "weighted_fraction")
    n_star = int((gz2b_all == 2).sum())
    counts = labels["split"].value_counts()
    sample = _sample(labels)
    return {"n_objects": len(catalog), "n_star": n_star, "n_sample": len(sample),
            "n_train": int(counts.get("train", 0)), "n_val": int(counts.get("val", 0)),
            "n_test": int(counts.get("test", 0)), "n_eval": int(counts.get("eval", 0)),
            "frac_smooth_all": float((gz2b_all == 0).sum() / max(len(catalog) - n_star, 1)),
            "gz2b_gz2d_agree": float((sample["gz2b"] == sample["gz2d"]).mean())}


def cross_table(labels: pd.DataFrame) -> pd.DataFrame:
    """GZ2B (rows) against GZ2D (columns), all splits."""
    return pd.crosstab(labels["gz2b"].map({0: "GZ2B smooth", 1: "GZ2B disk"}),
                       labels["gz2d"].map({0: "GZ2D smooth", 1: "GZ2D disk"}))


def truth_agreement(labels: pd.DataFrame) -> dict[str, float]:
    """``acc_b``/``acc_d``: share of the sample whose GZ2B/GZ2D label is the true class;
    ``miss_b``/``miss_d``: share of the true disks with a smooth label.  NaN without the truth."""
    if not has_truth(labels):
        return dict.fromkeys(("acc_b", "acc_d", "miss_b", "miss_d"), float("nan"))
    truth = labels["truth"].astype(int)
    disk = truth == 1
    return {"acc_b": float((labels["gz2b"] == truth).mean()), "acc_d": float((labels["gz2d"] == truth).mean()),
            "miss_b": float((labels.loc[disk, "gz2b"] == 0).mean()),
            "miss_d": float((labels.loc[disk, "gz2d"] == 0).mean())}


def _medians(alpha: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    s, d = alpha[y == 0], alpha[y == 1]
    return (float(np.median(s)) if s.size else np.nan), (float(np.median(d)) if d.size else np.nan)


def alpha_gap(labels: pd.DataFrame, n_boot: int = 200, seed: int = 0, k: float = 2.0) -> dict[str, Any]:
    """Median alpha of the smooth and the disk class under GZ2B (``med_s_b``, ``med_d_b``), GZ2D
    (``_d``) and the truth (``_t``), over the balanced sample, and the *gap* of each label set:
    the ratio of the disk to the smooth median (``gap_b``, ``gap_d``, ``gap_t``).

    ``gap_word_b``/``_d`` say whether the label set separates the classes in alpha more than the
    truth does ("wider than" / "about as wide as" / "narrower than"), against ``k`` times the
    bootstrap sd of ``gap - gap_t`` (rows resampled with replacement, ``gap_sd_b``/``_d``).
    Without the truth the ``_t`` values are NaN and the words "not measured"."""
    s = _sample(labels)
    a = s["alpha"].to_numpy(float)
    ys = {"b": s["gz2b"].to_numpy(int), "d": s["gz2d"].to_numpy(int)}
    known = has_truth(s)
    if known:
        ys["t"] = s["truth"].to_numpy(dtype=float)
    out: dict[str, Any] = {}
    for key in ("b", "d", "t"):
        ms, md = _medians(a, ys[key]) if key in ys else (np.nan, np.nan)
        out[f"med_s_{key}"], out[f"med_d_{key}"] = ms, md
        out[f"gap_{key}"] = md / ms if np.isfinite(ms) and ms > 0 else np.nan
    rng = np.random.default_rng(seed)
    diffs: dict[str, list[float]] = {"b": [], "d": []}
    if known and n_boot > 0:
        for _ in range(n_boot):
            i = rng.integers(0, len(a), len(a))
            gt = np.divide(*_medians(a[i], ys["t"][i])[::-1])
            for key in ("b", "d"):
                diffs[key].append(np.divide(*_medians(a[i], ys[key][i])[::-1]) - gt)
    from .words import noise_word

    for key in ("b", "d"):
        sd = float(np.std(diffs[key], ddof=1)) if len(diffs[key]) > 1 else np.nan
        out[f"gap_sd_{key}"] = sd
        out[f"gap_word_{key}"] = noise_word(out[f"gap_{key}"] - out["gap_t"], sd, k,
                                            words=("narrower than", "about as wide as", "wider than"))
    return out


def verdict(labels: pd.DataFrame, k: float = 2.0) -> dict[str, Any]:
    """The chapter's comparison with the paper.

    - ``split_*``: this sample's train/val/test fractions beside the paper's (``paper_split_*``)
      and ``word_split`` ("the same as" when every fraction is within 0.005 of the paper's).
    - ``smooth_share``/``paper_smooth_share``: the GZ2B-smooth share of the balanced sample and
      of the paper's sample.
    - ``miss_diff`` = ``miss_d - miss_b`` (share of true disks with a smooth label) with its paired
      binomial sd ``miss_diff_sd`` (from the disks whose two labels differ), and
      ``word_gz2d``: whether GZ2D missing fewer disks "agrees" with the direction of the paper's
      Table 1 (GZ2D less biased by CV18: ``paper_cv18_b`` > ``paper_cv18_d``), is "within the
      noise" or "does not agree"; "not measured" without the truth.
    """
    s = _sample(labels)
    n = max(len(s), 1)
    out: dict[str, Any] = {}
    fr_ok = True
    for split in SAMPLE_SPLITS:
        out[f"split_{split}"] = float((s["split"] == split).sum() / n)
        out[f"paper_split_{split}"] = PAPER_SAMPLE[split] / PAPER_SAMPLE["n"]
        fr_ok &= abs(out[f"split_{split}"] - out[f"paper_split_{split}"]) <= 0.005
    out["word_split"] = "the same as" if fr_ok else "different from"
    out["smooth_share"] = float((s["gz2b"] == 0).mean()) if len(s) else np.nan
    out["paper_smooth_share"] = PAPER_SAMPLE["smooth"] / PAPER_SAMPLE["n"]
    out["paper_cv18_b"], out["paper_cv18_d"] = PAPER_TABLE1["a"][1], PAPER_TABLE1["b"][1]
    if not has_truth(s):
        out.update(miss_diff=np.nan, miss_diff_sd=np.nan, word_gz2d="not measured")
        return out
    disk = s["truth"].to_numpy(dtype=float) == 1
    b, d = s.loc[disk, "gz2b"].to_numpy(int) == 0, s.loc[disk, "gz2d"].to_numpy(int) == 0
    nd = max(int(disk.sum()), 1)
    diff = float(d.mean() - b.mean()) if disk.any() else np.nan
    # paired: only the disks whose two labels differ move the difference
    n01, n10 = int((d & ~b).sum()), int((b & ~d).sum())
    sd = float(np.sqrt(max(n01 + n10 - (n01 - n10) ** 2 / nd, 0.0)) / nd)
    from .words import noise_word

    word = noise_word(diff, sd, k, words=("agrees", "within the noise", "does not agree"))
    out.update(miss_diff=diff, miss_diff_sd=sd, word_gz2d=word)
    return out


def verdict_sentences(v: dict[str, Any], truth: dict[str, float]) -> dict[str, str]:
    """``verdict_agree``/``verdict_disagree`` (and a short ``verdict_summary``) from
    :func:`verdict`'s numbers ``v`` and :func:`truth_agreement` on the balanced sample."""
    from .survey import sort_claims

    p = PAPER_SAMPLE
    claims = [
        (v["word_split"] == "the same as",
         (f"The split: {v['split_train']:.0%} / {v['split_val']:.0%} / {v['split_test']:.0%} of the balanced "
         f"sample for training, validation and test, {v['word_split']} the paper's {p['train']:,} / "
         f"{p['val']:,} / {p['test']:,}.")),
        (abs(v["smooth_share"] - v["paper_smooth_share"]) <= BALANCE_TOLERANCE,
         (f"The class balance: {v['smooth_share']:.1%} of the balanced sample is GZ2B-smooth, against "
         f"{v['paper_smooth_share']:.1%} of the paper's sample ({p['smooth']:,} smooth, {p['disk']:,} disk).")),
    ]
    word = v["word_gz2d"]
    relation = {"agrees": "agrees with", "within the noise": "is within the noise of",
                "does not agree": "does not agree with"}.get(word)
    if relation is not None:
        fewer = "fewer" if v["miss_diff"] < 0 else "more"
        claims.append((word == "agrees",
                       (f"GZ2D against GZ2B: GZ2D labels {truth['miss_d']:.0%} of the true disks smooth and GZ2B "
                       f"{truth['miss_b']:.0%}, so GZ2D misses {fewer} disks (difference {v['miss_diff']:+.3f} ± "
                       f"{v['miss_diff_sd']:.3f}, paired). The paper's Table 1 ranks GZ2D as less biased than GZ2B "
                       f"(CV18 {v['paper_cv18_d']:.3f} against {v['paper_cv18_b']:.3f}); this {relation} that "
                       "ranking.")))
    agree, disagree = sort_claims(claims)
    summary = f"the split is {v['word_split']} the paper's"
    if relation is not None:
        summary += (f"; on the simulated survey, which label set misses fewer true disks {relation} the paper's "
                    "ranking of GZ2D above GZ2B")
    return {"verdict_agree": agree, "verdict_disagree": disagree, "verdict_summary": summary}
