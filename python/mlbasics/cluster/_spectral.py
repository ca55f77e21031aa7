"""Spectral clustering: the relaxed normalized cut of a similarity graph, then k-means.

The samples are the nodes of a weighted graph with affinities ``aᵢⱼ ≥ 0`` (an RBF kernel of the
distances, or a k-nearest-neighbour graph). Cutting the graph into groups A₁ … A_k while keeping
each group well connected is Shi & Malik's *normalized cut*

.. math::
    \\mathrm{Ncut}(A_1, …, A_k) = \\sum_j \\frac{\\mathrm{cut}(A_j, \\bar A_j)}{\\mathrm{vol}(A_j)},
    \\qquad \\mathrm{vol}(A) = \\sum_{i \\in A} d_i, \\quad d_i = \\sum_{j \\ne i} a_{ij} ,

which is NP-hard; relaxing the group indicators to real vectors turns it into an eigenproblem of
the normalized graph Laplacian

.. math::
    L_{sym} = I - D^{-1/2} A D^{-1/2} .

Its eigenvectors x₁ … x_k of the k smallest eigenvalues, mapped back by ``u = D^{-1/2} x``, give
every sample k coordinates (the *spectral embedding*) in which the groups are compact blobs, so
k-means finishes the job (Ng, Jordan & Weiss 2001). This is the "image segmentation by normalized
cuts" of the course, and what scikit-learn's ``SpectralClustering`` computes.
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

from .._base import BaseEstimator, ClusterMixin, fit_context
from .._validation import Interval, Options, check_array, check_random_state
from ..backends import BACKEND_CONSTRAINT, get_backend
from ..decomposition import _flip_signs
from ._kmeans import KMeans

__all__ = ["SpectralClustering"]

_AFFINITIES = ("rbf", "nearest_neighbors", "precomputed")
_DENSE_MAX = 1000  # eigen_solver=None: dense eigh up to this many samples, ARPACK beyond
_DISCONNECTED = "Graph is not fully connected, spectral embedding may not work as expected."


def _rbf_affinity(X: np.ndarray, gamma: float, backend: Any) -> np.ndarray:
    """``exp(−γ ‖xᵢ − xⱼ‖²)`` from the backend's squared distances (exact zeros on the diagonal)."""
    A = backend.pairwise_sq_distances(X)
    A *= -gamma
    return np.exp(A, out=A)


def _knn_affinity(X: np.ndarray, n_neighbors: int, backend: Any) -> scipy.sparse.csr_matrix:
    """``½ (C + Cᵀ)`` of the 0/1 k-nearest-neighbour connectivity C, each sample counted among
    its own k neighbours (so row i of C is i itself and its k − 1 nearest other samples)."""
    n = X.shape[0]
    cols = np.empty((n, n_neighbors), dtype=np.int64)
    cols[:, 0] = np.arange(n)
    if n_neighbors > 1:
        cols[:, 1:] = backend.nearest_neighbors(X, n_neighbors - 1)[1]
    C = scipy.sparse.csr_matrix((np.ones(n * n_neighbors), cols.ravel(), np.arange(0, n * n_neighbors + 1,
                                                                                   n_neighbors)), shape=(n, n))
    return (0.5 * (C + C.T)).tocsr()


def _check_precomputed(A: Any) -> np.ndarray | scipy.sparse.csr_matrix:
    """A user affinity matrix: square, finite, non-negative, at least 2 × 2; symmetrized if needed."""
    if scipy.sparse.issparse(A):
        M = scipy.sparse.csr_matrix(A, dtype=np.float64)
        values = M.data
    else:
        M = np.array(check_array(A, "X", min_samples=2), dtype=np.float64)
        values = M
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"X: with affinity='precomputed', X must be a square affinity matrix "
                         f"(n_samples, n_samples), got shape {M.shape}")
    if M.shape[0] < 2:
        raise ValueError(f"X: expected at least 2 sample(s), got {M.shape[0]} (n_samples={M.shape[0]})")
    if values.size and not np.isfinite(values).all():
        raise ValueError("X: the precomputed affinity matrix contains NaN or infinity; expected finite values")
    if values.size and values.min() < 0:
        raise ValueError(f"X: the precomputed affinity matrix has negative entries (min {values.min():.6g}); "
                         "expected affinities >= 0")
    asym = abs(M - M.T)
    if (asym.max() if asym.shape[0] else 0) > 1e-10 * max(1.0, abs(M).max()):
        warnings.warn("X: the precomputed affinity matrix is not symmetric; using (X + X.T) / 2", UserWarning,
                      stacklevel=4)
        M = 0.5 * (M + M.T)
        if scipy.sparse.issparse(M):
            M = M.tocsr()
    return M


