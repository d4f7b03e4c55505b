"""Running the simulated survey: population -> votes -> images and measurements -> catalog.

:func:`simulate_survey` is the entry point used by chapter 00 and ``galbias data``.

1. The whole population is drawn up front (:func:`galbias.mock.population.draw_population`,
   deterministic in ``cfg.seed``), and the volunteers vote on it
   (:func:`galbias.mock.volunteers.simulate_votes`).  Neither step needs images: the
   volunteers' view of an image is computed from the physics of blurring.
2. The objects are cut into shards of ``cfg.shard_size``.  Each shard renders its survey
   JPEGs (``images/<shard>/<dr7objid>.jpg``) and high-resolution JPEGs
   (``hires/<shard>/<dr7objid>.jpg``), measures the single-Sérsic morphology on the
   survey r-band image, and writes ``shards/shard_<k>.parquet`` with a manifest.  A shard
   draws its random numbers from its own seed, derived from ``(cfg.seed, shard index)``,
   so the result does not depend on how many worker processes run (``cfg.n_workers``,
   0 = all cores) or in which order.
3. Resumption: the shard parquet and its manifest are written last, atomically; a rerun
   skips every shard whose manifest matches (same parameters, same simulation version,
   same population rows) and whose images are all on disk, and re-renders the others
   (an interrupted shard's partly written JPEGs are simply overwritten with identical
   bytes).
4. The catalog (population photometry + votes + measurements + truth) gets the
   redshift-debiased vote fractions from :func:`galbias.data.labels.redshift_debias`, is
   validated with :func:`galbias.data.catalog.validate_catalog` and written atomically as
   ``catalog.parquet`` with a manifest.  A rerun with a fresh catalog only reads it.

Helpers for the book: :func:`render_galaxy_views` (re-render a few objects),
:func:`render_resolution_sequence` (one galaxy seen at several alphas); the region table is
:func:`galbias.mock.regions.region_table`.
"""

from __future__ import annotations

from typing import Any

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..core import artifacts, seeds
from ..data import catalog
from ..data import cosmology as cosmo
from . import measure, profiles, render
from .population import TRUTH_COLUMNS, draw_population
from .volunteers import feature_visibility, simulate_votes, vote_probabilities

#: bump when the simulation changes in a way that alters its output (invalidates caches)
MOCK_VERSION = "3"
#: objects rendered together (vectorised) inside a shard
BATCH = 64

RENDER_PARAMS = ("seed", "survey_realism", "n_galaxies", "n_eval", "star_fraction", "image_size", "image_fov_r90", "hires_size",
                 "jpeg_quality", "shard_size")
CATALOG_PARAMS = RENDER_PARAMS + ("n_votes", "debias_z_bins", "debias_mag_bins", "debias_size_bins")

MEASURED = ["sersic_n", "sersic_e", "sersic_re_arcsec", "sersic_chi2"]


def _params(cfg: Any, names: Sequence[str]) -> dict:
    d = cfg.to_dict()
    return {"mock_version": MOCK_VERSION, **{k: d[k] for k in names}}


def catalog_params(cfg: Any) -> dict:
    """The parameters in a fresh ``catalog.parquet`` manifest of the simulated survey."""
    return _params(cfg, CATALOG_PARAMS)


def _population_digest(pop: pd.DataFrame) -> str:
    h = pd.util.hash_pandas_object(pop, index=False).to_numpy()
    return hashlib.sha256(h.tobytes()).hexdigest()[:16]


def _shard_path(out_dir: Path, k: int) -> Path:
    return out_dir / "shards" / f"shard_{k:03d}.parquet"


def _image_locs(ids: np.ndarray, k: int) -> tuple[list[str], list[str]]:
    return ([f"images/{k:03d}/{i}.jpg" for i in ids], [f"hires/{k:03d}/{i}.jpg" for i in ids])


def _shard_complete(out_dir: Path, k: int, params: dict) -> bool:
    path = _shard_path(out_dir, k)
    if not artifacts.is_fresh(path, params, code="survey_shard"):
        return False
    try:
        locs = pd.read_parquet(path, columns=["file_loc", "hires_loc"])
    except Exception:  # noqa: BLE001 - an unreadable shard is simply redone
        return False
    return all(os.path.exists(out_dir / p) for col in ("file_loc", "hires_loc") for p in locs[col] if p)


