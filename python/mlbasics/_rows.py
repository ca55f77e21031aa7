"""Where the row blocks of a streamed fit come from: the entry points of :mod:`mlbasics._chunked`.

:func:`as_rows` turns X into a source of row blocks — :class:`mlbasics._chunked.Rows` for an
ndarray, a memory map or a lazy array-like, :class:`mlbasics._dask.DaskRows` for a dask array —
and :func:`dask_map` runs a fitted estimator's predict/transform over a dask array's row chunks.
Only this module imports :mod:`mlbasics._dask` (and only when a dask collection arrives); the
statistics in :mod:`mlbasics._chunked` ask a dask source for its own reductions, so no module
imports one that imports it back.
"""
from __future__ import annotations

from typing import Any

from . import _chunked


def as_rows(X: Any, name: str = "X", *, min_samples: int = 1) -> Any:
    """Check X's kind, dtype and shape (the messages of ``check_array``) without reading it, and
    return it as a source of row blocks (see :func:`mlbasics._chunked.local_rows`)."""
    if _chunked.is_dask_array(X) or _chunked._is_dask_collection(X):
        from . import _dask

        return _dask.as_rows(X, name, min_samples=min_samples)
    return _chunked.local_rows(X, name, min_samples=min_samples)


def dask_map(method: Any, X: Any, n_features: int, width: int | None, dtype: Any = None) -> Any:
    """``method`` (a fitted estimator's predict/transform) over the row chunks of a dask X: a lazy
    dask array of shape (n,) (``width`` None) or (n, width), of ``dtype`` (default: X's float
    dtype, float32 staying float32)."""
    from . import _dask

    return _dask.map_rows(method, X, n_features, width=width, dtype=_dask.out_float(X) if dtype is None else dtype)
