"""``mlbasics bench``: kernels, training and fits side by side with NumPy, PyTorch and scikit-learn.

Everything is measured in one run, at each thread count, with the same number of threads on both
sides: ``mlbasics.set_num_threads(t)`` for our C++ pool and Numba, threadpoolctl for the BLAS
pools of NumPy/SciPy (and so of scikit-learn), ``torch.set_num_threads(t)`` for PyTorch. A time
is the median of repeated calls after a warm-up call (JIT compilation is not counted). Rows for
PyTorch and scikit-learn appear when they are installed; neither is a dependency of mlbasics.
"""
from __future__ import annotations

import contextlib
import datetime
import functools
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional

import numpy as np

from .backends import available_backends, get_backend, get_num_threads, set_num_threads

# One core of this project's machine (AMD Zen, AVX2 + FMA at ~3 GHz): 2 FMA units × 8 float32
# lanes × 2 flops × 3e9 Hz. Used only to print a fraction of peak; override with --peak.
DEFAULT_PEAK_GFLOPS = {"float32": 96.0, "float64": 48.0}
#: One core's nominal peak per C++ SIMD path (2 FMA units × lanes × 2 flops × 3 GHz; a core that
#: boosts higher shows more than 100%): the AVX-512 path has twice the lanes of the AVX2 one.
PEAK_GFLOPS_BY_PATH = {"avx512": {"float32": 192.0, "float64": 96.0}, "avx2": DEFAULT_PEAK_GFLOPS,
                       "generic": {"float32": 24.0, "float64": 12.0}}


def default_peak() -> dict[str, float]:
    """The nominal one-core peak of the C++ SIMD path in use (the AVX2 figures without the extension)."""
    try:
        from . import _core

        return PEAK_GFLOPS_BY_PATH.get(_core.cpu_path(), DEFAULT_PEAK_GFLOPS)
    except ImportError:  # pragma: no cover - the extension is part of every install
        return DEFAULT_PEAK_GFLOPS


def median_time(fn: Callable[[], object], repeat: int, min_time: float = 0.0) -> float:
    """Median wall time of ``fn()`` over at least ``repeat`` calls (after one warm-up call)."""
    fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def median_times_interleaved(fns: dict[Any, Callable[[], object]], repeat: int) -> dict[Any, float]:
    """Median wall time of each ``fns[key]()`` over ``repeat`` rounds, every round calling each
    function once (after one warm-up call each), the starting function rotating between rounds.

    Contenders measured one after the other meet different conditions on a shared machine: on
    the 2-core VM the same LogisticRegression fit took 195–308 ms within one process, slow in
    spells lasting seconds, and the fit rows measured each contender's repeats back to back
    (ours 264 ms in the spell after the PCA rows, scikit-learn's later: a ratio of 2.6; the
    next run, taking turns, read 3.6). Taking turns gives every contender the same share of
    such spells.
    A function that raises ValueError in its warm-up call (a solver this version of a peer
    library does not have) is left out of the result.
    """
    live: dict[Any, Callable[[], object]] = {}
    for key, fn in fns.items():
        try:
            fn()
        except ValueError:
            continue
        live[key] = fn
    keys = list(live)
    times: dict[Any, list[float]] = {k: [] for k in keys}
    for r in range(repeat):
        for i in range(len(keys)):
            key = keys[(i + r) % len(keys)]
            t0 = time.perf_counter()
            live[key]()
            times[key].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


@contextlib.contextmanager
def thread_limit(n: int) -> Iterator[None]:
    """Run with ``n`` threads everywhere: our pools, the BLAS pools of NumPy and SciPy, PyTorch's.

    threadpoolctl limits the BLAS libraries loaded when the block starts, so SciPy's (it ships its
    own OpenBLAS, loaded with ``scipy.linalg``) is loaded first. PyTorch is limited only when it
    is already imported: importing it takes seconds, and only the bench's peers use it.
    """
    old = get_num_threads()
    set_num_threads(n)
    torch = sys.modules.get("torch")
    old_torch = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(n)
    try:
        import scipy.linalg  # noqa: F401  # loads SciPy's BLAS, so that the limit reaches it too
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl and scipy are dependencies
        limits: Any = contextlib.nullcontext()
    else:
        limits = threadpool_limits(limits=n, user_api="blas")
    try:
        with limits:
            yield
    finally:
        set_num_threads(old)
        if torch:
            torch.set_num_threads(old_torch)


def _optional(name: str) -> Any:
    try:
        return __import__(name)
    except ImportError:
        return None


def _row(group: str, impl: str, dtype: str, seconds: float, threads: int, **extra: Any) -> dict[str, Any]:
    return dict(group=group, impl=impl, dtype=dtype, seconds=seconds, threads=threads, **extra)


# ----------------------------------------------------------------------------- kernels
def _cpp_path() -> str:
    """The C++ core's SIMD path (``MLBASICS_CPU`` forces one), recorded in the cpp matmul rows."""
    from . import _core

    return str(_core.cpu_path())


