"""Every estimator × every kind of bad input: the error type, and a message that names the argument.

One table-driven file over LinearRegression, Ridge, RidgeCV, LogisticRegression, Perceptron,
MLPClassifier, MLPRegressor, PCA, StandardScaler, PolynomialFeatures, KMeans, MiniBatchKMeans,
SpectralClustering and Isomap — each on every backend where it takes ``backend=`` — plus the
metrics. A message "names the argument" when it contains ``<argument>:`` (the library's
convention: ``"X: contains NaN or infinity ..."``). SpectralClustering is of kind "clusterer": it
has no predict or transform, so its output is ``fit_predict`` and the predict-time checks skip it.

Bad inputs tried and what each gets (at fit unless said otherwise; "all" = all the estimators,
each on every backend it takes):

- NaN / inf / -inf in X, at fit and at predict/transform (all): ValueError
  "X: contains NaN or infinity (1 non-finite value(s), NaN, first at index (3, 1)); expected finite values".
- NaN / inf in y (supervised): ValueError "y: contains NaN or infinity (...); expected finite values".
- 0 samples, X of shape (0, 4) (all): ValueError "X: expected at least 1 sample(s), got 0: found 0
  sample(s) (shape=(0, 4), n_samples=0) while a minimum of 1 is required."
- 0 features, X of shape (30, 0) (all): ValueError "X: expected at least 1 feature(s), got shape
  (30, 0): found 0 feature(s) (shape=(30, 0)) while a minimum of 1 is required."
- 1 sample: PCA → ValueError "X: expected at least 2 sample(s), got 1: ... (n_samples=1) ...";
  RidgeCV (cv=None, leave-one-out) → ValueError "X: leave-one-out cross-validation (cv=None) needs at
  least 2 samples, got n_samples=1"; classifiers → ValueError "y: a classifier needs at least 2
  classes, got 1 class (1) in 1 sample(s)"; MLP with early_stopping → ValueError "validation_fraction:
  the validation set would have 1 of 1 samples; ...". LinearRegression, Ridge, MLPRegressor,
  StandardScaler, PolynomialFeatures fit one sample (finite output, as scikit-learn).
- A single class in y (classifiers): ValueError "y: a classifier needs at least 2 classes, got 1
  class (0) in 30 sample(s)".
- String, object-dtype string, negative-int and whole-float labels (classifiers): accepted;
  classes_ sorted, predict returns the labels themselves, the same fit as with codes 0..K-1.
- Strings mixed with numbers in y (classifiers): TypeError "y: Unknown label type: labels of mixed
  types ['int', 'str'] cannot be sorted; ...".
- Continuous float y (classifiers): ValueError "y: Unknown label type: continuous (got float values
  that are not whole numbers, e.g. 0.03); expected class labels. ...".
- String y (regressors): TypeError "y: expected numeric targets, got dtype <U3"; complex y:
  ValueError "y: Complex data not supported; ...".
- len(y) != len(X) (supervised): ValueError "y: expected 30 values (one per row of X), got 29".
- 1-D X, at fit and at predict/transform (all): ValueError "X: expected a 2-D array (n_samples,
  n_features), got 1-D with shape (30,). Expected 2D array, got 1D array instead: Reshape your data
  either using X.reshape(-1, 1) ... or X.reshape(1, -1) ...". 3-D X: ValueError "X: expected a 2-D
  array ..., got 3-D with shape (30, 4, 1). ...".
- y with 2 columns (classifiers): ValueError "y: expected a 1-D array, got 2-D with shape (30, 2)"
  (regressors fit multi-output); 3-D y (supervised): ValueError "y: expected a 1-D array ..., got 3-D".
- int64 / int32 / uint8 / bool X and nested lists (all): converted to float64; the same learned
  arrays and output as the float64 array.
- Object-dtype X holding something that is not a number, and string X, at fit and predict (all):
  TypeError "X: expected numeric data (float, int or bool), got dtype object ..." (an object array
  of numbers converts to float64, as in scikit-learn: tests/test_pandas.py).
- Complex X, at fit and predict (all): ValueError "X: Complex data not supported; got dtype
  complex128, expected real numbers (float, int or bool)" (scikit-learn's type and phrase).
- scipy.sparse X, at fit and predict: accepted by LinearRegression, Ridge, LogisticRegression,
  Perceptron and the MLPs (and by RidgeCV's and StandardScaler's predict/transform paths where
  their parameters allow: tests/test_sparse.py); RidgeCV() (leave-one-out) and StandardScaler()
  (with_mean=True) raise ValueError naming cv / with_mean and "sparse"; every other estimator
  TypeError "X: sparse input is not supported; convert with X.toarray() (got csr_matrix of shape
  (30, 4)), expected a dense array".
- A ragged nested list (all): ValueError "X: could not be converted to an array (...)".
- Fortran-ordered X, every 2nd column / every 2nd row of a larger array (the skipped entries NaN/inf),
  negative strides, a strided view of a Fortran array (all): the same fit and output as the
  C-contiguous copy (to 1e-9 relative). Measured: bit-identical, except PCA and StandardScaler on
  Fortran-ordered X, whose column means NumPy sums in another order (differences ≤ 2e-15).
- Negative / zero / NaN / wrong-type hyper-parameters (all, table HYPER below): ValueError or
  TypeError "<param>: expected ..., got ...", e.g. "alpha: expected a value >= 0.0, got -1.0",
  "C: expected a number, got nan", "degree: expected Integral, got float".
- n_components > min(n_samples, n_features) (PCA, both n_samples and n_features the smaller):
  ValueError "n_components: expected an int in [1, min(n_samples, n_features)] = [1, 4], got 5".
- predict / transform / predict_proba / decision_function / inverse_transform before fit (all):
  NotFittedError "This Ridge instance is not fitted yet; call 'fit' ...", an instance of both
  ValueError and AttributeError; hasattr(unfitted, "coef_") and the estimator's own learned
  attribute are False.
- A different number of features at predict/transform (all, fewer and more): ValueError "X: has 3
  features, expected 4 as in fit (X has 3 features, but Ridge is expecting 4 features as input)".
- Metrics (accuracy, confusion matrix, precision/recall/F1, ROC curve and AUC, MSE, R²): NaN/inf,
  length mismatch, wrong ndim, 0 samples → ValueError naming y_true / y_pred / y_score; strings to
  a regression metric or as y_score → TypeError; complex → ValueError "Complex data not supported".

Not tried here: the kernels' own checks (tests/test_bad_input.py, tests/test_properties.py) and the
optimizers' (tests/test_optim.py).
"""
import re

