"""One MLP training epoch for the Numba backend: the whole minibatch loop in one jitted call.

The loop reuses this backend's jitted pieces — the packed GEMM (``_mm``, the same one matmul
uses), the fused bias+activation and activation-derivative row passes, the loss
row kernels and the optimizer step loops — with every work buffer allocated once per epoch.
The optimizer's hyper-parameters travel as one float64 array and its state as three arrays
(empty where unused), so the epoch compiles once per dtype.

With the tricks of issue #11 (the contract's ``tricks`` dict) a second jitted epoch runs,
``_epoch_tricks``: the same GEMMs and loss/optimizer passes, with the row and column passes of
``_mlp_tricks.py`` between them (spectral power step, bias + normalization + activation + dropout +
residual add in one sweep over each hidden block, and their backward passes). The dict becomes
arrays and scalars of fixed types in the wrapper, so that epoch also compiles once per dtype;
without tricks the call takes today's ``_epoch`` untouched.
"""
import numpy as np
from numba import njit

from . import _mlp_tricks as tr
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
    """grads[lo:hi] += l2 * params[lo:hi]; returns Σ params[lo:hi]² (float64, reassociated: vectorized).

    The loop runs over slices from 0 (see optim.py): indexed ``range(lo, hi)`` it was not
    vectorized and took a third of the 784-256-10 epoch (1.1 ns per weight; 0.09 sliced)."""
    p = params[lo:hi]
    g = grads[lo:hi]
    s = 0.0
    for e in range(p.shape[0]):
        w = p[e]
        s += np.float64(w) * np.float64(w)
        g[e] += l2 * w
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


