"""The command line: ``python -m mlbasics`` (demo), ``info`` and ``bench``."""
import datetime
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time

import pytest

import mlbasics

NOTICE = "compiling Numba kernels (first run only, cached afterwards)…"


def run(*args, timeout=600):
    out = subprocess.run([sys.executable, "-m", "mlbasics", *args], capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


class Streamed:
    """A command run with its stdout and stderr read line by line as they come, each line with the
    seconds since the start; stops at the end, or early (killing the process) once ``until(event)``
    is true for an event (seconds, "out" or "err", line)."""

    def __init__(self, args, env=None, until=None, timeout=600):
        self.start = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "mlbasics", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env, bufsize=1)
        self.events = []          # (seconds, "out" | "err", line without its newline)
        self.running_at = {}      # index of an event -> whether the process was still running then
        q = queue.Queue()
        readers = [threading.Thread(target=self._read, args=(s, name, q), daemon=True)
                   for s, name in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for r in readers:
            r.start()
        open_streams = 2
        while open_streams:
            try:
                item = q.get(timeout=max(0.0, timeout - (time.perf_counter() - self.start)))
            except queue.Empty:
                self.proc.kill()
                raise AssertionError(f"mlbasics {' '.join(args)}: no end after {timeout} s") from None
            if item is None:
                open_streams -= 1
                continue
            self.running_at[len(self.events)] = self.proc.poll() is None
            self.events.append(item)
            if until is not None and until(item):
                self.proc.kill()
                break
        self.returncode = self.proc.wait()
        for r in readers:  # after a kill the pipes end too
            r.join(timeout=10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.stopped_early = until is not None and bool(self.events) and until(self.events[-1])

    @staticmethod
    def _read(stream, name, q):
        start = time.perf_counter()
        for line in stream:
            q.put((time.perf_counter() - start, name, line.rstrip("\n")))
        q.put(None)

    def lines(self, name):
        return [line for _, n, line in self.events if n == name]

    def first(self, predicate):
        """The index and event of the first event whose line satisfies ``predicate``."""
        for i, event in enumerate(self.events):
            if predicate(event[2]):
                return i, event
        raise AssertionError(f"no line matched; got:\n" + "\n".join(e[2] for e in self.events))


def cold_numba_env(tmp_path):
    """The environment of a first run: an empty Numba cache."""
    return dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))


def test_demo_talks_at_once_and_streams_its_rows(tmp_path):
    """The first line within seconds even on a cold Numba cache, rows as they are measured, and
    the compile notice on stderr as soon as Numba compiles (the run is stopped there)."""
    numba = "numba" in mlbasics.available_backends()
    run_ = Streamed(["--quick", "--threads", "1"], env=cold_numba_env(tmp_path),
                    until=(lambda e: NOTICE in e[2]) if numba else None)
    seconds, stream, line = run_.events[0]
    assert stream == "out" and line.startswith(f"mlbasics {mlbasics.__version__} on Python")
    assert seconds < 10, f"first line after {seconds:.1f} s"
    assert "| model | data set | backend | fit time (median) | spread (min–max) | fits | test score |" \
        in run_.lines("out")
    i, (t_row, _, row) = run_.first(lambda s: s.startswith("| LinearRegression | diabetes | numpy |"))
    assert run_.running_at[i], "the first row came only when the process had ended: not streamed"
    if numba:
        assert run_.stopped_early  # the notice came (and the test stopped the compilation there)
        _, (t_notice, stream, notice) = run_.first(lambda s: NOTICE in s)
        assert stream == "err" and "LinearRegression on diabetes" in notice and t_notice > t_row
    else:
        assert run_.returncode == 0


def test_demo_without_numba_compiles_nothing(tmp_path):
    """A run that uses no Numba kernel compiles none, even on a cold cache."""
    run_ = Streamed(["--quick", "--threads", "1", "--backend", "cpp"], env=cold_numba_env(tmp_path))
    assert run_.returncode == 0, "\n".join(run_.lines("err"))
    assert not any(NOTICE in line or "compiled" in line for line in run_.lines("err"))
    assert not (tmp_path / "numba-cache").exists() or not any((tmp_path / "numba-cache").rglob("*.nbi"))
    assert any(line.startswith("Speed-up over numpy") for line in run_.lines("out"))


def test_notice_speaks_during_long_work_and_compilations():
    import io

    from mlbasics._compile_notice import MESSAGE, CompileNotice

    numba = pytest.importorskip("numba")  # imported before: the notice listens only when it is
    out = io.StringIO()
    with CompileNotice(out, interval=0.2) as notice:
        notice.start_task("slow work")
        time.sleep(0.6)
        notice.done()
        notice.start_task("compiling work")

        @numba.njit(cache=False)
        def plus_one(x):
            return x + 1

        assert plus_one(1) == 2
        notice.done()
        quiet = out.getvalue()
        notice.start_task("fast work")
        notice.done()
    lines = out.getvalue().splitlines()
    assert any(line.startswith("  … slow work: ") for line in lines), lines
    assert f"{MESSAGE} compiling work" in lines
    assert any(line.startswith("  compiled 0 Numba kernels in ") for line in lines)  # not an mlbasics kernel
    assert out.getvalue() == quiet  # fast work without compiling: nothing


