"""matmul and gram on every backend; one group per (shape, dtype), NumPy inside each group.

Run: python -m pytest benchmarks/bench_gemm.py --benchmark-only
The C++ SIMD path is printed in the session header and stored in each cpp benchmark's extra_info
(``cpu_path``); force one with MLBASICS_CPU=avx512|avx2|generic to compare paths.
"""
import numpy as np
import pytest

from _bench import check

SHAPES = {  # name: (m, k, n)
    "square-64": (64, 64, 64),
    "square-256": (256, 256, 256),
    "square-1024": (1024, 1024, 1024),
    "layer-64x784x256": (64, 784, 256),
    "layer-64x256x10": (64, 256, 10),
}


def _record_path(benchmark, backend):
    if backend.name == "cpp":
        from mlbasics import _core

        benchmark.extra_info["cpu_path"] = _core.cpu_path()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_matmul(benchmark, backend, shape, dtype):
    m, k, n = SHAPES[shape]
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype)
    benchmark.group = f"matmul {shape} {np.dtype(dtype).name}"
    benchmark.extra_info["gflop"] = 2 * m * n * k / 1e9
    _record_path(benchmark, backend)
    backend.matmul(a, b, out=out)  # warm-up (JIT) outside the timed region
    benchmark(backend.matmul, a, b, out=out)
    check(out, a.astype(np.float64) @ b.astype(np.float64), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_gram(benchmark, backend, dtype):
    x = np.random.default_rng(0).standard_normal((20000, 100)).astype(dtype)
    benchmark.group = f"gram 20000x100 {np.dtype(dtype).name}"
    _record_path(benchmark, backend)
    backend.gram(x)
    g = benchmark(backend.gram, x)
    check(g, x.T.astype(np.float64) @ x, dtype)
