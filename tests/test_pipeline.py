"""The smoke profile end to end through the real runner and command line, then the book.

These are the slow tests (a few minutes): every chapter is executed with papermill exactly as
`make book` does, into a temporary run folder, and the Jupyter Book is built from the result
with warnings as errors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from galbias import runner

pytestmark = pytest.mark.pipeline


def galbias(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "galbias", *args], env=env, capture_output=True, text=True,
                          timeout=1800)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    env = {**os.environ, "GALBIAS_RUNS": str(root)}
    res = galbias("run", "--profile", "smoke", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return root / "smoke", env


def test_every_chapter_executed(smoke_run):
    run, _ = smoke_run
    executed = sorted(p.stem for p in (run / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert executed == runner.chapters()
    assert not list((run / "notebooks").glob("*.failed.ipynb"))


def test_artifacts_written(smoke_run):
    run, _ = smoke_run
    cat = pd.read_parquet(run / "survey" / "catalog.parquet")
    labels = pd.read_parquet(run / "labels.parquet")
    assert (run / "labels.manifest.json").exists()
    assert {"id", "split", "alpha", "gz2b", "gz2d", "truth"} <= set(labels.columns)
    assert labels["id"].isin(cat["dr7objid"]).all()
    assert set(labels["split"]) == {"train", "val", "test"}
    # every later chapter's artifact exists
    for name in ["theta.json", "dcv14.json", "dcv14_predictions.parquet", "predictions.parquet",
                 "models/ce_gz2b.pt", "models/ce_gz2d.pt", "models/ddb.pt", "table1.csv", "sersic.csv",
                 "changed.parquet", "skybias.csv"]:
        assert (run / name).exists(), name
    pred = pd.read_parquet(run / "predictions.parquet")
    assert {"p_disk_ce_gz2b", "p_disk_ce_gz2d", "p_disk_ddb"} <= set(pred.columns)
    table1 = pd.read_csv(run / "table1.csv")
    assert list(table1["row"]) == ["a", "b", "c", "d", "e", "f", "truth"]
    assert list((run / "gradcam").glob("*.npy"))


def test_rerun_one_chapter_from_artifacts(smoke_run):
    run, env = smoke_run
    before = pd.read_parquet(run / "labels.parquet")
    res = galbias("run", "--profile", "smoke", "--only", "01_labeling", env=env)
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(before, pd.read_parquet(run / "labels.parquet"))


def test_failing_chapter_reports_notebook(smoke_run):
    _, env = smoke_run
    res = galbias("run", "--profile", "smoke", "--only", "01", "--set", "sample_size=10000000", env=env)
    # a valid setting the data cannot satisfy: the chapter fails, says why and where to look
    assert res.returncode == 1
    assert "chapter 01_labeling failed" in res.stderr and ".failed.ipynb" in res.stderr
    assert "largest balanced sample" in res.stderr


@pytest.mark.book
def test_book_builds_strict(smoke_run, tmp_path):
    run, env = smoke_run
    res = galbias("book", "--profile", "smoke", "--no-run", "--strict", "--dest", str(tmp_path), env=env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    html = tmp_path / "_build" / "html"
    assert (html / "index.html").exists()
    for ch in runner.chapters():
        assert (html / "chapters" / f"{ch}.html").exists(), ch
    # equations are typeset by a local MathJax, not a CDN
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()
    page = (html / "intro.html").read_text()
    assert "mathjax/tex-chtml.js" in page and "cdn.jsdelivr" not in page
