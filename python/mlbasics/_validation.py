"""One vocabulary for checking what users pass in: parameters and data.

Parameters are checked declaratively. A class lists, once, what each of its parameters may be::

    _parameter_constraints = {
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "solver": [Options({"auto", "normal", "lstsq"})],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state"],
    }

and :func:`validate_params` checks a dict of values against such a table. A value is valid when
it satisfies any one of its constraints. Otherwise the error is a **ValueError** when the value is
of a kind some constraint takes but out of its range or options (``alpha=-1``, ``alpha=nan``,
``solver="qr"``), and a **TypeError** when no constraint takes its kind (``alpha="1"``,
``fit_intercept=1``, ``solver=None`` where None is not an option). Every message has one form: ``"<name>: expected <what>, got <value>"``.

The shorthand entries of a table are ``None`` (the value None), ``"boolean"`` (``bool`` or
``numpy.bool_``), ``"random_state"`` (see :func:`check_random_state`), ``"callable"`` and a class
(any instance of it).

Data checks (:func:`check_array`, :func:`check_target`, ...) give every estimator the same
errors for X and y. This module imports nothing of mlbasics but its exceptions, so every layer —
estimators, optimizers, schedulers, metrics and the kernel contract — can use it.
"""
from __future__ import annotations

import numbers
from typing import Any, Iterable, Literal, Mapping, Sequence, Union, overload

import numpy as np

from .exceptions import DataConversionWarning, NotFittedError, sklearn_compatible

__all__ = [
    "Constraint", "Interval", "Options", "InstanceOf", "HasMethods", "Pair", "make_constraint", "check_param", "validate_params",
    "check_scalar", "check_random_state", "check_array", "check_target", "check_X_y",
    "check_classification_targets", "check_is_fitted", "check_n_features", "check_sample_weight",
    "check_weighted_classes",
    "RandomStateLike", "check_compressed_structure",
]


# ---------------------------------------------------------------- constraints
class Constraint:
    """A set of accepted values.

    ``takes_kind(x)`` says whether x is of the kind this constraint is about (a number for an
    interval, a string for string options): a rejected value of a taken kind is a ValueError,
    of no taken kind a TypeError.
    """

    def takes_kind(self, x: Any) -> bool:
        """Whether ``x`` is of the kind this constraint is about (so a rejection is a ValueError)."""
        raise NotImplementedError

    def is_satisfied_by(self, x: Any) -> bool:
        """Whether ``x`` is an accepted value."""
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


def _is_bool(x: Any) -> bool:
    return isinstance(x, (bool, np.bool_))


class Interval(Constraint):
    """A number of ``kind`` (``numbers.Integral`` or ``numbers.Real``) between ``left`` and ``right``.

    ``None`` for an end means unbounded; ``closed`` is "both", "left", "right" or "neither".
    Booleans are never numbers here, NaN is in no interval.

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
    left, right : float or None, default=None
    closed : {"both", "left", "right", "neither"}, default="both"

    Examples
    --------
    >>> unit = Interval(numbers.Real, 0, 1, closed="left")
    >>> unit.is_satisfied_by(0.0), unit.is_satisfied_by(1.0), str(unit)
    (True, False, 'a number in [0, 1)')
    """

    def __init__(self, kind: type, left: float | None = None, right: float | None = None, *,
                 closed: str = "both") -> None:
        if kind not in (numbers.Integral, numbers.Real):
            raise TypeError(f"kind: expected numbers.Integral or numbers.Real, got {kind!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed: expected 'both', 'left', 'right' or 'neither', got {closed!r}")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def takes_kind(self, x: Any) -> bool:
        return isinstance(x, self.kind) and not _is_bool(x)

    def is_satisfied_by(self, x: Any) -> bool:
        if not self.takes_kind(x):
            return False
        if x != x:  # NaN
            return False
        if self.left is not None and (x < self.left or (x == self.left and self.closed in ("right", "neither"))):
            return False
        if self.right is not None and (x > self.right or (x == self.right and self.closed in ("left", "neither"))):
            return False
        return True

    def __str__(self) -> str:
        what = "an int" if self.kind is numbers.Integral else "a number"
        if self.left is None and self.right is None:
            return what
        lo = "-inf" if self.left is None else repr(self.left)
        hi = "inf" if self.right is None else repr(self.right)
        lb = "[" if self.closed in ("both", "left") and self.left is not None else "("
        rb = "]" if self.closed in ("both", "right") and self.right is not None else ")"
        return f"{what} in {lb}{lo}, {hi}{rb}"


