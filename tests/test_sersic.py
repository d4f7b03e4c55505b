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
