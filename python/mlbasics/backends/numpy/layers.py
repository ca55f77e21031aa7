"""NumPy reference: dense layer forward and backward passes."""
import numpy as np


def sigmoid(z):
    """The logistic function 1 / (1 + exp(-z)), without overflow for any z."""
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _activate(z, act):
    if act == 1:
        return np.maximum(z, 0)  # np.maximum (not np.fmax): relu(NaN) is NaN
    if act == 2:
        return sigmoid(z)
    return np.tanh(z)


def _derivative(z, h, act):
    """act'(z), from z (relu) or from h = act(z) (sigmoid, tanh)."""
    if act == 0:
        return 1
    if act == 1:
        # 1[z > 0], and NaN where z is NaN (np.heaviside propagates it): a NaN pre-activation
        # reaches the gradients instead of being masked to 0 (IEEE propagation, every backend).
        return np.heaviside(z, z.dtype.type(0))
    if act == 2:
        return h * (1 - h)
    return 1 - h * h


def linear_forward(x, w, b, act, z, h):
    z[...] = x @ w + b
    if h is not None:
        h[...] = _activate(z, act)


def linear_backward(x, w, z, h, grad_h, act, grad_x, grad_w, grad_b):
    grad_z = grad_h * _derivative(z, h, act)
    grad_w[...] = x.T @ grad_z
    grad_b[...] = grad_z.sum(axis=0)
    if grad_x is not None:
        grad_x[...] = grad_z @ w.T
