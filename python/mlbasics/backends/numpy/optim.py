"""NumPy reference: optimizer steps, in place, as torch.optim documents them.

Hyper-parameters are Python floats; with NumPy's promotion rules they do not change an array's
dtype, so float32 state stays float32.
"""
import numpy as np


def _with_weight_decay(param, grad, weight_decay):
    return grad + weight_decay * param if weight_decay != 0 else grad


def sgd_step(param, grad, momentum_buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    g = _with_weight_decay(param, grad, weight_decay)
    if momentum != 0:
        if first_step:
            momentum_buf[...] = g
        else:
            momentum_buf[...] = momentum * momentum_buf + (1 - dampening) * g
        g = g + momentum * momentum_buf if nesterov else momentum_buf
    param -= lr * g


def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    if decoupled:
        param *= 1 - lr * weight_decay
        g = grad
    else:
        g = _with_weight_decay(param, grad, weight_decay)
    exp_avg[...] = beta1 * exp_avg + (1 - beta1) * g
    exp_avg_sq[...] = beta2 * exp_avg_sq + (1 - beta2) * g * g
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    denom = np.sqrt(exp_avg_sq) / np.sqrt(bias_correction2) + eps
    param -= (lr / bias_correction1) * exp_avg / denom


def rmsprop_step(param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps, weight_decay, momentum,
                 centered):
    g = _with_weight_decay(param, grad, weight_decay)
    square_avg[...] = alpha * square_avg + (1 - alpha) * g * g
    if centered:
        grad_avg[...] = alpha * grad_avg + (1 - alpha) * g
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        momentum_buffer[...] = momentum * momentum_buffer + g / avg
        param -= lr * momentum_buffer
    else:
        param -= lr * g / avg


def adagrad_step(param, grad, sum, step, lr, lr_decay, weight_decay, eps):
    clr = lr / (1 + (step - 1) * lr_decay)
    g = _with_weight_decay(param, grad, weight_decay)
    sum += g * g
    param -= clr * g / (np.sqrt(sum) + eps)


def adadelta_step(param, grad, square_avg, acc_delta, lr, rho, eps, weight_decay):
    g = _with_weight_decay(param, grad, weight_decay)
    square_avg[...] = rho * square_avg + (1 - rho) * g * g
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta[...] = rho * acc_delta + (1 - rho) * delta * delta
    param -= lr * delta


def rprop_step(param, grad, prev, step_size, etaminus, etaplus, step_size_min, step_size_max):
    s = np.sign(grad * prev)
    factor = np.where(s > 0, etaplus, np.where(s < 0, etaminus, 1)).astype(param.dtype)
    step_size[...] = np.clip(step_size * factor, step_size_min, step_size_max)
    g = np.where(s < 0, 0, grad).astype(param.dtype)
    param -= np.sign(g) * step_size
    prev[...] = g
