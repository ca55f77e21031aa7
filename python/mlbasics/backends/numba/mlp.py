"""One MLP training epoch for the Numba backend: the whole minibatch loop in one jitted call.

The loop reuses this backend's jitted pieces — the packed GEMM (``_mm``, the same one matmul
uses), the fused bias+activation and activation-derivative row passes, the loss
row kernels and the optimizer step loops — with every work buffer allocated once per epoch.
The optimizer's hyper-parameters travel as one float64 array and its state as three arrays
(empty where unused), so the epoch compiles once per dtype.
"""
import numpy as np
from numba import njit

from .gemm import _BLOCKING, _mm, _threads
from .layers import _act_grad_rows, _bias_act_rows
from .losses import _bce_range, _bce_range_w, _mse_range, _mse_rows_w, _softmax_ce_rows, _softmax_ce_rows_w
from .._optim_table import OPTIMIZERS
from .optim import _adadelta, _adagrad, _adam, _rmsprop, _rprop, _sgd

# The jitted epoch takes the optimizer as a number (its row in the table) and its raw
# hyper-parameters as one float64 array in the table's order, so it compiles once per dtype.
_KINDS = {name: i for i, name in enumerate(OPTIMIZERS)}
assert list(_KINDS) == ["sgd", "adam", "rmsprop", "adagrad", "adadelta", "rprop"], "_optimizer_step's branches"


@njit(cache=True, fastmath={"reassoc", "contract", "nsz", "arcp"})
def _l2_grad(params, grads, lo, hi, l2):  # pragma: no cover
    """grads[lo:hi] += l2 * params[lo:hi]; returns Σ params[lo:hi]² (float64, reassociated: vectorized)."""
    s = 0.0
    for e in range(lo, hi):
        w = params[e]
        s += np.float64(w) * np.float64(w)
        grads[e] += l2 * w
    return s


@njit(cache=True)
def _optimizer_step(kind, p, g, s0, s1, s2, hp, t, first):  # pragma: no cover
    """One update of the flat p by optimizer ``kind`` (see _KINDS; hp holds its raw hyper-parameters in
    the optimizer table's order, s0..s2 its state slots in the table's order); t is its 1-based number.

    Serial: the parallel drivers would compile six more parfor functions for a small gain (the
    step is a small part of an epoch)."""
    dt = p.dtype.type
    n = p.shape[0]
    if kind == 0:
        _sgd(p, g, s0, dt(hp[0]), dt(hp[1]), dt(1.0 - hp[2]), dt(hp[3]), hp[3] != 0.0, hp[1] != 0.0, hp[4] != 0.0,
             first, 0, n)
    elif kind == 1:
        lr, beta1, beta2, eps, wd = hp[0], hp[1], hp[2], hp[3], hp[4]
        bc1 = 1.0 - beta1 ** t
        bc2 = 1.0 - beta2 ** t
        _adam(p, g, s0, s1, dt(lr / bc1), dt(np.sqrt(bc2)), dt(beta1), dt(beta2), dt(1.0 - beta1), dt(1.0 - beta2),
              dt(eps), dt(wd), wd != 0.0, dt(1.0 - lr * wd), hp[5] != 0.0, 0, n)
    elif kind == 2:
        _rmsprop(p, g, s0, s1, s2, dt(hp[0]), dt(hp[1]), dt(1.0 - hp[1]), dt(hp[2]), dt(hp[3]), hp[3] != 0.0,
                 dt(hp[4]), hp[4] > 0.0, hp[5] != 0.0, 0, n)
    elif kind == 3:
        _adagrad(p, g, s0, dt(hp[0] / (1.0 + (t - 1) * hp[1])), dt(hp[2]), hp[2] != 0.0, dt(hp[3]), 0, n)
    elif kind == 4:
        _adadelta(p, g, s0, s1, dt(hp[0]), dt(hp[1]), dt(1.0 - hp[1]), dt(hp[2]), dt(hp[3]), hp[3] != 0.0, 0, n)
    else:
        _rprop(p, g, s0, s1, dt(hp[0]), dt(hp[1]), dt(hp[2]), dt(hp[3]), 0, n)


