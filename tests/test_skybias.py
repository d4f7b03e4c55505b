"""Tests of galbias.skybias: data sets per region and class, the design, the statistics, the
network's determinism and the experiment plumbing, on tiny synthetic tables and images."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from galbias.core import artifacts
from galbias.data.catalog import ANSWERS
from galbias.data.regions import assign_region
from galbias.reference import DS_CONFUSION, DS_REPEATS, DS_SETUP, DS_TABLE1, DS_TABLE16
from galbias.results import skybias
from galbias.results.networks import NETWORKS


def make_sample(n_per_group=(30, 22, 40, 25), seed=0) -> pd.DataFrame:
    """Regions 1-4; region r has n_per_group[r-1] ellipticals and 1.5x as many spirals."""
    rows = []
    for r, n in enumerate(n_per_group, start=1):
        rows += [(r, 0)] * n + [(r, 1)] * int(1.5 * n)
    rng = np.random.default_rng(seed)
    rng.shuffle(rows)
    df = pd.DataFrame(rows, columns=["region", "y"])
    df.insert(0, "id", np.arange(len(df)) + 1000)
    df["file_loc"] = [f"images/{i}.png" for i in df["id"]]
    return df


def make_images(sample: pd.DataFrame, size=16, seed=0) -> np.ndarray:
    """Spirals are blue-ish blobs, ellipticals red-ish; the background noise grows with the
    region number (so a network *could* tell the regions apart)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    blob = np.exp(-(xx**2 + yy**2) / (2 * 3.0**2))[..., None]
    out = np.empty((len(sample), size, size, 3), np.uint8)
    for i, (r, y) in enumerate(zip(sample["region"], sample["y"])):
        colour = np.array([90.0, 130.0, 220.0]) if y else np.array([220.0, 130.0, 90.0])
        img = 20 + colour * blob + rng.normal(0, 4 * r, (size, size, 3))
        out[i] = np.clip(img, 0, 255).astype(np.uint8)
    return out


# --- data ----------------------------------------------------------------------------------------

def test_scaled_counts_follow_table1_proportion():
    s = make_sample()
    assert skybias.scaled_counts(s, [1, 2, 3, 4]) == (6, 16)  # smallest group 22: round(22 * 3/11) = 6
    assert skybias.scaled_counts(s, [1, 3]) == (8, 22)  # smallest 30
    assert skybias.scaled_counts(s, [1, 2, 3, 4], max_per_class=11) == (3, 8)
    assert skybias.scaled_counts(s, [3], train_fraction=0.5) == (20, 20)
    with pytest.raises(ValueError):
        skybias.scaled_counts(s, [1], train_fraction=1.0)
    with pytest.raises(ValueError):
        skybias.scaled_counts(s.iloc[:3], [1])


def test_draw_split_disjoint_counts_and_seeded():
    s = make_sample()
    sp = skybias.draw_split(s, 6, 16, seed=3)
    counts = sp[sp["part"] != ""].groupby(["region", "y", "part"]).size()
    for r in (1, 2, 3, 4):
        for c in (0, 1):
            assert counts[(r, c, "train")] == 6 and counts[(r, c, "test")] == 16
    train_ids = set(sp.loc[sp["part"] == "train", "id"])
    test_ids = set(sp.loc[sp["part"] == "test", "id"])
    assert not train_ids & test_ids
    again = skybias.draw_split(s, 6, 16, seed=3)
    assert again["part"].tolist() == sp["part"].tolist()
    other = skybias.draw_split(s, 6, 16, seed=4)
    assert other["part"].tolist() != sp["part"].tolist()
    # a group's draw does not depend on which other regions are drawn
    only1 = skybias.draw_split(s, 6, 16, seed=3, regions=[1])
    m = s["region"] == 1
    assert only1.loc[m, "part"].tolist() == sp.loc[m, "part"].tolist()
    with pytest.raises(ValueError):
        skybias.draw_split(s, 20, 20, seed=0)


def test_training_and_test_rows():
    s = make_sample()
    sp = skybias.draw_split(s, 6, 16, seed=1)
    rows = skybias.training_rows(sp, (1,), (2,))
    t = sp.iloc[rows]
    assert (t["part"] == "train").all()
    assert set(t.loc[t["y"] == 1, "region"]) == {1} and set(t.loc[t["y"] == 0, "region"]) == {2}
    assert (t["y"] == 1).sum() == 6 and (t["y"] == 0).sum() == 6
    union = sp.iloc[skybias.training_rows(sp, (1, 2, 3), (1, 2, 3))]
    assert len(union) == 36 and union.groupby(["region", "y"]).size().eq(6).all()
    mix = sp.iloc[skybias.training_rows(sp, (1, 2), (1, 2), mode="mix")]
    assert (mix["y"] == 1).sum() == 6 and (mix["y"] == 0).sum() == 6
    assert mix.groupby(["y", "region"]).size().eq(3).all()
    te = skybias.test_rows(sp, (1,))
    assert len(te) == 32 and (sp.iloc[te]["region"] == 1).all() and (sp.iloc[te]["part"] == "test").all()
    assert not set(te) & set(skybias.training_rows(sp, (1,), (1,)))
    with pytest.raises(ValueError):
        skybias.training_rows(sp, (1,), (2,), mode="other")


def test_galaxy_sample_and_assign_region():
    cat = pd.DataFrame({"dr7objid": [1, 2, 3, 4], "file_loc": list("abcd"), "true_class": [0, 1, 2, 1],
                        "region": [1, 2, 3, 4], "ra": 0.0, "dec": 0.0})
    s = skybias.galaxy_sample(cat)
    assert s["id"].tolist() == [1, 2, 4] and s["y"].tolist() == [0, 1, 1] and s["region"].tolist() == [1, 2, 4]
    ra = np.array([10.0, 190.0, 190.0, 250.0, 100.0])
    dec = np.array([10.0, 10.0, 30.0, 20.0, 10.0])
    assert assign_region(ra, dec).tolist() == [1, 2, 3, 4, 0]
    with pytest.raises(KeyError):
        skybias.galaxy_sample(cat.drop(columns="true_class"))


