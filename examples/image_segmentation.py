"""Image segmentation by normalized cuts (Shi & Malik), on a picture the script draws itself.

Course slide "Clustering Examples: Image Segmentation using NCuts". Every pixel is a node of a
graph; two pixels within distance r are joined by an edge of weight
w_ij = exp(−(I_i − I_j)²/σ_I²) · exp(−‖p_i − p_j‖²/σ_X²), high when they are close and alike in
brightness I. A normalized cut splits the graph where few, weak edges cross, relative to the
total weight on each side; its relaxation is solved by the smallest eigenvectors of the
normalized graph Laplacian (mlbasics.cluster.SpectralClustering with affinity="precomputed").
The picture holds two bright objects of the same brightness on a shaded background, plus noise:
k-means on brightness alone can only sort pixels by grey level (both objects land in one segment
and the shading splits the background), while the normalized cut, which also weighs proximity,
returns background, disc and square.

    python examples/image_segmentation.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from mlbasics.cluster import KMeans, SpectralClustering  # noqa: E402
from mlbasics.metrics import adjusted_rand_score  # noqa: E402
from _example import run_example, save  # noqa: E402

SIZE = 36


def picture(rng):
    """A shaded background, a bright disc and a bright square; returns (image, true segments)."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    truth = np.zeros((SIZE, SIZE), dtype=np.int64)
    truth[(yy - 12) ** 2 + (xx - 11) ** 2 <= 7 ** 2] = 1          # disc
    truth[18:31, 19:32] = 2                                         # square
    image = 0.15 + 0.25 * xx / SIZE                                  # background shading, left to right
    image = np.where(truth > 0, 0.85, image) + 0.04 * rng.standard_normal((SIZE, SIZE))
    return image, truth


def affinity(image, radius=3, sigma_i=0.1, sigma_x=4.0):
    """Shi & Malik's pixel graph: brightness similarity × proximity, for pixels within ``radius``."""
    coords = np.argwhere(np.ones_like(image, dtype=bool))            # (row, col) of every pixel
    values = image.ravel()
    rows, cols, weights = [], [], []
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx > radius * radius:
                continue
            ny, nx = coords[:, 0] + dy, coords[:, 1] + dx
            ok = (ny >= 0) & (ny < SIZE) & (nx >= 0) & (nx < SIZE)
            i = np.flatnonzero(ok)
            j = ny[ok] * SIZE + nx[ok]
            rows.append(i)
            cols.append(j)
            weights.append(np.exp(-(values[i] - values[j]) ** 2 / sigma_i ** 2
                                  - (dy * dy + dx * dx) / sigma_x ** 2))
    n = image.size
    return scipy.sparse.csr_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
                                   shape=(n, n))


def main(out):
    rng = np.random.default_rng(0)
    image, truth = picture(rng)
    W = affinity(image)
    ncut = SpectralClustering(3, affinity="precomputed", random_state=0).fit_predict(W).reshape(image.shape)
    grey = KMeans(3, n_init=10, random_state=0).fit_predict(image.reshape(-1, 1)).reshape(image.shape)
    scores = {"normalized cut": adjusted_rand_score(truth.ravel(), ncut.ravel()),
              "k-means on brightness": adjusted_rand_score(truth.ravel(), grey.ravel())}

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.8))
    shown = axes[0].imshow(image, cmap="gray", vmin=0, vmax=1)
    fig.colorbar(shown, ax=axes[0], fraction=0.046, label="brightness I")
    axes[0].set_title("The picture: two objects of equal brightness\non a shaded background, with noise")
    colours = plt.get_cmap("Set2")
    for ax, (name, seg) in zip(axes[1:], (("normalized cut", ncut), ("k-means on brightness", grey))):
        ax.imshow(seg, cmap=colours, vmin=0, vmax=7, interpolation="nearest")
        ax.legend(handles=[Patch(color=colours(s), label=f"segment {s}") for s in range(3)],
                  loc="lower left", fontsize=7, framealpha=0.85)
        ax.set_title(f"{name}: 3 segments\nadjusted Rand vs. true objects = {scores[name]:.2f}")
    for ax in axes:
        ax.set(xlabel="pixel column", ylabel="pixel row")
    save(fig, os.path.join(out, "ncuts_segmentation.png"))
    for name, score in scores.items():
        print(f"{name}: adjusted Rand = {score:.3f}")


if __name__ == "__main__":
    run_example(main, __doc__)
