"""The decode-once uint8 image cache, its torch dataset, float conversion and augmentation.

Training reads the images many times, so they are decoded only once, into a uint8 cache
(:func:`build_cache`, :class:`ImageCache`): one memory-mappable ``.npy`` array (N, H, W, 3)
in the order of a table's rows, with a manifest that detects when a source file changes.
:class:`CachedImages` is a torch ``Dataset`` over that array; batches stay uint8 until
:func:`to_float` (divide by 255) on the training device, and augmentation
(:func:`augment_dihedral`: the 8 flips and 90-degree rotations -- galaxies have no preferred
orientation) is applied to whole batches as tensor operations.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from ..core import artifacts
from .catalog import CatalogError
from .images import SHOW_FIRST, ImageError, centre_crop, read_jpeg

__all__ = ["Batch", "CACHE_FORMAT", "CachedImages", "ImageCache", "augment_dihedral", "build_cache",
           "collate_batch", "open_if_fresh", "random_codes", "to_float"]

#: bump when the cache layout changes (old caches are then rebuilt)
CACHE_FORMAT = 1


def _ids_path(cache_path: Path) -> Path:
    return cache_path.with_name(cache_path.name.split(".")[0] + ".ids.npy")


def _as_id_array(ids: Any) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.dtype == object:
        arr = arr.astype(str)
    return arr


def _sources_fingerprint(files: Sequence[Path], locs: Sequence[str]) -> tuple[str, list[tuple[str, str]]]:
    """SHA-256 over (relative path, size, mtime) of every source file, plus the missing ones."""
    h = hashlib.sha256()
    missing = []
    for f, loc in zip(files, locs):
        try:
            st = f.stat()
        except OSError:
            missing.append((str(f), "missing"))
            continue
        h.update(f"{loc}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest(), missing


def _raise_bad(bad: list[tuple[str, str]], n: int, root: Path) -> None:
    shown = "; ".join(f"{p} ({why})" for p, why in bad[:SHOW_FIRST])
    more = f"; and {len(bad) - SHOW_FIRST} more" if len(bad) > SHOW_FIRST else ""
    raise ImageError(f"cannot build the image cache: {len(bad)} of {n} image(s) under {root} are missing, "
                     f"unreadable or of the wrong size: {shown}{more}")


@dataclass
class ImageCache:
    """Decoded survey images: ``images`` (N, H, W, 3) uint8, memory-mapped, row i is ``ids[i]``."""

    path: Path
    images: np.ndarray
    ids: np.ndarray
    manifest: dict

    @classmethod
    def open(cls, path: str | os.PathLike) -> "ImageCache":
        """Open an existing cache (no freshness check: :func:`build_cache` does that)."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"image cache {path} does not exist: build it with galbias.data.cache.build_cache")
        images = np.load(path, mmap_mode="r")
        ids = np.load(_ids_path(path), allow_pickle=False)
        mpath = artifacts.manifest_path(path)
        manifest = json.loads(mpath.read_text()) if mpath.exists() else {}
        if images.ndim != 4 or images.shape[3] != 3 or images.dtype != np.uint8 or len(ids) != len(images):
            raise ImageError(f"image cache {path} is malformed (shape {images.shape}, dtype {images.dtype}, "
                             f"{len(ids)} ids): delete it to rebuild")
        return cls(path, images, ids, manifest)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def shape(self) -> tuple[int, ...]:
        """(N, H, W, 3)."""
        return tuple(self.images.shape)

    @property
    def image_shape(self) -> tuple[int, int]:
        return tuple(self.images.shape[1:3])  # type: ignore[return-value]

    @property
    def fingerprint(self) -> str:
        """Identifies the cached content (ids, crop and source files); '' if unknown."""
        p = self.manifest.get("params", {})
        return artifacts.json_hash(p) if p else ""

    def rows(self, ids: Any) -> np.ndarray:
        """Row positions of ``ids`` in the cache (an error names ids that are not cached)."""
        want = _as_id_array(ids)
        order = np.argsort(self.ids, kind="stable")
        pos = np.searchsorted(self.ids, want, sorter=order)
        pos = np.clip(pos, 0, len(self.ids) - 1)
        rows = order[pos] if len(self.ids) else np.zeros(len(want), dtype=np.int64)
        found = (self.ids[rows] == want) if len(self.ids) else np.zeros(len(want), dtype=bool)
        if not np.all(found):
            missing = want[~found]
            raise KeyError(f"{len(missing)} id(s) are not in the image cache {self.path}, e.g. "
                           f"{list(missing[:SHOW_FIRST])}: rebuild the cache from the current labels")
        return rows.astype(np.int64)