@njit(cache=True)
def _epoch_tricks(X, labels, Y, W, order, params, grads, s0, s1, s2, sizes, act, loss, alpha, batch_size, kind, hp,
                  step, first_step, mc, kc, nc, nthreads, keep, scales, seed, norm, groups, momentum, eps, running,
                  residual, spectral, sv):  # pragma: no cover
    """The epoch with the tricks of issue #11 (see the contract): normalization (norm 1 batch, 2 group),
    dropout (keep: per hidden layer the uint64 keep threshold, scales its 1/(1-p) as a float64; a
    threshold of 0 is no dropout), residual skips, spectral normalization (sv: u, v per layer).
    params holds per layer W, b and, for the hidden layers when norm != 0, gamma and beta."""
    L = sizes.shape[0] - 1
    n0 = sizes[0]
    k = sizes[L]
    m = order.shape[0]
    if m == 0:
        return 0.0, 0
    dt = params.dtype.type
    bs = min(batch_size, m)
    w_off = np.empty(L, np.int64)
    b_off = np.empty(L, np.int64)
    g_off = np.empty(L, np.int64)  # gamma; beta follows (hidden layers with norm)
    z_off = np.empty(L, np.int64)  # the layer's (bs, n_out) block in the activation buffers
    st_off = np.empty(L, np.int64)  # its statistics (mean, invstd)
    rm_off = np.empty(L, np.int64)  # its running mean; the running variance follows
    u_off = np.empty(L, np.int64)  # its spectral u; v follows
    off = 0
    zt = 0
    stt = 0
    rt = 0
    ut = 0
    width = n0
    for l in range(L):
        n_out = sizes[l + 1]
        w_off[l] = off
        b_off[l] = off + sizes[l] * n_out
        off = b_off[l] + n_out
        g_off[l] = -1
        if norm != 0 and l < L - 1:
            g_off[l] = off
            off += 2 * n_out
        z_off[l] = zt
        zt += bs * n_out
        st_off[l] = stt
        stt += max(n_out, bs * groups)
        rm_off[l] = rt
        if l < L - 1:
            rt += 2 * n_out
        u_off[l] = ut
        ut += n_out + sizes[l]
        width = max(width, n_out)
    xb = np.empty(bs * n0, params.dtype)
    lb = np.empty(bs, np.int64)
    yb = np.empty(bs * k, params.dtype)
    zbuf = np.empty(zt, params.dtype)  # z (+ b) of every layer; the logits are the last
    abuf = np.empty(zt if norm != 0 else 0, params.dtype)  # the normalized z: the activation's input
    gbuf = np.empty(zt, params.dtype)  # the activation's output
    hbuf = np.empty(zt, params.dtype)  # the hidden layers' outputs (after dropout and the skip)
    mbuf = np.empty(zt, np.uint8)
    mean = np.empty(stt, np.float64)  # the normalization's statistics (float64), per layer
    invstd = np.empty(stt, np.float64)
    wt = np.empty(params.shape[0] if spectral else 0, params.dtype)  # W / sigma at the params' offsets
    sigma = np.ones(L, np.float64)
    acc = np.empty(max(width, n0), np.float64)
    ga = np.empty(bs * width, params.dtype)
    gb = np.empty(bs * width, params.dtype)
    gc = np.empty(bs * width, params.dtype)
    g_gamma = np.empty(width, np.float64)
    g_beta = np.empty(width, np.float64)
    g_bias = np.empty(width, np.float64)
    wsrc = wt if spectral else params  # the weights the GEMMs use
    zero = w_off[0] * 0  # offsets and strides as int64 variables, not literals: one _mm signature
    one = zero + 1
    use_labels = loss == 0
    weighted = W.shape[0] > 0
    wb = np.empty(bs if weighted else 0, params.dtype)
    l2 = alpha != 0.0
    total = 0.0
    steps = 0
    for start in range(0, m, bs):
        nb = min(bs, m - start)
        if norm == 1 and nb == 1:
            continue  # batch norm never trains on one row (torch refuses it): the batch is skipped
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
            xr = xb[r * n0:(r + 1) * n0]  # row views: the copy vectorizes
            xs = X[src]
            for j in range(n0):
                xr[j] = xs[j]
            if use_labels:
                lb[r] = labels[src]
            else:
                for j in range(k):
                    yb[r * k + j] = Y[src, j]
        stream = np.uint64(step + steps + 1)  # this batch's update number
        # spectral norm: one power-iteration step per layer, W / sigma into wt
        if spectral:
            for l in range(L):
                sigma[l] = tr.spectral_step(params, w_off[l], sizes[l], sizes[l + 1], sv, u_off[l],
                                            u_off[l] + sizes[l + 1], wt, acc)
        # forward
        x_in = xb
        for l in range(L):
            n_in, n_out = sizes[l], sizes[l + 1]
            zo = z_off[l]
            z = zbuf[zo:zo + nb * n_out].reshape((nb, n_out))
            _mm(x_in, zero, n_in, one, wsrc, w_off[l], n_out, one, nb, n_out, n_in, z, mc, kc, nc, nthreads)
            b = params[b_off[l]:b_off[l] + n_out]
            if l == L - 1:
                _bias_act_rows(z, b, 0, z, 0, nb)
                break
            drop = keep[l] != 0
            if drop:
                tr.dropout_mask(seed, stream, np.uint64(l) << np.uint64(40), keep[l], mbuf[zo:zo + nb * n_out],
                                nb * n_out)
            h = hbuf[zo:zo + nb * n_out].reshape((nb, n_out))
            res = residual and n_in == n_out
            go = g_off[l] if norm != 0 else 0
            tr.hidden_forward(z, b, nb, n_out, act, norm, groups, eps, params[go:go + n_out],
                              params[go + n_out:go + 2 * n_out], mean[st_off[l]:], invstd[st_off[l]:],
                              abuf[zo:zo + nb * n_out].reshape((nb, n_out)) if norm != 0 else z,
                              gbuf[zo:zo + nb * n_out].reshape((nb, n_out)), drop,
                              mbuf[zo:zo + nb * n_out].reshape((nb, n_out)), dt(scales[l]), h,
                              x_in[:nb * n_in].reshape((nb, n_in)), res, running, rm_off[l], momentum)
            x_in = hbuf[zo:zo + nb * n_out]
        logits = zbuf[z_off[L - 1]:z_off[L - 1] + nb * k]
        if weighted:
            value = _batch_loss_w(logits, lb[:nb], yb[:nb * k], wb[:nb], denom, ga[:nb * k], nb, k, loss)
        else:
            value = _batch_loss(logits, lb[:nb], yb[:nb * k], ga[:nb * k], nb, k, loss)
        # backward: gcur holds the gradient with respect to the layer's output
        l2c = dt(alpha / denom)
        sumsq = 0.0
        gcur, gz, gnext = ga, gb, gc
        for l in range(L - 1, -1, -1):
            n_in, n_out = sizes[l], sizes[l + 1]
            zo = z_off[l]
            if l == L - 1:
                gzl = gcur[:nb * n_out]  # the logits' gradient is grad z
                for j in range(n_out):
                    g_bias[j] = 0.0
                g2 = gzl.reshape((nb, n_out))
                for r in range(nb):
                    for j in range(n_out):
                        g_bias[j] += np.float64(g2[r, j])
            else:
                gzl = gz[:nb * n_out]
                go = g_off[l] if norm != 0 else 0
                a_in = abuf[zo:zo + nb * n_out] if norm != 0 else zbuf[zo:zo + nb * n_out]  # the activation's input
                tr.hidden_backward(gcur[:nb * n_out].reshape((nb, n_out)), nb, n_out, act, norm, groups,
                                   params[go:go + n_out], mean[st_off[l]:], invstd[st_off[l]:],
                                   a_in.reshape((nb, n_out)), gbuf[zo:zo + nb * n_out].reshape((nb, n_out)),
                                   zbuf[zo:zo + nb * n_out].reshape((nb, n_out)), keep[l] != 0,
                                   mbuf[zo:zo + nb * n_out].reshape((nb, n_out)), dt(scales[l]),
                                   gzl.reshape((nb, n_out)), g_gamma, g_beta, g_bias)
                if norm != 0:
                    for j in range(n_out):
                        grads[go + j] = g_gamma[j]
                        grads[go + n_out + j] = g_beta[j]
            for j in range(n_out):
                grads[b_off[l] + j] = g_bias[j]
            x_in = xb if l == 0 else hbuf[z_off[l - 1]:z_off[l - 1] + nb * n_in]
            gw = grads[w_off[l]:w_off[l] + n_in * n_out].reshape((n_in, n_out))
            _mm(x_in, zero, one, n_in, gzl, zero, n_out, one, n_in, n_out, nb, gw, mc, kc, nc, nthreads)
            if spectral:
                tr.spectral_grad(params, grads, w_off[l], n_in, n_out, sv, u_off[l], u_off[l] + n_out, sigma[l])
            if l2:
                sumsq += tr.l2_grad(params, grads, w_off[l], w_off[l] + n_in * n_out, l2c)
            if l > 0:
                gx = gnext[:nb * n_in].reshape((nb, n_in))
                _mm(gzl, zero, n_out, one, wsrc, w_off[l], one, n_out, nb, n_in, n_out, gx, mc, kc, nc, nthreads)
                if l < L - 1 and residual and n_in == n_out:
                    tr.add_into(gnext, gcur, nb * n_in)  # the skip: h_l's gradient gets h_{l+1}'s
                gcur, gnext = gnext, gcur
        if l2:
            value += 0.5 * alpha * sumsq / denom
        if not np.isfinite(value):
            return value, steps
        steps += 1
        _optimizer_step(kind, params, grads, s0, s1, s2, hp, step + steps, first_step and steps == 1)
        total += value * nb
    return total, steps


