"""Property-based tests of the kernel contract: every kernel, every backend, random everything.

For each example (random shapes including 0 and 1, float32/float64 and sometimes a wrong dtype or
a float32/float64 mix, transposes, memory layouts, aliasing of outputs or state with inputs),
every backend is called on its own freshly built copy of the same arguments, and:

* either all backends raise the same class of error (TypeError or ValueError) as the NumPy
  reference — and then no argument was modified — or all succeed;
* on success, every backend's outputs (and in-place arrays, for optimizer steps) agree with the
  reference within the dtype's tolerance, have the inputs' dtype, and no pure input was written.

Values are finite and moderate (NaN follows IEEE and is not scanned by the kernels, so it is not
compared here), except in the dedicated property that logits of ±1e4 keep losses finite.
Every property has a fixed, derandomized budget so the suite stays fast and reproducible.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis import event, given

import mlbasics
from _helpers import assert_close

BACKEND_NAMES = ("numpy", "cpp", "numba")  # the reference first


def _settings(n):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def backends():
    return [mlbasics.get_backend(name) for name in BACKEND_NAMES]


# --------------------------------------------------------------------------- array specs
# An argument is described by a spec; `build` turns a list of specs into fresh arrays, the same
# values every time (one seeded generator), so each backend gets its own identical copy.

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
WRONG_DTYPES = ("int64", "bool", "complex128", "object", "other_float")
INPUT_LAYOUTS = ("C", "C", "F", "strided", "negative", "negative2", "broadcast", "broadcast_cols",
                 "readonly", "unaligned")
INPLACE_LAYOUTS = ("C", "C", "C", "C", "F", "strided", "readonly", "negative")

SMALL = st.integers(0, 40)
DIM = st.one_of(st.sampled_from((0, 1)), SMALL, SMALL, st.integers(100, 300))
# Shapes including 0 and 1 in every dimension; rarely large enough for the threaded/packed paths.


def _wrong(dtype, kind):
    if kind == "other_float":
        return FLOATS[1] if dtype == FLOATS[0] else FLOATS[0]
    return np.dtype(kind)


def _values(rng, shape, dtype, gen):
    """Values of a logical array: `gen` is (low, high) for uniform floats or a callable."""
    dtype = np.dtype(dtype)
    if callable(gen):
        base = np.asarray(gen(rng, shape), dtype=np.float64)
    else:
        base = rng.uniform(gen[0], gen[1], size=shape)
    if dtype.kind == "f":
        return base.astype(dtype)
    if dtype.kind == "c":
        return (base + 1j * rng.uniform(-1, 1, size=shape)).astype(dtype)
    if dtype.kind == "b":
        return base > np.median(base) if base.size else base.astype(bool)
    if dtype.kind in "iu":
        return np.round(base).astype(dtype)
    return base.astype(object)


def _layout(v, how):
    """A fresh array with the logical content of `v` (or, for broadcast views, of its first
    row/column repeated) in the memory layout `how`."""
    if v.ndim == 0 or v.dtype == object and how == "unaligned":
        how = "C"
    if how == "C":
        return np.array(v, order="C", copy=True)
    if how == "F":
        return np.array(v, order="F", copy=True)
    if how == "readonly":
        a = np.array(v, order="C", copy=True)
        a.flags.writeable = False
        return a
    if how == "strided":
        pad = False if v.dtype.kind == "b" else (0 if v.dtype.kind in "iu" else np.nan)
        big = np.full(tuple(2 * s + 1 for s in v.shape), pad, dtype=v.dtype)
        sl = tuple(slice(1, 1 + 2 * s, 2) for s in v.shape)
        big[sl] = v
        return big[sl]
    if how in ("negative", "negative2"):
        step = -1 if how == "negative" else -2
        pad = False if v.dtype.kind == "b" else (0 if v.dtype.kind in "iu" else np.nan)
        big = np.full(tuple(abs(step) * s + 1 for s in v.shape), pad, dtype=v.dtype)
        sl = tuple(slice(None, None, step) for _ in v.shape)
        view = big[sl][tuple(slice(0, s) for s in v.shape)]
        view[...] = v
        return view
    if how == "broadcast":
        if v.shape[0] == 0:
            return v.copy()
        return np.broadcast_to(v[:1], v.shape)
    if how == "broadcast_cols":
        if v.ndim < 2 or v.shape[1] == 0:
            return _layout(v, "broadcast")
        return np.broadcast_to(v[:, :1], v.shape)
    if how == "unaligned":
        buf = np.zeros(v.nbytes + v.itemsize + 1, dtype=np.uint8)
        a = buf[1:1 + v.nbytes].view(v.dtype).reshape(v.shape)
        a[...] = v
        return a
    raise AssertionError(how)


def spec(shape, dtype, layout="C", gen=(-2.0, 2.0)):
    return {"shape": tuple(shape), "dtype": np.dtype(dtype), "layout": layout, "gen": gen}


def build(specs, seed):
    """Fresh arrays for a dict name -> spec (None stays None; ("alias", other) is `other` itself,
    ("view", other) a new view of `other`'s memory)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, s in specs.items():
        if s is None:
            out[name] = None
        elif isinstance(s, tuple) and s[0] == "alias":
            out[name] = out[s[1]]
        elif isinstance(s, tuple) and s[0] == "view":
            out[name] = out[s[1]][...]
        elif isinstance(s, dict):
            out[name] = _layout(_values(rng, s["shape"], s["dtype"], s["gen"]), s["layout"])
        else:
            out[name] = s  # a non-array argument, passed through
    return out


@st.composite
def dtypes_for(draw, names):
    """One float dtype for a call, and sometimes one argument given a wrong dtype."""
    dtype = draw(st.sampled_from(FLOATS))
    per = {name: dtype for name in names}
    if draw(st.integers(0, 7)) == 0:
        victim = draw(st.sampled_from(names))
        per[victim] = _wrong(dtype, draw(st.sampled_from(WRONG_DTYPES)))
    return dtype, per


# --------------------------------------------------------------------------- the driver

def _arrays(obj):
    if isinstance(obj, np.ndarray):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _arrays(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _arrays(o)


def _snapshot(args):
    return [(a, a.copy()) for a in _arrays(args)]


def _unchanged(a, before):
    if a.dtype == object or a.dtype.kind in "biu":
        return np.array_equal(a, before)
    return np.array_equal(a, before, equal_nan=True)


def run_everywhere(backends, kernel, make_call, written=()):
    """Call `kernel` on each backend with fresh arguments from ``make_call() -> (args, kwargs)``.

    Returns {backend name: (exception or None, result, args, kwargs)} after checking that every
    backend has the reference's outcome class, that a raising call wrote nothing, and that a
    successful call wrote only the arguments named in `written` (positional indices or keywords).
    """
    outcomes = {}
    for be in backends:
        args, kwargs = make_call()
        out_arrays = [a for a in _written_arrays(args, kwargs, written) if isinstance(a, np.ndarray)]
        before = _snapshot((args, kwargs))
        try:
            result = getattr(be, kernel)(*args, **kwargs)
            exc = None
        except (TypeError, ValueError) as e:  # anything else fails the test
            result, exc = None, e
        for a, old in before:
            # Nothing is written by a call that raises; a successful call writes only its outputs
            # (and, through them, inputs that share their memory: the aliasing cases).
            if exc is None and any(a is o or np.may_share_memory(a, o) for o in out_arrays):
                continue
            assert _unchanged(a, old), (f"{be.name}.{kernel} modified an argument it must not write"
                                        f" ({'after raising ' + repr(exc) if exc else 'an input'})")
        outcomes[be.name] = (exc, result, args, kwargs)
    ref_exc = outcomes["numpy"][0]
    event(f"outcome: {type(ref_exc).__name__ if ref_exc else 'ok'}")  # see --hypothesis-show-statistics
    for name, (exc, *_rest) in outcomes.items():
        assert type(exc) is type(ref_exc), (
            f"{kernel}: numpy {'raised ' + type(ref_exc).__name__ + ': ' + str(ref_exc) if ref_exc else 'succeeded'}"
            f" but {name} {'raised ' + type(exc).__name__ + ': ' + str(exc) if exc else 'succeeded'}")
    return outcomes


def _written_arrays(args, kwargs, written):
    for w in written:
        a = args[w] if isinstance(w, int) else kwargs.get(w)
        if a is not None:
            yield a


def product_scale(a, b):
    """max |a| @ |b|: the natural error scale of a sum of products (backward-error bound)."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    b = np.abs(np.asarray(b, dtype=np.float64))
    if a.size == 0 or b.size == 0 or a.shape[-1] == 0:
        return 0.0
    return float(np.max(a @ b))


# --------------------------------------------------------------------------- gemm

@st.composite
def matmul_cases(draw):
    m, k, n = draw(DIM), draw(DIM), draw(DIM)
    trans_a, trans_b = draw(st.booleans()), draw(st.booleans())
    dtype, per = draw(dtypes_for(("a", "b", "out")))
    out_mode = draw(st.sampled_from(("none",) * 4 + ("fresh",) * 3 + ("alias_a", "alias_b", "view_a")
                                    + ("F", "readonly", "wrong_shape", "strided", "list")))
    if out_mode in ("alias_a", "alias_b", "view_a"):
        n = k = m  # op(a), op(b) and out all square: out may be the input itself
    kb = k + draw(st.integers(1, 3)) if draw(st.integers(0, 11)) == 0 else k
    a_shape = (k, m) if trans_a else (m, k)
    b_shape = (n, kb) if trans_b else (kb, n)
    la = draw(st.sampled_from(INPUT_LAYOUTS))
    lb = draw(st.sampled_from(INPUT_LAYOUTS))
    if out_mode == "alias_a":
        la = draw(st.sampled_from(("C", "C", "strided", "readonly")))
    if out_mode == "alias_b":
        lb = draw(st.sampled_from(("C", "C", "strided", "readonly")))
    specs = {"a": spec(a_shape, per["a"], la), "b": spec(b_shape, per["b"], lb)}
    out_shape = (m, n + 1) if out_mode == "wrong_shape" else (m, n)
    if out_mode in ("fresh", "wrong_shape"):
        specs["out"] = spec(out_shape, per["out"], "C")
    elif out_mode in ("F", "readonly", "strided"):
        specs["out"] = spec(out_shape, per["out"], out_mode)
    elif out_mode == "alias_a":
        specs["out"] = ("alias", "a")
    elif out_mode == "alias_b":
        specs["out"] = ("alias", "b")
    elif out_mode == "view_a":
        specs["out"] = ("view", "a")
    elif out_mode == "list":
        specs["out"] = [[0.0] * n for _ in range(m)]
    mnk = m * n * k
    event("size: " + ("empty" if mnk == 0 else "threaded" if mnk >= 2**21 else "packed" if mnk >= 300 else "tiny"))
    return dtype, specs, trans_a, trans_b, draw(st.integers(0, 2**32 - 1))


@_settings(150)
@given(matmul_cases())
def test_matmul_matches_reference_or_raises_alike(backends, case):
    dtype, specs, trans_a, trans_b, seed = case

    def make_call():
        arr = build(specs, seed)
        kwargs = {"trans_a": trans_a, "trans_b": trans_b}
        if "out" in arr:
            kwargs["out"] = arr["out"]
        return (arr["a"], arr["b"]), kwargs

    outcomes = run_everywhere(backends, "matmul", make_call, written=("out",))
    exc, ref, _, _ = outcomes["numpy"]
    if exc is not None:
        return
    fresh = build(specs, seed)  # the inputs as they were: with out=a, `a` now holds the product
    a, b = fresh["a"], fresh["b"]
    opa, opb = (a.T if trans_a else a), (b.T if trans_b else b)
    scale = product_scale(opa, opb)
    np.testing.assert_allclose(ref, np.asarray(opa, np.float64) @ np.asarray(opb, np.float64),
                               rtol=0, atol=2e-4 * scale + 1e-300)  # the reference itself is right
    for name, (_, res, _, kwargs) in outcomes.items():
        if kwargs.get("out") is not None:
            assert res is kwargs["out"], f"{name}: matmul did not return out"
        assert_close(res, ref, dtype, scale=scale)


@st.composite
def gram_cases(draw):
    n, p = draw(DIM), draw(DIM)
    if n * p > 20000:  # gram of a 300 x 300 x 300 is fine, but keep the slow reference rare
        p = min(p, 60)
    dtype, per = draw(dtypes_for(("x",)))
    ndim_bad = draw(st.integers(0, 15)) == 0
    shape = (n,) if ndim_bad else (n, p)
    specs = {"x": spec(shape, per["x"], draw(st.sampled_from(INPUT_LAYOUTS)))}
    return dtype, specs, draw(st.integers(0, 2**32 - 1))


@_settings(80)
@given(gram_cases())
def test_gram_matches_reference_and_is_symmetric(backends, case):
    dtype, specs, seed = case
    outcomes = run_everywhere(backends, "gram", lambda: ((build(specs, seed)["x"],), {}))
    exc, ref, (x,), _ = outcomes["numpy"]
    if exc is not None:
        return
    dtype = x.dtype  # the one argument may have been given "the other" float dtype
    scale = product_scale(x.T, x)
    for name, (_, res, _, _) in outcomes.items():
        assert res.shape == (x.shape[1], x.shape[1])
        assert np.array_equal(res, res.T), f"{name}: gram is not exactly symmetric"
        assert_close(res, ref, dtype, scale=scale)


@st.composite
def gram_shift_cases(draw):
    n, p = draw(DIM), draw(DIM)
    if n * p > 20000:
        p = min(p, 60)
    dtype, per = draw(dtypes_for(("x", "shift")))
    shift_len = p + 1 if draw(st.integers(0, 15)) == 0 else p
    specs = {"x": spec((n, p), per["x"], draw(st.sampled_from(INPUT_LAYOUTS))),
             "shift": spec((shift_len,), per["shift"], gen=(-50.0, 50.0))}
    return specs, draw(st.integers(0, 2**32 - 1))


@_settings(60)
@given(gram_shift_cases())
def test_gram_shift_is_the_gram_of_the_difference(backends, case):
    """Every backend raises as the reference does, or returns the Gram matrix of x − shift."""
    specs, seed = case
    outcomes = run_everywhere(backends, "gram", lambda: ((build(specs, seed)["x"],),
                                                        {"shift": build(specs, seed)["shift"]}))
    exc, ref, (x,), kwargs = outcomes["numpy"]
    if exc is not None:
        return
    d = x - kwargs["shift"]
    expected = np.asarray(d, dtype=np.float64).T @ np.asarray(d, dtype=np.float64)
    for name, (_, res, _, _) in outcomes.items():
        assert np.array_equal(res, res.T), f"{name}: gram is not exactly symmetric"
        assert_close(res, expected.astype(x.dtype), x.dtype, scale=product_scale(d.T, d))


# --------------------------------------------------------------------------- layers

ACTS = ("identity", "relu", "sigmoid", "tanh")


@st.composite
def layer_cases(draw, backward):
    n, n_in, n_out = draw(DIM), draw(DIM), draw(DIM)
    if n * n_in * n_out > 3_000_000:
        n_out = min(n_out, 40)
    names = ("x", "w", "z", "h", "grad_h") if backward else ("x", "w", "b")
    dtype, per = draw(dtypes_for(names))
    activation = draw(st.sampled_from(ACTS)) if draw(st.integers(0, 19)) else \
        draw(st.sampled_from(("gelu", 1, None, "RELU")))
    w_rows = n_in + 1 if draw(st.integers(0, 15)) == 0 else n_in
    lay = st.sampled_from(INPUT_LAYOUTS)
    specs = {"x": spec((n, n_in), per["x"], draw(lay)), "w": spec((w_rows, n_out), per["w"], draw(lay))}
    if not backward:
        b_shape = draw(st.sampled_from(((n_out,),) * 8 + ((n_out + 1,), (1, n_out))))
        specs["b"] = spec(b_shape, per["b"], draw(lay))
        return dtype, specs, activation, draw(st.integers(0, 2**32 - 1))
    zh_shape = (n, n_out + 1) if draw(st.integers(0, 15)) == 0 else (n, n_out)
    # z only matters for relu, h only for sigmoid/tanh: each is sometimes None.
    specs["z"] = None if draw(st.integers(0, 3)) == 0 else spec(zh_shape, per["z"], draw(lay))
    specs["h"] = None if draw(st.integers(0, 3)) == 0 else spec(zh_shape, per["h"], draw(lay), (-1.0, 1.0))
    specs["grad_h"] = spec((n, n_out), per["grad_h"], draw(lay))
    return dtype, specs, activation, draw(st.integers(0, 2**32 - 1))


@_settings(100)
@given(layer_cases(backward=False))
def test_linear_forward_matches_reference_or_raises_alike(backends, case):
    dtype, specs, activation, seed = case

    def make_call():
        a = build(specs, seed)
        return (a["x"], a["w"], a["b"]), {"activation": activation}

    outcomes = run_everywhere(backends, "linear_forward", make_call)
    if outcomes["numpy"][0] is not None:
        return
    _, (z_ref, h_ref), (x, w, b), _ = outcomes["numpy"]
    scale = product_scale(x, w) + float(np.max(np.abs(b), initial=0.0))
    for name, (_, (z, h), _, _) in outcomes.items():
        assert_close(z, z_ref, dtype, scale=scale)
        if activation == "identity":
            assert h is z, f"{name}: for identity, h must be z itself"
        else:
            # act is 1-Lipschitz, so the error in z bounds the error in h.
            assert_close(h, h_ref, dtype, scale=scale)


@_settings(100)
@given(layer_cases(backward=True))
def test_linear_backward_matches_reference_or_raises_alike(backends, case):
    dtype, specs, activation, seed = case

    def make_call():
        a = build(specs, seed)
        return (a["x"], a["w"], a["z"], a["h"], a["grad_h"], activation), {}

    outcomes = run_everywhere(backends, "linear_backward", make_call)
    exc, ref, (x, w, z, h, gh, _), _ = outcomes["numpy"]
    if exc is not None:
        return
    gx_ref, gw_ref, gb_ref = ref
    # |grad_z| ≤ |grad_h| · max|act'| with max|act'| ≤ 2 for h in [-1, 1]
    gz_abs = 2 * np.abs(np.asarray(gh, np.float64))
    sx = product_scale(gz_abs, w.T)
    sw = product_scale(x.T, gz_abs)
    sb = float(np.max(gz_abs.sum(axis=0), initial=0.0))
    for name, (_, (gx, gw, gb), _, _) in outcomes.items():
        assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == (w.shape[1],)
        assert_close(gx, gx_ref, dtype, scale=sx)
        assert_close(gw, gw_ref, dtype, scale=sw)
        assert_close(gb, gb_ref, dtype, scale=sb)


# --------------------------------------------------------------------------- losses

def _labels(n_classes):
    def gen(rng, shape):
        return rng.integers(0, max(n_classes, 1), size=shape)
    return gen


@st.composite
def softmax_cases(draw):
    n, c = draw(DIM), draw(st.one_of(st.sampled_from((0, 1, 2)), SMALL))
    dtype, per = draw(dtypes_for(("logits",)))
    label_dtype = draw(st.sampled_from(("int64",) * 6 + ("int32", "uint8", "float64", "bool")))
    label_kind = draw(st.sampled_from(("ok",) * 12 + ("too_big", "negative", "short", "2d")))
    y_shape = {"short": (max(n - 1, 0),), "2d": (n, 1)}.get(label_kind, (n,))
    shift = {"too_big": c, "negative": -c - 1}.get(label_kind, 0)

    def gen(rng, shape):
        return rng.integers(0, max(c, 1), size=shape) + shift

    logits_shape = (n,) if draw(st.integers(0, 19)) == 0 else (n, c)
    specs = {"logits": spec(logits_shape, per["logits"], draw(st.sampled_from(INPUT_LAYOUTS))),
             "y": spec(y_shape, label_dtype, draw(st.sampled_from(INPUT_LAYOUTS)), gen)}
    return dtype, specs, draw(st.integers(0, 2**32 - 1))


@_settings(100)
@given(softmax_cases())
def test_softmax_cross_entropy_matches_reference_or_raises_alike(backends, case):
    dtype, specs, seed = case
    outcomes = run_everywhere(backends, "softmax_cross_entropy",
                              lambda: ((lambda a: (a["logits"], a["y"]))(build(specs, seed)), {}))
    if outcomes["numpy"][0] is not None:
        return
    loss_ref, grad_ref = outcomes["numpy"][1]
    dtype = outcomes["numpy"][2][0].dtype  # logits may have been given "the other" float dtype
    for name, (_, (loss, grad), _, _) in outcomes.items():
        assert np.ndim(loss) == 0 and np.asarray(loss).dtype == dtype, f"{name}: loss {loss!r}"
        assert_close(np.asarray(loss), np.asarray(loss_ref), dtype)
        assert_close(grad, grad_ref, dtype, scale=1.0 / grad.shape[0])


@st.composite
def bce_cases(draw):
    n = draw(DIM)
    dtype, per = draw(dtypes_for(("logits", "y")))
    y_range = draw(st.sampled_from(((0.0, 1.0), (0.0, 1.0), (0.0, 1.0), (-0.5, 0.5), (0.5, 1.5))))
    hard = draw(st.booleans())
    gen = (lambda rng, shape: rng.integers(0, 2, size=shape)) if hard else y_range
    logits_shape = (n, 1) if draw(st.integers(0, 15)) == 0 else (n,)
    y_shape = (n + 1,) if draw(st.integers(0, 15)) == 0 else (n,)
    specs = {"logits": spec(logits_shape, per["logits"], draw(st.sampled_from(INPUT_LAYOUTS)), (-6.0, 6.0)),
             "y": spec(y_shape, per["y"], draw(st.sampled_from(INPUT_LAYOUTS)), gen)}
    return dtype, specs, draw(st.integers(0, 2**32 - 1))


@st.composite
def mse_cases(draw):
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(st.one_of(st.sampled_from((0, 1)), st.integers(0, 12))) for _ in range(ndim))
    if ndim == 1 and draw(st.integers(0, 5)) == 0:
        shape = (draw(st.integers(60_000, 70_000)),)  # past the parallel threshold
    dtype, per = draw(dtypes_for(("pred", "target")))
    t_shape = draw(st.sampled_from((shape, shape, shape, shape[::-1], shape + (1,))))
    specs = {"pred": spec(shape, per["pred"], draw(st.sampled_from(INPUT_LAYOUTS))),
             "target": spec(t_shape, per["target"], draw(st.sampled_from(INPUT_LAYOUTS)))}
    return dtype, specs, draw(st.integers(0, 2**32 - 1))


@pytest.mark.parametrize("kernel,strategy,first,second", [
    ("binary_cross_entropy_with_logits", bce_cases(), "logits", "y"),
    ("mse", mse_cases(), "pred", "target"),
], ids=["bce", "mse"])
def test_elementwise_losses_match_reference_or_raise_alike(backends, kernel, strategy, first, second):
    @_settings(80)
    @given(strategy)
    def prop(case):
        dtype, specs, seed = case
        outcomes = run_everywhere(backends, kernel,
                                  lambda: ((lambda a: (a[first], a[second]))(build(specs, seed)), {}))
        exc, res, (x, _), _ = outcomes["numpy"]
        if exc is not None:
            return
        loss_ref, grad_ref = res
        for name, (_, (loss, grad), _, _) in outcomes.items():
            assert np.ndim(loss) == 0 and np.asarray(loss).dtype == dtype, f"{name}: loss {loss!r}"
            assert grad.shape == x.shape
            assert_close(np.asarray(loss), np.asarray(loss_ref), dtype)
            assert_close(grad, grad_ref, dtype)

    prop()


@_settings(40)
@given(n=st.integers(1, 40), c=st.integers(1, 12), dtype=st.sampled_from(FLOATS),
       magnitude=st.sampled_from((1e4, -1e4, 3e4)), seed=st.integers(0, 2**32 - 1))
def test_huge_logits_keep_losses_and_gradients_finite(backends, n, c, dtype, magnitude, seed):
    rng = np.random.default_rng(seed)
    logits2 = (rng.choice([-1.0, 1.0], size=(n, c)) * magnitude + rng.uniform(-1, 1, (n, c))).astype(dtype)
    y2 = rng.integers(0, c, n)
    logits1 = (rng.choice([-1.0, 1.0], size=n) * magnitude).astype(dtype)
    y1 = rng.integers(0, 2, n).astype(dtype)
    x = (rng.choice([-1.0, 1.0], size=(n, c)) * magnitude).astype(dtype)
    w = rng.uniform(-1, 1, (c, 3)).astype(dtype)
    b = np.zeros(3, dtype)
    for be in backends:
        loss, grad = be.softmax_cross_entropy(logits2, y2)
        assert np.isfinite(loss) and np.all(np.isfinite(grad)), f"{be.name}: softmax CE at {magnitude}"
        assert np.all(np.abs(grad.sum(axis=1)) <= 1e-3 / n + 1e-6)  # each row of softmax - onehot sums to 0
        loss, grad = be.binary_cross_entropy_with_logits(logits1, y1)
        assert np.isfinite(loss) and np.all(np.isfinite(grad)), f"{be.name}: BCE at {magnitude}"
        assert np.all(np.abs(grad) <= 1.0 / n * (1 + 1e-6))
        _, h = be.linear_forward(x, w, b, activation="sigmoid")
        assert np.all(np.isfinite(h)) and np.all((h >= 0) & (h <= 1)), f"{be.name}: sigmoid at {magnitude}"
        _, h = be.linear_forward(x, w, b, activation="tanh")
        assert np.all(np.isfinite(h)) and np.all(np.abs(h) <= 1), f"{be.name}: tanh at {magnitude}"
    ref_loss, ref_grad = backends[0].softmax_cross_entropy(logits2, y2)
    for be in backends[1:]:
        loss, grad = be.softmax_cross_entropy(logits2, y2)
        assert_close(np.asarray(loss), np.asarray(ref_loss), dtype)
        assert_close(grad, ref_grad, dtype, scale=1.0 / n)
    ref_loss, ref_grad = backends[0].binary_cross_entropy_with_logits(logits1, y1)
    for be in backends[1:]:
        loss, grad = be.binary_cross_entropy_with_logits(logits1, y1)
        assert_close(np.asarray(loss), np.asarray(ref_loss), dtype)
        assert_close(grad, ref_grad, dtype, scale=1.0 / n)


# --------------------------------------------------------------------------- optimizers
# name -> (state arrays with their value ranges, hyper-parameter strategy)

OPTIMIZERS = {
    "sgd_step": (
        {"momentum_buf": (-1.0, 1.0)},
        st.fixed_dictionaries({
            "lr": st.sampled_from((0.0, 0.01, 0.1, 1.0)),
            "momentum": st.sampled_from((0.0, 0.5, 0.9)),
            "dampening": st.sampled_from((0.0, 0.0, 0.1, 0.9)),
            "weight_decay": st.sampled_from((0.0, 0.01, 0.5)),
            "nesterov": st.booleans(),
            "first_step": st.booleans(),
        })),
    "adam_step": (
        {"exp_avg": (-1.0, 1.0), "exp_avg_sq": (0.0, 2.0)},
        st.fixed_dictionaries({
            "step": st.integers(1, 1000),
            "lr": st.sampled_from((0.0, 1e-3, 0.1)),
            "beta1": st.sampled_from((0.0, 0.5, 0.9)),
            "beta2": st.sampled_from((0.0, 0.9, 0.999)),
            "eps": st.sampled_from((1e-8, 1e-3, 0.1)),
            "weight_decay": st.sampled_from((0.0, 0.01, 0.5)),
            "decoupled_weight_decay": st.booleans(),
        })),
    "rmsprop_step": (
        # square_avg ≥ grad_avg² + 0.5, so the centered variance stays well away from 0
        {"square_avg": (0.0, 2.0), "momentum_buffer": (-1.0, 1.0), "grad_avg": (-0.7, 0.7)},
        st.fixed_dictionaries({
            "lr": st.sampled_from((1e-3, 1e-2, 0.1)),
            "alpha": st.sampled_from((0.5, 0.9, 0.99)),
            "eps": st.sampled_from((1e-8, 1e-3)),
            "weight_decay": st.sampled_from((0.0, 0.01)),
            "momentum": st.sampled_from((0.0, 0.0, 0.9)),
            "centered": st.booleans(),
        })),
    "adagrad_step": (
        {"sum": (0.0, 2.0)},
        st.fixed_dictionaries({
            "step": st.integers(1, 100),
            "lr": st.sampled_from((1e-2, 0.1, 1.0)),
            "lr_decay": st.sampled_from((0.0, 0.0, 0.1)),
            "weight_decay": st.sampled_from((0.0, 0.01)),
            "eps": st.sampled_from((1e-10, 1e-3)),
        })),
    "adadelta_step": (
        {"square_avg": (0.0, 2.0), "acc_delta": (0.0, 2.0)},
        st.fixed_dictionaries({
            "lr": st.sampled_from((0.1, 1.0)),
            "rho": st.sampled_from((0.0, 0.5, 0.9, 1.0)),
            "eps": st.sampled_from((1e-6, 1e-3)),
            "weight_decay": st.sampled_from((0.0, 0.01)),
        })),
    "rprop_step": (
        {"prev": (-1.0, 1.0), "step_size": (1e-3, 0.5)},
        st.fixed_dictionaries({
            "etas": st.sampled_from(((0.5, 1.2), (0.3, 2.0))),
            "step_sizes": st.sampled_from(((1e-6, 50.0), (0.01, 0.1))),
        })),
}

BAD_HYPER = {  # one invalid hyper-parameter per optimizer: the same ValueError/TypeError everywhere
    "sgd_step": [("lr", -0.1), ("lr", float("nan")), ("momentum", "0.9")],
    "adam_step": [("step", 0), ("beta2", 1.0), ("lr", True)],
    "rmsprop_step": [("alpha", -0.5), ("eps", -1.0)],
    "adagrad_step": [("step", 1.5), ("lr_decay", -1.0)],
    "adadelta_step": [("rho", 1.5), ("weight_decay", -0.1)],
    "rprop_step": [("etas", (1.2, 0.5)), ("step_sizes", (1.0, 0.1)), ("etas", [0.5])],
}


def _rms_square_avg(rng, shape):
    return rng.uniform(0.5, 2.0, size=shape) + 0.49  # ≥ 0.5 + max grad_avg² (0.49)


@st.composite
def optimizer_cases(draw, kernel):
    states, hyper_strategy = OPTIMIZERS[kernel]
    hyper = draw(hyper_strategy)
    if kernel == "sgd_step" and hyper["nesterov"] and draw(st.booleans()):
        hyper["dampening"], hyper["momentum"] = 0.0, 0.9  # a valid nesterov configuration
    if draw(st.integers(0, 9)) == 0:
        key, value = draw(st.sampled_from(BAD_HYPER[kernel]))
        hyper[key] = value
    shape = draw(st.one_of(
        st.tuples(DIM),
        st.tuples(st.sampled_from((0, 1, 2, 7)), st.sampled_from((0, 1, 3, 9))),
        st.just(()),
        st.tuples(st.integers(65_536, 70_000)),  # past the C++/Numba parallel threshold
    ))
    names = ("param", "grad") + tuple(states)
    dtype, per = draw(dtypes_for(names))
    inplace = st.sampled_from(INPLACE_LAYOUTS)
    specs = {"param": spec(shape, per["param"], draw(inplace))}
    specs["grad"] = spec(shape if draw(st.integers(0, 15)) else shape + (1,), per["grad"],
                         draw(st.sampled_from(INPUT_LAYOUTS)))
    for name, rng_range in states.items():
        gen = _rms_square_avg if (kernel, name) == ("rmsprop_step", "square_avg") else rng_range
        specs[name] = spec(shape, per[name], draw(inplace), gen)
    # Optional state that these hyper-parameters do not use is sometimes passed as None.
    for name in ("momentum_buf", "momentum_buffer", "grad_avg"):
        if name in specs and draw(st.integers(0, 2)) == 0:
            specs[name] = None
    alias = draw(st.sampled_from(("none",) * 8 + ("state=param", "state=grad", "param=grad", "state=state",
                                                   "state_view=param")))
    state_names = [s for s in states if specs[s] is not None]
    if alias == "param=grad":
        specs["grad"] = ("alias", "param")
    elif alias == "state=param" and state_names:
        specs[draw(st.sampled_from(state_names))] = ("alias", "param")
    elif alias == "state_view=param" and state_names:
        specs[draw(st.sampled_from(state_names))] = ("view", "param")
    elif alias == "state=grad" and state_names:
        specs[draw(st.sampled_from(state_names))] = ("alias", "grad")
    elif alias == "state=state" and len(state_names) >= 2:
        specs[state_names[1]] = ("alias", state_names[0])
    # Keep state arrays after param/grad in build order: aliases refer back.
    order = ["param", "grad"] + list(states)
    specs = {k: specs[k] for k in order}
    return dtype, specs, hyper, draw(st.integers(0, 2**32 - 1))


@pytest.mark.parametrize("kernel", list(OPTIMIZERS))
def test_optimizer_step_matches_reference_in_place_or_raises_alike(backends, kernel):
    state_names = list(OPTIMIZERS[kernel][0])

    @_settings(60)
    @given(optimizer_cases(kernel))
    def prop(case):
        dtype, specs, hyper, seed = case

        def make_call():
            a = build(specs, seed)
            return (a["param"], a["grad"]), {**{s: a[s] for s in state_names}, **hyper}

        written = [0] + state_names
        outcomes = run_everywhere(backends, kernel, make_call, written=written)
        exc, res, (p_ref, g_ref), kw_ref = outcomes["numpy"]
        if exc is not None:
            return
        scale = float(np.max(np.abs(p_ref), initial=0.0))
        for name, (_, res, (p, _), kw) in outcomes.items():
            assert res is None, f"{name}.{kernel} returned {res!r}; in-place kernels return None"
            assert p.dtype == dtype
            assert_close(p, p_ref, dtype, scale=scale + 1e-6)
            for s in state_names:
                if kw_ref[s] is not None:
                    assert_close(kw[s], kw_ref[s], dtype)

    prop()


# --------------------------------------------------------------------------- distances
# Small-integer values: every norm, product and distance is exact in both dtypes on every backend, so
# labels and neighbour indices (ties included: broadcast layouts repeat rows) must be the reference's.

DISTANCE_KERNELS = ("pairwise_sq_distances", "kmeans_step", "nearest_neighbors")


def _small_ints(rng, shape):
    return rng.integers(-3, 4, size=shape)


@st.composite
def distance_cases(draw):
    kernel = draw(st.sampled_from(DISTANCE_KERNELS))
    n, m, p = draw(DIM), draw(st.one_of(st.sampled_from((0, 1)), SMALL)), draw(st.one_of(st.sampled_from((0, 1)), SMALL))
    dtype, per = draw(dtypes_for(("x", "y", "sample_weight")))
    lay = st.sampled_from(INPUT_LAYOUTS)
    specs = {"x": spec((n, p), per["x"], draw(lay), _small_ints)}
    y_mode = "given" if kernel == "kmeans_step" else draw(st.sampled_from(("given", "given", "none", "alias")))
    if y_mode == "given":
        p_y = p + 1 if draw(st.integers(0, 15)) == 0 else p
        specs["y"] = spec((m, p_y), per["y"], draw(lay), _small_ints)
    else:
        specs["y"] = ("alias", "x") if y_mode == "alias" else None
    extra = None
    if kernel == "kmeans_step":
        w_mode = draw(st.sampled_from(("none", "ok", "ok", "short")))
        specs["sample_weight"] = None if w_mode == "none" else \
            spec((n if w_mode == "ok" else n + 1,), per["sample_weight"], draw(lay), (0.0, 2.0))
    elif kernel == "nearest_neighbors":
        candidates = m if y_mode == "given" else n - 1
        extra = draw(st.one_of(st.integers(1, max(1, candidates)), st.integers(1, max(1, candidates)),
                               st.sampled_from((0, candidates + 1, 2.0, -1))))
    event(f"{kernel}: y {y_mode}")
    return kernel, dtype, specs, extra, draw(st.integers(0, 2**32 - 1))


@_settings(150)
@given(distance_cases())
def test_distances_match_reference_or_raise_alike(backends, case):
    kernel, dtype, specs, extra, seed = case

    def make_call():
        a = build(specs, seed)
        if kernel == "pairwise_sq_distances":
            return (a["x"], a["y"]), {}
        if kernel == "kmeans_step":
            return (a["x"], a["y"], a["sample_weight"]), {}
        return (a["x"], extra, a["y"]), {}

    outcomes = run_everywhere(backends, kernel, make_call)
    exc, ref, args, _ = outcomes["numpy"]
    if exc is not None:
        return
    ref = ref if isinstance(ref, tuple) else (ref,)
    w = args[2] if kernel == "kmeans_step" else None
    wsum = float(np.sum(np.asarray(w, np.float64))) if w is not None else 0.0
    for name, (_, res, _, _) in outcomes.items():
        res = res if isinstance(res, tuple) else (res,)
        for r, e in zip(res, ref):
            assert type(r) is np.ndarray and r.dtype == e.dtype and r.shape == e.shape, name
            if r.dtype == np.int64 or w is None:
                np.testing.assert_array_equal(r, e, err_msg=f"{name}.{kernel}")  # exact arithmetic
            else:
                assert_close(r, e, dtype, scale=9 * args[0].shape[1] + 3 * wsum + 1)
        if kernel == "pairwise_sq_distances" and (specs["y"] is None or specs["y"] == ("alias", "x")):
            np.testing.assert_array_equal(res[0], res[0].T)  # y is x: exactly symmetric


# --------------------------------------------------------------------------- norms
# Dropout must be the reference's bit for bit (masks and values); the normalizations agree within the
# dtype's tolerance. Broadcast layouts make constant columns/rows (a zero variance: invstd = 1/sqrt(eps)).

NORM_KERNELS = ("dropout_forward", "dropout_backward", "batch_norm_forward", "batch_norm_backward",
                "group_norm_forward", "group_norm_backward")
U64 = st.one_of(st.integers(0, 2**64 - 1), st.sampled_from((0, 2**64 - 1, 2**63)))
BAD_U64 = st.sampled_from((-1, 2**64, 1.0, True, None, "1"))


@st.composite
def norm_cases(draw):
    kernel = draw(st.sampled_from(NORM_KERNELS))
    groups = draw(st.integers(1, 4))
    k = draw(st.one_of(st.sampled_from((0, 1)), st.integers(0, 12), st.integers(60, 80)))
    n = draw(DIM)
    m = groups * k + (1 if draw(st.integers(0, 15)) == 0 else 0)  # sometimes groups do not divide m
    dtype, per = draw(dtypes_for(("x", "gamma", "beta", "running_mean", "running_var", "mean", "invstd")))
    lay = st.sampled_from(INPUT_LAYOUTS)
    specs, extra = {}, {}
    wrong_len = 1 if draw(st.integers(0, 15)) == 0 else 0
    if kernel.startswith("dropout"):
        specs["x"] = spec((n, m), per["x"], draw(lay))
        p = draw(st.one_of(st.floats(0, 0.999), st.sampled_from((0.0, 0.5)), st.sampled_from((1.0, -0.25, 2))))
        extra["p"] = p
        if kernel == "dropout_forward":
            for name in ("seed", "offset", "stream"):
                extra[name] = draw(BAD_U64) if draw(st.integers(0, 20)) == 0 else draw(U64)
        else:
            mdt = draw(st.sampled_from(("uint8",) * 5 + ("bool", "int64", "float64")))
            specs["mask"] = spec((n, m + wrong_len), mdt, draw(lay), (0.0, 1.0))
    elif kernel.startswith("batch_norm"):
        specs["x"] = spec((n, m), per["x"], draw(lay))
        specs["gamma"] = spec((m + wrong_len,), per["gamma"], draw(lay))
        if kernel == "batch_norm_forward":
            specs["beta"] = spec((m,), per["beta"], draw(lay))
            training = draw(st.booleans())
            mode = draw(st.sampled_from(("given",) * 4 + ("none", "one", "alias_gamma", "alias_each")))
            run_lay = st.sampled_from(INPLACE_LAYOUTS if training else INPUT_LAYOUTS)
            specs["running_mean"] = spec((m,), per["running_mean"], draw(run_lay))
            specs["running_var"] = spec((m,), per["running_var"], draw(run_lay), (0.2, 3.0))
            if mode == "none":
                specs["running_mean"] = specs["running_var"] = None
            elif mode == "one":
                specs[draw(st.sampled_from(("running_mean", "running_var")))] = None
            elif mode == "alias_gamma":
                specs["running_mean"] = ("alias", "gamma")
            elif mode == "alias_each":
                specs["running_var"] = ("alias", "running_mean")
            extra = dict(training=training, momentum=draw(st.sampled_from((0.0, 0.1, 1.0, 1.5))),
                         eps=draw(st.sampled_from((1e-5, 1e-3, 0.5, -1.0))))
        else:
            specs["grad_y"] = spec((n, m), per["x"], draw(lay))
            specs["x"], specs["grad_y"] = specs["grad_y"], specs["x"]  # grad_y first, as the call
            specs["mean"] = spec((m,), per["mean"], draw(lay))
            specs["invstd"] = spec((m,), per["invstd"], draw(lay), (0.5, 2.0))
    else:
        specs["x"] = spec((n, m), per["x"], draw(lay))
        specs["gamma"] = spec((m + wrong_len,), per["gamma"], draw(lay))
        extra["groups"] = draw(st.one_of(st.just(groups), st.just(groups), st.sampled_from((0, 3, 2.0))))
        if kernel == "group_norm_forward":
            specs["beta"] = spec((m,), per["beta"], draw(lay))
            extra["eps"] = draw(st.sampled_from((1e-5, 1e-3, 0.5, -1.0)))
        else:
            specs["grad_y"] = spec((n, m), per["x"], draw(lay))
            g = extra["groups"] if isinstance(extra["groups"], int) and extra["groups"] > 0 else 1
            specs["mean"] = spec((n, g + (1 if draw(st.integers(0, 15)) == 0 else 0)), per["mean"], draw(lay))
            specs["invstd"] = spec((n, g), per["invstd"], draw(lay), (0.5, 2.0))
    event(f"{kernel}")
    return kernel, dtype, specs, extra, draw(st.integers(0, 2**32 - 1))


@_settings(300)
@given(norm_cases())
def test_norms_match_reference_or_raise_alike(backends, case):
    kernel, dtype, specs, extra, seed = case

    def make_call():
        a = build(specs, seed)
        if kernel == "dropout_forward":
            return (a["x"], extra["p"]), {k: extra[k] for k in ("seed", "offset", "stream")}
        if kernel == "dropout_backward":
            return (a["x"], a["mask"], extra["p"]), {}
        if kernel == "batch_norm_forward":
            return (a["x"], a["gamma"], a["beta"], a["running_mean"], a["running_var"]), dict(extra)
        if kernel == "batch_norm_backward":
            return (a["grad_y"], a["x"], a["gamma"], a["mean"], a["invstd"]), {}
        if kernel == "group_norm_forward":
            return (a["x"], a["gamma"], a["beta"]), dict(extra)
        return (a["grad_y"], a["x"], a["gamma"], a["mean"], a["invstd"]), dict(extra)

    written = (3, 4) if kernel == "batch_norm_forward" and extra.get("training") else ()
    outcomes = run_everywhere(backends, kernel, make_call, written=written)
    exc, ref, args, _ = outcomes["numpy"]
    if exc is not None:
        return
    for name, (_, res, a, _) in outcomes.items():
        for r, e in zip(res, ref):
            assert type(r) is np.ndarray and r.dtype == e.dtype and r.shape == e.shape, name
            if kernel.startswith("dropout"):
                np.testing.assert_array_equal(r, e, err_msg=f"{name}.{kernel}")  # bit for bit
            else:
                assert_close(r, e, dtype)
        for i in written:
            if args[i] is not None:
                assert_close(a[i], args[i], dtype)


# --------------------------------------------------------------------------- regressions

def test_grad_x_is_zero_when_the_layer_has_no_outputs():
    """A sum of no terms: cpp once returned grad_x uninitialized here (n_out == 0)."""
    be = mlbasics.get_backend("cpp")
    x = np.ones((4, 3))
    for _ in range(20):  # grad_x comes from np.empty_like: make its old content non-zero
        be.linear_backward(x, np.ones((3, 0)), None, None, np.ones((4, 0)), "identity")
        np.full((4, 3), 123.0)
    grad_x, _, _ = be.linear_backward(x, np.ones((3, 0)), None, None, np.ones((4, 0)), "identity")
    assert np.array_equal(grad_x, np.zeros((4, 3)))


# --------------------------------------------------------------------------- the extension itself
# mlbasics._core is reached only through the contract, but "no input reaches C++ unchecked" is also
# the bindings' own promise: called directly with mutated arguments (wrong shapes, dtypes, ndim,
# layouts, read-only outputs, outputs overlapping inputs, None, labels out of range, bad codes) it
# must raise TypeError/ValueError or compute — never crash, and never write outside its outputs
# (every array sits between guard zones that are checked afterwards).

GUARD = 16


def _guarded(v, registry):
    flat = np.full(v.size + 2 * GUARD, np.nan if v.dtype.kind == "f" else 0, dtype=v.dtype)
    a = flat[GUARD:GUARD + v.size].reshape(v.shape)
    a[...] = v
    registry.append(flat)
    return a


def _core_call(kernel, n, p, q, dtype, rng, registry):
    """Valid raw arguments of `kernel` and the positions it writes."""
    def f(*shape, lo=-1.0, hi=1.0):
        return _guarded(rng.uniform(lo, hi, shape).astype(dtype), registry)

    labels = _guarded(rng.integers(0, max(q, 1), n).astype(np.int64), registry)
    mask = _guarded(rng.integers(0, 2, (n, p)).astype(np.uint8), registry)
    table = {
        "matmul": ([f(n, p), f(p, q), False, False, f(n, q)], [4]),
        "gram": ([f(n, p), f(p, p), f(n, lo=0.0), f(p)], [1]),
        "linear_forward": ([f(n, p), f(p, q), f(q), 2, f(n, q), f(n, q)], [4, 5]),
        "linear_backward": ([f(n, p), f(p, q), f(n, q), f(n, q), f(n, q), 3, f(n, p), f(p, q), f(q)], [6, 7, 8]),
        "softmax_cross_entropy": ([f(n, q), labels, f(n, q)], [2]),
        "binary_cross_entropy_with_logits": ([f(n), f(n, lo=0.0), f(n)], [2]),
        "mse": ([f(n), f(n), f(n)], [2]),
        "sgd_step": ([f(n), f(n), f(n), 0.1, 0.9, 0.0, 0.01, True, False], [0, 2]),
        "adam_step": ([f(n), f(n), f(n), f(n, lo=0.0), 3, 1e-3, 0.9, 0.999, 1e-8, 0.0, True], [0, 2, 3]),
        "rmsprop_step": ([f(n), f(n), f(n, lo=1.0, hi=2.0), f(n), f(n, lo=-0.1, hi=0.1), 1e-2, 0.9, 1e-8, 0.0,
                          0.9, True], [0, 2, 3, 4]),
        "adagrad_step": ([f(n), f(n), f(n, lo=0.0), 2, 0.1, 0.0, 0.0, 1e-10], [0, 2]),
        "adadelta_step": ([f(n), f(n), f(n, lo=0.0), f(n, lo=0.0), 1.0, 0.9, 1e-6, 0.0], [0, 2, 3]),
        "rprop_step": ([f(n), f(n), f(n), f(n, lo=0.01, hi=0.1), 0.5, 1.2, 1e-6, 50.0], [0, 2, 3]),
        "pairwise_sq_distances": ([f(n, p), f(q, p), False, f(n, q)], [3]),
        "kmeans_step": ([f(n, p), f(q, p), f(n, lo=0.0), _guarded(np.zeros(n, np.int64), registry), f(n), f(q, p), f(q)],
                        [3, 4, 5, 6]),
        "nearest_neighbors": ([f(n, p), f(q, p), False, f(n, min(q, 2)),
                               _guarded(np.zeros((n, min(q, 2)), np.int64), registry)], [3, 4]),
        # norms (raw signatures of the contract's docstrings; groups = 1 divides every p)
        "dropout_forward": ([f(n, p), 0.25, 2**64 - 1, 12345, 7, f(n, p), mask], [5, 6]),
        "dropout_backward": ([f(n, p), mask, 0.25, f(n, p)], [3]),
        "batch_norm_forward": ([f(n, p), f(p), f(p), f(p), f(p, lo=0.5, hi=2.0), True, 0.1, 1e-5,
                                f(n, p), f(p), f(p)], [3, 4, 8, 9, 10]),
        "batch_norm_backward": ([f(n, p), f(n, p), f(p), f(p), f(p, lo=0.5, hi=2.0), f(n, p), f(p), f(p)], [5, 6, 7]),
        "group_norm_forward": ([f(n, p), f(p), f(p), 1, 1e-5, f(n, p), f(n, 1), f(n, 1)], [5, 6, 7]),
        "group_norm_backward": ([f(n, p), f(n, p), f(p), f(n, 1), f(n, 1, lo=0.5, hi=2.0), 1, f(n, p), f(p), f(p)],
                                [6, 7, 8]),
    }
    return table[kernel]


MUTATIONS = ("shape", "ndim", "dtype", "noncontig", "readonly", "alias", "overlap", "none", "list",
             "labels", "code")


def _mutate(args, written, how, rng, registry):
    arrays = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    i = arrays[rng.integers(len(arrays))]
    a = args[i]
    if how == "shape" and a.ndim:
        shape = list(a.shape)
        shape[rng.integers(a.ndim)] += int(rng.choice([-1, 1])) if min(shape) > 0 else 1
        args[i] = _guarded(np.zeros(shape, a.dtype), registry)
    elif how == "ndim":
        args[i] = a[..., None] if rng.random() < 0.5 or a.ndim < 2 else a.reshape(-1)
    elif how == "dtype":
        args[i] = _guarded(a.astype(rng.choice([np.float32, np.float64, np.int64, np.float16])), registry)
    elif how == "noncontig" and a.size:
        big = _guarded(np.zeros(tuple(2 * s for s in a.shape), a.dtype), registry)
        args[i] = big[tuple(slice(None, None, 2) for _ in a.shape)]
    elif how == "readonly":
        a.flags.writeable = False
    elif how == "alias":
        args[written[rng.integers(len(written))]] = a
    elif how == "overlap":  # an output shifted by one element over another array's memory
        j = written[rng.integers(len(written))]
        out = args[j]
        if isinstance(out, np.ndarray) and out.size and a.size and out.dtype == a.dtype:
            base = a.base if a.base is not None and a.base.ndim == 1 else None
            shift = 1 if a.size > out.size else 0  # the window stays inside a's own memory
            if base is not None and a.size >= out.size:
                args[j] = base[GUARD + shift:GUARD + shift + out.size].reshape(out.shape)
    elif how == "none":
        args[i] = None
    elif how == "list":
        args[i] = a.tolist()
    elif how == "labels" and a.dtype == np.int64 and a.size:
        a.flat[rng.integers(a.size)] = int(rng.choice([-1, 10**6, np.iinfo(np.int64).min]))  # 2-D too
    elif how == "code":
        for k, v in enumerate(args):
            if isinstance(v, int) and not isinstance(v, bool):
                args[k] = int(rng.choice([-1, 4, 2**31 - 1, 0]))
    return args


@_settings(500)
@given(kernel=st.sampled_from(KERNEL_NAMES := (
    "matmul", "gram", "linear_forward", "linear_backward", "softmax_cross_entropy",
    "binary_cross_entropy_with_logits", "mse", "sgd_step", "adam_step", "rmsprop_step", "adagrad_step",
    "adadelta_step", "rprop_step") + DISTANCE_KERNELS + NORM_KERNELS),
    n=st.sampled_from((0, 1, 2, 5, 13, 70)), p=st.sampled_from((0, 1, 3, 8, 40)), q=st.sampled_from((0, 1, 2, 9)),
    dtype=st.sampled_from(FLOATS), mutations=st.lists(st.sampled_from(MUTATIONS), max_size=2),
    seed=st.integers(0, 2**32 - 1))
def test_core_extension_never_crashes_nor_writes_out_of_bounds(kernel, n, p, q, dtype, mutations, seed):
    from mlbasics import _core

    rng = np.random.default_rng(seed)
    registry = []
    args, written = _core_call(kernel, n, p, q, dtype, rng, registry)
    for how in mutations:
        args = _mutate(args, written, how, rng, registry)
    try:
        getattr(_core, kernel)(*args)
        raised = None
    except (TypeError, ValueError) as e:
        raised = e
    for flat in registry:
        guards = np.concatenate([flat[:GUARD], flat[-GUARD:]])
        assert np.all(np.isnan(guards) if flat.dtype.kind == "f" else guards == 0), \
            f"_core.{kernel} wrote outside its arrays (mutations {mutations})"
    if raised is None:
        # A call that computed wrote no output overlapping another argument.
        outs = [args[j] for j in written if isinstance(args[j], np.ndarray)]
        others = [a for k, a in enumerate(args) if isinstance(a, np.ndarray)]
        for o in outs:
            assert o.flags.writeable and o.flags.c_contiguous
            assert sum(np.shares_memory(o, a) for a in others if o.size and a.size) <= 1, \
                f"_core.{kernel} accepted an output overlapping another argument (mutations {mutations})"
