"""MLPClassifier / MLPRegressor: accuracy, gradients, backends, scikit-learn conventions, errors."""
import pickle

import numpy as np
import pytest

import mlbasics
from mlbasics.exceptions import NotFittedError
from mlbasics.neural_network import ConvergenceWarning, MLPClassifier, MLPRegressor

IGNORE_CONVERGENCE = pytest.mark.filterwarnings("ignore::mlbasics.neural_network.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = sklearn_datasets.load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def blobs(n=60, n_classes=3, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_classes, n_features)) * 3
    y = np.arange(n) % n_classes
    return centers[y] + rng.standard_normal((n, n_features)), y


# ------------------------------------------------------------------ it learns
@IGNORE_CONVERGENCE
def test_digits_accuracy(backend, digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = MLPClassifier(hidden_layer_sizes=(128,), alpha=1e-3, learning_rate_init=0.003, max_iter=40,
                        random_state=0, backend=backend.name).fit(X_tr, y_tr)
    assert clf.coefs_[0].dtype == np.float32
    assert np.mean(clf.predict(X_te) == y_te) >= 0.97


@IGNORE_CONVERGENCE
def test_xor_is_learned_exactly(backend):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    clf = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", solver="adam", learning_rate_init=0.05,
                        batch_size=4, max_iter=1000, tol=0, random_state=1, backend=backend.name).fit(X, y)
    np.testing.assert_array_equal(clf.predict(X), y)
    proba = clf.predict_proba(X)
    assert proba.shape == (4, 2)
    assert np.all(proba[np.arange(4), y] > 0.9)


@IGNORE_CONVERGENCE
def test_regressor_fits_a_smooth_function(backend):
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (300, 1))
    y = np.sin(X[:, 0]) + 0.3 * X[:, 0]
    reg = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", learning_rate_init=0.01, max_iter=300,
                       random_state=0, backend=backend.name).fit(X, y)
    X_test = np.linspace(-2.9, 2.9, 200).reshape(-1, 1)
    y_test = np.sin(X_test[:, 0]) + 0.3 * X_test[:, 0]
    pred = reg.predict(X_test)
    assert pred.shape == (200,)
    r2 = 1 - np.sum((y_test - pred) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
    assert r2 > 0.95


@pytest.mark.parametrize("solver,lr", [("sgd", 0.1), ("adam", 0.01), ("rmsprop", 0.01), ("adagrad", 0.1),
                                       ("adadelta", 1.0), ("rprop", 0.001)])
@IGNORE_CONVERGENCE
def test_every_solver_lowers_the_loss(solver, lr):
    X, y = blobs(90)
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver=solver, learning_rate_init=lr, max_iter=80,
                        batch_size=90 if solver == "rprop" else "auto", random_state=0).fit(X, y)
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]
    assert np.mean(clf.predict(X) == y) > 0.9


# ------------------------------------------------------------------ backends agree
@IGNORE_CONVERGENCE
@pytest.mark.parametrize("other", ["cpp", "numba"])
def test_backends_agree(digits, other):
    X_tr, _, y_tr, _ = digits
    kw = dict(hidden_layer_sizes=(32, 16), max_iter=3, random_state=0)
    ref = MLPClassifier(backend="numpy", **kw).fit(X_tr[:400], y_tr[:400])
    got = MLPClassifier(backend=other, **kw).fit(X_tr[:400], y_tr[:400])
    for a, b in zip(got.coefs_ + got.intercepts_, ref.coefs_ + ref.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)
    np.testing.assert_allclose(got.loss_curve_, ref.loss_curve_, rtol=1e-4)


# ------------------------------------------------------------------ gradient check
def _network(est_cls, backend, activation, X, y, alpha, **kw):
    est = est_cls(hidden_layer_sizes=(5, 4), activation=activation, alpha=alpha, max_iter=1, dtype=np.float64,
                  backend=backend, random_state=0, batch_size=X.shape[0], **kw)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    return est


