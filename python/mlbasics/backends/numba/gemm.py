"""GEMM for the Numba backend: packed panels around an outer-product register micro-kernel.

Structure (Goto / BLIS). For each NC-wide column block of op(B) and each KC-deep slice, op(B) is
packed into NR-column panels (``_pack_b_panels``: panel q holds KC rows of NR contiguous values);
then every MC-tall row block of op(A) is packed into MR-row panels (``_pack_a``: KC steps of MR
contiguous values) and the micro-kernel sweeps the MR x NR tiles: for each B panel (kept in L1),
every A panel of the block (streamed from L2). The packing routines read the operands through
explicit element strides, so C/F-ordered, transposed, strided and negatively strided views all go
through one compiled signature per dtype; each picks its loop order from the strides so that it
reads the source contiguously where the source allows.

Micro-kernel ("outer-product" form, ``_kernel6`` / ``_kernel8``): the MR x NR tile of C lives in
2·MR vector registers (NR = two vectors); each step loads the two vectors of one B-panel row,
broadcasts each of the MR A values and does 2·MR vector FMAs. The vectors are explicit (see
``_simd``: Numba's SLP vectorizer is off, so scalar accumulators would stay scalar), and the
widest register of the compilation target sets their width, hence the tile:

=============  ========  ============  ============  ===================================
target         vector    float32 tile  float64 tile  registers (of 16 / 32)
=============  ========  ============  ============  ===================================
AVX-512        64 bytes  8 x 32        8 x 16        16 accumulators + 2 B + 1 A (of 32)
AVX2 / AVX     32 bytes  6 x 16        6 x 8         12 accumulators + 2 B + 1 A (of 16)
SSE2 / NEON    16 bytes  6 x 8         6 x 4         12 + 3 (of 16 / 32)
=============  ========  ============  ============  ===================================

The kernel is written out long-hand so that every accumulator is its own local variable, and it
prefetches its C tile before the k loop (the tile's update at the end then hits L1).
Edge tiles (fewer than MR rows or NR columns left) go through a per-thread MR x NR scratch tile;
packed panels are zero padded, and padding never reaches the output (0·NaN in a padded lane is
never stored), so NaN/inf propagate as in NumPy.

Memory: one work array holds the packed B slice, then per thread unit its packed A block and its
scratch tile. ``matmul`` and ``gram`` take it from a per-Python-thread cache (``threading.local``:
allocated once per thread, grown when a larger product needs more; concurrent calls from several
Python threads never share one, and a forked child has its own copy); ``_mm`` (called from the
jitted MLP epoch) allocates it once per call. Nothing is allocated per block.

Threads (``_units_par``, two parallel regions per KC x NC slice): op(B)'s slice is packed once, by all
threads (each packs a share of the panels); then the output is split into one rectangle per thread —
along the rows, or along the columns when there are few row panels (e.g. the 64-row products of a
minibatch) — and each thread packs its own A blocks into its own part of the work array.
A product's every element is summed in the same order whatever the thread count (k in KC slices,
each in order), so the result does not depend on the number of threads.

``gram`` computes one triangle: tiles strictly below the diagonal are skipped (the threads split
the rows so that each gets the same area of the triangle), then the upper triangle is mirrored.
"""
import threading

import numba
import numpy as np
from numba import njit, prange, types
from numba.core.imputils import impl_ret_borrowed
from .. import get_num_threads
from ._simd import intrinsic  # typed for mypy (see _simd.py)
from ._simd import TRANSPOSE_DEPTH, VECTOR_BYTES, prefetch, vbcast, vcopy, vfma, vload, vstore, vstore1, vstore_add, vtranspose, vzero

# No 'nnan'/'ninf'/'fast': NaN and inf must propagate like in NumPy.
_FM = {"contract", "reassoc", "nsz", "arcp"}

