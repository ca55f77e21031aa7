"""The command line: ``python -m mlbasics`` (demo), ``info`` and ``bench``."""
import json
import shutil
import subprocess
import sys

import pytest


def run(*args, timeout=600):
    out = subprocess.run([sys.executable, "-m", "mlbasics", *args], capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_info_json():
    info = json.loads(run("info", "--json"))
    assert info["backends"] == ["cpp", "numba", "numpy"]
    assert info["cpp_simd_path"] in ("avx2", "generic")
    assert info["threads"] >= 1 and info["unavailable"] == {}


def test_info_text_matches_show_config(capsys):
    import mlbasics

    mlbasics.show_config()
    assert capsys.readouterr().out.strip() == run("info").strip()


def test_bench_quick_table():
    out = run("bench", "--quick", "--backend", "cpp", "--threads", "1")
    assert "threads: 1" in out
    for backend in ("cpp", "numpy"):
        assert f"| matmul 256×256×256 | {backend} | float32 |" in out
    assert "| numba |" not in out  # --backend keeps only that backend and the numpy baseline


def test_demo_quick_json_scores():
    result = json.loads(run("--quick", "--json", "--threads", "1"))
    rows = result["rows"]
    assert {r["backend"] for r in rows} == {"cpp", "numba", "numpy"}
    scores = {(r["model"], r["dataset"], r["backend"]): r["score"] for r in rows}
    for backend in ("cpp", "numba", "numpy"):
        assert scores[("LogisticRegression", "breast cancer", backend)] > 0.95
        assert scores[("LogisticRegression", "digits", backend)] > 0.94
        assert scores[("MLPClassifier(64,)", "digits", backend)] > 0.9
        assert 0.4 < scores[("LinearRegression", "diabetes", backend)] < 0.6
    assert set(result["speedups"]) == {"cpp", "numba"}


def test_bad_arguments_are_rejected():
    out = subprocess.run([sys.executable, "-m", "mlbasics", "--threads", "0"], capture_output=True, text=True)
    assert out.returncode == 2 and "--threads" in out.stderr
    out = subprocess.run([sys.executable, "-m", "mlbasics", "frobnicate"], capture_output=True, text=True)
    assert out.returncode == 2 and "invalid choice" in out.stderr


@pytest.mark.skipif(shutil.which("mlbasics") is None, reason="console script not installed (dev checkout)")
def test_console_script():
    out = subprocess.run(["mlbasics", "info"], capture_output=True, text=True, check=True)
    assert "backends available: cpp, numba, numpy" in out.stdout
