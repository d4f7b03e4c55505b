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
# # 10. When does de-biasing work?
#
# **Overview.** The paper could only compare bias metrics of label sets; the simulated survey
# knows every galaxy's true class, so this chapter asks *when* DDB recovers it and when it does
# not. The same small network is trained on the same images again and again; between trainings
# only one thing changes — the labels (three scenarios), the value of $\theta$, the shape of the
# bias model, the rule that picks the epoch, or the training data (degraded copies of
# well-resolved galaxies). Every method and every rule uses labels only; the truth is used to
# score, never to choose.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
# - design an ablation that changes one thing at a time and compare its results with the
#   seed-to-seed spread;
# - tell where DDB's assumptions hold (labels drawn from its own bias model) from where they
#   do not, and measure what that costs;
# - explain why a low bias metric cannot choose the epoch on its own (a one-class classifier
#   scores zero);
# - build a degrade-augmentation baseline from well-resolved galaxies and judge it against DDB.
# ```
#
# **Time to run:** {glue:text}`run_time` (measured; see {doc}`../teaching`).
#
# **Prerequisites.** Chapters 0–5. Code: `galbias.results.ablation` (scenarios, trainings,
# selection rules, scores), `galbias.methods.bias.fit_bias_shape` (the two-parameter bias
# shape), `galbias.methods.degrade` (moving a galaxy to a lower $\alpha$),
# `galbias.methods.losses.ddb_shape_nll`.
#
# **Produces.** `ablation.csv`: one row per scenario, method, $\theta$ factor, selection rule and
# seed, with the truth accuracy, the recall of true disks (overall, in the least resolved fifth,
# and per fifth), CV18 in both conventions and CV14 on the scoring galaxies.

# %% tags=["parameters"]
profile = "demo"
overrides = {}
scenarios = ["S1", "S2", "S3"]  # which scenarios to run
# None below: the profile's extra["ablation"] setting if it has one, else the default in brackets
px = None  # image side for this chapter's network (24 px)
n_train = None  # training galaxies per scenario (1,500, fewer if the run has fewer)
n_score = None  # scoring galaxies from the evaluation sample (3,000)
epochs = None  # epochs per training (3)
n_seeds = None  # seeds per configuration (3)
theta_factors = None  # multiples of theta for the misspecification test (None: 0.5, 0.75, 1, 1.5, 2)

# %% tags=["hide-input"]
import time

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

from galbias.compendium import config, plots, steps, timings
from galbias.core import artifacts, progress
from galbias.results import ablation

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
labels = steps.load_labels(cfg)
theta_doc = steps.load_theta(cfg)
s = ablation.AblationSettings.sized_for(labels, **{**cfg.extra.get("ablation", {}), **{
    k: v for k, v in dict(px=px, n_train=n_train, n_score=n_score, epochs=epochs, n_seeds=n_seeds,
                          theta_factors=theta_factors).items() if v is not None}})
out = p.artifact("ablation.csv")
params = {"settings": s.to_dict(), "scenarios": list(scenarios), "seed": cfg.seed, "theta_s1": theta_doc["theta"]}
inputs = {"labels": steps.labels_path(cfg), "catalog": p.catalog, "theta": p.find("theta.json")}
t0 = time.perf_counter()
if artifacts.is_fresh(out, params, inputs, code="ablation"):
    table = pd.read_csv(out)
else:
    data = ablation.load_scenarios(cfg, p, labels, theta_doc["theta"], s, scenarios, log=progress.say)
    table = ablation.run_ablation(data, s, cfg.seed, log=progress.say)
    ablation.write_ablation(out, table, s, inputs, {k: v for k, v in params.items() if k != "settings"})
plots.glue_numbers(minutes=(time.perf_counter() - t0) / 60, px=s.px, n_train=s.n_train, n_val=s.n_val,
                   n_score=s.n_score, epochs=s.epochs, n_seeds=s.n_seeds, width=s.width,
                   n_trainings=int(table.loc[table["selection"] == "last", ["scenario", "method", "theta_factor",
                                                                            "seed"]].drop_duplicates().shape[0]),
                   run_time=timings.note("10_when_debiasing_works"))

