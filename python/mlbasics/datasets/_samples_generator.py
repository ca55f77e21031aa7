"""Synthetic data generators, seeded by ``random_state`` (None, an int or a numpy Generator).

The same seed always gives the same arrays. The generative designs are this library's own and
are written out in each docstring; the leading parameter names follow scikit-learn's.
"""
from __future__ import annotations

import numbers
from typing import Literal, Union, overload

import numpy as np
import numpy.typing as npt

from .._validation import (InstanceOf, Interval, Pair, RandomStateLike, check_array, check_param,
                           check_random_state, check_scalar, validate_params)

#: What ``random_state`` accepts: None (fresh entropy), an int seed or a numpy Generator.
RandomState = Union[None, int, np.random.Generator]

__all__ = ["make_xor", "make_regression", "make_classification", "make_blobs", "make_moons", "make_circles",
           "make_swiss_roll"]

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


# ---------------------------------------------------------------- clustering and manifold toys
_INF = float("inf")
_COUNT = Interval(numbers.Integral, 1, None)            # a number of samples: n ≥ 1
_PART = Interval(numbers.Integral, 0, None)             # one part of a split count: n ≥ 0
_SCALE = Interval(numbers.Real, 0, _INF, closed="left")  # a finite standard deviation ≥ 0

_BLOBS_PARAMS: dict[str, list] = {
    "n_samples": [_COUNT, InstanceOf((list, tuple, np.ndarray), "a list/array of counts per centre")],
    "n_features": [_COUNT],
    "centers": [_COUNT, InstanceOf((list, tuple, np.ndarray), "an array of centres (n_centers, n_features)"),
                None],
    "cluster_std": [_SCALE, InstanceOf((list, tuple, np.ndarray), "a list/array of one std per centre")],
    "center_box": [Pair(Interval(numbers.Real, -_INF, _INF, closed="neither"),
                        Interval(numbers.Real, -_INF, _INF, closed="neither"))],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "return_centers": ["boolean"],
}
_TWO_PARTS_PARAMS: dict[str, list] = {
    "n_samples": [_COUNT, Pair(_PART, _PART)],
    "shuffle": ["boolean"],
    "noise": [_SCALE, None],
    "random_state": ["random_state"],
    "factor": [Interval(numbers.Real, 0, 1, closed="left")],
}
_SWISS_ROLL_PARAMS: dict[str, list] = {
    "n_samples": [_COUNT],
    "noise": [_SCALE],
    "random_state": ["random_state"],
    "hole": ["boolean"],
}


