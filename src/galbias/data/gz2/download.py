"""Downloads of the real Galaxy Zoo 2 data (the ``paper`` profile's data step, part 1).

======================  ==================================================================
GZ2 + Hart et al. 2016  ``gz2_hart16.csv.gz`` (Galaxy Zoo data site), fetched with pooch:
                        task-1 vote counts, fractions, weighted fractions (Willett et al.
                        2013, the GZ2B labels) and redshift-debiased fractions (Hart et
                        al. 2016, the GZ2D labels).
SDSS DR7 photometry     ``petroRad_r, petroR50_r, petroR90_r, petroMag_r, extinction_r``
                        (PhotoObj), ``psfWidth_r`` (Field, joined on fieldID) and the
                        spectroscopic ``z`` (SpecObj), by synchronous SkyServer SQL through
                        ``astroquery.sdss`` in chunks of object ids (resumable).
Simard et al. 2011      pure-Sersic fits, VizieR ``J/ApJS/196/11/table3`` through
                        ``astroquery.vizier``: ``ng`` (index), ``e``, ``Rhlr`` (kpc),
                        ``Scale`` (kpc/arcsec).  -99.99 marks a missing value.
SDSS JPEG cut-outs      SkyServer ImgCutout ``getjpeg``: 424x424 px at 0.02 petroR90_r
                        arcsec/px, one file per galaxy, resumable.
HST observations        the list of MAST observations around each galaxy (chapter 7).
======================  ==================================================================

Every network access sits in a small private function (``_downloader``, ``_sdss_query``,
``_vizier_table``, ``_http_get``, ``_mast_query_region``) so the tests replace the network with
fixture files.  Nothing here touches the network on import.  Reading the downloaded files and
joining them into the catalog is :mod:`galbias.data.gz2.assemble`.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...core import artifacts
from ...core.errors import GalbiasError
from ...core.paths import repo_root
from ..catalog import CatalogError

log = logging.getLogger(__name__)


class DownloadError(GalbiasError, RuntimeError):
    """A download or remote query that failed, or a file whose hash does not match."""


class UnverifiedDownloadWarning(UserWarning):
    """A file was downloaded for which no published SHA-256 is known (pinned on first use)."""


# --- sources ---------------------------------------------------------------------------------

#: the GZ2 main table with the Hart et al. (2016) debiased fractions
GZ2_FILE = "gz2_hart16.csv.gz"
GZ2_BASE_URL = "https://gz2hart.s3.amazonaws.com/"
GZ2_URL = GZ2_BASE_URL + GZ2_FILE

#: SHA-256 of every file fetched with pooch.  ``None`` means that no published hash is known
#: to this package (it could not be verified when this was written, offline).  Such a file is
#: hash-pinned on first download ("trust on first use", see :func:`fetch_file`): the digest is
#: written beside it, a warning asks you to copy it here, and a later file that differs from the
#: pinned digest is rejected.  A file with a known hash is never used if it does not match.
REGISTRY: dict[str, str | None] = {
    GZ2_FILE: None,  # not published by the Galaxy Zoo team; pin it (see data/README.md)
}
URLS: dict[str, str] = {GZ2_FILE: GZ2_URL}

#: SDSS photometry columns taken from PhotoObj, Field and SpecObj
SDSS_COLUMNS = ("petroRad_r", "petroR50_r", "petroR90_r", "petroMag_r", "extinction_r", "psfWidth_r", "z")
#: SDSS uses -9999 (and -1000 for some quantities) for "not measured"
SDSS_MISSING_BELOW = -999.0

#: VizieR table of Simard et al. (2011) pure-Sersic fits and the columns used
SIMARD_CATALOG = "J/ApJS/196/11/table3"
SIMARD_COLUMNS = ("objID", "z", "Scale", "Rhlr", "e", "ng", "e_ng")
SIMARD_MISSING = -99.99
SIMARD_FILE = "simard11_table3.csv"

#: SkyServer image cut-out service (DR17 web service: the DR7 imaging, recalibrated)
CUTOUT_URL = "https://skyserver.sdss.org/dr17/SkyServerWS/ImgCutout/getjpeg"
CUTOUT_SIZE = 424
CUTOUT_SCALE_PER_R90 = 0.02  # arcsec per pixel, per arcsec of petroR90_r (GZ2 convention)

#: columns of the MAST observation table kept by :func:`fetch_hst_cutouts`
HST_COLUMNS = ("obs_collection", "instrument_name", "filters", "obs_id", "obsid", "target_name",
               "t_exptime", "t_min", "s_ra", "s_dec", "dataproduct_type", "calib_level",
               "dataURL", "jpegURL")



def sdss_filename(data_release: int = 7) -> str:
    """Name of the merged SDSS photometry file in ``raw_dir``."""
    return f"sdss_dr{data_release}_photometry.csv"


def default_raw_dir() -> Path:
    """``data/raw/gz2`` in the checkout (git-ignored)."""
    return repo_root() / "data" / "raw" / "gz2"



def unreadable(path: str | os.PathLike, what: str, exc: BaseException, downloaded: bool = False) -> CatalogError:
    """The error for a file that cannot be read; a downloaded one (and its pinned hash) is set
    aside first, and the message says which files were moved and that the next run downloads
    it again."""
    path = Path(path)
    if not downloaded:
        return CatalogError(f"cannot read {what} {path}: {' '.join(str(exc).split())}")
    moved = quarantine(path, f"unreadable: {exc}")
    names = ", ".join(str(m) for m in moved)
    return CatalogError(f"cannot read {what} {path} ({' '.join(str(exc).split())[:200]}): it is damaged or was "
                        f"cut short; moved aside as {names} -- run again to download it afresh, and delete those "
                        "files once the new download works")


def _read_header(path: Path, what: str, downloaded: bool = False) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    try:
        return list(pd.read_csv(path, nrows=0).columns)
    except Exception as exc:  # noqa: BLE001 - any parser/decompression error, re-raised with the file
        raise unreadable(path, what, exc, downloaded) from exc


# --- pooch downloads ---------------------------------------------------------------------------

def _downloader(progressbar: bool = True, timeout: float = 120.0) -> Callable:
    """The pooch downloader used for file downloads (replaced in the tests)."""
    import pooch

    return pooch.HTTPDownloader(progressbar=progressbar, timeout=timeout)


def make_pooch(raw_dir: str | os.PathLike, registry: Mapping[str, str | None] | None = None,
               retries: int = 3):
    """A :func:`pooch.create` registry of the downloadable files, stored in ``raw_dir``."""
    import pooch

    reg = dict(REGISTRY if registry is None else registry)
    return pooch.create(
        path=Path(raw_dir),
        base_url=GZ2_BASE_URL,
        registry=reg,
        urls={k: v for k, v in URLS.items() if k in reg},
        retry_if_failed=retries,
        allow_updates=True,
    )


def _pin_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _check_pinned(path: Path, url: str) -> str:
    """Trust-on-first-use for files with no known hash; reject a file that changed since."""
    digest = artifacts.file_hash(path)
    pin = _pin_path(path)
    if pin.exists():
        pinned = pin.read_text().split()[0].strip().lower()
        if pinned != digest:
            raise DownloadError(
                f"{path} has SHA-256 {digest}, but {pin} pinned {pinned} when it was first downloaded "
                f"from {url}: the file was altered or replaced; delete both files to download it again"
            )
        return digest
    artifacts.write_bytes(pin, f"{digest}  {path.name}\n".encode())
    warnings.warn(
        f"no published SHA-256 is known for {path.name} ({url}); downloaded it and pinned its hash "
        f"{digest} in {pin}. Check it against data/README.md and set "
        f"galbias.gz2.REGISTRY[{path.name!r}] = 'sha256:{digest}' to verify it from now on.",
        UnverifiedDownloadWarning,
        stacklevel=3,
    )
    return digest


def quarantine(path: str | os.PathLike, why: str) -> list[Path]:
    """Move a downloaded file that cannot be used, and its pinned hash, aside (``<name>.bad-<time>``)
    so that the next run downloads it again; returns the new paths."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = []
    for f in (path, _pin_path(path)):
        if f.exists():
            target = f.with_name(f"{f.name}.bad-{stamp}")
            os.replace(f, target)
            moved.append(target)
    log.warning("%s set aside (%s): %s", path, why, [str(m) for m in moved])
    return moved


