"""What every example shares: its command line (``--out DIR``) and how it saves a figure.

Each example is a script run as ``python examples/<name>.py [--out DIR]``; its ``main(out)`` draws
the course's pictures and saves them with :func:`save`, which prints ``wrote <path>`` per file.
When the environment variable ``MLBASICS_FIGURE_REPORT`` names a file, :func:`save` also appends
one JSON line per figure saying what it shows (:func:`describe`): tests/test_examples.py checks
from it that every drawn series has a legend entry, every axis a label and every plot a title.
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")  # files only: the examples never open a window

import matplotlib.pyplot as plt  # noqa: E402


def _hexes(colours):
    """Distinct colours as '#rrggbb' (alpha ignored)."""
    from matplotlib.colors import to_hex

    return sorted({to_hex(c, keep_alpha=False) for c in colours})


def _artist_colours(artist):
    """The colours an artist is drawn with: a line's colour (and marker face), a collection's
    face colours (its edge colours when it has no faces), a legend patch's face colour."""
    import numpy as np

    if hasattr(artist, "get_markerfacecolor"):  # Line2D
        colours = [artist.get_color()]
        face = artist.get_markerfacecolor()
        if not (isinstance(face, str) and face == "none"):
            colours.append(face)
        return _hexes(colours)
    if hasattr(artist, "get_facecolors"):  # collections
        faces = np.asarray(artist.get_facecolors())
        return _hexes(faces if len(faces) else np.asarray(artist.get_edgecolors()))
    if hasattr(artist, "get_facecolor"):  # patches
        return _hexes([artist.get_facecolor()])
    return []


def describe(fig):
    """What ``fig`` shows, as plain data: per axes its title, axis labels, legend (texts and the
    colours of its handles), drawn series (lines, collections, bar groups: kind, label, colours,
    and for colour-mapped scatters whether they have a colour bar) and images (colour bar, and the
    colours of the values they show); colour-bar axes are left out and listed apart with their
    label. Contour sets (background: loss levels, decision regions) are not series."""
    import numpy as np
    from matplotlib.collections import PathCollection
    from matplotlib.contour import ContourSet

    mappables = []
    for ax in fig.axes:
        mappables += list(ax.images)
        mappables += [c for c in ax.collections if isinstance(c, PathCollection) and c.get_array() is not None]
    colorbar_axes = {m.colorbar.ax for m in mappables if m.colorbar is not None}
    axes = []
    for ax in fig.axes:
        if ax in colorbar_axes:
            continue
        legend = ax.get_legend()
        handles = getattr(legend, "legend_handles", None) or getattr(legend, "legendHandles", None) or []
        series = [{"kind": "line", "label": line.get_label(), "colours": _artist_colours(line)}
                  for line in ax.get_lines()]
        for c in ax.collections:
            if isinstance(c, ContourSet):
                continue
            mapped = isinstance(c, PathCollection) and c.get_array() is not None
            series.append({"kind": type(c).__name__, "label": c.get_label(), "colours": _artist_colours(c),
                           "colorbar": (c.colorbar is not None) if mapped else None})
        series += [{"kind": "bars", "label": b.get_label(),
                    "colours": _hexes([p.get_facecolor() for p in b.patches])} for b in ax.containers]
        images = []
        for im in ax.images:
            values = np.unique(np.asarray(im.get_array()))
            images.append({"colorbar": im.colorbar is not None,
                           "colorbar_label": im.colorbar.ax.get_ylabel() if im.colorbar is not None else "",
                           "colours": _hexes(im.cmap(im.norm(values))) if values.size <= 16 else []})
        axes.append({
            "title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "legend": [t.get_text() for t in legend.get_texts()] if legend is not None else [],
            "legend_colours": sorted({h for handle in handles for h in _artist_colours(handle)}),
            "series": series,
            "images": images,
        })
    colorbars = [{"label": m.colorbar.ax.get_ylabel() or m.colorbar.ax.get_xlabel()}
                 for m in mappables if m.colorbar is not None]
    if hasattr(fig, "get_suptitle"):  # matplotlib >= 3.8
        suptitle = fig.get_suptitle()
    else:
        suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return {"suptitle": suptitle, "axes": axes, "colorbars": colorbars}


def save(fig, path):
    """Lay out, write (100 dpi) and close ``fig``; say where it went."""
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    report = os.environ.get("MLBASICS_FIGURE_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as f:
            f.write(json.dumps({"path": os.path.basename(path), **describe(fig)}) + "\n")
    plt.close(fig)
    print(f"wrote {path}")


def run_example(main, doc):
    """Parse ``--out`` (the directory for the PNGs, created if needed) and call ``main(out)``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=".", help="directory for the PNGs (default: current directory)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    main(args.out)
