"""What code made an artifact: a hash of the package source it depends on.

Every manifest (:func:`galbias.core.artifacts.write_manifest`) and model fingerprint records
``code_sha256``, the SHA-256 over the relative paths and contents of the source files in the
artifact's *code scope* (and of the chapter notebook that writes it), so an artifact made by
other code is detected as stale even when its parameters and inputs are unchanged.  Scopes are
narrow where recomputing is expensive (editing the chapter-9 code does not invalidate the
simulated survey) and name whole layers otherwise.

:data:`SCOPES` lists the scope of every artifact of a run; :func:`code_sha256` hashes one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .paths import repo_root

__all__ = ["PACKAGE", "SCOPES", "UNSCOPED", "code_sha256", "scope_files"]

#: the package's source folder (``src/galbias``)
PACKAGE = Path(__file__).resolve().parents[1]

_BASE = ("__init__.py", "core")
#: code scope of each artifact: package-relative folders or files, and ``notebooks/<chapter>.py``
SCOPES: dict[str, tuple[str, ...]] = {
    "catalog": (*_BASE, "data", "mock"),
    "survey_shard": (*_BASE, "data", "mock"),
    "labels": (*_BASE, "data", "compendium/steps.py"),
    "image_cache": (*_BASE, "data"),
    "theta": (*_BASE, "data", "methods", "results/theta.py", "notebooks/03_theta_fit.py"),
    "dcv14": (*_BASE, "data", "methods", "results/theta.py", "notebooks/03_theta_fit.py"),
    "model": (*_BASE, "data", "methods", "results/networks.py"),
    "predictions": (*_BASE, "data", "methods", "results/networks.py"),
    "table1": (*_BASE, "data", "methods", "results/table1", "results/frames.py", "results/networks.py",
               "notebooks/05_table1.py"),
    "sersic": (*_BASE, "data", "methods", "results/sersic", "results/frames.py", "notebooks/06_sersic.py"),
    "changed": (*_BASE, "data", "methods", "results/hires", "results/frames.py", "results/networks.py",
                "notebooks/07_hst_inspection.py"),
    "gradcam": (*_BASE, "data", "methods", "results/gradcam.py", "results/hires", "results/networks.py",
                "notebooks/08_gradcam.py"),
    "skybias": (*_BASE, "data", "methods", "results/skybias", "results/networks.py",
                "notebooks/09_sky_location_bias.py"),
    "ablation": (*_BASE, "data", "mock", "methods", "results/ablation", "results/skybias/network.py",
                 "notebooks/10_when_debiasing_works.py"),
}


#: modules inside a scoped folder that no artifact of the run depends on (chapter 2's
#: FERENGI comparison writes nothing; progress lines, this bookkeeping module and chapter 9's
#: table layouts change no result), left out of folder scopes so editing them does not invalidate the survey and
#: everything after it
UNSCOPED = ("data/ferengi.py", "mock/ferengi.py", "core/progress.py", "core/provenance.py",
            "results/skybias/layout.py")


def scope_files(scope: Iterable[str]) -> list[Path]:
    """The source files of a scope, sorted (folders contribute every ``.py`` below them except
    :data:`UNSCOPED`; a file named explicitly is always included)."""
    files: set[Path] = set()
    for part in scope:
        if part.startswith("notebooks/"):
            path = repo_root() / part
        else:
            path = PACKAGE / part
        if path.is_dir():
            skip = {PACKAGE / u for u in UNSCOPED}
            files.update(p for p in path.rglob("*.py") if "__pycache__" not in p.parts and p not in skip)
        elif path.exists():
            files.add(path)
    return sorted(files)


@lru_cache(maxsize=64)
def _hash(scope: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for f in scope_files(scope):
        try:
            rel = f.relative_to(PACKAGE)
        except ValueError:
            rel = Path("notebooks") / f.name
        h.update(str(rel).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def code_sha256(scope: str | Iterable[str] | None = None) -> str:
    """SHA-256 of the source files of ``scope``: a key of :data:`SCOPES`, a sequence of
    package-relative paths, or None for the whole package.  Computed once per process."""
    if scope is None:
        parts: tuple[str, ...] = (".",)
    elif isinstance(scope, str):
        if scope not in SCOPES:
            raise KeyError(f"unknown code scope {scope!r}; known: {sorted(SCOPES)}")
        parts = SCOPES[scope]
    else:
        parts = tuple(scope)
    return _hash(tuple(parts))
