# %% [markdown]
# # 0. A simulated Galaxy Zoo 2 survey
#
# **Overview.** To test a de-biasing method one needs labels whose bias is known — and for
# real Galaxy Zoo 2 data it is not: nobody knows the true class of a small, blurred galaxy.
# This chapter builds a survey where we do know. Galaxies with a true class (smooth or disk)
# are drawn from an SDSS-like population, observed through a telescope and atmosphere that
# blur them, rendered as survey JPEGs like those GZ2 volunteers saw, and classified by
# simulated volunteers. The volunteers do not apply the paper's bias formula; they vote
# *features or disk* when the disk's arms, bar or thin outline are visible in the survey image,
# and whether those are visible follows from the size of the galaxy compared with the blur.
# The default survey is built to be *realistic* rather than convenient: the true class mix
# changes with luminosity and size as in real samples, colours and shapes of the two classes
# overlap, and volunteers occasionally call a smooth galaxy a disk. Every chapter after this one
# runs the same code on this catalog as on the real one.
#
# **Prerequisites.** None. Code: `galbias.mock` (population, sky regions, rendering,
# volunteers), `galbias.compendium.steps.prepare` (the data step) and `galbias.results.survey`
# (this chapter's summaries).
#
# **Produces.** `survey/catalog.parquet` (GZ2-style vote columns, SDSS-style photometry,
# measured Sérsic parameters, and the truth in `true_*` columns), `survey/images/` (what the
# volunteers and the networks see) and `survey/hires/` (a sharp, "space telescope" view of the
# same galaxies, for chapter 7).

# %% tags=["parameters"]
profile = "demo"
overrides = {}
n_examples = 6  # galaxies per class in the example grid

# %% tags=["remove-cell"]
import time

import numpy as np
import matplotlib.pyplot as plt
from IPython.display import display

from galbias import mock
from galbias.compendium import config, plots, steps
from galbias.data.catalog import has_truth
from galbias.results import survey

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
t0 = time.perf_counter()
cat = steps.prepare(cfg, progress=False)
elapsed = time.perf_counter() - t0
truth_known = has_truth(cat)

# %% [markdown]
# ## What is true and what is observed
#
# Each object has *true* properties that no observer sees directly — its class, its bulge and
# disk, the number, pitch and contrast of its spiral arms, its inclination — and *observed*
# properties measured from the survey: Petrosian radii, magnitudes, the PSF width of the field,
# the position on the sky. Stars and image artifacts make up a few percent of the catalog, as in
# GZ2.

# %% tags=["remove-cell"]
plots.glue_numbers(**survey.overview(cat), image_size=cfg.image_size, fov_r90=cfg.image_fov_r90,
                   n_votes=cfg.n_votes, sim_seconds=elapsed, realism=cfg.survey_realism,
                   median_z=float(cat["z"].median()), n_eval_objects=int(cat["eval_sample"].sum())
                   if "eval_sample" in cat.columns else 0)

# %% [markdown]
# The catalog has {glue:text}`n_objects:,` objects: {glue:text}`n_galaxies:,` galaxies, of which a
# fraction {glue:text}`true_disk_frac:.2f` are truly disks, and {glue:text}`n_stars:,` stars or
# artifacts. {glue:text}`n_eval_objects:,` of the objects, drawn at random, are set aside as the
# *evaluation sample*: the same survey and selection, never used for training, fitting or model
# selection, only for scoring (chapters 4–5). Survey images are {glue:text}`image_size` pixels across and span
# {glue:text}`fov_r90:.2f` × `petroR90_r` — the central 207 of GZ2's 424-pixel cut-outs, whose
# pixel scale is 0.02 × `petroR90_r` — so every galaxy fills a similar part of the frame, and a
# poorly resolved galaxy shows up as a PSF that is large *in pixels*. (Making the data took
# {glue:text}`sim_seconds:.0f` s in this run; finished shards are reused.)
#
# ## Calibration against SDSS
#
# The population (redshifts, luminosity functions, sizes, seeing) was tuned so that the sizes,
# PSF widths and the resolution $\alpha$ look like those of real SDSS galaxies. The reference is
# a sample of {glue:text}`calib_n:,` SDSS galaxies with r-band sizes and PSF widths; they are galaxies
# in compact groups at low redshift, not a random GZ2 sample, so the comparison is indicative.

