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
# # 8. Where do the networks look? GradCAM
#
# **Overview.** The three networks of chapter 4 share an architecture and differ only in their
# labels and loss. Do they also differ in *what* in the image they use? The paper (§5.4.4,
# Figs 12–14) answers with {term}`GradCAM` {cite:p}`Selvaraju2017`: for each galaxy, the feature
# maps of the last convolutional block are weighted by how much the score of a class changes with
# them, which gives a coarse map of the regions that speak for that class. Averaged over all test
# galaxies a network predicts to be disks (or smooth), these maps showed the paper's
# cross-entropy networks concentrating on the bulge, and {term}`DDB` spreading its attention over
# the whole galaxy. This chapter computes the same maps for our three networks, measures how
# extended they are, and asks whether the difference exceeds what another training of the same
# network would give.
#
# ```{admonition} Learning objectives
# :class: tip
# After this chapter you can
# - say what a GradCAM map shows for one galaxy and why maps normalised galaxy by galaxy show
#   *where* a network looks rather than *how strongly*;
# - summarise a set of maps by their intensity-weighted mean radius, and compare two networks
#   with the noise from the galaxies and from training the networks again with other seeds;
# - explain why the placement of a coarse map's cells on the image matters as much as the maps.
# ```
#
# **Prerequisites.** Chapter 1 (`labels.parquet` and the image cache) and chapter 4
# (`models/*.pt`, `predictions.parquet`). Code: `galbias.methods.gradcam` (`write_gradcam`: GradCAM
# with the `pytorch-grad-cam` library, placing the map cells; `library_offset`),
# `galbias.methods.models.target_layer` (the explained layer) and `galbias.results.gradcam` —
# `predicted_class`, `class_maps`, `write_means`, `seed_spread`, `spread_table` and
# `spread_numbers` (Table 8.1 and the comparison in words), `light_radii`, `light_profile`,
# `changed_examples` and `example_tiles` (drawn with `galbias.compendium.plots.image_grid`), and
# the figures in `galbias.compendium.gradcamplots` (`mean_maps_figure`, `radial_figure`, `examples_figure`).
#
# **Time to run:** {glue:text}`run_time` (measured; see {doc}`../teaching`).
#
# **Produces.** `gradcam/<training>_maps.npy` (one float16 map per test galaxy, in the order of
# the test rows of `labels.parquet`, with a manifest; one file per network and seed) and
# `gradcam/<network>_mean_disk.npy`, `gradcam/<network>_mean_smooth.npy` (the class averages of
# the seed-0 networks).

# %% tags=["parameters"]
profile = "demo"
overrides = {}
batch_size = 64       # images per GradCAM pass
n_radial_bins = 12    # annuli of the radial profiles
n_examples = 6        # changed galaxies shown with their individual maps
seeds = True          # also explain chapter 4's other seeds, for the seed-to-seed spread
align = "receptive_field"  # where the coarse map's cells go; "library": pytorch-grad-cam's own upsampling

# %% tags=["hide-input"]
import time

from galbias.compendium import config, gradcamplots, plots, steps, timings
from galbias.methods import gradcam as gcam
from galbias.methods.models import load_model
from galbias.methods.train import select_device
from galbias.results import gradcam
from galbias.results.frames import evaluation_frame
from galbias.results.networks import NETWORKS, members

plots.setup()
cfg = config.get_profile(profile, **overrides)
p = config.paths(cfg)
labels = steps.load_labels(cfg)
test = evaluation_frame(labels, steps.load_predictions(cfg, labels), splits="test")
cache = steps.image_cache(cfg, labels, progress=False)
rows = cache.rows(test["id"].to_numpy())
device = select_device()
plots.glue_numbers(run_time=timings.note("08_gradcam"))

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
trainings = [m for m in members(cfg.n_seeds if seeds else 1) if m.k == 0 or m.column in test.columns]
for m in trainings:
    model_path = steps.model_file(cfg, m.name, labels)
    model, _ = load_model(model_path, map_location=device)
    targets[m.name] = gradcam.predicted_class(test, m.name)
    t0 = time.perf_counter()
    maps[m.name] = gcam.write_gradcam(gdir / f"{m.name}_maps.npy", model, cache.images, targets[m.name],
                                      test["id"].to_numpy(), rows=rows, model_path=model_path,
                                      cache_fingerprint=cache.fingerprint, batch_size=batch_size, device=device,
                                      align=align)
    secs[m.name] = time.perf_counter() - t0
