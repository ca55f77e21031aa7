"""mlbasics.save / mlbasics.load: every estimator round-trips exactly, and hostile files are ValueErrors.

Round trips (every estimator × every backend): the loaded estimator has the same parameters and
fitted state (arrays bit-identical, same dtypes and types, generators in the same state), the
same outputs (np.array_equal), and training it on — ``partial_fit`` and ``warm_start`` for the
MLPs, a refit for the others (which consumes the same random generator) — gives exactly what the
same training gives on the original. Hostile files: truncations, bit flips, pickles, unknown
classes, path traversal, shapes that do not match, object arrays, huge declared shapes, a
decompression bomb, other format versions, not-a-zip, directories, and fuzzing with hypothesis:
loading raises ValueError (or, for harmless changes such as a ZIP timestamp, loads the same model).
"""
import importlib
import inspect
import io
import json
import pickle
import pkgutil
import warnings
import zipfile

import numpy as np
import scipy.sparse
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlbasics
from mlbasics import _persistence, optim
from mlbasics._base import BaseEstimator
from mlbasics.cluster import KMeans, MiniBatchKMeans, SpectralClustering
from mlbasics.manifold import Isomap
from mlbasics.decomposition import PCA
from mlbasics.exceptions import NotFittedError
from mlbasics.linear_model import LinearRegression, LogisticRegression, Perceptron, Ridge, RidgeCV
from mlbasics.model_selection import KFold
from mlbasics.neural_network import MLPClassifier, MLPRegressor
from mlbasics.preprocessing import PolynomialFeatures, StandardScaler

pytestmark = pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")

BACKENDS = ("cpp", "numba", "numpy")
RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 4))
Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * RNG.standard_normal(40)
Y_2D = np.column_stack([Y_REG, 0.5 * Y_REG + 1.0])
Y_BIN = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
Y_3 = np.digitize(X[:, 0], [-0.5, 0.5])

