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
# # 7. The galaxies DDB turned into disks
#
# **Overview.** A de-biasing network is only useful if the galaxies whose class it changes are
# the ones the volunteers got wrong. The paper (§5.4.3, Fig. 11) checked this by eye: among the
# test galaxies labelled *smooth* in {term}`GZ2B <GZ2B, GZ2D>` that {term}`DDB` calls *disk*, it
# found {glue:text}`paper_found` with Hubble Space Telescope (HST) images, and
# {glue:text}`paper_arms` of them show spiral arms while {glue:text}`paper_lenticular` look
# lenticular. That is encouraging but has no reference point: how often would a GZ2B-smooth
# galaxy *picked at random at the same resolution* turn out to have a disk? On the simulated
# survey every galaxy has a sharp "space-telescope" view and a known true class, so this chapter
# repeats the paper's inspection and adds the control the paper could not run.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
# - count the galaxies a network moves between classes in each direction, and say which
#   direction the paper's bias model allows;
# - build a resolution-matched random control for a selected set of galaxies, and read the
#   share of control draws at least as rich in disks as a p-value;
# - judge whether an inspection of a dozen galaxies, like the paper's, can tell a good selection
#   from a random one.
# ```
#
# **Prerequisites.** Chapter 1 (`labels.parquet`, the survey and high-resolution images) and
# chapter 4 (`predictions.parquet`). Code: `galbias.results.frames.evaluation_frame` (the test
# galaxies with every label set) and `galbias.results.hires` — `changed_counts` and
# `changed_numbers` (Table 7.1), `write_changed`, `examples` (the image grid, drawn by
# `galbias.compendium.plots.view_grid`), `alpha_matched_draws`, `control_results`,
# `control_table` and `chance_verdict` (the control, Table 7.2), `inspection_chance` and
# `verdict_numbers` (the verdict against the paper).
#
# **Time to run:** {glue:text}`run_time` (measured; see {doc}`../teaching`).
#
# **Produces.** `changed.parquet`: the test galaxies changed from smooth (GZ2B) to disk (DDB),
# with `id`, `alpha`, each network's $p(\text{disk})$, the labels and, on the simulated survey,
# the truth (true class, number of spiral arms, arm contrast, bulge fraction).

# %% tags=["parameters"]
profile = "demo"
overrides = {}
n_show = 12         # changed galaxies shown in the image grid (the paper found 11 HST images)
n_alpha_bins = 5    # equal-count alpha bins of the resolution-matched control
n_draws = 2000      # random control samples
threshold = 0.5     # p(disk) above which a network calls a galaxy disk

# %% tags=["hide-input"]
import numpy as np
import matplotlib.pyplot as plt

from galbias.compendium import config, plots, steps, timings
from galbias.data.catalog import has_truth
from galbias.results import hires
from galbias.results.frames import evaluation_frame

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
labels = steps.load_labels(cfg)
pred = steps.load_predictions(cfg, labels)
truth_known = has_truth(labels)
extra = hires.truth_extra(steps.load_catalog(cfg)) if truth_known else None
test = evaluation_frame(labels, pred, splits="test", extra=extra)
plots.glue_numbers(run_time=timings.note("07_hst_inspection"), **hires.paper_numbers())

# %% [markdown]
# ## Which galaxies changed?
#
# A network *changes* a galaxy when its class differs from the GZ2B label: smooth → disk when
# the label is smooth and $p(\text{disk})$ > {glue:text}`threshold`, disk → smooth the other way
# round. Under the paper's bias model only the first kind should happen — a disk label is never
# a volunteer's mistake — so a de-biasing network should change many smooth labels and few disk
# labels. The table counts both for each network on the {glue:text}`n_test:,` test galaxies
# ({glue:text}`n_smooth_b:,` of them GZ2B-smooth).

# %% tags=["remove-cell"]
counts = hires.changed_counts(test, threshold)
plots.glue_numbers(**hires.changed_numbers(test, threshold))