def _request(table: pd.DataFrame, root: Path, crop: int | None, column: str, id_column: str):
    """The ids, source files and manifest parameters of a cache of ``table``."""
    for c in (column, id_column):
        if c not in table.columns:
            raise CatalogError(f"build_cache needs a column {c!r}; the table has {list(table.columns)}")
    ids = _as_id_array(table[id_column].to_numpy())
    if len(ids) == 0:
        raise ValueError("build_cache: the table has no rows")
    if len(np.unique(ids)) != len(ids):
        raise CatalogError(f"build_cache: column {id_column!r} has duplicate ids")
    if crop is not None and int(crop) <= 0:
        raise ValueError(f"crop must be a positive number of pixels or None, got {crop}")
    locs = [str(v) for v in table[column].tolist()]
    files = [root / loc for loc in locs]
    sources, missing = _sources_fingerprint(files, locs)
    if missing:
        _raise_bad(missing, len(files), root)
    params = {
        "format": CACHE_FORMAT, "crop": None if crop is None else int(crop), "column": column, "n": len(ids),
        "ids_sha256": hashlib.sha256(ids.tobytes() + str(ids.dtype).encode()).hexdigest(),
        "sources_sha256": sources,
    }
    return ids, files, params


def open_if_fresh(table: pd.DataFrame, root: str | os.PathLike, out_path: str | os.PathLike, crop: int | None = None,
                  column: str = "file_loc", id_column: str = "id") -> ImageCache | None:
    """The cache at ``out_path`` when it holds exactly ``table``'s images (see :func:`build_cache`), else None."""
    out_path = Path(out_path)
    ids, _, params = _request(table, Path(root), crop, column, id_column)
    if artifacts.is_fresh(out_path, params, code="image_cache") and _ids_path(out_path).exists():
        cache = ImageCache.open(out_path)
        if len(cache) == len(ids) and np.array_equal(cache.ids, ids):
            return cache
    return None


def build_cache(table: pd.DataFrame, root: str | os.PathLike, out_path: str | os.PathLike,
                crop: int | None = None, column: str = "file_loc", id_column: str = "id",
                n_workers: int | None = None, progress: bool = True, force: bool = False) -> ImageCache:
    """Decode every image of ``table`` once into a uint8 ``.npy`` cache; reuse it when fresh.

    ``table[column]`` holds paths relative to ``root``; row i of the cache is ``table``'s
    i-th row, identified by ``table[id_column]`` (stored beside the array as
    ``<stem>.ids.npy``).  Each image is read with :func:`read_jpeg` and, when ``crop`` is set,
    centre-cropped with :func:`centre_crop`; all must end up the same square size.

    The cache is reused when its manifest matches: same ids in the same order, same crop,
    every source file with the same size and modification time as when it was built (a
    changed or replaced JPEG triggers a rebuild; the files are not re-hashed, which would cost
    as much as decoding), and the same code.  Before decoding, the free disk space is checked
    and the whole array is allocated on disk, so a full disk stops with a message instead of
    killing the process; the array is written to a temporary file and renamed, the manifest
    last, so an interrupted build is never mistaken for a finished one.  Decoding runs in
    ``n_workers`` threads (default: the cores, at most 8; PIL releases the GIL while
    decoding).  Bad files raise one :class:`ImageError` with their count and names.
    """
    root = Path(root)
    out_path = Path(out_path)
    if not force:
        cache = open_if_fresh(table, root, out_path, crop, column, id_column)
        if cache is not None:
            return cache
    ids, files, params = _request(table, root, crop, column, id_column)

    def load(i: int) -> np.ndarray:
        arr = read_jpeg(files[i])
        if crop is not None:
            try:
                arr = centre_crop(arr, crop)
            except ValueError as exc:
                raise ImageError(f"image {files[i]}: {exc}") from exc
        return arr

    first = load(0)
    shape = first.shape
    if shape[0] != shape[1]:
        raise ImageError(f"image {files[0]} is {shape[0]}x{shape[1]} pixels: the cache needs square images "
                         "(set a crop)")
    nbytes = len(ids) * int(np.prod(shape)) + 128
    artifacts.ensure_space(out_path.parent, nbytes, f"the image cache {out_path.name}")
    with artifacts.atomic_path(out_path, suffix=".npy") as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(ids), *shape))
        artifacts.reserve(tmp, nbytes, f"the image cache {out_path.name}")
        out[0] = first
        bad = _decode_into(out, files, load, shape, n_workers or min(8, os.cpu_count() or 1),
                           _progress(total=len(ids), desc=f"decoding images -> {out_path.name}", enabled=progress))
        if bad:
            del out
            _raise_bad(sorted(bad), len(ids), root)
        out.flush()
        del out
        # the ids first, then the array; the manifest last marks the cache complete
        artifacts.manifest_path(out_path).unlink(missing_ok=True)
        with artifacts.atomic_path(_ids_path(out_path), suffix=".npy") as ids_tmp:
            np.save(ids_tmp, ids, allow_pickle=False)
    artifacts.write_manifest(out_path, params, code="image_cache", shape=[len(ids), *shape])
    return ImageCache.open(out_path)


