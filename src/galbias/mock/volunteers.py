"""Simulated Galaxy Zoo volunteers: how visible a disk is, and the votes it gets.

The labelling bias of the paper - poorly resolved disks called "smooth" - is *not* put
in by hand here.  No formula in this module refers to alpha or to the paper's
``exp(-alpha^2 / 2 theta^2)``.  Instead, :func:`feature_visibility` asks how strong the
tell-tale signs of a disk are in the survey image, given the galaxy's true structure and
the PSF it was observed with, and volunteers vote "features or disk" when those signs
are above what they can perceive.  Resolution enters only through the physics of
blurring; the bias curve the book later measures is a *consequence*.

Visibility of a true disk (:func:`feature_visibility`), in units of the perception
threshold of a typical volunteer (V = 1: half of the volunteers notice it):

1. **Spiral arms.**  The arms are a pattern ``((1 + cos psi)/2)^p`` around the disk with
   ``m`` arms and pitch angle ``phi``.  At the radius where arms are seen best, two disk
   scale lengths, neighbouring arms are ``2 pi r sin(phi) / m`` apart, so the pattern's
   fundamental spatial frequency is ``k = m / (r sin phi)``.  A Gaussian PSF of width
   sigma multiplies the h-th harmonic of the pattern by ``exp(-(h k sigma)^2 / 2)`` (its
   transfer function); inclination squeezes the pattern along the minor axis, raising
   ``k`` there by ``1/q`` (we average the squared frequency over directions).  The arm
   contrast that survives is the sum of the blurred harmonics, times the arm strength,
   times the share of the light at that radius that comes from the disk (a blurred bulge
   spills over and dilutes the arms: both profiles come from the PSF-blurred table of
   :mod:`galbias.mock.profiles`).  Faint arms drown in sky noise: the contrast is
   multiplied by ``SNR^2 / (SNR^2 + SNR0^2)`` where SNR is the signal-to-noise of the arm
   pattern over the annulus it occupies (region-dependent sky noise).
2. **Bars**: the bar's surface-brightness excess over the bulge + disk at half the bar
   length, after blurring the bar (a 2-D Gaussian) with the PSF, foreshortened by
   inclination.
3. **Edge-on shape**: a disk seen edge-on is recognisable from its thin outline.  The
   apparent axis ratio comes from the PSF-convolved second moments of bulge + disk (the
   PSF rounds small galaxies); outlines thinner than ``Q_EDGE`` count as visible, and
   only when the outline is several PSF widths long (a short thin blob could as well be
   a "cigar-shaped" smooth galaxy): the cue is multiplied by ``L^2 / (L^2 + EDGE_L0^2)``
   with L the rms length along the major axis in PSF sigmas.

The three cues combine as a soft maximum ``(V_arm^3 + V_bar^3 + V_edge^3)^(1/3)``.

The volunteers judge the galaxy as GZ2's volunteers did, on a large (424-pixel) cut-out
limited by the PSF, not by pixels; the mock's small JPEGs are coarser for the best-resolved
galaxies (see :mod:`galbias.mock.render`).  The perception constants below (thresholds,
noise scale, vote spread) were set by hand on the earlier (idealised) survey, looking at
the *overall* share of disks voted smooth (aiming at about a third, like the paper's mean
bias of 0.34 over SDSS-like alpha) and at images; they were not fitted to the paper's
``exp(-alpha^2 / 2 theta^2)`` curve, and the shape of the resulting bias curve is whatever
the blurring physics makes of the population.  They were not re-tuned for the realistic
survey, on which the same volunteers vote a larger share of the disks smooth (chapter 0
measures it): the constants describe the volunteers, not the survey.

Votes (:func:`simulate_votes`): ``cfg.n_votes`` classifications per object by volunteers
drawn at random from a pool.  Each volunteer has a personal sensitivity (log-normal
spread :data:`SENSITIVITY_SPREAD`); a careful volunteer shown a disk of visibility V
answers "features or disk" with probability ``Phi((ln V + eps_j) / S_VOTE)`` (each
look at an image is itself a noisy judgement), else "smooth".  Smooth galaxies receive
features votes at a small per-galaxy rate (mean 8 %) that does not depend on resolution --
except, in the realistic survey, the few with a features-like distraction (a close companion, a
dust lane, tidal debris, an artifact: ``sim_false_features``), whose features share is higher;
stars and artifacts receive mostly star/artifact votes.  A share
:data:`CARELESS_SHARE` of volunteers click at random.

Weights (a simplified version of the consistency weighting of Willett et al. 2013): each
volunteer's *consistency* kappa is the average, over their classifications, of the
fraction of all votes for that object that agree with theirs.  Careful volunteers have
kappa ~ 0.7-0.8, random clickers ~ 1/3.  The weight is ``min(1, (kappa / KAPPA_REF)^8)``
(a steep power law capped at 1, like theirs; the constants are ours), so random clickers
count for about 1 % of a careful volunteer.  ``*_weighted_fraction`` columns use these
weights; ``*_fraction`` columns are the raw vote shares.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..core import seeds
from ..data.catalog import ANSWERS
from . import profiles
from .population import aperture_scale
from .regions import region_arrays

#: perception thresholds (V = 1 means half of the volunteers see the cue)
T_ARM = 0.40      #: surviving peak arm contrast (relative to the local surface brightness)
T_BAR = 0.35      #: surviving bar excess over bulge + disk
Q_EDGE = 0.35     #: apparent axis ratio below which an outline reads as an edge-on disk
EDGE_POWER = 4.0
EDGE_L0 = 8.0     #: rms length (in PSF sigmas) at which a thin outline is half-way to recognisable
SNR0 = 5.0        #: signal-to-noise at which the arm pattern is half-way to fully visible
ARM_RADIUS = 2.0  #: arms are judged at this many disk scale lengths
#: volunteer behaviour
S_VOTE = 0.45
SENSITIVITY_SPREAD = 0.35
CARELESS_SHARE = 0.06
KAPPA_REF, KAPPA_POWER = 0.6, 8.0
CLASSIFICATIONS_PER_VOLUNTEER = 150


def _pattern_harmonics(p: np.ndarray) -> np.ndarray:
    """Amplitudes c_h (h = 1..4) of the arm pattern ((1 + cos psi)/2)^p normalised to mean 1:
    ``P / <P> = 1 + sum_h c_h cos(h psi)`` with ``c_h = 2 C(2p, p - h) / C(2p, p)``."""
    p = np.asarray(p, int)
    h = np.arange(1, 5)
    num = special.comb(2 * p[:, None], p[:, None] - h[None, :])
    return 2.0 * num / special.comb(2 * p, p)[:, None]


def _blurred_sb(n, re_circ, sigma, radius) -> np.ndarray:
    """Blurred surface brightness (unit flux) of circular Sérsic profiles at ``radius``."""
    t = profiles.tables()
    curves = t.surface_curve(n, re_circ / sigma)
    u = np.clip((np.log(radius / sigma) - t.ln_R[0]) / profiles.R_STEP, 0, len(t.ln_R) - 1.0001)
    j = u.astype(int)
    w = u - j
    rows = np.arange(len(curves))
    return ((1 - w) * curves[rows, j] + w * curves[rows, j + 1]) / sigma**2


def feature_visibility(pop: pd.DataFrame) -> pd.DataFrame:
    """How visible each true disk's features are in its survey image (see module docstring).

    Returns a DataFrame aligned with ``pop`` with the visibility ``V`` of each cue
    (``vis_arm``, ``vis_bar``, ``vis_edge``), the arm signal-to-noise ``arm_snr`` and the
    combined ``visibility`` (NaN for objects that are not disks).
    """
    out = pd.DataFrame(index=pop.index, columns=["vis_arm", "vis_bar", "vis_edge", "arm_snr", "visibility"],
                       dtype=float)
    disk = pop["true_class"].to_numpy() == 1
    if not disk.any():
        return out
    d = pop.loc[disk]
    sigma = d["psfWidth_r"].to_numpy(float) / 2.3548
    h = d["sim_disk_h"].to_numpy(float)
    qd = d["sim_disk_q"].to_numpy(float)
    bt = d["true_bulge_frac"].to_numpy(float)
    nb = d["sim_bulge_n"].to_numpy(float)
    reb = d["sim_bulge_re"].to_numpy(float)
    qb = d["sim_bulge_q"].to_numpy(float)
    m = d["true_n_arms"].to_numpy(float)
    amp = d["true_arm_contrast"].to_numpy(float)
    pitch = np.radians(np.nan_to_num(d["true_pitch_deg"].to_numpy(float), nan=20.0))
    sharp = d["sim_arm_sharp"].to_numpy(int)
    # the region's sky noise; a ``sim_noise_1arcsec`` column overrides it (another telescope's view)
    noise = (d["sim_noise_1arcsec"].to_numpy(float) if "sim_noise_1arcsec" in d.columns
             else region_arrays()["noise_1arcsec"][d["region"].to_numpy(int)])
    flux = 10 ** (-0.4 * (d["sim_mag_r"].to_numpy(float) + d["extinction_r"].to_numpy(float) - 22.5))

    # 1. arms
    r_arm = ARM_RADIUS * h
    k = np.where(m > 0, m, 2) / (r_arm * np.sin(pitch))
    s2 = (sigma * k) ** 2 * (1.0 + 1.0 / qd**2) / 2.0
    hh = np.arange(1, 5)
    pattern = (_pattern_harmonics(sharp) * np.exp(-0.5 * hh[None, :] ** 2 * s2[:, None])).sum(axis=1)
    r_circ = r_arm * aperture_scale(qd)
    sb_disk = (1 - bt) * _blurred_sb(np.ones(len(d)), 1.678 * h * aperture_scale(qd), sigma, r_circ)
    sb_bulge = bt * _blurred_sb(nb, reb * aperture_scale(qb), sigma, r_circ)
    disk_share = sb_disk / (sb_disk + sb_bulge)
    contrast = np.where(m > 0, amp, 0.0) * pattern * disk_share
    area = np.pi * r_arm**2 * (1.6**2 - 1.6**-2) * qd
    snr = contrast * (sb_disk + sb_bulge) * flux * np.sqrt(area / 2.0) / noise
    vis_arm = contrast * snr**2 / (snr**2 + SNR0**2) / T_ARM

    # 2. bar: 2-D Gaussian with sigma_x = L/2, sigma_y = q_bar L/2, blurred by the PSF
    L = d["sim_bar_len"].to_numpy(float)
    bq = d["sim_bar_q"].to_numpy(float)
    bfrac = d["sim_bar_frac"].to_numpy(float) * (1 - bt)
    sx2, sy2 = (L / 2) ** 2 + sigma**2, (bq * L / 2 * np.sqrt(qd)) ** 2 + sigma**2
    bar_sb = bfrac / (2 * np.pi * np.sqrt(sx2 * sy2)) * np.exp(-0.5 * (L / 2) ** 2 / sx2)
    r_bar = L / 2 * aperture_scale(qd)
    host_sb = ((1 - bt) * _blurred_sb(np.ones(len(d)), 1.678 * h * aperture_scale(qd), sigma, r_bar)
               + bt * _blurred_sb(nb, reb * aperture_scale(qb), sigma, r_bar))
    vis_bar = bar_sb / host_sb * np.sqrt(qd) / T_BAR

    # 3. edge-on outline from PSF-convolved second moments
    mxx = (1 - bt) * 3 * h**2 + bt * reb**2 + sigma**2
    myy = (1 - bt) * 3 * (h * qd) ** 2 + bt * (reb * qb) ** 2 + sigma**2
    q_app = np.sqrt(myy / mxx)
    length2 = mxx / sigma**2  # squared rms length along the major axis, in PSF sigmas
    vis_edge = (np.clip((1 - q_app) / (1 - Q_EDGE), 0, None) ** EDGE_POWER
                * length2 / (length2 + EDGE_L0**2))

    vis = (vis_arm**3 + vis_bar**3 + vis_edge**3) ** (1 / 3)
    out.loc[disk, "vis_arm"] = vis_arm
    out.loc[disk, "vis_bar"] = vis_bar
    out.loc[disk, "vis_edge"] = vis_edge
    out.loc[disk, "arm_snr"] = snr
    out.loc[disk, "visibility"] = vis
    return out


def vote_probabilities(pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Per-object ingredients of a careful volunteer's vote.

    Returns ``p_star`` (probability of answering star/artifact), ``p_feat_fixed`` (the
    probability of "features" for non-disks, NaN for disks), ``log_vis`` (ln V for disks)
    and ``true_p_features``: the expected share of features votes from careful volunteers.
    """
    n = len(pop)
    cls = pop["true_class"].to_numpy()
    vis = feature_visibility(pop)["visibility"].to_numpy(float)
    p_star = np.where(cls == 2, 0.55 + 0.4 * rng.beta(2.0, 2.0, n), 0.005 + 0.02 * rng.random(n))
    p_feat_smooth = rng.beta(1.3, 15.0, n)  # mean 0.08, independent of resolution
    if "sim_false_features" in pop.columns:  # realistic survey: companions, dust lanes, artifacts
        distraction = pop["sim_false_features"].to_numpy(float)
        p_feat_smooth = np.where(np.isfinite(distraction), distraction, p_feat_smooth)
    p_feat_fixed = np.where(cls == 0, p_feat_smooth, np.where(cls == 2, 0.2, np.nan))
    log_vis = np.log(np.clip(np.nan_to_num(vis, nan=1e-6), 1e-6, None))
    spread = np.sqrt(S_VOTE**2 + SENSITIVITY_SPREAD**2)
    p_feat_disk = special.ndtr(log_vis / spread)
    p_features = (1 - p_star) * np.where(cls == 1, p_feat_disk, p_feat_fixed)
    return pd.DataFrame({"p_star": p_star, "p_feat_fixed": p_feat_fixed, "log_vis": log_vis,
                         "true_feature_visibility": vis, "true_p_features": p_features}, index=pop.index)


