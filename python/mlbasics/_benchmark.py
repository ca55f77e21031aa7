"""``mlbasics bench``: kernels, training and fits side by side with NumPy, PyTorch and scikit-learn.

Everything is measured in one run, at each thread count, with the same number of threads on both
sides: ``mlbasics.set_num_threads(t)`` for our C++ pool and Numba, threadpoolctl for the BLAS
pools of NumPy/SciPy (and so of scikit-learn), ``torch.set_num_threads(t)`` for PyTorch. A time
is the median of repeated calls after a warm-up call (JIT compilation is not counted). Rows for
PyTorch and scikit-learn appear when they are installed; neither is a dependency of mlbasics.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional

import numpy as np

from .backends import available_backends, get_backend, get_num_threads, set_num_threads

# One core of this project's machine (AMD Zen, AVX2 + FMA at ~3 GHz): 2 FMA units × 8 float32
# lanes × 2 flops × 3e9 Hz. Used only to print a fraction of peak; override with --peak.
DEFAULT_PEAK_GFLOPS = {"float32": 96.0, "float64": 48.0}


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


@contextlib.contextmanager
def thread_limit(n: int) -> Iterator[None]:
    """Run with ``n`` threads everywhere: our pools, the BLAS pools, PyTorch's."""
    old = get_num_threads()
    set_num_threads(n)
    torch = _optional("torch")
    old_torch = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the bench extra
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
def matmul_rows(backends: Sequence[str], threads: int, quick: bool) -> list[dict[str, Any]]:
    """GEMM at square and MLP-layer shapes, float32 and float64, per backend (and PyTorch)."""
    rng = np.random.default_rng(0)
    torch = _optional("torch")
    squares = [64, 256] if quick else [32, 64, 128, 256, 512, 1024]
    # (name, m, k, n, trans_a, trans_b): a dense layer 784→256 at batch 64, its two backward
    # products (Xᵀ·dY and dY·Wᵀ) and the output layer 256→10.
    layers = [("64×784 @ 784×256", 64, 784, 256, False, False),
              ("Xᵀ·dY 784×64 @ 64×256", 784, 64, 256, True, False),
              ("dY·Wᵀ 64×256 @ 256×784", 64, 256, 784, False, True),
              ("64×256 @ 256×10", 64, 256, 10, False, False)]
    shapes = [(f"{n}×{n} @ {n}×{n}", n, n, n, False, False) for n in squares] + layers
    rows = []
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
                rows.append(_row(f"matmul {label}", name, dname, t, threads, gflops=flops / t / 1e9, n=n))
            if torch is not None:
                ta_, tb_ = torch.from_numpy(a), torch.from_numpy(b)
                ta_, tb_ = (ta_.T if ta else ta_), (tb_.T if tb else tb_)
                to = torch.empty((m, n), dtype=ta_.dtype)
                t = median_time(lambda: torch.matmul(ta_, tb_, out=to), reps, min_time=0.02 if quick else 0.2)
                rows.append(_row(f"matmul {label}", "torch", dname, t, threads, gflops=flops / t / 1e9, n=n))
    return rows


def optimizer_rows(backends: Sequence[str], threads: int, quick: bool) -> list[dict[str, Any]]:
    """One SGD-with-momentum step and one Adam step on a large float32 vector, per backend."""
    size = 1_000_000 if quick else 10_000_000
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(size).astype(np.float32)
    g = rng.standard_normal(size).astype(np.float32)
    reps = 3 if quick else 10
    rows = []
    sgd: dict[str, Any] = dict(lr=0.01, momentum=0.9, weight_decay=1e-4)
    for name in backends:
        be = get_backend(name)
        p, buf = p0.copy(), np.zeros_like(p0)
        t = median_time(lambda: be.sgd_step(p, g, buf, **sgd), reps)
        rows.append(_row(f"sgd_step momentum+wd {size:,} float32", name, "float32", t, threads))
        p, m1, m2 = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        t = median_time(lambda: be.adam_step(p, g, m1, m2, step=1, lr=1e-3), reps)
        rows.append(_row(f"adam_step {size:,} float32", name, "float32", t, threads))
    torch = _optional("torch")
    if torch is not None:
        for label, make in ((f"sgd_step momentum+wd {size:,} float32",
                             lambda ps: torch.optim.SGD(ps, **sgd, fused=True)),
                            (f"adam_step {size:,} float32", lambda ps: torch.optim.Adam(ps, lr=1e-3, fused=True))):
            param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
            param.grad = torch.from_numpy(g)
            opt = make([param])
            t = median_time(opt.step, reps)
            rows.append(_row(label, "torch fused", "float32", t, threads))
    return rows


# ----------------------------------------------------------------------------- training
def _mlp_data(n: int, n_in: int, n_classes: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, n_in)).astype(dtype)
    y = rng.integers(0, n_classes, n)
    return X, y


