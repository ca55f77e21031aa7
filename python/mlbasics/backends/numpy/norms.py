"""NumPy reference: dropout (Philox masks), batch normalization and group normalization.

Written as the contract reads: statistics and every intermediate in float64, each output rounded
once to the arrays' dtype when stored. Non-finite values follow IEEE; NumPy's warnings about them
(0·inf, 1/0, ...) are silenced here, as the other backends give the same values without a word.
"""
import numpy as np

from ._philox import keep_threshold, words


def _scale(p, dtype):
    """s = T(1 / (1 − p)): computed in double, rounded once to the dtype."""
    return dtype.type(1.0 / (1.0 - p))


# --------------------------------------------------------------------------- dropout

def dropout_forward(x, p, seed, offset, stream, y, mask):
    w = words(x.size, seed=seed, offset=offset, stream=stream).reshape(x.shape)
    keep = (w >> np.uint32(8)) >= keep_threshold(p)
    mask[...] = keep
    s = _scale(p, x.dtype)
    with np.errstate(all="ignore"):
        y[...] = np.where(keep, x * s, x.dtype.type(0))  # a dropped NaN/inf is 0


def dropout_backward(grad_y, mask, p, grad_x):
    s = _scale(p, grad_y.dtype)
    with np.errstate(all="ignore"):
        grad_x[...] = np.where(mask == 1, grad_y * s, grad_y.dtype.type(0))


# --------------------------------------------------------------------------- batch normalization

def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps, y, mean, invstd):
    n = x.shape[0]
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        if training:
            mu = x64.sum(axis=0) / n
            var = ((x64 - mu) ** 2).sum(axis=0) / n  # biased, two passes
            if running_mean is not None:
                rm = (1.0 - momentum) * running_mean.astype(np.float64) + momentum * mu
                rv = (1.0 - momentum) * running_var.astype(np.float64) + momentum * var * (n / (n - 1))
                running_mean[...] = rm
                running_var[...] = rv
        else:
            mu = running_mean.astype(np.float64)
            var = running_var.astype(np.float64)
        inv = 1.0 / np.sqrt(var + eps)
        xhat = (x64 - mu) * inv
        y[...] = xhat * gamma.astype(np.float64) + beta.astype(np.float64)
    mean[...] = mu
    invstd[...] = inv


def batch_norm_backward(grad_y, x, gamma, mean, invstd, grad_x, grad_gamma, grad_beta):
    n = x.shape[0]
    g = grad_y.astype(np.float64)
    inv = invstd.astype(np.float64)
    with np.errstate(all="ignore"):
        xhat = (x.astype(np.float64) - mean.astype(np.float64)) * inv
        gb = g.sum(axis=0)
        gg = (g * xhat).sum(axis=0)
        grad_x[...] = gamma.astype(np.float64) * inv / n * (n * g - gb - xhat * gg)
    grad_gamma[...] = gg
    grad_beta[...] = gb


# --------------------------------------------------------------------------- group normalization

def group_norm_forward(x, gamma, beta, groups, eps, y, mean, invstd):
    n, m = x.shape
    k = m // groups
    xg = x.astype(np.float64).reshape(n, groups, k)
    with np.errstate(all="ignore"):
        mu = xg.sum(axis=2) / k
        var = ((xg - mu[:, :, None]) ** 2).sum(axis=2) / k
        inv = 1.0 / np.sqrt(var + eps)
        xhat = ((xg - mu[:, :, None]) * inv[:, :, None]).reshape(n, m)
        y[...] = xhat * gamma.astype(np.float64) + beta.astype(np.float64)
    mean[...] = mu
    invstd[...] = inv


def group_norm_backward(grad_y, x, gamma, mean, invstd, groups, grad_x, grad_gamma, grad_beta):
    n, m = x.shape
    k = m // groups
    g = grad_y.astype(np.float64)
    inv = invstd.astype(np.float64)[:, :, None]
    with np.errstate(all="ignore"):
        xhat = (x.astype(np.float64).reshape(n, groups, k) - mean.astype(np.float64)[:, :, None]) * inv
        ghat = (g * gamma.astype(np.float64)).reshape(n, groups, k)
        s1 = ghat.sum(axis=2, keepdims=True)
        s2 = (ghat * xhat).sum(axis=2, keepdims=True)
        grad_x[...] = (inv / k * (k * ghat - s1 - xhat * s2)).reshape(n, m)
        grad_gamma[...] = (g * xhat.reshape(n, m)).sum(axis=0)
        grad_beta[...] = g.sum(axis=0)
