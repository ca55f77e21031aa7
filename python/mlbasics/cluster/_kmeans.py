"""k-means: Lloyd's algorithm, its mini-batch variant and k-means++ seeding.

k-means looks for k centres c₁ … c_k that minimise the *inertia*

.. math::
    J = \\sum_i w_i \\, \\lVert x_i - c_{z_i} \\rVert^2, \\qquad z_i = \\arg\\min_j \\lVert x_i - c_j \\rVert^2 ,

the (weighted) sum of squared distances of the samples to their nearest centre. Lloyd's algorithm
alternates the two steps that each decrease J: *assign* every sample to its nearest centre, then
*update* every centre to the (weighted) mean of its samples. Both steps are one pass over X on the
backend's ``kmeans_step`` kernel: the distances ‖x‖² − 2x·c + ‖c‖² of a block of rows come out of
the GEMM and are consumed by the argmin while still in cache, together with the per-centre sums
that the update needs, so the n×k distance matrix is never stored.
"""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._base import BaseEstimator, ClusterMixin, TransformerMixin, fit_context
from .._validation import (HasMethods, Interval, Options, check_array, check_is_fitted, check_n_features,
                           check_random_state, check_sample_weight, validate_params)
from .. import _chunked, _rows
from ..backends import BACKEND_CONSTRAINT, get_backend
from ..exceptions import ConvergenceWarning, sklearn_compatible
from . import _streamed
from ._common import _average, _kmeans_plusplus

__all__ = ["KMeans", "MiniBatchKMeans", "kmeans_plusplus"]

_INIT = [Options(("k-means++", "random")),
         HasMethods(("__len__",), "an array-like of shape (n_clusters, n_features)")]
_VERBOSE: list[Any] = ["boolean", Interval(numbers.Integral, 0, None)]
_CHUNK = 65536  # rows per block of the pure-NumPy helpers below


def _tolerance(X: np.ndarray, tol: float) -> float:
    """``tol`` relative to the data: tol × the mean of the features' variances (0 stays 0)."""
    if tol == 0:
        return 0.0
    return float(np.mean(np.var(X, axis=0, dtype=np.float64))) * tol