class Options(Constraint):
    """One of a fixed set of values (typically strings).

    Parameters
    ----------
    values : iterable

    Examples
    --------
    >>> Options(("auto", "full")).is_satisfied_by("full")
    True
    """

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = tuple(values)

    def takes_kind(self, x: Any) -> bool:
        return any(type(x) is type(v) for v in self.values)

    def is_satisfied_by(self, x: Any) -> bool:
        try:
            return any(type(x) is type(v) and x == v for v in self.values)
        except Exception:  # e.g. an array compared with a string
            return False

    def __str__(self) -> str:
        shown = sorted(repr(v) for v in self.values)
        return f"one of {{{', '.join(shown)}}}"


class InstanceOf(Constraint):
    """Any instance of the given class(es)."""

    def __init__(self, types: type | tuple, description: str | None = None) -> None:
        self.types = types
        names = types if isinstance(types, tuple) else (types,)
        self.description = description or " or ".join(f"an instance of {t.__name__}" for t in names)

    def takes_kind(self, x: Any) -> bool:
        return isinstance(x, self.types)

    def is_satisfied_by(self, x: Any) -> bool:
        return isinstance(x, self.types)

    def __str__(self) -> str:
        return self.description


class HasMethods(Constraint):
    """Any object with these methods (duck typing, e.g. a cross-validation splitter's ``split``)."""

    def __init__(self, methods: Sequence[str], description: str | None = None) -> None:
        self.methods = tuple(methods)
        self.description = description or f"an object with methods {list(self.methods)}"

    def takes_kind(self, x: Any) -> bool:
        return self.is_satisfied_by(x)

    def is_satisfied_by(self, x: Any) -> bool:
        return not isinstance(x, (str, bytes)) and all(callable(getattr(x, m, None)) for m in self.methods)

    def __str__(self) -> str:
        return self.description


class Pair(Constraint):
    """A tuple or list of two values, each checked against its own constraint; a violation names
    the element (``betas[0]: expected ...``)."""

    def __init__(self, first: Any, second: Any) -> None:
        self.parts = (first, second)

    def takes_kind(self, x: Any) -> bool:
        return isinstance(x, (tuple, list)) and len(x) == 2

    def is_satisfied_by(self, x: Any) -> bool:
        if not self.takes_kind(x):
            return False
        try:
            self.check_elements("", x)
        except (TypeError, ValueError):
            return False
        return True

    def check_elements(self, name: str, x: Any) -> None:
        for i, (part, value) in enumerate(zip(self.parts, x)):
            check_param(f"{name}[{i}]", value, part if isinstance(part, (list, tuple)) else [part])

    def __str__(self) -> str:
        return "a pair (tuple of 2 numbers)"


class _NoneValue(Constraint):
    def takes_kind(self, x: Any) -> bool:
        return x is None

    def is_satisfied_by(self, x: Any) -> bool:
        return x is None

    def __str__(self) -> str:
        return "None"


class _Boolean(Constraint):
    def takes_kind(self, x: Any) -> bool:
        return _is_bool(x)

    def is_satisfied_by(self, x: Any) -> bool:
        return _is_bool(x)

    def __str__(self) -> str:
        return "True or False"


class _Callable(Constraint):
    def takes_kind(self, x: Any) -> bool:
        return callable(x)

    def is_satisfied_by(self, x: Any) -> bool:
        return callable(x)

    def __str__(self) -> str:
        return "a callable"


class _RandomState(Constraint):
    """None, an int seed in [0, 2**32), a ``numpy.random.RandomState`` or a ``numpy.random.Generator``."""

    def takes_kind(self, x: Any) -> bool:
        return (x is None or (isinstance(x, numbers.Integral) and not _is_bool(x))
                or isinstance(x, (np.random.RandomState, np.random.Generator)))

    def is_satisfied_by(self, x: Any) -> bool:
        if isinstance(x, numbers.Integral) and not _is_bool(x):
            return 0 <= int(x) < 2 ** 32
        return self.takes_kind(x)

    def __str__(self) -> str:
        return "None, an int in [0, 2**32), a numpy RandomState or a numpy Generator"


RandomStateLike = Union[None, int, np.random.RandomState, np.random.Generator]

_SHORTHANDS: dict[str, Constraint] = {"boolean": _Boolean(), "random_state": _RandomState(),
                                      "callable": _Callable()}


def make_constraint(c: Any) -> Constraint:
    """A table entry (a :class:`Constraint`, None, "boolean", "random_state", "callable" or a class)
    as a :class:`Constraint`.

    Parameters
    ----------
    c : Constraint, None, str or type (or tuple of types)

    Returns
    -------
    constraint : Constraint

    Examples
    --------
    >>> make_constraint("boolean").is_satisfied_by(True), make_constraint(int).is_satisfied_by(1.5)
    (True, False)
    """
    if isinstance(c, Constraint):
        return c
    if c is None:
        return _NoneValue()
    if isinstance(c, str) and c in _SHORTHANDS:
        return _SHORTHANDS[c]
    if isinstance(c, type) or (isinstance(c, tuple) and all(isinstance(t, type) for t in c)):
        return InstanceOf(c)
    raise TypeError(f"constraint: unknown constraint {c!r}")