every = gradcam.class_maps(maps, targets, n_radial_bins)
results = {k: v for k, v in every.items() if k[0] in {net.name for net in NETWORKS}}  # the seed-0 networks
seed_sd = gradcam.seed_spread(every, {m.name: m.network.name for m in trainings})
gradcam.write_means(gdir, results)
plots.glue_numbers(**gradcam.geometry_numbers(model, cache.image_shape), n_test=len(test),
                   gradcam_seconds=sum(secs.values()), device=str(device),
                   **gradcam.paper_geometry_numbers(config.get_profile("paper").image_crop),
                   n_trainings=len(trainings), n_seeds_used=len(trainings) // len(NETWORKS),
                   **gradcam.spread_numbers(results, seed_sd=seed_sd))

# %% [markdown]
# The {glue:text}`n_test:,` test galaxies were explained for each of the
# {glue:text}`n_trainings` trainings ({glue:text}`n_seeds_used` seed(s) of each network) in
# {glue:text}`gradcam_seconds:.0f` s in all on the {glue:text}`device` device (a finished set of
# maps is reused while the network, the images and the targets are unchanged). The figures show
# the seed-0 networks; the other seeds give the seed-to-seed spread of Table 8.1.
#
# ## Average maps by predicted class

# %% tags=["hide-input"]
radii = gradcam.light_radii(test, cfg.image_fov_r90, cfg.image_size, cfg.image_crop)
fig = gradcamplots.mean_maps_figure(results, radii, cache.image_shape[0])
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

# %% tags=["hide-input"]
light_prof, light_mr = gradcam.light_profile(cache.images, rows, n_radial_bins)
fig = gradcamplots.radial_figure(results, light_prof, radii)
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

# %% tags=["hide-input"]
plots.table(gradcam.spread_table(results, seed_sd if seeds else None), gradcam.SPREAD_CAPTION, precision=3)

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
# on GZ2D (a difference counts when it exceeds {glue:text}`noise_kind`). For the galaxies
# predicted **smooth** the mean radii are {glue:text}`mr_smooth_ce_gz2b:.3f`,
# {glue:text}`mr_smooth_ce_gz2d:.3f` and {glue:text}`mr_smooth_ddb:.3f`: DDB's maps are
# {glue:text}`cmp_smooth_ce_gz2b` CE on GZ2B's and {glue:text}`cmp_smooth_ce_gz2d` CE on GZ2D's.
# The brightest annulus of DDB's average disk map is at {glue:text}`peak_disk_ddb:.2f`, against
# {glue:text}`peak_disk_ce_gz2b:.2f` and {glue:text}`peak_disk_ce_gz2d:.2f` for the two
# cross-entropy networks.
#
# ## Individual galaxies that DDB changed

