"""PCA: against scikit-learn, on every backend and solver, plus the course's 2-D example and bad input."""
import pickle

import numpy as np
import pytest

from mlbasics.decomposition import PCA
from mlbasics.exceptions import NotFittedError

sk_decomposition = pytest.importorskip("sklearn.decomposition")
SKPCA = sk_decomposition.PCA

EXACT_SOLVERS = ("full", "covariance_eigh")


def _data(n=300, p=12, seed=0):
    """Correlated Gaussian data with a spread-out but well-conditioned spectrum and a nonzero mean."""
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 0.5, p)
    q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    return (rng.standard_normal((n, p)) * scales) @ q.T + rng.uniform(-5, 5, p)


def _low_rank(n=600, p=200, rank=5, noise=0.01, seed=1):
    rng = np.random.default_rng(seed)
    left = rng.standard_normal((n, rank)) * np.array([10.0, 8.0, 6.0, 4.0, 2.0])[:rank]
    return left @ rng.standard_normal((rank, p)) + noise * rng.standard_normal((n, p)) + 1.0


def _assert_same_up_to_sign(a, b, atol):
    """Rows of a equal rows of b up to a per-row sign."""
    assert a.shape == b.shape
    signs = np.sign(np.sum(a * b, axis=1))
    np.testing.assert_allclose(a * signs[:, None], b, rtol=0, atol=atol)


def _assert_columns_same_up_to_sign(a, b, rtol, atol):
    signs = np.sign(np.sum(a * b, axis=0))
    np.testing.assert_allclose(a * signs, b, rtol=rtol, atol=atol)


# ------------------------------------------------------------ against sklearn
@pytest.mark.parametrize("solver", EXACT_SOLVERS)
@pytest.mark.parametrize("n_components", [None, 5])
def test_matches_sklearn_full(backend, solver, n_components):
    X = _data()
    ours = PCA(n_components=n_components, svd_solver=solver, backend=backend.name).fit(X)
    ref = SKPCA(n_components=n_components, svd_solver="full").fit(X)
    assert ours._fit_svd_solver == solver
    assert ours.n_components_ == ref.n_components_
    assert ours.components_.shape == ref.components_.shape
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-8)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-8)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-8, atol=1e-14)
    _assert_same_up_to_sign(ours.components_, ref.components_, atol=1e-6)
    _assert_columns_same_up_to_sign(ours.transform(X), ref.transform(X), rtol=0, atol=1e-6)
    assert ours.n_samples_ == 300 and ours.n_features_in_ == 12


@pytest.mark.parametrize("solver", EXACT_SOLVERS + ("randomized",))
def test_sign_convention(solver):
    """Each component's entry of largest magnitude is positive — the documented rule."""
    ours = PCA(n_components=6, svd_solver=solver, random_state=0).fit(_data(seed=3))
    c = ours.components_
    assert np.all(c[np.arange(c.shape[0]), np.argmax(np.abs(c), axis=1)] > 0)
    np.testing.assert_allclose(c @ c.T, np.eye(6), atol=1e-10)  # orthonormal rows


@pytest.mark.parametrize("solver", EXACT_SOLVERS)
def test_wide_data(backend, solver):
    """n_samples < n_features: at most min(n, p) components, matching sklearn's full SVD."""
    X = _data(n=20, p=50, seed=4)
    ours = PCA(n_components=10, svd_solver=solver, backend=backend.name).fit(X)
    ref = SKPCA(n_components=10, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)
    _assert_same_up_to_sign(ours.components_, ref.components_, atol=1e-6)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-6, atol=1e-10)
    assert PCA(svd_solver=solver).fit(X).n_components_ == 20


def test_randomized_low_rank(backend):
    X = _low_rank()
    ours = PCA(n_components=5, svd_solver="randomized", random_state=0, backend=backend.name).fit(X)
    ref = SKPCA(n_components=5, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-8)
    _assert_same_up_to_sign(ours.components_, ref.components_, atol=1e-6)
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-6)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-8)


