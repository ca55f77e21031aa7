"""Sparse input: the kernel family ``sparse`` on every backend, and the estimators on sparse X.

Kernels: ``csr_matmul`` (X·B) and ``csr_matmul_t`` (Xᵀ·G) against the float64 dense product, for
empty rows and empty matrices, unsorted and duplicate column indices (summed, as scipy), int32 and
int64 indices, float32 and float64, sizes that run in parallel, waves of rows, slices of ``indptr``
and the results' independence of the thread count.

Estimators: sparse (CSR, CSC, sparse arrays, other formats, int64 indices, float32) against the
same estimator on the dense X, on every backend — exact where the fit is the same arithmetic
(MLPs, Perceptron on integer data), to the solver's tolerance where it is iterative (LSQR for the
least-squares family, L-BFGS / gradient descent for logistic regression); a scikit-learn
``ColumnTransformer(OneHotEncoder)`` pipeline; malformed sparse matrices.
"""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import mlbasics
from _helpers import assert_close
from mlbasics import _sparse
from mlbasics.backends._contract import sparse as sparse_contract
from mlbasics.linear_model import LinearRegression, LogisticRegression, Perceptron, Ridge, RidgeCV
from mlbasics.neural_network import MLPClassifier, MLPRegressor
from mlbasics.preprocessing import StandardScaler

INDEX_DTYPES = (np.int32, np.int64)


# --------------------------------------------------------------------------- random CSR matrices

