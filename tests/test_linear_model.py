"""Linear models against closed forms, numpy.linalg.lstsq and scikit-learn, on every backend."""
import os
import pickle
import sys
import warnings

import numpy as np
import pytest
import sklearn.linear_model as sk
from sklearn.base import clone as sk_clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.model_selection import GridSearchCV, cross_val_score as sk_cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler as SkStandardScaler

from mlbasics.exceptions import NotFittedError
from mlbasics.linear_model import (ConvergenceWarning, LinearRegression, LogisticRegression, Perceptron, Ridge,
                                   RidgeCV)
from mlbasics.model_selection import KFold, StratifiedKFold, cross_val_score, train_test_split
from mlbasics.preprocessing import PolynomialFeatures, StandardScaler

BACKENDS = ["cpp", "numba", "numpy"]


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """The machine has 2 shared cores: OpenBLAS's pool fighting our kernels' makes fits 10-50x slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def _regression(n=60, p=5, t=None, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3, size=p) + rng.normal(size=p)
    w = rng.normal(size=(p,) if t is None else (p, t))
    return X, X @ w + 1.5 + 0.1 * rng.normal(size=n if t is None else (n, t))


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return SkStandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return SkStandardScaler().fit_transform(X), y


# ---------------------------------------------------------------- LinearRegression
@pytest.mark.parametrize("solver", ["auto", "normal", "lstsq"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_regression_matches_lstsq(backend, solver):
    X, y = _regression()
    ref, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)
    m = LinearRegression(solver=solver, backend=backend).fit(X, y)
    assert m.coef_.shape == (5,) and isinstance(m.intercept_, float)
    assert _rel(np.r_[m.coef_, m.intercept_], ref) < 1e-8
    assert m.solver_ == ("lstsq" if solver == "lstsq" else "normal")
    np.testing.assert_allclose(m.predict(X), X @ ref[:5] + ref[5], rtol=1e-9)
    m0 = LinearRegression(fit_intercept=False, solver=solver, backend=backend).fit(X, y)
    ref0, *_ = np.linalg.lstsq(X, y, rcond=None)
    assert _rel(m0.coef_, ref0) < 1e-8 and m0.intercept_ == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_regression_multi_output(backend):
    X, Y = _regression(t=3)
    m = LinearRegression(backend=backend).fit(X, Y)
    assert m.coef_.shape == (3, 5) and m.intercept_.shape == (3,)
    for j in range(3):
        single = LinearRegression(backend=backend).fit(X, Y[:, j])
        np.testing.assert_allclose(m.coef_[j], single.coef_, rtol=1e-10)
        assert m.intercept_[j] == pytest.approx(single.intercept_, rel=1e-10)
    assert m.predict(X).shape == (60, 3)
    assert LinearRegression(backend=backend).fit(X, Y[:, :1]).coef_.shape == (1, 5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_regression_float32(backend):
    X, y = _regression()
    m64 = LinearRegression(backend=backend).fit(X, y)
    m32 = LinearRegression(backend=backend).fit(X.astype(np.float32), y.astype(np.float32))
    assert m32.coef_.dtype == np.float32
    assert m32.predict(X.astype(np.float32)).dtype == np.float32
    assert _rel(m32.coef_, m64.coef_) < 1e-4


def test_linear_regression_ill_conditioned_switches_to_lstsq():
    X, y = _regression()
    Xd = np.column_stack([X, X[:, 0]])  # duplicated column: XᵀX is singular
    m = LinearRegression().fit(Xd, y)
    assert m.solver_ == "lstsq"
    Xc = Xd - Xd.mean(axis=0)
    ref, *_ = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)  # the minimum-norm solution
    assert _rel(m.coef_, ref) < 1e-8
    assert m.coef_[0] == pytest.approx(m.coef_[-1], rel=1e-8)  # min norm splits the weight evenly
    with pytest.raises(ValueError, match="solver"):
        LinearRegression(solver="normal").fit(Xd, y)
    wide = np.random.default_rng(0).normal(size=(4, 10))  # fewer samples than features
    mw = LinearRegression().fit(wide, np.arange(4.0))
    assert mw.solver_ == "lstsq"
    np.testing.assert_allclose(mw.predict(wide), np.arange(4.0), atol=1e-10)


# ---------------------------------------------------------------- Ridge
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("backend", BACKENDS)
def test_ridge_closed_form(backend, fit_intercept):
    X, y = _regression()
    alpha = 3.0
    xm, ym = (X.mean(axis=0), y.mean()) if fit_intercept else (np.zeros(5), 0.0)
    Xc, yc = X - xm, y - ym
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(5), Xc.T @ yc)
    m = Ridge(alpha=alpha, fit_intercept=fit_intercept, backend=backend).fit(X, y)
    assert _rel(m.coef_, w) < 1e-8
    assert m.intercept_ == pytest.approx(ym - xm @ w, rel=1e-8, abs=1e-12)
    ref = sk.Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X, y)
    assert _rel(m.coef_, ref.coef_) < 1e-8
    # the penalty shrinks: ‖w_ridge‖ < ‖w_ols‖, and α = 0 is least squares
    assert np.linalg.norm(m.coef_) < np.linalg.norm(LinearRegression(fit_intercept=fit_intercept).fit(X, y).coef_)
    m0 = Ridge(alpha=0.0, fit_intercept=fit_intercept, backend=backend).fit(X, y)
    assert _rel(m0.coef_, LinearRegression(fit_intercept=fit_intercept).fit(X, y).coef_) < 1e-8


@pytest.mark.parametrize("backend", BACKENDS)
def test_ridge_multi_output_and_float32(backend):
    X, Y = _regression(t=2)
    m = Ridge(alpha=0.5, backend=backend).fit(X, Y)
    ref = sk.Ridge(alpha=0.5).fit(X, Y)
    assert m.coef_.shape == (2, 5)
    assert _rel(m.coef_, ref.coef_) < 1e-8 and _rel(m.intercept_, ref.intercept_) < 1e-8
    m32 = Ridge(alpha=0.5, backend=backend).fit(X.astype(np.float32), Y)
    assert m32.coef_.dtype == np.float32 and _rel(m32.coef_, ref.coef_) < 1e-4


# ---------------------------------------------------------------- RidgeCV
@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("degree", [1, 3])
def test_ridgecv_loo_matches_sklearn(diabetes, degree, fit_intercept):
    X, y = diabetes
    P = PolynomialFeatures(degree, include_bias=False).fit_transform(X)
    alphas = np.logspace(-6, 3, 19)
    m = RidgeCV(alphas=alphas, fit_intercept=fit_intercept).fit(P, y)
    ref = sk.RidgeCV(alphas=alphas, fit_intercept=fit_intercept).fit(P, y)
    assert m.alpha_ == ref.alpha_
    assert m.best_score_ == pytest.approx(ref.best_score_, rel=1e-8)
    assert _rel(m.coef_, ref.coef_) < 1e-6
    Y = np.column_stack([y, np.sqrt(y)])
    m2, ref2 = RidgeCV(alphas=alphas).fit(P, Y), sk.RidgeCV(alphas=alphas).fit(P, Y)
    assert m2.alpha_ == ref2.alpha_ and m2.best_score_ == pytest.approx(ref2.best_score_, rel=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ridgecv_loo_is_exact_leave_one_out(backend):
    X, y = _regression(n=15, p=4, seed=3)
    alphas = [0.01, 0.3, 5.0, 40.0]
    m = RidgeCV(alphas=alphas, backend=backend).fit(X, y)
    brute = []
    for a in alphas:
        errs = []
        for i in range(15):
            keep = np.arange(15) != i
            fit = Ridge(alpha=a, backend=backend).fit(X[keep], y[keep])
            errs.append((y[i] - fit.predict(X[i:i + 1])[0]) ** 2)
        brute.append(-np.mean(errs))
    np.testing.assert_allclose(m.cv_scores_, brute, rtol=1e-9)
    assert m.alpha_ == alphas[int(np.argmax(brute))]
    ref = Ridge(alpha=m.alpha_, backend=backend).fit(X, y)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ridgecv_kfold(backend):
    X, y = _regression(n=40, seed=5)
    alphas = (0.1, 3.0, 30.0)
    m = RidgeCV(alphas=alphas, cv=4, backend=backend).fit(X, y)
    manual = []
    for a in alphas:
        manual.append(-np.mean([np.mean((y[te] - Ridge(alpha=a).fit(X[tr], y[tr]).predict(X[te])) ** 2)
                                for tr, te in KFold(4).split(X)]))
    np.testing.assert_allclose(m.cv_scores_, manual, rtol=1e-9)
    assert m.best_score_ == pytest.approx(max(manual), rel=1e-9)
    assert m.alpha_ == alphas[int(np.argmax(manual))]
    splitter = RidgeCV(alphas=alphas, cv=KFold(4), backend=backend).fit(X, y)
    np.testing.assert_allclose(splitter.cv_scores_, m.cv_scores_, rtol=1e-12)


def test_polynomial_degree_overfits_and_ridgecv_repairs_it(diabetes):
    """The course's under/overfitting trade-off on diabetes: degree 3 without regularization
    overfits badly; choosing λ by cross-validation brings its error back to degree 1's level."""
    X, y = diabetes
    cv = KFold(5, shuffle=True, random_state=0)

    def cv_mse(degree, regressor):
        pipe = make_pipeline(PolynomialFeatures(degree, include_bias=False), StandardScaler(), regressor)
        return -cross_val_score(pipe, X, y, cv=cv, scoring="neg_mean_squared_error").mean()

    linear = cv_mse(1, Ridge(alpha=1e-8))
    cubic = cv_mse(3, Ridge(alpha=1e-8))
    cubic_cv = cv_mse(3, RidgeCV(alphas=np.logspace(-3, 4, 15)))
    assert cubic > 10 * linear          # 285 features for 353 training samples: overfitting
    assert cubic_cv < cubic / 10        # λ chosen by LOO repairs it ...
    assert cubic_cv < 1.25 * linear     # ... to about the linear model's error


