r"""The one training engine of the book: a Lightning module whose loss is a plug-in.

Every network of the book (chapter 4's three networks, chapter 9's CNNs, and the variants of
later chapters) is trained by :func:`fit` through :class:`Classifier` (a
``lightning.LightningModule``) and :class:`GalaxyData` (a ``LightningDataModule`` that owns
its loaders).  What Lightning already does is used as it is:

- ``ModelCheckpoint`` keeps the best weights (lowest validation loss) and the last epoch
  (``last.ckpt``, written atomically at every epoch end by :class:`AtomicCheckpointIO`);
- ``EarlyStopping`` stops after ``patience`` epochs without a lower validation loss;
- ``precision`` (``"32-true"``, ``"bf16-mixed"``), ``seed_everything`` and deterministic mode;
- ``CSVLogger`` writes ``logs/attempt_<k>/metrics.csv`` (one row per epoch, one folder per
  start or resume; :func:`read_history` joins them);
- its progress bar when run from a terminal; inside papermill (no terminal) a quiet
  one-line-per-epoch log instead (:class:`EpochLog`);
- ``devices=N, strategy="ddp"`` (and ``torchrun`` / SLURM ``srun``, which Lightning detects)
  for several GPUs or CPU processes.

Reproducibility and resuming
----------------------------
The order of the training galaxies in epoch ``e`` comes from a ``DistributedSampler`` seeded
with the run's seed (``set_epoch(e)``), and the random flip / quarter turn of galaxy ``i`` in
epoch ``e`` is ``codes_e[i]`` with ``codes_e`` drawn from ``(seed, e)`` over the whole
training set.  Neither depends on the history of the run or on how the galaxies are shared
between processes, so

- a run killed in the middle of an epoch resumes from ``last.ckpt`` (model, optimiser,
  schedule, early-stopping state) and ends with the weights of an uninterrupted run (on the
  CPU, for the same thread count);
- with ``N`` processes each process gets every ``N``-th galaxy of the same permutation and a
  batch of ``batch_size / N``: the union of the processes' batches is the single-process batch,
  the gradients are averaged over it and BatchNorm is synchronised (``sync_batchnorm``), so
  the result equals the single-process one up to floating-point summation order.

Validation and prediction use a padded, unshuffled ``DistributedSampler``; the per-galaxy
values of all processes are gathered once and de-duplicated by position, so the validation
loss (and early stopping) and the predictions are those of the whole set, in its order.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader, DistributedSampler

from ..core import artifacts
from ..core.seeds import derive_seed
from ..data.cache import CachedImages, augment_dihedral, collate_batch, random_codes, to_float
from .callbacks import AtomicCheckpointIO, EpochLog, FlushLogs, Schedule, next_attempt, read_history
from .losses import check_bias_parameter, get_loss, p_disk
from .models import model_from_spec

__all__ = ["AtomicCheckpointIO", "Classifier", "EpochLog", "FitResult", "FitSettings", "FlushLogs", "GalaxyData",
           "Schedule", "fit", "predict", "read_history"]

#: linear warm-up of the learning rate: this fraction of all steps, at most one epoch
WARMUP_FRACTION = 0.03

for _name in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning"):
    logging.getLogger(_name).setLevel(logging.WARNING)
# Lightning's advice that does not apply here (the loaders are fast in-process memory maps; the
# validation metrics are gathered by hand; predict_step stores its results on the module)
for _msg in (".*does not have many workers.*", ".*smaller than the logging interval.*", ".*predict returned None.*",
             ".*It is recommended to use `self.log\\(.*sync_dist=True.*", ".*isinstance\\(treespec, LeafSpec\\).*",
             ".*all_gather is deprecated.*"):
    warnings.filterwarnings("ignore", message=_msg)
warnings.filterwarnings("ignore", message=".*Checkpoint directory .* exists and is not empty.*")
warnings.filterwarnings("ignore", message=".*Experiment logs directory .* exists and is not empty.*")


@dataclass(frozen=True)
class FitSettings:
    """How one network is trained (everything that changes the result is in here).

    ``batch_size`` is the global minibatch: with ``N`` processes each takes ``batch_size / N``.
    ``optimizer``: ``"adamw"`` (decoupled weight decay) or ``"adam"``; the learning rate is
    warmed up linearly over ``warmup_fraction`` of the steps (at most one epoch), then
    cosine-annealed to zero over ``epochs`` (``schedule="cosine"``) or kept constant
    (``"constant"``).  ``patience = 0`` never stops early.  ``augment``: random flips and
    quarter turns of the training images.
    """

    epochs: int = 8
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    schedule: str = "cosine"
    warmup_fraction: float = WARMUP_FRACTION
    patience: int = 3
    augment: bool = True
    precision: str = "32-true"
    seed: int = 0
    accelerator: str = "auto"
    devices: int | str = 1
    strategy: str = "auto"
    num_nodes: int = 1
    num_workers: int = 0
    channels_last: bool = True
    compile: bool = False
    checkpoints: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class GalaxyData(L.LightningDataModule):
    """The data module: training, validation and prediction sets of cached images.

    ``train`` / ``val`` / ``predict`` are :class:`galbias.data.cache.CachedImages` (labels and
    alpha aligned with their rows).  Every loader uses a ``DistributedSampler`` for the
    process's rank (shuffled with the run's seed for training; padded and in order otherwise).
    ``batch_size`` is the global batch; each of ``N`` processes takes ``batch_size / N``.
    """

    def __init__(self, train: CachedImages, val: CachedImages | None = None, predict: CachedImages | None = None,
                 batch_size: int = 128, num_workers: int = 0, seed: int = 0, pin_memory: bool = False):
        super().__init__()
        self.train_set, self.val_set, self.predict_set = train, val, predict
        self.batch_size, self.num_workers, self.seed, self.pin_memory = batch_size, num_workers, seed, pin_memory

    def _world(self) -> tuple[int, int]:
        t = getattr(self, "trainer", None)
        return (t.world_size, t.global_rank) if t is not None else (1, 0)

    def _loader(self, ds: CachedImages, shuffle: bool, drop_last: bool, batch_size: int) -> DataLoader:
        world, rank = self._world()
        sampler = DistributedSampler(ds, num_replicas=world, rank=rank, shuffle=shuffle, seed=self.seed,
                                     drop_last=False)
        return DataLoader(ds, batch_size=batch_size, sampler=sampler, collate_fn=collate_batch,
                          num_workers=self.num_workers, pin_memory=self.pin_memory, drop_last=drop_last,
                          persistent_workers=self.num_workers > 0)

    def per_rank_batch(self) -> int:
        world, _ = self._world()
        if self.batch_size % world:
            raise ValueError(f"batch_size={self.batch_size} is not divisible by the {world} processes")
        return self.batch_size // world

    def train_dataloader(self) -> DataLoader:
        world, _ = self._world()
        b = self.per_rank_batch()
        # drop the ragged last batch: a batch of one would break BatchNorm; the order changes every epoch
        return self._loader(self.train_set, True, math.ceil(len(self.train_set) / world) > b, b)

    def val_dataloader(self) -> DataLoader | list:
        if self.val_set is None:
            return []
        return self._loader(self.val_set, False, False, max(self.per_rank_batch(), 256))

    def predict_dataloader(self) -> DataLoader:
        return self._loader(self.predict_set, False, False, max(self.per_rank_batch(), 256))


def _gather_unique(module, idx: torch.Tensor, *values: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """All processes' (idx, values) concatenated, de-duplicated by idx and sorted by it."""
    if module.trainer is not None and module.trainer.world_size > 1:
        idx = module.all_gather(idx).reshape(-1)
        values = tuple(module.all_gather(v).reshape(-1) for v in values)
    order = torch.argsort(idx, stable=True)
    idx = idx[order]
    keep = torch.ones_like(idx, dtype=torch.bool)
    keep[1:] = idx[1:] != idx[:-1]
    return (idx[keep], *(v[order][keep] for v in values))


