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


# ---------------------------------------------------------------- clustering
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import sklearn.metrics.cluster as skc  # noqa: E402

_PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                     suppress_health_check=[HealthCheck.too_slow])


def _labelings(n, kind):
    """Adversarial and random labelings of n samples (k distinct labels or fewer)."""
    rng = np.random.default_rng(n)
    return {
        "one-cluster": np.zeros(n, dtype=int),
        "singletons": np.arange(n),
        "two": np.arange(n) % 2,
        "one-apart": (np.arange(n) == 0).astype(int),
        "random3": rng.integers(0, 3, n),
        "random-many": rng.integers(0, max(1, n // 2), n),
        "reversed-singletons": np.arange(n)[::-1],
    }[kind]


_KINDS = ("one-cluster", "singletons", "two", "one-apart", "random3", "random-many", "reversed-singletons")


@pytest.mark.parametrize("n", [1, 2, 3, 10, 57])
@pytest.mark.parametrize("kind_true", _KINDS)
@pytest.mark.parametrize("kind_pred", _KINDS)
def test_adjusted_rand_score_matches_sklearn_on_adversarial_labelings(n, kind_true, kind_pred):
    yt, yp = _labelings(n, kind_true), _labelings(n, kind_pred)
    ours = metrics.adjusted_rand_score(yt, yp)
    assert type(ours) is float
    assert ours == pytest.approx(skm.adjusted_rand_score(yt, yp), abs=1e-12)
    assert metrics.adjusted_rand_score(yp, yt) == pytest.approx(ours, abs=1e-15)  # symmetric


def test_adjusted_rand_score_special_cases():
    for n in (1, 2, 5):
        assert metrics.adjusted_rand_score([0] * n, [7] * n) == 1.0  # both one cluster
        assert metrics.adjusted_rand_score(range(n), range(n, 2 * n)) == 1.0  # both all singletons
    assert metrics.adjusted_rand_score([0] * 4, [0, 1, 2, 3]) == 0.0  # one cluster vs singletons
    assert metrics.adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5
    # renaming the clusters, and labels of another kind, change nothing
    assert metrics.adjusted_rand_score([0, 0, 1, 2], ["x", "x", "b", "a"]) == 1.0
    assert metrics.adjusted_rand_score(np.array([0.5, 0.5, 2.0]), [True, True, False]) == 1.0


@_PROPERTY
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(-3, 3)), min_size=1, max_size=80))
def test_adjusted_rand_score_matches_sklearn_on_random_labelings(pairs):
    yt = np.array([p[0] for p in pairs])
    yp = np.array([p[1] for p in pairs])
    assert metrics.adjusted_rand_score(yt, yp) == pytest.approx(skm.adjusted_rand_score(yt, yp), abs=1e-12)
    names = np.array(["a", "b", "c", "d", "e", "f", "g"])[yt]  # strings against ints
    assert metrics.adjusted_rand_score(names, yp) == pytest.approx(skm.adjusted_rand_score(yt, yp), abs=1e-12)


def test_adjusted_rand_score_large_n_is_exact():
    rng = np.random.default_rng(0)
    n = 300_000
    yt, yp = rng.integers(0, 5, n), rng.integers(0, 2000, n)
    assert metrics.adjusted_rand_score(yt, yp) == pytest.approx(skm.adjusted_rand_score(yt, yp), abs=1e-12)
    yp = np.where(rng.random(n) < 0.9, yt, rng.integers(0, 5, n))  # mostly right
    assert metrics.adjusted_rand_score(yt, yp) == pytest.approx(skm.adjusted_rand_score(yt, yp), abs=1e-12)
    # the pair counts never overflow: past int64 the squares are summed as Python integers
    big = np.array([2 ** 32, 2 ** 32, 1], dtype=np.int64)
    assert metrics._sum_of_squares(big, 2 ** 33 + 1) == 2 * 2 ** 64 + 1
    assert metrics._sum_of_squares(np.array([3, 4]), 7) == 25


def _silhouette_pair(X, labels, **kw):
    return metrics.silhouette_samples(X, labels, **kw), skc.silhouette_samples(X, labels, **kw)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("n, d, k", [(3, 1, 2), (10, 2, 3), (60, 5, 4), (200, 3, 150), (150, 8, 2)])