def test_busy_machine_note(monkeypatch):
    from mlbasics import _info
    from mlbasics.backends import _usable_cpus

    cpus = _usable_cpus()
    monkeypatch.setattr(os, "getloadavg", lambda: (cpus + 1.0, 0.0, 0.0), raising=False)
    note = _info.busy_note(2)
    assert note.startswith(f"note: this machine is busy (load average {cpus + 1.0:.1f} on {cpus} CPU")
    assert note.endswith("(--threads 1 is steadier)") and not _info.busy_note(1).endswith("steadier)")
    monkeypatch.setattr(os, "getloadavg", lambda: (cpus - 0.5, 0.0, 0.0), raising=False)
    assert _info.busy_note(2) is None


def test_info_json():
    info = json.loads(run("info", "--json"))
    assert info["backends"] == ["cpp", "numba", "numpy"]
    assert info["cpp_simd_path"] in ("avx512", "avx2", "generic")
    assert info["threads"] >= 1 and info["unavailable"] == {}


def test_info_text_matches_show_config(capsys):
    import mlbasics

    mlbasics.show_config()
    assert capsys.readouterr().out.strip() == run("info").strip()


def test_bench_quick_kernels_table_and_plot(tmp_path):
    png = tmp_path / "bench.png"
    streamed = Streamed(["bench", "--quick", "--backend", "cpp", "--threads", "1", "--parts", "matmul,optim",
                         "--plot", str(png)])
    assert streamed.returncode == 0, "\n".join(streamed.lines("err"))
    assert streamed.events[0][2].startswith("mlbasics ") and streamed.events[0][0] < 10
    i, _ = streamed.first(lambda s: s.startswith("| matmul 64×64 @ 64×64 | numpy |"))
    assert streamed.running_at[i], "bench rows are printed as they are measured"
    out = "\n".join(streamed.lines("out"))
    assert "threads: 1" in out
    for impl in ("cpp", "numpy"):
        assert f"| matmul 256×256 @ 256×256 | {impl} | float32 | 1 |" in out
        assert f"| adam_step 1,000,000 float32 | {impl} | float32 | 1 |" in out
    assert "| numba |" not in out  # --backend keeps only that backend and the numpy baseline
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert f"plot written to {png}" in out


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


