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
# # 1. From volunteer votes to training labels
#
# **Overview.** Galaxy Zoo 2 asked volunteers, as its first question, whether a galaxy is
# *smooth*, has *features or a disk*, or is a *star or artifact*. The paper
# {cite:p}`MedinaRosales2024` (§4.1) turns these votes into a binary label with the simplest
# rule there is: the answer with the largest weighted vote fraction wins. Doing this once on the
# original weighted fractions {cite:p}`Willett2013` gives the **GZ2B** labels, and once on the
# redshift-debiased fractions {cite:p}`Hart2016` gives **GZ2D** ({term}`GZ2B, GZ2D`). This
# chapter applies that rule to the catalog the previous chapter produced, discards stars and
# artifacts, draws a class-balanced random sample and splits it 80/10/10 into training,
# validation and test sets, as the paper did with 97,600 / 12,192 / 12,192 galaxies. The
# {term}`evaluation sample` set aside in chapter 0 is labelled the same way but kept apart and
# unbalanced.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
# - turn vote fractions into GZ2B and GZ2D labels with the majority rule, and say which
#   objects are dropped and why;
# - explain what balancing on a *biased* label does to a sample, and why the evaluation sample
#   is left unbalanced;
# - measure, on the simulated survey, how many true disks each label set calls smooth, and
#   whether the labels separate the classes in {term}`alpha (α)` more than the truth does.
# ```
#
# **Time to run:** {glue:text}`run_time` (measured; see {doc}`../teaching`).
#
# **Prerequisites.** Chapter 0 (the survey catalog). The code lives in `galbias.data.labels`
# (`majority_vote`, balancing, the split, `class_counts`), `galbias.compendium.steps.build_labels`
# (reading, checking and writing) and `galbias.results.labeling` (this chapter's summaries and
# the words of its verdict).
#
# **Produces.** `labels.parquet` (one row per galaxy: `id`, `split`, `alpha`, `gz2b`, `gz2d`,
# `truth`, and the intrinsic variables used later) with a manifest recording the parameters and
# the hash of the catalog it came from.

# %% tags=["parameters"]
profile = "demo"
overrides = {}

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np

from galbias.compendium import config, plots, steps, timings
from galbias.data.catalog import has_truth
from galbias.data.labels import class_counts
from galbias.results import labeling

plots.setup()
plots.glue_numbers(run_time=timings.note("01_labeling"))
cfg = config.get_profile(profile, **overrides)

# %% [markdown]
# ## The majority-vote rule
#
# For every object we take the three weighted vote fractions of task 1 and keep the
# largest. Objects whose largest answer is *star or artifact* — under either the weighted or
# the debiased fractions — are dropped. The class codes used everywhere in this book are
# 0 = smooth and 1 = disk.

# %% tags=["remove-cell"]
catalog = steps.load_catalog(cfg)
labels = steps.build_labels(cfg)
sample = labeling.balanced_sample(labels)
truth_known = has_truth(labels)
plots.glue_numbers(**labeling.summary(catalog, labels))

# %% [markdown]
# The catalog holds {glue:text}`n_objects:,` objects, of which {glue:text}`n_star:,` have a
# star/artifact majority. Among the galaxies, a fraction {glue:text}`frac_smooth_all:.2f`
# are GZ2B-smooth before balancing. The balanced sample has {glue:text}`n_sample:,` galaxies,
# split into {glue:text}`n_train:,` for training, {glue:text}`n_val:,` for validation and
# {glue:text}`n_test:,` for testing; the evaluation sample adds {glue:text}`n_eval:,` galaxies,
# labelled but not balanced (they are for scoring only). GZ2B and GZ2D agree on
# {glue:text}`gz2b_gz2d_agree:.1%` of the balanced sample.

# %% tags=["hide-input"]
plots.table(class_counts(labels), "Table 1.1. Galaxies per split and class for each label set "
            "(the truth is known only for the simulated survey). The training, validation and test splits are "
            "balanced on GZ2B; the evaluation sample (eval) is not.", precision=0)

# %% [markdown]
# ## Which galaxies change label between GZ2B and GZ2D?
#
# The debiasing moves vote fractions towards *features* for galaxies at higher redshift, so a
# galaxy can change from GZ2B-smooth to GZ2D-disk. On the simulated survey we can also compare
# both label sets with the true class.

