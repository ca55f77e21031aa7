"""NumPy reference: losses with their gradients.

Weighted (``sample_weight`` w given): the mean becomes Σ wᵢ ℓᵢ / Σ wᵢ and each gradient row is
multiplied by wᵢ / Σ wᵢ instead of divided by n (sums in float64).
"""
import numpy as np

from .layers import sigmoid


def _row_scale(w, dtype):
    """wᵢ / Σ w (the weighted mean's per-row factor) in float64, and Σ w."""
    total = np.sum(w, dtype=np.float64)
    return w.astype(np.float64) / total, total


def softmax_cross_entropy(logits, y, grad, sample_weight=None):
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)  # log-sum-exp trick: exp never overflows
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    terms = log_norm - shifted[rows, y]
    p = np.exp(shifted - log_norm[:, None])
    p[rows, y] -= 1
    if sample_weight is None:
        loss = np.mean(terms, dtype=np.float64)
        grad[...] = p / n
    else:
        scale, total = _row_scale(sample_weight, logits.dtype)
        loss = np.sum(sample_weight * terms.astype(np.float64)) / total
        grad[...] = p * scale[:, None]
    return float(loss)


def binary_cross_entropy_with_logits(logits, y, grad, sample_weight=None):
    n = logits.shape[0]
    x = logits
    terms = np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))
    if sample_weight is None:
        loss = np.mean(terms, dtype=np.float64)
        grad[...] = (sigmoid(x) - y) / n
    else:
        scale, total = _row_scale(sample_weight, logits.dtype)
        loss = np.sum(sample_weight * terms.astype(np.float64)) / total
        grad[...] = (sigmoid(x) - y) * scale
    return float(loss)


def mse(pred, target, grad, sample_weight=None):
    d = pred - target
    if sample_weight is None:
        grad[...] = 2 * d / d.shape[0]
        return float(np.mean(d * d, dtype=np.float64))
    # pred and target are flat: row i holds the k = N / n elements [i·k, (i + 1)·k)
    n = sample_weight.shape[0]
    k = d.shape[0] // n
    scale, total = _row_scale(sample_weight, pred.dtype)
    d2 = d.reshape(n, k)
    grad.reshape(n, k)[...] = 2 * d2 * (scale / k)[:, None]
    return float(np.sum(sample_weight * (d2.astype(np.float64) ** 2).sum(axis=1)) / (k * total))
