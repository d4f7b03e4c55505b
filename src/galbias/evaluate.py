"""Classification metrics and prediction summaries shared by chapters 4 and 5.

Disk (code 1) is the positive class throughout, as in the paper's Table 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def classification_metrics(y_true, y_pred) -> dict[str, float]:
    """Accuracy, precision, recall and F1 (disk = positive class), ignoring missing rows.

    ``y_true``/``y_pred`` are 0/1 codes; entries that are NaN/NA in either are left out and
    the number used is returned as ``n``.
    """
    t = pd.to_numeric(pd.Series(y_true), errors="coerce").to_numpy(dtype=float)
    p = pd.to_numeric(pd.Series(y_pred), errors="coerce").to_numpy(dtype=float)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} entries but y_pred has {p.size}")
    ok = np.isfinite(t) & np.isfinite(p)
    if not ok.any():
        return {"accuracy": np.nan, "precision": np.nan, "recall": np.nan, "f1": np.nan, "n": 0}
    t, p = t[ok].astype(int), p[ok].astype(int)
    bad = set(np.unique(np.concatenate([t, p]))) - {0, 1}
    if bad:
        raise ValueError(f"labels must be 0 (smooth) or 1 (disk); found {sorted(int(b) for b in bad)}")
    prec, rec, f1, _ = precision_recall_fscore_support(t, p, average="binary", pos_label=1, zero_division=0)
    return {"accuracy": float(accuracy_score(t, p)), "precision": float(prec), "recall": float(rec),
            "f1": float(f1), "n": int(ok.sum())}


def hard_labels(p_disk, threshold: float = 0.5) -> pd.array:
    """0/1 labels from p(disk) (argmax of the two-class softmax); NaN stays missing."""
    p = np.asarray(p_disk, dtype=float)
    out = pd.array((p > threshold).astype(int), dtype="Int8")
    out[~np.isfinite(p)] = pd.NA
    return out
