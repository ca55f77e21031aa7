"""verbose=True progress (with tqdm and with the plain fallback) and the callback= hook of the
iterative estimators: MLPClassifier/MLPRegressor, LogisticRegression and Perceptron."""
import sys
import warnings

import numpy as np
import pytest
from sklearn.base import clone as sk_clone

from mlbasics._progress import Progress, format_value
from mlbasics.exceptions import ConvergenceWarning
from mlbasics.linear_model import LogisticRegression, Perceptron
from mlbasics.model_selection import clone
from mlbasics.neural_network import MLPClassifier, MLPRegressor


def blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centers = np.array([[0.0, 2.0, 0.0, 1.0], [2.0, 0.0, 1.0, 0.0], [0.0, 0.0, 2.0, 2.0]])
    return centers[y] + 0.6 * rng.standard_normal((n, 4)), y


def binary(n=80, seed=0):
    X, y = blobs(n, seed)
    return X, (y == 0).astype(int)


def mlp(**kw):
    return MLPClassifier(**{"hidden_layer_sizes": (5,), "learning_rate_init": 0.01, "random_state": 0, **kw})


@pytest.fixture(params=["tqdm", "fallback"])
def bar(request, monkeypatch):
    """Run the test with tqdm, then with tqdm made unimportable (the plain one-line fallback)."""
    if request.param == "fallback":
        monkeypatch.setitem(sys.modules, "tqdm", None)
    else:
        pytest.importorskip("tqdm")
    return request.param


class Recorder:
    def __init__(self, stop_at=None):
        self.calls, self.stop_at = [], stop_at

    def __call__(self, epoch, loss, est):
        self.calls.append((epoch, loss))
        return epoch == self.stop_at


# ------------------------------------------------------------------ verbose
def test_mlp_verbose_shows_each_epoch_loss(bar, capsys):
    with pytest.warns(ConvergenceWarning):
        clf = mlp(max_iter=5, verbose=True).fit(*blobs())
    out, err = capsys.readouterr()
    assert out == ""
    assert "5/5" in err and format_value(clf.loss_curve_[-1]) in err
    if bar == "fallback":
        for i, loss in enumerate(clf.loss_curve_, 1):
            assert f"\rMLPClassifier epoch {i}/5 loss {format_value(loss)}" in err
        assert err.endswith("\n") and err.count("\n") == 1
    else:
        assert f"loss={format_value(clf.loss_curve_[-1])}" in err


def test_mlp_verbose_shows_validation_score_and_why_it_stopped(bar, capsys):
    X, y = blobs(90)
    clf = mlp(early_stopping=True, n_iter_no_change=2, max_iter=200, verbose=True).fit(X, y)
    err = capsys.readouterr().err
    assert clf.n_iter_ < 200
    assert format_value(clf.validation_scores_[-1]) in err and format_value(clf.loss_curve_[-1]) in err
    assert f"{clf.n_iter_}/200" in err and "Stopping." in err


def test_regressor_verbose(bar, capsys):
    X, y = blobs()
    with pytest.warns(ConvergenceWarning):
        reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, verbose=True, random_state=0).fit(X, X[:, 0])
    assert format_value(reg.loss_curve_[-1]) in capsys.readouterr().err


def test_mlp_bar_is_closed_when_training_diverges(bar, capsys):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1000, (50, 3))
    reg = MLPRegressor(solver="sgd", learning_rate_init=1e6, max_iter=20, verbose=True, random_state=0)
    with pytest.raises(ValueError, match="learning_rate_init"):
        reg.fit(X, X @ np.array([3.0, -1.0, 2.0]))
    err = capsys.readouterr().err
    assert err == "" or err.endswith("\n")


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
def test_logistic_verbose_shows_the_objective(bar, capsys, solver):
    X, y = binary()
    rec = Recorder()
    est = LogisticRegression(solver=solver, verbose=True, callback=rec).fit(X, y)
    out, err = capsys.readouterr()
    assert out == "" and rec.calls
    assert f"{est.n_iter_[0]}/100" in err and format_value(rec.calls[-1][1]) in err
    if bar == "fallback":
        assert f"LogisticRegression iter {est.n_iter_[0]}/100 loss {format_value(rec.calls[-1][1])}" in err


def test_perceptron_verbose_shows_mistakes(bar, capsys):
    X, y = binary()
    rec = Recorder()
    est = Perceptron(verbose=True, random_state=0, callback=rec).fit(X, y)
    err = capsys.readouterr().err
    assert f"{est.n_iter_}/1000" in err and format_value(rec.calls[-1][1]) in err


