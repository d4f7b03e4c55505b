"""The real Galaxy Zoo 2 data of the ``paper`` profile: :mod:`.download` fetches the GZ2 table,
SDSS photometry and Simard et al. (2011) fits, :mod:`.cutouts` the JPEG cut-outs and the HST
observation list;
:mod:`.assemble` reads them, applies the GZ2 selection and writes the project catalog in the
schema of :mod:`galbias.data.catalog`.  The two modules never import the simulated survey."""

from .assemble import CATALOG_FILE, Selection, build_catalog, prepare, read_gz2_table, select_gz2
from .cutouts import cutout_params, fetch_hst_cutouts, fetch_images
from .download import (CUTOUT_URL, GZ2_FILE, GZ2_URL, REGISTRY, SIMARD_CATALOG, SIMARD_FILE, DownloadError,
                       UnverifiedDownloadWarning, default_raw_dir, fetch_file, fetch_gz2_table, fetch_sdss_photometry,
                       fetch_simard, make_pooch, read_sdss_photometry, read_simard, sdss_filename,
                       sdss_photometry_sql)

__all__ = [
    "CATALOG_FILE", "CUTOUT_URL", "DownloadError", "GZ2_FILE", "GZ2_URL", "REGISTRY", "SIMARD_CATALOG",
    "SIMARD_FILE", "Selection", "UnverifiedDownloadWarning", "build_catalog", "cutout_params", "default_raw_dir",
    "fetch_file", "fetch_gz2_table", "fetch_hst_cutouts", "fetch_images", "fetch_sdss_photometry", "fetch_simard",
    "make_pooch", "prepare", "read_gz2_table", "read_sdss_photometry", "read_simard", "sdss_filename",
    "sdss_photometry_sql", "select_gz2",
]
