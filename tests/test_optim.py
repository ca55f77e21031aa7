"""mlbasics.optim: trajectories against torch.optim's documented algorithms, state dicts, checks.

The references below are transcriptions of the algorithm boxes in torch.optim's documentation,
written here in float64 NumPy over whole arrays (independent of the library's kernels). torch is
not needed; if it is installed, one extra test also compares with it.
"""
import copy
import pickle

import numpy as np
import pytest

from mlbasics import optim

N_STEPS = 100
SHAPES = [(7, 3), (5,), (2, 3, 4)]


# ----------------------------------------------------------------- reference transcriptions
def ref_sgd(thetas, grad_seq, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    out = []
    for k, theta in enumerate(thetas):
        theta = theta.astype(np.float64)
        b = None
        for t, grads in enumerate(grad_seq, start=1):
            g = grads[k] + weight_decay * theta if weight_decay else grads[k].copy()
            if momentum:
                b = g.copy() if t == 1 else momentum * b + (1.0 - dampening) * g
                g = g + momentum * b if nesterov else b
            theta = theta - lr * g
        out.append(theta)
    return out


def ref_adam(thetas, grad_seq, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    b1, b2 = betas
    out = []
    for k, theta in enumerate(thetas):
        theta = theta.astype(np.float64)
        m = np.zeros_like(theta)
        v = np.zeros_like(theta)
        for t, grads in enumerate(grad_seq, start=1):
            g = grads[k]
            if decoupled:
                theta = theta * (1.0 - lr * weight_decay)
            elif weight_decay:
                g = g + weight_decay * theta
            m = b1 * m + (1.0 - b1) * g
            v = b2 * v + (1.0 - b2) * g ** 2
            mhat = m / (1.0 - b1 ** t)
            vhat = v / (1.0 - b2 ** t)
            theta = theta - lr * mhat / (np.sqrt(vhat) + eps)
        out.append(theta)
    return out


def ref_adamw(thetas, grad_seq, weight_decay=1e-2, **kw):
    return ref_adam(thetas, grad_seq, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(thetas, grad_seq, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    out = []
    for k, theta in enumerate(thetas):
        theta = theta.astype(np.float64)
        v = np.zeros_like(theta)
        gbar = np.zeros_like(theta)
        b = np.zeros_like(theta)
        for grads in grad_seq:
            g = grads[k] + weight_decay * theta if weight_decay else grads[k]
            v = alpha * v + (1.0 - alpha) * g * g
            vt = v
            if centered:
                gbar = alpha * gbar + (1.0 - alpha) * g
                vt = v - gbar * gbar
            if momentum > 0:
                b = momentum * b + g / (np.sqrt(vt) + eps)
                theta = theta - lr * b
            else:
                theta = theta - lr * g / (np.sqrt(vt) + eps)
        out.append(theta)
    return out


def ref_adagrad(thetas, grad_seq, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                eps=1e-10):
    out = []
    for k, theta in enumerate(thetas):
        theta = theta.astype(np.float64)
        s = np.full_like(theta, initial_accumulator_value)
        for t, grads in enumerate(grad_seq, start=1):
            lr_t = lr / (1.0 + (t - 1) * lr_decay)
            g = grads[k] + weight_decay * theta if weight_decay else grads[k]
            s = s + g * g
            theta = theta - lr_t * g / (np.sqrt(s) + eps)
        out.append(theta)
    return out


def ref_adadelta(thetas, grad_seq, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    out = []
    for k, theta in enumerate(thetas):
        theta = theta.astype(np.float64)
        v = np.zeros_like(theta)
        u = np.zeros_like(theta)
        for grads in grad_seq:
            g = grads[k] + weight_decay * theta if weight_decay else grads[k]
            v = rho * v + (1.0 - rho) * g * g
            delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            u = rho * u + (1.0 - rho) * delta * delta
            theta = theta - lr * delta
        out.append(theta)
    return out


def ref_rprop(thetas, grad_seq, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
    eta_minus, eta_plus = etas
    lo, hi = step_sizes
    out = []
    for k, theta in enumerate(thetas):
        theta = theta.astype(np.float64)
        size = np.full_like(theta, lr)
        prev = np.zeros_like(theta)
        for grads in grad_seq:
            g = grads[k].copy()
            prod = g * prev
            size = np.where(prod > 0, np.minimum(size * eta_plus, hi),
                            np.where(prod < 0, np.maximum(size * eta_minus, lo), size))
            g[prod < 0] = 0.0
            theta = theta - np.sign(g) * size
            prev = g
        out.append(theta)
    return out


CASES = [
    ("SGD", ref_sgd, dict(lr=0.05)),
    ("SGD", ref_sgd, dict()),
    ("SGD", ref_sgd, dict(lr=0.02, momentum=0.9)),
    ("SGD", ref_sgd, dict(lr=0.02, momentum=0.9, dampening=0.9, weight_decay=0.01)),
    ("SGD", ref_sgd, dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1)),
    ("Adam", ref_adam, dict()),
    ("Adam", ref_adam, dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("AdamW", ref_adamw, dict()),
    ("AdamW", ref_adamw, dict(lr=1e-2, weight_decay=0.1, betas=(0.5, 0.9))),
    ("RMSprop", ref_rmsprop, dict()),
    ("RMSprop", ref_rmsprop, dict(lr=1e-3, alpha=0.9, momentum=0.9, weight_decay=0.05)),
    ("RMSprop", ref_rmsprop, dict(lr=1e-3, centered=True, momentum=0.5)),
    ("Adagrad", ref_adagrad, dict()),
    ("Adagrad", ref_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5,
                                  eps=1e-8)),
    ("Adadelta", ref_adadelta, dict()),
    ("Adadelta", ref_adadelta, dict(lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.1)),
    ("Rprop", ref_rprop, dict()),
    ("Rprop", ref_rprop, dict(lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.5))),
]
CASE_IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def make_problem(dtype, seed=0, n_steps=N_STEPS):
    """Several parameters of different shapes and a fixed sequence of random gradients."""
    rng = np.random.default_rng(seed)
    thetas = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grad_seq = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(n_steps)]
    return thetas, grad_seq


def assert_trajectory(got, expected, dtype):
    rtol = 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
    for p, e in zip(got, expected):
        assert p.dtype == np.dtype(dtype)
        scale = max(1.0, float(np.max(np.abs(e))))
        np.testing.assert_allclose(p.astype(np.float64), e, rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("name,ref,cfg", CASES, ids=CASE_IDS)
def test_trajectory_follows_torch_algorithm(backend, dtype, name, ref, cfg):
    thetas, grad_seq = make_problem(dtype)
    params = [t.copy() for t in thetas]
    ids = [id(p) for p in params]
    opt = getattr(optim, name)(params, backend=backend.name, **cfg)
    for grads in grad_seq:
        opt.step(grads)
    # updated in place: the very same arrays hold the result
    assert [id(p) for p in opt.param_groups[0]["params"]] == ids
    expected = ref(thetas, [[g.astype(np.float64) for g in grads] for grads in grad_seq], **cfg)
    assert_trajectory(params, expected, dtype)
    assert all(s["step"] == N_STEPS for s in opt.state.values())


@pytest.mark.parametrize("name,ref,cfg", CASES[::2], ids=CASE_IDS[::2])
def test_state_dict_round_trip_continues_identically(dtype, name, ref, cfg):
    thetas, grad_seq = make_problem(dtype, seed=1, n_steps=40)
    a = [t.copy() for t in thetas]
    opt_a = getattr(optim, name)(a, backend="numpy", **cfg)
    for grads in grad_seq[:20]:
        opt_a.step(grads)
    sd = opt_a.state_dict()
    snapshot = copy.deepcopy(sd)
    b = [p.copy() for p in a]
    opt_b = getattr(optim, name)(b, backend="numpy", **{k: (v * 3 if k == "lr" else v) for k, v in cfg.items()})
    opt_b.load_state_dict(sd)
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    for grads in grad_seq[20:]:
        opt_a.step(grads)
        opt_b.step(grads)
    for pa, pb in zip(a, b):
        np.testing.assert_array_equal(pa, pb)
    # the snapshot holds copies: later steps did not change it
    for i, s in snapshot["state"].items():
        for k, v in s.items():
            if isinstance(v, np.ndarray):
                np.testing.assert_array_equal(sd["state"][i][k], v)
        assert sd["state"][i]["step"] == 20
    # and loading copies too: stepping opt_b does not write into sd
    assert opt_b.state[0]["step"] == 40


def test_state_dict_layout():
    p = [np.zeros((2, 3)), np.zeros(4)]
    opt = optim.Adam(p, lr=0.01)
    assert opt.state_dict() == {"state": {}, "param_groups": [
        {"lr": 0.01, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "params": [0, 1]}]}
    opt.step([np.ones((2, 3)), None])
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][0]["step"] == 1
    assert sd["state"][0]["exp_avg"].shape == (2, 3)
    np.testing.assert_array_equal(p[1], 0)  # None skipped the second parameter


def test_momentum_state_names_and_lazy_creation():
    p = [np.zeros(3)]
    sgd = optim.SGD(p, lr=0.1, momentum=0.9)
    assert sgd.state == {}
    sgd.step([np.ones(3)])
    np.testing.assert_array_equal(sgd.state[0]["momentum_buffer"], 1)  # b₁ = g
    plain = optim.SGD([np.zeros(3)], lr=0.1)
    plain.step([np.ones(3)])
    assert plain.state[0]["momentum_buffer"] is None
    rms = optim.RMSprop([np.zeros(3)], momentum=0.5, centered=True)
    rms.step([np.ones(3)])
    assert set(rms.state[0]) == {"step", "square_avg", "momentum_buffer", "grad_avg"}
    ada = optim.Adagrad([np.zeros(3)], initial_accumulator_value=0.25)
    np.testing.assert_array_equal(ada.state[0]["sum"], 0.25)  # created at construction, as torch
    rp = optim.Rprop([np.zeros(3)], lr=0.3)
    rp.step([np.ones(3)])
    np.testing.assert_array_equal(rp.state[0]["step_size"], 0.3)
    assert set(rp.state[0]) == {"step", "prev", "step_size"}
    dl = optim.Adadelta([np.zeros(3)])
    dl.step([np.ones(3)])
    assert set(dl.state[0]) == {"step", "square_avg", "acc_delta"}


def test_param_groups_have_their_own_hyper_parameters():
    thetas, grad_seq = make_problem(np.float64, n_steps=10)
    params = [t.copy() for t in thetas]
    opt = optim.SGD([{"params": params[:1], "lr": 0.5}, {"params": params[1:]}], lr=0.1, momentum=0.5)
    for grads in grad_seq:
        opt.step(grads)
    g64 = [[g for g in grads] for grads in grad_seq]
    e0 = ref_sgd(thetas[:1], [g[:1] for g in g64], lr=0.5, momentum=0.5)
    e1 = ref_sgd(thetas[1:], [g[1:] for g in g64], lr=0.1, momentum=0.5)
    assert_trajectory(params, e0 + e1, np.float64)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.5, 0.1]


def test_changing_lr_in_param_groups_takes_effect():
    p = [np.zeros(2)]
    opt = optim.SGD(p, lr=1.0)
    opt.step([np.ones(2)])
    opt.param_groups[0]["lr"] = 0.5
    opt.step([np.ones(2)])
    np.testing.assert_array_equal(p[0], -1.5)


def test_optimizer_pickles():
    thetas, grad_seq = make_problem(np.float32, n_steps=6)
    opt = optim.Adam([t.copy() for t in thetas], lr=0.01)
    for grads in grad_seq[:3]:
        opt.step(grads)
    clone = pickle.loads(pickle.dumps(opt))
    for grads in grad_seq[3:]:
        opt.step(grads)
        clone.step(grads)
    for a, b in zip(opt.param_groups[0]["params"], clone.param_groups[0]["params"]):
        np.testing.assert_array_equal(a, b)


def test_every_optimizer_minimizes_a_quadratic(backend):
    """½‖A θ − y‖² from a bad start: every optimizer lowers the loss substantially."""
    rng = np.random.default_rng(3)
    A = rng.standard_normal((20, 5))
    y = rng.standard_normal(20)
    configs = [("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)), ("Adam", dict(lr=0.1)),
               ("AdamW", dict(lr=0.1, weight_decay=0.0)), ("RMSprop", dict(lr=0.05)), ("Adagrad", dict(lr=0.5)),
               ("Adadelta", dict(lr=1.0, rho=0.5, eps=1e-2)), ("Rprop", dict(lr=0.1))]
    for name, cfg in configs:
        theta = np.full(5, 3.0)
        loss0 = 0.5 * np.sum((A @ theta - y) ** 2)
        opt = getattr(optim, name)([theta], backend=backend.name, **cfg)
        for _ in range(300):
            opt.step([A.T @ (A @ theta - y)])
        assert 0.5 * np.sum((A @ theta - y) ** 2) < 0.2 * loss0, name


# ----------------------------------------------------------------- invalid arguments
@pytest.mark.parametrize("name,kwargs,match", [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(momentum=-0.5), "momentum"),
    ("SGD", dict(weight_decay=-1), "weight_decay"),
    ("SGD", dict(nesterov=True), "nesterov"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), "nesterov"),
    ("Adam", dict(betas=(1.0, 0.999)), r"betas\[0\]"),
    ("Adam", dict(betas=(0.9, -0.1)), r"betas\[1\]"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay"),
    ("AdamW", dict(lr=float("nan")), "lr"),
    ("RMSprop", dict(alpha=-0.1), "alpha"),
    ("RMSprop", dict(momentum=-1), "momentum"),
    ("Adagrad", dict(lr_decay=-1), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    ("Adadelta", dict(rho=1.5), "rho"),
    ("Rprop", dict(etas=(1.2, 0.5)), r"etas\[0\]"),
    ("Rprop", dict(etas=(0.5, 0.9)), r"etas\[1\]"),
    ("Rprop", dict(step_sizes=(1.0, 0.1)), r"step_sizes\[1\]"),
])
def test_invalid_hyper_parameters_raise_value_error(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        getattr(optim, name)([np.zeros(3)], **kwargs)


@pytest.mark.parametrize("kwargs,match", [(dict(lr="0.1"), "lr"), (dict(momentum=True), "momentum"),
                                          (dict(nesterov=1), "nesterov")])
def test_wrongly_typed_hyper_parameters_raise_type_error(kwargs, match):
    with pytest.raises(TypeError, match=match):
        optim.SGD([np.zeros(3)], **kwargs)
    with pytest.raises(TypeError, match="betas"):
        optim.Adam([np.zeros(3)], betas=0.9)


def test_invalid_params():
    with pytest.raises(ValueError, match="params"):
        optim.SGD([])
    with pytest.raises(TypeError, match="params"):
        optim.SGD(np.zeros(3))
    with pytest.raises(TypeError, match="params"):
        optim.SGD([[1.0, 2.0]])
    with pytest.raises(TypeError, match="params"):
        optim.SGD([np.zeros(3, dtype=np.int64)])
    with pytest.raises(ValueError, match="params.*C-contiguous"):
        optim.SGD([np.zeros(6)[::2]])
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="params.*read-only"):
        optim.SGD([ro])
    a = np.zeros(3)
    with pytest.raises(ValueError, match="params.*shares memory"):
        optim.SGD([a, a])
    with pytest.raises(ValueError, match="backend"):
        optim.SGD([np.zeros(3)], backend="fortran")


def test_invalid_grads_leave_params_untouched():
    p = [np.zeros(3), np.zeros(2, dtype=np.float32)]
    opt = optim.Adam(p)
    with pytest.raises(ValueError, match="grads"):
        opt.step([np.ones(3)])
    with pytest.raises(TypeError, match=r"grads\[1\]"):
        opt.step([np.ones(3), np.ones(2)])  # float64 grad for a float32 param
    with pytest.raises(TypeError, match=r"grads\[0\]"):
        opt.step([np.ones(4), np.ones(2, dtype=np.float32)])
    with pytest.raises(TypeError, match="grads"):
        opt.step(np.ones(3))
    assert opt.state == {}
    np.testing.assert_array_equal(p[0], 0)


def test_load_state_dict_validates():
    opt = optim.Adam([np.zeros(3)])
    opt.step([np.ones(3)])
    sd = opt.state_dict()
    other = optim.Adam([np.zeros(4)])
    with pytest.raises(ValueError, match="shape"):
        other.load_state_dict(sd)
    with pytest.raises(ValueError, match="parameters"):
        optim.Adam([np.zeros(3), np.zeros(3)]).load_state_dict(sd)
    with pytest.raises(ValueError, match="state_dict"):
        optim.Adam([np.zeros(3)]).load_state_dict({"state": {}})
    bad = copy.deepcopy(sd)
    bad["param_groups"][0]["lr"] = -1.0
    fresh = optim.Adam([np.zeros(3)])
    with pytest.raises(ValueError, match="lr"):
        fresh.load_state_dict(bad)
    assert fresh.state == {} and fresh.param_groups[0]["lr"] == 1e-3  # nothing changed
    bad = copy.deepcopy(sd)
    bad["state"][0]["momentum_buffer"] = np.zeros(3)
    with pytest.raises(ValueError, match="unknown"):
        optim.Adam([np.zeros(3)]).load_state_dict(bad)
    # float64 state loads into a float32 optimizer as float32 copies
    f32 = optim.Adam([np.zeros(3, dtype=np.float32)])
    f32.load_state_dict(sd)
    assert f32.state[0]["exp_avg"].dtype == np.float32
    assert f32.state[0]["exp_avg"] is not sd["state"][0]["exp_avg"]


def test_defaults_match_torch():
    p = [np.zeros(2)]
    assert optim.SGD(p).defaults == dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)
    assert optim.Adam(p).defaults == dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    assert optim.RMSprop(p).defaults == dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                                             centered=False)
    assert optim.Adagrad(p).defaults == dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                                             eps=1e-10)
    assert optim.Adadelta(p).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0)
    assert optim.Rprop(p).defaults == dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50))


# ----------------------------------------------------------------- optional: torch itself
def test_matches_torch_when_installed():
    from _helpers import require_torch

    torch = require_torch()
    thetas, grad_seq = make_problem(np.float64, n_steps=30)
    for name, _, cfg in CASES:
        params = [t.copy() for t in thetas]
        opt = getattr(optim, name)(params, backend="numpy", **cfg)
        tparams = [torch.tensor(t, requires_grad=True) for t in thetas]
        topt = getattr(torch.optim, name)(tparams, **cfg)
        for grads in grad_seq:
            opt.step(grads)
            for tp, g in zip(tparams, grads):
                tp.grad = torch.tensor(g)
            topt.step()
        for p, tp in zip(params, tparams):
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=name)