def fetch_file(name: str, raw_dir: str | os.PathLike, *, registry: Mapping[str, str | None] | None = None,
               progressbar: bool = True, retries: int = 3) -> Path:
    """Download ``name`` (a key of :data:`REGISTRY`) into ``raw_dir`` unless already there.

    pooch streams to a temporary file and moves it into place only after its SHA-256 matched
    the registry, so a partial or altered download is never used; a local file whose hash
    does not match is downloaded again.  For entries whose hash is ``None`` the digest is pinned
    beside the file on first download and enforced from then on (with a warning); a file that is
    already there without a pin was not downloaded by this code and is set aside
    (:func:`quarantine`) and downloaded afresh, never pinned.
    Raises :class:`DownloadError` naming the file and URL.
    """
    reg = dict(REGISTRY if registry is None else registry)
    if name not in reg:
        raise KeyError(f"{name!r} is not a known download; known: {sorted(reg)}")
    url = URLS.get(name, GZ2_BASE_URL + name)
    local = Path(raw_dir) / name
    if reg[name] is None and local.exists() and not _pin_path(local).exists():
        # a file this code did not download (or whose download was cut short) and that nothing
        # can verify: never trust it, never pin its hash -- set it aside and download afresh
        aside = quarantine(local, "it was already there without a pinned hash, so it cannot be verified")
        warnings.warn(f"{local} was set aside as {aside[0].name} and is downloaded again", UnverifiedDownloadWarning,
                      stacklevel=2)
    pup = make_pooch(raw_dir, reg, retries=retries)
    try:
        path = Path(pup.fetch(name, downloader=_downloader(progressbar=progressbar)))
    except ValueError as exc:  # pooch: hash mismatch after all retries
        raise DownloadError(f"download of {name} from {url} was rejected: {exc}") from exc
    except OSError as exc:  # includes requests' connection errors
        raise DownloadError(f"could not download {name} from {url} into {raw_dir}: {exc}") from exc
    if reg[name] is None:
        _check_pinned(path, url)
    return path


