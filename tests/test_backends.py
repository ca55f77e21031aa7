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

    assert _core.cpu_path() in ("avx512", "avx2", "generic")
    code = "from mlbasics import _core; print(_core.cpu_path())"
    env = dict(os.environ, MLBASICS_CPU="generic")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "generic"


def test_unknown_cpu_setting_is_an_error():
    code = "import mlbasics; mlbasics.get_backend('cpp')"
    env = dict(os.environ, MLBASICS_CPU="sse9")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "MLBASICS_CPU: expected 'generic', 'avx2' or 'avx512'" in out.stderr


def test_default_threads_follow_the_affinity_mask():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    code = "import mlbasics; print(mlbasics.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout) == expected


def _run(code, **env):
    """Run ``code`` in a fresh interpreter with ``env`` added; return the CompletedProcess."""
    full = {k: v for k, v in os.environ.items() if k not in ("MLBASICS_BACKEND", "MLBASICS_CPU", "OMP_WAIT_POLICY")}
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=120)


def test_auto_raises_import_error_when_the_extension_cannot_load():
    """No silent fallback: a C++ extension that fails to import makes "auto" raise ImportError with
    the reason; numba and numpy stay available on request."""
    code = (
        "import sys; sys.modules['mlbasics._core'] = None\n"  # importing it now raises ImportError
        "import mlbasics\n"
        "assert mlbasics.get_backend('numba').name == 'numba'\n"
        "try:\n"
        "    mlbasics.get_backend('auto')\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
        "from mlbasics.linear_model import Ridge\n"
        "import numpy as np\n"
        "try:\n"
        "    Ridge().fit(np.eye(3), np.ones(3))\n"
        "except ImportError:\n"
        "    print('fit raised too')\n"
        "print(Ridge(backend='numpy').fit(np.eye(3), np.ones(3)).coef_.shape)\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert "ImportError: backend 'auto' is the C++ backend, and it failed to load" in out.stdout
    assert "MLBASICS_BACKEND=numba" in out.stdout and "fit raised too" in out.stdout
    assert out.stdout.strip().endswith("(3,)")
    # choosing another backend on purpose works, with the same extension missing
    out = _run("import sys; sys.modules['mlbasics._core'] = None\nimport mlbasics\n"
               "print(mlbasics.get_backend('auto').name)", MLBASICS_BACKEND="numba")
    assert out.returncode == 0 and out.stdout.strip().endswith("numba"), out.stderr


@pytest.mark.parametrize("value", ["bogus", "AVX2", "avx512x"])
def test_unknown_mlbasics_cpu_is_an_error_in_every_layer(value):
    out = _run("import mlbasics\nmlbasics.get_backend('auto')", MLBASICS_CPU=value)
    assert out.returncode != 0
    assert "MLBASICS_CPU" in out.stderr and value in out.stderr
    # the extension itself refuses too, not only the Python layer
    out = _run("import mlbasics._core", MLBASICS_CPU=value)
    assert out.returncode != 0 and "MLBASICS_CPU" in out.stderr


def test_numba_sets_omp_wait_policy_only_when_it_starts_openmp():
    code = ("import os, numba, mlbasics\n"
            "mlbasics.get_backend('numba')\n"
            "from mlbasics.backends import numba as nb\n"
            "print(numba.threading_layer(), nb.OMP_WAIT_POLICY_SET, os.environ.get('OMP_WAIT_POLICY'))\n")
    layer, was_set, value = _run(code).stdout.split()[-3:]
    assert was_set == str(layer == "omp") and value == ("PASSIVE" if layer == "omp" else "None")
    # the user's choice is left alone
    layer, was_set, value = _run(code, OMP_WAIT_POLICY="ACTIVE").stdout.split()[-3:]
    assert (was_set, value) == ("False", "ACTIVE")
    # another library already started OpenMP (scikit-learn's libgomp): left alone as well
    pre = "import sklearn.cluster, sklearn.utils._openmp_helpers\n"
    layer, was_set, value = _run(pre + code).stdout.split()[-3:]
    maps = _run(pre + "print('libgomp' in open('/proc/self/maps').read())").stdout.split()[-1]
    if maps == "True":
        assert (was_set, value) == ("False", "None")
