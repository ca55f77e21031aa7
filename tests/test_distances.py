"""Contract tests for the distances family: pairwise_sq_distances, kmeans_step, nearest_neighbors.

Every backend against the NumPy reference (dtype tolerance), against float64 brute force and
scikit-learn, at sizes that cross the row chunks (Numba: 256 rows, NumPy: 4096), and for the
exact promises of the contract: symmetry and a zero diagonal, ties to the lowest index, weights,
results independent of the thread count. The property tests use small-integer data, where every
backend's arithmetic is exact, so ties must resolve exactly as the reference resolves them.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlbasics
from _helpers import assert_close, tolerance

ROWS = (1, 5, 255, 257, 4097)  # 1 row; just below/above Numba's 256-row chunk; above NumPy's 4096


def _settings(n=40):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


# --------------------------------------------------------------------------- brute force and checks

def brute(x, y):
    """‖xᵢ − yⱼ‖² in float64, computed directly."""
    x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return ((x64[:, None, :] - y64[None, :, :]) ** 2).sum(axis=-1)


def dist_scale(x, y):
    """The error scale of the ‖x‖² − 2x·y + ‖y‖² expansion: max ‖xᵢ‖² + max ‖yⱼ‖²."""
    def mx(a):
        a = np.asarray(a, np.float64)
        return float((a * a).sum(axis=1).max()) if a.size else 0.0
    return mx(x) + mx(y) + 1.0


def assert_neighbors_valid(x, y, same, k, d, idx, dtype):
    """d, idx are k nearest neighbours up to rounding: distinct, own row excluded, ascending, the exact
    distances of the rows they name, and as near as the k best by brute force."""
    n = x.shape[0]
    assert d.shape == idx.shape == (n, k)
    assert d.dtype == dtype and idx.dtype == np.int64
    full = brute(x, y)
    if same:
        np.fill_diagonal(full, np.inf)
        assert not np.any(idx == np.arange(n)[:, None]), "a row is its own neighbour"
    assert np.all((idx >= 0) & (idx < y.shape[0]))
    assert all(len(set(r)) == k for r in idx.tolist()), "a neighbour repeats"
    assert np.all(np.diff(d, axis=1) >= 0), "distances are not ascending"
    scale = dist_scale(x, y)
    assert_close(d, np.take_along_axis(full, idx, axis=1).astype(dtype), dtype, scale=scale)
    assert_close(d, np.sort(full, axis=1)[:, :k].astype(dtype), dtype, scale=scale)


def assert_same_neighbors(idx, expected, x, y, dtype):
    """idx names the same rows as expected, except where two candidates are tied up to rounding."""
    diff = idx != expected
    if not diff.any():
        return
    rows = np.nonzero(diff)[0]
    full = brute(x[rows], y)
    got = np.take_along_axis(full, idx[rows], axis=1)[diff[rows]]
    exp = np.take_along_axis(full, expected[rows], axis=1)[diff[rows]]
    tol = 10 * tolerance(dtype) * dist_scale(x, y)
    assert np.all(np.abs(got - exp) <= tol), f"{int(diff.sum())} neighbours differ beyond rounding"


def assert_kmeans_consistent(x, centers, w, labels, sq_dist, sums, weights, dtype):
    """labels is an argmin up to rounding; sq_dist, sums and weights follow from labels."""
    n, k = x.shape[0], centers.shape[0]
    assert labels.dtype == np.int64 and labels.shape == (n,)
    assert sq_dist.dtype == sums.dtype == weights.dtype == dtype
    assert sums.shape == centers.shape and weights.shape == (k,)
    assert np.all((labels >= 0) & (labels < k))
    full = brute(x, centers)
    scale = dist_scale(x, centers)
    chosen = full[np.arange(n), labels]
    assert np.all(chosen <= full.min(axis=1) + 10 * tolerance(dtype) * scale), "a label is not the nearest centre"
    assert_close(sq_dist, chosen.astype(dtype), dtype, scale=scale)
    w64 = np.ones(n) if w is None else np.asarray(w, np.float64)
    s64 = np.zeros(centers.shape)
    np.add.at(s64, labels, np.asarray(x, np.float64) * w64[:, None])
    assert_close(sums, s64.astype(dtype), dtype, scale=float(np.abs(x).max() * w64.sum()) + 1.0)
    assert_close(weights, np.bincount(labels, w64, minlength=k).astype(dtype), dtype, scale=float(w64.sum()))


def data(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


# --------------------------------------------------------------------------- pairwise_sq_distances

@pytest.mark.parametrize("n,m,p", [(1, 1, 1), (5, 3, 1), (257, 40, 7), (33, 1, 300), (1, 20, 3), (0, 4, 2),
                                   (4, 2, 0)])
def test_pairwise_matches_reference_and_brute_force(backend, dtype, rng, n, m, p):
    x, y = data(rng, (n, p), dtype), data(rng, (m, p), dtype)
    got = backend.pairwise_sq_distances(x, y)
    assert got.shape == (n, m) and got.dtype == dtype
    ref = mlbasics.get_backend("numpy").pairwise_sq_distances(x, y)
    assert_close(got, ref, dtype, scale=dist_scale(x, y))
    assert_close(got, brute(x, y).astype(dtype), dtype, scale=dist_scale(x, y))
    assert np.all(got >= 0)


@pytest.mark.parametrize("n,p", [(1, 3), (2, 1), (70, 5), (300, 17)])
def test_pairwise_of_x_with_itself_is_exactly_symmetric_with_zero_diagonal(backend, dtype, rng, n, p):
    x = data(rng, (n, p), dtype) + dtype.type(3)  # an offset: the expansion's diagonal is not 0 by itself
    for d in (backend.pairwise_sq_distances(x), backend.pairwise_sq_distances(x, x)):
        np.testing.assert_array_equal(d, d.T)
        np.testing.assert_array_equal(np.diag(d), np.zeros(n, dtype))
        assert_close(d, brute(x, x).astype(dtype), dtype, scale=dist_scale(x, x))


def test_pairwise_clamps_cancellation_at_zero(backend, dtype):
    x = np.full((3, 4), 1000.0, dtype)  # equal rows far from 0: rounding may give a tiny negative
    y = x + np.array([0, 0, 1e-3, 0], dtype)
    assert np.all(backend.pairwise_sq_distances(x, y) >= 0)


def test_pairwise_matches_scikit_learn(backend, dtype, rng):
    from sklearn.metrics import pairwise_distances

    x, y = data(rng, (120, 9), dtype), data(rng, (80, 9), dtype)
    expected = pairwise_distances(x.astype(np.float64), y.astype(np.float64)) ** 2
    assert_close(backend.pairwise_sq_distances(x, y), expected.astype(dtype), dtype, scale=dist_scale(x, y))


def test_pairwise_accepts_views(backend, dtype, rng):
    big = data(rng, (40, 12), dtype)
    x, y = big[::2, ::3], np.asfortranarray(big[1::3, 1::3])
    assert_close(backend.pairwise_sq_distances(x, y), brute(x, y).astype(dtype), dtype, scale=dist_scale(x, y))


# --------------------------------------------------------------------------- kmeans_step

@pytest.mark.parametrize("n", ROWS)
@pytest.mark.parametrize("k,p", [(1, 3), (7, 1), (8, 16), (40, 5)])
def test_kmeans_matches_reference(backend, reference, dtype, rng, n, k, p):
    x, centers = data(rng, (n, p), dtype), data(rng, (k, p), dtype)
    got = backend.kmeans_step(x, centers)
    exp = reference.kmeans_step(x, centers)
    assert_kmeans_consistent(x, centers, None, *got, dtype)
    mismatch = got[0] != exp[0]
    if mismatch.any():  # only a near-tie may resolve differently: both choices are then equally near
        full = brute(x[mismatch], centers)
        rows = np.arange(int(mismatch.sum()))
        gap = np.abs(full[rows, got[0][mismatch]] - full[rows, exp[0][mismatch]])
        assert np.all(gap <= 10 * tolerance(dtype) * dist_scale(x, centers))
    else:
        scale = dist_scale(x, centers)
        assert_close(got[1], exp[1], dtype, scale=scale)
        assert_close(got[2], exp[2], dtype, scale=float(np.abs(x).max()) * n)
        assert_close(got[3], exp[3], dtype)


def test_kmeans_many_centres(backend, dtype, rng):
    # More centres than one GEMM column block (Numba: 2048): the argmin carries over blocks.
    x, centers = data(rng, (300, 3), dtype), data(rng, (2100, 3), dtype)
    centers[2050] = centers[7]  # a tie across blocks: the lower index
    got = backend.kmeans_step(x, centers)
    assert_kmeans_consistent(x, centers, None, *got, dtype)
    assert not np.any(got[0] == 2050)
    centers[2070, 1] = np.nan  # a NaN centre in the second block takes every row
    with np.errstate(invalid="ignore"):
        labels, sq_dist, _, weights = backend.kmeans_step(x, centers)
    np.testing.assert_array_equal(labels, np.full(300, 2070))
    assert np.isnan(sq_dist).all() and weights[2070] == 300


def test_kmeans_docstring_example(backend):
    x = np.array([[0.0], [1.0], [9.0], [10.0]])
    labels, sq_dist, sums, weights = backend.kmeans_step(x, np.array([[0.0], [10.0]]))
    np.testing.assert_array_equal(labels, [0, 0, 1, 1])
    np.testing.assert_array_equal(sq_dist, [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(sums, [[1.0], [19.0]])
    np.testing.assert_array_equal(weights, [2.0, 2.0])


@pytest.mark.parametrize("n", [3, 300])
def test_kmeans_ties_go_to_the_lowest_index(backend, dtype, rng, n):
    centers = data(rng, (4, 6), dtype)
    dup = np.concatenate([centers, centers[::-1], centers]).astype(dtype)  # every centre three times
    x = data(rng, (n, 6), dtype)
    labels, sq_dist, sums, weights = backend.kmeans_step(x, dup)
    assert np.all(labels < 4), "a duplicate centre with a higher index won"
    assert np.all(sums[4:] == 0) and np.all(weights[4:] == 0)
    # A row exactly half-way between two centres (exact arithmetic): the first one.
    labels, _, _, _ = backend.kmeans_step(np.array([[0.5, 0.0]], dtype), np.array([[1, 0], [0, 0]], dtype))
    assert labels[0] == 0
    labels, _, _, _ = backend.kmeans_step(np.array([[0.5, 0.0]], dtype), np.array([[0, 0], [1, 0]], dtype))
    assert labels[0] == 0


@pytest.mark.parametrize("n", [6, 700])
def test_kmeans_sample_weight(backend, reference, dtype, rng, n):
    x, centers = data(rng, (n, 4), dtype), data(rng, (5, 4), dtype)
    w = rng.uniform(0, 3, n).astype(dtype)
    w[::3] = 0  # zero weights: their rows are labelled but add nothing
    got = backend.kmeans_step(x, centers, w)
    assert_kmeans_consistent(x, centers, w, *got, dtype)
    plain = backend.kmeans_step(x, centers)
    np.testing.assert_array_equal(got[0], plain[0])
    np.testing.assert_array_equal(got[1], plain[1])
    np.testing.assert_array_equal(backend.kmeans_step(x, centers, np.ones(n, dtype))[2], plain[2])
    exp = reference.kmeans_step(x, centers, w)
    if np.array_equal(got[0], exp[0]):
        assert_close(got[2], exp[2], dtype, scale=float(np.abs(x).max() * w.sum()))
        assert_close(got[3], exp[3], dtype, scale=float(w.sum()))
    zero = backend.kmeans_step(x, centers, np.zeros(n, dtype))
    assert np.all(zero[2] == 0) and np.all(zero[3] == 0)


def test_kmeans_empty_cluster_has_zero_sums(backend, dtype):
    x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0]], dtype)
    centers = np.array([[0.0, 0.0], [100.0, 100.0], [5.0, 5.0]], dtype)
    labels, _, sums, weights = backend.kmeans_step(x, centers)
    np.testing.assert_array_equal(labels, [0, 0, 2])
    np.testing.assert_array_equal(sums[1], [0.0, 0.0])
    np.testing.assert_array_equal(weights, np.array([2.0, 0.0, 1.0], dtype))


def test_kmeans_zero_features(backend, dtype):
    labels, sq_dist, sums, weights = backend.kmeans_step(np.ones((3, 0), dtype), np.ones((2, 0), dtype))
    np.testing.assert_array_equal(labels, [0, 0, 0])
    np.testing.assert_array_equal(sq_dist, np.zeros(3, dtype))
    assert sums.shape == (2, 0)
    np.testing.assert_array_equal(weights, np.array([3.0, 0.0], dtype))


def test_kmeans_does_not_depend_on_the_thread_count(backend, dtype, rng, restore_threads):
    x, centers = data(rng, (5000, 12), dtype), data(rng, (24, 12), dtype)
    w = rng.uniform(0, 2, 5000).astype(dtype)
    results = []
    for threads in (1, 2, 1):
        mlbasics.set_num_threads(threads)
        results.append(backend.kmeans_step(x, centers, w) + backend.kmeans_step(x, centers))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)  # bit for bit


def test_neighbors_and_pairwise_do_not_depend_on_the_thread_count(backend, dtype, rng, restore_threads):
    x, y = data(rng, (700, 6), dtype), data(rng, (300, 6), dtype)
    results = []
    for threads in (1, 2):
        mlbasics.set_num_threads(threads)
        results.append((*backend.nearest_neighbors(x, 5, y), *backend.nearest_neighbors(y, 3),
                        backend.pairwise_sq_distances(x, y)))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- nearest_neighbors

@pytest.mark.parametrize("n,m,p,k", [(1, 1, 1, 1), (5, 9, 1, 9), (257, 40, 3, 4), (4097, 30, 2, 3),
                                     (20, 3000, 4, 7), (3, 2100, 5, 2100)])
def test_neighbors_of_y_match_reference(backend, reference, dtype, rng, n, m, p, k):
    x, y = data(rng, (n, p), dtype), data(rng, (m, p), dtype)
    d, idx = backend.nearest_neighbors(x, k, y)
    assert_neighbors_valid(x, y, False, k, d, idx, dtype)
    d_ref, idx_ref = reference.nearest_neighbors(x, k, y)
    assert_same_neighbors(idx, idx_ref, x, y, dtype)
    assert_close(d, d_ref, dtype, scale=dist_scale(x, y))


@pytest.mark.parametrize("n,p,k", [(2, 1, 1), (6, 3, 5), (257, 4, 1), (300, 7, 10), (258, 2, 257)])
def test_neighbors_of_x_itself_match_reference(backend, reference, dtype, rng, n, p, k):
    x = data(rng, (n, p), dtype)
    d, idx = backend.nearest_neighbors(x, k)
    assert_neighbors_valid(x, x, True, k, d, idx, dtype)
    d_ref, idx_ref = reference.nearest_neighbors(x, k)
    assert_same_neighbors(idx, idx_ref, x, x, dtype)
    assert_close(d, d_ref, dtype, scale=dist_scale(x, x))


def test_neighbors_docstring_example(backend):
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    d, i = backend.nearest_neighbors(x, 2)
    np.testing.assert_array_equal(i, [[1, 2], [0, 2], [1, 0], [2, 1]])
    np.testing.assert_array_equal(d, [[1.0, 9.0], [1.0, 4.0], [4.0, 9.0], [16.0, 36.0]])


@pytest.mark.parametrize("n", [4, 300])
def test_neighbors_match_scikit_learn(backend, dtype, rng, n):
    from sklearn.neighbors import NearestNeighbors

    x, y = data(rng, (n, 5), dtype), data(rng, (n + 7, 5), dtype)
    nn = NearestNeighbors(n_neighbors=3).fit(y.astype(np.float64))
    _, expected = nn.kneighbors(x.astype(np.float64))
    d, idx = backend.nearest_neighbors(x, 3, y)
    assert_same_neighbors(idx, expected, x, y, dtype)
    _, expected = NearestNeighbors(n_neighbors=3).fit(x.astype(np.float64)).kneighbors()  # each row excluding itself
    d, idx = backend.nearest_neighbors(x, 3)
    assert_same_neighbors(idx, expected, x, x, dtype)


def test_neighbors_ties_go_to_the_lowest_index(backend, dtype):
    x = np.zeros((1, 1), dtype)
    y = np.array([[1.0], [-1.0], [1.0], [-1.0], [1.0]], dtype)  # all at distance 1
    d, idx = backend.nearest_neighbors(x, 3, y)
    np.testing.assert_array_equal(idx, [[0, 1, 2]])
    np.testing.assert_array_equal(d, np.ones((1, 3), dtype))
    dup = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [5.0, 5.0]], dtype)  # duplicates of a row still count
    d, idx = backend.nearest_neighbors(dup, 2)
    np.testing.assert_array_equal(idx, [[1, 2], [0, 2], [0, 1], [0, 1]])
    np.testing.assert_array_equal(d[:3], np.zeros((3, 2), dtype))


def test_neighbors_accept_views(backend, dtype, rng):
    big = data(rng, (60, 10), dtype)
    x, y = big[::3, ::2], np.asfortranarray(big[1::2, 1::2])
    d, idx = backend.nearest_neighbors(x, 4, y)
    assert_neighbors_valid(x, y, False, 4, d, idx, dtype)


# --------------------------------------------------------------------------- properties

SIZES = st.one_of(st.integers(1, 12), st.integers(250, 262))


@st.composite
def int_data(draw, n, p):
    """Small integers: every sum, product and norm below is exact in float32 and float64."""
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(-3, 4, size=(n, p)).astype(np.float64)


@_settings()
@given(case=st.data())
def test_exact_data_gives_the_reference_labels_and_neighbours(backend, reference, dtype, case):
    n, p = case.draw(SIZES, label="n"), case.draw(st.integers(1, 6), label="p")
    k = case.draw(st.integers(1, 10), label="k")
    x = case.draw(int_data(n, p)).astype(dtype)
    centers = case.draw(int_data(k, p)).astype(dtype)  # duplicate centres and exact ties are common
    got, exp = backend.kmeans_step(x, centers), reference.kmeans_step(x, centers)
    for a, b in zip(got, exp):
        np.testing.assert_array_equal(a, b)  # exact arithmetic: no rounding can move a tie
    m = case.draw(st.integers(1, 30), label="m")
    y = case.draw(int_data(m, p)).astype(dtype)
    kn = case.draw(st.integers(1, m), label="n_neighbors")
    for a, b in zip(backend.nearest_neighbors(x, kn, y), reference.nearest_neighbors(x, kn, y)):
        np.testing.assert_array_equal(a, b)
    if n > 1:
        kn = case.draw(st.integers(1, n - 1), label="n_neighbors (itself)")
        for a, b in zip(backend.nearest_neighbors(x, kn), reference.nearest_neighbors(x, kn)):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(backend.pairwise_sq_distances(x, y), brute(x, y).astype(dtype))


@_settings()
@given(case=st.data())
def test_kmeans_labels_are_an_argmin_and_sums_follow_them(backend, dtype, case):
    n, p, k = case.draw(SIZES, label="n"), case.draw(st.integers(1, 9), label="p"), case.draw(st.integers(1, 12))
    rng = np.random.default_rng(case.draw(st.integers(0, 2**32 - 1)))
    x = (rng.standard_normal((n, p)) * case.draw(st.sampled_from([1e-3, 1.0, 1e3]))).astype(dtype)
    centers = x[rng.integers(0, n, k)] + rng.standard_normal((k, p)).astype(dtype)  # centres near the data
    w = rng.uniform(0, 2, n).astype(dtype) if case.draw(st.booleans(), label="weights") else None
    assert_kmeans_consistent(x, centers, w, *backend.kmeans_step(x, centers, w), dtype)


@_settings()
@given(case=st.data())
def test_neighbors_are_the_nearest_up_to_rounding(backend, dtype, case):
    n, p = case.draw(SIZES, label="n"), case.draw(st.integers(1, 9), label="p")
    rng = np.random.default_rng(case.draw(st.integers(0, 2**32 - 1)))
    x = data(rng, (n, p), dtype)
    if n > 1 and case.draw(st.booleans(), label="itself"):
        k = case.draw(st.integers(1, n - 1))
        d, idx = backend.nearest_neighbors(x, k)
        assert_neighbors_valid(x, x, True, k, d, idx, dtype)
    else:
        y = data(rng, (case.draw(st.integers(1, 40), label="m"), p), dtype)
        k = case.draw(st.integers(1, y.shape[0]))
        d, idx = backend.nearest_neighbors(x, k, y)
        assert_neighbors_valid(x, y, False, k, d, idx, dtype)
