"""pandas input: nullable columns convert like NumPy ones; a missing value is an error naming X / y."""
import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from mlbasics.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from mlbasics.preprocessing import StandardScaler  # noqa: E402

X_NP = np.array([[1.0, 0.5, 1.0], [2.0, 1.5, 0.0], [3.0, 2.0, 1.0], [4.0, 3.0, 1.0], [5.0, 3.5, 0.0]])
Y = np.array([1.0, 2.0, 3.0, 4.5, 5.0])


def _nullable_frame():
    return pd.DataFrame({"a": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
                         "b": pd.array([0.5, 1.5, 2.0, 3.0, 3.5], dtype="Float64"),
                         "c": pd.array([True, False, True, True, False], dtype="boolean")})


def test_nullable_columns_fit_like_numpy():
    ours = LinearRegression().fit(_nullable_frame(), pd.Series(Y, dtype="Float64"))
    ref = LinearRegression().fit(X_NP, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_)
    np.testing.assert_allclose(StandardScaler().fit(_nullable_frame()).mean_, X_NP.mean(axis=0))
    labels = pd.Series([0, 1, 0, 1, 1], dtype="Int64")
    assert list(LogisticRegression().fit(_nullable_frame(), labels).classes_) == [0, 1]


def test_missing_values_are_errors_naming_the_argument():
    X = _nullable_frame()
    X.loc[2, "b"] = pd.NA
    with pytest.raises(ValueError, match="^X: contains NaN"):
        LinearRegression().fit(X, Y)
    y = pd.Series(Y, dtype="Float64")
    y[1] = pd.NA
    with pytest.raises(ValueError, match="^y: contains NaN"):
        LinearRegression().fit(_nullable_frame(), y)
    labels = pd.Series([0, 1, pd.NA, 1, 1], dtype="Int64")
    with pytest.raises(ValueError, match="^y: contains (NaN|missing labels)"):
        LogisticRegression().fit(_nullable_frame(), labels)


def test_object_arrays_of_numbers_convert_and_others_are_type_errors():
    ref = LinearRegression().fit(X_NP, Y)
    np.testing.assert_allclose(LinearRegression().fit(X_NP.astype(object), Y).coef_, ref.coef_)
    bad = X_NP.astype(object)
    bad[0, 0] = {"not": "a number"}
    with pytest.raises(TypeError, match="^X: expected numeric data.*not a number"):
        LinearRegression().fit(bad, Y)
    with pytest.raises(TypeError, match="^X:"):
        LinearRegression().fit(np.array([["a", "b"], ["c", "d"]], dtype=object), [1.0, 2.0])
