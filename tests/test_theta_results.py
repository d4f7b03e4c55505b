"""Tests of chapter 3's verdict tools (galbias.results.theta): the bin scan on both samples,
the words saying whether theta depends on the binning, the chi-square trend, and theta against
the simulated volunteers' own and the paper's."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_catalog

from galbias.compendium import thetaplots
from galbias.data import catalog as cat_mod
from galbias.data import labels as lab
from galbias.reference import PAPER_THETA
from galbias.results import theta as ch


def _observed(n=8000, theta=8.0, f_s=0.35, seed=0, shape=2.0):
    """Labels drawn from f_s + f_d b(alpha) with b = exp(-(alpha/theta)^shape / 2)."""
    rng = np.random.default_rng(seed)
    a = 10 ** rng.uniform(0.3, 1.7, n)
    b = np.exp(-0.5 * (a / theta) ** shape)
    smooth = rng.random(n) < f_s + (1 - f_s) * b
    return pd.DataFrame({"alpha": a, "gz2b": np.where(smooth, 0, 1)})


def _labels_and_pool(n=8000, **kw):
    obs = _observed(n, **kw)
    labels = obs.assign(split="train")
    return labels, obs


def test_bin_scan_on_both_samples():
    labels, pool = _labels_and_pool()
    labels = labels.iloc[:3000]
    scan = ch.bin_scan(labels, [10, 50, 2000], min_per_bin=5, pool=pool)
    assert list(scan.columns[:2]) == ["sample", "n_bins"]
    unb, bal = scan[scan["sample"] == ch.UNBALANCED], scan[scan["sample"] == ch.BALANCED]
    assert list(unb["n_bins"]) == [10, 50]  # 8000 / 2000 = 4 < 5 per bin
    assert list(bal["n_bins"]) == [10, 50]
    assert np.allclose(unb["objects_per_bin"], 8000 / unb["n_bins"])
    only = ch.bin_scan(labels, [10, 50])
    assert set(only["sample"]) == {ch.BALANCED}
    assert ch.bin_scan(labels, [100000]).empty


def test_scan_words():
    scan = pd.DataFrame({"theta": [7.15, 7.17, 7.18]})
    assert ch.scan_words(scan.assign(n_bins=[25, 50, 100]), 0.07)["word"] == "well inside"
    assert ch.scan_words(scan.assign(n_bins=[25, 50, 100]), 0.07)["depends"] == "hardly depends on the number of bins"
    scan = scan.assign(n_bins=[25, 50, 100])
    assert ch.scan_words(scan, 0.02)["word"] == "comparable to"
    assert ch.scan_words(scan, 0.01)["word"] == "larger than"
    assert ch.scan_words(scan, 0.01)["depends"] == "depends on the number of bins only below 50 bins"
    assert ch.scan_words(scan, 0.07)["range"] == pytest.approx(0.03)
    # the demo's adopted scan: coarse bins pull theta down, fine ones agree
    demo = pd.DataFrame({"n_bins": [25, 50, 100, 200, 400, 800, 1525, 2000],
                         "theta": [9.21, 9.423, 9.481, 9.495, 9.500, 9.499, 9.500, 9.496]})
    w = ch.scan_words(demo, 0.12)
    assert w["word"] == "larger than" and w["stable_from"] == 50
    assert w["depends"] == "depends on the number of bins only below 50 bins"
    # a scan that never settles
    drift = pd.DataFrame({"n_bins": [10, 20, 40], "theta": [1.0, 2.0, 3.0]})
    assert ch.scan_words(drift, 0.1)["depends"] == "depends on the number of bins"
    assert ch.scan_words(scan, np.nan)["word"] == "not measured"
    assert ch.scan_words(scan.iloc[:0], 0.1)["word"] == "not measured"


def test_chi2_trend_shows_a_misfit_that_many_bins_hide():
    # labels from a k = 4 curve fitted with the half-Gaussian: a systematic misfit
    obs = _observed(n=40000, theta=8.0, shape=4.0, seed=3)
    scan = ch.bin_scan(obs.assign(split="train"), [20, 80, 400, 4000], min_per_bin=5)
    t = ch.chi2_trend(scan)
    assert t["chi2_few"] > t["chi2_many"] and t["chi2_few"] > 3
    assert t["per_bin_few"] == pytest.approx(2000) and t["per_bin_many"] == pytest.approx(10)
    assert t["misfit_slope"] > 0
    # the linear model predicts the chi-square at the fewest bins to within a factor 2
    assert 0.5 < (1 + t["misfit_slope"] * t["per_bin_few"]) / t["chi2_few"] < 2
    # labels from the model itself: chi-square near 1 at any bin count
    good = ch.chi2_trend(ch.bin_scan(_observed(n=40000, seed=4).assign(split="train"), [20, 400], 5))
    assert good["chi2_few"] < 2.5 and abs(good["misfit_slope"]) < 1e-3
    assert np.isnan(ch.chi2_trend(scan.iloc[:0])["chi2_few"])


def test_recovery_word_uses_the_scorecards_rule():
    assert ch.recovery_word(9.0, 0.3, 8.5, 0.2) == "recovered"
    assert ch.recovery_word(9.8, 0.3, 8.5, 0.16) == "over-estimated"
    assert ch.recovery_word(7.5, 0.2, 8.5, 0.16) == "under-estimated"
    assert ch.recovery_word(9.0, 0.3, np.nan, np.nan) == "not measured"


@functools.cache
def _synthetic_survey_fit():
    """Labels, the unbalanced training pool and the theta fits of a small synthetic survey
    (cached: the tests only read them)."""
    c = cat_mod.add_derived(synthetic_catalog(6000, seed=0))
    c["eval_sample"] = np.random.default_rng(0).random(len(c)) < 0.3
    labels = lab.make_labels(c, seed=0)
    pool = lab.unbalanced_training_pool(c, labels)
    res = ch.fit_training_theta(labels, n_bins=20, n_boot=5, seed=0, pool=pool)
    return labels, pool, res


def test_verdict_on_a_synthetic_survey():
    labels, _, res = _synthetic_survey_fit()
    v = ch.verdict(res)
    assert v["word_truth"] in ("recovered", "over-estimated", "under-estimated")
    assert v["word_paper"] in ("below", "close to", "above")
    assert v["rel_paper"] == pytest.approx(res.fit.theta / PAPER_THETA["ddb"] - 1)
    s = np.hypot(res.fit.theta_std, res.volunteers.theta_std)
    assert v["z_truth"] == pytest.approx(abs(res.fit.theta - res.volunteers.theta) / s)
    assert v["word_fs"] in ("below", "within the noise of", "above")
    # without the truth
    no_truth = ch.fit_training_theta(labels.assign(truth=pd.array([pd.NA] * len(labels), dtype="Int8")),
                                     n_bins=20, n_boot=3, seed=0)
    assert ch.verdict(no_truth)["word_truth"] == "not measured"


def test_verdict_sentences_sort_the_claims():
    labels, pool, res = _synthetic_survey_fit()
    v = ch.verdict(res)
    scan = ch.bin_scan(labels, [10, 20, 40], 5, pool=pool)
    scans = {s: ch.scan_words(scan[scan["sample"] == s], sd)
             for s, sd in ((ch.UNBALANCED, res.fit.theta_std), (ch.BALANCED, res.balanced.theta_std))}
    trends = {s: ch.chi2_trend(scan[scan["sample"] == s]) for s in scans}
    out = ch.verdict_sentences(res, v, scans, trends)
    text = out["verdict_agree"] + " " + out["verdict_disagree"]
    assert "The adopted fit" in text and "Against the paper" in text and "The binning" in text
    where = out["verdict_agree"] if v["word_truth"] == "recovered" else out["verdict_disagree"]
    assert "The adopted fit" in where
    assert out["summary_bins"].startswith("on this run the adopted θ ") and v["word_truth"] in out["summary_truth"]
    # a scan that moves theta by much more than its spread lands among the disagreements
    wild = {ch.UNBALANCED: {"range": 1.0, "sd": 0.1, "word": "larger than", "stable_from": 20,
                            "depends": "depends on the number of bins"}}
    out2 = ch.verdict_sentences(res, v, wild, {ch.UNBALANCED: trends[ch.UNBALANCED]})
    assert "The binning" in out2["verdict_disagree"] and "from 20 bins on" in out2["verdict_disagree"]
    assert out2["summary_bins"] == "on this run the adopted θ depends on the number of bins"
    assert ch.PAPER_PER_BIN == pytest.approx(97_600 / 1525)


def test_paper_binning_words():
    w = ch.paper_binning_words({"misfit_slope": 0.04})
    assert w["chi2_at_paper"] == pytest.approx(1 + 0.04 * ch.PAPER_PER_BIN)
    assert w["paper_binning"] == "would still show the misfit"
    assert w["chi2_paper_sd"] == pytest.approx(np.sqrt(2 / 1523))
    assert ch.paper_binning_words({"misfit_slope": 1e-5})["paper_binning"] == "would hide the misfit"
    assert ch.paper_binning_words({})["paper_binning"] == "not measured"


@functools.cache
def _chapter_run():
    """The synthetic survey's fits, bin scan, shape fit and DCV14, as the chapter makes them."""
    from galbias.methods.bias import fit_bias_shape

    labels, pool, res = _synthetic_survey_fit()
    scan = ch.bin_scan(labels, [10, 20, 40], 5, pool=pool)
    shape = fit_bias_shape(pool["alpha"].to_numpy(), pool["gz2b"].to_numpy(), n_boot=3, seed=0)
    # a stand-in for DCV14's result (the synthetic labels carry no Sérsic features) and its test predictions
    dc = SimpleNamespace(theta=7.5, n_iter=4, loglik_trace=[-900.0, -850.0, -840.0, -838.0, -837.5])
    test = labels[labels["split"] == "test"]
    pred = pd.DataFrame({"id": np.arange(len(test) + 2), "split": ["test"] * len(test) + ["eval", "eval"],
                         "dcv14": pd.array([1, 0] * (len(test) // 2) + [1] * (len(test) % 2) + [1, 1], dtype="Int8")})
    return labels, pool, res, scan, shape, dc, pred


def test_fit_numbers():
    _, _, res = _synthetic_survey_fit()
    n = ch.fit_numbers(res)
    fit, bal = res.fit, res.balanced
    assert n["theta"] == fit.theta and n["theta_bal"] == bal.theta and n["paper_theta"] == PAPER_THETA["ddb"]
    assert n["per_bin"] == pytest.approx(fit.n_objects / fit.n_bins)
    assert n["d_theta_sigma"] == pytest.approx(abs(fit.theta - bal.theta) / np.hypot(fit.theta_std, bal.theta_std))
    assert {"f_s", "f_d", "n_bins", "n_train", "red_chi2", "theta_std", "theta_bal_std", "n_bal", "f_s_bal"} <= set(n)


def test_scan_summaries_and_numbers():
    _, _, res, scan, *_ = _chapter_run()
    scans, trends = ch.scan_summaries(scan, res)
    assert list(scans) == list(trends) == [ch.UNBALANCED, ch.BALANCED]
    unb = scan[scan["sample"] == ch.UNBALANCED]
    assert scans[ch.UNBALANCED] == ch.scan_words(unb, res.fit.theta_std)
    assert trends[ch.BALANCED]["chi2_few"] == ch.chi2_trend(scan[scan["sample"] == ch.BALANCED])["chi2_few"]
    n = ch.scan_numbers(scan, scans, trends, res.fit)
    assert n["bins_scan_min"] == 10 and n["bins_scan_max"] == 40
    assert n["theta_scan_min"] == pytest.approx(unb["theta"].min())
    assert n["scan_word_unb"] == scans[ch.UNBALANCED]["word"]
    assert n["summary_bins_short"] == scans[ch.UNBALANCED]["depends"]
    assert n["chi2_at_paper_bal"] == ch.paper_binning_words(trends[ch.BALANCED])["chi2_at_paper"]
    assert n["bins_like_paper"] == max(2, round(res.fit.n_objects / ch.PAPER_PER_BIN))
    # a scan of the balanced split alone: the unbalanced numbers are missing, not wrong
    only = scan[scan["sample"] == ch.BALANCED]
    s1, t1 = ch.scan_summaries(only, res)
    n1 = ch.scan_numbers(only, s1, t1, res.fit)
    assert n1["scan_word_unb"] == "not measured" and np.isnan(n1["chi2_few_unb"])
    assert n1["summary_bins_short"] == s1[ch.BALANCED]["depends"]
    t = ch.scan_table(scan)
    assert t.index.names == ["sample", "n_bins"]
    assert list(t.columns) == ["objects_per_bin", "theta", "f_s", "reduced_chi2"] and len(t) == len(scan)
    assert ch.SCAN_CAPTION.startswith("Table 3.1.") and ch.COMPARISON_CAPTION.startswith("Table 3.2.")


def test_shape_dcv14_and_truth_numbers():
    labels, _, res, _, shape, dc, pred = _chapter_run()
    s = ch.shape_numbers(shape, 3)
    assert s["shape_k"] == shape.k and s["shape_boot"] == 3 and s["shape_daic"] == shape.delta_aic
    d = ch.dcv14_numbers(dc, pred, labels)
    assert d["theta_dcv14"] == dc.theta and d["dcv14_iter"] == dc.n_iter
    assert d["paper_theta_dcv14"] == PAPER_THETA["dcv14"]
    n_test = int((labels["split"] == "test").sum())
    assert d["dcv14_disk_frac"] == pytest.approx(((n_test + 1) // 2) / n_test)  # the eval rows are not counted
    assert d["gz2b_disk_frac_test"] == pytest.approx((labels.loc[labels["split"] == "test", "gz2b"] == 1).mean())
    t = ch.truth_numbers(res)
    assert t["theta_true"] == res.volunteers.theta and t["true_fs"] == res.true_f_s
    no_truth = ch.fit_training_theta(labels.assign(truth=pd.array([pd.NA] * len(labels), dtype="Int8")),
                                     n_bins=20, n_boot=3, seed=0)
    assert np.isnan(ch.truth_numbers(no_truth)["theta_true"])


def test_alpha_grid():
    g = ch.alpha_grid(pd.DataFrame({"alpha_mid": [4.0, 2.0, 40.0]}), n=5)
    assert len(g) == 5 and g[0] == pytest.approx(2.0) and g[-1] == pytest.approx(40.0)
    assert np.allclose(np.diff(np.log10(g)), np.log10(20) / 4)


def test_chapter_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, pool, res, scan, shape, dc, _ = _chapter_run()
    fig = thetaplots.fit_figure(res.fit)
    ax, axr = fig.axes
    assert ax.get_ylabel() == "fraction labelled smooth" and axr.get_ylabel() == "obs − model"
    assert len(ax.lines) == 3 and ax.get_ylim() == pytest.approx((0, 1.02))  # points, curve, f_s line
    assert len(ax.lines[0].get_xdata()) == res.fit.n_bins
    fig2 = thetaplots.bins_figure(scan, res)
    left, right = fig2.axes
    assert [line.get_label() for line in left.lines] == [ch.UNBALANCED, ch.BALANCED]
    assert right.get_xscale() == right.get_yscale() == "log" and right.get_ylabel() == r"reduced $\chi^2$"
    fig3 = thetaplots.shape_figure(pool, shape, ch.alpha_grid(res.fit.curve), n_bins=30)
    top, resid = fig3.axes
    labels = [t.get_text() for t in top.get_legend().get_texts()]
    assert labels[0].startswith("half-Gaussian (k = 2)") and labels[-1] == "GZ2B, 30 bins"
    assert len(resid.lines) == 3  # two residual curves and the zero line
    fig4 = thetaplots.dcv14_trace_figure(dc)
    assert len(fig4.axes[0].lines[0].get_ydata()) == len(dc.loglik_trace)
    assert fig4.axes[0].get_xlabel() == "EM iteration"
    for f in (fig, fig2, fig3, fig4):
        plt.close(f)
