"""Cross-validation: splitting data, scoring a model on held-out folds.

The course's recipe for choosing a hyper-parameter such as λ: exclude part of the training
data from the parameter estimation and use it only to predict the test error; with K-fold
cross-validation the data are cut into K parts, each is held out once, and the K errors are
averaged. Pick the value that minimizes the cross-validation error.
"""
from __future__ import annotations

import copy
import numbers
import warnings
from collections.abc import Iterator
from typing import Any, Callable, Optional, TypeVar, Union, cast

import numpy as np
import numpy.typing as npt

from ._validation import check_random_state, check_scalar

#: What ``random_state`` accepts: None (fresh entropy), an int seed or a numpy Generator.
RandomState = Union[None, int, np.random.Generator]
#: A scorer: ``scorer(fitted_estimator, X_test, y_test) -> float``, higher is better.
Scorer = Callable[[Any, Any, Any], float]

_Est = TypeVar("_Est")

__all__ = ["KFold", "StratifiedKFold", "cross_val_score", "train_test_split", "clone"]


def _n_samples(X: Any) -> int:
    if hasattr(X, "shape") and len(X.shape) > 0:
        return int(X.shape[0])
    try:
        return len(X)
    except TypeError:
        raise TypeError(f"X: expected an array-like with a length, got {type(X).__name__}") from None


class _BaseKFold:
    """What the K-fold splitters share: parameters, checks, and turning test folds into pairs."""

    def __init__(self, n_splits: int = 5, shuffle: bool = False, random_state: RandomState = None) -> None:
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def _test_folds(self, n: int, y: Optional[npt.ArrayLike]) -> Iterator[np.ndarray]:
        """The test indices of each fold, in order; subclasses define how the folds are cut."""
        raise NotImplementedError

    def _check_params(self, n_samples: int) -> None:
        check_scalar(self.n_splits, "n_splits", numbers.Integral, low=2)
        check_scalar(self.shuffle, "shuffle", bool)
        if not self.shuffle and self.random_state is not None:
            raise ValueError("random_state: has no effect when shuffle=False; leave it None or set "
                             "shuffle=True")
        if self.n_splits > n_samples:
            raise ValueError(f"n_splits: cannot be greater than the number of samples "
                             f"({n_samples}), got n_splits={self.n_splits}")

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        """The number K of (train, test) pairs that :meth:`split` yields.

        Parameters
        ----------
        X, y, groups : object, optional
            Ignored; accepted so the signature matches scikit-learn's splitters.

        Returns
        -------
        int
            ``n_splits``.
        """
        return self.n_splits

    def split(self, X: Any, y: Optional[npt.ArrayLike] = None,
              groups: object = None) -> Iterator[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
        """Yield ``(train_index, test_index)`` integer arrays, one pair per fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Only its length is used.
        y : array-like of shape (n_samples,), optional
            Class labels; needed by :class:`StratifiedKFold`, ignored by :class:`KFold`.
        groups : object, optional
            Ignored.

        Yields
        ------
        train_index : ndarray of shape (n_train,)
            Sorted indices of the training rows: all rows not in the test fold.
        test_index : ndarray of shape (n_test,)
            Indices of the held-out rows of this fold.

        Raises
        ------
        ValueError
            If ``n_splits`` exceeds the number of samples, or ``random_state`` is set without
            ``shuffle=True`` (and for :class:`StratifiedKFold`, if ``y`` is missing or too small).
        """
        n = _n_samples(X)
        self._check_params(n)
        all_idx = np.arange(n)
        for test in self._test_folds(n, y):
            mask = np.ones(n, dtype=bool)
            mask[test] = False
            yield all_idx[mask], test

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_splits={self.n_splits}, shuffle={self.shuffle}, "
                f"random_state={self.random_state!r})")


