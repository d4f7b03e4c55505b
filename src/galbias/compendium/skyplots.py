"""Chapter 9's figures (sky-location bias), drawn from the tables of :mod:`galbias.results.skybias`.

- :func:`region_examples` - random galaxies of each sky region, one row per region.
- :func:`confusion_figure` - the confusion matrices of the first repeat (``seaborn.heatmap``).
- :func:`shift_figure` - each experiment's shift of p(spiral) from its same-region reference.
- :func:`anisotropy_figure` - the apparent spiral excess of one region over another, per network kind.

Each returns a matplotlib figure for :func:`galbias.compendium.plots.glue_figure`.  The figures
are at most about 7 inches wide and their labels at least 8 pt, so that the labels stay readable
when the book scales a figure to the width of its page.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from ..results.skybias import experiment_label, paper_summary
from .plots import COLORS, image_grid

__all__ = ["anisotropy_figure", "confusion_figure", "confusion_heatmap", "readable", "region_examples",
           "shift_figure"]

#: colour of each favoured class in the shift figure
FAVOURED_COLORS = {"spiral": COLORS["disk"], "elliptical": COLORS["smooth"], "neither": "0.45"}


def region_examples(sample: pd.DataFrame, images: np.ndarray, n_examples: int = 6, seed: int = 0):
    """``n_examples`` random galaxies of each region of ``sample`` (images aligned with its
    rows), one row per region, titled with their class; the draw depends only on ``seed``."""
    rng = np.random.default_rng(seed)
    region = sample["region"].to_numpy()
    blank = np.full_like(np.asarray(images[0]), 255)
    tiles, titles, rows = [], [], []
    for r in sorted(np.unique(region)):
        pool = np.flatnonzero(region == r)
        pick = rng.choice(pool, size=min(n_examples, len(pool)), replace=False)
        pad = n_examples - len(pick)
        rows.append(f"region {r}")
        tiles += [np.asarray(images[i]) for i in pick] + [blank] * pad
        titles += ["spiral" if sample["y"].iat[i] == 1 else "elliptical" for i in pick] + [""] * pad
    fig = image_grid(tiles, titles, ncols=n_examples, size=min(1.5, 6.9 / max(n_examples, 1)), row_labels=rows)
    return readable(fig)


def readable(fig, title_pt: float = 9.0, label_pt: float = 9.5):
    """Set the tile titles and row labels of an image grid to a size that stays legible (>= 8
    pt) once the book scales a 7-inch figure to its page, and lay it out again."""
    for ax in fig.axes:
        ax.title.set_fontsize(title_pt)
        ax.yaxis.label.set_fontsize(label_pt)
    fig.tight_layout(pad=0.3)
    return fig


def confusion_heatmap(ax, row: pd.Series, title: str, annot_pt: float = 8.5) -> None:
    """One row-normalised confusion matrix (truth in rows, prediction in columns; elliptical
    first) drawn with ``seaborn.heatmap``, each cell annotated with its count and row share."""
    m = np.array([[row["tn"], row["fp"]], [row["fn"], row["tp"]]], dtype=float)
    tot = m.sum(axis=1, keepdims=True)
    frac = np.divide(m, tot, out=np.zeros_like(m), where=tot > 0)
    text = np.array([[f"{int(m[i, j]):,}\n{frac[i, j]:.0%}" for j in range(2)] for i in range(2)])
    sns.heatmap(frac, vmin=0, vmax=1, cmap="Blues", annot=text, fmt="", cbar=False, square=True, linewidths=0.5,
                linecolor="white", xticklabels=["E", "S"], yticklabels=["E", "S"], annot_kws={"fontsize": annot_pt},
                ax=ax)
    ax.tick_params(labelsize=8.5, length=0)
    ax.grid(False)
    ax.set_title(title, fontsize=8.5)


def confusion_figure(show: pd.DataFrame, titles: Mapping[str, str], ncol: int = 4):
    """The confusion matrices of ``show`` (one experiment per row, with ``tn``, ``fp``, ``fn``,
    ``tp``), ``ncol`` panels a row, titled by ``titles[experiment]`` (:func:`confusion_heatmap`)."""
    nrow = max(1, int(np.ceil(len(show) / ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.2, 1.8 * nrow + 0.3), squeeze=False)
    flat = axes.ravel()
    for ax, (_, r) in zip(flat, show.iterrows()):
        confusion_heatmap(ax, r, titles.get(r["experiment"], r["experiment"]))
    for ax in flat[len(show):]:
        ax.set_visible(False)
    fig.supxlabel("predicted class", fontsize=9)
    fig.supylabel("true class", fontsize=9)
    fig.tight_layout()
    return fig


def shift_figure(results: pd.DataFrame, summary: pd.DataFrame):
    """Shift of p(spiral) from the same-region reference for each experiment that has one:
    single repeats (dots), mean ± sd (squares), coloured by the favoured class, and Dhar &
    Shamir's shift where they had a reference (open diamonds)."""
    paper = paper_summary()
    exps = summary[summary["reference"].fillna("") != ""]
    fig, ax = plt.subplots(figsize=(7.0, max(3.0, 0.22 * len(exps) + 1.2)))
    ypos = np.arange(len(exps))[::-1]
    labels = []
    for y, (name, r) in zip(ypos, exps.iterrows()):
        colour = FAVOURED_COLORS[r["favoured"]]
        vals = results.loc[results["experiment"] == name, "delta_p_spiral"]
        ax.plot(vals, np.full(len(vals), y), "o", ms=3, alpha=0.45, color=colour)
        ax.errorbar(r["delta"], y, xerr=r["delta_sd"] if np.isfinite(r["delta_sd"]) else None, fmt="s", ms=5,
                    capsize=2, color=colour)
        has_table = pd.notna(r["table"])
        if has_table and np.isfinite(paper.loc[int(r["table"]), "delta"]):
            ax.plot(paper.loc[int(r["table"]), "delta"], y, "D", mfc="none", mec="k", ms=6)
        labels.append((f"T{int(r['table'])} " if has_table else "")
                      + experiment_label(r["train_spiral"], r["train_elliptical"], r["test_region"]))
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_yticks(ypos, labels, fontsize=8.5)
    ax.set_xlabel("p(spiral) minus that of the same-region network")
    handles = [Line2D([], [], marker="s", ls="", color=c, label=f"favoured: {k}") for k, c in FAVOURED_COLORS.items()]
    handles.append(Line2D([], [], marker="D", ls="", mfc="none", mec="k", label="Dhar & Shamir"))
    ax.legend(handles=handles, fontsize=8.5, loc="lower right")
    fig.tight_layout()
    return fig


