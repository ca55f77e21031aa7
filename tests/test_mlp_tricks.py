"""The course's new tricks in ``mlp_epoch`` and the MLP estimators: dropout, batch/layer/group
normalization, residual connections and spectral normalization.

The parity tests build the same network in PyTorch (``torch.nn`` modules, the spectral norm by
``torch.nn.utils.parametrizations.spectral_norm``) from the same initial weights, train it with
``torch.optim`` on the same minibatches (``shuffle=False``, dropout 0, float64) and compare the
loss curve, the weights, γ, β, the running statistics, the spectral vectors and the eval-mode
predictions. They run wherever torch is installed; with ``MLBASICS_REQUIRE_TORCH=1`` a missing
torch fails.
"""
import itertools
import pickle

import numpy as np
import pytest

import mlbasics
from mlbasics.backends._contract.mlp import mlp_param_count
from mlbasics.neural_network import MLPClassifier, MLPRegressor

NORMS = (None, "batch", "layer", "group")


@pytest.fixture(params=["cpp", "numba", "numpy"])
def trick_backend(request):
    """Every backend by name. All three must load: a missing backend is a failure, not a skip."""
    return mlbasics.get_backend(request.param).name


def _torch():
    from _helpers import require_torch

    torch = require_torch()
    torch.set_num_threads(1)
    return torch


# --------------------------------------------------------------------------- the torch twin

def _torch_net(torch, sizes, activation, normalization, groups, residual, spectral, coefs, intercepts,
               gammas=(), betas=(), means=(), variances=(), us=None, momentum=0.1, eps=1e-5):
    """A torch.nn.Module computing our network, from our parameters (W (n_in, n_out) → weight Wᵀ)."""
    nn = torch.nn
    act = {"relu": torch.relu, "tanh": torch.tanh, "logistic": torch.sigmoid, "identity": lambda z: z}[activation]

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.dropout_hook = None  # (hidden layer, its activation) -> its dropout output
            self.linears = nn.ModuleList()
            self.norms = nn.ModuleList()
            for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
                lin = nn.Linear(a, b, dtype=torch.float64)
                with torch.no_grad():
                    lin.weight.copy_(torch.tensor(np.asarray(coefs[l], np.float64).T))
                    lin.bias.copy_(torch.tensor(np.asarray(intercepts[l], np.float64)))
                if spectral:  # registered as torch does it: random u, v, then 15 power iterations
                    lin = nn.utils.parametrizations.spectral_norm(lin, n_power_iterations=1, eps=1e-12)
                    if us is not None and len(us):  # our u and, as right after registration, v = normalize(weightᵀ u)
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
                if self.dropout_hook is not None:
                    d = self.dropout_hook(l, d)
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


def _train_torch(torch, net, X, y, *, loss, alpha, batch_size, epochs, optimizer, skip_one_row=False, dropout=None):
    """scikit-learn's loss (mean CE / BCE, or ½·squared error as sklearn trains it) plus
    alpha/(2|B|)·Σ‖W‖² on the raw weights, minibatches in order; returns the per-epoch loss curve
    (Σ batch loss · |B| / Σ |B| over the batches trained, the estimator's loss_curve_)."""
    F = torch.nn.functional
    net.train()
    curve = []
    Xt = torch.tensor(X)
    yt = torch.tensor(y)
    n = X.shape[0]
    steps = 0  # updates taken: the next one's number is the dropout stream
    for _ in range(epochs):
        total, trained = 0.0, 0
        for s in range(0, n, batch_size):
            xb, yb = Xt[s:s + batch_size], yt[s:s + batch_size]
            if skip_one_row and xb.shape[0] == 1:
                continue
            if dropout is not None:  # our masks: stream = update number, offset = l << 40
                rates, seed = dropout
                t = steps + 1

                def hook(l, g, t=t):
                    if rates[l] == 0:
                        return g
                    keep = mlbasics.kernels.dropout_forward(np.ones(tuple(g.shape)), rates[l], seed=seed,
                                                            offset=l << 40, stream=t, backend="numpy")[1]
                    return g * torch.tensor(keep * (1.0 / (1.0 - rates[l])))
                net.dropout_hook = hook
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
            steps += 1
            total += reported.item() * xb.shape[0]
            trained += xb.shape[0]
        curve.append(total / trained)
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
        curve.append(loss_sum / (n - 1 if normalization == "batch" else n))

    net = _torch_net(torch, sizes, "tanh", normalization, 2, residual, spectral, coefs, intercepts, gammas, betas,
                     means, variances, us)
    topt = _torch_optimizer(torch, net, name, hyper["lr"], **tcfg)
    expected_curve = _train_torch(torch, net, X, y, loss="ce", alpha=alpha, batch_size=batch, epochs=3,
                                  optimizer=topt, skip_one_row=normalization == "batch")
    ref = _torch_state(net, spectral, normalization)
    _assert_rel(curve, expected_curve, "loss curve")
    # norm-wise over the flat vector (see test_estimator_with_tricks_equals_torch)
    _assert_rel(params, _flat_layout(sizes, normalization, ref["coefs"], ref["intercepts"], ref["gammas"], ref["betas"]),
                "params (W, b, γ, β)")
    if normalization == "batch":
        _assert_rel(running, np.concatenate([np.r_[m, v] for m, v in zip(ref["means"], ref["variances"])]),
                    "running stats")
    if spectral:
        _assert_rel(vectors, np.concatenate([np.r_[u, v] for u, v in zip(ref["us"], ref["vs"])]), "u, v")


