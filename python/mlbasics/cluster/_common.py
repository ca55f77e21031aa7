"""What the in-memory and the streamed k-means share: greedy k-means++ seeding and the centre update."""
from __future__ import annotations

from typing import Any

import numpy as np


def _kmeans_plusplus(X: np.ndarray, k: int, w: np.ndarray, rng: np.random.Generator, backend: Any,
                     n_local_trials: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ (Arthur & Vassilvitskii 2007, with local trials).

    The first centre is a sample drawn with probability ∝ wᵢ. Each next centre: draw
    ``n_local_trials`` candidates with probability ∝ wᵢ D(xᵢ)² (D = distance to the nearest centre
    chosen so far) and keep the one that lowers the potential Σ wᵢ D(xᵢ)² the most.
    """
    n = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(k))
    indices = np.empty(k, dtype=np.int64)
    indices[0] = rng.choice(n, p=w / w.sum())
    closest = backend.pairwise_sq_distances(X[indices[:1]], X)[0].astype(np.float64)
    potential = float(closest @ w)
    for c in range(1, k):
        targets = rng.uniform(size=n_local_trials) * potential
        candidates = np.searchsorted(np.cumsum(w * closest), targets)
        np.minimum(candidates, n - 1, out=candidates)
        d = backend.pairwise_sq_distances(X[candidates], X).astype(np.float64)
        np.minimum(closest, d, out=d)
        potentials = d @ w
        best = int(np.argmin(potentials))
        potential, closest = float(potentials[best]), d[best]
        indices[c] = candidates[best]
    return X[indices].copy(), indices


def _average(sums: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Centres = sums / weights; a centre with no weight goes to the heaviest cluster's centre."""
    centers = np.empty_like(sums)
    has = weights > 0
    centers[has] = sums[has] / weights[has, None]
    if not has.all():
        centers[~has] = centers[int(np.argmax(weights))]
    return centers
