"""The course's new tricks in ``mlp_epoch`` and the MLP estimators: dropout, batch/layer/group
normalization, residual connections and spectral normalization.

The parity tests build the same network in PyTorch (``torch.nn`` modules, the spectral norm by
``torch.nn.utils.parametrizations.spectral_norm``) from the same initial weights, train it with
``torch.optim`` on the same minibatches (``shuffle=False``, dropout 0, float64) and compare the
loss curve, the weights, γ, β, the running statistics, the spectral vectors and the eval-mode
predictions. They run wherever torch is installed; with ``MLBASICS_REQUIRE_TORCH=1`` a missing
torch fails.

The cpp and numba backends get their tricks from other branches (``cpptricks``,
``numbatricks``): while a backend cannot load because it lacks the ``norms`` kernels, its cases
are skipped with that reason (see ``trick_backend``); once it loads, they run.
"""
import itertools
import pickle

import numpy as np
import pytest

import mlbasics
from mlbasics.backends import backend_errors
from mlbasics.backends._contract.mlp import mlp_param_count
from mlbasics.neural_network import MLPClassifier, MLPRegressor

NORMS = (None, "batch", "layer", "group")


def _backend_or_skip(name):
    """The backend, or a skip while it cannot load because the norms kernels (other branches) are
    missing. Any other load failure is a failure."""
    try:
        return mlbasics.get_backend(name)
    except RuntimeError:
        why = backend_errors().get(name, "")
        if "lacks kernels" in why and "dropout_forward" in why:
            pytest.skip(f"backend {name!r} has no norms kernels yet (branch "
                        f"{'cpptricks' if name == 'cpp' else 'numbatricks'}): {why}")
        raise


@pytest.fixture(params=["cpp", "numba", "numpy"])
def trick_backend(request):
    """Every backend by name (skipped, with the reason, while it lacks the norms kernels)."""
    return _backend_or_skip(request.param).name


def _torch():
    from _helpers import require_torch

    torch = require_torch()
    torch.set_num_threads(1)
    return torch


# --------------------------------------------------------------------------- the torch twin

def _torch_net(torch, sizes, activation, normalization, groups, residual, spectral, coefs, intercepts,
               gammas=(), betas=(), means=(), variances=(), us=(), momentum=0.1, eps=1e-5):
    """A torch.nn.Module computing our network, from our parameters (W (n_in, n_out) → weight Wᵀ)."""
    nn = torch.nn
    act = {"relu": torch.relu, "tanh": torch.tanh, "logistic": torch.sigmoid, "identity": lambda z: z}[activation]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.linears = nn.ModuleList()
            self.norms = nn.ModuleList()
            for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                lin = nn.Linear(a, b, dtype=torch.float64)
                with torch.no_grad():
                    lin.weight.copy_(torch.tensor(np.asarray(coefs[l], np.float64).T))
                    lin.bias.copy_(torch.tensor(np.asarray(intercepts[l], np.float64)))
                if spectral:
                    lin = nn.utils.parametrizations.spectral_norm(lin, n_power_iterations=1, eps=1e-12)
                    if us:  # torch's u and, as right after registration, v = normalize(weightᵀ u)
                        sn = lin.parametrizations.weight[0]
                        with torch.no_grad():
                            u = torch.tensor(np.asarray(us[l], np.float64))
                            sn._u.copy_(u)
                            sn._v.copy_(torch.nn.functional.normalize(
                                lin.parametrizations.weight.original.T @ u, dim=0, eps=1e-12))
                self.linears.append(lin)
                if l < len(sizes) - 2 and normalization is not None:
                    if normalization == "batch":
                        norm = nn.BatchNorm1d(b, eps=eps, momentum=momentum, dtype=torch.float64)
                    else:
                        norm = nn.GroupNorm(1 if normalization == "layer" else groups, b, eps=eps,
                                            dtype=torch.float64)
                    with torch.no_grad():
                        if len(gammas):
                            norm.weight.copy_(torch.tensor(np.asarray(gammas[l], np.float64)))
                            norm.bias.copy_(torch.tensor(np.asarray(betas[l], np.float64)))
                        if normalization == "batch" and len(means):
                            norm.running_mean.copy_(torch.tensor(np.asarray(means[l], np.float64)))
                            norm.running_var.copy_(torch.tensor(np.asarray(variances[l], np.float64)))
                    self.norms.append(norm)

        def forward(self, x):
            h = x
            last = len(self.linears) - 1
            for l, lin in enumerate(self.linears[:-1]):
                z = lin(h)
                a = self.norms[l](z) if len(self.norms) else z
                d = act(a)
                h = h + d if residual and sizes[l] == sizes[l + 1] else d
            return self.linears[last](h)

        def raw_weights(self):
            return [lin.parametrizations.weight.original if spectral else lin.weight for lin in self.linears]

    return Net()


