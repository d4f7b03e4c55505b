import numpy as np
import pytest

from galbias.data import catalog
from galbias.data.catalog import CatalogError, validate_catalog


def test_synthetic_catalog_validates(catalog_df):
    validate_catalog(catalog_df, "synthetic")


def test_missing_columns_named(catalog_df):
    df = catalog_df.drop(columns=["psfWidth_r", "z"])
    with pytest.raises(CatalogError, match=r"cat\.parquet is missing 2 required column\(s\): \['z', 'psfWidth_r'\]"):
        validate_catalog(df, "cat.parquet")


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_bad_sizes_counted(catalog_df, bad):
    df = catalog_df.copy()
    df.loc[df.index[:3], "petroRad_r"] = bad
    with pytest.raises(CatalogError, match=r"'petroRad_r' has 3 of 3000 row\(s\)"):
        validate_catalog(df, "c")


def test_fractions_out_of_range(catalog_df):
    df = catalog_df.copy()
    df.loc[df.index[0], "t01_smooth_or_features_a01_smooth_debiased"] = 1.5
    with pytest.raises(CatalogError, match="a01_smooth_debiased' has 1 of 3000"):
        validate_catalog(df)


def test_duplicate_ids(catalog_df):
    df = catalog_df.copy()
    df.loc[1, "dr7objid"] = df.loc[0, "dr7objid"]
    with pytest.raises(CatalogError, match="1 duplicated id"):
        validate_catalog(df)


def test_alpha_definition():
    # 2.3548 sigma = FWHM: an object of radius 2.3548" under a 1" FWHM PSF has alpha = 2.3548^2
    assert catalog.alpha(2.3548, 1.0) == pytest.approx(2.3548**2, rel=1e-4)


def test_check_alpha_reports_count():
    with pytest.raises(CatalogError, match=r"2 of 4 value\(s\) are non-finite or <= 0"):
        catalog.check_alpha(np.array([1.0, np.nan, -2.0, 3.0]))


def test_add_derived_columns(catalog_df):
    out = catalog.add_derived(catalog_df)
    assert {"alpha", "petroRad_kpc", "abs_mag_r"} <= set(out.columns)
    # a 10" radius at z = 0.05: astropy's proper scale (WMAP9) gives the same number
    from astropy.cosmology import WMAP9

    one = catalog_df.iloc[[0]].assign(petroRad_r=10.0, z=0.05)
    expected = 10.0 * WMAP9.kpc_proper_per_arcmin(0.05).value / 60.0
    assert catalog.add_derived(one)["petroRad_kpc"].iloc[0] == pytest.approx(expected, rel=1e-6)
    # M = m - 5 log10(4.28e8 z): m = 17 at z = 0.1 -> about -20.2
    one = one.assign(petroMag_r=17.0, z=0.1)
    assert catalog.add_derived(one)["abs_mag_r"].iloc[0] == pytest.approx(17 - 5 * np.log10(4.28e7), abs=1e-9)


def test_nonpositive_redshift(catalog_df):
    df = catalog_df.copy()
    df.loc[df.index[:2], "z"] = 0.0
    with pytest.raises(CatalogError, match="2 of 3000 redshift"):
        catalog.add_derived(df)


def test_load_catalog_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="run chapter 00_survey"):
        catalog.load_catalog(tmp_path / "catalog.parquet")
    bad = tmp_path / "catalog.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(CatalogError, match="cannot read catalog"):
        catalog.load_catalog(bad)
