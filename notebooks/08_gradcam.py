# %% [markdown]
# # 8. Where do the networks look? GradCAM
#
# **Overview.** The three networks of chapter 4 share an architecture and differ only in their
# labels and loss. Do they also differ in *what* in the image they use? The paper (§5.4.4,
# Figs 12–14) answers with GradCAM {cite:p}`Selvaraju2017`: for each galaxy, the feature maps of
# the last convolutional block are weighted by how much the score of a class changes with them,
# which gives a coarse map of the regions that speak for that class. Averaged over all test
# galaxies a network predicts to be disks (or smooth), these maps showed the paper's
# cross-entropy networks concentrating on the bulge, and DDB spreading its attention over the
# whole galaxy. This chapter computes the same maps for our three networks and measures how
# extended they are.
#
# **Prerequisites.** Chapter 1 (`labels.parquet` and the image cache) and chapter 4
# (`models/*.pt`, `predictions.parquet`). Code: `galbias.methods.gradcam` (GradCAM with the
# `pytorch-grad-cam` library, placing the map cells), `galbias.methods.models.target_layer` (the
# explained layer) and `galbias.results.gradcam` (averages, radial profiles, summaries).
#
# **Produces.** `gradcam/<network>_maps.npy` (one float16 map per test galaxy, in the order of
# the test rows of `labels.parquet`, with a manifest) and `gradcam/<network>_mean_disk.npy`,
# `gradcam/<network>_mean_smooth.npy` (the class averages).

# %% tags=["parameters"]
profile = "demo"
overrides = {}
batch_size = 64       # images per GradCAM pass
n_radial_bins = 12    # annuli of the radial profiles
n_examples = 6        # changed galaxies shown with their individual maps

# %% tags=["remove-cell"]
import time

import numpy as np
import matplotlib.pyplot as plt

from galbias.compendium import config, plots, steps
from galbias.methods import gradcam as gcam
from galbias.methods.models import load_model, paper_resnet50
from galbias.methods.train import select_device
from galbias.results import gradcam
from galbias.results.frames import evaluation_frame
from galbias.results.networks import NETWORKS

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
labels = steps.load_labels(cfg)
test = evaluation_frame(labels, steps.load_predictions(cfg, labels), splits="test")
cache = steps.image_cache(cfg, labels, progress=False)
rows = cache.rows(test["id"].to_numpy())
device = select_device()

# %% [markdown]
# ## The maps
#
# For every test galaxy and every network, the target of GradCAM is the class the network
# *predicts* for that galaxy (the larger of its two logits), as in the paper. The explained
# layer is the last convolutional block, whose output is only {glue:text}`feat_px` pixels across
# for these {glue:text}`image_px`-pixel images, so the maps are coarse: each is that grid of
# weights, upsampled bilinearly to the image and scaled to run from 0 to 1 *for each galaxy*
# (`pytorch-grad-cam`'s convention, so the maps show where a network looks, not how strongly).
# The images go in exactly as in training and prediction (pixel / 255, no augmentation).
#
# **Where a cell of the map belongs.** `pytorch-grad-cam` upsamples with an image resize that
# treats each cell of the coarse map as the centre of a block of pixels. With zero-padded,
# stride-2 convolutions (ours and ResNet50's) a cell is in fact centred
# {glue:text}`lib_offset_px:.1f` pixels further up and to the left than that, so the library's
# maps are all shifted down and to the right — a centred blob becomes an off-centre one, and a
# ring in a radial profile. We therefore take the library's maps at the layer's own resolution
# and place each cell at the centre of its receptive field (every {glue:text}`rf_stride:.0f`
# pixels) before upsampling (`galbias.methods.gradcam.upsample_aligned`). For the paper's
# ResNet50 on {glue:text}`paper_crop_px`-pixel crops the same shift is
# {glue:text}`paper_lib_offset_px:g` pixels; the paper does not say how its maps were upsampled.

# %% tags=["remove-cell"]
maps, targets, secs = {}, {}, {}
gdir = p.artifact("gradcam")
for net in NETWORKS:
    model_path = steps.model_file(cfg, net.name, labels)
    model, _ = load_model(model_path, map_location=device)
    targets[net.name] = gradcam.predicted_class(test, net.name)
    t0 = time.perf_counter()
    maps[net.name] = gcam.write_gradcam(gdir / f"{net.name}_maps.npy", model, cache.images, targets[net.name],
                                        test["id"].to_numpy(), rows=rows, model_path=model_path,
                                        cache_fingerprint=cache.fingerprint, batch_size=batch_size, device=device)
    secs[net.name] = time.perf_counter() - t0
