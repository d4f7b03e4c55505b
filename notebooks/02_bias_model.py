# %% [markdown]
# # 2. A model of the labelling bias
#
# **Overview.** Why would a volunteer call a disk galaxy *smooth*? Because the disk is not
# visible: the survey image is the galaxy convolved with the point-spread function (PSF) of the
# telescope and atmosphere, and when the galaxy is not much larger than the PSF its spiral arms,
# bar and thin disk are smeared into a featureless blob. The ratio of the two sizes,
#
# $$
# \alpha = \frac{R_\mathrm{Petrosian}}{\sigma_\mathrm{PSF}}, \qquad
# \sigma_\mathrm{PSF} = \frac{\mathrm{FWHM}}{2\sqrt{2\ln 2}},
# $$
#
# measures how well resolved a galaxy is. This chapter looks at how the labelled class
# fractions change with $\alpha$ and introduces the model the paper uses for it
# ({cite:p}`MedinaRosales2024`, §4.2; after {cite:p}`CabreraVives2014`).
#
# **Prerequisites.** Chapter 1 (`labels.parquet`; on the simulated survey also chapter 0's
# `catalog.parquet`, for the true structure of the disks). The real FERENGI votes ship with the
# book in `data/ferengi/`. Code: `galbias.methods.bias.bias_probability`,
# `galbias.results.bias_model` and `galbias.results.ferengi` (this chapter's summaries),
# `galbias.compendium.plots`.
#
# **Produces.** Figures only.

# %% tags=["parameters"]
profile = "demo"
overrides = {}
n_alpha_bins = 15  # equal-count alpha bins for the figures

# %% tags=["remove-cell"]
import numpy as np
import matplotlib.pyplot as plt

from galbias.compendium import config, plots, steps
from galbias.data.catalog import has_truth
from galbias.reference import PAPER_THETA
from galbias.results import bias_model, ferengi

plots.setup()
cfg = config.get_profile(profile, **overrides)
labels = steps.load_labels(cfg)
truth_known = has_truth(labels)
alpha = labels["alpha"].to_numpy()

# %% [markdown]
# ## Class fractions change with resolution
#
# If the labels depended only on what the galaxies are, the fraction of galaxies labelled
# smooth would not depend on $\alpha$ — there is no reason for intrinsically smooth galaxies to
# be preferentially poorly resolved once we compare galaxies of similar luminosity and size
# (chapter 5 does that comparison properly). The figure below shows the fraction labelled smooth in
# equal-count bins of $\alpha$.

# %% tags=["remove-cell"]
fig, ax = plt.subplots(figsize=(6.4, 4.0))
series = {"gz2b": labels["gz2b"].to_numpy() == 0, "gz2d": labels["gz2d"].to_numpy() == 0}
names = {"gz2b": "GZ2B labels", "gz2d": "GZ2D labels"}
if truth_known:
    series["truth"] = labels["truth"].to_numpy(dtype=float) == 0
    names["truth"] = "true class"
plots.plot_fraction_vs_alpha(ax, alpha, series, n_bins=n_alpha_bins, labels=names)
ax.set_ylabel("fraction smooth")
ax.set_ylim(0, 1)
ax.legend()
plots.glue_figure("fig_fractions", fig)
plots.glue_numbers(**bias_model.fraction_contrast(labels))

