"""The main job: the classic methods on the shipped real data, on every backend.

Each (model, data set) is fitted per backend on a 75/25 split (random_state=0): an untimed
warm-up fit on the same data (so Numba's one-off compilation of every size-dependent path is not
counted; with ``cache=True`` it is paid once per machine anyway), then ``repeats`` timed fits of
fresh estimators (more for fits under a few milliseconds, so each row is timed over at least
``min_time`` seconds). A row reports the median time and the spread (fastest and slowest) of
those fits, and the test score of the last one on the held-out quarter. The speed-up of a
compiled backend is numpy's total median fit time divided by its own. numpy, the baseline, is
fitted first in each task. Rows are handed to ``on_row`` as soon as they are measured, so the
command line can print the table while it is being made.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ._benchmark import ordered_backends


@dataclass
class Row:
    """One line of the demo table: a model fitted on a data set with a backend."""

    model: str
    dataset: str
    backend: str
    fit_seconds: float          # median of the timed fits
    score: float
    metric: str
    fit_seconds_min: float = 0.0
    fit_seconds_max: float = 0.0
    repeats: int = 1


def _tasks(quick: bool) -> list[tuple[str, str, str, Callable[[str], Any], np.ndarray, np.ndarray, bool]]:
    """(model name, data set name, metric, estimator factory, X, y, needs scaling)."""
    from .cluster import KMeans
    from .datasets import load_breast_cancer, load_diabetes, load_digits
    from .decomposition import PCA
    from .linear_model import LinearRegression, LogisticRegression, RidgeCV
    from .neural_network import MLPClassifier

    diabetes, cancer, digits = load_diabetes(), load_breast_cancer(), load_digits()
    mlp_epochs = 30 if quick else 100
    return [
        ("LinearRegression", "diabetes", "R²", lambda b: LinearRegression(backend=b), *diabetes, False),
        ("RidgeCV", "diabetes", "R²", lambda b: RidgeCV(alphas=np.logspace(-3, 3, 13), backend=b), *diabetes,
         False),
        ("LogisticRegression", "breast cancer", "accuracy",
         lambda b: LogisticRegression(max_iter=1000, backend=b), *cancer, True),
        ("LogisticRegression", "digits", "accuracy", lambda b: LogisticRegression(max_iter=1000, backend=b),
         *digits, True),
        ("PCA(10)", "digits", "explained var.", lambda b: PCA(n_components=10, backend=b), *digits, False),
        # labels are not used by the fit; the score compares the clusters of the held-out digits
        # with their classes (adjusted Rand index: 0 for chance, 1 for the same partition)
        ("KMeans(10)", "digits", "adjusted Rand", lambda b: KMeans(10, n_init=4, random_state=0, backend=b),
         *digits, False),
        ("MLPClassifier(64,)", "digits", "accuracy",
         lambda b: MLPClassifier(hidden_layer_sizes=(64,), max_iter=mlp_epochs, learning_rate_init=1e-2,
                                 random_state=0, backend=b), *digits, True),
    ]


def _time_fits(make: Callable[[], Any], X: np.ndarray, y: np.ndarray, repeats: int,
               min_time: float, max_repeats: int = 100) -> tuple[list[float], Any]:
    """Fit times of fresh ``make()`` estimators: at least ``repeats`` fits and ``min_time`` seconds
    of fitting (at most ``max_repeats`` fits); returns the times and the last estimator."""
    times: list[float] = []
    spent = 0.0
    est = None
    while len(times) < repeats or (spent < min_time and len(times) < max_repeats):
        est = make()
        t0 = time.perf_counter()
        est.fit(X, y)
        times.append(time.perf_counter() - t0)
        spent += times[-1]
    return times, est


def run_demo(backends: Sequence[str], quick: bool = False, on_row: Optional[Callable[[Row], None]] = None,
             on_task: Optional[Callable[[str, str], None]] = None, repeats: Optional[int] = None,
             min_time: Optional[float] = None) -> list[Row]:
    """Fit every task on every backend (a warm-up fit, then the timed ones) and score it.

    ``on_task(task, backend)`` is called before a backend's warm-up fit of a task and
    ``on_row(row)`` as soon as its row is measured. ``repeats`` (timed fits per row; 3 with
    ``quick``, else 5) and ``min_time`` (seconds of timed fitting per row at least; 0.05 with
    ``quick``, else 0.2) set how long each row is measured.
    """
    import warnings

    from .model_selection import train_test_split
    from .preprocessing import StandardScaler

    repeats = (3 if quick else 5) if repeats is None else repeats
    min_time = (0.05 if quick else 0.2) if min_time is None else min_time
    rows = []
    for model, dataset, metric, make, X, y, scale in _tasks(quick):
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
        if scale:
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        for backend in ordered_backends(backends):
            if on_task is not None:
                on_task(f"{model} on {dataset}", backend)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a short demo fit may stop at max_iter
                make(backend).fit(X_train, y_train)  # warm-up: JIT compilation, caches
                times, est = _time_fits(functools.partial(make, backend), X_train, y_train, repeats, min_time)
            if metric == "explained var.":
                score = float(np.sum(est.explained_variance_ratio_))
            elif metric == "adjusted Rand":
                from .metrics import adjusted_rand_score

                score = float(adjusted_rand_score(y_test, est.predict(X_test)))
            else:
                score = float(est.score(X_test, y_test))
            row = Row(model, dataset, backend, float(np.median(times)), score, metric,
                      fit_seconds_min=min(times), fit_seconds_max=max(times), repeats=len(times))
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows


def speedups(rows: list[Row]) -> dict[str, float]:
    """Total numpy fit time over each backend's total fit time (same tasks; medians)."""
    totals: dict[str, float] = {}
    for r in rows:
        totals[r.backend] = totals.get(r.backend, 0.0) + r.fit_seconds
    if "numpy" not in totals:
        return {}
    return {b: totals["numpy"] / t for b, t in totals.items() if b != "numpy"}


TABLE_HEADER = ("| model | data set | backend | fit time (median) | spread (min–max) | fits | test score |\n"
                "|---|---|---|---:|---:|---:|---:|")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def format_row(r: Row) -> str:
    """One row of the table (see :data:`TABLE_HEADER`)."""
    return (f"| {r.model} | {r.dataset} | {r.backend} | {_ms(r.fit_seconds)} ms | "
            f"{_ms(r.fit_seconds_min)}–{_ms(r.fit_seconds_max)} ms | {r.repeats} | {r.score:.4f} ({r.metric}) |")


def format_speedups(rows: list[Row]) -> str:
    """The headline: each compiled backend's speed-up over numpy ('' without a numpy row)."""
    ups = speedups(rows)
    if not ups:
        return ""
    return ("Speed-up over numpy (sum of the median fit times above): " +
            ", ".join(f"{b} {s:.2f}×" for b, s in ups.items()))


def format_table(rows: list[Row]) -> str:
    """The rows as a Markdown table, followed by the speed-ups over numpy."""
    lines = [TABLE_HEADER, *(format_row(r) for r in rows)]
    headline = format_speedups(rows)
    if headline:
        lines += ["", headline]
    return "\n".join(lines)
