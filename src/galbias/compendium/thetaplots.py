"""Chapter 3's figures (the theta fit, the bin scan, the bias shape, DCV14's EM trace), drawn
from the results of :mod:`galbias.results.theta` in the book's style."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FixedLocator, LogLocator, NullFormatter, ScalarFormatter

from ..data.binning import binned_fraction
from ..methods.bias import ThetaFit, bias_probability, bias_shape_probability
from ..methods.dcv14 import DCV14Result
from ..results.theta import (
    BALANCED,
    PAPER_PER_BIN,
    UNBALANCED,
    TrainingTheta,
    alpha_grid,
)
from .plots import COLORS, alpha_axis


def _fit_axes() -> tuple[Any, Any, Any]:
    fig, (ax, axr) = plt.subplots(2, 1, figsize=(6.4, 5.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    return fig, ax, axr


def fit_figure(fit: ThetaFit) -> Any:
    """Figure 3.1: the binned smooth fraction with the fitted curve (top) and the residuals (bottom)."""
    c = fit.curve
    fig, ax, axr = _fit_axes()
    ax.plot(c["alpha_mid"], c["f_smooth_obs"], ".", ms=3, color=COLORS["gz2b"], alpha=0.6,
            label=f"GZ2B, {fit.n_bins} equal-count bins")
    grid = alpha_grid(c)
    ax.plot(grid, fit.f_s + fit.f_d * bias_probability(grid, fit.theta), color="k", lw=2,
            label=rf"fit: $\theta$ = {fit.theta:.2f}, $f_s$ = {fit.f_s:.2f}")
    ax.axhline(fit.f_s, color="k", ls=":", lw=1)
    ax.set_ylabel("fraction labelled smooth")
    ax.set_ylim(0, 1.02)
    ax.legend()
    axr.plot(c["alpha_mid"], c["residual"], ".", ms=3, color="0.4")
    axr.axhline(0, color="k", lw=1)
    alpha_axis(axr)
    axr.set_ylabel("obs − model")
    return fig


def bins_figure(scan: pd.DataFrame, result: TrainingTheta) -> Any:
    """Figure 3.2: theta against the bin count with each sample's bootstrap band (left) and the
    reduced chi-square against the galaxies per bin (right)."""
    fit, bal = result.fit, result.balanced
    spreads = {UNBALANCED: fit.theta_std, BALANCED: bal.theta_std}
    centres = {UNBALANCED: fit.theta, BALANCED: bal.theta}
    styles = {UNBALANCED: {"marker": "o", "ls": "-"}, BALANCED: {"marker": "s", "ls": "--", "mfc": "white"}}
    fig, (ax, axc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, part in scan.groupby("sample", sort=False):
        ax.axhspan(centres[name] - spreads[name], centres[name] + spreads[name], color="0.88", zorder=0)
        ax.plot(part["n_bins"], part["theta"], color=COLORS["gz2b"], label=name, **styles[name])
        axc.plot(part["objects_per_bin"], part["reduced_chi2"], color=COLORS["gz2b"], label=name,
                 **styles[name])
    ax.set_xscale("log")
    ax.set_xlabel("number of equal-count α bins")
    ax.set_ylabel(r"fitted $\theta$")
    ax.legend(fontsize=8)
    axc.axhline(1, color="k", lw=0.8, ls=":")
    axc.axvline(PAPER_PER_BIN, color="0.5", lw=0.8, ls="--")
    axc.text(PAPER_PER_BIN, axc.get_ylim()[1], "paper's bins ", va="top", ha="right", fontsize=8, color="0.4")
    axc.set_xscale("log")
    axc.set_yscale("log")
    axc.set_xlabel("galaxies per bin")
    axc.set_ylabel(r"reduced $\chi^2$")
    for axis, locator in ((ax.xaxis, LogLocator(subs=(1, 2, 5))), (axc.xaxis, LogLocator(subs=(1, 2, 5))),
                          (axc.yaxis, FixedLocator([0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200]))):
        axis.set_major_locator(locator)  # plain numbers on the log axes
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    return fig


def shape_figure(pool: pd.DataFrame, shape: Any, grid: np.ndarray, n_bins: int = 40) -> Any:
    """Figure 3.3: the pool's smooth fraction in ``n_bins`` equal-count bins (display only) with the
    unbinned half-Gaussian (dashed) and free-exponent (solid) curves of ``shape`` (a
    :class:`galbias.methods.bias.ShapeFit`) over ``grid``, and their residuals."""

    obs = binned_fraction(pool["alpha"].to_numpy(), pool["gz2b"].to_numpy() == 0, n_bins)
    fig, ax, axr = _fit_axes()
    ax.errorbar(obs["alpha_mid"], obs["frac"], yerr=obs["err"], fmt=".", color=COLORS["gz2b"],
                label=f"GZ2B, {n_bins} bins")
    models = {"half-Gaussian (k = 2)": (shape.theta_k2, 2.0, shape.f_s_k2),
              f"k = {shape.k:.2f}": (shape.theta, shape.k, shape.f_s)}
    for (lab, (t_, k_, f_)), ls in zip(models.items(), ("--", "-")):
        def curve(a, t_=t_, k_=k_, f_=f_):
            return f_ + (1 - f_) * bias_shape_probability(a, t_, k_)

        ax.plot(grid, curve(grid), ls, color="k", lw=1.6, label=rf"{lab}: $\theta$ = {t_:.2f}")
        axr.plot(obs["alpha_mid"], obs["frac"] - curve(obs["alpha_mid"].to_numpy()), ls, marker=".", color="0.3",
                 lw=0.8)
    axr.axhline(0, color="k", lw=0.6)
    ax.set_ylabel("fraction labelled smooth")
    ax.legend(fontsize=8)
    alpha_axis(axr)
    axr.set_ylabel("obs − model")
    return fig


def dcv14_trace_figure(dc: DCV14Result) -> Any:
    """Figure 3.4: DCV14's log-likelihood over the EM iterations."""

    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    ax.plot(dc.loglik_trace, color=COLORS["dcv14"])
    ax.set_xlabel("EM iteration")
    ax.set_ylabel("log-likelihood")
    return fig