# --------------------------------------------------------------------------- the estimators against torch

ARCHS = {"chain": (4, 4, 6), "widths-differ": (6, 8)}  # n_features = 4: residual on 4→4, 4→4; none on 4→6→8
SOLVERS = {"sgd-momentum": dict(solver="sgd", learning_rate_init=0.05, momentum=0.9, nesterovs_momentum=False),
           "sgd-nesterov": dict(solver="sgd", learning_rate_init=0.05, momentum=0.9, nesterovs_momentum=True),
           "adam": dict(solver="adam", learning_rate_init=0.01)}


def _estimator_cases():
    for kind, arch, normalization, residual, spectral, solver in itertools.product(
            ("classifier", "regressor"), ARCHS, NORMS, (False, True), (False, True), SOLVERS):
        if arch == "widths-differ" and solver != "adam":
            continue  # the residual-free architecture once per combination of tricks
        yield pytest.param(kind, arch, normalization, residual, spectral, solver,
                           id=f"{kind}-{arch}-{normalization}-{'res' if residual else 'plain'}-"
                              f"{'sn' if spectral else 'nosn'}-{solver}")


def _problem(kind, rng, n=29):
    X = rng.standard_normal((n, 4))
    if kind == "classifier":
        y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)  # 3 classes
    else:
        y = np.c_[X[:, 0] - X[:, 1] ** 2, np.sin(X[:, 2])]  # 2 outputs
    return X, y


@pytest.mark.parametrize("kind,arch,normalization,residual,spectral,solver", list(_estimator_cases()))
def test_estimator_with_tricks_equals_torch(trick_backend, kind, arch, normalization, residual, spectral, solver):
    """warm_start from the weights of a torch twin (spectral norm registered by torch, its u
    assigned), 3 epochs, shuffle=False, float64, one-row last batch (skipped with batch norm): the
    same loss curve, W, b, γ, β, running statistics, u, and the same eval-mode predictions."""
    torch = _torch()
    rng = np.random.default_rng(3)
    X, y = _problem(kind, rng)
    hidden = ARCHS[arch]
    sizes = (4, *hidden, 3 if kind == "classifier" else 2)
    coefs = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes, sizes[1:])]
    intercepts = [0.1 * rng.standard_normal(b) for b in sizes[1:]]
    gammas = [1 + 0.1 * rng.standard_normal(m) for m in hidden] if normalization else []
    betas = [0.1 * rng.standard_normal(m) for m in hidden] if normalization else []
    means = [0.1 * rng.standard_normal(m) for m in hidden] if normalization == "batch" else []
    variances = [rng.uniform(0.5, 1.5, m) for m in hidden] if normalization == "batch" else []
    torch.manual_seed(0)
    net = _torch_net(torch, sizes, "tanh", normalization, 2, residual, spectral, coefs, intercepts, gammas, betas,
                     means, variances)
    start = _torch_state(net, spectral, normalization)

    cls = MLPClassifier if kind == "classifier" else MLPRegressor
    est = cls(hidden, activation="tanh", alpha=1e-2, batch_size=7, max_iter=3, shuffle=False, tol=0.0,
              n_iter_no_change=100, random_state=0, dtype=np.float64, warm_start=True, backend=trick_backend,
              normalization=normalization, norm_groups=2, residual=residual,
              spectral_norm=spectral, **SOLVERS[solver])
    est.coefs_, est.intercepts_ = [c.copy() for c in coefs], [b.copy() for b in intercepts]
    est.norm_weights_, est.norm_biases_ = [g.copy() for g in gammas], [b.copy() for b in betas]
    est.running_means_, est.running_vars_ = [m.copy() for m in means], [v.copy() for v in variances]
    if spectral:
        est.spectral_u_ = [u.copy() for u in start["us"]]
    if kind == "classifier":
        est.classes_ = np.array([0, 1, 2])
    with pytest.warns(UserWarning, match="Maximum iterations"):
        est.fit(X, y)

    topt = _torch_optimizer(torch, net, SOLVERS[solver]["solver"], SOLVERS[solver]["learning_rate_init"],
                            momentum=0.9, nesterov=SOLVERS[solver].get("nesterovs_momentum", False))
    curve = _train_torch(torch, net, X, y, loss="ce" if kind == "classifier" else "se", alpha=1e-2, batch_size=7,
                         epochs=3, optimizer=topt, skip_one_row=normalization == "batch")
    ref = _torch_state(net, spectral, normalization)
    _assert_rel(est.loss_curve_, curve, "loss_curve_")
    pairs = (("coefs_", "coefs"), ("intercepts_", "intercepts"), ("norm_weights_", "gammas"), ("norm_biases_", "betas"),
             ("running_means_", "means"), ("running_vars_", "variances"), ("spectral_u_", "us"))
    for name, key in pairs:
        assert len(getattr(est, name)) == len(ref[key]), name
    # The trained parameters as one vector (norm-wise relative error): a bias followed by batch norm
    # has a gradient of pure rounding noise (the normalization removes it), which Adam turns into
    # steps of ~lr·noise/eps, equal in size but not in digits on both sides.
    _assert_rel(np.concatenate([a.ravel() for name, _ in pairs[:4] for a in getattr(est, name)]),
                np.concatenate([a.ravel() for _, key in pairs[:4] for a in ref[key]]), "W, b, γ, β")
    # the running statistics as one vector too (the running mean follows that bias)
    _assert_rel(np.concatenate([a for name, _ in pairs[4:6] for a in getattr(est, name)] + [np.zeros(0)]),
                np.concatenate([a for _, key in pairs[4:6] for a in ref[key]] + [np.zeros(0)]), "running stats")
    for i, (ours, theirs) in enumerate(zip(est.spectral_u_, ref["us"])):
        _assert_rel(ours, theirs, f"spectral_u_[{i}]")
    assert est.n_iter_ == 3
    net.eval()
    X_new = rng.standard_normal((11, 4))
    with torch.no_grad():
        out = net(torch.tensor(X_new)).numpy()
    if kind == "classifier":
        expected = np.exp(out - out.max(axis=1, keepdims=True))
        _assert_rel(est.predict_proba(X_new), expected / expected.sum(axis=1, keepdims=True), "predict_proba")
    else:
        _assert_rel(est.predict(X_new), out, "predict")


