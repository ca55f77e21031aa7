"""Clustering: k-means (Lloyd and mini-batch) and spectral clustering (normalized cuts).

Clustering breaks a set of data into coherent groups whose labels are invented rather than given.
"""
from ._kmeans import KMeans, MiniBatchKMeans, kmeans_plusplus
from ._spectral import SpectralClustering

__all__ = ["KMeans", "MiniBatchKMeans", "SpectralClustering", "kmeans_plusplus"]
