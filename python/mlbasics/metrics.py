"""Evaluation measures: classification counts, ROC analysis, regression errors and clusterings.

The course lists the confusion matrix, the ROC curve, precision and recall as the evaluation
measures of a classifier; regression is judged by the (mean) squared error and R²; a clustering
by its agreement with known classes (adjusted Rand index) or, without them, by its silhouette.
Signatures and results follow scikit-learn's, so the two can be swapped in a script.

Notation: ``y`` are true labels (or values), ``ŷ`` predictions, ``wᵢ`` optional sample weights
(1 when not given). For one class c taken as "positive":

* TP = Σᵢ wᵢ [yᵢ = c ∧ ŷᵢ = c],  FP = Σᵢ wᵢ [yᵢ ≠ c ∧ ŷᵢ = c],  FN = Σᵢ wᵢ [yᵢ = c ∧ ŷᵢ ≠ c];
* precision = TP / (TP + FP),  recall = TP / (TP + FN),  F1 = 2 TP / (2 TP + FP + FN).
"""
from __future__ import annotations

import numbers
import warnings
from typing import Literal, Optional, Union

import numpy as np
import numpy.typing as npt

from ._validation import (Interval, RandomStateLike, check_array, check_param, check_random_state,
                          check_target)

#: Averaging modes of :func:`precision_score`, :func:`recall_score` and :func:`f1_score`.
Average = Optional[Literal["binary", "macro", "micro", "weighted"]]
#: How :func:`mean_squared_error` and :func:`r2_score` combine several outputs.
MultiOutput = Union[Literal["raw_values", "uniform_average", "variance_weighted"], npt.ArrayLike]

__all__ = [
    "accuracy_score", "confusion_matrix", "precision_score", "recall_score", "f1_score",
    "roc_curve", "roc_auc_score", "mean_squared_error", "r2_score", "UndefinedMetricWarning",
    "adjusted_rand_score", "silhouette_score", "silhouette_samples",
]


class UndefinedMetricWarning(UserWarning):
    """A metric is mathematically undefined for the given input (e.g. R² of one sample).

    The metric still returns a value (NaN); the warning says why.

    Examples
    --------
    >>> import warnings
    >>> from mlbasics.metrics import UndefinedMetricWarning, r2_score
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     score = r2_score([1.0], [1.0])
    >>> score, caught[0].category is UndefinedMetricWarning
    (nan, True)
    """


