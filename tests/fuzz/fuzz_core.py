"""Coverage-guided fuzzing of the C++ bindings (mlbasics._core) and the public kernels on backend cpp.

Run a bounded session (atheris, ``pip install ".[fuzz]"``)::

    python tests/fuzz/fuzz_core.py -max_total_time=60 tests/fuzz/corpus

``TestOneInput(data)`` turns arbitrary bytes into one call: a target (every ``_core`` function,
``_core.set_num_threads`` included, or a ``mlbasics.kernels`` function with ``backend="cpp"``)
and its arguments — shapes 0..40, float32/float64 and wrong dtypes (int, bool, object, complex,
float16, byte-swapped), layouts (C, Fortran, transposed, stepped, negative steps, broadcast,
read-only, unaligned), aliasing (the same array, or an overlapping view of it, in two places),
hyper-parameters (NaN, ±inf, negative, huge) and wrong Python types (lists, None, scalars,
strings). The only allowed outcomes are a return or a ValueError/TypeError; anything else
raises :class:`Finding` (and a crash or a sanitizer report ends the process).

The bytes are read by the small deterministic reader :class:`Bytes` below, not by
``atheris.FuzzedDataProvider``, so that a saved input replays identically without atheris
(``tests/test_fuzz_corpus.py`` replays ``tests/fuzz/corpus/`` and ``tests/fuzz/regressions/`` in
the normal test run). Coverage is Python-level only: atheris instruments this harness and
mlbasics' Python code (the contract's checks); the C++ of ``_core`` is not built with
``-fsanitize=fuzzer``, so its branches do not guide the search (see tests/fuzz/README.md).
"""
from __future__ import annotations

import math
import struct
import sys

import numpy as np

import mlbasics
import mlbasics.kernels as K
from mlbasics import _core

ALLOWED = (ValueError, TypeError)
MAX_DIM = 40


class Finding(AssertionError):
    """A call ended in something other than a return, ValueError or TypeError."""


