# %% [markdown]
# # 4. Deep de-biasing: training networks on biased labels
#
# **Overview.** This is the paper's central experiment (§4.3, §5.1). Three networks with the
# same architecture, the same initial weights and the same data order are trained on the same
# images:
#
# 1. **CE on GZ2B** — ordinary cross-entropy on the original (biased) labels;
# 2. **CE on GZ2D** — cross-entropy on the redshift-debiased labels;
# 3. **DDB on GZ2B** — the original labels, but through the de-biasing likelihood with
#    $\theta$ from chapter 3.
#
# The question is whether the third network learns the *true* class even though it never sees a
# true label.
#
# **Prerequisites.** Chapter 1 (`labels.parquet`, the survey images) and chapter 3
# (`theta.json`). Code: `galbias.methods.losses` (the likelihood), `galbias.methods.models` (the networks),
# `galbias.data.cache` (the decode-once image cache and augmentation), `galbias.methods.train` (one training
# loop for all three runs).
#
# **Produces.** `models/{ce_gz2b,ce_gz2d,ddb}.pt` (best-validation weights) and
# `predictions.parquet` ($p(\text{disk})$ of each network for every validation and test galaxy).

# %% tags=["parameters"]
profile = "demo"
overrides = {}

# %% tags=["remove-cell"]
import numpy as np
import matplotlib.pyplot as plt

from galbias.compendium import config, plots, steps
from galbias.data.catalog import has_truth
from galbias.methods.models import build_model, count_parameters
from galbias.methods.train import select_device
from galbias.results import networks
from galbias.results.frames import evaluation_frame

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
labels = steps.load_labels(cfg)
theta = float(steps.load_theta(cfg)["theta"])
truth_known = has_truth(labels)
TITLES = {n.name: n.title for n in networks.NETWORKS}

# %% [markdown]
# ## The likelihood
#
# With $p_d = p(\text{disk}\mid x, w)$ the network's output and $b_i = b(\alpha_i;\theta)$ the
# probability that a disk at galaxy $i$'s resolution is labelled smooth, the probability of the
# label we observe is
#
# $$
# p(\tilde y_i = \text{disk} \mid x_i) = (1-b_i)\,p_d, \qquad
# p(\tilde y_i = \text{smooth} \mid x_i) = (1 - p_d) + b_i\,p_d ,
# $$
#
# and the loss is the mean negative logarithm of these. `galbias.methods.losses.ddb_nll` computes it in
# log space (with $\log p_d$ from a log-softmax, $\log b_i = -\alpha_i^2/2\theta^2$ exactly, and a
# stable $\log(1-b_i)$), so it stays finite when $b_i \to 0$ or $1$. With $b_i = 0$ it *is* the
# cross-entropy.
#
# **Why DDB learns from the well-resolved galaxies.** For a galaxy labelled smooth, the
# derivative of its log-likelihood with respect to $p_d$ is
# $-(1-b_i)/(1 - p_d + b_i p_d)$. When the galaxy is well resolved ($b_i \approx 0$) this is the
# usual push towards *smooth*. When it is poorly resolved ($b_i \to 1$) the derivative goes to
# zero: a smooth label at low $\alpha$ is exactly what a disk would also produce there, so it
# carries no information and the network is not pushed either way. Disk labels keep their full
# weight at every $\alpha$ (a disk label is never a mistake in this model). What the network
# learns about disks therefore comes from the disk labels and the smooth labels of resolved
# galaxies, and — because the same convolutional features must explain all images — it can
# carry that knowledge over to poorly resolved disks.

# %% tags=["remove-cell"]
device = select_device()
n_params = count_parameters(build_model(cfg))
cache = steps.image_cache(cfg, labels, progress=False)
n_train = int((labels["split"] == "train").sum())
plots.glue_numbers(theta=theta, n_params=n_params, n_train=n_train, n_val=int((labels["split"] == "val").sum()),
                   image_px=int(cache.shape[1]), epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                   device=str(device), model=cfg.model)

