"""Proof that the sanitized CI step really runs sanitized code (.ci/run, "bindings under ASan").

Skipped unless MLBASICS_EXPECT_SANITIZED=1 (set only by that step): the ordinary build is not
instrumented."""
import ctypes
import os

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("MLBASICS_EXPECT_SANITIZED") != "1",
                                reason="only in the ASan+UBSan build of .ci/run (MLBASICS_EXPECT_SANITIZED=1)")


def test_the_asan_runtime_is_loaded_in_this_process():
    with open("/proc/self/maps") as maps:
        libs = {line.split()[-1] for line in maps if len(line.split()) >= 6}
    assert any(os.path.basename(p).startswith("libasan.so") for p in libs)
    assert any(os.path.basename(p).startswith("libubsan.so") for p in libs)
    # The runtime is live, not merely mapped: its interface answers.
    process = ctypes.CDLL(None)
    assert process.__asan_address_is_poisoned is not None


def test_the_extension_is_instrumented():
    from mlbasics import _core

    with open(_core.__file__, "rb") as f:
        image = f.read()
    assert b"__asan_report_load" in image, f"{_core.__file__} is not built with -fsanitize=address"
    assert b"__ubsan_handle_" in image, f"{_core.__file__} is not built with -fsanitize=undefined"


def test_a_heap_overflow_is_reported(tmp_path):
    """A deliberate out-of-bounds read in a child process ends it with an ASan report."""
    import subprocess
    import sys

    code = ("import ctypes; buf = ctypes.CDLL(None).malloc; buf.restype = ctypes.c_void_p; "
            "p = buf(8); ctypes.CDLL(None).__asan_report_load8(ctypes.c_void_p(p + 8))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "AddressSanitizer" in r.stderr