def matmul_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """GEMM at square and MLP-layer shapes, float32 and float64, per backend (and PyTorch)."""
    rng = np.random.default_rng(0)
    torch = _optional("torch")
    # 1×1 @ 1×1 is the cost of a call from Python to the kernel and back (argument checks, the
    # output's allocation), which the small products pay on top of their arithmetic.
    squares = [64, 256] if quick else [1, 32, 64, 128, 256, 512, 1024]
    # (name, m, k, n, trans_a, trans_b): a dense layer 784→256 at batch 64, its two backward
    # products (Xᵀ·dY and dY·Wᵀ) and the output layer 256→10.
    layers = [("64×784 @ 784×256", 64, 784, 256, False, False),
              ("Xᵀ·dY 784×64 @ 64×256", 784, 64, 256, True, False),
              ("dY·Wᵀ 64×256 @ 256×784", 64, 256, 784, False, True),
              ("64×256 @ 256×10", 64, 256, 10, False, False)]
    shapes = [(f"{n}×{n} @ {n}×{n}", n, n, n, False, False) for n in squares] + layers
    for dtype in (np.float32, np.float64):
        dname = np.dtype(dtype).name
        for label, m, k, n, ta, tb in shapes:
            a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
            b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
            out = np.empty((m, n), dtype)
            flops = 2.0 * m * n * k
            reps = 3 if quick else 10
            for name in backends:
                kernel = get_backend(name).matmul
                t = median_time(lambda: kernel(a, b, ta, tb, out), reps, min_time=0.02 if quick else 0.2)
                extra = {"isa": _cpp_path()} if name == "cpp" else {}
                yield _row(f"matmul {label}", name, dname, t, threads, gflops=flops / t / 1e9, n=n, **extra)
            if torch is not None:
                ta_, tb_ = torch.from_numpy(a), torch.from_numpy(b)
                ta_, tb_ = (ta_.T if ta else ta_), (tb_.T if tb else tb_)
                to = torch.empty((m, n), dtype=ta_.dtype)
                t = median_time(lambda: torch.matmul(ta_, tb_, out=to), reps, min_time=0.02 if quick else 0.2)
                yield _row(f"matmul {label}", "torch", dname, t, threads, gflops=flops / t / 1e9, n=n)


def optimizer_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """One SGD-with-momentum step and one Adam step on a large float32 vector, per backend."""
    size = 1_000_000 if quick else 10_000_000
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(size).astype(np.float32)
    g = rng.standard_normal(size).astype(np.float32)
    reps = 3 if quick else 10
    sgd: dict[str, Any] = dict(lr=0.01, momentum=0.9, weight_decay=1e-4)
    for name in backends:
        be = get_backend(name)
        p, buf = p0.copy(), np.zeros_like(p0)
        t = median_time(lambda: be.sgd_step(p, g, buf, **sgd), reps)
        yield _row(f"sgd_step momentum+wd {size:,} float32", name, "float32", t, threads)
        p, m1, m2 = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        t = median_time(lambda: be.adam_step(p, g, m1, m2, step=1, lr=1e-3), reps)
        yield _row(f"adam_step {size:,} float32", name, "float32", t, threads)
    torch = _optional("torch")
    if torch is not None:
        for label, make in ((f"sgd_step momentum+wd {size:,} float32",
                             lambda ps: torch.optim.SGD(ps, **sgd, fused=True)),
                            (f"adam_step {size:,} float32", lambda ps: torch.optim.Adam(ps, lr=1e-3, fused=True))):
            param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
            param.grad = torch.from_numpy(g)
            opt = make([param])
            t = median_time(opt.step, reps)
            yield _row(label, "torch fused", "float32", t, threads)


# ----------------------------------------------------------------------------- training
def _mlp_data(n: int, n_in: int, n_classes: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n_in)).astype(dtype)
    y = rng.integers(0, n_classes, n)
    return X, y