# ---------------------------------------------------------------- LogisticRegression
def _params(m):
    return np.column_stack([m.coef_, m.intercept_])


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_binary_matches_sklearn(cancer, backend, solver):
    X, y = cancer
    C = 0.1 if solver == "gd" else 1.0
    ref = sk.LogisticRegression(C=C, tol=1e-8, max_iter=2000).fit(X, y)
    m = LogisticRegression(C=C, tol=1e-8, max_iter=5000 if solver == "gd" else 2000, solver=solver,
                           backend=backend).fit(X, y)
    assert m.coef_.shape == (1, 30) and m.intercept_.shape == (1,) and m.n_iter_.shape == (1,)
    assert _rel(_params(m), _params(ref)) < 1e-4
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X), atol=1e-4)
    np.testing.assert_allclose(m.decision_function(X), ref.decision_function(X), rtol=1e-3, atol=1e-3)
    np.testing.assert_array_equal(m.predict(X), ref.predict(X))


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_multinomial_digits_matches_sklearn(digits, backend):
    X, y = digits
    ref = sk.LogisticRegression(C=1.0, tol=1e-8, max_iter=2000).fit(X, y)
    m = LogisticRegression(C=1.0, tol=1e-8, max_iter=2000, backend=backend).fit(X, y)
    assert m.coef_.shape == (10, 64) and m.intercept_.shape == (10,)
    assert _rel(_params(m), _params(ref)) < 1e-4
    P = m.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(P, ref.predict_proba(X), atol=1e-4)
    np.testing.assert_allclose(m.predict_log_proba(X), np.log(P), atol=1e-10)


