"""Philox4x32-10, the generator of dropout masks: the NumPy and Numba versions against the
known-answer vectors published with the Random123 library, and the word numbering of a stream
(``backends/numpy/_philox.py``). The C++ version is checked through ``dropout_forward``'s masks
(tests/test_norms.py) and in cpp/tests."""
import numpy as np
import pytest

from mlbasics.backends.numpy import _philox as ref

# (counter c0..c3, key k0..k1) -> the four output words, from Random123's kat_vectors
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]

# (seed, stream, offset, n): small, huge keys and streams, a run that wraps past word 2**64 - 1
RUNS = [(0, 0, 0, 10), (12345, 7, 3, 1001), (2**64 - 1, 2**63 + 5, 2**64 - 3, 9), (2**32 + 1, 2**32, 2**40 + 2, 17)]


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_numpy_known_answers(counter, key, expected):
    assert tuple(int(w) for w in ref.philox4x32(*counter, *key)) == expected


@pytest.mark.parametrize("seed,stream,offset,n", RUNS)
def test_words_are_numbered_by_counter(seed, stream, offset, n):
    w = ref.words(n, seed=seed, offset=offset, stream=stream)
    assert w.dtype == np.uint32 and w.shape == (n,)
    for i in (0, n // 2, n - 1):  # word i is word (offset + i) mod 4 of block (offset + i) >> 2
        word = (offset + i) % 2**64
        block = word >> 2
        out = ref.philox4x32(block & 0xFFFFFFFF, block >> 32, stream & 0xFFFFFFFF, stream >> 32,
                             seed & 0xFFFFFFFF, seed >> 32)
        assert int(w[i]) == int(out[word & 3])
    # any sub-run is the same words: masks do not depend on how a tensor is split
    assert np.array_equal(ref.words(n - 1, seed=seed, offset=(offset + 1) % 2**64, stream=stream), w[1:])
    # another stream or key gives other words
    assert not np.array_equal(ref.words(n, seed=seed, offset=offset, stream=(stream + 1) % 2**64), w)
    assert not np.array_equal(ref.words(n, seed=(seed + 1) % 2**64, offset=offset, stream=stream), w)


def test_keep_threshold_is_exact():
    assert ref.keep_threshold(0.0) == 0
    assert ref.keep_threshold(0.5) == 2**23
    assert ref.keep_threshold(2.0**-24) == 1
    assert ref.keep_threshold(1.5 * 2.0**-24) == 2
    words = ref.words(200_000, seed=3)
    kept = (words >> 8) >= ref.keep_threshold(0.3)
    assert abs(kept.mean() - 0.7) < 0.01  # 200,000 draws: the standard error is 0.001


def test_numba_matches_numpy():
    pytest.importorskip("numba")
    from mlbasics.backends.numba import _philox as nb

    for counter, key, expected in KAT:
        got = nb.philox4x32(*(np.uint64(c) for c in counter), *(np.uint64(k) for k in key))
        assert tuple(int(w) for w in got) == expected
    for seed, stream, offset, n in RUNS:
        out = np.empty(n, dtype=np.uint32)
        nb.philox_words(np.uint64(seed), np.uint64(stream), np.uint64(offset), out)
        assert np.array_equal(out, ref.words(n, seed=seed, offset=offset, stream=stream))
