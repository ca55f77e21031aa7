"""Feature maps and scaling: the course's basis functions φ(x), standardization, one-hot codes.

* :class:`PolynomialFeatures` is the "generalized linear regression" lift
  x ↦ φ(x) = [1, x₁, …, x_D, x₁², x₁x₂, …]ᵀ ∈ ℝᴹ: a linear model on φ(x) is a polynomial in x.
* :class:`StandardScaler` maps each feature to zero mean and unit variance,
  x̃ⱼ = (xⱼ − μⱼ) / σⱼ, which puts penalties such as λ‖w‖² on an equal footing across features
  and conditions gradient descent.
* :func:`one_hot` is the course's one-of-C coding of class labels.
"""
from __future__ import annotations

import itertools
import numbers
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _chunked, _rows
from ._base import BaseEstimator, TransformerMixin, fit_context
from ._sparse import issparse
from ._validation import Interval, check_array, check_is_fitted, check_n_features, check_sample_weight, check_scalar

__all__ = ["PolynomialFeatures", "StandardScaler", "one_hot"]


def _input_names(est: Any, input_features: Sequence[Any] | None) -> np.ndarray:
    """The input feature names: given ones (checked against fit), else ``feature_names_in_``, else
    ``x0, x1, …``."""
    fitted = getattr(est, "feature_names_in_", None)
    if input_features is None:
        if fitted is not None:
            return np.asarray(fitted, dtype=object)
        return np.asarray([f"x{j}" for j in range(est.n_features_in_)], dtype=object)
    names = np.asarray([str(f) for f in input_features], dtype=object)
    if len(names) != est.n_features_in_:
        raise ValueError(f"input_features: expected {est.n_features_in_} names, got {len(names)}")
    if fitted is not None and not np.array_equal(names, fitted):
        raise ValueError(f"input_features: expected the names seen in fit {list(fitted)}, got {list(names)}")
    return names


