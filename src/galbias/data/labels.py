"""From vote fractions to training labels (paper §4.1 and §5.2).

- :func:`redshift_debias` - a Bamford et al. (2009) / Willett et al. (2013)-style correction
  of the vote fractions for the redshift-dependent loss of visible detail.  The simulated
  survey uses it to make its ``*_debiased`` columns; the real data use Hart et al. (2016).
- :func:`majority_vote` - the label is the answer with the largest fraction.
- :func:`make_labels` - GZ2B and GZ2D labels, stars/artifacts discarded, a class-balanced
  random sample, and a stratified 80/10/10 train/validation/test split.

Class codes: 0 = smooth, 1 = disk, 2 = star/artifact (only before labelling).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .. import DISK, SMOOTH, STAR
from .binning import equal_count_bins
from .catalog import ANSWERS, CatalogError, has_truth

WEIGHTED = "weighted_fraction"
DEBIASED = "debiased"


def fraction_columns(kind: str) -> list[str]:
    """The three task-1 columns of one kind (``weighted_fraction`` or ``debiased``)."""
    if kind not in (WEIGHTED, DEBIASED, "fraction"):
        raise ValueError(f"unknown vote-fraction kind {kind!r}; use 'weighted_fraction', 'debiased' or 'fraction'")
    return [f"{ANSWERS[k]}_{kind}" for k in (SMOOTH, DISK, STAR)]


def _bins(x: np.ndarray, n: int) -> np.ndarray:
    """Equal-count bin of each value (:func:`galbias.data.binning.equal_count_bins`); a group
    with fewer objects than bins gets one bin per object."""
    if n <= 1 or len(x) == 0:
        return np.zeros(len(x), dtype=int)
    return equal_count_bins(x, min(int(n), len(x)))


def redshift_debias(df: pd.DataFrame, z_bins: int = 8, mag_bins: int = 6, size_bins: int = 6,
                    min_count: int = 20) -> pd.DataFrame:
    """Correct the smooth/features vote fractions for redshift, relative to low redshift.

    Galaxies of the same luminosity and physical size should, on average, look the same
    at every redshift; when they are further away they are smaller on the sky and their
    features fade, so their smooth-to-features odds rise with z.  Following Bamford et al.
    (2009), galaxies are grouped into cells of absolute magnitude x physical Petrosian
    radius (equal-count bins of ``abs_mag_r`` and ``petroRad_kpc``), and within each cell
    into equal-count redshift bins.  For each (cell, z bin) the odds of the *mean* smooth
    and features fractions are compared with the cell's lowest-redshift bin, and each
    galaxy's smooth:features odds are multiplied by

        c = odds_smooth(lowest-z bin) / odds_smooth(its z bin),

    keeping the galaxy's total smooth + features fraction (the star/artifact fraction is
    left unchanged).  A galaxy with no smooth (or no features) votes keeps that zero.
    Bins with fewer than ``min_count`` galaxies, and cells whose lowest-z bin has fewer,
    are left uncorrected (c = 1).  Objects whose weighted majority is star/artifact do not
    enter the means.

    This is a simplified version of the published methods (Willett et al. 2013 fit a
    functional form of the fraction vs redshift; Hart et al. 2016 match cumulative
    distributions); it is a real correction computed from the votes alone, never from the
    truth.  Requires the three ``*_weighted_fraction`` columns and ``z``, ``abs_mag_r``,
    ``petroRad_kpc`` (see :func:`galbias.data.catalog.add_derived`).  Returns a DataFrame with
    the three ``*_debiased`` columns, aligned with ``df``.
    """
    need = fraction_columns(WEIGHTED) + ["z", "abs_mag_r", "petroRad_kpc"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise CatalogError(f"redshift_debias needs columns {missing} that the catalog does not have")
    f = df[fraction_columns(WEIGHTED)].to_numpy(dtype=float)
    s, d, st = f[:, 0], f[:, 1], f[:, 2]
    galaxy = np.argmax(f, axis=1) != STAR

    cell = np.full(len(df), -1, dtype=int)
    zbin = np.full(len(df), -1, dtype=int)
    mb = _bins(df["abs_mag_r"].to_numpy(float)[galaxy], mag_bins)
    sb = _bins(df["petroRad_kpc"].to_numpy(float)[galaxy], size_bins)
    cell[galaxy] = mb * max(size_bins, 1) + sb
    z = df["z"].to_numpy(float)
    corr = np.ones(len(df))
    for q in np.unique(cell[galaxy]):
        idx = np.flatnonzero(cell == q)
        zb = _bins(z[idx], z_bins)
        zbin[idx] = zb
        counts = np.bincount(zb, minlength=z_bins)
        ms = np.bincount(zb, weights=s[idx], minlength=z_bins) / np.maximum(counts, 1)
        md = np.bincount(zb, weights=d[idx], minlength=z_bins) / np.maximum(counts, 1)
        if counts[0] < min_count or ms[0] <= 0 or md[0] <= 0:
            continue
        ref_odds = ms[0] / md[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where((counts >= min_count) & (ms > 0) & (md > 0), ref_odds / (ms / np.where(md > 0, md, 1)), 1.0)
        corr[idx] = c[zb]

    total = s + d
    with np.errstate(divide="ignore", invalid="ignore"):
        s_new = np.where(total > 0, s * corr / (s * corr + d) * total, 0.0)
    s_new = np.where(np.isfinite(s_new), s_new, s)
    d_new = total - s_new
    out = pd.DataFrame(
        {c: v for c, v in zip(fraction_columns(DEBIASED), (s_new, d_new, st))}, index=df.index
    )
    return out.clip(0.0, 1.0)


def majority_vote(df: pd.DataFrame, kind: str = WEIGHTED) -> np.ndarray:
    """Label each object with the task-1 answer of largest fraction (0 smooth, 1 disk, 2 star).

    Ties go to the earlier answer (smooth before disk before star/artifact).
    """
    cols = fraction_columns(kind)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise CatalogError(f"majority vote needs columns {missing} that the catalog does not have")
    f = df[cols].to_numpy(dtype=float)
    bad = ~np.isfinite(f).all(axis=1)
    if bad.any():
        raise CatalogError(f"{int(bad.sum())} of {len(f)} object(s) have non-finite {kind} vote fractions")
    return np.argmax(f, axis=1).astype(np.int8)


#: columns carried from the catalog into labels.parquet when present
CARRY = [
    "alpha", "petroRad_kpc", "abs_mag_r", "z", "ra", "dec", "region", "petroRad_r", "psfWidth_r",
    "petroR50_r", "petroR90_r", "petroMag_r", "file_loc", "hires_loc",
    "sersic_n", "sersic_e", "sersic_re_arcsec", "sersic_re_kpc",
]


SPLITS = ["train", "val", "test", "eval"]


def _label_rows(sample: pd.DataFrame, gz2b: np.ndarray, gz2d: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame({"id": sample["dr7objid"].to_numpy(np.int64)})
    out["gz2b"] = gz2b
    out["gz2d"] = gz2d
    if "true_class" in sample.columns:
        out["truth"] = pd.array(sample["true_class"].to_numpy(), dtype="Int8")
    else:
        out["truth"] = pd.array([pd.NA] * len(sample), dtype="Int8")
    for c in CARRY:
        if c in sample.columns:
            out[c] = sample[c].to_numpy()
    for kind, name in ((WEIGHTED, "weighted"), (DEBIASED, "debiased")):
        cols = fraction_columns(kind)
        out[f"frac_smooth_{name}"] = sample[cols[0]].to_numpy(float)
        out[f"frac_disk_{name}"] = sample[cols[1]].to_numpy(float)
    return out


def make_labels(catalog: pd.DataFrame, sample_size: int | None = None,
                split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                seed: int = 0) -> pd.DataFrame:
    """GZ2B/GZ2D labels, balanced sample, train/val/test split and evaluation sample (paper §4.1, §5.2).

    ``catalog`` must already carry the derived columns (:func:`galbias.data.catalog.add_derived`).
    Objects whose weighted *or* debiased majority is star/artifact are discarded.  The
    sample is balanced on the GZ2B label (equal numbers of smooth and disk, the paper's
    sample being 62,225 / 59,759), drawn at random; ``sample_size=None`` takes the largest
    balanced sample.  The split is stratified on GZ2B so each part stays balanced.

    Catalog entries with ``eval_sample`` true (the simulated survey's held-out evaluation
    sample; real catalogs have none) never enter the balanced sample: after the same
    star/artifact cut they all become the ``eval`` split, *not* balanced, so their class mix
    is the survey's own.  No method trains, fits or selects on them.

    The returned frame has ``id, split, alpha, gz2b, gz2d, truth`` (nullable; null for real
    data) and the intrinsic/observed columns later chapters need; ``split`` is one of
    :data:`SPLITS`.
    """
    rng = np.random.default_rng(seed)
    gz2b = majority_vote(catalog, WEIGHTED)
    gz2d = majority_vote(catalog, DEBIASED)
    held = (catalog["eval_sample"].fillna(False).to_numpy(bool) if "eval_sample" in catalog.columns
            else np.zeros(len(catalog), bool))
    galaxy = (gz2b != STAR) & (gz2d != STAR)
    keep = galaxy & ~held
    galaxies = catalog.loc[keep]
    b = gz2b[keep]
    n_s, n_d = int((b == SMOOTH).sum()), int((b == DISK).sum())
    per_class = min(n_s, n_d)
    if sample_size is not None:
        if sample_size > 2 * per_class:
            raise CatalogError(
                f"sample_size={sample_size} asks for more than the largest balanced sample "
                f"({2 * per_class}: {n_s} GZ2B-smooth and {n_d} GZ2B-disk galaxies)"
            )
        per_class = sample_size // 2
    n_parts = [max(1, round(per_class * 2 * f)) for f in split_fractions]
    if per_class < 5 or min(n_parts) < 2:
        raise CatalogError(
            f"too few galaxies to label and split: {n_s} smooth and {n_d} disk after discarding "
            f"{int((~galaxy & ~held).sum())} star/artifact objects"
        )
    pos = np.concatenate([
        rng.choice(np.flatnonzero(b == k), size=per_class, replace=False) for k in (SMOOTH, DISK)
    ])
    pos.sort()
    out = _label_rows(galaxies.iloc[pos], gz2b[keep][pos], gz2d[keep][pos])

    f_train, f_val, f_test = split_fractions
    idx = np.arange(len(out))
    tr, rest = train_test_split(idx, train_size=f_train, stratify=out["gz2b"], random_state=seed)
    va, te = train_test_split(rest, train_size=f_val / (f_val + f_test), stratify=out["gz2b"].iloc[rest],
                              random_state=seed + 1)
    split = np.empty(len(out), dtype=object)
    split[tr], split[va], split[te] = "train", "val", "test"
    out.insert(1, "split", split)
    ev = galaxy & held
    if ev.any():
        extra = _label_rows(catalog.loc[ev], gz2b[ev], gz2d[ev])
        extra.insert(1, "split", "eval")
        out = pd.concat([out, extra], ignore_index=True)
    out["split"] = pd.Categorical(out["split"], categories=SPLITS)
    return out


def unbalanced_training_pool(catalog: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """The unbalanced parent of the training split: every catalog galaxy that is not a
    star/artifact and not in the val, test or eval splits of ``labels`` (the training split
    plus the galaxies that balancing left out).

    Returns ``id, alpha, gz2b, truth`` (truth null for real data).  This is the sample the
    theta fit of chapter 3 prefers: balancing on the *biased* label removes GZ2B-smooth
    galaxies uniformly, which changes how the label fractions run with alpha.
    """
    for c in ("id", "split"):
        if c not in labels.columns:
            raise CatalogError(f"labels lack column {c!r}: re-run chapter 01_labeling")
    if "alpha" not in catalog.columns:
        raise CatalogError("the catalog lacks column 'alpha': pass it through galbias.data.catalog.add_derived")
    gz2b = majority_vote(catalog, WEIGHTED)
    gz2d = majority_vote(catalog, DEBIASED)
    held = set(labels.loc[labels["split"].isin(["val", "test", "eval"]), "id"].to_numpy(np.int64).tolist())
    ids = catalog["dr7objid"].to_numpy(np.int64)
    keep = (gz2b != STAR) & (gz2d != STAR) & ~np.isin(ids, list(held))
    if "eval_sample" in catalog.columns:
        keep &= ~catalog["eval_sample"].fillna(False).to_numpy(bool)
    part = catalog.loc[keep]
    truth = (pd.array(part["true_class"].to_numpy(), dtype="Int8") if "true_class" in part.columns
             else pd.array([pd.NA] * len(part), dtype="Int8"))
    return pd.DataFrame({"id": ids[keep], "alpha": part["alpha"].to_numpy(float), "gz2b": gz2b[keep],
                         "truth": truth})


def class_counts(labels: pd.DataFrame) -> pd.DataFrame:
    """Counts of smooth and disk per split for each label column (and the truth if known).

    ``all`` is the balanced sample (train + val + test); ``eval`` (if any) follows it."""
    cols = ["gz2b", "gz2d"] + (["truth"] if has_truth(labels) else [])
    rows = []
    parts = {s: labels[labels["split"] == s] for s in ("train", "val", "test")}
    parts["all"] = labels[labels["split"] != "eval"]  # the balanced, labelled sample
    if (labels["split"] == "eval").any():
        parts["eval"] = labels[labels["split"] == "eval"]
    for split, part in parts.items():
        row = {"split": split, "n": len(part)}
        for c in cols:
            v = part[c].astype(int)
            row[f"{c} smooth"] = int((v == SMOOTH).sum())
            row[f"{c} disk"] = int((v == DISK).sum())
        rows.append(row)
    return pd.DataFrame(rows).set_index("split")
