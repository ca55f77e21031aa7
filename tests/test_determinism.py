"""The same random_state gives bit-identical results, for a given backend and thread count.

What is asserted here (np.array_equal, not a tolerance), on every backend and at 1 and 2 threads
(``mlbasics.set_num_threads``, restored afterwards):

* two fits with the same ``random_state`` are bit-identical — MLPClassifier/MLPRegressor (with
  and without shuffling, with early stopping, adam and sgd), Perceptron (shuffled), PCA with the
  randomized solver — in every learned array, ``loss_curve_``/``n_iter_`` and the predictions;
  so are train_test_split (plain and stratified), KFold/StratifiedKFold(shuffle=True) and the
  make_* generators;
* a different ``random_state`` gives a different result;
* deterministic estimators (LinearRegression, Ridge, RidgeCV, LogisticRegression with lbfgs,
  newton and gd, PCA full/covariance_eigh, StandardScaler) are bit-identical across repeated fits.

What is *not* asserted, and what was measured instead (2-core x86-64, AVX2, this checkout):

* **Across thread counts.** The C++ GEMM cuts C into pieces along M or N, never along the
  summation dimension K (a tall Gram product is summed as two halves of its rows at every thread
  count), so every entry of a product is summed in the same order whatever the thread count: cpp ``matmul``/``gram`` at 1 and 2 threads were bit-identical (1000², 64×20000,
  3000²), and so were Numba's (its prange splits rows). MLP fits (up to 4000×128 → 512 hidden,
  float32 and float64), LinearRegression, LogisticRegression and randomized PCA on 4000×300
  gave bit-identical weights at 1 and 2 threads on cpp and on numba. One difference was seen:
  on cpp the *reported loss* (``loss_curve_``) of a large MLP fit differs between 1 and 2
  threads in the last bits (~1e-13 relative, float64) — the per-batch loss is a reduction whose
  partial sums are split between threads — while the weights stay identical. Since the
  ``tol``/``n_iter_no_change`` stopping rule reads that loss, a fit that stops exactly on the
  threshold could in principle stop one epoch apart. Numba's loss was identical. None of this is
  promised: thread splits are an implementation detail and may change.
* **Across backends.** cpp, numba and numpy agree to the dtype's rounding, not bit for bit
  (different blocking and FMA use): a 3-epoch MLP fit differed by at most 8e-16 in float64 and
  4e-7 in float32 between backends. The random draws themselves (initial weights, shuffles,
  splits, test matrices) come from NumPy's Generator and are the same on every backend.
"""
import numpy as np
import pytest

import mlbasics
from mlbasics.datasets import (make_blobs, make_circles, make_classification, make_moons, make_regression,
                               make_swiss_roll, make_xor)
from mlbasics.decomposition import PCA
from mlbasics.linear_model import LinearRegression, LogisticRegression, Perceptron, Ridge, RidgeCV
from mlbasics.model_selection import KFold, StratifiedKFold, train_test_split
from mlbasics.neural_network import MLPClassifier, MLPRegressor
from mlbasics.preprocessing import StandardScaler

pytestmark = pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")

BACKENDS = ("cpp", "numba", "numpy")
THREADS = (1, 2)


@pytest.fixture(params=THREADS, ids=lambda n: f"{n}thr")
def threads(request):
    before = mlbasics.get_num_threads()
    mlbasics.set_num_threads(request.param)
    try:
        yield request.param
    finally:
        mlbasics.set_num_threads(before)


RNG = np.random.default_rng(7)
X = RNG.standard_normal((400, 24))
Y_CLS = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 2] > 0.5)   # 3 classes
Y_REG = np.column_stack([X @ RNG.standard_normal(24), np.sin(X[:, 0])])
# Large enough that the C++ GEMM (threaded above m·n·k = 2²¹) and Numba's prange split the work.
X_BIG = RNG.standard_normal((1024, 128))
Y_BIG = (X_BIG[:, :3].sum(axis=1) > 0).astype(int)


def state(est):
    """Every learned array and number of a fitted estimator (private state excluded)."""
    out = {}
    for key, value in vars(est).items():
        if not key.endswith("_") or key.startswith("_"):
            continue
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            for i, v in enumerate(value):
                out[f"{key}[{i}]"] = v
        elif isinstance(value, (np.ndarray, list, tuple, float, int, np.generic)) and value is not None:
            out[key] = np.asarray(value)
    return out


