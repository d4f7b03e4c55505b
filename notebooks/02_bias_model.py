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
# **Prerequisites.** Chapter 1 (`labels.parquet`). Code: `galbias.methods.bias.bias_probability`,
# `galbias.results.bias_model` (this chapter's summaries), `galbias.compendium.plots`.
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
from galbias.results import bias_model

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
