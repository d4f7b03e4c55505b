"""The data steps of chapters 0 and 1, and the checked loaders every later chapter reads through.

- :func:`prepare` - chapter 0: simulate the mock survey (``data_source="mock"``) or download
  and assemble the real GZ2 catalog (``data_source="gz2"``); either way the result is
  ``survey/catalog.parquet`` in the same schema.
- :func:`build_labels` - chapter 1: GZ2B/GZ2D labels, balanced sample and split.
- :func:`load_catalog`, :func:`load_labels`, :func:`load_theta`, :func:`load_dcv14`,
  :func:`load_predictions`, :func:`model_file` - what later chapters read.  Each checks the
  artifact's manifest against the current profile, the inputs it was made from and the code
  that makes it (``code_sha256``), and stops with one message naming the artifact, what
  changed and the chapter to re-run.  A variant run (``--set``) reads its own artifacts, or
  the base run's where they fit its settings.
- :func:`image_cache` - the decode-once image cache (the base run's when it fits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..core import artifacts
from ..core.errors import StaleArtifactError
from ..data import catalog
from . import config
from .config import Profile

__all__ = ["LABEL_PARAMS", "build_labels", "catalog_params", "check", "image_cache", "load_catalog", "load_dcv14",
           "load_labels", "load_predictions", "load_theta", "model_file", "model_files", "prepare", "theta_params",
           "training_pool"]

#: profile settings that change the labels (chapter 1)
LABEL_PARAMS = ("seed", "sample_size", "split_fractions", "data_source")


def check(path: Path, params: dict[str, Any], inputs: dict[str, Path] | None, code: str, chapter: str,
          cfg: Profile) -> Path:
    """``path`` if its manifest matches; else :class:`StaleArtifactError` saying what changed."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run chapter {chapter} first" + _variant_hint(cfg))
    why = artifacts.staleness(path, params, inputs, code)
    if why:
        raise StaleArtifactError(f"{path} does not match this run ({'; '.join(why)}): re-run chapter {chapter}"
                                 + _variant_hint(cfg))
    return path


def _variant_hint(cfg: Profile) -> str:
    diff = cfg.differences()
    if not diff:
        return ""
    sets = " ".join(f"--set {k}={v!r}" if isinstance(v, str) else f"--set {k}={v}" for k, v in diff.items())
    return f" with the same settings ({sets})"


# --- chapter 0 ----------------------------------------------------------------------------------------

def catalog_params(cfg: Profile) -> dict[str, Any]:
    """The parameters a fresh catalog's manifest holds for ``cfg``."""
    if cfg.data_source == "mock":
        from ..mock.survey import catalog_params as mock_params

        return mock_params(cfg)
    from ..data.gz2.assemble import catalog_params as gz2_params

    return gz2_params(cfg)


def prepare(cfg: Profile, progress: bool = True) -> pd.DataFrame:
    """Make (or reuse, if fresh) the survey catalog and images for ``cfg``."""
    p = config.paths(cfg)
    if cfg.data_source == "mock":
        from ..mock import simulate_survey

        simulate_survey(cfg, p.survey, progress=progress)
    elif cfg.data_source == "gz2":
        from ..data import gz2

        gz2.prepare(cfg, out_dir=p.survey, progressbar=progress)
    else:
        raise config.ConfigError(f"unknown data_source {cfg.data_source!r}; use 'mock' or 'gz2'")
    return load_catalog(cfg)


def load_catalog(cfg: Profile) -> pd.DataFrame:
    """The validated catalog with ``alpha`` and the CV18 intrinsic variables added, checked
    against the profile (a catalog made with other settings or code stops here)."""
    p = config.paths(cfg)
    if not p.catalog.exists():
        raise FileNotFoundError(f"catalog {p.catalog} does not exist: run chapter 00_survey (or `galbias data`) first")
    check(p.catalog, catalog_params(cfg), None, "catalog", "00_survey", cfg)
    return catalog.load_catalog(p.catalog)