class Bytes:
    """Reads choices from the fuzzer's bytes; past the end every read returns its smallest value."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0
        # How hostile this input is: mutations (wrong types, shapes, dtypes, aliasing, odd values)
        # happen with probability 1/k (wild), 1/(4k) (mild) or never (calm), so that valid calls
        # reach deep into the kernels often enough.
        self.calm = (1, 4, 0)[self.int(0, 2)]

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def int(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        span = hi - lo + 1
        v = self.byte() if span <= 256 else self.byte() | self.byte() << 8
        return lo + v % span

    def bool(self) -> bool:
        return bool(self.byte() & 1)

    def chance(self, k: int) -> bool:
        """A mutation: true with probability about 1/k scaled by the input's hostility (always False
        for calm inputs and once the bytes are exhausted)."""
        if self.calm == 0:
            return False
        return self.pos < len(self.data) and self.int(0, k * self.calm - 1) == 0

    def pick(self, seq):
        return seq[self.int(0, len(seq) - 1)]

    def raw_double(self) -> float:
        b = bytes(self.byte() for _ in range(8))
        return struct.unpack("<d", b)[0]


SPECIAL_FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 0.9, 0.999, 1e-8, 2.0, 1.5, 1e-300, 5e-324, 1e300, 1.7976931348623157e308,
                  -1e300, math.nan, math.inf, -math.inf, 1e38, 3.5e38, 0.1, 10.0)
WRONG_SCALARS = (None, "0.1", [0.1], (), object(), 1j, np.float32(0.5), np.int64(3), True, 2 ** 64, -(2 ** 70),
                 np.array([1.0, 2.0]), np.array(0.5))
HUGE_INTS = (0, 1, -1, 2, 3, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 62, 2 ** 63 - 1, 2 ** 63, -(2 ** 63), 2 ** 64)


def hyper_float(p: Bytes) -> object:
    """A hyper-parameter: usually a (possibly non-finite, negative, huge) float, sometimes a wrong type."""
    if p.calm == 0:
        return p.pick((0.0, 0.0, 0.1, 0.5, 0.9, 1e-3, 1e-8, 1.0))
    c = p.int(0, 15)
    if c < 9:
        return p.pick(SPECIAL_FLOATS)
    if c < 12:
        return p.raw_double()
    if c < 14:
        return float(p.int(0, 5))
    return p.pick(WRONG_SCALARS)


def flag(p: Bytes) -> object:
    return p.bool() if not p.chance(12) else p.pick((None, 0, 1, 2, "yes", 0.5, np.bool_(True), [True]))


def integer(p: Bytes, lo: int, hi: int) -> object:
    """An integer argument: usually in [lo, hi], sometimes huge or of the wrong type."""
    if not p.chance(2):
        return p.int(lo, hi)
    c = p.int(0, 11)
    if c < 8:
        return p.int(lo, hi)
    if c < 10:
        return p.pick(HUGE_INTS)
    return p.pick((None, 1.0, 1.5, "1", [1], np.int32(2), np.uint64(2 ** 63), True))


# --------------------------------------------------------------------------- arrays

GOOD = (np.dtype(np.float64), np.dtype(np.float32))
WRONG = (np.dtype(np.int64), np.dtype(np.int32), np.dtype(bool), np.dtype(object), np.dtype(np.complex128),
         np.dtype(np.float16), np.dtype(">f8"), np.dtype(">f4"), np.dtype(np.uint8), np.dtype(np.longdouble))
LAYOUTS = ("C", "C", "C", "C", "F", "T", "step", "negative", "broadcast", "readonly", "unaligned", "offset")


class Arrays:
    """Builds the arrays of one call and remembers them, so later arguments can alias earlier ones."""

    def __init__(self, p: Bytes, dtype: np.dtype):
        self.p, self.dtype, self.made = p, dtype, []
        self.rng = np.random.default_rng(p.int(0, 255))

    def values(self, shape, dtype, labels_below=None):
        p, rng = self.p, self.rng
        mode = p.int(0, 7)
        if labels_below is not None and (mode < 5 or not p.calm):
            lo = -1 if p.chance(8) else 0
            hi = max(labels_below, 1) + (1 if p.chance(8) else 0)
            base = rng.integers(lo, hi, size=shape).astype(np.float64)
        elif mode == 0:
            base = np.zeros(shape)
        elif mode == 1:
            base = rng.uniform(0, 1, size=shape)  # e.g. BCE targets in [0, 1]
        elif mode == 2 and p.calm:
            base = rng.choice(np.array(SPECIAL_FLOATS), size=shape)
        else:
            base = rng.standard_normal(shape) * p.pick((1.0, 1.0, 10.0, 1e4))
        base = np.asarray(base, dtype=np.float64)
        if dtype.kind == "f":
            with np.errstate(all="ignore"):
                return base.astype(dtype)
        if dtype.kind == "c":
            return (base + 1j).astype(dtype)
        if dtype.kind == "b":
            return base > 0
        if dtype.kind in "iu":
            return np.nan_to_num(base, nan=0, posinf=0, neginf=0).clip(-1e9, 1e9).astype(dtype)
        return base.astype(object)

    def layout(self, v: np.ndarray, how: str) -> np.ndarray:
        if how == "F":
            return np.asfortranarray(v)
        if how == "T" and v.ndim == 2:
            return np.ascontiguousarray(v.T).T
        if how in ("step", "negative") and v.ndim >= 1:
            step = self.p.pick((2, 3)) if how == "step" else self.p.pick((-1, -2))
            big = np.zeros(tuple(abs(step) * s + 1 for s in v.shape), dtype=v.dtype)
            view = big[tuple(slice(None, None, step) for _ in v.shape)][tuple(slice(0, s) for s in v.shape)]
            view[...] = v
            return view
        if how == "broadcast" and v.ndim >= 1 and v.shape[0] > 0:
            return np.broadcast_to(v[:1], v.shape)
        if how == "readonly":
            a = v.copy()
            a.flags.writeable = False
            return a
        if how == "unaligned" and v.dtype != object and v.itemsize > 1:
            buf = np.zeros(v.nbytes + v.itemsize + 1, dtype=np.uint8)
            a = buf[1:1 + v.nbytes].view(v.dtype).reshape(v.shape)
            a[...] = v
            return a
        if how == "offset" and v.ndim >= 1:  # a C-contiguous slice in the middle of a bigger buffer
            big = np.zeros((v.shape[0] + 2,) + v.shape[1:], dtype=v.dtype)
            big[1:-1] = v
            return big[1:-1]
        return np.ascontiguousarray(v)

    def alias(self):
        """An earlier array of this call, or a view overlapping it."""
        a = self.p.pick(self.made)
        if not isinstance(a, np.ndarray):
            return a
        c = self.p.int(0, 5)
        if c == 0 and a.ndim >= 1 and a.shape[0] > 1:
            return a[1:]
        if c == 1 and a.ndim == 2:
            return a.T
        if c == 2 and a.size:
            return a.reshape(-1)
        if c == 3 and a.ndim == 2 and a.shape[1] > 0:
            return a[:, 0]
        return a

    def __call__(self, shape, *, labels_below=None, dtype=None) -> object:
        """An argument meant to be an array of `shape` (of this call's dtype unless given)."""
        p = self.p
        if self.made and p.chance(10):
            return self.alias()
        c = p.int(0, 39) if p.chance(1) else 39
        if c == 0:
            return p.pick((None, 1.0, "array", 3, b"\x00" * 8))
        if c == 1:  # a nested list: never converted by _core, converted by the contract's inputs
            return np.zeros(shape).tolist() if len(shape) else 0.0
        if c == 2:
            shape = tuple(p.int(0, MAX_DIM) for _ in range(p.int(0, 3)))
        elif c == 3:
            shape = tuple(max(s + p.int(-1, 1), 0) for s in shape)
        if dtype is None:
            dtype = self.dtype
        if p.chance(10):
            dtype = p.pick(WRONG + GOOD)
        v = np.asarray(self.values(shape, dtype, labels_below))
        a = self.layout(v, p.pick(LAYOUTS) if p.chance(1) else "C")
        self.made.append(a)
        return a


def dim(p: Bytes) -> int:
    return p.pick((0, 1, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, MAX_DIM)) if p.bool() else p.int(0, MAX_DIM)


ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh")
LOSSES = ("softmax_cross_entropy", "binary_cross_entropy_with_logits", "squared_error")
SCHEMA = _core.optimizer_schema()
OPTIMIZERS = tuple(SCHEMA) + ("adamw", "nope", "")


def activation(p: Bytes, code: bool) -> object:
    if p.chance(10):
        return p.pick((-1, 4, 2 ** 31, None, "relu", 1.0, "softplus", "RELU")) if code else p.pick(
            (0, 1, None, "softplus", "", "Relu"))
    i = p.int(0, 3)
    return i if code else ACTIVATIONS[i]


# --------------------------------------------------------------------------- calls
# Each builder returns (callable, args, kwargs).

def c_matmul(p, A):
    m, k, n = dim(p), dim(p), dim(p)
    ta, tb = p.bool(), p.bool()
    a = A((k, m) if ta else (m, k))
    b = A((n, k) if tb else (k, n))
    return _core.matmul, (a, b, flag(p) if p.chance(8) else ta, flag(p) if p.chance(8) else tb, A((m, n))), {}


def c_gram(p, A):
    n, d = dim(p), dim(p)
    x = A((n, d))
    return _core.gram, (x, A((d, d))), {}


def c_linear_forward(p, A):
    n, i, o = dim(p), dim(p), dim(p)
    return _core.linear_forward, (A((n, i)), A((i, o)), A((o,)), activation(p, True), A((n, o)), A((n, o))), {}


def c_linear_backward(p, A):
    n, i, o = dim(p), dim(p), dim(p)
    args = (A((n, i)), A((i, o)), A((n, o)), A((n, o)), A((n, o)), activation(p, True), A((n, i)), A((i, o)), A((o,)))
    return _core.linear_backward, args, {}


def c_softmax(p, A):
    n, c = dim(p), dim(p)
    return _core.softmax_cross_entropy, (A((n, c)), A((n,), labels_below=c, dtype=np.dtype(np.int64)),
                                         A((n, c))), {}


def c_bce(p, A):
    n = dim(p)
    return _core.binary_cross_entropy_with_logits, (A((n,)), A((n,)), A((n,))), {}


def c_mse(p, A):
    n = dim(p)
    return _core.mse, (A((n,)), A((n,)), A((n,))), {}


def _vec(p, A, n):
    return A((n,))


def c_sgd(p, A):
    n = dim(p)
    return _core.sgd_step, (A((n,)), A((n,)), A((n,)) if not p.chance(3) else None, *[hyper_float(p) for _ in range(4)],
                            flag(p), flag(p)), {}


def c_adam(p, A):
    n = dim(p)
    return _core.adam_step, (A((n,)), A((n,)), A((n,)), A((n,)), integer(p, 0, 5),
                             *[hyper_float(p) for _ in range(5)], flag(p)), {}


def c_rmsprop(p, A):
    n = dim(p)
    opt = lambda: A((n,)) if not p.chance(3) else None  # noqa: E731
    return _core.rmsprop_step, (A((n,)), A((n,)), A((n,)), opt(), opt(), *[hyper_float(p) for _ in range(5)],
                                flag(p)), {}


def c_adagrad(p, A):
    n = dim(p)
    return _core.adagrad_step, (A((n,)), A((n,)), A((n,)), integer(p, 0, 5), *[hyper_float(p) for _ in range(4)]), {}


def c_adadelta(p, A):
    n = dim(p)
    return _core.adadelta_step, (A((n,)), A((n,)), A((n,)), A((n,)), *[hyper_float(p) for _ in range(4)]), {}


def c_rprop(p, A):
    n = dim(p)
    return _core.rprop_step, (A((n,)), A((n,)), A((n,)), A((n,)), *[hyper_float(p) for _ in range(4)]), {}


def _layer_sizes(p):
    sizes = [p.int(1, 12) for _ in range(p.int(2, 4))]
    if p.chance(8):
        sizes[p.int(0, len(sizes) - 1)] = p.pick(HUGE_INTS + (-5,))
    if p.chance(16):
        sizes = p.pick(([], [3], "34", None, [1.5, 2], (2, 2)))
    return sizes


def _n_params(sizes):
    try:
        return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    except TypeError:
        return 0


def _mlp_common(p, A, *, raw):
    sizes = _layer_sizes(p)
    ok = isinstance(sizes, list) and len(sizes) >= 2 and all(isinstance(s, int) and 1 <= s <= 64 for s in sizes)
    d = sizes[0] if ok else p.int(0, 5)
    k = sizes[-1] if ok else p.int(1, 5)
    n = p.int(0, 20)
    P = _n_params(sizes) if ok else p.int(0, 50)
    if p.chance(10):
        P += p.int(-1, 1)
    loss_i = p.int(0, 2)
    if loss_i == 0:
        targets = A((n,), labels_below=k, dtype=np.dtype(np.int64))
    elif loss_i == 1:
        targets = A((n,))
    else:
        targets = A((n, k))
    m = p.int(0, 2 * n + 1)
    order = A((m,), labels_below=n, dtype=np.dtype(np.int64))
    X, params, grads = A((n, d)), A((max(P, 0),)), A((max(P, 0),))
    opt = p.pick(OPTIMIZERS)
    kind = "adam" if opt == "adamw" else opt
    names = SCHEMA.get(kind, SCHEMA["sgd"])
    state = {}
    for s in names["state"]:
        if not p.chance(6):
            state[s] = A((max(P, 0),)) if not p.chance(3) else None
    if p.chance(12):
        state[p.pick(("bogus", 1, "prev"))] = A((max(P, 0),))
    hyper = {}
    for h in names["hyper"]:
        if raw or h == "lr" or not p.chance(3):
            if h in ("nesterov", "centered", "decoupled_weight_decay"):
                hyper[h] = flag(p)
            else:
                hyper[h] = hyper_float(p)
    if not raw and kind == "rprop" and p.bool():
        hyper = {"etas": (hyper_float(p), hyper_float(p)), "step_sizes": (hyper_float(p), hyper_float(p))}
    if p.chance(10):
        hyper[p.pick(("bogus", 3, "lr"))] = hyper_float(p)
    return sizes, loss_i, targets, order, X, params, grads, state, opt, hyper


def c_mlp_epoch(p, A):
    sizes, loss_i, targets, order, X, params, grads, state, opt, hyper = _mlp_common(p, A, raw=True)
    args = (X, targets, order, params, grads, state, sizes, activation(p, True),
            loss_i if not p.chance(10) else p.pick((-1, 3, None)), hyper_float(p), integer(p, 1, 8), opt, hyper,
            integer(p, 0, 5), flag(p))
    return _core.mlp_epoch, args, {}


def c_set_num_threads(p, A):
    # Large valid counts are left out: a kernel would then start that many threads (see README).
    n = p.pick((1, 2, 3, 0, -1, -(2 ** 31), 2 ** 31, 2 ** 63, None, 2.0, "2", True))
    return _core.set_num_threads, (n,), {}


def k_matmul(p, A):
    m, k, n = dim(p), dim(p), dim(p)
    ta, tb = p.bool(), p.bool()
    kw = {"trans_a": flag(p) if p.chance(8) else ta, "trans_b": flag(p) if p.chance(8) else tb}
    if p.bool():
        kw["out"] = A((m, n))
    return K.matmul, (A((k, m) if ta else (m, k)), A((n, k) if tb else (k, n))), kw


def k_gram(p, A):
    return K.gram, (A((dim(p), dim(p))),), {}


def k_linear_forward(p, A):
    n, i, o = dim(p), dim(p), dim(p)
    return K.linear_forward, (A((n, i)), A((i, o)), A((o,))), {"activation": activation(p, False)}


def k_linear_backward(p, A):
    n, i, o = dim(p), dim(p), dim(p)
    z = A((n, o)) if not p.chance(4) else None
    h = A((n, o)) if not p.chance(4) else None
    return K.linear_backward, (A((n, i)), A((i, o)), z, h, A((n, o)), activation(p, False)), {
        "compute_grad_x": flag(p)}


def k_softmax(p, A):
    n, c = dim(p), dim(p)
    return K.softmax_cross_entropy, (A((n, c)), A((n,), labels_below=c, dtype=p.pick(
        (np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.int64))))), {}


