"""The row and column passes of ``mlp_epoch``'s tricks (issue #11) for the Numba backend.

Each pass works on one layer's (nb, n_out) block while it is in cache: the pre-activation after the
GEMM gets its bias, its normalization (batch statistics down the columns, group statistics along
the rows), the activation, the dropout mask and the residual add in one sweep over the rows; the
backward passes undo them in the reverse order. Statistics and the reductions of the backward
passes are accumulated in float64 and rounded to the dtype once (the ``norms`` contract). The
dropout mask of element e of layer l is word ``(l << 40) + e`` of stream t (the update number)
under key ``seed`` (``_philox.py``'s numbering), kept iff ``word >> 8 >= keep_threshold(p)``.

Spectral normalization (one power-iteration step per training step, as torch's parametrization
of a Linear layer; our W is torch's weightᵀ) and the gradient of the raw weight are here too.
"""
import numpy as np
from numba import njit

from ._philox import philox4x32

_LO = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)
_8 = np.uint64(8)
_2 = np.uint64(2)

# 'contract' only: the passes below stay elementwise-exact apart from fused multiply-adds; no
# 'arcp' (x / σ must be a true division) and no 'reassoc' (the float64 sums keep their order).
_FM = {"contract", "nsz"}


@njit(cache=True, inline="always")
def _act(v, act, zero, one):  # pragma: no cover
    """The hidden activation of one value (codes of layers.py: 0 identity, 1 relu, 2 sigmoid, 3 tanh)."""
    if act == 1:
        return zero if v < zero else v  # relu(NaN) = NaN
    if act == 2:
        if v >= zero:
            return one / (one + np.exp(-v))
        e = np.exp(v)
        return e / (one + e)
    if act == 3:
        return np.tanh(v)
    return v


@njit(cache=True, inline="always")
def _act_deriv(a, g, act, zero, one):  # pragma: no cover
    """act'(a) from its input a and output g (relu: 1[a > 0], NaN for a NaN a)."""
    if act == 1:
        return one if a > zero else (zero if a <= zero else a)
    if act == 2:
        return g * (one - g)
    if act == 3:
        return one - g * g
    return one


@njit(cache=True)
def dropout_mask(seed, stream, offset, thr, mask, n):  # pragma: no cover
    """mask[e] = 1 iff (word(offset + e) >> 8) >= thr, e < n, for the words of ``stream`` under ``seed``
    (uint64 scalars; ``offset`` a multiple of 4, so element e's word is word e % 4 of block
    offset / 4 + e // 4)."""
    k0, k1 = seed & _LO, seed >> _32
    s0, s1 = stream & _LO, stream >> _32
    block0 = offset >> _2
    nfull = n // 4
    for q in range(nfull):
        blk = block0 + np.uint64(q)
        w0, w1, w2, w3 = philox4x32(blk & _LO, blk >> _32, s0, s1, k0, k1)
        e = 4 * q
        mask[e] = np.uint8(1) if (w0 >> _8) >= thr else np.uint8(0)
        mask[e + 1] = np.uint8(1) if (w1 >> _8) >= thr else np.uint8(0)
        mask[e + 2] = np.uint8(1) if (w2 >> _8) >= thr else np.uint8(0)
        mask[e + 3] = np.uint8(1) if (w3 >> _8) >= thr else np.uint8(0)
    rest = n - 4 * nfull
    if rest:
        blk = block0 + np.uint64(nfull)
        w0, w1, w2, w3 = philox4x32(blk & _LO, blk >> _32, s0, s1, k0, k1)
        e = 4 * nfull
        mask[e] = np.uint8(1) if (w0 >> _8) >= thr else np.uint8(0)
        if rest > 1:
            mask[e + 1] = np.uint8(1) if (w1 >> _8) >= thr else np.uint8(0)
        if rest > 2:
            mask[e + 2] = np.uint8(1) if (w2 >> _8) >= thr else np.uint8(0)


