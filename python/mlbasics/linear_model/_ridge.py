"""Ridge regression, and RidgeCV: the ridge λ chosen by leave-one-out or K-fold cross-validation."""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Iterator

import numpy as np
from numpy.typing import ArrayLike
import scipy.linalg

from .. import _chunked
from .._base import BaseEstimator, RegressorMixin, fit_context
from .._sparse import SparseOperator, issparse
from .._validation import HasMethods, InstanceOf, Interval, check_sample_weight
from ..backends import get_backend
from ..exceptions import ConvergenceWarning, sklearn_compatible
from ._base import (BACKEND, FIT_INTERCEPT, _center, _fit_sparse_least_squares, _LinearPredictorMixin,
                    _regression_data, _sparse_regression_data, _sqrt_weighted, _store_linear)
from ._solvers import _cholesky, _solve_lsqr, _solve_lstsq, _solve_normal
from ._streamed import fit_ridge, fit_ridge_cv


class Ridge(_LinearPredictorMixin, RegressorMixin, BaseEstimator):
    """Ridge regression: least squares with the penalty α‖w‖².

    .. math:: \\min_{w, b}\\; \\lVert y - Xw - b\\mathbf{1} \\rVert^2 + α \\lVert w \\rVert^2

    Setting the gradient to zero gives (XᵀX + αI) w = Xᵀy — the course's regularized normal
    equations w = (XᵀX + λI)⁻¹Xᵀy with λ = α. The intercept is not penalized: X and y are
    centered and b = ȳ − x̄ᵀw. For α > 0 the matrix is positive definite and is solved by
    Cholesky (Gram matrix from the backend).

    With ``sample_weight`` s (scikit-learn's weighted objective): Σᵢ sᵢ(yⁱ − wᵀxⁱ − b)² + α‖w‖²,
    weighted means and (XᵀSX + αI) w = XᵀSy from the backend's weighted Gram matrix. The scale of
    the weights matters (doubling them halves the effective α); an integer weight counts as that
    many copies of a sample, a zero weight as no sample.

    Parameters
    ----------
    alpha : float ≥ 0, default=1.0
        Regularization strength α (λ in the course). α = 0 is ordinary least squares (an SVD
        is used if XᵀX is then singular).
    fit_intercept : bool, default=True
    backend : str, default="auto"

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    n_features_in_ : int

    Notes
    -----
    Sparse X (scipy.sparse CSR or CSC, matrix or array) is never densified nor centred: it is
    fitted by LSQR with damp = √α on the implicitly centred X (rows scaled by √s with sample
    weights), the products through the backend's sparse kernels, as :class:`LinearRegression`
    describes (tolerance 1e-12, the coefficients equal to the dense fit's to about 1e-12·cond
    relative).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.linear_model import Ridge
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = 2 * X[:, 0] + 1
    >>> model = Ridge(alpha=1.0, backend="numpy").fit(X, y)
    >>> np.round(model.coef_, 3), round(model.intercept_, 3)  # w = 10/(5 + 1), shrunk towards 0
    (array([1.667]), 1.5)
    """

    _parameter_constraints = {
        "alpha": [Interval(numbers.Real, 0, None)],
        "fit_intercept": FIT_INTERCEPT,
        "backend": BACKEND,
    }

    def __init__(self, alpha: float = 1.0, fit_intercept: bool = True, backend: str = "auto") -> None:
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.backend = backend

    @fit_context
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Ridge:
        """Fit on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum; None weighs every sample 1.

        Returns
        -------
        self : Ridge
            The fitted estimator.
        """
        self._validate_params()
        self._check_feature_names(X, reset=True)
        if _chunked.stream_fit(X, sample_weight):  # block statistics, no copy of X (_streamed.py)
            return fit_ridge(self, X, y)
        backend = get_backend(self.backend)
        if issparse(X):
            _fit_sparse_least_squares(self, backend, X, y, float(self.alpha), sample_weight)
            return self
        X, X64, Y, single = _regression_data(X, y)
        sw = check_sample_weight(sample_weight, X.shape[0], keep_none=True)
        Xc, Yc, x_mean, y_mean = _center(X64, Y, self.fit_intercept, sw)
        W, _ = _solve_normal(backend, Xc, Yc, float(self.alpha), sw)
        if W is None:  # only possible for α = 0 (or α tiny against XᵀX's scale)
            W = _solve_lstsq(*_sqrt_weighted(Xc, Yc, sw))
        _store_linear(self, W, x_mean, y_mean, single, X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def _accepts_sparse(self) -> bool:
        return True


class RidgeCV(_LinearPredictorMixin, RegressorMixin, BaseEstimator):
    """Ridge regression with α chosen by cross-validation, then refit on all the data.

    The course's recipe: for each candidate λ estimate the test error by cross-validation and
    keep the λ with the smallest one.

    * ``cv=None``: leave-one-out, for all α at once from one SVD of the centered X = USVᵀ.
      The fit is a linear smoother ŷ = Hy with hat matrix
      H = X(XᵀX + αI)⁻¹Xᵀ = U diag(sⱼ²/(sⱼ² + α)) Uᵀ (+ 𝟏𝟏ᵀ/N for the unpenalized
      intercept), and the leave-one-out residual of sample i is exactly
      eᵢ / (1 − Hᵢᵢ), eᵢ = yᵢ − ŷᵢ — no refitting. The score is −(mean squared LOO error),
      as scikit-learn's RidgeCV.
    * ``cv=K`` (or a splitter): K-fold (unshuffled :class:`~mlbasics.model_selection.KFold`);
      the score is −(mean over folds of the held-out MSE). Note that scikit-learn scores
      this case with R² instead.

    With ``sample_weight`` s, every fit is the weighted :class:`Ridge` fit. Leave-one-out is
    scikit-learn's weighted leave-one-out: the SVD is of √s ⊙ (X − x̄) (weighted means), the
    intercept's share of Hᵢᵢ is sᵢ / Σ s, and the score is −(1/N) Σᵢ sᵢ eᵢ⁽⁻ⁱ⁾² with eᵢ⁽⁻ⁱ⁾
    sample i's residual in the weighted fit without it. K-fold trains each fold's weighted fit
    and scores the held-out part with its weighted MSE Σ sᵢeᵢ² / Σ sᵢ (scikit-learn weighs this
    score only under metadata routing); a fold whose held-out samples all weigh 0 is left out of
    the mean. An integer weight then counts as that many copies of a sample in the K-fold fits
    and scores and in every fit; leave-one-out leaves a sample out with all its weight.

    Sparse X (scipy.sparse CSR or CSC) needs ``cv=K`` (or a splitter): every fold and the final
    refit are solved by LSQR as :class:`Ridge` solves sparse X, without densifying or centring
    X. Leave-one-out (``cv=None``) needs the SVD of the dense X, so sparse X with ``cv=None`` is
    a ValueError saying to pass ``cv=K``.

    Parameters
    ----------
    alphas : sequence of float > 0, default=(0.1, 1.0, 10.0)
    cv : None, int ≥ 2, splitter or list of (train, test) index pairs, default=None
    fit_intercept : bool, default=True
    backend : str, default="auto"

    Attributes
    ----------
    alpha_ : float
        The chosen α (the first of the best, if tied).
    best_score_ : float
        Its score, −(mean squared validation error).
    cv_scores_ : ndarray of shape (n_alphas,)
        The score of every α.
    coef_, intercept_ : as :class:`Ridge` fitted with ``alpha_``
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.linear_model import RidgeCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=30)
    >>> model = RidgeCV(alphas=(0.01, 1.0, 100.0), backend="numpy").fit(X, y)
    >>> model.alpha_, model.cv_scores_.shape
    (0.01, (3,))
    """

    _parameter_constraints = {
        "alphas": "no_validation",  # an array-like of positive floats: checked by _check_alphas
        "cv": [None, Interval(numbers.Integral, 2, None), HasMethods(("split",), "a splitter with a split method"),
               InstanceOf((list, tuple), "a list of (train, test) index pairs")],
        "fit_intercept": FIT_INTERCEPT,
        "backend": BACKEND,
    }

    def __init__(self, alphas: ArrayLike = (0.1, 1.0, 10.0), cv: int | Any | None = None, fit_intercept: bool = True,
                 backend: str = "auto") -> None:
        self.alphas = alphas
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.backend = backend

    def _check_alphas(self) -> np.ndarray:
        try:
            alphas = np.asarray(self.alphas)
        except Exception:
            raise TypeError(f"alphas: expected a sequence of floats, got {type(self.alphas).__name__}") from None
        if alphas.dtype.kind not in "iuf":
            raise TypeError(f"alphas: expected a sequence of floats, got dtype {alphas.dtype}")
        alphas = np.atleast_1d(alphas).astype(np.float64)
        if alphas.ndim != 1 or alphas.size == 0:
            raise ValueError(f"alphas: expected a non-empty 1-D sequence, got shape {alphas.shape}")
        if not np.all(np.isfinite(alphas)) or np.any(alphas <= 0):
            raise ValueError(f"alphas: every value must be finite and > 0, got {alphas.tolist()}")
        return alphas

    @fit_context
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> RidgeCV:
        """Choose α by cross-validation, then fit Ridge(alpha_) on all of X, y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum; None weighs every sample 1.

        Returns
        -------
        self : RidgeCV
            The fitted estimator.
        """
        alphas = self._check_alphas()
        self._validate_params()
        self._check_feature_names(X, reset=True)
        if _chunked.stream_fit(X, sample_weight):  # per-fold block statistics in one pass
            return fit_ridge_cv(self, X, y, alphas)
        cv = self.cv
        backend = get_backend(self.backend)
        if issparse(X):
            return self._fit_sparse(backend, X, y, alphas, sample_weight)
        X, X64, Y, single = _regression_data(X, y)
        sw = check_sample_weight(sample_weight, X.shape[0], keep_none=True)
        if cv is None and X.shape[0] < 2:
            raise ValueError(f"X: leave-one-out cross-validation (cv=None) needs at least 2 samples, got "
                             f"n_samples={X.shape[0]}")
        if cv is None:
            scores = self._loo_scores(X64, Y, alphas, sw)
        else:
            scores = self._kfold_scores(backend, X64, Y, alphas, sw)
        best = int(np.argmax(scores))  # first of the best on ties
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(scores[best])
        self.cv_scores_ = scores
        Xc, Yc, x_mean, y_mean = _center(X64, Y, self.fit_intercept, sw)
        W, _ = _solve_normal(backend, Xc, Yc, self.alpha_, sw)
        if W is None:  # pragma: no cover - α > 0 makes the system positive definite
            W = _solve_lstsq(*_sqrt_weighted(Xc, Yc, sw))
        _store_linear(self, W, x_mean, y_mean, single, X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def _fit_sparse(self, backend, X, y, alphas, sample_weight):
        """K-fold scores and the refit by LSQR (see :class:`Ridge`), X never densified."""
        if self.cv is None:
            raise ValueError("cv: leave-one-out (cv=None) uses the SVD of a dense X; sparse X is never densified, so "
                             "it needs K-fold cross-validation: pass cv=5 (or another K, or a splitter)")
        X, op, Y, single = _sparse_regression_data(backend, X, y)
        sw = check_sample_weight(sample_weight, X.shape[0], keep_none=True)
        X64 = X.astype(np.float64, copy=False).tocsr()  # row subsets for the folds
        scores, converged = self._kfold_scores_sparse(backend, X64, Y, alphas, sw)
        best = int(np.argmax(scores))  # first of the best on ties
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(scores[best])
        self.cv_scores_ = scores
        W, x_mean, y_mean, _, last = _solve_lsqr(op, Y, self.alpha_, self.fit_intercept, sw)
        if not (converged and last):
            warnings.warn("RidgeCV: LSQR (sparse X) stopped at its iteration limit before reaching its tolerance; "
                          "the scores or coefficients may be inaccurate (X is ill-conditioned)",
                          sklearn_compatible(ConvergenceWarning), stacklevel=3)
        _store_linear(self, W, x_mean, y_mean, single, X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def _folds(self, X: Any, sample_weight: np.ndarray | None) -> Iterator[tuple[Any, Any, Any, Any]]:
        """(train, test, train weights, test weights) of every fold of ``cv`` (an int: K-fold; a
        splitter; a list of (train, test) pairs). With weights, a fold whose held-out samples all
        weigh 0 is skipped (nothing to score), and one whose training samples all weigh 0 is an
        error (no fit is defined)."""
        from ..model_selection import KFold

        splitter: Any = KFold(int(self.cv)) if isinstance(self.cv, numbers.Integral) else self.cv
        for train, test in (splitter if isinstance(splitter, (list, tuple)) else splitter.split(X)):
            if sample_weight is None:
                yield train, test, None, None
                continue
            sw_train, sw_test = sample_weight[train], sample_weight[test]
            if not sw_test.sum() > 0:
                continue
            if not sw_train.sum() > 0:
                raise ValueError("sample_weight: every training sample of a cross-validation fold weighs 0; "
                                 "no fit is defined there (change the weights or the splitter)")
            yield train, test, sw_train, sw_test

    def _kfold_scores_sparse(self, backend, X, Y, alphas, sample_weight=None):
        """As :meth:`_kfold_scores` for a sparse CSR X: one LSQR solve per fold and α."""
        fold_mse, converged = [], True
        for train, test, sw_train, sw_test in self._folds(X, sample_weight):
            op_train = SparseOperator(X[train], backend, both_layouts=True)
            op_test = SparseOperator(X[test], backend)
            row = []
            for alpha in alphas:
                W, x_mean, y_mean, _, ok = _solve_lsqr(op_train, Y[train], float(alpha), self.fit_intercept, sw_train)
                converged &= ok
                pred = op_test.dot(W) - x_mean @ W + y_mean
                if sw_test is None:
                    row.append(np.mean((Y[test] - pred) ** 2))
                else:
                    row.append(np.average(((Y[test] - pred) ** 2).mean(axis=1), weights=sw_test))
            fold_mse.append(row)
        return -np.mean(np.asarray(fold_mse), axis=0), converged

    def _accepts_sparse(self) -> bool:
        return self.cv is not None

    def _loo_scores(self, X, Y, alphas, sample_weight=None):
        """−mean((eᵢ / (1 − Hᵢᵢ))²) for every α, from one thin SVD of the centered X (weighted: of
        √s ⊙ (X − x̄), whose residuals are √sᵢ eᵢ; see the class docstring)."""
        n = X.shape[0]
        Xc, Yc, _, _ = _center(X, Y, self.fit_intercept, sample_weight)
        Xc, Yc = _sqrt_weighted(Xc, Yc, sample_weight)
        U, s, _ = scipy.linalg.svd(Xc, full_matrices=False, check_finite=False)
        s2 = s ** 2
        UtY = U.T @ Yc                     # (r, T)
        U2 = U ** 2                        # (n, r)
        base: Any = 0.0                    # the intercept's share of Hᵢᵢ: 1/N, or sᵢ / Σ s
        if self.fit_intercept:
            base = 1.0 / n if sample_weight is None else sample_weight / sample_weight.sum()
        scores = np.empty(alphas.shape[0])
        for k, alpha in enumerate(alphas):
            shrink = s2 / (s2 + alpha)                       # sⱼ²/(sⱼ² + α)
            resid = Yc - U @ (shrink[:, None] * UtY)          # eᵢ (the intercept fits ȳ exactly)
            # 1 − Hᵢᵢ = 1 − 1/N − Σⱼ Uᵢⱼ² sⱼ²/(sⱼ² + α), computed as a sum of non-negative parts:
            # (1 − 1/N − Σⱼ Uᵢⱼ²) + Σⱼ Uᵢⱼ² α/(sⱼ² + α)
            one_minus_h = (1.0 - base - U2.sum(axis=1)) + U2 @ (alpha / (s2 + alpha))
            one_minus_h = np.maximum(one_minus_h, 0.0)
            if np.any(one_minus_h <= 0):
                scores[k] = -np.inf  # a sample that the fit interpolates whatever its value
                continue
            scores[k] = -np.mean((resid / one_minus_h[:, None]) ** 2)
        return scores

    def _kfold_scores(self, backend, X, Y, alphas, sample_weight=None):
        """−(mean over folds of the held-out MSE) for every α; one Gram matrix per fold (weighted:
        the weighted fits and held-out MSEs of the class docstring)."""
        fold_mse = []
        for train, test, sw_train, sw_test in self._folds(X, sample_weight):
            Xc, Yc, x_mean, y_mean = _center(X[train], Y[train], self.fit_intercept, sw_train)
            G = backend.gram(Xc) if sw_train is None else backend.gram(Xc, sw_train)
            B = backend.matmul(Xc, Yc if sw_train is None else Yc * sw_train[:, None], trans_a=True)
            row = []
            for alpha in alphas:
                factor, _ = _cholesky(G + alpha * np.eye(G.shape[0]))
                if factor is None:  # pragma: no cover - α > 0
                    W = _solve_lstsq(*_sqrt_weighted(Xc, Yc, sw_train))
                else:
                    W = scipy.linalg.cho_solve(factor, B, check_finite=False)
                pred = (X[test] - x_mean) @ W + y_mean
                if sw_test is None:
                    row.append(np.mean((Y[test] - pred) ** 2))
                else:
                    row.append(np.average(((Y[test] - pred) ** 2).mean(axis=1), weights=sw_test))
            fold_mse.append(row)
        return -np.mean(np.asarray(fold_mse), axis=0)

