"""Published numbers the book compares with, in one place (never results of this package).

- :data:`PAPER_THETA` - theta values of Medina-Rosales et al. (2024) for the real GZ2 data.
- :data:`PAPER_TABLE1` - the paper's Table 1 (CV18 on the test set; classification metrics
  of the two non-de-biasing ResNet50s against the labels they were trained on).
- :data:`PAPER_SAMPLE` - the paper's sample and split sizes.
- :func:`sdss_calibration` - percentiles of r-band sizes, PSF widths and alpha for 4,493
  real SDSS galaxies, used to calibrate the simulated survey.  Caveat: they are galaxies
  in compact groups at low redshift (median z = 0.035), not a random GZ2 sample, so the
  numbers are indicative.
"""

from __future__ import annotations

import pandas as pd

PAPER_THETA = {"ddb": 11.25, "dcv14": 9.18}

PAPER_SAMPLE = {"n": 121_984, "smooth": 62_225, "disk": 59_759, "train": 97_600, "val": 12_192, "test": 12_192,
                "theta_bins": 1525}

#: row -> (method, cv18, cv18_std, accuracy, precision, recall, f1); None where not reported
PAPER_TABLE1 = {
    "a": ("GZ2B labels", 0.3696, 0.0095, None, None, None, None),
    "b": ("GZ2D labels", 0.3106, 0.0108, None, None, None, None),
    "c": ("ResNet50 on GZ2B", 0.3781, 0.0091, 0.921, 0.921, 0.921, 0.921),
    "d": ("ResNet50 on GZ2D", 0.3258, 0.0107, 0.896, 0.866, 0.879, 0.872),
    "e": ("DCV14 on GZ2B", 0.2994, 0.0102, None, None, None, None),
    "f": ("DDB on GZ2B", 0.2866, 0.0112, None, None, None, None),
}

#: mean of b(alpha; 11.25) over the calibration sample's alpha distribution
PAPER_MEAN_BIAS_ON_SDSS = 0.34

_CALIBRATION = {
    # quantity: (p5, p25, p50, p75, p95)
    "petroRad_r": (3.8, 6.4, 9.9, 14.7, 25.9),
    "petroR50_r": (1.7, 2.9, 4.3, 6.3, 10.8),
    "petroR90_r": (4.6, 7.6, 11.4, 17.5, 31.0),
    "psfWidth_r": (1.02, 1.16, 1.30, 1.46, 1.68),
    "alpha": (6.7, 11.4, 17.7, 27.0, 48.7),
}


def sdss_calibration() -> pd.DataFrame:
    """Percentiles (5, 25, 50, 75, 95) of the SDSS calibration sample, one row per quantity."""
    return pd.DataFrame(_CALIBRATION, index=["p5", "p25", "p50", "p75", "p95"]).T

#: Sérsic index separating "bulge-like" from "disk-like" profiles in the paper's §5.4.2
PAPER_SERSIC_SPLIT = 3.0

#: Sérsic-index fractions quoted in the paper's text (§5.4.2, read off its Fig. 10), as
#: group -> (side of n = 3, qualifier, fraction).  The qualifiers are the paper's own
#: wording: "≈" = "approximately"/"almost", "<" = "less than"; they are bounds or rough
#: readings of a figure, not measurements.  Groups: ``smooth_*`` = labelled smooth (Fig. 10a);
#: ``disk_gz2b`` = GZ2B disks and ``changed_*`` = changed from GZ2B smooth to disk by GZ2D /
#: DDB (Fig. 10b; the text's "<30% of disks with n > 3 for GZ2B and DDB, almost 50% for GZ2D"
#: is said while discussing that panel).  Fig. 10c (all disks) has no number in the text.
PAPER_SERSIC = {
    "smooth_gz2b": ("n<3", "≈", 0.40),
    "smooth_gz2d": ("n<3", "≈", 0.30),
    "smooth_ddb": ("n<3", "<", 0.20),
    "disk_gz2b": ("n>3", "<", 0.30),
    "changed_gz2d": ("n>3", "≈", 0.50),
    "changed_ddb": ("n>3", "<", 0.30),
}

#: CV18 settings the paper's Table 1 appears to use (alpha bins per cell B, k-d tree depth L,
#: bootstraps), inferred from the authors' public ``BiasAnalyser`` code; not stated in the paper
PAPER_CV18_SETTINGS = {"n_bins": 8, "depth": 3, "n_boot": 100}
