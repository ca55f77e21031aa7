"""Contract tests for the norms family: dropout_forward/backward, batch_norm_forward/backward,
group_norm_forward/backward.

* dropout: the mask is the Philox rule of the contract (checked against the words themselves),
  bit for bit the same on every backend and thread count; the kept fraction is 1 − p within
  binomial error; survivors are scaled by T(1/(1 − p)), dropped elements are exactly 0 (even NaN);
  the backward masks identically; sub-ranges with the matching offset reproduce slices of a call;
  p = 0 gives y == x.
* batch and group normalization against torch.nn.functional and autograd (where torch is
  installed; required under MLBASICS_REQUIRE_TORCH=1), against float64 finite differences (the
  reference's gradients, no torch needed), and every backend against the NumPy reference at sizes
  that cross the parallel thresholds.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlbasics
from _helpers import assert_close, require_torch, tolerance
from mlbasics.backends.numpy._philox import keep_threshold, words


def _settings(n=40):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def torch():
    return require_torch()


def _bits(a):
    """The bytes of an array, to compare float results bit for bit (−0 and NaN payloads included)."""
    a = np.ascontiguousarray(a)
    return a.view({1: np.uint8, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


SHAPES = [(2, 1), (5, 7), (1, 33), (64, 256), (300, 300), (4100, 3), (3, 5000)]  # 300², 4100×3, 3×5000: parallel


# --------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.9, 1 - 2**-24])
@pytest.mark.parametrize("seed, offset, stream", [(0, 0, 0), (12345, 17, 3), (2**64 - 1, 2**64 - 5, 2**63 + 1)])
def test_dropout_mask_is_the_philox_rule(backend, dtype, p, seed, offset, stream):
    """mask_e = [(word(offset + e) >> 8) >= ⌈p·2²⁴⌉]; y = x·T(1/(1−p)) where kept, exactly 0 elsewhere.
    The last offset wraps around 2**64 inside the array."""
    x = (np.arange(1.0, 1 + 7 * 11) * np.where(np.arange(77) % 2, 1, -1)).reshape(7, 11).astype(dtype)
    y, mask = backend.dropout_forward(x, p, seed=seed, offset=offset, stream=stream)
    w = words(x.size, seed=seed, offset=offset, stream=stream).reshape(x.shape)
    expected = ((w >> 8) >= keep_threshold(p)).astype(np.uint8)
    assert mask.dtype == np.uint8 and mask.shape == x.shape
    np.testing.assert_array_equal(mask, expected)
    s = dtype.type(1.0 / (1.0 - p))
    assert y.dtype == dtype
    np.testing.assert_array_equal(_bits(y), _bits(np.where(expected == 1, x * s, dtype.type(0))))
    assert not np.signbit(y[mask == 0]).any(), "a dropped element must be +0"


def test_dropout_threshold_boundary(backend, dtype):
    """An element whose top 24 bits equal ⌈p·2²⁴⌉ is kept (>=), one step above it is dropped:
    p is chosen from the element's own word so that the comparison is decided at equality."""
    x = np.ones((3, 5), dtype)
    w = words(x.size, seed=77, offset=1000, stream=4)
    for e in (0, 6, 14):
        top = int(w[e] >> 8)
        if top == 0:
            continue
        at = top / 2**24  # exact: keep_threshold(at) == top
        assert keep_threshold(at) == top
        _, mask = backend.dropout_forward(x, at, seed=77, offset=1000, stream=4)
        assert mask.flat[e] == 1, f"element {e}: top bits {top} == threshold must be kept"
        _, mask = backend.dropout_forward(x, (top + 1) / 2**24, seed=77, offset=1000, stream=4)
        assert mask.flat[e] == 0, f"element {e}: top bits {top} < threshold {top + 1} must be dropped"
        _, mask = backend.dropout_forward(x, np.nextafter(at, 0.0), seed=77, offset=1000, stream=4)
        assert mask.flat[e] == 1  # p just below: the same threshold (ceil)


