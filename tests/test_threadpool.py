"""Thread control from outside: environment variables, threadpoolctl, joblib's workers."""
import os
import subprocess
import sys

import pytest

import mlbasics

threadpoolctl = pytest.importorskip("threadpoolctl")


def _threads_in_child(**env):
    full = {k: v for k, v in os.environ.items() if k not in ("MLBASICS_NUM_THREADS", "OMP_NUM_THREADS")}
    full.update(env)
    code = "import mlbasics; mlbasics.get_backend('cpp'); from mlbasics import _core\n" \
           "print(mlbasics.get_num_threads(), _core.get_num_threads())"
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("env,expected", [
    ({"MLBASICS_NUM_THREADS": "1"}, "1 1"),
    ({"OMP_NUM_THREADS": "1"}, "1 1"),
    ({"OMP_NUM_THREADS": "1,2"}, "1 1"),                          # OpenMP's nested-list syntax
    ({"MLBASICS_NUM_THREADS": "3", "OMP_NUM_THREADS": "1"}, "3 3"),  # ours wins
])
def test_the_pool_starts_with_the_environment_thread_count(env, expected):
    out = _threads_in_child(**env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == expected.split()


@pytest.mark.parametrize("bad", ["0", "-2", "many", "1.5"])
def test_invalid_mlbasics_num_threads_is_an_error(bad):
    out = _threads_in_child(MLBASICS_NUM_THREADS=bad)
    assert out.returncode != 0 and "MLBASICS_NUM_THREADS" in out.stderr and bad in out.stderr


def test_threadpoolctl_lists_and_limits_our_pool():
    mlbasics.get_backend("cpp")
    from mlbasics import _core

    before = mlbasics.get_num_threads()
    ours = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "mlbasics"]
    assert len(ours) == 1 and ours[0]["num_threads"] == before
    assert os.path.basename(ours[0]["filepath"]).startswith("_core")
    with threadpoolctl.threadpool_limits(1):
        assert mlbasics.get_num_threads() == 1 and _core.get_num_threads() == 1
    assert mlbasics.get_num_threads() == before == _core.get_num_threads()
    with threadpoolctl.threadpool_limits(limits=1, user_api="mlbasics"):
        assert mlbasics.get_num_threads() == 1
    assert mlbasics.get_num_threads() == before


def _worker_threads():
    import mlbasics

    return mlbasics.get_num_threads()


def test_joblib_workers_get_their_share_of_the_cores():
    joblib = pytest.importorskip("joblib")
    with joblib.Parallel(n_jobs=2, backend="loky") as parallel:
        counts = parallel(joblib.delayed(_worker_threads)() for _ in range(4))
    assert set(counts) == {max(joblib.cpu_count() // 2, 1)}
