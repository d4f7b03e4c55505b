"""Tests of galbias.table1: the paper's Table 1 on a small synthetic test split with known truth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from galbias.compendium import config
from galbias.methods.bias import bias_probability
from galbias.results.table1 import (
    COLUMNS,
    Table1Error,
    build_table1,
    above_floor,
    cv18_floor,
    cv18_null,
    cv18_order,
    depth_scan,
    display_table,
    evidence_numbers,
    label_frame,
    paired_difference,
    paper_scale_check,
    paper_table1,
    summarise,
    within_cell_permutation,
    write_table1,
)

N = 4000
# large cells and bins keep the noise floor low enough to tell biased from unbiased labels
CFG = config.get_profile("smoke").replace(cv_depth=1, cv_alpha_bins=4, cv14_bins=4, n_bootstrap=20, n_seeds=1)


def synthetic(n: int = N, seed: int = 0):
    """labels / predictions / dcv14 frames: truth independent of alpha, GZ2B biased by b(alpha; 10).

    CE on GZ2B reproduces GZ2B exactly, DDB and DCV14 reproduce the truth exactly (DCV14 with
    five missing labels), CE on GZ2D reproduces GZ2D (biased by b(alpha; 5)).
    """
    rng = np.random.default_rng(seed)
    ids = np.arange(n) + 10_000
    alpha = rng.lognormal(np.log(15), 0.6, n)
    truth = (rng.random(n) < 0.6).astype(int)
    gz2b = np.where((truth == 1) & (rng.random(n) < bias_probability(alpha, 10.0)), 0, truth)
    gz2d = np.where((truth == 1) & (rng.random(n) < bias_probability(alpha, 5.0)), 0, truth)
    labels = pd.DataFrame({
        "id": ids, "split": "test", "alpha": alpha,
        "petroRad_kpc": rng.lognormal(1.5, 0.4, n), "abs_mag_r": rng.normal(-21, 1, n), "z": rng.uniform(0.02, 0.2, n),
        "gz2b": gz2b, "gz2d": gz2d, "truth": pd.array(truth, dtype="Int8"),
    })
    extra = labels.iloc[:50].assign(id=lambda d: d["id"] + 10 * n, split="train")  # other splits are ignored
    labels = pd.concat([labels, extra], ignore_index=True)
    pred = pd.DataFrame({"id": ids, "split": "test", "p_disk_ce_gz2b": np.where(gz2b == 1, 0.9, 0.1),
                         "p_disk_ce_gz2d": np.where(gz2d == 1, 0.8, 0.3), "p_disk_ddb": np.where(truth == 1, 0.7, 0.2)})
    dc = pd.array(truth, dtype="Int8")
    dc[:5] = pd.NA
    dcv14 = pd.DataFrame({"id": ids[::-1], "split": "test", "p_disk_dcv14": np.nan, "dcv14": dc[::-1]})
    return labels, pred, dcv14


@pytest.fixture(scope="module")
def data():
    return synthetic()


@pytest.fixture(scope="module")
def table(data):
    return build_table1(*data, CFG, floor_perms=4, floor_boot=5)


def test_rows_and_columns(table):
    assert list(table.columns) == COLUMNS
    assert table["row"].tolist() == ["a", "b", "c", "d", "e", "f", "truth"]
    assert (table["sample"] == "test").all()
    assert table.loc[table["row"] == "f", "method"].item() == "DDB on GZ2B"
    assert table.loc[table["row"] == "f", "seed"].item() == 0 and pd.isna(table.loc[table["row"] == "a", "seed"].item())
    assert (table["cv18_std"] > 0).all() and np.isfinite(table["cv14"]).all()
    assert (table["cv18_floor"] > 0).all() and (table["cv14_floor"] > 0).all()
    assert np.isfinite(table["cv18_lowref"]).all()


def test_floors_paired_differences_and_truth_scores(table):
    t = table.set_index("row")
    # alpha-independent truth: at its floors; GZ2B well above its own
    assert t.loc["truth", "cv18"] < t.loc["truth", "cv18_floor"] + 3 * t.loc["truth", "cv18_std"]
    assert t.loc["truth", "cv14"] < 3 * t.loc["truth", "cv14_floor"]
    assert t.loc["a", "cv18"] > 2 * t.loc["a", "cv18_floor"] and t.loc["a", "cv14"] > 3 * t.loc["a", "cv14_floor"]
    # paired differences: a copy of GZ2B differs from row a by exactly 0, a copy of the truth from the truth
    assert t.loc["c", "d_a"] == 0 and t.loc["c", "d_a_std"] == 0 and t.loc["a", "d_a"] == 0
    assert t.loc["f", "d_truth"] == 0 and t.loc["truth", "d_truth"] == 0
    assert t.loc["a", "d_truth"] == pytest.approx(-t.loc["truth", "d_a"])
    assert t.loc["a", "d_truth"] > 3 * t.loc["a", "d_truth_std"]
    # recall of true disks: GZ2B loses some, DDB (= truth) none
    assert t.loc["f", "recall_truth"] == 1.0 and t.loc["a", "recall_truth"] < 0.95


def test_within_cell_permutation_keeps_every_cell_mix():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    cells = rng.integers(0, 7, 500)
    z = within_cell_permutation(y, cells, rng)
    assert not np.array_equal(z, y)
    for c in range(7):
        assert sorted(z[cells == c]) == sorted(y[cells == c])


def test_seeds_and_evaluation_sample(data):
    labels, pred, dcv14 = data
    rng = np.random.default_rng(3)
    ev = labels[labels["split"] == "test"].assign(id=lambda d: d["id"] + 100 * N, split="eval")
    ev["gz2b"] = ev["truth"].astype(int)  # unbiased volunteers in the evaluation sample, for a visible difference
    lab2 = pd.concat([labels, ev], ignore_index=True)
    pe = pred.assign(id=lambda d: d["id"] + 100 * N, split="eval")
    p2 = pd.concat([pred, pe], ignore_index=True)
    for c in ("ce_gz2b", "ce_gz2d", "ddb"):
        p2[f"p_disk_{c}_s1"] = np.clip(p2[f"p_disk_{c}"] + rng.normal(0, 0.3, len(p2)), 0, 1)
    d2 = pd.concat([dcv14, dcv14.assign(id=lambda d: d["id"] + 100 * N, split="eval")], ignore_index=True)
    cfg = CFG.replace(n_seeds=2)
    t = build_table1(lab2, p2, d2, cfg, floor_perms=2, floor_boot=3)
    assert t["sample"].tolist().count("test") == t["sample"].tolist().count("eval") == 10  # a, b, 2c, 2d, e, 2f, truth
    assert set(t.loc[t["row"] == "f", "seed"]) == {0, 1}
    s = summarise(t)
    assert len(s) == 14 and (s.loc[s["row"] == "f", "n_seeds"] == 2).all()
    f = s[(s["sample"] == "test") & (s["row"] == "f")].iloc[0]
    both = t[(t["sample"] == "test") & (t["row"] == "f")]
    assert f["cv18"] == pytest.approx(both["cv18"].mean()) and f["cv18_seed_sd"] == pytest.approx(both["cv18"].std())
    ea = s[(s["sample"] == "eval") & (s["row"] == "a")].iloc[0]
    assert ea["recall_truth"] == 1.0 and ea["d_truth"] == 0
    d = display_table(s, sample="eval", kind="evidence")
    assert "seeds ±" in d.loc["f) DDB on GZ2B", "CV18"] and d.loc["a) GZ2B labels", "CV18 − row a"] == "–"
    e = evidence_numbers(s, "eval")
    assert e["gz2b_over_truth"] == pytest.approx(1.0) and e["truth_cv18_vs_floor"] in ("at", "above", "below")
    assert np.isfinite(e["f_minus_c_sigma"])
    with pytest.raises(Table1Error, match="no 'nope' sample"):
        display_table(s, sample="nope")


def test_depth_scan_and_paper_scale():
    labels, pred, dcv14 = synthetic(3000, seed=4)
    f = label_frame(labels, pred, dcv14)
    scan = depth_scan(f, CFG, "truth", depths=(0, 1, 2), floor_perms=2, floor_boot=3)
    assert scan["L"].tolist() == [0, 1, 2] and (scan["within-cell floor"] > 0).all()
    conv = paper_scale_check(f_disks=(0.6,), n=3000, n_rep=2, n_boot=5)
    row = conv.iloc[0]
    # the lowest-alpha reference is the most biased bin, so its deviations are larger
    assert row["CV18 (lowest-α ref.)"] > row["CV18 (highest-α ref.)"]


def test_truth_is_the_floor_and_the_bias_is_seen(data, table):
    cv = table.set_index("row")["cv18"]
    assert cv["truth"] < 0.06  # bias-free labels: only noise
    assert cv["a"] > 3 * cv["truth"]  # GZ2B is biased
    assert cv["c"] == pytest.approx(cv["a"])  # a perfect copy of GZ2B has GZ2B's bias
    assert cv["f"] == pytest.approx(cv["truth"])  # a perfect copy of the truth has none
    null = cv18_null(data[0]["alpha"].iloc[:N], data[0]["truth"].iloc[:N].to_numpy(int),
                     data[0][["petroRad_kpc", "abs_mag_r", "z"]].iloc[:N], CFG, n_perm=5)
    assert null.shape == (5,) and np.all(null < 0.06)


def test_classification_metrics(table):
    t = table.set_index("row")
    for c in ("accuracy", "precision", "recall", "f1"):
        assert t.loc["c", c] == pytest.approx(1.0)  # CE on GZ2B scored against GZ2B
        assert t.loc["d", c] == pytest.approx(1.0)
        assert np.isnan(t.loc["a", c]) and np.isnan(t.loc["truth", c])
    assert t.loc["f", "accuracy_truth"] == 1.0 and t.loc["truth", "accuracy_truth"] == 1.0
    assert t.loc["e", "accuracy_truth"] == 1.0
    assert t.loc["a", "accuracy_truth"] < 1.0
    assert t.loc["f", "scored_against"] == "GZ2B" and t.loc["d", "scored_against"] == "GZ2D"


def test_missing_labels_and_stars_are_left_out(data):
    labels, pred, dcv14 = data
    t = build_table1(labels, pred, dcv14, CFG, floor_perms=2, floor_boot=2).set_index("row")
    assert t.loc["e", "n"] == N - 5 and t.loc["a", "n"] == N
    star = labels.copy()
    star["truth"] = star["truth"].astype("Int8")
    star.loc[0, "truth"] = 2  # a star the volunteers took for a galaxy: no morphology
    t2 = build_table1(star, pred, dcv14, CFG, floor_perms=2, floor_boot=2).set_index("row")
    assert t2.loc["truth", "n"] == N - 1
    assert t2.loc["f", "accuracy_truth"] == 1.0


def test_real_data_has_no_truth_row(data):
    labels, pred, dcv14 = data
    real = labels.assign(truth=pd.array([pd.NA] * len(labels), dtype="Int8"))
    t = build_table1(real, pred, dcv14, CFG, floor_perms=2, floor_boot=2)
    assert "truth" not in t["row"].tolist()
    assert t["accuracy_truth"].isna().all() and t["d_truth"].isna().all()
    assert evidence_numbers(summarise(t), "eval")["truth_cv18_vs_floor"] == "not measured against"


def test_missing_inputs_name_the_file_and_column(data):
    labels, pred, dcv14 = data
    with pytest.raises(Table1Error, match=r"predictions\.parquet.*p_disk_ddb"):
        build_table1(labels, pred.drop(columns="p_disk_ddb"), dcv14, CFG)
    with pytest.raises(Table1Error, match=r"dcv14_predictions\.parquet.*03_theta_fit"):
        build_table1(labels, pred, None, CFG)
    with pytest.raises(Table1Error, match=r"dcv14_predictions\.parquet.*'dcv14'"):
        build_table1(labels, pred, dcv14.drop(columns="dcv14"), CFG)
    with pytest.raises(Table1Error, match=r"predictions\.parquet lacks 3 of the 4000"):
        build_table1(labels, pred.iloc[3:], dcv14, CFG)
    with pytest.raises(Table1Error, match=r"labels\.parquet.*petroRad_kpc"):
        build_table1(labels.drop(columns="petroRad_kpc"), pred, dcv14, CFG)
    with pytest.raises(Table1Error, match=r"none of the samples"):
        build_table1(labels.assign(split="train"), pred, dcv14, CFG)
    with pytest.raises(Table1Error, match=r"no galaxies in split\(s\) \['val'\]"):
        label_frame(labels, pred, dcv14, split="val")


def test_label_frame_hard_labels(data):
    f = label_frame(*data)
    assert len(f) == N
    assert f["ddb"].tolist() == f["truth"].tolist()
    assert f["dcv14"].isna().sum() == 5
    assert str(f["ce_gz2b"].dtype) == "Int8"


def test_display_table_has_paper_values(table):
    d = display_table(summarise(table))
    paper = ("real GZ2 (paper)", "CV18")
    assert d.loc["a) GZ2B labels", paper] == "0.3696 ± 0.0095"
    assert d.loc[d.index[-1], paper] == "–"  # the truth row has no paper value
    assert d.loc["c) CE on GZ2B", ("real GZ2 (paper)", "accuracy")] == pytest.approx(0.921)
    assert " ± " in d.loc["f) DDB on GZ2B", ("simulated survey (this run)", "CV18")]
    assert paper_table1().loc["f", "cv18"] == pytest.approx(0.2866)


def test_write_table1(tmp_path, table):
    path = tmp_path / "table1.csv"
    src = tmp_path / "in.txt"
    src.write_text("x")
    write_table1(path, table, CFG, {"labels": src})
    back = pd.read_csv(path)
    assert list(back.columns) == COLUMNS and len(back) == 7
    man = json.loads((tmp_path / "table1.manifest.json").read_text())
    assert man["params"]["cv_depth"] == 1 and "labels" in man["inputs"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt", "table1.csv", "table1.manifest.json"]
    with pytest.raises(KeyError, match="cv14"):
        write_table1(path, table.drop(columns="cv14"), CFG, {})


def test_cv18_floor_matches_permutations(data):
    labels = data[0].iloc[:N]
    y = labels["truth"].to_numpy(int)
    null = cv18_null(labels["alpha"], y, labels[["petroRad_kpc", "abs_mag_r", "z"]], CFG, n_perm=20)
    approx = cv18_floor(N, CFG.cv_alpha_bins, CFG.cv_depth, p_disk=y.mean())
    assert approx == pytest.approx(null.mean(), rel=0.25)
    assert cv18_floor(N, 4, 1, bootstrap=False) == pytest.approx(np.sqrt(2 * 0.75 * 0.25 / 500))
    with pytest.raises(Table1Error):
        cv18_floor(0, 4, 1)


def test_above_floor_and_order(table):
    assert above_floor(0.5, 0.3) == pytest.approx(0.4)
    assert above_floor(0.1, 0.3) == 0.0
    assert above_floor(np.array([0.5, 0.1]), 0.3).tolist() == pytest.approx([0.4, 0.0])
    order = cv18_order(summarise(table), sample="test")
    assert order.split(" < ")[-1] in ("a", "c") and len(order.split(" < ")) == 7
    paper = paper_table1().reset_index()
    assert cv18_order(paper) == "f < e < b < d < a < c"
    assert cv18_order(table, rows="ab") in ("b < a",)


def test_paired_difference(data, table):
    f = label_frame(*data)
    same = paired_difference(f, "ce_gz2b", "gz2b", CFG)
    assert same["diff"] == 0 and same["std"] == 0 and same["n"] == N
    d = paired_difference(f, "gz2b", "truth", CFG)
    t = table.set_index("row")
    assert d["diff"] == pytest.approx(t.loc["a", "cv18"] - t.loc["truth", "cv18"])
    assert 0 < d["std"] < t.loc["a", "cv18_std"] + t.loc["truth", "cv18_std"]
    assert paired_difference(f, "dcv14", "gz2b", CFG)["n"] == N - 5
    with pytest.raises(Table1Error, match="'nope'"):
        paired_difference(f, "nope", "gz2b", CFG)