class PolynomialFeatures(TransformerMixin, BaseEstimator):
    """All monomials of the input features up to a given degree.

    For x ∈ ℝᴰ and degree K the output is φ(x) = (∏ⱼ xⱼ^{pⱼ}) for every exponent vector
    p ∈ ℕᴰ with 1 ≤ Σⱼ pⱼ ≤ K (plus the constant 1 when ``include_bias``); with
    ``interaction_only`` every pⱼ ∈ {0, 1}. In one dimension this is the course's
    φ(x) = [1, x, x², …, x^K]ᵀ, and a linear model ⟨w, φ(x)⟩ = w₀ + w₁x + … + w_K x^K.

    Columns are ordered by total degree, then lexicographically by the (sorted) list of features
    multiplied: for D = 2, K = 2 the columns are 1, x₀, x₁, x₀², x₀x₁, x₁² (scikit-learn's
    order).

    Parameters
    ----------
    degree : int, default=2
        Maximal total degree K ≥ 0.
    include_bias : bool, default=True
        Include the constant column (degree 0).
    interaction_only : bool, default=False
        Only products of distinct features (no powers xⱼ² …).

    Attributes
    ----------
    n_features_in_ : int
    n_output_features_ : int
        M, the number of output columns.
    powers_ : ndarray of shape (n_output_features_, n_features_in_)
        ``powers_[m, j]`` is the exponent of xⱼ in output column m.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.preprocessing import PolynomialFeatures
    >>> poly = PolynomialFeatures(degree=2).fit(np.zeros((1, 2)))
    >>> poly.transform([[2.0, 3.0]])
    array([[1., 2., 3., 4., 6., 9.]])
    >>> poly.get_feature_names_out().tolist()
    ['1', 'x0', 'x1', 'x0^2', 'x0 x1', 'x1^2']
    """

    _parameter_constraints = {
        "degree": [Interval(numbers.Integral, 0, None)],
        "include_bias": ["boolean"],
        "interaction_only": ["boolean"],
    }

    def __init__(self, degree: int = 2, include_bias: bool = True, interaction_only: bool = False) -> None:
        self.degree = degree
        self.include_bias = include_bias
        self.interaction_only = interaction_only

    def _combinations(self, n_features: int) -> Iterator[tuple[int, ...]]:
        comb = itertools.combinations if self.interaction_only else itertools.combinations_with_replacement
        start = 0 if self.include_bias else 1
        for d in range(start, self.degree + 1):
            yield from comb(range(n_features), d)

    @fit_context
    def fit(self, X: ArrayLike, y: Any = None) -> PolynomialFeatures:
        """Compute the output powers for X's number of features; returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Only its number of columns is used.
        y : ignored

        Returns
        -------
        self : PolynomialFeatures
            The fitted transformer.
        """
        self._validate_params()
        self._check_feature_names(X, reset=True)
        X = check_array(X, "X")
        n_features = X.shape[1]
        combos = list(self._combinations(n_features))
        if not combos:
            raise ValueError(f"degree: degree={self.degree} with include_bias=False gives no output "
                             "features; use degree >= 1 or include_bias=True")
        powers = np.zeros((len(combos), n_features), dtype=np.int64)
        for m, c in enumerate(combos):
            for j in c:
                powers[m, j] += 1
        self._combos = combos
        self.powers_ = powers
        self.n_features_in_ = n_features
        self.n_output_features_ = len(combos)
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
        """φ(X): an array of shape (n_samples, n_output_features_) of X's float dtype.

        Each monomial of degree d is the product of a degree-(d − 1) monomial (already
        computed) and one feature, so every column costs one multiplication per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)

        Returns
        -------
        XP : ndarray of shape (n_samples, n_output_features_)
        """
        check_is_fitted(self, "powers_")
        self._check_feature_names(X, reset=False)
        X_in, X = X, check_array(X, "X")
        check_n_features(self, X)
        out = np.empty((X.shape[0], self.n_output_features_), dtype=X.dtype, order="C")
        columns: dict[tuple[int, ...], int] = {}
        for m, c in enumerate(self._combos):
            if len(c) == 0:
                out[:, m] = 1.0
            elif len(c) == 1:
                out[:, m] = X[:, c[0]]
            else:
                np.multiply(out[:, columns[c[:-1]]], X[:, c[-1]], out=out[:, m])
            columns[c] = m
        return self._wrap_output(out, X_in)

    def get_feature_names_out(self, input_features: Sequence[Any] | None = None) -> np.ndarray:
        """Names such as ``"1"``, ``"x0"``, ``"x0^2"``, ``"x0 x1"`` of the output columns.

        Parameters
        ----------
        input_features : list of str, optional
            Names of the input features; default ``x0, x1, …``.

        Returns
        -------
        names : ndarray of shape (n_output_features_,), dtype object
            Factors joined by spaces, a power as ``name^p``, the constant column ``"1"``.
        """
        check_is_fitted(self, "powers_")
        input_features = list(_input_names(self, input_features))
        names = []
        for row in self.powers_:
            parts = [input_features[j] if p == 1 else f"{input_features[j]}^{p}"
                     for j, p in enumerate(row) if p > 0]
            names.append(" ".join(parts) if parts else "1")
        return np.asarray(names, dtype=object)


