"""The Numba backend's ``mlp_epoch`` with the tricks of issue #11 against the NumPy reference epoch.

Every combination of normalization × residual × spectral norm × dropout, in float32 and float64,
on 1 and 2 threads; sample weights, batches deeper than the GEMM's KC, divergence, the dropout
masks bit for bit, bit-identical reruns, and the all-off tricks against today's code path. The
torch parity of every backend is in ``test_mlp_tricks.py``.
"""
import itertools

import numpy as np
import pytest

import mlbasics
from _helpers import assert_close
from mlbasics.backends._contract.mlp import mlp_param_count
from mlbasics.backends.numba import _mlp_tricks
from mlbasics.backends.numba.gemm import _BLOCKING
from mlbasics.backends.numpy._philox import keep_threshold, words

NORMS = (None, "batch", "layer", "group")


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request, restore_threads):
    mlbasics.set_num_threads(request.param)
    return request.param


def make(sizes, dtype, *, normalization=None, spectral=False, n=33, seed=0, loss="softmax_cross_entropy"):
    """X, targets, params (with gamma/beta when normalized), running stats, spectral vectors."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    k = sizes[-1]
    if loss == "softmax_cross_entropy":
        y = rng.integers(0, k, n)
    elif loss == "binary_cross_entropy_with_logits":
        y = rng.uniform(0, 1, n).astype(dtype)
    else:
        y = rng.standard_normal((n, k)).astype(dtype)
    parts = []
    hidden = len(sizes) - 2
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        parts += [rng.standard_normal(a * b) / np.sqrt(a), 0.1 * rng.standard_normal(b)]
        if normalization is not None and l < hidden:
            parts += [1 + 0.1 * rng.standard_normal(b), 0.1 * rng.standard_normal(b)]
    params = np.concatenate(parts).astype(dtype)
    assert params.shape[0] == mlp_param_count(sizes, normalization)
    running = None
    if normalization == "batch":
        running = np.concatenate([np.r_[0.1 * rng.standard_normal(m), rng.uniform(0.5, 1.5, m)]
                                  for m in sizes[1:-1]]).astype(dtype)
    vectors = None
    if spectral:
        vectors = rng.standard_normal(sum(a + b for a, b in zip(sizes[:-1], sizes[1:]))).astype(dtype)
    return X, y, params, running, vectors


def epoch(backend, X, y, params, running, vectors, *, sizes, order=None, optimizer="sgd", hyper=None, step=0,
          first_step=True, activation="relu", loss="softmax_cross_entropy", alpha=1e-3, batch_size=8, **tricks):
    """One mlp_epoch on copies of the in-place arrays; returns (loss_sum, n_steps, params, grads,
    running, vectors, state)."""
    params = params.copy()
    grads = np.full_like(params, np.nan)
    running = None if running is None else running.copy()
    vectors = None if vectors is None else vectors.copy()
    hyper = dict(lr=0.05, momentum=0.9) if hyper is None else hyper
    state = ({"momentum_buffer": np.empty_like(params)} if optimizer == "sgd"
             else {"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)})
    order = np.random.default_rng(1).permutation(X.shape[0]) if order is None else order
    loss_sum, steps = mlbasics.get_backend(backend).mlp_epoch(
        X, y, order, params, grads, state, layer_sizes=sizes, activation=activation, loss=loss, alpha=alpha,
        batch_size=batch_size, optimizer=optimizer, hyper=hyper, step=step, first_step=first_step,
        running_stats=running, spectral_vectors=vectors, spectral_norm=vectors is not None, **tricks)
    return loss_sum, steps, params, grads, running, vectors, state


def assert_epochs_close(got, ref, dtype):
    loss_sum, steps = got[:2]
    assert steps == ref[1]
    assert loss_sum == pytest.approx(ref[0], rel=10 * (1e-4 if dtype == np.float32 else 1e-10))
    for g, r in zip(got[2:6], ref[2:6]):  # params, grads, running, vectors
        if r is None:
            assert g is None
        else:
            assert_close(g, r, dtype)


COMBOS = list(itertools.product(NORMS, [False, True], [False, True], [0.0, 0.4]))


@pytest.mark.parametrize("normalization,residual,spectral,p", COMBOS,
                         ids=[f"{n}-{'res' if r else 'plain'}-{'sn' if s else 'nosn'}-p{p}" for n, r, s, p in COMBOS])
def test_tricks_match_reference(dtype, threads, normalization, residual, spectral, p):
    """33 rows in batches of 8 (the last of one row: skipped with batch norm, trained otherwise);
    a 5→8→8→8→3 network (residual chain 8→8→8; 2 groups of 4: in float32 a group of few features
    with a tiny variance would amplify the GEMMs' last-bit differences beyond the tolerance)."""
    sizes = (5, 8, 8, 8, 3)
    X, y, params, running, vectors = make(sizes, dtype, normalization=normalization, spectral=spectral)
    kw = dict(sizes=sizes, normalization=normalization, norm_groups=2, residual=residual, dropout=p, seed=2**64 - 5,
              step=3)
    got = epoch("numba", X, y, params, running, vectors, **kw)
    ref = epoch("numpy", X, y, params, running, vectors, **kw)
    assert got[1] == (4 if normalization == "batch" else 5)
    assert_epochs_close(got, ref, dtype)
    assert not np.array_equal(got[2], params)


@pytest.mark.parametrize("activation,loss,optimizer,hyper,normalization", [
    ("tanh", "binary_cross_entropy_with_logits", "adam", dict(lr=0.01), "layer"),
    ("sigmoid", "squared_error", "sgd", dict(lr=0.1, momentum=0.5, nesterov=True), "batch"),
    ("identity", "softmax_cross_entropy", "adam", dict(lr=0.02, weight_decay=0.1), "group"),
])
def test_activations_losses_optimizers(dtype, activation, loss, optimizer, hyper, normalization):
    """(Not Adam with batch norm here: the biases before a batch norm have a zero gradient, whose
    float32 rounding noise Adam scales up to whole steps of either sign.)"""
    sizes = (4, 8, 8, 1 if loss == "binary_cross_entropy_with_logits" else 3)
    X, y, params, running, vectors = make(sizes, dtype, normalization=normalization, spectral=True, loss=loss, n=40)
    kw = dict(sizes=sizes, normalization=normalization, residual=True, dropout=(0.3, 0.1), seed=11,
              activation=activation, loss=loss, optimizer=optimizer, hyper=hyper, batch_size=10)
    assert_epochs_close(epoch("numba", X, y, params, running, vectors, **kw),
                        epoch("numpy", X, y, params, running, vectors, **kw), dtype)


@pytest.mark.parametrize("normalization", NORMS)
def test_sample_weight(dtype, normalization):
    """Weighted losses (the normalization's statistics stay unweighted); a zero-weight batch is skipped."""
    sizes = (5, 6, 6, 3)
    X, y, params, running, vectors = make(sizes, dtype, normalization=normalization, spectral=True, n=40)
    w = np.random.default_rng(3).uniform(0, 2, 40).astype(dtype)
    order = np.arange(40)
    w[8:16] = 0  # the second batch weighs nothing
    kw = dict(sizes=sizes, normalization=normalization, residual=True, dropout=0.25, seed=5, order=order,
              sample_weight=w)
    got = epoch("numba", X, y, params, running, vectors, **kw)
    ref = epoch("numpy", X, y, params, running, vectors, **kw)
    assert got[1] == 4
    assert_epochs_close(got, ref, dtype)


@pytest.mark.parametrize("normalization", ["batch", "group"])
def test_batches_deeper_than_kc(dtype, threads, normalization):
    """Batches longer than the GEMM's KC (the weight gradient's depth) and products large enough
    to run on two threads."""
    kc = _BLOCKING[np.dtype(dtype)][1]
    bs = kc + 37
    sizes = (40, 64, 64, 5)
    X, y, params, running, vectors = make(sizes, dtype, normalization=normalization, spectral=True, n=2 * bs + 9)
    kw = dict(sizes=sizes, normalization=normalization, norm_groups=4, residual=True, dropout=0.2, seed=1,
              batch_size=bs, hyper=dict(lr=0.01, momentum=0.9))
    assert_epochs_close(epoch("numba", X, y, params, running, vectors, **kw),
                        epoch("numpy", X, y, params, running, vectors, **kw), dtype)


@pytest.mark.parametrize("normalization", NORMS)
@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_divergence(dtype, normalization, bad):
    """A non-finite input in the third batch: the epoch stops before that batch's update, with its
    loss, as the reference does; the running statistics and the spectral vectors are updated on
    that batch too (the statistics become non-finite, the vectors stay finite: from finite weights)."""
    sizes = (5, 6, 6, 3)
    X, y, params, running, vectors = make(sizes, dtype, normalization=normalization, spectral=True, n=64)
    X[2 * 8 + 3, 1] = bad
    kw = dict(sizes=sizes, normalization=normalization, residual=True, dropout=0.2, seed=9, order=np.arange(64))
    got = epoch("numba", X, y, params, running, vectors, **kw)
    with np.errstate(all="ignore"):  # the reference's layers warn about inf·0
        ref = epoch("numpy", X, y, params, running, vectors, **kw)
    assert ref[1] == got[1] == 2
    assert not np.isfinite(ref[0]) and not np.isfinite(got[0])
    assert_close(got[2], ref[2], dtype)
    if running is not None:
        fin = np.isfinite(ref[4])
        assert not fin.all()
        np.testing.assert_array_equal(np.isfinite(got[4]), fin)
        assert_close(got[4][fin], ref[4][fin], dtype)
    assert np.isfinite(ref[5]).all()
    assert_close(got[5], ref[5], dtype)
    before = epoch("numba", X, y, params, running, vectors, **dict(kw, order=np.arange(16)))
    assert not np.array_equal(before[5], got[5])  # the third batch's power iteration happened


@pytest.mark.parametrize("n", [1, 3, 4, 5, 64, 257])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_dropout_masks_equal_the_reference(n, p):
    """The epoch's mask pass: word (l << 40) + e of stream t under the seed, kept iff word >> 8 >=
    keep_threshold(p) — bit for bit the reference's Philox words."""
    for seed, stream, layer in [(0, 1, 0), (2**64 - 1, 12345, 1), (987654321, 2**40 + 3, 7)]:
        offset = layer << 40
        mask = np.full(n, 7, np.uint8)
        _mlp_tricks.dropout_mask(np.uint64(seed), np.uint64(stream), np.uint64(offset),
                                 np.uint64(keep_threshold(p)), mask, n)
        expected = (words(n, seed=seed, offset=offset, stream=stream) >> 8) >= keep_threshold(p)
        np.testing.assert_array_equal(mask, expected.astype(np.uint8))


def test_dropout_changes_with_seed_and_reruns_are_bit_identical(dtype):
    sizes = (5, 8, 8, 3)
    X, y, params, running, vectors = make(sizes, dtype, normalization="batch", spectral=True)
    kw = dict(sizes=sizes, normalization="batch", residual=True, dropout=0.5)
    a = epoch("numba", X, y, params, running, vectors, seed=1, **kw)
    b = epoch("numba", X, y, params, running, vectors, seed=1, **kw)
    c = epoch("numba", X, y, params, running, vectors, seed=2, **kw)
    assert a[0] == b[0]
    for x, z in zip(a[2:6], b[2:6]):
        np.testing.assert_array_equal(x, z)
    assert not np.array_equal(a[2], c[2])


def test_dropout_mask_fraction_and_update_numbers(dtype):
    """With one wide hidden layer, identity activation and SGD without momentum from zero output
    weights, the bias gradient of the output layer is Σ over the batch of the kept, scaled units:
    its survivors' fraction is ≈ 1 − p, and a different starting update number gives other masks."""
    sizes = (3, 4000, 1)
    X, y, params, _, _ = make(sizes, dtype, n=4, loss="squared_error")
    kw = dict(sizes=sizes, dropout=0.3, seed=3, activation="identity", loss="squared_error", batch_size=4,
              hyper=dict(lr=0.0), alpha=0.0)
    got = epoch("numba", X, y, params, None, None, **kw)
    ref = epoch("numpy", X, y, params, None, None, **kw)
    assert_close(got[3], ref[3], dtype)
    other = epoch("numba", X, y, params, None, None, step=1, **kw)
    w_out = got[3][3 * 4000 + 4000:3 * 4000 + 8000]  # the gradient of the output layer's W: zero where dropped
    zero_frac = np.mean(w_out == 0)
    assert abs(zero_frac - 0.3 ** 4) < 0.02  # a unit is 0 when dropped in all 4 rows
    assert not np.array_equal(w_out, other[3][3 * 4000 + 4000:3 * 4000 + 8000])


def test_all_tricks_off_is_todays_epoch(dtype):
    """The contract routes an all-off call to today's raw call; the tricks' kernel given an all-off
    dict computes the same epoch (to rounding: other passes)."""
    sizes = (5, 7, 7, 3)
    X, y, params, _, _ = make(sizes, dtype)
    today = epoch("numba", X, y, params, None, None, sizes=sizes)
    explicit = epoch("numba", X, y, params, None, None, sizes=sizes, dropout=0.0, seed=99, residual=False)
    assert today[0] == explicit[0]
    np.testing.assert_array_equal(today[2], explicit[2])
    from mlbasics.backends._contract.mlp import _optimizer_spec
    from mlbasics.backends.numba.mlp import mlp_epoch

    p1, p2 = params.copy(), params.copy()
    out = []
    for p, tricks in [(p1, None), (p2, dict(dropout=(0.0, 0.0), seed=0, norm=0, groups=1, momentum=0.1, eps=1e-5,
                                            running=None, residual=False, spectral=None))]:
        kind, hp, st = _optimizer_spec("sgd", dict(lr=0.05, momentum=0.9), {"momentum_buffer": np.empty_like(p)}, p)
        args = (X, y, np.arange(33), p, np.empty_like(p), st, sizes, 1, 0, 1e-3, 8, kind, hp, 0, True)
        out.append(mlp_epoch(*args) if tricks is None else mlp_epoch(*args, None, tricks))
    assert out[0][1] == out[1][1] == 5
    assert out[1][0] == pytest.approx(out[0][0], rel=1e-5 if dtype == np.float32 else 1e-12)
    assert_close(p2, p1, dtype)


def test_one_row_training_set_with_batch_norm_takes_no_step(dtype):
    sizes = (5, 6, 3)
    X, y, params, running, _ = make(sizes, dtype, normalization="batch", n=1)
    got = epoch("numba", X, y, params, running, None, sizes=sizes, normalization="batch")
    assert got[:2] == (0.0, 0)
    np.testing.assert_array_equal(got[2], params)
    np.testing.assert_array_equal(got[4], running)


def test_epoch_in_two_calls_is_bit_identical(dtype):
    """An epoch split in two calls (the second with step = the first's updates, as the estimators
    split long epochs) gives the same bits: the dropout stream is the update number."""
    sizes = (5, 8, 8, 3)
    X, y, params, running, vectors = make(sizes, dtype, normalization="batch", spectral=True, n=40)
    kw = dict(sizes=sizes, normalization="batch", residual=True, dropout=0.3, seed=77, optimizer="adam",
              hyper=dict(lr=0.01))
    whole = epoch("numba", X, y, params, running, vectors, order=np.arange(40), **kw)
    first = epoch("numba", X, y, params, running, vectors, order=np.arange(16), **kw)
    p, r, v, state = first[2], first[4], first[5], first[6]
    grads = np.empty_like(p)
    loss2, steps2 = mlbasics.get_backend("numba").mlp_epoch(
        X, y, np.arange(16, 40), p, grads, state, layer_sizes=sizes, activation="relu",
        loss="softmax_cross_entropy", alpha=1e-3, batch_size=8, optimizer="adam", hyper=dict(lr=0.01),
        step=first[1], first_step=False, normalization="batch", residual=True, dropout=0.3, seed=77,
        running_stats=r, spectral_norm=True, spectral_vectors=v)
    assert first[1] + steps2 == whole[1] == 5
    np.testing.assert_array_equal(p, whole[2])
    np.testing.assert_array_equal(r, whole[4])
    np.testing.assert_array_equal(v, whole[5])