def mlp_epoch(X, targets, order, params, grads, state, layer_sizes, act, loss, alpha, batch_size, optimizer, hyper,
              step, first_step, sample_weight=None, tricks=None):
    """One epoch (see the contract); the checked arguments are packed into the jitted epoch's fixed types.

    ``tricks`` (issue #11; None: today's network and code path) is the contract's dict, turned here
    into arrays and scalars of fixed types so the tricks' epoch compiles once per dtype."""
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
    if tricks is not None:
        return _call_tricks(X, labels, Y, W, order, params, grads, s, layer_sizes, act, loss, alpha, batch_size,
                            optimizer, hp, step, first_step, mc, kc, nc, tricks)
    total, steps = _epoch(X, labels, Y, W, order, params, grads, s[0], s[1], s[2], np.asarray(layer_sizes, np.int64),
                          int(act), int(loss), float(alpha), int(batch_size), _KINDS[optimizer], hp, int(step),
                          bool(first_step), mc, kc, nc, _threads())
    return float(total), int(steps)


def _call_tricks(X, labels, Y, W, order, params, grads, s, layer_sizes, act, loss, alpha, batch_size, optimizer, hp,
                 step, first_step, mc, kc, nc, tricks):
    dtype = params.dtype
    empty = np.empty(0, dtype)
    n_hidden = len(layer_sizes) - 2
    ps = [float(p) for p in tricks["dropout"]]
    if len(ps) != n_hidden:
        raise ValueError(f"tricks['dropout']: expected {n_hidden} probabilities, got {len(ps)}")
    # keep iff word >> 8 >= ceil(p * 2**24) (exact in double); scale 1 / (1 - p) in double
    keep = np.array([int(np.ceil(p * 16777216.0)) for p in ps] + [0], np.uint64)
    scales = np.array([1.0 / (1.0 - p) for p in ps] + [1.0], np.float64)
    norm = int(tricks["norm"])
    groups = int(tricks["groups"]) if norm == 2 else 1
    running = tricks.get("running")
    running = empty if running is None else running
    sv = tricks.get("spectral")
    spectral = sv is not None
    sv = empty if sv is None else sv
    for name, arr in (("running", running), ("spectral", sv)):
        if arr.dtype != dtype or not arr.flags.c_contiguous or arr.ndim != 1:
            raise TypeError(f"tricks[{name!r}]: expected a C-contiguous 1-D {dtype} array, got {arr.dtype} "
                            f"with shape {arr.shape}")
    total, steps = _epoch_tricks(X, labels, Y, W, order, params, grads, s[0], s[1], s[2],
                                 np.asarray(layer_sizes, np.int64), int(act), int(loss), float(alpha),
                                 int(batch_size), _KINDS[optimizer], hp, int(step), bool(first_step), mc, kc, nc,
                                 _threads(), keep, scales, np.uint64(int(tricks["seed"])), norm, groups,
                                 float(tricks["momentum"]), float(tricks["eps"]), running, bool(tricks["residual"]),
                                 spectral, sv)
    return float(total), int(steps)
