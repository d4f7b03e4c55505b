"""GradCAM localisation maps, their class averages and radial profiles (chapter 8).

GradCAM (Selvaraju et al. 2017) weights the feature maps of a convolutional layer by the
spatially averaged gradient of one class score with respect to them, sums over channels,
keeps the positive part and upsamples the result to the image size.  The paper (§5.4.4,
Figs 12-14) applies it to the last convolutional block of each network, with the class
*predicted* for each galaxy as the target, averages the maps over all test galaxies
predicted disk (and, separately, smooth) and plots the mean intensity against the distance
from the image centre.

- :func:`gradcam_maps` - GradCAM maps of a batch of images for one model, computed with the
  ``pytorch-grad-cam`` library (``GradCAM`` as a context manager, so its hooks are always
  removed; ``ClassifierOutputTarget`` = the logit of the target class), in minibatches,
  optionally written straight into a preallocated (memory-mapped) array.
- :func:`write_gradcam` - the same, written atomically to ``gradcam/<model>_maps.npy``
  (float16) with a manifest, and reused while the model, images and targets are unchanged.
- :func:`receptive_field_geometry`, :func:`upsample_aligned`, :func:`library_offset` - where
  a cell of the coarse map belongs in the image (see below).

Conventions (documented here because they shape what the averages mean): as in the library,
every map is min-max normalised *per galaxy* to [0, 1] and bilinearly upsampled from the
resolution of the target layer (4x4 px for the smoke profile, 8x8 for the demo, 7x7 for the
paper's ResNet50 on 207-px crops) to the image size.  The upsampling is ours by default
(``align="receptive_field"``): the library's OpenCV resize puts feature cell j at the centre of
the j-th block of H/h pixels, but with zero-padded stride-2 convolutions the cell is centred on
pixel ``S * j + O`` (:func:`receptive_field_geometry`), so the library's maps come out shifted
down and to the right (:func:`library_offset`: 3.5 px on the 32- and 64-px images of the CPU
profiles, 7 px for ResNet50 on 207 px) -- enough to turn a centred blob into an off-centre
one, and into a ring in a radial profile.  ``align="library"`` gives the library's maps
unchanged.  The images are prepared exactly as for training and prediction: uint8 ->
float / 255, channels first, no augmentation.

Only the target layer's parameters keep ``requires_grad`` during the computation, so the
backward pass stops at that layer (GradCAM needs no gradient further down); the flags and the
model's train/eval mode are restored afterwards.  On the CPU the computation uses as many torch
threads as training (:func:`galbias.methods.train.usable_cores`, i.e. ``$GALBIAS_THREADS`` when
set), and the previous thread count is restored afterwards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..core import artifacts
from ..data.cache import to_float

__all__ = ["ALIGNMENTS", "feature_size", "gradcam_maps", "library_offset", "receptive_field_geometry",
           "upsample_aligned", "write_gradcam"]


# --- computing the maps -------------------------------------------------------------------------

@contextlib.contextmanager
def _grad_only_through(model: nn.Module, layer: nn.Module) -> Iterator[None]:
    """Let only ``layer``'s parameters require gradients; restore flags and mode on exit."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    keep = {id(p) for p in layer.parameters()}
    was_training = model.training
    try:
        for p, _ in flags:
            p.requires_grad_(id(p) in keep)
        yield
    finally:
        for p, f in flags:
            p.requires_grad_(f)
        model.train(was_training)
        model.zero_grad(set_to_none=True)


@contextlib.contextmanager
def _cpu_threads(device: torch.device) -> Iterator[None]:
    """On the CPU, run with :func:`~galbias.methods.train.usable_cores` torch threads; restore after."""
    if device.type != "cpu":
        yield
        return
    from .train import usable_cores

    old = torch.get_num_threads()
    torch.set_num_threads(usable_cores())
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _as_float_batch(images: Any, start: int, stop: int, device: torch.device) -> torch.Tensor:
    """Rows ``start:stop`` as a float (B, 3, H, W) tensor in [0, 1] on ``device``."""
    chunk = images[start:stop]
    if isinstance(chunk, torch.Tensor):
        t = chunk
    else:
        ok = isinstance(chunk, np.ndarray) and chunk.flags.writeable and chunk.flags.c_contiguous
        t = torch.from_numpy(chunk if ok else np.array(chunk))  # a copy of read-only memory-map slices
    if t.dtype == torch.uint8:
        if t.ndim != 4 or t.shape[-1] != 3:
            raise ValueError(f"uint8 images must be (N, H, W, 3), got {tuple(t.shape)}")
        return to_float(t.to(device), channels_last=True)
    if t.ndim != 4 or t.shape[1] != 3:
        raise ValueError(f"float images must be (N, 3, H, W) in [0, 1], got {tuple(t.shape)}")
    return t.to(device, torch.float32)


