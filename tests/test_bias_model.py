"""Tests of galbias.results.bias_model (chapter 2): the class-fraction contrast, the model
curves, and P(labelled smooth | true disk, alpha) split by what makes a disk visible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from galbias.data.binning import binned_fraction
from galbias.results import bias_model as bm


def make_tables(n: int = 3000, seed: int = 0, truth: bool = True):
    """Labels and a catalog in the project's columns.  The chance that a true disk is labelled
    smooth falls with alpha and with arm strength; lenticular-like disks are labelled smooth
    half of the time whatever their alpha; edge-on disks like face-on ones."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n, dtype=np.int64) + 588_000_000_000_000_000
    true = rng.choice([0, 1], size=n, p=[0.35, 0.65])
    alpha = 10 ** rng.uniform(0.6, 1.6, n)
    n_arms = np.where(rng.random(n) < 0.1, 0, rng.choice([2, 3, 4], size=n))
    arm = np.where(n_arms == 0, 0.05 * rng.random(n), rng.uniform(0.35, 0.95, n))
    incl = np.degrees(np.arccos(rng.random(n)))
    p_smooth = np.where(n_arms == 0, 0.5, np.exp(-alpha * arm / 6.0))
    gz2b = np.where(true == 1, (rng.random(n) >= p_smooth).astype(int), (rng.random(n) < 0.05).astype(int))
    labels = pd.DataFrame({"id": ids, "alpha": alpha, "gz2b": gz2b, "gz2d": gz2b,
                           "truth": pd.array(true if truth else [pd.NA] * n, dtype="Int8")})
    catalog = pd.DataFrame({"dr7objid": ids[::-1].copy(), "true_arm_contrast": arm[::-1], "true_n_arms": n_arms[::-1],
                            "true_inclination_deg": incl[::-1]})
    return labels, catalog


def test_disk_cues_joins_on_the_id_and_keeps_the_true_disks():
    labels, catalog = make_tables()
    d = bm.disk_cues(labels, catalog)
    assert len(d) == int((labels["truth"] == 1).sum())
    # the catalog is in reverse order: the join must use the id, not the row order
    ref = catalog.set_index("dr7objid").loc[d["id"]]
    assert np.allclose(d["true_arm_contrast"], ref["true_arm_contrast"])
    assert (d["smooth"] == (labels.set_index("id").loc[d["id"], "gz2b"].to_numpy() == 0)).all()


def test_disk_cues_groups():
    labels, catalog = make_tables()
    d = bm.disk_cues(labels, catalog)
    armed = d["true_n_arms"] > 0
    assert (d.loc[~armed, "arms"] == bm.LENTICULAR).all() and (d.loc[~armed, "kind"] == bm.LENTICULAR).all()
    counts = d.loc[armed, "arms"].value_counts()
    assert set(counts.index) == set(bm.ARM_TERCILES) and counts.max() - counts.min() <= 1
    # terciles are ordered by arm strength
    med = d[armed].groupby("arms")["true_arm_contrast"].median()
    assert med[bm.ARM_TERCILES[0]] < med[bm.ARM_TERCILES[1]] < med[bm.ARM_TERCILES[2]]
    inc = d["true_inclination_deg"]
    assert (d.loc[inc < bm.FACE_ON_MAX, "inclination"] == bm.FACE_ON).all()
    assert (d.loc[inc > bm.EDGE_ON_MIN, "inclination"] == bm.EDGE_ON).all()
    assert (d.loc[(inc >= bm.FACE_ON_MAX) & (inc <= bm.EDGE_ON_MIN), "inclination"] == bm.INCLINED).all()
    for col, groups, _ in bm.CUE_PANELS:
        assert set(groups) <= set(d[col])


def test_disk_cues_is_none_without_the_truth():
    labels, catalog = make_tables(truth=False)
    assert bm.disk_cues(labels, catalog) is None
    labels, catalog = make_tables()
    assert bm.disk_cues(labels, None) is None
    assert bm.disk_cues(labels, catalog.drop(columns="true_n_arms")) is None


def test_smooth_share_by_uses_each_groups_own_bins():
    labels, catalog = make_tables()
    d = bm.disk_cues(labels, catalog)
    t = bm.smooth_share_by(d, "arms", bm.ARM_TERCILES, n_bins=6)
    assert list(t["group"].unique()) == list(bm.ARM_TERCILES)
    strong = d[d["arms"] == bm.ARM_TERCILES[2]]
    ref = binned_fraction(strong["alpha"].to_numpy(), strong["smooth"].to_numpy(), 6)
    got = t[t["group"] == bm.ARM_TERCILES[2]].drop(columns="group").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, ref)
    # stronger arms are labelled smooth less often at the same alpha (the synthetic rule)
    weak = t[t["group"] == bm.ARM_TERCILES[0]]["frac"].to_numpy()
    assert (got["frac"].to_numpy() <= weak + 0.1).all() and got["frac"].mean() < weak.mean()


