"""One NaN semantics: NaN and ±inf inputs give NaN/±inf in the same places on every backend.

The NumPy reference defines the semantics (IEEE propagation as NumPy computes it, documented per
kernel in the contract docstrings). Property tests draw small shapes -- including ones that cross
the C++ GEMM's micro-tile edges (6×16 float32, 6×8 float64) and its KC = 256 depth block -- and
put NaN, +inf and −inf at random places of one input or of several at once (and exact zeros, so
that 0·NaN and 0·inf are exercised), then check, for every output and in-place array, that the
pattern of non-finite values (NaN vs +inf vs −inf, element by element) is the reference's and
that the finite values agree within the dtype's tolerance.

Below them, explicit regression tests pin each difference that was found and fixed.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlbasics
from _helpers import assert_close, tolerance

NAN, INF = np.nan, np.inf
SPECIALS = (NAN, INF, -INF)
ACTS = ("identity", "relu", "sigmoid", "tanh")


def _settings(n=40):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


# --------------------------------------------------------------------------- helpers

def kinds(a):
    """0 finite, 1 NaN, 2 +inf, 3 −inf, element by element."""
    a = np.asarray(a)
    k = np.zeros(a.shape, np.int8)
    k[np.isnan(a)] = 1
    k[np.isposinf(a)] = 2
    k[np.isneginf(a)] = 3
    return k


def assert_same(actual, expected, dtype, what, scale=None):
    """Same non-finite pattern as the reference, and the finite values within tolerance."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, what
    assert actual.dtype == np.dtype(dtype), f"{what}: dtype {actual.dtype}"
    ka, ke = kinds(actual), kinds(expected)
    if not np.array_equal(ka, ke):
        names = np.array([".", "nan", "+inf", "-inf"])
        where = [tuple(int(i) for i in w) for w in np.argwhere(ka != ke)[:6]]
        detail = ", ".join(f"{w}: got {names[ka[w]]} ({actual[w]}), reference {names[ke[w]]} ({expected[w]})"
                           for w in where)
        raise AssertionError(f"{what}: non-finite values differ from the reference at {int((ka != ke).sum())} "
                             f"places, e.g. {detail}")
    finite = ke == 0
    if finite.any():
        assert_close(actual[finite], expected[finite], dtype, scale=scale)


def _call(fn, *args, **kwargs):
    with np.errstate(all="ignore"):  # NumPy warns on inf − inf, 0·inf, ... (errors in this suite)
        return fn(*args, **kwargs)


def poison(data, arrays, zeros=True):
    """Put NaN/±inf (and sometimes exact zeros) into the named arrays, in place: either into one
    array (1–4 values) or into several at once (0–3 values each); sometimes a whole row."""
    names = list(arrays)
    if zeros:
        for name in names:
            a = arrays[name].reshape(-1)
            for i in data.draw(st.lists(st.integers(0, a.size - 1), max_size=3), label=f"zeros in {name}"):
                a[i] = 0
    if data.draw(st.booleans(), label="one input"):
        targets = {data.draw(st.sampled_from(names), label="poisoned input"): (1, 4)}
    else:
        targets = {name: (0, 3) for name in names}
    for name, (lo, hi) in targets.items():
        a = arrays[name]
        flat = a.reshape(-1)
        picks = data.draw(st.lists(st.tuples(st.integers(0, flat.size - 1), st.sampled_from(SPECIALS)),
                                   min_size=lo, max_size=hi), label=f"specials in {name}")
        for i, v in picks:
            flat[i] = v
        if a.ndim == 2 and data.draw(st.integers(0, 5), label=f"row fill {name}") == 0:
            a[data.draw(st.integers(0, a.shape[0] - 1))] = data.draw(st.sampled_from(SPECIALS))
    return arrays


def normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@pytest.fixture
def ref():
    return mlbasics.get_backend("numpy")


@pytest.fixture
def other(backend):
    """The backend under test; the NumPy reference is not compared with itself (the explicit
    regression tests below check it against the documented values instead)."""
    if backend.name == "numpy":
        pytest.skip("numpy is the reference itself")
    return backend


TILE = st.integers(1, 20)                                   # crosses 6 (MR), 8 and 16 (NR)
DEPTH = st.one_of(st.integers(1, 20), st.integers(250, 270))  # and KC = 256 (the accumulate pass)


# --------------------------------------------------------------------------- gemm

@_settings()
@given(data=st.data())
def test_matmul(other, ref, dtype, data):
    m, k, n = data.draw(TILE), data.draw(DEPTH), data.draw(TILE)
    ta, tb = data.draw(st.booleans()), data.draw(st.booleans())
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = poison(data, {"a": normal(rng, (k, m) if ta else (m, k), dtype),
                         "b": normal(rng, (n, k) if tb else (k, n), dtype)})
    prefill = data.draw(st.booleans())
    outs = []
    for be in (other, ref):
        out = np.full((m, n), NAN, dtype) if prefill else None  # old content must never be read
        outs.append(_call(be.matmul, arrs["a"], arrs["b"], ta, tb, out=out))
    assert_same(outs[0], outs[1], dtype, "matmul")


@_settings()
@given(data=st.data())
def test_gram(other, ref, dtype, data):
    n, p = data.draw(DEPTH), data.draw(TILE)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = poison(data, {"x": normal(rng, (n, p), dtype)})["x"]
    assert_same(_call(other.gram, x), _call(ref.gram, x), dtype, "gram")


def _nonneg_weights(data, rng, n, dtype):
    """Finite weights >= 0 (the kernels check that), with exact zeros so that 0·NaN and 0·inf
    meet the poisoned values; at least one positive."""
    w = rng.uniform(0, 2, n).astype(dtype)
    w[rng.random(n) < data.draw(st.sampled_from([0.0, 0.3, 0.8]), label="share of zero weights")] = 0
    w[data.draw(st.integers(0, n - 1), label="a positive weight")] = 1
    return w


