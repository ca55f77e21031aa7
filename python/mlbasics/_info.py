"""What this installation is: version, backends, threads, the C++ core's SIMD path."""
from __future__ import annotations

import os

import platform
from typing import Any

import numpy as np

from . import __version__
from .backends import available_backends, backend_errors, get_num_threads


def config() -> dict[str, Any]:
    """The facts ``mlbasics info`` prints, as a dict (JSON-ready).

    Returns
    -------
    dict
        ``mlbasics``, ``python``, ``numpy``, ``machine`` (versions and CPU architecture),
        ``backends`` (the loadable ones), ``threads``, ``unavailable`` (backend → error), plus
        ``cpp_simd_path``/``cpp_compiler`` and ``numba``/``numba_threading_layer_max_threads``
        when those backends load.
    """
    info: dict[str, Any] = {
        "mlbasics": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "backends": available_backends(),
        "threads": get_num_threads(),
        "unavailable": backend_errors(),
    }
    if "cpp" in info["backends"]:
        from . import _core

        info["cpp_simd_path"] = _core.cpu_path()
        info["cpp_compiler"] = _core.compiler
    if "numba" in info["backends"]:
        import numba

        info["numba"] = numba.__version__
        info["numba_threading_layer_max_threads"] = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]  # set at run time
        from .backends import numba as numba_backend

        info["numba_set_omp_wait_policy"] = numba_backend.OMP_WAIT_POLICY_SET
    return info


def header_line() -> str:
    """The first line of ``mlbasics info`` (versions and CPU architecture), without loading any backend."""
    return (f"mlbasics {__version__} on Python {platform.python_version()} ({platform.machine()}), "
            f"NumPy {np.__version__}")


def busy_note(threads: int) -> str | None:
    """A warning line when other work already keeps this machine's CPUs busy (1-minute load average
    at least the number of CPUs this process may use), else None; None where there is no load
    average (Windows).

    On a busy machine timings swing from run to run, NumPy's multi-threaded BLAS most of all:
    measured on a 2-core machine at load 3, the main job's speed-up over numpy ranged from 4× to
    34× at 2 threads and from 2.2× to 2.5× at 1 thread over five runs each.
    """
    from .backends import _usable_cpus

    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    cpus = _usable_cpus()
    if load < cpus:
        return None
    hint = " (--threads 1 is steadier)" if threads > 1 else ""
    return (f"note: this machine is busy (load average {load:.1f} on {cpus} CPU{'s' if cpus > 1 else ''}): "
            f"timings will vary from run to run{hint}")


def config_lines(info: dict[str, Any] | None = None) -> list[str]:
    """The lines of ``mlbasics info``: one fact per line, from :func:`config` when ``info`` is None."""
    info = config() if info is None else info
    lines = [
        f"mlbasics {info['mlbasics']} on Python {info['python']} ({info['machine']}), NumPy {info['numpy']}",
        f"backends available: {', '.join(info['backends'])}",
        f"threads: {info['threads']}",
    ]
    if "cpp_simd_path" in info:
        lines.append(f"C++ core: SIMD path {info['cpp_simd_path']}, built with {info['cpp_compiler']}")
    if "numba" in info:
        lines.append(f"Numba {info['numba']} (at most {info['numba_threading_layer_max_threads']} threads)")
        policy = os.environ.get("OMP_WAIT_POLICY")
        if policy is not None:  # set by the user, or by the Numba backend when it started OpenMP
            lines.append(f"OMP_WAIT_POLICY={policy} (idle OpenMP workers "
                         f"{'sleep' if policy.upper() == 'PASSIVE' else 'may spin'})")
    for name, err in info["unavailable"].items():
        lines.append(f"backend {name} unavailable: {err}")
    return lines


def show_config() -> None:
    """Print what ``mlbasics info`` prints: version, backends, SIMD path, compiler, threads."""
    print("\n".join(config_lines()))