def test_silhouette_matches_sklearn(seed, n, d, k):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + rng.integers(-3, 3, size=(n, 1))
    labels = np.concatenate([np.arange(k), rng.integers(0, k, n - k)])  # k labels, some singletons
    rng.shuffle(labels)
    ours, ref = _silhouette_pair(X, labels)
    assert ours.dtype == np.float64 and ours.shape == (n,)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    assert metrics.silhouette_score(X, labels) == pytest.approx(skm.silhouette_score(X, labels), abs=1e-12)
    D = skm.pairwise_distances(X, metric="manhattan")
    ours, ref = _silhouette_pair(D, labels, metric="precomputed")
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    names = np.array([f"cluster {c}" for c in labels])
    np.testing.assert_allclose(metrics.silhouette_samples(X, names), skc.silhouette_samples(X, labels),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind, n", [(kind, n) for kind in _KINDS for n in (3, 4, 25)
                                     if 2 <= np.unique(_labelings(n, kind)).shape[0] <= n - 1])
def test_silhouette_matches_sklearn_on_adversarial_labelings(kind, n):
    labels = _labelings(n, kind)
    rng = np.random.default_rng(n)
    # integer coordinates: every squared distance is exact in both implementations, ties included
    X = rng.integers(-2, 3, size=(n, 2)).astype(float)
    ours, ref = _silhouette_pair(X, labels)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def _exact_distances(X):
    """Euclidean distances from the differences: no cancellation, unlike ‖x‖² + ‖y‖² − 2 x·y."""
    diff = X[:, None, :] - X[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


@_PROPERTY
@given(st.integers(3, 40), st.integers(1, 4), st.integers(0, 2 ** 32 - 1), st.booleans())
def test_silhouette_matches_sklearn_on_random_input(n, d, seed, duplicates):
    """Against scikit-learn's silhouette of the exact distances: its own Euclidean distances come
    from ‖x‖² + ‖y‖² − 2 x·y, which loses digits for close pairs (seen: 1.6e-11 off for a pair
    6e-6 apart, where ours was within 8e-16 of the exact value)."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, n))
    labels = rng.integers(0, k, n)
    labels[:3] = [0, 1, 1]  # 2 to n − 1 distinct labels
    X = rng.integers(-3, 4, size=(n, d)).astype(float) if duplicates else rng.normal(size=(n, d))
    ours = metrics.silhouette_samples(X, labels)
    ref = skc.silhouette_samples(_exact_distances(X), labels, metric="precomputed")
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    assert np.all(np.abs(ours) <= 1.0)


def test_silhouette_closed_forms_and_exact_zeros():
    # sample 0: a = 1, b = mean(5, 7) = 6 → 5/6; sample 2: a = 2, b = mean(5, 4) = 4.5 → 2.5/4.5
    s = metrics.silhouette_samples([[0.0], [1.0], [5.0], [7.0]], [0, 0, 1, 1])
    np.testing.assert_allclose(s, [5 / 6, 4 / 5, 2.5 / 4.5, 1 - 2 / 6.5], rtol=1e-15)
    # a sample alone in its cluster scores 0
    s = metrics.silhouette_samples([[0.0], [1.0], [10.0]], [0, 0, 1])
    assert s[2] == 0.0
    # duplicated, non-representable points: a = 0 exactly, so s = 1 exactly (the distances of a
    # point to itself and to its copies are 0, not the rounding noise of ‖x‖² + ‖y‖² − 2 x·y)
    X = np.array([[0.1, 0.7, 1e3 / 3]] * 3 + [[3.3, 1.9, -2 / 7]] * 4)
    assert metrics.silhouette_score(X, [0, 0, 0, 1, 1, 1, 1]) == 1.0
    # all points equal: a = b = 0 gives 0, as scikit-learn
    np.testing.assert_array_equal(metrics.silhouette_samples(np.ones((4, 2)), [0, 0, 1, 1]), 0.0)


def test_silhouette_is_translation_invariant_to_the_last_digits():
    rng = np.random.default_rng(0)
    X, labels = rng.normal(size=(80, 3)), rng.integers(0, 3, 80)
    base = metrics.silhouette_samples(X, labels)
    # far from the origin ‖x‖² + ‖y‖² − 2 x·y loses 12 digits; X is centred first
    np.testing.assert_allclose(metrics.silhouette_samples(X + 1e6, labels), base, rtol=0, atol=1e-9)
    np.testing.assert_allclose(metrics.silhouette_samples(X[::-1] * 4.0, labels[::-1]), base[::-1], atol=1e-14)


def test_silhouette_does_not_depend_on_the_block_size(monkeypatch):
    rng = np.random.default_rng(1)
    X, labels = rng.normal(size=(97, 4)), rng.integers(0, 5, 97)
    X[10] = X[11]  # a duplicate pair, recomputed exactly in whichever block it falls
    D = skm.pairwise_distances(X)
    full = metrics.silhouette_samples(X, labels)
    full_pre = metrics.silhouette_samples(D, labels, metric="precomputed")
    for entries in (1, 97 * 7, 97 * 96):  # one row per block, 7 rows, a last block of one row
        monkeypatch.setattr(metrics, "_BLOCK_ENTRIES", entries)
        np.testing.assert_allclose(metrics.silhouette_samples(X, labels), full, rtol=0, atol=1e-15)
        np.testing.assert_allclose(metrics.silhouette_samples(D, labels, metric="precomputed"), full_pre,
                                   rtol=0, atol=1e-15)


def test_silhouette_input_kinds():
    rng = np.random.default_rng(2)
    X, labels = rng.normal(size=(30, 3)), rng.integers(0, 3, 30)
    ref = metrics.silhouette_samples(X, labels)
    X32 = X.astype(np.float32)
    np.testing.assert_allclose(metrics.silhouette_samples(X32, labels),
                               metrics.silhouette_samples(X32.astype(np.float64), labels), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(metrics.silhouette_samples(X.tolist(), labels.tolist()), ref)
    np.testing.assert_array_equal(metrics.silhouette_samples(np.asfortranarray(X), labels), ref)
    D = skm.pairwise_distances(X).astype(np.float32)  # its diagonal within float32's tolerance
    assert metrics.silhouette_score(D, labels, metric="precomputed") == pytest.approx(
        skm.silhouette_score(D, labels, metric="precomputed"), abs=1e-6)


def test_silhouette_score_sample_size():
    rng = np.random.default_rng(3)
    X, labels = rng.normal(size=(120, 2)), rng.integers(0, 4, 120)
    full = metrics.silhouette_score(X, labels)
    for size in (120, 500):  # all the samples, in some order
        assert metrics.silhouette_score(X, labels, sample_size=size, random_state=0) == pytest.approx(full, abs=1e-14)
    a = metrics.silhouette_score(X, labels, sample_size=40, random_state=5)
    assert a == metrics.silhouette_score(X, labels, sample_size=40, random_state=5)
    assert a != metrics.silhouette_score(X, labels, sample_size=40, random_state=6)
    assert a == metrics.silhouette_score(X, labels, sample_size=40, random_state=np.random.default_rng(5))
    keep = np.random.default_rng(5).permutation(120)[:40]  # the subset: drawn without replacement
    assert a == pytest.approx(skm.silhouette_score(X[keep], labels[keep]), abs=1e-12)
    D = skm.pairwise_distances(X)
    assert metrics.silhouette_score(D, labels, metric="precomputed", sample_size=40, random_state=5) == \
        pytest.approx(a, abs=1e-12)
    assert metrics.silhouette_score(X, labels, random_state=123) == full  # ignored without sample_size


def test_clustering_metrics_accept_the_generators():
    from mlbasics.datasets import make_blobs

    X, y = make_blobs(300, centers=[[0, 0], [8, 0], [0, 8]], random_state=0)
    assert metrics.silhouette_score(X, y) > 0.7
    assert metrics.adjusted_rand_score(y, y) == 1.0


_X4 = np.array([[0.0], [1.0], [5.0], [7.0]])
_D4 = skm.pairwise_distances(_X4)


@pytest.mark.parametrize("func, args, kwargs, exc, text", [
    (metrics.adjusted_rand_score, ([0, 1, 1], [0, 1]), {}, ValueError, "labels_pred:"),
    (metrics.adjusted_rand_score, ([], []), {}, ValueError, "labels_true:"),
    (metrics.adjusted_rand_score, ([0.0, np.nan], [0, 1]), {}, ValueError, "labels_true:"),
    (metrics.adjusted_rand_score, ([0, 1], [None, 1]), {}, ValueError, "labels_pred:"),
    (metrics.adjusted_rand_score, (np.zeros((2, 2)), [0, 1]), {}, ValueError, "labels_true:"),
    (metrics.adjusted_rand_score, ([0, 1], np.array(["a", 1], dtype=object)), {}, TypeError, "labels_pred:"),
    (metrics.silhouette_samples, (_X4, [0, 0, 0, 0]), {}, ValueError, "labels:"),
    (metrics.silhouette_samples, (_X4, [0, 1, 2, 3]), {}, ValueError, "labels:"),
    (metrics.silhouette_score, (_X4[:2], [0, 1]), {}, ValueError, "labels:"),
    (metrics.silhouette_score, (_X4, [0, 1, 1]), {}, ValueError, "labels:"),
    (metrics.silhouette_score, (_X4, [0, 1, np.nan, 1]), {}, ValueError, "labels:"),
    (metrics.silhouette_score, (_X4[:, 0], [0, 1, 1, 0]), {}, ValueError, "X:"),
    (metrics.silhouette_score, (np.array([[0.0], [np.inf], [1.0], [2.0]]), [0, 1, 1, 0]), {}, ValueError, "X:"),
    (metrics.silhouette_score, (np.array([["a"], ["b"], ["c"], ["d"]]), [0, 1, 1, 0]), {}, TypeError, "X:"),
    (metrics.silhouette_score, (_X4, [0, 0, 1, 1]), {"metric": "manhattan"}, ValueError, "metric:"),
    (metrics.silhouette_score, (_X4, [0, 0, 1, 1]), {"metric": None}, TypeError, "metric:"),
    (metrics.silhouette_samples, (_X4, [0, 0, 1, 1]), {"metric": "cosine"}, ValueError, "metric:"),
    (metrics.silhouette_score, (_D4[:, :3], [0, 0, 1, 1]), {"metric": "precomputed"}, ValueError, "X:"),
    (metrics.silhouette_score, (-_D4, [0, 0, 1, 1]), {"metric": "precomputed"}, ValueError, "X:"),
    (metrics.silhouette_samples, (_D4 + 1.0, [0, 0, 1, 1]), {"metric": "precomputed"}, ValueError, "X:"),
    (metrics.silhouette_score, (_X4, [0, 0, 1, 1]), {"sample_size": 0}, ValueError, "sample_size:"),
    (metrics.silhouette_score, (_X4, [0, 0, 1, 1]), {"sample_size": 2.0}, TypeError, "sample_size:"),
    (metrics.silhouette_score, (_X4, [0, 0, 1, 1]), {"sample_size": 1, "random_state": 0}, ValueError, "labels:"),
    (metrics.silhouette_score, (_X4, [0, 0, 1, 1]), {"sample_size": 3, "random_state": -1}, ValueError,
     "random_state:"),
    (metrics.silhouette_score, (_X4, [0, 0, 1, 1]), {"random_state": "seed"}, TypeError, "random_state:"),
])
def test_clustering_metrics_bad_input(func, args, kwargs, exc, text):
    with pytest.raises(exc) as info:
        func(*args, **kwargs)
    assert str(info.value).startswith(text), str(info.value)


def test_silhouette_label_count_message():
    with pytest.raises(ValueError, match=r"labels: the silhouette needs 2 to n_samples - 1 = 3 distinct labels, "
                                         r"got 1 label\(s\) in 4 sample\(s\)"):
        metrics.silhouette_score(_X4, ["a"] * 4)
    with pytest.raises(ValueError, match="sample_size=2"):
        metrics.silhouette_score(_X4, [0, 0, 1, 1], sample_size=2, random_state=0)
