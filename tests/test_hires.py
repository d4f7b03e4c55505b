"""Changed galaxies and the alpha-matched control (galbias.results.hires, chapter 7), and the
evaluation frame they are selected from (galbias.results.frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from galbias.data.binning import BinningError, assign_bins, equal_count_edges
from galbias.results import hires as ic
from galbias.results.frames import FrameError, binary, evaluation_frame


def synthetic_test_set(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels and predictions where hidden disks sit at low alpha and DDB finds most of them."""
    rng = np.random.default_rng(seed)
    alpha = np.exp(rng.uniform(np.log(3), np.log(60), n))
    truth = (rng.random(n) < 0.6).astype(int)
    hidden = (truth == 1) & (rng.random(n) < np.exp(-alpha**2 / (2 * 10.0**2)))
    gz2b = np.where(hidden, 0, truth)
    p_ddb = np.clip(np.where(truth == 1, 0.8, 0.2) + rng.normal(0, 0.15, n), 0, 1)
    labels = pd.DataFrame({"id": np.arange(n) + 1000, "split": np.where(np.arange(n) % 5 == 0, "val", "test"),
                           "alpha": alpha, "gz2b": gz2b, "gz2d": gz2b, "truth": pd.array(truth, dtype="Int8")})
    pred = pd.DataFrame({"id": labels["id"], "split": labels["split"], "p_disk_ddb": p_ddb,
                         "p_disk_ce_gz2b": np.where(gz2b == 1, 0.9, 0.1), "p_disk_ce_gz2d": 0.5})
    return labels, pred


def test_evaluation_frame_joins_the_split_labels_networks_and_extra_columns():
    labels, pred = synthetic_test_set()
    labels.loc[labels.index[:3], "truth"] = 2   # a star that volunteers took for a galaxy
    extra = pd.DataFrame({"id": labels["id"], "true_n_arms": 2, "alpha": -1.0})
    t = evaluation_frame(labels, pred, extra=extra)
    assert (t["split"] == "test").all() and len(t) == int((labels["split"] == "test").sum())
    assert {"p_disk_ddb", "p_disk_ce_gz2b", "true_n_arms", "ddb", "ce_gz2b"} <= set(t.columns)
    assert (t["alpha"] > 0).all()   # an extra column never overwrites a label column
    np.testing.assert_array_equal(t["ddb"].astype(int), (t["p_disk_ddb"] > 0.5).astype(int))
    # the raw true class is kept; the binary truth has no value for the star
    star = t["truth_class"] == 2
    assert star.sum() == int((labels["split"].iloc[:3] == "test").sum()) > 0
    assert t.loc[star, "truth"].isna().all() and t.loc[~star, "truth"].notna().all()
    with pytest.raises(FrameError, match=r"predictions\.parquet lacks 8 of the 480.*04_ddb_training"):
        evaluation_frame(labels, pred.iloc[10:])
    with pytest.raises(FrameError, match="p_disk"):
        evaluation_frame(labels, pred[["id", "split"]])
    with pytest.raises(FrameError, match="no galaxies in split"):
        evaluation_frame(labels, pred, splits="nope")


def test_changed_mask_both_directions_and_threshold():
    df = pd.DataFrame({"gz2b": [0, 0, 1, 1, 0, np.nan], "p_disk_ddb": [0.9, 0.5, 0.2, 0.7, np.nan, 0.9]})
    np.testing.assert_array_equal(ic.changed_mask(df), [True, False, False, False, False, False])
    np.testing.assert_array_equal(ic.changed_mask(df, direction="disk_to_smooth"),
                                  [False, False, True, False, False, False])
    np.testing.assert_array_equal(ic.changed_mask(df, threshold=0.4), [True, True, False, False, False, False])
    with pytest.raises(ValueError, match="direction"):
        ic.changed_mask(df, direction="sideways")


