"""Manifold learning: Isomap.

Isomap (Tenenbaum, de Silva & Langford 2000) unrolls data that lie on a curved low-dimensional
surface — the swiss roll of the course — by replacing straight-line distances with *geodesic*
ones, measured along the data:

1. the k-nearest-neighbour graph of the samples, each edge weighted by its Euclidean length;
2. the geodesic distance ``Gᵢⱼ`` = the length of the shortest path from i to j in that graph
   (Floyd–Warshall or Dijkstra);
3. classical multidimensional scaling of G: the double-centred kernel

   .. math::
       K = -\\tfrac12 \\, H G^{\\circ 2} H, \\qquad H = I - \\tfrac1n \\mathbf 1 \\mathbf 1^T ,

   (``G∘²`` the element-wise squares) is the Gram matrix of points whose Euclidean distances are
   G when G is Euclidean; its top eigenpairs (λ_m, v_m) give the embedding ``y_i = (√λ_m v_{m,i})_m``,
   the coordinates that preserve the geodesic distances best in the least-squares sense.
"""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Literal

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg
from numpy.typing import ArrayLike

from ._base import BaseEstimator, TransformerMixin, fit_context
from ._validation import Interval, Options, check_array, check_is_fitted, check_n_features
from .backends import BACKEND_CONSTRAINT, get_backend
from .decomposition import _flip_signs

__all__ = ["Isomap"]

_BLOCK = 1 << 22  # floats per block of transform's (queries × n_neighbors × n_train) geodesic minimum


def _neighbor_graph(X: np.ndarray, k: int, backend: Any) -> scipy.sparse.csr_matrix:
    """The directed kNN graph: row i holds the Euclidean distances to i's k nearest other samples."""
    n = X.shape[0]
    sq_dist, indices = backend.nearest_neighbors(X, k)
    return scipy.sparse.csr_matrix((np.sqrt(sq_dist).ravel(), indices.ravel(), np.arange(0, n * k + 1, k)),
                                   shape=(n, n))


def _connect_components(X: np.ndarray, graph: scipy.sparse.csr_matrix, labels: np.ndarray, n_components: int,
                        backend: Any) -> scipy.sparse.csr_matrix:
    """Add, for every pair of connected components, the shortest edge between them."""
    members = [np.flatnonzero(labels == c) for c in range(n_components)]
    rows, cols, vals = [], [], []
    for a in range(n_components):
        for b in range(a):
            d = backend.pairwise_sq_distances(X[members[a]], X[members[b]])
            i, j = np.unravel_index(int(np.argmin(d)), d.shape)
            rows.append(members[a][i])
            cols.append(members[b][j])
            vals.append(float(np.sqrt(d[i, j])))
    extra = scipy.sparse.csr_matrix((vals, (rows, cols)), shape=graph.shape)
    return (graph + extra).tocsr()


def _centre_kernel(K: np.ndarray, col_means: np.ndarray, all_mean: float) -> np.ndarray:
    """``K − 1 mᵀ − r 1ᵀ + m̄`` in place: m the training kernel's column means and m̄ its mean, r the
    row means of K."""
    row_means = K.mean(axis=1, keepdims=True)
    K -= col_means[None, :]
    K -= row_means
    K += all_mean
    return K