def test_verbose_false_prints_nothing(capfd):
    X, y = binary()
    with pytest.warns(ConvergenceWarning):
        mlp(max_iter=3).fit(X, y)
    LogisticRegression().fit(X, y)
    LogisticRegression(solver="gd", callback=Recorder()).fit(X, y)
    Perceptron(random_state=0, callback=Recorder()).fit(X, y)
    assert capfd.readouterr() == ("", "")


def test_progress_fallback_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    with Progress(3, "Demo", True) as p:
        p.update(12.5)
        p.update(0.25, val_score=0.9)
    assert capsys.readouterr().err == ("\rDemo epoch 1/3 loss 12.5" "\rDemo epoch 2/3 loss 0.25 val 0.9\n")
    with Progress(3, "Demo", False) as p:
        p.update(1.0)
        p.write("hidden")
    assert capsys.readouterr() == ("", "")


# ------------------------------------------------------------------ callback
def test_mlp_callback_sees_every_epoch():
    rec = Recorder()
    with pytest.warns(ConvergenceWarning):
        clf = mlp(max_iter=6, callback=rec).fit(*blobs())
    assert [e for e, _ in rec.calls] == [1, 2, 3, 4, 5, 6]
    assert [loss for _, loss in rec.calls] == clf.loss_curve_
    assert clf.stopped_by_callback_ is False


def test_mlp_callback_can_use_the_estimator():
    X, y = blobs()
    scores = []
    with pytest.warns(ConvergenceWarning):
        mlp(max_iter=4, callback=lambda e, loss, est: scores.append(est.score(X, y))).fit(X, y)
    assert len(scores) == 4 and all(0 <= s <= 1 for s in scores)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_mlp_callback_stops_training(early_stopping):
    X, y = blobs(90)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in particular no ConvergenceWarning
        clf = mlp(max_iter=3, early_stopping=early_stopping, callback=Recorder(stop_at=3)).fit(X, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3 and clf.stopped_by_callback_
    assert clf.predict(X).shape == y.shape
    clf.set_params(max_iter=200, callback=lambda epoch, loss, est: epoch >= 2).fit(X, y)
    assert clf.n_iter_ == 2


def test_mlp_callback_exception_propagates():
    X, y = blobs()

    def boom(epoch, loss, est):
        if epoch == 2:
            raise RuntimeError("stop here")

    clf = mlp(max_iter=10, callback=boom)
    with pytest.raises(RuntimeError, match="stop here"):
        clf.fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2  # the weights of the last completed epoch
    assert clf.predict(X).shape == y.shape


@pytest.mark.parametrize("solver", ["lbfgs", "newton", "gd"])
def test_logistic_callback(solver):
    X, y = blobs()
    rec = Recorder()
    est = LogisticRegression(solver=solver, callback=rec).fit(X, y)
    assert [i for i, _ in rec.calls] == list(range(1, est.n_iter_[0] + 1))
    assert all(np.isfinite(f) for _, f in rec.calls) and rec.calls[-1][1] <= rec.calls[0][1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stopped = LogisticRegression(solver=solver, callback=Recorder(stop_at=3)).fit(X, y)
    assert stopped.n_iter_[0] == 3 and stopped.stopped_by_callback_
    assert stopped.predict(X).shape == y.shape and not np.array_equal(stopped.coef_, est.coef_)
    with pytest.raises(ZeroDivisionError):
        LogisticRegression(solver=solver, callback=lambda i, f, e: 1 / 0).fit(X, y)


def test_perceptron_callback():
    X, y = blobs()
    rec = Recorder()
    est = Perceptron(random_state=0, callback=rec).fit(X, y)
    assert [e for e, _ in rec.calls] == list(range(1, est.n_iter_ + 1))
    assert all(isinstance(m, int) and m >= 0 for _, m in rec.calls)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stopped = Perceptron(random_state=0, max_iter=3, tol=None, callback=Recorder(stop_at=3)).fit(X, y)
    assert stopped.n_iter_ == 3 and stopped.stopped_by_callback_ and stopped.predict(X).shape == y.shape
    with pytest.raises(KeyError):
        Perceptron(callback=lambda e, m, est: {}["x"]).fit(X, y)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor, LogisticRegression, Perceptron])
def test_callback_must_be_callable(cls):
    X, y = blobs(30)
    with pytest.raises(TypeError, match="callback"):
        cls(callback="print").fit(X, y)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor, LogisticRegression, Perceptron])
def test_callback_is_a_parameter(cls):
    rec = Recorder()
    est = cls(callback=rec, verbose=True)
    assert est.get_params()["callback"] is rec and est.get_params()["verbose"] is True
    assert cls().get_params()["callback"] is None
    for c in (clone(est), sk_clone(est)):
        assert c.get_params()["verbose"] is True and callable(c.get_params()["callback"])
    f = print  # a plain function is kept as is by deep copies
    assert clone(cls(callback=f)).callback is f and sk_clone(cls(callback=f)).callback is f
