r"""Training one chapter-4 network from a run's labels and image cache, through the engine.

:func:`train_model` trains one network on one set of labels with one loss -- the book calls it
for cross-entropy on GZ2B, cross-entropy on GZ2D and the DDB likelihood on GZ2B -- through the
Lightning engine (:mod:`galbias.methods.engine`), and :func:`write_predictions` adds that
network's ``p_disk_<name>`` column to the run's ``predictions.parquet``.

- **Settings** come from the profile (:func:`fit_settings`): network, epochs, batch, optimiser,
  learning rate, precision, devices and strategy.
- **Early stopping** uses the *same* loss on the validation split as training.  For DDB this
  is the DDB likelihood of the *biased* validation labels: the true classes are unknown (the
  whole point of the method), and under the bias model the likelihood of the observed labels
  is the right criterion.  Cross-entropy on the same labels would reward reproducing the bias.
- **Files**: ``models/<name>/`` holds the engine's ``last.ckpt`` (resume), ``best.ckpt``,
  ``metrics.csv`` (learning curves) and ``fingerprint.json``; ``models/<name>.pt`` holds the best
  weights, the architecture and metadata (history, fingerprint, theta;
  :func:`galbias.methods.models.load_model` reads it).  A finished model whose fingerprint
  equals the current one is reused; a killed run resumes from ``last.ckpt``.
- **Device**: CUDA when available (bf16 autocast per the profile, channels-last, cuDNN
  autotuning; not bit-reproducible), else the CPU (deterministic for a given seed and thread
  count; torch threads = the usable cores or ``$GALBIAS_THREADS``, see :func:`usable_cores`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import __version__
from ..core import artifacts
from ..core.errors import ConfigError
from ..data.cache import CachedImages, ImageCache
from ..data.catalog import CatalogError, has_truth
from .losses import needs_theta
from .models import model_from_spec, model_spec

__all__ = ["TRAIN_PARAMS", "TrainResult", "expected_fingerprint", "fingerprint", "fingerprint_hash", "fit_settings",
           "predict", "predict_splits", "select_device", "train_model", "training_sets", "usable_cores",
           "write_predictions"]

#: Profile fields that change what a training produces (part of its fingerprint)
TRAIN_PARAMS = ("model", "model_width", "model_stages", "model_blocks", "head_width", "image_crop", "epochs",
                "batch_size", "lr", "weight_decay", "optimizer", "schedule", "patience", "train_subsample", "precision")


# --- device and threads -----------------------------------------------------------------------------

def usable_cores() -> int:
    """CPU threads for torch: ``$GALBIAS_THREADS`` if set, else the cores this process may use.

    On a machine shared with other busy processes, fewer threads than cores can be much
    faster (OpenMP threads wait for each other at every operation, so one descheduled thread
    stalls all); set ``GALBIAS_THREADS=1`` there.  The thread count is part of a training's
    fingerprint: results on the CPU are bit-identical only for the same count.
    """
    env = os.environ.get("GALBIAS_THREADS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ConfigError(f"GALBIAS_THREADS must be a positive integer, got {env!r}") from None
        if n < 1:
            raise ConfigError(f"GALBIAS_THREADS must be a positive integer, got {env!r}")
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def select_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` if given, else CUDA when available, else the CPU."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def fit_settings(cfg: Any, seed: int, **changes: Any):
    """The engine's :class:`~galbias.methods.engine.FitSettings` for a profile (``changes`` override)."""
    from .engine import FitSettings

    workers = int(cfg.num_workers)
    if workers < 0:
        workers = max(0, min(8, usable_cores() - 1))
    kw = dict(epochs=int(cfg.epochs), batch_size=int(cfg.batch_size), lr=float(cfg.lr),
              weight_decay=float(cfg.weight_decay), optimizer=cfg.optimizer, schedule=cfg.schedule,
              patience=int(cfg.patience), precision=cfg.precision, seed=int(seed), accelerator=cfg.accelerator,
              devices=cfg.devices, strategy=cfg.strategy, num_nodes=int(cfg.num_nodes), num_workers=workers,
              compile=bool(cfg.compile_model))
    kw.update(changes)
    return FitSettings(**kw)


