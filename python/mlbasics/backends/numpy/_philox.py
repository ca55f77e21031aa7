"""Philox4x32-10, the counter-based generator behind ``dropout_forward`` (NumPy reference).

Philox (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011) maps a 128-bit
counter and a 64-bit key to four 32-bit words by ten rounds of two 32×32→64-bit multiplications,
xors and a Weyl-sequence key schedule. Being a pure function of (counter, key), the same element
gets the same word on every backend, in any order and on any number of threads.

mlbasics numbers the words of a stream: word ``n`` (an unsigned 64-bit integer) of stream ``s``
under key ``seed`` is word ``n mod 4`` of Philox4x32-10 applied to the counter
``(c0, c1, c2, c3) = (lo32(n >> 2), hi32(n >> 2), lo32(s), hi32(s))`` with the key
``(k0, k1) = (lo32(seed), hi32(seed))``. The C++ (``cpp/src/philox.hpp``) and Numba
(``backends/numba/_philox.py``) versions compute the same words; ``tests/test_philox.py`` checks
all three against the published known-answer vectors of the Random123 library.
"""
import numpy as np

#: The multipliers and the key increments (the Weyl constants) of Philox4x32.
M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
ROUNDS = 10

_LO = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counters given word by word (uint64 arrays holding 32-bit values) under the
    key (k0, k1) (Python ints < 2**32). Returns the four output words as uint64 arrays."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in (c0, c1, c2, c3))
    k0, k1 = np.uint64(k0), np.uint64(k1)
    m0, m1 = np.uint64(M0), np.uint64(M1)
    for r in range(ROUNDS):
        if r:
            k0 = (k0 + np.uint64(W0)) & _LO
            k1 = (k1 + np.uint64(W1)) & _LO
        p0 = m0 * c0  # < 2**64: exact in uint64
        p1 = m1 * c2
        c0, c1, c2, c3 = (p1 >> _32) ^ c1 ^ k0, p1 & _LO, (p0 >> _32) ^ c3 ^ k1, p0 & _LO
    return c0, c1, c2, c3


def words(n, *, seed, offset=0, stream=0):
    """Words ``offset, offset + 1, ..., offset + n − 1`` (mod 2**64) of stream ``stream`` under key
    ``seed`` (all three Python ints in [0, 2**64)), as a uint32 array of length ``n``."""
    seed, offset, stream = int(seed), int(offset), int(stream)
    if n == 0:
        return np.empty(0, dtype=np.uint32)
    first = offset >> 2
    blocks = ((offset + n - 1) >> 2) - first + 1
    # word numbers wrap mod 2**64, so block numbers (word >> 2) wrap mod 2**62
    block = (np.uint64(first) + np.arange(blocks, dtype=np.uint64)) & np.uint64(2**62 - 1)
    out = philox4x32(block & _LO, block >> _32, np.uint64(stream & 0xFFFFFFFF), np.uint64(stream >> 32),
                     seed & 0xFFFFFFFF, seed >> 32)
    flat = np.stack(out, axis=1).reshape(-1)
    start = offset & 3
    return flat[start:start + n].astype(np.uint32)


def keep_threshold(p):
    """The smallest 24-bit value ``v`` (a word's top 24 bits) with ``v / 2**24 >= p``: an element is
    kept exactly when ``word >> 8 >= keep_threshold(p)`` (p·2**24 is exact in double precision)."""
    return int(np.ceil(float(p) * 16777216.0))