def test_keep_threshold_is_exact():
    assert keep_threshold(0.0) == 0
    assert keep_threshold(0.5) == 2**23
    assert keep_threshold(2**-24) == 1
    assert keep_threshold(2**-25) == 1  # ceil: any p > 0 drops something
    assert keep_threshold(1 - 2**-24) == 2**24 - 1


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_kept_fraction_is_one_minus_p(backend, p):
    x = np.ones((400, 500))
    _, mask = backend.dropout_forward(x, p, seed=2024)
    n = mask.size
    kept = mask.mean()
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(kept - (1 - p)) < 6 * sigma, f"kept {kept}, expected {1 - p} ± {6 * sigma}"
    # and it is not a pattern: rows and columns keep about the same fraction too
    assert np.abs(mask.mean(axis=1) - (1 - p)).max() < 8 * math.sqrt(p * (1 - p) / 500)


def test_dropout_p_zero_is_the_identity(backend, dtype, rng):
    x = rng.standard_normal((37, 19)).astype(dtype)
    x[3, 4], x[5, 6], x[7, 8] = np.nan, np.inf, -np.inf
    y, mask = backend.dropout_forward(x, 0.0, seed=99, offset=5, stream=1)
    assert np.all(mask == 1)
    np.testing.assert_array_equal(_bits(y), _bits(x))
    g = rng.standard_normal(x.shape).astype(dtype)
    np.testing.assert_array_equal(_bits(backend.dropout_backward(g, mask, 0.0)), _bits(g))


@pytest.mark.parametrize("shape", SHAPES)
def test_dropout_is_the_reference_bit_for_bit(backend, reference, dtype, rng, shape):
    x = rng.standard_normal(shape).astype(dtype)
    for p, seed, offset, stream in [(0.3, 1, 0, 0), (0.5, 2**40 + 3, 2**64 - 7, 9), (0.05, 77, 123456789, 2**64 - 1)]:
        y, mask = backend.dropout_forward(x, p, seed=seed, offset=offset, stream=stream)
        yr, mr = reference.dropout_forward(x, p, seed=seed, offset=offset, stream=stream)
        np.testing.assert_array_equal(mask, mr)
        np.testing.assert_array_equal(_bits(y), _bits(yr))
        g = rng.standard_normal(shape).astype(dtype)
        np.testing.assert_array_equal(_bits(backend.dropout_backward(g, mask, p)),
                                      _bits(reference.dropout_backward(g, mr, p)))


def test_dropout_is_independent_of_the_thread_count(backend, restore_threads, dtype, rng):
    x = rng.standard_normal((700, 300)).astype(dtype)
    mlbasics.set_num_threads(1)
    one = backend.dropout_forward(x, 0.4, seed=5, offset=3, stream=2)
    g1 = backend.dropout_backward(x, one[1], 0.4)
    mlbasics.set_num_threads(2)
    two = backend.dropout_forward(x, 0.4, seed=5, offset=3, stream=2)
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(_bits(one[0]), _bits(two[0]))
    np.testing.assert_array_equal(_bits(g1), _bits(backend.dropout_backward(x, two[1], 0.4)))


def test_dropout_sub_ranges_follow_the_offset(backend, rng):
    """Slices of one call are reproduced by calls on the slices with offset + their first index:
    flat pieces of a (1, N) row, and row blocks of an (n, m) array (offset + i0·m)."""
    n, m, offset = 53, 29, 2**64 - 300  # the word numbers wrap inside the array
    x = rng.standard_normal((n, m))
    y, mask = backend.dropout_forward(x, 0.35, seed=314, offset=offset, stream=7)
    flat_x, flat_m = x.reshape(1, -1), mask.reshape(-1)
    cuts = sorted(set([0, n * m] + rng.integers(0, n * m, 6).tolist()))
    for a, b in zip(cuts[:-1], cuts[1:]):
        part = backend.dropout_forward(flat_x[:, a:b], 0.35, seed=314, offset=(offset + a) % 2**64, stream=7)
        np.testing.assert_array_equal(part[1].reshape(-1), flat_m[a:b])
    for i0, i1 in [(0, 1), (1, 17), (17, 53)]:
        part = backend.dropout_forward(x[i0:i1], 0.35, seed=314, offset=(offset + i0 * m) % 2**64, stream=7)
        np.testing.assert_array_equal(part[1], mask[i0:i1])
        np.testing.assert_array_equal(part[0], y[i0:i1])