# ---------------------------------------------------------------- input checks
def _check_labels_pair(y_true: npt.ArrayLike, y_pred: npt.ArrayLike,
                       name_pred: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    """Two 1-D label arrays of equal length, no missing values, not a mix of strings and numbers."""
    y_true = check_target(y_true, "y_true", numeric=False)
    y_pred = check_target(y_pred, name_pred, numeric=False)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(f"{name_pred}: expected {y_true.shape[0]} values (the length of y_true), "
                         f"got {y_pred.shape[0]}")
    if y_true.shape[0] == 0:
        raise ValueError("y_true: expected at least one sample, got 0")
    t_str, p_str = _is_str(y_true), _is_str(y_pred)
    if t_str != p_str:
        raise ValueError(f"y_true and {name_pred}: mix of string and numeric labels "
                         f"(dtypes {y_true.dtype} and {y_pred.dtype})")
    return y_true, y_pred


def _is_str(a: np.ndarray) -> bool:
    if a.dtype.kind in "USa":
        return True
    if a.dtype.kind == "O":
        return any(isinstance(v, str) for v in a)
    return False


def _check_sample_weight(sample_weight: Optional[npt.ArrayLike], n: int) -> npt.NDArray[np.float64]:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = check_target(sample_weight, "sample_weight", n_samples=n)
    if np.any(w < 0):
        raise ValueError("sample_weight: expected non-negative weights, got a negative value")
    return w.astype(np.float64, copy=False)


def _union_labels(*arrays: npt.ArrayLike) -> np.ndarray:
    return np.unique(np.concatenate([np.asarray(a) for a in arrays]))


def _encode(y: np.ndarray, labels: np.ndarray) -> npt.NDArray[np.intp]:
    """Position of each yᵢ in the sorted-or-not array ``labels``; −1 when yᵢ is not listed."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.searchsorted(sorted_labels, y)
    pos_clipped = np.minimum(pos, len(labels) - 1)
    found = sorted_labels[pos_clipped] == y
    return np.where(found, order[pos_clipped], -1)


# ---------------------------------------------------------------- classification
def accuracy_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, normalize: bool = True,
                   sample_weight: Optional[npt.ArrayLike] = None) -> float:
    """Fraction (or number) of correct predictions.

    .. math:: \\text{acc} = \\frac{\\sum_i w_i [y_i = \\hat y_i]}{\\sum_i w_i}

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Labels of any kind (integers, strings, ...), compared with ``==``.
    normalize : bool, default=True
        If False, return the (weighted) number of correct predictions instead of the fraction.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.

    Returns
    -------
    float
        The (weighted) fraction of samples with ``y_pred == y_true``, or their (weighted)
        number when ``normalize=False``.

    Raises
    ------
    ValueError
        If the lengths differ, the arrays are empty, string and numeric labels are mixed, or
        the weights sum to zero (``normalize=True``).

    Examples
    --------
    >>> from mlbasics.metrics import accuracy_score
    >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    >>> accuracy_score(["cat", "dog", "dog"], ["cat", "cat", "dog"], normalize=False)
    2.0
    >>> accuracy_score([0, 1, 1, 0], [0, 1, 0, 0], sample_weight=[1, 1, 2, 0])
    0.5
    """
    y_true, y_pred = _check_labels_pair(y_true, y_pred)
    w = _check_sample_weight(sample_weight, y_true.shape[0])
    correct = np.asarray(y_true == y_pred, dtype=bool)
    total = float(np.dot(w, correct))
    if not normalize:
        return total
    wsum = float(w.sum())
    if wsum == 0:
        raise ValueError("sample_weight: the weights sum to zero; the accuracy is undefined")
    return total / wsum


def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Optional[npt.ArrayLike] = None,
                     sample_weight: Optional[npt.ArrayLike] = None,
                     normalize: Optional[Literal["true", "pred", "all"]] = None) -> np.ndarray:
    """Confusion matrix C with C[i, j] = (weighted) number of samples of true class i predicted j.

    The diagonal counts the correct predictions; for two classes ordered (negative, positive)
    the matrix is ``[[TN, FP], [FN, TP]]``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels of any kind.
    labels : array-like of shape (n_classes,), optional
        Row/column order. Default: the sorted union of the labels of ``y_true`` and ``y_pred``.
        Samples whose true or predicted label is not listed are ignored.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.
    normalize : {"true", "pred", "all"} or None, default=None
        Divide by row sums (rates per true class: the diagonal is the recall), column sums
        (the diagonal is the precision) or the total. Empty rows/columns give 0.

    Returns
    -------
    C : ndarray of shape (n_classes, n_classes)
        Integer counts when unweighted and not normalized (or when the weights are integers),
        float otherwise. Row i and column i refer to ``labels[i]``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.metrics import confusion_matrix
    >>> y_true = [0, 0, 1, 1, 1]
    >>> y_pred = [0, 1, 1, 1, 0]
    >>> confusion_matrix(y_true, y_pred)
    array([[1, 1],
           [1, 2]])
    >>> np.round(confusion_matrix(y_true, y_pred, normalize="true"), 3)
    array([[0.5  , 0.5  ],
           [0.333, 0.667]])
    >>> confusion_matrix(["b", "a", "b"], ["b", "b", "b"], labels=["b", "a"])
    array([[2, 0],
           [1, 0]])
    """
    y_true, y_pred = _check_labels_pair(y_true, y_pred)
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"normalize: expected one of 'true', 'pred', 'all' or None, got {normalize!r}")
    if labels is None:
        labels = _union_labels(y_true, y_pred)
    else:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.size == 0:
            raise ValueError(f"labels: expected a non-empty 1-D list of labels, got shape {labels.shape}")
        if not np.isin(y_true, labels).any():
            raise ValueError("labels: at least one of the given labels must occur in y_true")
    k = labels.shape[0]
    ti, pi = _encode(y_true, labels), _encode(y_pred, labels)
    keep = (ti >= 0) & (pi >= 0)
    if sample_weight is None and normalize is None:
        cm = np.zeros((k, k), dtype=np.int64)
        np.add.at(cm, (ti[keep], pi[keep]), 1)
        return cm
    w = _check_sample_weight(sample_weight, y_true.shape[0])
    cm = np.zeros((k, k), dtype=np.float64)
    np.add.at(cm, (ti[keep], pi[keep]), w[keep])
    if normalize is None and np.asarray(sample_weight).dtype.kind in "biu":
        cm = cm.astype(np.int64)
    if normalize == "true":
        denom = cm.sum(axis=1, keepdims=True)
    elif normalize == "pred":
        denom = cm.sum(axis=0, keepdims=True)
    elif normalize == "all":
        denom = np.full((1, 1), cm.sum())
    else:
        return cm
    return np.divide(cm, denom, out=np.zeros_like(cm), where=denom > 0)


_AVERAGES = ("binary", "macro", "micro", "weighted", "samples", None)


def _prf_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Optional[npt.ArrayLike], pos_label: object,
                average: Average, sample_weight: Optional[npt.ArrayLike]) -> tuple[np.ndarray, ...]:
    """Per-label TP, FP, FN, support and the labels they refer to."""
    if average not in _AVERAGES or average == "samples":
        raise ValueError(f"average: expected one of 'binary', 'macro', 'micro', 'weighted' or None, "
                         f"got {average!r}")
    y_true, y_pred = _check_labels_pair(y_true, y_pred)
    present = _union_labels(y_true, y_pred)
    if average == "binary":
        if present.shape[0] > 2:
            raise ValueError(f"average: 'binary' needs at most 2 distinct labels, got {present.shape[0]} "
                             f"({present.tolist()[:10]}); choose average='macro', 'micro', 'weighted' or None")
        if present.shape[0] == 2 and pos_label not in present.tolist():
            raise ValueError(f"pos_label: {pos_label!r} is not one of the labels {present.tolist()}")
        if pos_label not in present.tolist():  # e.g. one class present, not pos_label: all counts 0
            zero = np.zeros(1)
            return zero, zero, zero, zero, np.asarray([pos_label])
        label_arr = present[present == pos_label]
    elif labels is None:
        label_arr = present
    else:
        label_arr = np.asarray(labels)
        if label_arr.ndim != 1 or label_arr.size == 0:
            raise ValueError(f"labels: expected a non-empty 1-D list of labels, got shape {label_arr.shape}")
    w = _check_sample_weight(sample_weight, y_true.shape[0])
    k = label_arr.shape[0]
    ti, pi = _encode(y_true, label_arr), _encode(y_pred, label_arr)
    hit = (ti == pi) & (ti >= 0)
    tp = np.bincount(ti[hit], weights=w[hit], minlength=k)
    pred_count = np.bincount(pi[pi >= 0], weights=w[pi >= 0], minlength=k)
    true_count = np.bincount(ti[ti >= 0], weights=w[ti >= 0], minlength=k)
    return tp, pred_count - tp, true_count - tp, true_count, label_arr


def _safe_ratio(num: npt.ArrayLike, den: npt.ArrayLike, zero_division: float) -> npt.NDArray[np.float64]:
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out = np.full(num.shape, float(zero_division))
    np.divide(num, den, out=out, where=den > 0)
    return out


def _check_zero_division(zero_division: object) -> float:
    ok = isinstance(zero_division, numbers.Real) and not isinstance(zero_division, bool) and (
        zero_division in (0, 1) or np.isnan(float(zero_division)))
    if not ok:
        raise ValueError(f"zero_division: expected 0.0, 1.0 or np.nan, got {zero_division!r}")
    return float(zero_division)  # type: ignore[arg-type]  # a Real, checked just above


def _average(values: np.ndarray, support: np.ndarray, average: Average,
             zero_division: float) -> Union[float, np.ndarray]:
    if average is None:
        return values
    if average == "weighted":
        weights = support
    else:  # macro, binary (one value)
        weights = np.ones_like(values)
    keep = ~np.isnan(values)
    if not keep.any():
        return float(zero_division) if not np.isnan(zero_division) else float("nan")
    wsum = weights[keep].sum()
    if wsum == 0:
        return float(zero_division) if not np.isnan(zero_division) else 0.0
    return float(np.dot(values[keep], weights[keep]) / wsum)


def _prf(kind: str, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Optional[npt.ArrayLike],
         pos_label: object, average: Average, sample_weight: Optional[npt.ArrayLike],
         zero_division: float) -> Union[float, np.ndarray]:
    zero_division = _check_zero_division(zero_division)
    tp, fp, fn, support, _ = _prf_counts(y_true, y_pred, labels, pos_label, average, sample_weight)
    if average == "micro":
        tp, fp, fn = np.array([tp.sum()]), np.array([fp.sum()]), np.array([fn.sum()])
    if kind == "precision":
        values = _safe_ratio(tp, tp + fp, zero_division)
    elif kind == "recall":
        values = _safe_ratio(tp, tp + fn, zero_division)
    else:
        values = _safe_ratio(2 * tp, 2 * tp + fp + fn, zero_division)
    if average == "micro" or average == "binary":
        return float(values[0])
    return _average(values, support, average, zero_division)


def precision_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Optional[npt.ArrayLike] = None,
                    pos_label: object = 1, average: Average = "binary",
                    sample_weight: Optional[npt.ArrayLike] = None,
                    zero_division: float = 0.0) -> Union[float, npt.NDArray[np.float64]]:
    """Precision TP / (TP + FP): the fraction of positive predictions that are right.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Labels of any kind.
    labels : array-like, optional
        The labels to report (and average over) when ``average`` is not "binary". Default: the
        sorted union of the labels present.
    pos_label : label, default=1
        The positive class when ``average="binary"``.
    average : {"binary", "macro", "micro", "weighted"} or None, default="binary"
        "binary": the score of ``pos_label`` only (at most two classes allowed);
        "macro": the unweighted mean of the per-label scores; "weighted": their mean weighted
        by support (number of true samples of each label); "micro": the score of the pooled
        counts ΣTP, ΣFP, ΣFN; None: the per-label scores as an array.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        The value returned where a ratio is 0/0 (e.g. precision of a label never predicted).
        Unlike scikit-learn's default ("warn"), no warning is emitted. With np.nan those labels
        are left out of the averages.

    Returns
    -------
    score : float, or ndarray of shape (n_labels,) when ``average=None``
        The precision TP / (TP + FP), per label in the order of ``labels`` when ``average=None``.

    Raises
    ------
    ValueError
        If ``average="binary"`` meets more than two labels, ``pos_label`` is not one of two
        labels present, or ``average``/``zero_division`` is not one of the options.

    See Also
    --------
    recall_score : the fraction of the positives that are found.
    f1_score : the harmonic mean of precision and recall.

    Examples
    --------
    >>> from mlbasics.metrics import precision_score
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_pred = [0, 1, 0, 0, 1]
    >>> round(precision_score(y_true, y_pred), 4)
    1.0
    >>> y_true = [0, 1, 2, 0, 1, 2]
    >>> y_pred = [0, 2, 1, 0, 0, 2]
    >>> round(precision_score(y_true, y_pred, average="macro"), 4)
    0.3889
    >>> precision_score(y_true, y_pred, average=None).round(3)
    array([0.667, 0.   , 0.5  ])
    """
    return _prf("precision", y_true, y_pred, labels, pos_label, average, sample_weight, zero_division)


def recall_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Optional[npt.ArrayLike] = None,
                 pos_label: object = 1, average: Average = "binary",
                 sample_weight: Optional[npt.ArrayLike] = None,
                 zero_division: float = 0.0) -> Union[float, npt.NDArray[np.float64]]:
    """Recall (true-positive rate) TP / (TP + FN): the fraction of positives found.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Labels of any kind.
    labels : array-like, optional
        The labels to report (and average over) when ``average`` is not "binary". Default: the
        sorted union of the labels present.
    pos_label : label, default=1
        The positive class when ``average="binary"``.
    average : {"binary", "macro", "micro", "weighted"} or None, default="binary"
        "binary": the score of ``pos_label`` only (at most two classes allowed);
        "macro": the unweighted mean of the per-label scores; "weighted": their mean weighted
        by support (number of true samples of each label); "micro": the score of the pooled
        counts ΣTP, ΣFP, ΣFN; None: the per-label scores as an array.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        The value returned where a ratio is 0/0 (e.g. recall of a label absent from ``y_true``).
        Unlike scikit-learn's default ("warn"), no warning is emitted. With np.nan those labels
        are left out of the averages.

    Returns
    -------
    score : float, or ndarray of shape (n_labels,) when ``average=None``
        The recall TP / (TP + FN), per label in the order of ``labels`` when ``average=None``.

    Raises
    ------
    ValueError
        If ``average="binary"`` meets more than two labels, ``pos_label`` is not one of two
        labels present, or ``average``/``zero_division`` is not one of the options.

    See Also
    --------
    precision_score : the fraction of the positive predictions that are right.
    f1_score : the harmonic mean of precision and recall.

    Examples
    --------
    >>> from mlbasics.metrics import recall_score
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_pred = [0, 1, 0, 0, 1]
    >>> round(recall_score(y_true, y_pred), 4)
    0.6667
    >>> y_true = [0, 1, 2, 0, 1, 2]
    >>> y_pred = [0, 2, 1, 0, 0, 2]
    >>> round(recall_score(y_true, y_pred, average="macro"), 4)
    0.5
    >>> recall_score(y_true, y_pred, average=None).round(3)
    array([1. , 0. , 0.5])
    """
    return _prf("recall", y_true, y_pred, labels, pos_label, average, sample_weight, zero_division)


def f1_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: Optional[npt.ArrayLike] = None,
             pos_label: object = 1, average: Average = "binary",
             sample_weight: Optional[npt.ArrayLike] = None,
             zero_division: float = 0.0) -> Union[float, npt.NDArray[np.float64]]:
    """F1 score, the harmonic mean of precision P and recall R.

    .. math:: F_1 = \\frac{2 P R}{P + R} = \\frac{2\\,TP}{2\\,TP + FP + FN}

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        Labels of any kind.
    labels : array-like, optional
        The labels to report (and average over) when ``average`` is not "binary". Default: the
        sorted union of the labels present.
    pos_label : label, default=1
        The positive class when ``average="binary"``.
    average : {"binary", "macro", "micro", "weighted"} or None, default="binary"
        "binary": the score of ``pos_label`` only (at most two classes allowed);
        "macro": the unweighted mean of the per-label scores; "weighted": their mean weighted
        by support (number of true samples of each label); "micro": the score of the pooled
        counts ΣTP, ΣFP, ΣFN; None: the per-label scores as an array.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.
    zero_division : {0.0, 1.0, np.nan}, default=0.0
        The value returned where a ratio is 0/0 (e.g. a label neither present nor predicted).
        Unlike scikit-learn's default ("warn"), no warning is emitted. With np.nan those labels
        are left out of the averages.

    Returns
    -------
    score : float, or ndarray of shape (n_labels,) when ``average=None``
        The F1 score 2 TP / (2 TP + FP + FN), per label in the order of ``labels`` when ``average=None``.

    Raises
    ------
    ValueError
        If ``average="binary"`` meets more than two labels, ``pos_label`` is not one of two
        labels present, or ``average``/``zero_division`` is not one of the options.

    See Also
    --------
    precision_score, recall_score : the two rates F1 combines.

    Examples
    --------
    >>> from mlbasics.metrics import f1_score
    >>> y_true = [0, 1, 1, 0, 1]
    >>> y_pred = [0, 1, 0, 0, 1]
    >>> round(f1_score(y_true, y_pred), 4)
    0.8
    >>> y_true = [0, 1, 2, 0, 1, 2]
    >>> y_pred = [0, 2, 1, 0, 0, 2]
    >>> round(f1_score(y_true, y_pred, average="macro"), 4)
    0.4333
    >>> f1_score(y_true, y_pred, average=None).round(3)
    array([0.8, 0. , 0.5])
    """
    return _prf("f1", y_true, y_pred, labels, pos_label, average, sample_weight, zero_division)


# ---------------------------------------------------------------- ROC
def _binary_scores(y_true: npt.ArrayLike, y_score: npt.ArrayLike, pos_label: object,
                   sample_weight: Optional[npt.ArrayLike]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y_true = check_target(y_true, "y_true", numeric=False)
    y_score = check_target(y_score, "y_score")
    if y_score.shape[0] != y_true.shape[0]:
        raise ValueError(f"y_score: expected {y_true.shape[0]} values (the length of y_true), "
                         f"got {y_score.shape[0]}")
    classes = np.unique(y_true)
    if classes.shape[0] > 2:
        raise ValueError(f"y_true: expected binary labels, got {classes.shape[0]} classes")
    if pos_label is None:
        values = set(classes.tolist()) if classes.dtype.kind in "biuf" else None
        if values is None or not (values <= {0, 1} or values <= {-1, 1}):
            raise ValueError(f"pos_label: must be given when y_true's labels are not {{0, 1}} or "
                             f"{{-1, 1}}; got labels {classes.tolist()}")
        pos_label = 1
    positive = np.asarray(y_true == pos_label, dtype=bool)
    w = _check_sample_weight(sample_weight, y_true.shape[0])
    return positive, y_score.astype(np.float64, copy=False), w


def roc_curve(y_true: npt.ArrayLike, y_score: npt.ArrayLike, pos_label: object = None,
              sample_weight: Optional[npt.ArrayLike] = None, drop_intermediate: bool = True,
              ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Receiver operating characteristic: true- vs false-positive rate at every threshold.

    Predicting "positive" when ``y_score ≥ t``, for each distinct score t taken in decreasing
    order, gives TP(t) and FP(t); then TPR = TP(t)/P and FPR = FP(t)/N with P, N the numbers
    of positive and negative samples. A first point (0, 0) is added with threshold +∞.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels. Unless ``pos_label`` is given they must be {0, 1} or {−1, 1}.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning "more positive" (probabilities or decision values).
    pos_label : label, optional
        The label of the positive class. Default: 1 (for {0, 1} or {−1, 1} labels).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None. TP(t) and FP(t) are then sums of weights.
    drop_intermediate : bool, default=True
        Leave out thresholds whose point lies on the straight segment between its neighbours
        (they do not change the curve's shape or its area).

    Returns
    -------
    fpr : ndarray of shape (n_thresholds,)
        False-positive rates FP(t)/N, increasing from 0 to 1.
    tpr : ndarray of shape (n_thresholds,)
        True-positive rates (recall) TP(t)/P, increasing from 0 to 1.
    thresholds : ndarray of shape (n_thresholds,)
        The thresholds t, decreasing from ``inf``.

    Raises
    ------
    ValueError
        If ``y_true`` holds only positives or only negatives (a rate would be 0/0), more than
        two classes, or labels other than {0, 1}/{−1, 1} without ``pos_label``.

    See Also
    --------
    roc_auc_score : the area under this curve.

    Examples
    --------
    >>> from mlbasics.metrics import roc_curve
    >>> fpr, tpr, thresholds = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> fpr.tolist()
    [0.0, 0.0, 0.5, 0.5, 1.0]
    >>> tpr.tolist()
    [0.0, 0.5, 0.5, 1.0, 1.0]
    >>> thresholds.tolist()
    [inf, 0.8, 0.4, 0.35, 0.1]
    """
    positive, score, w = _binary_scores(y_true, y_score, pos_label, sample_weight)
    order = np.argsort(-score, kind="stable")
    score, positive, w = score[order], positive[order], w[order]
    # Last index of each run of equal scores: the cut points between thresholds.
    last = np.flatnonzero(np.diff(score) != 0)
    last = np.append(last, score.shape[0] - 1)
    tps = np.cumsum(w * positive)[last]
    fps = np.cumsum(w * ~positive)[last]
    thresholds = score[last]
    if drop_intermediate and tps.shape[0] > 2:
        # A point is kept when the curve bends there: a non-zero second difference in FP or TP.
        bend = (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0)
        keep = np.concatenate([[True], bend, [True]])
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    tps = np.concatenate([[0.0], tps])
    fps = np.concatenate([[0.0], fps])
    thresholds = np.concatenate([[np.inf], thresholds])
    if fps[-1] <= 0:
        raise ValueError("y_true: no negative samples, the false-positive rate is undefined")
    if tps[-1] <= 0:
        raise ValueError("y_true: no positive samples, the true-positive rate is undefined")
    return fps / fps[-1], tps / tps[-1], thresholds


def roc_auc_score(y_true: npt.ArrayLike, y_score: npt.ArrayLike,
                  sample_weight: Optional[npt.ArrayLike] = None) -> float:
    """Area under the ROC curve of a binary problem.

    The curve of :func:`roc_curve` is integrated with the trapezoid rule, so tied scores count
    one half (the AUC equals P(s⁺ > s⁻) + ½ P(s⁺ = s⁻) for a random positive/negative pair).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels in {0, 1} or {−1, 1}; other labels: the larger one is the positive class.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning "more positive" (probabilities or decision values).
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.

    Returns
    -------
    float
        The area, in [0, 1]: 1 when every positive scores above every negative, 0.5 for
        scores that do not tell the classes apart.

    Raises
    ------
    ValueError
        If ``y_true`` does not hold exactly two classes.

    See Also
    --------
    roc_curve : the curve whose area this is.

    Examples
    --------
    >>> from mlbasics.metrics import roc_auc_score
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc_score(["spam", "ham", "spam"], [0.9, 0.2, 0.9])  # "spam" > "ham": positive
    1.0
    """
    y_true_arr = check_target(y_true, "y_true", numeric=False)
    classes = np.unique(y_true_arr)
    if classes.shape[0] != 2:
        raise ValueError(f"y_true: the ROC AUC needs exactly 2 classes, got {classes.shape[0]} "
                         f"({classes.tolist()[:10]})")
    fpr, tpr, _ = roc_curve(y_true_arr, y_score, pos_label=classes[1], sample_weight=sample_weight,
                            drop_intermediate=False)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) * 0.5))