# --- design ------------------------------------------------------------------------------------------

def test_design_covers_paper_tables_with_references():
    trainings, exps = skybias.design()
    tr = {t.key: t for t in trainings}
    by_table = {e.table: e for e in exps if e.table is not None}
    assert sorted(by_table) == list(range(3, 16))
    names = {e.name for e in exps}
    for tab, e in by_table.items():
        pc = DS_CONFUSION.loc[tab]
        t = tr[e.training]
        to_regions = lambda s: tuple(skybias.PAPER_REGION[x] for x in s.split("+"))  # noqa: E731
        assert t.spiral == to_regions(pc["train_spiral"]) and t.elliptical == to_regions(pc["train_elliptical"])
        assert e.test == to_regions(pc["test"])
    for e in exps:
        if e.reference is not None:
            assert e.reference in names and e.reference != e.name
            ref = next(x for x in exps if x.name == e.reference)
            assert ref.test == e.test and tr[ref.training].spiral == tr[ref.training].elliptical == e.test
    assert set(skybias.core_trainings(trainings)) <= set(tr)
    assert skybias.favoured((1,), (2,), (1,)) == "spiral"
    assert skybias.favoured((1,), (2,), (2,)) == "elliptical"
    assert skybias.favoured((1, 2), (1, 2), (1,)) == "neither"


def test_paper_constants_are_consistent():
    ps = skybias.paper_summary()
    assert np.allclose(ps["p_spiral"], DS_TABLE16["p_spiral"], atol=0.006)
    assert (ps.loc[ps.index != 5, ["tn", "fp", "fn", "tp"]].sum(axis=1).isin([16000, 6000])).all()
    assert ps.loc[6, "delta"] == pytest.approx((251 + 7592 - 150 - 7244) / 16000)


# --- statistics --------------------------------------------------------------------------------------

def test_confusion_counts():
    cm = skybias.confusion([0, 0, 0, 1, 1, 1, 1], [0, 1, 0, 1, 0, 1, 1])
    assert cm == {"tn": 2, "fp": 1, "fn": 1, "tp": 3}
    with pytest.raises(ValueError):
        skybias.confusion([0, 2], [0, 1])
    with pytest.raises(ValueError):
        skybias.confusion([0, 1], [0])


def test_binom_pvalue_against_scipy_and_by_hand():
    assert skybias.binom_pvalue(0, 3, 0.5) == pytest.approx(0.25)  # P(0) + P(3) = 1/8 + 1/8
    assert skybias.binom_pvalue(1, 3, 0.5, alternative="less") == pytest.approx(0.5)  # (1 + 3) / 8
    for k, n, p in [(7394, 16000, 0.4902), (209, 8000, 301 / 8000), (40, 100, 0.3)]:
        assert skybias.binom_pvalue(k, n, p) == pytest.approx(stats.binomtest(k, n, p).pvalue)
    assert skybias.binom_pvalue(7394, 16000, 0.4902, alternative="less") < 1e-5  # Dhar & Shamir's P < 1e-5
    assert np.isnan(skybias.binom_pvalue(1, 0, 0.5)) and np.isnan(skybias.binom_pvalue(1, 3, np.nan))
    # 8 or more of 10 at p = 1/2: (C(10,8) + C(10,9) + C(10,10)) / 2^10; two-sided doubles it (symmetric)
    assert skybias.binom_pvalue(8, 10, 0.5, alternative="greater") == pytest.approx(56 / 1024)
    assert skybias.binom_pvalue(8, 10, 0.5) == pytest.approx(112 / 1024)
    # 0 of 4 at p = 0.1, one-sided "less": 0.9^4
    assert skybias.binom_pvalue(0, 4, 0.1, alternative="less") == pytest.approx(0.9**4)


def _rows():
    base = dict(repeat=0, group="g", train_mode="union", table=pd.NA)
    return pd.DataFrame([
        {**base, "experiment": "s1e1->t1", "training": "s1e1", "train_spiral": "1", "train_elliptical": "1",
         "test_region": "1", "favoured": "neither", "tn": 90, "fp": 10, "fn": 20, "tp": 80, "reference": ""},
        {**base, "experiment": "s1e2->t1", "training": "s1e2", "train_spiral": "1", "train_elliptical": "2",
         "test_region": "1", "favoured": "spiral", "tn": 80, "fp": 20, "fn": 10, "tp": 90, "reference": "s1e1->t1"},
        {**base, "experiment": "s1e2->t2", "training": "s1e2", "train_spiral": "1", "train_elliptical": "2",
         "test_region": "2", "favoured": "elliptical", "tn": 95, "fp": 5, "fn": 25, "tp": 75, "reference": ""},
        {**base, "experiment": "s2e1->t1", "training": "s2e1", "train_spiral": "2", "train_elliptical": "1",
         "test_region": "1", "favoured": "elliptical", "tn": 95, "fp": 5, "fn": 30, "tp": 70, "reference": ""},
        {**base, "experiment": "s2e1->t2", "training": "s2e1", "train_spiral": "2", "train_elliptical": "1",
         "test_region": "2", "favoured": "spiral", "tn": 85, "fp": 15, "fn": 15, "tp": 85, "reference": ""},
    ]).assign(p_spiral=lambda d: (d["fp"] + d["tp"]) / 200, accuracy=lambda d: (d["tn"] + d["tp"]) / 200)


def test_add_binomial_tests():
    out = skybias.add_binomial_tests(_rows()).set_index("experiment")
    r = out.loc["s1e2->t1"]
    assert r["ref_p_spiral"] == pytest.approx(0.45) and r["delta_p_spiral"] == pytest.approx(0.55 - 0.45)
    assert r["p_value"] == pytest.approx(stats.binomtest(110, 200, 0.45).pvalue)
    assert r["p_value_fp"] == pytest.approx(stats.binomtest(20, 100, 0.10).pvalue)
    assert r["p_value_fn"] == pytest.approx(stats.binomtest(10, 100, 0.20).pvalue)
    assert np.isnan(out.loc["s1e1->t1", "p_value"])