class StandardScaler(TransformerMixin, BaseEstimator):
    """Standardize features: x̃ⱼ = (xⱼ − μⱼ) / σⱼ.

    μⱼ = (1/N) Σᵢ xᵢⱼ and σⱼ² = (1/N) Σᵢ (xᵢⱼ − μⱼ)² (the biased variance, as scikit-learn).
    A constant feature (σⱼ = 0) keeps σⱼ := 1, so it is only centered.

    With ``sample_weight`` s the statistics are weighted as scikit-learn's:
    μⱼ = Σᵢ sᵢxᵢⱼ / Σ s and σⱼ² = Σᵢ sᵢ(xᵢⱼ − μⱼ)² / Σ s; a feature constant over the samples of
    positive weight counts as constant (a sample of weight 0 counts as absent).

    Parameters
    ----------
    with_mean : bool, default=True
        Subtract μ. Must be False for sparse X (centring would make it dense; ValueError).
    with_std : bool, default=True
        Divide by σ.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        μ, None when neither centering nor scaling.
    var_ : ndarray of shape (n_features,) or None
        σ², None when ``with_std=False``.
    scale_ : ndarray of shape (n_features,) or None
        σ with zeros replaced by 1, None when ``with_std=False``.
    n_features_in_ : int
    n_samples_seen_ : int or float
        N, or Σ s (a float) when fitted with ``sample_weight`` (as scikit-learn).

    Notes
    -----
    Sparse X (scipy.sparse CSR or CSC, matrix or array) needs ``with_mean=False``, as in
    scikit-learn, and stays sparse: μ and σ come from the stored entries per column (np.bincount;
    σ² two-pass, Σ over stored entries of (x − μ)² plus μ² for each implicit zero; weighted with
    ``sample_weight``), with duplicate
    entries summed first (a copy when there are any), and ``transform`` /
    ``inverse_transform`` return a sparse matrix of the same format and class whose stored values
    are divided / multiplied by σ. Sparse output exists only as scipy.sparse: with
    ``set_output(transform="pandas")`` (or polars) it is a ValueError.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.preprocessing import StandardScaler
    >>> X = np.array([[1.0, 10.0], [3.0, 10.0]])
    >>> scaler = StandardScaler().fit(X)
    >>> scaler.mean_, scaler.scale_  # the constant second column keeps σ = 1
    (array([ 2., 10.]), array([1., 1.]))
    >>> scaler.transform(X)
    array([[-1.,  0.],
           [ 1.,  0.]])
    >>> scaler.inverse_transform(scaler.transform(X))
    array([[ 1., 10.],
           [ 3., 10.]])
    """

    _parameter_constraints = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    # Fitted statistics: float64 ndarrays, or None as documented above.
    mean_: Any
    var_: Any
    scale_: Any

    def __init__(self, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    @fit_context
    def fit(self, X: ArrayLike, y: Any = None, sample_weight: ArrayLike | None = None) -> StandardScaler:
        """Compute μ and σ of each column of X (statistics in float64); returns self.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum; None weighs every sample 1.

        Returns
        -------
        self : StandardScaler
            The fitted transformer.
        """
        self._validate_params()
        self._check_feature_names(X, reset=True)
        if issparse(X):
            return self._fit_sparse(X, sample_weight)
        if not _chunked.stream_fit(X, sample_weight):  # weighted: in memory
            X = check_array(X, "X")
            X64 = X.astype(np.float64, copy=False)
            sw = check_sample_weight(sample_weight, X.shape[0])
            self.n_features_in_ = X.shape[1]
            self.n_samples_seen_ = float(sw.sum())
            if not (self.with_mean or self.with_std):
                self.mean_ = self.var_ = self.scale_ = None
                return self
            mean = np.average(X64, axis=0, weights=sw)
            if self.with_std:
                constant = np.ptp(X64[sw > 0], axis=0) == 0
                var = np.average((X64 - mean) ** 2, axis=0, weights=sw)
        else:
            # one pass over row blocks of X (views of an ndarray; memmaps, array-likes and dask
            # arrays alike): per-block means and centred sums of squares merged pairwise, no copy
            src = _rows.as_rows(X, "X")
            stats = _chunked.moments([src], None, diag=True)
            stats.check(("X", False))
            self.n_features_in_ = src.shape[1]
            self.n_samples_seen_ = src.shape[0]
            if not (self.with_mean or self.with_std):
                self.mean_ = self.var_ = self.scale_ = None
                return self
            mean = stats.mean
            if self.with_std:
                constant = _chunked.constant_columns(src, stats)
                var = stats.M / stats.n  # centred in every block, merged exactly: no cancellation
        self.mean_ = mean
        if self.with_std:
            var[constant] = 0.0
            scale = np.sqrt(var)
            scale[constant | (scale == 0)] = 1.0
            self.var_, self.scale_ = var, scale
        else:
            self.var_ = self.scale_ = None
        return self

    def _fit_sparse(self, X: Any, sample_weight: Any) -> StandardScaler:
        X = check_array(X, "X", accept_sparse=True)
        sw = check_sample_weight(sample_weight, X.shape[0], keep_none=True)
        self._check_sparse_centering()
        self.n_features_in_ = X.shape[1]
        self.n_samples_seen_ = X.shape[0] if sw is None else float(sw.sum())
        if not self.with_std:
            self.mean_ = self.var_ = self.scale_ = None
        else:
            self.mean_, self.var_, self.scale_ = _sparse_column_stats(X, sw)
        return self

    def _prepare(self, X: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "n_samples_seen_")
        self._check_feature_names(X, reset=False)
        X = check_array(X, "X")
        check_n_features(self, X)
        return X

    def _prepare_sparse(self, X: Any) -> Any:
        check_is_fitted(self, "n_samples_seen_")
        self._check_feature_names(X, reset=False)
        X = check_array(X, "X", accept_sparse=True)
        check_n_features(self, X)
        self._check_sparse_centering()
        return X

    def _check_sparse_centering(self) -> None:
        if self.with_mean:
            raise ValueError("with_mean: cannot center sparse X (centring makes it dense); pass with_mean=False to "
                             "scale sparse X, or convert it with X.toarray()")

    def _scale_sparse(self, X: Any, inverse: bool) -> Any:
        """X's stored values divided (multiplied, if ``inverse``) by σ of their column; same format and dtype."""
        out = X.astype(np.float64, copy=True)
        if self.with_std:
            nnz = int(out.indptr[-1])
            factor = self.scale_ if inverse else 1.0 / self.scale_
            out.data[:nnz] *= factor[_entry_columns(out)]
        out = out.astype(X.dtype, copy=False)
        kind = getattr(self, "_output_transform", None)
        if kind is None and "sklearn" in sys.modules:
            kind = sys.modules["sklearn"].get_config().get("transform_output", "default")
        if kind not in (None, "default"):
            raise ValueError(f"set_output: {kind} output does not support sparse data (a sparse X is transformed "
                             "into a sparse matrix); use set_output(transform='default') or densify X")
        return out

    def _accepts_sparse(self) -> bool:
        return not self.with_mean

    def transform(self, X: ArrayLike) -> np.ndarray:
        """x̃ = (x − μ) / σ, in X's float dtype.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)

        Returns
        -------
        X_scaled : ndarray of shape (n_samples, n_features_in_)
            (a lazy dask array, computed per row chunk, when X is a dask array)
        """
        if _chunked.is_dask_array(X):
            check_is_fitted(self, "n_samples_seen_")
            return _rows.dask_map(self.transform, X, self.n_features_in_, self.n_features_in_)
        if issparse(X):
            return self._scale_sparse(self._prepare_sparse(X), inverse=False)
        X_in, X = X, self._prepare(X)
        out = X.astype(np.float64, copy=True)
        if self.with_mean:
            out -= self.mean_
        if self.with_std:
            out /= self.scale_
        return self._wrap_output(out.astype(X.dtype, copy=False), X_in)

    def get_feature_names_out(self, input_features: Sequence[Any] | None = None) -> np.ndarray:
        """Names of the output columns: the input feature names (scaling keeps each column).

        Parameters
        ----------
        input_features : sequence of str, optional
            Default: ``feature_names_in_`` when fitted on named columns, else ``x0, x1, …``.

        Returns
        -------
        names : ndarray of shape (n_features_in_,), dtype object
        """
        check_is_fitted(self, "n_samples_seen_")
        return _input_names(self, input_features)

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """x = x̃ σ + μ, the inverse of :meth:`transform`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features_in_)
            Standardized data.

        Returns
        -------
        X_orig : ndarray of shape (n_samples, n_features_in_) (lazy for a dask X)
        """
        if _chunked.is_dask_array(X):
            check_is_fitted(self, "n_samples_seen_")
            return _rows.dask_map(self.inverse_transform, X, self.n_features_in_, self.n_features_in_)
        if issparse(X):
            return self._scale_sparse(self._prepare_sparse(X), inverse=True)
        X = self._prepare(X)
        out = X.astype(np.float64, copy=True)
        if self.with_std:
            out *= self.scale_
        if self.with_mean:
            out += self.mean_
        return out.astype(X.dtype, copy=False)


def _entry_columns(X: Any) -> np.ndarray:
    """The column of each stored entry of a CSR or CSC X (the first ``indptr[-1]`` entries)."""
    nnz = int(X.indptr[-1])
    if X.format == "csr":
        return X.indices[:nnz]
    return np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))


