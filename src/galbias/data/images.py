"""Survey images on disk: decoding, cropping and an early check that they are all usable.

The simulated survey and the real-data loader both store one JPEG per catalog row, with its
path in the catalog's ``file_loc`` column relative to the catalog's folder.  Everything that
reads those files goes through :func:`read_jpeg`, which turns every way a file can be bad
(missing, not an image, truncated, corrupt) into one :class:`ImageError` that names the file.

Chapter 1 calls :func:`check_images` before any work so a broken download is reported at
once, with a count and the first few offending files, rather than deep inside training.
Decoding once into a uint8 cache for training is :mod:`galbias.data.cache`.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, UnidentifiedImageError

from ..core.errors import GalbiasError
from .catalog import CatalogError

__all__ = ["ImageError", "SHOW_FIRST", "centre_crop", "check_images", "decode_jpeg_bytes", "is_valid_jpeg",
           "read_jpeg"]

#: how many offending files an error message lists by name
SHOW_FIRST = 5


class ImageError(GalbiasError, ValueError):
    """An image that is missing, unreadable or corrupt (the message names the file)."""


def _decode(source: str | os.PathLike | io.BytesIO, name: str) -> np.ndarray:
    """Fully decode ``source`` to an (H, W, 3) uint8 array; every failure becomes ImageError."""
    try:
        with Image.open(source) as img:
            # Image.open only reads the header: load() forces the whole decode, which is
            # where truncated and corrupt files fail.
            img.load()
            if img.mode != "RGB":
                img = img.convert("RGB")
            arr = np.asarray(img, dtype=np.uint8)
    except FileNotFoundError as exc:
        raise ImageError(f"image {name} does not exist") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"image {name} is not a readable image file (unidentified format)") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # PIL reports truncated/corrupt data as OSError ("image file is truncated",
        # "broken data stream"), SyntaxError or ValueError depending on the plugin.
        raise ImageError(f"image {name} is corrupt or truncated: {exc}") from exc
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(f"image {name} decoded to an unexpected shape {arr.shape}")
    return arr


def read_jpeg(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as an (H, W, 3) uint8 RGB array.

    Raises :class:`ImageError` naming ``path`` if the file is missing, is not an image, or
    is truncated or corrupt (the file is decoded in full, not just its header).  Grey-scale
    images are returned with the grey level repeated in the three channels.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"image {path} does not exist" if not path.exists() else f"image {path} is not a file")
    return _decode(path, str(path))


def decode_jpeg_bytes(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Decode an in-memory image (e.g. a downloaded cut-out); errors name ``name``."""
    if not data:
        raise ImageError(f"image {name} is empty (0 bytes)")
    return _decode(io.BytesIO(data), name)


def is_valid_jpeg(path: str | os.PathLike) -> bool:
    """True when ``path`` exists and decodes completely."""
    try:
        read_jpeg(path)
    except ImageError:
        return False
    return True


def centre_crop(arr: np.ndarray, size: int) -> np.ndarray:
    """The central ``size`` x ``size`` pixels of an (H, W) or (H, W, C) array.

    When the margin is odd the extra pixel is left on the bottom/right side (offset
    ``(H - size) // 2``): 424 -> 207 keeps rows 108..314.  Returns a view, not a copy.
    """
    arr = np.asarray(arr)
    size = int(size)
    if arr.ndim < 2:
        raise ValueError(f"centre_crop needs an array of at least 2 dimensions (H, W[, C]), got shape {arr.shape}")
    h, w = arr.shape[:2]
    if size <= 0 or size > h or size > w:
        raise ValueError(f"cannot crop {size}x{size} pixels from an image of {h}x{w}")
    top = (h - size) // 2
    left = (w - size) // 2
    return arr[top:top + size, left:left + size]


def _problem(path: Path) -> str | None:
    """None if ``path`` is a good image, else a short description of what is wrong."""
    if not path.exists():
        return "missing"
    try:
        read_jpeg(path)
    except ImageError as exc:
        cause = exc.__cause__
        return f"unreadable ({cause})" if cause is not None else "unreadable"
    return None


def check_images(catalog_df: pd.DataFrame, root: str | os.PathLike, column: str = "file_loc",
                 sample: int | None = None, seed: int = 0, n_workers: int | None = None) -> int:
    """Check that the images a catalog points to exist and decode; return how many were checked.

    ``catalog_df[column]`` holds paths relative to ``root`` (the catalog's folder).  With
    ``sample`` set, only that many rows, drawn at random with ``seed``, are checked (a quick
    check of a large download).  Raises :class:`ImageError` giving the number of bad files,
    the number checked, and the first few bad paths with the reason (missing, unreadable);
    rows with an empty path count as bad.
    """
    root = Path(root)
    if column not in catalog_df.columns:
        raise CatalogError(f"catalog has no column {column!r} with image paths; columns are {list(catalog_df.columns)}")
    locs = catalog_df[column]
    if sample is not None and sample < len(locs):
        locs = locs.sample(n=int(sample), random_state=seed)
    values: Sequence = list(locs)
    if not values:
        return 0

    def one(loc: object) -> tuple[str, str | None]:
        if loc is None or (not isinstance(loc, (str, os.PathLike)) and pd.isna(loc)) or str(loc).strip() == "":
            return ("<empty path>", "no path in the catalog")
        p = root / str(loc)
        return (str(p), _problem(p))

    workers = n_workers or min(8, os.cpu_count() or 1)
    if workers > 1 and len(values) > 64:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, values, chunksize=64))
    else:
        results = [one(v) for v in values]
    bad = [(p, why) for p, why in results if why is not None]
    if bad:
        shown = "; ".join(f"{p} ({why})" for p, why in bad[:SHOW_FIRST])
        more = f"; and {len(bad) - SHOW_FIRST} more" if len(bad) > SHOW_FIRST else ""
        n_missing = sum(1 for _, why in bad if why == "missing")
        raise ImageError(
            f"{len(bad)} of {len(values)} image(s) checked under {root} (column {column!r}) are missing "
            f"or unreadable ({n_missing} missing, {len(bad) - n_missing} unreadable or without a path): "
            f"{shown}{more}"
        )
    return len(values)