import numpy as np
import pytest
import scipy.sparse

from mlbasics import metrics
from mlbasics.cluster import KMeans, MiniBatchKMeans, SpectralClustering
from mlbasics.decomposition import PCA
from mlbasics.exceptions import NotFittedError
from mlbasics.linear_model import LinearRegression, LogisticRegression, Perceptron, Ridge, RidgeCV
from mlbasics.manifold import Isomap
from mlbasics.neural_network import MLPClassifier, MLPRegressor
from mlbasics.preprocessing import PolynomialFeatures, StandardScaler

# A few epochs on purpose: these fits only have to be valid, not converged.
pytestmark = pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")

BACKENDS = ("cpp", "numba", "numpy")

# name: (factory(backend, **params), kind, takes backend=, a learned attribute)
ESTIMATORS = {
    "LinearRegression": (LinearRegression, "regressor", True, "coef_"),
    "Ridge": (Ridge, "regressor", True, "coef_"),
    "RidgeCV": (RidgeCV, "regressor", True, "coef_"),
    "LogisticRegression": (LogisticRegression, "classifier", True, "coef_"),
    "Perceptron": (lambda **kw: Perceptron(random_state=0, **kw), "classifier", True, "coef_"),
    "MLPClassifier": (lambda **kw: MLPClassifier(**{"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0,
                                                     "dtype": np.float64, **kw}),
                      "classifier", True, "coefs_"),
    "MLPRegressor": (lambda **kw: MLPRegressor(**{"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0,
                                                   "dtype": np.float64, **kw}),
                     "regressor", True, "coefs_"),
    "PCA": (lambda **kw: PCA(**{"n_components": 2, **kw}), "transformer", True, "components_"),
    # the course's new tricks, all on (batch norm in the classifier, group norm in the regressor)
    "MLPClassifierTricks": (lambda **kw: MLPClassifier(**{"hidden_layer_sizes": (4, 4), "max_iter": 5,
                                                          "random_state": 0, "dtype": np.float64, "dropout": 0.1,
                                                          "normalization": "batch", "residual": True,
                                                          "spectral_norm": True, **kw}),
                            "classifier", True, "coefs_"),
    "MLPRegressorTricks": (lambda **kw: MLPRegressor(**{"hidden_layer_sizes": (4, 4), "max_iter": 5,
                                                        "random_state": 0, "dtype": np.float64, "dropout": (0.1, 0.2),
                                                        "normalization": "group", "residual": True,
                                                        "spectral_norm": True, **kw}),
                           "regressor", True, "coefs_"),
    "StandardScaler": (StandardScaler, "transformer", False, "mean_"),
    "PolynomialFeatures": (PolynomialFeatures, "transformer", False, "powers_"),
    "KMeans": (lambda **kw: KMeans(**{"n_clusters": 3, "random_state": 0, **kw}), "transformer", True,
               "cluster_centers_"),
    "MiniBatchKMeans": (lambda **kw: MiniBatchKMeans(**{"n_clusters": 3, "batch_size": 10, "random_state": 0, **kw}),
                        "transformer", True, "cluster_centers_"),
    # a "clusterer" has neither predict nor transform: its output is the labels of a fit (fit_predict).
    # gamma: a narrow RBF would cut the uint8-wrapped X_INT below (distances up to 4 × 255²) into components
    "SpectralClustering": (lambda **kw: SpectralClustering(**{"n_clusters": 3, "gamma": 1e-3, "random_state": 0,
                                                               **kw}), "clusterer", True, "labels_"),
    "Isomap": (Isomap, "transformer", True, "embedding_"),
}
SUPERVISED = [n for n, e in ESTIMATORS.items() if e[1] in ("regressor", "classifier")]
CLASSIFIERS = [n for n, e in ESTIMATORS.items() if e[1] == "classifier"]
REGRESSORS = [n for n, e in ESTIMATORS.items() if e[1] == "regressor"]