def test_add_binomial_tests_flags_a_shift_and_not_its_absence():
    """A reference calls 500 of 1,000 galaxies spiral; an experiment that calls 565 spiral is
    flagged at the chapter's level, one that calls 505 is not."""
    base = dict(repeat=0, group="g", train_mode="union", table=pd.NA, train_spiral="1", test_region="1")

    def row(name, fp, tp, ref):
        return {**base, "experiment": name, "training": name.split("->")[0], "train_elliptical": "2",
                "favoured": "spiral", "tn": 500 - fp, "fp": fp, "fn": 500 - tp, "tp": tp, "reference": ref}

    df = pd.DataFrame([row("s1e1->t1", 25, 475, ""), row("shifted->t1", 75, 490, "s1e1->t1"),
                       row("same->t1", 27, 478, "s1e1->t1")]).assign(
        p_spiral=lambda d: (d["fp"] + d["tp"]) / 1000, accuracy=lambda d: (d["tn"] + d["tp"]) / 1000)
    out = skybias.add_binomial_tests(df).set_index("experiment")
    assert out.loc["shifted->t1", "p_value"] < skybias.SIGNIFICANCE
    assert out.loc["shifted->t1", "p_value_fp"] < skybias.SIGNIFICANCE  # 75 misclassified ellipticals vs 5 %
    assert out.loc["same->t1", "p_value"] > skybias.SIGNIFICANCE
    assert out.loc["same->t1", "p_value_fp"] > skybias.SIGNIFICANCE
    assert out.loc["shifted->t1", "delta_p_spiral"] == pytest.approx(0.065)
    assert out.loc["same->t1", "delta_p_spiral"] == pytest.approx(0.005)


def test_split_for_repeat_is_deterministic_disjoint_and_balanced():
    s = make_sample()
    a = skybias.split_for_repeat(s, 6, 16, seed=3, repeat=0)
    assert a["part"].tolist() == skybias.split_for_repeat(s, 6, 16, seed=3, repeat=0)["part"].tolist()
    assert a["part"].tolist() != skybias.split_for_repeat(s, 6, 16, seed=3, repeat=1)["part"].tolist()
    assert a["part"].tolist() != skybias.split_for_repeat(s, 6, 16, seed=4, repeat=0)["part"].tolist()
    for rep in (0, 1, 2):
        sp = skybias.split_for_repeat(s, 6, 16, seed=3, repeat=rep)
        assert not set(sp.loc[sp["part"] == "train", "id"]) & set(sp.loc[sp["part"] == "test", "id"])
        counts = sp[sp["part"] != ""].groupby(["region", "y", "part"]).size()
        assert len(counts) == 4 * 2 * 2
        assert all(counts[(r, c, "train")] == 6 and counts[(r, c, "test")] == 16 for r in (1, 2, 3, 4) for c in (0, 1))
    assert a["part"].tolist() == skybias.draw_split(s, 6, 16, seed=skybias.repeat_seeds(3, 0)["split"])["part"].tolist()
    only = skybias.split_for_repeat(s, 6, 16, seed=3, repeat=0, regions=[2, 3])
    assert set(only.loc[only["part"] != "", "region"]) == {2, 3}


def test_anisotropy_and_swap_contrast():
    an = skybias.anisotropy(_rows())
    a12 = an.set_index("training")
    assert a12.loc["s1e2", "delta"] == pytest.approx(0.55 - 0.40)
    assert a12.loc["s2e1", "delta"] == pytest.approx(0.375 - 0.50)
    assert a12.loc["s1e2", "p_value"] == pytest.approx(
        stats.chi2_contingency(np.array([[110, 90], [80, 120]]), correction=False)[1])
    sc = skybias.swap_contrast(an)
    assert len(sc) == 1
    assert sc["contrast"].iloc[0] == pytest.approx((0.15 - (-0.125)) / 2)
    assert sc["region_effect"].iloc[0] == pytest.approx((0.15 + (-0.125)) / 2)


def test_region_dependence():
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    p = np.array([1, 1, 0, 0, 1, 0, 0, 0])
    reg = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    tab, tests = skybias.region_dependence(y, p, reg)
    assert tab.loc[1, "pred_disk"] == 0.5 and tab.loc[2, "pred_disk"] == 0.25
    assert tab.loc[2, "recall_disk"] == 0.5 and tab.loc[1, "smooth_called_disk"] == 0.0
    assert tab.loc[1, "p_value"] == pytest.approx(stats.binomtest(2, 4, 3 / 8).pvalue)
    # predicted class against region, all galaxies: [[2, 2], [3, 1]], expected [[2.5, 1.5]] * 2 -> chi2 = 8/15
    assert tests["chi2_all"] == pytest.approx(stats.chi2.sf(8 / 15, df=1))
    # true disks only: [[0, 2], [1, 1]], expected [[0.5, 1.5]] * 2 -> chi2 = 4/3
    assert tests["chi2_disk"] == pytest.approx(stats.chi2.sf(4 / 3, df=1))
    assert tests["chi2_smooth"] == 1.0  # no true smooth galaxy is called disk in any region: no dependence


def test_background_stats_sees_the_noise():
    s = make_sample((10, 10, 10, 10))
    bg = skybias.background_stats(make_images(s), s["region"].to_numpy())
    assert bg["corner noise"].is_monotonic_increasing


# --- network -----------------------------------------------------------------------------------------

def test_train_cnn_is_deterministic_and_learns():
    s = make_sample((20, 20, 20, 20))
    x = skybias.prepare_images(make_images(s), px=16)
    y = s["y"].to_numpy()
    st = skybias.CNNSettings(px=16, width=4, dense=8, epochs=3, batch_size=16, lr=3e-3)
    state = torch.get_rng_state()
    with skybias.torch_threads(1):
        m1 = skybias.train_cnn(x, y, st, seed=5)
        m2 = skybias.train_cnn(x, y, st, seed=5)
        m3 = skybias.train_cnn(x, y, st, seed=6)
    assert torch.equal(torch.get_rng_state(), state)  # the global random state is untouched
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    assert any(not torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m3.state_dict().values()))
    p1 = skybias.predict_proba(m1, x)
    assert np.array_equal(p1, skybias.predict_proba(m2, x))
    assert ((p1 > 0.5) == y).mean() > 0.9


