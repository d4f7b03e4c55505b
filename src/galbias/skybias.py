r"""Sky-location bias of a CNN classifier (Dhar & Shamir), reproduced on the simulated survey.

Dhar & Shamir (:data:`PAPER_CONFUSION`, :data:`PAPER_TABLE16`) trained a small CNN to tell
elliptical from spiral galaxies.  When the training spirals came from one part of the sky
and the training ellipticals from another, the network's verdict on an *identical* test set
depended on where the test galaxies were observed: the class whose training images shared
the test galaxies' sky region was favoured.  The network had learned something about the
sky region (background, noise, seeing, foreground stars), not only about the galaxies.

This module holds the experiment's logic; chapter 9 runs it on the mock survey, whose four
sky regions (:mod:`galbias.mock.regions`) differ only in observing conditions while their
galaxies are drawn from one population.

Pieces
------
- **Data**: :func:`galaxy_sample` (galaxies with a class and a region), :func:`scaled_counts`
  (per-region, per-class train/test sizes in the proportions of the paper's Table 1),
  :func:`draw_split` (disjoint train/test draws per region and class), :func:`training_rows`
  and :func:`test_rows` (the sets of one experiment).
- **Design**: :func:`design` lists the trainings (spiral and elliptical source regions) and
  the test sets each is applied to, one entry per Dhar & Shamir table (3 - 15), plus the
  same-region references they lacked and, beyond the paper, *region-balanced* trainings.
- **Network**: :class:`DSNet` (their LeNet-5 extension: five convolutions, four max-pools,
  dense layers, one sigmoid output), :func:`train_cnn` (binary cross-entropy, Adam, a fixed
  number of epochs, deterministic for a seed on the CPU), :func:`predict_proba`.
- **Statistics**: :func:`confusion` (tn, fp, fn, tp with *spiral* as the positive class),
  :func:`binom_pvalue` (their binomial test), :func:`add_binomial_tests` (each experiment
  against its same-region reference), :func:`summarize`, :func:`anisotropy` (the apparent
  difference between two regions seen by *one* network), :func:`swap_contrast` (that
  difference split into the sky-location effect and real differences between the regions'
  images, from the two swapped trainings), :func:`region_dependence` (the same question for
  any classifier, e.g. the DDB network of chapter 4).
- **Populations**: :func:`population_table`, :func:`population_tests` (are the regions'
  galaxies the same?), :func:`background_stats` (what differs in the images).
- **Runs**: :func:`run_experiments` and :func:`write_results` (``skybias.csv``, atomic, with
  a manifest).

Conventions: class 1 = spiral (= disk), 0 = elliptical (= smooth), as everywhere in the
book; regions are written as strings ("1", "1+2+3") in tables.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from scipy import stats
from torch import nn

from . import artifacts

__all__ = [
    "CNNSettings", "CSV_COLUMNS", "DSNet", "Experiment", "PAPER_CONFUSION", "PAPER_REGION", "PAPER_REPEATS",
    "PAPER_SETUP", "PAPER_TABLE1", "PAPER_TABLE16", "Training", "add_binomial_tests", "anisotropy", "auto_epochs",
    "background_stats", "binom_pvalue", "confusion", "core_trainings", "dependence_verdict", "design", "draw_split",
    "experiment_label", "favoured", "galaxy_sample", "paper_summary", "plot_confusions", "population_table",
    "population_tests", "predict_proba", "prepare_images", "read_results", "region_dependence", "region_str",
    "regions_from_coords", "run_experiments", "scaled_counts", "split_for_repeat", "summarize", "summary_table",
    "swap_contrast", "test_rows", "torch_threads", "train_cnn", "training_rows", "write_results",
]

# --- Dhar & Shamir's published numbers (reference values, not results of this package) ------------

#: Dhar & Shamir, Table 1: the training and test galaxies per class and data set (Pan-STARRS
#: data sets 1-3, SDSS data sets A, B).  The train : test proportion 3 : 8 (Pan-STARRS) is the
#: one :func:`scaled_counts` uses.
PAPER_TABLE1 = pd.DataFrame(
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
PAPER_CONFUSION = pd.DataFrame(
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
PAPER_TABLE16 = pd.DataFrame(
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
PAPER_REPEATS = {
    6: {"fp_mean": 247.4, "fp_pm": 1.1, "fn_mean": 406.1, "fn_pm": 1.4, "fp_max": 291},
    7: {"fp_mean": 216.2, "fp_pm": 1.0, "fn_mean": 473.0, "fn_pm": 1.4, "fp_max": 277},
}

#: Dhar & Shamir's setup as stated in their text: training epochs, image side in pixels, the
#: training-set size per class at which their accuracy saturated (Figure 2), the annotation
#: certainty threshold of their catalogs and its quoted agreement with Galaxy Zoo
#: "superclean" labels, and the number of random re-splits of the Table 6 / 7 experiment.
PAPER_SETUP = {"epochs": 250, "image_px": 120, "saturation_per_class": 1000, "certainty": 0.9, "agreement": 0.98,
               "n_repeats": 100}

#: which mock region stands in for each of Dhar & Shamir's data sets.  Regions 1-3 have their
#: Pan-STARRS data sets' RA/Dec boxes (2 and 3 are neighbours); region 4 has SDSS data set A's
#: RA range, and SDSS data set B (RA 15-35) is played by region 1, its neighbour on the sky.
PAPER_REGION = {"1": 1, "2": 2, "3": 3, "A": 4, "B": 1}

SPIRAL, ELLIPTICAL = 1, 0


def region_str(regions: int | Iterable[int]) -> str:
    """``(1, 2, 3)`` -> ``"1+2+3"``; ``2`` -> ``"2"``."""
    if isinstance(regions, (int, np.integer)):
        return str(int(regions))
    return "+".join(str(int(r)) for r in regions)


def _as_tuple(regions: int | Iterable[int]) -> tuple[int, ...]:
    if isinstance(regions, (int, np.integer)):
        return (int(regions),)
    return tuple(int(r) for r in regions)


# --- data -----------------------------------------------------------------------------------------

def regions_from_coords(ra: np.ndarray, dec: np.ndarray, boxes: Sequence[Any] | None = None) -> np.ndarray:
    """Sky region (1-4) of each (ra, dec) from the RA/Dec boxes of :data:`galbias.mock.REGIONS`;
    0 outside every box.  Used for a catalog without a ``region`` column (real data)."""
    if boxes is None:
        from .mock.regions import REGIONS as boxes
    ra = np.asarray(ra, dtype=float) % 360.0
    dec = np.asarray(dec, dtype=float)
    out = np.zeros(len(ra), dtype=np.int8)
    for r in boxes:
        inside = (ra >= r.ra_min) & (ra < r.ra_max) & (dec >= r.dec_min) & (dec < r.dec_max)
        out[inside & (out == 0)] = r.region
    return out


def galaxy_sample(catalog: pd.DataFrame, label: str = "truth", min_fraction: float = 0.9) -> pd.DataFrame:
    """The galaxies of a catalog with a binary class and a sky region.

    Returns ``id``, ``region`` (int), ``y`` (1 = spiral/disk, 0 = elliptical/smooth) and
    ``file_loc``, in catalog order.  ``label="truth"`` uses the simulated survey's
    ``true_class`` (stars and artifacts, class 2, are dropped).  ``label="votes"`` (real data)
    mimics Dhar & Shamir's annotation threshold: galaxies whose weighted *smooth* or *features
    or disk* vote fraction is at least ``min_fraction``.  Without a ``region`` column the region
    comes from the RA/Dec boxes (:func:`regions_from_coords`); galaxies outside every box are
    dropped.
    """
    idc = "id" if "id" in catalog.columns else "dr7objid"
    if "file_loc" not in catalog.columns or idc not in catalog.columns:
        raise KeyError(f"galaxy_sample needs 'file_loc' and an id column ('id' or 'dr7objid'); "
                       f"got {list(catalog.columns)}")
    if label == "truth":
        if "true_class" not in catalog.columns:
            raise KeyError("label='truth' needs the simulated survey's 'true_class' column; use label='votes' "
                           "for real data")
        y = catalog["true_class"].to_numpy()
        keep = np.isin(y, (0, 1))
    elif label == "votes":
        from .catalog import ANSWERS

        fs = catalog[f"{ANSWERS[0]}_weighted_fraction"].to_numpy(float)
        fd = catalog[f"{ANSWERS[1]}_weighted_fraction"].to_numpy(float)
        y = np.where(fd >= min_fraction, 1, np.where(fs >= min_fraction, 0, -1))
        keep = y >= 0
    else:
        raise ValueError(f"label must be 'truth' or 'votes', got {label!r}")
    if "region" in catalog.columns:
        region = catalog["region"].to_numpy()
    else:
        region = regions_from_coords(catalog["ra"].to_numpy(), catalog["dec"].to_numpy())
    keep &= np.asarray(region) > 0
    out = pd.DataFrame({"id": catalog[idc].to_numpy()[keep], "region": np.asarray(region)[keep].astype(int),
                        "y": np.asarray(y)[keep].astype(int), "file_loc": catalog["file_loc"].to_numpy()[keep]})
    return out.reset_index(drop=True)


def scaled_counts(sample: pd.DataFrame, regions: Iterable[int], train_fraction: float = 3 / 11,
                  max_per_class: int | None = None) -> tuple[int, int]:
    """(n_train, n_test) per class and region: the paper's Table 1 scaled to this sample.

    Every region gets the same numbers (as in Table 1).  The smallest (region, class) group
    among ``regions`` sets how many galaxies there are per class and region (at most
    ``max_per_class``); a fraction ``train_fraction`` of them is for training (Table 1:
    3,000 of 11,000 per class and Pan-STARRS data set, i.e. 3/11), the rest for testing.
    """
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    counts = sample.groupby(["region", "y"]).size()
    groups = [(int(r), c) for r in regions for c in (ELLIPTICAL, SPIRAL)]
    n_avail = min(int(counts.get(g, 0)) for g in groups)
    if max_per_class is not None:
        n_avail = min(n_avail, int(max_per_class))
    n_train = int(round(n_avail * train_fraction))
    n_test = n_avail - n_train
    if n_train < 1 or n_test < 1:
        raise ValueError(f"too few galaxies for a train/test split: the smallest (region, class) group has "
                         f"{n_avail} galaxies")
    return n_train, n_test


def draw_split(sample: pd.DataFrame, n_train: int, n_test: int, seed: int, regions: Iterable[int] | None = None
               ) -> pd.DataFrame:
    """Disjoint random training and test sets in every region and class.

    Returns a copy of ``sample`` with a column ``part`` ("train", "test" or "" for galaxies
    not drawn) and ``order`` (the rank in the random draw, used by :func:`training_rows` to
    take sub-shares).  Each (region, class) group draws ``n_train + n_test`` galaxies without
    replacement from its own random stream ``(seed, region, class)``, so the draw of one group
    does not depend on the others.
    """
    regions = sorted(sample["region"].unique()) if regions is None else [int(r) for r in regions]
    part = np.full(len(sample), "", dtype=object)
    order = np.full(len(sample), -1, dtype=np.int64)
    reg = sample["region"].to_numpy()
    y = sample["y"].to_numpy()
    for r in regions:
        for c in (ELLIPTICAL, SPIRAL):
            idx = np.flatnonzero((reg == r) & (y == c))
            if len(idx) < n_train + n_test:
                raise ValueError(f"region {r}, class {c}: {len(idx)} galaxies, fewer than "
                                 f"{n_train} + {n_test} needed")
            rng = np.random.default_rng(np.random.SeedSequence([int(seed) % 2**63, int(r), int(c)]))
            pick = rng.permutation(idx)[:n_train + n_test]
            part[pick[:n_train]] = "train"
            part[pick[n_train:]] = "test"
            order[pick] = np.arange(len(pick))
    out = sample.copy()
    out["part"] = part
    out["order"] = order
    return out


def _share(n: int, k: int) -> list[int]:
    """``n`` split into ``k`` near-equal integer shares (the first ones get the remainder)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def training_rows(split: pd.DataFrame, spiral: Iterable[int], elliptical: Iterable[int], mode: str = "union"
                  ) -> np.ndarray:
    """Row positions of one training set: spirals from regions ``spiral``, ellipticals from
    ``elliptical``, taken from the ``train`` part of :func:`draw_split`.

    ``mode="union"``: all training galaxies of the class in those regions (the paper's
    combined 1+2+3 set is three times as large as a single one).  ``mode="mix"``: as many
    galaxies per class as one region has, shared equally between the regions (a
    region-balanced training set of the usual size).
    """
    if mode not in ("union", "mix"):
        raise ValueError(f"mode must be 'union' or 'mix', got {mode!r}")
    tr = split["part"].to_numpy() == "train"
    reg = split["region"].to_numpy()
    y = split["y"].to_numpy()
    order = split["order"].to_numpy()
    rows = []
    for c, regions in ((SPIRAL, _as_tuple(spiral)), (ELLIPTICAL, _as_tuple(elliptical))):
        pools = [np.flatnonzero(tr & (reg == r) & (y == c)) for r in regions]
        if mode == "union":
            rows.extend(pools)
        else:
            n = min(len(p) for p in pools)
            for p, k in zip(pools, _share(n, len(pools))):
                rows.append(p[np.argsort(order[p], kind="stable")][:k])
    return np.sort(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)


