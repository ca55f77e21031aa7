"""Principal component analysis.

PCA finds the orthonormal directions along which centered data varies most. With
``X̃ = X − 1μᵀ`` the centered data (n samples, p features) and

.. math::
    C = \\frac{1}{n-1} X̃ᵀX̃

its covariance matrix, the principal axes are the eigenvectors of C sorted by decreasing
eigenvalue λ₁ ≥ λ₂ ≥ …; λᵢ is the variance of the data along axis i (the course's
``eig_vals, eig_vecs = eig(cov_mat)``). Equivalently, with the thin SVD ``X̃ = U S Vᵀ``, the
rows of Vᵀ are the axes and ``λᵢ = sᵢ² / (n − 1)``. A sample is projected onto the first k axes
by ``z = (x − μ) V_k`` and mapped back by ``x̂ = z V_kᵀ + μ``.
"""
from __future__ import annotations

import numbers
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from . import _chunked, _rows
from ._base import BaseEstimator, TransformerMixin, fit_context
from ._validation import Interval, Options, check_array, check_is_fitted, check_n_features, check_random_state
from .backends import BACKEND_CONSTRAINT, get_backend

__all__ = ["PCA"]

_SOLVERS = ("auto", "full", "covariance_eigh", "randomized")


def _flip_signs(components: np.ndarray) -> np.ndarray:
    """Make the entry of largest magnitude in each row positive (the first one on ties), in place."""
    if components.size:
        pivot = np.argmax(np.abs(components), axis=1)
        signs = np.sign(components[np.arange(components.shape[0]), pivot])
        signs[signs == 0] = 1.0
        components *= signs[:, None]
    return components


def _solve_full(xc: np.ndarray):
    """Thin SVD of the centered data: returns (singular values, Vᵀ), both for min(n, p) axes."""
    _, s, vt = scipy.linalg.svd(xc, full_matrices=False, check_finite=False)
    return s, vt


def _solve_covariance_eigh(comoment: np.ndarray, n: int):
    """Eigen-decomposition of the covariance ``X̃ᵀX̃ / (n − 1)``, from the co-moment X̃ᵀX̃.

    The co-moment is reduced over row blocks of X by :func:`mlbasics._chunked.moments` (each
    block's Gram matrix about its means from the backend, the blocks merged pairwise). Returns
    (eigenvalues descending, clipped at 0, eigenvectors as rows), truncated to min(n, p) axes:
    beyond that rank the eigenvalues are zero up to rounding.

    LAPACK runs with one BLAS thread: a p×p problem gains nothing from more, and OpenBLAS's
    threads keep spinning after a threaded call, taking the core our pool's next product needs
    (PCA(10) on 100,000×256 refitted at 2 threads, Zen 5: 100 → 59 ms).
    """
    from .linear_model._solvers import _one_blas_thread

    cov = comoment / (n - 1)
    with _one_blas_thread():
        evals, evecs = scipy.linalg.eigh(cov, check_finite=False)
    keep = min(n, comoment.shape[0])
    evals = np.maximum(evals[::-1][:keep], 0.0)
    return evals, np.ascontiguousarray(evecs[:, ::-1][:, :keep].T)


def _solve_randomized(src, mean: np.ndarray, k: int, n_oversamples: int, n_iter: int, rng, backend):
    """Randomized truncated SVD (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1).

    1. Draw a Gaussian test matrix Ω (p × l), l = k + n_oversamples (at most min(n, p)).
    2. Range finder: Q = orth(X̃ Ω), then ``n_iter`` power iterations
       Q ← orth(X̃ orth(X̃ᵀ Q)), re-orthonormalised by QR at each half step so that the small
       singular values are not lost to rounding.
    3. B = Qᵀ X̃ (l × p) is small: its SVD B = Û S Vᵀ gives X̃ ≈ (Q Û) S Vᵀ.

    Every product with X̃ = X − 1μᵀ is one pass over row blocks of X, each block centred into a
    buffer and multiplied by the backend's ``matmul`` (:func:`mlbasics._chunked.product_pass`):
    X is never copied, only the n × l matrices Q live in memory. Returns (s[:k], Vᵀ[:k]).
    """
    n, p = src.shape
    size = min(k + n_oversamples, min(n, p))
    omega = rng.standard_normal((p, size))
    q, _ = scipy.linalg.qr(_chunked.product_pass(src, mean, omega, backend), mode="economic", check_finite=False)
    for _ in range(n_iter):
        z, _ = scipy.linalg.qr(_chunked.product_pass(src, mean, q, backend, transpose=True), mode="economic",
                               check_finite=False)
        q, _ = scipy.linalg.qr(_chunked.product_pass(src, mean, z, backend), mode="economic", check_finite=False)
    b = _chunked.product_pass(src, mean, q, backend, transpose=True).T   # QᵀX̃
    _, s, vt = scipy.linalg.svd(b, full_matrices=False, check_finite=False)
    return s[:k], vt[:k]


