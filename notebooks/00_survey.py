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
# # 0. A simulated Galaxy Zoo 2 survey
#
# **Overview.** To test a de-biasing method one needs labels whose bias is known — and for
# real Galaxy Zoo 2 data it is not: nobody knows the true class of a small, blurred galaxy.
# This chapter builds a survey where we do know. Galaxies with a true class (smooth or disk)
# are drawn from an SDSS-like population, observed through a telescope and atmosphere that
# blur them (the {term}`PSF`), rendered as survey JPEGs like those GZ2 volunteers saw, and
# classified by simulated volunteers. The volunteers do not apply the paper's
# {term}`bias model`; they vote *features or disk* when the disk's arms, bar or thin outline are
# visible in the survey image, and whether those are visible follows from the size of the galaxy
# compared with the blur. The default survey is built to be *realistic* rather than convenient:
# the true class mix changes with luminosity and size as in real samples, colours and shapes of
# the two classes overlap, and volunteers occasionally call a smooth galaxy a disk. Every
# chapter after this one runs the same code on this catalog as on the real one.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
# - tell a galaxy's *true* properties from the *observed* ones in the catalog, and say which
#   of them the volunteers' bias comes from;
# - compute the resolution {term}`alpha (α)` from a Petrosian radius and a PSF width, and
#   compare this survey's α with real SDSS galaxies;
# - explain why a disk is voted smooth at low α although no formula in the simulation says so,
#   and switch that cause off to see how much of the bias it explains;
# - judge from a ROC AUC how much of the true class a single observable gives away.
# ```
#
# **Time to run:** {glue:text}`run_time` (measured; see {doc}`../teaching`).
#
# **Prerequisites.** None. Code: `galbias.mock` (population, sky regions, rendering,
# volunteers: `draw_population`, `render_resolution_sequence`, `region_table`),
# `galbias.compendium.steps.prepare` (the data step) and `galbias.results.survey` (this
# chapter's summaries and the words of its verdict).
#
# **Produces.** `survey/catalog.parquet` (GZ2-style vote columns, SDSS-style photometry,
# measured Sérsic parameters, and the truth in `true_*` columns), `survey/images/` (what the
# volunteers and the networks see) and `survey/hires/` (a sharp, "space telescope" view of the
# same galaxies, for chapter 7).

# %% tags=["parameters"]
profile = "demo"
overrides = {}
n_examples = 6  # galaxies per class in the example grid

# %% tags=["hide-input"]
import time

import numpy as np
import seaborn as sns
from IPython.display import display

from galbias import mock
from galbias.compendium import config, plots, steps, timings
from galbias.data.catalog import has_truth
from galbias.results import survey

plots.setup()
plots.glue_numbers(run_time=timings.note("00_survey"))
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
t0 = time.perf_counter()
cat = steps.prepare(cfg, progress=False)
elapsed = time.perf_counter() - t0
truth_known = has_truth(cat)
pop = mock.draw_population(cfg)  # every simulated object, with its rendering parameters

# %% [markdown]
# ## What is true and what is observed
#
# Each object has *true* properties that no observer sees directly — its class, its bulge and
# disk, the number, pitch and contrast of its spiral arms, its inclination — and *observed*
# properties measured from the survey: {term}`Petrosian radii <Petrosian radius>`, magnitudes,
# the PSF width ({term}`FWHM`) of the field, the position on the sky. Stars and image artifacts
# make up {glue:text}`star_share:.0%` of the catalog, a few percent as in GZ2.

# %% tags=["remove-cell"]
plots.glue_numbers(**survey.overview(cat), image_size=cfg.image_size, fov_r90=cfg.image_fov_r90,
                   n_votes=cfg.n_votes, sim_seconds=elapsed, realism=cfg.survey_realism,
                   median_z=float(cat["z"].median()), n_eval_objects=int(cat["eval_sample"].sum())
                   if "eval_sample" in cat.columns else 0)
plots.glue_numbers(star_share=survey.overview(cat)["n_stars"] / max(len(cat), 1))