class Isomap(TransformerMixin, BaseEstimator):
    """Isomap embedding: classical MDS of the geodesic distances in the k-nearest-neighbour graph.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours of each sample in the graph (itself excluded), in [1, n_samples − 1]. The graph
        is symmetric: i and j are joined when either is among the other's neighbours.
    n_components : int, default=2
        Dimension of the embedding, in [1, n_samples].
    eigen_solver : {"auto", "dense", "arpack"}, default="auto"
        ``"dense"``: ``scipy.linalg.eigh`` restricted to the top n_components eigenpairs;
        ``"arpack"``: ``scipy.sparse.linalg.eigsh`` (Lanczos, the largest algebraic eigenvalues).
        ``"auto"``: "arpack" when n_samples > 200 and n_components < 10, else "dense" (as
        scikit-learn's KernelPCA).
    path_method : {"auto", "FW", "D"}, default="auto"
        Shortest paths by ``scipy.sparse.csgraph.shortest_path``: Floyd–Warshall ("FW", O(n³)),
        Dijkstra ("D", O(n·k·n log n)), or SciPy's choice ("auto").
    backend : str, default="auto"
        Kernel backend of the nearest neighbours (fit and transform).

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
        The embedded training samples, in X's float dtype. Component m is ``√λ_m v_m``, v_m signed
        so that its entry of largest magnitude is positive.
    dist_matrix_ : float64 ndarray of shape (n_samples, n_samples)
        The geodesic distances G of the training samples.
    n_features_in_ : int

    Notes
    -----
    **Precision.** Distances, shortest paths and the eigendecomposition are computed in float64,
    float32 input included; ``embedding_`` and ``transform`` are then returned in X's dtype.

    **Disconnected graphs.** When the neighbour graph falls apart into several components, the
    geodesic distances between them are infinite. Like scikit-learn, fit then warns (a
    UserWarning naming ``n_neighbors``) and joins every pair of components by the shortest
    Euclidean edge between them; distances across components are then only a rough guess.

    References
    ----------
    J. B. Tenenbaum, V. de Silva and J. C. Langford, "A global geometric framework for nonlinear
    dimensionality reduction", Science 290(5500), 2000.

    Examples
    --------
    Points along a quarter circle of radius 1: the geodesic distances are arc lengths, so the
    one-dimensional embedding spans π/2.

    >>> import numpy as np
    >>> from mlbasics.manifold import Isomap
    >>> t = np.linspace(0, np.pi / 2, 50)
    >>> X = np.c_[np.cos(t), np.sin(t)]
    >>> iso = Isomap(n_neighbors=2, n_components=1, backend="numpy").fit(X)
    >>> Z = iso.embedding_.ravel()
    >>> round(float(Z.max() - Z.min()), 3), round(float(iso.dist_matrix_[0, -1]), 3)
    (1.571, 1.571)
    >>> iso.transform(X[:1]).shape, list(iso.get_feature_names_out())
    ((1, 1), ['isomap0'])
    """

    _parameter_constraints = {
        "n_neighbors": [Interval(numbers.Integral, 1, None)],
        "n_components": [Interval(numbers.Integral, 1, None)],
        "eigen_solver": [Options(("auto", "dense", "arpack"))],
        "path_method": [Options(("auto", "FW", "D"))],
        "backend": BACKEND_CONSTRAINT,
    }

    def __init__(self, n_neighbors: int = 5, n_components: int = 2, *,
                 eigen_solver: Literal["auto", "dense", "arpack"] = "auto",
                 path_method: Literal["auto", "FW", "D"] = "auto", backend: str = "auto") -> None:
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.eigen_solver = eigen_solver
        self.path_method = path_method
        self.backend = backend

    @fit_context
    def fit(self, X: ArrayLike, y: Any = None) -> Isomap:
        """Build the neighbour graph, its geodesic distances, and their MDS embedding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            At least 2 samples.
        y : ignored

        Returns
        -------
        self : Isomap
        """
        self._validate_params()
        self._check_feature_names(X, reset=True)
        X = check_array(X, "X", min_samples=2)
        n = X.shape[0]
        k, c = int(self.n_neighbors), int(self.n_components)
        if k > n - 1:
            raise ValueError(f"n_neighbors: expected at most n_samples - 1 = {n - 1} (a sample is not its own "
                             f"neighbour), got {k}")
        if c > n:
            raise ValueError(f"n_components: expected at most n_samples={n}, got {c}")
        backend = get_backend(self.backend)
        X64 = np.array(X, dtype=np.float64, order="C")  # a private copy: transform queries against it
        graph = _neighbor_graph(X64, k, backend)
        n_cc, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
        if n_cc > 1:
            warnings.warn(f"n_neighbors: the graph of the {k} nearest neighbours has {n_cc} connected components; "
                          "Isomap joins them by the shortest edge between each pair, and distances across them are "
                          "unreliable. Increase n_neighbors to avoid this.", UserWarning, stacklevel=3)
            graph = _connect_components(X64, graph, labels, n_cc, backend)
        G = scipy.sparse.csgraph.shortest_path(graph, method=self.path_method, directed=False)

        K = G ** 2
        K *= -0.5
        col_means = K.mean(axis=0)
        all_mean = float(col_means.mean())
        _centre_kernel(K, col_means, all_mean)
        solver = self.eigen_solver
        if solver == "auto":
            solver = "arpack" if n > 200 and c < 10 else "dense"
        if solver == "arpack" and c < n:
            # A fixed start vector: ARPACK converges to the same eigenpairs from any, and a fixed one
            # keeps the fit deterministic.
            v0 = np.random.default_rng(0).uniform(-1.0, 1.0, n)
            lambdas, alphas = scipy.sparse.linalg.eigsh(K, c, which="LA", tol=0.0, v0=v0)
        else:
            lambdas, alphas = scipy.linalg.eigh(K, subset_by_index=[n - c, n - 1], check_finite=False)
        order = np.argsort(-lambdas, kind="stable")
        lambdas = np.maximum(lambdas[order], 0.0)  # a Gram matrix is positive semi-definite
        alphas = np.ascontiguousarray(_flip_signs(np.ascontiguousarray(alphas[:, order].T)).T)

        self.dist_matrix_ = G
        self.embedding_ = (alphas * np.sqrt(lambdas)).astype(X.dtype, copy=False)
        self.n_features_in_ = int(X.shape[1])
        self._fit_X = X64
        self._lambdas = lambdas
        self._alphas = alphas
        self._kernel_col_means = col_means
        self._kernel_mean = all_mean
        self._kernel_sq_norm = float(np.einsum("ij,ij->", K, K))
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Embed new samples: link them into the training graph, then project their kernel row.

        The ``n_neighbors`` nearest training samples j of a new point x (at Euclidean distances
        dⱼ) give its geodesic distances to every training sample i, ``g(x, i) = minⱼ (dⱼ + Gⱼᵢ)``;
        the row ``−½ g²``, centred with the training kernel's means, is projected onto the
        eigenvectors: ``z_m = Σᵢ K̃(x, i) v_{m,i} / √λ_m`` (scikit-learn's out-of-sample rule; a
        training sample maps to its own ``embedding_`` row when its neighbourhood is the same).

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)

        Returns
        -------
        Z : ndarray of shape (n_queries, n_components), of X's float dtype
        """
        check_is_fitted(self, "embedding_")
        self._check_feature_names(X, reset=False)
        X_in, X = X, check_array(X, "X")
        check_n_features(self, X)
        Xq = np.array(X, dtype=np.float64, order="C")
        sq_dist, indices = get_backend(self.backend).nearest_neighbors(Xq, int(self.n_neighbors), self._fit_X)
        dist = np.sqrt(sq_dist)
        n_fit = self._fit_X.shape[0]
        K = np.empty((Xq.shape[0], n_fit))
        step = max(1, _BLOCK // (indices.shape[1] * n_fit))
        for i0 in range(0, Xq.shape[0], step):
            paths = self.dist_matrix_[indices[i0:i0 + step]] + dist[i0:i0 + step, :, None]
            K[i0:i0 + step] = paths.min(axis=1)
        K **= 2
        K *= -0.5
        _centre_kernel(K, self._kernel_col_means, self._kernel_mean)
        scale = np.zeros_like(self._lambdas)
        positive = self._lambdas > 0
        scale[positive] = 1.0 / np.sqrt(self._lambdas[positive])
        Z = K @ (self._alphas * scale)
        return self._wrap_output(Z.astype(X.dtype, copy=False), X_in)

    def fit_transform(self, X: ArrayLike, y: Any = None) -> np.ndarray:  # type: ignore[override]
        """Fit on X and return ``embedding_`` (not ``transform(X)``, which re-links X into the graph).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        return self._wrap_output(self.fit(X).embedding_, X)

    def reconstruction_error(self) -> float:
        """How far the embedding is from preserving the geodesic distances.

        ``E = ‖K − K̂‖_F / n`` with K the double-centred kernel ``−½ H G∘² H`` and K̂ its rank-
        n_components approximation by the kept eigenpairs, computed as
        ``√(‖K‖²_F − Σ_m λ_m²) / n`` (the definition scikit-learn's Isomap uses).

        Returns
        -------
        error : float
        """
        check_is_fitted(self, "embedding_")
        rest = max(self._kernel_sq_norm - float(np.sum(self._lambdas ** 2)), 0.0)
        return float(np.sqrt(rest) / self.dist_matrix_.shape[0])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: ``isomap0``, ``isomap1``, …

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : ndarray of shape (n_components,), dtype object
        """
        check_is_fitted(self, "embedding_")
        return np.asarray([f"isomap{i}" for i in range(self.embedding_.shape[1])], dtype=object)
