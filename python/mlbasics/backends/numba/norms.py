"""Norms for the Numba backend: dropout (Philox masks), batch normalization, group normalization.

Dropout: element e takes word ``offset + e`` of the Philox stream (``_philox.philox4x32``, one
call per four consecutive words), so the masks are the NumPy reference's bit for bit; the flat
range is split into chunks over the threads, each chunk starting at its own word.

Batch norm reduces over the rows of each column: the columns are split into blocks over the
threads and each column is summed in row order (float64), so the statistics do not depend on the
thread count (and equal the reference's ``sum(axis=0)``, also a row-order sum, bit for bit).
Group norm's statistics are per row: rows go to the threads. The elementwise passes compute
exactly the reference's expressions in the reference's order, in float64, without ``fastmath``
(reassociation would move NaN and inf); only the within-row sums of group norm may reassociate.

``error_model="numpy"``: 1/0 is inf and sqrt(−1) is NaN, as in the reference, instead of an
exception.
"""
import numpy as np
from numba import njit, prange

from ..numpy._philox import keep_threshold
from ._philox import philox4x32
from .gemm import _PARALLEL_MIN_ELEMENTS, _threads

_JIT = dict(cache=True, error_model="numpy")
_JIT_SUM = dict(cache=True, error_model="numpy", fastmath={"contract", "reassoc", "nsz"})
_JIT_PAR = dict(cache=True, error_model="numpy", parallel=True)

_LO = np.uint64(0xFFFFFFFF)
_BLOCKS = np.uint64(2**62 - 1)  # block numbers (word >> 2) wrap mod 2**62 as word numbers wrap mod 2**64
#: Words generated per batch in dropout_range (a multiple of 4; 4 KiB of uint32).
_WORDS_CHUNK = 1024
_2, _3, _8, _32 = np.uint64(2), np.uint64(3), np.uint64(8), np.uint64(32)

#: Dropout elements per parallel chunk at least (Philox costs ~10 multiplications per 4 elements).
_DROPOUT_PAR_MIN = 1 << 14


def _chunks(work, parts):
    """Parallel chunks for ``work`` elements split into at most ``parts`` pieces (1 = serial)."""
    if work < _PARALLEL_MIN_ELEMENTS or parts < 2:
        return 1
    return max(1, min(_threads(), parts))


# --------------------------------------------------------------------------- dropout

@njit(**_JIT, inline="always")
def _keep(xf, s, yf, mf, e, word, thr, zero):  # pragma: no cover
    if (word >> _8) >= thr:
        yf[e] = xf[e] * s
        mf[e] = 1
    else:
        yf[e] = zero
        mf[e] = 0


@njit(**_JIT)
def _one(xf, s, k0, k1, s0, s1, offset, thr, yf, mf, e, zero):  # pragma: no cover
    """Element e alone (the ends of a range that do not fill a block of four words)."""
    w = offset + np.uint64(e)
    block = w >> _2
    r0, r1, r2, r3 = philox4x32(block & _LO, block >> _32, s0, s1, k0, k1)
    j = w & _3
    word = r0 if j == 0 else (r1 if j == 1 else (r2 if j == 2 else r3))
    _keep(xf, s, yf, mf, e, word, thr, zero)


@njit(**_JIT)
def _fill_words(first_block, nb, k0, k1, s0, s1, buf):  # pragma: no cover
    """The 4·nb words of the blocks first_block, first_block + 1, ... (mod 2**62) into buf: a
    branch-free loop over blocks, which LLVM vectorizes (several Philox counters per register)."""
    for b in range(nb):
        block = (first_block + np.uint64(b)) & _BLOCKS
        r0, r1, r2, r3 = philox4x32(block & _LO, block >> _32, s0, s1, k0, k1)
        buf[4 * b] = r0
        buf[4 * b + 1] = r1
        buf[4 * b + 2] = r2
        buf[4 * b + 3] = r3


