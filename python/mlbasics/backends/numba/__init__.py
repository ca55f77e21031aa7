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

Processes: GNU OpenMP is not fork-safe — after Numba used it, a fork-started child (a
``multiprocessing`` pool with the default start method on Linux) is terminated with "fork()
called from a process already using GNU OpenMP". So, unless the user chose a layer
(``NUMBA_THREADING_LAYER`` or ``numba.config.THREADING_LAYER``), :func:`start_threads` picks
Numba's TBB layer, which is safe under fork, forkserver and spawn and from several Python threads
at once, and whose idle workers sleep. The ``tbb`` package is a dependency of mlbasics where it
has wheels (x86-64 Linux and Windows); pip installs its libraries under ``<prefix>/lib``, off the
dynamic loader's path, so they are loaded here by their full path before Numba looks for them.
Measured on the 2-core development machine, TBB was as fast as OpenMP or faster (README).
Where the ``tbb`` package is missing, Numba's default order (TBB, OpenMP, workqueue) applies.
"""
import ctypes
import importlib.metadata
import os
import sys

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


_TBB_LIBRARY = {"linux": "libtbb.so.12", "darwin": "libtbb.12.dylib", "win32": "tbb12.dll"}


def _load_tbb() -> bool:
    """Load the ``tbb`` package's runtime library by its full path; False when it is not installed."""
    name = _TBB_LIBRARY.get(sys.platform)
    try:
        files = importlib.metadata.files("tbb") or []
    except importlib.metadata.PackageNotFoundError:
        return False
    for f in files:
        if name is not None and f.name == name:
            try:
                ctypes.CDLL(str(f.locate()), mode=getattr(ctypes, "RTLD_GLOBAL", 0))
            except OSError:
                return False
            return True
    return False


def start_threads() -> None:
    """Start Numba's threading layer once: TBB unless the user chose a layer (fork- and
    thread-safe), and idle OpenMP workers sleeping when OpenMP is the layer and Numba is the one
    that starts it (see the module docstring)."""
    global OMP_WAIT_POLICY_SET, _started
    if _started:
        return
    # numba.config's attributes are made at run time (hence getattr/setattr for the type checker)
    user_chose = "NUMBA_THREADING_LAYER" in os.environ or getattr(numba.config, "THREADING_LAYER") != "default"
    if not user_chose and _load_tbb():
        setattr(numba.config, "THREADING_LAYER", "tbb")
    set_here = "OMP_WAIT_POLICY" not in os.environ and not _openmp_runtime_loaded()
    if set_here:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    numba.set_num_threads(numba.get_num_threads())  # launches the threading layer
    if set_here and numba.threading_layer() != "omp":
        del os.environ["OMP_WAIT_POLICY"]  # OpenMP was not started by us after all
        set_here = False
    OMP_WAIT_POLICY_SET = set_here
    _started = True


from .distances import kmeans_step, nearest_neighbors, pairwise_sq_distances  # noqa: E402
from .gemm import gram, matmul
from .layers import linear_backward, linear_forward
from .losses import binary_cross_entropy_with_logits, mse, softmax_cross_entropy
from .mlp import mlp_epoch
from .norms import (batch_norm_backward, batch_norm_forward, dropout_backward, dropout_forward,
                    group_norm_backward, group_norm_forward)
from .optim import adadelta_step, adagrad_step, adam_step, rmsprop_step, rprop_step, sgd_step
from .sparse import csr_matmul, csr_matmul_t

__all__ = [
    "matmul", "gram",
    "linear_forward", "linear_backward",
    "softmax_cross_entropy", "binary_cross_entropy_with_logits", "mse",
    "sgd_step", "adam_step", "rmsprop_step", "adagrad_step", "adadelta_step", "rprop_step",
    "mlp_epoch",
    "pairwise_sq_distances", "kmeans_step", "nearest_neighbors",
    "csr_matmul", "csr_matmul_t",
    "dropout_forward", "dropout_backward", "batch_norm_forward", "batch_norm_backward",
    "group_norm_forward", "group_norm_backward",
]
