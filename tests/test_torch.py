"""Against PyTorch itself: layers, losses, optimizers and whole training epochs.

These run wherever torch is installed. In CI (``.ci/run`` installs torch 2.13.0 CPU and sets
``MLBASICS_REQUIRE_TORCH=1``) a missing torch is a failure, never a silent skip.
"""
import numpy as np
import pytest

from _helpers import require_torch

torch = require_torch()
F = torch.nn.functional
torch.set_num_threads(1)  # our pool and torch's must not fight for the 2 cores

ACTS = {"identity": lambda z: z, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def _t(a):
    return torch.tensor(np.asarray(a), requires_grad=True)


def _rtol(dtype):
    return 2e-5 if np.dtype(dtype) == np.float32 else 1e-11


@pytest.mark.parametrize("activation", sorted(ACTS))
def test_linear_forward_and_backward_match_autograd(backend, dtype, rng, activation):
    x = rng.standard_normal((7, 5)).astype(dtype)
    w = rng.standard_normal((5, 4)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    grad_h = rng.standard_normal((7, 4)).astype(dtype)
    z, h = backend.linear_forward(x, w, b, activation)
    tx, tw, tb = _t(x), _t(w), _t(b)
    th = ACTS[activation](tx @ tw + tb)
    th.backward(torch.tensor(grad_h))
    np.testing.assert_allclose(h, th.detach().numpy(), rtol=_rtol(dtype), atol=_rtol(dtype))
    gx, gw, gb = backend.linear_backward(x, w, z, h, grad_h, activation)
    for ours, theirs in ((gx, tx.grad), (gw, tw.grad), (gb, tb.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=_rtol(dtype), atol=10 * _rtol(dtype))


def test_losses_match_torch_functional(backend, dtype, rng):
    logits = (3 * rng.standard_normal((9, 4))).astype(dtype)
    y = rng.integers(0, 4, 9)
    loss, grad = backend.softmax_cross_entropy(logits, y)
    tl = _t(logits)
    ref = F.cross_entropy(tl, torch.tensor(y))
    ref.backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=_rtol(dtype))
    np.testing.assert_allclose(grad, tl.grad.numpy(), rtol=_rtol(dtype), atol=_rtol(dtype))

    x, t = logits[:, 0].copy(), rng.uniform(0, 1, 9).astype(dtype)
    loss, grad = backend.binary_cross_entropy_with_logits(x, t)
    tx = _t(x)
    ref = F.binary_cross_entropy_with_logits(tx, torch.tensor(t))
    ref.backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=_rtol(dtype))
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=_rtol(dtype), atol=_rtol(dtype))

    target = rng.standard_normal((9, 4)).astype(dtype)
    loss, grad = backend.mse(logits, target)
    tl = _t(logits)
    ref = F.mse_loss(tl, torch.tensor(target))
    ref.backward()
    np.testing.assert_allclose(loss, ref.item(), rtol=_rtol(dtype))
    np.testing.assert_allclose(grad, tl.grad.numpy(), rtol=_rtol(dtype), atol=_rtol(dtype))


EPOCH_CASES = [
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True), "SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("sgd", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=1e-3), "SGD",
     dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=1e-3)),
    ("adam", dict(lr=1e-2, beta1=0.8, beta2=0.99), "Adam", dict(lr=1e-2, betas=(0.8, 0.99))),
    ("adamw", dict(lr=1e-2, weight_decay=0.1), "AdamW", dict(lr=1e-2, weight_decay=0.1)),
    ("rmsprop", dict(lr=1e-3, momentum=0.5, centered=True), "RMSprop", dict(lr=1e-3, momentum=0.5, centered=True)),
    ("adagrad", dict(lr=0.05, lr_decay=0.01), "Adagrad", dict(lr=0.05, lr_decay=0.01)),
    ("adadelta", dict(lr=1.0, rho=0.8), "Adadelta", dict(lr=1.0, rho=0.8)),
    ("rprop", dict(etas=(0.4, 1.3), step_sizes=(1e-5, 1.0)), "Rprop", dict(lr=0.01, etas=(0.4, 1.3),
                                                                          step_sizes=(1e-5, 1.0))),
]


