"""Metrics against scikit-learn on random inputs (integer and string labels) and closed forms."""
import numpy as np
import pytest
import sklearn.metrics as skm

from mlbasics import metrics


def _labels(rng, n, k, strings):
    y = rng.integers(0, k, size=n)
    if strings:
        return np.array(["ant", "bee", "cat", "dog", "eel"])[y]
    return y


@pytest.mark.parametrize("strings", [False, True], ids=["int", "str"])
@pytest.mark.parametrize("seed", range(3))
def test_accuracy_and_confusion_matrix_match_sklearn(seed, strings):
    rng = np.random.default_rng(seed)
    yt, yp = _labels(rng, 60, 4, strings), _labels(rng, 60, 4, strings)
    w = rng.random(60)
    assert metrics.accuracy_score(yt, yp) == pytest.approx(skm.accuracy_score(yt, yp), abs=1e-15)
    assert metrics.accuracy_score(yt, yp, normalize=False) == skm.accuracy_score(yt, yp, normalize=False)
    assert metrics.accuracy_score(yt, yp, sample_weight=w) == pytest.approx(
        skm.accuracy_score(yt, yp, sample_weight=w), rel=1e-12)
    cm = metrics.confusion_matrix(yt, yp)
    np.testing.assert_array_equal(cm, skm.confusion_matrix(yt, yp))
    assert cm.dtype.kind == "i"
    labels = np.unique(yt)[::-1][:3]
    np.testing.assert_array_equal(metrics.confusion_matrix(yt, yp, labels=labels),
                                  skm.confusion_matrix(yt, yp, labels=labels))
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(metrics.confusion_matrix(yt, yp, normalize=normalize, sample_weight=w),
                                   skm.confusion_matrix(yt, yp, normalize=normalize, sample_weight=w),
                                   rtol=1e-12)


def test_confusion_matrix_empty_row_normalizes_to_zero():
    # label 2 never occurs in y_true: its row is all zero, not NaN
    cm = metrics.confusion_matrix([0, 1, 1], [0, 2, 1], normalize="true")
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 0.5, 0.5], [0, 0, 0]])


@pytest.mark.parametrize("func", ["precision_score", "recall_score", "f1_score"])
@pytest.mark.parametrize("average", ["macro", "micro", "weighted", None])
@pytest.mark.parametrize("strings", [False, True], ids=["int", "str"])
def test_prf_multiclass_match_sklearn(func, average, strings):
    rng = np.random.default_rng(7)
    # 5 labels in y_true but only 4 predicted: one label has precision 0/0
    yt = _labels(rng, 80, 5, strings)
    yp = _labels(rng, 80, 4, strings)
    ours, ref = getattr(metrics, func), getattr(skm, func)
    np.testing.assert_allclose(ours(yt, yp, average=average), ref(yt, yp, average=average, zero_division=0.0),
                               rtol=1e-12)
    labels = np.unique(yt)[[4, 0, 2]]
    np.testing.assert_allclose(ours(yt, yp, labels=labels, average=average),
                               ref(yt, yp, labels=labels, average=average, zero_division=0.0), rtol=1e-12)
    w = rng.random(80)
    np.testing.assert_allclose(ours(yt, yp, average=average, sample_weight=w),
                               ref(yt, yp, average=average, sample_weight=w, zero_division=0.0), rtol=1e-12)


@pytest.mark.parametrize("func", ["precision_score", "recall_score", "f1_score"])
def test_prf_binary_match_sklearn(func):
    rng = np.random.default_rng(3)
    ours, ref = getattr(metrics, func), getattr(skm, func)
    for _ in range(5):
        yt, yp = rng.integers(0, 2, 30), rng.integers(0, 2, 30)
        assert ours(yt, yp) == pytest.approx(ref(yt, yp), rel=1e-12)
        assert ours(yt, yp, pos_label=0) == pytest.approx(ref(yt, yp, pos_label=0), rel=1e-12)
    ys, ps = np.array(["no", "yes"])[yt], np.array(["no", "yes"])[yp]
    assert ours(ys, ps, pos_label="yes") == pytest.approx(ref(ys, ps, pos_label="yes"), rel=1e-12)


