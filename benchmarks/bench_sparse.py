"""CSR × dense products on every backend against scipy.sparse; one group per (product, dtype, k),
the NumPy reference (which calls scipy.sparse through the contract) and scipy.sparse itself inside
each group. The matrix is 100,000 × 50,000 of density 1e-3 (about 5 million entries), the shape of
the issue's LogisticRegression target (``python -m mlbasics bench --parts sparse`` times that fit).

Run: python -m pytest benchmarks/bench_sparse.py --benchmark-only
"""
import numpy as np
import pytest

from _bench import check
from mlbasics._sparse import random_csr

N, P = 100_000, 50_000
_MATRICES: dict = {}


def _matrix(dtype):
    if dtype not in _MATRICES:
        _MATRICES[dtype] = random_csr(N, P, 1e-3, np.random.default_rng(0), dtype)
    return _MATRICES[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("k", [1, 10])
def test_csr_matmul(benchmark, backend, dtype, k):
    X = _matrix(dtype)
    b = np.random.default_rng(1).standard_normal((P, k)).astype(dtype)
    benchmark.group = f"csr_matmul X·B {N}x{P} k={k} {np.dtype(dtype).name}"
    benchmark.extra_info["gflop"] = 2 * X.nnz * k / 1e9
    args = (X.data, X.indices, X.indptr, P, b)
    backend.csr_matmul(*args)  # warm-up (JIT) outside the timed region
    out = benchmark(backend.csr_matmul, *args)
    check(out, X.astype(np.float64) @ b.astype(np.float64), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("k", [1, 10])
def test_csr_matmul_t(benchmark, backend, dtype, k):
    X = _matrix(dtype)
    g = np.random.default_rng(2).standard_normal((N, k)).astype(dtype)
    benchmark.group = f"csr_matmul_t XT·G {N}x{P} k={k} {np.dtype(dtype).name}"
    benchmark.extra_info["gflop"] = 2 * X.nnz * k / 1e9
    args = (X.data, X.indices, X.indptr, P, g)
    backend.csr_matmul_t(*args)
    out = benchmark(backend.csr_matmul_t, *args)
    check(out, X.T.astype(np.float64) @ g.astype(np.float64), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("product", ["X·B", "XT·G"])
@pytest.mark.parametrize("k", [1, 10])
def test_scipy_sparse(benchmark, dtype, product, k):
    """scipy.sparse's own product, in the same groups (single-threaded sparsetools)."""
    X = _matrix(dtype)
    rng = np.random.default_rng(1 if product == "X·B" else 2)
    if product == "X·B":
        benchmark.group = f"csr_matmul X·B {N}x{P} k={k} {np.dtype(dtype).name}"
        b = rng.standard_normal((P, k)).astype(dtype)
        out = benchmark(X.__matmul__, b)
        check(out, X.astype(np.float64) @ b.astype(np.float64), dtype)
    else:
        benchmark.group = f"csr_matmul_t XT·G {N}x{P} k={k} {np.dtype(dtype).name}"
        g = rng.standard_normal((N, k)).astype(dtype)
        XT = X.T
        out = benchmark(XT.__matmul__, g)
        check(out, X.T.astype(np.float64) @ g.astype(np.float64), dtype)