def test_dropout_seed_stream_and_offset_each_change_the_mask(backend):
    x = np.ones((64, 64))
    base = backend.dropout_forward(x, 0.5, seed=1, offset=0, stream=0)[1]
    for kw in (dict(seed=2, offset=0, stream=0), dict(seed=1, offset=1, stream=0), dict(seed=1, offset=0, stream=1),
               dict(seed=1 + 2**32, offset=0, stream=0), dict(seed=1, offset=0, stream=2**32)):
        other = backend.dropout_forward(x, 0.5, **kw)[1]
        assert 0.3 < np.mean(other != base) < 0.7, kw  # about half of the decisions differ: independent
    again = backend.dropout_forward(x, 0.5, seed=1, offset=0, stream=0)[1]
    np.testing.assert_array_equal(base, again)


def test_dropout_backward_masks_identically(backend, dtype, rng):
    x = rng.standard_normal((40, 30)).astype(dtype)
    p = 0.25
    y, mask = backend.dropout_forward(x, p, seed=8)
    g = rng.standard_normal(x.shape).astype(dtype)
    g.flat[np.flatnonzero(mask == 0)[:5]] = np.nan  # a NaN gradient of a dropped unit stays out
    g.flat[np.flatnonzero(mask == 0)[5:10]] = np.inf
    gx = backend.dropout_backward(g, mask, p)
    s = dtype.type(1.0 / (1.0 - p))
    assert gx.dtype == dtype
    np.testing.assert_array_equal(gx[mask == 1], g[mask == 1] * s)
    assert np.all(gx[mask == 0] == 0)
    # the backward of y = mask·s·x is the same linear map
    np.testing.assert_array_equal(backend.dropout_backward(x, mask, p), y)
    # a bool mask is the same mask
    np.testing.assert_array_equal(backend.dropout_backward(g, mask.astype(bool), p), gx)


def test_dropout_drops_non_finite_inputs_to_exactly_zero(backend, dtype):
    x = np.full((8, 8), np.nan, dtype)
    x[::2] = np.inf
    y, mask = backend.dropout_forward(x, 0.5, seed=3)
    assert 0 < mask.sum() < mask.size
    assert np.all(y[mask == 0] == 0)
    np.testing.assert_array_equal(y[mask == 1], x[mask == 1])  # NaN·s, inf·s


def test_dropout_of_an_empty_array(backend, dtype):
    for shape in [(0, 3), (4, 0)]:
        y, mask = backend.dropout_forward(np.ones(shape, dtype), 0.5, seed=1)
        assert y.shape == mask.shape == shape and y.dtype == dtype
        assert backend.dropout_backward(np.ones(shape, dtype), mask, 0.5).shape == shape


def test_dropout_accepts_views_and_integer_scalars(backend, rng):
    x = rng.standard_normal((10, 12))
    y, mask = backend.dropout_forward(x, 0.5, seed=4, offset=2)
    yv, mv = backend.dropout_forward(np.asfortranarray(x), np.float64(0.5), seed=np.uint64(4), offset=np.int64(2))
    np.testing.assert_array_equal(mask, mv)
    np.testing.assert_array_equal(y, yv)
    np.testing.assert_array_equal(backend.dropout_backward(x[:, ::-1][:, ::-1], mask[::1], 0.5),
                                  backend.dropout_backward(x, mask, 0.5))


# --------------------------------------------------------------------------- batch norm: the math

def _bn_expected(x, gamma, beta, eps):
    x64 = x.astype(np.float64)
    mu = x64.mean(axis=0)
    var = x64.var(axis=0)
    inv = 1 / np.sqrt(var + eps)
    return (x64 - mu) * inv * gamma + beta, mu, var, inv


BN_ROWS = [s for s in SHAPES if s[0] >= 2]  # training needs two rows


@pytest.mark.parametrize("shape", BN_ROWS)
def test_batch_norm_forward_math(backend, dtype, rng, shape):
    x = (3 * rng.standard_normal(shape) + 1).astype(dtype)
    gamma, beta = rng.standard_normal(shape[1]).astype(dtype), rng.standard_normal(shape[1]).astype(dtype)
    rm, rv = rng.standard_normal(shape[1]).astype(dtype), rng.uniform(0.5, 2, shape[1]).astype(dtype)
    rm0, rv0 = rm.astype(np.float64), rv.astype(np.float64)
    y, mean, invstd = backend.batch_norm_forward(x, gamma, beta, rm, rv, momentum=0.2, eps=1e-3)
    ey, mu, var, inv = _bn_expected(x, gamma, beta, 1e-3)
    n = shape[0]
    assert_close(y, ey.astype(dtype), dtype)
    assert_close(mean, mu.astype(dtype), dtype)
    assert_close(invstd, inv.astype(dtype), dtype)
    assert_close(rm, (0.8 * rm0 + 0.2 * mu).astype(dtype), dtype)
    assert_close(rv, (0.8 * rv0 + 0.2 * var * n / (n - 1)).astype(dtype), dtype)
    # eval mode with the updated running statistics: they are read, not written
    rm1, rv1 = rm.copy(), rv.copy()
    ye, me, ie = backend.batch_norm_forward(x, gamma, beta, rm, rv, training=False, eps=1e-3)
    np.testing.assert_array_equal(rm, rm1)
    np.testing.assert_array_equal(rv, rv1)
    np.testing.assert_array_equal(me, rm)
    assert not np.shares_memory(me, rm)
    inv_e = 1 / np.sqrt(rv.astype(np.float64) + 1e-3)
    assert_close(ie, inv_e.astype(dtype), dtype)
    assert_close(ye, ((x - rm.astype(np.float64)) * inv_e * gamma + beta).astype(dtype), dtype)


