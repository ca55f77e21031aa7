"""The kernel contract, family ``losses``: fused loss-and-gradient kernels (softmax and binary cross-entropy, mean squared error).

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks as v
from ._fast import _F32, _F64, _I64, _U64, _max, _ndarray

KERNELS = ("softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse")


class LossesContract:
    """The loss kernels; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    def softmax_cross_entropy(self, logits: ArrayLike, y: ArrayLike,
                              sample_weight: ArrayLike | None = None) -> tuple[np.floating, np.ndarray]:
        """Mean softmax cross-entropy and its gradient.

        ``p = softmax(logits)`` row-wise; ``loss = −(1/n) Σᵢ log p[i, yᵢ]``;
        ``grad_logits = (p − onehot(y)) / n``. Stable for logits of any magnitude.

        With ``sample_weight`` w, the weighted mean (scikit-learn's weighted objectives, so that an
        integer weight counts as that many copies of the row and a zero weight as no row):
        ``loss = −Σᵢ wᵢ log p[i, yᵢ] / Σᵢ wᵢ`` and ``grad_logits[i] = wᵢ (pᵢ − onehot(yᵢ)) / Σⱼ wⱼ``;
        w = 1 gives the unweighted kernel.

        Parameters
        ----------
        logits : (n, C) float array, n ≥ 1
        y : (n,) integer array of labels in [0, C)
        sample_weight : (n,) array of logits' dtype, optional
            Finite, >= 0, with a positive sum (checked). None: every row weighs 1.

        Returns
        -------
        loss : scalar of logits' dtype;  grad_logits : (n, C) array

        Non-finite values: each row is shifted by its maximum (as ``logits.max(axis=1)``), so a
        row containing a NaN, or a +inf (inf − inf), or only −inf gives a NaN gradient row and a
        NaN loss term. Other −inf logits have probability 0 (finite gradient); a −inf logit at
        the label makes that row's loss term +inf. The mean is NaN if any term is NaN, else +inf
        if any term is +inf. Weighted, each term and gradient row is multiplied by its weight as
        written: a zero weight does not hide a NaN (0·NaN is NaN, and 0·(+inf) makes the term NaN).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import softmax_cross_entropy
        >>> loss, grad = softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 2]), backend="numpy")
        >>> round(float(loss), 4)  # log 3
        1.0986
        >>> np.round(grad, 3)
        array([[-0.333,  0.167,  0.167],
               [ 0.167,  0.167, -0.333]])
        >>> loss, grad = softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 2]), np.array([3.0, 1.0]),
        ...                                    backend="numpy")
        >>> np.round(grad, 3)  # the rows weigh 3/4 and 1/4
        array([[-0.5  ,  0.25 ,  0.25 ],
               [ 0.083,  0.083, -0.167]])
        """
        # Fast path: C-contiguous logits (n ≥ 1, C ≥ 1) and int64 labels in range. Seen as uint64,
        # a negative label is ≥ 2⁶³, so one max checks both ends of [0, C).
        if (sample_weight is None and type(logits) is _ndarray and type(y) is _ndarray and logits.ndim == 2
                and y.ndim == 1
                and ((dtype := logits.dtype) is _F32 or dtype is _F64) and y.dtype is _I64
                and logits.shape[0] == y.shape[0] > 0 and logits.shape[1] > 0
                and (f := logits.flags).c_contiguous and f.aligned and (f := y.flags).c_contiguous and f.aligned
                and _max(y.view(_U64)) < logits.shape[1]):
            grad = np.empty_like(logits)
            loss = self._raw.softmax_cross_entropy(logits, y, grad)
            return dtype.type(loss), grad
        # Full path.
        logits = v.float_array(logits, "logits", 2)
        n, c = logits.shape
        if n == 0 or c == 0:
            raise ValueError(f"logits: expected at least one row and one column, got shape {logits.shape}")
        y = v.int_labels(y, "y", n, c)
        w = None
        if sample_weight is not None:
            w = v.sample_weights(sample_weight, "sample_weight", n, logits.dtype, positive_sum=True, of="logits")
        logits = np.ascontiguousarray(logits)
        grad = np.empty_like(logits)
        loss = (self._raw.softmax_cross_entropy(logits, y, grad) if w is None
                else self._raw.softmax_cross_entropy(logits, y, grad, w))
        return logits.dtype.type(loss), grad

    def binary_cross_entropy_with_logits(self, logits: ArrayLike, y: ArrayLike,
                                         sample_weight: ArrayLike | None = None) -> tuple[np.floating, np.ndarray]:
        """Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1].

        ``loss = (1/n) Σᵢ [max(xᵢ, 0) − xᵢ yᵢ + log(1 + exp(−|xᵢ|))]`` (= torch's
        ``BCEWithLogitsLoss``); ``grad = (sigmoid(x) − y) / n``. Soft targets are allowed.

        With ``sample_weight`` w, the weighted mean: ``loss = Σᵢ wᵢ ℓᵢ / Σᵢ wᵢ`` (ℓᵢ the term
        above) and ``grad[i] = wᵢ (sigmoid(xᵢ) − yᵢ) / Σⱼ wⱼ`` (torch's ``weight=``, normalized by
        the weights' sum as scikit-learn's weighted objectives are).

        Parameters
        ----------
        logits : (n,) float array, n ≥ 1
        y : (n,) float array of logits' dtype, values in [0, 1]
        sample_weight : (n,) array of logits' dtype, optional
            Finite, >= 0, with a positive sum (checked). None: every element weighs 1.

        Returns
        -------
        loss : scalar of logits' dtype;  grad_logits : (n,) array

        Non-finite values: sigmoid(+inf) = 1 and sigmoid(−inf) = 0 exactly, so the gradient is
        finite for ±inf logits and NaN for NaN ones. The loss term is evaluated as written:
        +inf gives NaN (inf − inf, or inf·0 for y = 0), −inf gives +inf for y > 0 and NaN for
        y = 0 (−inf·0), NaN gives NaN; the mean propagates them. Targets must be finite (checked).
        Weighted, every term and gradient element is multiplied by its weight as written (a zero
        weight keeps a NaN term NaN and makes a +inf term NaN).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import binary_cross_entropy_with_logits
        >>> loss, grad = binary_cross_entropy_with_logits(np.zeros(2), np.array([0.0, 1.0]), backend="numpy")
        >>> round(float(loss), 4), grad  # log 2
        (0.6931, array([ 0.25, -0.25]))
        >>> binary_cross_entropy_with_logits(np.zeros(2), np.array([0.0, 1.0]), np.array([3.0, 1.0]),
        ...                                  backend="numpy")[1]
        array([ 0.375, -0.125])
        """
        logits = v.float_array(logits, "logits", 1)
        y = v.float_array(y, "y", 1)
        v.same_dtype("logits", logits, y=y)
        if logits.shape[0] == 0:
            raise ValueError("logits: expected at least one element, got 0")
        v.check_shape("y", y, logits.shape)
        if not (y.min() >= 0 and y.max() <= 1):
            raise ValueError(f"y: targets must lie in [0, 1], got values in [{y.min()}, {y.max()}]")
        w = None
        if sample_weight is not None:
            w = v.sample_weights(sample_weight, "sample_weight", logits.shape[0], logits.dtype, positive_sum=True,
                                 of="logits")
        logits, y = np.ascontiguousarray(logits), np.ascontiguousarray(y)
        grad = np.empty_like(logits)
        loss = (self._raw.binary_cross_entropy_with_logits(logits, y, grad) if w is None
                else self._raw.binary_cross_entropy_with_logits(logits, y, grad, w))
        return logits.dtype.type(loss), grad

    def mse(self, pred: ArrayLike, target: ArrayLike,
            sample_weight: ArrayLike | None = None) -> tuple[np.floating, np.ndarray]:
        """Mean squared error over all elements and its exact gradient.

        ``loss = (1/N) Σ (pred − target)²``;  ``grad_pred = 2 (pred − target) / N``.
        ``pred`` and ``target`` must have the same shape (no broadcasting).

        With ``sample_weight`` w, one weight per row (index along the first axis) of pred, each row
        holding k = N / n elements: ``loss = Σᵢ wᵢ Σⱼ (predᵢⱼ − targetᵢⱼ)² / (k Σᵢ wᵢ)`` and
        ``grad_pred[i] = 2 wᵢ (predᵢ − targetᵢ) / (k Σⱼ wⱼ)`` — per output the weighted mean over
        rows, then the mean over the k outputs (scikit-learn's weighted squared error); w = 1 gives
        the unweighted kernel.

        Parameters
        ----------
        pred : float array of any shape, at least one element
        target : float array of pred's shape and dtype
        sample_weight : (n,) array of pred's dtype, n = pred.shape[0], optional
            Finite, >= 0, with a positive sum (checked); pred must have at least one dimension.

        Returns
        -------
        loss : scalar of pred's dtype;  grad_pred : array of pred's shape

        Non-finite values: ``d = pred − target`` element by element (NaN for NaN, inf − inf),
        ``grad = 2d/N`` keeps d's NaN/±inf; the loss is NaN if any d is NaN, else +inf if any d
        is infinite. Weighted, each d² and gradient element is multiplied by its row's weight as
        written (a zero weight keeps a NaN NaN and makes an infinite d² NaN).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import mse
        >>> loss, grad = mse(np.array([1.0, 2.0]), np.zeros(2), backend="numpy")
        >>> float(loss), grad
        (2.5, array([1., 2.]))
        >>> float(mse(np.array([1.0, 2.0]), np.zeros(2), np.array([1.0, 3.0]), backend="numpy")[0])
        3.25
        """
        pred = v.float_array(pred, "pred")
        target = v.float_array(target, "target")
        v.same_dtype("pred", pred, target=target)
        v.check_shape("target", target, pred.shape)
        if pred.size == 0:
            raise ValueError("pred: expected at least one element, got 0")
        w = None
        if sample_weight is not None:
            if pred.ndim == 0:
                raise ValueError("sample_weight: weighs the rows of pred, but pred is 0-D; pass pred of shape (n, ...)")
            w = v.sample_weights(sample_weight, "sample_weight", pred.shape[0], pred.dtype, positive_sum=True,
                                 of="pred")
        p = np.ascontiguousarray(pred).reshape(-1)
        t = np.ascontiguousarray(target).reshape(-1)
        grad = np.empty_like(p)
        loss = self._raw.mse(p, t, grad) if w is None else self._raw.mse(p, t, grad, w)
        return pred.dtype.type(loss), grad.reshape(pred.shape)