def _shown(x: Any) -> str:
    text = repr(x)
    if isinstance(x, np.ndarray) or len(text) > 60:
        return f"{type(x).__name__}" + (f" of shape {x.shape}" if isinstance(x, np.ndarray) else "")
    return text


def check_param(name: str, value: Any, constraints: Sequence[Any]) -> Any:
    """Check one value against its constraints; return it unchanged, or raise.

    Parameters
    ----------
    name : str
        The parameter's name, used in the error message.
    value : object
    constraints : sequence
        Table entries (see :func:`make_constraint`); the value must satisfy one of them.

    Returns
    -------
    value : object
        ``value``, unchanged.

    Raises
    ------
    ValueError, TypeError
        ValueError if a constraint takes the value's kind but rejects the value, else TypeError.

    Examples
    --------
    >>> check_param("alpha", 0.5, [Interval(numbers.Real, 0, None)])
    0.5
    >>> check_param("alpha", -1, [Interval(numbers.Real, 0, None)])
    Traceback (most recent call last):
    ...
    ValueError: alpha: expected a number in [0, inf), got -1
    """
    cs = [make_constraint(c) for c in constraints]
    for c in cs:
        if c.is_satisfied_by(value):
            return value
    if len(cs) == 1 and isinstance(cs[0], Pair) and cs[0].takes_kind(value):
        cs[0].check_elements(name, value)  # raises, naming the element at fault
    expected = " or ".join(str(c) for c in cs)
    exc = ValueError if any(c.takes_kind(value) for c in cs) else TypeError
    raise exc(f"{name}: expected {expected}, got {_shown(value)}")


def validate_params(params: Mapping[str, Any], constraints: Mapping[str, Sequence[Any]]) -> None:
    """Check every entry of ``params`` that ``constraints`` lists (in the table's order).

    A constraint of ``"no_validation"`` skips that parameter (it is checked by code that knows
    more, e.g. an option that depends on another parameter).

    Parameters
    ----------
    params : mapping
        Parameter name → value (e.g. ``estimator.get_params(deep=False)``).
    constraints : mapping
        Parameter name → list of table entries, or ``"no_validation"``.

    Returns
    -------
    None

    Examples
    --------
    >>> validate_params({"tol": 1e-3}, {"tol": [Interval(numbers.Real, 0, None)]})
    >>> validate_params({"tol": "small"}, {"tol": [Interval(numbers.Real, 0, None)]})
    Traceback (most recent call last):
    ...
    TypeError: tol: expected a number in [0, inf), got 'small'
    """
    for name, cs in constraints.items():
        if name in params and cs != "no_validation":
            check_param(name, params[name], cs)


def check_scalar(x: Any, name: str, kind: type = numbers.Real, *, low: float | None = None,
                 high: float | None = None, low_open: bool = False, high_open: bool = False) -> Any:
    """One scalar checked in place: ``kind`` is ``bool``, ``numbers.Integral`` or ``numbers.Real``.

    The same checks and messages as a one-entry table: ``check_param(name, x, [Interval(...)])``.

    Parameters
    ----------
    x : object
    name : str
    kind : type, default=numbers.Real
    low, high : float, optional
        Bounds (None: unbounded).
    low_open, high_open : bool, default=False
        Exclude the bound.

    Returns
    -------
    x : object
        ``x``, unchanged.

    Examples
    --------
    >>> check_scalar(3, "n_splits", numbers.Integral, low=2)
    3
    """
    if kind is bool:
        return check_param(name, x, ["boolean"])
    closed = {(False, False): "both", (True, False): "right", (False, True): "left", (True, True): "neither"}
    return check_param(name, x, [Interval(kind, low, high, closed=closed[(bool(low_open), bool(high_open))])])


def check_random_state(seed: RandomStateLike) -> np.random.Generator:
    """None, an int, a ``RandomState`` or a ``Generator`` → a ``numpy.random.Generator``.

    A Generator is used as it is (its draws advance it). A RandomState gives a Generator seeded by
    one draw from it, so the same RandomState state gives the same result, and the RandomState
    advances, as scikit-learn's estimators advance one they are given.

    Parameters
    ----------
    seed : None, int in [0, 2**32), numpy.random.RandomState or numpy.random.Generator

    Returns
    -------
    rng : numpy.random.Generator

    Examples
    --------
    >>> rng = check_random_state(0)
    >>> check_random_state(rng) is rng
    True
    """
    check_param("random_state", seed, ["random_state"])
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(int(seed.randint(0, 2 ** 31 - 1)))
    return np.random.default_rng(None if seed is None else int(seed))


