"""Clustering: k-means and its Voronoi regions, and where normalized cuts succeed instead.

Course slides "Clustering: Group Points According to X". k-means alternates two steps that each
lower the inertia J = Σᵢ ‖xᵢ − c_{zᵢ}‖²: assign every point to its nearest centre, then move every
centre to the mean of its points. kmeans_blobs.png shows it on four Gaussian blobs: the points
coloured by cluster, the centres, and the Voronoi regions (the set of points nearest to each
centre — the shape of every k-means decision region, a convex polygon). kmeans_vs_spectral.png
shows where that shape fails: two interleaved moons and two concentric circles are not convex
groups, and k-means cuts them with straight lines; spectral clustering (the relaxation of the
normalized cut on a nearest-neighbour graph) follows the data's connectivity and separates them.

    python examples/clustering.py [--out DIR]
"""
import os
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from mlbasics.cluster import KMeans, SpectralClustering  # noqa: E402
from mlbasics.datasets import make_blobs, make_circles, make_moons  # noqa: E402
from mlbasics.metrics import adjusted_rand_score  # noqa: E402
from _example import run_example, save  # noqa: E402

COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]


def _regions(ax, model, X, k):
    """Shade the plane by the cluster ``model.predict`` gives each point (the Voronoi regions)."""
    lo, hi = X.min(axis=0) - 1.0, X.max(axis=0) + 1.0
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    z = model.predict(np.column_stack([g0.ravel(), g1.ravel()])).reshape(g0.shape)
    ax.contourf(g0, g1, z, levels=np.arange(k + 1) - 0.5, cmap=ListedColormap(COLOURS[:k]), alpha=0.18)


def main(out):
    X, _ = make_blobs(600, centers=4, cluster_std=1.2, random_state=3)
    km = KMeans(4, random_state=0).fit(X)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    _regions(ax, km, X, 4)
    ax.scatter(X[:, 0], X[:, 1], c=[COLOURS[c] for c in km.labels_], s=10)
    ax.scatter(*km.cluster_centers_.T, marker="X", s=220, c="black", edgecolors="white", linewidths=1.5)
    handles = [Line2D([], [], marker="o", linestyle="", color=COLOURS[j], label=f"cluster {j}") for j in range(4)]
    handles.append(Line2D([], [], marker="X", linestyle="", color="black", markersize=12, label="centre cⱼ"))
    handles.append(plt.Rectangle((0, 0), 1, 1, color="gray", alpha=0.25, label="Voronoi region of a centre"))
    ax.legend(handles=handles, loc="best", fontsize=8)
    ax.set(xlabel="x₁", ylabel="x₂",
           title=f"k-means, k = 4: inertia J = {km.inertia_:.0f} after {km.n_iter_} iterations")
    save(fig, os.path.join(out, "kmeans_blobs.png"))
    print(f"blobs: inertia = {km.inertia_:.1f}, iterations = {km.n_iter_}")

    data = {"two moons": make_moons(400, noise=0.06, random_state=0),
            "two circles": make_circles(400, factor=0.45, noise=0.05, random_state=0)}
    fig, axes = plt.subplots(2, 2, figsize=(10, 9))
    for row, (name, (Xd, yd)) in enumerate(data.items()):
        models = {"k-means": KMeans(2, n_init=10, random_state=0),
                  "spectral clustering (normalized cut, 10-NN graph)":
                      SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=10, random_state=0)}
        for col, (method, model) in enumerate(models.items()):
            with warnings.catch_warnings():
                # Here the two groups are apart enough that the 10-NN graph falls into two
                # components: the best possible cut, about which spectral clustering warns.
                warnings.filterwarnings("ignore", message="Graph is not fully connected")
                labels = model.fit_predict(Xd)
            ari = adjusted_rand_score(yd, labels)
            ax = axes[row, col]
            ax.scatter(Xd[:, 0], Xd[:, 1], c=[COLOURS[c] for c in labels], s=10)
            ax.set(xlabel="x₁", ylabel="x₂", aspect="equal",
                   title=f"{name}: {method.split(' (')[0]}\nadjusted Rand index vs. truth = {ari:.2f}")
            ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=COLOURS[j], label=f"cluster {j}")
                               for j in range(2)], loc="upper right", fontsize=8)
            print(f"{name}, {method.split(' (')[0]}: adjusted Rand = {ari:.3f}")
    fig.suptitle("Straight cuts (k-means) against graph cuts (spectral clustering)")
    save(fig, os.path.join(out, "kmeans_vs_spectral.png"))


if __name__ == "__main__":
    run_example(main, __doc__)
