"""Result checks shared by the benchmarks: each timed call is also verified."""
import numpy as np


def check(actual, expected, dtype):
    rtol = 1e-3 if np.dtype(dtype) == np.float32 else 1e-9
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)