# ---------------------------------------------------------------- regression
def _check_regression(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, multioutput: MultiOutput,
                      sample_weight: Optional[npt.ArrayLike],
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Union[str, npt.NDArray[np.float64]]]:
    y_true = check_target(y_true, "y_true", allow_2d=True)
    y_pred = check_target(y_pred, "y_pred", allow_2d=True)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(f"y_pred: expected {y_true.shape[0]} values (the length of y_true), "
                         f"got {y_pred.shape[0]}")
    if y_true.shape[0] == 0:
        raise ValueError("y_true: expected at least one sample, got 0")
    yt = y_true.reshape(y_true.shape[0], -1).astype(np.float64, copy=False)
    yp = y_pred.reshape(y_pred.shape[0], -1).astype(np.float64, copy=False)
    if yt.shape[1] != yp.shape[1]:
        raise ValueError(f"y_pred: expected {yt.shape[1]} output(s) like y_true, got {yp.shape[1]}")
    w = _check_sample_weight(sample_weight, yt.shape[0])
    if isinstance(multioutput, str):
        if multioutput not in ("raw_values", "uniform_average", "variance_weighted"):
            raise ValueError(f"multioutput: expected 'raw_values', 'uniform_average', "
                             f"'variance_weighted' or an array of weights, got {multioutput!r}")
    elif multioutput is not None:
        mw = np.asarray(multioutput, dtype=np.float64)
        if mw.shape != (yt.shape[1],):
            raise ValueError(f"multioutput: expected {yt.shape[1]} weights, got shape {mw.shape}")
        multioutput = mw
    else:
        raise ValueError("multioutput: expected a string or an array of weights, got None")
    return yt, yp, w, multioutput


