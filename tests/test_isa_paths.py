"""Every SIMD path of the C++ core against the NumPy reference, at sizes that cross every blocking
boundary of that path's GEMM context: k above KC (several packed panel passes), m above MC, n above
NC, every edge-tile width 1..NR−1, transposed and strided operands, float32 and float64 — for
matmul, gram, the dense layers, the optimizer steps, kmeans_step (ties to the lowest index) and
mlp_epoch (a batch above KC: the fused weight-gradient epilogue spans several passes), plain and
with the tricks (its row kernels: a full vector body and a tail).

The block sizes are read from the extension (``_core._gemm_blocking``), so the sizes follow the
context of whichever path runs. The module runs twice over: in this process on the path it chose,
and, through ``test_every_path``, in a subprocess per path with ``MLBASICS_CPU`` forced (skipped,
with the reason, where this CPU/build lacks the path).
"""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import mlbasics
from mlbasics import _core

PATHS = ("generic", "avx2", "avx512")
DTYPES = [np.float32, np.float64]
cpp = mlbasics.get_backend("cpp")
ref = mlbasics.get_backend("numpy")


def blocking(dtype):
    return _core._gemm_blocking(np.dtype(dtype).name)


def eps(dtype):
    return float(np.finfo(dtype).eps)


def assert_product_close(got, a64, b64, exact, k, dtype, what):
    """|got − exact| ≤ 4 (k + 2) ε (|a|·|b|) elementwise: the error bound of any summation order."""
    bound = 4.0 * (k + 2) * eps(dtype) * (np.abs(a64) @ np.abs(b64)) + 1e-30
    err = np.abs(got.astype(np.float64) - exact)
    bad = err > bound
    assert not bad.any(), (f"{what} on {_core.cpu_path()}: {int(bad.sum())} entries off, first at "
                           f"{tuple(int(i[0]) for i in np.nonzero(bad))}, worst excess {float((err - bound).max()):.3g}")


def boundary_shapes(dtype):
    """(m, n, k) crossing each boundary of the context: k > KC, m > MC, n > NC, all at once."""
    b = blocking(dtype)
    mr, nr, kc, mc, nc = b["mr"], b["nr"], b["kc"], b["mc"], b["nc"]
    return {"k>KC": (2 * mr + 3, 2 * nr + 5, 2 * kc + 7),
            "m>MC": (mc + mr + 3, nr + 3, 17),
            "n>NC": (mr + 1, nc + nr + 5, 9),
            "m>MC,n>NC,k>KC": (mc + 1, nc + 1, kc + 1)}


def operand(rng, rows, cols, dtype, layout):
    """A rows×cols operand stored row-major ('c'), transposed ('t': pass trans=True) or as a strided
    view ('s'); returns (array to pass, trans flag, float64 copy of the logical matrix)."""
    x = rng.uniform(-1, 1, (rows, cols))
    if layout == "t":
        return np.ascontiguousarray(x.T).astype(dtype), True, x.astype(dtype).astype(np.float64)
    if layout == "s":
        big = np.zeros((rows, 2 * cols + 1), dtype)
        view = big[:, 1::2]
        view[...] = x
        return view, False, view.astype(np.float64)
    a = x.astype(dtype)
    return a, False, a.astype(np.float64)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("which", ["k>KC", "m>MC", "n>NC", "m>MC,n>NC,k>KC"])