# %% [markdown]
# ```{glue:figure} fig_fractions
# :name: fig-fractions
#
# Fraction of the labelled sample that is smooth, in equal-count bins of $\alpha$, with binomial
# error bars. Look at the left side: the labels (GZ2B, and to a lesser degree GZ2D) call more
# and more galaxies smooth as the resolution gets worse. On the simulated survey the true
# fraction (black) is shown too; it is what an unbiased labelling would give.
# ```
#
# Among the least resolved fifth of the sample ($\alpha$ < {glue:text}`alpha_q20:.1f`),
# {glue:text}`fs_lo_b:.0%` are GZ2B-smooth, against {glue:text}`fs_hi_b:.0%` among the best
# resolved fifth ($\alpha$ > {glue:text}`alpha_q80:.1f`). For GZ2D the two numbers are
# {glue:text}`fs_lo_d:.0%` and {glue:text}`fs_hi_d:.0%`; for the true classes of the simulated
# survey they are {glue:text}`fs_lo_t:.0%` and {glue:text}`fs_hi_t:.0%` (`nan` for real data).
#
# ## The bias model
#
# The paper assumes that the errors go one way only: a true disk may be labelled smooth, but a
# true smooth galaxy is never labelled disk. The probability of the first error falls with
# resolution as a half-Gaussian,
#
# $$
# b(\alpha;\theta) = p(\text{labelled smooth} \mid \text{disk}, \alpha)
#   = \exp\!\left(-\frac{\alpha^2}{2\theta^2}\right), \qquad
# p(\text{labelled disk} \mid \text{smooth}) = 0 .
# $$
#
# At $\alpha = \theta$ a fraction $b(\theta) = e^{-1/2} \approx$ {glue:text}`b_at_theta:.2f` of the
# disks is labelled smooth; well below $\theta$ almost all are, well above almost none.
# With true class fractions $f_s$ and $f_d = 1 - f_s$ that do not depend on $\alpha$, the
# observed smooth fraction becomes
#
# $$
# \tilde f_s(\alpha) = f_s + f_d\, b(\alpha;\theta),
# $$
#
# rising from $f_s$ at high resolution to 1 at $\alpha \to 0$.

# %% tags=["remove-cell"]
curves = bias_model.bias_curves((alpha.min(), alpha.max()))
paper = PAPER_THETA["ddb"]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
cmap = plt.get_cmap("viridis")
for i, (th, c) in enumerate(curves.groupby("theta", sort=False)):
    kw = dict(color=cmap(i / (len(bias_model.THETAS) - 1)), lw=2 if th == paper else 1.2)
    axes[0].plot(c["alpha"], c["b"], label=rf"$\theta$ = {th:g}" + (" (paper)" if th == paper else ""), **kw)
    axes[1].plot(c["alpha"], c["f_obs"], **kw)
vol = bias_model.volunteer_bias(labels, n_alpha_bins)
if vol is not None:
    axes[0].errorbar(vol["alpha_mid"], vol["frac"], yerr=vol["err"], fmt="o", ms=3.5, color=plots.COLORS["gz2b"],
                     label="true disks labelled smooth (GZ2B)")
for ax in axes:
    plots.alpha_axis(ax)
    ax.set_ylim(0, 1.02)
axes[0].set_ylabel(r"$b(\alpha;\theta)$")
axes[1].set_ylabel(r"$\tilde f_s(\alpha)$ for $f_s = 0.4$")
axes[0].legend(fontsize=8)
plots.glue_figure("fig_model", fig)
plots.glue_numbers(paper_theta=paper, b_at_theta=float(np.exp(-0.5)))

# %% [markdown]
# ```{glue:figure} fig_model
# :name: fig-model
#
# Left: the bias model $b(\alpha;\theta)$ for a few values of $\theta$; the thick curve is the
# paper's fitted value for the real GZ2 data, $\theta$ = {glue:text}`paper_theta:.2f`. On the simulated survey the points show what the
# simulated volunteers actually did: the fraction of *true* disks that received a GZ2B smooth
# label. Compare their shape with the curves — the simulation does not use this formula, so
# the match (or mismatch) is a test of the model. Right: the observed smooth fraction the model
# predicts for a population with 40% true smooth galaxies.
# ```
#
# ## Volunteers judge what is visible
#
# The model gives every disk at the same $\alpha$ the same chance of being called smooth: the
# label depends only on the true class and on $\alpha$. But a volunteer does not see $\alpha$;
# they see arms, a bar or a thin outline, and those are easier to see in some disks than in
# others at the same resolution. The figure below looks inside the $\alpha$ bins and splits the
# true disks by what makes a disk recognisable: how strong its spiral arms are, whether it has
# arms at all (lenticular-like disks have none), and how it is inclined. This is
# {glue:text}`vis_status`.

