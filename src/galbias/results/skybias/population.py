"""Are the regions' galaxies the same, and what differs in their images? (chapter 9)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["POPULATION_COLUMNS", "background_stats", "population_table", "population_tests"]


#: intrinsic properties compared between regions (first found of each tuple)
POPULATION_COLUMNS = (("redshift", ("z",)), ("absolute magnitude", ("true_abs_mag", "abs_mag_r")),
                      ("size (kpc)", ("true_re_kpc", "petroRad_kpc")), ("Sérsic n", ("true_sersic_n", "sersic_n")))


def _first(df: pd.DataFrame, cols: Sequence[str]) -> str | None:
    return next((c for c in cols if c in df.columns), None)


def population_table(catalog: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Per region: the galaxies and their class mix (``sample``), medians of the intrinsic
    properties and of the observed resolution (``catalog`` rows of those galaxies)."""
    idc = "id" if "id" in catalog.columns else "dr7objid"
    cat = catalog.set_index(idc).loc[sample["id"].to_numpy()].reset_index()
    cat["region"] = sample["region"].to_numpy()
    cat["y"] = sample["y"].to_numpy()
    g = cat.groupby("region")
    out = pd.DataFrame({"galaxies": g.size(), "spiral (disk) fraction": g["y"].mean()})
    for label, cols in POPULATION_COLUMNS:
        c = _first(cat, cols)
        if c is not None:
            out[f"median {label}"] = g[c].median()
    for label, c in (("median PSF FWHM (\")", "psfWidth_r"), ("median α", "alpha")):
        if c in cat.columns:
            out[label] = g[c].median()
    return out


def population_tests(catalog: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Tests of "same population in every region": for each intrinsic property, the
    Kolmogorov-Smirnov p-value of each region against all other regions pooled; for the
    class mix, the chi-squared test of class against region (in column ``all``)."""
    idc = "id" if "id" in catalog.columns else "dr7objid"
    cat = catalog.set_index(idc).loc[sample["id"].to_numpy()].reset_index()
    reg = sample["region"].to_numpy()
    regions = sorted(np.unique(reg))
    rows = {}
    for label, cols in POPULATION_COLUMNS:
        c = _first(cat, cols)
        if c is None:
            continue
        v = cat[c].to_numpy(float)
        ok = np.isfinite(v)
        rows[label] = {f"region {r}": float(stats.ks_2samp(v[ok & (reg == r)], v[ok & (reg != r)]).pvalue)
                       for r in regions}
    tab = pd.crosstab(reg, sample["y"].to_numpy())
    rows["class mix (χ²)"] = {"all regions": float(stats.chi2_contingency(tab.to_numpy(), correction=False)[1])}
    return pd.DataFrame(rows).T


def background_stats(images: np.ndarray, region: np.ndarray, corner: int | None = None,
                     chunk: int = 4096) -> pd.DataFrame:
    """What differs in the images: per region, the median over galaxies of the mean and the
    standard deviation of the pixel values (0-255, averaged over the three channels) in the
    four ``corner`` x ``corner`` corners of each image (default: 1/8 of the side), where
    little galaxy light falls; and the mean g - i colour of the corners (red minus blue
    channel), which dust reddening and the sky colour shift.  ``images`` may be a memory map;
    it is read ``chunk`` images at a time."""
    n, h = images.shape[0], images.shape[1]
    c = corner or max(2, h // 8)
    level, noise, tint = (np.empty(n, np.float32) for _ in range(3))
    for s in range(0, n, chunk):
        im = np.asarray(images[s:s + chunk])
        corners = np.concatenate([im[:, :c, :c], im[:, :c, -c:], im[:, -c:, :c], im[:, -c:, -c:]], axis=1)
        corners = corners.reshape(len(im), -1, 3).astype(np.float32)
        level[s:s + chunk] = corners.mean(axis=(1, 2))
        noise[s:s + chunk] = corners.std(axis=1).mean(axis=1)
        tint[s:s + chunk] = corners[..., 0].mean(axis=1) - corners[..., 2].mean(axis=1)
    df = pd.DataFrame({"region": np.asarray(region), "level": level, "noise": noise, "tint": tint})
    g = df.groupby("region")
    return pd.DataFrame({"corner level": g["level"].median(), "corner noise": g["noise"].median(),
                         "corner red - blue": g["tint"].median()})