def test_rows(split: pd.DataFrame, regions: Iterable[int]) -> np.ndarray:
    """Row positions of the test galaxies (both classes) of ``regions``."""
    test = split["part"].to_numpy() == "test"
    return np.flatnonzero(test & np.isin(split["region"].to_numpy(), _as_tuple(regions)))


# --- the design -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Training:
    """One training set: spirals from ``spiral``, ellipticals from ``elliptical`` regions."""

    key: str
    spiral: tuple[int, ...]
    elliptical: tuple[int, ...]
    mode: str = "union"
    group: str = ""


@dataclass(frozen=True)
class Experiment:
    """One trained network applied to one test set (a row of ``skybias.csv``).

    ``table`` is the number of Dhar & Shamir's table it reproduces (None: not in the paper);
    ``reference`` names the experiment whose rates the binomial test uses (the network
    trained in the test region itself, applied to the same test galaxies).
    """

    name: str
    training: str
    test: tuple[int, ...]
    table: int | None = None
    reference: str | None = None


def _exp_name(training: str, test: Sequence[int]) -> str:
    return f"{training}->t{''.join(str(r) for r in test)}"


def design(a: int = PAPER_REGION["A"], b: int = PAPER_REGION["B"], balanced: bool = True,
           extra_baselines: bool = True) -> tuple[list[Training], list[Experiment]]:
    """The trainings and experiments of chapter 9.

    Paper (Tables 3 - 15, Pan-STARRS data sets 1, 2, 3 = regions 1, 2, 3; SDSS A, B = regions
    ``a``, ``b``): same-region baselines 1|1 and 2|2, the combined 1+2+3, spirals from 1 and
    ellipticals from 2 (and the reverse) tested on 1 and on 2, the neighbours 3|2 and 2|3
    tested on 2, and the A|B, B|A pair tested on A and on B.  A training key reads
    ``s<spiral regions>e<elliptical regions>``.

    ``extra_baselines``: same-region networks for every region used as a test set (the
    paper had none for 3, A and B), so that every experiment has a reference on the same
    test galaxies; the combined network also applied to each region; and the neighbour
    pair also applied to region 3, so that each swapped pair is tested on both its regions.
    ``balanced`` (beyond the paper): both classes drawn equally from regions 1 and 2 (and
    from ``a`` and ``b``), tested on each.
    """
    def key(s: Sequence[int], e: Sequence[int], mode: str = "union") -> str:
        k = f"s{''.join(map(str, s))}e{''.join(map(str, e))}"
        return k + ("mix" if mode == "mix" else "")

    trainings: dict[str, Training] = {}
    exps: list[Experiment] = []

    def add(s: Sequence[int], e: Sequence[int], tests: Sequence[tuple[Sequence[int], int | None]], group: str,
            mode: str = "union") -> None:
        k = key(s, e, mode)
        trainings.setdefault(k, Training(k, tuple(s), tuple(e), mode, group))
        for t, table in tests:
            t = tuple(t)
            ref = _exp_name(key(t, t), t) if len(t) == 1 else None
            name = _exp_name(k, t)
            exps.append(Experiment(name, k, t, table, None if ref == name else ref))

    add((1,), (1,), [((1,), 3)], "baseline")
    add((2,), (2,), [((2,), 4)], "baseline")
    if extra_baselines:
        for r in sorted({3, a, b} - {1, 2}):
            add((r,), (r,), [((r,), None)], "baseline")
    per_region = [((1,), None), ((2,), None), ((3,), None)] if extra_baselines else []
    add((1, 2, 3), (1, 2, 3), [((1, 2, 3), 5)] + per_region, "combined")
    add((1,), (2,), [((1,), 6), ((2,), 7)], "opposite")
    add((2,), (1,), [((1,), 8), ((2,), 9)], "opposite")
    add((3,), (2,), [((2,), 10)] + ([((3,), None)] if extra_baselines else []), "neighbour")
    add((2,), (3,), [((2,), 11)] + ([((3,), None)] if extra_baselines else []), "neighbour")
    add((a,), (b,), [((a,), 12), ((b,), 13)], "A/B pair")
    add((b,), (a,), [((a,), 14), ((b,), 15)], "A/B pair")
    if balanced:
        add((1, 2), (1, 2), [((1,), None), ((2,), None)], "balanced", mode="mix")
        if {a, b} != {1, 2}:
            add((a, b), (a, b), [((a,), None), ((b,), None)], "balanced", mode="mix")
    # a baseline's reference is itself; any reference must exist
    names = {e.name for e in exps}
    exps = [e if e.reference in names else Experiment(e.name, e.training, e.test, e.table, None) for e in exps]
    return list(trainings.values()), exps