@njit(cache=True, fastmath=_FM)
def batch_stats(z, nb, n_out, mean, invstd, eps, running, rm_off, momentum, update_running):  # pragma: no cover
    """Column statistics of z (nb, n_out) in float64, two passes: mean, invstd = 1/sqrt(var + eps) with
    the biased variance (float64 arrays); the running mean and unbiased variance updated (momentum,
    rounded once to the dtype) at running[rm_off:], running[rm_off + n_out:] when update_running."""
    for j in range(n_out):
        mean[j] = 0.0
        invstd[j] = 0.0
    for i in range(nb):
        zr = z[i]
        for j in range(n_out):
            mean[j] += np.float64(zr[j])
    for j in range(n_out):
        mean[j] = mean[j] / nb
    for i in range(nb):
        zr = z[i]
        for j in range(n_out):
            d = np.float64(zr[j]) - mean[j]
            invstd[j] += d * d
    dt = z.dtype.type
    for j in range(n_out):
        var = invstd[j] / nb
        invstd[j] = 1.0 / np.sqrt(var + eps)
        if update_running:
            rm = running[rm_off + j]
            rv = running[rm_off + n_out + j]
            running[rm_off + j] = dt((1.0 - momentum) * np.float64(rm) + momentum * mean[j])
            running[rm_off + n_out + j] = dt((1.0 - momentum) * np.float64(rv) + momentum * (var * (nb / (nb - 1))))


@njit(cache=True, fastmath=_FM)
def group_stats_row(zr, n_out, groups, eps, mean_r, invstd_r):  # pragma: no cover
    """One row: mean and invstd (biased variance; float64, two passes) of each group of n_out / groups features."""
    k = n_out // groups
    for g in range(groups):
        s = 0.0
        for j in range(g * k, (g + 1) * k):
            s += np.float64(zr[j])
        mu = s / k
        q = 0.0
        for j in range(g * k, (g + 1) * k):
            d = np.float64(zr[j]) - mu
            q += d * d
        mean_r[g] = mu
        invstd_r[g] = 1.0 / np.sqrt(q / k + eps)


@njit(cache=True, fastmath=_FM)
def hidden_forward(z, b, nb, n_out, act, norm, groups, eps, gamma, beta, mean, invstd, a, g, drop, mask, scale,
                   h, hprev, residual, running, rm_off, momentum):  # pragma: no cover
    """A hidden layer after its GEMM (z = h_prev @ W̃ in z): z += b, then per row a = x̂·γ + β with
    x̂ = (z − mean)·invstd (norm 1 batch, 2 group; float64, rounded once; else a = z), g = act(a),
    d = g·s where the mask keeps (else 0) when ``drop``, h = h_prev + d when ``residual`` else d.

    Arrays are (nb, n_out) views; a, g, mask are only written when used (norm; always; drop).
    mean, invstd: float64, (n_out,) for batch norm, (nb, groups) flattened for group norm, kept for
    the backward pass. Batch norm updates the running statistics (when running is non-empty)."""
    dt = z.dtype.type
    zero = dt(0)
    one = dt(1)
    for i in range(nb):
        zr = z[i]
        for j in range(n_out):
            zr[j] = zr[j] + b[j]
    if norm == 1:
        batch_stats(z, nb, n_out, mean, invstd, eps, running, rm_off, momentum, running.shape[0] > 0)
    for i in range(nb):
        zr = z[i]
        hr = h[i]
        if norm == 2:
            group_stats_row(zr, n_out, groups, eps, mean[i * groups:(i + 1) * groups],
                            invstd[i * groups:(i + 1) * groups])
            k = n_out // groups
            ar = a[i]
            for gi in range(groups):
                mu = mean[i * groups + gi]
                inv = invstd[i * groups + gi]
                for j in range(gi * k, (gi + 1) * k):
                    ar[j] = dt((np.float64(zr[j]) - mu) * inv * np.float64(gamma[j]) + np.float64(beta[j]))
            src = ar
        elif norm == 1:
            ar = a[i]
            for j in range(n_out):
                ar[j] = dt((np.float64(zr[j]) - mean[j]) * invstd[j] * np.float64(gamma[j]) + np.float64(beta[j]))
            src = ar
        else:
            src = zr
        gr = g[i]
        for j in range(n_out):
            gr[j] = _act(src[j], act, zero, one)
        if drop:
            mr = mask[i]
            for j in range(n_out):
                hr[j] = gr[j] * scale if mr[j] else zero  # a dropped unit is exactly 0, even if g is NaN
        else:
            for j in range(n_out):
                hr[j] = gr[j]
        if residual:
            pr = hprev[i]
            for j in range(n_out):
                hr[j] = pr[j] + hr[j]


