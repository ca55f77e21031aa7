"""Ordinary least squares by the normal equations (or an SVD when they are ill-conditioned)."""
from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .. import _chunked
from .._base import BaseEstimator, RegressorMixin, fit_context
from .._validation import Options, check_sample_weight
from ..backends import get_backend
from .._sparse import issparse
from ._base import (BACKEND, FIT_INTERCEPT, _center, _fit_sparse_least_squares, _LinearPredictorMixin,
                    _regression_data, _sqrt_weighted, _store_linear)
from ._solvers import _COND_LIMIT, _SINGULAR, _solve_lstsq, _solve_normal
from ._streamed import fit_least_squares


class LinearRegression(_LinearPredictorMixin, RegressorMixin, BaseEstimator):
    """Ordinary least squares: minimise L(w, b) = Σᵢ (yⁱ − wᵀxⁱ − b)² = εᵀε.

    The gradient vanishes where XᵀX w = Xᵀy (the normal equations), w* = (XᵀX)⁻¹Xᵀy. With
    ``fit_intercept`` X and y are centered first (x̄, ȳ the column means), w solves the
    centered problem and b = ȳ − x̄ᵀw.

    With ``sample_weight`` (scikit-learn's weighted objective) the loss is Σᵢ sᵢ(yⁱ − wᵀxⁱ − b)²:
    the means are weighted, and the normal equations become XᵀSX w = XᵀSy (S = diag(s)) with
    the backend's weighted Gram matrix. An integer weight counts as that many copies of a sample,
    a zero weight as no sample.

    Parameters
    ----------
    fit_intercept : bool, default=True
    solver : {"auto", "normal", "lstsq"}, default="auto"
        "normal": the normal equations, Gram matrix XᵀX and Xᵀy from the backend, Cholesky
        solve (fast, but squares the condition number; a numerically singular XᵀX — Cholesky
        fails or the estimate below exceeds 1/eps — is a ValueError).
        "lstsq": the minimum-norm solution from an SVD of X (robust, slower).
        "auto": "normal" unless N < D (N counts the samples of positive weight), the Cholesky
        factorization fails, or
        (max Lᵢᵢ / min Lᵢᵢ)², a lower estimate of cond(XᵀX), exceeds 1e10; then "lstsq".
    backend : str, default="auto"
        Kernel backend, see :func:`mlbasics.get_backend`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    solver_ : str
        The solver actually used ("normal", "lstsq", or "lsqr" for sparse X).
    n_features_in_ : int

    Notes
    -----
    The solve is done in float64 whatever the input dtype; ``coef_`` has X's dtype.

    Sparse X (scipy.sparse CSR or CSC, matrix or array; other formats are converted to CSR) is
    never densified nor centred: with ``solver="auto"`` it is fitted by LSQR
    (``scipy.sparse.linalg.lsqr``) on a linear operator whose products X·v and Xᵀu are the
    backend's sparse kernels, the centring for ``fit_intercept`` applied implicitly
    ((X − 1x̄ᵀ)v = Xv − 1x̄ᵀv). LSQR stops at atol = btol = 1e-12: the coefficients agree with
    the dense fit to about 1e-12·cond(X) relative (the minimum-norm solution, as "lstsq", when
    X is rank-deficient). The fit holds X in both CSR and CSC layouts (X's sparse memory once
    more). ``solver="normal"`` or ``"lstsq"`` with sparse X is a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.linear_model import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = 2 * X[:, 0] + 1
    >>> model = LinearRegression(backend="numpy").fit(X, y)
    >>> np.round(model.coef_, 3), round(model.intercept_, 3), model.solver_
    (array([2.]), 1.0, 'normal')
    >>> np.round(model.predict([[4.0]]), 3)
    array([9.])
    """

    _parameter_constraints = {
        "fit_intercept": FIT_INTERCEPT,
        "solver": [Options(("auto", "normal", "lstsq"))],
        "backend": BACKEND,
    }

    def __init__(self, fit_intercept: bool = True, solver: Literal["auto", "normal", "lstsq"] = "auto",
                 backend: str = "auto") -> None:
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.backend = backend

    @fit_context
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> LinearRegression:
        """Fit on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum; None weighs every sample 1.

        Returns
        -------
        self : LinearRegression
            The fitted estimator.
        """
        self._validate_params()
        self._check_feature_names(X, reset=True)
        if _chunked.stream_fit(X, sample_weight):  # block statistics, no copy of X (_streamed.py)
            return fit_least_squares(self, X, y)
        backend = get_backend(self.backend)
        if issparse(X):
            return self._fit_sparse(backend, X, y, sample_weight)
        X, X64, Y, single = _regression_data(X, y)
        sw = check_sample_weight(sample_weight, X.shape[0], keep_none=True)
        Xc, Yc, x_mean, y_mean = _center(X64, Y, self.fit_intercept, sw)
        n_rows = Xc.shape[0] if sw is None else int(np.count_nonzero(sw))
        W, used = None, "lstsq"
        if self.solver == "normal" or (self.solver == "auto" and n_rows >= Xc.shape[1]):
            W, cond = _solve_normal(backend, Xc, Yc, sample_weight=sw)
            if (W is None or cond > _SINGULAR) and self.solver == "normal":
                raise ValueError("solver: XᵀX is singular (collinear or constant features, or fewer "
                                 "samples than features); use solver='lstsq' or 'auto'")
            if self.solver == "auto" and cond > _COND_LIMIT:
                W = None
            used = "normal"
        if W is None:
            W, used = _solve_lstsq(*_sqrt_weighted(Xc, Yc, sw)), "lstsq"
        _store_linear(self, W, x_mean, y_mean, single, X.dtype)
        self.solver_ = used
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_sparse(self, backend, X, y, sample_weight):
        if self.solver != "auto":
            raise ValueError(f"solver: {self.solver!r} needs a dense X (it factorizes XᵀX or X); sparse X is fitted "
                             "by LSQR with solver='auto'")
        _fit_sparse_least_squares(self, backend, X, y, 0.0, sample_weight)
        self.solver_ = "lsqr"
        return self

    def _accepts_sparse(self) -> bool:
        return self.solver == "auto"

