"""Atomic artifact writes and manifests.

Every artifact is written to a temporary file in the same folder and renamed into place,
so a killed run never leaves a half-written file under its final name.  An artifact may
carry a *manifest* (``<stem>.manifest.json`` beside it) recording the parameters, seed,
package version and the SHA-256 of its inputs; :func:`is_fresh` compares a manifest with
the current parameters and inputs so a stale artifact is detected rather than reused.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .errors import DiskFullError, StaleArtifactError

__all__ = ["DiskFullError", "StaleArtifactError", "TMP_MARK", "array_hash", "atomic_path", "disk_full",
           "ensure_space", "remove_stale_temporaries", "reserve", "file_hash", "is_fresh", "json_hash", "make_manifest",
           "manifest_path", "read_manifest", "staleness", "read_json", "read_parquet", "save_figure", "write_bytes", "write_csv", "write_json",
           "write_manifest", "write_npy", "write_parquet", "write_table"]


#: marks the temporary files of :func:`atomic_path` (a killed run's are removed by the next run)
TMP_MARK = ".galbias-tmp-"


def _human(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(nbytes) < 1024 or unit == "TB":
            return f"{nbytes:.1f} {unit}" if unit != "B" else f"{int(nbytes)} B"
        nbytes /= 1024
    return f"{nbytes:.1f} TB"  # pragma: no cover


def disk_full(where: str | os.PathLike, what: str, need: float | None = None) -> DiskFullError:
    """The one message for a full disk: the folder, what was being written, the shortfall."""
    folder = Path(where)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    short = f" (needs {_human(need)}, {_human(free)} free: {_human(need - free)} short)" if need else \
        f" ({_human(free)} free)"
    return DiskFullError(f"not enough disk space in {folder} for {what}{short}; free some space or move the run "
                         "folder with GALBIAS_RUNS")


def ensure_space(where: str | os.PathLike, nbytes: float, what: str, margin: float = 64 * 2**20) -> None:
    """Stop before writing ``nbytes`` of ``what`` into ``where`` when the disk cannot hold them
    (plus ``margin``)."""
    folder = Path(where)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if shutil.disk_usage(folder).free < nbytes + margin:
        raise disk_full(where, what, nbytes + margin)


def reserve(path: str | os.PathLike, nbytes: int, what: str) -> None:
    """Allocate ``nbytes`` on disk for ``path`` now, so that a memory map written later cannot
    hit a full disk (which would kill the process with SIGBUS instead of raising)."""
    fd = os.open(path, os.O_RDWR)
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, 0, int(nbytes))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise disk_full(Path(path).parent, what, nbytes) from None
        raise
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files a killed run left under ``folder`` (only call it while no
    other run uses the folder: the runner holds the folder's lock)."""
    removed = []
    for f in Path(folder).rglob(f".*{TMP_MARK}*"):
        if f.is_file():
            f.unlink(missing_ok=True)
            removed.append(f)
    return removed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The temporary file is removed on every failure path; a full disk raises
    :class:`~galbias.core.errors.DiskFullError` naming the folder.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}", suffix=suffix or path.suffix or ".tmp",
                               dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; artifacts are ordinary files
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno == errno.ENOSPC and not isinstance(exc, DiskFullError):
            raise disk_full(path.parent, path.name) from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"cannot write {type(o).__name__} to JSON")


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default)
    return write_bytes(path, (text + "\n").encode())


def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the chapter that writes it first")
    return json.loads(path.read_text())


def write_parquet(path: str | os.PathLike, df: pd.DataFrame) -> Path:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


def read_parquet(path: str | os.PathLike, columns: list[str] | None = None) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the chapter that writes it first")
    return pd.read_parquet(path, columns=columns)


def write_csv(path: str | os.PathLike, df: pd.DataFrame, columns: list[str] | None = None) -> Path:
    """Write ``df`` (optionally only ``columns``, in that order) as CSV, atomically."""
    if columns is not None:
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise KeyError(f"table for {Path(path).name} lacks column(s) {missing}")
        df = df.loc[:, columns]
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
    return Path(path)


def write_npy(path: str | os.PathLike, arr: np.ndarray) -> Path:
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, arr)
    return Path(path)


