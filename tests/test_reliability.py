"""Results that notice code and input changes, and clean failures (issue: never show a stale result).

Each case a user can meet: an edited source file, a changed parameter, an override that must
not replace the default run, two runs on one folder, a full disk, a partial download, bad
``--set`` values, a dying kernel -- each gives a fresh recomputation or one clear message.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from galbias.compendium import cli, config, runner, steps
from galbias.compendium.params import coerce
from galbias.core import artifacts, provenance
from galbias.core.errors import ConfigError, DiskFullError, StaleArtifactError
from galbias.data.cache import build_cache
from galbias.data.catalog import CatalogError, validate_catalog


# --- code changes ---------------------------------------------------------------------------------

@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A temporary copy of the package source that provenance hashes instead of the real one."""
    copy = tmp_path / "galbias"
    shutil.copytree(provenance.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "PACKAGE", copy)
    provenance._hash.cache_clear()
    yield copy
    provenance._hash.cache_clear()


def test_editing_the_code_makes_an_artifact_stale(tmp_path, package_copy):
    art = tmp_path / "theta.json"
    artifacts.write_json(art, {"theta": 7.0})
    artifacts.write_manifest(art, {"theta_bins": 200}, code="model")
    assert artifacts.is_fresh(art, {"theta_bins": 200}, code="model")
    # the edit of the issue: a constant of the training engine
    engine = package_copy / "methods" / "engine.py"
    engine.write_text(engine.read_text().replace("WARMUP_FRACTION = 0.03", "WARMUP_FRACTION = 0.5"))
    provenance._hash.cache_clear()
    assert artifacts.staleness(art, {"theta_bins": 200}, code="model") == ["the code that makes it changed"]


def test_code_scopes_are_narrow_where_recomputing_is_expensive(package_copy):
    before = {k: provenance.code_sha256(k) for k in ("catalog", "model", "skybias")}
    report = package_copy / "results" / "skybias" / "report.py"
    report.write_text(report.read_text() + "\n# an edit of chapter 9\n")
    provenance._hash.cache_clear()
    after = {k: provenance.code_sha256(k) for k in before}
    assert after["catalog"] == before["catalog"] and after["model"] == before["model"]  # survey and models kept
    assert after["skybias"] != before["skybias"]


def test_progress_lines_and_bookkeeping_do_not_invalidate_results(package_copy):
    before = {k: provenance.code_sha256(k) for k in ("catalog", "labels", "model")}
    for name in ("progress.py", "provenance.py"):
        f = package_copy / "core" / name
        f.write_text(f.read_text() + "\n# an edit that changes no result\n")
    provenance._hash.cache_clear()
    assert {k: provenance.code_sha256(k) for k in before} == before
    # any other core module still counts
    seeds = package_copy / "core" / "seeds.py"
    seeds.write_text(seeds.read_text() + "\n# an edit\n")
    provenance._hash.cache_clear()
    assert provenance.code_sha256("catalog") != before["catalog"]


def test_every_manifest_records_the_code_and_staleness_says_what_changed(tmp_path):
    data = tmp_path / "in.txt"
    data.write_text("a")
    art = tmp_path / "out.csv"
    artifacts.write_table(art, pd.DataFrame({"x": [1]}), ["x"], {"epochs": 8, "lr": 0.002}, {"labels": data},
                          code="table1")
    m = artifacts.read_manifest(art)
    assert len(m["code_sha256"]) == 64 and m["code_scope"] == "table1"
    data.write_text("b")
    why = artifacts.staleness(art, {"epochs": 1, "lr": 0.002}, {"labels": data}, code="table1")
    assert why == ["epochs 8 -> 1", "input labels changed"]


# --- readers check what they read -------------------------------------------------------------

@pytest.fixture
def run_with_labels(runs_root, catalog_df):
    cfg = config.get_profile("smoke")
    p = config.paths(cfg)
    p.survey.mkdir(parents=True)
    artifacts.write_parquet(p.catalog, catalog_df)
    artifacts.write_manifest(p.catalog, steps.catalog_params(cfg), code="catalog")
    steps.build_labels(cfg, check_images=False)
    return cfg, p