class Classifier(L.LightningModule):
    """The LightningModule: a network (:func:`galbias.methods.models.model_from_spec`), a loss
    plug-in (:data:`galbias.methods.losses.LOSSES`), Adam(W) with a warm-up + cosine schedule.

    ``val_truth`` (optional) is the true class of each validation galaxy (-1 where unknown): its
    accuracy is logged per epoch as ``val_acc_truth`` and never used for training or selection.
    """

    def __init__(self, spec: Mapping[str, Any], loss: str, theta: float | None, settings: FitSettings,
                 n_train: int, val_truth: np.ndarray | None = None):
        super().__init__()
        self.spec, self.loss_name, self.theta, self.settings = dict(spec), loss, theta, settings
        self.net = model_from_spec(self.spec)
        if settings.channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        self.loss_fn = get_loss(loss)
        self.n_train = n_train
        self.val_truth = None if val_truth is None else torch.as_tensor(np.asarray(val_truth, dtype=np.int64))
        self._codes: torch.Tensor | None = None
        self._val: list[tuple[torch.Tensor, ...]] = []
        self._pred: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.predictions: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def _x(self, batch, codes: torch.Tensor | None = None) -> torch.Tensor:
        x = batch.images
        if codes is not None:
            x = augment_dihedral(x, codes)
        return to_float(x, channels_last=self.settings.channels_last)

    def on_train_epoch_start(self) -> None:
        # one symmetry per training galaxy and epoch, from (seed, epoch): independent of the
        # run's history and of how the galaxies are shared between processes
        g = torch.Generator().manual_seed(derive_seed(self.settings.seed, self.current_epoch, 1))
        self._codes = random_codes(self.n_train, g)
        self._loss_sum, self._loss_n = torch.zeros((), device=self.device), 0

    def training_step(self, batch, batch_idx):
        codes = self._codes[batch.index.cpu()] if self.settings.augment else None
        logits = self(self._x(batch, codes))
        loss = self.loss_fn(logits.float(), batch.labels, batch.alpha, self.theta)
        # the epoch's mean training loss, summed here and logged once per epoch: Lightning's
        # per-step logging costs as much as a small network's step on a CPU
        n = len(batch.labels)
        self._loss_sum = self._loss_sum + loss.detach() * n
        self._loss_n += n
        return loss

    def on_train_epoch_end(self) -> None:
        total = torch.stack([self._loss_sum.float().reshape(()), torch.tensor(float(self._loss_n), device=self.device)])
        total = self.trainer.strategy.reduce(total, reduce_op="sum")
        self.log("train_loss", total[0] / total[1].clamp(min=1.0), sync_dist=False)

    def validation_step(self, batch, batch_idx):
        logits = self(self._x(batch)).float()
        per = self.loss_fn(logits, batch.labels, batch.alpha, self.theta, reduction="none")
        pred = (p_disk(logits) > 0.5).long()
        self._val.append((batch.index, per.detach(), (pred == batch.labels).float(), pred.float()))

    def on_validation_epoch_end(self) -> None:
        if not self._val:
            return
        idx, loss, correct, pred = (torch.cat(t) for t in zip(*self._val))
        self._val.clear()
        idx, loss, correct, pred = _gather_unique(self, idx, loss, correct, pred)
        self.log("val_loss", loss.mean(), sync_dist=False)
        self.log("val_acc", correct.mean(), sync_dist=False)
        if self.val_truth is not None:
            truth = self.val_truth.to(idx.device)[idx]
            ok = truth >= 0
            if ok.any():
                self.log("val_acc_truth", (pred[ok].long() == truth[ok]).float().mean(), sync_dist=False)

    def predict_step(self, batch, batch_idx):
        self._pred.append((batch.index, p_disk(self(self._x(batch)))))

    def on_predict_epoch_end(self) -> None:
        idx, p = (torch.cat(t) for t in zip(*self._pred))
        self._pred.clear()
        self.predictions = _gather_unique(self, idx, p.double())

    def configure_optimizers(self):
        s = self.settings
        opt_cls = {"adamw": torch.optim.AdamW, "adam": torch.optim.Adam}[s.optimizer]
        kw = {"weight_decay": s.weight_decay} if s.optimizer == "adamw" else {}
        opt = opt_cls(self.parameters(), lr=s.lr, **kw)
        total = max(1, int(self.trainer.estimated_stepping_batches))
        per_epoch = max(1, total // max(1, self.trainer.max_epochs or s.epochs))
        warm = min(per_epoch, round(s.warmup_fraction * total))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, Schedule(total, warm, s.schedule))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


