r"""One training loop for every network of the book (chapter 4), with checkpoints and resume.

:func:`train_model` trains one network on one set of labels with one loss -- the book calls
it three times: cross-entropy on GZ2B, cross-entropy on GZ2D, and the DDB likelihood on
GZ2B -- and :func:`write_predictions` adds that network's ``p_disk_<name>`` column to the
run's ``predictions.parquet``.

What the loop does
------------------
- **Data**: images come from the decode-once uint8 cache (:func:`image_cache`,
  :mod:`galbias.images`); each minibatch is gathered from the memory map, moved to the
  device, augmented there with a random flip / quarter turn per galaxy and divided by 255.
  The order of the minibatches and the augmentation of every epoch are drawn from
  generators seeded with ``(seed, epoch)``, so an epoch is the same whether or not the run
  was interrupted before it.  The batch sampler can be replaced (``sampler=``), e.g. by a
  distributed one: :class:`EpochBatchSampler` already shards by ``rank`` / ``world_size``.
- **Optimisation**: AdamW, learning rate warmed up linearly over the first steps and then
  cosine-annealed to zero over ``cfg.epochs`` epochs (per step).
- **Early stopping**: after each epoch the loss on the validation split is computed with the
  *same* loss as training, and the weights with the lowest validation loss are kept; training
  stops after ``cfg.patience`` epochs without improvement.  For DDB this validation loss is
  the DDB likelihood of the *biased* validation labels: the true classes are unknown (the
  whole point of the method), and under the bias model the likelihood of the observed labels
  is the right criterion -- it is maximised by the network that best predicts the true class.
  Cross-entropy on the same labels would reward reproducing the bias.
- **Checkpoints**: after every epoch, atomically, ``models/<name>.ckpt`` holds the model,
  optimiser, scheduler and RNG states, the epoch, the history and the best weights so far;
  a killed run resumes from there and loses no finished epoch.  On CPU, a resumed run ends
  with exactly the weights of an uninterrupted one.  A checkpoint made with other settings
  or data (its *fingerprint* differs) is not resumed from (a warning says so).
- **Result**: ``models/<name>.pt`` holds the best weights, the architecture and metadata
  (history, fingerprint, theta, ...; :func:`galbias.models.load_model` reads it).  When it
  is already there with the same fingerprint, :func:`train_model` reuses it (``force=True``
  retrains).
- **Device**: CUDA when available (bf16 autocast, channels-last memory layout, cuDNN
  autotuning; not bit-reproducible), else the CPU (float32, channels-last -- measurably
  faster for these convolutions on CPU too -- torch threads set to the usable cores or
  ``$GALBIAS_THREADS``, see :func:`usable_cores`; deterministic for a given seed and thread
  count, verified by the resume test; ``torch.use_deterministic_algorithms`` is not switched
  on because it is process-wide and the CPU kernels used here are deterministic already).

The loop keeps no global state of its own (everything lives in the function's locals and
in the checkpoint), which keeps it ready for data-parallel training later.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader

from . import __version__, artifacts, config
from .catalog import CatalogError
from .config import ConfigError, Profile
from .images import (CachedImages, ImageCache, augment_dihedral, build_cache, collate_batch, random_codes,
                     to_float)
from .losses import get_loss, needs_theta
from .models import build_model, model_spec

__all__ = [
    "EpochBatchSampler", "TrainResult", "TRAIN_PARAMS", "fingerprint", "image_cache", "make_loader",
    "predict", "predict_splits", "prepare_images", "select_device", "train_model", "usable_cores",
    "write_predictions",
]

#: Profile fields that change what a training produces (part of its fingerprint)
TRAIN_PARAMS = ("model", "model_width", "model_stages", "model_blocks", "head_width", "image_crop", "epochs",
                "batch_size", "lr", "weight_decay", "patience", "train_subsample")

#: linear warm-up of the learning rate: this fraction of all steps, at most one epoch
WARMUP_FRACTION = 0.03


# --- device and reproducibility ---------------------------------------------------------------

def usable_cores() -> int:
    """CPU threads for torch: ``$GALBIAS_THREADS`` if set, else the cores this process may use.

    On a machine shared with other busy processes, fewer threads than cores can be much
    faster (OpenMP threads wait for each other at every operation, so one descheduled thread
    stalls all); set ``GALBIAS_THREADS=1`` there.  Keep it fixed between runs that should give
    bit-identical results.
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