# %% [markdown]
# The catalog has {glue:text}`n_objects:,` objects: {glue:text}`n_galaxies:,` galaxies, of which a
# fraction {glue:text}`true_disk_frac:.2f` are truly disks, and {glue:text}`n_stars:,` stars or
# artifacts. {glue:text}`n_eval_objects:,` of the objects, drawn at random, are set aside as the
# {term}`evaluation sample`: the same survey and selection, never used for training, fitting or
# model selection, only for scoring (chapters 4–5). Survey images are
# {glue:text}`image_size` pixels across and span {glue:text}`fov_r90:.2f` × `petroR90_r` — the
# central 207 of GZ2's 424-pixel cut-outs, whose pixel scale is 0.02 × `petroR90_r` — so every
# galaxy fills a similar part of the frame, and a poorly resolved galaxy shows up as a PSF that
# is large *in pixels*. (Making the data took {glue:text}`sim_seconds:.0f` s in this run;
# finished shards are reused.)
#
# ## Calibration against SDSS
#
# The population (redshifts, luminosity functions, sizes, seeing) was tuned so that the sizes,
# PSF widths and the resolution $\alpha = R_P / \sigma_\mathrm{PSF}$ look like those of real SDSS
# galaxies. The reference is a sample of {glue:text}`calib_n:,` SDSS galaxies with r-band sizes
# and PSF widths; they are galaxies in compact groups at low redshift, not a random GZ2 sample,
# so the comparison is indicative.

# %% tags=["hide-input"]
calib, calib_numbers = survey.calibration_table(cat)
calib_words = survey.calibration_words(calib)
plots.glue_numbers(**calib_numbers, **calib_words,
                   word_z=survey.relative_word(calib_numbers["calib_median_z"], float(cat["z"].median()),
                                               words=("nearer than", "about as far as", "farther than")))
plots.table(calib, "Table 0.1. Percentiles of sizes (arcsec), PSF FWHM (arcsec) and α for the simulated "
            "galaxies and the SDSS calibration sample.", precision=2)

# %% [markdown]
# The simulated galaxies' median $\alpha$, {glue:text}`alpha_median:.1f`, is
# {glue:text}`calib_alpha` the reference's {glue:text}`alpha_ref_median:.1f`. The reference galaxies are {glue:text}`word_z` this survey's (median redshift
# {glue:text}`calib_median_z:.3f` against {glue:text}`median_z:.3f` for this magnitude-limited
# sample), and the sizes follow published size–luminosity relations rather than being tuned to
# the reference. A lower $\alpha$ means a stronger labelling bias than in the real GZ2, which
# should be kept in mind when comparing numbers with the paper.
#
# ## What makes the survey realistic
#
# The paper's method assumes that, but for the volunteers' bias, the class mix would not depend
# on $\alpha$, and that volunteers err only one way. Real samples do not oblige, and a survey
# that obeyed those assumptions by construction could not show what happens when they fail.
# This run's survey is the **{glue:text}`realism`** one (profile field `survey_realism`; the
# other, `idealised`, is the earlier survey that was tuned to the assumptions). Table 0.2 lists
# what differs and where each number comes from.

# %% tags=["hide-input"]
from galbias.mock.population import realism_choices

plots.table(realism_choices(), "Table 0.2. The choices that separate the realistic survey from the idealised one, "
            "with their sources. Both share the class-dependent luminosity functions, which make bright "
            "galaxies more often early types.", precision=2)

# %% [markdown]
# **Does the class mix change with resolution?** Under the magnitude limit, galaxies seen at
# low $\alpha$ are the small and distant ones, and in the realistic survey small galaxies at a
# given luminosity are more often early types. The table shows the true disk fraction in
# deciles of $\alpha$, for all galaxies and inside halves of luminosity and physical size.

# %% tags=["remove-cell"]
if truth_known:
    mix, mix_numbers = survey.class_mix_by_alpha(cat)
    pred_table, pred_numbers = survey.predictability(cat, pop)
else:
    mix = pred_table = None
    mix_numbers = {"mix_lo": np.nan, "mix_hi": np.nan, "mix_range_halves": np.nan}
    pred_numbers = {k: np.nan for k in ("e_cut", "smooth_e_above", "disk_e_above", "auc_colour", "acc_colour",
                                        "auc_shape", "acc_shape", "auc_sersic", "acc_sersic", "auc_concentration",
                                        "acc_concentration", "acc_majority")}
pred_words = survey.predictability_words(pred_numbers)
plots.glue_numbers(**mix_numbers, **pred_numbers, **pred_words, **survey.mix_words(mix_numbers))

# %% tags=["hide-input"]
if mix is not None:
    display(plots.table(mix, "Table 0.3. True disk fraction in ten equal-count bins of α (lowest α first), for "
                        "all galaxies and inside the brighter/fainter and larger/smaller halves.", precision=2))

