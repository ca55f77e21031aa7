"""Fits that stream row blocks of X (mlbasics/_chunked.py): equal to the in-memory formulas on every
block size (1 row, uneven, one block), on ndarrays, memmaps and row-sliced array-likes; accurate
on large means and ill-conditioned data; the errors of check_array; and the memory they save."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.linalg
import sklearn.decomposition as skd
import sklearn.linear_model as skl
import sklearn.preprocessing as skp

from mlbasics import _chunked
from mlbasics.decomposition import PCA
from mlbasics.linear_model import LinearRegression, Ridge, RidgeCV
from mlbasics.model_selection import KFold
from mlbasics.preprocessing import StandardScaler


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


class RowSliced:
    """An array-like with only ``shape``, ``dtype`` and ``__getitem__(slice)`` (as h5py/zarr):
    each read returns a fresh copy of the rows, and reads are counted."""

    def __init__(self, a):
        self._a = a
        self.shape = a.shape
        self.dtype = a.dtype
        self.reads = 0

    def __getitem__(self, key):
        assert isinstance(key, slice) and key.step in (None, 1), key
        self.reads += 1
        return self._a[key].copy()


# block sizes: one row per block, an uneven 7-row block, the default (one block here)
BLOCKS = {"1row": 1, "7rows": None, "default": _chunked._BLOCK_BYTES}


@pytest.fixture(params=sorted(BLOCKS))
def block(request, monkeypatch):
    size = BLOCKS[request.param]
    if size is None:  # 7 rows of the widest [X | Y] used below (p + T ≤ 8): 7 rows for q = 8
        size = 7 * 8 * 8
    monkeypatch.setattr(_chunked, "_BLOCK_BYTES", size)
    return request.param


def _data(n=83, p=5, t=None, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3, size=p) + rng.normal(size=p) + offset
    w = rng.normal(size=(p,) if t is None else (p, t))
    return X, (X - offset) @ w + 1.5 + 0.1 * rng.normal(size=n if t is None else (n, t))


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


def _ols(X, Y, fit_intercept=True, alpha=0.0):
    """The in-memory formulas: centre a float64 copy, then solve."""
    X, Y = np.asarray(X, np.float64), np.asarray(Y, np.float64).reshape(len(X), -1)
    xm, ym = (X.mean(0), Y.mean(0)) if fit_intercept else (np.zeros(X.shape[1]), np.zeros(Y.shape[1]))
    Xc, Yc = X - xm, Y - ym
    if alpha:
        W = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ Yc)
    else:
        W = np.linalg.lstsq(Xc, Yc, rcond=None)[0]
    return W.T, ym - xm @ W


# ------------------------------------------------------------------ statistics
def test_merge_equals_the_moments_of_the_union():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(50, 4)) * 3 + 1e5
    parts = np.split(A, [1, 2, 20, 21, 49])
    stats = [_chunked.block_moments([P], ["X"], _backend()) for P in parts]
    m = _chunked.merge_all(stats)
    Ac = A - A.mean(0)
    assert m.n == 50
    np.testing.assert_allclose(m.mean, A.mean(0), rtol=1e-15)
    np.testing.assert_allclose(m.M, Ac.T @ Ac, rtol=1e-9)
    seq = stats[0]
    for s in stats[1:]:
        seq = _chunked.merge(seq, s)
    np.testing.assert_allclose(seq.M, m.M, rtol=1e-9)


def _backend():
    from mlbasics.backends import get_backend

    return get_backend("numpy")


def test_kfold_bounds_are_kfold_test_sets():
    for n, k in [(10, 3), (11, 5), (5, 5), (101, 7)]:
        b = _chunked.kfold_bounds(n, k)
        tests = [t.tolist() for _, t in KFold(k).split(np.zeros((n, 1)))]
        assert tests == [list(range(b[i], b[i + 1])) for i in range(k)]


# -------------------------------------------------------- equal to the in-memory formulas
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("t", [None, 3])
def test_linear_regression_and_ridge(block, fit_intercept, t):
    X, y = _data(t=t)
    W, b = _ols(X, y, fit_intercept)
    est = LinearRegression(fit_intercept=fit_intercept).fit(X, y)
    assert est.solver_ == "normal"
    assert _rel(est.coef_, W[0] if t is None else W) < 1e-10
    assert _rel(np.atleast_1d(est.intercept_), b) < 1e-10 or not fit_intercept
    Wr, br = _ols(X, y, fit_intercept, alpha=2.5)
    r = Ridge(alpha=2.5, fit_intercept=fit_intercept).fit(X, y)
    assert _rel(r.coef_, Wr[0] if t is None else Wr) < 1e-10
    assert np.shape(r.intercept_) == (() if t is None else (3,))


@pytest.mark.parametrize("solver", ["auto", "lstsq"])
def test_ill_conditioned_and_rank_deficient_use_blocked_qr(block, solver):
    rng = np.random.default_rng(3)
    X, y = _data(n=120, p=4)
    Xi = np.column_stack([X, X[:, 0] + 1e-9 * rng.normal(size=120)])  # cond(XᵀX) ~ 1e20
    est = LinearRegression(solver=solver).fit(Xi, y)
    assert est.solver_ == "lstsq"
    W, b = _ols(Xi, y)  # numpy.linalg.lstsq on the centred copy (scikit-learn 1.9 returns another solution)
    assert _rel(est.predict(Xi), Xi @ W[0] + b) < 1e-6  # cond(X̃)·eps ~ 1e-6
    assert _rel(est.coef_, W[0]) < 1e-5  # cond(X̃) ~ 3e9
    Xd = np.column_stack([X, 2 * X[:, 1]])  # exactly rank deficient: the minimum-norm solution
    W, _ = _ols(Xd, y)
    est = LinearRegression(solver=solver).fit(Xd, y)
    assert _rel(est.coef_, W[0]) < 1e-8
    wide = LinearRegression(solver=solver).fit(X[:3], y[:3])  # fewer rows than features
    W, b = _ols(X[:3], y[:3])
    assert _rel(wide.coef_, W[0]) < 1e-8 and _rel(wide.intercept_, b) < 1e-8


def test_ridgecv_kfold_from_fold_statistics(block):
    X, y = _data(n=97, p=4, t=2)
    alphas = np.array([1e-3, 0.1, 1.0, 30.0])
    est = RidgeCV(alphas=alphas, cv=5).fit(X, y)
    ref = []  # the in-memory K-fold: refit on every training set
    for train, test in KFold(5).split(X):
        row = []
        for a in alphas:
            W, b = _ols(X[train], y[train], alpha=a)
            row.append(np.mean((y[test] - X[test] @ W.T - b) ** 2))
        ref.append(row)
    np.testing.assert_allclose(est.cv_scores_, -np.mean(ref, axis=0), rtol=1e-9)
    W, b = _ols(X, y, alpha=est.alpha_)
    assert _rel(est.coef_, W) < 1e-10


class _Interleaved:
    """A splitter whose test sets partition the rows (row i in fold i % k)."""

    def __init__(self, k):
        self.k = k

    def split(self, X):
        n = len(X)
        idx = np.arange(n)
        for f in range(self.k):
            yield idx[idx % self.k != f], idx[idx % self.k == f]


class _Overlapping:
    """Not a partition: every test set is the first half."""

    def split(self, X):
        n = len(X)
        yield np.arange(n // 2, n), np.arange(n // 2)
        yield np.arange(1, n), np.arange(1)


@pytest.mark.parametrize("splitter", [_Interleaved(3), _Overlapping()], ids=["partition", "overlapping"])
def test_ridgecv_splitters(block, splitter):
    X, y = _data(n=61, p=3)
    alphas = np.array([0.01, 1.0, 100.0])
    est = RidgeCV(alphas=alphas, cv=splitter).fit(X, y)
    ref = []
    for train, test in splitter.split(X):
        ref.append([np.mean((y[test] - X[test] @ W[0] - b) ** 2)
                    for W, b in (_ols(X[train], y[train], alpha=a) for a in alphas)])
    np.testing.assert_allclose(est.cv_scores_, -np.mean(ref, axis=0), rtol=1e-9)


def test_ridgecv_loo_unchanged(block):
    X, y = _data(n=40, p=3)
    est = RidgeCV(alphas=(0.1, 1.0, 10.0)).fit(X, y)
    ref = skl.RidgeCV(alphas=(0.1, 1.0, 10.0)).fit(X, y)
    assert est.alpha_ == ref.alpha_
    assert _rel(est.coef_, ref.coef_) < 1e-10


@pytest.mark.parametrize("solver", ["covariance_eigh", "randomized", "full"])
def test_pca(block, solver):
    X, _ = _data(n=90, p=6, offset=50.0)
    pca = PCA(n_components=3, svd_solver=solver, random_state=0).fit(X)
    ref = skd.PCA(n_components=3, svd_solver="full").fit(X)
    np.testing.assert_allclose(pca.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(pca.explained_variance_, ref.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(np.abs(pca.components_), np.abs(ref.components_), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(pca.noise_variance_, ref.noise_variance_, rtol=1e-9)


def test_pca_randomized_equals_the_in_memory_algorithm(block):
    """Same Gaussian test matrix and steps as on a centred copy: the same axes to rounding."""
    X, _ = _data(n=300, p=40, seed=5)
    rng = np.random.default_rng(0)
    xc = X - X.mean(0)
    omega = rng.standard_normal((40, 12))
    q = scipy.linalg.qr(xc @ omega, mode="economic")[0]
    for _ in range(7):
        z = scipy.linalg.qr(xc.T @ q, mode="economic")[0]
        q = scipy.linalg.qr(xc @ z, mode="economic")[0]
    s = scipy.linalg.svd(q.T @ xc, compute_uv=False)
    pca = PCA(n_components=2, svd_solver="randomized", random_state=0).fit(X)
    np.testing.assert_allclose(pca.singular_values_, s[:2], rtol=1e-10)


@pytest.mark.parametrize("with_mean, with_std", [(True, True), (False, True), (True, False)])
def test_standard_scaler(block, with_mean, with_std):
    X, _ = _data(n=50, p=5, offset=1e6)
    X[:, 1] = 0.1          # constant columns keep scale 1
    X[:, 2] = 0.0
    sc = StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    ref = skp.StandardScaler(with_mean=with_mean, with_std=with_std).fit(X)
    if with_std:
        np.testing.assert_allclose(sc.var_, ref.var_, rtol=1e-8)
        np.testing.assert_array_equal(sc.scale_[1:3], [1.0, 1.0])
    np.testing.assert_allclose(sc.transform(X), ref.transform(X), rtol=1e-8, atol=1e-8)


# ------------------------------------------------------------ accuracy on large means
def test_large_means_match_scikit_learn():
    """Centring inside the statistics is as accurate as scikit-learn's centred copy (1e-8)."""
    X, y = _data(n=2000, p=6, offset=1e6, seed=2)
    for est, ref in [(LinearRegression(), skl.LinearRegression()), (Ridge(alpha=1.0), skl.Ridge(alpha=1.0))]:
        est.fit(X, y), ref.fit(X, y)
        assert _rel(est.coef_, ref.coef_) < 1e-8, type(est).__name__
        assert abs(est.intercept_ - ref.intercept_) <= 1e-8 * abs(ref.intercept_)
    pca, ref = PCA(3, svd_solver="covariance_eigh").fit(X), skd.PCA(3, svd_solver="full").fit(X)
    np.testing.assert_allclose(pca.explained_variance_, ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(StandardScaler().fit(X).var_, skp.StandardScaler().fit(X).var_, rtol=1e-8)


# ------------------------------------------------------------------- kinds of input
def _kinds(X, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X)
    return {"ndarray": X, "fortran": np.asfortranarray(X), "memmap": np.load(path, mmap_mode="r"),
            "memmap_c": np.load(path, mmap_mode="c"), "rowsliced": RowSliced(X)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_every_input_kind_gives_the_in_memory_fit(block, tmp_path, dtype):
    X, y = _data(n=64, p=4)
    X = (X * 10).astype(dtype) if dtype == np.int64 else X.astype(dtype)
    ref = {type(e).__name__: e.fit(np.asarray(X, np.float64), y) for e in
           (LinearRegression(), Ridge(), PCA(2, svd_solver="covariance_eigh"), StandardScaler(),
            RidgeCV(cv=4))}
    for kind, Xk in _kinds(X, tmp_path).items():
        out = np.float32 if dtype == np.float32 else np.float64
        for name, r in ref.items():
            est = type(r)(**r.get_params()).fit(Xk, RowSliced(y) if kind == "rowsliced" else y)
            for attr in ("coef_", "intercept_", "components_", "explained_variance_", "mean_", "var_"):
                if hasattr(r, attr):
                    got = getattr(est, attr)
                    if name != "StandardScaler":  # its statistics are float64 whatever X's dtype
                        assert np.asarray(got).dtype == out or np.ndim(got) == 0, (kind, name, attr)
                    tol = 1e-5 if dtype == np.float32 else 1e-10
                    assert _rel(got, getattr(r, attr)) < tol, (kind, name, attr)


def test_rowsliced_is_read_block_by_block(monkeypatch):
    monkeypatch.setattr(_chunked, "_BLOCK_BYTES", 10 * 5 * 8)
    X, y = _data(n=95, p=4)
    src = RowSliced(X)
    LinearRegression().fit(src, y)
    assert src.reads == 10   # 95 rows of [X | y] in blocks of 10 rows


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("make", [LinearRegression, Ridge, lambda: RidgeCV(cv=3), lambda: PCA(2), StandardScaler])
def test_nan_in_a_late_block_names_x_and_leaves_unfitted(monkeypatch, make):
    monkeypatch.setattr(_chunked, "_BLOCK_BYTES", 8 * 8 * 5)
    X, y = _data(n=60, p=4)
    X[47, 2] = np.nan
    X[50, 1] = np.inf
    est = make()
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    assert str(info.value) == ("X: contains NaN or infinity (2 non-finite value(s), NaN and infinity, first at "
                               "index (47, 2)); expected finite values")
    assert not hasattr(est, "n_features_in_")
    for kind in (RowSliced(X),):
        with pytest.raises(ValueError, match=r"^X: contains NaN or infinity \(2 .*index \(47, 2\)"):
            make().fit(kind, y)
    if not isinstance(est, (PCA, StandardScaler)):
        X[47, 2] = X[50, 1] = 0.0
        y[33] = np.nan
        with pytest.raises(ValueError, match=r"^y: contains NaN or infinity \(1 .*first at index 33\)"):
            make().fit(X, y)


@pytest.mark.parametrize("bad, exc, match", [
    (np.zeros((0, 3)), ValueError, "X: expected at least 1 sample"),
    (np.zeros((5, 0)), ValueError, "X: expected at least 1 feature"),
    (np.zeros(5), ValueError, "X: expected a 2-D array"),
    (np.zeros((5, 2), complex), ValueError, "X: Complex data not supported"),
    (RowSliced(np.zeros((0, 3))), ValueError, "X: expected at least 1 sample"),
    (RowSliced(np.zeros(5)), ValueError, "X: expected a 2-D array"),
    (RowSliced(np.array([["a"]])), TypeError, "X: expected numeric data"),
])
def test_shape_and_dtype_errors_of_lazy_and_array_inputs(bad, exc, match):
    with pytest.raises(exc, match=match):
        LinearRegression().fit(bad, np.zeros(len(bad.shape) and bad.shape[0]))


def test_target_errors():
    X, y = _data(n=20, p=2)
    with pytest.raises(ValueError, match="y: expected 20 values"):
        LinearRegression().fit(X, y[:19])
    with pytest.raises(ValueError, match="y: expected 20 values"):
        LinearRegression().fit(X, RowSliced(y[:19]))
    with pytest.raises(TypeError, match="y: expected numeric targets"):
        LinearRegression().fit(X, y.astype(str))


# --------------------------------------------------------------------- memory
_MEMORY_SCRIPT = textwrap.dedent("""
    import sys, numpy as np
    from threadpoolctl import threadpool_limits
    from mlbasics.decomposition import PCA
    from mlbasics.linear_model import LinearRegression, Ridge
    from mlbasics.preprocessing import StandardScaler

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024

    def reset_peak():
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            return status("VmRSS")
        except OSError:
            return status("VmHWM")

    n, p, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if path == "-":
        X = np.random.default_rng(0).standard_normal((n, p))
    else:
        X = np.memmap(path, mode="r", dtype=np.float64, shape=(n, p))
    y = np.arange(n, dtype=np.float64)
    small = np.random.default_rng(1).standard_normal((500, p))
    with threadpool_limits(limits=1, user_api="blas"):
        for est in (LinearRegression(), Ridge(), PCA(4, svd_solver="covariance_eigh"), StandardScaler()):
            est.fit(small, y[:500])                 # imports and first-call work outside the measure
            base = reset_peak()
            est.fit(X, y)
            print(type(est).__name__, status("VmHWM") - base)
""")


def _peak_growth(tmp_path, n, p, path="-"):
    script = tmp_path / "peak.py"
    script.write_text(_MEMORY_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), str(n), str(p), str(path)], capture_output=True, text=True,
                          timeout=240, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr
    return {line.split()[0]: int(line.split()[1]) for line in proc.stdout.splitlines()}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_in_memory_fit_grows_peak_rss_by_a_fraction_of_x(tmp_path):
    """Target: ≤ 10% of X's bytes + O(p²) (the old fits: +100-200%). X = 200 MB, asserted < 15%."""
    n, p = 250_000, 100
    growth = _peak_growth(tmp_path, n, p)
    for name, g in growth.items():
        assert g < 0.15 * n * p * 8, (name, g / 2 ** 20)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_memmap_fit_grows_rss_far_less_than_the_file(tmp_path):
    """A 200 MB file read through np.memmap: the pages of reduced blocks are dropped (< 64 MB)."""
    n, p = 250_000, 100
    path = tmp_path / "X.f64"
    rng = np.random.default_rng(0)
    with open(path, "wb") as f:
        for _ in range(10):
            f.write(rng.standard_normal((n // 10, p)).tobytes())
    growth = _peak_growth(tmp_path, n, p, path)
    assert set(growth) == {"LinearRegression", "Ridge", "PCA", "StandardScaler"}
    for name, g in growth.items():
        assert g < 64 * 2 ** 20, (name, g / 2 ** 20)


def test_column_sums_overflowing_float64_are_a_clear_error():
    """Finite values whose block sums overflow: a ValueError naming X, not a result of infinities."""
    X = np.full((50, 3), 1e307)
    X[:, 1] = np.arange(50.0)
    with pytest.raises(ValueError, match="X: the sum of a column over 50 rows overflows float64"):
        LinearRegression().fit(X, np.arange(50.0))
