"""The smoke profile end to end through the real runner and command line, then the book.

These are the slow tests (a few minutes): every chapter is executed with papermill exactly as
`make book` does, into a temporary run folder, and the Jupyter Book is built from the result
with warnings as errors.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from galbias.compendium import runner

pytestmark = pytest.mark.pipeline


def galbias(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "galbias", *args], env=env, capture_output=True, text=True,
                          timeout=1800)


# the session's smoke run (`smoke_run`) and its strict book build (`smoke_book`) are fixtures
# of tests/conftest.py, shared with tests/test_browser.py and tests/test_papermill_route.py


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
    assert set(labels["split"]) == {"train", "val", "test", "eval"}
    # the evaluation sample is held out of the balanced sample, whole
    assert set(labels.loc[labels["split"] == "eval", "id"]) <= set(cat.loc[cat["eval_sample"], "dr7objid"])
    assert not set(labels.loc[labels["split"] != "eval", "id"]) & set(cat.loc[cat["eval_sample"], "dr7objid"])
    # every later chapter's artifact exists
    for name in ["theta.json", "dcv14.json", "dcv14_predictions.parquet", "predictions.parquet",
                 "models/ce_gz2b.pt", "models/ce_gz2d.pt", "models/ddb.pt", "models/ddb_s1.pt", "table1.csv",
                 "sersic.csv", "changed.parquet", "skybias.csv"]:
        assert (run / name).exists(), name
    pred = pd.read_parquet(run / "predictions.parquet")
    assert {"p_disk_ce_gz2b", "p_disk_ce_gz2d", "p_disk_ddb", "p_disk_ddb_s1"} <= set(pred.columns)
    assert set(pred["split"]) == {"val", "test", "eval"}
    table1 = pd.read_csv(run / "table1.csv")
    # per sample: a, b, c x 2 seeds, d x 2, e, f x 2, truth
    for sample in ("test", "eval"):
        rows = table1.loc[table1["sample"] == sample, "row"].tolist()
        assert rows == ["a", "b", "c", "c", "d", "d", "e", "f", "f", "truth"], rows
    assert {"cv18_floor", "cv18_lowref", "cv14_floor", "recall_truth", "d_a", "d_truth", "seed"} <= set(table1.columns)
    assert list((run / "gradcam").glob("*.npy"))


def test_scientific_facts_of_the_smoke_run(smoke_run):
    """A few facts any sound run of the simulated survey shows; a change that breaks one is a bug."""
    import json

    import numpy as np

    run, _ = smoke_run
    theta = json.loads((run / "theta.json").read_text())
    # theta of the fitted bias model is in the range of the SDSS-like survey (paper: 11.25 on real GZ2),
    # and it is close to the bias the volunteers really had (measured from the truth)
    assert 3 < theta["theta"] < 25
    assert abs(theta["theta"] - theta["theta_volunteers"]) < 0.3 * theta["theta"]
    labels = pd.read_parquet(run / "labels.parquet")
    # balanced on GZ2B in every split of the labelled sample; the evaluation sample is not
    for split, part in labels.groupby("split", observed=True):
        if split != "eval":
            assert abs(part["gz2b"].mean() - 0.5) < 0.02
    assert labels.loc[labels["split"] == "eval", "gz2b"].mean() < 0.45
    # theta: fitted on the unbalanced training pool, the balanced fit reported beside it
    assert theta["sample"] == "unbalanced" and theta["theta"] == theta["theta_unbalanced"]
    assert np.isfinite(theta["theta_balanced"])
    pred = pd.read_parquet(run / "predictions.parquet")
    f = labels.merge(pred.drop(columns="split"), on="id")
    f = f[f["truth"].astype(float) <= 1]
    lo = f["alpha"] < f["alpha"].quantile(0.2)
    truth_lo = (f.loc[lo, "truth"].astype(int) == 1).mean()
    # among the least resolved galaxies the labels and the network trained on them miss disks ...
    assert (f.loc[lo, "gz2b"] == 1).mean() < truth_lo - 0.15
    assert (f.loc[lo, "p_disk_ce_gz2b"] > 0.5).mean() < truth_lo - 0.15
    # ... and DDB finds more of them than the cross-entropy network trained on the same labels
    assert (f.loc[lo, "p_disk_ddb"] > 0.5).mean() > (f.loc[lo, "p_disk_ce_gz2b"] > 0.5).mean() + 0.1
    table1 = pd.read_csv(run / "table1.csv")
    ev = table1[table1["sample"] == "eval"].groupby("row").mean(numeric_only=True)
    # the biased labels are more biased than the truth, on the paired bootstrap
    assert ev.loc["a", "d_truth"] > 2 * ev.loc["a", "d_truth_std"]
    # the intrinsic trend: the truth's CV14 is well above its permutation floor
    assert ev.loc["truth", "cv14"] > 2 * ev.loc["truth", "cv14_floor"]
    assert np.isfinite(table1["cv18_std"]).all()


def test_smoke_training_on_two_cpu_processes_agrees_with_one(smoke_run, tmp_path):
    """The smoke profile's DDB training with DDP on 2 CPU processes (gloo) against the 1-process run.

    The processes share each global batch; data order, augmentation and averaged gradients are
    those of the 1-process run, but on the CPU each process normalises its half of the batch
    with its own BatchNorm statistics (SyncBatchNorm works only on GPUs), so the weights drift
    apart a little (tests/test_train.py shows exact agreement for a network without
    BatchNorm).  Stated tolerance: mean |p_disk difference| < 0.08 and at least 90% of the
    validation and test galaxies with the same label.
    """
    import shutil

    import numpy as np

    run, env = smoke_run
    root = tmp_path / "runs"
    shutil.copytree(run, root / "smoke", ignore=shutil.ignore_patterns("models", "predictions*", "notebooks"))
    res = galbias("train", "--profile", "smoke", "--network", "ddb", "--devices", "2", "--strategy", "ddp",
                  "--accelerator", "cpu", env={**env, "GALBIAS_RUNS": str(root)})
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    one = pd.read_parquet(run / "predictions.parquet")
    two = pd.read_parquet(root / "smoke" / "predictions.parquet")
    assert (one["id"].to_numpy() == two["id"].to_numpy()).all()   # gathered once, in id order
    d = np.abs(one["p_disk_ddb"] - two["p_disk_ddb"])
    assert d.mean() < 0.08
    assert ((one["p_disk_ddb"] > 0.5) == (two["p_disk_ddb"] > 0.5)).mean() >= 0.9


def test_every_manifest_records_the_code(smoke_run):
    import json

    run, _ = smoke_run
    manifests = list(run.rglob("*.manifest.json"))
    assert len(manifests) >= 10
    for m in manifests:
        assert len(json.loads(m.read_text()).get("code_sha256", "")) == 64, m


def test_an_override_never_replaces_the_default_run(smoke_run):
    """``--set epochs=1 --only 05`` runs in its own folder; chapter 5 there finds that the
    default run's predictions come from 8-epoch networks and stops, naming what to re-run."""
    run, env = smoke_run
    before = {p: p.stat().st_mtime_ns for p in (run / "models").glob("*.pt")}
    res = galbias("run", "--profile", "smoke", "--only", "05_table1", "--set", "epochs=1", env=env)
    assert res.returncode == 1
    err = res.stderr.strip().splitlines()
    assert len(err) == 1 and "predictions.parquet" in err[0] and "re-run chapter 04_ddb_training" in err[0]
    assert "--set epochs=1" in err[0] and "Traceback" not in res.stderr
    assert {p: p.stat().st_mtime_ns for p in (run / "models").glob("*.pt")} == before
    assert (run / "variants" / "epochs=1").is_dir()
    listing = galbias("list", env=env)
    assert "variants/epochs=1" in listing.stdout


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
def test_book_builds_strict(smoke_book):
    html, res = smoke_book
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert (html / "index.html").exists()
    for ch in runner.chapters():
        assert (html / "chapters" / f"{ch}.html").exists(), ch
    # equations are typeset by a local MathJax, not a CDN
    assert (html / "_static" / "mathjax" / "tex-chtml.js").exists()
    page = (html / "intro.html").read_text()
    assert "mathjax/tex-chtml.js" in page and "cdn.jsdelivr" not in page
