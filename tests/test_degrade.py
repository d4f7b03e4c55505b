"""Tests of galbias.methods.degrade: the PSF transform that moves a galaxy to a lower alpha."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from galbias.methods.degrade import border_noise, degrade_images, psf_sigma_pixels


def _gauss_image(sigma_px: float, size: int = 48, noise: float = 3.0, seed: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    g = 200 * np.exp(-0.5 * (xx**2 + yy**2) / sigma_px**2)
    rng = np.random.default_rng(seed)
    img = np.repeat(g[..., None], 3, axis=2) + 20 + rng.normal(0, noise, (size, size, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)[None]


def _width(img: np.ndarray) -> float:
    x = img[0, ..., 0].astype(float) - 20
    x = np.clip(x, 0, None)
    yy, xx = np.mgrid[: x.shape[0], : x.shape[1]] - (x.shape[0] - 1) / 2
    return float(np.sqrt((x * (xx**2 + yy**2)).sum() / x.sum() / 2))


def test_a_point_source_gets_the_target_psf():
    # a point-like source blurred only by the PSF (sigma 2 px) at alpha 20, moved to alpha 10:
    # the PSF doubles, so the image's width doubles
    img = _gauss_image(2.0, noise=0.0)
    out = degrade_images(img, 20.0, 10.0, 2.0, restore_noise=False)
    assert _width(out) == pytest.approx(4.0, rel=0.08)
    same = degrade_images(img, 10.0, 12.0, 2.0)  # a target above alpha: unchanged
    assert np.array_equal(same, img)


def test_noise_is_restored_and_inputs_checked():
    img = _gauss_image(2.0, noise=4.0)
    blurred = degrade_images(img, 30.0, 6.0, 1.5, restore_noise=False)
    restored = degrade_images(img, 30.0, 6.0, 1.5, rng=np.random.default_rng(1))
    n0, nb, nr = border_noise(img)[0], border_noise(blurred)[0], border_noise(restored)[0]
    assert nb < 0.5 * n0 and nr == pytest.approx(n0, rel=0.25)
    with pytest.raises(ValueError, match="uint8"):
        degrade_images(img.astype(float), 30.0, 6.0, 1.5)
    with pytest.raises(ValueError, match="alpha_target must be finite"):
        degrade_images(img, 30.0, 0.0, 1.5)


def test_psf_sigma_in_pixels_from_the_catalog():
    cat = pd.DataFrame({"psfWidth_r": [2.3548, 1.17741], "petroR90_r": [10.0, 5.0]})
    # 48 px over 4 R90: 40"/48 px and 20"/48 px per frame -> sigma 1" and 0.5"
    s = psf_sigma_pixels(cat, 4.0, 48)
    assert s == pytest.approx([1.2, 1.2], rel=1e-4)
    with pytest.raises(KeyError, match="petroR90_r"):
        psf_sigma_pixels(cat.drop(columns="petroR90_r"), 4.0, 48)
