"""Sérsic profiles, their PSF-blurred versions, and SDSS-style Petrosian quantities.

Everything the survey *measures* about a galaxy's size goes through this module:

- :func:`sersic_b` and :func:`sersic_central` - the Sérsic law
  ``I(r) = I_0 exp(-b_n (r/r_e)^(1/n))`` with ``b_n`` chosen so that ``r_e`` encloses half
  the light, and its central intensity for a given total flux and axis ratio.
- :class:`ProfileTables` - a lookup table of circular Sérsic profiles convolved with a
  circular Gaussian PSF, as a function of the Sérsic index ``n`` (0.5-8) and of the size of
  the galaxy in units of the PSF, ``x = r_e / sigma_psf`` (0.01-300).  It holds the
  *enclosed-flux* curve ``L(<R)`` and the *surface-brightness* profile ``I(R)``, both on a
  logarithmic grid of radii ``R / sigma_psf``.
- :func:`petrosian` - the SDSS Petrosian radius (eta = 0.2, with the 0.8-1.25 annulus) and
  the radii enclosing 50 % and 90 % of the Petrosian flux, computed from enclosed-flux
  curves.  Because blurring is linear, a two-component galaxy (bulge + disk) has a
  blurred enclosed-flux curve equal to the flux-weighted sum of its components' curves,
  so the table serves both smooth galaxies and disks (:func:`component_curves`).

How the table is built (once per process, about a second): the intrinsic profile is cut
into thin rings (1 % apart in radius), the flux in each ring comes from the regularised
incomplete gamma function (the exact Sérsic growth curve), and each ring is blurred
analytically: a ring of radius ``a`` convolved with a unit Gaussian puts a fraction
``1 - Q_1(a, R)`` of its light inside radius ``R`` (``Q_1`` = Marcum Q function =
survival function of a non-central chi-square with 2 degrees of freedom).  For rings
wider than 8 sigma the Gaussian approximation ``Phi(R - a - 1/(2a))`` is used.  The
surface brightness is the radial derivative of the blurred growth curve.

The profiles are circular.  A flattened galaxy seen through SDSS's circular apertures is
approximated by a round profile of a smaller radius (see
:func:`galbias.mock.population.aperture_scale`), and the image measurements of
:mod:`galbias.mock.measure` use the circularised radius ``sqrt(q) x`` semi-major axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

#: SDSS Petrosian ratio threshold and annulus (Blanton et al. 2001; Strauss et al. 2002)
PETRO_ETA = 0.2
PETRO_INNER, PETRO_OUTER = 0.8, 1.25
#: the Petrosian flux is the flux inside this many Petrosian radii
PETRO_NRAD = 2.0

#: grids of the lookup table
N_MIN, N_MAX, N_N = 0.5, 8.0, 40
X_MIN, X_MAX, N_X = 0.01, 300.0, 64
#: radius grid in units of sigma_psf: spacing ln(1.25)/6 so that 0.8 R and 1.25 R are
#: exactly 6 grid steps away (the Petrosian annulus needs no interpolation)
R_STEP = np.log(PETRO_OUTER) / 6.0
R_MIN, R_MAX = 0.02, 4000.0


def sersic_b(n: np.ndarray | float) -> np.ndarray:
    """b_n such that r_e encloses half of the light: P(2n, b_n) = 1/2."""
    return special.gammaincinv(2.0 * np.asarray(n, dtype=float), 0.5)


def sersic_central(flux: np.ndarray, n: np.ndarray, re: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Central intensity I_0 of an elliptical Sérsic profile with total ``flux``.

    ``re`` is the semi-major half-light radius and ``q`` the axis ratio; the profile is
    ``I_0 exp(-b_n (r_ell / re)^(1/n))`` with ``r_ell`` the elliptical radius.
    """
    n = np.asarray(n, dtype=float)
    b = sersic_b(n)
    return flux * b ** (2 * n) / (2 * np.pi * n * q * re**2 * special.gamma(2 * n))


