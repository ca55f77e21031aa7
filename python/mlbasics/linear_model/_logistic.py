"""Logistic regression: binary (sigmoid) and multinomial (softmax) cross-entropy with an L2 penalty."""
from __future__ import annotations

import numbers
import os
import sys
import warnings
from typing import Any, Callable, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, log_expit, log_softmax, softmax

from .. import _chunked, _rows
from .._base import BaseEstimator, ClassifierMixin, fit_context
from .._progress import Progress
from .._sparse import SparseOperator, issparse
from .._validation import Interval, Options, check_classification_targets, check_weighted_classes, check_X_y
from ..backends import get_backend
from ..exceptions import ConvergenceWarning, sklearn_compatible
from ._base import (BACKEND, CALLBACK, CLASS_WEIGHT, FIT_INTERCEPT, MAX_ITER, TOL, VERBOSE, _fit_weights,
                    _LinearClassifierMixin)
from ._solvers import _solve_gd, _solve_lbfgs, _solve_newton
from ._streamed import fit_logistic_dask


def _fixed_mmap_threshold() -> bool:
    """Whether glibc's malloc maps every allocation above 128 KiB afresh: setting any of these
    variables turns off its dynamic mmap threshold (as a Dask nanny does for its workers)."""
    return sys.platform.startswith("linux") and any(
        os.environ.get(v) for v in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_",
                                    "MALLOC_MMAP_MAX_"))