def fingerprint(cfg: Any, name: str, label_col: str, loss: str, theta: float | None, seed: int,
                data_hash: str, cache_fingerprint: str) -> dict[str, Any]:
    """Everything that determines a training's result; a checkpoint or model is reused only if equal.

    Includes the torch thread count (on the CPU, 1 and 2 threads give different weights) and
    ``code_sha256`` of the training code (:data:`galbias.core.provenance.SCOPES` ``["model"]``).
    Devices, strategy and nodes are not in it: a model trained on 4 GPUs is reused by a
    1-device run of the same settings (they are recorded in the model's metadata).
    """
    from ..core.provenance import code_sha256

    d = cfg.to_dict()
    return {
        "package_version": __version__, "code_sha256": code_sha256("model"), "name": name, "label_col": label_col,
        "loss": loss,
        "theta": None if theta is None else float(theta), "seed": int(seed),
        "params": {k: d[k] for k in TRAIN_PARAMS if k in d}, "spec": model_spec(cfg),
        "data_sha256": data_hash, "cache": cache_fingerprint, "threads": usable_cores(),
    }


# --- the labels -------------------------------------------------------------------------------------

def _split(labels: pd.DataFrame, split: str, label_col: str, check_alpha: bool) -> pd.DataFrame:
    part = labels[labels["split"] == split]
    if len(part) == 0:
        raise CatalogError(f"the labels have no rows with split == {split!r}; splits present: "
                           f"{sorted(labels['split'].astype(str).unique().tolist())}")
    y = part[label_col]
    if y.isna().any():
        raise CatalogError(f"column {label_col!r} has {int(y.isna().sum())} missing value(s) in the {split} split")
    bad = ~y.isin([0, 1])
    if bad.any():
        raise CatalogError(f"column {label_col!r} must hold 0 (smooth) or 1 (disk); the {split} split has "
                           f"{int(bad.sum())} other value(s), e.g. {y[bad].iloc[0]!r}")
    if check_alpha:
        a = pd.to_numeric(part["alpha"], errors="coerce").to_numpy(float)
        nb = int((~np.isfinite(a) | (a <= 0)).sum())
        if nb:
            raise CatalogError(f"column 'alpha' has {nb} non-finite or non-positive value(s) in the {split} split; "
                               "the DDB loss needs alpha > 0")
    return part


