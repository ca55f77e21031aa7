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

import numpy as np

from . import _validation as v

ACTIVATIONS = {"identity": 0, "relu": 1, "sigmoid": 2, "tanh": 3}


def _activation_code(activation) -> int:
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return ACTIVATIONS[activation]


class Backend:
    """A kernel backend (``"cpp"``, ``"numba"`` or ``"numpy"``) behind the common contract."""

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


KERNELS = (
    "matmul", "gram", "linear_forward", "linear_backward",
    "softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse",
    "sgd_step", "adam_step", "rmsprop_step", "adagrad_step", "adadelta_step", "rprop_step",
)
