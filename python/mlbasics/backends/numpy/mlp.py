"""NumPy reference: one MLP training epoch, as the math reads.

Each minibatch runs the NumPy reference kernels in the order ``MLPClassifier``'s per-batch
loop calls them through the contract (forward layer by layer, the loss, backward layer by
layer with the L2 term added to the weight gradients, one optimizer step over the flat
buffer), so an epoch here gives bit for bit the numbers of that loop.
"""
import math

import numpy as np

from .layers import linear_backward, linear_forward
from .losses import binary_cross_entropy_with_logits, mse, softmax_cross_entropy
from .._optim_table import OPTIMIZERS, raw_arguments
from . import optim


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
    w = () if sample_weight is None else (sample_weight,)
    if loss == 0:
        grad = np.empty_like(logits)
        value = float(dtype(softmax_cross_entropy(logits, y, grad, *w)))
    elif loss == 1:
        col = np.ascontiguousarray(logits[:, 0])
        grad = np.empty_like(col)
        value = float(dtype(binary_cross_entropy_with_logits(col, y, grad, *w)))
        grad = grad.reshape(-1, 1)
    else:
        grad = np.empty(logits.size, dtype=logits.dtype)
        value = float(dtype(mse(logits.reshape(-1), y.reshape(-1), grad, *w)))
        grad = grad.reshape(logits.shape)
        grad *= 0.5 * y.shape[1]
        value = 0.5 * value
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


def mlp_epoch(X, targets, order, params, grads, state, layer_sizes, act, loss, alpha, batch_size, optimizer, hyper,
              step, first_step, sample_weight=None):
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