def _cases(names):
    """(estimator name, backend) pairs: every backend where the estimator takes one."""
    return [pytest.param(n, b, id=f"{n}-{b}" if b else n)
            for n in names for b in (BACKENDS if ESTIMATORS[n][2] else (None,))]


ALL = _cases(ESTIMATORS)


def make(name, backend, **params):
    factory, _, takes_backend, _ = ESTIMATORS[name]
    if takes_backend and backend is not None:
        params["backend"] = backend
    return factory(**params)


def kind(name):
    return ESTIMATORS[name][1]


RNG = np.random.default_rng(0)
X = RNG.standard_normal((30, 4))
Y_REG = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * RNG.standard_normal(30)
Y_CLS = np.arange(30) % 3                              # 3 balanced classes
X_INT = RNG.integers(-3, 4, size=(30, 4))              # int64 features
LABELS = np.array(["ant", "cat", "dog"])               # sorted, so code c ↔ LABELS[c]


def target(name, n=30):
    y = {"regressor": Y_REG, "classifier": Y_CLS, "transformer": None, "clusterer": None}[kind(name)]
    return None if y is None else y[:n]


def fit(est, name, Xf, y="default"):
    if kind(name) in ("transformer", "clusterer"):
        return est.fit(Xf)
    return est.fit(Xf, target(name, len(Xf)) if isinstance(y, str) else y)


def output(est, name, Xp):
    if kind(name) == "clusterer":  # no predict: the labels of the same estimator fitted on Xp
        return type(est)(**est.get_params()).fit_predict(Xp)
    return est.transform(Xp) if kind(name) == "transformer" else est.predict(Xp)


def learned(est, name):
    """Every learned array of a fitted estimator, as a flat list."""
    if name.startswith("MLP"):
        return [*est.coefs_, *est.intercepts_]
    out = []
    for attr in ("coef_", "intercept_", "components_", "explained_variance_", "mean_", "scale_", "powers_",
                 "cluster_centers_", "labels_", "affinity_matrix_", "embedding_", "dist_matrix_"):
        if getattr(est, attr, None) is not None:
            out.append(np.asarray(getattr(est, attr)))
    return out


def assert_error(exc_info, arg, phrase=None):
    msg = str(exc_info.value)
    assert re.search(rf"(^|[^\w]){re.escape(arg)}:", msg), f"message does not name {arg!r}: {msg}"
    if phrase is not None:
        assert phrase in msg, f"message lacks {phrase!r}: {msg}"


# ------------------------------------------------------------------ bad X / y at fit
def _with(value, where):
    Xb = X.copy()
    Xb[where] = value
    return Xb


X_CASES = [
    # (id, X, exception, phrase)
    ("nan", _with(np.nan, (3, 1)), ValueError, "NaN"),
    ("inf", _with(np.inf, (0, 0)), ValueError, "inf"),
    ("-inf", _with(-np.inf, (29, 3)), ValueError, "inf"),
    ("0-samples", X[:0], ValueError, "0 sample(s)"),
    ("0-features", X[:, :0], ValueError, "0 feature(s) (shape=(30, 0)) while a minimum of 1 is required."),
    ("1-D", X[:, 0], ValueError, "Reshape your data"),
    ("3-D", X[:, :, None], ValueError, "got 3-D"),
    # an object array of numbers converts, as in scikit-learn (tests/test_pandas.py); of anything else, not
    ("object", np.where(np.arange(X.size).reshape(X.shape) == 5, {"a": 1}, X), TypeError, "dtype object"),
    ("strings", X.astype(str), TypeError, "expected numeric data"),
    ("complex", X.astype(complex), ValueError, "Complex data not supported"),
    ("ragged", [[1.0, 2.0], [3.0]], ValueError, None),
]


