"""Fits that stream row blocks of X (mlbasics/_chunked.py, mlbasics/_dask.py): in-memory fit times
against scikit-learn, and dask fits against the in-memory fit. Figures are reported, not asserted
(each benchmark checks its result only).

- LinearRegression on 1,000,000 × 100 (one Gram product + one read of X) against scikit-learn's;
- PCA(10) on 100,000 × 256 (covariance_eigh) against scikit-learn's covariance_eigh and randomized;
- StandardScaler on 1,000,000 × 100;
- multinomial LogisticRegression (lbfgs) on 100,000 × 100, 10 classes, against scikit-learn's;
- LinearRegression and PCA(10) on a dask array of 1,000,000 × 100 in 8 persisted chunks, on the
  synchronous scheduler and on a distributed.LocalCluster (2 worker processes, 1 thread each),
  against the in-memory fit (skipped without dask).

Run: python -m pytest benchmarks/bench_scale.py --benchmark-only
With --benchmark-disable (CI) the sizes shrink 50-fold. Both sides of a comparison run with one BLAS
thread pool limited to our thread count (threadpoolctl), as in the other benchmarks' groups.
"""
import warnings

import numpy as np
import pytest

from mlbasics.decomposition import PCA
from mlbasics.linear_model import LinearRegression, LogisticRegression
from mlbasics.preprocessing import StandardScaler


