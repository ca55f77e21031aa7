"""Splitters, cross_val_score, clone and train_test_split."""
import numpy as np
import pytest
import sklearn.model_selection as skms
from sklearn.linear_model import LogisticRegression as SkLogisticRegression, Ridge as SkRidge
from sklearn.metrics import mean_squared_error as sk_mse

from mlbasics.model_selection import KFold, StratifiedKFold, clone, cross_val_score, train_test_split


@pytest.mark.parametrize("n, k", [(10, 2), (10, 3), (17, 5), (5, 5), (100, 7)])
def test_kfold_matches_sklearn_unshuffled(n, k):
    X = np.zeros((n, 2))
    ours = list(KFold(k).split(X))
    ref = list(skms.KFold(k).split(X))
    assert len(ours) == k == KFold(k).get_n_splits()
    for (tr, te), (rtr, rte) in zip(ours, ref):
        np.testing.assert_array_equal(tr, rtr)
        np.testing.assert_array_equal(te, rte)


def test_kfold_shuffle_partitions_and_is_reproducible():
    X = np.zeros((23, 1))
    folds = [te for _, te in KFold(4, shuffle=True, random_state=0).split(X)]
    np.testing.assert_array_equal(np.sort(np.concatenate(folds)), np.arange(23))
    assert sorted(len(f) for f in folds) == [5, 6, 6, 6]
    again = [te for _, te in KFold(4, shuffle=True, random_state=0).split(X)]
    assert all(np.array_equal(a, b) for a, b in zip(folds, again))
    other = [te for _, te in KFold(4, shuffle=True, random_state=1).split(X)]
    assert not all(np.array_equal(a, b) for a, b in zip(folds, other))
    assert not np.array_equal(np.concatenate(folds), np.arange(23))


@pytest.mark.parametrize("shuffle", [False, True])
def test_stratified_kfold_keeps_proportions(shuffle):
    rng = np.random.default_rng(0)
    y = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 13)
    rng.shuffle(y)
    X = np.zeros((y.size, 1))
    cv = StratifiedKFold(5, shuffle=shuffle, random_state=0 if shuffle else None)
    seen = []
    for train, test in cv.split(X, y):
        assert np.intersect1d(train, test).size == 0 and train.size + test.size == y.size
        for label, total in (("a", 50), ("b", 30), ("c", 13)):
            count = np.sum(y[test] == label)
            assert total // 5 <= count <= -(-total // 5)  # ⌊N_c/K⌋ or ⌈N_c/K⌉
        seen.append(test)
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.arange(y.size))
    sizes = [len(t) for t in seen]
    assert max(sizes) - min(sizes) <= 1


def test_splitter_errors():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="n_splits"):
        list(KFold(5).split(X))
    with pytest.raises(ValueError, match="n_splits"):
        list(KFold(1).split(X))
    with pytest.raises(TypeError, match="n_splits"):
        list(KFold(2.0).split(X))
    with pytest.raises(ValueError, match="random_state"):
        list(KFold(2, random_state=0).split(X))
    with pytest.raises(ValueError, match="y"):
        list(StratifiedKFold(2).split(X))
    with pytest.raises(ValueError, match="n_splits"):
        list(StratifiedKFold(3).split(X, [0, 0, 1, 1]))
    with pytest.warns(UserWarning, match="least populated"):
        list(StratifiedKFold(2).split(np.zeros((5, 1)), [0, 0, 0, 0, 1]))


# ---------------------------------------------------------------- cross_val_score
def _regression(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, X @ [1.0, -2.0, 0.5] + 0.3 * rng.normal(size=n)


def test_cross_val_score_matches_sklearn_and_a_manual_loop():
    X, y = _regression()
    ours = cross_val_score(SkRidge(alpha=2.0), X, y, cv=4)
    np.testing.assert_allclose(ours, skms.cross_val_score(SkRidge(alpha=2.0), X, y, cv=4), rtol=1e-12)
    mse = cross_val_score(SkRidge(alpha=2.0), X, y, cv=KFold(4), scoring="neg_mean_squared_error")
    manual = [-sk_mse(y[te], SkRidge(alpha=2.0).fit(X[tr], y[tr]).predict(X[te])) for tr, te in KFold(4).split(X)]
    np.testing.assert_allclose(mse, manual, rtol=1e-12)
    custom = cross_val_score(SkRidge(), X, y, cv=3, scoring=lambda est, Xt, yt: float(len(yt)))
    np.testing.assert_array_equal(custom, [20.0, 20.0, 20.0])
    assert cross_val_score(SkRidge(), X, y, cv=3, scoring="r2").shape == (3,)


def test_cross_val_score_stratifies_classifiers():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2))
    y = np.array(["x"] * 30 + ["y"] * 10)  # sorted: unstratified K-fold would give one-class training sets
    X[y == "y"] += 3
    seen = []

    def scorer(est, Xt, yt):
        seen.append(np.sum(yt == "y"))
        return float(np.mean(est.predict(Xt) == yt))

    scores = cross_val_score(SkLogisticRegression(), X, y, cv=5, scoring=scorer)
    assert seen == [2] * 5
    np.testing.assert_allclose(scores, skms.cross_val_score(SkLogisticRegression(), X, y,
                                                            cv=skms.StratifiedKFold(5), scoring="accuracy"))
    acc = cross_val_score(SkLogisticRegression(), X, y, cv=5, scoring="accuracy")
    np.testing.assert_allclose(acc, scores)


