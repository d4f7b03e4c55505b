# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

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
# measures how well resolved a galaxy is ({term}`alpha (α)`; $R_\mathrm{Petrosian}$ is the
# {term}`Petrosian radius`, FWHM the PSF's {term}`FWHM`). This chapter looks at how the labelled
# class fractions change with $\alpha$ and introduces the {term}`bias model` the paper uses for
# it ({cite:p}`MedinaRosales2024`, §4.2; after {cite:p}`CabreraVives2014`), tests it against what
# the simulated volunteers did, and compares the simulated volunteers with real ones shown
# {term}`FERENGI` images of the same kind of galaxies.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
# - write down $b(\alpha;\theta)$ and say what share of the disks it labels smooth at
#   $\alpha = \theta$, and how the observed smooth fraction follows from it;
# - test the model's two assumptions (the error depends on α alone; errors go one way) against
#   labels whose truth is known;
# - explain what the FERENGI comparison can and cannot say about the simulated volunteers.
# ```
#
# **Time to run:** {glue:text}`run_time` (measured; see {doc}`../teaching`).
#
# **Prerequisites.** Chapter 1 (`labels.parquet`) and chapter 0's `catalog.parquet` (the
# unbalanced training pool and, on the simulated survey, the true structure of the disks). The
# real FERENGI votes ship with the book in `data/ferengi/`. Code:
# `galbias.methods.bias.bias_probability`, `galbias.compendium.steps.training_pool`,
# `galbias.results.bias_model` (`fraction_contrast`, `bias_curves`, `volunteer_bias`,
# `disk_cues`, `best_theta`, `model_check`) and `galbias.results.ferengi` (`comparison`,
# `verdict`), `galbias.compendium.plots`.
#
# **Produces.** Figures only.

# %% tags=["parameters"]
profile = "demo"
overrides = {}
n_alpha_bins = 15  # equal-count alpha bins for the figures
theta_model = None  # θ of the highlighted model curve (None: the paper's)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np

from galbias.compendium import config, plots, steps, timings
from galbias.data.catalog import has_truth
from galbias.reference import PAPER_THETA
from galbias.results import bias_model, ferengi, labeling

plots.setup()
plots.glue_numbers(run_time=timings.note("02_bias_model"))
cfg = config.get_profile(profile, **overrides)
labels = labeling.balanced_sample(steps.load_labels(cfg))  # training, validation and test splits
pool = steps.training_pool(cfg, steps.load_labels(cfg))  # unbalanced: every galaxy outside val/test/eval
truth_known = has_truth(labels)
alpha = labels["alpha"].to_numpy()

# %% [markdown]
# ## Class fractions change with resolution
#
# If the labels depended only on what the galaxies are, the fraction of galaxies labelled
# smooth would not depend on $\alpha$ — there is no reason for intrinsically smooth galaxies to
# be preferentially poorly resolved once we compare galaxies of similar luminosity and size
# (chapter 5 does that comparison properly). The figure below shows the fraction labelled smooth in
# equal-count bins of $\alpha$, for the balanced sample of chapter 1 (training, validation and
# test splits; {term}`GZ2B and GZ2D <GZ2B, GZ2D>` labels).

