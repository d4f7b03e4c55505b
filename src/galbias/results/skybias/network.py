"""Dhar & Shamir's network for chapter 9, trained through the book's one engine.

The network itself is :class:`galbias.methods.models.DSNet` (their LeNet-5 extension with one
sigmoid output); it trains with the binary cross-entropy (loss ``"bce"``) through
:func:`galbias.methods.engine.fit`, with Adam at a constant learning rate for a fixed number of
epochs and no early stopping (they trained a fixed 250 epochs).  Images are block-averaged down
to ``px`` pixels and kept as uint8, so the network sees pixel / 255 like every network of the book.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...data.cache import CachedImages
from ...methods import engine
from ...methods.models import DSNet, model_from_spec

__all__ = ["CNNSettings", "DSNet", "auto_epochs", "predict_proba", "prepare_images", "torch_threads", "train_cnn"]


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
    #: Dhar & Shamir do not state their batch; 64 halves the per-step overhead of the small
    #: network on a CPU (32 costs twice the chapter's time for the same epochs)
    batch_size: int = 64
    lr: float = 1e-3
    augment: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def spec(self, in_px: int) -> dict[str, Any]:
        """The architecture for ``in_px``-pixel inputs (:func:`galbias.methods.models.model_from_spec`)."""
        return {"model": "dsnet", "in_px": int(in_px), "width": self.width, "dense": self.dense}

    def fit_settings(self, seed: int) -> engine.FitSettings:
        """The engine's settings: Adam, constant learning rate, fixed epochs, no checkpoints."""
        return engine.FitSettings(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr, weight_decay=0.0,
                                  optimizer="adam", schedule="constant", warmup_fraction=0.0, patience=0,
                                  augment=self.augment, seed=int(seed), accelerator="cpu", devices=1,
                                  checkpoints=False, channels_last=False)


def auto_epochs(n_images: int, batch_size: int = 64, min_steps: int = 150, min_epochs: int = 15,
                max_epochs: int = 40) -> int:
    """Epochs for a training set of ``n_images``: enough for ``min_steps`` optimiser steps,
    at least ``min_epochs`` and at most ``max_epochs`` (small sets need more passes)."""
    steps = max(1, math.ceil(n_images / batch_size))
    return int(min(max_epochs, max(min_epochs, math.ceil(min_steps / steps))))


def prepare_images(images: np.ndarray, px: int | None = None) -> np.ndarray:
    """uint8 (N, H, W, 3) images averaged down over pixel blocks (area interpolation) to ``px``
    pixels when they are larger (never up-sampled), rounded back to uint8."""
    arr = np.ascontiguousarray(images)
    if px is None or arr.shape[1] <= px:
        return arr
    x = torch.from_numpy(arr).permute(0, 3, 1, 2).to(torch.float32)
    x = F.adaptive_avg_pool2d(x, int(px)).round_().clamp_(0, 255)
    return x.to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()


def train_cnn(images: np.ndarray, y: np.ndarray, settings: CNNSettings = CNNSettings(), seed: int = 0) -> nn.Module:
    """Train a :class:`~galbias.methods.models.DSNet` on uint8 ``images`` (N, S, S, 3) with classes
    ``y`` (1 = spiral) through the engine; deterministic for a seed and thread count on the CPU.
    Returns the network in eval mode."""
    y = np.asarray(y, dtype=np.int64)
    if len(y) != len(images):
        raise ValueError(f"{len(images)} images but {len(y)} classes")
    data = CachedImages(np.ascontiguousarray(images), None, y, np.zeros(len(y), np.float32))
    res = engine.fit("dsnet", settings.spec(images.shape[1]), "bce", data, None, settings.fit_settings(seed),
                     progress=False)
    return res.model


def predict_proba(model: nn.Module, images: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """p(spiral) = sigmoid(logit) for uint8 ``images`` (N, S, S, 3)."""
    if len(images) == 0:
        return np.zeros(0)
    data = CachedImages(np.ascontiguousarray(images))
    return engine.predict(model, data, engine.FitSettings(accelerator="cpu", devices=1, channels_last=False),
                          batch_size=batch_size)


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


_ = model_from_spec  # re-exported through DSNet's spec