@_settings()
@given(data=st.data())
def test_weighted_gram(other, ref, dtype, data):
    n, p = data.draw(DEPTH), data.draw(TILE)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = poison(data, {"x": normal(rng, (n, p), dtype)})["x"]
    w = _nonneg_weights(data, rng, n, dtype)
    got, exp = _call(other.gram, x, w), _call(ref.gram, x, w)
    assert np.array_equal(np.isnan(got), np.isnan(got.T))
    assert_same(got, exp, dtype, "weighted gram")


# --------------------------------------------------------------------------- layers

@pytest.mark.parametrize("act", ACTS)
@_settings()
@given(data=st.data())
def test_linear_forward(other, ref, dtype, act, data):
    n, n_in, n_out = data.draw(TILE), data.draw(TILE), data.draw(TILE)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = poison(data, {"x": normal(rng, (n, n_in), dtype), "w": normal(rng, (n_in, n_out), dtype),
                         "b": normal(rng, (n_out,), dtype)})
    got = _call(other.linear_forward, arrs["x"], arrs["w"], arrs["b"], act)
    exp = _call(ref.linear_forward, arrs["x"], arrs["w"], arrs["b"], act)
    assert_same(got[0], exp[0], dtype, "z")
    assert_same(got[1], exp[1], dtype, "h")


@pytest.mark.parametrize("act", ACTS)
@_settings()
@given(data=st.data())
def test_linear_backward(other, ref, dtype, act, data):
    n, n_in, n_out = data.draw(TILE), data.draw(TILE), data.draw(TILE)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = {"x": normal(rng, (n, n_in), dtype), "w": normal(rng, (n_in, n_out), dtype),
            "grad_h": normal(rng, (n, n_out), dtype)}
    if act == "relu":
        arrs["z"] = normal(rng, (n, n_out), dtype)
    elif act in ("sigmoid", "tanh"):
        arrs["h"] = rng.uniform(0 if act == "sigmoid" else -1, 1, (n, n_out)).astype(dtype)
    poison(data, arrs)
    grad_x = data.draw(st.booleans(), label="compute_grad_x")
    args = (arrs["x"], arrs["w"], arrs.get("z"), arrs.get("h"), arrs["grad_h"], act)
    got = _call(other.linear_backward, *args, compute_grad_x=grad_x)
    exp = _call(ref.linear_backward, *args, compute_grad_x=grad_x)
    for name, g, e in zip(("grad_x", "grad_w", "grad_b"), got, exp):
        if e is None:
            assert g is None
        else:
            assert_same(g, e, dtype, name)


# --------------------------------------------------------------------------- losses

@_settings()
@given(data=st.data())
def test_softmax_cross_entropy(other, ref, dtype, data):
    n, c = data.draw(st.integers(1, 12)), data.draw(TILE)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    logits = poison(data, {"logits": normal(rng, (n, c), dtype)})["logits"]
    y = rng.integers(0, c, n)
    got = _call(other.softmax_cross_entropy, logits, y)
    exp = _call(ref.softmax_cross_entropy, logits, y)
    assert_same(got[0], exp[0], dtype, "loss", scale=1.0)
    assert_same(got[1], exp[1], dtype, "grad", scale=1.0 / n)  # |grad| <= 1/n (exactly 0 for C = 1)


@_settings()
@given(data=st.data())
def test_binary_cross_entropy_with_logits(other, ref, dtype, data):
    n = data.draw(st.integers(1, 40))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    logits = poison(data, {"logits": normal(rng, (n,), dtype)})["logits"]
    y = rng.choice(np.array([0.0, 0.25, 1.0], dtype), n)  # targets must be finite, in [0, 1] (checked)
    got = _call(other.binary_cross_entropy_with_logits, logits, y)
    exp = _call(ref.binary_cross_entropy_with_logits, logits, y)
    assert_same(got[0], exp[0], dtype, "loss", scale=1.0)
    assert_same(got[1], exp[1], dtype, "grad")


@_settings()
@given(data=st.data())
def test_mse(other, ref, dtype, data):
    shape = (data.draw(st.integers(1, 12)), data.draw(st.integers(1, 5)))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = poison(data, {"pred": normal(rng, shape, dtype), "target": normal(rng, shape, dtype)})
    got = _call(other.mse, arrs["pred"], arrs["target"])
    exp = _call(ref.mse, arrs["pred"], arrs["target"])
    assert_same(got[0], exp[0], dtype, "loss", scale=1.0)
    assert_same(got[1], exp[1], dtype, "grad")


@pytest.mark.parametrize("loss", ["softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse"])
@_settings()
@given(data=st.data())
def test_weighted_losses(other, ref, dtype, loss, data):
    n = data.draw(st.integers(1, 12))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    w = _nonneg_weights(data, rng, n, dtype)
    if loss == "softmax_cross_entropy":
        c = data.draw(TILE)
        args = (poison(data, {"logits": normal(rng, (n, c), dtype)})["logits"], rng.integers(0, c, n))
    elif loss == "binary_cross_entropy_with_logits":
        args = (poison(data, {"logits": normal(rng, (n,), dtype)})["logits"], rng.choice(np.array([0.0, 0.25, 1.0], dtype), n))
    else:
        k = data.draw(st.integers(1, 5))
        arrs = poison(data, {"pred": normal(rng, (n, k), dtype), "target": normal(rng, (n, k), dtype)})
        args = (arrs["pred"], arrs["target"])
    got = _call(getattr(other, loss), *args, w)
    exp = _call(getattr(ref, loss), *args, w)
    assert_same(got[0], exp[0], dtype, "loss", scale=1.0)
    assert_same(got[1], exp[1], dtype, "grad", scale=1.0)


