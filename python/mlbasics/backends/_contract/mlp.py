"""The kernel contract, family ``mlp``: one whole training epoch of a dense MLP in one call (``mlp_epoch``).

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .. import _checks as v
from .._optim_table import FUSED_OPTIMIZERS, OPTIMIZERS
from .layers import Activation, _activation_code

KERNELS = ("mlp_epoch",)

#: Loss names of ``mlp_epoch`` and the integer codes the raw kernels take.
MLP_LOSSES = {"softmax_cross_entropy": 0, "binary_cross_entropy_with_logits": 1, "squared_error": 2}


def _layer_sizes(sizes: Any) -> tuple[int, ...]:
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(f"layer_sizes: expected a sequence of ints, got {type(sizes).__name__}") from None
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes: expected at least 2 sizes (inputs and outputs), got {sizes!r}")
    for s in sizes:
        if isinstance(s, (bool, np.bool_)) or not isinstance(s, numbers.Integral):
            raise TypeError(f"layer_sizes: expected positive ints, got {sizes!r}")
        if s < 1:
            raise ValueError(f"layer_sizes: every size must be >= 1, got {sizes!r}")
    return tuple(int(s) for s in sizes)


def _mlp_targets(targets: Any, loss_code: int, n: int, n_out: int, dtype: np.dtype) -> np.ndarray:
    if loss_code == 0:  # integer class labels
        t = np.asarray(targets)
        if t.dtype.kind not in "iu":
            raise TypeError(f"targets: softmax_cross_entropy needs an integer array of class labels, "
                            f"got dtype {t.dtype}")
        v.check_shape("targets", t, (n,))
        if n and (t.min() < 0 or t.max() >= n_out):
            raise ValueError(f"targets: labels must be in [0, {n_out}) for {n_out} outputs, "
                             f"got values in [{t.min()}, {t.max()}]")
        return np.require(t, dtype=np.int64, requirements=["C", "A"])
    t = v.float_array(targets, "targets")
    if t.dtype != dtype:
        raise TypeError(f"targets: dtype {t.dtype} does not match X's dtype {dtype}; all floating arrays of one "
                        "call must share one dtype")
    if loss_code == 1:
        if n_out != 1:
            raise ValueError(f"layer_sizes: binary_cross_entropy_with_logits needs 1 output, got {n_out}")
        v.check_shape("targets", t, (n,))
        if n and not (t.min() >= 0 and t.max() <= 1):
            raise ValueError(f"targets: must lie in [0, 1], got values in [{t.min()}, {t.max()}]")
    else:
        v.check_shape("targets", t, (n, n_out))
    return np.require(t, requirements=["C", "A"])


def _row_order(order: Any, n: int) -> np.ndarray:
    o = np.asarray(order)
    if o.dtype.kind not in "iu":
        raise TypeError(f"order: expected an integer array of row indices, got dtype {o.dtype}")
    if o.ndim != 1:
        raise ValueError(f"order: expected a 1-D array, got {o.ndim}-D with shape {o.shape}")
    if o.size and (o.min() < 0 or o.max() >= n):
        raise ValueError(f"order: row indices must be in [0, {n}), got values in [{o.min()}, {o.max()}]")
    return np.require(o, dtype=np.int64, requirements=["C", "A"])




def _optimizer_spec(optimizer: Any, hyper: Any, state: Any, params: np.ndarray) -> tuple[str, dict, dict]:
    """Check an optimizer's name, hyper-parameters and state for :meth:`MLPContract.mlp_epoch`.

    Returns (kind, raw hyper, state): kind a row of the optimizer table ("adamw" is "adam" with
    decoupled weight decay), every raw hyper-parameter of that row, and every state slot of the
    row (None where these hyper-parameters use none).
    """
    if not isinstance(optimizer, str) or optimizer not in FUSED_OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {sorted(FUSED_OPTIMIZERS)}, got {optimizer!r}")
    if not isinstance(hyper, dict):
        raise TypeError(f"hyper: expected a dict of hyper-parameters, got {type(hyper).__name__}")
    if not isinstance(state, dict):
        raise TypeError(f"state: expected a dict of state arrays, got {type(state).__name__}")
    kind, fixed = FUSED_OPTIMIZERS[optimizer]
    spec = OPTIMIZERS[kind]
    raw = spec.raw_hyper(hyper, fixed=fixed)
    unknown = sorted(set(state) - set(spec.state))
    if unknown:
        raise ValueError(f"state: unknown state arrays {unknown} for {optimizer!r}; expected {list(spec.state)}")
    st: dict[str, Any] = {}
    for name, needed in spec.needed_state(raw).items():
        arr = state.get(name)
        if not needed:
            st[name] = None
            continue
        if arr is None:
            raise ValueError(f"state[{name!r}]: state array required for {optimizer!r} with these "
                             "hyper-parameters, got None")
        v.inplace_array(arr, f"state[{name!r}]", like=params)
        st[name] = arr
    return kind, raw, st


class MLPContract:
    """``mlp_epoch``; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    def mlp_epoch(self, X: ArrayLike, targets: ArrayLike, order: ArrayLike, params: np.ndarray, grads: np.ndarray,
                  state: dict[str, np.ndarray], *, layer_sizes: Sequence[int], activation: Activation,
                  loss: Literal["softmax_cross_entropy", "binary_cross_entropy_with_logits", "squared_error"],
                  alpha: float, batch_size: int,
                  optimizer: Literal["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "rprop"],
                  hyper: dict[str, Any], step: int, first_step: bool = False,
                  sample_weight: ArrayLike | None = None) -> tuple[float, int]:
        """One training epoch of a dense MLP: every minibatch's forward, loss, backward and optimizer
        step in one call (the per-batch loop of :class:`mlbasics.neural_network.MLPClassifier`).

        For each consecutive chunk ``B = order[s : s + batch_size]`` (the last may be shorter):

        1. forward: ``h⁰ = X[B]``, ``hˡ = act(hˡ⁻¹ Wˡ + bˡ)`` with ``act`` = ``activation`` for the
           hidden layers and the identity on the last (the logits ``o``);
        2. loss (the kernel's value rounded to the params' dtype, as the loss kernels return it),
           plus the L2 term ``alpha / (2|B|) · Σₗ ‖Wˡ‖²`` (biases are not penalized):

           * ``"softmax_cross_entropy"``: :meth:`softmax_cross_entropy` (o, targets[B]) — targets
             int labels in [0, C);
           * ``"binary_cross_entropy_with_logits"``: :meth:`binary_cross_entropy_with_logits`
             (o[:, 0], targets[B]) — one output, targets (n,) in [0, 1];
           * ``"squared_error"`` (scikit-learn's): ``½ · mse(o, targets[B])`` with gradient
             ``mse's gradient · k/2 = (o − y)/|B|`` — targets (n, k);

        3. back-propagation (:meth:`linear_backward`) into ``grads``, plus ``alpha · Wˡ / |B|`` on the
           weight gradients;
        4. one optimizer step over the whole flat ``params`` with the step kernel named by
           ``optimizer`` (its documented rule), the t-th batch of the call using update number
           ``step + t`` (1-based t) and, for SGD, ``first_step`` on its first batch only.

        If a batch's loss is non-finite the epoch stops before that batch's update.

        With ``sample_weight`` w (one weight per row of X), each batch's loss is the weighted mean
        over the batch, as scikit-learn's MLPs train with ``sample_weight``: with
        ``S = Σ_{i∈B} wᵢ`` the loss kernels take ``w[B]`` (loss Σ wᵢℓᵢ / S, gradient rows scaled by
        wᵢ / S; squared error ``½ · mse(o, targets[B], w[B])``, gradient wᵢ (oᵢ − yᵢ) / S), and
        |B| becomes S in the L2 term (``alpha / (2S) · Σₗ ‖Wˡ‖²``, gradient ``alpha · Wˡ / S``).
        A batch with S = 0 (all its rows weigh 0) is skipped: no forward pass, no optimizer step,
        nothing added to ``loss_sum`` — as if its rows were absent. ``loss_sum`` still adds each
        batch's loss times its row count |B| (scikit-learn's epoch loss). Without weights every row
        weighs 1 and S = |B|.

        Non-finite values: the stop is the same on every backend -- at the first batch whose loss
        (with its L2 term) is NaN or ±inf, with ``n_steps`` the batches before it and
        ``loss_sum`` that loss. A NaN/inf in ``X`` that does not reach the loss (e.g. relu(−inf)
        = 0 in a hidden layer) still reaches the gradients (inf·0 = NaN) and, through that batch's
        step, the parameters, following each kernel's documented rules; the next batch then stops.

        Parameters
        ----------
        X : (n, layer_sizes[0]) float32/float64 array
        targets : (n,) int labels, (n,) floats or (n, k) floats — see ``loss``
        order : (m,) integer array, m ≥ 0, of row indices in [0, n) (typically a permutation)
        params : (P,) array, C-contiguous, writable, updated in place
            All weights and biases: per layer ``W`` ((n_in, n_out) row-major), then ``b`` (n_out),
            P = Σ (n_in + 1) · n_out — the layout of ``MLPClassifier``'s flat buffer.
        grads : (P,) array, C-contiguous, writable; overwritten (old content never read)
            On return it holds the gradient of the last batch that took a step (unspecified
            after a divergence). The weight gradients include the L2 term.
        state : dict
            The optimizer's state arrays by their torch names, each (P,) C-contiguous, writable and
            of the params' dtype: sgd ``momentum_buffer`` (when momentum ≠ 0); adam/adamw
            ``exp_avg``, ``exp_avg_sq``; rmsprop ``square_avg``, ``momentum_buffer`` (momentum > 0),
            ``grad_avg`` (centered); adagrad ``sum``; adadelta ``square_avg``, ``acc_delta``; rprop
            ``prev``, ``step_size``. Updated in place.
        layer_sizes : sequence of ≥ 2 positive ints, ``(n_features, hidden..., n_outputs)``
        activation : {"identity", "relu", "sigmoid", "tanh"}, the hidden layers' activation
        loss : {"softmax_cross_entropy", "binary_cross_entropy_with_logits", "squared_error"}
        alpha : float ≥ 0, the L2 strength
        batch_size : int ≥ 1
        optimizer : {"sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "rprop"}
        hyper : dict
            The keyword hyper-parameters of the optimizer's step kernel (e.g. ``lr``, ``momentum``,
            ``nesterov`` for sgd; ``etas``, ``step_sizes`` for rprop); missing ones take the step
            kernel's defaults (``lr`` is required for sgd, adam and adamw). For adamw,
            ``decoupled_weight_decay`` is implied.
        step : int ≥ 0, updates already taken (for adam/adamw and adagrad)
        first_step : bool, SGD only: the momentum buffer is new (its content is never read)
        sample_weight : (n,) array of X's dtype, optional
            Finite and >= 0 (checked); any sum (a batch of zero total weight is skipped). None:
            every row weighs 1.

        Returns
        -------
        loss_sum : float
            Σ over the batches of (batch loss incl. the L2 term) · |B| — or, if a batch's loss was
            non-finite, that loss.
        n_steps : int
            Optimizer steps taken; fewer than the number of batches (⌈m / batch_size⌉, less the
            batches of zero total weight) exactly when training diverged.

        Examples
        --------
        One full batch of plain SGD on a linear model (layer sizes 2 → 1, squared error):

        >>> import numpy as np
        >>> from mlbasics.kernels import mlp_epoch
        >>> X, y = np.eye(2), np.ones((2, 1))
        >>> params, grads = np.zeros(3), np.empty(3)  # W (2, 1), then b (1,)
        >>> mlp_epoch(X, y, np.arange(2), params, grads, {}, layer_sizes=(2, 1), activation="identity",
        ...           loss="squared_error", alpha=0.0, batch_size=2, optimizer="sgd", hyper={"lr": 0.1},
        ...           step=0, backend="numpy")
        (1.0, 1)
        >>> params
        array([0.05, 0.05, 0.1 ])
        """
        X = np.ascontiguousarray(v.float_array(X, "X", 2))
        dtype = X.dtype
        n = X.shape[0]
        sizes = _layer_sizes(layer_sizes)
        if sizes[0] != X.shape[1]:
            raise ValueError(f"layer_sizes: layer_sizes[0] = {sizes[0]} but X has {X.shape[1]} columns")
        act = _activation_code(activation)
        if not isinstance(loss, str) or loss not in MLP_LOSSES:
            raise ValueError(f"loss: expected one of {sorted(MLP_LOSSES)}, got {loss!r}")
        targets = _mlp_targets(targets, MLP_LOSSES[loss], n, sizes[-1], dtype)
        order = _row_order(order, n)
        alpha = v.real_number(alpha, "alpha", low=0.0)
        batch_size = v.positive_int(batch_size, "batch_size")
        if isinstance(step, (bool, np.bool_)) or not isinstance(step, numbers.Integral):
            raise TypeError(f"step: expected an integer, got {type(step).__name__}")
        if step < 0:
            raise ValueError(f"step: expected an integer >= 0 (updates already taken), got {step}")
        first_step = v.flag(first_step, "first_step")
        total = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
        params = v.inplace_array(params, "params")
        v.same_dtype("X", X, params=params)
        if params.ndim != 1 or params.shape[0] != total:
            raise ValueError(f"params: expected shape ({total},) for layer_sizes {sizes}, got {params.shape}")
        v.output_array(grads, "grads", (total,), dtype)
        kind, hp, st = _optimizer_spec(optimizer, hyper, state, params)
        w = None
        if sample_weight is not None:
            w = v.sample_weights(sample_weight, "sample_weight", n, dtype, positive_sum=False, of="X")
        v.no_shared_memory("grads", grads, params=params, X=X, targets=targets, sample_weight=w)
        v.no_shared_memory("params", params, X=X, targets=targets, sample_weight=w)
        for name, arr in st.items():
            if arr is not None:
                v.no_shared_memory(f"state[{name!r}]", arr, params=params, grads=grads, X=X, targets=targets,
                                   sample_weight=w,
                                   **{f"state[{k!r}]": a for k, a in st.items() if k != name and a is not None})
        args = (X, targets, order, params, grads, st, sizes, act, MLP_LOSSES[loss], alpha, batch_size, kind, hp,
                int(step), first_step)
        loss_sum, n_steps = self._raw.mlp_epoch(*args) if w is None else self._raw.mlp_epoch(*args, w)
        return float(loss_sum), int(n_steps)