def mean_squared_error(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, sample_weight: Optional[npt.ArrayLike] = None,
                       multioutput: MultiOutput = "uniform_average") -> Union[float, npt.NDArray[np.float64]]:
    """Mean squared error, per output averaged over samples.

    .. math:: \\text{MSE} = \\frac{\\sum_i w_i (y_i - \\hat y_i)^2}{\\sum_i w_i}

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True and predicted values.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.
    multioutput : {"raw_values", "uniform_average"} or array-like of shape (n_outputs,), \
default="uniform_average"
        How to combine the outputs' errors: return them all, their mean, or a weighted mean.

    Returns
    -------
    float, or ndarray of shape (n_outputs,) for "raw_values"

    Raises
    ------
    ValueError
        If the shapes do not match, the weights sum to zero, or ``multioutput`` is
        "variance_weighted" (defined for :func:`r2_score` only) or not one of the options.

    Examples
    --------
    >>> from mlbasics.metrics import mean_squared_error
    >>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
    0.375
    >>> mean_squared_error([[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0], [3.0, 2.0]],
    ...                    multioutput="raw_values").tolist()
    [0.0, 2.5]
    """
    yt, yp, w, multioutput = _check_regression(y_true, y_pred, multioutput, sample_weight)
    if isinstance(multioutput, str) and multioutput == "variance_weighted":
        raise ValueError("multioutput: 'variance_weighted' is only defined for r2_score")
    if w.sum() == 0:
        raise ValueError("sample_weight: the weights sum to zero")
    per_output = (w @ (yt - yp) ** 2) / w.sum()
    if isinstance(multioutput, str):
        return per_output if multioutput == "raw_values" else float(per_output.mean())
    return float(np.average(per_output, weights=multioutput))


