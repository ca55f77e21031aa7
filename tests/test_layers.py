"""Contract tests for linear_forward / linear_backward."""
import numpy as np
import pytest

from _helpers import assert_close

SHAPES = [(1, 1, 1), (3, 17, 5), (17, 257, 3), (64, 33, 10), (2, 784, 256)]
ACTIVATIONS = ["identity", "relu", "sigmoid", "tanh"]


def layer(rng, n, n_in, n_out, dtype):
    x = rng.standard_normal((n, n_in)).astype(dtype)
    w = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    return x, w, b


@pytest.mark.parametrize("n,n_in,n_out", SHAPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_matches_reference(backend, reference, dtype, rng, n, n_in, n_out, activation):
    x, w, b = layer(rng, n, n_in, n_out, dtype)
    z, h = backend.linear_forward(x, w, b, activation=activation)
    z_ref, h_ref = reference.linear_forward(x, w, b, activation=activation)
    assert_close(z, z_ref, dtype)
    assert_close(h, h_ref, dtype, scale=1.0)
    if activation == "identity":
        assert h is z


def test_forward_math(reference, rng):
    """The reference itself against the formulas, in float64."""
    x, w, b = layer(rng, 5, 4, 3, np.float64)
    z_expected = x @ w + b
    for activation, f in [("identity", lambda z: z), ("relu", lambda z: np.maximum(z, 0)),
                          ("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh)]:
        z, h = reference.linear_forward(x, w, b, activation=activation)
        np.testing.assert_allclose(z, z_expected, rtol=1e-12)
        np.testing.assert_allclose(h, f(z_expected), rtol=1e-12)


@pytest.mark.parametrize("n,n_in,n_out", SHAPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_matches_reference(backend, reference, dtype, rng, n, n_in, n_out, activation):
    x, w, b = layer(rng, n, n_in, n_out, dtype)
    z, h = reference.linear_forward(x, w, b, activation=activation)
    grad_h = rng.standard_normal(z.shape).astype(dtype)
    got = backend.linear_backward(x, w, z, h, grad_h, activation)
    expected = reference.linear_backward(x, w, z, h, grad_h, activation)
    for name, g, e in zip(("grad_x", "grad_w", "grad_b"), got, expected):
        assert g.shape == e.shape, name
        assert_close(g, e, dtype)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_is_the_gradient(reference, rng, activation):
    """Finite differences of L = Σ grad_h ⊙ act(x w + b) confirm the reference's gradients."""
    x, w, b = layer(rng, 4, 3, 2, np.float64)
    grad_h = rng.standard_normal((4, 2))
    z, h = reference.linear_forward(x, w, b, activation=activation)
    grad_x, grad_w, grad_b = reference.linear_backward(x, w, z, h, grad_h, activation)

    def loss(x_, w_, b_):
        return float(np.sum(grad_h * reference.linear_forward(x_, w_, b_, activation=activation)[1]))

    eps = 1e-6
    for arr, grad in ((x, grad_x), (w, grad_w), (b, grad_b)):
        numeric = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = loss(x, w, b)
            arr[idx] = old - eps
            down = loss(x, w, b)
            arr[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_backward_accepts_none_for_unused(backend, dtype, rng):
    x, w, b = layer(rng, 3, 4, 2, dtype)
    z, h = backend.linear_forward(x, w, b, activation="relu")
    gh = np.ones_like(z)
    full = backend.linear_backward(x, w, z, h, gh, "relu")
    partial = backend.linear_backward(x, w, z, None, gh, "relu")
    for g, e in zip(partial, full):
        assert np.array_equal(g, e)
    with pytest.raises(ValueError, match="z"):
        backend.linear_backward(x, w, None, h, gh, "relu")
    with pytest.raises(ValueError, match="h"):
        backend.linear_backward(x, w, z, None, gh, "tanh")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_extreme_preactivations_stay_finite(backend, dtype, activation):
    x = np.array([[1e4], [-1e4], [0.0]], dtype=dtype)
    w = np.ones((1, 1), dtype=dtype)
    b = np.zeros(1, dtype=dtype)
    z, h = backend.linear_forward(x, w, b, activation=activation)
    assert np.all(np.isfinite(h))
    expected = {"sigmoid": [1, 0, 0.5], "tanh": [1, -1, 0], "relu": [1e4, 0, 0]}[activation]
    np.testing.assert_allclose(h[:, 0], expected)
    grads = backend.linear_backward(x, w, z, h, np.ones_like(h), activation)
    assert all(np.all(np.isfinite(g)) for g in grads)


def test_non_contiguous_inputs(backend, dtype, rng):
    x, w, b = layer(rng, 9, 6, 5, dtype)
    xs = np.asfortranarray(x)
    wb = np.zeros((6, 10), dtype=dtype)
    wb[:, ::2] = w
    z, h = backend.linear_forward(xs, wb[:, ::2], b, activation="tanh")
    z_ref, h_ref = backend.linear_forward(x, w, b, activation="tanh")
    assert_close(h, h_ref, dtype)


def test_backward_can_skip_grad_x(backend, dtype, rng):
    x, w, b = layer(rng, 5, 4, 3, dtype)
    z, h = backend.linear_forward(x, w, b, activation="sigmoid")
    gh = rng.standard_normal(z.shape).astype(dtype)
    full = backend.linear_backward(x, w, z, h, gh, "sigmoid")
    grad_x, grad_w, grad_b = backend.linear_backward(x, w, z, h, gh, "sigmoid", compute_grad_x=False)
    assert grad_x is None
    assert np.array_equal(grad_w, full[1]) and np.array_equal(grad_b, full[2])
