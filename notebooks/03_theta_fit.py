# %% [markdown]
# # 3. Estimating the bias parameter $\theta$
#
# **Overview.** The bias model of chapter 2 has one parameter, $\theta$. The paper estimates it
# from the labels alone (§4.4): sort the training galaxies into equal-count bins of $\alpha$,
# measure the fraction labelled smooth in each bin, and fit
# $\tilde f_s(\alpha) = f_s + f_d\,b(\alpha;\theta)$ with $f_s + f_d = 1$ by least squares. This
# chapter makes that fit, shows how much $\theta$ depends on the number of bins (the paper used
# 1,525 bins on 97,600 galaxies), and compares it with a classical alternative: the EM algorithm
# of {cite:t}`CabreraVives2014` (DCV14), which models the true class with a logistic regression on
# galaxy structure (Sérsic index, ellipticity, half-light radius) and fits $\theta$ jointly.
# On the simulated survey both estimates can be checked against the bias the simulated
# volunteers really had.
#
# **Prerequisites.** Chapter 1 (`labels.parquet`). Code: `galbias.methods.bias.fit_theta`,
# `galbias.methods.bias.theta_vs_bins`, `galbias.methods.dcv14.fit_dcv14`, and
# `galbias.results.theta` (this chapter's fits and artifacts).
#
# **Produces.** `theta.json` (read by the training chapter), `dcv14.json`,
# `dcv14_predictions.parquet` (DCV14's de-biased labels on the test split and the evaluation sample).

# %% tags=["parameters"]
profile = "demo"
overrides = {}
bin_counts = [25, 50, 100, 200, 400, 800, 1525, 2000]  # sensitivity scan (capped by the sample)
min_per_bin = 5  # bin counts leaving fewer galaxies per bin than this are skipped
shape_boot = 20  # bootstrap resamples of the two-parameter shape fit

# %% tags=["remove-cell"]
import numpy as np
import matplotlib.pyplot as plt

from galbias.compendium import config, plots, steps
from galbias.methods.bias import bias_probability
from galbias.reference import PAPER_THETA
from galbias.results import theta as chapter

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
labels = steps.load_labels(cfg)

# %% [markdown]
# ## The binned fit on the training labels
#
# Which galaxies should the fit see? The network trains on a sample balanced on the GZ2B label
# (chapter 1), but the fit assumes that the label fractions follow
# $\tilde f_s(\alpha) = f_s + f_d\,b(\alpha)$ with a true mix that does not change with
# $\alpha$. Balancing keeps a fixed share $r$ of the GZ2B-smooth galaxies at every $\alpha$, which
# turns the smooth fraction into $r\tilde f_s / (r\tilde f_s + \tilde f_d)$ — no longer of the
# model's form. So the fit below uses the *unbalanced* parent of the training split: every
# catalogue galaxy outside the validation, test and evaluation samples (the training split plus
# the galaxies balancing left out). It is fitted on the balanced split as well, for comparison;
# the choice is made on this argument alone, before any result is looked at, and never with
# the truth.

# %% tags=["remove-cell"]
pool = steps.training_pool(cfg, labels)
result = chapter.fit_training_theta(labels, cfg.theta_bins, cfg.n_bootstrap, cfg.seed, pool=pool)
chapter.write_theta(p.artifact("theta.json"), result, steps.theta_params(cfg), p.labels, p.catalog)
fit, bal = result.fit, result.balanced
plots.glue_numbers(theta=fit.theta, theta_std=fit.theta_std, f_s=fit.f_s, f_d=fit.f_d, n_bins=fit.n_bins,
                   n_train=fit.n_objects, per_bin=fit.n_objects / fit.n_bins, red_chi2=fit.reduced_chi2,
                   paper_theta=PAPER_THETA["ddb"], theta_bal=bal.theta, theta_bal_std=bal.theta_std,
                   n_bal=bal.n_objects, f_s_bal=bal.f_s,
                   d_theta_sigma=abs(fit.theta - bal.theta) / np.hypot(fit.theta_std, bal.theta_std))

