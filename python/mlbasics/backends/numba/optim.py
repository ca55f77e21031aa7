"""Optimizer steps for the Numba backend (torch.optim's update rules, maximize=False).

Every step updates 1-D C-contiguous arrays in place, elementwise, with arithmetic
in the arrays' dtype: scalar hyper-parameters are cast to that dtype once, in
Python, so each kernel compiles once per dtype (a float64 scalar would promote
every float32 element to float64 and halve the SIMD width).  Each kernel has a
serial range function ``_<name>(..., lo, hi)`` (used directly for small arrays,
and by the MLP epoch) and a ``parallel=True`` driver ``_<name>_par`` that splits
the range in chunks.  Optional state (``None``) is replaced by a shared 0-length
array and a flag.

Vectorization (the loops are memory-bound once they use SIMD; measured on 1e7
float32, 1 thread: sgd 10 -> 3.8 ms, adam 24 -> 5 ms, level with the C++ kernels):

* a range function first slices its arrays to ``[lo:hi]`` and then loops over
  ``range(len)``.  A loop ``for i in range(lo, hi)`` indexing ``p[i]`` does not
  vectorize: Numba cannot prove ``i >= 0`` and emits the negative-index
  wraparound on every access;
* ``error_model="numpy"``: with Python's error model every float division
  checks for zero (to raise ZeroDivisionError), which also blocks vectorization.

The flags (momentum, nesterov, ...) are loop-invariant: LLVM unswitches them.

Non-finite values follow the NumPy reference exactly: the weight-decay term ``wd * p`` is added
only when weight_decay != 0 (``use_wd``), as in NumPy and torch -- adding ``0 * p`` would turn an
infinite parameter's update into NaN (0 * inf) where the reference keeps inf.
Check with ``_adam.inspect_asm()`` (under a fresh NUMBA_CACHE_DIR): packed
vfmadd...ps, vsqrtps, vdivps.
"""
from typing import Any

import math

import numpy as np
from numba import njit, prange

from .gemm import _n_chunks

# No 'reassoc': the update is elementwise, and keeping the order keeps results
# reproducible; 'contract' lets LLVM fuse multiply-adds.  No 'nnan'/'ninf': NaN and
# inf propagate as in NumPy.  No 'arcp' either: with it LLVM turns x / sqrt(y) into
# x * rsqrt(y) for float32 (vrsqrtps plus a Newton step), and the Newton step gives
# 0 * inf = NaN for y = inf, where x / sqrt(inf) is 0 (AdaDelta with an infinite square_avg);
# every division here is an IEEE division, as in NumPy.
_FM = {"contract", "nsz"}
# error_model="numpy": a division by zero gives inf/nan as in NumPy (the reference) instead of
# raising ZeroDivisionError -- and without that per-element check the loops vectorize.
_JIT: dict[str, Any] = dict(cache=True, fastmath=_FM, error_model="numpy")
_JIT_PAR: dict[str, Any] = dict(cache=True, parallel=True, error_model="numpy")

_EMPTY = {np.dtype(np.float32): np.empty(0, np.float32), np.dtype(np.float64): np.empty(0, np.float64)}


def _run(serial, parallel, n, args):
    nc = _n_chunks(n)
    if nc > 1:
        parallel(*args, nc)
    elif n:
        serial(*args, 0, n)


# --------------------------------------------------------------------------- SGD
@njit(**_JIT)
def _sgd(p, g, buf, lr, momentum, dampening_c, wd, use_wd, use_momentum, nesterov, first, lo, hi):  # pragma: no cover
    p, g, buf = p[lo:hi], g[lo:hi], buf[lo:hi]  # buf may be the 0-length placeholder
    for i in range(p.shape[0]):
        d = g[i]
        if use_wd:
            d = d + wd * p[i]
        if use_momentum:
            if first:
                b = d
            else:
                b = momentum * buf[i] + dampening_c * d
            buf[i] = b
            if nesterov:
                d = d + momentum * b
            else:
                d = b
        p[i] = p[i] - lr * d