def test_catalog_is_checked_against_the_profile(run_with_labels):
    cfg, p = run_with_labels
    assert len(steps.load_catalog(cfg)) == 3000
    # a catalog made with other settings (here: 1,200 objects) is not used for the profile's 2,400
    artifacts.write_manifest(p.catalog, steps.catalog_params(cfg.replace(n_galaxies=1200)), code="catalog")
    with pytest.raises(StaleArtifactError, match=r"catalog\.parquet does not match this run \(n_galaxies 1200 -> "
                                                 r"2400\): re-run chapter 00_survey"):
        steps.load_catalog(cfg)
    # a run with --set n_galaxies=1200 has its own folder and survey: it must make it first
    with pytest.raises(FileNotFoundError, match=r"variants/n_galaxies=1200/survey/catalog\.parquet does not exist"):
        steps.load_catalog(cfg.replace(n_galaxies=1200))


def test_theta_is_checked_against_the_labels_it_was_fitted_on(run_with_labels):
    cfg, p = run_with_labels
    artifacts.write_json(p.artifact("theta.json"), {"theta": 7.0})
    artifacts.write_manifest(p.artifact("theta.json"), steps.theta_params(cfg), {"labels": p.labels, "catalog": p.catalog},
                             code="theta")
    assert steps.load_theta(cfg)["theta"] == 7.0
    # chapter 1 made other labels since (here: one galaxy fewer): theta was fitted on the old ones
    labels = artifacts.read_parquet(p.labels).iloc[:-1]
    artifacts.write_parquet(p.labels, labels)
    artifacts.write_manifest(p.labels, {k: cfg.to_dict()[k] for k in steps.LABEL_PARAMS}, {"catalog": p.catalog},
                             code="labels")
    with pytest.raises(StaleArtifactError, match=r"theta\.json does not match this run \(input labels changed\): "
                                                 r"re-run chapter 03_theta_fit"):
        steps.load_theta(cfg)


def test_a_variant_run_reads_the_base_run_only_where_it_fits(run_with_labels):
    cfg, p = run_with_labels
    variant = cfg.replace(epochs=1)
    vp = config.paths(variant)
    assert vp.root == p.root / "variants" / "epochs=1" and vp.base == p.root and vp.survey == p.survey
    # the base run's labels fit a run that only trains differently ...
    pd.testing.assert_frame_equal(steps.load_labels(variant), steps.load_labels(cfg))
    # ... but not one with another split
    with pytest.raises(StaleArtifactError, match=r"split_fractions.*re-run chapter 01_labeling with the same "
                                                 r"settings \(--set split_fractions="):
        steps.load_labels(cfg.replace(split_fractions=(0.6, 0.2, 0.2)))
    assert config.list_variants("smoke")["epochs=1"] == {"epochs": 1}
    # devices, strategy and workers say how a run goes, not what it computes: the base folder
    assert config.paths(cfg.replace(devices=4, strategy="ddp", num_workers=3)).root == p.root


# --- concurrent runs --------------------------------------------------------------------------------

def test_a_second_run_on_the_same_folder_stops(tmp_path):
    with runner.run_lock(tmp_path):
        with pytest.raises(runner.RunLockedError, match=f"in use by galbias run, pid {os.getpid()}"):
            with runner.run_lock(tmp_path):
                pass
    with runner.run_lock(tmp_path):  # released when the first run ended
        pass