# %% tags=["remove-input"]
calib, calib_numbers = survey.calibration_table(cat)
plots.glue_numbers(**calib_numbers)
plots.table(calib, "Table 0.1. Percentiles of sizes (arcsec), PSF FWHM (arcsec) and α for the simulated "
            "galaxies and the SDSS calibration sample.", precision=2)

# %% [markdown]
# The simulated galaxies are less resolved than the reference (median $\alpha$
# {glue:text}`alpha_median:.1f` against {glue:text}`alpha_ref_median:.1f`): the reference galaxies
# are nearer (median redshift {glue:text}`calib_median_z:.3f`) than a GZ2-like magnitude-limited
# sample (median redshift here {glue:text}`median_z:.3f`), and the sizes follow published
# size–luminosity relations rather than being tuned to the reference. A lower $\alpha$ means a
# stronger labelling bias than in the real GZ2, which should be kept in mind when comparing
# numbers with the paper.
#
# ## What makes the survey realistic
#
# The paper's method assumes that, but for the volunteers' bias, the class mix would not depend
# on $\alpha$, and that volunteers err only one way. Real samples do not oblige, and a survey
# that obeyed those assumptions by construction could not show what happens when they fail.
# This run's survey is the **{glue:text}`realism`** one (profile field `survey_realism`; the
# other, `idealised`, is the earlier survey that was tuned to the assumptions). Table 0.2 lists
# what differs and where each number comes from.

# %% tags=["remove-input"]
from galbias.mock.population import realism_choices

plots.table(realism_choices(), "Table 0.2. The choices that separate the realistic survey from the idealised one, "
            "with their sources. Both share the class-dependent luminosity functions, which make bright "
            "galaxies more often early types.", precision=2)

# %% [markdown]
# **The class mix changes with resolution through size and luminosity.** Under the magnitude
# limit, galaxies seen at low $\alpha$ are the small and distant ones, and small galaxies at a
# given luminosity are more often early types. The table shows the true disk fraction in
# deciles of $\alpha$, for all galaxies and inside halves of luminosity and physical size.

# %% tags=["remove-cell"]
if truth_known:
    mix, mix_numbers = survey.class_mix_by_alpha(cat)
    pred_table, pred_numbers = survey.predictability(cat, mock.draw_population(cfg))
else:
    mix = pred_table = None
    mix_numbers = {"mix_lo": np.nan, "mix_hi": np.nan, "mix_range_halves": np.nan}
    pred_numbers = {k: np.nan for k in ("e_cut", "smooth_e_above", "disk_e_above", "auc_colour", "acc_colour",
                                        "auc_shape", "acc_shape", "auc_sersic", "acc_sersic", "auc_concentration",
                                        "acc_concentration", "acc_majority")}
plots.glue_numbers(**mix_numbers, **pred_numbers)

# %% tags=["remove-input"]
if mix is not None:
    display(plots.table(mix, "Table 0.3. True disk fraction in ten equal-count bins of α (lowest α first), for "
                        "all galaxies and inside the brighter/fainter and larger/smaller halves.", precision=2))

# %% [markdown]
# The true disk fraction rises from {glue:text}`mix_lo:.2f` in the least resolved tenth to
# {glue:text}`mix_hi:.2f` in the best resolved: perfect labels would change with $\alpha$ here,
# and CV14 would count that as bias. Inside a half of luminosity or size the first-to-last-bin
# change is {glue:text}`mix_range_halves:.2f` on average, so much of the trend runs through those
# variables — which is what the CV18 metric of chapter 5 tries to condition on.
#
# **Colours and shapes overlap.** How much could a classifier learn from one observable alone,
# without any of the morphology that resolution erases?

# %% tags=["remove-input"]
if pred_table is not None:
    display(plots.table(pred_table, "Table 0.4. How well single observables predict the true class of the "
                        "simulated galaxies: ROC AUC (0.5 = no information) and the accuracy of the best single "
                        "cut, beside the accuracy of always answering the majority class. The colour is each "
                        "galaxy's integrated g − r from its simulated components.", precision=3))

