"""Kernels called from several Python threads at once, and the GIL released around C++ work.

* Four Python threads, each with its own arrays, calling matmul (large enough for the C++ pool),
  linear_forward, softmax_cross_entropy and adam_step at the same time get exactly what one
  thread gets alone — on cpp and numba. (Concurrent C++ callers share one pool: the one that
  finds it busy runs its call on its own thread.)
* The C++ bindings release the GIL: while one thread is inside a long C++ matmul, another
  thread runs Python code. This is shown structurally, never by timing (shared, noisy
  machines): with the interpreter's switch interval raised to 10 s, a thread holding the GIL is
  never preempted, so a counter advanced by the main thread can move during the call only if
  the call released the GIL. A control with pure-Python work in the same place shows the
  counter does *not* move when the GIL is held.

Numba's kernels are ``@njit`` without ``nogil=True``: they hold the GIL, so no overlap is asserted
for them (concurrent calls are still checked for correct results).
"""
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import mlbasics
from _helpers import assert_close

N_THREADS = 4



def _inputs(seed, dtype):
    rng = np.random.default_rng(seed)
    f = lambda *shape: rng.standard_normal(shape).astype(dtype)  # noqa: E731
    return {
        "a": f(300, 300), "b": f(300, 300),
        "x": f(256, 200), "w": f(200, 96), "bias": f(96),
        "logits": f(2000, 10), "y": rng.integers(0, 10, 2000),
        "param": f(100_000), "grad": f(100_000), "m": np.abs(f(100_000)), "v": np.abs(f(100_000)),
    }


def _work(be, arr, rounds):
    """Every kernel of the mix `rounds` times; adam updates copies so each round starts the same."""
    out = []
    for _ in range(rounds):
        c = be.matmul(arr["a"], arr["b"], trans_b=True)
        z, h = be.linear_forward(arr["x"], arr["w"], arr["bias"], activation="relu")
        loss, g = be.softmax_cross_entropy(arr["logits"], arr["y"])
        p, m, v = arr["param"].copy(), arr["m"].copy(), arr["v"].copy()
        be.adam_step(p, arr["grad"], m, v, step=3, lr=1e-2, weight_decay=0.01)
        out.append((c, z, h, np.asarray(loss), g, p, m, v))
    return out


@pytest.mark.parametrize("backend_name", ["cpp", "numba"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_concurrent_calls_match_single_threaded(backend_name, dtype, restore_threads):
    be = mlbasics.get_backend(backend_name)
    mlbasics.set_num_threads(2)  # the pool (and Numba's threads) in play as well
    inputs = [_inputs(seed, dtype) for seed in range(N_THREADS)]
    expected = [_work(be, arr, 1)[0] for arr in inputs]  # one thread at a time
    with ThreadPoolExecutor(max_workers=N_THREADS) as ex:
        results = list(ex.map(lambda arr: _work(be, arr, 3), inputs))
    for want, got_rounds in zip(expected, results):
        for got in got_rounds:
            for g, w in zip(got, want):
                assert_close(g, w, dtype)


def test_set_num_threads_while_other_threads_run_kernels(restore_threads):
    """Resizing the C++ pool while three threads keep calling into it: no crash, right answers."""
    be = mlbasics.get_backend("cpp")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 300)), rng.standard_normal((300, 300))
    want = a @ b
    stop = threading.Event()

    def caller():
        n = 0
        while not stop.is_set() or n < 5:
            assert_close(be.matmul(a, b), want, np.float64)
            n += 1
        return n

    with ThreadPoolExecutor(max_workers=3) as ex:
        futures = [ex.submit(caller) for _ in range(3)]
        try:
            for i in range(60):
                mlbasics.set_num_threads(1 + i % 3)
                time.sleep(0.002)
        finally:
            stop.set()
        assert all(f.result() >= 5 for f in futures)


def _counter_advance_during(call):
    """How far the main thread's counter moves while another thread runs ``call()``.

    The worker reads the counter right before and right after the call. The switch interval is
    10 s, so a thread holding the GIL is never forced to give it up; the main thread's loop gives
    the GIL up on every iteration (time.sleep(0)), so the worker is never held up by it.
    """
    counter = [0]
    go, done = threading.Event(), threading.Event()
    seen = {}

    def worker():
        go.wait()
        before = counter[0]
        call()
        seen["advance"] = counter[0] - before
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        t = threading.Thread(target=worker)
        t.start()
        go.set()
        while not done.is_set():
            counter[0] += 1
            time.sleep(0)  # releases the GIL
        t.join()
    finally:
        sys.setswitchinterval(old)
    return seen["advance"]


def test_control_counter_does_not_move_while_the_gil_is_held():
    def python_work():  # pure Python: holds the GIL throughout (~tens of ms)
        s = 0
        for i in range(300_000):
            s += i
        return s

    assert _counter_advance_during(python_work) == 0


def test_cpp_matmul_releases_the_gil(restore_threads):
    mlbasics.set_num_threads(1)  # one core for the matmul, the other for the main thread
    be = mlbasics.get_backend("cpp")
    rng = np.random.default_rng(1)
    a = rng.standard_normal((1500, 1500))
    out = np.empty_like(a)
    advances = []
    for _ in range(3):  # a long call (~0.1 s or more); repeat in case the machine is very busy
        advances.append(_counter_advance_during(lambda: be.matmul(a, a, out=out)))
        if advances[-1] >= 300:
            break
    assert max(advances) >= 300, f"main thread advanced only {advances} times during the C++ matmuls"
    assert_close(out[:3], a[:3] @ a, np.float64)


def test_set_num_threads_governs_numba_in_every_thread(restore_threads):
    """numba.set_num_threads is per calling thread; the Numba backend re-applies our setting."""
    import numba

    backend = mlbasics.get_backend("numba")
    mlbasics.set_num_threads(1)
    seen = {}

    def worker():
        seen["before"] = numba.get_num_threads()  # a new thread starts with Numba's own default
        p = np.ones(100_000)  # large enough for the parallel path
        backend.adam_step(p, np.ones_like(p), np.zeros_like(p), np.zeros_like(p), step=1, lr=0.1)
        seen["after"] = numba.get_num_threads()
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # and the same for an MLP epoch
        X, y = np.ones((8, 3)), np.zeros(8, dtype=np.int64)
        params = np.zeros((3 + 1) * 2)
        backend.mlp_epoch(X, y, np.arange(8), params, np.zeros_like(params), {}, layer_sizes=[3, 2],
                          activation="relu", loss="softmax_cross_entropy", alpha=0.0, batch_size=4,
                          optimizer="sgd", hyper={"lr": 0.1}, step=0)
        seen["after_epoch"] = numba.get_num_threads()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen["after"] == 1 and seen["after_epoch"] == 1
    assert seen["before"] == numba.config.NUMBA_NUM_THREADS  # so the kernel call is what applied it
