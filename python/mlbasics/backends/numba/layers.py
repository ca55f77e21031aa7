"""Dense layer kernels for the Numba backend: GEMM + fused bias/activation passes.

Activation codes: 0 identity, 1 relu, 2 sigmoid (logistic), 3 tanh.
"""
import numpy as np
from numba import njit, prange

from .gemm import _n_chunks, matmul

_FM = {"contract", "nsz", "arcp"}


@njit(cache=True, fastmath=_FM)
def _bias_act_rows(z, b, act, h, r0, r1):  # pragma: no cover
    """Rows r0:r1: z += b (z already holds x @ w), h = act(z)."""
    one = z.dtype.type(1)
    zero = z.dtype.type(0)
    n_out = z.shape[1]
    for i in range(r0, r1):
        zr = z[i]
        hr = h[i]
        for j in range(n_out):
            v = zr[j] + b[j]
            zr[j] = v
            if act == 1:
                hr[j] = zero if v < zero else v  # relu(NaN) = NaN, as np.maximum (a select, no branch)
            elif act == 2:
                if v >= zero:
                    hr[j] = one / (one + np.exp(-v))
                else:
                    e = np.exp(v)
                    hr[j] = e / (one + e)
            elif act == 3:
                hr[j] = np.tanh(v)
            else:
                hr[j] = v


@njit(cache=True, parallel=True)
def _bias_act_par(z, b, act, h, n_chunks):  # pragma: no cover
    n = z.shape[0]
    for c in prange(n_chunks):
        _bias_act_rows(z, b, act, h, c * n // n_chunks, (c + 1) * n // n_chunks)


@njit(cache=True, fastmath=_FM)
def _act_grad_rows(z, h, grad_h, act, grad_z, gb, r0, r1):  # pragma: no cover
    """Rows r0:r1: grad_z = grad_h * act'(.), gb (float64) += column sums of grad_z."""
    one = z.dtype.type(1)
    zero = z.dtype.type(0)
    n_out = z.shape[1]
    for i in range(r0, r1):
        gr = grad_h[i]
        out = grad_z[i]
        if act == 1:
            zr = z[i]
            for j in range(n_out):
                # relu'(z) = 1[z > 0], NaN where z is NaN (np.heaviside), times grad_h: so a NaN
                # grad_h stays NaN where z <= 0 (NaN * 0) and a NaN z gives NaN. Two selects.
                zj = zr[j]
                out[j] = gr[j] * (one if zj > zero else (zero if zj <= zero else zj))
        elif act == 2:
            hr = h[i]
            for j in range(n_out):
                out[j] = gr[j] * (hr[j] * (one - hr[j]))
        elif act == 3:
            hr = h[i]
            for j in range(n_out):
                out[j] = gr[j] * (one - hr[j] * hr[j])
        else:
            for j in range(n_out):
                out[j] = gr[j]
        for j in range(n_out):
            gb[j] += out[j]


@njit(cache=True, parallel=True)
def _act_grad_par(z, h, grad_h, act, grad_z, gb2, n_chunks):  # pragma: no cover
    n = z.shape[0]
    for c in prange(n_chunks):
        _act_grad_rows(z, h, grad_h, act, grad_z, gb2[c], c * n // n_chunks, (c + 1) * n // n_chunks)


def linear_forward(x, w, b, act, z, h):
    """z = x @ w + b; h = act(z) (h is None for identity: only z is written)."""
    matmul(x, w, False, False, z)
    act = int(act)
    if h is None:  # identity
        h, act = z, 0
    n = z.shape[0]
    nc = min(_n_chunks(z.size), n)
    if nc > 1:
        _bias_act_par(z, b, act, h, nc)
    elif n:
        _bias_act_rows(z, b, act, h, 0, n)


def linear_backward(x, w, z, h, grad_h, act, grad_x, grad_w, grad_b):
    """grad_z = grad_h * act'(z); grad_x = grad_z @ w.T; grad_w = x.T @ grad_z; grad_b = sum_rows(grad_z)."""
    act = int(act)
    n, n_out = grad_h.shape
    # The contract passes None for the array the activation does not read; the jitted code wants an
    # array of the same type in every slot, so grad_h stands in (it is never read in that role).
    z = grad_h if z is None else z
    h = grad_h if h is None else h
    grad_z = np.empty_like(grad_h)
    nc = min(_n_chunks(grad_h.size), n)
    if nc > 1:
        gb2 = np.zeros((nc, n_out), dtype=np.float64)
        _act_grad_par(z, h, grad_h, act, grad_z, gb2, nc)
        gb = gb2.sum(axis=0)
    else:
        gb = np.zeros(n_out, dtype=np.float64)
        if n:
            _act_grad_rows(z, h, grad_h, act, grad_z, gb, 0, n)
    grad_b[...] = gb
    matmul(x, grad_z, True, False, grad_w)
    if grad_x is not None:
        matmul(grad_z, w, False, True, grad_x)
