r"""Degrading well-resolved galaxy images to a lower resolution alpha (chapter 10).

The labels of well-resolved galaxies are reliable; their images can be made to look like those
of poorly resolved galaxies.  A galaxy with resolution :math:`\alpha = R_P / \sigma` (Petrosian
radius over the PSF's sigma) is brought to :math:`\alpha' < \alpha` by convolving it with a
Gaussian of

.. math::

    \sigma_{\rm extra} = \sigma\,\sqrt{(\alpha/\alpha')^2 - 1}

so that the total PSF is :math:`\sigma\,\alpha/\alpha'` (Gaussian PSFs add in quadrature).
Everything is in pixels of the image itself, from the catalog: the PSF's sigma in pixels is
``(psfWidth_r / 2.3548) / pixel_scale`` with ``pixel_scale = image_fov_r90 * petroR90_r /
image_size`` arcsec per pixel (GZ2 cut-outs and the simulated survey both scale the frame to the
galaxy's R90, so no rebinning is needed: a galaxy further away would fill the same frame).

Blurring also smooths the sky noise; :func:`degrade_images` measures the noise in the image's
border before and after and adds Gaussian noise to bring it back, so a degraded image is not
suspiciously clean.  The same transform applies to simulated and real JPEGs (uint8 RGB).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter

__all__ = ["border_noise", "degrade_images", "psf_sigma_pixels"]

FWHM_PER_SIGMA = 2.3548


def psf_sigma_pixels(catalog: pd.DataFrame, image_fov_r90: float, image_size: int) -> np.ndarray:
    """The PSF's sigma in pixels of each galaxy's image (see the module docstring)."""
    for c in ("psfWidth_r", "petroR90_r"):
        if c not in catalog.columns:
            raise KeyError(f"psf_sigma_pixels needs column {c!r}; got {list(catalog.columns)}")
    scale = float(image_fov_r90) * catalog["petroR90_r"].to_numpy(float) / int(image_size)
    return catalog["psfWidth_r"].to_numpy(float) / FWHM_PER_SIGMA / scale


def border_noise(images: np.ndarray, width: int = 3) -> np.ndarray:
    """Robust noise of each image (N, H, W, C) in a border ``width`` pixels wide: 1.4826 x the
    median absolute deviation, over the pixels and channels."""
    x = np.asarray(images, dtype=np.float32)
    w = int(width)
    edge = np.concatenate([x[:, :w].reshape(len(x), -1), x[:, -w:].reshape(len(x), -1),
                           x[:, w:-w, :w].reshape(len(x), -1), x[:, w:-w, -w:].reshape(len(x), -1)], axis=1)
    med = np.median(edge, axis=1, keepdims=True)
    return 1.4826 * np.median(np.abs(edge - med), axis=1)


def degrade_images(images: np.ndarray, alpha: Any, alpha_target: Any, psf_sigma_px: Any,
                   rng: np.random.Generator | None = None, restore_noise: bool = True) -> np.ndarray:
    """uint8 images (N, H, W, 3) of galaxies at ``alpha`` made to look as if at ``alpha_target``.

    ``psf_sigma_px`` is each image's PSF sigma in pixels (:func:`psf_sigma_pixels`).  Targets at
    or above the galaxy's own alpha leave the image unchanged (nothing can be sharpened).  With
    ``restore_noise`` the border noise is brought back to its level before the blur.
    """
    x = np.asarray(images)
    if x.ndim != 4 or x.dtype != np.uint8:
        raise ValueError(f"images must be uint8 of shape (N, H, W, C); got {x.dtype} {x.shape}")
    n = len(x)
    a, at, sp = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in (alpha, alpha_target, psf_sigma_px))
    for name, v in (("alpha", a), ("alpha_target", at), ("psf_sigma_px", sp)):
        if not np.all(np.isfinite(v) & (v > 0)):
            raise ValueError(f"{name} must be finite and > 0 for every image")
    rng = np.random.default_rng(0) if rng is None else rng
    extra = sp * np.sqrt(np.clip((a / at) ** 2 - 1.0, 0.0, None))
    out = x.astype(np.float32)
    before = border_noise(x) if restore_noise else None
    for i in np.flatnonzero(extra > 0.05):
        out[i] = gaussian_filter(out[i], sigma=(extra[i], extra[i], 0), mode="nearest")
    if restore_noise:
        after = border_noise(out)
        add = np.sqrt(np.clip(before**2 - after**2, 0.0, None))
        add[extra <= 0.05] = 0.0
        out += rng.standard_normal(out.shape).astype(np.float32) * add[:, None, None, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
