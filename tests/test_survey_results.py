"""Tests of the words chapters 0 and 1 put in their text (galbias.results.survey,
galbias.results.labeling): each word is computed from the numbers and their noise, so the text
reads correctly whichever way a run comes out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from galbias.reference import PAPER_SAMPLE
from galbias.results import labeling, survey


def test_noise_word():
    assert survey.noise_word(0.1, 0.1) == "within the noise of"
    assert survey.noise_word(0.3, 0.1) == "above" and survey.noise_word(-0.3, 0.1) == "below"
    assert survey.noise_word(0.3, 0.1, k=5) == "within the noise of"
    # no noise: any difference counts
    assert survey.noise_word(1e-6, np.nan) == "above" and survey.noise_word(0.0, 0.0) == "within the noise of"
    assert survey.noise_word(np.nan, 0.1) == "not measured"
    assert survey.noise_word(-1, 0.1, words=("a", "b", "c")) == "a"


def test_relative_word():
    assert survey.relative_word(1.05, 1.0) == "close to"
    assert survey.relative_word(0.5, 1.0) == "smaller than" and survey.relative_word(2.0, 1.0) == "larger than"
    assert survey.relative_word(1.05, 1.0, tol=0.01) == "larger than"
    assert survey.relative_word(1.0, 0.0) == "not measured" and survey.relative_word(np.nan, 1.0) == "not measured"


def test_error_reduction_and_feature_words():
    assert survey.error_reduction(1.0, 0.6) == pytest.approx(1.0)
    assert survey.error_reduction(0.6, 0.6) == pytest.approx(0.0)
    assert survey.error_reduction(0.92, 0.6) == pytest.approx(0.8)
    assert np.isnan(survey.error_reduction(0.9, 1.0))
    assert survey.single_feature_word(0.9).startswith("sorts most")
    assert survey.single_feature_word(0.5).startswith("carries much")
    assert survey.single_feature_word(0.1).startswith("leaves the class")
    assert survey.single_feature_word(np.nan) == "was not measured"


def test_predictability_words_choose_the_conclusion():
    decisive = {"acc_majority": 0.64, "acc_colour": 0.95, "acc_shape": 0.69}
    w = survey.predictability_words(decisive)
    assert w["red_colour"] > survey.SORTS_MOST > w["red_shape"]
    assert "not hidden" in w["predict_conclusion"] and "colour" in w["predict_conclusion"]
    vague = {"acc_majority": 0.64, "acc_colour": 0.70, "acc_shape": 0.69}
    assert survey.predictability_words(vague)["predict_conclusion"].startswith("Neither gives the class away")
    by_shape = survey.predictability_words({"acc_majority": 0.6, "acc_colour": 0.7, "acc_shape": 0.97})
    assert "measured shape" in by_shape["predict_conclusion"]
    assert "cannot be measured" in survey.predictability_words({})["predict_conclusion"]


def test_calibration_words_read_the_medians():
    cols = pd.MultiIndex.from_product([["p5", "p50"], ["this survey", "SDSS reference"]])
    t = pd.DataFrame([[1, 1, 1.32, 1.30], [1, 1, 4.4, 9.9], [1, 1, 7.8, 17.7]],
                     index=["psfWidth_r", "petroRad_r", "alpha"], columns=cols)
    w = survey.calibration_words(t)
    assert w["calib_psf"] == "close to" and w["calib_size"] == "smaller than" and w["calib_alpha"] == "smaller than"
    assert w["ratio_alpha"] == pytest.approx(7.8 / 17.7) and w["calib_tol"] == survey.CALIB_TOLERANCE


def _catalog(n=2000, seed=0, p_miss=0.5):
    """A catalog with votes: true disks get a smooth majority with probability ``p_miss``."""
    rng = np.random.default_rng(seed)
    true = rng.choice([0, 1, 2], size=n, p=[0.35, 0.62, 0.03])
    smooth = np.where(true == 0, 0.8, np.where(true == 1, np.where(rng.random(n) < p_miss, 0.7, 0.2), 0.05))
    star = np.where(true == 2, 0.9, 0.02)
    feat = np.clip(1 - smooth - star, 0, 1)
    pre = "t01_smooth_or_features_a0"
    cat = pd.DataFrame({"true_class": true, "alpha": 10 ** rng.uniform(0.5, 1.5, n),
                        f"{pre}1_smooth_weighted_fraction": smooth, f"{pre}2_features_or_disk_weighted_fraction": feat,
                        f"{pre}3_star_or_artifact_weighted_fraction": star})
    return cat


def test_bias_words_compare_with_the_model_in_the_binomial_noise():
    cat = _catalog(p_miss=0.5)
    nums = {"missed_disks": 0.5, "mean_b_here": 0.72, "mean_b_sdss": 0.34, "theta_quick": 9.5, "paper_theta": 11.25}
    w = survey.bias_words(cat, nums)
    n_disk = int((cat["true_class"] == 1).sum())
    assert w["missed_sd"] == pytest.approx(np.sqrt(0.25 / n_disk))
    assert w["word_missed_vs_model"] == "lower than" and w["word_missed_vs_sdss"] == "higher than"
    assert w["word_theta_quick"] == "below"
    assert survey.bias_words(cat, {**nums, "mean_b_here": 0.5 + w["missed_sd"]})["word_missed_vs_model"] == \
        "within the noise of"
    assert survey.bias_words(cat, {**nums, "theta_quick": 11.0})["word_theta_quick"] == "close to"


def test_vote_fractions_by_alpha_is_tidy():
    cat = _catalog()
    t = survey.vote_fractions_by_alpha(cat)
    assert len(t) == int((cat["true_class"] != 2).sum())
    assert set(t["true_class"]) == {"true smooth", "true disk"}
    counts = t["tercile"].value_counts()
    assert list(t["tercile"].cat.categories) == list(survey.TERCILES) and counts.max() - counts.min() <= 1
    lo = t[t["tercile"] == survey.TERCILES[0]]["alpha"].max()
    assert lo <= t[t["tercile"] == survey.TERCILES[1]]["alpha"].min()
    no_truth = survey.vote_fractions_by_alpha(cat.drop(columns="true_class"))
    assert set(no_truth["true_class"]) == {"all galaxies"}


# --------------------------------------------------------------------------------------
# chapter 1
# --------------------------------------------------------------------------------------

def _labels(n=4000, seed=1, miss_b=0.45, miss_d=0.35, truth=True, gap=True):
    """A balanced-ish sample plus an evaluation sample.  True disks get a GZ2B smooth label with
    probability ``miss_b`` and GZ2D a smooth label with ``miss_d`` (GZ2D's misses a subset of
    GZ2B's); with ``gap``, the labelled-smooth disks are the poorly resolved ones."""
    rng = np.random.default_rng(seed)
    split = rng.choice(["train", "val", "test", "eval"], size=n, p=[0.48, 0.06, 0.06, 0.40])
    true = rng.choice([0, 1], size=n, p=[0.4, 0.6])
    alpha = 10 ** rng.uniform(0.5, 1.5, n)
    u = rng.random(n)
    if gap:  # the misses are the least resolved disks
        r = pd.Series(alpha).rank(pct=True).to_numpy()
        u = 0.7 * r + 0.3 * u
        u = pd.Series(u).rank(pct=True).to_numpy()
    gz2b = np.where(true == 1, (u >= miss_b).astype(int), 0)
    gz2d = np.where(true == 1, (u >= miss_d).astype(int), 0)
    return pd.DataFrame({"id": np.arange(n), "split": split, "alpha": alpha, "gz2b": gz2b, "gz2d": gz2d,
                         "truth": pd.array(true if truth else [pd.NA] * n, dtype="Int8")})


def test_summary_counts_the_balanced_sample_without_the_evaluation_sample():
    labels = _labels()
    cat = _catalog()
    s = labeling.summary(cat, labels)
    assert s["n_sample"] == s["n_train"] + s["n_val"] + s["n_test"]
    assert s["n_eval"] == int((labels["split"] == "eval").sum()) > 0
    assert s["n_sample"] + s["n_eval"] == len(labels)


def test_alpha_gap_words():
    labels = _labels(gap=True)
    g = labeling.alpha_gap(labels, n_boot=100, seed=0)
    assert g["gap_b"] > g["gap_d"] > g["gap_t"] > 0.9
    assert g["gap_word_b"] == "wider than" and g["gap_sd_b"] > 0
    # labels equal to the truth separate the classes exactly as much as the truth
    same = labels.assign(gz2b=labels["truth"].astype(int))
    assert labeling.alpha_gap(same, n_boot=50)["gap_word_b"] == "about as wide as"
    no_truth = labeling.alpha_gap(_labels(truth=False), n_boot=50)
    assert np.isnan(no_truth["gap_t"]) and no_truth["gap_word_b"] == "not measured"


def test_verdict_direction_of_gz2d():
    v = labeling.verdict(_labels(miss_b=0.45, miss_d=0.35))
    assert v["miss_diff"] < 0 and v["word_gz2d"] == "agrees"
    assert v["paper_smooth_share"] == pytest.approx(PAPER_SAMPLE["smooth"] / PAPER_SAMPLE["n"])
    assert v["paper_cv18_b"] > v["paper_cv18_d"]
    assert labeling.verdict(_labels(miss_b=0.40, miss_d=0.40))["word_gz2d"] == "within the noise"
    worse = _labels(miss_b=0.35, miss_d=0.45)
    assert labeling.verdict(worse)["word_gz2d"] == "does not agree"
    assert labeling.verdict(_labels(truth=False))["word_gz2d"] == "not measured"


def test_verdict_split_fractions():
    labels = _labels()
    v = labeling.verdict(labels)
    s = labels[labels["split"].isin(labeling.SAMPLE_SPLITS)]
    assert v["split_train"] == pytest.approx((s["split"] == "train").mean())
    assert v["paper_split_train"] == pytest.approx(0.8, abs=1e-3)
    exact = pd.DataFrame({"split": ["train"] * 80 + ["val"] * 10 + ["test"] * 10, "gz2b": [0, 1] * 50,
                          "gz2d": [0, 1] * 50, "alpha": np.linspace(1, 10, 100),
                          "truth": pd.array([pd.NA] * 100, dtype="Int8")})
    assert labeling.verdict(exact)["word_split"] == "the same as"
    assert v["word_split"] in ("the same as", "different from")


def test_verdict_sentences_sort_the_claims():
    labels = _labels(miss_b=0.45, miss_d=0.35)
    sample = labeling.balanced_sample(labels)
    v, truth = labeling.verdict(labels), labeling.truth_agreement(sample)
    s = labeling.verdict_sentences(v, truth)
    assert "GZ2D against GZ2B" in s["verdict_agree"] and "agrees with that ranking" in s["verdict_agree"]
    worse = _labels(miss_b=0.35, miss_d=0.45)
    w = labeling.verdict_sentences(labeling.verdict(worse), labeling.truth_agreement(labeling.balanced_sample(worse)))
    assert "GZ2D against GZ2B" in w["verdict_disagree"] and "misses more disks" in w["verdict_disagree"]
    assert "does not agree with" in w["verdict_summary"]
    none = labeling.verdict_sentences(labeling.verdict(_labels(truth=False)), {})
    assert "GZ2D" not in none["verdict_agree"] + none["verdict_disagree"] and "GZ2D" not in none["verdict_summary"]


def test_sort_claims():
    assert survey.sort_claims([(True, "a."), (False, "b."), (True, "c.")]) == ("a. c.", "b.")
    assert survey.sort_claims([(True, "a.")], none="none.") == ("a.", "none.")


def test_mix_words():
    w = survey.mix_words({"mix_lo": 0.41, "mix_hi": 0.81, "mix_range_halves": 0.37})
    assert w["mix_word"] == "rises" and "would change" in w["mix_consequence"]
    assert w["mix_conditioning"].startswith("conditioning on one of them")
    assert survey.mix_words({"mix_lo": 0.4, "mix_hi": 0.8, "mix_range_halves": 0.1})["mix_conditioning"].startswith(
        "most of the trend")
    assert survey.mix_words({"mix_lo": 0.4, "mix_hi": 0.8, "mix_range_halves": 0.25})["mix_conditioning"].startswith(
        "some of the trend")
    flat = survey.mix_words({"mix_lo": 0.67, "mix_hi": 0.69, "mix_range_halves": 0.2})
    assert flat["mix_word"] == "stays about the same" and "hardly change" in flat["mix_consequence"]
    assert survey.mix_words({"mix_lo": 0.8, "mix_hi": 0.4, "mix_range_halves": 0.1})["mix_word"] == "falls"
    assert "not measured" in survey.mix_words({"mix_lo": np.nan, "mix_hi": np.nan})["mix_consequence"]
