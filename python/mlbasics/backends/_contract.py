"""The kernel contract: one set of semantics, three implementations.

:class:`Backend` is what :func:`mlbasics.get_backend` returns. Each method checks its arguments
(dtype, ndim, shapes, layout, ranges) *before* any kernel runs, allocates the outputs, and then
calls the backend's raw implementation, which may assume:

* every floating array of the call has one dtype, float32 or float64;
* output and in-place arrays are C-contiguous, writable and do not share memory with inputs;
* ``matmul``/``gram`` inputs may have arbitrary strides; all other inputs are C-contiguous;
* labels are int64 and in range; activations are integer codes (see ``ACTIVATIONS``).

Kernels follow IEEE arithmetic and do not scan their data for NaN or inf (estimators do).
float32 in gives float32 out; losses are returned as a scalar of the inputs' dtype.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import _validation as v

ACTIVATIONS = {"identity": 0, "relu": 1, "sigmoid": 2, "tanh": 3}

# For the fast paths of the hot methods (see "Fast paths" in Backend's docstring).
_ndarray = np.ndarray
_F32, _F64 = v.FLOAT_DTYPES
_I64, _U64 = np.dtype(np.int64), np.dtype(np.uint64)
_max = np.maximum.reduce


def _activation_code(activation) -> int:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return ACTIVATIONS[activation]


MLP_LOSSES = {"softmax_cross_entropy": 0, "binary_cross_entropy_with_logits": 1, "squared_error": 2}

# Per optimizer: (hyper-parameter defaults of its step kernel — None = required, state arrays).
_OPTIMIZERS = {
    "sgd": (dict(lr=None, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False), ("momentum_buffer",)),
    "adam": (dict(lr=None, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0), ("exp_avg", "exp_avg_sq")),
    "rmsprop": (dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
                ("square_avg", "momentum_buffer", "grad_avg")),
    "adagrad": (dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10), ("sum",)),
    "adadelta": (dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0), ("square_avg", "acc_delta")),
    "rprop": (dict(etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)), ("prev", "step_size")),
}
_OPTIMIZERS["adamw"] = _OPTIMIZERS["adam"]


def _layer_sizes(sizes) -> tuple:
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


def _mlp_targets(targets, loss_code, n, n_out, dtype):
    if loss_code == 0:  # integer class labels
        t = np.asarray(targets)
        if t.dtype.kind not in "iu":
            raise TypeError(f"targets: softmax_cross_entropy needs an integer array of class labels, "
                            f"got dtype {t.dtype}")
        v.check_shape("targets", t, (n,))
        if n and (t.min() < 0 or t.max() >= n_out):
            raise ValueError(f"targets: labels must be in [0, {n_out}) for {n_out} outputs, "
                             f"got values in [{t.min()}, {t.max()}]")
        return np.ascontiguousarray(t, dtype=np.int64)
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
    return np.ascontiguousarray(t)


def _row_order(order, n):
    o = np.asarray(order)
    if o.dtype.kind not in "iu":
        raise TypeError(f"order: expected an integer array of row indices, got dtype {o.dtype}")
    if o.ndim != 1:
        raise ValueError(f"order: expected a 1-D array, got {o.ndim}-D with shape {o.shape}")
    if o.size and (o.min() < 0 or o.max() >= n):
        raise ValueError(f"order: row indices must be in [0, {n}), got values in [{o.min()}, {o.max()}]")
    return np.ascontiguousarray(o, dtype=np.int64)


def _optimizer_spec(optimizer, hyper, state, params):
    """Check an optimizer's name, hyper-parameters and state for :meth:`Backend.mlp_epoch`.

    Returns (kind, hyper, state): kind without "adamw" (adam with decoupled_weight_decay), hyper
    as a dict of floats/bools with every key of that kind, state with every slot of that kind
    (None where the hyper-parameters need none).
    """
    if not isinstance(optimizer, str) or optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer: expected one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
    if not isinstance(hyper, dict):
        raise TypeError(f"hyper: expected a dict of hyper-parameters, got {type(hyper).__name__}")
    if not isinstance(state, dict):
        raise TypeError(f"state: expected a dict of state arrays, got {type(state).__name__}")
    defaults, slots = _OPTIMIZERS[optimizer]
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ValueError(f"hyper: unknown hyper-parameters {unknown} for {optimizer!r}; expected some of "
                         f"{sorted(defaults)}")
    h = dict(defaults, **hyper)
    for k, val in h.items():
        if val is None:
            raise ValueError(f"hyper: {optimizer!r} needs {k!r}")
    unknown = sorted(set(state) - set(slots))
    if unknown:
        raise ValueError(f"state: unknown state arrays {unknown} for {optimizer!r}; expected {list(slots)}")
    r = v.real_number
    kind = "adam" if optimizer == "adamw" else optimizer
    if kind == "sgd":
        hp = dict(lr=r(h["lr"], "lr", low=0.0), momentum=r(h["momentum"], "momentum", low=0.0),
                  dampening=r(h["dampening"], "dampening"),
                  weight_decay=r(h["weight_decay"], "weight_decay", low=0.0), nesterov=v.flag(h["nesterov"], "nesterov"))
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ValueError("nesterov: requires momentum > 0 and dampening = 0")
        needed = {"momentum_buffer": hp["momentum"] != 0}
    elif kind == "adam":
        hp = dict(lr=r(h["lr"], "lr", low=0.0), beta1=r(h["beta1"], "beta1", low=0.0, high=1.0, high_open=True),
                  beta2=r(h["beta2"], "beta2", low=0.0, high=1.0, high_open=True), eps=r(h["eps"], "eps", low=0.0),
                  weight_decay=r(h["weight_decay"], "weight_decay", low=0.0),
                  decoupled_weight_decay=optimizer == "adamw")
        needed = {}
    elif kind == "rmsprop":
        hp = dict(lr=r(h["lr"], "lr", low=0.0), alpha=r(h["alpha"], "alpha", low=0.0), eps=r(h["eps"], "eps", low=0.0),
                  weight_decay=r(h["weight_decay"], "weight_decay", low=0.0),
                  momentum=r(h["momentum"], "momentum", low=0.0), centered=v.flag(h["centered"], "centered"))
        needed = {"momentum_buffer": hp["momentum"] > 0, "grad_avg": hp["centered"]}
    elif kind == "adagrad":
        hp = dict(lr=r(h["lr"], "lr", low=0.0), lr_decay=r(h["lr_decay"], "lr_decay", low=0.0),
                  weight_decay=r(h["weight_decay"], "weight_decay", low=0.0), eps=r(h["eps"], "eps", low=0.0))
        needed = {}
    elif kind == "adadelta":
        hp = dict(lr=r(h["lr"], "lr", low=0.0), rho=r(h["rho"], "rho", low=0.0, high=1.0),
                  eps=r(h["eps"], "eps", low=0.0), weight_decay=r(h["weight_decay"], "weight_decay", low=0.0))
        needed = {}
    else:
        etas, sizes = h["etas"], h["step_sizes"]
        if not (isinstance(etas, (tuple, list)) and len(etas) == 2):
            raise TypeError(f"etas: expected a pair (etaminus, etaplus), got {etas!r}")
        if not (isinstance(sizes, (tuple, list)) and len(sizes) == 2):
            raise TypeError(f"step_sizes: expected a pair (min, max), got {sizes!r}")
        smin = r(sizes[0], "step_sizes[0]", low=0.0)
        hp = dict(etaminus=r(etas[0], "etas[0]", low=0.0, high=1.0, low_open=True, high_open=True),
                  etaplus=r(etas[1], "etas[1]", low=1.0, low_open=True),
                  step_size_min=smin, step_size_max=r(sizes[1], "step_sizes[1]", low=smin))
        needed = {}
    st = {}
    for name in slots:
        arr = state.get(name)
        if not needed.get(name, True):
            st[name] = None
            continue
        if arr is None:
            raise ValueError(f"state[{name!r}]: state array required for {optimizer!r} with these "
                             "hyper-parameters, got None")
        v.inplace_array(arr, f"state[{name!r}]", like=params)
        st[name] = arr
    return kind, hp, st


class Backend:
    """A kernel backend (``"cpp"``, ``"numba"`` or ``"numpy"``) behind the common contract.

    Fast paths: on tiny arrays the checks cost more than the kernel, so the hottest methods
    (matmul, linear_forward, softmax_cross_entropy, sgd_step, adam_step) start with one ``if``
    that recognizes the common, valid call -- exact ``np.ndarray`` arguments, dtype identity with
    float32/float64, hyper-parameters of type float/int/bool -- and runs the same checks inline,
    without conversions. A call it does not recognize (any error, a list, a view, a subclass, a
    NumPy scalar hyper-parameter...) goes on to the full path below it, unchanged, which raises
    the documented errors. A fast path never raises and never accepts what the full path rejects.

    Memory overlap: arrays that each own their data (``flags.owndata``) and are distinct objects
    hold separate allocations, so they cannot overlap; a view never owns its data. Fast paths
    require that instead of calling ``np.may_share_memory`` on every pair.
    """

    def __init__(self, name: str, raw):
        self.name = name
        self._raw = raw

    def __repr__(self) -> str:
        return f"<mlbasics backend {self.name!r}>"

    # ------------------------------------------------------------------ gemm
    def matmul(self, a, b, trans_a=False, trans_b=False, out=None):
        """Matrix product ``op(a) @ op(b)``, where ``op(m)`` is ``m.T`` when its flag is set.

        Parameters
        ----------
        a, b : ndarray, 2-D, float32 or float64 (same dtype), any strides
        trans_a, trans_b : bool
        out : ndarray, optional
            C-contiguous, writable, of shape (rows of op(a), columns of op(b)) and the inputs'
            dtype. Its old content is never read. It may share memory with ``a`` or ``b``
            (then the product is formed in a temporary first).

        Returns
        -------
        out : ndarray
        """
        # Fast path: 2-D ndarrays of one float dtype, bool flags, and out None or a C-contiguous
        # writable array of the right shape and dtype that owns its memory, as do a and b.
        if (type(a) is _ndarray and type(b) is _ndarray and a.ndim == 2 and b.ndim == 2
                and ((dtype := a.dtype) is _F32 or dtype is _F64) and b.dtype is dtype
                and type(trans_a) is bool and type(trans_b) is bool):
            m, k = a.shape[::-1] if trans_a else a.shape
            kb, n = b.shape[::-1] if trans_b else b.shape
            if kb == k and (out is None or (
                    type(out) is _ndarray and out.dtype is dtype and out.shape == (m, n)
                    and (f := out.flags).c_contiguous and f.writeable and f.owndata
                    and out is not a and out is not b and a.flags.owndata and b.flags.owndata)):
                if out is None:
                    out = np.empty((m, n), dtype)
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

    def gram(self, x):
        """Gram matrix ``xᵀx`` of a 2-D float array x (n, p): a (p, p) symmetric array.

        Used by the normal equations (XᵀX w = Xᵀy) and by the covariance of centered data.
        """
        x = v.float_array(x, "x", 2)
        out = np.empty((x.shape[1], x.shape[1]), dtype=x.dtype)
        self._raw.gram(x, out)
        return out

    # ---------------------------------------------------------------- layers
    def _layer_inputs(self, x, w):
        x = v.float_array(x, "x", 2)
        w = v.float_array(w, "w", 2)
        v.same_dtype("x", x, w=w)
        if w.shape[0] != x.shape[1]:
            raise ValueError(f"w: expected {x.shape[1]} rows (x has {x.shape[1]} columns), got shape {w.shape}")
        return np.ascontiguousarray(x), np.ascontiguousarray(w)

    def linear_forward(self, x, w, b, activation="identity"):
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
        """
        # Fast path: C-contiguous ndarrays of one float dtype and matching shapes, a known activation.
        if (type(x) is _ndarray and type(w) is _ndarray and type(b) is _ndarray and type(activation) is str
                and ((dtype := x.dtype) is _F32 or dtype is _F64) and w.dtype is dtype and b.dtype is dtype
                and x.ndim == 2 and w.ndim == 2 and b.ndim == 1
                and w.shape[0] == x.shape[1] and b.shape[0] == w.shape[1]
                and x.flags.c_contiguous and w.flags.c_contiguous and b.flags.c_contiguous
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

    def linear_backward(self, x, w, z, h, grad_h, activation, *, compute_grad_x=True):
        """Back-propagation through :meth:`linear_forward`.

        With ``grad_z = grad_h ⊙ act'(z)`` (relu: 1[z > 0]; sigmoid: h(1 − h); tanh: 1 − h²;
        identity: 1):

        ``grad_x = grad_z @ wᵀ``,  ``grad_w = xᵀ @ grad_z``,  ``grad_b = Σ_rows grad_z``.

        ``z`` is read only for relu and ``h`` only for sigmoid/tanh; the other may be None.
        With ``compute_grad_x=False`` (a network's first layer) ``grad_x`` is skipped and None is
        returned in its place, saving one matrix product.

        Returns
        -------
        grad_x : (n, n_in) or None;  grad_w : (n_in, n_out);  grad_b : (n_out,)
        """
        act = _activation_code(activation)
        x, w = self._layer_inputs(x, w)
        shape = (x.shape[0], w.shape[1])
        arrays = {}
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

    # ---------------------------------------------------------------- losses
    def softmax_cross_entropy(self, logits, y):
        """Mean softmax cross-entropy and its gradient.

        ``p = softmax(logits)`` row-wise; ``loss = −(1/n) Σᵢ log p[i, yᵢ]``;
        ``grad_logits = (p − onehot(y)) / n``. Stable for logits of any magnitude.

        Parameters
        ----------
        logits : (n, C) float array, n ≥ 1
        y : (n,) integer array of labels in [0, C)

        Returns
        -------
        loss : scalar of logits' dtype;  grad_logits : (n, C) array
        """
        # Fast path: C-contiguous logits (n ≥ 1, C ≥ 1) and int64 labels in range. Seen as uint64,
        # a negative label is ≥ 2⁶³, so one max checks both ends of [0, C).
        if (type(logits) is _ndarray and type(y) is _ndarray and logits.ndim == 2 and y.ndim == 1
                and ((dtype := logits.dtype) is _F32 or dtype is _F64) and y.dtype is _I64
                and logits.shape[0] == y.shape[0] > 0 and logits.shape[1] > 0
                and logits.flags.c_contiguous and y.flags.c_contiguous
                and _max(y.view(_U64)) < logits.shape[1]):
            grad = np.empty_like(logits)
            loss = self._raw.softmax_cross_entropy(logits, y, grad)
            return dtype.type(loss), grad
        # Full path.
        logits = v.float_array(logits, "logits", 2)
        n, c = logits.shape
        if n == 0 or c == 0:
            raise ValueError(f"logits: expected at least one row and one column, got shape {logits.shape}")
        y = v.int_labels(y, "y", n, c)
        logits = np.ascontiguousarray(logits)
        grad = np.empty_like(logits)
        loss = self._raw.softmax_cross_entropy(logits, y, grad)
        return logits.dtype.type(loss), grad

    def binary_cross_entropy_with_logits(self, logits, y):
        """Mean binary cross-entropy of sigmoid(logits) against targets in [0, 1].

        ``loss = (1/n) Σᵢ [max(xᵢ, 0) − xᵢ yᵢ + log(1 + exp(−|xᵢ|))]`` (= torch's
        ``BCEWithLogitsLoss``); ``grad = (sigmoid(x) − y) / n``. Soft targets are allowed.

        Returns
        -------
        loss : scalar of logits' dtype;  grad_logits : (n,) array
        """
        logits = v.float_array(logits, "logits", 1)
        y = v.float_array(y, "y", 1)
        v.same_dtype("logits", logits, y=y)
        if logits.shape[0] == 0:
            raise ValueError("logits: expected at least one element, got 0")
        v.check_shape("y", y, logits.shape)
        if not (y.min() >= 0 and y.max() <= 1):
            raise ValueError(f"y: targets must lie in [0, 1], got values in [{y.min()}, {y.max()}]")
        logits, y = np.ascontiguousarray(logits), np.ascontiguousarray(y)
        grad = np.empty_like(logits)
        loss = self._raw.binary_cross_entropy_with_logits(logits, y, grad)
        return logits.dtype.type(loss), grad

    def mse(self, pred, target):
        """Mean squared error over all elements and its exact gradient.

        ``loss = (1/N) Σ (pred − target)²``;  ``grad_pred = 2 (pred − target) / N``.
        ``pred`` and ``target`` must have the same shape (no broadcasting).
        """
        pred = v.float_array(pred, "pred")
        target = v.float_array(target, "target")
        v.same_dtype("pred", pred, target=target)
        v.check_shape("target", target, pred.shape)
        if pred.size == 0:
            raise ValueError("pred: expected at least one element, got 0")
        p = np.ascontiguousarray(pred).reshape(-1)
        t = np.ascontiguousarray(target).reshape(-1)
        grad = np.empty_like(p)
        loss = self._raw.mse(p, t, grad)
        return pred.dtype.type(loss), grad.reshape(pred.shape)

    # ------------------------------------------------------------- optimizers
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
        lr = v.real_number(lr, "lr", low=0.0)
        momentum = v.real_number(momentum, "momentum", low=0.0)
        dampening = v.real_number(dampening, "dampening")
        weight_decay = v.real_number(weight_decay, "weight_decay", low=0.0)
        nesterov, first_step = v.flag(nesterov, "nesterov"), v.flag(first_step, "first_step")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov: requires momentum > 0 and dampening = 0")
        if momentum != 0 and momentum_buf is None:
            raise ValueError("momentum_buf: required when momentum != 0, got None")
        p, g, s = self._step_arrays(param, grad, optional=("momentum_buf",),
                                    momentum_buf=momentum_buf if momentum != 0 else None)
        self._raw.sgd_step(p, g, s["momentum_buf"], lr, momentum, dampening, weight_decay, nesterov, first_step)

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
        step = v.positive_int(step, "step")
        lr = v.real_number(lr, "lr", low=0.0)
        beta1 = v.real_number(beta1, "beta1", low=0.0, high=1.0, high_open=True)
        beta2 = v.real_number(beta2, "beta2", low=0.0, high=1.0, high_open=True)
        eps = v.real_number(eps, "eps", low=0.0)
        weight_decay = v.real_number(weight_decay, "weight_decay", low=0.0)
        decoupled = v.flag(decoupled_weight_decay, "decoupled_weight_decay")
        p, g, s = self._step_arrays(param, grad, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
        self._raw.adam_step(p, g, s["exp_avg"], s["exp_avg_sq"], step, lr, beta1, beta2, eps, weight_decay,
                            decoupled)

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
        lr = v.real_number(lr, "lr", low=0.0)
        alpha = v.real_number(alpha, "alpha", low=0.0)
        eps = v.real_number(eps, "eps", low=0.0)
        weight_decay = v.real_number(weight_decay, "weight_decay", low=0.0)
        momentum = v.real_number(momentum, "momentum", low=0.0)
        centered = v.flag(centered, "centered")
        if momentum > 0 and momentum_buffer is None:
            raise ValueError("momentum_buffer: required when momentum > 0, got None")
        if centered and grad_avg is None:
            raise ValueError("grad_avg: required when centered=True, got None")
        p, g, s = self._step_arrays(param, grad, optional=("momentum_buffer", "grad_avg"), square_avg=square_avg,
                                    momentum_buffer=momentum_buffer if momentum > 0 else None,
                                    grad_avg=grad_avg if centered else None)
        self._raw.rmsprop_step(p, g, s["square_avg"], s["momentum_buffer"], s["grad_avg"], lr, alpha, eps,
                               weight_decay, momentum, centered)

    def adagrad_step(self, param, grad, sum, *, step, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10):
        """One AdaGrad step, in place (torch.optim.Adagrad's rule).

        .. math::
            \\tilde η = η / (1 + (t − 1) \\, \\text{lr\\_decay}), \\quad g = ∇L + λθ, \\quad
            s ← s + g^2, \\quad θ ← θ − \\tilde η \\, g / (\\sqrt{s} + ε)

        ``sum`` is the accumulator s (torch's state key), ``step`` the 1-based t.
        """
        step = v.positive_int(step, "step")
        lr = v.real_number(lr, "lr", low=0.0)
        lr_decay = v.real_number(lr_decay, "lr_decay", low=0.0)
        weight_decay = v.real_number(weight_decay, "weight_decay", low=0.0)
        eps = v.real_number(eps, "eps", low=0.0)
        p, g, s = self._step_arrays(param, grad, sum=sum)
        self._raw.adagrad_step(p, g, s["sum"], step, lr, lr_decay, weight_decay, eps)

    def adadelta_step(self, param, grad, square_avg, acc_delta, *, lr=1.0, rho=0.9, eps=1e-6,
                      weight_decay=0.0):
        """One AdaDelta step, in place (torch.optim.Adadelta's rule).

        .. math::
            g = ∇L + λθ, \\quad v ← ρ v + (1 − ρ) g^2, \\quad
            Δ = \\frac{\\sqrt{u + ε}}{\\sqrt{v + ε}} g, \\quad u ← ρ u + (1 − ρ) Δ^2, \\quad θ ← θ − η Δ
        """
        lr = v.real_number(lr, "lr", low=0.0)
        rho = v.real_number(rho, "rho", low=0.0, high=1.0)
        eps = v.real_number(eps, "eps", low=0.0)
        weight_decay = v.real_number(weight_decay, "weight_decay", low=0.0)
        p, g, s = self._step_arrays(param, grad, square_avg=square_avg, acc_delta=acc_delta)
        self._raw.adadelta_step(p, g, s["square_avg"], s["acc_delta"], lr, rho, eps, weight_decay)

    def rprop_step(self, param, grad, prev, step_size, *, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
        """One Rprop step, in place (torch.optim.Rprop's rule).

        With s = sign(g · g_prev): the per-element step size is multiplied by η+ where s > 0 and
        by η− where s < 0, then clipped to ``step_sizes``; where s < 0 the gradient is taken as 0;
        θ ← θ − sign(g) · step_size; g_prev ← g. ``step_size`` starts filled with the learning
        rate, ``prev`` with zeros (torch's state keys).
        """
        if not (isinstance(etas, (tuple, list)) and len(etas) == 2):
            raise TypeError(f"etas: expected a pair (etaminus, etaplus), got {etas!r}")
        if not (isinstance(step_sizes, (tuple, list)) and len(step_sizes) == 2):
            raise TypeError(f"step_sizes: expected a pair (min, max), got {step_sizes!r}")
        etaminus = v.real_number(etas[0], "etas[0]", low=0.0, high=1.0, low_open=True, high_open=True)
        etaplus = v.real_number(etas[1], "etas[1]", low=1.0, low_open=True)
        smin = v.real_number(step_sizes[0], "step_sizes[0]", low=0.0)
        smax = v.real_number(step_sizes[1], "step_sizes[1]", low=smin)
        p, g, s = self._step_arrays(param, grad, prev=prev, step_size=step_size)
        self._raw.rprop_step(p, g, s["prev"], s["step_size"], etaminus, etaplus, smin, smax)

    # ------------------------------------------------------------------- mlp
    def mlp_epoch(self, X, targets, order, params, grads, state, *, layer_sizes, activation, loss, alpha,
                  batch_size, optimizer, hyper, step, first_step=False):
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

        Returns
        -------
        loss_sum : float
            Σ over the batches of (batch loss incl. the L2 term) · |B| — or, if a batch's loss was
            non-finite, that loss.
        n_steps : int
            Optimizer steps taken; fewer than ⌈m / batch_size⌉ exactly when training diverged.
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
        v.no_shared_memory("grads", grads, params=params, X=X, targets=targets)
        v.no_shared_memory("params", params, X=X, targets=targets)
        for name, arr in st.items():
            if arr is not None:
                v.no_shared_memory(f"state[{name!r}]", arr, params=params, grads=grads, X=X, targets=targets,
                                   **{f"state[{k!r}]": a for k, a in st.items() if k != name and a is not None})
        loss_sum, n_steps = self._raw.mlp_epoch(X, targets, order, params, grads, st, sizes, act, MLP_LOSSES[loss],
                                                alpha, batch_size, kind, hp, int(step), first_step)
        return float(loss_sum), int(n_steps)


KERNELS = (
    "matmul", "gram", "linear_forward", "linear_backward",
    "softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse",
    "sgd_step", "adam_step", "rmsprop_step", "adagrad_step", "adadelta_step", "rprop_step",
    "mlp_epoch",
)