def _seed_for(seed: int, *stream: int) -> int:
    """A 63-bit seed derived from ``(seed, *stream)`` (independent streams per epoch and use)."""
    return int(np.random.SeedSequence([int(seed) % 2**63, *stream]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _generator(seed: int, *stream: int) -> torch.Generator:
    return torch.Generator().manual_seed(_seed_for(seed, *stream))


def _rng_states(device: torch.device) -> dict[str, Any]:
    states = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: dict[str, Any], device: torch.device) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state_all(states["cuda"])


def _autocast(device: torch.device) -> contextlib.AbstractContextManager:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


# --- data -----------------------------------------------------------------------------------

def image_cache(cfg: Profile, table: pd.DataFrame, progress: bool = True, force: bool = False) -> ImageCache:
    """The run's decode-once image cache for ``table`` (usually all of ``labels.parquet``).

    Lives at ``<run>/cache/images.npy``; images are read from ``<run>/survey/<file_loc>``
    and centre-cropped to ``cfg.image_crop`` when set.  Reused while fresh.
    """
    p = config.paths(cfg)
    return build_cache(table, p.survey, p.root / "cache" / "images.npy", crop=cfg.image_crop,
                       progress=progress, force=force)


class EpochBatchSampler:
    """Minibatches of dataset positions; the order of epoch e is fixed by ``(seed, e)``.

    With ``world_size > 1`` each ``rank`` gets a disjoint, equally long share of every
    epoch's permutation (the tail is padded by wrapping around), as a distributed sampler
    would.  Call :meth:`set_epoch` before iterating.
    """

    def __init__(self, n: int, batch_size: int, shuffle: bool = True, seed: int = 0, drop_last: bool = False,
                 rank: int = 0, world_size: int = 1) -> None:
        if n <= 0 or batch_size <= 0:
            raise ValueError(f"EpochBatchSampler needs n > 0 and batch_size > 0, got {n}, {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in [0, world_size={world_size})")
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.drop_last, self.rank, self.world_size = drop_last, rank, world_size
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _positions(self) -> np.ndarray:
        if self.shuffle:
            pos = torch.randperm(self.n, generator=_generator(self.seed, self.epoch, 0)).numpy()
        else:
            pos = np.arange(self.n)
        if self.world_size > 1:
            per_rank = math.ceil(self.n / self.world_size)
            pos = np.resize(pos, per_rank * self.world_size)[self.rank::self.world_size]
        return pos

    def __iter__(self) -> Iterator[list[int]]:
        pos = self._positions()
        stop = len(pos) - len(pos) % self.batch_size if self.drop_last else len(pos)
        for s in range(0, stop, self.batch_size):
            yield pos[s:s + self.batch_size].tolist()

    def __len__(self) -> int:
        m = math.ceil(self.n / self.world_size) if self.world_size > 1 else self.n
        return m // self.batch_size if self.drop_last else math.ceil(m / self.batch_size)


def make_loader(dataset: CachedImages, sampler: Iterable[list[int]], num_workers: int = 0,
                pin_memory: bool = False) -> DataLoader:
    """A DataLoader that fetches whole uint8 batches from ``dataset`` in ``sampler``'s order."""
    return DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_batch, num_workers=num_workers,
                      pin_memory=pin_memory, persistent_workers=False)


def prepare_images(images: torch.Tensor, device: torch.device, codes: torch.Tensor | None = None) -> torch.Tensor:
    """uint8 (B, H, W, 3) -> augmented (when ``codes`` is given) float (B, 3, H, W) on ``device``."""
    x = images.to(device, non_blocking=True)
    if codes is not None:
        x = augment_dihedral(x, codes)
    return to_float(x, channels_last=True)


# --- fingerprints ---------------------------------------------------------------------------

