"""Pictures of fitted models: loss curves, decision boundaries, ROC curves, confusion matrices,
PCA's explained variance and fitted curves.

matplotlib is optional (``pip install "mlbasics[plot]"``); every function imports it on call and
raises an ImportError naming the extra when it is missing. Each function draws on ``ax`` (a new
figure's axes when None) and returns that Axes, so pictures compose and tests can inspect them.
"""
from __future__ import annotations

import numpy as np


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("mlbasics.plotting needs matplotlib: pip install \"mlbasics[plot]\" "
                          f"(or pip install matplotlib) — {exc}") from None
    return plt


def _axes(ax):
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots()
    return ax


def plot_loss_curve(estimator_or_losses, ax=None, *, label=None, log_scale=False):
    """The training loss per epoch/iteration: an estimator's ``loss_curve_`` or a sequence of losses."""
    _pyplot()
    losses = getattr(estimator_or_losses, "loss_curve_", estimator_or_losses)
    losses = np.asarray(losses, dtype=float)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"estimator_or_losses: expected a fitted estimator with loss_curve_ or a 1-D sequence "
                         f"of losses, got shape {losses.shape}")
    ax = _axes(ax)
    ax.plot(np.arange(1, losses.size + 1), losses, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    if log_scale:
        ax.set_yscale("log")
    if label is not None:
        ax.legend()
    return ax


def plot_decision_boundary(estimator, X, y=None, ax=None, *, resolution=200, margin=0.5, alpha=0.3):
    """Regions a fitted 2-feature classifier assigns to each class, with the points X on top."""
    plt = _pyplot()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X: expected shape (n_samples, 2) to draw a 2-D boundary, got {X.shape}")
    if not (isinstance(resolution, int) and resolution >= 2):
        raise ValueError(f"resolution: expected an integer >= 2, got {resolution!r}")
    ax = _axes(ax)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.c_[xx.ravel(), yy.ravel()]
    pred = np.asarray(estimator.predict(grid))
    classes = getattr(estimator, "classes_", np.unique(pred))
    codes = np.searchsorted(np.asarray(classes), pred).reshape(xx.shape)
    cmap = plt.get_cmap("tab10")
    ax.contourf(xx, yy, codes, levels=np.arange(len(classes) + 1) - 0.5, cmap=cmap, vmin=0, vmax=9, alpha=alpha)
    if y is not None:
        y = np.asarray(y)
        ax.scatter(X[:, 0], X[:, 1], c=np.searchsorted(np.asarray(classes), y), cmap=cmap, vmin=0, vmax=9,
                   edgecolors="k", s=25)
    else:
        ax.scatter(X[:, 0], X[:, 1], c="k", s=10)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return ax


def plot_roc_curve(y_true, y_score, ax=None, *, pos_label=None, label=None):
    """The ROC curve (false positive rate vs true positive rate), with its AUC in the legend."""
    from .metrics import roc_curve

    _pyplot()
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=pos_label)
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))  # trapezoidal area under the curve
    ax = _axes(ax)
    ax.plot(fpr, tpr, label=f"{label + ' ' if label else ''}AUC = {auc:.3f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="gray", linewidth=1)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate (recall)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right")
    return ax


def plot_confusion_matrix(y_true, y_pred, ax=None, *, labels=None, normalize=None, cmap="Blues"):
    """The confusion matrix as an image: rows are true classes, columns predicted classes."""
    from .metrics import confusion_matrix

    plt = _pyplot()
    cm = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    if labels is None:
        labels = np.unique(np.concatenate([np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()]))
    ax = _axes(ax)
    image = ax.imshow(cm, cmap=cmap)
    plt.colorbar(image, ax=ax)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, [str(v) for v in labels])
    ax.set_yticks(ticks, [str(v) for v in labels])
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    threshold = cm.max() / 2 if cm.size else 0
    for i, j in np.ndindex(cm.shape):
        text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if cm[i, j] > threshold else "black")
    return ax


def plot_explained_variance(pca, ax=None, *, cumulative=True):
    """Bars of each principal component's explained variance ratio, and their running sum."""
    _pyplot()
    ratio = getattr(pca, "explained_variance_ratio_", None)
    if ratio is None:
        from .exceptions import NotFittedError

        raise NotFittedError("pca: expected a fitted PCA (with explained_variance_ratio_)")
    ax = _axes(ax)
    k = np.arange(1, len(ratio) + 1)
    ax.bar(k, ratio, label="per component")
    if cumulative:
        ax.step(k, np.cumsum(ratio), where="mid", color="C1", label="cumulative")
    ax.set_xlabel("principal component")
    ax.set_ylabel("explained variance ratio")
    ax.set_ylim(0, 1.05)
    ax.legend()
    return ax


def plot_fit_curve(estimator, X, y, ax=None, *, transform=None, n_points=300, label="fit"):
    """Data points (x, y) of one feature and the fitted estimator's curve over their range.

    ``transform`` maps the (n, 1) grid to the estimator's inputs, e.g. a fitted
    ``PolynomialFeatures`` when the estimator was trained on φ(x).
    """
    _pyplot()
    X = np.asarray(X, dtype=float)
    if X.ndim == 2 and X.shape[1] == 1:
        X = X[:, 0]
    if X.ndim != 1:
        raise ValueError(f"X: expected one feature (shape (n,) or (n, 1)), got shape {X.shape}")
    ax = _axes(ax)
    ax.scatter(X, np.asarray(y, dtype=float), s=15, color="k", label="data")
    grid = np.linspace(X.min(), X.max(), n_points).reshape(-1, 1)
    inputs = transform.transform(grid) if transform is not None else grid
    ax.plot(grid[:, 0], np.asarray(estimator.predict(inputs)), color="C3", label=label)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    return ax
