"""SDSS JPEG cut-outs and the HST observation list of the real GZ2 galaxies (``paper`` profile).

- :func:`fetch_images` - SkyServer ImgCutout ``getjpeg`` cut-outs, 424x424 px at
  0.02 petroR90_r arcsec/px (the GZ2 convention), downloaded in threads, resumable: a file that
  is already there and decodes is skipped, a failed one is retried on the next run.
- :func:`fetch_hst_cutouts` - the MAST observations covering each galaxy (chapter 7).

Network access sits in ``_http_get`` and ``_mast_query_region`` (replaced in the tests).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...core import artifacts
from ..catalog import CatalogError
from ..images import decode_jpeg_bytes, is_valid_jpeg
from .download import CUTOUT_SCALE_PER_R90, CUTOUT_SIZE, CUTOUT_URL, HST_COLUMNS, DownloadError, _to_frame

log = logging.getLogger(__name__)

__all__ = ["cutout_params", "fetch_hst_cutouts", "fetch_images"]


# --- image cut-outs ----------------------------------------------------------------------------

def cutout_params(ra: float, dec: float, petro_r90: float, size: int = CUTOUT_SIZE) -> dict[str, Any]:
    """Query parameters of one SkyServer ``getjpeg`` cut-out (GZ2 convention)."""
    return {
        "ra": float(ra),
        "dec": float(dec),
        "scale": round(CUTOUT_SCALE_PER_R90 * float(petro_r90), 6),
        "width": int(size),
        "height": int(size),
    }


def _http_get(url: str, params: Mapping[str, Any], timeout: float) -> bytes:
    """One HTTP GET returning the body (raises on HTTP errors)."""
    import requests

    resp = requests.get(url, params=dict(params), timeout=timeout)
    resp.raise_for_status()
    return resp.content


def _fetch_one(url: str, params: Mapping[str, Any], target: Path, retries: int, timeout: float,
               backoff: float) -> None:
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            data = _http_get(url, params, timeout)
            decode_jpeg_bytes(data, f"cut-out for {target.name}")  # never keep an error page
            artifacts.write_bytes(target, data)
            return
        except Exception as exc:  # noqa: BLE001 - network, HTTP or decoding errors
            last = exc
            if attempt < retries:
                time.sleep(backoff * 2 ** attempt)
    raise DownloadError(str(last)) from last


def fetch_images(catalog_df: pd.DataFrame, out_dir: str | os.PathLike, *, column: str = "file_loc",
                 base_url: str = CUTOUT_URL, size: int = CUTOUT_SIZE, n_workers: int = 4, retries: int = 3,
                 timeout: float = 60.0, backoff: float = 2.0, progressbar: bool = True) -> dict[str, int]:
    """Download the survey JPEG of every catalog row to ``out_dir / row[column]``.

    Resumable: a file already there that decodes completely is skipped.  Each cut-out is
    requested with ``ra, dec, scale = 0.02 petroR90_r, width = height = size``, retried with
    exponential back-off, checked to be a decodable image and written atomically.  After all
    rows were tried, raises :class:`DownloadError` with the number that failed and the first
    few (run again to retry just those).  Returns counts ``downloaded``, ``skipped``, ``failed``.
    """
    from tqdm import tqdm

    out_dir = Path(out_dir)
    need = [c for c in ("dr7objid", "ra", "dec", "petroR90_r", column) if c not in catalog_df.columns]
    if need:
        raise CatalogError(f"cannot fetch images: catalog lacks column(s) {need}")
    jobs = [(oid, out_dir / str(loc), ra, dec, r90) for oid, ra, dec, r90, loc in zip(
        catalog_df["dr7objid"], catalog_df["ra"], catalog_df["dec"], catalog_df["petroR90_r"], catalog_df[column])]

    def work(job) -> bool:
        """True when downloaded, False when a good file was already there."""
        oid, target, ra, dec, r90 = job
        if target.exists() and is_valid_jpeg(target):
            return False
        if not (np.isfinite(r90) and r90 > 0):
            raise DownloadError("petroR90_r is not a positive number")
        _fetch_one(base_url, cutout_params(ra, dec, r90, size), target, retries, timeout, backoff)
        return True

    failed: list[tuple[Any, str]] = []
    done = skipped = 0
    bar = tqdm(total=len(jobs), desc="SDSS cut-outs", unit="img", disable=not progressbar or not jobs)
    pool = ThreadPoolExecutor(max_workers=max(1, n_workers))
    try:
        futures = {pool.submit(work, job): job[0] for job in jobs}
        for fut in as_completed(futures):
            try:
                if fut.result():
                    done += 1
                else:
                    skipped += 1
            except Exception as exc:  # noqa: BLE001 - collected and reported together
                failed.append((futures[fut], str(exc)))
            bar.update(1)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: stop queued downloads, keep finished ones
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()
    summary = {"downloaded": done, "skipped": skipped, "failed": len(failed)}
    log.info("SDSS cut-outs in %s: %s", out_dir, summary)
    if failed:
        failed.sort(key=lambda t: str(t[0]))
        shown = "; ".join(f"{oid}: {why}" for oid, why in failed[:5])
        raise DownloadError(
            f"{len(failed)} of {len(jobs) - skipped} image cut-out(s) could not be downloaded to {out_dir} "
            f"({done} downloaded, {skipped} already present); first failures: {shown}. "
            "Run again to retry only the missing ones."
        )
    return summary


# --- HST observations (chapter 7) ----------------------------------------------------------------

def _mast_query_region(ra: float, dec: float, radius_arcsec: float):
    """MAST observations whose footprint lies within ``radius_arcsec`` of (ra, dec)."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astroquery.mast import Observations

    return Observations.query_region(SkyCoord(ra * u.deg, dec * u.deg, frame="icrs"), radius=radius_arcsec * u.arcsec)