def test_zero_weight_does_not_hide_a_non_finite_term(backend, dtype):
    """0·NaN and 0·inf are NaN: a weight of 0 keeps a NaN row NaN (as the contract says)."""
    w = np.array([1.0, 0.0], dtype)
    with np.errstate(all="ignore"):
        loss, grad = backend.softmax_cross_entropy(np.array([[0.0, 1.0], [NAN, 0.0]], dtype), np.array([0, 1]), w)
        assert np.isnan(loss) and np.isnan(grad[1]).all() and np.isfinite(grad[0]).all()
        loss, _ = backend.softmax_cross_entropy(np.array([[0.0, 1.0], [-INF, 0.0]], dtype), np.array([0, 0]), w)
        assert np.isnan(loss)  # the second term is +inf, times 0
        loss, grad = backend.mse(np.array([[1.0], [INF]], dtype), np.zeros((2, 1), dtype), w)
        assert np.isnan(loss) and np.isnan(grad[1, 0])
        g = backend.gram(np.array([[1.0, 2.0], [INF, 0.0]], dtype), w)
    # the weighted row is 0·[inf, 0] = [NaN, 0]: NaN reaches every product with column 0 (upper
    # triangle x[:, i]·(w x)[:, j], mirrored), while (1, 1) = 2·2 + 0·0 stays finite
    np.testing.assert_array_equal(g, np.array([[NAN, NAN], [NAN, 4.0]], dtype))


# --------------------------------------------------------------------------- optimizer steps
# Each case: hyper-parameter choices and how to build valid (finite) state; NaN/±inf then go into
# param, grad and the state arrays.

def _sgd_hyper(d):
    mom = d.draw(st.sampled_from([0.0, 0.9]))
    damp = d.draw(st.sampled_from([0.0, 0.5, 1.0]))
    return dict(lr=d.draw(st.sampled_from([0.1, 0.0])), momentum=mom, dampening=0.0 if mom == 0 else damp,
                weight_decay=d.draw(st.sampled_from([0.0, 0.01])),
                nesterov=bool(mom > 0 and d.draw(st.booleans())) and damp == 0.0, first_step=d.draw(st.booleans()))


OPTIM = {
    "sgd": (lambda d: _sgd_hyper(d), ("momentum_buf",)),
    "adam": (lambda d: dict(step=d.draw(st.sampled_from([1, 7])), lr=0.1,
                            weight_decay=d.draw(st.sampled_from([0.0, 0.01])),
                            decoupled_weight_decay=d.draw(st.booleans()), beta1=d.draw(st.sampled_from([0.9, 0.0]))),
             ("exp_avg", "exp_avg_sq")),
    "rmsprop": (lambda d: dict(lr=0.01, weight_decay=d.draw(st.sampled_from([0.0, 0.01])),
                               momentum=d.draw(st.sampled_from([0.0, 0.5])), centered=d.draw(st.booleans())),
                ("square_avg", "momentum_buffer", "grad_avg")),
    "adagrad": (lambda d: dict(step=d.draw(st.sampled_from([1, 3])), lr=0.1,
                               lr_decay=d.draw(st.sampled_from([0.0, 0.1])),
                               weight_decay=d.draw(st.sampled_from([0.0, 0.01]))), ("sum",)),
    "adadelta": (lambda d: dict(lr=1.0, weight_decay=d.draw(st.sampled_from([0.0, 0.01]))),
                 ("square_avg", "acc_delta")),
    "rprop": (lambda d: dict(step_sizes=d.draw(st.sampled_from([(1e-6, 50.0), (0.05, 0.2)]))), ("prev", "step_size")),
}


def _state(name, slot, rng, n, dtype, grad_avg=None):
    if slot in ("exp_avg_sq", "sum", "acc_delta") or (slot == "square_avg" and name == "adadelta"):
        return np.abs(normal(rng, n, dtype))
    if slot == "square_avg":  # rmsprop: keep v − ḡ² ≥ 0.1 when centered (no cancellation near 0)
        return (grad_avg.astype(np.float64) ** 2 + 0.1 + np.abs(rng.standard_normal(n))).astype(dtype)
    if slot == "step_size":
        return rng.uniform(0.01, 0.1, n).astype(dtype)
    return normal(rng, n, dtype)


def _step(be, name, arrs, slots, hyper):
    kernel = getattr(be, f"{name}_step")
    state = [arrs.get(s) for s in slots]
    _call(kernel, arrs["param"], arrs["grad"], *state, **hyper)


@pytest.mark.parametrize("name", list(OPTIM))
@_settings()
@given(data=st.data())
def test_optimizer_step(other, ref, dtype, name, data):
    draw_hyper, slots = OPTIM[name]
    hyper = draw_hyper(data)
    n = data.draw(st.one_of(st.integers(1, 40), st.just(70000)), label="size")  # 70000: the threaded loops
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = {"param": normal(rng, n, dtype), "grad": normal(rng, n, dtype)}
    used = list(slots)
    if name == "sgd" and hyper["momentum"] == 0:
        used = []
    if name == "rmsprop":
        used = ["square_avg"] + (["momentum_buffer"] if hyper["momentum"] > 0 else []) \
            + (["grad_avg"] if hyper["centered"] else [])
    grad_avg = normal(rng, n, dtype) if name == "rmsprop" else None
    for slot in used:
        arrs[slot] = grad_avg.copy() if slot == "grad_avg" else _state(name, slot, rng, n, dtype, grad_avg)
    poison(data, arrs)
    mine = {k: v.copy() for k, v in arrs.items()}
    _step(other, name, mine, slots, hyper)
    _step(ref, name, arrs, slots, hyper)
    for key in arrs:
        assert_same(mine[key], arrs[key], dtype, f"{name} {key} ({hyper})", scale=1.0)