def test_prf_closed_form_and_zero_division():
    yt = [1, 1, 1, 0, 0]
    yp = [1, 0, 0, 1, 0]  # TP=1, FP=1, FN=2
    assert metrics.precision_score(yt, yp) == pytest.approx(1 / 2)
    assert metrics.recall_score(yt, yp) == pytest.approx(1 / 3)
    assert metrics.f1_score(yt, yp) == pytest.approx(2 * 1 / (2 * 1 + 1 + 2))
    # nothing predicted positive: precision 0/0 → zero_division, no warning (warnings are errors here)
    assert metrics.precision_score([1, 0], [0, 0]) == 0.0
    assert metrics.precision_score([1, 0], [0, 0], zero_division=1.0) == 1.0
    assert np.isnan(metrics.precision_score([1, 0], [0, 0], zero_division=np.nan))


@pytest.mark.parametrize("seed", range(4))
def test_roc_curve_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 50)
    score = np.round(rng.normal(size=50) + y, 1)  # rounding creates ties
    for drop in (True, False):
        for ours, ref in zip(metrics.roc_curve(y, score, drop_intermediate=drop),
                             skm.roc_curve(y, score, drop_intermediate=drop)):
            np.testing.assert_allclose(ours, ref, rtol=1e-14)
    w = rng.random(50)
    for ours, ref in zip(metrics.roc_curve(y, score, sample_weight=w), skm.roc_curve(y, score, sample_weight=w)):
        np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert metrics.roc_auc_score(y, score) == pytest.approx(skm.roc_auc_score(y, score), rel=1e-13)
    assert metrics.roc_auc_score(y, score, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, score, sample_weight=w), rel=1e-12)
    # Mann–Whitney: P(s+ > s−) + ½ P(s+ = s−) over all positive/negative pairs
    pos, neg = score[y == 1], score[y == 0]
    diff = pos[:, None] - neg[None, :]
    mw = (np.sum(diff > 0) + 0.5 * np.sum(diff == 0)) / diff.size
    assert metrics.roc_auc_score(y, score) == pytest.approx(mw, rel=1e-13)


def test_roc_curve_string_labels_and_first_threshold():
    y = np.array(["neg", "pos", "pos", "neg", "pos"])
    s = np.array([0.1, 0.8, 0.4, 0.35, 0.9])
    fpr, tpr, thr = metrics.roc_curve(y, s, pos_label="pos")
    rfpr, rtpr, rthr = skm.roc_curve(y, s, pos_label="pos")
    np.testing.assert_allclose(fpr, rfpr)
    np.testing.assert_allclose(tpr, rtpr)
    np.testing.assert_allclose(thr, rthr)
    assert thr[0] == np.inf and fpr[0] == 0 and tpr[0] == 0 and fpr[-1] == 1 and tpr[-1] == 1
    assert metrics.roc_auc_score(y, s) == pytest.approx(skm.roc_auc_score(y, s))
    with pytest.raises(ValueError, match="pos_label"):
        metrics.roc_curve(y, s)


@pytest.mark.parametrize("multioutput", ["raw_values", "uniform_average", [0.3, 0.7]])
def test_regression_metrics_match_sklearn(multioutput):
    rng = np.random.default_rng(0)
    yt, yp, w = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)), rng.random(40)
    for kw in ({}, {"sample_weight": w}):
        np.testing.assert_allclose(metrics.mean_squared_error(yt, yp, multioutput=multioutput, **kw),
                                   skm.mean_squared_error(yt, yp, multioutput=multioutput, **kw), rtol=1e-13)
        np.testing.assert_allclose(metrics.r2_score(yt, yp, multioutput=multioutput, **kw),
                                   skm.r2_score(yt, yp, multioutput=multioutput, **kw), rtol=1e-13)
    assert metrics.r2_score(yt, yp, multioutput="variance_weighted") == pytest.approx(
        skm.r2_score(yt, yp, multioutput="variance_weighted"), rel=1e-13)
    assert metrics.mean_squared_error(yt[:, 0], yp[:, 0]) == pytest.approx(np.mean((yt[:, 0] - yp[:, 0]) ** 2))


