"""Rendering the survey and high-resolution images of the simulated galaxies.

All work is vectorised over batches of galaxies (arrays of shape ``(batch, band, y, x)``).
Image values are surface brightnesses in nanomaggies per arcsec^2 in the SDSS g, r, i
bands, so noise, galaxy light and the colour stretch have physical meaning.

**Geometry.**  As in GZ2's cut-outs, the pixel scale follows the galaxy's size: a frame
of ``size`` pixels spans ``fov_r90 x petroR90_r`` arcsec, so every galaxy fills a
similar fraction of its image, and the PSF, fixed in arcsec, covers more pixels when a
galaxy is small (alpha low).  The galaxy sits at the frame centre.

**Light.**  A smooth galaxy is one elliptical Sérsic profile.  A disk galaxy is a Sérsic
bulge plus an inclined exponential disk (in-plane radius ``R`` from the projected
coordinates), whose light is redistributed azimuthally into ``m`` logarithmic spiral arms
``((1 + cos psi)/2)^p`` with ``psi = m (theta - ln(R/h) / tan(pitch)) + phase`` (the
mean over an annulus is kept, so arms move light without adding any), switched on outside
the bar or 0.8 scale lengths, plus an optional Gaussian bar.  Each component has its own
colour (``g - r`` from the population, ``r - i = 0.10 + 0.40 (g - r)``), and the images
are dimmed and reddened by the region's dust (the *catalog* magnitudes are corrected for
it, the pixels are not).  Cusps are softened by 0.3 pixel.

**Observation.**  The model is Fourier transformed once per batch, multiplied by the
Gaussian PSF's transfer function ``exp(-2 pi^2 sigma^2 |k|^2)`` and transformed back.
The survey view uses the galaxy's own PSF (``psfWidth_r``); the high-resolution view a
0.1" FWHM PSF.  Resampling a cut-out onto its pixel grid adds a blur of about half a
pixel, added in quadrature to both PSFs (``PIXEL_BLUR``), which also keeps the images free
of aliasing.  Note what this means for small images: with 64 pixels across 4.14 R90 the
PSF sigma is smaller than a pixel once alpha exceeds about 13, so above that the *images*
are limited by their pixels, whereas GZ2's volunteers judged 424-pixel cut-outs that are
PSF-limited up to alpha ~ 40; the simulated volunteers see the latter
(:mod:`galbias.mock.volunteers`).  Point sources (foreground stars drawn from the
region's star density, and the star of class-2 "star" objects) are added afterwards as
Gaussians of the same effective PSF.  Sky noise is white Gaussian noise
(:func:`gaussian_noise`) whose level comes from the region (:mod:`galbias.mock.regions`):
the noise averaged over 1 arcsec^2, divided by the pixel size (or by SDSS's 0.396" pixel
when the cut-out oversamples the detector).  The high-resolution view has 1/20 of the
survey noise (re-using the noise field of another galaxy's survey image).  Class-2
"trail" objects get a satellite trail in one band (SDSS takes the bands at different
moments, so trails are coloured).

**Display.**  :func:`to_rgb` maps i, r, g to red, green, blue with a fixed asinh stretch
(Lupton et al. 2004), the same for every galaxy so brightness and colour differences are
real; :func:`encode_jpeg` writes the JPEG with Pillow.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.fft as sfft
from PIL import Image
from scipy import special

from . import profiles
from .regions import EXTINCTION_COEFF, region_arrays

#: g, r, i noise relative to r (SDSS depths: g ~ r, i about 0.9 mag shallower)
NOISE_BAND = np.array([1.0, 1.0, 1.8], dtype=np.float32)
SDSS_PIXEL = 0.396
HIRES_FWHM = 0.1
HIRES_NOISE = 0.05
#: the cut-out's resampling blurs like an extra Gaussian of this sigma (pixels), in quadrature
PIXEL_BLUR = 0.5
SOFTEN_PX = 0.3
#: display: per-band scaling (g, r, i), softening (nanomaggies/arcsec^2) and saturation
RGB_SCALE = np.array([1.7, 1.2, 1.0], dtype=np.float32)
STRETCH_SOFT = 0.35
STRETCH_MAX = 60.0
#: foreground stars: r magnitudes from the bright limit to 21 with N(<m) ~ 10^(0.3 m)
STAR_MAG_RANGE = (14.0, 21.0)


def r_minus_i(g_minus_r: np.ndarray) -> np.ndarray:
    """r - i colour used for every component, a linear fit to the galaxy colour sequence."""
    return 0.10 + 0.40 * np.asarray(g_minus_r)


def band_factors(g_minus_r: np.ndarray, ebv: np.ndarray) -> np.ndarray:
    """Flux in (g, r, i) per unit r flux for a colour g-r, reddened by E(B-V) -> (N, 3)."""
    gr = np.asarray(g_minus_r, float)
    ebv = np.asarray(ebv, float)
    e_gr = (EXTINCTION_COEFF["g"] - EXTINCTION_COEFF["r"]) * ebv
    e_ri = (EXTINCTION_COEFF["r"] - EXTINCTION_COEFF["i"]) * ebv
    return np.stack([10 ** (-0.4 * (gr + e_gr)), np.ones_like(gr), 10 ** (0.4 * (r_minus_i(gr) - e_ri))],
                    axis=1).astype(np.float32)


@dataclass
class Views:
    """Rendered images of one batch (surface brightness, nanomaggies/arcsec^2)."""

    survey: np.ndarray      #: (B, 3, S, S) g, r, i survey images with noise
    hires: np.ndarray | None  #: (B, 3, Sh, Sh) high-resolution views (None if not asked)
    pixscale: np.ndarray    #: (B,) survey arcsec per pixel
    psf_px: np.ndarray      #: (B,) survey PSF sigma in pixels
    noise: np.ndarray       #: (B, 3) survey pixel noise (same units as the images)


def _coords(size: int, pix: np.ndarray):
    k = (np.arange(size, dtype=np.float32) - (size - 1) / 2.0)
    p = pix.astype(np.float32)[:, None, None]
    return k[None, None, :] * p, k[None, :, None] * p  # x (B,1,S), y (B,S,1)


Params = Mapping[str, np.ndarray]


def as_params(df: pd.DataFrame | Params) -> dict[str, np.ndarray]:
    """The population columns rendering needs, as plain arrays (fast to slice)."""
    if not isinstance(df, pd.DataFrame):
        return dict(df)
    return {c: df[c].to_numpy() for c in df.columns
            if c.startswith("sim_") or c in RENDER_COLUMNS}


RENDER_COLUMNS = ("true_class", "true_object", "true_bulge_frac", "true_n_arms", "true_pitch_deg",
                  "true_arm_contrast", "extinction_r", "petroMag_r", "petroR90_r", "psfWidth_r", "region",
                  "dr7objid")


def _a(b: Params, name: str, dtype=float) -> np.ndarray:
    return np.asarray(b[name], dtype=dtype)


def _len(b: Params) -> int:
    return len(b["petroR90_r"])


def _take(b: Params, idx) -> dict[str, np.ndarray]:
    return {k: v[idx] for k, v in b.items()}


def _f32(a) -> np.ndarray:
    """A per-galaxy parameter as float32, shaped to broadcast over (galaxy, y, x)."""
    return np.asarray(a, dtype=np.float32)[:, None, None]


def _arm_pattern(s: Params, X: np.ndarray, Y: np.ndarray, Rh: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Spiral-arm pattern of unit mean in the disk plane: ``((1 + cos psi) / 2)^p`` normalised, with
    ``psi = m (theta - ln(R/h) / tan(pitch)) + phase``."""
    pitch = np.radians(np.nan_to_num(_a(s, "true_pitch_deg", float), nan=20.0))
    wind = _a(s, "sim_chirality", float) / np.tan(pitch)
    psi = np.arctan2(Y, X)
    psi -= _f32(wind) * np.log(Rh)
    psi *= _f32(m)
    psi += _f32(_a(s, "sim_arm_phase"))
    p = _a(s, "sim_arm_sharp", int)
    pattern = np.cos(psi, out=psi)
    pattern += 1.0
    pattern *= 0.5
    np.power(pattern, _f32(p), out=pattern)
    pattern *= _f32(4.0**p / special.comb(2 * p, p))  # divide by the mean of the pattern
    return pattern


