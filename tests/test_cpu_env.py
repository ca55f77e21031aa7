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


@pytest.mark.parametrize("value", ["bogus", "AVX2", "avx512", "generic ", "native"])
def test_invalid_value_fails_the_import_with_value_error(value):
    r = _run(value)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last == f"ValueError: MLBASICS_CPU: expected 'generic' or 'avx2' (or unset), got '{value}'", r.stderr


def test_generic_is_honoured():
    assert _path(_run("generic")) == "generic"


def test_unset_and_empty_mean_auto():
    auto = _path(_run(None))
    assert auto in ("avx2", "generic")
    assert _path(_run("")) == auto


def test_avx2_is_honoured_where_available():
    auto = _path(_run(None))
    r = _run("avx2")
    if auto == "avx2":
        assert _path(r) == "avx2"
    else:  # this CPU/build has no AVX2+FMA: asking for it is an error, not a silent fallback
        assert r.returncode != 0
        assert "ValueError: MLBASICS_CPU: 'avx2' requested but this CPU/build has no AVX2+FMA" in r.stderr


def test_this_process_reports_its_path():
    expected = os.environ.get("MLBASICS_CPU") or _path(_run(None))
    assert _core.cpu_path() == expected
