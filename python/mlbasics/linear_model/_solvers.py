"""The solvers behind the linear models.

Direct: the normal equations by Cholesky (Gram matrix and XᵀY from the backend) and the
minimum-norm least-squares solution from an SVD. Iterative, for sparse X in least squares and
ridge: LSQR on the implicitly centred X. Iterative, for the logistic loss: SciPy's
L-BFGS-B, damped Newton with the exact Hessian, and the course's gradient descent with a
backtracking (Armijo) step. Each iterative solver takes ``fun(θ) → (f, ∇f)`` and an optional
``monitor(n_iter, θ, f)`` that stops it by returning True.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg
import scipy.optimize

#: Above this estimate of cond(XᵀX) LinearRegression's "auto" solver leaves the normal equations
#: for an SVD (or, streamed, a blocked QR).
_COND_LIMIT = 1e10
#: Beyond this estimate XᵀX is numerically singular: even solver="normal" refuses it.
_SINGULAR = 1.0 / np.finfo(np.float64).eps


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
    """Minimum-norm least-squares solution from an SVD (LAPACK gelsd).

    Singular values below max(N, D)·eps·σ₁ count as zero (NumPy's lstsq default). Centering makes
    Xc rank-deficient by one whenever N ≤ D, and rounding leaves that singular value a few eps·σ₁
    above zero: LAPACK's own cutoff (eps·σ₁) would keep it and return noise along its direction.
    """
    cond = max(Xc.shape) * np.finfo(np.float64).eps
    W, *_ = scipy.linalg.lstsq(Xc, Yc, cond=cond, lapack_driver="gelsd", check_finite=False)
    return W


def _solve_normal(backend, Xc, Yc, alpha=0.0, sample_weight=None):
    """Solve (XᵀX + αI) W = XᵀY by Cholesky; Gram matrix and XᵀY from the backend. With sample
    weights w, the weighted normal equations (XᵀWX + αI) W = XᵀWY (W = diag(w)): the backend's
    weighted Gram matrix, and Xᵀ(w ⊙ Y).

    Returns (W, cond) or (None, inf) when the matrix is not positive definite.
    """
    G = backend.gram(Xc) if sample_weight is None else backend.gram(Xc, sample_weight)
    if alpha:
        G[np.diag_indices_from(G)] += alpha
    factor, cond = _cholesky(G)
    if factor is None:
        return None, cond
    B = backend.matmul(Xc, Yc if sample_weight is None else Yc * sample_weight[:, None], trans_a=True)
    return scipy.linalg.cho_solve(factor, B, check_finite=False), cond



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


_blas_controller: Any = None


def _one_blas_thread():
    """A context in which the BLAS pools (NumPy's, SciPy's) run one thread.

    L-BFGS-B's own work is vector operations of the parameters' length (BLAS level 1), which gain
    nothing from threads but, on a busy machine, lose a lot to them: measured here with 2 OpenBLAS
    threads on 2 loaded cores, 160 ms per iteration for 50,000 parameters against 2.5 ms with one.
    Our kernels run in our own pool, which this does not touch. The threadpoolctl controller is
    made once (making one scans the loaded libraries, ~1 ms)."""
    global _blas_controller
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController()
    return _blas_controller.limit(limits=1, user_api="blas")


def _solve_lbfgs(fun, theta0, max_iter, tol, monitor=None):
    """SciPy's L-BFGS-B, with the BLAS pools at one thread (see :func:`_one_blas_thread`).
    ``monitor(n_iter, θ, f)``, if given, runs after every iteration and stops the solver by
    returning True (through SciPy's ``callback(xk)``, which every supported SciPy version has; f is
    taken from the last evaluation, which is normally at xk)."""
    last: dict[str, Any] = {}
    count = 0

    def fun_recording(theta):
        f, g = fun(theta)
        last["theta"], last["f"] = theta.copy(), f
        return f, g

    def callback(xk):
        nonlocal count
        count += 1
        # np.array_equal(None, xk) is False: before any evaluation, f is computed afresh
        f = last["f"] if np.array_equal(last.get("theta"), xk) else fun(xk)[0]  # type: ignore[arg-type]
        if monitor(count, xk, float(f)):
            raise _StopSolver(xk.copy(), count)

    try:
        with _one_blas_thread():
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


#: LSQR's stopping tolerances for sparse X (atol = btol): the residual and the normal-equation
#: residual ‖Xᵀr‖ relative to ‖X‖‖r‖ are driven down to this, about 1e-10 relative accuracy on
#: the coefficients of a well-conditioned problem (error ≈ tol · cond(X)).
_LSQR_TOL = 1e-12
#: LSQR stops when its estimate of cond(X) exceeds this: only a numerically singular X (the dense
#: "auto" solver's SVD limit, 1/eps).
_LSQR_CONLIM = 1.0 / np.finfo(np.float64).eps


def _solve_lsqr(op, Y, alpha=0.0, fit_intercept=True, sample_weight=None):
    """min ‖Y − (X − 1x̄ᵀ)W‖²_F + α‖W‖²_F for a sparse X, one target at a time, by SciPy's LSQR
    (damp = √α) on a LinearOperator whose products are the sparse kernels (``op``, a
    :class:`~mlbasics._sparse.SparseOperator` of float64 X).

    X is centred implicitly, as scikit-learn does for sparse X: (X − 1x̄ᵀ)v = Xv − 1(x̄ᵀv) and
    (X − 1x̄ᵀ)ᵀu = Xᵀu − x̄(1ᵀu), so X itself is never changed nor densified. Starting from 0,
    LSQR converges to the minimum-norm solution (the SVD solution for α = 0). With sample weights
    w the rows are scaled by √w inside the operator (Σ wᵢ rᵢ² is ‖√w ⊙ r‖²) and x̄, ȳ are the
    weighted means, as the dense solvers do.

    Returns (W (p, T), x̄, ȳ, n_iter (the most over the targets), converged).
    """
    import scipy.sparse.linalg

    n, p = op.shape
    w = sample_weight
    if fit_intercept:
        if w is None:
            x_mean, y_mean = op.column_means(), Y.mean(axis=0)
        else:
            total = float(w.sum())
            x_mean = op.tdot(w[:, None])[:, 0].astype(np.float64) / total
            y_mean = (w @ Y) / total
    else:
        x_mean, y_mean = np.zeros(p), np.zeros(Y.shape[1])
    r = None if w is None else np.sqrt(w)
    Yc = Y - y_mean if r is None else (Y - y_mean) * r[:, None]

    def matvec(v):
        v = np.asarray(v, dtype=np.float64).reshape(p, 1)
        out = op.dot(v)[:, 0] - float(x_mean @ v[:, 0])
        return out if r is None else out * r

    def rmatvec(u):
        u = np.asarray(u, dtype=np.float64).reshape(n, 1)
        if r is not None:
            u = u * r[:, None]
        return op.tdot(u)[:, 0] - x_mean * float(u.sum())

    A = scipy.sparse.linalg.LinearOperator((n, p), matvec=matvec, rmatvec=rmatvec, dtype=np.float64)
    W = np.zeros((p, Y.shape[1]))
    n_iter, converged = 0, True
    iter_lim = max(1000, 4 * min(n, p))
    for t in range(Y.shape[1]):
        result = scipy.sparse.linalg.lsqr(A, Yc[:, t], damp=float(np.sqrt(alpha)), atol=_LSQR_TOL,
                                          btol=_LSQR_TOL, conlim=_LSQR_CONLIM, iter_lim=iter_lim)
        W[:, t] = result[0]
        n_iter = max(n_iter, int(result[2]))
        converged &= int(result[1]) != 7  # 7: the iteration limit
    return W, x_mean, y_mean, n_iter, converged
