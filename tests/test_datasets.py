"""Shipped data sets (equal to scikit-learn's) and the synthetic generators."""
from importlib import resources

import numpy as np
import pytest

from mlbasics import datasets
from mlbasics.datasets import (load_breast_cancer, load_diabetes, load_digits, make_blobs, make_circles,
                               make_classification, make_moons, make_regression, make_swiss_roll, make_xor)

sk_datasets = pytest.importorskip("sklearn.datasets")

DATA_FILES = ("digits.csv.gz", "breast_cancer.csv", "diabetes_data_raw.csv.gz", "diabetes_target.csv.gz",
              "DATA_LICENSE.md")


# ------------------------------------------------------------------ loaders
@pytest.mark.parametrize("name, shape, y_dtype, n_classes", [
    ("load_digits", (1797, 64), np.int64, 10),
    ("load_breast_cancer", (569, 30), np.int64, 2),
    ("load_diabetes", (442, 10), np.float64, None),
])
def test_loader_equals_sklearn(name, shape, y_dtype, n_classes):
    X, y = getattr(datasets, name)()
    X_ref, y_ref = getattr(sk_datasets, name)(return_X_y=True)
    assert X.shape == shape and y.shape == (shape[0],)
    assert X.dtype == np.float64 == X_ref.dtype
    assert y.dtype == y_dtype == y_ref.dtype
    assert np.array_equal(X, X_ref)
    assert np.array_equal(y, y_ref)
    if n_classes is not None:
        np.testing.assert_array_equal(np.unique(y), np.arange(n_classes))


def test_loaders_return_fresh_arrays():
    X1, y1 = load_digits()
    X1[0, 0] = -1.0
    X2, _ = load_digits()
    assert X2[0, 0] == 0.0
    assert X2.flags.c_contiguous and X2.flags.writeable


def test_dataset_contents():
    X, y = load_digits()
    assert X.min() == 0 and X.max() == 16
    _, y = load_breast_cancer()
    np.testing.assert_array_equal(np.bincount(y), [212, 357])  # malignant, benign
    X, y = load_diabetes()
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose((X ** 2).sum(axis=0), 1.0, rtol=1e-12)  # mean 0, sum of squares 1
    assert y.min() == 25 and y.max() == 346


def test_data_files_are_package_resources():
    """The loaders read through importlib.resources, so the files must sit inside the package."""
    folder = resources.files("mlbasics.datasets").joinpath("data")
    for name in DATA_FILES:
        assert folder.joinpath(name).is_file(), name


# --------------------------------------------------------------- make_xor
def test_make_xor_default_is_the_truth_table():
    X, y = make_xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float64 and y.dtype == np.int64


def test_make_xor_cycles_and_noise():
    X, y = make_xor(n_samples=10)
    np.testing.assert_array_equal(y, [0, 1, 1, 0, 0, 1, 1, 0, 0, 1])
    np.testing.assert_array_equal(X[4:8], X[:4])
    Xn, yn = make_xor(n_samples=400, noise=0.1, random_state=0)
    np.testing.assert_array_equal(yn, np.tile([0, 1, 1, 0], 100))
    corners = np.tile([[0, 0], [0, 1], [1, 0], [1, 1]], (100, 1))
    assert 0.08 < np.std(Xn - corners) < 0.12
    np.testing.assert_array_equal(Xn, make_xor(n_samples=400, noise=0.1, random_state=0)[0])
    assert not np.array_equal(Xn, make_xor(n_samples=400, noise=0.1, random_state=1)[0])
    # the label is x1 XOR x2 of the rounded point
    r = (Xn > 0.5).astype(int)
    assert np.mean((r[:, 0] ^ r[:, 1]) == yn) == 1.0


# -------------------------------------------------------- make_regression
def test_make_regression_shapes_and_linearity():
    X, y, w = make_regression(n_samples=50, n_features=8, n_informative=3, bias=2.5, coef=True, random_state=0)
    assert X.shape == (50, 8) and y.shape == (50,) and w.shape == (8,)
    assert np.count_nonzero(w) == 3
    assert np.all((np.abs(w[w != 0]) >= 10) & (np.abs(w[w != 0]) <= 100))
    np.testing.assert_allclose(y, X @ w + 2.5, rtol=1e-12, atol=1e-12)
    # least squares recovers the coefficients exactly without noise
    A = np.column_stack([X, np.ones(50)])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(sol, np.append(w, 2.5), atol=1e-8)


