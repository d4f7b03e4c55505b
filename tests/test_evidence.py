"""Tests of the evidence tools of chapters 3-5: the unbalanced theta fit, seeds and truth curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import synthetic_catalog
from galbias.data import catalog as cat_mod
from galbias.data import labels as lab
from galbias.methods.bias import bias_probability
from galbias.results import networks
from galbias.results.curves import truth_curves
from galbias.results.frames import FrameError
from galbias.results.theta import THETA_SAMPLE, comparison_table, fit_training_theta


def _catalog(n=6000, seed=0):
    c = cat_mod.add_derived(synthetic_catalog(n, seed=seed))
    c["eval_sample"] = np.random.default_rng(seed).random(n) < 0.3
    return c


def test_unbalanced_pool_is_train_plus_what_balancing_left_out():
    c = _catalog()
    labels = lab.make_labels(c, seed=0)
    pool = lab.unbalanced_training_pool(c, labels)
    held = set(labels.loc[labels["split"].isin(["val", "test", "eval"]), "id"])
    train = set(labels.loc[labels["split"] == "train", "id"])
    assert not held & set(pool["id"]) and train <= set(pool["id"])
    assert len(pool) > len(train)  # balancing dropped some galaxies; the pool keeps them
    assert not set(c.loc[c["eval_sample"], "dr7objid"]) & set(pool["id"])
    # the pool is not balanced on GZ2B
    assert (pool["gz2b"] == 0).sum() != (pool["gz2b"] == 1).sum()
    with pytest.raises(cat_mod.CatalogError, match="'split'"):
        lab.unbalanced_training_pool(c, labels.drop(columns="split"))


def test_theta_is_fitted_on_both_samples_and_the_unbalanced_one_is_used():
    c = _catalog()
    labels = lab.make_labels(c, seed=0)
    pool = lab.unbalanced_training_pool(c, labels)
    res = fit_training_theta(labels, n_bins=20, n_boot=5, seed=0, pool=pool)
    d = res.to_dict()
    assert res.sample == THETA_SAMPLE == "unbalanced"
    assert d["theta"] == d["theta_unbalanced"] and d["n_objects"] == len(pool)
    assert d["n_balanced"] == int((labels["split"] == "train").sum()) and "reason" in d
    table = comparison_table(res, type("DC", (), {"theta": 9.0})())
    assert "used" in table.index[0] and table.iloc[0]["galaxies"] == len(pool)
    old = fit_training_theta(labels, n_bins=20, n_boot=0, seed=0)  # no pool: the balanced fit, as before
    assert old.sample == "train" and old.to_dict()["theta"] == d["theta_balanced"]


def test_members_names_and_seeds():
    class Cfg:
        seed = 100
    ms = networks.members(3)
    assert [m.name for m in ms[:3]] == ["ce_gz2b", "ce_gz2b_s1", "ce_gz2b_s2"]
    assert [m.seed(Cfg) for m in ms[:3]] == [100, 101, 102] and ms[-1].column == "p_disk_ddb_s2"
    with pytest.raises(ValueError, match="at least 1"):
        networks.members(0)
    t = pd.DataFrame({"network": ["x", "x", "y"], "seed": [0, 1, 0], "acc": [0.8, 0.9, 0.7]})
    s = networks.seed_spread(t)
    assert s.loc["x", "acc"] == "0.850 ± 0.071" and s.loc["y", "acc"] == "0.700" and s.loc["x", "seeds"] == 2


def _frame(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    alpha = rng.lognormal(np.log(10), 0.6, n)
    truth = (rng.random(n) < 0.6).astype(int)
    biased = np.where((truth == 1) & (rng.random(n) < bias_probability(alpha, 10.0)), 0, truth)
    return pd.DataFrame({"alpha": alpha, "truth": pd.array(truth, dtype="Int8"),
                         "gz2b": pd.array(biased, dtype="Int8"), "copy": pd.array(truth, dtype="Int8"),
                         "s0": pd.array(truth, dtype="Int8"),
                         "s1": pd.array(np.where(rng.random(n) < 0.1, 1 - truth, truth), dtype="Int8")})


def test_truth_curves_recall_and_excess():
    f = _frame()
    c = truth_curves(f, {"gz2b": ["gz2b"], "copy": ["copy"], "net": ["s0", "s1"]}, n_bins=5, n_boot=20)
    g = c[c["key"] == "gz2b"].sort_values("bin")
    cp = c[c["key"] == "copy"]
    assert np.allclose(cp["recall"], 1) and np.allclose(cp["excess"], 0) and np.allclose(cp["recall_sd"], 0)
    # the biased labels lose disks at low alpha: recall rises and the deficit shrinks with alpha
    assert g["recall"].iloc[0] < 0.6 < g["recall"].iloc[-1] and g["excess"].iloc[0] < -0.2
    assert (g["recall_sd"] > 0).all()
    expected = 1 - np.mean(bias_probability(f.loc[f["truth"] == 1, "alpha"].to_numpy(), 10.0))
    assert np.average(g["recall"], weights=g["n_disk"]) == pytest.approx(expected, abs=0.02)
    net = c[c["key"] == "net"]
    assert (net["n_seeds"] == 2).all() and (net["recall_sd"] > 0.02).all()  # the seeds disagree
    with pytest.raises(FrameError, match="simulated survey only"):
        truth_curves(f.assign(truth=pd.array([pd.NA] * len(f), dtype="Int8")), {"x": ["gz2b"]})
    with pytest.raises(FrameError, match="'nope'"):
        truth_curves(f, {"x": ["nope"]})


def test_colour_shape_predictability_and_class_mix():
    from galbias.compendium.config import get_profile
    from galbias.mock.population import draw_population, realism_choices
    from galbias.mock.volunteers import simulate_votes
    from galbias.results import survey

    cfg = get_profile("smoke", n_galaxies=3000, n_eval=0)
    pop = draw_population(cfg)
    cat = cat_mod.add_derived(pd.concat([pop, simulate_votes(pop, cfg)], axis=1))
    cat["sersic_e"] = 1 - cat["true_axis_ratio"]  # stands in for the measured ellipticity
    cat["sersic_n"] = cat["true_sersic_n"]
    table, nums = survey.predictability(cat, pop)
    assert set(table.index) == {"g − r colour (integrated)", "ellipticity (measured)", "Sérsic index (measured)",
                                "concentration R90/R50"}
    assert ((table["ROC AUC"] >= 0.5) & (table["ROC AUC"] <= 1)).all()
    # the best cut is never worse than always answering the majority class
    assert (table["best-cut accuracy"] >= table["majority-class accuracy"] - 1e-12).all()
    # realistic colours overlap: informative but not decisive
    assert 0.6 < nums["auc_colour"] < 0.99 and 0 < nums["smooth_e_above"] < nums["disk_e_above"]
    mix, mnums = survey.class_mix_by_alpha(cat, n_bins=5)
    assert mnums["mix_hi"] > mnums["mix_lo"] + 0.1  # the true disk fraction rises with alpha
    assert list(mix.columns) == [1, 2, 3, 4, 5]
    colours = survey.integrated_colour(pop)
    assert np.isnan(colours[pop["true_class"].to_numpy() == 2]).all()
    assert "source" in realism_choices().columns
    with pytest.raises(ValueError, match="simulated survey only"):
        survey.predictability(cat.drop(columns="true_class"))


def test_implied_disk_fractions_flag_impossible_bins():
    f = _frame(20000)
    f["gz2b"] = f["gz2b"].astype(float)
    t = networks.implied_disk_fractions(f.assign(p_disk_ddb=f["truth"].astype(float)), theta=10.0, n_bins=4)
    # with the true theta the implied fraction recovers the truth in every bin
    assert np.allclose(t["implied true disk fraction"], t["true disk fraction"], atol=0.05)
    t2 = networks.implied_disk_fractions(f, theta=25.0, n_bins=4)  # theta far too large
    assert (t2["implied true disk fraction"] > 1).any()


def test_stopping_words():
    from galbias.results import networks

    near = {"a": {"ddb_peak_acc": 0.91, "ddb_kept_acc": 0.908}, "b": {"ddb_peak_acc": 0.92, "ddb_kept_acc": 0.919}}
    w = networks.stopping_words(near)
    assert w["stop_cost_word"] == "costs little" and w["peak_word"].startswith("peaks at or near")
    far = {"a": {"ddb_peak_acc": 0.95, "ddb_kept_acc": 0.90}, "b": {"ddb_peak_acc": 0.95, "ddb_kept_acc": 0.905}}
    w = networks.stopping_words(far)
    assert w["peak_word"].startswith("peaks before") and "0.047" in w["stop_cost_word"]
    assert networks.stopping_words({"a": {"ddb_peak_acc": np.nan, "ddb_kept_acc": np.nan}})["stop_gap"] != 0


def test_low_bin_and_paper_words():
    from galbias.results import networks

    assert networks.low_bin_word(0.66, 0.49, 2000) == "overshoots"
    assert networks.low_bin_word(0.30, 0.49, 2000) == "falls short of"
    assert networks.low_bin_word(0.50, 0.49, 2000) == "matches"
    assert networks.low_bin_word(0.50, np.nan, 2000) == "cannot be compared with"
    assert networks.paper_accuracy_word(0.80, 0.01, 0.921, 1500) == "below"
    assert networks.paper_accuracy_word(0.915, 0.005, 0.921, 1500) == "close to"
    assert networks.paper_accuracy_word(0.97, 0.001, 0.921, 1500) == "above"
