"""MLBASICS_CPU means one thing everywhere: the C++ extension itself rejects an invalid value at
import (ValueError naming MLBASICS_CPU), like the Python layer does."""
import os
import subprocess
import sys

import pytest

from mlbasics import _core

PROBE = "import mlbasics._core as c; print(c.cpu_path())"


def _run(value):
    env = dict(os.environ)
    if value is None:
        env.pop("MLBASICS_CPU", None)
    else:
        env["MLBASICS_CPU"] = value
    return subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600)


def _path(r):
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("value", ["bogus", "AVX2", "AVX512", "avx512f", "avx-512", "generic ", "native"])
def test_invalid_value_fails_the_import_with_value_error(value):
    r = _run(value)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last == f"ValueError: MLBASICS_CPU: expected 'generic', 'avx2' or 'avx512' (or unset), got '{value}'", r.stderr


def test_generic_is_honoured():
    assert _path(_run("generic")) == "generic"


def test_unset_and_empty_mean_auto():
    auto = _path(_run(None))
    assert auto in ("avx512", "avx2", "generic")
    assert _core.cpu_path_available(auto)
    assert _path(_run("")) == auto


NOT_AVAILABLE = {
    "avx2": "ValueError: MLBASICS_CPU: 'avx2' requested but this CPU/build has no AVX2+FMA",
    "avx512": ("ValueError: MLBASICS_CPU: 'avx512' requested but this CPU/build has no AVX-512 "
               "(F, DQ, BW, VL with OS support for zmm state)"),
}


@pytest.mark.parametrize("isa", ["avx2", "avx512"])
def test_isa_is_honoured_where_available(isa):
    r = _run(isa)
    if _core.cpu_path_available(isa):
        assert _path(r) == isa
    else:  # this CPU/build lacks it: asking for it is an error, not a silent fallback
        assert r.returncode != 0
        assert r.stderr.strip().splitlines()[-1] == NOT_AVAILABLE[isa], r.stderr


def test_availability_is_ordered():
    assert _core.cpu_path_available("generic")
    assert not _core.cpu_path_available("sse9")
    if _core.cpu_path_available("avx512"):  # the avx512 family falls back to AVX2 kernels
        assert _core.cpu_path_available("avx2")


def test_blocking_follows_the_path():
    import numpy as np

    for dtype in ("float32", "float64"):
        b = _core._gemm_blocking(dtype)
        assert b["family"] == _core.cpu_path()
        lanes = {"avx512": 64, "avx2": 32}.get(b["family"], 8) // np.dtype(dtype).itemsize  # generic: 1–2
        assert b["nr"] % lanes == 0 and b["mc"] % b["mr"] == 0 and b["nc"] % b["nr"] == 0 and b["kc"] > 0
    with pytest.raises(ValueError, match="dtype: expected 'float32' or 'float64', got 'int8'"):
        _core._gemm_blocking("int8")


def test_this_process_reports_its_path():
    expected = os.environ.get("MLBASICS_CPU") or _path(_run(None))
    assert _core.cpu_path() == expected
