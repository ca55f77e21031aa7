"""Isomap: scikit-learn's embedding, geodesic distances, out-of-sample transform and reconstruction
error on the swiss roll, on every backend; disconnected graphs, dtypes, outputs and bad input."""
import re
import warnings

import numpy as np
import pytest

import mlbasics.backends.numba
from mlbasics.exceptions import NotFittedError
from mlbasics.manifold import Isomap

pytest.importorskip("sklearn")
from sklearn import manifold as sk_manifold  # noqa: E402
from sklearn.datasets import make_swiss_roll  # noqa: E402

BACKENDS = ("cpp", "numba", "numpy")


ROLL = make_swiss_roll(1000, random_state=0)[0]
NEW = make_swiss_roll(60, random_state=1)[0]


def aligned(Z, ref):
    """Z with each column's sign chosen to match ref (an eigenvector is defined up to sign)."""
    return Z * np.where(np.sum(Z * ref, axis=0) < 0, -1.0, 1.0)


@pytest.fixture(scope="module")
def sklearn_roll():
    ref = sk_manifold.Isomap(n_neighbors=10).fit(ROLL)
    return ref, ref.transform(NEW), ref.reconstruction_error()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("eigen_solver", ["auto", "dense"])
def test_swiss_roll_equals_sklearn(backend, eigen_solver, sklearn_roll):
    ref, ref_new, ref_error = sklearn_roll
    iso = Isomap(n_neighbors=10, eigen_solver=eigen_solver, backend=backend).fit(ROLL)
    assert iso.embedding_.shape == (1000, 2) and iso.embedding_.dtype == np.float64
    np.testing.assert_allclose(iso.dist_matrix_, ref.dist_matrix_, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(aligned(iso.embedding_, ref.embedding_), ref.embedding_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(aligned(iso.transform(NEW), ref_new), ref_new, rtol=0, atol=1e-6)
    assert iso.reconstruction_error() == pytest.approx(ref_error, rel=1e-8)
    assert iso.n_features_in_ == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_float32_input(backend):
    ref = Isomap(n_neighbors=10, backend=backend).fit(ROLL)
    iso = Isomap(n_neighbors=10, backend=backend).fit(ROLL.astype(np.float32))
    assert iso.embedding_.dtype == np.float32 and iso.dist_matrix_.dtype == np.float64
    np.testing.assert_allclose(iso.embedding_, ref.embedding_, rtol=0, atol=1e-4 * np.abs(ref.embedding_).max())
    Z = iso.transform(NEW.astype(np.float32))
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, ref.transform(NEW), rtol=0, atol=1e-4 * np.abs(ref.embedding_).max())


def test_path_methods_and_solvers_agree():
    X = ROLL[:300]
    base = Isomap(n_neighbors=8, n_components=3, eigen_solver="dense", backend="numpy").fit(X)
    for params in ({"path_method": "FW"}, {"path_method": "D"}, {"eigen_solver": "arpack"}):
        iso = Isomap(n_neighbors=8, n_components=3, backend="numpy", **params).fit(X)
        np.testing.assert_allclose(iso.dist_matrix_, base.dist_matrix_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(aligned(iso.embedding_, base.embedding_), base.embedding_, atol=1e-8)


def test_transform_of_the_training_samples_is_the_embedding():
    iso = Isomap(n_neighbors=10, backend="numpy").fit(ROLL)
    np.testing.assert_allclose(iso.transform(ROLL[:100]), iso.embedding_[:100], rtol=0, atol=1e-8)
    np.testing.assert_array_equal(Isomap(n_neighbors=10, backend="numpy").fit_transform(ROLL), iso.embedding_)


def test_arc_lengths_are_geodesic():
    t = np.linspace(0, np.pi, 100)
    X = np.c_[np.cos(t), np.sin(t)]
    iso = Isomap(n_neighbors=2, n_components=1, backend="numpy").fit(X)
    # the polygon through the points, except at the ends: the end points' two neighbours are the
    # next two points, so the shortest path jumps over one point there
    chord, chord2 = 2 * np.sin(np.pi / 198), 2 * np.sin(2 * np.pi / 198)
    assert iso.dist_matrix_[0, -1] == pytest.approx(95 * chord + 2 * chord2, rel=1e-12)
    z = iso.embedding_.ravel()
    assert np.all(np.diff(z) > 0) or np.all(np.diff(z) < 0)   # unrolled in order
    assert z.max() - z.min() == pytest.approx(np.pi, rel=1e-4)


def test_disconnected_graph_warns_naming_n_neighbors_and_connects_like_sklearn():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (30, 3)), rng.normal(20, 1, (30, 3)), rng.normal((0, 30, 0), 1, (20, 3))])
    with pytest.warns(UserWarning, match=r"^n_neighbors: .* 3 connected components"):
        iso = Isomap(n_neighbors=4, backend="cpp").fit(X)
    assert np.all(np.isfinite(iso.dist_matrix_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's own warnings while it completes the graph
        ref = sk_manifold.Isomap(n_neighbors=4).fit(X)
    np.testing.assert_allclose(iso.dist_matrix_, ref.dist_matrix_, rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(aligned(iso.embedding_, ref.embedding_), ref.embedding_, atol=1e-8)


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    iso = Isomap(n_neighbors=5, n_components=3, backend="numpy").fit(ROLL[:200])
    assert list(iso.get_feature_names_out()) == ["isomap0", "isomap1", "isomap2"]
    frame = pd.DataFrame(ROLL[:200], columns=["a", "b", "c"])
    out = Isomap(n_neighbors=5, backend="numpy").set_output(transform="pandas").fit(frame).transform(frame[:7])
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["isomap0", "isomap1"]
    assert list(out.index) == list(range(7))


# ------------------------------------------------------------------ bad input
X_SMALL = np.random.default_rng(0).standard_normal((10, 3))


def _names(info, arg):
    msg = str(info.value)
    assert re.search(rf"(^|[^\w]){re.escape(arg)}:", msg), f"message does not name {arg!r}: {msg}"


def _with(value, where):
    Xb = X_SMALL.copy()
    Xb[where] = value
    return Xb


BAD = [
    ({"n_neighbors": 0}, X_SMALL, ValueError, "n_neighbors"),
    ({"n_neighbors": 10}, X_SMALL, ValueError, "n_neighbors"),          # ≥ n_samples
    ({"n_neighbors": 2.5}, X_SMALL, TypeError, "n_neighbors"),
    ({"n_components": 0}, X_SMALL, ValueError, "n_components"),
    ({"n_components": 11}, X_SMALL, ValueError, "n_components"),        # > n_samples
    ({"eigen_solver": "lobpcg"}, X_SMALL, ValueError, "eigen_solver"),
    ({"path_method": "J"}, X_SMALL, ValueError, "path_method"),
    ({"backend": "fortran"}, X_SMALL, ValueError, "backend"),
    ({}, _with(np.nan, (1, 2)), ValueError, "X"),
    ({}, _with(np.inf, (0, 0)), ValueError, "X"),
    ({}, _with(-np.inf, (9, 1)), ValueError, "X"),
    ({"n_neighbors": 1}, X_SMALL[:1], ValueError, "X"),                 # one sample
]


@pytest.mark.parametrize("params,Xb,exc,arg", [pytest.param(*c, id=f"{c[3]}-{i}") for i, c in enumerate(BAD)])
def test_bad_input_names_the_argument(params, Xb, exc, arg):
    est = Isomap(n_neighbors=3, backend="numpy").set_params(**params)
    with pytest.raises(exc) as info:
        est.fit(Xb)
    _names(info, arg)
    assert not hasattr(est, "embedding_")


def test_n_components_may_equal_n_samples():
    Z = Isomap(n_neighbors=3, n_components=10, backend="numpy").fit(X_SMALL).embedding_
    assert Z.shape == (10, 10) and np.all(np.isfinite(Z))


def test_before_fit_and_at_transform():
    est = Isomap(backend="numpy")
    for call in (lambda: est.transform(X_SMALL), est.reconstruction_error, est.get_feature_names_out):
        with pytest.raises(NotFittedError) as info:
            call()
        assert "Isomap" in str(info.value)
    est.fit(X_SMALL)
    for Xb, phrase in ((X_SMALL[:, :2], "X has 2 features"), (_with(np.nan, (0, 0)), "NaN")):
        with pytest.raises(ValueError) as info:
            est.transform(Xb)
        _names(info, "X")
        assert phrase in str(info.value)
