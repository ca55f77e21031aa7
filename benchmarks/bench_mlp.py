"""mlp_epoch — one training epoch of a dense MLP (SGD, lr 0.01, momentum 0.9, float32, 10 classes)
on every backend; one group per architecture, NumPy inside each group.

Run: python -m pytest benchmarks/bench_mlp.py --benchmark-only
With --benchmark-disable (CI) each epoch uses 2,000 samples instead of 60,000.
"""
import numpy as np
import pytest

import mlbasics
from _bench import check

ARCHS = {  # name: (layer sizes, batch size)
    "784-256-10 batch 64": ((784, 256, 10), 64),
    "64-64-10 batch 32": ((64, 64, 10), 32),
}
HYPER = dict(lr=0.01, momentum=0.9, nesterov=False)


def problem(sizes, n, dtype=np.float32):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], n)
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = np.sqrt(6 / (n_in + n_out))
        params += [rng.uniform(-bound, bound, n_in * n_out), rng.uniform(-bound, bound, n_out)]
    return X, y, rng.permutation(n), np.concatenate(params).astype(dtype)


def epoch(backend, X, y, order, params, sizes, batch_size):
    grads = np.empty_like(params)
    state = {"momentum_buffer": np.empty_like(params)}
    return backend.mlp_epoch(X, y, order, params, grads, state, layer_sizes=sizes, activation="relu",
                             loss="softmax_cross_entropy", alpha=1e-4, batch_size=batch_size, optimizer="sgd",
                             hyper=HYPER, step=0, first_step=True)