def test_randomized_is_deterministic_for_a_seed():
    X = _low_rank(n=300, p=80)
    a = PCA(n_components=3, svd_solver="randomized", random_state=7, iterated_power=0).fit(X)
    b = PCA(n_components=3, svd_solver="randomized", random_state=7, iterated_power=0).fit(X)
    np.testing.assert_array_equal(a.components_, b.components_)
    c = PCA(n_components=3, svd_solver="randomized", random_state=np.random.default_rng(7),
            iterated_power=0).fit(X)
    np.testing.assert_array_equal(a.components_, c.components_)


def test_randomized_iterated_power_and_oversamples():
    X = _low_rank(n=300, p=80, noise=0.5)
    ref = SKPCA(n_components=4, svd_solver="full").fit(X)
    for power, over in [(0, 30), (2, 5), (10, 10)]:
        ours = PCA(n_components=4, svd_solver="randomized", random_state=0, iterated_power=power,
                   n_oversamples=over).fit(X)
        np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-3)


@pytest.mark.parametrize("shape, n_components, expected", [
    ((2000, 10), None, "covariance_eigh"),
    ((2000, 10), 3, "covariance_eigh"),
    ((600, 200), 5, "randomized"),
    ((600, 200), 190, "full"),
    ((600, 200), 0.5, "full"),
    ((100, 20), 2, "full"),
    ((30, 400), 5, "full"),
])
def test_auto_solver(shape, n_components, expected):
    X = np.random.default_rng(0).standard_normal(shape)
    assert PCA(n_components=n_components, random_state=0).fit(X)._fit_svd_solver == expected


@pytest.mark.parametrize("solver", EXACT_SOLVERS)
def test_fraction_of_variance(solver):
    X = _data(seed=5)
    for frac in (0.3, 0.8, 0.95, 0.999):
        ours = PCA(n_components=frac, svd_solver=solver).fit(X)
        ref = SKPCA(n_components=frac, svd_solver="full").fit(X)
        assert ours.n_components_ == ref.n_components_
        assert ours.explained_variance_ratio_.sum() >= frac
        assert ours.explained_variance_ratio_[:-1].sum() < frac


# ------------------------------------------------------------ transform & co
@pytest.mark.parametrize("solver", EXACT_SOLVERS + ("randomized",))
@pytest.mark.parametrize("whiten", [False, True])
def test_round_trip_with_all_components(backend, solver, whiten):
    X = _data(n=80, p=7, seed=6)
    pca = PCA(svd_solver=solver, whiten=whiten, random_state=0, backend=backend.name)
    Z = pca.fit_transform(X)
    assert Z.shape == (80, 7)
    np.testing.assert_allclose(pca.inverse_transform(Z), X, rtol=0, atol=1e-10)


def test_truncated_inverse_is_the_projection():
    X = _data(seed=7)
    pca = PCA(n_components=4).fit(X)
    back = pca.inverse_transform(pca.transform(X))
    c = pca.components_
    np.testing.assert_allclose(back, (X - pca.mean_) @ c.T @ c + pca.mean_, atol=1e-10)
    # the residual is orthogonal to the kept axes
    np.testing.assert_allclose((X - back) @ c.T, 0.0, atol=1e-9)


def test_fit_transform_equals_fit_then_transform(backend):
    X = _data(seed=8)
    a = PCA(n_components=3, backend=backend.name).fit_transform(X)
    b = PCA(n_components=3, backend=backend.name).fit(X).transform(X)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("solver", EXACT_SOLVERS + ("randomized",))
def test_whiten_gives_unit_variance(backend, solver):
    X = _data(n=400, p=10, seed=9)
    Z = PCA(n_components=6, whiten=True, svd_solver=solver, random_state=0, backend=backend.name).fit_transform(X)
    np.testing.assert_allclose(np.cov(Z, rowvar=False), np.eye(6), atol=1e-8)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-10)
    ref = SKPCA(n_components=6, whiten=True, svd_solver="full").fit_transform(X)
    _assert_columns_same_up_to_sign(Z, ref, rtol=0, atol=1e-6)


