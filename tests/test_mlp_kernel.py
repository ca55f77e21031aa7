"""Contract tests for mlp_epoch: one MLP training epoch (forward, loss, backward, optimizer step per
minibatch) in one call, on every backend and dtype."""
import math

import numpy as np
import pytest

import mlbasics
from _helpers import assert_close

N, F = 37, 5

# name: (layer_sizes, hidden activation, loss, optimizer, hyper, batch_size, alpha)
CASES = {
    "linear-softmax-sgd-nesterov": ((F, 3), "identity", "softmax_cross_entropy", "sgd",
                                    dict(lr=0.1, momentum=0.9, nesterov=True), 8, 1e-2),
    "relu-softmax-adam-fullbatch": ((F, 7, 3), "relu", "softmax_cross_entropy", "adam",
                                    dict(lr=0.01, beta1=0.8, beta2=0.99), N, 1e-4),
    "tanh2-bce-rmsprop-centered": ((F, 6, 4, 1), "tanh", "binary_cross_entropy_with_logits", "rmsprop",
                                   dict(lr=0.01, momentum=0.5, centered=True, weight_decay=1e-3), 10, 1e-3),
    "sigmoid-squared-adagrad": ((F, 6, 2), "sigmoid", "squared_error", "adagrad",
                                dict(lr=0.05, lr_decay=0.1, weight_decay=1e-3), 8, 0.0),
    "identity2-squared-adadelta": ((F, 4, 4, 2), "identity", "squared_error", "adadelta",
                                   dict(lr=1.0, rho=0.8), 13, 1e-3),
    "relu-softmax-rprop": ((F, 8, 3), "relu", "softmax_cross_entropy", "rprop",
                           dict(etas=(0.4, 1.3), step_sizes=(1e-5, 1.0)), 16, 1e-4),
    "relu-bce-adamw": ((F, 6, 1), "relu", "binary_cross_entropy_with_logits", "adamw",
                       dict(lr=0.01, weight_decay=0.1), 5, 0.0),
    "sigmoid-softmax-sgd-plain": ((F, 6, 3), "sigmoid", "softmax_cross_entropy", "sgd",
                                  dict(lr=0.2, weight_decay=1e-2), 64, 1e-3),
    "tanh-squared3-sgd-dampening": ((F, 3, 3), "tanh", "squared_error", "sgd",
                                    dict(lr=0.05, momentum=0.7, dampening=0.7), 6, 1e-2),
}


def make_problem(case, dtype, seed=0, order="permutation"):
    sizes, act, loss, opt, hyper, bs, alpha = CASES[case]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, F)).astype(dtype)
    k = sizes[-1]
    if loss == "softmax_cross_entropy":
        targets = rng.integers(0, k, N)
    elif loss == "binary_cross_entropy_with_logits":
        targets = rng.uniform(0, 1, N).astype(dtype)
    else:
        targets = rng.standard_normal((N, k)).astype(dtype)
    P = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    params = (rng.standard_normal(P) * 0.5).astype(dtype)
    idx = rng.permutation(N) if order == "permutation" else rng.integers(0, N, 25)
    kw = dict(layer_sizes=sizes, activation=act, loss=loss, alpha=alpha, batch_size=bs, optimizer=opt, hyper=hyper)
    return X, targets, idx, params, kw


def new_state(optimizer, params, hyper):
    z = np.zeros_like
    return {
        "sgd": lambda: {"momentum_buffer": np.full_like(params, np.nan)} if hyper.get("momentum") else {},
        "adam": lambda: {"exp_avg": z(params), "exp_avg_sq": z(params)},
        "adamw": lambda: {"exp_avg": z(params), "exp_avg_sq": z(params)},
        "rmsprop": lambda: {"square_avg": z(params), "momentum_buffer": z(params), "grad_avg": z(params)},
        "adagrad": lambda: {"sum": z(params)},
        "adadelta": lambda: {"square_avg": z(params), "acc_delta": z(params)},
        "rprop": lambda: {"prev": z(params), "step_size": np.full_like(params, 0.01)},
    }[optimizer]()


def run(backend, X, targets, order, params, kw, *, step=0, first_step=True, state=None):
    params = params.copy()
    grads = np.full_like(params, np.nan)
    state = new_state(kw["optimizer"], params, kw["hyper"]) if state is None else state
    loss_sum, steps = backend.mlp_epoch(X, targets, order, params, grads, state, step=step, first_step=first_step,
                                        **kw)
    return loss_sum, steps, params, grads, state


