"""Tests of galbias.data.images: decoding, cropping and the early image check."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from galbias.data.catalog import CatalogError
from galbias.data.images import ImageError, centre_crop, check_images, decode_jpeg_bytes, is_valid_jpeg, read_jpeg

FIX = Path(__file__).parent / "fixtures" / "gz2"
GOOD = sorted(p for p in FIX.glob("5877*.jpg"))


def test_every_fixture_file_is_classified_as_good_or_bad():
    """The fixtures in the real formats: two good cut-outs, a grey one, a truncated and a fake JPEG."""
    verdict = {p.name: is_valid_jpeg(p) for p in FIX.glob("*.jpg")}
    assert verdict == {GOOD[0].name: True, GOOD[1].name: True, "grey.jpg": True, "corrupt.jpg": False,
                       "not_an_image.jpg": False}


def test_read_jpeg_good():
    arr = read_jpeg(GOOD[0])
    assert arr.dtype == np.uint8
    assert arr.shape == (16, 16, 3)
    # the fixture is a centred blob: brighter in the middle than at the corner
    assert arr[8, 8].sum() > arr[0, 0].sum()


def test_read_jpeg_grey_becomes_rgb():
    arr = read_jpeg(FIX / "grey.jpg")
    assert arr.shape == (16, 16, 3)
    assert np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 1], arr[..., 2])


@pytest.mark.parametrize("name, words", [
    ("corrupt.jpg", "corrupt or truncated"),
    ("not_an_image.jpg", "not a readable image"),
    ("does_not_exist.jpg", "does not exist"),
])
def test_read_jpeg_bad_files_name_the_path(name, words):
    path = FIX / name
    with pytest.raises(ImageError) as err:
        read_jpeg(path)
    assert str(path) in str(err.value)
    assert words in str(err.value)
    assert isinstance(err.value, ValueError)
    assert not is_valid_jpeg(path)


def test_read_jpeg_directory(tmp_path):
    with pytest.raises(ImageError, match="not a file"):
        read_jpeg(tmp_path)


def test_decode_bytes():
    data = GOOD[1].read_bytes()
    assert decode_jpeg_bytes(data).shape == (16, 16, 3)
    with pytest.raises(ImageError, match="empty"):
        decode_jpeg_bytes(b"", "x.jpg")
    with pytest.raises(ImageError, match="cut-out 7"):
        decode_jpeg_bytes(data[:200], "cut-out 7")


def test_centre_crop_offsets_and_shapes():
    a = np.arange(424 * 424 * 3).reshape(424, 424, 3)
    c = centre_crop(a, 207)
    assert c.shape == (207, 207, 3)
    assert np.array_equal(c[0, 0], a[108, 108]) and np.array_equal(c[-1, -1], a[314, 314])
    g = np.arange(36).reshape(6, 6)
    assert np.array_equal(centre_crop(g, 2), g[2:4, 2:4])
    assert centre_crop(g, 6) is not None and centre_crop(g, 6).shape == (6, 6)
    odd = np.zeros((7, 9))
    assert centre_crop(odd, 5).shape == (5, 5)


@pytest.mark.parametrize("size", [0, 17, -3])
def test_centre_crop_rejects_bad_sizes(size):
    with pytest.raises(ValueError, match="cannot crop"):
        centre_crop(np.zeros((16, 16, 3)), size)


def test_centre_crop_rejects_1d():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        centre_crop(np.zeros(10), 2)


def _tree(tmp_path: Path) -> pd.DataFrame:
    img = tmp_path / "images"
    img.mkdir()
    for p in GOOD:
        shutil.copy(p, img / p.name)
    shutil.copy(FIX / "corrupt.jpg", img / "bad.jpg")
    return pd.DataFrame({"file_loc": [f"images/{p.name}" for p in GOOD] + ["images/bad.jpg", "images/gone.jpg"]})


def test_check_images_passes_on_good_files(tmp_path):
    df = _tree(tmp_path).iloc[:2]
    assert check_images(df, tmp_path) == 2


def test_check_images_reports_count_and_files(tmp_path):
    df = _tree(tmp_path)
    with pytest.raises(ImageError) as err:
        check_images(df, tmp_path)
    msg = str(err.value)
    assert msg.startswith("2 of 4 image(s)")
    assert "1 missing" in msg
    assert "gone.jpg (missing)" in msg
    assert "bad.jpg (unreadable" in msg
    assert "'file_loc'" in msg


def test_check_images_lists_only_the_first_few(tmp_path):
    df = pd.DataFrame({"file_loc": [f"images/{i}.jpg" for i in range(12)]})
    with pytest.raises(ImageError) as err:
        check_images(df, tmp_path)
    msg = str(err.value)
    assert msg.startswith("12 of 12") and "and 7 more" in msg


def test_check_images_sample_and_column(tmp_path):
    df = _tree(tmp_path).rename(columns={"file_loc": "path"})
    good_only = df.iloc[:2]
    assert check_images(good_only, tmp_path, column="path", sample=1) == 1
    with pytest.raises(CatalogError, match="no column 'file_loc'"):
        check_images(df, tmp_path)


def test_check_images_empty_paths_are_bad(tmp_path):
    df = pd.DataFrame({"file_loc": [None, ""]})
    with pytest.raises(ImageError, match="2 of 2"):
        check_images(df, tmp_path)


def test_check_images_threaded_path(tmp_path):
    img = tmp_path / "images"
    img.mkdir()
    for i in range(80):
        shutil.copy(GOOD[i % 2], img / f"{i}.jpg")
    df = pd.DataFrame({"file_loc": [f"images/{i}.jpg" for i in range(80)]})
    assert check_images(df, tmp_path, n_workers=4) == 80
    (img / "33.jpg").write_bytes(b"junk")
    with pytest.raises(ImageError, match="1 of 80"):
        check_images(df, tmp_path, n_workers=4)
