"""scikit-learn interoperation without depending on it: its except clauses and warning filters
catch ours once scikit-learn is imported."""
import pickle
import warnings

import numpy as np
import pytest

sklearn_exceptions = pytest.importorskip("sklearn.exceptions")

from mlbasics.exceptions import ConvergenceWarning, DataConversionWarning, NotFittedError  # noqa: E402
from mlbasics.linear_model import LinearRegression, LogisticRegression  # noqa: E402


def test_sklearn_except_clause_catches_our_not_fitted_error():
    with pytest.raises(sklearn_exceptions.NotFittedError) as info:
        LinearRegression().predict(np.zeros((2, 2)))
    err = info.value
    assert isinstance(err, NotFittedError) and isinstance(err, ValueError) and isinstance(err, AttributeError)
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is type(err) and str(again) == str(err)


def test_column_vector_y_warns_with_a_data_conversion_warning():
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([[0], [1], [0], [1], [0], [1]])
    with pytest.warns(sklearn_exceptions.DataConversionWarning, match="column-vector y") as record:
        model = LogisticRegression().fit(X, y)
    assert issubclass(record[0].category, DataConversionWarning)
    np.testing.assert_array_equal(model.classes_, [0, 1])
    with warnings.catch_warnings():  # a 1-D y: no warning
        warnings.simplefilter("error")
        LogisticRegression().fit(X, y.ravel())


def test_convergence_warning_is_sklearns_too():
    X = np.random.default_rng(0).standard_normal((50, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(sklearn_exceptions.ConvergenceWarning) as record:
        LogisticRegression(max_iter=1, tol=0.0).fit(X, y)
    assert issubclass(record[0].category, ConvergenceWarning)