# %% tags=["hide-input"]
plots.table(counts, "Table 7.1. Test galaxies whose class each network changes with respect to the GZ2B label, "
            "in each direction, and the share of the GZ2B-smooth galaxies it moves to disk. On the simulated "
            "survey the last two columns give the share of each kind of change that the true class bears out "
            "(– where there are none, or for real data).", precision=3)

# %% [markdown]
# DDB changes {glue:text}`n_changed:,` GZ2B-smooth test galaxies to disk and
# {glue:text}`n_back:,` GZ2B-disk galaxies to smooth. On the simulated survey we know how many
# GZ2B-smooth test galaxies are in fact disks — {glue:text}`n_hidden:,` (`nan` for real data),
# i.e. {glue:text}`frac_smooth_hidden:.1%` of the smooth labels — and DDB recovers
# {glue:text}`frac_hidden_found:.1%` of them.
#
# ## Survey view and high-resolution view

# %% tags=["hide-input"]
changed = hires.write_changed(p.artifact("changed.parquet"), test, threshold,
                              inputs={"labels": p.find("labels.parquet"), "predictions": p.find("predictions.parquet")})
pick, titles = hires.examples(changed, n_show, cfg.seed)
why_not = hires.grid_message(pick)
if why_not is None:
    fig = plots.view_grid(p.survey, pick, titles=titles, ncols=min(4, len(pick)), size=1.5)
    for ax in fig.axes:  # tile labels readable at the page's width (>= 8 pt once the figure is scaled)
        ax.title.set_fontsize(9)
        ax.yaxis.label.set_fontsize(9.5)
    fig.tight_layout(pad=0.3)
else:
    fig, ax = plt.subplots(figsize=(6.4, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, why_not, ha="center", va="center", fontsize=9)
plots.glue_figure("fig_changed_grid", fig)
plots.glue_numbers(**hires.grid_numbers(pick))

# %% [markdown]
# ```{glue:figure} fig_changed_grid
# :name: fig-changed-grid
#
# Test galaxies labelled smooth in GZ2B that DDB classifies as disk, drawn at random from all
# such galaxies and ordered by resolution $\alpha$: the survey view (what volunteers and
# networks saw, with $\alpha$ and DDB's $p(\text{disk})$ above it) and, below it, the
# high-resolution view of the same galaxy (on the simulated survey, with its true class and
# number of spiral arms). This is the paper's Fig. 11. Look for arms, bars or a thin disk in the
# sharp view that are invisible in the survey view; and note the galaxies where there are none.
# ```
#
# The grid shows {glue:text}`n_grid` changed galaxies ({glue:text}`n_grid_disk` of them true
# disks on the simulated survey). For real GZ2 data the high-resolution column `hires_loc` is
# empty: finding HST observations of the changed galaxies (`galbias.data.gz2.fetch_hst_cutouts` lists
# them) and cutting the images out is left to the separate real-data task, and the grid is
# skipped.
#
# ## The control the paper could not run
#
# Are the changed galaxies disks *more often than a random GZ2B-smooth galaxy of the same
# resolution*? The changed galaxies are poorly resolved (that is where the smooth labels are
# unreliable), and at low {term}`α <alpha (α)>` many smooth-labelled galaxies are hidden disks
# whatever one
# selects. For each changed galaxy we therefore draw a galaxy at random from *all* GZ2B-smooth
# test galaxies in the same equal-count $\alpha$ bin ({glue:text}`n_alpha_bins` bins of the
# smooth-labelled test galaxies), giving a control sample with the changed set's $\alpha$
# distribution and the same size, and repeat this {glue:text}`n_draws:,` times. The pool includes
# the changed galaxies themselves: the control is "GZ2B-smooth galaxies chosen without looking at
# the images", which is the null hypothesis for "DDB finds the hidden disks".

# %% tags=["hide-input"]
results = hires.control_results(test, threshold, n_bins=n_alpha_bins, n_draws=n_draws, seed=cfg.seed)
alpha_pool = test["alpha"].to_numpy()[hires.pool_mask(test)]
alpha_changed = changed["alpha"].to_numpy()

fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.1))
bins = np.geomspace(max(test["alpha"].min(), 0.5), test["alpha"].max(), 25)
for a, kind, label in ((alpha_pool, "step", "all GZ2B-smooth"),
                       (alpha_changed, "stepfilled", "changed to disk by DDB")):
    if len(a):
        axes[0].hist(a, bins=bins, histtype=kind, lw=1.5, alpha=0.45 if kind == "stepfilled" else 1,
                     color=plots.COLORS["ddb" if kind == "stepfilled" else "gz2b"],
                     weights=np.full(len(a), 1 / len(a)), label=label)