def test_changed_table_has_the_artifact_columns_sorted_by_alpha():
    labels, pred = synthetic_test_set()
    t = evaluation_frame(labels, pred)
    m = ic.changed_mask(t)
    ch = ic.changed_table(t, m)
    assert len(ch) == int(m.sum()) > 0
    assert list(ch.columns[:2]) == ["id", "alpha"]
    assert {"p_disk_ddb", "p_disk_ce_gz2b", "p_disk_ce_gz2d", "gz2b", "truth"} <= set(ch.columns)
    assert ch["alpha"].is_monotonic_increasing
    assert (ch["gz2b"] == 0).all() and (ch["p_disk_ddb"] > 0.5).all()


def test_bins_are_equal_count_and_cover_everything():
    a = np.arange(100, dtype=float)
    edges = equal_count_edges(a, 4)
    assert edges[0] == -np.inf and edges[-1] == np.inf
    np.testing.assert_array_equal(np.bincount(assign_bins(a, edges)), [25, 25, 25, 25])
    assert assign_bins(np.array([-5.0, 1e9]), edges).tolist() == [0, 3]
    with pytest.raises(BinningError, match="empty"):
        equal_count_edges(np.array([]), 3)
    with pytest.raises(BinningError, match="n_bins"):
        equal_count_edges(a, 0)


def test_alpha_matched_draws_match_bins_are_deterministic_and_distinct_within_a_draw():
    rng = np.random.default_rng(3)
    pool = rng.uniform(1, 50, 400)
    changed = rng.uniform(1, 12, 30)          # the changed galaxies are poorly resolved
    d = ic.alpha_matched_draws(changed, pool, n_bins=8, n_draws=200, seed=11)
    assert d.shape == (200, 30) and d.min() >= 0 and d.max() < 400
    edges = equal_count_edges(pool, 8)
    bc, bp = assign_bins(changed, edges), assign_bins(pool, edges)
    assert np.all(bp[d] == bc[None, :])       # every control galaxy shares its changed galaxy's bin
    assert all(len(set(row)) == 30 for row in d)   # no galaxy twice in one draw
    np.testing.assert_array_equal(d, ic.alpha_matched_draws(changed, pool, n_bins=8, n_draws=200, seed=11))
    assert not np.array_equal(d, ic.alpha_matched_draws(changed, pool, n_bins=8, n_draws=200, seed=12))
    # the draws cover the bin's members, not just a few of them
    k = bc[0]
    assert len(np.unique(d[:, 0])) > 0.8 * np.sum(bp == k)


def test_alpha_matched_draws_with_small_bins_draw_with_replacement_and_empty_input():
    pool = np.array([1.0, 2.0, 10.0, 11.0])
    changed = np.array([1.5, 1.6, 1.7, 10.5])     # three changed galaxies, two pool galaxies in bin 0
    d = ic.alpha_matched_draws(changed, pool, n_bins=2, n_draws=50, seed=0)
    assert set(np.unique(d[:, :3])) <= {0, 1} and set(np.unique(d[:, 3])) <= {2, 3}
    assert ic.alpha_matched_draws(np.array([]), pool, n_draws=5).shape == (5, 0)
    with pytest.raises(ValueError, match="finite"):
        ic.alpha_matched_draws(np.array([np.nan]), pool)


def test_alpha_matched_draws_reproduce_the_pool_alpha_distribution_of_a_bin():
    # with one bin the control is a uniform random subset of the pool
    pool = np.arange(10, dtype=float)
    d = ic.alpha_matched_draws(np.array([3.0, 4.0]), pool, n_bins=1, n_draws=20_000, seed=5)
    freq = np.bincount(d.ravel(), minlength=10) / d.size
    np.testing.assert_allclose(freq, 0.1, atol=0.01)


def test_wilson_interval():
    lo, hi = ic.wilson_interval(8, 11)
    assert lo < 8 / 11 < hi and 0 <= lo and hi <= 1
    assert ic.wilson_interval(0, 10)[0] == 0.0
    assert ic.wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert np.isnan(ic.wilson_interval(0, 0)).all()
    # the textbook value for 8/11 at 95 %: (0.434, 0.903)
    np.testing.assert_allclose((lo, hi), (0.4344, 0.9025), atol=2e-3)


