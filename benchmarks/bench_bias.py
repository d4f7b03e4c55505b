"""Benchmark of the bias-model library on 250,000 rows, one thread.

    python benchmarks/bench_bias.py [--n 250000] [--bins 1525] [--boot 100]

Times :func:`galbias.bias.fit_theta` (``n_bins`` equal-count bins, ``n_boot`` bootstrap
refits), :func:`galbias.bias.cv18` (B = 8, L = 3, ``n_boot`` bootstraps) and
:func:`galbias.bias.cv14` on a synthetic catalog drawn from the bias model
(log10 alpha ~ N(1.25, 0.27), true smooth fraction 0.4, theta = 11.25).
Target: theta fit + CV18 with 100 bootstraps in <= 5 s.
"""

from __future__ import annotations

import os

# one thread for every numerical library, set before numpy is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from galbias.methods.bias import bias_probability, fit_theta  # noqa: E402
from galbias.methods.metrics import cv14, cv18  # noqa: E402


def synthetic(n: int, seed: int = 0, theta: float = 11.25, f_s: float = 0.4):
    rng = np.random.default_rng(seed)
    alpha = 10 ** rng.normal(1.25, 0.27, n)
    true = (rng.random(n) >= f_s).astype(np.int64)  # 0 smooth, 1 disk
    flip = (true == 1) & (rng.random(n) < bias_probability(alpha, theta))
    labels = np.where(flip, 0, true)
    intrinsic = np.column_stack([rng.lognormal(1.5, 0.5, n), rng.normal(-21, 1, n), rng.uniform(0.01, 0.2, n)])
    return alpha, labels, intrinsic


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=250_000)
    p.add_argument("--bins", type=int, default=1525)
    p.add_argument("--boot", type=int, default=100)
    args = p.parse_args()
    alpha, labels, intrinsic = synthetic(args.n)
    print(f"{args.n} rows, 1 thread")

    t0 = time.perf_counter()
    fit = fit_theta(alpha, labels, n_bins=args.bins, n_boot=args.boot, seed=0)
    t_fit = time.perf_counter() - t0
    print(f"fit_theta(n_bins={args.bins}, n_boot={args.boot}): {t_fit:6.2f} s   "
          f"theta = {fit.theta:.3f} +- {fit.theta_std:.3f}, f_s = {fit.f_s:.4f}")

    t0 = time.perf_counter()
    r = cv18(alpha, labels, intrinsic, n_bins=8, depth=3, n_boot=args.boot, seed=0)
    t_cv18 = time.perf_counter() - t0
    print(f"cv18(B=8, L=3, n_boot={args.boot}):          {t_cv18:6.2f} s   "
          f"CV18 = {r.mean:.4f} +- {r.std:.4f} (full sample {r.value:.4f})")

    t0 = time.perf_counter()
    c = cv14(alpha, labels, n_bins=8)
    t_cv14 = time.perf_counter() - t0
    print(f"cv14(N_A=8):                          {t_cv14:6.3f} s   CV14 = {c:.4f}")

    total = t_fit + t_cv18
    print(f"theta fit + CV18: {total:.2f} s (target <= 5 s) {'OK' if total <= 5 else 'SLOW'}")


if __name__ == "__main__":
    main()