def r2_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, sample_weight: Optional[npt.ArrayLike] = None,
             multioutput: MultiOutput = "uniform_average") -> Union[float, npt.NDArray[np.float64]]:
    """Coefficient of determination R² = 1 − SS_res / SS_tot.

    .. math:: R^2 = 1 - \\frac{\\sum_i w_i (y_i - \\hat y_i)^2}{\\sum_i w_i (y_i - \\bar y)^2},
        \\qquad \\bar y = \\frac{\\sum_i w_i y_i}{\\sum_i w_i}

    1 is a perfect fit, 0 is as good as always predicting the mean, and it can be negative.
    For a constant ``y_true`` (SS_tot = 0) the score is 1 if the prediction is exact and 0
    otherwise (scikit-learn's ``force_finite=True``).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        True and predicted values.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights wᵢ; all 1 when None.
    multioutput : {"raw_values", "uniform_average", "variance_weighted"} or array-like, \
default="uniform_average"
        Combine per-output scores: all of them, their mean, their mean weighted by each
        output's SS_tot, or a weighted mean with the given weights.

    Returns
    -------
    float, or ndarray of shape (n_outputs,) for "raw_values"
        NaN, with an :class:`UndefinedMetricWarning`, for fewer than two samples.

    Raises
    ------
    ValueError
        If the shapes do not match, the weights sum to zero or ``multioutput`` is not one of
        the options.

    Examples
    --------
    >>> from mlbasics.metrics import r2_score
    >>> round(r2_score([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]), 4)
    0.9486
    >>> r2_score([1.0, 2.0, 3.0], [2.0, 2.0, 2.0])  # always the mean
    0.0
    >>> r2_score([1.0, 1.0], [1.0, 1.0])  # constant y_true, exact prediction
    1.0
    """
    yt, yp, w, multioutput = _check_regression(y_true, y_pred, multioutput, sample_weight)
    if yt.shape[0] < 2:
        warnings.warn("r2_score: R² is not defined for fewer than two samples", UndefinedMetricWarning,
                      stacklevel=2)
        return float("nan")
    if w.sum() == 0:
        raise ValueError("sample_weight: the weights sum to zero")
    mean = (w @ yt) / w.sum()
    ss_res = w @ (yt - yp) ** 2
    ss_tot = w @ (yt - mean) ** 2
    scores = np.ones(yt.shape[1])
    ok = ss_tot != 0
    scores[ok] = 1.0 - ss_res[ok] / ss_tot[ok]
    scores[~ok & (ss_res != 0)] = 0.0
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return scores
        if multioutput == "uniform_average":
            return float(scores.mean())
        if ss_tot.sum() == 0:  # variance_weighted with all outputs constant
            return float(scores.mean())
        return float(np.average(scores, weights=ss_tot))
    return float(np.average(scores, weights=multioutput))


