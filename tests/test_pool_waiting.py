"""The C++ pool's waiting policy: workers poll for the next job for a short time, then sleep.

What must hold whatever the policy (checked with the default spin, with spinning off and with a
spin longer than the whole test, MLBASICS_POOL_SPIN_US):

* four Python threads calling matmul at 2 pool threads get what NumPy gets (one of them holds
  the pool, the others run alone on their own thread);
* set_num_threads changing while products run, from the same thread and from another one;
* a ``fork`` child made right after products (the workers still polling) gets a fresh pool,
  computes correctly and exits;
* an idle pool does not burn CPU: after a burst of products, a 0.5 s sleep costs the process far
  less CPU time than 0.5 s.

No timing assertion: the machines are shared and noisy. Every wait is bounded (thread joins and
subprocesses have timeouts), so a hang fails a test instead of stalling the suite.
"""
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import mlbasics
from _helpers import wait_child

pytestmark = pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork.*:DeprecationWarning")

TIMEOUT = 120
# (m, k, n, trans_a, trans_b): products the pool splits at 2 threads (256³ and the dense-layer
# shapes of the bench), and one it runs on one thread.
SHAPES = [(256, 256, 256, False, False), (64, 784, 256, False, False), (784, 64, 256, True, False),
          (64, 256, 784, False, True), (64, 256, 10, False, False)]


def _problems(seed, dtype):
    """Operands and their NumPy products (NumPy's BLAS on one thread: no pool of its own spinning)."""
    rng = np.random.default_rng(seed)
    out = []
    for m, k, n, ta, tb in SHAPES:
        a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
        b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
        with threadpool_limits(1, user_api="blas"):
            ref = (a.T if ta else a) @ (b.T if tb else b)
        out.append((a, b, ta, tb, ref))
    return out


def _check(problems, rounds):
    """Run every product `rounds` times with the C++ backend; the first mismatch as a message."""
    be = mlbasics.get_backend("cpp")
    tol = 1e-4 if problems[0][0].dtype == np.float32 else 1e-10
    for r in range(rounds):
        for a, b, ta, tb, ref in problems:
            c = be.matmul(a, b, ta, tb)
            if c.shape != ref.shape or not np.allclose(c, ref, rtol=tol, atol=tol * np.abs(ref).max()):
                return f"round {r}: {a.shape}{'ᵀ' if ta else ''} @ {b.shape}{'ᵀ' if tb else ''} differs"
    return None


def _run_threads(targets):
    """Start one thread per callable, join each with a timeout; the callables' failures, listed."""
    errors = []

    def wrap(fn):
        try:
            msg = fn()
            if msg:
                errors.append(msg)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=wrap, args=(fn,), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    deadline = time.monotonic() + TIMEOUT
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a thread did not finish (hang?)"
    return errors


# ----------------------------------------------------------------------------- the scenarios
# Each runs in this process (default policy) or in a subprocess with MLBASICS_POOL_SPIN_US set,
# which the pool reads once.

def scenario_concurrent():
    mlbasics.set_num_threads(2)
    for dtype in (np.float32, np.float64):
        probs = [_problems(seed, dtype) for seed in range(4)]
        errors = _run_threads([lambda p=p: _check(p, 5) for p in probs])
        assert not errors, errors


def scenario_resize():
    probs = _problems(7, np.float64)
    # From the calling thread, between products.
    for nt in (2, 1, 3, 2, 4, 1, 2):
        mlbasics.set_num_threads(nt)
        assert mlbasics.get_num_threads() == nt
        msg = _check(probs, 2)
        assert msg is None, f"threads={nt}: {msg}"
    # From another thread, while three threads run products.
    stop = threading.Event()

    def changer():
        i = 0
        while not stop.is_set():
            mlbasics.set_num_threads(1 + i % 3)
            i += 1
            time.sleep(0.001)

    ch = threading.Thread(target=changer, daemon=True)
    ch.start()
    try:
        errors = _run_threads([lambda s=s: _check(_problems(s, np.float32), 6) for s in range(3)])
    finally:
        stop.set()
        ch.join(TIMEOUT)
    assert not ch.is_alive()
    assert not errors, errors
    mlbasics.set_num_threads(2)