class KFold(_BaseKFold):
    """K-fold cross-validation splitter.

    The sample indices (shuffled first if ``shuffle``) are cut into K consecutive folds; the
    first ``n_samples % K`` folds have one sample more than the others. Each fold is the test
    set once, the other K − 1 folds form the training set.

    Parameters
    ----------
    n_splits : int, default=5
        K ≥ 2.
    shuffle : bool, default=False
        Shuffle the indices once before cutting them.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the shuffle (only with ``shuffle=True``).

    Attributes
    ----------
    None beyond the parameters: a splitter is not fitted, and :meth:`split` may be called on
    any data.

    See Also
    --------
    StratifiedKFold : folds that keep each class's proportion.
    cross_val_score : fit and score a model on each fold.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.model_selection import KFold
    >>> X = np.zeros((5, 2))
    >>> for train, test in KFold(n_splits=3).split(X):
    ...     print(train.tolist(), test.tolist())
    [2, 3, 4] [0, 1]
    [0, 1, 4] [2, 3]
    [0, 1, 2, 3] [4]
    >>> KFold(n_splits=3).get_n_splits()
    3
    """

    def _test_folds(self, n: int, y: Optional[npt.ArrayLike]) -> Iterator[np.ndarray]:
        idx = np.arange(n)
        if self.shuffle:
            idx = check_random_state(self.random_state).permutation(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        start = 0
        for size in sizes:
            yield idx[start:start + size]
            start += size


class StratifiedKFold(_BaseKFold):
    """K-fold splitter that keeps each class's proportion in every fold.

    Samples are grouped by class (each group shuffled if ``shuffle``), the groups are laid end
    to end and dealt to the folds in turn (sample number r goes to fold r mod K). Each class c
    with N_c samples therefore puts ⌊N_c/K⌋ or ⌈N_c/K⌉ samples in each fold, and the fold sizes
    differ by at most one. The folds are not the same as scikit-learn's.

    Parameters
    ----------
    n_splits : int, default=5
        K ≥ 2.
    shuffle : bool, default=False
        Shuffle within each class before dealing.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the shuffles (only with ``shuffle=True``).

    Attributes
    ----------
    None beyond the parameters: a splitter is not fitted.

    See Also
    --------
    KFold : folds of consecutive (or shuffled) indices, ignoring the classes.

    Notes
    -----
    ``split`` needs ``y``. If the smallest class has fewer than K members a UserWarning is
    emitted; if every class has fewer than K members it is a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.model_selection import StratifiedKFold
    >>> y = np.array([0, 0, 0, 0, 1, 1])
    >>> for train, test in StratifiedKFold(n_splits=2).split(np.zeros((6, 1)), y):
    ...     print(test.tolist(), y[test].tolist())
    [0, 2, 4] [0, 0, 1]
    [1, 3, 5] [0, 0, 1]
    """

    def _test_folds(self, n: int, y: Optional[npt.ArrayLike]) -> Iterator[np.ndarray]:
        if y is None:
            raise ValueError("y: StratifiedKFold.split needs the class labels y")
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = y_arr.ravel()
        if y_arr.ndim != 1 or y_arr.shape[0] != n:
            raise ValueError(f"y: expected a 1-D array of {n} labels, got shape {y_arr.shape}")
        classes, y_enc, counts = np.unique(y_arr, return_inverse=True, return_counts=True)
        y_enc = y_enc.reshape(-1)
        if np.all(counts < self.n_splits):
            raise ValueError(f"n_splits: {self.n_splits} is greater than the number of members of every "
                             f"class (largest class: {counts.max()})")
        if counts.min() < self.n_splits:
            warnings.warn(f"StratifiedKFold: the least populated class has only {counts.min()} members, "
                          f"fewer than n_splits={self.n_splits}", UserWarning, stacklevel=3)
        rng = check_random_state(self.random_state) if self.shuffle else None
        groups = []
        for c in range(classes.shape[0]):
            members = np.flatnonzero(y_enc == c)
            if rng is not None:
                members = rng.permutation(members)
            groups.append(members)
        order = np.concatenate(groups)
        fold_of = np.empty(n, dtype=np.int64)
        fold_of[order] = np.arange(n) % self.n_splits
        for k in range(self.n_splits):
            yield np.flatnonzero(fold_of == k)


# ---------------------------------------------------------------- clone & scoring
def clone(estimator: _Est) -> _Est:
    """A new, unfitted estimator with the same hyper-parameters (deep-copied).

    ``type(estimator)(**params)`` with ``params = estimator.get_params(deep=False)``; parameters
    that are themselves estimators are cloned recursively.

    Parameters
    ----------
    estimator : estimator, or list/tuple of estimators
        An object with ``get_params``. Lists and tuples are cloned element by element; any
        other object without ``get_params`` (and classes) is deep-copied.

    Returns
    -------
    estimator
        An object of the same type, built from the same parameters, with no fitted
        attributes: fitting it leaves ``estimator`` untouched.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.linear_model import Ridge
    >>> from mlbasics.model_selection import clone
    >>> fitted = Ridge(alpha=2.0).fit(np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 2.0]))
    >>> fresh = clone(fitted)
    >>> fresh.alpha, hasattr(fresh, "coef_"), fresh is fitted
    (2.0, False, False)
    """
    if isinstance(estimator, (list, tuple)):
        return type(estimator)(clone(e) for e in estimator)
    if not hasattr(estimator, "get_params") or isinstance(estimator, type):
        return copy.deepcopy(estimator)
    params = estimator.get_params(deep=False)  # type: ignore[attr-defined]  # checked by hasattr above
    new_params = {k: clone(v) if hasattr(v, "get_params") and not isinstance(v, type) else copy.deepcopy(v)
                  for k, v in params.items()}
    return type(estimator)(**new_params)


def _is_classifier(estimator: Any) -> bool:
    if getattr(estimator, "_estimator_type", None) == "classifier":
        return True
    tags = getattr(estimator, "__sklearn_tags__", None)
    if tags is not None:
        try:
            return tags().estimator_type == "classifier"
        except Exception:  # scikit-learn not installed, or an estimator without full tags
            return False
    return False


def _get_scorer(scoring: Union[None, str, Scorer]) -> Scorer:
    """A callable ``scorer(estimator, X, y) -> float``."""
    if scoring is None:
        return lambda est, X, y: est.score(X, y)
    if callable(scoring):
        return scoring
    from . import metrics

    # float(): with a 1-D y (the default multioutput) these metrics already return a float.
    table: dict[str, Scorer] = {
        "accuracy": lambda est, X, y: metrics.accuracy_score(y, est.predict(X)),
        "r2": lambda est, X, y: float(metrics.r2_score(y, est.predict(X))),
        "neg_mean_squared_error": lambda est, X, y: -float(metrics.mean_squared_error(y, est.predict(X))),
    }
    if scoring not in table:
        raise ValueError(f"scoring: expected None, a callable or one of {sorted(table)}, got {scoring!r}")
    return table[scoring]


def _check_cv(cv: Any, classifier: bool) -> Any:
    if cv is None:
        cv = 5
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        n_splits = cast(int, cv)  # passed on as given (e.g. a NumPy integer); the splitter checks it
        return StratifiedKFold(n_splits) if classifier else KFold(n_splits)
    if hasattr(cv, "split") and not isinstance(cv, (str, bytes)):
        return cv
    raise TypeError(f"cv: expected an int or a splitter with a split() method, got {type(cv).__name__}")


def _take(a: Any, idx: np.ndarray) -> Any:
    if hasattr(a, "iloc"):
        return a.iloc[idx]
    if isinstance(a, list):
        return [a[i] for i in idx]
    return np.asarray(a)[idx]


def _fit_params(params: Any, n: int, train: np.ndarray) -> dict:
    """The fit parameters of one training part: every array-like of n entries (e.g. sample_weight)
    indexed by the training rows, anything else passed as is (as scikit-learn's fit params)."""
    out = {}
    for key, value in params.items():
        if not isinstance(value, (str, bytes, dict)) and hasattr(value, "__len__") and _n_samples(value) == n:
            out[key] = _take(value, train)
        else:
            out[key] = value
    return out


def cross_val_score(estimator: Any, X: Any, y: Optional[npt.ArrayLike] = None, cv: Any = 5,
                    scoring: Union[None, str, Scorer] = None, params: Optional[dict] = None,
                    ) -> npt.NDArray[np.float64]:
    """Score a model on each held-out fold of a cross-validation.

    For each split (train, test): clone the estimator, fit it on the training part and score it
    on the test part. With ``cv=K`` the splitter is :class:`StratifiedKFold` for a classifier and
    :class:`KFold` otherwise (unshuffled).

    Parameters
    ----------
    estimator : estimator with fit (and predict/score)
        The model to evaluate; it is cloned for every fold and never fitted itself.
    X : array-like of shape (n_samples, n_features)
        Rows are selected with ``.iloc`` for pandas objects, by index for lists, else through
        ``np.asarray``.
    y : array-like of shape (n_samples,), optional
        Targets; None for unsupervised estimators.
    cv : int, splitter or None, default=5
        Number of folds, or an object with ``split(X, y)`` yielding (train, test) indices.
        None means 5.
    scoring : None, str or callable, default=None
        None: ``estimator.score``; "accuracy", "r2", "neg_mean_squared_error"; or a callable
        ``scoring(estimator, X_test, y_test)``. Higher is better.
    params : dict, optional
        Parameters of ``fit``, e.g. ``{"sample_weight": w}``: an array-like with one entry per
        sample is indexed like X (its training rows for each fit), anything else is passed as
        is. As scikit-learn's ``cross_val_score(params=...)`` without metadata routing, they go
        to ``fit`` only (the held-out scores are unweighted).

    Returns
    -------
    scores : ndarray of shape (n_splits,)
        One score per fold, in the splitter's order.

    Raises
    ------
    TypeError
        If ``estimator`` has no ``fit`` or ``cv`` is neither an int nor a splitter.
    ValueError
        If ``y`` does not have one value per row of ``X`` or ``scoring`` is an unknown name.

    See Also
    --------
    KFold, StratifiedKFold : the splitters used for ``cv=K``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.linear_model import LinearRegression
    >>> from mlbasics.model_selection import KFold, cross_val_score
    >>> X = np.arange(12.0).reshape(-1, 1)
    >>> y = 2.0 * X[:, 0] + 1.0 + np.array([0.1, -0.1] * 6)
    >>> scores = cross_val_score(LinearRegression(), X, y, cv=KFold(3, shuffle=True, random_state=0))
    >>> scores.shape, bool(np.all(scores > 0.99))
    ((3,), True)
    >>> mse = -cross_val_score(LinearRegression(), X, y, cv=3, scoring="neg_mean_squared_error")
    >>> np.round(mse, 3)
    array([0.012, 0.01 , 0.012])
    """
    if not hasattr(estimator, "fit"):
        raise TypeError(f"estimator: expected an object with a fit method, got {type(estimator).__name__}")
    scorer = _get_scorer(scoring)
    splitter = _check_cv(cv, _is_classifier(estimator))
    n = _n_samples(X)
    if y is not None and _n_samples(y) != n:
        raise ValueError(f"y: expected {n} values (one per row of X), got {_n_samples(y)}")
    if params is not None and not isinstance(params, dict):
        raise TypeError(f"params: expected a dict of fit parameters, got {type(params).__name__}")
    scores = []
    for train, test in splitter.split(X, y):
        est = clone(estimator)
        fit_params = {} if params is None else _fit_params(params, n, train)
        if y is None:
            est.fit(_take(X, train), **fit_params)
            scores.append(scorer(est, _take(X, test), None))
        else:
            est.fit(_take(X, train), _take(y, train), **fit_params)
            scores.append(scorer(est, _take(X, test), _take(y, test)))
    return np.asarray(scores, dtype=np.float64)


# ---------------------------------------------------------------- train/test split
def _split_sizes(n: int, test_size: Union[None, int, float],
                 train_size: Union[None, int, float]) -> tuple[int, int]:
    def resolve(size: object, name: str) -> Union[None, int, float]:
        if size is None:
            return None
        if isinstance(size, bool) or not isinstance(size, numbers.Real):
            raise TypeError(f"{name}: expected an int or a float, got {type(size).__name__}")
        if isinstance(size, numbers.Integral):
            if not 1 <= int(size) < n:
                raise ValueError(f"{name}: an int must lie in [1, n_samples={n}), got {size}")
            return int(size)
        if not 0.0 < float(size) < 1.0:
            raise ValueError(f"{name}: a float must lie in (0, 1), got {size}")
        return cast(float, size)  # returned as given

    test_size, train_size = resolve(test_size, "test_size"), resolve(train_size, "train_size")
    if test_size is None and train_size is None:
        test_size = 0.25
    n_test = None if test_size is None else (
        int(np.ceil(test_size * n)) if isinstance(test_size, float) else test_size)
    n_train = None if train_size is None else (
        int(np.floor(train_size * n)) if isinstance(train_size, float) else train_size)
    if n_test is None:
        assert n_train is not None  # test_size is None only when train_size was given
        n_test = n - n_train
    if n_train is None:
        n_train = n - n_test
    if n_train + n_test > n:
        raise ValueError(f"train_size, test_size: together they ask for {n_train + n_test} samples, "
                         f"more than the {n} available")
    if n_train < 1 or n_test < 1:
        raise ValueError(f"test_size: with {n} samples this gives {n_train} training and {n_test} test "
                         "samples; both must be at least 1")
    return n_train, n_test


def _allocate(counts: np.ndarray, total: int) -> npt.NDArray[np.int64]:
    """Split ``total`` over classes proportionally to ``counts`` (largest remainders first)."""
    exact = counts * total / counts.sum()
    alloc = np.floor(exact).astype(np.int64)
    alloc = np.minimum(alloc, counts)
    rest = total - alloc.sum()
    if rest > 0:
        order = np.argsort(-(exact - alloc), kind="stable")
        for c in order:
            if rest == 0:
                break
            if alloc[c] < counts[c]:
                alloc[c] += 1
                rest -= 1
    return alloc


def train_test_split(*arrays: Any, test_size: Union[None, int, float] = None,
                     train_size: Union[None, int, float] = None, random_state: RandomState = None,
                     shuffle: bool = True, stratify: Optional[npt.ArrayLike] = None) -> list[Any]:
    """Split arrays into random train and test subsets (the same rows for every array).

    Parameters
    ----------
    *arrays : array-likes with the same first dimension
        NumPy arrays, lists or pandas objects; each is split along its first axis and keeps
        its kind (pandas rows through ``.iloc``, lists as lists, anything else as an ndarray).
    test_size : float in (0, 1) or int, optional
        Fraction (rounded up) or number of test samples; default 0.25 when ``train_size`` is
        also None, else the complement of ``train_size``.
    train_size : float in (0, 1) or int, optional
        Fraction (rounded down) or number of training samples; default: the complement.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the shuffle.
    shuffle : bool, default=True
        If False, the first rows are the training set and the last rows the test set.
    stratify : array-like of shape (n_samples,), optional
        Class labels whose proportions both subsets keep (as nearly as integer counts allow).

    Returns
    -------
    list
        ``[a_train, a_test, b_train, b_test, ...]``. The split differs from scikit-learn's for
        the same ``random_state``.

    Raises
    ------
    ValueError
        If no array is given, the arrays differ in length, the sizes do not fit the number of
        samples, or ``stratify`` has a class with a single member (or is used without shuffle).
    TypeError
        If a size is neither an int nor a float, or ``shuffle`` is not a bool.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.model_selection import train_test_split
    >>> X = np.arange(10).reshape(5, 2)
    >>> y = [0, 1, 2, 3, 4]
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=2, shuffle=False)
    >>> X_test.tolist(), y_train
    ([[6, 7], [8, 9]], [0, 1, 2])
    >>> parts = train_test_split(X, y, test_size=0.4, random_state=0)
    >>> [len(p) for p in parts]
    [3, 2, 3, 2]
    >>> labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    >>> _, test = train_test_split(np.arange(8), test_size=4, stratify=labels, random_state=0)
    >>> np.bincount(labels[test]).tolist()
    [2, 2]
    """
    if not arrays:
        raise ValueError("arrays: expected at least one array to split")
    check_scalar(shuffle, "shuffle", bool)
    n = _n_samples(arrays[0])
    for i, a in enumerate(arrays[1:], start=1):
        if _n_samples(a) != n:
            raise ValueError(f"arrays[{i}]: expected {n} rows like arrays[0], got {_n_samples(a)}")
    n_train, n_test = _split_sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("stratify: needs shuffle=True")
        train, test = np.arange(n_train), np.arange(n_train, n_train + n_test)
    else:
        rng = check_random_state(random_state)
        if stratify is None:
            perm = rng.permutation(n)
            test, train = perm[:n_test], perm[n_test:n_test + n_train]
        else:
            labels = np.asarray(stratify)
            if labels.ndim != 1 or labels.shape[0] != n:
                raise ValueError(f"stratify: expected a 1-D array of {n} labels, got shape {labels.shape}")
            _, enc, counts = np.unique(labels, return_inverse=True, return_counts=True)
            enc = enc.reshape(-1)
            if counts.min() < 2:
                raise ValueError("stratify: the least populated class has only 1 member; each class "
                                 "needs at least 2 to appear in both subsets")
            test_alloc = _allocate(counts, n_test)
            train_alloc = _allocate(counts - test_alloc, n_train)
            tests, trains = [], []
            for c in range(counts.shape[0]):
                members = rng.permutation(np.flatnonzero(enc == c))
                tests.append(members[:test_alloc[c]])
                trains.append(members[test_alloc[c]:test_alloc[c] + train_alloc[c]])
            test = rng.permutation(np.concatenate(tests))
            train = rng.permutation(np.concatenate(trains))
    out = []
    for a in arrays:
        out.extend([_take(a, train), _take(a, test)])
    return out
