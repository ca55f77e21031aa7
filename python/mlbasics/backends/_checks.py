"""Array checks shared by the kernel contract (its scalar checks use :mod:`mlbasics._validation`).

Every check raises TypeError (wrong kind of thing: dtype, type) or ValueError (right kind, wrong
value: shape, ndim, range, layout) with a message that names the argument, says what it got and
what was expected. Nothing is converted silently between float dtypes.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import INDEX_DTYPES, Interval, check_compressed_structure, check_param, check_scalar

_POSITIVE_INT = Interval(numbers.Integral, 1, None)
_NON_NEGATIVE_INT = Interval(numbers.Integral, 0, None)

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_array(x, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``x`` as a float32/float64 ndarray (no copy, no cast) or raise."""
    a = np.asarray(x)
    if a.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name}: expected a float32 or float64 array, got dtype {a.dtype}"
            " (convert explicitly, e.g. with np.asarray(x, dtype=np.float64))"
        )
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got {a.ndim}-D with shape {a.shape}")
    if not a.flags.aligned:  # an input view at an odd byte offset: the kernels read an aligned copy
        a = np.array(a)
    return a


def same_dtype(first_name: str, first: np.ndarray, **others: np.ndarray) -> np.dtype:
    """All floating arrays of one call share one dtype; a mix is a TypeError."""
    for name, arr in others.items():
        if arr is not None and arr.dtype != first.dtype:
            raise TypeError(
                f"{name}: dtype {arr.dtype} does not match {first_name}'s dtype {first.dtype};"
                " all floating arrays of one call must share one dtype"
            )
    return first.dtype


def check_shape(name: str, arr: np.ndarray, shape: tuple) -> None:
    if arr.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {arr.shape}")