def mlp_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """One epoch of SGD (lr 0.01, momentum 0.9), float32, through MLPClassifier and peers."""
    import warnings

    from .exceptions import ConvergenceWarning
    from .neural_network import MLPClassifier

    n = 6_000 if quick else 60_000
    configs = [("784-256-10", 784, (256,), 64), ("64-64-10", 64, (64,), 32)]
    torch = _optional("torch")
    sklearn_mlp = _optional_attr("sklearn.neural_network", "MLPClassifier")
    for label, n_in, hidden, batch in configs:
        X, y = _mlp_data(n, n_in, 10, np.float32)
        group = f"MLP {label} batch {batch}, 1 epoch of {n:,}"
        steps = -(-n // batch)

        def ours(name: str) -> None:
            clf = MLPClassifier(hidden_layer_sizes=hidden, solver="sgd", learning_rate_init=0.01, momentum=0.9,
                                nesterovs_momentum=False, batch_size=batch, max_iter=1, shuffle=True,
                                random_state=0, backend=name, dtype=np.float32)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X, y)

        for name in backends:
            t = median_time(lambda: ours(name), 1 if quick else 3)
            yield _row(group, name, "float32", t, threads, per_step_us=t / steps * 1e6)
        if torch is not None:
            t = median_time(lambda: _torch_epoch(torch, X, y, hidden, batch), 1 if quick else 3)
            yield _row(group, "torch (nn.Sequential + optim.SGD)", "float32", t, threads,
                       per_step_us=t / steps * 1e6)
        if sklearn_mlp is not None:
            def sk() -> None:
                clf = sklearn_mlp(hidden_layer_sizes=hidden, solver="sgd", learning_rate_init=0.01, momentum=0.9,
                                  nesterovs_momentum=False, batch_size=batch, max_iter=1, random_state=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit(X, y)
            t = median_time(sk, 1)
            yield _row(group, "scikit-learn", "float32", t, threads, per_step_us=t / steps * 1e6)


    # the course's new tricks (issue #11): batch norm + dropout 0.2 + residual, against the plain twin
    X, y = _mlp_data(n, 784, 10, np.float32)
    group = f"MLP 784-256-256-10 batch 64, batch norm + dropout 0.2 + residual, 1 epoch of {n:,}"
    steps = -(-n // 64)
    for tricks in (True, False):
        kw: dict[str, Any] = dict(normalization="batch", dropout=0.2, residual=True) if tricks else {}

        def ours_tricks(name: str) -> None:
            clf = MLPClassifier(hidden_layer_sizes=(256, 256), solver="sgd", learning_rate_init=0.01, momentum=0.9,
                                nesterovs_momentum=False, batch_size=64, max_iter=1, shuffle=True,
                                random_state=0, backend=name, dtype=np.float32, **kw)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(X, y)

        for name in backends:
            t = median_time(lambda: ours_tricks(name), 1 if quick else 3)
            yield _row(group, name if tricks else f"{name} (plain network)", "float32", t, threads,
                       per_step_us=t / steps * 1e6)
    if torch is not None:
        t = median_time(lambda: _torch_tricks_epoch(torch, X, y), 1 if quick else 3)
        yield _row(group, "torch (BatchNorm1d, Dropout, skip + optim.SGD)", "float32", t, threads,
                   per_step_us=t / steps * 1e6)


def _torch_tricks_epoch(torch: Any, X: np.ndarray, y: np.ndarray) -> None:
    """The PyTorch CPU loop of the tricks network: Linear, BatchNorm1d, ReLU, Dropout(0.2), the skip
    around the 256→256 layer, CrossEntropyLoss, optim.SGD with weight decay (our MLPs' L2 term,
    alpha=1e-4: the same work per step as benchmarks/bench_mlp.py's loop), batch 64."""
    torch.manual_seed(0)
    nn = torch.nn
    l1, n1, l2, n2, l3 = nn.Linear(784, 256), nn.BatchNorm1d(256), nn.Linear(256, 256), nn.BatchNorm1d(256), \
        nn.Linear(256, 10)
    drop = nn.Dropout(0.2)
    opt = torch.optim.SGD([q for m in (l1, n1, l2, n2, l3) for q in m.parameters()], lr=0.01, momentum=0.9,
                          weight_decay=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    perm = torch.randperm(X.shape[0])
    for start in range(0, X.shape[0], 64):
        idx = perm[start:start + 64]
        if idx.shape[0] < 2:
            continue  # BatchNorm1d refuses one row (mlbasics drops it too)
        opt.zero_grad()
        h = drop(torch.relu(n1(l1(Xt[idx]))))
        h = h + drop(torch.relu(n2(l2(h))))
        loss = loss_fn(l3(h), yt[idx])
        loss.backward()
        opt.step()


def _torch_epoch(torch: Any, X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], batch: int) -> None:
    """The standard PyTorch CPU training loop: nn.Sequential, CrossEntropyLoss, optim.SGD with weight
    decay (the L2 term our MLPs and scikit-learn's compute with alpha=1e-4)."""
    torch.manual_seed(0)
    sizes = [X.shape[1], *hidden, 10]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    perm = torch.randperm(X.shape[0])
    for start in range(0, X.shape[0], batch):
        idx = perm[start:start + batch]
        opt.zero_grad()
        loss = loss_fn(model(Xt[idx]), yt[idx])
        loss.backward()
        opt.step()


def _optional_attr(module: str, attr: str) -> Any:
    try:
        mod = __import__(module, fromlist=[attr])
    except ImportError:
        return None
    return getattr(mod, attr, None)


def _fit(estimator: Any, args: tuple) -> Any:
    return estimator.fit(*args)


def fit_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """The model-fit targets, float64, against scikit-learn's fastest settings."""
    import warnings

    from .decomposition import PCA
    from .linear_model import LinearRegression, LogisticRegression

    rng = np.random.default_rng(0)
    n_lin = 100_000 if quick else 1_000_000
    X = rng.standard_normal((n_lin, 100))
    yv = X @ rng.standard_normal(100) + rng.standard_normal(n_lin)
    # (label, estimator factory, X, y or None, (peer module, peer class, peer kwargs))
    tasks: list[tuple[str, Callable[[str], Any], np.ndarray, Optional[np.ndarray], tuple[str, str, dict[str, Any]]]]
    tasks = [(f"LinearRegression {n_lin:,}×100", lambda b: LinearRegression(backend=b), X, yv,
              ("sklearn.linear_model", "LinearRegression", {}))]
    n_pca = 20_000 if quick else 100_000
    Xp = rng.standard_normal((n_pca, 256)) @ rng.standard_normal((256, 256)) / 16
    tasks.append((f"PCA(10) {n_pca:,}×256", lambda b: PCA(n_components=10, backend=b), Xp, None,
                  ("sklearn.decomposition", "PCA", {"n_components": 10})))
    n_log = 20_000 if quick else 100_000
    Xl = rng.standard_normal((n_log, 100))
    yl = np.argmax(Xl @ rng.standard_normal((100, 10)) + 2 * rng.standard_normal((n_log, 10)), axis=1)
    tasks.append((f"LogisticRegression lbfgs {n_log:,}×100, 10 classes",
                  lambda b: LogisticRegression(max_iter=300, backend=b), Xl, yl,
                  ("sklearn.linear_model", "LogisticRegression", {"max_iter": 300})))
    reps = 1 if quick else 3
    for label, make, Xt, yt, (mod, cls, kw) in tasks:
        args = (Xt,) if yt is None else (Xt, yt)
        fits: dict[Any, Callable[[], object]] = {name: functools.partial(_fit, make(name), args) for name in backends}
        peer = _optional_attr(mod, cls)
        solvers = [{}] if cls != "PCA" else [{"svd_solver": s} for s in ("full", "covariance_eigh", "randomized")]
        if peer is not None:
            for i, extra in enumerate(solvers):
                fits[("peer", i)] = functools.partial(_fit, peer(**kw, **extra), args)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # ours and scikit-learn's solvers take turns (median_times_interleaved)
            times = median_times_interleaved(fits, reps)
        for name in backends:
            yield _row(label, name, "float64", times[name], threads)
        peers = [(t, solvers[key[1]]) for key, t in times.items() if isinstance(key, tuple)]
        if peers:
            t, extra = min(peers, key=lambda tp: tp[0])
            note = f" ({extra['svd_solver']})" if extra else ""
            yield _row(label, f"scikit-learn{note}", "float64", t, threads)


def _openmp_limit(threads: int) -> Any:
    """A context limiting the OpenMP pools (scikit-learn's k-means and neighbours) to ``threads``."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="openmp")


def cluster_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """The distances kernels and k-means: ``kmeans_step`` against our own GEMM on the same shapes
    (its GFLOP/s are 2·n·k·p per call), Lloyd iterations and mini-batch steps against
    scikit-learn's, from the same initial centres. scikit-learn's k-means runs on its OpenMP
    threads, which the BLAS limit of the run does not reach: they are limited to ``threads`` here
    (without it, ``--threads 1`` compared one thread of ours with all of scikit-learn's)."""
    import warnings

    from .cluster import KMeans, MiniBatchKMeans

    rng = np.random.default_rng(0)
    n, p = (100_000 if quick else 1_000_000), 32
    reps = 2 if quick else 5
    sk_cluster = _optional_attr("sklearn", "cluster")
    for dtype in (np.float32, np.float64):
        dname = np.dtype(dtype).name
        X = rng.standard_normal((n, p)).astype(dtype)
        for k in (8, 256):
            centres = X[rng.choice(n, k, replace=False)].copy()
            flops = 2.0 * n * k * p
            out = np.empty((n, k), dtype)
            for name in backends:
                be = get_backend(name)
                t = median_time(lambda: be.kmeans_step(X, centres), reps)
                yield _row(f"kmeans_step {n:,}×{p}, k={k}", name, dname, t, threads, gflops=flops / t / 1e9)
                if name == "cpp":  # the GEMM alone on the same shapes: the kernel's ceiling
                    t = median_time(lambda: be.matmul(X, centres, False, True, out), reps)
                    yield _row(f"kmeans_step {n:,}×{p}, k={k}", "cpp matmul x·cᵀ alone", dname, t, threads,
                               gflops=flops / t / 1e9)
            # Lloyd iterations from the same centres; a time per iteration (fits stop at different
            # iterations only through convergence, which random normal data does not reach soon)
            iters = 5 if quick else 10
            group = f"KMeans Lloyd iteration {n:,}×{p}, k={k}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name in backends:
                    km = KMeans(k, init=centres, max_iter=iters, tol=0.0, backend=name)
                    t = median_time(lambda: km.fit(X), 1 if not quick else 1)
                    yield _row(group, name, dname, t / km.n_iter_, threads, inertia=km.inertia_)
                if sk_cluster is not None:
                    sk = sk_cluster.KMeans(k, init=centres, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
                    with _openmp_limit(threads):
                        t = median_time(lambda: sk.fit(X), 1)
                    yield _row(group, "scikit-learn", dname, t / sk.n_iter_, threads, inertia=sk.inertia_)
        # mini-batch: the same number of steps on each side (no early stop), time per step
        k, batch, epochs = 8, 1024, 1
        centres = X[:k].copy()
        group = f"MiniBatchKMeans step {n:,}×{p}, k={k}, batch {batch}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in backends:
                mb = MiniBatchKMeans(k, init=centres, batch_size=batch, max_iter=epochs, max_no_improvement=None,
                                     compute_labels=False, random_state=0, backend=name)
                t = median_time(lambda: mb.fit(X), 1)
                yield _row(group, name, dname, t / mb.n_steps_, threads)
            if sk_cluster is not None:
                smb = sk_cluster.MiniBatchKMeans(k, init=centres, n_init=1, batch_size=batch, max_iter=epochs,
                                                 max_no_improvement=None, compute_labels=False, random_state=0)
                with _openmp_limit(threads):
                    t = median_time(lambda: smb.fit(X), 1)
                yield _row(group, "scikit-learn", dname, t / smb.n_steps_, threads)
    yield from _graph_rows(backends, threads, quick)


def _graph_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """SpectralClustering (both affinities) and Isomap on 2,000 points (500 with --quick)."""
    import warnings

    from .cluster import SpectralClustering
    from .datasets import make_moons, make_swiss_roll
    from .manifold import Isomap

    n = 500 if quick else 2_000
    reps = 2 if quick else 5
    X_moons, _ = make_moons(n, noise=0.05, random_state=0)
    X_roll, _ = make_swiss_roll(n, random_state=0)
    sk_cluster, sk_manifold = _optional_attr("sklearn", "cluster"), _optional_attr("sklearn", "manifold")
    def ours_spectral(affinity: Any) -> Callable[[str], Any]:
        return lambda b: SpectralClustering(2, affinity=affinity, gamma=30.0, random_state=0, backend=b)

    def peer_spectral(affinity: str) -> Any:
        if sk_cluster is None:
            return None
        return lambda: sk_cluster.SpectralClustering(2, affinity=affinity, gamma=30.0, random_state=0)

    tasks: list[tuple[str, np.ndarray, Callable[[str], Any], Any]] = [
        (f"SpectralClustering {a} {n:,} moons", X_moons, ours_spectral(a), peer_spectral(a))
        for a in ("nearest_neighbors", "rbf")]
    tasks.append((f"Isomap 10-NN {n:,} swiss roll", X_roll, lambda b: Isomap(n_neighbors=10, backend=b),
                  sk_manifold and (lambda: sk_manifold.Isomap(n_neighbors=10))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for group, X, make, peer in tasks:
            for name in backends:
                yield _row(group, name, "float64", median_time(lambda: make(name).fit(X), reps), threads)
            if peer:
                with _openmp_limit(threads):
                    t = median_time(lambda: peer().fit(X), reps)
                yield _row(group, "scikit-learn", "float64", t, threads)


def sparse_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """Sparse input: the CSR kernels against scipy.sparse, and the issue's target — multinomial
    LogisticRegression (lbfgs) on a 100,000 × 50,000 CSR matrix of density 1e-3 with 10 classes
    against scikit-learn's lbfgs, both from the same objective and tol, with the largest difference
    of their coefficients (relative to the largest coefficient) in the row."""
    import warnings

    from ._sparse import random_csr
    from .linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n, p, k = (20_000, 10_000, 10) if quick else (100_000, 50_000, 10)
    X = random_csr(n, p, 1e-3, rng)
    B = rng.standard_normal((p, k))
    G = rng.standard_normal((n, k))
    reps = 3 if quick else 10
    shape = f"{n:,}×{p:,} CSR density 1e-3 ({X.nnz:,} entries)"
    for label, ours, peer in ((f"csr_matmul X·B, B {p:,}×{k}, {shape}", "csr_matmul", lambda: X @ B),
                              (f"csr_matmul_t Xᵀ·G, G {n:,}×{k}, {shape}", "csr_matmul_t", lambda: X.T @ G)):
        dense = B if ours == "csr_matmul" else G
        for name in backends:
            kernel = getattr(get_backend(name), ours)
            t = median_time(lambda: kernel(X.data, X.indices, X.indptr, p, dense), reps)
            yield _row(label, name, "float64", t, threads, gflops=2.0 * X.nnz * k / t / 1e9)
        t = median_time(peer, reps)
        yield _row(label, "scipy.sparse", "float64", t, threads, gflops=2.0 * X.nnz * k / t / 1e9)
    # classes from a planted linear model with Gumbel noise (a multinomial logit)
    y = np.argmax(X @ rng.standard_normal((p, 10)) + rng.gumbel(size=(n, 10)), axis=1)
    label = f"LogisticRegression lbfgs, 10 classes, {shape}"
    peer = _optional_attr("sklearn.linear_model", "LogisticRegression")
    makers: dict[str, Callable[[], Any]] = {}
    for name in backends:
        makers[name] = functools.partial(LogisticRegression, max_iter=1000, backend=name)
    if peer is not None:
        makers["scikit-learn"] = functools.partial(peer, max_iter=1000)
    # the fits take seconds on a machine others may load too: every side in turn, `rounds` times,
    # each keeping its fastest fit (a round includes no warm-up: the kernels are warm from above)
    fits: dict[str, Any] = {}
    best: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(1 if quick else 2):
            for name, make in makers.items():
                t0 = time.perf_counter()
                fits[name] = make().fit(X, y)
                best[name] = min(best.get(name, np.inf), time.perf_counter() - t0)
    sk = fits.get("scikit-learn")
    scale = float(np.abs(sk.coef_).max()) if sk is not None else 1.0
    for name in backends:
        extra = {} if sk is None else {"coef_rel_diff": float(np.abs(fits[name].coef_ - sk.coef_).max()) / scale}
        yield _row(label, name, "float64", best[name], threads, n_iter=int(fits[name].n_iter_[0]), **extra)
    if sk is not None:
        # the coefficients' agreement in the table itself: ‖Δcoef‖∞ / ‖coef‖∞ against each of ours
        note = ", ".join(f"{name} {float(np.abs(fits[name].coef_ - sk.coef_).max()) / scale:.0e}" for name in backends)
        yield _row(label, f"scikit-learn (lbfgs, {int(sk.n_iter_[0])} iter; ‖Δcoef‖∞/‖coef‖∞: {note})", "float64",
                   best["scikit-learn"], threads, n_iter=int(sk.n_iter_[0]))


def _best_time(candidates: dict[str, Callable[[], Any]], reps: int) -> tuple[str, float] | None:
    """(name, median time) of the fastest of several ways to do one fit (those that fail are left out)."""
    best: tuple[str, float] | None = None
    for name, fn in candidates.items():
        try:
            t = median_time(fn, reps)
        except Exception:  # a solver this dask-ml version lacks, or refuses for these data
            continue
        if best is None or t < best[1]:
            best = (name, t)
    return best


@contextlib.contextmanager
def local_cluster() -> Iterator[Any]:
    """A ``distributed.Client`` on a LocalCluster of 2 worker processes with 1 thread each, loopback
    only, no dashboard; closed on exit, and the environment variables its start sets in this process
    (OMP_NUM_THREADS=1 and the BLAS ones, meant for its workers) restored."""
    import os
    import warnings

    from distributed import Client, LocalCluster

    saved_environ = dict(os.environ)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # distributed's start-up notices (ports, resources)
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                client = Client(cluster, set_as_default=False)
            try:
                yield client
            finally:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    client.close()
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cluster.close()
    finally:
        os.environ.clear()
        os.environ.update(saved_environ)


#: Rows of the scale part's X (without, with --quick); tests shrink it.
_SCALE_ROWS = {False: 1_000_000, True: 100_000}


def scale_rows(backends: Sequence[str], threads: int, quick: bool) -> Iterator[dict[str, Any]]:
    """Fits on a dask array of 1,000,000 × 100 float64 (100,000 with --quick) in 8 persisted chunks on a
    ``distributed.LocalCluster`` (2 worker processes, 1 thread each, loopback), with the default
    backend: ours against dask-ml's fastest solver for the same model on the same cluster (when
    dask-ml is installed), and against our in-memory fit in this process (at ``threads``). No rows
    without dask and distributed (``pip install "mlbasics[dask]"``). Runs only when asked for
    (``--parts scale``): it starts a cluster."""
    import functools
    import warnings

    try:
        import dask
        import dask.array as da
        import distributed  # noqa: F401
    except ImportError:
        warnings.warn("bench --parts scale: needs dask and distributed (pip install \"mlbasics[dask]\"); "
                      "no rows", UserWarning, stacklevel=2)
        return
    from .decomposition import PCA
    from .linear_model import LinearRegression, LogisticRegression

    n = _SCALE_ROWS[quick]
    reps = 1 if quick else 3
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 100))
    beta = rng.standard_normal(100) / 10
    y_lin = X @ beta + 1.0 + 0.1 * rng.standard_normal(n)
    y_bin = (X @ beta + rng.logistic(size=n) > 0).astype(np.int64)  # a planted logit model
    y_multi = np.argmax(X @ rng.standard_normal((100, 10)) / 10 + rng.gumbel(size=(n, 10)), axis=1)
    dml = _optional("dask_ml")
    if dml is not None:
        import dask_ml.decomposition
        import dask_ml.linear_model
    with local_cluster() as client:
        with dask.config.set(scheduler=client.get):
            chunks = (-(-n // 8), 100)
            Xd, yd_lin, yd_bin, yd_multi = dask.persist(
                da.from_array(X, chunks=chunks), da.from_array(y_lin, chunks=chunks[0]),
                da.from_array(y_bin, chunks=chunks[0]), da.from_array(y_multi, chunks=chunks[0]))
            where = "LocalCluster 2×1 thread"
            tasks: list[tuple[str, Callable[[], Any], Callable[[], Any], dict[str, Callable[[], Any]]]] = [
                ("LinearRegression", lambda: LinearRegression().fit(Xd, yd_lin),
                 lambda: LinearRegression().fit(X, y_lin),
                 {} if dml is None else {f"dask-ml {s}": functools.partial(
                     lambda s: dask_ml.linear_model.LinearRegression(solver=s).fit(Xd, yd_lin), s)
                     for s in ("lbfgs", "newton", "admm")}),
                ("PCA(10)", lambda: PCA(10).fit(Xd), lambda: PCA(10).fit(X),
                 {} if dml is None else {f"dask-ml {s}": functools.partial(
                     lambda s: dask_ml.decomposition.PCA(10, svd_solver=s, random_state=0).fit(Xd), s)
                     for s in ("tsqr", "randomized")}),
                ("LogisticRegression lbfgs, binary", lambda: LogisticRegression(max_iter=300).fit(Xd, yd_bin),
                 lambda: LogisticRegression(max_iter=300).fit(X, y_bin),
                 {} if dml is None else {"dask-ml lbfgs": lambda: dask_ml.linear_model.LogisticRegression(
                     solver="lbfgs", max_iter=300).fit(Xd, yd_bin)}),
                ("LogisticRegression lbfgs, 10 classes", lambda: LogisticRegression(max_iter=300).fit(Xd, yd_multi),
                 lambda: LogisticRegression(max_iter=300).fit(X, y_multi), {}),
            ]
            for model, ours, in_memory, peers in tasks:
                group = f"dask {model} {n:,}×100, 8 persisted chunks"
                t_ours = median_time(ours, reps)
                yield _row(group, f"mlbasics ({where})", "float64", t_ours, threads)
                t_mem = median_time(in_memory, reps)
                yield _row(group, f"mlbasics in memory (this process; dask {t_ours / t_mem:.2f}× its time)",
                           "float64", t_mem, threads)
                best = _best_time(peers, reps)
                if best is not None:
                    yield _row(group, f"{best[0]} ({where}; mlbasics {best[1] / t_ours:.1f}× faster)",
                               "float64", best[1], threads)


# ----------------------------------------------------------------------------- the report
PARTS: dict[str, Callable[[Sequence[str], int, bool], Iterator[dict[str, Any]]]] = {
    "matmul": matmul_rows, "optim": optimizer_rows, "mlp": mlp_rows, "fit": fit_rows, "cluster": cluster_rows,
    "sparse": sparse_rows, "scale": scale_rows}
#: What ``mlbasics bench`` runs without ``--parts``: every part but "scale", which starts a Dask cluster.
DEFAULT_PARTS = tuple(p for p in PARTS if p != "scale")
_TORCH_PARTS = {"matmul", "optim", "mlp"}  # the parts with PyTorch peers


def ordered_backends(backends: Sequence[str]) -> list[str]:
    """``backends`` with numpy first: each group's baseline is measured before the rows it is compared with."""
    return [b for b in backends if b == "numpy"] + [b for b in backends if b != "numpy"]


def run(quick: bool = False, backends: Sequence[str] | None = None, thread_counts: Sequence[int] = (1, 2),
        parts: Sequence[str] = DEFAULT_PARTS, on_row: Callable[[dict[str, Any]], None] | None = None,
        on_part: Callable[[str, int], None] | None = None) -> list[dict[str, Any]]:
    """All rows of ``parts``, at each thread count, with the speed-ups over numpy added.

    Each row carries its ``part`` and is handed to ``on_row`` as soon as it is measured (its
    ``vs_numpy`` already set: numpy runs first in every group); ``on_part(part, threads)`` is called
    before each part starts.
    """
    backends = ordered_backends(backends or available_backends())
    if _TORCH_PARTS & set(parts):
        _optional("torch")  # imported before thread_limit, so that its threads are limited too
    rows: list[dict[str, Any]] = []
    base: dict[tuple[str, str, int], float] = {}
    for t in thread_counts:
        with thread_limit(t):
            for part in parts:
                if on_part is not None:
                    on_part(part, t)
                for r in PARTS[part](backends, t, quick):
                    r["part"] = part
                    key = (r["group"], r["dtype"], r["threads"])
                    if r["impl"] == "numpy":
                        base[key] = r["seconds"]
                    r["vs_numpy"] = base[key] / r["seconds"] if key in base else None
                    rows.append(r)
                    if on_row is not None:
                        on_row(r)
    return add_ratios(rows)


def add_ratios(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Speed-up of each row over the numpy row of the same work, dtype and thread count."""
    base = {(r["group"], r["dtype"], r["threads"]): r["seconds"] for r in rows if r["impl"] == "numpy"}
    for r in rows:
        ref = base.get((r["group"], r["dtype"], r["threads"]))
        r["vs_numpy"] = ref / r["seconds"] if ref else None
    return rows


def _fmt_time(t: float) -> str:
    return f"{t * 1e6:.1f} µs" if t < 1e-3 else (f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s")


TABLE_HEADER = ("| work | implementation | dtype | threads | time | GFLOP/s | % of peak | speed-up vs numpy |\n"
                "|---|---|---|---:|---:|---:|---:|---:|")


def format_row(r: dict[str, Any], peak_gflops: dict[str, float] | None = None) -> str:
    """One row of the table (see :data:`TABLE_HEADER`)."""
    peak_gflops = peak_gflops or default_peak()
    gf = r.get("gflops")
    peak = peak_gflops.get(r["dtype"], 0) * r["threads"]
    frac = f"{100 * gf / peak:.0f}%" if gf and peak else "–"
    ratio = f"{r['vs_numpy']:.2f}×" if r.get("vs_numpy") else "–"
    extra = f" ({r['per_step_us']:.0f} µs/step)" if r.get("per_step_us") else ""
    return (f"| {r['group']} | {r['impl']} | {r['dtype']} | {r['threads']} | {_fmt_time(r['seconds'])}"
            f"{extra} | {f'{gf:.1f}' if gf else '–'} | {frac} | {ratio} |")


def format_rows(rows: list[dict[str, Any]], peak_gflops: dict[str, float] | None = None) -> str:
    """The rows as a Markdown table: time, GFLOP/s, fraction of peak and speed-up over numpy."""
    return "\n".join([TABLE_HEADER, *(format_row(r, peak_gflops) for r in rows)])


# ----------------------------------------------------------------------------- the plot
# One colour per implementation family in every panel (numpy, the baseline, in grey).
_COLOURS = {"numpy": "#6e6e6e", "cpp": "#1f77b4", "numba": "#ff7f0e", "torch": "#d62728",
            "scikit-learn": "#2ca02c", "cpp matmul x·cᵀ alone": "#9467bd"}
_EXTRA_COLOURS = ["#8c564b", "#e377c2", "#17becf", "#bcbd22"]
_PANEL_TITLES = {"matmul": "Kernels: matmul, square n×n @ n×n, float32 (higher is better)",
                 "optim": "Optimizer steps (lower is better)",
                 "mlp": "MLP training, one epoch of SGD, float32 (lower is better)",
                 "fit": "Model fits, float64 (lower is better)",
                 "cluster": "Clustering and manifolds: kmeans_step, k-means, spectral clustering, Isomap "
                            "(lower is better)",
                 "sparse": "Sparse input: CSR × dense kernels, LogisticRegression on sparse X (lower is better)",
                 "scale": "Fits on a dask array on a LocalCluster, against dask-ml and in memory (lower is better)"}


def _family(impl: str) -> str:
    """The colour key of an implementation: 'torch fused' and 'torch (nn.Sequential…)' are torch,
    'scikit-learn (covariance_eigh)' is scikit-learn."""
    if impl in _COLOURS:
        return impl
    head = impl.split(" (")[0]
    return "torch" if head.startswith("torch") else head


def _part_of(r: dict[str, Any]) -> str:
    """A row's part (rows from an older JSON file have no 'part' key: told by their group)."""
    if "part" in r:
        return str(r["part"])
    g = r["group"]
    if g.startswith("dask "):
        return "scale"
    if g.startswith("matmul "):
        return "matmul"
    if g.startswith(("sgd_step", "adam_step")):
        return "optim"
    if g.startswith("MLP "):
        return "mlp"
    if g.startswith(("kmeans_step", "KMeans", "MiniBatchKMeans", "SpectralClustering", "Isomap")):
        return "cluster"
    if g.startswith("csr_matmul") or " CSR " in g:
        return "sparse"
    return "fit"


def _square_matmul_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if _part_of(r) == "matmul" and r.get("gflops") and r.get("n")
            and r["group"] == f"matmul {r['n']}×{r['n']} @ {r['n']}×{r['n']}" and r["dtype"] == "float32"]


def panels(rows: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The plot's panels, in the order of :data:`PARTS`: (part, its drawable rows), empty ones left out.

    Kernels: the square float32 products; clustering: float32 rows, and float64 ones for the work
    that only runs in float64 (spectral clustering, Isomap); the table has every row."""
    out = []
    for part in PARTS:
        drawable = (_square_matmul_rows(rows) if part == "matmul"
                    else [r for r in rows if _part_of(r) == part and r.get("seconds", 0) > 0])
        if part == "cluster":  # float32 only where the work also ran in float32 (float64 is in the table)
            both = {r["group"] for r in drawable if r["dtype"] == "float32"}
            drawable = [r for r in drawable if r["dtype"] == "float32" or r["group"] not in both]
        if drawable:
            out.append((part, drawable))
    return out


def plottable(rows: list[dict[str, Any]]) -> bool:
    """Whether :func:`plot` has anything to draw for ``rows``."""
    return bool(panels(rows))


def cpu_model() -> str:
    """The CPU's model name ('AMD EPYC 7B13', 'Apple M2', …), or the architecture when unknown."""
    import platform

    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                                 timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            return out
    return platform.processor() or platform.machine() or "unknown CPU"


def plot_title(rows: list[dict[str, Any]], date: datetime.date | None = None) -> str:
    """The figure's title: machine (CPU model), ISA of the C++ core, thread count(s), date."""
    try:
        from . import _core

        isa = f"C++ SIMD path {_core.cpu_path()}"
    except ImportError:
        isa = "no C++ core"
    threads = sorted({int(r["threads"]) for r in rows})
    t = " and ".join(map(str, threads)) + (" thread" if threads == [1] else " threads")
    date = date or datetime.date.today()
    from . import __version__

    return f"mlbasics {__version__} bench on {cpu_model()}\n{isa} · {t} · {date.isoformat()}"


def figure(rows: list[dict[str, Any]], date: datetime.date | None = None) -> Any:
    """The bench figure: one panel per part present in ``rows`` (see :func:`panels`), one colour per
    implementation across panels, the machine, ISA, thread counts and date in its title.

    Kernels: GFLOP/s against n (square float32 products; solid 1 thread, dashed 2 threads). The
    other parts: horizontal bars on a log time axis, one group of bars per (work, dtype,
    threads), one bar per implementation family (a variant such as scikit-learn's PCA solver is
    named on its bar), each bar labelled with its time. Raises ValueError when there is nothing
    to draw.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = panels(rows)
    if not drawn:
        raise ValueError("rows: nothing to plot (no row of a part with a panel)")
    families = list(dict.fromkeys(_family(r["impl"]) for r in rows))
    extra = iter(_EXTRA_COLOURS * 4)
    colour = {fam: _COLOURS.get(fam) or next(extra) for fam in families}

    def height(part: str, prs: list[dict[str, Any]]) -> float:
        return 3.6 if part == "matmul" else 0.9 + 0.16 * len(prs) + 0.12 * len({r["group"] for r in prs})

    heights = [height(p, prs) for p, prs in drawn]
    fig, axes = plt.subplots(len(drawn), 1, figsize=(11, sum(heights) + 1.0), squeeze=False,
                             gridspec_kw={"height_ratios": heights}, constrained_layout=True)
    for ax, (part, prs) in zip(axes[:, 0], drawn):
        ax.set_title(_PANEL_TITLES[part], fontsize=11, loc="left")
        ax.tick_params(labelsize=9)
        if part == "matmul":
            styles = {1: "-", 2: "--"}
            for impl in dict.fromkeys(r["impl"] for r in prs):
                for t in sorted({r["threads"] for r in prs}):
                    pts = sorted((r["n"], r["gflops"]) for r in prs if r["impl"] == impl and r["threads"] == t)
                    if pts:
                        ax.plot(*zip(*pts), marker="o", color=colour[_family(impl)], linestyle=styles.get(t, ":"),
                                label=f"{impl}, {t} thread{'s' if t > 1 else ''}")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("n (n×n @ n×n, float32; log scale)", fontsize=10)
            ax.set_ylabel("GFLOP/s", fontsize=10)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=9, loc="best", ncol=2)
            continue
        # grouped horizontal bars: a category per (work, dtype, threads), a slot per family
        cats = list(dict.fromkeys((r["group"], r["dtype"], r["threads"]) for r in prs))
        fams = list(dict.fromkeys(_family(r["impl"]) for r in prs))
        width = 0.8 / len(fams)
        shortest = min(r["seconds"] for r in prs)
        for j, fam in enumerate(fams):
            ys, xs, notes = [], [], []
            for i, cat in enumerate(cats):
                for r in prs:
                    if (r["group"], r["dtype"], r["threads"]) == cat and _family(r["impl"]) == fam:
                        ys.append(i - 0.4 + (j + 0.5) * width)
                        xs.append(r["seconds"])
                        variant = r["impl"][len(fam):].strip(" ()") if r["impl"] != fam else ""
                        notes.append(_fmt_time(r["seconds"]) + (f" ({variant})" if variant else ""))
            bars = ax.barh(ys, xs, height=width, color=colour[fam], label=fam)
            ax.bar_label(bars, notes, padding=2, fontsize=7)
        labels = [f"{g}{'' if d in g else f', {d}'}, {t} thread{'s' if t > 1 else ''}" for g, d, t in cats]
        ax.set_yticks(range(len(cats)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        left = shortest / 3
        ax.set_xlim(left, max(r["seconds"] for r in prs) * 12)  # room for the labels on the right
        ax.grid(True, axis="x", alpha=0.3)
        ax.set_xlabel("time per call, epoch, fit or iteration (seconds, log scale)", fontsize=10)
        ax.legend(fontsize=9, loc="lower right")
    fig.suptitle(plot_title(rows, date), fontsize=12)
    return fig


def plot(rows: list[dict[str, Any]], path: str, date: datetime.date | None = None) -> str | None:
    """Draw :func:`figure` into the PNG ``path``; returns the path written, or None (nothing
    written) when no row has a panel."""
    if not plottable(rows):
        return None
    import matplotlib.pyplot as plt

    fig = figure(rows, date)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
