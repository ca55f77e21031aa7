"""NumPy reference: losses with their gradients."""
import numpy as np

from .layers import sigmoid


def softmax_cross_entropy(logits, y, grad):
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)  # log-sum-exp trick: exp never overflows
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    loss = np.mean(log_norm - shifted[rows, y], dtype=np.float64)
    p = np.exp(shifted - log_norm[:, None])
    p[rows, y] -= 1
    grad[...] = p / n
    return float(loss)


def binary_cross_entropy_with_logits(logits, y, grad):
    n = logits.shape[0]
    x = logits
    loss = np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))), dtype=np.float64)
    grad[...] = (sigmoid(x) - y) / n
    return float(loss)


def mse(pred, target, grad):
    d = pred - target
    grad[...] = 2 * d / d.shape[0]
    return float(np.mean(d * d, dtype=np.float64))
