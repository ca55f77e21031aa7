"""What every example shares: its command line (``--out DIR``) and how it saves a figure.

Each example is a script run as ``python examples/<name>.py [--out DIR]``; its ``main(out)`` draws
the course's pictures and saves them with :func:`save`, which prints ``wrote <path>`` per file.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # files only: the examples never open a window

import matplotlib.pyplot as plt  # noqa: E402


def save(fig, path):
    """Lay out, write (100 dpi) and close ``fig``; say where it went."""
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"wrote {path}")


def run_example(main, doc):
    """Parse ``--out`` (the directory for the PNGs, created if needed) and call ``main(out)``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNGs (default: current directory)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    main(args.out)