@pytest.mark.parametrize("normalization", NORMS)
def test_mlp_epoch_dropout_equals_torch_with_the_same_masks(trick_backend, normalization):
    """Dropout in mlp_epoch: the mask of hidden layer l at update t is dropout_forward's with
    offset l << 40, stream t, key seed; kept units scaled by 1/(1 − p); the gradient masked the
    same way — equal to the torch twin multiplied by those masks (3 epochs, per-layer rates, a
    layer without dropout, residual connections)."""
    torch = _torch()
    rng = np.random.default_rng(11)
    sizes, alpha, batch, n = (6, 6, 6, 4, 3), 1e-2, 5, 25
    rates, seed = (0.3, 0.0, 0.5), 2**63 + 12345
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    coefs = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes, sizes[1:])]
    intercepts = [0.1 * rng.standard_normal(b) for b in sizes[1:]]
    hidden = sizes[1:-1]
    gammas = [np.ones(m) for m in hidden] if normalization else []
    betas = [np.zeros(m) for m in hidden] if normalization else []
    params = _flat_layout(sizes, normalization, coefs, intercepts, gammas, betas)
    running = np.concatenate([np.r_[np.zeros(m), np.ones(m)] for m in hidden]) if normalization == "batch" else None
    state = {"exp_avg": np.zeros_like(params), "exp_avg_sq": np.zeros_like(params)}
    grads = np.empty_like(params)
    curve, step = [], 0
    for _ in range(3):
        loss_sum, taken = mlbasics.kernels.mlp_epoch(
            X, y, np.arange(n), params, grads, state, layer_sizes=sizes, activation="relu",
            loss="softmax_cross_entropy", alpha=alpha, batch_size=batch, optimizer="adam", hyper={"lr": 0.01},
            step=step, dropout=rates, seed=seed, normalization=normalization, running_stats=running,
            residual=True, backend=trick_backend)
        step += taken
        curve.append(loss_sum / n)
    assert step == 15
    net = _torch_net(torch, sizes, "relu", normalization, 2, True, False, coefs, intercepts, gammas, betas)
    topt = _torch_optimizer(torch, net, "adam", 0.01)
    expected = _train_torch(torch, net, X, y, loss="ce", alpha=alpha, batch_size=batch, epochs=3, optimizer=topt,
                            dropout=(rates, seed))
    ref = _torch_state(net, False, normalization)
    _assert_rel(curve, expected, "loss curve")
    _assert_rel(params, _flat_layout(sizes, normalization, ref["coefs"], ref["intercepts"], ref["gammas"], ref["betas"]),
                "params")
    if normalization == "batch":
        _assert_rel(running, np.concatenate([np.r_[m, v] for m, v in zip(ref["means"], ref["variances"])]),
                    "running stats")
    # and the masks matter: another seed trains another network
    other = _flat_layout(sizes, normalization, coefs, intercepts, gammas, betas)
    mlbasics.kernels.mlp_epoch(X, y, np.arange(n), other, np.empty_like(other),
                               {"exp_avg": np.zeros_like(other), "exp_avg_sq": np.zeros_like(other)},
                               layer_sizes=sizes, activation="relu", loss="softmax_cross_entropy", alpha=alpha,
                               batch_size=batch, optimizer="adam", hyper={"lr": 0.01}, step=0, dropout=rates,
                               seed=seed + 1, normalization=normalization,
                               running_stats=None if running is None else running.copy(), residual=True,
                               backend=trick_backend)
    first = _flat_layout(sizes, normalization, coefs, intercepts, gammas, betas)
    mlbasics.kernels.mlp_epoch(X, y, np.arange(n), first, np.empty_like(first),
                               {"exp_avg": np.zeros_like(first), "exp_avg_sq": np.zeros_like(first)},
                               layer_sizes=sizes, activation="relu", loss="softmax_cross_entropy", alpha=alpha,
                               batch_size=batch, optimizer="adam", hyper={"lr": 0.01}, step=0, dropout=rates,
                               seed=seed, normalization=normalization,
                               running_stats=None if running is None else running.copy(), residual=True,
                               backend=trick_backend)
    assert not np.array_equal(other, first)


