"""Loss kernels for the Numba backend: loss (float64 accumulation) and gradient in one pass."""
import numpy as np
from numba import njit, prange

from .gemm import _n_chunks

_FM = {"contract", "nsz", "arcp"}


@njit(cache=True, fastmath=_FM)
def _softmax_ce_row(row, g, t, r):  # pragma: no cover
    """One row: g = (softmax(row) − onehot(t)) · r; returns −log softmax(row)[t] (float64)."""
    c = row.shape[0]
    mx = np.float64(row[0])
    for j in range(1, c):
        v = np.float64(row[j])
        if v > mx:
            mx = v
    s = 0.0
    for j in range(c):
        e = np.exp(np.float64(row[j]) - mx)
        g[j] = e
        s += e
    lse = np.log(s)
    scale = g.dtype.type(r / s)
    for j in range(c):
        g[j] *= scale
    g[t] = np.float64(g[t]) - r
    return lse - (np.float64(row[t]) - mx)


@njit(cache=True, fastmath=_FM)
def _softmax_ce_rows(logits, y, grad, inv_n, r0, r1):  # pragma: no cover
    """Rows r0:r1: grad = (softmax - onehot) * inv_n; returns sum of -log softmax[i, y_i] (float64)."""
    total = 0.0
    for i in range(r0, r1):
        total += _softmax_ce_row(logits[i], grad[i], y[i], inv_n)
    return total


@njit(cache=True, fastmath=_FM)
def _bce_range(x, y, grad, inv_n, lo, hi):  # pragma: no cover
    """loss_i = max(x,0) - x*y + log1p(exp(-|x|)); grad = (sigmoid(x) - y) * inv_n; returns sum (float64)."""
    total = 0.0
    xs, ys, gs = x[lo:hi], y[lo:hi], grad[lo:hi]  # slices iterated from 0: see optim.py
    for i in range(xs.shape[0]):
        xi = np.float64(xs[i])
        yi = np.float64(ys[i])
        e = np.exp(-abs(xi))
        total += max(xi, 0.0) - xi * yi + np.log1p(e)
        sig = 1.0 / (1.0 + e) if xi >= 0.0 else e / (1.0 + e)
        gs[i] = (sig - yi) * inv_n
    return total


@njit(cache=True, fastmath=_FM)
def _mse_range(pred, target, grad, two_inv_n, lo, hi):  # pragma: no cover
    """grad = 2 (pred - target) / n; returns sum (pred - target)^2 (float64)."""
    total = 0.0
    ps, ts, gs = pred[lo:hi], target[lo:hi], grad[lo:hi]  # slices iterated from 0: see optim.py
    for i in range(ps.shape[0]):
        d = np.float64(ps[i]) - np.float64(ts[i])
        total += d * d
        gs[i] = d * two_inv_n
    return total


@njit(cache=True, fastmath=_FM)
def _softmax_ce_rows_w(logits, y, w, grad, inv_sw, r0, r1):  # pragma: no cover
    """Weighted rows r0:r1: grad = (softmax - onehot) * w_i * inv_sw; returns Σ w_i * (-log softmax[i, y_i])."""
    total = 0.0
    for i in range(r0, r1):
        wi = np.float64(w[i])
        total += wi * _softmax_ce_row(logits[i], grad[i], y[i], wi * inv_sw)
    return total


@njit(cache=True, fastmath=_FM)
def _bce_range_w(x, y, w, grad, inv_sw, lo, hi):  # pragma: no cover
    """Weighted: returns Σ w_i loss_i (float64); grad = (sigmoid(x) - y) * w_i * inv_sw."""
    total = 0.0
    xs, ys, ws, gs = x[lo:hi], y[lo:hi], w[lo:hi], grad[lo:hi]  # slices iterated from 0: see optim.py
    for i in range(xs.shape[0]):
        xi = np.float64(xs[i])
        yi = np.float64(ys[i])
        wi = np.float64(ws[i])
        e = np.exp(-abs(xi))
        total += wi * (max(xi, 0.0) - xi * yi + np.log1p(e))
        sig = 1.0 / (1.0 + e) if xi >= 0.0 else e / (1.0 + e)
        gs[i] = (sig - yi) * (wi * inv_sw)
    return total