def test_control_summary_detects_a_selection_of_hidden_disks():
    rng = np.random.default_rng(0)
    n_pool = 500
    alpha_pool = rng.uniform(1, 40, n_pool)
    truth_pool = (rng.random(n_pool) < 0.3).astype(int)            # 30 % of smooth-labelled are disks
    changed = np.flatnonzero(truth_pool == 1)[:40]                  # a perfect selector
    draws = ic.alpha_matched_draws(alpha_pool[changed], alpha_pool, n_bins=5, n_draws=500, seed=1)
    res = ic.control_summary(truth_pool[changed], truth_pool, draws)
    assert res.frac_changed == 1.0 and res.n_changed == 40 and res.n_pool == n_pool
    assert res.frac_control_lo < res.frac_control < res.frac_control_hi < 0.6
    assert res.p_value == pytest.approx(1 / 501)
    assert res.draws.shape == (500,)
    assert "draws" not in res.as_dict()
    # a random selector is indistinguishable from its control
    rand = rng.choice(n_pool, 40, replace=False)
    d2 = ic.alpha_matched_draws(alpha_pool[rand], alpha_pool, n_bins=5, n_draws=500, seed=2)
    r2 = ic.control_summary(truth_pool[rand], truth_pool, d2)
    assert r2.frac_control_lo <= r2.frac_changed <= r2.frac_control_hi
    assert r2.p_value > 0.025


def test_control_summary_edge_cases():
    draws = np.zeros((10, 0), dtype=int)
    res = ic.control_summary(np.array([]), np.array([0, 1]), draws)
    assert res.n_changed == 0 and np.isnan(res.frac_changed) and np.isnan(res.frac_control)
    with pytest.raises(ValueError, match="truth"):
        ic.control_summary(np.array([1, np.nan]), np.array([0, 1]), np.zeros((3, 2), int))


# --- what chapter 7 shows ----------------------------------------------------------------------