def test_make_regression_defaults_and_noise():
    X, y = make_regression(random_state=3)
    assert X.shape == (100, 100) and y.shape == (100,)
    _, _, w = make_regression(n_features=4, coef=True, random_state=3)  # n_informative=10 clipped to 4
    assert np.count_nonzero(w) == 4
    X, y, w = make_regression(n_samples=2000, n_features=5, n_informative=5, noise=2.0, coef=True, random_state=3)
    assert 1.8 < np.std(y - X @ w) < 2.2


def test_make_regression_is_deterministic():
    a = make_regression(n_samples=20, n_features=6, noise=1.0, coef=True, random_state=42)
    b = make_regression(n_samples=20, n_features=6, noise=1.0, coef=True, random_state=42)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    c = make_regression(n_samples=20, n_features=6, noise=1.0, coef=True, random_state=43)
    assert not np.array_equal(a[1], c[1])


# ----------------------------------------------------- make_classification
def test_make_classification_shapes_and_balance():
    X, y = make_classification(random_state=0)
    assert X.shape == (100, 20) and y.shape == (100,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50, 50])
    X, y = make_classification(n_samples=101, n_features=5, n_informative=3, n_classes=4, random_state=0)
    assert X.shape == (101, 5)
    counts = np.bincount(y)
    assert counts.shape == (4,) and counts.max() - counts.min() <= 1 and counts.sum() == 101


