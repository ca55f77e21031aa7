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
    "784-256-256-10 batch 64": ((784, 256, 256, 10), 64),  # the plain twin of the tricks group (issue #11)
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


def test_mlp_epoch_tricks_torch(benchmark, request):
    """The PyTorch peer of the tricks group (784-256-256-10, batch 64, float32, batch norm + dropout
    0.2 + residual): the same network as torch.nn modules (Linear, BatchNorm1d, ReLU, Dropout, the
    skip), CrossEntropyLoss and optim.SGD (lr 0.01, momentum 0.9, weight decay 1e-4 for alpha), one
    thread, the usual per-batch loop. Checked: a finite loss, and the weights moved."""
    torch = pytest.importorskip("torch")
    sizes, batch = (784, 256, 256, 10), 64
    n = 2_000 if request.config.getoption("benchmark_disable") else 60_000
    X, y, order, _ = problem(sizes, n)
    benchmark.group = f"mlp_epoch {'-'.join(map(str, sizes))} batch {batch} float32, batch norm + dropout 0.2 + residual"
    benchmark.extra_info["samples"] = n
    benchmark.extra_info["peer"] = "torch.nn + torch.optim.SGD, torch.set_num_threads(1)"
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        loss, moved = benchmark.pedantic(_torch_tricks_epoch, args=(torch, X, y, order, batch), rounds=3,
                                         iterations=1)
    finally:
        torch.set_num_threads(old)
    assert np.isfinite(loss) and moved


def _torch_tricks_epoch(torch, X, y, order, batch):
    """One epoch of the tricks network in PyTorch; returns (last loss, whether the weights moved)."""
    torch.manual_seed(0)
    nn = torch.nn
    l1, n1, l2, n2, l3 = (nn.Linear(784, 256), nn.BatchNorm1d(256), nn.Linear(256, 256), nn.BatchNorm1d(256),
                          nn.Linear(256, 10))
    drop = nn.Dropout(0.2)
    w0 = l1.weight.detach().clone()
    opt = torch.optim.SGD([q for m in (l1, n1, l2, n2, l3) for q in m.parameters()], lr=0.01, momentum=0.9,
                          weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    Xt, yt, ot = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(order)
    for start in range(0, X.shape[0], batch):
        idx = ot[start:start + batch]
        opt.zero_grad()
        h = drop(torch.relu(n1(l1(Xt[idx]))))
        h = h + drop(torch.relu(n2(l2(h))))
        loss = loss_fn(l3(h), yt[idx])
        loss.backward()
        opt.step()
    return float(loss.detach()), not torch.equal(w0, l1.weight.detach())


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


# Issue #11: the course's tricks in the whole-epoch kernel (batch norm, dropout 0.2, residual 256→256).
TRICKS_SIZES, TRICKS_BATCH = (784, 256, 256, 10), 64
TRICKS = dict(normalization="batch", dropout=0.2, residual=True, seed=0)


def tricks_epoch(backend, X, y, order, params, running, sizes, batch_size):
    grads = np.empty_like(params)
    state = {"momentum_buffer": np.empty_like(params)}
    return backend.mlp_epoch(X, y, order, params, grads, state, layer_sizes=sizes, activation="relu",
                             loss="softmax_cross_entropy", alpha=1e-4, batch_size=batch_size, optimizer="sgd",
                             hyper=HYPER, step=0, first_step=True, running_stats=running, **TRICKS)


def test_mlp_epoch_tricks(benchmark, backend, request):
    sizes, batch_size = TRICKS_SIZES, TRICKS_BATCH
    n = 2_000 if request.config.getoption("benchmark_disable") else 60_000
    X, y, order, plain = problem(sizes, n)
    parts, off = [], 0  # the tricks' layout: gamma = 1, beta = 0 after each hidden layer's W, b
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        parts.append(plain[off:off + (n_in + 1) * n_out])
        off += (n_in + 1) * n_out
        if l < len(sizes) - 2:
            parts += [np.ones(n_out, np.float32), np.zeros(n_out, np.float32)]
    p0 = np.concatenate(parts)
    r0 = np.concatenate([np.r_[np.zeros(m), np.ones(m)] for m in sizes[1:-1]]).astype(np.float32)
    benchmark.group = f"mlp_epoch {'-'.join(map(str, sizes))} batch {batch_size} float32, batch norm + dropout 0.2 + residual"
    benchmark.extra_info["samples"] = n
    # correctness (and the JIT warm-up): the first 8 batches against NumPy
    short = order[:8 * batch_size]
    p, p_ref, r, r_ref = p0.copy(), p0.copy(), r0.copy(), r0.copy()
    loss, steps = tricks_epoch(backend, X, y, short, p, r, sizes, batch_size)
    ref_loss, ref_steps = tricks_epoch(mlbasics.get_backend("numpy"), X, y, short, p_ref, r_ref, sizes, batch_size)
    assert steps == ref_steps == 8
    assert loss == pytest.approx(ref_loss, rel=1e-3)
    check(p, p_ref, np.float32)
    check(r, r_ref, np.float32)
    params, running = p0.copy(), r0.copy()

    def setup():
        params[...] = p0
        running[...] = r0
        return (backend, X, y, order, params, running, sizes, batch_size), {}

    loss, steps = benchmark.pedantic(tricks_epoch, setup=setup, rounds=3, iterations=1)
    assert steps == -(-n // batch_size) and np.isfinite(loss)