@dataclass
class FitResult:
    """What :func:`fit` returns; ``model`` holds the best-validation weights (eval mode, CPU)."""

    name: str
    model: torch.nn.Module
    history: pd.DataFrame
    best_epoch: int
    best_val_loss: float
    epochs_run: int
    stopped_early: bool
    reused: bool
    weights_path: Path
    run_dir: Path
    meta: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    is_global_zero: bool = True


def _trainer(name: str, settings: FitSettings, run_dir: Path | None, progress: bool,
             max_epochs: int | None, extra_callbacks: Sequence[Any] = (), validate: bool = True) -> L.Trainer:
    terminal = progress and sys.stdout.isatty()
    callbacks: list[Any] = list(extra_callbacks)
    if settings.patience > 0:
        callbacks.append(EarlyStopping(monitor="val_loss", mode="min", patience=settings.patience))
    if run_dir is not None and settings.checkpoints:
        callbacks.append(ModelCheckpoint(dirpath=run_dir, filename="best", monitor="val_loss", mode="min",
                                         save_top_k=1, save_last=True))
        callbacks.append(FlushLogs())
    if progress and not terminal:
        callbacks.append(EpochLog(name, settings.epochs))
    cpu = settings.accelerator == "cpu" or (settings.accelerator == "auto" and not torch.cuda.is_available())
    trainer = L.Trainer(
        accelerator=settings.accelerator, devices=settings.devices, strategy=settings.strategy,
        num_nodes=settings.num_nodes, precision=settings.precision, max_epochs=settings.epochs if max_epochs is None else max_epochs,
        callbacks=callbacks, logger=CSVLogger(run_dir, name="logs", version=next_attempt(run_dir))
        if run_dir is not None else False,
        enable_checkpointing=run_dir is not None and settings.checkpoints, enable_progress_bar=terminal,
        enable_model_summary=False, num_sanity_val_steps=0, deterministic=True if cpu else "warn",
        # SyncBatchNorm works only on GPUs: CPU processes normalise over their own share of a batch
        benchmark=not cpu, use_distributed_sampler=False, sync_batchnorm=settings.strategy.startswith("ddp") and not cpu,
        plugins=[AtomicCheckpointIO()] if run_dir is not None and settings.checkpoints else None,
        log_every_n_steps=1_000_000, default_root_dir=run_dir, limit_val_batches=None if validate else 0,
    )
    # deterministic mode also fills every new tensor with NaN (a debugging aid against reads of
    # uninitialised memory, which no kernel here does): about a fifth of a CPU training step
    torch.utils.deterministic.fill_uninitialized_memory = False
    return trainer


