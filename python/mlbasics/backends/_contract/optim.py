"""The kernel contract, family ``optim``: in-place optimizer steps (SGD, Adam/AdamW, RMSprop, AdaGrad, AdaDelta, Rprop).

Each step kernel's hyper-parameters, defaults, checks and state come from one table,
:mod:`mlbasics.backends._optim_table`; the methods below only name their arguments (so that
``help()`` shows them) and document the update rule.

Non-finite values: each step is elementwise; a NaN or ±inf in one element of ``param``, ``grad``
or a state array affects that element only, exactly as the NumPy reference's formulas give it
(each method says how).

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks as v
from .._optim_table import OPTIMIZERS, raw_arguments
from ._fast import _F32, _F64, _ndarray

KERNELS = tuple(spec.kernel for spec in OPTIMIZERS.values())


class OptimContract:
    """The optimizer step kernels; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    @staticmethod
    def _step_arrays(param: Any, grad: Any, optional: tuple[str, ...] = (), **state: Any,
                     ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray | None]]:
        """Check an optimizer step's arrays; return flat views.

        State arrays named in ``optional`` may be None (unused by these hyper-parameters) and stay
        None; any other state array is required.
        """
        param = v.inplace_array(param, "param")
        grad = v.float_array(grad, "grad")
        v.same_dtype("param", param, grad=grad)
        v.check_shape("grad", grad, param.shape)
        flat: dict[str, np.ndarray | None] = {}
        for name, arr in state.items():
            if arr is None and name not in optional:
                raise ValueError(f"{name}: state array required, got None")
            if arr is not None:
                v.inplace_array(arr, name, like=param)
                v.no_shared_memory(name, arr, param=param, grad=grad,
                                   **{k: a for k, a in state.items() if k != name})
                arr = arr.reshape(-1)
            flat[name] = arr
        v.no_shared_memory("param", param, grad=grad)
        return param.reshape(-1), np.ascontiguousarray(grad).reshape(-1), flat

    def _step(self, kind: str, param: Any, grad: Any, state: dict[str, Any], hyper: dict[str, Any], *,
              step: Any = None, first_step: Any = False) -> None:
        """The full path of every step kernel, from its row of the optimizer table.

        ``state`` maps the method's argument names to the arrays, in the table's slot order.
        """
        spec = OPTIMIZERS[kind]
        if spec.takes_step:
            step = v.positive_int(step, "step")
        first_step = v.flag(first_step, "first_step")
        raw = spec.raw_hyper(hyper)
        needed = spec.needed_state(raw)
        labels = dict(zip(spec.state, state))  # table slot -> the method's argument name
        optional = []
        for slot, label in labels.items():
            if not needed[slot]:
                optional.append(label)
            elif state[label] is None:
                uses = ", ".join(f"{h.name}={raw[h.name]!r}" for h in spec.hyper)
                raise ValueError(f"{label}: required by {kind} with {uses}, got None")
        p, g, s = self._step_arrays(param, grad, optional=tuple(optional),
                                    **{label: (state[label] if needed[slot] else None)
                                       for slot, label in labels.items()})
        arrays = {slot: s[label] for slot, label in labels.items()}
        getattr(self._raw, spec.kernel)(*raw_arguments(kind, p, g, arrays, raw, step, first_step))

    def sgd_step(self, param: np.ndarray, grad: ArrayLike, momentum_buf: np.ndarray | None = None, *, lr: float,
                 momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 first_step: bool = False) -> None:
        """One step of SGD with momentum, in place (torch.optim.SGD's rule).

        .. math::
            g &= ∇L + λ_{wd} θ \\\\
            b &= g \\text{ (first step)}, \\quad b ← μ b + (1 − τ) g \\text{ (later)} \\\\
            g &= g + μ b \\text{ (nesterov)}, \\quad g = b \\text{ (otherwise)} \\\\
            θ &← θ − η g

        μ = ``momentum``, τ = ``dampening``, η = ``lr``. The course's momentum
        V ← μV + (1 − μ)∇L is ``dampening=momentum``; its L2 term λΣW² is ``weight_decay=2λ``.
        ``momentum_buf`` may be None when momentum is 0; with ``first_step=True`` its old content
        is never read. Returns None.

        Non-finite values: the update is computed element by element as written above, in the
        arrays' dtype, so NaN/±inf in ``param``, ``grad`` or the state propagate by IEEE rules at
        that element only (inf − inf and 0·inf are NaN, x/inf is 0); the term λθ is added only when
        ``weight_decay`` ≠ 0, so an infinite θ with no weight decay stays infinite; with
        ``first_step`` the buffer's old content (NaN included) is never read.

        Parameters
        ----------
        param : float array, C-contiguous and writable, updated in place
        grad : float array of param's shape and dtype
        momentum_buf : array like param, or None, updated in place
        lr : float ≥ 0
        momentum : float ≥ 0, default=0.0
        dampening : float, default=0.0
        weight_decay : float ≥ 0, default=0.0
        nesterov : bool, default=False
            Needs momentum > 0 and dampening = 0.
        first_step : bool, default=False

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import sgd_step
        >>> p = np.array([1.0, 2.0])
        >>> sgd_step(p, np.array([0.5, -0.5]), lr=0.1, backend="numpy")
        >>> p
        array([0.95, 2.05])
        """
        # Fast path: float hyper-parameters in range, bool flags; param, grad (and momentum_buf when
        # momentum != 0) C-contiguous ndarrays of one float dtype and shape, each owning its memory.
        if (type(lr) is float and type(momentum) is float and type(dampening) is float
                and type(weight_decay) is float and type(nesterov) is bool and type(first_step) is bool
                and lr >= 0 and momentum >= 0 and dampening == dampening and weight_decay >= 0
                and (not nesterov or (momentum > 0 and dampening == 0))
                and type(param) is _ndarray and type(grad) is _ndarray
                and ((dtype := param.dtype) is _F32 or dtype is _F64) and grad.dtype is dtype
                and grad.shape == param.shape and grad is not param
                and (f := param.flags).c_contiguous and f.writeable and f.owndata
                and (f := grad.flags).c_contiguous and f.owndata
                and (momentum == 0 or (
                    type(momentum_buf) is _ndarray and momentum_buf.dtype is dtype
                    and momentum_buf.shape == param.shape and momentum_buf is not param and momentum_buf is not grad
                    and (f := momentum_buf.flags).c_contiguous and f.writeable and f.owndata))):
            self._raw.sgd_step(param.ravel(), grad.ravel(),
                               # the test above made momentum_buf an ndarray when momentum != 0
                               None if momentum == 0 else momentum_buf.ravel(),  # type: ignore[union-attr]
                               lr, momentum, dampening, weight_decay, nesterov, first_step)
            return
        # Full path.
        self._step("sgd", param, grad, {"momentum_buf": momentum_buf},
                   dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov),
                   first_step=first_step)

    def adam_step(self, param: np.ndarray, grad: ArrayLike, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, *,
                  step: int, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                  weight_decay: float = 0.0, decoupled_weight_decay: bool = False) -> None:
        """One Adam (or AdamW) step, in place (torch.optim.Adam / AdamW's rule).

        .. math::
            θ &← θ (1 − η λ) \\text{ and } g = ∇L \\quad\\text{(decoupled, AdamW)}, \\qquad
                g = ∇L + λθ \\quad\\text{(otherwise)} \\\\
            m &← β_1 m + (1 − β_1) g, \\qquad v ← β_2 v + (1 − β_2) g^2 \\\\
            θ &← θ − η \\, \\hat m / (\\sqrt{\\hat v} + ε), \\quad \\hat m = m/(1 − β_1^t),\\;
                \\hat v = v/(1 − β_2^t)

        ``step`` is t, the 1-based number of this update. Returns None.

        Non-finite values: the update is computed element by element as written above, in the
        arrays' dtype, so NaN/±inf in ``param``, ``grad`` or the state propagate by IEEE rules at
        that element only (inf − inf and 0·inf are NaN, x/inf is 0); the term λθ is added only when
        ``weight_decay`` ≠ 0, so an infinite θ with no weight decay stays infinite (the decoupled
        factor 1 − ηλ always multiplies θ).

        Parameters
        ----------
        param : float array, C-contiguous and writable, updated in place
        grad : float array of param's shape and dtype
        exp_avg, exp_avg_sq : arrays like param (m and v), updated in place
        step : int ≥ 1
        lr : float ≥ 0
        beta1, beta2 : float in [0, 1), default=0.9, 0.999
        eps : float ≥ 0, default=1e-8
        weight_decay : float ≥ 0, default=0.0
        decoupled_weight_decay : bool, default=False

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import adam_step
        >>> p, m, v = np.array([1.0]), np.zeros(1), np.zeros(1)
        >>> adam_step(p, np.array([3.0]), m, v, step=1, lr=0.1, backend="numpy")
        >>> np.round(p, 4)  # the first step moves by about lr
        array([0.9])
        """
        # Fast path: an int step ≥ 1, float hyper-parameters in range, a bool flag; the four arrays
        # C-contiguous ndarrays of one float dtype and shape, each owning its memory.
        if (type(step) is int and type(lr) is float and type(beta1) is float and type(beta2) is float
                and type(eps) is float and type(weight_decay) is float and type(decoupled_weight_decay) is bool
                and step >= 1 and lr >= 0 and 0 <= beta1 < 1 and 0 <= beta2 < 1 and eps >= 0 and weight_decay >= 0
                and type(param) is _ndarray and type(grad) is _ndarray
                and type(exp_avg) is _ndarray and type(exp_avg_sq) is _ndarray
                and ((dtype := param.dtype) is _F32 or dtype is _F64)
                and grad.dtype is dtype and exp_avg.dtype is dtype and exp_avg_sq.dtype is dtype
                and grad.shape == param.shape and exp_avg.shape == param.shape and exp_avg_sq.shape == param.shape
                and grad is not param and exp_avg is not param and exp_avg is not grad
                and exp_avg_sq is not param and exp_avg_sq is not grad and exp_avg_sq is not exp_avg
                and (f := param.flags).c_contiguous and f.writeable and f.owndata
                and (f := grad.flags).c_contiguous and f.owndata
                and (f := exp_avg.flags).c_contiguous and f.writeable and f.owndata
                and (f := exp_avg_sq.flags).c_contiguous and f.writeable and f.owndata):
            self._raw.adam_step(param.ravel(), grad.ravel(), exp_avg.ravel(), exp_avg_sq.ravel(), step, lr, beta1,
                                beta2, eps, weight_decay, decoupled_weight_decay)
            return
        # Full path.
        self._step("adam", param, grad, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq},
                   dict(lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay), step=step)

    def rmsprop_step(self, param: np.ndarray, grad: ArrayLike, square_avg: np.ndarray,
                     momentum_buffer: np.ndarray | None = None, grad_avg: np.ndarray | None = None, *,
                     lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                     momentum: float = 0.0, centered: bool = False) -> None:
        """One RMSprop step, in place (torch.optim.RMSprop's rule).

        .. math::
            g &= ∇L + λθ, \\qquad v ← α v + (1 − α) g^2 \\\\
            \\tilde v &= v − \\bar g^2 \\text{ with } \\bar g ← α \\bar g + (1 − α) g
                \\text{ (centered)}, \\qquad \\tilde v = v \\text{ (otherwise)} \\\\
            b &← μ b + g / (\\sqrt{\\tilde v} + ε),\\; θ ← θ − η b \\text{ (momentum μ > 0)};
                \\qquad θ ← θ − η g / (\\sqrt{\\tilde v} + ε) \\text{ (otherwise)}

        ``momentum_buffer`` is needed only when momentum > 0, ``grad_avg`` only when centered.
        Returns None.

        Non-finite values: the update is computed element by element as written above, in the
        arrays' dtype, so NaN/±inf in ``param``, ``grad`` or the state propagate by IEEE rules at
        that element only (inf − inf and 0·inf are NaN, x/inf is 0); the term λθ is added only when
        ``weight_decay`` ≠ 0, so an infinite θ with no weight decay stays infinite; centered, a
        negative v − ḡ² gives sqrt = NaN.

        Parameters
        ----------
        param : float array, C-contiguous and writable, updated in place
        grad : float array of param's shape and dtype
        square_avg, momentum_buffer, grad_avg : arrays like param (v, b, ḡ), updated in place
        lr : float, default=1e-2
        alpha : float, default=0.99
        eps : float, default=1e-8
        weight_decay : float, default=0.0
        momentum : float, default=0.0
        centered : bool, default=False

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import rmsprop_step
        >>> p, v = np.array([1.0]), np.zeros(1)
        >>> rmsprop_step(p, np.array([1.0]), v, lr=0.01, backend="numpy")
        >>> np.round(p, 4), np.round(v, 4)
        (array([0.9]), array([0.01]))
        """
        self._step("rmsprop", param, grad,
                   {"square_avg": square_avg, "momentum_buffer": momentum_buffer, "grad_avg": grad_avg},
                   dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered))

    def adagrad_step(self, param: np.ndarray, grad: ArrayLike, sum: np.ndarray, *, step: int, lr: float = 1e-2,
                     lr_decay: float = 0.0, weight_decay: float = 0.0, eps: float = 1e-10) -> None:
        """One AdaGrad step, in place (torch.optim.Adagrad's rule).

        .. math::
            \\tilde η = η / (1 + (t − 1) \\, \\text{lr\\_decay}), \\quad g = ∇L + λθ, \\quad
            s ← s + g^2, \\quad θ ← θ − \\tilde η \\, g / (\\sqrt{s} + ε)

        ``sum`` is the accumulator s (torch's state key), ``step`` the 1-based t. Returns None.

        Non-finite values: the update is computed element by element as written above, in the
        arrays' dtype, so NaN/±inf in ``param``, ``grad`` or the state propagate by IEEE rules at
        that element only (inf − inf and 0·inf are NaN, x/inf is 0); the term λθ is added only when
        ``weight_decay`` ≠ 0, so an infinite θ with no weight decay stays infinite.

        Parameters
        ----------
        param : float array, C-contiguous and writable, updated in place
        grad : float array of param's shape and dtype
        sum : array like param, updated in place
        step : int ≥ 1
        lr : float, default=1e-2
        lr_decay : float, default=0.0
        weight_decay : float, default=0.0
        eps : float, default=1e-10

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import adagrad_step
        >>> p, s = np.array([1.0]), np.zeros(1)
        >>> adagrad_step(p, np.array([2.0]), s, step=1, lr=0.1, backend="numpy")
        >>> np.round(p, 4), s
        (array([0.9]), array([4.]))
        """
        self._step("adagrad", param, grad, {"sum": sum},
                   dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps), step=step)

    def adadelta_step(self, param: np.ndarray, grad: ArrayLike, square_avg: np.ndarray, acc_delta: np.ndarray, *,
                      lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        """One AdaDelta step, in place (torch.optim.Adadelta's rule).

        .. math::
            g = ∇L + λθ, \\quad v ← ρ v + (1 − ρ) g^2, \\quad
            Δ = \\frac{\\sqrt{u + ε}}{\\sqrt{v + ε}} g, \\quad u ← ρ u + (1 − ρ) Δ^2, \\quad θ ← θ − η Δ

        Returns None.

        Non-finite values: the update is computed element by element as written above, in the
        arrays' dtype, so NaN/±inf in ``param``, ``grad`` or the state propagate by IEEE rules at
        that element only (inf − inf and 0·inf are NaN, x/inf is 0); the term λθ is added only when
        ``weight_decay`` ≠ 0, so an infinite θ with no weight decay stays infinite; an infinite v
        with finite u gives Δ = 0 (a true division by sqrt(inf)).

        Parameters
        ----------
        param : float array, C-contiguous and writable, updated in place
        grad : float array of param's shape and dtype
        square_avg, acc_delta : arrays like param (v and u), updated in place
        lr : float, default=1.0
        rho : float, default=0.9
        eps : float, default=1e-6
        weight_decay : float, default=0.0

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import adadelta_step
        >>> p, v, u = np.array([1.0]), np.zeros(1), np.zeros(1)
        >>> adadelta_step(p, np.array([1.0]), v, u, backend="numpy")
        >>> np.round(p, 4)
        array([0.9968])
        """
        self._step("adadelta", param, grad, {"square_avg": square_avg, "acc_delta": acc_delta},
                   dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def rprop_step(self, param: np.ndarray, grad: ArrayLike, prev: np.ndarray, step_size: np.ndarray, *,
                   etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50.0)) -> None:
        """One Rprop step, in place (torch.optim.Rprop's rule).

        With s = sign(g · g_prev): the per-element step size is multiplied by η+ where s > 0 and
        by η− where s < 0, then clipped to ``step_sizes``; where s < 0 the gradient is taken as 0;
        θ ← θ − sign(g) · step_size; g_prev ← g. ``step_size`` starts filled with the learning
        rate, ``prev`` with zeros (torch's state keys). Returns None.

        Non-finite values (as ``np.sign``, ``np.where`` and ``np.clip`` give them): a NaN
        g · g_prev leaves the step size's factor at 1; the clip keeps a NaN step size NaN and
        takes ±inf to the bounds; sign(NaN) is NaN, and θ − sign(g)·step is NaN for a NaN step
        size even where g (or the zeroed g) is 0 (0·NaN); g_prev ← g keeps g's NaN/±inf.

        Parameters
        ----------
        param : float array, C-contiguous and writable, updated in place
        grad : float array of param's shape and dtype
        prev, step_size : arrays like param, updated in place
        etas : (η−, η+), default=(0.5, 1.2)
        step_sizes : (min, max) step size, default=(1e-6, 50.0)

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.kernels import rprop_step
        >>> p, prev, size = np.array([1.0]), np.zeros(1), np.full(1, 0.01)
        >>> rprop_step(p, np.array([-3.0]), prev, size, backend="numpy")
        >>> p, prev
        (array([1.01]), array([-3.]))
        """
        self._step("rprop", param, grad, {"prev": prev, "step_size": step_size},
                   dict(etas=etas, step_sizes=step_sizes))