results = gradcam.class_maps(maps, targets, n_radial_bins)
gradcam.write_means(gdir, results)
paper_px = config.get_profile("paper").image_crop
plots.glue_numbers(**gradcam.geometry_numbers(model, cache.image_shape), n_test=len(test),
                   gradcam_seconds=sum(secs.values()), device=str(device), paper_crop_px=paper_px,
                   paper_lib_offset_px=gcam.library_offset(paper_resnet50(), (paper_px, paper_px)),
                   **gradcam.spread_numbers(results))

# %% [markdown]
# The {glue:text}`n_test:,` test galaxies were explained for each network in
# {glue:text}`gradcam_seconds:.0f` s in all on the {glue:text}`device` device (a finished set of
# maps is reused while the network, the images and the targets are unchanged).
#
# ## Average maps by predicted class

# %% tags=["remove-cell"]
radii = gradcam.light_radii(test, cfg.image_fov_r90, cfg.image_size, cfg.image_crop)
circles = ((radii["r50_frac"], ":"), (radii["r90_frac"], "--"))
half = cache.image_shape[0] / 2
vmax = np.nanmax([np.nanmax(r.mean) for r in results.values() if np.isfinite(r.mean).any()] or [1.0])
fig, axes = plt.subplots(2, len(NETWORKS), figsize=(3.2 * len(NETWORKS), 6.6), squeeze=False)
for j, net in enumerate(NETWORKS):
    for i, cls in enumerate(gradcam.CLASSES.values()):
        r, ax = results[net.name, cls], axes[i, j]
        im = ax.imshow(r.mean, origin="upper", cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest")
        for rf, ls in circles:
            if np.isfinite(rf):
                ax.add_patch(plt.Circle((half - 0.5,) * 2, rf * half, fill=False, color="white", lw=0.9, ls=ls))
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
        ax.set_title(f"{net.title}\npredicted {cls} (n = {r.summary.n})", fontsize=9)
fig.colorbar(im, ax=axes, shrink=0.7, label="mean GradCAM intensity")
plots.glue_figure("fig_mean_maps", fig)

# %% [markdown]
# ```{glue:figure} fig_mean_maps
# :name: fig-mean-maps
#
# Average GradCAM map of each network (columns) over the test galaxies it predicts to be disks
# (top row, the paper's Fig. 12) and smooth (bottom row, Fig. 13), on one colour scale. The
# dotted circle has the median half-light radius ($R_{50}$) of the test galaxies and the dashed
# circle their $R_{90}$ (every image spans the same multiple of $R_{90}$, so $R_{90}$ falls at the
# same place in all of them and $R_{50}$ moves only with the concentration). Compare the
# columns: a bright spot confined to the dotted circle means the network decides from the
# bulge; brightness out to the dashed circle and beyond means it uses the disk as well.
# ```
#
# ## Intensity against distance from the centre

# %% tags=["remove-cell"]
light_prof, light_mr = gradcam.light_profile(cache.images, rows, n_radial_bins)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
for ax, cls in zip(axes, gradcam.CLASSES.values()):
    for net in NETWORKS:
        prof = results[net.name, cls].profile
        ax.plot(prof["r_frac"], prof["mean"], "o-", ms=3.5, color=plots.COLORS[net.name], label=net.title)
    ax.plot(light_prof["r_frac"], light_prof["mean"] / np.nanmax(light_prof["mean"]) * vmax, color="0.55",
            ls="--", lw=1, label="mean image brightness (scaled)")
    for rf, ls in circles:
        if np.isfinite(rf):
            ax.axvline(rf, color="0.4", ls=ls, lw=0.8)
    ax.set(xlabel="distance from the image centre / half the image width", title=f"predicted {cls}", xlim=(0, 1))
axes[0].set_ylabel("mean GradCAM intensity")
axes[0].legend(fontsize=8)
plots.glue_figure("fig_radial", fig)
plots.glue_numbers(**radii, light_mean_radius=light_mr)

# %% [markdown]
# ```{glue:figure} fig_radial
# :name: fig-radial
#
# Mean intensity of the average maps of {numref}`fig-mean-maps` in annuli about the image
# centre (the paper's Fig. 14), out to the edge of the image (the corners are left out). The
# dotted and dashed vertical lines mark the median $R_{50}$ and $R_{90}$; the grey dashed curve
# is the mean brightness of the test images (sky subtracted), scaled to the plot, to show where
# the light is.
# Look at how fast each curve falls: a steep fall inside $R_{50}$ is a bulge-centred map, a
# flat or rising curve a map spread over the galaxy.
# ```

# %% tags=["remove-input"]
plots.table(gradcam.spread_table(results), "Table 8.1. Extent of the GradCAM maps: the intensity-weighted mean distance from the centre "
            "(in units of half the image width; 0 = all at the centre, 0.67 = uniform over the image's inscribed "
            "circle) of the average map and, averaged over galaxies, of the individual maps (with its standard "
            "error); the radius of the brightest annulus of the average map; and the number of galaxies whose map "
            "is zero everywhere (every weighted feature map negative).", precision=3)

# %% [markdown]
# In units of half the image width, the median half-light radius of the test galaxies lies at
# {glue:text}`r50_frac:.2f` and $R_{90}$ at {glue:text}`r90_frac:.2f`; the intensity-weighted
# mean radius of the mean (sky-subtracted) image is {glue:text}`light_mean_radius:.2f`, the
# value a map that simply followed the light would have.
#
# For the galaxies each network predicts to be **disks**, the per-galaxy mean radius of the maps
# is {glue:text}`mr_disk_ce_gz2b:.3f` for CE on GZ2B, {glue:text}`mr_disk_ce_gz2d:.3f` for CE on
# GZ2D and {glue:text}`mr_disk_ddb:.3f` for DDB: DDB's maps are
# {glue:text}`cmp_disk_ce_gz2b` those of CE on GZ2B and {glue:text}`cmp_disk_ce_gz2d` those of CE
# on GZ2D (a difference counts when it exceeds twice its standard error). For the galaxies
# predicted **smooth** the mean radii are {glue:text}`mr_smooth_ce_gz2b:.3f`,
# {glue:text}`mr_smooth_ce_gz2d:.3f` and {glue:text}`mr_smooth_ddb:.3f`: DDB's maps are
# {glue:text}`cmp_smooth_ce_gz2b` CE on GZ2B's and {glue:text}`cmp_smooth_ce_gz2d` CE on GZ2D's.
# The brightest annulus of DDB's average disk map is at {glue:text}`peak_disk_ddb:.2f`, against
# {glue:text}`peak_disk_ce_gz2b:.2f` and {glue:text}`peak_disk_ce_gz2d:.2f` for the two
# cross-entropy networks.
#
# ## Individual galaxies that DDB changed

# %% tags=["remove-cell"]
pick = gradcam.changed_examples(test, n_examples, cfg.seed)
if len(pick):
    tiles, titles, row_names = gradcam.example_tiles(cache.images, rows, test, maps, targets, pick)
    fig = plots.image_grid(tiles, titles, ncols=len(pick), size=1.6, row_labels=row_names)
else:
    fig, ax = plt.subplots(figsize=(6.4, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, "DDB changed no test galaxy from smooth to disk", ha="center", va="center", fontsize=9)
plots.glue_figure("fig_examples_cam", fig)

# %% [markdown]
# ```{glue:figure} fig_examples_cam
# :name: fig-examples-cam
#
# A random handful of the test galaxies that are smooth in GZ2B and disk for DDB (chapter 7),
# with $\alpha$ and, on the simulated survey, the true class. Below each survey image are the
# GradCAM maps (red = high, blue = low) of CE on GZ2B and of DDB, each for the class that
# network predicts (given with its $p(\text{disk})$). Look at whether DDB's evidence for *disk*
# lies in the outer parts of the galaxy, where faint arms would be, or in the centre.
# ```
#
# ## Summary
#
# - GradCAM maps were computed for every test galaxy and each of the three networks, on the last
#   convolutional block with the predicted class as target, as in the paper; here that block is
#   {glue:text}`feat_px` × {glue:text}`feat_px` pixels, so the maps resolve little more than
#   "centre" against "outskirts".
# - The paper found the cross-entropy networks focused on the bulge and DDB spread over the whole
#   galaxy, for both classes. In our run DDB's disk maps are {glue:text}`cmp_disk_ce_gz2b` CE on
#   GZ2B's and {glue:text}`cmp_disk_ce_gz2d` CE on GZ2D's ({glue:text}`agree_disk`); its smooth
#   maps are {glue:text}`cmp_smooth_ce_gz2b` CE on GZ2B's and {glue:text}`cmp_smooth_ce_gz2d` CE
#   on GZ2D's ({glue:text}`agree_smooth`; Table 8.1).
# - Average GradCAM maps are a weak test of what a network has learnt: they mix galaxies of all
#   sizes, orientations and resolutions, each map is normalised on its own, and at this
#   resolution they can only separate the centre from the outskirts. Even the placement of the
#   coarse cells matters: upsampled the library's way, every map here would move by
#   {glue:text}`lib_offset_px:.1f` pixels, a sizeable fraction of a galaxy's half-light radius.
# - The paper's reading of the maps — that DDB picks up faint disk features that volunteers miss
#   — is an interpretation; chapter 7 tests the outcome it implies directly, against the true
#   classes of the simulated survey.