def render_shard(pop: pd.DataFrame, cfg: Any, k: int, out_dir: Path) -> pd.DataFrame:
    """Render, measure and write the JPEGs of one shard; return its measurement table.

    Deterministic in ``(cfg.seed, k)``.  Does not write the shard parquet (see
    :func:`_run_shard`).
    """
    rng = seeds.rng(cfg.seed, 1, int(k))
    ids = pop["dr7objid"].to_numpy()
    file_loc, hires_loc = _image_locs(ids, k)
    hires_size = int(cfg.hires_size)
    (out_dir / "images" / f"{k:03d}").mkdir(parents=True, exist_ok=True)
    if hires_size:
        (out_dir / "hires" / f"{k:03d}").mkdir(parents=True, exist_ok=True)
    else:
        hires_loc = [""] * len(ids)
    parts = []
    arrays = render.as_params(pop)
    for s in range(0, len(pop), BATCH):
        b = {key: v[s:s + BATCH] for key, v in arrays.items()}
        views = render.render_batch(b, int(cfg.image_size), float(cfg.image_fov_r90), rng, hires_size)
        m = measure.measure_batch(views.survey[:, 1], views.psf_px, views.noise[:, 1], views.pixscale)
        parts.append(pd.DataFrame(m))
        for rgb_all, locs in ((render.to_rgb(views.survey), file_loc),
                              (render.to_rgb(views.hires) if hires_size else None, hires_loc)):
            if rgb_all is None:
                continue
            for j, rgb in enumerate(rgb_all):
                with open(out_dir / locs[s + j], "wb") as f:
                    f.write(render.encode_jpeg(rgb, cfg.jpeg_quality))
    meas = pd.concat(parts, ignore_index=True)
    meas.insert(0, "dr7objid", ids)
    meas["file_loc"] = file_loc
    meas["hires_loc"] = hires_loc
    return meas.reset_index(drop=True)


def _run_shard(args: tuple) -> int:
    """Worker: render one shard and write its parquet + manifest (atomically, last)."""
    pop, cfg, k, out_dir, params = args
    with profiles.single_thread():
        meas = render_shard(pop, cfg, k, Path(out_dir))
    path = _shard_path(Path(out_dir), k)
    artifacts.write_parquet(path, meas)
    artifacts.write_manifest(path, params, code="survey_shard", n_rows=len(meas))
    return k


def _pool_context():
    """The platform's default start method (fork on Linux before Python 3.14, where the
    workers inherit the lookup tables built by the parent; elsewhere they rebuild them)."""
    import multiprocessing as mp

    return mp.get_context()


def _render_all(pop: pd.DataFrame, cfg: Any, out_dir: Path, progress: bool) -> pd.DataFrame:
    n_shards = int(np.ceil(len(pop) / cfg.shard_size))
    base = _params(cfg, RENDER_PARAMS)
    jobs, done = [], 0
    for k in range(n_shards):
        part = pop.iloc[k * cfg.shard_size:(k + 1) * cfg.shard_size]
        params = {**base, "shard": k, "population": _population_digest(part)}
        if _shard_complete(out_dir, k, params):
            done += 1
        else:
            jobs.append((part, cfg, k, str(out_dir), params))
    from tqdm import tqdm

    bar = tqdm(total=n_shards, initial=done, desc="mock survey shards", unit="shard", disable=not progress)
    workers = int(cfg.n_workers) or (os.cpu_count() or 1)
    workers = max(1, min(workers, len(jobs)))
    try:
        if workers == 1:
            for job in jobs:
                _run_shard(job)
                bar.update(1)
        else:
            profiles.tables()  # build once, before forking (shared by forked workers)
            measure._templates()
            with _pool_context().Pool(workers) as pool:
                for _ in pool.imap_unordered(_run_shard, jobs):
                    bar.update(1)
    finally:
        bar.close()
    return pd.concat([pd.read_parquet(_shard_path(out_dir, k)) for k in range(n_shards)], ignore_index=True)


def _catalog_columns(df: pd.DataFrame) -> list[str]:
    first = [c for c in catalog.REQUIRED if c in df.columns]
    opt = [c for c in catalog.OPTIONAL if c in df.columns and c not in first]
    truth = [c for c in TRUTH_COLUMNS + ["true_feature_visibility", "true_p_features"] if c in df.columns]
    return first + opt + ["sersic_chi2"] + truth


def assemble_catalog(pop: pd.DataFrame, votes: pd.DataFrame, meas: pd.DataFrame, cfg: Any) -> pd.DataFrame:
    """Join population, votes and measurements into the catalog schema (+ debiased votes)."""
    from ..data.labels import redshift_debias

    if not np.array_equal(meas["dr7objid"].to_numpy(), pop["dr7objid"].to_numpy()):
        raise RuntimeError("shard outputs do not line up with the population; delete the survey's shards/ folder")
    df = pd.concat([pop.reset_index(drop=True), votes.reset_index(drop=True),
                    meas.drop(columns=["dr7objid"]).reset_index(drop=True)], axis=1)
    df["sersic_re_kpc"] = df["sersic_re_arcsec"] * cosmo.kpc_per_arcsec(df["z"].to_numpy(float))
    deb = redshift_debias(catalog.add_derived(df), cfg.debias_z_bins, cfg.debias_mag_bins, cfg.debias_size_bins)
    for c in deb.columns:
        df[c] = deb[c].to_numpy()
    return df[_catalog_columns(df)]


