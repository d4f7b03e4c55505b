# %% [markdown]
# # 5. Measuring the bias: the paper's Table 1
#
# **Overview.** How biased is a set of labels, and does a network trained on them inherit the
# bias? The paper answers with one number per label set, the CV18 metric of
# {cite:t}`CabreraVives2018`, measured on the test split (§5.3–5.4.1, Table 1). This chapter
# builds the same table for this run: the two sets of volunteer labels (a: GZ2B, b: GZ2D), the
# two networks trained with cross-entropy on them (c, d), the DCV14 baseline (e) and the
# de-biasing network DDB (f). On the simulated survey we add what the paper could not have: the
# true classes as a seventh row, whose CV18 is the value of labels without any resolution bias,
# and the accuracy of every row against the truth.
#
# **Prerequisites.** Chapter 1 (`labels.parquet`), chapter 3 (`dcv14_predictions.parquet`) and
# chapter 4 (`predictions.parquet`). Code: `galbias.methods.metrics` (CV18, CV14, classification
# metrics) and `galbias.results.table1` (the table, the noise floor, this chapter's numbers).
#
# **Produces.** `table1.csv` (one row per data set or method: `row`, `method`, `cv18`,
# `cv18_std`, `cv14`, `accuracy`, `precision`, `recall`, `f1`, `accuracy_truth`, and `n`,
# `cv18_full`, `scored_against`) with a manifest.

# %% tags=["parameters"]
profile = "demo"
overrides = {}
n_alpha_bins = 8  # equal-count alpha bins in the disk-fraction figure
n_null = 50  # random permutations of the labels for the CV18 noise floor

# %% tags=["remove-cell"]
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from galbias.compendium import config, plots, steps
from galbias.data.catalog import has_truth
from galbias.results import table1

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
labels = steps.load_labels(cfg)
pred = steps.load_predictions(cfg, labels)
dc = steps.load_dcv14(cfg)
frame = table1.label_frame(labels, pred, dc, split="test")
truth_known = has_truth(labels)
alpha = frame["alpha"].to_numpy(dtype=float)
ours = "simulated survey (this run)" if truth_known else "real GZ2 (this run)"
plots.glue_numbers(**table1.settings_numbers(len(frame), cfg))

# %% [markdown]
# ## How the bias is measured
#
# CV18 asks whether the class fractions change with resolution $\alpha$ *among galaxies that
# are intrinsically alike*. The test galaxies are split by a k-d tree of depth
# $L$ = {glue:text}`L` over three intrinsic properties — physical Petrosian radius, absolute
# magnitude and redshift — into {glue:text}`n_cells` cells of equal size; each cell is cut
# into $B$ = {glue:text}`B` equal-count bins of $\alpha$, and the class fractions of every bin
# are compared with those of the cell's best-resolved bin:
#
# $$
# \mathrm{CV18} = \sqrt{\frac{1}{N_K\,2^L}\sum_{k,q}\frac{1}{B}\sum_{l}
#   \left(f_{l,k,q} - f_{\mathrm{ref},k,q}\right)^2 } .
# $$
#
# The quoted value is the mean over {glue:text}`n_boot` bootstrap resamples of the test set, and
# the ± is their standard deviation, as in the paper (the docstring of `galbias.methods.metrics` has the
# details). CV14 is the same deviation without the intrinsic cells, in
# {glue:text}`cv14_bins` bins of $\alpha$.
#
# **CV18 is not zero for unbiased labels.** Each bin holds only about
# {glue:text}`per_bin:.0f` of the {glue:text}`n_test:,` test galaxies here, so even labels that
# have nothing to do with $\alpha$ show bin-to-bin scatter in their fractions, and CV18 counts
# that scatter as bias. We measure this *noise floor* directly: the GZ2B labels are shuffled at
# random (which keeps their class mix but removes any link with $\alpha$ or the intrinsic
# properties) and CV18 is computed for each of the shuffles.

# %% tags=["remove-cell"]
null, floor = table1.noise_floor(frame, cfg, n_null)
plots.glue_numbers(**floor)

