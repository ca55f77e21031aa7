"""The plotting helpers draw what they say (checked on the artists), and fail clearly without matplotlib."""
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mlbasics import metrics, plotting  # noqa: E402
from mlbasics.decomposition import PCA  # noqa: E402
from mlbasics.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from mlbasics.preprocessing import PolynomialFeatures  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_loss_curve_plots_the_losses(tmp_path):
    losses = [3.0, 2.0, 1.5, 1.2]
    ax = plotting.plot_loss_curve(losses, label="sgd")
    line = ax.get_lines()[0]
    assert list(line.get_ydata()) == losses
    assert list(line.get_xdata()) == [1, 2, 3, 4]
    ax.figure.savefig(tmp_path / "loss.png")
    assert (tmp_path / "loss.png").stat().st_size > 1000


def test_loss_curve_rejects_garbage():
    with pytest.raises(ValueError, match="estimator_or_losses"):
        plotting.plot_loss_curve([])


def test_decision_boundary_separates_the_classes():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(-2, 0.5, (30, 2)), rng.normal(2, 0.5, (30, 2))])
    y = np.repeat(["left", "right"], 30)
    clf = LogisticRegression().fit(X, y)
    ax = plotting.plot_decision_boundary(clf, X, y, resolution=50)
    assert len(ax.collections) == 3  # filled regions, then one scatter per class
    offsets = np.vstack([c.get_offsets() for c in ax.collections[1:]])
    assert np.allclose(offsets, X)  # X lists the "left" points, then the "right" ones
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "class"
    assert [t.get_text() for t in legend.get_texts()] == ["left", "right"]
    # a class's points have the colour of its region (tab10, in the order of classes_)
    assert np.allclose(ax.collections[2].get_facecolors()[0], matplotlib.colormaps["tab10"](1))
    with pytest.raises(ValueError, match="X"):
        plotting.plot_decision_boundary(clf, np.ones((3, 3)))


def test_roc_curve_matches_metrics():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    score = y + rng.normal(0, 0.8, 200)
    ax = plotting.plot_roc_curve(y, score)
    fpr, tpr, _ = metrics.roc_curve(y, score)
    line = ax.get_lines()[0]
    assert np.allclose(line.get_xdata(), fpr) and np.allclose(line.get_ydata(), tpr)
    auc = metrics.roc_auc_score(y, score)
    assert f"AUC = {auc:.3f}" in ax.get_legend().get_texts()[0].get_text()


def test_confusion_matrix_image_is_the_matrix():
    y_true = np.array([0, 1, 2, 2, 1, 0, 2])
    y_pred = np.array([0, 2, 2, 2, 1, 0, 1])
    ax = plotting.plot_confusion_matrix(y_true, y_pred)
    image = ax.get_images()[0]
    assert np.array_equal(np.asarray(image.get_array()), metrics.confusion_matrix(y_true, y_pred))
    assert len(ax.texts) == 9
    assert image.colorbar is not None and image.colorbar.ax.get_ylabel() == "number of samples"
    ax = plotting.plot_confusion_matrix(y_true, y_pred, normalize="true")
    assert ax.get_images()[0].colorbar.ax.get_ylabel() == "fraction of the true class (row)"


def test_explained_variance_bars():
    X = np.random.default_rng(2).normal(size=(50, 5)) @ np.diag([5, 3, 1, 0.5, 0.1])
    pca = PCA().fit(X)
    ax = plotting.plot_explained_variance(pca)
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, pca.explained_variance_ratio_)
    from mlbasics.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        plotting.plot_explained_variance(PCA())


def test_fit_curve_with_a_polynomial_basis():
    x = np.linspace(-1, 1, 30)
    y = x ** 2
    poly = PolynomialFeatures(degree=2)
    model = LinearRegression().fit(poly.fit_transform(x.reshape(-1, 1)), y)
    ax = plotting.plot_fit_curve(model, x, y, transform=poly)
    curve = ax.get_lines()[0]
    assert np.allclose(curve.get_ydata(), curve.get_xdata() ** 2, atol=1e-8)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"mlbasics\[plot\]"):
        plotting.plot_loss_curve([1.0, 0.5])