# %% [markdown]
# ## Training
#
# The network for this profile is the {glue:text}`model` network, with {glue:text}`n_params:,` parameters
# (the `paper` profile uses the paper's ResNet50 with a 1,024-unit dense layer; no pretrained
# weights are used, as none can be downloaded here and the paper does not state any). Each run
# trains for at most {glue:text}`epochs` epochs with AdamW (learning rate {glue:text}`lr`, batch
# {glue:text}`batch_size`, cosine schedule), random flips and 90° rotations as augmentation
# (galaxies have no preferred orientation), and early stopping on the validation loss, keeping
# the weights of the best epoch. The training set has {glue:text}`n_train:,` galaxies and the
# validation set {glue:text}`n_val:,`; everything runs on the {glue:text}`device` device. DDB uses
# $\theta$ = {glue:text}`theta:.2f` from `theta.json`.
#
# For DDB the validation loss is the DDB likelihood of the *biased* validation labels: those are
# the only labels there are in a real survey, and the likelihood is the right score for a model
# of how they were produced. Using accuracy against the biased labels would reward the network
# for re-learning the bias.

# %% tags=["remove-cell"]
results = networks.train_all(cfg, labels, theta, cache, p.root, reuse_from=[p.base] if p.base else [])
hist = {n: r.history_frame() for n, r in results.items()}
plots.glue_numbers(train_minutes=sum(r.seconds for r in results.values()) / 60,
                   **{f"best_epoch_{n}": r.best_epoch for n, r in results.items()},
                   **{f"epochs_{n}": r.epochs_run for n, r in results.items()})

fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
for ax, (name, h) in zip(axes, hist.items()):
    ax.plot(h["epoch"], h["train_loss"], "o-", ms=3, label="training")
    ax.plot(h["epoch"], h["val_loss"], "s-", ms=3, label="validation")
    ax.axvline(results[name].best_epoch, color="0.6", ls=":", lw=1)
    ax.set_title(TITLES[name])
    ax.set_xlabel("epoch")
axes[0].set_ylabel("loss")
axes[0].legend()
plots.glue_figure("fig_learning", fig)

# %% [markdown]
# ```{glue:figure} fig_learning
# :name: fig-learning
#
# Learning curves: mean training loss (with augmentation) and validation loss per epoch; the
# dotted line marks the epoch whose weights are kept. The DDB losses are not comparable in size
# with the cross-entropies (they score a different probability). Look for a validation curve
# that turns upward — over-fitting — before the end.
# ```
#
# Training the three networks took {glue:text}`train_minutes:.1f` minutes in this run (a
# finished model is reused when its settings and inputs have not changed).
#
# ## How well do they classify?
#
# The paper (Table 1) scores each network against the labels it was trained on. On the
# simulated survey we can also score them against the truth.

# %% tags=["remove-cell"]
pred = steps.load_predictions(cfg, labels)
test = evaluation_frame(labels, pred, splits="test")
metrics = networks.metrics_table(test)
plots.glue_numbers(**{f"acc_truth_{n.name}": metrics.loc[n.title, "accuracy (truth)"] for n in networks.NETWORKS},
                   true_disk_frac_test=float((test["truth"] == 1).mean()) if truth_known else np.nan,
                   gz2b_disk_frac_test=float((test["gz2b"] == 1).mean()))

# %% tags=["remove-input"]
plots.table(metrics, "Table 4.1. Test-set classification (disk = positive class) of each network against the "
            "labels it was trained on (as the paper's Table 1) and, on the simulated survey, against the truth; "
            "the last column is the fraction of test galaxies each network calls disk.", precision=3)

# %% [markdown]
# Against the truth, the accuracies are {glue:text}`acc_truth_ce_gz2b:.3f` (CE on GZ2B),
# {glue:text}`acc_truth_ce_gz2d:.3f` (CE on GZ2D) and {glue:text}`acc_truth_ddb:.3f` (DDB). The
# test set is balanced on GZ2B ({glue:text}`gz2b_disk_frac_test:.1%` GZ2B disks), but
# {glue:text}`true_disk_frac_test:.1%` of its galaxies are true disks: a network that reproduces
# GZ2B faithfully must get those extra disks wrong.
#
# ## Where do the networks disagree? Predicted disk fraction against resolution

