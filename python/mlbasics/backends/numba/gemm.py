"""GEMM for the Numba backend: packed panels + a register-tiled micro-kernel.

Structure (Goto / BLIS): for each NC-wide column block of op(B) and each KC-deep
slice, op(B) is packed into NR-row panels; then every MC-tall row block of op(A)
is packed into MR-row panels (in parallel over row blocks when the problem is
large) and an MR x NR micro-kernel sweeps the tiles.  The packing routines read
the operands through explicit element strides, so C/F-ordered, transposed,
strided and negatively strided views all go through one compiled signature per
dtype.

Micro-kernel ("dot" form): both panels are stored k-contiguous, pa (MR, kc) and
pb (NR, kc), and the MR*NR scalar accumulators c[i][j] += pa[i, p] * pb[j, p]
live in one loop over p.  Numba leaves LLVM's SLP vectorizer off by default
(NUMBA_SLP_VECTORIZE=0), so an accumulator tile laid out along j is never
vectorized; the loop vectorizer, however, vectorizes this p-loop (each
accumulator becomes a vector of partial sums, which 'reassoc' permits) with
contiguous loads and vector FMAs, then reduces each accumulator once per tile.
4x4 = 16 vector accumulators fit the register file (ymm or zmm).  The kernel
text is written out long-hand (generated once, not at run time) so every
accumulator is a distinct scalar.
"""
import numba
import numpy as np
from numba import njit, prange

from .. import get_num_threads

# No 'nnan'/'ninf'/'fast': NaN and inf must propagate like in NumPy.
_FM = {"contract", "reassoc", "nsz", "arcp"}

_MR = 4
_NR = 4


@njit(cache=True, fastmath=_FM)
def _kernel(kc, pa, pb, c, ci, cj, mr, nr, first):  # pragma: no cover
    """4x4 tile: C[ci:ci+mr, cj:cj+nr] (+)= pa @ pb.T; pa (4, kc), pb (4, kc)."""
    z = c.dtype.type(0)
    c00, c01, c02, c03 = z, z, z, z
    c10, c11, c12, c13 = z, z, z, z
    c20, c21, c22, c23 = z, z, z, z
    c30, c31, c32, c33 = z, z, z, z
    a0r = pa[0]
    a1r = pa[1]
    a2r = pa[2]
    a3r = pa[3]
    b0r = pb[0]
    b1r = pb[1]
    b2r = pb[2]
    b3r = pb[3]
    for p in range(kc):
        a0 = a0r[p]
        a1 = a1r[p]
        a2 = a2r[p]
        a3 = a3r[p]
        b0 = b0r[p]
        b1 = b1r[p]
        b2 = b2r[p]
        b3 = b3r[p]
        c00 += a0 * b0
        c01 += a0 * b1
        c02 += a0 * b2
        c03 += a0 * b3
        c10 += a1 * b0
        c11 += a1 * b1
        c12 += a1 * b2
        c13 += a1 * b3
        c20 += a2 * b0
        c21 += a2 * b1
        c22 += a2 * b2
        c23 += a2 * b3
        c30 += a3 * b0
        c31 += a3 * b1
        c32 += a3 * b2
        c33 += a3 * b3
    if mr == 4 and nr == 4:
        ct = c[ci:ci + 4, cj:cj + 4]
        if first:
            ct[0, 0] = c00
            ct[0, 1] = c01
            ct[0, 2] = c02
            ct[0, 3] = c03
            ct[1, 0] = c10
            ct[1, 1] = c11
            ct[1, 2] = c12
            ct[1, 3] = c13
            ct[2, 0] = c20
            ct[2, 1] = c21
            ct[2, 2] = c22
            ct[2, 3] = c23
            ct[3, 0] = c30
            ct[3, 1] = c31
            ct[3, 2] = c32
            ct[3, 3] = c33
        else:
            ct[0, 0] += c00
            ct[0, 1] += c01
            ct[0, 2] += c02
            ct[0, 3] += c03
            ct[1, 0] += c10
            ct[1, 1] += c11
            ct[1, 2] += c12
            ct[1, 3] += c13
            ct[2, 0] += c20
            ct[2, 1] += c21
            ct[2, 2] += c22
            ct[2, 3] += c23
            ct[3, 0] += c30
            ct[3, 1] += c31
            ct[3, 2] += c32
            ct[3, 3] += c33
    else:
        t = np.empty((4, 4), dtype=c.dtype)
        t[0, 0] = c00; t[0, 1] = c01; t[0, 2] = c02; t[0, 3] = c03
        t[1, 0] = c10; t[1, 1] = c11; t[1, 2] = c12; t[1, 3] = c13
        t[2, 0] = c20; t[2, 1] = c21; t[2, 2] = c22; t[2, 3] = c23
        t[3, 0] = c30; t[3, 1] = c31; t[3, 2] = c32; t[3, 3] = c33
        for i in range(mr):
            for j in range(nr):
                if first:
                    c[ci + i, cj + j] = t[i, j]
                else:
                    c[ci + i, cj + j] += t[i, j]