def test_make_classification_is_deterministic():
    a = make_classification(n_samples=30, random_state=5)
    b = make_classification(n_samples=30, random_state=np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = make_classification(n_samples=30, random_state=6)
    assert not np.array_equal(a[0], c[0])


def _nearest_centroid_accuracy(X, y, n_train):
    classes = np.unique(y[:n_train])
    centroids = np.stack([X[:n_train][y[:n_train] == c].mean(axis=0) for c in classes])
    dist = ((X[n_train:, None, :] - centroids[None]) ** 2).sum(axis=2)
    return np.mean(classes[np.argmin(dist, axis=1)] == y[n_train:])


@pytest.mark.parametrize("n_classes, n_informative, class_sep, minimum", [
    (2, 2, 1.0, 0.75),
    (3, 3, 2.0, 0.9),
    (8, 3, 2.0, 0.8),
])
def test_make_classification_is_learnable(n_classes, n_informative, class_sep, minimum):
    X, y = make_classification(n_samples=1200, n_features=10, n_informative=n_informative, n_classes=n_classes,
                               class_sep=class_sep, random_state=0)
    acc = _nearest_centroid_accuracy(X, y, n_train=600)
    assert acc > minimum > 1.0 / n_classes
    # the noise features carry no class signal: on them alone the rule is near chance
    noise_acc = _nearest_centroid_accuracy(X[:, n_informative:], y, n_train=600)
    assert noise_acc < 1.0 / n_classes + 0.1


def test_make_classification_class_sep_spreads_centroids():
    X, y = make_classification(n_samples=4000, n_features=4, n_informative=2, n_classes=4, class_sep=3.0,
                               random_state=1)
    centroids = np.stack([X[y == c, :2].mean(axis=0) for c in range(4)])
    np.testing.assert_allclose(np.sort(np.abs(centroids).ravel()), 3.0, atol=0.15)  # hypercube vertices ±3
    np.testing.assert_allclose(X[:, 2:].mean(axis=0), 0.0, atol=0.1)


# --------------------------------------------------------------- make_blobs
def test_make_blobs_defaults():
    X, y = make_blobs(random_state=0)
    assert X.shape == (100, 2) and y.shape == (100,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [34, 33, 33])  # 3 centres, the first gets the extra one


@pytest.mark.parametrize("n_samples, centers, counts", [
    (10, 4, [3, 3, 2, 2]),
    (2, 3, [1, 1, 0]),
    ([5, 0, 2], None, [5, 0, 2]),
    (np.array([1, 4]), [[0.0, 0.0], [1.0, 1.0]], [1, 4]),
])
def test_make_blobs_counts_like_sklearn(n_samples, centers, counts):
    X, y = make_blobs(n_samples, centers=centers, shuffle=False, random_state=0)
    _, y_ref = sk_datasets.make_blobs(n_samples, centers=centers, shuffle=False, random_state=0)
    np.testing.assert_array_equal(y, y_ref)  # not shuffled: blob 0's points first, then blob 1's, ...
    np.testing.assert_array_equal(np.bincount(y, minlength=len(counts)), counts)
    assert X.shape == (sum(counts), 2)


def test_make_blobs_centres_and_spreads():
    centers = np.array([[0.0, 0.0, 0.0], [20.0, -5.0, 3.0], [-8.0, 8.0, 8.0]])
    stds = [0.5, 2.0, 1.0]
    X, y, mu = make_blobs([6000, 5000, 4000], centers=centers, cluster_std=stds, return_centers=True,
                          random_state=1)
    np.testing.assert_array_equal(mu, centers)
    np.testing.assert_array_equal(np.bincount(y), [6000, 5000, 4000])
    for k in range(3):
        pts = X[y == k]
        np.testing.assert_allclose(pts.mean(axis=0), centers[k], atol=4 * stds[k] / np.sqrt(len(pts)) + 1e-12)
        np.testing.assert_allclose(pts.std(axis=0), stds[k], rtol=0.05)  # isotropic: σ along every feature
        corr = np.corrcoef(pts.T)
        assert np.max(np.abs(corr - np.eye(3))) < 0.06


def test_make_blobs_drawn_centres_lie_in_the_box():
    X, y, mu = make_blobs(50, n_features=5, centers=40, center_box=(2.0, 3.0), cluster_std=0.0,
                          return_centers=True, random_state=0)
    assert mu.shape == (40, 5) and np.all((mu >= 2.0) & (mu <= 3.0))
    np.testing.assert_array_equal(X, mu[y])  # σ = 0: every point is its centre
    X, y, mu = make_blobs([1, 1], n_features=7, return_centers=True, random_state=0)
    assert mu.shape == (2, 7) and X.shape == (2, 7)
    assert np.all((mu >= -10.0) & (mu <= 10.0))
    X, _ = make_blobs(5, n_features=9, centers=[[0.0, 1.0]], random_state=0)  # n_features from the centres
    assert X.shape == (5, 2)


def test_make_blobs_shuffle_permutes_the_unshuffled_rows():
    kw = {"n_samples": [30, 20, 10], "centers": [[0.0, 0.0], [5.0, 5.0], [9.0, -9.0]], "cluster_std": 0.0}
    X0, y0 = make_blobs(shuffle=False, **kw)
    X1, y1 = make_blobs(shuffle=True, random_state=3, **kw)
    assert not np.array_equal(y0, y1)
    order0, order1 = np.lexsort(X0.T), np.lexsort(X1.T)
    np.testing.assert_array_equal(X0[order0], X1[order1])
    np.testing.assert_array_equal(y0[order0], y1[order1])


# --------------------------------------------------------- moons and circles
@pytest.mark.parametrize("n_samples", [1, 2, 7, 100, (3, 5), (0, 4), (6, 0)])
def test_make_moons_geometry_equals_sklearn(n_samples):
    """Without noise and shuffle the points are a fixed design: exactly scikit-learn's."""
    X, y = make_moons(n_samples, shuffle=False)
    X_ref, y_ref = sk_datasets.make_moons(n_samples, shuffle=False)
    np.testing.assert_allclose(X, X_ref, atol=1e-15)
    np.testing.assert_array_equal(y, y_ref)
    assert X.dtype == np.float64 and y.dtype == np.int64
    # upper unit half circle around (0, 0); lower one around (1, 1/2)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0, rtol=1e-15)
    assert np.all(X[y == 0, 1] >= 0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0, rtol=1e-15)
    assert np.all(X[y == 1, 1] <= 0.5)


@pytest.mark.parametrize("n_samples", [1, 2, 7, 100, (3, 5), (0, 4), (6, 0)])
@pytest.mark.parametrize("factor", [0.0, 0.3, 0.8])
def test_make_circles_geometry_equals_sklearn(n_samples, factor):
    X, y = make_circles(n_samples, shuffle=False, factor=factor)
    X_ref, y_ref = sk_datasets.make_circles(n_samples, shuffle=False, factor=factor)
    np.testing.assert_allclose(X, X_ref, atol=1e-15)
    np.testing.assert_array_equal(y, y_ref)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-15)
    np.testing.assert_allclose(r[y == 1], factor, rtol=1e-15)
    for k in (0, 1):  # evenly spaced angles starting at 0
        theta = np.arctan2(X[y == k, 1], X[y == k, 0]) % (2 * np.pi)
        m = theta.shape[0]
        if factor > 0 or k == 0:
            np.testing.assert_allclose(theta, 2 * np.pi * np.arange(m) / m, atol=1e-12)


