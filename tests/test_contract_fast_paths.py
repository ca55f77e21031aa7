"""The contract's fast paths (common, valid calls) agree exactly with its full path.

A view never owns its data, so passing views of the same values sends a call down the full path;
both must give bitwise the same result, and overlap that the fast path cannot see must still be
caught by the full path.
"""
import numpy as np
import pytest

import mlbasics


def _view(a):
    return a[...]  # same memory and values, flags.owndata False: the full path


def _both(make, call):
    """Run `call` on fresh owning arrays (fast path) and on views of fresh arrays (full path)."""
    owned = make()
    views = [_view(a) if isinstance(a, np.ndarray) else a for a in make()]
    r1, r2 = call(*owned), call(*views)
    return owned, views, r1, r2


def _assert_same(x, y):
    if isinstance(x, tuple):
        for a, b in zip(x, y):
            _assert_same(a, b)
    elif x is not None:
        assert type(x) is type(y) and np.asarray(x).dtype == np.asarray(y).dtype
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("trans", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_fast_and_full_paths_agree(backend, dtype, rng, trans):
    ta, tb = trans
    a0 = rng.standard_normal((7, 5) if ta else (5, 7)).astype(dtype)
    b0 = rng.standard_normal((3, 7) if tb else (7, 3)).astype(dtype)
    _, _, r1, r2 = _both(lambda: [a0.copy(), b0.copy()], lambda a, b: backend.matmul(a, b, ta, tb))
    _assert_same(r1, r2)
    out1, out2 = np.empty((5, 3), dtype), _view(np.empty((5, 3), dtype))
    assert backend.matmul(a0.copy(), b0.copy(), ta, tb, out=out1) is out1
    assert backend.matmul(a0, b0, ta, tb, out=out2) is out2
    _assert_same(out1, r1)
    _assert_same(out2, r1)


def test_matmul_out_aliasing_an_input_still_works(backend, dtype, rng):
    a = rng.standard_normal((4, 4)).astype(dtype)
    expected = backend.matmul(a.copy(), a.copy())
    assert backend.matmul(a, a.copy(), out=a) is a  # out is a itself: the full path's temporary
    _assert_same(a, expected)


@pytest.mark.parametrize("activation", ["identity", "relu", "sigmoid", "tanh"])
def test_linear_forward_fast_and_full_paths_agree(backend, dtype, rng, activation):
    arrays = [rng.standard_normal(s).astype(dtype) for s in ((6, 4), (4, 3), (3,))]
    _, _, r1, r2 = _both(lambda: [a.copy() for a in arrays],
                         lambda x, w, b: backend.linear_forward(x, w, b, activation))
    _assert_same(r1, r2)


def test_softmax_cross_entropy_fast_and_full_paths_agree(backend, dtype, rng):
    logits = rng.standard_normal((6, 4)).astype(dtype)
    y = rng.integers(0, 4, 6)
    _, _, r1, r2 = _both(lambda: [logits.copy(), y.copy()], backend.softmax_cross_entropy)
    _assert_same(r1, r2)
    for bad in (np.array([0, 1, 2, 3, 4, 0]), np.array([0, 1, -1, 3, 0, 0])):  # out of range, either end
        with pytest.raises(ValueError, match=r"y: labels must be in \[0, 4\)"):
            backend.softmax_cross_entropy(logits, bad)


@pytest.mark.parametrize("hyper", [dict(lr=0.1), dict(lr=0.1, momentum=0.9, weight_decay=0.01),
                                   dict(lr=0.1, momentum=0.9, nesterov=True),
                                   dict(lr=0.1, momentum=0.5, dampening=0.5)])
@pytest.mark.parametrize("first_step", [False, True])
def test_sgd_step_fast_and_full_paths_agree(backend, dtype, rng, hyper, first_step):
    arrays = [rng.standard_normal((4, 3)).astype(dtype) for _ in range(3)]
    owned, views, _, _ = _both(lambda: [a.copy() for a in arrays],
                               lambda p, g, b: backend.sgd_step(p, g, b, first_step=first_step, **hyper))
    _assert_same(tuple(owned), tuple(views))


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_step_fast_and_full_paths_agree(backend, dtype, rng, decoupled):
    arrays = [rng.standard_normal(7).astype(dtype) for _ in range(2)] + [np.zeros(7, dtype), np.ones(7, dtype)]
    owned, views, _, _ = _both(lambda: [a.copy() for a in arrays],
                               lambda p, g, m, v: backend.adam_step(p, g, m, v, step=3, lr=0.01, weight_decay=0.1,
                                                                    decoupled_weight_decay=decoupled))
    _assert_same(tuple(owned), tuple(views))


def test_state_that_is_a_view_of_param_is_still_rejected(backend):
    p = np.ones(4)
    with pytest.raises(ValueError, match="must not share memory"):
        backend.sgd_step(p, np.ones(4), p[...], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="must not share memory"):
        backend.adam_step(p, np.ones(4), np.zeros(4), p[...], step=1, lr=0.1)
    with pytest.raises(ValueError, match="must not share memory"):
        backend.adam_step(p, p[...], np.zeros(4), np.zeros(4), step=1, lr=0.1)


def test_auto_follows_the_environment_variable_after_caching(monkeypatch):
    monkeypatch.delenv("MLBASICS_BACKEND", raising=False)
    assert mlbasics.get_backend("auto").name == "cpp"
    for name in ("numpy", "numba", "cpp"):
        monkeypatch.setenv("MLBASICS_BACKEND", name)
        assert mlbasics.get_backend("auto").name == name
        assert mlbasics.get_backend().name == name
    monkeypatch.setenv("MLBASICS_BACKEND", "fortran")
    with pytest.raises(ValueError, match="MLBASICS_BACKEND"):
        mlbasics.get_backend("auto")
    monkeypatch.delenv("MLBASICS_BACKEND")
    assert mlbasics.get_backend("auto").name == "cpp"


def test_common_calls_take_the_fast_path(backend, dtype, monkeypatch):
    """Performance guard: the calls the fast paths are for never reach the full path's checks."""
    from mlbasics.backends import _checks

    def full_path(*args, **kwargs):
        raise AssertionError("full path taken")

    for name in ("float_array", "real_number", "positive_int", "flag", "inplace_array", "int_labels"):
        monkeypatch.setattr(_checks, name, full_path)
    a = np.ones((3, 3), dtype)
    backend.matmul(a, a)
    backend.matmul(a, a, True, False, out=np.empty((3, 3), dtype))
    backend.linear_forward(a, a, np.ones(3, dtype), "tanh")
    backend.softmax_cross_entropy(a, np.array([0, 1, 2]))
    p, g, m, v = (np.ones(5, dtype) for _ in range(4))
    backend.sgd_step(p, g, m, lr=0.1, momentum=0.9, weight_decay=1e-4)
    backend.sgd_step(p, g, None, lr=0.1)
    backend.adam_step(p, g, m, v, step=1, lr=1e-3)


class _Sub(np.ndarray):
    pass


def _unaligned(shape, dtype):
    buf = np.zeros(int(np.prod(shape)) * np.dtype(dtype).itemsize + 1, np.uint8)
    return np.frombuffer(buf.data, dtype, int(np.prod(shape)), offset=1).reshape(shape)


def _read_only(shape, dtype):
    out = np.full(shape, 7, dtype)
    out.setflags(write=False)
    return out


def _declined_calls(dtype, rng):
    """(label, a, b, trans_a, trans_b, out) for calls the C++ fast path must leave to the full path."""
    a, b = rng.standard_normal((4, 5)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    out = np.full((4, 3), 7, dtype)
    other = np.float32 if dtype == np.float64 else np.float64
    return [
        ("a a list", a.tolist(), b, False, False, out),
        ("b a list", a, b.tolist(), False, False, out),
        ("a int64", a.astype(np.int64), b, False, False, out),
        ("a float16", a.astype(np.float16), b, False, False, out),
        ("b the other dtype", a, b.astype(other), False, False, out),
        ("a byte-swapped", a.astype(np.dtype(dtype).newbyteorder()), b, False, False, out),
        ("a 1-D", a[0], b, False, False, out),
        ("b 3-D", a, b[None], False, False, out),
        ("a a subclass", a.view(_Sub), b, False, False, out),
        ("a unaligned", _unaligned((4, 5), dtype), b, False, False, out),
        ("inner sizes differ", a, b[:4], False, False, out),
        ("trans_a an int", a, b, 0, False, out),
        ("trans_b a numpy bool", a, b, False, np.False_, out),
        ("out the other dtype", a, b, False, False, out.astype(other)),
        ("out the wrong shape", a, b, False, False, np.full((3, 4), 7, dtype)),
        ("out Fortran-ordered", a, b, False, False, np.asfortranarray(out)),
        ("out read-only", a, b, False, False, _read_only((4, 3), dtype)),
        ("out a subclass", a, b, False, False, out.view(_Sub)),
        ("out a list", a, b, False, False, out.tolist()),
    ]


def test_cpp_matmul_fast_declines_what_it_does_not_recognize(dtype, rng):
    """The C++ fast path returns None, having written nothing, for any call but the plain one; the
    contract then takes its full path, which converts, raises or uses a temporary."""
    from mlbasics import _core

    for label, a, b, ta, tb, out in _declined_calls(dtype, rng):
        before = np.array(out, copy=True) if isinstance(out, np.ndarray) else None
        assert _core.matmul_fast(a, b, ta, tb, out) is None, label
        if before is not None:
            np.testing.assert_array_equal(out, before, err_msg=label)


@pytest.mark.parametrize("layout", ["C", "transposed", "stepped", "reversed", "row block of a bigger array"])
def test_cpp_matmul_fast_computes_the_plain_call(dtype, rng, layout):
    """Plain calls, any strides of a and b: the product (bitwise the raw kernel's) in out, or in an
    array it allocates when out is None."""
    from mlbasics import _core

    base_a = rng.standard_normal((12, 14)).astype(dtype)
    base_b = rng.standard_normal((14, 9)).astype(dtype)
    a, b = {"C": (base_a, base_b),
            "transposed": (base_a.T.copy().T, base_b.T.copy().T),
            "stepped": (base_a[::2, ::2], base_b[::2, ::1][:7]),
            "reversed": (base_a[::-1, ::-1], base_b[::-1]),
            "row block of a bigger array": (base_a[3:9], base_b)}[layout]
    expected = np.empty((a.shape[0], b.shape[1]), dtype)
    _core.matmul(a, b, False, False, expected)
    np.testing.assert_allclose(expected, a.astype(np.float64) @ b.astype(np.float64),
                               rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-4 if dtype == np.float32 else 1e-12)
    got = _core.matmul_fast(a, b, False, False, None)
    assert type(got) is np.ndarray and got.dtype == dtype and got.flags.c_contiguous
    np.testing.assert_array_equal(got, expected)
    out = np.full((20, a.shape[0], b.shape[1]), np.nan, dtype)[5]  # a C-contiguous view: accepted
    assert _core.matmul_fast(a, b, False, False, out) is out
    np.testing.assert_array_equal(out, expected)
    gt = _core.matmul_fast(b, a, True, True, None)  # op(b)ᵀ... = (a·b)ᵀ
    np.testing.assert_allclose(gt, expected.T, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-5)


def test_cpp_matmul_fast_declines_an_out_overlapping_an_input(dtype, rng):
    from mlbasics import _core

    a = rng.standard_normal((4, 4)).astype(dtype)
    assert _core.matmul_fast(a, a.copy(), False, False, a) is None
    block = rng.standard_normal((8, 4)).astype(dtype)
    assert _core.matmul_fast(block[:4], a, False, False, block[4:]) is not None  # disjoint halves
    assert _core.matmul_fast(block[2:6], a, False, False, block[4:]) is None  # rows 4, 5 shared


def test_contract_full_path_still_serves_the_cpp_backend(dtype, rng):
    """Calls the C++ fast path declines give the same values through the contract's full path."""
    cpp = mlbasics.get_backend("cpp")
    a, b = rng.standard_normal((6, 5)).astype(dtype), rng.standard_normal((5, 4)).astype(dtype)
    fast = cpp.matmul(a, b)
    np.testing.assert_array_equal(cpp.matmul(a, b, np.False_, False), fast)  # a NumPy bool: the full path
    np.testing.assert_array_equal(cpp.matmul(a.view(_Sub), b), fast)  # a subclass: the full path
    with pytest.raises(ValueError, match="op\\(b\\) has 4 rows"):
        cpp.matmul(a, b[:4])
    with pytest.raises(TypeError, match="trans_a"):
        cpp.matmul(a, b, "yes", False)