# --------------------------------------------------------------------------- mlp_epoch

_FUSED = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "rprop")
_MLP_STATE = {"sgd": ("momentum_buffer",), "adam": ("exp_avg", "exp_avg_sq"), "adamw": ("exp_avg", "exp_avg_sq"),
              "rmsprop": ("square_avg",), "adagrad": ("sum",), "adadelta": ("square_avg", "acc_delta"),
              "rprop": ("prev", "step_size")}
_MLP_HYPER = {"sgd": {"lr": 0.05, "momentum": 0.9}, "adam": {"lr": 0.01}, "adamw": {"lr": 0.01, "weight_decay": 0.01},
              "rmsprop": {"lr": 0.01}, "adagrad": {"lr": 0.05}, "adadelta": {}, "rprop": {}}


def _mlp_call(be, X, targets, params, sizes, act, loss, alpha, bs, opt, sample_weight=None):
    P = params.size
    state = {k: (np.full(P, 0.01, params.dtype) if k == "step_size" else np.zeros(P, params.dtype))
             for k in _MLP_STATE[opt]}
    p, g = params.copy(), np.empty(P, params.dtype)
    loss_sum, steps = _call(be.mlp_epoch, X, targets, np.arange(X.shape[0]), p, g, state, layer_sizes=sizes,
                            activation=act, loss=loss, alpha=alpha, batch_size=bs, optimizer=opt,
                            hyper=_MLP_HYPER[opt], step=0, first_step=True, sample_weight=sample_weight)
    return loss_sum, steps, p, g