@njit(cache=True, fastmath=_FM)
def hidden_backward(gh, nb, n_out, act, norm, groups, gamma, mean, invstd, a, g, z, drop, mask, scale, gz,
                    g_gamma, g_beta, g_bias):  # pragma: no cover
    """The gradient of a hidden layer with respect to its pre-normalization z (into gz) from gh (the
    gradient with respect to its output d, the residual's skip excluded): through the dropout (gh·s
    where kept, exactly 0 elsewhere), the activation (both in the dtype), the normalization
    (training mode; float64 with x̂ recomputed from z and the float64 statistics, rounded once).
    Writes the float64 column sums g_gamma = Σ ∂a·x̂, g_beta = Σ ∂a (norm only), g_bias = Σ gz."""
    dt = gz.dtype.type
    zero = dt(0)
    one = dt(1)
    for j in range(n_out):
        g_bias[j] = 0.0
        g_gamma[j] = 0.0
        g_beta[j] = 0.0
    src = a if norm != 0 else z
    # pass 1: ∂a = ∂d · mask · s · act'(a) into gz, and the column sums of the norm's parameters
    for i in range(nb):
        ghr = gh[i]
        out = gz[i]
        sr = src[i]
        gr = g[i]
        if drop:
            mr = mask[i]
            for j in range(n_out):
                out[j] = (ghr[j] * scale if mr[j] else zero) * _act_deriv(sr[j], gr[j], act, zero, one)
        else:
            for j in range(n_out):
                out[j] = ghr[j] * _act_deriv(sr[j], gr[j], act, zero, one)
        if norm == 1:
            zr = z[i]
            for j in range(n_out):
                d = np.float64(out[j])
                g_beta[j] += d
                g_gamma[j] += d * ((np.float64(zr[j]) - mean[j]) * invstd[j])
        elif norm == 2:
            zr = z[i]
            k = n_out // groups
            for gi in range(groups):
                mu = mean[i * groups + gi]
                inv = invstd[i * groups + gi]
                for j in range(gi * k, (gi + 1) * k):
                    d = np.float64(out[j])
                    g_beta[j] += d
                    g_gamma[j] += d * ((np.float64(zr[j]) - mu) * inv)
    if norm == 1:
        # grad_x = γ·invstd/n · (n·∂a − Σ∂a − x̂·Σ∂a·x̂)
        for i in range(nb):
            out = gz[i]
            zr = z[i]
            for j in range(n_out):
                xh = (np.float64(zr[j]) - mean[j]) * invstd[j]
                out[j] = dt(np.float64(gamma[j]) * invstd[j] / nb
                            * (nb * np.float64(out[j]) - g_beta[j] - xh * g_gamma[j]))
    elif norm == 2:
        # per row and group, with ĝ = ∂a·γ: grad_x = invstd/k · (k·ĝ − Σĝ − x̂·Σĝx̂)
        k = n_out // groups
        for i in range(nb):
            out = gz[i]
            zr = z[i]
            for gi in range(groups):
                mu = mean[i * groups + gi]
                inv = invstd[i * groups + gi]
                s1 = 0.0
                s2 = 0.0
                for j in range(gi * k, (gi + 1) * k):
                    gg = np.float64(out[j]) * np.float64(gamma[j])
                    s1 += gg
                    s2 += gg * ((np.float64(zr[j]) - mu) * inv)
                for j in range(gi * k, (gi + 1) * k):
                    xh = (np.float64(zr[j]) - mu) * inv
                    out[j] = dt(inv / k * (k * (np.float64(out[j]) * np.float64(gamma[j])) - s1 - xh * s2))
    for i in range(nb):
        out = gz[i]
        for j in range(n_out):
            g_bias[j] += np.float64(out[j])