# name → (estimator for a backend, y). The MLPs cover every solver between them, float32 and float64,
# shuffling from an int seed and from a Generator parameter, the lr schedules and early stopping.
CASES = {
    "LinearRegression": (lambda b: LinearRegression(backend=b), Y_REG),
    "LinearRegression-lstsq-2d": (lambda b: LinearRegression(solver="lstsq", backend=b), Y_2D),
    "Ridge": (lambda b: Ridge(alpha=0.5, fit_intercept=False, backend=b), Y_2D),
    "RidgeCV": (lambda b: RidgeCV(alphas=(0.1, 1.0, 10.0), backend=b), Y_REG),
    "RidgeCV-kfold": (lambda b: RidgeCV(alphas=np.array([0.01, 1.0]), cv=3, backend=b), Y_2D),
    "LogisticRegression": (lambda b: LogisticRegression(C=0.5, backend=b), Y_3),
    "LogisticRegression-binary": (lambda b: LogisticRegression(solver="newton", backend=b), Y_BIN),
    "Perceptron": (lambda b: Perceptron(max_iter=5, random_state=np.random.default_rng(3), backend=b), Y_3),
    "PCA": (lambda b: PCA(n_components=2, svd_solver="randomized", random_state=np.random.RandomState(1),
                          backend=b), None),
    "PCA-whiten": (lambda b: PCA(n_components=0.9, svd_solver="full", whiten=True, backend=b), None),
    "KMeans": (lambda b: KMeans(3, n_init=2, random_state=0, backend=b), None),
    "KMeans-float32-init": (lambda b: KMeans(2, init=X[:2].astype(np.float32), backend=b), None),
    "MiniBatchKMeans": (lambda b: MiniBatchKMeans(3, batch_size=8, random_state=np.random.default_rng(2),
                                                  backend=b), None),
    "MiniBatchKMeans-no-labels": (lambda b: MiniBatchKMeans(2, batch_size=16, compute_labels=False, random_state=0,
                                                            backend=b), None),
    "SpectralClustering-knn": (lambda b: SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=5,
                                                            random_state=0, backend=b), None),
    "SpectralClustering-rbf": (lambda b: SpectralClustering(3, gamma=0.5, random_state=1, backend=b), None),
    "Isomap": (lambda b: Isomap(n_neighbors=6, n_components=2, backend=b), None),
    "MLPClassifier-adam": (lambda b: MLPClassifier((6, 5), max_iter=4, batch_size=16, random_state=0,
                                                   backend=b), Y_BIN),
    "MLPClassifier-sgd": (lambda b: MLPClassifier((5,), solver="sgd", learning_rate="invscaling", max_iter=3,
                                                  batch_size=8, random_state=np.random.default_rng(7),
                                                  dtype=np.float64, backend=b), Y_3),
    "MLPClassifier-rprop": (lambda b: MLPClassifier(4, solver="rprop", activation="tanh", max_iter=3,
                                                    random_state=1, backend=b), Y_3),
    "MLPRegressor-rmsprop": (lambda b: MLPRegressor((5,), solver="rmsprop", learning_rate="adaptive", tol=10.0,
                                                    n_iter_no_change=1, max_iter=4, batch_size=10, random_state=2,
                                                    backend=b), Y_2D),
    "MLPRegressor-adagrad": (lambda b: MLPRegressor((3, 3), solver="adagrad", activation="logistic", max_iter=3,
                                                    batch_size=16, random_state=3, dtype="float64", backend=b),
                             Y_REG),
    "MLPRegressor-adadelta": (lambda b: MLPRegressor((4,), solver="adadelta", learning_rate_init=1.0, max_iter=3,
                                                     batch_size=16, random_state=4, backend=b), Y_REG),
    "MLPRegressor-sgd-early-stopping": (lambda b: MLPRegressor((4,), solver="sgd", momentum=0.5,
                                                               nesterovs_momentum=False, early_stopping=True,
                                                               max_iter=4, random_state=5, backend=b), Y_REG),
    # the new tricks: γ/β in the flat buffer, running statistics, spectral vectors, the dropout seed
    "MLPClassifier-tricks": (lambda b: MLPClassifier((4, 4), max_iter=3, batch_size=16, random_state=0, dropout=0.2,
                                                     normalization="batch", residual=True, spectral_norm=True,
                                                     backend=b), Y_3),
    "MLPRegressor-tricks-early-stopping": (lambda b: MLPRegressor((6, 6), max_iter=3, random_state=1, dropout=(0.1, 0),
                                                                  normalization="group", norm_groups=3,
                                                                  spectral_norm=True, early_stopping=True,
                                                                  dtype=np.float64, backend=b), Y_2D),
}
TRANSFORMERS = {
    "StandardScaler": (StandardScaler(), None),
    "StandardScaler-no-mean": (StandardScaler(with_mean=False), None),
    "PolynomialFeatures": (PolynomialFeatures(degree=3), None),
    "PolynomialFeatures-interactions": (PolynomialFeatures(degree=2, interaction_only=True, include_bias=False),
                                        None),
}


# ---------------------------------------------------------------------- helpers
def _round_trip(est):
    buf = io.BytesIO()
    mlbasics.save(est, buf)
    return mlbasics.load(io.BytesIO(buf.getvalue()))


def _to_bytes(est):
    buf = io.BytesIO()
    mlbasics.save(est, buf)
    return buf.getvalue()


def _load_bytes(data):
    return mlbasics.load(io.BytesIO(data))


def _same(a, b, where="estimator"):
    """Equal values of the same types: arrays bit for bit (NaN equal to NaN), generators by state."""
    if isinstance(a, np.ndarray):
        assert type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif scipy.sparse.issparse(a):
        assert scipy.sparse.issparse(b) and a.format == b.format and a.dtype == b.dtype and a.shape == b.shape, where
        assert (a != b).nnz == 0, where
    elif isinstance(a, np.random.Generator):
        assert type(b) is np.random.Generator, where
        _same(a.bit_generator.state, b.bit_generator.state, where)
    elif isinstance(a, np.random.RandomState):
        assert type(b) is np.random.RandomState, where
        _same(a.get_state(legacy=False), b.get_state(legacy=False), where)
    elif isinstance(a, optim.Optimizer):
        assert type(a) is type(b) and a.backend == b.backend, where
        _same(a.state_dict(), b.state_dict(), where + ".state_dict()")
        _same(a.defaults, b.defaults, where + ".defaults")
    elif isinstance(a, dict):
        assert type(b) is dict and list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            _same(u, v, f"{where}[{i}]")
    else:
        assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


