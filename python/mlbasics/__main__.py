"""``python -m mlbasics`` (or ``mlbasics``): the main job and its subcommands.

    mlbasics [demo]   fit the classic models on the shipped real data on every backend and print
                      one table (model, data set, backend, fit time, test score) and the speed-ups
    mlbasics info     version, backends, SIMD path of the C++ core, compiler, threads, Numba
    mlbasics bench    kernels side by side on every backend: times, GFLOP/s, ratios to numpy

Options: --backend NAME (only that backend, plus numpy as the baseline), --threads N, --quick,
--json (machine-readable output).
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            _parser().error(f"--threads: expected a number >= 1, got {args.threads}")
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
        from mlbasics._benchmark import add_ratios, format_rows, kernel_rows

        rows = add_ratios(kernel_rows(quick=args.quick, backends=backends))
        if args.json:
            print(json.dumps({"info": info, "rows": rows}, indent=2))
        else:
            print("\n".join(config_lines(info)), end="\n\n")
            print(format_rows(rows))
        return 0

    from mlbasics._demo import format_table, run_demo, speedups

    rows = run_demo(backends, quick=args.quick)
    if args.json:
        print(json.dumps({"info": info, "rows": [asdict(r) for r in rows], "speedups": speedups(rows)}, indent=2))
    else:
        print("\n".join(config_lines(info)), end="\n\n")
        print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