# %% [markdown]
# The true disk fraction {glue:text}`mix_word` from {glue:text}`mix_lo:.2f` in the least resolved
# tenth to {glue:text}`mix_hi:.2f` in the best resolved: {glue:text}`mix_consequence` Inside a
# half of luminosity or of size the first-to-last-bin change is {glue:text}`mix_range_halves:.2f`
# on average: {glue:text}`mix_conditioning` A metric that compares α bins directly, like
# {term}`CV14`, counts any such trend of the truth as bias; the {term}`CV18` metric of chapter 5
# tries to condition it away, with luminosity, size and redshift together.
#
# **Do colours and shapes give the class away?** How much could a classifier learn from one observable alone,
# without any of the morphology that resolution erases?

# %% tags=["hide-input"]
if pred_table is not None:
    display(plots.table(pred_table, "Table 0.4. How well single observables predict the true class of the "
                        "simulated galaxies: ROC AUC (0.5 = no information) and the accuracy of the best single "
                        "cut, beside the accuracy of always answering the majority class. The colour is each "
                        "galaxy's integrated g − r from its simulated components.", precision=3))

# %% [markdown]
# Colour alone reaches an AUC of {glue:text}`auc_colour:.2f` (best cut: accuracy
# {glue:text}`acc_colour:.2f`, against {glue:text}`acc_majority:.2f` for the majority class, so
# the cut removes {glue:text}`red_colour:.0%` of the majority answer's errors): it
# {glue:text}`word_colour`. The measured ellipticity reaches {glue:text}`auc_shape:.2f` (accuracy
# {glue:text}`acc_shape:.2f`, {glue:text}`red_shape:.0%` of the errors removed): it
# {glue:text}`word_shape`; {glue:text}`smooth_e_above:.0%` of the true smooth galaxies and
# {glue:text}`disk_e_above:.0%` of the disks have a measured ellipticity above
# {glue:text}`e_cut:.1f`. {glue:text}`predict_conclusion` The measured {term}`Sérsic index`, which
# the DCV14 baseline of chapter 3 uses, reaches an AUC of {glue:text}`auc_sersic:.2f`.
#
# ## What the volunteers see
#
# The grid below shows simulated galaxies of both true classes, ordered by resolution, in the
# survey view (what volunteers and networks see) and in the high-resolution view (a tiny PSF and
# little noise). At low $\alpha$ the survey view of a disk loses its arms and becomes a fuzzy
# ellipse that is hard to tell from a smooth galaxy.

# %% tags=["hide-input"]
ex = survey.examples_by_alpha(cat, n_examples)
fig = plots.view_grid(p.survey, ex, titles={"survey": [f"α={a:.1f}" for a in ex["alpha"]]}, ncols=n_examples,
                      block_labels=list(dict.fromkeys(ex["group"])), size=1.2)
for ax in fig.axes:  # labels readable at the book's width
    ax.title.set_fontsize(9)
    ax.yaxis.label.set_fontsize(9)
fig.tight_layout(pad=0.3)
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

# %% tags=["hide-input"]
seq = mock.render_resolution_sequence(survey.showcase_disk(pop), cfg, alphas=(3, 5, 8, 12, 18, 30), seed=cfg.seed)
fig = plots.image_grid(list(seq["survey"]),
                       [f"α = {a:g}\np(features) = {pf:.2f}" for a, pf in zip(seq["alpha"], seq["p_features"])],
                       ncols=3, size=2.0)
fig.set_size_inches(6.0, 5.3)  # room for the two-line titles
for ax in fig.axes:  # labels readable at the book's width
    ax.title.set_fontsize(10)
fig.tight_layout(pad=0.3)
plots.glue_figure("fig_sequence", fig)

# %% [markdown]
# ```{glue:figure} fig_sequence
# :name: fig-sequence
#
# One simulated disk galaxy rendered with PSFs that put it at increasing resolution $\alpha$
# (left to right, then the second row; only the PSF changes). The number above each image is
# the probability that a careful volunteer votes *features or disk*. Look at where the arms
# disappear: below that $\alpha$ the galaxy will mostly be voted smooth, although it is a disk.
# ```
#
# ## The votes
#
# Each object receives {glue:text}`n_votes` classifications. A small share of simulated
# volunteers click at random and are down-weighted in the `*_weighted_fraction` columns, a
# simplified version of GZ2's consistency weighting; the `*_debiased` columns are corrected for
# redshift by comparing galaxies of the same luminosity and physical size at different
# distances (`galbias.data.labels.redshift_debias`, after {cite:t}`Bamford2009`). Neither correction
# uses the truth. The figure is drawn with seaborn's `displot` from the tidy table of
# `survey.vote_fractions_by_alpha` (one row per galaxy: vote fraction, α tercile, true class).