def _same_estimator(a, b):
    assert type(a) is type(b)
    skip = {"_grad_flat"}  # an output buffer the next step overwrites before reading
    assert set(vars(a)) - skip == set(vars(b)) - skip
    for name in vars(a):
        if name not in skip:
            _same(vars(a)[name], vars(b)[name], name)
    if getattr(a, "_rng", None) is not None:  # an MLP given a Generator keeps drawing from it
        assert (a._rng is a.random_state) == (b._rng is b.random_state)
    if hasattr(b, "_params_flat"):  # the layers are views into the buffer the optimizer updates
        assert all(np.shares_memory(W, b._params_flat) for W in b.coefs_ + b.intercepts_)
        assert b._optimizer.param_groups[0]["params"][0] is b._params_flat


def _outputs(est):
    out = []
    for method in ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform"):
        if hasattr(est, method):
            out.append(getattr(est, method)(X))
    if hasattr(est, "inverse_transform"):
        out.append(est.inverse_transform(est.transform(X)))
    if hasattr(est, "get_feature_names_out"):
        out.append(est.get_feature_names_out())
    return out


def _continue(est, y):
    """Training that starts from the fitted state."""
    if hasattr(est, "partial_fit"):
        if not getattr(est, "early_stopping", False):
            est.partial_fit(X, y)
            est.partial_fit(X[::-1], None if y is None else y[::-1])
        if hasattr(est, "warm_start"):
            est.set_params(warm_start=True, max_iter=2).fit(X, y)
    else:
        est.fit(X, y)
    return est


def _assert_round_trip(est, y):
    est.fit(X, y)
    loaded = _round_trip(est)
    _same_estimator(est, loaded)
    for u, v in zip(_outputs(est), _outputs(loaded)):
        _same(u, v, "output")
    _continue(est, y)
    _continue(loaded, y)
    _same_estimator(est, loaded)
    for u, v in zip(_outputs(est), _outputs(loaded)):
        _same(u, v, "output after continued training")