def _bar_component(comps: np.ndarray, s: Params, X: np.ndarray, Y: np.ndarray, f_bar: np.ndarray,
                   qd: np.ndarray) -> None:
    """Fill ``comps[:, 3]`` with each galaxy's bar (flux ``f_bar``): a Gaussian in the disk plane."""
    ang = _a(s, "sim_bar_angle", float)
    sx = _a(s, "sim_bar_len", float) / 2
    sy = sx * _a(s, "sim_bar_q", float)
    has_bar = _a(s, "sim_bar_frac", float) > 0
    comps[:, 3] = 0.0
    if has_bar.any():
        k = np.flatnonzero(has_bar)
        ca, sa = _f32(np.cos(ang[k])), _f32(np.sin(ang[k]))
        Xb = (X[k] * ca + Y[k] * sa) * _f32(1 / sx[k])
        Yb = (Y[k] * ca - X[k] * sa) * _f32(1 / sy[k])
        comps[k, 3] = np.exp(-0.5 * (Xb * Xb + Yb * Yb)) * _f32(f_bar[k] / (2 * np.pi * sx[k] * sy[k] * qd[k]))


def _galaxy_model(b: Params, size: int, pix: np.ndarray) -> np.ndarray:
    """Unblurred (B, 3, S, S) surface-brightness model of the galaxies in ``b``.

    Each galaxy is a sum of components (main = whole smooth galaxy or bulge; disk; arms;
    bar) with their own colours; the (B, K, S*S) component images are combined into the
    three bands with one batched matrix product by the (B, 3, K) colour factors.
    """
    B = _len(b)
    model = np.zeros((B, 3, size, size), dtype=np.float32)
    cls = _a(b, "true_class", None)
    flux = 10 ** (-0.4 * (_a(b, "sim_mag_r", float) + _a(b, "extinction_r", float) - 22.5))
    ebv = _a(b, "sim_ebv", float)
    for kind in (0, 1):
        sel = np.flatnonzero(cls == kind)
        if len(sel) == 0:
            continue
        s = _take(b, sel)
        nb = len(sel)
        comps = np.empty((nb, 1 if kind == 0 else 4, size, size), dtype=np.float32)
        x, y = _coords(size, pix[sel])
        pa = _f32(_a(s, "sim_pa"))
        c, sn = np.cos(pa), np.sin(pa)
        xr = x * c + y * sn
        yr = y * c - x * sn
        soft2 = _f32((SOFTEN_PX * pix[sel]) ** 2)
        # main component: the whole smooth galaxy, or the bulge of a disk
        bt = _a(s, "true_bulge_frac", float) if kind == 1 else np.ones(nb)
        n = _a(s, "sim_bulge_n", float)
        re = _a(s, "sim_bulge_re", float)
        q = _a(s, "sim_bulge_q", float)
        i0 = profiles.sersic_central(flux[sel] * bt, n, re, q)
        r_ell = np.sqrt(xr * xr + (yr * _f32(1 / q)) ** 2 + soft2)
        r_ell *= _f32(1 / re)
        u = np.power(r_ell, _f32(1.0 / n), out=r_ell)
        u *= _f32(-profiles.sersic_b(n))
        comps[:, 0] = np.exp(u, out=u)
        comps[:, 0] *= _f32(i0)
        colours = [band_factors(_a(s, "sim_gr_main", float), ebv[sel])]
        if kind == 1:
            # disk, in-plane coordinates (X along the major axis)
            qd = _a(s, "sim_disk_q", float)
            h = _a(s, "sim_disk_h", float)
            X, Y = xr, yr * _f32(1 / qd)
            R = np.sqrt(X * X + Y * Y + soft2)
            Rh = R * _f32(1 / h)
            barf = _a(s, "sim_bar_frac", float)
            f_disk = flux[sel] * (1 - bt) * (1 - barf)
            base = np.exp(-Rh)
            base *= _f32(f_disk / (2 * np.pi * h**2 * qd))
            m = _a(s, "true_n_arms", float)
            pattern = _arm_pattern(s, X, Y, Rh, m)
            r_in = np.maximum(_a(s, "sim_bar_len", float) * (barf > 0), 0.8 * h)
            arm_w = R * _f32(1 / r_in)
            arm_w *= arm_w
            np.exp(-arm_w, out=arm_w)
            arm_w = (1 - arm_w) * _f32(_a(s, "true_arm_contrast") * (m > 0))
            comps[:, 2] = base * arm_w * pattern
            comps[:, 1] = base * (1 - arm_w)
            # bar: a Gaussian in the disk plane, bulge-coloured
            _bar_component(comps, s, X, Y, flux[sel] * (1 - bt) * barf, qd)
            colours += [band_factors(_a(s, "sim_gr_disk", float), ebv[sel]),
                        band_factors(_a(s, "sim_gr_arm", float), ebv[sel]), colours[0]]
        factors = np.stack(colours, axis=2)  # (nb, 3, K)
        model[sel] = np.matmul(factors, comps.reshape(nb, comps.shape[1], -1)).reshape(nb, 3, size, size)
    return model


