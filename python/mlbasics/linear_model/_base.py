"""What the linear models share: centering, the data of a regression, ``predict`` and
``decision_function`` through the backend's ``linear_forward``, and the entries of their
parameter tables (see :mod:`mlbasics._validation`)."""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _chunked, _rows
from .._sparse import SparseOperator, issparse
from .._validation import (Interval, InstanceOf, Options, check_array, check_is_fitted, check_n_features,
                           check_sample_weight, check_X_y)
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
CLASS_WEIGHT: list[Any] = [None, Options(("balanced",)), InstanceOf(dict, "a dict {label: weight}")]


def _center(X: np.ndarray, Y: np.ndarray, fit_intercept: bool, sample_weight: np.ndarray | None = None,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Center X and Y (float64) when fitting an intercept; return the means too.

    With centered data the intercept drops out of the least-squares problem and is recovered as
    b = ȳ − x̄ᵀw, so it is never penalized. With sample weights wᵢ the means are the weighted
    means x̄ = Σ wᵢxᵢ / Σ wᵢ (then Σ wᵢ(xᵢ − x̄) = 0, and the intercept drops out of the weighted
    problem in the same way).
    """
    if fit_intercept:
        if sample_weight is None:
            x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        else:
            total = sample_weight.sum()
            x_mean, y_mean = (sample_weight @ X) / total, (sample_weight @ Y) / total
        return X - x_mean, Y - y_mean, x_mean, y_mean
    return X, Y, np.zeros(X.shape[1]), np.zeros(Y.shape[1])


def _class_weights(class_weight: Any, classes: np.ndarray, y_enc: np.ndarray,
                   sample_weight: np.ndarray | None = None) -> np.ndarray:
    """The weight of every class (in the order of ``classes``) for ``class_weight``.

    None: all 1. "balanced": scikit-learn's n_samples / (n_classes · bincount(y)), with the counts
    weighted by ``sample_weight`` when given (Σ w / (n_classes · Σ_{y = c} w), as scikit-learn's
    LogisticRegression). A dict: {label: weight}, classes left out weigh 1; a key that is not a
    class of y, or a weight that is not a finite number >= 0, is a ValueError naming class_weight.
    """
    k = classes.shape[0]
    if class_weight is None:
        return np.ones(k)
    if isinstance(class_weight, str):  # "balanced" (the parameter table allows no other string)
        counts = np.bincount(y_enc, weights=sample_weight, minlength=k).astype(np.float64)
        with np.errstate(divide="ignore"):
            weights = counts.sum() / (k * counts)
        weights[counts == 0] = 0.0  # a class with no (weighted) sample: its weight never multiplies anything
        return weights
    weights = np.ones(k)
    known = {c.item() if isinstance(c, np.generic) else c: i for i, c in enumerate(classes)}
    unknown = [key for key in class_weight if key not in known]
    if unknown:
        raise ValueError(f"class_weight: keys {unknown!r} are not classes of y (classes: {list(known)!r})")
    for key, value in class_weight.items():
        if (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)
                or not math.isfinite(float(value)) or value < 0):
            raise ValueError(f"class_weight: the weight of class {key!r} must be a finite number >= 0, "
                             f"got {value!r}")
        weights[known[key]] = float(value)
    return weights


def _fit_weights(sample_weight: Any, class_weight: Any, classes: np.ndarray, y_enc: np.ndarray,
                 ) -> np.ndarray | None:
    """Per-sample weights of a classifier's fit: sample_weight (checked) times the class weights of
    the samples' labels; None when both are None (the unweighted fit)."""
    w = check_sample_weight(sample_weight, y_enc.shape[0], keep_none=True)
    if class_weight is None:
        return w
    cw = _class_weights(class_weight, classes, y_enc, w)
    w = cw[y_enc] if w is None else w * cw[y_enc]  # a new array: the caller's weights are never changed
    if not w.sum() > 0:
        raise ValueError("class_weight: with these class weights every sample weighs 0 (the weights sum to zero)")
    return w


def _regression_data(X: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    X, y = check_X_y(X, y, allow_2d_y=True)
    single = y.ndim == 1
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=np.float64)
    return X, X64, Y, single


def _sqrt_weighted(Xc: np.ndarray, Yc: np.ndarray, sample_weight: np.ndarray | None,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """√w-scaled rows (the weighted least-squares problem as an unweighted one), for the SVD
    solvers; unchanged without weights."""
    if sample_weight is None:
        return Xc, Yc
    r = np.sqrt(sample_weight)[:, None]
    return Xc * r, Yc * r


def _sparse_regression_data(backend: Any, X: Any, y: ArrayLike) -> tuple[Any, SparseOperator, np.ndarray, bool]:
    """Checked sparse X (its dtype kept for coef_), the float64 operator on it (both layouts) and Y."""
    X, y = check_X_y(X, y, allow_2d_y=True, accept_sparse=True)
    single = y.ndim == 1
    op = SparseOperator(X.astype(np.float64, copy=False), backend, both_layouts=True)
    Y = np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=np.float64)
    return X, op, Y, single


def _fit_sparse_least_squares(est: Any, backend: Any, X: Any, y: ArrayLike, alpha: float,
                              sample_weight: Any = None) -> None:
    """Fit coef_/intercept_ of a least-squares or ridge model on sparse X by LSQR (see _solve_lsqr)."""
    X, op, Y, single = _sparse_regression_data(backend, X, y)
    sw = check_sample_weight(sample_weight, X.shape[0], keep_none=True)
    W, x_mean, y_mean, _, converged = _solve_lsqr(op, Y, alpha, est.fit_intercept, sw)
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
            (a lazy dask array, computed per row chunk, when X is a dask array)
        """
        if _chunked.is_dask_array(X):
            check_is_fitted(self, "coef_")
            return _rows.dask_map(self.predict, X, self.n_features_in_,  # type: ignore[attr-defined]
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
            return _rows.dask_map(self.decision_function, X, self.coef_.shape[1],
                                     None if self.coef_.shape[0] == 1 else self.coef_.shape[0], np.float64)
        self._check_feature_names(X, reset=False)  # type: ignore[attr-defined]  # a BaseEstimator mixin
        if issparse(X):
            z = _sparse_scores(self, X, np.float64)
            return z[:, 0] if self.coef_.shape[0] == 1 else z
        X = check_array(X, "X", dtype=np.float64)
        check_n_features(self, X)
        z, _ = get_backend(self.backend).linear_forward(X, np.ascontiguousarray(self.coef_.T), self.intercept_)
        return z[:, 0] if self.coef_.shape[0] == 1 else z