def _rezip(data, meta=None, members=None, drop=(), add=()):
    """A copy of the file ``data`` with metadata.json edited by ``meta(dict)``, members replaced
    (name → bytes), dropped, or added ((name, bytes) pairs, duplicates allowed)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about a duplicate name
        with zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                if info.filename in drop:
                    continue
                body = src.read(info)
                if info.filename == "metadata.json" and meta is not None:
                    d = json.loads(body)
                    meta(d)
                    body = json.dumps(d).encode()
                body = (members or {}).get(info.filename, body)
                dst.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED)
            for name, body in add:
                dst.writestr(name, body)
    return out.getvalue()


def _npy(arr, **header):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    data = buf.getvalue()
    if header:  # rewrite the header's dictionary (same length, padded)
        end = data.index(b"\n") + 1
        d = np.lib.format.header_data_from_array_1_0(arr)
        d.update(header)
        text = repr({"descr": d["descr"], "fortran_order": d["fortran_order"], "shape": d["shape"]}).encode()
        assert len(text) < end - 10
        data = data[:10] + text.ljust(end - 11) + b"\n" + data[end:]
    return data


def _refused(data, match=None):
    with pytest.raises(ValueError, match=match):
        _load_bytes(data)


def _ridge_file():
    return _to_bytes(Ridge(backend="numpy").fit(X, Y_REG))


@pytest.fixture(scope="module")
def mlp_file():
    est = MLPClassifier((3,), max_iter=2, batch_size=20, random_state=0, backend="numpy").fit(X, Y_3)
    return est, _to_bytes(est)


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_on_every_backend(case, backend):
    make, y = CASES[case]
    _assert_round_trip(make(backend), y)


@pytest.mark.parametrize("case", sorted(TRANSFORMERS))
def test_round_trip_transformers(case):
    est, y = TRANSFORMERS[case]
    _assert_round_trip(mlbasics.model_selection.clone(est), y)


@pytest.mark.parametrize("case", sorted(CASES) + sorted(TRANSFORMERS))
def test_unfitted_round_trip(case):
    est = CASES[case][0]("numpy") if case in CASES else mlbasics.model_selection.clone(TRANSFORMERS[case][0])
    y = CASES[case][1] if case in CASES else None
    loaded = _round_trip(est)
    _same_estimator(est, loaded)
    method = next((m for m in ("predict", "transform") if hasattr(est, m)), None)
    if method is not None:  # SpectralClustering has neither: it only labels its training data
        with pytest.raises(NotFittedError):
            getattr(loaded, method)(X)
    est.fit(X, y)
    loaded.fit(X, y)
    _same_estimator(est, loaded)


def test_mlp_partial_fit_from_scratch_round_trip():
    """A model built only by partial_fit (classes given), saved between calls."""
    a = MLPClassifier((4,), random_state=0, backend="cpp").partial_fit(X, Y_3, classes=[0, 1, 2, 3])
    b = _round_trip(a)
    for _ in range(3):
        a.partial_fit(X, Y_3)
        b = _round_trip(b.partial_fit(X, Y_3))
    _same_estimator(a, b)


def test_every_public_estimator_is_in_the_allow_list():
    """Every public class deriving from BaseEstimator can be saved: a new estimator fails here until
    its entry is added to mlbasics._persistence._ESTIMATORS."""
    found = set()
    for info in pkgutil.walk_packages(mlbasics.__path__, "mlbasics."):
        if info.name.endswith("__main__") or info.name == "mlbasics.plotting":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isclass(obj) and issubclass(obj, BaseEstimator) and obj is not BaseEstimator
                    and not name.startswith("_")
                    and obj.__module__.startswith("mlbasics")):
                public = obj.__module__.split("._")[0] + "." + obj.__name__
                found.add(public)
    assert found == set(_persistence._ESTIMATORS)


def test_feature_names_survive_as_strings():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    est = LogisticRegression(backend="numpy").fit(df, Y_BIN)
    data = _to_bytes(est)
    z = zipfile.ZipFile(io.BytesIO(data))
    assert json.loads(z.read("metadata.json"))["arrays"]["fitted.feature_names_in_.npy"]["dtype"] == "<U1"
    loaded = _load_bytes(data)
    assert loaded.feature_names_in_.dtype == object and list(loaded.feature_names_in_) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(loaded.predict(df), est.predict(df))  # no warning: the names match
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(df[["b", "a", "c", "d"]])


def test_set_output_and_string_classes_survive():
    scaler = _round_trip(StandardScaler().set_output(transform="default"))
    assert scaler._output_transform == "default"
    clf = _round_trip(Perceptron(random_state=0, backend="numpy").fit(X, Y_BIN.astype(object)))
    assert clf.classes_.dtype == object and list(clf.classes_) == ["no", "yes"]


def test_same_estimator_same_bytes_and_files(tmp_path):
    est = MLPRegressor((3,), max_iter=2, random_state=0, backend="numpy").fit(X, Y_REG)
    assert _to_bytes(est) == _to_bytes(est)
    path = tmp_path / "model.mlbasics"
    mlbasics.save(est, path)
    mlbasics.save(est, str(path))  # replaces the file
    _same_estimator(est, mlbasics.load(path))
    with open(path, "rb") as f:
        _same_estimator(est, mlbasics.load(f))
    z = zipfile.ZipFile(path)
    assert z.namelist()[0] == "metadata.json"
    assert all(name.endswith(".npy") for name in z.namelist()[1:])
    for name in z.namelist()[1:]:  # plain .npy files: anyone can read them with NumPy
        np.load(io.BytesIO(z.read(name)), allow_pickle=False)


def test_a_backend_object_is_saved_by_name():
    est = Ridge(backend=mlbasics.get_backend("numpy")).fit(X, Y_REG)
    assert _round_trip(est).backend == "numpy"


def test_parameters_that_cannot_be_saved():
    with pytest.raises(ValueError, match="^callback: a function"):
        mlbasics.save(LogisticRegression(callback=lambda *a: None), io.BytesIO())
    with pytest.raises(ValueError, match="^cv: a mlbasics.model_selection.KFold"):
        mlbasics.save(RidgeCV(cv=KFold(3)), io.BytesIO())
    with pytest.raises(ValueError, match="^random_state: a builtins.object"):
        mlbasics.save(Perceptron(random_state=object()), io.BytesIO())

    class MyRidge(Ridge):
        pass

    with pytest.raises(ValueError, match="MyRidge cannot be saved"):
        mlbasics.save(MyRidge(), io.BytesIO())
    with pytest.raises(ValueError, match="cannot be saved"):
        mlbasics.save(object(), io.BytesIO())
    with pytest.raises(ValueError, match="directory"):
        mlbasics.save(Ridge(), "/")


def test_state_that_is_not_in_the_allow_list_is_refused_at_save():
    est = Ridge(backend="numpy").fit(X, Y_REG)
    est._cache = np.zeros(3)
    with pytest.raises(ValueError, match="^_cache: not a saved attribute of Ridge"):
        mlbasics.save(est, io.BytesIO())


def test_generators_of_other_bit_generators_round_trip():
    for bit_generator in (np.random.MT19937(1), np.random.Philox(2), np.random.SFC64(3)):
        est = Perceptron(max_iter=3, random_state=np.random.Generator(bit_generator), backend="numpy")
        loaded = _round_trip(est)
        _same_estimator(est, loaded)
        _same_estimator(est.fit(X, Y_3), loaded.fit(X, Y_3))


# ---------------------------------------------------------------------- hostile files
def test_truncated_at_every_offset(mlp_file):
    _, data = mlp_file
    for end in list(range(0, 200)) + list(range(200, len(data), 37)):
        _refused(data[:end])


def _data_ranges(data):
    """(start, end) of every member's stored bytes."""
    z = zipfile.ZipFile(io.BytesIO(data))
    ranges = []
    for info in z.infolist():
        name_len, extra_len = np.frombuffer(data[info.header_offset + 26:info.header_offset + 30], "<u2")
        start = info.header_offset + 30 + int(name_len) + int(extra_len)
        ranges.append((start, start + info.compress_size))
    return ranges