@pytest.fixture(autouse=True, scope="module")
def _equal_threads():
    """scikit-learn's BLAS gets as many threads as our pool (2 cores: two pools at once oversubscribe)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    import mlbasics

    with threadpool_limits(limits=mlbasics.get_num_threads(), user_api="blas"):
        yield


def _n(request, full):
    return full if not request.config.getoption("benchmark_disable") else max(full // 50, 1000)


def _regression(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + 5.0
    return X, X @ rng.standard_normal(p) + 1.0 + 0.1 * rng.standard_normal(n)


def _rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b)))


def _sk(module):
    return pytest.importorskip(f"sklearn.{module}")


@pytest.fixture(scope="module")
def lr_data(request):
    return _regression(_n(request, 1_000_000), 100)


@pytest.fixture(scope="module")
def pca_data(request):
    rng = np.random.default_rng(1)
    return rng.standard_normal((_n(request, 100_000), 256)) @ rng.standard_normal((256, 256)) * 0.1 + 3.0


# ------------------------------------------------------------------ in memory
def test_linear_regression(benchmark, backend, lr_data):
    X, y = lr_data
    benchmark.group = f"LinearRegression {X.shape[0]:,}x{X.shape[1]} float64"
    benchmark.extra_info["X GB"] = X.nbytes / 1e9
    LinearRegression(backend=backend.name).fit(X[:1000], y[:1000])  # warm-up (JIT)
    est = benchmark(lambda: LinearRegression(backend=backend.name).fit(X, y))
    ref = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    assert _rel(est.coef_, ref[:-1]) < 1e-8


def test_linear_regression_sklearn(benchmark, lr_data):
    X, y = lr_data
    benchmark.group = f"LinearRegression {X.shape[0]:,}x{X.shape[1]} float64"
    est = benchmark(lambda: _sk("linear_model").LinearRegression().fit(X, y))
    assert est.coef_.shape == (X.shape[1],)


def test_pca(benchmark, backend, pca_data):
    X = pca_data
    benchmark.group = f"PCA(10) {X.shape[0]:,}x{X.shape[1]} float64"
    PCA(10, svd_solver="covariance_eigh", backend=backend.name).fit(X[:1000])
    pca = benchmark(lambda: PCA(10, svd_solver="covariance_eigh", backend=backend.name).fit(X))
    ref = _sk("decomposition").PCA(10, svd_solver="full").fit(X)
    assert _rel(pca.explained_variance_, ref.explained_variance_) < 1e-8


@pytest.mark.parametrize("solver", ["covariance_eigh", "randomized"])
def test_pca_sklearn(benchmark, pca_data, solver):
    X = pca_data
    benchmark.group = f"PCA(10) {X.shape[0]:,}x{X.shape[1]} float64"
    pca = benchmark(lambda: _sk("decomposition").PCA(10, svd_solver=solver, random_state=0).fit(X))
    assert pca.components_.shape == (10, X.shape[1])


def test_standard_scaler(benchmark, lr_data):
    X, _ = lr_data
    benchmark.group = f"StandardScaler {X.shape[0]:,}x{X.shape[1]} float64"
    sc = benchmark(lambda: StandardScaler().fit(X))
    ref = _sk("preprocessing").StandardScaler().fit(X)
    assert _rel(sc.var_, ref.var_) < 1e-10


def test_standard_scaler_sklearn(benchmark, lr_data):
    X, _ = lr_data
    benchmark.group = f"StandardScaler {X.shape[0]:,}x{X.shape[1]} float64"
    benchmark(lambda: _sk("preprocessing").StandardScaler().fit(X))


@pytest.fixture(scope="module")
def multinomial(request):
    rng = np.random.default_rng(2)
    n = _n(request, 100_000)
    X = rng.standard_normal((n, 100))
    y = np.argmax(X @ rng.standard_normal((100, 10)) * 0.3 + rng.gumbel(size=(n, 10)), axis=1)
    return X, y


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


def test_logistic_multinomial(benchmark, multinomial):
    X, y = multinomial
    benchmark.group = f"LogisticRegression lbfgs {X.shape[0]:,}x100, 10 classes"
    est = benchmark(lambda: _quiet(lambda: LogisticRegression(max_iter=200).fit(X, y)))
    ref = _quiet(lambda: _sk("linear_model").LogisticRegression(max_iter=200).fit(X, y))
    assert _rel(est.coef_ - est.coef_.mean(0), ref.coef_ - ref.coef_.mean(0)) < 1e-2


def test_logistic_multinomial_sklearn(benchmark, multinomial):
    X, y = multinomial
    benchmark.group = f"LogisticRegression lbfgs {X.shape[0]:,}x100, 10 classes"
    benchmark(lambda: _quiet(lambda: _sk("linear_model").LogisticRegression(max_iter=200).fit(X, y)))


# ------------------------------------------------------------------------ dask
@pytest.fixture(scope="module")
def cluster_client():
    pytest.importorskip("distributed")
    from mlbasics._benchmark import local_cluster

    with local_cluster() as client:
        yield client


@pytest.fixture(params=["synchronous", "LocalCluster"])
def dask_setup(request, lr_data):
    """(scheduler, X, y): 8 persisted row chunks, generated where they are used (not sent from here)."""
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    n = lr_data[0].shape[0]
    get = "synchronous" if request.param == "synchronous" else request.getfixturevalue("cluster_client").get
    with dask.config.set(scheduler=get):
        rng = da.random.default_rng(0)
        X = rng.standard_normal((n, 100), chunks=(-(-n // 8), 100)) + 5.0
        y = X @ np.linspace(-1, 1, 100) + 1.0
        X, y = dask.persist(X, y)
        yield request.param, X, y


@pytest.mark.parametrize("model", ["LinearRegression", "PCA(10)"])
def test_dask_fit(benchmark, dask_setup, model):
    scheduler, X, y = dask_setup
    benchmark.group = f"dask {model} {X.shape[0]:,}x100 float64, 8 chunks"
    benchmark.name = f"{scheduler}"
    make = (lambda: LinearRegression().fit(X, y)) if model == "LinearRegression" else (lambda: PCA(10).fit(X))
    est = benchmark.pedantic(make, rounds=3, iterations=1)
    Xm = X.compute()
    ref = LinearRegression().fit(Xm, y.compute()) if model == "LinearRegression" else PCA(10).fit(Xm)
    got, want = (est.coef_, ref.coef_) if model == "LinearRegression" else (est.explained_variance_,
                                                                            ref.explained_variance_)
    assert _rel(got, want) < 1e-8


@pytest.mark.parametrize("model", ["LinearRegression", "PCA(10)"])
def test_dask_fit_in_memory(benchmark, lr_data, model):
    X, y = lr_data
    benchmark.group = f"dask {model} {X.shape[0]:,}x100 float64, 8 chunks"
    benchmark.name = "in memory"
    make = (lambda: LinearRegression().fit(X, y)) if model == "LinearRegression" else (lambda: PCA(10).fit(X))
    benchmark.pedantic(make, rounds=3, iterations=1)


# ------------------------------------------------------------------ k-means over blocks
@pytest.fixture(scope="module")
def kmeans_data(request, tmp_path_factory):
    """(X in memory, the same X as an np.memmap file, 16 initial centres): 500,000 × 32 float64."""
    n = _n(request, 500_000)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 32)) + rng.integers(0, 4, size=(n, 1)) * 3.0
    path = tmp_path_factory.mktemp("kmeans") / "X.npy"
    np.save(path, X)
    return X, np.load(path, mmap_mode="r"), X[:16].copy()


@pytest.mark.parametrize("source", ["in memory", "memmap (streamed)", "dask, 8 chunks (streamed)"])
def test_kmeans_blocks(benchmark, kmeans_data, source):
    """10 Lloyd iterations from the same centres: the streamed passes against the in-memory fit."""
    from mlbasics.cluster import KMeans

    X, Xm, init = kmeans_data
    benchmark.group = f"KMeans(16) 10 iterations {X.shape[0]:,}x32 float64"
    benchmark.name = source
    data = {"in memory": X, "memmap (streamed)": Xm}.get(source)
    if data is None:
        dask = pytest.importorskip("dask")
        da = pytest.importorskip("dask.array")
        data = dask.persist(da.from_array(X, chunks=(-(-X.shape[0] // 8), 32)))[0]
    est = benchmark.pedantic(lambda: KMeans(16, init=init, max_iter=10, tol=0).fit(data), rounds=3, iterations=1)
    ref = KMeans(16, init=init, max_iter=10, tol=0).fit(X)
    assert _rel(est.cluster_centers_, ref.cluster_centers_) < 1e-10