def test_prepare_images_block_average():
    img = np.zeros((1, 4, 4, 3), np.uint8)
    img[0, :2, :2] = 255
    x = skybias.prepare_images(img, px=2)
    assert x.shape == (1, 2, 2, 3) and x.dtype == np.uint8
    assert x[0, 0, 0, 0] == 255 and x[0, 1, 1, 0] == 0
    img[0, 0, 2] = 254   # a 2x2 block averaging to 63.5 rounds to 64 (to even: 63.5 -> 64)
    assert skybias.prepare_images(img, px=2)[0, 0, 1, 0] == 64
    assert skybias.prepare_images(img, px=8).shape == (1, 4, 4, 3)  # never up-sampled
    assert skybias.auto_epochs(1040, 32) == 15 and skybias.auto_epochs(94, 32) == 40


def test_run_experiments_plumbing_and_csv(tmp_path):
    s = make_sample((12, 12, 12, 12))
    imgs = make_images(s)
    trainings, exps = skybias.design()
    core = skybias.core_trainings(trainings)
    st = skybias.CNNSettings(px=16, width=4, dense=8, epochs=1, batch_size=16)
    n_train, n_test = skybias.scaled_counts(s, [1, 2, 3, 4])
    df = skybias.run_experiments(imgs, s, trainings, exps, n_train, n_test, st, n_repeats=2, seed=1,
                                 repeat_trainings=core)
    assert len(df[df["repeat"] == 0]) == len(exps)
    assert set(df.loc[df["repeat"] == 1, "training"]) == set(core)
    single = df[~df["test_region"].str.contains(r"\+")]
    assert (single["n_test_spiral"] == n_test).all() and (single["n_test_elliptical"] == n_test).all()
    assert (single[["tn", "fp", "fn", "tp"]].sum(axis=1) == 2 * n_test).all()
    assert ((df["tn"] + df["fp"]) == df["n_test_elliptical"]).all()
    comb = df[df["training"] == "s123e123"].iloc[0]
    assert comb["n_train_spiral"] == 3 * n_train
    assert (df.loc[df["training"] == "s12e12mix", "n_train_spiral"] == n_train).all()
    again = skybias.run_experiments(imgs, s, trainings, exps, n_train, n_test, st, n_repeats=2, seed=1,
                                    repeat_trainings=core)
    pd.testing.assert_frame_equal(df, again)

    res = skybias.add_binomial_tests(df)
    path = tmp_path / "skybias.csv"
    skybias.write_results(path, res, {"a": 1})
    assert artifacts.is_fresh(path, {"a": 1}, code="skybias") and not artifacts.is_fresh(path, {"a": 2}, code="skybias")
    back = skybias.read_results(path)
    assert list(back.columns) == skybias.CSV_COLUMNS and len(back) == len(res)
    assert back["test_region"].tolist() == res["test_region"].tolist()
    summ = skybias.summarize(back)
    assert len(summ) == len(exps) and summ.loc["s1e2->t1", "n_repeats"] == 2
    t16 = skybias.summary_table(summ)
    assert sorted(t16.index) == list(range(3, 16))
    with pytest.raises(KeyError):
        skybias.write_results(tmp_path / "bad.csv", df, {})


def test_dependence_verdict():
    nan = float("nan")
    v = skybias.dependence_verdict(1e-5, 1e-4, 0.5)
    assert "different share" in v and "inherits the labels' region dependence, and DDB does not" in v
    assert f"p < {skybias.SIGNIFICANCE:g}" in v
    assert "neither network" in skybias.dependence_verdict(0.5, 0.2, 0.3)
    assert "not measured" in skybias.dependence_verdict(0.5, nan, nan)
    # a region dependence among the true smooth galaxies counts too
    v = skybias.dependence_verdict(0.5, 1e-4, 0.5, p_ddb_smooth=1e-9)
    assert "DDB depends on the region among the true smooth galaxies" in v and "no significant" in v
    v = skybias.dependence_verdict(0.5, 1e-4, 1.0, constant=("ddb",))
    assert "DDB gives every galaxy the same class" in v
    assert "DDB could not be measured" in skybias.dependence_verdict(0.5, 1e-4, nan)


def test_class_region_pvalue():
    reg = np.array([1, 1, 2, 2, 3, 3])
    assert skybias.class_region_pvalue(np.ones(6), reg) == 1.0       # the same class everywhere: no dependence
    assert np.isnan(skybias.class_region_pvalue(np.ones(2), np.array([1, 1])))   # one region: undefined
    assert np.isnan(skybias.class_region_pvalue(np.zeros(0), np.zeros(0)))
    p = skybias.class_region_pvalue(np.array([1, 1, 0, 0, 1, 0]), reg)
    assert p == pytest.approx(stats.chi2_contingency([[0, 2], [2, 0], [1, 1]], correction=False)[1])


# --- the chapter's sections (report.py, beyond.py) ------------------------------------------------

