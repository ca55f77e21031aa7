"""mlbasics: machine-learning basics on fast kernels.

The hot kernels exist three times — C++ (``mlbasics._core``), Numba and NumPy — behind one
contract (:mod:`mlbasics.kernels`); see :func:`available_backends` and :func:`get_backend`.
"""
from . import kernels
from .backends import available_backends, get_backend, get_num_threads, set_num_threads

__version__ = "0.1.0"

__all__ = ["kernels", "available_backends", "get_backend", "set_num_threads", "get_num_threads",
           "__version__"]