@njit(cache=True)
def _pack(xf, off, s_row, s_k, r0, rcur, p0, kcur, dst):  # pragma: no cover
    """dst[q, i, p] = X[r0 + q*R + i, p0 + p] for X[r, p] = xf[off + r*s_row + p*s_k], zero padded;
    dst (npanels, R, kcur). Packs op(A) by rows (R = MR) and op(B) by columns (R = NR, strides swapped)."""
    z = dst.dtype.type(0)
    r = dst.shape[1]
    for q in range(dst.shape[0]):
        rows = min(r, rcur - q * r)
        pan = dst[q]
        for i in range(rows):
            src = off + (r0 + q * r + i) * s_row + p0 * s_k
            row = pan[i]
            for p in range(kcur):
                row[p] = xf[src + p * s_k]
        for i in range(rows, r):
            pan[i, :kcur] = z


@njit(cache=True)
def _pack_scaled(xf, off, s_row, s_k, r0, rcur, p0, kcur, scale, dst):  # pragma: no cover
    """As _pack, each element multiplied by the weight of its depth index: dst[q, i, p] =
    X[r0 + q*R + i, p0 + p] * scale[p0 + p] (packs the weighted operand of a weighted Gram matrix)."""
    z = dst.dtype.type(0)
    r = dst.shape[1]
    for q in range(dst.shape[0]):
        rows = min(r, rcur - q * r)
        pan = dst[q]
        for i in range(rows):
            src = off + (r0 + q * r + i) * s_row + p0 * s_k
            row = pan[i]
            for p in range(kcur):
                row[p] = xf[src + p * s_k] * scale[p0 + p]
        for i in range(rows, r):
            pan[i, :kcur] = z


@njit(cache=True)
def _pack_a(af, aoff, ars, acs, i0, mcur, p0, kcur, ap):  # pragma: no cover
    """ap[ir, ii, p] = op(A)[i0 + ir*MR + ii, p0 + p], zero padded; ap (npanels, MR, kcur)."""
    _pack(af, aoff, ars, acs, i0, mcur, p0, kcur, ap)


@njit(cache=True)
def _pack_b(bf, boff, brs, bcs, p0, kcur, j0, ncur, bp):  # pragma: no cover
    """bp[jr, jj, p] = op(B)[p0 + p, j0 + jr*NR + jj], zero padded; bp (npanels, NR, kcur)."""
    _pack(bf, boff, bcs, brs, j0, ncur, p0, kcur, bp)


@njit(cache=True)
def _block(af, aoff, ars, acs, i0, mcur, p0, kcur, j0, ncur, bp, out, first):  # pragma: no cover
    """Pack one MC x KC block of op(A) and multiply it by the packed KC x NC slice bp (first: store, else add)."""
    npa = (mcur + _MR - 1) // _MR
    ap = np.empty((npa, _MR, kcur), dtype=out.dtype)
    _pack_a(af, aoff, ars, acs, i0, mcur, p0, kcur, ap)
    for jr in range(bp.shape[0]):
        cj = j0 + jr * _NR
        nrr = min(_NR, ncur - jr * _NR)
        pb = bp[jr]
        for ir in range(npa):
            _kernel(kcur, ap[ir], pb, out, i0 + ir * _MR, cj, min(_MR, mcur - ir * _MR), nrr, first)


