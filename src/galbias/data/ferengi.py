"""Real Galaxy Zoo votes for the same galaxies at SDSS resolution and artificially redshifted.

Galaxy Zoo: Hubble (Willett et al. 2017, MNRAS 464, 4176) took 288 SDSS galaxies at
z = 0.007-0.027 and made new images of them with FERENGI (Barden et al. 2008): each galaxy
as it would look at ``sim_redshift`` = 0.3-1.0 through an HST/ACS-like camera, with
``sim_evolution`` = 0-3 of luminosity evolution, and volunteers classified those images
again.  The two tables ship in ``data/ferengi/`` (MIT licence; ``data/ferengi/README.md``
gives the source, commit and columns) and are read only through :func:`verified_path`, which
checks each file against its SHA-256 in :data:`REGISTRY`.

- :func:`load_galaxies` - the 288 input galaxies and their GZ2 vote table at SDSS resolution,
  with ``p_features_sdss`` (see *Choice of the SDSS value* below).
- :func:`load_images` - the 6,466 redshifted images and the share of features votes each got.
- :func:`join` - one row per image with its galaxy's SDSS value beside it.
- :func:`featured`, :func:`seen_at_every_redshift` - the selections used in chapter 2.
- :func:`summarize` - median and quartiles of the features share (absolute and relative to
  the galaxy's own SDSS value) per ``(sim_evolution, sim_redshift)``; the simulated side
  (:mod:`galbias.mock.ferengi`) uses the same function on its own table.

**Choice of the SDSS value.**  ``p_features_sdss`` is GZ2's task-1 "features or disk"
*weighted* fraction (``t01_smooth_or_features_a02_features_or_disk_weighted_fraction``), not
the Hart et al. (2016) ``_debiased`` one.  The weighted fraction is what the volunteers said
(with inconsistent volunteers down-weighted), which is also what the redshifted images'
``p_features`` records; the debiased value adds a statistical correction towards what the
galaxy would get if nearer, which is not a vote.  For these nearby galaxies the two agree
(median difference 0; the largest is 0.35).

**Redshift grid.**  ``sim_redshift`` and ``sim_evolution`` are stored as 32-bit floats
(0.3 reads as 0.30000001); they are rounded to two decimals here so that cells can be
selected with ``==``.

**Design of the redshifted set.**  Not every galaxy was redshifted to every ``sim_redshift``:
the file ``notes_on_input_galaxies.txt`` (in the source repository) describes four sets of
72 galaxies with lowest target redshift 0.3, 0.5, 0.8 and 1.0 (column ``DESIRED_Z``); only
the first set is seen at all eight redshifts and all seven evolution values.  The sets differ
(the later ones are brighter and were nearer 0.027), so a curve that pools all images changes
its galaxies along the redshift axis; :func:`seen_at_every_redshift` keeps one fixed set.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.artifacts import file_hash
from ..core.errors import GalbiasError
from ..core.paths import repo_root

__all__ = ["FEATURED_MIN", "FILES", "REGISTRY", "SDSS_FEATURES", "FerengiDataError", "data_dir", "featured",
           "join", "load_galaxies", "load_images", "sdss_baseline", "seen_at_every_redshift", "summarize",
           "verified_path"]

#: the shipped files and their SHA-256 (as in data/ferengi/README.md)
REGISTRY: dict[str, str] = {
    "GZ2_FERENGI_matched_to_gz2_catalog.fits": "9fdbc74cc2b2b87442f6bdd422fbd767cc6d294512786ef85539abb397d4c110",
    "ferengi_data.fits": "ed43e5132d106c9a5cbfd683396b36b8a1f0c07f6316e04954341d5781fa5e8b",
}
FILES = {"galaxies": "GZ2_FERENGI_matched_to_gz2_catalog.fits", "images": "ferengi_data.fits"}
SOURCE = "willettk/gzhubble, commit 6e58aa21e0869484fc494cf16679ac4ba5a94d43, folder data/"

#: the GZ2 column used as each galaxy's features share at SDSS resolution (see module docstring)
SDSS_FEATURES = "t01_smooth_or_features_a02_features_or_disk_weighted_fraction"
#: a galaxy counts as featured at SDSS resolution when at least this share voted "features or disk"
FEATURED_MIN = 0.5
#: the columns of the image table
IMAGE_COLUMNS = ["sdss_id", "subject_id", "redshift", "sim_redshift", "sim_evolution", "p_features", "mu_max_i"]


class FerengiDataError(GalbiasError, OSError):
    """A shipped FERENGI file that is missing, or whose content is not the one registered."""


def data_dir() -> Path:
    """``data/ferengi/`` of the checkout."""
    return repo_root() / "data" / "ferengi"


def verified_path(name: str, folder: str | os.PathLike | None = None) -> Path:
    """The path of shipped file ``name`` in ``folder`` (default :func:`data_dir`), after checking
    that it exists and that its SHA-256 is the registered one (:class:`FerengiDataError` if not)."""
    if name not in REGISTRY:
        raise FerengiDataError(f"{name!r} is not a registered FERENGI file; known files: {', '.join(REGISTRY)}")
    path = Path(folder) if folder is not None else data_dir()
    path = path / name
    restore = (f"restore it from the repository (`git checkout -- data/ferengi/{name}`) or download it "
               f"again from {SOURCE}")
    if not path.is_file():
        raise FerengiDataError(f"FERENGI file {path} is missing (expected SHA-256 {REGISTRY[name]}); {restore}")
    actual = file_hash(path)
    if actual != REGISTRY[name]:
        raise FerengiDataError(
            f"FERENGI file {path} has SHA-256 {actual}, but {REGISTRY[name]} is registered: the file is "
            f"damaged or is not the published version; {restore}. Do not edit the registry to accept it.")
    return path


def _read_fits(path: Path) -> pd.DataFrame:
    """A FITS table as a DataFrame in native byte order, byte strings decoded to str."""
    from astropy.table import Table

    df = Table.read(path).to_pandas()
    for c in df.columns:
        if df[c].dtype == object and len(df) and isinstance(df[c].iloc[0], bytes):
            df[c] = df[c].str.decode("ascii").str.strip()
    return df


def load_galaxies(folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """The 288 input galaxies (``OBJID`` = SDSS DR7 objID) with their GZ2 vote table at SDSS
    resolution, plus ``p_features_sdss`` (= :data:`SDSS_FEATURES`)."""
    df = _read_fits(verified_path(FILES["galaxies"], folder))
    df["OBJID"] = df["OBJID"].astype(np.int64)
    df["p_features_sdss"] = df[SDSS_FEATURES].astype(float)
    return df


def load_images(folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """One row per redshifted image (:data:`IMAGE_COLUMNS`); grid values rounded to 0.01."""
    df = _read_fits(verified_path(FILES["images"], folder))
    missing = [c for c in IMAGE_COLUMNS if c not in df.columns]
    if missing:
        raise FerengiDataError(f"{FILES['images']} lacks column(s) {missing}")
    df = df[IMAGE_COLUMNS].copy()
    df["sdss_id"] = df["sdss_id"].astype(np.int64)
    for c in ("sim_redshift", "sim_evolution"):
        df[c] = df[c].astype(float).round(2)
    for c in ("redshift", "p_features", "mu_max_i"):
        df[c] = df[c].astype(float)
    return df


def join(galaxies: pd.DataFrame, images: pd.DataFrame) -> pd.DataFrame:
    """Each image with its galaxy's SDSS-resolution values (``sdss_id`` = ``OBJID``).

    Adds ``p_features_sdss``, ``gz2_category`` (the vote category the galaxy was chosen for,
    GZ2_CLASS in the file), ``min_sim_redshift`` (DESIRED_Z), ``abs_mag_r`` (R_0) and
    ``p_rel = p_features / p_features_sdss``.  Every image must find its galaxy."""
    g = galaxies.rename(columns={"OBJID": "sdss_id", "GZ2_CLASS": "gz2_category", "DESIRED_Z": "min_sim_redshift",
                                 "R_0": "abs_mag_r"})
    g = g[["sdss_id", "p_features_sdss", "gz2_category", "min_sim_redshift", "abs_mag_r"]].copy()
    g["min_sim_redshift"] = g["min_sim_redshift"].astype(float).round(2)
    g["abs_mag_r"] = g["abs_mag_r"].astype(float)
    out = images.merge(g, on="sdss_id", how="left", validate="many_to_one")
    lost = int(out["p_features_sdss"].isna().sum())
    if lost:
        raise FerengiDataError(f"{lost} image row(s) of {FILES['images']} have no galaxy in {FILES['galaxies']}")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["p_rel"] = out["p_features"] / out["p_features_sdss"]
    return out


def featured(table: pd.DataFrame, min_share: float = FEATURED_MIN) -> pd.DataFrame:
    """Rows whose galaxy had at least ``min_share`` features votes at SDSS resolution."""
    return table[table["p_features_sdss"] >= min_share]


def seen_at_every_redshift(table: pd.DataFrame, galaxy: str = "sdss_id") -> pd.DataFrame:
    """Rows of the galaxies that appear at every ``sim_redshift`` of ``table`` (a fixed set)."""
    n_z = table["sim_redshift"].nunique()
    seen = table.groupby(galaxy)["sim_redshift"].nunique()
    return table[table[galaxy].isin(seen.index[seen == n_z])]


def summarize(table: pd.DataFrame, galaxy: str = "sdss_id",
              by: Sequence[str] = ("sim_evolution", "sim_redshift")) -> pd.DataFrame:
    """Median and quartiles of ``p_features`` and of ``p_rel`` in each cell of ``by``.

    Columns: ``by``, ``n_galaxies``, ``n_images``, ``median``, ``q25``, ``q75``, ``rel_median``,
    ``rel_q25``, ``rel_q75``.  Works on the real table (:func:`join`) and on the simulated one
    (:func:`galbias.mock.ferengi.simulate`), which share these column names."""
    if table.empty:
        raise FerengiDataError("no rows to summarise (is the featured selection empty?)")
    grp = table.groupby(list(by), sort=True)
    out = grp.agg(n_galaxies=(galaxy, "nunique"), n_images=(galaxy, "size"),
                  median=("p_features", "median"), q25=("p_features", lambda s: s.quantile(0.25)),
                  q75=("p_features", lambda s: s.quantile(0.75)), rel_median=("p_rel", "median"),
                  rel_q25=("p_rel", lambda s: s.quantile(0.25)), rel_q75=("p_rel", lambda s: s.quantile(0.75)))
    return out.reset_index()


def sdss_baseline(table: pd.DataFrame, galaxy: str = "sdss_id") -> dict[str, float]:
    """Median and quartiles of ``p_features_sdss`` over the galaxies of ``table`` (one value
    each), their number, and their median real redshift (``z0_median``, column ``redshift``)."""
    one = table.groupby(galaxy).first()
    s = one["p_features_sdss"]
    return {"n": len(one), "median": float(s.median()), "q25": float(s.quantile(0.25)),
            "q75": float(s.quantile(0.75)), "z0_median": float(one["redshift"].median())}
