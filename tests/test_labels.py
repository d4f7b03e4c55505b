import numpy as np
import pandas as pd
import pytest

from galbias.data import catalog, labels
from galbias.data.catalog import CatalogError
from conftest import synthetic_catalog


def derived(df):
    return catalog.add_derived(df)


def test_majority_vote_rule_and_ties():
    df = pd.DataFrame({
        c: v for c, v in zip(labels.fraction_columns("weighted_fraction"),
                             ([0.6, 0.3, 0.1, 0.45], [0.3, 0.6, 0.1, 0.45], [0.1, 0.1, 0.8, 0.10]))
    })
    assert labels.majority_vote(df).tolist() == [0, 1, 2, 0]  # the tie goes to smooth


def test_majority_vote_errors():
    with pytest.raises(CatalogError, match="majority vote needs columns"):
        labels.majority_vote(pd.DataFrame({"x": [1]}))
    df = pd.DataFrame({c: [np.nan, 0.2] for c in labels.fraction_columns("weighted_fraction")})
    with pytest.raises(CatalogError, match="1 of 2 object"):
        labels.majority_vote(df)
    with pytest.raises(ValueError, match="unknown vote-fraction kind"):
        labels.fraction_columns("raw")


def test_make_labels_balanced_split_and_columns():
    cat = derived(synthetic_catalog(4000, seed=1))
    out = labels.make_labels(cat, seed=3)
    assert {"id", "split", "alpha", "gz2b", "gz2d", "truth", "petroRad_kpc", "abs_mag_r", "z"} <= set(out.columns)
    assert (out["gz2b"] == 0).sum() == (out["gz2b"] == 1).sum()
    frac = out["split"].value_counts(normalize=True)
    assert frac["train"] == pytest.approx(0.8, abs=0.01)
    assert frac["val"] == pytest.approx(0.1, abs=0.01)
    for part in ("train", "val", "test"):  # stratified: every split stays balanced
        assert out.loc[out["split"] == part, "gz2b"].mean() == pytest.approx(0.5, abs=0.02)
    assert out["id"].is_unique
    assert set(out["gz2b"]) <= {0, 1} and set(out["gz2d"]) <= {0, 1}
    # stars by vote majority never enter the sample
    star_ids = cat.loc[labels.majority_vote(cat) == 2, "dr7objid"]
    assert not out["id"].isin(star_ids).any()


def test_make_labels_same_seed_same_labels():
    cat = derived(synthetic_catalog(2000, seed=2))
    a = labels.make_labels(cat, seed=5)
    b = labels.make_labels(cat, seed=5)
    c = labels.make_labels(cat, seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["id"].equals(c["id"]) or not a["split"].equals(c["split"])


def test_make_labels_sample_size_and_errors():
    cat = derived(synthetic_catalog(2000, seed=2))
    out = labels.make_labels(cat, sample_size=400, seed=0)
    assert len(out) == 400
    with pytest.raises(CatalogError, match="largest balanced sample"):
        labels.make_labels(cat, sample_size=10**6)
    with pytest.raises(CatalogError, match="too few galaxies"):
        labels.make_labels(cat.iloc[:6], seed=0)


def test_truth_is_null_for_real_data():
    cat = derived(synthetic_catalog(1000, seed=2)).drop(columns=["true_class"])
    out = labels.make_labels(cat, seed=0)
    assert out["truth"].isna().all()
    assert "truth" not in "".join(labels.class_counts(out).columns)


def test_redshift_debias_moves_high_z_towards_features():
    rng = np.random.default_rng(0)
    n = 20000
    z = rng.uniform(0.02, 0.2, n)
    # the same population at every z, but features fade with distance
    p_feat = 0.7 * np.exp(-z / 0.15)
    k = rng.binomial(40, p_feat)
    f_d = k / 40
    df = pd.DataFrame({
        "z": z, "abs_mag_r": rng.normal(-21, 1, n), "petroRad_kpc": rng.lognormal(2, 0.4, n),
    })
    cols_w = labels.fraction_columns("weighted_fraction")
    df[cols_w[0]], df[cols_w[1]], df[cols_w[2]] = 1 - f_d, f_d, 0.0
    out = labels.redshift_debias(df, z_bins=6, mag_bins=2, size_bins=2)
    cols_d = labels.fraction_columns("debiased")
    hi = z > 0.17
    lo = z < 0.05
    before = df.loc[hi, cols_w[1]].mean()
    after = out.loc[hi, cols_d[1]].mean()
    assert after > before + 0.1
    assert after == pytest.approx(df.loc[lo, cols_w[1]].mean(), abs=0.06)
    # fractions stay fractions and the star share is untouched
    assert np.allclose(out[cols_d].sum(axis=1), 1.0)
    assert (out[cols_d[2]] == 0).all()


def test_redshift_debias_requires_columns():
    with pytest.raises(CatalogError, match="redshift_debias needs columns"):
        labels.redshift_debias(pd.DataFrame({"z": [0.1]}))


def test_class_counts_table():
    cat = derived(synthetic_catalog(2000, seed=4))
    out = labels.make_labels(cat, seed=0)
    t = labels.class_counts(out)
    assert list(t.index) == ["train", "val", "test", "all"]
    assert t.loc["all", "n"] == len(out)
    assert t.loc["all", "gz2b smooth"] == t.loc["all", "gz2b disk"]


def test_eval_sample_is_held_out_unbalanced_and_complete():
    cat = derived(synthetic_catalog(3000, seed=5))
    rng = np.random.default_rng(1)
    cat["eval_sample"] = rng.random(len(cat)) < 0.4
    out = labels.make_labels(cat, seed=0)
    ev = out[out["split"] == "eval"]
    rest = out[out["split"] != "eval"]
    held = set(cat.loc[cat["eval_sample"], "dr7objid"])
    # every held-out galaxy (after the star/artifact cut) is in eval, none in train/val/test
    galaxy = (labels.majority_vote(cat, labels.WEIGHTED) != labels.STAR) & (labels.majority_vote(cat, labels.DEBIASED) != labels.STAR)
    assert set(ev["id"]) == set(cat.loc[cat["eval_sample"].to_numpy() & galaxy, "dr7objid"])
    assert not held & set(rest["id"])
    # the labelled sample stays balanced; the evaluation sample keeps the survey's own mix
    assert (rest["gz2b"] == 0).sum() == (rest["gz2b"] == 1).sum()
    assert (ev["gz2b"] == 0).sum() != (ev["gz2b"] == 1).sum()
    t = labels.class_counts(out)
    assert list(t.index) == ["train", "val", "test", "all", "eval"]
    assert t.loc["all", "n"] == len(rest) and t.loc["eval", "n"] == len(ev)
    # without the column (real data) there is no eval split, and the same seed gives the same sample
    same = labels.make_labels(cat.drop(columns=["eval_sample"]), seed=0)
    assert "eval" not in set(same["split"].astype(str))