def fetch_gz2_table(raw_dir: str | os.PathLike | None = None, **kwargs: Any) -> Path:
    """Download ``gz2_hart16.csv.gz`` (hash-checked) and return its path."""
    return fetch_file(GZ2_FILE, raw_dir or default_raw_dir(), **kwargs)


# --- SDSS photometry ---------------------------------------------------------------------------

def sdss_photometry_sql(objids: Sequence[int], data_release: int = 7) -> str:
    """SkyServer SQL returning the photometry, PSF width and redshift of DR7 ``objids``.

    DR7 (default, the release GZ2 and the paper used): PhotoObj.objID *is* the GZ2
    ``dr7objid``.  DR8 and later re-numbered the objects; there the ``PhotoObjDR7``
    cross-match table (columns ``dr7objid``, ``dr8objid``) maps the ids, and the photometry
    returned is the later release's re-reduction of the same images (``PhotoObjDR7`` itself
    carries DR7 Petrosian R50/R90 but no ``petroRad_r``), so values differ slightly from DR7.
    """
    ids = ",".join(str(int(i)) for i in objids)
    if not ids:
        raise ValueError("no object ids to query")
    select = (
        "p.petroRad_r AS petroRad_r, p.petroR50_r AS petroR50_r, p.petroR90_r AS petroR90_r, "
        "p.petroMag_r AS petroMag_r, p.extinction_r AS extinction_r, f.psfWidth_r AS psfWidth_r, s.z AS z"
    )
    if data_release <= 7:
        return (
            f"SELECT p.objID AS dr7objid, {select} "
            "FROM PhotoObj AS p "
            "JOIN Field AS f ON f.fieldID = p.fieldID "
            "LEFT OUTER JOIN SpecObj AS s ON s.bestObjID = p.objID "
            f"WHERE p.objID IN ({ids})"
        )
    return (
        f"SELECT x.dr7objid AS dr7objid, {select} "
        "FROM PhotoObjDR7 AS x "
        "JOIN PhotoObj AS p ON p.objID = x.dr8objid "
        "JOIN Field AS f ON f.fieldID = p.fieldID "
        "LEFT OUTER JOIN SpecObj AS s ON s.bestObjID = p.objID "
        f"WHERE x.dr7objid IN ({ids})"
    )


def _sdss_query(sql: str, data_release: int, timeout: float):
    """One synchronous SkyServer SQL query (astropy Table, or None when nothing matched)."""
    from astroquery.sdss import SDSS

    return SDSS.query_sql(sql, data_release=data_release, timeout=timeout, cache=False)


def _to_frame(table: Any) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame()
    if isinstance(table, pd.DataFrame):
        return table.copy()
    return table.to_pandas()