def k_bce(p, A):
    n = dim(p)
    return K.binary_cross_entropy_with_logits, (A((n,)), A((n,))), {}


def k_mse(p, A):
    n = dim(p)
    return K.mse, (A((n,)), A((n,))), {}


def _kw_hyper(p, names):
    return {name: hyper_float(p) for name in names if p.bool()}


def k_optim(p, A):
    n = dim(p)
    which = p.int(0, 5)
    if which == 0:
        kw = _kw_hyper(p, ("momentum", "dampening", "weight_decay"))
        kw["lr"] = hyper_float(p)
        kw.update({k: flag(p) for k in ("nesterov", "first_step") if p.bool()})
        return K.sgd_step, (A((n,)), A((n,)), A((n,)) if p.bool() else None), kw
    if which == 1:
        kw = _kw_hyper(p, ("beta1", "beta2", "eps", "weight_decay"))
        kw.update(step=integer(p, 0, 5), lr=hyper_float(p))
        if p.bool():
            kw["decoupled_weight_decay"] = flag(p)
        return K.adam_step, (A((n,)), A((n,)), A((n,)), A((n,))), kw
    if which == 2:
        kw = _kw_hyper(p, ("lr", "alpha", "eps", "weight_decay", "momentum"))
        if p.bool():
            kw["centered"] = flag(p)
        opt = lambda: A((n,)) if p.bool() else None  # noqa: E731
        return K.rmsprop_step, (A((n,)), A((n,)), A((n,)), opt(), opt()), kw
    if which == 3:
        kw = _kw_hyper(p, ("lr", "lr_decay", "weight_decay", "eps"))
        kw["step"] = integer(p, 0, 5)
        return K.adagrad_step, (A((n,)), A((n,)), A((n,))), kw
    if which == 4:
        return K.adadelta_step, (A((n,)), A((n,)), A((n,)), A((n,))), _kw_hyper(p, ("lr", "rho", "eps", "weight_decay"))
    kw = {}
    if p.bool():
        kw["etas"] = (hyper_float(p), hyper_float(p)) if not p.chance(6) else hyper_float(p)
    if p.bool():
        kw["step_sizes"] = (hyper_float(p), hyper_float(p)) if not p.chance(6) else [hyper_float(p)]
    return K.rprop_step, (A((n,)), A((n,)), A((n,)), A((n,))), kw


