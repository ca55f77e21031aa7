"""Distances for the Numba backend: squared distances, the k-means assignment step, k nearest neighbours.

All three take the cross term ``x·y`` from this backend's packed GEMM (``gemm._block``: the
MC-row packing of x and the register micro-kernel) against panels of y (or of the centres) packed
once per call. ``kmeans_step`` and ``nearest_neighbors`` never form the n×m matrix: rows of x go
in FIXED-size chunks of ``_CHUNK`` rows (spread over the threads with ``prange``), and each chunk
multiplies MC-row blocks against NC-column blocks of y into a small buffer that is consumed at
once by the argmin or by the per-row selection. The chunk size does not depend on the thread
count, k-means' per-chunk partial sums are float64 and are merged in chunk order, and each row's
selection is independent of the others: the results are bit-identical on any number of threads.

The chunks go in waves (a bounded number of chunks per jitted call), which keeps the k-means
partial sums' memory bounded and returns to Python between waves, so Ctrl-C is seen.

Selection order: ranks ``‖yⱼ‖² − 2 xᵢ·yⱼ`` compare by value, then by index; a NaN ranks after
every number (so np.argmin's "a NaN wins" is handled separately in the k-means argmin).
"""
import numpy as np
from numba import njit, prange

from .gemm import _BLOCKING, _NR, _block, _n_chunks, _nr, _pack_b, _threads, matmul

# No 'nnan'/'ninf'/'fast': NaN and inf must propagate like in NumPy.
_FM = {"contract", "reassoc", "nsz", "arcp"}

#: Rows of x per chunk. Fixed: the thread count never changes it.
_CHUNK = 256
#: Multiply-adds per wave of chunks (about 10–50 ms here), and the most memory a wave's k-means
#: partial sums may take.
_WAVE_MACS = 1 << 27
_WAVE_BYTES = 1 << 25


# --------------------------------------------------------------------------- shared pieces

@njit(cache=True, fastmath=_FM)
def _sq_norms(x, out):  # pragma: no cover
    """out[i] = ‖x[i]‖², accumulated in float64 and rounded once to out's dtype."""
    for i in range(x.shape[0]):
        s = 0.0
        row = x[i]
        for q in range(x.shape[1]):
            v = np.float64(row[q])
            s += v * v
        out[i] = s


@njit(cache=True)
def _pack_all(yf, m, p, kc, nc, bpack):  # pragma: no cover
    """Pack op(B) = yᵀ (y: m×p rows, flat yf) into GEMM panels, every (NC column block, KC slice) at
    once: the slice (j0, p0) sits at offset ``j0·p + npb·NR·p0`` (npb = its NR-panels), npb·NR·kcur values."""
    one = m * 0 + 1
    zero = one - 1
    nr = _nr(bpack)
    for j0 in range(0, m, nc):
        ncur = min(nc, m - j0)
        npb = (ncur + nr - 1) // nr
        for p0 in range(0, p, kc):
            kcur = min(kc, p - p0)
            off = j0 * p + npb * nr * p0
            _pack_b(yf, zero, one, p, p0, kcur, j0, ncur, bpack[off:off + npb * nr * kcur])


@njit(cache=True)
def _products(xf, s0, mcur, p, bpack, j0, ncur, kc, prod):  # pragma: no cover
    """prod[:mcur, :ncur] = x[s0:s0+mcur] @ y[j0:j0+ncur].T from the packed y (see _pack_all)."""
    if p == 0:
        for i in range(mcur):
            for j in range(ncur):
                prod[i, j] = 0
        return
    one = s0 * 0 + 1
    zero = one - 1
    nr = _nr(bpack)
    npb = (ncur + nr - 1) // nr
    for p0 in range(0, p, kc):
        kcur = min(kc, p - p0)
        off = j0 * p + npb * nr * p0
        bp = bpack[off:off + npb * nr * kcur]
        _block(xf, s0 * p, p, one, zero, mcur, p0, kcur, zero, ncur, bp, prod, p0 == 0)


