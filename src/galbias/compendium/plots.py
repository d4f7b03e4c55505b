"""One figure and table style for the book, and helpers to put computed numbers in the text.

Notebooks glue numbers and figures (``myst_nb.glue``) so that every number in the prose
comes from the computation; :func:`table` turns a DataFrame into a captioned HTML table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..data.binning import binned_fraction

#: one colour per label source and method, used in every chapter: the Okabe-Ito palette
#: (distinguishable with the common colour-vision deficiencies), one hue per method
COLORS = {
    "truth": "#000000",     # black
    "gz2b": "#E69F00",      # orange
    "gz2d": "#56B4E9",      # sky blue
    "ce_gz2b": "#D55E00",   # vermillion
    "ce_gz2d": "#0072B2",   # blue
    "ddb": "#009E73",       # bluish green
    "dcv14": "#CC79A7",     # reddish purple
    "ddb_shape": "#004D38",  # dark green (chapter 10's two-parameter DDB)
    "degrade": "#7F7F7F",   # grey (chapter 10's degrade augmentation)
    "smooth": "#B2182B",    # class colours: red for smooth, blue for disk
    "disk": "#2166AC",
}


def setup() -> None:
    """The book's matplotlib style."""
    plt.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "figure.figsize": (6.4, 4.0),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.25,
        "font.size": 10,
        "legend.frameon": False,
        "image.origin": "lower",
    })


def alpha_axis(ax: Any, label: str | None = r"$\alpha$") -> None:
    """Log-scaled alpha axis with plain-number ticks (3, 5, 10, 20, ...)."""
    from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator([1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500]))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    if label:
        ax.set_xlabel(label)