class _LogisticLoss:
    """The objective of :class:`LogisticRegression` on the scale of the mean loss.

    f(θ) = (1/N) Σᵢ ℓ(yⁱ, W ᵀxⁱ + b) + ‖W‖²_F / (2CN)  — scikit-learn's C·Σℓ + ½‖W‖² divided
    by CN, which has the same minimiser and keeps gradients O(1). θ packs W (D, K) row-major,
    then b (K) when fitting an intercept. K = 1 (sigmoid, binary) or the number of classes.
    With sample weights sᵢ: f(θ) = Σᵢ sᵢ ℓᵢ / Σ s + ‖W‖²_F / (2C Σ s) (l2 = 1 / (C Σ s)), the
    loss kernels' weighted mean.
    """

    def __init__(self, backend, X, y_enc, n_classes, fit_intercept, l2, sample_weight=None):
        self.backend = backend
        self.X = X
        self.sw = sample_weight
        self.n, self.p = X.shape
        self.k = 1 if n_classes == 2 else n_classes
        self.binary = n_classes == 2
        self.fit_intercept = fit_intercept
        self.l2 = l2
        self.target = y_enc.astype(np.float64) if self.binary else y_enc.astype(np.int64)
        self._onehot: np.ndarray | None = None
        self.size = self.p * self.k + (self.k if fit_intercept else 0)
        self._zero_b = np.zeros(self.k)
        self._G: np.ndarray | None = None  # the blocked evaluation's G, kept between evaluations
        self._last_G: np.ndarray | None = None
        # Whether the blocked evaluation keeps G whole for the Hessian: set by the first call to
        # hessian (newton); lbfgs never asks (writing G was 0.2 of ~10 ms per 10-class evaluation of
        # 100,000×100).
        self._keep_G = False

    @property
    def onehot(self):
        """Y: the labels as a column (binary) or one-hot (N, K), built when the Hessian first needs
        it: a dask fit builds one objective per chunk and evaluation, and an lbfgs fit never reads
        it (10 MB per 125,000 rows and 10 classes)."""
        if self._onehot is None:
            if self.binary:
                self._onehot = self.target[:, None]
            else:
                self._onehot = np.zeros((self.n, self.k))
                self._onehot[np.arange(self.n), self.target] = 1.0
        return self._onehot

    def unpack(self, theta):
        W = theta[: self.p * self.k].reshape(self.p, self.k)
        b = theta[self.p * self.k:] if self.fit_intercept else self._zero_b
        return W, b

    def loss_grad(self, theta):
        """f(θ) and ∇f(θ): one forward GEMM, one fused loss kernel, one GEMM for XᵀG."""
        W, b = self.unpack(theta)
        if self._blocked and self.sw is None and self.n > self._block_rows:
            gW, gb, f = self._blocked_loss_grad(np.ascontiguousarray(W), np.ascontiguousarray(b))
        else:
            z = self._forward(W, b)
            weights = () if self.sw is None else (self.sw,)
            if self.binary:
                loss, g = self.backend.binary_cross_entropy_with_logits(z[:, 0], self.target, *weights)
                G = g[:, None]
            else:
                loss, G = self.backend.softmax_cross_entropy(z, self.target, *weights)
            if self.sw is not None:
                self._last_z = z
            gW = self._xt(G)                                     # Xᵀ (P − Y) / N  (weighted: Xᵀ S (P − Y) / Σ s)
            gb = G.sum(axis=0)
            f = float(loss)
            self._last_G = G
        if self.l2:
            f += 0.5 * self.l2 * float(np.sum(W * W))
            gW += self.l2 * W
        grad = gW.ravel()
        if self.fit_intercept:
            grad = np.concatenate([grad, gb])
        return f, grad

    #: Whether loss_grad may go through X in row blocks (the dense, unweighted objective).
    _blocked = True

    @property
    def _block_rows(self):
        """Rows of a block: X_b of about 2 MiB (it stays in cache between its two products); and
        where glibc's malloc maps fresh pages above a fixed 128 KiB, the block's logits and G_b
        under 120 KiB each.

        The second bound is for a Dask worker: its nanny sets ``MALLOC_TRIM_THRESHOLD_``, which
        turns off malloc's dynamic mmap threshold, so per-block arrays above 128 KiB were mapped,
        page-faulted and unmapped in every block. A 10-class evaluation of 125,000×100 took 19–20 ms
        there against 12 ms without the variable; 12.7 ms with blocks of 1,600 rows (Zen 5,
        1 thread). It applies only there: elsewhere the smaller blocks fall below the size at which
        the kernels split a product between threads (2 threads: 6.8 → 10.3 ms per evaluation)."""
        by_x = max(256, (2 << 20) // (8 * max(self.p, 1)))
        if not _fixed_mmap_threshold():
            return by_x
        return max(256, min(by_x, (120 << 10) // (8 * self.k)))

    def _blocked_loss_grad(self, W, b):
        """loss_grad in row blocks: each block's logits, loss and gradient G_b, then X_bᵀG_b while
        X_b is still in cache, so that X is read from memory once per evaluation instead of twice
        (100,000×100, 10 classes, lbfgs fit on Zen 5: 496 → 432 ms at 1 thread, 421 → 293 ms at 2).
        Each block's mean loss and the products of its G_b (divided by its own row count) are
        rescaled by n_b / N; G (rescaled) is kept whole for the Hessian (``_last_G``) once the
        Hessian has been asked for."""
        n, rows = self.n, self._block_rows
        if self._keep_G and self._G is None:
            self._G = np.empty((n, self.k))
        G = self._G if self._keep_G else None
        gW = np.zeros((self.p, self.k))
        gb = np.zeros((self.k, 1))
        ones = np.ones((min(rows, n), 1))
        f = 0.0
        for s in range(0, n, rows):
            e = min(n, s + rows)
            Xb = self.X[s:e]
            z, _ = self.backend.linear_forward(Xb, W, b)
            if self.binary:
                loss, g = self.backend.binary_cross_entropy_with_logits(z[:, 0], self.target[s:e])
                Gb = g[:, None]
            else:
                loss, Gb = self.backend.softmax_cross_entropy(z, self.target[s:e])
            share = (e - s) / n
            if G is not None:
                np.multiply(Gb, share, out=G[s:e])
            f += float(loss) * share
            # the products' (p, k) and (k, 1) results scaled by the share, not G_b (n_b × k: 0.2–0.45 ms
            # per evaluation of 100,000 rows and 10 classes)
            gW += self.backend.matmul(Xb, Gb, trans_a=True) * share
            # the intercept's gradient, G_bᵀ·1 (G.sum(axis=0) over the (n, 10) G took 1.5 ms per
            # evaluation of 100,000 rows, a tenth of the evaluation)
            gb += self.backend.matmul(Gb, ones[:e - s], trans_a=True) * share
        self._last_G = G
        return gW, gb[:, 0], f

    def _forward(self, W, b):
        """z = XW + b (one fused GEMM)."""
        z, _ = self.backend.linear_forward(self.X, np.ascontiguousarray(W), np.ascontiguousarray(b))
        return z

    def _xt(self, G):
        """XᵀG (with up to 16 columns of G and X tall, the cpp GEMM's matrix-vector path reads X
        once, without packing it)."""
        return self.backend.matmul(self.X, G, trans_a=True)

    def hessian(self, theta):
        """The exact Hessian of f at θ (call after :meth:`loss_grad` at the same θ).

        With P the predicted probabilities (recovered from the kernel's gradient as
        P = N·G + Y), the block of classes (k, l) is X̃ᵀ diag(P_k (δ_kl − P_l)) X̃ / N, X̃ = [X, 1];
        the binary case is X̃ᵀ diag(p(1 − p)) X̃ / N. The penalty adds ‖·‖²/(CN) on W.
        Weighted, 1/N becomes sᵢ / Σ s in every row's term (the backend's weighted Gram matrix),
        and P is computed from the logits (the weighted gradient hides it where sᵢ = 0).
        """
        if self.sw is None and self._last_G is None:  # a blocked evaluation that did not keep G
            self._keep_G = True
            self.loss_grad(theta)
        Xa = self.X if not self.fit_intercept else np.hstack([self.X, np.ones((self.n, 1))])
        q = Xa.shape[1]
        k = self.k
        if self.sw is not None:
            H4 = self._weighted_hessian(Xa, q, k)
        elif self.binary:
            P = np.clip(self._last_G * self.n + self.onehot, 0.0, 1.0)
            w = P[:, 0] * (1.0 - P[:, 0]) / self.n
            H4 = self.backend.gram(Xa * np.sqrt(w)[:, None]).reshape(1, q, 1, q)
        else:
            P = np.clip(self._last_G * self.n + self.onehot, 0.0, 1.0)
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

    def _weighted_hessian(self, Xa, q, k):
        """The (class, feature) blocks of the weighted Hessian, r = s / Σ s: X̃ᵀ diag(r p(1 − p)) X̃
        (binary), else blockdiag(X̃ᵀ diag(r P_k) X̃) − Mᵀ diag(r) M."""
        r = self.sw / self.sw.sum()
        z = self._last_z
        if self.binary:
            p = expit(z[:, 0])
            return self.backend.gram(Xa, r * p * (1.0 - p)).reshape(1, q, 1, q)
        P = softmax(z, axis=1)
        M = (P[:, :, None] * Xa[:, None, :]).reshape(self.n, k * q)
        H4 = (-self.backend.gram(M, r)).reshape(k, q, k, q)
        for a in range(k):
            H4[a, :, a, :] += self.backend.gram(Xa, r * P[:, a])
        return H4


class _SparseLogisticLoss(_LogisticLoss):
    """:class:`_LogisticLoss` on a sparse X (a :class:`~mlbasics._sparse.SparseOperator` holding
    both layouts): XW and XᵀG are the row-parallel ``csr_matmul`` kernel on X and on Xᵀ."""

    _blocked = False  # a CSR operator: one product per evaluation

    def _forward(self, W, b):
        z = self.X.dot(W)
        z += b
        return z

    def _xt(self, G):
        return self.X.tdot(G)

    def hessian(self, theta):  # pragma: no cover - newton is refused for sparse X in fit
        raise ValueError("solver: 'newton' does not support sparse X")


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

    Weights (scikit-learn's definition): with per-sample weights sᵢ — ``sample_weight`` times the
    ``class_weight`` of the sample's class — the objective is C Σᵢ sᵢ ℓᵢ + ½‖W‖², minimised as
    Σᵢ sᵢℓᵢ / Σ s + ‖W‖²/(2C Σ s) with the loss kernels' weighted mean (G = S(P − Y)/Σ s). An
    integer weight counts as that many copies of a sample, a zero weight as no sample.

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
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes, multiplying ``sample_weight``: a dict {label: weight} (labels left
        out weigh 1), or "balanced": n_samples / (n_classes · bincount(y)), the counts weighted by
        ``sample_weight`` when it is given (as scikit-learn).
    warm_start : bool, default=False
        Start the solver from the fitted ``coef_`` and ``intercept_`` (any solver) when they fit
        the new problem: the same classes and number of features. A fit on another number of
        features or classes is a ValueError (as scikit-learn's mismatched initial coefficients); on
        another set of classes of the same number, the fit starts from zero (the old coefficients
        belong to other classes).
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

    Sparse X (scipy.sparse CSR or CSC, matrix or array; e.g. from ``OneHotEncoder``) is never
    densified: each evaluation computes XW with the backend's ``csr_matmul`` and XᵀG with
    ``csr_matmul`` on Xᵀ, built once per fit (X's sparse memory once more), both parallel over
    rows. The objective is the same function, so the fit equals the dense one to the solver's
    tolerance (``tol``). ``solver="newton"`` (dense Hessian) with sparse X is a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.linear_model import LogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression(backend="numpy").fit(X, y)
    >>> clf.predict([[-3.0], [3.0]])
    array([0, 1])
    >>> np.round(clf.predict_proba([[0.0]]), 3)
    array([[0.5, 0.5]])
    >>> clf.coef_.shape, clf.intercept_.shape
    ((1, 1), (1,))
    """

    _parameter_constraints = {
        "penalty": [Options(("l2",)), None],
        "C": [Interval(numbers.Real, 0, None, closed="right")],
        "fit_intercept": FIT_INTERCEPT,
        "solver": [Options(("lbfgs", "newton", "gd"))],
        "max_iter": MAX_ITER,
        "tol": TOL,
        "backend": BACKEND,
        "verbose": VERBOSE,
        "callback": CALLBACK,
        "class_weight": CLASS_WEIGHT,
        "warm_start": ["boolean"],
    }

    def __init__(self, penalty: Literal["l2"] | None = "l2", C: float = 1.0, fit_intercept: bool = True,
                 solver: Literal["lbfgs", "newton", "gd"] = "lbfgs", max_iter: int = 100, tol: float = 1e-4,
                 backend: str = "auto", verbose: bool = False,
                 callback: Callable[[int, float, LogisticRegression], Any] | None = None,
                 class_weight: Literal["balanced"] | dict | None = None, warm_start: bool = False) -> None:
        self.penalty = penalty
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.backend = backend
        self.verbose = verbose
        self.callback = callback
        self.class_weight = class_weight
        self.warm_start = warm_start

    @fit_context
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> LogisticRegression:
        """Fit on X (n_samples, n_features) and labels y (n_samples,) of any kind.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings); at least two classes.
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum (times ``class_weight``); None weighs every
            sample 1.

        Returns
        -------
        self : LogisticRegression
            The fitted estimator.
        """
        self._validate_params()
        self._check_feature_names(X, reset=True)
        backend = get_backend(self.backend)
        if _chunked.is_dask_array(X):  # one pass over the persisted chunks per evaluation (linear_model/_streamed.py)
            if sample_weight is not None or self.class_weight is not None:
                raise ValueError("sample_weight: sample_weight and class_weight are not supported with a dask "
                                 "array X yet; compute X (X.compute()) or fit without weights")
            return fit_logistic_dask(self, backend, X, y, _LogisticLoss)
        sparse = issparse(X)
        if sparse:
            if self.solver == "newton":
                raise ValueError("solver: 'newton' forms the dense Hessian from X; sparse X needs solver='lbfgs' or "
                                 "'gd'")
            Xs, y = check_X_y(X, y, numeric_y=False, accept_sparse=True)
            X64: Any = SparseOperator(Xs.astype(np.float64, copy=False), backend, both_layouts=True)
        else:
            X, y = check_X_y(X, y, numeric_y=False)
            X64 = np.ascontiguousarray(X, dtype=np.float64)
        classes, y_enc = check_classification_targets(y)
        sw = _fit_weights(sample_weight, self.class_weight, classes, y_enc)
        check_weighted_classes(sw, y_enc, classes)
        n = X64.shape[0] if sw is None else float(sw.sum())  # N, or Σ s
        l2 = 1.0 / (float(self.C) * n) if self.penalty == "l2" else 0.0
        obj = (_SparseLogisticLoss if sparse else _LogisticLoss)(backend, X64, y_enc, classes.shape[0],
                                                                  self.fit_intercept, l2, sw)
        theta0 = self._initial_theta(obj, classes, obj.p)
        max_iter, tol = int(self.max_iter), float(self.tol)
        self.stopped_by_callback_ = False

        with Progress(max_iter, type(self).__name__, self.verbose, unit="iter") as progress:
            def monitor(iteration, theta, objective):  # after every solver iteration; True stops
                progress.update(objective)
                if self.callback is None:
                    return False
                self._store(obj, theta, classes, iteration, obj.p)
                self.stopped_by_callback_ = bool(self.callback(iteration, objective, self))
                return self.stopped_by_callback_

            solver_monitor: Callable[[int, np.ndarray, float], bool] | None = monitor
            if not (self.verbose or self.callback is not None):
                solver_monitor = None
            if self.solver == "lbfgs":
                theta, n_iter, converged = _solve_lbfgs(obj.loss_grad, theta0, max_iter, tol, solver_monitor)
            elif self.solver == "newton":
                theta, n_iter, converged = _solve_newton(obj.loss_grad, obj.hessian, theta0, max_iter, tol,
                                                         solver_monitor)
            else:
                theta, n_iter, converged = _solve_gd(obj.loss_grad, theta0, max_iter, tol, solver_monitor)
        if not converged and not self.stopped_by_callback_:
            warnings.warn(f"LogisticRegression (solver={self.solver!r}) did not converge to tol={tol} "
                          f"within max_iter={max_iter} iterations; increase max_iter or scale the data",
                          sklearn_compatible(ConvergenceWarning), stacklevel=2)
        return self._store(obj, theta, classes, n_iter, obj.p)

    def _accepts_sparse(self) -> bool:
        return self.solver != "newton"

    def _initial_theta(self, obj, classes, n_features):
        """Zeros, or with ``warm_start`` the fitted coef_/intercept_ packed as θ (see the class docstring)."""
        theta = np.zeros(obj.size)
        if not self.warm_start or not hasattr(self, "coef_"):
            return theta
        shape = (obj.k, n_features)
        if self.coef_.shape != shape:
            raise ValueError(f"warm_start: the fitted coef_ has shape {self.coef_.shape}, but this fit needs {shape} "
                             f"({classes.shape[0]} classes, {n_features} features); set warm_start=False to start "
                             "again")
        if not np.array_equal(self.classes_, classes):
            return theta  # other classes of the same number: the old coefficients do not apply
        theta[: obj.p * obj.k] = self.coef_.T.ravel()
        if obj.fit_intercept:
            theta[obj.p * obj.k:] = self.intercept_
        return theta

    def _store(self, obj, theta, classes, n_iter, n_features):
        W, b = obj.unpack(theta)
        self.classes_ = classes
        self.coef_ = np.array(W.T, order="C")  # a copy: W may change after a callback
        self.intercept_ = np.array(b, dtype=np.float64)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        self.n_features_in_ = n_features
        return self

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes): [1 − g(z), g(z)] or softmax(z).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        if _chunked.is_dask_array(X):  # a lazy dask array, per row chunk
            return _rows.dask_map(self.predict_proba, X, self.coef_.shape[1], len(self.classes_), np.float64)
        z = self.decision_function(X)
        if z.ndim == 1:
            p = expit(z)
            return np.column_stack([expit(-z), p])
        return softmax(z, axis=1)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """log of :meth:`predict_proba`, computed without overflow (log g(z) = −log(1 + e^{−z})).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        if _chunked.is_dask_array(X):  # a lazy dask array, per row chunk
            return _rows.dask_map(self.predict_log_proba, X, self.coef_.shape[1], len(self.classes_), np.float64)
        z = self.decision_function(X)
        if z.ndim == 1:
            return np.column_stack([log_expit(-z), log_expit(z)])
        return log_softmax(z, axis=1)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class (z > 0 for two classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels taken from ``classes_``.
        """
        if _chunked.is_dask_array(X):  # a lazy dask array, per row chunk
            return _rows.dask_map(self.predict, X, self.coef_.shape[1], None, self.classes_.dtype)
        z = self.decision_function(X)
        idx = (z > 0).astype(np.int64) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]
