"""The kernel contract, family ``norms``: inverted dropout with a counter-based generator, batch
normalization (``torch.nn.BatchNorm1d`` on (n, m), training and eval) and group normalization
(``torch.nn.GroupNorm`` on (n, m); layer normalization is one group), forward and backward.

Dropout draws its mask from Philox4x32-10 (:mod:`mlbasics.backends.numpy._philox` documents the
numbering of the words): element e of x (its row-major flat index) uses word ``offset + e``
(mod 2**64) of stream ``stream`` under the key ``seed``. The mask is a pure function of
(seed, offset, stream, p, shape), so it is the same on every backend, bit for bit, on any number
of threads, and a sub-range of a call is reproduced by a call with the matching offset.

Statistics (means, variances, the reductions of the backward passes) are accumulated in float64
and rounded to the arrays' dtype once, when stored; every backend agrees with the NumPy
reference within the dtype's tolerance (and the dropout masks bit for bit).

Evaluation order (it fixes where NaN and inf appear): the normalizations compute
``x̂ = (x − mean)·invstd`` and then ``y = x̂·gamma + beta``, each product in that order, never a
fused ``x·a + b`` (which would turn ``0·inf`` into a different NaN pattern).

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..._validation import Interval, check_param
from .. import _checks as v

KERNELS = ("dropout_forward", "dropout_backward", "batch_norm_forward", "batch_norm_backward",
           "group_norm_forward", "group_norm_backward")

#: seed, offset and stream: unsigned 64-bit integers.
_U64 = Interval(numbers.Integral, 0, 2**64, closed="left")
_P = Interval(numbers.Real, 0, 1, closed="left")
_MOMENTUM = Interval(numbers.Real, 0, 1, closed="both")
_EPS = Interval(numbers.Real, 0, None, closed="left")
_GROUPS = Interval(numbers.Integral, 1, None)


def _rows(x: ArrayLike, name: str) -> np.ndarray:
    """A 2-D float array as C-contiguous rows (a copy only when x is not already so)."""
    return np.ascontiguousarray(v.float_array(x, name, 2))


def _vector(a: ArrayLike, name: str, x: np.ndarray, length: int, what: str = "one per column of x") -> np.ndarray:
    """A 1-D C-contiguous array of x's dtype and the given length."""
    arr = np.ascontiguousarray(v.float_array(a, name, 1))
    v.same_dtype("x", x, **{name: arr})
    if arr.shape[0] != length:
        raise ValueError(f"{name}: expected {length} values ({what}), got {arr.shape[0]}")
    return arr


def _like_rows(a: ArrayLike, name: str, x: np.ndarray, x_name: str = "x") -> np.ndarray:
    """A 2-D C-contiguous array of x's dtype and shape."""
    arr = _rows(a, name)
    v.same_dtype(x_name, x, **{name: arr})
    if arr.shape != x.shape:
        raise ValueError(f"{name}: expected shape {x.shape} (as {x_name}), got {arr.shape}")
    return arr


def _u64(value: Any, name: str) -> int:
    return int(check_param(name, value, [_U64]))


def _probability(p: Any) -> float:
    return float(check_param("p", p, [_P]))


def _mask(mask: Any, shape: tuple) -> np.ndarray:
    """Dropout's mask: a uint8 (or bool) array of 0s and 1s of the given shape, as C-contiguous uint8."""
    a = np.asarray(mask)
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    if a.dtype != np.uint8:
        raise TypeError(f"mask: expected a uint8 array of 0s and 1s (as dropout_forward returns), got dtype {a.dtype}")
    if a.shape != tuple(shape):
        raise ValueError(f"mask: expected shape {tuple(shape)} (as grad_y), got {a.shape}")
    a = np.ascontiguousarray(a)
    if a.size and a.max() > 1:
        raise ValueError(f"mask: expected only 0s (dropped) and 1s (kept), got a value {int(a.max())}")
    return a