# %% [markdown]
# ## The set-up
#
# To fit the chapter into a few CPU minutes, every training here uses a small version of the
# chapter-4 network (a compact ResNet {glue:text}`width` channels wide) on the survey images
# averaged down to {glue:text}`px` pixels, {glue:text}`n_train:,` training and
# {glue:text}`n_val:,` validation galaxies drawn at random from the training pool (not balanced:
# chapter 4 showed how balancing on the biased label strains the bias model), and
# {glue:text}`epochs` epochs. Each configuration is trained with {glue:text}`n_seeds` seeds and
# scored on {glue:text}`n_score:,` galaxies of the evaluation sample (the idealised survey of S3
# has its own). In all, {glue:text}`n_trainings` networks were trained
# ({glue:text}`minutes:.1f` minutes in this run; a fresh `ablation.csv` is reused). The numbers
# are therefore lower than chapter 4's, but every comparison below is between trainings of the
# same network on the same images.
#
# **Scenarios.** *S1, the paper's world*: the realistic survey's images with labels drawn from
# the paper's own model — a true disk is labelled smooth with probability
# $b(\alpha;\theta_{S1})$, a smooth galaxy never labelled disk, nothing else matters — with
# $\theta_{S1}$ the value chapter 3 fitted, so the bias is as strong as the volunteers'. Here DDB's
# assumptions hold exactly: this is its ceiling. *S2*: the simulated volunteers of the realistic
# survey (chapters 0–5). *S3*: the simulated volunteers of the idealised survey, rendered small
# for this chapter.

# %% tags=["remove-cell"]
v = ablation.verdict_numbers(table)
th = table[table["method"].isin(["ddb", "ddb_shape"]) & (table["theta_factor"] == 1.0)]
thv = th.groupby(["scenario", "method"])[["bias_theta", "bias_k"]].first()
plots.glue_numbers(**{k: v for k, v in v.items()},
                   **{f"{sk}_{m}_{c}": float(thv.loc[(sn, m), c]) if (sn, m) in thv.index else np.nan
                      for sk, sn in ablation.SCENARIOS.items() for m in ("ddb", "ddb_shape")
                      for c in ("bias_theta", "bias_k")},
                   s1_check_word="holds" if v["s1_check"] else "fails",
                   **ablation.verdict_words(table))

# %% tags=["hide-input"]
plots.table(ablation.summary_table(table), "Table 10.1. Every method in every scenario (θ as fitted or known, "
            "epoch chosen by the lowest validation loss, the paper's rule): accuracy against the truth, recall of "
            "true disks in the least resolved fifth of the scoring galaxies, and CV18 in the thesis convention and "
            "with the lowest-α reference. Mean ± standard deviation over the seeds (ddof = 1).", precision=3)

# %% [markdown]
# **The paper's world (S1).** DDB's accuracy against the truth exceeds that of cross-entropy on
# the same labels by {glue:text}`S1_ddb_minus_ce:+.3f` ± {glue:text}`S1_ddb_minus_ce_sd:.3f`
# (paired by seed): the check that DDB beats CE by at least 0.05 where its assumptions hold
# **{glue:text}`s1_check_word`**{glue:text}`S1_degenerate`. In the least resolved fifth DDB finds
# {glue:text}`S1_low_ddb:.1%` of the true disks, cross-entropy {glue:text}`S1_low_ce_gz2b:.1%`.
#
# **The simulated volunteers (S2, S3).** On the realistic survey DDB
# {glue:text}`S2_gain_word` cross-entropy ({glue:text}`S2_ddb_minus_ce:+.3f` ±
# {glue:text}`S2_ddb_minus_ce_sd:.3f`){glue:text}`S2_degenerate`; on the idealised one it
# {glue:text}`S3_gain_word` it ({glue:text}`S3_ddb_minus_ce:+.3f` ±
# {glue:text}`S3_ddb_minus_ce_sd:.3f`){glue:text}`S3_degenerate`. The
# fitted half-Gaussian has $\theta$ = {glue:text}`S2_ddb_bias_theta:.2f` on S2's training labels
# and {glue:text}`S3_ddb_bias_theta:.2f` on S3's; S1's labels were drawn with
# $\theta$ = {glue:text}`S1_ddb_bias_theta:.2f`.
#
# ## A wrong θ

