"""The kernel contract, family ``distances``: squared Euclidean distances through the GEMM, the
k-means assignment step, and k nearest neighbours.

All three rest on ``‖x − y‖² = ‖x‖² − 2 x·y + ‖y‖²``: the cross term of a block of rows against
all of ``y`` is one matrix product, and the block is consumed while it is still in cache (an
argmin for k-means, a partial selection for neighbours), so the full n×m distance matrix is only
materialized by :meth:`DistancesContract.pairwise_sq_distances` itself.

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..._validation import Interval, check_param
from .. import _checks as v

KERNELS = ("pairwise_sq_distances", "kmeans_step", "nearest_neighbors")

_N_NEIGHBORS = Interval(numbers.Integral, 1, None)


def _rows(x: ArrayLike, name: str) -> np.ndarray:
    """A 2-D float array as C-contiguous rows (a copy only when x is not already so)."""
    return np.ascontiguousarray(v.float_array(x, name, 2))


def _other_rows(x: np.ndarray, y: ArrayLike | None, name: str) -> tuple[np.ndarray, bool]:
    """``(y as rows, same)``: ``same`` when y is None or the very object x (distances to itself)."""
    if y is None or y is x:
        return x, True
    ya = _rows(y, name)
    v.same_dtype("x", x, **{name: ya})
    if ya.shape[1] != x.shape[1]:
        raise ValueError(f"{name}: expected {x.shape[1]} columns (as x), got {ya.shape[1]}")
    return ya, False


class DistancesContract:
    """``pairwise_sq_distances``, ``kmeans_step`` and ``nearest_neighbors``; mixed into
    :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    def pairwise_sq_distances(self, x: ArrayLike, y: ArrayLike | None = None) -> np.ndarray:
        """Squared Euclidean distances ``D[i, j] = ‖xᵢ − yⱼ‖²`` between the rows of x and y.

        Computed as ``‖xᵢ‖² − 2 xᵢ·yⱼ + ‖yⱼ‖²`` with the cross term through the GEMM, then
        clamped at 0 (rounding can make a tiny distance negative). When ``y`` is None (or the
        same object as ``x``) the result is exactly symmetric with exact zeros on its diagonal.

        Parameters
        ----------
        x : ndarray of shape (n, p), float32 or float64, any strides
        y : ndarray of shape (m, p) of x's dtype, optional (default: x itself)

        Returns
        -------
        D : ndarray of shape (n, m), of x's dtype

        Accuracy: the expansion loses relative precision on distances much smaller than the
        norms (cancellation): an absolute error of about ``eps·(‖xᵢ‖² + ‖yⱼ‖²)``.

        Non-finite values: a row of x or y holding a NaN or an inf gives NaN in its distances
        (``inf − inf``); the diagonal of ``D(x, x)`` is 0 regardless.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import pairwise_sq_distances
        >>> pairwise_sq_distances(np.array([[0.0, 0.0], [3.0, 4.0]]), backend="numpy")
        array([[ 0., 25.],
               [25.,  0.]])
        """
        xa = _rows(x, "x")
        ya, same = _other_rows(xa, y, "y")
        out = np.empty((xa.shape[0], ya.shape[0]), dtype=xa.dtype)
        self._raw.pairwise_sq_distances(xa, ya, same, out)
        return out

    def kmeans_step(self, x: ArrayLike, centers: ArrayLike, sample_weight: ArrayLike | None = None,
                    return_sq_dist: bool = True) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
        """One Lloyd assignment pass: nearest centre of every row, and the per-centre sums.

        ``labels[i] = argminⱼ (‖cⱼ‖² − 2 xᵢ·cⱼ)`` (the ‖xᵢ‖² term does not change the argmin);
        ties go to the lowest index. Then, in the same pass over x,
        ``sq_dist[i] = ‖xᵢ − c_labels[i]‖²`` computed directly (no cancellation),
        ``sums[j] = Σ_{labels[i]=j} wᵢ xᵢ`` and ``weights[j] = Σ_{labels[i]=j} wᵢ`` (w = 1 when
        ``sample_weight`` is None). The n×k distance matrix is never stored: each block of rows'
        products is consumed by the argmin while in cache. Sums are accumulated in double in a
        fixed order of fixed-size row chunks, so the result does not depend on the thread count.

        Parameters
        ----------
        x : ndarray of shape (n, p), float32 or float64, n ≥ 1
        centers : ndarray of shape (k, p) of x's dtype, k ≥ 1
        sample_weight : ndarray of shape (n,) of x's dtype, optional
            Non-negative weights (not checked: the estimators check them).
        return_sq_dist : bool, default=True
            False skips the direct distances (a Lloyd iteration needs only labels and sums) and
            returns None in their place.

        Returns
        -------
        labels : int64 ndarray of shape (n,)
        sq_dist : ndarray of shape (n,), x's dtype, or None
        sums : ndarray of shape (k, p), x's dtype
        weights : ndarray of shape (k,), x's dtype

        Non-finite values: as ``np.argmin``, a NaN *ranking value* ‖cⱼ‖² − 2 xᵢ·cⱼ wins over every
        number (so a row of x holding a NaN goes to centre 0, a NaN centre takes the rows it meets,
        and an inf in x against a 0 in a centre — 0·inf — makes that centre win although every
        true distance is inf); its ``sq_dist`` and the sums it enters are NaN.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import kmeans_step
        >>> x = np.array([[0.0], [1.0], [9.0], [10.0]])
        >>> labels, sq_dist, sums, weights = kmeans_step(x, np.array([[0.0], [10.0]]), backend="numpy")
        >>> labels, sums.ravel(), weights
        (array([0, 0, 1, 1]), array([ 1., 19.]), array([2., 2.]))
        """
        xa = _rows(x, "x")
        ca = _rows(centers, "centers")
        v.same_dtype("x", xa, centers=ca)
        n, p = xa.shape
        k = ca.shape[0]
        if n < 1:
            raise ValueError("x: expected at least one row, got 0")
        if k < 1:
            raise ValueError("centers: expected at least one centre (row), got 0")
        if ca.shape[1] != p:
            raise ValueError(f"centers: expected {p} columns (as x), got {ca.shape[1]}")
        w = None
        if sample_weight is not None:
            w = np.ascontiguousarray(v.float_array(sample_weight, "sample_weight", 1))
            v.same_dtype("x", xa, sample_weight=w)
            if w.shape[0] != n:
                raise ValueError(f"sample_weight: expected {n} weights (one per row of x), got {w.shape[0]}")
        labels = np.empty(n, dtype=np.int64)
        sq_dist = np.empty(n, dtype=xa.dtype) if v.flag(return_sq_dist, "return_sq_dist") else None
        sums = np.empty((k, p), dtype=xa.dtype)
        weights = np.empty(k, dtype=xa.dtype)
        self._raw.kmeans_step(xa, ca, w, labels, sq_dist, sums, weights)
        return labels, sq_dist, sums, weights

    def nearest_neighbors(self, x: ArrayLike, n_neighbors: int, y: ArrayLike | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n_neighbors`` nearest rows of y to every row of x, nearest first.

        Candidates are ranked by ``‖yⱼ‖² − 2 xᵢ·yⱼ`` from blocked products with a per-row partial
        selection (ties to the lowest index); the chosen neighbours' squared distances are then
        computed directly (no cancellation) and the row is ordered by them (ties by index).
        When ``y`` is None, x is queried against itself and each row excludes itself (as
        scikit-learn's ``kneighbors()`` without arguments); duplicates of a row still count.

        Parameters
        ----------
        x : ndarray of shape (n, p), float32 or float64
        n_neighbors : int
            At least 1 and at most the number of candidates (m rows of y, or n − 1 without y).
        y : ndarray of shape (m, p) of x's dtype, optional

        Returns
        -------
        sq_dist : ndarray of shape (n, n_neighbors), x's dtype, ascending along each row
        indices : int64 ndarray of shape (n, n_neighbors), rows of y (of x without y)

        Non-finite values: a candidate whose ranking value is NaN is never chosen while a number
        is left; a row of x holding a NaN gets NaN distances and the first candidates by index.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import nearest_neighbors
        >>> x = np.array([[0.0], [1.0], [3.0], [7.0]])
        >>> d, i = nearest_neighbors(x, 2, backend="numpy")
        >>> i
        array([[1, 2],
               [0, 2],
               [1, 0],
               [2, 1]])
        >>> d[3]
        array([16., 36.])
        """
        xa = _rows(x, "x")
        ya, same = _other_rows(xa, y, "y")
        k = int(check_param("n_neighbors", n_neighbors, [_N_NEIGHBORS]))
        candidates = ya.shape[0] - 1 if same else ya.shape[0]
        if candidates < 1:
            raise ValueError("x: expected at least 2 rows to find each row's neighbours among the others, got "
                             f"{xa.shape[0]}" if same else f"y: expected at least 1 candidate row, got {ya.shape[0]}")
        if k > candidates:
            raise ValueError(
                f"n_neighbors: expected at most {candidates} (the number of candidate rows"
                f"{', each row excluding itself' if same else ''}), got {k}"
            )
        n = xa.shape[0]
        sq_dist = np.empty((n, k), dtype=xa.dtype)
        indices = np.empty((n, k), dtype=np.int64)
        self._raw.nearest_neighbors(xa, ya, same, sq_dist, indices)
        return sq_dist, indices