# %% tags=["remove-cell"]
cues = bias_model.disk_cues(labels, steps.load_catalog(cfg) if truth_known else None)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.5), sharey=True)
for ax, (col, groups, title) in zip(axes, bias_model.CUE_PANELS):
    if cues is None:
        ax.axis("off")
        continue
    shares = bias_model.smooth_share_by(cues, col, groups)
    for color, (name, t) in zip(("#1b9e77", "#d95f02", "#7570b3"), shares.groupby("group", sort=False)):
        ax.errorbar(t["alpha_mid"], t["frac"], yerr=t["err"], fmt="o-", ms=3, capsize=2, color=color, label=name)
    plots.alpha_axis(ax)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
if cues is None:
    axes[1].text(0.5, 0.5, "no truth for real data: not measurable", ha="center", va="center")
axes[0].set_ylabel("true disks labelled smooth (GZ2B)")
axes[0].set_ylim(0, 1.02)
fig.tight_layout()
plots.glue_figure("fig_visible", fig)
plots.glue_numbers(**bias_model.middle_alpha_shares(cues),
                   vis_status="measured on the simulated survey, where the truth is known" if cues is not None else
                   "not measurable on real data: the true classes and structures are unknown, so the figure is "
                   "left empty and the numbers below are `nan`")

# %% [markdown]
# ```{glue:figure} fig_visible
# :name: fig-visible
#
# Share of the true disks that received a GZ2B smooth label, against $\alpha$, each group in its
# own equal-count $\alpha$ bins with binomial error bars (simulated survey only). Left: disks with
# arms, split into terciles of arm strength; middle: disks with arms against lenticular-like disks
# without arms; right: face-on against edge-on disks. Look at the vertical gaps between the
# curves at the same $\alpha$: under the paper's model there would be none.
# ```
#
# In the middle fifth of the disks' resolution ({glue:text}`mid_alpha_lo:.1f` <
# $\alpha$ < {glue:text}`mid_alpha_hi:.1f`), {glue:text}`mid_all:.0%` of the true disks are labelled
# smooth: {glue:text}`mid_strong:.0%` of those with the strongest arms
# ({glue:text}`mid_n_strong` disks) against {glue:text}`mid_weak:.0%` of those with the weakest
# ({glue:text}`mid_n_weak`) and {glue:text}`mid_lent:.0%` of the lenticular-like ones
# ({glue:text}`mid_n_lent`); {glue:text}`mid_face:.0%` of the face-on ({glue:text}`mid_n_face`) and
# {glue:text}`mid_edge:.0%` of the edge-on ({glue:text}`mid_n_edge`). (The balanced sample of
# chapter 1 keeps a random share of each GZ2B class, which scales the odds of a smooth label by
# the same factor in every group: it moves the levels, not the order of the groups.)
#
# Why this matters for DDB: the DDB loss (chapter 4) corrects each disk's label with
# $b(\alpha;\theta)$ alone, but the network looks at the image and can see how visible a disk's
# features are. It can therefore learn that visibility, and with it the volunteers' mistakes
# (calling a faint-armed or armless disk smooth), and the model has no term to take this back,
# because it lets the error rate depend on $\alpha$ only.
#
# ## Real volunteers shown the same galaxies further away
#
# The simulated volunteers lose a disk's features for physical reasons only: blurring by the PSF
# and sky noise (chapter 0). Real volunteers went through a similar test. For Galaxy Zoo: Hubble,
# {cite:t}`Willett2017` took SDSS galaxies at $z$ =
# {glue:text}`fer_real_z0_min_all:.3f`–{glue:text}`fer_real_z0_max_all:.3f` and made new images of
# each with FERENGI {cite:p}`Barden2008`, as if the galaxy were at $z$ =
# {glue:text}`fer_z_lo:.1f`–{glue:text}`fer_z_hi:.1f` and seen by the Hubble Space Telescope's ACS
# camera, with a luminosity evolution $e$ from zero to {glue:text}`fer_e_hi:.0f`; volunteers then
# classified those images. The two tables ship with this book (`data/ferengi/`, MIT licence; each
# file is checked against its SHA-256 when read). We take the {glue:text}`fer_real_n_distinct`
# galaxies that at least {glue:text}`fer_featured_min:.0%` of the GZ2 volunteers had called
# "features or disk" at SDSS resolution and that were redshifted to every target redshift; the
# other featured galaxies (of {glue:text}`fer_real_n_featured` in all) start at $z$ =
# {glue:text}`fer_real_other_starts`, are brighter, and would change the sample along the redshift
# axis.
#
# The simulated side treats the mock's galaxies the same way (`galbias.mock.ferengi`): true disks
# at $z$ < {glue:text}`fer_z_near:.3f` with an expected features share of at least
# {glue:text}`fer_featured_min:.0%` are moved to each target redshift. Angular sizes shrink by
# $D_A(z_0)/D_A(z)$ and the flux by $(D_L(z_0)/D_L(z))^2$, so the surface brightness falls by
# $((1+z_0)/(1+z))^4$; the galaxy is brightened by $e\,z$ magnitudes (our reading of FERENGI's $e$
# as magnitudes per unit redshift, not confirmed from the GZ:Hubble material); the camera has a
# PSF of {glue:text}`fer_hst_psf_fwhm:.2f`″ FWHM, widened by a {glue:text}`fer_hst_pixel:.2f`″
# pixel to {glue:text}`fer_hst_fwhm_eff:.3f`″, and the sky noise of a COSMOS-like F814W image (5σ
# point-source depth {glue:text}`fer_hst_depth:.1f` AB; {glue:text}`fer_hst_noise_vs_sdss:.0%` of
# the mock SDSS regions' noise). In the mock, faint disks lose their features much sooner than
# bright ones, and the real galaxies are faint (median $M_r$ =
# {glue:text}`fer_real_abs_mag_median:.1f` against {glue:text}`fer_pool_abs_mag_median:.1f` for
# the mock's nearby disks), so the simulated set is matched in absolute magnitude: the
# {glue:text}`fer_k_match` nearest mock disks to each real galaxy ({glue:text}`fer_sim_n_distinct`
# distinct disks, median $M_r$ = {glue:text}`fer_sim_abs_mag_median:.1f`).

