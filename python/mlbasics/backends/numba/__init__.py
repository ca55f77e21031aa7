"""Numba backend: ``@njit(cache=True)`` kernels behind the backend contract.

Raw implementations: the contract layer has validated dtypes, shapes and output
arrays before any of these is called.  Importing compiles nothing; each kernel
compiles on first call (once per dtype) and is cached on disk.
"""
from .gemm import gram, matmul
from .layers import linear_backward, linear_forward
from .losses import binary_cross_entropy_with_logits, mse, softmax_cross_entropy
from .optim import adadelta_step, adagrad_step, adam_step, rmsprop_step, rprop_step, sgd_step

__all__ = [
    "matmul", "gram",
    "linear_forward", "linear_backward",
    "softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse",
    "sgd_step", "adam_step", "rmsprop_step", "adagrad_step", "adadelta_step", "rprop_step",
]
