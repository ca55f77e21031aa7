"""Contract tests for softmax_cross_entropy, binary_cross_entropy_with_logits and mse."""
import numpy as np
import pytest

from _helpers import assert_close


@pytest.mark.parametrize("n,c", [(1, 1), (1, 3), (3, 2), (17, 10), (257, 7)])
def test_softmax_cross_entropy_matches_reference(backend, reference, dtype, rng, n, c):
    logits = (3 * rng.standard_normal((n, c))).astype(dtype)
    y = rng.integers(0, c, size=n)
    loss, grad = backend.softmax_cross_entropy(logits, y)
    loss_ref, grad_ref = reference.softmax_cross_entropy(logits, y)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert_close(loss, loss_ref, dtype, scale=1.0)
    assert_close(grad, grad_ref, dtype, scale=1.0 / n)


def test_softmax_cross_entropy_math(reference, rng):
    logits = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, size=6)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, grad = reference.softmax_cross_entropy(logits, y)
    np.testing.assert_allclose(loss, -np.mean(np.log(p[np.arange(6), y])), rtol=1e-12)
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(grad, (p - onehot) / 6, rtol=1e-12, atol=1e-15)


def test_softmax_cross_entropy_extreme_logits(backend, dtype):
    logits = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]], dtype=dtype)
    loss, grad = backend.softmax_cross_entropy(logits, np.array([0, 1]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(float(loss), (0 + 2e4) / 2, rtol=1e-6)
    np.testing.assert_allclose(grad, [[0, 0, 0], [0.5, -0.5, 0]], atol=1e-6)


@pytest.mark.parametrize("n", [1, 2, 17, 1000])
def test_bce_matches_reference(backend, reference, dtype, rng, n):
    logits = (4 * rng.standard_normal(n)).astype(dtype)
    y = rng.uniform(0, 1, n).astype(dtype)  # soft targets
    loss, grad = backend.binary_cross_entropy_with_logits(logits, y)
    loss_ref, grad_ref = reference.binary_cross_entropy_with_logits(logits, y)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert_close(loss, loss_ref, dtype, scale=1.0)
    assert_close(grad, grad_ref, dtype, scale=1.0 / n)


def test_bce_math(reference, rng):
    x = rng.standard_normal(9)
    y = rng.uniform(0, 1, 9)
    s = 1 / (1 + np.exp(-x))
    loss, grad = reference.binary_cross_entropy_with_logits(x, y)
    np.testing.assert_allclose(loss, -np.mean(y * np.log(s) + (1 - y) * np.log(1 - s)), rtol=1e-12)
    np.testing.assert_allclose(grad, (s - y) / 9, rtol=1e-12)


def test_bce_extreme_logits(backend, dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype)
    y = np.array([1, 0, 0, 1], dtype=dtype)
    loss, grad = backend.binary_cross_entropy_with_logits(x, y)
    assert np.isfinite(loss) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(float(loss), 2e4 / 4, rtol=1e-6)
    np.testing.assert_allclose(grad, [0, 0, 0.25, -0.25], atol=1e-7)


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 3), (2, 3, 4), (10000,)])
def test_mse_matches_reference(backend, reference, dtype, rng, shape):
    pred = rng.standard_normal(shape).astype(dtype)
    target = rng.standard_normal(shape).astype(dtype)
    loss, grad = backend.mse(pred, target)
    loss_ref, grad_ref = reference.mse(pred, target)
    assert grad.shape == shape and grad.dtype == dtype and loss.dtype == dtype
    assert_close(loss, loss_ref, dtype, scale=1.0)
    assert_close(grad, grad_ref, dtype)


def test_mse_math(reference, rng):
    pred, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss, grad = reference.mse(pred, target)
    np.testing.assert_allclose(loss, np.mean((pred - target) ** 2), rtol=1e-12)
    np.testing.assert_allclose(grad, 2 * (pred - target) / 12, rtol=1e-12)


def test_mse_non_contiguous(backend, dtype, rng):
    pred = rng.standard_normal((6, 8)).astype(dtype)[:, ::2]
    target = np.asfortranarray(rng.standard_normal((6, 4)).astype(dtype))
    loss, grad = backend.mse(pred, target)
    assert_close(grad, (2 * (pred - target) / 24).astype(dtype), dtype)
