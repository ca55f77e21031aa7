"""mlbasics: machine-learning basics on fast kernels.

The hot kernels exist three times — C++ (``mlbasics._core``), Numba and NumPy — behind one
contract (:mod:`mlbasics.kernels`); see :func:`available_backends` and :func:`get_backend`.
The estimators live in submodules (``mlbasics.linear_model``, ``mlbasics.decomposition``, …),
imported on first access. :func:`save` and :func:`load` write and read estimators in a
documented format (a ZIP of JSON and ``.npy`` arrays) whose loading never runs code.
"""
import importlib

from . import kernels
from ._threadpool import register as _register_threadpoolctl
from .backends import available_backends, get_backend, get_num_threads, set_num_threads

_register_threadpoolctl()  # threadpoolctl (when installed) controls our pool like the BLAS pools

__version__ = "0.2.0"

_SUBMODULES = ("cluster", "datasets", "decomposition", "exceptions", "linear_model", "manifold", "metrics",
               "model_selection", "neural_network", "optim", "plotting", "preprocessing")

__all__ = ["kernels", "available_backends", "get_backend", "set_num_threads", "get_num_threads",
           "show_config", "save", "load", "__version__", *_SUBMODULES]


def show_config() -> None:
    """Print what ``mlbasics info`` prints: version, backends, SIMD path, compiler, threads, Numba."""
    from ._info import show_config as _show

    _show()


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("save", "load"):  # mlbasics._persistence, imported on first use
        return getattr(importlib.import_module(f"{__name__}._persistence"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
