"""k-means over row blocks: X streamed from a memory map, an h5py/zarr array or a Dask cluster.

:class:`~mlbasics.cluster.KMeans` fits this way when X lives outside the process
(:func:`mlbasics._chunked.out_of_core`), or with ``init="k-means||"`` for any X. Every pass is a
``reduce`` over the source's row blocks (:meth:`mlbasics._chunked.Rows.reduce`, or one task per
chunk on the workers for a dask array, tree-reduced): only k × p sums travel.

* Pass 1: the column means and variances (``tol`` relative to the mean variance, as in memory;
  X centred block by block, never as a whole) and the finiteness check.
* Seeding by k-means|| (Bahmani et al., "Scalable k-means++", 2012), for ``"k-means++"`` and
  ``"k-means||"``: a first centre drawn uniformly, then ``_ROUNDS`` passes that each add every
  row x with probability min(1, ℓ D(x)² / ψ) (ℓ = 2k, D the distance to the candidates so far,
  ψ = Σ D²), one pass that weighs each candidate by the rows nearest to it, and greedy weighted
  k-means++ on the candidates (in memory: about 1 + 5·2k rows). Row i's coin is a Philox word
  numbered by i (``backends/numpy/_philox.py``), so the seeding does not depend on how X is cut
  into blocks or chunks. One pass per round: ψ of the round is only known at its end, so each
  block keeps the rows that would be chosen against the block's own ψ (a superset: ψ ≥ the
  block's share), and the merge keeps those chosen against the total.
* Lloyd iterations: one pass each (``kmeans_step`` on the centred block: per-centre sums and
  counts), stopping when the squared centre shift is within ``tol`` — the same iterations, in
  the same number, as in memory (an assignment that repeats gives a shift of exactly 0). An empty
  cluster costs one more pass, which finds the rows farthest from their centres.
* A last pass for the labels and the inertia. ``labels_`` is an ndarray for a memory map or an
  array-like (n int64: 8 bytes a row), a lazy dask array for a dask X.

Given the same initial centres (``init`` an array), the fit equals the in-memory one: blocks of
the sums are merged in row order (in chunk-tree order on Dask), which changes only the rounding.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import _chunked, _rows
from .._validation import check_random_state
from ..backends import get_backend
from ..backends.numpy import _philox
from ._common import _average, _kmeans_plusplus

#: Oversampling rounds of k-means|| (each adds about 2k candidates).
_ROUNDS = 5
#: The Philox key of k-means||'s coins is drawn from the estimator's generator; rounds are streams.
_STREAM0 = 1


def _centred(block: np.ndarray, mean: np.ndarray) -> np.ndarray:
    return np.asarray(block, dtype=mean.dtype) - mean


# ------------------------------------------------------------ block functions (run on workers)
def _moments_block(block: np.ndarray, start: int, backend: str) -> Any:
    src = _chunked.Rows(np.asarray(block, dtype=np.float64) if block.dtype.kind != "f" else block, "X")
    return _chunked.moments([src], get_backend(backend), diag=True, offset=start)


def _sample_block(block: np.ndarray, start: int, mean: np.ndarray, cand: np.ndarray, backend: str, ell: float,
                  seed: int, stream: int) -> tuple[float, list]:
    """(ψ of the block, [(key, row index, row)] of the rows whose coin beats the block's own ψ)."""
    d2 = get_backend(backend).kmeans_step(_centred(block, mean), cand)[1]
    assert d2 is not None
    d2 = d2.astype(np.float64)
    psi = float(d2.sum())
    if not psi > 0:
        return psi, []
    u = (_philox.words(block.shape[0], seed=seed, offset=start, stream=stream).astype(np.float64) + 1.0) / 2.0**32
    key = ell * d2 / u  # chosen against ψ exactly when key > ψ (probability min(1, ℓ D² / ψ))
    rows = np.flatnonzero(key > psi)
    return psi, [(float(key[i]), start + int(i), np.array(block[i], dtype=mean.dtype)) for i in rows]


def _merge_sample(a: tuple[float, list], b: tuple[float, list]) -> tuple[float, list]:
    return a[0] + b[0], a[1] + b[1]


def _lloyd_block(block: np.ndarray, start: int, mean: np.ndarray, centers: np.ndarray, backend: str,
                 sq: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """(Σ of each centre's rows, their count, Σ D² when ``sq``) of one block, in float64."""
    _, d2, sums, weights = get_backend(backend).kmeans_step(_centred(block, mean), centers, return_sq_dist=sq)
    inertia = float(np.sum(d2, dtype=np.float64)) if d2 is not None else 0.0
    return sums.astype(np.float64), weights.astype(np.float64), inertia


def _merge_lloyd(a: tuple, b: tuple) -> tuple:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def _far_block(block: np.ndarray, start: int, mean: np.ndarray, centers: np.ndarray, backend: str, m: int
               ) -> list:
    """The ``m`` rows of the block farthest from their centres: [(−D², index, label, row)], D²
    computed directly (as the in-memory relocation does)."""
    xc = _centred(block, mean)
    labels = get_backend(backend).kmeans_step(xc, centers, return_sq_dist=False)[0]
    d = xc - centers[labels]
    d2 = np.einsum("ij,ij->i", d, d)
    top = np.argsort(-d2.astype(np.float64), kind="stable")[:m]
    return [(-float(d2[i]), start + int(i), int(labels[i]), xc[i].copy()) for i in top]


def _merge_far(a: list, b: list, m: int) -> list:
    return sorted(a + b, key=lambda t: (t[0], t[1]))[:m]


def _labels_block(block: np.ndarray, start: int, mean: np.ndarray, centers: np.ndarray, backend: str
                  ) -> tuple[list, float]:
    labels, d2, _, _ = get_backend(backend).kmeans_step(_centred(block, mean), centers)
    assert d2 is not None
    return [labels], float(np.sum(d2, dtype=np.float64))


def _merge_labels(a: tuple[list, float], b: tuple[list, float]) -> tuple[list, float]:
    return a[0] + b[0], a[1] + b[1]


def _labels_of(mean: np.ndarray, centers: np.ndarray, backend: str, chunk: np.ndarray) -> np.ndarray:
    return get_backend(backend).kmeans_step(_centred(chunk, mean), centers, return_sq_dist=False)[0]


# ---------------------------------------------------------------------------- the fit
def _kmeans_parallel(src: Any, mean: np.ndarray, k: int, rng: np.random.Generator, backend: Any) -> np.ndarray:
    """k-means|| seeding over the source's blocks: k centred initial centres."""
    name = backend.name
    cand = src.take(np.array([rng.integers(src.n)])).astype(mean.dtype) - mean
    seed = int(rng.integers(0, 2**63))
    ell = 2.0 * k
    for r in range(_ROUNDS):
        psi, chosen = src.reduce(_sample_block, _merge_sample, mean, cand, name, ell, seed, _STREAM0 + r)
        new = sorted(t[1:] for t in chosen if t[0] > psi)  # by row index: independent of the blocking
        if not new:
            break
        cand = np.vstack([cand] + [row[None, :] - mean for _, row in new])
    weights = src.reduce(_lloyd_block, _merge_lloyd, mean, cand, name, False)[1]
    if cand.shape[0] <= k:
        extra = k - cand.shape[0]
        if extra:  # fewer distinct candidates than clusters: fill with random rows
            rows = np.sort(rng.choice(src.n, size=extra, replace=False))
            cand = np.vstack([cand, src.take(rows).astype(mean.dtype) - mean])
        return np.ascontiguousarray(cand)
    return _kmeans_plusplus(cand, k, weights, rng, backend)[0]


def _relocate(src: Any, mean: np.ndarray, centers: np.ndarray, sums: np.ndarray, weights: np.ndarray,
              empty: np.ndarray, name: str) -> None:
    """The in-memory rule (``_relocate_empty``): the farthest rows move, one to each empty centre."""
    m = int(empty.size)
    far = src.reduce(_far_block, functools.partial(_merge_far, m=m), mean, centers, name, m)
    if not far or not -far[0][0] > 0:
        return
    for new_id, (_, _, old_id, row) in zip(empty, far):
        sums[old_id] -= row
        sums[new_id] = row
        weights[new_id] = 1.0
        weights[old_id] -= 1.0


def fit(est: Any, X: Any) -> None:
    """Fit the KMeans ``est`` on X by passes over its row blocks; sets the fitted attributes."""
    src = _rows.as_rows(X, "X")
    k = int(est.n_clusters)
    if k > src.n:
        raise ValueError(f"n_clusters: expected at most n_samples={src.n}, got {k}")
    src = src.persist()
    backend = get_backend(est.backend)
    name = backend.name
    dtype = src.out_dtype
    stats = src.reduce(_moments_block, _chunked.merge, name)
    stats.check(("X", False))
    mean = stats.mean.astype(dtype)
    tol = float(np.mean(stats.M / src.n)) * float(est.tol) if est.tol else 0.0

    init = est.init
    if isinstance(init, str):
        n_init = (1 if init != "random" else 10) if est.n_init == "auto" else int(est.n_init)
    else:
        init = np.asarray(init, dtype=dtype)
        if init.shape != (k, src.width):
            raise ValueError(f"init: expected an array of shape (n_clusters, n_features) = {(k, src.width)}, "
                             f"got {init.shape}")
        n_init = 1
    rng = check_random_state(est.random_state)
    best: tuple | None = None
    for run in range(n_init):
        if not isinstance(init, str):
            centers = np.ascontiguousarray(init - mean)
        elif init == "random":
            # the in-memory draw (k distinct rows, uniform), read in increasing order
            rows = rng.choice(src.n, size=k, replace=False, p=np.full(src.n, 1.0 / src.n))
            order = np.argsort(rows)
            centers = np.empty((k, src.width), dtype=dtype)
            centers[order] = src.take(rows[order]).astype(dtype) - mean
        else:
            centers = _kmeans_parallel(src, mean, k, rng, backend)
        if est.verbose:
            print(f"Initialization complete (run {run + 1} of {n_init})")
        it = 0
        for it in range(int(est.max_iter)):
            sums, weights, inertia = src.reduce(_lloyd_block, _merge_lloyd, mean, centers, name, bool(est.verbose))
            if est.verbose:
                print(f"Iteration {it}, inertia {inertia:.6g}")
            empty = np.flatnonzero(weights == 0)
            if empty.size:
                _relocate(src, mean, centers, sums, weights, empty, name)
            new = _average(sums, weights).astype(dtype)
            shift = float(np.sum((new.astype(np.float64) - centers) ** 2))
            centers = np.ascontiguousarray(new)
            if shift <= tol:
                if est.verbose:
                    print(f"Converged at iteration {it}: center shift {shift:.6g} within tolerance {tol:.6g}.")
                break
        labels, inertia = src.reduce(_labels_block, _merge_labels, mean, centers, name) if not \
            _chunked.is_dask_source(src) else (None, src.reduce(_lloyd_block, _merge_lloyd, mean, centers, name,
                                                                 True)[2])
        if best is None or inertia < best[1]:
            best = (labels, inertia, centers, it + 1)
    assert best is not None
    labels, inertia, centers, n_iter = best
    if labels is None:  # dask: the labels stay lazy, one task per chunk
        labels = _rows.dask_map(functools.partial(_labels_of, mean, centers, name), X, src.width, None, np.int64)
    else:
        labels = np.concatenate(labels)
        est._warn_if_fewer_clusters(labels)
    est.cluster_centers_ = (centers + mean).astype(dtype, copy=False)
    est.labels_ = labels
    est.inertia_ = float(inertia)
    est.n_iter_ = n_iter
    est.n_features_in_ = src.width