# --------------------------------------------------------------------------- dropout in the estimators

def _clf_data(n=60, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
    return X, y


def _fit_quietly(est, X, y, **kw):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ConvergenceWarning of the short fits
        return est.fit(X, y, **kw)


def _all_state(est):
    return [a.copy() for name in ("coefs_", "intercepts_", "norm_weights_", "norm_biases_", "running_means_",
                                  "running_vars_", "spectral_u_") for a in getattr(est, name)]


def _same(a, b):
    sa, sb = _all_state(a), _all_state(b)
    return len(sa) == len(sb) and all(np.array_equal(x, y) for x, y in zip(sa, sb))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_dropout_zero_is_todays_network(trick_backend, cls):
    """dropout=0 (a float, or 0 per hidden layer) is the network without the parameter, bit for bit
    (same random stream: no dropout seed is drawn), for every dtype."""
    X, y = _clf_data()
    if cls is MLPRegressor:
        y = X[:, 0] - X[:, 1]
    for dtype in (np.float32, np.float64):
        kw = dict(hidden_layer_sizes=(8, 5), max_iter=4, random_state=0, backend=trick_backend, dtype=dtype)
        plain = _fit_quietly(cls(**kw), X, y)
        for p in (0.0, 0, (0.0, 0.0)):
            other = _fit_quietly(cls(dropout=p, **kw), X, y)
            assert _same(plain, other)
            assert plain.loss_curve_ == other.loss_curve_
            assert "_dropout_seed" not in other.__dict__
            np.testing.assert_array_equal(plain.predict(X), other.predict(X))


@pytest.mark.parametrize("tricks", [dict(dropout=0.3), dict(dropout=(0.5, 0.1), normalization="batch", residual=True),
                                    dict(dropout=0.2, normalization="group", spectral_norm=True)])
def test_dropout_same_random_state_same_fit_and_it_changes_the_fit(trick_backend, tricks):
    X, y = _clf_data()
    kw = dict(hidden_layer_sizes=(6, 6), max_iter=5, batch_size=16, backend=trick_backend, **tricks)
    a = _fit_quietly(MLPClassifier(random_state=1, **kw), X, y)
    b = _fit_quietly(MLPClassifier(random_state=1, **kw), X, y)
    assert _same(a, b) and a.loss_curve_ == b.loss_curve_  # bit for bit
    assert isinstance(a._dropout_seed, int) and 0 <= a._dropout_seed < 2**64
    c = _fit_quietly(MLPClassifier(random_state=2, **kw), X, y)
    assert not _same(a, c)
    no_dropout = _fit_quietly(MLPClassifier(random_state=1, **dict(kw, dropout=0.0)), X, y)
    assert not _same(a, no_dropout)
    assert a.loss_curve_ != no_dropout.loss_curve_


def test_dropout_only_in_training_predictions_are_eval_mode(trick_backend):
    """With the weights fixed, predictions do not depend on dropout (nothing at predict time)."""
    X, y = _clf_data()
    a = _fit_quietly(MLPClassifier((7,), max_iter=3, random_state=0, dropout=0.4, backend=trick_backend), X, y)
    b = MLPClassifier((7,), max_iter=3, random_state=0, backend=trick_backend)
    _fit_quietly(b, X, y)
    b.coefs_[0][...] = a.coefs_[0]
    b.coefs_[1][...] = a.coefs_[1]
    b.intercepts_[0][...] = a.intercepts_[0]
    b.intercepts_[1][...] = a.intercepts_[1]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_a_long_fit_with_every_trick_learns(trick_backend):
    """A longer fit with heavy dropout, batch norm and residual connections stays finite and learns
    (a sanity check of the whole loop; examples/new_tricks.py shows dropout's effect on the gap)."""
    X, y = _clf_data(n=120)
    clf = _fit_quietly(MLPClassifier((32, 32), max_iter=60, learning_rate_init=0.01, random_state=0, dropout=0.5,
                                     normalization="batch", residual=True, backend=trick_backend), X, y)
    assert np.isfinite(clf.loss_curve_).all()
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.8


# --------------------------------------------------------------------------- bad input

BAD_PARAMS = [
    (dict(dropout=1.0), ValueError, "dropout"), (dict(dropout=-0.1), ValueError, "dropout"),
    (dict(dropout=float("nan")), ValueError, "dropout"), (dict(dropout=(0.1,)), ValueError, "dropout"),
    (dict(dropout=(0.1, 1.5)), ValueError, "dropout"), (dict(dropout="0.1"), TypeError, "dropout"),
    (dict(dropout=True), TypeError, "dropout"), (dict(dropout=(0.1, None)), TypeError, "dropout"),
    (dict(normalization="instance"), ValueError, "normalization"),
    (dict(normalization="Batch"), ValueError, "normalization"), (dict(normalization=1), TypeError, "normalization"),
    (dict(normalization="group", norm_groups=3), ValueError, "norm_groups"),  # widths 4 and 6: 3 ∤ 4
    (dict(normalization="group", norm_groups=0), ValueError, "norm_groups"),
    (dict(norm_groups=2.0), TypeError, "norm_groups"),
    (dict(norm_momentum=1.5), ValueError, "norm_momentum"), (dict(norm_momentum=-0.1), ValueError, "norm_momentum"),
    (dict(norm_eps=-1e-5), ValueError, "norm_eps"), (dict(norm_eps=float("nan")), ValueError, "norm_eps"),
    (dict(residual="yes"), TypeError, "residual"), (dict(spectral_norm=1), TypeError, "spectral_norm"),
]


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("params,exc,arg", BAD_PARAMS, ids=[f"{a}-{i}" for i, (_, _, a) in enumerate(BAD_PARAMS)])
def test_bad_trick_parameters(cls, params, exc, arg):
    X, y = _clf_data(n=20)
    est = cls((4, 6), max_iter=2, backend="numpy", **params)
    with pytest.raises(exc, match=f"^{arg}:"):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


def test_norm_groups_is_checked_only_for_group_normalization():
    X, y = _clf_data(n=20)
    for normalization in (None, "batch", "layer"):
        _fit_quietly(MLPClassifier((4, 6), max_iter=1, norm_groups=5, normalization=normalization, backend="numpy"),
                     X, y)


def test_batch_norm_refuses_one_row_training_sets_and_batch_size_one():
    X, y = _clf_data(n=20)
    with pytest.raises(ValueError, match="^X: .*at least 2"):
        MLPRegressor((4,), normalization="batch", backend="numpy").fit(X[:1], y[:1])
    with pytest.raises(ValueError, match="^X: .*at least 2"):
        MLPClassifier((4,), normalization="batch", backend="numpy").partial_fit(X[:1], y[:1], classes=[0, 1, 2])
    with pytest.raises(ValueError, match="^batch_size: "):
        MLPClassifier((4,), normalization="batch", batch_size=1, backend="numpy").fit(X, y)
    # layer and group norm have per-row statistics: one row trains
    _fit_quietly(MLPRegressor((4,), normalization="layer", max_iter=2, backend="numpy"), X[:1], y[:1].astype(float))
    _fit_quietly(MLPRegressor((4,), normalization="group", batch_size=1, max_iter=2, backend="numpy"), X,
                 y.astype(float))


def test_batch_norm_drops_a_one_row_last_batch(trick_backend):
    """29 rows in batches of 7: 4 steps per epoch (the 1-row batch is dropped); the epoch loss is
    the mean over the 28 rows trained; without batch norm, 5 steps."""
    X, y = _clf_data(n=29)
    kw = dict(hidden_layer_sizes=(5,), batch_size=7, max_iter=3, shuffle=False, random_state=0, solver="adam",
              backend=trick_backend, dtype=np.float64)
    bn = _fit_quietly(MLPClassifier(normalization="batch", **kw), X, y)
    assert bn._optimizer.state[0]["step"] == 12 and bn.n_iter_ == 3
    assert bn.t_ == 3 * 28
    ln = _fit_quietly(MLPClassifier(normalization="layer", **kw), X, y)
    assert ln._optimizer.state[0]["step"] == 15 and ln.t_ == 3 * 29
    # the dropped row changes nothing: the same fit as on the first 28 rows
    bn28 = _fit_quietly(MLPClassifier(normalization="batch", **kw), X[:28], y[:28])
    assert _same(bn, bn28) and bn.loss_curve_ == bn28.loss_curve_


def test_mlp_epoch_bad_trick_arguments():
    be = mlbasics.get_backend("numpy")
    rng = np.random.default_rng(0)
    sizes = (3, 4, 4, 2)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)

    def call(normalization=None, params=None, **kw):
        P = mlp_param_count(sizes, normalization)
        p = np.zeros(P) if params is None else params
        return be.mlp_epoch(X, y, np.arange(6), p, np.empty_like(p), {}, layer_sizes=sizes, activation="relu",
                            loss="softmax_cross_entropy", alpha=0.0, batch_size=3, optimizer="sgd",
                            hyper={"lr": 0.1}, step=0, normalization=normalization, **kw)

    cases = [
        (dict(dropout=1.0), ValueError, "dropout"), (dict(dropout=(0.1, 0.2, 0.3)), ValueError, "dropout"),
        (dict(dropout="x"), TypeError, "dropout"), (dict(dropout=0.1, seed=-1), ValueError, "seed"),
        (dict(dropout=0.1, seed=2**64), ValueError, "seed"), (dict(dropout=0.1, seed=1.0), TypeError, "seed"),
        (dict(normalization="instance"), ValueError, "normalization"),
        (dict(normalization="group", norm_groups=3), ValueError, "norm_groups"),
        (dict(normalization="layer", norm_groups=0), ValueError, "norm_groups"),
        (dict(norm_momentum=2.0), ValueError, "norm_momentum"), (dict(norm_eps=-1.0), ValueError, "norm_eps"),
        (dict(normalization="batch"), ValueError, "running_stats"),
        (dict(normalization="batch", running_stats=np.zeros(15)), ValueError, "running_stats"),
        (dict(normalization="batch", running_stats=np.zeros(16, np.float32)), TypeError, "running_stats"),
        (dict(normalization="batch", running_stats=np.zeros(32)[::2]), ValueError, "running_stats"),
        (dict(normalization="layer", running_stats=np.zeros(16)), ValueError, "running_stats"),
        (dict(spectral_norm=True), ValueError, "spectral_vectors"),
        (dict(spectral_norm=True, spectral_vectors=np.zeros(5)), ValueError, "spectral_vectors"),
        (dict(spectral_vectors=np.zeros(23)), ValueError, "spectral_vectors"),
        (dict(residual=1), TypeError, "residual"), (dict(spectral_norm="no"), TypeError, "spectral_norm"),
        (dict(normalization="layer", params=np.zeros(mlp_param_count(sizes))), ValueError, "params"),
        (dict(params=np.zeros(mlp_param_count(sizes, "layer"))), ValueError, "params"),
    ]
    for kw, exc, arg in cases:
        with pytest.raises(exc, match=f"^{arg}"):
            call(**kw)
    # the running statistics must not share memory with params
    P = mlp_param_count(sizes, "batch")
    p = np.zeros(P + 12)
    with pytest.raises(ValueError, match="^running_stats: must not share memory"):
        call(normalization="batch", params=p[:P], running_stats=p[P - 4:])
    assert call(normalization="batch", running_stats=np.r_[np.zeros(4), np.ones(4), np.zeros(4), np.ones(4)])[1] == 2


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_warm_start_attributes_of_the_wrong_shape(cls):
    X, y = _clf_data(n=20)
    good = dict(coefs_=[np.zeros((6, 4)), np.zeros((4, 3 if cls is MLPClassifier else 1))],
                intercepts_=[np.zeros(4), np.zeros(3 if cls is MLPClassifier else 1)])
    bad = [("coefs_", [np.zeros((6, 5)), good["coefs_"][1]]), ("coefs_", good["coefs_"][:1]),
           ("intercepts_", [np.zeros(4), np.zeros(7)]), ("norm_weights_", [np.ones(5)]),
           ("norm_biases_", [np.ones(4), np.ones(4)]), ("running_means_", [np.zeros(3)]),
           ("running_vars_", [np.ones((4, 1))]), ("spectral_u_", [np.ones(4)]),
           ("spectral_u_", [np.ones(4), np.ones(2)]), ("coefs_", np.zeros((6, 4)))]
    for name, value in bad:
        est = cls((4,), warm_start=True, normalization="batch", spectral_norm=True, backend="numpy")
        for k, v in good.items():
            setattr(est, k, v)
        setattr(est, name, value)
        with pytest.raises((ValueError, TypeError), match=f"^{name}"):
            est.fit(X, y if cls is MLPClassifier else X[:, 0])
    if cls is MLPClassifier:
        est = cls((4,), warm_start=True, backend="numpy")
        est.coefs_, est.classes_ = good["coefs_"], np.array([2, 0, 1])
        with pytest.raises(ValueError, match="^classes_"):
            est.fit(X, y)


