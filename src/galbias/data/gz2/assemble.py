"""The real GZ2 catalog: read the downloaded tables, apply the GZ2 selection, join them into
the project catalog (the ``paper`` profile's data step, part 2).

The result has exactly the schema the simulated survey writes (:mod:`galbias.data.catalog`),
so the chapters after the data step run unchanged on real data.  ``data/README.md`` lists URLs,
licences and hashes.  Typical use (what ``galbias data --profile paper`` and chapter 0 do)::

    from galbias.data import gz2
    catalog = gz2.prepare(cfg, raw_dir="data/raw/gz2", out_dir="data/runs/paper/survey")
"""

from __future__ import annotations

import dataclasses
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...core import artifacts
from ..catalog import ANSWERS, OPTIONAL, REQUIRED, CatalogError, validate_catalog
from ..regions import assign_region
from .cutouts import fetch_images
from .download import (GZ2_FILE, SIMARD_FILE, _read_header, unreadable, default_raw_dir, fetch_gz2_table, fetch_sdss_photometry,
                       fetch_simard, read_sdss_photometry, read_simard, sdss_filename)

log = logging.getLogger(__name__)


# --- the GZ2 selection -------------------------------------------------------------------------

@dataclass(frozen=True)
class Selection:
    """The GZ2 main-sample cuts (Willett et al. 2013), applied where the columns allow.

    ``samples``: values of the GZ2 ``sample`` column to keep (None = all).  ``original`` and
    ``extra`` are the DR7 Legacy main-sample images; the Stripe 82 entries are left out.
    Rows without a spectroscopic redshift are always dropped: the catalog needs ``z``.
    """

    samples: tuple[str, ...] | None = ("original", "extra")
    #: extinction-corrected Petrosian magnitude limit, petroMag_r - extinction_r <= r_max
    r_max: float = 17.0
    #: petroR90_r > r90_min arcsec
    r90_min: float = 3.0
    #: z_min < z < z_max (spectroscopic)
    z_min: float = 0.0005
    z_max: float = 0.25

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["samples"] = list(self.samples) if self.samples is not None else None
        return d



# --- reading the GZ2 table ---------------------------------------------------------------------

GZ2_BASE_COLUMNS = ("dr7objid", "ra", "dec", "total_classifications")
GZ2_EXTRA_COLUMNS = ("sample", "gz2_class", "total_votes")