def test_logistic_multinomial_newton_matches_sklearn(digits):
    X, y = digits
    ref = sk.LogisticRegression(C=0.1, tol=1e-8, max_iter=2000).fit(X, y)
    m = LogisticRegression(C=0.1, tol=1e-8, max_iter=50, solver="newton").fit(X, y)
    assert m.n_iter_[0] < 20  # quadratic convergence
    assert _rel(_params(m), _params(ref)) < 1e-4


def test_logistic_digits_accuracy():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    m = LogisticRegression(max_iter=1000).fit(scaler.transform(Xtr), ytr)
    assert m.score(scaler.transform(Xte), yte) >= 0.95


def test_logistic_breast_cancer_cv_accuracy():
    X, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert scores.shape == (5,) and scores.mean() >= 0.97


@pytest.mark.parametrize("solver", ["lbfgs", "newton"])
def test_logistic_no_penalty_and_no_intercept_match_sklearn(cancer, solver):
    X, y = cancer
    X5 = X[:, :5]  # not separable: the unpenalized optimum is finite
    ref = sk.LogisticRegression(C=np.inf, tol=1e-10, max_iter=5000).fit(X5, y)
    m = LogisticRegression(penalty=None, tol=1e-10, max_iter=5000, solver=solver).fit(X5, y)
    assert _rel(_params(m), _params(ref)) < 1e-4
    ref = sk.LogisticRegression(fit_intercept=False, tol=1e-8, max_iter=2000).fit(X, y)
    m = LogisticRegression(fit_intercept=False, tol=1e-8, max_iter=2000, solver=solver).fit(X, y)
    assert np.all(m.intercept_ == 0) and _rel(m.coef_, ref.coef_) < 1e-4