def test_bit_flips_in_member_data_are_refused(mlp_file):
    _, data = mlp_file
    rng = np.random.default_rng(1)
    ranges = _data_ranges(data)
    for _ in range(300):
        start, end = ranges[rng.integers(len(ranges))]
        pos, bit = int(rng.integers(start, end)), int(rng.integers(8))
        flipped = bytearray(data)
        flipped[pos] ^= 1 << bit
        _refused(bytes(flipped))


def test_bit_flips_anywhere_are_refused_or_harmless(mlp_file):
    est, data = mlp_file
    rng = np.random.default_rng(2)
    for _ in range(300):
        pos, bit = int(rng.integers(len(data))), int(rng.integers(8))
        flipped = bytearray(data)
        flipped[pos] ^= 1 << bit
        try:
            loaded = _load_bytes(bytes(flipped))
        except ValueError:
            continue
        _same_estimator(est, loaded)  # e.g. a flipped ZIP timestamp


TRAPPED = []


def _trap():
    TRAPPED.append(True)
    return 0


class _Booby:
    def __reduce__(self):
        return _trap, ()


def test_pickles_are_never_unpickled():
    payload = pickle.dumps(_Booby())
    _refused(payload, "not an mlbasics file.*unpickling runs code")
    _refused(pickle.dumps(Ridge()), "ZIP archive")
    data = _ridge_file()
    # a pickle member beside the others, or instead of an array
    _refused(_rezip(data, add=[("model.pkl", payload)]), "not an allowed name")
    _refused(_rezip(data, add=[("payload.npy", _npy(np.array([_Booby()], dtype=object)))]), "differ")
    obj = _npy(np.array([_Booby()], dtype=object))
    _refused(_rezip(data, members={"fitted.coef_.npy": obj}), "dtype")
    _refused(_rezip(data, members={"fitted.coef_.npy": obj},
                    meta=lambda d: d["arrays"]["fitted.coef_.npy"].update(dtype="|O")), "dtype")
    assert not TRAPPED