def _torch_state(net, spectral, normalization):
    """Our view of the torch net: coefs, intercepts, gammas, betas, running means, vars, us."""
    coefs = [w.detach().numpy().T.copy() for w in net.raw_weights()]
    intercepts = [lin.bias.detach().numpy().copy() for lin in net.linears]
    gammas = [n.weight.detach().numpy().copy() for n in net.norms]
    betas = [n.bias.detach().numpy().copy() for n in net.norms]
    means = [n.running_mean.numpy().copy() for n in net.norms] if normalization == "batch" else []
    variances = [n.running_var.numpy().copy() for n in net.norms] if normalization == "batch" else []
    us = [lin.parametrizations.weight[0]._u.numpy().copy() for lin in net.linears] if spectral else []
    vs = [lin.parametrizations.weight[0]._v.numpy().copy() for lin in net.linears] if spectral else []
    return dict(coefs=coefs, intercepts=intercepts, gammas=gammas, betas=betas, means=means, variances=variances,
                us=us, vs=vs)


def _train_torch(torch, net, X, y, *, loss, alpha, batch_size, epochs, optimizer, skip_one_row=False):
    """scikit-learn's loss (mean CE / BCE, or ½·squared error as sklearn trains it) plus
    alpha/(2|B|)·Σ‖W‖² on the raw weights, minibatches in order; returns the per-epoch loss curve
    (Σ batch loss · |B| / n, the estimator's loss_curve_)."""
    F = torch.nn.functional
    net.train()
    curve = []
    Xt = torch.tensor(X)
    yt = torch.tensor(y)
    n = X.shape[0]
    for _ in range(epochs):
        total = 0.0
        for s in range(0, n, batch_size):
            xb, yb = Xt[s:s + batch_size], yt[s:s + batch_size]
            if skip_one_row and xb.shape[0] == 1:
                continue
            out = net(xb)
            l2 = alpha / (2 * xb.shape[0]) * sum((w * w).sum() for w in net.raw_weights())
            if loss == "ce":
                value = F.cross_entropy(out, yb) + l2
                reported = value
            elif loss == "bce":
                value = F.binary_cross_entropy_with_logits(out[:, 0], yb) + l2
                reported = value
            else:  # scikit-learn: reports ½·mean over all entries, trains on ½·Σ_outputs mean over rows
                value = ((out - yb) ** 2).sum() / (2 * xb.shape[0]) + l2
                reported = 0.5 * F.mse_loss(out, yb) + l2
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            total += reported.item() * xb.shape[0]
        curve.append(total / n)
    return curve


def _torch_optimizer(torch, net, solver, lr, momentum=0.9, nesterov=True):
    if solver == "sgd":
        return torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum, nesterov=nesterov and momentum > 0)
    return torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)


def _assert_rel(ours, theirs, what, rtol=1e-8):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    scale = max(float(np.max(np.abs(theirs))) if theirs.size else 0.0, 1e-300)
    err = float(np.max(np.abs(ours - theirs))) if theirs.size else 0.0
    assert err <= rtol * scale, f"{what}: max |ours − torch| = {err:.3g} > {rtol} · {scale:.3g}"


# --------------------------------------------------------------------------- mlp_epoch against torch

def _flat_layout(sizes, normalization, coefs, intercepts, gammas, betas):
    parts = []
    for l, (w, b) in enumerate(zip(coefs, intercepts)):
        parts += [w.ravel(), b]
        if normalization is not None and l < len(sizes) - 2:
            parts += [gammas[l], betas[l]]
    return np.concatenate(parts)


def _unflat(flat, sizes, normalization):
    coefs, intercepts, gammas, betas, off = [], [], [], [], 0
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        coefs.append(flat[off:off + a * b].reshape(a, b))
        intercepts.append(flat[off + a * b:off + (a + 1) * b])
        off += (a + 1) * b
        if normalization is not None and l < len(sizes) - 2:
            gammas.append(flat[off:off + b])
            betas.append(flat[off + b:off + 2 * b])
            off += 2 * b
    assert off == flat.shape[0]
    return coefs, intercepts, gammas, betas


