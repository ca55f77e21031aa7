"""LinearRegression, Ridge and RidgeCV fitted from streamed block statistics.

X and y are read a block of rows at a time (:mod:`mlbasics._chunked`): one pass gives n, the
means and the centred co-moment M of [X | Y], i.e. every number the normal equations need —
XᵀX = M_xx, Xᵀy = M_xy after centring, x̄ and ȳ for the intercept. No copy of X is made (a
float64 buffer of one block is), whatever X is: an ndarray, a memory map, an array-like read by
row slices or a dask array.

When the normal equations are ill-conditioned (``solver="auto"``) or a least-squares solve is
asked for, a second pass forms the R factor of [X̃ | Ỹ] by blocked QR (TSQR) and the
minimum-norm solution comes from LAPACK's gelsd on R: R has the singular values of X̃, so the
result is the one gelsd gives on X̃ itself, from (p + T)² numbers.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.linalg

from .. import _chunked, _rows
from ..backends import get_backend
from ._base import _store_linear
from ._solvers import _COND_LIMIT, _SINGULAR, _cholesky


def _sources(X: Any, y: Any) -> tuple[Any, Any]:
    xs = _rows.as_rows(X, "X")
    return xs, _chunked.as_target(y, xs, "y")


def _moments(xs: Any, ys: Any, backend: Any, folds: Any = None) -> Any:
    out = _chunked.moments([xs, ys], backend, folds=folds)
    whole = _chunked.merge_all(out) if folds is not None else out
    whole.check(("X", False), ("y", ys.vector))
    return out


def _normal_terms(m: _chunked.Moments, p: int, fit_intercept: bool
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """XᵀX, XᵀY (centred when fitting an intercept) and the means x̄, ȳ (zeros without intercept)."""
    if fit_intercept:
        M, x_mean, y_mean = m.M, m.mean[:p], m.mean[p:]
    else:
        M = m.raw()
        x_mean, y_mean = np.zeros(p), np.zeros(m.mean.shape[0] - p)
    return M[:p, :p], M[:p, p:], x_mean, y_mean


def _solve(G: np.ndarray, B: np.ndarray, alpha: float = 0.0) -> tuple[np.ndarray | None, float]:
    """(G + αI) W = B by Cholesky; (None, inf) when not positive definite."""
    if alpha:
        G = G + alpha * np.eye(G.shape[0])
    factor, cond = _cholesky(G)
    if factor is None:
        return None, cond
    return scipy.linalg.cho_solve(factor, B, check_finite=False), cond


def _solve_tsqr(xs: Any, ys: Any, backend: Any, fit_intercept: bool) -> np.ndarray:
    """The minimum-norm least-squares W from the R factor of [X̃ | Ỹ] (one more pass)."""
    p = xs.width
    st = _chunked.qr_stats([xs, ys], backend)
    R = st.R
    if not fit_intercept:  # about 0 instead of the mean: RᵀR + n m mᵀ
        R = scipy.linalg.qr(np.vstack([R, np.sqrt(st.n) * st.mean[None, :]]), mode="r", check_finite=False)[0]
    # Singular values below eps · max(n, q) · s_max count as zero (NumPy's lstsq rule): each merge
    # of the blocked QR rounds at eps · ‖R‖, so an exact rank deficiency shows as a singular value
    # of up to ~ eps · √(blocks) · s_max instead of eps · s_max.
    cond = np.finfo(np.float64).eps * max(st.n, R.shape[1])
    W, *_ = scipy.linalg.lstsq(R[:, :p], R[:, p:], cond=cond, lapack_driver="gelsd", check_finite=False)
    return W


def fit_least_squares(est: Any, X: Any, y: Any) -> Any:
    """LinearRegression.fit on streamed statistics (same solver rules as the in-memory fit)."""

    backend = get_backend(est.backend)
    xs, ys = _sources(X, y)
    m = _moments(xs, ys, backend)
    n, p = xs.n, xs.width
    G, B, x_mean, y_mean = _normal_terms(m, p, est.fit_intercept)
    W, used = None, "lstsq"
    if est.solver == "normal" or (est.solver == "auto" and n >= p):
        W, cond = _solve(G, B)
        if (W is None or cond > _SINGULAR) and est.solver == "normal":
            raise ValueError("solver: XᵀX is singular (collinear or constant features, or fewer "
                             "samples than features); use solver='lstsq' or 'auto'")
        if est.solver == "auto" and cond > _COND_LIMIT:
            W = None
        used = "normal"
    if W is None:
        W, used = _solve_tsqr(xs, ys, backend, est.fit_intercept), "lstsq"
    _store_linear(est, W, x_mean, y_mean, ys.vector, xs.out_dtype)
    est.solver_ = used
    est.n_features_in_ = p
    return est


def fit_ridge(est: Any, X: Any, y: Any) -> Any:
    """Ridge.fit on streamed statistics."""
    backend = get_backend(est.backend)
    xs, ys = _sources(X, y)
    m = _moments(xs, ys, backend)
    G, B, x_mean, y_mean = _normal_terms(m, xs.width, est.fit_intercept)
    W, _ = _solve(G, B, float(est.alpha))
    if W is None:  # only possible for α = 0 (or α tiny against XᵀX's scale)
        W = _solve_tsqr(xs, ys, backend, est.fit_intercept)
    _store_linear(est, W, x_mean, y_mean, ys.vector, xs.out_dtype)
    est.n_features_in_ = xs.width
    return est


def _fold_labels(splits: list, n: int) -> np.ndarray | None:
    """The fold of each row when the test sets partition the rows and every training set is the
    complement of its test set; else None."""
    labels = np.full(n, -1, dtype=np.int64)
    for k, (train, test) in enumerate(splits):
        test = np.asarray(test)
        if test.size == 0 or np.any(labels[test] >= 0):
            return None
        labels[test] = k
        if np.asarray(train).size != n - test.size:
            return None
    if np.any(labels < 0):
        return None
    for k, (train, _) in enumerate(splits):
        if np.any(labels[np.asarray(train)] == k):
            return None
    return labels


def _kfold_scores(parts: list, alphas: np.ndarray, p: int, fit_intercept: bool) -> np.ndarray:
    """−(mean over folds of the held-out MSE) for every α, from the summaries of the folds.

    The training summary of fold k is the merge of the others. On the held-out rows the residual
    r = y − (x − x̄)W − ȳ has Σ r² = diag([−W; I]ᵀ M_test [−W; I]) + n_test r̄², with
    r̄ = (ȳ_test − ȳ) − (x̄_test − x̄)W: no pass over the data per α. (The quadratic form loses
    relative accuracy ~ eps · Var(y) / MSE when the fit is nearly exact; the scores then agree
    with a direct evaluation to that accuracy.)
    """
    K = len(parts)
    fold_mse = np.empty((K, alphas.shape[0]))
    for k in range(K):
        train = _chunked.merge_all([parts[j] for j in range(K) if j != k])
        test = parts[k]
        G, B, x_mean, y_mean = _normal_terms(train, p, fit_intercept)
        T = B.shape[1]
        for a, alpha in enumerate(alphas):
            W, _ = _solve(G, B, float(alpha))
            if W is None:  # pragma: no cover - α > 0 makes the system positive definite
                W = scipy.linalg.lstsq(G + alpha * np.eye(p), B, check_finite=False)[0]
            A = np.vstack([-W, np.eye(T)])
            centred = np.einsum("ij,ij->j", A, test.M @ A)
            rbar = (test.mean[p:] - y_mean) - (test.mean[:p] - x_mean) @ W
            fold_mse[k, a] = float(np.sum(np.maximum(centred, 0.0) + test.n * rbar ** 2)) / (test.n * T)
    return -np.mean(fold_mse, axis=0)


def fit_ridge_cv(est: Any, X: Any, y: Any, alphas: np.ndarray) -> Any:
    """RidgeCV.fit on streamed statistics.

    ``cv=K``: the folds of unshuffled K-fold, contiguous row ranges, one summary each from a
    single pass. A splitter whose test sets partition the rows (every training set the rest):
    one summary per fold from the same single pass. Any other splitter, and leave-one-out
    (``cv=None``, which needs an SVD of X), hold X in memory as the in-memory fit does.
    """
    from ..model_selection import KFold

    backend = get_backend(est.backend)
    xs, ys = _sources(X, y)
    n, p = xs.n, xs.width
    cv = est.cv
    if cv is None and n < 2:
        raise ValueError(f"X: leave-one-out cross-validation (cv=None) needs at least 2 samples, got "
                         f"n_samples={n}")
    folds: Any = None
    if isinstance(cv, numbers.Integral):
        KFold(int(cv))._check_params(n)
        folds = _chunked.kfold_bounds(n, int(cv))
    elif cv is not None:
        # only the number of rows matters to a splitter; an in-memory X is passed as it is
        split_on = xs.data if isinstance(xs, _chunked.Rows) and not xs.lazy else np.empty((n, 0))
        # a list of (train, test) index pairs is the splits themselves
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv] if isinstance(cv, (list, tuple)) \
            else list(cv.split(split_on))
        folds = _fold_labels(splits, n)
    if folds is not None:
        parts = _moments(xs, ys, backend, folds=folds)
        scores = _kfold_scores(parts, alphas, p, est.fit_intercept)
        m = _chunked.merge_all(parts)
    else:
        if _chunked.is_dask_source(xs):
            what = "leave-one-out (cv=None)" if cv is None else "a splitter whose test sets do not partition the rows"
            raise ValueError(f"cv: {what} needs X in memory; on a dask array pass cv=K (K-fold on contiguous "
                             "row ranges) or a splitter whose test sets partition the rows")
        m = _moments(xs, ys, backend)
        X64 = np.ascontiguousarray(_chunked.load(xs), dtype=np.float64)
        Y = np.ascontiguousarray(_chunked.load(ys).reshape(n, -1), dtype=np.float64)
        if cv is None:
            scores = est._loo_scores(X64, Y, alphas)
        else:
            scores = est._kfold_scores(backend, X64, Y, alphas)
        del X64, Y
    best = int(np.argmax(scores))  # first of the best on ties
    est.alpha_ = float(alphas[best])
    est.best_score_ = float(scores[best])
    est.cv_scores_ = scores
    G, B, x_mean, y_mean = _normal_terms(m, p, est.fit_intercept)
    W, _ = _solve(G, B, est.alpha_)
    if W is None:  # pragma: no cover - α > 0 makes the system positive definite
        W = _solve_tsqr(xs, ys, backend, est.fit_intercept)
    _store_linear(est, W, x_mean, y_mean, ys.vector, xs.out_dtype)
    est.n_features_in_ = p
    return est


def fit_logistic_dask(est: Any, backend: Any, X: Any, y: Any, loss_class: type) -> Any:
    """LogisticRegression.fit on a dask X: the solvers of the in-memory fit, each evaluation of the
    objective (and of the Hessian, for "newton") one pass over X's persisted chunks
    (:class:`mlbasics._dask.DaskLogisticLoss`); binary and multinomial alike."""
    import warnings

    from .. import _dask
    from .._progress import Progress
    from ..exceptions import ConvergenceWarning, sklearn_compatible
    from ._solvers import _solve_gd, _solve_lbfgs, _solve_newton

    obj, classes, n_features = _dask.logistic_objective(backend, X, y, est.fit_intercept, est.C, est.penalty,
                                                        loss_class)
    theta0 = np.zeros(obj.size)
    max_iter, tol = int(est.max_iter), float(est.tol)
    est.stopped_by_callback_ = False
    with Progress(max_iter, type(est).__name__, est.verbose, unit="iter") as progress:
        def monitor(iteration: int, theta: np.ndarray, objective: float) -> bool:
            progress.update(objective)
            if est.callback is None:
                return False
            est._store(obj, theta, classes, iteration, n_features)
            est.stopped_by_callback_ = bool(est.callback(iteration, objective, est))
            return est.stopped_by_callback_

        solver_monitor = monitor if (est.verbose or est.callback is not None) else None
        if est.solver == "lbfgs":
            theta, n_iter, converged = _solve_lbfgs(obj.loss_grad, theta0, max_iter, tol, solver_monitor)
        elif est.solver == "newton":
            theta, n_iter, converged = _solve_newton(obj.loss_grad, obj.hessian, theta0, max_iter, tol, solver_monitor)
        else:
            theta, n_iter, converged = _solve_gd(obj.loss_grad, theta0, max_iter, tol, solver_monitor)
    if not converged and not est.stopped_by_callback_:
        warnings.warn(f"LogisticRegression (solver={est.solver!r}) did not converge to tol={tol} "
                      f"within max_iter={max_iter} iterations; increase max_iter or scale the data",
                      sklearn_compatible(ConvergenceWarning), stacklevel=3)
    return est._store(obj, theta, classes, n_iter, n_features)