def _best_state(trainer, module) -> tuple[dict[str, torch.Tensor], int, float]:
    """The best-validation weights of ``module``'s network, their epoch and loss."""
    ck = next((c for c in trainer.checkpoint_callbacks if c.best_model_path), None)
    if ck is None:  # no checkpointing: the final weights
        return {k: v.detach().cpu().clone() for k, v in module.net.state_dict().items()}, trainer.current_epoch, \
            float(trainer.callback_metrics.get("val_loss", float("nan")))
    blob = torch.load(ck.best_model_path, map_location="cpu", weights_only=False)
    state = {k[len("net."):]: v for k, v in blob["state_dict"].items() if k.startswith("net.")}
    return state, int(blob["epoch"]) + 1, float(ck.best_model_score)


@contextlib.contextmanager
def _own_random_state():
    """Seed the run without disturbing the caller: torch's, NumPy's and Python's global random
    states are restored when the block ends."""
    import random

    states = (torch.get_rng_state(), np.random.get_state(), random.getstate())
    try:
        yield
    finally:
        torch.set_rng_state(states[0])
        np.random.set_state(states[1])
        random.setstate(states[2])


def fit(name: str, spec: Mapping[str, Any], loss: str, train: CachedImages, val: CachedImages | None,
        settings: FitSettings, *, theta: float | None = None, run_dir: str | os.PathLike | None = None,
        val_truth: np.ndarray | None = None, fingerprint: Mapping[str, Any] | None = None,
        progress: bool = True, max_epochs: int | None = None, callbacks: Sequence[Any] = ()) -> FitResult:
    """Train network ``name`` (architecture ``spec``) with loss ``loss`` on ``train``, selecting
    the epoch on ``val``; see the module docstring.

    With ``run_dir`` the run keeps ``last.ckpt``, ``best.ckpt``, ``logs/attempt_*/metrics.csv``
    and ``fingerprint.json`` there and resumes from ``last.ckpt`` when the fingerprint is the same
    (a folder made with another fingerprint is cleared).  ``max_epochs`` stops early, keeping the
    checkpoint, so that a later call resumes (used by the tests); ``callbacks`` are extra
    Lightning callbacks.  Returns a :class:`FitResult`;
    on processes other than rank 0 of a multi-process run, ``is_global_zero`` is False.
    """
    t0 = time.perf_counter()
    if val is None and (settings.patience > 0 or (run_dir is not None and settings.checkpoints)):
        raise ValueError("training without a validation set needs patience=0 and no checkpoints (nothing to select on)")
    theta = check_bias_parameter(loss, theta)
    with _own_random_state():
        return _fit(name, spec, loss, train, val, settings, theta, run_dir, val_truth, fingerprint, progress,
                    max_epochs, callbacks, t0)