# %% tags=["hide-input"]
votes = survey.vote_fractions_by_alpha(cat)
palette = {"true smooth": plots.COLORS["smooth"], "true disk": plots.COLORS["disk"],
           "all galaxies": plots.COLORS["truth"]}
hue_order = [h for h in palette if h in set(votes["true_class"])]
g = sns.displot(votes, x="smooth_fraction", hue="true_class", hue_order=hue_order, col="tercile", kind="hist",
                stat="density", common_norm=False, element="step", bins=20, binrange=(0, 1), palette=palette,
                kde=True, kde_kws={"clip": (0, 1)}, height=2.7, aspect=0.95, facet_kws={"despine": True})
for ax in g.axes.flat:
    ax.axvline(0.5, color="0.5", lw=0.8, ls="--")
g.set_titles("{col_name}")
g.set_axis_labels("weighted smooth vote fraction", "density")
sns.move_legend(g, "upper left", bbox_to_anchor=(0.08, 0.88), title=None, frameon=False)
g.figure.tight_layout()
plots.glue_figure("fig_votes", g.figure)

# %% [markdown]
# ```{glue:figure} fig_votes
# :name: fig-votes
#
# Distribution of the weighted *smooth* vote fraction for true smooth and true disk galaxies
# (histograms and kernel density estimates, each class normalised on its own), in three equal-count
# ranges of resolution. The dashed line is roughly where the majority vote flips. At high
# $\alpha$ the two classes separate well; at low $\alpha$ many true disks move to the right of
# the line and will be labelled smooth.
# ```
#
# ## The bias that results
#
# Finally the key property of the survey: how the fraction labelled smooth depends on
# resolution, for the labels and for the truth.

# %% tags=["hide-input"]
tab = survey.smooth_fraction_vs_alpha(cat, n_bins=15)
bias_numbers = survey.bias_summary(cat, cfg.theta_bins, cfg.seed)
bias_words = survey.bias_words(cat, bias_numbers)
plots.glue_numbers(**bias_numbers, **bias_words)
fig = plots.observed_vs_truth(tab)
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
# {glue:text}`false_disks:.1%` of the true smooth galaxies a disk majority. A quick fit of the
# paper's model to these labels (chapter 3 does it properly, on the training set, with its
# bootstrap spread) gives {term}`θ <theta (θ)>` ≈ {glue:text}`theta_quick:.1f`,
# {glue:text}`word_theta_quick` the paper's {glue:text}`paper_theta:.2f` for the real GZ2. With
# the paper's θ, the mean of $b(\alpha)$ over this survey's $\alpha$ distribution would be
# {glue:text}`mean_b_here:.2f` ({glue:text}`mean_b_sdss:.2f` over the SDSS calibration sample)
# — the share of true disks one expects to be called smooth if the real volunteers' bias applied.
#
# ## Sky regions
#
# The survey covers four sky regions observed under different conditions (chapter 9 uses them).
# Galaxies are assigned to regions at random, so the populations are the same everywhere; only
# the images differ.

# %% tags=["hide-input"]
rt = mock.region_table()
plots.table(rt, "Table 0.5. Observing conditions of the four sky regions of the simulated survey.", precision=2)

# %% tags=["remove-cell"]
verdict = survey.verdict(calib, calib_numbers, calib_words, bias_numbers, bias_words)
plots.glue_numbers(**verdict)

# %% [markdown]
# ## Verdict: this survey against SDSS and the paper
#
# The comparisons below are those this chapter can make: the survey's seeing and sizes against
# the SDSS calibration sample (a median "close to" the reference's lies within
# {glue:text}`calib_tol:.0%` of it), and the share of disks voted smooth against the paper's
# model with its θ (judged against the binomial noise of that share, ±
# {glue:text}`missed_sd:.3f`).
#
# **Where it agrees.** {glue:text}`verdict_agree`
#
# **Where it does not.** {glue:text}`verdict_disagree`
#
# **Why, as far as we know.** The seeing was drawn from SDSS's PSF-width distribution, so it
# should match; the sizes follow published size–luminosity relations and the redshifts a GZ2-like
# magnitude limit, while the reference galaxies are {glue:text}`word_z` this survey's and lie in
# compact groups, so the resolution need not match. The simulated volunteers' perception
# thresholds were set by hand, not fitted to the paper's curve, so neither their θ nor the share
# of disks they miss is tuned to the real volunteers'; chapter 2 compares them with real
# volunteers on the same galaxies (FERENGI) and chapter 3 fits θ properly.

