"""The real Galaxy Zoo 2 data: download, hash checks, selection and the project catalog.

This is the data step of the ``paper`` profile.  It gathers four public sources and joins
them into the same catalog schema the simulated survey writes (:mod:`galbias.catalog`), so
the chapters after the data step run unchanged on real data:

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
======================  ==================================================================

``data/README.md`` lists URLs, licences and hashes.  Every network access sits in a small
private function (``_downloader``, ``_sdss_query``, ``_vizier_table``, ``_http_get``,
``_mast_query_region``) or in a direct astroquery call, so the tests replace the network with
fixture files.  Nothing here touches the network on import.

Typical use (what ``galbias data --profile paper`` and chapter 0 do)::

    from galbias import config, gz2
    cfg = config.get_profile("paper")
    catalog = gz2.prepare(cfg)          # download everything missing, build the catalog
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import artifacts
from .catalog import ANSWERS, OPTIONAL, REQUIRED, CatalogError, validate_catalog
from .images import decode_jpeg_bytes, is_valid_jpeg

log = logging.getLogger(__name__)


class DownloadError(RuntimeError):
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
from .mock.regions import REGIONS as _MOCK_REGIONS  # noqa: E402

HST_COLUMNS = ("obs_collection", "instrument_name", "filters", "obs_id", "obsid", "target_name",
               "t_exptime", "t_min", "s_ra", "s_dec", "dataproduct_type", "calib_level",
               "dataURL", "jpegURL")

#: sky-region boxes (RA_min, RA_max, Dec_min, Dec_max) in degrees, shared with the mock survey
#: (chapter 9); boxes are half-open: RA_min <= ra < RA_max, Dec_min <= dec < Dec_max
#: (one definition: the mock survey's region table)
REGION_BOXES: dict[int, tuple[float, float, float, float]] = {
    r.region: (r.ra_min, r.ra_max, r.dec_min, r.dec_max) for r in _MOCK_REGIONS
}


def sdss_filename(data_release: int = 7) -> str:
    """Name of the merged SDSS photometry file in ``raw_dir``."""
    return f"sdss_dr{data_release}_photometry.csv"


def default_raw_dir() -> Path:
    """``data/raw/gz2`` in the checkout (git-ignored)."""
    from .config import repo_root

    return repo_root() / "data" / "raw" / "gz2"


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


# --- regions -----------------------------------------------------------------------------------

def assign_region(ra: Any, dec: Any) -> np.ndarray:
    """Sky-region code (1-4, 0 = none) of each position, from :data:`REGION_BOXES`.

    RA 0-20 / Dec 0-20 -> 1; RA 180-200 / Dec 0-20 -> 2; RA 180-200 / Dec 20-40 -> 3;
    RA 240-260 / Dec 15-35 -> 4; anything else -> 0.  RA is taken modulo 360.
    """
    ra = np.mod(np.asarray(ra, dtype=float), 360.0)
    dec = np.asarray(dec, dtype=float)
    ra, dec = np.broadcast_arrays(ra, dec)
    out = np.zeros(ra.shape, dtype=np.int64)
    for code, (r0, r1, d0, d1) in REGION_BOXES.items():
        inside = (ra >= r0) & (ra < r1) & (dec >= d0) & (dec < d1)
        out[inside & (out == 0)] = code
    return out


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


def sha256(path: str | os.PathLike) -> str:
    return artifacts.file_hash(path)


def _pin_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _check_pinned(path: Path, url: str) -> str:
    """Trust-on-first-use for files with no known hash; reject a file that changed since."""
    digest = sha256(path)
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


def fetch_file(name: str, raw_dir: str | os.PathLike, *, registry: Mapping[str, str | None] | None = None,
               progressbar: bool = True, retries: int = 3) -> Path:
    """Download ``name`` (a key of :data:`REGISTRY`) into ``raw_dir`` unless already there.

    pooch streams to a temporary file and moves it into place only after its SHA-256 matched
    the registry, so a partial or altered download is never used; a local file whose hash
    does not match is downloaded again.  For entries whose hash is ``None`` the digest is pinned
    beside the file on first download and enforced from then on (with a warning).
    Raises :class:`DownloadError` naming the file and URL.
    """
    reg = dict(REGISTRY if registry is None else registry)
    if name not in reg:
        raise KeyError(f"{name!r} is not a known download; known: {sorted(reg)}")
    url = URLS.get(name, GZ2_BASE_URL + name)
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


# --- reading the GZ2 table ---------------------------------------------------------------------

GZ2_BASE_COLUMNS = ("dr7objid", "ra", "dec", "total_classifications")
GZ2_EXTRA_COLUMNS = ("sample", "gz2_class", "total_votes")


def _read_header(path: Path, what: str) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    try:
        return list(pd.read_csv(path, nrows=0).columns)
    except Exception as exc:  # noqa: BLE001 - any parser/decompression error, re-raised with the file
        raise CatalogError(f"cannot read {what} {path}: {exc}") from exc


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
    header = _read_header(path, "GZ2 table")
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
    except Exception as exc:  # noqa: BLE001
        raise CatalogError(f"cannot read GZ2 table {path}: {exc}") from exc

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
    for c in ("sample", "gz2_class"):
        if c in df.columns:
            out[c] = df[c].astype("str")
    assert set(OPTIONAL) <= set(out.columns)
    return out.reset_index(drop=True)


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
            params={
                "profile": getattr(cfg, "name", str(cfg)),
                "data_source": "gz2",
                "seed": getattr(cfg, "seed", None),
                "selection": sel.to_dict(),
                "max_objects": max_objects,
                "image_dir": image_dir,
                "sdss_data_release": data_release,
            },
            inputs={"gz2": gz2_path, "sdss": sdss_path, "simard": simard_path},
            selection=steps,
            derived_columns=gz.attrs.get("derived", []),
            n_rows=len(cat),
            n_with_sersic=n_sersic,
        )
    return cat


def prepare(cfg: Any, raw_dir: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None, *,
            selection: Selection | None = None, max_objects: int | None = None, images: bool = True,
            chunk_size: int = 200, data_release: int = 7, n_workers: int = 4,
            progressbar: bool = True) -> pd.DataFrame:
    """The whole data step of the ``paper`` profile; each stage resumes where it stopped.

    1. download ``gz2_hart16.csv.gz`` (hash-checked);
    2. query SDSS photometry for the GZ2 objects of the selected samples (chunked, resumable);
    3. download the Simard et al. (2011) fits (kept for those objects only);
    4. :func:`build_catalog` -> ``out_dir/catalog.parquet`` (default: the run's ``survey/``);
    5. with ``images``, download the cut-outs (resumable) to ``out_dir/images/``.
    """
    from .config import paths

    sel = selection or Selection()
    raw_dir = Path(raw_dir or default_raw_dir())
    out_dir = Path(out_dir) if out_dir is not None else paths(cfg).survey
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


__all__ = [
    "CATALOG_FILE", "CUTOUT_URL", "DownloadError", "GZ2_FILE", "GZ2_URL", "REGION_BOXES", "REGISTRY",
    "SIMARD_CATALOG", "SIMARD_FILE", "Selection", "UnverifiedDownloadWarning", "assign_region",
    "build_catalog", "cutout_params", "fetch_file", "fetch_gz2_table", "fetch_hst_cutouts", "fetch_images",
    "fetch_sdss_photometry", "fetch_simard", "make_pooch", "prepare", "read_gz2_table",
    "read_sdss_photometry", "read_simard", "sdss_filename", "sdss_photometry_sql", "select_gz2",
]
