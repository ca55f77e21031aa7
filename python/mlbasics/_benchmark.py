"""``mlbasics bench``: kernels and training side by side on every backend, in one run.

Times are medians of repeated calls after a warm-up call (so JIT compilation is not counted).
Ratios are always measured in the same run, with the same thread count on both sides.
"""
from __future__ import annotations

import time

import numpy as np

from .backends import available_backends, get_backend


def median_time(fn, repeat: int, min_time: float = 0.0) -> float:
    """Median wall time of ``fn()`` over ``repeat`` calls (after one warm-up call)."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def kernel_rows(quick: bool = False, backends: list[str] | None = None) -> list[dict]:
    """Matmul at several shapes and two optimizer steps, per backend × dtype."""
    backends = backends or available_backends()
    rng = np.random.default_rng(0)
    repeat = 3 if quick else 10
    shapes = [(64, 64, 64), (256, 256, 256), (64, 784, 256)] if quick else \
        [(32, 32, 32), (64, 64, 64), (256, 256, 256), (1024, 1024, 1024), (64, 784, 256), (784, 64, 256),
         (64, 256, 784), (64, 256, 10)]
    rows = []
    for dtype in (np.float32, np.float64):
        for m, k, n in shapes:
            a = rng.standard_normal((m, k)).astype(dtype)
            b = rng.standard_normal((k, n)).astype(dtype)
            out = np.empty((m, n), dtype)
            for name in backends:
                kernel = get_backend(name).matmul
                t = median_time(lambda: kernel(a, b, out=out), repeat, min_time=0.05)
                rows.append(dict(work=f"matmul {m}×{k}×{n}", backend=name, dtype=np.dtype(dtype).name,
                                 seconds=t, gflops=2 * m * n * k / t / 1e9))
    size = 1_000_000 if quick else 10_000_000
    p0 = rng.standard_normal(size).astype(np.float32)
    g = rng.standard_normal(size).astype(np.float32)
    for name in backends:
        be = get_backend(name)
        p, buf = p0.copy(), np.zeros_like(p0)
        t = median_time(lambda: be.sgd_step(p, g, buf, lr=0.01, momentum=0.9, weight_decay=1e-4), repeat)
        rows.append(dict(work=f"sgd_step momentum+wd {size:.0e}", backend=name, dtype="float32", seconds=t))
        p, m1, m2 = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        t = median_time(lambda: be.adam_step(p, g, m1, m2, step=1, lr=1e-3), repeat)
        rows.append(dict(work=f"adam_step {size:.0e}", backend=name, dtype="float32", seconds=t))
    return rows


def add_ratios(rows: list[dict]) -> list[dict]:
    """Speed-up of each row over the numpy row of the same work and dtype."""
    base = {(r["work"], r["dtype"]): r["seconds"] for r in rows if r["backend"] == "numpy"}
    for r in rows:
        ref = base.get((r["work"], r["dtype"]))
        r["vs_numpy"] = ref / r["seconds"] if ref else None
    return rows


def format_rows(rows: list[dict], peak_gflops: dict | None = None) -> str:
    lines = ["| work | backend | dtype | time | GFLOP/s | % of peak | vs numpy |", "|---|---|---|---:|---:|---:|---:|"]
    for r in rows:
        gf = r.get("gflops")
        peak = (peak_gflops or {}).get(r["dtype"])
        frac = f"{100 * gf / peak:.0f}%" if gf and peak else "–"
        ratio = f"{r['vs_numpy']:.2f}×" if r.get("vs_numpy") else "–"
        t = r["seconds"]
        tt = f"{t * 1e6:.1f} µs" if t < 1e-3 else f"{t * 1e3:.2f} ms"
        lines.append(f"| {r['work']} | {r['backend']} | {r['dtype']} | {tt} | "
                     f"{f'{gf:.1f}' if gf else '–'} | {frac} | {ratio} |")
    return "\n".join(lines)