def test_r2_closed_forms():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert metrics.r2_score(y, y) == 1.0
    assert metrics.r2_score(y, np.full(4, y.mean())) == 0.0
    assert metrics.r2_score(y, y + 1) == pytest.approx(1 - 4 / 5)
    # constant y_true: 1 if exact, else 0 (scikit-learn's force_finite)
    assert metrics.r2_score([2.0, 2.0], [2.0, 2.0]) == 1.0
    assert metrics.r2_score([2.0, 2.0], [1.0, 2.0]) == 0.0
    with pytest.warns(metrics.UndefinedMetricWarning):
        assert np.isnan(metrics.r2_score([1.0], [1.0]))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("func", [metrics.accuracy_score, metrics.confusion_matrix, metrics.precision_score,
                                  metrics.mean_squared_error, metrics.r2_score])
def test_length_mismatch_names_y_pred(func):
    with pytest.raises(ValueError, match="y_pred"):
        func([0, 1, 1], [0, 1])


@pytest.mark.parametrize("func", [metrics.accuracy_score, metrics.mean_squared_error, metrics.r2_score])
def test_nan_is_rejected_naming_the_argument(func):
    with pytest.raises(ValueError, match="y_true"):
        func([0.0, np.nan, 1.0], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="y_pred"):
        func([0.0, 1.0, 1.0], [0.0, np.nan, 1.0])


def test_roc_nan_and_length():
    with pytest.raises(ValueError, match="y_score"):
        metrics.roc_curve([0, 1, 1], [0.1, np.nan, 0.3])
    with pytest.raises(ValueError, match="y_score"):
        metrics.roc_auc_score([0, 1, 1], [0.1, 0.3])
    with pytest.raises(ValueError, match="y_true"):
        metrics.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_true"):
        metrics.roc_curve([0, 1, 2], [0.1, 0.2, 0.3])


def test_prf_bad_arguments():
    with pytest.raises(ValueError, match="average"):
        metrics.f1_score([0, 1, 2], [0, 1, 2])  # binary average on 3 classes
    with pytest.raises(ValueError, match="average"):
        metrics.f1_score([0, 1], [0, 1], average="median")
    with pytest.raises(ValueError, match="pos_label"):
        metrics.recall_score(["a", "b"], ["a", "b"])  # default pos_label=1 is not a label
    with pytest.raises(ValueError, match="zero_division"):
        metrics.precision_score([0, 1], [0, 1], zero_division="warn")
    with pytest.raises(ValueError, match="mix"):
        metrics.accuracy_score(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="y_true"):
        metrics.accuracy_score(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="normalize"):
        metrics.confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(ValueError, match="multioutput"):
        metrics.r2_score([1.0, 2.0], [1.0, 2.0], multioutput="median")


def test_estimator_score_uses_these_metrics():
    from mlbasics._base import ClassifierMixin, RegressorMixin

    class Const(ClassifierMixin):
        def predict(self, X):
            return np.array(["a"] * len(X))

    class Ident(RegressorMixin):
        def predict(self, X):
            return np.asarray(X)[:, 0]

    assert Const().score(np.zeros((4, 1)), ["a", "a", "b", "a"]) == 0.75
    X = np.array([[1.0], [2.0], [3.0]])
    assert Ident().score(X, [1.0, 2.0, 4.0]) == pytest.approx(skm.r2_score([1.0, 2.0, 4.0], [1.0, 2.0, 3.0]))
