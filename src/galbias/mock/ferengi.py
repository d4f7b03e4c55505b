"""Simulated volunteers under FERENGI's treatment: nearby mock disks moved to z = 0.3-1.0 and
seen through an HST-like camera (the simulated side of chapter 2's FERENGI comparison).

The real experiment (:mod:`galbias.data.ferengi`) showed volunteers SDSS galaxies at
z < 0.03 redrawn as if they were at ``sim_redshift`` and observed with HST/ACS.  Here the same
is done to the mock's galaxies, by changing the rows the simulated volunteers read and
calling :func:`galbias.mock.volunteers.vote_probabilities` on them (that module is not
changed; nothing here renders an image):

1. **Input galaxies** (:func:`nearby_featured`): true disks at ``z < Z_NEAR`` whose expected
   features share at SDSS resolution (``true_p_features`` of the careful volunteers) is at
   least :data:`galbias.data.ferengi.FEATURED_MIN`, as for the real galaxies.  The real ones lie
   at z = 0.007-0.027; the mock survey starts at z = 0.01, so the cut is a little wider
   (0.035) to keep a few hundred galaxies on the small profiles.
2. **Distance** (:func:`redshifted`): angular sizes (``sim_disk_h``, ``sim_bulge_re``,
   ``sim_bar_len``) are multiplied by ``D_A(z0) / D_A(z_sim)``; the flux by
   ``(D_L(z0) / D_L(z_sim))^2``, i.e. ``sim_mag_r`` gains ``DM(z_sim) - DM(z0)``.  Together the
   surface brightness falls by ``((1 + z0) / (1 + z_sim))^4``.  No band shift and no new
   K-correction: the HST band is taken to see the light the SDSS r band saw (FERENGI instead
   fits a spectrum to every pixel and moves it through the new filter), so colour changes of
   real galaxies are not reproduced.
3. **Evolution**: the galaxy is brightened by ``e * z_sim`` magnitudes.  This reads FERENGI's
   evolution parameter as magnitudes per unit redshift (``M_evo = M - e z``, Barden et al.
   2008), which is how we remember the FERENGI code; it is **not confirmed** from the GZ:Hubble
   files or text we could find.  If ``e`` were instead a total brightening in magnitudes, the
   mock's points for ``e > 0`` at ``z_sim < 1`` would be too faint by ``e (1 - z_sim)`` mag.
   (Using ``e (z_sim - z0)`` instead would change the brightening by less than 0.11 mag.)
4. **Camera**: a PSF of :data:`HST_PSF_FWHM` (ACS/WFC in F814W) widened by the pixel
   :data:`HST_PIXEL` (FERENGI's COSMOS output grid) added in quadrature as a box of width p
   (``sigma = p / sqrt(12)``), giving :func:`effective_fwhm` in ``psfWidth_r``; and the sky
   noise of a COSMOS-like single-orbit F814W image, 5-sigma point-source depth
   :data:`HST_DEPTH_5SIG` AB, in ``sim_noise_1arcsec`` (:func:`noise_for_depth` turns a depth
   into the region module's noise unit, the same way ``NOISE_1ARCSEC_REF`` relates to SDSS's
   r ~ 22.2 depth).  The foreground extinction of each galaxy's SDSS field is kept.

**Distances beyond z = 0.5** come from :mod:`galbias.data.cosmology` too (astropy's WMAP9
above its table).

The volunteers then judge :func:`~galbias.mock.volunteers.feature_visibility` of the new rows
and their expected features share is ``true_p_features``; :func:`simulate` returns one row per
galaxy and ``(sim_redshift, sim_evolution)`` in the column names of the real table, so
:func:`galbias.data.ferengi.summarize` summarises both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core import seeds
from ..data import cosmology as cosmo
from ..data.ferengi import FEATURED_MIN
from .regions import region_arrays
from .volunteers import vote_probabilities

__all__ = ["HST_DEPTH_5SIG", "HST_PIXEL", "HST_PSF_FWHM", "SIM_EVOLUTIONS", "SIM_REDSHIFTS", "Z_NEAR",
           "effective_fwhm", "hst_settings",
           "nearby_featured", "noise_for_depth", "redshifted", "simulate"]

#: ACS/WFC F814W PSF FWHM in arcsec
HST_PSF_FWHM = 0.10
#: output pixel in arcsec (FERENGI's COSMOS grid)
HST_PIXEL = 0.05
#: 5-sigma point-source depth (AB) of a COSMOS-like single-orbit ACS F814W image
HST_DEPTH_5SIG = 27.2
#: input galaxies are mock disks nearer than this
Z_NEAR = 0.035
#: the real FERENGI grid (data/ferengi): target redshifts and evolution values
SIM_REDSHIFTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
SIM_EVOLUTIONS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
#: random stream (of cfg.seed) for the volunteers' star/artifact share in vote_probabilities
STREAM = 20
FWHM_PER_SIGMA = 2.3548
#: columns that describe the SDSS observation and are no longer true after redshifting
STALE = ["petroMag_r", "petroRad_r", "petroR50_r", "petroR90_r"]


def effective_fwhm(psf_fwhm: float = HST_PSF_FWHM, pixel: float = HST_PIXEL) -> float:
    """PSF FWHM widened by a box pixel of side ``pixel`` (variance p^2 / 12), in arcsec."""
    return float(np.hypot(psf_fwhm, FWHM_PER_SIGMA * pixel / np.sqrt(12.0)))


def noise_for_depth(depth_5sig: float, fwhm: float) -> float:
    """Sky noise (nanomaggies/arcsec^2 averaged over 1 arcsec^2, the unit of
    :mod:`galbias.mock.regions`) of an image whose 5-sigma point-source depth is ``depth_5sig``
    (AB) with a PSF of ``fwhm`` arcsec: the optimal aperture of a Gaussian PSF has area
    ``4 pi sigma^2``, and sky-limited noise grows as the square root of the area."""
    sigma = fwhm / FWHM_PER_SIGMA
    flux_5sig = 10 ** (-0.4 * (depth_5sig - 22.5))  # nanomaggies
    return float(flux_5sig / 5.0 / np.sqrt(4 * np.pi * sigma**2))


def nearby_featured(pop: pd.DataFrame, seed: int, z_max: float = Z_NEAR,
                    min_share: float = FEATURED_MIN) -> pd.DataFrame:
    """True disks of ``pop`` (from :func:`galbias.mock.draw_population`) at ``z < z_max`` whose
    expected features share at SDSS resolution is at least ``min_share``; adds that share
    (``p_features_sdss``) and the visibility (``visibility_sdss``)."""
    near = pop[(pop["true_class"] == 1) & (pop["z"] < z_max)].reset_index(drop=True)
    probs = vote_probabilities(near, seeds.rng(seed, STREAM))
    near["p_features_sdss"] = probs["true_p_features"].to_numpy()
    near["visibility_sdss"] = probs["true_feature_visibility"].to_numpy()
    return near[near["p_features_sdss"] >= min_share].reset_index(drop=True)


def redshifted(rows: pd.DataFrame, z_sim: float, evolution: float, psf_fwhm: float | None = None,
               noise: float | None = None) -> pd.DataFrame:
    """``rows`` as they would look at ``z_sim`` with ``evolution`` mag per unit redshift of
    brightening, through the HST-like camera (module docstring, steps 2-4).

    ``z`` becomes ``z_sim`` and the original redshift is kept in ``redshift``; ``size_ratio``
    and ``flux_ratio`` record the factors applied (``flux_ratio`` without the evolution term).
    """
    out = rows.copy()
    z0 = out["z"].to_numpy(float)
    size = cosmo.angular_diameter_distance_kpc(z0) / cosmo.angular_diameter_distance_kpc(np.full(len(out), z_sim))
    dm = cosmo.distance_modulus(np.full(len(out), z_sim)) - cosmo.distance_modulus(z0)
    for c in ("sim_disk_h", "sim_bulge_re", "sim_bar_len"):
        out[c] = out[c].to_numpy(float) * size
    out["sim_mag_r"] = out["sim_mag_r"].to_numpy(float) + dm - evolution * z_sim
    fwhm = effective_fwhm() if psf_fwhm is None else psf_fwhm
    out["psfWidth_r"] = fwhm
    out["sim_noise_1arcsec"] = noise_for_depth(HST_DEPTH_5SIG, fwhm) if noise is None else noise
    out[[c for c in STALE if c in out.columns]] = np.nan
    out["redshift"] = z0
    out["z"] = z_sim
    out["size_ratio"] = size
    out["flux_ratio"] = 10 ** (-0.4 * dm)
    return out


def simulate(pop: pd.DataFrame, seed: int, sim_redshifts: Sequence[float] = SIM_REDSHIFTS,
             evolutions: Sequence[float] = SIM_EVOLUTIONS, z_max: float = Z_NEAR,
             min_share: float = FEATURED_MIN) -> pd.DataFrame:
    """Expected features share of the simulated volunteers for each nearby featured mock disk
    (:func:`nearby_featured`) at every ``(sim_redshift, sim_evolution)``.

    One row per galaxy and cell: ``dr7objid``, ``redshift`` (its own z), ``sim_redshift``,
    ``sim_evolution``, ``p_features``, ``p_features_sdss``, ``p_rel`` (their ratio),
    ``visibility`` (and ``visibility_sdss``), ``size_ratio``, ``flux_ratio`` and
    ``sb_ratio`` (surface-brightness factor without evolution).  Each call of the volunteers
    uses the same random stream, so a galaxy keeps its small star/artifact share everywhere.
    """
    base = nearby_featured(pop, seed, z_max, min_share)
    keep = ["dr7objid", "p_features_sdss", "visibility_sdss"]
    parts = []
    for zs in sim_redshifts:
        for e in evolutions:
            rows = redshifted(base, float(zs), float(e))
            probs = vote_probabilities(rows, seeds.rng(seed, STREAM))
            part = rows[keep + ["redshift", "size_ratio", "flux_ratio"]].copy()
            part["sim_redshift"], part["sim_evolution"] = float(zs), float(e)
            part["p_features"] = probs["true_p_features"].to_numpy()
            part["visibility"] = probs["true_feature_visibility"].to_numpy()
            parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["sb_ratio"] = out["flux_ratio"] / out["size_ratio"] ** 2
    out["p_rel"] = out["p_features"] / out["p_features_sdss"]
    return out


def hst_settings() -> dict[str, float]:
    """The camera of the simulated side, for the text: PSF and pixel (arcsec), effective FWHM,
    depth (AB), sky noise, and that noise as a fraction of the SDSS-like regions' median."""
    fwhm = effective_fwhm()
    noise = noise_for_depth(HST_DEPTH_5SIG, fwhm)
    sdss = float(np.nanmedian(region_arrays()["noise_1arcsec"][1:]))
    return {"hst_psf_fwhm": HST_PSF_FWHM, "hst_pixel": HST_PIXEL, "hst_fwhm_eff": fwhm, "hst_depth": HST_DEPTH_5SIG,
            "hst_noise": noise, "hst_noise_vs_sdss": noise / sdss}