def small_frame(with_truth: bool = True) -> pd.DataFrame:
    """Eight galaxies whose changes are known by construction (threshold 0.5).

    ddb: smooth -> disk for rows 0, 1, 2 (a true disk, a true smooth, a star), disk -> smooth
    for row 5 (true smooth); ce_gz2b changes row 0 only.  Row 7 has no GZ2B label.
    """
    truth_class = [1, 0, 2, 0, 1, 0, 1, 1]
    df = pd.DataFrame({
        "id": np.arange(8) + 10, "alpha": [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        "gz2b": pd.array([0, 0, 0, 0, 1, 1, 1, None], dtype="Int8"),
        "p_disk_ddb": [0.9, 0.8, 0.7, 0.2, 0.9, 0.3, 0.6, 0.9],
        "p_disk_ce_gz2b": [0.6, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9],
        "truth_class": pd.array(truth_class if with_truth else [None] * 8, dtype="Int64"),
        "true_n_arms": [2, 0, 0, 0, 0, 0, 3, 1],
    })
    df["truth"] = binary(df["truth_class"])
    return df


def test_truth_extra_keys_the_true_columns_by_id():
    cat = pd.DataFrame({"dr7objid": [5, 6], "true_n_arms": [2, 0], "true_arm_contrast": [0.3, 0.0],
                        "true_bulge_frac": [0.1, 0.9], "petroRad_r": [4.0, 5.0]})
    ex = ic.truth_extra(cat)
    assert list(ex.columns) == ["id", *ic.TRUE_COLUMNS] and ex["id"].tolist() == [5, 6]
    assert ic.truth_extra(cat.drop(columns="true_n_arms")) is None   # real data: no structural truth
    assert ic.truth_extra(None) is None


def test_true_class_and_pool_mask_handle_missing_values():
    df = small_frame()
    np.testing.assert_array_equal(ic.true_class(df), [1, 0, 2, 0, 1, 0, 1, 1])
    assert np.isnan(ic.true_class(small_frame(with_truth=False))).all()
    assert np.isnan(ic.true_class(df.drop(columns=["truth_class", "truth"]))).all()
    np.testing.assert_array_equal(ic.true_class(df.drop(columns="truth_class")), [1, 0, np.nan, 0, 1, 0, 1, 1])
    np.testing.assert_array_equal(ic.pool_mask(df), [True] * 4 + [False] * 4)   # the unlabelled row is out


def test_changed_counts_counts_both_directions_and_scores_them_against_the_truth():
    t = ic.changed_counts(small_frame())
    assert list(t.index) == ["CE on GZ2B", "DDB on GZ2B"]          # only the networks of the frame
    ddb = t.loc["DDB on GZ2B"]
    assert ddb["smooth → disk"] == 3 and ddb["disk → smooth"] == 1
    assert ddb["share changed"] == pytest.approx(3 / 4)
    assert ddb["right (→ disk)"] == pytest.approx(1 / 3)   # the star is not a disk
    assert ddb["right (→ smooth)"] == 1.0
    ce = t.loc["CE on GZ2B"]
    assert ce["smooth → disk"] == 1 and ce["disk → smooth"] == 0
    assert np.isnan(ce["right (→ smooth)"])               # it changes none that way
    assert ic.changed_counts(small_frame(), threshold=0.75).loc["DDB on GZ2B", "smooth → disk"] == 2
    real = ic.changed_counts(small_frame(with_truth=False))
    assert "right (→ disk)" not in real.columns


def test_changed_numbers_of_the_text():
    n = ic.changed_numbers(small_frame())
    assert (n["n_test"], n["n_smooth_b"], n["n_changed"], n["n_back"]) == (8, 4, 3, 1)
    assert n["n_hidden"] == 1 and n["frac_smooth_hidden"] == pytest.approx(0.25)   # row 0
    assert n["frac_hidden_found"] == 1.0 and n["threshold"] == 0.5
    real = ic.changed_numbers(small_frame(with_truth=False))
    assert real["n_changed"] == 3
    assert all(np.isnan(real[k]) for k in ("n_hidden", "frac_hidden_found", "frac_smooth_hidden"))


def test_write_changed_writes_the_table_with_a_manifest(tmp_path):
    from galbias.core import artifacts

    path = tmp_path / "changed.parquet"
    out = ic.write_changed(path, small_frame(), inputs=None)
    assert out["id"].tolist() == [10, 11, 12] and out["alpha"].is_monotonic_increasing
    assert {"p_disk_ddb", "p_disk_ce_gz2b", "truth_class", "true_n_arms"} <= set(out.columns)
    pd.testing.assert_frame_equal(artifacts.read_parquet(path), out)
    m = artifacts.read_json(artifacts.manifest_path(path))
    assert m["params"] == {"model": "ddb", "from": "gz2b", "threshold": 0.5, "split": "test"} and m["n_rows"] == 3


def test_describe_says_what_a_galaxy_truly_is():
    def row(**k):
        return pd.Series(k)

    assert ic.describe(row(truth_class=0, true_n_arms=0)) == "true smooth"
    assert ic.describe(row(truth_class=1, true_n_arms=2)) == "true disk, 2 arms"
    assert ic.describe(row(truth_class=1, true_n_arms=1)) == "true disk, 1 arm"
    assert ic.describe(row(truth_class=1, true_n_arms=0)) == "true disk, no arms"
    assert ic.describe(row(truth_class=1)) == "true disk"
    assert ic.describe(row(truth_class=1, true_n_arms=np.nan)) == "true disk"
    assert ic.describe(row(truth_class=2, true_n_arms=0)) == "true star/artifact"
    assert ic.describe(row(truth_class=pd.NA)) == "" and ic.describe(row(alpha=3.0)) == ""
    assert ic.describe(row(truth=0)) == "true smooth"                      # the binary truth also works


def test_examples_draw_reproducibly_keep_the_order_and_title_both_views():
    ch = ic.changed_table(small_frame(), np.ones(8, bool))
    pick, titles = ic.examples(ch, 5, seed=3)
    assert len(pick) == 5 and pick["alpha"].is_monotonic_increasing and set(pick["id"]) <= set(ch["id"])
    again, _ = ic.examples(ch, 5, seed=3)
    assert again["id"].tolist() == pick["id"].tolist()
    assert set(titles) == {"survey", "high-res"} and all(len(v) == 5 for v in titles.values())
    first = pick.iloc[0]
    assert titles["survey"][0] == f"α={first['alpha']:.1f}, p={first['p_disk_ddb']:.2f}"
    assert titles["high-res"][0] == ic.describe(first)
    assert len(ic.examples(ch, 50, seed=3)[0]) == 8                        # at most all of them
    empty, t0 = ic.examples(ch.iloc[:0], 5, seed=3)
    assert len(empty) == 0 and t0 == {"survey": [], "high-res": []}


def test_grid_message_and_numbers():
    ch = ic.changed_table(small_frame(), ic.changed_mask(small_frame()))
    ch["hires_loc"] = ["hires/a.jpg", "hires/b.jpg", "hires/c.jpg"]
    assert ic.grid_message(ch) is None
    assert ic.grid_numbers(ch) == {"n_grid": 3, "n_grid_disk": 1}
    assert "no test galaxy" in ic.grid_message(ch.iloc[:0])
    no_hires = ch.assign(hires_loc=[None, "hires/b.jpg", "hires/c.jpg"])
    assert "high-resolution" in ic.grid_message(no_hires)
    assert "high-resolution" in ic.grid_message(ch.drop(columns="hires_loc"))
    assert ic.grid_numbers(no_hires)["n_grid"] == 0
    real = ic.changed_table(small_frame(False), ic.changed_mask(small_frame(False)))
    assert np.isnan(ic.grid_numbers(real)["n_grid_disk"])


def test_control_results_run_the_control_for_every_network_and_only_with_the_truth():
    labels, pred = synthetic_test_set()
    t = evaluation_frame(labels, pred)
    res = ic.control_results(t, n_bins=4, n_draws=50, seed=2)
    assert list(res) == ["ce_gz2b", "ce_gz2d", "ddb"]
    sel, pool = ic.changed_mask(t), (t["gz2b"] == 0).to_numpy(bool)
    draws = ic.alpha_matched_draws(t["alpha"][sel], t["alpha"][pool], n_bins=4, n_draws=50, seed=2)
    ref = ic.control_summary(t["truth_class"][sel].to_numpy(float), t["truth_class"][pool].to_numpy(float), draws)
    assert res["ddb"].as_dict() == ref.as_dict() and res["ddb"].n_pool == int(pool.sum())
    assert res["ddb"].frac_changed > res["ddb"].frac_control            # DDB finds the hidden disks
    assert res["ce_gz2d"].n_changed == 0                                # p = 0.5 never exceeds the threshold
    labels.loc[labels.index[1], "truth"] = pd.NA                        # one unknown true class: no control
    assert ic.control_results(evaluation_frame(labels, pred)) == {}


def test_control_numbers_and_table():
    df = small_frame()
    ch = ic.changed_table(df, ic.changed_mask(df))                     # a true disk (2 arms), a smooth, a star
    res = ic.control_results(df, n_bins=1, n_draws=20, seed=0)
    n = ic.control_numbers(res, ch, n_bins=1, n_draws=20)
    assert n["frac_changed"] == pytest.approx(1 / 3) and n["p_min"] == pytest.approx(1 / 21)
    assert n["frac_control"] == pytest.approx(res["ddb"].frac_control) and n["n_draws"] == 20
    assert (n["n_changed_disk"], n["n_changed_smooth"], n["n_changed_arms"], n["n_changed_lenticular"]) == (1, 1, 1, 0)
    n2 = ic.control_numbers(res, ch.assign(true_n_arms=0), 1, 20)
    assert (n2["n_changed_arms"], n2["n_changed_lenticular"]) == (0, 1)
    assert np.isnan(ic.control_numbers(res, ch.drop(columns="true_n_arms"), 1, 20)["n_changed_arms"])
    none = ic.control_numbers(res, ch.iloc[:0], 1, 20)
    assert none["n_changed_disk"] == 0                                  # known truth, nothing changed
    real_df = small_frame(with_truth=False)
    real = ic.control_numbers({}, ic.changed_table(real_df, ic.changed_mask(real_df)), 1, 20)
    assert all(np.isnan(real[k]) for k in ("frac_changed", "p_value", "n_changed_disk", "n_changed_arms"))
    tab = ic.control_table(res)
    assert list(tab.index) == ["CE on GZ2B", "DDB on GZ2B"]
    assert tab.loc["DDB on GZ2B", "changed"] == 3 and tab.loc["DDB on GZ2B", "true disks"] == pytest.approx(1 / 3)
    lo, hi = ic.wilson_interval(1, 3)
    assert tab.loc["DDB on GZ2B", "95% interval"] == f"{lo:.2f}–{hi:.2f}"
    assert tab.loc["DDB on GZ2B", "verdict"] == ic.chance_verdict(res["ddb"])
    assert "note" in ic.control_table({}).columns


def test_paper_numbers_come_from_the_reference():
    from galbias.reference import PAPER_HST

    n = ic.paper_numbers()
    assert n["paper_found"] == PAPER_HST["found"] and n["paper_lenticular"] == PAPER_HST["lenticular"]
    assert n["paper_arms_frac"] == pytest.approx(PAPER_HST["arms"] / PAPER_HST["found"])


def test_chance_and_paper_share_verdicts():
    r = ic.ControlResult(10, 50, 0.9, 0.6, 0.98, 0.5, 0.3, 0.7, 0.001, np.zeros(3))
    assert ic.chance_verdict(r) == "better than chance"
    assert ic.chance_verdict(r, level=0.0005) == "no better than chance"
    assert ic.chance_verdict(None) == "not measured"
    assert ic.chance_verdict(ic.ControlResult(0, 50, *[np.nan] * 7, np.zeros(0))) == "not measured"
    assert ic.paper_share_verdict(70, 100, 8, 11)[0] == "consistent with"
    word, p = ic.paper_share_verdict(5, 100, 8, 11)
    assert word == "lower than" and p < 0.05
    assert ic.paper_share_verdict(100, 100, 2, 11)[0] == "higher than"
    assert ic.paper_share_verdict(0, 0, 8, 11)[0] == "not measured"


def _inspection_frame(n: int = 200, seed: int = 1) -> pd.DataFrame:
    """GZ2B-smooth galaxies; DDB changes the even rows; every changed galaxy is a spiral, no other is."""
    rng = np.random.default_rng(seed)
    changed = np.arange(n) % 2 == 0
    return pd.DataFrame({"id": np.arange(n), "alpha": rng.uniform(2, 20, n),
                         "gz2b": pd.array([0] * n, dtype="Int8"), "p_disk_ddb": np.where(changed, 0.9, 0.1),
                         "truth_class": pd.array(changed.astype(int), dtype="Int64"),
                         "true_n_arms": np.where(changed, 2, 0)})


def test_inspection_chance_tells_a_perfect_selection_from_the_control():
    df = _inspection_frame()
    c = ic.inspection_chance(df, n_bins=4, n_draws=300, seed=0, found=11, arms=8)
    assert c["q_changed"] == 1.0                         # every changed galaxy has arms
    # the control draws from all 200 (half spirals): at least 8 of 11 spirals is rare but possible
    assert 0 < c["q_control"] < 0.25
    assert np.isnan(ic.inspection_chance(df, found=500)["q_changed"])   # fewer changed galaxies than found
    real = df.assign(truth_class=pd.array([None] * len(df), dtype="Int64"))
    assert np.isnan(ic.inspection_chance(real)["q_control"])
    n = ic.verdict_numbers({}, ic.changed_table(df, ic.changed_mask(df)), c)
    assert n["inspection_word"] == ("could" if c["q_control"] < ic.SIGNIFICANCE else "could not")
    assert n["arms_frac"] == 1.0 and n["arms_vs_paper"] == "higher than" and n["chance_word"] == "not measured"
    assert ic.verdict_numbers({}, df.iloc[:0], {})["inspection_word"] == "cannot be judged"
