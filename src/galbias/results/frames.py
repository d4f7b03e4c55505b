"""One table of the galaxies of some splits with every label set and network side by side.

:func:`evaluation_frame` is the single builder behind Table 1 (chapter 5), the Sérsic
analysis (chapter 6), the changed galaxies (chapter 7) and chapter 4's metrics: the rows of
``labels.parquet`` in the chosen splits, joined with the networks' ``p_disk_<name>``
(``predictions.parquet``), DCV14's labels (``dcv14_predictions.parquet``) and, optionally,
extra catalog columns, with every label set as a 0/1 column.

Columns added to those of ``labels.parquet``:

- ``truth_class`` - the raw true class (0 smooth, 1 disk, 2 star/artifact; null for real data);
- ``truth`` - the true class where it is a galaxy class (0/1, nullable; stars and real data are null);
- ``<network>`` - each network's label, ``p_disk > 0.5`` (nullable 0/1), beside ``p_disk_<network>``
  (every seed: ``ddb``, ``ddb_s1``, ...);
- ``dcv14`` - DCV14's label (0/1, null where a galaxy has no Sérsic fit) and ``p_disk_dcv14``;
- ``gz2b`` / ``gz2d`` as nullable 0/1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..core.errors import GalbiasError
from ..methods.metrics import hard_labels

__all__ = ["FrameError", "binary", "evaluation_frame"]

#: the chapter that writes each input, for the error messages
PRODUCER = {"labels.parquet": "01_labeling", "predictions.parquet": "04_ddb_training",
            "dcv14_predictions.parquet": "03_theta_fit", "catalog.parquet": "00_survey"}


class FrameError(GalbiasError, ValueError):
    """An input that lacks a column, a split or some of the galaxies (the message names it)."""


def _require(df: pd.DataFrame | None, columns: Sequence[str], source: str) -> None:
    if df is None:
        raise FrameError(f"no {source} given: run chapter {PRODUCER[source]} first")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FrameError(f"{source} has no column(s) {missing} (has {list(df.columns)}): "
                         f"re-run chapter {PRODUCER[source]}")


def _merge(base: pd.DataFrame, other: pd.DataFrame, cols: list[str], source: str) -> pd.DataFrame:
    other = other.loc[:, ["id", *cols]]
    if other["id"].duplicated().any():
        raise FrameError(f"{source} lists {int(other['id'].duplicated().sum())} galaxy id(s) more than once")
    missing = ~base["id"].isin(other["id"])
    if missing.any():
        ex = base.loc[missing, "id"].head(3).tolist()
        raise FrameError(f"{source} lacks {int(missing.sum())} of the {len(base)} galaxies of the split(s) "
                         f"(e.g. id {ex}): re-run chapter {PRODUCER[source]}")
    return base.merge(other, on="id", how="left", validate="one_to_one")


def binary(values) -> pd.api.extensions.ExtensionArray:
    """0/1 as nullable Int8; anything else (NaN, a star's 2) becomes missing."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    ok = np.isin(v, (0.0, 1.0))
    out = pd.array(np.where(ok, v, 0).astype(int), dtype="Int8")
    out[~ok] = pd.NA
    return out


def evaluation_frame(labels: pd.DataFrame, predictions: pd.DataFrame | None = None,
                     dcv14: pd.DataFrame | None = None, splits: str | Sequence[str] = "test",
                     extra: pd.DataFrame | None = None, networks: Sequence[str] | None = None) -> pd.DataFrame:
    """The galaxies of ``splits`` with every label set; see the module docstring for the columns.

    ``predictions`` must cover every galaxy of the splits for each network in ``networks``
    (default: every ``p_disk_<name>`` column it has, seeds included, at least one);
    ``dcv14`` likewise; ``extra`` (keyed by ``id``) contributes its other columns where present.
    Any of them may be None to leave those columns out.  Raises :class:`FrameError` naming the
    file, the column or the galaxies that are missing and the chapter to re-run.
    """
    splits = [splits] if isinstance(splits, str) else list(splits)
    _require(labels, ["id", "split", "gz2b", "gz2d", "truth"], "labels.parquet")
    out = labels.loc[labels["split"].isin(splits)].reset_index(drop=True)
    if out.empty:
        raise FrameError(f"labels.parquet has no galaxies in split(s) {splits} "
                         f"(splits: {sorted(set(labels['split'].astype(str)))})")
    out["truth_class"] = out["truth"]
    out["truth"] = binary(out["truth_class"])
    out["gz2b"] = binary(out["gz2b"])
    out["gz2d"] = binary(out["gz2d"])
    if predictions is not None:
        names = list(networks) if networks is not None else [c[len("p_disk_"):] for c in predictions.columns
                                                           if c.startswith("p_disk_") and c != "p_disk_dcv14"]
        if not names:
            raise FrameError("predictions.parquet has no p_disk_<network> column: re-run chapter 04_ddb_training")
        cols = [f"p_disk_{n}" for n in names]
        _require(predictions, ["id", *cols], "predictions.parquet")
        pred = predictions[predictions["split"].isin(splits)] if "split" in predictions.columns else predictions
        out = _merge(out, pred, cols, "predictions.parquet")
        for n in names:
            out[n] = hard_labels(out[f"p_disk_{n}"])
    if dcv14 is not None:
        _require(dcv14, ["id", "dcv14"], "dcv14_predictions.parquet")
        d = dcv14[dcv14["split"].isin(splits)] if "split" in dcv14.columns else dcv14
        cols = ["dcv14"] + (["p_disk_dcv14"] if "p_disk_dcv14" in d.columns else [])
        out = _merge(out, d, cols, "dcv14_predictions.parquet")
        out["dcv14"] = binary(out["dcv14"])
    if extra is not None:
        cols = [c for c in extra.columns if c != "id" and c not in out.columns]
        if cols:
            out = out.merge(extra[["id", *cols]], on="id", how="left", validate="one_to_one")
    return out
