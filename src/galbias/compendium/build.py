"""Assemble and build the Jupyter Book (1.x) from executed chapters.

The committed book sources (``book/``: config, table of contents, intro and reference
pages, bibliography) are copied with a profile's executed notebooks into
``data/runs/<profile>/book_src/`` and built there with execution switched off, so the
sources stay clean and several profiles can be built side by side.  The HTML lands in
``<dest>/_build/html`` (``book/_build/html`` by default).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from . import config

IGNORE = shutil.ignore_patterns("_build", "chapters", ".ipynb_checkpoints", "__pycache__")


def book_dir() -> Path:
    return config.repo_root() / "book"


def assemble(profile: str | config.Profile) -> Path:
    """Copy the book sources and the executed notebooks into the run folder (a variant's own
    folder for a profile with overrides)."""
    p = config.paths(profile)
    src = p.root / "book_src"
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(book_dir(), src, ignore=IGNORE)
    chapters = src / "chapters"
    chapters.mkdir()
    executed = sorted(p.notebooks.glob("[0-9][0-9]_*.ipynb"))
    executed = [nb for nb in executed if not nb.name.endswith((".src.ipynb", ".failed.ipynb"))]
    if not executed:
        raise FileNotFoundError(
            f"no executed chapters in {p.notebooks}: run `python -m galbias run --profile {profile}` first"
        )
    for nb in executed:
        shutil.copy2(nb, chapters / nb.name)
    missing = _toc_files(src) - {f"chapters/{nb.stem}" for nb in executed} - _pages(src)
    if missing:
        raise FileNotFoundError(
            f"the table of contents lists {sorted(missing)} but they were not executed for profile {profile!r}; "
            f"run them first (`python -m galbias run --profile {profile}`)"
        )
    return src


def _pages(src: Path) -> set[str]:
    return {str(f.relative_to(src).with_suffix("")) for f in src.rglob("*.md")}


def _toc_files(src: Path) -> set[str]:
    import yaml

    toc = yaml.safe_load((src / "_toc.yml").read_text())
    files: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("file", "root"):
                    files.add(str(v))
                else:
                    walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)

    walk(toc)
    return files


def build(profile: str | config.Profile, dest: str | Path | None = None, strict: bool = False) -> Path:
    """Build the HTML book for ``profile``; return the path of ``index.html``.

    ``strict=True`` turns Sphinx warnings into errors (``-W``, used by the tests).
    """
    src = assemble(profile)
    dest = Path(dest) if dest else book_dir()
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(src), "--path-output", str(dest), "--builder", "html"]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    print("[galbias] " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    index = dest / "_build" / "html" / "index.html"
    if not index.exists():
        raise FileNotFoundError(f"the book build finished but {index} is missing")
    return index
