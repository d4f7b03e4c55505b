"""The route a reader tries first, without the project's runner: convert a chapter with
jupytext, execute it with papermill (the real command lines, as subprocesses).

The sources' jupytext header names the kernel (``kernelspec: python3``), so papermill needs
no ``-k``; the chapter reads the artifacts of the session's smoke run (``GALBIAS_RUNS``) and
runs from ``notebooks/`` as the runner runs it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from galbias.compendium import runner

pytestmark = pytest.mark.pipeline

BIN = Path(sys.executable).parent


def test_jupytext_then_papermill_runs_chapter_5(smoke_run, tmp_path):
    run, env = smoke_run
    root = tmp_path / "runs"  # a copy: the chapter rewrites its own artifacts
    shutil.copytree(run, root / "smoke", ignore=shutil.ignore_patterns("book_src*", ".lock", "notebooks"))
    env = {**env, "GALBIAS_RUNS": str(root)}
    nb, out = tmp_path / "05.ipynb", tmp_path / "out.ipynb"
    res = subprocess.run([str(BIN / "jupytext"), "--to", "ipynb", "notebooks/05_table1.py", "-o", str(nb)],
                         cwd=runner.notebooks_dir().parent, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads(nb.read_text())["metadata"]["kernelspec"]["name"] == "python3"
    res = subprocess.run([str(BIN / "papermill"), str(nb), str(out), "-p", "profile", "smoke"],
                         cwd=runner.notebooks_dir(), env=env, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    executed = json.loads(out.read_text())
    assert executed["metadata"]["papermill"]["parameters"] == {"profile": "smoke"}
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in executed["cells"])
    assert not any(o.get("output_type") == "error" for c in executed["cells"] for o in c.get("outputs", []))
    assert (root / "smoke" / "table1.csv").exists()