def read_gz2_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read the task-1 part of a GZ2 table (``gz2_hart16.csv[.gz]`` format).

    Needs ``dr7objid, ra, dec, total_classifications`` and, for each task-1 answer,
    ``_weighted_fraction`` (GZ2B) and ``_debiased`` (GZ2D) and at least one of ``_count`` and
    ``_fraction``.  A missing ``_fraction`` is derived as count / (sum of the three task-1
    counts); a missing ``_count`` as round(fraction x total_classifications) (every volunteer
    answers task 1).  Derived columns are listed in ``df.attrs["derived"]``.
    ``sample``, ``gz2_class`` and ``total_votes`` are kept when present.

    Raises :class:`CatalogError` naming the file and the missing columns.
    """
    path = Path(path)
    header = _read_header(path, "GZ2 table", downloaded=True)
    missing = [c for c in GZ2_BASE_COLUMNS if c not in header]
    for a in ANSWERS.values():
        missing += [f"{a}_{s}" for s in ("weighted_fraction", "debiased") if f"{a}_{s}" not in header]
        if f"{a}_count" not in header and f"{a}_fraction" not in header:
            missing.append(f"{a}_count (or {a}_fraction)")
    if missing:
        raise CatalogError(f"GZ2 table {path} is missing {len(missing)} required column(s): {missing}")

    task1 = [f"{a}_{s}" for a in ANSWERS.values() for s in ("count", "fraction", "weighted_fraction", "debiased")]
    wanted = [c for c in (*GZ2_BASE_COLUMNS, *GZ2_EXTRA_COLUMNS, *task1) if c in header]
    try:
        df = pd.read_csv(path, usecols=wanted, dtype={"dr7objid": "int64"}, low_memory=False)
    except Exception as exc:  # noqa: BLE001 - damaged download: set aside, say what to do
        raise unreadable(path, "GZ2 table", exc, downloaded=True) from exc

    derived: list[str] = []
    counts = [f"{a}_count" for a in ANSWERS.values()]
    if any(f"{a}_fraction" not in df.columns for a in ANSWERS.values()):
        if not all(c in df.columns for c in counts):
            need = [c for c in counts if c not in df.columns]
            raise CatalogError(f"GZ2 table {path}: cannot derive the task-1 fractions without {need}")
        total = df[counts].sum(axis=1).to_numpy(float)
        for a in ANSWERS.values():
            if f"{a}_fraction" not in df.columns:
                with np.errstate(invalid="ignore", divide="ignore"):
                    df[f"{a}_fraction"] = np.where(total > 0, df[f"{a}_count"].to_numpy(float) / total, np.nan)
                derived.append(f"{a}_fraction")
    for a in ANSWERS.values():
        if f"{a}_count" not in df.columns:
            est = df[f"{a}_fraction"].to_numpy(float) * df["total_classifications"].to_numpy(float)
            df[f"{a}_count"] = np.rint(np.nan_to_num(est, nan=0.0)).astype(np.int64)
            derived.append(f"{a}_count")
    if derived:
        log.warning("GZ2 table %s: derived %s from the columns present", path, derived)
    df.attrs["derived"] = derived
    df.attrs["source"] = str(path)
    return df




# --- the catalog ---------------------------------------------------------------------------------

CATALOG_FILE = "catalog.parquet"


def _drop(df: pd.DataFrame, bad: np.ndarray, reason: str, steps: list[dict[str, Any]]) -> pd.DataFrame:
    n = int(np.asarray(bad).sum())
    steps.append({"cut": reason, "removed": n, "remaining": len(df) - n})
    if n:
        log.info("GZ2 selection: %d row(s) removed: %s", n, reason)
    return df.loc[~np.asarray(bad)]


def select_gz2(df: pd.DataFrame, selection: Selection | None = None) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Apply the GZ2 main-sample cuts to a joined GZ2 + SDSS frame.

    Returns the kept rows and a list of ``{cut, removed, remaining}`` describing each step.
    Rows are only ever removed for a stated reason.
    """
    sel = selection or Selection()
    steps: list[dict[str, Any]] = [{"cut": "input", "removed": 0, "remaining": len(df)}]
    if sel.samples is not None:
        if "sample" in df.columns:
            df = _drop(df, ~df["sample"].astype(str).isin(sel.samples).to_numpy(),
                       f"GZ2 sample not in {list(sel.samples)}", steps)
        else:
            warnings.warn("GZ2 table has no 'sample' column: the Legacy-sample cut was not applied", stacklevel=2)
    core = ["petroRad_r", "petroR50_r", "petroR90_r", "petroMag_r", "psfWidth_r"]
    nophot = df[core].isna().all(axis=1).to_numpy()
    df = _drop(df, nophot, "no SDSS photometry returned", steps)
    v = df[core].to_numpy(float)
    badphot = (~np.isfinite(v)).any(axis=1) | (v[:, [0, 1, 2, 4]] <= 0).any(axis=1)
    df = _drop(df, badphot, "SDSS photometry missing (-9999) or sizes/PSF width <= 0", steps)
    ext = df["extinction_r"].to_numpy(float) if "extinction_r" in df.columns else None
    if ext is None or np.isnan(ext).all():
        warnings.warn("no extinction_r: the magnitude cut uses uncorrected petroMag_r", stacklevel=2)
        r = df["petroMag_r"].to_numpy(float)
    else:
        df = _drop(df, np.isnan(ext), "no extinction_r (cannot apply the magnitude cut)", steps)
        r = df["petroMag_r"].to_numpy(float) - df["extinction_r"].to_numpy(float)
    df = _drop(df, ~(r <= sel.r_max), f"extinction-corrected petroMag_r > {sel.r_max}", steps)
    df = _drop(df, ~(df["petroR90_r"].to_numpy(float) > sel.r90_min), f"petroR90_r <= {sel.r90_min} arcsec", steps)
    z = df["z"].to_numpy(float)
    df = _drop(df, np.isnan(z), "no spectroscopic redshift", steps)
    z = df["z"].to_numpy(float)
    df = _drop(df, ~((z > sel.z_min) & (z < sel.z_max)), f"z outside ({sel.z_min}, {sel.z_max})", steps)
    fr = [f"{a}_{s}" for a in ANSWERS.values() for s in ("count", "fraction", "weighted_fraction", "debiased")]
    df = _drop(df, df[fr].isna().any(axis=1).to_numpy(), "task-1 vote counts or fractions missing (NaN)", steps)
    return df, steps