def test_logistic_string_labels_and_three_classes():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [4, 0], [0, 4]])
    X = np.concatenate([c + rng.normal(size=(30, 2)) for c in centers])
    y = np.repeat(np.array(["cat", "dog", "emu"]), 30)
    m = LogisticRegression().fit(X, y)
    ref = sk.LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(m.classes_, ["cat", "dog", "emu"])
    assert m.decision_function(X).shape == (90, 3)
    np.testing.assert_array_equal(m.predict(X), ref.predict(X))
    assert m.score(X, y) > 0.9
    yb = np.where(y == "cat", "yes", "no")
    mb = LogisticRegression().fit(X, yb)
    assert mb.decision_function(X).shape == (90,) and mb.predict_proba(X).shape == (90, 2)
    assert set(mb.predict(X)) <= {"yes", "no"}
    np.testing.assert_allclose(mb.predict_proba(X), sk.LogisticRegression().fit(X, yb).predict_proba(X), atol=1e-4)
    # float32 X is fitted in float64 and gives the same model
    m32 = LogisticRegression(tol=1e-8).fit(X.astype(np.float32), y)
    m64 = LogisticRegression(tol=1e-8).fit(X.astype(np.float32).astype(np.float64), y)
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-10)


def test_logistic_cannot_fit_xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    for solver in ("lbfgs", "newton", "gd"):
        m = LogisticRegression(C=100.0, solver=solver).fit(X, y)
        assert m.score(X, y) < 1.0
        np.testing.assert_allclose(m.predict_proba(X)[:, 1], 0.5, atol=1e-3)  # the optimum is w = 0


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
def test_logistic_convergence_warning(cancer, solver):
    X, y = cancer
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        m = LogisticRegression(solver=solver, max_iter=1, tol=1e-12).fit(X, y)
    assert m.n_iter_[0] <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LogisticRegression(solver=solver, max_iter=3000, C=0.1).fit(X, y)


# ---------------------------------------------------------------- Perceptron
@pytest.mark.parametrize("backend", BACKENDS)
def test_perceptron_separates_separable_data(backend):
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 2))
    margin = X @ [1.0, -2.0] + 0.3
    keep = np.abs(margin) > 0.1
    X, y = X[keep], np.where(margin[keep] > 0, "pos", "neg")
    m = Perceptron(random_state=0, backend=backend).fit(X, y)
    assert m.score(X, y) == 1.0
    assert m.n_iter_ < 1000 and m.coef_.shape == (1, 2)
    z = m.decision_function(X)
    np.testing.assert_array_equal(np.where(z >= 0, m.classes_[1], m.classes_[0]), m.predict(X))
    # the same on every backend: the updates are the same sequence of additions
    ref = Perceptron(random_state=0, backend="numpy").fit(X, y)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-12)


def test_perceptron_rule_by_hand():
    # one pass without shuffling: w starts at 0 so x0 (label +1, z = 0 ≥ 0) is right; x1 (label −1,
    # z = 0) is a mistake: w ← −x1, b ← −1.
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        m = Perceptron(max_iter=1, shuffle=False, tol=None, eta0=0.5).fit(X, [1, -1])
    np.testing.assert_array_equal(m.coef_, [[0.0, -0.5]])
    np.testing.assert_array_equal(m.intercept_, [-0.5])


def test_perceptron_one_vs_rest_blobs():
    rng = np.random.default_rng(1)
    centers = np.array([[0, 5], [5, 0], [-5, -5]])
    X = np.concatenate([c + rng.normal(size=(50, 2)) for c in centers])
    y = np.repeat([0, 1, 2], 50)
    m = Perceptron(random_state=0).fit(X, y)
    assert m.coef_.shape == (3, 2) and m.decision_function(X).shape == (150, 3)
    assert m.score(X, y) >= 0.95


