"""The Numba GEMM's blocking: products crossing every block boundary (k above KC, m above MC, n above NC,
every edge width of the micro-tile), on one and several thread units, strided and transposed operands,
gram's one triangle, and the work-array cache. The contract itself is tested in test_gemm.py."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

pytest.importorskip("numba")

from mlbasics.backends.numba import gemm as g  # noqa: E402

DTYPES = [np.float32, np.float64]


def _reference(a, b):
    return a.astype(np.float64) @ b.astype(np.float64)


def _close(got, expected, dtype):
    tol = 2e-5 if dtype == np.float32 else 1e-12
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(got, expected, rtol=0, atol=tol * scale * 4)


def _operand(rng, shape, dtype, layout):
    """A (rows, cols) operand: C-ordered, F-ordered, a strided view, a negatively strided view."""
    if layout == "C":
        return rng.standard_normal(shape).astype(dtype)
    if layout == "F":
        return np.asfortranarray(rng.standard_normal(shape).astype(dtype))
    if layout == "strided":
        return rng.standard_normal((2 * shape[0] + 1, 3 * shape[1] + 2)).astype(dtype)[1::2, 2::3][:shape[0], :shape[1]]
    return rng.standard_normal(shape).astype(dtype)[::-1, ::-1]


def _run(a, b, trans_a, trans_b, mc, kc, nc, units, tri=False, out=None, ws=None, scale=None):
    """_gemm with explicit (small) block sizes, so that a small product crosses many blocks."""
    m = a.shape[1] if trans_a else a.shape[0]
    k = a.shape[0] if trans_a else a.shape[1]
    n = b.shape[0] if trans_b else b.shape[1]
    if out is None:
        out = np.full((m, n), np.nan, a.dtype)  # never read: the NaN must not survive
    af, aoff, ars, acs = g._flat(a)
    if trans_a:
        ars, acs = acs, ars
    bf, boff, brs, bcs = g._flat(b)
    if trans_b:
        brs, bcs = bcs, brs
    if ws is None:
        ws = np.empty(0, a.dtype)  # too small: _gemm allocates its own
    has_scale = scale is not None
    if scale is None:
        scale = ws[:0]
    # units > 1: the parallel path, whatever the size (callers weigh the size against _PARALLEL_MIN_FLOPS)
    g._gemm(af, aoff, ars, acs, bf, boff, brs, bcs, m, n, k, out, mc, kc, nc, units, scale, has_scale, tri, ws)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_edge_width_and_block_boundary(dtype):
    """m and n take every residue modulo MR and NR; with MC = 2 MR, KC = 8, NC = 2 NR, k crosses KC several
    times (and leaves a remainder), m crosses MC and n crosses NC."""
    rng = np.random.default_rng(0)
    mr, nr = g._MR, g._NR[np.dtype(dtype)]
    mc, kc, nc = 2 * mr, 8, 2 * nr
    for m in range(1, 2 * mc + 2, max(1, mr // 3)):
        for n in list(range(1, nr + 2)) + [2 * nc + 3]:
            for k in (1, 3, kc, kc + 1, 3 * kc + 5):
                a = rng.standard_normal((m, k)).astype(dtype)
                b = rng.standard_normal((k, n)).astype(dtype)
                _close(_run(a, b, False, False, mc, kc, nc, 1), _reference(a, b), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed"])
def test_strided_and_transposed_operands(dtype, trans_a, trans_b, layout):
    """Every packing path (rows or columns contiguous, or neither; whole and partial panels, depth not a
    multiple of the transpose depth) through small blocks."""
    rng = np.random.default_rng(1)
    mr, nr = g._MR, g._NR[np.dtype(dtype)]
    m, k, n = 3 * mr + 1, 4 * 7 + 3, 3 * nr + 5
    a = _operand(rng, (k, m) if trans_a else (m, k), dtype, layout)
    b = _operand(rng, (n, k) if trans_b else (k, n), dtype, layout)
    expected = _reference(a.T if trans_a else a, b.T if trans_b else b)
    for mc, kc, nc in [(mr, 4, nr), (2 * mr, 13, 2 * nr), (256, 512, 4096)]:
        _close(_run(a, b, trans_a, trans_b, mc, kc, nc, 1), expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(20, 700, 200), (300, 40, 9), (7, 30, 500), (130, 70, 150)])
@pytest.mark.parametrize("units", [2, 3, 4])
def test_thread_units_give_the_serial_result_bit_for_bit(dtype, shape, units):
    """Splitting the output by rows or by columns (each unit packs its own A rows, all pack B) changes no
    element's order of summation: the result equals the one-thread result exactly."""
    rng = np.random.default_rng(2)
    m, k, n = shape
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    mr, nr = g._MR, g._NR[np.dtype(dtype)]
    serial = _run(a, b, False, False, 2 * mr, 16, 8 * nr, 1)
    par = _run(a, b, False, False, 2 * mr, 16, 8 * nr, units)
    assert np.array_equal(serial, par)
    _close(par, _reference(a, b), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("units", [1, 2, 3])
def test_gram_computes_one_triangle(dtype, units):
    """tri: the tiles wholly below the diagonal are never written (the NaN stays there), every element on
    or above it is the product's; gram then mirrors, exactly symmetric."""
    rng = np.random.default_rng(3)
    mr = g._MR
    n, p = 3 * 16 + 5, 5 * mr + 3
    x = rng.standard_normal((n, p)).astype(dtype)
    mc, kc, nc = 2 * mr, 16, 2 * g._NR[np.dtype(dtype)]
    out = _run(x, x, True, False, mc, kc, nc, units, tri=True)
    expected = _reference(x.T, x)
    iu = np.triu_indices(p)
    _close(out[iu], expected[iu], dtype)
    assert np.isnan(out[p - 1, 0]), "the bottom-left tile lies below the diagonal: it must not be computed"
    got = np.empty((p, p), dtype)
    g.gram(x, got)
    assert np.array_equal(got, got.T)
    _close(got, expected, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gram_weighted_large_and_symmetric(dtype):
    """Above the thread threshold and across KC: the weights scale the packed operand, the result is exactly
    symmetric, NaN pattern included."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((700, 150)).astype(dtype)
    w = rng.random(700).astype(dtype)
    x[5, 7] = np.nan
    got = np.empty((150, 150), dtype)
    g.gram(x, got, w)
    assert np.array_equal(got, got.T, equal_nan=True)
    assert np.isnan(got[7]).all() and np.isnan(got[:, 7]).all()
    mask = np.ones(150, bool)
    mask[7] = False
    expected = _reference(x.T * w, x)
    _close(got[np.ix_(mask, mask)], expected[np.ix_(mask, mask)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_finite_values_reach_exactly_their_rows_and_columns(dtype):
    """A NaN in row i of op(A) makes row i NaN, an inf in column j of op(B) makes column j ±inf or NaN — at
    the edge tiles as well as the whole ones, across KC slices; nothing else is touched."""
    rng = np.random.default_rng(5)
    mr, nr = g._MR, g._NR[np.dtype(dtype)]
    m, k, n = 2 * mr + 3, 37, nr + 5
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    a[m - 1, 20] = np.nan
    b[3, n - 1] = np.inf
    got = _run(a, b, False, False, mr, 8, nr, 1)
    with np.errstate(invalid="ignore"):
        expected = a.astype(np.float64) @ b.astype(np.float64)
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    _close(got[finite], expected[finite], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mm_as_the_mlp_calls_it(dtype):
    """_mm on flat buffers with offsets and strides (the fused epoch's three products of a layer)."""
    rng = np.random.default_rng(6)
    nb, n_in, n_out = 70, 300, 45
    x = rng.standard_normal(nb * n_in).astype(dtype)
    params = rng.standard_normal(7 + n_in * n_out).astype(dtype)
    W = params[7:].reshape(n_in, n_out)
    G = rng.standard_normal(nb * n_out).astype(dtype)
    mc, kc, nc = g._BLOCKING[np.dtype(dtype)]
    for nthreads in (1, 2):
        z = np.full((nb, n_out), np.nan, dtype)
        g._mm(x, 0, n_in, 1, params, 7, n_out, 1, nb, n_out, n_in, z, mc, kc, nc, nthreads)
        _close(z, _reference(x.reshape(nb, n_in), W), dtype)
        gw = np.full((n_in, n_out), np.nan, dtype)
        g._mm(x, 0, 1, n_in, G, 0, n_out, 1, n_in, n_out, nb, gw, mc, kc, nc, nthreads)
        _close(gw, _reference(x.reshape(nb, n_in).T, G.reshape(nb, n_out)), dtype)
        gx = np.full((nb, n_in), np.nan, dtype)
        g._mm(G, 0, n_out, 1, params, 7, 1, n_out, nb, n_in, n_out, gx, mc, kc, nc, nthreads)
        _close(gx, _reference(G.reshape(nb, n_out), W.T), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_default_blocking_crossed(dtype):
    """The shipped block sizes, crossed: k above KC (not a multiple), m above MC, n above NC."""
    rng = np.random.default_rng(7)
    mc, kc, nc = g._BLOCKING[np.dtype(dtype)]
    for m, k, n in [(mc + g._MR + 1, 2 * kc + 3, 33), (5, kc + 1, nc + g._NR[np.dtype(dtype)] + 3)]:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        out = np.empty((m, n), dtype)
        g.matmul(a, b, False, False, out)
        _close(out, _reference(a, b), dtype)


def test_workspace_is_per_python_thread_and_reused():
    """One work array per Python thread and dtype, grown when needed and then reused."""
    dt = np.dtype(np.float32)
    first = g._workspace(dt, 64, 64, 64, 1)
    assert g._workspace(dt, 64, 64, 64, 1) is first
    assert g._workspace(dt, 8, 8, 8, 1) is first
    bigger = g._workspace(dt, 600, 600, 600, 1)
    assert bigger.shape[0] >= first.shape[0]
    assert g._workspace(dt, 64, 64, 64, 1) is bigger
    seen = []
    t = threading.Thread(target=lambda: seen.append(g._workspace(dt, 64, 64, 64, 1)))
    t.start()
    t.join()
    assert seen[0] is not bigger


def test_workspace_size_matches_the_jitted_layout():
    """The Python side's work-array size covers what _gemm needs (else _gemm would allocate every call)."""
    for dt in (np.dtype(np.float32), np.dtype(np.float64)):
        mc, kc, nc = g._BLOCKING[dt]
        nr = g._NR[dt]
        for m, n, k in [(1, 1, 1), (64, 256, 784), (784, 256, 64), (1000, 5000, 1000), (3, 9000, 2)]:
            for units in (1, 2, 4):
                _, _, _, bsize, usize = g._sizes(m, n, k, mc, kc, nc, nr)
                need = bsize + units * usize + g._ALIGN // dt.itemsize
                assert g._ws_size(m, n, k, mc, kc, nc, nr, units, dt.itemsize) >= need


_ISA_SCRIPT = r"""
import numpy as np
from mlbasics.backends.numba import gemm as g
assert g._VB == {vb}, g._VB
rng = np.random.default_rng(0)
for dt in (np.float32, np.float64):
    for (m, k, n, ta, tb) in [(2 * g._MR + 1, 37, g._NR[np.dtype(dt)] + 3, False, True), (13, 600, 70, True, False)]:
        a = rng.standard_normal((k, m) if ta else (m, k)).astype(dt)
        b = rng.standard_normal((n, k) if tb else (k, n)).astype(dt)
        out = np.empty((m, n), dt)
        g.matmul(a, b, ta, tb, out)
        ref = (a.T if ta else a).astype(np.float64) @ (b.T if tb else b).astype(np.float64)
        assert np.abs(out - ref).max() <= (1e-4 if dt == np.float32 else 1e-10) * max(1, np.abs(ref).max())
    x = rng.standard_normal((50, 21)).astype(dt)
    out = np.empty((21, 21), dt)
    g.gram(x, out)
    assert np.array_equal(out, out.T)
print("ok")
"""


@pytest.mark.skipif(sys.platform != "linux" or os.uname().machine != "x86_64", reason="x86-64 CPU names")
@pytest.mark.parametrize("cpu,features,vb", [("haswell", "-avx512f", 32), ("generic", "", 16)])
def test_narrower_vector_paths(cpu, features, vb):
    """The AVX2 tile (6 x 2 ymm) and the 16-byte tile, forced through Numba's target CPU in a child process
    (the first run compiles for that target, later ones load it from the cache)."""
    env = dict(os.environ, NUMBA_CPU_NAME=cpu)
    if features:
        env["NUMBA_CPU_FEATURES"] = features
    else:
        env.pop("NUMBA_CPU_FEATURES", None)
    r = subprocess.run([sys.executable, "-c", _ISA_SCRIPT.format(vb=vb)], env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stdout + r.stderr