def test_course_two_d_cloud():
    """The course's example: a correlated 2-D Gaussian cloud; the first axis is the cloud's main axis."""
    rng = np.random.RandomState(10)
    X = np.dot(rng.rand(2, 2), rng.randn(2, 500)).T
    mean_vec = np.mean(X, axis=0)
    cov_mat = (X - mean_vec).T.dot(X - mean_vec) / (X.shape[0] - 1)
    eig_vals, eig_vecs = np.linalg.eig(cov_mat)
    order = np.argsort(eig_vals)[::-1]

    for solver in EXACT_SOLVERS:
        pca = PCA(svd_solver=solver).fit(X)
        np.testing.assert_allclose(pca.explained_variance_, eig_vals[order], rtol=1e-10)
        _assert_same_up_to_sign(pca.components_, eig_vecs[:, order].T, atol=1e-10)
        # along the main axis the variance is larger than along any other direction
        angles = np.linspace(0, np.pi, 181)
        directions = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        spread = np.var((X - mean_vec) @ directions.T, axis=0, ddof=1)
        assert pca.explained_variance_[0] >= spread.max() - 1e-12
        assert np.isclose(pca.explained_variance_[1], spread.min(), rtol=1e-3)
        # the cloud is strongly elongated: the first axis explains most of the variance
        assert pca.explained_variance_ratio_[0] > 0.8  # 0.844 for this seed


def test_float32_kept(backend):
    X64 = _data(seed=10)
    X32 = X64.astype(np.float32)
    pca = PCA(n_components=4, backend=backend.name).fit(X32)
    for name in ("components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_"):
        assert getattr(pca, name).dtype == np.float32, name
    Z = pca.transform(X32)
    assert Z.dtype == np.float32
    assert pca.inverse_transform(Z).dtype == np.float32
    ref = PCA(n_components=4, backend=backend.name).fit(X64)
    np.testing.assert_allclose(pca.explained_variance_, ref.explained_variance_, rtol=1e-4)
    _assert_same_up_to_sign(pca.components_.astype(np.float64), ref.components_, atol=1e-4)


def test_integer_input_is_accepted():
    X = np.random.default_rng(0).integers(0, 10, size=(50, 4))
    pca = PCA(n_components=2).fit(X)
    assert pca.components_.dtype == np.float64
    np.testing.assert_allclose(pca.transform(X), PCA(n_components=2).fit(X.astype(float)).transform(X.astype(float)))