@pytest.mark.parametrize("xid,Xb,exc,phrase", [pytest.param(*c, id=c[0]) for c in X_CASES])
@pytest.mark.parametrize("name,backend", ALL)
def test_bad_X_at_fit(name, backend, xid, Xb, exc, phrase):
    est = make(name, backend)
    n = Xb.shape[0] if hasattr(Xb, "shape") else len(Xb)
    y = target(name, n)
    with pytest.raises(exc) as info:
        est.fit(Xb) if y is None else est.fit(Xb, y)
    assert_error(info, "X", phrase)
    assert not hasattr(est, ESTIMATORS[name][3])


#: Estimators whose fit (default parameters) takes sparse X (tests/test_sparse.py compares the fits);
#: the others: the argument and phrase of their error.
SPARSE_FIT = {"LinearRegression", "Ridge", "LogisticRegression", "Perceptron", "MLPClassifier", "MLPRegressor",
              "MLPClassifierTricks", "MLPRegressorTricks"}
SPARSE_ERRORS = {"RidgeCV": (ValueError, "cv", "sparse"), "StandardScaler": (ValueError, "with_mean", "sparse")}


@pytest.mark.parametrize("name,backend", ALL)
def test_sparse_X_at_fit(name, backend):
    est = make(name, backend)
    Xs = scipy.sparse.csr_matrix(X)
    if name in SPARSE_FIT:
        fit(est, name, Xs, target(name))
        assert hasattr(est, ESTIMATORS[name][3])
        return
    exc, arg, phrase = SPARSE_ERRORS.get(name, (TypeError, "X", "sparse input is not supported"))
    with pytest.raises(exc) as info:
        fit(est, name, Xs, target(name))
    assert_error(info, arg, phrase)
    assert not hasattr(est, ESTIMATORS[name][3])


@pytest.mark.parametrize("name,backend", _cases(SUPERVISED))
@pytest.mark.parametrize("yid", ["nan", "inf", "length", "3-D"])
def test_bad_y_at_fit(name, backend, yid):
    y = target(name).astype(np.float64)
    if yid == "nan":
        y[5] = np.nan
    elif yid == "inf":
        y[5] = np.inf
    elif yid == "length":
        y = y[:-1]
    else:
        y = y[:, None, None]
    with pytest.raises(ValueError) as info:
        make(name, backend).fit(X, y)
    assert_error(info, "y", {"nan": "NaN", "inf": "inf", "length": "got 29", "3-D": "3-D"}[yid])


@pytest.mark.parametrize("name,backend", _cases(CLASSIFIERS))
def test_classifier_rejects_bad_targets(name, backend):
    with pytest.raises(ValueError) as info:  # a single class
        make(name, backend).fit(X, np.zeros(30, dtype=int))
    assert_error(info, "y", "1 class")
    with pytest.raises(ValueError) as info:  # continuous targets (scikit-learn's "Unknown label type")
        make(name, backend).fit(X, Y_REG)
    assert_error(info, "y", "Unknown label type")
    with pytest.raises(ValueError) as info:  # 2-D y
        make(name, backend).fit(X, np.column_stack([Y_CLS, Y_CLS]))
    assert_error(info, "y", "1-D")


@pytest.mark.parametrize("name,backend", _cases(REGRESSORS))
def test_regressor_rejects_non_numeric_targets(name, backend):
    with pytest.raises(TypeError) as info:
        make(name, backend).fit(X, LABELS[Y_CLS])
    assert_error(info, "y", "numeric")
    with pytest.raises(ValueError) as info:
        make(name, backend).fit(X, Y_REG.astype(complex))
    assert_error(info, "y", "Complex data not supported")


# ------------------------------------------------------------------ one sample
NEEDS_TWO = {  # estimator (params) → (argument named, phrase) when fitted on one sample
    "PCA": ({}, "X", "n_samples=1"),
    "RidgeCV": ({}, "X", "n_samples=1"),
    "LogisticRegression": ({}, "y", "1 class"),
    "Perceptron": ({}, "y", "1 class"),
    "MLPClassifier": ({}, "y", "1 class"),
    "MLPClassifierTricks": ({}, "y", "1 class"),
    "MLPRegressor": ({"early_stopping": True}, "validation_fraction", "1 of 1 samples"),
    "KMeans": ({}, "n_clusters", "n_samples=1"),
    "MiniBatchKMeans": ({}, "n_clusters", "n_samples=1"),
    "SpectralClustering": ({}, "X", "n_samples=1"),
    "Isomap": ({}, "X", "n_samples=1"),
}