def test_perceptron_convergence_warning_on_xor():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        m = Perceptron(max_iter=20, tol=None, random_state=0).fit(X, [0, 1, 1, 0])
    assert m.score(X, [0, 1, 1, 0]) < 1.0
    m = Perceptron(random_state=0).fit(X, [0, 1, 1, 0])  # tol: stops when the criterion stalls
    assert m.n_iter_ < 1000


# ---------------------------------------------------------------- bad input
ESTIMATORS = {
    "LinearRegression": LinearRegression,
    "Ridge": Ridge,
    "RidgeCV": RidgeCV,
    "LogisticRegression": LogisticRegression,
    "Perceptron": lambda: Perceptron(random_state=0),
}


def _data(name):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    if name in ("LogisticRegression", "Perceptron"):
        return X, (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, X @ [1.0, 2.0, 3.0]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_bad_input(name):
    make = ESTIMATORS[name]
    X, y = _data(name)
    with pytest.raises(NotFittedError):
        make().predict(X)
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        make().fit(bad, y)
    with pytest.raises(ValueError, match="X"):
        make().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="X"):
        make().fit(X[None], y)
    with pytest.raises(ValueError, match="y"):
        make().fit(X, y[:-1])
    with pytest.raises(TypeError, match="X"):
        make().fit(X.astype(str), y)
    m = make().fit(X, y)
    with pytest.raises(ValueError, match="X"):
        m.predict(X[:, :2])
    with pytest.raises(ValueError, match="X"):
        m.predict(bad)
    if name in ("LogisticRegression", "Perceptron"):
        with pytest.raises(ValueError, match="y"):
            make().fit(X, np.zeros(60))  # a single class
    else:
        ynan = y.copy()
        ynan[0] = np.nan
        with pytest.raises(ValueError, match="y"):
            make().fit(X, ynan)
        with pytest.raises(TypeError, match="y"):
            make().fit(X, y.astype(str))
    with pytest.raises(ValueError, match="backend"):
        make().set_params(backend="fortran").fit(X, y)


@pytest.mark.parametrize("make, param, value, exc", [
    (LinearRegression, "solver", "qr", ValueError),
    (LinearRegression, "solver", 3, TypeError),
    (LinearRegression, "fit_intercept", "yes", TypeError),
    (Ridge, "alpha", -1.0, ValueError),
    (Ridge, "alpha", "big", TypeError),
    (RidgeCV, "alphas", (0.1, -1.0), ValueError),
    (RidgeCV, "alphas", (), ValueError),
    (RidgeCV, "alphas", ("a",), TypeError),
    (RidgeCV, "cv", 1, ValueError),
    (RidgeCV, "cv", "five", TypeError),
    (LogisticRegression, "C", 0.0, ValueError),
    (LogisticRegression, "C", "1", TypeError),
    (LogisticRegression, "penalty", "l1", ValueError),
    (LogisticRegression, "solver", "saga", ValueError),
    (LogisticRegression, "max_iter", 0, ValueError),
    (LogisticRegression, "max_iter", 10.5, TypeError),
    (LogisticRegression, "tol", -1e-3, ValueError),
    (Perceptron, "eta0", 0.0, ValueError),
    (Perceptron, "max_iter", 0, ValueError),
    (Perceptron, "tol", "small", TypeError),
    (Perceptron, "shuffle", 1, TypeError),
    (Perceptron, "random_state", "seed", TypeError),
])
def test_invalid_hyper_parameters(make, param, value, exc):
    name = type(make()).__name__
    X, y = _data(name)
    with pytest.raises(exc, match=param):
        make(**{param: value}).fit(X, y)