# %% [markdown]
# Over {glue:text}`n_null` shuffles the noise floor is CV18 = {glue:text}`null_mean:.3f` ±
# {glue:text}`null_std:.3f` (95th percentile {glue:text}`null_p95:.3f`). A simple binomial
# estimate (`galbias.results.table1.cv18_floor`: $\sqrt{2\cdot 2\,\frac{B-1}{B}\,\frac{p(1-p)}{m}}$ for $m$
# galaxies per bin, the extra factor 2 coming from the bootstrap) gives
# {glue:text}`floor_formula:.3f`. For the paper's {glue:text}`paper_n_test:,` test galaxies
# with what appear to be its settings ($B$ = {glue:text}`paper_B`, $L$ = {glue:text}`paper_L`,
# about {glue:text}`paper_per_bin:.0f` galaxies per bin) the same estimate is
# {glue:text}`paper_floor:.3f`: part of every CV18 value in the paper is this noise too.
#
# ## Table 1

# %% tags=["remove-cell"]
tab = table1.build_table1(labels, pred, dc, cfg, frame=frame)
table1.write_table1(p.artifact("table1.csv"), tab, cfg,
                    {"labels": p.find("labels.parquet"), "predictions": p.find("predictions.parquet"),
                     "dcv14_predictions": p.find("dcv14_predictions.parquet")})
plots.glue_numbers(**table1.row_numbers(tab))

# %% tags=["remove-input"]
plots.table(table1.display_table(tab, ours),
            "Table 5.1. CV18 (bootstrap mean ± standard deviation) and CV14 on the test split, and "
            "classification metrics (disk = positive class) of each trained method against the labels it "
            f"was trained on (\"scored against\"), for this run ({ours.split(' (')[0]}, left) beside the paper's "
            "Table 1 for the real GZ2 data (right; the paper reports classification metrics for c and d "
            "only). n is the number of test galaxies with a label (DCV14 has none without a Sérsic fit). "
            "The last row, the true classes, exists only for the simulated survey; \"accuracy vs truth\" "
            "scores every row against it. The two halves are different data sets: compare the pattern "
            "down the columns, not the values across.", precision=3)

# %% [markdown]
# The volunteers' labels have CV18 = {glue:text}`cv18_a:.3f` ± {glue:text}`cv18_std_a:.3f`
# (GZ2B) and {glue:text}`cv18_b:.3f` ± {glue:text}`cv18_std_b:.3f` (GZ2D); the paper found
# {glue:text}`paper_cv18_a:.4f` and {glue:text}`paper_cv18_b:.4f` on real GZ2. The networks
# trained with cross-entropy reach {glue:text}`cv18_c:.3f` on GZ2B and {glue:text}`cv18_d:.3f`
# on GZ2D (paper: {glue:text}`paper_cv18_c:.4f` and {glue:text}`paper_cv18_d:.4f`), DCV14
# {glue:text}`cv18_e:.3f` (paper {glue:text}`paper_cv18_e:.4f`) and DDB
# {glue:text}`cv18_f:.3f` (paper {glue:text}`paper_cv18_f:.4f`).
#
# The true classes of the simulated survey have CV18 = {glue:text}`cv18_truth:.3f` ±
# {glue:text}`cv18_std_truth:.3f` (`nan` for real data), to compare with the shuffled-label
# floor of {glue:text}`null_mean:.3f`. The truth can sit above that floor: true class fractions
# may still change with $\alpha$ inside a cell, because $\alpha$ is tied to physical size and
# the cells are coarse. Either way, **the truth row, not zero, is the value a perfectly
# de-biased classifier would reach on this test set**.
#
# Accuracy against the truth is {glue:text}`accuracy_truth_a:.3f` for the GZ2B labels
# themselves, {glue:text}`accuracy_truth_c:.3f` for CE on GZ2B, {glue:text}`accuracy_truth_e:.3f`
# for DCV14 and {glue:text}`accuracy_truth_f:.3f` for DDB. Scored the paper's way, against its
# own training labels, CE on GZ2B reaches an accuracy of {glue:text}`acc_c:.3f` and CE on GZ2D
# {glue:text}`acc_d:.3f` (paper: {glue:text}`paper_acc_c:.3f` and {glue:text}`paper_acc_d:.3f`).
#
# ## Where the bias sits: disk fraction against resolution