# --------------------------------------------------------------------------- the estimators' machinery

ALL_TRICKS = dict(dropout=(0.2, 0.1), normalization="batch", residual=True, spectral_norm=True)
TRICK_SETS = [ALL_TRICKS, dict(normalization="group", norm_groups=3, residual=True),
              dict(normalization="layer", spectral_norm=True, dropout=0.3)]


def _views_ok(est):
    for name in ("coefs_", "intercepts_", "norm_weights_", "norm_biases_"):
        assert all(np.shares_memory(a, est._params_flat) for a in getattr(est, name)), name
    for name in ("running_means_", "running_vars_"):
        assert all(np.shares_memory(a, est._running_flat) for a in getattr(est, name)), name
    assert all(np.shares_memory(u, est._spectral_flat) for u in est.spectral_u_)
    assert est._optimizer.param_groups[0]["params"][0] is est._params_flat


@pytest.mark.parametrize("tricks", TRICK_SETS)
def test_fitted_attributes_layout_and_initialization(tricks):
    X, y = _clf_data()
    est = MLPClassifier((6, 6), max_iter=1, random_state=0, backend="numpy", **tricks)
    _fit_quietly(est, X, y)
    _views_ok(est)
    norm = tricks.get("normalization")
    assert len(est.norm_weights_) == len(est.norm_biases_) == (2 if norm else 0)
    assert len(est.running_means_) == len(est.running_vars_) == (2 if norm == "batch" else 0)
    assert [u.shape for u in est.spectral_u_] == ([(6,), (6,), (3,)] if tricks.get("spectral_norm") else [])
    assert est._params_flat.shape[0] == mlp_param_count((6, 6, 6, 3), norm)
    # the initialization: gamma 1, beta 0, running mean 0 / var 1, unit u; then the epoch moved them
    init = MLPClassifier((6, 6), max_iter=1, random_state=0, backend="numpy", **tricks)
    init._rng = np.random.default_rng(0)
    init._initialize([6, 6, 6, 3], np.dtype(np.float32), init._rng)
    assert all(np.array_equal(g, np.ones(6)) for g in init.norm_weights_)
    assert all(np.array_equal(b, np.zeros(6)) for b in init.norm_biases_)
    assert all(np.array_equal(m, np.zeros(6)) for m in init.running_means_)
    assert all(np.array_equal(v, np.ones(6)) for v in init.running_vars_)
    for u in init.spectral_u_:
        assert abs(np.linalg.norm(u) - 1) < 1e-6
    if norm:
        assert not all(np.array_equal(g, np.ones(6)) for g in est.norm_weights_)