# ---------------------------------------------------------------- scikit-learn interplay
@pytest.mark.parametrize("name, grid", [
    ("LinearRegression", {"fit_intercept": [True, False]}),
    ("Ridge", {"alpha": [0.1, 10.0]}),
    ("RidgeCV", {"alphas": [(0.1, 1.0), (10.0,)]}),
    ("LogisticRegression", {"C": [0.1, 1.0]}),
    ("Perceptron", {"eta0": [0.5, 1.0]}),
])
def test_sklearn_clone_pipeline_grid_search_pickle(name, grid):
    est = ESTIMATORS[name]()
    X, y = _data(name)
    c = sk_clone(est)
    assert c is not est and c.get_params() == est.get_params()
    pipe = make_pipeline(SkStandardScaler(), est)
    scores = sk_cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.8)
    ours = cross_val_score(pipe, X, y, cv=3)
    if name not in ("LogisticRegression", "Perceptron"):  # classifiers: the stratified folds differ
        np.testing.assert_allclose(ours, scores, rtol=1e-10)
    search = GridSearchCV(est, grid, cv=3).fit(X, y)
    assert set(search.best_params_) == set(grid)
    fitted = est.fit(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict(X), fitted.predict(X))
    assert repr(est).startswith(name)


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_objective_in_row_blocks_equals_whole(backend, n_classes, fit_intercept):
    """The objective reads a large X in row blocks (each block's loss and XᵀG while it is in
    cache); its value, gradient and Hessian equal the whole-X evaluation's."""
    from mlbasics.backends import get_backend
    from mlbasics.linear_model._logistic import _LogisticLoss

    rng = np.random.default_rng(3)
    X = rng.standard_normal((5000, 7))
    y = rng.integers(0, n_classes, 5000)
    be = get_backend(backend)
    whole = _LogisticLoss(be, X, y, n_classes, fit_intercept, 1e-3)
    whole._blocked = False
    blocked = _LogisticLoss(be, X, y, n_classes, fit_intercept, 1e-3)
    blocked.__class__ = type("SmallBlocks", (_LogisticLoss,), {"_block_rows": 1024})  # 5 blocks, the last short
    theta = rng.standard_normal(whole.size) * 0.3
    f0, g0 = whole.loss_grad(theta)
    f1, g1 = blocked.loss_grad(theta)
    assert abs(f1 - f0) <= 1e-12 * abs(f0)
    np.testing.assert_allclose(g1, g0, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(blocked.hessian(theta), whole.hessian(theta), rtol=1e-10, atol=1e-13)
    f2, g2 = blocked.loss_grad(theta * 0.5)  # the buffer of G is reused between evaluations
    f3, g3 = whole.loss_grad(theta * 0.5)
    assert abs(f2 - f3) <= 1e-12 * abs(f3)
    np.testing.assert_allclose(g2, g3, rtol=1e-10, atol=1e-13)


_FAULTS = """
import resource, sys
import numpy as np
from mlbasics.backends import get_backend
from mlbasics.linear_model._logistic import _LogisticLoss
rng = np.random.default_rng(0)
X = rng.standard_normal((40_000, 50)); y = rng.integers(0, 10, 40_000)
obj = _LogisticLoss(get_backend(sys.argv[1]), X, y, 10, True, 0.0)
theta = rng.standard_normal(obj.size) * 0.01
for _ in range(2): obj.loss_grad(theta)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5): obj.loss_grad(theta)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.parametrize("var", ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", None])
def test_logistic_blocks_are_small_only_where_malloc_maps_them(monkeypatch, var):
    """Blocks of 2 MiB of X (2,621 rows of 100 features: large enough for the kernels to use two
    threads), and logits under 120 KiB (1,536 rows of 10 classes) only where one of glibc's
    variables fixes its mmap threshold."""
    from mlbasics.backends import get_backend
    from mlbasics.linear_model._logistic import _LogisticLoss

    for v in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"):
        monkeypatch.delenv(v, raising=False)
    if var:
        monkeypatch.setenv(var, "65536")
    X = np.zeros((10, 100))
    multi = _LogisticLoss(get_backend("numpy"), X, np.arange(10), 10, True, 0.0)
    binary = _LogisticLoss(get_backend("numpy"), X, np.arange(10) % 2, 2, True, 0.0)
    small = var is not None and sys.platform.startswith("linux")
    assert multi._block_rows == (1536 if small else 2621)
    assert binary._block_rows == 2621


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc and its environment variables")
@pytest.mark.parametrize("name", ["cpp", "numba"])
def test_logistic_blocks_do_not_map_fresh_pages_in_a_dask_worker(name):
    """A Dask nanny starts workers with MALLOC_TRIM_THRESHOLD_ set, which pins glibc's mmap
    threshold at 128 KiB: per-block arrays above it were mapped and page-faulted in every block
    (~2,500 minor faults in these 5 evaluations, a 10-class chunk 1.6× slower). The blocks keep
    them below it, so repeated evaluations fault (almost) nothing."""
    import subprocess

    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="65536")
    out = subprocess.run([sys.executable, "-c", _FAULTS, name], env=env, capture_output=True, text=True,
                         timeout=300, check=True)
    assert int(out.stdout.split()[-1]) < 500