@pytest.mark.parametrize("name,backend", ALL)
def test_one_sample(name, backend):
    X1 = X[:1]
    if name in NEEDS_TWO:
        params, arg, phrase = NEEDS_TWO[name]
        with pytest.raises(ValueError) as info:
            fit(make(name, backend, **params), name, X1)
        assert_error(info, arg, phrase)
    else:  # a fit on one sample is defined: it must work and give finite output
        est = fit(make(name, backend), name, X1)
        assert np.all(np.isfinite(output(est, name, X)))


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_mlp_early_stopping_needs_enough_samples(name):
    with pytest.raises(ValueError) as info:
        fit(make(name, "numpy", early_stopping=True), name, X[:6])
    assert_error(info, "validation_fraction")


# ------------------------------------------------------------------ hyper-parameters
HYPER = {
    "LinearRegression": [({"fit_intercept": "yes"}, TypeError, "fit_intercept"),
                         ({"solver": "qr"}, ValueError, "solver"),
                         ({"backend": "fortran"}, ValueError, "backend")],
    "Ridge": [({"alpha": -1.0}, ValueError, "alpha"), ({"alpha": np.nan}, ValueError, "alpha"),
              ({"alpha": "1"}, TypeError, "alpha"), ({"fit_intercept": 1}, TypeError, "fit_intercept")],
    "RidgeCV": [({"alphas": [0.0, 1.0]}, ValueError, "alphas"), ({"alphas": [-1.0]}, ValueError, "alphas"),
                ({"alphas": []}, ValueError, "alphas"), ({"alphas": [np.nan]}, ValueError, "alphas"),
                ({"alphas": ["a"]}, TypeError, "alphas"), ({"cv": 1}, ValueError, "cv"),
                ({"cv": 0}, ValueError, "cv"), ({"cv": 2.5}, TypeError, "cv")],
    "LogisticRegression": [({"C": 0.0}, ValueError, "C"), ({"C": -1.0}, ValueError, "C"),
                           ({"C": np.nan}, ValueError, "C"), ({"max_iter": 0}, ValueError, "max_iter"),
                           ({"max_iter": -5}, ValueError, "max_iter"), ({"max_iter": 2.5}, TypeError, "max_iter"),
                           ({"tol": -1.0}, ValueError, "tol"), ({"tol": np.nan}, ValueError, "tol"),
                           ({"penalty": "l1"}, ValueError, "penalty"), ({"solver": "saga"}, ValueError, "solver")],
    "Perceptron": [({"eta0": 0.0}, ValueError, "eta0"), ({"eta0": -1.0}, ValueError, "eta0"),
                   ({"eta0": np.nan}, ValueError, "eta0"), ({"max_iter": 0}, ValueError, "max_iter"),
                   ({"tol": -1.0}, ValueError, "tol"), ({"random_state": "x"}, TypeError, "random_state")],
    "MLPClassifier": [({"hidden_layer_sizes": (0,)}, ValueError, "hidden_layer_sizes"),
                      ({"hidden_layer_sizes": (-3,)}, ValueError, "hidden_layer_sizes"),
                      ({"alpha": -1.0}, ValueError, "alpha"), ({"learning_rate_init": 0.0}, ValueError,
                                                                "learning_rate_init"),
                      ({"learning_rate_init": -0.1}, ValueError, "learning_rate_init"),
                      ({"max_iter": 0}, ValueError, "max_iter"), ({"batch_size": 0}, ValueError, "batch_size"),
                      ({"momentum": 1.5}, ValueError, "momentum"), ({"tol": np.nan}, ValueError, "tol"),
                      ({"validation_fraction": 0.0}, ValueError, "validation_fraction"),
                      ({"n_iter_no_change": 0}, ValueError, "n_iter_no_change"),
                      ({"epsilon": 0.0}, ValueError, "epsilon"), ({"solver": "lbfgs"}, ValueError, "solver"),
                      ({"dropout": 1.0}, ValueError, "dropout"), ({"dropout": (0.1, 0.2)}, ValueError, "dropout"),
                      ({"normalization": "instance"}, ValueError, "normalization"),
                      ({"normalization": "group", "norm_groups": 2}, ValueError, "norm_groups"),  # width 5
                      ({"norm_momentum": 1.01}, ValueError, "norm_momentum"),
                      ({"norm_eps": -1e-5}, ValueError, "norm_eps"), ({"residual": None}, TypeError, "residual"),
                      ({"normalization": "batch", "batch_size": 1}, ValueError, "batch_size")],
    "MLPRegressor": [({"hidden_layer_sizes": (4, 0)}, ValueError, "hidden_layer_sizes"),
                     ({"alpha": -1e-4}, ValueError, "alpha"), ({"learning_rate_init": 0.0}, ValueError,
                                                               "learning_rate_init"),
                     ({"max_iter": -1}, ValueError, "max_iter"), ({"batch_size": -2}, ValueError, "batch_size"),
                     ({"beta_1": 1.0}, ValueError, "beta_1"), ({"dtype": np.int32}, ValueError, "dtype"),
                     ({"dropout": -0.5}, ValueError, "dropout"), ({"dropout": "high"}, TypeError, "dropout"),
                     ({"normalization": "group", "norm_groups": 3}, ValueError, "norm_groups"),  # width 5
                     ({"normalization": "group", "norm_groups": 0}, ValueError, "norm_groups"),
                     ({"norm_momentum": -0.1}, ValueError, "norm_momentum"),
                     ({"norm_eps": float("nan")}, ValueError, "norm_eps"),
                     ({"spectral_norm": "yes"}, TypeError, "spectral_norm")],
    "PCA": [({"n_components": 0}, ValueError, "n_components"), ({"n_components": -1}, ValueError, "n_components"),
            ({"n_components": 5}, ValueError, "n_components"),          # > min(30, 4)
            ({"n_components": 1.5}, ValueError, "n_components"), ({"n_components": np.nan}, ValueError,
                                                                  "n_components"),
            ({"n_components": "mle"}, TypeError, "n_components"),
            ({"svd_solver": "randomized", "n_oversamples": 0}, ValueError, "n_oversamples"),
            ({"iterated_power": -1}, ValueError, "iterated_power"), ({"whiten": 1}, TypeError, "whiten")],
    "StandardScaler": [({"with_mean": "yes"}, TypeError, "with_mean"), ({"with_std": None}, TypeError, "with_std")],
    "PolynomialFeatures": [({"degree": -1}, ValueError, "degree"), ({"degree": 1.5}, TypeError, "degree"),
                           ({"degree": 0, "include_bias": False}, ValueError, "degree"),
                           ({"interaction_only": "no"}, TypeError, "interaction_only")],
    "SpectralClustering": [({"n_clusters": 0}, ValueError, "n_clusters"),
                           ({"n_clusters": 31}, ValueError, "n_clusters"),             # > n_samples
                           ({"affinity": "cosine"}, ValueError, "affinity"), ({"gamma": 0.0}, ValueError, "gamma"),
                           ({"gamma": -1.0}, ValueError, "gamma"), ({"gamma": np.inf}, ValueError, "gamma"),
                           ({"affinity": "nearest_neighbors", "n_neighbors": 0}, ValueError, "n_neighbors"),
                           ({"affinity": "nearest_neighbors", "n_neighbors": 30}, ValueError, "n_neighbors"),
                           ({"n_init": 0}, ValueError, "n_init"), ({"eigen_solver": "amg"}, ValueError, "eigen_solver"),
                           ({"assign_labels": "discretize"}, ValueError, "assign_labels")],
    "Isomap": [({"n_neighbors": 0}, ValueError, "n_neighbors"), ({"n_neighbors": 30}, ValueError, "n_neighbors"),
               ({"n_neighbors": 2.0}, TypeError, "n_neighbors"), ({"n_components": 0}, ValueError, "n_components"),
               ({"n_components": 31}, ValueError, "n_components"),          # > n_samples
               ({"eigen_solver": "lobpcg"}, ValueError, "eigen_solver"), ({"path_method": "J"}, ValueError,
                                                                           "path_method")],
}


