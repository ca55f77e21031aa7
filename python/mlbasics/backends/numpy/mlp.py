"""NumPy reference: one MLP training epoch, as the math reads.

Each minibatch runs the NumPy reference kernels in the order ``MLPClassifier``'s per-batch
loop calls them through the contract (forward layer by layer, the loss, backward layer by
layer with the L2 term added to the weight gradients, one optimizer step over the flat
buffer), so an epoch here gives bit for bit the numbers of that loop.

With the tricks (dropout, batch/layer/group normalization, residual connections, spectral
norm; the ``tricks`` dict of the contract) each minibatch runs :func:`batch_loss_grad_tricks`:
the same kernels, with the norms family's reference kernels (``norms.py``) between the linear
layer and the activation, and the dropout, skip and spectral-norm steps written out.
"""
import math
from typing import Any

import numpy as np

from .layers import _activate, _derivative, linear_backward, linear_forward
from .losses import binary_cross_entropy_with_logits, mse, softmax_cross_entropy
from .._optim_table import OPTIMIZERS, raw_arguments
from . import optim
from .norms import (batch_norm_backward, batch_norm_forward, dropout_backward, dropout_forward,
                    group_norm_backward, group_norm_forward)


def _layer_views(flat, sizes):
    """Per layer (W (n_in, n_out), b (n_out,)) views of a flat buffer."""
    views, off = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        views.append((flat[off:off + n_in * n_out].reshape(n_in, n_out), flat[off + n_in * n_out:off + (n_in + 1) * n_out]))
        off += (n_in + 1) * n_out
    return views


def optimizer_step(kind, params, grads, state, hyper, step, first_step):
    """One update of the flat ``params`` by the step kernel of ``kind`` (a row of the optimizer
    table, which gives the order of its arguments); ``step`` is its 1-based number."""
    kernel = getattr(optim, OPTIMIZERS[kind].kernel)
    kernel(*raw_arguments(kind, params, grads, state, hyper, step, first_step))


def _loss(logits, y, loss, dtype, sample_weight):
    """(the batch loss as the loss kernel returns it, rounded to the dtype; its gradient w.r.t. the
    logits), for the loss code of ``mlp_epoch``; squared error is scikit-learn's ½·mse."""
    w = () if sample_weight is None else (sample_weight,)
    if loss == 0:
        grad = np.empty_like(logits)
        return float(dtype(softmax_cross_entropy(logits, y, grad, *w))), grad
    if loss == 1:
        col = np.ascontiguousarray(logits[:, 0])
        grad = np.empty_like(col)
        return float(dtype(binary_cross_entropy_with_logits(col, y, grad, *w))), grad.reshape(-1, 1)
    grad = np.empty(logits.size, dtype=logits.dtype)
    value = float(dtype(mse(logits.reshape(-1), y.reshape(-1), grad, *w)))
    grad = grad.reshape(logits.shape)
    grad *= 0.5 * y.shape[1]
    return 0.5 * value, grad


def batch_loss_grad(x, y, weights, grad_views, act, loss, alpha, sample_weight=None):
    """Loss of one minibatch (incl. the L2 term, as a Python float) and its gradient, written into
    ``grad_views``; weighted by ``sample_weight`` (the batch's rows' weights, positive sum) if given."""
    dtype = x.dtype.type
    last = len(weights) - 1
    cache, h = [], x
    for i, (w, b) in enumerate(weights):
        a = act if i < last else 0
        z = np.empty((h.shape[0], w.shape[1]), dtype=w.dtype)
        out = None if a == 0 else np.empty_like(z)
        linear_forward(h, w, b, a, z, out)
        out = z if out is None else out
        cache.append((h, z, out))
        h = out
    logits = h
    value, grad = _loss(logits, y, loss, dtype, sample_weight)
    # |B|, or the batch's total weight: the L2 term's denominator
    n = x.shape[0] if sample_weight is None else float(np.sum(sample_weight, dtype=np.float64))
    if alpha:
        value += 0.5 * alpha * sum(float(np.dot(w.ravel(), w.ravel())) for w, _ in weights) / n
    for i in range(last, -1, -1):
        x_in, z, h = cache[i]
        w = weights[i][0]
        gw, gb = grad_views[i]
        grad_x = np.empty_like(x_in) if i > 0 else None
        linear_backward(x_in, w, z, h, grad, act if i < last else 0, grad_x, gw, gb)
        if alpha:
            gw += (alpha / n) * w
        grad = grad_x
    return value