def test_unknown_classes_are_refused():
    data = _ridge_file()
    for name in ("os.system", "builtins.eval", "mlbasics.linear_model.Nope", "mlbasics.optim.SGD",
                 "mlbasics.linear_model._ridge.Ridge", "mlbasics.model_selection.KFold", None, 3):
        _refused(_rezip(data, meta=lambda d: d.update({"class": name})), "^class: .* is not an estimator")


@pytest.mark.parametrize("name", ["../evil.npy", "/etc/evil.npy", "dir/evil.npy", "..\\evil.npy", "evil",
                                  "fitted..coef_.npy", "C:evil.npy", "metadata.json/", "x.npy\x00.txt"])
def test_member_names_outside_the_pattern_are_refused(name):
    _refused(_rezip(_ridge_file(), add=[(name, _npy(np.zeros(3)))]), "not an allowed name|differ")


def test_duplicate_extra_and_missing_members_are_refused():
    data = _ridge_file()
    coef = zipfile.ZipFile(io.BytesIO(data)).read("fitted.coef_.npy")
    _refused(_rezip(data, add=[("fitted.coef_.npy", coef)]), "appears twice")
    _refused(_rezip(data, add=[("metadata.json", b"{}")]), "appears twice")
    _refused(_rezip(data, add=[("extra.npy", coef)]), "differ")
    _refused(_rezip(data, drop=("fitted.coef_.npy",)), "differ")
    _refused(_rezip(data, drop=("metadata.json",)), "no metadata.json")
    # listed and present, but no value refers to it; referred to twice
    _refused(_rezip(data, add=[("extra.npy", coef)],
                    meta=lambda d: d["arrays"].update({"extra.npy": {"shape": [4], "dtype": "<f8"}})),
             "no value refers")
    _refused(_rezip(data, meta=lambda d: d["fitted"].update(intercept_={"$array": "fitted.coef_.npy"})), "twice")


def test_shapes_and_dtypes_that_do_not_match_are_refused():
    data = _ridge_file()
    five = _npy(np.zeros(5))
    _refused(_rezip(data, members={"fitted.coef_.npy": five}), "holds shape .5,., metadata.json declares .4,.")
    # consistent file, but coef_ does not fit n_features_in_
    _refused(_rezip(data, members={"fitted.coef_.npy": five},
                    meta=lambda d: d["arrays"]["fitted.coef_.npy"].update(shape=[5])), "^coef_: expected shape")
    _refused(_rezip(data, meta=lambda d: d["fitted"].update(n_features_in_=3)), "coef_")
    f32 = _npy(np.zeros(4, dtype=np.float32))
    _refused(_rezip(data, members={"fitted.coef_.npy": f32}), "dtype")
    big_endian = _npy(np.zeros(4, dtype=">f8"))
    _refused(_rezip(data, members={"fitted.coef_.npy": big_endian},
                    meta=lambda d: d["arrays"]["fitted.coef_.npy"].update(dtype=">f8")), "not allowed")
    # a header that promises more (or less) data than the member holds
    short = _npy(np.zeros(4))[:-8]
    _refused(_rezip(data, members={"fitted.coef_.npy": short}), "data bytes")
    _refused(_rezip(data, members={"fitted.coef_.npy": _npy(np.zeros(4)) + b"\0" * 8}), "data bytes")
    _refused(_rezip(data, meta=lambda d: d["fitted"].update(intercept_="zero")), "intercept_")
    _refused(_rezip(data, meta=lambda d: d["fitted"].pop("intercept_")), "intercept_: missing")


