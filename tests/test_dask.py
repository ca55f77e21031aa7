"""Fits on dask arrays (mlbasics/_dask.py) equal the in-memory fits, on the synchronous scheduler and on a
real distributed.LocalCluster (2 worker processes, loopback only), for several chunkings and both float
dtypes; predict/transform stay lazy; bad input is a clear error and leaves the estimator unfitted.

Skipped when dask is not installed, except where ``MLBASICS_REQUIRE_DASK=1`` (set by ``.ci/run``).
Every test is bounded in time by a SIGALRM (no pytest-timeout needed).
"""
import contextlib
import os
import signal
import warnings

import numpy as np
import pytest

if os.environ.get("MLBASICS_REQUIRE_DASK") == "1":
    import dask  # noqa: F401 - an ImportError here fails the run
    import distributed  # noqa: F401
else:
    pytest.importorskip("dask.array")
    pytest.importorskip("distributed")

import dask  # noqa: E402
import dask.array as da  # noqa: E402

from mlbasics.cluster import KMeans  # noqa: E402
from mlbasics.decomposition import PCA  # noqa: E402
from mlbasics.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV  # noqa: E402
from mlbasics.preprocessing import StandardScaler  # noqa: E402

TIME_LIMIT = 90  # seconds per test


@contextlib.contextmanager
def _alarm(seconds, what):
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - not on Windows
        yield
        return

    def expired(signum, frame):
        raise TimeoutError(f"{what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _bounded(request):
    with _alarm(TIME_LIMIT, request.node.name):
        yield


@contextlib.contextmanager
def _local_cluster():
    """A real cluster: 2 worker processes (each under a nanny that restarts it) with 1 thread each,
    loopback only, no dashboard; closed whatever happens. Starting it sets OMP_NUM_THREADS=1 (and
    the BLAS variables) in this process's environment for its workers; the environment is restored
    at the end, so that later tests' subprocesses (``mlbasics info``) do not inherit one thread."""
    import os

    from distributed import Client, LocalCluster

    saved_environ = dict(os.environ)
    cluster = cl = None
    with _alarm(120, "starting the LocalCluster"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # distributed's start-up notices (ports, resources) are not ours
        try:
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
            cl = Client(cluster, set_as_default=False)
        except BaseException:
            if cluster is not None:
                cluster.close()
            os.environ.clear()
            os.environ.update(saved_environ)
            raise
    try:
        yield cl
    finally:
        with _alarm(60, "closing the LocalCluster"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                cl.close()
                cluster.close()
            finally:
                os.environ.clear()
                os.environ.update(saved_environ)


@pytest.fixture(scope="module")
def client():
    """The LocalCluster the ``scheduler`` fixture runs tests on (see :func:`_local_cluster`)."""
    with _local_cluster() as cl:
        yield cl


@pytest.fixture(params=["synchronous", "distributed"])
def scheduler(request):
    """Run the test body on Dask's synchronous scheduler or on the LocalCluster."""
    if request.param == "synchronous":
        with dask.config.set(scheduler="synchronous"):
            yield request.param
    else:
        cl = request.getfixturevalue("client")
        with dask.config.set(scheduler=cl.get):
            yield request.param


def _data(n=120, p=5, t=None, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(n, p)) * rng.uniform(0.5, 3, size=p) + rng.normal(size=p) * 10).astype(dtype)
    w = rng.normal(size=(p,) if t is None else (p, t))
    return X, X.astype(np.float64) @ w + 1.5 + 0.1 * rng.normal(size=n if t is None else (n, t))


CHUNKINGS = {
    "one": lambda n: n,
    "uneven": lambda n: (7, 50, n - 57 - 13, 13),
    "rows1": lambda n: 1,
}


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


ESTIMATORS = {
    "LinearRegression": lambda: LinearRegression(),
    "LinearRegression-lstsq": lambda: LinearRegression(solver="lstsq"),
    "Ridge": lambda: Ridge(alpha=2.0),
    "RidgeCV": lambda: RidgeCV(alphas=(0.01, 1.0, 100.0), cv=4),
    "PCA": lambda: PCA(3, svd_solver="covariance_eigh"),
    "PCA-randomized": lambda: PCA(2, svd_solver="randomized", random_state=0),
    "StandardScaler": lambda: StandardScaler(),
}
FITTED = ("coef_", "intercept_", "alpha_", "cv_scores_", "components_", "explained_variance_", "singular_values_",
          "mean_", "var_", "scale_", "noise_variance_")


@pytest.mark.parametrize("chunking", sorted(CHUNKINGS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_fit_equals_in_memory(scheduler, chunking, dtype, name):
    n = 24 if chunking == "rows1" else 120
    X, y = _data(n=n, dtype=dtype)
    Xd = da.from_array(X, chunks=(CHUNKINGS[chunking](n), 3))  # columns split too: joined per row block
    yd = da.from_array(y, chunks=25)                            # other row chunks than X: rechunked
    ref = ESTIMATORS[name]().fit(X, y)
    est = ESTIMATORS[name]().fit(Xd, yd)
    for attr in FITTED:
        if hasattr(ref, attr):
            got, want = getattr(est, attr), getattr(ref, attr)
            assert not isinstance(got, da.Array), attr
            assert np.asarray(got).dtype == np.asarray(want).dtype, attr
            assert _rel(got, want) < 1e-8, (attr, _rel(got, want))
    method = "predict" if hasattr(ref, "predict") else "transform"
    lazy = getattr(est, method)(Xd)
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(lazy.compute(), getattr(ref, method)(X), rtol=1e-5 if dtype == np.float32 else 1e-9,
                               atol=1e-5 if dtype == np.float32 else 1e-9)
    assert lazy.dtype == getattr(ref, method)(X).dtype
    assert isinstance(getattr(est, method)(X), np.ndarray)


@pytest.mark.parametrize("chunking", ["one", "uneven"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_kmeans_equals_in_memory(scheduler, chunking, dtype):
    X, _ = _data(n=120, dtype=dtype)
    Xd = da.from_array(X, chunks=(CHUNKINGS[chunking](120), 5))
    for init in (X[[0, 40, 80]], "k-means||"):  # given centres; k-means|| (per-row coins: any chunking)
        ref = KMeans(3, init=init, n_init=1, random_state=0).fit(X)
        est = KMeans(3, init=init, n_init=1, random_state=0).fit(Xd)
        assert isinstance(est.cluster_centers_, np.ndarray) and est.cluster_centers_.dtype == dtype
        assert _rel(est.cluster_centers_, ref.cluster_centers_) < (1e-5 if dtype == np.float32 else 1e-10)
        assert est.n_iter_ == ref.n_iter_
        assert isinstance(est.labels_, da.Array)  # lazy: one task per chunk
        np.testing.assert_array_equal(est.labels_.compute(), ref.labels_)
        lazy = est.predict(Xd)
        assert isinstance(lazy, da.Array) and lazy.dtype == np.int64
        np.testing.assert_array_equal(lazy.compute(), ref.predict(X))
        dist = est.transform(Xd)
        assert isinstance(dist, da.Array) and dist.dtype == dtype
        np.testing.assert_allclose(dist.compute(), ref.transform(X), rtol=1e-4 if dtype == np.float32 else 1e-8)


def test_kmeans_on_dask_refuses_weights_and_nan():
    X, _ = _data(n=40)
    with pytest.raises(ValueError, match="sample_weight: not supported with a dask array"):
        KMeans(2).fit(da.from_array(X, chunks=10), sample_weight=np.ones(40))
    X[33, 1] = np.inf
    with dask.config.set(scheduler="synchronous"), pytest.raises(ValueError, match=r"X: contains NaN or infinity.*\(33, 1\)"):
        KMeans(2).fit(da.from_array(X, chunks=10))


def test_multi_output_and_inverse_transform(scheduler):
    X, Y = _data(n=90, t=3)
    Xd, Yd = da.from_array(X, chunks=(31, 5)), da.from_array(Y, chunks=(45, 2))
    est, ref = Ridge(alpha=0.5).fit(Xd, Yd), Ridge(alpha=0.5).fit(X, Y)
    assert _rel(est.coef_, ref.coef_) < 1e-10 and est.predict(Xd).shape == (90, 3)
    pca = PCA(2).fit(Xd)
    back = pca.inverse_transform(pca.transform(Xd))
    assert isinstance(back, da.Array)
    np.testing.assert_allclose(back.compute(), PCA(2).fit(X).inverse_transform(PCA(2).fit(X).transform(X)),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_lbfgs_one_pass_per_evaluation(scheduler, n_classes):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(150, 4))
    y = np.argmax(X[:, :n_classes] + 0.5 * rng.normal(size=(150, n_classes)), axis=1)
    labels = np.array(["a", "b", "c"])[y]
    Xd = da.from_array(X, chunks=(40, 4))
    ref = LogisticRegression(tol=1e-10, max_iter=500).fit(X, labels)
    est = LogisticRegression(tol=1e-10, max_iter=500).fit(Xd, da.from_array(labels, chunks=50))
    assert list(est.classes_) == list(ref.classes_)
    assert _rel(est.coef_, ref.coef_) < 1e-6 and _rel(est.intercept_, ref.intercept_) < 1e-6
    proba = est.predict_proba(Xd)
    assert isinstance(proba, da.Array) and proba.shape == (150, n_classes)
    np.testing.assert_allclose(proba.compute(), ref.predict_proba(X), atol=1e-7)
    assert (est.predict(Xd).compute() == ref.predict(X)).all()


def test_persisted_chunks_are_aligned(client):
    """A chunk shipped to a worker can start at any byte offset (pickle protocol 5), and the
    kernels would copy it at every call; the chunks our iterative fits persist are aligned."""
    from mlbasics import _dask

    raw = np.zeros(8 * 1000 + 1, np.uint8)
    view = raw[1:].view(np.float64)  # float64 data one byte off alignment
    assert not view.flags.aligned
    fixed = _dask._aligned_block(view)
    assert fixed.flags.aligned and np.array_equal(fixed, view)
    ok = np.arange(10.0)
    assert _dask._aligned_block(ok) is ok

    from dask.core import flatten
    from distributed import futures_of

    def flags(keys, dask_worker=None):
        return [bool(dask_worker.data[k].flags.aligned) for k in keys if k in dask_worker.data]

    X = da.from_array(np.random.default_rng(0).normal(size=(4000, 50)), chunks=(1000, 50))
    shipped = client.persist(X)  # the chunks as they arrive on the workers
    fixed = client.persist(_dask.aligned(X))
    client.gather(futures_of(shipped) + futures_of(fixed))  # both in the workers' memory
    before = [f for fs in client.run(flags, list(flatten(shipped.__dask_keys__()))).values() for f in fs]
    after = [f for fs in client.run(flags, list(flatten(fixed.__dask_keys__()))).values() for f in fs]
    assert len(before) == len(after) == 4
    assert all(after), (before, after)
    np.testing.assert_array_equal(client.compute(fixed).result(), X.compute())


def test_logistic_newton(scheduler):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=100) > 0).astype(int)
    ref = LogisticRegression(solver="newton", tol=1e-10).fit(X, y)
    est = LogisticRegression(solver="newton", tol=1e-10).fit(da.from_array(X, chunks=30), y)
    assert _rel(est.coef_, ref.coef_) < 1e-8


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("name", ["LinearRegression", "Ridge", "RidgeCV", "PCA", "StandardScaler"])
def test_nan_in_one_chunk_names_x_and_leaves_unfitted(scheduler, name):
    X, y = _data(n=60)
    X[47, 2] = np.nan
    est = ESTIMATORS[name]()
    with pytest.raises(ValueError, match=r"^X: contains NaN or infinity \(1 non-finite value\(s\), NaN, first at "
                                         r"index \(47, 2\)\)"):
        est.fit(da.from_array(X, chunks=(20, 5)), y)
    assert not hasattr(est, "n_features_in_")


def test_nan_in_y_and_in_logistic_x(scheduler):
    X, y = _data(n=60)
    y[13] = np.inf
    with pytest.raises(ValueError, match=r"^y: contains NaN or infinity .*first at index 13\)"):
        LinearRegression().fit(da.from_array(X, chunks=20), da.from_array(y, chunks=20))
    X[5, 0] = np.nan
    est = LogisticRegression()
    with pytest.raises(ValueError, match=r"^X: contains NaN"):
        est.fit(da.from_array(X, chunks=20), (y > 0).astype(int))
    assert not hasattr(est, "coef_")


def test_unknown_chunk_sizes_say_how_to_fix():
    X, y = _data(n=50)
    Xd = da.from_array(X, chunks=10)
    filtered = Xd[Xd[:, 0] > -np.inf]          # boolean indexing: sizes unknown (nan)
    with pytest.raises(ValueError, match=r"X: .*unknown chunk sizes \(nan\).*X\.compute_chunk_sizes\(\)"):
        LinearRegression().fit(filtered, y)
    with dask.config.set(scheduler="synchronous"):
        known = filtered.compute_chunk_sizes()
        assert LinearRegression().fit(known, y).coef_.shape == (5,)


def test_zero_rows_and_bad_shapes():
    with pytest.raises(ValueError, match="X: expected at least 1 sample"):
        LinearRegression().fit(da.zeros((0, 3), chunks=1), np.zeros(0))
    with pytest.raises(ValueError, match="X: expected at least 2 sample"):
        PCA().fit(da.zeros((1, 3), chunks=1))
    with pytest.raises(ValueError, match="X: expected a 2-D array"):
        StandardScaler().fit(da.zeros(5, chunks=2))
    with pytest.raises(ValueError, match="y: expected 5 values"):
        Ridge().fit(da.zeros((5, 2), chunks=2), da.zeros(4, chunks=2))
    with pytest.raises(TypeError, match="X: expected numeric data"):
        Ridge().fit(da.from_array(np.array([["a"]] * 3)), np.zeros(3))
    est = LinearRegression().fit(*_data(n=20))
    with pytest.raises(ValueError, match="X: has 3 features, expected 5"):
        est.predict(da.zeros((4, 3), chunks=2))


def test_ridgecv_leave_one_out_on_dask_asks_for_cv_k():
    X, y = _data(n=30)
    with pytest.raises(ValueError, match="cv=K"):
        RidgeCV().fit(da.from_array(X, chunks=10), y)


def test_dask_dataframe_is_a_clear_type_error():
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    frame = dd.from_pandas(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [0.0, 1.0, 0.0]}), npartitions=2)
    with pytest.raises(TypeError, match=r"X: a dask .*to_dask_array\(lengths=True\)"):
        LinearRegression().fit(frame, np.zeros(3))


def test_kmeans_fitted_on_dask_saves_its_labels_computed(tmp_path):
    import mlbasics

    X, _ = _data(n=60)
    with dask.config.set(scheduler="synchronous"):
        est = KMeans(2, random_state=0).fit(da.from_array(X, chunks=25))
        mlbasics.save(est, tmp_path / "km.mlbasics")
        labels = est.labels_.compute()
    loaded = mlbasics.load(tmp_path / "km.mlbasics")
    assert isinstance(loaded.labels_, np.ndarray)
    np.testing.assert_array_equal(loaded.labels_, labels)
    np.testing.assert_array_equal(loaded.cluster_centers_, est.cluster_centers_)


def test_a_worker_killed_in_the_middle_of_a_fit_changes_nothing():
    """SIGKILL one worker process while KMeans iterates over the persisted chunks: the scheduler
    recomputes the lost chunks from the graph, the nanny restarts the worker, and the fit equals
    the in-memory one."""
    import os
    import threading
    import time

    X = np.random.default_rng(3).uniform(size=(4000, 8))  # no clusters: ~60 Lloyd passes
    init = X[:6].copy()
    ref = KMeans(6, init=init, n_init=1, max_iter=300, tol=0).fit(X)
    assert ref.n_iter_ > 30
    with _local_cluster() as cl:
        pids = sorted(cl.run(os.getpid).values())
        killed = []

        def kill_one_worker():
            time.sleep(0.5)  # a few Lloyd passes in (each is a round trip through the scheduler)
            os.kill(pids[0], signal.SIGKILL)
            killed.append(time.monotonic())

        with dask.config.set(scheduler=cl.get):
            Xd = da.from_array(X, chunks=500)
            killer = threading.Thread(target=kill_one_worker)
            killer.start()
            est = KMeans(6, init=init, n_init=1, max_iter=300, tol=0).fit(Xd)
            done = time.monotonic()
            labels = est.labels_.compute()
            killer.join()
        assert killed and killed[0] < done, "the fit ended before the worker was killed: the test proved nothing"
        assert pids[0] not in cl.run(os.getpid).values()  # the nanny started a new process
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    assert est.n_iter_ == ref.n_iter_
    np.testing.assert_array_equal(labels, ref.labels_)


def test_bench_scale_part_has_every_row(monkeypatch):
    """``mlbasics bench --parts scale``: each dask fit, its in-memory counterpart (and dask-ml's when
    installed), on its own LocalCluster, closed afterwards with the environment restored."""
    import os

    from mlbasics import _benchmark

    monkeypatch.setattr(_benchmark, "_SCALE_ROWS", {True: 2000, False: 2000})
    optional = _benchmark._optional  # dask-ml's solvers take minutes even here: its rows are not tested
    monkeypatch.setattr(_benchmark, "_optional", lambda name: None if name == "dask_ml" else optional(name))
    before = dict(os.environ)
    rows = _benchmark.run(quick=True, thread_counts=(1,), parts=("scale",))
    assert dict(os.environ) == before
    groups = {r["group"] for r in rows}
    assert len(groups) == 4 and all(g.startswith("dask ") for g in groups)
    for g in groups:
        impls = [r["impl"] for r in rows if r["group"] == g]
        assert any(i.startswith("mlbasics (LocalCluster") for i in impls)
        assert any(i.startswith("mlbasics in memory") for i in impls)
    assert all(r["seconds"] > 0 and r["part"] == "scale" for r in rows)
