"""Fits that stream row blocks of X (and y) and reduce per-block statistics.

One mechanism serves every kind of input: a NumPy array (a block is a view of its rows, X is
never copied), an ``np.memmap`` and any array-like with ``shape``, ``dtype`` and row slicing
(an h5py dataset, a zarr array: read a block at a time), and a ``dask.array.Array``
(:mod:`mlbasics._dask`, imported only when one arrives). The estimators ask for statistics;
this module computes them through the kernel contract (``gram``, ``matmul``).

The statistics of a block
-------------------------
A block B (n_B rows of the matrix [X | Y], q columns) is summarised by its size n_B, its column
means m_B and its co-moment about those means

.. math:: M_B = (B - 1 m_Bᵀ)ᵀ (B - 1 m_Bᵀ),

formed for a float64 X by the backend's ``gram(X_B, shift=m_B)`` (the cpp backend subtracts the
means as it packs: no centred copy of X is made) with the target columns centred into a small
buffer (:func:`_block_moments_shifted`); other dtypes write B − 1m_Bᵀ (cast to float64) into one
reusable block-sized buffer and call the backend's ``gram`` on it. Two summaries merge exactly (the pairwise update of Chan, Golub &
LeVeque, 1979):

.. math::
    n = n_a + n_b,\\quad δ = m_b - m_a,\\quad m = m_a + δ\\, n_b / n,\\quad
    M = M_a + M_b + \\frac{n_a n_b}{n} δδᵀ.

Why centre on the block's own mean rather than accumulate the raw XᵀX and subtract n m mᵀ at
the end: with large means the raw products are huge and the subtraction cancels most of their
digits (a mean of 1e4 against unit variance leaves ~8 of 16). Centred products stay of the
size of the variance, and the merge terms are products of mean *differences*, themselves small,
so the result is as accurate as centring a copy of X with the exact mean (scikit-learn's way),
without the copy and in one pass. Without an intercept the raw moment is M + n m mᵀ (a sum of
two positive semi-definite parts: no cancellation on the diagonal).

The same summary reduces in any order, so it serves sequential blocks (in memory, out of core),
the folds of a cross-validation (one summary per fold, merged into each training set) and Dask's
tree reduction (:mod:`mlbasics._dask`).

When the normal equations are too ill-conditioned, the least-squares fallback is a blocked QR
(TSQR) in the same form: each centred block gives an R factor, and two merge by the QR of
[R_a; R_b; √(n_a n_b / n) δᵀ], whose RᵀR is exactly the merged M above. The final R of
[X̃ | Ỹ] holds the whole least-squares problem in (p + T)² numbers.

Non-finite values are found by the block means (already computed): a sum that meets a NaN or
an inf is not finite, so a finite mean proves a finite block. A non-finite block is then
inspected (count, first position, kind) for the error message, which names X or y exactly as
:func:`~mlbasics._validation.check_array` does, and no statistic is formed from it.

Block size: about ``_BLOCK_BYTES`` (4 MiB) of float64 per block — large enough that the
per-block Python overhead is ~1% of the block's arithmetic, small enough that a block read by one
product is still in the cache for the next (the streamed co-moments read each block twice:
LinearRegression on 10⁶×100 float64, 1 thread, Zen 5 (1 MiB L2 per core, 32 MiB L3):
216 → 202 ms from 16 to 4 MiB, 205 at 2 MiB). Tests shrink it (down to one row per block).
"""
from __future__ import annotations

import mmap
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np
import scipy.linalg

from ._validation import check_array, check_target

#: Bytes of float64 buffer per block (rows = this // (8 · width)). Tests override it.
_BLOCK_BYTES = 4 * 2 ** 20