@pytest.mark.parametrize("arch", list(ARCHS))
def test_mlp_epoch(benchmark, backend, arch, request):
    sizes, batch_size = ARCHS[arch]
    n = 2_000 if request.config.getoption("benchmark_disable") else 60_000
    X, y, order, p0 = problem(sizes, n)
    benchmark.group = f"mlp_epoch {arch} float32"
    benchmark.extra_info["samples"] = n
    # correctness (and the JIT warm-up, outside the timed region): the first 8 batches against NumPy
    short = order[:8 * batch_size]
    p, p_ref = p0.copy(), p0.copy()
    loss, steps = epoch(backend, X, y, short, p, sizes, batch_size)
    ref_loss, ref_steps = epoch(mlbasics.get_backend("numpy"), X, y, short, p_ref, sizes, batch_size)
    assert steps == ref_steps == 8
    assert loss == pytest.approx(ref_loss, rel=1e-3)
    check(p, p_ref, np.float32)
    # timed: one whole epoch, each round from the same initial weights
    params = p0.copy()

    def setup():
        params[...] = p0
        return (backend, X, y, order, params, sizes, batch_size), {}

    loss, steps = benchmark.pedantic(epoch, setup=setup, rounds=3, iterations=1)
    assert steps == -(-n // batch_size) and np.isfinite(loss)


# ----------------------------------------------------------------------------- the tricks (issue #11)
#: 784-256-256-10, batch 64: batch norm, dropout 0.2 and the residual connection of the 256→256
#: layer; the same network without them in the group "plain" for the tricks' cost.
TRICKS_SIZES, TRICKS_BATCH = (784, 256, 256, 10), 64
TRICKS = dict(dropout=0.2, seed=7, normalization="batch", residual=True)


def tricks_problem(n, tricks):
    X, y, order, p = problem(TRICKS_SIZES, n)
    if not tricks:
        return X, y, order, p, None
    parts, off = [], 0
    for l, (n_in, n_out) in enumerate(zip(TRICKS_SIZES[:-1], TRICKS_SIZES[1:])):
        parts.append(p[off:off + (n_in + 1) * n_out])
        off += (n_in + 1) * n_out
        if l < len(TRICKS_SIZES) - 2:
            parts += [np.ones(n_out, np.float32), np.zeros(n_out, np.float32)]  # gamma, beta
    running = np.concatenate([np.r_[np.zeros(m), np.ones(m)] for m in TRICKS_SIZES[1:-1]]).astype(np.float32)
    return X, y, order, np.concatenate(parts), running


def tricks_epoch(backend, X, y, order, params, running, tricks):
    grads = np.empty_like(params)
    state = {"momentum_buffer": np.empty_like(params)}
    kw = dict(TRICKS, running_stats=running) if tricks else {}
    return backend.mlp_epoch(X, y, order, params, grads, state, layer_sizes=TRICKS_SIZES, activation="relu",
                             loss="softmax_cross_entropy", alpha=1e-4, batch_size=TRICKS_BATCH, optimizer="sgd",
                             hyper=HYPER, step=0, first_step=True, **kw)


def _skip_without_tricks(backend):
    """numba gets the tricks from branch numbatricks: skipped until its raw mlp_epoch takes them."""
    import inspect

    if backend.name == "numba" and "tricks" not in inspect.signature(backend._raw.mlp_epoch).parameters:
        pytest.skip("the numba mlp_epoch has no tricks yet (branch numbatricks)")


@pytest.mark.parametrize("tricks", [True, False], ids=["batchnorm-dropout0.2-residual", "plain"])
def test_mlp_epoch_tricks(benchmark, backend, tricks, request):
    """One epoch of 784-256-256-10, batch 64, float32, with batch norm + dropout 0.2 + residual (and
    the same network plain, for the tricks' cost on each backend)."""
    if tricks:
        _skip_without_tricks(backend)
    n = 2_000 if request.config.getoption("benchmark_disable") else 60_000
    X, y, order, p0, r0 = tricks_problem(n, tricks)
    benchmark.group = (f"mlp_epoch 784-256-256-10 batch 64 float32 "
                       f"{'batch norm + dropout 0.2 + residual' if tricks else 'plain'}")
    benchmark.extra_info["samples"] = n
    # correctness (and the JIT warm-up, outside the timed region): 8 batches against NumPy
    short = order[:8 * TRICKS_BATCH]
    p, p_ref = p0.copy(), p0.copy()
    r, r_ref = (None, None) if r0 is None else (r0.copy(), r0.copy())
    loss, steps = tricks_epoch(backend, X, y, short, p, r, tricks)
    ref_loss, ref_steps = tricks_epoch(mlbasics.get_backend("numpy"), X, y, short, p_ref, r_ref, tricks)
    assert steps == ref_steps == 8
    assert loss == pytest.approx(ref_loss, rel=1e-3)
    check(p, p_ref, np.float32)
    if tricks:
        check(r, r_ref, np.float32)
    params = p0.copy()
    running = None if r0 is None else r0.copy()

    def setup():
        params[...] = p0
        if running is not None:
            running[...] = r0
        return (backend, X, y, order, params, running, tricks), {}

    loss, steps = benchmark.pedantic(tricks_epoch, setup=setup, rounds=3, iterations=1)
    assert steps == -(-n // TRICKS_BATCH) and np.isfinite(loss)


def test_mlp_epoch_tricks_torch(benchmark, request):
    """The PyTorch peer of the tricks group: the same network as torch.nn modules (Linear,
    BatchNorm1d, ReLU, Dropout, the skip), CrossEntropyLoss and optim.SGD, one thread, the usual
    per-batch loop. Checked: finite loss, and its weights moved."""
    torch = pytest.importorskip("torch")
    n = 2_000 if request.config.getoption("benchmark_disable") else 60_000
    X, y, order, _, _ = tricks_problem(n, True)
    benchmark.group = "mlp_epoch 784-256-256-10 batch 64 float32 batch norm + dropout 0.2 + residual"
    benchmark.extra_info["samples"] = n
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        loss, moved = benchmark.pedantic(torch_tricks_epoch, args=(torch, X, y, order), rounds=3, iterations=1)
    finally:
        torch.set_num_threads(old)
    assert np.isfinite(loss) and moved


def torch_tricks_epoch(torch, X, y, order):
    """One epoch of the tricks network in PyTorch; returns (last loss, whether the weights moved)."""
    torch.manual_seed(0)
    nn = torch.nn
    l1, n1, l2, n2, l3 = nn.Linear(784, 256), nn.BatchNorm1d(256), nn.Linear(256, 256), nn.BatchNorm1d(256), \
        nn.Linear(256, 10)
    drop = nn.Dropout(0.2)
    params = [q for m in (l1, n1, l2, n2, l3) for q in m.parameters()]
    w0 = l1.weight.detach().clone()
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    Xt, yt, ot = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(order)
    for start in range(0, X.shape[0], TRICKS_BATCH):
        idx = ot[start:start + TRICKS_BATCH]
        opt.zero_grad()
        h = drop(torch.relu(n1(l1(Xt[idx]))))
        h = h + drop(torch.relu(n2(l2(h))))
        loss = loss_fn(l3(h), yt[idx])
        loss.backward()
        opt.step()
    return float(loss.detach()), not torch.equal(w0, l1.weight.detach())