@dataclass
class PointSources:
    """Point sources of a batch: which image, position (pixels from the frame centre,
    in units of the *survey* pixel), (g, r, i) fluxes in nanomaggies, and the survey pixel
    size (arcsec) of their image."""

    index: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    flux: np.ndarray
    pix: np.ndarray


def draw_point_sources(b: Params, size: int, pix: np.ndarray, rng: np.random.Generator) -> PointSources:
    """Foreground stars (Poisson, from the region's density and the frame's area) plus the
    central star of class-2 "star" objects."""
    area_deg2 = (size * pix / 3600.0) ** 2
    dens = region_arrays()["star_density"][_a(b, "region", int)]
    counts = rng.poisson(dens * area_deg2)
    idx = np.repeat(np.arange(_len(b)), counts)
    ns = len(idx)
    half = size / 2.0
    dx = rng.uniform(-half, half, ns)
    dy = rng.uniform(-half, half, ns)
    lo, hi = STAR_MAG_RANGE
    mag = hi + np.log10(1 - rng.random(ns) * (1 - 10 ** (0.3 * (lo - hi)))) / 0.3
    gr = rng.uniform(0.3, 1.4, ns)
    ebv = _a(b, "sim_ebv", float)[idx]
    flux = 10 ** (-0.4 * (mag - 22.5))[:, None] * band_factors(gr, ebv)
    # class-2 stars: a bright star at the centre
    star = np.flatnonzero(_a(b, "true_object", None) == "star")
    if len(star):
        m = _a(b, "petroMag_r", float)[star] + _a(b, "extinction_r", float)[star] - 0.3
        gr_c = rng.uniform(0.2, 1.3, len(star))
        f_c = 10 ** (-0.4 * (m - 22.5))[:, None] * band_factors(gr_c, _a(b, "sim_ebv", float)[star])
        idx = np.concatenate([idx, star])
        dx = np.concatenate([dx, rng.uniform(-0.5, 0.5, len(star))])
        dy = np.concatenate([dy, rng.uniform(-0.5, 0.5, len(star))])
        flux = np.concatenate([flux, f_c])
    return PointSources(idx, dx, dy, flux.astype(np.float32), pix[idx])


