"""The galaxy population of the simulated survey: truth, photometry and catalog sizes.

:func:`draw_population` makes, deterministically from ``cfg.seed``, every object of the
survey before anything is rendered.  The steps, all vectorised:

1. **Class.**  Each galaxy is smooth (elliptical-like, class 0) or a disk (class 1) with
   probability :data:`P_DISK` before selection (after selection about 66 % are disks).
   A fraction ``cfg.star_fraction`` of the catalog entries are then turned into stars or
   image artifacts (class 2; see below).
2. **Redshift and luminosity.**  For each class a Schechter luminosity function in the
   r band (:data:`LF`) is combined with the WMAP9 comoving volume: the redshift is drawn
   from ``dV/dz x (number of galaxies brighter than the magnitude limit at z)`` over
   0.01 < z < 0.25, then the absolute magnitude from the luminosity function truncated
   at that limit.  This is the magnitude-limited SDSS main sample in miniature.
   Apparent magnitudes add the distance modulus and a small K-correction
   (``K_r = 1.1 z`` for smooth, ``0.5 z`` for disk galaxies - a linear approximation).
3. **Structure.**  Smooth galaxies are single Sérsic profiles (n = 3-6, axis ratio 0.6-1)
   whose half-light radius follows a size-luminosity relation ``R_e ~ L^0.6`` (4.7 kpc at
   M_r = -21, 0.20 dex scatter).  Disks are an exponential disk (``R_e ~ L^0.3``, 6.6 kpc
   at M_r = -21, 0.16 dex scatter; the slopes follow Shen et al. 2003, the sizes are on
   the large side of theirs, see *Calibration*) plus a Sérsic bulge (n 1-4.5, bulge
   fraction B/T mostly 0.05-0.5, larger in brighter disks), a random inclination (disks
   are 0.12 thick, so edge-on disks are thin but not lines), 2-4 logarithmic spiral
   arms with pitch angles of 10-35 degrees (tighter arms in bulgier disks), arm strengths
   (share of the disk light in the arms, 0.35-0.95; 6 % of disks are lenticular-like
   with almost no arms), arm widths, and bars in about 30-40 %.
4. **Sky and observing conditions** come from :mod:`galbias.mock.regions`, drawn
   independently of everything above.
5. **Catalog photometry.**  The SDSS Petrosian radius, R50 and R90 are computed from each
   galaxy's PSF-blurred profile in circular apertures with :mod:`galbias.mock.profiles`
   (flattened components are approximated by a round profile whose radius is scaled
   by :func:`aperture_scale`), with 4 % (common) and 2 % (individual) log-normal
   measurement noise.  ``petroMag_r`` is the extinction-corrected total magnitude plus
   the Petrosian-aperture loss (0.01 mag for disks, ~0.2 mag for de Vaucouleurs profiles)
   plus 0.02 mag noise.  The survey keeps galaxies with ``petroMag_r <= 17`` and
   ``petroR90_r > 3"`` (GZ2's selection), drawing more until ``cfg.n_galaxies`` pass.

Stars and artifacts (class 2) are catalog entries that passed the same selection (so
they carry galaxy-like sizes, magnitudes and redshifts: in GZ2 these are mostly
entries whose photometry was confused by a bright star, a satellite trail or a
deblending failure); their images show a bright star or a trail instead of a galaxy.

**Two surveys** (``cfg.survey_realism``; :func:`realism_choices` lists the differences with
their sources).

*idealised* (the earlier survey, kept for comparison): sizes tuned so that the true class mix
does not depend on alpha (the paper's assumption; the disk fraction varies by about +-0.02
across alpha deciles), smooth galaxies rounder than q = 0.6, colours that barely overlap,
volunteers that never vote a smooth galaxy "features or disk".

*realistic* (the default): the sizes follow the Shen et al. (2003) size-luminosity relations
of early and late types, so that under the magnitude limit the true disk fraction changes with
alpha *through* size and luminosity (and the early-type share rises with luminosity through
the two luminosity functions, in both surveys); ellipticals span E0-E7 (q down to 0.3); 6 % of
early types are blue and a luminosity-dependent share of disks (plus every lenticular-like
disk) are red; 4 % of smooth galaxies carry something that draws "features or disk" votes (a
companion, a dust lane, tidal debris, an artifact).  The realistic galaxies are smaller on the
sky than the idealised ones (median alpha about 8 against 13 in the demo), which is what the
Shen relations give for a GZ2-like sample at median z ~ 0.08: the indicative calibration sample
of METHODS §11 (compact-group galaxies at median z = 0.035, median alpha 17.7) is nearer.
The realistic survey was not tuned to make any later result come out in a particular way.

The idealised survey's demo percentiles were: alpha (5/25/50/75/95) about 6/9/13/19/35
(calibration sample 6.7/11.4/17.7/27.0/48.7), petroRad_r 3.5/5.2/7.3/10.4/19"
(3.8/6.4/9.9/14.7/26.0"), and PSF FWHM 1.05/1.20/1.32/1.46/1.68" (1.02/1.16/1.30/1.46/1.68").

Every number quoted in this docstring is set in the constants below.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import seeds
from ..data import cosmology as cosmo
from . import profiles
from .regions import EXTINCTION_COEFF, assign_regions

#: probability that a drawn galaxy is a disk, before the selection cuts
P_DISK = 0.60
#: GZ2 selection
MAG_LIMIT = 17.0
R90_MIN = 3.0
Z_RANGE = (0.01, 0.25)
#: Schechter parameters per class in the r band (H0 = 70): M*, faint-end slope alpha
LF = {0: (-21.35, -0.60), 1: (-21.00, -1.15)}
M_RANGE = (-24.5, -15.0)
#: K-correction K_r = k z
K_SLOPE = {0: 1.1, 1: 0.5}
#: sizes: log10 R_e[kpc] = log10(R0) - 0.4 * slope * (M - M_REF), scatter in dex
M_REF = -21.0
SIZE = {0: (4.7, 0.60, 0.20), 1: (6.6, 0.30, 0.16)}
#: Shen et al. (2003, MNRAS 343, 978; SDSS r band, h = 0.7) size-luminosity relations of the
#: "realistic" survey: early types log10 R50 = -0.4 a M + b; late types
#: log10 R50 = -0.4 alpha M + (beta - alpha) log10(1 + 10^(-0.4 (M - M0))) + gamma; scatter
#: sigma_lnR = s2 + (s1 - s2) / (1 + 10^(-0.8 (M - M0))) for both (their Fig. 6-8: similar
#: for bright early and late types).  R50 is taken as the component's half-light radius.
SHEN_EARLY = {"a": 0.65, "b": -5.06}
SHEN_LATE = {"alpha": 0.21, "beta": 0.53, "gamma": -1.31, "M0": -20.52}
SHEN_SCATTER = {"s1": 0.48, "s2": 0.25, "M0": -20.52}
#: realistic colours and shapes (documented in chapter 0): the share of early types that are
#: blue (Schawinski et al. 2009: 5.7 % of low-z early types), their g-r; disks that are red
#: (passive: Masters et al. 2010 find ~6 % of disk galaxies red, more among the most massive;
#: lenticular-like disks are red): base share, extra share per magnitude brighter than
#: M = -20.5 (up to 3 mag); the axis ratios of ellipticals E0-E7: q = lo + (1 - lo) Beta(a, b)
BLUE_EARLY_SHARE, BLUE_EARLY_GR = 0.06, (0.52, 0.06)
RED_DISK_SHARE, RED_DISK_PER_MAG, RED_DISK_GR, RED_ARM_GR = 0.05, 0.05, (0.70, 0.04), (0.62, 0.05)
Q_SMOOTH = {"idealised": (0.6, 2.5, 1.5), "realistic": (0.3, 2.2, 1.3)}
#: realistic volunteers: a share of smooth galaxies shows something that draws "features or disk"
#: votes (a close companion, a dust lane, tidal debris, an image artifact); each such galaxy gets
#: a features share drawn uniformly in this range, so about half of them get a disk majority
FALSE_FEATURE_SHARE, FALSE_FEATURE_RANGE = 0.04, (0.3, 0.8)
#: the survey's kinds: "realistic" (the default) and "idealised" (the earlier survey, whose
#: sizes were tuned so that the true class mix does not depend on alpha)
REALISMS = ("realistic", "idealised")

#: intrinsic thickness of disks (axis ratio seen edge-on) and of bulges
DISK_Q0, BULGE_Q0 = 0.12, 0.6
#: fraction of disks with almost no arm structure (lenticular-like)
P_LENTICULAR = 0.06
P_BAR = 0.30
#: arm strength of spirals: ARM_AMP[0] + ARM_AMP[1] * Beta(2, 2)
ARM_AMP = (0.35, 0.6)
#: catalog measurement noise (log-normal sigma): common to the three radii, and individual
RADIUS_NOISE_COMMON, RADIUS_NOISE_EACH, MAG_NOISE = 0.04, 0.02, 0.02
#: share of class-2 objects that are bright stars (the rest are satellite/artifact trails)
P_STAR_IS_POINT = 0.6

#: columns of the population that end up in the catalog as truth
TRUTH_COLUMNS = [
    "true_class", "true_object", "true_abs_mag", "true_sersic_n", "true_re_kpc", "true_axis_ratio",
    "true_bulge_frac", "true_disk_scale_kpc", "true_n_arms", "true_arm_contrast", "true_pitch_deg",
    "true_bar", "true_inclination_deg", "true_blue_early", "true_red_disk", "true_false_features",
]


def _schechter_cdf_table(mstar: float, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative number (brighter than M) of a Schechter function on a fine M grid."""
    M = np.linspace(*M_RANGE, 4001)
    x = 10 ** (-0.4 * (M - mstar))
    phi = x ** (alpha + 1) * np.exp(-x)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (phi[1:] + phi[:-1]) * np.diff(M))])
    return M, cdf


