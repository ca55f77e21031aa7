"""Backend registry, "auto" resolution and thread control."""
import os
import subprocess
import sys

import pytest

import mlbasics
from mlbasics.backends import KERNELS


def test_all_three_backends_are_available():
    # The C++ extension is required: a broken build must fail here, not fall back to NumPy.
    assert mlbasics.available_backends() == ["cpp", "numba", "numpy"]
    assert mlbasics.backends.backend_errors() == {}


def test_auto_prefers_cpp(monkeypatch):
    monkeypatch.delenv("MLBASICS_BACKEND", raising=False)
    assert mlbasics.get_backend("auto").name == "cpp"
    assert mlbasics.get_backend().name == "cpp"


@pytest.mark.parametrize("name", ["numba", "numpy", "cpp"])
def test_environment_variable_sets_auto(monkeypatch, name):
    monkeypatch.setenv("MLBASICS_BACKEND", name)
    assert mlbasics.get_backend("auto").name == name
    assert mlbasics.get_backend("numpy").name == "numpy"  # an explicit name still wins


def test_bad_environment_variable(monkeypatch):
    monkeypatch.setenv("MLBASICS_BACKEND", "fortran")
    with pytest.raises(ValueError, match="MLBASICS_BACKEND"):
        mlbasics.get_backend("auto")


def test_unknown_backend_name():
    with pytest.raises(ValueError, match="backend"):
        mlbasics.get_backend("cuda")
    with pytest.raises(TypeError, match="backend"):
        mlbasics.get_backend(3)


@pytest.mark.parametrize("name", ["cpp", "numba", "numpy"])
def test_backend_has_every_kernel(name):
    backend = mlbasics.get_backend(name)
    for kernel in KERNELS:
        assert callable(getattr(backend, kernel))
        assert callable(getattr(mlbasics.kernels, kernel))
        assert getattr(mlbasics.kernels, kernel).__doc__ == getattr(backend, kernel).__doc__


def test_threads_round_trip():
    import numba

    from mlbasics import _core

    mlbasics.available_backends()  # loads the backends (the setting applies on load too)
    old = mlbasics.get_num_threads()
    try:
        mlbasics.set_num_threads(1)
        assert mlbasics.get_num_threads() == 1
        assert _core.get_num_threads() == 1
        assert numba.get_num_threads() == 1
        mlbasics.set_num_threads(2)
        assert _core.get_num_threads() == 2
        assert numba.get_num_threads() == min(2, numba.config.NUMBA_NUM_THREADS)
    finally:
        mlbasics.set_num_threads(old)


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)])
def test_bad_thread_counts(bad, exc):
    with pytest.raises(exc, match="n:"):
        mlbasics.set_num_threads(bad)


def test_cpu_path_and_forced_generic():
    from mlbasics import _core

    assert _core.cpu_path() in ("avx2", "generic")
    code = "from mlbasics import _core; print(_core.cpu_path())"
    env = dict(os.environ, MLBASICS_CPU="generic")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "generic"


def test_unknown_cpu_setting_is_an_error():
    code = "import mlbasics; mlbasics.get_backend('cpp')"
    env = dict(os.environ, MLBASICS_CPU="sse9")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "MLBASICS_CPU: expected 'generic' or 'avx2'" in out.stderr


def test_default_threads_follow_the_affinity_mask():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    code = "import mlbasics; print(mlbasics.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == expected