# %% tags=["remove-cell"]
both = evaluation_frame(labels, pred, splits=("val", "test"))
series, names = networks.disk_series(both)
fig, ax = plt.subplots(figsize=(6.6, 4.2))
plots.plot_fraction_vs_alpha(ax, both["alpha"].to_numpy(), series, n_bins=10, labels=names)
ax.set_ylabel("fraction classified disk")
ax.set_ylim(0, 1)
ax.legend(fontsize=8)
plots.glue_figure("fig_disk_vs_alpha", fig)
plots.glue_numbers(**networks.low_alpha_fractions(both["alpha"].to_numpy(), series))

# %% [markdown]
# ```{glue:figure} fig_disk_vs_alpha
# :name: fig-disk-vs-alpha
#
# Fraction of validation and test galaxies classified as disk, in equal-count bins of $\alpha$,
# by the GZ2B labels, the three networks and (simulated survey) the truth. Look at the left,
# poorly resolved end: a network that inherited the label bias follows the GZ2B curve down;
# a de-biased one should stay closer to the truth.
# ```
#
# Among the least resolved fifth of these galaxies ($\alpha$ < {glue:text}`alpha_q20:.1f`), the
# fraction called disk is {glue:text}`lo_disk_gz2b:.1%` by the GZ2B labels,
# {glue:text}`lo_disk_ce_gz2b:.1%` by CE on GZ2B, {glue:text}`lo_disk_ce_gz2d:.1%` by CE on GZ2D and
# {glue:text}`lo_disk_ddb:.1%` by DDB; the truth is {glue:text}`lo_disk_truth:.1%` (`nan` for
# real data).
#
# ## Why DDB does not reach the truth here
#
# On the simulated survey we can watch, epoch by epoch, how close each network is to the truth
# on the validation set — a number the training never uses.

# %% tags=["remove-cell"]
plots.glue_numbers(**networks.truth_by_epoch(hist["ddb"], results["ddb"].best_epoch))
fig, ax = plt.subplots(figsize=(6.0, 3.4))
if truth_known:
    for name in results:
        ax.plot(hist[name]["epoch"], hist[name]["val_acc_truth"], "o-", ms=3, color=plots.COLORS[name],
                label=TITLES[name])
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy against the truth")
    ax.legend(fontsize=8)
else:
    ax.text(0.5, 0.5, "no truth for real data", ha="center", va="center")
    ax.axis("off")
plots.glue_figure("fig_truth_by_epoch", fig)

# %% [markdown]
# ```{glue:figure} fig_truth_by_epoch
# :name: fig-truth-by-epoch
#
# Validation accuracy against the true classes after each epoch (simulated survey only; not
# used for training or early stopping). Look at the DDB curve: whether it keeps rising or peaks
# early and then drifts towards the cross-entropy curves.
# ```
#
# DDB's accuracy against the truth peaks at {glue:text}`ddb_peak_acc:.3f` after epoch
# {glue:text}`ddb_peak_epoch`; the weights kept by early stopping (best DDB validation loss) reach
# {glue:text}`ddb_kept_acc:.3f`. Two causes are visible in earlier chapters. First, the simulated
# volunteers' bias is not exactly a half-Gaussian (the residuals of chapter 3 rise at low
# $\alpha$, and a few percent of resolved disks are voted smooth): where the fitted model
# underestimates $b$, smooth labels of poorly resolved disks still pull the network towards
# *smooth*, and with more epochs a flexible network learns to follow them. Second, the stopping
# rule can only use the biased labels, so nothing in the training tells it when it is closest to
# the truth. The DDB loss is right only as far as the bias model is; on real data, where the
# truth is unknown, this gap cannot be seen, which is a reason to check the bias model's residuals
# before trusting a de-biased network.
#
# ## Summary
#
# - The same network, data and initial weights give three different classifiers depending only
#   on the labels and the loss. Table 4.1 and the last figure show how much of the label bias
#   each network inherits and, on the simulated survey, how close each gets to the truth.
# - DDB changes only the loss: smooth labels of poorly resolved galaxies stop pulling the network
#   towards *smooth*, while disk labels and well-resolved smooth labels keep full weight.
# - Chapter 5 measures the bias of every label set and network with the paper's metric (CV18).
