"""Manifold learning: Isomap unrolls the swiss roll, PCA cannot.

Course slide "Isomap". The swiss roll is a 2-D sheet rolled up in 3-D: points far apart along the
sheet can be close in space. PCA projects onto the directions of largest variance, a flat view
in which the turns of the roll land on top of each other. Isomap (Tenenbaum, de Silva & Langford
2000) measures distances along the sheet instead — the shortest paths in the graph that joins
every point to its k nearest neighbours — and finds the 2-D coordinates whose straight distances
best match those geodesic distances (classical MDS: double centring, then the top eigenvectors).
swiss_roll_isomap_vs_pca.png shows the roll coloured by the position t along the sheet, its PCA
projection (colours mixed) and its Isomap embedding (colours in order: the sheet unrolled).

    python examples/isomap_swiss_roll.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from mlbasics.datasets import make_swiss_roll  # noqa: E402
from mlbasics.decomposition import PCA  # noqa: E402
from mlbasics.manifold import Isomap  # noqa: E402
from _example import run_example, save  # noqa: E402


def main(out):
    X, t = make_swiss_roll(1200, noise=0.05, random_state=0)
    Z_pca = PCA(n_components=2).fit_transform(X)
    Z_iso = Isomap(n_neighbors=10, n_components=2).fit_transform(X)
    # how well the first coordinate orders the points along the sheet (|rank correlation| with t)
    order = {name: abs(spearmanr(Z[:, 0], t)[0]) for name, Z in (("PCA", Z_pca), ("Isomap", Z_iso))}

    fig = plt.figure(figsize=(15, 4.8))
    ax = fig.add_subplot(1, 3, 1, projection="3d")
    shown = ax.scatter(X[:, 0], X[:, 1], X[:, 2], c=t, cmap="viridis", s=6)
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.1, label="t (position along the sheet)")
    ax.view_init(elev=12, azim=-70)
    ax.set(xlabel="x₁", ylabel="x₂", zlabel="x₃", title="The swiss roll in 3-D\n(colour: position t along the sheet)")
    for i, (name, Z) in enumerate((("PCA", Z_pca), ("Isomap, 10 nearest neighbours", Z_iso)), start=2):
        ax = fig.add_subplot(1, 3, i)
        shown = ax.scatter(Z[:, 0], Z[:, 1], c=t, cmap="viridis", s=6)
        fig.colorbar(shown, ax=ax, fraction=0.046, label="t (position along the sheet)")
        short = name.split(",")[0]
        ax.set(xlabel="component 1", ylabel="component 2",
               title=f"{name}: 2-D embedding\n|rank correlation of component 1 with t| = {order[short]:.2f}")
    save(fig, os.path.join(out, "swiss_roll_isomap_vs_pca.png"))
    for name, value in order.items():
        print(f"{name}: |rank correlation of component 1 with t| = {value:.3f}")


if __name__ == "__main__":
    run_example(main, __doc__)