def _child_products(seed):
    """A fork child's work: products large enough for the pool, at 2 threads, checked."""
    mlbasics.set_num_threads(2)
    return _check(_problems(seed, np.float64), 2)


def scenario_fork():
    mlbasics.set_num_threads(2)
    probs = _problems(3, np.float32)
    assert _check(probs, 3) is None
    # Right after products the workers are still polling for the next job: fork then.
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.map_async(_child_products, range(4)).get(TIMEOUT)
    assert results == [None] * 4, results
    # os.fork directly after a product, the child uses the pool at once and exits.
    be = mlbasics.get_backend("cpp")
    a = np.ones((256, 256))
    be.matmul(a, a)
    pid = os.fork()
    if pid == 0:  # the child: report by exit code, never return into pytest
        try:
            ok = _child_products(11) is None and be.matmul(a, a)[0, 0] == 256.0
            os._exit(0 if ok else 3)
        except BaseException:
            os._exit(4)
    status = wait_child(pid, TIMEOUT)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    # The parent's pool still works.
    assert _check(probs, 1) is None


def scenario_idle():
    """Print the CPU seconds the process used during a 0.5 s sleep after a burst of products."""
    mlbasics.set_num_threads(2)
    be = mlbasics.get_backend("cpp")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 784)).astype(np.float32)
    b = rng.standard_normal((784, 256)).astype(np.float32)
    out = np.empty((64, 256), np.float32)
    for _ in range(300):
        be.matmul(a, b, False, False, out)
    t0, c0 = time.perf_counter(), time.process_time()
    time.sleep(0.5)
    print(f"{time.process_time() - c0:.6f} {time.perf_counter() - t0:.6f}")


SCENARIOS = {"concurrent": scenario_concurrent, "resize": scenario_resize, "fork": scenario_fork,
             "idle": scenario_idle}


def _in_subprocess(name, spin_us):
    env = dict(os.environ, MLBASICS_POOL_SPIN_US=str(spin_us), OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, __file__, name], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0, f"scenario {name} (spin {spin_us} µs) failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


# ----------------------------------------------------------------------------- the tests

@pytest.fixture
def two_threads(restore_threads):
    mlbasics.set_num_threads(2)


@pytest.mark.parametrize("name", ["concurrent", "resize", "fork"])
def test_default_policy(name, two_threads):
    SCENARIOS[name]()


# 0: every wait sleeps at once; 1 s (the cap): the workers never sleep during the scenario.
@pytest.mark.parametrize("spin_us", [0, 1_000_000])
@pytest.mark.parametrize("name", ["concurrent", "resize", "fork"])
def test_other_policies(name, spin_us):
    _in_subprocess(name, spin_us)


@pytest.mark.parametrize("spin_us", [None, 0])
def test_idle_pool_does_not_burn_cpu(spin_us):
    """In a fresh process (no other library's threads), with the default spin and with none."""
    if spin_us is None:
        env = {k: v for k, v in os.environ.items() if k != "MLBASICS_POOL_SPIN_US"}
        env["OPENBLAS_NUM_THREADS"] = "1"
        proc = subprocess.run([sys.executable, __file__, "idle"], env=env, capture_output=True, text=True,
                              timeout=TIMEOUT)
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout
    else:
        out = _in_subprocess("idle", spin_us)
    cpu, wall = map(float, out.split()[-2:])
    # A polling worker would cost ~wall; the spin budget is ~100 µs per worker. Generous margin.
    assert cpu < 0.2 * wall, f"{cpu:.3f} s CPU during a {wall:.3f} s idle sleep"


if __name__ == "__main__":
    SCENARIOS[sys.argv[1]]()