def sersic_enclosed(r_over_re: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Fraction of a (circular, unblurred) Sérsic profile's light inside r / r_e."""
    n = np.asarray(n, dtype=float)
    return special.gammainc(2 * n, sersic_b(n) * np.asarray(r_over_re, dtype=float) ** (1.0 / n))


@dataclass(frozen=True)
class ProfileTables:
    """PSF-blurred circular Sérsic profiles (see the module docstring).

    Attributes: ``ln_n`` (N_N,), ``ln_x`` (N_X,), ``ln_R`` (N_R,) grids, ``enclosed``
    (N_N, N_X, N_R) fraction of the total flux within R, and ``surface`` (N_N, N_X, N_R)
    surface brightness at R for unit total flux, all with sigma_psf = 1.
    """

    ln_n: np.ndarray
    ln_x: np.ndarray
    ln_R: np.ndarray
    enclosed: np.ndarray
    surface: np.ndarray

    @property
    def R(self) -> np.ndarray:
        return np.exp(self.ln_R)

    def _corners(self, n: np.ndarray, x: np.ndarray):
        ln_n = np.clip(np.log(np.asarray(n, float)), self.ln_n[0], self.ln_n[-1])
        ln_x = np.clip(np.log(np.asarray(x, float)), self.ln_x[0], self.ln_x[-1])
        fn = (ln_n - self.ln_n[0]) / (self.ln_n[1] - self.ln_n[0])
        fx = (ln_x - self.ln_x[0]) / (self.ln_x[1] - self.ln_x[0])
        i = np.minimum(fn.astype(int), len(self.ln_n) - 2)
        j = np.minimum(fx.astype(int), len(self.ln_x) - 2)
        return i, j, (fn - i)[:, None], (fx - j)[:, None]

    def _bilinear(self, table: np.ndarray, n: np.ndarray, x: np.ndarray) -> np.ndarray:
        i, j, wn, wx = self._corners(np.atleast_1d(n), np.atleast_1d(x))
        return ((1 - wn) * (1 - wx) * table[i, j] + wn * (1 - wx) * table[i + 1, j]
                + (1 - wn) * wx * table[i, j + 1] + wn * wx * table[i + 1, j + 1])

    def enclosed_curve(self, n: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Blurred growth curves L(<R)/L_tot on :attr:`R`, one row per (n, x)."""
        return self._bilinear(self.enclosed, n, x)

    def surface_curve(self, n: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Blurred surface-brightness profiles (unit flux, sigma = 1) on :attr:`R`."""
        return self._bilinear(self.surface, n, x)


def _ring_enclosed(R: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Fraction of a Gaussian-blurred ring of radius a (sigma = 1) inside radius R."""
    out = np.empty((len(R), len(a)))
    small = a < 8.0
    out[:, small] = special.chndtr(R[:, None] ** 2, 2.0, a[small][None, :] ** 2)
    big = a[~small]
    out[:, ~small] = special.ndtr(R[:, None] - big[None, :] - 0.5 / big[None, :])
    return out


def single_thread():
    """Context that keeps BLAS to one thread (threadpoolctl, installed with scikit-learn).

    The matrix products here are small; a multi-threaded BLAS gains nothing and, on a busy
    machine, its spinning threads can make them many times slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


@lru_cache(maxsize=1)
def tables() -> ProfileTables:
    """Build (once per process) the blurred Sérsic lookup table."""
    ln_n = np.linspace(np.log(N_MIN), np.log(N_MAX), N_N)
    ln_x = np.linspace(np.log(X_MIN), np.log(X_MAX), N_X)
    ln_R = np.arange(np.log(R_MIN), np.log(R_MAX) + R_STEP, R_STEP)
    R = np.exp(ln_R)
    # rings 1 % apart in radius, in sigma units, from far inside the smallest galaxy's
    # core to beyond the largest radius of the grid
    a_edges = np.exp(np.arange(np.log(1e-6), np.log(R_MAX * 3), 0.01))
    a_mid = np.sqrt(a_edges[1:] * a_edges[:-1])
    ring = _ring_enclosed(R, a_mid)  # (N_R, n_rings)
    # intrinsic growth curve per n on a fine grid in ln(r / r_e), then read at a / x
    ln_u = np.linspace(np.log(1e-9), np.log(1e5), 6000)
    cum = np.empty((N_N, N_X, len(a_edges)))
    for i, n in enumerate(np.exp(ln_n)):
        grow = sersic_enclosed(np.exp(ln_u), n)
        for j, x in enumerate(np.exp(ln_x)):
            cum[i, j] = np.interp(np.log(a_edges / x), ln_u, grow, left=0.0, right=1.0)
    flux = np.diff(cum, axis=-1).reshape(N_N * N_X, -1)
    with single_thread():
        blurred = (flux @ ring.T).reshape(N_N, N_X, len(R))
    # light inside the innermost edge is a point at the centre
    enclosed = blurred + cum[:, :, :1] * special.chdtr(2.0, R**2)
    # surface brightness from the growth curve: I = dL/dR / (2 pi R)
    dL_dlnR = np.gradient(enclosed, R_STEP, axis=-1)
    surface = np.clip(dL_dlnR / (2 * np.pi * R**2), 0.0, None)
    return ProfileTables(ln_n, ln_x, ln_R, enclosed, surface)


def component_curves(fluxes: list[np.ndarray], ns: list[np.ndarray], re_circ: list[np.ndarray],
                     sigma: np.ndarray) -> np.ndarray:
    """Blurred growth curve (on ``tables().R`` in sigma units) of a sum of Sérsic components.

    Each component k has a flux fraction ``fluxes[k]`` (per galaxy), an index ``ns[k]`` and a
    circularised half-light radius ``re_circ[k]`` (same angular unit as ``sigma``).
    Returns (N, N_R): the fraction of the total light inside each radius.
    """
    t = tables()
    total = None
    for f, n, re in zip(fluxes, ns, re_circ):
        curve = np.asarray(f, float)[:, None] * t.enclosed_curve(n, np.asarray(re, float) / sigma)
        total = curve if total is None else total + curve
    return total


@dataclass
class PetrosianResult:
    """Petrosian radius, R50, R90 (in the units of the curves' radii) and the fraction of
    the total light inside ``PETRO_NRAD`` Petrosian radii (the Petrosian flux)."""

    rad: np.ndarray
    r50: np.ndarray
    r90: np.ndarray
    flux_frac: np.ndarray


def _interp_rows(y: np.ndarray, x: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each row of monotonically increasing ``y`` (N, M), the x where y = target (N,)."""
    idx = np.clip((y < target[:, None]).sum(axis=1), 1, y.shape[1] - 1)
    rows = np.arange(len(y))
    y0, y1 = y[rows, idx - 1], y[rows, idx]
    w = np.clip((target - y0) / np.where(y1 > y0, y1 - y0, 1.0), 0.0, 1.0)
    return x[idx - 1] + w * (x[idx] - x[idx - 1])


def petrosian(curves: np.ndarray) -> PetrosianResult:
    """SDSS Petrosian quantities from growth curves on ``tables().R`` (sigma units).

    The Petrosian ratio at radius R is the mean surface brightness in the annulus
    0.8 R - 1.25 R divided by the mean surface brightness inside R; the Petrosian radius is
    where it first falls to 0.2 (searching outwards).  The Petrosian flux is the flux
    within 2 Petrosian radii; R50 and R90 enclose 50 % and 90 % of it.
    """
    t = tables()
    R = t.R
    k = 6  # grid steps between R and 1.25 R (see R_STEP)
    L = np.maximum(curves, 1e-300)
    ann = (L[:, 2 * k:] - L[:, :-2 * k]) / (PETRO_OUTER**2 - PETRO_INNER**2)
    eta = ann / L[:, k:-k]
    Rm = R[k:-k]
    below = eta < PETRO_ETA
    # ignore the innermost radii where the ratio is noisy (< 0.1 sigma)
    below[:, Rm < 0.1] = False
    first = np.argmax(below, axis=1)
    first = np.where(below.any(axis=1), first, len(Rm) - 1)
    first = np.maximum(first, 1)
    rows = np.arange(len(L))
    e0, e1 = eta[rows, first - 1], eta[rows, first]
    w = np.clip((e0 - PETRO_ETA) / np.where(e0 > e1, e0 - e1, 1.0), 0.0, 1.0)
    ln_rad = np.log(Rm[first - 1]) + w * (np.log(Rm[first]) - np.log(Rm[first - 1]))
    rad = np.exp(ln_rad)
    ln_R = t.ln_R
    pos = np.clip((np.log(PETRO_NRAD) + ln_rad - ln_R[0]) / R_STEP, 0, len(ln_R) - 1.000001)
    j = pos.astype(int)
    wj = pos - j
    flux = np.exp((1 - wj) * np.log(L[rows, j]) + wj * np.log(L[rows, j + 1]))
    r50 = np.exp(_interp_rows(L, ln_R, 0.5 * flux))
    r90 = np.exp(_interp_rows(L, ln_R, 0.9 * flux))
    return PetrosianResult(rad=rad, r50=r50, r90=r90, flux_frac=flux)