# %% tags=["remove-cell"]
fer = ferengi.comparison(cfg)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
ferengi.plot(axes, fer)
plots.glue_figure("fig_ferengi", fig)
plots.glue_numbers(**ferengi.numbers(fer))

# %% [markdown]
# ```{glue:figure} fig_ferengi
# :name: fig-ferengi
#
# Share of "features" votes for the same galaxies in their SDSS images (black square, at their
# median own redshift, with quartiles) and in images of them moved to higher redshift (lines:
# median for each evolution $e$; grey band: quartiles for $e$ = 0). Left: real volunteers on the
# FERENGI images; right: the expected share from the simulated volunteers for magnitude-matched
# mock disks. Look at the drop between the SDSS point and $z$ = {glue:text}`fer_z_lo:.1f`, and at
# how far the lines for different $e$ fan out: brightening helps where the features were lost in
# the noise.
# ```
#
# For the real volunteers the median share falls from {glue:text}`fer_real_median:.2f` in the SDSS
# images to {glue:text}`fer_real_p_lo_e0:.2f` at $z$ = {glue:text}`fer_z_lo:.1f` and
# {glue:text}`fer_real_p_hi_e0:.2f` at $z$ = {glue:text}`fer_z_hi:.1f` without evolution. Relative
# to each galaxy's own SDSS value, that is {glue:text}`fer_real_rel_lo_e0:.0%` at $z$ =
# {glue:text}`fer_z_lo:.1f` and {glue:text}`fer_real_rel_hi_e0:.0%` at $z$ =
# {glue:text}`fer_z_hi:.1f` ({glue:text}`fer_real_rel_hi_ehi:.0%` with $e$ =
# {glue:text}`fer_e_hi:.0f`). For the simulated volunteers the same ratios are
# {glue:text}`fer_sim_rel_lo_e0:.0%`, {glue:text}`fer_sim_rel_hi_e0:.0%` and
# {glue:text}`fer_sim_rel_hi_ehi:.0%`; without the magnitude matching (all
# {glue:text}`fer_pool_n_distinct` nearby mock disks) the ratio at $z$ = {glue:text}`fer_z_hi:.1f`
# would be {glue:text}`fer_pool_rel_hi_e0:.0%`. The table gives the whole curves.