def assert_identical(a, b):
    sa, sb = state(a), state(b)
    assert sa.keys() == sb.keys()
    for key in sa:
        assert sa[key].dtype == sb[key].dtype and np.array_equal(sa[key], sb[key]), key


def assert_different(a, b, keys):
    sa, sb = state(a), state(b)
    assert any(not np.array_equal(sa[k], sb[k]) for k in keys), f"same {keys} for different random_state"


# (id, factory(backend, seed), X, y, keys that a different seed must change)
RANDOM = [
    ("MLPClassifier-adam", lambda b, s: MLPClassifier((32,), max_iter=4, batch_size=64, random_state=s, backend=b),
     Y_CLS, ["coefs_[0]"]),
    ("MLPClassifier-sgd-f64", lambda b, s: MLPClassifier((16, 8), solver="sgd", learning_rate_init=0.05, max_iter=4,
                                                           batch_size=50, random_state=s, backend=b,
                                                           dtype=np.float64), Y_CLS, ["coefs_[0]"]),
    ("MLPClassifier-no-shuffle", lambda b, s: MLPClassifier((16,), shuffle=False, max_iter=3, random_state=s,
                                                            backend=b), Y_CLS, ["coefs_[0]"]),
    ("MLPClassifier-early-stopping", lambda b, s: MLPClassifier((16,), early_stopping=True, max_iter=6,
                                                                n_iter_no_change=2, random_state=s, backend=b),
     Y_CLS, ["coefs_[0]", "validation_scores_"]),
    ("MLPRegressor-adam", lambda b, s: MLPRegressor((32,), max_iter=4, batch_size=64, random_state=s, backend=b,
                                                    dtype=np.float64), Y_REG, ["coefs_[0]"]),
    ("MLPRegressor-early-stopping", lambda b, s: MLPRegressor((16,), early_stopping=True, max_iter=6,
                                                              random_state=s, backend=b), Y_REG,
     ["coefs_[0]", "validation_scores_"]),
    ("Perceptron", lambda b, s: Perceptron(max_iter=20, random_state=s, backend=b), Y_CLS, ["coef_"]),
    ("PCA-randomized", lambda b, s: PCA(5, svd_solver="randomized", iterated_power=1, n_oversamples=2,
                                        random_state=s, backend=b), None, ["components_"]),
    ("MLPClassifier-large", lambda b, s: MLPClassifier((128,), max_iter=2, batch_size=256, random_state=s,
                                                       backend=b, dtype=np.float64), Y_BIG, ["coefs_[0]"], X_BIG),
    ("PCA-randomized-large", lambda b, s: PCA(16, svd_solver="randomized", n_oversamples=4, iterated_power=1,
                                              random_state=s, backend=b), None,
     ["components_"], X_BIG),
]


def _fit(factory, backend, seed, y, data=X):
    est = factory(backend, seed)
    return est.fit(data) if y is None else est.fit(data, y)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", RANDOM, ids=[c[0] for c in RANDOM])
def test_same_random_state_gives_bit_identical_fits(case, backend, threads):
    _, factory, y, keys, *data = case
    data = data[0] if data else X
    a = _fit(factory, backend, 3, y, data)
    b = _fit(factory, backend, 3, y, data)
    assert_identical(a, b)
    out = (lambda e: e.transform(data)) if y is None else (lambda e: e.predict(data))
    assert np.array_equal(out(a), out(b))
    # a Generator passed as random_state: the same seed gives the same fit too
    c = _fit(lambda bk, s: factory(bk, np.random.default_rng(s)), backend, 3, y, data)
    d = _fit(lambda bk, s: factory(bk, np.random.default_rng(s)), backend, 3, y, data)
    assert_identical(c, d)
    assert_different(a, _fit(factory, backend, 4, y, data), keys)


