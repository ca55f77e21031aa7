"""Numba backend: ``@njit(cache=True)`` kernels behind the backend contract.

Raw implementations: the contract layer has validated dtypes, shapes and output
arrays before any of these is called.  Importing compiles nothing; each kernel
compiles on first call (once per dtype) and is cached on disk.

Threads: Numba's OpenMP threading layer keeps its workers spinning after each parallel region.
On a 2-core machine they then steal the cores from OpenBLAS and from our C++ pool (measured
here: a 256×256 float32 matmul went from 0.6 ms to 8–16 ms, whole scheduler quanta, after a
Numba call). :func:`start_threads` (called when the backend loads) therefore asks OpenMP to let
idle workers sleep, ``OMP_WAIT_POLICY=PASSIVE`` — but only when it is Numba that starts OpenMP in
this process: not when the user set the variable, not when another library (scikit-learn, a BLAS)
already loaded an OpenMP runtime (whose setting we must not change behind its back), and the
variable is removed again when Numba picks a threading layer other than OpenMP (TBB, workqueue).
``OMP_WAIT_POLICY_SET`` records whether it was set; ``mlbasics info`` prints it.
"""
import os

import numba

#: True when :func:`start_threads` set ``OMP_WAIT_POLICY=PASSIVE`` for Numba's OpenMP layer.
OMP_WAIT_POLICY_SET = False
_started = False


def _openmp_runtime_loaded() -> bool:
    """Whether an OpenMP runtime is already mapped into this process (True when we cannot tell)."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:  # not Linux: do not touch the environment
        return True
    return any(lib in maps for lib in ("libgomp", "libomp.", "libiomp5"))


def start_threads() -> None:
    """Start Numba's threading layer once, with idle OpenMP workers sleeping when Numba is the one
    that starts OpenMP (see the module docstring)."""
    global OMP_WAIT_POLICY_SET, _started
    if _started:
        return
    set_here = "OMP_WAIT_POLICY" not in os.environ and not _openmp_runtime_loaded()
    if set_here:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    numba.set_num_threads(numba.get_num_threads())  # launches the threading layer
    if set_here and numba.threading_layer() != "omp":
        del os.environ["OMP_WAIT_POLICY"]  # OpenMP was not started by us after all
        set_here = False
    OMP_WAIT_POLICY_SET = set_here
    _started = True


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
