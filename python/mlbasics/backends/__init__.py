"""Kernel backends: ``"cpp"``, ``"numba"`` and ``"numpy"`` behind one contract.

``get_backend("auto")`` is the C++ backend, unless the environment variable ``MLBASICS_BACKEND``
names another. There is no silent fallback: when the C++ extension ``mlbasics._core`` is missing
or fails to import (a broken build, a missing shared library, an invalid ``MLBASICS_CPU``),
"auto" raises that error with its reason rather than running quietly on Numba or NumPy; set
``MLBASICS_BACKEND=numba`` (or pass ``backend="numba"``) to choose another backend deliberately.
A backend is loaded (and Numba imported) on first use.
"""
from __future__ import annotations

import importlib
import os
import threading

from .._validation import InstanceOf, Options
from ._contract import ACTIVATIONS, KERNELS, Backend

__all__ = ["Backend", "ACTIVATIONS", "KERNELS", "BACKENDS", "available_backends", "get_backend",
           "set_num_threads", "get_num_threads", "backend_errors", "BACKEND_CONSTRAINT"]

BACKENDS = ("cpp", "numba", "numpy")

_lock = threading.RLock()
_loaded: dict[str, Backend] = {}
_errors: dict[str, str] = {}
_auto: dict = {}  # raw value of MLBASICS_BACKEND (None when unset) -> what "auto" resolved to


def _usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, e.g. a container's share), not the machine's."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


#: The most threads :func:`set_num_threads` accepts: far above any core count, far below what would
#: exhaust the process's threads (the C++ pool starts n − 1 workers).
MAX_THREADS = 1024


def _default_threads() -> int:
    """The thread count at import: ``MLBASICS_NUM_THREADS``, else ``OMP_NUM_THREADS`` (the usual way to
    say "one thread per process", which joblib/loky set in their workers), else the CPUs this
    process may use. An invalid ``MLBASICS_NUM_THREADS`` is an error; ``OMP_NUM_THREADS`` follows
    OpenMP's own syntax (the first of a comma-separated list) and is ignored when not a number."""
    raw = os.environ.get("MLBASICS_NUM_THREADS", "").strip()
    if raw:
        try:
            n = int(raw)
        except ValueError:
            n = 0
        if not 1 <= n <= MAX_THREADS:
            raise ValueError(f"MLBASICS_NUM_THREADS: expected an integer in [1, {MAX_THREADS}], got {raw!r}")
        return n
    omp = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if omp.isdigit() and int(omp) >= 1:
        return min(int(omp), MAX_THREADS)
    return _usable_cpus()


_num_threads = _default_threads()

_ENV = "MLBASICS_BACKEND"


def _apply_threads(name: str) -> None:
    if name == "cpp":
        importlib.import_module("mlbasics._core").set_num_threads(_num_threads)
    elif name == "numba":
        import numba

        importlib.import_module(f"{__name__}.numba").start_threads()
        numba.set_num_threads(min(_num_threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]  # set at run time


def _load(name: str) -> Backend | None:
    with _lock:
        if name in _loaded:
            return _loaded[name]
        if name in _errors:
            return None
        try:
            raw = importlib.import_module(f"{__name__}.{name}")
            missing = [k for k in KERNELS if not callable(getattr(raw, k, None))]
            if missing:
                raise ImportError(f"backend {name!r} lacks kernels {missing}")
            _apply_threads(name)
        except ImportError as exc:  # the backend's dependency is missing or broken
            _errors[name] = f"{type(exc).__name__}: {exc}"
            return None
        backend = _loaded[name] = Backend(name, raw)
        return backend


def available_backends() -> list[str]:
    """Names of the backends that load on this machine (cpp, numba, numpy order)."""
    return [name for name in BACKENDS if _load(name) is not None]


def backend_errors() -> dict[str, str]:
    """Why each unavailable backend failed to load (empty when all load)."""
    available_backends()
    return dict(_errors)


def get_backend(name: str | Backend = "auto") -> Backend:
    """Return the backend called ``name``; ``"auto"`` means cpp (or ``MLBASICS_BACKEND``).

    Raises ValueError for an unknown name, RuntimeError (with the import error) for a known
    backend that cannot load here, and ImportError for ``"auto"`` when the C++ extension cannot
    load (no silent fallback).
    """
    # Fast path (every kernel call of mlbasics.kernels comes here): a backend already loaded, by
    # name, or for "auto" by the current value of MLBASICS_BACKEND -- so changing it still applies.
    if type(name) is str:
        backend = _loaded.get(name) if name != "auto" else _auto.get(os.environ.get(_ENV))
        if backend is not None:
            return backend
    # Full path.
    if isinstance(name, Backend):
        return name
    if not isinstance(name, str):
        raise TypeError(f"backend: expected a string such as 'auto' or 'cpp', got {type(name).__name__}")
    if name == "auto":
        key = os.environ.get(_ENV)
        forced = (key or "").strip()
        if forced and forced != "auto":
            if forced not in BACKENDS:
                raise ValueError(f"MLBASICS_BACKEND: expected one of {BACKENDS} or 'auto', got {forced!r}")
            backend = _auto[key] = get_backend(forced)
            return backend
        backend = _load("cpp")
        if backend is None:
            raise ImportError(f"backend 'auto' is the C++ backend, and it failed to load: {_errors['cpp']}. "
                              "mlbasics does not fall back silently; reinstall it (pip install . builds the "
                              "extension), or choose another backend on purpose with backend='numba' or the "
                              "environment variable MLBASICS_BACKEND=numba")
        _auto[key] = backend
        return backend
    if name not in BACKENDS:
        raise ValueError(f"backend: expected one of {('auto',) + BACKENDS}, got {name!r}")
    backend = _load(name)
    if backend is None:
        raise RuntimeError(f"backend {name!r} is not available here: {_errors[name]}")
    return backend


def set_num_threads(n: int) -> None:
    """Set the number of threads the C++ pool and Numba may use (Numba is capped at its own maximum)."""
    import numbers

    global _num_threads
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n: expected an integer number of threads, got {type(n).__name__}")
    if not 1 <= n <= MAX_THREADS:
        raise ValueError(f"n: expected a number of threads in [1, {MAX_THREADS}], got {n}")
    with _lock:
        _num_threads = int(n)
        for name in _loaded:
            _apply_threads(name)


def get_num_threads() -> int:
    """The number of threads set by :func:`set_num_threads` (default: ``MLBASICS_NUM_THREADS``, else
    ``OMP_NUM_THREADS``, else the CPUs this process may use)."""
    return _num_threads


#: The parameter-table entry (see :mod:`mlbasics._validation`) of every ``backend=`` parameter.
BACKEND_CONSTRAINT = [Options(("auto",) + BACKENDS), InstanceOf(Backend, "a Backend object")]