def k_mlp_epoch(p, A):
    sizes, loss_i, targets, order, X, params, grads, state, opt, hyper = _mlp_common(p, A, raw=False)
    kw = dict(layer_sizes=sizes, activation=activation(p, False), loss=p.pick(LOSSES + ("hinge",)) if p.chance(10)
              else LOSSES[loss_i], alpha=hyper_float(p), batch_size=integer(p, 1, 8), optimizer=opt, hyper=hyper,
              step=integer(p, 0, 5))
    if p.bool():
        kw["first_step"] = flag(p)
    return K.mlp_epoch, (X, targets, order, params, grads, state), kw


def k_set_num_threads(p, A):
    return mlbasics.set_num_threads, (p.pick((1, 2, 3, 0, -1, 2 ** 31, 2 ** 63, None, 2.0, "2", True)),), {}


TARGETS = (c_matmul, c_gram, c_linear_forward, c_linear_backward, c_softmax, c_bce, c_mse, c_sgd, c_adam, c_rmsprop,
           c_adagrad, c_adadelta, c_rprop, c_mlp_epoch, c_set_num_threads,
           k_matmul, k_gram, k_linear_forward, k_linear_backward, k_softmax, k_bce, k_mse, k_optim, k_mlp_epoch,
           k_set_num_threads)


