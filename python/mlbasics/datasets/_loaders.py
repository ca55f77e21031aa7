"""Loaders for the small real data sets shipped in ``mlbasics/datasets/data``.

Each returns ``(X, y)``: the same arrays, dtypes and shapes as scikit-learn's
``load_*(return_X_y=True)`` with default arguments. The files are read through
:mod:`importlib.resources`, so they load from a source checkout, an installed wheel or a zip.
Origins and licenses: ``data/DATA_LICENSE.md``.
"""
from __future__ import annotations

import gzip
import io
from importlib import resources

import numpy as np

__all__ = ["load_digits", "load_breast_cancer", "load_diabetes"]


def _read_csv(name: str, *, delimiter=",", skiprows: int = 0) -> np.ndarray:
    """Read a (possibly gzip-compressed) numeric text file of the data folder as float64."""
    raw = resources.files(__package__).joinpath("data").joinpath(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return np.loadtxt(io.StringIO(raw.decode("utf-8")), delimiter=delimiter, skiprows=skiprows,
                      dtype=np.float64, ndmin=2)


def load_digits():
    """The handwritten digits data: 1797 8×8 images of the digits 0–9.

    Returns
    -------
    X : ndarray (1797, 64), float64
        Pixel intensities 0–16, each image flattened row by row.
    y : ndarray (1797,), int64
        The digit shown, 0–9 (10 classes).
    """
    table = _read_csv("digits.csv.gz")
    X = np.ascontiguousarray(table[:, :-1])
    y = table[:, -1].astype(np.int64)
    return X, y


def load_breast_cancer():
    """The Breast Cancer Wisconsin (Diagnostic) data: binary classification.

    Returns
    -------
    X : ndarray (569, 30), float64
        Ten measurements of cell nuclei (radius, texture, ...), each as mean, standard error and
        worst value.
    y : ndarray (569,), int64
        0 = malignant (212 samples), 1 = benign (357 samples).
    """
    table = _read_csv("breast_cancer.csv", skiprows=1)  # header: n_samples,n_features,names...
    X = np.ascontiguousarray(table[:, :-1])
    y = table[:, -1].astype(np.int64)
    return X, y


def load_diabetes():
    """The diabetes data of Efron, Hastie, Johnstone & Tibshirani (2004): regression.

    442 patients; ten baseline variables (age, sex, body-mass index, blood pressure, six serum
    measurements) and a quantitative measure of disease progression one year later.

    The features are scaled as scikit-learn's default ``scaled=True`` does: each column x is
    mean-centered and divided by its standard deviation (ddof=0) and by √n, i.e.
    ``(x − mean(x)) / std(x) / √442``, so every column has mean 0 and sum of squares 1.

    Returns
    -------
    X : ndarray (442, 10), float64
    y : ndarray (442,), float64
        Disease progression, 25–346.
    """
    X = _read_csv("diabetes_data_raw.csv.gz", delimiter=" ")
    y = _read_csv("diabetes_target.csv.gz", delimiter=" ")[:, 0].copy()
    n = X.shape[0]
    std = X.std(axis=0)
    std[std == 0] = 1.0
    X -= X.mean(axis=0)
    X /= std
    X /= n ** 0.5
    return X, y
