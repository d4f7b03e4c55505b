"""Running chapter 9's experiments and storing them (``skybias.csv``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from ...core import artifacts
from .design import (ELLIPTICAL, SPIRAL, Experiment, Training, favoured, region_str, repeat_seeds, split_for_repeat,
                     test_rows, training_rows)
from .network import CNNSettings, predict_proba, prepare_images, torch_threads, train_cnn
from .stats import confusion

__all__ = ["CSV_COLUMNS", "read_results", "run_experiments", "write_results"]


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
        init_seed = repeat_seeds(seed, rep)["init"]
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
    return artifacts.write_table(path, df, CSV_COLUMNS, params, inputs, code="skybias")


def read_results(path: str | Path) -> pd.DataFrame:
    """Read ``skybias.csv`` back (region columns as strings, ``table`` as nullable int)."""
    df = pd.read_csv(path, dtype={"train_spiral": str, "train_elliptical": str, "test_region": str,
                                  "reference": str}, keep_default_na=True)
    df["reference"] = df["reference"].fillna("")
    df["table"] = df["table"].astype("Int64")
    return df
