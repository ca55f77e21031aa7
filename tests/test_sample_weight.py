"""Sample weights and class weights (issue #14, item 3): the weighted kernels on every backend, and
the estimators' weighted fits against scikit-learn and against their defining properties -- an
integer weight equals that many copies of a sample, a zero weight equals dropping it."""
import warnings

import numpy as np
import pytest

import mlbasics
from _helpers import assert_close, tolerance
from mlbasics.linear_model import LinearRegression, LogisticRegression, Perceptron, Ridge, RidgeCV
from mlbasics.model_selection import KFold, cross_val_score
from mlbasics.neural_network import MLPClassifier, MLPRegressor
from mlbasics.preprocessing import StandardScaler

BACKENDS = ["cpp", "numba", "numpy"]


def _weights(rng, n, dtype=np.float64, zeros=True):
    w = rng.uniform(0, 2, n).astype(dtype)
    if zeros and n > 2:
        w[rng.choice(n, max(1, n // 5), replace=False)] = 0
        w[0] = 1.5  # a positive sum whatever was drawn
    return w


def _repeat(w):
    """Row indices repeating row i w[i] times (w integer)."""
    return np.repeat(np.arange(len(w)), np.asarray(w).astype(np.int64))


# =========================================================================== kernels

@pytest.mark.parametrize("shape", [(1, 1), (17, 3), (3, 17), (257, 40), (0, 5), (5, 0), (1000, 300)])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_weighted_gram_matches_reference(backend, reference, dtype, rng, shape, layout):
    from test_gemm import make

    x = make(rng, shape, dtype, layout)
    w = _weights(rng, shape[0], dtype)
    got = backend.gram(x, w)
    assert got.shape == (shape[1], shape[1]) and got.dtype == dtype
    assert np.array_equal(got, got.T), "the weighted gram must be exactly symmetric"
    assert_close(got, reference.gram(x, w), dtype)


def test_weighted_gram_math(backend, dtype, rng):
    x = rng.standard_normal((9, 4)).astype(dtype)
    w = np.array([0, 1, 2, 3, 0, 1, 2, 3, 1], dtype)
    rep = x[_repeat(w)]
    assert_close(backend.gram(x, w), (rep.T.astype(np.float64) @ rep).astype(dtype), dtype)
    assert_close(backend.gram(x, np.ones(9, dtype)), backend.gram(x), dtype)
    np.testing.assert_array_equal(backend.gram(x, np.zeros(9, dtype)), np.zeros((4, 4), dtype))
    assert_close(backend.gram(x, w), backend.gram(x[w > 0], w[w > 0]), dtype)  # zero weight = row dropped


@pytest.mark.parametrize("n,c", [(1, 1), (1, 3), (3, 2), (17, 10), (257, 7)])
def test_weighted_softmax_cross_entropy_matches_reference(backend, reference, dtype, rng, n, c):
    logits = (3 * rng.standard_normal((n, c))).astype(dtype)
    y = rng.integers(0, c, size=n)
    w = _weights(rng, n, dtype)
    loss, grad = backend.softmax_cross_entropy(logits, y, w)
    loss_ref, grad_ref = reference.softmax_cross_entropy(logits, y, w)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert_close(loss, loss_ref, dtype, scale=1.0)
    assert_close(grad, grad_ref, dtype, scale=float(w.max() / w.sum()))


@pytest.mark.parametrize("n", [1, 2, 17, 1000])
def test_weighted_bce_matches_reference(backend, reference, dtype, rng, n):
    logits = (4 * rng.standard_normal(n)).astype(dtype)
    y = rng.uniform(0, 1, n).astype(dtype)
    w = _weights(rng, n, dtype)
    loss, grad = backend.binary_cross_entropy_with_logits(logits, y, w)
    loss_ref, grad_ref = reference.binary_cross_entropy_with_logits(logits, y, w)
    assert loss.dtype == dtype and grad.dtype == dtype
    assert_close(loss, loss_ref, dtype, scale=1.0)
    assert_close(grad, grad_ref, dtype, scale=float(w.max() / w.sum()))


@pytest.mark.parametrize("shape", [(1,), (7,), (5, 3), (2, 3, 4), (10000,)])
def test_weighted_mse_matches_reference(backend, reference, dtype, rng, shape):
    pred = rng.standard_normal(shape).astype(dtype)
    target = rng.standard_normal(shape).astype(dtype)
    w = _weights(rng, shape[0], dtype)
    loss, grad = backend.mse(pred, target, w)
    loss_ref, grad_ref = reference.mse(pred, target, w)
    assert grad.shape == shape and grad.dtype == dtype and loss.dtype == dtype
    assert_close(loss, loss_ref, dtype, scale=1.0)
    assert_close(grad, grad_ref, dtype)


def test_weighted_losses_are_repeated_rows(backend, dtype, rng):
    """Integer weights equal repeated rows (the loss, and the copies' gradients summed); zero
    weights equal dropped rows; weights of one equal the unweighted kernels."""
    n, c = 12, 4
    logits = rng.standard_normal((n, c)).astype(dtype)
    y = rng.integers(0, c, n)
    t = rng.uniform(0, 1, n).astype(dtype)
    pred, target = rng.standard_normal((n, 3)).astype(dtype), rng.standard_normal((n, 3)).astype(dtype)
    w = np.array([0, 1, 2, 3] * 3, dtype)
    rep = _repeat(w)
    for name, args in [("softmax_cross_entropy", (logits, y)), ("binary_cross_entropy_with_logits", (logits[:, 0].copy(), t)),
                       ("mse", (pred, target))]:
        kernel = getattr(backend, name)
        loss_w, grad_w = kernel(*args, w)
        loss_r, grad_r = kernel(*(a[rep] for a in args))
        assert_close(loss_w, loss_r, dtype, scale=1.0)
        summed = np.zeros_like(grad_w)
        np.add.at(summed, rep, grad_r)
        assert_close(grad_w, summed, dtype, scale=1.0 / len(rep))
        loss_1, grad_1 = kernel(*args, np.ones(n, dtype))
        loss_u, grad_u = kernel(*args)
        assert_close(loss_1, loss_u, dtype, scale=1.0)
        assert_close(grad_1, grad_u, dtype, scale=1.0 / n)


def test_weighted_losses_math(reference, rng):
    logits, y, w = rng.standard_normal((6, 3)), rng.integers(0, 3, 6), rng.uniform(0.1, 2, 6)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, grad = reference.softmax_cross_entropy(logits, y, w)
    np.testing.assert_allclose(loss, -np.sum(w * np.log(p[np.arange(6), y])) / w.sum(), rtol=1e-12)
    np.testing.assert_allclose(grad, w[:, None] * (p - np.eye(3)[y]) / w.sum(), rtol=1e-12, atol=1e-15)
    x, t = logits[:, 0], rng.uniform(0, 1, 6)
    s = 1 / (1 + np.exp(-x))
    loss, grad = reference.binary_cross_entropy_with_logits(x, t, w)
    np.testing.assert_allclose(loss, -np.sum(w * (t * np.log(s) + (1 - t) * np.log(1 - s))) / w.sum(), rtol=1e-12)
    np.testing.assert_allclose(grad, w * (s - t) / w.sum(), rtol=1e-12)
    pred, target = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    loss, grad = reference.mse(pred, target, w)  # per output the weighted mean over rows, then the mean
    np.testing.assert_allclose(loss, np.average((pred - target) ** 2, axis=0, weights=w).mean(), rtol=1e-12)
    np.testing.assert_allclose(grad, 2 * w[:, None] * (pred - target) / (2 * w.sum()), rtol=1e-12)


def _mlp_run(be, X, T, w, sizes, loss, bs, dtype, order=None, opt="adam", alpha=1e-3):
    P = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    params = (0.3 * np.random.default_rng(5).standard_normal(P)).astype(dtype)
    grads = np.empty(P, dtype)
    state = {"exp_avg": np.zeros(P, dtype), "exp_avg_sq": np.zeros(P, dtype)} if opt == "adam" else {}
    order = np.arange(X.shape[0]) if order is None else order
    loss_sum, steps = be.mlp_epoch(X, T, order, params, grads, state, layer_sizes=sizes, activation="tanh", loss=loss,
                                   alpha=alpha, batch_size=bs, optimizer=opt, hyper={"lr": 0.01}, step=0,
                                   sample_weight=w)
    return loss_sum, steps, params, grads


def _mlp_problem(rng, loss, n, dtype):
    X = rng.standard_normal((n, 4)).astype(dtype)
    if loss == "softmax_cross_entropy":
        return X, rng.integers(0, 3, n), (4, 6, 3)
    if loss == "binary_cross_entropy_with_logits":
        return X, rng.integers(0, 2, n).astype(dtype), (4, 6, 1)
    return X, rng.standard_normal((n, 2)).astype(dtype), (4, 6, 2)


LOSSES = ["softmax_cross_entropy", "binary_cross_entropy_with_logits", "squared_error"]


@pytest.mark.parametrize("loss", LOSSES)
def test_weighted_mlp_epoch_matches_reference(backend, reference, dtype, rng, loss):
    n = 23
    X, T, sizes = _mlp_problem(rng, loss, n, dtype)
    w = rng.uniform(0, 2, n).astype(dtype)
    w[:5] = 0  # the first batch weighs nothing: skipped, no step
    order = np.arange(n)
    got = _mlp_run(backend, X, T, w, sizes, loss, 5, dtype, order)
    exp = _mlp_run(reference, X, T, w, sizes, loss, 5, dtype, order)
    assert got[1] == exp[1] == 4
    assert abs(got[0] - exp[0]) <= tolerance(dtype) * (abs(exp[0]) + n)
    assert_close(got[2], exp[2], dtype, scale=1.0)
    assert_close(got[3], exp[3], dtype, scale=1.0)
    # the skipped batch adds nothing: the epoch equals one over the other rows
    rest = _mlp_run(reference, X, T, w, sizes, loss, 5, dtype, order[5:])
    assert rest[1] == 4 and rest[0] == exp[0]
    np.testing.assert_array_equal(rest[2], exp[2])


@pytest.mark.parametrize("loss", LOSSES)
def test_weighted_mlp_epoch_is_repeated_rows_and_dropped_rows(backend, dtype, rng, loss):
    """One full batch: integer weights equal repeated rows, zero weights equal dropped rows."""
    n = 19
    X, T, sizes = _mlp_problem(rng, loss, n, dtype)
    w = rng.integers(0, 4, n)
    w[0] = 2
    rep = _repeat(w)
    weighted = _mlp_run(backend, X, T, w.astype(dtype), sizes, loss, n, dtype)
    repeated = _mlp_run(backend, X[rep], T[rep], None, sizes, loss, len(rep), dtype)
    assert_close(weighted[2], repeated[2], dtype, scale=1.0)
    assert_close(weighted[3], repeated[3], dtype, scale=1.0)
    keep = np.flatnonzero(w > 0)
    dropped = _mlp_run(backend, X[keep], T[keep], w[keep].astype(dtype), sizes, loss, len(keep), dtype)
    assert_close(weighted[2], dropped[2], dtype, scale=1.0)


def test_weighted_mlp_epoch_l2_uses_the_batch_weight(reference):
    """alpha/(2S)·ΣW² with S the batch's total weight, as scikit-learn's weighted MLP."""
    X, T = np.eye(2), np.ones((2, 1))
    w = np.array([3.0, 1.0])
    loss_sum, _, _, grads = _mlp_run(reference, X, T, w, (2, 1), "squared_error", 2, np.float64, opt="sgd", alpha=0.5)
    P = np.zeros(3) + 0.3 * np.random.default_rng(5).standard_normal(3)
    W, b = P[:2], P[2]
    pred = X @ W + b
    expected = 0.5 * np.sum(w * (pred - 1) ** 2) / 4 + 0.5 * 0.5 * np.sum(W ** 2) / 4
    assert loss_sum == pytest.approx(2 * expected, rel=1e-12)  # loss · |B| = loss · 2
    np.testing.assert_allclose(grads[:2], X.T @ (w * (pred - 1)) / 4 + 0.5 * W / 4, rtol=1e-12)


BAD_KERNEL_WEIGHTS = [
    ("gram", (np.ones((3, 2)),), np.array([1.0, -1.0, 1.0]), ValueError, "sample_weight: weights must be finite"),
    ("gram", (np.ones((3, 2)),), np.array([1.0, np.nan, 1.0]), ValueError, "sample_weight: weights must be finite"),
    ("gram", (np.ones((3, 2)),), np.ones(2), ValueError, "sample_weight: expected 3 weights"),
    ("gram", (np.ones((3, 2)),), np.ones(3, np.float32), TypeError, "sample_weight: dtype float32"),
    ("gram", (np.ones((3, 2)),), np.ones((3, 1)), ValueError, "sample_weight: expected a 1-D"),
    ("softmax_cross_entropy", (np.ones((3, 2)), np.zeros(3, int)), np.zeros(3), ValueError, "sample_weight: the weights sum to 0"),
    ("softmax_cross_entropy", (np.ones((3, 2)), np.zeros(3, int)), np.array([1.0, np.inf, 1.0]), ValueError,
     "sample_weight: weights must be finite"),
    ("binary_cross_entropy_with_logits", (np.ones(3), np.ones(3)), np.array([1, 1, 1]), TypeError, "sample_weight:"),
    ("binary_cross_entropy_with_logits", (np.ones(3), np.ones(3)), np.ones(4), ValueError, "sample_weight: expected 3"),
    ("mse", (np.ones((3, 2)), np.ones((3, 2))), np.ones(6), ValueError, "sample_weight: expected 3 weights"),
    ("mse", (np.ones(()), np.ones(())), np.ones(1), ValueError, "sample_weight:"),
    ("mse", (np.ones(3), np.ones(3)), np.array([-1.0, 1.0, 1.0]), ValueError, "sample_weight: weights must be finite"),
]


@pytest.mark.parametrize("kernel,args,w,exc,text", BAD_KERNEL_WEIGHTS,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(BAD_KERNEL_WEIGHTS)])
def test_bad_kernel_weights_name_the_argument(backend, kernel, args, w, exc, text):
    with pytest.raises(exc) as info:
        getattr(backend, kernel)(*args, w)
    assert text in str(info.value)


def test_bad_mlp_epoch_weights(backend):
    X, T = np.ones((4, 2)), np.zeros(4, np.int64)
    kw = dict(layer_sizes=(2, 2), activation="relu", loss="softmax_cross_entropy", alpha=0.0, batch_size=2,
              optimizer="sgd", hyper={"lr": 0.1}, step=0)
    for w, exc, text in [(np.array([1.0, -1.0, 1.0, 1.0]), ValueError, "sample_weight: weights must be finite"),
                         (np.ones(3), ValueError, "sample_weight: expected 4 weights"),
                         (np.ones(4, np.float32), TypeError, "sample_weight: dtype float32")]:
        with pytest.raises(exc, match=text):
            backend.mlp_epoch(X, T, np.arange(4), np.zeros(6), np.empty(6), {}, sample_weight=w, **kw)
    # all zero is allowed: every batch is skipped
    assert backend.mlp_epoch(X, T, np.arange(4), np.zeros(6), np.empty(6), {}, sample_weight=np.zeros(4), **kw) == (0.0, 0)


def test_core_module_checks_the_weights_itself():
    from mlbasics import _core

    x, out = np.ones((3, 2)), np.empty((2, 2))
    with pytest.raises(ValueError, match="sample_weight: weights must be finite"):
        _core.gram(x, out, np.array([1.0, -2.0, 1.0]))
    with pytest.raises(ValueError, match="sample_weight: expected length 3"):
        _core.gram(x, out, np.ones(4))
    with pytest.raises(TypeError, match="sample_weight"):
        _core.gram(x, out, np.ones(3, np.float32))
    with pytest.raises(TypeError, match="sample_weight: expected a numpy.ndarray"):
        _core.gram(x, out, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="sample_weight: the weights sum to 0"):
        _core.softmax_cross_entropy(np.ones((2, 2)), np.zeros(2, np.int64), np.empty((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="sample_weight: weights must be finite"):
        _core.binary_cross_entropy_with_logits(np.ones(2), np.ones(2), np.empty(2), np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="sample_weight: expected a number of weights that divides"):
        _core.mse(np.ones(6), np.ones(6), np.empty(6), np.ones(4))
    g = np.ones(2)
    with pytest.raises(ValueError, match="grad: must not share memory with sample_weight"):
        _core.mse(np.ones(2), np.ones(2), g, g)
    X, y = np.ones((4, 1)), np.zeros(4, dtype=np.int64)
    hyper = {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}
    with pytest.raises(ValueError, match="sample_weight: weights must be finite"):
        _core.mlp_epoch(X, y, np.arange(4, dtype=np.int64), np.zeros(4), np.zeros(4), {}, [1, 2], 0, 0, 0.0, 2,
                        "sgd", hyper, 0, False, np.array([1.0, 1.0, -1.0, 1.0]))


# =========================================================================== estimators vs scikit-learn

sk = pytest.importorskip("sklearn")
import sklearn.linear_model as sk_lm  # noqa: E402
import sklearn.preprocessing as sk_pre  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits  # noqa: E402


def _rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300))


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    w = _weights(np.random.default_rng(0), len(y))
    return X, y, w


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return sk_pre.StandardScaler().fit_transform(X), y, np.random.default_rng(1).uniform(0, 3, len(y))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return sk_pre.StandardScaler().fit_transform(X), y, np.random.default_rng(2).uniform(0, 3, len(y))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_linear_regression_and_ridge_match_sklearn(diabetes, backend, fit_intercept):
    X, y, w = diabetes
    Y = np.column_stack([y, np.sin(y)])
    for ours, theirs in [(LinearRegression(fit_intercept=fit_intercept, backend=backend),
                          sk_lm.LinearRegression(fit_intercept=fit_intercept)),
                         (LinearRegression(fit_intercept=fit_intercept, solver="lstsq", backend=backend),
                          sk_lm.LinearRegression(fit_intercept=fit_intercept)),
                         (Ridge(alpha=0.3, fit_intercept=fit_intercept, backend=backend),
                          sk_lm.Ridge(alpha=0.3, fit_intercept=fit_intercept))]:
        for target in (y, Y):
            a, b = ours.fit(X, target, sample_weight=w), theirs.fit(X, target, sample_weight=w)
            assert _rel(a.coef_, b.coef_) < 1e-8
            assert np.max(np.abs(np.asarray(a.intercept_) - b.intercept_)) < 1e-8 * np.max(np.abs(target))


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_ridgecv_leave_one_out_matches_sklearn(diabetes, fit_intercept):
    X, y, w = diabetes
    alphas = np.logspace(-4, 2, 13)
    a = RidgeCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    b = sk_lm.RidgeCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, y, sample_weight=w)
    assert a.alpha_ == b.alpha_
    assert a.best_score_ == pytest.approx(b.best_score_, rel=1e-8)
    assert _rel(a.coef_, b.coef_) < 1e-8
    Y = np.column_stack([y, y ** 0.5])  # several targets: scored together, as scikit-learn
    a = RidgeCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, Y, sample_weight=w)
    b = sk_lm.RidgeCV(alphas=alphas, fit_intercept=fit_intercept).fit(X, Y, sample_weight=w)
    assert a.alpha_ == b.alpha_ and a.best_score_ == pytest.approx(b.best_score_, rel=1e-8)