plots.alpha_axis(axes[0])
axes[0].set_ylabel("fraction per bin")
axes[0].legend(fontsize=8, frameon=False)
r = results.get("ddb")
if r is not None and r.n_changed:
    axes[1].hist(r.draws, bins=np.linspace(0, 1, 41), color="0.6", label="α-matched random\nGZ2B-smooth")
    axes[1].axvline(r.frac_changed, color=plots.COLORS["ddb"], lw=2, label="changed by DDB")
    axes[1].axvspan(r.frac_changed_lo, r.frac_changed_hi, color=plots.COLORS["ddb"], alpha=0.15)
    axes[1].set(xlabel="fraction that truly are disks", ylabel="control draws")
    axes[1].legend(fontsize=8, frameon=False)
else:
    axes[1].axis("off")
    axes[1].text(0.5, 0.5, "no changed galaxies" if truth_known else "true classes unknown (real data)",
                 ha="center", va="center", fontsize=9, transform=axes[1].transAxes)
fig.tight_layout()
plots.glue_figure("fig_control", fig)
plots.glue_numbers(**hires.control_numbers(results, changed, n_alpha_bins, n_draws))

# %% [markdown]
# ```{glue:figure} fig_control
# :name: fig-control
#
# Left: resolution of the galaxies DDB changed from smooth to disk, against all GZ2B-smooth test
# galaxies (fraction of each set per logarithmic bin): the control is drawn to match the first
# distribution. Right (simulated survey): the fraction of the
# changed galaxies that truly are disks (green line, with its 95% Wilson interval shaded), and
# the same fraction in each of the random, $\alpha$-matched control samples (grey histogram). A
# green line to the right of the grey histogram means DDB's choice is better than chance at that
# resolution; inside it, the changed galaxies are no more often disks than their neighbours in
# $\alpha$.
# ```
#
# Of the galaxies DDB moved from smooth to disk, {glue:text}`frac_changed:.1%` are true disks
# (95% interval {glue:text}`frac_changed_lo:.1%` – {glue:text}`frac_changed_hi:.1%`). Random
# GZ2B-smooth galaxies with the same $\alpha$ distribution are true disks
# {glue:text}`frac_control:.1%` of the time (95% of the control draws between
# {glue:text}`frac_control_lo:.1%` and {glue:text}`frac_control_hi:.1%`); the share of control
# draws at least as rich in disks as DDB's selection is {glue:text}`p_value:.2g` (the smallest
# value {glue:text}`n_draws:,` draws can give is {glue:text}`p_min:.2g`). All these are `nan` for
# real data, whose true classes are unknown.
#
# Counting as the paper did: among the changed galaxies, {glue:text}`n_changed_arms` are true
# disks with spiral arms, {glue:text}`n_changed_lenticular` are true disks without arms
# (lenticular-like) and {glue:text}`n_changed_smooth` are truly smooth.