def fetch_hst_cutouts(catalog_df: pd.DataFrame, *, radius_arcsec: float = 5.0, collection: str = "HST",
                      dataproduct_type: str = "image", out: str | os.PathLike | None = None,
                      progressbar: bool = True) -> pd.DataFrame:
    """Find the HST observations covering each galaxy of ``catalog_df`` (chapter 7).

    For every row, ``astroquery.mast.Observations.query_region`` is asked for observations
    within ``radius_arcsec`` of (ra, dec); those of ``collection`` and ``dataproduct_type`` are
    returned, one row per (galaxy, observation), with ``dr7objid`` and :data:`HST_COLUMNS`.
    With ``out`` the table is also written (atomically) as parquet.

    This returns the *list* of available HST images only.  Downloading the science products
    (``Observations.get_product_list`` / ``download_products``) and cutting them at the galaxy
    is not implemented yet; it is left to the chapter-7 issue, and ``hires_loc`` stays null
    for real data until then.
    """
    from tqdm import tqdm

    need = [c for c in ("dr7objid", "ra", "dec") if c not in catalog_df.columns]
    if need:
        raise CatalogError(f"cannot query HST observations: catalog lacks column(s) {need}")
    frames = []
    rows = list(zip(catalog_df["dr7objid"], catalog_df["ra"], catalog_df["dec"]))
    for oid, ra, dec in tqdm(rows, desc="MAST query", unit="gal", disable=not progressbar or not rows):
        try:
            table = _mast_query_region(float(ra), float(dec), radius_arcsec)
        except Exception as exc:  # noqa: BLE001
            raise DownloadError(f"MAST query around dr7objid {oid} (ra={ra}, dec={dec}) failed: {exc}") from exc
        if table is None or len(table) == 0:
            continue
        keep = [c for c in HST_COLUMNS if c in table.colnames]
        df = _to_frame(table[keep])
        if "obs_collection" in df.columns and collection:
            df = df[df["obs_collection"].astype(str) == collection]
        if "dataproduct_type" in df.columns and dataproduct_type:
            df = df[df["dataproduct_type"].astype(str) == dataproduct_type]
        if len(df):
            df.insert(0, "dr7objid", np.int64(oid))
            frames.append(df)
    result = (pd.concat(frames, ignore_index=True) if frames
              else pd.DataFrame(columns=["dr7objid", *HST_COLUMNS]))
    if out is not None:
        artifacts.write_parquet(out, result)
    return result
