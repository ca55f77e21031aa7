"""The norms family on every backend: one group per kernel (float32, 8,192×512 — a large batch of
a wide hidden layer, or many small batches' worth of work), NumPy inside each group, and
torch.nn.functional as the peer where torch is installed (at its default thread count).

- dropout_forward / dropout_backward (p = 0.2; the masks are compared bit for bit);
- batch_norm_forward in training (with running statistics) and in eval, batch_norm_backward;
- group_norm_forward / group_norm_backward with 8 groups (and layer norm: 1 group).

Every result is asserted against the NumPy reference (computed outside the timed region), and the
JIT is warmed up before timing. Run: python -m pytest benchmarks/bench_norms.py --benchmark-only.
With --benchmark-disable (CI) the sizes shrink 16-fold and each benchmark runs once, as a test.
"""
import numpy as np
import pytest

import mlbasics

DTYPE = np.float32
M = 512


def _rows(request):
    return 8192 if not request.config.getoption("benchmark_disable") else 512


def _close(actual, expected):
    """Within float32's tolerance of the reference, relative to the largest value (as _helpers)."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    assert np.all(np.abs(actual - expected) <= 1e-4 * (np.abs(expected) + scale))


@pytest.fixture
def data(request):
    rng = np.random.default_rng(0)
    n = _rows(request)
    x = (rng.standard_normal((n, M)) * 2 + 0.5).astype(DTYPE)
    gy = rng.standard_normal((n, M)).astype(DTYPE)
    gamma = rng.uniform(0.5, 1.5, M).astype(DTYPE)
    beta = rng.standard_normal(M).astype(DTYPE)
    return x, gy, gamma, beta


REF = "numpy"


def _ref():
    return mlbasics.get_backend(REF)


def test_dropout_forward(benchmark, backend, data):
    x = data[0]
    benchmark.group = f"dropout_forward p=0.2 {x.shape[0]:,}x{M} float32"
    expected = _ref().dropout_forward(x, 0.2, seed=7, offset=0, stream=3)
    backend.dropout_forward(x[:4], 0.2, seed=7)  # warm-up (JIT)
    y, mask = benchmark(backend.dropout_forward, x, 0.2, seed=7, offset=0, stream=3)
    np.testing.assert_array_equal(mask, expected[1])
    np.testing.assert_array_equal(y, expected[0])


def test_dropout_backward(benchmark, backend, data):
    x, gy = data[0], data[1]
    benchmark.group = f"dropout_backward p=0.2 {x.shape[0]:,}x{M} float32"
    _, mask = _ref().dropout_forward(x, 0.2, seed=7)
    expected = _ref().dropout_backward(gy, mask, 0.2)
    backend.dropout_backward(gy[:4], mask[:4], 0.2)
    np.testing.assert_array_equal(benchmark(backend.dropout_backward, gy, mask, 0.2), expected)


def test_batch_norm_forward_training(benchmark, backend, data):
    x, _, gamma, beta = data
    benchmark.group = f"batch_norm_forward training {x.shape[0]:,}x{M} float32"
    rm, rv = np.zeros(M, DTYPE), np.ones(M, DTYPE)
    expected = _ref().batch_norm_forward(x, gamma, beta, rm.copy(), rv.copy())
    backend.batch_norm_forward(x[:4], gamma, beta, rm.copy(), rv.copy())
    y, mean, invstd = benchmark(backend.batch_norm_forward, x, gamma, beta, rm, rv)  # rm, rv drift: not compared
    for a, e in zip((y, mean, invstd), expected):
        _close(a, e)


def test_batch_norm_forward_eval(benchmark, backend, data):
    x, _, gamma, beta = data
    benchmark.group = f"batch_norm_forward eval {x.shape[0]:,}x{M} float32"
    rm, rv = np.linspace(-1, 1, M).astype(DTYPE), np.linspace(0.5, 2, M).astype(DTYPE)
    expected = _ref().batch_norm_forward(x, gamma, beta, rm, rv, training=False)
    backend.batch_norm_forward(x[:4], gamma, beta, rm, rv, training=False)
    for a, e in zip(benchmark(backend.batch_norm_forward, x, gamma, beta, rm, rv, training=False), expected):
        _close(a, e)


def test_batch_norm_backward(benchmark, backend, data):
    x, gy, gamma, beta = data
    benchmark.group = f"batch_norm_backward {x.shape[0]:,}x{M} float32"
    _, mean, invstd = _ref().batch_norm_forward(x, gamma, beta)
    expected = _ref().batch_norm_backward(gy, x, gamma, mean, invstd)
    backend.batch_norm_backward(gy[:4], x[:4], gamma, mean, invstd)
    for a, e in zip(benchmark(backend.batch_norm_backward, gy, x, gamma, mean, invstd), expected):
        _close(a, e)


@pytest.mark.parametrize("groups", [1, 8])
def test_group_norm_forward(benchmark, backend, data, groups):
    x, _, gamma, beta = data
    benchmark.group = f"group_norm_forward groups={groups} {x.shape[0]:,}x{M} float32"
    expected = _ref().group_norm_forward(x, gamma, beta, groups=groups)
    backend.group_norm_forward(x[:4], gamma, beta, groups=groups)
    for a, e in zip(benchmark(backend.group_norm_forward, x, gamma, beta, groups=groups), expected):
        _close(a, e)


@pytest.mark.parametrize("groups", [1, 8])
def test_group_norm_backward(benchmark, backend, data, groups):
    x, gy, gamma, beta = data
    benchmark.group = f"group_norm_backward groups={groups} {x.shape[0]:,}x{M} float32"
    _, mean, invstd = _ref().group_norm_forward(x, gamma, beta, groups=groups)
    expected = _ref().group_norm_backward(gy, x, gamma, mean, invstd, groups=groups)
    backend.group_norm_backward(gy[:4], x[:4], gamma, mean[:4], invstd[:4], groups=groups)
    for a, e in zip(benchmark(backend.group_norm_backward, gy, x, gamma, mean, invstd, groups=groups), expected):
        _close(a, e)


# --------------------------------------------------------------------------- torch, the peer

@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def test_dropout_forward_torch(benchmark, torch, data):
    x = torch.from_numpy(data[0])
    benchmark.group = f"dropout_forward p=0.2 {x.shape[0]:,}x{M} float32"
    benchmark.extra_info["peer"] = "torch.nn.functional.dropout (its own generator)"
    y = benchmark(torch.nn.functional.dropout, x, 0.2, True)
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.8) < 0.01


def test_batch_norm_forward_training_torch(benchmark, torch, data):
    x, _, gamma, beta = (torch.from_numpy(a) for a in data)
    benchmark.group = f"batch_norm_forward training {x.shape[0]:,}x{M} float32"
    rm, rv = torch.zeros(M), torch.ones(M)
    expected = _ref().batch_norm_forward(data[0], data[2], data[3])[0]
    y = benchmark(torch.nn.functional.batch_norm, x, rm, rv, gamma, beta, True)
    _close(y.numpy(), expected)


def test_batch_norm_backward_torch(benchmark, torch, data):
    x = torch.from_numpy(data[0]).requires_grad_()
    gy, gamma, beta = (torch.from_numpy(a) for a in data[1:])
    gamma.requires_grad_()
    beta.requires_grad_()
    benchmark.group = f"batch_norm_backward {x.shape[0]:,}x{M} float32"
    benchmark.extra_info["peer"] = "torch autograd of F.batch_norm (forward outside the timing)"

    def setup():
        x.grad = gamma.grad = beta.grad = None
        y = torch.nn.functional.batch_norm(x, None, None, gamma, beta, True)
        return (y,), {}

    benchmark.pedantic(lambda y: y.backward(gy), setup=setup, rounds=5 if data[0].shape[0] > 512 else 1)
    _, mean, invstd = _ref().batch_norm_forward(data[0], data[2], data[3])
    _close(x.grad.numpy(), _ref().batch_norm_backward(data[1], data[0], data[2], mean, invstd)[0])


@pytest.mark.parametrize("groups", [1, 8])
def test_group_norm_forward_torch(benchmark, torch, data, groups):
    x, _, gamma, beta = (torch.from_numpy(a) for a in data)
    benchmark.group = f"group_norm_forward groups={groups} {x.shape[0]:,}x{M} float32"
    expected = _ref().group_norm_forward(data[0], data[2], data[3], groups=groups)[0]
    y = benchmark(torch.nn.functional.group_norm, x, groups, gamma, beta)
    _close(y.numpy(), expected)
