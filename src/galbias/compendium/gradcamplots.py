"""Chapter 8's figures (the average GradCAM maps, their radial profiles, the changed examples),
drawn from the results of :mod:`galbias.results.gradcam` in the book's style."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..results.gradcam import CLASSES, ClassMaps, example_tiles
from ..results.networks import NETWORKS
from .plots import COLORS, image_grid

__all__ = ["examples_figure", "map_scale", "mean_maps_figure", "radial_figure"]


def map_scale(results: Mapping[tuple[str, str], ClassMaps]) -> float:
    """The common colour-scale maximum of the average maps (the largest finite value; 1 when none)."""
    return float(np.nanmax([np.nanmax(r.mean) for r in results.values() if np.isfinite(r.mean).any()] or [1.0]))


def _circles(radii: Mapping[str, float]) -> tuple[tuple[float, str], ...]:
    """(radius in half-widths, line style) of R50 (dotted) and R90 (dashed), as in :func:`~galbias.results.gradcam.light_radii`."""
    return (radii["r50_frac"], ":"), (radii["r90_frac"], "--")


def _networks(networks: Sequence[Any] | None) -> Sequence[Any]:
    return NETWORKS if networks is None else networks


def mean_maps_figure(results: Mapping[tuple[str, str], ClassMaps], radii: Mapping[str, float], image_px: int,
                     networks: Sequence[Any] | None = None):
    """Figure 8.1: the average map of each network (columns) and predicted class (rows, :data:`~galbias.results.gradcam.CLASSES`),
    on one colour scale (:func:`map_scale`), with circles at the median R50 and R90 (:func:`~galbias.results.gradcam.light_radii`)
    for images ``image_px`` pixels across; a panel without galaxies says so."""
    nets = _networks(networks)
    half, vmax = image_px / 2, map_scale(results)
    fig, axes = plt.subplots(2, len(nets), figsize=(2.35 * len(nets) + 0.7, 5.3), squeeze=False)
    im = None
    for j, net in enumerate(nets):
        for i, cls in enumerate(CLASSES.values()):
            r, ax = results[net.name, cls], axes[i, j]
            ax.set_title(f"{net.title}\n{cls}, n = {r.summary.n:,}", fontsize=9)
            if not r.summary.n:
                ax.axis("off")
                ax.text(0.5, 0.5, f"no galaxy\npredicted {cls}", ha="center", va="center", fontsize=9,
                        transform=ax.transAxes)
                continue
            im = ax.imshow(r.mean, origin="upper", cmap="viridis", vmin=0, vmax=vmax, interpolation="nearest")
            for rf, ls in _circles(radii):
                if np.isfinite(rf):
                    ax.add_patch(plt.Circle((half - 0.5,) * 2, rf * half, fill=False, color="white", lw=0.9,
                                            ls=ls))
            ax.set(xticks=[], yticks=[])
            ax.grid(False)
    fig.colorbar(im, ax=axes, shrink=0.7, label="mean GradCAM intensity")
    return fig


def radial_figure(results: Mapping[tuple[str, str], ClassMaps], light_prof: pd.DataFrame,
                  radii: Mapping[str, float], networks: Sequence[Any] | None = None):
    """Figure 8.2: radial profiles of the average maps, one panel per predicted class, with the mean
    image brightness (``light_prof`` of :func:`~galbias.results.gradcam.light_profile`, scaled to :func:`map_scale`) and lines
    at the median R50 and R90."""
    vmax = map_scale(results)
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.3), sharey=True)
    for ax, cls in zip(axes, CLASSES.values()):
        for net in _networks(networks):
            prof = results[net.name, cls].profile
            ax.plot(prof["r_frac"], prof["mean"], "o-", ms=3.5, color=COLORS[net.name], label=net.title)
        ax.plot(light_prof["r_frac"], light_prof["mean"] / np.nanmax(light_prof["mean"]) * vmax, color="0.55",
                ls="--", lw=1, label="mean image brightness (scaled)")
        for rf, ls in _circles(radii):
            if np.isfinite(rf):
                ax.axvline(rf, color="0.4", ls=ls, lw=0.8)
        ax.set(xlabel="distance from centre / half width", title=f"predicted {cls}", xlim=(0, 1))
    axes[0].set_ylabel("mean GradCAM intensity")
    axes[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def examples_figure(images: Any, rows: np.ndarray, frame: pd.DataFrame, maps: Mapping[str, np.ndarray],
                    targets: Mapping[str, np.ndarray], pick: np.ndarray):
    """Figure 8.3: the galaxies at positions ``pick`` with their maps (:func:`~galbias.results.gradcam.example_tiles`, drawn with
    :func:`galbias.compendium.plots.image_grid`), or a note when ``pick`` is empty."""
    if not len(pick):
        fig, ax = plt.subplots(figsize=(6.4, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "DDB changed no test galaxy from smooth to disk", ha="center", va="center", fontsize=9)
        return fig
    tiles, titles, row_names = example_tiles(images, rows, frame, maps, targets, pick)
    fig = image_grid(tiles, titles, ncols=len(pick), size=1.15, row_labels=row_names)
    for ax in fig.axes:  # tile labels readable at the page's width (>= 8 pt once the figure is scaled)
        ax.title.set_fontsize(8.5)
        ax.yaxis.label.set_fontsize(9)
    fig.tight_layout(pad=0.3)
    return fig