def test_batch_norm_without_running_arrays_and_momentum_extremes(backend, dtype, rng):
    x = rng.standard_normal((9, 4)).astype(dtype)
    g, b = np.ones(4, dtype), np.zeros(4, dtype)
    y, mean, invstd = backend.batch_norm_forward(x, g, b)
    y2, mean2, invstd2 = backend.batch_norm_forward(x, g, b, np.zeros(4, dtype), np.ones(4, dtype))
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(mean, mean2)
    rm, rv = rng.standard_normal(4).astype(dtype), rng.uniform(1, 2, 4).astype(dtype)
    rm0, rv0 = rm.copy(), rv.copy()
    backend.batch_norm_forward(x, g, b, rm, rv, momentum=0.0)
    np.testing.assert_array_equal(rm, rm0)  # momentum 0: the running statistics stay
    np.testing.assert_array_equal(rv, rv0)
    backend.batch_norm_forward(x, g, b, rm, rv, momentum=1.0)
    assert_close(rm, mean, dtype)  # momentum 1: the batch's statistics (variance unbiased)
    assert_close(rv, x.astype(np.float64).var(axis=0, ddof=1).astype(dtype), dtype)


def test_batch_norm_eval_accepts_any_number_of_rows_and_read_only_statistics(backend, dtype):
    rm, rv = np.array([1.0, 2.0], dtype), np.array([4.0, 0.25], dtype)
    rm.flags.writeable = rv.flags.writeable = False
    for n in (0, 1, 3):
        x = np.full((n, 2), 3.0, dtype)
        y, mean, invstd = backend.batch_norm_forward(x, np.ones(2, dtype), np.zeros(2, dtype), rm, rv,
                                                     training=False, eps=0.0)
        np.testing.assert_array_equal(y, np.tile(np.array([1.0, 2.0], dtype), (n, 1)))
        np.testing.assert_array_equal(invstd, np.array([0.5, 2.0], dtype))


def test_batch_norm_statistics_are_accumulated_in_float64(backend):
    """float32 data with a large offset: a float32 running sum would lose the small spread."""
    rng = np.random.default_rng(0)
    x = (1000.0 + rng.standard_normal((20000, 2)) * 1e-2).astype(np.float32)
    _, mean, invstd = backend.batch_norm_forward(x, np.ones(2, np.float32), np.zeros(2, np.float32), eps=0.0)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-7)
    np.testing.assert_allclose(invstd, 1 / x64.std(axis=0), rtol=1e-5)


def _fd_check(f, arrays, grads, rng, h=1e-6, rtol=1e-6):
    """Central differences of the scalar f along a random direction for each named array."""
    for name in arrays:
        d = rng.standard_normal(arrays[name].shape)
        plus = {k: (a + h * d if k == name else a) for k, a in arrays.items()}
        minus = {k: (a - h * d if k == name else a) for k, a in arrays.items()}
        numeric = (f(**plus) - f(**minus)) / (2 * h)
        analytic = float(np.sum(grads[name] * d))
        assert abs(numeric - analytic) <= rtol * (abs(analytic) + np.abs(grads[name]).sum() * 1e-2 + 1e-8), \
            f"d/d{name}: finite differences {numeric}, gradient {analytic}"


