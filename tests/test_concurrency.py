"""Fitted models under concurrency: many Python threads predicting with one model get the
single-thread answer, and threads fitting different models do not interfere.

The kernels release the GIL, so these threads really run in parallel on the C++ and Numba
backends; a kernel that kept per-call state in a shared buffer would show up here.
"""
import threading

import numpy as np
import pytest

from test_estimator_checks import ALL, ESTIMATORS, X, fit, make

pytestmark = pytest.mark.filterwarnings("ignore::mlbasics.exceptions.ConvergenceWarning")

N_THREADS = 8
RNG = np.random.default_rng(3)
X_BIG = RNG.standard_normal((4000, 4))  # large enough that kernels split and overlap in time


def _methods(est):
    return [m for m in ("predict", "predict_proba", "predict_log_proba", "decision_function", "transform")
            if hasattr(est, m)]


def _in_threads(fn, n=N_THREADS, timeout=120):
    """Run fn(i) in n threads started together; return their results (re-raising any error)."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish in time"
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("name,backend", ALL)
def test_one_fitted_model_predicts_the_same_from_8_threads(name, backend):
    est = fit(make(name, backend), name, X)
    for method in _methods(est):
        expected = getattr(est, method)(X_BIG)
        got = _in_threads(lambda i: [getattr(est, method)(X_BIG) for _ in range(3)])
        for per_thread in got:
            for out in per_thread:
                np.testing.assert_array_equal(out, expected, err_msg=f"{name}.{method}")


@pytest.mark.parametrize("backend", ["cpp", "numba", "numpy"])
def test_threads_fitting_different_models_do_not_interfere(backend):
    """Each thread fits its own estimator (different kinds, different data) while the others do: the
    results equal the same fits made one after another."""
    names = [n for n in ESTIMATORS if ESTIMATORS[n][2]]  # the estimators that take a backend

    def fit_one(i):
        name = names[i % len(names)]
        Xi = X + 0.01 * i
        est = fit(make(name, backend), name, Xi)
        return name, est, Xi

    sequential = [fit_one(i) for i in range(N_THREADS)]
    concurrent = _in_threads(fit_one)
    for (name, a, Xi), (_, b, _) in zip(sequential, concurrent):
        for method in _methods(a):
            np.testing.assert_array_equal(getattr(a, method)(Xi), getattr(b, method)(Xi), err_msg=name)
