"""Tests of chapter 3's verdict tools (galbias.results.theta): the bin scan on both samples,
the words saying whether theta depends on the binning, the chi-square trend, and theta against
the simulated volunteers' own and the paper's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_catalog

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


def test_verdict_on_a_synthetic_survey():
    c = cat_mod.add_derived(synthetic_catalog(6000, seed=0))
    c["eval_sample"] = np.random.default_rng(0).random(len(c)) < 0.3
    labels = lab.make_labels(c, seed=0)
    pool = lab.unbalanced_training_pool(c, labels)
    res = ch.fit_training_theta(labels, n_bins=20, n_boot=5, seed=0, pool=pool)
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
    c = cat_mod.add_derived(synthetic_catalog(6000, seed=0))
    c["eval_sample"] = np.random.default_rng(0).random(len(c)) < 0.3
    labels = lab.make_labels(c, seed=0)
    pool = lab.unbalanced_training_pool(c, labels)
    res = ch.fit_training_theta(labels, n_bins=20, n_boot=5, seed=0, pool=pool)
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