# %% tags=["hide-input"]
plots.table(labeling.cross_table(labels), "Table 1.2. GZ2B labels (rows) against GZ2D labels (columns), all "
            "splits and the evaluation sample.", precision=0)

# %% tags=["remove-cell"]
truth = labeling.truth_agreement(sample)
plots.glue_numbers(**truth)

# %% [markdown]
# On the simulated survey, where the true classes are known, GZ2B agrees with the truth for
# {glue:text}`acc_b:.1%` of the balanced sample and GZ2D for {glue:text}`acc_d:.1%`. Of the true
# disks in it, {glue:text}`miss_b:.1%` carry a GZ2B *smooth* label and {glue:text}`miss_d:.1%` a
# GZ2D *smooth* label. (For the real data these numbers cannot be computed and show as `nan`.)
#
# ## Resolution of each class
#
# The bias this book is about lives in the resolution parameter
# $\alpha = R_\mathrm{Petrosian} / \sigma_\mathrm{PSF}$. If labels were unbiased, the $\alpha$
# distribution of each class would only reflect the galaxies' intrinsic sizes and distances.

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, 3 if truth_known else 2, figsize=(10 if truth_known else 7, 3.2), sharey=True)
bins = np.logspace(np.log10(sample["alpha"].min()), np.log10(sample["alpha"].max()), 30)
cols = [("gz2b", "GZ2B"), ("gz2d", "GZ2D")] + ([("truth", "truth")] if truth_known else [])
for ax, (col, title) in zip(np.atleast_1d(axes), cols):
    for k, name in ((0, "smooth"), (1, "disk")):
        sel = sample[col].astype(int) == k
        ax.hist(sample.loc[sel, "alpha"], bins=bins, histtype="step", lw=1.5, color=plots.COLORS[name],
                label=f"{name} ({int(sel.sum()):,})")
    plots.alpha_axis(ax)
    ax.set_title(title)
    ax.legend(fontsize=8)
np.atleast_1d(axes)[0].set_ylabel("galaxies")
plots.glue_figure("fig_alpha_by_label", fig)
plots.glue_numbers(**labeling.alpha_gap(labels, seed=cfg.seed))

# %% [markdown]
# ```{glue:figure} fig_alpha_by_label
# :name: fig-alpha-by-label
#
# Distribution of the resolution parameter $\alpha$ for the galaxies of the balanced sample
# labelled smooth and disk, by GZ2B, by GZ2D and (simulated survey only) by the truth. Look at
# the low-$\alpha$ end, and compare how far apart the two classes' distributions are in each panel.
# ```
#
# The median $\alpha$ of the GZ2B-smooth galaxies is {glue:text}`med_s_b:.1f` and of the
# GZ2B-disk galaxies {glue:text}`med_d_b:.1f`, a ratio of {glue:text}`gap_b:.2f`; for GZ2D the
# ratio is {glue:text}`gap_d:.2f`. The true classes differ too (medians {glue:text}`med_s_t:.1f`
# and {glue:text}`med_d_t:.1f`, a ratio of {glue:text}`gap_t:.2f`), because the class mix of this
# survey changes with $\alpha$ (chapter 0). So the gap between the classes is not all labelling
# bias; what the bias adds is the difference from the truth's gap: GZ2B's gap is
# {glue:text}`gap_word_b` the truth's and GZ2D's {glue:text}`gap_word_d` it (against twice the
# bootstrap spread of the difference, {glue:text}`gap_sd_b:.2f` for GZ2B). On real data only the
# first two ratios exist, and the two causes cannot be told apart from them.

# %% tags=["remove-cell"]
v = labeling.verdict(labels)
plots.glue_numbers(**v, **labeling.verdict_sentences(v, truth), balance_tol=labeling.BALANCE_TOLERANCE)