def _decode_into(out: np.ndarray, files: list[Path], load, shape: tuple[int, ...], workers: int, bar
                 ) -> list[tuple[str, str]]:
    """Decode images 1.. into ``out`` in chunks of 256 (in threads); the problems found."""
    def work(chunk: range) -> list[tuple[str, str]]:
        errs = []
        for i in chunk:
            try:
                arr = load(i)
            except ImageError as exc:
                errs.append((str(files[i]), str(exc)))
                continue
            if arr.shape != shape:
                errs.append((str(files[i]), f"{arr.shape[0]}x{arr.shape[1]} pixels, others are {shape[0]}x{shape[1]}"))
                continue
            out[i] = arr
        return errs

    bad: list[tuple[str, str]] = []
    chunks = [range(s, min(s + 256, len(files))) for s in range(1, len(files), 256)]
    bar.update(1)
    if workers > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(work, c): len(c) for c in chunks}
            for fut in as_completed(futures):
                bad.extend(fut.result())
                bar.update(futures[fut])
    else:
        for c in chunks:
            bad.extend(work(c))
            bar.update(len(c))
    bar.close()
    return bad


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, unit="img", leave=False)


# --- torch access: dataset, float conversion, augmentation ---------------------------------

class Batch(NamedTuple):
    """A minibatch as it leaves the cache: uint8 images (B, H, W, 3) plus targets."""

    images: torch.Tensor
    labels: torch.Tensor   # int64, -1 where unknown
    alpha: torch.Tensor    # float32, NaN where unknown
    index: torch.Tensor    # positions in the dataset (int64)