@njit(cache=True, fastmath=_FM)
def add_into(dst, src, n):  # pragma: no cover
    """dst[:n] += src[:n] (the residual skip's gradient)."""
    for e in range(n):
        dst[e] = dst[e] + src[e]


@njit(cache=True, fastmath=_FM)
def _normalize(x64, n):  # pragma: no cover
    """x64[:n] /= max(‖x64[:n]‖₂, 1e-12) (float64)."""
    s = 0.0
    for e in range(n):
        s += x64[e] * x64[e]
    d = max(np.sqrt(s), 1e-12)
    for e in range(n):
        x64[e] = x64[e] / d


@njit(cache=True, fastmath=_FM)
def _wt_v(params, w_off, n_in, n_out, sv, v_off, acc):  # pragma: no cover
    """acc[:n_out] = Wᵀ v (float64), W at params[w_off:] (n_in, n_out), v at sv[v_off:]."""
    for j in range(n_out):
        acc[j] = 0.0
    for i in range(n_in):
        vi = np.float64(sv[v_off + i])
        row = w_off + i * n_out
        for j in range(n_out):
            acc[j] += np.float64(params[row + j]) * vi


@njit(cache=True)
def spectral_step(params, w_off, n_in, n_out, sv, u_off, v_off, wt, acc):  # pragma: no cover
    """One power-iteration step and the normalized weight: u ← normalize(Wᵀv), v ← normalize(W u)
    (stored in sv, the dtype), σ = uᵀ Wᵀ v (float64 sums, with the stored u and v), W̃ = W / σ
    (σ rounded to the dtype first) into wt[w_off:]. Returns σ in the dtype (as a float64). acc:
    float64 scratch of at least max(n_in, n_out)."""
    dt = params.dtype.type
    _wt_v(params, w_off, n_in, n_out, sv, v_off, acc)
    _normalize(acc, n_out)
    for j in range(n_out):
        sv[u_off + j] = dt(acc[j])
    for i in range(n_in):
        row = w_off + i * n_out
        s = 0.0
        for j in range(n_out):
            s += np.float64(params[row + j]) * np.float64(sv[u_off + j])
        acc[i] = s
    _normalize(acc, n_in)
    for i in range(n_in):
        sv[v_off + i] = dt(acc[i])
    _wt_v(params, w_off, n_in, n_out, sv, v_off, acc)
    sigma = 0.0
    for j in range(n_out):
        sigma += np.float64(sv[u_off + j]) * acc[j]
    sig_t = dt(sigma)
    _divide(params, wt, w_off, n_in * n_out, sig_t)
    return np.float64(sig_t)


@njit(cache=True)
def _divide(src, dst, off, n, d):  # pragma: no cover
    """dst[off:off + n] = src[off:off + n] / d (true division in the dtype)."""
    for e in range(off, off + n):
        dst[e] = src[e] / d


@njit(cache=True)
def spectral_grad(params, grads, w_off, n_in, n_out, sv, u_off, v_off, sigma):  # pragma: no cover
    """The gradient of the raw W from G = ∂L/∂W̃ (in grads[w_off:]): G/σ − (⟨G, W⟩/σ²)·v uᵀ, in place."""
    dt = params.dtype.type
    n = n_in * n_out
    dot = 0.0
    for e in range(w_off, w_off + n):
        dot += np.float64(grads[e]) * np.float64(params[e])
    sig_t = dt(sigma)
    c = dt(dot / (sigma * sigma))
    for i in range(n_in):
        cv = c * sv[v_off + i]
        row = w_off + i * n_out
        for j in range(n_out):
            grads[row + j] = grads[row + j] / sig_t - cv * sv[u_off + j]