class _Rows:
    """``images[rows]`` without copying: slices gather the rows (in increasing order) on demand."""

    def __init__(self, images: Any, rows: np.ndarray) -> None:
        self.images = images
        self.rows = np.asarray(rows, dtype=np.int64)
        if self.rows.ndim != 1 or (self.rows.size and (self.rows.min() < 0 or self.rows.max() >= len(images))):
            raise IndexError(f"rows must be positions in [0, {len(images)})")
        self.shape = (len(self.rows), *tuple(images.shape[1:]))
        self.dtype = images.dtype

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: slice) -> Any:
        r = self.rows[key]
        if isinstance(self.images, torch.Tensor):
            return self.images[torch.from_numpy(r)]
        order = np.argsort(r, kind="stable")
        chunk = np.empty((len(r), *self.shape[1:]), dtype=self.dtype)
        chunk[order] = self.images[r[order]]
        return chunk


def _image_hw(images: Any) -> tuple[int, int]:
    shape = tuple(images.shape)
    if len(shape) != 4:
        raise ValueError(f"images must be a 4-d batch, got shape {shape}")
    is_u8 = images.dtype == torch.uint8 if isinstance(images.dtype, torch.dtype) else np.dtype(images.dtype) == np.uint8
    return (shape[1], shape[2]) if is_u8 else (shape[2], shape[3])


# --- where a feature cell sits in the image ----------------------------------------------------------

#: sub-modules that form a residual block's shortcut (not on the main path of the receptive field)
_SHORTCUT_NAMES = ("shortcut", "downsample")


def receptive_field_geometry(model: nn.Module, layer: nn.Module | None = None) -> tuple[float, float]:
    """(stride S, offset O): cell j of ``layer``'s output is centred on input pixel ``S * j + O``.

    Composed from the kernel, stride and padding of the convolutions and pooling layers on
    the main path up to the end of ``layer``, in the order the modules are registered (which
    is the order of the forward pass for :mod:`galbias.models`' networks and torchvision's
    ResNets; shortcut/downsample branches are skipped -- in those networks they are centred
    on the same pixels).  Each layer maps output ``i`` to input ``s * i - p + d * (k - 1) / 2``.
    Square kernels and equal strides along both axes are assumed (they are, here).
    Pixel centres are at integer coordinates: for the compact ResNet S = 8 and O = 0, for
    ResNet50's last block S = 32 and O = 0.
    """
    if layer is None:
        from .models import target_layer

        layer = target_layer(model)
    inside = {id(m) for m in layer.modules()}
    skip: set[int] = set()
    for name, m in model.named_modules():
        if name.split(".")[-1] in _SHORTCUT_NAMES:
            skip |= {id(x) for x in m.modules()}
    S, O = 1.0, 0.0
    seen_layer = False

    def first(v: Any) -> float:
        return float(v[0] if isinstance(v, (tuple, list)) else v)

    for m in model.modules():
        if id(m) in inside:
            seen_layer = True
        elif seen_layer:
            break  # past the end of the target layer
        if id(m) in skip:
            continue
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            k, st, pad = first(m.kernel_size), first(m.stride), first(m.padding)
            dil = first(getattr(m, "dilation", 1))
            # output i -> input st*i - pad + dil*(k-1)/2 (pixel coordinates of this layer's input)
            O = O + S * (-pad + dil * (k - 1) / 2)
            S = S * st
    if not seen_layer:
        raise ValueError("the target layer is not a sub-module of the model")
    return S, O


def library_offset(model: nn.Module, image_hw: tuple[int, int], layer: nn.Module | None = None) -> float:
    """Pixels by which ``pytorch-grad-cam``'s own upsampling misplaces the central feature cell.

    The library resizes the (h, w) map to the image with OpenCV, which puts cell j at pixel
    ``(j + 0.5) * H / h - 0.5``; the cell is really centred at ``S * j + O``
    (:func:`receptive_field_geometry`).  Positive = shifted down/right.
    """
    h_img = image_hw[0]
    h_feat = feature_size(model, image_hw, layer)[0]
    S, O = receptive_field_geometry(model, layer)
    j = h_feat // 2
    return float((j + 0.5) * h_img / h_feat - 0.5 - (S * j + O))