def output_array(out, name: str, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """Check a caller-supplied output array: ndarray, same dtype, shape, C-contiguous, writable."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {dtype} (the inputs' dtype), got {out.dtype}; no silent cast")
    check_shape(name, out, shape)
    if not out.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array")
    if not out.flags.aligned:
        raise ValueError(f"{name}: array data is not aligned for its dtype (an unaligned view); pass an array "
                         "from np.empty")
    if not out.flags.writeable:
        raise ValueError(f"{name}: array is read-only")
    return out


def inplace_array(x, name: str, like: np.ndarray | None = None) -> np.ndarray:
    """An array updated in place: an ndarray of a float dtype, C-contiguous and writable.

    A non-contiguous view cannot be updated without a hidden copy, so it is rejected rather than
    silently left unchanged.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray updated in place, got {type(x).__name__}")
    float_array(x, name)
    if like is not None:
        same_dtype("param", like, **{name: x})
        check_shape(name, x, like.shape)
    if not x.flags.writeable:
        raise ValueError(f"{name}: array is read-only, but it is updated in place")
    if not x.flags.aligned:
        raise ValueError(f"{name}: array data is not aligned for its dtype (an unaligned view), but it is "
                         "updated in place")
    if not x.flags.c_contiguous:
        raise ValueError(
            f"{name}: expected a C-contiguous array (it is updated in place; pass np.ascontiguousarray(...)"
            " and use the result)"
        )
    return x


def no_shared_memory(out_name: str, out: np.ndarray, **inputs: np.ndarray) -> None:
    for name, arr in inputs.items():
        if arr is not None and np.may_share_memory(out, arr):
            raise ValueError(f"{out_name}: must not share memory with {name}")


def real_number(x, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """A real scalar hyper-parameter, optionally inside [low, high] (open ends if asked), as a float."""
    return float(check_scalar(x, name, numbers.Real, low=low, high=high, low_open=low_open, high_open=high_open))


def positive_int(x, name: str) -> int:
    """An integer >= 1."""
    return int(check_param(name, x, [_POSITIVE_INT]))


def flag(x, name: str) -> bool:
    """True or False (``numpy.bool_`` too)."""
    return bool(check_param(name, x, ["boolean"]))


def _vector(x, name: str, n: int, dtype: np.dtype, what: str, of: str) -> np.ndarray:
    """A 1-D float array of exactly ``dtype`` and length n (``what``: the message's noun for its values)."""
    a = float_array(x, name, 1)
    if a.dtype != dtype:
        raise TypeError(f"{name}: dtype {a.dtype} does not match {of}'s dtype {dtype}; all floating arrays of "
                        "one call must share one dtype")
    if a.shape[0] != n:
        raise ValueError(f"{name}: expected {n} {what}, got {a.shape[0]}")
    return a


def sample_weights(w, name: str, n: int, dtype: np.dtype, *, positive_sum: bool, of: str) -> np.ndarray:
    """Per-row weights of a kernel: a 1-D array of ``dtype`` (no cast) and length n, every value
    finite and >= 0 and, if ``positive_sum``, a positive sum; returned C-contiguous. ``of`` names
    the array whose rows they weigh, for the messages."""
    a = _vector(w, name, n, dtype, f"weights (one per row of {of})", of)
    if n and not (np.isfinite(a).all() and a.min() >= 0):
        raise ValueError(f"{name}: weights must be finite and >= 0, got values in [{a.min()}, {a.max()}]")
    if positive_sum and not a.sum(dtype=np.float64) > 0:
        raise ValueError(f"{name}: the weights sum to 0; at least one row needs a positive weight")
    return np.ascontiguousarray(a)


def float_vector(x, name: str, n: int, dtype: np.dtype, *, of: str) -> np.ndarray:
    """A per-column parameter of a kernel (e.g. a shift): a 1-D array of ``dtype`` (no cast) and
    length n, every value finite; returned C-contiguous. ``of`` names the array whose columns it
    belongs to, for the messages."""
    a = _vector(x, name, n, dtype, f"values (one per column of {of})", of)
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: values must be finite")
    return np.ascontiguousarray(a)


def int_labels(y, name: str, n: int, n_classes: int) -> np.ndarray:
    """Integer labels in [0, n_classes) as a contiguous int64 array of length n."""
    a = np.asarray(y)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer array of class labels, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got {a.ndim}-D with shape {a.shape}")
    if a.shape[0] != n:
        raise ValueError(f"{name}: expected {n} labels (one per row of logits), got {a.shape[0]}")
    if n and (a.min() < 0 or a.max() >= n_classes):
        raise ValueError(
            f"{name}: labels must be in [0, {n_classes}) for {n_classes} classes,"
            f" got values in [{a.min()}, {a.max()}]"
        )
    return np.require(a, dtype=np.int64, requirements=["C", "A"])


def index_array(x, name: str) -> np.ndarray:
    """A 1-D int32/int64 ndarray (no cast), C-contiguous and aligned (copied when not)."""
    a = np.asarray(x)
    if a.dtype not in INDEX_DTYPES:
        raise TypeError(f"{name}: expected an int32 or int64 array, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got {a.ndim}-D with shape {a.shape}")
    if not (a.flags.c_contiguous and a.flags.aligned):
        a = np.array(a)
    return a


def csr_arrays(data, indices, indptr, n_cols) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """A CSR matrix's arrays, checked: ``(data, indices, indptr, n_rows, n_cols)``.

    data: 1-D float32/float64; indices and indptr: 1-D int32/int64 of one dtype; all C-contiguous
    (copied when not). Structure: see :func:`mlbasics._validation.check_compressed_structure`.
    """
    data = np.ascontiguousarray(float_array(data, "data", 1))
    indices = index_array(indices, "indices")
    indptr = index_array(indptr, "indptr")
    if indptr.dtype != indices.dtype:
        raise TypeError(f"indptr: dtype {indptr.dtype} does not match indices' dtype {indices.dtype}; "
                        "the index arrays of one matrix share one dtype (int32 or int64)")
    n_cols = int(check_param("n_cols", n_cols, [_NON_NEGATIVE_INT]))
    if indices.shape[0] != data.shape[0]:
        raise ValueError(f"indices: expected {data.shape[0]} values (one per entry of data), got {indices.shape[0]}")
    check_compressed_structure(indices, indptr, n_cols, indices.shape[0])
    return data, indices, indptr, indptr.shape[0] - 1, n_cols