def test_batch_norm_backward_is_the_gradient(backend, rng):
    x, gy = rng.standard_normal((11, 6)) * 2 + 1, rng.standard_normal((11, 6))
    gamma, beta = rng.standard_normal(6), rng.standard_normal(6)

    def loss(x, gamma, beta):
        return float(np.sum(gy * backend.batch_norm_forward(x, gamma, beta, eps=1e-3)[0]))

    _, mean, invstd = backend.batch_norm_forward(x, gamma, beta, eps=1e-3)
    gx, gg, gb = backend.batch_norm_backward(gy, x, gamma, mean, invstd)
    _fd_check(loss, dict(x=x, gamma=gamma, beta=beta), dict(x=gx, gamma=gg, beta=gb), rng)


def test_group_norm_backward_is_the_gradient(backend, rng):
    x, gy = rng.standard_normal((5, 12)) * 2 + 1, rng.standard_normal((5, 12))
    gamma, beta = rng.standard_normal(12), rng.standard_normal(12)
    for groups in (1, 3, 12):
        def loss(x, gamma, beta):
            return float(np.sum(gy * backend.group_norm_forward(x, gamma, beta, groups=groups, eps=1e-3)[0]))

        _, mean, invstd = backend.group_norm_forward(x, gamma, beta, groups=groups, eps=1e-3)
        gx, gg, gb = backend.group_norm_backward(gy, x, gamma, mean, invstd, groups=groups)
        _fd_check(loss, dict(x=x, gamma=gamma, beta=beta), dict(x=gx, gamma=gg, beta=gb), rng)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("groups", [1, 2, 3, "m"])
