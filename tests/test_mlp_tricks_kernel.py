"""mlp_epoch with the tricks of issue #11 (dropout, batch/layer/group normalization, residual
connections, spectral normalization) against the NumPy reference epoch, on the compiled backends
and both dtypes: every combination of the tricks, with and without sample weights, sizes across
the GEMM's blocking boundaries (a batch and widths above KC = 256), one-row batches with batch
norm, divergence, and the untouched code path when every trick is off.

Dropout masks: a backend whose mask differed from the reference's in a single element would give a
different gradient (that unit's contribution scaled by 1/(1 − p) or dropped) — an error of the
order of the gradient itself, far above the float64 tolerance of these comparisons. Matching
epochs with dropout therefore means the same masks, bit for bit.
"""
import itertools

import numpy as np
import pytest

import mlbasics
from _helpers import assert_close
from mlbasics.backends._contract.mlp import mlp_param_count

NORMS = (None, "batch", "layer", "group")
ACTS = ("relu", "tanh", "sigmoid", "identity")


@pytest.fixture(params=["cpp", "numba"])
def compiled(request):
    """Each compiled backend (both must load and take the tricks: a failure, not a skip)."""
    return mlbasics.get_backend(request.param)


def make_problem(dtype, sizes, n, *, seed, normalization, spectral, classes=True):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, sizes[0])).astype(dtype)
    targets = rng.integers(0, sizes[-1], n) if classes else rng.standard_normal((n, sizes[-1])).astype(dtype)
    parts = []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        parts += [rng.standard_normal(a * b) / np.sqrt(a), 0.1 * rng.standard_normal(b)]
        if normalization is not None and l < len(sizes) - 2:
            parts += [1 + 0.1 * rng.standard_normal(b), 0.1 * rng.standard_normal(b)]
    params = np.concatenate(parts).astype(dtype)
    assert params.shape[0] == mlp_param_count(sizes, normalization)
    running = None
    if normalization == "batch":
        running = np.concatenate([np.r_[0.1 * rng.standard_normal(m), rng.uniform(0.5, 1.5, m)]
                                  for m in sizes[1:-1]]).astype(dtype)
    vectors = None
    if spectral:
        vecs = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            u, v = rng.standard_normal(b), rng.standard_normal(a)
            vecs += [u / np.linalg.norm(u), v / np.linalg.norm(v)]
        vectors = np.concatenate(vecs).astype(dtype)
    return X, targets, params, running, vectors