@pytest.mark.parametrize("func", [make_moons, make_circles])
def test_moons_and_circles_counts_shuffle_and_noise(func):
    X, y = func(101, random_state=0)
    np.testing.assert_array_equal(np.bincount(y), [50, 51])  # outer ⌊n/2⌋, inner the rest
    X0, y0 = func(101, shuffle=False)
    assert not np.array_equal(y, y0)
    np.testing.assert_array_equal(X[np.lexsort(X.T)], X0[np.lexsort(X0.T)])  # the same points, permuted
    np.testing.assert_array_equal(y[np.lexsort(X.T)], y0[np.lexsort(X0.T)])
    Xn, yn = func(4000, noise=0.05, shuffle=False, random_state=0)
    Xc, _ = func(4000, shuffle=False)
    np.testing.assert_array_equal(yn, np.repeat([0, 1], 2000))
    resid = Xn - Xc
    assert 0.045 < resid.std() < 0.055 and abs(resid.mean()) < 0.005
    noise0, _ = func(50, noise=0.0, random_state=0)
    np.testing.assert_array_equal(noise0, func(50, random_state=0)[0])


def test_make_circles_noise_spreads_the_radius_like_sklearn():
    X, y = make_circles(20000, noise=0.1, factor=0.4, random_state=0)
    X_ref, y_ref = sk_datasets.make_circles(20000, noise=0.1, factor=0.4, random_state=0)
    for k in (0, 1):
        r, r_ref = np.hypot(*X[y == k].T), np.hypot(*X_ref[y_ref == k].T)
        assert abs(r.mean() - r_ref.mean()) < 0.01 and abs(r.std() - r_ref.std()) < 0.01


