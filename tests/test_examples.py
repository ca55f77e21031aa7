"""Run every script in examples/ and check its pictures and one number from its summary.

Each script runs in a subprocess (the current interpreter and environment, MPLBACKEND=Agg,
warnings as errors) with ``--out tmp_path``; it must exit 0, every ``wrote PATH`` line must
name a real PNG of more than 5 kB, and its printed summary must show the course's point. Every
figure must also be readable on its own (:func:`check_figure`, from the description each
example's ``save`` writes when ``MLBASICS_FIGURE_REPORT`` is set, see examples/_example.py).
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"summary line matching {pattern!r} not found in:\n{text}"
    return float(match.group(1))


def check_least_squares_line(out):
    assert abs(_number(r"w = \[[-\d.]+, ([-\d.]+)\]", out) - 0.7) < 0.2      # slope near the true 0.7


def check_polynomial_cross_validation(out):
    mse = {k: _number(rf"degree\s+{k}: test MSE = ([\d.]+)", out) for k in (1, 3, 15)}
    ridge = _number(r"ridge degree 15: .*test MSE = ([\d.]+)", out)
    assert mse[3] < mse[1] and mse[3] < mse[15]                              # under- and overfitting
    assert ridge < mse[15] / 10                                               # λ from CV tames degree 15


def check_masking_problem(out):
    assert _number(r"logistic accuracy = ([\d.]+)", out) > _number(r"least-squares accuracy = ([\d.]+)", out) + 0.1


def check_xor_mlp(out):
    assert _number(r"MLP accuracy = ([\d.]+)", out) == 1.0
    assert _number(r"logistic accuracy = ([\d.]+)", out) < 1.0


def check_digits_mlp(out):
    assert _number(r"test accuracy = ([\d.]+)", out) > 0.9


def check_pca(out):
    assert 10 <= _number(r"(\d+) components explain 90%", out) <= 30


def check_sgd_momentum(out):
    plain = _number(r"plain GD = ([-+.\de]+)", out)
    assert _number(r"momentum = ([-+.\de]+)", out) < plain / 100
    assert _number(r"Nesterov = ([-+.\de]+)", out) < plain / 100


def check_clustering(out):
    assert _number(r"blobs: inertia = ([\d.]+)", out) > 0
    for name in ("two moons", "two circles"):
        assert _number(rf"{name}, k-means: adjusted Rand = ([-\d.]+)", out) <= 0.5
        assert _number(rf"{name}, spectral clustering: adjusted Rand = ([-\d.]+)", out) >= 0.95


def check_image_segmentation(out):
    assert _number(r"normalized cut: adjusted Rand = ([-\d.]+)", out) >= 0.95
    assert _number(r"k-means on brightness: adjusted Rand = ([-\d.]+)", out) < 0.6


def check_isomap_swiss_roll(out):
    assert _number(r"Isomap: \|rank correlation of component 1 with t\| = ([\d.]+)", out) > 0.95
    assert _number(r"PCA: \|rank correlation of component 1 with t\| = ([\d.]+)", out) < 0.6


def check_figure(fig):
    """A legend entry for every drawn series — its label, or legend handles in each of its
    colours (one proxy per cluster or class); colour-mapped scatters have a colour bar instead —
    a title and both axis labels on every plot, and every image explained by a labelled colour bar
    or by legend entries in its colours (a segmentation's few segments)."""
    problems = []
    for i, ax in enumerate(fig["axes"]):
        where = f"{fig['path']}, axes {i} ({ax['title'] or 'no title'!r})"
        if not ax["title"].strip():
            problems.append(f"{where}: no title")
        if not ax["xlabel"].strip() or not ax["ylabel"].strip():
            problems.append(f"{where}: an axis without a label (x {ax['xlabel']!r}, y {ax['ylabel']!r})")
        for series in ax["series"]:
            if series.get("colorbar"):
                continue  # its colours are explained by its colour bar
            labelled = not series["label"].startswith("_") and series["label"] in ax["legend"]
            proxied = bool(series["colours"]) and set(series["colours"]) <= set(ax["legend_colours"])
            if not (labelled or proxied):
                problems.append(f"{where}: a {series['kind']} with no legend entry (label {series['label']!r}, "
                                f"colours {series['colours']})")
        for image in ax["images"]:
            proxied = bool(image["colours"]) and set(image["colours"]) <= set(ax["legend_colours"])
            if not (image["colorbar"] or proxied):
                problems.append(f"{where}: an image with neither a colour bar nor legend entries for its colours")
    for bar in fig["colorbars"]:
        if not bar["label"].strip():
            problems.append(f"{fig['path']}: a colour bar without a label")
    assert not problems, "\n".join(problems)


def check_out_of_core(out):
    assert _number(r"LinearRegression coef_ ([-+.\de]+)", out) < 1e-8          # streamed = in-memory fit
    assert _number(r"PCA explained_variance_ ([-+.\de]+)", out) < 1e-8
    assert _number(r"recovers w: relative error ([-+.\de]+)", out) < 1e-2
    assert _number(r"peak RSS (\d+) MB for X", out) > 0


def check_new_tricks(out):
    plain = _number(r"plain: final training loss = ([\d.]+)", out)
    assert plain > 2.0                                                        # the deep sigmoid net does not learn
    assert _number(r"batch norm \+ residual: final training loss = ([\d.]+)", out) < plain / 5
    gaps = [_number(rf"dropout {p}: .*gap = ([-\d.]+)", out) for p in ("0.0", "0.5")]
    assert gaps[1] < gaps[0] - 0.03                                           # dropout shrinks the gap


CASES = {
    "least_squares_line": (["least_squares_line.png"], check_least_squares_line),
    "polynomial_cross_validation": (["polynomial_fits.png", "ridge_cv.png"], check_polynomial_cross_validation),
    "masking_problem": (["masking_problem.png"], check_masking_problem),
    "xor_mlp": (["xor_mlp.png"], check_xor_mlp),
    "digits_mlp": (["digits_confusion.png", "digits_loss.png"], check_digits_mlp),
    "pca": (["pca_2d.png", "pca_digits.png"], check_pca),
    "sgd_momentum": (["sgd_momentum.png"], check_sgd_momentum),
    "clustering": (["kmeans_blobs.png", "kmeans_vs_spectral.png"], check_clustering),
    "image_segmentation": (["ncuts_segmentation.png"], check_image_segmentation),
    "isomap_swiss_roll": (["swiss_roll_isomap_vs_pca.png"], check_isomap_swiss_roll),
    "out_of_core": ([], check_out_of_core),  # no picture: times, peak RSS and agreement
    "new_tricks": (["deep_mlp_loss.png", "dropout_gap.png"], check_new_tricks),
}


def test_every_example_is_tested():
    assert sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example(name, tmp_path):
    pngs, check = CASES[name]
    report = tmp_path / "figures.jsonl"
    env = dict(os.environ, MPLBACKEND="Agg", MLBASICS_FIGURE_REPORT=str(report))
    if env.get("PYTHONPATH"):  # a relative PYTHONPATH=python (dev checkout) must survive cwd=tmp_path
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    proc = subprocess.run([sys.executable, "-W", "error", str(EXAMPLES / f"{name}.py"), "--out", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{name}.py failed:\n{proc.stdout}\n{proc.stderr}"
    written = [Path(line.split("wrote ", 1)[1].strip()) for line in proc.stdout.splitlines()
               if line.startswith("wrote ")]
    assert sorted(p.name for p in written) == sorted(pngs), proc.stdout
    for path in written:
        assert path.parent == tmp_path and path.is_file(), path
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5000, f"{path}: {len(data)} bytes"
    lines = report.read_text(encoding="utf-8").splitlines() if pngs else []  # no picture, no report
    figures = [json.loads(line) for line in lines]
    assert sorted(f["path"] for f in figures) == sorted(pngs)
    for fig in figures:
        check_figure(fig)
    check(proc.stdout)
