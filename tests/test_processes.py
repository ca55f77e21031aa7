"""mlbasics in multiprocessing pools (fork, forkserver, spawn) after the parent used the C++ pool
and Numba's threads, and os.fork() while the C++ pool is busy.

Each pool's work is bounded in time: a hang fails the test instead of stalling the suite.
"""
import multiprocessing as mp
import os
import sys
import threading
import time

import numpy as np
import pytest

import mlbasics
from _helpers import wait_child

# Python >= 3.12 warns when a process with threads forks; forking such a process is the point here.
pytestmark = pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork.*:DeprecationWarning")

TIMEOUT = 120
RNG = np.random.default_rng(0)
X = RNG.standard_normal((200, 5))
Y = (X @ np.array([1.0, -1.0, 2.0, 0.0, 0.5]) > 0).astype(int)


def fit_predict(args):
    """A child's work: fit an MLP and a logistic regression on this backend; return predictions."""
    backend, seed = args
    from mlbasics.linear_model import LogisticRegression
    from mlbasics.neural_network import MLPClassifier

    mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=seed, backend=backend,
                        dtype=np.float64, tol=0.0, n_iter_no_change=1000).fit(X, Y)
    logreg = LogisticRegression(backend=backend).fit(X, Y)
    big = np.ones((400, 400))  # a product large enough to run on every thread in the child too
    assert mlbasics.get_backend(backend).matmul(big, big)[0, 0] == 400.0
    return mlp.predict_proba(X), logreg.decision_function(X)


@pytest.fixture
def used_pools(backend):
    """The parent fits first, so the C++ pool's workers and Numba's threading layer are running."""
    if backend.name == "numpy":
        pytest.skip("numpy starts no threads of ours")
    expected = [fit_predict((backend.name, seed)) for seed in range(3)]
    big = np.ones((400, 400))
    backend.matmul(big, big)  # a product large enough to use every thread
    return expected


@pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_pools_after_the_parent_used_its_threads(backend, used_pools, method):
    if method not in mp.get_all_start_methods():
        pytest.skip(f"{method} is not available on {sys.platform}")
    with mp.get_context(method).Pool(2) as pool:
        results = pool.map_async(fit_predict, [(backend.name, seed) for seed in range(3)]).get(TIMEOUT)
    for (p_child, d_child), (p_parent, d_parent) in zip(results, used_pools):
        np.testing.assert_array_equal(p_child, p_parent)
        np.testing.assert_array_equal(d_child, d_parent)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_fork_while_the_cpp_pool_runs_a_job():
    """A fork made while another thread runs a long parallel C++ product waits at most for that
    product to finish (the pool's fork handler holds its lock so the child gets a consistent
    pool, never a half-finished job), and the child can use the pool."""
    backend = mlbasics.get_backend("cpp")
    a = RNG.standard_normal((1500, 1500))
    t0 = time.perf_counter()
    backend.matmul(a, a)
    job = time.perf_counter() - t0
    done = threading.Event()

    def work():
        backend.matmul(a, a)
        done.set()

    thread = threading.Thread(target=work)
    thread.start()
    time.sleep(job / 4)
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: use the pool, report by exit code, never return into pytest
        try:
            small = np.arange(16.0).reshape(4, 4)
            ok = np.array_equal(backend.matmul(small, small), small @ small)
            os._exit(0 if ok else 3)
        except BaseException:
            os._exit(4)
    waited = time.perf_counter() - start
    status = wait_child(pid, TIMEOUT)
    thread.join(TIMEOUT)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert done.is_set()
    assert waited < job * 3 + 1.0, f"fork waited {waited:.2f} s for a {job:.2f} s product"