# %% tags=["hide-input"]
pick = gradcam.changed_examples(test, n_examples, cfg.seed)
fig = gradcamplots.examples_figure(cache.images, rows, test, maps, targets, pick)
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
# ## Verdict: this survey against the paper
#
# The paper read its Figs 12–14 as DDB's maps being *more extended* than those of both
# cross-entropy networks, for the galaxies predicted disk and for those predicted smooth. Here a
# difference of the per-galaxy mean radius counts when it exceeds {glue:text}`noise_kind`.
#
# **Where it agrees.** DDB's maps are more extended than both cross-entropy networks' for
# {glue:text}`classes_agree`.
#
# **Where it does not.** Unlike the paper: {glue:text}`classes_unlike`. Only partly (more
# extended than one network's, not both): {glue:text}`classes_partly`. Not testable in this run
# (a network predicts no galaxy of that class): {glue:text}`classes_untestable`. For the disks,
# DDB's mean radius is {glue:text}`mr_disk_ddb:.3f` (seed-to-seed sd
# {glue:text}`sd_disk_ddb:.3f`) against {glue:text}`mr_disk_ce_gz2b:.3f` and
# {glue:text}`mr_disk_ce_gz2d:.3f` for CE on GZ2B and CE on GZ2D.
#
# **Why, as far as we know.** At this resolution a map has {glue:text}`feat_px` ×
# {glue:text}`feat_px` cells, so "bulge" and "disk" are one or two cells apart; the paper's
# ResNet50 explains a {glue:text}`paper_feat_px` × {glue:text}`paper_feat_px` grid on
# {glue:text}`paper_crop_px`-pixel crops, hardly finer. Each map
# is normalised on its own, so the averages show where a network looks, not how much it relies
# on it. Where a map peaks says where its evidence lies: the cross-entropy disk maps peak at
# {glue:text}`peak_disk_ce_gz2b:.2f` and {glue:text}`peak_disk_ce_gz2d:.2f` half-widths and
# DDB's at {glue:text}`peak_disk_ddb:.2f`, against $R_{90}$ at {glue:text}`r90_frac:.2f`; a peak
# beyond $R_{90}$ means evidence from the sky around the galaxy as much as from the galaxy. And the predicted classes differ between networks: DDB calls
# {glue:text}`n_disk_ddb:,` test galaxies disk, CE on GZ2B {glue:text}`n_disk_ce_gz2b:,` and CE
# on GZ2D {glue:text}`n_disk_ce_gz2d:,`. A network that calls more galaxies disk mixes small,
# poorly resolved galaxies with concentrated light into its disk average, so the averages of
# different networks describe different sets of galaxies — which is why chapter 7's direct test
# against the true classes is the stronger one.
#
# ## Exercises
#
# ````{exercise} What the seeds add
# :label: ex-08-seeds
# Re-run without the other seeds: `python -m galbias run --profile demo --only 08 --set seeds=False`.
# What does the noise of the comparison consist of now, and which words in the verdict change?
# ````
#
# ````{solution} ex-08-seeds
# :class: dropdown
# Without the other seeds the noise is only the standard error over galaxies, which is small
# for hundreds of maps (Table 8.1, "± s.e."), so almost any difference between two networks
# counts. With the seeds, the difference must also exceed how much the same network's maps move
# when it is trained again with another seed; verdicts that flip between the two runs rest on a
# difference no larger than that. The paper showed one training of each network.
# ````
#
# ````{exercise} Where the cells go
# :label: ex-08-align
# Re-run with pytorch-grad-cam's own upsampling: `--set align=library`. Compare
# {numref}`fig-mean-maps` and the mean radii of Table 8.1 with the default run. (Run once more
# without `--set` afterwards: the maps are cached per setting.)
# ````
#
# ````{solution} ex-08-align
# :class: dropdown
# The library treats each coarse cell as the centre of a block of pixels, which puts every map
# about {glue:text}`lib_offset_px:.1f` pixels down and to the right of where the cell's receptive
# field is. A centred blob becomes an off-centre one, the radial profiles turn into rings, and the
# mean radii grow for every network — by different amounts, because the shift matters more for
# compact maps. A conclusion about "bulge against disk" that changes with the upsampling is a
# conclusion about the plotting, not about the networks.
# ````
#
# ````{exercise} Coarser annuli
# :label: ex-08-bins
# Re-run with `--set n_radial_bins=6`. Which numbers of Table 8.1 change, and does the verdict?
# ````
#
# ````{solution} ex-08-bins
# :class: dropdown
# Only the radial profiles of {numref}`fig-radial` and the "peak at" column depend on the
# annuli: the peak moves to the centre of a wider annulus. The mean radii are computed pixel by
# pixel, without bins, so they and the verdict do not change. Prefer summaries that do not depend
# on a binning choice when you compare networks.
# ````
#
# ## Summary
#
# - GradCAM maps were computed for every test galaxy and each of the three networks (and
#   chapter 4's other seeds), on the last convolutional block with the predicted class as
#   target, as in the paper; here that block is {glue:text}`feat_px` × {glue:text}`feat_px`
#   pixels, so the maps resolve little more than "centre" against "outskirts".
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
