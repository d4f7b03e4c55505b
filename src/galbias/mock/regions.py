"""The four sky regions of the simulated survey and their observing conditions.

The footprint is the four 20 x 20 degree sky boxes of :mod:`galbias.data.regions` (which
echo Dhar & Shamir's fields: regions 2 and 3 adjacent near the north Galactic pole, region 1
in the south Galactic cap, region 4 at intermediate Galactic latitude).  Each region was "observed" under different conditions, and *only* the
conditions differ: galaxies are assigned to regions at random, independently of
everything about them, so the galaxy populations are identical across regions by
construction.  Any difference a classifier finds between regions therefore comes from the
images (seeing, noise, sky, foreground stars, reddening), never from the galaxies.

How big the differences are, and why they are plausible for SDSS-like imaging:

- **sky brightness** (r band): 20.7 - 21.2 mag/arcsec^2.  SDSS r-band sky ranges from about
  20.5 (bright, moon or twilight) to 21.3 mag/arcsec^2; the spread here is 0.5 mag, i.e. the
  sky flux differs by up to 58 % between regions.
- **noise factor**: a multiplier (0.9 - 1.2) on the sky-limited pixel noise beyond what the
  sky brightness implies (airmass, transparency, exposure-to-exposure differences).
  Together with the sky this makes the noisiest region about 1.7 times noisier than the
  quietest.
- **median seeing** (PSF FWHM in r): 1.20 - 1.48 arcsec.  SDSS r-band seeing has quartiles
  near 1.16 / 1.30 / 1.46 arcsec overall; each region's fields scatter around its median
  by 12 % (log-normal), so the survey as a whole matches the SDSS distribution.
- **foreground stars**: 600 - 3,000 stars per square degree brighter than r = 21 (high
  Galactic latitude near the north Galactic cap up to b ~ 40 deg); with a survey frame of
  about 4 x R90 on a side this means 0.05 - 0.5 stars per frame.
- **reddening** E(B-V): median 0.02 - 0.07 mag (Schlegel et al. 1998 maps at high latitude),
  with a log-normal scatter of 30 % between galaxies.  The catalog's ``extinction_r`` is
  A_r = 2.285 E(B-V) (Schlafly & Finkbeiner 2011 coefficients; g 3.303, i 1.698); the
  catalog magnitudes are extinction-corrected (as GZ2's selection), but the *images* are not,
  so regions with more dust have slightly redder, fainter-looking galaxies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..data.regions import SKY_BOXES, SkyBox

#: extinction per unit E(B-V) in SDSS g, r, i (Schlafly & Finkbeiner 2011, R_V = 3.1)
EXTINCTION_COEFF = {"g": 3.303, "r": 2.285, "i": 1.698}

#: sky-limited noise in the r band for the reference sky (20.9 mag/arcsec^2): standard
#: deviation of the surface brightness averaged over 1 arcsec^2, in nanomaggies/arcsec^2.
#: With a 1.4" FWHM PSF this puts the 5-sigma point-source depth near r = 22.2, as SDSS.
NOISE_1ARCSEC_REF = 0.125
SKY_REF = 20.9

#: scatter of seeing (log-normal sigma) around each region's median, and of E(B-V)
SEEING_LOG_SCATTER = 0.12
EBV_LOG_SCATTER = 0.30


@dataclass(frozen=True)
class Region(SkyBox):
    """One sky region: its box (:class:`galbias.data.regions.SkyBox`) and its observing
    conditions (see the module docstring for ranges)."""

    sky_r: float          #: sky surface brightness, r band, mag/arcsec^2
    noise_factor: float   #: extra multiplier on the sky-limited noise
    seeing_median: float  #: median PSF FWHM in r, arcsec
    star_density: float   #: foreground stars (r < 21) per square degree
    ebv: float            #: median E(B-V), mag

    @property
    def noise_1arcsec(self) -> float:
        """Sky noise (nanomaggies/arcsec^2 over 1 arcsec^2): scales as the square root of the
        sky flux, times the region's noise factor."""
        return NOISE_1ARCSEC_REF * 10 ** (-0.2 * (self.sky_r - SKY_REF)) * self.noise_factor


#: the observing conditions of each region: one place for every number that differs between regions
CONDITIONS: dict[int, dict[str, float]] = {
    1: dict(sky_r=20.85, noise_factor=1.05, seeing_median=1.36, star_density=1500.0, ebv=0.045),
    2: dict(sky_r=21.05, noise_factor=0.95, seeing_median=1.26, star_density=800.0, ebv=0.025),
    3: dict(sky_r=21.20, noise_factor=0.90, seeing_median=1.20, star_density=600.0, ebv=0.020),
    4: dict(sky_r=20.70, noise_factor=1.20, seeing_median=1.48, star_density=3000.0, ebv=0.070),
}

#: the survey footprint: the data layer's boxes with this survey's conditions
REGIONS: tuple[Region, ...] = tuple(Region(**asdict(b), **CONDITIONS[b.region]) for b in SKY_BOXES)


def region_table() -> pd.DataFrame:
    """The region table as a DataFrame (one row per region), with derived columns
    ``noise_1arcsec`` (nanomaggies/arcsec^2 over 1 arcsec^2) and ``area_deg2``."""
    rows = []
    for r in REGIONS:
        d = asdict(r)
        d["noise_1arcsec"] = r.noise_1arcsec
        d["area_deg2"] = r.area_deg2
        rows.append(d)
    return pd.DataFrame(rows).set_index("region")


@lru_cache(maxsize=1)
def region_arrays() -> dict[str, np.ndarray]:
    """Region properties as arrays indexed by region number (index 0 unused; read-only)."""
    t = region_table()
    out = {}
    for c in ("sky_r", "noise_factor", "seeing_median", "star_density", "ebv", "noise_1arcsec", "area_deg2"):
        arr = np.full(len(REGIONS) + 1, np.nan)
        arr[t.index.to_numpy()] = t[c].to_numpy(float)
        arr.flags.writeable = False
        out[c] = arr
    return out


def assign_regions(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw, for ``n`` objects, a region (probability proportional to its area), a sky
    position uniform on the sphere inside the region's box, the local seeing (PSF FWHM,
    arcsec) and E(B-V).  Nothing here looks at the objects themselves."""
    t = region_arrays()
    ids = np.array([r.region for r in REGIONS])
    p = t["area_deg2"][ids] / t["area_deg2"][ids].sum()
    region = rng.choice(ids, size=n, p=p)
    lo = np.array([np.nan] + [r.ra_min for r in REGIONS])
    hi = np.array([np.nan] + [r.ra_max for r in REGIONS])
    dlo = np.array([np.nan] + [np.sin(np.radians(r.dec_min)) for r in REGIONS])
    dhi = np.array([np.nan] + [np.sin(np.radians(r.dec_max)) for r in REGIONS])
    u, v = rng.random(n), rng.random(n)
    ra = lo[region] + u * (hi[region] - lo[region])
    dec = np.degrees(np.arcsin(dlo[region] + v * (dhi[region] - dlo[region])))
    seeing = t["seeing_median"][region] * np.exp(SEEING_LOG_SCATTER * rng.standard_normal(n))
    seeing = np.clip(seeing, 0.8, 2.4)
    ebv = t["ebv"][region] * np.exp(EBV_LOG_SCATTER * rng.standard_normal(n))
    return {"region": region.astype(np.int8), "ra": ra, "dec": dec, "psf_fwhm": seeing, "ebv": ebv}