def test_constant_data_has_zero_variance():
    X = np.ones((10, 3))
    pca = PCA(whiten=True).fit(X)
    np.testing.assert_array_equal(pca.explained_variance_, 0.0)
    np.testing.assert_array_equal(pca.explained_variance_ratio_, 0.0)
    assert np.all(np.isfinite(pca.transform(X)))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("params, X, exc, text", [
    ({}, np.array([[1.0, np.nan], [2.0, 3.0], [0.0, 1.0]]), ValueError, "X: contains NaN"),
    ({}, np.array([[1.0, np.inf], [2.0, 3.0], [0.0, 1.0]]), ValueError, "X:"),
    ({}, np.arange(5.0), ValueError, "X: expected a 2-D array"),
    ({}, np.ones((1, 3)), ValueError, "X:"),
    ({}, np.array([["a", "b"], ["c", "d"]]), TypeError, "X:"),
    ({"n_components": 6}, np.ones((10, 5)), ValueError, "n_components"),
    ({"n_components": 11}, np.ones((10, 20)), ValueError, "n_components"),
    ({"n_components": 0}, np.ones((10, 5)), ValueError, "n_components"),
    ({"n_components": -1}, np.ones((10, 5)), ValueError, "n_components"),
    ({"n_components": 1.0}, np.ones((10, 5)), ValueError, "n_components"),
    ({"n_components": 0.0}, np.ones((10, 5)), ValueError, "n_components"),
    ({"n_components": "mle"}, np.ones((10, 5)), TypeError, "n_components"),
    ({"n_components": True}, np.ones((10, 5)), TypeError, "n_components"),
    ({"n_components": [2]}, np.ones((10, 5)), TypeError, "n_components"),
    ({"n_components": 0.5, "svd_solver": "randomized"}, np.ones((10, 5)), ValueError, "n_components"),
    ({"svd_solver": "arpack"}, np.ones((10, 5)), ValueError, "svd_solver"),
    # None is not a solver name: a TypeError, by the one rule of mlbasics._validation (it was a
    # ValueError here while LinearRegression(solver=3) was a TypeError)
    ({"svd_solver": None}, np.ones((10, 5)), TypeError, "svd_solver"),
    ({"whiten": "yes"}, np.ones((10, 5)), TypeError, "whiten"),
    ({"n_oversamples": 0}, np.ones((10, 5)), ValueError, "n_oversamples"),
    ({"n_oversamples": 2.5}, np.ones((10, 5)), TypeError, "n_oversamples"),
    ({"iterated_power": -1}, np.ones((10, 5)), ValueError, "iterated_power"),
    ({"iterated_power": "many"}, np.ones((10, 5)), ValueError, "iterated_power"),
    ({"random_state": "seed"}, np.ones((10, 5)), TypeError, "random_state"),
    ({"backend": "fortran"}, np.ones((10, 5)), ValueError, "backend"),
])
def test_bad_input(params, X, exc, text):
    with pytest.raises(exc, match=text):
        PCA(**params).fit(X)


def test_not_fitted():
    pca = PCA()
    with pytest.raises(NotFittedError, match="PCA"):
        pca.transform(np.ones((3, 2)))
    with pytest.raises(NotFittedError):
        pca.inverse_transform(np.ones((3, 2)))


def test_wrong_shapes_after_fit():
    pca = PCA(n_components=2).fit(_data(p=4))
    with pytest.raises(ValueError, match="X: has 3 features.*4"):
        pca.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="X: expected a 2-D array"):
        pca.transform(np.ones(4))
    with pytest.raises(ValueError, match="X: contains NaN"):
        pca.transform(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="X: has 3 columns.*2 components"):
        pca.inverse_transform(np.ones((2, 3)))


# ---------------------------------------------------------- estimator protocol
def test_pickle_round_trip(backend):
    X = _data(seed=11)
    pca = PCA(n_components=3, whiten=True, backend=backend.name).fit(X)
    clone = pickle.loads(pickle.dumps(pca))
    np.testing.assert_array_equal(clone.transform(X), pca.transform(X))
    assert clone.get_params() == pca.get_params()


def test_sklearn_clone_and_pipeline():
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pca = PCA(n_components=3, svd_solver="full", whiten=True)
    copy = clone(pca)
    assert copy is not pca and copy.get_params() == pca.get_params()
    assert not hasattr(copy, "components_")
    assert "n_components=3" in repr(pca)

    rng = np.random.default_rng(12)
    y = np.repeat([0, 1], 100)
    X = rng.standard_normal((200, 8))
    X[:, :3] += 2.0 * y[:, None]  # the class signal lies along the direction of largest variance
    pipe = make_pipeline(StandardScaler(), PCA(n_components=2), LogisticRegression())
    pipe.fit(X, y)
    ref = make_pipeline(StandardScaler(), SKPCA(n_components=2), LogisticRegression()).fit(X, y)
    assert pipe.score(X, y) > 0.9
    np.testing.assert_allclose(pipe.predict_proba(X), ref.predict_proba(X), atol=1e-6)
    pipe.set_params(pca__n_components=3).fit(X, y)
    assert pipe.named_steps["pca"].n_components_ == 3