def _manual_loss(est, X, Y):
    """scikit-learn's loss, written out with NumPy from coefs_ and intercepts_."""
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "logistic": lambda z: 1 / (1 + np.exp(-z)),
           "identity": lambda z: z}[est.activation]
    h = X
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        h = h @ W + b
        if i < len(est.coefs_) - 1:
            h = act(h)
    n = X.shape[0]
    if est.out_activation_ == "softmax":
        p = np.exp(h - h.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(n), Y]))
    elif est.out_activation_ == "logistic":
        p = 1 / (1 + np.exp(-h[:, 0]))
        loss = -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))
    else:
        loss = 0.5 * np.mean((h - Y) ** 2)
    return loss + 0.5 * est.alpha * sum(np.sum(W ** 2) for W in est.coefs_) / n


def _training_loss_grad(est, backend, X, Y):
    """The loss and gradient that training computes: one mlp_epoch over X as a single batch with
    SGD at lr=0 (the parameters stay put; the gradient is left in the flat gradient buffer)."""
    from mlbasics.neural_network import _ACTIVATIONS

    n = X.shape[0]
    sizes = [s[0] for s, _ in est._layer_shapes] + [est.n_outputs_]
    total, steps = backend.mlp_epoch(X, Y, np.arange(n), est._params_flat, est._grad_flat, {}, layer_sizes=sizes,
                                     activation=_ACTIVATIONS[est.activation], loss=est._loss_name(),
                                     alpha=float(est.alpha), batch_size=n, optimizer="sgd", hyper={"lr": 0.0},
                                     step=0)
    assert steps == 1
    return total / n, est._grad_flat.copy()


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("task", ["multiclass", "binary", "regression"])
def test_backprop_gradient_equals_finite_differences(backend, activation, task):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((7, 3))
    if task == "regression":
        y = rng.standard_normal(7)
        est = _network(MLPRegressor, backend.name, activation, X, y, alpha=0.3)
    else:
        y = np.array([0, 1, 2, 0, 1, 2, 1]) if task == "multiclass" else np.array([0, 1, 1, 0, 1, 0, 0])
        est = _network(MLPClassifier, backend.name, activation, X, y, alpha=0.3)
    Y = est._prepare_targets(X, y, first=False, incremental=True, classes=None)
    loss, grad = _training_loss_grad(est, backend, X, Y)
    assert loss == pytest.approx(_manual_loss(est, X, Y), rel=1e-12)
    theta = est._params_flat
    h = 1e-6
    numeric = np.empty_like(theta)
    for k in range(theta.size):
        old = theta[k]
        theta[k] = old + h
        up = _manual_loss(est, X, Y)
        theta[k] = old - h
        down = _manual_loss(est, X, Y)
        theta[k] = old
        numeric[k] = (up - down) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_multi_output_regression_gradient_is_sklearns():
    """sklearn reports ½·mean over all entries but trains on the gradient (ŷ − y)/n."""
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    est = _network(MLPRegressor, "numpy", "tanh", X, Y, alpha=0.0)
    backend = mlbasics.get_backend("numpy")
    loss, grad = _training_loss_grad(est, backend, X, Y)
    assert loss == pytest.approx(_manual_loss(est, X, Y), rel=1e-12)
    out = est._forward(backend, X)
    expected_gb_last = ((out - Y) / 6).sum(axis=0)
    np.testing.assert_allclose(grad[-2:], expected_gb_last, rtol=1e-12)  # the last layer's bias comes last


