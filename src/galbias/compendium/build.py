"""Assemble and build the Jupyter Book (1.x) from executed chapters.

The committed book sources (``book/``: config, table of contents, intro and reference
pages, bibliography) are copied with a profile's executed notebooks into
``data/runs/<profile>/book_src/`` and built there with execution switched off, so the
sources stay clean and several profiles can be built side by side.  The HTML lands in
``<dest>/_build/html`` (``book/_build/html`` by default).

Two things happen to the copies on the way, never to the executed notebooks themselves:

- each chapter's parameters show once (:func:`tidy_parameters`): papermill's injected cell
  is rewritten as the chapter's ``parameters`` cell with this run's values in place (comments
  kept), and the original ``parameters`` cell is tagged ``remove-cell``;
- the *student edition* (``student=True``) sets sphinx-exercise's ``hide_solutions``, so
  the exercises appear without their solutions.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import config

IGNORE = shutil.ignore_patterns("_build", "chapters", ".ipynb_checkpoints", "__pycache__")
# pages written from the run's artifacts when the book is assembled (MyST files that the
# committed pages include): file in the book folder -> "module:function", called as
# function(path, run folder, profile name)
GENERATED = {"_scorecard.md": "galbias.results.scorecard:write", "_lessons.md": "galbias.compendium.timings:write_lessons"}
INJECTED_HEADER = "# Parameters of this run (papermill's values in place of the defaults)"


def book_dir() -> Path:
    return config.repo_root() / "book"


def assemble(profile: str | config.Profile, student: bool = False) -> Path:
    """Copy the book sources and the executed notebooks into the run folder (a variant's own
    folder for a profile with overrides); ``student=True`` assembles the student edition
    (``book_src_student``, solutions hidden)."""
    import nbformat

    p = config.paths(profile)
    src = p.root / ("book_src_student" if student else "book_src")
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
        book_nb = tidy_parameters(nbformat.read(nb, as_version=4))
        nbformat.write(book_nb, chapters / nb.name)
        shutil.copystat(nb, chapters / nb.name)
    if student:
        _set_sphinx_config(src / "_config.yml", hide_solutions=True)
    for name, target in GENERATED.items():
        _generate(src / name, target, p.root, profile)
    missing = _toc_files(src) - {f"chapters/{nb.stem}" for nb in executed} - _pages(src)
    if missing:
        raise FileNotFoundError(
            f"the table of contents lists {sorted(missing)} but they were not executed for profile {profile!r}; "
            f"run them first (`python -m galbias run --profile {profile}`)"
        )
    return src


def _generate(path: Path, target: str, run: Path, profile: str | config.Profile) -> Path:
    import importlib

    module, _, func = target.partition(":")
    name = profile if isinstance(profile, str) else profile.name
    return getattr(importlib.import_module(module), func)(path, run, name)


def tidy_parameters(nb):
    """Show a chapter's parameters once: when papermill injected a cell, rewrite that cell as
    the ``parameters`` cell's source with the injected values in place and tag the original
    ``parameters`` cell ``remove-cell``.  Returns ``nb`` (changed in place).

    The rewritten cell assigns exactly the values the run used (the defaults papermill left
    alone, the injected ones replaced), with the parameters cell's comments, so a reader sees
    every parameter, its meaning and its value in one cell."""
    cells = nb.cells
    injected = [c for c in cells if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    original = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not injected or not original:
        return nb
    used = dict(nb.metadata.get("papermill", {}).get("parameters") or {})
    if not used:
        used = _assigned(injected[0].source)
    injected[0].source = INJECTED_HEADER + "\n" + substitute_values(original[0].source, used)
    tags = original[0].metadata.setdefault("tags", [])
    if "remove-cell" not in tags:
        tags.append("remove-cell")
    return nb


def substitute_values(source: str, values: dict[str, Any]) -> str:
    """``source`` (a parameters cell: ``name = literal  # comment`` lines) with the value of
    every name in ``values`` replaced by papermill's rendering of it; names the cell does not
    assign are appended."""
    import ast

    from papermill.translators import PythonTranslator

    lines = source.splitlines()
    tree = ast.parse(source)
    done = set()
    spans = []
    for node in tree.body:
        if (isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
                and len(getattr(node, "targets", [None])) == 1):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and target.id in values:
                spans.append((node.value, target.id))
                done.add(target.id)
    for value, name in sorted(spans, key=lambda t: (t[0].lineno, t[0].col_offset), reverse=True):
        first, last = value.lineno - 1, value.end_lineno - 1
        text = PythonTranslator.translate(values[name])
        head = _byte_slice(lines[first], 0, value.col_offset)
        tail = _byte_slice(lines[last], value.end_col_offset, None)
        lines[first:last + 1] = [head + text + tail]
    for name, v in values.items():
        if name not in done:
            lines.append(f"{name} = {PythonTranslator.translate(v)}")
    return "\n".join(lines)


def _byte_slice(line: str, start: int, end: int | None) -> str:
    """``ast`` column offsets count UTF-8 bytes."""
    return line.encode()[start:end].decode()


def _assigned(source: str) -> dict[str, Any]:
    import ast

    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


def _set_sphinx_config(path: Path, **values: Any) -> None:
    import yaml

    cfg = yaml.safe_load(path.read_text())
    cfg.setdefault("sphinx", {}).setdefault("config", {}).update(values)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))


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


def build(profile: str | config.Profile, dest: str | Path | None = None, strict: bool = False,
          student: bool = False) -> Path:
    """Build the HTML book for ``profile``; return the path of ``index.html``.

    ``strict=True`` turns Sphinx warnings into errors (``-W``, used by the tests).
    ``student=True`` builds the edition without solutions, by default into
    ``book/_build/student/`` (its HTML in ``book/_build/student/_build/html``).
    """
    src = assemble(profile, student=student)
    dest = Path(dest) if dest else (book_dir() / "_build" / "student" if student else book_dir())
    cmd = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(src), "--path-output", str(dest), "--builder", "html"]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    print("[galbias] " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    index = dest / "_build" / "html" / "index.html"
    if not index.exists():
        raise FileNotFoundError(f"the book build finished but {index} is missing")
    return index
