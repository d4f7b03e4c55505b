"""Networks: the paper's ResNet50 with a dense head, and a compact ResNet for CPU profiles.

Both map an image batch (N, 3, H, W), floats in [0, 1], to two logits (N, 2) for the true
class [smooth, disk], through the same kind of head the paper uses (§5.1, Fig. 9)::

    convolutional features -> global average pool -> Linear(F, head_width) -> ReLU -> Linear(head_width, 2)

- :func:`paper_resnet50` - torchvision's ResNet50 with that head (F = 2048, head_width =
  1024).  It starts from **random weights**: the paper does not state that it used
  pre-trained weights, and none can be downloaded on the machines this book runs on.
- :func:`compact_resnet` - a small ResNet of BasicBlocks (BatchNorm, identity shortcuts)
  whose width, depth and head are profile settings; the demo and smoke profiles use it so
  that three trainings fit in minutes on two CPU cores.
- :func:`build_model` - picks one from a :class:`~galbias.compendium.config.Profile`;
  :func:`model_spec` / :func:`model_from_spec` record and rebuild the architecture so a
  saved model can be loaded without the profile (:func:`load_model`).
- :func:`target_layer` - the last convolutional block, which GradCAM (chapter 8) hooks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ..core.errors import ConfigError

__all__ = [
    "MODELS", "BasicBlock", "CompactResNet", "DSNet", "build_model", "compact_resnet", "count_parameters",
    "dense_head", "load_model", "model_from_spec", "model_spec", "paper_resnet50", "target_layer",
]

#: the architectures a spec may name (profiles use the first two; chapter 9 uses ``dsnet``)
MODELS = ("compact", "resnet50", "dsnet")


def dense_head(in_features: int, head_width: int = 1024, n_classes: int = 2) -> nn.Sequential:
    """Linear(in, head_width) -> ReLU -> Linear(head_width, n_classes): the paper's head."""
    return nn.Sequential(nn.Linear(in_features, head_width), nn.ReLU(inplace=True), nn.Linear(head_width, n_classes))


def paper_resnet50(n_classes: int = 2, head_width: int = 1024) -> nn.Module:
    """ResNet50 (random initialisation) -> global average pool -> Dense(1024, ReLU) -> Dense(2).

    torchvision's ResNet50 already ends in a global average pool followed by ``fc``; ``fc``
    is replaced by :func:`dense_head`.  ``weights=None``: no pre-trained weights (see module
    docstring).  Returns logits; the softmax is part of the loss.
    """
    from torchvision.models import resnet50

    model = resnet50(weights=None)
    model.fc = dense_head(model.fc.in_features, head_width, n_classes)
    return model


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm, plus a (projected when needed) shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x), inplace=True)


class CompactResNet(nn.Module):
    """A small ResNet for low-resolution images on a CPU.

    stem: 3x3 convolution, stride ``stem_stride``, BatchNorm, ReLU; then ``n_stages`` stages
    of ``n_blocks`` BasicBlocks, the first stage at ``width`` channels, each later stage
    halving the resolution and doubling the channels; then the dense head.  At 64 px with
    the defaults the feature maps are 32, 16 and 8 px and the pooled features have
    ``width * 2**(n_stages-1)`` channels.
    """

    def __init__(self, width: int = 16, n_blocks: int = 1, n_stages: int = 3, head_width: int = 128,
                 n_classes: int = 2, stem_stride: int = 2) -> None:
        super().__init__()
        for name, v in (("width", width), ("n_blocks", n_blocks), ("n_stages", n_stages),
                        ("head_width", head_width), ("stem_stride", stem_stride)):
            if int(v) < 1:
                raise ConfigError(f"compact_resnet: {name} must be a positive integer, got {v}")
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True))
        stages = []
        c_in = width
        for s in range(n_stages):
            c_out = width * 2**s
            blocks = [BasicBlock(c_in if b == 0 else c_out, c_out, 2 if (b == 0 and s > 0) else 1)
                      for b in range(n_blocks)]
            stages.append(nn.Sequential(*blocks))
            c_in = c_out
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = dense_head(c_in, head_width, n_classes)
        self.n_features = c_in
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        # each residual branch starts as zero, so every block starts as (nearly) the identity
        for m in self.modules():
            if isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    @property
    def gradcam_layer(self) -> nn.Module:
        """The last convolutional block (what GradCAM hooks)."""
        return self.stages[-1][-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.flatten(self.pool(self.features(x)), 1))