def test_huge_declared_shapes_allocate_nothing():
    data = _ridge_file()
    huge = _npy(np.zeros(4), shape=(10 ** 12,))
    _refused(_rezip(data, members={"fitted.coef_.npy": huge}), "declares")
    _refused(_rezip(data, members={"fitted.coef_.npy": huge},
                    meta=lambda d: d["arrays"]["fitted.coef_.npy"].update(shape=[10 ** 12])), "needs more bytes")
    _refused(_rezip(data, meta=lambda d: d["arrays"]["fitted.coef_.npy"].update(shape=[2 ** 40] * 40)),
             "at most 32")


def test_decompression_bombs_are_refused(monkeypatch):
    data = _ridge_file()
    # 50 MB of JSON whitespace, deflated to about 50 kB: refused before it is decompressed
    padded = zipfile.ZipFile(io.BytesIO(data)).read("metadata.json") + b" " * 50_000_000
    _refused(_rezip(data, members={"metadata.json": padded}), "decompression bomb")
    # a member declaring more than the limit, however it compresses
    monkeypatch.setattr(_persistence, "_MAX_MEMBER_BYTES", 100)
    _refused(data, "above the limit of 100")


def test_format_versions():
    data = _ridge_file()
    _refused(_rezip(data, meta=lambda d: d.update(format_version=2)),
             "format_version 2.*newer mlbasics.*upgrade mlbasics")
    for bad in (0, -1, "1", 1.0, True, None):
        _refused(_rezip(data, meta=lambda d: d.update(format_version=bad)), "format_version")
    _refused(_rezip(data, meta=lambda d: d.pop("format_version")), "format_version")
    _refused(_rezip(data, meta=lambda d: d.update(format="skops")), "not an mlbasics file")
    _refused(_rezip(data, meta=lambda d: d.update(extra=1)), "expected the keys")


def test_not_an_mlbasics_file(tmp_path):
    for data in (b"", b"hello", b"PK\x03\x04", b"PK\x05\x06" + b"\0" * 18, np.random.default_rng(0).bytes(5000)):
        _refused(data)
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("metadata.json", b"not json")
    _refused(plain.getvalue(), "not valid JSON")
    with pytest.raises(ValueError, match="directory"):
        mlbasics.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        mlbasics.load(tmp_path / "missing")
    with pytest.raises(ValueError, match="binary mode"):
        mlbasics.load(io.StringIO("text"))


def test_encrypted_and_unsupported_compression_are_refused():
    data = bytearray(_ridge_file())
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = z.getinfo("metadata.json")
    central = bytes(data).index(b"PK\x01\x02", z.start_dir)  # metadata.json's entry comes first
    assert z.infolist()[0] is info
    encrypted = bytearray(data)
    encrypted[central + 8] |= 1
    _refused(bytes(encrypted), "encrypted")
    lzma = bytearray(data)
    lzma[central + 10] = 14
    _refused(bytes(lzma), "compression method")


def _nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def test_values_that_are_not_in_the_format_are_refused():
    data = _ridge_file()
    text = zipfile.ZipFile(io.BytesIO(data)).read("metadata.json").decode()
    _refused(_rezip(data, members={"metadata.json": text.replace('"alpha": 1.0', '"alpha": NaN').encode()}),
             "not standard JSON")
    _refused(_rezip(data, members={"metadata.json": text.replace('"alpha": 1.0', '"alpha": 1.0, "alpha": 2.0')
                                   .encode()}), "twice")
    _refused(_rezip(data, members={"metadata.json": b"[" * 100_000 + b"]" * 100_000}), "not valid JSON|not an")
    params = [({"alpha": {"$eval": "1"}}, "unknown tag"), ({"alpha": {"$float": "1e400"}}, r"\$float"),
              ({"alpha": {"a": 1, "b": 2}}, "one '\\$' key"), ({"alpha": {"$scalar": ["object", 1]}}, r"\$scalar"),
              ({"alpha": {"$scalar": ["int8", 1000]}}, "out of range"),
              ({"alpha": {"$scalar": ["float32", 1e300]}}, "out of range"),
              ({"alpha": {"$type": "os.system"}}, r"\$type"), ({"alpha": -1.0}, "^params: alpha"),
              ({"alpha": "1"}, "alpha"), ({"gamma": 1.0}, "^gamma: not a parameter"),
              ({"alpha": {"$generator": {"$dict": [["bit_generator", "Evil"]]}}}, "one of"),
              ({"alpha": {"$ref": "alpha"}}, r"\$ref"),
              ({"alpha": {"$dict": [[1, 2], [1, 3]]}}, "distinct"),
              ({"alpha": {"$tuple": _nested(100)}}, "deeply"), ({"alpha": 1e999}, "not standard JSON")]
    for edit, match in params:
        _refused(_rezip(data, meta=lambda d: d["params"].update(edit)), match)
    fitted = [({"__class__": "os.system"}, "__class__: not a saved attribute"),
              ({"predict": 1}, "predict: not a saved"), ({"_evil": 1}, "_evil: not a saved"),
              ({"alpha": 2.0}, "alpha: not a saved"), ({"extra_": 1}, "extra_: not a saved"),
              ({"feature_names_in_": {"$array": "fitted.coef_.npy"}}, "feature_names_in_|twice")]
    for edit, match in fitted:
        _refused(_rezip(data, meta=lambda d: d["fitted"].update(edit)), match)


