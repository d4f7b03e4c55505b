"""One figure and table style for the book, and helpers to put computed numbers in the text.

Notebooks glue numbers and figures (``myst_nb.glue``) so that every number in the prose
comes from the computation; :func:`table` turns a DataFrame into a captioned HTML table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

#: one colour per label source, used in every chapter
COLORS = {
    "truth": "#222222",
    "gz2b": "#d95f02",
    "gz2d": "#7570b3",
    "ce_gz2b": "#e7298a",
    "ce_gz2d": "#66a61e",
    "dcv14": "#e6ab02",
    "ddb": "#1b9e77",
    "smooth": "#c0392b",
    "disk": "#2e86c1",
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


def equal_count_bins(x: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index (0..n_bins-1) of each value, equal-count bins in sorted order."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    idx = np.empty(len(x), dtype=int)
    idx[order] = np.arange(len(x)) * n_bins // max(len(x), 1)
    return idx


def binned_fraction(alpha: np.ndarray, is_class: np.ndarray, n_bins: int = 15) -> pd.DataFrame:
    """Fraction of objects in a class per equal-count alpha bin, with binomial errors.

    Returns columns ``alpha_mid`` (median alpha of the bin), ``alpha_lo``, ``alpha_hi``,
    ``n``, ``frac`` and ``err`` = sqrt(f (1 - f) / n).
    """
    alpha = np.asarray(alpha, dtype=float)
    y = np.asarray(is_class, dtype=float)
    b = equal_count_bins(alpha, n_bins)
    df = pd.DataFrame({"b": b, "alpha": alpha, "y": y})
    g = df.groupby("b")
    out = pd.DataFrame({
        "alpha_mid": g["alpha"].median(),
        "alpha_lo": g["alpha"].min(),
        "alpha_hi": g["alpha"].max(),
        "n": g["y"].size(),
        "frac": g["y"].mean(),
    }).reset_index(drop=True)
    out["err"] = np.sqrt(out["frac"] * (1 - out["frac"]) / out["n"])
    return out


def plot_fraction_vs_alpha(ax: Any, alpha: np.ndarray, series: dict[str, np.ndarray], n_bins: int = 15,
                           colors: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> None:
    """Plot the fraction of each boolean series vs alpha (log axis) with binomial error bars."""
    colors = colors or {}
    for name, y in series.items():
        t = binned_fraction(alpha, y, n_bins)
        ax.errorbar(t["alpha_mid"], t["frac"], yerr=t["err"], marker="o", ms=3.5, lw=1.2, capsize=2,
                    color=colors.get(name, COLORS.get(name)), label=(labels or {}).get(name, name))
    alpha_axis(ax, r"resolution $\alpha$ = Petrosian radius / PSF $\sigma$")


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
        glue(k, _PlainText(v) if isinstance(v, str) else v, display=False)


def glue_figure(name: str, fig: Any) -> None:
    """Glue a figure for a ``{glue:figure}`` directive (with its caption) and close it."""
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)


def image_grid(images: Sequence[np.ndarray], titles: Sequence[str] | None = None, ncols: int = 6,
               size: float = 1.5, row_labels: Sequence[str] | None = None):
    """A grid of RGB images (uint8 HxWx3) with optional titles."""
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
                ax.set_title(titles[i], fontsize=7)
    if row_labels is not None:
        for r, lab in enumerate(row_labels):
            axes[r, 0].set_ylabel(lab, fontsize=8)
    fig.tight_layout(pad=0.3)
    return fig