# %% tags=["hide-input"]
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
# Fraction of the balanced sample that is smooth, in equal-count bins of $\alpha$, with binomial
# error bars. Look at the left side: the labels call more and more galaxies smooth as the
# resolution gets worse. On the simulated survey the true fraction (black) is shown too; it is
# what an unbiased labelling would give.
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
#   = \exp\!\left(-\frac{\alpha^2}{2\theta^2}\right),
# $$
#
# $$
# p(\text{labelled disk} \mid \text{smooth}) = 0 .
# $$
#
# $b$ is the probability that a true disk is labelled smooth, so $\theta$ ({term}`theta (θ)`) is
# the resolution at which $b(\theta) = e^{-1/2} \approx$ {glue:text}`b_at_theta:.2f`: about
# {glue:text}`b_at_theta:.0%` of the disks at that resolution are labelled smooth and only
# {glue:text}`kept_at_theta:.0%` keep their disk label. At twice $\theta$ the share labelled smooth
# is down to {glue:text}`b_at_2theta:.0%`, at half $\theta$ it is {glue:text}`b_at_half_theta:.0%`.
# With true class fractions $f_s$ and $f_d = 1 - f_s$ that do not depend on $\alpha$, the
# observed smooth fraction becomes
#
# $$
# \tilde f_s(\alpha) = f_s + f_d\, b(\alpha;\theta),
# $$
#
# rising from $f_s$ at high resolution to 1 at $\alpha \to 0$.
#
# On the simulated survey the model can be tested directly: the share of *true* disks that the
# volunteers labelled smooth, in bins of $\alpha$, is what $b(\alpha)$ claims to describe. The
# points below use the unbalanced training pool (every galaxy outside the validation, test and
# evaluation samples), because balancing on the GZ2B label would change the share of disks with
# a smooth label.

# %% tags=["hide-input"]
paper = PAPER_THETA["ddb"]
highlight = paper if theta_model is None else float(theta_model)
thetas = tuple(sorted(set(bias_model.THETAS) | {highlight}))
f_s_demo = 0.4  # true smooth fraction of the right panel's example population
curves = bias_model.bias_curves((alpha.min(), alpha.max()), thetas=thetas, f_s=f_s_demo)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
cmap = plt.get_cmap("viridis")
for i, (th, c) in enumerate(curves.groupby("theta", sort=False)):
    name = " (paper)" if th == paper else (" (chosen)" if th == highlight else "")
    kw = {"color": cmap(i / max(len(thetas) - 1, 1)), "lw": 2.2 if th == highlight else 1.1}
    axes[0].plot(c["alpha"], c["b"], label=rf"$\theta$ = {th:g}{name}", **kw)
    axes[1].plot(c["alpha"], c["f_obs"], **kw)
vol = bias_model.volunteer_bias(pool, n_alpha_bins)
if vol is not None:
    axes[0].errorbar(vol["alpha_mid"], vol["frac"], yerr=vol["err"], fmt="o", ms=3.5, color=plots.COLORS["gz2b"],
                     label="true disks labelled smooth (GZ2B)")
for ax in axes:
    plots.alpha_axis(ax)
    ax.set_ylim(0, 1.02)
axes[0].set_ylabel(r"$b(\alpha;\theta)$")
axes[1].set_ylabel(rf"$\tilde f_s(\alpha)$ for $f_s = {f_s_demo:g}$")
axes[0].legend(fontsize=8, loc="lower left")
plots.glue_figure("fig_model", fig)
best = bias_model.best_theta(vol)
fit = {**bias_model.model_check(vol, best), "best_theta": best}
fit["word"] = bias_model.chi2_word(fit["chi2_red"], fit["n_points"] - 1)
chosen = bias_model.model_check(vol, highlight)
plots.glue_numbers(paper_theta=paper, theta_model=highlight, f_s_demo=f_s_demo, b_at_theta=float(np.exp(-0.5)),
                   kept_at_theta=1 - float(np.exp(-0.5)), b_at_2theta=float(np.exp(-2.0)),
                   b_at_half_theta=float(np.exp(-0.125)), best_theta=best, best_chi2=fit["chi2_red"],
                   best_rms=fit["rms"], best_word=fit["word"], n_points=fit["n_points"],
                   chosen_chi2=chosen["chi2_red"], chosen_rms=chosen["rms"],
                   chosen_word=bias_model.chi2_word(chosen["chi2_red"], chosen["n_points"] - 1))