def core_trainings(trainings: Sequence[Training], a: int = PAPER_REGION["A"]) -> list[str]:
    """Keys of the trainings worth repeating on a small budget: the same-region baselines of
    regions 1, 2 and ``a`` (data set A), the two swapped pairs at opposite ends of the sky (1|2, 2|1 and
    A|B, B|A) and the region-balanced trainings.  Left out: the combined 1+2+3 network (three
    times the training time), the neighbour pair and the region-3 baseline."""
    keep = []
    for t in trainings:
        if t.group in ("opposite", "A/B pair", "balanced"):
            keep.append(t.key)
        elif t.group == "baseline" and t.spiral[0] in (1, 2, a):
            keep.append(t.key)
    return keep


def favoured(spiral: Sequence[int], elliptical: Sequence[int], test: Sequence[int]) -> str:
    """Which class's training images share the test galaxies' region: "spiral",
    "elliptical" or "neither" (both or none; a region-balanced or same-region training)."""
    t = set(test)
    s, e = bool(t & set(spiral)), bool(t & set(elliptical))
    if s and not e:
        return "spiral"
    if e and not s:
        return "elliptical"
    return "neither"


# --- the network ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CNNSettings:
    """The Dhar & Shamir network's settings.

    ``px``: input side in pixels (larger images are block-averaged down; None = as stored);
    ``width``: channels of the first convolution (doubling to 2x, 4x, 4x, 8x); ``dense``:
    units of the hidden dense layer; ``epochs`` (fixed, no early stopping: the paper trained
    a fixed 250 epochs), ``batch_size``, Adam learning rate ``lr``; ``augment``: random
    flips and quarter turns of each training image (not in the paper).
    """

    px: int | None = 32
    width: int = 8
    dense: int = 64
    epochs: int = 15
    batch_size: int = 32
    lr: float = 1e-3
    augment: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def auto_epochs(n_images: int, batch_size: int = 32, min_steps: int = 300, min_epochs: int = 15,
                max_epochs: int = 40) -> int:
    """Epochs for a training set of ``n_images``: enough for ``min_steps`` optimiser steps,
    at least ``min_epochs`` and at most ``max_epochs`` (small sets need more passes)."""
    steps = max(1, math.ceil(n_images / batch_size))
    return int(min(max_epochs, max(min_epochs, math.ceil(min_steps / steps))))


