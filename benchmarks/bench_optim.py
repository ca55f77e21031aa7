"""Optimizer steps on 10,000,000 float32 parameters; NumPy in each group.

Run: python -m pytest benchmarks/bench_optim.py --benchmark-only
"""
import numpy as np
import pytest

import mlbasics
from _bench import check

N = 10_000_000


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    return rng.standard_normal(N).astype(np.float32), rng.standard_normal(N).astype(np.float32)


def test_sgd_momentum_weight_decay(benchmark, backend, arrays):
    p0, g = arrays
    p, buf = p0.copy(), np.zeros_like(p0)
    kw = dict(lr=0.01, momentum=0.9, weight_decay=1e-4)
    benchmark.group = "sgd_step momentum+wd 1e7 float32"
    backend.sgd_step(p, g, buf, first_step=True, **kw)
    benchmark(backend.sgd_step, p, g, buf, **kw)
    # One more step from a common state on both sides, checked against the reference.
    p, buf = p0.copy(), g.copy()
    ref_p, ref_buf = p0.copy(), g.copy()
    backend.sgd_step(p, g, buf, **kw)
    mlbasics.get_backend("numpy").sgd_step(ref_p, g, ref_buf, **kw)
    check(p, ref_p, np.float32)


def test_adam(benchmark, backend, arrays):
    p0, g = arrays
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    benchmark.group = "adam_step 1e7 float32"
    backend.adam_step(p, g, m, v, step=1, lr=1e-3)
    benchmark(backend.adam_step, p, g, m, v, step=2, lr=1e-3)
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    ref = [p0.copy(), np.zeros_like(p0), np.zeros_like(p0)]
    backend.adam_step(p, g, m, v, step=1, lr=1e-3)
    mlbasics.get_backend("numpy").adam_step(*ref[:1], g, *ref[1:], step=1, lr=1e-3)
    check(p, ref[0], np.float32)
