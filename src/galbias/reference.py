"""Every published number the book compares with, in one place, with its source (never results
of this package).

Medina-Rosales, Cabrera-Vives & Miller (2024, MNRAS; "the paper"):

- :data:`PAPER_THETA` - theta values for the real GZ2 data.
- :data:`PAPER_TABLE1` - the paper's Table 1 (CV18 on the test set; classification metrics
  of the two non-de-biasing ResNet50s against the labels they were trained on).
- :data:`PAPER_SAMPLE` - the paper's sample and split sizes.
- :data:`PAPER_SERSIC`, :data:`PAPER_SERSIC_SPLIT` - the Sérsic-index fractions of §5.4.2.
- :data:`PAPER_HST` - the HST inspection of §5.4.3; :data:`PAPER_GRADCAM_CLAIM` - §5.4.4.
- :data:`PAPER_CV18_SETTINGS` - the CV18 settings the paper appears to use.

Dhar & Shamir (sky-location bias, chapter 9): :data:`DS_TABLE1`, :data:`DS_CONFUSION`,
:data:`DS_TABLE16`, :data:`DS_REPEATS`, :data:`DS_SETUP`.

Calibration of the simulated survey: :func:`sdss_calibration` - percentiles of r-band sizes,
PSF widths and alpha for :data:`SDSS_CALIBRATION_SAMPLE` ``["n"]`` real SDSS galaxies.
Caveat: they are galaxies in compact groups at low redshift (median z =
``SDSS_CALIBRATION_SAMPLE["median_z"]``), not a random GZ2 sample, so the numbers are indicative.
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

#: the SDSS calibration sample (METHODS §11): galaxies with r-band sizes and PSF widths, those
#: with Simard et al. (2011) pure-Sérsic fits, and their median redshift
SDSS_CALIBRATION_SAMPLE = {"n": 4_493, "n_sersic": 3_499, "median_z": 0.035}

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


#: the paper's visual check (§5.4.3, Fig. 11): HST images found for test galaxies that changed
#: smooth (GZ2B) -> disk (DDB); how many show spiral arms; how many look lenticular
PAPER_HST = {"found": 11, "arms": 8, "lenticular": 3}

#: the paper's reading of its GradCAM Figs 12-14 (§5.4.4): DDB's maps are more extended than
#: both cross-entropy networks' (they focus on the bulge)
PAPER_GRADCAM_CLAIM = "more extended than"


# --- Dhar & Shamir (sky-location bias; chapter 9) -------------------------------------------------

#: Dhar & Shamir, Table 1: the training and test galaxies per class and data set (Pan-STARRS
#: data sets 1-3, SDSS data sets A, B).  The train : test proportion 3 : 8 (Pan-STARRS) is the
#: one chapter 9 scales to the simulated survey.
DS_TABLE1 = pd.DataFrame(
    [("1", "Pan-STARRS", "0-20", "0-20", 3000, 3000, 8000, 8000),
     ("2", "Pan-STARRS", "180-200", "0-20", 3000, 3000, 8000, 8000),
     ("3", "Pan-STARRS", "180-200", "20-40", 3000, 3000, 8000, 8000),
     ("A", "SDSS", "240-260", "-10-40", 2000, 2000, 3000, 3000),
     ("B", "SDSS", "15-35", "-10-40", 2000, 2000, 3000, 3000)],
    columns=["dataset", "survey", "RA (deg)", "Dec (deg)", "train elliptical", "train spiral",
             "test elliptical", "test spiral"]).set_index("dataset")

#: Dhar & Shamir, Tables 3 - 15: confusion matrices (rows = truth, columns = prediction),
#: with the data set of the training spirals, training ellipticals and test galaxies.
#: tn = ellipticals called elliptical, fp = ellipticals called spiral, fn = spirals called
#: elliptical, tp = spirals called spiral.  Pan-STARRS: data sets 1, 2, 3; SDSS: A, B.
DS_CONFUSION = pd.DataFrame(
    [(3, "Pan-STARRS", "1", "1", "1", 7850, 150, 756, 7244),
     (4, "Pan-STARRS", "2", "2", "2", 7699, 301, 450, 7550),
     (5, "Pan-STARRS", "1+2+3", "1+2+3", "1+2+3", 23299, 751, 1646, 22304),
     (6, "Pan-STARRS", "1", "2", "1", 7749, 251, 408, 7592),
     (7, "Pan-STARRS", "1", "2", "2", 7791, 209, 462, 7538),
     (8, "Pan-STARRS", "2", "1", "1", 7592, 408, 551, 7449),
     (9, "Pan-STARRS", "2", "1", "2", 7514, 486, 342, 7658),
     (10, "Pan-STARRS", "3", "2", "2", 7755, 245, 600, 7400),
     (11, "Pan-STARRS", "2", "3", "2", 7702, 298, 516, 7484),
     (12, "SDSS", "A", "B", "A", 2704, 296, 31, 2969),
     (13, "SDSS", "A", "B", "B", 2891, 109, 85, 2915),
     (14, "SDSS", "B", "A", "A", 2933, 67, 495, 2505),
     (15, "SDSS", "B", "A", "B", 2837, 163, 154, 2846)],
    columns=["table", "survey", "train_spiral", "train_elliptical", "test", "tn", "fp", "fn", "tp"],
).set_index("table")

#: Dhar & Shamir, Table 16 as printed: p(spiral) and p(elliptical) of each experiment
#: (two decimals; the confusion matrices above give the same values to that precision).
DS_TABLE16 = pd.DataFrame(
    [("1", "1", "1", 0.46, 0.54), ("2", "2", "2", 0.49, 0.51), ("1+2+3", "1+2+3", "1+2+3", 0.48, 0.52),
     ("1", "2", "1", 0.49, 0.51), ("1", "2", "2", 0.48, 0.52), ("2", "1", "1", 0.49, 0.51),
     ("2", "1", "2", 0.51, 0.49), ("3", "2", "2", 0.48, 0.52), ("2", "3", "2", 0.49, 0.51),
     ("A", "B", "A", 0.55, 0.45), ("A", "B", "B", 0.50, 0.50), ("B", "A", "A", 0.43, 0.57),
     ("B", "A", "B", 0.50, 0.50)],
    columns=["train_spiral", "train_elliptical", "test", "p_spiral", "p_elliptical"],
    index=pd.Index([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], name="table"))

#: Dhar & Shamir's 100-fold repetition of the Table 6 / Table 7 training (mean number of
#: misclassified ellipticals and spirals, with the "±" they quote, and the maximum count of
#: misclassified ellipticals over the 100 runs).
DS_REPEATS = {
    6: {"fp_mean": 247.4, "fp_pm": 1.1, "fn_mean": 406.1, "fn_pm": 1.4, "fp_max": 291},
    7: {"fp_mean": 216.2, "fp_pm": 1.0, "fn_mean": 473.0, "fn_pm": 1.4, "fp_max": 277},
}

#: Dhar & Shamir's setup as stated in their text: training epochs, image side in pixels, the
#: training-set size per class at which their accuracy saturated (Figure 2), the annotation
#: certainty threshold of their catalogs and its quoted agreement with Galaxy Zoo
#: "superclean" labels, and the number of random re-splits of the Table 6 / 7 experiment.
#: ``p_threshold`` is the significance they quote for their binomial tests ("P < 10^-5").
DS_SETUP = {"epochs": 250, "image_px": 120, "saturation_per_class": 1000, "certainty": 0.9, "agreement": 0.98,
            "n_repeats": 100, "p_threshold": 1e-5}
