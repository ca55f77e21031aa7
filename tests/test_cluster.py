"""KMeans and MiniBatchKMeans: scikit-learn's results from the same initial centres, on every
backend; seeding, empty clusters, weights, partial_fit and bad input."""
import warnings

import numpy as np
import pytest

from mlbasics.cluster import KMeans, MiniBatchKMeans, kmeans_plusplus
from mlbasics.datasets import load_digits
from mlbasics.exceptions import ConvergenceWarning, NotFittedError

sklearn_cluster = pytest.importorskip("sklearn.cluster")

BACKENDS = ("cpp", "numba", "numpy")


def blobs(n=1500, p=5, k=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (k, p))
    labels = rng.integers(0, k, n)
    return centres[labels] + rng.standard_normal((n, p)), labels


def digits():
    return load_digits()[0]


def initial_centres(X, k, seed=0):
    return X[np.random.default_rng(seed).choice(len(X), k, replace=False)]


# ------------------------------------------------------------------ scikit-learn's results
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("data", ["blobs", "digits"])
def test_kmeans_equals_sklearn_from_the_same_centres(backend, dtype, weighted, data):
    X, k = (blobs()[0], 6) if data == "blobs" else (digits(), 10)
    X = X.astype(dtype)
    w = np.random.default_rng(1).uniform(0.1, 2.0, len(X)) if weighted else None
    init = initial_centres(X, k)
    ref = sklearn_cluster.KMeans(k, init=init, n_init=1, algorithm="lloyd").fit(X, sample_weight=w)
    km = KMeans(k, init=init, n_init=1, backend=backend).fit(X, sample_weight=w)
    assert km.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    tol = 1e-8 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_, rtol=tol, atol=tol)
    np.testing.assert_allclose(km.inertia_, ref.inertia_, rtol=1e-10 if dtype == np.float64 else 1e-5)
    if data == "blobs":
        assert km.n_iter_ == ref.n_iter_
    else:
        # Digits are integer pixels and the initial centres are digits: at the first assignment
        # many points are exactly equidistant from two centres. The expansion ‖c‖² − 2x·c splits
        # those ties by the last bit of its products, which differs between GEMMs (OpenBLAS,
        # ours), so a few points may take one iteration more or fewer to settle. Measured: the
        # cpp and numpy backends give scikit-learn's count here, numba (float64) one fewer.
        assert abs(km.n_iter_ - ref.n_iter_) <= 1
    np.testing.assert_array_equal(km.predict(X), ref.predict(X))
    np.testing.assert_allclose(km.transform(X[:50]), ref.transform(X[:50]), rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(km.score(X, sample_weight=w), ref.score(X, sample_weight=w),
                               rtol=1e-10 if dtype == np.float64 else 1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_agrees_with_numpy(backend):
    X = blobs(3000, 8, 12, seed=3)[0]
    ref = KMeans(12, random_state=5, backend="numpy").fit(X)
    km = KMeans(12, random_state=5, backend=backend).fit(X)
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert km.n_iter_ == ref.n_iter_


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("init", ["k-means++", "random"])
def test_seeded_fits_are_bit_identical(backend, init):
    X = blobs(2000, 4, 5, seed=2)[0]
    a = KMeans(5, init=init, random_state=7, backend=backend).fit(X)
    b = KMeans(5, init=init, random_state=7, backend=backend).fit(X)
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_) and a.inertia_ == b.inertia_
    c = KMeans(5, init=init, random_state=np.random.default_rng(7), backend=backend).fit(X)
    assert np.array_equal(a.cluster_centers_, c.cluster_centers_)


@pytest.mark.parametrize("backend", BACKENDS)
def test_thread_count_does_not_change_the_fit(backend):
    import mlbasics

    X = blobs(9000, 6, 8, seed=4)[0]  # several of the kernels' fixed row chunks
    old = mlbasics.get_num_threads()
    try:
        mlbasics.set_num_threads(1)
        a = KMeans(8, random_state=0, backend=backend).fit(X)
        mlbasics.set_num_threads(2)
        b = KMeans(8, random_state=0, backend=backend).fit(X)
    finally:
        mlbasics.set_num_threads(old)
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_) and a.inertia_ == b.inertia_