# ------------------------------------------------------------------ attributes and conventions
@IGNORE_CONVERGENCE
def test_fitted_attributes_and_flat_buffer():
    X, y = blobs(50, n_classes=3)
    clf = MLPClassifier(hidden_layer_sizes=(6, 5), max_iter=15, random_state=0).fit(X, y)
    assert [W.shape for W in clf.coefs_] == [(4, 6), (6, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (5,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert clf.n_features_in_ == 4 and list(clf.classes_) == [0, 1, 2]
    assert len(clf.loss_curve_) == clf.n_iter_ and clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.t_ == clf.n_iter_ * 50
    flat = clf._params_flat
    assert flat.size == sum(W.size + b.size for W, b in zip(clf.coefs_, clf.intercepts_))
    for arr in clf.coefs_ + clf.intercepts_:
        assert np.shares_memory(arr, flat) and arr.flags.c_contiguous
    assert clf._optimizer.param_groups[0]["params"][0] is flat  # one kernel call per step
    reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=5, random_state=0).fit(X, y.astype(float))
    assert reg.out_activation_ == "identity" and reg.n_outputs_ == 1


def test_glorot_initialization_bounds():
    X, y = blobs(30)
    for activation, factor in [("relu", 6.0), ("logistic", 2.0)]:
        clf = MLPClassifier(hidden_layer_sizes=(50,), activation=activation, max_iter=1, learning_rate_init=1e-12,
                            random_state=0)
        with pytest.warns(ConvergenceWarning):
            clf.fit(X, y)
        bound = np.sqrt(factor / (4 + 50))
        assert np.abs(clf.coefs_[0]).max() <= bound
        assert np.abs(clf.coefs_[0]).max() > 0.9 * bound


@IGNORE_CONVERGENCE
def test_binary_probabilities_and_string_labels():
    X, y = blobs(40, n_classes=2)
    labels = np.array(["no", "yes"])[y]
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, learning_rate_init=0.01, random_state=0).fit(X, labels)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert set(clf.predict(X)) <= {"no", "yes"}


def test_stops_when_the_loss_stalls():
    X, y = blobs(60)
    clf = MLPClassifier(hidden_layer_sizes=(10,), learning_rate_init=0.01, max_iter=500, tol=1e-2,
                        n_iter_no_change=3, random_state=0).fit(X, y)  # no ConvergenceWarning
    assert clf.n_iter_ < 500
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPClassifier(hidden_layer_sizes=(10,), max_iter=2, random_state=0).fit(X, y)


def test_learning_rate_schedules():
    X, y = blobs(60)
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", learning_rate="invscaling", max_iter=4,
                            random_state=0).fit(X, y)
    assert clf._optimizer.param_groups[0]["lr"] == pytest.approx(1e-3 / (clf.t_ + 1) ** 0.5)
    clf = MLPClassifier(hidden_layer_sizes=(5,), solver="sgd", learning_rate="adaptive", learning_rate_init=0.1,
                        tol=10.0, n_iter_no_change=1, max_iter=500, random_state=0).fit(X, y)
    # tol=10 means no epoch ever improves: the rate is divided by 5 until it is <= 1e-6, then it stops
    assert clf._optimizer.param_groups[0]["lr"] <= 1e-6
    assert clf.n_iter_ < 500


@IGNORE_CONVERGENCE
def test_early_stopping():
    X, y = blobs(100)
    clf = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, max_iter=100, random_state=0,
                        learning_rate_init=0.01).fit(X, y)
    assert clf.best_loss_ is None
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    reg = MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=30, random_state=0).fit(
        X, X[:, 0] + X[:, 1])
    assert len(reg.validation_scores_) == reg.n_iter_


def test_verbose_shows_progress_on_stderr(capsys):  # more in test_progress.py
    X, y = blobs(30)
    with pytest.warns(ConvergenceWarning):
        MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, verbose=True, random_state=0).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and "2/2" in captured.err


# ------------------------------------------------------------------ partial_fit, pickling, sklearn tools
def test_partial_fit_classifier():
    X, y = blobs(90)
    clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:30], y[:30], classes=[0, 1, 2])
    assert clf.n_iter_ == 1 and clf.t_ == 30
    for _ in range(30):
        clf.partial_fit(X, y)
    assert clf.t_ == 30 + 30 * 90
    assert len(clf.loss_curve_) == 31 and clf.loss_curve_[-1] < clf.loss_curve_[1]
    assert np.mean(clf.predict(X) == y) > 0.9
    with pytest.raises(ValueError, match="y.*not in classes_"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="X"):
        clf.partial_fit(X[:, :2], y)
    # a class missing from the first batch is fine when listed in classes
    clf2 = MLPClassifier(hidden_layer_sizes=(4,), random_state=0).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf2.predict_proba(X).shape == (90, 3)
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])


def test_partial_fit_regressor_continues_the_optimizer():
    X, y = blobs(40)
    target = X @ np.array([1.0, -2.0, 0.5, 0.0])
    a = MLPRegressor(hidden_layer_sizes=(6,), shuffle=False, random_state=0, learning_rate_init=0.01)
    for _ in range(5):
        a.partial_fit(X, target)
    assert a._optimizer.state[0]["step"] == 5  # one batch per epoch, Adam's counter kept
    assert a.loss_curve_[-1] < a.loss_curve_[0]