def _normalise_sdss(df: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in ("dr7objid", *SDSS_COLUMNS) if c not in df.columns]
    if missing:
        raise CatalogError(f"SDSS photometry {source} is missing {len(missing)} column(s): {missing}")
    out = pd.DataFrame({"dr7objid": pd.to_numeric(df["dr7objid"], errors="raise").astype(np.int64)})
    for c in SDSS_COLUMNS:
        v = np.array(pd.to_numeric(df[c], errors="coerce"), dtype=float)
        v[v <= SDSS_MISSING_BELOW] = np.nan
        out[c] = v
    # an object with several spectra: keep the first row (SpecObj holds the primary spectrum)
    return out.drop_duplicates("dr7objid", keep="first").reset_index(drop=True)


def _parts_dir(raw_dir: Path, data_release: int) -> Path:
    return raw_dir / f"sdss_dr{data_release}_parts"


def fetch_sdss_photometry(objids: Iterable[int], raw_dir: str | os.PathLike | None = None, *,
                          chunk_size: int = 200, data_release: int = 7, timeout: float = 600.0,
                          retries: int = 2, backoff: float = 5.0, progressbar: bool = True) -> Path:
    """Query SDSS photometry for ``objids`` in chunks; write ``sdss_dr<N>_photometry.csv``.

    Each chunk is written, atomically, to ``sdss_dr<N>_parts/part-NNNNN.csv`` as soon as it
    arrives, including NaN rows for ids the server did not return, so an interrupted run
    resumes with the ids not yet asked for.  The merged file is rewritten at the end.

    SkyServer's synchronous SQL interface limits query length, run time and rows; ``chunk_size``
    ids go into one ``IN (...)`` list (lower it if the server rejects long queries).  For the whole
    GZ2 sample in one go, CasJobs (https://skyserver.sdss.org/CasJobs/) with an uploaded id
    table is faster; save its output with the columns of :data:`SDSS_COLUMNS` plus ``dr7objid``
    as the merged file and this function will only fill in what is missing.
    """
    from tqdm import tqdm

    raw_dir = Path(raw_dir or default_raw_dir())
    ids = pd.unique(pd.Series(list(objids), dtype="int64"))
    if len(ids) == 0:
        raise ValueError("fetch_sdss_photometry: no object ids given")
    merged = raw_dir / sdss_filename(data_release)
    parts = _parts_dir(raw_dir, data_release)

    have: list[pd.DataFrame] = []
    if merged.exists():
        have.append(read_sdss_photometry(merged))
    part_files = sorted(parts.glob("part-*.csv")) if parts.exists() else []
    for p in part_files:
        have.append(read_sdss_photometry(p))
    done = set(pd.concat(have)["dr7objid"].tolist()) if have else set()
    todo = [int(i) for i in ids if int(i) not in done]
    if not todo and merged.exists() and not part_files:
        return merged

    chunks = [todo[i:i + chunk_size] for i in range(0, len(todo), max(1, chunk_size))]
    next_n = 1 + max((int(p.stem.split("-")[1]) for p in part_files), default=-1)
    for k, chunk in enumerate(tqdm(chunks, desc=f"SDSS DR{data_release} photometry", unit="chunk",
                                   disable=not progressbar or not chunks)):
        sql = sdss_photometry_sql(chunk, data_release)
        table = None
        for attempt in range(retries + 1):
            try:
                table = _sdss_query(sql, data_release, timeout)
                break
            except Exception as exc:  # noqa: BLE001 - network/service errors of any kind
                if attempt == retries:
                    raise DownloadError(
                        f"SDSS DR{data_release} query for {len(chunk)} object(s) (ids {chunk[0]}..{chunk[-1]}) "
                        f"failed after {retries + 1} attempt(s): {exc}. Finished chunks are kept in {parts}; "
                        "run again to resume."
                    ) from exc
                time.sleep(backoff * (attempt + 1))
        got = _to_frame(table)
        got = _normalise_sdss(got, f"query result (chunk {k})") if len(got) else pd.DataFrame(
            columns=["dr7objid", *SDSS_COLUMNS])
        # record every asked-for id, with NaN where the server had nothing
        rows = pd.DataFrame({"dr7objid": np.asarray(chunk, dtype=np.int64)}).merge(got, on="dr7objid", how="left")
        artifacts.write_bytes(parts / f"part-{next_n + k:05d}.csv", rows.to_csv(index=False).encode())

    all_parts = sorted(parts.glob("part-*.csv")) if parts.exists() else []
    pieces = ([read_sdss_photometry(merged)] if merged.exists() else []) + [read_sdss_photometry(p) for p in all_parts]
    allrows = pd.concat(pieces, ignore_index=True).drop_duplicates("dr7objid", keep="last")
    allrows = allrows.sort_values("dr7objid").reset_index(drop=True)
    artifacts.write_bytes(merged, allrows.to_csv(index=False).encode())
    for p in all_parts:
        p.unlink()
    n_found = int(allrows.loc[allrows["dr7objid"].isin(ids), "psfWidth_r"].notna().sum())
    log.info("SDSS DR%d photometry: %d of %d object(s) found; written to %s", data_release, n_found, len(ids), merged)
    return merged