# --- chapter 1 ----------------------------------------------------------------------------------------

def _label_params(cfg: Profile) -> dict[str, Any]:
    d = cfg.to_dict()
    return {k: d[k] for k in LABEL_PARAMS}


def build_labels(cfg: Profile, check_images: bool = True) -> pd.DataFrame:
    """Chapter 1: labels from the catalog, written atomically with a manifest.

    With ``check_images`` every image of the labelled galaxies is decoded once, into the run's
    image cache (:func:`image_cache`): a missing or damaged file stops here, naming it, and the
    training chapter reuses the cache instead of decoding the images again.
    """
    from ..data.labels import make_labels

    p = config.paths(cfg)
    cat = load_catalog(cfg)
    labels = make_labels(cat, sample_size=cfg.sample_size, split_fractions=cfg.split_fractions, seed=cfg.seed)
    if check_images:
        image_cache(cfg, labels, progress=False)
    artifacts.write_parquet(p.labels, labels)
    artifacts.write_manifest(p.labels, _label_params(cfg), inputs={"catalog": p.catalog}, code="labels",
                             n_rows=len(labels))
    return labels


REQUIRED_LABEL_COLUMNS = ["id", "split", "alpha", "gz2b", "gz2d", "truth", "petroRad_kpc", "abs_mag_r", "z"]


def labels_path(cfg: Profile) -> Path:
    """The fresh ``labels.parquet`` for ``cfg`` (this run's, or the base run's for a variant)."""
    p = config.paths(cfg)
    return check(p.find("labels.parquet"), _label_params(cfg), {"catalog": p.catalog}, "labels", "01_labeling", cfg)


def load_labels(cfg: Profile) -> pd.DataFrame:
    """``labels.parquet``, checked for freshness and for the columns later chapters rely on."""
    path = labels_path(cfg)
    df = artifacts.read_parquet(path)
    missing = [c for c in REQUIRED_LABEL_COLUMNS if c not in df.columns]
    if missing:
        raise catalog.CatalogError(f"{path} is missing column(s) {missing}: re-run chapter 01_labeling")
    return df


# --- chapter 3 ----------------------------------------------------------------------------------------

def theta_params(cfg: Profile) -> dict[str, Any]:
    """The parameters of ``theta.json``'s manifest (the fit's bins, bootstraps and seed)."""
    return {"theta_bins": cfg.theta_bins, "n_bootstrap": cfg.n_bootstrap, "seed": cfg.seed}