def simulate_survey(cfg: Any, out_dir: str | os.PathLike, progress: bool = True) -> pd.DataFrame:
    """Simulate the mock GZ2 survey into ``out_dir`` and return its catalog.

    Writes ``out_dir/catalog.parquet`` (+ ``catalog.manifest.json``), ``out_dir/images/``,
    ``out_dir/hires/`` and ``out_dir/shards/``.  Reuses everything that is already there
    and up to date (see the module docstring); same ``cfg`` -> identical catalog and
    images.
    """
    out_dir = Path(out_dir)
    cat_path = out_dir / "catalog.parquet"
    params = catalog_params(cfg)
    if artifacts.is_fresh(cat_path, params, code="catalog"):
        df = pd.read_parquet(cat_path)
        cols = ["file_loc"] + (["hires_loc"] if cfg.hires_size else [])
        if all(os.path.exists(out_dir / p) for c in cols for p in df[c]):
            return catalog.validate_catalog(df, cat_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    pop = draw_population(cfg)
    votes = simulate_votes(pop, cfg)
    meas = _render_all(pop, cfg, out_dir, progress)
    df = assemble_catalog(pop, votes, meas, cfg)
    catalog.validate_catalog(df, cat_path)
    artifacts.write_parquet(cat_path, df)
    artifacts.write_manifest(cat_path, params, code="catalog", n_rows=len(df))
    return df


# --- helpers for the book -----------------------------------------------------------------

def render_galaxy_views(cfg: Any, ids: Sequence[int] | None = None, n: int = 8, seed: int = 0,
                        population: pd.DataFrame | None = None) -> dict:
    """Re-render a few objects of the survey ``cfg`` (survey and high-resolution views).

    ``ids``: dr7objids to show (default: ``n`` random objects).  Pass ``population``
    (from :func:`draw_population`) to avoid drawing it again.  The noise realisation differs
    from the saved JPEGs (read those with :mod:`galbias.images` to show exactly what the
    networks see).  Returns ``rows`` (the population rows), ``survey`` and ``hires``
    (uint8 RGB, (n, S, S, 3)), ``survey_r`` (r-band surface brightness) and ``model_r``
    (the same galaxy with no PSF and no noise, at the survey's pixel scale).
    """
    pop = population if population is not None else draw_population(cfg)
    rng = np.random.default_rng(seed)
    if ids is None:
        rows = pop.iloc[np.sort(rng.choice(len(pop), size=min(n, len(pop)), replace=False))]
    else:
        rows = pop.set_index("dr7objid").loc[list(ids)].reset_index()
    size = int(cfg.image_size)
    hsize = int(cfg.hires_size) or size
    with profiles.single_thread():
        views = render.render_batch(rows, size, float(cfg.image_fov_r90), rng, hsize)
    model = render._galaxy_model(render.as_params(rows), size, views.pixscale)
    return {"rows": rows.reset_index(drop=True), "survey": render.to_rgb(views.survey),
            "hires": render.to_rgb(views.hires), "survey_r": views.survey[:, 1], "model_r": model[:, 1]}


def render_resolution_sequence(row: pd.Series | pd.DataFrame, cfg: Any,
                               alphas: Sequence[float] = (4, 6, 9, 13, 20, 30), seed: int = 0) -> dict:
    """One galaxy seen with PSFs that put it at each of ``alphas``.

    Only the PSF width changes (the frame still spans ``image_fov_r90 x petroR90_r``), so
    the images show what resolution alone does to the features.  Returns ``alpha``,
    ``survey`` (uint8 RGB per alpha), ``visibility`` (the volunteers' feature visibility,
    NaN for non-disks) and ``p_features`` (expected share of features votes from careful
    volunteers).
    """
    base = row.to_frame().T if isinstance(row, pd.Series) else row.iloc[[0]]
    base = base.infer_objects()
    rows = pd.concat([base] * len(alphas), ignore_index=True)
    fwhm = rows["petroRad_r"].to_numpy(float) / np.asarray(alphas, float) * 2.3548
    rows["psfWidth_r"] = fwhm
    rng = np.random.default_rng(seed)
    views = render.render_batch(rows, int(cfg.image_size), float(cfg.image_fov_r90), rng, 0)
    probs = vote_probabilities(rows, np.random.default_rng(seed))
    return {"alpha": np.asarray(alphas, float), "survey": render.to_rgb(views.survey),
            "visibility": feature_visibility(rows)["visibility"].to_numpy(float),
            "p_features": probs["true_p_features"].to_numpy(float)}