def _array_hash(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def fingerprint(cfg: Profile, name: str, label_col: str, loss: str, theta: float | None, seed: int,
                data_hash: str, cache_fingerprint: str) -> dict[str, Any]:
    """Everything that determines a training's result; a checkpoint or model is reused only if equal."""
    d = cfg.to_dict()
    return {
        "package_version": __version__, "name": name, "label_col": label_col, "loss": loss,
        "theta": None if theta is None else float(theta), "seed": int(seed),
        "params": {k: d[k] for k in TRAIN_PARAMS}, "spec": model_spec(cfg),
        "data_sha256": data_hash, "cache": cache_fingerprint,
    }


# --- the loop -------------------------------------------------------------------------------

class WarmupCosine:
    """LR multiplier: linear warm-up over ``warmup`` steps, then cosine decay to 0 at ``total``."""

    def __init__(self, total: int, warmup: int) -> None:
        self.total, self.warmup = max(1, int(total)), max(0, int(warmup))

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / (self.warmup + 1)
        t = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        return 0.5 * (1.0 + math.cos(math.pi * t))


@dataclass
class TrainResult:
    """What :func:`train_model` returns; ``model`` holds the best-validation weights (eval mode)."""

    name: str
    model: nn.Module
    history: list[dict[str, Any]]
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    complete: bool
    stopped_early: bool
    reused: bool
    weights_path: Path
    checkpoint_path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def history_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.history)


def _split_arrays(labels: pd.DataFrame, split: str, label_col: str, check_alpha: bool) -> pd.DataFrame:
    part = labels[labels["split"] == split]
    if len(part) == 0:
        raise CatalogError(f"the labels have no rows with split == {split!r}; splits present: "
                           f"{sorted(labels['split'].unique().tolist())}")
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


def _evaluate(model: nn.Module, loader: DataLoader, loss_fn: Callable, theta: float | None,
              device: torch.device, truth: np.ndarray | None = None) -> dict[str, float]:
    model.eval()
    total, correct, n = 0.0, 0, 0
    preds = []
    with torch.no_grad(), _autocast(device):
        for batch in loader:
            x = prepare_images(batch.images, device)
            y = batch.labels.to(device)
            logits = model(x).float()
            total += loss_fn(logits, y, batch.alpha.to(device), theta, reduction="sum").item()
            pred = logits.argmax(1)
            correct += int((pred == y).sum().item())
            n += len(y)
            if truth is not None:
                preds.append(pred.cpu().numpy())
    out = {"val_loss": total / n, "val_acc": correct / n}
    if truth is not None:
        out["val_acc_truth"] = float(np.mean(np.concatenate(preds) == truth))
    return out