# %% [markdown]
# ```{glue:figure} fig_model
# :name: fig-model
#
# Left: the bias model $b(\alpha;\theta)$ for a few values of $\theta$; the thick curve is
# $\theta$ = {glue:text}`theta_model:.2f` (by default the paper's fitted value for the real GZ2
# data, {glue:text}`paper_theta:.2f`). On the simulated survey the points show what the simulated
# volunteers actually did: the fraction of *true* disks in the unbalanced training pool that
# received a GZ2B smooth label. Compare their shape with the curves — the simulation does not use
# this formula, so the match (or mismatch) is a test of the model. Right: the observed smooth
# fraction the model predicts for a population with {glue:text}`f_s_demo:.0%` true smooth galaxies.
# ```
#
# The thick curve lies at an rms distance of {glue:text}`chosen_rms:.3f` from the
# {glue:text}`n_points` points (reduced χ² {glue:text}`chosen_chi2:.1f` in their binomial errors).
# The $\theta$ that brings the half-Gaussian closest is {glue:text}`best_theta:.2f` (rms
# {glue:text}`best_rms:.3f`, reduced χ² {glue:text}`best_chi2:.1f`): with its best $\theta$ the
# curve passes through the points {glue:text}`best_word`. (On real data there are no points and
# these numbers are `nan`.)
#
# ## Volunteers judge what is visible
#
# The model gives every disk at the same $\alpha$ the same chance of being called smooth: the
# label depends only on the true class and on $\alpha$. But a volunteer does not see $\alpha$;
# they see arms, a bar or a thin outline, and those are easier to see in some disks than in
# others at the same resolution. The figure below looks inside the $\alpha$ bins and splits the
# true disks by what makes a disk recognisable: how strong its spiral arms are, whether it has
# arms at all (lenticular-like disks have none), and how it is inclined. This is
# {glue:text}`vis_status`. As above, the disks are those of the unbalanced training pool.

# %% tags=["hide-input"]
cues = bias_model.disk_cues(pool, steps.load_catalog(cfg) if truth_known else None)
group_colors = plt.get_cmap("viridis")([0.05, 0.5, 0.85])  # groups, not methods: a sequential palette
fig, axes = plt.subplots(1, 3, figsize=(11, 3.5), sharey=True)
for ax, (col, groups, title) in zip(axes, bias_model.CUE_PANELS):
    if cues is None:
        ax.axis("off")
        continue
    shares = bias_model.smooth_share_by(cues, col, groups)
    for color, (name, t) in zip(group_colors, shares.groupby("group", sort=False)):
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
mid = bias_model.middle_alpha_shares(cues)
arms = bias_model.group_gap(mid, "strong", "weak")
plots.glue_numbers(**mid, arms_word=arms["word"], arms_gap=arms["gap"], arms_gap_sd=arms["gap_sd"],
                   vis_status="measured on the simulated survey, where the truth is known" if cues is not None else
                   "not measurable on real data: the true classes and structures are unknown, so the figure is "
                   "left empty and the numbers below are nan")

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
# {glue:text}`mid_edge:.0%` of the edge-on ({glue:text}`mid_n_edge`). The strongest- and the
# weakest-armed disks {glue:text}`arms_word` (difference {glue:text}`arms_gap:+.2f` ±
# {glue:text}`arms_gap_sd:.2f`, binomial).
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

# %% tags=["hide-input"]
fer = ferengi.comparison(cfg)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
ferengi.plot(axes, fer)
plots.glue_figure("fig_ferengi", fig)
fer_nums, fer_verdict = ferengi.numbers(fer), ferengi.verdict(fer, seed=cfg.seed)
plots.glue_numbers(**fer_nums, **fer_verdict)

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

# %% tags=["hide-input"]
plots.table(ferengi.relative_table(fer), "Table 2.1. Median features share relative to each galaxy's own SDSS "
            "value, per target redshift, without and with the largest evolution.", precision=2)