def run(backend, X, targets, order, params, running, vectors, *, optimizer="adam", hyper=None, **kw):
    params, grads = params.copy(), np.full_like(params, np.nan)
    running = None if running is None else running.copy()
    vectors = None if vectors is None else vectors.copy()
    hyper = {"lr": 0.01} if hyper is None else hyper
    state = ({"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)} if optimizer == "adam"
             else {"momentum_buffer": np.zeros_like(params)})
    loss_sum, steps = backend.mlp_epoch(X, targets, order, params, grads, state, optimizer=optimizer, hyper=hyper,
                                        step=kw.pop("step", 3), first_step=True, running_stats=running,
                                        spectral_vectors=vectors, **kw)
    return loss_sum, steps, params, grads, running, vectors, state


def assert_same_epoch(got, ref, dtype):
    loss_sum, steps = got[:2]
    assert steps == ref[1]
    assert np.isclose(loss_sum, ref[0], rtol=1e-4 if dtype == np.float32 else 1e-10)
    for a, b in zip(got[2:6], ref[2:6]):  # params, grads, running stats, spectral vectors
        if b is not None:
            assert_close(a, b, dtype)
    for name in ref[6]:
        assert_close(got[6][name], ref[6][name], dtype)


COMBOS = list(itertools.product(NORMS, [False, True], [False, True], [0.0, (0.3, 0.0, 0.5)]))


@pytest.mark.parametrize("normalization,residual,spectral,dropout", COMBOS,
                         ids=[f"{n}-{'res' if r else 'plain'}-{'sn' if s else 'nosn'}-{'drop' if d else 'nodrop'}"
                              for n, r, s, d in COMBOS])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_tricks_epoch_matches_reference(compiled, reference, dtype, normalization, residual, spectral, dropout,
                                        weighted):
    """Every combination of normalization × residual × spectral norm × dropout, on a network with
    two residual-eligible layers (6→6 and 8→8) and one that is not (6→8); the last batch of 37
    rows has one row (skipped with batch norm, trained on otherwise). Adam in float64 except with
    batch norm; SGD with momentum there and in float32: the gradient of a bias followed by batch
    norm is exactly 0 in exact arithmetic, and Adam divides its rounding noise by its own size,
    turning two backends' different noise into different steps (up to lr)."""
    sizes = (6, 6, 8, 8, 3)
    act = ACTS[COMBOS.index((normalization, residual, spectral, dropout)) % len(ACTS)]
    X, y, params, running, vectors = make_problem(dtype, sizes, 37, seed=3, normalization=normalization,
                                                  spectral=spectral)
    order = np.random.default_rng(1).permutation(37)
    kw = dict(layer_sizes=sizes, activation=act, loss="softmax_cross_entropy", alpha=1e-3, batch_size=4,
              dropout=dropout, seed=2**64 - 5, normalization=normalization, norm_groups=2, residual=residual,
              spectral_norm=spectral)
    if dtype == np.float32 or normalization == "batch":
        kw.update(optimizer="sgd", hyper={"lr": 0.05, "momentum": 0.9})
    if weighted:
        w = np.random.default_rng(2).uniform(0, 2, 37).astype(dtype)
        w[order[8:12]] = 0  # one batch of zero total weight: skipped
        kw["sample_weight"] = w
    got = run(compiled, X, y, order, params, running, vectors, **kw)
    ref = run(reference, X, y, order, params, running, vectors, **kw)
    assert ref[1] == (9 if normalization == "batch" else 10) - (1 if weighted else 0)
    assert_same_epoch(got, ref, dtype)


@pytest.mark.parametrize("normalization", NORMS)
def test_tricks_across_blocking(compiled, reference, dtype, normalization):
    """A batch of 300 rows and widths of 260 (both above the GEMM's KC = 256): the weight-gradient
    products (depth = batch) and the residual gradient accumulated over a depth-260 product are
    computed in several depth blocks; dropout words run past one 256-word chunk per row."""
    sizes = (20, 260, 260, 5)
    X, y, params, running, vectors = make_problem(dtype, sizes, 650, seed=5, normalization=normalization,
                                                  spectral=normalization == "layer", classes=False)
    kw = dict(layer_sizes=sizes, activation="relu", loss="squared_error", alpha=1e-4, batch_size=300,
              dropout=0.2, seed=11, normalization=normalization, norm_groups=4, residual=True,
              spectral_norm=normalization == "layer", optimizer="sgd", hyper={"lr": 0.01, "momentum": 0.9})
    order = np.random.default_rng(0).permutation(650)
    got = run(compiled, X, y, order, params, running, vectors, **kw)
    ref = run(reference, X, y, order, params, running, vectors, **kw)
    assert ref[1] == 3
    assert_same_epoch(got, ref, dtype)


@pytest.mark.parametrize("normalization", NORMS)
def test_tricks_divergence(compiled, reference, normalization):
    """A row of infs in the third batch: the epoch stops there on both backends, with the same
    steps, loss, parameters and spectral vectors (updated on the diverging batch too) and the
    same NaN pattern in the running statistics (also updated on the diverging batch)."""
    dtype = np.float64
    sizes = (4, 4, 6, 2)
    X, y, params, running, vectors = make_problem(dtype, sizes, 30, seed=9, normalization=normalization,
                                                  spectral=True)
    X[12, :] = np.inf
    kw = dict(layer_sizes=sizes, activation="relu", loss="softmax_cross_entropy", alpha=0.0, batch_size=5,
              dropout=0.1, seed=4, normalization=normalization, residual=True, spectral_norm=True)
    got = run(compiled, X, y, np.arange(30), params, running, vectors, **kw)
    with np.errstate(all="ignore"):  # the reference's matmul warns about inf·0
        ref = run(reference, X, y, np.arange(30), params, running, vectors, **kw)
    assert ref[1] == 2 and got[1] == 2
    assert not np.isfinite(got[0]) and not np.isfinite(ref[0])
    assert_close(got[2], ref[2], dtype)
    assert_close(got[5], ref[5], dtype)
    if normalization == "batch":
        np.testing.assert_array_equal(np.isnan(got[4]), np.isnan(ref[4]))
        assert np.isnan(ref[4]).any()
        ok = ~np.isnan(ref[4])
        assert_close(got[4][ok], ref[4][ok], dtype)


def test_tricks_off_is_todays_epoch(compiled, dtype):
    """All tricks off (their defaults, or dropout 0 given explicitly) is today's epoch, bit for bit."""
    sizes = (6, 7, 3)
    X, y, params, _, _ = make_problem(dtype, sizes, 23, seed=1, normalization=None, spectral=False)
    base = dict(layer_sizes=sizes, activation="relu", loss="softmax_cross_entropy", alpha=1e-2, batch_size=5)
    a = run(compiled, X, y, np.arange(23), params, None, None, **base)
    b = run(compiled, X, y, np.arange(23), params, None, None, dropout=0.0, seed=123, norm_momentum=0.5, **base)
    assert a[:2] == b[:2]
    np.testing.assert_array_equal(a[2], b[2])
    np.testing.assert_array_equal(a[3], b[3])


def test_dropout_depends_on_seed_and_step(compiled):
    """The dropout masks follow (seed, update number): another seed or another starting step
    gives another epoch, the same ones give the same epoch, bit for bit."""
    sizes = (6, 9, 3)
    X, y, params, _, _ = make_problem(np.float64, sizes, 20, seed=2, normalization=None, spectral=False)
    kw = dict(layer_sizes=sizes, activation="tanh", loss="softmax_cross_entropy", alpha=0.0, batch_size=5,
              dropout=0.5)
    a = run(compiled, X, y, np.arange(20), params, None, None, seed=1, **kw)
    b = run(compiled, X, y, np.arange(20), params, None, None, seed=1, **kw)
    c = run(compiled, X, y, np.arange(20), params, None, None, seed=2, **kw)
    d = run(compiled, X, y, np.arange(20), params, None, None, seed=1, step=4, **kw)
    np.testing.assert_array_equal(a[2], b[2])
    assert not np.allclose(a[2], c[2]) and not np.allclose(a[2], d[2])


def _raw_call(tricks, dtype=np.float64, sizes=(4, 4, 6, 2), normalization=True):
    """The C++ raw mlp_epoch with a tricks dict (what the contract passes, here unchecked)."""
    from mlbasics import _core

    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], 10)
    params = np.zeros(mlp_param_count(sizes, "batch" if normalization else None), dtype)
    return _core.mlp_epoch(X, y, np.arange(10), params, np.empty_like(params), {}, list(sizes), 1, 0, 0.0, 5,
                           "sgd", {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0,
                                   "nesterov": False}, 0, True, None, tricks)


