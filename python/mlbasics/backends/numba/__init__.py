"""Numba backend: ``@njit(cache=True)`` kernels behind the backend contract.

Raw implementations: the contract layer has validated dtypes, shapes and output
arrays before any of these is called.  Importing compiles nothing; each kernel
compiles on first call (once per dtype) and is cached on disk.

Threads: Numba's default OpenMP layer keeps its workers spinning after each parallel region.
On a 2-core machine they then steal the cores from OpenBLAS and from our C++ pool (measured
here: a 256×256 float32 matmul went from 0.6 ms to 8–16 ms, whole scheduler quanta, after a
Numba call). Unless the user chose otherwise, we ask OpenMP to let idle workers sleep
(``OMP_WAIT_POLICY=PASSIVE``), before Numba loads its OpenMP library on the first parallel call.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .gemm import gram, matmul  # noqa: E402
from .layers import linear_backward, linear_forward
from .losses import binary_cross_entropy_with_logits, mse, softmax_cross_entropy
from .mlp import mlp_epoch
from .optim import adadelta_step, adagrad_step, adam_step, rmsprop_step, rprop_step, sgd_step

__all__ = [
    "matmul", "gram",
    "linear_forward", "linear_backward",
    "softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse",
    "sgd_step", "adam_step", "rmsprop_step", "adagrad_step", "adadelta_step", "rprop_step",
    "mlp_epoch",
]
