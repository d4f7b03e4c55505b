"""Atomic artifact writes and manifests.

Every artifact is written to a temporary file in the same folder and renamed into place,
so a killed run never leaves a half-written file under its final name.  An artifact may
carry a *manifest* (``<stem>.manifest.json`` beside it) recording the parameters, seed,
package version and the SHA-256 of its inputs; :func:`is_fresh` compares a manifest with
the current parameters and inputs so a stale artifact is detected rather than reused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from .errors import StaleArtifactError

__all__ = ["StaleArtifactError", "array_hash", "atomic_path", "file_hash", "is_fresh", "make_manifest",
           "manifest_path", "read_json", "read_parquet", "save_figure", "write_bytes", "write_csv", "write_json",
           "write_manifest", "write_npy", "write_parquet", "write_table"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix or path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; artifacts are ordinary files
    try:
        yield tmp
        os.replace(tmp, path)
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
                  **extra: Any) -> dict[str, Any]:
    return {
        "package_version": __version__,
        "params": dict(params),
        "inputs": {k: file_hash(v) for k, v in (inputs or {}).items()},
        **extra,
    }


def write_manifest(artifact: str | os.PathLike, params: Mapping[str, Any],
                   inputs: Mapping[str, str | os.PathLike] | None = None, **extra: Any) -> Path:
    """Write ``<stem>.manifest.json`` beside ``artifact``."""
    return write_json(manifest_path(artifact), make_manifest(params, inputs, **extra))


def is_fresh(artifact: str | os.PathLike, params: Mapping[str, Any],
             inputs: Mapping[str, str | os.PathLike] | None = None) -> bool:
    """True when ``artifact`` exists and its manifest matches these parameters and inputs."""
    artifact = Path(artifact)
    mpath = manifest_path(artifact)
    if not artifact.exists() or not mpath.exists():
        return False
    try:
        old = json.loads(mpath.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    new = json.loads(json.dumps(make_manifest(params, inputs), default=_json_default))
    return all(old.get(k) == new[k] for k in ("package_version", "params", "inputs"))


def write_table(path: str | os.PathLike, df: pd.DataFrame, columns: list[str], params: Mapping[str, Any],
                inputs: Mapping[str, str | os.PathLike] | None = None, **extra: Any) -> Path:
    """The one way a results table is written: check ``columns`` -> atomic CSV -> manifest.

    Raises ``KeyError`` naming the file and the missing columns; the CSV keeps only
    ``columns``, in that order; the manifest records ``params``, the hashes of ``inputs`` and
    the row count.
    """
    path = Path(path)
    write_csv(path, df, columns)
    write_manifest(path, params, inputs, n_rows=len(df), **extra)
    return path