class DSNet(nn.Module):
    """Dhar & Shamir's LeNet-5 extension: five 3x3 convolutions with ReLU, a 2x2 max-pool
    after each of the first four (fewer for tiny inputs, keeping at least 2x2 pixels), then
    flatten -> Dense(``dense``, ReLU) -> Dense(1).  The forward pass returns the logit; the
    sigmoid of it is p(spiral) (:func:`predict_proba`), and training uses the binary
    cross-entropy on the logit (the same loss as sigmoid + BCE, computed stably)."""

    def __init__(self, in_px: int, width: int = 8, dense: int = 64) -> None:
        super().__init__()
        chans = [width, 2 * width, 4 * width, 4 * width, 8 * width]
        layers: list[nn.Module] = []
        c, s = 3, int(in_px)
        for i, co in enumerate(chans):
            layers += [nn.Conv2d(c, co, 3, padding=1), nn.ReLU(inplace=True)]
            if i < 4 and s >= 4:
                layers.append(nn.MaxPool2d(2))
                s //= 2
            c = co
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(c * s * s, dense), nn.ReLU(inplace=True), nn.Linear(dense, 1))
        self.in_px = int(in_px)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


def prepare_images(images: np.ndarray, px: int | None = None) -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float32 (N, 3, px, px) in [0, 1]; images larger than ``px`` are
    averaged down over pixel blocks (area interpolation), never up-sampled."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).to(torch.float32).div_(255.0)
    if px is not None and x.shape[-1] > px:
        x = F.adaptive_avg_pool2d(x, int(px))
    return x.contiguous()


def train_cnn(x: torch.Tensor, y: np.ndarray | torch.Tensor, settings: CNNSettings = CNNSettings(), seed: int = 0
              ) -> DSNet:
    """Train a :class:`DSNet` on float images ``x`` (N, 3, S, S) and classes ``y`` (1 = spiral).

    Binary cross-entropy, Adam, ``settings.epochs`` passes over the data in minibatches.
    The initial weights, the batch order and the augmentation come from ``seed`` only
    (torch's global random state is left as it was), so on the CPU the same seed, data
    and thread count give the same network.  Returns the network in eval mode.
    """
    from .images import augment_dihedral, random_codes

    yt = torch.from_numpy(np.array(y, dtype=np.float32))
    if len(yt) != len(x):
        raise ValueError(f"{len(x)} images but {len(yt)} classes")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**63)
        model = DSNet(x.shape[-1], settings.width, settings.dense)
    g = torch.Generator().manual_seed(int(seed) % 2**63 + 1)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    n = len(x)
    for _ in range(int(settings.epochs)):
        perm = torch.randperm(n, generator=g)
        for s in range(0, n, settings.batch_size):
            idx = perm[s:s + settings.batch_size]
            xb = x.index_select(0, idx)
            if settings.augment:
                xb = augment_dihedral(xb, random_codes(len(idx), generator=g), dims=(2, 3))
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yt.index_select(0, idx))
            loss.backward()
            opt.step()
    model.eval()
    return model


def predict_proba(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """p(spiral) = sigmoid(logit) for float images ``x`` (N, 3, S, S)."""
    model.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(x), batch_size):
            out.append(torch.sigmoid(model(x[s:s + batch_size])).double().numpy())
    return np.concatenate(out) if out else np.zeros(0)


# --- statistics ---------------------------------------------------------------------------------------

def confusion(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray) -> dict[str, int]:
    """Confusion counts with *spiral* (1) as the positive class: ``tn`` ellipticals called
    elliptical, ``fp`` ellipticals called spiral, ``fn`` spirals called elliptical, ``tp``
    spirals called spiral."""
    t = np.asarray(y_true).astype(int)
    p = np.asarray(y_pred).astype(int)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {t.shape} vs {p.shape}")
    bad = ~np.isin(t, (0, 1)) | ~np.isin(p, (0, 1))
    if bad.any():
        raise ValueError("classes must be 0 (elliptical) or 1 (spiral)")
    return {"tn": int(np.sum((t == 0) & (p == 0))), "fp": int(np.sum((t == 0) & (p == 1))),
            "fn": int(np.sum((t == 1) & (p == 0))), "tp": int(np.sum((t == 1) & (p == 1)))}


def binom_pvalue(k: int, n: int, p: float, alternative: str = "two-sided") -> float:
    """P-value of ``k`` successes in ``n`` trials under a binomial with success probability
    ``p`` (``scipy.stats.binomtest``): Dhar & Shamir's test of a count of galaxies predicted
    spiral (or of misclassified ellipticals) against the rate of a reference experiment.
    ``alternative="less"`` is their one-sided "probability of k or fewer".  NaN when ``p``
    is not a probability or ``n`` is 0."""
    if n <= 0 or not np.isfinite(p) or not 0 <= p <= 1:
        return float("nan")
    return float(stats.binomtest(int(k), int(n), float(p), alternative=alternative).pvalue)


def _rates(row: Mapping[str, Any]) -> dict[str, float]:
    n_e = row["tn"] + row["fp"]
    n_s = row["fn"] + row["tp"]
    n = n_e + n_s
    return {"p_spiral": (row["fp"] + row["tp"]) / n if n else np.nan,
            "fp_rate": row["fp"] / n_e if n_e else np.nan, "fn_rate": row["fn"] / n_s if n_s else np.nan}