# %% tags=["hide-input"]
mis = table[(table["method"] == "ddb") & (table["selection"] == "val_loss")]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharex=True)
for (name, g), mk in zip(mis.groupby("scenario"), "os^"):
    m = g.groupby("theta_factor")[["accuracy_truth", "recall_truth_lowalpha"]].agg(["mean", "std"])
    for ax, col in zip(axes, ("accuracy_truth", "recall_truth_lowalpha")):
        ax.errorbar(m.index, m[(col, "mean")], yerr=m[(col, "std")], marker=mk, capsize=2, label=name,
                    color=("0.0", "0.45", "0.7")["os^".index(mk)])
for ax, lab in zip(axes, ("accuracy against the truth", "recall of true disks, lowest α fifth")):
    ax.set_xscale("log", base=2)
    ax.set_xticks(s.theta_factors, [f"{f:g}" for f in s.theta_factors])
    ax.set_xlabel(r"$\theta$ used / $\theta$ fitted (S1: true)")
    ax.set_ylabel(lab)
axes[0].legend(fontsize=8)
plots.glue_figure("fig_theta_factor", fig)
mm = mis.groupby(["scenario", "theta_factor"])["accuracy_truth"].mean()
best_f = {k: float(mm.loc[n].idxmax()) for k, n in ablation.SCENARIOS.items() if n in mm.index.get_level_values(0)
          and mm.loc[n].size > 1}
plots.glue_numbers(**{f"{k}_best_factor": f for k, f in best_f.items()},
                   **{f"{k}_acc_f{str(f).replace('.', '_')}": float(mm.loc[(n, f)])
                      for k, n in ablation.SCENARIOS.items() for f in s.theta_factors if (n, f) in mm.index})

# %% [markdown]
# ```{glue:figure} fig_theta_factor
# :name: fig-theta-factor
#
# DDB trained with $\theta$ scaled by a factor, in S1 (where the true $\theta$ is known) and S2
# (relative to the fitted value): accuracy against the truth (left) and recall of true disks in
# the least resolved fifth (right), mean ± seed sd. Look at where each curve peaks: at 1 if the
# fitted $\theta$ is right, elsewhere if it is not; and at how fast it falls on either side.
# ```
#
# In S1 the accuracy peaks at a factor of {glue:text}`S1_best_factor:g` (at 1:
# {glue:text}`S1_acc_f1_0:.3f`; at 0.5: {glue:text}`S1_acc_f0_5:.3f`; at 2:
# {glue:text}`S1_acc_f2_0:.3f`); in S2 at {glue:text}`S2_best_factor:g` (at 1:
# {glue:text}`S2_acc_f1_0:.3f`). A factor of two either way {glue:text}`theta_word`. In principle
# too small a $\theta$ leaves the bias in (DDB tends to cross-entropy as $\theta \to 0$) and too
# large a one explains away real smooth labels and calls smooth galaxies disks.
#
# ## A better bias model
#
# Chapter 3's residuals show that the half-Gaussian does not follow the volunteers' error at low
# $\alpha$. A second parameter lets the curve's steepness vary:
# $b = \exp(-\tfrac12(\alpha/\theta)^k)$, $k = 2$ being the paper's. Both are fitted here by
# unbinned Bernoulli maximum likelihood on the training labels (`fit_bias_shape`; no bin count
# to choose; no free floor, which the class fractions cannot identify). On S2 the fit gives
# $\theta$ = {glue:text}`S2_ddb_shape_bias_theta:.2f` and $k$ = {glue:text}`S2_ddb_shape_bias_k:.2f`;
# on S1, whose labels are half-Gaussian, $k$ = {glue:text}`S1_ddb_shape_bias_k:.2f`. DDB with this
# shape (`ddb_shape` in Table 10.1) reaches {glue:text}`S2_acc_ddb_shape:.3f` ±
# {glue:text}`S2_acc_sd_ddb_shape:.3f` in S2, against {glue:text}`S2_acc_ddb:.3f` ±
# {glue:text}`S2_acc_sd_ddb:.3f` for the half-Gaussian: the extra parameter
# {glue:text}`shape_word` the paper's shape (paired by seed, two seed sds).
#
# ## Choosing the epoch without the truth