@njit(cache=True)
def _forward(xb, params, zbuf, hbuf, sizes, w_off, b_off, z_off, nb, act, mc, kc, nc, nthreads):  # pragma: no cover
    """Layer l: z = h_{l-1} @ W + b into zbuf, h = act(z) into hbuf (hidden layers; the logits stay z)."""
    L = sizes.shape[0] - 1
    zero = w_off[0] * 0  # offsets and strides as int64 variables, not literals: one _mm signature
    one = zero + 1
    x_in = xb
    for l in range(L):
        n_in, n_out = sizes[l], sizes[l + 1]
        z = zbuf[z_off[l]:z_off[l] + nb * n_out].reshape((nb, n_out))
        _mm(x_in, zero, n_in, one, params, w_off[l], n_out, one, nb, n_out, n_in, z, mc, kc, nc, nthreads)
        b = params[b_off[l]:b_off[l] + n_out]
        if l < L - 1:
            _bias_act_rows(z, b, act, hbuf[z_off[l]:z_off[l] + nb * n_out].reshape((nb, n_out)), 0, nb)
            x_in = hbuf[z_off[l]:z_off[l] + nb * n_out]
        else:
            _bias_act_rows(z, b, 0, z, 0, nb)


@njit(cache=True)
def _backward(xb, params, grads, zbuf, hbuf, ga, gb, gb64, sizes, w_off, b_off, z_off, nb, act, l2, use_l2,
              mc, kc, nc, nthreads):  # pragma: no cover
    """Back-propagate the logits' gradient (in ga) into grads, with l2 * W on the weight gradients;
    returns Σ‖W‖² (when use_l2). ga and gb are scratch."""
    L = sizes.shape[0] - 1
    zero = w_off[0] * 0  # offsets and strides as int64 variables, not literals: one _mm signature
    one = zero + 1
    sumsq = 0.0
    gcur, gnext = ga, gb
    for l in range(L - 1, -1, -1):
        n_in, n_out = sizes[l], sizes[l + 1]
        a = act if l < L - 1 else 0
        g2 = gcur[:nb * n_out].reshape((nb, n_out))
        zl = zbuf[z_off[l]:z_off[l] + nb * n_out].reshape((nb, n_out))
        hl = hbuf[z_off[l]:z_off[l] + nb * n_out].reshape((nb, n_out)) if l < L - 1 else zl
        sums = gb64[:n_out]
        sums[:] = 0.0
        _act_grad_rows(zl, hl, g2, a, g2, sums, 0, nb)  # g2 becomes grad_z in place
        for j in range(n_out):
            grads[b_off[l] + j] = sums[j]
        x_in = xb if l == 0 else hbuf[z_off[l - 1]:z_off[l - 1] + nb * n_in]
        gw = grads[w_off[l]:w_off[l] + n_in * n_out].reshape((n_in, n_out))
        _mm(x_in, zero, one, n_in, gcur, zero, n_out, one, n_in, n_out, nb, gw, mc, kc, nc, nthreads)
        if use_l2:
            sumsq += _l2_grad(params, grads, w_off[l], w_off[l] + n_in * n_out, l2)
        if l > 0:
            gx = gnext[:nb * n_in].reshape((nb, n_in))
            _mm(gcur, zero, n_out, one, params, w_off[l], one, n_out, nb, n_in, n_out, gx, mc, kc, nc, nthreads)
            gcur, gnext = gnext, gcur
    return sumsq


@njit(cache=True)
def _batch_loss(logits, lb, yb, g, nb, k, loss):  # pragma: no cover
    """The batch loss (rounded to the dtype, as a float64) and its gradient with respect to the logits into g."""
    dt = g.dtype.type
    inv_n = 1.0 / nb
    if loss == 0:
        return np.float64(dt(_softmax_ce_rows(logits.reshape((nb, k)), lb, g.reshape((nb, k)), inv_n, 0, nb) * inv_n))
    if loss == 1:
        return np.float64(dt(_bce_range(logits, yb, g, inv_n, 0, nb) * inv_n))
    value = 0.5 * np.float64(dt(_mse_range(logits, yb, g, 2.0 / (nb * k), 0, nb * k) / (nb * k)))
    scale = dt(0.5 * k)
    for e in range(nb * k):
        g[e] *= scale
    return value


@njit(cache=True)
def _batch_loss_w(logits, lb, yb, wb, sw, g, nb, k, loss):  # pragma: no cover
    """As _batch_loss, weighted by the batch's weights wb (their sum sw > 0): the weighted mean."""
    dt = g.dtype.type
    inv_sw = 1.0 / sw
    if loss == 0:
        return np.float64(dt(_softmax_ce_rows_w(logits.reshape((nb, k)), lb, wb, g.reshape((nb, k)), inv_sw, 0, nb)
                             * inv_sw))
    if loss == 1:
        return np.float64(dt(_bce_range_w(logits, yb, wb, g, inv_sw, 0, nb) * inv_sw))
    value = 0.5 * np.float64(dt(_mse_rows_w(logits, yb, wb, g, k, 2.0 / (k * sw), 0, nb) / (k * sw)))
    scale = dt(0.5 * k)
    for e in range(nb * k):
        g[e] *= scale
    return value


