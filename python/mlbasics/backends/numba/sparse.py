"""CSR × dense products for the Numba backend (see the contract, family ``sparse``).

``csr_matmul``: each thread a range of rows holding about the same number of entries (the
boundaries come from ``indptr``), every row written once. ``csr_matmul_t``: each thread owns a range
of output rows (columns of X) and reads every entry, keeping those in its range, so no two threads
write the same element and every element sums its terms in entry order — bit-identical on any
number of threads. Small products run serially (a parallel launch costs more than they do).
"""
import numpy as np
from numba import njit, prange

from .gemm import _PARALLEL_MIN_ELEMENTS, _threads


@njit(cache=True)
def _rows(data, indices, indptr, b, out, r0, r1):  # pragma: no cover
    k = b.shape[1]
    for i in range(r0, r1):
        row = out[i]
        for q in range(k):
            row[q] = 0
        for e in range(indptr[i], indptr[i + 1]):
            v = data[e]
            src = b[indices[e]]
            for q in range(k):
                row[q] += v * src[q]


@njit(cache=True, parallel=True)
def _rows_par(data, indices, indptr, b, out, bounds):  # pragma: no cover
    for c in prange(bounds.shape[0] - 1):
        _rows(data, indices, indptr, b, out, bounds[c], bounds[c + 1])


@njit(cache=True)
def _scatter(data, indices, indptr, g, out, c0, c1):  # pragma: no cover
    """out[j] += Σ data[e] g[i] over the entries e of row i with c0 <= indices[e] = j < c1, in entry order."""
    k = g.shape[1]
    for i in range(indptr.shape[0] - 1):
        src = g[i]
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if c0 <= j < c1:
                v = data[e]
                dst = out[j]
                for q in range(k):
                    dst[q] += v * src[q]


@njit(cache=True, parallel=True)
def _scatter_par(data, indices, indptr, g, out, n_chunks):  # pragma: no cover
    m = out.shape[0]
    for c in prange(n_chunks):
        _scatter(data, indices, indptr, g, out, c * m // n_chunks, (c + 1) * m // n_chunks)


def _work(indptr, k):
    return (int(indptr[-1]) - int(indptr[0])) * max(k, 1)


def csr_matmul(data, indices, indptr, b, out):
    """out = X @ b (rows of X: indptr, which may start past 0)."""
    n_rows = indptr.shape[0] - 1
    if n_rows == 0:
        return
    threads = 1 if _work(indptr, b.shape[1]) < _PARALLEL_MIN_ELEMENTS else _threads()
    if threads == 1 or n_rows < 2:
        _rows(data, indices, indptr, b, out, 0, n_rows)
        return
    # row boundaries that split the entries evenly (a row is never split)
    lo, hi = int(indptr[0]), int(indptr[-1])
    chunks = min(n_rows, 4 * threads)
    targets = lo + (hi - lo) * np.arange(1, chunks) // chunks
    inner = np.searchsorted(indptr, targets, side="left")
    bounds = np.unique(np.concatenate(([0], np.clip(inner, 0, n_rows), [n_rows]))).astype(np.int64)
    _rows_par(data, indices, indptr, b, out, bounds)


def csr_matmul_t(data, indices, indptr, g, out):
    """out += X.T @ g (rows of X: indptr, which may start past 0)."""
    if indptr.shape[0] < 2 or out.shape[0] == 0:
        return
    threads = 1 if _work(indptr, g.shape[1]) < _PARALLEL_MIN_ELEMENTS else _threads()
    n_chunks = min(threads, out.shape[0])
    if n_chunks <= 1:
        _scatter(data, indices, indptr, g, out, 0, out.shape[0])
    else:
        _scatter_par(data, indices, indptr, g, out, n_chunks)
