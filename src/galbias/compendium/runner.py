"""Run the book's chapters with papermill.

Each chapter is a jupytext ``py:percent`` source in ``notebooks/``.  The runner never
executes a source in place: it converts the source into a fresh notebook, executes that
copy with papermill (injecting ``profile`` and any overrides), and moves the executed
notebook atomically to ``data/runs/<profile>/notebooks/``.  Chapters read only artifacts of
earlier chapters, so ``only=["01_labeling"]`` re-runs one chapter from what is on disk.

While a chapter runs the terminal shows one line when it starts (with the time it took on
the project machine, :mod:`galbias.compendium.timings`), the chapter's *progress* lines
(:mod:`galbias.core.progress`: one per epoch or per training, streamed live) and one line
when it ends; each finished chapter's wall time goes to ``<run folder>/timings.json``.  The
kernel talks to papermill over local IPC sockets (files in a private temporary folder)
rather than TCP, so ipykernel has no reason to warn about unencrypted TCP traffic, and its own
log is limited to critical messages (:data:`KERNEL_ARGS`).
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..core import artifacts, progress
from ..core.artifacts import atomic_path
from ..core.errors import ConfigError, GalbiasError
from . import config, timings
from .params import check_chapter_value, parse_text

KERNEL = "python3"
# The kernel process's own log (not the chapter's output, which goes to the notebook) says
# only what is critical: at shutdown jupyter_client interrupts the kernel before asking it
# to stop, and ipykernel logs that interrupt as "ERROR | KeyboardInterrupt caught in kernel",
# which tells a reader nothing.  A kernel that fails is reported by the runner anyway.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


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
    return parse_text(text)


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


def declared_parameters(source: Path) -> dict[str, Any]:
    """The parameters of a chapter's ``parameters`` cell and their defaults."""
    import papermill

    nb = to_notebook(source)
    with tempfile.TemporaryDirectory(prefix="galbias-inspect-") as tmpdir:
        import nbformat

        tmp = Path(tmpdir) / f"{source.stem}.ipynb"
        nbformat.write(nb, tmp)
        found = papermill.inspect_notebook(str(tmp))
    out = {}
    for k, v in found.items():
        try:
            out[k] = ast.literal_eval(v.get("default", "None"))
        except (ValueError, SyntaxError):
            out[k] = None
    return out


class ProgressStream:
    """A text sink for papermill's ``stdout_file``: shows the chapter's progress lines
    (:func:`galbias.core.progress.is_progress`) on ``out`` as they arrive, prefixed with the
    chapter and the time since it started, and drops every other line (those stay in the
    notebook).  Partial lines are held until their newline arrives."""

    def __init__(self, chapter: str, out=None, t0: float | None = None):
        self.chapter, self.out = chapter, out
        self.t0 = time.perf_counter() if t0 is None else t0
        self.buffer = ""
        self.shown: list[str] = []

    def write(self, text: str) -> int:
        self.buffer += text
        *lines, self.buffer = self.buffer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def flush(self) -> None:
        (self.out or sys.stdout).flush()

    def close(self) -> None:
        if self.buffer:
            self._line(self.buffer)
            self.buffer = ""

    def _line(self, line: str) -> None:
        line = line.rstrip()
        if not progress.is_progress(line):
            return
        self.shown.append(line)
        elapsed = _clock(time.perf_counter() - self.t0)
        print(f"[galbias]   {self.chapter} {elapsed} | {progress.strip(line)}",
              file=self.out or sys.stdout, flush=True)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:2d}:{s:02d}"


def kernel_config(folder: str | Path):
    """Configuration of the kernel manager: IPC transport with the sockets in ``folder``
    (a private temporary folder), TCP on localhost where the socket paths would be too long
    for the operating system (about 100 characters)."""
    from traitlets.config import Config

    prefix = str(Path(folder) / "kernel")
    if len(prefix) + len("-99999") > 100 or sys.platform.startswith("win"):
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": prefix}})


def run_chapter(chapter: str, profile: str, overrides: dict[str, Any] | None = None,
                params: dict[str, Any] | None = None, log_output: bool = False,
                stream: Any = None) -> Path:
    """Execute one chapter; return the path of the executed notebook.

    ``log_output=True`` streams everything the chapter prints to the terminal; otherwise
    only its progress lines are shown, through ``stream`` (default: a :class:`ProgressStream`
    on stdout)."""
    import nbformat
    import papermill

    source = notebooks_dir() / f"{chapter}.py"
    if not source.exists():
        raise ConfigError(f"chapter source {source} does not exist")
    out_dir = config.paths(config.get_profile(profile, **(overrides or {}))).notebooks
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{chapter}.ipynb"
    parameters = {"profile": profile, **(params or {})}
    if overrides:
        parameters["overrides"] = overrides
    if log_output:
        sinks = {"stdout_file": sys.stdout, "stderr_file": sys.stderr}
    else:
        stream = stream if stream is not None else ProgressStream(chapter)
        sinks = {"stdout_file": stream}
    with tempfile.TemporaryDirectory(prefix=f"galbias-{chapter}-") as tmpdir, atomic_path(final) as dst:
        src = Path(tmpdir) / f"{chapter}.ipynb"  # the converted copy papermill executes
        nbformat.write(to_notebook(source), src)
        try:
            papermill.execute_notebook(
                str(src), str(dst), parameters=parameters, kernel_name=KERNEL,
                cwd=str(notebooks_dir()), progress_bar=False, config=kernel_config(tmpdir),
                extra_arguments=list(KERNEL_ARGS), **sinks,
            )
        except papermill.PapermillExecutionError as exc:
            failed = out_dir / f"{chapter}.failed.ipynb"
            os.replace(dst, failed)
            raise ChapterError(chapter, failed, exc) from None
        except Exception as exc:  # the kernel died (out of memory, a signal) or could not start
            if type(exc).__name__ not in ("DeadKernelError", "CellTimeoutError", "RuntimeError"):
                raise
            failed = out_dir / f"{chapter}.failed.ipynb"
            if dst.exists() and dst.stat().st_size:
                os.replace(dst, failed)
            raise ChapterError(chapter, failed, exc, died=True) from None
        finally:
            if hasattr(stream, "close") and not log_output:
                stream.close()
    return final