@njit(**_JIT_PAR)
def _sgd_par(p, g, buf, lr, momentum, dampening_c, wd, use_wd, use_momentum, nesterov, first, nc):  # pragma: no cover
    n = p.shape[0]
    for c in prange(nc):
        _sgd(p, g, buf, lr, momentum, dampening_c, wd, use_wd, use_momentum, nesterov, first,
             c * n // nc, (c + 1) * n // nc)


def sgd_step(param, grad, momentum_buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """torch.optim.SGD: g = grad + wd p; buf = g (first) or mu buf + (1 - tau) g; g = g + mu buf (nesterov) or buf; p -= lr g."""
    t = param.dtype.type
    use_m = momentum != 0
    buf = momentum_buf if use_m else _EMPTY[param.dtype]
    _run(_sgd, _sgd_par, param.shape[0],
         (param, grad, buf, t(lr), t(momentum), t(1.0 - dampening), t(weight_decay),
          weight_decay != 0, bool(use_m), bool(nesterov), bool(first_step)))


# --------------------------------------------------------------------------- Adam / AdamW
@njit(**_JIT)
def _adam(p, g, m, v, step_size, bc2_sqrt, beta1, beta2, beta1_c, beta2_c, eps, wd, use_wd, decay_c, decoupled,
          lo, hi):  # pragma: no cover
    p, g, m, v = p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
    for i in range(p.shape[0]):
        if decoupled:
            pi = p[i] * decay_c
            d = g[i]
        else:
            pi = p[i]
            d = g[i]
            if use_wd:
                d = d + wd * pi
        mi = beta1 * m[i] + beta1_c * d
        vi = beta2 * v[i] + beta2_c * d * d
        m[i] = mi
        v[i] = vi
        p[i] = pi - step_size * mi / (np.sqrt(vi) / bc2_sqrt + eps)


@njit(**_JIT_PAR)
def _adam_par(p, g, m, v, step_size, bc2_sqrt, beta1, beta2, beta1_c, beta2_c, eps, wd, use_wd, decay_c, decoupled,
              nc):  # pragma: no cover
    n = p.shape[0]
    for c in prange(nc):
        _adam(p, g, m, v, step_size, bc2_sqrt, beta1, beta2, beta1_c, beta2_c, eps, wd, use_wd, decay_c, decoupled,
              c * n // nc, (c + 1) * n // nc)


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay):
    """torch.optim.Adam / AdamW (decoupled): m, v moments, bias corrections 1 - beta**step."""
    t = param.dtype.type
    bc1 = 1.0 - beta1 ** step
    bc2 = 1.0 - beta2 ** step
    _run(_adam, _adam_par, param.shape[0],
         (param, grad, exp_avg, exp_avg_sq, t(lr / bc1), t(math.sqrt(bc2)), t(beta1), t(beta2),
          t(1.0 - beta1), t(1.0 - beta2), t(eps), t(weight_decay), weight_decay != 0, t(1.0 - lr * weight_decay),
          bool(decoupled_weight_decay)))


# --------------------------------------------------------------------------- RMSprop
@njit(**_JIT)
def _rmsprop(p, g, sq, buf, ga, lr, alpha, alpha_c, eps, wd, use_wd, momentum, use_momentum, centered,
             lo, hi):  # pragma: no cover
    p, g, sq, buf, ga = p[lo:hi], g[lo:hi], sq[lo:hi], buf[lo:hi], ga[lo:hi]
    for i in range(p.shape[0]):
        d = g[i]
        if use_wd:
            d = d + wd * p[i]
        vi = alpha * sq[i] + alpha_c * d * d
        sq[i] = vi
        if centered:
            gai = alpha * ga[i] + alpha_c * d
            ga[i] = gai
            vi = vi - gai * gai
        avg = np.sqrt(vi) + eps
        if use_momentum:
            b = momentum * buf[i] + d / avg
            buf[i] = b
            p[i] = p[i] - lr * b
        else:
            p[i] = p[i] - lr * d / avg


@njit(**_JIT_PAR)
def _rmsprop_par(p, g, sq, buf, ga, lr, alpha, alpha_c, eps, wd, use_wd, momentum, use_momentum, centered,
                 nc):  # pragma: no cover
    n = p.shape[0]
    for c in prange(nc):
        _rmsprop(p, g, sq, buf, ga, lr, alpha, alpha_c, eps, wd, use_wd, momentum, use_momentum, centered,
                 c * n // nc, (c + 1) * n // nc)


def rmsprop_step(param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps, weight_decay, momentum,
                 centered):
    """torch.optim.RMSprop: v = alpha v + (1-alpha) g^2 (centered: minus the squared mean grad)."""
    t = param.dtype.type
    e = _EMPTY[param.dtype]
    use_m = momentum > 0
    _run(_rmsprop, _rmsprop_par, param.shape[0],
         (param, grad, square_avg, momentum_buffer if use_m else e, grad_avg if centered else e,
          t(lr), t(alpha), t(1.0 - alpha), t(eps), t(weight_decay), weight_decay != 0, t(momentum), bool(use_m),
          bool(centered)))


# --------------------------------------------------------------------------- Adagrad
@njit(**_JIT)
def _adagrad(p, g, s, clr, wd, use_wd, eps, lo, hi):  # pragma: no cover
    p, g, s = p[lo:hi], g[lo:hi], s[lo:hi]
    for i in range(p.shape[0]):
        d = g[i]
        if use_wd:
            d = d + wd * p[i]
        si = s[i] + d * d
        s[i] = si
        p[i] = p[i] - clr * d / (np.sqrt(si) + eps)


@njit(**_JIT_PAR)
def _adagrad_par(p, g, s, clr, wd, use_wd, eps, nc):  # pragma: no cover
    n = p.shape[0]
    for c in prange(nc):
        _adagrad(p, g, s, clr, wd, use_wd, eps, c * n // nc, (c + 1) * n // nc)


def adagrad_step(param, grad, sum, step, lr, lr_decay, weight_decay, eps):  # noqa: A002 (contract name)
    """torch.optim.Adagrad: clr = lr / (1 + (step-1) lr_decay); sum += g^2; p -= clr g / (sqrt(sum) + eps)."""
    t = param.dtype.type
    clr = lr / (1.0 + (step - 1) * lr_decay)
    _run(_adagrad, _adagrad_par, param.shape[0], (param, grad, sum, t(clr), t(weight_decay), weight_decay != 0, t(eps)))


# --------------------------------------------------------------------------- Adadelta
@njit(**_JIT)
def _adadelta(p, g, sq, acc, lr, rho, rho_c, eps, wd, use_wd, lo, hi):  # pragma: no cover
    p, g, sq, acc = p[lo:hi], g[lo:hi], sq[lo:hi], acc[lo:hi]
    for i in range(p.shape[0]):
        d = g[i]
        if use_wd:
            d = d + wd * p[i]
        vi = rho * sq[i] + rho_c * d * d
        sq[i] = vi
        delta = np.sqrt(acc[i] + eps) / np.sqrt(vi + eps) * d
        acc[i] = rho * acc[i] + rho_c * delta * delta
        p[i] = p[i] - lr * delta


@njit(**_JIT_PAR)
def _adadelta_par(p, g, sq, acc, lr, rho, rho_c, eps, wd, use_wd, nc):  # pragma: no cover
    n = p.shape[0]
    for c in prange(nc):
        _adadelta(p, g, sq, acc, lr, rho, rho_c, eps, wd, use_wd, c * n // nc, (c + 1) * n // nc)


def adadelta_step(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay):
    """torch.optim.Adadelta: v = rho v + (1-rho) g^2; d = sqrt(u+eps)/sqrt(v+eps) g; u = rho u + (1-rho) d^2."""
    t = param.dtype.type
    _run(_adadelta, _adadelta_par, param.shape[0],
         (param, grad, square_avg, acc_delta, t(lr), t(rho), t(1.0 - rho), t(eps), t(weight_decay),
          weight_decay != 0))


# --------------------------------------------------------------------------- Rprop
@njit(**_JIT)
def _rprop(p, g, prev, ss, etaminus, etaplus, smin, smax, lo, hi):  # pragma: no cover
    p, g, prev, ss = p[lo:hi], g[lo:hi], prev[lo:hi], ss[lo:hi]
    zero = p.dtype.type(0)
    one = p.dtype.type(1)
    for i in range(p.shape[0]):
        gi = g[i]
        s = gi * prev[i]
        # Selects only (no per-element branches), with NumPy's non-finite semantics: a NaN product
        # keeps the step size (factor 1); np.clip propagates a NaN step size; sign(NaN) is NaN, and
        # sign(0) * NaN step is NaN too (np.sign(g) * step_size), so the NaN reaches the parameter.
        factor = etaplus if s > zero else (etaminus if s < zero else one)
        st = ss[i] * factor
        st = smin if st < smin else st
        st = smax if st > smax else st
        ss[i] = st
        gi = zero if s < zero else gi
        sg = one if gi > zero else (-one if gi < zero else gi * zero)  # ±0 -> ±0, NaN -> NaN
        p[i] = p[i] - sg * st
        prev[i] = gi


@njit(**_JIT_PAR)
def _rprop_par(p, g, prev, ss, etaminus, etaplus, smin, smax, nc):  # pragma: no cover
    n = p.shape[0]
    for c in prange(nc):
        _rprop(p, g, prev, ss, etaminus, etaplus, smin, smax, c * n // nc, (c + 1) * n // nc)


def rprop_step(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max):
    """torch.optim.Rprop: per-element step sizes grown/shrunk by the sign of grad * prev."""
    t = param.dtype.type
    _run(_rprop, _rprop_par, param.shape[0],
         (param, grad, prev, step_size, t(etaminus), t(etaplus), t(step_size_min), t(step_size_max)))