def test_kmeans_plus_plus_spreads_the_centres_and_follows_weights():
    X, labels = blobs(3000, 3, 6, seed=5)
    centres, idx = kmeans_plusplus(X, 6, random_state=0)
    assert np.array_equal(centres, X[idx])
    assert len(set(labels[idx])) == 6  # one seed in every blob (the blobs are far apart)
    w = np.zeros(len(X))
    w[labels == 2] = 1.0  # only blob 2 can be drawn
    _, idx = kmeans_plusplus(X, 3, sample_weight=w, random_state=0)
    assert set(labels[idx]) == {2}


def test_k_means_plus_plus_beats_random_seeding_on_average():
    X = blobs(3000, 2, 10, seed=6)[0]
    pp = np.mean([KMeans(10, random_state=s, backend="cpp").fit(X).inertia_ for s in range(5)])
    rnd = np.mean([KMeans(10, init="random", n_init=1, random_state=s, backend="cpp").fit(X).inertia_
                   for s in range(5)])
    assert pp < rnd


def test_n_init_auto_and_explicit_init_runs_once():
    X = blobs(500, 2, 3)[0]
    init = initial_centres(X, 3)
    with pytest.warns(RuntimeWarning, match="only one init"):
        KMeans(3, init=init, n_init=5).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        KMeans(3, init=init).fit(X)  # n_init="auto": one run, no warning


def test_sample_weight_equals_repeating_rows_from_the_same_init():
    X = blobs(400, 3, 4, seed=8)[0]
    reps = np.random.default_rng(0).integers(0, 4, len(X))
    init = initial_centres(X[reps > 0], 4)
    a = KMeans(4, init=init, backend="cpp").fit(X, sample_weight=reps.astype(float))
    b = KMeans(4, init=init, backend="cpp").fit(np.repeat(X, reps, axis=0))
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_cluster_takes_the_farthest_sample(backend):
    X = np.array([[0.0], [0.5], [1.0], [10.0], [12.0]])  # 12 is the one farthest from its centre
    init = np.array([[0.5], [100.0], [10.5]])  # centre 1 gets nothing at the first assignment
    km = KMeans(3, init=init, backend=backend).fit(X)
    ref = sklearn_cluster.KMeans(3, init=init, n_init=1).fit(X)
    np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    assert len(np.unique(km.labels_)) == 3


def test_fewer_distinct_points_than_clusters_warns():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        KMeans(3, random_state=0).fit(X)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ties_go_to_the_lowest_centre_then_the_empty_one_is_reseeded(backend):
    # Both samples are at distance 1 from two equal centres: both join centre 0 (lowest index),
    # so centre 1 is empty and takes the farthest sample, the first of the two on this tie.
    X = np.array([[0.0], [2.0]])
    km = KMeans(2, init=np.array([[1.0], [1.0]]), backend=backend).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, [[2.0], [0.0]])
    np.testing.assert_array_equal(km.labels_, [1, 0])


def test_float32_in_float32_out_and_pandas_output():
    pd = pytest.importorskip("pandas")
    X = blobs(300, 3, 3)[0].astype(np.float32)
    km = KMeans(3, random_state=0).fit(X)
    assert km.cluster_centers_.dtype == np.float32 and km.transform(X).dtype == np.float32
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    out = KMeans(3, random_state=0).set_output(transform="pandas").fit(df).transform(df)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]


def test_fit_predict_and_fit_transform():
    X = blobs(300, 3, 3)[0]
    km = KMeans(3, random_state=0)
    labels = km.fit_predict(X)
    np.testing.assert_array_equal(labels, km.labels_)
    np.testing.assert_array_equal(labels, km.predict(X))
    np.testing.assert_allclose(KMeans(3, random_state=0).fit_transform(X), km.transform(X))
    assert km.score(X) == pytest.approx(-km.inertia_)


# ------------------------------------------------------------------ mini-batch
@pytest.mark.parametrize("backend", BACKENDS)
def test_minibatch_partial_fit_step_equals_sklearn(backend):
    X = blobs(600, 4, 3, seed=9)[0]
    init = initial_centres(X, 3, seed=1)
    ours = MiniBatchKMeans(3, init=init, backend=backend)
    ref = sklearn_cluster.MiniBatchKMeans(3, init=init, n_init=1)
    for i in range(0, 600, 100):  # every centre receives samples at every step: no reassignment
        ours.partial_fit(X[i:i + 100])
        ref.partial_fit(X[i:i + 100])
        np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    assert ours.n_steps_ == ref.n_steps_ == 6