class ChapterError(GalbiasError, RuntimeError):
    """A chapter that failed: its error in one line and the notebook executed up to it."""

    def __init__(self, chapter: str, notebook: Path, exc: Exception, died: bool = False):
        self.chapter, self.notebook = chapter, notebook
        if died:
            detail = (f"the kernel died ({type(exc).__name__}): out of memory, a full disk or a signal; "
                      "the run folder keeps every finished artifact and the chapter resumes when run again")
        else:
            ename, evalue = getattr(exc, "ename", ""), str(getattr(exc, "evalue", exc)).strip().splitlines()
            detail = f"{ename}: {evalue[0] if evalue else ''}"
        where = f"; the executed notebook up to the error is {notebook}" if notebook.exists() else ""
        super().__init__(f"chapter {chapter} failed ({detail}){where}")


@contextlib.contextmanager
def run_lock(folder: Path):
    """Hold ``folder/.lock`` for a run: a second run on the same folder stops with a message.

    The lock is an ``fcntl`` lock, released by the operating system when the process ends
    (even killed), so a dead run never blocks the next one; the file records who holds it.
    """
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        who = f.read().strip() or "another process"
        f.close()
        raise RunLockedError(f"the run folder {folder} is in use by {who}; wait for that run to finish "
                             "(or run with other --set values, which use their own folder)") from None
    f.seek(0)
    f.truncate()
    f.write(f"galbias run, pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
    f.flush()
    try:
        yield
    finally:
        fcntl.flock(f, fcntl.LOCK_UN)
        f.close()


class RunLockedError(GalbiasError, RuntimeError):
    """Another run holds the run folder."""


def run(profile: str, only: list[str] | None = None, start: str | None = None,
        sets: dict[str, Any] | None = None, log_output: bool = False) -> list[Path]:
    """Run chapters in order for ``profile``; return the executed notebooks.

    Every ``--set`` value is checked (type and range) before anything runs.  A run with
    overrides goes to its own variant folder (``data/runs/<profile>/variants/<name>/``); a
    second run on the same folder at the same time stops with a message (:func:`run_lock`);
    temporary files a killed run left behind are removed first.
    """
    config.get_profile(profile)  # unknown profile -> ConfigError
    todo = resolve_chapters(only, start)
    sets = dict(sets or {})
    declared = {c: declared_parameters(notebooks_dir() / f"{c}.py") for c in todo}
    chapter_params = set().union(*declared.values()) - {"profile", "overrides"}
    overrides, params = split_overrides(chapter_params, sets)
    cfg = config.get_profile(profile, **overrides)  # bad values stop here, before any chapter runs
    for k, v in params.items():
        chapter, default = next((c, d[k]) for c, d in declared.items() if k in d)
        params[k] = check_chapter_value(k, v, default, chapter)
    folder = config.paths(cfg).root
    variant = config.variant_name(cfg)
    label = f"{profile}" + (f" (variant {variant})" if variant else "")
    if variant:
        print(f"[galbias] {profile}: settings differ from the profile's; this run uses {folder}", flush=True)
    done = []
    reference = timings.load()
    t_start = time.perf_counter()
    with run_lock(folder):
        for f in artifacts.remove_stale_temporaries(folder):
            print(f"[galbias] removed {f.relative_to(folder)}, left by an interrupted run", flush=True)
        for k, chapter in enumerate(todo, 1):
            t0 = time.perf_counter()
            print(f"[galbias] {label}: {chapter} ({k}/{len(todo)}) ... "
                  f"{_expected(timings.expected(chapter, profile, reference))}", flush=True)
            mine = {k_: v for k_, v in params.items() if k_ in declared[chapter]}
            try:
                done.append(run_chapter(chapter, profile, overrides, mine, log_output,
                                        stream=None if log_output else ProgressStream(chapter, t0=t0)))
            except ChapterError:
                print(f"[galbias] {label}: {chapter} failed after "
                      f"{timings.fmt_duration(time.perf_counter() - t0)}", flush=True)
                raise
            seconds = time.perf_counter() - t0
            timings.record(folder, chapter, seconds)
            print(f"[galbias] {label}: {chapter} done in {timings.fmt_duration(seconds)}", flush=True)
    expected_total = [timings.expected(c, profile, reference) for c in todo]
    exp = (f" ({_expected(sum(expected_total))})" if all(t is not None for t in expected_total) else "")
    print(f"[galbias] {label}: {len(todo)} chapter{'s' if len(todo) != 1 else ''} done in "
          f"{timings.fmt_duration(time.perf_counter() - t_start)}{exp}; "
          f"chapter times in {timings.run_file(folder)}", flush=True)
    return done


def _expected(seconds: float | None) -> str:
    if seconds is None:
        return "expected time not measured yet"
    return f"expected ~{timings.fmt_duration(seconds)}"