def explicit_epoch(backend, X, targets, order, params, kw):
    """The epoch as the explicit sequence of the contract's layer, loss and step kernels."""
    sizes, act, loss = kw["layer_sizes"], kw["activation"], kw["loss"]
    alpha, bs, opt, hyper = kw["alpha"], kw["batch_size"], kw["optimizer"], kw["hyper"]
    params = params.copy()
    grads = np.zeros_like(params)
    state = new_state(opt, params, hyper)
    layers, off = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers.append((slice(off, off + n_in * n_out), slice(off + n_in * n_out, off + (n_in + 1) * n_out),
                       (n_in, n_out)))
        off += (n_in + 1) * n_out
    total, steps = 0.0, 0
    for start in range(0, len(order), bs):
        rows = order[start:start + bs]
        h, cache = X[rows], []
        for i, (ws, bsl, shape) in enumerate(layers):
            a = act if i < len(layers) - 1 else "identity"
            z, out = backend.linear_forward(h, params[ws].reshape(shape), params[bsl], a)
            cache.append((h, z, out, a))
            h = out
        y = targets[rows]
        if loss == "softmax_cross_entropy":
            value, g = backend.softmax_cross_entropy(h, y)
            value = float(value)
        elif loss == "binary_cross_entropy_with_logits":
            value, g = backend.binary_cross_entropy_with_logits(np.ascontiguousarray(h[:, 0]), y)
            value, g = float(value), g.reshape(-1, 1)
        else:
            value, g = backend.mse(h, y)
            value, g = 0.5 * float(value), g * (0.5 * y.shape[1])
        n = len(rows)
        value += 0.5 * alpha * sum(float(np.dot(params[ws], params[ws])) for ws, _, _ in layers) / n
        for i in range(len(layers) - 1, -1, -1):
            ws, bsl, shape = layers[i]
            x_in, z, out, a = cache[i]
            g, gw, gb = backend.linear_backward(x_in, params[ws].reshape(shape), z, out, g, a, compute_grad_x=i > 0)
            grads[ws] = gw.ravel() + (alpha / n) * params[ws]
            grads[bsl] = gb
        if not math.isfinite(value):
            return value, steps, params
        steps += 1
        first = steps == 1
        if opt == "sgd":
            backend.sgd_step(params, grads, state.get("momentum_buffer"), first_step=first, **hyper)
        elif opt in ("adam", "adamw"):
            backend.adam_step(params, grads, state["exp_avg"], state["exp_avg_sq"], step=steps,
                              decoupled_weight_decay=opt == "adamw", **hyper)
        elif opt == "rmsprop":
            backend.rmsprop_step(params, grads, state["square_avg"], state["momentum_buffer"], state["grad_avg"],
                                 **hyper)
        elif opt == "adagrad":
            backend.adagrad_step(params, grads, state["sum"], step=steps, **hyper)
        elif opt == "adadelta":
            backend.adadelta_step(params, grads, state["square_avg"], state["acc_delta"], **hyper)
        else:
            backend.rprop_step(params, grads, state["prev"], state["step_size"], **hyper)
        total += value * n
    return total, steps, params