def _catalog_frame(df: pd.DataFrame, image_dir: str) -> pd.DataFrame:
    """Columns, order and types of the project catalog (REQUIRED, OPTIONAL, then provenance)."""
    out = pd.DataFrame(index=df.index)
    for col, kind in REQUIRED.items():
        if col == "file_loc":
            out[col] = [f"{image_dir}/{int(i)}.jpg" for i in df["dr7objid"]]
        elif kind == "int":
            out[col] = df[col].astype(np.int64)
        else:
            v = df[col].to_numpy(float)
            if col.endswith(("_fraction", "_debiased")):
                # rounding in the published table can stray a hair outside [0, 1]
                v = np.where((v < 0) & (v > -1e-6), 0.0, np.where((v > 1) & (v < 1 + 1e-6), 1.0, v))
            out[col] = v
    out["extinction_r"] = df["extinction_r"].to_numpy(float) if "extinction_r" in df.columns else np.nan
    out["region"] = assign_region(df["ra"], df["dec"])
    out["hires_loc"] = pd.Series([None] * len(df), index=df.index, dtype="str")
    for src, dst in (("ng", "sersic_n"), ("e", "sersic_e"), ("Rhlr", "sersic_re_kpc")):
        out[dst] = df[src].to_numpy(float) if src in df.columns else np.nan
    if "Rhlr" in df.columns and "Scale" in df.columns:
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = df["Scale"].to_numpy(float)
            out["sersic_re_arcsec"] = np.where(scale > 0, df["Rhlr"].to_numpy(float) / scale, np.nan)
    else:
        out["sersic_re_arcsec"] = np.nan
    out["eval_sample"] = False  # real data has no held-out evaluation sample
    for c in ("sample", "gz2_class"):
        if c in df.columns:
            out[c] = df[c].astype("str")
    assert set(OPTIONAL) <= set(out.columns)
    return out.reset_index(drop=True)


def catalog_params(cfg: Any, selection: Selection | None = None, max_objects: int | None = None,
                   image_dir: str = "images", data_release: int = 7) -> dict[str, Any]:
    """The parameters in a fresh GZ2 ``catalog.parquet`` manifest (the defaults are :func:`prepare`'s)."""
    return {"profile": getattr(cfg, "name", str(cfg)), "data_source": "gz2", "seed": getattr(cfg, "seed", None),
            "selection": (selection or Selection()).to_dict(), "max_objects": max_objects, "image_dir": image_dir,
            "sdss_data_release": data_release}


