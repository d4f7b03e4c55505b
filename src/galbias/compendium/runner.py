"""Run the book's chapters with papermill.

Each chapter is a jupytext ``py:percent`` source in ``notebooks/``.  The runner never
executes a source in place: it converts the source into a fresh notebook, executes that
copy with papermill (injecting ``profile`` and any overrides), and moves the executed
notebook atomically to ``data/runs/<profile>/notebooks/``.  Chapters read only artifacts of
earlier chapters, so ``only=["01_labeling"]`` re-runs one chapter from what is on disk.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from . import config
from ..core.artifacts import atomic_path
from ..core.errors import ConfigError

KERNEL = "python3"


def notebooks_dir() -> Path:
    return config.repo_root() / "notebooks"


def chapters() -> list[str]:
    """Chapter names in run order (``00_survey``, ``01_labeling``, ...)."""
    return sorted(p.stem for p in notebooks_dir().glob("[0-9][0-9]_*.py"))


def resolve_chapters(only: list[str] | None = None, start: str | None = None) -> list[str]:
    """Chapters to run; ``only`` and ``start`` accept full names or the two-digit number."""
    allc = chapters()

    def find(name: str) -> str:
        for c in allc:
            num, _, title = c.partition("_")
            if name in (c, title) or (name.isdigit() and int(name) == int(num)):
                return c
        raise ConfigError(f"unknown chapter {name!r}; chapters are: {', '.join(allc)}")

    if only:
        return [find(n) for n in only]
    if start:
        first = find(start)
        return allc[allc.index(first):]
    return allc


def parse_value(text: str) -> Any:
    """``--set key=value`` values: Python literals where possible, else strings."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def split_overrides(chapter_params: set[str], sets: dict[str, Any]) -> tuple[dict, dict]:
    """Split ``--set`` values into profile overrides and chapter parameters; reject others."""
    profile_fields = {f.name for f in dataclasses.fields(config.Profile)} - {"name"}
    overrides, params = {}, {}
    for k, v in sets.items():
        if k in profile_fields:
            overrides[k] = v
        elif k in chapter_params:
            params[k] = v
        else:
            raise ConfigError(
                f"unknown parameter {k!r}; profile parameters: {', '.join(sorted(profile_fields))}; "
                f"chapter parameters: {', '.join(sorted(chapter_params)) or '(none)'}"
            )
    return overrides, params


def to_notebook(source: Path):
    """Read a py:percent source as a notebook with the project's kernel."""
    import jupytext

    nb = jupytext.read(source)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    nb.metadata.pop("jupytext", None)
    return nb


def declared_parameters(source: Path) -> set[str]:
    import papermill

    nb = to_notebook(source)
    with tempfile.TemporaryDirectory(prefix="galbias-inspect-") as tmpdir:
        import nbformat

        tmp = Path(tmpdir) / f"{source.stem}.ipynb"
        nbformat.write(nb, tmp)
        return set(papermill.inspect_notebook(str(tmp)))


def run_chapter(chapter: str, profile: str, overrides: dict[str, Any] | None = None,
                params: dict[str, Any] | None = None, log_output: bool = False) -> Path:
    """Execute one chapter; return the path of the executed notebook."""
    import nbformat
    import papermill

    source = notebooks_dir() / f"{chapter}.py"
    if not source.exists():
        raise ConfigError(f"chapter source {source} does not exist")
    out_dir = config.paths(profile).notebooks
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{chapter}.ipynb"
    parameters = {"profile": profile, **(params or {})}
    if overrides:
        parameters["overrides"] = overrides
    with tempfile.TemporaryDirectory(prefix=f"galbias-{chapter}-") as tmpdir, atomic_path(final) as dst:
        src = Path(tmpdir) / f"{chapter}.ipynb"  # the converted copy papermill executes
        nbformat.write(to_notebook(source), src)
        try:
            papermill.execute_notebook(
                str(src), str(dst), parameters=parameters, kernel_name=KERNEL,
                cwd=str(notebooks_dir()), progress_bar=False, log_output=log_output,
            )
        except papermill.PapermillExecutionError as exc:
            failed = out_dir / f"{chapter}.failed.ipynb"
            os.replace(dst, failed)
            raise ChapterError(chapter, failed, exc) from None
    return final


class ChapterError(RuntimeError):
    def __init__(self, chapter: str, notebook: Path, exc: Exception):
        self.chapter, self.notebook = chapter, notebook
        detail = f"{getattr(exc, 'ename', '')}: {getattr(exc, 'evalue', exc)}"
        super().__init__(f"chapter {chapter} failed ({detail}); the executed notebook up to the error is {notebook}")


def run(profile: str, only: list[str] | None = None, start: str | None = None,
        sets: dict[str, Any] | None = None, log_output: bool = False) -> list[Path]:
    """Run chapters in order for ``profile``; return the executed notebooks."""
    config.get_profile(profile)  # unknown profile -> ConfigError
    todo = resolve_chapters(only, start)
    sets = dict(sets or {})
    chapter_params = set().union(*(declared_parameters(notebooks_dir() / f"{c}.py") for c in todo)) - {"profile", "overrides"}
    overrides, params = split_overrides(chapter_params, sets)
    config.get_profile(profile, **overrides)  # validate values early
    done = []
    for chapter in todo:
        t0 = time.perf_counter()
        print(f"[galbias] {profile}: running {chapter} ...", flush=True)
        mine = {k: v for k, v in params.items() if k in declared_parameters(notebooks_dir() / f"{chapter}.py")}
        done.append(run_chapter(chapter, profile, overrides, mine, log_output))
        print(f"[galbias] {profile}: {chapter} done in {time.perf_counter() - t0:.1f} s", flush=True)
    return done