def add_binomial_tests(df: pd.DataFrame) -> pd.DataFrame:
    """Add, for each experiment, its reference's rates (same repeat) and the binomial tests.

    ``p_value``: the number of test galaxies predicted spiral against a binomial with the
    reference's predicted-spiral fraction (Dhar & Shamir's test, two-sided);
    ``p_value_fp`` / ``p_value_fn``: the misclassified ellipticals / spirals against the
    reference's rates (their Table 7 and Table 15 variants); ``delta_p_spiral``: the
    experiment's predicted-spiral fraction minus the reference's.  NaN for experiments
    without a reference (the baselines themselves).
    """
    out = df.copy()
    key = out.set_index(["repeat", "experiment"])
    refs = []
    for _, r in out.iterrows():
        ref = r.get("reference")
        if isinstance(ref, str) and ref and (r["repeat"], ref) in key.index:
            q = key.loc[(r["repeat"], ref)]
            refs.append(_rates(q))
        else:
            refs.append({"p_spiral": np.nan, "fp_rate": np.nan, "fn_rate": np.nan})
    out["ref_p_spiral"] = [x["p_spiral"] for x in refs]
    out["ref_fp_rate"] = [x["fp_rate"] for x in refs]
    out["ref_fn_rate"] = [x["fn_rate"] for x in refs]
    n_e = out["tn"] + out["fp"]
    n_s = out["fn"] + out["tp"]
    out["delta_p_spiral"] = out["p_spiral"] - out["ref_p_spiral"]
    out["p_value"] = [binom_pvalue(k, n, p) for k, n, p in zip(out["fp"] + out["tp"], n_e + n_s, out["ref_p_spiral"])]
    out["p_value_fp"] = [binom_pvalue(k, n, p) for k, n, p in zip(out["fp"], n_e, out["ref_fp_rate"])]
    out["p_value_fn"] = [binom_pvalue(k, n, p) for k, n, p in zip(out["fn"], n_s, out["ref_fn_rate"])]
    return out


