"""scikit-learn's own estimator checks (parametrize_with_checks) on every estimator, default backend.

Expected failures are listed here, each with its reason; xfail_strict makes a check that starts
passing fail the run, so the list cannot go stale. One pair is not in the list: the float32 MLPs'
sample-weight equivalence checks pass or fail by rounding alone (_FLOAT32_WEIGHTS), so a failure
of theirs is an imperative xfail and a pass is a pass.

Sparse input: the estimators that take scipy.sparse X (LinearRegression, Ridge, LogisticRegression,
Perceptron, the MLPs; RidgeCV with cv=K and StandardScaler with with_mean=False) say so in their
``input_tags.sparse``, so scikit-learn's check_estimator_sparse_array / _matrix / _tag fit them on
sparse data of every format (CSR, CSC, COO, DOK, LIL, DIA, BSR; int64 indices too) and predict;
RidgeCV() (leave-one-out) and StandardScaler() (with_mean=True) raise the ValueError naming
"sparse" the checks accept. All pass; check_sample_weight_equivalence_on_sparse_data, which now
runs too, has the expected failures of its dense twin for the same reasons (the float32 MLPs, the
perceptron).
"""
import numpy as np
import pytest

pytest.importorskip("sklearn")
import warnings  # noqa: E402

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mlbasics.cluster import KMeans, MiniBatchKMeans, SpectralClustering  # noqa: E402
from mlbasics.decomposition import PCA  # noqa: E402
from mlbasics.linear_model import LinearRegression, LogisticRegression, Perceptron, Ridge, RidgeCV  # noqa: E402
from mlbasics.manifold import Isomap  # noqa: E402
from mlbasics.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from mlbasics.preprocessing import PolynomialFeatures, StandardScaler  # noqa: E402

ESTIMATORS = [LinearRegression(), Ridge(), RidgeCV(), LogisticRegression(), Perceptron(random_state=0),
              MLPClassifier(max_iter=50, random_state=0), MLPRegressor(max_iter=50, random_state=0),
              MLPClassifier(max_iter=50, random_state=0, dtype=np.float64),
              MLPRegressor(max_iter=50, random_state=0, dtype=np.float64),
              # the course's new tricks (float64: the checks compare predictions at float64 tolerance)
              MLPClassifier(max_iter=50, random_state=0, dtype=np.float64, dropout=0.1, normalization="layer",
                            residual=True, spectral_norm=True),
              MLPRegressor(max_iter=50, random_state=0, dtype=np.float64, normalization="batch", residual=True),
              PCA(n_components=2), StandardScaler(), PolynomialFeatures(),
              KMeans(n_clusters=3, random_state=0), MiniBatchKMeans(n_clusters=3, random_state=0),
              SpectralClustering(n_clusters=3, random_state=0), Isomap()]


_FLOAT32_WEIGHTS = ("fitting with integer weights and with repeated rows gives the same float32 training "
                    "only up to float32 rounding (the sums run in another order), and the check compares "
                    "predictions at rtol=1e-7; the float64 MLPs below pass it, and tests/test_sample_weight.py "
                    "checks the property at float32 tolerance")


_TRICKS_WEIGHTS = ("a weight of 2 is not two copies of a row once the network uses its minibatch as a whole or "
                   "draws per row: batch norm's batch statistics are unweighted (as torch's BatchNorm1d, which "
                   "has no weights) and depend on which rows share a minibatch, and dropout draws a mask per "
                   "row, so the copies get two masks (with batch norm even a row of weight 0 counts in its "
                   "batch's statistics)")


_ROUNDING_DEPENDENT = ("check_sample_weight_equivalence_on_dense_data", "check_sample_weight_equivalence_on_sparse_data")


def _float32_mlp(estimator):
    """A float32 MLP without batch norm or dropout (whose weight checks fail for another reason)."""
    return (isinstance(estimator, (MLPClassifier, MLPRegressor)) and np.dtype(estimator.dtype) == np.float32
            and estimator.normalization != "batch" and estimator.dropout == 0.0)


def expected_failures(estimator):
    if isinstance(estimator, (MLPClassifier, MLPRegressor)) and (estimator.normalization == "batch"
                                                                  or estimator.dropout != 0.0):
        return {"check_sample_weight_equivalence_on_dense_data": _TRICKS_WEIGHTS,
                "check_sample_weight_equivalence_on_sparse_data": _TRICKS_WEIGHTS}
    if isinstance(estimator, MLPRegressor) and np.dtype(estimator.dtype) == np.float32:
        return {"check_regressor_multioutput": "the MLPs train and predict in float32 by default (dtype=np.float32, "
                                               "for speed); scikit-learn expects float64 predictions. With "
                                               "dtype=np.float64 the check passes (tested below)."}
    if isinstance(estimator, Perceptron):
        return {check: "the perceptron is an online algorithm: a sample of weight 2 makes one step twice as long, "
                       "while two copies make two visits, the second of which may no longer be a mistake "
                       "(scikit-learn's Perceptron lists the same expected failure); a weight of 0 does equal "
                       "dropping the sample (tests/test_sample_weight.py)"
                for check in ("check_sample_weight_equivalence_on_dense_data",
                              "check_sample_weight_equivalence_on_sparse_data")}
    if isinstance(estimator, (KMeans, MiniBatchKMeans)):
        return {"check_sample_weight_equivalence_on_dense_data":
                "the random seeding draws samples with probability proportional to the weights, which "
                "consumes other random numbers than drawing among repeated rows (scikit-learn's KMeans "
                "lists the same expected failure); with an explicit init array the fits are equal "
                "(tests/test_cluster.py)"}
    return {}


# mlbasics does not inherit from scikit-learn's BaseEstimator (no dependency on it); scikit-learn
# warns about that while collecting, which is expected here.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*does not inherit from `sklearn.base.BaseEstimator`")
    _checks = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)


@pytest.mark.filterwarnings("ignore::UserWarning")  # ConvergenceWarning etc. from short fits
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning")
@_checks
def test_sklearn_compatible_estimator(estimator, check):
    name = getattr(check, "func", check).__name__
    if _float32_mlp(estimator) and name in _ROUNDING_DEPENDENT:
        # passes or fails by the rounding of the day (see _FLOAT32_WEIGHTS): an expected failure
        # when it fails, never a strict one (a change of summation order in a GEMM made the
        # float32 MLPRegressor pass the dense check once, and the strict xfail then failed the run)
        try:
            check(estimator)
        except AssertionError:
            pytest.xfail(_FLOAT32_WEIGHTS)
        return
    check(estimator)
