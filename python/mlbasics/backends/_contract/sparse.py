"""The kernel contract, family ``sparse``: products of a CSR matrix with a dense one.

A sparse matrix X of shape (n_rows, n_cols) crosses the contract as its three CSR arrays, the
layout of ``scipy.sparse.csr_matrix`` (no wrapper object): row i holds the entries
``data[e]`` at columns ``indices[e]`` for e in ``indptr[i]:indptr[i+1]``. The same arrays read as
CSC are the CSR arrays of Xᵀ, so a CSC matrix needs no conversion: its X·B is
:meth:`SparseContract.csr_matmul_t` and its Xᵀ·G is :meth:`SparseContract.csr_matmul` (see
``mlbasics/_sparse.py`` for how the estimators use both).

* :meth:`~SparseContract.csr_matmul`: ``X @ b``, parallel over rows (each thread a range of rows
  holding about the same number of entries).
* :meth:`~SparseContract.csr_matmul_t`: ``X.T @ g`` — for gradients (XᵀG) and right-hand sides
  (Xᵀy). Without races: each thread owns a range of output rows (columns of X) and reads every
  entry, keeping those in its range, so every output element sums its terms in the order of the
  entries — the result is bit-identical on any number of threads. Each thread reads all of
  ``indices``: for a product repeated many times (an iterative solver) it is cheaper to build the
  CSR arrays of Xᵀ once (``scipy.sparse``'s ``tocsc()``: O(nnz + n_cols) time, and as much memory
  again as X) and call :meth:`~SparseContract.csr_matmul` on them, as the estimators do.

Semantics shared by both:

* Duplicate entries (the same column twice in a row) are summed, and the column indices of a row
  need not be sorted — as ``scipy.sparse`` defines it (the products are linear in the entries).
* Empty rows give zero rows; ``n_rows``, ``n_cols`` and the number of columns of b/g may be 0.
* ``indptr[-1]`` may be less than ``len(indices)`` (as scipy allows): the entries after it are
  not part of the matrix and are never read.
* Index arrays are int32 or int64 (``indices`` and ``indptr`` of one dtype, as scipy keeps them),
  with any float dtype; ``data`` is float32 or float64 and b/g must have its dtype.

Checks, before any kernel runs (the C++ bindings check again): dtypes, ndim, lengths
(``len(data) == len(indices)``, ``indptr[-1] <= len(indices)``), ``indptr[0] == 0`` and
non-decreasing, every column index of the matrix in ``[0, n_cols)``, and b's/g's shape. The checks
read ``indices`` once (O(nnz)).

Long products run as waves of rows of at most ``_WAVE_MACS`` multiply-adds each, so a call returns
to Python (Ctrl-C) every ~100 ms or sooner; the transposed product accumulates its waves in entry
order, so waves change nothing in the result.

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations; here, besides: ``data``, ``indices`` and the ``indptr`` given to a raw kernel are
C-contiguous; the raw ``indptr`` may be a slice of the matrix's (a wave of rows), so its first
value need not be 0; the raw ``csr_matmul_t(data, indices, indptr, g, out)`` *adds* Xᵀ·g to
``out`` (zeroed by the contract before the first wave), while the raw
``csr_matmul(data, indices, indptr, b, out)`` overwrites its ``out`` rows.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks as v

KERNELS = ("csr_matmul", "csr_matmul_t")

#: Multiply-adds (entries × columns of b) per raw call: about 20–100 ms of work here.
_WAVE_MACS = 1 << 26


def _waves(indptr: np.ndarray, k: int) -> list[tuple[int, int]]:
    """Row ranges ``[r0, r1)`` of at most ``_WAVE_MACS`` multiply-adds each (a row is never split)."""
    n_rows = indptr.shape[0] - 1
    nnz = int(indptr[-1])
    per_wave = max(1, _WAVE_MACS // max(k, 1))
    if nnz <= per_wave:
        return [(0, n_rows)]
    targets = np.arange(per_wave, nnz, per_wave)
    cuts = np.unique(np.searchsorted(indptr, targets, side="right") - 1)
    bounds = [0] + [int(c) for c in cuts if 0 < c < n_rows] + [n_rows]
    return list(zip(bounds[:-1], bounds[1:]))


class SparseContract:
    """``csr_matmul`` and ``csr_matmul_t``; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    def csr_matmul(self, data: ArrayLike, indices: ArrayLike, indptr: ArrayLike, n_cols: int,
                   b: ArrayLike) -> np.ndarray:
        """``X @ b`` for the CSR matrix X = (data, indices, indptr) of shape (n_rows, n_cols).

        ``out[i] = Σ_{e in indptr[i]:indptr[i+1]} data[e] · b[indices[e]]``

        Parameters
        ----------
        data : ndarray of shape (nnz,), float32 or float64
        indices : ndarray of shape (nnz,), int32 or int64
            Column of each entry, in ``[0, n_cols)``; unsorted and repeated columns allowed
            (repeats are summed).
        indptr : ndarray of shape (n_rows + 1,), the dtype of ``indices``
            Row i's entries are ``indptr[i]:indptr[i+1]``; starts at 0, non-decreasing,
            ``indptr[-1] <= nnz``.
        n_cols : int ≥ 0
        b : ndarray of shape (n_cols, k), data's dtype, any strides (copied when not C-contiguous)

        Returns
        -------
        out : ndarray of shape (n_rows, k), data's dtype

        Non-finite values: only stored entries are multiplied (as ``scipy.sparse``): a NaN or inf
        in row j of b reaches only the rows of X that store an entry in column j — an explicitly
        stored 0 gives 0·inf = NaN there, an implicit zero gives nothing. Otherwise IEEE
        propagation as :meth:`~mlbasics.backends.Backend.matmul`.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import csr_matmul
        >>> # X = [[1, 0, 2], [0, 0, 0], [0, 3, 0]]
        >>> data, indices, indptr = np.array([1.0, 2.0, 3.0]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])
        >>> csr_matmul(data, indices, indptr, 3, np.array([[1.0], [10.0], [100.0]]), backend="numpy")
        array([[201.],
               [  0.],
               [ 30.]])
        """
        data, indices, indptr, n_rows, n_cols = v.csr_arrays(data, indices, indptr, n_cols)
        b = np.ascontiguousarray(v.float_array(b, "b", 2))
        v.same_dtype("data", data, b=b)
        if b.shape[0] != n_cols:
            raise ValueError(f"b: expected {n_cols} rows (n_cols, the columns of X), got shape {b.shape}")
        k = b.shape[1]
        out = np.empty((n_rows, k), dtype=data.dtype)
        for r0, r1 in _waves(indptr, k):
            self._raw.csr_matmul(data, indices, indptr[r0:r1 + 1], b, out[r0:r1])
        return out

    def csr_matmul_t(self, data: ArrayLike, indices: ArrayLike, indptr: ArrayLike, n_cols: int,
                     g: ArrayLike) -> np.ndarray:
        """``X.T @ g`` for the CSR matrix X = (data, indices, indptr) of shape (n_rows, n_cols).

        ``out[j] = Σ_i Σ_{e in indptr[i]:indptr[i+1], indices[e] = j} data[e] · g[i]``, each sum
        taken in the order of the entries e (so the result does not depend on the thread count).

        Parameters
        ----------
        data, indices, indptr, n_cols : the CSR matrix, as in :meth:`csr_matmul`
        g : ndarray of shape (n_rows, k), data's dtype, any strides (copied when not C-contiguous)

        Returns
        -------
        out : ndarray of shape (n_cols, k), data's dtype

        Non-finite values: only stored entries are multiplied (as ``scipy.sparse``): a NaN or inf
        in row i of g reaches only the columns that row i of X stores (0·inf = NaN for a stored
        0). Otherwise IEEE propagation as :meth:`~mlbasics.backends.Backend.matmul`.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import csr_matmul_t
        >>> # X = [[1, 0, 2], [0, 0, 0], [0, 3, 0]]
        >>> data, indices, indptr = np.array([1.0, 2.0, 3.0]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])
        >>> csr_matmul_t(data, indices, indptr, 3, np.array([[1.0], [10.0], [100.0]]), backend="numpy")
        array([[  1.],
               [300.],
               [  2.]])
        """
        data, indices, indptr, n_rows, n_cols = v.csr_arrays(data, indices, indptr, n_cols)
        g = np.ascontiguousarray(v.float_array(g, "g", 2))
        v.same_dtype("data", data, g=g)
        if g.shape[0] != n_rows:
            raise ValueError(f"g: expected {n_rows} rows (the rows of X, len(indptr) - 1), got shape {g.shape}")
        k = g.shape[1]
        out = np.zeros((n_cols, k), dtype=data.dtype)
        for r0, r1 in _waves(indptr, k):
            self._raw.csr_matmul_t(data, indices, indptr[r0:r1 + 1], g[r0:r1], out)
        return out