@pytest.mark.parametrize("name,params,exc,arg",
                         [pytest.param(n, p, e, a, id=f"{n}-{a}-{i}") for n, cases in HYPER.items()
                          for i, (p, e, a) in enumerate(cases)])
def test_bad_hyper_parameter(name, params, exc, arg):
    est = make(name, "numpy" if ESTIMATORS[name][2] else None)
    est.set_params(**params)
    with pytest.raises(exc) as info:
        fit(est, name, X)
    assert_error(info, arg)


def test_pca_n_components_beyond_n_samples():
    """min(n_samples, n_features) is the bound: here n_samples = 3 < n_features = 10."""
    Xw = RNG.standard_normal((3, 10))
    with pytest.raises(ValueError) as info:
        PCA(n_components=4).fit(Xw)
    assert_error(info, "n_components", "[1, 3], got 4")
    assert PCA(n_components=3).fit(Xw).components_.shape == (3, 10)


# ------------------------------------------------------------------ before fit / at predict
@pytest.mark.parametrize("name,backend", ALL)
def test_not_fitted(name, backend):
    est = make(name, backend)
    assert not hasattr(est, ESTIMATORS[name][3])
    assert not hasattr(est, "coef_") and not hasattr(est, "n_features_in_")
    methods = {"transformer": ["transform"], "clusterer": []}.get(kind(name), ["predict"])
    methods += [m for m in ("predict_proba", "decision_function", "inverse_transform") if hasattr(est, m)]
    for method in methods:
        with pytest.raises(NotFittedError) as info:
            getattr(est, method)(X)
        assert isinstance(info.value, ValueError) and isinstance(info.value, AttributeError)
        assert type(est).__name__ in str(info.value) and "fit" in str(info.value)


