# %% [markdown]
# # 1. From volunteer votes to training labels
#
# **Overview.** Galaxy Zoo 2 asked volunteers, as its first question, whether a galaxy is
# *smooth*, has *features or a disk*, or is a *star or artifact*. The paper
# {cite:p}`MedinaRosales2024` (§4.1) turns these votes into a binary label with the simplest
# rule there is: the answer with the largest weighted vote fraction wins. Doing this once on the
# original weighted fractions {cite:p}`Willett2013` gives the **GZ2B** labels, and once on the
# redshift-debiased fractions {cite:p}`Hart2016` gives **GZ2D**. This chapter applies that rule to
# the catalog the previous chapter produced, discards stars and artifacts, draws a class-balanced
# random sample and splits it 80/10/10 into training, validation and test sets, as the paper did
# with 97,600 / 12,192 / 12,192 galaxies.
#
# **Prerequisites.** Chapter 0 (the survey catalog). The code lives in `galbias.data.labels`
# (majority vote, balancing, split), `galbias.compendium.steps.build_labels` (reading, checking
# and writing) and `galbias.results.labeling` (this chapter's summaries).
#
# **Produces.** `labels.parquet` (one row per galaxy: `id`, `split`, `alpha`, `gz2b`, `gz2d`,
# `truth`, and the intrinsic variables used later) with a manifest recording the parameters and
# the hash of the catalog it came from.

# %% tags=["parameters"]
profile = "demo"
overrides = {}

# %% tags=["remove-cell"]
import numpy as np
import matplotlib.pyplot as plt

from galbias.compendium import config, plots, steps
from galbias.data.catalog import has_truth
from galbias.data.labels import class_counts
from galbias.results import labeling

plots.setup()
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
truth_known = has_truth(labels)
plots.glue_numbers(**labeling.summary(catalog, labels))

# %% [markdown]
# The catalog holds {glue:text}`n_objects:,` objects, of which {glue:text}`n_star:,` have a
# star/artifact majority. Among the galaxies, a fraction {glue:text}`frac_smooth_all:.2f`
# are GZ2B-smooth before balancing. The balanced sample has {glue:text}`n_sample:,` galaxies,
# split into {glue:text}`n_train:,` for training, {glue:text}`n_val:,` for validation and
# {glue:text}`n_test:,` for testing. GZ2B and GZ2D agree on {glue:text}`gz2b_gz2d_agree:.1%`
# of them.

# %% tags=["remove-input"]
plots.table(class_counts(labels), "Table 1.1. Galaxies per split and class for each label set "
            "(the truth is known only for the simulated survey). The sample is balanced on GZ2B.",
            precision=0)

# %% [markdown]
# ## Which galaxies change label between GZ2B and GZ2D?
#
# The debiasing moves vote fractions towards *features* for galaxies at higher redshift, so a
# galaxy can change from GZ2B-smooth to GZ2D-disk. On the simulated survey we can also compare
# both label sets with the true class.

# %% tags=["remove-input"]
plots.table(labeling.cross_table(labels), "Table 1.2. GZ2B labels (rows) against GZ2D labels (columns), all splits.",
            precision=0)

# %% tags=["remove-cell"]
plots.glue_numbers(**labeling.truth_agreement(labels))

# %% [markdown]
# On the simulated survey, where the true classes are known, GZ2B agrees with the truth for
# {glue:text}`acc_b:.1%` of the sample and GZ2D for {glue:text}`acc_d:.1%`. Of the true disks in
# the sample, {glue:text}`miss_b:.1%` carry a GZ2B *smooth* label and {glue:text}`miss_d:.1%` a
# GZ2D *smooth* label. (For the real data these numbers cannot be computed and show as `nan`.)
#
# ## Resolution of each class
#
# The bias this book is about lives in the resolution parameter
# $\alpha = R_\mathrm{Petrosian} / \sigma_\mathrm{PSF}$. If labels were unbiased, the $\alpha$
# distribution of each class would only reflect the galaxies' intrinsic sizes and distances.

# %% tags=["remove-cell"]
fig, axes = plt.subplots(1, 3 if truth_known else 2, figsize=(10 if truth_known else 7, 3.2), sharey=True)
bins = np.logspace(np.log10(labels["alpha"].min()), np.log10(labels["alpha"].max()), 30)
cols = [("gz2b", "GZ2B"), ("gz2d", "GZ2D")] + ([("truth", "truth")] if truth_known else [])
for ax, (col, title) in zip(np.atleast_1d(axes), cols):
    for k, name in ((0, "smooth"), (1, "disk")):
        sel = labels[col].astype(int) == k
        ax.hist(labels.loc[sel, "alpha"], bins=bins, histtype="step", lw=1.5, color=plots.COLORS[name],
                label=f"{name} ({int(sel.sum()):,})")
    plots.alpha_axis(ax)
    ax.set_title(title)
    ax.legend(fontsize=8)
np.atleast_1d(axes)[0].set_ylabel("galaxies")
plots.glue_figure("fig_alpha_by_label", fig)

# %% [markdown]
# ```{glue:figure} fig_alpha_by_label
# :name: fig-alpha-by-label
#
# Distribution of the resolution parameter $\alpha$ for galaxies labelled smooth and disk,
# by GZ2B, by GZ2D and (simulated survey only) by the truth. Look at the low-$\alpha$ end: the
# volunteer labels put many more smooth than disk galaxies there, while the true classes have
# similar $\alpha$ distributions. That excess is the labelling bias.
# ```
#
# ## Summary
#
# - The labels are a deterministic function of the vote fractions; the sample and the split are
#   drawn with the profile's seed, so the same seed gives the same `labels.parquet`.
# - Balancing on GZ2B keeps the two classes equally represented in every split, as in the paper.
# - The $\alpha$ distributions already hint at the problem: the labelled-smooth class is
#   over-represented among poorly resolved galaxies. Chapter 2 turns this into a model.
