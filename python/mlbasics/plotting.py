"""Pictures of fitted models: loss curves, decision boundaries, ROC curves, confusion matrices,
PCA's explained variance and fitted curves.

matplotlib is optional (``pip install "mlbasics[plot]"``); every function imports it on call and
raises an ImportError naming the extra when it is missing. Each function draws on ``ax`` (a new
figure's axes when None) and returns that Axes, so pictures compose and tests can inspect them.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # matplotlib stays optional: imported for the type checker only
    from matplotlib.axes import Axes


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("mlbasics.plotting needs matplotlib: pip install \"mlbasics[plot]\" "
                          f"(or pip install matplotlib) — {exc}") from None
    return plt


def _axes(ax: Optional[Axes]) -> Axes:
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots()
    return ax


def plot_loss_curve(estimator_or_losses: Any, ax: Optional[Axes] = None, *, label: Optional[str] = None,
                    log_scale: bool = False) -> Axes:
    """The training loss per epoch/iteration: an estimator's ``loss_curve_`` or a sequence of losses.

    Parameters
    ----------
    estimator_or_losses : fitted estimator or sequence of float
        An object with a ``loss_curve_`` attribute (e.g. a fitted MLP), or the losses
        themselves, one per epoch.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when None.
    label : str, optional
        Legend entry of the curve; no legend when None.
    log_scale : bool, default=False
        Use a logarithmic y axis.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: epochs 1, 2, … on x, the loss on y.

    Raises
    ------
    ValueError
        If the losses are not a non-empty 1-D sequence.
    ImportError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from mlbasics.plotting import plot_loss_curve
    >>> ax = plot_loss_curve([1.0, 0.5, 0.3, 0.2], label="train", log_scale=True)
    >>> ax.get_yscale(), ax.lines[0].get_xdata().tolist()
    ('log', [1, 2, 3, 4])
    >>> plt.close(ax.figure)
    """
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


def plot_decision_boundary(estimator: Any, X: npt.ArrayLike, y: Optional[npt.ArrayLike] = None,
                           ax: Optional[Axes] = None, *, resolution: int = 200, margin: float = 0.5,
                           alpha: float = 0.3, point_size: float = 25) -> Axes:
    """Regions a fitted 2-feature classifier assigns to each class, with the points X on top.

    The estimator predicts every point of a ``resolution × resolution`` grid spanning X (plus
    ``margin``) and each predicted class is filled with its own colour. With ``y``, the points of
    each class are drawn in that class's colour, one scatter per class, and a legend titled
    "class" names each colour (it stands for the regions too); without ``y`` the points are
    black, with the legend entry "data".

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict`` on (n, 2) arrays; its ``classes_``, when present, fix the
        colour of each class.
    X : array-like of shape (n_samples, 2)
        The points to draw, which also set the drawn range.
    y : array-like of shape (n_samples,), optional
        Their labels, to colour the points like the regions; black points when None.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when None.
    resolution : int ≥ 2, default=200
        Grid points per axis.
    margin : float, default=0.5
        How far the grid extends beyond the data on each side.
    alpha : float, default=0.3
        Opacity of the filled regions.
    point_size : float, default=25
        Marker area of the points (matplotlib's ``s``).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If X does not have exactly two columns or ``resolution`` is not an integer ≥ 2.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from mlbasics.linear_model import LogisticRegression
    >>> from mlbasics.plotting import plot_decision_boundary
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> ax = plot_decision_boundary(LogisticRegression().fit(X, y), X, y, resolution=50)
    >>> [float(v) for v in ax.get_xlim()]  # the data's range plus the margin
    [-0.5, 1.5]
    >>> plt.close(ax.figure)
    """
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
        codes_y = np.searchsorted(np.asarray(classes), y)
        for code in np.unique(codes_y):  # one scatter per class: one legend entry per colour
            mask = codes_y == code
            label = str(np.asarray(classes)[code]) if code < len(classes) else str(y[mask][0])
            ax.scatter(X[mask, 0], X[mask, 1], color=cmap(int(code) % 10), edgecolors="k", s=point_size,
                       label=label)
        # big points get small legend markers
        ax.legend(title="class", loc="best", fontsize=9, markerscale=min(1.0, (40 / max(point_size, 1)) ** 0.5))
    else:
        ax.scatter(X[:, 0], X[:, 1], c="k", s=point_size * 0.4, label="data")
        ax.legend(loc="best", fontsize=9)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    return ax


def plot_roc_curve(y_true: npt.ArrayLike, y_score: npt.ArrayLike, ax: Optional[Axes] = None, *,
                   pos_label: object = None, label: Optional[str] = None) -> Axes:
    """The ROC curve (false positive rate vs true positive rate), with its AUC in the legend.

    The diagonal of a classifier that guesses is drawn dashed for reference.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels, as for :func:`mlbasics.metrics.roc_curve`.
    y_score : array-like of shape (n_samples,)
        Scores, higher meaning "more positive".
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when None.
    pos_label : label, optional
        The positive class (needed unless the labels are {0, 1} or {−1, 1}).
    label : str, optional
        Put in front of the AUC in the legend entry.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from mlbasics.plotting import plot_roc_curve
    >>> ax = plot_roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], label="model")
    >>> ax.get_legend().get_texts()[0].get_text()
    'model AUC = 0.750'
    >>> plt.close(ax.figure)
    """
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


def plot_confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, ax: Optional[Axes] = None, *,
                          labels: Optional[npt.ArrayLike] = None,
                          normalize: Optional[Literal["true", "pred", "all"]] = None,
                          cmap: Any = "Blues") -> Axes:
    """The confusion matrix as an image: rows are true classes, columns predicted classes.

    Each cell shows its count (or rate, with ``normalize``), and a colour bar, labelled with what
    the colours measure, is added.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted labels.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when None.
    labels : array-like of shape (n_classes,), optional
        Order of the rows and columns; the sorted labels present when None.
    normalize : {"true", "pred", "all"} or None, default=None
        As in :func:`mlbasics.metrics.confusion_matrix`.
    cmap : str or matplotlib Colormap, default="Blues"
        Colours of the image.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from mlbasics.plotting import plot_confusion_matrix
    >>> ax = plot_confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    >>> [t.get_text() for t in ax.texts]
    ['1', '1', '1', '2']
    >>> plt.close(ax.figure)
    """
    from .metrics import confusion_matrix

    plt = _pyplot()
    cm = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    tick_labels: Any = labels  # shown as given: str() of each element
    if tick_labels is None:
        tick_labels = np.unique(np.concatenate([np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()]))
    ax = _axes(ax)
    image = ax.imshow(cm, cmap=cmap)
    bar_label = {None: "number of samples", "true": "fraction of the true class (row)",
                 "pred": "fraction of the predicted class (column)", "all": "fraction of all samples"}
    plt.colorbar(image, ax=ax, label=bar_label.get(normalize, "value"))
    ticks = np.arange(len(tick_labels))
    ax.set_xticks(ticks, [str(v) for v in tick_labels])
    ax.set_yticks(ticks, [str(v) for v in tick_labels])
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    threshold = cm.max() / 2 if cm.size else 0
    for i, j in np.ndindex(cm.shape):
        text = f"{cm[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8,
                color="white" if cm[i, j] > threshold else "black")
    return ax


def plot_explained_variance(pca: Any, ax: Optional[Axes] = None, *, cumulative: bool = True) -> Axes:
    """Bars of each principal component's explained variance ratio, and their running sum.

    Parameters
    ----------
    pca : fitted PCA
        Anything with an ``explained_variance_ratio_`` attribute.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when None.
    cumulative : bool, default=True
        Also draw the cumulative ratio as a step line.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on: component 1, 2, … on x, the ratio on y.

    Raises
    ------
    NotFittedError
        If ``pca`` has no ``explained_variance_ratio_``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from mlbasics.decomposition import PCA
    >>> from mlbasics.plotting import plot_explained_variance
    >>> X = np.random.default_rng(0).standard_normal((50, 4)) * [3.0, 2.0, 1.0, 0.5]
    >>> ax = plot_explained_variance(PCA(n_components=3).fit(X))
    >>> len(ax.patches)  # one bar per component
    3
    >>> plt.close(ax.figure)
    """
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


def plot_fit_curve(estimator: Any, X: npt.ArrayLike, y: npt.ArrayLike, ax: Optional[Axes] = None, *,
                   transform: Any = None, n_points: int = 300, label: str = "fit") -> Axes:
    """Data points (x, y) of one feature and the fitted estimator's curve over their range.

    ``transform`` maps the (n, 1) grid to the estimator's inputs, e.g. a fitted
    ``PolynomialFeatures`` when the estimator was trained on φ(x).

    Parameters
    ----------
    estimator : fitted regressor
        Anything with ``predict``.
    X : array-like of shape (n_samples,) or (n_samples, 1)
        The single input feature x.
    y : array-like of shape (n_samples,)
        The targets, drawn as points.
    ax : matplotlib Axes, optional
        Where to draw; a new figure's axes when None.
    transform : transformer, optional
        An object with ``transform`` applied to the grid before ``predict``.
    n_points : int, default=300
        Grid points of the curve between min(x) and max(x).
    label : str, default="fit"
        Legend entry of the curve.

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on.

    Raises
    ------
    ValueError
        If X has more than one feature.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from mlbasics.linear_model import LinearRegression
    >>> from mlbasics.plotting import plot_fit_curve
    >>> from mlbasics.preprocessing import PolynomialFeatures
    >>> x = np.linspace(-1.0, 1.0, 9).reshape(-1, 1)
    >>> y = x[:, 0] ** 2
    >>> phi = PolynomialFeatures(degree=2).fit(x)
    >>> model = LinearRegression().fit(phi.transform(x), y)
    >>> ax = plot_fit_curve(model, x, y, transform=phi, n_points=5)
    >>> np.abs(np.round(ax.lines[0].get_ydata(), 3)).tolist()  # abs: no -0.0
    [1.0, 0.25, 0.0, 0.25, 1.0]
    >>> plt.close(ax.figure)
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