# %% [markdown]
# **What this checks, and what it cannot.** It compares how fast a disk's visible features fade
# with distance for the mock's volunteers and for real ones, on similar galaxies moved the same
# way; the verdict below sets the two side by side. What it cannot do: the files carry neither
# the galaxies' SDSS sizes nor the PSF widths, so the real galaxies have no $\alpha$ and cannot be
# put on this chapter's axis or used to test $b(\alpha;\theta)$ itself; the degraded images are
# HST-like (a sharp PSF, fine pixels, bluer rest-frame light, the GZ:Hubble interface), not SDSS
# images; the fixed set holds only {glue:text}`fer_real_n_distinct` galaxies, picked by vote
# categories rather than at random, and some of their images are missing at the farthest
# redshifts; the real shares include random clicks, which give every image some "features"
# votes, while the simulated share is that of careful volunteers; and the simulated volunteers
# do not look at images at all: they judge a visibility computed from each galaxy's parameters,
# and the mock renders its galaxies only at its own survey pixel scale, never at HST's.

# %% tags=["remove-cell"]
false = bias_model.false_disks(pool)
plots.glue_numbers(**false, **bias_model.rise_words(bias_model.fraction_contrast(labels), len(labels)),
                   **bias_model.verdict_sentences(fit, arms, false, mid, fer_verdict, fer_nums))

