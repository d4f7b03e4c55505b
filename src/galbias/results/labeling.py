"""Chapter 1: what the labelling step did to the catalog.

- :func:`summary` - objects, star/artifact majorities, sample and split sizes, GZ2B/GZ2D agreement.
- :func:`cross_table` - GZ2B labels against GZ2D labels.
- :func:`truth_agreement` - on the simulated survey, how often each label set matches the truth
  and how many true disks carry a smooth label (NaN for real data).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..data.catalog import has_truth
from ..data.labels import majority_vote

__all__ = ["cross_table", "summary", "truth_agreement"]


def summary(catalog: pd.DataFrame, labels: pd.DataFrame) -> dict[str, Any]:
    """Counts for the chapter's text (GZ2B-smooth fraction before balancing among galaxies)."""
    gz2b_all = majority_vote(catalog, "weighted_fraction")
    n_star = int((gz2b_all == 2).sum())
    counts = labels["split"].value_counts()
    return {"n_objects": len(catalog), "n_star": n_star, "n_sample": len(labels),
            "n_train": int(counts.get("train", 0)), "n_val": int(counts.get("val", 0)),
            "n_test": int(counts.get("test", 0)),
            "frac_smooth_all": float((gz2b_all == 0).sum() / max(len(catalog) - n_star, 1)),
            "gz2b_gz2d_agree": float((labels["gz2b"] == labels["gz2d"]).mean())}


def cross_table(labels: pd.DataFrame) -> pd.DataFrame:
    """GZ2B (rows) against GZ2D (columns), all splits."""
    return pd.crosstab(labels["gz2b"].map({0: "GZ2B smooth", 1: "GZ2B disk"}),
                       labels["gz2d"].map({0: "GZ2D smooth", 1: "GZ2D disk"}))


def truth_agreement(labels: pd.DataFrame) -> dict[str, float]:
    """``acc_b``/``acc_d``: share of the sample whose GZ2B/GZ2D label is the true class;
    ``miss_b``/``miss_d``: share of the true disks with a smooth label.  NaN without the truth."""
    if not has_truth(labels):
        return dict.fromkeys(("acc_b", "acc_d", "miss_b", "miss_d"), float("nan"))
    truth = labels["truth"].astype(int)
    disk = truth == 1
    return {"acc_b": float((labels["gz2b"] == truth).mean()), "acc_d": float((labels["gz2d"] == truth).mean()),
            "miss_b": float((labels.loc[disk, "gz2b"] == 0).mean()),
            "miss_d": float((labels.loc[disk, "gz2d"] == 0).mean())}