def _state_for(optimizer, params, lr):
    z = np.zeros_like
    return {"sgd": lambda: {"momentum_buffer": np.empty_like(params)},
            "adam": lambda: {"exp_avg": z(params), "exp_avg_sq": z(params)},
            "adamw": lambda: {"exp_avg": z(params), "exp_avg_sq": z(params)},
            "rmsprop": lambda: {"square_avg": z(params), "momentum_buffer": z(params), "grad_avg": z(params)},
            "adagrad": lambda: {"sum": z(params)},
            "adadelta": lambda: {"square_avg": z(params), "acc_delta": z(params)},
            "rprop": lambda: {"prev": z(params), "step_size": np.full_like(params, lr)}}[optimizer]()


@pytest.mark.parametrize("optimizer,hyper,torch_name,torch_cfg", EPOCH_CASES, ids=[c[2] + str(i) for i, c in
                                                                                   enumerate(EPOCH_CASES)])
def test_mlp_epoch_equals_a_torch_training_loop(backend, rng, optimizer, hyper, torch_name, torch_cfg):
    """Two epochs of mlp_epoch (float64) = the same network trained by torch.nn + torch.optim."""
    sizes, alpha, batch = (6, 8, 5, 3), 1e-3, 7
    n = 30
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    layers = [(rng.standard_normal((a, b)) / np.sqrt(a), 0.1 * rng.standard_normal(b)) for a, b in zip(sizes, sizes[1:])]
    params = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in layers])
    grads = np.empty_like(params)
    state = _state_for(optimizer, params, torch_cfg.get("lr", 0.01))
    orders = [rng.permutation(n), rng.permutation(n)]
    step = 0
    for e, order in enumerate(orders):
        _, taken = backend.mlp_epoch(X, y, order, params, grads, state, layer_sizes=sizes, activation="tanh",
                                     loss="softmax_cross_entropy", alpha=alpha, batch_size=batch,
                                     optimizer=optimizer, hyper=hyper, step=step, first_step=e == 0)
        step += taken

    net = [(_t(w), _t(b)) for w, b in layers]
    topt = getattr(torch.optim, torch_name)([p for pair in net for p in pair], **torch_cfg)
    for order in orders:
        for s in range(0, n, batch):
            rows = order[s:s + batch]
            h = torch.tensor(X[rows])
            for i, (w, b) in enumerate(net):
                h = h @ w + b
                if i < len(net) - 1:
                    h = torch.tanh(h)
            loss = F.cross_entropy(h, torch.tensor(y[rows])) + alpha / (2 * len(rows)) * sum((w * w).sum() for w, _ in net)
            topt.zero_grad()
            loss.backward()
            topt.step()
    expected = np.concatenate([np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]) for w, b in net])
    np.testing.assert_allclose(params, expected, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Rprop"])
def test_optimizer_classes_match_torch_optim(backend, rng, name):
    from mlbasics import optim

    cfg = {"SGD": dict(lr=0.1, momentum=0.9, weight_decay=1e-2), "Adam": dict(lr=0.01, weight_decay=1e-2),
           "AdamW": dict(lr=0.01), "RMSprop": dict(lr=0.01, momentum=0.5), "Adagrad": dict(lr=0.1),
           "Adadelta": dict(lr=1.0), "Rprop": dict(lr=0.05)}[name]
    thetas = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    params = [t.copy() for t in thetas]
    ours = getattr(optim, name)(params, backend=backend.name, **cfg)
    tparams = [_t(t) for t in thetas]
    theirs = getattr(torch.optim, name)(tparams, **cfg)
    for _ in range(25):
        grads = [rng.standard_normal(t.shape) for t in thetas]
        ours.step(grads)
        for tp, g in zip(tparams, grads):
            tp.grad = torch.tensor(g)
        theirs.step()
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
