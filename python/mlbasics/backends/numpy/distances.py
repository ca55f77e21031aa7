"""NumPy reference: squared distances, the k-means assignment step and k nearest neighbours.

Written as the contract reads, in row chunks so that memory stays O(chunk · m) rather than n · m.
"""
import numpy as np

_CHUNK = 4096  # rows of x per block


def _sq_norms(a):
    return np.einsum("ij,ij->i", a, a)


def pairwise_sq_distances(x, y, same, out):
    xx, yy = _sq_norms(x), _sq_norms(y)
    for i0 in range(0, x.shape[0], _CHUNK):
        xb = x[i0:i0 + _CHUNK]
        d = xx[i0:i0 + _CHUNK, None] - 2 * (xb @ y.T) + yy[None, :]
        out[i0:i0 + _CHUNK] = np.where(d < 0, 0, d)  # clamp, keeping NaN
    if same:
        upper = np.triu_indices(x.shape[0], 1)
        out.T[upper] = out[upper]  # lower triangle = mirror of the upper one
        np.fill_diagonal(out, 0)


def kmeans_step(x, centers, sample_weight, labels, sq_dist, sums, weights):
    k = centers.shape[0]
    cc = _sq_norms(centers)
    sums64 = np.zeros((k, x.shape[1]))
    weights64 = np.zeros(k)
    for i0 in range(0, x.shape[0], _CHUNK):
        xb = x[i0:i0 + _CHUNK]
        rank = cc[None, :] - 2 * (xb @ centers.T)  # ‖x‖² left out: it does not move the argmin
        lab = np.argmin(rank, axis=1)  # first minimum; a NaN wins, as the contract says
        labels[i0:i0 + _CHUNK] = lab
        if sq_dist is not None:
            diff = xb - centers[lab]
            sq_dist[i0:i0 + _CHUNK] = np.einsum("ij,ij->i", diff, diff)
        w = np.ones(len(xb)) if sample_weight is None else sample_weight[i0:i0 + _CHUNK].astype(np.float64)
        # Σ over each centre's members of wᵢ xᵢ, one feature at a time (a NaN stays in its centre)
        xw = xb * w[:, None]
        for q in range(xb.shape[1]):
            sums64[:, q] += np.bincount(lab, weights=xw[:, q], minlength=k)
        weights64 += np.bincount(lab, weights=w, minlength=k)
    sums[...] = sums64
    weights[...] = weights64


def nearest_neighbors(x, y, same, sq_dist, indices):
    k = indices.shape[1]
    yy = _sq_norms(y)
    for i0 in range(0, x.shape[0], _CHUNK):
        xb = x[i0:i0 + _CHUNK]
        rank = yy[None, :] - 2 * (xb @ y.T)
        # a stable sort ranks ties by index and NaN after every number
        order = np.argsort(rank, axis=1, kind="stable")[:, :k + 1]
        if same:  # drop each row's own index (keep the first k others)
            own = np.arange(i0, i0 + len(xb))[:, None]
            keep = np.cumsum(order != own, axis=1) <= k
            order = order[(order != own) & keep].reshape(len(xb), k)
        else:
            order = order[:, :k]
        diff = xb[:, None, :] - y[order]
        d = np.einsum("ijk,ijk->ij", diff, diff)
        final = np.lexsort((order, d), axis=-1)  # by exact distance, then index
        sq_dist[i0:i0 + _CHUNK] = np.take_along_axis(d, final, axis=1)
        indices[i0:i0 + _CHUNK] = np.take_along_axis(order, final, axis=1)
