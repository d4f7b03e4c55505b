"""Throughput of the simulated survey (galbias.mock).

Prints a small table:

- the per-galaxy work of one shard in a single process (render survey + high-resolution
  views, measure the Sérsic morphology, encode and write both JPEGs) at 64 px, as
  galaxies per second per core, with the time split by stage;
- the wall time of the whole demo survey (25,000 objects, all cores), from an empty
  folder, and of a rerun that finds everything done.

Usage::

    python benchmarks/bench_mock.py           # full: includes the whole demo survey
    python benchmarks/bench_mock.py --quick   # per-core throughput only, fewer galaxies
    python benchmarks/bench_mock.py --dir data/runs   # write the images where a real run does

Target (DESIGN.md): >= 1,000 galaxies/s per core at 64 px; demo survey < 1 min on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def create_cost_us(folder: Path, n: int = 300) -> float:
    """Microseconds to create (and write 2.5 kB to) one file in ``folder``: file systems
    differ by 100x here (watched or network folders are slow), so it is printed too."""
    d = Path(tempfile.mkdtemp(prefix="bench_files_", dir=folder))
    data = os.urandom(2500)
    try:
        t0 = time.perf_counter()
        for i in range(n):
            with open(d / f"{i}.jpg", "wb") as f:
                f.write(data)
        return (time.perf_counter() - t0) / n * 1e6
    finally:
        shutil.rmtree(d, ignore_errors=True)


def per_core(n: int, scratch: Path) -> dict[str, float]:
    from galbias.compendium.config import get_profile
    from galbias.mock import measure, profiles, render
    from galbias.mock.population import draw_population
    from galbias.mock.survey import BATCH

    cfg = get_profile("demo", n_galaxies=n, image_size=64, hires_size=64)
    pop = draw_population(cfg)
    profiles.tables()
    measure._templates()
    render._normal_table()
    arrays = render.as_params(pop)
    rng = np.random.default_rng(0)
    times = {"render": 0.0, "measure": 0.0, "rgb": 0.0, "jpeg encode": 0.0, "file write": 0.0}
    out = Path(tempfile.mkdtemp(prefix="bench_mock_", dir=scratch))
    try:
        with profiles.single_thread():
            t_all, cpu_all = time.perf_counter(), time.process_time()
            for s in range(0, n, BATCH):
                b = {k: v[s:s + BATCH] for k, v in arrays.items()}
                t0 = time.perf_counter()
                v = render.render_batch(b, 64, cfg.image_fov_r90, rng, 64)
                t1 = time.perf_counter()
                measure.measure_batch(v.survey[:, 1], v.psf_px, v.noise[:, 1], v.pixscale)
                t2 = time.perf_counter()
                rgb_s, rgb_h = render.to_rgb(v.survey), render.to_rgb(v.hires)
                t3 = time.perf_counter()
                blobs = [(f"{oid}_{tag}.jpg", render.encode_jpeg(rgb, cfg.jpeg_quality))
                         for j, oid in enumerate(b["dr7objid"]) for tag, rgb in (("s", rgb_s[j]), ("h", rgb_h[j]))]
                t4 = time.perf_counter()
                for name, blob in blobs:
                    with open(out / name, "wb") as f:
                        f.write(blob)
                t5 = time.perf_counter()
                times["render"] += t1 - t0
                times["measure"] += t2 - t1
                times["rgb"] += t3 - t2
                times["jpeg encode"] += t4 - t3
                times["file write"] += t5 - t4
            total = time.perf_counter() - t_all
            cpu = time.process_time() - cpu_all
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"n": n, "total_s": total, "cpu_s": cpu, **times}


def full_demo(scratch: Path) -> tuple[float, float]:
    from galbias.compendium.config import get_profile
    from galbias.mock import simulate_survey

    cfg = get_profile("demo")
    out = Path(tempfile.mkdtemp(prefix="bench_mock_demo_", dir=scratch))
    try:
        t0 = time.perf_counter()
        simulate_survey(cfg, out, progress=False)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        simulate_survey(cfg, out, progress=False)
        rerun = time.perf_counter() - t0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return first, rerun


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="per-core throughput on 2,000 galaxies only")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                    help="scratch folder for the images (default: the system's temporary folder)")
    args = ap.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    n = 2_000 if args.quick else 10_000
    print(f"scratch folder {args.dir}: {create_cost_us(args.dir):.0f} us to create one small file\n")
    r = per_core(n, args.dir)
    print(f"{'stage':<28}{'us/galaxy':>12}")
    for k in ("render", "measure", "rgb", "jpeg encode", "file write"):
        print(f"{k:<28}{r[k] / n * 1e6:>12.0f}")
    compute = sum(r[k] for k in ("render", "measure", "rgb", "jpeg encode"))
    print(f"{'total without file writes':<28}{compute / n * 1e6:>12.0f}")
    print(f"{'total, wall clock':<28}{r['total_s'] / n * 1e6:>12.0f}")
    print(f"{'total, CPU time':<28}{r['cpu_s'] / n * 1e6:>12.0f}")
    print(f"\nmock rendering (survey + hires + measure + 2 JPEGs, 64 px, one process): "
          f"{n / r['cpu_s']:,.0f} galaxies per CPU-second, {n / r['total_s']:,.0f} galaxies/s wall clock, "
          f"{n / compute:,.0f} galaxies/s without the file writes "
          f"(target >= 1,000 per core; wall clock also counts other processes and slow file systems)")
    if not args.quick:
        first, rerun = full_demo(args.dir)
        print(f"demo survey (25,000 objects, {os.cpu_count()} cores): {first:.1f} s from scratch "
              f"(target < 60 s), {rerun:.1f} s rerun")


if __name__ == "__main__":
    main()