def test_a_killed_run_does_not_hold_the_folder(tmp_path):
    code = ("import sys, time; from pathlib import Path; from galbias.compendium.runner import run_lock\n"
            "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    with pytest.raises(runner.RunLockedError):
        with runner.run_lock(tmp_path):
            pass
    proc.kill()
    proc.wait()
    with runner.run_lock(tmp_path):
        pass


# --- full disks and temporary files ------------------------------------------------------------------

def _images(root: Path, n: int = 20) -> pd.DataFrame:
    from PIL import Image

    (root / "images").mkdir(parents=True)
    for i in range(n):
        Image.fromarray(np.full((8, 8, 3), i, np.uint8)).save(root / "images" / f"{i}.png")
    return pd.DataFrame({"id": np.arange(n), "file_loc": [f"images/{i}.png" for i in range(n)]})


def test_a_full_disk_stops_before_the_image_cache_with_the_folder_and_shortfall(tmp_path, monkeypatch):
    table = _images(tmp_path)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=1000))
    with pytest.raises(DiskFullError, match=rf"not enough disk space in {tmp_path} for the image cache images\.npy "
                                            r"\(needs 64\.0 MB, 1000 B free: 64\.0 MB short\)"):
        build_cache(table, tmp_path, tmp_path / "cache" / "images.npy", progress=False)
    assert not list((tmp_path / "cache").glob(".*"))


def test_the_disk_filling_up_while_writing_leaves_no_temporary_file(tmp_path, monkeypatch):
    table = _images(tmp_path)

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "posix_fallocate", full)
    with pytest.raises(DiskFullError, match="image cache images.npy"):
        build_cache(table, tmp_path, tmp_path / "cache" / "images.npy", progress=False)
    assert list((tmp_path / "cache").iterdir()) == []


def test_temporary_files_of_a_killed_run_are_removed(tmp_path):
    with artifacts.atomic_path(tmp_path / "labels.parquet") as tmp:
        assert artifacts.TMP_MARK in tmp.name
        leftover = tmp.with_name(tmp.name + ".copy")
        shutil.copy(tmp, leftover)   # what a kill -9 during the write would leave
    (tmp_path / "keep.txt").write_text("x")
    assert artifacts.remove_stale_temporaries(tmp_path) == [leftover]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "labels.parquet"]


# --- downloads -----------------------------------------------------------------------------------------

def test_a_file_already_there_without_a_pin_is_never_trusted(tmp_path, monkeypatch):
    from galbias.data import gz2

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / gz2.GZ2_FILE).write_bytes(b"truncated")   # e.g. a download that was cut short
    good = b"dr7objid,ra\n1,2\n"

    class Fake:
        def __call__(self, url, output_file, pooch_obj, check_only=False):
            Path(output_file).write_bytes(good)

    monkeypatch.setattr(gz2.download, "_downloader", lambda **kw: Fake())
    with pytest.warns(gz2.UnverifiedDownloadWarning) as record:
        path = gz2.fetch_file(gz2.GZ2_FILE, raw, retries=0)
    assert path.read_bytes() == good                        # downloaded afresh ...
    assert (raw / f"{gz2.GZ2_FILE}.sha256").read_text().split()[0] == artifacts.file_hash(path)  # ... and pinned
    aside = list(raw.glob(f"{gz2.GZ2_FILE}.bad-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == b"truncated"
    assert any("set aside" in str(w.message) for w in record)


def test_an_unreadable_download_is_set_aside_with_what_to_delete(tmp_path):
    from galbias.data import gz2

    bad = tmp_path / gz2.GZ2_FILE
    bad.write_bytes(b"\x1f\x8b not really gzip")
    (tmp_path / f"{gz2.GZ2_FILE}.sha256").write_text("0" * 64)
    with pytest.raises(CatalogError, match=r"cut short; moved aside as .*\.bad-.*\.sha256\.bad-.*run again"):
        gz2.read_gz2_table(bad)
    assert not bad.exists() and not (tmp_path / f"{gz2.GZ2_FILE}.sha256").exists()


# --- parameters ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, value, words", [
    ("n_galaxies", "abc", "'n_galaxies': 'abc' is not allowed; it must be an integer >= 100"),
    ("epochs", -1, "'epochs': -1 is not allowed; it must be an integer >= 1"),
    ("lr", "abc", "'lr': 'abc' is not allowed; it must be a number > 0"),
    ("split_fractions", (0.7, 0.2, 0.2), "three positive numbers that sum to 1"),
    ("split_fractions", "0.7,0.3", "3 numbers"),
    ("model", "vgg", "one of 'compact', 'resnet50'"),
    ("compile_model", "maybe", "True or False"),
])
def test_bad_values_name_the_parameter_and_what_is_allowed(name, value, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        coerce(name, value)


@pytest.mark.parametrize("name, value, expected", [
    ("split_fractions", "(0.7,0.15,0.15)", (0.7, 0.15, 0.15)), ("split_fractions", [0.7, 0.15, 0.15], (0.7, 0.15, 0.15)),
    ("split_fractions", "0.7,0.15,0.15", (0.7, 0.15, 0.15)), ("epochs", "3", 3), ("epochs", 3.0, 3),
    ("sample_size", "None", None), ("compile_model", "true", True), ("lr", "1e-3", 1e-3),
])
def test_values_from_the_command_line_are_parsed_with_the_field_type(name, value, expected):
    assert coerce(name, value) == expected


def test_the_cli_stops_a_bad_value_in_one_line_within_seconds(runs_root):
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "galbias", "run", "--profile", "smoke", "--only", "05_table1",
                          "--set", "epochs=abc"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "GALBIAS_RUNS": str(runs_root)})
    assert res.returncode == 2 and time.perf_counter() - t0 < 60
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "epochs" in lines[0] and "Traceback" not in res.stderr


