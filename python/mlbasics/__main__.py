"""``python -m mlbasics`` (or ``mlbasics``): the main job and its subcommands.

    mlbasics [demo]   fit the classic models on the shipped real data on every backend and print
                      one table (model, data set, backend, fit time, test score) and the speed-ups
    mlbasics info     version, backends, SIMD path of the C++ core, compiler, threads, Numba
    mlbasics bench    kernels, MLP training and model fits on every backend side by side with
                      NumPy, PyTorch and scikit-learn (when installed), at 1 and 2 threads:
                      times, GFLOP/s, fraction of peak, speed-ups; writes a PNG plot

Options: --backend NAME (only that backend, plus numpy as the baseline), --threads N, --quick,
--json (machine-readable output); for bench also --plot PATH and --parts.

The demo and bench print their first line at once, then each row as soon as it is measured;
while Numba compiles kernels (a first run: its cache is empty) a notice with progress goes to
stderr, and so does a progress line whenever a row takes more than 2 s. With --json, stdout carries only the JSON document and everything else goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any, TextIO

import mlbasics

PARTS = ("matmul", "optim", "mlp", "fit", "cluster", "sparse", "scale")
#: Without --parts: every part but "scale" (it starts a Dask cluster; ask for it by name).
DEFAULT_PARTS = ("matmul", "optim", "mlp", "fit", "cluster", "sparse")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlbasics", description="Machine-learning basics on fast kernels.")
    parser.add_argument("command", nargs="?", default="demo", choices=["demo", "info", "bench"],
                        help="what to run (default: demo)")
    parser.add_argument("--backend", choices=["cpp", "numba", "numpy"], default=None,
                        help="run only this backend (numpy is kept as the baseline)")
    parser.add_argument("--threads", type=int, default=None, help="threads for the C++ pool and Numba")
    parser.add_argument("--quick", action="store_true", help="a shorter run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--plot", default="mlbasics_bench.png", metavar="PATH",
                        help="bench: where to write the PNG plot ('' for none; needs matplotlib)")
    parser.add_argument("--parts", default=",".join(DEFAULT_PARTS),
                        help=f"bench: comma-separated parts among {', '.join(PARTS)} (default: all but scale, "
                             "which starts a Dask LocalCluster)")
    return parser


def _say(text: str, stream: TextIO) -> None:
    """One line, flushed at once: the command talks while it works, even into a pipe."""
    print(text, file=stream, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run ``mlbasics [demo|info|bench]`` with the command-line arguments ``argv``; return the exit code.

    ``argv`` defaults to ``sys.argv[1:]``; argument errors exit with status 2 (argparse).
    The demo and bench print their first line at once (versions), then the configuration, then
    each row of their table as soon as it is measured; when Numba has to compile kernels (a
    first run), a notice with progress goes to stderr. With ``--json`` everything readable goes
    to stderr and stdout gets one JSON document at the end.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f"--threads: expected a number >= 1, got {args.threads}")
    parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
    if args.command == "bench" and (not parts or set(parts) - set(PARTS)):
        parser.error(f"--parts: expected names among {', '.join(PARTS)}, got {args.parts!r}")
    from mlbasics._info import busy_note, config, config_lines, header_line

    # what people read: stdout, or stderr when stdout carries the JSON document
    human = sys.stderr if args.json else sys.stdout
    if args.command != "info":
        _say(header_line(), human)  # before any backend loads: the first line comes at once
    if args.threads is not None:
        mlbasics.set_num_threads(args.threads)
    info = config()
    backends = info["backends"]
    if args.backend is not None:
        backends = [b for b in backends if b in (args.backend, "numpy")]

    if args.command == "info":
        print(json.dumps(info, indent=2) if args.json else "\n".join(config_lines(info)))
        return 0

    for line in config_lines(info)[1:]:
        _say(line, human)
    note = busy_note(max(args.threads or 0, mlbasics.get_num_threads()))
    if note:
        _say(note, human)
    _say("", human)
    from mlbasics._compile_notice import CompileNotice

    if args.command == "bench":
        return _bench(args, parts, info, backends, human, CompileNotice)

    from mlbasics._benchmark import ordered_backends, thread_limit
    from mlbasics._demo import TABLE_HEADER, format_row, format_speedups, run_demo, speedups

    threads = mlbasics.get_num_threads()
    _say(f"Fitting each model on the shipped data with {', '.join(ordered_backends(backends))} at {threads} "
         f"thread{'s' if threads > 1 else ''} (NumPy's BLAS too): a warm-up fit, then the median of "
         f"{'3' if args.quick else '5'} or more timed fits.", human)
    _say("", human)
    _say(TABLE_HEADER, human)
    # Every side at the same thread count: our pool and Numba, and NumPy's BLAS (threadpoolctl),
    # which otherwise starts one thread per core and fights ours for the cores.
    with thread_limit(threads), CompileNotice(sys.stderr) as notice:
        def row_done(row: Any) -> None:
            notice.done()
            _say(format_row(row), human)

        demo_rows = run_demo(backends, quick=args.quick, on_row=row_done,
                             on_task=lambda task, backend: notice.start_task(f"{task}, {backend}"))
    headline = format_speedups(demo_rows)
    if headline:
        _say("", human)
        _say(headline, human)
    if args.json:
        print(json.dumps({"info": info, "rows": [asdict(r) for r in demo_rows], "speedups": speedups(demo_rows)},
                         indent=2))
    return 0


def _bench(args: argparse.Namespace, parts: tuple[str, ...], info: dict[str, Any], backends: list[str],
           human: TextIO, notice_class: Any) -> int:
    """``mlbasics bench``: the rows streamed as measured, then the plot and (with --json) the JSON."""
    from mlbasics import _benchmark

    threads = (args.threads,) if args.threads is not None else (1, 2)
    _say(f"Timing {', '.join(parts)} at {' then '.join(map(str, threads))} thread(s), every side at the same "
         f"count; a time is the median of repeated calls after a warm-up call.", human)
    _say("", human)
    _say(_benchmark.TABLE_HEADER, human)
    with notice_class(sys.stderr) as notice:
        def row_done(row: dict[str, Any]) -> None:
            notice.done()
            _say(_benchmark.format_row(row), human)

        rows = _benchmark.run(quick=args.quick, backends=backends, thread_counts=threads, parts=parts,
                              on_row=row_done, on_part=lambda part, t: notice.start_task(f"{part}, {t} thread(s)"))
    written = None
    if args.plot:
        if not _benchmark.plottable(rows):
            _say(f"(no plot: nothing among --parts {','.join(parts)} has a panel; {args.plot} not written)", human)
        else:
            try:
                written = _benchmark.plot(rows, args.plot)
            except ImportError:
                _say("(no plot: matplotlib is not installed; pip install \".[bench]\" from the clone)", human)
    if written:
        _say("", human)
        _say(f"plot written to {written}", human)
    if args.json:
        print(json.dumps({"info": info, "rows": rows, "plot": written}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
