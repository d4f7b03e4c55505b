"""The catalog schema shared by the simulated survey and the real GZ2 data.

One table per run, ``survey/catalog.parquet``, one row per object, with GZ2-style vote
columns (Willett et al. 2013 naming) and SDSS-style photometry.  The simulated survey writes
exactly these columns (plus ``true_*`` columns holding the truth), and so does the real-data
loader (:mod:`galbias.data.gz2`); everything downstream reads the catalog through
:func:`validate_catalog` and :func:`add_derived`, so it cannot tell the two apart except
through the presence of the truth.

Conventions: class codes 0 = smooth, 1 = disk, 2 = star/artifact.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import GalbiasError
from .cosmology import ARCSEC_PER_RAD, angular_diameter_distance_kpc

#: SDSS r-band PSF: psfWidth_r is a FWHM in arcsec; sigma = FWHM / (2 sqrt(2 ln 2))
FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))  # 1 / 2.3548

#: the three answers of GZ2 task 1
T01 = "t01_smooth_or_features"
ANSWERS = {
    0: f"{T01}_a01_smooth",
    1: f"{T01}_a02_features_or_disk",
    2: f"{T01}_a03_star_or_artifact",
}

#: columns every catalog must have (real or simulated)
REQUIRED = {
    "dr7objid": "int",
    "ra": "float",
    "dec": "float",
    "z": "float",
    "petroMag_r": "float",
    "petroRad_r": "float",
    "petroR50_r": "float",
    "petroR90_r": "float",
    "psfWidth_r": "float",
    "total_classifications": "int",
    **{f"{a}_{suffix}": ("int" if suffix == "count" else "float")
       for a in ANSWERS.values() for suffix in ("count", "fraction", "weighted_fraction", "debiased")},
    #: survey image, relative to the catalog's folder (like galaxy-datasets' file_loc)
    "file_loc": "str",
}

#: columns that may be present (null where unknown)
OPTIONAL = {
    "extinction_r": "float",
    "region": "int",            # sky region (chapter 9)
    "hires_loc": "str",         # high-resolution view (mock render or HST cut-out)
    "sersic_n": "float",        # single-Sersic index (mock: measured; real: Simard+11 ng)
    "sersic_e": "float",        # ellipticity 1 - b/a
    "sersic_re_arcsec": "float",  # half-light radius, arcsec
    "sersic_re_kpc": "float",   # half-light radius, kpc (Simard+11 Rhlr)
    "eval_sample": "bool",      # held-out evaluation sample (simulated survey only)
}

#: truth columns of the simulated survey
TRUTH_PREFIX = "true_"


class CatalogError(GalbiasError, ValueError):
    """A catalog that cannot be used, with the file, column and count that are wrong."""


def _where(source: str | Path | None) -> str:
    return f" in {source}" if source else ""


def validate_catalog(df: pd.DataFrame, source: str | Path | None = None,
                     required: Iterable[str] | None = None) -> pd.DataFrame:
    """Check that ``df`` is a usable catalog; return it unchanged.

    Raises :class:`CatalogError` naming the source file, the missing columns, or the column
    and number of rows with impossible values: non-finite or non-positive sizes and PSF
    widths; missing or non-finite positions, redshifts and magnitudes (``petroMag_r``: a NaN
    would give a NaN absolute magnitude); negative vote counts; vote fractions outside [0, 1];
    infinite optional values (extinction, Sérsic fits; NaN means "not measured");
    duplicated ids.
    """
    cols = list(required) if required is not None else list(REQUIRED)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise CatalogError(f"catalog{_where(source)} is missing {len(missing)} required column(s): {missing}")
    if len(df) == 0:
        raise CatalogError(f"catalog{_where(source)} has no rows")
    if "dr7objid" in cols:
        dup = int(df["dr7objid"].duplicated().sum())
        if dup:
            raise CatalogError(f"catalog{_where(source)}: column 'dr7objid' has {dup} duplicated id(s)")
    for c in ("petroRad_r", "petroR50_r", "petroR90_r", "psfWidth_r"):
        if c in cols:
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
            bad = int((~np.isfinite(v) | (v <= 0)).sum())
            if bad:
                raise CatalogError(
                    f"catalog{_where(source)}: column {c!r} has {bad} of {len(df)} row(s) that are "
                    "non-finite or <= 0 (sizes and PSF widths must be positive)"
                )
    for c, lo, hi in (("ra", -360.0, 720.0), ("dec", -90.0, 90.0), ("z", None, None), ("petroMag_r", None, None)):
        if c in cols:
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(v)
            if lo is not None:
                bad |= (v < lo) | (v > hi)
            if bad.any():
                rng = f" or outside [{lo:g}, {hi:g}]" if lo is not None else ""
                raise CatalogError(f"catalog{_where(source)}: column {c!r} has {int(bad.sum())} of {len(df)} row(s) "
                                   f"that are missing, non-finite{rng}")
    for c in [c for c in cols if c.endswith("_count")] + (["total_classifications"] if "total_classifications" in cols
                                                         else []):
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        bad = int((~np.isfinite(v) | (v < 0)).sum())
        if bad:
            raise CatalogError(f"catalog{_where(source)}: column {c!r} has {bad} of {len(df)} row(s) that are "
                               "missing or negative (vote counts)")
    for c in ("extinction_r", "sersic_n", "sersic_e", "sersic_re_arcsec", "sersic_re_kpc"):
        if c in df.columns:  # optional columns: missing (NaN) is allowed, infinite is not
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
            bad = int(np.isinf(v).sum())
            if bad:
                raise CatalogError(f"catalog{_where(source)}: column {c!r} has {bad} of {len(df)} infinite value(s)")
    for c in cols:
        if c.endswith(("_fraction", "_debiased")) and c.startswith(T01):
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
            bad = int((~np.isfinite(v) | (v < -1e-9) | (v > 1 + 1e-9)).sum())
            if bad:
                raise CatalogError(
                    f"catalog{_where(source)}: column {c!r} has {bad} of {len(df)} row(s) outside [0, 1] or not finite"
                )
    return df


def alpha(petro_rad_arcsec: np.ndarray, psf_fwhm_arcsec: np.ndarray) -> np.ndarray:
    """Resolution parameter alpha = angular Petrosian radius / PSF sigma (paper eq. 4)."""
    r = np.asarray(petro_rad_arcsec, dtype=float)
    w = np.asarray(psf_fwhm_arcsec, dtype=float)
    return r / (w * FWHM_TO_SIGMA)


def check_alpha(a: np.ndarray, source: str | Path | None = None, column: str = "alpha") -> np.ndarray:
    """Raise a clear error if any alpha is non-finite or not positive."""
    a = np.asarray(a, dtype=float)
    bad = ~np.isfinite(a) | (a <= 0)
    if bad.any():
        raise CatalogError(
            f"{column}{_where(source)}: {int(bad.sum())} of {a.size} value(s) are non-finite or <= 0; "
            "alpha = petroRad_r / (psfWidth_r / 2.3548) must be positive"
        )
    return a


def add_derived(df: pd.DataFrame, source: str | Path | None = None) -> pd.DataFrame:
    """Add ``alpha`` and the CV18 intrinsic variables to a validated catalog (copy).

    - ``alpha`` = petroRad_r / (psfWidth_r / 2.3548)
    - ``petroRad_kpc`` = petroRad_r x D_A(z), WMAP9 (physical Petrosian radius)
    - ``abs_mag_r`` = petroMag_r - 5 log10(4.28e8 z): Hubble-law distance modulus with
      H0 = 70 km/s/Mpc, no K-correction (the convention of the CV18 code).
    """
    out = df.copy()
    out["alpha"] = check_alpha(alpha(out["petroRad_r"], out["psfWidth_r"]), source)
    z = out["z"].to_numpy(dtype=float)
    badz = ~np.isfinite(z) | (z <= 0)
    if badz.any():
        raise CatalogError(f"column 'z'{_where(source)}: {int(badz.sum())} of {len(z)} redshift(s) are non-finite or <= 0")
    out["petroRad_kpc"] = out["petroRad_r"].to_numpy(float) / ARCSEC_PER_RAD * angular_diameter_distance_kpc(z)
    out["abs_mag_r"] = out["petroMag_r"].to_numpy(float) - 5.0 * np.log10(4.28e8 * z)
    return out


def has_truth(df: pd.DataFrame) -> bool:
    """Whether a catalog (``true_class``) or a label table (``truth``) carries the true class.

    The one definition used everywhere: True when the column exists and *every* row has a
    value, which only the simulated survey gives (real data have no truth column, or one that
    is all null).  Stars and artifacts (class 2) count as known.
    """
    col = "true_class" if "true_class" in df.columns else ("truth" if "truth" in df.columns else None)
    return col is not None and len(df) > 0 and bool(df[col].notna().all())


def load_catalog(path: str | Path) -> pd.DataFrame:
    """Read ``catalog.parquet`` (or .csv), validate it and add the derived columns."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"catalog {path} does not exist: run chapter 00_survey (or `galbias data`) first")
    try:
        df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    validate_catalog(df, path)
    return add_derived(df, path)
