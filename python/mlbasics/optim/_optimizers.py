"""Optimizers over lists of NumPy arrays, updated in place by the backend's step kernels.

Each class follows torch.optim's optimizer of the same name: the same update rule, parameter
names, defaults, hyper-parameter checks and state names (``momentum_buffer``, ``exp_avg``,
``exp_avg_sq``, ``square_avg``, ``grad_avg``, ``sum``, ``acc_delta``, ``prev``, ``step_size``).
The differences are those of a NumPy library:

* ``step(grads)`` receives the gradients as a list of arrays, one per parameter and in the
  order of the parameters (``None`` skips that parameter for this step, as a tensor without
  ``.grad`` is skipped by torch); there is no closure.
* ``state`` is keyed by the parameter's position (0, 1, ... across all groups), the same key
  torch uses in ``state_dict()``.
* ``backend=`` chooses the kernels (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).

Notation in the docstrings: θ a parameter, g its gradient ∇L, η ``lr``, λ ``weight_decay``,
t the 1-based number of the update. In the course's notation the learning rate is ε and the
momentum rule is V ← μV + (1 − μ)∇L, W ← W − εV: that is ``SGD(momentum=μ, dampening=μ)``
(torch and this class start the buffer at b₁ = g rather than (1 − μ)g). The course's L2 term
λΣW² added to the loss has gradient 2λW, i.e. ``weight_decay=2λ``.
"""
from __future__ import annotations

import copy
import numbers
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from .._validation import Interval, Pair, check_param, validate_params
from ..backends import BACKEND_CONSTRAINT, get_backend
from ..backends._optim_table import OPTIMIZERS, table_constraint

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Rprop"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

#: What an optimizer's ``params`` may be: arrays, or parameter-group dicts with a "params" list.
ParamsLike = Iterable[Union[np.ndarray, dict[str, Any]]]


