"""Contract tests for the optimizer step kernels.

Each kernel is run for 20 steps and compared with an independent transcription of the algorithm
box in torch.optim's documentation, written here element by element in plain Python floats.
"""
import math

import numpy as np
import pytest

import mlbasics

from _helpers import assert_close

N_STEPS = 20
SIZE = 37


def sign(x):
    return (x > 0) - (x < 0)


# ---- transcriptions of torch.optim's documented update rules (one element, Python floats) ----

def sgd_rule(theta, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    b = None
    for t, g in enumerate(grads, start=1):
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            b = g if t == 1 else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


def adam_rule(theta, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False):
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta - lr * weight_decay * theta
        elif weight_decay != 0:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        theta = theta - lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta


def rmsprop_rule(theta, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    v = g_ave = b = 0.0
    for g in grads:
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g
        v_tilde = v
        if centered:
            g_ave = g_ave * alpha + (1 - alpha) * g
            v_tilde = v_tilde - g_ave * g_ave
        if momentum > 0:
            b = momentum * b + g / (math.sqrt(v_tilde) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (math.sqrt(v_tilde) + eps)
    return theta


def adagrad_rule(theta, grads, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10):
    state_sum = 0.0
    for t, g in enumerate(grads, start=1):
        lr_t = lr / (1 + (t - 1) * lr_decay)
        if weight_decay != 0:
            g = g + weight_decay * theta
        state_sum = state_sum + g * g
        theta = theta - lr_t * g / (math.sqrt(state_sum) + eps)
    return theta


def adadelta_rule(theta, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    v = u = 0.0
    for g in grads:
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = v * rho + g * g * (1 - rho)
        dx = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = u * rho + dx * dx * (1 - rho)
        theta = theta - lr * dx
    return theta


def rprop_rule(theta, grads, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
    eta, g_prev = lr, 0.0
    for g in grads:
        if g_prev * g > 0:
            eta = min(eta * etas[1], step_sizes[1])
        elif g_prev * g < 0:
            eta = max(eta * etas[0], step_sizes[0])
            g = 0.0
        theta = theta - eta * sign(g)
        g_prev = g
    return theta


# ---- the kernels, driven like an optimizer would drive them ----

def run_kernel(backend, name, param, grads, cfg):
    z = np.zeros_like(param)
    if name == "sgd":
        buf = z.copy() if cfg.get("momentum", 0) else None
        for t, g in enumerate(grads, start=1):
            backend.sgd_step(param, g, buf, first_step=(t == 1), **cfg)
    elif name == "adam":
        cfg = dict(cfg)
        decoupled = cfg.pop("decoupled", False)
        m, v = z.copy(), z.copy()
        for t, g in enumerate(grads, start=1):
            backend.adam_step(param, g, m, v, step=t, decoupled_weight_decay=decoupled, **cfg)
    elif name == "rmsprop":
        sq = z.copy()
        buf = z.copy() if cfg.get("momentum", 0) else None
        ga = z.copy() if cfg.get("centered") else None
        for g in grads:
            backend.rmsprop_step(param, g, sq, buf, ga, **cfg)
    elif name == "adagrad":
        s = z.copy()
        for t, g in enumerate(grads, start=1):
            backend.adagrad_step(param, g, s, step=t, **cfg)
    elif name == "adadelta":
        sq, acc = z.copy(), z.copy()
        for g in grads:
            backend.adadelta_step(param, g, sq, acc, **cfg)
    elif name == "rprop":
        cfg = dict(cfg)
        prev, step_size = z.copy(), np.full_like(param, cfg.pop("lr", 1e-2))
        for g in grads:
            backend.rprop_step(param, g, prev, step_size, **cfg)
    return param


RULES = {"sgd": sgd_rule, "adam": adam_rule, "rmsprop": rmsprop_rule, "adagrad": adagrad_rule,
         "adadelta": adadelta_rule, "rprop": rprop_rule}

CASES = [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.05, momentum=0.9)),
    ("sgd", dict(lr=0.05, momentum=0.9, dampening=0.9, weight_decay=0.01)),
    ("sgd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("adam", dict(lr=1e-2)),
    ("adam", dict(lr=1e-2, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1)),
    ("adam", dict(lr=1e-2, weight_decay=0.01, decoupled=True)),
    ("rmsprop", dict()),
    ("rmsprop", dict(lr=1e-3, alpha=0.9, momentum=0.9, weight_decay=0.05)),
    ("rmsprop", dict(lr=1e-3, centered=True)),
    ("rmsprop", dict(lr=1e-3, centered=True, momentum=0.5)),
    ("adagrad", dict()),
    ("adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, eps=1e-8)),
    ("adadelta", dict()),
    ("adadelta", dict(lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.1)),
    ("rprop", dict()),
    ("rprop", dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.5))),
]


@pytest.mark.parametrize("name,cfg", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_step_follows_torch_rule(backend, dtype, rng, name, cfg):
    theta0 = rng.standard_normal(SIZE).astype(dtype)
    grads = [rng.standard_normal(SIZE).astype(dtype) for _ in range(N_STEPS)]
    got = run_kernel(backend, name, theta0.copy(), grads, cfg)
    rule = RULES[name]
    rule_cfg = {k: v for k, v in cfg.items() if k != "decoupled"}
    if name == "adam":
        rule_cfg["decoupled"] = cfg.get("decoupled", False)
    expected = np.array([rule(float(theta0[i]), [float(g[i]) for g in grads], **rule_cfg) for i in range(SIZE)])
    assert got.dtype == dtype
    assert_close(got, expected.astype(dtype), dtype, scale=float(np.max(np.abs(theta0))))


@pytest.mark.parametrize("name,cfg", CASES[::3], ids=[n for n, _ in CASES[::3]])
def test_step_agrees_with_reference_on_large_2d_params(backend, reference, dtype, rng, name, cfg):
    """Large enough for the threaded paths; 2-D params are updated through flat views."""
    theta0 = rng.standard_normal((300, 1001)).astype(dtype)
    grads = [rng.standard_normal(theta0.shape).astype(dtype) for _ in range(3)]
    got = run_kernel(backend, name, theta0.copy(), grads, cfg)
    expected = run_kernel(reference, name, theta0.copy(), grads, cfg)
    assert_close(got, expected, dtype)


def test_sgd_first_step_never_reads_the_buffer(backend, dtype):
    param = np.ones(5, dtype=dtype)
    buf = np.full(5, np.nan, dtype=dtype)
    backend.sgd_step(param, np.ones(5, dtype=dtype), buf, lr=0.1, momentum=0.9, first_step=True)
    np.testing.assert_allclose(buf, 1)
    np.testing.assert_allclose(param, 0.9, rtol=1e-6)


def test_non_contiguous_grad_is_fine(backend, dtype, rng):
    param = rng.standard_normal((4, 6)).astype(dtype)
    grad = np.asfortranarray(rng.standard_normal((4, 6)).astype(dtype))
    expected = param - 0.1 * grad
    backend.sgd_step(param, grad, None, lr=0.1)
    assert_close(param, expected, dtype)


def test_read_only_or_non_contiguous_param_is_rejected(backend, dtype):
    param = np.ones(6, dtype=dtype)
    param.flags.writeable = False
    with pytest.raises(ValueError, match="param.*read-only"):
        backend.sgd_step(param, np.ones(6, dtype=dtype), None, lr=0.1)
    strided = np.ones(12, dtype=dtype)[::2]
    with pytest.raises(ValueError, match="param.*C-contiguous"):
        backend.sgd_step(strided, np.ones(6, dtype=dtype), None, lr=0.1)
    assert np.all(strided == 1)
    state = np.zeros(12, dtype=dtype)[::2]
    with pytest.raises(ValueError, match="exp_avg.*C-contiguous"):
        backend.adam_step(np.ones(6, dtype=dtype), np.ones(6, dtype=dtype), state, np.zeros(6, dtype=dtype),
                          step=1, lr=0.1)


def test_empty_param_is_a_no_op(backend, dtype):
    p = np.zeros(0, dtype=dtype)
    backend.adam_step(p, p.copy(), p.copy(), p.copy(), step=1, lr=0.1)
    backend.sgd_step(p, p.copy(), None, lr=0.1)


NAN_CASES = [c for c in CASES if c[0] in ("rprop", "sgd", "adam")][::2]


@pytest.mark.parametrize("name,cfg", NAN_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(NAN_CASES)])
def test_nan_gradient_propagates_like_the_reference(backend, dtype, name, cfg):
    """IEEE arithmetic: a NaN gradient makes that parameter NaN (as in NumPy and torch), never a
    silently frozen or skipped update; the other parameters move normally."""
    theta0 = np.array([0.5, -1.0, 2.0, 0.25], dtype=dtype)
    grads = [np.array([np.nan, 1.0, -1.0, 0.5], dtype=dtype), np.array([0.3, 1.0, -1.0, -0.5], dtype=dtype)]
    got = run_kernel(backend, name, theta0.copy(), grads, cfg)
    expected = run_kernel(mlbasics.get_backend("numpy"), name, theta0.copy(), grads, cfg)
    assert np.isnan(got[0]) and np.isnan(expected[0])
    assert_close(got[1:], expected[1:], dtype, scale=2.0)
