"""Linear models: least squares, ridge, logistic regression and the perceptron.

Notation (the course's): the design matrix X ∈ ℝ^{N×D} stacks the samples (xⁱ)ᵀ as rows, y ∈ ℝᴺ
are the targets and w ∈ ℝᴰ the weights, so that y = Xw + ε; an intercept b is a weight on a
constant feature. Least squares minimises L(w) = εᵀε = Σᵢ (yⁱ − wᵀxⁱ)², whose gradient vanishes
at the normal equations XᵀX w = Xᵀy, i.e. w* = (XᵀX)⁻¹Xᵀy.

Every estimator here calls the kernel contract (:func:`mlbasics.get_backend`) for its heavy
linear algebra — the Gram matrix XᵀX, products XᵀY, the forward pass z = XW + b and the fused
loss-and-gradient kernels — and gives the same result on every backend up to rounding.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.linalg
import scipy.optimize
from scipy.special import expit, log_expit, log_softmax, softmax

from ._base import (BaseEstimator, ClassifierMixin, RegressorMixin, check_array,
                    check_classification_targets, check_is_fitted, check_n_features, check_random_state,
                    check_scalar, check_X_y)
from .backends import get_backend
from ._progress import Progress, check_callback
from .exceptions import ConvergenceWarning

__all__ = ["LinearRegression", "Ridge", "RidgeCV", "LogisticRegression", "Perceptron", "ConvergenceWarning"]

#: Above this estimate of cond(XᵀX) the "auto" solver leaves the normal equations for an SVD.
_COND_LIMIT = 1e10
#: Beyond this estimate XᵀX is numerically singular: even solver="normal" refuses it.
_SINGULAR = 1.0 / np.finfo(np.float64).eps


# ---------------------------------------------------------------- shared helpers
def _check_option(value, name, options):
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name}: expected one of {options}, got {type(value).__name__}")
    if value not in options:
        raise ValueError(f"{name}: expected one of {options}, got {value!r}")
    return value


def _check_verbose(verbose):
    if not isinstance(verbose, (bool, np.bool_, numbers.Integral)):
        raise TypeError(f"verbose: expected True or False, got {type(verbose).__name__}")


def _center(X, Y, fit_intercept):
    """Center X and Y (float64) when fitting an intercept; return the means too.

    With centered data the intercept drops out of the least-squares problem and is recovered as
    b = ȳ − x̄ᵀw, so it is never penalized.
    """
    if fit_intercept:
        x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
        return X - x_mean, Y - y_mean, x_mean, y_mean
    return X, Y, np.zeros(X.shape[1]), np.zeros(Y.shape[1])


def _cholesky(G):
    """Cholesky factor of a symmetric matrix and an estimate of its condition number.

    With G = LLᵀ, cond(G) ≥ (max Lᵢᵢ / min Lᵢᵢ)²: a cheap lower-bound estimate. Returns
    (factor, cond) or (None, inf) when G is not (numerically) positive definite.
    """
    try:
        factor = scipy.linalg.cho_factor(G, lower=False, check_finite=False)
    except np.linalg.LinAlgError:
        return None, np.inf
    d = np.abs(np.diag(factor[0]))
    if d.min() <= 0 or not np.all(np.isfinite(d)):
        return None, np.inf
    return factor, float((d.max() / d.min()) ** 2)


def _solve_lstsq(Xc, Yc):
    """Minimum-norm least-squares solution from an SVD (LAPACK gelsd)."""
    W, *_ = scipy.linalg.lstsq(Xc, Yc, lapack_driver="gelsd", check_finite=False)
    return W


def _solve_normal(backend, Xc, Yc, alpha=0.0):
    """Solve (XᵀX + αI) W = XᵀY by Cholesky; Gram matrix and XᵀY from the backend.

    Returns (W, cond) or (None, inf) when the matrix is not positive definite.
    """
    G = backend.gram(Xc)
    if alpha:
        G[np.diag_indices_from(G)] += alpha
    factor, cond = _cholesky(G)
    if factor is None:
        return None, cond
    B = backend.matmul(Xc, Yc, trans_a=True)
    return scipy.linalg.cho_solve(factor, B, check_finite=False), cond


def _regression_data(X, y):
    X, y = check_X_y(X, y, allow_2d_y=True)
    single = y.ndim == 1
    X64 = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(y.reshape(y.shape[0], -1), dtype=np.float64)
    return X, X64, Y, single


class _LinearPredictorMixin:
    """``predict`` for a fitted ``coef_`` of shape (D,) or (T, D) and ``intercept_``."""

    def _decision(self, X):
        check_is_fitted(self, "coef_")
        X = check_array(X, "X")
        check_n_features(self, X)
        W = np.atleast_2d(self.coef_).astype(X.dtype, copy=False)
        b = np.atleast_1d(np.asarray(self.intercept_)).astype(X.dtype, copy=False)
        z, _ = get_backend(self.backend).linear_forward(X, np.ascontiguousarray(W.T), b)
        return z

    def predict(self, X):
        """ŷ = Xw + b: shape (n_samples,) for one target, (n_samples, n_targets) otherwise."""
        z = self._decision(X)
        return z.ravel() if np.ndim(self.coef_) == 1 else z


def _store_linear(est, W, x_mean, y_mean, single, dtype):
    """coef_ (T, D) / (D,), intercept_ (T,) / float from W (D, T) and the data means."""
    intercept = y_mean - x_mean @ W
    if single:
        est.coef_ = W[:, 0].astype(dtype)
        est.intercept_ = float(intercept[0])
    else:
        est.coef_ = np.ascontiguousarray(W.T).astype(dtype)
        est.intercept_ = intercept.astype(dtype)


# ---------------------------------------------------------------- least squares
class LinearRegression(_LinearPredictorMixin, RegressorMixin, BaseEstimator):
    """Ordinary least squares: minimise L(w, b) = Σᵢ (yⁱ − wᵀxⁱ − b)² = εᵀε.

    The gradient vanishes where XᵀX w = Xᵀy (the normal equations), w* = (XᵀX)⁻¹Xᵀy. With
    ``fit_intercept`` X and y are centered first (x̄, ȳ the column means), w solves the
    centered problem and b = ȳ − x̄ᵀw.

    Parameters
    ----------
    fit_intercept : bool, default=True
    solver : {"auto", "normal", "lstsq"}, default="auto"
        "normal": the normal equations, Gram matrix XᵀX and Xᵀy from the backend, Cholesky
        solve (fast, but squares the condition number; a numerically singular XᵀX — Cholesky
        fails or the estimate below exceeds 1/eps — is a ValueError).
        "lstsq": the minimum-norm solution from an SVD of X (robust, slower).
        "auto": "normal" unless N < D, the Cholesky factorization fails, or
        (max Lᵢᵢ / min Lᵢᵢ)², a lower estimate of cond(XᵀX), exceeds 1e10; then "lstsq".
    backend : str, default="auto"
        Kernel backend, see :func:`mlbasics.get_backend`.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : float or ndarray of shape (n_targets,)
    solver_ : str
        The solver actually used ("normal" or "lstsq").
    n_features_in_ : int

    Notes
    -----
    The solve is done in float64 whatever the input dtype; ``coef_`` has X's dtype.
    """

    def __init__(self, fit_intercept=True, solver="auto", backend="auto"):
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.backend = backend

    def fit(self, X, y):
        """Fit on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        check_scalar(self.fit_intercept, "fit_intercept", bool)
        _check_option(self.solver, "solver", ("auto", "normal", "lstsq"))
        backend = get_backend(self.backend)
        X, X64, Y, single = _regression_data(X, y)
        Xc, Yc, x_mean, y_mean = _center(X64, Y, self.fit_intercept)
        W, used = None, "lstsq"
        if self.solver == "normal" or (self.solver == "auto" and Xc.shape[0] >= Xc.shape[1]):
            W, cond = _solve_normal(backend, Xc, Yc)
            if (W is None or cond > _SINGULAR) and self.solver == "normal":
                raise ValueError("solver: XᵀX is singular (collinear or constant features, or fewer "
                                 "samples than features); use solver='lstsq' or 'auto'")
            if self.solver == "auto" and cond > _COND_LIMIT:
                W = None
            used = "normal"
        if W is None:
            W, used = _solve_lstsq(Xc, Yc), "lstsq"
        _store_linear(self, W, x_mean, y_mean, single, X.dtype)
        self.solver_ = used
        self.n_features_in_ = X.shape[1]
        return self