def test_cross_val_score_clones_and_errors():
    X, y = _regression()
    est = SkRidge()
    cross_val_score(est, X, y, cv=3)
    assert not hasattr(est, "coef_")  # the original is never fitted
    with pytest.raises(ValueError, match="scoring"):
        cross_val_score(est, X, y, scoring="auc")
    with pytest.raises(TypeError, match="cv"):
        cross_val_score(est, X, y, cv="five")
    with pytest.raises(ValueError, match="y"):
        cross_val_score(est, X, y[:-1])
    with pytest.raises(TypeError, match="estimator"):
        cross_val_score(object(), X, y)


def test_clone_deep_copies_parameters():
    alphas = [0.1, 1.0]
    from mlbasics.linear_model import RidgeCV

    est = RidgeCV(alphas=alphas)
    c = clone(est)
    assert type(c) is RidgeCV and c.get_params() == est.get_params()
    assert c.alphas is not alphas
    c.alphas.append(5.0)
    assert alphas == [0.1, 1.0]


# ---------------------------------------------------------------- train_test_split
@pytest.mark.parametrize("n, test_size, train_size", [(100, None, None), (10, 0.33, None), (10, None, 0.66),
                                                      (50, 7, None), (50, 0.2, 0.5), (7, None, 3)])
def test_train_test_split_sizes_match_sklearn(n, test_size, train_size):
    X = np.arange(2 * n).reshape(n, 2)
    y = np.arange(n)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, train_size=train_size, random_state=0)
    rXtr, rXte = skms.train_test_split(X, test_size=test_size, train_size=train_size, random_state=0)
    assert Xtr.shape == rXtr.shape and Xte.shape == rXte.shape
    np.testing.assert_array_equal(Xtr[:, 0] // 2, ytr)  # the same rows for every array
    np.testing.assert_array_equal(Xte[:, 0] // 2, yte)
    assert np.intersect1d(ytr, yte).size == 0


def test_train_test_split_options():
    y = np.arange(10)
    tr, te = train_test_split(y, shuffle=False, test_size=3)
    np.testing.assert_array_equal(tr, np.arange(7))
    np.testing.assert_array_equal(te, [7, 8, 9])
    a = train_test_split(y, random_state=4)
    b = train_test_split(y, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    lst_tr, lst_te = train_test_split(list("abcdefgh"), random_state=0)
    assert isinstance(lst_tr, list) and len(lst_tr) == 6 and len(lst_te) == 2
    labels = np.array([0] * 80 + [1] * 20)
    _, _, ytr, yte = train_test_split(np.zeros((100, 1)), labels, test_size=0.25, stratify=labels, random_state=0)
    assert np.sum(yte == 1) == 5 and np.sum(ytr == 1) == 15 and yte.size == 25


def test_train_test_split_errors():
    y = np.arange(10)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(y, test_size=1.5)
    with pytest.raises(ValueError, match="test_size"):
        train_test_split(y, test_size=10)
    with pytest.raises(TypeError, match="test_size"):
        train_test_split(y, test_size="half")
    with pytest.raises(ValueError, match="train_size"):
        train_test_split(y, test_size=0.5, train_size=0.6)
    with pytest.raises(ValueError, match=r"arrays\[1\]"):
        train_test_split(y, y[:-1])
    with pytest.raises(ValueError, match="stratify"):
        train_test_split(y, stratify=y % 2, shuffle=False)
    with pytest.raises(ValueError, match="stratify"):
        train_test_split(y, stratify=[0] * 9 + [1])
    with pytest.raises(ValueError, match="arrays"):
        train_test_split()