@_settings(30)
@given(data=st.data())
def test_mlp_epoch_stops_at_the_first_non_finite_batch(other, ref, dtype, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    n, n_in = data.draw(st.integers(2, 24)), data.draw(st.integers(1, 6))
    hidden = data.draw(st.lists(st.integers(1, 9), min_size=0, max_size=2), label="hidden")
    loss = data.draw(st.sampled_from(["softmax_cross_entropy", "binary_cross_entropy_with_logits", "squared_error"]))
    n_out = 1 if loss == "binary_cross_entropy_with_logits" else data.draw(st.integers(1, 4))
    if loss == "softmax_cross_entropy":
        n_out = max(n_out, 2)
    sizes = (n_in, *hidden, n_out)
    act = data.draw(st.sampled_from(ACTS))
    opt = data.draw(st.sampled_from(_FUSED))
    alpha = data.draw(st.sampled_from([0.0, 1e-3]))
    bs = data.draw(st.integers(1, n))
    X = normal(rng, (n, n_in), dtype)
    arrs = {"X": X}
    P = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    params = (0.3 * rng.standard_normal(P)).astype(dtype)
    if data.draw(st.booleans(), label="poison params too"):
        arrs["params"] = params
    poison(data, arrs, zeros=False)
    if loss == "softmax_cross_entropy":
        targets = rng.integers(0, n_out, n)
    elif loss == "binary_cross_entropy_with_logits":
        targets = rng.integers(0, 2, n).astype(dtype)
    else:
        targets = normal(rng, (n, n_out), dtype)
    w = _nonneg_weights(data, rng, n, dtype) if data.draw(st.booleans(), label="weighted") else None
    got = _mlp_call(other, X, targets, params, sizes, act, loss, alpha, bs, opt, w)
    exp = _mlp_call(ref, X, targets, params, sizes, act, loss, alpha, bs, opt, w)
    assert got[1] == exp[1], f"n_steps {got[1]}, reference {exp[1]}"
    assert kinds(got[0]) == kinds(exp[0]), f"loss_sum {got[0]}, reference {exp[0]}"
    if np.isfinite(exp[0]):  # a sum of losses rounded to the dtype: the dtype's tolerance, per row
        assert abs(got[0] - exp[0]) <= tolerance(dtype) * (abs(exp[0]) + n), f"loss_sum {got[0]}, reference {exp[0]}"
    assert_same(got[2], exp[2], dtype, "params", scale=1.0)
    batches = -(-n // bs) if w is None else int(np.count_nonzero(np.add.reduceat(w, np.arange(0, n, bs)) > 0))
    if exp[1] == batches:  # no divergence: the last batch's gradient is specified too
        assert_same(got[3], exp[3], dtype, "grads", scale=1.0)


# --------------------------------------------------------------------------- distances
# Rows of 1–20 (and 255–260: Numba's 256-row chunk), depths crossing KC; labels and neighbour indices
# must be the reference's exactly (a NaN wins the argmin, NaN ranks last among candidates, ±inf
# ranks tie by index), and every distance and sum has its non-finite pattern.

ROWS = st.one_of(TILE, st.integers(255, 260))


def _near_tie(x, y, i, a, b, dtype):
    """Whether rows a and b of y are equally near to row i of x up to rounding (both finite)."""
    with np.errstate(all="ignore"):
        da, db = (float(((x[i].astype(np.float64) - y[j]) ** 2).sum()) for j in (a, b))
        scale = float((x[i].astype(np.float64) ** 2).sum() + (y[a].astype(np.float64) ** 2).sum()
                      + (y[b].astype(np.float64) ** 2).sum())
    return np.isfinite(da) and np.isfinite(db) and abs(da - db) <= 10 * tolerance(dtype) * (scale + 1)


def assert_same_choices(got, exp, x, y, dtype, what):
    """got (labels or neighbour indices) equals the reference's, except where a finite near-tie of
    exact distances was resolved the other way by rounding (non-finite placements never differ)."""
    got, exp = np.atleast_2d(got.T).T, np.atleast_2d(exp.T).T
    for i, t in np.argwhere(got != exp):
        assert _near_tie(x, y, i, got[i, t], exp[i, t], dtype), (
            f"{what}[{i}, {t}]: got {got[i, t]}, reference {exp[i, t]} (not a near-tie)")


@_settings()
@given(data=st.data())
def test_pairwise_sq_distances(other, ref, dtype, data):
    n, m, p = data.draw(ROWS), data.draw(TILE), data.draw(DEPTH)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = poison(data, {"x": normal(rng, (n, p), dtype), "y": normal(rng, (m, p), dtype)})
    assert_same(_call(other.pairwise_sq_distances, arrs["x"], arrs["y"]),
                _call(ref.pairwise_sq_distances, arrs["x"], arrs["y"]), dtype, "D(x, y)", scale=4.0 * p)
    assert_same(_call(other.pairwise_sq_distances, arrs["x"]),
                _call(ref.pairwise_sq_distances, arrs["x"]), dtype, "D(x, x)", scale=4.0 * p)


@_settings()
@given(data=st.data())
def test_kmeans_step(other, ref, dtype, data):
    n, k, p = data.draw(ROWS), data.draw(TILE), data.draw(DEPTH)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = {"x": normal(rng, (n, p), dtype), "centers": normal(rng, (k, p), dtype)}
    if data.draw(st.booleans(), label="weights"):
        arrs["sample_weight"] = rng.uniform(0, 2, n).astype(dtype)
    poison(data, arrs)
    got = _call(other.kmeans_step, arrs["x"], arrs["centers"], arrs.get("sample_weight"))
    exp = _call(ref.kmeans_step, arrs["x"], arrs["centers"], arrs.get("sample_weight"))
    assert_same_choices(got[0], exp[0], arrs["x"], arrs["centers"], dtype, "labels")
    assert_same(got[1], exp[1], dtype, "sq_dist", scale=4.0 * p)
    if not np.array_equal(got[0], exp[0]):
        return  # a near-tie went to the other centre: the sums differ by that row
    assert_same(got[2], exp[2], dtype, "sums", scale=2.0 * n)
    assert_same(got[3], exp[3], dtype, "weights", scale=2.0 * n)


@_settings()
@given(data=st.data())
def test_nearest_neighbors(other, ref, dtype, data):
    n, p = data.draw(ROWS), data.draw(DEPTH)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = {"x": normal(rng, (n, p), dtype)}
    itself = n > 1 and data.draw(st.booleans(), label="itself")
    if not itself:
        arrs["y"] = normal(rng, (data.draw(TILE, label="m"), p), dtype)
    poison(data, arrs)
    k = data.draw(st.integers(1, n - 1 if itself else arrs["y"].shape[0]), label="n_neighbors")
    got = _call(other.nearest_neighbors, arrs["x"], k, arrs.get("y"))
    exp = _call(ref.nearest_neighbors, arrs["x"], k, arrs.get("y"))
    assert_same_choices(got[1], exp[1], arrs["x"], arrs.get("y", arrs["x"]), dtype, "indices")
    assert_same(got[0], exp[0], dtype, "sq_dist", scale=4.0 * p)


# --------------------------------------------------------------------------- norms
# Rows of 1–20 and 255–260, columns of 1–20 and 250–270 (the Numba/C++ column blocks and the parallel
# split): dropout's y must have the reference's values bit for bit (a dropped NaN is 0), and every
# statistic and gradient of the normalizations its non-finite pattern (eps > 0; eps = 0 is pinned below).

NORM_ROWS = st.one_of(TILE, st.integers(255, 260))
NORM_EPS = st.sampled_from((1e-5, 1e-2, 1.0))


@_settings()
@given(data=st.data())
def test_dropout(other, ref, dtype, data):
    n, m = data.draw(NORM_ROWS), data.draw(DEPTH)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = poison(data, {"x": normal(rng, (n, m), dtype), "g": normal(rng, (n, m), dtype)})
    p = data.draw(st.sampled_from((0.0, 0.2, 0.5, 0.95)))
    seed = data.draw(st.integers(0, 2**64 - 1))
    got = _call(other.dropout_forward, arrs["x"], p, seed=seed, offset=7)
    exp = _call(ref.dropout_forward, arrs["x"], p, seed=seed, offset=7)
    np.testing.assert_array_equal(got[1], exp[1])
    np.testing.assert_array_equal(got[0], exp[0])  # NaN where NaN, ±inf where ±inf, 0 where dropped
    np.testing.assert_array_equal(_call(other.dropout_backward, arrs["g"], exp[1], p),
                                  _call(ref.dropout_backward, arrs["g"], exp[1], p))


@_settings()
@given(data=st.data())
def test_batch_norm(other, ref, dtype, data):
    n, m = data.draw(NORM_ROWS) + 1, data.draw(DEPTH)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    training = data.draw(st.booleans(), label="training")
    arrs = {"x": normal(rng, (n, m), dtype), "gamma": normal(rng, (m,), dtype), "beta": normal(rng, (m,), dtype),
            "running_mean": normal(rng, (m,), dtype), "running_var": rng.uniform(0.5, 2, m).astype(dtype),
            "grad_y": normal(rng, (n, m), dtype)}
    poison(data, arrs)
    eps, momentum = data.draw(NORM_EPS), data.draw(st.sampled_from((0.0, 0.1, 1.0)))
    res = {}
    for be in (other, ref):
        run = [arrs["running_mean"].copy(), arrs["running_var"].copy()]
        out = _call(be.batch_norm_forward, arrs["x"], arrs["gamma"], arrs["beta"], *run, training=training,
                    momentum=momentum, eps=eps)
        res[be.name] = out + tuple(run)
    for name, g, e in zip(("y", "mean", "invstd", "running_mean", "running_var"), res[other.name], res["numpy"]):
        assert_same(g, e, dtype, name)
    mean, invstd = res["numpy"][1], res["numpy"][2]
    args = (arrs["grad_y"], arrs["x"], arrs["gamma"], mean, invstd)
    for name, g, e in zip(("grad_x", "grad_gamma", "grad_beta"), _call(other.batch_norm_backward, *args),
                          _call(ref.batch_norm_backward, *args)):
        assert_same(g, e, dtype, name)


@_settings()
@given(data=st.data())
def test_group_norm(other, ref, dtype, data):
    n, groups, k = data.draw(NORM_ROWS), data.draw(st.integers(1, 6)), data.draw(st.one_of(TILE, st.integers(60, 70)))
    m = groups * k
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    arrs = {"x": normal(rng, (n, m), dtype), "gamma": normal(rng, (m,), dtype), "beta": normal(rng, (m,), dtype),
            "grad_y": normal(rng, (n, m), dtype)}
    poison(data, arrs)
    eps = data.draw(NORM_EPS)
    got = _call(other.group_norm_forward, arrs["x"], arrs["gamma"], arrs["beta"], groups=groups, eps=eps)
    exp = _call(ref.group_norm_forward, arrs["x"], arrs["gamma"], arrs["beta"], groups=groups, eps=eps)
    for name, g, e in zip(("y", "mean", "invstd"), got, exp):
        assert_same(g, e, dtype, name)
    args = (arrs["grad_y"], arrs["x"], arrs["gamma"], exp[1], exp[2])
    for name, g, e in zip(("grad_x", "grad_gamma", "grad_beta"),
                          _call(other.group_norm_backward, *args, groups=groups),
                          _call(ref.group_norm_backward, *args, groups=groups)):
        assert_same(g, e, dtype, name)


# --------------------------------------------------------------------------- regression tests
# Explicit values, on every backend (the reference included): each pins a difference found.

def test_relu_forward_propagates_nan(backend, dtype):
    # numba gave relu(NaN) = 0 (a `v if v > 0 else 0` select); NumPy's np.maximum and C++ give NaN.
    # One 1-wide layer per value (x @ I would spread 0·NaN = NaN over every column).
    x = np.array([[NAN, -INF, INF, -1.0, 2.0]], dtype)
    got = []
    for v in x[0]:
        with np.errstate(all="ignore"):
            _, h = backend.linear_forward(np.array([[v]], dtype), np.ones((1, 1), dtype), np.zeros(1, dtype), "relu")
        got.append(h[0, 0])
    np.testing.assert_array_equal(np.array(got), np.array([NAN, 0.0, INF, 0.0, 2.0], dtype))


@pytest.mark.parametrize("act, values", [
    ("sigmoid", {-INF: 0.0, INF: 1.0, NAN: NAN}),
    ("tanh", {-INF: -1.0, INF: 1.0, NAN: NAN}),
])
def test_sigmoid_and_tanh_at_infinity_are_exact(backend, dtype, act, values):
    for v, expected in values.items():
        _, h = backend.linear_forward(np.array([[v]], dtype), np.ones((1, 1), dtype), np.zeros(1, dtype), act)
        np.testing.assert_array_equal(h, np.array([[expected]], dtype))


def test_relu_backward_keeps_nan_gradients_and_nan_z(backend, dtype):
    # C++ selected 0 where z <= 0 (`z > 0 ? g : 0`), hiding a NaN/inf grad_h; NumPy and Numba multiply
    # (NaN·0 = NaN, inf·0 = NaN). And relu'(NaN) is NaN on every backend (np.heaviside): a NaN
    # pre-activation reaches the gradients instead of being masked to 0.
    z = np.array([[-1.0, 0.0, 1.0, -1.0, NAN, INF, -INF, 2.0]], dtype)
    grad_h = np.array([[NAN, INF, NAN, 1.0, 1.0, 3.0, 3.0, -INF]], dtype)
    with np.errstate(all="ignore"):
        gx, gw, gb = backend.linear_backward(np.ones((1, 1), dtype), np.ones((1, 8), dtype), z, None, grad_h, "relu")
    np.testing.assert_array_equal(gb, np.array([NAN, NAN, NAN, 0.0, NAN, 3.0, 0.0, -INF], dtype))
    np.testing.assert_array_equal(gw, gb[None, :])
    assert np.isnan(gx).all()  # the row sums a NaN


def test_matmul_zero_times_nan_is_nan_and_out_is_never_read(backend, dtype):
    # Every size class of the C++ GEMM: the direct loops, packed tiles with edges, KC = 256 passes.
    for m, k, n in [(2, 3, 2), (7, 5, 17), (13, 300, 9)]:
        a = np.ones((m, k), dtype)
        b = np.zeros((k, n), dtype)
        a[m - 1, k - 1] = NAN   # meets only zeros of b: 0·NaN must still be NaN
        b[0, n - 1] = INF       # meets a's first column (ones)
        out = np.full((m, n), NAN, dtype)  # stale NaNs: must be overwritten, never read
        with np.errstate(all="ignore"):
            backend.matmul(a, b, out=out)
        expected = np.zeros((m, n), dtype)
        expected[:, n - 1] = INF
        expected[m - 1, :] = NAN
        np.testing.assert_array_equal(out, expected)


def test_softmax_rows_with_inf_or_nan(backend, dtype):
    logits = np.array([[0.0, INF, 1.0],      # +inf: inf − inf in the max shift -> NaN row
                       [0.0, 1.0, NAN],      # NaN anywhere -> NaN row
                       [-INF, 0.0, 1.0],     # −inf at the label: loss +inf, the gradient finite
                       [-INF, -INF, -INF]],  # all −inf: −inf − (−inf) -> NaN row
                      dtype)
    with np.errstate(all="ignore"):
        loss, grad = backend.softmax_cross_entropy(logits, np.array([0, 0, 0, 1]))
        loss2, grad2 = backend.softmax_cross_entropy(logits[2:3], np.array([0]))
    assert np.isnan(loss)
    assert np.isnan(grad[[0, 1, 3]]).all()
    assert np.isfinite(grad[2]).all()
    assert loss2 == INF
    assert grad2[0, 0] == dtype.type(-1) and np.all(np.isfinite(grad2))


def test_optimizer_without_weight_decay_keeps_an_infinite_param(backend, dtype):
    # numba added wd·p even for wd = 0: 0·inf = NaN where NumPy (and torch) leave grad alone.
    cases = {
        "sgd": lambda p, g: backend.sgd_step(p, g, lr=0.1),
        "adam": lambda p, g: backend.adam_step(p, g, np.zeros(2, dtype), np.zeros(2, dtype), step=1, lr=0.1),
        "rmsprop": lambda p, g: backend.rmsprop_step(p, g, np.zeros(2, dtype)),
        "adagrad": lambda p, g: backend.adagrad_step(p, g, np.zeros(2, dtype), step=1),
        "adadelta": lambda p, g: backend.adadelta_step(p, g, np.zeros(2, dtype), np.zeros(2, dtype)),
    }
    for name, step in cases.items():
        p, g = np.array([INF, -INF], dtype), np.array([1.0, 1.0], dtype)
        step(p, g)
        np.testing.assert_array_equal(p, np.array([INF, -INF], dtype), err_msg=name)


def test_rprop_nan_step_size_reaches_the_param(backend, dtype):
    # numba skipped the update where sign(g) = 0 (`if g > 0 ... elif g < 0 ...`), so a NaN step size
    # left the parameter untouched; NumPy computes p − sign(g)·step = p − 0·NaN = NaN.
    p = np.array([1.0, 1.0, 1.0, 1.0], dtype)
    g = np.array([0.0, 1.0, -1.0, NAN], dtype)
    prev = np.array([1.0, -1.0, 0.0, 1.0], dtype)  # element 1: sign flip, g taken as 0
    step = np.array([NAN, NAN, 0.1, 0.1], dtype)
    with np.errstate(all="ignore"):
        backend.rprop_step(p, g, prev, step)
    assert np.isnan(p[[0, 1, 3]]).all() and p[2] == dtype.type(1.0) + dtype.type(0.1)
    assert np.isnan(step[[0, 1]]).all() and step[2] == dtype.type(0.1) and step[3] == dtype.type(0.1)
    np.testing.assert_array_equal(prev[:3], np.array([0.0, 0.0, -1.0], dtype))
    assert np.isnan(prev[3])


def test_mlp_epoch_stops_before_the_nan_batch(backend, dtype):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 3)).astype(dtype)
    X[7, 1] = NAN  # in the second batch of 4
    y = rng.integers(0, 2, 12)
    sizes = (3, 5, 2)
    P = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    params = (0.3 * rng.standard_normal(P)).astype(dtype)
    loss_sum, steps, p, _ = _mlp_call(backend, X, y, params, sizes, "relu", "softmax_cross_entropy", 0.0, 4, "sgd")
    assert steps == 1 and np.isnan(loss_sum)
    _, _, p_one, _ = _mlp_call(backend, X[:4], y[:4], params, sizes, "relu", "softmax_cross_entropy", 0.0, 4,
                                     "sgd")
    np.testing.assert_array_equal(p, p_one)  # the NaN batch took no step