def _sparse_column_stats(X: Any, sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """μ, σ² and σ (constant columns: σ² = 0, σ = 1) of a sparse X's columns, implicit zeros
    included, from its stored entries (duplicates summed first); weighted means and variances
    with ``sample_weight`` (constancy among the samples of positive weight, as the dense path)."""
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    n, p = X.shape
    cols = _entry_columns(X)
    vals = X.data[:cols.shape[0]].astype(np.float64)
    if sample_weight is None:
        ew, total, rows_kept = None, float(n), n
    else:
        rows = X.indices[:cols.shape[0]] if X.format == "csc" else np.repeat(np.arange(n), np.diff(X.indptr))
        ew = sample_weight[rows]  # each entry's sample weight
        total, rows_kept = float(sample_weight.sum()), int(np.count_nonzero(sample_weight))
    col_weight = np.bincount(cols, weights=ew, minlength=p)  # Σ of the weights of the stored entries
    mean = np.bincount(cols, weights=vals if ew is None else vals * ew, minlength=p) / total
    dev = vals - mean[cols]
    sq = dev * dev if ew is None else dev * dev * ew
    var = (np.bincount(cols, weights=sq, minlength=p) + (total - col_weight) * mean * mean) / total
    if ew is not None:  # constancy among the samples that weigh something
        keep = ew > 0
        cols, vals = cols[keep], vals[keep]
    counts = np.bincount(cols, minlength=p)
    hi = np.full(p, -np.inf)
    lo = np.full(p, np.inf)
    np.maximum.at(hi, cols, vals)
    np.minimum.at(lo, cols, vals)
    # constant: no stored entry, or one stored value everywhere (all rows, or a stored value of 0)
    constant = (counts == 0) | ((hi == lo) & ((counts == rows_kept) | (hi == 0)))
    var[constant] = 0.0
    scale = np.sqrt(var)
    scale[constant | (scale == 0)] = 1.0
    return mean, var, scale


def one_hot(y: ArrayLike, n_classes: int | None = None) -> np.ndarray:
    """One-of-C coding of integer labels: Y[i, c] = 1 if yᵢ = c else 0.

    As in the course: with 4 classes, a sample of the 3rd class (label 2) is coded (0, 0, 1, 0).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Integer labels in 0 … C − 1.
    n_classes : int, optional
        C; default max(y) + 1.

    Returns
    -------
    Y : ndarray of shape (n_samples, C), float64

    Raises
    ------
    TypeError
        If ``y`` is not of an integer dtype, or ``n_classes`` is not an int.
    ValueError
        If ``y`` is not 1-D, has a negative label, or a label ≥ ``n_classes``.

    Examples
    --------
    >>> from mlbasics.preprocessing import one_hot
    >>> one_hot([2, 0], n_classes=4)
    array([[0., 0., 1., 0.],
           [1., 0., 0., 0.]])
    """
    y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"y: expected integer labels 0..n_classes-1, got dtype {y.dtype}")
    if y.ndim != 1:
        raise ValueError(f"y: expected a 1-D array, got {y.ndim}-D with shape {y.shape}")
    if y.size and y.min() < 0:
        raise ValueError(f"y: labels must be non-negative, got {y.min()}")
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 0
    else:
        check_scalar(n_classes, "n_classes", numbers.Integral, low=1)
        if y.size and y.max() >= n_classes:
            raise ValueError(f"y: label {y.max()} is out of range for n_classes={n_classes}")
    out = np.zeros((y.shape[0], int(n_classes)), dtype=np.float64)
    out[np.arange(y.shape[0]), y] = 1.0
    return out