def anisotropy_figure(sc: pd.DataFrame):
    """Δ (p(spiral) in region a minus in b) per region pair and repeat (``sc`` from
    :func:`galbias.results.skybias.swap_section`, with a ``pair`` column), for the two swapped
    trainings, the region-balanced and the combined network."""
    kinds = [("delta_SaEb", "spirals from a, ellipticals from b", COLORS["disk"], "^"),
             ("delta_SbEa", "spirals from b, ellipticals from a", COLORS["smooth"], "v"),
             ("delta_balanced", "balanced: both from a and b", "0.15", "o"),
             ("delta_combined", "combined 1+2+3", "0.6", "s")]
    fig, ax = plt.subplots(figsize=(6.8, 3.9))
    pairs = list(dict.fromkeys(sc["pair"]))
    for k, (col, lab, colour, marker) in enumerate(kinds):
        for i, pr in enumerate(pairs):
            v = sc.loc[sc["pair"] == pr, col].dropna()
            ax.plot(np.full(len(v), i + (k - 1.5) * 0.14), v, marker, color=colour, ms=5, alpha=0.8,
                    label=lab if i == 0 else None)
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xticks(range(len(pairs)), [f"regions {pr}" for pr in pairs])
    ax.set_ylabel(r"$\Delta$ = p(spiral) in a $-$ p(spiral) in b")
    if pairs:
        ax.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    fig.tight_layout()
    return fig