# %% tags=["hide-input"]
plots.table(ablation.selection_table(table), "Table 10.2. Accuracy against the truth (mean ± seed sd) and the "
            "mean epoch chosen (0 = after the first) by each label-only rule, for DDB and CE on GZ2B with θ as "
            "fitted: the lowest validation loss (the paper's), the lowest CV14 or CV18 of the validation "
            "predictions, the best predictive check of the label disk fraction per α bin, the last epoch, and "
            "an exponential moving average of the weights (EMA).", precision=3)

# %% [markdown]
# The rules pick different epochs only where the validation curves differ from epoch to epoch;
# the table shows how much truth accuracy each choice gains or loses against the paper's rule,
# next to the seed spread. The two bias-metric rules have a flaw that the table makes plain: a
# classifier that calls every galaxy the same class has CV14 = CV18 = 0, so they reward a
# network that has not yet learnt anything (the DDB epochs they pick in S2 call
# {glue:text}`S2_val_cv14_disk_fraction:.0%` and {glue:text}`S2_val_cv18_disk_fraction:.0%` of
# the galaxies disks). A low bias metric is necessary for de-biased labels, not sufficient. The
# moving average of the weights (EMA, over a span of {glue:text}`ema_span` epoch(s) of steps)
# needs no choice at all; for DDB on S2 it {glue:text}`ema_word` the paper's rule.
#
# ## Beyond the paper: training on degraded images
#
# The labels of well-resolved galaxies are reliable, and their images can be blurred to look like
# poorly resolved ones (`galbias.methods.degrade`: a Gaussian that brings the PSF to the target
# $\alpha$, computed from the catalog's PSF width and pixel scale, and noise added back to the
# level before the blur; the same transform applies to real JPEGs). `degrade` trains with
# cross-entropy on the resolved training galaxies (the top {glue:text}`resolved_pct:.0f`% in
# $\alpha$) and on copies of them degraded to the $\alpha$ of the others, with their own labels;
# `degrade+ddb` adds those copies, counted as resolved, to DDB on the whole training set.

# %% tags=["hide-input"]
rc = ablation.recall_curves(table, "S2")
fig, ax = plt.subplots(figsize=(6.4, 3.8))
xs = np.arange(1, 6)
for m in rc.index:
    ax.errorbar(xs, rc.loc[m, ("mean", slice(None))].to_numpy(float), yerr=rc.loc[m, ("sd", slice(None))].to_numpy(float),
                marker="o", capsize=2, label=m, color=plots.COLORS.get(m.replace("+ddb", "").replace("_shape", "")))
ax.set_xticks(xs, ["lowest", "2", "3", "4", "highest"])
ax.set_xlabel("α fifth of the scoring galaxies")
ax.set_ylabel("recall of true disks")
ax.set_ylim(0, 1.02)
ax.legend(fontsize=8)
plots.glue_figure("fig_ablation_recall", fig)
plots.glue_numbers(ema_span=s.ema_span_epochs, resolved_pct=100 * (1 - s.resolved_quantile))