def test_group_norm_forward_math(backend, dtype, rng, shape, groups):
    n, m = shape
    groups = m if groups == "m" else groups
    if m % groups:
        pytest.skip(f"{groups} groups do not divide {m} features")
    x = (2 * rng.standard_normal(shape) - 1).astype(dtype)
    gamma, beta = rng.standard_normal(m).astype(dtype), rng.standard_normal(m).astype(dtype)
    y, mean, invstd = backend.group_norm_forward(x, gamma, beta, groups=groups, eps=1e-4)
    xg = x.astype(np.float64).reshape(n, groups, m // groups)
    mu, var = xg.mean(axis=2), xg.var(axis=2)
    inv = 1 / np.sqrt(var + 1e-4)
    ey = ((xg - mu[:, :, None]) * inv[:, :, None]).reshape(n, m) * gamma + beta
    assert mean.shape == invstd.shape == (n, groups)
    assert_close(y, ey.astype(dtype), dtype)
    assert_close(mean, mu.astype(dtype), dtype)
    assert_close(invstd, inv.astype(dtype), dtype)


# --------------------------------------------------------------------------- every backend vs the reference

@pytest.mark.parametrize("shape", BN_ROWS)
def test_batch_norm_matches_the_reference(backend, reference, dtype, rng, shape):
    m = shape[1]
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    gamma, beta = rng.standard_normal(m).astype(dtype), rng.standard_normal(m).astype(dtype)
    run = [rng.standard_normal(m).astype(dtype), rng.uniform(0.5, 2, m).astype(dtype)]
    mine, ref = [a.copy() for a in run], [a.copy() for a in run]
    got = backend.batch_norm_forward(x, gamma, beta, *mine)
    exp = reference.batch_norm_forward(x, gamma, beta, *ref)
    for name, a, b in zip(("y", "mean", "invstd", "running_mean", "running_var"), got + tuple(mine), exp + tuple(ref)):
        assert a.dtype == dtype, name
        assert_close(a, b, dtype)
    got = backend.batch_norm_forward(x, gamma, beta, *mine, training=False)
    exp = reference.batch_norm_forward(x, gamma, beta, *mine, training=False)
    for a, b in zip(got, exp):
        assert_close(a, b, dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    _, mean, invstd = exp = reference.batch_norm_forward(x, gamma, beta)
    got = backend.batch_norm_backward(gy, x, gamma, mean, invstd)
    exp = reference.batch_norm_backward(gy, x, gamma, mean, invstd)
    for a, b in zip(got, exp):
        assert a.dtype == dtype
        assert_close(a, b, dtype)


@pytest.mark.parametrize("shape", SHAPES)
def test_group_norm_matches_the_reference(backend, reference, dtype, rng, shape):
    n, m = shape
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    gamma, beta = rng.standard_normal(m).astype(dtype), rng.standard_normal(m).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    for groups in sorted({1, m, *(g for g in (2, 3, 4, 8) if m % g == 0)}):
        got = backend.group_norm_forward(x, gamma, beta, groups=groups)
        exp = reference.group_norm_forward(x, gamma, beta, groups=groups)
        for a, b in zip(got, exp):
            assert a.dtype == dtype and a.shape == b.shape
            assert_close(a, b, dtype)
        got = backend.group_norm_backward(gy, x, gamma, exp[1], exp[2], groups=groups)
        exp = reference.group_norm_backward(gy, x, gamma, exp[1], exp[2], groups=groups)
        for a, b in zip(got, exp):
            assert a.dtype == dtype
            assert_close(a, b, dtype)


def test_norms_accept_strided_and_fortran_inputs(backend, dtype, rng):
    """Inputs of any layout (the contract copies them to rows); the results do not change."""
    x = rng.standard_normal((12, 8)).astype(dtype)
    g, b = rng.standard_normal(8).astype(dtype), rng.standard_normal(8).astype(dtype)
    gy = rng.standard_normal((12, 8)).astype(dtype)
    xf, gyf = np.asfortranarray(x), np.asfortranarray(gy)
    gs = np.repeat(g, 2)[::2]
    for f, args, kw in [("batch_norm_forward", (x, g, b), {}),
                        ("group_norm_forward", (x, g, b), dict(groups=4))]:
        for a, e in zip(getattr(backend, f)(xf, gs, b, **kw), getattr(backend, f)(*args, **kw)):
            np.testing.assert_array_equal(a, e)
    _, mean, invstd = backend.batch_norm_forward(x, g, b)
    for a, e in zip(backend.batch_norm_backward(gyf, xf, gs, mean[::1], invstd),
                    backend.batch_norm_backward(gy, x, g, mean, invstd)):
        np.testing.assert_array_equal(a, e)
    _, mean, invstd = backend.group_norm_forward(x, g, b, groups=2)
    for a, e in zip(backend.group_norm_backward(gyf, xf, gs, np.asfortranarray(mean), invstd, groups=2),
                    backend.group_norm_backward(gy, x, g, mean, invstd, groups=2)):
        np.testing.assert_array_equal(a, e)


# --------------------------------------------------------------------------- against torch

BN_SHAPES = [(2, 3), (17, 5), (64, 33), (300, 1)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("momentum, eps", [(0.1, 1e-5), (0.5, 1e-2)])
def test_batch_norm_matches_torch(torch, backend, dtype, rng, shape, momentum, eps):
    F = torch.nn.functional
    n, m = shape
    x = (rng.standard_normal(shape) * 1.5 - 0.7).astype(dtype)
    gamma, beta = rng.standard_normal(m).astype(dtype), rng.standard_normal(m).astype(dtype)
    rm, rv = rng.standard_normal(m).astype(dtype), rng.uniform(0.5, 2, m).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)

    xt = torch.tensor(x, requires_grad=True)
    gt, bt = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    rmt, rvt = torch.tensor(rm), torch.tensor(rv)
    yt = F.batch_norm(xt, rmt, rvt, gt, bt, training=True, momentum=momentum, eps=eps)
    yt.backward(torch.tensor(gy))

    y, mean, invstd = backend.batch_norm_forward(x, gamma, beta, rm, rv, momentum=momentum, eps=eps)
    assert_close(y, yt.detach().numpy(), dtype)
    assert_close(rm, rmt.numpy(), dtype)
    assert_close(rv, rvt.numpy(), dtype)
    assert_close(mean, xt.detach().double().mean(0).numpy().astype(dtype), dtype)
    assert_close(invstd, (1 / torch.sqrt(xt.detach().double().var(0, unbiased=False) + eps)).numpy().astype(dtype),
                 dtype)
    gx, gg, gb = backend.batch_norm_backward(gy, x, gamma, mean, invstd)
    # grad_x is a difference of terms of size invstd·|γ·grad_y|
    assert_close(gx, xt.grad.numpy(), dtype, scale=float(np.abs(invstd).max() * np.abs(gy * gamma).max()))
    assert_close(gg, gt.grad.numpy(), dtype, scale=float(np.abs(gy).sum(axis=0).max()))  # a sum of |gy|·O(1)
    assert_close(gb, bt.grad.numpy(), dtype)

    # eval mode with the updated running statistics
    ye, _, _ = backend.batch_norm_forward(x, gamma, beta, rm, rv, training=False, eps=eps)
    yte = F.batch_norm(torch.tensor(x), rmt, rvt, torch.tensor(gamma), torch.tensor(beta), training=False, eps=eps)
    assert_close(ye, yte.numpy(), dtype)


def test_batch_norm_module_over_several_steps_matches_torch(torch, backend, dtype, rng):
    """torch.nn.BatchNorm1d's running statistics after a few training batches, then eval."""
    m = 6
    bn = torch.nn.BatchNorm1d(m, momentum=0.3, eps=1e-4, dtype=torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(rng.standard_normal(m)))
        bn.bias.copy_(torch.tensor(rng.standard_normal(m)))
    gamma, beta = bn.weight.detach().numpy().copy(), bn.bias.detach().numpy().copy()
    rm, rv = np.zeros(m, dtype), np.ones(m, dtype)
    for n in (5, 2, 40):
        x = (rng.standard_normal((n, m)) * 3 + 2).astype(dtype)
        yt = bn.train()(torch.tensor(x))
        y, _, _ = backend.batch_norm_forward(x, gamma, beta, rm, rv, momentum=0.3, eps=1e-4)
        assert_close(y, yt.detach().numpy(), dtype)
    assert_close(rm, bn.running_mean.numpy(), dtype)
    assert_close(rv, bn.running_var.numpy(), dtype)
    x = rng.standard_normal((7, m)).astype(dtype)
    assert_close(backend.batch_norm_forward(x, gamma, beta, rm, rv, training=False, eps=1e-4)[0],
                 bn.eval()(torch.tensor(x)).detach().numpy(), dtype)


GN_CASES = [((4, 6), 1), ((4, 6), 2), ((4, 6), 3), ((4, 6), 6), ((33, 64), 8), ((1, 10), 5), ((200, 12), 4)]


@pytest.mark.parametrize("shape, groups", GN_CASES)
def test_group_norm_matches_torch(torch, backend, dtype, rng, shape, groups):
    F = torch.nn.functional
    n, m = shape
    eps = 1e-5
    x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
    gamma, beta = rng.standard_normal(m).astype(dtype), rng.standard_normal(m).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    gt, bt = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    yt = F.group_norm(xt, groups, gt, bt, eps)
    yt.backward(torch.tensor(gy))

    y, mean, invstd = backend.group_norm_forward(x, gamma, beta, groups=groups, eps=eps)
    assert_close(y, yt.detach().numpy(), dtype)
    _, mt, rt = torch.ops.aten.native_group_norm(torch.tensor(x, dtype=torch.float64), None, None, n, m, 1, groups,
                                                 eps)
    assert_close(mean, mt.numpy().astype(dtype), dtype)
    assert_close(invstd, rt.numpy().astype(dtype), dtype)
    gx, gg, gb = backend.group_norm_backward(gy, x, gamma, mean, invstd, groups=groups)
    # grad_x is a difference of terms of size invstd·|γ·grad_y| (exactly 0 for groups of 1 feature)
    assert_close(gx, xt.grad.numpy(), dtype, scale=float(np.abs(invstd).max() * np.abs(gy * gamma).max()))
    assert_close(gg, gt.grad.numpy(), dtype, scale=float(np.abs(gy).sum(axis=0).max()))  # a sum of |gy|·O(1)
    assert_close(gb, bt.grad.numpy(), dtype)


@pytest.mark.parametrize("shape", [(3, 8), (50, 31)])
def test_one_group_is_layer_norm(torch, backend, dtype, rng, shape):
    F = torch.nn.functional
    m = shape[1]
    x = rng.standard_normal(shape).astype(dtype)
    gamma, beta = rng.standard_normal(m).astype(dtype), rng.standard_normal(m).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    gt, bt = torch.tensor(gamma, requires_grad=True), torch.tensor(beta, requires_grad=True)
    yt = F.layer_norm(xt, (m,), gt, bt, 1e-5)
    yt.backward(torch.tensor(gy))
    y, mean, invstd = backend.group_norm_forward(x, gamma, beta, groups=1)
    assert_close(y, yt.detach().numpy(), dtype)
    scale = float(np.abs(invstd).max() * np.abs(gy * gamma).max())
    for a, e in zip(backend.group_norm_backward(gy, x, gamma, mean, invstd, groups=1), (xt.grad, gt.grad, bt.grad)):
        assert_close(a, e.numpy(), dtype, scale=scale if e is xt.grad else None)


@pytest.mark.parametrize("p", [0.0, 0.3])
def test_dropout_gradient_matches_autograd_of_its_mask(torch, backend, dtype, rng, p):
    """torch's dropout draws its own mask; with ours applied as torch does (x·mask/(1−p)), autograd
    gives our backward."""
    x = rng.standard_normal((9, 13)).astype(dtype)
    gy = rng.standard_normal(x.shape).astype(dtype)
    y, mask = backend.dropout_forward(x, p, seed=11)
    xt = torch.tensor(x, requires_grad=True)
    yt = xt * torch.tensor(mask.astype(dtype)) * torch.tensor(dtype.type(1.0 / (1.0 - p)))
    yt.backward(torch.tensor(gy))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_array_equal(backend.dropout_backward(gy, mask, p), xt.grad.numpy())


# --------------------------------------------------------------------------- properties

@_settings(60)
@given(data=st.data())
def test_norms_properties(backend, dtype, data):
    """Random shapes, groups, hyper-parameters and seeds: every backend agrees with the reference
    (dropout bit for bit), and the normalized output has mean β and standard deviation |γ|·σ/√(σ²+ε)
    per column (batch) or group (group norm)."""
    ref = mlbasics.get_backend("numpy")
    n, k, groups = data.draw(st.integers(2, 40)), data.draw(st.integers(1, 9)), data.draw(st.integers(1, 5))
    m = k * groups
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = (rng.standard_normal((n, m)) * data.draw(st.sampled_from((0.1, 1.0, 30.0)))
         + data.draw(st.floats(-5, 5))).astype(dtype)
    eps = data.draw(st.sampled_from((1e-5, 1e-3, 0.5)))
    p = data.draw(st.floats(0, 0.99))
    seed, offset, stream = (data.draw(st.integers(0, 2**64 - 1)) for _ in range(3))

    y, mask = backend.dropout_forward(x, p, seed=seed, offset=offset, stream=stream)
    yr, mr = ref.dropout_forward(x, p, seed=seed, offset=offset, stream=stream)
    np.testing.assert_array_equal(mask, mr)
    np.testing.assert_array_equal(_bits(y), _bits(yr))

    ones, zeros = np.ones(m, dtype), np.zeros(m, dtype)
    yb, mean, invstd = backend.batch_norm_forward(x, ones, zeros, eps=eps)
    for a, b in zip((yb, mean, invstd), ref.batch_norm_forward(x, ones, zeros, eps=eps)):
        assert_close(a, b, dtype)
    var = x.astype(np.float64).var(axis=0)
    tol = 50 * tolerance(dtype)
    assert np.all(np.abs(yb.astype(np.float64).mean(axis=0)) <= tol)
    np.testing.assert_allclose(yb.astype(np.float64).std(axis=0), np.sqrt(var / (var + eps)), rtol=tol, atol=tol)

    yg, gmean, ginv = backend.group_norm_forward(x, ones, zeros, groups=groups, eps=eps)
    for a, b in zip((yg, gmean, ginv), ref.group_norm_forward(x, ones, zeros, groups=groups, eps=eps)):
        assert_close(a, b, dtype)
    gvar = x.astype(np.float64).reshape(n, groups, k).var(axis=2)
    np.testing.assert_allclose(yg.astype(np.float64).reshape(n, groups, k).std(axis=2), np.sqrt(gvar / (gvar + eps)),
                               rtol=tol, atol=tol)

    gy = rng.standard_normal((n, m)).astype(dtype)
    gx, gg, gb = backend.batch_norm_backward(gy, x, ones, mean, invstd)
    for a, b in zip((gx, gg, gb), ref.batch_norm_backward(gy, x, ones, mean, invstd)):
        assert_close(a, b, dtype)
    # the batch-norm gradient is orthogonal to constant shifts of a column (the mean absorbs them)
    assert np.all(np.abs(gx.astype(np.float64).sum(axis=0)) <= tol * (np.abs(gx.astype(np.float64)).sum(axis=0) + 1))
    gx, gg, gb = backend.group_norm_backward(gy, x, ones, gmean, ginv, groups=groups)
    for a, b in zip((gx, gg, gb), ref.group_norm_backward(gy, x, ones, gmean, ginv, groups=groups)):
        assert_close(a, b, dtype)
    g3 = gx.astype(np.float64).reshape(n, groups, k)
    assert np.all(np.abs(g3.sum(axis=2)) <= tol * (np.abs(g3).sum(axis=2) + 1))