def mlp_rows(backends: Sequence[str], threads: int, quick: bool) -> list[dict[str, Any]]:
    """One epoch of SGD (lr 0.01, momentum 0.9), float32, through MLPClassifier and peers."""
    import warnings

    from .exceptions import ConvergenceWarning
    from .neural_network import MLPClassifier

    n = 6_000 if quick else 60_000
    configs = [("784-256-10", 784, (256,), 64), ("64-64-10", 64, (64,), 32)]
    torch = _optional("torch")
    sklearn_mlp = _optional_attr("sklearn.neural_network", "MLPClassifier")
    rows = []
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
            rows.append(_row(group, name, "float32", t, threads, per_step_us=t / steps * 1e6))
        if torch is not None:
            t = median_time(lambda: _torch_epoch(torch, X, y, hidden, batch), 1 if quick else 3)
            rows.append(_row(group, "torch (nn.Sequential + optim.SGD)", "float32", t, threads,
                             per_step_us=t / steps * 1e6))
        if sklearn_mlp is not None:
            def sk() -> None:
                clf = sklearn_mlp(hidden_layer_sizes=hidden, solver="sgd", learning_rate_init=0.01, momentum=0.9,
                                  nesterovs_momentum=False, batch_size=batch, max_iter=1, random_state=0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf.fit(X, y)
            t = median_time(sk, 1)
            rows.append(_row(group, "scikit-learn", "float32", t, threads, per_step_us=t / steps * 1e6))
    return rows


def _torch_epoch(torch: Any, X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...], batch: int) -> None:
    """The standard PyTorch CPU training loop: nn.Sequential, CrossEntropyLoss, optim.SGD."""
    torch.manual_seed(0)
    sizes = [X.shape[1], *hidden, 10]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
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


def fit_rows(backends: Sequence[str], threads: int, quick: bool) -> list[dict[str, Any]]:
    """The model-fit targets, float64, against scikit-learn's fastest settings."""
    import warnings

    from .decomposition import PCA
    from .linear_model import LinearRegression, LogisticRegression

    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in backends:
                t = median_time(lambda: make(name).fit(*args), reps)
                rows.append(_row(label, name, "float64", t, threads))
            peer = _optional_attr(mod, cls)
            if peer is not None:
                solvers = [{}] if cls != "PCA" else [{"svd_solver": s} for s in ("full", "covariance_eigh",
                                                                                  "randomized")]
                best = None
                for extra in solvers:
                    try:
                        t = median_time(lambda: peer(**kw, **extra).fit(*args), reps)
                    except ValueError:  # a solver this scikit-learn version does not have
                        continue
                    if best is None or t < best[0]:
                        best = (t, extra)
                if best is not None:
                    note = f" ({best[1]['svd_solver']})" if best[1] else ""
                    rows.append(_row(label, f"scikit-learn{note}", "float64", best[0], threads))
    return rows


