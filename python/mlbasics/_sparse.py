"""Sparse X in the estimators: scipy.sparse CSR/CSC input through the kernel contract's ``sparse``
family (``csr_matmul``, ``csr_matmul_t``), never densified as a whole.

* :class:`SparseOperator` gives ``X @ B`` and ``X.T @ G`` for a CSR or CSC X. A CSC matrix's arrays
  are the CSR arrays of Xᵀ, so it needs no conversion: its ``X @ B`` is ``csr_matmul_t`` on them.
  With ``both_layouts=True`` (the iterative solvers, which multiply by X and Xᵀ many times) the
  other layout is built once (``scipy.sparse``'s ``tocsc``/``tocsr``: O(nnz + n) time, and X's
  sparse memory once more), so that each product is the row-parallel ``csr_matmul``.
* :func:`dense_rows` densifies a block of rows (the MLPs' minibatches, predictions in row blocks);
  :func:`rows_per_block` bounds such a block's memory.
* :func:`canonical_csr` gives CSR with sorted, unique column indices, for the code that needs a
  row's columns to be distinct (per-sample updates, per-column statistics).

Which estimators accept sparse X, and how, is listed in each one's docstring; every other
estimator raises the TypeError of :func:`mlbasics._validation.check_array`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse

__all__ = ["issparse", "SparseOperator", "canonical_csr", "dense_rows", "rows_per_block", "random_csr",
           "SPARSE_BLOCK_BYTES"]

#: The most memory a densified block of rows may take (MLP minibatch slices, predictions).
SPARSE_BLOCK_BYTES = 1 << 25


def issparse(X: Any) -> bool:
    """Whether X is a scipy.sparse matrix or array."""
    return scipy.sparse.issparse(X)


class SparseOperator:
    """A checked CSR/CSC matrix X (n, p) (see :func:`mlbasics._validation.check_array`) as products
    through a backend's sparse kernels.

    Parameters
    ----------
    X : scipy.sparse CSR or CSC matrix or array, float32 or float64 data
    backend : Backend
    both_layouts : bool, default=False
        Build the other layout as well, so that X @ B and X.T @ G are both row-parallel
        ``csr_matmul`` calls (costs one conversion and X's sparse memory once more).
    """

    def __init__(self, X: Any, backend: Any, *, both_layouts: bool = False) -> None:
        if X.format not in ("csr", "csc"):
            raise ValueError(f"X: expected a CSR or CSC matrix, got format {X.format!r}")
        self.shape: tuple[int, int] = (int(X.shape[0]), int(X.shape[1]))
        self.dtype = X.dtype
        self.backend = backend
        rows = cols = None  # the CSR arrays of X, of Xᵀ
        if X.format == "csr":
            rows = (X.data, X.indices, X.indptr)
            if both_layouts:
                t = X.tocsc()
                cols = (t.data, t.indices, t.indptr)
        else:
            cols = (X.data, X.indices, X.indptr)
            if both_layouts:
                t = X.tocsr()
                rows = (t.data, t.indices, t.indptr)
        self._rows, self._cols = rows, cols

    def dot(self, B: np.ndarray) -> np.ndarray:
        """X @ B for B of shape (p, k) (cast to X's dtype); shape (n, k)."""
        B = np.ascontiguousarray(B, dtype=self.dtype)
        n, p = self.shape
        if self._rows is not None:
            return self.backend.csr_matmul(*self._rows, p, B)
        assert self._cols is not None
        return self.backend.csr_matmul_t(*self._cols, n, B)

    def tdot(self, G: np.ndarray) -> np.ndarray:
        """X.T @ G for G of shape (n, k) (cast to X's dtype); shape (p, k)."""
        G = np.ascontiguousarray(G, dtype=self.dtype)
        n, p = self.shape
        if self._cols is not None:
            return self.backend.csr_matmul(*self._cols, n, G)
        assert self._rows is not None
        return self.backend.csr_matmul_t(*self._rows, p, G)

    def column_means(self) -> np.ndarray:
        """x̄ = Xᵀ1 / n, float64, shape (p,) (zeros when n = 0)."""
        n = self.shape[0]
        s = self.tdot(np.ones((n, 1), dtype=self.dtype))[:, 0].astype(np.float64)
        return s / n if n else s


def canonical_csr(X: Any) -> Any:
    """X as CSR with sorted, unique column indices in every row (duplicates summed, as scipy
    defines them); a copy only when X is not already so."""
    X = X.tocsr()
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def rows_per_block(n_features: int, dtype: Any, max_bytes: int | None = None, multiple: int = 1) -> int:
    """The most rows (a multiple of ``multiple``, at least ``multiple``) whose dense copy fits in
    ``max_bytes`` (default: :data:`SPARSE_BLOCK_BYTES`)."""
    if max_bytes is None:
        max_bytes = SPARSE_BLOCK_BYTES
    per_row = max(1, int(n_features) * np.dtype(dtype).itemsize)
    rows = max(1, max_bytes // per_row)
    return max(multiple, rows // multiple * multiple)


def dense_rows(X: Any, rows: Any) -> np.ndarray:
    """The rows ``rows`` (a slice or an index array) of a sparse X as a C-contiguous dense array."""
    X = X if X.format == "csr" else X.tocsr()
    return np.ascontiguousarray(X[rows].toarray())


def random_csr(n: int, p: int, density: float, rng: np.random.Generator, dtype: Any = np.float64) -> Any:
    """A random CSR matrix (n, p) for benchmarks: each row Binomial(p, density) uniformly drawn
    columns (repeats merged, so a row may hold slightly fewer), standard normal values, sorted
    int32 indices. Built in O(nnz) memory: ``scipy.sparse.random`` draws from all n·p positions,
    which does not fit for 100,000 × 50,000."""
    counts = rng.binomial(p, density, size=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = rng.integers(0, p, size=int(indptr[-1]), dtype=np.int64)
    data = np.asarray(rng.standard_normal(size=(indices.shape[0],)), dtype=dtype)
    X = scipy.sparse.csr_matrix((data, indices, indptr), shape=(n, p))
    X.sum_duplicates()
    return X