def _describe(fn, args, kwargs) -> str:
    def short(a):
        if isinstance(a, np.ndarray):
            return f"ndarray(shape={a.shape}, dtype={a.dtype}, strides={a.strides}, writeable={a.flags.writeable})"
        return repr(a)[:80]
    parts = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__name__', fn)}({', '.join(parts)})"


def build(data: bytes):
    """The (target name, callable, args, kwargs) that `data` encodes; for reports and tests."""
    p = Bytes(data)
    threads = p.int(1, 2)
    target = TARGETS[p.int(0, len(TARGETS) - 1)]
    A = Arrays(p, p.pick(GOOD))
    fn, args, kwargs = target(p, A)
    return target.__name__, threads, fn, args, kwargs


def TestOneInput(data: bytes) -> None:
    """One fuzz input: build the call, run it, allow only a return, ValueError or TypeError."""
    name, threads, fn, args, kwargs = build(data)
    mlbasics.set_num_threads(threads)  # also resets _core after a set_num_threads target
    try:
        with np.errstate(all="ignore"):
            fn(*args, **kwargs)
    except ALLOWED:
        pass
    except Exception as exc:  # anything else is a finding
        raise Finding(f"{name}: {_describe(fn, args, kwargs)} raised {type(exc).__name__}: {exc}") from exc
    finally:
        mlbasics.set_num_threads(threads)


def replay(paths) -> int:
    """Runs every input file under `paths` (files or directories) once; returns the number run.

    ``python tests/fuzz/fuzz_core.py --replay DIR...``: no atheris needed. .ci/run replays the
    corpus a coverage-guided session grew under the ASan+UBSan build, where atheris' coverage
    does not work (GCC's preloaded sanitizer runtime shadows libFuzzer's coverage hooks)."""
    import pathlib

    files = []
    for p in map(pathlib.Path, paths):
        files += sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        try:
            TestOneInput(f.read_bytes())
        except Finding as exc:
            raise Finding(f"{f}: {exc}") from exc
    return len(files)


def main(argv=None) -> None:
    argv = sys.argv if argv is None else argv
    if argv[1:2] == ["--replay"]:
        print(f"replayed {replay(argv[2:])} inputs: every one ended in a return, ValueError or TypeError")
        return
    import atheris  # only the fuzzing session needs it; replaying does not

    atheris.instrument_all()
    atheris.Setup(argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