def test_smooth_share_by_small_groups():
    labels, catalog = make_tables()
    d = bm.disk_cues(labels, catalog)
    n_lent = int((d["kind"] == bm.LENTICULAR).sum())
    t = bm.smooth_share_by(d, "kind", (bm.SPIRAL, bm.LENTICULAR), n_bins=8, min_per_bin=n_lent // 2)
    lent = t[t["group"] == bm.LENTICULAR]
    assert len(lent) == 2 and lent["n"].sum() == n_lent
    # a group too small for one bin is left out; no groups at all gives an empty table
    t = bm.smooth_share_by(d, "kind", (bm.LENTICULAR,), min_per_bin=n_lent + 1)
    assert t.empty and "frac" in t.columns


def test_middle_alpha_shares():
    labels, catalog = make_tables(n=6000)
    d = bm.disk_cues(labels, catalog)
    out = bm.middle_alpha_shares(d)
    lo, hi = np.quantile(d["alpha"], [0.4, 0.6])
    assert out["mid_alpha_lo"] == pytest.approx(lo) and out["mid_alpha_hi"] == pytest.approx(hi)
    mid = d[(d["alpha"] >= lo) & (d["alpha"] < hi)]
    assert out["mid_n_all"] == len(mid) and out["mid_all"] == pytest.approx(mid["smooth"].mean())
    lent = mid[mid["kind"] == bm.LENTICULAR]
    assert out["mid_n_lent"] == len(lent) and out["mid_lent"] == pytest.approx(lent["smooth"].mean())
    assert out["mid_strong"] < out["mid_weak"] < out["mid_lent"]
    empty = bm.middle_alpha_shares(None)
    assert set(empty) == set(out) and all(np.isnan(v) for v in empty.values())


def test_fraction_contrast_and_curves():
    labels, _ = make_tables()
    c = bm.fraction_contrast(labels)
    assert c["alpha_q20"] < c["alpha_q80"]
    assert c["fs_lo_b"] > c["fs_hi_b"] and np.isfinite(c["fs_lo_t"])
    no_truth, _ = make_tables(truth=False)
    assert np.isnan(bm.fraction_contrast(no_truth)["fs_lo_t"])
    curves = bm.bias_curves((2.0, 50.0), thetas=(5.0, 10.0), f_s=0.3, n=20)
    assert len(curves) == 40 and np.allclose(curves["f_obs"], 0.3 + 0.7 * curves["b"])
    assert bm.volunteer_bias(no_truth) is None
    vb = bm.volunteer_bias(labels, n_bins=5)
    assert len(vb) == 5 and vb["frac"].iloc[0] > vb["frac"].iloc[-1]


# --------------------------------------------------------------------------------------
# the verdict: the model against the volunteers' points
# --------------------------------------------------------------------------------------

def _points(theta=9.0, n=400, seed=0, floor=0.0):
    """Binned points drawn from b(alpha; theta) (plus a floor) with n disks a bin."""
    rng = np.random.default_rng(seed)
    a = np.geomspace(3, 40, 12)
    p = floor + (1 - floor) * np.exp(-0.5 * (a / theta) ** 2)
    k = rng.binomial(n, p)
    return pd.DataFrame({"alpha_mid": a, "n": n, "frac": k / n, "err": np.sqrt(k / n * (1 - k / n) / n)})


def test_model_check_and_best_theta():
    vol = _points(theta=9.0)
    th = bm.best_theta(vol)
    assert th == pytest.approx(9.0, rel=0.05)
    good, bad = bm.model_check(vol, th), bm.model_check(vol, 15.0)
    assert good["rms"] < bad["rms"] and good["chi2_red"] < bad["chi2_red"] and good["n_points"] == 12
    assert bm.chi2_word(good["chi2_red"], 11) == "within their errors"
    assert bm.chi2_word(bad["chi2_red"], 11) == "beyond their errors"
    assert np.isnan(bm.best_theta(None)) and np.isnan(bm.model_check(None, 9.0)["rms"])
    # a floor the model lacks shows up as a misfit
    floored = _points(theta=9.0, n=2000, floor=0.15)
    assert bm.chi2_word(bm.model_check(floored, bm.best_theta(floored))["chi2_red"], 11) == "beyond their errors"


def test_chi2_word_edges():
    assert bm.chi2_word(1.0, 10) == "within their errors"
    assert bm.chi2_word(0.01, 200) == "closer than their errors"
    assert bm.chi2_word(np.nan, 10) == "not measured" and bm.chi2_word(1.0, 0) == "not measured"


def test_group_gap_and_false_disks():
    shares = {"mid_strong": 0.29, "mid_n_strong": 137, "mid_weak": 0.59, "mid_n_weak": 124,
              "mid_face": 0.37, "mid_n_face": 135, "mid_edge": 0.42, "mid_n_edge": 98}
    g = bm.group_gap(shares, "strong", "weak")
    assert g["gap"] == pytest.approx(0.30) and g["word"] == "differ beyond the noise"
    assert g["gap_sd"] == pytest.approx(np.sqrt(0.29 * 0.71 / 137 + 0.59 * 0.41 / 124))
    assert bm.group_gap(shares, "face", "edge")["word"] == "differ within the noise"
    assert bm.group_gap(bm.middle_alpha_shares(None), "strong", "weak")["word"] == "not measured"
    labels, _ = make_tables()
    f = bm.false_disks(labels)
    smooth = labels["truth"] == 0
    assert f["false_disk"] == pytest.approx((labels.loc[smooth, "gz2b"] == 1).mean()) and f["n_true_smooth"] == smooth.sum()
    no_truth, _ = make_tables(truth=False)
    assert np.isnan(bm.false_disks(no_truth)["false_disk"])