def test_distances_document_their_non_finite_values(backend, dtype):
    # The contract's "Non-finite values" paragraphs, value by value.
    x = np.array([[0.0, 0.0], [NAN, 1.0], [3.0, INF], [1.0, 1.0]], dtype)
    with np.errstate(all="ignore"):
        d = backend.pairwise_sq_distances(x)
        labels, sq_dist, sums, weights = backend.kmeans_step(x, np.array([[1.0, 1.0], [0.0, 0.0]], dtype))
        nan_centre = backend.kmeans_step(x[[0, 3]], np.array([[0.0, 0.0], [NAN, 0.0], [1.0, 1.0]], dtype))
        nd, ni = backend.nearest_neighbors(x, 2)
    np.testing.assert_array_equal(np.diag(d), np.zeros(4, dtype))  # the diagonal is 0 regardless
    assert np.isnan(d[1, [0, 2, 3]]).all() and np.isnan(d[[0, 2, 3], 1]).all()
    assert np.isnan(d[2, [0, 3]]).all()  # ‖inf‖² − 2·inf·y + ‖y‖²: inf − inf
    assert d[0, 3] == 2.0
    # a NaN row goes to centre 0 with a NaN sq_dist; [3, inf] meets 0·inf = NaN at centre 1, which wins
    np.testing.assert_array_equal(labels, [1, 0, 1, 0])
    np.testing.assert_array_equal(sq_dist, np.array([0.0, NAN, INF, 0.0], dtype))
    np.testing.assert_array_equal(sums, np.array([[NAN, 2.0], [3.0, INF]], dtype))
    np.testing.assert_array_equal(weights, np.array([2.0, 2.0], dtype))
    np.testing.assert_array_equal(nan_centre[0], [1, 1])  # a NaN centre takes the rows it meets
    assert np.isnan(nan_centre[1]).all()
    np.testing.assert_array_equal(ni[1], [0, 2])  # a NaN row: its first candidates by index
    assert np.isnan(nd[1]).all()
    # row 0 ranks rows 1 and 2 NaN (NaN·0, inf·0): row 3 first, then the NaN ranks by index
    np.testing.assert_array_equal(ni[0], [3, 1])
    np.testing.assert_array_equal(nd[0], np.array([2.0, NAN], dtype))


