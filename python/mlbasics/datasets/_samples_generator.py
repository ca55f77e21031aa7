"""Synthetic data generators, seeded by ``random_state`` (None, an int or a numpy Generator).

The same seed always gives the same arrays. The generative designs are this library's own and
are written out in each docstring; the leading parameter names follow scikit-learn's.
"""
from __future__ import annotations

import numbers
from typing import Literal, Union, overload

import numpy as np
import numpy.typing as npt

from .._validation import check_random_state, check_scalar

#: What ``random_state`` accepts: None (fresh entropy), an int seed or a numpy Generator.
RandomState = Union[None, int, np.random.Generator]

__all__ = ["make_xor", "make_regression", "make_classification"]

_XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_LABELS = np.array([0, 1, 1, 0], dtype=np.int64)


def _check_flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected bool, got {type(value).__name__}")
    return bool(value)


def make_xor(n_samples: int = 4, noise: float = 0.0,
             random_state: RandomState = None) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The XOR problem: the four corners of the unit square, labelled by x₁ XOR x₂.

    Sample i is the corner ``i mod 4`` of (0, 0), (0, 1), (1, 0), (1, 1) — labels 0, 1, 1, 0 —
    plus independent Gaussian noise of standard deviation ``noise`` on each coordinate. With the
    default ``n_samples=4, noise=0`` this is exactly the classic four-point XOR table, the
    smallest problem a linear classifier cannot solve and a one-hidden-layer MLP can.

    Parameters
    ----------
    n_samples : int ≥ 1, default=4
        Number of points; corners repeat in the order above.
    noise : float ≥ 0, default=0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the noise.

    Returns
    -------
    X : ndarray (n_samples, 2), float64
        The (noisy) corners.
    y : ndarray (n_samples,), int64
        x₁ XOR x₂ of the corner each point comes from.

    Examples
    --------
    >>> from mlbasics.datasets import make_xor
    >>> X, y = make_xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    >>> X, y = make_xor(n_samples=100, noise=0.1, random_state=0)
    >>> X.shape, y[:6].tolist()
    ((100, 2), [0, 1, 1, 0, 0, 1])
    """
    check_scalar(n_samples, "n_samples", numbers.Integral, low=1)
    check_scalar(noise, "noise", numbers.Real, low=0)
    rng = check_random_state(random_state)
    idx = np.arange(n_samples) % 4
    X = _XOR_CORNERS[idx] + float(noise) * rng.standard_normal((n_samples, 2))
    return X, _XOR_LABELS[idx].copy()


@overload
def make_regression(n_samples: int = ..., n_features: int = ..., *, n_informative: int = ...,
                    noise: float = ..., bias: float = ..., coef: Literal[False] = ...,
                    random_state: RandomState = ...,
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
@overload
def make_regression(n_samples: int = ..., n_features: int = ..., *, n_informative: int = ...,
                    noise: float = ..., bias: float = ..., coef: Literal[True],
                    random_state: RandomState = ...,
                    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
@overload
def make_regression(n_samples: int = ..., n_features: int = ..., *, n_informative: int = ...,
                    noise: float = ..., bias: float = ..., coef: bool = ...,
                    random_state: RandomState = ...) -> tuple[npt.NDArray[np.float64], ...]: ...
def make_regression(n_samples: int = 100, n_features: int = 100, *, n_informative: int = 10,
                    noise: float = 0.0, bias: float = 0.0, coef: bool = False,
                    random_state: RandomState = None) -> tuple[npt.NDArray[np.float64], ...]:
    """A random linear regression problem ``y = X w + bias + ε``.

    Design: X has independent standard normal entries. The true coefficient vector w is zero
    except on ``min(n_informative, n_features)`` features chosen uniformly at random, where each
    coefficient has a magnitude drawn uniformly from [10, 100] and a random sign. ``ε`` is
    Gaussian noise of standard deviation ``noise``. With ``noise=0`` the targets are exactly linear in X.

    Parameters
    ----------
    n_samples : int ≥ 1, default=100
        Number of rows.
    n_features : int ≥ 1, default=100
        Number of columns of X.
    n_informative : int ≥ 0, default=10
        Number of non-zero coefficients. Values above ``n_features`` are clipped to it (so
        ``make_regression(n_features=5)`` works).
    noise : float ≥ 0, default=0.0
        Standard deviation of ε.
    bias : float, default=0.0
        The intercept added to every target (finite).
    coef : bool, default=False
        Also return the true coefficients w.
    random_state : None, int or numpy.random.Generator, default=None
        Seed of X, w and ε.

    Returns
    -------
    X : ndarray (n_samples, n_features), float64
        The inputs.
    y : ndarray (n_samples,), float64
        The targets ``X w + bias + ε``.
    w : ndarray (n_features,), float64
        The true coefficients; only when ``coef=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import make_regression
    >>> X, y, w = make_regression(n_samples=20, n_features=5, n_informative=2, bias=3.0,
    ...                           coef=True, random_state=0)
    >>> X.shape, y.shape, int(np.count_nonzero(w))
    ((20, 5), (20,), 2)
    >>> bool(np.allclose(y, X @ w + 3.0))  # noise=0: exactly linear
    True
    """
    check_scalar(n_samples, "n_samples", numbers.Integral, low=1)
    check_scalar(n_features, "n_features", numbers.Integral, low=1)
    check_scalar(n_informative, "n_informative", numbers.Integral, low=0)
    n_informative = min(int(n_informative), int(n_features))
    check_scalar(noise, "noise", numbers.Real, low=0)
    check_scalar(bias, "bias", numbers.Real)
    if not np.isfinite(bias):
        raise ValueError(f"bias: expected a finite number, got {bias!r}")
    coef = _check_flag(coef, "coef")
    rng = check_random_state(random_state)

    X = rng.standard_normal((n_samples, n_features))
    w = np.zeros(n_features)
    informative = rng.choice(n_features, size=n_informative, replace=False)
    signs = rng.choice(np.array([-1.0, 1.0]), size=n_informative)
    w[informative] = signs * rng.uniform(10.0, 100.0, size=n_informative)
    y = X @ w + float(bias) + float(noise) * rng.standard_normal(n_samples)
    return (X, y, w) if coef else (X, y)


def _hypercube_vertices(n_classes: int, n_dims: int, rng: np.random.Generator) -> np.ndarray:
    """``n_classes`` distinct random vertices of {−1, +1}^n_dims."""
    if n_dims <= 20:
        codes = rng.choice(2 ** n_dims, size=n_classes, replace=False)
        bits = (codes[:, None] >> np.arange(n_dims)) & 1
        return 2.0 * bits - 1.0
    while True:  # 2^n_dims ≥ 2^21 vertices: a collision is very unlikely, redraw if one happens
        vertices = rng.choice(np.array([-1.0, 1.0]), size=(n_classes, n_dims))
        if np.unique(vertices, axis=0).shape[0] == n_classes:
            return vertices


def make_classification(n_samples: int = 100, n_features: int = 20, *, n_informative: int = 2,
                        n_classes: int = 2, class_sep: float = 1.0, random_state: RandomState = None,
                        ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """A random classification problem: Gaussian class clusters plus pure-noise features.

    Design: each class c gets a centroid μ_c at a distinct random vertex of the hypercube
    {−class_sep, +class_sep}^n_informative (so centroids are at least 2·class_sep apart). A
    sample of class c has its first ``n_informative`` features drawn from N(μ_c, I) and its other
    ``n_features − n_informative`` features from N(0, 1), independent of the class. Classes are
    balanced (sizes differ by at most one) and the rows are shuffled. Larger ``class_sep`` makes
    the problem easier.

    Parameters
    ----------
    n_samples : int ≥ n_classes, default=100
        Number of rows.
    n_features : int ≥ 1, default=20
        Number of columns of X, informative and noise together.
    n_informative : int in [1, n_features], default=2
        The informative features are columns ``0 … n_informative−1``.
    n_classes : int in [2, 2**n_informative], default=2
        Number of classes (one centroid each).
    class_sep : float > 0, default=1.0
        Half the side of the hypercube the centroids sit on (finite).
    random_state : None, int or numpy.random.Generator, default=None
        Seed of the centroids, the shuffle and the features.

    Returns
    -------
    X : ndarray (n_samples, n_features), float64
        The features.
    y : ndarray (n_samples,), int64
        Class labels 0 … n_classes−1.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import make_classification
    >>> X, y = make_classification(n_samples=30, n_features=4, n_classes=3, random_state=0)
    >>> X.shape, np.bincount(y).tolist()
    ((30, 4), [10, 10, 10])
    """
    check_scalar(n_samples, "n_samples", numbers.Integral, low=1)
    check_scalar(n_features, "n_features", numbers.Integral, low=1)
    check_scalar(n_informative, "n_informative", numbers.Integral, low=1)
    if n_informative > n_features:
        raise ValueError(f"n_informative: expected at most n_features={n_features}, got {n_informative}")
    check_scalar(n_classes, "n_classes", numbers.Integral, low=2)
    if n_informative < 63 and n_classes > 2 ** n_informative:
        raise ValueError(f"n_classes: at most 2**n_informative = {2 ** n_informative} classes fit on the "
                         f"hypercube of n_informative={n_informative} dimensions, got {n_classes}")
    if n_samples < n_classes:
        raise ValueError(f"n_samples: expected at least n_classes={n_classes} samples, got {n_samples}")
    check_scalar(class_sep, "class_sep", numbers.Real, low=0, low_open=True)
    if not np.isfinite(class_sep):
        raise ValueError(f"class_sep: expected a finite number, got {class_sep!r}")
    rng = check_random_state(random_state)

    centroids = float(class_sep) * _hypercube_vertices(int(n_classes), int(n_informative), rng)
    y = np.arange(n_samples, dtype=np.int64) % n_classes
    y = y[rng.permutation(n_samples)]
    X = rng.standard_normal((n_samples, n_features))
    X[:, :n_informative] += centroids[y]
    return X, y