# ---------------------------------------------------------------- data
def _not_finite_message(name: str, arr: np.ndarray) -> str:
    bad = ~np.isfinite(arr)
    first = np.unravel_index(int(np.argmax(bad)), arr.shape)
    kinds = "NaN" if np.isnan(arr).any() else "infinity"
    if kinds == "NaN" and np.isinf(arr).any():
        kinds = "NaN and infinity"
    where = f"index {first[0]}" if arr.ndim == 1 else f"index {tuple(int(i) for i in first)}"
    return (f"{name}: contains NaN or infinity ({int(bad.sum())} non-finite value(s), {kinds}, first at {where}); "
            "expected finite values")


INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def check_compressed_structure(indices: np.ndarray, indptr: np.ndarray, n_minor: int, nnz_capacity: int, *,
                               names: tuple[str, str] = ("indices", "indptr"), minor: str = "n_cols") -> int:
    """Check the index arrays of a compressed sparse matrix (CSR, or CSC read as the CSR of Xᵀ).

    ``indptr`` must start at 0, be non-decreasing and end at most at ``nnz_capacity`` (the length
    of ``indices`` and ``data``); every index of the matrix (``indices[:indptr[-1]]``) must be in
    ``[0, n_minor)``. Reads ``indices`` once. Returns nnz, ``indptr[-1]``.

    Parameters
    ----------
    indices, indptr : 1-D integer ndarrays
    n_minor : int
        The number of columns (rows for CSC).
    nnz_capacity : int
        ``len(indices)`` (== ``len(data)``).
    names : pair of str, default=("indices", "indptr")
        The arrays' names, for the messages.
    minor : str, default="n_cols"
        The name of ``n_minor``, for the messages.

    Returns
    -------
    nnz : int

    Examples
    --------
    >>> check_compressed_structure(np.array([0, 2, 1]), np.array([0, 2, 2, 3]), 3, 3)
    3
    >>> check_compressed_structure(np.array([0, 3]), np.array([0, 2]), 3, 2)
    Traceback (most recent call last):
    ...
    ValueError: indices: expected indices in [0, n_cols=3), got values in [0, 3]
    """
    ind_name, ptr_name = names
    if indptr.shape[0] < 1:
        raise ValueError(f"{ptr_name}: expected at least one value (n_rows + 1 of them), got an empty array")
    if indptr[0] != 0:
        raise ValueError(f"{ptr_name}: expected {ptr_name}[0] == 0, got {int(indptr[0])}")
    if indptr.shape[0] > 1:
        steps = np.diff(indptr)
        if steps.min() < 0:
            bad = int(np.argmax(steps < 0))
            raise ValueError(f"{ptr_name}: expected non-decreasing values (row i's entries are "
                             f"{ptr_name}[i]:{ptr_name}[i+1]), got {ptr_name}[{bad}]={int(indptr[bad])} > "
                             f"{ptr_name}[{bad + 1}]={int(indptr[bad + 1])}")
    nnz = int(indptr[-1])
    if nnz > nnz_capacity:
        raise ValueError(f"{ptr_name}: its last value {nnz} (the number of entries) exceeds the {nnz_capacity} "
                         f"entries of {ind_name} and data")
    if nnz:
        used = indices[:nnz]
        # one pass: seen as unsigned, a negative index is larger than any valid one
        if used.dtype.kind == "i" and used.dtype.itemsize in (4, 8):
            bad = int(used.view(np.uint32 if used.dtype.itemsize == 4 else np.uint64).max()) >= n_minor
        else:
            bad = int(used.min()) < 0 or int(used.max()) >= n_minor
        if bad:
            lo, hi = int(used.min()), int(used.max())
            raise ValueError(f"{ind_name}: expected indices in [0, {minor}={n_minor}), got values in [{lo}, {hi}]")
    return nnz


def _reject_sparse(X: Any, name: str) -> None:
    """scipy.sparse matrices/arrays (and anything else with ``toarray``) are not densified silently."""
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise TypeError(f"{name}: sparse input is not supported; convert with {name}.toarray() "
                        f"(got {type(X).__name__} of shape {getattr(X, 'shape', '?')}), expected a dense array")


def _is_sparse(X: Any) -> bool:
    return hasattr(X, "toarray") and hasattr(X, "nnz")