#
# ## Exercises
#
# ````{exercise} Switch off the cause of the bias
# :label: ex-00-sharp
# The simulated volunteers miss disks because the PSF blurs away arms, bars and thin outlines;
# no profile setting turns that off, but a few lines do. Give every galaxy a sharp 0.05″ PSF
# and let the same volunteers vote again (add a cell at the end of this chapter):
#
# ```python
# from galbias.data.labels import majority_vote
# from galbias.mock.volunteers import simulate_votes
#
# sharp = simulate_votes(pop.assign(psfWidth_r=0.05), cfg)  # same galaxies and volunteers, no blur
# voted_smooth = majority_vote(sharp, "weighted_fraction") == 0
# print(voted_smooth[(pop["true_class"] == 1).to_numpy()].mean())
# ```
#
# What share of the true disks is still voted smooth? Which disks are they (look at
# `pop["true_n_arms"]`, `pop["true_bar"]` and `pop["true_inclination_deg"]` for them)?
# ````
#
# ````{solution} ex-00-sharp
# :class: dropdown
# The share falls from {glue:text}`missed_disks:.0%` to a small remainder. The disks still voted
# smooth are mostly those with nothing to see at any resolution: lenticular-like disks, without
# arms and mostly without a bar, that are not inclined enough to show a thin outline, and a few
# disks whose arms are very weak. That remainder is a part of the bias that depends on what a galaxy is, not on α,
# and the paper's model, which lets the error depend on α alone, has no term for it (chapter 2).
# ````
#
# ````{exercise} The idealised survey
# :label: ex-00-idealised
# Re-run this chapter on the survey that was built to satisfy the paper's assumptions:
#
# ```
# python -m galbias run --profile demo --only 00 --set survey_realism=idealised
# ```
#
# (it simulates a new survey in its own variant folder, a minute or two on the demo profile).
# Compare Tables 0.3 and 0.4 and the verdict with this page. What happens to the true disk
# fraction across the α deciles, and to the colour's AUC? Why does the share of disks voted
# smooth change although the volunteers are the same?
# ````
#
# ````{solution} ex-00-idealised
# :class: dropdown
# In the idealised survey the first row of Table 0.3 is nearly flat: the true class mix no longer
# changes with α, which is the paper's assumption (a CV14-style comparison across α would then
# measure the labelling bias alone). Colour separates the classes even better (no blue early
# types, no red disks besides the lenticular-like ones), and almost no smooth galaxy is voted a
# disk. The share of disks voted smooth changes because the galaxies' sizes follow other
# relations (Table 0.2), so their α distribution differs (Table 0.1): the volunteers are the
# same, the resolution they face is not.
# ````
#
# ````{exercise} Fewer volunteers
# :label: ex-00-votes
# GZ2 collected about 40 classifications per galaxy. Re-run with ten:
#
# ```
# python -m galbias run --profile demo --only 00 --set n_votes=10
# ```
#
# How do the vote-fraction histograms change? Does the share of true disks voted smooth change
# much? What does that tell you about the nature of the bias?
# ````
#
# ````{solution} ex-00-votes
# :class: dropdown
# Each vote fraction is now a multiple of 1/10, so the histograms break into spikes and the
# classes overlap more near 0.5. The share of true disks with a smooth majority hardly moves:
# the bias is not noise from too few votes, it is a systematic error of what every volunteer
# sees. More votes make a wrong majority more certain, not less likely.
# ````
#
# ## Summary
#
# - The simulated survey has a known true class for every object and GZ2-style votes, weighted
#   and redshift-debiased fractions, in the same columns as the real catalog.
# - Volunteers miss disks because blurring erases arms, bars and thin outlines; the resulting
#   dependence of the labels on α was not written into the simulation as a formula.
# - The true disk fraction {glue:text}`mix_word` from the least to the best resolved galaxies,
#   colour alone {glue:text}`word_colour`, and {glue:text}`false_disks:.1%` of the true smooth
#   galaxies are voted disks: the paper's assumptions (a class mix that does not depend on α,
#   errors one way only) hold only approximately, as they would for real galaxies.
# - Against SDSS and the paper: {glue:text}`verdict_summary`.
# - The next chapter turns the votes into labels exactly as the paper does.