def rows_per_block(width: int) -> int:
    """Rows of a block whose float64 buffer of ``width`` columns holds about ``_BLOCK_BYTES``."""
    return max(1, int(_BLOCK_BYTES) // (8 * max(1, int(width))))


# ------------------------------------------------------------------------------- sources
def _is_sparse(X: Any) -> bool:
    return hasattr(X, "toarray") and hasattr(X, "nnz")


def is_dask_array(X: Any) -> bool:
    """A ``dask.array.Array`` (without importing dask unless it is already imported)."""
    import sys

    da = sys.modules.get("dask.array")
    return da is not None and isinstance(X, da.Array)


def _is_dask_collection(X: Any) -> bool:
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(X, "__dask_graph__")


def _is_lazy(X: Any) -> bool:
    """An array-like read by row slices: ``shape``, a NumPy ``dtype`` and ``__getitem__``, but not
    an ndarray, a DataFrame or a sparse matrix (h5py datasets, zarr arrays and alike)."""
    if isinstance(X, (np.ndarray, list, tuple)) or _is_sparse(X) or hasattr(X, "columns"):
        return False
    if not (hasattr(X, "shape") and hasattr(X, "dtype") and hasattr(X, "__getitem__")):
        return False
    try:
        np.dtype(X.dtype)
        shape = tuple(int(s) for s in X.shape)
    except (TypeError, ValueError):
        return False
    return len(shape) in (1, 2)


def streamable(X: Any) -> bool:
    """Whether a fit can stream X: anything dense (sparse input keeps its own path)."""
    return not _is_sparse(X)


def out_of_core(X: Any) -> bool:
    """X lives outside this process's memory: a memory map, an array-like read by row slices
    (h5py, zarr) or a dask array."""
    return isinstance(X, np.memmap) or _is_lazy(X) or is_dask_array(X) or _is_dask_collection(X)


def stream_fit(X: Any, sample_weight: Any) -> bool:
    """Whether a fit streams X's row blocks: dense X without weights (the block statistics are
    unweighted, so a weighted fit keeps its in-memory path). Weights with a dask X are refused
    rather than dropped."""
    if sample_weight is not None:
        if is_dask_array(X) or _is_dask_collection(X):
            raise ValueError("sample_weight: not supported with a dask array X yet; compute X (X.compute()) or "
                             "fit without weights")
        return False
    return streamable(X)


class Rows:
    """A 2-D X (or a 1-D/2-D target) read by blocks of rows.

    ``read(start, stop)`` returns the rows as a 2-D array: a view for an ndarray, a block read
    from storage for a lazy array-like. ``done(start, stop)`` lets a memory map drop the pages of
    rows already reduced from the process (see :func:`_page_releaser`).
    """

    def __init__(self, data: Any, name: str, lazy: bool = False) -> None:
        self.data = data
        self.name = name
        self.lazy = lazy
        self.shape = tuple(int(s) for s in data.shape)
        self.dtype = np.dtype(data.dtype)
        self.n = self.shape[0]
        self.width = 1 if len(self.shape) == 1 else self.shape[1]
        self.vector = len(self.shape) == 1
        self._release = None if lazy else _page_releaser(data)

    @property
    def out_dtype(self) -> np.dtype:
        """float32 stays float32; everything else is fitted and returned in float64."""
        return self.dtype if self.dtype == np.float32 else np.dtype(np.float64)

    def read(self, start: int, stop: int) -> np.ndarray:
        block = self.data[start:stop]
        if self.lazy:
            block = np.asarray(block)
            if block.shape[0] != stop - start or block.size != (stop - start) * self.width:
                raise ValueError(f"{self.name}: rows {start}:{stop} read as an array of shape {block.shape}, "
                                 f"expected ({stop - start}, {self.width}); {self.name}[a:b] must return rows a to b")
        return block.reshape(stop - start, self.width)

    def done(self, start: int, stop: int) -> None:
        if self._release is not None:
            self._release(start, stop)

    def reduce(self, fn: Any, merge: Any, *args: Any) -> Any:
        """``fn(block, start, *args)`` over the row blocks, in order, merged by ``merge(a, b)`` (a
        dask source runs the same on its chunks and tree-reduces: :meth:`DaskRows.reduce`)."""
        step = rows_per_block(self.width)
        acc = None
        for start in range(0, self.n, step):
            stop = min(self.n, start + step)
            part = fn(self.read(start, stop), start, *args)
            self.done(start, stop)
            acc = part if acc is None else merge(acc, part)
        return acc

    def take(self, rows: np.ndarray) -> np.ndarray:
        """The rows at the (sorted, distinct) indices ``rows``, as a 2-D ndarray (a lazy array-like is
        read by row slices, the one indexing every such array-like supports)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.lazy:
            if not rows.size:
                return np.empty((0, self.width), dtype=self.dtype)
            return np.concatenate([self.read(int(i), int(i) + 1) for i in rows])
        return np.asarray(self.data[rows]).reshape(len(rows), self.width)

    def persist(self) -> Rows:
        """The source to make several passes over (a dask source persists its chunks)."""
        return self

    def bounds(self) -> list[int]:
        """Row offsets of the blocks a pass reads: 0, rows_per_block, …, n."""
        step = rows_per_block(self.width)
        return list(range(0, self.n, step)) + [self.n]


class ShuffledChunks:
    """X streamed to a training loop a chunk at a time (MLPs on out-of-core or dask X).

    The chunks are the source's blocks (a dask array's chunks, or ~4 MiB row blocks of a memory
    map or an array-like). An epoch visits them in a random order and the rows of each in a random
    order (:meth:`epoch_order`), so each chunk is read once per epoch — not the in-memory shuffle of
    all rows. ``rows`` (sorted X rows) restricts training to a subset (early stopping's training
    part); positions 0 … len(rows) − 1 number that subset, as the targets are numbered.
    """

    def __init__(self, src: Any, dtype: np.dtype, rows: np.ndarray | None = None) -> None:
        self.src = src
        self.dtype = np.dtype(dtype)
        self.rows = np.arange(src.n) if rows is None else np.asarray(rows, dtype=np.int64)
        self.shape = (int(self.rows.shape[0]), src.width)
        self._bounds = np.asarray(src.bounds(), dtype=np.int64)
        # the chunk of each position, and where each chunk's positions start
        self._chunk = np.searchsorted(self._bounds, self.rows, side="right") - 1
        self._starts = np.searchsorted(self._chunk, np.arange(len(self._bounds)))

    def check_finite(self) -> None:
        """One pass: NaN or infinity anywhere in X is the ValueError check_array gives."""
        bad = self.src.reduce(lambda block, start: _inspect(np.asarray(block, dtype=np.float64), start), Bad.add)
        if bad is not None and bad.count:
            raise ValueError(bad.message(self.src.name, False))

    def subset(self, positions: np.ndarray) -> ShuffledChunks:
        return ShuffledChunks(self.src, self.dtype, self.rows[np.sort(positions)])

    def take(self, positions: np.ndarray) -> np.ndarray:
        """The rows at these positions, in memory (early stopping's validation part)."""
        order = np.argsort(positions, kind="stable")
        out = np.empty((len(positions), self.shape[1]), dtype=self.dtype)
        out[order] = self.src.take(self.rows[np.asarray(positions)[order]])
        return out

    def epoch_order(self, rng: np.random.Generator | None) -> np.ndarray:
        """All positions, chunk by chunk: chunks and the rows within each in random order (in order
        without ``rng``)."""
        chunks = np.flatnonzero(np.diff(self._starts) > 0)
        if rng is not None:
            chunks = rng.permutation(chunks)
        parts = []
        for c in chunks:
            pos = np.arange(self._starts[c], self._starts[c + 1])
            parts.append(rng.permutation(pos) if rng is not None else pos)
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def chunk_of(self, position: int) -> int:
        return int(self._chunk[position])

    def blocks(self, order: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(positions, their rows as a dense C-ordered array) for each run of ``order`` within one chunk,
        reading each chunk's row range once."""
        if not order.size:
            return
        chunk = self._chunk[order]
        cuts = np.flatnonzero(np.diff(chunk)) + 1
        for pos in np.split(order, cuts):
            rows = self.rows[pos]
            lo, hi = int(rows.min()), int(rows.max()) + 1
            block = np.asarray(self.src.read(lo, hi))
            yield pos, np.ascontiguousarray(block[rows - lo], dtype=self.dtype)
            if hasattr(self.src, "done"):
                self.src.done(lo, hi)


def _page_releaser(arr: Any):
    """For a C-ordered ``np.memmap`` shared with its file (mode "r", "r+" or "w+"): a function
    that drops the pages of rows [0, stop) from the process once they are reduced
    (``madvise(MADV_DONTNEED)``; the data stay in the file and the page cache, a later read
    faults them back in). Without it every page read stays mapped and the fit's resident memory
    grows to the whole file. Private (copy-on-write, mode "c") maps are never touched: dropping
    their pages would discard the user's changes. None when not applicable."""
    mm = getattr(arr, "_mmap", None)
    if (not isinstance(arr, np.memmap) or not isinstance(mm, mmap.mmap) or getattr(arr, "mode", "c") == "c"
            or not arr.flags.c_contiguous or arr.ndim == 0 or not hasattr(mm, "madvise")
            or not hasattr(mmap, "MADV_DONTNEED")):
        return None
    try:
        base = np.frombuffer(mm, dtype=np.uint8).__array_interface__["data"][0]
    except (TypeError, ValueError):
        return None
    start_of = arr.__array_interface__["data"][0] - base
    row_bytes = arr.strides[0]
    page = mmap.PAGESIZE

    def release(start: int, stop: int) -> None:
        end = (start_of + stop * row_bytes) // page * page
        if end > 0:
            try:
                mm.madvise(mmap.MADV_DONTNEED, 0, min(end, len(mm)))
            except (OSError, ValueError):  # pragma: no cover - a closed or unusual map: keep the pages
                pass

    return release


def _fake(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """An array of this shape that holds one number (all strides 0), for the exact messages of
    check_array/check_target on a shape problem: complex stays complex, any other number dtype is
    float64 (so that no conversion allocates the full shape)."""
    kind = np.complex128 if dtype.kind == "c" else np.float64
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype=kind), shape=shape, strides=(0,) * len(shape))


def local_rows(X: Any, name: str = "X", *, min_samples: int = 1) -> Rows:
    """Check X's kind, dtype and shape (the messages of :func:`check_array`), without reading it.

    An ndarray (or memmap) of a number dtype is kept as it is; an array-like with ``shape``,
    ``dtype`` and row slicing is read by blocks; anything else (lists, DataFrames, object
    arrays) goes through :func:`check_array` first. Finiteness is checked block by block.
    """
    if is_dask_array(X) or _is_dask_collection(X):
        raise TypeError(f"{name}: a dask collection goes through mlbasics._rows.as_rows")  # pragma: no cover
    if isinstance(X, np.ndarray) and X.dtype.kind in "biufc":
        data, lazy = X, False
    elif _is_lazy(X):
        data, lazy = X, True
    else:
        return Rows(check_array(X, name, min_samples=min_samples), name)
    shape, dtype = tuple(int(s) for s in data.shape), np.dtype(data.dtype)
    if dtype.kind not in "biufc":
        raise TypeError(f"{name}: expected numeric data (float, int or bool), got dtype {dtype}")
    if dtype.kind == "c" or len(shape) != 2 or shape[1] < 1 or shape[0] < min_samples:
        # the same ValueError as check_array, from a stand-in that holds no data
        check_array(_fake(shape, dtype), name, min_samples=min_samples)
        raise AssertionError("unreachable")  # pragma: no cover
    return Rows(data, name, lazy)


def as_target(y: Any, like: Any, name: str = "y") -> Any:
    """Check a regression target (1-D or 2-D, numeric, one row per row of the source ``like``)
    without reading it."""
    if not isinstance(like, Rows):  # a dask source: it makes its own target
        return like.target(y, name)
    n_samples = like.n
    if isinstance(y, np.ndarray) and y.dtype.kind in "biuf" and y.ndim in (1, 2) and y.shape[0] == n_samples:
        return Rows(y, name)
    if _is_lazy(y):
        dtype, shape = np.dtype(y.dtype), tuple(int(s) for s in y.shape)
        if dtype.kind in "biuf" and shape[0] == n_samples:
            return Rows(y, name, lazy=True)
        if dtype.kind not in "biufc":
            raise TypeError(f"{name}: expected numeric targets, got dtype {dtype}")
        check_target(_fake(shape, dtype), name, n_samples=n_samples, allow_2d=True)
        raise AssertionError("unreachable")  # pragma: no cover
    return Rows(check_target(y, name, n_samples=n_samples, allow_2d=True), name)


def is_dask_source(src: Any) -> bool:
    return not isinstance(src, Rows)


def load(src: Any) -> np.ndarray:
    """All rows of a source as one ndarray (a copy only when it is not one already): for the
    solvers that need X whole (PCA's "full", RidgeCV's leave-one-out)."""
    if not isinstance(src, Rows):
        return src.load()
    data = src.data if not src.lazy else np.asarray(src.data[0:src.n])
    return data.reshape(src.n, src.width) if not src.vector else data


# ---------------------------------------------------------------------------- statistics
@dataclass
class Bad:
    """Where the non-finite values of one argument are: count, first (row, column), kinds."""

    count: int = 0
    first: tuple = ()
    nan: bool = False
    inf: bool = False

    def add(self, other: Bad) -> Bad:
        if not other.count:
            return self
        if not self.count:
            return other
        return Bad(self.count + other.count, min(self.first, other.first), self.nan or other.nan,
                   self.inf or other.inf)

    def message(self, name: str, vector: bool) -> str:
        kinds = "NaN and infinity" if self.nan and self.inf else ("NaN" if self.nan else "infinity")
        where = f"index {self.first[0]}" if vector else f"index {tuple(int(i) for i in self.first)}"
        return (f"{name}: contains NaN or infinity ({self.count} non-finite value(s), {kinds}, first at {where}); "
                "expected finite values")


def _inspect(block: np.ndarray, offset: int) -> Bad:
    bad = ~np.isfinite(block)
    count = int(bad.sum())
    if not count:
        return Bad()
    i, j = np.unravel_index(int(np.argmax(bad)), block.shape)
    return Bad(count, (int(i) + offset, int(j)), bool(np.isnan(block).any()), bool(np.isinf(block).any()))


@dataclass
class Moments:
    """n, column means and co-moment about the means of [X | Y] (see the module docstring).

    ``M`` is (q, q), or (q,) (the diagonal only) when ``diag``; ``bad`` records non-finite
    values per argument name."""

    n: int
    mean: np.ndarray
    M: np.ndarray
    bad: dict = field(default_factory=dict)

    @staticmethod
    def empty(q: int, diag: bool = False) -> Moments:
        return Moments(0, np.zeros(q), np.zeros(q if diag else (q, q)))

    def raw(self) -> np.ndarray:
        """Σ bbᵀ about 0 (for a fit without intercept): M + n m mᵀ."""
        return self.M + self.n * (self.mean * self.mean if self.M.ndim == 1 else np.outer(self.mean, self.mean))

    def check(self, *names_vectors: tuple[str, bool]) -> None:
        """Raise the first argument's non-finite error, in the order given."""
        for name, vector in names_vectors:
            if name in self.bad:
                raise ValueError(self.bad[name].message(name, vector))


def merge(a: Moments, b: Moments) -> Moments:
    """The summary of the union of two disjoint sets of rows (Chan et al.'s pairwise update)."""
    bad = dict(a.bad)
    for k, v in b.bad.items():
        bad[k] = bad.get(k, Bad()).add(v)
    if b.n == 0 or a.n == 0:
        src = a if b.n == 0 else b
        return Moments(src.n, src.mean, src.M, bad)
    n = a.n + b.n
    d = b.mean - a.mean
    f = a.n * b.n / n
    M = a.M + b.M
    M += f * (d * d if M.ndim == 1 else np.outer(d, d))
    return Moments(n, a.mean + d * (b.n / n), M, bad)


def merge_all(parts: Sequence[Moments]) -> Moments:
    """Merge a list of summaries pairwise (a balanced tree)."""
    parts = list(parts)
    while len(parts) > 1:
        parts = [merge(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


def _center_into(blocks: Sequence[np.ndarray], w: np.ndarray, offset: int,
                 names: Sequence[str]) -> tuple[np.ndarray | None, dict]:
    """Write each block minus its column means into the columns of the buffer ``w``; return the
    means (None when a block is not finite) and the non-finite records."""
    means, bad = [], {}
    col = 0
    for block, name in zip(blocks, names):
        m = block.mean(axis=0, dtype=np.float64)
        if not np.isfinite(m).all():
            found = _inspect(block, offset)
            if found.count:
                bad[name] = found
        means.append(m)
        width = block.shape[1]
        if not bad:
            np.subtract(block, m, out=w[:, col:col + width])
        col += width
    return (None if bad else np.concatenate(means)), bad


def block_moments(blocks: Sequence[np.ndarray], names: Sequence[str], backend: Any, *, offset: int = 0,
                  diag: bool = False, buf: np.ndarray | None = None) -> Moments:
    """The summary of one block of rows of [X | Y] (the blocks side by side, same rows)."""
    nb = blocks[0].shape[0]
    q = sum(b.shape[1] for b in blocks)
    if not diag and backend is not None and blocks[0].dtype == np.float64 and nb:
        return _block_moments_shifted(blocks, names, backend, offset, q, buf)
    w = (np.empty((nb, q)) if buf is None else buf[:nb])
    mean, bad = _center_into(blocks, w, offset, names)
    if mean is None:
        out = Moments.empty(q, diag)
        out.bad = bad
        return out
    M = np.einsum("ij,ij->j", w, w) if diag else backend.gram(w)
    return Moments(nb, mean, M)


def _block_moments_shifted(blocks: Sequence[np.ndarray], names: Sequence[str], backend: Any, offset: int, q: int,
                           buf: np.ndarray | None) -> Moments:
    """block_moments for a float64 X read in place: X's co-moment is the Gram matrix of X minus its
    means (the cpp backend subtracts them as it packs X, so X is never copied); the other blocks
    (the targets, a few columns) are centred into ``buf`` beside a column of ones, and one product
    Xᵀ[Y − ȳ | 1] gives both X's column sums (its means) and, with
    Σ (xᵢ − x̄)(yᵢ − ȳ)ᵀ = Xᵀ(Y − ȳ) − x̄·Σ(yᵢ − ȳ)ᵀ, the cross co-moment: X is read twice, not
    three times (the cpp backend's matrix-vector path reads X once for up to four columns)."""
    x, rest = blocks[0], blocks[1:]
    nb, p = x.shape
    t = q - p
    # contiguous (the product reads it row by row), in the front of buf's memory
    r1 = (np.empty((nb, t + 1)) if buf is None else buf.reshape(-1)[:nb * (t + 1)].reshape(nb, t + 1))
    r1[:, t] = 1.0
    bad: dict = {}
    my = None
    if t:
        my, bad = _center_into(rest, r1, offset, names[1:])
    xr = backend.matmul(x, r1, trans_a=True)  # (p, t + 1): Xᵀ(Y − ȳ), then X's column sums
    mx = xr[:, t] / nb
    if not np.isfinite(mx).all():
        found = _inspect(x, offset)
        if not found.count:  # every value finite, yet a column's sum is not
            raise ValueError(f"{names[0]}: the sum of a column over {nb} rows overflows float64 (the largest "
                             f"|value| is {float(np.abs(x).max()):.3g}); scale {names[0]} down")
        bad = {names[0]: found, **bad}
    if bad:
        out = Moments.empty(q)
        out.bad = bad
        return out
    M = np.empty((q, q))
    M[:p, :p] = backend.gram(x, shift=mx)
    mean = mx
    if t:
        r = r1[:, :t]
        cross = xr[:, :t] - np.outer(mx, r.sum(axis=0))
        M[:p, p:] = cross
        M[p:, :p] = cross.T
        M[p:, p:] = backend.gram(r)
        mean = np.concatenate([mx, my])
    return Moments(nb, mean, M)


# ------------------------------------------------------------------------ passes over rows
def _segments(n: int, rows: int, bounds: Sequence[int] | None = None) -> Iterator[tuple[int, int, int]]:
    """(start, stop, segment) of consecutive blocks of at most ``rows`` rows, never straddling
    one of ``bounds`` (the start of each fold, then n)."""
    edges = [0, n] if bounds is None else list(bounds)
    for k in range(len(edges) - 1):
        for s in range(edges[k], edges[k + 1], rows):
            yield s, min(s + rows, edges[k + 1]), k


def kfold_bounds(n: int, k: int) -> list[int]:
    """Fold starts of unshuffled K-fold (:class:`~mlbasics.model_selection.KFold`): the first
    n % K folds have one row more."""
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    return [0] + np.cumsum(sizes).astype(int).tolist()


def fold_count(folds: Any) -> int:
    """The number of folds of a ``folds`` argument (fold starts, or a label per row)."""
    if isinstance(folds, (list, tuple)):
        return len(folds) - 1
    labels = np.asarray(folds)
    return int(labels.max()) + 1 if labels.size else 0


def moments(sources: Sequence[Any], backend: Any, *, diag: bool = False, folds: Any = None, offset: int = 0,
            n_folds: int | None = None) -> Any:
    """One pass over the rows of the sources side by side ([X | Y]).

    Returns the merged :class:`Moments`, or one per fold when ``folds`` is given: a list of fold
    starts (contiguous folds, see :func:`kfold_bounds`), or a label vector (one int per row of
    the sources). ``offset`` is the row of X where the sources start (a dask chunk's): fold
    starts are in X's rows, error positions are reported in X's rows. Dask sources are reduced
    on the active scheduler (:mod:`mlbasics._dask`).
    """
    lazy = [s for s in sources if not isinstance(s, Rows)]
    if lazy:  # dask sources reduce themselves on the active scheduler
        return lazy[0].reduce_moments(sources, backend, diag=diag, folds=folds)
    n = sources[0].n
    q = sum(s.width for s in sources)
    names = [s.name for s in sources]
    rows = rows_per_block(q)
    buf = np.empty((min(rows, max(n, 1)), q))
    labels = bounds = None
    if folds is not None:
        n_folds = fold_count(folds) if n_folds is None else n_folds
        if isinstance(folds, (list, tuple)):
            bounds = [min(max(int(b) - offset, 0), n) for b in folds]
        else:
            labels = np.asarray(folds)
    acc = [Moments.empty(q, diag) for _ in range(1 if folds is None else int(n_folds or 0))]
    for s, e, k in _segments(n, rows, bounds):
        blocks = [src.read(s, e) for src in sources]
        if labels is None:
            acc[k] = merge(acc[k], block_moments(blocks, names, backend, offset=offset + s, diag=diag, buf=buf))
        else:
            lab = labels[s:e]
            for f in np.unique(lab):
                rows_f = np.flatnonzero(lab == f)
                part = block_moments([b[rows_f] for b in blocks], names, backend, offset=0, diag=diag, buf=buf)
                for bad in part.bad.values():  # positions of the gathered rows back to X's rows
                    bad.first = (offset + s + int(rows_f[bad.first[0]]),) + tuple(bad.first[1:])
                acc[int(f)] = merge(acc[int(f)], part)
        for src in sources:
            src.done(s, e)
    return acc[0] if folds is None else acc


def _qr_r(a: np.ndarray) -> np.ndarray:
    return scipy.linalg.qr(a, mode="r", overwrite_a=True, check_finite=False)[0]


@dataclass
class QRStats:
    """n, column means and an R factor with RᵀR = the centred co-moment of [X | Y]."""

    n: int
    mean: np.ndarray
    R: np.ndarray


def block_qr(blocks: Sequence[np.ndarray], names: Sequence[str], *, offset: int = 0,
             buf: np.ndarray | None = None) -> QRStats:
    nb = blocks[0].shape[0]
    q = sum(b.shape[1] for b in blocks)
    w = np.empty((nb, q), order="F") if buf is None or buf.shape[0] != nb else buf
    mean, bad = _center_into(blocks, w, offset, names)
    if mean is None:  # pragma: no cover - the moments pass before has checked every value
        raise ValueError(next(iter(bad.values())).message(next(iter(bad)), False))
    return QRStats(nb, mean, _qr_r(w))


def merge_qr(a: QRStats, b: QRStats) -> QRStats:
    """TSQR with centring: the R of [R_a; R_b; √(n_a n_b / n) δᵀ]."""
    if a.n == 0 or b.n == 0:
        return b if a.n == 0 else a
    n = a.n + b.n
    d = b.mean - a.mean
    stacked = np.vstack([a.R, b.R, np.sqrt(a.n * b.n / n) * d[None, :]])
    return QRStats(n, a.mean + d * (b.n / n), _qr_r(np.asfortranarray(stacked)))


def qr_stats(sources: Sequence[Any], backend: Any) -> QRStats:
    """One pass of blocked QR (TSQR) over the rows of [X | Y]."""
    lazy = [s for s in sources if not isinstance(s, Rows)]
    if lazy:
        return lazy[0].reduce_qr(sources)
    if sources[0].n == 0:
        q = sum(s.width for s in sources)
        return QRStats(0, np.zeros(q), np.zeros((0, q)))
    n = sources[0].n
    q = sum(s.width for s in sources)
    names = [s.name for s in sources]
    rows = max(rows_per_block(q), q)  # at least q rows: each block's R is then square
    buf = np.empty((min(rows, n), q), order="F")
    acc = QRStats(0, np.zeros(q), np.zeros((0, q)))
    for s, e, _ in _segments(n, rows):
        acc = merge_qr(acc, block_qr([src.read(s, e) for src in sources], names, offset=s, buf=buf))
        for src in sources:
            src.done(s, e)
    return acc


def product_pass(src: Any, mean: np.ndarray, right: np.ndarray, backend: Any, *, transpose: bool = False
                 ) -> np.ndarray:
    """(X − 1μᵀ) @ right (n × l), or with ``transpose`` (X − 1μᵀ)ᵀ @ right (p × l) for a right
    of n rows: one pass, each block centred into the buffer."""
    if not isinstance(src, Rows):
        return src.product(mean, right, backend, transpose=transpose)
    n, p = src.n, src.width
    rows = rows_per_block(p)
    buf = np.empty((min(rows, n), p))
    out = np.zeros((p, right.shape[1])) if transpose else np.empty((n, right.shape[1]))
    for s, e, _ in _segments(n, rows):
        w = buf[: e - s]
        np.subtract(src.read(s, e), mean, out=w)
        if transpose:
            out += backend.matmul(w, np.ascontiguousarray(right[s:e]), trans_a=True)
        else:
            backend.matmul(w, right, out=out[s:e])
        src.done(s, e)
    return out


def constant_columns(src: Any, m: Moments) -> np.ndarray:
    """Which columns of X hold one value only (max == min), from the diagonal moments.

    A column whose centred sum of squares is above the rounding noise a constant column can
    leave (M_jj/n ≤ (4 n eps |mean_j|)², which every constant column meets) is not constant;
    only the others — normally none — are checked exactly, by one pass over those columns.
    """
    eps = np.finfo(np.float64).eps
    suspect = np.flatnonzero(m.M / max(m.n, 1) <= (4 * m.n * eps * np.abs(m.mean)) ** 2)
    constant = np.zeros(m.mean.shape[0], dtype=bool)
    if suspect.size == 0:
        return constant
    if not isinstance(src, Rows):
        lo, hi = src.column_range(suspect)
    else:
        lo, hi = np.full(suspect.size, np.inf), np.full(suspect.size, -np.inf)
        for s, e, _ in _segments(src.n, rows_per_block(src.width)):
            block = src.read(s, e)[:, suspect]
            lo, hi = np.minimum(lo, block.min(axis=0)), np.maximum(hi, block.max(axis=0))
            src.done(s, e)
    constant[suspect] = lo == hi
    return constant
