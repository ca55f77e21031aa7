"""The main job: the classic methods on the shipped real data, on every backend.

Each (model, data set) is fitted per backend on a 75/25 split (random_state=0) twice: an untimed
warm-up fit on the same data (so Numba's one-off compilation of every size-dependent path is not
counted; with ``cache=True`` it is paid once per machine anyway), then the timed fit, which is
scored on the held-out quarter. The speed-up of a compiled backend is numpy's fit time divided by its own.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass
class Row:
    """One line of the demo table: a model fitted on a data set with a backend."""

    model: str
    dataset: str
    backend: str
    fit_seconds: float
    score: float
    metric: str


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


def run_demo(backends: list[str], quick: bool = False) -> list[Row]:
    """Fit every task on every backend (warm-up fit, then the timed one) and score it."""
    import warnings

    from .model_selection import train_test_split
    from .preprocessing import StandardScaler

    rows = []
    for model, dataset, metric, make, X, y, scale in _tasks(quick):
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
        if scale:
            scaler = StandardScaler().fit(X_train)
            X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        for backend in backends:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a short demo fit may stop at max_iter
                make(backend).fit(X_train, y_train)  # warm-up: JIT compilation, caches
                est = make(backend)
                t0 = time.perf_counter()
                est.fit(X_train, y_train)
                seconds = time.perf_counter() - t0
            if metric == "explained var.":
                score = float(np.sum(est.explained_variance_ratio_))
            elif metric == "adjusted Rand":
                from .metrics import adjusted_rand_score

                score = float(adjusted_rand_score(y_test, est.predict(X_test)))
            else:
                score = float(est.score(X_test, y_test))
            rows.append(Row(model, dataset, backend, seconds, score, metric))
    return rows


def speedups(rows: list[Row]) -> dict[str, float]:
    """Total numpy fit time over each backend's total fit time (same tasks)."""
    totals: dict[str, float] = {}
    for r in rows:
        totals[r.backend] = totals.get(r.backend, 0.0) + r.fit_seconds
    if "numpy" not in totals:
        return {}
    return {b: totals["numpy"] / t for b, t in totals.items() if b != "numpy"}


def format_table(rows: list[Row]) -> str:
    """The rows as a Markdown table, followed by the speed-ups over numpy."""
    lines = ["| model | data set | backend | fit time | test score |", "|---|---|---|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.model} | {r.dataset} | {r.backend} | {r.fit_seconds * 1e3:.1f} ms | "
                     f"{r.score:.4f} ({r.metric}) |")
    ups = speedups(rows)
    if ups:
        lines.append("")
        lines.append("Speed-up over numpy (total fit time of the tasks above): " +
                     ", ".join(f"{b} {s:.2f}×" for b, s in ups.items()))
    return "\n".join(lines)
