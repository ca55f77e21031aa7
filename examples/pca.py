"""Principal component analysis: the PCA basis of a 2-D cloud, and PCA of the digits.

Course slides "PCA Basis" and "Code Example". The covariance matrix C is symmetric, so it has
real eigenvalues λᵢ and orthogonal eigenvectors vᵢ, and T = [v₁ v₂ …] diagonalizes it:
T⁻¹CT = diag(λ₁, λ₂, …). pca_2d.png shows the course's correlated Gaussian cloud
(X = (A·randn(2, 500))ᵀ with RandomState(10)) and its principal axes vᵢ drawn from the mean as
arrows of length 2√λᵢ (two standard deviations along each axis). pca_digits.png shows, for
the 64-pixel digits, the explained variance ratio of each component with its running sum, and
the projection onto the first two principal axes colored by digit.

    python examples/pca.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from mlbasics.datasets import load_digits  # noqa: E402
from mlbasics.decomposition import PCA  # noqa: E402
from mlbasics.plotting import plot_explained_variance  # noqa: E402
from _example import run_example, save  # noqa: E402


def main(out):
    rng = np.random.RandomState(10)                      # the course's code example
    X = np.dot(rng.rand(2, 2), rng.randn(2, 500)).T
    pca = PCA().fit(X)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(X[:, 0], X[:, 1], s=8, alpha=0.4, label=f"{len(X)} samples")
    for i, (v, lam, color) in enumerate(zip(pca.components_, pca.explained_variance_, ("C3", "C2"))):
        tip = pca.mean_ + 2 * np.sqrt(lam) * v          # the eigenvector vᵢ scaled by 2√λᵢ
        ax.annotate("", xy=tip, xytext=pca.mean_, arrowprops=dict(arrowstyle="->", color=color, linewidth=2.5))
        ax.text(*(tip + 0.15 * v), f"v{'₁₂'[i]}", color=color, fontsize=14, ha="center", va="center")
    # the arrows are annotations, not plotted lines: their legend entries are proxies
    handles = ax.get_legend_handles_labels()[0] + [
        Line2D([], [], color=c, linewidth=2.5, label=f"v{'₁₂'[i]} × 2√λ{'₁₂'[i]}, λ{'₁₂'[i]} = {lam:.3f}")
        for i, (c, lam) in enumerate(zip(("C3", "C2"), pca.explained_variance_))]
    ax.legend(handles=handles, fontsize=9, loc="upper left")
    ax.set(aspect="equal", xlabel="x₁", ylabel="x₂",
           title="PCA basis: the eigenvectors of the covariance\npoint along the directions of largest spread")
    save(fig, os.path.join(out, "pca_2d.png"))
    print(f"2-D cloud: explained variance = {np.round(pca.explained_variance_, 4).tolist()}, "
          f"ratio = {np.round(pca.explained_variance_ratio_, 4).tolist()}")

    X, y = load_digits()
    pca = PCA().fit(X)
    Z = pca.transform(X)[:, :2]                          # coordinates in the first two principal axes
    k90 = int(np.searchsorted(np.cumsum(pca.explained_variance_ratio_), 0.9)) + 1
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 5))
    plot_explained_variance(pca, ax=ax0)
    ax0.axvline(k90, color="gray", linestyle=":", label=f"90% reached at k = {k90}")
    ax0.legend()
    ax0.set_title(f"Digits: {k90} of 64 components explain 90% of the variance")
    points = ax1.scatter(Z[:, 0], Z[:, 1], c=y, cmap="tab10", vmin=-0.5, vmax=9.5, s=8)
    fig.colorbar(points, ax=ax1, ticks=range(10), label="digit")
    ax1.set(xlabel="principal component 1", ylabel="principal component 2",
            title="Digits on the first two principal axes:\nthe classes already form clusters")
    save(fig, os.path.join(out, "pca_digits.png"))
    print(f"digits: first two components explain {pca.explained_variance_ratio_[:2].sum():.4f}, "
          f"{k90} components explain 90%")


if __name__ == "__main__":
    run_example(main, __doc__)