@pytest.mark.parametrize("backend", BACKENDS)
def test_minibatch_fit_finds_the_blobs(backend):
    X, labels = blobs(5000, 4, 5, seed=10)
    km = MiniBatchKMeans(5, batch_size=256, random_state=0, backend=backend).fit(X)
    full = KMeans(5, random_state=0, backend=backend).fit(X)
    assert km.inertia_ <= 1.05 * full.inertia_
    assert km.n_steps_ >= 1 and km.n_iter_ == int(np.ceil(km.n_steps_ * 256 / 5000))
    again = MiniBatchKMeans(5, batch_size=256, random_state=0, backend=backend).fit(X)
    assert np.array_equal(km.cluster_centers_, again.cluster_centers_)


def test_minibatch_weights_steer_the_draws():
    X, labels = blobs(2000, 2, 2, seed=11)
    w = (labels == 0).astype(float) + 1e-9
    km = MiniBatchKMeans(2, batch_size=100, random_state=0).fit(X, sample_weight=w)
    # with (nearly) all the weight on blob 0, both centres end up inside it
    inside = np.linalg.norm(km.cluster_centers_[:, None] - X[labels == 0].mean(0), axis=2).max()
    assert inside < np.linalg.norm(X[labels == 1].mean(0) - X[labels == 0].mean(0)) / 2


def test_minibatch_continues_with_partial_fit_after_fit():
    X = blobs(800, 3, 4, seed=12)[0]
    km = MiniBatchKMeans(4, batch_size=50, random_state=0).fit(X)
    steps = km.n_steps_
    km.partial_fit(X[:50])
    assert km.n_steps_ == steps + 1


# ------------------------------------------------------------------ bad input
def _error(info, arg):
    assert f"{arg}:" in str(info.value), str(info.value)


@pytest.mark.parametrize("Est", [KMeans, MiniBatchKMeans])
@pytest.mark.parametrize("params,exc,arg", [
    ({"n_clusters": 0}, ValueError, "n_clusters"),
    ({"n_clusters": 2.5}, TypeError, "n_clusters"),
    ({"n_clusters": 11}, ValueError, "n_clusters"),
    ({"init": "kmeans"}, ValueError, "init"),
    ({"init": np.zeros((2, 3))}, ValueError, "init"),
    ({"init": np.zeros((3, 2))}, ValueError, "init"),
    ({"n_init": 0}, ValueError, "n_init"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"tol": -1.0}, ValueError, "tol"),
    ({"backend": "cuda"}, ValueError, "backend"),
])
def test_bad_parameters(Est, params, exc, arg):
    X = np.random.default_rng(0).standard_normal((10, 3))
    est = Est(**{"n_clusters": 3, **params})
    with pytest.raises(exc) as info:
        est.fit(X)
    _error(info, arg)
    assert not hasattr(est, "cluster_centers_")


@pytest.mark.parametrize("Est", [KMeans, MiniBatchKMeans])
@pytest.mark.parametrize("w,arg", [
    (-np.ones(10), "sample_weight"), (np.zeros(10), "sample_weight"), (np.ones(9), "sample_weight"),
    (np.full(10, np.nan), "sample_weight"), (np.ones((10, 1)), "sample_weight"),
])
def test_bad_sample_weight(Est, w, arg):
    X = np.random.default_rng(0).standard_normal((10, 3))
    with pytest.raises(ValueError) as info:
        Est(3).fit(X, sample_weight=w)
    _error(info, arg)


@pytest.mark.parametrize("Est", [KMeans, MiniBatchKMeans])
def test_bad_data_and_unfitted(Est):
    X = np.random.default_rng(0).standard_normal((10, 3))
    X[2, 1] = np.nan
    with pytest.raises(ValueError) as info:
        Est(3).fit(X)
    _error(info, "X")
    with pytest.raises(NotFittedError):
        Est(3).predict(X)
    est = Est(3, random_state=0).fit(np.nan_to_num(X))
    with pytest.raises(ValueError) as info:
        est.predict(np.zeros((2, 4)))
    _error(info, "X")
