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
