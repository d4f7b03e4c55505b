"""Tests of the decode-once image cache, the cached-image dataset and batch augmentation."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from galbias.data import cache as images
from galbias.data.catalog import CatalogError
from galbias.data.images import ImageError
from galbias.data.cache import (CachedImages, ImageCache, augment_dihedral, build_cache, random_codes,
                            to_float)


def write_images(root: Path, n: int, size: int = 16, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    locs = []
    for i in range(n):
        arr = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        loc = f"images/{i}.png"  # lossless, so the cached pixels can be compared exactly
        Image.fromarray(arr).save(root / loc)
        locs.append(loc)
    return pd.DataFrame({"id": np.arange(100, 100 + n, dtype=np.int64), "file_loc": locs,
                         "split": ["train"] * n})


def test_build_decodes_all_in_order(tmp_path):
    df = write_images(tmp_path / "survey", 40)
    out = tmp_path / "cache" / "images.npy"
    cache = build_cache(df, tmp_path / "survey", out, n_workers=2, progress=False)
    assert cache.images.shape == cache.shape == (40, 16, 16, 3) and cache.images.dtype == np.uint8
    assert cache.image_shape == (16, 16) and len(cache) == 40
    assert isinstance(cache.images, np.memmap)
    for i in (0, 17, 39):
        np.testing.assert_array_equal(cache.images[i], images.read_jpeg(tmp_path / "survey" / df.file_loc[i]))
    np.testing.assert_array_equal(cache.ids, df.id.to_numpy())
    np.testing.assert_array_equal(cache.rows([139, 100, 117]), [39, 0, 17])
    with pytest.raises(KeyError, match="not in the image cache"):
        cache.rows([100, 5])
    assert (tmp_path / "cache" / "images.manifest.json").exists()
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]  # no temp files left


def test_reused_when_fresh_rebuilt_when_a_file_changes(tmp_path, monkeypatch):
    root = tmp_path / "survey"
    df = write_images(root, 12)
    out = tmp_path / "images.npy"
    build_cache(df, root, out, progress=False)
    calls = []
    real = images.read_jpeg
    monkeypatch.setattr(images, "read_jpeg", lambda p: calls.append(p) or real(p))
    cache = build_cache(df, root, out, progress=False)
    assert calls == []  # fresh: nothing decoded again
    assert len(cache) == 12
    # replace one image: different content, size and time
    new = np.full((16, 16, 3), 7, np.uint8)
    Image.fromarray(new).save(root / df.file_loc[3])
    os.utime(root / df.file_loc[3], ns=(1, 10**18))
    cache = build_cache(df, root, out, progress=False)
    assert len(calls) == 12
    np.testing.assert_array_equal(cache.images[3], new)
    # other ids (or another order) also rebuild
    calls.clear()
    cache = build_cache(df.iloc[::-1].reset_index(drop=True), root, out, progress=False)
    assert len(calls) == 12 and cache.ids[0] == 111


def test_crop_and_errors(tmp_path):
    root = tmp_path / "survey"
    df = write_images(root, 5, size=20)
    cache = build_cache(df, root, tmp_path / "c.npy", crop=8, progress=False)
    full = images.read_jpeg(root / df.file_loc[2])
    np.testing.assert_array_equal(cache.images[2], full[6:14, 6:14])
    with pytest.raises(ImageError, match="cannot crop 32x32"):
        build_cache(df, root, tmp_path / "d.npy", crop=32, progress=False)
    with pytest.raises(CatalogError, match="file_loc"):
        build_cache(df.drop(columns="file_loc"), root, tmp_path / "e.npy", progress=False)
    with pytest.raises(CatalogError, match="duplicate ids"):
        build_cache(df.assign(id=1), root, tmp_path / "e.npy", progress=False)


def test_corrupt_file_is_named(tmp_path):
    root = tmp_path / "survey"
    df = write_images(root, 30)
    bad = root / df.file_loc[21]
    bad.write_bytes(bad.read_bytes()[:60])  # truncated
    out = tmp_path / "images.npy"
    with pytest.raises(ImageError) as err:
        build_cache(df, root, out, n_workers=2, progress=False)
    assert str(bad) in str(err.value) and "1 of 30" in str(err.value)
    assert not out.exists()  # nothing half-built under the final name
    (root / df.file_loc[4]).unlink()
    with pytest.raises(ImageError, match=r"4\.png \(missing\)"):
        build_cache(df, root, out, progress=False)


def test_wrong_size_is_named(tmp_path):
    root = tmp_path / "survey"
    df = write_images(root, 6)
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(root / df.file_loc[5])
    with pytest.raises(ImageError, match=r"5\.png \(12x12 pixels, others are 16x16\)"):
        build_cache(df, root, tmp_path / "x.npy", progress=False)


def test_dataset_items_batches_and_pickling(tmp_path):
    root = tmp_path / "survey"
    df = write_images(root, 10)
    cache = build_cache(df, root, tmp_path / "images.npy", progress=False)
    ds = CachedImages(cache, rows=[9, 2, 5], labels=[1, 0, 1], alpha=[3.0, 4.0, 5.0])
    item = ds[0]
    assert item["image"].shape == (3, 16, 16) and item["image"].dtype == torch.float32
    torch.testing.assert_close(item["image"], torch.from_numpy(cache.images[9].copy()).permute(2, 0, 1).float() / 255)
    assert item["label"] == 1 and item["alpha"] == 3.0 and item["row"] == 9
    batch = ds.__getitems__([2, 0])
    assert batch.images.dtype == torch.uint8 and batch.images.shape == (2, 16, 16, 3)
    np.testing.assert_array_equal(batch.images[0].numpy(), cache.images[5])
    np.testing.assert_array_equal(batch.images[1].numpy(), cache.images[9])
    assert batch.labels.tolist() == [1, 1] and batch.alpha.tolist() == [5.0, 3.0]
    # pickled for a worker process: the pixels are not copied, the memory map is re-opened
    blob = pickle.dumps(ds)
    assert len(blob) < 2000
    ds2 = pickle.loads(blob)
    np.testing.assert_array_equal(ds2.get_batch([1]).images[0].numpy(), cache.images[2])
    loader = torch.utils.data.DataLoader(ds, batch_sampler=[[0, 1], [2]], collate_fn=images.collate_batch,
                                         num_workers=1)
    assert [len(b.labels) for b in loader] == [2, 1]
    assert ImageCache.open(tmp_path / "images.npy").ids.tolist() == list(range(100, 110))


def test_to_float_layout_and_range():
    x = torch.randint(0, 256, (4, 8, 8, 3), dtype=torch.uint8)
    y = to_float(x)
    assert y.shape == (4, 3, 8, 8) and y.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(y, x.permute(0, 3, 1, 2).float() / 255)
    assert to_float(x, channels_last=False).is_contiguous()


def _dihedral_variants(img: torch.Tensor) -> list[torch.Tensor]:
    out = []
    for flip in (False, True):
        base = img.flip(1) if flip else img
        out += [torch.rot90(base, k, dims=(0, 1)) for k in range(4)]
    return out


def test_augmentation_is_a_pixel_permutation_and_a_symmetry():
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, 256, (64, 9, 9, 3), dtype=torch.uint8, generator=g)
    codes = random_codes(64, g)
    assert set(codes.tolist()) == set(range(8))
    y = augment_dihedral(x, codes)
    assert y.shape == x.shape and y.dtype == x.dtype
    for i in range(64):
        # the same multiset of pixels (RGB triples kept together) ...
        a = np.sort(x[i].reshape(-1, 3).numpy().view([("", np.uint8)] * 3), axis=0)
        b = np.sort(y[i].reshape(-1, 3).numpy().view([("", np.uint8)] * 3), axis=0)
        np.testing.assert_array_equal(a, b)
        # ... arranged as exactly the symmetry its code names
        assert torch.equal(y[i], _dihedral_variants(x[i])[int(codes[i])])
    # code 0 is the identity; the 8 variants of a generic image are distinct
    assert torch.equal(augment_dihedral(x, torch.zeros(64, dtype=torch.long)), x)
    variants = _dihedral_variants(x[0])
    assert len({v.numpy().tobytes() for v in variants}) == 8
    # channel-first layout works too
    xc = x.permute(0, 3, 1, 2)
    torch.testing.assert_close(augment_dihedral(xc, codes, dims=(2, 3)), y.permute(0, 3, 1, 2))
    with pytest.raises(ValueError, match="square"):
        augment_dihedral(torch.zeros(2, 4, 5, 3), torch.zeros(2, dtype=torch.long))
