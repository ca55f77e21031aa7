"""Learning-rate schedules for :mod:`mlbasics.optim` (torch.optim.lr_scheduler's names).

A scheduler rewrites ``group["lr"]`` of every parameter group of its optimizer. It is created
after the optimizer and stepped once per epoch, after the optimizer's steps::

    for epoch in range(n_epochs):
        for batch in batches:
            opt.step(grads(batch))
        sched.step()

t = ``last_epoch`` counts the calls of :meth:`~LRScheduler.step` (construction sets t = 0 and
the learning rate to its value at t = 0); η₀ is the group's learning rate when the scheduler
was created (``base_lrs``, also stored in the group as ``"initial_lr"``). Every schedule is
computed from its closed form in t, so it does not drift and can be resumed from any epoch.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

from .._validation import InstanceOf, Interval, validate_params
from ._optimizers import Optimizer

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "InverseTimeLR"]


class LRScheduler:
    """Base class: keeps ``base_lrs`` and ``last_epoch`` and writes the closed form into the groups.

    Construction calls :meth:`step` once, setting t = 0 and the learning rates to their values
    at t = 0.

    Parameters
    ----------
    optimizer : Optimizer
        The :mod:`mlbasics.optim` optimizer whose learning rates to set.
    last_epoch : int, default -1
        -1 starts a new schedule (and stores each group's ``"initial_lr"``); t ≥ 0 resumes one
        whose groups already hold ``"initial_lr"`` (the first :meth:`step` then sets t + 1).

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        η₀ of every parameter group.
    last_epoch : int
        t, the number of :meth:`step` calls (0 after construction).
    """

    #: What each constructor argument may be (see :mod:`mlbasics._validation`); subclasses extend it.
    _parameter_constraints: dict[str, Any] = {
        "optimizer": [InstanceOf(Optimizer, "an mlbasics.optim optimizer")],
        "last_epoch": [Interval(numbers.Integral, -1, None)],
    }

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        validate_params({"optimizer": optimizer, "last_epoch": last_epoch}, self._parameter_constraints)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"param_groups[{i}]: 'initial_lr' is not set; it is needed to resume a schedule "
                                   "(last_epoch != -1)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self.step()

    def _lr_at(self, base_lr: float, t: int) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """The learning rates of the schedule at t = ``last_epoch``.

        Returns
        -------
        lrs : list of float
            One per parameter group.
        """
        return [self._lr_at(base, self.last_epoch) for base in self.base_lrs]

    def step(self) -> None:
        """Advance t by one and set every group's ``"lr"`` to the schedule's value at t.

        Returns
        -------
        None
            The optimizer's ``param_groups`` change in place.
        """
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last :meth:`step` (one per parameter group).

        Returns
        -------
        lrs : list of float
        """
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer: ``last_epoch``, ``base_lrs``, the hyper-parameters.

        Returns
        -------
        state_dict : dict
            Attribute name → value (lists copied); :meth:`load_state_dict` takes it back.
        """
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (the optimizer's learning rates are not touched).

        Parameters
        ----------
        state_dict : dict
            As returned by :meth:`state_dict` of a scheduler of this class over as many
            parameter groups.

        Returns
        -------
        None

        Raises
        ------
        ValueError
            If the dict is not such a snapshot.
        """
        if not isinstance(state_dict, dict) or "last_epoch" not in state_dict or "base_lrs" not in state_dict:
            raise ValueError("state_dict: expected a dict from LRScheduler.state_dict() with 'last_epoch' and "
                             "'base_lrs'")
        if len(state_dict["base_lrs"]) != len(self.optimizer.param_groups):
            raise ValueError(f"state_dict: has {len(state_dict['base_lrs'])} base_lrs, the optimizer has "
                             f"{len(self.optimizer.param_groups)} parameter groups")
        unknown = set(state_dict) - set(self.__dict__)
        if unknown:
            raise ValueError(f"state_dict: unknown entries {sorted(unknown)} for {type(self).__name__}")
        self.__dict__.update({k: (list(v) if isinstance(v, list) else v) for k, v in state_dict.items()})


_POSITIVE = Interval(numbers.Real, 0, None, closed="right")


class StepLR(LRScheduler):
    r"""Decay by ``gamma`` every ``step_size`` epochs: :math:`η_t = η_0 \, γ^{\lfloor t / s \rfloor}`.

    Parameters
    ----------
    optimizer : Optimizer
        The :mod:`mlbasics.optim` optimizer whose learning rates to set.
    step_size : int ≥ 1
        s, the number of epochs between two decays.
    gamma : float > 0, default=0.1
        γ, the factor of each decay.
    last_epoch : int, default -1
        -1 starts a new schedule (and stores each group's ``"initial_lr"``); t ≥ 0 resumes one
        whose groups already hold ``"initial_lr"`` (the first :meth:`step` then sets t + 1).

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        η₀ of every parameter group.
    last_epoch : int
        t, the number of :meth:`step` calls (0 after construction).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.optim import SGD
    >>> from mlbasics.optim.lr_scheduler import StepLR
    >>> opt = SGD([np.zeros(1)], lr=1.0, backend="numpy")
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(sched.get_last_lr()[0])
    ...     sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    _parameter_constraints = {**LRScheduler._parameter_constraints,
                              "step_size": [Interval(numbers.Integral, 1, None)], "gamma": [_POSITIVE]}

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        validate_params({"step_size": step_size, "gamma": gamma}, self._parameter_constraints)
        self.step_size = int(step_size)
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    r"""Decay by ``gamma`` every epoch: :math:`η_t = η_0 \, γ^t`.

    Parameters
    ----------
    optimizer : Optimizer
        The :mod:`mlbasics.optim` optimizer whose learning rates to set.
    gamma : float > 0
        γ, the factor applied every epoch.
    last_epoch : int, default -1
        -1 starts a new schedule (and stores each group's ``"initial_lr"``); t ≥ 0 resumes one
        whose groups already hold ``"initial_lr"`` (the first :meth:`step` then sets t + 1).

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        η₀ of every parameter group.
    last_epoch : int
        t, the number of :meth:`step` calls (0 after construction).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.optim import SGD
    >>> from mlbasics.optim.lr_scheduler import ExponentialLR
    >>> opt = SGD([np.zeros(1)], lr=1.0, backend="numpy")
    >>> sched = ExponentialLR(opt, gamma=0.9)
    >>> sched.step(); sched.step()
    >>> round(opt.param_groups[0]["lr"], 4)
    0.81
    """

    _parameter_constraints = {**LRScheduler._parameter_constraints, "gamma": [_POSITIVE]}

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        validate_params({"gamma": gamma}, self._parameter_constraints)
        self.gamma = float(gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr * self.gamma ** t


class CosineAnnealingLR(LRScheduler):
    r"""Cosine annealing from η₀ down to ``eta_min`` over ``T_max`` epochs.

    .. math::
        η_t = η_{\min} + \tfrac12 (η_0 − η_{\min}) \left(1 + \cos\frac{π t}{T_{\max}}\right)

    This closed form gives the values torch documents (its recursive implementation equals it
    for t ≤ T_max); beyond T_max it continues as a cosine of period 2·T_max, rising back
    towards η₀, as torch's schedule does.

    Parameters
    ----------
    optimizer : Optimizer
        The :mod:`mlbasics.optim` optimizer whose learning rates to set.
    T_max : int ≥ 1
        The epoch at which η reaches ``eta_min``.
    eta_min : float ≥ 0, default=0
        η_min, the smallest learning rate.
    last_epoch : int, default -1
        -1 starts a new schedule (and stores each group's ``"initial_lr"``); t ≥ 0 resumes one
        whose groups already hold ``"initial_lr"`` (the first :meth:`step` then sets t + 1).

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        η₀ of every parameter group.
    last_epoch : int
        t, the number of :meth:`step` calls (0 after construction).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.optim import SGD
    >>> from mlbasics.optim.lr_scheduler import CosineAnnealingLR
    >>> opt = SGD([np.zeros(1)], lr=1.0, backend="numpy")
    >>> sched = CosineAnnealingLR(opt, T_max=4)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(round(sched.get_last_lr()[0], 4))
    ...     sched.step()
    >>> lrs
    [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """

    _parameter_constraints = {**LRScheduler._parameter_constraints,
                              "T_max": [Interval(numbers.Integral, 1, None)],
                              "eta_min": [Interval(numbers.Real, 0, None)]}

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0, last_epoch: int = -1) -> None:
        validate_params({"T_max": T_max, "eta_min": eta_min}, self._parameter_constraints)
        self.T_max = int(T_max)
        self.eta_min = float(eta_min)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr: float, t: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class InverseTimeLR(LRScheduler):
    r"""The course's inverse time decay: :math:`ε_t = ε_0 / (1 + \text{decay} \cdot t)`.

    ``decay=0`` keeps the rate constant; for large t the rate falls like c/t with c = ε₀/decay,
    the course's "e.g. ε_t = c/t".

    Parameters
    ----------
    optimizer : Optimizer
        The :mod:`mlbasics.optim` optimizer whose learning rates to set.
    decay : float ≥ 0
        The decay rate of the denominator.
    last_epoch : int, default -1
        -1 starts a new schedule (and stores each group's ``"initial_lr"``); t ≥ 0 resumes one
        whose groups already hold ``"initial_lr"`` (the first :meth:`step` then sets t + 1).

    Attributes
    ----------
    optimizer : Optimizer
    base_lrs : list of float
        η₀ of every parameter group.
    last_epoch : int
        t, the number of :meth:`step` calls (0 after construction).

    Examples
    --------
    >>> import numpy as np
    >>> from mlbasics.optim import SGD
    >>> from mlbasics.optim.lr_scheduler import InverseTimeLR
    >>> opt = SGD([np.zeros(1)], lr=1.0, backend="numpy")
    >>> sched = InverseTimeLR(opt, decay=0.5)
    >>> for epoch in range(4):
    ...     sched.step()
    >>> sched.get_last_lr()  # ε₀ / (1 + 0.5 · 4)
    [0.3333333333333333]
    """

    _parameter_constraints = {**LRScheduler._parameter_constraints, "decay": [Interval(numbers.Real, 0, None)]}

    def __init__(self, optimizer: Optimizer, decay: float, last_epoch: int = -1) -> None:
        validate_params({"decay": decay}, self._parameter_constraints)
        self.decay = float(decay)
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr: float, t: int) -> float:
        return base_lr / (1 + self.decay * t)
