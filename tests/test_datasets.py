"""Shipped data sets (equal to scikit-learn's) and the synthetic generators."""
from importlib import resources

import numpy as np
import pytest

from mlbasics import datasets
from mlbasics.datasets import (load_breast_cancer, load_diabetes, load_digits, make_classification,
                               make_regression, make_xor)

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


def test_keyword_only_parameters():
    with pytest.raises(TypeError):
        make_regression(10, 5, 3)
    with pytest.raises(TypeError):
        make_classification(10, 5, 3)