# ------------------------------------------------------------------ argument checks
def _check_param(p: Any, name: str) -> np.ndarray:
    if not isinstance(p, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray (updated in place), got {type(p).__name__}")
    if p.dtype not in _FLOATS:
        raise TypeError(f"{name}: expected a float32 or float64 array, got dtype {p.dtype}")
    if not p.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array (it is updated in place)")
    if not p.flags.writeable:
        raise ValueError(f"{name}: array is read-only, but it is updated in place")
    return p


def _as_groups(params: Any) -> list[dict[str, Any]]:
    """``params`` → list of group dicts, each with a list of checked arrays under "params"."""
    if isinstance(params, np.ndarray):
        raise TypeError("params: expected a list of arrays (or of dicts with a 'params' list), got a single "
                        "ndarray; wrap it in a list: [array]")
    if isinstance(params, (str, bytes, dict)) or not hasattr(params, "__iter__"):
        raise TypeError(f"params: expected a list of arrays (or of parameter-group dicts), got "
                        f"{type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("params: got an empty list; the optimizer needs at least one parameter")
    if all(isinstance(p, dict) for p in params):
        groups = []
        for k, g in enumerate(params):
            if "params" not in g:
                raise ValueError(f"params[{k}]: a parameter group needs a 'params' key")
            ps = g["params"]
            ps = [ps] if isinstance(ps, np.ndarray) else list(ps)
            if not ps:
                raise ValueError(f"params[{k}]['params']: got an empty list")
            groups.append(dict(g, params=ps))
    elif any(isinstance(p, dict) for p in params):
        raise TypeError("params: expected either arrays or parameter-group dicts, not a mix")
    else:
        groups = [{"params": params}]
    everything: list[np.ndarray] = []
    for gi, g in enumerate(groups):
        for j, p in enumerate(g["params"]):
            name = f"params[{len(everything)}]" if len(groups) == 1 else f"params[{gi}]['params'][{j}]"
            _check_param(p, name)
            for q in everything:
                if np.may_share_memory(p, q):
                    raise ValueError(f"{name}: shares memory with another parameter; each parameter must be "
                                     "a separate array (updated in place)")
            everything.append(p)
    return groups


# ------------------------------------------------------------------ base class
class Optimizer:
    """Base class: parameter groups, lazily created per-parameter state, state_dict round trip.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: ``"params"`` (the arrays) and the hyper-parameters (``"lr"``, ...).
        Learning-rate schedulers change ``group["lr"]``; a change applies from the next step.
    state : dict
        ``state[i]`` holds parameter i's state arrays and its step counter ``"step"``.
    defaults : dict
        The hyper-parameters given to the constructor.

    Parameters
    ----------
    params : list of ndarray or of dict
        The arrays to optimize (float32/float64, C-contiguous, writable, updated in place), or
        parameter groups: dicts with a ``"params"`` list and hyper-parameters that override
        ``defaults`` for those arrays.
    defaults : dict
        The hyper-parameters of every group (subclasses pass their constructor's arguments).
    backend : str, default "auto"
        Kernel backend (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).
    """

    #: The row of the optimizer table (:mod:`mlbasics.backends._optim_table`) whose step kernel this
    #: class calls: its hyper-parameter checks and state names come from there.
    _kernel: str = ""
    #: The state arrays of that kernel (set from the table for each subclass).
    _state_keys: tuple[str, ...] = ()
    #: Checks of the parameters that are not the step kernel's own keywords (e.g. Adam's ``betas``).
    _parameter_constraints: dict[str, Any] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls._kernel:
            cls._state_keys = OPTIMIZERS[cls._kernel].state

    def __init__(self, params: ParamsLike, defaults: dict[str, Any], *, backend: str = "auto") -> None:
        self.defaults = dict(defaults)
        check_param("backend", backend, BACKEND_CONSTRAINT)
        self.backend = backend  # as given ("auto" stays "auto"): resolved when a step computes
        self.state: dict[int, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        for group in _as_groups(params):
            full = dict(self.defaults)
            full.update(group)
            self._check_group(full)
            self.param_groups.append(full)

    @property
    def _kernels(self) -> Any:
        """The backend, resolved at each use (a dict lookup once loaded). A pickled optimizer holds
        only the name it was given, so it loads on any install; a backend missing there is an error
        only when a step needs it."""
        return get_backend(self.backend)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} (backend={self.backend!r})"]
        for i, g in enumerate(self.param_groups):
            hp = ", ".join(f"{k}={v!r}" for k, v in g.items() if k != "params")
            lines.append(f"  group {i}: {len(g['params'])} arrays, {hp}")
        return "\n".join(lines)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Check a parameter group's hyper-parameters: this class's own table, then the step
        kernel's checks from the optimizer table (the same ones the kernel makes)."""
        validate_params(group, self._parameter_constraints)
        OPTIMIZERS[self._kernel].raw_hyper(self._fused_hyper(group), where="param_groups")

    def _init_state(self, p: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _params(self) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
        for group in self.param_groups:
            for p in group["params"]:
                yield group, p

    def step(self, grads: Sequence[np.ndarray | None]) -> None:
        """Update every parameter in place from its gradient.

        Parameters
        ----------
        grads : list of ndarray or None
            One gradient per parameter, in the order of the parameters, each with its
            parameter's shape and dtype. ``None`` skips that parameter (its state and step
            counter are left alone).

        Returns
        -------
        None
            The parameters and the state change in place.
        """
        if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
            raise TypeError(f"grads: expected a list of arrays (one per parameter), got {type(grads).__name__}")
        n = sum(len(g["params"]) for g in self.param_groups)
        if len(grads) != n:
            raise ValueError(f"grads: expected {n} gradients (one per parameter), got {len(grads)}")
        for i, ((group, p), g) in enumerate(zip(self._params(), grads)):
            if g is None:
                continue
            if not isinstance(g, np.ndarray) or g.dtype != p.dtype or g.shape != p.shape:
                got = (f"dtype {g.dtype} and shape {g.shape}" if isinstance(g, np.ndarray)
                       else type(g).__name__)
                raise TypeError(f"grads[{i}]: expected an array of dtype {p.dtype} and shape {p.shape} "
                                f"(its parameter's), got {got}")
        for i, ((group, p), g) in enumerate(zip(self._params(), grads)):
            if g is None:
                continue
            state = self.state.get(i)
            if state is None:
                state = self.state[i] = self._init_state(p, group)
            state["step"] += 1
            self._update(p, g, state, group)

    # ----------------------------------------------------------------- fused epochs
    @property
    def _fused_kind(self) -> str:
        """Name of this optimizer for :meth:`mlbasics.backends.Backend.mlp_epoch`, which runs many
        steps in one kernel call."""
        return self._kernel

    def _fused_hyper(self, group: dict[str, Any]) -> dict[str, Any]:
        """The step kernel's keyword hyper-parameters from a group (by default, the same names)."""
        names = OPTIMIZERS[self._kernel].public_defaults()
        return {k: group[k] for k in names if k in group}

    def _fused_spec(self) -> tuple[str, dict[str, Any], dict[str, np.ndarray], int, bool] | None:
        """Hand the state of the optimizer's single parameter to a fused kernel (private).

        Returns ``(optimizer, hyper, state, step, first_step)`` — the arguments of the same names of
        :meth:`~mlbasics.backends.Backend.mlp_epoch` — after creating the state arrays exactly as
        :meth:`step` would on its next call (the kernel updates them in place), or None when there is
        not exactly one parameter. The caller must then call :meth:`_fused_advance` with the number
        of steps the kernel took.
        """
        if len(self.param_groups) != 1 or len(self.param_groups[0]["params"]) != 1:
            return None
        group = self.param_groups[0]
        p = group["params"][0]
        created = 0 not in self.state
        state = self._init_state(p, group) if created else self.state[0]
        before = {k: state[k] for k in self._state_keys if k in state}
        first = self._fused_prepare(p, state, group)
        self._fused_pending = (state, created, before)
        arrays = {k: state[k] for k in self._state_keys if state.get(k) is not None}
        return self._fused_kind, self._fused_hyper(group), arrays, state["step"], first

    def _fused_prepare(self, p: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> bool:
        """Create the state arrays that :meth:`_update` would create lazily; return ``first_step``."""
        return False

    def _fused_advance(self, n_steps: int) -> None:
        """Record ``n_steps`` steps taken by the fused kernel since :meth:`_fused_spec` (with 0, the
        state is left as it was before :meth:`_fused_spec`)."""
        state, created, before = self._fused_pending
        del self._fused_pending
        if n_steps > 0:
            state["step"] += int(n_steps)
            if created:
                self.state[0] = state
        elif not created:
            for k in self._state_keys:
                if k in before:
                    state[k] = before[k]
                else:
                    state.pop(k, None)

    # ----------------------------------------------------------------- state dicts
    def state_dict(self) -> dict[str, Any]:
        """A snapshot: ``{"state": {i: {name: array copy, "step": int}}, "param_groups": [...]}``.

        As in torch, each group lists its parameters by index (``"params": [0, 1, ...]``) beside
        its hyper-parameters; arrays are copies, so later steps do not change the snapshot.

        Returns
        -------
        state_dict : dict
            With the keys ``"state"`` and ``"param_groups"``; :meth:`load_state_dict` takes it back.

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.optim import SGD
        >>> w = np.ones(2)
        >>> opt = SGD([w], lr=0.1, momentum=0.9, backend="numpy")
        >>> opt.step([w.copy()])
        >>> sd = opt.state_dict()
        >>> sd["state"][0]["step"], sd["param_groups"][0]["params"], sd["param_groups"][0]["lr"]
        (1, [0], 0.1)
        """
        state = {i: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for i, s in self.state.items()}
        groups, start = [], 0
        for g in self.param_groups:
            d = {k: copy.deepcopy(v) for k, v in g.items() if k != "params"}
            d["params"] = list(range(start, start + len(g["params"])))
            start += len(g["params"])
            groups.append(d)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` taken from an optimizer of this class over arrays of
        the same shapes. Everything is checked before anything changes; arrays are copied (and
        cast to each parameter's dtype).

        Parameters
        ----------
        state_dict : dict
            As returned by :meth:`state_dict`.

        Returns
        -------
        None

        Raises
        ------
        ValueError
            If the snapshot does not fit this optimizer (keys, groups, parameter shapes, steps).

        Examples
        --------
        >>> import numpy as np
        >>> from mlbasics.optim import Adam
        >>> w = np.ones(2)
        >>> opt = Adam([w], lr=0.1, backend="numpy")
        >>> opt.step([w.copy()])
        >>> w2 = w.copy()
        >>> opt2 = Adam([w2], lr=0.1, backend="numpy")
        >>> opt2.load_state_dict(opt.state_dict())
        >>> opt2.state[0]["step"], np.array_equal(opt2.state[0]["exp_avg"], opt.state[0]["exp_avg"])
        (1, True)
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("state_dict: expected a dict with exactly the keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) or len(saved_groups) != len(self.param_groups):
            raise ValueError(f"state_dict: has {len(saved_groups) if isinstance(saved_groups, (list, tuple)) else '?'}"
                             f" parameter groups, this optimizer has {len(self.param_groups)}")
        params: list[tuple[Any, np.ndarray]] = []
        new_groups = []
        for k, (mine, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"state_dict: param_groups[{k}] must be a dict with a 'params' list")
            if len(saved["params"]) != len(mine["params"]):
                raise ValueError(f"state_dict: param_groups[{k}] has {len(saved['params'])} parameters, "
                                 f"this optimizer's group has {len(mine['params'])}")
            new = {kk: copy.deepcopy(vv) for kk, vv in saved.items() if kk != "params"}
            new["params"] = mine["params"]
            self._check_group(new)
            new_groups.append(new)
            params.extend(zip(saved["params"], mine["params"]))
        index = dict(params)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, dict):
            raise ValueError("state_dict: 'state' must be a dict {parameter index: state}")
        new_state: dict[int, dict[str, Any]] = {}
        position = {id(p): i for i, (_, p) in enumerate(self._params())}
        for key, s in saved_state.items():
            if key not in index:
                raise ValueError(f"state_dict: state for parameter {key!r}, which no group lists")
            p = index[key]
            if not isinstance(s, dict):
                raise ValueError(f"state_dict: state[{key!r}] must be a dict")
            unknown = set(s) - set(self._state_keys) - {"step"}
            if unknown:
                raise ValueError(f"state_dict: state[{key!r}] has unknown entries {sorted(unknown)}; "
                                 f"{type(self).__name__} keeps {sorted(self._state_keys + ('step',))}")
            step = s.get("step", 0)
            if isinstance(step, (bool, np.bool_)) or not isinstance(step, numbers.Integral) or step < 0:
                raise ValueError(f"state_dict: state[{key!r}]['step'] must be an integer >= 0, got {step!r}")
            entry: dict[str, Any] = {"step": int(step)}
            for name in self._state_keys:
                value = s.get(name)
                if value is not None:
                    arr = np.asarray(value)
                    if arr.shape != p.shape or arr.dtype.kind not in "fiu":
                        raise ValueError(f"state_dict: state[{key!r}][{name!r}] has shape {arr.shape} and dtype "
                                         f"{arr.dtype}; the parameter has shape {p.shape}")
                    value = np.array(arr, dtype=p.dtype, order="C", copy=True)
                entry[name] = value
            new_state[position[id(p)]] = entry
        self.param_groups = new_groups
        self.state = new_state


# ------------------------------------------------------------------ SGD
class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum (torch.optim.SGD's rule).

    .. math::
        g_t &= ∇L(θ_{t-1}) + λ θ_{t-1} \\
        b_1 &= g_1, \qquad b_t = μ b_{t-1} + (1 − τ) g_t \quad (t > 1,\ μ ≠ 0) \\
        d_t &= g_t + μ b_t \ \text{(nesterov)}, \qquad d_t = b_t \ \text{(μ ≠ 0)}, \qquad d_t = g_t \ (μ = 0) \\
        θ_t &= θ_{t-1} − η d_t

    with μ = ``momentum``, τ = ``dampening``, λ = ``weight_decay``, η = ``lr``.

    The course's momentum V ← μV + (1 − μ)∇L, W ← W − εV is ``momentum=μ, dampening=μ, lr=ε``
    (up to the first step, where b₁ = g); its L2 term λΣW² is ``weight_decay=2λ``.
    scikit-learn's MLP update v ← μv − ηg, θ ← θ + v is ``dampening=0`` with v = −ηb: the same
    trajectory while η is constant.

    Parameters
    ----------
    params : list of ndarray (float32/float64, C-contiguous, writable) or of group dicts
        The arrays to optimize, updated in place; a group dict holds ``"params"`` and may
        override any hyper-parameter for its arrays.
    lr : float, default 1e-3
        η ≥ 0.
    momentum : float, default 0
        μ ≥ 0.
    dampening : float, default 0
        τ.
    weight_decay : float, default 0
        λ ≥ 0.
    nesterov : bool, default False
        Nesterov momentum; requires ``momentum > 0`` and ``dampening == 0``.
    backend : str, default "auto"
        Kernel backend (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).

    Attributes
    ----------
    param_groups, state, defaults : see :class:`Optimizer`

    State: ``momentum_buffer`` (None while momentum is 0), ``step``.

    Examples
    --------
    Minimize L(θ) = ½‖θ‖², whose gradient is θ itself:

    >>> import numpy as np
    >>> from mlbasics.optim import SGD
    >>> w = np.array([1.0, -2.0])
    >>> opt = SGD([w], lr=0.1, backend="numpy")
    >>> opt.step([w.copy()])
    >>> w
    array([ 0.9, -1.8])
    """

    _kernel = "sgd"

    def __init__(self, params: ParamsLike, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, backend: str = "auto") -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov), backend=backend)

    def _init_state(self, p, group):
        return {"step": 0, "momentum_buffer": None}

    def _fused_prepare(self, p, state, group):
        if group["momentum"] != 0 and state["momentum_buffer"] is None:
            state["momentum_buffer"] = np.empty_like(p)
            return True
        return False

    def _update(self, p, g, state, group):
        buf = state["momentum_buffer"]
        first = False
        if group["momentum"] != 0 and buf is None:
            buf = state["momentum_buffer"] = np.empty_like(p)
            first = True
        self._kernels.sgd_step(p, g, buf if group["momentum"] != 0 else None, lr=group["lr"],
                               momentum=group["momentum"], dampening=group["dampening"],
                               weight_decay=group["weight_decay"], nesterov=group["nesterov"], first_step=first)


# ------------------------------------------------------------------ Adam / AdamW
class Adam(Optimizer):
    r"""Adam (torch.optim.Adam's rule, without amsgrad).

    .. math::
        g_t &= ∇L(θ_{t-1}) + λ θ_{t-1} \\
        m_t &= β_1 m_{t-1} + (1 − β_1) g_t, \qquad v_t = β_2 v_{t-1} + (1 − β_2) g_t^2 \\
        \hat m_t &= m_t / (1 − β_1^t), \qquad \hat v_t = v_t / (1 − β_2^t) \\
        θ_t &= θ_{t-1} − η \, \hat m_t / (\sqrt{\hat v_t} + ε)

    with m₀ = v₀ = 0, (β₁, β₂) = ``betas``, ε = ``eps``. Here λ (``weight_decay``) is an L2
    term added to the gradient: the course's λΣW² is ``weight_decay=2λ``. For decoupled decay
    use :class:`AdamW`.

    Parameters
    ----------
    params : list of ndarray (float32/float64, C-contiguous, writable) or of group dicts
        The arrays to optimize, updated in place; a group dict holds ``"params"`` and may
        override any hyper-parameter for its arrays.
    lr : float, default 1e-3
        η ≥ 0.
    betas : (float, float), default (0.9, 0.999)
        (β₁, β₂), each in [0, 1).
    eps : float, default 1e-8
        ε ≥ 0.
    weight_decay : float, default 0
        λ ≥ 0.
    backend : str, default "auto"
        Kernel backend (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).

    Attributes
    ----------
    param_groups, state, defaults : see :class:`Optimizer`

    State: ``exp_avg`` (m), ``exp_avg_sq`` (v), ``step`` (t).

    Examples
    --------
    Minimize L(θ) = ½‖θ‖², whose gradient is θ itself:

    >>> import numpy as np
    >>> from mlbasics.optim import Adam
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adam([w], lr=0.1, backend="numpy")
    >>> opt.step([w.copy()])  # the first step moves each entry by about η
    >>> np.round(w, 3)
    array([ 0.9, -1.9])
    """

    _kernel = "adam"
    _parameter_constraints = {"betas": [Pair(table_constraint("adam", "beta1"), table_constraint("adam", "beta2"))]}
    _decoupled = False

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, *, backend: str = "auto") -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay), backend=backend)

    def _init_state(self, p, group):
        return {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}

    @property
    def _fused_kind(self):
        return "adamw" if self._decoupled else "adam"

    def _fused_hyper(self, group):
        beta1, beta2 = group["betas"]
        return dict(lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"])

    def _update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        self._kernels.adam_step(p, g, state["exp_avg"], state["exp_avg_sq"], step=state["step"], lr=group["lr"],
                                beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                                decoupled_weight_decay=self._decoupled)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (torch.optim.AdamW's rule).

    .. math::
        θ'_{t-1} &= θ_{t-1} (1 − η λ), \qquad g_t = ∇L(θ_{t-1}) \\
        m_t &= β_1 m_{t-1} + (1 − β_1) g_t, \qquad v_t = β_2 v_{t-1} + (1 − β_2) g_t^2 \\
        θ_t &= θ'_{t-1} − η \, \frac{m_t / (1 − β_1^t)}{\sqrt{v_t / (1 − β_2^t)} + ε}

    The decay shrinks θ directly rather than entering m and v; default ``weight_decay=1e-2``.

    Parameters
    ----------
    params, lr, betas, eps, backend : as :class:`Adam`
    weight_decay : float, default 1e-2
        λ ≥ 0, the decoupled decay rate.

    Attributes
    ----------
    param_groups, state, defaults : see :class:`Optimizer`

    State: as :class:`Adam`.

    Examples
    --------
    Minimize L(θ) = ½‖θ‖², whose gradient is θ itself:

    >>> import numpy as np
    >>> from mlbasics.optim import AdamW
    >>> w = np.array([1.0, -2.0])
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5, backend="numpy")
    >>> opt.step([np.zeros(2)])  # a zero gradient: only the decay θ(1 − ηλ) acts
    >>> np.round(w, 3)
    array([ 0.95, -1.9 ])
    """

    _decoupled = True

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, *, backend: str = "auto") -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, backend=backend)


# ------------------------------------------------------------------ RMSprop
class RMSprop(Optimizer):
    r"""RMSprop (torch.optim.RMSprop's rule).

    .. math::
        g_t &= ∇L(θ_{t-1}) + λ θ_{t-1}, \qquad v_t = α v_{t-1} + (1 − α) g_t^2 \\
        \tilde v_t &= v_t − \bar g_t^2,\ \ \bar g_t = α \bar g_{t-1} + (1 − α) g_t \ \text{(centered)};
            \qquad \tilde v_t = v_t \ \text{(otherwise)} \\
        b_t &= μ b_{t-1} + g_t / (\sqrt{\tilde v_t} + ε),\ \ θ_t = θ_{t-1} − η b_t \ (μ > 0); \qquad
            θ_t = θ_{t-1} − η g_t / (\sqrt{\tilde v_t} + ε) \ (μ = 0)

    with α = ``alpha``, μ = ``momentum``, all state starting at 0.
    λ = ``weight_decay`` is an L2 term on the gradient: the course's λΣW² is ``weight_decay=2λ``.

    Parameters
    ----------
    params : list of ndarray (float32/float64, C-contiguous, writable) or of group dicts
        The arrays to optimize, updated in place; a group dict holds ``"params"`` and may
        override any hyper-parameter for its arrays.
    lr : float, default 1e-2
        η ≥ 0.
    alpha : float, default 0.99
        α, the smoothing constant of v.
    eps : float, default 1e-8
        ε ≥ 0.
    weight_decay : float, default 0
        λ ≥ 0.
    momentum : float, default 0
        μ ≥ 0.
    centered : bool, default False
        Divide by an estimate of the gradient's variance rather than of its second moment.
    backend : str, default "auto"
        Kernel backend (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).

    Attributes
    ----------
    param_groups, state, defaults : see :class:`Optimizer`

    State: ``square_avg`` (v), ``momentum_buffer`` (b, when momentum > 0), ``grad_avg``
    (ḡ, when centered), ``step``.

    Examples
    --------
    Minimize L(θ) = ½‖θ‖², whose gradient is θ itself:

    >>> import numpy as np
    >>> from mlbasics.optim import RMSprop
    >>> w = np.array([1.0, -2.0])
    >>> opt = RMSprop([w], lr=0.01, backend="numpy")
    >>> opt.step([w.copy()])  # v = 0.01 g², so the step is η g / |0.1 g| = 0.1 per entry
    >>> np.round(w, 3)
    array([ 0.9, -1.9])
    """

    _kernel = "rmsprop"

    def __init__(self, params: ParamsLike, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 backend: str = "auto") -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered), backend=backend)

    def _init_state(self, p, group):
        state = {"step": 0, "square_avg": np.zeros_like(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(p)
        return state

    def _fused_prepare(self, p, state, group):
        if group["momentum"] > 0 and state.get("momentum_buffer") is None:
            state["momentum_buffer"] = np.zeros_like(p)
        if group["centered"] and state.get("grad_avg") is None:
            state["grad_avg"] = np.zeros_like(p)
        return False

    def _update(self, p, g, state, group):
        self._fused_prepare(p, state, group)
        self._kernels.rmsprop_step(p, g, state["square_avg"],
                                   state["momentum_buffer"] if group["momentum"] > 0 else None,
                                   state["grad_avg"] if group["centered"] else None,
                                   lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                                   weight_decay=group["weight_decay"], momentum=group["momentum"],
                                   centered=group["centered"])


# ------------------------------------------------------------------ Adagrad
class Adagrad(Optimizer):
    r"""AdaGrad (torch.optim.Adagrad's rule).

    .. math::
        \tilde η_t &= η / (1 + (t − 1) \, \text{lr\_decay}), \qquad g_t = ∇L(θ_{t-1}) + λ θ_{t-1} \\
        s_t &= s_{t-1} + g_t^2, \qquad θ_t = θ_{t-1} − \tilde η_t \, g_t / (\sqrt{s_t} + ε)

    with s₀ = ``initial_accumulator_value`` (state created at construction, as torch does).
    λ = ``weight_decay`` is an L2 term on the gradient: the course's λΣW² is ``weight_decay=2λ``.

    Parameters
    ----------
    params : list of ndarray (float32/float64, C-contiguous, writable) or of group dicts
        The arrays to optimize, updated in place; a group dict holds ``"params"`` and may
        override any hyper-parameter for its arrays.
    lr : float, default 1e-2
        η ≥ 0.
    lr_decay : float, default 0
        Decay of the learning rate with the number of steps (above).
    weight_decay : float, default 0
        λ ≥ 0.
    initial_accumulator_value : float, default 0
        s₀ ≥ 0.
    eps : float, default 1e-10
        ε ≥ 0.
    backend : str, default "auto"
        Kernel backend (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).

    Attributes
    ----------
    param_groups, state, defaults : see :class:`Optimizer`

    State: ``sum`` (s), ``step`` (t).

    Examples
    --------
    Minimize L(θ) = ½‖θ‖², whose gradient is θ itself:

    >>> import numpy as np
    >>> from mlbasics.optim import Adagrad
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adagrad([w], lr=0.1, backend="numpy")
    >>> opt.step([w.copy()])  # s = g², so the first step is η sign(g)
    >>> np.round(w, 3)
    array([ 0.9, -1.9])
    """

    _kernel = "adagrad"
    _parameter_constraints = {"initial_accumulator_value": [Interval(numbers.Real, 0, None)]}

    def __init__(self, params: ParamsLike, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *, backend: str = "auto") -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps),
                         backend=backend)
        for i, (group, p) in enumerate(self._params()):
            self.state[i] = self._init_state(p, group)

    def _init_state(self, p, group):
        return {"step": 0, "sum": np.full_like(p, group["initial_accumulator_value"])}

    def _update(self, p, g, state, group):
        self._kernels.adagrad_step(p, g, state["sum"], step=state["step"], lr=group["lr"],
                                   lr_decay=group["lr_decay"], weight_decay=group["weight_decay"], eps=group["eps"])


# ------------------------------------------------------------------ Adadelta
class Adadelta(Optimizer):
    r"""AdaDelta (torch.optim.Adadelta's rule).

    .. math::
        g_t &= ∇L(θ_{t-1}) + λ θ_{t-1}, \qquad v_t = ρ v_{t-1} + (1 − ρ) g_t^2 \\
        Δ_t &= \frac{\sqrt{u_{t-1} + ε}}{\sqrt{v_t + ε}} \, g_t, \qquad u_t = ρ u_{t-1} + (1 − ρ) Δ_t^2, \qquad
            θ_t = θ_{t-1} − η Δ_t

    with u₀ = v₀ = 0, ρ = ``rho``.
    λ = ``weight_decay`` is an L2 term on the gradient: the course's λΣW² is ``weight_decay=2λ``.

    Parameters
    ----------
    params : list of ndarray (float32/float64, C-contiguous, writable) or of group dicts
        The arrays to optimize, updated in place; a group dict holds ``"params"`` and may
        override any hyper-parameter for its arrays.
    lr : float, default 1.0
        η ≥ 0, a factor on Δ.
    rho : float, default 0.9
        ρ, the smoothing constant of v and u.
    eps : float, default 1e-6
        ε ≥ 0.
    weight_decay : float, default 0
        λ ≥ 0.
    backend : str, default "auto"
        Kernel backend (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).

    Attributes
    ----------
    param_groups, state, defaults : see :class:`Optimizer`

    State: ``square_avg`` (v), ``acc_delta`` (u), ``step``.

    Examples
    --------
    Minimize L(θ) = ½‖θ‖², whose gradient is θ itself:

    >>> import numpy as np
    >>> from mlbasics.optim import Adadelta
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adadelta([w], backend="numpy")
    >>> for _ in range(100):
    ...     opt.step([w.copy()])
    >>> bool(np.all(np.abs(w) < [1.0, 2.0]))  # slow at first: Δ starts at the scale √ε
    True
    """

    _kernel = "adadelta"

    def __init__(self, params: ParamsLike, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, *, backend: str = "auto") -> None:
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay), backend=backend)

    def _init_state(self, p, group):
        return {"step": 0, "square_avg": np.zeros_like(p), "acc_delta": np.zeros_like(p)}

    def _update(self, p, g, state, group):
        self._kernels.adadelta_step(p, g, state["square_avg"], state["acc_delta"], lr=group["lr"], rho=group["rho"],
                                    eps=group["eps"], weight_decay=group["weight_decay"])


# ------------------------------------------------------------------ Rprop
class Rprop(Optimizer):
    r"""Resilient back-propagation (torch.optim.Rprop's rule), element by element.

    .. math::
        s &= \operatorname{sign}(g_t \, g_{t-1}) \\
        Δ_t &= \min(Δ_{t-1} η_+, Δ_{\max}) \ (s > 0), \quad \max(Δ_{t-1} η_-, Δ_{\min}) \ (s < 0), \quad
            Δ_{t-1} \ (s = 0) \\
        g_t &← 0 \ \text{where } s < 0, \qquad θ_t = θ_{t-1} − \operatorname{sign}(g_t) \, Δ_t

    with Δ₀ = ``lr`` (read at the first step), g₀ = 0, (η₋, η₊) = ``etas`` and
    (Δ_min, Δ_max) = ``step_sizes``. Later changes of ``lr`` (e.g. by a scheduler) do not affect
    Rprop, whose step sizes adapt on their own.

    Parameters
    ----------
    params : list of ndarray (float32/float64, C-contiguous, writable) or of group dicts
        The arrays to optimize, updated in place; a group dict holds ``"params"`` and may
        override any hyper-parameter for its arrays.
    lr : float, default 1e-2
        Δ₀ ≥ 0, the initial step size.
    etas : (float, float), default (0.5, 1.2)
        (η₋, η₊): 0 < η₋ < 1 < η₊.
    step_sizes : (float, float), default (1e-6, 50)
        (Δ_min, Δ_max).
    backend : str, default "auto"
        Kernel backend (``"auto"``, ``"cpp"``, ``"numba"`` or ``"numpy"``).

    Attributes
    ----------
    param_groups, state, defaults : see :class:`Optimizer`

    State: ``prev`` (g_{t-1}), ``step_size`` (Δ), ``step``.

    Examples
    --------
    Minimize L(θ) = ½‖θ‖², whose gradient is θ itself:

    >>> import numpy as np
    >>> from mlbasics.optim import Rprop
    >>> w = np.array([1.0, -2.0])
    >>> opt = Rprop([w], lr=0.1, backend="numpy")
    >>> opt.step([w.copy()])
    >>> opt.step([w.copy()])  # same gradient signs: the step grows by η₊ = 1.2
    >>> np.round(w, 3)
    array([ 0.78, -1.78])
    """

    _kernel = "rprop"
    _parameter_constraints = {"lr": [Interval(numbers.Real, 0, None)]}  # the first step size

    def __init__(self, params: ParamsLike, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, backend: str = "auto") -> None:
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes), backend=backend)

    def _init_state(self, p, group):
        return {"step": 0, "prev": np.zeros_like(p), "step_size": np.full_like(p, group["lr"])}

    def _update(self, p, g, state, group):
        self._kernels.rprop_step(p, g, state["prev"], state["step_size"], etas=tuple(group["etas"]),
                                 step_sizes=tuple(group["step_sizes"]))