def _draw_z_mag(rng: np.random.Generator, cls: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Redshift and absolute magnitude of ``n`` galaxies of class ``cls`` that are bright
    enough (before the Petrosian-aperture correction) to pass the magnitude limit."""
    M, cdf = _schechter_cdf_table(*LF[cls])
    zg = np.linspace(*Z_RANGE, 1200)
    m_lim = MAG_LIMIT + 0.1 - cosmo.distance_modulus(zg) - K_SLOPE[cls] * zg
    n_bright = np.interp(m_lim, M, cdf)
    w = cosmo.comoving_volume_element(zg) * n_bright
    zcdf = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(zg))])
    z = np.interp(rng.random(n) * zcdf[-1], zcdf, zg)
    lim = np.interp(MAG_LIMIT + 0.1 - cosmo.distance_modulus(z) - K_SLOPE[cls] * z, M, cdf)
    mag = np.interp(rng.random(n) * lim, cdf, M)
    return z, mag


def _half_light_radius(fluxes, ns, res) -> np.ndarray:
    """Half-light radius of a sum of unblurred Sérsic components (bisection in log r).

    It lies between the smallest and the largest component half-light radius."""
    lo = np.minimum.reduce([np.asarray(r, float) for r in res]) * 0.999
    hi = np.maximum.reduce([np.asarray(r, float) for r in res]) * 1.001
    for _ in range(22):
        mid = np.sqrt(lo * hi)
        enc = sum(f * profiles.sersic_enclosed(mid / re, n) for f, n, re in zip(fluxes, ns, res))
        hi = np.where(enc > 0.5, mid, hi)
        lo = np.where(enc > 0.5, lo, mid)
    return np.sqrt(lo * hi)


def aperture_scale(q: np.ndarray) -> np.ndarray:
    """Ratio of the circular-aperture half-light radius to the semi-major one for a flattened
    profile of axis ratio q.

    SDSS measures Petrosian quantities in circular apertures.  A round galaxy has ratio 1;
    an infinitely thin edge-on exponential disk seen in circular apertures has its half
    light within 0.41 of its face-on half-light radius (the 1-D projected profile).  We
    interpolate linearly, ``0.41 + 0.59 q``, which is within a few per cent of
    ``sqrt(q)`` (the circularised radius) for q > 0.4 and avoids its collapse for very
    flat galaxies.
    """
    return 0.41 + 0.59 * np.asarray(q, float)


def shen_log_size(absmag: np.ndarray, disk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median log10 R50 (kpc) and its scatter in dex for each galaxy (Shen et al. 2003 relations)."""
    M = np.asarray(absmag, float)
    early = -0.4 * SHEN_EARLY["a"] * M + SHEN_EARLY["b"]
    L = SHEN_LATE
    late = -0.4 * L["alpha"] * M + (L["beta"] - L["alpha"]) * np.log10(1 + 10 ** (-0.4 * (M - L["M0"]))) + L["gamma"]
    S = SHEN_SCATTER
    sig_ln = S["s2"] + (S["s1"] - S["s2"]) / (1 + 10 ** (-0.8 * (M - S["M0"])))
    return np.where(disk, late, early), sig_ln / np.log(10)


def _sizes(absmag: np.ndarray, disk: np.ndarray, noise: np.ndarray, realism: str) -> np.ndarray:
    """Half-light radius (kpc) of each galaxy's main component (the same normal draws either way)."""
    if realism == "realistic":
        median, scatter = shen_log_size(absmag, disk)
        return 10 ** (median + scatter * noise)
    r0 = np.where(disk, SIZE[1][0], SIZE[0][0])
    slope = np.where(disk, SIZE[1][1], SIZE[0][1])
    scat = np.where(disk, SIZE[1][2], SIZE[0][2])
    return 10 ** (np.log10(r0) - 0.4 * slope * (absmag - M_REF) + scat * noise)


def realism_choices() -> pd.DataFrame:
    """The settings that differ between the two surveys, with their sources (chapter 0's table).

    Values come from the constants of this module; "assumption" marks a choice without a
    published number behind it.
    """
    a, b = SHEN_EARLY["a"], SHEN_EARLY["b"]
    rows = [
        ("sizes of smooth galaxies", f"R_e ∝ L^{SIZE[0][1]:.2f}, {SIZE[0][0]} kpc at M_r = {M_REF:g}",
         f"Shen et al. 2003 early types: log R50 = {a} (−0.4 M) + ({b})", "Shen et al. (2003), MNRAS 343, 978"),
        ("sizes of disks", f"R_e ∝ L^{SIZE[1][1]:.2f}, {SIZE[1][0]} kpc at M_r = {M_REF:g}",
         f"Shen et al. 2003 late types (α = {SHEN_LATE['alpha']}, β = {SHEN_LATE['beta']}, "
         f"M0 = {SHEN_LATE['M0']})", "Shen et al. (2003)"),
        ("axis ratios of ellipticals", f"{Q_SMOOTH['idealised'][0]}–1", f"{Q_SMOOTH['realistic'][0]}–1 (E0–E7)",
         "Hubble types E0–E7"),
        ("blue early types", "none", f"{BLUE_EARLY_SHARE:.0%}, g−r ≈ {BLUE_EARLY_GR[0]}",
         "Schawinski et al. (2009), MNRAS 396, 818: 5.7 % of low-z early types"),
        ("red disks", "lenticular-like only (disk colours)",
         f"{RED_DISK_SHARE:.0%} + {RED_DISK_PER_MAG:.0%} per mag brighter than M_r = −20.5, and all "
         f"lenticular-like disks; disk g−r ≈ {RED_DISK_GR[0]}",
         "Masters et al. (2010), MNRAS 405, 783: ~6 % of disks red, more at high mass"),
        ("smooth galaxies voted 'features or disk'", "never",
         f"{FALSE_FEATURE_SHARE:.0%} with a features share of {FALSE_FEATURE_RANGE[0]}–{FALSE_FEATURE_RANGE[1]}",
         "assumption (companions, dust lanes, artifacts; no published rate for GZ2)"),
    ]
    return pd.DataFrame(rows, columns=["property", "idealised", "realistic", "source"]).set_index("property")


def _realistic_extras(rng: np.random.Generator, absmag: np.ndarray, disk: np.ndarray, lenticular: np.ndarray,
                      gr_s: np.ndarray, gr_disk: np.ndarray, gr_arm: np.ndarray) -> dict[str, np.ndarray]:
    """Blue early types, red (passive and lenticular-like) disks, and smooth galaxies with
    features-like distractions; drawn after everything else, so the idealised survey's random
    numbers are those it always had."""
    n = len(absmag)
    g = rng.standard_normal
    blue = ~disk & (rng.random(n) < BLUE_EARLY_SHARE)
    gr_s = np.where(blue, BLUE_EARLY_GR[0] + BLUE_EARLY_GR[1] * g(n), gr_s)
    p_red = RED_DISK_SHARE + RED_DISK_PER_MAG * np.clip(-(absmag + 20.5), 0.0, 3.0)
    red = disk & (lenticular | (rng.random(n) < p_red))
    gr_disk = np.where(red, RED_DISK_GR[0] + RED_DISK_GR[1] * g(n), gr_disk)
    gr_arm = np.where(red, RED_ARM_GR[0] + RED_ARM_GR[1] * g(n), gr_arm)
    distracted = ~disk & (rng.random(n) < FALSE_FEATURE_SHARE)
    strength = np.where(distracted, rng.uniform(*FALSE_FEATURE_RANGE, n), np.nan)
    return {"gr_s": gr_s, "gr_disk": gr_disk, "gr_arm": gr_arm, "blue_early": blue, "red_disk": red,
            "false_features": strength}


def _draw_batch(rng: np.random.Generator, n: int, realism: str = "realistic") -> pd.DataFrame:
    """``n`` galaxies with truth, sky and catalog photometry (before the selection cuts).

    Longer than the book's ~80-line rule on purpose: the sequence of draws from ``rng`` below *is*
    the survey (a seed reproduces its galaxies only while the draws keep this order), so every
    draw stays in this one function where the order can be read top to bottom; about half of
    it is the list of output columns.
    """
    cls = (rng.random(n) < P_DISK).astype(np.int8)
    z = np.empty(n)
    absmag = np.empty(n)
    for c in (0, 1):
        idx = np.flatnonzero(cls == c)
        z[idx], absmag[idx] = _draw_z_mag(rng, c, len(idx))
    disk = cls == 1
    g = rng.standard_normal  # noqa: E731 - short alias for readability below

    # --- structure ------------------------------------------------------------------------
    re_main = _sizes(absmag, disk, g(n), realism)  # kpc

    # smooth galaxies: one Sérsic component
    n_s = np.clip(4.2 - 0.5 * (absmag - M_REF) + 0.6 * g(n), 3.0, 6.0)
    q_lo, q_a, q_b = Q_SMOOTH[realism]
    q_s = q_lo + (1 - q_lo) * rng.beta(q_a, q_b, n)

    # disks: bulge + exponential disk seen at a random inclination
    bt = rng.beta(1.6, 5.0, n) - 0.05 * (absmag - M_REF)
    bt = np.clip(bt, 0.02, 0.7)
    n_b = np.clip(1.5 + 3.0 * bt + 0.4 * g(n), 1.0, 4.5)
    cos_i = rng.random(n)
    incl = np.degrees(np.arccos(cos_i))
    q_d = np.sqrt(cos_i**2 + DISK_Q0**2 * (1 - cos_i**2))
    q_b = np.sqrt(cos_i**2 + BULGE_Q0**2 * (1 - cos_i**2))
    re_b = re_main * (0.12 + 0.35 * bt) * np.exp(0.15 * g(n))
    h = re_main / 1.678  # exponential scale length

    # spiral arms and bars
    n_arms = rng.choice([2, 3, 4], size=n, p=[0.55, 0.30, 0.15])
    pitch = np.clip(28.0 - 30.0 * (bt - 0.2) + 5.0 * g(n), 10.0, 35.0)
    lenticular = rng.random(n) < P_LENTICULAR
    arm_amp = np.where(lenticular, 0.1 * rng.random(n), ARM_AMP[0] + ARM_AMP[1] * rng.beta(2.0, 2.0, n))
    arm_sharp = rng.integers(1, 5, n)  # arm profile ((1 + cos)/2)^p: 1 broad ... 4 narrow
    bar = (rng.random(n) < P_BAR + 0.3 * bt) & ~lenticular
    bar_len = h * (0.8 + 0.8 * rng.random(n))  # semi-major length of the bar
    bar_q = 0.25 + 0.15 * rng.random(n)
    bar_frac = np.where(bar, 0.05 + 0.10 * rng.random(n), 0.0)  # share of the disk's light

    pa = rng.random(n) * np.pi
    bar_angle = rng.random(n) * np.pi  # in the disk plane, from the major axis
    arm_phase = rng.random(n) * 2 * np.pi
    chirality = rng.choice([-1, 1], size=n)

    # colours g-r per component (r-i follows as 0.10 + 0.40 (g-r), see render.py)
    gr_s = 0.76 - 0.02 * (absmag - M_REF) + 0.03 * g(n)
    gr_bulge = 0.72 + 0.03 * g(n)
    gr_disk = 0.50 + 0.07 * g(n)
    gr_arm = 0.30 + 0.06 * g(n)

    # --- sky, observing conditions, photometry -------------------------------------------
    sky = assign_regions(rng, n)
    extras = None
    kpc_as = cosmo.kpc_per_arcsec(z)
    m_tot = absmag + cosmo.distance_modulus(z) + np.where(disk, K_SLOPE[1], K_SLOPE[0]) * z
    sigma = sky["psf_fwhm"] / 2.3548

    # catalog sizes from the blurred circularised profile (arcsec)
    bulge_flux = np.where(disk, bt, 1.0)
    comp_n1 = np.where(disk, n_b, n_s)
    comp_re1 = np.where(disk, re_b * aperture_scale(q_b), re_main * aperture_scale(q_s)) / kpc_as
    comp_re2 = re_main * aperture_scale(q_d) / kpc_as
    curves = profiles.component_curves(
        [bulge_flux, 1.0 - bulge_flux], [comp_n1, np.ones(n)], [comp_re1, comp_re2], sigma
    )
    pet = profiles.petrosian(curves)
    common = np.exp(RADIUS_NOISE_COMMON * g(n))
    petro_rad = pet.rad * sigma * common * np.exp(RADIUS_NOISE_EACH * g(n))
    r50 = pet.r50 * sigma * common * np.exp(RADIUS_NOISE_EACH * g(n))
    r90 = pet.r90 * sigma * common * np.exp(RADIUS_NOISE_EACH * g(n))
    petro_mag = m_tot - 2.5 * np.log10(pet.flux_frac) + MAG_NOISE * g(n)

    re_true = _half_light_radius(
        [bulge_flux, 1.0 - bulge_flux], [comp_n1, np.ones(n)],
        [comp_re1 * kpc_as, comp_re2 * kpc_as],
    )
    if realism == "realistic":
        extras = _realistic_extras(rng, absmag, disk, lenticular, gr_s, gr_disk, gr_arm)
        gr_s, gr_disk, gr_arm = extras["gr_s"], extras["gr_disk"], extras["gr_arm"]

    df = pd.DataFrame({
        "true_class": cls,
        "true_object": np.where(disk, "disk", "smooth"),
        "true_abs_mag": absmag,
        "true_sersic_n": np.where(disk, n_b, n_s),
        "true_re_kpc": re_true,  # circular-aperture half-light radius, no PSF
        "true_axis_ratio": np.where(disk, q_d, q_s),
        "true_bulge_frac": np.where(disk, bt, 1.0),
        "true_disk_scale_kpc": np.where(disk, h, np.nan),
        "true_n_arms": np.where(disk & ~lenticular, n_arms, 0).astype(np.int8),
        "true_arm_contrast": np.where(disk, arm_amp, 0.0),
        "true_pitch_deg": np.where(disk & ~lenticular, pitch, np.nan),
        "true_bar": disk & bar,
        "true_inclination_deg": np.where(disk, incl, np.nan),
        "z": z,
        "region": sky["region"],
        "ra": sky["ra"],
        "dec": sky["dec"],
        "psfWidth_r": sky["psf_fwhm"],
        "extinction_r": EXTINCTION_COEFF["r"] * sky["ebv"],
        "petroMag_r": petro_mag,
        "petroRad_r": petro_rad,
        "petroR50_r": r50,
        "petroR90_r": r90,
        # --- rendering parameters (angles in radians, sizes in arcsec) -------------------
        "sim_mag_r": m_tot,
        "sim_ebv": sky["ebv"],
        "sim_pa": pa,
        "sim_bulge_n": comp_n1,
        "sim_bulge_re": np.where(disk, re_b, re_main) / kpc_as,  # semi-major
        "sim_bulge_q": np.where(disk, q_b, q_s),
        "sim_disk_h": h / kpc_as,
        "sim_disk_q": q_d,
        "sim_arm_sharp": arm_sharp.astype(np.int8),
        "sim_arm_phase": arm_phase,
        "sim_chirality": chirality.astype(np.int8),
        "sim_bar_len": bar_len / kpc_as,
        "sim_bar_q": bar_q,
        "sim_bar_frac": bar_frac,
        "sim_bar_angle": bar_angle,
        "sim_gr_main": np.where(disk, gr_bulge, gr_s),
        "sim_gr_disk": gr_disk,
        "sim_gr_arm": gr_arm,
    })
    no = np.zeros(n, bool)
    df["true_blue_early"] = extras["blue_early"] if extras else no
    df["true_red_disk"] = extras["red_disk"] if extras else no
    # smooth galaxies with a features-like distraction: the expected share of features votes
    df["sim_false_features"] = extras["false_features"] if extras else np.full(n, np.nan)
    df["true_false_features"] = np.isfinite(df["sim_false_features"].to_numpy(float))
    return df


def draw_population(cfg: Any) -> pd.DataFrame:
    """All objects of the survey, in catalog order, with truth and photometry.

    Deterministic in ``cfg.seed`` (and ``survey_realism``, ``n_galaxies``, ``n_eval``,
    ``star_fraction``); does not render anything.  ``n_galaxies + n_eval`` entries are drawn;
    ``eval_sample`` marks ``n_eval`` of them, at random, as the held-out evaluation sample.  Columns: the catalog's photometric columns, ``true_*`` truth, and
    ``sim_*`` rendering parameters (dropped from the final catalog).  ``dr7objid`` are
    synthetic 18-digit ids.
    """
    n = int(cfg.n_galaxies) + int(getattr(cfg, "n_eval", 0))
    realism = getattr(cfg, "survey_realism", "realistic")
    if realism not in REALISMS:
        raise ValueError(f"survey_realism must be one of {REALISMS}, got {realism!r}")
    if n < 1:
        raise ValueError(f"n_galaxies must be positive, got {n}")
    if not 0.0 <= cfg.star_fraction < 0.5:
        raise ValueError(f"star_fraction must be in [0, 0.5), got {cfg.star_fraction}")
    rng = seeds.rng(cfg.seed, 0)
    parts, have = [], 0
    while have < n:
        batch = _draw_batch(rng, max(1000, int(1.5 * (n - have)) + 100), realism)
        keep = (batch["petroMag_r"] <= MAG_LIMIT) & (batch["petroR90_r"] > R90_MIN)
        parts.append(batch.loc[keep])
        have += int(keep.sum())
    pop = pd.concat(parts, ignore_index=True).iloc[:n].reset_index(drop=True)

    # stars and artifacts: a random subset of entries
    n_star = int(round(cfg.star_fraction * n))
    star_idx = rng.choice(n, size=n_star, replace=False)
    is_point = rng.random(n_star) < P_STAR_IS_POINT
    pop.loc[star_idx, "true_class"] = 2
    pop.loc[star_idx, "true_object"] = np.where(is_point, "star", "trail")
    morph = ["true_sersic_n", "true_re_kpc", "true_axis_ratio", "true_bulge_frac", "true_disk_scale_kpc",
             "true_pitch_deg", "true_inclination_deg", "true_abs_mag"]
    pop.loc[star_idx, morph] = np.nan
    pop.loc[star_idx, ["true_n_arms"]] = 0
    pop.loc[star_idx, "true_arm_contrast"] = 0.0
    pop.loc[star_idx, "true_bar"] = False
    pop["true_class"] = pop["true_class"].astype(np.int8)

    pop.insert(0, "dr7objid", (588_000_000_000_000_000 + np.arange(n)).astype(np.int64))
    # the evaluation sample: n_eval entries of the same survey and selection, at random
    n_eval = int(getattr(cfg, "n_eval", 0))
    eval_sample = np.zeros(n, bool)
    eval_sample[rng.choice(n, size=n_eval, replace=False)] = True
    pop["eval_sample"] = eval_sample
    return pop
