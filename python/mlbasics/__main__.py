"""``python -m mlbasics`` (or ``mlbasics``): the main job and its subcommands.

    mlbasics [demo]   fit the classic models on the shipped real data on every backend and print
                      one table (model, data set, backend, fit time, test score) and the speed-ups
    mlbasics info     version, backends, SIMD path of the C++ core, compiler, threads, Numba
    mlbasics bench    kernels, MLP training and model fits on every backend side by side with
                      NumPy, PyTorch and scikit-learn (when installed), at 1 and 2 threads:
                      times, GFLOP/s, fraction of peak, speed-ups; writes a PNG plot

Options: --backend NAME (only that backend, plus numpy as the baseline), --threads N, --quick,
--json (machine-readable output); for bench also --plot PATH and --parts.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

import mlbasics


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
    parser.add_argument("--parts", default="matmul,optim,mlp,fit,cluster,sparse",
                        help="bench: comma-separated parts among matmul, optim, mlp, fit, cluster, sparse")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``mlbasics [demo|info|bench]`` with the command-line arguments ``argv``; return the exit code.

    ``argv`` defaults to ``sys.argv[1:]``; argument errors exit with status 2 (argparse).
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads: expected a number >= 1, got {args.threads}")
        mlbasics.set_num_threads(args.threads)
    from mlbasics._info import config, config_lines

    info = config()
    backends = info["backends"]
    if args.backend is not None:
        backends = [b for b in backends if b in (args.backend, "numpy")]

    if args.command == "info":
        print(json.dumps(info, indent=2) if args.json else "\n".join(config_lines(info)))
        return 0

    if args.command == "bench":
        from mlbasics import _benchmark

        parts = tuple(p.strip() for p in args.parts.split(",") if p.strip())
        unknown = set(parts) - {"matmul", "optim", "mlp", "fit", "cluster", "sparse"}
        if unknown or not parts:
            parser.error(f"--parts: expected names among matmul, optim, mlp, fit, cluster, sparse, got {args.parts!r}")
        threads = (args.threads,) if args.threads is not None else (1, 2)
        rows = _benchmark.run(quick=args.quick, backends=backends, thread_counts=threads, parts=parts)
        written = None
        if args.plot:
            try:
                written = _benchmark.plot(rows, args.plot)
            except ImportError:
                print("(no plot: matplotlib is not installed; pip install \"mlbasics[bench]\")", file=sys.stderr)
        if args.json:
            print(json.dumps({"info": info, "rows": rows, "plot": written}, indent=2))
        else:
            print("\n".join(config_lines(info)), end="\n\n")
            print(_benchmark.format_rows(rows))
            if written:
                print(f"\nplot written to {written}")
        return 0

    from mlbasics._benchmark import thread_limit
    from mlbasics._demo import format_table, run_demo, speedups

    # Every side at the same thread count: our pool and Numba, and NumPy's BLAS (threadpoolctl),
    # which otherwise starts one thread per core and fights ours for the cores.
    with thread_limit(mlbasics.get_num_threads()):
        demo_rows = run_demo(backends, quick=args.quick)
    if args.json:
        print(json.dumps({"info": info, "rows": [asdict(r) for r in demo_rows], "speedups": speedups(demo_rows)},
                         indent=2))
    else:
        print("\n".join(config_lines(info)), end="\n\n")
        print(format_table(demo_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
