"""GradCAM throughput (chapter 8): maps per second for a profile's network and image size.

    python benchmarks/bench_gradcam.py [--profile demo] [--quick] [--n 1024] [--batch-size 64]
                                       [--device cpu|cuda] [--threads 1] [--set model_width=24 ...]

The network is built with :func:`galbias.models.build_model` for the profile (random
weights: the speed does not depend on them) and explained on random uint8 images of the
profile's size, read from a memory-mapped array through ``rows`` as chapter 8 does.  Prints
maps/s (from the median time per batch over ``--repeats`` rounds after a warm-up round, the
methods taking turns batch by batch so that a loaded machine slows them alike) for

- **ours**: :func:`galbias.mgradcam.gradcam_maps` as chapter 8 calls it -- the library's
  ``GradCAM`` at the layer's resolution, receptive-field-aligned upsampling, and gradients
  that stop at the target layer;
- **ours, library resize**: the same with ``align="library"`` (the library's OpenCV resize);
- **plain library**: ``pytorch_grad_cam.GradCAM`` on the batch and nothing else (full
  backward pass through every layer, library resize);
- **inference**: forward passes only, for scale;

and an extrapolation to the chapter's work: three networks x ``--n-test`` test galaxies.
``--quick`` explains fewer images in one round.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from galbias.methods import gradcam as mgradcam
from galbias.results import gradcam as rgradcam
from galbias.compendium.config import get_profile
from galbias.data.cache import to_float
from galbias.methods.models import build_model, count_parameters, target_layer
from galbias.methods.train import select_device, usable_cores


def parse_overrides(items: list[str]) -> dict:
    """``key=value`` items, values parsed as the command line's ``--set`` does."""
    from galbias.compendium.runner import parse_value

    return {k: parse_value(v) for k, _, v in (item.partition("=") for item in items)}


def interleaved_rates(fns: dict, batch_size: int, n_batches: int, repeats: int) -> dict[str, float]:
    """Images/s of each ``fns[name](batch_index)``, from the median time per batch.

    The methods take turns batch by batch (the order rotating), so that other processes
    loading the machine slow them all alike; the first round is warm-up.
    """
    names = list(fns)
    times: dict[str, list[float]] = {k: [] for k in names}
    for r in range(repeats + 1):
        for b in range(n_batches):
            k0 = (r * n_batches + b) % len(names)
            for name in names[k0:] + names[:k0]:
                t = time.perf_counter()
                fns[name](b)
                if r:
                    times[name].append(time.perf_counter() - t)
    return {k: batch_size / float(np.median(v)) for k, v in times.items()}


def plain_library_batch(model, x: torch.Tensor, targets: np.ndarray) -> None:
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    with GradCAM(model=model, target_layers=[target_layer(model)]) as cam:
        cam(input_tensor=x, targets=[ClassifierOutputTarget(int(c)) for c in targets])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="demo")
    p.add_argument("--quick", action="store_true", help="fewer images, one timed round")
    p.add_argument("--n", type=int, default=None, help="images per round (default 512, quick 256)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=None, help="timed rounds (default 3, quick 1)")
    p.add_argument("--n-test", type=int, default=2_000, help="test galaxies for the extrapolation (demo: ~2,000)")
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: torch's). On a machine whose cores other jobs are using, "
                        "1 thread can be several times faster than 2 (OpenMP workers wait on each other)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a profile field")
    args = p.parse_args()

    cfg = get_profile(args.profile, **parse_overrides(args.set))
    n = args.n or (256 if args.quick else 512)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = select_device(args.device)
    size = cfg.image_crop or cfg.image_size
    torch.manual_seed(0)
    model = build_model(cfg).to(device).eval()
    rng = np.random.default_rng(0)
    targets = rng.integers(0, 2, n)
    print(f"profile {cfg.name}: model {cfg.model} ({count_parameters(model):,} parameters), {size} px images, "
          f"batch {args.batch_size}, {n} images, device {device}, torch threads {torch.get_num_threads()} "
          f"(usable cores {usable_cores()})")
    print(f"target layer output {mgradcam.feature_size(model, (size, size))} px; receptive-field stride/offset "
          f"{mgradcam.receptive_field_geometry(model)}; library resize offset "
          f"{mgradcam.library_offset(model, (size, size)):.1f} px")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cache.npy"
        arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, size, size, 3))
        arr[:] = rng.integers(0, 256, arr.shape, dtype=np.uint8)
        arr.flush()
        del arr
        images = np.load(path, mmap_mode="r")
        rows = rng.permutation(n)  # scattered rows, as the test galaxies are in the cache

        bs = args.batch_size
        n_batches = max(1, n // bs)
        sl = [slice(b * bs, (b + 1) * bs) for b in range(n_batches)]

        def batch_float(b: int) -> torch.Tensor:
            r = np.sort(rows[sl[b]])
            return to_float(torch.from_numpy(np.array(images[r])).to(device))

        def inference(b: int) -> None:
            with torch.no_grad():
                model(batch_float(b))

        fns = {
            "ours": lambda b: mgradcam.gradcam_maps(model, images, targets[sl[b]], bs, rows=rows[sl[b]],
                                                   device=device),
            "ours, library resize": lambda b: mgradcam.gradcam_maps(model, images, targets[sl[b]], bs,
                                                                   rows=rows[sl[b]], device=device,
                                                                   align="library"),
            "plain library": lambda b: plain_library_batch(model, batch_float(b), targets[sl[b]]),
            "inference": inference,
        }
        rates = interleaved_rates(fns, bs, n_batches, repeats)
        del images

    print(f"{'':22s}{'maps/s':>10s}")
    for k, v in rates.items():
        print(f"{k:22s}{v:10.0f}")
    print(f"ours / plain library = {rates['ours'] / rates['plain library']:.2f}x")
    print(f"extrapolated: 3 networks x {args.n_test:,} test galaxies = "
          f"{3 * args.n_test / rates['ours']:.0f} s for chapter 8's maps")


if __name__ == "__main__":
    main()
