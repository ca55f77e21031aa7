"""MLPs trained on X streamed a chunk at a time (a memory map, a row-sliced array-like, a dask
array): chunks and the rows within each in random order per epoch, each chunk read once per epoch
(mlbasics._chunked.ShuffledChunks). Without shuffling the minibatches are those of the in-memory
fit, so the fits are equal."""
import warnings

import numpy as np
import pytest

from mlbasics import _chunked
from mlbasics.exceptions import ConvergenceWarning
from mlbasics.neural_network import MLPClassifier, MLPRegressor


class RowSliced:
    """An array-like with only ``shape``, ``dtype`` and ``__getitem__(slice)`` (as h5py/zarr)."""

    def __init__(self, a):
        self._a, self.shape, self.dtype = a, a.shape, a.dtype
        self.reads = 0

    def __getitem__(self, key):
        assert isinstance(key, slice) and key.step in (None, 1), key
        self.reads += 1
        return self._a[key].copy()


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(params=[7, 50, None], ids=["7rows", "50rows", "one-chunk"])
def chunk_rows(request, monkeypatch):
    if request.param is not None:
        monkeypatch.setattr(_chunked, "_BLOCK_BYTES", 8 * 6 * request.param)
    return request.param


def _data(n=230, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0.5)
    return X, y


def _memmap(tmp_path, X):
    np.save(tmp_path / "X.npy", X)
    return np.load(tmp_path / "X.npy", mmap_mode="r")


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_unshuffled_streamed_fit_equals_in_memory(tmp_path, chunk_rows, Est, backend):
    X, y = _data()
    target = y if Est is MLPClassifier else X[:, :2] @ [1.0, -2.0]
    kw = dict(hidden_layer_sizes=(8,), max_iter=4, shuffle=False, batch_size=16, random_state=0, backend=backend)
    ref = Est(**kw).fit(X, target)
    src = RowSliced(X)
    for data in (_memmap(tmp_path, X), src):
        est = Est(**kw).fit(data, target)
        for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
            np.testing.assert_array_equal(a, b)  # the same minibatches in the same order: bit for bit
        np.testing.assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=1e-12)  # summed per chunk
        if Est is MLPClassifier:
            np.testing.assert_array_equal(est.predict(data), ref.predict(X))
        else:  # predicted by row blocks: a product of fewer rows may round its last bit otherwise
            np.testing.assert_allclose(est.predict(data), ref.predict(X), rtol=1e-5, atol=1e-6)
    assert src.reads > 0


def test_shuffled_epochs_visit_chunks_once_and_learn(chunk_rows):
    X, y = _data(n=400)
    src = RowSliced(X)
    est = MLPClassifier((16,), max_iter=30, batch_size=32, random_state=0).fit(src, y)
    assert est.n_iter_ == 30
    if chunk_rows is not None:  # 30 epochs × one read per chunk, plus the finiteness pass and predict
        assert src.reads <= 32 * (-(-400 // chunk_rows))
    in_memory = MLPClassifier((16,), max_iter=30, batch_size=32, random_state=0).fit(X, y).score(X, y)
    assert est.score(X, y) > in_memory - 0.05  # another shuffle, as good a fit
    again = MLPClassifier((16,), max_iter=30, batch_size=32, random_state=0).fit(RowSliced(X), y)
    np.testing.assert_array_equal(again.coefs_[0], est.coefs_[0])  # seeded: reproducible
    other = MLPClassifier((16,), max_iter=30, batch_size=32, random_state=1).fit(RowSliced(X), y)
    assert not np.array_equal(other.coefs_[0], est.coefs_[0])


def test_epoch_order_keeps_chunks_together(monkeypatch):
    monkeypatch.setattr(_chunked, "_BLOCK_BYTES", 8 * 6 * 10)
    X, _ = _data(n=95)
    chunks = _chunked.ShuffledChunks(_chunked.Rows(X, "X"), np.float64)
    order = chunks.epoch_order(np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(95))
    runs = [int(c) for c in np.asarray([chunks.chunk_of(p) for p in order])]
    changes = sum(a != b for a, b in zip(runs, runs[1:]))
    assert changes == 9  # 10 chunks, each visited in one run
    assert runs != sorted(runs)  # in a random order
    assert np.array_equal(chunks.epoch_order(None), np.arange(95))


def test_early_stopping_and_partial_fit_on_a_memmap(tmp_path, chunk_rows):
    X, y = _data(n=300)
    Xm = _memmap(tmp_path, X)
    kw = dict(hidden_layer_sizes=(16,), max_iter=40, batch_size=16, early_stopping=True, shuffle=False,
              random_state=0)
    ref = MLPClassifier(**kw).fit(X, y)  # the validation rows are held in memory, the rest streamed
    est = MLPClassifier(**kw).fit(Xm, y)
    assert est.validation_scores_ == ref.validation_scores_ and len(est.validation_scores_) == est.n_iter_
    np.testing.assert_array_equal(est.coefs_[0], ref.coefs_[0])
    inc = MLPClassifier((16,), random_state=0)
    for _ in range(3):
        inc.partial_fit(Xm, y, classes=np.unique(y))
    assert inc.n_iter_ == 1 and inc.t_ == 900


def test_streamed_bad_input_leaves_the_model_unfitted(tmp_path):
    X, y = _data(n=60)
    X[41, 3] = np.nan
    est = MLPClassifier((4,), max_iter=2)
    with pytest.raises(ValueError, match=r"X: contains NaN.*index \(41, 3\)"):
        est.fit(_memmap(tmp_path, X), y)
    assert not hasattr(est, "coefs_")
    with pytest.raises(ValueError, match="y"):
        MLPClassifier((4,)).fit(RowSliced(np.zeros((60, 6))), y[:59])


def test_dask_training_and_lazy_predictions():
    da = pytest.importorskip("dask.array")
    dask = pytest.importorskip("dask")
    X, y = _data(n=200)
    ref = MLPClassifier((8,), max_iter=3, shuffle=False, batch_size=20, random_state=0).fit(X, y)
    with dask.config.set(scheduler="synchronous"):
        Xd = da.from_array(X, chunks=(37, 6))
        est = MLPClassifier((8,), max_iter=3, shuffle=False, batch_size=20, random_state=0).fit(Xd, y)
        np.testing.assert_array_equal(est.coefs_[0], ref.coefs_[0])
        proba = est.predict_proba(Xd)
        assert isinstance(proba, da.Array) and proba.shape == (200, 3)
        np.testing.assert_allclose(proba.compute(), ref.predict_proba(X))
        labels = est.predict(Xd)
        assert isinstance(labels, da.Array)
        np.testing.assert_array_equal(labels.compute(), ref.predict(X))
        reg = MLPRegressor((8,), max_iter=2, random_state=0).fit(Xd, X[:, 0])
        assert isinstance(reg.predict(Xd), da.Array) and reg.predict(Xd).shape == (200,)