@pytest.mark.parametrize("case", list(CASES))
def test_epoch_matches_reference(backend, reference, dtype, case):
    X, targets, order, params, kw = make_problem(case, dtype)
    loss_sum, steps, p, g, state = run(backend, X, targets, order, params, kw)
    ref_sum, ref_steps, p_ref, g_ref, state_ref = run(reference, X, targets, order, params, kw)
    assert steps == ref_steps == -(-N // kw["batch_size"])
    assert isinstance(loss_sum, float) and isinstance(steps, int)
    assert loss_sum == pytest.approx(ref_sum, rel=1e-4 if dtype == np.float32 else 1e-10)
    assert_close(p, p_ref, dtype, scale=1.0)
    assert_close(g, g_ref, dtype, scale=1.0)
    for name in state_ref:
        assert_close(state[name], state_ref[name], dtype, scale=1.0)


@pytest.mark.parametrize("case", list(CASES))
def test_epoch_equals_explicit_kernel_sequence(backend, dtype, case):
    """mlp_epoch is the per-batch sequence of the backend's own layer, loss and step kernels (bit for bit
    on the NumPy reference, which MLPClassifier's results depend on)."""
    X, targets, order, params, kw = make_problem(case, dtype, seed=1, order="sample")
    loss_sum, steps, p, _, _ = run(backend, X, targets, order, params, kw)
    exp_sum, exp_steps, p_exp = explicit_epoch(backend, X, targets, order, params, kw)
    assert steps == exp_steps == -(-25 // kw["batch_size"])
    if backend.name == "numpy":
        assert loss_sum == exp_sum
        np.testing.assert_array_equal(p, p_exp)
    else:
        assert loss_sum == pytest.approx(exp_sum, rel=1e-4 if dtype == np.float32 else 1e-10)
        assert_close(p, p_exp, dtype, scale=1.0)


@pytest.mark.parametrize("case", ["relu-softmax-adam-fullbatch", "tanh-squared3-sgd-dampening", "relu-softmax-rprop"])
def test_epoch_in_two_calls(backend, case):
    """An epoch split in two calls (state kept, step counter advanced, first_step only at the start)
    is the same epoch."""
    dtype = np.float64
    X, targets, order, params, kw = make_problem(case, dtype)
    kw = dict(kw, batch_size=6)
    _, steps, p_one, _, _ = run(backend, X, targets, order, params, kw)
    cut = 4 * 6
    s1, n1, p_half, _, state = run(backend, X, targets, order[:cut], params, kw)
    s2, n2, p_two, _, _ = run(backend, X, targets, order[cut:], p_half, kw, step=n1, first_step=False, state=state)
    assert (n1, n2, steps) == (4, 3, 7)
    np.testing.assert_allclose(p_two, p_one, rtol=1e-12, atol=1e-12)


def test_divergence_stops_before_the_update(backend):
    X, targets, order, params, kw = make_problem("relu-softmax-adam-fullbatch", np.float64)
    kw = dict(kw, optimizer="sgd", hyper=dict(lr=1e30), batch_size=4, alpha=0.0)
    X = X * 1e10
    with np.errstate(all="ignore"):  # the NumPy reference warns on the way to inf
        loss_sum, steps, p, _, _ = run(backend, X, targets, order, params, kw)
        ref_sum, ref_steps, p_ref, _, _ = run(mlbasics.get_backend("numpy"), X, targets, order, params, kw)
    assert not math.isfinite(loss_sum)
    assert steps < -(-N // 4)
    assert steps == ref_steps
    np.testing.assert_array_equal(np.isfinite(p), np.isfinite(p_ref))


def test_empty_order_takes_no_step(backend):
    X, targets, _, params, kw = make_problem("relu-softmax-adam-fullbatch", np.float32)
    loss_sum, steps, p, _, _ = run(backend, X, targets, np.empty(0, np.int64), params, kw)
    assert (loss_sum, steps) == (0.0, 0)
    np.testing.assert_array_equal(p, params)


def _bad(name, mutate, exc, match):
    return pytest.param(mutate, exc, match, id=name)


BAD = [
    _bad("X-int", lambda a: a.update(X=a["X"].astype(np.int64)), TypeError, "X"),
    _bad("X-1d", lambda a: a.update(X=a["X"][:, 0]), ValueError, "X"),
    _bad("X-dtype", lambda a: a.update(X=a["X"].astype(np.float64)), TypeError, "params"),
    _bad("layer_sizes-mismatch", lambda a: a.update(layer_sizes=(4, 7, 3)), ValueError, "layer_sizes"),
    _bad("layer_sizes-short", lambda a: a.update(layer_sizes=(F,)), ValueError, "layer_sizes"),
    _bad("layer_sizes-zero", lambda a: a.update(layer_sizes=(F, 0, 3)), ValueError, "layer_sizes"),
    _bad("layer_sizes-float", lambda a: a.update(layer_sizes=(F, 7.0, 3)), TypeError, "layer_sizes"),
    _bad("activation", lambda a: a.update(activation="softmax"), ValueError, "activation"),
    _bad("loss", lambda a: a.update(loss="hinge"), ValueError, "loss"),
    _bad("targets-float-labels", lambda a: a.update(targets=a["targets"].astype(np.float32)), TypeError, "targets"),
    _bad("targets-range", lambda a: a.update(targets=a["targets"] + 3), ValueError, "targets"),
    _bad("targets-length", lambda a: a.update(targets=a["targets"][:-1]), ValueError, "targets"),
    _bad("bce-needs-one-output", lambda a: a.update(loss="binary_cross_entropy_with_logits",
                                                    targets=np.zeros(N, np.float32)), ValueError, "layer_sizes"),
    _bad("order-float", lambda a: a.update(order=a["order"].astype(np.float64)), TypeError, "order"),
    _bad("order-range", lambda a: a.update(order=a["order"] + 1), ValueError, "order"),
    _bad("order-negative", lambda a: a.update(order=a["order"] - 1), ValueError, "order"),
    _bad("order-2d", lambda a: a.update(order=a["order"].reshape(1, -1)), ValueError, "order"),
    _bad("params-size", lambda a: a.update(params=np.zeros(10, np.float32)), ValueError, "params"),
    _bad("params-readonly", lambda a: a["params"].setflags(write=False), ValueError, "params"),
    _bad("params-strided", lambda a: a.update(params=np.zeros(2 * a["params"].size, np.float32)[::2]),
         ValueError, "params"),
    _bad("grads-dtype", lambda a: a.update(grads=a["grads"].astype(np.float64)), TypeError, "grads"),
    _bad("grads-is-params", lambda a: a.update(grads=a["params"]), ValueError, "grads"),
    _bad("alpha", lambda a: a.update(alpha=-1.0), ValueError, "alpha"),
    _bad("batch_size-zero", lambda a: a.update(batch_size=0), ValueError, "batch_size"),
    _bad("batch_size-float", lambda a: a.update(batch_size=2.5), TypeError, "batch_size"),
    _bad("step-negative", lambda a: a.update(step=-1), ValueError, "step"),
    _bad("optimizer", lambda a: a.update(optimizer="lbfgs"), ValueError, "optimizer"),
    _bad("hyper-unknown", lambda a: a["hyper"].update(momentum=0.9), ValueError, "hyper"),
    _bad("hyper-lr-missing", lambda a: a.update(hyper={}), ValueError, "hyper"),
    _bad("hyper-lr-negative", lambda a: a["hyper"].update(lr=-1.0), ValueError, "lr"),
    _bad("hyper-beta1", lambda a: a["hyper"].update(beta1=1.0), ValueError, "beta1"),
    _bad("state-missing", lambda a: a["state"].pop("exp_avg"), ValueError, "exp_avg"),
    _bad("state-unknown", lambda a: a["state"].update(momentum_buffer=np.zeros_like(a["params"])), ValueError,
         "state"),
    _bad("state-size", lambda a: a["state"].update(exp_avg=np.zeros(3, np.float32)), ValueError, "exp_avg"),
    _bad("state-dtype", lambda a: a["state"].update(exp_avg=np.zeros(a["params"].size)), TypeError, "exp_avg"),
    _bad("state-shared", lambda a: a["state"].update(exp_avg=a["state"]["exp_avg_sq"]), ValueError, "exp_avg"),
    _bad("state-not-dict", lambda a: a.update(state=[]), TypeError, "state"),
    _bad("first_step", lambda a: a.update(first_step=1), TypeError, "first_step"),
]


@pytest.mark.parametrize("mutate,exc,match", BAD)
def test_bad_input_raises_naming_the_argument(backend, mutate, exc, match):
    X, targets, order, params, kw = make_problem("relu-softmax-adam-fullbatch", np.float32)
    args = dict(kw, X=X, targets=targets, order=order, params=params.copy(), grads=np.zeros_like(params),
                state=new_state("adam", params, {}), step=0, first_step=False, hyper=dict(kw["hyper"]))
    mutate(args)
    before = args["params"].copy()
    with pytest.raises(exc, match=match):
        backend.mlp_epoch(**args)
    np.testing.assert_array_equal(args["params"], before)


def test_cpp_binding_checks_its_arrays():
    """The glue in src/ checks what reaches C++ even when called without the contract."""
    from mlbasics import _core

    X, targets, order, params, kw = make_problem("relu-softmax-adam-fullbatch", np.float32)
    state = {"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)}
    hyper = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False)
    good = dict(X=X, targets=targets.astype(np.int64), order=order.astype(np.int64), params=params.copy(),
                grads=np.zeros_like(params), state=state, layer_sizes=list(kw["layer_sizes"]), activation=1, loss=0,
                alpha=0.0, batch_size=8, optimizer="adam", hyper=hyper, step=0, first_step=False)
    for change, match in [(dict(order=order.astype(np.int64) + N), "order"),
                          (dict(targets=targets.astype(np.int64) + 5), "targets"),
                          (dict(params=params[:-1].copy()), "params"),
                          (dict(state={"exp_avg": np.zeros_like(params)}), "exp_avg_sq"),
                          (dict(hyper={"lr": 0.1}), "hyper"),
                          (dict(layer_sizes=[F + 1, 7, 3]), "layer_sizes")]:
        with pytest.raises(ValueError, match=match):
            _core.mlp_epoch(**dict(good, **change))
    with pytest.raises(TypeError, match="targets"):
        _core.mlp_epoch(**dict(good, targets=targets.astype(np.int32)))
    loss_sum, steps = _core.mlp_epoch(**good)
    assert steps == -(-N // 8) and math.isfinite(loss_sum)