def _good_tricks(dtype=np.float64):
    return {"dropout": (0.1, 0.0), "seed": 3, "norm": 1, "groups": 1, "momentum": 0.1, "eps": 1e-5,
            "running": np.r_[np.zeros(4), np.ones(4), np.zeros(6), np.ones(6)].astype(dtype), "residual": True,
            "spectral": None}


@pytest.mark.parametrize("change,error,match", [
    ({"extra": 1}, ValueError, "unknown key 'extra'"),
    ({"dropout": (0.1,)}, ValueError, r"dropout'\]: expected 2 values"),
    ({"dropout": (0.1, 1.0)}, ValueError, r"every p must be in \[0, 1\)"),
    ({"dropout": (0.1, float("nan"))}, ValueError, r"every p must be in \[0, 1\)"),
    ({"dropout": 0.1}, TypeError, "expected a tuple"),
    ({"seed": -1}, ValueError, r"seed'\]: expected an int in \[0, 2\*\*64\)"),
    ({"seed": 2**64}, ValueError, r"seed'\]: expected an int in \[0, 2\*\*64\)"),
    ({"seed": 1.5}, TypeError, r"seed'\]: expected an int"),
    ({"norm": 3}, ValueError, r"norm'\]: expected 0 \(none\), 1 \(batch\) or 2 \(group\)"),
    ({"norm": 2, "groups": 4, "running": None}, ValueError, r"groups'\]: 4 does not divide the hidden width 6"),
    ({"momentum": 1.5}, ValueError, r"momentum'\]: expected a value in \[0, 1\]"),
    ({"eps": -1.0}, ValueError, r"eps'\]: expected a finite value >= 0"),
    ({"residual": 1}, TypeError, r"residual'\]: expected a bool"),
    ({"running": None}, ValueError, r"running'\]: required with batch norm"),
    ({"running": np.zeros(19)}, ValueError, r"running'\]: expected length 20"),
    ({"running": np.zeros(20, np.float32)}, TypeError, r"running'\]: expected dtype float64"),
    ({"norm": 0}, ValueError, r"running'\]: only used with batch norm"),
    ({"spectral": np.zeros(5)}, ValueError, r"spectral'\]: expected length 26"),
])
def test_raw_tricks_dict_is_checked(change, error, match):
    """The binding checks every entry of the raw tricks dict before the kernel runs (the contract
    checks first; this is the second line, for direct callers of mlbasics._core)."""
    tricks = _good_tricks()
    _raw_call(tricks)  # the unchanged dict is accepted
    tricks.update(change)
    if change.get("norm") == 0:
        with pytest.raises(error, match=match):
            _raw_call(tricks, normalization=False)
        return
    with pytest.raises(error, match=match):
        _raw_call(tricks, normalization=tricks["norm"] != 0)


def test_raw_tricks_missing_key_and_overlap():
    tricks = _good_tricks()
    del tricks["eps"]
    with pytest.raises(ValueError, match="tricks: missing 'eps'"):
        _raw_call(tricks)
    from mlbasics import _core

    sizes = (4, 4, 6, 2)
    X = np.zeros((10, 4))
    params = np.zeros(mlp_param_count(sizes, "batch"))
    tricks = _good_tricks()
    tricks["running"] = params[:20]  # the running statistics inside the parameters: refused
    with pytest.raises(ValueError, match="must not share memory"):
        _core.mlp_epoch(X, np.zeros(10, np.int64), np.arange(10), params, np.empty_like(params), {},
                        list(sizes), 1, 0, 0.0, 5, "sgd", {"lr": 0.1, "momentum": 0.0, "dampening": 0.0,
                                                          "weight_decay": 0.0, "nesterov": False},
                        0, True, None, tricks)
