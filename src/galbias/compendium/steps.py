"""The data steps of chapters 0 and 1, shared by the notebooks and the command line.

- :func:`prepare` - chapter 0: simulate the mock survey (``data_source="mock"``) or
  download and assemble the real GZ2 catalog (``data_source="gz2"``); either way the
  result is ``survey/catalog.parquet`` in the same schema.
- :func:`build_labels` - chapter 1: GZ2B/GZ2D labels, balanced sample and split, written
  to ``labels.parquet`` with a manifest.
- :func:`load_catalog`, :func:`load_labels` - what later chapters read.
"""

from __future__ import annotations

import pandas as pd

from ..core import artifacts
from ..data import catalog
from . import config
from .config import Profile


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
    """The validated catalog with ``alpha`` and the CV18 intrinsic variables added."""
    return catalog.load_catalog(config.paths(cfg).catalog)


LABEL_PARAMS = ("seed", "sample_size", "split_fractions", "data_source")


def build_labels(cfg: Profile, check_images: bool = True) -> pd.DataFrame:
    """Chapter 1: labels from the catalog, written atomically with a manifest."""
    from ..data.labels import make_labels

    p = config.paths(cfg)
    cat = load_catalog(cfg)
    if check_images:
        from ..data.images import check_images as _check

        _check(cat, p.survey, column="file_loc")
    labels = make_labels(cat, sample_size=cfg.sample_size, split_fractions=cfg.split_fractions, seed=cfg.seed)
    artifacts.write_parquet(p.labels, labels)
    params = {k: cfg.to_dict()[k] for k in LABEL_PARAMS}
    artifacts.write_manifest(p.labels, params, inputs={"catalog": p.catalog}, n_rows=len(labels))
    return labels


REQUIRED_LABEL_COLUMNS = ["id", "split", "alpha", "gz2b", "gz2d", "truth", "petroRad_kpc", "abs_mag_r", "z"]


def load_labels(cfg: Profile) -> pd.DataFrame:
    """``labels.parquet`` of a run, checked for the columns later chapters rely on."""
    p = config.paths(cfg)
    df = artifacts.read_parquet(p.labels)
    missing = [c for c in REQUIRED_LABEL_COLUMNS if c not in df.columns]
    if missing:
        raise catalog.CatalogError(f"{p.labels} is missing column(s) {missing}: re-run chapter 01_labeling")
    if not artifacts.is_fresh(p.labels, {k: cfg.to_dict()[k] for k in LABEL_PARAMS}, {"catalog": p.catalog}):
        raise artifacts.StaleArtifactError(
            f"{p.labels} was made with other parameters or from another catalog than {p.catalog}: "
            "re-run chapter 01_labeling"
        )
    return df


def image_cache(cfg: Profile, table: pd.DataFrame, progress: bool = True, force: bool = False):
    """The run's decode-once image cache for ``table`` (usually all of ``labels.parquet``).

    Lives at ``<run>/cache/images.npy``; images are read from ``<run>/survey/<file_loc>``
    and centre-cropped to ``cfg.image_crop`` when set.  Reused while fresh
    (:func:`galbias.data.cache.build_cache`).
    """
    from ..data.cache import build_cache

    p = config.paths(cfg)
    return build_cache(table, p.survey, p.root / "cache" / "images.npy", crop=cfg.image_crop,
                       progress=progress, force=force)