def test_ridgecv_kfold_weighs_fits_and_held_out_scores(diabetes):
    X, y, w = diabetes
    alphas = np.logspace(-4, 2, 7)
    m = RidgeCV(alphas=alphas, cv=4).fit(X, y, sample_weight=w)
    # by hand: the weighted Ridge fit of each training part, the weighted MSE of each held-out part
    expected = []
    for alpha in alphas:
        fold = []
        for train, test in KFold(4).split(X):
            r = Ridge(alpha=alpha).fit(X[train], y[train], sample_weight=w[train])
            fold.append(np.average((y[test] - r.predict(X[test])) ** 2, weights=w[test]))
        expected.append(-np.mean(fold))
    np.testing.assert_allclose(m.cv_scores_, expected, rtol=1e-10)
    assert m.alpha_ == alphas[int(np.argmax(expected))]
    ref = Ridge(alpha=m.alpha_).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(m.coef_, ref.coef_, rtol=1e-10)


def test_standard_scaler_matches_sklearn(diabetes):
    X, _, w = diabetes
    X = X * np.arange(1, X.shape[1] + 1) + 3.0
    a, b = StandardScaler().fit(X, sample_weight=w), sk_pre.StandardScaler().fit(X, sample_weight=w)
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=1e-12)
    np.testing.assert_allclose(a.var_, b.var_, rtol=1e-12)
    np.testing.assert_allclose(a.scale_, b.scale_, rtol=1e-12)
    assert a.n_samples_seen_ == pytest.approx(b.n_samples_seen_, rel=1e-12)
    np.testing.assert_allclose(a.transform(X), b.transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(StandardScaler().fit_transform(X, sample_weight=w), b.transform(X), atol=1e-12)
    c = StandardScaler(with_mean=False).fit(X, sample_weight=w)
    d = sk_pre.StandardScaler(with_mean=False).fit(X, sample_weight=w)
    np.testing.assert_allclose(c.scale_, d.scale_, rtol=1e-12)


def test_standard_scaler_constant_feature_among_the_weighted_samples():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 9.0]])
    s = StandardScaler().fit(X, sample_weight=[1.0, 2.0, 0.0])  # column 1 is constant where weights are > 0
    assert s.var_[1] == 0.0 and s.scale_[1] == 1.0