@njit(cache=True)
def _row_blocks(af, aoff, ars, acs, m, mc, p0, kcur, j0, ncur, bp, out):  # pragma: no cover
    """Every MC-row block of op(A) times the packed slice bp, one after the other."""
    for i0 in range(0, m, mc):
        _block(af, aoff, ars, acs, i0, min(mc, m - i0), p0, kcur, j0, ncur, bp, out, p0 == 0)


@njit(cache=True, parallel=True)
def _row_blocks_par(af, aoff, ars, acs, m, mc, p0, kcur, j0, ncur, bp, out):  # pragma: no cover
    """The same, the row blocks spread over the threads."""
    for ib in prange((m + mc - 1) // mc):
        _block(af, aoff, ars, acs, ib * mc, min(mc, m - ib * mc), p0, kcur, j0, ncur, bp, out, p0 == 0)


@njit(cache=True)
def _gemm_blocked(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, parallel):  # pragma: no cover
    """The NC / KC loops around packing B; the row blocks on the thread pool when parallel."""
    buf = np.empty(((min(nc, n) + _NR - 1) // _NR) * _NR * min(kc, k), dtype=out.dtype)
    for j0 in range(0, n, nc):
        ncur = min(nc, n - j0)
        npb = (ncur + _NR - 1) // _NR
        for p0 in range(0, k, kc):
            kcur = min(kc, k - p0)
            bp = buf[:npb * _NR * kcur].reshape((npb, _NR, kcur))
            _pack_b(bf, boff, brs, bcs, p0, kcur, j0, ncur, bp)
            if parallel:
                _row_blocks_par(af, aoff, ars, acs, m, mc, p0, kcur, j0, ncur, bp, out)
            else:
                _row_blocks(af, aoff, ars, acs, m, mc, p0, kcur, j0, ncur, bp, out)


# ---------------------------------------------------------------------------
# Python side: strides -> (flat buffer, offset, row stride, col stride)

# (MC, KC, NC) per dtype: MC x KC block of A ~ L2, KC x NR panel of B ~ L1.
_BLOCKING = {
    np.dtype(np.float64): (96, 256, 2048),
    np.dtype(np.float32): (96, 512, 2048),
}
# Below this many multiply-adds the thread-pool launch costs more than it saves.
_PARALLEL_MIN_FLOPS = 1 << 21
# Elementwise kernels go parallel from this many elements on.
_PARALLEL_MIN_ELEMENTS = 1 << 16


def _threads():
    """The thread count of ``mlbasics.set_num_threads``, applied to the calling thread.

    ``numba.set_num_threads`` only affects the thread that calls it, so a setting made in one
    Python thread would not reach kernels called from another; it is re-applied here before
    every parallel launch.
    """
    n = min(get_num_threads(), numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # set at run time
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)
    return n


def _n_chunks(n_elements):
    """Number of parallel chunks for an elementwise kernel, 1 = run serially."""
    if n_elements < _PARALLEL_MIN_ELEMENTS:
        return 1
    return _threads()


def _flat(a):
    """Return (buf, off, rs, cs) with a[i, j] == buf[off + i*rs + j*cs].

    buf is a read-only 1-D unit-stride view of the memory spanned by ``a`` (no
    copy) when the strides are whole elements; otherwise ``a`` is copied first.
    Always read-only, so the jitted code sees a single array type per dtype.
    """
    if a.flags.c_contiguous:
        buf = a.reshape(-1)
        buf.flags.writeable = False
        return buf, 0, a.shape[1], 1
    if a.flags.f_contiguous:
        buf = a.T.reshape(-1)
        buf.flags.writeable = False
        return buf, 0, 1, a.shape[0]
    item = a.itemsize
    s0, s1 = a.strides
    if s0 % item or s1 % item or not a.flags.aligned:
        a = np.ascontiguousarray(a)
        return _flat(a)
    r, c = a.shape
    rs, cs = s0 // item, s1 // item
    i0 = r - 1 if rs < 0 else 0
    j0 = c - 1 if cs < 0 else 0
    span = 1 + (r - 1) * abs(rs) + (c - 1) * abs(cs)
    start = a[i0:i0 + 1, j0:j0 + 1]
    buf = np.lib.stride_tricks.as_strided(start, shape=(span,), strides=(item,), writeable=False)
    off = i0 * abs(rs) + j0 * abs(cs)
    return buf, off, rs, cs


@njit(cache=True)
def _mm(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, nthreads):  # pragma: no cover
    """out (m, n) = op(A) @ op(B) through the packed GEMM; on several threads (row blocks small enough
    that every thread gets one) when the product is large enough to pay for it."""
    parallel = nthreads > 1 and m * n * k >= _PARALLEL_MIN_FLOPS and m >= 2 * 4 * _MR
    if parallel:
        per = -(-m // nthreads)
        mc = min(mc, -(-per // _MR) * _MR)
    _gemm_blocked(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, parallel)


@njit(cache=True)
def _mm_scaled(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, scale, mc, kc, nc, nthreads):  # pragma: no cover
    """out (m, n) = op(A) @ diag(scale) @ op(B): as _mm, with op(B)'s row p multiplied by scale[p] as
    it is packed (no scaled copy of B)."""
    parallel = nthreads > 1 and m * n * k >= _PARALLEL_MIN_FLOPS and m >= 2 * 4 * _MR
    if parallel:
        per = -(-m // nthreads)
        mc = min(mc, -(-per // _MR) * _MR)
    buf = np.empty(((min(nc, n) + _NR - 1) // _NR) * _NR * min(kc, k), dtype=out.dtype)
    for j0 in range(0, n, nc):
        ncur = min(nc, n - j0)
        npb = (ncur + _NR - 1) // _NR
        for p0 in range(0, k, kc):
            kcur = min(kc, k - p0)
            bp = buf[:npb * _NR * kcur].reshape((npb, _NR, kcur))
            _pack_scaled(bf, boff, bcs, brs, j0, ncur, p0, kcur, scale, bp)
            if parallel:
                _row_blocks_par(af, aoff, ars, acs, m, mc, p0, kcur, j0, ncur, bp, out)
            else:
                _row_blocks(af, aoff, ars, acs, m, mc, p0, kcur, j0, ncur, bp, out)


def matmul(a, b, trans_a, trans_b, out):
    """out[...] = op(a) @ op(b), op(x) = x.T if trans_x; out is C-contiguous and never read."""
    m, n = out.shape
    k = a.shape[0] if trans_a else a.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        out[...] = 0
        return
    af, aoff, ars, acs = _flat(a)
    if trans_a:
        ars, acs = acs, ars
    bf, boff, brs, bcs = _flat(b)
    if trans_b:
        brs, bcs = bcs, brs
    mc, kc, nc = _BLOCKING[out.dtype]
    nt = _threads() if m * n * k >= _PARALLEL_MIN_FLOPS else 1
    _mm(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, nt)


@njit(cache=True)
def _symmetrize(out):  # pragma: no cover
    p = out.shape[0]
    for i in range(p):
        for j in range(i):
            out[i, j] = out[j, i]


def gram(x, out, sample_weight=None):
    """out = x.T @ x, or x.T @ diag(w) @ x (the weights scale x as it is packed), exactly symmetric."""
    if sample_weight is None:
        matmul(x, x, True, False, out)
    else:
        n, p = x.shape
        if p == 0:
            return
        if n == 0:
            out[...] = 0
            return
        xf, off, rs, cs = _flat(x)
        mc, kc, nc = _BLOCKING[out.dtype]
        nt = _threads() if p * p * n >= _PARALLEL_MIN_FLOPS else 1
        # op(A) = xᵀ (strides swapped), op(B) = x with row q scaled by w[q]
        _mm_scaled(xf, off, cs, rs, xf, off, rs, cs, p, p, n, out, sample_weight, mc, kc, nc, nt)
    if out.shape[0] > 1 and x.shape[0] > 0:
        _symmetrize(out)