def summarize(df: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment (design order): mean and standard deviation over the repeats
    of the predicted-spiral fraction, its shift from the reference and the accuracy; the
    mean misclassified ellipticals (fp) and spirals (fn) with their maxima; the binomial
    p-value of the first repeat and the share of repeats with p < 0.05 (over the repeats
    that have a reference)."""
    order = list(dict.fromkeys(df["experiment"]))
    g = df.groupby("experiment", sort=False)
    first = df.sort_values("repeat").groupby("experiment", sort=False).first()
    out = pd.DataFrame({
        "table": first["table"], "group": first["group"], "train_spiral": first["train_spiral"],
        "train_elliptical": first["train_elliptical"], "test_region": first["test_region"],
        "favoured": first["favoured"], "reference": first["reference"],
        "n_test": first["tn"] + first["fp"] + first["fn"] + first["tp"],
        "n_repeats": g.size(),
        "p_spiral": g["p_spiral"].mean(), "p_spiral_sd": g["p_spiral"].std(ddof=1),
        "delta": g["delta_p_spiral"].mean(), "delta_sd": g["delta_p_spiral"].std(ddof=1),
        "accuracy": g["accuracy"].mean(), "accuracy_sd": g["accuracy"].std(ddof=1),
        "fp_mean": g["fp"].mean(), "fp_max": g["fp"].max(), "fn_mean": g["fn"].mean(), "fn_max": g["fn"].max(),
        "p_value_first": first["p_value"],
        "frac_significant": g["p_value"].apply(
            lambda s: float((s.dropna() < 0.05).mean()) if s.notna().any() else np.nan),
    })
    return out.loc[order]


def anisotropy(df: pd.DataFrame) -> pd.DataFrame:
    """The apparent difference between two sky regions seen by *one* network.

    For every training applied to two single-region test sets a < b, per repeat:
    ``delta = p_spiral(test a) - p_spiral(test b)`` -- both test sets hold equal numbers of
    true spirals and ellipticals, so a classifier that looks only at the galaxies and sees
    them equally well in both regions gives 0 -- and the chi-squared test (2 x 2, no
    continuity correction) of predicted class against test region.  This is what a
    catalog made by that network would show as an anisotropy.
    """
    rows = []
    single = df[~df["test_region"].astype(str).str.contains(r"\+")]
    for (rep, tr), sub in single.groupby(["repeat", "training"], sort=False):
        sub = sub.drop_duplicates("test_region").set_index("test_region")
        regs = sorted(sub.index, key=int)
        for i in range(len(regs)):
            for j in range(i + 1, len(regs)):
                a, b = regs[i], regs[j]
                ra, rb = sub.loc[a], sub.loc[b]
                ka, na = ra["fp"] + ra["tp"], ra["tn"] + ra["fp"] + ra["fn"] + ra["tp"]
                kb, nb = rb["fp"] + rb["tp"], rb["tn"] + rb["fp"] + rb["fn"] + rb["tp"]
                tab = np.array([[ka, na - ka], [kb, nb - kb]])
                p = float(stats.chi2_contingency(tab, correction=False)[1]) if tab.sum(axis=0).min() > 0 else np.nan
                rows.append({"repeat": rep, "training": tr, "group": ra["group"], "train_mode": ra["train_mode"],
                             "train_spiral": ra["train_spiral"], "train_elliptical": ra["train_elliptical"],
                             "region_a": a, "region_b": b, "p_spiral_a": ka / na, "p_spiral_b": kb / nb,
                             "delta": ka / na - kb / nb, "p_value": p})
    return pd.DataFrame(rows)


def swap_contrast(anis: pd.DataFrame) -> pd.DataFrame:
    """Separate the sky-location bias from real differences between two regions.

    For each region pair a < b and repeat with both swapped trainings (spirals from a and
    ellipticals from b, and the reverse), with ``delta`` from :func:`anisotropy`:

    - ``contrast`` = (delta[S a, E b] - delta[S b, E a]) / 2: how much the apparent excess of
      spirals in a grows when the training spirals, rather than the ellipticals, come from
      a.  Zero if the network ignores where the training images were taken; positive if it
      favours the class whose training images share the test galaxies' region.
    - ``region_effect`` = (delta[S a, E b] + delta[S b, E a]) / 2: what remains when the two
      confounded trainings are averaged -- differences in how well the galaxies can be
      classified in the two regions' images.
    - ``delta_balanced`` / ``delta_combined``: delta of the region-balanced network (both
      classes from both regions) and of the combined 1+2+3 network, where there is one.
    """
    rows = []
    single = anis[anis["train_spiral"].str.fullmatch(r"\d") & anis["train_elliptical"].str.fullmatch(r"\d")]
    for (rep, a, b), sub in anis.groupby(["repeat", "region_a", "region_b"], sort=False):
        s1 = single[(single["repeat"] == rep) & (single["region_a"] == a) & (single["region_b"] == b)]
        ab = s1[(s1["train_spiral"] == a) & (s1["train_elliptical"] == b)]
        ba = s1[(s1["train_spiral"] == b) & (s1["train_elliptical"] == a)]
        if ab.empty or ba.empty:
            continue
        d_ab, d_ba = float(ab["delta"].iloc[0]), float(ba["delta"].iloc[0])
        bal = sub[(sub["train_mode"] == "mix")]
        comb = sub[(sub["group"] == "combined")]
        rows.append({"repeat": rep, "region_a": a, "region_b": b, "delta_SaEb": d_ab, "delta_SbEa": d_ba,
                     "contrast": (d_ab - d_ba) / 2, "region_effect": (d_ab + d_ba) / 2,
                     "delta_balanced": float(bal["delta"].iloc[0]) if len(bal) else np.nan,
                     "delta_combined": float(comb["delta"].iloc[0]) if len(comb) else np.nan})
    return pd.DataFrame(rows)


def region_dependence(y_true: np.ndarray, y_pred: np.ndarray, region: np.ndarray
                      ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Does a classifier call a different share of galaxies disk/spiral in different regions?

    Per region: ``n``, the true and the predicted disk fraction, the recall of disks, the
    rate of smooth galaxies called disk, and the binomial p-value of the region's
    predicted-disk count against the pooled predicted-disk fraction of all regions.  The
    tests (dict): chi-squared of predicted class against region for all galaxies
    (``chi2_all``), and separately for the true disks (``chi2_disk``) and the true smooth
    galaxies (``chi2_smooth``): the last two compare like with like, since the regions'
    true class mix may differ slightly.
    """
    t = np.asarray(y_true).astype(int)
    p = np.asarray(y_pred).astype(int)
    reg = np.asarray(region)
    pooled = p.mean() if len(p) else np.nan
    rows = []
    for r in sorted(np.unique(reg)):
        m = reg == r
        k = int(p[m].sum())
        rows.append({"region": r, "n": int(m.sum()), "true_disk": float(t[m].mean()), "pred_disk": float(p[m].mean()),
                     "recall_disk": float(p[m & (t == 1)].mean()) if (m & (t == 1)).any() else np.nan,
                     "smooth_called_disk": float(p[m & (t == 0)].mean()) if (m & (t == 0)).any() else np.nan,
                     "p_value": binom_pvalue(k, int(m.sum()), pooled)})
    tests = {}
    for name, sel in (("chi2_all", np.ones(len(t), bool)), ("chi2_disk", t == 1), ("chi2_smooth", t == 0)):
        tab = pd.crosstab(reg[sel], p[sel]).reindex(columns=[0, 1], fill_value=0).to_numpy()
        ok = tab.sum(axis=0) > 0
        tests[name] = float(stats.chi2_contingency(tab[:, ok], correction=False)[1]) if ok.sum() == 2 and len(tab) > 1 \
            else float("nan")
    return pd.DataFrame(rows).set_index("region"), tests


def dependence_verdict(p_labels: float, p_ce: float, p_ddb: float, level: float = 0.01) -> str:
    """One sentence on the region dependence among true disks (chi-squared p-values of
    :func:`region_dependence`) of the volunteer labels, the cross-entropy network and DDB,
    at significance ``level``; NaN p-values are reported as "not measured"."""
    def sig(p: float) -> str:
        return "not measured" if not np.isfinite(p) else ("significant" if p < level else "not significant")

    lab = {"significant": "the volunteer labels recognise a different share of the true disks in different "
                          "regions, so the resolution bias becomes an apparent anisotropy where the seeing differs",
           "not significant": "the volunteer labels show no significant region dependence among the true disks "
                              "at this sample size",
           "not measured": "the volunteer labels were not measured"}[sig(p_labels)]
    s_ce, s_ddb = sig(p_ce), sig(p_ddb)
    if "not measured" in (s_ce, s_ddb):
        net = "chapter 4's networks were not measured"
    elif s_ce == "significant" and s_ddb == "not significant":
        net = "the cross-entropy network inherits a region dependence and DDB does not"
    elif s_ce == s_ddb == "significant":
        net = "both networks of chapter 4 depend significantly on the region"
    elif s_ce == s_ddb == "not significant":
        net = "neither network of chapter 4 depends significantly on the region"
    else:
        net = "DDB depends significantly on the region and the cross-entropy network does not"
    return f"{lab}; {net} (χ² among true disks, p < {level:g})"


# --- are the regions' galaxies the same? ---------------------------------------------------------------

#: intrinsic properties compared between regions (first found of each tuple)
POPULATION_COLUMNS = (("redshift", ("z",)), ("absolute magnitude", ("true_abs_mag", "abs_mag_r")),
                      ("size (kpc)", ("true_re_kpc", "petroRad_kpc")), ("Sérsic n", ("true_sersic_n", "sersic_n")))


def _first(df: pd.DataFrame, cols: Sequence[str]) -> str | None:
    return next((c for c in cols if c in df.columns), None)


def population_table(catalog: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Per region: the galaxies and their class mix (``sample``), medians of the intrinsic
    properties and of the observed resolution (``catalog`` rows of those galaxies)."""
    idc = "id" if "id" in catalog.columns else "dr7objid"
    cat = catalog.set_index(idc).loc[sample["id"].to_numpy()].reset_index()
    cat["region"] = sample["region"].to_numpy()
    cat["y"] = sample["y"].to_numpy()
    g = cat.groupby("region")
    out = pd.DataFrame({"galaxies": g.size(), "spiral (disk) fraction": g["y"].mean()})
    for label, cols in POPULATION_COLUMNS:
        c = _first(cat, cols)
        if c is not None:
            out[f"median {label}"] = g[c].median()
    for label, c in (("median PSF FWHM (\")", "psfWidth_r"), ("median α", "alpha")):
        if c in cat.columns:
            out[label] = g[c].median()
    return out


def population_tests(catalog: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Tests of "same population in every region": for each intrinsic property, the
    Kolmogorov-Smirnov p-value of each region against all other regions pooled; for the
    class mix, the chi-squared test of class against region (in column ``all``)."""
    idc = "id" if "id" in catalog.columns else "dr7objid"
    cat = catalog.set_index(idc).loc[sample["id"].to_numpy()].reset_index()
    reg = sample["region"].to_numpy()
    regions = sorted(np.unique(reg))
    rows = {}
    for label, cols in POPULATION_COLUMNS:
        c = _first(cat, cols)
        if c is None:
            continue
        v = cat[c].to_numpy(float)
        ok = np.isfinite(v)
        rows[label] = {f"region {r}": float(stats.ks_2samp(v[ok & (reg == r)], v[ok & (reg != r)]).pvalue)
                       for r in regions}
    tab = pd.crosstab(reg, sample["y"].to_numpy())
    rows["class mix (χ²)"] = {"all regions": float(stats.chi2_contingency(tab.to_numpy(), correction=False)[1])}
    return pd.DataFrame(rows).T


def background_stats(images: np.ndarray, region: np.ndarray, corner: int | None = None,
                     chunk: int = 4096) -> pd.DataFrame:
    """What differs in the images: per region, the median over galaxies of the mean and the
    standard deviation of the pixel values (0-255, averaged over the three channels) in the
    four ``corner`` x ``corner`` corners of each image (default: 1/8 of the side), where
    little galaxy light falls; and the mean g - i colour of the corners (red minus blue
    channel), which dust reddening and the sky colour shift.  ``images`` may be a memory map;
    it is read ``chunk`` images at a time."""
    n, h = images.shape[0], images.shape[1]
    c = corner or max(2, h // 8)
    level, noise, tint = (np.empty(n, np.float32) for _ in range(3))
    for s in range(0, n, chunk):
        im = np.asarray(images[s:s + chunk])
        corners = np.concatenate([im[:, :c, :c], im[:, :c, -c:], im[:, -c:, :c], im[:, -c:, -c:]], axis=1)
        corners = corners.reshape(len(im), -1, 3).astype(np.float32)
        level[s:s + chunk] = corners.mean(axis=(1, 2))
        noise[s:s + chunk] = corners.std(axis=1).mean(axis=1)
        tint[s:s + chunk] = corners[..., 0].mean(axis=1) - corners[..., 2].mean(axis=1)
    df = pd.DataFrame({"region": np.asarray(region), "level": level, "noise": noise, "tint": tint})
    g = df.groupby("region")
    return pd.DataFrame({"corner level": g["level"].median(), "corner noise": g["noise"].median(),
                         "corner red - blue": g["tint"].median()})


# --- running the experiments -------------------------------------------------------------------------

def _seed(seed: int, *stream: int) -> int:
    return int(np.random.SeedSequence([int(seed) % 2**63, *stream]).generate_state(1, np.uint32)[0])


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run a block with ``n`` torch threads (None: unchanged), restoring the count after."""
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


def split_for_repeat(sample: pd.DataFrame, n_train: int, n_test: int, seed: int, repeat: int,
                     regions: Iterable[int] | None = None) -> pd.DataFrame:
    """The train/test split :func:`run_experiments` uses in ``repeat`` (to reuse its test sets)."""
    return draw_split(sample, n_train, n_test, seed=_seed(seed, 9, repeat), regions=regions)


def run_experiments(images: np.ndarray, sample: pd.DataFrame, trainings: Sequence[Training],
                    experiments: Sequence[Experiment], n_train: int, n_test: int, settings: CNNSettings = CNNSettings(),
                    n_repeats: int = 1, seed: int = 0, log: Callable[[str], None] | None = None,
                    threads: int | None = 1, repeat_trainings: Iterable[str] | None = None) -> pd.DataFrame:
    """Train every network of the design and apply it to its test sets, ``n_repeats`` times.

    ``images`` (uint8, N x H x W x 3) are aligned with the rows of ``sample``
    (:func:`galaxy_sample`).  Each repeat draws a new train/test split
    (:func:`draw_split`, seed ``(seed, repeat)``) shared by all experiments of the repeat,
    so experiments with the same test regions classify the *same* test galaxies; all
    networks of a repeat start from the same initial weights.  Repeats after the first run
    only the trainings in ``repeat_trainings`` (None: all).  Returns one row per
    (repeat, experiment) with the training and test regions, set sizes, confusion counts,
    accuracy and predicted-spiral fraction; :func:`add_binomial_tests` adds the tests.

    ``threads``: torch threads during the run (default 1).  These networks are too small to
    gain from more threads, and on a shared machine several threads per process can slow a
    training down many times over; results are deterministic for a given thread count.
    """
    with torch_threads(threads):
        return _run(images, sample, trainings, experiments, n_train, n_test, settings, n_repeats, seed, log,
                    None if repeat_trainings is None else set(repeat_trainings))


def _run(images: np.ndarray, sample: pd.DataFrame, trainings: Sequence[Training], experiments: Sequence[Experiment],
         n_train: int, n_test: int, settings: CNNSettings, n_repeats: int, seed: int,
         log: Callable[[str], None] | None, repeat_keys: set[str] | None) -> pd.DataFrame:
    if len(images) != len(sample):
        raise ValueError(f"{len(images)} images for {len(sample)} galaxies")
    by_training: dict[str, list[Experiment]] = {}
    for e in experiments:
        by_training.setdefault(e.training, []).append(e)
    regions = sorted({r for t in trainings for r in t.spiral + t.elliptical} | {r for e in experiments for r in e.test})
    rows = []
    for rep in range(int(n_repeats)):
        split = split_for_repeat(sample, n_train, n_test, seed, rep, regions)
        y = split["y"].to_numpy()
        init_seed = _seed(seed, 10, rep)
        test_cache: dict[tuple[int, ...], tuple[np.ndarray, torch.Tensor]] = {}
        for tr in trainings:
            if tr.key not in by_training or (rep > 0 and repeat_keys is not None and tr.key not in repeat_keys):
                continue
            t0 = time.perf_counter()
            rows_tr = training_rows(split, tr.spiral, tr.elliptical, tr.mode)
            model = train_cnn(prepare_images(images[rows_tr], settings.px), y[rows_tr], settings, seed=init_seed)
            for e in by_training[tr.key]:
                if e.test not in test_cache:
                    tr_rows = test_rows(split, e.test)
                    test_cache[e.test] = (tr_rows, prepare_images(images[tr_rows], settings.px))
                te_rows, x_te = test_cache[e.test]
                pred = (predict_proba(model, x_te) > 0.5).astype(int)
                cm = confusion(y[te_rows], pred)
                n_sp_tr = int((y[rows_tr] == SPIRAL).sum())
                rows.append({
                    "repeat": rep, "experiment": e.name, "training": tr.key, "group": tr.group, "table": e.table,
                    "train_spiral": region_str(tr.spiral), "train_elliptical": region_str(tr.elliptical),
                    "train_mode": tr.mode, "test_region": region_str(e.test),
                    "favoured": favoured(tr.spiral, tr.elliptical, e.test),
                    "n_train_spiral": n_sp_tr, "n_train_elliptical": int(len(rows_tr) - n_sp_tr),
                    "n_test_spiral": int((y[te_rows] == SPIRAL).sum()),
                    "n_test_elliptical": int((y[te_rows] == ELLIPTICAL).sum()),
                    **cm, "accuracy": (cm["tn"] + cm["tp"]) / len(te_rows),
                    "p_spiral": (cm["fp"] + cm["tp"]) / len(te_rows), "reference": e.reference or "",
                    "seed": init_seed,
                })
            if log is not None:
                log(f"repeat {rep}: {tr.key} ({len(rows_tr)} training images) {time.perf_counter() - t0:.1f} s")
    df = pd.DataFrame(rows)
    df["table"] = df["table"].astype("Int64")
    return df


#: columns of ``skybias.csv`` in order
CSV_COLUMNS = ["repeat", "experiment", "training", "group", "table", "train_spiral", "train_elliptical", "train_mode",
               "test_region", "favoured", "n_train_spiral", "n_train_elliptical", "n_test_spiral",
               "n_test_elliptical", "tn", "fp", "fn", "tp", "accuracy", "p_spiral", "reference", "ref_p_spiral",
               "delta_p_spiral", "p_value", "ref_fp_rate", "p_value_fp", "ref_fn_rate", "p_value_fn", "seed"]


def write_results(path: str | Path, df: pd.DataFrame, params: Mapping[str, Any],
                  inputs: Mapping[str, str | Path] | None = None) -> Path:
    """Write ``skybias.csv`` atomically (columns :data:`CSV_COLUMNS`), with a manifest
    recording the settings and the hash of the inputs."""
    missing = [c for c in CSV_COLUMNS if c not in df.columns]
    if missing:
        raise KeyError(f"results lack column(s) {missing}: run add_binomial_tests first")
    path = Path(path)
    artifacts.write_csv(path, df, CSV_COLUMNS)
    artifacts.write_manifest(path, params, inputs, n_rows=len(df))
    return path


def read_results(path: str | Path) -> pd.DataFrame:
    """Read ``skybias.csv`` back (region columns as strings, ``table`` as nullable int)."""
    df = pd.read_csv(path, dtype={"train_spiral": str, "train_elliptical": str, "test_region": str,
                                  "reference": str}, keep_default_na=True)
    df["reference"] = df["reference"].fillna("")
    df["table"] = df["table"].astype("Int64")
    return df


# --- comparison with the paper ------------------------------------------------------------------------

def paper_summary() -> pd.DataFrame:
    """Dhar & Shamir's experiments with p(spiral) from their confusion matrices, the class
    favoured by the training set, and the shift of p(spiral) from their same-region
    experiment on the same test set where they had one (Tables 3 and 4 for tests on data
    sets 1 and 2)."""
    t = PAPER_CONFUSION.copy()
    n = t[["tn", "fp", "fn", "tp"]].sum(axis=1)
    t["p_spiral"] = (t["fp"] + t["tp"]) / n
    t["favoured"] = [favoured(s.split("+"), e.split("+"), te.split("+"))
                     for s, e, te in zip(t["train_spiral"], t["train_elliptical"], t["test"])]
    base = {"1": t.loc[3, "p_spiral"], "2": t.loc[4, "p_spiral"]}
    t["delta"] = [p - base[te] if te in base and tab not in (3, 4) else np.nan
                  for tab, te, p in zip(t.index, t["test"], t["p_spiral"])]
    t["p_spiral_table16"] = PAPER_TABLE16["p_spiral"]
    return t


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Table 16 side by side: for each experiment reproducing one of Dhar & Shamir's tables,
    their data sets and p(spiral) beside the mock regions and p(spiral) here (mean ± sd over
    the repeats) and both shifts from the same-region reference."""
    paper = paper_summary()
    rows = []
    for name, r in summary[summary["table"].notna()].iterrows():
        tab = int(r["table"])
        pp = paper.loc[tab]
        rows.append({
            "table": tab, "D&S train spiral": pp["train_spiral"], "D&S train elliptical": pp["train_elliptical"],
            "D&S test": pp["test"], "D&S p(spiral)": pp["p_spiral"], "D&S shift": pp["delta"],
            "train spiral": r["train_spiral"], "train elliptical": r["train_elliptical"], "test": r["test_region"],
            "favoured": r["favoured"], "p(spiral)": r["p_spiral"], "p(spiral) sd": r["p_spiral_sd"],
            "shift": r["delta"], "shift sd": r["delta_sd"], "binomial p (repeat 0)": r["p_value_first"],
        })
    return pd.DataFrame(rows).set_index("table")


def plot_confusions(axes: np.ndarray, df: pd.DataFrame, titles: Mapping[str, str] | None = None) -> Any:
    """Row-normalised confusion matrices (truth in rows, prediction in columns; elliptical
    first) of the experiments in ``df`` (one row each) on ``axes``, with the counts written
    in the cells.  Returns the last image (for a colour bar)."""
    im = None
    flat = np.ravel(axes)
    for ax, (_, r) in zip(flat, df.iterrows()):
        m = np.array([[r["tn"], r["fp"]], [r["fn"], r["tp"]]], dtype=float)
        frac = m / m.sum(axis=1, keepdims=True)
        im = ax.imshow(frac, vmin=0, vmax=1, cmap="Blues", origin="upper")
        for i in range(2):
            for j in range(2):
                ax.text(j, i, f"{int(m[i, j])}\n{frac[i, j]:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if frac[i, j] > 0.6 else "black")
        ax.set_xticks([0, 1], ["E", "S"], fontsize=7)
        ax.set_yticks([0, 1], ["E", "S"], fontsize=7)
        ax.grid(False)
        ax.set_title((titles or {}).get(r["experiment"], r["experiment"]), fontsize=7.5)
    for ax in flat[len(df):]:
        ax.set_visible(False)
    return im


def experiment_label(train_spiral: str, train_elliptical: str, test: str) -> str:
    """Short label "S1 E2 → 1": spirals from 1, ellipticals from 2, tested on 1."""
    return f"S{train_spiral} E{train_elliptical} → {test}"