def _inertia(X: np.ndarray, w: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """Σᵢ wᵢ ‖xᵢ − c_labels[i]‖², in float64, by blocks of rows."""
    total = 0.0
    for i0 in range(0, X.shape[0], _CHUNK):
        d = X[i0:i0 + _CHUNK] - centers[labels[i0:i0 + _CHUNK]]
        total += float(np.einsum("ij,ij,i->", d, d, w[i0:i0 + _CHUNK], dtype=np.float64))
    return total


def _weighted_inertia(backend: Any, X: np.ndarray, centers: np.ndarray, w: np.ndarray | None
                      ) -> tuple[np.ndarray, float]:
    """(labels, Σᵢ wᵢ ‖xᵢ − c_labels[i]‖²) from one kmeans_step pass (w = 1 when None)."""
    labels, sq_dist, _, _ = backend.kmeans_step(X, centers)
    assert sq_dist is not None
    if w is None:
        return labels, float(np.sum(sq_dist, dtype=np.float64))
    return labels, float(np.dot(sq_dist.astype(np.float64), w.astype(np.float64)))


def _inertia_terms(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """‖xᵢ − c_labels[i]‖² for every row, computed directly, by blocks of rows."""
    out = np.empty(X.shape[0], dtype=X.dtype)
    for i0 in range(0, X.shape[0], _CHUNK):
        d = X[i0:i0 + _CHUNK] - centers[labels[i0:i0 + _CHUNK]]
        out[i0:i0 + _CHUNK] = np.einsum("ij,ij->i", d, d)
    return out


def kmeans_plusplus(X: ArrayLike, n_clusters: int, *, sample_weight: ArrayLike | None = None,
                    random_state: Any = None, n_local_trials: int | None = None,
                    backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Choose ``n_clusters`` initial centres among the rows of X by greedy k-means++.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_clusters : int
        The number of centres, in [1, n_samples].
    sample_weight : array-like of shape (n_samples,), optional
        Draw probabilities are proportional to the weights.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
    n_local_trials : int, optional
        Candidates tried per centre after the first; default 2 + ⌊ln k⌋.
    backend : str, default="auto"
        Kernel backend of the distance computations.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : int64 ndarray of shape (n_clusters,)
        The rows of X chosen: ``centers == X[indices]``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.cluster import kmeans_plusplus
    >>> X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    >>> centers, indices = kmeans_plusplus(X, 2, random_state=0, backend="numpy")
    >>> sorted(int(i) // 2 for i in indices)  # one centre from each pair
    [0, 1]
    """
    validate_params({"n_clusters": n_clusters, "n_local_trials": n_local_trials, "random_state": random_state,
                     "backend": backend},
                    {"n_clusters": [Interval(numbers.Integral, 1, None)],
                     "n_local_trials": [None, Interval(numbers.Integral, 1, None)],
                     "random_state": ["random_state"], "backend": BACKEND_CONSTRAINT})
    X = np.ascontiguousarray(check_array(X, "X"))
    if n_clusters > X.shape[0]:
        raise ValueError(f"n_clusters: expected at most n_samples={X.shape[0]}, got {n_clusters}")
    w = check_sample_weight(sample_weight, X.shape[0])
    return _kmeans_plusplus(X, int(n_clusters), w, check_random_state(random_state), get_backend(backend),
                            n_local_trials)


def _lloyd(X: np.ndarray, w: np.ndarray, centers: np.ndarray, max_iter: int, tol: float, backend: Any,
           verbose: bool) -> tuple[np.ndarray, float, np.ndarray, int]:
    """One run of Lloyd's algorithm from ``centers``: (labels, inertia, centres, iterations).

    Stops when an assignment repeats the previous one exactly, or when the squared centre shift
    Σⱼ ‖cⱼ⁽ᵗ⁺¹⁾ − cⱼ⁽ᵗ⁾‖² is at most ``tol``; in the second case one more assignment pass makes
    the labels those of the final centres.
    """
    labels_old = None
    strict = False
    it = 0
    wx = None if np.all(w == 1) else w
    labels = np.zeros(X.shape[0], dtype=np.int64)
    for it in range(max_iter):
        # the distances are only needed to print the inertia (or, rarely, to re-seed a centre)
        labels, sq_dist, sums, weights = backend.kmeans_step(X, centers, wx, return_sq_dist=bool(verbose))
        if verbose:
            print(f"Iteration {it}, inertia {float(sq_dist.astype(np.float64) @ w):.6g}")
        empty = np.flatnonzero(weights == 0)
        if empty.size:
            _relocate_empty(X, w, _inertia_terms(X, centers, labels), labels, sums, weights, empty)
        new = _average(sums, weights)
        shift = float(np.sum((new.astype(np.float64) - centers) ** 2))
        centers = new
        if labels_old is not None and np.array_equal(labels, labels_old):
            strict = True
            if verbose:
                print(f"Converged at iteration {it}: strict convergence.")
            break
        if shift <= tol:
            if verbose:
                print(f"Converged at iteration {it}: center shift {shift:.6g} within tolerance {tol:.6g}.")
            break
        labels_old = labels
    if strict:
        inertia = _inertia(X, w, centers, labels)
    else:
        labels, inertia = _weighted_inertia(backend, X, centers, wx)
    return labels, inertia, centers, it + 1


def _relocate_empty(X: np.ndarray, w: np.ndarray, sq_dist: np.ndarray, labels: np.ndarray,
                    sums: np.ndarray, weights: np.ndarray, empty: np.ndarray) -> None:
    """Give each empty centre the sample farthest from its own centre (in place on sums, weights).

    The farthest samples (by their squared distance to their centre, largest first, ties by index)
    move one each to the empty centres, taking their weight with them. Nothing moves when every
    sample sits on its centre (more centres than distinct samples).
    """
    if not sq_dist.max() > 0:
        return
    far = np.argsort(-sq_dist.astype(np.float64), kind="stable")[:empty.size]
    for new_id, i in zip(empty, far):
        old_id = labels[i]
        sums[old_id] -= X[i] * w[i]
        sums[new_id] = X[i] * w[i]
        weights[new_id] = w[i]
        weights[old_id] -= w[i]


def _is_same_clustering(a: np.ndarray, b: np.ndarray, k: int) -> bool:
    """Whether two labelings are equal up to a renaming of the clusters."""
    mapping = np.full(k, -1, dtype=np.int64)
    first = np.unique(a, return_index=True)[1]
    mapping[a[first]] = b[first]
    return bool(np.array_equal(mapping[a], b))


class _BaseKMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """What KMeans and MiniBatchKMeans share: parameters, seeding, predict/transform/score."""

    n_clusters: int
    n_features_in_: int
    init: Any
    n_init: Any
    random_state: Any
    backend: str
    verbose: Any
    cluster_centers_: np.ndarray

    def _check_data(self, X: ArrayLike, sample_weight: Any, *, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        self._check_feature_names(X, reset=reset)
        X = np.ascontiguousarray(check_array(X, "X"))
        if not reset:
            check_n_features(self, X)
        w = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        return X, w

    def _resolve_init(self, X: np.ndarray, default_n_init: int) -> tuple[Any, int]:
        """(init as a string or a checked array of X's dtype, number of runs)."""
        if self.n_clusters > X.shape[0]:
            raise ValueError(f"n_clusters: expected at most n_samples={X.shape[0]}, got {self.n_clusters}")
        init = self.init
        if isinstance(init, str):
            n_init = (1 if init == "k-means++" else default_n_init) if self.n_init == "auto" else int(self.n_init)
            return init, n_init
        init = np.array(check_array(init, "init"), dtype=X.dtype, order="C")
        if init.shape != (self.n_clusters, X.shape[1]):
            raise ValueError(f"init: expected an array of shape (n_clusters, n_features) = "
                             f"{(self.n_clusters, X.shape[1])}, got {init.shape}")
        if self.n_init not in ("auto", 1):
            warnings.warn(f"init: explicit initial centres were passed; performing only one init instead of "
                          f"n_init={self.n_init}", RuntimeWarning, stacklevel=3)
        return init, 1

    def _seed(self, X: np.ndarray, w: np.ndarray, init: Any, rng: np.random.Generator, backend: Any,
              init_size: int | None = None) -> np.ndarray:
        """Initial centres: k-means++, k distinct random samples (∝ w), or the given array."""
        if not isinstance(init, str):
            return init.copy()
        if init_size is not None and init_size < X.shape[0]:
            rows = rng.integers(0, X.shape[0], init_size)
            X, w = X[rows], w[rows]
        if init == "k-means++":
            return _kmeans_plusplus(X, self.n_clusters, w.astype(np.float64), rng, backend)[0]
        p = w.astype(np.float64)
        rows = rng.choice(X.shape[0], size=self.n_clusters, replace=False, p=p / p.sum())
        return X[rows].copy()

    def _labels_inertia(self, X: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, float]:
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        return _weighted_inertia(get_backend(self.backend), X, centers, w)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The index of the nearest centre of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : int64 ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "cluster_centers_")
        if _chunked.is_dask_array(X):  # a lazy dask array, one task per row chunk
            return _rows.dask_map(self.predict, X, self.n_features_in_, None, np.int64)
        X, _ = self._check_data(X, None, reset=False)
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        return get_backend(self.backend).kmeans_step(X, centers, return_sq_dist=False)[0]

    def transform(self, X: ArrayLike) -> np.ndarray:
        """The Euclidean distance of each sample to every centre (a k-dimensional representation).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters), of X's float dtype
        """
        check_is_fitted(self, "cluster_centers_")
        if _chunked.is_dask_array(X):
            return _rows.dask_map(self.transform, X, self.n_features_in_, self.n_clusters)
        X_in = X
        X, _ = self._check_data(X, None, reset=False)
        d = get_backend(self.backend).pairwise_sq_distances(X, self.cluster_centers_.astype(X.dtype, copy=False))
        return self._wrap_output(np.sqrt(d, out=d), X_in)

    def score(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> float:
        """Opposite of the inertia of X for the fitted centres (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        score : float
            −Σᵢ wᵢ ‖xᵢ − c_{z(xᵢ)}‖².
        """
        check_is_fitted(self, "cluster_centers_")
        X, w = self._check_data(X, sample_weight, reset=False)
        return -self._labels_inertia(X, w)[1]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of ``transform``'s columns: ``kmeans0``, ``kmeans1``, … (class name, lower case).

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : ndarray of str objects, shape (n_clusters,)
        """
        check_is_fitted(self, "cluster_centers_")
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{j}" for j in range(self.cluster_centers_.shape[0])], dtype=object)

    def _warn_if_fewer_clusters(self, labels: np.ndarray) -> None:
        distinct = int(np.count_nonzero(np.bincount(labels, minlength=self.n_clusters)))
        if distinct < self.n_clusters:
            warnings.warn(sklearn_compatible(ConvergenceWarning)(
                f"Number of distinct clusters ({distinct}) found smaller than n_clusters ({self.n_clusters}). "
                "Possibly due to duplicate points in X."), stacklevel=3)


_COMMON_CONSTRAINTS: dict[str, list[Any]] = {
    "n_clusters": [Interval(numbers.Integral, 1, None)],
    "init": _INIT,
    "n_init": [Options(("auto",)), Interval(numbers.Integral, 1, None)],
    "max_iter": [Interval(numbers.Integral, 1, None)],
    "tol": [Interval(numbers.Real, 0, None)],
    "random_state": ["random_state"],
    "backend": BACKEND_CONSTRAINT,
}


class KMeans(_BaseKMeans):
    """k-means clustering by Lloyd's algorithm on the backend's fused ``kmeans_step`` kernel.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters k (at most n_samples).
    init : {"k-means++", "k-means||", "random"} or array-like of shape (n_clusters, n_features), default="k-means++"
        "k-means++": greedy k-means++ seeding (k-means|| on out-of-core data, see Notes);
        "k-means||": scalable k-means++ (Bahmani et al. 2012) by passes over row blocks, without
        ``sample_weight``; "random": k distinct samples drawn with probability ∝ sample_weight; an
        array: these initial centres (then one run only).
    n_init : "auto" or int, default="auto"
        Runs from different seeds; the one with the lowest inertia is kept. "auto": 1 for
        "k-means++" or an array, 10 for "random".
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        Convergence when the squared centre shift Σⱼ ‖Δcⱼ‖² is at most ``tol`` × the mean of the
        features' variances (an assignment that repeats exactly also stops the run).
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seeds the initialization. With a seed, a fit is reproducible bit for bit on a backend
        (the kernels' sums do not depend on the thread count).
    algorithm : {"lloyd"}, default="lloyd"
        Only Lloyd's algorithm (scikit-learn's default).
    backend : str, default="auto"
        Kernel backend (``"cpp"``, ``"numba"``, ``"numpy"`` or ``"auto"``).
    verbose : bool or int, default=False
        Print the inertia of every iteration.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features), of X's dtype
    labels_ : int64 ndarray of shape (n_samples,)
        The cluster of each training sample (consistent with ``cluster_centers_``).
    inertia_ : float
        Σᵢ wᵢ ‖xᵢ − c_labels[i]‖² on the training data.
    n_iter_ : int
        Lloyd iterations of the kept run.
    n_features_in_ : int
    feature_names_in_ : ndarray of str, when X had string column names

    Notes
    -----
    As scikit-learn does, the data are centred (X − mean, a copy) before the iterations, which
    keeps the expansion ‖x‖² − 2x·c + ‖c‖² accurate for data far from the origin; the centres are
    shifted back at the end. Given the same initial centres, labels, centres, inertia and
    ``n_iter_`` equal scikit-learn's ``KMeans(algorithm="lloyd")``. An empty cluster is given the
    sample farthest from its centre.

    Out of core: when X is an ``np.memmap``, an array-like read by row slices (h5py, zarr) or a
    ``dask.array.Array`` (without ``sample_weight``), and for ``init="k-means||"``, the fit reads X
    a block of rows at a time (chunks on the dask workers), one pass per Lloyd iteration; only the
    k × p sums travel (see the user guide's "Data larger than memory"). From the same initial
    centres the result equals the in-memory fit; "k-means++" seeds by k-means|| there. ``labels_``
    is then a NumPy array, or a lazy dask array for a dask X, and ``predict``/``transform`` of a
    dask array are lazy dask arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.cluster import KMeans
    >>> X = np.array([[1.0, 2.0], [1.0, 4.0], [1.0, 0.0], [10.0, 2.0], [10.0, 4.0], [10.0, 0.0]])
    >>> km = KMeans(n_clusters=2, random_state=0, backend="numpy").fit(X)
    >>> sorted(km.cluster_centers_.tolist())
    [[1.0, 2.0], [10.0, 2.0]]
    >>> km.predict([[0.0, 0.0], [12.0, 3.0]]).tolist() == [km.labels_[0], km.labels_[3]]
    True
    >>> float(km.inertia_)
    16.0
    """

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "init": [Options(("k-means++", "k-means||", "random")), _INIT[1]],
        "algorithm": [Options(("lloyd",))],
        "verbose": _VERBOSE,
    }

    def __init__(self, n_clusters: int = 8, *,
                 init: Literal["k-means++", "k-means||", "random"] | ArrayLike = "k-means++",
                 n_init: int | Literal["auto"] = "auto", max_iter: int = 300, tol: float = 1e-4,
                 random_state: Any = None, algorithm: Literal["lloyd"] = "lloyd", backend: str = "auto",
                 verbose: bool | int = False) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.algorithm = algorithm
        self.backend = backend
        self.verbose = verbose

    @fit_context
    def fit(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> KMeans:
        """Cluster X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights (not all zero): each sample counts wᵢ times in the means and the
            inertia. Not used by an explicit ``init`` array.

        Returns
        -------
        self : KMeans
        """
        self._validate_params()
        streamed = _chunked.out_of_core(X) or (isinstance(self.init, str) and self.init == "k-means||")
        if streamed and _chunked.stream_fit(X, sample_weight):  # passes over row blocks (_streamed.py)
            self._check_feature_names(X, reset=True)
            _streamed.fit(self, X)
            return self
        if isinstance(self.init, str) and self.init == "k-means||":
            raise ValueError("init: 'k-means||' does not support sample_weight; use 'k-means++' or 'random'")
        X, w = self._check_data(X, sample_weight, reset=True)
        init, n_init = self._resolve_init(X, default_n_init=10)
        backend = get_backend(self.backend)
        rng = check_random_state(self.random_state)
        tol = _tolerance(X, self.tol)
        mean = X.mean(axis=0)
        Xc = X - mean
        if not isinstance(init, str):
            init = init - mean
        best: tuple[np.ndarray, float, np.ndarray, int] | None = None
        for run in range(n_init):
            centers = self._seed(Xc, w, init, rng, backend)
            if self.verbose:
                print(f"Initialization complete (run {run + 1} of {n_init})")
            result = _lloyd(Xc, w, centers, int(self.max_iter), tol, backend, bool(self.verbose))
            if best is None or (result[1] < best[1]
                                and not _is_same_clustering(result[0], best[0], self.n_clusters)):
                best = result
        assert best is not None
        labels, inertia, centers, n_iter = best
        self._warn_if_fewer_clusters(labels)
        self.cluster_centers_ = (centers + mean).astype(X.dtype, copy=False)
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self.n_features_in_ = X.shape[1]
        return self


class MiniBatchKMeans(_BaseKMeans):
    """k-means on random mini-batches (Sculley 2010), with per-centre learning rates.

    Each step draws ``batch_size`` samples (with replacement, probability ∝ sample_weight),
    assigns them with the ``kmeans_step`` kernel, and moves every centre that received samples to
    the running mean of all the samples it has ever received:
    ``cⱼ ← (Nⱼ cⱼ + Σ_batch xᵢ) / (Nⱼ + n_batch,ⱼ)`` — a step of size 1/Nⱼ that shrinks as the
    centre's count Nⱼ grows. Centres with a count below ``reassignment_ratio`` × the largest are
    moved to random samples from time to time.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), default="k-means++"
    max_iter : int, default=100
        Passes over the data (epochs): the number of steps is max_iter × n_samples // batch_size.
    batch_size : int, default=1024
    verbose : bool or int, default=False
    compute_labels : bool, default=True
        Compute ``labels_`` and ``inertia_`` on the whole training set at the end of ``fit``.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
    tol : float, default=0.0
        Stop when the squared centre change of a step is at most ``tol`` × the mean feature
        variance (0 disables this test).
    max_no_improvement : int or None, default=10
        Stop after this many steps without improvement of the smoothed batch inertia (None:
        never).
    init_size : int or None, default=None
        Samples drawn to seed the centres (default 3 × batch_size, at least 3 × n_clusters).
    n_init : "auto" or int, default="auto"
        Seedings tried (each scored on the same random validation subset); "auto": 1 for
        "k-means++", 3 for "random".
    reassignment_ratio : float, default=0.01
    backend : str, default="auto"

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : int64 ndarray of shape (n_samples,)
        With ``compute_labels=True``.
    inertia_ : float
    n_iter_ : int
        Passes over the data that the steps made (rounded up).
    n_steps_ : int
        Mini-batch steps made.
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.cluster import MiniBatchKMeans
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 0.1, (100, 2)), rng.normal(5, 0.1, (100, 2))])
    >>> km = MiniBatchKMeans(n_clusters=2, batch_size=20, random_state=0, backend="numpy").fit(X)
    >>> np.sort(km.cluster_centers_[:, 0]).round().tolist() == [0.0, 5.0]
    True
    """

    _counts: np.ndarray  # Nⱼ: the weight each centre has received so far
    _n_since_last_reassign: int
    _tol: float
    _rng: np.random.Generator

    _parameter_constraints = {
        **_COMMON_CONSTRAINTS,
        "batch_size": [Interval(numbers.Integral, 1, None)],
        "verbose": _VERBOSE,
        "compute_labels": ["boolean"],
        "max_no_improvement": [None, Interval(numbers.Integral, 0, None)],
        "init_size": [None, Interval(numbers.Integral, 1, None)],
        "reassignment_ratio": [Interval(numbers.Real, 0, None)],
    }

    def __init__(self, n_clusters: int = 8, *, init: Literal["k-means++", "random"] | ArrayLike = "k-means++",
                 max_iter: int = 100, batch_size: int = 1024, verbose: bool | int = False,
                 compute_labels: bool = True, random_state: Any = None, tol: float = 0.0,
                 max_no_improvement: int | None = 10, init_size: int | None = None,
                 n_init: int | Literal["auto"] = "auto", reassignment_ratio: float = 0.01,
                 backend: str = "auto") -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verbose = verbose
        self.compute_labels = compute_labels
        self.random_state = random_state
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.init_size = init_size
        self.n_init = n_init
        self.reassignment_ratio = reassignment_ratio
        self.backend = backend

    def _sizes(self, n: int) -> tuple[int, int]:
        batch = min(int(self.batch_size), n)
        init_size = self.init_size
        if init_size is None:
            init_size = max(3 * batch, 3 * self.n_clusters)
        elif init_size < self.n_clusters:
            warnings.warn(f"init_size: {init_size} is smaller than n_clusters={self.n_clusters}; using "
                          f"{3 * self.n_clusters} instead", RuntimeWarning, stacklevel=3)
            init_size = 3 * self.n_clusters
        return batch, min(int(init_size), n)

    def _step(self, Xb: np.ndarray, wb: np.ndarray | None, backend: Any, rng: np.random.Generator,
              reassign: bool) -> tuple[float, float]:
        """One mini-batch update of ``cluster_centers_`` and ``_counts``; returns (batch inertia,
        squared centre change)."""
        centers = self.cluster_centers_
        _, sq_dist, sums, wsum = backend.kmeans_step(Xb, centers, wb)
        inertia = float(sq_dist.astype(np.float64) @ (wb if wb is not None else np.ones(len(Xb))))
        counts = self._counts
        new = centers.copy()
        got = wsum > 0
        total = counts[got] + wsum[got]
        new[got] = (centers[got] * counts[got, None] + sums[got]) / total[:, None]
        counts[got] = total
        if reassign and self.reassignment_ratio > 0:
            low = counts < self.reassignment_ratio * counts.max()
            if low.sum() > 0.5 * Xb.shape[0]:  # never move more than half a batch of centres
                low[np.argsort(counts, kind="stable")[int(0.5 * Xb.shape[0]):]] = False
            n_low = int(low.sum())
            if n_low:
                rows = rng.choice(Xb.shape[0], size=n_low, replace=False)
                if self.verbose:
                    print(f"[MiniBatchKMeans] Reassigning {n_low} cluster centers.")
                new[low] = Xb[rows]
                counts[low] = counts[~low].min()
        change = float(np.sum((new.astype(np.float64) - centers) ** 2)) if self._tol > 0 else 0.0
        self.cluster_centers_ = new
        return inertia, change

    def _reassign_due(self, batch: int) -> bool:
        """Reassign low-count centres every 10 × n_clusters samples, and whenever one is empty."""
        self._n_since_last_reassign += batch
        if (self._counts == 0).any() or self._n_since_last_reassign >= 10 * self.n_clusters:
            self._n_since_last_reassign = 0
            return True
        return False

    @fit_context
    def fit(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> MiniBatchKMeans:
        """Cluster X by mini-batch steps.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional
            Samples are drawn into the batches with probability ∝ weight.

        Returns
        -------
        self : MiniBatchKMeans
        """
        self._validate_params()
        X, w = self._check_data(X, sample_weight, reset=True)
        n = X.shape[0]
        init, n_init = self._resolve_init(X, default_n_init=3)
        batch, init_size = self._sizes(n)
        backend = get_backend(self.backend)
        rng = check_random_state(self.random_state)
        self._tol = _tolerance(X, self.tol)
        valid = rng.integers(0, n, init_size)
        X_valid, w_valid = X[valid], w[valid]
        best_inertia = np.inf
        centers = None
        for run in range(n_init):
            candidate = self._seed(X, w, init, rng, backend, init_size=init_size)
            inertia = _weighted_inertia(backend, X_valid, candidate, w_valid)[1]
            if self.verbose:
                print(f"Init {run + 1}/{n_init}: inertia {inertia:.6g}")
            if centers is None or inertia < best_inertia:
                centers, best_inertia = candidate, inertia
        assert centers is not None
        self.cluster_centers_ = centers
        self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
        self._n_since_last_reassign = 0
        ewa = ewa_min = None
        no_improvement = 0
        n_steps = max(1, (int(self.max_iter) * n) // batch)
        uniform = bool(np.all(w == w[0]))
        cdf = None if uniform else np.cumsum(w.astype(np.float64))
        step = 0
        for step in range(n_steps):
            if cdf is None:
                rows = rng.integers(0, n, batch)
            else:  # draws ∝ w from the cumulative weights (computed once, not per step)
                rows = np.minimum(np.searchsorted(cdf, rng.uniform(0, cdf[-1], batch), side="right"), n - 1)
            batch_inertia, change = self._step(X[rows], None, backend, rng, self._reassign_due(batch))
            batch_inertia /= batch
            if step == 0:
                continue
            alpha = min(1.0, batch * 2.0 / (n + 1))
            ewa = batch_inertia if ewa is None else ewa * (1 - alpha) + batch_inertia * alpha
            if self.verbose:
                print(f"Minibatch step {step + 1}/{n_steps}: mean batch inertia {batch_inertia:.6g}, "
                      f"ewa inertia {ewa:.6g}")
            if self._tol > 0 and change <= self._tol:
                break
            if ewa_min is None or ewa < ewa_min:
                no_improvement, ewa_min = 0, ewa
            else:
                no_improvement += 1
            if self.max_no_improvement is not None and no_improvement >= self.max_no_improvement:
                break
        self._rng = rng  # partial_fit continues the same stream
        self.n_steps_ = step + 1
        self.n_iter_ = int(np.ceil(self.n_steps_ * batch / n))
        self.n_features_in_ = X.shape[1]
        if self.compute_labels:
            self.labels_, self.inertia_ = self._labels_inertia(X, w)
        else:
            self.inertia_ = (ewa if ewa is not None else 0.0) * float(w.sum())
        return self

    @fit_context
    def partial_fit(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> MiniBatchKMeans:
        """One mini-batch step on X (the first call seeds the centres from X).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The mini-batch.
        y : ignored
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self : MiniBatchKMeans
        """
        first = not hasattr(self, "cluster_centers_")
        if first:
            self._validate_params()
        X, w = self._check_data(X, sample_weight, reset=first)
        backend = get_backend(self.backend)
        if not hasattr(self, "_rng"):
            self._rng = check_random_state(self.random_state)
        if first:
            init, _ = self._resolve_init(X, default_n_init=3)
            _, init_size = self._sizes(X.shape[0])
            self._tol = _tolerance(X, self.tol)
            self.cluster_centers_ = self._seed(X, w, init, self._rng, backend, init_size=init_size)
            self._counts = np.zeros(self.n_clusters, dtype=X.dtype)
            self._n_since_last_reassign = 0
            self.n_steps_ = 0
            self.n_features_in_ = X.shape[1]
        else:
            self.cluster_centers_ = self.cluster_centers_.astype(X.dtype, copy=False)
            self._counts = self._counts.astype(X.dtype, copy=False)
        self._step(X, None if np.all(w == 1) else w, backend, self._rng,
                   self._reassign_due(min(int(self.batch_size), X.shape[0])))
        if self.compute_labels:
            self.labels_, self.inertia_ = self._labels_inertia(X, w)
        self.n_steps_ += 1
        return self
