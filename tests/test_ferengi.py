"""Tests of the FERENGI comparison: the hash-checked loader of the shipped real files
(galbias.data.ferengi), the mock galaxies moved to higher redshift (galbias.mock.ferengi) and
the side-by-side summary of chapter 2 (galbias.results.ferengi)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from astropy.cosmology import WMAP9

from galbias.compendium import config
from galbias.core.artifacts import file_hash
from galbias.core.errors import GalbiasError
from galbias.data import cosmology
from galbias.data import ferengi as real
from galbias.mock import draw_population
from galbias.mock import ferengi as mock
from galbias.mock.regions import NOISE_1ARCSEC_REF
from galbias.mock.volunteers import feature_visibility
from galbias.results import ferengi as res

GAL, IMG = real.FILES["galaxies"], real.FILES["images"]


# --------------------------------------------------------------------------------------
# the loader: hashes
# --------------------------------------------------------------------------------------

def test_shipped_files_match_the_registry():
    for name, digest in real.REGISTRY.items():
        path = real.verified_path(name)
        assert path.parent == real.data_dir()
        assert file_hash(path) == digest
    assert (real.data_dir() / "LICENSE").is_file() and (real.data_dir() / "README.md").is_file()


def test_readme_lists_the_registered_hashes():
    text = (real.data_dir() / "README.md").read_text()
    for name, digest in real.REGISTRY.items():
        assert name in text and digest in text


@pytest.fixture
def copies(tmp_path):
    """Temporary copies of the two shipped files (the shipped files are never touched)."""
    for name in real.REGISTRY:
        shutil.copy(real.data_dir() / name, tmp_path / name)
        (tmp_path / name).chmod(0o644)
    return tmp_path


def test_a_damaged_copy_raises_the_named_error(copies):
    path = copies / IMG
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(real.FerengiDataError) as err:
        real.load_images(copies)
    msg = str(err.value)
    assert isinstance(err.value, GalbiasError)
    assert IMG in msg and real.REGISTRY[IMG] in msg and file_hash(path) in msg
    assert "restore" in msg
    # the undamaged copy of the other file still loads from the same folder
    assert len(real.load_galaxies(copies)) == 288


def test_a_missing_file_raises_the_named_error(copies):
    (copies / GAL).unlink()
    with pytest.raises(real.FerengiDataError, match="missing") as err:
        real.load_galaxies(copies)
    assert GAL in str(err.value) and real.REGISTRY[GAL] in str(err.value)


def test_an_unknown_file_name_is_refused():
    with pytest.raises(real.FerengiDataError, match="not a registered"):
        real.verified_path("something_else.fits")


def test_the_shipped_files_are_unchanged_by_the_tests():
    for name, digest in real.REGISTRY.items():
        assert file_hash(real.data_dir() / name) == digest


# --------------------------------------------------------------------------------------
# the loader: tables, join, summaries on the real files
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def joined():
    return real.join(real.load_galaxies(), real.load_images())


def test_tables_and_join(joined):
    g, i = real.load_galaxies(), real.load_images()
    assert len(g) == 288 and g["OBJID"].is_unique
    assert np.allclose(g["p_features_sdss"], g[real.SDSS_FEATURES])
    assert len(i) == 6466 and list(i.columns) == real.IMAGE_COLUMNS and i["sdss_id"].nunique() == 283
    assert sorted(i["sim_redshift"].unique()) == list(mock.SIM_REDSHIFTS)
    assert sorted(i["sim_evolution"].unique()) == list(mock.SIM_EVOLUTIONS)
    assert len(joined) == len(i) and joined["p_features_sdss"].notna().all()
    assert joined.groupby(["sdss_id", "sim_redshift", "sim_evolution"]).size().max() == 1
    assert np.allclose(joined["p_rel"], joined["p_features"] / joined["p_features_sdss"])
    assert joined["redshift"].between(0.006, 0.028).all()
    # the galaxy's own redshift is the same in every image of it
    assert joined.groupby("sdss_id")["redshift"].nunique().max() == 1


def test_join_refuses_images_without_a_galaxy():
    g, i = real.load_galaxies(), real.load_images()
    with pytest.raises(real.FerengiDataError, match="no galaxy"):
        real.join(g.iloc[1:], i[i["sdss_id"].isin(g["OBJID"])])


def test_featured_fixed_set(joined):
    feat = real.featured(joined)
    assert (feat["p_features_sdss"] >= real.FEATURED_MIN).all()
    fixed = real.seen_at_every_redshift(feat)
    per_galaxy = fixed.groupby("sdss_id")["sim_redshift"].nunique()
    assert (per_galaxy == len(mock.SIM_REDSHIFTS)).all()
    # the fixed set is the set whose lowest target redshift is 0.3
    assert set(fixed["min_sim_redshift"].unique()) == {0.3}
    assert fixed["sdss_id"].nunique() == 65 and feat["sdss_id"].nunique() == 259


def test_summary_of_the_real_volunteers(joined):
    fixed = real.seen_at_every_redshift(real.featured(joined))
    s = real.summarize(fixed)
    assert len(s) == len(mock.SIM_REDSHIFTS) * len(mock.SIM_EVOLUTIONS)
    assert ((s["q25"] <= s["median"]) & (s["median"] <= s["q75"])).all()
    cell = fixed[(fixed["sim_redshift"] == 0.5) & (fixed["sim_evolution"] == 1.0)]
    row = s[(s["sim_redshift"] == 0.5) & (s["sim_evolution"] == 1.0)].iloc[0]
    assert row["median"] == pytest.approx(cell["p_features"].median())
    assert row["rel_q75"] == pytest.approx(cell["p_rel"].quantile(0.75))
    assert row["n_galaxies"] == cell["sdss_id"].nunique()
    e0 = s[s["sim_evolution"] == 0].set_index("sim_redshift")
    # real volunteers see fewer features further away, and fewer than at SDSS resolution
    assert e0.loc[1.0, "median"] < e0.loc[0.3, "median"] < real.sdss_baseline(fixed)["median"]
    assert (s["rel_median"] < 1).all()
    with pytest.raises(real.FerengiDataError):
        real.summarize(fixed.iloc[:0])


# --------------------------------------------------------------------------------------
# the mock galaxies under the same treatment
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def smoke_pop():
    cfg = config.get_profile("smoke")
    return cfg, draw_population(cfg)


def test_distances_agree_with_astropy_on_both_sides_of_the_table_end():
    zz = np.array([0.02, 0.3, 0.5, 0.7, 1.0])
    da = cosmology.angular_diameter_distance_kpc(zz)
    dm = cosmology.distance_modulus(zz)
    for k, z in enumerate(zz):
        assert da[k] == pytest.approx(WMAP9.angular_diameter_distance(z).to_value("kpc"), rel=1e-5)
        assert dm[k] == pytest.approx(WMAP9.distmod(z).value, abs=1e-5)
    with pytest.raises(ValueError, match="below the tabulated range"):
        cosmology.kpc_per_arcsec(np.array([0.0]))


def test_noise_for_depth_reproduces_the_sdss_reference():
    # the regions module's reference noise gives a 5-sigma depth near r = 22.2 with a 1.4" PSF
    assert mock.noise_for_depth(22.2, 1.4) == pytest.approx(NOISE_1ARCSEC_REF, rel=0.05)
    assert mock.noise_for_depth(27.2, 0.1) < 0.2 * NOISE_1ARCSEC_REF
    assert mock.effective_fwhm(0.1, 0.0) == pytest.approx(0.1)
    assert mock.effective_fwhm() > mock.HST_PSF_FWHM


def test_nearby_featured_selection(smoke_pop):
    cfg, pop = smoke_pop
    near = mock.nearby_featured(pop, cfg.seed)
    assert len(near) > 100
    assert (near["true_class"] == 1).all() and (near["z"] < mock.Z_NEAR).all()
    assert (near["p_features_sdss"] >= real.FEATURED_MIN).all()


def test_sizes_and_fluxes_scale_as_stated(smoke_pop):
    cfg, pop = smoke_pop
    rows = mock.nearby_featured(pop, cfg.seed).iloc[:40]
    z0 = rows["z"].to_numpy()
    for z_sim, e in ((0.4, 0.0), (0.9, 2.0)):
        out = mock.redshifted(rows, z_sim, e)
        da = WMAP9.angular_diameter_distance(z0).value / WMAP9.angular_diameter_distance(z_sim).value
        dl2 = (WMAP9.luminosity_distance(z0).value / WMAP9.luminosity_distance(z_sim).value) ** 2
        for c in ("sim_disk_h", "sim_bulge_re", "sim_bar_len"):
            assert np.allclose(out[c] / rows[c], da, rtol=1e-5)
        flux = 10 ** (-0.4 * (out["sim_mag_r"] - rows["sim_mag_r"]).to_numpy())
        assert np.allclose(flux, dl2 * 10 ** (0.4 * e * z_sim), rtol=1e-4)
        sb = out["flux_ratio"] / out["size_ratio"] ** 2
        assert np.allclose(sb, ((1 + z0) / (1 + z_sim)) ** 4, rtol=1e-4)
        assert (out["z"] == z_sim).all() and np.allclose(out["redshift"], z0)
        assert np.allclose(out["psfWidth_r"], mock.effective_fwhm())
        assert np.allclose(out["sim_noise_1arcsec"], mock.noise_for_depth(mock.HST_DEPTH_5SIG, mock.effective_fwhm()))
        assert out["petroRad_r"].isna().all()
    # the input rows are not modified
    assert np.allclose(rows["z"], z0)


def test_visibility_falls_with_redshift_and_rises_with_evolution(smoke_pop):
    cfg, pop = smoke_pop
    sim = mock.simulate(pop, cfg.seed, evolutions=(0.0, 2.0))
    for e, t in sim.groupby("sim_evolution"):
        v = t.pivot(index="dr7objid", columns="sim_redshift", values="visibility")
        assert (np.diff(v.to_numpy(), axis=1) <= 1e-12).all(), f"visibility rises with z for e={e}"
        med = t.groupby("sim_redshift")["p_features"].median()
        assert med.iloc[-1] < med.iloc[0]
    v0 = sim[sim["sim_evolution"] == 0.0].set_index(["dr7objid", "sim_redshift"])["visibility"]
    v2 = sim[sim["sim_evolution"] == 2.0].set_index(["dr7objid", "sim_redshift"])["visibility"]
    assert (v2 >= v0 - 1e-12).all() and (v2 > v0).mean() > 0.5
    assert np.allclose(sim["p_rel"], sim["p_features"] / sim["p_features_sdss"])
    # one row per galaxy and cell, the same galaxies everywhere
    assert sim.groupby(["sim_redshift", "sim_evolution"])["dr7objid"].nunique().nunique() == 1


def test_the_noise_column_reaches_the_volunteers(smoke_pop):
    cfg, pop = smoke_pop
    rows = mock.redshifted(mock.nearby_featured(pop, cfg.seed).iloc[:50], 0.8, 0.0)
    quiet = feature_visibility(rows)["vis_arm"]
    loud = feature_visibility(rows.assign(sim_noise_1arcsec=rows["sim_noise_1arcsec"] * 10))["vis_arm"]
    assert (loud <= quiet + 1e-12).all() and (loud < quiet).any()


# --------------------------------------------------------------------------------------
# the chapter's side-by-side summary
# --------------------------------------------------------------------------------------

def test_match_count():
    assert res.match_count(300, 65) == res.K_MATCH
    assert res.match_count(4000, 65) == int(res.POOL_SHARE * 4000 / 65)


def test_match_magnitudes_takes_the_nearest():
    mags = pd.Series([-22.0, -20.0, -19.0, -18.5, -17.0], index=[10, 11, 12, 13, 14])
    ids = res.match_magnitudes(mags, [-18.6, -21.9], k=2)
    assert list(ids) == [13, 12, 10, 11]
    with pytest.raises(ValueError):
        res.match_magnitudes(mags.iloc[:1], [-18.0], k=2)


def test_comparison_and_numbers():
    comp = res.comparison(config.get_profile("smoke"))
    s = comp.summary
    assert set(s["source"]) == {res.REAL, res.SIM}
    assert len(s) == 2 * len(mock.SIM_REDSHIFTS) * len(mock.SIM_EVOLUTIONS)
    k = comp.baselines[res.SIM]["k"]
    assert k == res.match_count(comp.baselines["pool"]["n"], comp.baselines[res.REAL]["n"]) >= res.K_MATCH
    assert len(comp.sim) == k * comp.baselines[res.REAL]["n"] * len(mock.SIM_REDSHIFTS) * len(mock.SIM_EVOLUTIONS)
    # matching brings the simulated set's magnitudes to the real set's
    gap = abs(comp.baselines[res.SIM]["abs_mag_median"] - comp.baselines[res.REAL]["abs_mag_median"])
    assert gap < 0.3
    nums = res.numbers(comp)
    for key in ("fer_real_rel_lo_e0", "fer_real_rel_hi_e0", "fer_sim_rel_lo_e0", "fer_sim_rel_hi_ehi",
                "fer_pool_rel_hi_e0", "fer_real_median", "fer_sim_median", "fer_hst_noise_vs_sdss"):
        assert np.isfinite(nums[key]), key
    assert nums["fer_real_n_distinct"] == 65 and nums["fer_real_other_starts"] == "0.5, 0.8 or 1.0"
    assert 0.006 < nums["fer_real_z0_min_all"] < 0.007 and 0.026 < nums["fer_real_z0_max_all"] < 0.028
    table = res.relative_table(comp)
    assert list(table.index) == [f"{z:.1f}" for z in mock.SIM_REDSHIFTS] and table.shape[1] == 4
    assert table.notna().all().all()
    v = res.verdict(comp, n_boot=30)
    for key, _, _ in res.VERDICT_CELLS:
        assert v[f"fer_diff_sd_{key}"] > 0, key
        assert v[f"fer_word_{key}"] in res.VERDICT_WORDS
    assert v["fer_diff_lo_e0"] == pytest.approx(nums["fer_sim_rel_lo_e0"] - nums["fer_real_rel_lo_e0"])
    assert 0 <= v["fer_n_agree"] <= 3
    assert v["fer_fan_real"] == pytest.approx(nums["fer_real_rel_hi_ehi"] - nums["fer_real_rel_hi_e0"])


def test_rel_median_sd_resamples_galaxies():
    rows = pd.DataFrame({"sdss_id": np.repeat(np.arange(40), 2), "sim_redshift": 0.3, "sim_evolution": 0.0,
                         "p_rel": np.repeat(np.linspace(0.2, 1.0, 40), 2)})
    sd = res.rel_median_sd(rows, 0.3, 0.0, n_boot=300, seed=1)
    assert 0.02 < sd < 0.15
    # identical galaxies: no spread; one galaxy or an empty cell: not measurable
    assert res.rel_median_sd(rows.assign(p_rel=0.5), 0.3, 0.0, n_boot=50) == pytest.approx(0.0)
    assert np.isnan(res.rel_median_sd(rows[rows["sdss_id"] == 0], 0.3, 0.0))
    assert np.isnan(res.rel_median_sd(rows, 0.5, 0.0))