def make_catalog(sample: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A catalog for ``sample``: the true class, intrinsic properties and weighted vote fractions
    (the volunteers call every true disk of region 1 smooth, all others correctly)."""
    rng = np.random.default_rng(seed)
    n = len(sample)
    disk_vote = np.where((sample["y"] == 1) & (sample["region"] != 1), 0.8, 0.1)
    cat = pd.DataFrame({"id": sample["id"], "file_loc": sample["file_loc"], "true_class": sample["y"],
                        "region": sample["region"], "z": rng.uniform(0.02, 0.2, n),
                        "true_abs_mag": rng.normal(-21, 1, n), "true_re_kpc": rng.lognormal(1, 0.3, n),
                        "true_sersic_n": rng.uniform(0.5, 5, n), "alpha": rng.lognormal(3, 0.5, n)})
    cat[f"{ANSWERS[0]}_weighted_fraction"] = 0.9 - disk_vote
    cat[f"{ANSWERS[1]}_weighted_fraction"] = disk_vote
    cat[f"{ANSWERS[2]}_weighted_fraction"] = 0.1
    return cat


def conditions_table() -> pd.DataFrame:
    return pd.DataFrame({"sky_r": [21.0, 20.9, 20.8, 20.7], "noise_factor": [1.0, 1.1, 1.2, 1.3],
                         "seeing_median": [1.2, 1.3, 1.4, 1.5], "star_density": [600.4, 900.0, 1200.0, 3000.0],
                         "ebv": [0.02, 0.03, 0.04, 0.07]}, index=pd.Index([1, 2, 3, 4], name="region"))


TINY_CNN = skybias.CNNSettings(px=16, width=4, dense=8, epochs=1, batch_size=16)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A two-repeat run of the whole design on 16-pixel images, through run_or_reuse."""
    s = make_sample((12, 12, 12, 12))
    images = make_images(s)
    setup, _, _ = skybias.experiment_setup(s, images.shape[1], n_repeats=2, epochs=1, cnn_px=16)
    setup = dataclasses.replace(setup, settings=TINY_CNN)
    path = tmp_path_factory.mktemp("run") / "skybias.csv"
    results, run_numbers = skybias.run_or_reuse(path, setup, images, s, seed=1)
    return {"sample": s, "images": images, "setup": setup, "path": path, "results": results,
            "run_numbers": run_numbers, "summary": skybias.summarize(results)}


def test_chapter_sample_picks_the_label_source():
    s = make_sample((5, 5, 5, 5))
    cat = make_catalog(s)
    sample, label, numbers = skybias.chapter_sample(cat)
    assert label == "truth" and len(sample) == len(cat) == numbers["n_sample"]
    assert numbers["label_source"] == skybias.LABEL_SOURCES["truth"]
    assert (numbers["region_A"], numbers["region_B"]) == (skybias.PAPER_REGION["A"], skybias.PAPER_REGION["B"])
    sample, label, numbers = skybias.chapter_sample(cat.drop(columns="true_class"))
    assert label == "votes" and numbers["label_source"] == skybias.LABEL_SOURCES["votes"]
    assert len(sample) == 0  # no vote fraction reaches 0.9 in this catalog


def test_region_overview():
    s = make_sample((10, 10, 10, 10))
    tab, numbers = skybias.region_overview(s, make_images(s), conditions_table())
    assert tab.index.tolist() == [1, 2, 3, 4]
    assert tab["ellipticals"].tolist() == [10] * 4 and tab["spirals"].tolist() == [15] * 4
    assert tab.loc[1, "Dhar & Shamir data set"] == "1 (and B)" and tab.loc[4, "Dhar & Shamir data set"] == "A"
    assert tab.loc[1, "stars / deg²"] == 600
    assert (numbers["noisiest"], numbers["quietest"], numbers["n_gal"]) == (4, 1, len(s))
    assert numbers["noise_ratio"] == pytest.approx(tab["corner noise"].max() / tab["corner noise"].min())
    assert numbers["noise_ratio"] > 1


def test_population_checks():
    s = make_sample((20, 20, 20, 20))
    pop, tests, numbers = skybias.population_checks(make_catalog(s), s)
    assert pop["galaxies"].tolist() == [50] * 4 and pop["galaxies"].dtype.kind == "i"
    ks = tests.drop(index="class mix (χ²)").to_numpy(float)
    assert numbers["n_ks"] == 16 and numbers["ks_min"] == pytest.approx(np.nanmin(ks))
    assert numbers["chi2_class"] == pytest.approx(1.0)  # the same class mix in every region


def test_experiment_setup():
    s = make_sample()
    setup, table, numbers = skybias.experiment_setup(s, image_px=16, n_repeats=4, epochs=None, cnn_px=32)
    assert (setup.n_train, setup.n_test) == skybias.scaled_counts(s, [1, 2, 3, 4]) == (6, 16)
    assert setup.settings.epochs == skybias.auto_epochs(12) and numbers["n_epochs"] == setup.settings.epochs
    assert numbers["in_px"] == 16 and numbers["image_px"] == 16  # never more than the images have
    assert numbers["n_params"] == sum(q.numel() for q in skybias.DSNet(16).parameters())
    assert setup.core == skybias.core_trainings(setup.trainings) and numbers["n_core"] == len(setup.core)
    assert numbers["n_experiments"] == len(setup.experiments) and numbers["n_repeats"] == 4
    assert numbers["paper_n_train"] == DS_TABLE1.loc["1", "train spiral"]
    assert numbers["paper_n_rep"] == DS_SETUP["n_repeats"]
    mine = table.loc["this survey (per region)"]
    assert mine.index.tolist() == ["1", "2", "3", "4"] and (mine["train spiral"] == 6).all()
    assert (mine["test elliptical"] == 16).all()
    assert table.loc["Dhar & Shamir (Table 1)"].equals(DS_TABLE1[mine.columns].astype(int))
    every, _, _ = skybias.experiment_setup(s, image_px=16, repeat_all=True, epochs=3)
    assert every.core == [t.key for t in every.trainings] and every.settings.epochs == 3
    params = setup.params(seed=7, image_crop=None)
    assert params["regions_AB"] == [4, 1] and params["n_train"] == 6 and params["cnn"]["px"] == 32
    assert params["repeat_seeds"] == [skybias.repeat_seeds(7, r) for r in range(4)]


def test_run_or_reuse(tiny_run):
    r = tiny_run
    assert r["run_numbers"]["reused"] == "trained in this run"
    params = {**r["setup"].params(1, None), "threads": torch.get_num_threads()}
    assert artifacts.is_fresh(r["path"], params, code="skybias")
    assert not artifacts.is_fresh(r["path"], {**params, "threads": params["threads"] + 1}, code="skybias")
    again, numbers = skybias.run_or_reuse(r["path"], r["setup"], r["images"], r["sample"], seed=1)
    assert numbers["reused"] == "reused from an earlier run"
    pd.testing.assert_frame_equal(again, r["results"])
    assert list(again.columns) == skybias.CSV_COLUMNS and set(again["repeat"]) == {0, 1}
    assert (again.groupby("repeat")["seed"].first() == [skybias.repeat_seeds(1, r)["init"] for r in (0, 1)]).all()


def test_confusion_panels(tiny_run):
    res = tiny_run["results"]
    show, titles, numbers = skybias.confusion_panels(res, [1, 2, 3, 4])
    assert show["table"].notna().sum() == 13
    assert set(show.loc[show["table"].isna(), "experiment"]) == {"s3e3->t3", "s4e4->t4"}
    assert titles["s1e2->t1"] == "T6: S1 E2 → 1" and titles["s3e3->t3"] == "S3 E3 → 3"
    r0 = res[res["repeat"] == 0].set_index("experiment")
    assert numbers["acc_base_2"] == r0.loc["s2e2->t2", "accuracy"]
    assert numbers["acc_min"] == r0["accuracy"].min() and numbers["acc_max"] == r0["accuracy"].max()
    assert numbers["paper_acc_t3"] == pytest.approx((7850 + 7244) / 16000)  # their Table 3
    assert numbers["paper_acc_t4"] == pytest.approx((7699 + 7550) / 16000)


def test_control_verdict_uses_the_named_limit():
    assert skybias.FALSE_ALARM_LIMIT == pytest.approx(3 * skybias.SIGNIFICANCE)
    assert skybias.control_verdict(0.2, 10).startswith("That is far more than 5 %")
    assert "not far above 5 %" in skybias.control_verdict(skybias.FALSE_ALARM_LIMIT, 10)
    assert "no control" in skybias.control_verdict(float("nan"), 0)


def test_binomial_summary():
    ref = "s1e1->t1"
    results = pd.DataFrame({
        "reference": [ref, ref, ref, ref, ref, ref, ""],
        "favoured": ["spiral", "elliptical", "elliptical", "spiral", "neither", "neither", "neither"],
        "delta_p_spiral": [0.1, -0.1, 0.05, 0.02, 0.01, -0.03, np.nan],
        "p_value": [0.01, 0.2, 1e-6, 0.5, 0.01, 0.02, np.nan]})
    summary = pd.DataFrame({"group": ["baseline", "baseline", "opposite"], "p_spiral_sd": [0.01, 0.03, 0.5]})
    n = skybias.binomial_summary(results, summary)
    assert (n["n_dir"], n["n_match"], n["n_ctrl"]) == (4, 3, 2)
    assert n["match_p"] == pytest.approx(10 / 16)  # two-sided sign test of 3 of 4
    assert n["frac_sig_conf"] == 0.5 and n["frac_p5_conf"] == 0.25
    assert n["frac_sig_ctrl"] == 1.0 and n["frac_p5_ctrl"] == 0.0
    assert n["ctrl_verdict"].startswith("That is far more")
    assert n["shift_abs"] == pytest.approx(0.0675)
    assert (n["base_sd_min"], n["base_sd_max"]) == (0.01, 0.03)
    assert n["significance"] == skybias.SIGNIFICANCE
    assert n["paper_t3_spiral"] == 150 + 7244 and n["paper_t7_fp"] == 209 and n["paper_n_test6"] == 16000


def test_table16_and_repeat_spread(tiny_run):
    res, summ = tiny_run["results"], tiny_run["summary"]
    t16, numbers = skybias.table16(summ)
    assert sorted(t16.index) == list(range(3, 16)) and numbers["n_t16"] == 13
    assert all(isinstance(v, str) for v in t16["binomial p (repeat 0)"])
    assert t16.loc[3, "binomial p (repeat 0)"] == "–"  # a same-region network has no reference
    rep, numbers = skybias.repeat_spread(res, summ)
    assert rep.index.tolist() == ["S1 E2 → 1", "S1 E2 → 2", "S1 E1 → 1", "S2 E2 → 2"]
    assert (rep["repeats"] == 2).all()
    fp = res.loc[res["experiment"] == "s1e2->t1", "fp"]
    assert rep.loc["S1 E2 → 1", "ellipticals missed: sd"] == pytest.approx(fp.std(ddof=1))
    assert rep.loc["S1 E2 → 1", "ellipticals missed: max"] == fp.max()
    assert numbers["paper_fp6"] == DS_REPEATS[6]["fp_mean"]
    assert numbers["paper_fp6_sd"] == pytest.approx(DS_REPEATS[6]["fp_pm"] * 10)  # sqrt(100) runs
    assert numbers["rep_sd_max"] == pytest.approx(rep["p(spiral) sd"].max())


def test_swap_section_and_verdicts():
    sc, tab, n = skybias.swap_section(_rows())
    assert tab.index.tolist() == ["1 vs 2"] and sc["pair"].tolist() == ["1 vs 2"]
    assert n["c_mean"] == pytest.approx((0.15 + 0.125) / 2) and n["c12"] == pytest.approx(n["c_mean"])
    assert (n["n_sc"], n["n_pos"], n["sign_p"]) == (1, 1, 1.0)
    assert np.isnan(n["c23"]) and n["n_rep23"] == 0 and n["n_bal"] == 0 and np.isnan(n["bal_abs"])
    assert n["swap_abs"] == pytest.approx((0.15 + 0.125) / 2) and n["n_test_2"] == 200
    assert n["frac_chi2_sig"] == 1.0  # both confounded networks: chi2 p = 0.0027 (s1e2) and 0.012 (s2e1)
    assert n["contrast_verdict"] == skybias.contrast_verdict(n["c_mean"], 1.0, 1)
    assert "not significant" in n["contrast_verdict"]
    assert "is there" in skybias.contrast_verdict(0.01, 0.001, 20)
    assert "does not show" in skybias.contrast_verdict(-0.01, 0.001, 20)
    assert "scatters around zero" in skybias.balance_verdict(0.01, 0.05, 0.4)
    assert "not clearly smaller" in skybias.balance_verdict(0.01, 0.05, 0.001)
    assert "not clearly smaller" in skybias.balance_verdict(0.06, 0.05, 0.4)


def test_dependence_tables():
    titles = {n.name: n.title for n in NETWORKS}
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    reg = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    series = {"truth": y, "GZ2B labels": np.array([1, 1, 0, 0, 1, 0, 0, 0]), titles["ddb"]: y}
    tab, ptab, n = skybias.dependence_tables(y, reg, series)
    assert tab["galaxies"].tolist() == [4, 4] and tab.loc[2, "GZ2B labels"] == 0.25
    assert tab.loc[2, "GZ2B labels: disks recovered"] == 0.5 and tab.loc[1, f"{titles['ddb']}: disks recovered"] == 1
    assert n["spread_truth"] == 0 and n["spread_gz2b"] == 0.25 and n["rspread_gz2b"] == 0.5 and n["worst_gz2b"] == 2
    assert n["spread_ddb"] == 0 and np.isnan(n["spread_ce"]) and np.isnan(n["p_ce_disk"])  # CE not given
    assert n["p_gz2b_disk"] == pytest.approx(stats.chi2.sf(4 / 3, df=1))
    assert set(ptab.index) == set(series) and "χ² true disks" in ptab.columns
    assert "cross-entropy network could not be measured" in n["ddb_verdict"]
    assert "labels show no significant" in n["ddb_verdict"]


def test_region_dependence_section_without_chapter4(tmp_path):
    s = make_sample((12, 12, 12, 12))
    labels = pd.DataFrame({"id": s["id"], "split": "train"})
    tab, ptab, n = skybias.region_dependence_section(s, make_catalog(s), None, 3, 8, 0, {}, labels)
    assert ptab.columns.tolist() == ["note"]
    assert "chapter 4's networks" in n["ddb_status"] and "not found" in n["ddb_status"]
    assert "not found" in n["ddb_applied"] and "nan" in n["ddb_applied"] and "04_ddb_training" in n["ddb_applied"]
    assert n["ddb_verdict"] == "not measured in this run" and n["n_excluded"] == 0
    assert np.isnan(n["p_ddb_disk"]) and np.isnan(n["spread_truth"]) and tab.columns.tolist() == ["note"]
    _, _, n = skybias.region_dependence_section(s, make_catalog(s), None, 3, 8, 0, {"ddb": tmp_path / "ddb.pt"},
                                                None)
    assert "labels" in n["ddb_status"] and "networks" not in n["ddb_status"]
    # the reason the caller caught is reported as it is, and the networks are not blamed
    why = "/run/labels.parquet does not match this run (the code that makes it changed): re-run chapter 01_labeling"
    _, _, n = skybias.region_dependence_section(s, make_catalog(s), None, 3, 8, 0, {}, None, problem=why)
    assert why in n["ddb_applied"] and "chapter 4" not in n["ddb_applied"] and "04_ddb" not in n["ddb_status"]
    assert skybias.chapter4_predictions({}, None, np.arange(3)) == {}


def test_region_dependence_section_with_fake_networks(tmp_path, monkeypatch):
    from galbias.results.skybias import beyond

    s = make_sample((12, 12, 12, 12))
    cat = make_catalog(s)
    split = skybias.split_for_repeat(s, 3, 8, seed=0, repeat=0, regions=[1, 2, 3, 4])
    test_ids = split.loc[split["part"] == "test", "id"].to_numpy()
    labels = pd.DataFrame({"id": test_ids[::4], "split": "train"})  # a quarter of them trained chapter 4
    seen = {}

    def fake(model_files, cache, rows, threads=1):
        seen["rows"] = rows
        return {NETWORKS[-1].title: s["y"].to_numpy()[rows]}  # a perfect DDB network

    monkeypatch.setattr(beyond, "chapter4_predictions", fake)
    tab, ptab, n = skybias.region_dependence_section(s, cat, None, 3, 8, 0, {"ddb": tmp_path / "ddb.pt"}, labels,
                                                     [1, 2, 3, 4])
    assert tab.columns.tolist()[:2] == ["galaxies", "truth"] and ptab.index.tolist()[-1] == NETWORKS[-1].title
    assert n["n_excluded"] == len(labels) and len(seen["rows"]) == len(test_ids) - len(labels)
    assert not set(s["id"].to_numpy()[seen["rows"]]) & set(labels["id"])
    assert n["ddb_status"] == f"applied to {len(seen['rows'])} test galaxies"
    assert f"({len(labels)} test galaxies from chapter 4's training split left out)" in n["ddb_applied"]
    assert n["rspread_ddb"] == 0 and n["rspread_gz2b"] == 1.0 and n["worst_gz2b"] == 1  # region 1's disks voted smooth
    assert n["p_gz2b_disk"] < skybias.SIGNIFICANCE and "different share" in n["ddb_verdict"]


def test_sky_figures(tiny_run):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from galbias.compendium import skyplots

    res, summ = tiny_run["results"], tiny_run["summary"]
    figs = [skyplots.region_examples(tiny_run["sample"], tiny_run["images"], 3, seed=0),
            skyplots.confusion_figure(*skybias.confusion_panels(res, [1, 2, 3, 4])[:2]),
            skyplots.shift_figure(res, summ), skyplots.anisotropy_figure(skybias.swap_section(res)[0])]
    assert len(figs[0].axes) == 4 * 3 and sum(ax.get_visible() for ax in figs[1].axes) == 15
    for f in figs:
        plt.close(f)


# --- words for the text and the page layouts ------------------------------------------------------

def test_words_for_the_text():
    assert skybias.accuracy_word(0.9, 0.97) == "accurate"
    assert skybias.accuracy_word(0.5, 0.55) == "barely better than guessing"
    assert skybias.accuracy_word(0.5, 0.9) == "of mixed accuracy"
    assert skybias.level_text(1e-5) == "10⁻⁵" and skybias.level_text(skybias.SIGNIFICANCE) == "0.05"
    assert skybias.direction_word(18, 20, 0.0004) == "significantly more often than chance"
    assert skybias.direction_word(2, 20, 0.0004) == "significantly less often than chance"
    assert skybias.direction_word(11, 20, 0.8) == "about as often as chance would"
    assert skybias.direction_word(0, 0, float("nan")) == "not measured"
    assert skybias.scale_word(0.02, 0.03) == "the same order as"
    assert skybias.scale_word(0.5, 0.03) == "larger than" and skybias.scale_word(0.001, 0.03) == "smaller than"
    assert skybias.scale_word(0.0, 0.03) == "not comparable with"
    assert "1.0% more" in skybias.contrast_phrase(0.01) and "no more" in skybias.contrast_phrase(-0.01)
    assert skybias.size_word(0.03, 0.02, 4, 0.018) == "about as large as"     # 0.012 <= 2 * 0.01
    assert skybias.size_word(0.03, 0.001, 4, 0.018) == "larger than"
    assert skybias.size_word(0.003, 0.001, 4, 0.018) == "smaller than"
    assert skybias.neighbour_word(0.02, 0.002).startswith("in line")
    assert skybias.neighbour_word(0.002, 0.02).startswith("unlike")
    assert "cannot be compared" in skybias.neighbour_word(0.02, float("nan"))
    assert "no positive contrast" in skybias.neighbour_word(-0.008, 0.0)
    assert [skybias.rate_word(f) for f in (0.0, 0.1, 0.3, 0.6)] == ["never", "rarely", "sometimes", "often"]


def test_section_numbers_for_the_new_sentences(tiny_run):
    res = tiny_run["results"]
    _, _, n = skybias.swap_section(res)
    for key in ("c_phrase", "size_vs_paper", "neighbour_word", "chi2_word", "power_note", "sign_p_min"):
        assert key in n
    assert n["sign_p_min"] == pytest.approx(skybias.binom_pvalue(n["n_sc"], n["n_sc"], 0.5))
    _, _, c = skybias.confusion_panels(res, [1, 2, 3, 4])
    assert c["acc_word"] == skybias.accuracy_word(c["acc_min"], c["acc_max"])
    assert c["err_hi"] == pytest.approx(1 - c["acc_min"]) and 0 <= c["n_constant"] <= c["n_first"]
    _, r = skybias.repeat_spread(res, tiny_run["summary"])
    assert r["rep_vs_shift"] in ("the same order as", "larger than", "smaller than", "not comparable with")


def test_page_layouts():
    tab = pd.DataFrame({"galaxies": [10, 12], "fraction": [0.5, 0.25], "name": ["a", "b"]},
                       index=pd.Index([1, 2], name="region"))
    page = skybias.by_region(tab)
    assert list(page.columns) == ["region 1", "region 2"] and list(page.index) == ["galaxies", "fraction", "name"]
    assert isinstance(page.loc["galaxies", "region 1"], (int, np.integer))   # integers stay integers
    assert skybias.by_column(tab, prefix="r").columns.tolist() == ["r1", "r2"]
    t16 = pd.DataFrame({"D&S train spiral": ["1"], "D&S train elliptical": ["2"], "D&S test": ["1"],
                        "D&S p(spiral)": [0.49], "D&S shift": [0.028], "train spiral": ["1"],
                        "train elliptical": ["2"], "test": ["1"], "favoured": ["spiral"], "p(spiral)": [0.52],
                        "p(spiral) sd": [0.01], "shift": [0.03], "shift sd": [np.nan],
                        "binomial p (repeat 0)": ["0.0012"]}, index=pd.Index([6], name="table"))
    paper, here = skybias.table16_pages(t16)
    assert paper.loc[6, "experiment"] == "S1 E2 → 1" and paper.loc[6, "shift"] == pytest.approx(0.028)
    assert here.loc[6, "p(spiral)"] == "0.520 ± 0.010" and here.loc[6, "shift"] == "+0.030"
    assert list(here.columns) == ["regions", "favoured", "p(spiral)", "shift", "binomial p"]
    dep = pd.DataFrame({"galaxies": [5], "truth": [0.4], "GZ2B labels": [0.2], "DDB on GZ2B": [0.5],
                        "GZ2B labels: disks recovered": [0.3], "DDB on GZ2B: disks recovered": [0.9]},
                       index=pd.Index([1], name="region"))
    d = skybias.dependence_page(dep)
    assert d.columns.tolist() == [("", "galaxies"), ("called disk", "truth"), ("called disk", "GZ2B"),
                                  ("called disk", "DDB"), ("disks recovered", "GZ2B"), ("disks recovered", "DDB")]
    note = pd.DataFrame({"note": ["not measured"]})
    assert skybias.dependence_page(note) is note


def test_ds_verdict_sorts_the_findings():
    swap = {"n_pos": 10, "n_sc": 10, "sign_p": 0.002, "sign_p_min": 0.002, "c_mean": 0.02, "swap_abs": 0.018,
            "size_vs_paper": "about as large as", "neighbour_word": "in line with ...", "c23": 0.001, "c12": 0.02}
    binom = {"frac_sig_ctrl": 0.9, "n_ctrl": 11, "match_word": "significantly more often than chance",
             "n_match": 18, "n_dir": 20}
    v = skybias.ds_verdict(swap, binom)
    assert v["ds_agree"].startswith("The swap contrast shows their effect") and "weaker" in v["ds_agree"]
    assert "noise of training" in v["ds_disagree"] and v["ds_unsettled"] == ""
    swap.update(sign_p=0.0625, sign_p_min=0.0625, n_sc=5, n_pos=5, size_vs_paper="smaller than",
                neighbour_word="which cannot be compared ...")
    binom.update(frac_sig_ctrl=0.05, match_word="about as often as chance would")
    v = skybias.ds_verdict(swap, binom)
    assert "not far above" in v["ds_agree"] and "smaller than theirs" in v["ds_disagree"]
    assert v["ds_unsettled"].startswith("Not settled by this run: the swap contrast points their way")
    assert "cannot give less than 0.062" in v["ds_unsettled"] and "could not be compared" in v["ds_unsettled"]
    swap.update(c_mean=-0.01, n_pos=0)
    binom.update(frac_sig_ctrl=0.5)
    swap["size_vs_paper"] = "not comparable with"
    v = skybias.ds_verdict(swap, binom)
    assert v["ds_agree"] == "None of their findings is borne out in this run."