def build_catalog(cfg: Any, raw_dir: str | os.PathLike, out_dir: str | os.PathLike, *,
                  gz2_file: str | os.PathLike | None = None, sdss_file: str | os.PathLike | None = None,
                  simard_file: str | os.PathLike | None = None, selection: Selection | None = None,
                  max_objects: int | None = None, image_dir: str = "images", data_release: int = 7,
                  write: bool = True) -> pd.DataFrame:
    """Join GZ2 + SDSS + Simard into the project catalog; write ``out_dir/catalog.parquet``.

    Reads ``gz2_hart16.csv.gz``, ``sdss_dr7_photometry.csv`` and ``simard11_table3.csv`` from
    ``raw_dir`` (or the files given), applies :class:`Selection`, optionally keeps a random
    ``max_objects`` rows (seeded by ``cfg.seed``), and returns a frame with every
    :data:`galbias.catalog.REQUIRED` and :data:`~galbias.catalog.OPTIONAL` column:
    task-1 ``_count/_fraction/_weighted_fraction/_debiased``, SDSS photometry, ``region``
    (:func:`assign_region`), the Simard fit (``sersic_n`` = ng, ``sersic_e`` = e,
    ``sersic_re_kpc`` = Rhlr, ``sersic_re_arcsec`` = Rhlr / Scale; NaN where Simard has none),
    ``hires_loc`` (null) and ``file_loc = <image_dir>/<dr7objid>.jpg`` relative to ``out_dir``.
    ``sample`` and ``gz2_class`` are kept for provenance.  The images are not needed here
    (see :func:`fetch_images` and :func:`galbias.images.check_images`).

    The catalog is validated with :func:`galbias.catalog.validate_catalog` and written
    atomically with a manifest recording the parameters, the input hashes and how many rows
    each cut removed (also in ``df.attrs["selection"]``).
    """
    raw_dir = Path(raw_dir)
    out_dir = Path(out_dir)
    sel = selection or Selection()
    gz2_path = Path(gz2_file) if gz2_file else raw_dir / GZ2_FILE
    sdss_path = Path(sdss_file) if sdss_file else raw_dir / sdss_filename(data_release)
    simard_path = Path(simard_file) if simard_file else raw_dir / SIMARD_FILE
    for what, p in (("GZ2 table", gz2_path), ("SDSS photometry", sdss_path), ("Simard et al. (2011) table", simard_path)):
        if not p.exists():
            raise FileNotFoundError(f"{what} {p} does not exist: run galbias.gz2.prepare (or `galbias data --profile paper`) first")

    gz = read_gz2_table(gz2_path)
    sdss = read_sdss_photometry(sdss_path)
    simard = read_simard(simard_path).rename(columns={"objID": "dr7objid", "z": "simard_z"})
    dup = int(gz["dr7objid"].duplicated().sum())
    if dup:
        raise CatalogError(f"GZ2 table {gz2_path}: column 'dr7objid' has {dup} duplicated id(s)")

    joined = gz.merge(sdss, on="dr7objid", how="left", validate="one_to_one")
    joined = joined.merge(simard, on="dr7objid", how="left", validate="one_to_one")
    kept, steps = select_gz2(joined, sel)
    if max_objects is not None and len(kept) > max_objects:
        before = len(kept)
        seed = int(getattr(cfg, "seed", 0))
        kept = kept.sort_values("dr7objid").sample(n=int(max_objects), random_state=seed)
        steps.append({"cut": f"random subset of {max_objects} (seed {seed})",
                      "removed": before - len(kept), "remaining": len(kept)})
    kept = kept.sort_values("dr7objid")
    if len(kept) == 0:
        raise CatalogError(f"no galaxy of {gz2_path} passes the GZ2 selection: {steps}")
    cat = _catalog_frame(kept, image_dir)
    out_path = out_dir / CATALOG_FILE
    validate_catalog(cat, out_path)
    n_sersic = int(cat["sersic_n"].notna().sum())
    log.info("GZ2 catalog: %d galaxies (%d with a Simard fit)", len(cat), n_sersic)
    cat.attrs["selection"] = steps
    cat.attrs["derived"] = gz.attrs.get("derived", [])

    if write:
        artifacts.write_parquet(out_path, cat)
        artifacts.write_manifest(
            out_path,
            params=catalog_params(cfg, sel, max_objects, image_dir, data_release),
            inputs={"gz2": gz2_path, "sdss": sdss_path, "simard": simard_path},
            code="catalog",
            selection=steps,
            derived_columns=gz.attrs.get("derived", []),
            n_rows=len(cat),
            n_with_sersic=n_sersic,
        )
    return cat


def prepare(cfg: Any, out_dir: str | os.PathLike, raw_dir: str | os.PathLike | None = None, *,
            selection: Selection | None = None, max_objects: int | None = None, images: bool = True,
            chunk_size: int = 200, data_release: int = 7, n_workers: int = 4,
            progressbar: bool = True) -> pd.DataFrame:
    """The whole data step of the ``paper`` profile; each stage resumes where it stopped.

    1. download ``gz2_hart16.csv.gz`` (hash-checked);
    2. query SDSS photometry for the GZ2 objects of the selected samples (chunked, resumable);
    3. download the Simard et al. (2011) fits (kept for those objects only);
    4. :func:`build_catalog` -> ``out_dir/catalog.parquet`` (the run's ``survey/`` folder);
    5. with ``images``, download the cut-outs (resumable) to ``out_dir/images/``.

    ``raw_dir`` defaults to ``data/raw/gz2`` in the checkout.
    """
    sel = selection or Selection()
    raw_dir = Path(raw_dir or default_raw_dir())
    out_dir = Path(out_dir)
    gz2_path = fetch_gz2_table(raw_dir, progressbar=progressbar)
    gz = read_gz2_table(gz2_path)
    if sel.samples is not None and "sample" in gz.columns:
        gz = gz[gz["sample"].astype(str).isin(sel.samples)]
    ids = gz["dr7objid"].to_numpy(np.int64)
    fetch_sdss_photometry(ids, raw_dir, chunk_size=chunk_size, data_release=data_release, progressbar=progressbar)
    fetch_simard(raw_dir, objids=ids)
    cat = build_catalog(cfg, raw_dir, out_dir, selection=sel, max_objects=max_objects, data_release=data_release)
    if images:
        fetch_images(cat, out_dir, n_workers=n_workers, progressbar=progressbar)
    return cat


__all__ = ["CATALOG_FILE", "Selection", "build_catalog", "catalog_params", "prepare", "read_gz2_table", "select_gz2"]
