"""Tests of galbias.skybias: data sets per region and class, the design, the statistics, the
network's determinism and the experiment plumbing, on tiny synthetic tables and images."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from galbias import artifacts, skybias
from galbias.mock.regions import REGIONS


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


def test_galaxy_sample_and_regions_from_coords():
    cat = pd.DataFrame({"dr7objid": [1, 2, 3, 4], "file_loc": list("abcd"), "true_class": [0, 1, 2, 1],
                        "region": [1, 2, 3, 4], "ra": 0.0, "dec": 0.0})
    s = skybias.galaxy_sample(cat)
    assert s["id"].tolist() == [1, 2, 4] and s["y"].tolist() == [0, 1, 1] and s["region"].tolist() == [1, 2, 4]
    ra = np.array([10.0, 190.0, 190.0, 250.0, 100.0])
    dec = np.array([10.0, 10.0, 30.0, 20.0, 10.0])
    assert skybias.regions_from_coords(ra, dec, REGIONS).tolist() == [1, 2, 3, 4, 0]
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
        pc = skybias.PAPER_CONFUSION.loc[tab]
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
    assert np.allclose(ps["p_spiral"], skybias.PAPER_TABLE16["p_spiral"], atol=0.006)
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
    assert 0 <= tests["chi2_all"] <= 1 and np.isnan(tests["chi2_smooth"])


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
    assert x.shape == (1, 3, 2, 2)
    assert x[0, 0, 0, 0].item() == pytest.approx(1.0) and x[0, 0, 1, 1].item() == 0.0
    assert skybias.prepare_images(img, px=8).shape == (1, 3, 4, 4)  # never up-sampled
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
    assert artifacts.is_fresh(path, {"a": 1}) and not artifacts.is_fresh(path, {"a": 2})
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
    v = skybias.dependence_verdict(1e-5, 1e-4, 0.5)
    assert "different share" in v and "inherits a region dependence and DDB does not" in v
    assert "neither network" in skybias.dependence_verdict(0.5, 0.2, 0.3)
    assert "not measured" in skybias.dependence_verdict(0.5, float("nan"), float("nan"))
