"""The kernel contract, family ``gemm``: matrix products (``matmul``) and Gram matrices (``gram``).

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks as v
from ._fast import _F32, _F64, _ndarray

KERNELS = ("matmul", "gram")


class GemmContract:
    """``matmul`` and ``gram``; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped
    _matmul_fast: Any  # the raw module's matmul_fast, or None (see matmul)

    def matmul(self, a: ArrayLike, b: ArrayLike, trans_a: bool = False, trans_b: bool = False,
               out: np.ndarray | None = None) -> np.ndarray:
        """Matrix product ``op(a) @ op(b)``, where ``op(m)`` is ``m.T`` when its flag is set.

        Parameters
        ----------
        a, b : ndarray, 2-D, float32 or float64 (same dtype), any strides
        trans_a, trans_b : bool, default=False
            Use the transpose of ``a`` (of ``b``) in the product.
        out : ndarray, optional
            C-contiguous, writable, of shape (rows of op(a), columns of op(b)) and the inputs'
            dtype. Its old content is never read. It may share memory with ``a`` or ``b``
            (then the product is formed in a temporary first).

        Returns
        -------
        out : ndarray of shape (rows of op(a), columns of op(b))
            The product, in ``out`` when it was given.

        Non-finite values: IEEE propagation, as ``np.matmul``. An element of the product is NaN
        when its dot product meets a NaN, an inf times a 0, or both +inf and −inf terms, and ±inf
        when its only infinite terms have that sign. No term is skipped because a factor is 0
        (0·NaN is NaN; micro-tile padding never hides a NaN), and ``out``'s old content (NaN
        included) is never read.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import matmul
        >>> a = np.arange(6.0).reshape(2, 3)
        >>> matmul(a, a, trans_b=True, backend="numpy")
        array([[ 5., 14.],
               [14., 50.]])
        >>> matmul(a, a, trans_a=True, backend="numpy").shape
        (3, 3)
        """
        # Fast path: 2-D ndarrays of one float dtype, bool flags, and out None or a C-contiguous
        # writable array of the right shape and dtype that owns its memory, as do a and b. The C++
        # backend makes these checks in C++ (matmul_fast: ~0.2 µs against ~0.5 here, where each
        # attribute read costs 30-50 ns and a 32×32 product's kernel ~1.3 µs), and returns None
        # for a call it does not recognize.
        fast = self._matmul_fast
        if fast is not None:
            if (c := fast(a, b, trans_a, trans_b, out)) is not None:
                return c
        elif (type(a) is _ndarray and type(b) is _ndarray and type(trans_a) is bool and type(trans_b) is bool
                and ((dtype := a.dtype) is _F32 or dtype is _F64) and b.dtype is dtype
                and a.ndim == 2 and b.ndim == 2 and (fa := a.flags).aligned and (fb := b.flags).aligned):
            m, k = a.shape[::-1] if trans_a else a.shape
            kb, n = b.shape[::-1] if trans_b else b.shape
            if kb == k:
                if out is None:
                    out = np.empty((m, n), dtype)
                    self._raw.matmul(a, b, trans_a, trans_b, out)
                    return out
                if (type(out) is _ndarray and out.dtype is dtype and out.shape == (m, n)
                        and (f := out.flags).c_contiguous and f.writeable and f.owndata
                        and out is not a and out is not b and fa.owndata and fb.owndata):
                    self._raw.matmul(a, b, trans_a, trans_b, out)
                    return out
        # Full path.
        a = v.float_array(a, "a", 2)
        b = v.float_array(b, "b", 2)
        dtype = v.same_dtype("a", a, b=b)
        trans_a, trans_b = v.flag(trans_a, "trans_a"), v.flag(trans_b, "trans_b")
        m, k = a.shape[::-1] if trans_a else a.shape
        kb, n = b.shape[::-1] if trans_b else b.shape
        if kb != k:
            raise ValueError(
                f"b: op(b) has {kb} rows but op(a) has {k} columns (a.shape={a.shape}, trans_a={trans_a},"
                f" b.shape={b.shape}, trans_b={trans_b})"
            )
        if out is None:
            out = np.empty((m, n), dtype=dtype)
        else:
            v.output_array(out, "out", (m, n), dtype)
            if np.may_share_memory(out, a) or np.may_share_memory(out, b):
                tmp = np.empty((m, n), dtype=dtype)
                self._raw.matmul(a, b, trans_a, trans_b, tmp)
                out[...] = tmp
                return out
        self._raw.matmul(a, b, trans_a, trans_b, out)
        return out

    def gram(self, x: ArrayLike, sample_weight: ArrayLike | None = None, shift: ArrayLike | None = None
             ) -> np.ndarray:
        """Gram matrix ``xᵀx`` of a 2-D float array x (n, p): a (p, p) symmetric array; with
        ``sample_weight`` w, the weighted Gram matrix ``xᵀ diag(w) x = Σᵢ wᵢ xᵢxᵢᵀ``; with a
        ``shift`` s, the same of ``x − s`` (s subtracted from every row).

        Used by the normal equations (XᵀX w = Xᵀy, or XᵀWX w = XᵀWy for weighted least squares)
        and by the covariance of centered data. The weights scale one operand of the product as it
        is packed (each product term is ``x[q, i] · (w[q] · x[q, j])``): no weighted copy of x is
        made.

        Parameters
        ----------
        x : ndarray of shape (n, p), float32 or float64, any strides
        sample_weight : ndarray of shape (n,) of x's dtype, optional
            One weight per row of x, each finite and >= 0 (checked; all zero gives zeros).
            None is the unweighted product.
        shift : array-like of shape (p,), optional
            Subtracted from every row of x, each difference rounded once to x's dtype: with the
            column means, ``(x − mean)ᵀ(x − mean)`` is the co-moment (scatter) matrix, the
            covariance times n. The cpp backend subtracts while it packs the operands, so no
            centred copy of x is made; numpy and numba subtract into a copy. None is no shift.

        Returns
        -------
        out : ndarray of shape (p, p)
            The symmetric matrix xᵀx (or xᵀ diag(w) x), of x's dtype.

        Non-finite values: as :meth:`matmul` for ``x.T @ x`` (weighted: ``x.T @ (w[:, None] * x)``,
        the upper triangle, mirrored); the result stays exactly symmetric, its NaN/inf pattern
        included. A zero weight does not hide a row's NaN or inf: 0·inf is NaN, and it reaches
        that row's columns as any NaN does.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import gram
        >>> gram(np.array([[1.0, 2.0], [3.0, 4.0]]), backend="numpy")
        array([[10., 14.],
               [14., 20.]])
        >>> gram(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([2.0, 0.0]), backend="numpy")
        array([[2., 4.],
               [4., 8.]])
        """
        x = v.float_array(x, "x", 2)
        out = np.empty((x.shape[1], x.shape[1]), dtype=x.dtype)
        w = None
        if sample_weight is not None:
            w = v.sample_weights(sample_weight, "sample_weight", x.shape[0], x.dtype, positive_sum=False, of="x")
        if shift is None:
            self._raw.gram(x, out, w)
            return out
        s = v.float_vector(shift, "shift", x.shape[1], x.dtype, of="x")
        self._raw.gram(x, out, w, s)
        return out