# ---------------------------------------------------------------- clustering
def _cluster_codes(labels: np.ndarray, name: str) -> tuple[npt.NDArray[np.intp], int]:
    """Each label's index among the sorted distinct labels, and their number."""
    try:
        classes, codes = np.unique(labels, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in labels.ravel()})
        raise TypeError(f"{name}: labels of mixed types {kinds} cannot be sorted; expected labels that are all "
                        "strings or all numbers") from None
    return codes.reshape(-1), int(classes.shape[0])


def _sum_of_squares(counts: npt.NDArray[np.int64], total: int) -> int:
    """Σ c² of non-negative counts summing to ``total``, exact (Σ c² ≤ total², past int64 in Python ints)."""
    if total < 3_000_000_000:  # total² < 2**63
        return int(np.dot(counts, counts))
    return sum(int(c) * int(c) for c in counts.tolist())


def adjusted_rand_score(labels_true: npt.ArrayLike, labels_pred: npt.ArrayLike) -> float:
    """Rand index adjusted for chance: the agreement of two clusterings of the same samples.

    Of the pairs of samples, count those put together by both labelings (TP), apart by both
    (TN), together only by ``labels_pred`` (FP) or only by ``labels_true`` (FN). The Rand index
    (TP + TN) / (TP + TN + FP + FN) is the fraction of pairs the two agree on; adjusted for its
    expectation under random labelings with the same cluster sizes, it becomes

    .. math:: \\text{ARI} = \\frac{2\\,(TP \\cdot TN - FN \\cdot FP)}
        {(TP + FN)(FN + TN) + (TP + FP)(FP + TN)},

    equal to Hubert and Arabie's form from the contingency table n_ij (samples in true class i
    and predicted cluster j), with row sums a_i and column sums b_j:
    TP = Σ n_ij² − n, FP = Σ b_j² − Σ n_ij², FN = Σ a_i² − Σ n_ij², TN = n² − Σ a_i² − Σ b_j² + Σ n_ij²
    (ordered pairs; the factor 2 cancels). The counts are exact integers whatever n.

    1 means the same partition (the label names do not matter); 0 is the expected value of a
    random labeling; it can be negative. When FP = FN = 0 — the labelings agree on every pair,
    e.g. both put all samples in one cluster, or both put each sample in its own — the score is 1.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)
        Cluster labels of any kind (integers, strings, ...); the two may be of different kinds.
        The score is symmetric in them.

    Returns
    -------
    float
        The adjusted Rand index, at most 1.

    Raises
    ------
    ValueError
        If the lengths differ, there are no samples, or a label is NaN, infinite or missing.

    Examples
    --------
    >>> from mlbasics.metrics import adjusted_rand_score
    >>> adjusted_rand_score([0, 0, 1, 1], [1, 1, 0, 0])  # the same partition, renamed
    1.0
    >>> adjusted_rand_score(["a", "a", "b", "b"], [0, 0, 1, 2])
    0.5714285714285714
    >>> adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1])  # worse than chance
    -0.5
    """
    t = check_target(labels_true, "labels_true", numeric=False)
    p = check_target(labels_pred, "labels_pred", numeric=False)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"labels_pred: expected {t.shape[0]} labels (the length of labels_true), got {p.shape[0]}")
    if t.shape[0] == 0:
        raise ValueError("labels_true: expected at least one sample, got 0")
    ti, _ = _cluster_codes(t, "labels_true")
    pi, k_pred = _cluster_codes(p, "labels_pred")
    n = int(t.shape[0])
    # the non-empty cells of the contingency table (never the k_true × k_pred array itself)
    _, n_ij = np.unique(ti.astype(np.int64) * k_pred + pi, return_counts=True)
    s_ij = _sum_of_squares(n_ij.astype(np.int64), n)
    s_a = _sum_of_squares(np.bincount(ti).astype(np.int64), n)
    s_b = _sum_of_squares(np.bincount(pi).astype(np.int64), n)
    tp, fp, fn = s_ij - n, s_b - s_ij, s_a - s_ij
    tn = n * n - s_a - s_b + s_ij
    if fp == 0 and fn == 0:
        return 1.0
    # Python integers: exact products, and int / int is correctly rounded
    return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