def _is_connected(A: np.ndarray | scipy.sparse.csr_matrix) -> bool:
    if not scipy.sparse.issparse(A) and np.count_nonzero(A) == A.size:
        return True  # every pair of samples is an edge
    n_components, _ = scipy.sparse.csgraph.connected_components(scipy.sparse.csr_matrix(A), directed=False)
    return bool(n_components == 1)


def _normalized_laplacian(A: np.ndarray | scipy.sparse.csr_matrix
                          ) -> tuple[np.ndarray | scipy.sparse.csr_matrix, np.ndarray]:
    """``(L, √d)``: ``L = I − D^{-1/2} A D^{-1/2}`` with A's diagonal ignored (a sample's affinity to
    itself is no edge), and ``√d`` the square roots of the degrees (1 for an isolated sample, whose
    row of L is then the unit vector, as its diagonal is set to 1 like every other)."""
    n = A.shape[0]
    if isinstance(A, np.ndarray):
        degree = A.sum(axis=1) - np.diagonal(A)
        sqrt_d = np.where(degree > 0, np.sqrt(degree), 1.0)
        inv = 1.0 / sqrt_d
        L = A * -inv[:, None]
        L *= inv[None, :]
        np.fill_diagonal(L, 1.0)
    else:
        coo = A.tocoo()
        off = coo.row != coo.col
        row, col, val = coo.row[off], coo.col[off], coo.data[off]
        degree = np.bincount(row, weights=val, minlength=n)
        sqrt_d = np.where(degree > 0, np.sqrt(degree), 1.0)
        L = scipy.sparse.csr_matrix((-val / (sqrt_d[row] * sqrt_d[col]), (row, col)), shape=(n, n))
        L = (L + scipy.sparse.identity(n, format="csr")).tocsr()
    return L, sqrt_d


def _spectral_embedding(A: np.ndarray | scipy.sparse.csr_matrix, k: int, solver: str,
                        rng: np.random.Generator) -> np.ndarray:
    """The rows ``D^{-1/2} x`` of the k eigenvectors x of L_sym with the smallest eigenvalues, as an
    (n, k) array; each eigenvector's sign makes its entry of largest magnitude positive."""
    L, sqrt_d = _normalized_laplacian(A)
    n = L.shape[0]
    if solver == "arpack" and k < n:
        # Shift-invert around a small negative σ: the eigenvalues of L nearest σ (its smallest, as
        # L is positive semi-definite) become the largest of (L − σI)⁻¹, which ARPACK finds fast;
        # σ < 0 keeps L − σI non-singular although L has an exact zero eigenvalue.
        v0 = rng.uniform(-1.0, 1.0, n)
        vals, vecs = scipy.sparse.linalg.eigsh(L, k, sigma=-1e-5, which="LM", tol=0.0, v0=v0)
    else:
        Ld = L if isinstance(L, np.ndarray) else L.toarray()
        vals, vecs = scipy.linalg.eigh(Ld, subset_by_index=[0, k - 1], overwrite_a=True, check_finite=False)
    order = np.argsort(vals, kind="stable")
    emb = vecs[:, order].T / sqrt_d
    return np.ascontiguousarray(_flip_signs(emb).T)


def _cluster_qr(maps: np.ndarray) -> np.ndarray:
    """Labels from the embedding by column-pivoted QR (Damle, Minden & Ying 2019).

    The pivots of a QR factorization of ``mapsᵀ`` pick k well-separated samples, one per cluster;
    the orthogonal polar factor of those k rows rotates the embedding so that each cluster lines up
    with one axis, and every sample takes the axis where its rotated row is largest in magnitude.
    """
    k = maps.shape[1]
    _, _, pivots = scipy.linalg.qr(maps.T, pivoting=True, mode="economic", check_finite=False)
    u, _, vt = scipy.linalg.svd(maps[pivots[:k]].T, check_finite=False)
    return np.abs(maps @ (u @ vt)).argmax(axis=1).astype(np.int64)


