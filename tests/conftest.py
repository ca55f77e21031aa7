"""Shared fixtures: every contract test runs once per backend and (where it applies) per dtype."""
import os

# The suite imports torch and scikit-learn, whose OpenMP runtimes load before Numba's; the Numba
# backend then (rightly) leaves OMP_WAIT_POLICY alone, and its idle workers would spin against our
# pool on 2 cores. The test suite, as a user may, chooses sleeping workers itself.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import mlbasics  # noqa: E402

BACKENDS = ("cpp", "numba", "numpy")


def pytest_configure(config):
    """MLBASICS_EXPECT_WHEEL=1 (.ci/run's wheel step): the suite must test an installed wheel,
    never a source tree that happens to be importable: mlbasics and its compiled _core come from
    site-packages."""
    if os.environ.get("MLBASICS_EXPECT_WHEEL") == "1":
        import sysconfig

        from mlbasics import _core

        sites = {os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
        for module in (mlbasics, _core):
            path = os.path.realpath(module.__file__)
            if not any(path.startswith(site + os.sep) for site in sites):
                raise pytest.UsageError(f"MLBASICS_EXPECT_WHEEL=1, but {module.__name__} is imported from {path}, "
                                        f"not from {' or '.join(sorted(sites))}")


@pytest.fixture(params=["cpp", "numba", "numpy"])
def backend(request):
    """Each backend by name. All three must load: a missing backend is a failure, not a skip."""
    return mlbasics.get_backend(request.param)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture
def reference(request):
    """The NumPy reference backend. Comparing it with itself proves nothing, so a test that takes
    both ``backend`` and ``reference`` is skipped for backend numpy: the reference is checked against
    the formulas and finite differences in the ``*_math`` / ``*_is_the_gradient`` tests instead."""
    if "backend" in request.fixturenames and request.getfixturevalue("backend").name == "numpy":
        pytest.skip("numpy is the reference itself (checked against the formulas elsewhere)")
    return mlbasics.get_backend("numpy")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def restore_threads():
    """Put mlbasics.set_num_threads back to what it was before the test."""
    n = mlbasics.get_num_threads()
    try:
        yield
    finally:
        mlbasics.set_num_threads(n)