def test_spectral_initialization_is_torchs_power_iteration():
    """u, v after fit's initialization: normalize(randn) drawn after the weights, then 15 power
    iterations — v ends as normalize(W u), and u is close to the top left singular vector."""
    X, y = _clf_data()
    est = MLPClassifier((6,), max_iter=1, random_state=0, spectral_norm=True, backend="numpy", dtype=np.float64)
    rng = np.random.default_rng(0)
    est._initialize([6, 6, 3], np.dtype(np.float64), rng)
    est._spectral_warmup()
    for W, (u, v) in zip(est.coefs_, est._spectral_pairs()):
        np.testing.assert_allclose(v, (W @ u) / np.linalg.norm(W @ u), rtol=1e-12)
        sigma = u @ W.T @ v
        assert abs(sigma - np.linalg.svd(W, compute_uv=False)[0]) < 1e-3 * sigma
    # drawn from the estimator's stream after the weights: the weights are those of a plain network
    plain = MLPClassifier((6,), random_state=0, backend="numpy", dtype=np.float64)
    plain._initialize([6, 6, 3], np.dtype(np.float64), np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(est.coefs_, plain.coefs_))


@pytest.mark.parametrize("tricks", TRICK_SETS)
def test_partial_fit_equals_fit(tricks):
    X, y = _clf_data()
    kw = dict(hidden_layer_sizes=(6, 6), random_state=0, shuffle=False, batch_size=16, tol=0.0, backend="numpy",
              **tricks)
    a = _fit_quietly(MLPClassifier(max_iter=3, **kw), X, y)
    b = MLPClassifier(**kw)
    for _ in range(3):
        b.partial_fit(X, y, classes=[0, 1, 2])
    assert _same(a, b) and a.loss_curve_ == b.loss_curve_
    _views_ok(b)