def _trick_views(params, sizes, normalization):
    """Per layer (W, b, gamma, beta) views of a flat buffer in the tricks' layout: W, b, then
    gamma and beta for the hidden layers when ``normalization`` (else None, None)."""
    views, off, last = [], 0, len(sizes) - 2
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = params[off:off + n_in * n_out].reshape(n_in, n_out)
        off += n_in * n_out
        b = params[off:off + n_out]
        off += n_out
        gamma = beta = None
        if normalization and l < last:
            gamma, beta = params[off:off + n_out], params[off + n_out:off + 2 * n_out]
            off += 2 * n_out
        views.append((w, b, gamma, beta))
    return views


def _normalize(a):
    """a / max(‖a‖₂, 1e-12), in float64 (torch.nn.functional.normalize with eps=1e-12)."""
    return a / max(math.sqrt(float(np.dot(a, a))), 1e-12)


def spectral_step(w, u, v):
    """One power-iteration step on the raw W (n_in, n_out) — torch's weight is Wᵀ — updating u
    (n_out) and v (n_in) in place: u ← normalize(Wᵀ v), v ← normalize(W u); returns
    σ = uᵀ (Wᵀ v) rounded to W's dtype."""
    w64 = w.astype(np.float64)
    u[...] = _normalize(w64.T @ v.astype(np.float64))
    v[...] = _normalize(w64 @ u.astype(np.float64))
    return w.dtype.type(float(np.dot(u.astype(np.float64), w64.T @ v.astype(np.float64))))


def batch_loss_grad_tricks(x, y, layers, grad_layers, act, loss, alpha, tricks, stream, running_views,
                           spectral_views, sample_weight=None):
    """:func:`batch_loss_grad` with the tricks: spectral norm, normalization, dropout, residual
    connections (the contract's steps 0-3). Returns the loss (a Python float); the gradient goes
    into ``grad_layers`` ((gW, gb, ggamma, gbeta) views)."""
    dtype = x.dtype.type
    last = len(layers) - 1
    norm, groups, eps, momentum = tricks["norm"], tricks["groups"], tricks["eps"], tricks["momentum"]
    # 0. spectral norm: W̃ = W / σ with one power-iteration step
    used: list[Any] = []  # W̃ per layer
    sigmas: list[Any] = []  # σ per layer (None without spectral norm)
    for l, (w, _, _, _) in enumerate(layers):
        if spectral_views is None:
            used.append(w)
            sigmas.append(None)
        else:
            u, v = spectral_views[l]
            sigma = spectral_step(w, u, v)
            used.append(w / sigma)
            sigmas.append(sigma)
    # 1. hidden layers: z = h W̃ + b, a = norm(z), g = act(a), d = dropout(g), h ← h + d or d
    cache: list[Any] = []  # per layer (h_in, z, a, g, (mean, invstd), mask, skip)
    h = x
    for l in range(last):
        w, b, gamma, beta = layers[l]
        wt = used[l]
        z = np.empty((h.shape[0], wt.shape[1]), dtype=wt.dtype)
        linear_forward(h, wt, b, 0, z, None)
        stats = None
        if norm:
            a, mean, invstd = np.empty_like(z), np.empty(z.shape[1], z.dtype), np.empty(z.shape[1], z.dtype)
            if norm == 1:
                rm, rv = running_views[l]
                batch_norm_forward(z, gamma, beta, rm, rv, True, momentum, eps, a, mean, invstd)
            else:
                mean, invstd = np.empty((z.shape[0], groups), z.dtype), np.empty((z.shape[0], groups), z.dtype)
                group_norm_forward(z, gamma, beta, groups, eps, a, mean, invstd)
            stats = (mean, invstd)
        else:
            a = z
        g = a if act == 0 else _activate(a, act)
        p = tricks["dropout"][l]
        mask = None
        if p > 0:
            d, mask = np.empty_like(g), np.empty(g.shape, dtype=np.uint8)
            dropout_forward(g, p, tricks["seed"], l << 40, stream, d, mask)
        else:
            d = g
        skip = tricks["residual"] and wt.shape[0] == wt.shape[1]
        cache.append((h, z, a, g, stats, mask, skip))
        h = h + d if skip else d
    # 2. output layer and loss
    w_out, b_out = used[last], layers[last][1]
    logits = np.empty((h.shape[0], w_out.shape[1]), dtype=w_out.dtype)
    linear_forward(h, w_out, b_out, 0, logits, None)
    cache.append((h, logits, None, None, None, None, False))
    value, grad = _loss(logits, y, loss, dtype, sample_weight)
    n = x.shape[0] if sample_weight is None else float(np.sum(sample_weight, dtype=np.float64))
    if alpha:  # on the raw weights
        value += 0.5 * alpha * sum(float(np.dot(w.ravel(), w.ravel())) for w, _, _, _ in layers) / n
    # 3. backward; grad is the gradient w.r.t. the layer's output (hˡ⁺¹, or the logits)
    grad_x: Any
    for l in range(last, -1, -1):
        h_in, z, a, g, stats, mask, skip = cache[l]
        w, wt = layers[l][0], used[l]
        gw, gb, ggamma, gbeta = grad_layers[l]
        if l < last:
            grad_g = grad
            if mask is not None:
                grad_g = np.empty_like(grad)
                dropout_backward(grad, mask, tricks["dropout"][l], grad_g)
            grad_a = grad_g if act == 0 else grad_g * _derivative(a, g, act)
            if norm == 1:
                grad_z = np.empty_like(grad_a)
                batch_norm_backward(grad_a, z, layers[l][2], stats[0], stats[1], grad_z, ggamma, gbeta)
            elif norm == 2:
                grad_z = np.empty_like(grad_a)
                group_norm_backward(grad_a, z, layers[l][2], stats[0], stats[1], groups, grad_z, ggamma, gbeta)
            else:
                grad_z = grad_a
        else:
            grad_z = grad
        grad_x = np.empty_like(h_in) if l > 0 else None
        linear_backward(h_in, wt, z, z, grad_z, 0, grad_x, gw, gb)
        if sigmas[l] is not None:  # through W̃ = W / σ (u, v, σ constants): G/σ − (⟨G, W⟩/σ²) v uᵀ
            u, v = spectral_views[l]
            sigma = sigmas[l]
            c = float(np.dot(gw.ravel().astype(np.float64), w.ravel().astype(np.float64))) / (float(sigma) ** 2)
            gw[...] = gw / sigma - c * np.outer(v.astype(np.float64), u.astype(np.float64))
        if alpha:
            gw += (alpha / n) * w
        # the gradient w.r.t. hˡ: through the linear layer, plus through the skip hˡ⁺¹ = hˡ + d
        if l > 0:
            grad = grad_x + grad if skip else grad_x
    return value


