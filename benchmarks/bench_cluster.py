"""The distances family and the clustering estimators, on every backend, with scikit-learn as the
peer where it is installed; one group per (work, dtype), NumPy inside each group.

- kmeans_step: one Lloyd assignment pass (labels and per-centre sums) at k = 8 and 256;
- KMeans: Lloyd iterations from fixed initial centres (tol=0, so every fit runs max_iter);
- MiniBatchKMeans: a fixed number of mini-batch steps (no early stop);
- nearest_neighbors: the 10 nearest neighbours of every row;
- SpectralClustering and Isomap on 2,000 points.

Run: python -m pytest benchmarks/bench_cluster.py --benchmark-only
With --benchmark-disable (CI) the sizes shrink 20-fold. ``python -m mlbasics bench --parts cluster``
prints the same comparisons as ratios in one table.
"""
import warnings

import numpy as np
import pytest

from mlbasics.cluster import KMeans, MiniBatchKMeans, SpectralClustering
from mlbasics.datasets import make_moons, make_swiss_roll
from mlbasics.manifold import Isomap

DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])


def _n(request, full):
    return full if not request.config.getoption("benchmark_disable") else max(full // 20, 200)


def _data(n, p, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal((n, p)).astype(dtype)


def _sklearn(name):
    cluster = pytest.importorskip("sklearn.cluster")
    return getattr(cluster, name)


@DTYPES
@pytest.mark.parametrize("k", [8, 256])
def test_kmeans_step(benchmark, backend, dtype, k, request):
    X = _data(_n(request, 200_000), 32, dtype)
    centres = X[:k].copy()
    benchmark.group = f"kmeans_step {X.shape[0]:,}x32 k={k} {np.dtype(dtype).name}"
    benchmark.extra_info["gflop"] = 2 * X.shape[0] * k * 32 / 1e9
    backend.kmeans_step(X, centres, return_sq_dist=False)  # warm-up (JIT)
    labels, _, sums, weights = benchmark(backend.kmeans_step, X, centres, None, False)
    reference = np.argmin(np.einsum("ij,ij->i", centres, centres)[None, :] - 2 * X @ centres.T, axis=1)
    assert np.mean(labels == reference) > 0.999 and weights.sum() == X.shape[0]


def _kmeans_fit(make, X, centres):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(X)


@DTYPES
@pytest.mark.parametrize("k", [8, 256])
def test_kmeans_lloyd(benchmark, backend, dtype, k, request):
    X = _data(_n(request, 200_000), 32, dtype)
    centres = X[:k].copy()
    benchmark.group = f"KMeans 10 Lloyd iterations {X.shape[0]:,}x32 k={k} {np.dtype(dtype).name}"
    make = lambda: KMeans(k, init=centres, max_iter=10, tol=0.0, backend=backend.name)  # noqa: E731
    _kmeans_fit(make, X, centres)
    km = benchmark(_kmeans_fit, make, X, centres)
    assert km.n_iter_ == 10 and np.isfinite(km.inertia_)


@DTYPES
@pytest.mark.parametrize("k", [8, 256])
def test_kmeans_lloyd_sklearn(benchmark, dtype, k, request):
    SK = _sklearn("KMeans")
    X = _data(_n(request, 200_000), 32, dtype)
    centres = X[:k].copy()
    benchmark.group = f"KMeans 10 Lloyd iterations {X.shape[0]:,}x32 k={k} {np.dtype(dtype).name}"
    make = lambda: SK(k, init=centres, n_init=1, max_iter=10, tol=0.0, algorithm="lloyd")  # noqa: E731
    km = benchmark(_kmeans_fit, make, X, centres)
    assert km.n_iter_ == 10


@DTYPES
def test_minibatch_kmeans(benchmark, backend, dtype, request):
    X = _data(_n(request, 200_000), 32, dtype)
    benchmark.group = f"MiniBatchKMeans 1 epoch {X.shape[0]:,}x32 k=8 batch 1024 {np.dtype(dtype).name}"
    make = lambda: MiniBatchKMeans(8, init=X[:8].copy(), batch_size=1024, max_iter=1,  # noqa: E731
                                   max_no_improvement=None, compute_labels=False, random_state=0,
                                   backend=backend.name)
    _kmeans_fit(make, X, None)
    km = benchmark(_kmeans_fit, make, X, None)
    assert km.n_steps_ == X.shape[0] // 1024


@DTYPES
def test_minibatch_kmeans_sklearn(benchmark, dtype, request):
    SK = _sklearn("MiniBatchKMeans")
    X = _data(_n(request, 200_000), 32, dtype)
    benchmark.group = f"MiniBatchKMeans 1 epoch {X.shape[0]:,}x32 k=8 batch 1024 {np.dtype(dtype).name}"
    make = lambda: SK(8, init=X[:8].copy(), n_init=1, batch_size=1024, max_iter=1,  # noqa: E731
                      max_no_improvement=None, compute_labels=False, random_state=0)
    km = benchmark(_kmeans_fit, make, X, None)
    assert km.n_steps_ == X.shape[0] // 1024


@DTYPES
def test_nearest_neighbors(benchmark, backend, dtype, request):
    X = _data(_n(request, 20_000), 16, dtype)
    benchmark.group = f"nearest_neighbors 10-NN of {X.shape[0]:,}x16 {np.dtype(dtype).name}"
    backend.nearest_neighbors(X[:100], 10)
    _, indices = benchmark(backend.nearest_neighbors, X, 10)
    assert indices.shape == (X.shape[0], 10) and not np.any(indices == np.arange(X.shape[0])[:, None])


@pytest.mark.parametrize("affinity", ["nearest_neighbors", "rbf"])
def test_spectral_clustering(benchmark, backend, affinity, request):
    X, y = make_moons(_n(request, 2_000), noise=0.05, random_state=0)
    benchmark.group = f"SpectralClustering {affinity} {X.shape[0]:,} moons"
    make = lambda: SpectralClustering(2, affinity=affinity, gamma=30.0, random_state=0,  # noqa: E731
                                      backend=backend.name)
    labels = benchmark(lambda: _kmeans_fit(make, X, None).labels_)
    assert min(np.mean(labels == y), np.mean(labels != y)) < 0.05  # the two moons, up to naming


@pytest.mark.parametrize("affinity", ["nearest_neighbors", "rbf"])
def test_spectral_clustering_sklearn(benchmark, affinity, request):
    SK = _sklearn("SpectralClustering")
    X, y = make_moons(_n(request, 2_000), noise=0.05, random_state=0)
    benchmark.group = f"SpectralClustering {affinity} {X.shape[0]:,} moons"
    labels = benchmark(lambda: _kmeans_fit(lambda: SK(2, affinity=affinity, gamma=30.0, random_state=0),
                                           X, None).labels_)
    assert min(np.mean(labels == y), np.mean(labels != y)) < 0.05


def test_isomap(benchmark, backend, request):
    X, _ = make_swiss_roll(_n(request, 2_000), random_state=0)
    benchmark.group = f"Isomap 10-NN {X.shape[0]:,} swiss roll"
    Z = benchmark(lambda: Isomap(n_neighbors=10, backend=backend.name).fit_transform(X))
    assert Z.shape == (X.shape[0], 2)


def test_isomap_sklearn(benchmark, request):
    manifold = pytest.importorskip("sklearn.manifold")
    X, _ = make_swiss_roll(_n(request, 2_000), random_state=0)
    benchmark.group = f"Isomap 10-NN {X.shape[0]:,} swiss roll"
    Z = benchmark(lambda: manifold.Isomap(n_neighbors=10).fit_transform(X))
    assert Z.shape == (X.shape[0], 2)