@pytest.mark.parametrize("tricks", TRICK_SETS)
def test_pickle_and_save_load_continue_identically(tmp_path, tricks):
    X, y = _clf_data()
    kw = dict(hidden_layer_sizes=(6, 6), random_state=0, batch_size=16, backend="numpy", **tricks)
    a = MLPClassifier(**kw).partial_fit(X, y, classes=[0, 1, 2])
    b = pickle.loads(pickle.dumps(a))
    mlbasics.save(a, tmp_path / "m.mlb")
    c = mlbasics.load(tmp_path / "m.mlb")
    for other in (b, c):
        _views_ok(other)
        assert _same(a, other)
        np.testing.assert_array_equal(a.predict_proba(X), other.predict_proba(X))
    for est in (a, b, c):
        est.partial_fit(X, y)
        est.partial_fit(X, y)
    assert _same(a, b) and _same(a, c)
    assert a.loss_curve_ == b.loss_curve_ == c.loss_curve_


def test_save_refuses_inconsistent_trick_attributes(tmp_path):
    X, y = _clf_data()
    a = MLPClassifier((6, 6), max_iter=1, random_state=0, backend="numpy", **ALL_TRICKS)
    _fit_quietly(a, X, y)
    a.norm_weights_ = a.norm_weights_[:1]
    with pytest.raises(ValueError, match="norm_weights_"):
        mlbasics.save(a, tmp_path / "bad.mlb")


