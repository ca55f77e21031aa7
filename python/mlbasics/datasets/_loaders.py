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
import numpy.typing as npt

__all__ = ["load_digits", "load_breast_cancer", "load_diabetes"]


def _read_csv(name: str, *, delimiter: str = ",", skiprows: int = 0) -> npt.NDArray[np.float64]:
    """Read a (possibly gzip-compressed) numeric text file of the data folder as float64."""
    raw = resources.files(__package__).joinpath("data").joinpath(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return np.loadtxt(io.StringIO(raw.decode("utf-8")), delimiter=delimiter, skiprows=skiprows,
                      dtype=np.float64, ndmin=2)


def load_digits() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The handwritten digits data: 1797 8×8 images of the digits 0–9.

    Returns
    -------
    X : ndarray (1797, 64), float64
        Pixel intensities 0–16, each image flattened row by row.
    y : ndarray (1797,), int64
        The digit shown, 0–9 (10 classes).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import load_digits
    >>> X, y = load_digits()
    >>> X.shape, y.shape, X.dtype, y.dtype
    ((1797, 64), (1797,), dtype('float64'), dtype('int64'))
    >>> float(X.min()), float(X.max()), np.bincount(y).tolist()[:3]
    (0.0, 16.0, [178, 182, 177])
    >>> X[0].reshape(8, 8).shape  # one image
    (8, 8)
    """
    table = _read_csv("digits.csv.gz")
    X = np.ascontiguousarray(table[:, :-1])
    y = table[:, -1].astype(np.int64)
    return X, y


def load_breast_cancer() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The Breast Cancer Wisconsin (Diagnostic) data: binary classification.

    Returns
    -------
    X : ndarray (569, 30), float64
        Ten measurements of cell nuclei (radius, texture, ...), each as mean, standard error and
        worst value.
    y : ndarray (569,), int64
        0 = malignant (212 samples), 1 = benign (357 samples).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import load_breast_cancer
    >>> X, y = load_breast_cancer()
    >>> X.shape, np.bincount(y).tolist()
    ((569, 30), [212, 357])
    """
    table = _read_csv("breast_cancer.csv", skiprows=1)  # header: n_samples,n_features,names...
    X = np.ascontiguousarray(table[:, :-1])
    y = table[:, -1].astype(np.int64)
    return X, y


def load_diabetes() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The diabetes data of Efron, Hastie, Johnstone & Tibshirani (2004): regression.

    442 patients; ten baseline variables (age, sex, body-mass index, blood pressure, six serum
    measurements) and a quantitative measure of disease progression one year later.

    The features are scaled as scikit-learn's default ``scaled=True`` does: each column x is
    mean-centered and divided by its standard deviation (ddof=0) and by √n, i.e.
    ``(x − mean(x)) / std(x) / √442``, so every column has mean 0 and sum of squares 1.

    Returns
    -------
    X : ndarray (442, 10), float64
        The ten scaled baseline variables.
    y : ndarray (442,), float64
        Disease progression, 25–346.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import load_diabetes
    >>> X, y = load_diabetes()
    >>> X.shape, y.shape
    ((442, 10), (442,))
    >>> np.round((X ** 2).sum(axis=0), 6).tolist() == [1.0] * 10
    True
    >>> float(y.min()), float(y.max())
    (25.0, 346.0)
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
