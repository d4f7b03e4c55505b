"""The data steps and loaders the notebooks call (galbias.compendium.steps)."""

from __future__ import annotations

import pytest

from galbias.compendium import config, steps
from galbias.core import artifacts
from galbias.core.errors import StaleArtifactError


@pytest.fixture
def labelled(runs_root, catalog_df, monkeypatch):
    """A run folder with a catalog (the synthetic one) and labels built from it."""
    cfg = config.get_profile("smoke")
    p = config.paths(cfg)
    p.survey.mkdir(parents=True)
    artifacts.write_parquet(p.catalog, catalog_df)
    artifacts.write_manifest(p.catalog, steps.catalog_params(cfg), code="catalog")
    steps.build_labels(cfg, check_images=False)
    return cfg, p


def test_load_labels_reads_fresh_labels(labelled):
    cfg, _ = labelled
    labels = steps.load_labels(cfg)
    assert set(labels["split"]) == {"train", "val", "test"}


def test_load_labels_detects_other_parameters(labelled):
    cfg, _ = labelled
    with pytest.raises(StaleArtifactError, match="re-run chapter 01_labeling"):
        steps.load_labels(cfg.replace(split_fractions=(0.7, 0.15, 0.15)))


def test_load_labels_detects_a_changed_catalog(labelled, catalog_df):
    cfg, p = labelled
    artifacts.write_parquet(p.catalog, catalog_df.iloc[:-1])
    with pytest.raises(StaleArtifactError, match=r"labels\.parquet does not match this run \(input catalog changed\)"):
        steps.load_labels(cfg)


def test_load_labels_names_missing_columns(labelled):
    cfg, p = labelled
    labels = artifacts.read_parquet(p.labels).drop(columns=["alpha"])
    artifacts.write_parquet(p.labels, labels)
    with pytest.raises(Exception, match=r"missing column\(s\) \['alpha'\]"):
        steps.load_labels(cfg)


def test_build_labels_decodes_the_images_once_and_names_a_missing_one(labelled):
    from galbias.data.images import ImageError

    cfg, p = labelled
    # the synthetic catalog points at images that do not exist: chapter 1 stops, naming them
    with pytest.raises(ImageError, match="missing"):
        steps.build_labels(cfg)