# --------------------------------------------------------------------------- sparse

def test_sparse_products_document_their_non_finite_values(backend, dtype):
    # The contract's "Non-finite values" paragraphs of csr_matmul / csr_matmul_t, value by value.
    # X = [[1, 0(stored), .], [., ., 2], [., ., .]]: only stored entries are multiplied
    data = np.array([1.0, 0.0, 2.0], dtype)
    indices = np.array([0, 1, 2])
    indptr = np.array([0, 2, 3, 3])
    b = np.array([[1.0], [np.inf], [np.nan]], dtype)
    out = backend.csr_matmul(data, indices, indptr, 3, b)
    # row 0: 1·1 + 0·inf = NaN (a stored 0); row 1: 2·NaN; row 2: no entries, no NaN
    np.testing.assert_array_equal(out, np.array([[np.nan], [np.nan], [0.0]], dtype))
    b2 = np.array([[1.0], [1.0], [np.inf]], dtype)  # column 2's inf reaches row 1 only
    np.testing.assert_array_equal(backend.csr_matmul(data, indices, indptr, 3, b2), np.array([[1.0], [np.inf], [0.0]],
                                                                                             dtype))
    g = np.array([[np.inf], [1.0], [np.nan]], dtype)  # row 2 of X is empty: its NaN reaches nothing
    out_t = backend.csr_matmul_t(data, indices, indptr, 3, g)
    np.testing.assert_array_equal(out_t, np.array([[np.inf], [np.nan], [2.0]], dtype))