def _as_array(value: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # a ragged list
        raise ValueError(f"{name}: could not be converted to an array ({exc})") from None
    return arr


def _items(value: object, arr: np.ndarray) -> list:
    """The elements of a checked 1-D sequence as given (a list's own items: [3, 1.5] stays 3, 1.5)."""
    if isinstance(value, np.ndarray):
        return arr.tolist()
    return list(value)  # type: ignore[call-overload]  # a list or tuple, by the table


def _per_part_counts(value: object, name: str, n_parts: int | None) -> list[int]:
    """A sequence of counts ≥ 0 (of length ``n_parts`` if given) with a positive sum, as ints."""
    arr = _as_array(value, name)
    if arr.ndim != 1 or (n_parts is not None and arr.shape[0] != n_parts):
        want = f"{n_parts} counts" if n_parts is not None else "a 1-D list of counts"
        raise ValueError(f"{name}: expected {want}, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one count, got an empty list")
    counts = [check_param(f"{name}[{i}]", v, [_PART]) for i, v in enumerate(_items(value, arr))]
    if sum(counts) == 0:
        raise ValueError(f"{name}: expected at least one sample in total, got {list(counts)}")
    return [int(c) for c in counts]


def _split_in_two(n_samples: object) -> tuple[int, int]:
    """``n_samples`` of make_moons/make_circles → (outer, inner): an int splits as ⌊n/2⌋, ⌈n/2⌉."""
    if isinstance(n_samples, numbers.Integral):
        n_out = int(n_samples) // 2
        return n_out, int(n_samples) - n_out
    n_out, n_in = _per_part_counts(n_samples, "n_samples", 2)
    return n_out, n_in


def _shuffled(X: np.ndarray, y: np.ndarray, shuffle: bool,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if not shuffle:
        return X, y
    order = rng.permutation(X.shape[0])
    return X[order], y[order]


@overload
def make_blobs(n_samples: int | npt.ArrayLike = ..., n_features: int = ..., *,
               centers: int | npt.ArrayLike | None = ..., cluster_std: float | npt.ArrayLike = ...,
               center_box: tuple[float, float] = ..., shuffle: bool = ..., random_state: RandomStateLike = ...,
               return_centers: Literal[False] = ...,
               ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
@overload
def make_blobs(n_samples: int | npt.ArrayLike = ..., n_features: int = ..., *,
               centers: int | npt.ArrayLike | None = ..., cluster_std: float | npt.ArrayLike = ...,
               center_box: tuple[float, float] = ..., shuffle: bool = ..., random_state: RandomStateLike = ...,
               return_centers: Literal[True],
               ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.float64]]: ...
@overload
def make_blobs(n_samples: int | npt.ArrayLike = ..., n_features: int = ..., *,
               centers: int | npt.ArrayLike | None = ..., cluster_std: float | npt.ArrayLike = ...,
               center_box: tuple[float, float] = ..., shuffle: bool = ..., random_state: RandomStateLike = ...,
               return_centers: bool = ...) -> tuple[np.ndarray, ...]: ...
def make_blobs(n_samples: int | npt.ArrayLike = 100, n_features: int = 2, *,
               centers: int | npt.ArrayLike | None = None, cluster_std: float | npt.ArrayLike = 1.0,
               center_box: tuple[float, float] = (-10.0, 10.0), shuffle: bool = True,
               random_state: RandomStateLike = None, return_centers: bool = False) -> tuple[np.ndarray, ...]:
    """Isotropic Gaussian blobs, one per centre: the standard test bed of clustering.

    Blob k has a centre μ_k and a standard deviation σ_k; each of its points is
    ``x = μ_k + σ_k z`` with z ~ N(0, I) of dimension ``n_features``, and its label is k. Centres
    not given are drawn uniformly in the box ``center_box`` along every feature. Counts: an int
    ``n_samples`` is split as evenly as possible (the first ``n_samples mod K`` blobs get one
    point more); a list gives the count of every blob.

    Parameters
    ----------
    n_samples : int ≥ 1 or array-like of ints ≥ 0, default=100
        The total number of points, or the number of points of each blob (then ``centers`` must
        be None, or an array with one row per entry).
    n_features : int ≥ 1, default=2
        Dimension of the points when the centres are drawn; ignored when ``centers`` is an array.
    centers : int ≥ 1, array-like (n_centers, n_features) or None, default=None
        The number of centres to draw (None: 3, or ``len(n_samples)`` for a list), or the
        centres themselves (finite).
    cluster_std : float ≥ 0 or array-like of floats ≥ 0, default=1.0
        The standard deviation σ of all blobs, or one per blob.
    center_box : pair of finite floats (low, high), low ≤ high, default=(-10.0, 10.0)
        The box drawn centres are uniform in.
    shuffle : bool, default=True
        Shuffle the rows; else blob 0's points come first, then blob 1's, and so on.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seed of the centres, the points and the shuffle.
    return_centers : bool, default=False
        Also return the centres.

    Returns
    -------
    X : ndarray (n_samples, n_features), float64
        The points.
    y : ndarray (n_samples,), int64
        The blob of each point, 0 … K−1.
    centers : ndarray (K, n_features), float64
        The centres μ_k; only when ``return_centers=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import make_blobs
    >>> X, y = make_blobs(n_samples=10, centers=[[0.0, 0.0], [5.0, 5.0]], cluster_std=0.1,
    ...                   shuffle=False, random_state=0)
    >>> X.shape, y.tolist()
    ((10, 2), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    >>> np.round(X[y == 1].mean(axis=0))
    array([5., 5.])
    >>> X, y, centers = make_blobs(n_samples=[3, 1], n_features=4, return_centers=True, random_state=0)
    >>> X.shape, np.bincount(y).tolist(), centers.shape
    ((4, 4), [3, 1], (2, 4))
    """
    validate_params(locals(), _BLOBS_PARAMS)
    low, high = float(center_box[0]), float(center_box[1])
    if low > high:
        raise ValueError(f"center_box: expected (low, high) with low <= high, got {tuple(center_box)!r}")
    per_blob = not isinstance(n_samples, numbers.Integral)
    counts = _per_part_counts(n_samples, "n_samples", None) if per_blob else []
    if isinstance(centers, numbers.Integral):
        if per_blob:
            raise ValueError(f"centers: with n_samples given per blob, expected None or an array of "
                             f"{len(counts)} centres, got {centers!r}")
        n_centers, given = int(centers), None
    elif centers is None:
        n_centers, given = (len(counts) if per_blob else 3), None
    else:
        given = check_array(centers, "centers", dtype=np.float64)
        n_centers = given.shape[0]
        if per_blob and n_centers != len(counts):
            raise ValueError(f"centers: expected one centre per entry of n_samples ({len(counts)}), "
                             f"got {n_centers}")
    if isinstance(cluster_std, numbers.Real):
        stds = np.full(n_centers, float(cluster_std))
    else:
        stds = _as_array(cluster_std, "cluster_std")
        if stds.ndim != 1 or stds.shape[0] != n_centers:
            raise ValueError(f"cluster_std: expected one value per centre ({n_centers}), got shape {stds.shape}")
        for i, s in enumerate(_items(cluster_std, stds)):
            check_param(f"cluster_std[{i}]", s, [_SCALE])
        stds = stds.astype(np.float64)
    if not per_blob:
        n_total = int(n_samples)  # type: ignore[arg-type]  # an Integral here
        counts = [n_total // n_centers + (1 if k < n_total % n_centers else 0) for k in range(n_centers)]
    rng = check_random_state(random_state)

    mu = rng.uniform(low, high, size=(n_centers, int(n_features))) if given is None else given
    X = np.concatenate([mu[k] + stds[k] * rng.standard_normal((counts[k], mu.shape[1]))
                        for k in range(n_centers)])
    y = np.repeat(np.arange(n_centers, dtype=np.int64), counts)
    X, y = _shuffled(X, y, bool(shuffle), rng)
    return (X, y, mu.copy()) if return_centers else (X, y)


def make_moons(n_samples: int | tuple[int, int] = 100, *, shuffle: bool = True, noise: float | None = None,
               random_state: RandomStateLike = None) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Two interleaving half circles: a two-class problem no straight line separates.

    The outer moon (label 0) is the upper unit half circle ``(cos θ, sin θ)``, the inner moon
    (label 1) the lower half circle ``(1 − cos θ, ½ − sin θ)`` of radius 1 around (1, ½), with θ
    evenly spaced in [0, π] (both ends included). Gaussian noise of standard deviation ``noise``
    is added to every coordinate.

    Parameters
    ----------
    n_samples : int ≥ 1 or pair of ints ≥ 0, default=100
        The total number of points (⌊n/2⌋ on the outer moon, the rest on the inner one), or the
        pair (outer, inner).
    shuffle : bool, default=True
        Shuffle the rows; else the outer moon's points come first, in increasing θ.
    noise : float ≥ 0 or None, default=None
        Standard deviation of the noise (None: none).
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seed of the shuffle and the noise.

    Returns
    -------
    X : ndarray (n_samples, 2), float64
        The points.
    y : ndarray (n_samples,), int64
        0 on the outer moon, 1 on the inner one.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import make_moons
    >>> X, y = make_moons(n_samples=(3, 3), shuffle=False)
    >>> np.round(X, 3).tolist()
    [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, 0.5], [1.0, -0.5], [2.0, 0.5]]
    >>> y.tolist()
    [0, 0, 0, 1, 1, 1]
    """
    validate_params(locals(), _TWO_PARTS_PARAMS)
    n_out, n_in = _split_in_two(n_samples)
    rng = check_random_state(random_state)
    t_out, t_in = np.linspace(0.0, np.pi, n_out), np.linspace(0.0, np.pi, n_in)
    X = np.concatenate([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                        np.column_stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)])])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n_out, n_in])
    X, y = _shuffled(X, y, bool(shuffle), rng)
    if noise is not None:
        X += float(noise) * rng.standard_normal(X.shape)
    return X, y


def make_circles(n_samples: int | tuple[int, int] = 100, *, shuffle: bool = True, noise: float | None = None,
                 random_state: RandomStateLike = None, factor: float = 0.8,
                 ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Two concentric circles: label 0 on the unit circle, label 1 on the circle of radius ``factor``.

    Each circle's points sit at the angles θ = 2πk/m, k = 0 … m−1 (m its number of points),
    at ``(cos θ, sin θ)`` and ``factor · (cos θ, sin θ)``. Gaussian noise of standard deviation
    ``noise`` is added to every coordinate. A linear classifier fails; one on the radius succeeds.

    Parameters
    ----------
    n_samples : int ≥ 1 or pair of ints ≥ 0, default=100
        The total number of points (⌊n/2⌋ on the outer circle, the rest on the inner one), or
        the pair (outer, inner).
    shuffle : bool, default=True
        Shuffle the rows; else the outer circle's points come first, in increasing θ.
    noise : float ≥ 0 or None, default=None
        Standard deviation of the noise (None: none).
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seed of the shuffle and the noise.
    factor : float in [0, 1), default=0.8
        Radius of the inner circle relative to the outer one.

    Returns
    -------
    X : ndarray (n_samples, 2), float64
        The points.
    y : ndarray (n_samples,), int64
        0 on the outer circle, 1 on the inner one.

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import make_circles
    >>> X, y = make_circles(n_samples=8, factor=0.5, random_state=0)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 6)[np.argsort(y, kind="stable")].tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """
    validate_params(locals(), _TWO_PARTS_PARAMS)
    n_out, n_in = _split_in_two(n_samples)
    rng = check_random_state(random_state)
    t_out = np.linspace(0.0, 2.0 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2.0 * np.pi, n_in, endpoint=False)
    X = np.concatenate([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                        float(factor) * np.column_stack([np.cos(t_in), np.sin(t_in)])])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n_out, n_in])
    X, y = _shuffled(X, y, bool(shuffle), rng)
    if noise is not None:
        X += float(noise) * rng.standard_normal(X.shape)
    return X, y


