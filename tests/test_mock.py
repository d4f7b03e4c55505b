"""Tests of the simulated survey (galbias.mock).

Render-free tests (population, regions, volunteers) use a few thousand objects; the survey
tests render a few hundred small (32 px) images into pytest's tmp_path.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import stats

from galbias.data import catalog
from galbias.compendium.config import get_profile
from galbias.data.labels import majority_vote
from galbias.mock import (
    draw_population,
    region_table,
    render_galaxy_views,
    render_resolution_sequence,
    simulate_survey,
    simulate_votes,
)
from galbias.mock import profiles, survey
from galbias.results.survey import smooth_fraction_vs_alpha


def _population(realism):
    cfg = get_profile("smoke", n_galaxies=6000, n_eval=1500, survey_realism=realism)
    pop = draw_population(cfg)
    votes = simulate_votes(pop, cfg)
    return cfg, catalog.add_derived(pd.concat([pop, votes], axis=1))


@pytest.fixture(scope="module")
def population():
    return _population("realistic")


@pytest.fixture(scope="module")
def idealised():
    return _population("idealised")


def small_cfg(**kw):
    base = dict(n_galaxies=300, n_eval=0, shard_size=100, n_workers=1, image_size=32, hires_size=32)
    base.update(kw)
    return get_profile("smoke", **base)


# --- profiles ------------------------------------------------------------------------------

def test_petrosian_quantities_of_known_profiles():
    """Unblurred (r_e >> PSF) exponential and de Vaucouleurs profiles give the textbook
    SDSS Petrosian numbers."""
    big = np.array([200.0])
    exp_ = profiles.petrosian(profiles.component_curves([np.ones(1)], [np.ones(1)], [big], np.ones(1)))
    dev = profiles.petrosian(profiles.component_curves([np.ones(1)], [np.full(1, 4.0)], [big], np.ones(1)))
    # exponential: Petrosian radius ~2.1-2.2 r_e, nearly all the light, R90/R50 ~ 2.3
    assert 2.0 < exp_.rad[0] / big[0] < 2.25
    assert exp_.flux_frac[0] > 0.98
    assert exp_.r90[0] / exp_.r50[0] == pytest.approx(2.3, abs=0.05)
    # de Vaucouleurs: ~82 % of the light, R90/R50 ~ 3.3
    assert dev.flux_frac[0] == pytest.approx(0.82, abs=0.02)
    assert dev.r90[0] / dev.r50[0] == pytest.approx(3.35, abs=0.1)
    # a point source: R50 of a Gaussian PSF is 1.18 sigma
    pt = profiles.petrosian(profiles.component_curves([np.ones(1)], [np.ones(1)], [np.full(1, 0.01)], np.ones(1)))
    assert pt.r50[0] == pytest.approx(1.1774, rel=0.02)


# --- population, regions, volunteers (render-free) ----------------------------------------

def test_population_is_deterministic_and_selected(population):
    cfg, d = population
    again = draw_population(cfg)
    pd.testing.assert_frame_equal(d[again.columns], again)
    assert len(d) == cfg.n_galaxies + cfg.n_eval and int(d["eval_sample"].sum()) == cfg.n_eval
    assert d["dr7objid"].is_unique
    assert (d["petroMag_r"] <= 17.0).all() and (d["petroR90_r"] > 3.0).all()
    assert ((d["z"] > 0.01) & (d["z"] < 0.25)).all()
    assert (d["true_class"] == 2).mean() == pytest.approx(cfg.star_fraction, abs=0.002)
    gal = d[d["true_class"] < 2]
    assert 0.55 < (gal["true_class"] == 1).mean() < 0.7


def test_alpha_and_sizes_are_sdss_like(population, idealised):
    _, d = idealised
    gal = d[d["true_class"] < 2]
    p5, p50, p95 = np.percentile(gal["alpha"], [5, 50, 95])
    assert 4 < p5 < 9 and 10 < p50 < 22 and 25 < p95 < 70
    # the realistic survey (Shen et al. 2003 sizes) is less resolved: a GZ2-like sample at z ~ 0.08
    _, d = population
    gal = d[d["true_class"] < 2]
    p5, p50, p95 = np.percentile(gal["alpha"], [5, 50, 95])
    assert 3 < p5 < 6 and 6 < p50 < 11 and 15 < p95 < 45
    psf = np.percentile(gal["psfWidth_r"], [5, 50, 95])
    assert psf == pytest.approx([1.02, 1.30, 1.68], abs=0.08)
    conc = (gal["petroR90_r"] / gal["petroR50_r"]).median()
    assert 2.4 < conc < 3.0


def test_region_populations_are_identical(population):
    """Regions are assigned independently of the galaxies: same luminosity function and
    class mix everywhere, while the observing conditions (seeing) differ."""
    _, d = population
    gal = d[d["true_class"] < 2]
    groups = [g for _, g in gal.groupby("region")]
    assert len(groups) == 4
    for g in groups[1:]:
        assert stats.ks_2samp(groups[0]["true_abs_mag"], g["true_abs_mag"]).pvalue > 0.01
        assert stats.ks_2samp(groups[0]["z"], g["z"]).pvalue > 0.01
    table = pd.crosstab(gal["region"], gal["true_class"])
    assert stats.chi2_contingency(table).pvalue > 0.01
    seeing = gal.groupby("region")["psfWidth_r"].median()
    assert seeing.max() - seeing.min() > 0.15
    # positions inside each region's box
    t = region_table()
    for r, g in d.groupby("region"):
        assert g["ra"].between(t.loc[r, "ra_min"], t.loc[r, "ra_max"]).all()
        assert g["dec"].between(t.loc[r, "dec_min"], t.loc[r, "dec_max"]).all()


def test_realistic_truth_changes_with_alpha_and_volunteers_err_both_ways(population):
    """Realistic survey: the true disk fraction rises with alpha (through size and luminosity),
    ellipticals span E0-E7, colours overlap, and a few smooth galaxies get a disk majority."""
    _, d = population
    fr = smooth_fraction_vs_alpha(d, n_bins=5)
    assert fr["true_smooth"].iloc[0] > fr["true_smooth"].iloc[-1] + 0.15
    assert fr["observed_smooth"].iloc[0] > fr["observed_smooth"].iloc[-1] + 0.3
    obs = majority_vote(d)
    t = d["true_class"].to_numpy()
    assert 0.005 < (obs[t == 0] == 1).mean() < 0.05
    smooth = d[t == 0]
    assert (smooth["true_axis_ratio"] < 0.5).mean() > 0.05 and smooth["true_axis_ratio"].min() >= 0.3
    assert 0.03 < smooth["true_blue_early"].mean() < 0.09
    disks = d[t == 1]
    assert 0.08 < disks["true_red_disk"].mean() < 0.25


def test_poorly_resolved_disks_are_voted_smooth(idealised):
    """Idealised survey: the observed smooth fraction rises as alpha falls; the true one does not."""
    _, d = idealised
    fr = smooth_fraction_vs_alpha(d, n_bins=5)
    assert fr["observed_smooth"].iloc[0] > fr["observed_smooth"].iloc[-1] + 0.25
    assert abs(fr["true_smooth"].iloc[0] - fr["true_smooth"].iloc[-1]) < 0.07
    assert fr["true_smooth"].max() - fr["true_smooth"].min() < 0.08
    assert np.all(np.diff(fr["disks_labelled_smooth"]) < 0.02)  # falls with alpha
    assert fr["disks_labelled_smooth"].iloc[0] > 0.6 and fr["disks_labelled_smooth"].iloc[-1] < 0.2
    obs = majority_vote(d)
    t = d["true_class"].to_numpy()
    assert 0.2 < (obs[t == 1] == 0).mean() < 0.4          # about a quarter to a third overall
    assert (obs[t == 0] == 1).mean() < 0.02               # smooth galaxies stay smooth


def test_visibility_follows_the_psf_not_the_formula(population):
    """Blurring the same disks more (a wider PSF) lowers their visibility."""
    cfg, d = population
    disks = d[d["true_class"] == 1].head(500).copy()
    from galbias.mock.volunteers import feature_visibility

    v1 = feature_visibility(disks)["visibility"]
    wider = disks.assign(psfWidth_r=disks["psfWidth_r"] * 1.5)
    v2 = feature_visibility(wider)["visibility"]
    assert (v2 <= v1 + 1e-12).mean() > 0.97
    assert v2.median() < 0.8 * v1.median()


def test_stars_get_star_votes(population):
    _, d = population
    obs = majority_vote(d)
    t = d["true_class"].to_numpy()
    assert (obs[t == 2] == 2).mean() > 0.9
    assert (obs[t < 2] == 2).mean() < 0.01
    # vote columns are consistent
    counts = d[[f"{catalog.ANSWERS[a]}_count" for a in range(3)]].sum(axis=1)
    assert (counts == d["total_classifications"]).all()
    w = d[[f"{catalog.ANSWERS[a]}_weighted_fraction" for a in range(3)]].sum(axis=1)
    assert np.allclose(w, 1.0)


# --- the rendered survey -------------------------------------------------------------------

@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean")
    cfg = small_cfg()
    return cfg, out, simulate_survey(cfg, out, progress=False)


def test_catalog_is_valid_and_complete(clean_run):
    cfg, out, df = clean_run
    catalog.validate_catalog(df)
    on_disk = pd.read_parquet(out / "catalog.parquet")
    pd.testing.assert_frame_equal(df.reset_index(drop=True), on_disk)
    assert set(catalog.REQUIRED) <= set(df.columns) and set(catalog.OPTIONAL) <= set(df.columns)
    assert not [c for c in df.columns if c.startswith("sim_")]
    assert (out / "catalog.manifest.json").exists()
    for col in ("file_loc", "hires_loc"):
        for loc in df[col].iloc[::37]:
            img = Image.open(io.BytesIO((out / loc).read_bytes()))
            assert img.size == (32, 32) and img.mode == "RGB"
    assert df["file_loc"].str.match(r"images/\d{3}/\d+\.jpg").all()
    for c in ("sersic_n", "sersic_e", "sersic_re_arcsec", "sersic_re_kpc"):
        assert np.isfinite(df[c]).all()


def test_measured_sersic_index_tracks_true_class(clean_run):
    _, _, df = clean_run
    n_smooth = df.loc[df["true_class"] == 0, "sersic_n"]
    n_disk = df.loc[df["true_class"] == 1, "sersic_n"]
    assert n_smooth.median() > n_disk.median() + 0.8
    assert stats.mannwhitneyu(n_smooth, n_disk).pvalue < 1e-6
    # measured, not copied: noisy with respect to the truth
    sm = df[df["true_class"] == 0]
    assert not np.allclose(sm["sersic_n"], sm["true_sersic_n"], rtol=0.05)


def test_same_seed_same_catalog_and_jpeg_bytes(clean_run, tmp_path):
    cfg, out, df = clean_run
    df2 = simulate_survey(cfg, tmp_path / "again", progress=False)
    pd.testing.assert_frame_equal(df, df2)
    for loc in list(df["file_loc"].iloc[[0, 150, 299]]) + list(df["hires_loc"].iloc[[1, 200]]):
        assert (out / loc).read_bytes() == (tmp_path / "again" / loc).read_bytes()


def test_result_does_not_depend_on_worker_count(clean_run, tmp_path):
    cfg, out, df = clean_run
    df2 = simulate_survey(cfg.replace(n_workers=2), tmp_path / "two", progress=False)
    pd.testing.assert_frame_equal(df, df2)
    loc = df["file_loc"].iloc[250]
    assert (out / loc).read_bytes() == (tmp_path / "two" / loc).read_bytes()


def test_resume_after_interruption(clean_run, tmp_path, monkeypatch):
    cfg, out, df = clean_run
    target = tmp_path / "resume"
    calls = []
    real = survey.render_shard

    def flaky(pop, cfg_, k, out_dir):
        calls.append(k)
        if k == 1:
            raise KeyboardInterrupt("simulated interruption")
        return real(pop, cfg_, k, out_dir)

    monkeypatch.setattr(survey, "render_shard", flaky)
    with pytest.raises(KeyboardInterrupt):
        simulate_survey(cfg, target, progress=False)
    assert not (target / "catalog.parquet").exists()
    assert (target / "shards" / "shard_000.parquet").exists()
    monkeypatch.setattr(survey, "render_shard", lambda *a: (calls.append(a[2]), real(*a))[1])
    calls.clear()
    df2 = simulate_survey(cfg, target, progress=False)
    assert calls == [1, 2]  # the finished shard was not redone
    pd.testing.assert_frame_equal(df, df2)

    # a lost image makes its shard render again; a fresh catalog is then simply read
    (target / df["file_loc"].iloc[5]).unlink()
    calls.clear()
    pd.testing.assert_frame_equal(df, simulate_survey(cfg, target, progress=False))
    assert calls == [0]
    calls.clear()
    pd.testing.assert_frame_equal(df, simulate_survey(cfg, target, progress=False))
    assert calls == []
    # changed parameters are not mistaken for finished work
    df3 = simulate_survey(cfg.replace(jpeg_quality=80), target, progress=False)
    assert calls == [0, 1, 2]
    pd.testing.assert_frame_equal(df, df3)  # the JPEG quality changes bytes, not the catalog


def test_book_helpers(clean_run):
    cfg, _, df = clean_run
    views = render_galaxy_views(cfg, ids=df["dr7objid"].iloc[:3])
    assert views["survey"].shape == (3, 32, 32, 3) and views["hires"].dtype == np.uint8
    assert views["model_r"].shape == (3, 32, 32)
    pop = draw_population(cfg)
    disk = pop[(pop["true_class"] == 1) & (pop["true_n_arms"] > 0)].iloc[0]
    seq = render_resolution_sequence(disk, cfg, alphas=(4, 10, 30))
    assert seq["survey"].shape == (3, 32, 32, 3)
    assert seq["visibility"][0] < seq["visibility"][-1]
    assert list(region_table().index) == [1, 2, 3, 4]