DETERMINISTIC = [
    ("LinearRegression", lambda b: LinearRegression(backend=b), Y_REG),
    ("LinearRegression-lstsq", lambda b: LinearRegression(solver="lstsq", backend=b), Y_REG[:, 0]),
    ("Ridge", lambda b: Ridge(alpha=0.5, backend=b), Y_REG),
    ("RidgeCV-loo", lambda b: RidgeCV(alphas=(0.1, 1.0, 10.0), backend=b), Y_REG[:, 0]),
    ("RidgeCV-3fold", lambda b: RidgeCV(alphas=(0.1, 1.0), cv=3, backend=b), Y_REG[:, 0]),
    ("LogisticRegression-lbfgs", lambda b: LogisticRegression(backend=b), Y_CLS),
    ("LogisticRegression-newton", lambda b: LogisticRegression(solver="newton", backend=b), Y_CLS),
    ("LogisticRegression-gd", lambda b: LogisticRegression(solver="gd", max_iter=30, backend=b), Y_CLS),
    ("PCA-full", lambda b: PCA(4, svd_solver="full", backend=b), None),
    ("PCA-covariance_eigh", lambda b: PCA(4, svd_solver="covariance_eigh", backend=b), None),
    ("Perceptron-no-shuffle", lambda b: Perceptron(shuffle=False, max_iter=20, backend=b), Y_CLS),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", DETERMINISTIC, ids=[c[0] for c in DETERMINISTIC])
def test_deterministic_estimators_repeat_bit_for_bit(case, backend, threads):
    _, factory, y = case
    fits = [factory(backend).fit(X) if y is None else factory(backend).fit(X, y) for _ in range(3)]
    for other in fits[1:]:
        assert_identical(fits[0], other)


def test_standard_scaler_repeats_bit_for_bit():
    a, b = StandardScaler().fit(X), StandardScaler().fit(X)
    assert_identical(a, b)


# ------------------------------------------------------------------ splitters and generators
def _splits(splitter, y=None):
    return [(tr.copy(), te.copy()) for tr, te in splitter.split(X, y)]


def _same_splits(a, b):
    return len(a) == len(b) and all(np.array_equal(p[0], q[0]) and np.array_equal(p[1], q[1]) for p, q in zip(a, b))


@pytest.mark.parametrize("cls", [KFold, StratifiedKFold])
def test_shuffled_splitters_are_reproducible(cls):
    a = _splits(cls(5, shuffle=True, random_state=0), Y_CLS)
    assert _same_splits(a, _splits(cls(5, shuffle=True, random_state=0), Y_CLS))
    assert not _same_splits(a, _splits(cls(5, shuffle=True, random_state=1), Y_CLS))
    # splitting twice with the same (int-seeded) splitter gives the same folds
    s = cls(5, shuffle=True, random_state=0)
    assert _same_splits(_splits(s, Y_CLS), _splits(s, Y_CLS))


@pytest.mark.parametrize("stratify", [None, Y_CLS], ids=["plain", "stratified"])
def test_train_test_split_is_reproducible(stratify):
    a = train_test_split(X, Y_CLS, test_size=0.3, random_state=5, stratify=stratify)
    b = train_test_split(X, Y_CLS, test_size=0.3, random_state=5, stratify=stratify)
    c = train_test_split(X, Y_CLS, test_size=0.3, random_state=6, stratify=stratify)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[1], c[1])


GENERATORS = [
    ("make_xor", lambda s: make_xor(50, noise=0.1, random_state=s)),
    ("make_regression", lambda s: make_regression(40, 6, n_informative=3, noise=0.5, coef=True, random_state=s)),
    ("make_classification", lambda s: make_classification(40, 6, n_informative=2, n_classes=3, random_state=s)),
    ("make_blobs", lambda s: make_blobs(40, n_features=3, centers=4, return_centers=True, random_state=s)),
    ("make_moons", lambda s: make_moons(40, noise=0.1, random_state=s)),
    ("make_circles", lambda s: make_circles(40, noise=0.1, random_state=s)),
    ("make_swiss_roll", lambda s: make_swiss_roll(40, noise=0.1, hole=True, random_state=s)),
]


@pytest.mark.parametrize("gen", [g[1] for g in GENERATORS], ids=[g[0] for g in GENERATORS])
def test_generators_are_reproducible(gen):
    a, b, c = gen(11), gen(11), gen(12)
    assert len(a) == len(b) and all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
