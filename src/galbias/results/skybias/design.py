"""Chapter 9's data sets and experiment design (Dhar & Shamir's Tables 3-15 on the mock regions).

- :func:`galaxy_sample` - galaxies with a binary class and a sky region.
- :func:`scaled_counts` - per-region, per-class train/test sizes in the proportions of Dhar &
  Shamir's Table 1; :func:`draw_split` / :func:`split_for_repeat` - disjoint random train/test
  draws per region and class; :func:`training_rows`, :func:`test_rows` - the sets of one experiment.
- :func:`design` - the trainings and the test sets each is applied to (one entry per Dhar &
  Shamir table, plus the same-region references they lacked and region-balanced trainings);
  :func:`core_trainings` - the ones repeated on a small budget.

Conventions: class 1 = spiral (= disk), 0 = elliptical (= smooth), as everywhere in the book;
regions are written as strings ("1", "1+2+3") in tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...core.seeds import derive_seed, rng
from ...data.catalog import ANSWERS
from ...data.regions import assign_region

__all__ = ["ELLIPTICAL", "Experiment", "PAPER_REGION", "SPIRAL", "Training", "core_trainings", "design",
           "draw_split", "experiment_label", "favoured", "galaxy_sample", "region_str", "repeat_seeds",
           "scaled_counts", "split_for_repeat", "test_rows", "training_rows"]


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

def galaxy_sample(catalog: pd.DataFrame, label: str = "truth", min_fraction: float = 0.9) -> pd.DataFrame:
    """The galaxies of a catalog with a binary class and a sky region.

    Returns ``id``, ``region`` (int), ``y`` (1 = spiral/disk, 0 = elliptical/smooth) and
    ``file_loc``, in catalog order.  ``label="truth"`` uses the simulated survey's
    ``true_class`` (stars and artifacts, class 2, are dropped).  ``label="votes"`` (real data)
    mimics Dhar & Shamir's annotation threshold: galaxies whose weighted *smooth* or *features
    or disk* vote fraction is at least ``min_fraction``.  Without a ``region`` column the region
    comes from the RA/Dec boxes (:func:`galbias.data.regions.assign_region`); galaxies outside every box are
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
        fs = catalog[f"{ANSWERS[0]}_weighted_fraction"].to_numpy(float)
        fd = catalog[f"{ANSWERS[1]}_weighted_fraction"].to_numpy(float)
        y = np.where(fd >= min_fraction, 1, np.where(fs >= min_fraction, 0, -1))
        keep = y >= 0
    else:
        raise ValueError(f"label must be 'truth' or 'votes', got {label!r}")
    if "region" in catalog.columns:
        region = catalog["region"].to_numpy()
    else:
        region = assign_region(catalog["ra"].to_numpy(), catalog["dec"].to_numpy())
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
            gen = rng(seed, int(r), int(c))
            pick = gen.permutation(idx)[:n_train + n_test]
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

def repeat_seeds(seed: int, repeat: int) -> dict[str, int]:
    """The seeds derived from the run's ``seed`` for repeat ``repeat``: ``split`` draws its
    train/test split (:func:`split_for_repeat`) and ``init`` the initial weights and batch order
    of all its networks.  ``skybias.csv``'s manifest records them, so a change in how they are
    derived makes an old file stale."""
    return {"split": derive_seed(seed, 9, repeat), "init": derive_seed(seed, 10, repeat)}


def split_for_repeat(sample: pd.DataFrame, n_train: int, n_test: int, seed: int, repeat: int,
                     regions: Iterable[int] | None = None) -> pd.DataFrame:
    """The train/test split of repeat ``repeat`` (shared by every experiment of the repeat)."""
    return draw_split(sample, n_train, n_test, seed=repeat_seeds(seed, repeat)["split"], regions=regions)


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


def experiment_label(train_spiral: str, train_elliptical: str, test: str) -> str:
    """Short label "S1 E2 → 1": spirals from 1, ellipticals from 2, tested on 1."""
    return f"S{train_spiral} E{train_elliptical} → {test}"