# %% tags=["remove-cell"]
fig, axes = plt.subplots(1, 2, figsize=(11, 4.0), sharey=True)
panels = [["gz2b", "gz2d", "truth"], ["ce_gz2b", "ce_gz2d", "dcv14", "ddb", "truth"]]
for ax, keys in zip(axes, panels):
    for k in keys:
        y = frame[k]
        ok = y.notna().to_numpy()
        if ok.any():
            plots.plot_fraction_vs_alpha(ax, alpha[ok], {k: y[ok].to_numpy(dtype=int) == 1}, n_bins=n_alpha_bins,
                                         labels=table1.LABEL_NAMES)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
axes[0].set_ylabel("fraction disk (test split)")
axes[0].set_title("labels")
axes[1].set_title("trained methods")
plots.glue_figure("fig_t1_disk_vs_alpha", fig)
plots.glue_numbers(**table1.end_bin_fractions(frame, n_alpha_bins))

# %% [markdown]
# ```{glue:figure} fig_t1_disk_vs_alpha
# :name: fig-t1-disk-vs-alpha
#
# Fraction of the test galaxies labelled (left) or classified (right) as disk, in
# equal-count bins of $\alpha$, with binomial error bars; the black curve is the truth of the
# simulated survey in both panels. CV18 measures how far each curve departs from its value in
# the best-resolved bin, within cells of similar galaxies. Look at the left end of each panel:
# a biased label set or method falls away from the truth as the resolution worsens; a
# de-biased one stays level with it.
# ```
#
# In the least resolved of the {glue:text}`n_alpha_bins` bins, the disk fraction is
# {glue:text}`lo_gz2b:.1%` for GZ2B, {glue:text}`lo_gz2d:.1%` for GZ2D,
# {glue:text}`lo_ce_gz2b:.1%` for CE on GZ2B, {glue:text}`lo_dcv14:.1%` for DCV14 and
# {glue:text}`lo_ddb:.1%` for DDB, against {glue:text}`lo_truth:.1%` for the truth; in the best
# resolved bin the same numbers are {glue:text}`hi_gz2b:.1%`, {glue:text}`hi_gz2d:.1%`,
# {glue:text}`hi_ce_gz2b:.1%`, {glue:text}`hi_dcv14:.1%`, {glue:text}`hi_ddb:.1%` and
# {glue:text}`hi_truth:.1%`.
#
# ## Comparison with the paper

# %% tags=["remove-cell"]
plots.glue_numbers(**table1.comparison_numbers(tab, frame, float(null.mean()), floor["paper_floor"], cfg))

T, paper = tab.set_index("row"), table1.paper_table1()
fig, ax = plt.subplots(figsize=(7.0, 3.8))
rows = [r for r in table1.ROW_KEY if r in T.index]
ypos = np.arange(len(rows))[::-1]
for yp, r in zip(ypos, rows):
    c = plots.COLORS[table1.ROW_KEY[r]]
    ax.errorbar(T.loc[r, "cv18"], yp + 0.12, xerr=T.loc[r, "cv18_std"], fmt="o", color=c, capsize=2)
    if r in paper.index:
        ax.errorbar(paper.loc[r, "cv18"], yp - 0.12, xerr=paper.loc[r, "cv18_std"], fmt="s", mfc="white", color=c,
                    capsize=2)
ax.axvspan(float(np.quantile(null, 0.05)), float(np.quantile(null, 0.95)), color="0.85", zorder=0)
ax.axvline(floor["paper_floor"], color="0.5", ls=":", lw=1)
ax.set_yticks(ypos)
ax.set_yticklabels([table1.LABEL_NAMES[table1.ROW_KEY[r]] for r in rows])
ax.set_xlabel("CV18 (test split)")
ax.set_xlim(left=0)
handles = [Line2D([], [], marker="o", color="0.3", ls="", label=ours),
           Line2D([], [], marker="s", mfc="white", color="0.3", ls="", label="paper (real GZ2)"),
           Patch(color="0.85", label="shuffled labels, this run (5–95%)"),
           Line2D([], [], color="0.5", ls=":", label="approx. noise floor, paper's sample")]
ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.45, -0.2), ncol=2)
plots.glue_figure("fig_t1_cv18", fig)