def test_chapter_parameters_are_checked_against_their_defaults():
    with pytest.raises(ConfigError, match="parameter 'n_null' of chapter 05_table1: 'many' is not allowed"):
        runner.run("smoke", only=["05"], sets={"n_null": "many"})


# --- one clear message per failure ----------------------------------------------------------------------

@pytest.mark.parametrize("exc, words", [
    (PermissionError(13, "Permission denied", "/data/runs/smoke"), "permission denied: /data/runs/smoke"),
    (OSError(errno.ENOSPC, "No space left on device", "/x/cache.npy"), "the disk is full while writing /x/cache.npy"),
])
def test_os_errors_become_one_line(monkeypatch, capsys, exc, words):
    def boom(args):
        raise exc

    monkeypatch.setattr(cli, "cmd_list", boom)
    assert cli.main(["list"]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"galbias: error: {words}" + err.split(words, 1)[1].rstrip()]


def test_download_errors_become_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    from galbias.data.gz2 import DownloadError

    def boom(args):
        raise DownloadError("could not download gz2_hart16.csv.gz from https://x into /raw: timed out")

    monkeypatch.setattr(cli, "cmd_list", boom)
    assert cli.main(["list"]) == 1
    assert capsys.readouterr().err.strip().count("\n") == 0
    with pytest.raises(DownloadError):
        cli.main(["list", "--debug"])


def test_a_dying_kernel_is_reported_with_the_chapter(tmp_path, monkeypatch, runs_root):
    nb = tmp_path / "notebooks"
    nb.mkdir()
    (nb / "00_die.py").write_text('# %% tags=["parameters"]\nprofile = "smoke"\noverrides = {}\n\n'
                                  "# %%\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    monkeypatch.setattr(runner, "notebooks_dir", lambda: nb)
    with pytest.raises(runner.ChapterError, match=r"chapter 00_die failed \(the kernel died"):
        runner.run("smoke")


# --- validation covers every column a chapter uses -----------------------------------------------------

def test_nan_magnitudes_are_caught_with_file_column_and_count(catalog_df):
    df = catalog_df.copy()
    df.loc[df.index[:3], "petroMag_r"] = np.nan
    with pytest.raises(CatalogError, match=r"in cat\.parquet: column 'petroMag_r' has 3 of 3000 row\(s\)"):
        validate_catalog(df, "cat.parquet")
    df = catalog_df.copy()
    df.loc[df.index[0], "t01_smooth_or_features_a01_smooth_count"] = -2
    with pytest.raises(CatalogError, match="_count' has 1 of 3000 .* negative"):
        validate_catalog(df)
