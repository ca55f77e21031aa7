"""Benchmark fixtures: every benchmark runs on each backend, with NumPy in the same group."""
import numpy as np
import pytest

import mlbasics


@pytest.fixture(params=["cpp", "numba", "numpy"])
def backend(request):
    return mlbasics.get_backend(request.param)
