"""The kernel contract, family ``mlp``: one whole training epoch of a dense MLP in one call (``mlp_epoch``).

See :mod:`mlbasics.backends._contract` for what every contract method guarantees the raw
implementations.

The raw call. With every trick off (no dropout, no normalization, ``residual=False``,
``spectral_norm=False``): ``mlp_epoch(X, targets, order, params, grads, state, sizes, act, loss,
alpha, batch_size, kind, hyper, step, first_step)``, plus ``sample_weight`` only when weighted —
the call (and code path) the kernels had before the tricks. With any trick on, the same positional
arguments, then ``sample_weight`` (None when unweighted), then ``tricks``, a dict::

    {"dropout": tuple of H floats (one per hidden layer; 0.0 = none),
     "seed": int in [0, 2**64),
     "norm": 0 none | 1 batch | 2 group (layer norm is group with 1 group),
     "groups": int (1 for layer norm; 1 and unused when norm is 0 or 1),
     "momentum": float, "eps": float,
     "running": (2·Σ hidden widths,) array, or None (given iff norm == 1),
     "residual": bool,
     "spectral": (Σ over all layers of n_out + n_in,) array, or None (given iff spectral norm)}

H = len(sizes) − 2. Every array is checked (dtype, shape, contiguity, no shared memory) before
the raw call.
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


#: normalization names of ``mlp_epoch`` and the codes of the raw ``tricks["norm"]``.
MLP_NORMS = {None: 0, "batch": 1, "layer": 2, "group": 2}


def mlp_param_count(sizes: Sequence[int], normalization: str | None = None) -> int:
    """P, the length of the flat params of an MLP of these layer sizes: Σ (n_in + 1)·n_out, plus
    2·Σ hidden widths (gamma and beta) with a normalization."""
    total = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    if normalization is not None:
        total += 2 * sum(sizes[1:-1])
    return total


def _dropout_rates(dropout: Any, n_hidden: int) -> tuple[float, ...]:
    """One dropout rate in [0, 1) per hidden layer, from a float or a sequence of n_hidden floats."""
    if isinstance(dropout, (numbers.Real, np.floating, np.integer)) and not isinstance(dropout, (bool, np.bool_)):
        rates = (dropout,) * n_hidden
    elif isinstance(dropout, (str, bytes, bool, np.bool_)):
        raise TypeError(f"dropout: expected a float in [0, 1) or one per hidden layer, got {dropout!r}")
    else:
        try:
            rates = tuple(dropout)
        except TypeError:
            raise TypeError(f"dropout: expected a float in [0, 1) or one per hidden layer, got "
                            f"{type(dropout).__name__}") from None
        if len(rates) != n_hidden:
            raise ValueError(f"dropout: expected one rate per hidden layer ({n_hidden}), got {len(rates)}: "
                             f"{dropout!r}")
    out = []
    for p in rates:
        if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
            raise TypeError(f"dropout: expected floats in [0, 1), got {dropout!r}")
        if not 0.0 <= float(p) < 1.0:  # NaN fails too
            raise ValueError(f"dropout: every rate must be in [0, 1), got {dropout!r}")
        out.append(float(p))
    return tuple(out)


def _seed(seed: Any) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed: expected an int in [0, 2**64), got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"seed: expected an int in [0, 2**64), got {seed}")
    return int(seed)


def _tricks(sizes: tuple[int, ...], params: np.ndarray, *, dropout: Any, seed: Any, normalization: Any,
            norm_groups: Any, norm_momentum: Any, norm_eps: Any, running_stats: Any, residual: Any,
            spectral_norm: Any, spectral_vectors: Any) -> dict[str, Any]:
    """Check the tricks' arguments of :meth:`MLPContract.mlp_epoch`; returns the raw ``tricks``
    dict (see the spec in that docstring). ``params`` is already checked against the layout."""
    hidden = sizes[1:-1]
    rates = _dropout_rates(dropout, len(hidden))
    seed = _seed(seed)
    if normalization is not None and (not isinstance(normalization, str) or normalization not in MLP_NORMS):
        raise ValueError(f"normalization: expected None, 'batch', 'layer' or 'group', got {normalization!r}")
    if isinstance(norm_groups, (bool, np.bool_)) or not isinstance(norm_groups, numbers.Integral):
        raise TypeError(f"norm_groups: expected an int >= 1, got {type(norm_groups).__name__}")
    if norm_groups < 1:
        raise ValueError(f"norm_groups: expected an int >= 1, got {norm_groups}")
    groups = 1
    if normalization == "group":
        groups = int(norm_groups)
        bad = [m for m in hidden if m % groups]
        if bad:
            raise ValueError(f"norm_groups: {groups} groups must divide every hidden width, but "
                             f"{bad} of the widths {list(hidden)} are not multiples of {groups}")
    momentum = v.real_number(norm_momentum, "norm_momentum", low=0.0, high=1.0)
    eps = v.real_number(norm_eps, "norm_eps", low=0.0)
    residual = v.flag(residual, "residual")
    spectral_norm = v.flag(spectral_norm, "spectral_norm")
    n_running = 2 * sum(hidden)
    if normalization == "batch":
        if running_stats is None:
            raise ValueError(f"running_stats: required with normalization='batch' (an array of {n_running} "
                             "values: per hidden layer its running mean, then its running variance), got None")
        v.inplace_array(running_stats, "running_stats")
        v.same_dtype("params", params, running_stats=running_stats)
        if running_stats.ndim != 1 or running_stats.shape[0] != n_running:
            raise ValueError(f"running_stats: expected shape ({n_running},) (2 · the hidden widths "
                             f"{list(hidden)}), got {running_stats.shape}")
    elif running_stats is not None:
        raise ValueError(f"running_stats: only used with normalization='batch', got an array with "
                         f"normalization={normalization!r}")
    n_vectors = sum(a + b for a, b in zip(sizes[:-1], sizes[1:]))
    if spectral_norm:
        if spectral_vectors is None:
            raise ValueError(f"spectral_vectors: required with spectral_norm=True (an array of {n_vectors} "
                             "values: per layer u (n_out) then v (n_in)), got None")
        v.inplace_array(spectral_vectors, "spectral_vectors")
        v.same_dtype("params", params, spectral_vectors=spectral_vectors)
        if spectral_vectors.ndim != 1 or spectral_vectors.shape[0] != n_vectors:
            raise ValueError(f"spectral_vectors: expected shape ({n_vectors},) (per layer n_out + n_in for the "
                             f"layer sizes {list(sizes)}), got {spectral_vectors.shape}")
    elif spectral_vectors is not None:
        raise ValueError("spectral_vectors: only used with spectral_norm=True, got an array with "
                         "spectral_norm=False")
    return {"dropout": rates, "seed": seed, "norm": MLP_NORMS[normalization], "groups": groups,
            "momentum": momentum, "eps": eps, "running": running_stats if normalization == "batch" else None,
            "residual": residual, "spectral": spectral_vectors if spectral_norm else None}


class MLPContract:
    """``mlp_epoch``; mixed into :class:`~mlbasics.backends.Backend`."""

    _raw: Any  # the backend's raw module (cpp, numba or numpy); untyped

    def mlp_epoch(self, X: ArrayLike, targets: ArrayLike, order: ArrayLike, params: np.ndarray, grads: np.ndarray,
                  state: dict[str, np.ndarray], *, layer_sizes: Sequence[int], activation: Activation,
                  loss: Literal["softmax_cross_entropy", "binary_cross_entropy_with_logits", "squared_error"],
                  alpha: float, batch_size: int,
                  optimizer: Literal["sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "rprop"],
                  hyper: dict[str, Any], step: int, first_step: bool = False,
                  sample_weight: ArrayLike | None = None, dropout: float | Sequence[float] = 0.0, seed: int = 0,
                  normalization: Literal["batch", "layer", "group"] | None = None, norm_groups: int = 2,
                  norm_momentum: float = 0.1, norm_eps: float = 1e-5, running_stats: np.ndarray | None = None,
                  residual: bool = False, spectral_norm: bool = False,
                  spectral_vectors: np.ndarray | None = None) -> tuple[float, int]:
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

        **The course's new tricks** (all off by default: then the epoch is exactly the one above).
        With H = len(layer_sizes) − 2 hidden layers, one training step on batch B, the k-th step of
        the call with update number ``t = step + k``, is:

        0. spectral norm (``spectral_norm=True``), for every layer l (the output layer too), from
           the current raw ``Wˡ`` (shape (n_in, n_out); torch's ``weight`` is ``Wˡᵀ``) and its
           vectors ``uˡ`` (n_out), ``vˡ`` (n_in) in ``spectral_vectors``, updated in place (also on
           a batch that diverges) — one power-iteration step, as
           ``torch.nn.utils.parametrizations.spectral_norm(n_power_iterations=1, eps=1e-12)``:
           ``u ← normalize(Wᵀ v)``, ``v ← normalize(W u)``, ``σ = uᵀ (Wᵀ v)`` (accumulated in float64,
           rounded to the dtype) and ``W̃ = W / σ``; ``normalize(a) = a / max(‖a‖₂, 1e-12)``. Without
           spectral norm ``W̃ = W``;
        1. ``h⁰ = X[B]``; for each hidden layer l: ``z = hˡ W̃ˡ + bˡ``; ``a = norm(z)`` (or ``a = z``);
           ``g = act(a)``; ``d = dropout(g)`` with the rate ``pˡ``;
           ``hˡ⁺¹ = hˡ + d`` if ``residual`` and the layer's n_in == n_out (the first hidden layer
           too when n_features equals its width), else ``hˡ⁺¹ = d``. The normalizations (each with
           a learnable scale γˡ and shift βˡ per unit, kept in ``params``):

           * ``"batch"``: :meth:`batch_norm_forward` in training mode over B's rows (unweighted
             even with ``sample_weight``; biased variance for ``a``; the running mean and the
             unbiased running variance of ``running_stats`` updated with ``norm_momentum``, as
             ``torch.nn.BatchNorm1d`` does — also on a batch that diverges). A batch of one row is
             skipped entirely, as torch refuses one: no forward, no step, no running-stat update,
             nothing added to ``loss_sum``, no update number consumed, not counted in ``n_steps``;
           * ``"layer"``: :meth:`group_norm_forward` with 1 group (``torch.nn.GroupNorm(1, m)``);
           * ``"group"``: :meth:`group_norm_forward` with ``norm_groups`` groups;

           dropout is :meth:`dropout_forward` (inverted: kept units scaled by 1 / (1 − p)) with
           key ``seed``, stream ``t`` and offset ``l << 40`` (l the 0-based hidden layer; element
           e of the (|B|, n_out) array uses word ``(l << 40) + e``);
        2. output layer ``o = hᴴ W̃ᴸ + bᴸ`` (no norm, no dropout, no residual); the loss as above, its
           L2 term ``alpha / (2S) · Σₗ ‖Wˡ‖²`` on the RAW weights (γ, β and the biases unpenalized);
        3. back-propagation through the skip (its gradient added to hˡ's), dropout
           (:meth:`dropout_backward`), the activation, the normalization (training-mode
           :meth:`batch_norm_backward` / :meth:`group_norm_backward`, giving γ's and β's gradients)
           and the linear layer with ``W̃``; with spectral norm the raw weight's gradient is
           ``dW = G/σ − (⟨G, W⟩/σ²) · v uᵀ`` (G the gradient w.r.t. W̃, ⟨·,·⟩ the elementwise dot,
           ``v uᵀ`` the (n_in, n_out) outer product; u, v and σ are constants, as in torch); then
           ``+ alpha · W / S``;
        4. one optimizer step over the whole flat ``params`` (γ and β included).

        Divergence as above: the epoch stops before the update of the first batch whose loss is
        non-finite.

        Parameters
        ----------
        X : (n, layer_sizes[0]) float32/float64 array
        targets : (n,) int labels, (n,) floats or (n, k) floats — see ``loss``
        order : (m,) integer array, m ≥ 0, of row indices in [0, n) (typically a permutation)
        params : (P,) array, C-contiguous, writable, updated in place
            All weights and biases: per layer ``W`` ((n_in, n_out) row-major), then ``b`` (n_out),
            then — for a hidden layer and only with a ``normalization`` — ``gamma`` (n_out) and
            ``beta`` (n_out); P = Σ (n_in + 1) · n_out (+ 2 · Σ hidden widths with a normalization)
            — the layout of ``MLPClassifier``'s flat buffer (:func:`mlp_param_count`).
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
        dropout : float or sequence of H floats, each in [0, 1), default 0.0
            Dropout rate of each hidden layer's output (one float: every hidden layer).
        seed : int in [0, 2**64), default 0
            The dropout masks' Philox key.
        normalization : {None, "batch", "layer", "group"}, default None
            Normalization of each hidden layer's pre-activation (see above).
        norm_groups : int >= 1, default 2
            Groups of ``"group"``; must divide every hidden width (checked only for ``"group"``).
        norm_momentum : float in [0, 1], default 0.1
            Batch norm's running-statistics momentum (torch's meaning).
        norm_eps : float >= 0, default 1e-5
            Added to the variance of every normalization.
        running_stats : (2 · Σ hidden widths,) array, updated in place; required iff ``"batch"``
            Per hidden layer its running mean (n_out) then its running variance (n_out);
            C-contiguous, writable, of the params' dtype.
        residual : bool, default False
            Identity skip connections on the hidden layers with n_in == n_out.
        spectral_norm : bool, default False
            Every weight matrix divided by its spectral norm estimate (see above).
        spectral_vectors : (Σₗ (n_out + n_in),) array, updated in place; required iff ``spectral_norm``
            Per layer (all of them, the output layer too) u (n_out) then v (n_in); C-contiguous,
            writable, of the params' dtype.

        Returns
        -------
        loss_sum : float
            Σ over the batches of (batch loss incl. the L2 term) · |B| — or, if a batch's loss was
            non-finite, that loss.
        n_steps : int
            Optimizer steps taken; fewer than the number of batches (⌈m / batch_size⌉, less the
            batches of zero total weight and, with batch norm, the batches of one row) exactly
            when training diverged.

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
        if normalization is not None and (not isinstance(normalization, str) or normalization not in MLP_NORMS):
            raise ValueError(f"normalization: expected None, 'batch', 'layer' or 'group', got {normalization!r}")
        total = mlp_param_count(sizes, normalization)
        params = v.inplace_array(params, "params")
        v.same_dtype("X", X, params=params)
        if params.ndim != 1 or params.shape[0] != total:
            with_norm = "" if normalization is None else f" with normalization={normalization!r}"
            raise ValueError(f"params: expected shape ({total},) for layer_sizes {sizes}{with_norm}, got {params.shape}")
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
        tricks = _tricks(sizes, params, dropout=dropout, seed=seed, normalization=normalization,
                         norm_groups=norm_groups, norm_momentum=norm_momentum, norm_eps=norm_eps,
                         running_stats=running_stats, residual=residual, spectral_norm=spectral_norm,
                         spectral_vectors=spectral_vectors)
        buffers = {"params": params, "grads": grads, "X": X, "targets": targets, "sample_weight": w}
        buffers.update({f"state[{k!r}]": a for k, a in st.items() if a is not None})
        for name in ("running", "spectral"):
            if tricks[name] is not None:
                arg = "running_stats" if name == "running" else "spectral_vectors"
                v.no_shared_memory(arg, tricks[name], **buffers)
        if tricks["running"] is not None and tricks["spectral"] is not None:
            v.no_shared_memory("running_stats", tricks["running"], spectral_vectors=tricks["spectral"])
        args = (X, targets, order, params, grads, st, sizes, act, MLP_LOSSES[loss], alpha, batch_size, kind, hp,
                int(step), first_step)
        on = (any(tricks["dropout"]) or tricks["norm"] != 0 or tricks["residual"]
              or tricks["spectral"] is not None)
        if not on:  # today's call, today's code path
            loss_sum, n_steps = self._raw.mlp_epoch(*args) if w is None else self._raw.mlp_epoch(*args, w)
        else:
            loss_sum, n_steps = self._raw.mlp_epoch(*args, w, tricks)
        return float(loss_sum), int(n_steps)