def _freqs(size: int):
    fy = sfft.fftfreq(size).astype(np.float32)[:, None]
    fx = sfft.rfftfreq(size).astype(np.float32)[None, :]
    return fy, fx


def _add_points(img: np.ndarray, pts: PointSources, sigma_px: np.ndarray, scale: float) -> None:
    """Add point sources (positions in survey pixels x ``scale``) to images in place, as
    Gaussians of the image's effective PSF sampled at the pixel centres."""
    if len(pts.index) == 0:
        return
    size = img.shape[-1]
    k = np.arange(size, dtype=np.float32) - (size - 1) / 2.0
    sig = sigma_px[pts.index].astype(np.float32)[:, None]
    gx = np.exp(-0.5 * ((k[None, :] - (pts.dx * scale).astype(np.float32)[:, None]) / sig) ** 2)
    gy = np.exp(-0.5 * ((k[None, :] - (pts.dy * scale).astype(np.float32)[:, None]) / sig) ** 2)
    # surface brightness: flux / (2 pi sigma^2 pixel^2)
    amp = pts.flux / (2 * np.pi * (sig * pts.pix[:, None] / scale) ** 2)
    order = np.argsort(pts.index, kind="stable")
    idx = pts.index[order]
    rank = np.arange(len(idx)) - np.searchsorted(idx, idx)
    for r in range(int(rank.max()) + 1):  # the r-th star of every image at once
        sel = order[rank == r]
        img[pts.index[sel]] += (amp[sel].astype(np.float32)[:, :, None, None]
                                * (gy[sel][:, None, :, None] * gx[sel][:, None, None, :]))


def _blur(ft: np.ndarray, sigma_px: np.ndarray, size: int) -> np.ndarray:
    fy, fx = _freqs(size)
    k2 = (fy**2 + fx**2)[None, None]
    transfer = np.exp(-2 * np.pi**2 * (sigma_px.astype(np.float32)[:, None, None, None] ** 2) * k2)
    return sfft.irfft2(ft * transfer, s=(size, size), axes=(-2, -1), overwrite_x=True)


def _add_trails(img: np.ndarray, b: Params, sigma_px: np.ndarray, rng: np.random.Generator) -> None:
    trail = np.flatnonzero(_a(b, "true_object", None) == "trail")
    if len(trail) == 0:
        return
    size = img.shape[-1]
    k = np.arange(size, dtype=np.float32) - (size - 1) / 2.0
    for t in trail:
        ang = rng.uniform(0, np.pi)
        off = rng.uniform(-0.15, 0.15) * size
        band = rng.integers(0, 3)
        amp = rng.uniform(0.5, 5.0)
        d = k[None, :] * np.sin(ang) - k[:, None] * np.cos(ang) - off
        w = max(float(sigma_px[t]), 0.7)
        img[t, band] += (amp * np.exp(-0.5 * (d / w) ** 2)).astype(np.float32)