def upsample_aligned(cams: np.ndarray, image_hw: tuple[int, int], stride: float, offset: float) -> np.ndarray:
    """Bilinear upsampling of (B, h, w) cell maps that puts cell j at image pixel ``stride * j + offset``.

    Pixels beyond the outermost cell centres take the edge value.  Each result is min-max
    normalised to [0, 1] again (as the library does after its resize).
    """
    import torch.nn.functional as F

    c = torch.as_tensor(np.asarray(cams, dtype=np.float32))[:, None]
    b, _, h, w = c.shape
    H, W = image_hw

    def coord(n_out: int, n_cells: int) -> torch.Tensor:
        u = (torch.arange(n_out, dtype=torch.float32) - offset) / stride  # in cell units
        return torch.zeros(n_out) if n_cells == 1 else 2 * u / (n_cells - 1) - 1  # align_corners=True

    gy, gx = coord(H, h), coord(W, w)
    grid = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), dim=-1)  # (H, W, 2): x then y
    up = F.grid_sample(c, grid.expand(b, H, W, 2), mode="bilinear", padding_mode="border", align_corners=True)[:, 0]
    lo = up.amin(dim=(1, 2), keepdim=True)
    up = up - lo
    return (up / (up.amax(dim=(1, 2), keepdim=True) + 1e-7)).numpy()


def _feature_grid_cam_class():
    """A ``pytorch_grad_cam.GradCAM`` that returns the maps at the target layer's resolution."""
    from pytorch_grad_cam import GradCAM

    class FeatureGridGradCAM(GradCAM):
        # the library resizes each map to ``get_target_width_height``; ``None`` skips the resize
        def get_target_width_height(self, input_tensor: torch.Tensor) -> None:  # type: ignore[override]
            return None

    return FeatureGridGradCAM


ALIGNMENTS = ("receptive_field", "library")


def _target_classes(target_classes: Sequence[int] | np.ndarray | None, n: int) -> np.ndarray | None:
    """:func:`gradcam_maps`'s checked target classes (None: the predicted class)."""
    if target_classes is None:
        return None
    tc = np.asarray(target_classes).astype(np.int64)
    if tc.shape != (n,):
        raise ValueError(f"target_classes must have one entry per image ({n}), got shape {tc.shape}")
    if n and tc.min() < 0:  # a negative index would silently pick the last class
        raise ValueError(f"target classes must be >= 0, got {int(tc.min())}")
    return tc


def _output(out: np.ndarray | None, shape: tuple[int, int, int]) -> np.ndarray:
    """The array :func:`gradcam_maps` fills: ``out`` when given (checked), else a new float32 one."""
    if out is None:
        return np.empty(shape, dtype=np.float32)
    if out.shape != shape:
        raise ValueError(f"out must have shape {shape}, got {out.shape}")
    return out


def gradcam_maps(model: nn.Module, images: Any, target_classes: Sequence[int] | np.ndarray | None = None,
                 batch_size: int = 64, layer: nn.Module | None = None, device: str | torch.device | None = None,
                 out: np.ndarray | None = None, rows: np.ndarray | None = None, align: str = "receptive_field",
                 progress: bool = False) -> np.ndarray:
    """GradCAM maps (N, H, W) in [0, 1] of ``images`` for ``model``, one per image.

    Parameters
    ----------
    model : a network of :mod:`galbias.models` (or any classifier with a convolutional layer)
    images : uint8 (N, H, W, 3) as in the image cache (a memory map is read batch by batch),
        or float (N, 3, H, W) already in [0, 1]
    target_classes : the class whose logit is explained for each image (0 = smooth,
        1 = disk); ``None`` = the class the model predicts (argmax of its logits)
    batch_size : images per forward/backward pass
    layer : the layer to explain (default :func:`galbias.models.target_layer`: the last
        convolutional block)
    device : default: the device of the model's parameters
    out : optional preallocated (N, H, W) array (e.g. a float16 memory map) to fill
    rows : explain only ``images[rows]`` (in that order; N = ``len(rows)``), read batch by batch
        (so the test galaxies of a large memory-mapped cache are never all in memory)
    align : ``"receptive_field"`` (default): the library computes the maps at the layer's
        resolution and :func:`upsample_aligned` places each cell at the centre of its receptive
        field (:func:`receptive_field_geometry`); ``"library"``: the library's own OpenCV
        resize, which assumes cell j covers pixels ``[j H/h, (j+1) H/h)`` -- with padded,
        strided convolutions that shifts every map down and right (:func:`library_offset`)
    progress : show a progress bar
    """
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    if align not in ALIGNMENTS:
        raise ValueError(f"align must be one of {ALIGNMENTS}, got {align!r}")

    if layer is None:
        from .models import target_layer

        layer = target_layer(model)
    if rows is not None:
        images = _Rows(images, rows)
    n = len(images)
    h, w = _image_hw(images)
    tc = _target_classes(target_classes, n)
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    model.to(dev)
    out = _output(out, (n, h, w))
    if n == 0:
        return out
    batch_size = max(1, int(batch_size))
    from tqdm import tqdm

    bar = tqdm(total=n, desc="GradCAM", unit="img", disable=not progress, leave=False)
    done = 0
    if align == "receptive_field":
        cam_class = _feature_grid_cam_class()
        stride, offset = receptive_field_geometry(model, layer)
    else:
        cam_class = GradCAM
    with _cpu_threads(dev), _grad_only_through(model, layer):
        # the context manager removes GradCAM's hooks however the block ends.  Its __exit__
        # swallows IndexError, hence the check on ``done`` after the block.
        with cam_class(model=model, target_layers=[layer]) as cam:
            with torch.enable_grad():
                for s in range(0, n, batch_size):
                    e = min(n, s + batch_size)
                    x = _as_float_batch(images, s, e, dev)
                    targets = None if tc is None else [ClassifierOutputTarget(int(c)) for c in tc[s:e]]
                    maps = cam(input_tensor=x, targets=targets)
                    if align == "receptive_field":
                        maps = upsample_aligned(maps, (h, w), stride, offset)
                    out[s:e] = maps
                    cam.activations_and_grads.clear()
                    done = e
                    bar.update(e - s)
    bar.close()
    if done != n:
        raise RuntimeError(f"GradCAM stopped after {done} of {n} images (an IndexError inside pytorch-grad-cam; "
                           "check target_classes and the target layer)")
    return out


