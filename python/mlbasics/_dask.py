"""The Dask glue of the streamed fits (:mod:`mlbasics._chunked`): imported only when a
``dask.array.Array`` arrives.

A fit on a dask X runs the very code of the in-memory fit, once per row chunk, on the workers of
the active scheduler (a ``distributed.Client`` when one exists, else Dask's default): each task
turns its chunk into the summary of :mod:`mlbasics._chunked` (n, means, centred co-moment of
[X | Y], or a TSQR factor, or a partial product) through the kernel contract, and the summaries
are merged pairwise in a balanced tree of tasks. Only (p + T)²-sized results travel between
workers and to the client; the fitted attributes are NumPy arrays, equal to the in-memory fit
to rounding.

Input rules: X is 2-D with known chunk sizes (``X.compute_chunk_sizes()`` after a filter whose
result sizes are unknown); its columns are joined into one chunk per row block
(``X.rechunk({1: -1})``) when they are split. y — a dask array or an ndarray — is rechunked to
X's row chunks. A dask DataFrame is a TypeError that says how to convert it.

``predict``, ``transform`` and alike on a dask array map the in-memory method over the row
chunks (``map_blocks``) and return a lazy dask array.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

import numpy as np

import dask
import dask.array as da

from . import _chunked
from ._validation import check_array, check_target


class DaskRows:
    """A dask array read by row chunks (2-D with one column chunk, or a 1-D target)."""

    def __init__(self, data: da.Array, name: str) -> None:
        self.data = data
        self.name = name
        self.shape = tuple(int(s) for s in data.shape)
        self.dtype = np.dtype(data.dtype)
        self.n = self.shape[0]
        self.vector = data.ndim == 1
        self.width = 1 if self.vector else self.shape[1]
        self.row_chunks = tuple(int(c) for c in data.chunks[0])
        self.offsets = np.concatenate([[0], np.cumsum(self.row_chunks)]).astype(int).tolist()

    @property
    def out_dtype(self) -> np.dtype:
        return self.dtype if self.dtype == np.float32 else np.dtype(np.float64)

    def chunks(self) -> list:
        """One delayed object per row chunk."""
        parts = self.data.to_delayed()
        return list(parts.ravel()) if self.vector else list(parts[:, 0])

    # What mlbasics._chunked does with a source that is not one of its own Rows, it asks of the
    # source: so _chunked never imports this module, and the two form no import cycle.
    def target(self, y: Any, name: str) -> DaskRows:
        return as_target(y, self, name)

    @staticmethod
    def reduce_moments(sources: Sequence[Any], backend: Any, *, diag: bool, folds: Any) -> Any:
        return moments(sources, backend, diag=diag, folds=folds)

    @staticmethod
    def reduce_qr(sources: Sequence[Any]) -> _chunked.QRStats:
        return qr_stats(sources)

    def product(self, mean: np.ndarray, right: np.ndarray, backend: Any, *, transpose: bool) -> np.ndarray:
        return product_pass(self, mean, right, backend, transpose=transpose)

    def column_range(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return column_range(self, cols)

    def load(self) -> np.ndarray:
        return load(self)

    def reduce(self, fn: Callable, merge: Callable, *args: Any) -> Any:
        """``fn(chunk, start, *args)`` on the workers, one task per row chunk, tree-reduced by
        ``merge`` (the dask form of :meth:`mlbasics._chunked.Rows.reduce`)."""
        task = dask.delayed(_chunk_call, pure=False)
        parts = [task(fn, s, args, chunks[0]) for s, _, chunks in _per_chunk([self])]
        return dask.compute(_tree(parts, merge))[0]

    def take(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.data[np.asarray(rows, dtype=np.int64)].compute()).reshape(len(rows), self.width)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) computed into this process (2-D)."""
        return np.asarray(self.data[start:stop].compute()).reshape(stop - start, self.width)

    def bounds(self) -> list[int]:
        """The row offsets of the chunks: 0, …, n."""
        return list(self.offsets)

    def persist(self) -> DaskRows:
        """The chunks computed once and kept by the workers (or in memory without a cluster), so
        each later pass reads them instead of recomputing X's graph; aligned (:func:`aligned`)."""
        return DaskRows(aligned(self.data).persist(), self.name)