# %% [markdown]
# ```{glue:figure} fig_t1_cv18
# :name: fig-t1-cv18
#
# CV18 of every row, this run (filled circles) and the paper (open squares, real GZ2), with the
# bootstrap standard deviations. The grey band is the range of CV18 for randomly shuffled labels
# in this run — labels with no resolution bias at all — and the dotted line the approximate
# floor at the paper's sample size. Look at where each row sits relative to the band: only the
# distance above it is bias; and compare the *order* of the rows with the paper's rather than
# the values, which belong to different data sets.
# ```
#
# Ordered from least to most biased, the rows of this run are {glue:text}`order_ours`; the
# paper's are {glue:text}`order_paper` — {glue:text}`same_order` ours. DDB's CV18 is
# {glue:text}`rel_ours:.2f` times that of the GZ2B labels it was trained on (paper:
# {glue:text}`rel_paper:.2f`). Removing the noise floor in quadrature
# (`galbias.results.table1.above_floor`, a rough correction) leaves {glue:text}`above_a:.3f` for GZ2B
# and {glue:text}`above_f:.3f` for DDB in this run ({glue:text}`above_truth:.3f` for the truth),
# and {glue:text}`paper_above_a:.3f` and {glue:text}`paper_above_f:.3f` for the paper's values
# with its estimated floor.
#
# **Differences between rows.** All rows are measured on the same test galaxies and the same
# bootstrap resamples, so their bootstrap values move together and a difference is better judged
# from the paired resamples (`galbias.results.table1.paired_difference`) than from the two ± combined.
# Paired, DDB − GZ2B = {glue:text}`d_fa:+.3f` ± {glue:text}`d_fa_std:.3f`, DCV14 − GZ2B =
# {glue:text}`d_ea:+.3f` ± {glue:text}`d_ea_std:.3f`, and DDB − truth = {glue:text}`d_ft:+.3f` ±
# {glue:text}`d_ft_std:.3f` (`nan` for real data). The paper's DDB − GZ2B is
# {glue:text}`paper_d_fa:+.4f`, with ± {glue:text}`paper_d_fa_std:.4f` if its two errors are
# combined as independent (the paper gives no paired error).
#
# ## Summary
#
# - Table 5.1 reproduces the paper's Table 1 on a simulated survey whose true classes are known:
#   GZ2B {glue:text}`cv18_a:.3f`, GZ2D {glue:text}`cv18_b:.3f`, CE on GZ2B {glue:text}`cv18_c:.3f`,
#   CE on GZ2D {glue:text}`cv18_d:.3f`, DCV14 {glue:text}`cv18_e:.3f`, DDB {glue:text}`cv18_f:.3f`
#   (paper, real GZ2: {glue:text}`paper_cv18_a:.4f`, {glue:text}`paper_cv18_b:.4f`,
#   {glue:text}`paper_cv18_c:.4f`, {glue:text}`paper_cv18_d:.4f`, {glue:text}`paper_cv18_e:.4f`,
#   {glue:text}`paper_cv18_f:.4f`). The ranking of the rows is {glue:text}`same_order` the paper's.
# - CV18 has a noise floor set by the number of galaxies per bin: shuffled labels give
#   {glue:text}`null_mean:.3f` and the true classes {glue:text}`cv18_truth:.3f` at this run's
#   {glue:text}`per_bin:.0f` galaxies per bin, against {glue:text}`cv18_a:.3f` for GZ2B; at the
#   paper's sample size the floor is still about {glue:text}`paper_floor:.3f`. Only the part of
#   a CV18 value above the floor is bias, and differences between rows are best judged from
#   paired bootstrap resamples (DDB − GZ2B = {glue:text}`d_fa:+.3f` ± {glue:text}`d_fa_std:.3f`
#   here).
# - The accuracy against the truth (last column) says directly what CV18 can only say
#   indirectly: how many test galaxies each label set or method gets right. Chapter 6 checks the
#   labels against the galaxies' light profiles instead, as the paper did for real data.
