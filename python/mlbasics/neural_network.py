"""Multi-layer perceptrons trained by stochastic gradient methods: MLPClassifier, MLPRegressor.

The network (the course's notation: layer l computes h^l = act(h^{l-1} W^l + b^l)) is a stack
of dense layers. Each training epoch is one call of the kernel contract's ``mlp_epoch`` on the
backend chosen with ``backend=``: every minibatch's forward pass, loss, backward pass and update
by the :mod:`mlbasics.optim` optimizer's step rule, without returning to Python (the optimizer
object hands its state to the kernel and counts the steps, so ``state_dict``, ``partial_fit``
and the learning-rate schedules between epochs work as with per-batch ``step`` calls).
Prediction goes through ``linear_forward`` (with the course's new tricks — ``dropout``,
``normalization``, ``residual``, ``spectral_norm`` — in eval mode: W / σ from the stored spectral
vectors, ``batch_norm_forward(training=False)`` with the running statistics or
``group_norm_forward``, then the activation; no dropout).

Sparse X (scipy.sparse CSR or CSC, matrix or array) is accepted by ``fit``, ``partial_fit`` and the
predictions without densifying X as a whole: CSC is converted to CSR once (O(nnz)), and only the
rows of the minibatches of one ``mlp_epoch`` call are densified at a time — whole minibatches, at
most ``mlbasics._sparse.SPARSE_BLOCK_BYTES`` (32 MiB) of dense rows per call (one minibatch when a
single one is larger) — so training sees exactly the minibatches, in the same order, as on the
dense X and the fits are equal. Predictions densify row blocks of the same size. The first layer
then costs what it costs on dense data: sparse input saves memory, not time.

X larger than memory (an ``np.memmap``, an array-like read by row slices such as an h5py dataset
or a zarr array, a ``dask.array.Array``) is trained on a chunk at a time
(:class:`mlbasics._chunked.ShuffledChunks`): each epoch visits the chunks in a random order and
the rows of each in a random order, reading each chunk once — not the in-memory shuffle (without
``shuffle`` the fits are the in-memory ones). y, ``sample_weight`` and early stopping's
validation rows are held in memory; predictions on a dask X are lazy dask arrays.

All weights and biases live in one contiguous buffer (``coefs_[i]`` and ``intercepts_[i]`` are
views into it) and all gradients in another, so each optimizer step is one kernel call over
the whole network.

Parameter names and defaults follow scikit-learn's ``MLPClassifier``/``MLPRegressor`` where it
has the concept; the loss, its L2 term, the initialization, the batching, the stopping rule and
the learning-rate schedules are those of scikit-learn. Differences are listed in the class
docstrings.
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Literal, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._base import BaseEstimator, ClassifierMixin, DeferredInterrupt, RegressorMixin, fit_context
from . import _chunked, _rows
from ._progress import Progress
from ._sparse import dense_rows, issparse, rows_per_block
from ._validation import (Interval, Options, check_array, check_classification_targets, check_is_fitted,
                          check_n_features, check_random_state, check_sample_weight, check_target,
                          check_weighted_classes)
from .backends import BACKEND_CONSTRAINT, get_backend
from .backends._optim_table import OPTIMIZERS
from . import optim
from .exceptions import ConvergenceWarning, sklearn_compatible

__all__ = ["MLPClassifier", "MLPRegressor", "ConvergenceWarning"]


_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
#: Every optimizer of the optimizer table trains an MLP (solver = the table's row name).
_SOLVERS = tuple(OPTIMIZERS)
_LEARNING_RATES = ("constant", "invscaling", "adaptive")
_NORMALIZATIONS = ("batch", "layer", "group")
#: The fitted attributes that are views into the training buffers (rebuilt by _make_views).
_VIEWS = ("coefs_", "intercepts_", "norm_weights_", "norm_biases_", "running_means_", "running_vars_", "spectral_u_")


class _Diverged(Exception):
    pass


def _normalize(a):
    """a / max(‖a‖₂, 1e-12) in float64 (torch.nn.functional.normalize with eps=1e-12)."""
    a = np.asarray(a, dtype=np.float64)
    return a / max(math.sqrt(float(np.dot(a, a))), 1e-12)


def _activate(a, name):
    """A hidden activation applied to the normalized pre-activation (prediction); the kernels'
    formulas (relu(NaN) = NaN; the logistic function without overflow)."""
    if name == "relu":
        return np.maximum(a, 0)
    if name == "tanh":
        return np.tanh(a)
    if name == "logistic":
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
    return a


_UNIT = Interval(numbers.Real, 0, 1, closed="left")
_M = TypeVar("_M", bound="_BaseMLP")


class _BaseMLP(BaseEstimator):
    """Shared machinery of MLPClassifier and MLPRegressor."""

    _parameter_constraints = {
        "hidden_layer_sizes": "no_validation",  # an int or a sequence of ints >= 1: see _layer_sizes
        "activation": [Options(tuple(_ACTIVATIONS))],
        "solver": [Options(_SOLVERS)],
        "alpha": [Interval(numbers.Real, 0, None)],
        "batch_size": [Options(("auto",)), Interval(numbers.Integral, 1, None)],
        "learning_rate": [Options(_LEARNING_RATES)],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="right")],
        "power_t": [Interval(numbers.Real, 0, None)],
        "max_iter": [Interval(numbers.Integral, 1, None)],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(numbers.Real, 0, None)],
        "verbose": ["boolean", Interval(numbers.Integral, 0, None)],
        "warm_start": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1)],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "beta_1": [_UNIT],
        "beta_2": [_UNIT],
        "epsilon": [Interval(numbers.Real, 0, None, closed="right")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None)],
        "backend": BACKEND_CONSTRAINT,
        "dtype": "no_validation",  # anything np.dtype() turns into float32 or float64: see below
        "callback": [None, "callable"],
        "dropout": "no_validation",  # a float in [0, 1) or one per hidden layer: see _dropout_rates
        "normalization": [None, Options(_NORMALIZATIONS)],
        "norm_groups": [Interval(numbers.Integral, 1, None)],
        "norm_momentum": [Interval(numbers.Real, 0, 1, closed="both")],
        "norm_eps": [Interval(numbers.Real, 0, None, closed="left")],
        "residual": ["boolean"],
        "spectral_norm": ["boolean"],
    }

    # Fitted state set during training (documented in the subclasses' Attributes).
    n_outputs_: int
    classes_: np.ndarray  # MLPClassifier only
    # Any: a list / float in one stopping mode (early_stopping or not), None in the other.
    validation_scores_: Any
    best_validation_score_: Any
    best_loss_: Any
    if TYPE_CHECKING:  # defined by MLPClassifier and MLPRegressor
        _prepare_targets: Callable[..., np.ndarray]
        _strata: Callable[[np.ndarray], np.ndarray | None]
        _validation_targets: Callable[[Any, np.ndarray], np.ndarray]
        _validation_score: Callable[[Any, np.ndarray, np.ndarray, Any], float]
        _loss_name: Callable[[], str]

    def __init__(self, hidden_layer_sizes: int | Sequence[int] = (100,),
                 activation: Literal["relu", "tanh", "logistic", "identity"] = "relu", *,
                 solver: Literal["adam", "sgd", "rmsprop", "adagrad", "adadelta", "rprop"] = "adam",
                 alpha: float = 0.0001, batch_size: int | Literal["auto"] = "auto",
                 learning_rate: Literal["constant", "invscaling", "adaptive"] = "constant",
                 learning_rate_init: float = 0.001, power_t: float = 0.5, max_iter: int = 200,
                 shuffle: bool = True, random_state: int | np.random.Generator | np.random.RandomState | None = None,
                 tol: float = 1e-4, verbose: bool = False, warm_start: bool = False, momentum: float = 0.9,
                 nesterovs_momentum: bool = True, early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8, n_iter_no_change: int = 10,
                 backend: str = "auto", dtype: DTypeLike = np.float32,
                 callback: Callable[[int, float, Any], Any] | None = None, dropout: float | Sequence[float] = 0.0,
                 normalization: Literal["batch", "layer", "group"] | None = None, norm_groups: int = 2,
                 norm_momentum: float = 0.1, norm_eps: float = 1e-5, residual: bool = False,
                 spectral_norm: bool = False) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.backend = backend
        self.dtype = dtype
        self.callback = callback
        self.dropout = dropout
        self.normalization = normalization
        self.norm_groups = norm_groups
        self.norm_momentum = norm_momentum
        self.norm_eps = norm_eps
        self.residual = residual
        self.spectral_norm = spectral_norm

    @fit_context
    def fit(self: _M, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> _M:
        """Train on (X, y) from a fresh initialization (or the fitted weights with warm_start).

        Runs up to ``max_iter`` epochs with the stopping rule described under ``tol``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) (class labels) or (n_samples,) / (n_samples, n_outputs)
            (regression targets)
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum: each minibatch's loss is their weighted mean
            (see "Sample weights" in the class docstring). None weighs every sample 1.

        Returns
        -------
        self : estimator
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False, sample_weight=sample_weight)

    # ------------------------------------------------------------------ hyper-parameters
    def _validate_hyper_parameters(self):
        hls: Any = self.hidden_layer_sizes
        if isinstance(hls, numbers.Integral) and not isinstance(hls, bool):
            hls = (hls,)
        try:
            sizes = tuple(hls)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes: expected an int or a tuple of ints, got {hls!r}") from None
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral):
                raise TypeError(f"hidden_layer_sizes: expected positive ints, got {hls!r}")
            if s < 1:
                raise ValueError(f"hidden_layer_sizes: every layer needs at least 1 unit, got {hls!r}")
        if self.solver == "lbfgs":
            raise ValueError("solver: 'lbfgs' is not supported by mlbasics (a full-batch quasi-Newton method); "
                             f"use one of {_SOLVERS}")
        self._validate_params()
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            raise TypeError(f"dtype: expected np.float32 or np.float64, got {self.dtype!r}") from None
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype: expected np.float32 or np.float64, got {self.dtype!r}")
        sizes = tuple(int(s) for s in sizes)
        self._dropout_rates(len(sizes))
        if self.normalization == "group":
            bad = [m for m in sizes if m % self.norm_groups]
            if bad:
                raise ValueError(f"norm_groups: {self.norm_groups} groups must divide every hidden width, but "
                                 f"{bad} of hidden_layer_sizes {list(sizes)} are not multiples of it")
        kernels = get_backend(self.backend)
        return sizes, dtype, kernels

    def _dropout_rates(self, n_hidden: int) -> tuple[float, ...]:
        """``dropout`` as one rate in [0, 1) per hidden layer (ValueError/TypeError naming it)."""
        p: Any = self.dropout
        if isinstance(p, (str, bytes, bool, np.bool_)):
            raise TypeError(f"dropout: expected a float in [0, 1) or one per hidden layer, got {p!r}")
        if isinstance(p, numbers.Real):
            rates: tuple[Any, ...] = (p,) * n_hidden
            if not 0.0 <= float(p) < 1.0:
                raise ValueError(f"dropout: expected a float in [0, 1) or one per hidden layer, got {p!r}")
        else:
            try:
                rates = tuple(p)
            except TypeError:
                raise TypeError(f"dropout: expected a float in [0, 1) or one per hidden layer, got {p!r}") from None
            if len(rates) != n_hidden:
                raise ValueError(f"dropout: expected one rate per hidden layer ({n_hidden}), got {len(rates)}: {p!r}")
        for r in rates:
            if isinstance(r, (bool, np.bool_)) or not isinstance(r, numbers.Real):
                raise TypeError(f"dropout: expected floats in [0, 1), got {p!r}")
            if not 0.0 <= float(r) < 1.0:
                raise ValueError(f"dropout: every rate must be in [0, 1), got {p!r}")
        return tuple(float(r) for r in rates)

    # ------------------------------------------------------------------ parameter buffers
    def _allocate(self, layer_units, dtype):
        """One flat buffer for all trained parameters (per layer W, b, then γ, β of a normalized
        hidden layer), one for their gradients, the buffers of the running statistics (batch norm)
        and of the spectral vectors (spectral norm), and the views."""
        shapes = []
        for n_in, n_out in zip(layer_units[:-1], layer_units[1:]):
            shapes.append(((n_in, n_out), (n_out,)))
        self._layer_shapes = shapes
        hidden = sum(layer_units[1:-1])
        total = sum(a * b + b for (a, b), _ in shapes) + (2 * hidden if self.normalization is not None else 0)
        self._params_flat = np.zeros(total, dtype=dtype)
        self._grad_flat = np.zeros(total, dtype=dtype)
        self._running_flat = None
        if self.normalization == "batch":  # per hidden layer: running mean 0, then running variance 1
            self._running_flat = np.concatenate([np.r_[np.zeros(m), np.ones(m)] for m in layer_units[1:-1]]
                                                + [np.zeros(0)]).astype(dtype)
        self._spectral_flat = None
        if self.spectral_norm:  # per layer: u (n_out), then v (n_in)
            self._spectral_flat = np.zeros(sum(a + b for (a, b), _ in shapes), dtype=dtype)
        self._make_views()

    def _has_norm_params(self) -> bool:
        """Whether the flat buffer holds γ and β (the model was built with a normalization)."""
        plain = sum(a * b + b for (a, b), _ in self._layer_shapes)
        return self._params_flat.shape[0] != plain

    def _spectral_pairs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer (u (n_out), v (n_in)) views of the spectral vectors ([] without spectral norm)."""
        flat = self.__dict__.get("_spectral_flat")
        if flat is None:
            return []
        pairs, off = [], 0
        for (n_in, n_out), _ in self._layer_shapes:
            pairs.append((flat[off:off + n_out], flat[off + n_out:off + n_out + n_in]))
            off += n_out + n_in
        return pairs

    def _make_views(self):
        """The fitted attributes as views into the training buffers: ``coefs_[i]``, ``intercepts_[i]``
        and ``norm_weights_[i]``, ``norm_biases_[i]`` (γ, β) into the flat parameter buffer (per
        layer W, b, then γ, β for a normalized hidden layer); ``running_means_``, ``running_vars_``
        into the running statistics; ``spectral_u_`` into the spectral vectors."""
        self.coefs_, self.intercepts_, self.norm_weights_, self.norm_biases_ = [], [], [], []
        norm = self._has_norm_params()
        last = len(self._layer_shapes) - 1
        off = 0
        for i, ((n_in, n_out), _) in enumerate(self._layer_shapes):
            self.coefs_.append(self._params_flat[off:off + n_in * n_out].reshape(n_in, n_out))
            self.intercepts_.append(self._params_flat[off + n_in * n_out:off + n_in * n_out + n_out])
            off += n_in * n_out + n_out
            if norm and i < last:
                self.norm_weights_.append(self._params_flat[off:off + n_out])
                self.norm_biases_.append(self._params_flat[off + n_out:off + 2 * n_out])
                off += 2 * n_out
        self.running_means_, self.running_vars_ = [], []
        running = self.__dict__.get("_running_flat")
        if running is not None:
            off = 0
            for (_, n_out), _ in self._layer_shapes[:-1]:
                self.running_means_.append(running[off:off + n_out])
                self.running_vars_.append(running[off + n_out:off + 2 * n_out])
                off += 2 * n_out
        self.spectral_u_ = [u for u, _ in self._spectral_pairs()]

    def __getstate__(self):
        state = self.__dict__.copy()
        if "_params_flat" in state:  # views, rebuilt on unpickling (user-assigned arrays are kept)
            for name in _VIEWS:
                state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "_params_flat" in state:
            self._make_views()

    def _initialize(self, layer_units, dtype, rng):
        """Glorot-uniform weights and biases, as scikit-learn: U(−b, b) with
        b = sqrt(6 / (fan_in + fan_out)), or sqrt(2 / (fan_in + fan_out)) for logistic.

        With a normalization γ = 1 and β = 0 (batch norm: running mean 0 and variance 1). With
        spectral norm, drawn after all the weights, per layer u = normalize(randn(n_out)) and
        v = normalize(randn(n_in)), as torch draws them when the parametrization is registered
        (its 15 power iterations follow in :meth:`_spectral_warmup`, once the weights are final)."""
        self._allocate(layer_units, dtype)
        factor = 2.0 if self.activation == "logistic" else 6.0
        for W, b in zip(self.coefs_, self.intercepts_):
            bound = math.sqrt(factor / (W.shape[0] + W.shape[1]))
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape)
        for gamma in self.norm_weights_:
            gamma[...] = 1
        for u, v in self._spectral_pairs():
            u[...] = _normalize(rng.standard_normal(u.shape[0]))
            v[...] = _normalize(rng.standard_normal(v.shape[0]))
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(layer_units)
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    def _spectral_warmup(self, iterations=15):
        """torch's power iterations at registration: u ← normalize(Wᵀ v), v ← normalize(W u)."""
        for W, (u, v) in zip(self.coefs_, self._spectral_pairs()):
            W64 = W.astype(np.float64)
            u64, v64 = u.astype(np.float64), v.astype(np.float64)
            for _ in range(iterations):
                u64 = _normalize(W64.T @ v64)
                v64 = _normalize(W64 @ u64)
            u[...], v[...] = u64, v64

    def _fitted_tricks_match(self) -> None:
        """A fitted model continues training (partial_fit, warm_start) only with the buffers its
        parameters need: ValueError naming the parameter that changed the layout."""
        has_norm = self._has_norm_params() or (self.normalization is not None and len(self._layer_shapes) == 1)
        if (self.normalization is not None) != has_norm:
            raise ValueError(f"normalization: the model was fitted {'with' if has_norm else 'without'} a "
                             f"normalization, got normalization={self.normalization!r}; call fit to start again "
                             "(warm_start=False)")
        if (self.normalization == "batch") != (self.__dict__.get("_running_flat") is not None):
            raise ValueError(f"normalization: batch norm's running statistics do not match "
                             f"normalization={self.normalization!r}; call fit to start again (warm_start=False)")
        if bool(self.spectral_norm) != (self.__dict__.get("_spectral_flat") is not None):
            raise ValueError(f"spectral_norm: the model was fitted with spectral_norm="
                             f"{not self.spectral_norm}, got {self.spectral_norm}; call fit to start again "
                             "(warm_start=False)")

    def _make_optimizer(self, kernels):
        params = [self._params_flat]
        lr = float(self.learning_rate_init)
        # the backend as the user gave it ("auto" stays "auto"), so a pickled model loads anywhere
        name = self.backend
        if self.solver == "sgd":
            return optim.SGD(params, lr=lr, momentum=float(self.momentum),
                             nesterov=bool(self.nesterovs_momentum and self.momentum > 0), backend=name)
        if self.solver == "adam":
            return optim.Adam(params, lr=lr, betas=(float(self.beta_1), float(self.beta_2)),
                              eps=float(self.epsilon), backend=name)
        if self.solver == "rmsprop":
            return optim.RMSprop(params, lr=lr, eps=float(self.epsilon), backend=name)
        if self.solver == "adagrad":
            return optim.Adagrad(params, lr=lr, backend=name)
        if self.solver == "adadelta":
            return optim.Adadelta(params, lr=lr, backend=name)
        return optim.Rprop(params, lr=lr, backend=name)

    # ------------------------------------------------------------------ forward pass
    def _forward(self, kernels, X):
        """Logits of the output layer (prediction; training runs in the backend's mlp_epoch)."""
        if issparse(X):  # dense row blocks of bounded memory (see the module docstring)
            step = rows_per_block(X.shape[1], self._params_flat.dtype)
            blocks = [self._forward(kernels, dense_rows(X, slice(i, i + step))) for i in range(0, X.shape[0], step)]
            return np.concatenate(blocks) if blocks else np.empty((0, self.n_outputs_), self._params_flat.dtype)
        hidden = _ACTIVATIONS[self.activation]
        last = len(self.coefs_) - 1
        if not (self.norm_weights_ or self.residual or self.spectral_u_ or self.normalization is not None
                or self.spectral_norm):  # the plain network
            h = X
            for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_)):
                z, out = kernels.linear_forward(h, W, b, hidden if i < last else "identity")
                h = out
            return h
        # eval mode: W̃ = W / σ from the stored u, v; batch norm with the running statistics;
        # no dropout; the residual connections as in training
        self._fitted_tricks_match()
        weights = self._spectral_weights() if self.spectral_u_ else self.coefs_
        h = X
        for i, (W, b) in enumerate(zip(weights, self.intercepts_)):
            if i == last:
                return kernels.linear_forward(h, W, b, "identity")[0]
            if self.norm_weights_:
                z = kernels.linear_forward(h, W, b, "identity")[0]
                gamma, beta = self.norm_weights_[i], self.norm_biases_[i]
                if self.normalization == "batch":
                    a = kernels.batch_norm_forward(z, gamma, beta, self.running_means_[i], self.running_vars_[i],
                                                   training=False, eps=float(self.norm_eps))[0]
                else:
                    groups = 1 if self.normalization == "layer" else int(self.norm_groups)
                    a = kernels.group_norm_forward(z, gamma, beta, groups=groups, eps=float(self.norm_eps))[0]
                g = _activate(a, self.activation)
            else:
                g = kernels.linear_forward(h, W, b, hidden)[1]
            h = h + g if self.residual and W.shape[0] == W.shape[1] else g
        return h

    def _spectral_weights(self) -> list[np.ndarray]:
        """W̃ = W / σ with σ = uᵀ (Wᵀ v) from the stored vectors (no iteration; float64, rounded to
        the dtype), as torch's spectral norm in eval mode."""
        out = []
        for W, (u, v) in zip(self.coefs_, self._spectral_pairs()):
            sigma = W.dtype.type(float(np.dot(u.astype(np.float64), W.astype(np.float64).T @ v.astype(np.float64))))
            out.append(W / sigma)
        return out

    # ------------------------------------------------------------------ training loop
    def _fit(self, X, y, *, incremental, classes=None, sample_weight=None):
        sizes, dtype, kernels = self._validate_hyper_parameters()
        if incremental and self.early_stopping:
            raise ValueError("early_stopping: partial_fit does not support early_stopping=True")
        fitted = hasattr(self, "_params_flat")
        first = not fitted or not (incremental or self.warm_start)
        # warm_start from attributes a user assigned to an unfitted estimator (e.g. torch's weights)
        adopt = first and fitted is False and self.warm_start and not incremental and "coefs_" in self.__dict__
        if not first and np.dtype(self._params_flat.dtype) != dtype:
            raise ValueError(f"dtype: the model was fitted with {self._params_flat.dtype}, got {dtype}; "
                             "call fit to start again")
        self._check_feature_names(X, reset=first)
        if _chunked.out_of_core(X):  # streamed a chunk at a time (see "Data larger than memory")
            X = _chunked.ShuffledChunks(_rows.as_rows(X, "X"), dtype)
            X.check_finite()
        else:
            X = check_array(X, "X", dtype=dtype, accept_sparse=True)
        if issparse(X):
            X = X.tocsr()  # row blocks (minibatches); a copy only for CSC
        if not first:
            check_n_features(self, X)
            self._fitted_tricks_match()
        if adopt and "classes_" in self.__dict__ and isinstance(self, MLPClassifier):
            user_classes = np.asarray(self.classes_)
            if user_classes.ndim != 1 or not np.array_equal(np.unique(user_classes), user_classes):
                raise ValueError(f"classes_: expected the sorted, distinct class labels (as np.unique gives), got "
                                 f"{user_classes!r}")
            Y = self._prepare_targets(X, y, first=True, incremental=True, classes=user_classes)
        else:
            Y = self._prepare_targets(X, y, first=first, incremental=incremental, classes=classes)
        sw = check_sample_weight(sample_weight, X.shape[0], dtype, keep_none=True)
        if sw is not None and not incremental and (strata := self._strata(Y)) is not None:
            check_weighted_classes(sw, strata.astype(np.int64), self.classes_)
        if self.normalization == "batch" and X.shape[0] < 2:
            raise ValueError(f"X: normalization='batch' needs at least 2 training samples, got {X.shape[0]} "
                             "sample(s) (batch statistics of one row do not exist; torch refuses them too)")
        if first:
            user = {name: self.__dict__[name] for name in _VIEWS if name in self.__dict__} if adopt else {}
            self._rng = check_random_state(self.random_state)
            self.n_features_in_ = X.shape[1]
            layer_units = [X.shape[1], *sizes, self.n_outputs_]
            self._initialize(layer_units, dtype, self._rng)
            if adopt:
                self._adopt(user)
            elif self.spectral_norm:
                self._spectral_warmup()
        elif not incremental:
            layer_units = [X.shape[1], *sizes, self.n_outputs_]
            if [s[0] for s, _ in self._layer_shapes] + [self.n_outputs_] != layer_units:
                raise ValueError(f"hidden_layer_sizes: warm_start needs the fitted architecture "
                                 f"{[s[0] for s, _ in self._layer_shapes][1:]}, got {list(sizes)}")
            self._adopt({name: self.__dict__[name] for name in _VIEWS if name in self.__dict__})
        if any(self._dropout_rates(len(sizes))) and (first or not incremental or "_dropout_seed" not in self.__dict__):
            # drawn after the weights and spectral vectors, and only with dropout: dropout=0 leaves
            # the random stream (and the network) as without the tricks
            self._dropout_seed = int(self._rng.integers(0, 2**64, dtype=np.uint64))
        if first or not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer(kernels)

        snapshot = (self._params_flat.copy(), self._optimizer.state_dict(), self._buffers_copy()) if not first else None
        # From here on the weights change in place: Ctrl-C only sets a flag, which training checks
        # between slices of minibatches (so fit_context's restore never meets half-updated weights).
        with DeferredInterrupt() as interrupt:
            try:
                # overflow on the way to divergence is reported below as one clear error
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    self._fit_stochastic(kernels, X, Y, y, incremental, interrupt, sw)
            except _Diverged as exc:
                if snapshot is None:
                    self._forget()
                else:
                    self._params_flat[...] = snapshot[0]
                    self._optimizer.load_state_dict(snapshot[1])
                    self._buffers_restore(snapshot[2])
                raise ValueError(
                    f"learning_rate_init: training diverged ({exc}); with learning_rate_init="
                    f"{self.learning_rate_init!r} and solver={self.solver!r} the updates grow without bound. Lower "
                    "learning_rate_init, or standardize X (e.g. with StandardScaler)."
                    + (" The model was left unfitted." if snapshot is None else " The model was restored to its "
                       "state before this call.")) from None
        return self

    def _accepts_sparse(self) -> bool:
        return True

    def _forget(self):
        for name in [k for k in self.__dict__ if k.endswith("_") and not k.startswith("__")]:
            delattr(self, name)
        for name in ("_params_flat", "_grad_flat", "_optimizer", "_layer_shapes", "_running_flat", "_spectral_flat",
                     "_dropout_seed", "_rng", "_no_improvement_count"):
            self.__dict__.pop(name, None)

    def _buffers_copy(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Copies of the running statistics and the spectral vectors (training state besides params)."""
        running, spectral = self.__dict__.get("_running_flat"), self.__dict__.get("_spectral_flat")
        return (None if running is None else running.copy(), None if spectral is None else spectral.copy())

    def _buffers_restore(self, saved) -> None:
        for name, copy in zip(("_running_flat", "_spectral_flat"), saved):
            if copy is not None:
                self.__dict__[name][...] = copy

    def _adopt(self, user: dict[str, Any]) -> None:
        """warm_start: copy the parameters the user assigned (``coefs_``, ``intercepts_``,
        ``norm_weights_``, ``norm_biases_``, ``running_means_``, ``running_vars_``, ``spectral_u_``;
        each a list with one array per layer, checked for shape) into the training buffers, then
        make the attributes views again. With ``spectral_u_`` assigned, v = normalize(W u) (what
        torch holds right after registering its parametrization); with new weights but no u, the
        15 power iterations of the initialization are run on them."""
        self._make_views()
        views = {name: getattr(self, name) for name in _VIEWS}
        copied = set()
        for name, value in user.items():
            target = views[name]
            if isinstance(value, list) and len(value) == len(target) and all(
                    isinstance(a, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape
                    and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
                    for a, b in zip(value, target)):
                continue  # the buffers' own views (perhaps changed in place): nothing to copy
            if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
                raise TypeError(f"{name}: expected a list of arrays (one per layer), got {type(value).__name__}")
            if len(value) != len(target):
                raise ValueError(f"{name}: expected {len(target)} arrays for this network "
                                 f"(layer sizes {[a for (a, _), _ in self._layer_shapes] + [self.n_outputs_]}, "
                                 f"normalization={self.normalization!r}, spectral_norm={self.spectral_norm}), "
                                 f"got {len(value)}")
            arrays = []
            for i, (a, t) in enumerate(zip(value, target)):
                try:
                    arr = np.asarray(a, dtype=np.float64)
                except (TypeError, ValueError):
                    raise TypeError(f"{name}[{i}]: expected an array of numbers, got {type(a).__name__}") from None
                if arr.shape != t.shape:
                    raise ValueError(f"{name}[{i}]: expected shape {t.shape}, got {arr.shape}")
                arrays.append(arr)
            for arr, t in zip(arrays, target):
                t[...] = arr
            copied.add(name)
        if self.spectral_norm:
            if "spectral_u_" in copied:
                for W, (u, v) in zip(self.coefs_, self._spectral_pairs()):
                    v[...] = _normalize(W.astype(np.float64) @ u.astype(np.float64))
            elif "coefs_" in copied or not user:
                self._spectral_warmup()
        self._make_views()

    def _split_validation(self, n, y_for_strata):
        n_val = int(math.ceil(self.validation_fraction * n))
        if n_val < 2 or n - n_val < 1:
            raise ValueError(f"validation_fraction: the validation set would have {n_val} of {n} samples; "
                             "early stopping needs at least 2 (raise validation_fraction or use more data)")
        perm = self._rng.permutation(n)
        if y_for_strata is not None:  # spread every class evenly over the permutation, then cut
            yp = y_for_strata[perm]
            rank = np.empty(n)
            for c in np.unique(yp):
                mask = yp == c
                rank[mask] = (np.arange(mask.sum()) + 0.5) / mask.sum()
            perm = perm[np.argsort(rank, kind="stable")]
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])

    def _fit_stochastic(self, kernels, X, Y, y_raw, incremental, interrupt, sw=None):
        opt = self._optimizer
        early_stopping = self.early_stopping and not incremental
        streamed = isinstance(X, _chunked.ShuffledChunks)
        if early_stopping:
            train, val = self._split_validation(X.shape[0], self._strata(Y))
            X_val, y_val = (X.take(val) if streamed else X[val]), self._validation_targets(y_raw, val)
            X, Y = (X.subset(train) if streamed else X[train]), Y[train]
            sw_val = None
            if sw is not None:
                sw, sw_val = sw[train], sw[val]
                if not (sw.sum() > 0 and sw_val.sum() > 0):
                    raise ValueError("sample_weight: the samples of the training or of the validation part of "
                                     "early_stopping all weigh 0; change the weights, random_state or "
                                     "validation_fraction")
            best_params = self._params_flat.copy()
            best_buffers = self._buffers_copy()
        n = X.shape[0]
        if self.normalization == "batch" and n < 2:
            raise ValueError(f"X: normalization='batch' needs at least 2 training samples, but the training part "
                             f"of early_stopping has {n}; use more data or a smaller validation_fraction")
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(f"batch_size: got {self.batch_size}, larger than the {n} training samples; "
                              "it is clipped", UserWarning)
            batch_size = min(int(self.batch_size), n)
        if self.normalization == "batch" and batch_size < 2:
            raise ValueError("batch_size: normalization='batch' never trains on a minibatch of one row (its batch "
                             "statistics do not exist), so batch_size=1 would train on nothing; use batch_size >= 2")
        if not issparse(X) and not streamed:
            X = np.ascontiguousarray(X)
        idx = X.epoch_order(None) if streamed else np.arange(n)
        self.n_iter_ = 0
        self.stopped_by_callback_ = False
        reached_max_iter = interrupted = False
        with Progress(1 if incremental else self.max_iter, type(self).__name__, self.verbose) as progress:
            for _ in range(self.max_iter):
                if self.shuffle:  # streamed: the chunks, then the rows within each, in random order
                    idx = X.epoch_order(self._rng) if streamed else self._rng.permutation(n)
                total, rows = self._epoch(kernels, X, Y, idx, batch_size, interrupt, sw)
                if rows:
                    self.n_iter_ += 1
                    self.t_ += rows
                    self.loss_ = total / rows
                    self.loss_curve_.append(self.loss_)
                if interrupt.requested:
                    interrupted = True
                    progress.write(f"Training interrupted by user after {rows} of {n} samples of epoch "
                                   f"{self.n_iter_ if rows else self.n_iter_ + 1}.")
                    break

                score = None
                if early_stopping:
                    score = self._validation_score(kernels, X_val, y_val, sw_val)
                    self.validation_scores_.append(score)
                    if score < self.best_validation_score_ + self.tol:
                        self._no_improvement_count += 1
                    else:
                        self._no_improvement_count = 0
                    if score > self.best_validation_score_:
                        self.best_validation_score_ = score
                        best_params[...] = self._params_flat
                        best_buffers = self._buffers_copy()
                else:
                    if self.loss_ > self.best_loss_ - self.tol:
                        self._no_improvement_count += 1
                    else:
                        self._no_improvement_count = 0
                    if self.loss_ < self.best_loss_:
                        self.best_loss_ = self.loss_
                progress.update(self.loss_, score)
                if self.callback is not None and self.callback(self.n_iter_, self.loss_, self):
                    self.stopped_by_callback_ = True
                    progress.write(f"Stopped by callback after epoch {self.n_iter_}.")
                    break

                if self.learning_rate == "invscaling":
                    opt.param_groups[0]["lr"] = float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t

                if self._no_improvement_count > self.n_iter_no_change:
                    what = "Validation score" if early_stopping else "Training loss"
                    msg = (f"{what} did not improve more than tol={self.tol:f} for {self.n_iter_no_change} "
                           "consecutive epochs.")
                    lr = opt.param_groups[0]["lr"]
                    if self.learning_rate == "adaptive" and lr > 1e-6:
                        opt.param_groups[0]["lr"] = lr / 5.0
                        self._no_improvement_count = 0
                        progress.write(f"{msg} Setting learning rate to {lr / 5.0:f}")
                    else:
                        progress.write(f"{msg} Stopping.")
                        break
                if incremental:
                    break
                reached_max_iter = self.n_iter_ == self.max_iter
        if interrupted:  # as scikit-learn: stop, warn, keep the model of the last completed slice
            warnings.warn("Training interrupted by user.", UserWarning, stacklevel=3)
        if reached_max_iter:  # warned once the bar is closed
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", sklearn_compatible(ConvergenceWarning))
        if not np.isfinite(self._params_flat).all():
            raise _Diverged("the weights became non-finite")
        if early_stopping:
            self._params_flat[...] = best_params
            self._buffers_restore(best_buffers)

    #: Work per ``mlp_epoch`` call (multiply-adds × 2, forward and backward): an epoch runs as slices
    #: of whole minibatches of about this much work, so Ctrl-C is answered between two slices
    #: instead of at the end of the epoch — ~100 ms at worst on the numpy backend (5e8 flops), and
    #: 20–40 ms on the compiled ones (4e9 flops at their 100–200 GFLOP/s). Each call costs ~0.2 ms
    #: of argument checks in Python and a fresh set of work buffers: measured on 784-256-256-10,
    #: batch 64, 60,000 rows (cpp, 1 thread, Zen 5, a loaded machine), slices of 5e8 flops cost
    #: 30–40 ms more per epoch than slices of 4e9 (6–8%; 235 calls against 25).
    _SLICE_FLOPS = {"numpy": 5e8}
    _SLICE_FLOPS_COMPILED = 4e9

    def _slice_rows(self, batch_size: int, backend: str = "cpp") -> int:
        """Rows per kernel call: whole minibatches worth about ``_SLICE_FLOPS`` of ``backend``."""
        per_row = 6.0 * sum(shape[0] * shape[1] for shape, _ in self._layer_shapes)
        budget = self._SLICE_FLOPS.get(backend, self._SLICE_FLOPS_COMPILED)
        batches = max(1, int(budget // max(per_row * batch_size, 1.0)))
        return batches * batch_size

    def _epoch(self, kernels: Any, X: np.ndarray, Y: np.ndarray, idx: np.ndarray, batch_size: int,
               interrupt: DeferredInterrupt | None = None, sw: np.ndarray | None = None) -> tuple[float, int]:
        """One pass over the rows ``idx`` in minibatches, as ``mlp_epoch`` kernel calls over slices of
        whole minibatches (every batch's forward, loss, backward and optimizer step; weighted by
        ``sw`` when given). Returns (Σ batch loss · batch size, rows trained); stops early, after
        a whole slice, when ``interrupt.requested``."""
        if isinstance(X, _chunked.ShuffledChunks):
            return self._epoch_streamed(kernels, X, Y, idx, batch_size, interrupt, sw)
        opt = self._optimizer
        sizes = [s[0] for s, _ in self._layer_shapes] + [self.n_outputs_]
        step_rows = self._slice_rows(batch_size, getattr(kernels, "name", "cpp"))
        sparse = issparse(X)
        if sparse:  # whole minibatches of densified rows, of bounded memory
            step_rows = min(step_rows, rows_per_block(X.shape[1], self._params_flat.dtype, multiple=batch_size))
        total, rows = 0.0, 0
        batch_norm = self.normalization == "batch"
        tricks: dict[str, Any] = {}
        if self.normalization is not None or self.residual or self.spectral_norm or any(self._dropout_rates(len(sizes) - 2)):
            rates = self._dropout_rates(len(sizes) - 2)
            tricks = dict(dropout=rates, seed=self.__dict__.get("_dropout_seed", 0) if any(rates) else 0,
                          normalization=self.normalization, norm_groups=int(self.norm_groups),
                          norm_momentum=float(self.norm_momentum), norm_eps=float(self.norm_eps),
                          running_stats=self.__dict__.get("_running_flat"), residual=bool(self.residual),
                          spectral_norm=bool(self.spectral_norm), spectral_vectors=self.__dict__.get("_spectral_flat"))
        for start in range(0, idx.shape[0], step_rows):
            part = idx[start:start + step_rows]
            X_part, Y_part, idx_part, sw_part = X, Y, part, sw
            if sparse:  # the slice's rows, in the order of part: the kernel sees rows 0, 1, ...
                X_part, Y_part, idx_part = dense_rows(X, part), Y[part], np.arange(part.shape[0])
                sw_part = None if sw is None else sw[part]
            spec = opt._fused_spec()
            assert spec is not None  # an MLP's optimizer holds exactly one flat parameter
            kind, hyper, state, step, first_step = spec
            steps = 0
            try:
                value, steps = kernels.mlp_epoch(
                    X_part, Y_part, idx_part, self._params_flat, self._grad_flat, state, layer_sizes=sizes,
                    activation=_ACTIVATIONS[self.activation], loss=self._loss_name(), alpha=float(self.alpha),
                    batch_size=batch_size, optimizer=kind, hyper=hyper, step=step, first_step=first_step,
                    sample_weight=sw_part, **tricks)
            finally:
                opt._fused_advance(steps)
            starts = np.arange(0, part.shape[0], batch_size)
            trains = np.ones(starts.shape[0], dtype=bool)
            if batch_norm:  # batch norm skips a minibatch of one row (only the last one can be)
                trains &= np.minimum(starts + batch_size, part.shape[0]) - starts > 1
            if sw is not None:  # a batch whose samples all weigh 0 takes no step
                trains &= np.add.reduceat(sw[part], starts) > 0
            batches = int(np.count_nonzero(trains))
            if steps < batches:
                raise _Diverged(f"the loss became {value} in epoch {self.n_iter_ + 1}")
            total += value
            rows += part.shape[0] - (1 if batch_norm and part.shape[0] % batch_size == 1 else 0)
            if interrupt is not None and interrupt.requested:
                break
        return total, rows

    def _epoch_streamed(self, kernels: Any, X: _chunked.ShuffledChunks, Y: np.ndarray, order: np.ndarray,
                        batch_size: int, interrupt: DeferredInterrupt | None, sw: np.ndarray | None
                        ) -> tuple[float, int]:
        """:meth:`_epoch` over X read a chunk at a time in ``order``: each chunk's rows, with the rows
        a previous chunk left over (fewer than a minibatch), train in memory; the remainder waits
        for the next chunk, so only the epoch's last minibatch may be short."""
        total, rows = 0.0, 0
        carry_pos = np.empty(0, dtype=np.int64)
        carry_X = np.empty((0, X.shape[1]), dtype=X.dtype)
        last = -1 if not order.size else int(X.chunk_of(order[-1]))
        for pos, block in X.blocks(order):  # one chunk in memory at a time
            final = pos.size and int(X.chunk_of(pos[-1])) == last and pos[-1] == order[-1]
            pos = np.concatenate([carry_pos, pos])
            block = np.concatenate([carry_X, block]) if carry_pos.size else block
            use = pos.shape[0] if final else pos.shape[0] - pos.shape[0] % batch_size
            carry_pos, carry_X = pos[use:], block[use:]
            if use:
                part_total, part_rows = self._epoch(kernels, block[:use], Y[pos[:use]], np.arange(use), batch_size,
                                                    interrupt, None if sw is None else sw[pos[:use]])
                total += part_total
                rows += part_rows
            if interrupt is not None and interrupt.requested:
                break
        return total, rows

    # ------------------------------------------------------------------ prediction helpers
    def _logits(self, X):
        check_is_fitted(self, "coefs_")
        self._check_feature_names(X, reset=False)
        if _chunked.out_of_core(X):  # a memory map or an array-like: a block of rows at a time
            src = _rows.as_rows(X, "X")
            check_n_features(self, src)
            return np.concatenate([self._logits(np.asarray(src.read(a, b)))
                                   for a, b in zip(src.bounds()[:-1], src.bounds()[1:])])
        X = check_array(X, "X", dtype=self._params_flat.dtype, accept_sparse=True)
        check_n_features(self, X)
        return self._forward(get_backend(self.backend), X)

    def _lazy(self, method: Callable, X: Any, width: int | None, dtype: Any = None) -> Any:
        """``method`` over a dask X's row chunks (a lazy dask array), or None for any other X."""
        if not _chunked.is_dask_array(X):
            return None
        check_is_fitted(self, "coefs_")
        return _rows.dask_map(method, X, self.n_features_in_, width, dtype or self._params_flat.dtype)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained with mini-batch stochastic gradient methods.

    The output layer is a softmax over the classes with the cross-entropy loss (more than two
    classes), or one logistic unit with the binary cross-entropy (two classes). The training
    loss of a mini-batch B is scikit-learn's

    .. math::
        L = −\\frac1{|B|} \\sum_{i ∈ B} \\log p_{i, y_i} + \\frac{α}{2|B|} \\sum_l \\lVert W^l \\rVert^2

    (biases are not penalized), so α/|B| · W is added to each weight gradient; the course's
    λΣW² corresponds to α = 2λ|B|. ``loss_curve_`` holds each epoch's sample-weighted mean of L.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Units of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
        Hidden-layer activation (kernel activations relu, tanh, sigmoid, identity).
    solver : {"adam", "sgd", "rmsprop", "adagrad", "adadelta", "rprop"}, default "adam"
        The :mod:`mlbasics.optim` optimizer, with ``lr=learning_rate_init``: ``"adam"`` is
        ``Adam(betas=(beta_1, beta_2), eps=epsilon)``; ``"sgd"`` is ``SGD(momentum=momentum,
        dampening=0, nesterov=nesterovs_momentum)`` — scikit-learn's v ← μv − ηg, θ ← θ + v is
        the same trajectory (v = −η·b) while η is constant; when the learning rate changes,
        scikit-learn's velocity keeps the old rate's scale while torch's buffer b carries no rate.
        ``"rmsprop"`` is ``RMSprop(eps=epsilon)``; ``"adagrad"``, ``"adadelta"`` and ``"rprop"``
        use torch's other defaults (Adadelta is usually run with ``learning_rate_init=1.0``;
        Rprop's step sizes adapt by themselves and work best with large batches).
        ``"lbfgs"`` is not supported (ValueError). scikit-learn's Adam puts ε outside the bias
        correction of √v; torch's (used here) inside — a difference of order ε.
    alpha : float, default 1e-4
        Strength of the L2 penalty (see the loss above).
    batch_size : int or "auto", default "auto"
        Mini-batch size; "auto" is min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        "invscaling": after each epoch η = learning_rate_init / (t_ + 1)^power_t, with t_ the
        number of samples seen (scikit-learn's rule). "adaptive": when the stopping rule below
        fires, divide η by 5 and go on instead of stopping (stop once η ≤ 1e-6). Unlike
        scikit-learn, where these apply to "sgd" only, they apply to every solver (Rprop
        ignores η after its first step).
    learning_rate_init : float, default 1e-3
    power_t : float, default 0.5
    max_iter : int, default 200
        Maximum number of epochs; reaching it emits :class:`ConvergenceWarning`.
    shuffle : bool, default True
        Shuffle the samples every epoch.
    random_state : None, int or numpy Generator
        Seeds initialization, shuffling and the validation split.
    tol : float, default 1e-4
        Training stops when the epoch loss has not improved on the best by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs (or the validation accuracy, with
        ``early_stopping``), as in scikit-learn.
    verbose : bool, default False
        Show a progress bar over the ``max_iter`` epochs on stderr with each epoch's training loss
        (and validation score with ``early_stopping``), and why training stopped: a tqdm bar when
        tqdm is installed, else one line rewritten in place. Unlike scikit-learn, nothing is
        printed to stdout.
    warm_start : bool, default False
        ``fit`` continues from the fitted weights (with a new optimizer).
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified) and stop on its
        accuracy; the best weights are restored at the end.
    validation_fraction : float, default 0.1
    beta_1, beta_2 : float, default 0.9, 0.999
    epsilon : float, default 1e-8
    n_iter_no_change : int, default 10
    backend : {"auto", "cpp", "numba", "numpy"}, default "auto"
    dtype : np.float32 or np.float64, default np.float32
        Precision of the weights and of the computation (X is converted).
    callback : None or callable, default None
        Called after every epoch as ``callback(epoch, loss, estimator)``: ``epoch`` is the
        1-based ``n_iter_`` of this fit, ``loss`` that epoch's ``loss_curve_`` entry, and
        ``estimator`` this model with the epoch's weights (it can ``predict``; with
        ``early_stopping`` the validation score is already in ``validation_scores_``). A truthy
        return value stops training after this epoch: no ConvergenceWarning, the model is
        fitted (with ``early_stopping``, with the best weights as usual) and
        ``stopped_by_callback_`` is True. An exception raised by the callback propagates out of
        ``fit``; the model then keeps the weights and attributes of the last completed epoch
        (``n_iter_`` and ``loss_curve_`` include it; the best weights of ``early_stopping``
        are not restored), i.e. it is fitted as if training had been interrupted there.
        Not a scikit-learn parameter.
    dropout : float or sequence of float, default 0.0
        Inverted dropout on each hidden layer's output during training: a float in [0, 1) for
        every hidden layer, or one per hidden layer. A unit is dropped with probability p and the
        kept ones are scaled by 1/(1 − p); nothing happens at predict time. The masks come from a
        counter-based generator (Philox) keyed by a seed drawn from ``random_state`` (only when
        some rate is > 0, so ``dropout=0`` is the network without dropout, bit for bit): the same
        ``random_state`` gives the same fit on a backend, and the same masks on every backend.
    normalization : {None, "batch", "layer", "group"}, default None
        Normalization of each hidden layer's pre-activation z = hW + b, before the activation,
        with a learnable scale γ (init 1) and shift β (init 0) per hidden unit, trained by the
        solver and not penalized by ``alpha``. ``"batch"`` follows ``torch.nn.BatchNorm1d``:
        batch statistics (biased variance) in training, running mean and unbiased running
        variance (``norm_momentum``), running statistics at predict time. Batch norm never
        trains on a minibatch of one row (torch refuses one): a one-row last minibatch is
        dropped for that epoch (no step, not in the epoch loss or ``t_``), ``batch_size=1`` and a
        one-row training set are ValueErrors; the statistics are unweighted, even with
        ``sample_weight``. ``"layer"`` and ``"group"`` follow ``torch.nn.GroupNorm`` (per-row
        statistics over each group's features; ``"layer"`` is one group).
    norm_groups : int, default 2
        Groups of ``normalization="group"``; must divide every hidden width.
    norm_momentum : float in [0, 1], default 0.1
        Batch norm's running statistics: r ← (1 − momentum)·r + momentum·(batch statistic).
    norm_eps : float >= 0, default 1e-5
        Added to the variance of every normalization.
    residual : bool, default False
        Identity skip connections: every hidden layer whose input and output widths are equal
        computes h = h_in + dropout(act(norm(z))) (the first hidden layer too when n_features
        equals its width); the layers whose widths differ have none.
    spectral_norm : bool, default False
        Every weight matrix is used divided by its largest singular value σ, estimated with one
        power-iteration step per training step, as ``torch.nn.utils.parametrizations.spectral_norm``
        (n_power_iterations=1, eps=1e-12) does for a ``Linear`` layer: u ← normalize(W v),
        v ← normalize(Wᵀ u) (torch's orientation; W is ``coefs_[l].T``), σ = uᵀ W v. Prediction
        uses the stored u, v without iterating. ``coefs_`` holds the raw weights (the L2 term
        penalizes them); u and v are initialized as torch does at registration (random unit
        vectors drawn from ``random_state`` after the weights, then 15 power iterations).

    Attributes
    ----------
    classes_ : ndarray of the class labels
    coefs_, intercepts_ : lists of arrays, (n_in, n_out) and (n_out,) per layer
        Views into one flat parameter buffer.
    loss_ : float, loss of the last epoch;  loss_curve_ : list of float, one per epoch
    best_loss_ : float (None with early_stopping)
    validation_scores_, best_validation_score_ : with early_stopping
    n_iter_ : int, epochs run by the last fit;  t_ : int, samples seen in training
    stopped_by_callback_ : bool, whether ``callback`` stopped the last fit
    n_layers_, n_outputs_, out_activation_ ("softmax" or "logistic"), n_features_in_
    norm_weights_, norm_biases_ : list of ndarray
        γ and β of each hidden layer's normalization, (n_out,) each (empty lists without
        ``normalization``); views into the flat parameter buffer.
    running_means_, running_vars_ : list of ndarray
        Batch norm's running statistics per hidden layer (empty lists unless
        ``normalization="batch"``).
    spectral_u_ : list of ndarray
        Spectral norm's u (n_out,) per weight matrix, torch's ``_u`` for that layer (empty list
        without ``spectral_norm``).

    Training raises ValueError naming ``learning_rate_init`` if the loss becomes non-finite
    (the model is then left unfitted, or as it was before ``partial_fit``).

    Sparse X (scipy.sparse CSR or CSC) is accepted and never densified as a whole: only the rows
    of the current minibatches are, so the fit equals the dense one (see
    :mod:`mlbasics.neural_network`).

    Tricks are exactly PyTorch's: with the same initial weights, ``shuffle=False`` and
    ``dropout=0``, training equals the same ``torch.nn`` network trained by ``torch.optim``
    (tests/test_mlp_tricks.py). ``warm_start=True`` also starts from parameters assigned to an
    unfitted estimator (``coefs_``, ``intercepts_``, ``norm_weights_``, ``norm_biases_``,
    ``running_means_``, ``running_vars_``, ``spectral_u_``, and ``classes_`` for a classifier;
    each a list with one array per layer, checked for shape — e.g. weights made in PyTorch). When
    ``spectral_u_`` is assigned, v = normalize(Wᵀ u) (torch's orientation), which is what torch's
    parametrization holds right after registration; the optimizer state starts fresh.

    Examples
    --------
    The XOR problem, which no linear classifier solves:

    >>> import numpy as np
    >>> from mlbasics.neural_network import MLPClassifier
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05, max_iter=1000,
    ...                     random_state=0, backend="numpy").fit(X, y)
    >>> clf.predict(X)
    array([0, 1, 1, 0])
    >>> clf.predict_proba(X).shape, [W.shape for W in clf.coefs_]
    ((4, 2), [(2, 8), (8, 1)])
    """

    @fit_context
    def partial_fit(self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None,
                    sample_weight: ArrayLike | None = None) -> MLPClassifier:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        ``classes`` (all labels that will ever appear) is required on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels, all in ``classes``.
        classes : array-like of shape (n_classes,), optional
            Every label that will ever appear; required on the first call, and if given later it
            must be the same set.
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum (see :meth:`fit`). Keyword: scikit-learn's
            ``partial_fit(X, y, sample_weight=None, classes=None)`` puts it before ``classes``.

        Returns
        -------
        self : MLPClassifier
            The updated estimator.
        """
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError("classes: required on the first call to partial_fit (all the labels that y may take)")
        return self._fit(X, y, incremental=True, classes=classes, sample_weight=sample_weight)

    def _prepare_targets(self, X, y, *, first, incremental, classes):
        y = check_target(y, "y", n_samples=X.shape[0], numeric=False)
        if first and classes is not None and incremental:
            cl = np.unique(np.asarray(classes))
            if cl.shape[0] < 2:
                raise ValueError(f"classes: a classifier needs at least 2 classes, got {cl.tolist()!r}")
            self.classes_ = cl
        elif first:
            self.classes_, _ = check_classification_targets(y)
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes: got {np.unique(np.asarray(classes)).tolist()!r}, but earlier calls used "
                             f"{self.classes_.tolist()!r}")
        try:
            pos = np.searchsorted(self.classes_, y)
        except TypeError:
            raise ValueError(f"y: labels of type {y.dtype} cannot be compared with classes_ "
                             f"{self.classes_.tolist()!r}") from None
        pos = np.clip(pos, 0, self.classes_.shape[0] - 1)
        bad = self.classes_[pos] != y
        if np.any(bad):
            raise ValueError(f"y: contains labels not in classes_ {self.classes_.tolist()!r}: "
                             f"{np.unique(y[bad]).tolist()!r}")
        n_classes = self.classes_.shape[0]
        if first:
            self.n_outputs_ = 1 if n_classes == 2 else n_classes
            self.out_activation_ = "logistic" if n_classes == 2 else "softmax"
        if n_classes == 2:
            return pos.astype(self._dtype())
        return pos.astype(np.int64)

    def _dtype(self):
        return np.dtype(self.dtype)

    def _strata(self, Y):
        return Y

    def _validation_targets(self, y_raw, val):
        return np.asarray(y_raw).reshape(-1)[val]

    def _validation_score(self, kernels, X_val, y_val, sw_val=None):
        correct = self._predict_from_logits(self._forward(kernels, X_val)) == y_val
        return float(np.mean(correct) if sw_val is None else np.average(correct, weights=sw_val))

    def _loss_name(self):
        return "softmax_cross_entropy" if self.out_activation_ == "softmax" else "binary_cross_entropy_with_logits"

    def _predict_from_logits(self, logits):
        if self.out_activation_ == "logistic":
            return self.classes_[(logits[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(logits, axis=1)]

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class of each row of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels taken from ``classes_``.
        """
        lazy = self._lazy(self.predict, X, None, getattr(self, "classes_", np.empty(0)).dtype)
        if lazy is not None:
            return lazy
        return self._predict_from_logits(self._logits(X))

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log-probabilities (n_samples, n_classes), computed stably from the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes), of the model's ``dtype``
            Columns in the order of ``classes_``.
        """
        lazy = self._lazy(self.predict_log_proba, X, len(getattr(self, "classes_", ())))
        if lazy is not None:
            return lazy
        logits = self._logits(X)
        if self.out_activation_ == "logistic":
            z = logits[:, 0]
            return np.stack([-np.logaddexp(0, z), -np.logaddexp(0, -z)], axis=1)
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities (n_samples, n_classes); (n, 2) for a binary problem.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), of the model's ``dtype``
            Columns in the order of ``classes_``; rows sum to 1.
        """
        lazy = self._lazy(self.predict_proba, X, len(getattr(self, "classes_", ())))
        if lazy is not None:
            return lazy
        return np.exp(self.predict_log_proba(X))


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained with mini-batch stochastic gradient methods.

    The output layer is linear (``out_activation_ = "identity"``). The loss is scikit-learn's
    squared error: ``loss_curve_`` and ``loss_`` report

    .. math::
        L = \\frac{1}{2 |B| k} \\sum_{i ∈ B} \\sum_{j=1}^{k} (\\hat y_{ij} − y_{ij})^2
            + \\frac{α}{2|B|} \\sum_l \\lVert W^l \\rVert^2

    (half the ``mse`` kernel's mean over all |B|·k entries, k = n_outputs_), while — again as
    scikit-learn — the gradient used for training is that of the sum over outputs,
    ∂/∂ŷ = (ŷ − y)/|B| (the mse kernel's gradient times k/2). For one output the two agree.
    The course's λΣW² corresponds to α = 2λ|B|. ``predict`` returns (n,) for one output, (n, k)
    otherwise.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (100,)
        Units of each hidden layer.
    activation : {"relu", "tanh", "logistic", "identity"}, default "relu"
        Hidden-layer activation (kernel activations relu, tanh, sigmoid, identity).
    solver : {"adam", "sgd", "rmsprop", "adagrad", "adadelta", "rprop"}, default "adam"
        The :mod:`mlbasics.optim` optimizer, with ``lr=learning_rate_init``: ``"adam"`` is
        ``Adam(betas=(beta_1, beta_2), eps=epsilon)``; ``"sgd"`` is ``SGD(momentum=momentum,
        dampening=0, nesterov=nesterovs_momentum)`` — scikit-learn's v ← μv − ηg, θ ← θ + v is
        the same trajectory (v = −η·b) while η is constant; when the learning rate changes,
        scikit-learn's velocity keeps the old rate's scale while torch's buffer b carries no rate.
        ``"rmsprop"`` is ``RMSprop(eps=epsilon)``; ``"adagrad"``, ``"adadelta"`` and ``"rprop"``
        use torch's other defaults (Adadelta is usually run with ``learning_rate_init=1.0``;
        Rprop's step sizes adapt by themselves and work best with large batches).
        ``"lbfgs"`` is not supported (ValueError). scikit-learn's Adam puts ε outside the bias
        correction of √v; torch's (used here) inside — a difference of order ε.
    alpha : float, default 1e-4
        Strength of the L2 penalty (see the loss above).
    batch_size : int or "auto", default "auto"
        Mini-batch size; "auto" is min(200, n_samples).
    learning_rate : {"constant", "invscaling", "adaptive"}, default "constant"
        "invscaling": after each epoch η = learning_rate_init / (t_ + 1)^power_t, with t_ the
        number of samples seen (scikit-learn's rule). "adaptive": when the stopping rule below
        fires, divide η by 5 and go on instead of stopping (stop once η ≤ 1e-6). Unlike
        scikit-learn, where these apply to "sgd" only, they apply to every solver (Rprop
        ignores η after its first step).
    learning_rate_init : float, default 1e-3
    power_t : float, default 0.5
    max_iter : int, default 200
        Maximum number of epochs; reaching it emits :class:`ConvergenceWarning`.
    shuffle : bool, default True
        Shuffle the samples every epoch.
    random_state : None, int or numpy Generator
        Seeds initialization, shuffling and the validation split.
    tol : float, default 1e-4
        Training stops when the epoch loss has not improved on the best by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs (or the validation R², with ``early_stopping``),
        as in scikit-learn.
    verbose : bool, default False
        Show a progress bar over the ``max_iter`` epochs on stderr with each epoch's training loss
        (and validation score with ``early_stopping``), and why training stopped: a tqdm bar when
        tqdm is installed, else one line rewritten in place. Unlike scikit-learn, nothing is
        printed to stdout.
    warm_start : bool, default False
        ``fit`` continues from the fitted weights (with a new optimizer).
    momentum : float, default 0.9
    nesterovs_momentum : bool, default True
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (a random, unstratified split) and
        stop on its R² (averaged uniformly over the outputs); the best weights are restored at
        the end.
    validation_fraction : float, default 0.1
    beta_1, beta_2 : float, default 0.9, 0.999
    epsilon : float, default 1e-8
    n_iter_no_change : int, default 10
    backend : {"auto", "cpp", "numba", "numpy"}, default "auto"
    dtype : np.float32 or np.float64, default np.float32
        Precision of the weights and of the computation (X is converted).
    callback : None or callable, default None
        Called after every epoch as ``callback(epoch, loss, estimator)``: ``epoch`` is the
        1-based ``n_iter_`` of this fit, ``loss`` that epoch's ``loss_curve_`` entry, and
        ``estimator`` this model with the epoch's weights (it can ``predict``; with
        ``early_stopping`` the validation score is already in ``validation_scores_``). A truthy
        return value stops training after this epoch: no ConvergenceWarning, the model is
        fitted (with ``early_stopping``, with the best weights as usual) and
        ``stopped_by_callback_`` is True. An exception raised by the callback propagates out of
        ``fit``; the model then keeps the weights and attributes of the last completed epoch
        (``n_iter_`` and ``loss_curve_`` include it; the best weights of ``early_stopping``
        are not restored), i.e. it is fitted as if training had been interrupted there.
        Not a scikit-learn parameter.
    dropout : float or sequence of float, default 0.0
        Inverted dropout on each hidden layer's output during training: a float in [0, 1) for
        every hidden layer, or one per hidden layer. A unit is dropped with probability p and the
        kept ones are scaled by 1/(1 − p); nothing happens at predict time. The masks come from a
        counter-based generator (Philox) keyed by a seed drawn from ``random_state`` (only when
        some rate is > 0, so ``dropout=0`` is the network without dropout, bit for bit): the same
        ``random_state`` gives the same fit on a backend, and the same masks on every backend.
    normalization : {None, "batch", "layer", "group"}, default None
        Normalization of each hidden layer's pre-activation z = hW + b, before the activation,
        with a learnable scale γ (init 1) and shift β (init 0) per hidden unit, trained by the
        solver and not penalized by ``alpha``. ``"batch"`` follows ``torch.nn.BatchNorm1d``:
        batch statistics (biased variance) in training, running mean and unbiased running
        variance (``norm_momentum``), running statistics at predict time. Batch norm never
        trains on a minibatch of one row (torch refuses one): a one-row last minibatch is
        dropped for that epoch (no step, not in the epoch loss or ``t_``), ``batch_size=1`` and a
        one-row training set are ValueErrors; the statistics are unweighted, even with
        ``sample_weight``. ``"layer"`` and ``"group"`` follow ``torch.nn.GroupNorm`` (per-row
        statistics over each group's features; ``"layer"`` is one group).
    norm_groups : int, default 2
        Groups of ``normalization="group"``; must divide every hidden width.
    norm_momentum : float in [0, 1], default 0.1
        Batch norm's running statistics: r ← (1 − momentum)·r + momentum·(batch statistic).
    norm_eps : float >= 0, default 1e-5
        Added to the variance of every normalization.
    residual : bool, default False
        Identity skip connections: every hidden layer whose input and output widths are equal
        computes h = h_in + dropout(act(norm(z))) (the first hidden layer too when n_features
        equals its width); the layers whose widths differ have none.
    spectral_norm : bool, default False
        Every weight matrix is used divided by its largest singular value σ, estimated with one
        power-iteration step per training step, as ``torch.nn.utils.parametrizations.spectral_norm``
        (n_power_iterations=1, eps=1e-12) does for a ``Linear`` layer: u ← normalize(W v),
        v ← normalize(Wᵀ u) (torch's orientation; W is ``coefs_[l].T``), σ = uᵀ W v. Prediction
        uses the stored u, v without iterating. ``coefs_`` holds the raw weights (the L2 term
        penalizes them); u and v are initialized as torch does at registration (random unit
        vectors drawn from ``random_state`` after the weights, then 15 power iterations).

    Attributes
    ----------
    coefs_ : list of ndarray
        ``coefs_[l]`` is the weight matrix Wˡ⁺¹ of shape (n_in, n_out) of layer l + 1.
    intercepts_ : list of ndarray
        ``intercepts_[l]`` is the bias bˡ⁺¹ of shape (n_out,). Both lists are views into one flat
        parameter buffer.
    loss_ : float
        The training loss L (above) of the last epoch.
    loss_curve_ : list of float
        The training loss of every epoch.
    best_loss_ : float or None
        The smallest epoch loss so far (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Validation R² after every epoch (``early_stopping`` only, else None).
    best_validation_score_ : float or None
        The best of them (``early_stopping`` only, else None).
    n_iter_ : int
        Epochs run by the last ``fit`` (counting on across ``partial_fit`` calls).
    t_ : int
        Training samples seen, summed over the epochs (the t of ``learning_rate="invscaling"``).
    stopped_by_callback_ : bool
        Whether ``callback`` stopped the last fit.
    n_layers_ : int
        Number of layers, input and output included (len(hidden_layer_sizes) + 2).
    n_outputs_ : int
        k, the number of targets.
    out_activation_ : str
        Always ``"identity"``.
    n_features_in_ : int
    norm_weights_, norm_biases_ : list of ndarray
        γ and β of each hidden layer's normalization, (n_out,) each (empty lists without
        ``normalization``); views into the flat parameter buffer.
    running_means_, running_vars_ : list of ndarray
        Batch norm's running statistics per hidden layer (empty lists unless
        ``normalization="batch"``).
    spectral_u_ : list of ndarray
        Spectral norm's u (n_out,) per weight matrix, torch's ``_u`` for that layer (empty list
        without ``spectral_norm``).

    Training raises ValueError naming ``learning_rate_init`` if the loss becomes non-finite
    (the model is then left unfitted, or as it was before ``partial_fit``).

    Sparse X (scipy.sparse CSR or CSC) is accepted and never densified as a whole: only the rows
    of the current minibatches are, so the fit equals the dense one (see
    :mod:`mlbasics.neural_network`).

    Tricks are exactly PyTorch's: with the same initial weights, ``shuffle=False`` and
    ``dropout=0``, training equals the same ``torch.nn`` network trained by ``torch.optim``
    (tests/test_mlp_tricks.py). ``warm_start=True`` also starts from parameters assigned to an
    unfitted estimator (``coefs_``, ``intercepts_``, ``norm_weights_``, ``norm_biases_``,
    ``running_means_``, ``running_vars_``, ``spectral_u_``, and ``classes_`` for a classifier;
    each a list with one array per layer, checked for shape — e.g. weights made in PyTorch). When
    ``spectral_u_`` is assigned, v = normalize(Wᵀ u) (torch's orientation), which is what torch's
    parametrization holds right after registration; the optimizer state starts fresh.

    Examples
    --------
    Fit the parabola y = x² on 20 points:

    >>> import numpy as np
    >>> from mlbasics.neural_network import MLPRegressor
    >>> X = np.linspace(-1, 1, 20).reshape(-1, 1)
    >>> y = X[:, 0] ** 2
    >>> reg = MLPRegressor(hidden_layer_sizes=(16,), activation="tanh", learning_rate_init=0.03,
    ...                    tol=1e-6, max_iter=3000, random_state=0, backend="numpy").fit(X, y)
    >>> round(reg.score(X, y), 2), reg.predict(X).shape
    (1.0, (20,))
    >>> np.round(reg.predict([[0.5]]), 2)
    array([0.25], dtype=float32)
    """

    @fit_context
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, with as many outputs as in earlier calls.
        sample_weight : array-like of shape (n_samples,) or float, optional
            Non-negative weights with a positive sum (see :meth:`fit`).

        Returns
        -------
        self : MLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, incremental=True, sample_weight=sample_weight)

    def _prepare_targets(self, X, y, *, first, incremental, classes):
        y = check_target(y, "y", n_samples=X.shape[0], numeric=True, allow_2d=True)
        Y = (y.reshape(-1, 1) if y.ndim == 1 else y).astype(np.dtype(self.dtype))
        if first:
            self.n_outputs_ = Y.shape[1]
            self.out_activation_ = "identity"
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(f"y: expected {self.n_outputs_} output(s) as in the earlier fit, got {Y.shape[1]}")
        return np.ascontiguousarray(Y)

    def _strata(self, Y):
        return None

    def _validation_targets(self, y_raw, val):
        y = np.asarray(y_raw, dtype=np.float64)
        return (y.reshape(-1, 1) if y.ndim == 1 else y)[val]

    def _validation_score(self, kernels, X_val, y_val, sw_val=None):
        pred = self._forward(kernels, X_val).astype(np.float64)
        if sw_val is not None:  # the weighted R² (as scikit-learn's r2_score with sample_weight)
            r = sw_val[:, None]
            y_bar = (r * y_val).sum(axis=0) / r.sum()
            ss_res = (r * (y_val - pred) ** 2).sum(axis=0)
            ss_tot = (r * (y_val - y_bar) ** 2).sum(axis=0)
        else:
            ss_res = ((y_val - pred) ** 2).sum(axis=0)
            ss_tot = ((y_val - y_val.mean(axis=0)) ** 2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(ss_tot > 0, 1 - ss_res / np.where(ss_tot > 0, ss_tot, 1), np.where(ss_res > 0, 0.0, 1.0))
        return float(np.mean(r2))

    def _loss_name(self):
        return "squared_error"

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets: (n_samples,) for one output, (n_samples, n_outputs) otherwise.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs), of the model's ``dtype``
        """
        lazy = self._lazy(self.predict, X, None if getattr(self, "n_outputs_", 1) == 1 else self.n_outputs_)
        if lazy is not None:
            return lazy
        out = self._logits(X)
        return out.ravel() if self.n_outputs_ == 1 else out