def test_hostile_fitted_state_of_other_estimators(mlp_file):
    _, data = mlp_file
    adam = "fitted._optimizer.state_dict.state.0.exp_avg.npy"
    _refused(_rezip(data, members={adam: _npy(np.zeros(3, dtype=np.float32))},
                    meta=lambda d: d["arrays"][adam].update(shape=[3])), "_optimizer")
    _refused(_rezip(data, meta=lambda d: d["fitted"].update(n_layers_=5)), "n_layers_")
    _refused(_rezip(data, meta=lambda d: d["fitted"].update(out_activation_="logistic")), "out_activation_")
    _refused(_rezip(data, meta=lambda d: d["fitted"].update(_rng=1)), "_rng")
    _refused(_rezip(data, meta=lambda d: d["fitted"].update(_params_flat=1)), "_params_flat: not a saved")
    classes = _npy(np.array([2, 1, 0]))
    _refused(_rezip(data, members={"fitted.classes_.npy": classes}), "sorted")
    poly = _to_bytes(PolynomialFeatures(degree=2).fit(X))
    powers = np.zeros((15, 4), dtype=np.int64)
    powers[:, 0] = np.arange(15) % 3
    _refused(_rezip(poly, members={"fitted.powers_.npy": _npy(powers)}), "powers_")
    pca = _to_bytes(PCA(2, backend="numpy").fit(X))
    _refused(_rezip(pca, meta=lambda d: d["fitted"].update(_fit_svd_solver="auto")), "_fit_svd_solver")
    scaler = _to_bytes(StandardScaler().fit(X))
    _refused(_rezip(scaler, meta=lambda d: d["fitted"].update(mean_=None)), "mean_")


# ---------------------------------------------------------------------- fuzzing
def _load_or_value_error(data):
    try:
        loaded = _load_bytes(data)
    except ValueError:
        return None
    return loaded


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes(data):
    _load_or_value_error(data)
    _load_or_value_error(b"PK\x03\x04" + data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzz_mutated_files(mlp_file, data):
    """Byte changes anywhere in the ZIP, and (re-zipped, so the CRCs hold) in metadata.json's text:
    a ValueError, or a model that predicts."""
    _, original = mlp_file
    raw = bytearray(original)
    for _ in range(data.draw(st.integers(1, 6))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    _load_or_value_error(bytes(raw))

    text = bytearray(zipfile.ZipFile(io.BytesIO(original)).read("metadata.json"))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(text) - 1))
        text[pos:pos + data.draw(st.integers(0, 3))] = data.draw(st.sampled_from(
            [b"0", b"9", b"-", b".", b"e", b"[", b"]", b"{", b"}", b'"', b",", b":", b"null", b"true", b"1e999",
             b"$", b"_", b"x", b"", b'{"$float": "nan"}', b"99999999999"]))
    loaded = _load_or_value_error(_rezip(original, members={"metadata.json": bytes(text)}))
    if loaded is not None:
        assert loaded.predict(X).shape == (X.shape[0],)