def read_sdss_photometry(path: str | os.PathLike) -> pd.DataFrame:
    """Read a saved SDSS photometry file (``dr7objid`` + :data:`SDSS_COLUMNS`)."""
    path = Path(path)
    _read_header(path, "SDSS photometry")
    try:
        df = pd.read_csv(path, comment="#")
    except Exception as exc:  # noqa: BLE001
        raise CatalogError(f"cannot read SDSS photometry {path}: {exc}") from exc
    return _normalise_sdss(df, str(path))


# --- Simard et al. 2011 --------------------------------------------------------------------------

def _vizier_table(catalog: str, columns: Sequence[str], row_limit: int = -1, timeout: float = 600.0):
    """Download a whole VizieR table (selected columns) as an astropy Table."""
    from astroquery.vizier import Vizier

    viz = Vizier(columns=list(columns), row_limit=row_limit)
    viz.TIMEOUT = timeout
    result = viz.get_catalogs(catalog)
    if len(result) == 0:
        raise DownloadError(f"VizieR returned no table for {catalog}")
    return result[0]


def _normalise_simard(df: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = [c for c in SIMARD_COLUMNS if c not in df.columns]
    if missing:
        raise CatalogError(f"Simard et al. (2011) table {source} is missing {len(missing)} column(s): {missing}")
    out = pd.DataFrame({"objID": pd.to_numeric(df["objID"], errors="raise").astype(np.int64)})
    for c in SIMARD_COLUMNS[1:]:
        v = np.array(pd.to_numeric(df[c], errors="coerce"), dtype=float)
        v[np.isclose(v, SIMARD_MISSING)] = np.nan
        out[c] = v
    return out.drop_duplicates("objID", keep="first").reset_index(drop=True)


def fetch_simard(raw_dir: str | os.PathLike | None = None, objids: Iterable[int] | None = None, *,
                 catalog: str = SIMARD_CATALOG, timeout: float = 1800.0, force: bool = False) -> Path:
    """Download the Simard et al. (2011) pure-Sersic table from VizieR into ``simard11_table3.csv``.

    The whole table (about 1.1 million rows, :data:`SIMARD_COLUMNS` only) is requested in one
    VizieR query; with ``objids`` only those rows are kept on disk.  -99.99 becomes NaN.
    An existing file is reused unless ``force``.
    """
    raw_dir = Path(raw_dir or default_raw_dir())
    path = raw_dir / SIMARD_FILE
    if path.exists() and not force:
        return path
    try:
        table = _vizier_table(catalog, SIMARD_COLUMNS, row_limit=-1, timeout=timeout)
    except DownloadError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise DownloadError(f"VizieR query for {catalog} failed: {exc}") from exc
    df = _normalise_simard(_to_frame(table), f"VizieR {catalog}")
    if objids is not None:
        keep = pd.unique(pd.Series(list(objids), dtype="int64"))
        df = df[df["objID"].isin(keep)]
    artifacts.write_bytes(path, df.to_csv(index=False).encode())
    log.info("Simard et al. (2011): %d row(s) written to %s", len(df), path)
    return path


def read_simard(path: str | os.PathLike) -> pd.DataFrame:
    """Read a saved Simard table; -99.99 (missing) becomes NaN."""
    path = Path(path)
    _read_header(path, "Simard et al. (2011) table")
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001
        raise CatalogError(f"cannot read Simard et al. (2011) table {path}: {exc}") from exc
    return _normalise_simard(df, str(path))


__all__ = ["DownloadError", "GZ2_FILE", "GZ2_URL", "REGISTRY", "SIMARD_CATALOG",
           "SIMARD_FILE", "UnverifiedDownloadWarning", "default_raw_dir", "fetch_file",
           "fetch_gz2_table", "fetch_sdss_photometry", "fetch_simard",
           "make_pooch", "quarantine", "unreadable", "read_sdss_photometry", "read_simard", "sdss_filename", "sdss_photometry_sql"]