@pytest.mark.parametrize("name,backend", _cases([n for n in ESTIMATORS if kind(n) != "clusterer"]))
def test_bad_X_at_predict(name, backend):
    est = fit(make(name, backend), name, X)
    predict = (lambda A: est.transform(A)) if kind(name) == "transformer" else est.predict
    cases = [
        (X[:, :3], ValueError, f"X has 3 features, but {type(est).__name__} is expecting 4 features as input"),
        (np.hstack([X, X]), ValueError, "is expecting 4 features"),
        (_with(np.nan, (2, 2)), ValueError, "NaN"),
        (X[0], ValueError, "Expected 2D array, got 1D array instead"),
        (np.where(np.arange(X.size).reshape(X.shape) == 5, {"a": 1}, X), TypeError, "dtype object"),
        (X.astype(complex), ValueError, "Complex data not supported"),
    ]
    for Xb, exc, phrase in cases:
        with pytest.raises(exc) as info:
            predict(Xb)
        assert_error(info, "X", phrase)
    if name in SPARSE_FIT or name == "RidgeCV":  # a dense fit predicts sparse X too (tests/test_sparse.py)
        np.testing.assert_allclose(predict(scipy.sparse.csr_matrix(X)), predict(X), rtol=1e-9, atol=1e-12)
        return
    exc, arg, phrase = SPARSE_ERRORS.get(name, (TypeError, "X", "sparse"))
    with pytest.raises(exc) as info:
        predict(scipy.sparse.csr_matrix(X))
    assert_error(info, arg, phrase)