#: Distances are computed this many matrix entries at a time (a block of rows × all samples).
_BLOCK_ENTRIES = 2 ** 21
#: Squared distances below this fraction of ‖xᵢ‖² + ‖xⱼ‖² (X centred) are recomputed from the
#: differences: there ‖x‖² + ‖y‖² − 2 x·y has lost more than ~3 of its 16 digits to cancellation.
_CANCELLATION = 1e-3


def _euclidean_block(Xc: np.ndarray, sq: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Distances from rows ``start:stop`` of the centred ``Xc`` to all its rows, diagonal exactly 0."""
    D = Xc[start:stop] @ Xc.T
    D *= -2.0
    D += sq[start:stop, None]
    D += sq[None, :]
    rows, cols = np.nonzero(D < _CANCELLATION * (sq[start:stop, None] + sq[None, :]))
    step = max(1, 2 ** 20 // max(1, Xc.shape[1]))
    for c in range(0, rows.shape[0], step):  # near pairs, duplicates and the diagonal: from the differences
        r, q = rows[c:c + step], cols[c:c + step]
        diff = Xc[start + r] - Xc[q]
        D[r, q] = np.einsum("ij,ij->i", diff, diff)
    np.maximum(D, 0.0, out=D)
    np.sqrt(D, out=D)
    idx = np.arange(stop - start)
    D[idx, start + idx] = 0.0
    return D


_SILHOUETTE_METRICS = ("euclidean", "precomputed")


def _check_silhouette_input(X: npt.ArrayLike, labels: npt.ArrayLike,
                            metric: str) -> tuple[npt.NDArray[np.float64], np.ndarray]:
    if not isinstance(metric, str):
        raise TypeError(f"metric: expected 'euclidean' or 'precomputed', got {metric!r}")
    if metric not in _SILHOUETTE_METRICS:
        raise ValueError(f"metric: expected 'euclidean' or 'precomputed', got {metric!r} "
                         "(other metrics: pass their distance matrix with metric='precomputed')")
    arr = check_array(X, "X")
    y = check_target(labels, "labels", n_samples=arr.shape[0], numeric=False)
    if metric == "precomputed":
        if arr.shape[0] != arr.shape[1]:
            raise ValueError(f"X: expected a square matrix of distances (n_samples, n_samples) with "
                             f"metric='precomputed', got shape {arr.shape}")
        if np.any(arr < 0):
            raise ValueError(f"X: expected non-negative distances with metric='precomputed', got a minimum "
                             f"of {arr.min()!r}")
        diag = np.abs(np.diagonal(arr))
        if np.any(diag > 100 * np.finfo(arr.dtype).eps):
            raise ValueError(f"X: expected zeros on the diagonal of a precomputed distance matrix (the distance "
                             f"of a sample to itself), got a value of {diag.max()!r}; use np.fill_diagonal(X, 0)")
    return arr.astype(np.float64, copy=False), y


def _silhouette(X: npt.NDArray[np.float64], y: np.ndarray, metric: str,
                sampled: str = "") -> npt.NDArray[np.float64]:
    """s(i) of every sample of checked input (see :func:`silhouette_samples`)."""
    codes, k = _cluster_codes(y, "labels")
    n = X.shape[0]
    if not 2 <= k <= n - 1:
        raise ValueError(f"labels: the silhouette needs 2 to n_samples - 1 = {n - 1} distinct labels, got {k} "
                         f"label(s) in {n} sample(s){sampled}")
    # Samples sorted by cluster (stably: each cluster's sums run in the original order), so each
    # cluster is a contiguous run of columns and one reduceat sums a block's distances per cluster.
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    counts = np.bincount(codes, minlength=k)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    if metric == "euclidean":
        Xc = X[order]  # a C-ordered copy, so the result does not depend on X's memory layout
        Xc -= Xc.mean(axis=0)  # centred: less cancellation in ‖x‖² + ‖y‖² − 2 x·y
        sq = np.einsum("ij,ij->i", Xc, Xc)
    a = np.empty(n)
    b = np.empty(n)
    block = max(1, _BLOCK_ENTRIES // n)
    for start in range(0, n, block):
        stop = min(n, start + block)
        if metric == "euclidean":
            D = _euclidean_block(Xc, sq, start, stop)
        else:
            D = X[np.ix_(order[start:stop], order)]
            idx = np.arange(stop - start)
            D[idx, start + idx] = 0.0
        sums = np.add.reduceat(D, starts, axis=1)  # (rows, k): Σ of distances to each cluster
        rows = np.arange(stop - start)
        own = sorted_codes[start:stop]
        a[start:stop] = sums[rows, own]
        sums[rows, own] = np.inf
        sums /= counts
        b[start:stop] = sums.min(axis=1)
    own_size = counts[sorted_codes]
    singleton = own_size == 1
    a /= np.where(singleton, 1, own_size - 1)
    top = np.maximum(a, b)
    s = np.zeros(n)
    np.divide(b - a, top, out=s, where=(top > 0) & ~singleton)  # s = 0 for singletons and for a = b = 0
    out = np.empty(n)
    out[order] = s
    return out


def silhouette_samples(X: npt.ArrayLike, labels: npt.ArrayLike, *,
                       metric: Literal["euclidean", "precomputed"] = "euclidean") -> npt.NDArray[np.float64]:
    """Silhouette coefficient of every sample: how much closer it is to its own cluster than to the next.

    For sample i of cluster C_i, with d the distance:

    .. math:: a(i) = \\frac{1}{|C_i| - 1} \\sum_{j \\in C_i, j \\ne i} d(i, j), \\qquad
        b(i) = \\min_{C \\ne C_i} \\frac{1}{|C|} \\sum_{j \\in C} d(i, j), \\qquad
        s(i) = \\frac{b(i) - a(i)}{\\max(a(i), b(i))}

    s(i) lies in [−1, 1]: near 1 the sample sits well inside its cluster, near 0 on the border
    between two, negative nearer to another cluster than to its own. By convention s(i) = 0 when
    i is alone in its cluster (and when a(i) = b(i) = 0). Distances are computed a block of rows
    at a time: memory O(block × n_samples), never n_samples².

    Parameters
    ----------
    X : array-like (n_samples, n_features), or (n_samples, n_samples) if ``metric="precomputed"``
        The samples, or their distance matrix (non-negative, zero on the diagonal).
    labels : array-like of shape (n_samples,)
        Cluster labels of any kind; 2 to n_samples − 1 distinct ones.
    metric : {"euclidean", "precomputed"}, default="euclidean"
        Euclidean distances between the rows of X, or X is the distance matrix. (For another
        metric, compute its matrix and pass "precomputed".)

    Returns
    -------
    ndarray of shape (n_samples,), float64
        s(i) for every sample.

    Raises
    ------
    ValueError
        If the number of distinct labels is not in 2 … n_samples − 1, X is not finite, or a
        precomputed matrix is not square, has negative entries or a non-zero diagonal.

    See Also
    --------
    silhouette_score : the mean of these values.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.metrics import silhouette_samples
    >>> X = [[0.0], [1.0], [5.0], [7.0]]
    >>> np.round(silhouette_samples(X, [0, 0, 1, 1]), 4)  # sample 1: a = 1, b = (4 + 6) / 2 = 5
    array([0.8333, 0.8   , 0.5556, 0.6923])
    """
    arr, y = _check_silhouette_input(X, labels, metric)
    return _silhouette(arr, y, metric)


def silhouette_score(X: npt.ArrayLike, labels: npt.ArrayLike, *,
                     metric: Literal["euclidean", "precomputed"] = "euclidean", sample_size: Optional[int] = None,
                     random_state: RandomStateLike = None) -> float:
    """Mean silhouette coefficient of the samples: a clustering's quality without true labels.

    The mean of s(i) over the samples (see :func:`silhouette_samples` for s), between −1 and 1;
    higher means denser, better separated clusters. It is often used to choose the number of
    clusters.

    Parameters
    ----------
    X : array-like (n_samples, n_features), or (n_samples, n_samples) if ``metric="precomputed"``
        The samples, or their distance matrix (non-negative, zero on the diagonal).
    labels : array-like of shape (n_samples,)
        Cluster labels of any kind; 2 to n_samples − 1 distinct ones (in the sample, if drawn).
    metric : {"euclidean", "precomputed"}, default="euclidean"
        Euclidean distances between the rows of X, or X is the distance matrix.
    sample_size : int ≥ 1 or None, default=None
        Score a random subset of this many samples (drawn without replacement; all of them if
        ``sample_size ≥ n_samples``) instead of all: the cost falls from n² to sample_size²
        distances.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seed of the subset; used only with ``sample_size``.

    Returns
    -------
    float
        The mean silhouette coefficient.

    Raises
    ------
    ValueError
        As :func:`silhouette_samples`, and when ``sample_size`` is not a positive int.

    Examples
    --------
    >>> from mlbasics.datasets import make_blobs
    >>> from mlbasics.metrics import silhouette_score
    >>> X, y = make_blobs(n_samples=300, centers=[[0, 0], [10, 0], [0, 10]], random_state=0)
    >>> round(silhouette_score(X, y), 2)  # well separated
    0.82
    >>> round(silhouette_score(X, y, sample_size=100, random_state=0), 1)
    0.8
    """
    arr, y = _check_silhouette_input(X, labels, metric)
    check_param("sample_size", sample_size, [Interval(numbers.Integral, 1, None), None])
    check_param("random_state", random_state, ["random_state"])
    sampled = ""
    if sample_size is not None:
        keep = check_random_state(random_state).permutation(arr.shape[0])[:int(sample_size)]
        arr = arr[np.ix_(keep, keep)] if metric == "precomputed" else arr[keep]
        y = y[keep]
        sampled = f" (a random sample of sample_size={sample_size} rows)"
    return float(np.mean(_silhouette(arr, y, metric, sampled)))