def cluster_rows(backends: Sequence[str], threads: int, quick: bool) -> list[dict[str, Any]]:
    """The distances kernels and k-means: ``kmeans_step`` against our own GEMM on the same shapes
    (its GFLOP/s are 2·n·k·p per call), Lloyd iterations and mini-batch steps against
    scikit-learn's, from the same initial centres."""
    import warnings

    from .cluster import KMeans, MiniBatchKMeans

    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
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
                rows.append(_row(f"kmeans_step {n:,}×{p}, k={k}", name, dname, t, threads, gflops=flops / t / 1e9))
                if name == "cpp":  # the GEMM alone on the same shapes: the kernel's ceiling
                    t = median_time(lambda: be.matmul(X, centres, False, True, out), reps)
                    rows.append(_row(f"kmeans_step {n:,}×{p}, k={k}", "cpp matmul x·cᵀ alone", dname, t, threads,
                                     gflops=flops / t / 1e9))
            # Lloyd iterations from the same centres; a time per iteration (fits stop at different
            # iterations only through convergence, which random normal data does not reach soon)
            iters = 5 if quick else 10
            group = f"KMeans Lloyd iteration {n:,}×{p}, k={k}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for name in backends:
                    km = KMeans(k, init=centres, max_iter=iters, tol=0.0, backend=name)
                    t = median_time(lambda: km.fit(X), 1 if not quick else 1)
                    rows.append(_row(group, name, dname, t / km.n_iter_, threads, inertia=km.inertia_))
                if sk_cluster is not None:
                    sk = sk_cluster.KMeans(k, init=centres, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd")
                    t = median_time(lambda: sk.fit(X), 1)
                    rows.append(_row(group, "scikit-learn", dname, t / sk.n_iter_, threads, inertia=sk.inertia_))
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
                rows.append(_row(group, name, dname, t / mb.n_steps_, threads))
            if sk_cluster is not None:
                smb = sk_cluster.MiniBatchKMeans(k, init=centres, n_init=1, batch_size=batch, max_iter=epochs,
                                                 max_no_improvement=None, compute_labels=False, random_state=0)
                t = median_time(lambda: smb.fit(X), 1)
                rows.append(_row(group, "scikit-learn", dname, t / smb.n_steps_, threads))
    return rows


def sparse_rows(backends: Sequence[str], threads: int, quick: bool) -> list[dict[str, Any]]:
    """Sparse input: the CSR kernels against scipy.sparse, and the issue's target — multinomial
    LogisticRegression (lbfgs) on a 100,000 × 50,000 CSR matrix of density 1e-3 with 10 classes
    against scikit-learn's lbfgs, both from the same objective and tol, with the largest difference
    of their coefficients (relative to the largest coefficient) in the row."""
    import functools
    import warnings

    from ._sparse import random_csr
    from .linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    rows: list[dict[str, Any]] = []
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
            rows.append(_row(label, name, "float64", t, threads, gflops=2.0 * X.nnz * k / t / 1e9))
        t = median_time(peer, reps)
        rows.append(_row(label, "scipy.sparse", "float64", t, threads, gflops=2.0 * X.nnz * k / t / 1e9))
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
    for name in backends:
        rows.append(_row(label, name, "float64", best[name], threads, n_iter=int(fits[name].n_iter_[0])))
    if peer is not None:
        sk = fits["scikit-learn"]
        scale = float(np.abs(sk.coef_).max())
        diffs = {name: float(np.abs(fits[name].coef_ - sk.coef_).max()) / scale for name in backends}
        for r in rows[-len(backends):]:
            r["coef_rel_diff"] = diffs[r["impl"]]
        # the coefficients' agreement in the table itself: ‖Δcoef‖∞ / ‖coef‖∞ against each of ours
        note = ", ".join(f"{name} {d:.0e}" for name, d in diffs.items())
        rows.append(_row(label, f"scikit-learn lbfgs, {int(sk.n_iter_[0])} iter (‖Δcoef‖∞/‖coef‖∞: {note})",
                         "float64", best["scikit-learn"], threads, n_iter=int(sk.n_iter_[0])))
    return rows


# ----------------------------------------------------------------------------- the report
def run(quick: bool = False, backends: list[str] | None = None, thread_counts: Sequence[int] = (1, 2),
        parts: Sequence[str] = ("matmul", "optim", "mlp", "fit", "cluster", "sparse")) -> list[dict[str, Any]]:
    """All rows of ``parts``, at each thread count, with the speed-ups over numpy added."""
    backends = backends or available_backends()
    makers: dict[str, Callable[[Sequence[str], int, bool], list[dict[str, Any]]]] = {"matmul": matmul_rows, "optim": optimizer_rows, "mlp": mlp_rows, "fit": fit_rows, "cluster": cluster_rows, "sparse": sparse_rows}
    rows: list[dict[str, Any]] = []
    for t in thread_counts:
        with thread_limit(t):
            for part in parts:
                rows.extend(makers[part](backends, t, quick))
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


def format_rows(rows: list[dict[str, Any]], peak_gflops: dict[str, float] | None = None) -> str:
    """The rows as a Markdown table: time, GFLOP/s, fraction of peak and speed-up over numpy."""
    peak_gflops = peak_gflops or DEFAULT_PEAK_GFLOPS
    lines = ["| work | implementation | dtype | threads | time | GFLOP/s | % of peak | speed-up vs numpy |",
             "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        gf = r.get("gflops")
        peak = peak_gflops.get(r["dtype"], 0) * r["threads"]
        frac = f"{100 * gf / peak:.0f}%" if gf and peak else "–"
        ratio = f"{r['vs_numpy']:.2f}×" if r.get("vs_numpy") else "–"
        extra = f" ({r['per_step_us']:.0f} µs/step)" if r.get("per_step_us") else ""
        lines.append(f"| {r['group']} | {r['impl']} | {r['dtype']} | {r['threads']} | {_fmt_time(r['seconds'])}"
                     f"{extra} | {f'{gf:.1f}' if gf else '–'} | {frac} | {ratio} |")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: str) -> str:
    """Two panels: matmul GFLOP/s against n (square, float32) per implementation and thread count;
    MLP epoch time per implementation. Returns the path written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    squares = [r for r in rows if r.get("gflops") and r["group"].startswith("matmul ")
               and r["group"].split()[1] == f"{r['n']}×{r['n']}" and r["dtype"] == "float32"]
    for impl in sorted({r["impl"] for r in squares}):
        for t in sorted({r["threads"] for r in squares}):
            pts = sorted((r["n"], r["gflops"]) for r in squares if r["impl"] == impl and r["threads"] == t)
            if pts:
                ax1.plot(*zip(*pts), marker="o", label=f"{impl}, {t} thread{'s' if t > 1 else ''}")
    ax1.set_xscale("log", base=2)
    ax1.set_xlabel("n (n×n @ n×n, float32)")
    ax1.set_ylabel("GFLOP/s")
    ax1.set_title("matmul")
    ax1.legend(fontsize=7)
    mlp = [r for r in rows if r["group"].startswith("MLP ")]
    labels = [f"{r['group'].split(',')[0]}\n{r['impl'].split(' (')[0]}, {r['threads']}t" for r in mlp]
    ax2.barh(range(len(mlp)), [r["seconds"] for r in mlp], color=[f"C{i % 10}" for i in range(len(mlp))])
    ax2.set_yticks(range(len(mlp)), labels, fontsize=6)
    ax2.set_xscale("log")
    ax2.set_xlabel("seconds per epoch (float32, SGD momentum 0.9; log scale)")
    ax2.set_title("MLP training, one epoch")
    ax2.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
