"""Training-step, inference and loader throughput, and how close the step is to the machine's limit.

    python benchmarks/bench_train.py [--quick] [--end-to-end] [--compile]

For every device present (the CPU; each CUDA GPU) and two networks -- the demo profile's compact
ResNet on 64-px images and the paper's ResNet50 + Dense(1024) on 207-px crops (a small batch on
the CPU) -- and both precisions the engine offers (``32-true``, ``bf16-mixed`` autocast, both
channels-last), it prints:

- **train img/s**: a full training step as the engine runs it (augment the uint8 batch, /255,
  forward, DDB loss, backward, AdamW step), median over timed rounds after warm-up;
- **eval img/s**: inference (validation and prediction);
- **loader img/s**: minibatches drawn by the engine's data module (``GalaxyData``: a
  ``DistributedSampler`` over a uint8 memory-mapped cache, batched gathering, pinned memory on
  a GPU) and moved to the device, and the loader/train ratio (target >= 5x);
- **GFLOP/s**: the step's floating-point operations (counted once with
  ``torch.utils.flop_counter``) times steps per second, and that as a fraction of a large
  matmul's GFLOP/s measured on the same device, in the same precision, in the same run.

``--end-to-end`` also trains the demo network through :func:`galbias.methods.engine.fit` on a
synthetic set for two epochs (Lightning's overhead included).  ``--compile`` adds a
``torch.compile`` row (meant for GPUs).  ``GALBIAS_THREADS`` sets the CPU threads.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from galbias.compendium.config import get_profile
from galbias.data.cache import CachedImages, augment_dihedral, random_codes, to_float
from galbias.methods import engine
from galbias.methods.losses import ddb_nll
from galbias.methods.models import build_model, count_parameters
from galbias.methods.train import usable_cores


def cpu_description() -> str:
    model, flags = platform.processor() or "unknown CPU", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model in ("", "unknown CPU", "x86_64"):
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    isa = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{model}; {usable_cores()} usable cores, {torch.get_num_threads()} torch threads; ISA: {', '.join(isa) or 'none listed'}"


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 runs natively: a CUDA GPU with bf16 support, or a CPU with AVX-512 BF16 / AMX.
    Elsewhere autocast emulates bf16 (about 10x slower than fp32 on an AVX2-only CPU), so the
    bf16 rows are skipped there."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_seconds(fn, device, rounds: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def matmul_gflops(device: torch.device, dtype: torch.dtype, n: int, rounds: int) -> float:
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    s = median_seconds(lambda: a @ b, device, rounds)
    return 2 * n**3 / s / 1e9


def step_functions(model, x_uint8, y, alpha, device, bf16: bool):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    codes = random_codes(len(y))
    ctx = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if bf16 else (lambda: torch.autocast(
        device.type, enabled=False))

    def train():
        x = to_float(augment_dihedral(x_uint8, codes), channels_last=True)
        with ctx():
            logits = model(x)
        loss = ddb_nll(logits.float(), y, alpha, 10.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def evaluate():
        with torch.no_grad(), ctx():
            model(to_float(x_uint8, channels_last=True))

    return train, evaluate


def step_flops(train) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        train()
    return float(counter.get_total_flops())


def loader_rate(cache_path: Path, n: int, batch: int, device: torch.device, rounds: int) -> float:
    data = engine.GalaxyData(CachedImages(cache_path, None, np.zeros(n, np.int64), np.ones(n, np.float32)),
                             batch_size=batch, pin_memory=device.type == "cuda")
    it = iter(data.train_dataloader())

    def one():
        nonlocal it
        try:
            b = next(it)
        except StopIteration:
            it = iter(data.train_dataloader())
            b = next(it)
        x = b.images.to(device, non_blocking=True)
        to_float(augment_dihedral(x, random_codes(len(x)).to(device)), channels_last=True)

    return batch / median_seconds(one, device, rounds)


def make_cache(path: Path, n: int, size: int) -> Path:
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, size, size, 3))
    rng = np.random.default_rng(0)
    for s in range(0, n, 256):
        arr[s:s + 256] = rng.integers(0, 256, (min(256, n - s), size, size, 3), dtype=np.uint8)
    arr.flush()
    del arr
    return path


def bench_network(label: str, cfg, size: int, batch: int, device: torch.device, rounds: int, tmp: Path,
                  peaks: dict[str, float], compiled: bool = False) -> list[dict]:
    rows = []
    n_cache = max(4 * batch, 512 if size <= 64 else 64)
    cache = make_cache(tmp / f"cache_{size}.npy", n_cache, size)
    rng = np.random.default_rng(1)
    x = torch.from_numpy(rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8)).to(device)
    y = torch.randint(0, 2, (batch,), device=device)
    alpha = torch.rand(batch, device=device) * 30 + 1
    load = loader_rate(cache, n_cache, batch, device, rounds)
    precisions = ["32-true"] + (["bf16-mixed"] if native_bf16(device) else [])
    for prec in precisions:
        torch.manual_seed(0)
        model = build_model(cfg).to(device, memory_format=torch.channels_last)
        if compiled:
            model = torch.compile(model)
        train, evaluate = step_functions(model, x, y, alpha, device, bf16=prec == "bf16-mixed")
        flops = step_flops(train)
        t_train = median_seconds(train, device, rounds)
        t_eval = median_seconds(evaluate, device, rounds)
        gflops = flops / t_train / 1e9
        peak = peaks["bf16" if prec == "bf16-mixed" else "fp32"]
        rows.append({"device": str(device), "network": label + (" (compiled)" if compiled else ""),
                     "params": count_parameters(model), "px": size, "batch": batch, "precision": prec,
                     "train img/s": batch / t_train, "eval img/s": batch / t_eval, "loader img/s": load,
                     "loader/train": load / (batch / t_train), "step GFLOP/s": gflops,
                     "matmul GFLOP/s": peak, "fraction of matmul": gflops / peak})
    return rows


def end_to_end(device: torch.device, tmp: Path, n: int, epochs: int) -> dict:
    cfg = get_profile("demo")
    cache = make_cache(tmp / "e2e.npy", n, cfg.image_size)
    rng = np.random.default_rng(2)
    ds = lambda rows: CachedImages(cache, rows, rng.integers(0, 2, len(rows)), np.full(len(rows), 10.0, np.float32))
    n_val = n // 10
    s = engine.FitSettings(epochs=epochs, batch_size=cfg.batch_size, patience=0, checkpoints=False,
                           accelerator="gpu" if device.type == "cuda" else "cpu")
    t = time.perf_counter()
    from galbias.methods.models import model_spec

    engine.fit("bench", model_spec(cfg), "ddb", ds(np.arange(n_val, n)), ds(np.arange(n_val)), s, theta=10.0,
               progress=False)
    seconds = time.perf_counter() - t
    return {"images": n - n_val, "epochs": epochs, "seconds": seconds, "img/s": (n - n_val) * epochs / seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--end-to-end", action="store_true")
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(usable_cores())
    rounds = 3 if args.quick else 8
    devices = [torch.device("cpu")] + [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    print(f"CPU: {cpu_description()}")
    for d in devices[1:]:
        print(f"GPU {d.index}: {torch.cuda.get_device_name(d)}")
    demo, paper = get_profile("demo"), get_profile("paper")
    rows = []
    with tempfile.TemporaryDirectory(prefix="galbias-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for d in devices:
            n = 1024 if args.quick else 2048
            peaks = {"fp32": matmul_gflops(d, torch.float32, n, rounds)}
            peaks["bf16"] = matmul_gflops(d, torch.bfloat16, n, rounds) if native_bf16(d) else float("nan")
            note = f"{peaks['bf16']:.0f} GFLOP/s (bf16)" if native_bf16(d) else "no native bf16: bf16 rows skipped"
            print(f"{d}: {n}x{n} matmul {peaks['fp32']:.0f} GFLOP/s (fp32), {note}", flush=True)
            cpu = d.type == "cpu"
            rows += bench_network("demo compact ResNet", demo, demo.image_size, demo.batch_size, d, rounds, tmp, peaks)
            rows += bench_network("paper ResNet50 + Dense(1024)", paper, paper.image_crop, 8 if cpu else 128, d,
                                  max(2, rounds // 2) if cpu else rounds, tmp, peaks)
            if args.compile and not cpu:
                rows += bench_network("paper ResNet50 + Dense(1024)", paper, paper.image_crop, 128, d, rounds, tmp,
                                      peaks, compiled=True)
        import pandas as pd

        pd.set_option("display.width", 250)
        pd.set_option("display.max_columns", 30)
        table = pd.DataFrame(rows)
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.3g}" if abs(v) < 10 else f"{v:,.0f}"))
        if args.end_to_end:
            for d in devices:
                r = end_to_end(d, tmp, 2000 if args.quick else 6000, 2)
                print(f"{d}: engine.fit, demo network, {r['images']:,} images x {r['epochs']} epochs: "
                      f"{r['seconds']:.1f} s = {r['img/s']:,.0f} img/s (validation and Lightning included)")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