_VB = VECTOR_BYTES
#: Rows of the micro-tile: 8 where 32 vector registers hold 16 accumulators, else 6 (12 of 16).
_MR = 8 if _VB >= 64 else 6
#: Columns of the micro-tile (two vectors) per dtype; jitted code uses ``_nr(array)``.
_NR = {np.dtype(np.float32): 2 * _VB // 4, np.dtype(np.float64): 2 * _VB // 8}
_ALIGN = 64  # bytes: packed panels start on a cache line


@njit(cache=True)
def _nr(x):  # pragma: no cover
    """NR, the micro-tile's width, for x's dtype (a compile-time constant)."""
    return 2 * (_VB // x.itemsize)


@njit(cache=True, fastmath=_FM)
def _kernel6(kc, ap, ao, bp, bo, c, ci, cj, first, rows):  # pragma: no cover
    """c[ci:ci+rows, cj:cj+NR] = (or +=, unless first) the first rows (rows <= 6) of the 6 x NR product of
    the packed panels ap (from ao, 6 values a step) and bp (from bo, NR values a step) over kc steps; NR = two
    vectors. Rows past `rows` are computed (from the panel's zero padding) but not stored."""
    v = _VB // bp.itemsize
    nr = 2 * v
    prefetch(c, ci, cj)
    prefetch(c, ci, cj + nr - 1)
    prefetch(c, ci + 1, cj)
    prefetch(c, ci + 1, cj + nr - 1)
    prefetch(c, ci + 2, cj)
    prefetch(c, ci + 2, cj + nr - 1)
    prefetch(c, ci + 3, cj)
    prefetch(c, ci + 3, cj + nr - 1)
    prefetch(c, ci + 4, cj)
    prefetch(c, ci + 4, cj + nr - 1)
    prefetch(c, ci + 5, cj)
    prefetch(c, ci + 5, cj + nr - 1)
    c00 = vzero(bp)
    c01 = vzero(bp)
    c10 = vzero(bp)
    c11 = vzero(bp)
    c20 = vzero(bp)
    c21 = vzero(bp)
    c30 = vzero(bp)
    c31 = vzero(bp)
    c40 = vzero(bp)
    c41 = vzero(bp)
    c50 = vzero(bp)
    c51 = vzero(bp)
    for _ in range(kc):
        b0 = vload(bp, bo)
        b1 = vload(bp, bo + v)
        a = vbcast(ap, ao)
        c00 = vfma(a, b0, c00)
        c01 = vfma(a, b1, c01)
        a = vbcast(ap, ao + 1)
        c10 = vfma(a, b0, c10)
        c11 = vfma(a, b1, c11)
        a = vbcast(ap, ao + 2)
        c20 = vfma(a, b0, c20)
        c21 = vfma(a, b1, c21)
        a = vbcast(ap, ao + 3)
        c30 = vfma(a, b0, c30)
        c31 = vfma(a, b1, c31)
        a = vbcast(ap, ao + 4)
        c40 = vfma(a, b0, c40)
        c41 = vfma(a, b1, c41)
        a = vbcast(ap, ao + 5)
        c50 = vfma(a, b0, c50)
        c51 = vfma(a, b1, c51)
        ao += 6
        bo += nr
    if first:
        vstore(c, ci, cj, c00)
        vstore(c, ci, cj + v, c01)
        if rows > 1:
            vstore(c, ci + 1, cj, c10)
            vstore(c, ci + 1, cj + v, c11)
        if rows > 2:
            vstore(c, ci + 2, cj, c20)
            vstore(c, ci + 2, cj + v, c21)
        if rows > 3:
            vstore(c, ci + 3, cj, c30)
            vstore(c, ci + 3, cj + v, c31)
        if rows > 4:
            vstore(c, ci + 4, cj, c40)
            vstore(c, ci + 4, cj + v, c41)
        if rows > 5:
            vstore(c, ci + 5, cj, c50)
            vstore(c, ci + 5, cj + v, c51)
    else:
        vstore_add(c, ci, cj, c00)
        vstore_add(c, ci, cj + v, c01)
        if rows > 1:
            vstore_add(c, ci + 1, cj, c10)
            vstore_add(c, ci + 1, cj + v, c11)
        if rows > 2:
            vstore_add(c, ci + 2, cj, c20)
            vstore_add(c, ci + 2, cj + v, c21)
        if rows > 3:
            vstore_add(c, ci + 3, cj, c30)
            vstore_add(c, ci + 3, cj + v, c31)
        if rows > 4:
            vstore_add(c, ci + 4, cj, c40)
            vstore_add(c, ci + 4, cj + v, c41)
        if rows > 5:
            vstore_add(c, ci + 5, cj, c50)
            vstore_add(c, ci + 5, cj + v, c51)


@njit(cache=True, fastmath=_FM)
def _kernel8(kc, ap, ao, bp, bo, c, ci, cj, first, rows):  # pragma: no cover
    """c[ci:ci+rows, cj:cj+NR] = (or +=, unless first) the first rows (rows <= 8) of the 8 x NR product of
    the packed panels ap (from ao, 8 values a step) and bp (from bo, NR values a step) over kc steps; NR = two
    vectors. Rows past `rows` are computed (from the panel's zero padding) but not stored."""
    v = _VB // bp.itemsize
    nr = 2 * v
    prefetch(c, ci, cj)
    prefetch(c, ci, cj + nr - 1)
    prefetch(c, ci + 1, cj)
    prefetch(c, ci + 1, cj + nr - 1)
    prefetch(c, ci + 2, cj)
    prefetch(c, ci + 2, cj + nr - 1)
    prefetch(c, ci + 3, cj)
    prefetch(c, ci + 3, cj + nr - 1)
    prefetch(c, ci + 4, cj)
    prefetch(c, ci + 4, cj + nr - 1)
    prefetch(c, ci + 5, cj)
    prefetch(c, ci + 5, cj + nr - 1)
    prefetch(c, ci + 6, cj)
    prefetch(c, ci + 6, cj + nr - 1)
    prefetch(c, ci + 7, cj)
    prefetch(c, ci + 7, cj + nr - 1)
    c00 = vzero(bp)
    c01 = vzero(bp)
    c10 = vzero(bp)
    c11 = vzero(bp)
    c20 = vzero(bp)
    c21 = vzero(bp)
    c30 = vzero(bp)
    c31 = vzero(bp)
    c40 = vzero(bp)
    c41 = vzero(bp)
    c50 = vzero(bp)
    c51 = vzero(bp)
    c60 = vzero(bp)
    c61 = vzero(bp)
    c70 = vzero(bp)
    c71 = vzero(bp)
    for _ in range(kc):
        b0 = vload(bp, bo)
        b1 = vload(bp, bo + v)
        a = vbcast(ap, ao)
        c00 = vfma(a, b0, c00)
        c01 = vfma(a, b1, c01)
        a = vbcast(ap, ao + 1)
        c10 = vfma(a, b0, c10)
        c11 = vfma(a, b1, c11)
        a = vbcast(ap, ao + 2)
        c20 = vfma(a, b0, c20)
        c21 = vfma(a, b1, c21)
        a = vbcast(ap, ao + 3)
        c30 = vfma(a, b0, c30)
        c31 = vfma(a, b1, c31)
        a = vbcast(ap, ao + 4)
        c40 = vfma(a, b0, c40)
        c41 = vfma(a, b1, c41)
        a = vbcast(ap, ao + 5)
        c50 = vfma(a, b0, c50)
        c51 = vfma(a, b1, c51)
        a = vbcast(ap, ao + 6)
        c60 = vfma(a, b0, c60)
        c61 = vfma(a, b1, c61)
        a = vbcast(ap, ao + 7)
        c70 = vfma(a, b0, c70)
        c71 = vfma(a, b1, c71)
        ao += 8
        bo += nr
    if first:
        vstore(c, ci, cj, c00)
        vstore(c, ci, cj + v, c01)
        if rows > 1:
            vstore(c, ci + 1, cj, c10)
            vstore(c, ci + 1, cj + v, c11)
        if rows > 2:
            vstore(c, ci + 2, cj, c20)
            vstore(c, ci + 2, cj + v, c21)
        if rows > 3:
            vstore(c, ci + 3, cj, c30)
            vstore(c, ci + 3, cj + v, c31)
        if rows > 4:
            vstore(c, ci + 4, cj, c40)
            vstore(c, ci + 4, cj + v, c41)
        if rows > 5:
            vstore(c, ci + 5, cj, c50)
            vstore(c, ci + 5, cj + v, c51)
        if rows > 6:
            vstore(c, ci + 6, cj, c60)
            vstore(c, ci + 6, cj + v, c61)
        if rows > 7:
            vstore(c, ci + 7, cj, c70)
            vstore(c, ci + 7, cj + v, c71)
    else:
        vstore_add(c, ci, cj, c00)
        vstore_add(c, ci, cj + v, c01)
        if rows > 1:
            vstore_add(c, ci + 1, cj, c10)
            vstore_add(c, ci + 1, cj + v, c11)
        if rows > 2:
            vstore_add(c, ci + 2, cj, c20)
            vstore_add(c, ci + 2, cj + v, c21)
        if rows > 3:
            vstore_add(c, ci + 3, cj, c30)
            vstore_add(c, ci + 3, cj + v, c31)
        if rows > 4:
            vstore_add(c, ci + 4, cj, c40)
            vstore_add(c, ci + 4, cj + v, c41)
        if rows > 5:
            vstore_add(c, ci + 5, cj, c50)
            vstore_add(c, ci + 5, cj + v, c51)
        if rows > 6:
            vstore_add(c, ci + 6, cj, c60)
            vstore_add(c, ci + 6, cj + v, c61)
        if rows > 7:
            vstore_add(c, ci + 7, cj, c70)
            vstore_add(c, ci + 7, cj + v, c71)


_kernel = _kernel8 if _MR == 8 else _kernel6


@njit(cache=True)
def _pack_a(af, aoff, ars, acs, i0, mcur, p0, kcur, ap):  # pragma: no cover
    """ap[q*MR*kcur + p*MR + i] = op(A)[i0 + q*MR + i, p0 + p] for op(A)[r, p] = af[aoff + r*ars + p*acs],
    rows past mcur zero (the last panel is padded to MR rows)."""
    z = ap.dtype.type(0)
    td = TRANSPOSE_DEPTH
    for q in range((mcur + _MR - 1) // _MR):
        dst = q * _MR * kcur
        rows = min(_MR, mcur - q * _MR)
        src = aoff + (i0 + q * _MR) * ars + p0 * acs
        p1 = 0
        if rows == _MR and acs == 1:  # rows of op(A) contiguous: transposed td values at a time
            p1 = kcur // td * td
            for p in range(0, p1, td):
                vtranspose(ap, dst + p * _MR, _MR, af, src + p, ars, _MR)
        elif rows == _MR and ars == 1:  # columns of op(A) contiguous: MR values a step
            p1 = kcur
            for p in range(kcur):
                vcopy(ap, dst + p * _MR, af, src + p * acs, _MR)
        for p in range(p1, kcur):
            s = src + p * acs
            d = dst + p * _MR
            for i in range(rows):
                ap[d + i] = af[s + i * ars]
            for i in range(rows, _MR):
                ap[d + i] = z


@njit(cache=True, fastmath=_FM)
def _pack_b_panels(bf, boff, brs, bcs, p0, kcur, j0, ncur, q0, q1, bp, scale, has_scale):  # pragma: no cover
    """Panels q0:q1 of bp: bp[q*NR*kcur + p*NR + j] = op(B)[p0 + p, j0 + q*NR + j] (times scale[p0 + p] when
    has_scale) for op(B)[p, c] = bf[boff + p*brs + c*bcs], columns past ncur zero."""
    nr = _nr(bp)
    v = nr // 2
    z = bp.dtype.type(0)
    td = TRANSPOSE_DEPTH
    for q in range(q0, q1):
        dst = q * nr * kcur
        cols = min(nr, ncur - q * nr)
        src = boff + p0 * brs + (j0 + q * nr) * bcs
        p1 = 0
        if cols == nr and not has_scale:
            if bcs == 1:  # rows of op(B) contiguous: two vectors a step
                p1 = kcur
                for p in range(kcur):
                    s = src + p * brs
                    d = dst + p * nr
                    vstore1(bp, d, vload(bf, s))
                    vstore1(bp, d + v, vload(bf, s + v))
            elif brs == 1:  # columns of op(B) contiguous (a transposed row-major array): 8 (4) columns
                p1 = kcur // td * td  # transposed td values at a time
                for p in range(0, p1, td):
                    d = dst + p * nr
                    if nr % 8 == 0:
                        for g in range(0, nr, 8):
                            vtranspose(bp, d + g, nr, bf, src + g * bcs + p, bcs, 8)
                    else:
                        for g in range(0, nr, 4):
                            vtranspose(bp, d + g, nr, bf, src + g * bcs + p, bcs, 4)
        for p in range(p1, kcur):
            s = src + p * brs
            d = dst + p * nr
            if has_scale:
                w = scale[p0 + p]
                for j in range(cols):
                    bp[d + j] = bf[s + j * bcs] * w
            else:
                for j in range(cols):
                    bp[d + j] = bf[s + j * bcs]
            for j in range(cols, nr):
                bp[d + j] = z


@njit(cache=True)
def _pack_b(bf, boff, brs, bcs, p0, kcur, j0, ncur, bp):  # pragma: no cover
    """All panels of one KC x NC slice: bp[q*NR*kcur + p*NR + j] = op(B)[p0 + p, j0 + q*NR + j], zero padded;
    bp is 1-D, of at least ceil(ncur / NR) * NR * kcur elements."""
    _pack_b_panels(bf, boff, brs, bcs, p0, kcur, j0, ncur, 0, (ncur + _nr(bp) - 1) // _nr(bp), bp, bp[:0], False)


@njit(cache=True)
def _macro(ap, mcur, bp, kcur, q0, q1, ncur, out, ci0, cj0, first, tri, direct, tile):  # pragma: no cover
    """out[ci0 + i, cj0 + j] = (or +=) the packed A block (mcur rows) times the packed B panels q0:q1
    (ncur columns in all); tri: only tiles reaching the diagonal or above it."""
    nr = _nr(bp)
    npa = (mcur + _MR - 1) // _MR
    for q in range(q0, q1):
        cj = cj0 + q * nr
        ncols = min(nr, ncur - q * nr)
        bo = q * nr * kcur
        for ir in range(npa):
            ci = ci0 + ir * _MR
            if tri and cj + ncols <= ci:  # every column of the tile left of its first row
                break
            nrows = min(_MR, mcur - ir * _MR)
            # A last strip of fewer than MR rows stores its rows straight into out (the kernel computes
            # MR rows from the zero-padded panel): through the scratch tile, the 4-row strip of a
            # 64-row product cost ~10% of it (64×784 @ 784×256 float32, AVX2: 306 → 278–290 µs).
            whole = direct and ncols == nr
            # one call site (the kernel is inlined once): into out, or into the scratch tile at an edge
            _kernel(kcur, ap, ir * _MR * kcur, bp, bo, out if whole else tile, ci if whole else 0,
                    cj if whole else 0, first or not whole, nrows if whole else _MR)
            if not whole:
                for i in range(nrows):
                    for j in range(ncols):
                        if first:
                            out[ci + i, cj + j] = tile[i, j]
                        else:
                            out[ci + i, cj + j] += tile[i, j]


@njit(cache=True)
def _rows_then_panels(af, aoff, ars, acs, r0, r1, mc, p0, kcur, j0, ncur, q0, q1, bp, out, first, tri, direct,
                      ap, tile):  # pragma: no cover
    """Rows r0:r1 of out times panels q0:q1 of the packed slice bp, MC rows at a time (ap: the A block's room)."""
    for i0 in range(r0, r1, mc):
        if tri and j0 + ncur <= i0:  # this block and those after it lie below the diagonal
            break
        mcur = min(mc, r1 - i0)
        _pack_a(af, aoff, ars, acs, i0, mcur, p0, kcur, ap)
        _macro(ap, mcur, bp, kcur, q0, q1, ncur, out, i0, j0, first, tri, direct, tile)


@njit(cache=True)
def _block(af, aoff, ars, acs, i0, mcur, p0, kcur, j0, ncur, bp, out, first):  # pragma: no cover
    """out[i0:i0+mcur, j0:j0+ncur] = (or +=, unless first) op(A)[i0:i0+mcur, p0:p0+kcur] times the packed
    slice bp (see _pack_b). Allocates the A block's room (for callers without a work array)."""
    nr = _nr(bp)
    asz = (mcur + _MR - 1) // _MR * _MR * kcur
    ap = np.empty(asz + _MR * nr, dtype=out.dtype)
    tile = ap[asz:].reshape((_MR, nr))
    direct = out.strides[1] == out.itemsize
    _rows_then_panels(af, aoff, ars, acs, i0, i0 + mcur, mcur, p0, kcur, j0, ncur, 0, (ncur + nr - 1) // nr, bp, out,
                      first, False, direct, ap, tile)


# ---------------------------------------------------------------------------
# drivers: blocking, the work array, the threads

@njit(cache=True)
def _sizes(m, n, k, mc, kc, nc, nr):  # pragma: no cover
    """The effective (mc, kc, nc) — mc a multiple of MR, nc of NR, none larger than the product needs, k cut
    in slices of equal depth — and the work array's parts: packed B slice, and per thread unit its A block
    + scratch tile."""
    mc = max(_MR, mc // _MR * _MR)
    mc = min(mc, (m + _MR - 1) // _MR * _MR)
    kc = max(1, min(kc, k))
    nk = (k + kc - 1) // kc  # as many KC slices, of equal depths (a multiple of the transpose depth)
    kc = min(k, ((k + nk - 1) // nk + TRANSPOSE_DEPTH - 1) // TRANSPOSE_DEPTH * TRANSPOSE_DEPTH)
    nc = max(nr, nc // nr * nr)
    nc = min(nc, (n + nr - 1) // nr * nr)
    return mc, kc, nc, nc * kc, mc * kc + _MR * nr


@njit(cache=True)
def _ws_size(m, n, k, mc, kc, nc, nr, units, itemsize):  # pragma: no cover
    """Elements of the work array for a product on ``units`` thread units (with the alignment slack)."""
    _, _, _, bsize, usize = _sizes(m, n, k, mc, kc, nc, nr)
    return bsize + units * usize + _ALIGN // itemsize


@njit(cache=True)
def _split(m, npan, units, tri):  # pragma: no cover
    """(row parts, column parts) of the output for ``units`` threads: the factorization with the fewest
    tiles per unit, ties to more row parts (column parts each pack the same A rows); rows only for tri."""
    if tri:
        return units, 1
    mpan = (m + _MR - 1) // _MR
    best_tm = units
    best = -1
    for tm in range(units, 0, -1):
        if units % tm:
            continue
        tn = units // tm
        cost = ((mpan + tm - 1) // tm) * ((npan + tn - 1) // tn)
        if best < 0 or cost < best:
            best = cost
            best_tm = tm
    return best_tm, units // best_tm


@njit(cache=True)
def _row_range(m, part, parts, tri):  # pragma: no cover
    """Rows of row part ``part`` of ``parts``: equal numbers of MR panels, or (tri) equal areas of the
    upper triangle (row i holds m - i of its elements: boundaries at m (1 - sqrt(1 - part / parts)))."""
    mpan = (m + _MR - 1) // _MR
    if tri:
        lo = int(np.floor(mpan * (1.0 - np.sqrt(1.0 - part / parts)) + 0.5))
        hi = int(np.floor(mpan * (1.0 - np.sqrt(1.0 - (part + 1) / parts)) + 0.5)) if part + 1 < parts else mpan
    else:
        lo = part * mpan // parts
        hi = (part + 1) * mpan // parts
    return min(m, lo * _MR), min(m, hi * _MR)


@njit(cache=True)
def _unit_work(u, pack, af, aoff, ars, acs, bf, boff, brs, bcs, m, mc, p0, kcur, j0, ncur, units, tm, tn, out, scale,
               has_scale, tri, ws, w0, bsize, usize, direct):  # pragma: no cover
    """Thread unit u's share of one KC x NC slice: its panels of op(B) packed (pack), or its rectangle of the
    output multiplied (its rows of op(A) packed into its own part of ws)."""
    nr = _nr(out)
    npan = (ncur + nr - 1) // nr
    bp = ws[w0:w0 + bsize]
    if pack:
        _pack_b_panels(bf, boff, brs, bcs, p0, kcur, j0, ncur, u * npan // units, (u + 1) * npan // units, bp,
                       scale, has_scale)
        return
    r0, r1 = _row_range(m, u // tn, tm, tri)
    uj = u % tn
    a0 = w0 + bsize + u * usize
    tile = ws[a0 + usize - _MR * nr:a0 + usize].reshape((_MR, nr))
    _rows_then_panels(af, aoff, ars, acs, r0, r1, mc, p0, kcur, j0, ncur, uj * npan // tn, (uj + 1) * npan // tn, bp,
                      out, p0 == 0, tri, direct, ws[a0:a0 + usize - _MR * nr], tile)


@njit(cache=True, parallel=True)
def _units_par(pack, af, aoff, ars, acs, bf, boff, brs, bcs, m, mc, p0, kcur, j0, ncur, units, tm, tn, out, scale,
               has_scale, tri, ws, w0, bsize, usize, direct):  # pragma: no cover
    """_unit_work for every unit, on the thread pool (one parallel region: B packed, or the output's rectangles)."""
    for u in prange(units):
        _unit_work(u, pack, af, aoff, ars, acs, bf, boff, brs, bcs, m, mc, p0, kcur, j0, ncur, units, tm, tn, out, scale,
                   has_scale, tri, ws, w0, bsize, usize, direct)


@njit(cache=True)
def _gemm(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, nthreads, scale, has_scale, tri,
          ws):  # pragma: no cover
    """out (m, n) = op(A) @ op(B) (op(B)'s row p times scale[p] when has_scale; tri: only the tiles on or
    above the diagonal) on nthreads thread units (fewer when there are too few tiles), with the work array ws
    (allocated here when too small)."""
    if m == 0 or n == 0:
        return
    if k == 0:
        for i in range(m):
            for j in range(n):
                out[i, j] = 0
        return
    nr = _nr(out)
    mc, kc, nc, bsize, usize = _sizes(m, n, k, mc, kc, nc, nr)
    units = max(1, nthreads)  # the caller has weighed the product against _PARALLEL_MIN_FLOPS
    if units > 1 and ((m + _MR - 1) // _MR) * ((min(n, nc) + nr - 1) // nr) < 2 * units:
        units = 1  # too few tiles to share
    itemsize = out.itemsize
    need = bsize + units * usize + _ALIGN // itemsize
    if ws.shape[0] < need:
        ws = np.empty(need, dtype=out.dtype)
    addr = ws.ctypes.data
    w0 = ((-addr) % _ALIGN) // itemsize if addr % itemsize == 0 else 0
    direct = out.strides[1] == itemsize
    for j0 in range(0, n, nc):
        ncur = min(nc, n - j0)
        tm, tn = _split(m, (ncur + nr - 1) // nr, units, tri)
        for p0 in range(0, k, kc):
            kcur = min(kc, k - p0)
            for phase in range(2):  # B packed (by all the threads), then one rectangle of the output per thread
                if units > 1:
                    _units_par(phase == 0, af, aoff, ars, acs, bf, boff, brs, bcs, m, mc, p0, kcur, j0, ncur, units,
                               tm, tn, out, scale, has_scale, tri, ws, w0, bsize, usize, direct)
                else:
                    _unit_work(0, phase == 0, af, aoff, ars, acs, bf, boff, brs, bcs, m, mc, p0, kcur, j0, ncur, 1,
                               1, 1, out, scale, has_scale, tri, ws, w0, bsize, usize, direct)


@intrinsic
def _readonly(typingctx, arr):
    """The same array typed read-only (no copy): the operands reach _gemm with the types matmul gives them,
    so the MLP epoch reuses matmul's compilation instead of compiling the GEMM a second time."""
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, sig, args):
        return impl_ret_borrowed(context, builder, sig.return_type, args[0])  # a new reference: incref'd

    return arr.copy(readonly=True)(arr), codegen


@njit(cache=True)
def _mm(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, nthreads):  # pragma: no cover
    """out (m, n) = op(A) @ op(B) for op(A)[i, p] = af[aoff + i*ars + p*acs], op(B)[p, j] = bf[boff + p*brs + j*bcs],
    on up to nthreads threads when the product is large enough to pay for them; one work array per call."""
    nr = _nr(out)
    units = nthreads if nthreads > 1 and m * n * k >= _PARALLEL_MIN_FLOPS else 1
    ws = np.empty(_ws_size(m, n, k, mc, kc, nc, nr, units, out.itemsize), dtype=out.dtype)
    no = m < 0  # a bool variable, not a literal: the signature matmul compiles
    _gemm(_readonly(af), aoff, ars, acs, _readonly(bf), boff, brs, bcs, m, n, k, out, mc, kc, nc, units, ws[:0], no,
          no, ws)


# ---------------------------------------------------------------------------
# Python side: strides -> (flat buffer, offset, row stride, col stride)

# (MC, KC, NC) per dtype: the KC x NR panel of B ~ half of L1, the MC x KC block of A ~ L2.
if _MR == 8:  # AVX-512: NR = 32 (float32) / 16 (float64)
    _BLOCKING = {
        np.dtype(np.float64): (96, 256, 4096),
        np.dtype(np.float32): (192, 256, 4096),
    }
else:  # NR = 16 / 8 (AVX2), 8 / 4 (16-byte vectors)
    _BLOCKING = {
        np.dtype(np.float64): (72, 256, 4080),
        np.dtype(np.float32): (144, 256, 4080),
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


_local = threading.local()


def _workspace(dtype, m, n, k, nthreads):
    """This Python thread's work array for a product of this size (allocated once, grown when needed)."""
    mc, kc, nc = _BLOCKING[dtype]
    units = nthreads if nthreads > 1 and m * n * k >= _PARALLEL_MIN_FLOPS else 1
    need = _ws_size(m, n, k, mc, kc, nc, _NR[dtype], units, dtype.itemsize)
    cache = getattr(_local, "ws", None)
    if cache is None:
        cache = _local.ws = {}
    ws = cache.get(dtype.char)
    if ws is None or ws.shape[0] < need:
        ws = cache[dtype.char] = np.empty(need, dtype=dtype)
    return ws


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
    dtype = out.dtype
    mc, kc, nc = _BLOCKING[dtype]
    nt = _threads() if m * n * k >= _PARALLEL_MIN_FLOPS else 1
    ws = _workspace(dtype, m, n, k, nt)
    _gemm(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, nt, ws[:0], False, False, ws)


@njit(cache=True)
def _symmetrize(out):  # pragma: no cover
    """The lower triangle from the upper one."""
    p = out.shape[0]
    for i in range(p):
        for j in range(i):
            out[i, j] = out[j, i]


def gram(x, out, sample_weight=None, shift=None):
    """out = x.T @ x, or x.T @ diag(w) @ x (the weights scale x as it is packed): the upper triangle's
    tiles only, then mirrored, so exactly symmetric. A shift is subtracted into a copy of x (the cpp
    backend subtracts it as it packs)."""
    if shift is not None:
        x = x - shift
    n, p = x.shape
    if p == 0:
        return
    if n == 0:
        out[...] = 0
        return
    xf, off, rs, cs = _flat(x)
    dtype = out.dtype
    mc, kc, nc = _BLOCKING[dtype]
    nt = _threads() if p * p * n >= 2 * _PARALLEL_MIN_FLOPS else 1
    ws = _workspace(dtype, p, p, n, nt)
    if sample_weight is None:
        scale, has_scale = ws[:0], False
    else:
        scale, has_scale = np.require(sample_weight, dtype, ["C", "W"]), True
    # op(A) = xᵀ (strides swapped), op(B) = x (row q scaled by w[q])
    _gemm(xf, off, cs, rs, xf, off, rs, cs, p, p, n, out, mc, kc, nc, nt, scale, has_scale, True, ws)
    if p > 1:
        _symmetrize(out)