def test_matmul_crosses_the_blocks(dtype, which, restore_threads):
    m, n, k = boundary_shapes(dtype)[which]
    rng = np.random.default_rng(hash(which) % 2**32)
    for threads, (la, lb) in zip((1, 2, 1), (("c", "c"), ("t", "s"), ("s", "t"))):
        mlbasics.set_num_threads(threads)
        a, ta, a64 = operand(rng, m, k, dtype, la)
        b, tb, b64 = operand(rng, k, n, dtype, lb)
        out = np.full((m, n), np.nan, dtype)  # never read
        cpp.matmul(a, b, ta, tb, out)
        assert_product_close(out, a64, b64, a64 @ b64, k, dtype, f"matmul {which} {m}×{k}·{k}×{n} {la}{lb}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_matmul_every_edge_width(dtype):
    b = blocking(dtype)
    mr, nr = b["mr"], b["nr"]
    rng = np.random.default_rng(7)
    for w in range(1, nr):
        m, n, k = mr + w % mr, nr + w, 33 + w  # a full tile, then an edge of w columns (and of rows)
        la, lb = "cts"[w % 3], "cts"[(w // 3) % 3]
        a, ta, a64 = operand(rng, m, k, dtype, la)
        bb, tb, b64 = operand(rng, k, n, dtype, lb)
        out = cpp.matmul(a, bb, ta, tb)
        assert_product_close(out, a64, b64, a64 @ b64, k, dtype, f"matmul edge width {w} ({m}×{k}·{k}×{n})")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gram_crosses_the_blocks(dtype, weighted):
    b = blocking(dtype)
    n, p = 2 * b["kc"] + 7, b["mc"] + b["mr"] + 3
    rng = np.random.default_rng(3)
    x, _, x64 = operand(rng, n, p, dtype, "s")
    w = rng.uniform(0, 2, n).astype(dtype) if weighted else None
    got = cpp.gram(x, w)
    w64 = np.ones(n) if w is None else w.astype(np.float64)
    assert_product_close(got, (x64 * w64[:, None]).T, x64, (x64 * w64[:, None]).T @ x64, n, dtype, "gram")
    np.testing.assert_array_equal(got, got.T)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_linear_layers_cross_the_blocks(dtype):
    b = blocking(dtype)
    rng = np.random.default_rng(5)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-11)
    for n, n_in, n_out in [(b["mc"] + 3, b["kc"] + 5, b["nr"] + 7), (9, 13, b["nc"] + 3), (2 * b["kc"] + 1, 30, 11)]:
        x = rng.uniform(-1, 1, (n, n_in)).astype(dtype)
        w = (rng.uniform(-1, 1, (n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
        bias = rng.uniform(-1, 1, n_out).astype(dtype)
        for act in ("relu", "tanh"):
            z, h = cpp.linear_forward(x, w, bias, act)
            zr, hr = ref.linear_forward(x, w, bias, act)
            np.testing.assert_allclose(z, zr, **tol)
            np.testing.assert_allclose(h, hr, **tol)
            g = rng.uniform(-1, 1, (n, n_out)).astype(dtype)
            got = cpp.linear_backward(x, w, z, h, g, act)
            want = ref.linear_backward(x, w, zr, hr, g, act)
            for name, u, v in zip(("grad_x", "grad_w", "grad_b"), got, want):
                np.testing.assert_allclose(u, v, err_msg=f"{name} {n}×{n_in}→{n_out} {act}", **tol)


OPTIMIZERS = [
    ("sgd_step", ("momentum_buf",), dict(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=1e-2, nesterov=True)),
    ("adam_step", ("exp_avg", "exp_avg_sq"), dict(step=3, lr=1e-2, weight_decay=1e-2, decoupled_weight_decay=True)),
    ("rmsprop_step", ("square_avg", "momentum_buffer", "grad_avg"),
     dict(lr=1e-2, momentum=0.5, centered=True, weight_decay=1e-3)),
    ("adagrad_step", ("sum",), dict(step=2, lr=0.1, lr_decay=0.01, weight_decay=1e-3)),
    ("adadelta_step", ("square_avg", "acc_delta"), dict(lr=1.0, rho=0.8, weight_decay=1e-3)),
    ("rprop_step", ("prev", "step_size"), dict(etas=(0.4, 1.3), step_sizes=(1e-5, 1.0))),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("name, state_names, hyper", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_optimizer_steps_every_tail(dtype, name, state_names, hyper, restore_threads):
    rng = np.random.default_rng(11)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    # every tail of a 16- and 8-lane vector, and a buffer split over the pool
    for n in (*range(1, 34), 1003, (1 << 16) + 123):
        mlbasics.set_num_threads(2 if n > 1000 else 1)
        p0 = rng.uniform(-1, 1, n).astype(dtype)
        positive = ("square_avg", "exp_avg_sq", "sum", "acc_delta", "step_size")
        states = [{s: (rng.uniform(0.01, 1, n) if s in positive else  # centred RMSprop: grad_avg² ≤ square_avg
                       np.zeros(n) if s == "grad_avg" else rng.uniform(-1, 1, n)).astype(dtype)
                   for s in state_names}]
        states.append({s: v.copy() for s, v in states[0].items()})
        params = [p0.copy(), p0.copy()]
        for step in range(3):  # three steps, so that the state feeds back
            g = rng.uniform(-1, 1, n).astype(dtype)
            kw = dict(hyper)
            if name == "sgd_step":
                kw["first_step"] = step == 0
            for be, p, st in ((cpp, params[0], states[0]), (ref, params[1], states[1])):
                getattr(be, name)(p, g, *[st[s] for s in state_names], **kw)
        np.testing.assert_allclose(params[0], params[1], err_msg=f"{name} n={n}", **tol)
        for s in state_names:
            np.testing.assert_allclose(states[0][s], states[1][s], err_msg=f"{name} {s} n={n}", **tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_kmeans_step_crosses_the_blocks_and_ties_go_low(dtype, restore_threads):
    b = blocking(dtype)
    rng = np.random.default_rng(13)
    # centres: more than NR (several column tiles, with an edge of every kind at some k) plus
    # exact duplicates placed in a full tile and in the edge tile; p above KC for the product depth
    p = b["kc"] + 3
    for k in (b["nr"] + 2, 2 * b["nr"] - 1, 3 * b["nr"] + b["nr"] // 2):  # k − 1 is never NR
        base = rng.uniform(-1, 1, (k, p)).astype(dtype)
        base[k - 1] = base[0]  # the last (edge-tile) centre equals the first: label 0 must win
        base[b["nr"]] = base[1]  # a centre in the second tile equals one in the first
        x = np.concatenate([base[[0, 1, k - 1]], rng.uniform(-1, 1, (2 * b["mc"] + 5, p))]).astype(dtype)
        for threads in (1, 2):
            mlbasics.set_num_threads(threads)
            labels, sq, sums, weights = cpp.kmeans_step(x, base)
            rl, rsq, rsums, rweights = ref.kmeans_step(x, base)
            assert labels[0] == 0 and labels[1] == 1 and labels[2] == 0, labels[:3]
            assert not np.isin(labels, [k - 1, b["nr"]]).any(), "a duplicate centre with a higher index won"
            # elsewhere only a near-tie (up to rounding) may resolve differently from the reference
            diff = np.nonzero(labels != rl)[0]
            x64, c64 = x.astype(np.float64), base.astype(np.float64)
            near = 1e-3 if dtype == np.float32 else 1e-9
            for i in diff:
                d = ((x64[i] - c64[[labels[i], rl[i]]]) ** 2).sum(axis=1)
                assert abs(d[0] - d[1]) <= near * d.max(), (i, d)
            if len(diff) == 0:
                tol = 1e-4 if dtype == np.float32 else 1e-10
                np.testing.assert_allclose(sq, rsq, rtol=tol, atol=tol)
                np.testing.assert_allclose(sums, rsums, rtol=tol, atol=tol * p)
                np.testing.assert_array_equal(weights, rweights)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("p", [1, 7, 8, 9, 31, 32, 33, 40])
def test_kmeans_step_small_k_every_width(dtype, p, restore_threads):
    # The few-centre loops (no GEMM, k within one or two vectors: AVX-512 16 floats / 8 doubles,
    # AVX2 8 / 4; row groups of 8 or 6 and blocks of 256 rows, sums gathered centre by centre): k on
    # each side of half, one and two vector widths on either path, p on each side of a vector of doubles, n with a tail after the
    # row groups, the 256-row blocks and the 2048-row chunks. Small integers make every product,
    # norm and sum exact, so labels, distances, sums and weights must equal the reference's bit for
    # bit, ties (duplicate centres, common with such data) included.
    rng = np.random.default_rng(p)
    n = 2048 + 256 + 8 * 6 + 5
    x = rng.integers(-3, 4, (n, p)).astype(dtype)
    w = rng.integers(0, 4, n).astype(dtype)
    for k in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33):
        centers = rng.integers(-3, 4, (k, p)).astype(dtype)
        if k > 2:
            centers[k - 1] = centers[0]  # a duplicate of the first centre, in the last lane
        for threads in (1, 2):
            mlbasics.set_num_threads(threads)
            for weights in (None, w):
                got, exp = cpp.kmeans_step(x, centers, weights), ref.kmeans_step(x, centers, weights)
                for name, a, b in zip(("labels", "sq_dist", "sums", "weights"), got, exp):
                    np.testing.assert_array_equal(a, b, err_msg=f"{name}: k={k} p={p} threads={threads}")
            labels = cpp.kmeans_step(x, centers, return_sq_dist=False)[0]
            np.testing.assert_array_equal(labels, exp[0])
            assert k <= 2 or not np.any(labels == k - 1), "a duplicate centre with a higher index won"


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("k", [3, 4, 5, 8, 9, 16, 17, 32, 33, 300])
def test_kmeans_step_non_finite_every_width(dtype, k):
    # A NaN in a row sends it to centre 0; a NaN centre takes every row it meets (the first NaN
    # centre); inf in x against a 0 in a centre gives a NaN ranking value (0·inf) that wins, in
    # whichever lane of whichever vector it falls, and never from a padding lane (nor from the
    # zero that pads an odd feature count in the layout that does two features per FMA).
    rng = np.random.default_rng(k)
    p = 5
    x = rng.standard_normal((40, p)).astype(dtype)
    centers = rng.standard_normal((k, p)).astype(dtype)
    x[3, 2] = np.nan
    x[7, 1] = np.inf
    x[9, p - 1] = -np.inf  # p is odd: the last feature has no partner
    centers[k - 2, 1] = 0.0
    nan_last = centers.copy()
    nan_last[k - 1, 0] = np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        for c in (centers, nan_last):
            got, exp = cpp.kmeans_step(x, c), ref.kmeans_step(x, c)
            np.testing.assert_array_equal(got[0], exp[0], err_msg=f"k={k}")
            np.testing.assert_array_equal(np.isnan(got[1]), np.isnan(exp[1]))
            np.testing.assert_array_equal(np.isnan(got[2]), np.isnan(exp[2]))
            np.testing.assert_array_equal(got[3], exp[3])


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_nearest_neighbors_bound_and_filter_exact(dtype, restore_threads):
    # The neighbour search's vector filter and per-row bound (AVX-512: the minima of 64 groups of
    # the first block of candidates): candidates over two GEMM column blocks (2048), query rows
    # over two row blocks (64), n_neighbors on each side of the 63/64 groups, many exact ties
    # (small integers, duplicated rows) and NaN rows in x and y; the same indices and distances as
    # the reference, bit for bit.
    rng = np.random.default_rng(5)
    p = 3
    y = rng.integers(-4, 5, (2048 + 70, p)).astype(dtype)
    y[2048 + 3] = y[5]  # a duplicate in the second block
    x = rng.integers(-4, 5, (70, p)).astype(dtype)
    for kn in (1, 10, 62, 63, 64):
        for threads in (1, 2):
            mlbasics.set_num_threads(threads)
            for a, b in zip(cpp.nearest_neighbors(x, kn, y), ref.nearest_neighbors(x, kn, y)):
                np.testing.assert_array_equal(a, b, err_msg=f"n_neighbors={kn}")
            for a, b in zip(cpp.nearest_neighbors(y[:300], kn), ref.nearest_neighbors(y[:300], kn)):
                np.testing.assert_array_equal(a, b, err_msg=f"n_neighbors={kn} (itself)")
    xn, yn = x.copy(), y[:500].copy()
    xn[4, 1] = np.nan
    yn[::7, 0] = np.nan  # a NaN in every 7th candidate: those never beat a number
    with np.errstate(invalid="ignore"):
        for kn in (3, 70):
            for a, b in zip(cpp.nearest_neighbors(xn, kn, yn), ref.nearest_neighbors(xn, kn, yn)):
                np.testing.assert_array_equal(a, b, err_msg=f"NaN, n_neighbors={kn}")


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("optimizer, hyper", [("adam", dict(lr=0.01)), ("sgd", dict(lr=0.05, momentum=0.9))])
def test_mlp_epoch_batch_above_kc(dtype, optimizer, hyper, restore_threads):
    b = blocking(dtype)
    batch = b["kc"] + 9  # the weight-gradient product has k = batch > KC
    n, sizes = 2 * batch + 5, (b["kc"] + 3, b["nr"] + 5, 3)  # and its forward product k = n_in > KC
    rng = np.random.default_rng(17)
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    y = rng.integers(0, 3, n)
    order = rng.permutation(n)
    P = sum((a + 1) * c for a, c in zip(sizes[:-1], sizes[1:]))
    p0 = (rng.standard_normal(P) * 0.05).astype(dtype)
    kw = dict(layer_sizes=sizes, activation="relu", loss="softmax_cross_entropy", alpha=1e-3, batch_size=batch,
              optimizer=optimizer, hyper=hyper, step=0, first_step=True)
    results = []
    for be in (cpp, ref):
        params = p0.copy()
        state = ({"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)} if optimizer == "adam"
                 else {"momentum_buffer": np.zeros_like(params)})
        loss_sum, steps = be.mlp_epoch(X, y, order, params, np.full_like(params, np.nan), state, **kw)
        results.append((loss_sum, steps, params))
    (l1, s1, p1), (l2, s2, p2) = results
    assert s1 == s2 == math.ceil(n / batch)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    assert l1 == pytest.approx(l2, rel=tol)
    np.testing.assert_allclose(p1, p2, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("normalization", [None, "batch", "group"])
def test_mlp_epoch_tricks_every_width(dtype, activation, normalization, restore_threads):
    """The tricks epoch (normalization, dropout, the skip) against the NumPy reference, with hidden
    widths that give the row kernels of this path a full vector body and a tail (37 = 2·16 + 5),
    and a batch above KC; the dropout masks are the same words on every backend and path."""
    b = blocking(dtype)
    batch = b["kc"] + 9
    n, sizes = 2 * batch + 5, (19, 37, 37, 3)
    rng = np.random.default_rng(23)
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    y = rng.integers(0, 3, n)
    order = rng.permutation(n)
    norm = normalization is not None
    P = sum((a + 1) * c for a, c in zip(sizes[:-1], sizes[1:])) + (2 * sum(sizes[1:-1]) if norm else 0)
    p0 = (rng.standard_normal(P) * 0.1).astype(dtype)
    if norm:  # γ = 1, β = 0 after each hidden layer's W and b
        off = 0
        for a, c in zip(sizes[:-2], sizes[1:-1]):
            off += (a + 1) * c
            p0[off:off + c], p0[off + c:off + 2 * c] = 1, 0
            off += 2 * c
    kw = dict(layer_sizes=sizes, activation=activation, loss="softmax_cross_entropy", alpha=1e-3, batch_size=batch,
              optimizer="sgd", hyper=dict(lr=0.05, momentum=0.9), step=0, first_step=True, dropout=[0.3, 0.2],
              seed=5, normalization=normalization, norm_groups=37 if normalization == "group" else 2, residual=True)
    results = []
    for be in (cpp, ref):
        params, running = p0.copy(), np.tile(np.r_[np.zeros(37), np.ones(37)], 2).astype(dtype)
        extra = dict(running_stats=running) if normalization == "batch" else {}
        loss_sum, steps = be.mlp_epoch(X, y, order, params, np.full_like(params, np.nan),
                                       {"momentum_buffer": np.zeros_like(params)}, **kw, **extra)
        results.append((loss_sum, steps, params, running))
    (l1, s1, p1, r1), (l2, s2, p2, r2) = results
    assert s1 == s2 == math.ceil(n / batch)
    tol = 2e-4 if dtype == np.float32 else 1e-10
    assert l1 == pytest.approx(l2, rel=tol)
    np.testing.assert_allclose(p1, p2, rtol=tol, atol=tol)
    np.testing.assert_allclose(r1, r2, rtol=tol, atol=tol)
    if normalization == "batch":
        assert not np.array_equal(r1, np.tile(np.r_[np.zeros(37), np.ones(37)], 2))  # the statistics moved


@pytest.mark.skipif(os.environ.get("MLBASICS_ISA_PATHS_CHILD") == "1", reason="already the forced run")
@pytest.mark.parametrize("path", PATHS)
def test_every_path(path):
    """This module again, in a subprocess with MLBASICS_CPU=path."""
    if not _core.cpu_path_available(path):
        pytest.skip(f"MLBASICS_CPU={path}: this CPU/build does not have it (forcing it is an error, "
                    f"tested in test_cpu_env.py)")
    env = dict(os.environ, MLBASICS_CPU=path, MLBASICS_ISA_PATHS_CHILD="1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__],
                       env=env, capture_output=True, text=True, timeout=1800, cwd=os.path.dirname(__file__))
    assert r.returncode == 0, f"MLBASICS_CPU={path}:\n{r.stdout[-6000:]}\n{r.stderr[-3000:]}"


def test_this_process_runs_the_path_it_reports():
    assert all(blocking(d)["family"] == _core.cpu_path() for d in DTYPES)
    if os.environ.get("MLBASICS_ISA_PATHS_CHILD") == "1":
        assert _core.cpu_path() == os.environ["MLBASICS_CPU"]