@njit(cache=True)
def _epoch(X, labels, Y, W, order, params, grads, s0, s1, s2, sizes, act, loss, alpha, batch_size, kind, hp,
           step, first_step, mc, kc, nc, nthreads):  # pragma: no cover
    L = sizes.shape[0] - 1
    n0 = sizes[0]
    k = sizes[L]
    m = order.shape[0]
    if m == 0:
        return 0.0, 0
    bs = min(batch_size, m)
    w_off = np.empty(L, np.int64)
    b_off = np.empty(L, np.int64)
    z_off = np.empty(L, np.int64)
    off = 0
    zt = 0
    width = n0
    for l in range(L):
        w_off[l] = off
        b_off[l] = off + sizes[l] * sizes[l + 1]
        off = b_off[l] + sizes[l + 1]
        z_off[l] = zt
        zt += bs * sizes[l + 1]
        width = max(width, sizes[l + 1])
    xb = np.empty(bs * n0, params.dtype)
    lb = np.empty(bs, np.int64)
    yb = np.empty(bs * k, params.dtype)
    zbuf = np.empty(zt, params.dtype)
    hbuf = np.empty(zt, params.dtype) if act != 0 else zbuf  # the hidden outputs; the last layer's h is z
    ga = np.empty(bs * width, params.dtype)
    gb = np.empty(bs * width, params.dtype)
    gb64 = np.empty(width, np.float64)
    use_labels = loss == 0
    weighted = W.shape[0] > 0
    wb = np.empty(bs if weighted else 0, params.dtype)
    total = 0.0
    steps = 0
    for start in range(0, m, bs):
        nb = min(bs, m - start)
        denom = float(nb)  # |B|, or the batch's total weight when weighted
        if weighted:
            sw = 0.0
            for r in range(nb):
                wb[r] = W[order[start + r]]
                sw += np.float64(wb[r])
            if not sw > 0.0:
                continue  # a batch of zero total weight: as if its rows were absent
            denom = sw
        for r in range(nb):
            src = order[start + r]
            for j in range(n0):
                xb[r * n0 + j] = X[src, j]
            if use_labels:
                lb[r] = labels[src]
            else:
                for j in range(k):
                    yb[r * k + j] = Y[src, j]
        _forward(xb, params, zbuf, hbuf, sizes, w_off, b_off, z_off, nb, act, mc, kc, nc, nthreads)
        logits = zbuf[z_off[L - 1]:z_off[L - 1] + nb * k]
        if weighted:
            value = _batch_loss_w(logits, lb[:nb], yb[:nb * k], wb[:nb], denom, ga[:nb * k], nb, k, loss)
        else:
            value = _batch_loss(logits, lb[:nb], yb[:nb * k], ga[:nb * k], nb, k, loss)
        sumsq = _backward(xb, params, grads, zbuf, hbuf, ga, gb, gb64, sizes, w_off, b_off, z_off, nb, act,
                          params.dtype.type(alpha / denom), alpha != 0.0, mc, kc, nc, nthreads)
        if alpha != 0.0:
            value += 0.5 * alpha * sumsq / denom
        if not np.isfinite(value):
            return value, steps
        steps += 1
        _optimizer_step(kind, params, grads, s0, s1, s2, hp, step + steps, first_step and steps == 1)
        total += value * nb
    return total, steps


def mlp_epoch(X, targets, order, params, grads, state, layer_sizes, act, loss, alpha, batch_size, optimizer, hyper,
              step, first_step, sample_weight=None):
    """One epoch (see the contract); the checked arguments are packed into the jitted epoch's fixed types."""
    dtype = params.dtype
    empty = np.empty(0, dtype)
    spec = OPTIMIZERS[optimizer]
    hp = np.array([float(hyper[h.name]) for h in spec.hyper] + [0.0] * (8 - len(spec.hyper)))
    s = [state[name] if state.get(name) is not None else empty for name in spec.state]
    s += [empty] * (3 - len(s))
    k = layer_sizes[-1]
    if loss == 0:
        labels, Y = targets, np.empty((0, k), dtype)
    else:
        labels, Y = np.empty(0, np.int64), targets.reshape(-1, k)
    mc, kc, nc = _BLOCKING[dtype]
    W = empty if sample_weight is None else sample_weight
    total, steps = _epoch(X, labels, Y, W, order, params, grads, s[0], s[1], s[2], np.asarray(layer_sizes, np.int64),
                          int(act), int(loss), float(alpha), int(batch_size), _KINDS[optimizer], hp, int(step),
                          bool(first_step), mc, kc, nc, _threads())
    return float(total), int(steps)
