"""The engine's pieces that sit beside the training loop: checkpoint writing, the learning-rate
schedule, the per-epoch log line, log flushing and the learning-curve reader.

:func:`galbias.methods.engine.fit` plugs them into Lightning's ``Trainer``; they hold no
state of a run beyond what Lightning gives them, so each is small and tested on its own.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import lightning as L
import pandas as pd
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO

from ..core import artifacts

__all__ = ["AtomicCheckpointIO", "EpochLog", "FlushLogs", "Schedule", "next_attempt", "read_history"]


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning ``CheckpointIO`` that writes each checkpoint to a temporary file and renames it,
    so a run killed while saving never leaves a damaged ``last.ckpt``."""

    def save_checkpoint(self, checkpoint, path, storage_options=None):
        with artifacts.atomic_path(path, suffix=".ckpt") as tmp:
            torch.save(checkpoint, tmp)


class Schedule:
    """LR multiplier: linear warm-up over ``warmup`` steps, then cosine to 0 at ``total`` (or constant)."""

    def __init__(self, total: int, warmup: int, kind: str) -> None:
        if kind not in ("cosine", "constant"):
            raise ValueError(f"schedule must be 'cosine' or 'constant', got {kind!r}")
        self.total, self.warmup, self.kind = max(1, int(total)), max(0, int(warmup)), kind

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / (self.warmup + 1)
        if self.kind == "constant":
            return 1.0
        t = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        return 0.5 * (1.0 + math.cos(math.pi * t))


class EpochLog(L.Callback):
    """One line per epoch (training and validation loss, accuracy, time), used instead of the
    progress bar when the output is not a terminal (papermill streams it to the terminal)."""

    def __init__(self, name: str, epochs: int):
        self.name, self.epochs, self.t0 = name, epochs, time.perf_counter()

    def on_train_epoch_start(self, trainer, pl_module) -> None:
        self.t0 = time.perf_counter()

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if not trainer.is_global_zero or trainer.sanity_checking:
            return
        m = {k: float(v) for k, v in trainer.callback_metrics.items()}
        parts = [f"{k.replace('_', ' ')} {m[k]:.4f}" for k in ("train_loss", "val_loss", "val_acc", "val_acc_truth")
                 if k in m]
        print(f"[{self.name}] epoch {trainer.current_epoch + 1}/{self.epochs}: " + ", ".join(parts)
              + f" ({time.perf_counter() - self.t0:.1f} s)", flush=True)


class FlushLogs(L.Callback):
    """Flush the CSV log at every validation end (before the epoch's checkpoint), so a resumed
    run's history has every finished epoch."""

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.logger is not None and not trainer.sanity_checking:
            trainer.logger.save()


def next_attempt(run_dir: Path) -> str:
    """``attempt_<k>``: each start or resume of a run logs to its own ``CSVLogger`` version, so
    a resumed run never overwrites the learning curves of the epochs before it."""
    done = [int(p.name.split("_")[1]) for p in (run_dir / "logs").glob("attempt_*") if p.name.split("_")[1].isdigit()]
    return f"attempt_{max(done, default=-1) + 1}"


def read_history(run_dir: str | os.PathLike) -> pd.DataFrame:
    """Per-epoch learning curves from a run's ``CSVLogger`` files (``logs/attempt_*/metrics.csv``):
    ``epoch`` (1-based), ``train_loss``, ``val_loss``, ``val_acc`` and ``val_acc_truth`` where
    logged, one row per epoch (an epoch repeated by a resumed attempt keeps the later value)."""
    files = sorted(Path(run_dir).glob("logs/attempt_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[1]))
    frames = [pd.read_csv(f) for f in files if f.stat().st_size]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if df.empty or "epoch" not in df:
        return pd.DataFrame(columns=["epoch"])
    cols = [c for c in ("train_loss", "val_loss", "val_acc", "val_acc_truth") if c in df.columns]
    out = df.groupby("epoch")[cols].last().reset_index()
    out["epoch"] = out["epoch"].astype(int) + 1
    return out