def mlp_epoch(X, targets, order, params, grads, state, layer_sizes, act, loss, alpha, batch_size, optimizer, hyper,
              step, first_step, sample_weight=None, tricks=None):
    if tricks is not None:
        return _mlp_epoch_tricks(X, targets, order, params, grads, state, layer_sizes, act, loss, alpha, batch_size,
                                 optimizer, hyper, step, first_step, sample_weight, tricks)
    weights = _layer_views(params, layer_sizes)
    grad_views = _layer_views(grads, layer_sizes)
    total, steps = 0.0, 0
    for start in range(0, order.shape[0], batch_size):
        rows = order[start:start + batch_size]
        if sample_weight is None:
            value = batch_loss_grad(X[rows], targets[rows], weights, grad_views, act, loss, alpha)
        else:
            wb = sample_weight[rows]
            if not np.sum(wb, dtype=np.float64) > 0:
                continue  # a batch of zero total weight: as if its rows were absent
            value = batch_loss_grad(X[rows], targets[rows], weights, grad_views, act, loss, alpha, wb)
        if not math.isfinite(value):
            return value, steps
        steps += 1
        optimizer_step(optimizer, params, grads, state, hyper, step + steps, first_step and steps == 1)
        total += value * rows.shape[0]
    return total, steps


def _mlp_epoch_tricks(X, targets, order, params, grads, state, sizes, act, loss, alpha, batch_size, optimizer, hyper,
                      step, first_step, sample_weight, tricks):
    norm = tricks["norm"]
    layers = _trick_views(params, sizes, norm)
    grad_layers = _trick_views(grads, sizes, norm)
    hidden = sizes[1:-1]
    running_views = None
    if norm == 1:
        running_views, off = [], 0
        for m in hidden:
            running_views.append((tricks["running"][off:off + m], tricks["running"][off + m:off + 2 * m]))
            off += 2 * m
    spectral_views = None
    if tricks["spectral"] is not None:
        spectral_views, off = [], 0
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            spectral_views.append((tricks["spectral"][off:off + n_out], tricks["spectral"][off + n_out:off + n_out + n_in]))
            off += n_out + n_in
    total, steps = 0.0, 0
    for start in range(0, order.shape[0], batch_size):
        rows = order[start:start + batch_size]
        if norm == 1 and rows.shape[0] == 1:
            continue  # batch norm never trains on one row (torch refuses one): the batch is skipped
        wb = None
        if sample_weight is not None:
            wb = sample_weight[rows]
            if not np.sum(wb, dtype=np.float64) > 0:
                continue  # a batch of zero total weight: as if its rows were absent
        t = step + steps + 1  # this batch's update number: the dropout stream
        value = batch_loss_grad_tricks(X[rows], targets[rows], layers, grad_layers, act, loss, alpha, tricks, t,
                                       running_views, spectral_views, wb)
        if not math.isfinite(value):
            return value, steps
        steps += 1
        optimizer_step(optimizer, params, grads, state, hyper, t, first_step and steps == 1)
        total += value * rows.shape[0]
    return total, steps