# %% [markdown]
# ```{glue:figure} fig_ablation_recall
# :name: fig-ablation-recall
#
# Recall of true disks in five α ranges of the scoring galaxies, for the main methods on the
# realistic survey (S2; mean ± seed sd; the paper's stopping rule). Look at the left end, where
# the volunteers lose most disks: a method that recovers them rises there.
# ```
#
# ## Verdict: this survey against the paper
#
# - **Where it agrees.** When the labels follow the paper's model (S1), DDB
#   {glue:text}`S1_gain_word` cross-entropy on the same labels in accuracy against the truth
#   ({glue:text}`S1_ddb_minus_ce:+.3f` ± {glue:text}`S1_ddb_minus_ce_sd:.3f`; the ≥ 0.05 check
#   {glue:text}`s1_check_word`){glue:text}`S1_degenerate`.
# - **Where it does not.** With the simulated volunteers DDB
#   {glue:text}`S2_gain_word` cross-entropy on the realistic survey
#   ({glue:text}`S2_ddb_minus_ce:+.3f` ± {glue:text}`S2_ddb_minus_ce_sd:.3f`) and
#   {glue:text}`S3_gain_word` it on the idealised one ({glue:text}`S3_ddb_minus_ce:+.3f` ±
#   {glue:text}`S3_ddb_minus_ce_sd:.3f`): it {glue:text}`s2_vs_s1_word`.
# - **Why, as far as we know.** The simulated volunteers' labels depend on more than class and
#   $\alpha$ (how visible a disk's features are), their error is not a half-Gaussian of $\alpha$
#   (chapter 3), and on the realistic survey the fitted $\theta$ absorbs the intrinsic trend of the
#   class mix (chapter 4, Table 4.2). The paper could not see these effects: its data have no
#   truth.
# - **What to use.** On the realistic survey the most accurate method here is
#   **{glue:text}`S2_best`** ({glue:text}`S2_best_acc:.3f`), and the best network is
#   **{glue:text}`S2_best_cnn`** ({glue:text}`S2_best_cnn_acc:.3f`), which
#   {glue:text}`S2_cnn_vs_dcv14` DCV14 by {glue:text}`S2_best_cnn_minus_dcv14:+.3f` ±
#   {glue:text}`S2_best_cnn_minus_dcv14_sd:.3f` (paired by seed). None of these methods used the
#   truth; only their scores did. DCV14 works from Sérsic fits to the full survey images, which
#   this chapter's small networks do not see; chapter 5 (Table 5.2) sets it beside the full-size
#   networks. A user with real data has no truth to score with: the
#   simulation says which method to prefer *if* real volunteers behave like the simulated ones,
#   which chapter 2's FERENGI comparison shows they do only in part.
#
# ## Exercises
#
# ````{exercise} Only the paper's world
# :label: ex-10-s1
# Re-run the chapter with one scenario, `python -m galbias run --profile demo --only 10
# --set scenarios='["S1"]'`, after setting `n_seeds = 5` in its parameters cell (on the command
# line `n_seeds` would set the profile's seeds for every chapter, not this chapter's).
# Does the S1 check hold for every seed? How large is the seed spread compared with the gain?
# ````
#
# ````{solution} ex-10-s1
# :class: dropdown
# Each seed gives one paired difference DDB − CE; with five of them the mean and its spread are
# better determined. Where DDB's model is exactly right the gain should be positive for every
# seed; if one seed shows a one-class DDB (disk fraction near 0 or 1), the budget of epochs is
# too small for that seed — look at its `disk_fraction` in `ablation.csv`.
# ````
#
# ````{exercise} How wrong may θ be?
# :label: ex-10-theta
# Scan θ more finely: `--set theta_factors='[0.7, 0.85, 1.0, 1.2, 1.4]'` (with
# `--set scenarios='["S1", "S2"]'` to save time). Where does the accuracy peak in S2, and is
# the peak further from 1 than the seed spread allows?
# ````
#
# ````{solution} ex-10-theta
# :class: dropdown
# In S1 the peak should sit at a factor of 1, since the labels were drawn with that θ. In S2 a
# peak away from 1 means the fitted θ is not the best value for DDB on these labels — as
# expected when the fit absorbs the intrinsic trend of the class mix (chapter 4). Judge the
# shift against the error bars of Figure {numref}`fig-theta-factor`, not by eye.
# ````
#
# ````{exercise} A bias model of your own
# :label: ex-10-model
# `galbias.methods.losses` holds the DDB likelihood as a small function of tensors. Write a
# variant — for example a bias that also depends on the galaxy's colour — register it as a
# method in `galbias.results.ablation`, and compare it with `ddb` and `ddb_shape` in S2. Which
# information may your model use, and which would be cheating?
# ````
#
# ````{solution} ex-10-model
# :class: dropdown
# Anything the real data have — images, α, colours, sizes, the volunteers' vote fractions —
# may enter the bias model and be fitted from the labels; the simulated truth (`truth`,
# `is_disk`, the true bulge fraction) may not, not even to choose a hyper-parameter. The truth
# is used only to score, as everywhere in this chapter.
# ````
#
# ## Summary
#
# - Ground truth turns the paper's question "is the bias metric lower?" into "are the classes
#   right?", one change at a time.
# - Where its model is right (S1) DDB {glue:text}`S1_gain_word` cross-entropy; with the
#   simulated volunteers it {glue:text}`s2_vs_s1_word`.
# - A factor of two in $\theta$ {glue:text}`theta_word`; the two-parameter shape
#   {glue:text}`shape_word` the half-Gaussian; the selection rules and the degraded-image
#   training are measured against the same yardstick in Tables 10.1–10.2.