# %% [markdown]
# Colour alone reaches an AUC of {glue:text}`auc_colour:.2f` (best cut: accuracy
# {glue:text}`acc_colour:.2f`, against {glue:text}`acc_majority:.2f` for the majority class) and
# the measured ellipticity {glue:text}`auc_shape:.2f` (accuracy {glue:text}`acc_shape:.2f`):
# {glue:text}`smooth_e_above:.0%` of the true smooth galaxies and {glue:text}`disk_e_above:.0%` of
# the disks have a measured ellipticity above {glue:text}`e_cut:.1f`. Neither gives the class
# away, so a network must use the structure in the image, which is what resolution erases.
#
# ## What the volunteers see
#
# The grid below shows simulated galaxies of both true classes, ordered by resolution, in the
# survey view (what volunteers and networks see) and in the high-resolution view (a tiny PSF and
# little noise). At low $\alpha$ the survey view of a disk loses its arms and becomes a fuzzy
# ellipse that is hard to tell from a smooth galaxy.

# %% tags=["remove-cell"]
ex = survey.examples_by_alpha(cat, n_examples)
fig = plots.view_grid(p.survey, ex, titles={"survey": [f"α={a:.1f}" for a in ex["alpha"]]}, ncols=n_examples,
                      block_labels=list(dict.fromkeys(ex["group"])))
plots.glue_figure("fig_examples", fig)

# %% [markdown]
# ```{glue:figure} fig_examples
# :name: fig-examples
#
# Simulated galaxies ordered by resolution $\alpha$ (left to right), true disks in the top two
# rows and true smooth galaxies below, each shown in the survey view and in the high-resolution
# view. These are the JPEG files on disk. Compare a disk's two views at the left end: the arms
# that the sharp view shows are gone from the survey view.
# ```
#
# ## Why volunteers miss disks
#
# To isolate the effect of resolution, the next figure takes one disk galaxy and changes only
# the PSF, so that the same galaxy appears at several values of $\alpha$. Above each image is
# the share of careful volunteers expected to answer *features or disk*, computed from how much
# arm contrast, bar and edge-on outline survive the blur and the noise.

# %% tags=["remove-cell"]
pop = mock.draw_population(cfg)
seq = mock.render_resolution_sequence(survey.showcase_disk(pop), cfg, alphas=(3, 5, 8, 12, 18, 30), seed=cfg.seed)
fig = plots.image_grid(list(seq["survey"]),
                       [f"α={a:g}\np(features)={pf:.2f}" for a, pf in zip(seq["alpha"], seq["p_features"])],
                       ncols=len(seq["alpha"]), size=1.6)
plots.glue_figure("fig_sequence", fig)

# %% [markdown]
# ```{glue:figure} fig_sequence
# :name: fig-sequence
#
# One simulated disk galaxy rendered with PSFs that put it at increasing resolution $\alpha$
# (only the PSF changes). The number above each image is the probability that a careful
# volunteer votes *features or disk*. Look at where the arms disappear: below that $\alpha$ the
# galaxy will mostly be voted smooth, although it is a disk.
# ```
#
# ## The votes
#
# Each object receives {glue:text}`n_votes` classifications. A small share of simulated
# volunteers click at random and are down-weighted in the `*_weighted_fraction` columns, a
# simplified version of GZ2's consistency weighting; the `*_debiased` columns are corrected for
# redshift by comparing galaxies of the same luminosity and physical size at different
# distances (`galbias.data.labels.redshift_debias`, after {cite:t}`Bamford2009`). Neither correction
# uses the truth.

# %% tags=["remove-cell"]
frac_s = cat["t01_smooth_or_features_a01_smooth_weighted_fraction"].to_numpy()
true = cat["true_class"].to_numpy() if truth_known else np.full(len(cat), -1)
galaxies = true != 2
terciles = np.quantile(cat.loc[galaxies, "alpha"], [1 / 3, 2 / 3])
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True)
bins = np.linspace(0, 1, 21)
for ax, (lo, hi, lab) in zip(axes, [(0, terciles[0], "lowest third of α"), (terciles[0], terciles[1], "middle third"),
                                    (terciles[1], np.inf, "highest third")]):
    inbin = (cat["alpha"] >= lo) & (cat["alpha"] < hi)
    for k, name in ((0, "smooth"), (1, "disk")):
        sel = inbin & (true == k)
        ax.hist(frac_s[sel], bins=bins, histtype="step", lw=1.5, color=plots.COLORS[name], label=f"true {name}",
                density=True)
    ax.axvline(0.5, color="0.5", lw=0.8, ls="--")
    ax.set_title(lab)
    ax.set_xlabel("weighted smooth vote fraction")