# ----------------------------------------------------------- make_swiss_roll
@pytest.mark.parametrize("hole", [False, True])
def test_make_swiss_roll_geometry(hole):
    X, t = make_swiss_roll(20000, hole=hole, random_state=0)
    assert X.shape == (20000, 3) and t.shape == (20000,)
    assert X.dtype == np.float64 and t.dtype == np.float64
    np.testing.assert_array_equal(X[:, 0], t * np.cos(t))  # no noise: exactly on the roll
    np.testing.assert_array_equal(X[:, 2], t * np.sin(t))
    h = X[:, 1]
    assert np.all((t >= 1.5 * np.pi) & (t <= 4.5 * np.pi)) and np.all((h >= 0) & (h <= 21))
    middle = (t > 2.5 * np.pi) & (t < 3.5 * np.pi) & (h > 7) & (h < 14)
    # (t, h) uniform on the rectangle, or on its 8 outer cells: compare the 3×3 cell counts
    cells = np.minimum(((t / np.pi - 1.5) // 1).astype(int), 2) * 3 + np.minimum((h // 7).astype(int), 2)
    counts = np.bincount(cells, minlength=9)
    expected = np.full(9, 20000 / (8 if hole else 9))
    if hole:
        assert not middle.any() and counts[4] == 0
        expected[4] = 0
    else:
        assert middle.any()
    np.testing.assert_allclose(counts, expected, atol=5 * np.sqrt(20000 / 8))
    # the same distribution as scikit-learn's: compare means and spreads of t, h and X
    X_ref, t_ref = sk_datasets.make_swiss_roll(20000, hole=hole, random_state=0)
    for a, b in ((t, t_ref), (h, X_ref[:, 1]), (X[:, 0], X_ref[:, 0]), (X[:, 2], X_ref[:, 2])):
        assert abs(a.mean() - b.mean()) < 0.05 * b.std() + 0.05
        assert abs(a.std() - b.std()) < 0.03 * b.std()


def test_make_swiss_roll_noise():
    X, t = make_swiss_roll(5000, noise=0.5, random_state=0)
    resid = X - np.column_stack([t * np.cos(t), X[:, 1], t * np.sin(t)])
    assert 0.47 < resid[:, [0, 2]].std() < 0.53
    X0, t0 = make_swiss_roll(5000, random_state=0)
    np.testing.assert_array_equal(t, t0)  # the noise is drawn after the positions


# ------------------------------------------------------------ reproducibility
@pytest.mark.parametrize("gen", [
    lambda s: make_blobs(50, n_features=3, centers=4, random_state=s, return_centers=True),
    lambda s: make_blobs([5, 9, 2], random_state=s),
    lambda s: make_moons(40, noise=0.1, random_state=s),
    lambda s: make_circles((10, 30), noise=0.1, random_state=s),
    lambda s: make_swiss_roll(40, noise=0.2, random_state=s),
    lambda s: make_swiss_roll(40, hole=True, random_state=s),
], ids=["blobs", "blobs-list", "moons", "circles", "swiss_roll", "swiss_roll-hole"])
def test_clustering_generators_are_reproducible(gen):
    a, b, c = gen(7), gen(7), gen(8)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    # a Generator and a RandomState are accepted; the same state gives the same arrays
    g1, g2 = gen(np.random.default_rng(3)), gen(np.random.default_rng(3))
    assert all(np.array_equal(p, q) for p, q in zip(g1, g2))
    r1, r2 = gen(np.random.RandomState(3)), gen(np.random.RandomState(3))
    assert all(np.array_equal(p, q) for p, q in zip(r1, r2))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("func, kwargs, exc, text", [
    (make_xor, {"n_samples": 0}, ValueError, "n_samples"),
    (make_xor, {"n_samples": 2.0}, TypeError, "n_samples"),
    (make_xor, {"noise": -0.1}, ValueError, "noise"),
    (make_xor, {"noise": "a"}, TypeError, "noise"),
    (make_xor, {"random_state": 1.5}, TypeError, "random_state"),
    (make_regression, {"n_samples": 0}, ValueError, "n_samples"),
    (make_regression, {"n_features": 0}, ValueError, "n_features"),
    (make_regression, {"n_informative": -1}, ValueError, "n_informative"),
    (make_regression, {"noise": -1.0}, ValueError, "noise"),
    (make_regression, {"bias": float("nan")}, ValueError, "bias"),
    (make_regression, {"bias": "1"}, TypeError, "bias"),
    (make_regression, {"coef": 1}, TypeError, "coef"),
    (make_classification, {"n_samples": 1}, ValueError, "n_samples"),
    (make_classification, {"n_features": 1}, ValueError, "n_informative"),
    (make_classification, {"n_informative": 0}, ValueError, "n_informative"),
    (make_classification, {"n_classes": 1}, ValueError, "n_classes"),
    (make_classification, {"n_classes": 5}, ValueError, "n_classes"),
    (make_classification, {"n_classes": True}, TypeError, "n_classes"),
    (make_classification, {"class_sep": 0.0}, ValueError, "class_sep"),
    (make_classification, {"class_sep": float("inf")}, ValueError, "class_sep"),
    (make_classification, {"random_state": "x"}, TypeError, "random_state"),
])
def test_bad_arguments(func, kwargs, exc, text):
    with pytest.raises(exc, match=text):
        func(**kwargs)


@pytest.mark.parametrize("func, kwargs, exc, text", [
    (make_blobs, {"n_samples": 0}, ValueError, "n_samples:"),
    (make_blobs, {"n_samples": 10.0}, TypeError, "n_samples:"),
    (make_blobs, {"n_samples": "10"}, TypeError, "n_samples:"),
    (make_blobs, {"n_samples": [3, -1]}, ValueError, "n_samples[1]:"),
    (make_blobs, {"n_samples": [3, 1.5]}, TypeError, "n_samples[1]:"),
    (make_blobs, {"n_samples": [0, 0]}, ValueError, "n_samples:"),
    (make_blobs, {"n_samples": []}, ValueError, "n_samples:"),
    (make_blobs, {"n_samples": [[1, 2]]}, ValueError, "n_samples:"),
    (make_blobs, {"n_samples": [1, [2, 3]]}, ValueError, "n_samples:"),
    (make_blobs, {"n_samples": np.array([2.0, 3.0])}, TypeError, "n_samples[0]:"),
    (make_blobs, {"n_features": 0}, ValueError, "n_features:"),
    (make_blobs, {"n_features": True}, TypeError, "n_features:"),
    (make_blobs, {"centers": 0}, ValueError, "centers:"),
    (make_blobs, {"centers": 2.0}, TypeError, "centers:"),
    (make_blobs, {"centers": [1.0, 2.0]}, ValueError, "centers:"),
    (make_blobs, {"centers": [[0.0, np.nan]]}, ValueError, "centers:"),
    (make_blobs, {"centers": [["a", "b"]]}, TypeError, "centers:"),
    (make_blobs, {"n_samples": [5, 5], "centers": 2}, ValueError, "centers:"),
    (make_blobs, {"n_samples": [5, 5], "centers": [[0.0, 0.0]]}, ValueError, "centers:"),
    (make_blobs, {"cluster_std": -1.0}, ValueError, "cluster_std:"),
    (make_blobs, {"cluster_std": float("nan")}, ValueError, "cluster_std:"),
    (make_blobs, {"cluster_std": float("inf")}, ValueError, "cluster_std:"),
    (make_blobs, {"cluster_std": "1"}, TypeError, "cluster_std:"),
    (make_blobs, {"cluster_std": [1.0, 2.0]}, ValueError, "cluster_std:"),
    (make_blobs, {"cluster_std": [1.0, -2.0, 1.0]}, ValueError, "cluster_std[1]:"),
    (make_blobs, {"cluster_std": [1.0, "2", 1.0]}, TypeError, "cluster_std[1]:"),
    (make_blobs, {"cluster_std": [[1.0, 2.0, 3.0]]}, ValueError, "cluster_std:"),
    (make_blobs, {"center_box": (1.0, -1.0)}, ValueError, "center_box:"),
    (make_blobs, {"center_box": (0.0, float("inf"))}, ValueError, "center_box[1]:"),
    (make_blobs, {"center_box": 10.0}, TypeError, "center_box:"),
    (make_blobs, {"center_box": (0.0, 1.0, 2.0)}, TypeError, "center_box:"),
    (make_blobs, {"shuffle": "yes"}, TypeError, "shuffle:"),
    (make_blobs, {"return_centers": 1}, TypeError, "return_centers:"),
    (make_blobs, {"random_state": -1}, ValueError, "random_state:"),
    (make_blobs, {"random_state": "0"}, TypeError, "random_state:"),
    (make_moons, {"n_samples": 0}, ValueError, "n_samples:"),
    (make_moons, {"n_samples": (0, 0)}, ValueError, "n_samples:"),
    (make_moons, {"n_samples": (-1, 3)}, ValueError, "n_samples:"),
    (make_moons, {"n_samples": (1, 2, 3)}, TypeError, "n_samples:"),
    (make_moons, {"n_samples": 1.5}, TypeError, "n_samples:"),
    (make_moons, {"noise": -0.1}, ValueError, "noise:"),
    (make_moons, {"noise": float("inf")}, ValueError, "noise:"),
    (make_moons, {"noise": "a"}, TypeError, "noise:"),
    (make_moons, {"shuffle": None}, TypeError, "shuffle:"),
    (make_moons, {"random_state": 2 ** 32}, ValueError, "random_state:"),
    (make_circles, {"n_samples": -5}, ValueError, "n_samples:"),
    (make_circles, {"n_samples": [3, 3.0]}, ValueError, "n_samples:"),
    (make_circles, {"factor": 1.0}, ValueError, "factor:"),
    (make_circles, {"factor": -0.1}, ValueError, "factor:"),
    (make_circles, {"factor": None}, TypeError, "factor:"),
    (make_circles, {"noise": float("nan")}, ValueError, "noise:"),
    (make_circles, {"shuffle": 0}, TypeError, "shuffle:"),
    (make_swiss_roll, {"n_samples": 0}, ValueError, "n_samples:"),
    (make_swiss_roll, {"n_samples": (5, 5)}, TypeError, "n_samples:"),
    (make_swiss_roll, {"noise": None}, TypeError, "noise:"),
    (make_swiss_roll, {"noise": -1.0}, ValueError, "noise:"),
    (make_swiss_roll, {"hole": "no"}, TypeError, "hole:"),
    (make_swiss_roll, {"random_state": 0.5}, TypeError, "random_state:"),
])
def test_bad_arguments_of_the_clustering_generators(func, kwargs, exc, text):
    with pytest.raises(exc) as info:
        func(**kwargs)
    assert str(info.value).startswith(text), str(info.value)


def test_keyword_only_parameters():
    with pytest.raises(TypeError):
        make_regression(10, 5, 3)
    with pytest.raises(TypeError):
        make_classification(10, 5, 3)
    with pytest.raises(TypeError):
        make_blobs(10, 2, 3)
    for func in (make_moons, make_circles, make_swiss_roll):
        with pytest.raises(TypeError):
            func(10, True)