def train_model(cfg: Profile, name: str, labels: pd.DataFrame, label_col: str, loss: str = "ce",
                theta: float | None = None, *, cache: ImageCache | None = None,
                out_dir: str | os.PathLike | None = None, seed: int | None = None,
                max_epochs: int | None = None, device: str | torch.device | None = None,
                sampler: EpochBatchSampler | None = None, resume: bool = True, force: bool = False,
                predictions: bool = True, callbacks: Sequence[Callable[[int, dict], None]] = (),
                progress: bool = True) -> TrainResult:
    """Train network ``name`` on ``labels[label_col]`` with loss ``loss`` ("ce" or "ddb").

    Parameters
    ----------
    cfg : the run's profile (network, epochs, batch size, learning rate, ... see ``TRAIN_PARAMS``)
    name : file name of the model: ``models/<name>.pt`` and column ``p_disk_<name>``
    labels : ``labels.parquet`` (columns ``id``, ``split``, ``alpha``, ``label_col``; ``truth``
        optional); rows with ``split == "train"`` are trained on, ``"val"`` decide early stopping
    label_col : the observed labels to train on, 0 = smooth, 1 = disk (``gz2b``, ``gz2d``)
    loss : ``"ce"`` (cross-entropy) or ``"ddb"`` (the DDB likelihood, needs ``theta``)
    theta : the bias-model scale fitted in chapter 3 (a fixed number, not trained)
    cache : the image cache (default: :func:`image_cache` for ``labels``)
    out_dir : the run folder (default ``data/runs/<profile>``); models go to ``out_dir/models``
    seed : initialisation, data order and augmentation (default ``cfg.seed``; the same seed for
        every model means every model starts from the same initial weights)
    max_epochs : stop after this many epochs even if the schedule (``cfg.epochs``) is not
        finished -- the checkpoint is kept and a later call resumes (used to test resuming)
    sampler : replaces the training batch sampler (e.g. a sharded one for multi-GPU)
    resume / force : resume from a matching checkpoint / retrain even if a fresh model exists
    predictions : write ``p_disk_<name>`` for the validation and test splits into
        ``out_dir/predictions.parquet`` once training is complete
    callbacks : called as ``f(epoch, history_row)`` after each epoch's checkpoint is written
    progress : a tqdm bar per epoch and a one-line summary after it

    Returns a :class:`TrainResult`: the network with its best-validation weights, the history
    (per epoch: train_loss, val_loss, val_acc against the observed validation labels,
    val_acc_truth when the labels carry the truth -- reported, never used for selection --,
    lr, seconds), and where the files are.  ``complete`` is False only after ``max_epochs``.
    """
    t_start = time.perf_counter()
    loss_fn = get_loss(loss)
    if needs_theta(loss):
        if theta is None:
            raise ConfigError(f"loss {loss!r} needs theta (fit it in chapter 3: theta.json)")
        theta = float(theta)
        if not (math.isfinite(theta) and theta > 0):
            raise ConfigError(f"theta must be a positive finite number, got {theta}")
    else:
        theta = None
    for c in ("id", "split", label_col):
        if c not in labels.columns:
            raise CatalogError(f"the labels have no column {c!r}; columns are {list(labels.columns)}")
    if "alpha" not in labels.columns:
        if needs_theta(loss):
            raise CatalogError("the labels have no column 'alpha', which the DDB loss needs")
        labels = labels.assign(alpha=np.nan)
    seed = cfg.seed if seed is None else int(seed)
    dev = select_device(device)
    out_dir = Path(out_dir) if out_dir is not None else config.paths(cfg).root
    models_dir = out_dir / "models"
    ckpt_path, pt_path = models_dir / f"{name}.ckpt", models_dir / f"{name}.pt"

    train_df = _split_arrays(labels, "train", label_col, needs_theta(loss))
    val_df = _split_arrays(labels, "val", label_col, needs_theta(loss))
    if cfg.train_subsample is not None and cfg.train_subsample < len(train_df):
        keep = np.sort(np.random.default_rng(_seed_for(seed, 1)).choice(len(train_df), cfg.train_subsample,
                                                                         replace=False))
        train_df = train_df.iloc[keep]
    if cache is None:
        cache = image_cache(cfg, labels, progress=progress)
    train_rows, val_rows = cache.rows(train_df["id"].to_numpy()), cache.rows(val_df["id"].to_numpy())
    y_tr, y_va = train_df[label_col].to_numpy(np.int64), val_df[label_col].to_numpy(np.int64)
    a_tr, a_va = train_df["alpha"].to_numpy(np.float32), val_df["alpha"].to_numpy(np.float32)
    truth = None
    if "truth" in val_df.columns and val_df["truth"].notna().all():
        truth = val_df["truth"].to_numpy(np.int64)
    data_hash = _array_hash(train_df["id"].to_numpy(), y_tr, a_tr, val_df["id"].to_numpy(), y_va, a_va)
    fp = fingerprint(cfg, name, label_col, loss, theta, seed, data_hash, cache.fingerprint)

    # a finished, fresh model is reused
    if not force and pt_path.exists():
        try:
            blob = torch.load(pt_path, map_location="cpu", weights_only=False)
        except Exception as exc:  # unreadable: retrain (and overwrite it)
            warnings.warn(f"could not read {pt_path} ({exc}); training {name!r} again")
            blob = {}
        if isinstance(blob, dict) and blob.get("meta", {}).get("fingerprint") == fp:
            from .models import model_from_spec

            model = model_from_spec(blob["spec"])
            model.load_state_dict(blob["state_dict"])
            model.eval()
            meta = blob["meta"]
            result = TrainResult(name, model, meta["history"], meta["best_epoch"], meta["best_val_loss"],
                                 meta["epochs_run"], True, meta["stopped_early"], True, pt_path, ckpt_path, meta,
                                 time.perf_counter() - t_start)
            if predictions:
                write_predictions(out_dir / "predictions.parquet", labels, cache, name, model, device=dev,
                                  model_fingerprint=fp)
            return result

    if dev.type == "cpu":
        torch.set_num_threads(usable_cores())
    else:
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(seed)
    model = build_model(cfg).to(dev, memory_format=torch.channels_last)
    train_set = CachedImages(cache, train_rows, y_tr, a_tr)
    val_set = CachedImages(cache, val_rows, y_va, a_va)
    if sampler is None:
        # drop the ragged last batch: a batch of one would break BatchNorm; the permutation
        # changes every epoch, so every galaxy is still seen
        sampler = EpochBatchSampler(len(train_set), cfg.batch_size, shuffle=True, seed=seed,
                                    drop_last=len(train_set) > cfg.batch_size)
    pin = dev.type == "cuda"
    train_loader = make_loader(train_set, sampler, cfg.num_workers, pin)
    val_loader = make_loader(val_set, EpochBatchSampler(len(val_set), max(cfg.batch_size, 256), shuffle=False),
                             cfg.num_workers, pin)
    steps_per_epoch = len(sampler)
    total_steps = steps_per_epoch * cfg.epochs
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = WarmupCosine(total_steps, min(steps_per_epoch, round(WARMUP_FRACTION * total_steps)))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)

    history: list[dict[str, Any]] = []
    best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    best_val, best_epoch, bad_epochs, start_epoch, finished, stopped = math.inf, -1, 0, 0, False, False
    if resume and not force and ckpt_path.exists():
        try:
            # on the CPU: RNG states must stay CPU tensors; load_state_dict moves the rest
            state = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        except Exception as exc:  # a damaged checkpoint: say so and start over
            warnings.warn(f"could not read checkpoint {ckpt_path} ({exc}); training {name!r} from the start")
            state = None
        if state is not None and state.get("fingerprint") != fp:
            warnings.warn(f"checkpoint {ckpt_path} was made with other settings or data; training {name!r} "
                          "from the start")
            state = None
        if state is not None:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            _set_rng_states(state["rng"], dev)
            history, best_state = state["history"], state["best_state"]
            best_val, best_epoch, bad_epochs = state["best_val_loss"], state["best_epoch"], state["bad_epochs"]
            start_epoch, finished, stopped = state["epoch"], state["finished"], state["stopped_early"]

    from tqdm import tqdm

    epoch = start_epoch
    while not finished and epoch < cfg.epochs and (max_epochs is None or epoch < max_epochs):
        t0 = time.perf_counter()
        model.train()
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        aug = _generator(seed, epoch, 1)
        run_loss, n_seen = 0.0, 0
        bar = tqdm(train_loader, total=steps_per_epoch, desc=f"{name} epoch {epoch + 1}/{cfg.epochs}",
                   unit="batch", disable=not progress, leave=False)
        for batch in bar:
            codes = random_codes(len(batch.labels), aug)
            x = prepare_images(batch.images, dev, codes)
            y, a = batch.labels.to(dev, non_blocking=True), batch.alpha.to(dev, non_blocking=True)
            with _autocast(dev):
                logits = model(x)
            batch_loss = loss_fn(logits.float(), y, a, theta)
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            sched.step()
            run_loss += batch_loss.item() * len(y)
            n_seen += len(y)
            bar.set_postfix(loss=f"{run_loss / n_seen:.4f}", refresh=False)
        bar.close()
        row = {"epoch": epoch + 1, "train_loss": run_loss / max(n_seen, 1), "lr": opt.param_groups[0]["lr"]}
        row.update(_evaluate(model, val_loader, loss_fn, theta, dev, truth))
        row["seconds"] = time.perf_counter() - t0
        if row["val_loss"] < best_val:
            best_val, best_epoch, bad_epochs = row["val_loss"], epoch + 1, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
        history.append(row)
        epoch += 1
        stopped = cfg.patience > 0 and bad_epochs >= cfg.patience and epoch < cfg.epochs
        finished = stopped or epoch >= cfg.epochs
        if progress:
            tqdm.write(f"{name} epoch {epoch}/{cfg.epochs}: train loss {row['train_loss']:.4f}, val loss "
                       f"{row['val_loss']:.4f}, val acc {row['val_acc']:.3f}"
                       + (f" (truth {row['val_acc_truth']:.3f})" if "val_acc_truth" in row else "")
                       + f", {row['seconds']:.1f} s" + (" -- early stop" if stopped else ""))
        _save_checkpoint(ckpt_path, {
            "fingerprint": fp, "model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "rng": _rng_states(dev), "epoch": epoch, "history": history,
            "best_state": best_state, "best_val_loss": best_val, "best_epoch": best_epoch,
            "bad_epochs": bad_epochs, "finished": finished, "stopped_early": stopped,
        })
        for cb in callbacks:
            cb(epoch, row)

    model.load_state_dict(best_state)
    model.eval()
    meta = {"fingerprint": fp, "history": history, "best_epoch": best_epoch, "best_val_loss": best_val,
            "epochs_run": epoch, "stopped_early": stopped, "theta": theta, "loss": loss, "label_col": label_col,
            "name": name, "profile": cfg.name, "seed": seed, "n_train": len(train_set), "n_val": len(val_set),
            "image_shape": list(cache.image_shape), "device": str(dev), "package_version": __version__}
    if finished:
        with artifacts.atomic_path(pt_path, suffix=".pt") as tmp:
            torch.save({"state_dict": {k: v.cpu() for k, v in best_state.items()}, "spec": model_spec(cfg),
                        "meta": meta}, tmp)
        if predictions:
            write_predictions(out_dir / "predictions.parquet", labels, cache, name, model, device=dev,
                              model_fingerprint=fp)
    return TrainResult(name, model, history, best_epoch, best_val, epoch, finished, stopped, False, pt_path,
                       ckpt_path, meta, time.perf_counter() - t_start)


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    with artifacts.atomic_path(path, suffix=".ckpt") as tmp:
        torch.save(state, tmp)