# %% [markdown]
# ## Verdict: these labels against the paper's
#
# The paper's labels cannot be checked against a truth; what this chapter can compare is the
# recipe (split fractions and class balance; a share within {glue:text}`balance_tol:.0%` of the
# paper's counts as the same balance) and, on the simulated survey, whether the two label sets
# rank as the paper's Table 1 ranks them (judged against twice the paired binomial spread).
#
# **Where it agrees.** {glue:text}`verdict_agree`
#
# **Where it does not.** {glue:text}`verdict_disagree`
#
# **Why, as far as we know.** The split and the balancing follow the paper's recipe (§4.1), so
# they agree by construction; the paper's sample is not exactly balanced, ours is. The
# redshift debiasing pushes the vote fractions of distant galaxies towards *features*, and
# distant galaxies are the poorly resolved ones, so GZ2D undoes part of the resolution bias. It
# cannot undo all of it: it compares galaxies of the same luminosity and size at different
# redshifts, not what a volunteer could see in each image, and a disk voted smooth at every
# redshift stays smooth.
#
# ## Exercises
#
# ````{exercise} A "clean" sample instead of the majority
# :label: ex-01-clean
# GZ2 users often keep only galaxies with a clear vote, e.g. a smooth (or features) fraction of
# at least 0.8 (the "clean" samples of {cite:t}`Willett2013`). Add a cell that compares the
# majority rule with that threshold on the simulated survey:
#
# ```python
# frac = catalog["t01_smooth_or_features_a01_smooth_weighted_fraction"]
# true = catalog["true_class"]
# for cut in (0.5, 0.8):
#     smooth = frac >= cut
#     print(cut, smooth.sum(), (true[smooth] == 1).mean())  # how many, and the share of true disks
# ```
#
# Does the stricter threshold remove the true disks from the smooth class? Where in $\alpha$
# are the galaxies it keeps (compare `catalog.loc[smooth, "alpha"].median()` for both cuts)?
# ````
#
# ````{solution} ex-01-clean
# :class: dropdown
# The clean cut keeps fewer galaxies, but a large share of its "smooth" galaxies are still true
# disks: a poorly resolved disk does not get *uncertain* votes, it gets confidently smooth votes,
# because almost every volunteer sees the same featureless blob. A vote threshold removes
# galaxies the volunteers disagree on, not galaxies they all get wrong, so it cannot remove the
# resolution bias; only a model of how the error depends on resolution (chapters 2–4) can.
# ````
#
# ````{exercise} Labels from the idealised survey
# :label: ex-01-idealised
# Run chapters 0 and 1 on the survey built to satisfy the paper's assumptions:
#
# ```
# python -m galbias run --profile demo --only 00 01 --set survey_realism=idealised
# ```
#
# Compare the ratio of the true classes' median $\alpha$ and GZ2B's with this page. What does
# the truth panel of the figure look like now?
# ````
#
# ````{solution} ex-01-idealised
# :class: dropdown
# In the idealised survey the true class mix does not change with α, so the truth panel shows
# two similar distributions and the truth's ratio comes out near 1; GZ2B's ratio stays well above
# it. There, the whole gap between the labelled classes is labelling bias, which is what the
# paper's method assumes of the real data; in the realistic survey part of the gap is real, and a
# method that takes all of it for bias over-corrects.
# ````
#
# ````{exercise} Another split, and the manifest
# :label: ex-01-split
# Change the split to 60/20/20:
#
# ```
# python -m galbias run --profile demo --only 01 --set "split_fractions=[0.6, 0.2, 0.2]"
# ```
#
# The run goes to a variant folder (the command prints it). Open `labels.manifest.json` there and
# in the default run: what differs? Which later chapters would have to be re-run, and how does the
# book know (try `--only 05` in the variant, with the same `--set`)?
# ````
#
# ````{solution} ex-01-split
# :class: dropdown
# The manifests differ in `split_fractions` and in the hash of the labels; the catalog hash is
# the same, because the variant reuses the default run's survey. Every artifact downstream
# (`theta.json`, the networks, Table 1) records the hash of the labels it was made from. Chapter 5
# in the variant finds the default run's predictions, sees that they were made from other labels,
# and stops at once, naming the chapter to re-run (4, after 3); nothing silently mixes the two
# splits.
# ````
#
# ## Summary
#
# - The labels are a deterministic function of the vote fractions; the sample and the split are
#   drawn with the profile's seed, so the same seed gives the same `labels.parquet`.
# - Balancing on GZ2B keeps the two classes equally represented in the training, validation and
#   test splits, as in the paper; the evaluation sample stays unbalanced.
# - Against the paper: {glue:text}`verdict_summary`.
# - The $\alpha$ distributions already hint at the problem: the labelled-smooth class is
#   over-represented among poorly resolved galaxies, more than the truth is. Chapter 2 turns
#   this into a model.
