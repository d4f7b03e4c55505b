"""Chapter 9's tables in the shape they are printed: few columns and short headers, so that each
fits the width of a book page (about 700 pixels at a 1,280-pixel window).

The section functions (:mod:`.report`, :mod:`.beyond`) return one row per region, experiment or
pair with every quantity as a column, which is the convenient shape to compute and test with.
With four regions and up to eleven quantities that is too wide for a page, so the book prints
most of them transposed (regions or pairs as the columns), splits Table 9.5 in two and groups
the columns of Table 9.8.  Nothing here computes a number.

- :func:`by_region` - Tables 9.1, 9.2: quantities as rows, one column per region.
- :func:`by_column` - Tables 9.6, 9.7: the same for any table (experiments, region pairs).
- :func:`table16_pages` - Table 9.5a (Dhar & Shamir's experiments) and 9.5b (this run).
- :func:`dependence_page` - Table 9.8 with grouped, short column headers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .design import experiment_label

__all__ = ["SHORT_SERIES", "by_column", "by_region", "dependence_page", "table16_pages"]

#: short names of the series of Table 9.8 (the labels and chapter 4's networks)
SHORT_SERIES = {"truth": "truth", "GZ2B labels": "GZ2B", "CE on GZ2B": "CE", "CE on GZ2D": "CE (GZ2D)",
                "DDB on GZ2B": "DDB"}


def by_column(table: pd.DataFrame, prefix: str = "", index_name: str = "") -> pd.DataFrame:
    """``table`` transposed, its values kept as they are (integers stay integers), its former
    index as the columns (each name prefixed with ``prefix``)."""
    out = table.astype(object).T
    out.columns = [f"{prefix}{c}" for c in table.index]
    out.index.name = index_name or None
    return out


def by_region(table: pd.DataFrame) -> pd.DataFrame:
    """A per-region table (index: region) printed with one column per region ("region 1", ...)."""
    return by_column(table, prefix="region ")


def _pm(mean: float, sd: float, signed: bool = False) -> str:
    if not np.isfinite(mean):
        return "–"
    m = f"{mean:+.3f}" if signed else f"{mean:.3f}"
    return m if not np.isfinite(sd) else f"{m} ± {sd:.3f}"


def table16_pages(t16: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 9.5 (:func:`~galbias.results.skybias.table16`) as two tables of four or five columns.

    9.5a, Dhar & Shamir: their experiment ("S1 E2 → 1" in their data-set names), its p(spiral)
    and its shift from their same-region network.  9.5b, this run: the same experiment in the
    simulated survey's regions, the favoured class, p(spiral) and shift as "mean ± sd" over the
    repeats, and the binomial p-value of the first repeat.  Both are indexed by their table.
    """
    paper = pd.DataFrame({
        "experiment": [experiment_label(s, e, t) for s, e, t in
                       zip(t16["D&S train spiral"], t16["D&S train elliptical"], t16["D&S test"])],
        "p(spiral)": t16["D&S p(spiral)"].astype(float), "shift": t16["D&S shift"].astype(float)},
        index=t16.index)
    here = pd.DataFrame({
        "regions": [experiment_label(s, e, t) for s, e, t in zip(t16["train spiral"], t16["train elliptical"],
                                                                  t16["test"])],
        "favoured": t16["favoured"],
        "p(spiral)": [_pm(m, sd) for m, sd in zip(t16["p(spiral)"], t16["p(spiral) sd"])],
        "shift": [_pm(m, sd, signed=True) for m, sd in zip(t16["shift"], t16["shift sd"])],
        "binomial p": t16["binomial p (repeat 0)"]}, index=t16.index)
    paper.index.name = here.index.name = "D&S table"
    return paper, here


def dependence_page(table: pd.DataFrame) -> pd.DataFrame:
    """Table 9.8 (:func:`~galbias.results.skybias.dependence_tables`) with two groups of columns,
    "called disk" (the share of each region's galaxies) and "disks recovered" (the share of its
    true disks), and the short names of :data:`SHORT_SERIES`.  A one-column "note" table (the
    section was not measured) is returned as it is."""
    if list(table.columns) == ["note"]:
        return table
    cols, data = [], []
    for c in table.columns:
        if c == "galaxies":
            cols.append(("", "galaxies"))
        elif c.endswith(": disks recovered"):
            name = c[: -len(": disks recovered")]
            cols.append(("disks recovered", SHORT_SERIES.get(name, name)))
        else:
            cols.append(("called disk", SHORT_SERIES.get(c, c)))
        data.append(table[c])
    out = pd.concat(data, axis=1)
    out.columns = pd.MultiIndex.from_tuples(cols)
    return out