@njit(cache=True, fastmath=_FM)
def _mse_rows_w(pred, target, w, grad, k, two_inv_ksw, lo, hi):  # pragma: no cover
    """Weighted rows lo:hi of k elements each: grad = 2 d w_i / (k Σw); returns Σ_i w_i Σ_j d_ij² (float64)."""
    total = 0.0
    for i in range(lo, hi):
        wi = np.float64(w[i])
        ri = wi * two_inv_ksw
        row = 0.0
        for e in range(i * k, (i + 1) * k):
            d = np.float64(pred[e]) - np.float64(target[e])
            row += d * d
            grad[e] = d * ri
        total += wi * row
    return total


_BCE, _MSE = 1, 2


@njit(cache=True)
def _loss_range(kind, a, b, grad, scale, lo, hi):  # pragma: no cover
    """Rows lo:hi of one loss: softmax cross-entropy (the only loss on 2-D logits), else _BCE or _MSE.

    The test on a.ndim is resolved at compile time, so each signature compiles only its own loss.
    """
    if a.ndim == 2:
        return _softmax_ce_rows(a, b, grad, scale, lo, hi)
    if kind == _BCE:
        return _bce_range(a, b, grad, scale, lo, hi)
    return _mse_range(a, b, grad, scale, lo, hi)


@njit(cache=True, parallel=True)
def _loss_par(kind, a, b, grad, scale, n_chunks):  # pragma: no cover
    n = a.shape[0]
    parts = np.zeros(n_chunks)
    for c in prange(n_chunks):
        parts[c] = _loss_range(kind, a, b, grad, scale, c * n // n_chunks, (c + 1) * n // n_chunks)
    return parts.sum()


def _loss_sum(kind, a, b, grad, scale, nc):
    """Sum of the loss terms over the rows of a (float64), split into nc parallel chunks when nc > 1."""
    if nc > 1:
        return _loss_par(kind, a, b, grad, scale, nc)
    return _loss_range(kind, a, b, grad, scale, 0, a.shape[0])


def softmax_cross_entropy(logits, y, grad, sample_weight=None):
    """Mean over rows of -log softmax(logits)[i, y_i]; grad = (softmax - onehot) / n (weighted: see
    the contract)."""
    if sample_weight is not None:
        return softmax_cross_entropy_weighted(logits, y, grad, sample_weight)
    n = logits.shape[0]
    if n == 0:
        return float("nan")
    inv_n = 1.0 / n
    total = _loss_sum(0, logits, y, grad, inv_n, min(_n_chunks(logits.size), n))
    return float(total * inv_n)


def binary_cross_entropy_with_logits(logits, y, grad, sample_weight=None):
    """mean(max(x,0) - x*y + log1p(exp(-|x|))); grad = (sigmoid(x) - y) / n (weighted: see the contract)."""
    if sample_weight is not None:
        return binary_cross_entropy_with_logits_weighted(logits, y, grad, sample_weight)
    n = logits.shape[0]
    if n == 0:
        return float("nan")
    inv_n = 1.0 / n
    total = _loss_sum(_BCE, logits, y, grad, inv_n, _n_chunks(n))
    return float(total * inv_n)


def mse(pred, target, grad, sample_weight=None):
    """mean((pred - target)^2); grad = 2 (pred - target) / n (weighted: one weight per row of k =
    N / n elements, see the contract)."""
    if sample_weight is not None:
        return mse_weighted(pred, target, grad, sample_weight)
    n = pred.shape[0]
    if n == 0:
        return float("nan")
    total = _loss_sum(_MSE, pred, target, grad, 2.0 / n, _n_chunks(n))
    return float(total / n)


# --------------------------------------------------------------------------- weighted (serial: the
# weighted losses serve the linear models' solvers and the MLP's batches, where n is moderate)

def _weight_sum(w):
    return float(np.sum(w, dtype=np.float64))


def softmax_cross_entropy_weighted(logits, y, grad, sample_weight):
    sw = _weight_sum(sample_weight)
    total = _softmax_ce_rows_w(logits, y, sample_weight, grad, 1.0 / sw, 0, logits.shape[0])
    return float(total / sw)


def binary_cross_entropy_with_logits_weighted(logits, y, grad, sample_weight):
    sw = _weight_sum(sample_weight)
    total = _bce_range_w(logits, y, sample_weight, grad, 1.0 / sw, 0, logits.shape[0])
    return float(total / sw)


def mse_weighted(pred, target, grad, sample_weight):
    n = sample_weight.shape[0]
    k = pred.shape[0] // n
    sw = _weight_sum(sample_weight)
    total = _mse_rows_w(pred, target, sample_weight, grad, k, 2.0 / (k * sw), 0, n)
    return float(total / (k * sw))
