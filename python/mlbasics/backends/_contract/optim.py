"""The kernel contract, family ``optim``: in-place optimizer steps (SGD, Adam/AdamW, RMSprop, AdaGrad, AdaDelta, Rprop).

Each step kernel's hyper-parameters, defaults, checks and state come from one table,
:mod:`mlbasics.backends._optim_table`; the methods below only name their arguments (so that
``help()`` shows them) and document the update rule.

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as v
from .._optim_table import OPTIMIZERS, raw_arguments
from ._fast import _F32, _F64, _ndarray

KERNELS = tuple(spec.kernel for spec in OPTIMIZERS.values())


class OptimContract:
    """The optimizer step kernels; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: object

    @staticmethod
    def _step_arrays(param, grad, optional=(), **state):
        """Check an optimizer step's arrays; return flat views.

        State arrays named in ``optional`` may be None (unused by these hyper-parameters) and stay
        None; any other state array is required.
        """
        param = v.inplace_array(param, "param")
        grad = v.float_array(grad, "grad")
        v.same_dtype("param", param, grad=grad)
        v.check_shape("grad", grad, param.shape)
        flat = {}
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

    def sgd_step(self, param, grad, momentum_buf=None, *, lr, momentum=0.0, dampening=0.0,
                 weight_decay=0.0, nesterov=False, first_step=False):
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
            self._raw.sgd_step(param.ravel(), grad.ravel(), None if momentum == 0 else momentum_buf.ravel(),
                               lr, momentum, dampening, weight_decay, nesterov, first_step)
            return
        # Full path.
        self._step("sgd", param, grad, {"momentum_buf": momentum_buf},
                   dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov),
                   first_step=first_step)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, *, step, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                  weight_decay=0.0, decoupled_weight_decay=False):
        """One Adam (or AdamW) step, in place (torch.optim.Adam / AdamW's rule).

        .. math::
            θ &← θ (1 − η λ) \\text{ and } g = ∇L \\quad\\text{(decoupled, AdamW)}, \\qquad
                g = ∇L + λθ \\quad\\text{(otherwise)} \\\\
            m &← β_1 m + (1 − β_1) g, \\qquad v ← β_2 v + (1 − β_2) g^2 \\\\
            θ &← θ − η \\, \\hat m / (\\sqrt{\\hat v} + ε), \\quad \\hat m = m/(1 − β_1^t),\\;
                \\hat v = v/(1 − β_2^t)

        ``step`` is t, the 1-based number of this update. Returns None.
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

    def rmsprop_step(self, param, grad, square_avg, momentum_buffer=None, grad_avg=None, *, lr=1e-2,
                     alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        """One RMSprop step, in place (torch.optim.RMSprop's rule).

        .. math::
            g &= ∇L + λθ, \\qquad v ← α v + (1 − α) g^2 \\\\
            \\tilde v &= v − \\bar g^2 \\text{ with } \\bar g ← α \\bar g + (1 − α) g
                \\text{ (centered)}, \\qquad \\tilde v = v \\text{ (otherwise)} \\\\
            b &← μ b + g / (\\sqrt{\\tilde v} + ε),\\; θ ← θ − η b \\text{ (momentum μ > 0)};
                \\qquad θ ← θ − η g / (\\sqrt{\\tilde v} + ε) \\text{ (otherwise)}

        ``momentum_buffer`` is needed only when momentum > 0, ``grad_avg`` only when centered.
        """
        self._step("rmsprop", param, grad,
                   {"square_avg": square_avg, "momentum_buffer": momentum_buffer, "grad_avg": grad_avg},
                   dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered))

    def adagrad_step(self, param, grad, sum, *, step, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10):
        """One AdaGrad step, in place (torch.optim.Adagrad's rule).

        .. math::
            \\tilde η = η / (1 + (t − 1) \\, \\text{lr\\_decay}), \\quad g = ∇L + λθ, \\quad
            s ← s + g^2, \\quad θ ← θ − \\tilde η \\, g / (\\sqrt{s} + ε)

        ``sum`` is the accumulator s (torch's state key), ``step`` the 1-based t.
        """
        self._step("adagrad", param, grad, {"sum": sum},
                   dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps), step=step)

    def adadelta_step(self, param, grad, square_avg, acc_delta, *, lr=1.0, rho=0.9, eps=1e-6,
                      weight_decay=0.0):
        """One AdaDelta step, in place (torch.optim.Adadelta's rule).

        .. math::
            g = ∇L + λθ, \\quad v ← ρ v + (1 − ρ) g^2, \\quad
            Δ = \\frac{\\sqrt{u + ε}}{\\sqrt{v + ε}} g, \\quad u ← ρ u + (1 − ρ) Δ^2, \\quad θ ← θ − η Δ
        """
        self._step("adadelta", param, grad, {"square_avg": square_avg, "acc_delta": acc_delta},
                   dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def rprop_step(self, param, grad, prev, step_size, *, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
        """One Rprop step, in place (torch.optim.Rprop's rule).

        With s = sign(g · g_prev): the per-element step size is multiplied by η+ where s > 0 and
        by η− where s < 0, then clipped to ``step_sizes``; where s < 0 the gradient is taken as 0;
        θ ← θ − sign(g) · step_size; g_prev ← g. ``step_size`` starts filled with the learning
        rate, ``prev`` with zeros (torch's state keys).
        """
        self._step("rprop", param, grad, {"prev": prev, "step_size": step_size},
                   dict(etas=etas, step_sizes=step_sizes))