def _check_sparse(X: Any, name: str, dtype: Any, allow_nan: bool, min_samples: int, min_features: int) -> Any:
    """A scipy.sparse matrix or array as CSR or CSC with float data, checked in full (see check_array)."""
    import scipy.sparse

    if not scipy.sparse.issparse(X):
        raise TypeError(f"{name}: expected a scipy.sparse matrix or array, got {type(X).__name__} (it has toarray "
                        "and nnz but is not scipy's); convert it to scipy.sparse.csr_matrix or to a dense array")
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D sparse matrix (n_samples, n_features), got {X.ndim}-D with shape "
                         f"{X.shape}. Expected 2D array, got {X.ndim}D array instead")
    if X.format not in ("csr", "csc"):
        X = X.tocsr()  # COO, LIL, DOK, DIA, BSR: one conversion, O(nnz)
    n_major, n_minor = X.shape if X.format == "csr" else X.shape[::-1]
    data, indices, indptr = X.data, X.indices, X.indptr
    if data.ndim != 1 or indices.ndim != 1 or indptr.ndim != 1 or indptr.shape[0] != n_major + 1:
        raise ValueError(f"{name}: the {X.format.upper()} arrays do not describe a matrix of shape {X.shape} "
                         f"(indptr has {indptr.shape} values, expected {n_major + 1})")
    if indices.shape[0] != data.shape[0]:
        raise ValueError(f"{name}: its indices ({indices.shape[0]}) and data ({data.shape[0]}) differ in length")
    if indices.dtype not in INDEX_DTYPES or indptr.dtype != indices.dtype:
        if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
            raise TypeError(f"{name}: expected integer index arrays, got dtypes {indices.dtype} and {indptr.dtype}")
        X = X.copy()
        X.indices, X.indptr = indices.astype(np.int64), indptr.astype(np.int64)
        indices, indptr = X.indices, X.indptr
    minor = "n_features" if X.format == "csr" else "n_samples"
    check_compressed_structure(indices, indptr, n_minor, indices.shape[0], names=(f"{name}.indices", f"{name}.indptr"),
                               minor=minor)
    kind = data.dtype.kind
    if kind == "c":
        raise ValueError(f"{name}: Complex data not supported; got dtype {data.dtype}, expected real numbers "
                         "(float, int or bool)")
    if kind not in "biuf":
        raise TypeError(f"{name}: expected numeric data (float, int or bool), got dtype {data.dtype}")
    targets = tuple(np.dtype(t) for t in ((dtype,) if not isinstance(dtype, tuple) else dtype))
    if data.dtype not in targets:
        X = X.astype(targets[0])
    n, p = X.shape
    if p < min_features:
        raise ValueError(f"{name}: expected at least {min_features} feature(s), got shape {X.shape}: found {p} "
                         f"feature(s) (shape={X.shape}) while a minimum of {min_features} is required.")
    if n < min_samples:
        raise ValueError(f"{name}: expected at least {min_samples} sample(s), got {n}: found {n} sample(s) "
                         f"(shape={X.shape}, n_samples={n}) while a minimum of {min_samples} is required.")
    stored = X.data[:int(X.indptr[-1])]
    if not allow_nan and stored.size and not np.isfinite(stored).all():
        raise ValueError(_not_finite_message(f"{name}.data", stored))
    return X


