"""Tests of galbias.sersic: ECDFs, the changed sets and the n = 3 fractions of the paper's Fig. 10."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from galbias.results.sersic import (
    COLUMNS,
    SersicError,
    changed_to_disk,
    ecdf,
    fractions_table,
    groups,
    paper_value_text,
    sersic_frame,
    truth_by_sersic,
    write_sersic,
)


def small():
    """Eight test galaxies (and two training ones) with hand-picked labels and Sérsic indices."""
    labels = pd.DataFrame({
        "id": np.arange(10),
        "split": ["test"] * 8 + ["train"] * 2,
        "sersic_n": [1.0, 1.5, 4.0, 5.0, 2.0, np.nan, 3.5, 0.8, 1.0, 1.0],
        "gz2b": [1, 1, 0, 0, 0, 0, 0, 1, 0, 0],
        "gz2d": [1, 1, 0, 1, 1, 0, 0, 1, 0, 0],
        "truth": pd.array([1, 1, 0, 0, 1, 1, 2, 1, 0, 0], dtype="Int8"),
    })
    pred = pd.DataFrame({"id": np.arange(10)[::-1], "split": "test",
                         "p_disk_ddb": [0.1, 0.1, 0.9, 0.9, 0.2, 0.7, 0.2, 0.2, 0.8, 0.9]})
    # reversed ids: galaxy i has p_disk_ddb = pred value at position 9 - i
    return labels, pred


def test_ecdf():
    x, f = ecdf([3.0, np.nan, 1.0, 2.0])
    assert x.tolist() == [1.0, 2.0, 3.0]
    assert f.tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])
    x, f = ecdf([])
    assert x.size == 0 and f.size == 0


def test_changed_to_disk():
    before = pd.array([0, 0, 1, pd.NA, 0], dtype="Int8")
    after = [1, 0, 1, 1, np.nan]
    assert changed_to_disk(before, after).tolist() == [True, False, False, False, False]
    with pytest.raises(SersicError, match="entries"):
        changed_to_disk([0, 1], [1])


def test_sersic_frame_and_groups():
    labels, pred = small()
    cat = pd.DataFrame({"dr7objid": np.arange(10), "true_bulge_frac": np.linspace(0, 0.9, 10)})
    f = sersic_frame(labels, pred, "test", catalog=cat)
    assert len(f) == 8
    # ddb of galaxy i = p at position 9 - i > 0.5
    assert f["ddb"].tolist() == [1, 1, 0, 0, 1, 0, 1, 1]
    assert pd.isna(f.loc[6, "truth"])  # a star has no morphology
    assert f["bulge_frac"].tolist() == pytest.approx(np.linspace(0, 0.9, 10)[:8])
    g = {x.name: x for x in groups(f)}
    assert g["smooth_gz2b"].mask.tolist() == [False, False, True, True, True, True, True, False]
    assert g["changed_gz2d"].mask.tolist() == [False, False, False, True, True, False, False, False]
    assert g["changed_ddb"].mask.tolist() == [False, False, False, False, True, False, True, False]
    assert {"true_smooth", "true_disk"} <= set(g)
    assert [x.panel for x in groups(f, with_truth=False)][-1] == "c"


def test_fractions_table_by_hand():
    labels, pred = small()
    f = sersic_frame(labels, pred)
    t = fractions_table(f["sersic_n"], groups(f), truth=f["truth"]).set_index("name")
    assert list(t.reset_index().columns) == COLUMNS
    # GZ2B smooth: n = 4, 5, 2, nan, 3.5 -> 4 measured, one below 3
    assert t.loc["smooth_gz2b", "count"] == 5 and t.loc["smooth_gz2b", "n_measured"] == 4
    assert t.loc["smooth_gz2b", "frac_n_lt_3"] == pytest.approx(0.25)
    assert t.loc["smooth_gz2b", "frac_n_gt_3"] == pytest.approx(0.75)
    # true classes 0, 0, 1, 1, NA(star) -> 2 of 4 are disks
    assert t.loc["smooth_gz2b", "frac_true_disk"] == pytest.approx(0.5)
    # GZ2B disks: n = 1, 1.5, 0.8 -> all below 3, all true disks
    assert t.loc["disk_gz2b", "frac_n_lt_3"] == 1.0 and t.loc["disk_gz2b", "frac_true_disk"] == 1.0
    assert t.loc["smooth_gz2b", "paper_value"] == "≈40% with n < 3"
    assert t.loc["changed_ddb", "paper_value"] == "<30% with n > 3"
    assert pd.isna(t.loc["disk_ddb", "paper_value"])
    assert t.loc["true_disk", "frac_true_disk"] == 1.0
    no_truth = fractions_table(f["sersic_n"], groups(f, with_truth=False))
    assert no_truth["frac_true_disk"].isna().all()


def test_empty_group_gives_nan():
    from galbias.results.sersic import Group

    t = fractions_table([1.0, 2.0], [Group("x", "a", "none", np.array([False, False]), "ddb")])
    assert t.loc[0, "count"] == 0 and np.isnan(t.loc[0, "frac_n_lt_3"]) and np.isnan(t.loc[0, "frac_n_gt_3"])


def test_truth_by_sersic():
    t = truth_by_sersic([1.0, 2.0, 4.0, 5.0, np.nan, 1.0], [1, 0, 1, 0, 1, np.nan])
    assert t.loc["n < 3", "count"] == 2 and t.loc["n < 3", "frac_true_disk"] == 0.5
    assert t.loc["n > 3", "true_disks"] == 1
    assert t["share_of_true_disks"].sum() == pytest.approx(1.0)


def test_errors_name_the_file():
    labels, pred = small()
    with pytest.raises(SersicError, match="p_disk_ddb"):
        sersic_frame(labels, pred.drop(columns="p_disk_ddb"))
    with pytest.raises(SersicError, match="04_ddb_training"):
        sersic_frame(labels, None)
    with pytest.raises(SersicError, match="lacks 2 of the 8"):
        sersic_frame(labels, pred[~pred["id"].isin([0, 1])])
    with pytest.raises(SersicError, match="sersic_n"):
        sersic_frame(labels.drop(columns="sersic_n"), pred)
    with pytest.raises(SersicError, match="unknown split"):
        sersic_frame(labels, pred, "train")


def test_paper_value_text():
    assert paper_value_text("smooth_ddb") == "<20% with n < 3"
    assert paper_value_text("changed_gz2d") == "≈50% with n > 3"
    assert paper_value_text("true_disk") is None
    assert paper_value_text("smooth_gz2b", with_side=False) == "≈40%"


def test_write_sersic(tmp_path):
    labels, pred = small()
    f = sersic_frame(labels, pred)
    t = fractions_table(f["sersic_n"], groups(f), truth=f["truth"])
    path = write_sersic(tmp_path / "sersic.csv", t, {"split": "test"}, {})
    back = pd.read_csv(path)
    assert list(back.columns) == COLUMNS and len(back) == len(t)
    assert json.loads((tmp_path / "sersic.manifest.json").read_text())["params"] == {"split": "test"}
    with pytest.raises(KeyError, match="paper_value"):
        write_sersic(path, t.drop(columns="paper_value"), {}, {})


def test_true_bulge_fractions(tmp_path):
    from galbias.results.sersic import PANELS, true_bulge_fractions

    pd.DataFrame({"dr7objid": [1, 2], "true_bulge_frac": [0.1, 1.0], "x": [0, 0]}).to_parquet(tmp_path / "m.parquet")
    pd.DataFrame({"dr7objid": [1, 2]}).to_parquet(tmp_path / "r.parquet")
    assert list(true_bulge_fractions(tmp_path / "m.parquet").columns) == ["dr7objid", "true_bulge_frac"]
    assert true_bulge_fractions(tmp_path / "r.parquet") is None
    with pytest.raises(FileNotFoundError, match="00_survey"):
        true_bulge_fractions(tmp_path / "none.parquet")
    labels, pred = small()
    names = {g.name for g in groups(sersic_frame(labels, pred))}
    assert {n for v in PANELS.values() for n in v} == names


# --- Table 6.1, Table 6.2 and the verdicts ---------------------------------------------------------

def test_paper_verdict_for_bounds_and_approximate_values():
    from galbias.results.sersic import paper_verdict

    # "<20%": 10 of 100 -> Wilson interval about 0.055-0.174, wholly below 0.2
    assert paper_verdict("n<3", "<", 0.2, 10, 100) == "agrees"
    assert paper_verdict("n<3", "<", 0.2, 18, 100) == "within the noise"   # interval straddles 0.2
    assert paper_verdict("n<3", "<", 0.2, 22, 100) == "within the noise"   # above, but not clearly
    assert paper_verdict("n<3", "<", 0.2, 40, 100) == "does not agree"
    # "≈40%" read to ±5 points
    assert paper_verdict("n<3", "≈", 0.4, 44, 100) == "agrees"
    assert paper_verdict("n<3", "≈", 0.4, 45, 100) == "agrees"             # the edge of the band counts
    assert paper_verdict("n<3", "≈", 0.4, 52, 100) == "within the noise"   # interval reaches the band
    assert paper_verdict("n<3", "≈", 0.4, 75, 100) == "does not agree"
    assert paper_verdict("n<3", "≈", 0.4, 52, 100, tolerance=0.15) == "agrees"
    assert paper_verdict("n>3", "≈", 0.5, 0, 0) == "not measured"
    with pytest.raises(ValueError):
        paper_verdict("n=3", "<", 0.2, 1, 2)
    with pytest.raises(ValueError):
        paper_verdict("n<3", ">", 0.2, 1, 2)


def test_compare_fractions():
    from galbias.results.sersic import compare_fractions

    assert compare_fractions(10, 100, 40, 100) == "lower than"
    assert compare_fractions(40, 100, 10, 100) == "higher than"
    assert compare_fractions(20, 100, 25, 100) == "about the same as"
    assert compare_fractions(0, 0, 25, 100) == "not comparable with"
    assert compare_fractions(0, 10, 0, 10) == "about the same as"


def _table(rows):
    """A fractions_table-like frame from (name, n_measured, frac_n_lt_3)."""
    return pd.DataFrame([{"name": n, "panel": "a", "description": n, "count": m, "n_measured": m,
                          "frac_n_lt_3": f if m else np.nan, "frac_n_gt_3": 1 - f if m else np.nan,
                          "frac_true_disk": np.nan, "paper_value": None} for n, m, f in rows], columns=COLUMNS)


def test_paper_comparison_counts_verdicts_and_orderings():
    from galbias.results.sersic import paper_comparison

    t = _table([("smooth_gz2b", 200, 0.41), ("smooth_gz2d", 200, 0.60), ("smooth_ddb", 200, 0.10),
                ("disk_gz2b", 200, 0.90), ("changed_gz2d", 0, np.nan), ("changed_ddb", 200, 0.95)])
    tab, n = paper_comparison(t)
    assert list(tab.columns) == ["side", "paper", "this run", "95% interval", "verdict"]
    assert tab.loc["smooth: GZ2B", "verdict"] == "agrees" and n["v_smooth_gz2b"] == "agrees"
    assert tab.loc["smooth: GZ2D", "verdict"] == "does not agree"
    assert tab.loc["smooth: DDB", "this run"] == pytest.approx(0.10)
    assert tab.loc["disk: GZ2B", "this run"] == pytest.approx(0.10)      # the n > 3 side
    assert tab.loc["smooth → disk: GZ2D", "verdict"] == "not measured"
    assert (n["n_paper"], n["n_compared"], n["n_agree"], n["n_noise"], n["n_disagree"]) == (6, 5, 4, 0, 1)
    assert n["verdict_tally"] == ("4 of the 5 numbers that could be measured agree, 0 agree within the noise "
                                  "and 1 does not agree (1 could not be measured in this run)")
    assert n["list_disagree"] == "smooth: GZ2D" and n["list_noise"] == "none"
    assert n["list_unmeasured"] == "smooth → disk: GZ2D"
    assert n["order_smooth"] == "lower than" and n["order_smooth_ok"] == "as in the paper"
    assert n["order_changed"] == "not comparable with" and n["order_changed_ok"] == "not testable in this run"
    # the paper's ordering reversed
    t2 = _table([("smooth_gz2b", 200, 0.10), ("smooth_ddb", 200, 0.40), ("changed_gz2d", 200, 0.7),
                 ("changed_ddb", 200, 0.69)])
    _, n2 = paper_comparison(t2)
    assert n2["order_smooth_ok"] == "unlike the paper"
    assert n2["order_changed"] == "about the same as" and n2["order_changed_ok"] == "not distinguishable in this run"


def test_sets_table_and_ecdf_frame():
    from galbias.results.sersic import ecdf_frame, sets_table

    labels, pred = small()
    f = sersic_frame(labels, pred)
    G = groups(f)
    st = sets_table(fractions_table(f["sersic_n"], G, truth=f["truth"]))
    assert list(st.columns) == ["panel", "galaxies", "with a fit", "n < 3", "true disks"]
    assert st.loc["smooth: GZ2B", "galaxies"] == 5 and st.loc["smooth: GZ2B", "with a fit"] == 4
    long = ecdf_frame(f["sersic_n"], G, ["smooth_gz2b", "disk_gz2b"])
    assert set(long["set"]) == {"smooth: GZ2B (4)", "disk: GZ2B (3)"}
    assert len(long) == 7 and set(long["color_key"]) == {"gz2b"}
    assert ecdf_frame(f["sersic_n"], G, ["not_a_set"]).empty


def test_trend_words():
    from galbias.results.sersic import alpha_trends, trend_word

    flat = pd.DataFrame({"frac": [0.5, 0.55], "err": [0.05, 0.05]})
    up = pd.DataFrame({"frac": [0.2, 0.5, 0.8], "err": [0.05, 0.05, 0.05]})
    assert trend_word(flat) == "stays flat within its errors"
    assert trend_word(up) == "rises" and trend_word(up.iloc[::-1]) == "falls"
    assert trend_word(None) == "is not measured"
    words = alpha_trends({"true_smooth": up})
    assert words["trend_ts"] == "rises" and words["trend_sf"] == "is not measured"