def make_swiss_roll(n_samples: int = 100, *, noise: float = 0.0, random_state: RandomStateLike = None,
                    hole: bool = False) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A rectangle rolled up in 3-D: the classic test of manifold learning (Isomap, LLE).

    A point has a position t along the roll and a height h across it, and sits at
    ``(t cos t, h, t sin t)``, plus Gaussian noise of standard deviation ``noise`` on every
    coordinate. (t, h) is uniform on [3π/2, 9π/2] × [0, 21]: the roll turns 1.5 times around the
    h axis, its radius growing with t. With ``hole=True`` the rectangle is cut into 3 × 3 equal
    cells and the middle one ((t, h) in [5π/2, 7π/2] × [7, 14]) is left empty; (t, h) is uniform
    on the other eight.

    Parameters
    ----------
    n_samples : int ≥ 1, default=100
        Number of points.
    noise : float ≥ 0, default=0.0
        Standard deviation of the noise.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Seed of the positions and the noise.
    hole : bool, default=False
        Leave the middle cell of the rectangle empty.

    Returns
    -------
    X : ndarray (n_samples, 3), float64
        The points.
    t : ndarray (n_samples,), float64
        The position of each point along the roll (its coordinate on the unrolled manifold; the
        usual colour of a plot).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.datasets import make_swiss_roll
    >>> X, t = make_swiss_roll(n_samples=200, random_state=0)
    >>> X.shape, bool(np.all((1.5 * np.pi <= t) & (t <= 4.5 * np.pi)))
    ((200, 3), True)
    >>> bool(np.allclose(X[:, 0], t * np.cos(t)) and np.allclose(X[:, 2], t * np.sin(t)))
    True
    """
    validate_params(locals(), _SWISS_ROLL_PARAMS)
    rng = check_random_state(random_state)
    n = int(n_samples)
    if hole:
        cell = rng.integers(0, 8, size=n)
        cell += cell >= 4  # cells 0 … 8 of the 3 × 3 grid, t-major; 4 is the middle one
        u = rng.random((2, n))
        t = np.pi * (1.5 + cell // 3 + u[0])
        h = 7.0 * (cell % 3 + u[1])
    else:
        t = np.pi * (1.5 + 3.0 * rng.random(n))
        h = 21.0 * rng.random(n)
    X = np.column_stack([t * np.cos(t), h, t * np.sin(t)])
    if noise:
        X += float(noise) * rng.standard_normal(X.shape)
    return X, t
