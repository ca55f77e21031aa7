"""``python -m mlbasics``: what this machine runs, and how fast.

Prints the available backends, the thread count, the SIMD path the C++ core chose, and a short
timing table (median of repeated calls) of a matrix product and an Adam step on every backend.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np

import mlbasics
from mlbasics import kernels


def _median_time(fn, repeat: int) -> float:
    fn()  # warm up (JIT compilation, page faults)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def info_lines() -> list[str]:
    backends = mlbasics.available_backends()
    lines = [
        f"mlbasics {mlbasics.__version__} on Python {platform.python_version()}, NumPy {np.__version__}",
        f"backends available: {', '.join(backends)}",
        f"threads: {mlbasics.get_num_threads()}",
    ]
    if "cpp" in backends:
        from mlbasics import _core

        lines.append(f"C++ core: SIMD path {_core.cpu_path()}, built with {_core.compiler}")
    for name, err in mlbasics.backends.backend_errors().items():
        lines.append(f"backend {name} unavailable: {err}")
    return lines


def timing_table(quick: bool = False) -> list[str]:
    rng = np.random.default_rng(0)
    repeat = 5 if quick else 20
    rows = ["| work | backend | dtype | median time | GFLOP/s | vs numpy |", "|---|---|---|---|---|---|"]
    for dtype in (np.float32, np.float64):
        for n in (64, 256):
            a = rng.standard_normal((n, n)).astype(dtype)
            b = rng.standard_normal((n, n)).astype(dtype)
            out = np.empty((n, n), dtype)
            times = {name: _median_time(lambda name=name: kernels.matmul(a, b, out=out, backend=name), repeat)
                     for name in mlbasics.available_backends()}
            for name, t in times.items():
                rows.append(f"| matmul {n}×{n}×{n} | {name} | {np.dtype(dtype).name} | {t * 1e6:.1f} µs | "
                            f"{2 * n ** 3 / t / 1e9:.1f} | {times['numpy'] / t:.2f}× |")
        size = 1_000_000
        p = rng.standard_normal(size).astype(dtype)
        g = rng.standard_normal(size).astype(dtype)
        m, v = np.zeros_like(p), np.zeros_like(p)
        times = {name: _median_time(lambda name=name: kernels.adam_step(p, g, m, v, step=1, lr=1e-3, backend=name),
                                    repeat) for name in mlbasics.available_backends()}
        for name, t in times.items():
            rows.append(f"| adam_step 1e6 params | {name} | {np.dtype(dtype).name} | {t * 1e6:.1f} µs | – | "
                        f"{times['numpy'] / t:.2f}× |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlbasics", description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="threads for the C++ pool and Numba")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    if args.threads is not None:
        mlbasics.set_num_threads(args.threads)
    print("\n".join(info_lines()))
    print()
    print("\n".join(timing_table(args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
