"""Checks of the arrays that the bias fits and metrics take, with messages that name the input.

:func:`galbias.methods.bias.fit_theta`, :mod:`galbias.methods.metrics` and
:mod:`galbias.methods.dcv14` validate their alpha, labels and intrinsic columns here, so the
same bad input gives the same message everywhere (the count of bad values and what to do).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import GalbiasError

__all__ = ["BiasFitError", "as_1d", "check_alpha", "check_finite", "check_int", "check_intrinsic", "check_labels",
           "json_float"]


class BiasFitError(GalbiasError, ValueError):
    """Inputs that the bias model cannot be fitted or evaluated on, or a failed fit."""


# ---------------------------------------------------------------------------------------
# input validation
# ---------------------------------------------------------------------------------------

def as_1d(name: str, x: Any) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise BiasFitError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if arr.size == 0:
        raise BiasFitError(f"{name} is empty")
    return arr


def _as_float(name: str, arr: np.ndarray) -> np.ndarray:
    try:
        return arr.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise BiasFitError(f"{name} must be numeric ({exc})") from None


def check_finite(name: str, arr: np.ndarray) -> np.ndarray:
    arr = _as_float(name, arr)
    bad = ~np.isfinite(arr)
    if bad.any():
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(bad.sum()) - n_nan
        what = ", ".join(s for s in (f"{n_nan} NaN" if n_nan else "", f"{n_inf} infinite" if n_inf else "") if s)
        raise BiasFitError(
            f"{name} contains {what} value(s) out of {arr.size}; drop or impute those rows first"
        )
    return arr


def check_alpha(alpha: Any, positive: bool = True) -> np.ndarray:
    a = check_finite("alpha", as_1d("alpha", alpha))
    if positive:
        n_bad = int((a <= 0).sum())
        if n_bad:
            raise BiasFitError(
                f"alpha must be > 0 (Petrosian radius over PSF sigma); {n_bad} of {a.size} "
                f"value(s) are <= 0 (min {a.min():g})"
            )
    return a


def check_labels(labels: Any, n: int) -> np.ndarray:
    y = as_1d("labels", labels)
    if y.size != n:
        raise BiasFitError(f"alpha and labels must have the same length; got {n} and {y.size}")
    if y.dtype.kind in "fc":
        n_nan = int(np.isnan(y).sum())
        if n_nan:
            raise BiasFitError(f"labels contain {n_nan} NaN value(s) out of {y.size}; drop those rows first")
    elif y.dtype.kind not in "iub":
        raise BiasFitError(f"labels must be integers 0 (smooth) or 1 (disk); got dtype {y.dtype}")
    bad = (y != 0) & (y != 1)
    if bad.any():
        examples = np.unique(y[bad])[:5].tolist()
        raise BiasFitError(
            f"labels must be 0 (smooth) or 1 (disk); {int(bad.sum())} value(s) are outside "
            f"{{0, 1}}, e.g. {examples}"
        )
    return y.astype(np.int8)


def check_intrinsic(intrinsic: Any, n: int) -> np.ndarray:
    X = np.asarray(intrinsic)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] == 0:
        raise BiasFitError(f"intrinsic must be an N x k array (k >= 1); got shape {np.shape(intrinsic)}")
    if X.shape[0] != n:
        raise BiasFitError(f"alpha and intrinsic must have the same number of rows; got {n} and {X.shape[0]}")
    X = _as_float("intrinsic", X)
    bad = ~np.isfinite(X)
    if bad.any():
        per_col = bad.sum(axis=0).tolist()
        raise BiasFitError(
            f"intrinsic contains {int(bad.sum())} NaN/infinite value(s) in {int(bad.any(axis=1).sum())} "
            f"of {n} rows (per column: {per_col}); drop those rows first"
        )
    return X


def check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise BiasFitError(f"{name} must be an integer; got {value!r}")
    if value < minimum:
        raise BiasFitError(f"{name} must be >= {minimum}; got {value}")
    return int(value)


def json_float(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)