class PCA(TransformerMixin, BaseEstimator):
    """Principal component analysis: project data onto its directions of largest variance.

    Parameters
    ----------
    n_components : None, int or float, default=None
        How many components to keep. None keeps min(n_samples, n_features); an int k must lie in
        [1, min(n_samples, n_features)]; a float f in (0, 1) keeps the smallest k whose components
        explain at least the fraction f of the total variance (``svd_solver`` "full" or
        "covariance_eigh" only, since it needs the whole spectrum).
    svd_solver : {"auto", "full", "covariance_eigh", "randomized"}, default="auto"
        * ``"covariance_eigh"``: C = X̃ᵀX̃ / (n − 1) from the backend's ``gram`` kernel, then
          ``scipy.linalg.eigh``. Cheap when n_features is small, but it squares the condition
          number: tiny eigenvalues lose relative accuracy.
        * ``"full"``: ``scipy.linalg.svd`` of the centered data (thin SVD). Exact and stable.
        * ``"randomized"``: the randomized range finder of Halko, Martinsson & Tropp (2011);
          approximate, fast when few components of a large matrix are wanted.
        * ``"auto"``: "covariance_eigh" if n_features ≤ 1000 and n_samples ≥ 10·n_features;
          else "randomized" if max(n_samples, n_features) > 500 and an int n_components
          < 0.8·min(n_samples, n_features); else "full".
    whiten : bool, default=False
        If True, ``transform`` divides each projected coordinate by √λᵢ so every output column
        has unit variance (on the training data).
    random_state : None, int or numpy.random.Generator, default=None
        Seeds the Gaussian test matrix of the randomized solver.
    n_oversamples : int, default=10
        Extra columns of the randomized test matrix beyond n_components (l = k + n_oversamples).
    iterated_power : "auto" or int ≥ 0, default="auto"
        Power iterations of the randomized solver; "auto" means 7 if
        n_components < 0.1·min(n_samples, n_features), else 4.
    backend : str, default="auto"
        Kernel backend (``"cpp"``, ``"numba"``, ``"numpy"`` or ``"auto"``) for the Gram matrix,
        the randomized solver's products and ``transform``'s projection.

    Attributes
    ----------
    components_ : ndarray (n_components_, n_features)
        The principal axes, one per row, orthonormal, by decreasing explained variance.
        **Sign convention:** an eigenvector is defined up to sign; each row is flipped so that its
        entry of largest absolute value (the first such entry on ties) is positive. This is the
        rule scikit-learn ≥ 1.5 applies, so the two agree except on exact ties.
    explained_variance_ : ndarray (n_components_,)
        The eigenvalues λᵢ of the covariance matrix (ddof=1), i.e. sᵢ² / (n − 1).
    explained_variance_ratio_ : ndarray (n_components_,)
        λᵢ divided by the total variance Σⱼ Var(X[:, j]) (all zeros for constant data).
    singular_values_ : ndarray (n_components_,)
        The singular values sᵢ of the centered data, sᵢ = √(λᵢ (n − 1)).
    mean_ : ndarray (n_features,)
        The per-feature mean μ subtracted before projecting.
    noise_variance_ : float
        The mean of the discarded eigenvalues λ_{k+1}, …, λ_{min(n,p)} (0 when none are discarded);
        for the randomized solver, (total variance − Σ kept λ) / (min(n, p) − k).
    n_components_, n_samples_, n_features_in_ : int

    Notes
    -----
    **Precision.** The decomposition is always computed in float64, even for float32 input
    (covariance_eigh squares the condition number, which float32 cannot afford). The fitted
    attributes are then stored in the input's dtype and ``transform``/``inverse_transform``
    return the dtype of the array they are given, so float32 in gives float32 out, as in
    scikit-learn.

    References
    ----------
    N. Halko, P.-G. Martinsson and J. A. Tropp, "Finding structure with randomness: probabilistic
    algorithms for constructing approximate matrix decompositions", SIAM Review 53(2), 2011.

    Examples
    --------
    Points on the line x₂ = 2x₁: one component, along (1, 2)/√5, explains all the variance.

    >>> import numpy as np
    >>> from mlbasics.decomposition import PCA
    >>> X = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    >>> pca = PCA(n_components=1, backend="numpy").fit(X)
    >>> np.round(pca.components_, 3)
    array([[0.447, 0.894]])
    >>> np.round(pca.explained_variance_ratio_, 3)
    array([1.])
    >>> Z = pca.transform(X)
    >>> Z.shape, np.round(pca.inverse_transform(Z)[3], 3)
    ((4, 1), array([3., 6.]))
    """

    _parameter_constraints = {
        # the upper bound min(n_samples, n_features) depends on the data: checked in _check_params
        "n_components": [None, Interval(numbers.Integral, 1, None),
                         Interval(numbers.Real, 0, 1, closed="neither")],
        "svd_solver": [Options(_SOLVERS)],
        "whiten": ["boolean"],
        "random_state": ["random_state"],
        "n_oversamples": [Interval(numbers.Integral, 1, None)],
        "iterated_power": [Options(("auto",)), Interval(numbers.Integral, 0, None)],
        "backend": BACKEND_CONSTRAINT,
    }

    def __init__(self, n_components: int | float | None = None,
                 svd_solver: Literal["auto", "full", "covariance_eigh", "randomized"] = "auto",
                 whiten: bool = False,
                 random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 n_oversamples: int = 10, iterated_power: int | Literal["auto"] = "auto",
                 backend: str = "auto") -> None:
        self.n_components = n_components
        self.svd_solver = svd_solver
        self.whiten = whiten
        self.random_state = random_state
        self.n_oversamples = n_oversamples
        self.iterated_power = iterated_power
        self.backend = backend

    # ------------------------------------------------------------ validation
    def _check_params(self, n_samples: int, n_features: int) -> tuple[int | float, str]:
        """Validate the hyper-parameters against the data; return (k or fraction, solver)."""
        self._validate_params()
        max_k = min(n_samples, n_features)
        nc = self.n_components
        if nc is None:
            k: int | float = max_k
        elif isinstance(nc, numbers.Integral):
            if nc > max_k:
                raise ValueError(f"n_components: expected an int in [1, min(n_samples, n_features)] = "
                                 f"[1, {max_k}], got {nc}")
            k = int(nc)
        else:
            k = float(nc)  # a fraction of explained variance in (0, 1)

        solver = self.svd_solver
        if solver == "auto":
            if n_features <= 1000 and n_samples >= 10 * n_features:
                solver = "covariance_eigh"
            elif max(n_samples, n_features) > 500 and isinstance(k, int) and k < 0.8 * max_k:
                solver = "randomized"
            else:
                solver = "full"
        if solver == "randomized" and isinstance(k, float):
            raise ValueError(f"n_components: a fraction of variance ({k!r}) needs svd_solver='full' or "
                             "'covariance_eigh', not 'randomized'")
        return k, solver

    # ------------------------------------------------------------------ fit
    @fit_context
    def fit(self, X: ArrayLike, y: Any = None) -> PCA:
        """Fit the principal axes of X (n_samples ≥ 2, n_features ≥ 1). ``y`` is ignored.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self : PCA
            The fitted estimator.
        """
        self._check_feature_names(X, reset=True)
        # X is read by row blocks (a view of an ndarray, a read of a memmap, array-like or dask
        # array): "covariance_eigh" and "randomized" never copy it; "full" needs it whole
        src = _rows.as_rows(X, "X", min_samples=2)
        n, p = src.shape
        k, solver = self._check_params(n, p)
        backend = get_backend(self.backend)

        dtype = src.out_dtype
        max_k = min(n, p)

        if solver == "covariance_eigh":
            stats = _chunked.moments([src], backend)
            stats.check(("X", False))
            mean = stats.mean
            evals, vt = _solve_covariance_eigh(stats.M, n)
            svals = np.sqrt(evals * (n - 1))
            total_var = float(evals.sum())
        elif solver == "full":
            X64 = check_array(_chunked.load(src), "X", min_samples=2).astype(np.float64, copy=False)
            mean = X64.mean(axis=0)
            svals, vt = _solve_full(X64 - mean)
            del X64
            evals = svals ** 2 / (n - 1)
            total_var = float(evals.sum())
        else:
            if self.iterated_power == "auto":
                n_iter = 7 if k < 0.1 * max_k else 4
            else:
                n_iter = int(self.iterated_power)
            stats = _chunked.moments([src], backend, diag=True)
            stats.check(("X", False))
            mean = stats.mean
            rng = check_random_state(self.random_state)
            svals, vt = _solve_randomized(src, mean, int(k), int(self.n_oversamples), n_iter, rng, backend)
            evals = svals ** 2 / (n - 1)
            total_var = float(stats.M.sum() / (n - 1))

        ratio = evals / total_var if total_var > 0 else np.zeros_like(evals)
        if isinstance(k, float):
            k = int(np.searchsorted(np.cumsum(ratio), k, side="right")) + 1
            k = min(k, max_k)

        if solver == "randomized":
            noise = (total_var - float(evals.sum())) / (max_k - k) if k < max_k else 0.0
            noise = max(noise, 0.0)
        else:
            noise = float(evals[k:].mean()) if k < max_k else 0.0

        self.components_ = _flip_signs(np.array(vt[:k], dtype=np.float64)).astype(dtype, copy=False)
        self.explained_variance_ = evals[:k].astype(dtype)
        self.explained_variance_ratio_ = ratio[:k].astype(dtype)
        self.singular_values_ = svals[:k].astype(dtype)
        self.mean_ = mean.astype(dtype)
        self.noise_variance_ = dtype.type(noise)
        self.n_components_ = int(k)
        self.n_samples_ = int(n)
        self.n_features_in_ = int(p)
        self._fit_svd_solver = solver
        return self

    # ------------------------------------------------------------ transform
    def _whiten_scale(self, dtype: np.dtype) -> np.ndarray:
        scale = np.sqrt(self.explained_variance_.astype(np.float64))
        # a zero-variance component is left unscaled rather than divided by zero
        scale[scale < np.finfo(dtype).eps] = 1.0
        return scale.astype(dtype)

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Project X onto the principal axes: ``Z = (X − μ) V_kᵀ``, divided by √λ when whitening.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_), of X's float dtype
            (a lazy dask array, computed per row chunk, when X is a dask array)
        """
        check_is_fitted(self, "components_")
        if _chunked.is_dask_array(X):
            return _rows.dask_map(self.transform, X, self.n_features_in_, self.n_components_)
        self._check_feature_names(X, reset=False)
        X_in, X = X, check_array(X, "X")
        check_n_features(self, X)
        dtype = X.dtype
        xc = X - self.mean_.astype(dtype, copy=False)
        z = get_backend(self.backend).matmul(xc, self.components_.astype(dtype, copy=False), trans_b=True)
        if self.whiten:
            z /= self._whiten_scale(dtype)
        return self._wrap_output(z, X_in)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns: ``pca0``, ``pca1``, … (one per component).

        Parameters
        ----------
        input_features : ignored
            Accepted for scikit-learn's API: the components mix every input feature.

        Returns
        -------
        names : ndarray of shape (n_components_,), dtype object
        """
        check_is_fitted(self, "components_")
        return np.asarray([f"pca{i}" for i in range(self.components_.shape[0])], dtype=object)

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Map projected data back to feature space: ``X̂ = Z V_k + μ`` (undoing the whitening).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components_)
            Projected data Z.

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features), of Z's float dtype (lazy for a dask Z)
        """
        check_is_fitted(self, "components_")
        if _chunked.is_dask_array(X):
            return _rows.dask_map(self.inverse_transform, X, self.n_components_, self.n_features_in_)
        Z = check_array(X, "X")
        if Z.shape[1] != self.n_components_:
            raise ValueError(f"X: has {Z.shape[1]} columns, but {type(self).__name__} has "
                             f"{self.n_components_} components")
        dtype = Z.dtype
        if self.whiten:
            Z = Z * self._whiten_scale(dtype)
        out = get_backend(self.backend).matmul(Z, self.components_.astype(dtype, copy=False))
        out += self.mean_.astype(dtype, copy=False)
        return out

    # PCA.fit takes no fit parameters, so its fit_transform has no **fit_params.
    def fit_transform(self, X: ArrayLike, y: Any = None) -> np.ndarray:  # type: ignore[override]
        """Fit on X, then return ``transform(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components_)
        """
        return self.fit(X, y).transform(X)
