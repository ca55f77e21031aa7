"""KMeans over row blocks (cluster/_streamed.py): a memory map or a row-sliced array-like X is
read block by block and gives the in-memory fit; k-means|| seeding does not depend on the
blocking. The dask form is in tests/test_dask.py."""
import warnings

import numpy as np
import pytest

from mlbasics import _chunked
from mlbasics.cluster import KMeans
from mlbasics.datasets import make_blobs
from mlbasics.exceptions import ConvergenceWarning


class RowSliced:
    """An array-like with only ``shape``, ``dtype`` and ``__getitem__(slice)`` (as h5py/zarr)."""

    def __init__(self, a):
        self._a, self.shape, self.dtype = a, a.shape, a.dtype
        self.reads = 0

    def __getitem__(self, key):
        assert isinstance(key, slice) and key.step in (None, 1), key
        self.reads += 1
        return self._a[key].copy()


@pytest.fixture(params=[1, 37, None], ids=["1row", "37rows", "default"])
def rows(request, monkeypatch):
    """Blocks of one row, of 37 rows (not a multiple of the kernel's 2048-row chunks) or the default."""
    if request.param is not None:
        monkeypatch.setattr(_chunked, "_BLOCK_BYTES", 8 * 4 * request.param)
    return request.param


def _blobs(n=600, dtype=np.float64):
    X, _ = make_blobs(n_samples=n, centers=4, n_features=4, cluster_std=1.5, random_state=3)
    return (X + 1e3).astype(dtype)  # far from the origin: the fit must centre


def _memmap(tmp_path, X):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_memmap_fit_equals_in_memory_from_the_same_centres(tmp_path, rows, dtype, backend):
    X = _blobs(dtype=dtype)
    init = X[[0, 1, 2, 3]]
    ref = KMeans(4, init=init, n_init=1, tol=0, backend=backend).fit(X)
    est = KMeans(4, init=init, n_init=1, tol=0, backend=backend).fit(_memmap(tmp_path, X))
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=rtol)
    assert est.cluster_centers_.dtype == dtype
    np.testing.assert_array_equal(est.labels_, ref.labels_)
    assert est.n_iter_ == ref.n_iter_ > 1
    np.testing.assert_allclose(est.inertia_, ref.inertia_, rtol=rtol)


def test_row_sliced_array_like_and_random_init_equal_in_memory(rows):
    X = _blobs()
    src = RowSliced(X)
    ref = KMeans(4, init="random", n_init=3, random_state=7).fit(X)
    est = KMeans(4, init="random", n_init=3, random_state=7).fit(src)
    assert src.reads > 0
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(est.labels_, ref.labels_)


def test_kmeans_parallel_does_not_depend_on_the_blocking(monkeypatch):
    X = _blobs(n=900)
    fits = []
    for block in (1, 50, None):
        if block is not None:
            monkeypatch.setattr(_chunked, "_BLOCK_BYTES", 8 * 4 * block)
        fits.append(KMeans(4, init="k-means||", random_state=0).fit(X))
        monkeypatch.undo()
    for f in fits[1:]:
        np.testing.assert_allclose(f.cluster_centers_, fits[0].cluster_centers_, rtol=1e-10)
    # the blobs are found: four clusters of the four generating centres
    assert len(np.unique(fits[0].labels_)) == 4
    other = KMeans(4, init="k-means||", random_state=1).fit(X)
    assert other.inertia_ == pytest.approx(fits[0].inertia_, rel=1e-6)  # the same optimum, another seed


def test_kmeans_parallel_seeding_is_no_worse_than_random_on_average():
    X, _ = make_blobs(n_samples=2000, centers=12, n_features=3, cluster_std=0.4, random_state=0)
    with warnings.catch_warnings():  # one iteration from a poor seed may leave a cluster empty
        warnings.simplefilter("ignore", ConvergenceWarning)
        par = [KMeans(12, init="k-means||", max_iter=1, random_state=s).fit(X).inertia_ for s in range(6)]
        rnd = [KMeans(12, init="random", n_init=1, max_iter=1, random_state=s).fit(X).inertia_ for s in range(6)]
    assert np.mean(par) < np.mean(rnd)


def test_out_of_core_k_means_plus_plus_seeds_by_k_means_parallel(tmp_path):
    X = _blobs()
    a = KMeans(4, random_state=0).fit(_memmap(tmp_path, X))
    b = KMeans(4, init="k-means||", random_state=0).fit(X)
    np.testing.assert_allclose(a.cluster_centers_, b.cluster_centers_, rtol=1e-10)


def test_empty_cluster_is_reseeded_as_in_memory(tmp_path, rows, backend):
    X = _blobs(n=200)
    init = np.vstack([X[:3], [[1e6, 1e6, 1e6, 1e6]]])  # the last centre gets no sample
    ref = KMeans(4, init=init, n_init=1, backend=backend).fit(X)
    est = KMeans(4, init=init, n_init=1, backend=backend).fit(_memmap(tmp_path, X))
    np.testing.assert_allclose(est.cluster_centers_, ref.cluster_centers_, rtol=1e-10)
    np.testing.assert_array_equal(est.labels_, ref.labels_)
    assert np.bincount(est.labels_, minlength=4).min() > 0


def test_streamed_bad_input(tmp_path):
    X = _blobs(n=50)
    bad = X.copy()
    bad[17, 2] = np.nan
    with pytest.raises(ValueError, match=r"X: contains NaN.*index \(17, 2\)"):
        KMeans(3).fit(_memmap(tmp_path, bad))
    with pytest.raises(ValueError, match="n_clusters: expected at most n_samples=50"):
        KMeans(51).fit(RowSliced(X))
    with pytest.raises(ValueError, match="init: expected an array of shape"):
        KMeans(3, init=X[:2]).fit(RowSliced(X))
    with pytest.raises(ValueError, match="init: 'k-means\\|\\|' does not support sample_weight"):
        KMeans(3, init="k-means||").fit(X, sample_weight=np.ones(50))
    est = KMeans(3, init="k-means||", random_state=0).fit(X)
    assert est.predict(X[:5]).shape == (5,)