def _unknown(name: str, arr: da.Array) -> bool:
    return any(np.isnan(c) for dim in arr.chunks for c in dim)


def _unknown_error(name: str) -> ValueError:
    return ValueError(f"{name}: the dask array has unknown chunk sizes (nan), e.g. after boolean indexing; "
                      f"expected known sizes: call {name}.compute_chunk_sizes() (or {name}.to_dask_array("
                      "lengths=True) for a DataFrame) first")


def as_rows(X: Any, name: str = "X", *, min_samples: int = 1) -> DaskRows:
    """Check a dask X's dtype and shape (check_array's messages), without computing it."""
    if not isinstance(X, da.Array):
        raise TypeError(f"{name}: a dask {type(X).__name__} is not supported; convert it to a dask array with "
                        f"{name}.to_dask_array(lengths=True) (got {type(X).__module__}.{type(X).__name__}), "
                        "expected a dask.array.Array")
    dtype = np.dtype(X.dtype)
    if dtype.kind not in "biufc":
        raise TypeError(f"{name}: expected numeric data (float, int or bool), got dtype {dtype}")
    if _unknown(name, X):
        raise _unknown_error(name)
    shape = tuple(int(s) for s in X.shape)
    if dtype.kind == "c" or len(shape) != 2 or shape[1] < 1 or shape[0] < min_samples:
        check_array(_chunked._fake(shape, dtype), name, min_samples=min_samples)
        raise AssertionError("unreachable")  # pragma: no cover
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return DaskRows(X, name)


def as_target(y: Any, like: DaskRows, name: str = "y") -> DaskRows:
    """y (a dask array or an ndarray) checked and chunked like X's rows."""
    if _chunked._is_dask_collection(y) and not isinstance(y, da.Array):
        raise TypeError(f"{name}: a dask {type(y).__name__} is not supported; convert it with "
                        f"{name}.to_dask_array(lengths=True), expected a dask.array.Array")
    if not isinstance(y, da.Array):
        y = check_target(y, name, n_samples=like.n, allow_2d=True)
        chunks: Any = (like.row_chunks,) if y.ndim == 1 else (like.row_chunks, (y.shape[1],))
        return DaskRows(da.from_array(y, chunks=chunks), name)
    dtype = np.dtype(y.dtype)
    if dtype.kind not in "biufc":
        raise TypeError(f"{name}: expected numeric targets, got dtype {dtype}")
    if _unknown(name, y):
        raise _unknown_error(name)
    shape = tuple(int(s) for s in y.shape)
    if dtype.kind == "c" or len(shape) not in (1, 2) or shape[0] != like.n:
        check_target(_chunked._fake(shape, dtype), name, n_samples=like.n, allow_2d=True)
        raise AssertionError("unreachable")  # pragma: no cover
    target = {0: like.row_chunks} if y.ndim == 1 else {0: like.row_chunks, 1: -1}
    if tuple(y.chunks[0]) != like.row_chunks or (y.ndim == 2 and y.numblocks[1] > 1):
        y = y.rechunk(target)
    return DaskRows(y, name)


def _aligned_block(x: np.ndarray) -> np.ndarray:
    return x if x.flags.aligned else np.array(x, copy=True)


def aligned(arr: da.Array) -> da.Array:
    """``arr`` with each chunk aligned for its dtype (an aligned copy where it is not), to persist.

    A chunk that reached a worker over the network (pickle protocol 5) can start at any byte
    offset, and the kernels then read an aligned copy of it at every call: a binary
    LogisticRegression on 10⁶×100 float64 in 8 chunks on a LocalCluster (2 workers × 1 thread)
    spent ~40 of the ~46 ms of a chunk's evaluation copying it (7 ms aligned). The copy made here
    happens once, on the worker that holds the chunk, and the copy stays there."""
    return da.map_blocks(_aligned_block, arr, dtype=arr.dtype)