def test_interleaved_medians_take_turns_and_drop_what_raises():
    from mlbasics import _benchmark

    calls = []

    def make(key):
        def fn():
            calls.append(key)
        return fn

    def missing():
        raise ValueError("no such solver")

    times = _benchmark.median_times_interleaved({"a": make("a"), "b": make("b"), "x": missing, "c": make("c")}, 3)
    assert set(times) == {"a", "b", "c"} and all(t >= 0 for t in times.values())
    # one warm-up call each, then rounds of one call each, the first of a round rotating
    assert calls == ["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]


def test_bench_quick_sparse_json():
    result = json.loads(run("bench", "--quick", "--json", "--backend", "cpp", "--threads", "1",
                            "--parts", "sparse", "--plot", ""))
    rows = result["rows"]
    impls = {r["group"].split(",")[0]: set() for r in rows}
    for r in rows:
        impls[r["group"].split(",")[0]].add(r["impl"].split(" (")[0].split(",")[0])
    assert impls["csr_matmul X·B"] == impls["csr_matmul_t Xᵀ·G"] == {"cpp", "numpy", "scipy.sparse"}
    assert impls["LogisticRegression lbfgs"] == {"cpp", "numpy", "scikit-learn"}
    fits = [r for r in rows if r["group"].startswith("LogisticRegression") and r["impl"] in ("cpp", "numpy")]
    assert all(r["coef_rel_diff"] < 1e-6 and r["n_iter"] > 1 for r in fits)  # equal coefficients


def test_demo_quick_json_scores():
    out = subprocess.run([sys.executable, "-m", "mlbasics", "--quick", "--json", "--threads", "1"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)  # stdout is the JSON document alone; what people read went to stderr
    assert out.stderr.startswith(f"mlbasics {mlbasics.__version__} on Python")
    assert "| MLPClassifier(64,) | digits | numpy |" in out.stderr and "Speed-up over numpy" in out.stderr
    rows = result["rows"]
    for r in rows:  # the median of at least 3 timed fits, with their spread
        assert r["repeats"] >= 3 and 0 < r["fit_seconds_min"] <= r["fit_seconds"] <= r["fit_seconds_max"]
    assert {r["backend"] for r in rows} == {"cpp", "numba", "numpy"}
    scores = {(r["model"], r["dataset"], r["backend"]): r["score"] for r in rows}
    for backend in ("cpp", "numba", "numpy"):
        assert scores[("LogisticRegression", "breast cancer", backend)] > 0.95
        assert scores[("LogisticRegression", "digits", backend)] > 0.94
        assert scores[("MLPClassifier(64,)", "digits", backend)] > 0.9
        assert 0.4 < scores[("LinearRegression", "diabetes", backend)] < 0.6
    assert set(result["speedups"]) == {"cpp", "numba"}


def _bench_rows():
    """One made-up row of every part, at 1 and 2 threads, with every kind of peer."""
    rows = []
    for t in (1, 2):
        for n in (64, 256):
            for impl, gf in (("numpy", 80.0), ("cpp", 90.0), ("numba", 40.0), ("torch", 85.0)):
                rows.append(dict(group=f"matmul {n}×{n} @ {n}×{n}", impl=impl, dtype="float32", seconds=1e-4,
                                 threads=t, gflops=gf * t, n=n, part="matmul"))
        for part, group, impls in (
                ("optim", "adam_step 1,000,000 float32", ("numpy", "cpp", "numba", "torch fused")),
                ("mlp", "MLP 64-64-10 batch 32, 1 epoch of 6,000", ("numpy", "cpp", "numba",
                                                                    "torch (nn.Sequential + optim.SGD)",
                                                                    "scikit-learn")),
                ("fit", "PCA(10) 20,000×256", ("numpy", "cpp", "numba", "scikit-learn (covariance_eigh)")),
                ("cluster", "kmeans_step 100,000×32, k=8", ("numpy", "cpp", "cpp matmul x·cᵀ alone", "numba"))):
            for k, impl in enumerate(impls):
                rows.append(dict(group=group, impl=impl, dtype="float32", seconds=0.01 * (k + 1), threads=t,
                                 part=part))
    return rows


def test_bench_figure_one_panel_per_part_and_one_colour_per_implementation():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from mlbasics import _benchmark

    rows = _bench_rows()
    fig = _benchmark.figure(rows, date=datetime.date(2026, 12, 1))
    try:
        titles = [ax.get_title(loc="left") for ax in fig.axes]
        assert len(fig.axes) == 5
        for title, word in zip(titles, ("Kernels", "Optimizer steps", "MLP training", "Model fits", "Clustering")):
            assert title.startswith(word)
        suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else fig._suptitle.get_text()
        assert _benchmark.cpu_model() in suptitle and "1 and 2 threads" in suptitle and "2026-12-01" in suptitle
        if "cpp" in mlbasics.available_backends():
            assert f"SIMD path {mlbasics._core.cpu_path()}" in suptitle
        colours = {}  # legend label -> colours it is drawn with, over all panels
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_legend() is not None
            for line in ax.get_lines():
                colours.setdefault(line.get_label().split(",")[0], set()).add(to_hex(line.get_color()))
            for bars in ax.containers:
                colours.setdefault(bars.get_label(), set()).update(to_hex(p.get_facecolor()) for p in bars.patches)
        assert all(len(c) == 1 for c in colours.values()), colours
        assert {"numpy", "cpp", "numba", "torch", "scikit-learn", "cpp matmul x·cᵀ alone"} <= set(colours)
        assert len({c.pop() for c in colours.values()}) == len(colours)  # and a different one each
    finally:
        plt.close(fig)


def test_bench_skips_the_plot_when_no_part_has_one(tmp_path, monkeypatch, capsys):
    from mlbasics import __main__ as cli
    from mlbasics import _benchmark

    png = tmp_path / "bench.png"
    assert _benchmark.plot([], str(png)) is None and not png.exists()
    rows = [dict(group="something new", impl="cpp", dtype="float32", seconds=0.0, threads=1, part="new")]
    monkeypatch.setattr(_benchmark, "run", lambda **kw: rows)
    assert cli.main(["bench", "--quick", "--threads", "1", "--parts", "optim", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "(no plot: nothing among --parts optim has a panel" in out and not png.exists()


def test_bad_arguments_are_rejected():
    out = subprocess.run([sys.executable, "-m", "mlbasics", "--threads", "0"], capture_output=True, text=True)
    assert out.returncode == 2 and "--threads" in out.stderr
    out = subprocess.run([sys.executable, "-m", "mlbasics", "frobnicate"], capture_output=True, text=True)
    assert out.returncode == 2 and "invalid choice" in out.stderr


@pytest.mark.skipif(shutil.which("mlbasics") is None, reason="console script not installed (dev checkout)")
def test_console_script():
    out = subprocess.run(["mlbasics", "info"], capture_output=True, text=True, check=True)
    assert "backends available: cpp, numba, numpy" in out.stdout
