"""Rosenblatt's perceptron (one-vs-rest for more than two classes)."""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike

from .._base import BaseEstimator, ClassifierMixin, fit_context
from .._progress import Progress
from .._sparse import SparseOperator, canonical_csr, issparse
from .._validation import Interval, check_classification_targets, check_random_state, check_X_y
from ..backends import get_backend
from ..exceptions import ConvergenceWarning, sklearn_compatible
from ._base import BACKEND, CALLBACK, FIT_INTERCEPT, MAX_ITER, TOL, VERBOSE, _LinearClassifierMixin


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
        Backend for the per-epoch criterion and the decision function (``csr_matmul`` for sparse X).
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

    Notes
    -----
    Sparse X (scipy.sparse CSR or CSC) is never densified: a sample's score and update touch only
    its stored entries (the rows as canonical CSR — sorted, duplicates summed — a copy when X is
    CSC or not canonical), and the per-epoch criterion uses the backend's ``csr_matmul``. The
    updates are the dense fit's; only the order of the additions in a score differs, so the fits
    are equal up to rounding (exactly equal on data whose arithmetic is exact, e.g. small integers).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.linear_model import Perceptron
    >>> X = np.array([[-2.0, 0.0], [-1.0, 1.0], [1.0, -1.0], [2.0, 0.0]])
    >>> y = np.array(["neg", "neg", "pos", "pos"])
    >>> clf = Perceptron(random_state=0, backend="numpy").fit(X, y)
    >>> clf.predict([[-3.0, 0.0], [3.0, 0.0]])
    array(['neg', 'pos'], dtype='<U3')
    >>> clf.score(X, y)
    1.0
    """

    _parameter_constraints = {
        "max_iter": MAX_ITER,
        "eta0": [Interval(numbers.Real, 0, None, closed="right")],
        "tol": [None] + TOL,
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "fit_intercept": FIT_INTERCEPT,
        "backend": BACKEND,
        "verbose": VERBOSE,
        "callback": CALLBACK,
    }

    def __init__(self, max_iter: int = 1000, eta0: float = 1.0, tol: float | None = 1e-3, shuffle: bool = True,
                 random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 fit_intercept: bool = True, backend: str = "auto", verbose: bool = False,
                 callback: Callable[[int, int, Perceptron], Any] | None = None) -> None:
        self.max_iter = max_iter
        self.eta0 = eta0
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.backend = backend
        self.verbose = verbose
        self.callback = callback

    @fit_context
    def fit(self, X: ArrayLike, y: ArrayLike) -> Perceptron:
        """Fit on X (n_samples, n_features) and labels y (n_samples,) of any kind.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (numbers or strings); at least two classes.

        Returns
        -------
        self : Perceptron
            The fitted estimator.
        """
        self._validate_params()
        self._check_feature_names(X, reset=True)
        rng = check_random_state(self.random_state)
        backend = get_backend(self.backend)
        sparse = issparse(X)
        if sparse:  # rows with distinct columns, so that W[columns] += ... adds once per column
            Xs, y = check_X_y(X, y, numeric_y=False, accept_sparse=True)
            Xs = canonical_csr(Xs.astype(np.float64, copy=False))
            op, data, indices, indptr = SparseOperator(Xs, backend), Xs.data, Xs.indices, Xs.indptr
            Xd = np.empty((0, 0))
            n, p = Xs.shape
        else:
            X, y = check_X_y(X, y, numeric_y=False)
            Xd = np.ascontiguousarray(X, dtype=np.float64)
            n, p = Xd.shape
        classes, y_enc = check_classification_targets(y)
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
                    yi = Y[i]
                    if sparse:  # the row's stored entries x at its columns
                        cols = indices[indptr[i]:indptr[i + 1]]
                        x = data[indptr[i]:indptr[i + 1]]
                        z = x @ W[cols] + b
                    else:
                        x = Xd[i]
                        z = x @ W + b
                    wrong = (np.where(z >= 0, 1.0, -1.0) != yi) & active
                    if wrong.any():
                        if sparse:
                            W[np.ix_(cols, np.flatnonzero(wrong))] += eta * np.outer(x, yi[wrong])
                        else:
                            W[:, wrong] += eta * np.outer(x, yi[wrong])
                        if self.fit_intercept:
                            b[wrong] += eta * yi[wrong]
                        mistakes += wrong
                done = mistakes == 0
                if self.tol is not None:
                    z = op.dot(W) + b if sparse else backend.linear_forward(Xd, W, b)[0]
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
                          "increase max_iter", sklearn_compatible(ConvergenceWarning), stacklevel=2)
        return self._store(classes, W, b, epoch, p)

    def _accepts_sparse(self) -> bool:
        return True

    def _store(self, classes, W, b, n_iter, n_features):
        self.classes_ = classes
        self.coef_ = np.array(W.T, order="C")  # a copy: W may change after a callback
        self.intercept_ = b.copy()
        self.n_iter_ = n_iter
        self.n_features_in_ = n_features
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """classes_[1] where wᵀx + b ≥ 0 (two classes), else the class of largest wᵀx + b.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels taken from ``classes_``.
        """
        z = self.decision_function(X)
        idx = (z >= 0).astype(np.int64) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]