def training_pool(cfg: Profile, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """The unbalanced parent of the training split (:func:`galbias.data.labels.unbalanced_training_pool`)."""
    from ..data.labels import unbalanced_training_pool

    return unbalanced_training_pool(load_catalog(cfg), load_labels(cfg) if labels is None else labels)


def load_theta(cfg: Profile) -> dict[str, Any]:
    """``theta.json`` (chapter 3), checked against the labels and catalog it was fitted on."""
    p = config.paths(cfg)
    path = check(p.find("theta.json"), theta_params(cfg), {"labels": labels_path(cfg), "catalog": p.catalog},
                 "theta", "03_theta_fit", cfg)
    return artifacts.read_json(path)


def load_dcv14(cfg: Profile) -> pd.DataFrame:
    """``dcv14_predictions.parquet`` (chapter 3), checked."""
    from ..results.theta import FEATURES

    p = config.paths(cfg)
    path = check(p.find("dcv14_predictions.parquet"), {"features": FEATURES, "seed": cfg.seed},
                 {"labels": labels_path(cfg)}, "dcv14", "03_theta_fit", cfg)
    return artifacts.read_parquet(path)


# --- chapter 4 ----------------------------------------------------------------------------------------

def image_cache(cfg: Profile, table: pd.DataFrame, progress: bool = True, force: bool = False):
    """The run's decode-once image cache for ``table`` (usually all of ``labels.parquet``).

    ``<run>/cache/images.npy``, images read from the survey folder and centre-cropped to
    ``cfg.image_crop``; reused while fresh (:func:`galbias.data.cache.build_cache`).  A variant
    run uses its base run's cache when that one holds the same images.
    """
    from ..data.cache import build_cache, open_if_fresh

    p = config.paths(cfg)
    if p.base is not None and not force:
        cache = open_if_fresh(table, p.survey, p.base / "cache" / "images.npy", crop=cfg.image_crop)
        if cache is not None:
            return cache
    return build_cache(table, p.survey, p.root / "cache" / "images.npy", crop=cfg.image_crop,
                       progress=progress, force=force)


def _cache_fingerprint(cfg: Profile) -> str:
    from ..data.cache import ImageCache

    p = config.paths(cfg)
    path = p.find("cache/images.npy")
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run chapter 04_ddb_training first" + _variant_hint(cfg))
    return ImageCache.open(path).fingerprint


def _expected(cfg: Profile, labels: pd.DataFrame) -> dict[str, str]:
    """SHA-256 of the fingerprint each chapter-4 network would have now."""
    from ..methods.train import expected_fingerprint, fingerprint_hash
    from ..results.networks import members

    theta = float(load_theta(cfg)["theta"])
    cache_fp = _cache_fingerprint(cfg)
    return {m.name: fingerprint_hash(expected_fingerprint(cfg, m.name, labels, m.network.label_col, m.network.loss,
                                                          theta, cache_fp, seed=m.seed(cfg)))
            for m in members(cfg.n_seeds)}


def load_predictions(cfg: Profile, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """``predictions.parquet`` (chapter 4), checked: every network's column must come from the
    model chapter 4 would train now (same settings, labels, theta, images, code, threads)."""
    p = config.paths(cfg)
    labels = load_labels(cfg) if labels is None else labels
    path = p.find("predictions.parquet")
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run chapter 04_ddb_training first" + _variant_hint(cfg))
    manifest = artifacts.read_manifest(path) or {}
    made = manifest.get("params", {}).get("models", {})
    expected = _expected(cfg, labels)
    stale = sorted(n for n, h in expected.items() if made.get(n) != h)
    if stale:
        raise StaleArtifactError(
            f"{path}: the predictions of {', '.join(stale)} come from networks trained with other settings, "
            "labels, theta, images, code or thread count than this run would use: re-run chapter 04_ddb_training"
            + _variant_hint(cfg))
    return artifacts.read_parquet(path)


def model_file(cfg: Profile, name: str, labels: pd.DataFrame | None = None) -> Path:
    """``models/<name>.pt`` of a fresh chapter-4 network (this run's or the base run's)."""
    import torch

    from ..methods.train import fingerprint_hash

    p = config.paths(cfg)
    path = p.find(f"models/{name}.pt")
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run chapter 04_ddb_training first" + _variant_hint(cfg))
    labels = load_labels(cfg) if labels is None else labels
    meta = torch.load(path, map_location="cpu", weights_only=False).get("meta", {})
    if fingerprint_hash(meta.get("fingerprint")) != _expected(cfg, labels)[name]:
        raise StaleArtifactError(f"{path} was trained with other settings, labels, theta, images, code or thread "
                                 "count than this run would use: re-run chapter 04_ddb_training" + _variant_hint(cfg))
    return path


def model_files(cfg: Profile, labels: pd.DataFrame, names: list[str] | None = None) -> dict[str, Path]:
    """``{name: models/<name>.pt}`` of the chapter-4 networks (seed 0 unless ``names`` lists
    others) that exist and are fresh (missing ones are left out; a stale one stops with
    :class:`StaleArtifactError`)."""
    from ..results.networks import NETWORKS

    out = {}
    for name in names or [n.name for n in NETWORKS]:
        try:
            out[name] = model_file(cfg, name, labels)
        except FileNotFoundError:
            continue
    return out