def _sk_logistic(X, y, w, **kw):
    return sk_lm.LogisticRegression(tol=1e-12, max_iter=20000, **kw).fit(X, y, sample_weight=w)


def _params(m):
    return np.concatenate([m.coef_.ravel(), m.intercept_])


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_lbfgs_matches_sklearn_breast_cancer(cancer, backend):
    X, y, w = cancer
    ref = _sk_logistic(X, y, w)
    m = LogisticRegression(tol=1e-10, max_iter=5000, backend=backend).fit(X, y, sample_weight=w)
    assert _rel(_params(m), _params(ref)) < 1e-6
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("backend", BACKENDS)
def test_logistic_lbfgs_matches_sklearn_digits(digits, backend):
    # C = 0.1: at C = 1 both L-BFGS runs stop on SciPy's relative decrease (64·eps) some 5e-6 from
    # the exact minimum and agree only to ~1e-6 (measured 0.2-1.3e-6); Newton's method below
    # reaches the exact minimum.
    X, y, w = digits
    ref = _sk_logistic(X, y, w, C=0.1)
    m = LogisticRegression(C=0.1, tol=1e-10, max_iter=5000, backend=backend).fit(X, y, sample_weight=w)
    assert _rel(_params(m), _params(ref)) < 1e-6
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X), atol=1e-7)