def write_gradcam(path: str | os.PathLike, model: nn.Module, images: Any, target_classes: np.ndarray,
                  ids: np.ndarray, model_path: str | os.PathLike | None = None, cache_fingerprint: str = "",
                  rows: np.ndarray | None = None, batch_size: int = 64, device: str | torch.device | None = None,
                  align: str = "receptive_field", force: bool = False, progress: bool = False) -> np.ndarray:
    """Compute GradCAM maps into ``path`` (float16 ``.npy``, atomic, with a manifest); return them.

    Reused (opened read-only as a memory map) when a manifest shows the same galaxies
    (``ids``), targets, image cache and model file; otherwise recomputed.  ``rows`` selects
    the images (see :func:`gradcam_maps`); ``ids`` names them.  The maps are
    streamed into a memory map in a temporary file, so the paper-sized array (12,192 maps of
    207 x 207) never has to fit in memory.
    """
    path = Path(path)
    ids = np.asarray(ids)
    tc = np.asarray(target_classes).astype(np.int64)
    params = {"ids_targets_sha256": artifacts.array_hash(ids, tc), "cache": cache_fingerprint, "n": int(len(ids)),
              "layer": "last convolutional block", "align": align,
              "method": "GradCAM (pytorch-grad-cam), target = given class"}
    inputs = {"model": model_path} if model_path is not None else None
    if not force and artifacts.is_fresh(path, params, inputs, code="gradcam"):
        maps = np.load(path, mmap_mode="r")
        if maps.shape[0] == len(ids):
            return maps
    h, w = _image_hw(images if rows is None else _Rows(images, rows))
    n_img = len(images) if rows is None else len(rows)
    if n_img != len(ids):
        raise ValueError(f"ids has {len(ids)} entries for {n_img} images")
    artifacts.manifest_path(path).unlink(missing_ok=True)
    with artifacts.atomic_path(path, suffix=".npy") as tmp:
        mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(len(ids), h, w))
        gradcam_maps(model, images, tc, batch_size=batch_size, device=device, out=mm, rows=rows, align=align,
                     progress=progress)
        mm.flush()
        del mm
    artifacts.write_manifest(path, params, inputs, code="gradcam", shape=[len(ids), h, w])
    return np.load(path, mmap_mode="r")


def feature_size(model: nn.Module, image_hw: tuple[int, int], layer: nn.Module | None = None) -> tuple[int, int]:
    """Spatial size (h, w) of the output of ``layer`` (default: the last block) for one image."""
    if layer is None:
        from .models import target_layer

        layer = target_layer(model)
    got: list[tuple[int, int]] = []
    handle = layer.register_forward_hook(lambda m, i, o: got.append(tuple(o.shape[-2:])))
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            dev = next(model.parameters()).device
            model(torch.zeros(1, 3, *image_hw, device=dev))
    finally:
        handle.remove()
        model.train(was_training)
    return got[0]
