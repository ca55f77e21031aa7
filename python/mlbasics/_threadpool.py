"""threadpoolctl knows mlbasics' thread pool.

When threadpoolctl is installed, :func:`register` adds a controller for the extension
``mlbasics._core`` (recognized by its C symbol ``mlbasics_get_num_threads``), so that
``threadpoolctl.threadpool_info()`` lists our pool and ``threadpool_limits(n)`` — which joblib
applies in its workers, and scikit-learn around its own parallel sections — sets
:func:`mlbasics.set_num_threads` (the C++ pool and Numba) and restores it afterwards.
"""
from __future__ import annotations

from typing import Any

_registered = False


def register() -> bool:
    """Register the controller once; False when threadpoolctl is not installed."""
    global _registered
    if _registered:
        return True
    try:
        import threadpoolctl
    except ImportError:
        return False

    class MlbasicsController(threadpoolctl.LibController):
        """The C++ pool of ``mlbasics._core`` and the Numba threads, as one setting."""

        user_api = "mlbasics"
        internal_api = "mlbasics"
        filename_prefixes = ("_core",)
        check_symbols = ("mlbasics_get_num_threads",)

        def get_num_threads(self) -> int:
            from .backends import get_num_threads

            return get_num_threads()

        def set_num_threads(self, num_threads: int) -> None:
            from .backends import set_num_threads

            set_num_threads(int(num_threads))

        def get_version(self) -> Any:
            from . import __version__

            return __version__

    threadpoolctl.register(MlbasicsController)
    _registered = True
    return True