# %% tags=["hide-input"]
plots.table(hires.control_table(results),
            "Table 7.2. Fraction of true disks among the GZ2B-smooth test galaxies each network changes to "
            "disk, with its 95% Wilson interval, against random GZ2B-smooth test galaxies with the same α "
            "distribution (\"control\": mean and central 95% range over the control draws); p is the share of "
            f"control draws with at least as many true disks, and the verdict uses p < {hires.SIGNIFICANCE:g}.",
            precision=3, formats={"p": "{:.2g}"} if results else None)

# %% [markdown]
# Table 7.2 makes the same comparison for the two cross-entropy networks. It separates two
# questions: whether the galaxies a network moves to *disk* are disks more often than their
# neighbours in $\alpha$ (a change that carries information), and how many galaxies it moves at
# all (Table 7.1) — a network that reproduces the GZ2B labels faithfully changes few.
#
# ## An inspection the size of the paper's
#
# The paper looked at {glue:text}`paper_found` galaxies. Suppose we, too, could only inspect
# that many: draw {glue:text}`paper_found` of DDB's changed galaxies at random, and, for the
# control, an $\alpha$-matched GZ2B-smooth galaxy for each, {glue:text}`n_draws:,` times. How often
# would at least {glue:text}`paper_arms` of them show spiral arms, as in the paper?

# %% tags=["remove-cell"]
chance = hires.inspection_chance(test, threshold, n_bins=n_alpha_bins, n_draws=n_draws, seed=cfg.seed)
plots.glue_numbers(**chance, **hires.verdict_numbers(results, changed, chance))

