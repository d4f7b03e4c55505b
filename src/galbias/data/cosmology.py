"""The one set of distances of the package (WMAP9 cosmology, as the CV18 code uses).

Used by the catalog (physical Petrosian radius, :mod:`galbias.data.catalog`) and by the
simulated survey (sizes, magnitudes, volumes).  Astropy's cosmology integrals are exact but
slow per call, so the functions here tabulate
the angular-diameter distance, luminosity distance and comoving volume element once on a
fine redshift grid (0 < z <= 0.5) and interpolate.  Over the survey's range (0.01-0.25)
the interpolation error is below 3e-7 in relative terms (5e-8 at z = 0.05).  Redshifts above
the table (chapter 2's FERENGI comparison moves galaxies to z = 1) are computed by astropy's
WMAP9 itself, the same cosmology exactly.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

ARCSEC_PER_RAD = 206264.80624709636
Z_MAX_TABLE = 0.5


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from astropy.cosmology import WMAP9

    z = np.linspace(1e-4, Z_MAX_TABLE, 4000)
    da_kpc = WMAP9.angular_diameter_distance(z).to_value("kpc")
    dl_mpc = WMAP9.luminosity_distance(z).to_value("Mpc")
    dvdz = WMAP9.differential_comoving_volume(z).to_value("Mpc3 / sr")
    return z, da_kpc, dl_mpc, dvdz


def _exact(z: np.ndarray, col: int) -> np.ndarray:
    from astropy.cosmology import WMAP9

    if col == 1:
        return WMAP9.angular_diameter_distance(z).to_value("kpc")
    if col == 2:
        return WMAP9.luminosity_distance(z).to_value("Mpc")
    return WMAP9.differential_comoving_volume(z).to_value("Mpc3 / sr")


def _interp(z: np.ndarray, col: int) -> np.ndarray:
    t = _tables()
    z = np.asarray(z, dtype=float)
    if np.any(z < t[0][0]):
        raise ValueError(f"redshift below the tabulated range ({t[0][0]}): min {np.nanmin(z):g}")
    if np.all(z <= Z_MAX_TABLE):
        return np.interp(z, t[0], t[col])
    out = np.interp(np.minimum(z, Z_MAX_TABLE), t[0], t[col])
    high = z > Z_MAX_TABLE
    out[high] = _exact(z[high], col)
    return out


def angular_diameter_distance_kpc(z: np.ndarray) -> np.ndarray:
    """D_A(z) in kpc (per radian)."""
    return _interp(z, 1)


def kpc_per_arcsec(z: np.ndarray) -> np.ndarray:
    """Physical scale at redshift z: kpc subtended by one arcsecond."""
    return angular_diameter_distance_kpc(z) / ARCSEC_PER_RAD


def distance_modulus(z: np.ndarray) -> np.ndarray:
    """5 log10(D_L / 10 pc) with the WMAP9 luminosity distance."""
    return 5.0 * np.log10(_interp(z, 2) * 1e5)


def comoving_volume_element(z: np.ndarray) -> np.ndarray:
    """dV_c / dz / dOmega in Mpc^3 per steradian per unit redshift."""
    return _interp(z, 3)