def _tree(parts: list, merge: Callable) -> Any:
    """A balanced tree of merge tasks over delayed parts.

    The per-chunk tasks that feed it are impure (``pure=False``: a fresh key per call). With keys
    derived from their arguments, a second fit on the same persisted X asked the scheduler for
    keys the first fit's results still held, and returned in 6 ms without a pass over X (or hit
    them half released: "Couldn't gather keys ... waiting") — a benchmark that timed nothing."""
    merge_task = dask.delayed(merge, pure=True)
    while len(parts) > 1:
        parts = [merge_task(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


def _backend_name(backend: Any) -> str | None:
    return None if backend is None else backend.name


def _get_backend(name: str | None) -> Any:
    if name is None:
        return None
    from .backends import get_backend

    return get_backend(name)


# ---------------------------------------------------------------- tasks (run on the workers)
# Each aligns its chunk first (see aligned()): copied once here rather than by every kernel call
# on every block of it.
def _chunk_moments(names: Sequence[str], backend: str | None, diag: bool, folds: Any, offset: int,
                   n_folds: int | None, *chunks: np.ndarray) -> Any:
    sources = [_chunked.Rows(_aligned_block(np.asarray(c)), name) for c, name in zip(chunks, names)]
    return _chunked.moments(sources, _get_backend(backend), diag=diag, folds=folds, offset=offset, n_folds=n_folds)


def _merge_folds(a: Any, b: Any) -> Any:
    if isinstance(a, list):
        return [_chunked.merge(x, y) for x, y in zip(a, b)]
    return _chunked.merge(a, b)


def _chunk_qr(names: Sequence[str], *chunks: np.ndarray) -> _chunked.QRStats:
    return _chunked.qr_stats([_chunked.Rows(_aligned_block(np.asarray(c)), name) for c, name in zip(chunks, names)],
                             None)


def _chunk_product(backend: str, mean: np.ndarray, right: np.ndarray, transpose: bool, chunk: np.ndarray
                   ) -> np.ndarray:
    src = _chunked.Rows(_aligned_block(np.asarray(chunk)), "X")
    return _chunked.product_pass(src, mean, right, _get_backend(backend), transpose=transpose)


def _chunk_call(fn: Callable, start: int, args: tuple, chunk: np.ndarray) -> Any:
    return fn(_aligned_block(np.asarray(chunk)), start, *args)


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


# ------------------------------------------------------------------------- passes
def _per_chunk(sources: Sequence[DaskRows]) -> list[tuple[int, int, list]]:
    """(start, stop, [chunk of each source]) for every row chunk."""
    lists = [s.chunks() for s in sources]
    off = sources[0].offsets
    return [(off[i], off[i + 1], [parts[i] for parts in lists]) for i in range(len(off) - 1)]


def moments(sources: Sequence[Any], backend: Any, *, diag: bool = False, folds: Any = None) -> Any:
    """:func:`mlbasics._chunked.moments` over the row chunks, tree-reduced on the scheduler."""
    names = [s.name for s in sources]
    n_folds = None if folds is None else _chunked.fold_count(folds)
    labels = None if folds is None or isinstance(folds, (list, tuple)) else np.asarray(folds)
    task = dask.delayed(_chunk_moments, pure=False)
    parts = []
    for s, e, chunks in _per_chunk(sources):
        f = folds if labels is None else labels[s:e]
        parts.append(task(names, _backend_name(backend), diag, f, s, n_folds, *chunks))
    if not parts:  # pragma: no cover - as_rows requires rows
        raise ValueError(f"{names[0]}: has no rows")
    return dask.compute(_tree(parts, _merge_folds))[0]


def qr_stats(sources: Sequence[Any]) -> _chunked.QRStats:
    names = [s.name for s in sources]
    task = dask.delayed(_chunk_qr, pure=False)
    parts = [task(names, *chunks) for _, _, chunks in _per_chunk(sources)]
    return dask.compute(_tree(parts, _chunked.merge_qr))[0]


def product_pass(src: DaskRows, mean: np.ndarray, right: np.ndarray, backend: Any, *, transpose: bool = False
                 ) -> np.ndarray:
    """(X − 1μᵀ) @ right (n × l, gathered to the client: l ≪ p), or (X − 1μᵀ)ᵀ @ right summed over
    the chunks (each task gets its rows of ``right``)."""
    name = _backend_name(backend)
    task = dask.delayed(_chunk_product, pure=False)
    if transpose:
        parts = [task(name, mean, right[s:e], True, chunks[0]) for s, e, chunks in _per_chunk([src])]
        return dask.compute(_tree(parts, _add))[0]
    parts = [task(name, mean, right, False, chunks[0]) for _, _, chunks in _per_chunk([src])]
    return np.concatenate(dask.compute(*parts), axis=0)


def column_range(src: DaskRows, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sub = src.data[:, cols]
    lo, hi = dask.compute(sub.min(axis=0), sub.max(axis=0))
    return np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)


def load(src: DaskRows) -> np.ndarray:
    """The whole array, computed into the client's memory."""
    return np.asarray(src.data.compute())


# ------------------------------------------------------------------ predict, transform
def _apply(method: Callable, chunk: np.ndarray) -> np.ndarray:
    return method(chunk)


def map_rows(method: Callable, X: Any, n_features: int, *, width: int | None, dtype: Any, name: str = "X"
             ) -> da.Array:
    """``method`` (a bound predict/transform taking an ndarray) mapped over X's row chunks: a lazy
    dask array of shape (n,) when ``width`` is None, else (n, width). X's shape is checked here
    (the method checks each chunk's values when it runs)."""
    src = as_rows(X, name)
    if src.width != n_features:
        owner = type(getattr(method, "__self__", method)).__name__
        raise ValueError(f"{name}: has {src.width} features, expected {n_features} as in fit (X has {src.width} "
                         f"features, but {owner} is expecting {n_features} features as input)")
    fn = functools.partial(_apply, method)
    if width is None:
        return da.map_blocks(fn, src.data, drop_axis=1, chunks=(src.row_chunks,), dtype=dtype)
    return da.map_blocks(fn, src.data, chunks=(src.row_chunks, (width,)), dtype=dtype)


def out_float(X: Any) -> np.dtype:
    """The float dtype a predict/transform returns for X: float32 stays, anything else float64."""
    return np.dtype(np.float32) if np.dtype(X.dtype) == np.float32 else np.dtype(np.float64)


# ------------------------------------------------------------------ logistic regression
def _chunk_logistic(spec: tuple, theta: np.ndarray, hessian: bool, x: np.ndarray, y_enc: np.ndarray) -> Any:
    """This chunk's share of the mean loss, its gradient (and Hessian): the in-memory objective of
    the chunk, weighted by n_chunk / N, without the penalty (added once by the client)."""
    backend, n_classes, fit_intercept, n_total, loss_class = spec
    nc = x.shape[0]
    size = theta.shape[0]
    if nc == 0:
        return 0.0, np.zeros(size), (np.zeros((size, size)) if hessian else None)
    obj = loss_class(_get_backend(backend), np.ascontiguousarray(x, dtype=np.float64), np.asarray(y_enc),
                        n_classes, fit_intercept, 0.0)
    obj._keep_G = hessian  # the Hessian below reads the evaluation's G
    f, g = obj.loss_grad(theta)
    share = nc / n_total
    return f * share, g * share, (obj.hessian(theta) * share if hessian else None)


def _add_logistic(a: Any, b: Any) -> Any:
    return a[0] + b[0], a[1] + b[1], (None if a[2] is None else a[2] + b[2])


def _encode(classes: np.ndarray, chunk: np.ndarray) -> np.ndarray:
    return np.searchsorted(classes, np.asarray(chunk)).astype(np.int64)


class DaskLogisticLoss:
    """The objective of LogisticRegression (linear_model/_logistic.py) over a dask X: every
    evaluation is one pass over X's persisted chunks (one task per chunk, the in-memory kernels
    inside), tree-summed; the L2 term is added on the client."""

    def __init__(self, backend: Any, X: DaskRows, y_enc: da.Array, n_classes: int, fit_intercept: bool,
                 l2: float, loss_class: type) -> None:
        self.p = X.width
        self.n = X.n
        self.k = 1 if n_classes == 2 else n_classes
        self.fit_intercept = fit_intercept
        self.l2 = l2
        self.size = self.p * self.k + (self.k if fit_intercept else 0)
        self._zero_b = np.zeros(self.k)
        # the in-memory objective's class travels with the tasks (this module does not import the
        # linear models, which import it)
        self._spec = (_backend_name(backend), n_classes, fit_intercept, X.n, loss_class)
        X64 = X.data if X.dtype == np.float64 else X.data.astype(np.float64)
        self._x, self._y = dask.persist(aligned(X64), y_enc)
        self._xparts = list(self._x.to_delayed()[:, 0])
        self._yparts = list(self._y.to_delayed().ravel())

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        W = theta[: self.p * self.k].reshape(self.p, self.k)
        b = theta[self.p * self.k:] if self.fit_intercept else self._zero_b
        return W, b

    def _evaluate(self, theta: np.ndarray, hessian: bool) -> Any:
        task = dask.delayed(_chunk_logistic, pure=False)
        theta = np.array(theta, dtype=np.float64)
        parts = [task(self._spec, theta, hessian, x, y) for x, y in zip(self._xparts, self._yparts)]
        if hessian:  # p·k squared per chunk: summed on the workers
            return dask.compute(_tree(parts, _add_logistic))[0]
        # A loss and a gradient per chunk: fetched together and summed here in the same pairwise
        # order, one round trip instead of one per level of a tree of tasks (binary, 8 chunks of
        # 10⁶×100 on a LocalCluster of 2 workers: 78–93 → 58–79 ms per evaluation).
        done = list(dask.compute(*parts))
        while len(done) > 1:
            done = [_add_logistic(done[i], done[i + 1]) if i + 1 < len(done) else done[i]
                    for i in range(0, len(done), 2)]
        return done[0]

    def loss_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        f, g, _ = self._evaluate(theta, False)
        if self.l2:
            W = theta[: self.p * self.k]
            f += 0.5 * self.l2 * float(W @ W)
            g = g.copy()
            g[: self.p * self.k] += self.l2 * W
        return float(f), g

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        H = self._evaluate(theta, True)[2]
        if self.l2:
            idx = np.arange(self.p * self.k)
            H[idx, idx] += self.l2
        return H


def logistic_objective(backend: Any, X: Any, y: Any, fit_intercept: bool, C: float, penalty: Any, loss_class: type
                       ) -> tuple[DaskLogisticLoss, np.ndarray, int]:
    """(objective, classes_, n_features) for a dask X and labels y (dask array or ndarray);
    ``loss_class`` is the in-memory objective (linear_model/_logistic.py's ``_LogisticLoss``)."""
    from ._validation import check_classification_targets

    xs = as_rows(X, "X")
    if _chunked._is_dask_collection(y) and not isinstance(y, da.Array):
        raise TypeError(f"y: a dask {type(y).__name__} is not supported; convert it with y.to_dask_array("
                        "lengths=True), expected a dask.array.Array")
    if not isinstance(y, da.Array):
        y = da.from_array(check_target(y, "y", n_samples=xs.n, numeric=False), chunks=(xs.row_chunks,))
    if _unknown("y", y):
        raise _unknown_error("y")
    if y.ndim != 1 or int(y.shape[0]) != xs.n:
        check_target(_chunked._fake(tuple(int(s) for s in y.shape), np.dtype(np.float64)), "y", n_samples=xs.n)
    if tuple(y.chunks[0]) != xs.row_chunks:
        y = y.rechunk({0: xs.row_chunks})
    # one pass: every chunk of X is finite (its moments' diagonal), and the labels' distinct values
    stats, labels = dask.compute(
        _tree([dask.delayed(_chunk_moments, pure=False)(["X"], None, True, None, s, None, c[0])
               for s, _, c in _per_chunk([xs])], _merge_folds),
        da.unique(y))
    stats.check(("X", False))
    labels = np.asarray(labels)
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        check_target(np.asarray(labels), "y", numeric=False)
    classes, _ = check_classification_targets(labels)
    y_enc = y.map_blocks(functools.partial(_encode, classes), dtype=np.int64)
    l2 = 1.0 / (float(C) * xs.n) if penalty == "l2" else 0.0
    return DaskLogisticLoss(backend, xs, y_enc, classes.shape[0], fit_intercept, l2, loss_class), classes, xs.width
