"""Fit LinearRegression and PCA on data larger than the memory the fit uses.

X (n × 100, float64, ``--gb`` gigabytes) is a dask array generated chunk by chunk and never held
whole: each fit streams its row chunks through mlbasics' kernels and keeps only 101 × 101
statistics, so the peak resident memory stays far below X's size. Without dask the same fits read
an ``np.memmap`` file block by block. The summary prints each fit's time, the process's peak RSS
against X's size, and the agreement of the streamed fits with the in-memory fits on a slice of X
small enough to load.

    python examples/out_of_core.py --gb 4          # 4 GB of X, a few hundred MB of memory
"""
import argparse
import os
import resource
import tempfile
import time

import numpy as np

from mlbasics.decomposition import PCA
from mlbasics.linear_model import LinearRegression

P = 100
CHUNK_ROWS = 40_000  # 32 MB chunks


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b)))


def make_dask(n, w):
    import dask.array as da

    rng = da.random.default_rng(0)
    X = rng.standard_normal((n, P), chunks=(CHUNK_ROWS, P)) * np.linspace(0.5, 3, P) + 1e3
    y = (X - 1e3) @ w + 0.5 + 0.1 * rng.standard_normal(n, chunks=CHUNK_ROWS)
    return X, y


def make_memmap(n, w, directory):
    path = os.path.join(directory, "X.f64")
    rng = np.random.default_rng(0)
    y = np.empty(n)
    with open(path, "wb") as f:
        for s in range(0, n, CHUNK_ROWS):
            block = rng.standard_normal((min(CHUNK_ROWS, n - s), P)) * np.linspace(0.5, 3, P) + 1e3
            y[s:s + block.shape[0]] = (block - 1e3) @ w + 0.5 + 0.1 * rng.standard_normal(block.shape[0])
            f.write(block.tobytes())
    return np.memmap(path, mode="r", dtype=np.float64, shape=(n, P)), y


def fits(X, y, label):
    out = {}
    for name, est in (("LinearRegression", LinearRegression()), ("PCA(10)", PCA(10, svd_solver="covariance_eigh"))):
        start = time.perf_counter()
        est.fit(X, y) if name == "LinearRegression" else est.fit(X)
        print(f"{label} {name:16s}: {time.perf_counter() - start:6.2f} s, peak RSS so far {peak_rss_mb():7.0f} MB")
        out[name] = est
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=0.1, help="size of X in GB (default 0.1)")
    parser.add_argument("--out", default=".", help="accepted for the examples' common command line; nothing is written")
    parser.add_argument("--memmap", action="store_true", help="use an np.memmap file even when dask is installed")
    args = parser.parse_args()
    n = max(2 * CHUNK_ROWS, int(args.gb * 1e9 / (8 * P)))
    w = np.random.default_rng(1).normal(size=P)
    try:
        import dask

        use_dask = not args.memmap
    except ImportError:
        use_dask = False
    print(f"X: {n} x {P} float64 = {n * P * 8 / 2**20:.0f} MB, {'a dask array' if use_dask else 'an np.memmap file'}; "
          f"peak RSS before fitting {peak_rss_mb():.0f} MB")
    with tempfile.TemporaryDirectory() as directory:
        if use_dask:
            X, y = make_dask(n, w)
            context = dask.config.set(scheduler="threads", num_workers=2)
        else:
            X, y = make_memmap(n, w, directory)
            context = open(os.devnull)
        with context:
            big = fits(X, y, "streamed ")
            print(f"LinearRegression recovers w: relative error {rel(big['LinearRegression'].coef_, w):.1e}")
            # the in-memory check: the same fits on a slice of X loaded into memory
            small_n = 2 * CHUNK_ROWS
            Xs, ys = X[:small_n], y[:small_n]
            Xm = np.asarray(Xs.compute() if use_dask else Xs)
            ym = np.asarray(ys.compute() if use_dask else ys)
            streamed, memory = fits(Xs, ys, "slice    "), fits(Xm, ym, "in-memory")
        lr = rel(streamed["LinearRegression"].coef_, memory["LinearRegression"].coef_)
        ev = rel(streamed["PCA(10)"].explained_variance_, memory["PCA(10)"].explained_variance_)
        print(f"agreement with the in-memory fit: LinearRegression coef_ {lr:.1e}, PCA explained_variance_ {ev:.1e}")
        print(f"peak RSS {peak_rss_mb():.0f} MB for X of {n * P * 8 / 2**20:.0f} MB")
        del X


if __name__ == "__main__":
    main()