@njit(cache=True, fastmath=_FM)
def _row_sq_dist(x, i, y, j):  # pragma: no cover
    """‖x[i] − y[j]‖² computed directly, in float64."""
    xr = x[i]
    yr = y[j]
    s = 0.0
    for q in range(x.shape[1]):
        d = np.float64(xr[q]) - np.float64(yr[q])
        s += d * d
    return s


def _readonly(a):
    """A read-only view (one array type per dtype for the jitted code, whatever the caller passed)."""
    v = a.view()
    v.flags.writeable = False
    return v


def _packed(y, kc, nc):
    """(y's flat read-only view, y packed as GEMM panels) for y of shape (m, p), C-contiguous."""
    m, p = y.shape
    yf = _readonly(y.reshape(-1))
    nr = _NR[y.dtype]
    bpack = np.empty(((m + nr - 1) // nr) * nr * p, dtype=y.dtype)
    if bpack.size:
        _pack_all(yf, m, p, kc, nc, bpack)
    return yf, bpack


def _chunks_per_wave(n_chunks, macs_per_chunk, threads):
    """Chunks per jitted call: about _WAVE_MACS of work, at least one per thread."""
    return max(1, min(n_chunks, max(threads, _WAVE_MACS // max(macs_per_chunk, 1))))


# --------------------------------------------------------------------------- pairwise_sq_distances

@njit(cache=True, fastmath=_FM)
def _pairwise_rows(out, xx, yy, same, r0, r1):  # pragma: no cover
    """Rows r0:r1: out = max(xx − 2·out + yy, 0) keeping NaN (out holds x @ yᵀ); only j > i when same."""
    two = out.dtype.type(2)
    zero = out.dtype.type(0)
    m = out.shape[1]
    for i in range(r0, r1):
        row = out[i]
        a = xx[i]
        for j in range(i + 1 if same else 0, m):
            d = (a - two * row[j]) + yy[j]
            row[j] = zero if d < zero else d  # NaN < 0 is false: NaN stays


@njit(cache=True)
def _mirror_rows(out, r0, r1):  # pragma: no cover
    """Rows r0:r1: the lower triangle from the upper one, 0 on the diagonal."""
    for i in range(r0, r1):
        row = out[i]
        for j in range(i):
            row[j] = out[j, i]
        row[i] = 0


@njit(cache=True, parallel=True)
def _pairwise_par(out, xx, yy, same, n_chunks):  # pragma: no cover
    n = out.shape[0]
    for c in prange(n_chunks):
        _pairwise_rows(out, xx, yy, same, c * n // n_chunks, (c + 1) * n // n_chunks)


@njit(cache=True, parallel=True)
def _mirror_par(out, n_chunks):  # pragma: no cover
    n = out.shape[0]
    for c in prange(n_chunks):
        _mirror_rows(out, c * n // n_chunks, (c + 1) * n // n_chunks)


def pairwise_sq_distances(x, y, same, out):
    """out[i, j] = ‖x[i] − y[j]‖² = max(‖x[i]‖² − 2 x[i]·y[j] + ‖y[j]‖², 0); exactly symmetric with a
    zero diagonal when same (y is x)."""
    n, m = out.shape
    if n == 0 or m == 0:
        return
    matmul(x, y, False, True, out)
    xx = np.empty(n, dtype=out.dtype)
    _sq_norms(_readonly(x), xx)
    if same:
        yy = xx
    else:
        yy = np.empty(m, dtype=out.dtype)
        _sq_norms(_readonly(y), yy)
    nc = min(_n_chunks(out.size), n)
    if nc > 1:
        _pairwise_par(out, xx, yy, same, nc)
        if same:
            _mirror_par(out, nc)
    else:
        _pairwise_rows(out, xx, yy, same, 0, n)
        if same:
            _mirror_rows(out, 0, n)


# --------------------------------------------------------------------------- kmeans_step

@njit(cache=True, fastmath=_FM)
def _kmeans_chunk(x, xf, centers, bpack, cc, w, has_w, r0, r1, labels, sq_dist, psum, pw, mc, kc, nc):  # pragma: no cover
    """Rows r0:r1 of x: labels, sq_dist, and their weighted sums into psum (k, p) / pw (k) (float64, zeroed here)."""
    p = x.shape[1]
    k = centers.shape[0]
    two = cc.dtype.type(2)
    prod = np.empty((mc, min(k, nc)), dtype=x.dtype)
    best = np.empty(mc, dtype=x.dtype)
    best_j = np.empty(mc, dtype=np.int64)
    psum[:, :] = 0.0
    pw[:] = 0.0
    for s0 in range(r0, r1, mc):
        mcur = min(mc, r1 - s0)
        for j0 in range(0, k, nc):
            ncur = min(nc, k - j0)
            _products(xf, s0, mcur, p, bpack, j0, ncur, kc, prod)
            for i in range(mcur):
                row = prod[i]
                if j0 == 0:
                    bv = cc[0] - two * row[0]
                    bj = 0
                    start = 1
                else:
                    bv = best[i]
                    bj = best_j[i]
                    start = 0
                if bv == bv:  # as np.argmin: the first minimum, but the first NaN wins over everything
                    for j in range(start, ncur):
                        v = cc[j0 + j] - two * row[j]
                        if v < bv:
                            bv = v
                            bj = j0 + j
                        elif v != v:
                            bj = j0 + j
                            bv = v
                            break
                best[i] = bv
                best_j[i] = bj
        for i in range(mcur):
            r = s0 + i
            lab = best_j[i]
            labels[r] = lab
            if sq_dist.shape[0]:  # an empty sq_dist: distances not asked for (return_sq_dist=False)
                sq_dist[r] = _row_sq_dist(x, r, centers, lab)
            wi = np.float64(w[r]) if has_w else 1.0
            xr = x[r]
            ps = psum[lab]
            for q in range(p):
                ps[q] += np.float64(xr[q]) * wi
            pw[lab] += wi


@njit(cache=True)
def _kmeans_wave(x, xf, centers, bpack, cc, w, has_w, c0, n_chunks, labels, sq_dist, psum, pw, mc, kc, nc):  # pragma: no cover
    n = x.shape[0]
    for t in range(n_chunks):
        r0 = (c0 + t) * _CHUNK
        _kmeans_chunk(x, xf, centers, bpack, cc, w, has_w, r0, min(n, r0 + _CHUNK), labels, sq_dist, psum[t], pw[t],
                      mc, kc, nc)


@njit(cache=True, parallel=True)
def _kmeans_wave_par(x, xf, centers, bpack, cc, w, has_w, c0, n_chunks, labels, sq_dist, psum, pw, mc, kc, nc):  # pragma: no cover
    n = x.shape[0]
    for t in prange(n_chunks):
        r0 = (c0 + t) * _CHUNK
        _kmeans_chunk(x, xf, centers, bpack, cc, w, has_w, r0, min(n, r0 + _CHUNK), labels, sq_dist, psum[t], pw[t],
                      mc, kc, nc)


@njit(cache=True)
def _merge(psum, pw, n_chunks, sums, weights):  # pragma: no cover
    """sums += psum[0] + psum[1] + ... in chunk order (float64), and the same for the weights."""
    for t in range(n_chunks):
        sums += psum[t]
        weights += pw[t]


def kmeans_step(x, centers, sample_weight, labels, sq_dist, sums, weights):
    """labels = nearest centre (ties to the lowest index, a NaN wins), sq_dist = exact ‖x − c_label‖²,
    sums/weights = per-centre weighted sums (float64, in fixed chunk order); see the contract."""
    n, p = x.shape
    k = centers.shape[0]
    mc, kc, nc = _BLOCKING[x.dtype]
    x = _readonly(x)
    xf = _readonly(x.reshape(-1))
    centers = _readonly(centers)
    cf, bpack = _packed(centers, kc, nc)
    cc = np.empty(k, dtype=x.dtype)
    _sq_norms(centers, cc)
    has_w = sample_weight is not None
    # one compiled signature per dtype: "no weights" is an empty array and a flag
    w = _readonly(sample_weight if has_w else np.empty(0, dtype=x.dtype))
    if sq_dist is None:  # same compiled signature: an empty array means "no distances"
        sq_dist = np.empty(0, dtype=x.dtype)
    n_chunks = -(-n // _CHUNK)
    threads = _threads() if n_chunks > 1 else 1
    per_wave = _chunks_per_wave(n_chunks, _CHUNK * k * max(p, 1), threads)
    per_wave = max(1, min(per_wave, _WAVE_BYTES // (8 * k * (p + 1))))  # partial sums' memory
    psum = np.empty((per_wave, k, p))
    pw = np.empty((per_wave, k))
    sums64 = np.zeros((k, p))
    weights64 = np.zeros(k)
    for c0 in range(0, n_chunks, per_wave):  # back in Python between waves (Ctrl-C)
        m = min(per_wave, n_chunks - c0)
        wave = _kmeans_wave_par if threads > 1 and m > 1 else _kmeans_wave
        wave(x, xf, centers, bpack, cc, w, has_w, c0, m, labels, sq_dist, psum, pw, mc, kc, nc)
        _merge(psum, pw, m, sums64, weights64)
    sums[...] = sums64
    weights[...] = weights64


# --------------------------------------------------------------------------- nearest_neighbors

@njit(cache=True)
def _after(v1, i1, v2, i2):  # pragma: no cover
    """Whether (v1, i1) ranks after (v2, i2): by value with NaN after every number, then by index."""
    if v1 != v1:
        return v2 == v2 or i1 > i2
    if v2 != v2:
        return False
    if v1 != v2:
        return v1 > v2
    return i1 > i2


@njit(cache=True)
def _sift_down(v, ix, pos, end):  # pragma: no cover
    """Restore the max-heap (the last-ranked at the root) below pos, in v[:end], ix[:end]."""
    val = v[pos]
    idx = ix[pos]
    while True:
        c = 2 * pos + 1
        if c >= end:
            break
        if c + 1 < end and _after(v[c + 1], ix[c + 1], v[c], ix[c]):
            c += 1
        if not _after(v[c], ix[c], val, idx):
            break
        v[pos] = v[c]
        ix[pos] = ix[c]
        pos = c
    v[pos] = val
    ix[pos] = idx


@njit(cache=True)
def _push(v, ix, count, val, idx):  # pragma: no cover
    """Add (val, idx) to the max-heap v[:count], ix[:count]."""
    pos = count
    while pos > 0:
        parent = (pos - 1) // 2
        if not _after(val, idx, v[parent], ix[parent]):
            break
        v[pos] = v[parent]
        ix[pos] = ix[parent]
        pos = parent
    v[pos] = val
    ix[pos] = idx


@njit(cache=True)
def _heap_sort(v, ix):  # pragma: no cover
    """Sort v, ix in place, ascending by (value, index), NaN last."""
    k = v.shape[0]
    for start in range(k // 2 - 1, -1, -1):
        _sift_down(v, ix, start, k)
    for end in range(k - 1, 0, -1):
        tv = v[0]
        ti = ix[0]
        v[0] = v[end]
        ix[0] = ix[end]
        v[end] = tv
        ix[end] = ti
        _sift_down(v, ix, 0, end)


@njit(cache=True, fastmath=_FM)
def _neighbors_chunk(x, xf, y, bpack, yy, same, r0, r1, sq_dist, indices, mc, kc, nc):  # pragma: no cover
    """Rows r0:r1 of x: their k nearest rows of y (k = indices.shape[1]), nearest first."""
    p = x.shape[1]
    m = y.shape[0]
    k = indices.shape[1]
    two = yy.dtype.type(2)
    prod = np.empty((mc, min(m, nc)), dtype=x.dtype)
    hv = np.empty((mc, k), dtype=x.dtype)  # per row: a max-heap of the k best (rank, index) so far
    hi = np.empty((mc, k), dtype=np.int64)
    count = np.empty(mc, dtype=np.int64)
    dist = np.empty(k, dtype=x.dtype)
    for s0 in range(r0, r1, mc):
        mcur = min(mc, r1 - s0)
        count[:] = 0
        for j0 in range(0, m, nc):
            ncur = min(nc, m - j0)
            _products(xf, s0, mcur, p, bpack, j0, ncur, kc, prod)
            for i in range(mcur):
                own = s0 + i if same else -1
                row = prod[i]
                v = hv[i]
                ix = hi[i]
                c = count[i]
                for j in range(ncur):
                    jj = j0 + j
                    if jj == own:
                        continue
                    rank = yy[jj] - two * row[j]
                    if c < k:
                        _push(v, ix, c, rank, jj)
                        c += 1
                    elif _after(v[0], ix[0], rank, jj):  # better than the worst kept: replace it
                        v[0] = rank
                        ix[0] = jj
                        _sift_down(v, ix, 0, k)
                count[i] = c
        for i in range(mcur):
            r = s0 + i
            ix = hi[i]
            for t in range(k):
                dist[t] = _row_sq_dist(x, r, y, ix[t])
            _heap_sort(dist, ix)  # by exact distance, then index
            sq_dist[r, :] = dist
            indices[r, :] = ix


@njit(cache=True)
def _neighbors_wave(x, xf, y, bpack, yy, same, c0, n_chunks, sq_dist, indices, mc, kc, nc):  # pragma: no cover
    n = x.shape[0]
    for t in range(n_chunks):
        r0 = (c0 + t) * _CHUNK
        _neighbors_chunk(x, xf, y, bpack, yy, same, r0, min(n, r0 + _CHUNK), sq_dist, indices, mc, kc, nc)


@njit(cache=True, parallel=True)
def _neighbors_wave_par(x, xf, y, bpack, yy, same, c0, n_chunks, sq_dist, indices, mc, kc, nc):  # pragma: no cover
    n = x.shape[0]
    for t in prange(n_chunks):
        r0 = (c0 + t) * _CHUNK
        _neighbors_chunk(x, xf, y, bpack, yy, same, r0, min(n, r0 + _CHUNK), sq_dist, indices, mc, kc, nc)


def nearest_neighbors(x, y, same, sq_dist, indices):
    """The k = indices.shape[1] nearest rows of y to each row of x (itself excluded when same),
    selected by (‖y‖² − 2 x·y, index), then ordered by (exact squared distance, index)."""
    n, p = x.shape
    m = y.shape[0]
    if n == 0:
        return
    mc, kc, nc = _BLOCKING[x.dtype]
    x = _readonly(x)
    xf = _readonly(x.reshape(-1))
    y = x if same else _readonly(y)
    yf, bpack = _packed(y, kc, nc)
    yy = np.empty(m, dtype=x.dtype)
    _sq_norms(y, yy)
    n_chunks = -(-n // _CHUNK)
    threads = _threads() if n_chunks > 1 else 1
    per_wave = _chunks_per_wave(n_chunks, _CHUNK * m * max(p, 1), threads)
    for c0 in range(0, n_chunks, per_wave):  # back in Python between waves (Ctrl-C)
        c = min(per_wave, n_chunks - c0)
        wave = _neighbors_wave_par if threads > 1 and c > 1 else _neighbors_wave
        wave(x, xf, y, bpack, yy, same, c0, c, sq_dist, indices, mc, kc, nc)
