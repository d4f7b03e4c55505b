"""Training-step and image-loader throughput for a profile's network (chapter 4).

    python benchmarks/bench_train.py [--profile demo] [--quick] [--end-to-end]
                                     [--set model_width=24 --set batch_size=64 ...]

Prints, for the profile's network, image size and batch size:

- **train**: images/s of a full training step (forward, DDB loss, backward, AdamW step) on
  random images, after warm-up;
- **eval**: images/s of inference (validation and prediction);
- **loader**: images/s of the input pipeline as training uses it -- minibatches gathered
  from a uint8 memory-mapped cache in shuffled order, augmented with random flips/quarter
  turns and converted to float -- and its ratio to the training step (target: >= 5x);
- **decode**: images/s of building the cache from JPEG files (a one-off cost per run);
- an *extrapolated* wall time for the book's three trainings (CE on GZ2B, CE on GZ2D, DDB
  on GZ2B) at the profile's epochs, from the measured rates and the sizes given by
  ``--n-train`` / ``--n-val`` (defaults: the demo's ~15,000 / 2,000).

Train, eval and loader are timed in alternation, one batch each per round, and the rates
come from the median batch times, so their ratio stays fair on a machine where other
processes come and go.  Set ``GALBIAS_THREADS`` to choose the torch CPU threads.

``--end-to-end`` *measures* that instead: it writes a synthetic survey of that size
(random-blob JPEGs), then runs :func:`galbias.train.train_model` three times exactly as
chapter 4 does (slow: minutes).  ``--quick`` uses fewer steps and images.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from galbias.compendium.config import get_profile
from galbias.data.cache import CachedImages, build_cache
from galbias.methods.losses import ddb_nll
from galbias.methods.models import build_model, count_parameters
from galbias.data.cache import random_codes
from galbias.methods.train import EpochBatchSampler, make_loader, prepare_images, select_device, usable_cores


def parse_overrides(items: list[str]) -> dict:
    """``key=value`` items, values parsed as the command line's ``--set`` does."""
    from galbias.compendium.runner import parse_value

    return {k: parse_value(v) for k, _, v in (item.partition("=") for item in items)}


def make_cache_file(path: Path, n: int, size: int) -> Path:
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, size, size, 3))
    rng = np.random.default_rng(0)
    for s in range(0, n, 1024):
        arr[s:s + 1024] = rng.integers(0, 256, (min(1024, n - s), size, size, 3), dtype=np.uint8)
    arr.flush()
    del arr
    return path


def bench_step_and_loader(cfg, size: int, rounds: int, n_cache: int, device: torch.device,
                          workdir: Path) -> tuple[float, float, float]:
    """Images/s of the training step, of inference and of the loader, measured in alternation.

    Each round times one training step, one loader batch and (every other round) one
    inference batch; the rates come from the median times.  Alternating puts both under the
    same conditions, so their ratio stays meaningful on a machine shared with other work.
    """
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    model = build_model(cfg).to(device, memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    b = cfg.batch_size
    x = prepare_images(torch.randint(0, 256, (b, size, size, 3), dtype=torch.uint8), device)
    y = torch.randint(0, 2, (b,), device=device)
    alpha = torch.rand(b, device=device) * 40
    eb = max(b, 256)
    xe = prepare_images(torch.randint(0, 256, (eb, size, size, 3), dtype=torch.uint8), device)
    amp = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
           else torch.autocast("cpu", enabled=False))

    def train_step():
        model.train()
        with amp:
            logits = model(x)
        loss = ddb_nll(logits.float(), y, alpha, 11.25)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def eval_step():
        model.eval()
        with torch.no_grad(), amp:
            model(xe)

    path = make_cache_file(workdir / "bench_cache.npy", n_cache, size)
    ds = CachedImages(path, labels=np.zeros(n_cache, np.int64), alpha=np.ones(n_cache, np.float32))
    sampler = EpochBatchSampler(n_cache, b, shuffle=True, seed=0, drop_last=True)
    loader = make_loader(ds, sampler, cfg.num_workers, device.type == "cuda")
    gen = torch.Generator().manual_seed(0)
    state = {"epoch": 0, "it": None}

    def load_step():
        batch = next(state["it"], None) if state["it"] is not None else None
        if batch is None:
            sampler.set_epoch(state["epoch"])
            state["epoch"] += 1
            state["it"] = iter(loader)
            batch = next(state["it"])
        prepare_images(batch.images, device, random_codes(len(batch.labels), gen))
        batch.labels.to(device), batch.alpha.to(device)

    def timed(fn) -> float:
        sync()
        t = time.perf_counter()
        fn()
        sync()
        return time.perf_counter() - t

    for fn in (train_step, train_step, eval_step, load_step, load_step):  # warm-up
        fn()
    t_train, t_eval, t_load = [], [], []
    for r in range(rounds):
        t_train.append(timed(train_step))
        t_load.append(timed(load_step))
        if r % 2 == 0:
            t_eval.append(timed(eval_step))
    return b / np.median(t_train), eb / np.median(t_eval), b / np.median(t_load)