def training_sets(cfg: Any, labels: pd.DataFrame, label_col: str, loss: str,
                  seed: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The training and validation rows of ``labels`` for a network (with ``train_subsample``
    applied) and the hash of what the network learns from (ids, labels and alpha of both)."""
    tr = _split(labels, "train", label_col, needs_theta(loss))
    va = _split(labels, "val", label_col, needs_theta(loss))
    if cfg.train_subsample is not None and cfg.train_subsample < len(tr):
        from ..core.seeds import rng

        tr = tr.iloc[np.sort(rng(seed, 1).choice(len(tr), cfg.train_subsample, replace=False))]
    data_hash = artifacts.array_hash(tr["id"].to_numpy(), tr[label_col].to_numpy(np.int64),
                                     tr["alpha"].to_numpy(np.float32), va["id"].to_numpy(),
                                     va[label_col].to_numpy(np.int64), va["alpha"].to_numpy(np.float32))
    return tr, va, data_hash


def fingerprint_hash(fp: dict[str, Any] | None) -> str | None:
    """The SHA-256 of a fingerprint as ``predictions.manifest.json`` records it."""
    if fp is None:
        return None
    return artifacts.json_hash(fp)


def expected_fingerprint(cfg: Any, name: str, labels: pd.DataFrame, label_col: str, loss: str,
                         theta: float | None, cache_fingerprint: str, seed: int | None = None,
                         **settings: Any) -> dict[str, Any]:
    """The fingerprint :func:`train_model` would give this network now (to check a model or a
    prediction made earlier without training)."""
    seed = int(cfg.seed if seed is None else seed)
    _, _, data_hash = training_sets(cfg, labels, label_col, loss, seed)
    theta = float(theta) if needs_theta(loss) and theta is not None else None
    return {**fingerprint(cfg, name, label_col, loss, theta, seed, data_hash, cache_fingerprint), "settings": settings}


class TrainResult:
    """What :func:`train_model` returns: the network with its best-validation weights (eval
    mode), the per-epoch history, the kept epoch, and where the files are."""

    def __init__(self, name: str, model: nn.Module, meta: dict[str, Any], weights_path: Path, reused: bool,
                 seconds: float):
        self.name, self.model, self.meta, self.weights_path = name, model, meta, weights_path
        self.reused, self.seconds = reused, seconds
        self.history: list[dict[str, Any]] = meta.get("history", [])
        self.best_epoch = int(meta.get("best_epoch", 0))
        self.best_val_loss = float(meta.get("best_val_loss", math.nan))
        self.epochs_run = int(meta.get("epochs_run", 0))
        self.stopped_early = bool(meta.get("stopped_early", False))

    def history_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.history)


def _reuse(pt_path: Path, fp: dict[str, Any]) -> tuple[nn.Module, dict[str, Any]] | None:
    if not pt_path.exists():
        return None
    try:
        blob = torch.load(pt_path, map_location="cpu", weights_only=False)
    except Exception as exc:  # noqa: BLE001 - unreadable: retrain and overwrite it
        warnings.warn(f"could not read {pt_path} ({exc}); training it again")
        return None
    if not isinstance(blob, dict) or blob.get("meta", {}).get("fingerprint") != json.loads(json.dumps(fp, default=str)):
        return None
    model = model_from_spec(blob["spec"])
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, blob["meta"]


def train_model(cfg: Any, name: str, labels: pd.DataFrame, label_col: str, loss: str = "ce",
                theta: float | None = None, *, cache: ImageCache, out_dir: str | os.PathLike,
                seed: int | None = None, max_epochs: int | None = None, force: bool = False,
                predictions: bool = True, progress: bool = True, callbacks: Sequence[Any] = (),
                reuse_from: Sequence[str | os.PathLike] = (), **settings: Any) -> TrainResult:
    """Train network ``name`` on ``labels[label_col]`` with loss ``loss`` (``ce`` or ``ddb``).

    ``labels`` is ``labels.parquet`` (``id``, ``split``, ``alpha``, ``label_col``; ``truth``
    optional, reported per epoch but never used); rows with ``split == "train"`` are trained
    on, ``"val"`` decide early stopping.  ``theta`` is the bias-model scale of chapter 3 (fixed).
    ``cache`` holds every galaxy of ``labels`` (:func:`galbias.compendium.steps.image_cache`);
    models go to ``out_dir/models``.  ``seed`` (default ``cfg.seed``) fixes the initial weights,
    the data order and the augmentation; ``max_epochs`` stops before the schedule ends, keeping
    the checkpoint so a later call resumes; ``force`` retrains a fresh model; ``predictions``
    writes ``p_disk_<name>`` for the validation, test and evaluation splits into ``predictions.parquet``;
    ``callbacks`` are extra Lightning callbacks; ``reuse_from`` are other run folders whose fresh
    ``models/<name>.pt`` may be reused (a variant run reuses its base run's); extra keyword arguments change the engine's settings (e.g. ``precision="bf16-mixed"``).
    """
    from . import engine

    t0 = time.perf_counter()
    if needs_theta(loss):
        if theta is None:
            raise ConfigError(f"loss {loss!r} needs theta (fit it in chapter 3: theta.json)")
        theta = float(theta)
        if not (math.isfinite(theta) and theta > 0):
            raise ConfigError(f"theta must be a positive finite number, got {theta}")
    else:
        theta = None
    for c in ("id", "split", label_col, "alpha"):
        if c not in labels.columns:
            raise CatalogError(f"the labels have no column {c!r}; columns are {list(labels.columns)}")
    seed = int(cfg.seed if seed is None else seed)
    out_dir = Path(out_dir)
    pt_path = out_dir / "models" / f"{name}.pt"
    tr, va, data_hash = training_sets(cfg, labels, label_col, loss, seed)
    y_tr, y_va = tr[label_col].to_numpy(np.int64), va[label_col].to_numpy(np.int64)
    a_tr, a_va = tr["alpha"].to_numpy(np.float32), va["alpha"].to_numpy(np.float32)
    fp = {**fingerprint(cfg, name, label_col, loss, theta, seed, data_hash, cache.fingerprint), "settings": settings}
    if torch.device(select_device()).type == "cpu":
        torch.set_num_threads(usable_cores())
    reused = None
    if not force:
        for candidate in [pt_path, *(Path(d) / "models" / f"{name}.pt" for d in reuse_from)]:
            reused = _reuse(candidate, fp)
            if reused is not None:
                break
    if reused is not None:
        model, meta = reused
        if predictions:
            write_predictions(out_dir / "predictions.parquet", labels, cache, name, model, model_fingerprint=fp)
        return TrainResult(name, model, meta, pt_path, True, time.perf_counter() - t0)

    truth = None
    if has_truth(va):
        t = pd.to_numeric(va["truth"], errors="coerce").to_numpy(float)
        truth = np.where(np.isin(t, (0, 1)), t, -1).astype(np.int64)
    s = fit_settings(cfg, seed, **settings)
    res = engine.fit(name, model_spec(cfg), loss, CachedImages(cache, cache.rows(tr["id"].to_numpy()), y_tr, a_tr),
                     CachedImages(cache, cache.rows(va["id"].to_numpy()), y_va, a_va), s, theta=theta,
                     run_dir=out_dir / "models" / name, val_truth=truth, fingerprint=fp, progress=progress,
                     max_epochs=max_epochs, callbacks=callbacks)
    meta = {"fingerprint": json.loads(json.dumps(fp, default=str)), "history": res.history.to_dict("records"),
            "best_epoch": res.best_epoch, "best_val_loss": res.best_val_loss, "epochs_run": res.epochs_run,
            "stopped_early": res.stopped_early, "theta": theta, "loss": loss, "label_col": label_col, "name": name,
            "profile": cfg.name, "seed": seed, "n_train": len(tr), "n_val": len(va),
            "image_shape": list(cache.image_shape), "settings": s.to_dict(), "package_version": __version__}
    finished = max_epochs is None or res.epochs_run >= cfg.epochs or res.stopped_early
    if finished and res.is_global_zero:
        with artifacts.atomic_path(pt_path, suffix=".pt") as tmp:
            torch.save({"state_dict": {k: v.cpu() for k, v in res.model.state_dict().items()},
                        "spec": model_spec(cfg), "meta": meta}, tmp)
    if finished and predictions:
        write_predictions(out_dir / "predictions.parquet", labels, cache, name, res.model, model_fingerprint=fp,
                          settings=s, write=res.is_global_zero)
    return TrainResult(name, res.model, meta, pt_path, False, time.perf_counter() - t0)


# --- predictions ------------------------------------------------------------------------------------

def predict(model: nn.Module, cache: ImageCache | CachedImages, rows: Sequence[int] | np.ndarray | None = None,
            batch_size: int = 512, device: str | torch.device | None = None, settings: Any = None) -> np.ndarray:
    """p(disk) for cache ``rows`` (default: all), no augmentation, float64, in ``rows``' order."""
    from . import engine

    dataset = cache if isinstance(cache, CachedImages) else CachedImages(cache, rows)
    if settings is None:
        dev = select_device(device)
        settings = engine.FitSettings(accelerator="gpu" if dev.type == "cuda" else "cpu", devices=1, strategy="auto")
    return engine.predict(model, dataset, settings, batch_size=batch_size)


#: the splits whose galaxies get predictions (those that exist; ``eval`` only on the simulated survey)
PREDICTED_SPLITS = ("val", "test", "eval")


def predict_splits(model: nn.Module, labels: pd.DataFrame, cache: ImageCache, splits: Sequence[str] = PREDICTED_SPLITS,
                   settings: Any = None) -> pd.DataFrame:
    """``id, split, p_disk`` for the rows of ``labels`` in ``splits`` (in ``labels``' order)."""
    part = labels[labels["split"].isin(list(splits))]
    p = predict(model, cache, cache.rows(part["id"].to_numpy()), settings=settings)
    return pd.DataFrame({"id": part["id"].to_numpy(), "split": part["split"].to_numpy(), "p_disk": p})


def write_predictions(path: str | os.PathLike, labels: pd.DataFrame, cache: ImageCache, name: str,
                      model: nn.Module, splits: Sequence[str] = PREDICTED_SPLITS, model_fingerprint: dict | None = None,
                      settings: Any = None, write: bool = True) -> pd.DataFrame:
    """Add (or replace) column ``p_disk_<name>`` in ``predictions.parquet``; returns the table.

    The file has one row per validation, test and evaluation galaxy (``id``, ``split``) and one column
    per network, so the networks trained one after another end up side by side.  If the
    existing file covers other galaxies (new labels), it is started afresh (with a warning).
    Written atomically (only when ``write``: rank 0 of a multi-process run), with a manifest
    listing the fingerprint of every column's model.
    """
    path = Path(path)
    new = predict_splits(model, labels, cache, splits, settings=settings).rename(columns={"p_disk": f"p_disk_{name}"})
    if not write:
        return new
    models: dict[str, Any] = {}
    if path.exists():
        old = pd.read_parquet(path)
        same = (len(old) == len(new) and "id" in old.columns and "split" in old.columns
                and np.array_equal(old["id"].to_numpy(), new["id"].to_numpy())
                and np.array_equal(old["split"].to_numpy(), new["split"].to_numpy()))
        if same:
            col = f"p_disk_{name}"
            new = old.drop(columns=[col], errors="ignore").assign(**{col: new[col].to_numpy()})
            mpath = artifacts.manifest_path(path)
            if mpath.exists():
                with contextlib.suppress(OSError, json.JSONDecodeError, KeyError, AttributeError):
                    models = dict(json.loads(mpath.read_text())["params"]["models"])
        else:
            warnings.warn(f"{path} holds predictions for other galaxies; starting it afresh with {name!r}")
    models[name] = fingerprint_hash(model_fingerprint)
    models = {k: v for k, v in models.items() if f"p_disk_{k}" in new.columns}
    artifacts.write_parquet(path, new)
    artifacts.write_manifest(path, {"models": models, "splits": list(splits)}, code="predictions", n_rows=len(new))
    return new