# ------------------------------------------------------------------ inputs that must work
def _same(a, b, name):
    """Equal up to the last bits: a different memory layout may change a kernel's blocking."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=name)
    else:
        np.testing.assert_array_equal(a, b, err_msg=name)


def _fit_and_output(name, backend, Xf):
    est = fit(make(name, backend), name, Xf)
    return learned(est, name) + [output(est, name, Xf if not isinstance(Xf, list) else np.asarray(Xf, float))]


@pytest.mark.parametrize("name,backend", ALL)
def test_int_bool_and_list_X_equal_float_X(name, backend):
    X_bool = X > 0.3
    X_bool[0] = True  # keep every column non-constant and the lift well-posed
    for Xa in (X_INT, X_INT.astype(np.int32), X_INT.astype(np.uint8) + 0, X_bool):
        ref = _fit_and_output(name, backend, Xa.astype(np.float64))
        got = _fit_and_output(name, backend, Xa)
        for g, r in zip(got, ref, strict=True):
            _same(g, r, name)
    ref = _fit_and_output(name, backend, X)
    for g, r in zip(_fit_and_output(name, backend, X.tolist()), ref, strict=True):
        _same(g, r, name)


@pytest.mark.parametrize("name,backend", ALL)
def test_fortran_and_strided_X_equal_c_contiguous(name, backend):
    ref_est = fit(make(name, backend), name, X)
    ref = learned(ref_est, name) + [output(ref_est, name, X)]
    wide = np.empty((30, 8))
    wide[:, ::2] = X
    wide[:, 1::2] = np.nan                       # never read: a strided view must not see these
    tall = np.empty((60, 4))
    tall[::2] = X
    tall[1::2] = np.inf
    layouts = {"F": np.asfortranarray(X), "cols": wide[:, ::2], "rows": tall[::2],
               "negative": X[::-1].copy()[::-1], "F-view": np.asfortranarray(wide)[:, ::2]}
    for layout, Xl in layouts.items():
        assert np.array_equal(Xl, X)
        est = fit(make(name, backend), name, Xl)
        got = learned(est, name) + [output(est, name, Xl), output(ref_est, name, Xl)]
        for g, r in zip(got, ref + [ref[-1]], strict=True):
            _same(g, r, f"{name} {layout}")


@pytest.mark.parametrize("name,backend", _cases(CLASSIFIERS))
@pytest.mark.parametrize("labels", ["str", "object", "negative-int", "float-whole"])
def test_classifier_accepts_any_labels(name, backend, labels):
    mapping = {"str": LABELS, "object": LABELS.astype(object), "negative-int": np.array([-7, 0, 12]),
               "float-whole": np.array([-1.0, 2.0, 5.0])}[labels]
    est_codes = make(name, backend).fit(X, Y_CLS)
    est = make(name, backend).fit(X, mapping[Y_CLS])
    np.testing.assert_array_equal(est.classes_, np.sort(mapping))
    pred = est.predict(X)
    assert pred.dtype == est.classes_.dtype
    np.testing.assert_array_equal(pred, mapping[est_codes.predict(X)])
    assert set(pred.tolist()) <= set(mapping.tolist())
    assert 0.0 <= est.score(X, mapping[Y_CLS]) <= 1.0
    # two classes, strings
    y2 = np.where(Y_CLS == 0, "no", "yes")
    est2 = make(name, backend).fit(X, y2)
    np.testing.assert_array_equal(est2.classes_, ["no", "yes"])
    assert set(est2.predict(X).tolist()) <= {"no", "yes"}


def test_classifier_rejects_mixed_label_types():
    y = np.array(["a", 1] * 15, dtype=object)
    with pytest.raises(TypeError) as info:
        LogisticRegression().fit(X, y)
    assert_error(info, "y", "mixed types")


# ------------------------------------------------------------------ metrics
_T3, _P3 = np.array([0, 1, 1]), np.array([0, 1, 0])
_NAN = np.array([0.0, 1.0, np.nan])
_S3 = np.array([0.1, 0.8, 0.4])

METRICS = [
    # (function, args, exception, argument named)
    (metrics.accuracy_score, (_NAN, _P3), ValueError, "y_true"),
    (metrics.accuracy_score, (_T3, _NAN), ValueError, "y_pred"),
    (metrics.accuracy_score, (_T3, _P3[:2]), ValueError, "y_pred"),
    (metrics.accuracy_score, (np.ones((3, 2)), np.ones((3, 2))), ValueError, "y_true"),
    (metrics.accuracy_score, (_T3, np.ones((3, 2))), ValueError, "y_pred"),
    (metrics.accuracy_score, ([], []), ValueError, "y_true"),
    (metrics.confusion_matrix, (_T3, _P3[:2]), ValueError, "y_pred"),
    (metrics.confusion_matrix, (_T3, _NAN), ValueError, "y_pred"),
    (metrics.precision_score, (_NAN, _P3), ValueError, "y_true"),
    (metrics.recall_score, (_T3, np.ones((3, 1, 1))), ValueError, "y_pred"),
    (metrics.f1_score, (_T3, _P3[:1]), ValueError, "y_pred"),
    (metrics.roc_curve, (_T3, _NAN), ValueError, "y_score"),
    (metrics.roc_curve, (_NAN, _S3), ValueError, "y_true"),
    (metrics.roc_auc_score, (_T3, _S3[:2]), ValueError, "y_score"),
    (metrics.roc_auc_score, (_T3, np.ones((3, 2))), ValueError, "y_score"),
    (metrics.roc_auc_score, (_T3, np.array([0.1, np.inf, 0.3])), ValueError, "y_score"),
    (metrics.roc_curve, (_T3, np.array(["a", "b", "c"])), TypeError, "y_score"),
    (metrics.mean_squared_error, (_NAN, _S3), ValueError, "y_true"),
    (metrics.mean_squared_error, (_S3, _NAN), ValueError, "y_pred"),
    (metrics.mean_squared_error, (_S3, _S3[:2]), ValueError, "y_pred"),
    (metrics.mean_squared_error, (np.ones((3, 2, 1)), np.ones((3, 2, 1))), ValueError, "y_true"),
    (metrics.mean_squared_error, (np.ones((3, 2)), np.ones((3, 3))), ValueError, "y_pred"),
    (metrics.mean_squared_error, (["a", "b"], ["a", "b"]), TypeError, "y_true"),
    (metrics.mean_squared_error, (_S3.astype(complex), _S3), ValueError, "y_true"),
    (metrics.mean_squared_error, ([], []), ValueError, "y_true"),
    (metrics.r2_score, (_S3, np.array([0.0, np.inf, 1.0])), ValueError, "y_pred"),
    (metrics.r2_score, (_S3, _S3[:, None, None]), ValueError, "y_pred"),
    (metrics.adjusted_rand_score, (_NAN, _P3), ValueError, "labels_true"),
    (metrics.adjusted_rand_score, (_T3, _P3[:2]), ValueError, "labels_pred"),
    (metrics.adjusted_rand_score, (_T3, np.ones((3, 2))), ValueError, "labels_pred"),
    (metrics.silhouette_score, (np.ones((3, 2)), _T3[:2]), ValueError, "labels"),
    (metrics.silhouette_score, (np.array([[0.0], [np.nan], [1.0]]), _T3), ValueError, "X"),
    (metrics.silhouette_score, (np.ones((3, 2)), np.zeros(3)), ValueError, "labels"),
    (metrics.silhouette_samples, (np.ones(3), _T3), ValueError, "X"),
    (metrics.silhouette_samples, (np.ones((3, 2)), _NAN), ValueError, "labels"),
]


@pytest.mark.parametrize("func,args,exc,arg", [pytest.param(*m, id=f"{m[0].__name__}-{m[3]}-{i}")
                                               for i, m in enumerate(METRICS)])
def test_metric_bad_input(func, args, exc, arg):
    with pytest.raises(exc) as info:
        func(*args)
    assert_error(info, arg)