axes[0].set_ylabel("density")
axes[0].legend(fontsize=8)
plots.glue_figure("fig_votes", fig)

# %% [markdown]
# ```{glue:figure} fig_votes
# :name: fig-votes
#
# Distribution of the weighted *smooth* vote fraction for true smooth and true disk galaxies,
# in three ranges of resolution. The dashed line is roughly where the majority vote flips. At
# high $\alpha$ the two classes separate well; at low $\alpha$ many true disks move to the right
# of the line and will be labelled smooth.
# ```
#
# ## The bias that results
#
# Finally the key property of the survey: how the fraction labelled smooth depends on
# resolution, for the labels and for the truth.

# %% tags=["remove-cell"]
tab = survey.smooth_fraction_vs_alpha(cat, n_bins=15)
plots.glue_numbers(**survey.bias_summary(cat, cfg.theta_bins, cfg.seed))
fig, ax = plt.subplots(figsize=(6.4, 4.0))
ax.errorbar(tab["alpha_mid"], tab["observed_smooth"], yerr=np.sqrt(tab["observed_smooth"] * (1 - tab["observed_smooth"]) / tab["n"]),
            marker="o", ms=3.5, capsize=2, color=plots.COLORS["gz2b"], label="labelled smooth (GZ2B-style votes)")
if "true_smooth" in tab:
    ax.plot(tab["alpha_mid"], tab["true_smooth"], "s-", ms=3.5, color=plots.COLORS["truth"], label="truly smooth")
    ax.plot(tab["alpha_mid"], tab["disks_labelled_smooth"], "^--", ms=3.5, color=plots.COLORS["disk"],
            label="true disks labelled smooth")
plots.alpha_axis(ax)
ax.set_ylim(0, 1)
ax.set_ylabel("fraction")
ax.legend(fontsize=8)
plots.glue_figure("fig_truth_vs_observed", fig)

# %% [markdown]
# ```{glue:figure} fig_truth_vs_observed
# :name: fig-truth-vs-observed
#
# The fraction of galaxies labelled smooth by the simulated volunteers (orange) and the fraction
# that truly is smooth (black), in equal-count bins of $\alpha$; the blue triangles are the
# fraction of true disks that received a smooth label. Resolution does not change what a galaxy
# is, but under the magnitude limit the poorly resolved galaxies are a different mix (Table 0.3),
# so the truth is not flat either. The gap between the orange and black curves is the bias the
# rest of the book tries to undo.
# ```
#
# Overall, {glue:text}`missed_disks:.1%` of the true disks get a smooth majority vote, and
# {glue:text}`false_disks:.1%` of the true smooth galaxies a disk majority. A quick
# fit of the paper's model to these labels (chapter 3 does it properly, on the training set)
# gives $\theta \approx$ {glue:text}`theta_quick:.1f`, to compare with the paper's
# {glue:text}`paper_theta:.2f` for the real GZ2. For reference, with the paper's $\theta$ the
# mean of $b(\alpha)$ over this survey's $\alpha$ distribution would be
# {glue:text}`mean_b_here:.2f` ({glue:text}`mean_b_sdss:.2f` over the SDSS calibration sample) —
# the share of true disks one expects to be called smooth if the real volunteers' bias applied.
#
# ## Sky regions
#
# The survey covers four sky regions observed under different conditions (chapter 9 uses them).
# Galaxies are assigned to regions at random, so the populations are the same everywhere; only
# the images differ.

# %% tags=["remove-input"]
rt = mock.region_table()
plots.table(rt, "Table 0.5. Observing conditions of the four sky regions of the simulated survey.", precision=2)

# %% [markdown]
# ## Summary
#
# - The simulated survey has a known true class for every object and GZ2-style votes, weighted
#   and redshift-debiased fractions, in the same columns as the real catalog.
# - Volunteers miss disks because blurring erases arms, bars and thin outlines; the resulting
#   dependence of the labels on $\alpha$ was not written into the simulation as a formula.
# - The true class mix itself changes with $\alpha$ through size and luminosity, colours and
#   shapes of the two classes overlap, and a few smooth galaxies are voted disks: the paper's
#   assumptions hold only approximately, as they would for real galaxies.
# - The next chapter turns the votes into labels exactly as the paper does.