def simulate_votes(pop: pd.DataFrame, cfg: Any) -> pd.DataFrame:
    """GZ2-style task-1 vote columns for every object (deterministic in ``cfg.seed``).

    Returns a DataFrame aligned with ``pop``: ``total_classifications``; for each answer
    ``t01_smooth_or_features_a0{1,2,3}_*`` the ``_count``, ``_fraction`` and
    ``_weighted_fraction``; and the truth-side ``true_feature_visibility`` and
    ``true_p_features``.
    """
    rng = seeds.rng(cfg.seed, 2)
    n, nv = len(pop), int(cfg.n_votes)
    if nv < 1:
        raise ValueError(f"n_votes must be positive, got {nv}")
    probs = vote_probabilities(pop, rng)
    cls = pop["true_class"].to_numpy()

    n_vol = max(100, n * nv // CLASSIFICATIONS_PER_VOLUNTEER)
    careless = rng.random(n_vol) < CARELESS_SHARE
    sens = SENSITIVITY_SPREAD * rng.standard_normal(n_vol)
    who = rng.integers(0, n_vol, size=(n, nv))

    u_star, u_feat = rng.random((n, nv)), rng.random((n, nv))
    p_star = probs["p_star"].to_numpy()[:, None]
    p_feat = np.where(
        (cls == 1)[:, None],
        special.ndtr((probs["log_vis"].to_numpy()[:, None] + sens[who]) / S_VOTE),
        probs["p_feat_fixed"].to_numpy()[:, None],
    )
    # careful volunteers: star first, then features vs smooth
    answer = np.where(u_star < p_star, 2, np.where(u_feat < p_feat, 1, 0)).astype(np.int8)
    random_answer = rng.integers(0, 3, size=(n, nv)).astype(np.int8)
    answer = np.where(careless[who], random_answer, answer)

    counts = np.stack([(answer == a).sum(axis=1) for a in (0, 1, 2)], axis=1)
    frac = counts / nv
    # consistency of each volunteer: mean share of agreeing votes on the objects they saw
    agree = np.take_along_axis(frac, answer.astype(np.int64), axis=1)
    kappa = np.bincount(who.ravel(), weights=agree.ravel(), minlength=n_vol) / np.maximum(
        np.bincount(who.ravel(), minlength=n_vol), 1)
    weight = np.minimum(1.0, (kappa / KAPPA_REF) ** KAPPA_POWER)
    wv = weight[who]
    wsum = np.stack([(wv * (answer == a)).sum(axis=1) for a in (0, 1, 2)], axis=1)
    wfrac = wsum / np.maximum(wsum.sum(axis=1, keepdims=True), 1e-12)

    out = pd.DataFrame(index=pop.index)
    out["total_classifications"] = np.full(n, nv, dtype=np.int64)
    for a in (0, 1, 2):
        out[f"{ANSWERS[a]}_count"] = counts[:, a].astype(np.int64)
        out[f"{ANSWERS[a]}_fraction"] = frac[:, a]
        out[f"{ANSWERS[a]}_weighted_fraction"] = wfrac[:, a]
    out["true_feature_visibility"] = probs["true_feature_visibility"].to_numpy()
    out["true_p_features"] = probs["true_p_features"].to_numpy()
    return out
