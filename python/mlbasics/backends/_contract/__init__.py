"""The kernel contract: one set of semantics, three implementations, split by kernel family.

:class:`Backend` is what :func:`mlbasics.get_backend` returns. Each method checks its arguments
(dtype, ndim, shapes, layout, ranges) *before* any kernel runs, allocates the outputs, and then
calls the backend's raw implementation, which may assume:

* every floating array of the call has one dtype, float32 or float64;
* output and in-place arrays are C-contiguous, writable and do not share memory with inputs;
* ``matmul``/``gram`` inputs may have arbitrary strides; all other inputs are C-contiguous;
* labels are int64 and in range; activations are integer codes (see ``ACTIVATIONS``);
* sample weights (``gram``, the losses, ``mlp_epoch``: a trailing optional argument of the raw
  kernels, None for unweighted) are C-contiguous, of the call's dtype, finite and >= 0, with a
  positive sum where the kernel divides by it.

Kernels follow IEEE arithmetic and do not scan their data for NaN or inf (estimators do).
Non-finite values have one semantics: every backend gives NaN, +inf and −inf in exactly the
places where the NumPy reference does (IEEE propagation as NumPy computes it: no term is skipped
because a factor is 0, no NaN is dropped by a max/min/clip or a select), and finite outputs agree
within the dtype's tolerance. Each kernel's docstring says what that gives ("Non-finite values");
``tests/test_nonfinite.py`` checks it on every backend.
float32 in gives float32 out; losses are returned as a scalar of the inputs' dtype.

One module per kernel family — ``gemm``, ``layers``, ``losses``, ``optim``, ``mlp``, ``distances``,
``sparse``, ``norms`` — the same
family names as ``cpp/src/<family>.cpp``, ``src/register_<family>.cpp``,
``backends/{numpy,numba}/<family>.py``, ``tests/test_<family>*.py`` and
``benchmarks/bench_<family>.py``. Each family module defines a mixin with its kernels' methods and
their ``KERNELS``; :class:`Backend` combines them.
"""
from __future__ import annotations

from typing import Any

from .distances import KERNELS as _DISTANCES, DistancesContract
from .gemm import KERNELS as _GEMM, GemmContract
from .layers import ACTIVATIONS, KERNELS as _LAYERS, LayersContract
from .losses import KERNELS as _LOSSES, LossesContract
from .mlp import KERNELS as _MLP, MLP_LOSSES, MLPContract
from .norms import KERNELS as _NORMS, NormsContract
from .optim import KERNELS as _OPTIM, OptimContract
from .sparse import KERNELS as _SPARSE, SparseContract

__all__ = ["Backend", "KERNELS", "ACTIVATIONS", "MLP_LOSSES"]

#: Every kernel of the contract, family by family.
KERNELS = _GEMM + _LAYERS + _LOSSES + _OPTIM + _MLP + _DISTANCES + _SPARSE + _NORMS


class Backend(GemmContract, LayersContract, LossesContract, OptimContract, MLPContract, DistancesContract,
              SparseContract, NormsContract):
    """A kernel backend (``"cpp"``, ``"numba"`` or ``"numpy"``) behind the common contract.

    Fast paths: on tiny arrays the checks cost more than the kernel, so the hottest methods
    (matmul, linear_forward, softmax_cross_entropy, sgd_step, adam_step) start with one ``if``
    that recognizes the common, valid call -- exact ``np.ndarray`` arguments, dtype identity with
    float32/float64, hyper-parameters of type float/int/bool -- and runs the same checks inline,
    without conversions. A call it does not recognize (any error, a list, a view, a subclass, a
    NumPy scalar hyper-parameter...) goes on to the full path below it, unchanged, which raises
    the documented errors. A fast path never raises and never accepts what the full path rejects.
    The C++ backend makes matmul's checks in C++ instead (``_core.matmul_fast``, which returns None
    for a call it does not recognize): a call then costs ~0.2 µs instead of ~0.7.

    Memory overlap: arrays that each own their data (``flags.owndata``) and are distinct objects
    hold separate allocations, so they cannot overlap; a view never owns its data. Fast paths
    require that instead of calling ``np.may_share_memory`` on every pair.
    """

    def __init__(self, name: str, raw: Any) -> None:
        self.name = name
        self._raw = raw
        # matmul's fast path in the backend's own code, where it has one (the C++ backend)
        self._matmul_fast = getattr(raw, "matmul_fast", None)

    def __reduce__(self) -> tuple:
        """Pickled by name: unpickling looks the backend up again (its module is not data)."""
        from .. import get_backend

        return (get_backend, (self.name,))

    def __repr__(self) -> str:
        return f"<mlbasics backend {self.name!r}>"

