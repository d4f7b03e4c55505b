"""Shared test helpers: a small synthetic catalog in the project's schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from galbias.data.catalog import ANSWERS


def synthetic_catalog(n: int = 3000, seed: int = 0, theta: float = 10.0) -> pd.DataFrame:
    """Objects with plausible photometry and vote fractions drawn from the bias model.

    Not the mock survey: a quick, render-free table for unit tests of labels and schema code.
    """
    rng = np.random.default_rng(seed)
    true = rng.choice([0, 1, 2], size=n, p=[0.38, 0.59, 0.03])
    z = rng.uniform(0.02, 0.2, n)
    psf = rng.lognormal(np.log(1.3), 0.12, n)
    rad = 10 ** rng.normal(1.25, 0.27, n) * psf / 2.3548
    b = np.exp(-((rad / (psf / 2.3548)) ** 2) / (2 * theta**2))
    p_feat = np.where(true == 1, 0.85 * (1 - b), 0.08)
    p_star = np.where(true == 2, 0.85, 0.02)
    votes = 40
    k_star = rng.binomial(votes, p_star)
    k_feat = rng.binomial(votes - k_star, p_feat)
    k_smooth = votes - k_star - k_feat
    df = pd.DataFrame({
        "dr7objid": np.arange(n, dtype=np.int64) + 587_700_000_000_000_000,
        "ra": rng.uniform(0, 20, n), "dec": rng.uniform(0, 20, n), "z": z,
        "petroMag_r": rng.uniform(14, 17, n), "petroRad_r": rad, "petroR50_r": rad / 2.3,
        "petroR90_r": rad / 2.3 * 2.75, "psfWidth_r": psf, "total_classifications": np.full(n, votes),
        "file_loc": [f"images/{i}.jpg" for i in range(n)],
        "true_class": true,
    })
    for k, counts in zip((0, 1, 2), (k_smooth, k_feat, k_star)):
        df[f"{ANSWERS[k]}_count"] = counts
        df[f"{ANSWERS[k]}_fraction"] = counts / votes
        df[f"{ANSWERS[k]}_weighted_fraction"] = counts / votes
        df[f"{ANSWERS[k]}_debiased"] = counts / votes
    return df


@pytest.fixture
def catalog_df() -> pd.DataFrame:
    return synthetic_catalog()


@pytest.fixture
def runs_root(tmp_path, monkeypatch):
    """Point the run folders at a temporary directory."""
    monkeypatch.setenv("GALBIAS_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"


# --- the smoke run and the smoke book, shared by the slow tests (pipeline and book markers) ---

def run_galbias(*args: str, env: dict, timeout: int = 1800):
    """``python -m galbias ...`` as a subprocess (the real command line)."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "galbias", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """Every chapter of the smoke profile through the real runner, in a temporary run folder:
    ``(run folder, environment for subprocesses)``.

    ``GALBIAS_TEST_SMOKE_RUNS=<runs root>`` reuses a finished smoke run (``<root>/smoke``) for a
    quick local check of the book and browser tests: it is copied, never written to.
    """
    import os
    import shutil
    from pathlib import Path

    root = tmp_path_factory.mktemp("runs")
    env = {**os.environ, "GALBIAS_RUNS": str(root)}
    reuse = os.environ.get("GALBIAS_TEST_SMOKE_RUNS")
    if reuse:
        shutil.copytree(Path(reuse) / "smoke", root / "smoke", symlinks=True,
                        ignore=shutil.ignore_patterns("book_src*", ".lock"))
        return root / "smoke", env
    res = run_galbias("run", "--profile", "smoke", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return root / "smoke", env


@pytest.fixture(scope="session")
def smoke_book(smoke_run, tmp_path_factory):
    """The smoke book built strictly (warnings are errors) once per session:
    ``(html folder, the build's CompletedProcess)``."""
    _, env = smoke_run
    dest = tmp_path_factory.mktemp("book")
    res = run_galbias("book", "--profile", "smoke", "--no-run", "--strict", "--dest", str(dest), env=env)
    return dest / "_build" / "html", res