c = fit.curve
fig, (ax, axr) = plt.subplots(2, 1, figsize=(6.4, 5.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
ax.plot(c["alpha_mid"], c["f_smooth_obs"], ".", ms=3, color=plots.COLORS["gz2b"], alpha=0.6,
        label=f"GZ2B, {fit.n_bins} equal-count bins")
grid = np.logspace(np.log10(c["alpha_mid"].min()), np.log10(c["alpha_mid"].max()), 200)
ax.plot(grid, fit.f_s + fit.f_d * bias_probability(grid, fit.theta), color="k", lw=2,
        label=rf"fit: $\theta$ = {fit.theta:.2f}, $f_s$ = {fit.f_s:.2f}")
ax.axhline(fit.f_s, color="k", ls=":", lw=1)
ax.set_ylabel("fraction labelled smooth")
ax.set_ylim(0, 1.02)
ax.legend()
axr.plot(c["alpha_mid"], c["residual"], ".", ms=3, color="0.4")
axr.axhline(0, color="k", lw=1)
plots.alpha_axis(axr)
axr.set_ylabel("obs − model")
plots.glue_figure("fig_theta_fit", fig)

# %% [markdown]
# ```{glue:figure} fig_theta_fit
# :name: fig-theta-fit
#
# The observed GZ2B smooth fraction of the unbalanced training pool in equal-count $\alpha$ bins (points)
# and the least-squares fit of $f_s + f_d\,b(\alpha;\theta)$ (line; the dotted line is the fitted
# $f_s$, the smooth fraction the labels tend to at high resolution). Bottom: residuals. Look for
# structure in the residuals: a systematic wave means the half-Gaussian shape does not describe
# the labels well.
# ```
#
# With {glue:text}`n_bins:,` bins of about {glue:text}`per_bin:.0f` galaxies each
# ({glue:text}`n_train:,` galaxies), the fit gives
# $\theta$ = {glue:text}`theta:.2f` ± {glue:text}`theta_std:.2f` (bootstrap over galaxies) and
# $f_s$ = {glue:text}`f_s:.3f`; the reduced $\chi^2$ with binomial errors is
# {glue:text}`red_chi2:.2f`. On the balanced training split ({glue:text}`n_bal:,` galaxies) the
# same fit gives $\theta$ = {glue:text}`theta_bal:.2f` ± {glue:text}`theta_bal_std:.2f` with
# $f_s$ = {glue:text}`f_s_bal:.3f`: the two differ by {glue:text}`d_theta_sigma:.1f` times their
# combined bootstrap spread. The paper's value for the real GZ2 data (fitted on its balanced
# training split) is $\theta_\mathrm{DDB}$ = {glue:text}`paper_theta:.2f`. DDB (chapter 4) uses
# the unbalanced fit.
#
# ## How much does $\theta$ depend on the binning?
#
# The number of bins is a choice. Few bins average over a wide range of $\alpha$ and blur the
# curve's shape; many bins leave few galaxies per bin and make each fraction noisy. The paper's
# 1,525 bins are one such choice; the scan below repeats the fit for several.

# %% tags=["remove-cell"]
scan = chapter.bin_scan(labels, bin_counts, min_per_bin)
fig, ax = plt.subplots(figsize=(6.0, 3.4))
ax.plot(scan["n_bins"], scan["theta"], "o-", color=plots.COLORS["gz2b"])
ax.axhspan(fit.theta - fit.theta_std, fit.theta + fit.theta_std, color="0.85", zorder=0,
           label=rf"bootstrap ±1$\sigma$ at {fit.n_bins} bins")
ax.set_xscale("log")
ax.set_xlabel("number of equal-count $\\alpha$ bins")
ax.set_ylabel(r"fitted $\theta$")
ax.legend()
plots.glue_figure("fig_theta_bins", fig)
plots.glue_numbers(theta_scan_min=float(scan["theta"].min()), theta_scan_max=float(scan["theta"].max()),
                   bins_scan_min=int(scan["n_bins"].min()), bins_scan_max=int(scan["n_bins"].max()))

# %% [markdown]
# ```{glue:figure} fig_theta_bins
# :name: fig-theta-bins
#
# Fitted $\theta$ against the number of bins (balanced training split, GZ2B). The grey band is the bootstrap
# uncertainty of the adopted (unbalanced) fit. If the points wander outside the band, the binning choice
# matters more than the sampling noise.
# ```
#
# The scan uses the balanced training split, as the paper did. Over
# {glue:text}`bins_scan_min` to {glue:text}`bins_scan_max` bins, $\theta$ ranges from
# {glue:text}`theta_scan_min:.2f` to {glue:text}`theta_scan_max:.2f`.

# %% tags=["remove-input"]
plots.table(scan.set_index("n_bins")[["objects_per_bin", "theta", "f_s", "reduced_chi2"]],
            "Table 3.1. The θ fit for several bin counts (training set, GZ2B labels).", precision=3)

# %% [markdown]
# ## A second shape parameter, fitted without bins
#
# The half-Gaussian fixes how fast the bias fades with $\alpha$. A one-parameter extension,
# $b(\alpha) = \exp(-\tfrac12(\alpha/\theta)^k)$ with $k = 2$ the paper's curve, lets the data
# choose. Both are fitted here by **unbinned** Bernoulli maximum likelihood — every galaxy's label
# is one draw with probability $f_s + (1 - f_s)\,b(\alpha_i)$ of being smooth — so there is no
# bin count to choose (`galbias.methods.bias.fit_bias_shape`). A constant floor (disks called
# smooth at any resolution) is not fitted: the class fractions cannot tell it from $f_s$.

# %% tags=["remove-cell"]
from galbias.data.binning import binned_fraction
from galbias.methods.bias import bias_shape_probability, fit_bias_shape

shape = fit_bias_shape(pool["alpha"].to_numpy(), pool["gz2b"].to_numpy(), n_boot=shape_boot, seed=cfg.seed)
obs = binned_fraction(pool["alpha"].to_numpy(), pool["gz2b"].to_numpy() == 0, 40)
fig, (ax, axr) = plt.subplots(2, 1, figsize=(6.4, 5.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
ax.errorbar(obs["alpha_mid"], obs["frac"], yerr=obs["err"], fmt=".", color=plots.COLORS["gz2b"], label="GZ2B, 40 bins")
models = {"half-Gaussian (k = 2)": (shape.theta_k2, 2.0, shape.f_s_k2),
          f"k = {shape.k:.2f}": (shape.theta, shape.k, shape.f_s)}
for (lab, (t_, k_, f_)), ls in zip(models.items(), ("--", "-")):
    curve = lambda a: f_ + (1 - f_) * bias_shape_probability(a, t_, k_)  # noqa: E731
    ax.plot(grid, curve(grid), ls, color="k", lw=1.6, label=rf"{lab}: $\theta$ = {t_:.2f}")
    axr.plot(obs["alpha_mid"], obs["frac"] - curve(obs["alpha_mid"].to_numpy()), ls, marker=".", color="0.3", lw=0.8)
axr.axhline(0, color="k", lw=0.6)
ax.set_ylabel("fraction labelled smooth")
ax.legend(fontsize=8)
plots.alpha_axis(axr)
axr.set_ylabel("obs − model")
plots.glue_figure("fig_shape_fit", fig)
plots.glue_numbers(shape_theta=shape.theta, shape_theta_std=shape.theta_std, shape_k=shape.k, shape_k_std=shape.k_std,
                   shape_f_s=shape.f_s, shape_theta_k2=shape.theta_k2, shape_daic=shape.delta_aic, shape_boot=shape_boot)

# %% [markdown]
# ```{glue:figure} fig_shape_fit
# :name: fig-shape-fit
#
# The unbalanced training pool's GZ2B smooth fraction in 40 equal-count $\alpha$ bins (points,
# for display only: the fits use every galaxy) with the two maximum-likelihood curves: the
# half-Gaussian (dashed) and the free exponent $k$ (solid). Bottom: residuals of each. Look at
# the lowest $\alpha$, where the half-Gaussian's residuals bend.
# ```
#
# The free exponent comes out at $k$ = {glue:text}`shape_k:.2f` ± {glue:text}`shape_k_std:.2f`
# with $\theta$ = {glue:text}`shape_theta:.2f` ± {glue:text}`shape_theta_std:.2f` (bootstrap,
# {glue:text}`shape_boot` resamples); the unbinned half-Gaussian gives $\theta$ =
# {glue:text}`shape_theta_k2:.2f`. The likelihood prefers the free shape by
# $\Delta$AIC = {glue:text}`shape_daic:.0f` (positive: better, after paying for the extra
# parameter). Chapter 10 trains DDB with this shape.
#
# ## The DCV14 baseline: EM with a logistic regression
#
# DCV14 treats the true class as hidden. A logistic regression on standardised structural
# features $x$ — single-Sérsic index $n$, ellipticity $e$ and half-light radius — gives
# $\pi(x) = p(\text{disk}\mid x)$; the observed label then has likelihood $(1-b)\pi$ if it is
# *disk* and $1 - \pi + b\pi$ if it is *smooth*. The EM algorithm alternates between the
# posterior probability that each smooth-labelled galaxy is a hidden disk (E-step) and a
# weighted logistic regression plus an exact update of $\theta$ (M-step). Its de-biased label
# is $\arg\max_y p(y\mid x)$: unlike the $\theta$ fit, it returns a label for every galaxy.

# %% tags=["remove-cell"]
dc, pred = chapter.fit_dcv14_split(labels, theta0=fit.theta, seed=cfg.seed)
chapter.write_dcv14(p.artifact("dcv14.json"), p.artifact("dcv14_predictions.parquet"), dc, pred, cfg.seed, p.labels)
test = labels[labels["split"] == "test"]
plots.glue_numbers(theta_dcv14=dc.theta, dcv14_iter=dc.n_iter, paper_theta_dcv14=PAPER_THETA["dcv14"],
                   dcv14_disk_frac=float(pred.loc[pred["split"] == "test", "dcv14"].astype(float).mean()),
                   gz2b_disk_frac_test=float((test["gz2b"] == 1).mean()))

fig, ax = plt.subplots(figsize=(6.0, 3.4))
ax.plot(dc.loglik_trace, color=plots.COLORS["dcv14"])
ax.set_xlabel("EM iteration")
ax.set_ylabel("log-likelihood")
plots.glue_figure("fig_dcv14_trace", fig)

# %% [markdown]
# ```{glue:figure} fig_dcv14_trace
# :name: fig-dcv14-trace
#
# DCV14's log-likelihood over the EM iterations. It must never decrease (a property of EM that
# the package's tests check); a long flat tail means slow convergence of $\theta$.
# ```
#
# DCV14 converged in {glue:text}`dcv14_iter` iterations to $\theta_\mathrm{DCV14}$ =
# {glue:text}`theta_dcv14:.2f` (the paper: {glue:text}`paper_theta_dcv14:.2f`). On the test split
# it labels {glue:text}`dcv14_disk_frac:.1%` of the galaxies as disks, against
# {glue:text}`gz2b_disk_frac_test:.1%` for GZ2B.
#
# ## Which $\theta$ did the volunteers really have?
#
# On the simulated survey we know which galaxies are true disks, so we can measure the bias
# directly: the fraction of true disks labelled smooth, per $\alpha$ bin, is $b(\alpha)$ itself.
# Fitting the same model to it (with the smooth floor $f_s$ free, expected near 0) gives the
# volunteers' effective $\theta$ — the number the estimators above are trying to recover. (This
# row is for scoring only; nothing downstream reads it.)

# %% tags=["remove-cell"]
comp = chapter.comparison_table(result, dc)
vol = result.volunteers
plots.glue_numbers(theta_true=vol.theta if vol else np.nan, theta_true_std=vol.theta_std if vol else np.nan,
                   floor_true=vol.f_s if vol else np.nan, true_fs=result.true_f_s)

# %% tags=["remove-input"]
plots.table(comp, "Table 3.2. The estimates of θ side by side. The last row needs the truth and exists only "
            "for the simulated survey; f_s in that row is the true smooth fraction of the training set.",
            precision=3)

# %% [markdown]
# The simulated volunteers' own bias corresponds to $\theta$ = {glue:text}`theta_true:.2f` ±
# {glue:text}`theta_true_std:.2f` (with a floor of {glue:text}`floor_true:.3f` — true disks
# called smooth even when perfectly resolved). The true smooth fraction of the training pool is
# {glue:text}`true_fs:.3f`, to compare with the fitted $f_s$ = {glue:text}`f_s:.3f`. (On real
# data these cells are `nan`.)
#
# ## Summary
#
# - $\theta$ can be estimated from the labels alone because the model predicts a specific shape
#   for the observed smooth fraction against $\alpha$; the fit also estimates the true smooth
#   fraction $f_s$. It is fitted on the unbalanced training pool, because balancing on the biased
#   label bends the fraction curve away from the model's form; the balanced fit is reported beside it.
# - The estimate depends on the number of bins; the paper's 1,525 is a hyperparameter, not a
#   property of the data.
# - DCV14 reaches its own $\theta$ through the galaxies' structure rather than the fraction
#   curve; Table 3.2 puts both next to the paper's values and, on the simulated survey, next to
#   the bias the volunteers really had. Chapter 4 uses $\theta_\mathrm{DDB}$ from `theta.json`.
