"""The kernel contract, family ``layers``: a dense layer's forward pass with its bias and activation, and its backward pass.

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks as v
from ._fast import _F32, _F64, _ndarray

KERNELS = ("linear_forward", "linear_backward")

#: Activation names and the integer codes the raw kernels take.
ACTIVATIONS = {"identity": 0, "relu": 1, "sigmoid": 2, "tanh": 3}

#: The activation names, as a type.
Activation = Literal["identity", "relu", "sigmoid", "tanh"]


def _activation_code(activation: Any) -> int:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return ACTIVATIONS[activation]



class LayersContract:
    """``linear_forward`` and ``linear_backward``; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    def _layer_inputs(self, x: ArrayLike, w: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        x = v.float_array(x, "x", 2)
        w = v.float_array(w, "w", 2)
        v.same_dtype("x", x, w=w)
        if w.shape[0] != x.shape[1]:
            raise ValueError(f"w: expected {x.shape[1]} rows (x has {x.shape[1]} columns), got shape {w.shape}")
        return np.ascontiguousarray(x), np.ascontiguousarray(w)

    def linear_forward(self, x: ArrayLike, w: ArrayLike, b: ArrayLike,
                       activation: Activation = "identity") -> tuple[np.ndarray, np.ndarray]:
        """Dense layer: ``z = x @ w + b`` and ``h = act(z)``.

        Parameters
        ----------
        x : (n, n_in) array;  w : (n_in, n_out) array;  b : (n_out,) array — one float dtype.
        activation : {"identity", "relu", "sigmoid", "tanh"}
            relu(z) = max(z, 0); sigmoid(z) = 1 / (1 + exp(-z)) (the logistic function, computed
            without overflow); tanh(z).

        Returns
        -------
        z, h : (n, n_out) arrays. For ``"identity"``, ``h`` is ``z`` (the same array).

        Non-finite values: ``z`` as :meth:`~GemmContract.matmul` plus ``b``; then, element by
        element, relu(NaN) = NaN (``np.maximum``, not ``np.fmax``), relu(+inf) = +inf,
        relu(−inf) = 0; sigmoid(+inf) = 1 and sigmoid(−inf) = 0 exactly, tanh(±inf) = ±1; any
        activation of NaN is NaN.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import linear_forward
        >>> x = np.array([[1.0, -2.0]])
        >>> z, h = linear_forward(x, np.eye(2), np.array([0.0, 0.5]), "relu", backend="numpy")
        >>> z, h
        (array([[ 1. , -1.5]]), array([[1., 0.]]))
        """
        # Fast path: C-contiguous ndarrays of one float dtype and matching shapes, a known activation.
        if (type(x) is _ndarray and type(w) is _ndarray and type(b) is _ndarray and type(activation) is str
                and ((dtype := x.dtype) is _F32 or dtype is _F64) and w.dtype is dtype and b.dtype is dtype
                and x.ndim == 2 and w.ndim == 2 and b.ndim == 1
                and w.shape[0] == x.shape[1] and b.shape[0] == w.shape[1]
                and (f := x.flags).c_contiguous and f.aligned and (f := w.flags).c_contiguous and f.aligned
                and (f := b.flags).c_contiguous and f.aligned
                and (act := ACTIVATIONS.get(activation)) is not None):
            z = np.empty((x.shape[0], w.shape[1]), dtype)
            h = None if act == 0 else np.empty_like(z)
            self._raw.linear_forward(x, w, b, act, z, h)
            return z, (z if h is None else h)
        # Full path.
        act = _activation_code(activation)
        x, w = self._layer_inputs(x, w)
        b = np.ascontiguousarray(v.float_array(b, "b", 1))
        v.same_dtype("x", x, b=b)
        v.check_shape("b", b, (w.shape[1],))
        z = np.empty((x.shape[0], w.shape[1]), dtype=x.dtype)
        h = None if act == 0 else np.empty_like(z)
        self._raw.linear_forward(x, w, b, act, z, h)
        return z, (z if h is None else h)

    def linear_backward(self, x: ArrayLike, w: ArrayLike, z: ArrayLike | None, h: ArrayLike | None,
                        grad_h: ArrayLike, activation: Activation, *, compute_grad_x: bool = True,
                        ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
        """Back-propagation through :meth:`linear_forward`.

        With ``grad_z = grad_h ⊙ act'(z)`` (relu: 1[z > 0]; sigmoid: h(1 − h); tanh: 1 − h²;
        identity: 1):

        ``grad_x = grad_z @ wᵀ``,  ``grad_w = xᵀ @ grad_z``,  ``grad_b = Σ_rows grad_z``.

        ``z`` is read only for relu and ``h`` only for sigmoid/tanh; the other may be None.
        With ``compute_grad_x=False`` (a network's first layer) ``grad_x`` is skipped and None is
        returned in its place, saving one matrix product.

        Parameters
        ----------
        x : (n, n_in) array;  w : (n_in, n_out) array — the forward pass's inputs, one float dtype.
        z, h : (n, n_out) arrays or None
            The forward pass's outputs (see above for which one is read).
        grad_h : (n, n_out) array
            The gradient of the loss with respect to ``h``.
        activation : {"identity", "relu", "sigmoid", "tanh"}
            The forward pass's activation.
        compute_grad_x : bool, default=True

        Returns
        -------
        grad_x : (n, n_in) or None;  grad_w : (n_in, n_out);  grad_b : (n_out,)

        Non-finite values: relu'(z) is 1 for z > 0 (+inf included), 0 for z ≤ 0 (−inf included)
        and NaN for a NaN z (``np.heaviside(z, 0)``), and the derivative is multiplied into
        ``grad_h``, never selected: a NaN or ±inf ``grad_h`` where z ≤ 0 gives NaN (NaN·0,
        inf·0), a NaN z gives NaN. sigmoid'/tanh' are the products h(1 − h) and 1 − h² as
        written (h = NaN gives NaN). ``grad_x``, ``grad_w`` then follow :meth:`matmul`'s rules
        and ``grad_b`` is a column sum (NaN if any term is, ±inf if the infinite terms share a
        sign, NaN if they do not).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import linear_backward
        >>> x, w = np.array([[1.0, 2.0]]), np.array([[1.0], [1.0]])
        >>> gx, gw, gb = linear_backward(x, w, None, None, np.array([[1.0]]), "identity", backend="numpy")
        >>> gx, gw.ravel(), gb
        (array([[1., 1.]]), array([1., 2.]), array([1.]))
        """
        act = _activation_code(activation)
        x, w = self._layer_inputs(x, w)
        shape = (x.shape[0], w.shape[1])
        arrays: dict[str, np.ndarray | None] = {}
        for name, arr, needed in (("z", z, act == 1), ("h", h, act in (2, 3)), ("grad_h", grad_h, True)):
            if arr is None:
                if needed:
                    raise ValueError(f"{name}: required for activation {activation!r}, got None")
                arrays[name] = None
                continue
            arr = v.float_array(arr, name, 2)
            v.same_dtype("x", x, **{name: arr})
            v.check_shape(name, arr, shape)
            arrays[name] = np.ascontiguousarray(arr)
        grad_x = np.empty_like(x) if v.flag(compute_grad_x, "compute_grad_x") else None
        grad_w = np.empty_like(w)
        grad_b = np.empty(w.shape[1], dtype=x.dtype)
        self._raw.linear_backward(x, w, arrays["z"], arrays["h"], arrays["grad_h"], act, grad_x, grad_w, grad_b)
        return grad_x, grad_w, grad_b

