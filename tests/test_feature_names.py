"""Feature names and DataFrame output, as scikit-learn does them (pandas; polars where installed)."""
import warnings

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from mlbasics.decomposition import PCA  # noqa: E402
from mlbasics.linear_model import LinearRegression, LogisticRegression, Perceptron, Ridge, RidgeCV  # noqa: E402
from mlbasics.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from mlbasics.preprocessing import PolynomialFeatures, StandardScaler  # noqa: E402

RNG = np.random.default_rng(0)
FRAME = pd.DataFrame(RNG.standard_normal((30, 3)), columns=["age", "bmi", "bp"])
Y_REG = FRAME.to_numpy() @ np.array([1.0, -2.0, 3.0])
Y_CLS = (Y_REG > 0).astype(int)

ESTIMATORS = [
    (LinearRegression(), Y_REG), (Ridge(), Y_REG), (RidgeCV(), Y_REG), (LogisticRegression(), Y_CLS),
    (Perceptron(random_state=0), Y_CLS), (MLPClassifier(hidden_layer_sizes=(3,), max_iter=3, random_state=0), Y_CLS),
    (MLPRegressor(hidden_layer_sizes=(3,), max_iter=3, random_state=0), Y_REG),
    (PCA(n_components=2), None), (StandardScaler(), None), (PolynomialFeatures(), None),
]
IDS = [type(e).__name__ for e, _ in ESTIMATORS]
pytestmark = pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")


def _out(est, X):
    return est.transform(X) if hasattr(est, "transform") else est.predict(X)


@pytest.mark.parametrize("est,y", ESTIMATORS, ids=IDS)
def test_names_are_remembered_and_checked(est, y):
    est.fit(FRAME, y)
    np.testing.assert_array_equal(est.feature_names_in_, ["age", "bmi", "bp"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = np.asarray(_out(est, FRAME))
    # the same columns in another order: an error listing the difference, never silently wrong values
    with pytest.raises(ValueError, match="same order"):
        _out(est, FRAME[["bp", "age", "bmi"]])
    with pytest.raises(ValueError, match=r"unseen at fit time: \['weight'\]"):
        _out(est, FRAME.rename(columns={"bmi": "weight"}))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(_out(est, FRAME.to_numpy()), expected)
    est.fit(FRAME.to_numpy(), y)  # refit without names: forgotten
    assert not hasattr(est, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        _out(est, FRAME)


def test_get_feature_names_out_follow_the_input_names():
    assert StandardScaler().fit(FRAME).get_feature_names_out().tolist() == ["age", "bmi", "bp"]
    assert PCA(n_components=2).fit(FRAME).get_feature_names_out().tolist() == ["pca0", "pca1"]
    names = PolynomialFeatures(degree=2).fit(FRAME[["age", "bmi"]]).get_feature_names_out().tolist()
    assert names == ["1", "age", "bmi", "age^2", "age bmi", "bmi^2"]
    assert PolynomialFeatures().fit(FRAME.to_numpy()[:, :1]).get_feature_names_out().tolist() == ["1", "x0", "x0^2"]
    with pytest.raises(ValueError, match="input_features"):
        StandardScaler().fit(FRAME).get_feature_names_out(["a", "b", "c"])


def test_set_output_pandas_and_the_global_sklearn_config():
    scaler = StandardScaler().set_output(transform="pandas").fit(FRAME)
    out = scaler.transform(FRAME.iloc[5:10])
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["age", "bmi", "bp"]
    assert list(out.index) == list(range(5, 10))
    np.testing.assert_allclose(out.to_numpy(), StandardScaler().fit(FRAME).transform(FRAME.iloc[5:10]))
    assert isinstance(PCA(n_components=2).set_output(transform="pandas").fit_transform(FRAME), pd.DataFrame)
    with pytest.raises(ValueError, match="transform"):
        StandardScaler().set_output(transform="arrow")
    sklearn = pytest.importorskip("sklearn")
    from sklearn.pipeline import make_pipeline

    with sklearn.config_context(transform_output="pandas"):
        out = make_pipeline(StandardScaler(), PolynomialFeatures(degree=2)).fit_transform(FRAME)
    assert isinstance(out, pd.DataFrame) and "age bmi" in out.columns
    pipe = make_pipeline(StandardScaler(), PCA(n_components=2)).set_output(transform="pandas")
    assert list(pipe.fit_transform(FRAME).columns) == ["pca0", "pca1"]
    assert isinstance(StandardScaler().fit_transform(FRAME), np.ndarray)  # default again


def test_set_output_polars():
    pl = pytest.importorskip("polars")
    out = StandardScaler().set_output(transform="polars").fit_transform(FRAME)
    assert isinstance(out, pl.DataFrame) and out.columns == ["age", "bmi", "bp"]


def test_mixed_column_name_types_are_a_type_error():
    bad = FRAME.copy()
    bad.columns = ["age", 1, "bp"]
    with pytest.raises(TypeError, match="string names"):
        LinearRegression().fit(bad, Y_REG)
