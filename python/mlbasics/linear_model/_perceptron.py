"""Rosenblatt's perceptron (one-vs-rest for more than two classes)."""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Callable, Literal

import numpy as np
from numpy.typing import ArrayLike

from .._base import BaseEstimator, ClassifierMixin, fit_context
from .._progress import Progress
from .._sparse import SparseOperator, canonical_csr, issparse
from .._validation import (Interval, check_classification_targets, check_random_state, check_sample_weight,
                           check_weighted_classes, check_X_y)
from ..backends import get_backend
from ..exceptions import ConvergenceWarning, sklearn_compatible
from ._base import (BACKEND, CALLBACK, CLASS_WEIGHT, FIT_INTERCEPT, MAX_ITER, TOL, VERBOSE, _class_weights,
                    _LinearClassifierMixin)


class Perceptron(_LinearClassifierMixin, ClassifierMixin, BaseEstimator):
    """Rosenblatt's perceptron: a linear classifier with the step activation.

    With labels yⁱ ∈ {−1, +1} the prediction is ŷ = +1 if wᵀx + b ≥ 0 else −1 (the course's
    step function 𝓗). Training visits the samples one by one (in a new random order each epoch
    if ``shuffle``) and, on a mistake (ŷⁱ ≠ yⁱ), updates

    .. math:: w \\leftarrow w + η\\, y^i x^i, \\qquad b \\leftarrow b + η\\, y^i .

    On linearly separable data this stops after finitely many mistakes (Novikoff's theorem).
    With per-sample weights sᵢ (``sample_weight`` times the ``class_weight`` of the sample's
    class, as scikit-learn's SGD-based Perceptron scales its steps) the update is η sᵢ yⁱxⁱ, a
    sample of weight 0 is skipped (it counts as absent: no update, no mistake) and the stopping
    criterion below is the weighted mean Σ sᵢ max(0, −yⁱ(wᵀxⁱ + b)) / Σ s. Being online, the
    algorithm does not treat a weight of 2 like two copies of a sample (the second visit may no
    longer be a mistake).
    With K ≥ 3 classes, one perceptron per class is trained one-vs-rest (class c against the
    others, all K in the same sweep over the data) and the class with the largest wᵀx + b wins.

    Stopping (per class): after an epoch with no mistake; or, when ``tol`` is not None, when
    the perceptron criterion (1/N) Σᵢ max(0, −yⁱ(wᵀxⁱ + b)) measured after each epoch has not
    improved on its best value by more than ``tol`` for ``n_iter_no_change`` epochs in a row (as
    scikit-learn's); at the latest after ``max_iter`` epochs, with a
    :class:`ConvergenceWarning` if a class was still making mistakes and improving.

    Parameters
    ----------
    max_iter : int ≥ 1, default=1000
        Maximal number of epochs.
    eta0 : float > 0, default=1.0
        Learning rate η. (Starting from w = 0 it only scales w, not the predictions.)
    tol : float ≥ 0 or None, default=1e-3
    n_iter_no_change : int ≥ 1, default=5
        Epochs without improvement of the criterion by ``tol`` before a class stops (see above).
    shuffle : bool, default=True
    random_state : None, int or numpy.random.Generator
    fit_intercept : bool, default=True
    backend : str, default="auto"
        Backend for the per-epoch criterion and the decision function (``csr_matmul`` for sparse X).
    class_weight : None, "balanced" or dict, default=None
        Weights of the classes, multiplying ``sample_weight``: a dict {label: weight} (labels left
        out weigh 1), or "balanced": n_samples / (n_classes · bincount(y)) (plain counts, as
        scikit-learn's Perceptron). Every one-vs-rest perceptron uses the weight of the sample's
        own class (scikit-learn gives the "rest" side weight 1).
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
        "n_iter_no_change": [Interval(numbers.Integral, 1, None)],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "fit_intercept": FIT_INTERCEPT,
        "backend": BACKEND,
        "verbose": VERBOSE,
        "callback": CALLBACK,
        "class_weight": CLASS_WEIGHT,
    }

    def __init__(self, max_iter: int = 1000, eta0: float = 1.0, tol: float | None = 1e-3, shuffle: bool = True,
                 random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 fit_intercept: bool = True, backend: str = "auto", verbose: bool = False,
                 callback: Callable[[int, int, Perceptron], Any] | None = None,
                 class_weight: Literal["balanced"] | dict | None = None, n_iter_no_change: int = 5) -> None:
        self.max_iter = max_iter
        self.eta0 = eta0
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.backend = backend
        self.verbose = verbose
        self.callback = callback
        self.class_weight = class_weight
        self.n_iter_no_change = n_iter_no_change

    @fit_context
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Perceptron:
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
        sw = check_sample_weight(sample_weight, y_enc.shape[0], keep_none=True)
        if self.class_weight is not None:  # plain counts for "balanced", as scikit-learn's Perceptron
            cw = _class_weights(self.class_weight, classes, y_enc)[y_enc]
            sw = cw if sw is None else sw * cw
            if not sw.sum() > 0:
                raise ValueError("class_weight: with these class weights every sample weighs 0 (the weights sum "
                                 "to zero)")
        check_weighted_classes(sw, y_enc, classes)
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
                if sw is not None:
                    order = order[sw[order] > 0]  # a sample of weight 0 counts as absent
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
                        step = eta if sw is None else eta * sw[i]
                        if sparse:
                            W[np.ix_(cols, np.flatnonzero(wrong))] += step * np.outer(x, yi[wrong])
                        else:
                            W[:, wrong] += step * np.outer(x, yi[wrong])
                        if self.fit_intercept:
                            b[wrong] += step * yi[wrong]
                        mistakes += wrong
                done = mistakes == 0
                if self.tol is not None:
                    z = op.dot(W) + b if sparse else backend.linear_forward(Xd, W, b)[0]
                    crit = (np.mean(np.maximum(0.0, -Y * z), axis=0) if sw is None
                            else np.average(np.maximum(0.0, -Y * z), axis=0, weights=sw))
                    improved = crit < best - float(self.tol)
                    stale = np.where(improved, 0, stale + 1)
                    best = np.minimum(best, crit)
                    done |= stale >= int(self.n_iter_no_change)
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