class CachedImages(Dataset):
    """A torch ``Dataset`` over (a subset of the rows of) an :class:`ImageCache`.

    ``rows`` are cache rows (default: all), ``labels`` and ``alpha`` are aligned with them.
    ``dataset[i]`` gives a float (3, H, W) image in [0, 1] with its label and alpha (for
    inspection, GradCAM).  Training uses the batched path instead: a ``DataLoader`` with a
    batch sampler calls :meth:`__getitems__`, which gathers a whole uint8 :class:`Batch`
    from the memory map at once; conversion to float and augmentation follow on the
    training device (:func:`to_float`, :func:`augment_dihedral`).  The memory map is opened
    lazily in each process, so the dataset can be sent to DataLoader workers cheaply.
    """

    def __init__(self, cache: ImageCache | str | os.PathLike | np.ndarray, rows: Any = None, labels: Any = None,
                 alpha: Any = None) -> None:
        if isinstance(cache, np.ndarray):  # images already in memory (small sets, tests)
            if cache.ndim != 4 or cache.shape[3] != 3 or cache.dtype != np.uint8:
                raise ImageError(f"in-memory images must be uint8 (N, H, W, 3), got {cache.dtype} {cache.shape}")
            self.cache_path, self._images = None, cache
        else:
            self.cache_path = Path(cache.path if isinstance(cache, ImageCache) else cache)
            self._images = cache.images if isinstance(cache, ImageCache) else None
        n_cache = len(self.images)
        self.rows = np.arange(n_cache, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        if self.rows.ndim != 1 or (len(self.rows) and (self.rows.min() < 0 or self.rows.max() >= n_cache)):
            raise IndexError(f"rows must be cache positions in [0, {n_cache}) ({self.cache_path})")
        n = len(self.rows)
        self.labels = np.full(n, -1, np.int64) if labels is None else np.asarray(labels, dtype=np.int64)
        self.alpha = np.full(n, np.nan, np.float32) if alpha is None else np.asarray(alpha, dtype=np.float32)
        if self.labels.shape != (n,) or self.alpha.shape != (n,):
            raise ValueError(f"labels and alpha must have one value per row ({n}); got {self.labels.shape}, "
                             f"{self.alpha.shape}")

    @property
    def images(self) -> np.ndarray:
        if self._images is None:
            self._images = np.load(self.cache_path, mmap_mode="r")
        return self._images

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self.cache_path is not None:
            state["_images"] = None  # re-open the memory map in the worker, never pickle the pixels
        return state

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        img = torch.from_numpy(np.array(self.images[self.rows[i]]))
        return {"image": to_float(img[None], channels_last=False)[0], "label": int(self.labels[i]),
                "alpha": float(self.alpha[i]), "row": int(self.rows[i])}

    def get_batch(self, positions: Sequence[int] | np.ndarray) -> Batch:
        pos = np.asarray(positions, dtype=np.int64)
        rows = self.rows[pos]
        # a memory map gathers fastest in increasing row order; undo the sort afterwards
        order = np.argsort(rows, kind="stable")
        imgs = np.empty((len(rows), *self.images.shape[1:]), dtype=np.uint8)
        imgs[order] = self.images[rows[order]]
        return Batch(torch.from_numpy(imgs), torch.from_numpy(self.labels[pos]), torch.from_numpy(self.alpha[pos]),
                     torch.from_numpy(pos))

    __getitems__ = get_batch


def collate_batch(batch: Batch) -> Batch:
    """``collate_fn`` for a DataLoader over :class:`CachedImages`: the batch is already whole."""
    return batch


def to_float(images: torch.Tensor, channels_last: bool = True) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> float32 (B, 3, H, W) in [0, 1] (pixel / 255, as in the paper).

    With ``channels_last`` the result keeps the (B, H, W, 3) memory layout (a permuted view
    converted in place of a copy), which is what convolutions run fastest on, CPU or GPU.
    """
    x = images.permute(0, 3, 1, 2)
    x = x.to(torch.float32) if channels_last else x.contiguous().to(torch.float32)
    return x.div_(255.0)


#: the 8 symmetries of the square: code = 4 * flip + quarter turns
N_DIHEDRAL = 8


def random_codes(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` random symmetry codes in 0..7 (drawn on the CPU, so a seeded generator fixes them)."""
    return torch.randint(0, N_DIHEDRAL, (n,), generator=generator)


def augment_dihedral(images: torch.Tensor, codes: torch.Tensor, dims: tuple[int, int] = (1, 2)) -> torch.Tensor:
    """Apply symmetry ``codes[i]`` to image i: flip (code >= 4) then ``code % 4`` quarter turns.

    ``images`` is a batch of square images with spatial axes ``dims`` ((1, 2) for the
    (B, H, W, 3) uint8 batches of :class:`CachedImages`, (2, 3) for (B, C, H, W)).  Every
    output is a permutation of its input's pixels.  One gather per distinct code: eight
    small tensor operations per batch whatever its size, on whatever device it lives.
    """
    h, w = images.shape[dims[0]], images.shape[dims[1]]
    if h != w:
        raise ValueError(f"augment_dihedral needs square images, got {h}x{w}")
    codes = codes.to(images.device)
    out = torch.empty_like(images)
    for c in range(N_DIHEDRAL):
        idx = (codes == c).nonzero().squeeze(1)
        if idx.numel() == 0:
            continue
        sub = images.index_select(0, idx)
        if c >= 4:
            sub = sub.flip(dims[1])
        if c % 4:
            sub = torch.rot90(sub, c % 4, dims=dims)
        out.index_copy_(0, idx, sub)
    return out