def save_figure(fig: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", bbox_inches="tight", **kwargs)
    return path


# --- manifests ----------------------------------------------------------------------------

def file_hash(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def json_hash(obj: Any) -> str:
    """SHA-256 of ``obj`` as sorted-key JSON (non-JSON values as ``str``): identifies a set of
    parameters or a fingerprint."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def array_hash(*arrays: np.ndarray) -> str:
    """SHA-256 over the dtype, shape and bytes of each array (identifies in-memory data)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def manifest_path(artifact: str | os.PathLike) -> Path:
    artifact = Path(artifact)
    return artifact.with_name(artifact.name.split(".")[0] + ".manifest.json")


def make_manifest(params: Mapping[str, Any], inputs: Mapping[str, str | os.PathLike] | None = None,
                  code: str | tuple[str, ...] | None = None, **extra: Any) -> dict[str, Any]:
    """The manifest of an artifact: package version, parameters, SHA-256 of each input file and
    ``code_sha256`` of the code that made it (:func:`galbias.core.provenance.code_sha256` of
    ``code``: a key of :data:`~galbias.core.provenance.SCOPES`; None = the whole package)."""
    from .provenance import code_sha256

    return {
        "package_version": __version__,
        "params": dict(params),
        "inputs": {k: file_hash(v) for k, v in (inputs or {}).items()},
        "code_sha256": code_sha256(code),
        "code_scope": code if isinstance(code, str) or code is None else list(code),
        **extra,
    }


def write_manifest(artifact: str | os.PathLike, params: Mapping[str, Any],
                   inputs: Mapping[str, str | os.PathLike] | None = None, code: str | tuple[str, ...] | None = None,
                   **extra: Any) -> Path:
    """Write ``<stem>.manifest.json`` beside ``artifact``."""
    return write_json(manifest_path(artifact), make_manifest(params, inputs, code, **extra))


def read_manifest(artifact: str | os.PathLike) -> dict[str, Any] | None:
    """The manifest of ``artifact``, or None when there is none (or it cannot be read)."""
    mpath = manifest_path(artifact)
    try:
        return json.loads(mpath.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _short(v: Any) -> str:
    text = json.dumps(v, default=_json_default)
    return text if len(text) <= 40 else text[:37] + "..."


def staleness(artifact: str | os.PathLike, params: Mapping[str, Any],
              inputs: Mapping[str, str | os.PathLike] | None = None,
              code: str | tuple[str, ...] | None = None) -> list[str]:
    """Why ``artifact`` does not match these parameters, inputs and code: one phrase per
    difference (``"epochs 8 -> 1"``, ``"input labels changed"``, ``"the code changed"``); empty
    when it is fresh."""
    artifact = Path(artifact)
    if not artifact.exists():
        return [f"{artifact.name} does not exist"]
    old = read_manifest(artifact)
    if old is None:
        return [f"{artifact.name} has no readable manifest"]
    new = json.loads(json.dumps(make_manifest(params, inputs, code), default=_json_default))
    why = []
    op, np_ = old.get("params", {}), new["params"]
    for k in sorted(set(op) | set(np_)):
        if op.get(k) != np_.get(k):
            why.append(f"{k} {_short(op.get(k))} -> {_short(np_.get(k))}")
    oi, ni = old.get("inputs", {}), new["inputs"]
    why += [f"input {k} changed" for k in sorted(set(oi) | set(ni)) if oi.get(k) != ni.get(k)]
    if old.get("code_sha256") != new["code_sha256"]:
        why.append("the code that makes it changed")
    if old.get("package_version") != new["package_version"]:
        why.append(f"package version {old.get('package_version')} -> {new['package_version']}")
    return why


def is_fresh(artifact: str | os.PathLike, params: Mapping[str, Any],
             inputs: Mapping[str, str | os.PathLike] | None = None, code: str | tuple[str, ...] | None = None) -> bool:
    """True when ``artifact`` exists and its manifest matches these parameters, inputs and code."""
    return not staleness(artifact, params, inputs, code)


def write_table(path: str | os.PathLike, df: pd.DataFrame, columns: list[str], params: Mapping[str, Any],
                inputs: Mapping[str, str | os.PathLike] | None = None, code: str | None = None, **extra: Any) -> Path:
    """The one way a results table is written: check ``columns`` -> atomic CSV -> manifest.

    Raises ``KeyError`` naming the file and the missing columns; the CSV keeps only
    ``columns``, in that order; the manifest records ``params``, the hashes of ``inputs`` and
    the row count.
    """
    path = Path(path)
    write_csv(path, df, columns)
    write_manifest(path, params, inputs, code, n_rows=len(df), **extra)
    return path
