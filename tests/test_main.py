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


def test_bench_quick_kernels_table_and_plot(tmp_path):
    png = tmp_path / "bench.png"
    out = run("bench", "--quick", "--backend", "cpp", "--threads", "1", "--parts", "matmul,optim",
              "--plot", str(png))
    assert "threads: 1" in out
    for impl in ("cpp", "numpy"):
        assert f"| matmul 256×256 @ 256×256 | {impl} | float32 | 1 |" in out
        assert f"| adam_step 1,000,000 float32 | {impl} | float32 | 1 |" in out
    assert "| numba |" not in out  # --backend keeps only that backend and the numpy baseline
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_bench_quick_training_and_fits_json():
    result = json.loads(run("bench", "--quick", "--json", "--backend", "cpp", "--threads", "1",
                            "--parts", "mlp,fit", "--plot", ""))
    rows = result["rows"]
    groups = {r["group"] for r in rows}
    assert any(g.startswith("MLP 784-256-10") for g in groups) and any(g.startswith("MLP 64-64-10") for g in groups)
    assert any(g.startswith("PCA(10)") for g in groups)
    for r in rows:
        assert r["seconds"] > 0 and r["threads"] == 1
        if r["impl"] == "cpp":
            assert r["vs_numpy"] is not None  # every cpp row has its numpy baseline in the same group
    assert any(r["impl"].startswith("scikit-learn") for r in rows)  # scikit-learn is in the test extra


def test_bench_quick_sparse_json():
    result = json.loads(run("bench", "--quick", "--json", "--backend", "cpp", "--threads", "1",
                            "--parts", "sparse", "--plot", ""))
    rows = result["rows"]
    impls = {r["group"].split(",")[0]: set() for r in rows}
    for r in rows:
        impls[r["group"].split(",")[0]].add(r["impl"].split(" (")[0].split(",")[0])
    assert impls["csr_matmul X·B"] == impls["csr_matmul_t Xᵀ·G"] == {"cpp", "numpy", "scipy.sparse"}
    assert impls["LogisticRegression lbfgs"] == {"cpp", "numpy", "scikit-learn lbfgs"}
    fits = [r for r in rows if r["group"].startswith("LogisticRegression") and r["impl"] in ("cpp", "numpy")]
    assert all(r["coef_rel_diff"] < 1e-6 and r["n_iter"] > 1 for r in fits)  # equal coefficients


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
