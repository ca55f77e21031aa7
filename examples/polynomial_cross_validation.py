"""Polynomial regression, under/overfitting, and λ chosen by K-fold cross-validation.

Course slides "Hyperparameter: Underfitting vs. Overfitting" and "Selecting λ with
Cross-validation". Noisy samples of sin(2πx) are fitted by least squares in the polynomial
basis φ(x) = (1, x, …, x^K), w* = (ΦᵀΦ)⁻¹Φᵀy, for K = 1 (underfits), 3 (about right) and
15 (overfits): polynomial_fits.png. Then degree 15 is regularized, w = (ΦᵀΦ + λI)⁻¹Φᵀy, with
λ picked by 5-fold cross-validation (RidgeCV): ridge_cv.png shows the CV error against λ on a
log axis with the chosen λ marked, and the regularized fit.

    python examples/polynomial_cross_validation.py [--out DIR]
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlbasics.linear_model import LinearRegression, RidgeCV  # noqa: E402
from mlbasics.model_selection import KFold  # noqa: E402
from mlbasics.plotting import plot_fit_curve  # noqa: E402
from mlbasics.preprocessing import PolynomialFeatures  # noqa: E402
from _example import run_example, save  # noqa: E402


def main(out):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, 20).reshape(-1, 1)
    y = np.sin(2 * np.pi * x[:, 0]) + rng.normal(0, 0.25, x.shape[0])
    x_test = np.linspace(0, 1, 200).reshape(-1, 1)
    y_test = np.sin(2 * np.pi * x_test[:, 0])

    # φ(x) = (x, …, x^K); the constant basis function 1 is the estimator's intercept.
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, degree in zip(axes, (1, 3, 15)):
        phi = PolynomialFeatures(degree, include_bias=False).fit(x)
        model = LinearRegression().fit(phi.transform(x), y)
        test_mse = np.mean((model.predict(phi.transform(x_test)) - y_test) ** 2)
        plot_fit_curve(model, x, y, ax=ax, transform=phi, label=f"degree {degree}")
        ax.plot(x_test[:, 0], y_test, "--", color="gray", linewidth=1, label="true curve sin(2πx)")
        ax.legend(fontsize=9, loc="lower left")
        verdict = {1: "underfits", 3: "about right", 15: "overfits"}[degree]
        ax.set(title=f"K = {degree} {verdict}: test MSE {test_mse:.3g}", ylim=(-2, 2))
        print(f"degree {degree:2d}: test MSE = {test_mse:.4f}")
    fig.suptitle("Least squares in the polynomial basis φ(x): underfitting vs. overfitting")
    fig.tight_layout()
    path = os.path.join(out, "polynomial_fits.png")
    save(fig, path)

    # Degree 15 with the penalty λ‖w‖², λ chosen by K-fold cross-validation (K = 5).
    phi = PolynomialFeatures(15, include_bias=False).fit(x)
    alphas = np.logspace(-8, 2, 21)
    ridge = RidgeCV(alphas=alphas, cv=KFold(5, shuffle=True, random_state=0)).fit(phi.transform(x), y)
    cv_mse = -ridge.cv_scores_                      # mean held-out MSE over the 5 folds
    test_mse = np.mean((ridge.predict(phi.transform(x_test)) - y_test) ** 2)

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    ax0.loglog(alphas, cv_mse, "o-", label="5-fold CV error")
    ax0.axvline(ridge.alpha_, color="C3", linestyle="--", label=f"chosen λ = {ridge.alpha_:.1e}")
    ax0.set(xlabel="λ (log scale)", ylabel="5-fold CV mean squared error",
            title="Cross-validation picks λ at the minimum of the CV error")
    ax0.legend()
    plot_fit_curve(ridge, x, y, ax=ax1, transform=phi, label=f"ridge, K = 15, λ = {ridge.alpha_:.1e}")
    ax1.plot(x_test[:, 0], y_test, "--", color="gray", linewidth=1, label="true curve sin(2πx)")
    ax1.legend(fontsize=9, loc="lower left")
    ax1.set(title=f"Degree 15 with that λ no longer overfits: test MSE {test_mse:.3g}", ylim=(-2, 2))
    fig.tight_layout()
    path = os.path.join(out, "ridge_cv.png")
    save(fig, path)
    print(f"ridge degree 15: chosen lambda = {ridge.alpha_:.3g}, CV MSE = {cv_mse.min():.4f}, "
          f"test MSE = {test_mse:.4f}")


if __name__ == "__main__":
    run_example(main, __doc__)