@lru_cache(maxsize=1)
def _normal_table() -> np.ndarray:
    return special.ndtri((np.arange(65536) + 0.5) / 65536).astype(np.float32)


def gaussian_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal deviates (float32) by table look-up of 16-bit uniform integers.

    Three times faster than ``rng.standard_normal``; the deviates take 65,536 values and
    stop at +-4.3 sigma, which no image can tell apart from true Gaussian noise.
    """
    return _normal_table()[rng.integers(0, 65536, size=shape, dtype=np.uint16)]


def render_batch(b: Params, size: int, fov_r90: float, rng: np.random.Generator,
                 hires_size: int = 0) -> Views:
    """Survey (and, if ``hires_size`` > 0, high-resolution) images of the objects in ``b``.

    ``b`` holds rows of the population (:func:`galbias.mock.population.draw_population`),
    as a DataFrame or as a mapping of arrays (:func:`as_params`, faster to slice).
    All random choices (noise, foreground stars, trails) come from ``rng``.
    """
    b = as_params(b)
    pix = (fov_r90 * _a(b, "petroR90_r", float) / size)
    sigma_as = _a(b, "psfWidth_r", float) / 2.3548
    psf_px = np.hypot(sigma_as / pix, PIXEL_BLUR)
    pts = draw_point_sources(b, size, pix, rng)

    model = _galaxy_model(b, size, pix)
    ft = sfft.rfft2(model, axes=(-2, -1))
    survey = _blur(ft, psf_px, size)
    _add_points(survey, pts, psf_px, 1.0)
    _add_trails(survey, b, psf_px, rng)
    noise1 = region_arrays()["noise_1arcsec"][_a(b, "region", int)]
    noise = (noise1 / np.maximum(pix, SDSS_PIXEL))[:, None].astype(np.float32) * NOISE_BAND[None, :]
    unit = gaussian_noise(rng, survey.shape)
    survey += unit * noise[:, :, None, None]

    hires = None
    if hires_size:
        hpix = fov_r90 * _a(b, "petroR90_r", float) / hires_size
        hpsf = np.hypot(HIRES_FWHM / 2.3548 / hpix, PIXEL_BLUR)
        hft = ft if hires_size == size else sfft.rfft2(_galaxy_model(b, hires_size, hpix), axes=(-2, -1))
        hires = _blur(hft, hpsf, hires_size)
        _add_points(hires, pts, hpsf, hires_size / size)
        hnoise = noise * HIRES_NOISE * (np.maximum(pix, SDSS_PIXEL) / np.maximum(hpix, SDSS_PIXEL))[:, None]
        # the faint noise of the high-resolution view re-uses the unit noise fields of the
        # *previous* galaxy's survey image: unrelated to this galaxy's survey pixels, and free
        hn = hnoise[:, :, None, None]
        if hires_size == size and len(pix) > 1:
            hires[1:] += unit[:-1] * hn[1:]
            hires[0] += unit[-1] * hn[0]
        else:
            hires += gaussian_noise(rng, hires.shape) * hn
    return Views(survey=survey, hires=hires, pixscale=pix, psf_px=psf_px, noise=noise)


def to_rgb(img: np.ndarray) -> np.ndarray:
    """(B, 3, S, S) g, r, i surface brightness -> (B, S, S, 3) uint8 RGB (R = i, G = r, B = g).

    Lupton et al. (2004) asinh stretch on the mean of the scaled bands, the same for all
    images, so colours are preserved and saturated centres keep their hue.
    """
    s = img.transpose(0, 2, 3, 1)[..., ::-1] * RGB_SCALE[::-1]  # (B, S, S, [i, r, g])
    x = np.maximum(s.mean(axis=-1, keepdims=True), np.float32(1e-6)) * np.float32(1.0 / STRETCH_SOFT)
    f = np.arcsinh(x)
    f *= np.float32(255.0 / (STRETCH_SOFT * np.arcsinh(STRETCH_MAX / STRETCH_SOFT))) / x
    s *= f
    np.maximum(s, 0.0, out=s)
    peak = s.max(axis=-1, keepdims=True)
    np.maximum(peak, 255.0, out=peak)
    s *= np.float32(255.0) / peak
    s += np.float32(0.5)
    return s.astype(np.uint8)


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """One (S, S, 3) uint8 image as JPEG bytes (baseline, no metadata: deterministic)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()