@njit(**_JIT)
def dropout_range(xf, s, seed, stream, offset, thr, yf, mf, lo, hi):  # pragma: no cover
    """Flat elements lo:hi: mask e = [(word(offset + e) >> 8) >= thr], y = x·s where kept, else 0.

    seed, stream, offset, thr: uint64; s: a scalar of y's dtype. Also the building block of a
    fused dropout (e.g. in the MLP epoch): call it on the flat view of a row block. Whole blocks of
    four words are generated _WORDS_CHUNK at a time into a small buffer, then applied; the ends of
    the range that do not fill a block go one element at a time.
    """
    k0, k1 = seed & _LO, seed >> _32
    s0, s1 = stream & _LO, stream >> _32
    zero = yf.dtype.type(0)
    e = lo
    while e < hi and (offset + np.uint64(e)) & _3 != 0:  # head: up to a block boundary
        _one(xf, s, k0, k1, s0, s1, offset, thr, yf, mf, e, zero)
        e += 1
    buf = np.empty(_WORDS_CHUNK, np.uint32)
    while hi - e >= 4:
        n_words = min(_WORDS_CHUNK, (hi - e) // 4 * 4)
        _fill_words((offset + np.uint64(e)) >> _2, n_words // 4, k0, k1, s0, s1, buf)
        xs, ys, ms = xf[e:e + n_words], yf[e:e + n_words], mf[e:e + n_words]
        for j in range(n_words):
            _keep(xs, s, ys, ms, j, np.uint64(buf[j]), thr, zero)
        e += n_words
    while e < hi:  # tail
        _one(xf, s, k0, k1, s0, s1, offset, thr, yf, mf, e, zero)
        e += 1


@njit(**_JIT_PAR)
def _dropout_par(xf, s, seed, stream, offset, thr, yf, mf, nc):  # pragma: no cover
    n = xf.shape[0]
    for c in prange(nc):
        dropout_range(xf, s, seed, stream, offset, thr, yf, mf, c * n // nc, (c + 1) * n // nc)


@njit(**_JIT)
def _dropout_back_range(gf, mf, s, out, lo, hi):  # pragma: no cover
    zero = out.dtype.type(0)
    for e in range(lo, hi):
        out[e] = gf[e] * s if mf[e] == 1 else zero


@njit(**_JIT_PAR)
def _dropout_back_par(gf, mf, s, out, nc):  # pragma: no cover
    n = gf.shape[0]
    for c in prange(nc):
        _dropout_back_range(gf, mf, s, out, c * n // nc, (c + 1) * n // nc)


def dropout_forward(x, p, seed, offset, stream, y, mask):
    n = x.size
    xf, yf, mf = x.reshape(-1), y.reshape(-1), mask.reshape(-1)
    s = x.dtype.type(1.0 / (1.0 - p))
    args = (xf, s, np.uint64(seed), np.uint64(stream), np.uint64(offset), np.uint64(keep_threshold(p)), yf, mf)
    nc = 1 if n < _DROPOUT_PAR_MIN else min(_threads(), n // (_DROPOUT_PAR_MIN // 4))
    if nc > 1:
        _dropout_par(*args, nc)
    elif n:
        dropout_range(*args, 0, n)


def dropout_backward(grad_y, mask, p, grad_x):
    n = grad_y.size
    gf, mf, out = grad_y.reshape(-1), mask.reshape(-1), grad_x.reshape(-1)
    s = grad_y.dtype.type(1.0 / (1.0 - p))
    nc = _chunks(n, n // 4096)
    if nc > 1:
        _dropout_back_par(gf, mf, s, out, nc)
    elif n:
        _dropout_back_range(gf, mf, s, out, 0, n)


# --------------------------------------------------------------------------- batch normalization

@njit(**_JIT)
def _col_stats(x, mu, var, c0, c1):  # pragma: no cover
    """Columns c0:c1: mu = Σ_i x_ij / n, var = Σ_i (x_ij − mu_j)² / n, row-order sums in float64.

    Zero-based slices for the inner loops: LLVM vectorizes them (4–5× faster than indexing from c0).
    """
    n = x.shape[0]
    w = c1 - c0
    s = mu[c0:c1]
    q = var[c0:c1]
    for j in range(w):
        s[j] = 0.0
        q[j] = 0.0
    for i in range(n):
        row = x[i, c0:c1]
        for j in range(w):
            s[j] += row[j]
    for j in range(w):
        s[j] /= n
    for i in range(n):
        row = x[i, c0:c1]
        for j in range(w):
            d = np.float64(row[j]) - s[j]
            q[j] += d * d
    for j in range(w):
        q[j] /= n


@njit(**_JIT_PAR)
def _col_stats_par(x, mu, var, nc):  # pragma: no cover
    m = x.shape[1]
    for c in prange(nc):
        _col_stats(x, mu, var, c * m // nc, (c + 1) * m // nc)


@njit(**_JIT)
def batch_norm_running(running_mean, running_var, mu, var, n, momentum):  # pragma: no cover
    """running_mean ← (1 − ρ)·running_mean + ρ·μ; running_var ← (1 − ρ)·running_var + ρ·var·n/(n − 1),
    in float64, rounded once when stored (μ, var: float64)."""
    unbias = n / (n - 1.0)
    for j in range(mu.shape[0]):
        running_mean[j] = (1.0 - momentum) * np.float64(running_mean[j]) + momentum * mu[j]
        running_var[j] = (1.0 - momentum) * np.float64(running_var[j]) + momentum * var[j] * unbias


@njit(**_JIT)
def _invstd(var, eps, inv):  # pragma: no cover
    for j in range(var.shape[0]):
        inv[j] = 1.0 / np.sqrt(var[j] + eps)


@njit(**_JIT)
def _bn_apply_rows(x, mu, inv, gamma, beta, y, r0, r1):  # pragma: no cover
    """Rows r0:r1: y = ((x − μ)·invstd)·γ + β in float64 (μ, invstd float64), rounded when stored."""
    m = x.shape[1]
    for i in range(r0, r1):
        xr = x[i]
        yr = y[i]
        for j in range(m):
            yr[j] = ((np.float64(xr[j]) - mu[j]) * inv[j]) * np.float64(gamma[j]) + np.float64(beta[j])


@njit(**_JIT_PAR)
def _bn_apply_par(x, mu, inv, gamma, beta, y, nc):  # pragma: no cover
    n = x.shape[0]
    for c in prange(nc):
        _bn_apply_rows(x, mu, inv, gamma, beta, y, c * n // nc, (c + 1) * n // nc)


def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps, y, mean, invstd):
    n, m = x.shape
    if training:
        mu, var = np.empty(m), np.empty(m)
        nc = _chunks(x.size, m // 8)
        if nc > 1:
            _col_stats_par(x, mu, var, nc)
        else:
            _col_stats(x, mu, var, 0, m)
        if running_mean is not None:
            batch_norm_running(running_mean, running_var, mu, var, n, momentum)
    else:
        mu, var = running_mean.astype(np.float64), running_var.astype(np.float64)
    inv = np.empty(m)
    _invstd(var, eps, inv)
    nc = _chunks(x.size, n)
    if nc > 1:
        _bn_apply_par(x, mu, inv, gamma, beta, y, nc)
    elif n:
        _bn_apply_rows(x, mu, inv, gamma, beta, y, 0, n)
    mean[...] = mu
    invstd[...] = inv


@njit(**_JIT)
def _bn_back_cols(g, x, mean, invstd, gg, gb, c0, c1):  # pragma: no cover
    """Columns c0:c1: gb = Σ_i g_ij, gg = Σ_i g_ij·x̂_ij (row order, float64)."""
    n = x.shape[0]
    w = c1 - c0
    sg = gg[c0:c1]
    sb = gb[c0:c1]
    mu = mean[c0:c1]
    inv = invstd[c0:c1]
    for j in range(w):
        sg[j] = 0.0
        sb[j] = 0.0
    for i in range(n):
        gr = g[i, c0:c1]
        xr = x[i, c0:c1]
        for j in range(w):
            gv = np.float64(gr[j])
            xhat = (np.float64(xr[j]) - np.float64(mu[j])) * np.float64(inv[j])
            sb[j] += gv
            sg[j] += gv * xhat


@njit(**_JIT_PAR)
def _bn_back_cols_par(g, x, mean, invstd, gg, gb, nc):  # pragma: no cover
    m = x.shape[1]
    for c in prange(nc):
        _bn_back_cols(g, x, mean, invstd, gg, gb, c * m // nc, (c + 1) * m // nc)


@njit(**_JIT)
def _bn_back_rows(g, x, mean, invstd, coef, gg, gb, grad_x, r0, r1):  # pragma: no cover
    """Rows r0:r1: grad_x = coef·((n·g − gb) − x̂·gg), coef_j = γ_j·invstd_j/n (float64)."""
    n = np.float64(x.shape[0])
    m = x.shape[1]
    for i in range(r0, r1):
        gr = g[i]
        xr = x[i]
        out = grad_x[i]
        for j in range(m):
            xhat = (np.float64(xr[j]) - np.float64(mean[j])) * np.float64(invstd[j])
            out[j] = coef[j] * ((n * np.float64(gr[j]) - gb[j]) - xhat * gg[j])


@njit(**_JIT_PAR)
def _bn_back_rows_par(g, x, mean, invstd, coef, gg, gb, grad_x, nc):  # pragma: no cover
    n = x.shape[0]
    for c in prange(nc):
        _bn_back_rows(g, x, mean, invstd, coef, gg, gb, grad_x, c * n // nc, (c + 1) * n // nc)


def batch_norm_backward(grad_y, x, gamma, mean, invstd, grad_x, grad_gamma, grad_beta):
    n, m = x.shape
    gg, gb = np.empty(m), np.empty(m)
    nc = _chunks(x.size, m // 8)
    if nc > 1:
        _bn_back_cols_par(grad_y, x, mean, invstd, gg, gb, nc)
    else:
        _bn_back_cols(grad_y, x, mean, invstd, gg, gb, 0, m)
    coef = gamma.astype(np.float64) * invstd.astype(np.float64) / n
    nc = _chunks(x.size, n)
    if nc > 1:
        _bn_back_rows_par(grad_y, x, mean, invstd, coef, gg, gb, grad_x, nc)
    elif n:
        _bn_back_rows(grad_y, x, mean, invstd, coef, gg, gb, grad_x, 0, n)
    grad_gamma[...] = gg
    grad_beta[...] = gb


# --------------------------------------------------------------------------- group normalization

@njit(**_JIT_SUM)
def _group_sum(xs):  # pragma: no cover
    """Σ x over the slice xs in float64."""
    s = 0.0
    for j in range(xs.shape[0]):
        s += np.float64(xs[j])
    return s


@njit(**_JIT_SUM)
def _group_sq_dev(xs, mu):  # pragma: no cover
    """Σ (x − mu)² over the slice xs in float64."""
    q = 0.0
    for j in range(xs.shape[0]):
        d = np.float64(xs[j]) - mu
        q += d * d
    return q


@njit(**_JIT)
def group_norm_rows(x, gamma, beta, groups, eps, y, mean, invstd, r0, r1):  # pragma: no cover
    """Rows r0:r1 of group norm: per (row, group) mean and invstd (float64, rounded when stored) and
    y = ((x − μ)·invstd)·γ + β in float64."""
    k = x.shape[1] // groups
    for i in range(r0, r1):
        xr = x[i]
        yr = y[i]
        for g in range(groups):
            lo = g * k
            hi = lo + k
            mu = _group_sum(xr[lo:hi]) / k
            q = _group_sq_dev(xr[lo:hi], mu)
            inv = 1.0 / np.sqrt(q / k + eps)
            mean[i, g] = mu
            invstd[i, g] = inv
            xs, ys, gs, bs = xr[lo:hi], yr[lo:hi], gamma[lo:hi], beta[lo:hi]  # zero-based: vectorized
            for j in range(k):
                ys[j] = ((np.float64(xs[j]) - mu) * inv) * np.float64(gs[j]) + np.float64(bs[j])


@njit(**_JIT_PAR)
def _gn_rows_par(x, gamma, beta, groups, eps, y, mean, invstd, nc):  # pragma: no cover
    n = x.shape[0]
    for c in prange(nc):
        group_norm_rows(x, gamma, beta, groups, eps, y, mean, invstd, c * n // nc, (c + 1) * n // nc)


def group_norm_forward(x, gamma, beta, groups, eps, y, mean, invstd):
    n = x.shape[0]
    nc = _chunks(x.size, n)
    if nc > 1:
        _gn_rows_par(x, gamma, beta, groups, eps, y, mean, invstd, nc)
    elif n:
        group_norm_rows(x, gamma, beta, groups, eps, y, mean, invstd, 0, n)


@njit(**_JIT_SUM)
def _gn_back_sums(gr, xr, gamma, lo, hi, mu, inv):  # pragma: no cover
    """(Σ ĝ, Σ ĝ·x̂) over the features lo:hi of one row (ĝ = g·γ, x̂ = (x − μ)·invstd), float64."""
    s1 = 0.0
    s2 = 0.0
    for j in range(lo, hi):
        gh = np.float64(gr[j]) * np.float64(gamma[j])
        xhat = (np.float64(xr[j]) - mu) * inv
        s1 += gh
        s2 += gh * xhat
    return s1, s2


@njit(**_JIT)
def group_norm_back_rows(g, x, gamma, mean, invstd, groups, grad_x, r0, r1):  # pragma: no cover
    """Rows r0:r1: grad_x = (invstd/k)·((k·ĝ − Σĝ) − x̂·Σĝx̂) per group, float64."""
    k = x.shape[1] // groups
    kf = np.float64(k)
    for i in range(r0, r1):
        gr = g[i]
        xr = x[i]
        out = grad_x[i]
        for grp in range(groups):
            lo = grp * k
            hi = lo + k
            mu = np.float64(mean[i, grp])
            inv = np.float64(invstd[i, grp])
            gs, xs, cs, os = gr[lo:hi], xr[lo:hi], gamma[lo:hi], out[lo:hi]  # zero-based: vectorized
            s1, s2 = _gn_back_sums(gs, xs, cs, 0, k, mu, inv)
            coef = inv / kf
            for j in range(k):
                gh = np.float64(gs[j]) * np.float64(cs[j])
                xhat = (np.float64(xs[j]) - mu) * inv
                os[j] = coef * ((kf * gh - s1) - xhat * s2)


@njit(**_JIT_PAR)
def _gn_back_rows_par(g, x, gamma, mean, invstd, groups, grad_x, nc):  # pragma: no cover
    n = x.shape[0]
    for c in prange(nc):
        group_norm_back_rows(g, x, gamma, mean, invstd, groups, grad_x, c * n // nc, (c + 1) * n // nc)


@njit(**_JIT)
def _gn_back_cols(g, x, mean, invstd, groups, gg, gb, c0, c1):  # pragma: no cover
    """Columns c0:c1: gg = Σ_i g_ij·x̂_ij, gb = Σ_i g_ij (row order, float64); a column block is
    walked group by group so that each group's μ and invstd are scalars of the inner loop."""
    n, m = x.shape
    k = m // groups
    for j in range(c0, c1):
        gg[j] = 0.0
        gb[j] = 0.0
    for i in range(n):
        grp = c0 // k
        lo = c0
        while lo < c1:
            hi = min((grp + 1) * k, c1)
            mu = np.float64(mean[i, grp])
            inv = np.float64(invstd[i, grp])
            gr = g[i, lo:hi]
            xr = x[i, lo:hi]
            sg = gg[lo:hi]
            sb = gb[lo:hi]
            for j in range(hi - lo):
                gv = np.float64(gr[j])
                sb[j] += gv
                sg[j] += gv * ((np.float64(xr[j]) - mu) * inv)
            lo = hi
            grp += 1


@njit(**_JIT_PAR)
def _gn_back_cols_par(g, x, mean, invstd, groups, gg, gb, nc):  # pragma: no cover
    m = x.shape[1]
    for c in prange(nc):
        _gn_back_cols(g, x, mean, invstd, groups, gg, gb, c * m // nc, (c + 1) * m // nc)


def group_norm_backward(grad_y, x, gamma, mean, invstd, groups, grad_x, grad_gamma, grad_beta):
    n, m = x.shape
    nc = _chunks(x.size, n)
    if nc > 1:
        _gn_back_rows_par(grad_y, x, gamma, mean, invstd, groups, grad_x, nc)
    elif n:
        group_norm_back_rows(grad_y, x, gamma, mean, invstd, groups, grad_x, 0, n)
    gg, gb = np.empty(m), np.empty(m)
    nc = _chunks(x.size, m // 8)
    if nc > 1:
        _gn_back_cols_par(grad_y, x, mean, invstd, groups, gg, gb, nc)
    else:
        _gn_back_cols(grad_y, x, mean, invstd, groups, gg, gb, 0, m)
    grad_gamma[...] = gg
    grad_beta[...] = gb