# %% [markdown]
# ## Verdict: the model and the simulated volunteers against what volunteers do
#
# The paper's model makes two claims that the simulated survey can test, because its truth is
# known: the share of disks labelled smooth follows a half-Gaussian in α, and it depends on α
# alone, with no errors the other way. The FERENGI images test the simulated volunteers
# themselves against real ones. Each comparison is judged against its own noise: the binomial
# errors of the points (a reduced χ² within twice its spread of 1), of the group shares, and the
# bootstrap spread of the FERENGI medians (differences within two standard deviations count as
# agreeing).
#
# **Where it agrees.** {glue:text}`verdict_agree`
#
# **Where it does not.** {glue:text}`verdict_disagree`
#
# **Why, as far as we know.** The simulated volunteers do not use α: they judge how visible a
# disk's arms, bar and outline are after blurring and sky noise (chapter 0). Visibility falls with
# α, which gives the labels their resolution trend, but at the same α it also depends on how
# strong the arms are and on whether there are any, which a function of α alone cannot express;
# a few smooth galaxies with features-like distractions (companions, dust lanes) are voted disks.
# Against real volunteers, the simulated ones follow perception rules set by hand: where they
# keep more of their votes than real people, they still see features that people miss in such
# images; where their lines fan out more with the evolution $e$, they rely on surface brightness
# more than people do. Either way the mock's bias curve rests on rules that differ from real
# people's, so its θ need not match the paper's for the right reasons (chapter 3).
#
# ## What the next chapters answer
#
# - Can $\theta$ be estimated from the labels alone, without knowing the truth? Chapter 3 fits
#   $\tilde f_s(\alpha)$ to the binned observed fractions, and compares with a classical EM
#   approach that uses galaxy structure (Sérsic index, ellipticity, size).
# - Can a network learn the *true* class from biased labels if it is trained through this
#   model? Chapter 4 trains one.
#
# ## Exercises
#
# ````{exercise} Change θ of the model curve
# :label: ex-02-theta
# The thick curve of the model figure is drawn for the paper's θ. Re-run the chapter with
# another one, e.g.
#
# ```
# python -m galbias run --profile demo --only 02 --set theta_model=8.5
# ```
#
# and read the rms distance and the reduced χ² printed under the figure. Try a few values: which
# θ brings the curve closest to the simulated volunteers' points? Compare it with the best θ
# the chapter finds and with the volunteers' θ that chapter 3 measures (Table 3.2, with a free
# floor). Does any θ make the curve pass through all the points?
# ````
#
# ````{solution} ex-02-theta
# :class: dropdown
# The rms and χ² are smallest near the chapter's best θ ({glue:text}`best_theta:.1f` on this run)
# and grow on either side. Chapter 3's volunteers' θ need not equal it: it is fitted with a free
# floor, in other bins, and without weighting the points by their errors, and when the shape
# does not fit, each way of fitting settles on a different compromise. Whether any θ passes through all the points is what the
# verdict's first line says: with its best θ the half-Gaussian passes through them
# {glue:text}`best_word`. A θ moves the curve sideways only; if the points rise more steeply
# than a half-Gaussian at low α (or level off above zero at high α), no θ fixes that — which is
# why chapter 3 also fits a second shape parameter.
# ````
#
# ````{exercise} The volunteers' bias in the GZ2D labels
# :label: ex-02-gz2d
# `bias_model.volunteer_bias` takes the label column as an argument. Add a cell that draws the
# points for the GZ2D labels of the balanced sample next to GZ2B's:
#
# ```python
# for col in ("gz2b", "gz2d"):
#     v = bias_model.volunteer_bias(labels, n_alpha_bins, label=col)
#     print(col, bias_model.best_theta(v))
# ```
#
# Which label set has the smaller θ, and why? (The balanced sample is used here because the
# unbalanced pool carries GZ2B labels only; balancing changes the levels, so compare the two
# label sets with each other, not with the figure.)
# ````
#
# ````{solution} ex-02-gz2d
# :class: dropdown
# GZ2D's best θ is smaller: the redshift debiasing turns some poorly resolved GZ2B-smooth disks
# back into disks (chapter 1), so fewer disks are labelled smooth at a given α, and a
# half-Gaussian that falls off at a smaller α describes them. GZ2D is less biased, but not
# unbiased: its θ is not zero.
# ````
#
# ````{exercise} Is the order of the groups the same at every resolution?
# :label: ex-02-groups
# The chapter compares groups of disks in the middle fifth of their α. Add a cell that repeats
# it in the second fifth and the fourth fifth:
#
# ```python
# for q in ((0.2, 0.4), (0.6, 0.8)):
#     m = bias_model.middle_alpha_shares(cues, quantiles=q)
#     print(q, {k: round(m[f"mid_{k}"], 2) for k in ("strong", "weak", "lent", "face", "edge")})
# ```
#
# Does the strongest-armed tercile stay the least often labelled smooth? Where are the gaps
# between the groups largest?
# ````
#
# ````{solution} ex-02-groups
# :class: dropdown
# The order of the arm terciles and of the lenticular-like disks stays the same: at any α a disk
# with strong arms is the easiest to recognise and a disk without arms the hardest. The gap
# between the strongest and the weakest arms is smallest at low α, where almost every disk is
# labelled smooth, and widens as α grows, because strong arms survive the blur before weak ones
# do; the lenticular-like disks, which lack the main cue, stay labelled smooth at every α.
# ````
#
# ## Summary
#
# - The fraction of galaxies labelled smooth rises as resolution falls: from
#   {glue:text}`fs_hi_b:.0%` to {glue:text}`fs_lo_b:.0%` between the best and the worst resolved
#   fifths for GZ2B, and from {glue:text}`fs_hi_d:.0%` to {glue:text}`fs_lo_d:.0%` for GZ2D. On the
#   simulated survey the true fraction goes from {glue:text}`fs_hi_t:.0%` to {glue:text}`fs_lo_t:.0%`
#   over the same range: {glue:text}`rise_sentence`
# - The paper's model needs one number, θ, and assumes disks are lost but never created: at
#   $\alpha = \theta$ it labels {glue:text}`b_at_theta:.0%` of the disks smooth.
# - On the simulated survey the volunteers' error depends on more than α: at the same
#   resolution, {glue:text}`mid_strong:.0%` of the strongest-armed disks but
#   {glue:text}`mid_lent:.0%` of the lenticular-like ones are labelled smooth (`nan` for real
#   data). A network can see that difference; the model cannot express it.
# - Real volunteers shown FERENGI images keep {glue:text}`fer_real_rel_lo_e0:.0%` of their
#   features votes at $z$ = {glue:text}`fer_z_lo:.1f` and {glue:text}`fer_real_rel_hi_e0:.0%` at
#   $z$ = {glue:text}`fer_z_hi:.1f`; the simulated volunteers keep {glue:text}`fer_sim_rel_lo_e0:.0%`
#   and {glue:text}`fer_sim_rel_hi_e0:.0%`.
# - Verdict: {glue:text}`verdict_summary`; the list above says which.