def plot_fraction_vs_alpha(ax: Any, alpha: np.ndarray, series: dict[str, np.ndarray], n_bins: int = 15,
                           colors: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> None:
    """Plot the fraction of each boolean series vs alpha (log axis) with binomial error bars.

    Bins are equal-count (:func:`galbias.data.binning.binned_fraction`), plotted at their
    alpha (the midpoint of the bin edges)."""
    colors = colors or {}
    for name, y in series.items():
        t = binned_fraction(alpha, y, n_bins)
        ax.errorbar(t["alpha_mid"], t["frac"], yerr=t["err"], marker="o", ms=3.5, lw=1.2, capsize=2,
                    color=colors.get(name, COLORS.get(name)), label=(labels or {}).get(name, name))
    alpha_axis(ax, r"resolution $\alpha$ = Petrosian radius / PSF $\sigma$")


def plot_truth_curves(axes: Any, curves: pd.DataFrame, labels: dict[str, str] | None = None,
                      colors: dict[str, str] | None = None) -> None:
    """Two panels from :func:`galbias.results.curves.truth_curves`: recall of true disks (left)
    and label minus true disk fraction (right) against alpha, each with its ±1 sd band."""
    colors = colors or {}
    ax_r, ax_e = axes
    for key, c in curves.groupby("key", sort=False):
        col = colors.get(key, COLORS.get(key))
        name = (labels or {}).get(key, key)
        for ax, y in ((ax_r, "recall"), (ax_e, "excess")):
            ax.plot(c["alpha_mid"], c[y], "o-", ms=3, lw=1.2, color=col, label=name)
            ax.fill_between(c["alpha_mid"], c[y] - c[f"{y}_sd"], c[y] + c[f"{y}_sd"], color=col, alpha=0.18, lw=0)
    ax_e.axhline(0, color="k", lw=0.8)
    ax_r.set_ylabel("recall of true disks")
    ax_e.set_ylabel("disk fraction − true disk fraction")
    for ax in axes:
        alpha_axis(ax, r"resolution $\alpha$")


def table(df: pd.DataFrame, caption: str, precision: int = 3, index: bool = True,
          formats: dict[str, str] | None = None):
    """A captioned HTML table (pandas Styler) for the book."""
    sty = df.style.set_caption(caption)
    # one call: a second .format() would reset the precision of the columns it does not name
    sty = sty.format(formats or None, precision=precision, thousands=",", na_rep="–")
    if not index:
        sty = sty.hide(axis="index")
    return sty.set_table_styles([
        {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: normal; padding-bottom: 6px;"},
        {"selector": "th, td", "props": "padding: 2px 8px;"},
    ])


class _PlainText:
    """A string that displays without quotes (glued strings would otherwise show as 'x')."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.text)


def glue_numbers(**values: Any) -> None:
    """Glue numbers (and short strings) for ``{glue:text}`` roles, without displaying them."""
    from myst_nb import glue

    for k, v in values.items():
        if isinstance(v, np.generic):  # np.float64(0.9) would be glued as its repr, not as a number
            v = v.item()
        glue(k, _PlainText(v) if isinstance(v, str) else v, display=False)


def glue_figure(name: str, fig: Any) -> None:
    """Glue a figure for a ``{glue:figure}`` directive (with its caption) and close it."""
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)


def image_grid(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, ncols: int = 6,
               size: float = 1.5, row_labels: Sequence[str] | None = None, fontsize: float = 10):
    """A grid of RGB images (uint8 HxWx3) with optional titles (``fontsize`` points; a wide
    grid is shrunk to the page's column, so labels need more points than a single plot's)."""
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.12), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for s in ax.spines.values():
            s.set_visible(False)
        if i < n:
            ax.imshow(images[i], origin="upper", interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=fontsize)
    if row_labels is not None:
        for r, lab in enumerate(row_labels):
            axes[r, 0].set_ylabel(lab, fontsize=fontsize)
    fig.tight_layout(pad=0.3)
    return fig


def read_view(root: Any, rel: Any) -> np.ndarray | None:
    """The image ``root / rel`` as uint8 RGB, or None when ``rel`` is null or the file unusable."""
    from pathlib import Path

    from ..data.images import ImageError, read_jpeg

    if rel is None or (not isinstance(rel, str) and pd.isna(rel)) or str(rel) == "":
        return None
    try:
        return read_jpeg(Path(root) / str(rel))
    except ImageError:
        return None


def view_grid(root: Any, table: pd.DataFrame, views: Sequence[tuple[str, str]] = (("survey", "file_loc"),
                                                                              ("high-res", "hires_loc")),
              titles: dict[str, Sequence[str]] | None = None, ncols: int = 6, size: float = 1.6,
              block_labels: Sequence[str] | None = None):
    """Galaxies of ``table`` in blocks of ``ncols``, one row per view of each block.

    ``views`` are (row name, column of image paths relative to ``root``); ``titles`` maps a
    view name to one title per galaxy; ``block_labels`` prefixes the row names of each block
    (e.g. the true class).  Missing images (null path, unreadable file) and the padding of a
    short last block are blank tiles.  Returns the figure of :func:`image_grid`.
    """
    tiles, names, row_names = [], [], []
    rows = list(table.itertuples(index=False))
    blank = None
    for b, s in enumerate(range(0, len(rows), ncols)):
        block = table.iloc[s:s + ncols]
        for view, col in views:
            imgs = [read_view(root, v) for v in block[col]] if col in block.columns else [None] * len(block)
            if blank is None:
                blank = next((np.full_like(im, 255) for im in imgs if im is not None), None)
            tiles.append(imgs + [None] * (ncols - len(block)))
            t = list((titles or {}).get(view, [""] * len(table)))[s:s + ncols]
            names += t + [""] * (ncols - len(block))
            prefix = f"{block_labels[b]}\n" if block_labels is not None and b < len(block_labels) else ""
            row_names.append(prefix + view)
    if blank is None:
        blank = np.full((8, 8, 3), 255, np.uint8)
    flat = [im if im is not None else blank for row in tiles for im in row]
    return image_grid(flat, names, ncols=ncols, size=size, row_labels=row_names)


def plot_confusions(axes: np.ndarray, df: pd.DataFrame, titles: Mapping[str, str] | None = None) -> Any:
    """Row-normalised confusion matrices (truth in rows, prediction in columns; elliptical
    first) of the experiments in ``df`` (one row each) on ``axes``, with the counts written
    in the cells.  Returns the last image (for a colour bar)."""
    im = None
    flat = np.ravel(axes)
    for ax, (_, r) in zip(flat, df.iterrows()):
        m = np.array([[r["tn"], r["fp"]], [r["fn"], r["tp"]]], dtype=float)
        frac = m / m.sum(axis=1, keepdims=True)
        im = ax.imshow(frac, vmin=0, vmax=1, cmap="Blues", origin="upper")
        for i in range(2):
            for j in range(2):
                ax.text(j, i, f"{int(m[i, j])}\n{frac[i, j]:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if frac[i, j] > 0.6 else "black")
        ax.set_xticks([0, 1], ["E", "S"], fontsize=7)
        ax.set_yticks([0, 1], ["E", "S"], fontsize=7)
        ax.grid(False)
        ax.set_title((titles or {}).get(r["experiment"], r["experiment"]), fontsize=7.5)
    for ax in flat[len(df):]:
        ax.set_visible(False)
    return im


def learning_curves(trainings: Sequence[Any], hist: Mapping[str, pd.DataFrame], results: Mapping[str, Any]):
    """Chapter 4: one panel per network, training and validation loss of every seed (seed 0
    solid), the kept epoch dotted."""
    from ..results.networks import NETWORKS

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    for ax, net in zip(axes, NETWORKS):
        for m in (t for t in trainings if t.network is net):
            h, first = hist[m.name], m.k == 0
            ax.plot(h["epoch"], h["train_loss"], "o-", ms=3, color="0.2", alpha=1 if first else 0.45,
                    label="training" if first else None)
            ax.plot(h["epoch"], h["val_loss"], "s--", ms=3, color=COLORS[net.name], alpha=1 if first else 0.45,
                    label="validation" if first else None)
            ax.axvline(results[m.name].best_epoch, color="0.6", ls=":", lw=1)
        ax.set_title(net.title)
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].legend()
    return fig


def empty_panel(ax: Any, text: str) -> None:
    """A panel that says why it has nothing to show."""
    ax.text(0.5, 0.5, text, ha="center", va="center")
    ax.axis("off")


def truth_by_epoch(trainings: Sequence[Any], hist: Mapping[str, pd.DataFrame], truth_known: bool):
    """Chapter 4: validation accuracy against the truth after each epoch, every member."""
    from ..results.networks import NETWORKS

    titles = {n.name: n.title for n in NETWORKS}
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    if not truth_known:
        empty_panel(ax, "no truth for real data")
        return fig
    for m in trainings:
        h = hist[m.name]
        ax.plot(h["epoch"], h["val_acc_truth"], "o-", ms=3, color=COLORS[m.network.name],
                alpha=1 if m.k == 0 else 0.4, label=titles[m.network.name] if m.k == 0 else None)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation accuracy against the truth")
    ax.legend(fontsize=8)
    return fig


def table1_disk_vs_alpha(frame: pd.DataFrame, n_bins: int):
    """Chapter 5: disk fraction against alpha of the label sets (left) and the trained methods
    (right, seed 0), the truth in both panels; rows without a label (DCV14 without a Sérsic
    fit) are left out of their curve."""
    from ..results.table1 import LABEL_NAMES

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.0), sharey=True)
    panels = [["gz2b", "gz2d", "truth"], ["ce_gz2b", "ce_gz2d", "dcv14", "ddb", "truth"]]
    alpha = frame["alpha"].to_numpy(dtype=float)
    for ax, keys in zip(axes, panels):
        for k in keys:
            ok = frame[k].notna().to_numpy()
            if ok.any():
                plot_fraction_vs_alpha(ax, alpha[ok], {k: frame[k][ok].to_numpy(dtype=int) == 1}, n_bins=n_bins,
                                       labels=LABEL_NAMES)
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("fraction disk")
    axes[0].set_title("labels")
    axes[1].set_title("trained methods (seed 0)")
    return fig


def table1_cv18(test: pd.DataFrame, paper: pd.DataFrame, null: np.ndarray, paper_floor: float, ours: str):
    """Chapter 5: CV18 of every row on the test split (``test``: the summary indexed by row),
    both conventions, beside the paper's, with the shuffled-label band and the paper's floor."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from ..results.table1 import LABEL_NAMES, ROW_KEY

    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    rows = [r for r in ROW_KEY if r in test.index]
    ypos = np.arange(len(rows))[::-1]
    for yp, r in zip(ypos, rows):
        c = COLORS[ROW_KEY[r]]
        ax.errorbar(test.loc[r, "cv18"], yp + 0.12, xerr=test.loc[r, "cv18_std"], fmt="o", color=c, capsize=2)
        ax.plot(test.loc[r, "cv18_lowref"], yp + 0.12, "x", color=c)
        if r in paper.index:
            ax.errorbar(paper.loc[r, "cv18"], yp - 0.12, xerr=paper.loc[r, "cv18_std"], fmt="s", mfc="white",
                        color=c, capsize=2)
    ax.axvspan(float(np.quantile(null, 0.05)), float(np.quantile(null, 0.95)), color="0.85", zorder=0)
    ax.axvline(paper_floor, color="0.5", ls=":", lw=1)
    ax.set_yticks(ypos)
    ax.set_yticklabels([LABEL_NAMES[ROW_KEY[r]] for r in rows])
    ax.set_xlabel("CV18 (test split)")
    ax.set_xlim(left=0)
    handles = [Line2D([], [], marker="o", color="0.3", ls="", label=ours + ", thesis convention"),
               Line2D([], [], marker="x", color="0.3", ls="", label="the same, lowest-α reference"),
               Line2D([], [], marker="s", mfc="white", color="0.3", ls="", label="paper (real GZ2)"),
               Patch(color="0.85", label="shuffled labels, this run (5–95%)"),
               Line2D([], [], color="0.5", ls=":", label="approx. noise floor, paper's sample")]
    ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.45, -0.2), ncol=2)
    return fig


def observed_vs_truth(tab: pd.DataFrame):
    """Chapter 0's Figure: the labelled-smooth fraction per alpha bin (binomial error bars) and, on
    the simulated survey, the truly smooth fraction and the share of true disks labelled smooth
    (``tab`` from :func:`galbias.results.survey.smooth_fraction_vs_alpha`)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    f = tab["observed_smooth"]
    ax.errorbar(tab["alpha_mid"], f, yerr=np.sqrt(f * (1 - f) / tab["n"]), marker="o", ms=3.5, capsize=2,
                color=COLORS["gz2b"], label="labelled smooth (GZ2B-style votes)")
    if "true_smooth" in tab:
        ax.plot(tab["alpha_mid"], tab["true_smooth"], "s-", ms=3.5, color=COLORS["truth"], label="truly smooth")
        ax.plot(tab["alpha_mid"], tab["disks_labelled_smooth"], "^--", ms=3.5, color=COLORS["disk"],
                label="true disks labelled smooth")
    alpha_axis(ax)
    ax.set_ylim(0, 1)
    ax.set_ylabel("fraction")
    ax.legend(fontsize=8)
    return fig
