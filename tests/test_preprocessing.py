"""PolynomialFeatures, StandardScaler and one_hot against scikit-learn and closed forms."""
import pickle

import numpy as np
import pytest
import sklearn.preprocessing as skp
from sklearn.base import clone as sk_clone
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.model_selection import GridSearchCV, cross_val_score as sk_cross_val_score
from sklearn.pipeline import make_pipeline

from mlbasics.exceptions import NotFittedError
from mlbasics.preprocessing import PolynomialFeatures, StandardScaler, one_hot


@pytest.mark.parametrize("interaction_only", [False, True])
@pytest.mark.parametrize("include_bias", [True, False])
@pytest.mark.parametrize("n_features", [1, 2, 3, 5])
@pytest.mark.parametrize("degree", [1, 2, 3, 4])
def test_polynomial_features_match_sklearn(degree, n_features, include_bias, interaction_only):
    X = np.random.default_rng(degree * 10 + n_features).normal(size=(7, n_features))
    ours = PolynomialFeatures(degree, include_bias=include_bias, interaction_only=interaction_only).fit(X)
    ref = skp.PolynomialFeatures(degree, include_bias=include_bias, interaction_only=interaction_only).fit(X)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-14)
    np.testing.assert_array_equal(ours.powers_, ref.powers_)
    assert ours.n_output_features_ == ref.n_output_features_
    assert list(ours.get_feature_names_out()) == list(ref.get_feature_names_out())
    names = [f"f{j}" for j in range(n_features)]
    assert list(ours.get_feature_names_out(names)) == list(ref.get_feature_names_out(names))


def test_polynomial_features_closed_form_and_dtype():
    X = np.array([[2.0, 3.0]], dtype=np.float32)
    out = PolynomialFeatures(2).fit_transform(X)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 2, 3, 4, 6, 9]])  # 1, x0, x1, x0², x0x1, x1²
    out = PolynomialFeatures(3).fit_transform(np.array([[2.0]]))
    np.testing.assert_array_equal(out, [[1, 2, 4, 8]])  # the course's φ(x) = [1, x, x², x³]


def test_standard_scaler_matches_sklearn():
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(50, 4))
    X[:, 2] = 7.3  # constant column: scale 1, only centered
    ours, ref = StandardScaler().fit(X), skp.StandardScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-14)
    np.testing.assert_allclose(ours.var_, ref.var_, rtol=1e-12, atol=1e-30)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-12)
    assert ours.scale_[2] == 1.0 and ours.var_[2] == 0.0
    Z = ours.transform(X)
    np.testing.assert_allclose(Z, ref.transform(X), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Z[:, [0, 1, 3]].mean(axis=0), 0, atol=1e-14)
    np.testing.assert_allclose(Z[:, [0, 1, 3]].std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(Z), X, rtol=1e-14)
    for with_mean, with_std in [(False, True), (True, False), (False, False)]:
        o = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
        r = skp.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
        np.testing.assert_allclose(o.transform(X), r.transform(X), rtol=1e-12, atol=1e-14)
        assert (o.scale_ is None) == (r.scale_ is None)


def test_standard_scaler_float32_in_float32_out():
    X = np.random.default_rng(1).normal(size=(20, 3)).astype(np.float32)
    Z = StandardScaler().fit_transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, skp.StandardScaler().fit_transform(X.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_one_hot():
    Y = one_hot(np.array([2, 0, 3]))
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    assert one_hot([0, 1], n_classes=4).shape == (2, 4)
    np.testing.assert_array_equal(one_hot([1, 0], 2).argmax(axis=1), [1, 0])
    with pytest.raises(ValueError, match="y"):
        one_hot([0, -1])
    with pytest.raises(ValueError, match="n_classes"):
        one_hot([0, 3], n_classes=3)
    with pytest.raises(TypeError, match="y"):
        one_hot([0.0, 1.0])
    with pytest.raises(TypeError, match="y"):
        one_hot(["a", "b"])
    with pytest.raises(ValueError, match="y"):
        one_hot([[0, 1]])
    with pytest.raises(TypeError, match="n_classes"):
        one_hot([0, 1], n_classes=2.0)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("make", [PolynomialFeatures, StandardScaler])
def test_bad_input(make):
    X = np.random.default_rng(0).normal(size=(5, 3))
    with pytest.raises(NotFittedError):
        make().transform(X)
    bad = X.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        make().fit(bad)
    with pytest.raises(ValueError, match="X"):
        make().fit(X[:, 0])  # 1-D
    with pytest.raises(TypeError, match="X"):
        make().fit(np.array([["a", "b"]]))
    est = make().fit(X)
    with pytest.raises(ValueError, match="X"):
        est.transform(X[:, :2])
    with pytest.raises(ValueError, match="X"):
        est.transform(bad)


def test_bad_hyper_parameters():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match="degree"):
        PolynomialFeatures(-1).fit(X)
    with pytest.raises(TypeError, match="degree"):
        PolynomialFeatures(2.5).fit(X)
    with pytest.raises(ValueError, match="degree"):
        PolynomialFeatures(0, include_bias=False).fit(X)
    with pytest.raises(TypeError, match="interaction_only"):
        PolynomialFeatures(interaction_only="yes").fit(X)
    with pytest.raises(TypeError, match="with_mean"):
        StandardScaler(with_mean=1).fit(X)
    with pytest.raises(ValueError, match="input_features"):
        PolynomialFeatures().fit(X).get_feature_names_out(["a"])


# ---------------------------------------------------------------- scikit-learn interplay
@pytest.mark.parametrize("est, ref", [(PolynomialFeatures(3), skp.PolynomialFeatures(3)),
                                      (StandardScaler(with_mean=False), skp.StandardScaler(with_mean=False))])
def test_sklearn_clone_pipeline_grid_pickle(est, ref):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X[:, 0] ** 2 + X[:, 1] + 0.01 * rng.normal(size=40)
    c = sk_clone(est)
    assert c is not est and c.get_params() == est.get_params()
    scores = sk_cross_val_score(make_pipeline(est, SkLinearRegression()), X, y, cv=3)
    np.testing.assert_allclose(scores, sk_cross_val_score(make_pipeline(ref, SkLinearRegression()), X, y, cv=3),
                               rtol=1e-10)
    fitted = est.fit(X)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.transform(X), fitted.transform(X))
    grid = GridSearchCV(make_pipeline(PolynomialFeatures(), SkLinearRegression()),
                        {"polynomialfeatures__degree": [1, 2]}, cv=3).fit(X, y)
    assert grid.best_params_ == {"polynomialfeatures__degree": 2}
