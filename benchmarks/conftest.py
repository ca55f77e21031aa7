"""Benchmark fixtures: every benchmark runs on each backend, with NumPy in the same group."""
import numpy as np
import pytest

import mlbasics


@pytest.fixture(params=["cpp", "numba", "numpy"])
def backend(request):
    return mlbasics.get_backend(request.param)


@pytest.fixture(autouse=True)
def same_threads():
    """The peers on as many threads as mlbasics: NumPy's BLAS and scikit-learn's OpenMP loops (its
    k-means) are limited to ``mlbasics.get_num_threads()`` through threadpoolctl, when installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=mlbasics.get_num_threads(), user_api="blas"), \
            threadpool_limits(limits=mlbasics.get_num_threads(), user_api="openmp"):
        yield


def pytest_report_header(config):
    """Which SIMD path the C++ kernels run (MLBASICS_CPU forces one), and their GEMM block sizes."""
    try:
        from mlbasics import _core
    except ImportError as e:  # the cpp backend's own benchmarks then fail loudly
        return f"mlbasics C++ core: not loadable ({e})"
    f32, f64 = _core._gemm_blocking("float32"), _core._gemm_blocking("float64")
    tiles = ", ".join(f"{d} {b['mr']}×{b['nr']} KC {b['kc']} MC {b['mc']} NC {b['nc']}"
                      for d, b in (("float32", f32), ("float64", f64)))
    return f"mlbasics C++ SIMD path: {_core.cpu_path()} (GEMM {tiles})"