# ---------------------------------------------------------------- ridge
def _check_alpha(alpha, name="alpha"):
    return check_scalar(alpha, name, numbers.Real, low=0.0)


class Ridge(_LinearPredictorMixin, RegressorMixin, BaseEstimator):
    """Ridge regression: least squares with the penalty α‖w‖².

    .. math:: \\min_{w, b}\\; \\lVert y - Xw - b\\mathbf{1} \\rVert^2 + α \\lVert w \\rVert^2

    Setting the gradient to zero gives (XᵀX + αI) w = Xᵀy — the course's regularized normal
    equations w = (XᵀX + λI)⁻¹Xᵀy with λ = α. The intercept is not penalized: X and y are
    centered and b = ȳ − x̄ᵀw. For α > 0 the matrix is positive definite and is solved by
    Cholesky (Gram matrix from the backend).

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
    """

    def __init__(self, alpha=1.0, fit_intercept=True, backend="auto"):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.backend = backend

    def fit(self, X, y):
        """Fit on X (n_samples, n_features) and y (n_samples,) or (n_samples, n_targets)."""
        _check_alpha(self.alpha)
        check_scalar(self.fit_intercept, "fit_intercept", bool)
        backend = get_backend(self.backend)
        X, X64, Y, single = _regression_data(X, y)
        Xc, Yc, x_mean, y_mean = _center(X64, Y, self.fit_intercept)
        W, _ = _solve_normal(backend, Xc, Yc, float(self.alpha))
        if W is None:  # only possible for α = 0 (or α tiny against XᵀX's scale)
            W = _solve_lstsq(Xc, Yc)
        _store_linear(self, W, x_mean, y_mean, single, X.dtype)
        self.n_features_in_ = X.shape[1]
        return self


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

    Parameters
    ----------
    alphas : sequence of float > 0, default=(0.1, 1.0, 10.0)
    cv : None, int ≥ 2 or splitter, default=None
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
    """

    def __init__(self, alphas=(0.1, 1.0, 10.0), cv=None, fit_intercept=True, backend="auto"):
        self.alphas = alphas
        self.cv = cv
        self.fit_intercept = fit_intercept
        self.backend = backend

    def _check_alphas(self):
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

    def fit(self, X, y):
        """Choose α by cross-validation, then fit Ridge(alpha_) on all of X, y."""
        alphas = self._check_alphas()
        check_scalar(self.fit_intercept, "fit_intercept", bool)
        cv = self.cv
        if cv is not None and (isinstance(cv, str) or not hasattr(cv, "split")):
            check_scalar(cv, "cv", numbers.Integral, low=2)
        backend = get_backend(self.backend)
        X, X64, Y, single = _regression_data(X, y)
        if cv is None and X.shape[0] < 2:
            raise ValueError(f"X: leave-one-out cross-validation (cv=None) needs at least 2 samples, got "
                             f"n_samples={X.shape[0]}")
        if cv is None:
            scores = self._loo_scores(X64, Y, alphas)
        else:
            scores = self._kfold_scores(backend, X64, Y, alphas)
        best = int(np.argmax(scores))  # first of the best on ties
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(scores[best])
        self.cv_scores_ = scores
        Xc, Yc, x_mean, y_mean = _center(X64, Y, self.fit_intercept)
        W, _ = _solve_normal(backend, Xc, Yc, self.alpha_)
        if W is None:  # pragma: no cover - α > 0 makes the system positive definite
            W = _solve_lstsq(Xc, Yc)
        _store_linear(self, W, x_mean, y_mean, single, X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def _loo_scores(self, X, Y, alphas):
        """−mean((eᵢ / (1 − Hᵢᵢ))²) for every α, from one thin SVD of the centered X."""
        n = X.shape[0]
        Xc, Yc, _, _ = _center(X, Y, self.fit_intercept)
        U, s, _ = scipy.linalg.svd(Xc, full_matrices=False, check_finite=False)
        s2 = s ** 2
        UtY = U.T @ Yc                     # (r, T)
        U2 = U ** 2                        # (n, r)
        base = 1.0 / n if self.fit_intercept else 0.0
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

    def _kfold_scores(self, backend, X, Y, alphas):
        """−(mean over folds of the held-out MSE) for every α; one Gram matrix per fold."""
        from .model_selection import KFold

        splitter = KFold(self.cv) if isinstance(self.cv, numbers.Integral) else self.cv
        fold_mse = []
        for train, test in splitter.split(X):
            Xc, Yc, x_mean, y_mean = _center(X[train], Y[train], self.fit_intercept)
            G = backend.gram(Xc)
            B = backend.matmul(Xc, Yc, trans_a=True)
            row = []
            for alpha in alphas:
                factor, _ = _cholesky(G + alpha * np.eye(G.shape[0]))
                if factor is None:  # pragma: no cover - α > 0
                    W = _solve_lstsq(Xc, Yc)
                else:
                    W = scipy.linalg.cho_solve(factor, B, check_finite=False)
                pred = (X[test] - x_mean) @ W + y_mean
                row.append(np.mean((Y[test] - pred) ** 2))
            fold_mse.append(row)
        return -np.mean(np.asarray(fold_mse), axis=0)


# ---------------------------------------------------------------- logistic regression
class _LogisticLoss:
    """The objective of :class:`LogisticRegression` on the scale of the mean loss.

    f(θ) = (1/N) Σᵢ ℓ(yⁱ, W ᵀxⁱ + b) + ‖W‖²_F / (2CN)  — scikit-learn's C·Σℓ + ½‖W‖² divided
    by CN, which has the same minimiser and keeps gradients O(1). θ packs W (D, K) row-major,
    then b (K) when fitting an intercept. K = 1 (sigmoid, binary) or the number of classes.
    """

    def __init__(self, backend, X, y_enc, n_classes, fit_intercept, l2):
        self.backend = backend
        self.X = X
        self.n, self.p = X.shape
        self.k = 1 if n_classes == 2 else n_classes
        self.binary = n_classes == 2
        self.fit_intercept = fit_intercept
        self.l2 = l2
        self.target = y_enc.astype(np.float64) if self.binary else y_enc.astype(np.int64)
        if self.binary:
            self.onehot = self.target[:, None]
        else:
            self.onehot = np.zeros((self.n, self.k))
            self.onehot[np.arange(self.n), self.target] = 1.0
        self.size = self.p * self.k + (self.k if fit_intercept else 0)
        self._zero_b = np.zeros(self.k)

    def unpack(self, theta):
        W = theta[: self.p * self.k].reshape(self.p, self.k)
        b = theta[self.p * self.k:] if self.fit_intercept else self._zero_b
        return W, b

    def loss_grad(self, theta):
        """f(θ) and ∇f(θ): one forward GEMM, one fused loss kernel, one GEMM for XᵀG."""
        W, b = self.unpack(theta)
        z, _ = self.backend.linear_forward(self.X, np.ascontiguousarray(W), np.ascontiguousarray(b))
        if self.binary:
            loss, g = self.backend.binary_cross_entropy_with_logits(z[:, 0], self.target)
            G = g[:, None]
        else:
            loss, G = self.backend.softmax_cross_entropy(z, self.target)
        gW = self.backend.matmul(self.X, G, trans_a=True)        # Xᵀ (P − Y) / N
        f = float(loss)
        if self.l2:
            f += 0.5 * self.l2 * float(np.sum(W * W))
            gW += self.l2 * W
        grad = gW.ravel()
        if self.fit_intercept:
            grad = np.concatenate([grad, G.sum(axis=0)])
        self._last_G = G
        return f, grad

    def hessian(self, theta):
        """The exact Hessian of f at θ (call after :meth:`loss_grad` at the same θ).

        With P the predicted probabilities (recovered from the kernel's gradient as
        P = N·G + Y), the block of classes (k, l) is X̃ᵀ diag(P_k (δ_kl − P_l)) X̃ / N, X̃ = [X, 1];
        the binary case is X̃ᵀ diag(p(1 − p)) X̃ / N. The penalty adds ‖·‖²/(CN) on W.
        """
        P = np.clip(self._last_G * self.n + self.onehot, 0.0, 1.0)
        Xa = self.X if not self.fit_intercept else np.hstack([self.X, np.ones((self.n, 1))])
        q = Xa.shape[1]
        k = self.k
        if self.binary:
            w = P[:, 0] * (1.0 - P[:, 0]) / self.n
            H4 = self.backend.gram(Xa * np.sqrt(w)[:, None]).reshape(1, q, 1, q)
        else:
            # Σᵢ (diag(pᵢ) − pᵢpᵢᵀ) ⊗ x̃ᵢx̃ᵢᵀ / N = blockdiag(X̃ᵀ diag(P_k) X̃) − MᵀM / N, Mᵢ = pᵢ ⊗ x̃ᵢ
            M = (P[:, :, None] * Xa[:, None, :]).reshape(self.n, k * q)
            H4 = (-self.backend.gram(M) / self.n).reshape(k, q, k, q)
            for a in range(k):
                H4[a, :, a, :] += self.backend.matmul(Xa, Xa * (P[:, a] / self.n)[:, None], trans_a=True)
        if self.l2:
            for a in range(k):
                H4[a, np.arange(self.p), a, np.arange(self.p)] += self.l2
        # reorder from (class, feature-or-intercept) to θ's layout
        idx = np.empty((k, q), dtype=np.int64)
        idx[:, : self.p] = (np.arange(self.p)[None, :] * k + np.arange(k)[:, None])
        if self.fit_intercept:
            idx[:, self.p] = self.p * k + np.arange(k)
        flat = idx.ravel()
        H = np.empty((self.size, self.size))
        H[np.ix_(flat, flat)] = H4.reshape(k * q, k * q)
        return H


def _armijo(fun, theta, f, g, direction, step, max_halvings=60, c1=1e-4):
    """Backtracking line search: halve ``step`` until f(θ + t d) ≤ f(θ) + c₁ t ∇fᵀd."""
    slope = float(g @ direction)
    for _ in range(max_halvings):
        candidate = theta + step * direction
        f_new, g_new = fun(candidate)
        if np.isfinite(f_new) and f_new <= f + c1 * step * slope:
            return candidate, f_new, g_new, step
        step *= 0.5
    return None


class _StopSolver(Exception):
    """Raised in SciPy's callback when the monitor asks to stop; carries (θ, n_iter)."""