def _fit(name, spec, loss, train, val, settings, theta, run_dir, val_truth, fingerprint, progress, max_epochs,
         callbacks, t0) -> FitResult:
    L.seed_everything(int(settings.seed) % 2**32, workers=True, verbose=False)  # NumPy takes 32-bit seeds
    resume = None
    if run_dir is not None:
        run_dir = Path(run_dir)
        fp_path = run_dir / "fingerprint.json"
        fp = json.loads(json.dumps(dict(fingerprint or {}), default=str))
        old = json.loads(fp_path.read_text()) if fp_path.exists() else None
        if old is not None and old != fp:
            warnings.warn(f"{run_dir} holds a training with other settings or data; starting {name!r} afresh")
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        if old != fp:
            artifacts.write_json(fp_path, fp)
        last = run_dir / "last.ckpt"
        resume = str(last) if last.exists() else None
    module = Classifier(spec, loss, theta, settings, len(train), val_truth)
    if settings.compile:
        module.net = torch.compile(module.net)
    data = GalaxyData(train, val, None, settings.batch_size, settings.num_workers, settings.seed,
                      pin_memory=torch.cuda.is_available())
    trainer = _trainer(name, settings, run_dir, progress, max_epochs, callbacks, validate=val is not None)
    trainer.fit(module, datamodule=data, ckpt_path=resume)
    state, best_epoch, best_loss = _best_state(trainer, module)
    model = model_from_spec(spec)
    model.load_state_dict(state)
    model.eval()
    history = read_history(run_dir) if run_dir is not None else pd.DataFrame(columns=["epoch"])
    stopped = any(getattr(c, "stopped_epoch", 0) > 0 for c in trainer.callbacks)
    return FitResult(name, model, history, best_epoch, best_loss, trainer.current_epoch, stopped, False,
                     Path(run_dir or "."), Path(run_dir or "."), seconds=time.perf_counter() - t0,
                     is_global_zero=trainer.is_global_zero)


def predict(model: torch.nn.Module, dataset: CachedImages, settings: FitSettings | None = None,
            batch_size: int = 512) -> np.ndarray:
    """p(disk) of every galaxy of ``dataset`` in its order (float64), without augmentation.

    Runs through a Lightning ``Trainer`` (``trainer.predict``) on the settings' devices; with
    several processes each predicts a share and the results are gathered once, in order.
    """
    s = settings or FitSettings(devices=1, strategy="auto")
    if len(dataset) == 0:
        return np.zeros(0)
    module = Classifier(_spec_of(model), "ce", None, s, len(dataset))
    module.net.load_state_dict(model.state_dict())
    data = GalaxyData(dataset, None, dataset, batch_size, s.num_workers, s.seed, pin_memory=torch.cuda.is_available())
    trainer = L.Trainer(accelerator=s.accelerator, devices=s.devices, strategy=s.strategy, num_nodes=s.num_nodes,
                        precision=s.precision,
                        logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, use_distributed_sampler=False)
    trainer.predict(module, datamodule=data, return_predictions=False)
    idx, p = module.predictions
    if len(idx) != len(dataset):
        raise RuntimeError(f"prediction gathered {len(idx)} of {len(dataset)} galaxies")
    return p.cpu().numpy()


def _spec_of(model: torch.nn.Module) -> dict[str, Any]:
    spec = getattr(model, "spec", None)
    if spec is None:
        raise TypeError(f"{type(model).__name__} carries no architecture spec; build it with model_from_spec")
    return dict(spec)