@IGNORE_CONVERGENCE
def test_warm_start_continues_from_the_fitted_weights():
    X, y = blobs(60)
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    first = list(clf.loss_curve_)
    buffer = clf._params_flat
    clf.set_params(warm_start=True).fit(X, y)
    assert clf._params_flat is buffer and clf.n_iter_ == 5
    assert clf.loss_curve_[:5] == first and len(clf.loss_curve_) == 10
    assert clf.loss_curve_[5] < first[0]
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        clf.set_params(hidden_layer_sizes=(4,)).fit(X, y)
    clf.set_params(warm_start=False).fit(X, y)  # a fresh start
    assert len(clf.loss_curve_) == 5 and clf.coefs_[0].shape == (4, 4)


@IGNORE_CONVERGENCE
def test_pickle_round_trip():
    X, y = blobs(60)
    clf = MLPClassifier(hidden_layer_sizes=(7,), max_iter=10, random_state=0).fit(X, y)
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(clone.predict(X), clf.predict(X))
    for arr in clone.coefs_ + clone.intercepts_:
        assert np.shares_memory(arr, clone._params_flat)
    assert clone._optimizer.param_groups[0]["params"][0] is clone._params_flat
    # training goes on identically after unpickling
    clf.partial_fit(X, y)
    clone.partial_fit(X, y)
    np.testing.assert_array_equal(clone._params_flat, clf._params_flat)
    unfitted = pickle.loads(pickle.dumps(MLPRegressor(alpha=0.5)))
    assert unfitted.alpha == 0.5


@IGNORE_CONVERGENCE
def test_sklearn_clone_and_grid_search():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    X, y = blobs(60)
    est = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0, backend="numpy")
    c = clone(est)
    assert c.get_params() == est.get_params() and c is not est
    search = GridSearchCV(est, {"alpha": [1e-4, 1e-1], "hidden_layer_sizes": [(4,), (6,)]}, cv=3,
                          scoring="accuracy").fit(X, y)
    assert search.best_params_["alpha"] in (1e-4, 1e-1)
    assert search.best_estimator_.n_features_in_ == 4
    reg = GridSearchCV(MLPRegressor(max_iter=10, random_state=0), {"learning_rate_init": [1e-3, 1e-2]}, cv=2,
                       scoring="r2").fit(X, X[:, 0])
    assert hasattr(reg, "best_score_")


@IGNORE_CONVERGENCE
def test_score_uses_metrics():
    pytest.importorskip("mlbasics.metrics")
    X, y = blobs(60)
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, y)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y))
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0).fit(X, X[:, 0])
    pred = reg.predict(X)
    r2 = 1 - np.sum((X[:, 0] - pred) ** 2) / np.sum((X[:, 0] - X[:, 0].mean()) ** 2)
    assert reg.score(X, X[:, 0]) == pytest.approx(r2, rel=1e-5)


def test_float64_and_dtypes():
    X, y = blobs(30)
    with pytest.warns(ConvergenceWarning):
        clf = MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, dtype=np.float64, random_state=0).fit(X, y)
    assert clf.coefs_[0].dtype == np.float64 and clf.predict_proba(X).dtype == np.float64
    with pytest.warns(ConvergenceWarning):
        reg = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X.astype(int), y)
    assert reg.predict(X).dtype == np.float32


# ------------------------------------------------------------------ errors
def test_divergence_raises_instead_of_nan_weights():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1000, (50, 3))
    y = X @ np.array([3.0, -1.0, 2.0])
    reg = MLPRegressor(solver="sgd", learning_rate_init=1e6, max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="learning_rate_init"):
        reg.fit(X, y)
    with pytest.raises(NotFittedError):
        reg.predict(X)
    clf = MLPClassifier(solver="sgd", learning_rate_init=1e6, max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="learning_rate_init"):
        clf.fit(X, (y > y.mean()).astype(int))
    # partial_fit that diverges restores the model as it was
    good = MLPRegressor(solver="sgd", learning_rate_init=1e-9, random_state=0).partial_fit(X, y)
    before = good._params_flat.copy()
    good.set_params(learning_rate_init=1e6)
    good._optimizer.param_groups[0]["lr"] = 1e6
    with pytest.raises(ValueError, match="learning_rate_init"):
        for _ in range(20):
            good.partial_fit(X, y)
    assert np.isfinite(good._params_flat).all()
    assert np.isfinite(good.predict(X)).all()
    assert good.t_ % 50 == 0 and good.t_ >= 50
    assert np.isfinite(before).all()


