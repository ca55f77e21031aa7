"""Philox4x32-10 in Numba: the same words as the NumPy reference (``backends/numpy/_philox.py``,
which documents the numbering) and the C++ kernels (``cpp/src/philox.hpp``)."""
import numpy as np
from numba import njit

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
_LO = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


@njit(cache=True, inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):  # pragma: no cover - compiled
    """Philox4x32-10 of one counter (four uint64 holding 32-bit values) under (k0, k1)."""
    for r in range(10):
        if r:
            k0 = (k0 + _W0) & _LO
            k1 = (k1 + _W1) & _LO
        p0 = _M0 * c0
        p1 = _M1 * c2
        n0 = (p1 >> _32) ^ c1 ^ k0
        n2 = (p0 >> _32) ^ c3 ^ k1
        c1 = p1 & _LO
        c3 = p0 & _LO
        c0 = n0
        c2 = n2
    return c0, c1, c2, c3


@njit(cache=True)
def philox_words(seed, stream, offset, out):  # pragma: no cover - compiled
    """Words offset, offset + 1, ... (mod 2**64) of ``stream`` under ``seed`` (uint64 scalars)
    into the uint32 array ``out``."""
    n = out.shape[0]
    k0, k1 = seed & _LO, seed >> _32
    s0, s1 = stream & _LO, stream >> _32
    i = 0
    while i < n:
        word = offset + np.uint64(i)
        block = word >> np.uint64(2)
        w0, w1, w2, w3 = philox4x32(block & _LO, block >> _32, s0, s1, k0, k1)
        j = int(word & np.uint64(3))
        while j < 4 and i < n:
            if j == 0:
                out[i] = w0
            elif j == 1:
                out[i] = w1
            elif j == 2:
                out[i] = w2
            else:
                out[i] = w3
            i += 1
            j += 1