# %% [markdown]
# Among DDB's changed galaxies, {glue:text}`paper_found` picked at random include at least
# {glue:text}`paper_arms` with spiral arms in {glue:text}`q_changed:.0%` of the draws; among
# $\alpha$-matched random GZ2B-smooth galaxies, in {glue:text}`q_control:.0%` (`nan` for real data,
# or when DDB changed fewer than {glue:text}`paper_found` galaxies). So on this survey an
# inspection like the paper's {glue:text}`inspection_word` tell DDB's choice from chance: it
# could only if the paper's count were rare among random galaxies (in fewer than
# {glue:text}`significance:.0%` of the control draws).
#
# ## Verdict: this survey against the paper
#
# **Where it agrees.** The paper found spiral arms in {glue:text}`paper_arms` of
# {glue:text}`paper_found` changed galaxies ({glue:text}`paper_arms_frac:.0%`) and a disk
# (arms or lenticular) in {glue:text}`paper_disklike` of {glue:text}`paper_found`. Here
# {glue:text}`arms_frac:.0%` of the {glue:text}`n_changed:,` galaxies DDB changed are true disks
# with arms and {glue:text}`frac_changed:.0%` are true disks: the first share is
# {glue:text}`arms_vs_paper` the paper's (Fisher's exact test, p = {glue:text}`arms_vs_paper_p:.2g`),
# the second {glue:text}`disks_vs_paper` the paper's (p = {glue:text}`disks_vs_paper_p:.2g`;
# "consistent with" means p ≥ {glue:text}`significance:g`). With {glue:text}`paper_found` galaxies
# the paper's own shares are uncertain by tens of per cent, so "consistent" is a weak statement.
#
# **Where it does not, or where the paper could not tell.** The paper's claim is that DDB moves
# the *right* galaxies to disk. Against the $\alpha$-matched control, DDB's choice is
# {glue:text}`chance_word` here: {glue:text}`frac_changed:.0%` true disks against
# {glue:text}`frac_control:.0%` for random GZ2B-smooth galaxies of the same resolution
# (p = {glue:text}`p_value:.2g`). And an inspection of the paper's size
# {glue:text}`inspection_word` tell the two apart on this survey (above).
#
# **Why, as far as we know.** The changed galaxies are poorly resolved, and at low $\alpha$ many
# smooth labels hide disks — {glue:text}`frac_smooth_hidden:.0%` of all GZ2B-smooth test galaxies
# are true disks here — so even a random pick of smooth-labelled galaxies at that resolution
# often finds disks: {glue:text}`paper_arms` or more with arms among {glue:text}`paper_found`
# turn up in {glue:text}`q_control:.0%` of random, resolution-matched selections here. What
# matters is the excess over such a control, which the paper could not measure without true
# classes. The simulated survey also gives every disk a sharp view in which
# its arms are drawn, while real HST imaging exists only for a few fields and may miss faint
# arms.
#
# ## Exercises
#
# ````{exercise} A more confident network
# :label: ex-07-threshold
# Call a galaxy disk only when the network is sure:
# `python -m galbias run --profile demo --only 07 --set threshold=0.8`. How many galaxies does
# DDB change now (Table 7.1), what share of them are true disks, and does the verdict against the
# control change?
# ````
#
# ````{solution} ex-07-threshold
# :class: dropdown
# Fewer galaxies are changed, and those that remain are the ones with the highest $p(\text{disk})$,
# so the share of true disks among them usually rises. The control follows the new, smaller set's
# $\alpha$ distribution, so the comparison stays fair; the Wilson interval widens because the set
# is smaller. DDB then recovers a smaller share of the hidden disks: the threshold trades
# completeness for purity, and the control says whether the purity gained is more than chance.
# ````
#
# ````{exercise} Why match the resolution?
# :label: ex-07-match
# Re-run with a single $\alpha$ bin, so that the control is drawn from all GZ2B-smooth test
# galaxies whatever their resolution: `--set n_alpha_bins=1`. How does the control's share of true
# disks move, and does DDB now look better or worse than chance?
# ````
#
# ````{solution} ex-07-match
# :class: dropdown
# The changed galaxies are mostly poorly resolved, where hidden disks are common; an unmatched
# control also draws well-resolved smooth-labelled galaxies, which are more often truly smooth.
# The control's share of disks therefore falls and DDB looks better than chance by a wider
# margin — partly because of *where* it changes labels, not *which* galaxies it picks there.
# Matching in $\alpha$ removes that advantage, which is why the chapter uses it.
# ````
#
# ````{exercise} How many control draws?
# :label: ex-07-draws
# Re-run with `--set n_draws=100`, then with the default. What is the smallest p-value the
# control can report in each case, and does the verdict depend on it?
# ````
#
# ````{solution} ex-07-draws
# :class: dropdown
# With $N$ draws the smallest possible p-value is $1/(N+1)$: about 0.0099 for 100 draws,
# {glue:text}`p_min:.2g` for {glue:text}`n_draws:,`. When DDB beats every control draw, its
# p-value is that minimum, so fewer draws can only make p larger; the verdict (p <
# {glue:text}`significance:g`) is safe with 100 draws as long as the minimum stays below the
# level. The control's mean and range change only by their sampling noise.
# ````
#
# ## Summary
#
# - The paper found HST images for {glue:text}`paper_found` galaxies DDB moved from smooth to
#   disk; {glue:text}`paper_arms` show spiral arms ({glue:text}`paper_arms_frac:.0%`) and
#   {glue:text}`paper_lenticular` look lenticular. On the simulated survey DDB changes
#   {glue:text}`n_changed:,` test galaxies, and {glue:text}`frac_changed:.0%` of them are true
#   disks ({glue:text}`n_changed_arms` with arms, {glue:text}`n_changed_lenticular` without):
#   the share with arms is {glue:text}`arms_vs_paper` the paper's.
# - The resolution-matched control puts that number in context: random GZ2B-smooth galaxies at
#   the same $\alpha$ are true disks {glue:text}`frac_control:.0%` of the time, so DDB's choice is
#   {glue:text}`chance_word`. An inspection of {glue:text}`paper_found` galaxies, like the
#   paper's, {glue:text}`inspection_word` tell the two apart on this survey.
# - DDB recovers {glue:text}`frac_hidden_found:.0%` of the hidden disks (GZ2B-smooth galaxies
#   that truly are disks) in the test set. Chapter 8 asks which parts of the images the
#   networks use to decide.
