"""What the linear models share: centering, the data of a regression, ``predict`` and
``decision_function`` through the backend's ``linear_forward``, and the entries of their
parameter tables (see :mod:`mlbasics._validation`)."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _chunked
from .._validation import Interval, check_array, check_is_fitted, check_n_features, check_X_y
from ..backends import BACKEND_CONSTRAINT, get_backend

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


class _LinearPredictorMixin:
    """``predict`` for a fitted ``coef_`` of shape (D,) or (T, D) and ``intercept_``."""

    # Set by __init__ (backend) and fit (the others) of the estimators that use this mixin.
    backend: str
    coef_: np.ndarray
    intercept_: Any

    def _decision(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "coef_")
        self._check_feature_names(X, reset=False)  # type: ignore[attr-defined]  # a BaseEstimator mixin
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
            (a lazy dask array, computed per row chunk, when X is a dask array)
        """
        if _chunked.is_dask_array(X):
            check_is_fitted(self, "coef_")
            return _chunked.dask_map(self.predict, X, self.n_features_in_,  # type: ignore[attr-defined]
                                     None if np.ndim(self.coef_) == 1 else self.coef_.shape[0])
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
            For two classes, positive scores favour ``classes_[1]``. A lazy dask array for a dask X.
        """
        check_is_fitted(self, "coef_")
        if _chunked.is_dask_array(X):
            return _chunked.dask_map(self.decision_function, X, self.coef_.shape[1],
                                     None if self.coef_.shape[0] == 1 else self.coef_.shape[0], np.float64)
        self._check_feature_names(X, reset=False)  # type: ignore[attr-defined]  # a BaseEstimator mixin
        X = check_array(X, "X", dtype=np.float64)
        check_n_features(self, X)
        z, _ = get_backend(self.backend).linear_forward(X, np.ascontiguousarray(self.coef_.T), self.intercept_)
        return z[:, 0] if self.coef_.shape[0] == 1 else z