def _solve_lbfgs(fun, theta0, max_iter, tol, monitor=None):
    """SciPy's L-BFGS-B. ``monitor(n_iter, θ, f)``, if given, runs after every iteration and
    stops the solver by returning True (through SciPy's ``callback(xk)``, which every supported
    SciPy version has; f is taken from the last evaluation, which is normally at xk)."""
    last = {}
    count = 0

    def fun_recording(theta):
        f, g = fun(theta)
        last["theta"], last["f"] = theta.copy(), f
        return f, g

    def callback(xk):
        nonlocal count
        count += 1
        f = last["f"] if np.array_equal(last.get("theta"), xk) else fun(xk)[0]
        if monitor(count, xk, float(f)):
            raise _StopSolver(xk.copy(), count)

    try:
        res = scipy.optimize.minimize(
            fun if monitor is None else fun_recording, theta0, method="L-BFGS-B", jac=True,
            callback=None if monitor is None else callback,
            options={"maxiter": max_iter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps})
    except _StopSolver as stop:
        theta, n_iter = stop.args
        return theta, n_iter, False
    return res.x, min(int(res.nit), max_iter), res.status == 0


def _solve_newton(fun, hess, theta, max_iter, tol, monitor=None):
    """Damped Newton: d = −H⁻¹∇f (pseudo-inverse on H's null space), Armijo backtracking from t = 1."""
    f, g = fun(theta)
    n_iter = 0
    while np.max(np.abs(g)) > tol and n_iter < max_iter:
        H = hess(theta)
        evals, evecs = np.linalg.eigh(H)
        keep = evals > evals[-1] * 1e-13
        direction = -evecs[:, keep] @ ((evecs[:, keep].T @ g) / evals[keep])
        step = _armijo(fun, theta, f, g, direction, 1.0)
        if step is None:
            break  # no decrease possible at machine precision
        theta, f, g, _ = step
        n_iter += 1
        if monitor is not None and monitor(n_iter, theta, f):
            break
    return theta, n_iter, bool(np.max(np.abs(g)) <= tol)


