"""The four sky regions of chapter 9: one definition of their boxes on the sky.

The boxes echo Dhar & Shamir's fields: regions 1-3 have the RA/Dec ranges of their
Pan-STARRS data sets 1-3 (2 and 3 are neighbours near the north Galactic pole, 1 is in the
south Galactic cap) and region 4 the RA range of their SDSS data set A, at intermediate
Galactic latitude.  Boxes are half-open: ``ra_min <= ra < ra_max``, ``dec_min <= dec < dec_max``.

The simulated survey (:mod:`galbias.mock.regions`) adds observing conditions to these boxes;
the real-data catalog only needs :func:`assign_region`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SKY_BOXES", "SkyBox", "assign_region"]


@dataclass(frozen=True)
class SkyBox:
    """One region's box on the sky (degrees)."""

    region: int
    name: str
    ra_min: float
    ra_max: float
    dec_min: float
    dec_max: float

    @property
    def area_deg2(self) -> float:
        """Solid angle of the box in square degrees."""
        d2r = np.pi / 180
        return float((self.ra_max - self.ra_min) * (np.sin(self.dec_max * d2r) - np.sin(self.dec_min * d2r)) / d2r)


SKY_BOXES: tuple[SkyBox, ...] = (
    SkyBox(1, "south Galactic cap (RA 0-20, Dec 0-20)", 0.0, 20.0, 0.0, 20.0),
    SkyBox(2, "north cap, low Dec (RA 180-200, Dec 0-20)", 180.0, 200.0, 0.0, 20.0),
    SkyBox(3, "north cap, high Dec (RA 180-200, Dec 20-40)", 180.0, 200.0, 20.0, 40.0),
    SkyBox(4, "intermediate latitude (RA 240-260, Dec 15-35)", 240.0, 260.0, 15.0, 35.0),
)


def assign_region(ra, dec) -> np.ndarray:
    """Region code (1-4; 0 outside every box) of each position; RA is taken modulo 360."""
    ra = np.mod(np.asarray(ra, dtype=float), 360.0)
    dec = np.asarray(dec, dtype=float)
    ra, dec = np.broadcast_arrays(ra, dec)
    out = np.zeros(ra.shape, dtype=np.int64)
    for b in SKY_BOXES:
        inside = (ra >= b.ra_min) & (ra < b.ra_max) & (dec >= b.dec_min) & (dec < b.dec_max)
        out[inside & (out == 0)] = b.region
    return out