KERNEL_OPTIMIZERS = [("sgd", {"lr": 0.05, "momentum": 0.9}, dict(momentum=0.9, nesterov=False)),
                     ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, dict(momentum=0.9, nesterov=True)),
                     ("adam", {"lr": 0.01}, {})]


@pytest.mark.parametrize("normalization", NORMS)
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("spectral", [False, True])
@pytest.mark.parametrize("opt", range(len(KERNEL_OPTIMIZERS)), ids=["sgd-momentum", "sgd-nesterov", "adam"])
def test_mlp_epoch_with_tricks_equals_torch(trick_backend, normalization, residual, spectral, opt):
    """3 epochs of mlp_epoch (float64) = the torch twin trained by torch.optim; a one-row last batch
    is skipped with batch norm (torch refuses it) and trained on otherwise."""
    torch = _torch()
    rng = np.random.default_rng(7)
    sizes, alpha, batch, n = (6, 6, 4, 4, 3), 1e-2, 5, 26  # a residual chain 6→6 and 4→4; last batch: 1 row
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    coefs = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes, sizes[1:])]
    intercepts = [0.1 * rng.standard_normal(b) for b in sizes[1:]]
    hidden = sizes[1:-1]
    gammas = [1 + 0.1 * rng.standard_normal(m) for m in hidden]
    betas = [0.1 * rng.standard_normal(m) for m in hidden]
    means = [0.1 * rng.standard_normal(m) for m in hidden]
    variances = [rng.uniform(0.5, 1.5, m) for m in hidden]
    us = [rng.standard_normal(b) for b in sizes[1:]]
    us = [u / np.linalg.norm(u) for u in us]
    params = _flat_layout(sizes, normalization, coefs, intercepts, gammas, betas)
    assert params.shape[0] == mlp_param_count(sizes, normalization)
    running = np.concatenate([np.r_[m, v] for m, v in zip(means, variances)]) if normalization == "batch" else None
    vectors = None
    if spectral:
        vectors = np.concatenate([np.r_[u, (w @ u) / np.linalg.norm(w @ u)] for w, u in zip(coefs, us)])
    name, hyper, tcfg = KERNEL_OPTIMIZERS[opt]
    state = ({"momentum_buffer": np.empty_like(params)} if name == "sgd"
             else {"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)})
    grads = np.empty_like(params)
    curve, step = [], 0
    for e in range(3):
        loss_sum, taken = mlbasics.kernels.mlp_epoch(
            X, y, np.arange(n), params, grads, state, layer_sizes=sizes, activation="tanh",
            loss="softmax_cross_entropy", alpha=alpha, batch_size=batch, optimizer=name, hyper=hyper, step=step,
            first_step=e == 0, normalization=normalization, norm_groups=2, running_stats=running,
            residual=residual, spectral_norm=spectral, spectral_vectors=vectors, backend=trick_backend)
        assert taken == (5 if normalization == "batch" else 6)
        step += taken
        curve.append(loss_sum / n)

    net = _torch_net(torch, sizes, "tanh", normalization, 2, residual, spectral, coefs, intercepts, gammas, betas,
                     means, variances, us)
    topt = _torch_optimizer(torch, net, name, hyper["lr"], **tcfg)
    expected_curve = _train_torch(torch, net, X, y, loss="ce", alpha=alpha, batch_size=batch, epochs=3,
                                  optimizer=topt, skip_one_row=normalization == "batch")
    ref = _torch_state(net, spectral, normalization)
    got = _unflat(params, sizes, normalization)
    _assert_rel(curve, expected_curve, "loss curve")
    for l in range(len(sizes) - 1):
        _assert_rel(got[0][l], ref["coefs"][l], f"W{l}")
        _assert_rel(got[1][l], ref["intercepts"][l], f"b{l}")
    for l in range(len(got[2])):
        _assert_rel(got[2][l], ref["gammas"][l], f"gamma{l}")
        _assert_rel(got[3][l], ref["betas"][l], f"beta{l}")
    if normalization == "batch":
        _assert_rel(running, np.concatenate([np.r_[m, v] for m, v in zip(ref["means"], ref["variances"])]),
                    "running stats")
    if spectral:
        _assert_rel(vectors, np.concatenate([np.r_[u, v] for u, v in zip(ref["us"], ref["vs"])]), "u, v")