# --------------------------------------------------------------------------- norms

def test_norms_document_their_non_finite_values(backend, dtype):
    # The contract's "Non-finite values" paragraphs of the norms kernels, value by value.
    x = np.array([[1.0, NAN, INF, 2.0], [3.0, 0.0, 1.0, 2.0], [5.0, 1.0, 1.0, 2.0]], dtype)
    # dropout: a dropped NaN/inf is exactly 0, a kept one stays NaN/inf (p chosen so both happen)
    xs = np.full((16, 16), NAN, dtype)
    xs[::2] = -INF
    y, mask = backend.dropout_forward(xs, 0.5, seed=1)
    assert 0 < mask.sum() < mask.size
    assert np.all(y[mask == 0] == 0)
    np.testing.assert_array_equal(y[mask == 1], xs[mask == 1])
    np.testing.assert_array_equal(backend.dropout_backward(xs, mask, 0.5), y)
    # batch norm, training: a NaN or an inf poisons its own column only (inf − inf = NaN)
    g, b = np.ones(4, dtype), np.zeros(4, dtype)
    rm, rv = np.zeros(4, dtype), np.ones(4, dtype)
    with np.errstate(all="ignore"):
        y, mean, invstd = backend.batch_norm_forward(x, g, b, rm, rv, eps=0.0)
    assert np.isfinite(y[:, 0]).all() and np.isnan(y[:, 1:3]).all()
    assert np.isnan(y[:, 3]).all()  # a constant column with eps = 0: 0·inf
    np.testing.assert_array_equal(mean, np.array([3.0, NAN, INF, 2.0], dtype))
    assert np.isfinite(invstd[0]) and np.isnan(invstd[1:3]).all() and invstd[3] == INF
    assert np.isnan(rm[1]) and rm[2] == INF and np.isnan(rv[1:3]).all() and np.isfinite(rm[[0, 3]]).all()
    # eval: x_ij reaches y_ij only; a running variance below −eps gives NaN
    with np.errstate(all="ignore"):
        y, _, invstd = backend.batch_norm_forward(x, g, b, np.zeros(4, dtype), np.array([1, 1, 1, -2], dtype),
                                                  training=False, eps=1.0)
    np.testing.assert_array_equal(np.isnan(y[:, :3]), np.isnan(x[:, :3]))
    assert y[0, 2] == INF and np.isnan(invstd[3]) and np.isnan(y[:, 3]).all()
    # group norm: the poisoned group of that row only
    with np.errstate(all="ignore"):
        y, mean, invstd = backend.group_norm_forward(x, g, b, groups=2)
    assert np.isnan(y[0, :2]).all() and np.isnan(y[0, 2:]).all()  # NaN in group 0, inf in group 1
    assert np.isfinite(y[1:]).all() and np.isfinite(mean[1:]).all()
    assert np.isnan(mean[0, 0]) and mean[0, 1] == INF
    # backward: a NaN of grad_y poisons its column (batch) or its row's group (group norm)
    xf = np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 0.0]], dtype)
    gy = np.array([[NAN, 1.0], [1.0, 2.0], [0.5, 1.0]], dtype)
    _, mean, invstd = backend.batch_norm_forward(xf, g[:2], b[:2])
    with np.errstate(all="ignore"):
        gx, gg, gb = backend.batch_norm_backward(gy, xf, g[:2], mean, invstd)
    assert np.isnan(gx[:, 0]).all() and np.isfinite(gx[:, 1]).all()
    assert np.isnan(gg[0]) and np.isnan(gb[0]) and np.isfinite(gg[1]) and np.isfinite(gb[1])
    _, mean, invstd = backend.group_norm_forward(xf, g[:2], b[:2], groups=1)
    with np.errstate(all="ignore"):
        gx, gg, gb = backend.group_norm_backward(gy, xf, g[:2], mean, invstd, groups=1)
    assert np.isnan(gx[0]).all() and np.isfinite(gx[1:]).all()
    assert np.isnan(gg[0]) and np.isnan(gb[0]) and np.isfinite(gg[1]) and np.isfinite(gb[1])
