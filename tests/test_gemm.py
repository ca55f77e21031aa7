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