def _solve_gd(fun, theta, max_iter, tol, monitor=None):
    """Gradient descent θ ← θ − t∇f with a backtracking (Armijo) step t, restarted at 2t."""
    f, g = fun(theta)
    step, n_iter = 1.0, 0
    while np.max(np.abs(g)) > tol and n_iter < max_iter:
        result = _armijo(fun, theta, f, g, -g, step)
        if result is None:
            break
        theta, f, g, step = result
        step *= 2.0
        n_iter += 1
        if monitor is not None and monitor(n_iter, theta, f):
            break
    return theta, n_iter, bool(np.max(np.abs(g)) <= tol)


class _LinearClassifierMixin:
    """decision_function shared by the linear classifiers (coef_ (1 or K, n_features), intercept_)."""

    def decision_function(self, X):
        """Scores wᵀx + b, through the backend's linear_forward: shape (n_samples,) for two classes,
        (n_samples, n_classes) otherwise."""
        check_is_fitted(self, "coef_")
        X = check_array(X, "X", dtype=np.float64)
        check_n_features(self, X)
        z, _ = get_backend(self.backend).linear_forward(X, np.ascontiguousarray(self.coef_.T), self.intercept_)
        return z[:, 0] if self.coef_.shape[0] == 1 else z


class LogisticRegression(_LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """Logistic regression (binary) and multinomial (softmax) regression.

    Binary (two classes, y ∈ {0, 1}): P(y = 1 | x) = g(wᵀx + b) with the logistic function
    g(α) = 1 / (1 + exp(−α)); the loss is the course's cross-entropy
    ℓ = −[y log g + (1 − y) log(1 − g)].
    K ≥ 3 classes: one-hot targets yⁱ and P(y = c | x) = softmax(Wᵀx + b)_c, ℓ = −log P(yⁱ | xⁱ).

    The objective is scikit-learn's (≥ 1.5):

    .. math:: \\min_{W, b}\\; C \\sum_{i=1}^N \\ell(y^i, W^T x^i + b) + \\tfrac12 \\lVert W \\rVert_F^2

    (the intercept b is not penalized; ``penalty=None`` drops the second term). The solvers
    minimise the same function divided by CN (mean loss + ‖W‖²/(2CN)): same minimiser,
    gradients of order one, and ``tol`` is a bound on its largest gradient component.
    Each evaluation makes one forward GEMM z = XW + b, one fused loss-and-gradient kernel
    (G = (P − Y)/N) and one GEMM ∇_W = XᵀG on the backend.

    Parameters
    ----------
    penalty : {"l2", None}, default="l2"
    C : float > 0, default=1.0
        Inverse regularization strength.
    fit_intercept : bool, default=True
    solver : {"lbfgs", "newton", "gd"}, default="lbfgs"
        "lbfgs": SciPy's L-BFGS-B configured as scikit-learn does (maxls=50, gtol=tol,
        ftol=64·eps). "newton": Newton's method with the exact Hessian (size
        (K(D + 1))², for small problems) and a backtracking line search. "gd": the course's
        gradient descent θ ← θ − t∇f(θ), the step t found by backtracking (Armijo), no
        learning rate to set.
    max_iter : int ≥ 1, default=100
    tol : float ≥ 0, default=1e-4
        Stop when max |∂f/∂θⱼ| ≤ tol (also L-BFGS's relative-decrease test).
    backend : str, default="auto"
    verbose : bool, default=False
        Show a progress bar over the ``max_iter`` solver iterations on stderr with the objective
        f (mean loss + ‖W‖²/(2CN), the function the solvers minimise) after each iteration: tqdm
        when installed, else one line rewritten in place.
    callback : None or callable, default=None
        Called after every solver iteration (L-BFGS: SciPy's per-iteration callback) as
        ``callback(iteration, objective, estimator)``: ``iteration`` is 1-based, ``objective``
        the f above at the new iterate, and ``estimator`` this model holding that iterate
        (``coef_``, ``intercept_``, ``n_iter_`` set, so it can ``predict``). A truthy return
        stops the solver there: the model is fitted with that iterate, no ConvergenceWarning,
        ``stopped_by_callback_`` is True. An exception raised by the callback propagates out of
        ``fit`` and leaves the model fitted with the iterate it was called with.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) for two classes, else (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1,)
    n_features_in_ : int
    stopped_by_callback_ : bool

    Notes
    -----
    Fitting is done in float64 whatever X's dtype. If the solver stops at ``max_iter`` before
    meeting ``tol`` a :class:`ConvergenceWarning` is emitted.
    """

    def __init__(self, penalty="l2", C=1.0, fit_intercept=True, solver="lbfgs", max_iter=100, tol=1e-4,
                 backend="auto", verbose=False, callback=None):
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.backend = backend
        self.verbose = verbose
        self.callback = callback

    def fit(self, X, y):
        """Fit on X (n_samples, n_features) and labels y (n_samples,) of any kind."""
        _check_option(self.penalty, "penalty", ("l2", None))
        check_scalar(self.C, "C", numbers.Real, low=0.0, low_open=True)
        check_scalar(self.fit_intercept, "fit_intercept", bool)
        _check_option(self.solver, "solver", ("lbfgs", "newton", "gd"))
        check_scalar(self.max_iter, "max_iter", numbers.Integral, low=1)
        check_scalar(self.tol, "tol", numbers.Real, low=0.0)
        _check_verbose(self.verbose)
        check_callback(self.callback)
        backend = get_backend(self.backend)
        X, y = check_X_y(X, y, numeric_y=False)
        classes, y_enc = check_classification_targets(y)
        X64 = np.ascontiguousarray(X, dtype=np.float64)
        n = X64.shape[0]
        l2 = 1.0 / (float(self.C) * n) if self.penalty == "l2" else 0.0
        obj = _LogisticLoss(backend, X64, y_enc, classes.shape[0], self.fit_intercept, l2)
        theta0 = np.zeros(obj.size)
        max_iter, tol = int(self.max_iter), float(self.tol)
        self.stopped_by_callback_ = False

        with Progress(max_iter, type(self).__name__, self.verbose, unit="iter") as progress:
            def monitor(iteration, theta, objective):  # after every solver iteration; True stops
                progress.update(objective)
                if self.callback is None:
                    return False
                self._store(obj, theta, classes, iteration, X.shape[1])
                self.stopped_by_callback_ = bool(self.callback(iteration, objective, self))
                return self.stopped_by_callback_

            if not (self.verbose or self.callback is not None):
                monitor = None
            if self.solver == "lbfgs":
                theta, n_iter, converged = _solve_lbfgs(obj.loss_grad, theta0, max_iter, tol, monitor)
            elif self.solver == "newton":
                theta, n_iter, converged = _solve_newton(obj.loss_grad, obj.hessian, theta0, max_iter, tol, monitor)
            else:
                theta, n_iter, converged = _solve_gd(obj.loss_grad, theta0, max_iter, tol, monitor)
        if not converged and not self.stopped_by_callback_:
            warnings.warn(f"LogisticRegression (solver={self.solver!r}) did not converge to tol={tol} "
                          f"within max_iter={max_iter} iterations; increase max_iter or scale the data",
                          ConvergenceWarning, stacklevel=2)
        return self._store(obj, theta, classes, n_iter, X.shape[1])

    def _store(self, obj, theta, classes, n_iter, n_features):
        W, b = obj.unpack(theta)
        self.classes_ = classes
        self.coef_ = np.array(W.T, order="C")  # a copy: W may change after a callback
        self.intercept_ = np.array(b, dtype=np.float64)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        self.n_features_in_ = n_features
        return self

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes): [1 − g(z), g(z)] or softmax(z)."""
        z = self.decision_function(X)
        if z.ndim == 1:
            p = expit(z)
            return np.column_stack([expit(-z), p])
        return softmax(z, axis=1)

    def predict_log_proba(self, X):
        """log of :meth:`predict_proba`, computed without overflow (log g(z) = −log(1 + e^{−z}))."""
        z = self.decision_function(X)
        if z.ndim == 1:
            return np.column_stack([log_expit(-z), log_expit(z)])
        return log_softmax(z, axis=1)

    def predict(self, X):
        """The most probable class (z > 0 for two classes)."""
        z = self.decision_function(X)
        idx = (z > 0).astype(np.int64) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]


# ---------------------------------------------------------------- perceptron
class Perceptron(_LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """Rosenblatt's perceptron: a linear classifier with the step activation.

    With labels yⁱ ∈ {−1, +1} the prediction is ŷ = +1 if wᵀx + b ≥ 0 else −1 (the course's
    step function 𝓗). Training visits the samples one by one (in a new random order each epoch
    if ``shuffle``) and, on a mistake (ŷⁱ ≠ yⁱ), updates

    .. math:: w \\leftarrow w + η\\, y^i x^i, \\qquad b \\leftarrow b + η\\, y^i .

    On linearly separable data this stops after finitely many mistakes (Novikoff's theorem).
    With K ≥ 3 classes, one perceptron per class is trained one-vs-rest (class c against the
    others, all K in the same sweep over the data) and the class with the largest wᵀx + b wins.

    Stopping (per class): after an epoch with no mistake; or, when ``tol`` is not None, when
    the perceptron criterion (1/N) Σᵢ max(0, −yⁱ(wᵀxⁱ + b)) measured after each epoch has not
    improved on its best value by more than ``tol`` for 5 epochs in a row (as scikit-learn's
    ``n_iter_no_change=5``); at the latest after ``max_iter`` epochs, with a
    :class:`ConvergenceWarning` if a class was still making mistakes and improving.

    Parameters
    ----------
    max_iter : int ≥ 1, default=1000
        Maximal number of epochs.
    eta0 : float > 0, default=1.0
        Learning rate η. (Starting from w = 0 it only scales w, not the predictions.)
    tol : float ≥ 0 or None, default=1e-3
    shuffle : bool, default=True
    random_state : None, int or numpy.random.Generator
    fit_intercept : bool, default=True
    backend : str, default="auto"
        Backend for the per-epoch criterion and the decision function.
    verbose : bool, default=False
        Show a progress bar over the ``max_iter`` epochs on stderr with each epoch's loss (below):
        tqdm when installed, else one line rewritten in place.
    callback : None or callable, default=None
        Called after every epoch as ``callback(epoch, loss, estimator)``: ``epoch`` is 1-based,
        ``loss`` the number of mistakes (= updates) made during that epoch, summed over the
        one-vs-rest perceptrons (an int; 0 means every sample was classified correctly), and
        ``estimator`` this model holding the epoch's weights (``coef_``, ``intercept_``,
        ``n_iter_`` set, so it can ``predict``). A truthy return stops training after that
        epoch: no ConvergenceWarning, ``stopped_by_callback_`` is True. An exception raised by
        the callback propagates out of ``fit`` and leaves the model fitted with that epoch's
        weights.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
        Number of epochs run.
    n_features_in_ : int
    stopped_by_callback_ : bool
    """

    def __init__(self, max_iter=1000, eta0=1.0, tol=1e-3, shuffle=True, random_state=None, fit_intercept=True,
                 backend="auto", verbose=False, callback=None):
        self.max_iter = max_iter
        self.eta0 = eta0
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.backend = backend
        self.verbose = verbose
        self.callback = callback

    def fit(self, X, y):
        """Fit on X (n_samples, n_features) and labels y (n_samples,) of any kind."""
        check_scalar(self.max_iter, "max_iter", numbers.Integral, low=1)
        check_scalar(self.eta0, "eta0", numbers.Real, low=0.0, low_open=True)
        if self.tol is not None:
            check_scalar(self.tol, "tol", numbers.Real, low=0.0)
        check_scalar(self.shuffle, "shuffle", bool)
        check_scalar(self.fit_intercept, "fit_intercept", bool)
        _check_verbose(self.verbose)
        check_callback(self.callback)
        rng = check_random_state(self.random_state)
        backend = get_backend(self.backend)
        X, y = check_X_y(X, y, numeric_y=False)
        classes, y_enc = check_classification_targets(y)
        X = np.ascontiguousarray(X, dtype=np.float64)
        n, p = X.shape
        k = 1 if classes.shape[0] == 2 else classes.shape[0]
        if k == 1:
            Y = np.where(y_enc == 1, 1.0, -1.0)[:, None]
        else:
            Y = -np.ones((n, k))
            Y[np.arange(n), y_enc] = 1.0
        W = np.zeros((p, k))
        b = np.zeros(k)
        eta = float(self.eta0)
        active = np.ones(k, dtype=bool)
        best = np.full(k, np.inf)
        stale = np.zeros(k, dtype=np.int64)
        epoch = 0
        self.stopped_by_callback_ = False
        with Progress(int(self.max_iter), type(self).__name__, self.verbose) as progress:
            for epoch in range(1, int(self.max_iter) + 1):
                order = rng.permutation(n) if self.shuffle else np.arange(n)
                mistakes = np.zeros(k, dtype=np.int64)
                for i in order:
                    x, yi = X[i], Y[i]
                    z = x @ W + b
                    wrong = (np.where(z >= 0, 1.0, -1.0) != yi) & active
                    if wrong.any():
                        W[:, wrong] += eta * np.outer(x, yi[wrong])
                        if self.fit_intercept:
                            b[wrong] += eta * yi[wrong]
                        mistakes += wrong
                done = mistakes == 0
                if self.tol is not None:
                    z, _ = backend.linear_forward(X, W, b)
                    crit = np.mean(np.maximum(0.0, -Y * z), axis=0)
                    improved = crit < best - float(self.tol)
                    stale = np.where(improved, 0, stale + 1)
                    best = np.minimum(best, crit)
                    done |= stale >= 5
                active &= ~done
                progress.update(int(mistakes.sum()))
                if self.callback is not None:
                    self._store(classes, W, b, epoch, p)
                    if self.callback(epoch, int(mistakes.sum()), self):
                        self.stopped_by_callback_ = True
                        break
                if not active.any():
                    break
        if active.any() and not self.stopped_by_callback_:
            warnings.warn(f"Perceptron: max_iter={self.max_iter} epochs reached before convergence; "
                          "increase max_iter", ConvergenceWarning, stacklevel=2)
        return self._store(classes, W, b, epoch, p)

    def _store(self, classes, W, b, n_iter, n_features):
        self.classes_ = classes
        self.coef_ = np.array(W.T, order="C")  # a copy: W may change after a callback
        self.intercept_ = b.copy()
        self.n_iter_ = n_iter
        self.n_features_in_ = n_features
        return self

    def predict(self, X):
        """classes_[1] where wᵀx + b ≥ 0 (two classes), else the class of largest wᵀx + b."""
        z = self.decision_function(X)
        idx = (z >= 0).astype(np.int64) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]