class SpectralClustering(ClusterMixin, BaseEstimator):
    """Cluster the samples by a normalized cut of their similarity graph (spectral clustering).

    1. **Affinity matrix** A (n × n): ``affinity="rbf"``: ``aᵢⱼ = exp(−γ ‖xᵢ − xⱼ‖²)`` from the
       backend's ``pairwise_sq_distances`` (dense); ``"nearest_neighbors"``: the 0/1 connectivity C
       of every sample to its ``n_neighbors`` nearest samples, itself included, from the backend's
       ``nearest_neighbors`` kernel, made symmetric as ``½ (C + Cᵀ)`` (sparse: 1 for mutual
       neighbours, ½ for one-sided ones); ``"precomputed"``: X itself is A (dense or scipy.sparse).
    2. **Spectral embedding**: the eigenvectors x₁ … x_k of the k = ``n_clusters`` smallest
       eigenvalues of the normalized Laplacian ``L = I − D^{-1/2} A D^{-1/2}`` (D the degrees,
       A's diagonal ignored), recovered as ``u = D^{-1/2} x``; each is signed so that its entry
       of largest magnitude is positive. The first one is kept (it is constant only on a
       connected graph).
    3. **Assignment**: the n rows of [u₁ … u_k] are points in ℝᵏ, clustered by :class:`KMeans`
       (``n_init`` runs, k-means++), or by ``"cluster_qr"``.

    These are scikit-learn's steps, so with the same parameters the labels agree with
    ``sklearn.cluster.SpectralClustering`` up to a renaming of the clusters (when the clustering is
    clear-cut; their random streams differ).

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters k, in [1, n_samples]; also the dimension of the embedding.
    affinity : {"rbf", "nearest_neighbors", "precomputed"}, default="rbf"
    gamma : float, default=1.0
        The RBF kernel's γ > 0 (finite); ignored by the other affinities.
    n_neighbors : int, default=10
        Neighbours per sample, itself included, for ``affinity="nearest_neighbors"``; in
        [1, n_samples − 1]. Ignored by the other affinities.
    n_init : int, default=10
        k-means runs from different k-means++ seeds; the one of lowest inertia is kept.
    assign_labels : {"kmeans", "cluster_qr"}, default="kmeans"
        ``"cluster_qr"`` is deterministic and needs no random seeds (Damle, Minden & Ying 2019).
    eigen_solver : {None, "dense", "arpack"}, default=None
        ``"dense"``: ``scipy.linalg.eigh`` of the dense Laplacian (its k smallest eigenpairs).
        ``"arpack"``: ``scipy.sparse.linalg.eigsh`` in shift-invert mode around σ = −10⁻⁵, the
        sparse Laplacian kept sparse. None: "dense" up to 1000 samples, "arpack" beyond.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seeds ARPACK's starting vector and the k-means runs.
    backend : str, default="auto"
        Kernel backend of the distances, the neighbours and the k-means steps.

    Attributes
    ----------
    labels_ : int64 ndarray of shape (n_samples,)
        The cluster of each sample, in [0, n_clusters).
    affinity_matrix_ : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        A, in float64 (dense for "rbf", sparse for "nearest_neighbors", as given for
        "precomputed").
    n_features_in_ : int
        Columns of X (n_samples for "precomputed").

    Notes
    -----
    Everything is computed in float64 (float32 input is converted); the embedding needs it.
    A graph with several connected components gives a UserWarning: each component then has its
    own zero eigenvalue, and the embedding only separates components, whatever their size.

    References
    ----------
    J. Shi and J. Malik, "Normalized cuts and image segmentation", IEEE TPAMI 22(8), 2000.
    A. Y. Ng, M. I. Jordan and Y. Weiss, "On spectral clustering: analysis and an algorithm",
    NIPS 2001. A. Damle, V. Minden and L. Ying, "Simple, direct and efficient multi-way spectral
    clustering", Information and Inference 8(1), 2019.

    Examples
    --------
    Two concentric rings, which k-means cannot tell apart: with an RBF width well below the gap
    between them, each ring is one cluster.

    >>> import numpy as np
    >>> from mlbasics.cluster import SpectralClustering
    >>> t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    >>> X = np.vstack([np.c_[np.cos(t), np.sin(t)], 3 * np.c_[np.cos(t), np.sin(t)]])
    >>> sc = SpectralClustering(2, gamma=5.0, random_state=0, backend="numpy").fit(X)
    >>> len(set(sc.labels_[:60])), len(set(sc.labels_[60:])), bool(sc.labels_[0] != sc.labels_[60])
    (1, 1, True)
    >>> sc.affinity_matrix_.shape
    (120, 120)
    """

    _parameter_constraints = {
        "n_clusters": [Interval(numbers.Integral, 1, None)],
        "affinity": [Options(_AFFINITIES)],
        "gamma": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_neighbors": [Interval(numbers.Integral, 1, None)],
        "n_init": [Interval(numbers.Integral, 1, None)],
        "assign_labels": [Options(("kmeans", "cluster_qr"))],
        "eigen_solver": [None, Options(("dense", "arpack"))],
        "random_state": ["random_state"],
        "backend": BACKEND_CONSTRAINT,
    }

    def __init__(self, n_clusters: int = 8, *,
                 affinity: Literal["rbf", "nearest_neighbors", "precomputed"] = "rbf", gamma: float = 1.0,
                 n_neighbors: int = 10, n_init: int = 10, assign_labels: Literal["kmeans", "cluster_qr"] = "kmeans",
                 eigen_solver: Literal["dense", "arpack"] | None = None, random_state: Any = None,
                 backend: str = "auto") -> None:
        self.n_clusters = n_clusters
        self.affinity = affinity
        self.gamma = gamma
        self.n_neighbors = n_neighbors
        self.n_init = n_init
        self.assign_labels = assign_labels
        self.eigen_solver = eigen_solver
        self.random_state = random_state
        self.backend = backend

    @fit_context
    def fit(self, X: ArrayLike, y: Any = None) -> SpectralClustering:
        """Build the affinity matrix, embed the samples spectrally, and cluster the embedding.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), or (n_samples, n_samples) for "precomputed"
            The samples, at least 2; with ``affinity="precomputed"`` the affinity matrix itself
            (a dense array or a scipy.sparse matrix, non-negative).
        y : ignored

        Returns
        -------
        self : SpectralClustering
        """
        self._validate_params()
        if self.affinity == "rbf" and not np.isfinite(self.gamma):
            raise ValueError(f"gamma: expected a finite number > 0, got {self.gamma!r}")
        self._check_feature_names(X, reset=True)
        if self.affinity == "precomputed":
            A = _check_precomputed(X)
            n = A.shape[0]
            self._check_n_clusters(n)
        else:
            X64 = np.ascontiguousarray(check_array(X, "X", min_samples=2), dtype=np.float64)
            n = X64.shape[0]
            self._check_n_clusters(n)
            backend = get_backend(self.backend)
            if self.affinity == "rbf":
                A = _rbf_affinity(X64, float(self.gamma), backend)
            else:
                if self.n_neighbors > n - 1:
                    raise ValueError(f"n_neighbors: expected at most n_samples - 1 = {n - 1}, got {self.n_neighbors}")
                A = _knn_affinity(X64, int(self.n_neighbors), backend)
        if not _is_connected(A):
            warnings.warn(_DISCONNECTED, UserWarning, stacklevel=3)
        rng = check_random_state(self.random_state)
        k = int(self.n_clusters)
        solver = self.eigen_solver or ("dense" if n <= _DENSE_MAX else "arpack")
        maps = _spectral_embedding(A, k, solver, rng)
        if self.assign_labels == "kmeans":
            labels = KMeans(k, n_init=int(self.n_init), random_state=rng, backend=self.backend).fit(maps).labels_
        else:
            labels = _cluster_qr(maps)
        self.affinity_matrix_ = A
        self.labels_ = labels
        self.n_features_in_ = int(A.shape[0] if self.affinity == "precomputed" else X64.shape[1])
        return self

    def _check_n_clusters(self, n: int) -> None:
        if self.n_clusters > n:
            raise ValueError(f"n_clusters: expected at most n_samples={n}, got {self.n_clusters}")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        precomputed = self.affinity == "precomputed"
        tags.input_tags.pairwise = precomputed
        tags.input_tags.sparse = precomputed
        return tags