def test_bad_data():
    X, y = blobs(20)
    clf = MLPClassifier(hidden_layer_sizes=(3,), max_iter=5)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="X.*NaN"):
        clf.fit(X_nan, y)
    with pytest.raises(ValueError, match="X"):
        clf.fit(X[:, 0], y)
    with pytest.raises(ValueError, match="y"):
        clf.fit(X, y[:-1])
    with pytest.raises(ValueError, match="y.*2 classes"):
        clf.fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="y"):
        MLPRegressor().fit(X, np.full(20, np.inf))
    with pytest.raises(NotFittedError):
        clf.predict(X)
    with pytest.raises(NotFittedError):
        MLPRegressor().predict(X)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="X.*features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="X.*NaN"):
        clf.predict_proba(X_nan)
    with pytest.raises(TypeError, match="X"):
        clf.predict(np.array([["a", "b", "c", "d"]]))


@pytest.mark.parametrize("params,exc,match", [
    (dict(hidden_layer_sizes=(0,)), ValueError, "hidden_layer_sizes"),
    (dict(hidden_layer_sizes=(3.5,)), TypeError, "hidden_layer_sizes"),
    (dict(activation="softplus"), ValueError, "activation"),
    (dict(solver="lbfgs"), ValueError, "solver.*lbfgs"),
    (dict(solver="newton"), ValueError, "solver"),
    (dict(alpha=-1.0), ValueError, "alpha"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size="big"), ValueError, "batch_size"),
    (dict(learning_rate="cyclic"), ValueError, "learning_rate"),
    (dict(learning_rate_init=0.0), ValueError, "learning_rate_init"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(max_iter=2.5), TypeError, "max_iter"),
    (dict(momentum=1.5), ValueError, "momentum"),
    (dict(validation_fraction=1.0), ValueError, "validation_fraction"),
    (dict(beta_1=1.0), ValueError, "beta_1"),
    (dict(beta_2=-0.1), ValueError, "beta_2"),
    (dict(epsilon=0.0), ValueError, "epsilon"),
    (dict(n_iter_no_change=0), ValueError, "n_iter_no_change"),
    (dict(tol=-1.0), ValueError, "tol"),
    (dict(shuffle="yes"), TypeError, "shuffle"),
    (dict(dtype=np.int32), ValueError, "dtype"),
    (dict(backend="fortran"), ValueError, "backend"),
    (dict(random_state="seed"), TypeError, "random_state"),
])
def test_invalid_hyper_parameters(params, exc, match):
    X, y = blobs(20)
    for cls in (MLPClassifier, MLPRegressor):
        with pytest.raises(exc, match=match):
            cls(**params).fit(X, y)


@IGNORE_CONVERGENCE
def test_batch_size_larger_than_data_is_clipped_with_a_warning():
    X, y = blobs(20)
    with pytest.warns(UserWarning, match="batch_size"):
        MLPClassifier(hidden_layer_sizes=(3,), batch_size=50, max_iter=3, random_state=0).fit(X, y)


def test_defaults_follow_scikit_learn():
    sk = pytest.importorskip("sklearn.neural_network")
    for ours, theirs in ((MLPClassifier(), sk.MLPClassifier()), (MLPRegressor(), sk.MLPRegressor())):
        mine, ref = ours.get_params(), theirs.get_params()
        shared = set(mine) & set(ref)
        assert shared >= {"hidden_layer_sizes", "activation", "solver", "alpha", "batch_size", "learning_rate",
                          "learning_rate_init", "power_t", "max_iter", "shuffle", "random_state", "tol",
                          "momentum", "nesterovs_momentum", "early_stopping", "validation_fraction", "beta_1",
                          "beta_2", "epsilon", "n_iter_no_change", "warm_start", "verbose"}
        for k in shared:
            assert mine[k] == ref[k], k
