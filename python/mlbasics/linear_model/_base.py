"""What the linear models share: centering, the data of a regression, ``predict`` and
``decision_function`` through the backend's ``linear_forward``, and the entries of their
parameter tables (see :mod:`mlbasics._validation`)."""
from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._sparse import SparseOperator, issparse
from .._validation import Interval, check_array, check_is_fitted, check_n_features, check_X_y
from ..backends import BACKEND_CONSTRAINT, get_backend
from ..exceptions import ConvergenceWarning, sklearn_compatible
from ._solvers import _solve_lsqr

# Parameter-table entries that several linear models share.
FIT_INTERCEPT: list[Any] = ["boolean"]
BACKEND: list[Any] = BACKEND_CONSTRAINT
VERBOSE: list[Any] = ["boolean", Interval(numbers.Integral, 0, None)]
MAX_ITER: list[Any] = [Interval(numbers.Integral, 1, None)]
TOL: list[Any] = [Interval(numbers.Real, 0, None)]
CALLBACK: list[Any] = [None, "callable"]


def _center(X: np.ndarray, Y: np.ndarray, fit_intercept: bool,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Center X and Y (float64) when fitting an intercept; return the means too.

    With centered data the intercept drops out of the least-squares problem and is recovered as
    b = ȳ − x̄ᵀw, so it is never penalized.
    """
    if fit_intercept:
        x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        return X - x_mean, Y - y_mean, x_mean, y_mean
    return X, Y, np.zeros(X.shape[1]), np.zeros(Y.shape[1])



def _regression_data(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    X, y = check_X_y(X, y, allow_2d_y=True)
    single = y.ndim == 1
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=np.float64)
    return X, X64, Y, single


def _sparse_regression_data(backend: Any, X: Any, y: ArrayLike) -> tuple[Any, SparseOperator, np.ndarray, bool]:
    """Checked sparse X (its dtype kept for coef_), the float64 operator on it (both layouts) and Y."""
    X, y = check_X_y(X, y, allow_2d_y=True, accept_sparse=True)
    single = y.ndim == 1
    op = SparseOperator(X.astype(np.float64, copy=False), backend, both_layouts=True)
    Y = np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=np.float64)
    return X, op, Y, single


def _fit_sparse_least_squares(est: Any, backend: Any, X: Any, y: ArrayLike, alpha: float) -> None:
    """Fit coef_/intercept_ of a least-squares or ridge model on sparse X by LSQR (see _solve_lsqr)."""
    X, op, Y, single = _sparse_regression_data(backend, X, y)
    W, x_mean, y_mean, _, converged = _solve_lsqr(op, Y, alpha, est.fit_intercept)
    if not converged:
        warnings.warn(f"{type(est).__name__}: LSQR (sparse X) stopped at its iteration limit before reaching its "
                      "tolerance; the coefficients may be inaccurate (X is ill-conditioned)",
                      sklearn_compatible(ConvergenceWarning), stacklevel=3)
    _store_linear(est, W, x_mean, y_mean, single, X.dtype)
    est.n_features_in_ = X.shape[1]


def _sparse_scores(est: Any, X: Any, dtype: Any) -> np.ndarray:
    """XWᵀ + b for a sparse X (``csr_matmul`` / ``csr_matmul_t``), in X's float dtype (or ``dtype``)."""
    X = check_array(X, "X", accept_sparse=True, **({} if dtype is None else {"dtype": dtype}))
    check_n_features(est, X)
    W = np.atleast_2d(est.coef_).astype(X.dtype, copy=False)
    b = np.atleast_1d(np.asarray(est.intercept_)).astype(X.dtype, copy=False)
    return SparseOperator(X, get_backend(est.backend)).dot(W.T) + b


class _LinearPredictorMixin:
    """``predict`` for a fitted ``coef_`` of shape (D,) or (T, D) and ``intercept_``."""

    # Set by __init__ (backend) and fit (the others) of the estimators that use this mixin.
    backend: str
    coef_: np.ndarray
    intercept_: Any

    def _decision(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "coef_")
        self._check_feature_names(X, reset=False)  # type: ignore[attr-defined]  # a BaseEstimator mixin
        if issparse(X):
            return _sparse_scores(self, X, None)
        X = check_array(X, "X")
        check_n_features(self, X)
        W = np.atleast_2d(self.coef_).astype(X.dtype, copy=False)
        b = np.atleast_1d(np.asarray(self.intercept_)).astype(X.dtype, copy=False)
        z, _ = get_backend(self.backend).linear_forward(X, np.ascontiguousarray(W.T), b)
        return z

    def predict(self, X: ArrayLike) -> np.ndarray:
        """ŷ = Xw + b: shape (n_samples,) for one target, (n_samples, n_targets) otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets), of X's float dtype
        """
        z = self._decision(X)
        return z.ravel() if np.ndim(self.coef_) == 1 else z


def _store_linear(est: Any, W: np.ndarray, x_mean: np.ndarray, y_mean: np.ndarray, single: bool,
                  dtype: np.dtype) -> None:
    """coef_ (T, D) / (D,), intercept_ (T,) / float from W (D, T) and the data means."""
    intercept = y_mean - x_mean @ W
    if single:
        est.coef_ = W[:, 0].astype(dtype)
        est.intercept_ = float(intercept[0])
    else:
        est.coef_ = np.ascontiguousarray(W.T).astype(dtype)
        est.intercept_ = intercept.astype(dtype)


class _LinearClassifierMixin:
    """decision_function shared by the linear classifiers (coef_ (1 or K, n_features), intercept_)."""

    # Set by __init__ (backend) and fit (the others) of the estimators that use this mixin.
    backend: str
    coef_: np.ndarray
    intercept_: np.ndarray

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Scores wᵀx + b, through the backend's linear_forward: shape (n_samples,) for two classes,
        (n_samples, n_classes) otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes), float64
            For two classes, positive scores favour ``classes_[1]``.
        """
        check_is_fitted(self, "coef_")
        self._check_feature_names(X, reset=False)  # type: ignore[attr-defined]  # a BaseEstimator mixin
        if issparse(X):
            z = _sparse_scores(self, X, np.float64)
            return z[:, 0] if self.coef_.shape[0] == 1 else z
        X = check_array(X, "X", dtype=np.float64)
        check_n_features(self, X)
        z, _ = get_backend(self.backend).linear_forward(X, np.ascontiguousarray(self.coef_.T), self.intercept_)
        return z[:, 0] if self.coef_.shape[0] == 1 else z
