"""The optimizer table: every optimizer step kernel's hyper-parameters and state, written once.

Every Python layer reads this table — the contract (argument checks of the ``*_step`` kernels and
of ``mlp_epoch``), the NumPy and Numba backends (the order in which their raw kernels take the
arguments) and the optimizer classes of :mod:`mlbasics.optim` (defaults and checks). The C++
library declares the same rows once in ``cpp/include/mlbasics/mlp.hpp`` (X-macro lists of the
``OptimizerConfig`` fields and state slots, and ``kOptimizerKinds``), and
``tests/test_optim_table.py`` checks through ``_core.optimizer_schema()`` that the two agree. Adding an optimizer is one row here, one
row there, and its kernels.

A row lists the *raw* hyper-parameters — the fields of the C++ ``OptimizerConfig`` — in the order
the raw kernels take them, after the param, the grad, the state arrays and (when ``takes_step``)
the 1-based update number t. A public keyword can pack two raw fields (Rprop's ``etas`` is
``(etaminus, etaplus)``).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .._validation import Interval, check_param

#: The default of a hyper-parameter the caller must give (the learning rate of SGD and Adam).
REQUIRED: Any = type("REQUIRED", (), {"__repr__": lambda self: "REQUIRED"})()

_NONNEG = Interval(numbers.Real, 0, None)
_REAL = Interval(numbers.Real)
_UNIT_OPEN_RIGHT = Interval(numbers.Real, 0, 1, closed="left")


@dataclass(frozen=True)
class Hyper:
    """One raw hyper-parameter: its name (a field of the C++ ``OptimizerConfig``), its default and
    its constraint (:mod:`mlbasics._validation` entries). ``label`` names it in messages when the
    public keyword differs (``etas[0]`` for ``etaminus``)."""

    name: str
    default: Any
    constraint: tuple
    label: str = ""


@dataclass(frozen=True)
class OptimizerKernel:
    """One row of the table."""

    name: str
    hyper: tuple[Hyper, ...]
    state: tuple[str, ...]
    #: Which state slots these (checked, raw) hyper-parameters read and write; the rest may be None.
    needs: Callable[[Mapping[str, Any]], Mapping[str, bool]] = field(default=lambda h: {})
    takes_step: bool = False
    takes_first_step: bool = False
    #: Public keywords that pack raw fields: {"etas": ("etaminus", "etaplus")}.
    pairs: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: Checks across fields (after each field passed its own constraint); raises ValueError.
    check: Callable[[Mapping[str, Any]], None] = field(default=lambda h: None)

    @property
    def kernel(self) -> str:
        """The kernel's name in the contract and in every raw backend (``sgd_step``)."""
        return f"{self.name}_step"

    def public_defaults(self) -> dict[str, Any]:
        """The step kernel's keyword hyper-parameters and their defaults (pairs packed)."""
        packed = {raw: public for public, pair in self.pairs.items() for raw in pair}
        out: dict[str, Any] = {}
        for h in self.hyper:
            public = packed.get(h.name)
            if public is None:
                out[h.name] = h.default
            elif public not in out:
                out[public] = tuple(next(x.default for x in self.hyper if x.name == r) for r in self.pairs[public])
        return out

    def raw_hyper(self, hyper: Mapping[str, Any], *, where: str = "hyper",
                  fixed: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Check public keyword hyper-parameters; return every raw field, in the table's order, as
        float or bool. Missing keywords take their defaults; ``fixed`` raw fields are set, not
        taken from the caller (AdamW's ``decoupled_weight_decay``)."""
        fixed = dict(fixed or {})
        known = set(self.public_defaults()) - set(fixed)
        unknown = sorted(set(hyper) - known)
        if unknown:
            raise ValueError(f"{where}: unknown hyper-parameters {unknown} for {self.name!r}; expected some of "
                             f"{sorted(known)}")
        given = dict(self.public_defaults(), **hyper)
        flat: dict[str, Any] = {}
        labels: dict[str, str] = {}
        for public, value in given.items():
            pair = self.pairs.get(public)
            if pair is None:
                flat[public] = value
                continue
            if not (isinstance(value, (tuple, list)) and len(value) == 2):
                raise TypeError(f"{public}: expected a pair {pair}, got {value!r}")
            for i, raw in enumerate(pair):
                flat[raw] = value[i]
                labels[raw] = f"{public}[{i}]"
        flat.update(fixed)
        out: dict[str, Any] = {}
        for h in self.hyper:
            value = flat[h.name]
            label = labels.get(h.name) or h.label or h.name
            if value is REQUIRED:
                raise ValueError(f"{where}: {self.name!r} needs {label!r}")
            check_param(label, value, h.constraint)
            out[h.name] = bool(value) if "boolean" in h.constraint else float(value)
        self.check(out)
        return out

    def needed_state(self, raw: Mapping[str, Any]) -> dict[str, bool]:
        """For each state slot, whether these raw hyper-parameters use it."""
        needs = self.needs(raw)
        return {slot: bool(needs.get(slot, True)) for slot in self.state}


def _check_nesterov(h: Mapping[str, Any]) -> None:
    if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
        raise ValueError("nesterov: requires momentum > 0 and dampening = 0")


def _check_step_sizes(h: Mapping[str, Any]) -> None:
    if h["step_size_max"] < h["step_size_min"]:
        raise ValueError(f"step_sizes[1]: expected a value >= step_sizes[0] = {h['step_size_min']!r}, "
                         f"got {h['step_size_max']!r}")


def _lr(default: Any) -> Hyper:
    return Hyper("lr", default, (_NONNEG,))


_WEIGHT_DECAY = Hyper("weight_decay", 0.0, (_NONNEG,))

OPTIMIZERS: dict[str, OptimizerKernel] = {k.name: k for k in (
    OptimizerKernel(
        "sgd",
        (_lr(REQUIRED), Hyper("momentum", 0.0, (_NONNEG,)), Hyper("dampening", 0.0, (_REAL,)), _WEIGHT_DECAY,
         Hyper("nesterov", False, ("boolean",))),
        ("momentum_buffer",), needs=lambda h: {"momentum_buffer": h["momentum"] != 0},
        takes_first_step=True, check=_check_nesterov),
    OptimizerKernel(
        "adam",
        (_lr(REQUIRED), Hyper("beta1", 0.9, (_UNIT_OPEN_RIGHT,)), Hyper("beta2", 0.999, (_UNIT_OPEN_RIGHT,)),
         Hyper("eps", 1e-8, (_NONNEG,)), _WEIGHT_DECAY, Hyper("decoupled_weight_decay", False, ("boolean",))),
        ("exp_avg", "exp_avg_sq"), takes_step=True),
    OptimizerKernel(
        "rmsprop",
        (_lr(1e-2), Hyper("alpha", 0.99, (_NONNEG,)), Hyper("eps", 1e-8, (_NONNEG,)), _WEIGHT_DECAY,
         Hyper("momentum", 0.0, (_NONNEG,)), Hyper("centered", False, ("boolean",))),
        ("square_avg", "momentum_buffer", "grad_avg"),
        needs=lambda h: {"momentum_buffer": h["momentum"] > 0, "grad_avg": h["centered"]}),
    OptimizerKernel(
        "adagrad",
        (_lr(1e-2), Hyper("lr_decay", 0.0, (_NONNEG,)), _WEIGHT_DECAY, Hyper("eps", 1e-10, (_NONNEG,))),
        ("sum",), takes_step=True),
    OptimizerKernel(
        "adadelta",
        (_lr(1.0), Hyper("rho", 0.9, (Interval(numbers.Real, 0, 1),)), Hyper("eps", 1e-6, (_NONNEG,)),
         _WEIGHT_DECAY),
        ("square_avg", "acc_delta")),
    OptimizerKernel(
        "rprop",
        (Hyper("etaminus", 0.5, (Interval(numbers.Real, 0, 1, closed="neither"),)),
         Hyper("etaplus", 1.2, (Interval(numbers.Real, 1, None, closed="neither"),)),
         Hyper("step_size_min", 1e-6, (_NONNEG,)), Hyper("step_size_max", 50.0, (_NONNEG,))),
        ("prev", "step_size"), pairs={"etas": ("etaminus", "etaplus"), "step_sizes": ("step_size_min", "step_size_max")},
        check=_check_step_sizes),
)}

#: Names ``mlp_epoch`` takes for its ``optimizer``: every row, and AdamW (Adam with decoupled decay).
FUSED_OPTIMIZERS: dict[str, tuple[str, dict[str, Any]]] = {
    **{name: (name, {}) for name in OPTIMIZERS},
    "adamw": ("adam", {"decoupled_weight_decay": True}),
}


def table_constraint(kind: str, name: str) -> tuple:
    """The constraint of raw hyper-parameter ``name`` in row ``kind`` (for tables that reuse it)."""
    return next(h.constraint for h in OPTIMIZERS[kind].hyper if h.name == name)


def raw_arguments(kind: str, params: Any, grads: Any, state: Mapping[str, Any], raw: Mapping[str, Any],
                  step: int, first_step: bool) -> tuple:
    """The positional arguments of raw kernel ``<kind>_step`` in the table's order."""
    spec = OPTIMIZERS[kind]
    args = [params, grads, *(state.get(slot) for slot in spec.state)]
    if spec.takes_step:
        args.append(step)
    args.extend(raw[h.name] for h in spec.hyper)
    if spec.takes_first_step:
        args.append(first_step)
    return tuple(args)