# --- predictions ----------------------------------------------------------------------------

def predict(model: nn.Module, cache: ImageCache | CachedImages, rows: Sequence[int] | np.ndarray | None = None,
            batch_size: int = 512, device: str | torch.device | None = None, num_workers: int = 0) -> np.ndarray:
    """p(disk) of the true class for cache ``rows`` (default: all), no augmentation, float64."""
    dev = select_device(device)
    dataset = cache if isinstance(cache, CachedImages) else CachedImages(cache, rows)
    if len(dataset) == 0:
        return np.zeros(0)
    model = model.to(dev, memory_format=torch.channels_last)
    was_training = model.training
    model.eval()
    loader = make_loader(dataset, EpochBatchSampler(len(dataset), batch_size, shuffle=False), num_workers,
                         dev.type == "cuda")
    out = []
    with torch.no_grad(), _autocast(dev):
        for batch in loader:
            logits = model(prepare_images(batch.images, dev)).float()
            out.append(torch.softmax(logits, dim=1)[:, 1].double().cpu().numpy())
    model.train(was_training)
    return np.concatenate(out)


def predict_splits(model: nn.Module, labels: pd.DataFrame, cache: ImageCache, splits: Sequence[str] = ("val", "test"),
                   device: str | torch.device | None = None) -> pd.DataFrame:
    """``id, split, p_disk`` for the rows of ``labels`` in ``splits`` (in ``labels``' order)."""
    part = labels[labels["split"].isin(list(splits))]
    p = predict(model, cache, cache.rows(part["id"].to_numpy()), device=device)
    return pd.DataFrame({"id": part["id"].to_numpy(), "split": part["split"].to_numpy(), "p_disk": p})


def write_predictions(path: str | os.PathLike, labels: pd.DataFrame, cache: ImageCache, name: str,
                      model: nn.Module, splits: Sequence[str] = ("val", "test"),
                      device: str | torch.device | None = None,
                      model_fingerprint: dict | None = None) -> pd.DataFrame:
    """Add (or replace) column ``p_disk_<name>`` in ``predictions.parquet``; returns the table.

    The file has one row per validation and test galaxy (``id``, ``split``) and one column
    per network, so the networks trained one after another end up side by side.  If the
    existing file covers other galaxies (new labels), it is started afresh (with a warning).
    Written atomically, with a manifest listing the fingerprint of every column's model.
    """
    path = Path(path)
    new = predict_splits(model, labels, cache, splits, device=device).rename(columns={"p_disk": f"p_disk_{name}"})
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
    fp_hash = hashlib.sha256(json.dumps(model_fingerprint, sort_keys=True, default=str).encode()).hexdigest() \
        if model_fingerprint is not None else None
    models[name] = fp_hash
    models = {k: v for k, v in models.items() if f"p_disk_{k}" in new.columns}
    artifacts.write_parquet(path, new)
    artifacts.write_manifest(path, {"models": models, "splits": list(splits)}, n_rows=len(new))
    return new
