"""Contract tests for matmul and gram: every backend agrees with the NumPy reference."""
import numpy as np
import pytest

from _helpers import assert_close

SHAPES = [(1, 1, 1), (3, 17, 5), (17, 3, 257), (257, 33, 17), (64, 64, 64), (6, 300, 16), (100, 257, 70),
          (0, 3, 4), (3, 0, 4), (5, 4, 0)]
LAYOUTS = ["C", "F", "strided", "reversed"]


def make(rng, shape, dtype, layout):
    """A (rows, cols) array of the given memory layout holding random values."""
    if layout == "C":
        return rng.standard_normal(shape).astype(dtype)
    if layout == "F":
        return np.asfortranarray(rng.standard_normal(shape).astype(dtype))
    if layout == "strided":
        big = rng.standard_normal((2 * shape[0] + 1, 3 * shape[1] + 1)).astype(dtype)
        return big[1::2, ::3][: shape[0], : shape[1]]
    return rng.standard_normal(shape).astype(dtype)[::-1, ::-1]  # negative strides


@pytest.mark.parametrize("m,k,n", SHAPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_matmul_matches_reference(backend, reference, dtype, rng, m, k, n, trans_a, trans_b):
    a = make(rng, (k, m) if trans_a else (m, k), dtype, "C")
    b = make(rng, (n, k) if trans_b else (k, n), dtype, "C")
    got = backend.matmul(a, b, trans_a=trans_a, trans_b=trans_b)
    assert_close(got, reference.matmul(a, b, trans_a=trans_a, trans_b=trans_b), dtype)
    if k == 0:
        assert np.all(got == 0)


@pytest.mark.parametrize("shape,strides", [((1, 3), (3, 1)), ((3, 1), (1, 5)), ((1, 1), (3, 5)), ((0, 3), (3, 1))])
def test_an_axis_of_length_one_may_have_any_stride(backend, reference, dtype, rng, shape, strides):
    """NumPy calls such an array aligned (and contiguous when its other axis is): its stride along an axis
    of length 0 or 1 is never stepped along, even when it is no multiple of the item size (strides here
    in items; 3 and 5 below mean 3 and 5 bytes). The C++ views used to reject it as a bad stride."""
    item = np.dtype(dtype).itemsize
    base = rng.standard_normal(16).astype(dtype)
    byte_strides = tuple(s if s in (3, 5) else s * item for s in strides)
    x = np.lib.stride_tricks.as_strided(base, shape=shape, strides=byte_strides, writeable=False)
    assert x.flags.aligned
    b = rng.standard_normal((shape[1], 4)).astype(dtype)
    assert_close(backend.matmul(x, b), reference.matmul(np.array(x), b), dtype)
    assert_close(backend.matmul(x, x, trans_a=True), reference.matmul(np.array(x), np.array(x), trans_a=True), dtype)
    assert_close(backend.gram(x), reference.gram(np.array(x)), dtype)
    if shape[0] == 1 and x.flags.c_contiguous:  # a C-contiguous input of another kernel
        w = rng.standard_normal((shape[1], 2)).astype(dtype)
        bias = rng.standard_normal(2).astype(dtype)
        z, _ = backend.linear_forward(x, w, bias, "identity")
        assert_close(z, reference.linear_forward(np.array(x), w, bias, "identity")[0], dtype)


@pytest.mark.parametrize("layout_a", LAYOUTS)
@pytest.mark.parametrize("layout_b", LAYOUTS)
def test_matmul_views(backend, dtype, rng, layout_a, layout_b):
    a = make(rng, (37, 29), dtype, layout_a)
    b = make(rng, (29, 41), dtype, layout_b)
    expected = np.ascontiguousarray(a).astype(np.float64) @ np.ascontiguousarray(b).astype(np.float64)
    assert_close(backend.matmul(a, b), expected.astype(dtype), dtype)
    assert_close(backend.matmul(b, a, trans_a=True, trans_b=True), expected.T.astype(dtype), dtype)


def test_matmul_large_enough_to_thread(backend, reference, dtype, rng):
    a = rng.standard_normal((300, 520)).astype(dtype)
    b = rng.standard_normal((520, 270)).astype(dtype)
    assert_close(backend.matmul(a, b), reference.matmul(a, b), dtype)


def test_matmul_out_is_written_not_read(backend, dtype, rng):
    a = rng.standard_normal((7, 5)).astype(dtype)
    b = rng.standard_normal((5, 9)).astype(dtype)
    out = np.full((7, 9), np.nan, dtype=dtype)
    result = backend.matmul(a, b, out=out)
    assert result is out
    assert_close(out, (a.astype(np.float64) @ b).astype(dtype), dtype)


def test_matmul_out_aliasing_an_input(backend, dtype, rng):
    a = rng.standard_normal((8, 8)).astype(dtype)
    b = rng.standard_normal((8, 8)).astype(dtype)
    expected = (a.astype(np.float64) @ b).astype(dtype)
    result = backend.matmul(a, b, out=a)
    assert result is a
    assert_close(a, expected, dtype)


def test_matmul_float32_stays_float32(backend, rng):
    a = rng.standard_normal((4, 3)).astype(np.float32)
    assert backend.matmul(a, a, trans_b=True).dtype == np.float32


@pytest.mark.parametrize("shape", [(1, 1), (17, 3), (3, 17), (257, 40), (0, 5), (5, 0), (1000, 300)])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_gram(backend, reference, dtype, rng, shape, layout):
    x = make(rng, shape, dtype, layout)
    got = backend.gram(x)
    assert got.shape == (shape[1], shape[1]) and got.dtype == dtype
    assert np.array_equal(got, got.T), "gram must be exactly symmetric"
    assert_close(got, reference.gram(x), dtype)


@pytest.mark.parametrize("shape", [(1, 1), (17, 3), (3, 17), (257, 40), (0, 5), (1000, 101), (3000, 7)])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gram_shift(backend, reference, dtype, rng, shape, layout, weighted):
    """gram(x, shift=s) is the Gram matrix of x − s (the cpp backend subtracts as it packs)."""
    x = make(rng, shape, dtype, layout) + np.asarray(3.0, dtype=dtype)
    s = (x.mean(axis=0) if shape[0] else np.zeros(shape[1])).astype(dtype)
    w = rng.uniform(0, 2, shape[0]).astype(dtype) if weighted else None
    got = backend.gram(x, w, shift=s)
    assert got.shape == (shape[1], shape[1]) and got.dtype == dtype
    assert np.array_equal(got, got.T), "gram must be exactly symmetric"
    centred = x - s
    assert_close(got, reference.gram(centred, w), dtype)
    if shape[0] > 1:  # the shift matters: without it the result is another matrix
        assert not np.allclose(backend.gram(x, w), got)


def test_gram_shift_large_mean(backend, rng):
    """Column means 1e6 times the spread: the co-moment from the shifted Gram matrix keeps its
    digits, the uncentred Gram matrix minus n·m·mᵀ does not."""
    x = 1e6 + rng.standard_normal((5000, 6))
    mean = x.mean(axis=0)
    exact = (x - mean).T @ (x - mean)
    got = backend.gram(x, shift=mean)
    np.testing.assert_allclose(got, exact, rtol=1e-9, atol=1e-9 * np.abs(exact).max())
    naive = backend.gram(x) - x.shape[0] * np.outer(mean, mean)
    assert np.abs(naive - exact).max() > 1e-6 * np.abs(exact).max()


@pytest.mark.parametrize("m,k,n", [(101, 20000, 1), (1, 20000, 101), (3000, 900, 1), (1, 900, 3000), (7, 5, 1),
                                   (100, 3000, 2), (97, 1500, 4), (50, 1200, 7), (97, 2000, 16), (40, 1000, 12)])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_matmul_matrix_vector(backend, reference, dtype, rng, m, k, n, trans_a, trans_b):
    """One row or a few columns of C (the cpp backend's matrix-vector path: up to 4 columns, up to
    16 when k >= 1024, with op(a)'s columns contiguous), every layout; large enough to run on two
    threads."""
    a = make(rng, (k, m) if trans_a else (m, k), dtype, "C")
    b = make(rng, (n, k) if trans_b else (k, n), dtype, "C")
    got = backend.matmul(a, b, trans_a=trans_a, trans_b=trans_b)
    assert_close(got, reference.matmul(a, b, trans_a=trans_a, trans_b=trans_b), dtype)