def _as_numeric_array(X: Any, name: str) -> np.ndarray:
    """``np.asarray(X)``, with two conversions scikit-learn's users rely on:

    * pandas columns of the nullable dtypes (``Int64``, ``Float64``, ``boolean``, ...) become
      float64, a missing value becoming NaN (which the finiteness check then rejects, naming X);
    * an object array holding numbers becomes float64; one holding anything else is a TypeError
      naming X (and quoting why the value is not a number).
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(X, "to_numpy"):  # a DataFrame (pandas, or alike)
        columns = list(dtypes) if hasattr(dtypes, "__iter__") else [dtypes]  # a DataFrame's, or a Series'
        nullable = any(not isinstance(d, np.dtype) for d in columns)
        if nullable and all(getattr(d, "kind", "O") in "biuf" for d in columns):
            return np.asarray(X.to_numpy(dtype=np.float64, na_value=np.nan))
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name}: could not be converted to an array ({exc})") from None
    if arr.dtype.kind == "O":
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}: expected numeric data (float, int or bool), got dtype object holding a value "
                            f"that is not a number ({exc})") from None
    return arr


@overload
def check_array(X: Any, name: str = ..., *, dtype: Any = ..., ensure_2d: bool = ..., allow_nan: bool = ...,
                min_samples: int = ..., min_features: int = ..., accept_sparse: Literal[False] = ...) -> np.ndarray: ...
@overload
def check_array(X: Any, name: str = ..., *, dtype: Any = ..., ensure_2d: bool = ..., allow_nan: bool = ...,
                min_samples: int = ..., min_features: int = ..., accept_sparse: bool) -> Any: ...
def check_array(X: Any, name: str = "X", *, dtype: Any = (np.float64, np.float32), ensure_2d: bool = True,
                allow_nan: bool = False, min_samples: int = 1, min_features: int = 1,
                accept_sparse: bool = False) -> Any:
    """Validate a data array and return it as a float ndarray.

    int/bool input is converted to float64; float32/float64 are kept (unless ``dtype`` is a single
    type, which is then enforced); object and string input is rejected with TypeError, complex
    input with ValueError ("Complex data not supported", as scikit-learn), scipy.sparse input with
    TypeError unless ``accept_sparse``. NaN/inf are rejected with ValueError unless ``allow_nan``.
    Fortran-ordered and strided arrays are accepted as they are (the kernels take any strides).

    With ``accept_sparse=True`` a scipy.sparse matrix or array (2-D) is returned as CSR or CSC —
    other formats (COO, LIL, DOK, DIA, BSR) are converted to CSR once, O(nnz) — never densified.
    It is checked in full, so that no kernel and no scipy routine meets a malformed matrix: index
    arrays of one integer dtype (int32 or int64; others are converted), ``indptr`` starting at 0,
    non-decreasing and within the entries, every index in range (see
    :func:`check_compressed_structure`); then the data dtype as for dense input (a conversion
    copies the data array only) and the stored values finite unless ``allow_nan``. Duplicate and
    unsorted indices are left as they are (a duplicate counts as the sum of its entries).

    The messages start with ``name:`` and also carry the phrases scikit-learn's
    ``check_estimator`` looks for ("Expected 2D array, got 1D array instead", "Reshape your data",
    "0 feature(s) (shape=(n, 0)) while a minimum of 1 is required", "n_samples=1").

    Parameters
    ----------
    X : array-like
    name : str, default="X"
        The argument's name, for the messages.
    dtype : dtype or tuple of dtypes, default=(np.float64, np.float32)
        Accepted dtypes; anything else is converted to the first.
    ensure_2d : bool, default=True
    allow_nan : bool, default=False
    min_samples, min_features : int, default=1
    accept_sparse : bool, default=False
        Accept scipy.sparse input (returned as CSR or CSC); else it is a TypeError.

    Returns
    -------
    arr : ndarray, or a scipy.sparse CSR/CSC matrix or array with ``accept_sparse``

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]]).dtype
    dtype('float64')
    >>> check_array([1.0, 2.0])
    Traceback (most recent call last):
    ...
    ValueError: X: expected a 2-D array (n_samples, n_features), got 1-D with shape (2,). Expected 2D array, got 1D array instead: Reshape your data either using X.reshape(-1, 1) if your data has a single feature or X.reshape(1, -1) if it contains a single sample
    """
    if accept_sparse and _is_sparse(X):
        return _check_sparse(X, name, dtype, allow_nan, min_samples, min_features)
    _reject_sparse(X, name)
    arr = _as_numeric_array(X, name)
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(f"{name}: Complex data not supported; got dtype {arr.dtype}, expected real numbers "
                         "(float, int or bool)")
    if kind not in "biuf":
        raise TypeError(f"{name}: expected numeric data (float, int or bool), got dtype {arr.dtype}")
    targets = (dtype,) if not isinstance(dtype, tuple) else dtype
    targets = tuple(np.dtype(t) for t in targets)
    if arr.dtype not in targets:
        arr = arr.astype(targets[0])
    if ensure_2d:
        if arr.ndim != 2:
            if arr.ndim == 1:
                hint = (f". Expected 2D array, got 1D array instead: Reshape your data either using "
                        f"{name}.reshape(-1, 1) if your data has a single feature or {name}.reshape(1, -1) "
                        "if it contains a single sample")
            elif arr.ndim == 0:
                hint = ". Expected 2D array, got scalar array instead: Reshape your data"
            else:
                hint = f". Expected 2D array, got {arr.ndim}D array instead"
            raise ValueError(f"{name}: expected a 2-D array (n_samples, n_features), got {arr.ndim}-D "
                             f"with shape {arr.shape}{hint}")
        if arr.shape[1] < min_features:
            raise ValueError(f"{name}: expected at least {min_features} feature(s), got shape {arr.shape}: "
                             f"found {arr.shape[1]} feature(s) (shape={arr.shape}) while a minimum of "
                             f"{min_features} is required.")
    if arr.ndim == 0 or arr.shape[0] < min_samples:
        n = arr.shape[0] if arr.ndim else 0
        raise ValueError(f"{name}: expected at least {min_samples} sample(s), got {n}: found {n} sample(s) "
                         f"(shape={arr.shape}, n_samples={n}) while a minimum of {min_samples} is required.")
    if not allow_nan and arr.size and not np.isfinite(arr).all():
        raise ValueError(_not_finite_message(name, arr))
    return arr


def check_target(y: Any, name: str = "y", *, n_samples: int | None = None, numeric: bool = True,
                 allow_2d: bool = False) -> np.ndarray:
    """Validate a target array: 1-D (or 2-D if allowed), matching length, finite when numeric.

    A (n, 1) column is flattened unless ``allow_2d``.

    Parameters
    ----------
    y : array-like
    name : str, default="y"
    n_samples : int, optional
        The required length (X's number of rows).
    numeric : bool, default=True
        Require numbers (converted to float64 unless already float); else any labels.
    allow_2d : bool, default=False

    Returns
    -------
    arr : ndarray

    Examples
    --------
    >>> check_target([1, 2])
    array([1., 2.])
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     check_target([[1], [2]])          # a column vector is flattened, with a warning
    array([1., 2.])
    >>> issubclass(caught[0].category, DataConversionWarning)
    True
    """
    if y is None:
        raise ValueError(f"{name}: this estimator requires y to be passed, but the target y is None; expected an "
                         "array of shape (n_samples,)")
    _reject_sparse(y, name)
    arr = _as_numeric_array(y, name) if numeric else np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1 and not allow_2d:
        import warnings

        # it starts with the words scikit-learn's check_estimator looks for
        warnings.warn(f"A column-vector {name} was passed when a 1d array was expected: {name} of shape "
                      f"{arr.shape} is flattened to shape (n_samples,); pass {name}.ravel() to avoid this warning",
                      sklearn_compatible(DataConversionWarning), stacklevel=3)
        arr = arr.ravel()
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        raise ValueError(f"{name}: expected a 1-D array{' or 2-D array' if allow_2d else ''}, "
                         f"got {arr.ndim}-D with shape {arr.shape}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name}: expected {n_samples} values (one per row of X), got {arr.shape[0]}")
    if numeric:
        if arr.dtype.kind == "c":
            raise ValueError(f"{name}: Complex data not supported; got dtype {arr.dtype}, expected real numbers")
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}: expected numeric targets, got dtype {arr.dtype}")
        arr = arr.astype(np.float64) if arr.dtype.kind != "f" else arr
        if arr.size and not np.isfinite(arr).all():
            raise ValueError(_not_finite_message(name, arr))
    else:
        if arr.dtype.kind in "fc" and arr.size and not np.isfinite(arr).all():
            raise ValueError(_not_finite_message(name, arr))
        if arr.dtype.kind == "O" and any(v is None or (isinstance(v, float) and v != v)
                                         or type(v).__name__ == "NAType" for v in arr.ravel()):
            raise ValueError(f"{name}: contains missing labels (None, NaN or pandas' NA)")
    return arr


@overload
def check_X_y(X: Any, y: Any, *, numeric_y: bool = ..., allow_2d_y: bool = ..., min_samples: int = ...,
              dtype: Any = ..., accept_sparse: Literal[False] = ...) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def check_X_y(X: Any, y: Any, *, numeric_y: bool = ..., allow_2d_y: bool = ..., min_samples: int = ...,
              dtype: Any = ..., accept_sparse: bool) -> tuple[Any, np.ndarray]: ...
def check_X_y(X: Any, y: Any, *, numeric_y: bool = True, allow_2d_y: bool = False, min_samples: int = 1,
              dtype: Any = (np.float64, np.float32), accept_sparse: bool = False) -> tuple[Any, np.ndarray]:
    """:func:`check_array` on X, then :func:`check_target` on y with one value per row of X.

    Parameters
    ----------
    X, y : array-like
    numeric_y : bool, default=True
    allow_2d_y : bool, default=False
    min_samples : int, default=1
    dtype : dtype or tuple of dtypes, default=(np.float64, np.float32)
    accept_sparse : bool, default=False
        Accept scipy.sparse X (see :func:`check_array`).

    Returns
    -------
    X, y : ndarray

    Examples
    --------
    >>> X, y = check_X_y([[0.0], [1.0]], ["a", "b"], numeric_y=False)
    >>> X.shape, y.tolist()
    ((2, 1), ['a', 'b'])
    """
    X = check_array(X, "X", dtype=dtype, min_samples=min_samples, accept_sparse=accept_sparse)
    y = check_target(y, "y", n_samples=X.shape[0], numeric=numeric_y, allow_2d=allow_2d_y)
    return X, y


def check_classification_targets(y: Any, name: str = "y") -> tuple[np.ndarray, np.ndarray]:
    """Return (classes, encoded y) for any labels; a single class is a ValueError.

    Labels may be of any comparable kind (ints, strings, whole-number floats, ...), as in
    scikit-learn. Floats that are not whole numbers are continuous targets, not labels
    (ValueError "Unknown label type: continuous"); a mix of strings and numbers is a TypeError.

    Parameters
    ----------
    y : array-like of labels
    name : str, default="y"

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The sorted distinct labels.
    encoded : ndarray of shape (n_samples,)
        Each label's index in ``classes``.

    Examples
    --------
    >>> classes, encoded = check_classification_targets(["b", "a", "b"])
    >>> classes.tolist(), encoded.tolist()
    (['a', 'b'], [1, 0, 1])
    """
    y = np.asarray(y)
    if y.dtype.kind == "f" and y.size and np.any(y != np.round(y)):
        raise ValueError(f"{name}: Unknown label type: continuous (got float values that are not whole numbers, "
                         f"e.g. {y[y != np.round(y)][0].item()!r}); expected class labels. Use a regressor for a "
                         "continuous target")
    try:
        classes, encoded = np.unique(y, return_inverse=True)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in y.ravel()})
        raise TypeError(f"{name}: Unknown label type: labels of mixed types {kinds} cannot be sorted; "
                        "expected labels that are all strings or all numbers") from None
    if classes.shape[0] < 2:
        shown = ""
        if classes.shape[0]:
            label = classes[0].item() if isinstance(classes[0], np.generic) else classes[0]
            shown = f" ({label!r})"
        raise ValueError(f"{name}: a classifier needs at least 2 classes, got {classes.shape[0]} class{shown}"
                         f" in {y.shape[0]} sample(s)")
    return classes, encoded.reshape(-1)


def check_sample_weight(sample_weight: Any, n_samples: int, dtype: Any = np.float64, *,
                        name: str = "sample_weight", keep_none: bool = False) -> Any:
    """Validate per-sample weights: ones when None, else a finite, non-negative 1-D array of length
    ``n_samples`` with a positive sum, as a C-contiguous array of ``dtype``.

    The caller's array is never written to: the result may be that very array (when it already has
    the dtype and layout), so an estimator that rescales the weights (e.g. by class weights) makes
    a new array.

    Parameters
    ----------
    sample_weight : None, scalar or array-like of shape (n_samples,)
        A scalar gives every sample that weight.
    n_samples : int
    dtype : dtype, default=float64
    name : str, default="sample_weight"
    keep_none : bool, default=False
        Return None (not ones) for None, so that an estimator's unweighted fit keeps its
        unweighted computation.

    Returns
    -------
    weights : ndarray of shape (n_samples,), or None (``keep_none`` and no weights)

    Examples
    --------
    >>> check_sample_weight(None, 3)
    array([1., 1., 1.])
    >>> check_sample_weight([1, -1], 2)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight: expected non-negative weights, got a minimum of -1.0
    """
    if sample_weight is None:
        return None if keep_none else np.ones(n_samples, dtype=dtype)
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, (bool, np.bool_)):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    w = check_array(sample_weight, name, ensure_2d=False, min_samples=0)
    if w.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got {w.ndim}-D with shape {w.shape}")
    if w.shape[0] != n_samples:
        raise ValueError(f"{name}: expected {n_samples} weights (one per sample), got {w.shape[0]}")
    w = np.ascontiguousarray(w, dtype=dtype)
    if n_samples and w.min() < 0:
        raise ValueError(f"{name}: expected non-negative weights, got a minimum of {float(w.min())}")
    if n_samples and not w.sum() > 0:
        raise ValueError(f"{name}: all weights are zero (they sum to 0); at least one sample needs a positive "
                         "weight")
    return w


def check_weighted_classes(w: Any, y_enc: np.ndarray, classes: np.ndarray) -> None:
    """A classifier's fit needs two classes of positive total weight (a weight of 0 drops a sample):
    ValueError naming sample_weight otherwise. ``w`` None (unweighted) passes.

    Parameters
    ----------
    w : ndarray of shape (n_samples,) or None
    y_enc : int ndarray of shape (n_samples,), indices into ``classes``
    classes : ndarray of shape (n_classes,)

    Returns
    -------
    None
    """
    if w is None:
        return
    present = np.bincount(y_enc, weights=w, minlength=classes.shape[0]) > 0
    if present.sum() < 2:
        kept = classes[present].tolist()
        raise ValueError(f"sample_weight: only the class {kept!r} has samples of positive weight; a classifier "
                         "needs at least 2 classes (a sample of weight 0 counts as absent)")


def check_is_fitted(estimator: Any, attribute: str) -> None:
    """Raise :class:`~mlbasics.exceptions.NotFittedError` unless ``estimator`` has ``attribute``.

    Parameters
    ----------
    estimator : object
    attribute : str
        A fitted attribute, e.g. ``"coef_"``.

    Returns
    -------
    None
    """
    if not hasattr(estimator, attribute):
        raise sklearn_compatible(NotFittedError)(
            f"This {type(estimator).__name__} instance is not fitted yet; call 'fit' with appropriate arguments "
            "before using this method.")


def check_n_features(estimator: Any, X: np.ndarray) -> None:
    """``predict``-time X must have the number of features seen in ``fit``.

    Parameters
    ----------
    estimator : fitted estimator with ``n_features_in_``
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    None
        Raises ValueError on a mismatch.
    """
    if X.shape[1] != estimator.n_features_in_:
        name, n, m = type(estimator).__name__, X.shape[1], estimator.n_features_in_
        raise ValueError(f"X: has {n} features, expected {m} as in fit (X has {n} features, but {name} is "
                         f"expecting {m} features as input)")