def write_survey(root: Path, n: int, size: int, seed: int = 0) -> pd.DataFrame:
    """Random galaxy-like blobs as JPEGs (class = colour), in the labels.parquet layout."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    truth = rng.integers(0, 2, n)
    alpha = 10 ** rng.normal(1.25, 0.27, n)
    locs = []
    for i in range(n):
        w = size / 16 * (0.5 + alpha[i] / 20)
        q, phi = rng.uniform(0.3, 1), rng.uniform(0, np.pi)
        u = xx * np.cos(phi) + yy * np.sin(phi)
        v = (-xx * np.sin(phi) + yy * np.cos(phi)) / q
        col = np.array([90, 140, 220.0]) if truth[i] else np.array([220, 150, 90.0])
        img = col * np.exp(-(u**2 + v**2) / (2 * w**2))[..., None] + rng.normal(0, 8, (size, size, 3))
        loc = f"images/{i:06d}.jpg"
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(root / loc, quality=90)
        locs.append(loc)
    theta = 11.25
    observed = np.where((truth == 1) & (rng.random(n) < np.exp(-alpha**2 / (2 * theta**2))), 0, truth)
    return pd.DataFrame({"id": np.arange(n, dtype=np.int64), "alpha": alpha, "gz2b": observed, "gz2d": truth,
                         "truth": truth, "file_loc": locs})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="demo")
    p.add_argument("--quick", action="store_true", help="fewer steps and images")
    p.add_argument("--end-to-end", action="store_true", help="measure the three trainings on a synthetic survey")
    p.add_argument("--n-train", type=int, default=15_000)
    p.add_argument("--n-val", type=int, default=2_000)
    p.add_argument("--device", default=None)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a profile field")
    args = p.parse_args()

    cfg = get_profile(args.profile, **parse_overrides(args.set))
    device = select_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(usable_cores())
    size = cfg.image_crop or cfg.image_size
    steps = 8 if args.quick else 30
    print(f"profile {cfg.name}: model {cfg.model} (width {cfg.model_width}, stages {cfg.model_stages}, "
          f"blocks {cfg.model_blocks}, head {cfg.head_width}; {count_parameters(build_model(cfg)) / 1e3:.0f}k "
          f"parameters), {size}x{size} px, batch {cfg.batch_size}, device {device} "
          f"({torch.get_num_threads()} threads)")

    with tempfile.TemporaryDirectory() as tmp:
        n_cache = 2_048 if args.quick else 8_192
        train_ips, eval_ips, loader_ips = bench_step_and_loader(cfg, size, steps, n_cache, device, Path(tmp))
        n_dec = 500 if args.quick else 2_000
        df = write_survey(Path(tmp) / "survey", n_dec, size)
        t = time.perf_counter()
        build_cache(df, Path(tmp) / "survey", Path(tmp) / "cache.npy", progress=False)
        decode_ips = n_dec / (time.perf_counter() - t)

    print(f"{'':10s}{'images/s':>12s}")
    print(f"{'train':10s}{train_ips:12.0f}   forward + DDB loss + backward + AdamW")
    print(f"{'eval':10s}{eval_ips:12.0f}   inference")
    print(f"{'loader':10s}{loader_ips:12.0f}   memmap -> shuffled batch -> flips/rotations -> float "
          f"({cfg.num_workers} workers)")
    print(f"{'decode':10s}{decode_ips:12.0f}   JPEG -> uint8 cache (once per run)")
    print(f"loader / train = {loader_ips / train_ips:.1f}x (target >= 5x)")
    per_model = cfg.epochs * (args.n_train / train_ips + args.n_val / eval_ips)
    print(f"extrapolated: {cfg.epochs} epochs x ({args.n_train} train + {args.n_val} val) = {per_model:.0f} s per "
          f"model, {3 * per_model / 60:.1f} min for the three models (without early stopping)")

    if args.end_to_end:
        from galbias.methods.train import train_model

        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            n_test = args.n_val
            n = args.n_train + args.n_val + n_test
            t = time.perf_counter()
            df = write_survey(root / "survey", n, size)
            df["split"] = np.array(["train"] * args.n_train + ["val"] * args.n_val + ["test"] * n_test)
            print(f"synthetic survey of {n} JPEGs written in {time.perf_counter() - t:.0f} s")
            t0 = time.perf_counter()
            cache = build_cache(df, root / "survey", root / "cache" / "images.npy", progress=False)
            print(f"cache built in {time.perf_counter() - t0:.1f} s")
            for name, col, loss in (("ce_gz2b", "gz2b", "ce"), ("ce_gz2d", "gz2d", "ce"), ("ddb", "gz2b", "ddb")):
                t = time.perf_counter()
                res = train_model(cfg, name, df, col, loss, theta=11.25 if loss == "ddb" else None, cache=cache,
                                  out_dir=root, progress=False)
                h = res.history[-1]
                print(f"{name:8s}: {res.epochs_run} epochs in {time.perf_counter() - t:.0f} s "
                      f"(best epoch {res.best_epoch}, val acc vs truth {h.get('val_acc_truth', float('nan')):.3f})")
            print(f"measured: cache + three trainings + predictions = {(time.perf_counter() - t0) / 60:.1f} min")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