def _running(arr: Any, name: str, x: np.ndarray, m: int, inplace: bool) -> np.ndarray:
    """A running statistic: updated in place (training) or read only (eval)."""
    if inplace:
        v.inplace_array(arr, name)
        v.same_dtype("x", x, **{name: arr})
        if arr.ndim != 1 or arr.shape[0] != m:
            raise ValueError(f"{name}: expected shape ({m},) (one value per column of x), got {arr.shape}")
        return arr
    return _vector(arr, name, x, m)


def _groups(groups: Any, m: int, of: str = "x") -> int:
    g = int(check_param("groups", groups, [_GROUPS]))
    if m % g:
        raise ValueError(f"groups: expected a divisor of the {m} columns of {of}, got {g}")
    return g


class NormsContract:
    """``dropout_forward``/``dropout_backward``, ``batch_norm_forward``/``batch_norm_backward`` and
    ``group_norm_forward``/``group_norm_backward``; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    # ------------------------------------------------------------------ dropout

    def dropout_forward(self, x: ArrayLike, p: float, *, seed: int, offset: int = 0, stream: int = 0
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Inverted dropout: keep each element with probability 1 − p and scale the survivors.

        Element e of x (row-major flat index) takes the Philox word
        ``w = word(offset + e mod 2**64; stream, seed)`` and is kept iff
        ``(w >> 8) >= keep_threshold(p)``, ``keep_threshold(p) = ⌈p·2²⁴⌉`` (so it is dropped with
        probability ⌈p·2²⁴⌉/2²⁴, which is p up to 2⁻²⁴). With ``s = T(1 / (1 − p))`` (computed in
        double, rounded once to the dtype T):

        .. math::
            y_e = \\begin{cases} x_e \\, s & \\text{kept} \\\\ 0 & \\text{dropped} \\end{cases}
            \\qquad \\text{mask}_e = [\\text{kept}]

        The mask depends only on (seed, offset, stream, p, x.size): every backend gives the same
        mask, bit for bit; a call on the elements [a, b) of a flat array with ``offset + a`` gives
        that slice of the whole call's mask. p = 0 keeps everything and ``y == x`` exactly (s = 1).

        Parameters
        ----------
        x : ndarray of shape (n, m), float32 or float64
        p : float in [0, 1)
            The drop probability.
        seed : int in [0, 2**64)
            The Philox key.
        offset : int in [0, 2**64), default=0
            The word number of element 0 (word numbers wrap mod 2**64).
        stream : int in [0, 2**64), default=0
            The Philox stream (e.g. the training step), independent of ``offset``.

        Returns
        -------
        y : ndarray of shape (n, m), x's dtype
        mask : uint8 ndarray of shape (n, m), 1 = kept, 0 = dropped

        Non-finite values: a kept element is ``x·s`` (NaN stays NaN, ±inf stays ±inf); a dropped
        element is exactly 0 even when x is NaN or ±inf (a dropped unit does not exist).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import dropout_forward
        >>> y, mask = dropout_forward(np.ones((2, 4)), 0.5, seed=42, backend="numpy")
        >>> bool(np.all(y == 2.0 * mask))
        True
        >>> y0, mask0 = dropout_forward(np.ones((2, 4)), 0.0, seed=42, backend="numpy")
        >>> y0.min(), mask0.min()
        (np.float64(1.0), np.uint8(1))
        """
        xa = _rows(x, "x")
        pf = _probability(p)
        s, o, st = _u64(seed, "seed"), _u64(offset, "offset"), _u64(stream, "stream")
        y = np.empty_like(xa)
        mask = np.empty(xa.shape, dtype=np.uint8)
        self._raw.dropout_forward(xa, pf, s, o, st, y, mask)
        return y, mask

    def dropout_backward(self, grad_y: ArrayLike, mask: ArrayLike, p: float) -> np.ndarray:
        """The gradient of :meth:`dropout_forward`: ``grad_x = grad_y · s`` where ``mask == 1``,
        else 0, with the forward's ``s = T(1 / (1 − p))``.

        Parameters
        ----------
        grad_y : ndarray of shape (n, m), float32 or float64
        mask : uint8 (or bool) ndarray of shape (n, m)
            The forward's mask; only 0s and 1s (ValueError otherwise).
        p : float in [0, 1)
            The forward's drop probability.

        Returns
        -------
        grad_x : ndarray of shape (n, m), grad_y's dtype

        Non-finite values: kept elements are ``grad_y·s`` (IEEE); dropped elements are exactly 0,
        even where grad_y is NaN or ±inf.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import dropout_backward
        >>> dropout_backward(np.array([[1.0, np.nan]]), np.array([[1, 0]], np.uint8), 0.5, backend="numpy")
        array([[2., 0.]])
        """
        g = _rows(grad_y, "grad_y")
        ma = _mask(mask, g.shape)
        pf = _probability(p)
        grad_x = np.empty_like(g)
        self._raw.dropout_backward(g, ma, pf, grad_x)
        return grad_x

    # ------------------------------------------------------------------ batch normalization

    def batch_norm_forward(self, x: ArrayLike, gamma: ArrayLike, beta: ArrayLike,
                           running_mean: np.ndarray | None = None, running_var: np.ndarray | None = None, *,
                           training: bool = True, momentum: float = 0.1, eps: float = 1e-5
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Batch normalization of the columns of x (``torch.nn.BatchNorm1d`` on (n, m)).

        Training (``training=True``, n ≥ 2), over the rows i of each column j, in float64:

        .. math::
            μ_j = \\frac1n \\sum_i x_{ij}, \\qquad
            σ^2_j = \\frac1n \\sum_i (x_{ij} − μ_j)^2 \\text{ (biased, two passes)}, \\qquad
            \\text{invstd}_j = 1 / \\sqrt{σ^2_j + ε}

        .. math::
            \\hat x_{ij} = (x_{ij} − μ_j)\\,\\text{invstd}_j, \\qquad y_{ij} = \\hat x_{ij} γ_j + β_j

        and, when running arrays are given, in place (ρ = ``momentum``, as torch does):

        .. math::
            \\text{running\\_mean} ← (1 − ρ)\\,\\text{running\\_mean} + ρ μ, \\qquad
            \\text{running\\_var} ← (1 − ρ)\\,\\text{running\\_var} + ρ σ^2 \\tfrac{n}{n − 1}

        Eval (``training=False``): the running arrays are required and only read;
        ``μ = running_mean`` (returned as a copy), ``invstd = 1 / sqrt(running_var + ε)``, y as
        above, nothing is updated, any n ≥ 0.

        The statistics and x̂ are computed in float64; mean, invstd, y and the running arrays are
        rounded to the dtype once, when stored.

        Parameters
        ----------
        x : ndarray of shape (n, m), float32 or float64
            n ≥ 2 in training (one value per column has no variance; torch refuses it too).
        gamma, beta : ndarrays of shape (m,), x's dtype
            The scale γ and shift β.
        running_mean, running_var : ndarrays of shape (m,), x's dtype, or None
            Both or neither. In training they are updated in place (C-contiguous, writable, not
            sharing memory with any other argument); in eval they are required and read.
        training : bool, default=True
        momentum : float in [0, 1], default=0.1
        eps : float ≥ 0, default=1e-5
            With eps = 0, a constant column has invstd = inf and x̂ = 0·inf = NaN.

        Returns
        -------
        y : ndarray of shape (n, m), x's dtype
        mean : ndarray of shape (m,), x's dtype
            μ (training) or a copy of running_mean (eval).
        invstd : ndarray of shape (m,), x's dtype
            What :meth:`batch_norm_backward` takes with ``mean``.

        Non-finite values: in training a NaN or ±inf in column j of x makes μ_j, σ²_j (hence
        invstd_j) and the whole column y[:, j] NaN or ±inf as IEEE gives them (an inf makes
        x − μ = inf − inf = NaN), and they enter the running arrays; other columns are unaffected.
        In eval, x_ij only reaches y_ij. A NaN in γ_j or β_j gives NaN in y[:, j]; γ_j = ±inf gives
        ±inf, or NaN where x̂ = 0. A running_var below −eps gives invstd NaN (sqrt of a negative).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import batch_norm_forward
        >>> x = np.array([[1.0, 10.0], [3.0, 10.0]])
        >>> rm, rv = np.zeros(2), np.ones(2)
        >>> y, mean, invstd = batch_norm_forward(x, np.ones(2), np.zeros(2), rm, rv, eps=0.0, backend="numpy")
        >>> y
        array([[-1., nan],
               [ 1., nan]])
        >>> mean, rm, rv
        (array([ 2., 10.]), array([0.2, 1. ]), array([1.1, 0.9]))
        """
        xa = _rows(x, "x")
        n, m = xa.shape
        ga = _vector(gamma, "gamma", xa, m)
        ba = _vector(beta, "beta", xa, m)
        train = v.flag(training, "training")
        mom = float(check_param("momentum", momentum, [_MOMENTUM]))
        epsf = float(check_param("eps", eps, [_EPS]))
        if (running_mean is None) != (running_var is None):
            given, missing = ("running_mean", "running_var") if running_var is None else ("running_var", "running_mean")
            raise ValueError(f"{missing}: expected an array when {given} is given (both or neither), got None")
        if train:
            if n < 2:
                raise ValueError(f"x: expected at least 2 rows in training (a batch's variance needs more than one "
                                 f"value per column), got {n}")
        elif running_mean is None:
            raise ValueError("running_mean: expected arrays running_mean and running_var when training=False "
                             "(eval mode normalizes with the running statistics), got None")
        rm = rv = None
        if running_mean is not None:
            rm = _running(running_mean, "running_mean", xa, m, train)
            rv = _running(running_var, "running_var", xa, m, train)
            if train:
                v.no_shared_memory("running_mean", rm, x=xa, gamma=ga, beta=ba, running_var=rv)
                v.no_shared_memory("running_var", rv, x=xa, gamma=ga, beta=ba)
        y = np.empty_like(xa)
        mean = np.empty(m, dtype=xa.dtype)
        invstd = np.empty(m, dtype=xa.dtype)
        self._raw.batch_norm_forward(xa, ga, ba, rm, rv, train, mom, epsf, y, mean, invstd)
        return y, mean, invstd

    def batch_norm_backward(self, grad_y: ArrayLike, x: ArrayLike, gamma: ArrayLike, mean: ArrayLike,
                            invstd: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The training-mode gradient of :meth:`batch_norm_forward` (μ and invstd are functions of x).

        With x̂ = (x − mean)·invstd, over the rows i of each column j (sums in float64):

        .. math::
            \\frac{∂L}{∂β_j} = \\sum_i g_{ij}, \\qquad
            \\frac{∂L}{∂γ_j} = \\sum_i g_{ij} \\hat x_{ij}, \\qquad
            \\frac{∂L}{∂x_{ij}} = \\frac{γ_j \\, \\text{invstd}_j}{n}
                \\Big(n g_{ij} − \\frac{∂L}{∂β_j} − \\hat x_{ij} \\frac{∂L}{∂γ_j}\\Big)

        (g = grad_y). x̂ and grad_x are computed in float64 from the given (stored) mean and
        invstd, then rounded once.

        Parameters
        ----------
        grad_y : ndarray of shape (n, m), float32 or float64, n ≥ 2
        x : ndarray of shape (n, m), grad_y's dtype
            The forward's input.
        gamma, mean, invstd : ndarrays of shape (m,), grad_y's dtype
            γ and the forward's returned mean and invstd.

        Returns
        -------
        grad_x : ndarray of shape (n, m)
        grad_gamma, grad_beta : ndarrays of shape (m,)

        Non-finite values: a NaN or ±inf in column j of grad_y or x enters ∂L/∂β_j or ∂L/∂γ_j
        (NaN, or ±inf) and so the whole column grad_x[:, j] (NaN or ±inf as IEEE gives them);
        other columns are unaffected. NaN in γ_j, mean_j or invstd_j makes column j of grad_x NaN
        (and, for mean/invstd, ∂L/∂γ_j).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import batch_norm_backward
        >>> x = np.array([[1.0], [3.0]])
        >>> gx, gg, gb = batch_norm_backward(np.array([[1.0], [1.0]]), x, np.ones(1), np.array([2.0]),
        ...                                  np.array([1.0]), backend="numpy")
        >>> gx.ravel(), gg, gb  # a constant gradient is absorbed by β: nothing reaches x
        (array([0., 0.]), array([0.]), array([2.]))
        """
        g = _rows(grad_y, "grad_y")
        n, m = g.shape
        xa = _like_rows(x, "x", g, "grad_y")
        if n < 2:
            raise ValueError(f"grad_y: expected at least 2 rows (the training-mode gradient of a batch), got {n}")
        ga = _vector(gamma, "gamma", g, m, "one per column of grad_y")
        mu = _vector(mean, "mean", g, m, "one per column of grad_y")
        inv = _vector(invstd, "invstd", g, m, "one per column of grad_y")
        grad_x = np.empty_like(g)
        grad_gamma = np.empty(m, dtype=g.dtype)
        grad_beta = np.empty(m, dtype=g.dtype)
        self._raw.batch_norm_backward(g, xa, ga, mu, inv, grad_x, grad_gamma, grad_beta)
        return grad_x, grad_gamma, grad_beta

    # ------------------------------------------------------------------ group normalization

    def group_norm_forward(self, x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, *, groups: int,
                           eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Group normalization of the rows of x (``torch.nn.GroupNorm(groups, m)`` on (n, m));
        ``groups=1`` is layer normalization with a per-feature affine (``torch.nn.LayerNorm(m)``).

        Group g of row i is the k = m/G features [g·k, (g+1)·k). Over them, in float64:

        .. math::
            μ_{ig} = \\frac1k \\sum_{j∈g} x_{ij}, \\qquad
            σ^2_{ig} = \\frac1k \\sum_{j∈g} (x_{ij} − μ_{ig})^2, \\qquad
            \\text{invstd}_{ig} = 1/\\sqrt{σ^2_{ig} + ε}

        .. math::
            y_{ij} = (x_{ij} − μ_{ig})\\,\\text{invstd}_{ig}\\,γ_j + β_j

        The statistics are rounded to the dtype once when stored; y is computed from the float64
        statistics. There are no running statistics (group norm is the same in training and eval).

        Parameters
        ----------
        x : ndarray of shape (n, m), float32 or float64, m ≥ 1
        gamma, beta : ndarrays of shape (m,), x's dtype
        groups : int ≥ 1 dividing m
        eps : float ≥ 0, default=1e-5

        Returns
        -------
        y : ndarray of shape (n, m), x's dtype
        mean, invstd : ndarrays of shape (n, groups), x's dtype

        Non-finite values: a NaN or ±inf in x_ij makes μ_ig, invstd_ig and every y of that row's
        group NaN (or ±inf as IEEE gives them: an inf makes x − μ = inf − inf = NaN); other groups
        and rows are unaffected. NaN in γ_j or β_j gives NaN in y[:, j]. With eps = 0 a constant
        group has invstd = inf and y = 0·inf = NaN.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import group_norm_forward
        >>> x = np.array([[1.0, 3.0, 10.0, 14.0]])
        >>> y, mean, invstd = group_norm_forward(x, np.ones(4), np.zeros(4), groups=2, eps=0.0, backend="numpy")
        >>> y, mean, invstd
        (array([[-1.,  1., -1.,  1.]]), array([[ 2., 12.]]), array([[1. , 0.5]]))
        """
        xa = _rows(x, "x")
        n, m = xa.shape
        if m < 1:
            raise ValueError("x: expected at least 1 column (feature) to normalize, got 0")
        ga = _vector(gamma, "gamma", xa, m)
        ba = _vector(beta, "beta", xa, m)
        g = _groups(groups, m)
        epsf = float(check_param("eps", eps, [_EPS]))
        y = np.empty_like(xa)
        mean = np.empty((n, g), dtype=xa.dtype)
        invstd = np.empty((n, g), dtype=xa.dtype)
        self._raw.group_norm_forward(xa, ga, ba, g, epsf, y, mean, invstd)
        return y, mean, invstd

    def group_norm_backward(self, grad_y: ArrayLike, x: ArrayLike, gamma: ArrayLike, mean: ArrayLike,
                            invstd: ArrayLike, *, groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The gradient of :meth:`group_norm_forward`.

        With k = m/G, x̂ = (x − mean)·invstd and ĝ_ij = g_ij γ_j (g = grad_y), per row i and
        group g (sums in float64):

        .. math::
            \\frac{∂L}{∂x_{ij}} = \\frac{\\text{invstd}_{ig}}{k}
                \\Big(k ĝ_{ij} − \\sum_{l∈g} ĝ_{il} − \\hat x_{ij} \\sum_{l∈g} ĝ_{il} \\hat x_{il}\\Big),
            \\qquad
            \\frac{∂L}{∂γ_j} = \\sum_i g_{ij} \\hat x_{ij}, \\qquad \\frac{∂L}{∂β_j} = \\sum_i g_{ij}

        Parameters
        ----------
        grad_y : ndarray of shape (n, m), float32 or float64, m ≥ 1
        x : ndarray of shape (n, m), grad_y's dtype
        gamma : ndarray of shape (m,), grad_y's dtype
        mean, invstd : ndarrays of shape (n, groups), grad_y's dtype
            The forward's returned statistics.
        groups : int ≥ 1 dividing m

        Returns
        -------
        grad_x : ndarray of shape (n, m)
        grad_gamma, grad_beta : ndarrays of shape (m,)

        Non-finite values: a NaN or ±inf in grad_y_ij or x_ij enters the two sums of row i's
        group (NaN or ±inf), so the whole group of grad_x in that row, and ∂L/∂γ_j (and ∂L/∂β_j
        for grad_y); other rows and groups are unaffected. NaN in γ_j poisons the sums of its
        group in every row.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import group_norm_backward
        >>> x = np.array([[1.0, 3.0]])
        >>> gx, gg, gb = group_norm_backward(np.array([[1.0, 1.0]]), x, np.ones(2), np.array([[2.0]]),
        ...                                  np.array([[1.0]]), groups=1, backend="numpy")
        >>> gx, gg, gb
        (array([[0., 0.]]), array([-1.,  1.]), array([1., 1.]))
        """
        g = _rows(grad_y, "grad_y")
        n, m = g.shape
        if m < 1:
            raise ValueError("grad_y: expected at least 1 column (feature), got 0")
        xa = _like_rows(x, "x", g, "grad_y")
        ga = _vector(gamma, "gamma", g, m, "one per column of grad_y")
        G = _groups(groups, m, "grad_y")
        stats = []
        for name, a in (("mean", mean), ("invstd", invstd)):
            arr = _rows(a, name)
            v.same_dtype("grad_y", g, **{name: arr})
            if arr.shape != (n, G):
                raise ValueError(f"{name}: expected shape {(n, G)} (rows of grad_y, groups), got {arr.shape}")
            stats.append(arr)
        grad_x = np.empty_like(g)
        grad_gamma = np.empty(m, dtype=g.dtype)
        grad_beta = np.empty(m, dtype=g.dtype)
        self._raw.group_norm_backward(g, xa, ga, stats[0], stats[1], G, grad_x, grad_gamma, grad_beta)
        return grad_x, grad_gamma, grad_beta