# %% tags=["remove-input"]
plots.table(ferengi.relative_table(fer), "Table 2.1. Median features share relative to each galaxy's own SDSS "
            "value, per target redshift, without and with the largest evolution.", precision=2)

# %% [markdown]
# **What this checks, and what it cannot.** It compares how fast a disk's visible features fade
# with distance for the mock's volunteers and for real ones, on similar galaxies moved the same
# way. Read the two panels against each other: where the real share at $z$ =
# {glue:text}`fer_z_lo:.1f` is already far below its SDSS value and the simulated one is not, the
# simulated volunteers still see features that real people miss in such images; where the
# simulated lines fan out with $e$ and the real ones stay close together, the simulated volunteers
# rely on surface brightness much more than real people do. Either way, the mock's bias curve
# would rest on perception rules that differ from real people's, and its $\theta$ need not match
# the paper's for the right reasons. What it cannot do: the files carry neither the galaxies' SDSS
# sizes nor the PSF widths, so the real galaxies have no $\alpha$ and cannot be put on this
# chapter's axis or used to test $b(\alpha;\theta)$ itself; the degraded images are HST-like (a
# sharp PSF, fine pixels, bluer rest-frame light, the GZ:Hubble interface), not SDSS images; the
# fixed set holds only {glue:text}`fer_real_n_distinct` galaxies, picked by vote categories rather
# than at random, and some of their images are missing at the farthest redshifts; the real shares
# include random clicks, which give every image some "features" votes, while the simulated share
# is that of careful volunteers; and the simulated volunteers do not look at images at all: they
# judge a visibility computed from each galaxy's parameters, and the mock renders its galaxies
# only at its own survey pixel scale, never at HST's.
#
# ## What the next chapters answer
#
# - Can $\theta$ be estimated from the labels alone, without knowing the truth? Chapter 3 fits
#   $\tilde f_s(\alpha)$ to the binned observed fractions, and compares with a classical EM
#   approach that uses galaxy structure (Sérsic index, ellipticity, size).
# - Can a network learn the *true* class from biased labels if it is trained through this
#   model? Chapter 4 trains one.
#
# ## Summary
#
# - The fraction of galaxies labelled smooth rises as resolution falls: from
#   {glue:text}`fs_hi_b:.0%` to {glue:text}`fs_lo_b:.0%` between the best and the worst resolved
#   fifths for GZ2B, and from {glue:text}`fs_hi_d:.0%` to {glue:text}`fs_lo_d:.0%` for GZ2D. On the
#   simulated survey the true fraction goes from {glue:text}`fs_hi_t:.0%` to {glue:text}`fs_lo_t:.0%`
#   over the same range, so what remains of the rise is a labelling effect.
# - The paper's model needs one number, $\theta$, and assumes disks are lost but never created.
# - On the simulated survey the volunteers' error depends on more than $\alpha$: at the same
#   resolution, {glue:text}`mid_strong:.0%` of the strongest-armed disks but
#   {glue:text}`mid_lent:.0%` of the lenticular-like ones are labelled smooth (`nan` for real
#   data). A network can see that difference; the model cannot express it.
# - Real volunteers shown FERENGI images keep {glue:text}`fer_real_rel_lo_e0:.0%` of their
#   features votes at $z$ = {glue:text}`fer_z_lo:.1f` and {glue:text}`fer_real_rel_hi_e0:.0%` at
#   $z$ = {glue:text}`fer_z_hi:.1f`; the simulated volunteers keep {glue:text}`fer_sim_rel_lo_e0:.0%`
#   and {glue:text}`fer_sim_rel_hi_e0:.0%`.