@pytest.mark.parametrize("class_weight", ["balanced", {0: 3.0}, {0: 0.5, 1: 2.0}])
def test_logistic_class_weight_matches_sklearn(cancer, class_weight):
    X, y, w = cancer
    for sw in (None, w):
        ref = _sk_logistic(X, y, sw, class_weight=class_weight)
        m = LogisticRegression(tol=1e-10, max_iter=5000, class_weight=class_weight).fit(X, y, sample_weight=sw)
        assert _rel(_params(m), _params(ref)) < 1e-6


def test_logistic_multinomial_class_weight_matches_sklearn(digits):
    X, y, w = digits
    cw = {3: 4.0, 7: 0.25}
    ref = _sk_logistic(X[:600], y[:600], w[:600], class_weight=cw)
    m = LogisticRegression(tol=1e-10, max_iter=5000, class_weight=cw).fit(X[:600], y[:600], sample_weight=w[:600])
    assert _rel(_params(m), _params(ref)) < 1e-6
    ref = _sk_logistic(X[:600], y[:600], None, class_weight="balanced")
    m = LogisticRegression(tol=1e-10, max_iter=5000, class_weight="balanced").fit(X[:600], y[:600])
    assert _rel(_params(m), _params(ref)) < 1e-6


@pytest.mark.parametrize("solver", ["newton", "gd"])
def test_logistic_weighted_solvers_reach_the_exact_minimum(cancer, digits, solver):
    """Against scikit-learn's newton-cholesky at tol=1e-14 (the exact minimum)."""
    for X, y, w in (cancer, tuple(a[:300] for a in digits)):
        C = 0.1  # well conditioned, so gradient descent gets there too
        ref = sk_lm.LogisticRegression(C=C, solver="newton-cholesky", tol=1e-14, max_iter=1000).fit(X, y, sample_weight=w)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gd may stop on max_iter, Newton on the line search
            m = LogisticRegression(C=C, tol=1e-12 if solver == "newton" else 1e-9,
                                   max_iter=100 if solver == "newton" else 20000,
                                   solver=solver).fit(X, y, sample_weight=w)
        assert _rel(_params(m), _params(ref)) < (1e-8 if solver == "newton" else 1e-4)