def random_csr(rng, n, p, density, dtype=np.float64, index_dtype=np.int32, duplicates=False, unsorted=False,
               empty_rows=True):
    """CSR arrays (data, indices, indptr) and the dense float64 matrix they mean (duplicates summed)."""
    counts = rng.binomial(p, density, size=n) if p else np.zeros(n, dtype=np.int64)
    if empty_rows and n > 2:
        counts[rng.choice(n, n // 3, replace=False)] = 0
    if not empty_rows and p:
        counts = np.maximum(counts, 1)
    rows_cols = []
    for c in counts:
        cols = np.sort(rng.choice(p, size=min(int(c), p), replace=False)) if p else np.zeros(0, np.int64)
        if duplicates and cols.size:
            cols = np.concatenate([cols, rng.choice(cols, size=max(1, cols.size // 2))])
        if unsorted or duplicates:
            cols = rng.permutation(cols)
        rows_cols.append(cols)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([c.size for c in rows_cols])
    indices = np.concatenate(rows_cols) if rows_cols else np.zeros(0, np.int64)
    data = rng.standard_normal(indices.size).astype(dtype)
    dense = np.zeros((n, p))
    for i in range(n):
        np.add.at(dense[i], indices[indptr[i]:indptr[i + 1]], data[indptr[i]:indptr[i + 1]].astype(np.float64))
    return data, indices.astype(index_dtype), indptr.astype(index_dtype), dense


SHAPES = [  # (n_rows, n_cols, k, density)
    (0, 0, 3, 0.0), (0, 5, 2, 0.0), (4, 0, 2, 0.0), (5, 7, 0, 0.5), (1, 1, 1, 1.0), (6, 9, 1, 0.4),
    (30, 20, 3, 0.3), (40, 25, 17, 0.2), (200, 150, 40, 0.05), (700, 300, 10, 0.05),
]


@pytest.mark.parametrize("index_dtype", INDEX_DTYPES, ids=["int32", "int64"])
@pytest.mark.parametrize("n,p,k,density", SHAPES)
@pytest.mark.parametrize("layout", ["sorted", "unsorted", "duplicates"])
def test_csr_products_match_the_dense_products(backend, dtype, index_dtype, n, p, k, density, layout, rng):
    data, indices, indptr, dense = random_csr(rng, n, p, density, dtype, index_dtype,
                                              duplicates=layout == "duplicates", unsorted=layout == "unsorted")
    b = rng.standard_normal((p, k)).astype(dtype)
    g = rng.standard_normal((n, k)).astype(dtype)
    out = backend.csr_matmul(data, indices, indptr, p, b)
    assert out.shape == (n, k) and out.dtype == dtype
    scale = float(np.abs(dense).sum(axis=1).max(initial=0)) * float(np.abs(b).max(initial=0)) + 1.0
    assert_close(out, (dense @ b.astype(np.float64)).astype(dtype), dtype, scale=scale)
    out_t = backend.csr_matmul_t(data, indices, indptr, p, g)
    assert out_t.shape == (p, k) and out_t.dtype == dtype
    scale = float(np.abs(dense).sum(axis=0).max(initial=0)) * float(np.abs(g).max(initial=0)) + 1.0
    assert_close(out_t, (dense.T @ g.astype(np.float64)).astype(dtype), dtype, scale=scale)


def test_csr_products_agree_with_the_reference(backend, reference, dtype, rng):
    data, indices, indptr, _ = random_csr(rng, 300, 200, 0.05, dtype, duplicates=True)
    b = rng.standard_normal((200, 6)).astype(dtype)
    g = rng.standard_normal((300, 6)).astype(dtype)
    assert_close(backend.csr_matmul(data, indices, indptr, 200, b), reference.csr_matmul(data, indices, indptr, 200, b),
                 dtype)
    assert_close(backend.csr_matmul_t(data, indices, indptr, 200, g),
                 reference.csr_matmul_t(data, indices, indptr, 200, g), dtype)


def test_csc_arrays_are_the_transpose(backend, rng):
    """The arrays of a CSC matrix are the CSR arrays of Xᵀ: X·B is csr_matmul_t on them."""
    X = sp.random(60, 40, density=0.1, format="csc", random_state=0)
    B = rng.standard_normal((40, 3))
    G = rng.standard_normal((60, 3))
    np.testing.assert_allclose(backend.csr_matmul_t(X.data, X.indices, X.indptr, 60, B), X @ B, rtol=1e-12)
    np.testing.assert_allclose(backend.csr_matmul(X.data, X.indices, X.indptr, 60, G), X.T @ G, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 10, 33])
def test_results_do_not_depend_on_the_thread_count(backend, restore_threads, k, rng):
    # large enough to run in parallel on every backend (C++: 2^15 multiply-adds, Numba: 2^16)
    data, indices, indptr, _ = random_csr(rng, 3000, 2000, 0.02, duplicates=True)
    b = rng.standard_normal((2000, k))
    g = rng.standard_normal((3000, k))
    results = []
    for threads in (1, 2, 3):
        mlbasics.set_num_threads(threads)
        results.append((backend.csr_matmul(data, indices, indptr, 2000, b),
                        backend.csr_matmul_t(data, indices, indptr, 2000, g)))
    for fwd, tr in results[1:]:
        np.testing.assert_array_equal(fwd, results[0][0])
        np.testing.assert_array_equal(tr, results[0][1])


def test_waves_of_rows_change_nothing(backend, monkeypatch, rng):
    data, indices, indptr, _ = random_csr(rng, 500, 300, 0.05, duplicates=True)
    b = rng.standard_normal((300, 4))
    g = rng.standard_normal((500, 4))
    whole = backend.csr_matmul(data, indices, indptr, 300, b), backend.csr_matmul_t(data, indices, indptr, 300, g)
    monkeypatch.setattr(sparse_contract, "_WAVE_MACS", 64)  # ~16 entries per wave: many waves, rows never split
    assert len(sparse_contract._waves(indptr, 4)) > 20
    waved = backend.csr_matmul(data, indices, indptr, 300, b), backend.csr_matmul_t(data, indices, indptr, 300, g)
    np.testing.assert_array_equal(waved[0], whole[0])
    np.testing.assert_allclose(waved[1], whole[1], rtol=1e-12, atol=1e-12)  # the reference adds per wave
    if backend.name != "numpy":  # the others accumulate in entry order across waves: bit-identical
        np.testing.assert_array_equal(waved[1], whole[1])


def test_waves_cover_every_row_once():
    indptr = np.array([0, 0, 5, 5, 9, 30, 30, 31])
    for k in (1, 2, 8):
        for macs in (1, 3, 7, 100):
            sparse_contract._WAVE_MACS, old = macs, sparse_contract._WAVE_MACS
            try:
                waves = sparse_contract._waves(indptr, k)
            finally:
                sparse_contract._WAVE_MACS = old
            assert waves[0][0] == 0 and waves[-1][1] == 7
            assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(waves, waves[1:]))


def test_entries_past_indptr_end_are_ignored(backend):
    """scipy allows len(indices) > indptr[-1]: the entries after it are no part of the matrix."""
    data = np.array([1.0, 2.0, np.nan, 7.0])
    indices = np.array([0, 1, 99, -5])  # never read
    indptr = np.array([0, 1, 2])
    b = np.array([[1.0], [10.0]])
    np.testing.assert_array_equal(backend.csr_matmul(data, indices, indptr, 2, b), [[1.0], [20.0]])
    np.testing.assert_array_equal(backend.csr_matmul_t(data, indices, indptr, 2, b), [[1.0], [20.0]])


def test_strided_dense_operands_are_copied(backend, rng):
    data, indices, indptr, dense = random_csr(rng, 20, 15, 0.3)
    b = rng.standard_normal((15, 8))[:, ::2]
    g = np.asfortranarray(rng.standard_normal((20, 4)))
    np.testing.assert_allclose(backend.csr_matmul(data, indices, indptr, 15, b), dense @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(backend.csr_matmul_t(data, indices, indptr, 15, g), dense.T @ g, rtol=1e-12,
                               atol=1e-12)


def test_contract_examples_and_public_kernels():
    from mlbasics.kernels import csr_matmul, csr_matmul_t

    data, indices, indptr = np.array([1.0, 2.0, 3.0]), np.array([0, 2, 1]), np.array([0, 2, 2, 3])
    b = np.array([[1.0], [10.0], [100.0]])
    for name in ("cpp", "numba", "numpy"):
        np.testing.assert_array_equal(csr_matmul(data, indices, indptr, 3, b, backend=name), [[201.0], [0.0], [30.0]])
        np.testing.assert_array_equal(csr_matmul_t(data, indices, indptr, 3, b, backend=name), [[1.0], [300.0], [2.0]])


def test_core_checks_the_structure_again():
    """The bindings re-check what the contract checked: hostile arrays straight into _core raise."""
    from mlbasics import _core

    data, indices, indptr = np.ones(3), np.array([0, 2, 1]), np.array([0, 2, 2, 3])
    b, out, out_t = np.ones((3, 2)), np.empty((3, 2)), np.zeros((3, 2))
    cases = [
        (data, np.array([0, 3, 1]), indptr, "indices: expected indices in [0, n_cols=3)"),
        (data, np.array([0, -1, 1]), indptr, "indices:"),
        (data, indices, np.array([0, 2, 1, 3]), "indptr: expected non-decreasing"),
        (data, indices, np.array([0, 2, 2, 4]), "indptr: its last value 4 exceeds"),
        (data, indices, np.array([-1, 2, 2, 3]), "indptr:"),
        (np.ones(2), indices, indptr, "indices: expected length 2"),
        (data, indices, np.array([], dtype=np.int64), "indptr:"),
        (data, indices, np.array([0, 2, 2, 3], dtype=np.int32), "indptr: expected dtype int64"),
    ]
    for d, i, p, text in cases:
        for fn, dense, o in ((_core.csr_matmul, b, out), (_core.csr_matmul_t, b, out_t)):
            with pytest.raises((ValueError, TypeError)) as info:
                fn(d, i, p, dense, o)
            assert text in str(info.value), (text, str(info.value))
    with pytest.raises(TypeError, match="indices"):
        _core.csr_matmul(data, indices.astype(np.int16), indptr, b, out)
    with pytest.raises(TypeError, match="data"):
        _core.csr_matmul(data.astype(np.int64), indices, indptr, b, out)
    with pytest.raises(TypeError, match="b"):
        _core.csr_matmul(data, indices, indptr, b.astype(np.float32), out)
    with pytest.raises(ValueError, match="out"):
        _core.csr_matmul(data, indices, indptr, b, np.empty((2, 2)))
    with pytest.raises(ValueError, match="out: must not share memory with b"):
        _core.csr_matmul(data, indices, indptr, b, b)
    buf = np.ones(6)
    with pytest.raises(ValueError, match="out: must not share memory with data"):
        _core.csr_matmul_t(buf[:3], indices, indptr, np.ones((3, 2)), buf.reshape(3, 2))
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros((3, 2))
        ro.setflags(write=False)
        _core.csr_matmul_t(data, indices, indptr, b, ro)
    with pytest.raises(ValueError, match="g: expected 3 rows"):
        _core.csr_matmul_t(data, indices, indptr, np.ones((2, 2)), out_t)


# --------------------------------------------------------------------------- estimators

def _sparse_X(rng, n=120, p=15, density=0.3):
    X = rng.standard_normal((n, p))
    X[rng.random((n, p)) > density] = 0.0
    return X


FORMATS = {
    "csr": sp.csr_matrix,
    "csc": sp.csc_matrix,
    "csr_array": sp.csr_array,
    "coo": sp.coo_matrix,
    "lil": sp.lil_matrix,
    "csr-int64": lambda X: _int64(sp.csr_matrix(X)),
    "csc-int64": lambda X: _int64(sp.csc_matrix(X)),
}


def _int64(X):
    X.indices = X.indices.astype(np.int64)
    X.indptr = X.indptr.astype(np.int64)
    return X


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("make", [lambda b: LinearRegression(backend=b), lambda b: Ridge(alpha=3.0, backend=b),
                                  lambda b: RidgeCV(alphas=(0.1, 1.0, 10.0), cv=3, backend=b),
                                  lambda b: Ridge(alpha=0.5, fit_intercept=False, backend=b)],
                         ids=["LinearRegression", "Ridge", "RidgeCV", "Ridge-no-intercept"])
def test_least_squares_family_equals_the_dense_fit(backend, make, fmt, rng):
    X = _sparse_X(rng)
    y = X @ rng.standard_normal(15) + 0.1 * rng.standard_normal(120) + 2.0
    Y = np.column_stack([y, -y + X[:, 0]])
    for target in (y, Y):
        dense = make(backend.name).fit(X, target)
        sparse = make(backend.name).fit(FORMATS[fmt](X), target)
        assert _rel(sparse.coef_, dense.coef_) < 1e-8  # LSQR at 1e-12 on a well-conditioned X
        assert _rel(sparse.intercept_, dense.intercept_) < 1e-8
        assert np.shape(sparse.coef_) == np.shape(dense.coef_)
        assert np.asarray(sparse.coef_).dtype == np.asarray(dense.coef_).dtype
        np.testing.assert_allclose(sparse.predict(FORMATS[fmt](X)), dense.predict(X), rtol=1e-8, atol=1e-8)
        if isinstance(dense, RidgeCV):
            assert sparse.alpha_ == dense.alpha_
            np.testing.assert_allclose(sparse.cv_scores_, dense.cv_scores_, rtol=1e-8)


def test_least_squares_float32_and_rank_deficient(backend, rng):
    X = _sparse_X(rng).astype(np.float32)
    y = rng.standard_normal(120)
    dense, sparse = LinearRegression(backend=backend.name).fit(X, y), LinearRegression(backend=backend.name).fit(
        sp.csr_matrix(X), y)
    assert sparse.coef_.dtype == np.float32 and sparse.solver_ == "lsqr"
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-5, atol=1e-6)
    # a duplicated column: LSQR from 0 gives the minimum-norm solution, as the SVD solver
    Xd = np.column_stack([X, X[:, :1]]).astype(np.float64)
    lst = LinearRegression(solver="lstsq", backend=backend.name).fit(Xd, y)
    sps = LinearRegression(backend=backend.name).fit(sp.csr_matrix(Xd), y)
    np.testing.assert_allclose(sps.coef_, lst.coef_, rtol=1e-7, atol=1e-9)


def test_least_squares_sparse_errors():
    X = sp.csr_matrix(np.eye(4))
    with pytest.raises(ValueError, match="solver: 'normal' needs a dense X"):
        LinearRegression(solver="normal").fit(X, np.arange(4.0))
    with pytest.raises(ValueError, match=r"cv: leave-one-out .* sparse X .* pass cv=5"):
        RidgeCV().fit(X, np.arange(4.0))


@pytest.mark.parametrize("fmt", ["csr", "csc", "csr_array", "csr-int64"])
@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("solver,tol,max_iter", [("lbfgs", 1e-10, 2000), ("gd", 1e-7, 20000)])
def test_logistic_regression_equals_the_dense_fit(backend, fmt, n_classes, solver, tol, max_iter, rng):
    X = _sparse_X(rng, n=150, p=12)
    y = np.argmax(X @ rng.standard_normal((12, n_classes)) + rng.standard_normal((150, n_classes)), axis=1)
    for fit_intercept in (True, False):
        kw = dict(solver=solver, tol=tol, max_iter=max_iter, fit_intercept=fit_intercept, backend=backend.name)
        dense = LogisticRegression(**kw).fit(X, y)
        sparse = LogisticRegression(**kw).fit(FORMATS[fmt](X), y)
        # both stop where max |∇f| <= tol; the minimiser's error is about tol / (smallest curvature)
        assert _rel(sparse.coef_, dense.coef_) < 1e-5
        np.testing.assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-5)
        np.testing.assert_allclose(sparse.predict_proba(FORMATS[fmt](X)), dense.predict_proba(X), atol=1e-6)
        np.testing.assert_array_equal(sparse.predict(sp.csr_matrix(X)), dense.predict(X))


def test_logistic_regression_newton_refuses_sparse():
    with pytest.raises(ValueError, match="solver: 'newton' .* sparse X"):
        LogisticRegression(solver="newton").fit(sp.csr_matrix(np.eye(4)), [0, 1, 0, 1])
    assert not LogisticRegression(solver="newton").__sklearn_tags__().input_tags.sparse
    assert LogisticRegression().__sklearn_tags__().input_tags.sparse


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr-int64"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_perceptron_equals_the_dense_fit(backend, fmt, n_classes, rng):
    # small integers: every score and update is exact, so the two fits take the same steps
    X = rng.integers(-3, 4, size=(150, 12)).astype(np.float64)
    X[rng.random(X.shape) < 0.7] = 0
    y = rng.integers(0, n_classes, 150)
    kw = dict(random_state=0, max_iter=20, backend=backend.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlbasics.exceptions.ConvergenceWarning)
        dense = Perceptron(**kw).fit(X, y)
        Xs = FORMATS[fmt](X)
        if fmt == "coo":  # duplicate entries (summed): still the same matrix
            Xs = sp.coo_matrix((np.concatenate([Xs.data, Xs.data]) / 2, (np.concatenate([Xs.row, Xs.row]),
                                np.concatenate([Xs.col, Xs.col]))), shape=X.shape)
        sparse = Perceptron(**kw).fit(Xs, y)
    np.testing.assert_array_equal(sparse.coef_, dense.coef_)
    np.testing.assert_array_equal(sparse.intercept_, dense.intercept_)
    assert sparse.n_iter_ == dense.n_iter_
    np.testing.assert_array_equal(sparse.decision_function(sp.csr_matrix(X)), dense.decision_function(X))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_mlp_equals_the_dense_fit(backend, cls, dtype, monkeypatch, rng):
    X = _sparse_X(rng, n=200, p=30)
    y = rng.integers(0, 3, 200) if cls is MLPClassifier else X @ rng.standard_normal(30)
    # a tiny block: the minibatches go in many slices of densified rows (2 batches of 16 per slice)
    monkeypatch.setattr(_sparse, "SPARSE_BLOCK_BYTES", 2 * 16 * 30 * np.dtype(dtype).itemsize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlbasics.exceptions.ConvergenceWarning)
        for early_stopping in (False, True):
            kw = dict(hidden_layer_sizes=(8,), max_iter=4, batch_size=16, random_state=0, dtype=dtype,
                      early_stopping=early_stopping, backend=backend.name)
            dense = cls(**kw).fit(X, y)
            sparse = cls(**kw).fit(sp.csc_matrix(X), y)
            np.testing.assert_array_equal(sparse._params_flat, dense._params_flat)
            # the epoch loss is summed per kernel call: more calls (slices) round differently
            np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-6)
            # predictions in row blocks: a GEMM of other row counts may round the last bit otherwise
            pred_s, pred_d = sparse.predict(sp.csr_matrix(X)), dense.predict(X)
            if cls is MLPClassifier:
                assert_close(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), dtype)
            else:
                assert_close(pred_s, pred_d, dtype)
        kw["early_stopping"] = False
        dense = cls(**kw).partial_fit(X, y, *(([0, 1, 2],) if cls is MLPClassifier else ()))
        sparse = cls(**kw).partial_fit(sp.csr_matrix(X), y, *(([0, 1, 2],) if cls is MLPClassifier else ()))
        np.testing.assert_array_equal(sparse._params_flat, dense._params_flat)


def test_rows_per_block():
    assert _sparse.rows_per_block(1000, np.float64, max_bytes=80_000) == 10
    assert _sparse.rows_per_block(1000, np.float64, max_bytes=80_000, multiple=4) == 8
    assert _sparse.rows_per_block(1000, np.float64, max_bytes=10, multiple=4) == 4  # at least one minibatch
    assert _sparse.rows_per_block(0, np.float32, max_bytes=8) == 8


@pytest.mark.parametrize("fmt", ["csr", "csc", "csr_array", "coo", "csr-int64"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_standard_scaler_without_mean(fmt, dtype, rng):
    X = _sparse_X(rng, n=60, p=7).astype(dtype)
    X[:, 2] = 0.0       # no stored entry
    X[:, 3] = 5.0       # every row the same value: constant
    X[:, 4] = 0.0
    Xs = FORMATS[fmt](X)
    if fmt == "csr":  # the last row gets a stored 0 in column 4 and a pair of duplicates summing to 0 in column 5
        Xs = sp.csr_matrix((np.append(Xs.data, [0.0, 1.0, -1.0]).astype(dtype),
                            np.append(Xs.indices, [4, 5, 5]).astype(Xs.indices.dtype),
                            np.append(Xs.indptr[:-1], Xs.indptr[-1] + 3)), shape=X.shape)
        assert not Xs.has_canonical_format and np.array_equal(Xs.toarray(), X)
    for with_std in (True, False):
        dense = StandardScaler(with_mean=False, with_std=with_std).fit(X)
        sparse = StandardScaler(with_mean=False, with_std=with_std).fit(Xs)
        if with_std:
            np.testing.assert_allclose(sparse.mean_, dense.mean_, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(sparse.var_, dense.var_, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(sparse.scale_, dense.scale_, rtol=1e-10)
            assert sparse.scale_[2] == sparse.scale_[3] == sparse.scale_[4] == 1.0
        Z = sparse.transform(Xs)
        assert sp.issparse(Z) and Z.dtype == dtype and Z.shape == X.shape
        assert isinstance(Z, sp.sparray) == isinstance(Xs, sp.sparray)
        np.testing.assert_allclose(Z.toarray(), dense.transform(X), rtol=1e-6 if dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(sparse.inverse_transform(Z).toarray(), X, rtol=1e-6, atol=1e-6)


def test_standard_scaler_refuses_to_center_sparse():
    Xs = sp.csr_matrix(np.eye(3))
    with pytest.raises(ValueError, match="with_mean: cannot center sparse X"):
        StandardScaler().fit(Xs)
    fitted = StandardScaler().fit(np.eye(3))
    with pytest.raises(ValueError, match="with_mean: cannot center sparse X"):
        fitted.transform(Xs)
    assert not StandardScaler().__sklearn_tags__().input_tags.sparse
    assert StandardScaler(with_mean=False).__sklearn_tags__().input_tags.sparse


def test_standard_scaler_sparse_output_is_never_a_dataframe():
    pytest.importorskip("pandas")
    scaler = StandardScaler(with_mean=False).set_output(transform="pandas").fit(sp.csr_matrix(np.eye(3)))
    with pytest.raises(ValueError, match="set_output: pandas output does not support sparse data"):
        scaler.transform(sp.csr_matrix(np.eye(3)))


def test_one_hot_pipeline_of_scikit_learn():
    """ColumnTransformer(OneHotEncoder) → our LogisticRegression: sparse end to end, same fit as dense."""
    pytest.importorskip("sklearn")
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    cats = np.column_stack([rng.choice(["a", "b", "c", "d"], 300), rng.choice(["x", "y", "z"], 300),
                            rng.integers(0, 20, 300).astype(str)])
    y = (cats[:, 0] == "a") | ((cats[:, 1] == "z") & (rng.random(300) < 0.8))
    ct = ColumnTransformer([("onehot", OneHotEncoder(), [0, 1, 2])])
    Xt = ct.fit_transform(cats)
    assert sp.issparse(Xt)
    pipe = make_pipeline(ct, LogisticRegression(tol=1e-10, max_iter=1000)).fit(cats, y)
    dense = LogisticRegression(tol=1e-10, max_iter=1000).fit(Xt.toarray(), y)
    np.testing.assert_allclose(pipe[-1].coef_, dense.coef_, atol=1e-6)
    np.testing.assert_array_equal(pipe.predict(cats), dense.predict(Xt.toarray()))
    assert pipe.score(cats, y) > 0.8


# --------------------------------------------------------------------------- malformed sparse X

def _tampered(**arrays):
    """A valid 2×3 CSR matrix whose arrays are then changed in place (as a hostile caller can: scipy
    checks the structure only when the matrix is built)."""
    X = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]))
    for name, values in arrays.items():
        getattr(X, name)[...] = values
    return X


BAD_SPARSE = [
    ("index out of range", lambda: _tampered(indices=[0, 9]), ValueError,
     "X.indices: expected indices in [0, n_features=3)"),
    ("negative index", lambda: _tampered(indices=[0, -1]), ValueError, "X.indices:"),
    ("decreasing indptr", lambda: _tampered(indptr=[0, 2, 1]), ValueError, "X.indptr: expected non-decreasing"),
    ("indptr past the data", lambda: _tampered(indptr=[0, 1, 3]), ValueError, "X.indptr: its last value 3 (the number of entries) exceeds"),
    ("indptr not from 0", lambda: _tampered(indptr=[1, 1, 2]), ValueError, "X.indptr: expected X.indptr[0] == 0"),
    ("NaN", lambda: sp.csr_matrix(np.array([[np.nan, 0.0], [1.0, 2.0]])), ValueError, "X.data: contains NaN"),
    ("inf", lambda: sp.csc_matrix(np.array([[0.0, np.inf], [1.0, 2.0]])), ValueError, "X.data: contains NaN or inf"),
    ("complex", lambda: sp.csr_matrix(np.array([[1j, 0.0], [1.0, 2.0]])), ValueError, "Complex data"),
    ("0 samples", lambda: sp.csr_matrix((0, 3)), ValueError, "0 sample(s)"),
    ("0 features", lambda: sp.csr_matrix((3, 0)), ValueError, "0 feature(s)"),
    ("1-D sparse array", lambda: sp.coo_array(np.array([1.0, 0.0, 2.0])), ValueError, "X: expected a 2-D sparse"),
]


@pytest.mark.parametrize("case,make,exc,text", BAD_SPARSE, ids=[c[0] for c in BAD_SPARSE])
@pytest.mark.parametrize("est", [LinearRegression(), Ridge(), RidgeCV(cv=2), LogisticRegression(), Perceptron(),
                                 MLPClassifier(max_iter=2), MLPRegressor(max_iter=2),
                                 StandardScaler(with_mean=False)],
                         ids=lambda e: type(e).__name__)
def test_malformed_sparse_X_raises_before_anything_runs(est, case, make, exc, text):
    X = make()
    y = np.arange(X.shape[0]) % 2 if X.ndim == 2 else np.arange(3) % 2
    with pytest.raises(exc) as info:
        est.fit(X, y)
    assert text in str(info.value)


def test_sparse_int_and_bool_data_become_float64():
    X = sp.csr_matrix(np.array([[1, 0], [0, 2], [3, 0]], dtype=np.int64))
    model = LinearRegression().fit(X, [1.0, 2.0, 3.0])
    assert model.coef_.dtype == np.float64
    Xb = sp.csr_matrix(np.array([[True, False], [False, True], [True, True]]))
    assert Ridge().fit(Xb, [1.0, 2.0, 3.0]).coef_.dtype == np.float64


def test_scikit_learn_tags_say_which_estimators_take_sparse_X():
    """scikit-learn's sparse checks (tests/test_sklearn_checks.py) fit an estimator on sparse data when its
    input_tags.sparse is True, and expect a "sparse" error otherwise: the tags must be right."""
    pytest.importorskip("sklearn")
    from mlbasics.cluster import KMeans
    from mlbasics.decomposition import PCA
    from mlbasics.preprocessing import PolynomialFeatures

    takes = [LinearRegression(), Ridge(), RidgeCV(cv=3), LogisticRegression(), LogisticRegression(solver="gd"),
             Perceptron(), MLPClassifier(), MLPRegressor(), StandardScaler(with_mean=False)]
    refuses = [LinearRegression(solver="normal"), RidgeCV(), LogisticRegression(solver="newton"), StandardScaler(),
               PCA(), PolynomialFeatures(), KMeans()]
    assert all(e.__sklearn_tags__().input_tags.sparse for e in takes)
    assert not any(e.__sklearn_tags__().input_tags.sparse for e in refuses)


def test_hostile_csr_arrays_never_crash(backend):
    """Random, mostly malformed CSR arrays into the contract and straight into _core: each call
    returns or raises ValueError/TypeError (a crash would end the run). The fuzz harness
    (tests/fuzz/) does not cover this family: adding targets would renumber its saved seeds."""
    from mlbasics import _core

    rng = np.random.default_rng(7)
    for _ in range(300):
        n_rows, n_cols, k = (int(v) for v in rng.integers(0, 6, size=3))
        nnz = int(rng.integers(0, 12))
        idt = rng.choice([np.int32, np.int64, np.int16, np.float64])
        ptr_dt = idt if rng.random() < 0.8 else rng.choice([np.int32, np.int64])
        indices = rng.integers(-3, n_cols + 3, size=nnz).astype(idt)
        indptr = np.sort(rng.integers(-2, nnz + 3, size=n_rows + 1)).astype(ptr_dt)
        if rng.random() < 0.3:
            indptr = rng.permutation(indptr)
        if rng.random() < 0.5 and indptr.size:
            indptr[0] = 0
        data = rng.standard_normal(nnz + int(rng.integers(-1, 2)) if nnz else 0)
        dense = rng.standard_normal((n_cols + int(rng.integers(-1, 2)) if n_cols else 0, k))
        dense_t = rng.standard_normal((max(n_rows + int(rng.integers(-1, 2)), 0), k))
        for call in (lambda: backend.csr_matmul(data, indices, indptr, n_cols, dense),
                     lambda: backend.csr_matmul_t(data, indices, indptr, n_cols, dense_t),
                     lambda: _core.csr_matmul(data, indices, indptr, dense, np.empty((max(indptr.size - 1, 0), k))),
                     lambda: _core.csr_matmul_t(data, indices, indptr, dense_t, np.zeros((n_cols, k)))):
            try:
                call()
            except (ValueError, TypeError):
                pass


# --------------------------------------------------------------------------- sample weights on sparse X

@pytest.mark.parametrize("make", [lambda b: LinearRegression(backend=b), lambda b: Ridge(alpha=2.0, backend=b),
                                  lambda b: RidgeCV(alphas=(0.1, 1.0, 10.0), cv=3, backend=b),
                                  lambda b: LogisticRegression(tol=1e-10, max_iter=2000, backend=b),
                                  lambda b: LogisticRegression(tol=1e-10, max_iter=2000, class_weight="balanced",
                                                               backend=b)],
                         ids=["LinearRegression", "Ridge", "RidgeCV", "LogisticRegression", "LogisticRegression-cw"])
def test_weighted_fits_equal_the_dense_ones(backend, make, rng):
    X = _sparse_X(rng)
    w = rng.uniform(0.0, 3.0, 120)
    w[::7] = 0.0
    est = make(backend.name)
    y = (X @ rng.standard_normal(15) + 0.1 * rng.standard_normal(120) if not isinstance(est, LogisticRegression)
         else rng.integers(0, 3, 120))
    dense = make(backend.name).fit(X, y, sample_weight=w)
    sparse = make(backend.name).fit(sp.csc_matrix(X), y, sample_weight=w)
    tol = 1e-5 if isinstance(est, LogisticRegression) else 1e-8
    assert _rel(sparse.coef_, dense.coef_) < tol
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=tol, atol=tol)


def test_weighted_perceptron_mlp_and_scaler_equal_the_dense_ones(backend, rng):
    X = rng.integers(-3, 4, size=(100, 10)).astype(np.float64)
    X[rng.random(X.shape) < 0.7] = 0
    y = rng.integers(0, 3, 100)
    w = rng.integers(0, 4, 100).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlbasics.exceptions.ConvergenceWarning)
        for make in (lambda: Perceptron(random_state=0, max_iter=15, backend=backend.name),
                     lambda: MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, batch_size=16, random_state=0,
                                           dtype=np.float64, backend=backend.name)):
            dense, sparse = make().fit(X, y, sample_weight=w), make().fit(sp.csr_matrix(X), y, sample_weight=w)
            for a, b in ((dense.coef_, sparse.coef_) if hasattr(dense, "coef_") else
                         (dense._params_flat, sparse._params_flat),):
                np.testing.assert_array_equal(b, a)
    dense = StandardScaler(with_mean=False).fit(X, sample_weight=w)
    sparse = StandardScaler(with_mean=False).fit(sp.csc_matrix(X), sample_weight=w)
    np.testing.assert_allclose(sparse.var_, dense.var_, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(sparse.scale_, dense.scale_, rtol=1e-12)
    assert sparse.n_samples_seen_ == dense.n_samples_seen_
