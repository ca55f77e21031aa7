"""Comparison helpers for the contract tests, and a bounded wait for a forked child."""
import os
import time

import numpy as np


def tolerance(dtype):
    """Relative tolerance for comparing a backend with the NumPy reference."""
    return {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}[np.dtype(dtype)]


def assert_close(actual, expected, dtype, scale=None):
    """Elementwise |actual − expected| ≤ rtol · (|expected| + scale), scale defaulting to max |expected|.

    The scale term stops cancellation-prone small entries of a product from demanding more than the
    dtype can give; it is the usual backward-error style bound for sums of products.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == np.dtype(dtype), f"dtype {actual.dtype}, expected {np.dtype(dtype)}"
    if scale is None:
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    rtol = tolerance(dtype)
    err = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    bound = rtol * (np.abs(expected.astype(np.float64)) + scale) + np.finfo(np.float64).tiny
    worst = np.unravel_index(np.argmax(err - bound), err.shape) if err.size else None
    assert np.all(err <= bound), f"max violation at {worst}: got {actual[worst]}, expected {expected[worst]}"


def require_torch():
    """Import torch for a comparison test module: skipped where torch is not installed, except where
    ``MLBASICS_REQUIRE_TORCH=1`` (set by ``.ci/run``), where a missing torch is an error."""
    import os

    import pytest

    if os.environ.get("MLBASICS_REQUIRE_TORCH") == "1":
        import torch  # noqa: F401 - an ImportError here fails the run

        return torch
    return pytest.importorskip("torch")


def wait_child(pid, timeout):
    """The exit status of the forked child ``pid``, waited for at most ``timeout`` seconds; a child
    still running then is killed and the test fails (a hung child must not hang the run)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            import pytest

            pytest.fail("the forked child did not finish")
        time.sleep(0.01)