def test_class_weight_balanced_is_the_documented_formula():
    """scikit-learn's check_class_weight_balanced_linear_classifier, on both classifiers (not
    scikit-learn subclasses, so its own check skips them)."""
    X = np.array([[-1.0, -1.0], [-1.0, 0], [-0.8, -1.0], [1.0, 1.0], [1.0, 0.0]])
    y = np.array([1, 1, 1, -1, -1])
    manual = {1: 5 / (3 * 2), -1: 5 / (2 * 2)}
    for est in (LogisticRegression(max_iter=1000, tol=1e-10), Perceptron(max_iter=1000, random_state=0)):
        balanced = est.set_params(class_weight="balanced").fit(X, y).coef_.copy()
        by_hand = est.set_params(class_weight=manual).fit(X, y).coef_.copy()
        np.testing.assert_allclose(balanced, by_hand)
    # LogisticRegression's "balanced" counts are weighted by sample_weight, as scikit-learn's
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    a = LogisticRegression(class_weight="balanced", tol=1e-10).fit(X, y, sample_weight=w)
    b = _sk_logistic(X, y, w, class_weight="balanced")
    assert _rel(_params(a), _params(b)) < 1e-6


def test_class_weight_equals_sample_weight_of_the_class(cancer):
    X, y, _ = cancer
    cw = {0: 2.5, 1: 0.5}
    a = LogisticRegression(class_weight=cw, tol=1e-10).fit(X, y)
    b = LogisticRegression(tol=1e-10).fit(X, y, sample_weight=np.where(y == 0, 2.5, 0.5))
    np.testing.assert_allclose(_params(a), _params(b), rtol=1e-12)
    a = Perceptron(class_weight=cw, random_state=0).fit(X, y)
    b = Perceptron(random_state=0).fit(X, y, sample_weight=np.where(y == 0, 2.5, 0.5))
    np.testing.assert_allclose(_params(a), _params(b))