def test_plain_model_files_and_pickles_keep_loading(tmp_path):
    """A plain model saved today loads with empty trick attributes; old pickles (no trick
    buffers) keep predicting."""
    X, y = _clf_data()
    a = _fit_quietly(MLPClassifier((5,), max_iter=2, random_state=0, backend="numpy"), X, y)
    mlbasics.save(a, tmp_path / "p.mlb")
    b = mlbasics.load(tmp_path / "p.mlb")
    assert b.norm_weights_ == [] and b.running_means_ == [] and b.spectral_u_ == []
    old_state = a.__getstate__()
    for name in ("_running_flat", "_spectral_flat"):
        old_state.pop(name)
    c = MLPClassifier.__new__(MLPClassifier)
    c.__setstate__(old_state)
    np.testing.assert_array_equal(a.predict_proba(X), c.predict_proba(X))


def test_early_stopping_restores_every_trained_state(trick_backend):
    """The best epoch's W, b, γ, β, running statistics and u (not only the flat params)."""
    X, y = _clf_data(n=120, seed=3)
    seen = []

    def record(epoch, loss, est):
        seen.append((est.validation_scores_[-1], _all_state(est)))

    est = MLPClassifier((8, 8), max_iter=12, early_stopping=True, n_iter_no_change=100, learning_rate_init=0.05,
                        random_state=0, callback=record, backend=trick_backend, **ALL_TRICKS)
    _fit_quietly(est, X, y)
    best = int(np.argmax([s for s, _ in seen]))
    assert best < len(seen) - 1 or len({s for s, _ in seen}) == 1  # the data make the last epoch not the best
    for ours, theirs in zip(_all_state(est), seen[best][1]):
        np.testing.assert_array_equal(ours, theirs)


def test_divergence_restores_every_trained_state(trick_backend):
    X, y = _clf_data()
    est = MLPClassifier((6, 6), max_iter=2, random_state=0, backend=trick_backend, **ALL_TRICKS)
    _fit_quietly(est, X, y)
    before = _all_state(est)
    est.set_params(learning_rate_init=1e30, solver="sgd", warm_start=True)
    with pytest.raises(ValueError, match="^learning_rate_init: training diverged"):
        est.fit(X * 1e10, y)
    assert all(np.array_equal(a, b) for a, b in zip(_all_state(est), before))
    _views_ok(est)


def test_warm_start_changes_of_layout_are_refused():
    X, y = _clf_data()
    est = _fit_quietly(MLPClassifier((6,), max_iter=1, random_state=0, backend="numpy", normalization="batch"), X, y)
    for change, arg in ((dict(normalization=None), "normalization"), (dict(normalization="layer"), "normalization"),
                        (dict(spectral_norm=True), "spectral_norm")):
        est.set_params(warm_start=True, **change)
        with pytest.raises(ValueError, match=f"^{arg}: "):
            est.fit(X, y)
        with pytest.raises(ValueError, match=f"^{arg}: "):
            est.predict(X)
        est.set_params(normalization="batch", spectral_norm=False)


def test_warm_start_adopts_reassigned_attributes_of_a_fitted_model():
    """warm_start after fit: attributes rebound to new arrays are copied into the training buffers
    (as in-place changes of the views are seen); shapes are checked."""
    X, y = _clf_data()
    kw = dict(hidden_layer_sizes=(6, 6), max_iter=2, random_state=0, backend="numpy", dtype=np.float64,
              normalization="batch", residual=True, dropout=0.2)
    a = _fit_quietly(MLPClassifier(**kw), X, y)
    b = pickle.loads(pickle.dumps(a))
    a.coefs_ = [0.5 * W for W in a.coefs_]  # new arrays
    a.norm_weights_ = [g + 1 for g in a.norm_weights_]
    a.running_vars_ = [2 * v for v in a.running_vars_]
    for W in b.coefs_:  # in place
        W *= 0.5
    for g in b.norm_weights_:
        g += 1
    for v in b.running_vars_:
        v *= 2
    for est in (a, b):
        est.set_params(warm_start=True)
        _fit_quietly(est, X, y)
        _views_ok(est)
    assert _same(a, b) and a.loss_curve_ == b.loss_curve_
    a.running_means_ = [np.zeros(5), np.zeros(6)]
    with pytest.raises(ValueError, match=r"^running_means_\[0\]: expected shape \(6,\)"):
        a.fit(X, y)


@pytest.mark.parametrize("tricks", TRICK_SETS)
def test_sparse_X_equals_dense(tricks):
    sp = pytest.importorskip("scipy.sparse")
    X, y = _clf_data()
    X[np.abs(X) < 0.7] = 0
    kw = dict(hidden_layer_sizes=(6, 6), max_iter=3, random_state=0, backend="numpy", **tricks)
    dense = _fit_quietly(MLPClassifier(**kw), X, y)
    sparse = _fit_quietly(MLPClassifier(**kw), sp.csr_matrix(X), y)
    assert _same(dense, sparse)
    np.testing.assert_array_equal(dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)))
