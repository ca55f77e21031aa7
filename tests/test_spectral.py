"""SpectralClustering: two moons and two circles (which k-means cannot separate), scikit-learn's
labels and affinity matrices, the solvers, precomputed affinities, and bad input."""
import re
import warnings

import numpy as np
import pytest
import scipy.sparse

import mlbasics.backends.numba
from mlbasics.cluster import KMeans, SpectralClustering

sklearn = pytest.importorskip("sklearn")
from sklearn import cluster as sk_cluster  # noqa: E402
from sklearn.datasets import make_circles, make_moons  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

BACKENDS = ("cpp", "numba", "numpy")
DISCONNECTED = "Graph is not fully connected, spectral embedding may not work as expected."


DATA = {"moons": make_moons(500, noise=0.05, random_state=0),
        "circles": make_circles(500, factor=0.5, noise=0.05, random_state=0)}
# rbf: the default gamma=1 is far too wide for these unit-scale shapes (scikit-learn fails there too)
AFFINITIES = {"nearest_neighbors": {"affinity": "nearest_neighbors"}, "rbf": {"affinity": "rbf", "gamma": 30.0}}


def fit_quietly(est, X):
    """Fit, ignoring the disconnected-graph warning (the 10-NN graphs of the two shapes fall apart
    into the two shapes: that is the point)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(DISCONNECTED))
        return est.fit(X)


@pytest.fixture(scope="module")
def sklearn_fits():
    return {(d, a): fit_quietly(sk_cluster.SpectralClustering(2, random_state=0, **AFFINITIES[a]), DATA[d][0])
            for d in DATA for a in AFFINITIES}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("affinity", list(AFFINITIES))
@pytest.mark.parametrize("data", list(DATA))
def test_separates_what_kmeans_cannot_and_equals_sklearn(data, affinity, backend, sklearn_fits):
    X, y = DATA[data]
    sc = fit_quietly(SpectralClustering(2, random_state=0, backend=backend, **AFFINITIES[affinity]), X)
    assert sc.labels_.dtype == np.int64 and sc.labels_.shape == (500,)
    assert adjusted_rand_score(y, sc.labels_) >= 0.95
    assert adjusted_rand_score(y, KMeans(2, random_state=0, backend=backend).fit(X).labels_) <= 0.5
    ref = sklearn_fits[data, affinity]
    assert adjusted_rand_score(ref.labels_, sc.labels_) == 1.0
    assert sc.n_features_in_ == 2
    if affinity == "rbf":
        assert isinstance(sc.affinity_matrix_, np.ndarray)
        np.testing.assert_allclose(sc.affinity_matrix_, ref.affinity_matrix_, rtol=0, atol=1e-10)
    else:
        assert scipy.sparse.issparse(sc.affinity_matrix_)
        np.testing.assert_array_equal(sc.affinity_matrix_.toarray(), ref.affinity_matrix_.toarray())


def test_nearest_neighbors_affinity_counts_each_sample_among_its_neighbours():
    X = np.array([[0.0], [1.0], [3.0], [7.0]])
    A = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=2, backend="numpy").fit(X).affinity_matrix_
    # C: 0→{0,1}, 1→{1,0}, 2→{2,1}, 3→{3,2}; A = (C + Cᵀ) / 2
    np.testing.assert_array_equal(A.toarray(), [[1, 1, 0, 0], [1, 1, 0.5, 0], [0, 0.5, 1, 0.5], [0, 0, 0.5, 1]])
    with pytest.warns(UserWarning, match=re.escape(DISCONNECTED)):  # only self-loops: no edges at all
        sc = SpectralClustering(1, affinity="nearest_neighbors", n_neighbors=1, backend="numpy").fit(X)
    np.testing.assert_array_equal(sc.affinity_matrix_.toarray(), np.eye(4))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("affinity", list(AFFINITIES))
def test_solvers_and_assignments_agree(affinity, backend):
    X, y = DATA["moons"]
    params = dict(random_state=0, backend=backend, **AFFINITIES[affinity])
    dense = fit_quietly(SpectralClustering(2, eigen_solver="dense", **params), X).labels_
    arpack = fit_quietly(SpectralClustering(2, eigen_solver="arpack", **params), X).labels_
    qr = fit_quietly(SpectralClustering(2, assign_labels="cluster_qr", **params), X).labels_
    assert adjusted_rand_score(y, dense) == 1.0
    assert adjusted_rand_score(dense, arpack) == 1.0
    assert adjusted_rand_score(dense, qr) == 1.0


def test_more_clusters_than_shapes():
    """Three moons-and-blob groups; k = 3 also exercises a 3-dimensional embedding."""
    X, _ = DATA["moons"]
    X3 = np.vstack([X, np.random.default_rng(0).normal((4.0, 4.0), 0.1, (100, 2))])
    y3 = np.r_[DATA["moons"][1], np.full(100, 2)]
    sc = fit_quietly(SpectralClustering(3, affinity="nearest_neighbors", random_state=0, backend="cpp"), X3)
    assert adjusted_rand_score(y3, sc.labels_) >= 0.95
    assert set(sc.labels_.tolist()) == {0, 1, 2}


def test_precomputed_dense_and_sparse_equal_the_built_in_affinities():
    X, y = DATA["circles"]
    rbf = SpectralClustering(2, gamma=30.0, random_state=0, backend="numpy").fit(X)
    pre = SpectralClustering(2, affinity="precomputed", random_state=0).fit(rbf.affinity_matrix_)
    np.testing.assert_array_equal(pre.labels_, rbf.labels_)
    assert pre.n_features_in_ == 500
    knn = fit_quietly(SpectralClustering(2, affinity="nearest_neighbors", random_state=0, backend="numpy"), X)
    for A in (knn.affinity_matrix_, knn.affinity_matrix_.tocoo(), scipy.sparse.csr_array(knn.affinity_matrix_)):
        pre = fit_quietly(SpectralClustering(2, affinity="precomputed", random_state=0), A)
        np.testing.assert_array_equal(pre.labels_, knn.labels_)


def test_precomputed_asymmetric_affinity_is_symmetrized_with_a_warning():
    A = SpectralClustering(2, gamma=30.0, random_state=0, backend="numpy").fit(DATA["moons"][0]).affinity_matrix_
    B = A.copy()
    B[0, 1] += 0.5
    with pytest.warns(UserWarning, match="X: the precomputed affinity matrix is not symmetric"):
        sc = SpectralClustering(2, affinity="precomputed", random_state=0).fit(B)
    assert sc.affinity_matrix_[0, 1] == sc.affinity_matrix_[1, 0] == pytest.approx(A[0, 1] + 0.25, abs=1e-15)


def test_disconnected_graph_warns_like_sklearn():
    X = np.vstack([np.random.default_rng(0).normal(0, 0.1, (20, 2)), np.random.default_rng(1).normal(9, 0.1, (20, 2))])
    with pytest.warns(UserWarning, match=re.escape(DISCONNECTED)):
        sc = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=3, random_state=0, backend="numpy").fit(X)
    assert adjusted_rand_score(np.repeat([0, 1], 20), sc.labels_) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SpectralClustering(2, random_state=0, backend="numpy").fit(X)  # rbf: every pair is an edge


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_int_and_list_input(backend):
    X, y = DATA["moons"]
    ref = fit_quietly(SpectralClustering(2, affinity="nearest_neighbors", random_state=0, backend=backend), X)
    for Xa in (X.astype(np.float32), X.tolist()):
        sc = fit_quietly(SpectralClustering(2, affinity="nearest_neighbors", random_state=0, backend=backend), Xa)
        assert adjusted_rand_score(ref.labels_, sc.labels_) == 1.0
        assert sc.affinity_matrix_.dtype == np.float64
    Xi = np.array([[0, 0], [0, 1], [1, 0], [9, 9], [9, 10], [10, 9]])
    labels = SpectralClustering(2, random_state=0, backend=backend).fit_predict(Xi)
    assert adjusted_rand_score([0, 0, 0, 1, 1, 1], labels) == 1.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_fit_predict_and_determinism(backend):
    X, _ = DATA["circles"]
    est = SpectralClustering(2, gamma=30.0, random_state=3, backend=backend)
    labels = est.fit_predict(X)
    np.testing.assert_array_equal(labels, est.labels_)
    np.testing.assert_array_equal(SpectralClustering(2, gamma=30.0, random_state=3, backend=backend).fit(X).labels_,
                                  labels)
    np.testing.assert_array_equal(SpectralClustering(2, gamma=30.0, random_state=3, backend="numpy").fit(X).labels_,
                                  labels)


def test_has_no_predict_or_transform():
    est = SpectralClustering()
    assert not hasattr(est, "predict") and not hasattr(est, "transform")
    assert not hasattr(est, "labels_") and not hasattr(est, "affinity_matrix_")


# ------------------------------------------------------------------ bad input
X_SMALL = np.random.default_rng(0).standard_normal((10, 3))

BAD_PARAMS = [
    ({"n_clusters": 0}, ValueError, "n_clusters"),
    ({"n_clusters": 11}, ValueError, "n_clusters"),                     # > n_samples
    ({"n_clusters": 2.0}, TypeError, "n_clusters"),
    ({"affinity": "cosine"}, ValueError, "affinity"),
    ({"gamma": 0.0}, ValueError, "gamma"),
    ({"gamma": -1.0}, ValueError, "gamma"),
    ({"gamma": np.nan}, ValueError, "gamma"),
    ({"gamma": np.inf}, ValueError, "gamma"),
    ({"affinity": "nearest_neighbors", "n_neighbors": 0}, ValueError, "n_neighbors"),
    ({"affinity": "nearest_neighbors", "n_neighbors": 10}, ValueError, "n_neighbors"),  # ≥ n_samples
    ({"n_init": 0}, ValueError, "n_init"),
    ({"assign_labels": "discretize"}, ValueError, "assign_labels"),
    ({"eigen_solver": "lobpcg"}, ValueError, "eigen_solver"),
    ({"random_state": "x"}, TypeError, "random_state"),
    ({"backend": "fortran"}, ValueError, "backend"),
]


def _names(info, arg):
    msg = str(info.value)
    assert re.search(rf"(^|[^\w]){re.escape(arg)}:", msg), f"message does not name {arg!r}: {msg}"


@pytest.mark.parametrize("params,exc,arg", [pytest.param(p, e, a, id=f"{a}-{i}")
                                            for i, (p, e, a) in enumerate(BAD_PARAMS)])
def test_bad_parameters_name_the_argument(params, exc, arg):
    est = SpectralClustering(2, backend="numpy").set_params(**params)
    with pytest.raises(exc) as info:
        est.fit(X_SMALL)
    _names(info, arg)
    assert not hasattr(est, "labels_")


def test_n_neighbors_and_gamma_only_matter_to_their_affinity():
    SpectralClustering(2, n_neighbors=50, backend="numpy").fit(X_SMALL)          # rbf ignores n_neighbors
    SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=9, gamma=np.inf,
                       backend="numpy").fit(X_SMALL)                             # kNN ignores gamma
    SpectralClustering(10, affinity="nearest_neighbors", n_neighbors=9, backend="numpy").fit(X_SMALL)


def _with(value, where):
    Xb = X_SMALL.copy()
    Xb[where] = value
    return Xb


SQUARE = np.abs(np.random.default_rng(1).standard_normal((6, 6)))
SQUARE = SQUARE + SQUARE.T

BAD_X = [
    ("nan", {}, _with(np.nan, (2, 1)), ValueError, "NaN"),
    ("inf", {}, _with(np.inf, (0, 0)), ValueError, "inf"),
    ("nan-knn", {"affinity": "nearest_neighbors", "n_neighbors": 3}, _with(np.nan, (2, 1)), ValueError, "NaN"),
    ("1-sample", {"n_clusters": 1}, X_SMALL[:1], ValueError, "n_samples=1"),
    ("1-D", {}, X_SMALL[:, 0], ValueError, "Reshape your data"),
    ("sparse-features", {}, scipy.sparse.csr_matrix(X_SMALL), TypeError, "sparse"),
    ("not-square", {"affinity": "precomputed"}, SQUARE[:, :5], ValueError, "square"),
    ("not-square-sparse", {"affinity": "precomputed"}, scipy.sparse.csr_matrix(SQUARE[:5]), ValueError, "square"),
    ("negative", {"affinity": "precomputed"}, SQUARE - 1.0, ValueError, "negative"),
    ("negative-sparse", {"affinity": "precomputed"}, scipy.sparse.csr_matrix(-SQUARE), ValueError, "negative"),
    ("nan-precomputed", {"affinity": "precomputed"}, np.where(np.eye(6) > 0, np.nan, SQUARE), ValueError, "NaN"),
    ("inf-sparse", {"affinity": "precomputed"}, scipy.sparse.csr_matrix(np.where(np.eye(6) > 0, np.inf, SQUARE)),
     ValueError, "infinity"),
    ("1x1-precomputed", {"affinity": "precomputed", "n_clusters": 1}, np.ones((1, 1)), ValueError, "n_samples=1"),
    ("too-many-clusters-precomputed", {"affinity": "precomputed", "n_clusters": 7}, SQUARE, ValueError, None),
]


@pytest.mark.parametrize("xid,params,Xb,exc,phrase", [pytest.param(*c, id=c[0]) for c in BAD_X])
def test_bad_X_names_the_argument(xid, params, Xb, exc, phrase):
    est = SpectralClustering(**{"n_clusters": 2, "backend": "numpy", **params})
    with pytest.raises(exc) as info:
        est.fit(Xb)
    _names(info, "n_clusters" if xid.startswith("too-many") else "X")
    if phrase is not None:
        assert phrase in str(info.value)
    assert not hasattr(est, "labels_")