@pytest.mark.parametrize("est", [LogisticRegression(), Perceptron()], ids=["logistic", "perceptron"])
def test_bad_class_weight_names_it(est):
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array(["a", "b", "a", "b"])
    with pytest.raises(ValueError, match=r"class_weight: keys \['c'\] are not classes of y"):
        est.set_params(class_weight={"c": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight: the weight of class 'a' must be a finite number >= 0"):
        est.set_params(class_weight={"a": -1.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight: with these class weights every sample weighs 0"):
        est.set_params(class_weight={"a": 0.0, "b": 0.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight"):
        est.set_params(class_weight="uniform").fit(X, y)
    with pytest.raises(TypeError, match="class_weight"):
        est.set_params(class_weight=[1.0, 2.0]).fit(X, y)


# =========================================================================== warm_start

def test_logistic_warm_start(digits):
    X, y, w = digits
    X, y = X[:500], y[:500]
    cold = LogisticRegression(C=0.1, tol=1e-8, max_iter=1000).fit(X, y)
    m = LogisticRegression(C=0.1, tol=1e-8, max_iter=1000, warm_start=True).fit(X, y)
    np.testing.assert_array_equal(_params(m), _params(cold))
    for solver in ("lbfgs", "newton", "gd"):
        m.set_params(solver=solver, max_iter=5)
        again = _params(m).copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gd may use its 5 iterations
            m.fit(X, y)  # starts at the minimum: (almost) nothing to do
        if solver != "gd":
            assert m.n_iter_[0] <= 2, solver
        np.testing.assert_allclose(_params(m), again, atol=1e-5)
    m.set_params(max_iter=1000)
    # a warm start from the unweighted fit reaches the weighted minimum
    m.set_params(solver="lbfgs").fit(X, y, sample_weight=w[:500])
    ref = LogisticRegression(C=0.1, tol=1e-8, max_iter=1000).fit(X, y, sample_weight=w[:500])
    assert _rel(_params(m), _params(ref)) < 1e-5
    # another number of features or classes: ValueError naming warm_start (as scikit-learn)
    with pytest.raises(ValueError, match="warm_start: the fitted coef_ has shape"):
        m.fit(X[:, :10], y)
    with pytest.raises(ValueError, match="warm_start"):
        m.fit(X, y % 3)
    # other classes of the same number: the old coefficients do not apply, the fit starts afresh
    y2 = np.where(y == 9, 10, y)
    fresh = LogisticRegression(C=0.1, tol=1e-8, max_iter=1000).fit(X, y2)
    np.testing.assert_array_equal(_params(m.fit(X, y2)), _params(fresh))
    # warm_start=False ignores the fitted coefficients
    m.set_params(warm_start=False)
    np.testing.assert_array_equal(_params(m.fit(X, y)), _params(cold))


# =========================================================================== properties on every backend

def _prop_data(seed=0, n=40, p=6, classes=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    yr = X @ rng.standard_normal(p) + 0.3 * rng.standard_normal(n)
    yc = np.digitize(yr, np.quantile(yr, np.linspace(0, 1, classes + 1)[1:-1]))
    w = rng.integers(0, 4, n)
    w[:classes] = 1
    return X, yr, yc, w


def _predictions(est, X):
    return [getattr(est, method)(X) for method in ("predict", "predict_proba", "transform") if hasattr(est, method)]


def _assert_same_fit(a, b, X, rtol, atol=0.0):
    for pa, pb in zip(_predictions(a, X), _predictions(b, X)):
        if pa.dtype.kind in "fc":
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(pa, pb)


def _property_estimators(backend):
    """(estimator, task, rtol): estimators whose weighted fit equals the repeated/dropped-rows fit."""
    return [
        (LinearRegression(backend=backend), "reg", 1e-9),
        (LinearRegression(solver="lstsq", backend=backend), "reg", 1e-9),
        (Ridge(alpha=0.7, backend=backend), "reg", 1e-9),
        (Ridge(alpha=0.7, fit_intercept=False, backend=backend), "reg", 1e-9),
        (LogisticRegression(tol=1e-10, max_iter=2000, backend=backend), "clf", 1e-6),
        (LogisticRegression(tol=1e-10, max_iter=100, solver="newton", backend=backend), "clf", 1e-6),
        (LogisticRegression(C=0.5, tol=1e-9, max_iter=20000, solver="gd", backend=backend), "clf", 1e-5),
        (LogisticRegression(tol=1e-10, max_iter=2000, backend=backend), "binary", 1e-6),
        (LogisticRegression(tol=1e-10, class_weight={0: 2.0, 2: 0.5}, backend=backend), "clf", 1e-6),
        (MLPClassifier((5,), max_iter=30, batch_size=1000, shuffle=False, random_state=0, dtype=np.float64,
                       backend=backend), "clf", 1e-9),
        (MLPClassifier((5,), max_iter=30, batch_size=1000, shuffle=False, random_state=0, dtype=np.float64,
                       backend=backend), "binary", 1e-9),
        (MLPRegressor((5,), max_iter=30, batch_size=1000, shuffle=False, random_state=0, dtype=np.float64,
                      solver="sgd", learning_rate_init=0.01, backend=backend), "reg", 1e-9),
        (MLPRegressor((5,), max_iter=30, batch_size=1000, random_state=0, backend=backend), "reg", 1e-4),
        (StandardScaler(), "scale", 1e-12),
    ]


def _target(task, yr, yc):
    return {"reg": yr, "clf": yc, "binary": (yc > 0).astype(int), "scale": None}[task]


@pytest.mark.filterwarnings("ignore::UserWarning")  # ConvergenceWarning from the short MLP fits
@pytest.mark.parametrize("backend", BACKENDS)
def test_integer_weights_equal_repeated_rows(backend):
    X, yr, yc, w = _prop_data()
    rep = _repeat(w)
    for est, task, rtol in _property_estimators(backend):
        y = _target(task, yr, yc)
        a = mlbasics.model_selection.clone(est).fit(X, y, sample_weight=w)
        b = mlbasics.model_selection.clone(est).fit(X[rep], None if y is None else y[rep])
        _assert_same_fit(a, b, X, rtol, atol=rtol)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("backend", BACKENDS)
def test_zero_weights_equal_dropped_rows(backend):
    X, yr, yc, w = _prop_data(seed=1)
    w = np.where(w == 0, 0.0, np.random.default_rng(3).uniform(0.5, 2.0, len(w)))
    keep = w > 0
    estimators = _property_estimators(backend) + [
        (Perceptron(shuffle=False, backend=backend), "clf", 1e-12),
        (Perceptron(shuffle=False, class_weight={1: 3.0}, backend=backend), "binary", 1e-12),
    ]
    for est, task, rtol in estimators:
        y = _target(task, yr, yc)
        a = mlbasics.model_selection.clone(est).fit(X, y, sample_weight=w)
        b = mlbasics.model_selection.clone(est).fit(X[keep], None if y is None else y[keep], sample_weight=w[keep])
        _assert_same_fit(a, b, X, rtol, atol=rtol)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ridgecv_weights_repeat_and_drop(backend):
    """K-fold with explicit folds (the repeated copies stay in their sample's fold): integer weights
    equal repeated rows, scores included. Leave-one-out leaves a sample out with all its weight, so
    only dropping holds there: the same α and fit, the score scaled by the number of samples."""
    X, yr, _, w = _prop_data(seed=2, n=45)
    alphas = np.logspace(-3, 3, 9)
    folds = np.arange(len(w)) % 3
    rep = _repeat(w)
    a = RidgeCV(alphas=alphas, cv=[(np.flatnonzero(folds != f), np.flatnonzero(folds == f)) for f in range(3)],
                backend=backend).fit(X, yr, sample_weight=w)
    b = RidgeCV(alphas=alphas, cv=[(np.flatnonzero(folds[rep] != f), np.flatnonzero(folds[rep] == f)) for f in range(3)],
                backend=backend).fit(X[rep], yr[rep])
    np.testing.assert_allclose(a.cv_scores_, b.cv_scores_, rtol=1e-9)
    assert a.alpha_ == b.alpha_
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9)
    wf = w.astype(float)
    keep = wf > 0
    a = RidgeCV(alphas=alphas, backend=backend).fit(X, yr, sample_weight=wf)
    b = RidgeCV(alphas=alphas, backend=backend).fit(X[keep], yr[keep], sample_weight=wf[keep])
    assert a.alpha_ == b.alpha_
    np.testing.assert_allclose(a.cv_scores_ * len(wf), b.cv_scores_ * keep.sum(), rtol=1e-8)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("backend", BACKENDS)
def test_mlp_partial_fit_takes_weights(backend):
    X, yr, yc, w = _prop_data(seed=4)
    rep = _repeat(w)
    kw = dict(hidden_layer_sizes=(4,), batch_size=1000, shuffle=False, random_state=0, dtype=np.float64,
              backend=backend)
    a = MLPClassifier(**kw).partial_fit(X, yc, classes=[0, 1, 2], sample_weight=w)
    b = MLPClassifier(**kw).partial_fit(X[rep], yc[rep], classes=[0, 1, 2])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-10)
    a = MLPRegressor(**kw).partial_fit(X, yr, sample_weight=w)
    b = MLPRegressor(**kw).partial_fit(X[rep], yr[rep])
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-10)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_mlp_minibatches_of_zero_weight_are_skipped():
    X, _, yc, _ = _prop_data(seed=5, n=30)
    w = np.ones(30)
    w[:10] = 0.0  # with shuffle=False and batch_size=10 the first batch weighs nothing
    a = MLPClassifier((4,), batch_size=10, shuffle=False, max_iter=5, random_state=0).fit(X, yc, sample_weight=w)
    b = MLPClassifier((4,), batch_size=10, shuffle=False, max_iter=5, random_state=0).fit(X[10:], yc[10:])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5)
    assert a._optimizer.state_dict()["state"][0]["step"] == 5 * 2  # two steps per epoch, not three


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_mlp_early_stopping_scores_the_weighted_validation_part():
    X, yr, yc, w = _prop_data(seed=6, n=80)
    m = MLPClassifier((4,), early_stopping=True, max_iter=8, random_state=0).fit(X, yc, sample_weight=w + 1.0)
    assert len(m.validation_scores_) == m.n_iter_
    m = MLPRegressor((4,), early_stopping=True, max_iter=8, random_state=0).fit(X, yr, sample_weight=w + 1.0)
    assert len(m.validation_scores_) == m.n_iter_


def test_uniform_weights_of_one_are_the_unweighted_fit():
    X, yr, yc, _ = _prop_data(seed=7)
    ones = np.ones(len(yr))
    for est, y in [(LinearRegression(), yr), (Ridge(), yr), (RidgeCV(), yr), (LogisticRegression(tol=1e-10), yc),
                   (StandardScaler(), None), (Perceptron(random_state=0), yc)]:
        a = mlbasics.model_selection.clone(est).fit(X, y)
        b = mlbasics.model_selection.clone(est).fit(X, y, sample_weight=ones)
        _assert_same_fit(a, b, X, rtol=1e-10, atol=1e-12)


# =========================================================================== bad weights

ALL = [LinearRegression(), Ridge(), RidgeCV(), RidgeCV(cv=3), LogisticRegression(), Perceptron(),
       MLPClassifier(max_iter=2), MLPRegressor(max_iter=2), StandardScaler()]
BAD = [([1.0, -1.0, 1.0, 1.0, 1.0, 1.0], ValueError, "sample_weight: expected non-negative weights"),
       (np.zeros(6), ValueError, "sample_weight: all weights are zero"),
       (np.ones(5), ValueError, "sample_weight: expected 6 weights"),
       ([1.0, np.nan, 1.0, 1.0, 1.0, 1.0], ValueError, "sample_weight: contains NaN"),
       ([1.0, np.inf, 1.0, 1.0, 1.0, 1.0], ValueError, "sample_weight: contains NaN or infinity"),
       (np.ones((6, 2)), ValueError, "sample_weight: expected a 1-D array"),
       (["a"] * 6, TypeError, "sample_weight:")]


@pytest.mark.parametrize("est", ALL, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("w,exc,text", BAD, ids=["negative", "all-zero", "length", "nan", "inf", "2-d", "strings"])
def test_bad_sample_weight_names_the_argument(est, w, exc, text):
    X = np.arange(12.0).reshape(6, 2) ** 1.5
    y = np.array([0, 1, 0, 1, 0, 1])
    with pytest.raises(exc, match=text):
        est.fit(X, y, sample_weight=w)


@pytest.mark.parametrize("est", [LogisticRegression(), Perceptron(), MLPClassifier(max_iter=2)],
                         ids=lambda e: type(e).__name__)
def test_one_class_of_positive_weight_is_an_error(est):
    """A zero weight drops a sample; dropping a whole class leaves a one-class problem."""
    X, y = np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 2])
    with pytest.raises(ValueError, match=r"sample_weight: only the class \[1\] has samples of positive weight"):
        est.fit(X, y, sample_weight=[0, 1, 0, 1, 0])


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_callers_weights_are_never_changed():
    X, yr, yc, w = _prop_data(seed=8)
    w = w.astype(np.float64)
    before = w.copy()
    LogisticRegression(class_weight="balanced").fit(X, yc, sample_weight=w)
    Perceptron(class_weight={0: 3.0}).fit(X, yc, sample_weight=w)
    MLPClassifier((3,), max_iter=2, dtype=np.float64).fit(X, yc, sample_weight=w)
    np.testing.assert_array_equal(w, before)


# =========================================================================== cross-validation with weights

@pytest.mark.filterwarnings("ignore::UserWarning")
def test_cross_val_score_passes_sample_weight_to_every_fit():
    from sklearn.model_selection import KFold as SkKFold, cross_val_score as sk_cross_val_score

    X, yr, yc, w = _prop_data(seed=9, n=60)
    w = w.astype(float)
    for est, y in [(Ridge(alpha=0.5), yr), (LogisticRegression(), yc), (MLPRegressor((3,), max_iter=3, random_state=0), yr)]:
        ours = cross_val_score(est, X, y, cv=KFold(3), params={"sample_weight": w})
        theirs = sk_cross_val_score(est, X, y, cv=SkKFold(3), params={"sample_weight": w})
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
        by_hand = [mlbasics.model_selection.clone(est).fit(X[tr], y[tr], sample_weight=w[tr]).score(X[te], y[te])
                   for tr, te in KFold(3).split(X)]
        np.testing.assert_allclose(ours, by_hand, rtol=1e-12)
        unweighted = cross_val_score(est, X, y, cv=KFold(3))
        assert not np.allclose(ours, unweighted)
    with pytest.raises(TypeError, match="params: expected a dict"):
        cross_val_score(Ridge(), X, yr, params=[("sample_weight", w)])