def compact_resnet(width: int = 16, n_blocks: int = 1, n_stages: int = 3, head_width: int = 128,
                   n_classes: int = 2) -> CompactResNet:
    """A :class:`CompactResNet` (see there); ``head_width`` is the dense layer's size."""
    return CompactResNet(width=width, n_blocks=n_blocks, n_stages=n_stages, head_width=head_width,
                         n_classes=n_classes)


class DSNet(nn.Module):
    """Dhar & Shamir's network (chapter 9): their LeNet-5 extension with five 3x3 convolutions
    with ReLU, a 2x2 max-pool after each of the first four (fewer for tiny inputs, keeping at
    least 2x2 pixels), then flatten -> Dense(``dense``, ReLU) -> Dense(1).  The forward pass
    returns the logit, shape (N, 1); its sigmoid is p(spiral), and it trains with the binary
    cross-entropy (loss ``"bce"``)."""

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
        return self.head(self.features(x))


def target_layer(model: nn.Module) -> nn.Module:
    """The last convolutional block of a model from this module (for GradCAM).

    ResNet50: ``model.layer4[-1]`` (the last bottleneck); compact: its last BasicBlock.
    """
    if isinstance(model, CompactResNet):
        return model.gradcam_layer
    layer4 = getattr(model, "layer4", None)
    if isinstance(layer4, nn.Sequential):
        return layer4[-1]
    raise TypeError(f"do not know the last convolutional block of a {type(model).__name__}")


def model_spec(cfg: Any) -> dict[str, Any]:
    """The architecture settings of a profile, enough to rebuild the network."""
    name = getattr(cfg, "model", None)
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; the profile's 'model' must be one of {', '.join(MODELS)}")
    if name == "resnet50":
        return {"model": "resnet50", "head_width": int(cfg.head_width), "n_classes": 2}
    return {"model": "compact", "width": int(cfg.model_width), "n_blocks": int(cfg.model_blocks),
            "n_stages": int(cfg.model_stages), "head_width": int(cfg.head_width), "n_classes": 2}


def model_from_spec(spec: Mapping[str, Any]) -> nn.Module:
    """Rebuild a network (random weights) from :func:`model_spec`'s dictionary."""
    full = dict(spec)
    kwargs = dict(full)
    name = kwargs.pop("model", None)
    if name == "resnet50":
        model = paper_resnet50(**kwargs)
    elif name == "compact":
        model = compact_resnet(**kwargs)
    elif name == "dsnet":
        model = DSNet(**kwargs)
    else:
        raise ConfigError(f"unknown model {name!r}; use one of {', '.join(MODELS)}")
    model.spec = full  # so a trained network can be saved and rebuilt without its profile
    return model


def build_model(cfg: Any) -> nn.Module:
    """The network a profile asks for (``cfg.model``: ``"compact"`` or ``"resnet50"``).

    The weights are drawn from torch's global generator: seed it first for a reproducible
    initialisation (``galbias.methods.train`` does).
    """
    return model_from_spec(model_spec(cfg))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def load_model(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Load a ``models/<name>.pt`` written by ``galbias.methods.train``: (network in eval mode, metadata)."""
    try:
        blob = torch.load(path, map_location=map_location, weights_only=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} does not exist: run the training chapter (04) first") from None
    if not isinstance(blob, dict) or "state_dict" not in blob or "spec" not in blob:
        raise ValueError(f"{path} is not a model file written by galbias.train")
    model = model_from_spec(blob["spec"])
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, blob.get("meta", {})
